#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

a2a_status a2a_arena_init(a2a_ctx *ctx, a2a_arena *a, size_t cap) {
    memset(a, 0, sizeof(*a));
    size_t rounded = a2a_align_up(cap ? cap : A2A_ARENA_ALIGN, A2A_ARENA_ALIGN);
    if (rounded < cap) return a2a_fail(ctx, A2A_ERR_NOMEM, "arena: size %zu overflows", cap);
    void *p = aligned_alloc(A2A_ARENA_ALIGN, rounded);
    if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "arena: cannot allocate %zu bytes", rounded);
    a->base = p;
    a->cap = rounded;
    a->owned = true;
    return A2A_OK;
}

void a2a_arena_init_measure(a2a_arena *a) {
    memset(a, 0, sizeof(*a));
    a->cap = SIZE_MAX;
}

void a2a_arena_init_buffer(a2a_arena *a, void *base, size_t cap) {
    memset(a, 0, sizeof(*a));
    A2A_ASSERT(((uintptr_t)base % A2A_ARENA_ALIGN) == 0);
    a->base = base;
    a->cap = cap;
}

void a2a_arena_free(a2a_arena *a) {
    if (a->owned) free(a->base);
    memset(a, 0, sizeof(*a));
}

void *a2a_arena_alloc(a2a_arena *a, size_t bytes) {
    size_t start = a2a_align_up(a->used, A2A_ARENA_ALIGN), end;
    if (start < a->used || !a2a_add_ok(start, bytes, &end) || end > a->cap) return NULL;
    a->used = end;
    if (end > a->peak) a->peak = end;
    return a->base ? a->base + start : NULL;
}

void *a2a_arena_calloc(a2a_arena *a, size_t bytes) {
    void *p = a2a_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

bool a2a_arena_tensor(a2a_arena *a, a2a_tensor *t, a2a_type type, int n_dims, const int64_t *ne) {
    if (!a2a_tensor_init(t, type, n_dims, ne, NULL)) return false;
    size_t bytes = a2a_tensor_nbytes(t);
    size_t before = a->used;
    void *p = a2a_arena_alloc(a, bytes ? bytes : 1);
    if (!a->base) return a->used != before || bytes == 0 ? true : false;
    if (!p) return false;
    t->data = p;
    return true;
}
