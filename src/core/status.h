/* Internal: contexts, error reporting, logging, checked arithmetic. */
#ifndef A2A_CORE_STATUS_H
#define A2A_CORE_STATUS_H

#include "any2any.h"
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define A2A_ERRMSG_MAX 1024

struct a2a_ctx {
    char err[A2A_ERRMSG_MAX]; /* last error message, NUL-terminated */
    a2a_status last;          /* last error status */
    a2a_log_level log_level;
    a2a_log_fn log_fn;        /* NULL: stderr */
    void *log_user;
};

/* Record an error in ctx (ctx may be NULL: then only the status is returned) and return st.
   Usage: return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' out of range", name); */
a2a_status a2a_fail(a2a_ctx *ctx, a2a_status st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prefix the existing error message of ctx with "prefix: " (for adding context on the way up). */
void a2a_error_prefix(a2a_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Log a message through ctx's sink if level >= ctx's level (ctx may be NULL: stderr, INFO). */
void a2a_log(a2a_ctx *ctx, a2a_log_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Programmer-bug assertion: prints and aborts. Never use on data from files or users. */
#define A2A_ASSERT(x)                                                                           \
    do {                                                                                         \
        if (!(x)) a2a_assert_fail(__FILE__, __LINE__, #x);                                       \
    } while (0)
void a2a_assert_fail(const char *file, int line, const char *expr) __attribute__((noreturn));

/* Checked arithmetic: return false on overflow (result unspecified then). */
static inline bool a2a_mul_ok(size_t a, size_t b, size_t *out) { return !__builtin_mul_overflow(a, b, out); }
static inline bool a2a_add_ok(size_t a, size_t b, size_t *out) { return !__builtin_add_overflow(a, b, out); }
static inline bool a2a_mul_i64_ok(int64_t a, int64_t b, int64_t *out) { return !__builtin_mul_overflow(a, b, out); }

/* Round x up to a multiple of align (power of two). */
static inline size_t a2a_align_up(size_t x, size_t align) { return (x + align - 1) & ~(align - 1); }

#define A2A_MIN(a, b) ((a) < (b) ? (a) : (b))
#define A2A_MAX(a, b) ((a) > (b) ? (a) : (b))
#define A2A_UNUSED(x) (void)(x)

#endif
