#include "text/merge_queue.h"

#include <stdlib.h>
#include <string.h>

#include "core/strmap.h"

/* Heap order: a sits below b when a has lower priority, or equal priority and a larger left. */
static bool below(const a2a_merge *a, const a2a_merge *b) {
    return a->prio < b->prio || (a->prio == b->prio && a->left > b->left);
}

bool a2a_merge_push(a2a_merge_queue *q, a2a_merge m) {
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        a2a_merge *p = realloc(q->v, cap * sizeof(*p));
        if (!p) return false;
        q->v = p;
        q->cap = cap;
    }
    size_t i = q->n++;
    q->v[i] = m;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!below(&q->v[parent], &q->v[i])) break;
        a2a_merge t = q->v[parent];
        q->v[parent] = q->v[i];
        q->v[i] = t;
        i = parent;
    }
    return true;
}

a2a_merge a2a_merge_pop(a2a_merge_queue *q) {
    a2a_merge top = q->v[0];
    q->v[0] = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < q->n && below(&q->v[m], &q->v[l])) m = l;
        if (r < q->n && below(&q->v[m], &q->v[r])) m = r;
        if (m == i) break;
        a2a_merge t = q->v[m];
        q->v[m] = q->v[i];
        q->v[i] = t;
        i = m;
    }
    return top;
}

void a2a_merge_queue_free(a2a_merge_queue *q) {
    free(q->v);
    q->v = NULL;
    q->n = q->cap = 0;
}

/* Queue the pair (l, r) when it has a merge rank; false on out of memory. */
static bool push_pair(const a2a_strmap *ranks, const char *text, const a2a_merge_sym *syms, a2a_merge_queue *q,
                      char *key, int32_t l, int32_t r) {
    if (l < 0 || r < 0) return true;
    const a2a_merge_sym *a = &syms[l], *b = &syms[r];
    memcpy(key, text + a->off, a->len);
    key[a->len] = ' ';
    memcpy(key + a->len + 1, text + b->off, b->len);
    int64_t rank = a2a_strmap_get(ranks, key, a->len + 1 + b->len);
    if (rank < 0) return true;
    return a2a_merge_push(q, (a2a_merge){l, r, -(double)rank, a->len + b->len});
}

bool a2a_bpe_merge_ranked(const struct a2a_strmap *ranks, const char *text, a2a_merge_sym *syms, size_t n, char *key) {
    a2a_merge_queue q = {0};
    bool ok = true;
    for (size_t i = 1; i < n && ok; i++) ok = push_pair(ranks, text, syms, &q, key, (int32_t)i - 1, (int32_t)i);
    while (ok && q.n) {
        a2a_merge p = a2a_merge_pop(&q);
        a2a_merge_sym *l = &syms[p.left], *r = &syms[p.right];
        if (l->len == 0 || r->len == 0 || l->next != p.right || l->len + r->len != p.size) continue; /* stale */
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0) syms[r->next].prev = p.left;
        ok = push_pair(ranks, text, syms, &q, key, l->prev, p.left) && push_pair(ranks, text, syms, &q, key, p.left, l->next);
    }
    a2a_merge_queue_free(&q);
    return ok;
}
