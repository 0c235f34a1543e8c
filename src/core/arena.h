/* Internal: arenas. An arena is one aligned block of memory handed out by bumping a
   pointer; it is planned once (measure with a dry run, then allocate) and reset between
   uses, so hot loops never call malloc. */
#ifndef A2A_CORE_ARENA_H
#define A2A_CORE_ARENA_H

#include "core/status.h"
#include "core/tensor.h"

#define A2A_ARENA_ALIGN 64

typedef struct a2a_arena {
    char *base;      /* NULL in a measuring (dry-run) arena */
    size_t cap;      /* bytes available (SIZE_MAX when measuring) */
    size_t used;     /* bytes handed out so far */
    size_t peak;     /* high-water mark of used */
    bool owned;      /* base was allocated by a2a_arena_init */
} a2a_arena;

/* Allocate an arena of cap bytes (64-byte aligned). Returns A2A_ERR_NOMEM on failure. */
a2a_status a2a_arena_init(a2a_ctx *ctx, a2a_arena *a, size_t cap);
/* A measuring arena: allocations only count bytes (pointers are NULL); read a->peak afterwards. */
void a2a_arena_init_measure(a2a_arena *a);
/* An arena over caller-owned memory (base must be 64-byte aligned). */
void a2a_arena_init_buffer(a2a_arena *a, void *base, size_t cap);
void a2a_arena_free(a2a_arena *a);
/* Bytes, 64-byte aligned; NULL when the arena is full (or measuring). */
void *a2a_arena_alloc(a2a_arena *a, size_t bytes);
/* Like a2a_arena_alloc but zero-filled. */
void *a2a_arena_calloc(a2a_arena *a, size_t bytes);
/* A contiguous tensor allocated in the arena; returns false if the shape is invalid or the
   arena is full (a measuring arena counts the bytes and returns true with data = NULL). */
bool a2a_arena_tensor(a2a_arena *a, a2a_tensor *t, a2a_type type, int n_dims, const int64_t *ne);
/* Position markers: everything allocated after a mark is released by rewinding to it. */
static inline size_t a2a_arena_mark(const a2a_arena *a) { return a->used; }
static inline void a2a_arena_rewind(a2a_arena *a, size_t mark) { a->used = mark; }
static inline void a2a_arena_reset(a2a_arena *a) { a->used = 0; }

#endif
