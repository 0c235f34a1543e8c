#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

bool a2a_tensor_init(a2a_tensor *t, a2a_type type, int n_dims, const int64_t *ne, void *data) {
    memset(t, 0, sizeof(*t));
    const a2a_type_traits *tr = a2a_type_info(type);
    if (!tr || n_dims < 1 || n_dims > A2A_MAX_DIMS) return false;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        int64_t n = i < n_dims ? ne[i] : 1;
        if (n < 0) return false;
        t->ne[i] = n;
    }
    if (t->ne[0] % tr->blck) return false;
    size_t row;
    if (!a2a_row_size(type, t->ne[0], &row)) return false;
    t->nb[0] = tr->size;
    t->nb[1] = row;
    for (int i = 2; i < A2A_MAX_DIMS; i++)
        if (!a2a_mul_ok(t->nb[i - 1], (size_t)t->ne[i - 1], &t->nb[i])) return false;
    size_t total;
    if (!a2a_mul_ok(t->nb[A2A_MAX_DIMS - 1], (size_t)t->ne[A2A_MAX_DIMS - 1], &total)) return false;
    t->type = type;
    t->n_dims = n_dims;
    t->data = data;
    return true;
}

a2a_tensor a2a_tensor_make(a2a_type type, void *data, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    int64_t ne[4] = {ne0, ne1, ne2, ne3};
    int n = 4;
    while (n > 1 && ne[n - 1] == 1) n--;
    a2a_tensor t;
    bool ok = a2a_tensor_init(&t, type, n, ne, data);
    A2A_ASSERT(ok);
    return t;
}

int64_t a2a_tensor_nelements(const a2a_tensor *t) {
    int64_t n = 1;
    for (int i = 0; i < A2A_MAX_DIMS; i++) n *= t->ne[i];
    return n;
}

int64_t a2a_tensor_nrows(const a2a_tensor *t) { return a2a_tensor_nelements(t) / (t->ne[0] ? t->ne[0] : 1); }

size_t a2a_tensor_nbytes(const a2a_tensor *t) {
    for (int i = 0; i < A2A_MAX_DIMS; i++)
        if (t->ne[i] == 0) return 0;
    const a2a_type_traits *tr = a2a_type_info(t->type);
    size_t bytes = (size_t)(t->ne[0] / tr->blck) * t->nb[0];
    for (int i = 1; i < A2A_MAX_DIMS; i++) bytes += (size_t)(t->ne[i] - 1) * t->nb[i];
    return bytes;
}

bool a2a_tensor_is_contiguous(const a2a_tensor *t) {
    const a2a_type_traits *tr = a2a_type_info(t->type);
    if (t->nb[0] != tr->size) return false;
    size_t expect = (size_t)(t->ne[0] / tr->blck) * tr->size;
    for (int i = 1; i < A2A_MAX_DIMS; i++) {
        if (t->ne[i] != 1 && t->nb[i] != expect) return false;
        expect *= (size_t)t->ne[i];
    }
    return true;
}

bool a2a_tensor_rows_contiguous(const a2a_tensor *t) { return t->nb[0] == a2a_type_info(t->type)->size; }

bool a2a_tensor_same_shape(const a2a_tensor *a, const a2a_tensor *b) {
    for (int i = 0; i < A2A_MAX_DIMS; i++)
        if (a->ne[i] != b->ne[i]) return false;
    return true;
}

a2a_tensor a2a_tensor_transpose(const a2a_tensor *t) {
    int perm[A2A_MAX_DIMS] = {1, 0, 2, 3, 4};
    return a2a_tensor_permute(t, perm);
}

a2a_tensor a2a_tensor_permute(const a2a_tensor *t, const int perm[A2A_MAX_DIMS]) {
    a2a_tensor r = *t;
    int seen = 0;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        A2A_ASSERT(perm[i] >= 0 && perm[i] < A2A_MAX_DIMS && !(seen & (1 << perm[i])));
        seen |= 1 << perm[i];
        r.ne[i] = t->ne[perm[i]];
        r.nb[i] = t->nb[perm[i]];
    }
    /* block types can only move whole rows */
    A2A_ASSERT(a2a_type_info(t->type)->blck == 1 || perm[0] == 0);
    r.n_dims = 1;
    for (int i = 0; i < A2A_MAX_DIMS; i++)
        if (r.ne[i] != 1) r.n_dims = i + 1;
    if (r.n_dims < t->n_dims) r.n_dims = t->n_dims;
    return r;
}

a2a_tensor a2a_tensor_view(const a2a_tensor *t, int n_dims, const int64_t *ne, const int64_t *off) {
    A2A_ASSERT(n_dims >= 1 && n_dims <= A2A_MAX_DIMS);
    a2a_tensor r = *t;
    const a2a_type_traits *tr = a2a_type_info(t->type);
    size_t byte_off = 0;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        int64_t n = i < n_dims ? ne[i] : 1, o = i < n_dims ? off[i] : 0;
        A2A_ASSERT(o >= 0 && n >= 0 && o + n <= t->ne[i]);
        r.ne[i] = n;
        if (i == 0) {
            A2A_ASSERT(o % tr->blck == 0 && n % tr->blck == 0);
            byte_off += (size_t)(o / tr->blck) * t->nb[0];
        } else {
            byte_off += (size_t)o * t->nb[i];
        }
    }
    r.n_dims = n_dims;
    r.data = (char *)t->data + byte_off;
    return r;
}

a2a_tensor a2a_tensor_reshape(const a2a_tensor *t, int n_dims, const int64_t *ne) {
    A2A_ASSERT(a2a_tensor_is_contiguous(t));
    a2a_tensor r;
    bool ok = a2a_tensor_init(&r, t->type, n_dims, ne, t->data);
    A2A_ASSERT(ok && a2a_tensor_nelements(&r) == a2a_tensor_nelements(t));
    r.name = t->name;
    return r;
}

const char *a2a_tensor_shape_str(const a2a_tensor *t, char *buf, size_t cap) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < t->n_dims && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %lld" : "%lld", (long long)t->ne[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

