#include "io/ranges.h"

#include <stdlib.h>

typedef struct span { uint64_t begin, end; int64_t idx; } span;

/* qsort order: by begin offset, then by item index. */
static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int a2a_find_overlap(int64_t n, a2a_range_fn fn, const void *user, int64_t *a, int64_t *b) {
    if (n < 2) return 0;
    span *sp = malloc((size_t)n * sizeof(*sp));
    if (!sp) return -1;
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t lo, hi;
        fn(user, i, &lo, &hi);
        if (hi > lo) sp[m++] = (span){lo, hi, i};
    }
    qsort(sp, (size_t)m, sizeof(*sp), cmp_span);
    int found = 0;
    for (int64_t k = 1; k < m; k++)
        if (sp[k - 1].end > sp[k].begin) {
            *a = sp[k - 1].idx;
            *b = sp[k].idx;
            found = 1;
            break;
        }
    free(sp);
    return found;
}
