#include "core/status.h"
#include "core/cpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

a2a_ctx *a2a_ctx_new(void) {
    a2a_cpu_init(); /* AMX permission and feature probe, before any thread starts */
    a2a_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) return NULL;
    ctx->log_level = A2A_LOG_INFO;
    return ctx;
}

void a2a_ctx_free(a2a_ctx *ctx) { free(ctx); }

const char *a2a_last_error(const a2a_ctx *ctx) {
    if (!ctx) return "no context";
    return ctx->err[0] ? ctx->err : "no error";
}

const char *a2a_status_str(a2a_status st) {
    switch (st) {
    case A2A_OK: return "ok";
    case A2A_ERR_INVALID_ARG: return "invalid argument";
    case A2A_ERR_IO: return "i/o error";
    case A2A_ERR_FORMAT: return "malformed file";
    case A2A_ERR_UNSUPPORTED: return "unsupported";
    case A2A_ERR_NOMEM: return "out of memory";
    case A2A_ERR_CANCELLED: return "cancelled";
    case A2A_ERR_NOT_FOUND: return "not found";
    case A2A_ERR_SHAPE: return "shape mismatch";
    case A2A_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

const char *a2a_version(void) { return "0.1.0"; }

a2a_status a2a_fail(a2a_ctx *ctx, a2a_status st, const char *fmt, ...) {
    if (ctx) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err, sizeof(ctx->err), fmt, ap);
        va_end(ap);
        ctx->last = st;
    }
    return st;
}

void a2a_error_prefix(a2a_ctx *ctx, const char *fmt, ...) {
    if (!ctx) return;
    char pre[A2A_ERRMSG_MAX], old[A2A_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    memcpy(old, ctx->err, sizeof(old));
    size_t n = strlen(pre);
    if (n > sizeof(ctx->err) - 3) n = sizeof(ctx->err) - 3;
    memcpy(ctx->err, pre, n);
    memcpy(ctx->err + n, ": ", 2);
    size_t m = strlen(old);
    if (m > sizeof(ctx->err) - n - 3) m = sizeof(ctx->err) - n - 3;
    memcpy(ctx->err + n + 2, old, m);
    ctx->err[n + 2 + m] = 0;
}

void a2a_ctx_set_log(a2a_ctx *ctx, a2a_log_level level, a2a_log_fn fn, void *user) {
    if (!ctx) return;
    ctx->log_level = level;
    ctx->log_fn = fn;
    ctx->log_user = user;
}

void a2a_log(a2a_ctx *ctx, a2a_log_level level, const char *fmt, ...) {
    a2a_log_level min = ctx ? ctx->log_level : A2A_LOG_INFO;
    if (level < min) return;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (ctx && ctx->log_fn) {
        ctx->log_fn(level, buf, ctx->log_user);
    } else {
        static const char *names[] = {"debug", "info", "warn", "error", ""};
        fprintf(stderr, "any2any %s: %s\n", names[level], buf);
    }
}

void a2a_assert_fail(const char *file, int line, const char *expr) {
    fprintf(stderr, "any2any: internal assertion failed at %s:%d: %s\n", file, line, expr);
    abort();
}
