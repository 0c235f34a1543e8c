#include "text/merge_queue.h"

#include <stdlib.h>

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
