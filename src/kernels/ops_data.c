/* Data movement: strided copy with type conversion, concat, get_rows. Contracts in
   kernels/ops.h. Type conversions go through kernels/convert.h (SIMD at every level,
   bit-identical to the scalar conversions). */
#include "kernels/convert.h"
#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* True when t has a row-packed layout for its type (nb[0] = bytes per block). */
static bool packed_rows(const a2a_tensor *t) { return t->nb[0] == a2a_type_info(t->type)->size; }

/* Copy n elements of es bytes from a row with element stride ss to one with stride ds. */
static void copy_elems(void *dst, size_t ds, const void *src, size_t ss, int64_t n, size_t es) {
    if (ds == es && ss == es) {
        memcpy(dst, src, (size_t)n * es);
        return;
    }
    char *d = dst;
    const char *s = src;
    for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * ds, s + (size_t)i * ss, es);
}

/* A2A_ERR_INVALID_ARG for a NULL tensor or data pointer. */
static a2a_status need(a2a_ctx *ctx, const char *op, const char *what, const a2a_tensor *t) {
    if (!t || !t->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (!a2a_type_info(t->type)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: %s has a bad type", op, what);
    return A2A_OK;
}

typedef struct copy_job {
    a2a_tensor *dst;
    const a2a_tensor *src;
    int nomem;
} copy_job;

/* Convert rows [r0, r1) of src into dst. Plain-typed rows that are not packed are gathered
   to (or scattered from) scratch in their own type around a packed row conversion. */
static void copy_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    copy_job *j = arg;
    const a2a_tensor *d = j->dst, *s = j->src;
    const int64_t n = s->ne[0];
    const size_t des = a2a_type_info(d->type)->size, ses = a2a_type_info(s->type)->size;
    const bool same = d->type == s->type, dpk = packed_rows(d), spk = packed_rows(s);
    char *bd = NULL, *bs = NULL;
    if (!same) {
        if ((!dpk && !(bd = a2a_scratch(0, (size_t)n * des))) || (!spk && !(bs = a2a_scratch(1, (size_t)n * ses)))) {
            __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
            return;
        }
    }
    size_t row_bytes = 0;
    if (same) a2a_row_size(s->type, n, &row_bytes);
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(s->ne, r, ix);
        const char *sp = (const char *)s->data + a2a_row_offset(s, ix[0], ix[1], ix[2], ix[3]);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        if (same) {
            if (dpk && spk) memcpy(dp, sp, row_bytes);
            else copy_elems(dp, d->nb[0], sp, s->nb[0], n, ses);
            continue;
        }
        const void *srow = sp;
        if (!spk) {
            copy_elems(bs, ses, sp, s->nb[0], n, ses);
            srow = bs;
        }
        a2a_convert_row(s->type, srow, d->type, dpk ? dp : bd, n);
        if (!dpk) copy_elems(dp, d->nb[0], bd, des, n, des);
    }
}

/* dst = src converted to dst->type. */
a2a_status a2a_op_copy(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *src) {
    a2a_status st;
    if ((st = need(ctx, "copy", "dst", dst)) || (st = need(ctx, "copy", "src", src))) return st;
    char s1[96], s2[96];
    if (!a2a_tensor_same_shape(dst, src))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "copy: dst %s and src %s differ in shape",
                        a2a_tensor_shape_str(dst, s1, sizeof s1), a2a_tensor_shape_str(src, s2, sizeof s2));
    const a2a_type_traits *dt = a2a_type_info(dst->type), *sti = a2a_type_info(src->type);
    if (dst->type != src->type && !a2a_convert_supported(src->type, dst->type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "copy: no conversion from %s to %s", sti->name, dt->name);
    if ((dt->blck > 1 && !packed_rows(dst)) || (sti->blck > 1 && !packed_rows(src)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "copy: quantized tensors need packed rows (%s -> %s)", sti->name,
                        dt->name);
    if (dst->data == src->data && dst->type == src->type && memcmp(dst->nb, src->nb, sizeof dst->nb) == 0)
        return A2A_OK;
    if (a2a_tensor_nelements(src) == 0) return A2A_OK;
    copy_job j = {.dst = dst, .src = src};
    a2a_parallel_for(tp, a2a_tensor_nrows(src), a2a_row_grain(src->ne[0]), copy_rows, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "copy: out of memory for row scratch");
    return A2A_OK;
}

typedef struct concat_job {
    a2a_tensor *dst;
    const a2a_tensor *a, *b;
    int dim;
} concat_job;

/* Fill dst rows [r0, r1) from a or b. */
static void concat_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    concat_job *j = arg;
    const a2a_tensor *d = j->dst, *a = j->a, *b = j->b;
    const size_t es = a2a_type_info(d->type)->size;
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(d->ne, r, ix);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        if (j->dim == 0) {
            copy_elems(dp, d->nb[0], (const char *)a->data + a2a_row_offset(a, ix[0], ix[1], ix[2], ix[3]), a->nb[0],
                       a->ne[0], es);
            copy_elems(dp + (size_t)a->ne[0] * d->nb[0], d->nb[0],
                       (const char *)b->data + a2a_row_offset(b, ix[0], ix[1], ix[2], ix[3]), b->nb[0], b->ne[0], es);
            continue;
        }
        const a2a_tensor *s = a;
        if (ix[j->dim - 1] >= a->ne[j->dim]) {
            ix[j->dim - 1] -= a->ne[j->dim];
            s = b;
        }
        copy_elems(dp, d->nb[0], (const char *)s->data + a2a_row_offset(s, ix[0], ix[1], ix[2], ix[3]), s->nb[0],
                   d->ne[0], es);
    }
}

/* dst = concat(a, b) along dim. */
a2a_status a2a_op_concat(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a,
                         const a2a_tensor *b, int dim) {
    a2a_status st;
    if ((st = need(ctx, "concat", "dst", dst)) || (st = need(ctx, "concat", "a", a)) ||
        (st = need(ctx, "concat", "b", b)))
        return st;
    if (dim < 0 || dim >= A2A_MAX_DIMS) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "concat: bad dim %d", dim);
    if (a->type != dst->type || b->type != dst->type || a2a_type_info(dst->type)->blck != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "concat: a (%s), b (%s) and dst (%s) need one plain type",
                        a2a_type_name(a->type), a2a_type_name(b->type), a2a_type_name(dst->type));
    bool ok = true;
    for (int i = 0; i < A2A_MAX_DIMS; i++)
        ok = ok && (i == dim ? dst->ne[i] == a->ne[i] + b->ne[i] : (a->ne[i] == dst->ne[i] && b->ne[i] == dst->ne[i]));
    if (!ok) {
        char s1[96], s2[96], s3[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "concat: a %s and b %s do not concatenate to dst %s along dim %d",
                        a2a_tensor_shape_str(a, s1, sizeof s1), a2a_tensor_shape_str(b, s2, sizeof s2),
                        a2a_tensor_shape_str(dst, s3, sizeof s3), dim);
    }
    if (a2a_tensor_nelements(dst) == 0) return A2A_OK;
    concat_job j = {.dst = dst, .a = a, .b = b, .dim = dim};
    a2a_parallel_for(tp, a2a_tensor_nrows(dst), a2a_row_grain(dst->ne[0]), concat_rows, &j);
    return A2A_OK;
}

typedef struct get_rows_job {
    a2a_tensor *dst;
    const a2a_tensor *table, *ids;
    int nomem;
} get_rows_job;

/* Read ids[i, j, k]. */
static int32_t read_id(const a2a_tensor *ids, int64_t i, int64_t j, int64_t k) {
    int32_t v;
    memcpy(&v, (const char *)ids->data + (size_t)i * ids->nb[0] + (size_t)j * ids->nb[1] + (size_t)k * ids->nb[2],
           sizeof v);
    return v;
}

/* Fill dst rows [r0, r1) with table rows. */
static void get_rows_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    get_rows_job *j = arg;
    const a2a_tensor *d = j->dst, *t = j->table;
    const int64_t n = t->ne[0];
    const size_t tes = a2a_type_info(t->type)->size;
    const bool tpk = packed_rows(t), dpk = d->nb[0] == sizeof(float);
    char *bt = NULL;
    float *bd = NULL;
    if ((!tpk && !(bt = a2a_scratch(1, (size_t)n * tes))) ||
        (!dpk && !(bd = a2a_scratch(0, (size_t)n * sizeof(float))))) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(d->ne, r, ix);
        int32_t id = read_id(j->ids, ix[0], ix[1], ix[2]);
        const char *tp = (const char *)t->data + (size_t)id * t->nb[1];
        if (!tpk) {
            copy_elems(bt, tes, tp, t->nb[0], n, tes);
            tp = bt;
        }
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        a2a_convert_row(t->type, tp, A2A_TYPE_F32, dpk ? (void *)dp : (void *)bd, n);
        a2a_row_out_done(dp, d->nb[0], n, bd);
    }
}

/* dst[:, i, j, k] = table[:, ids[i, j, k]] as F32. */
a2a_status a2a_op_get_rows(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *table,
                           const a2a_tensor *ids) {
    a2a_status st;
    if ((st = need(ctx, "get_rows", "dst", dst)) || (st = need(ctx, "get_rows", "table", table)) ||
        (st = need(ctx, "get_rows", "ids", ids)))
        return st;
    char s1[96], s2[96], s3[96];
    if (dst->type != A2A_TYPE_F32 || ids->type != A2A_TYPE_I32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "get_rows: dst must be f32 and ids i32, got %s and %s",
                        a2a_type_name(dst->type), a2a_type_name(ids->type));
    if (table->type != A2A_TYPE_F32 && !a2a_convert_supported(table->type, A2A_TYPE_F32))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "get_rows: table type %s cannot be read", a2a_type_name(table->type));
    if (a2a_type_info(table->type)->blck > 1 && !packed_rows(table))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "get_rows: a quantized table needs packed rows");
    if (table->ne[2] != 1 || table->ne[3] != 1 || table->ne[4] != 1 || ids->ne[3] != 1 || ids->ne[4] != 1 ||
        dst->ne[0] != table->ne[0] || dst->ne[1] != ids->ne[0] || dst->ne[2] != ids->ne[1] ||
        dst->ne[3] != ids->ne[2] || dst->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "get_rows: table %s (2-D) and ids %s (<= 3-D) do not give dst %s",
                        a2a_tensor_shape_str(table, s1, sizeof s1), a2a_tensor_shape_str(ids, s2, sizeof s2),
                        a2a_tensor_shape_str(dst, s3, sizeof s3));
    for (int64_t k = 0; k < ids->ne[2]; k++)
        for (int64_t jj = 0; jj < ids->ne[1]; jj++)
            for (int64_t i = 0; i < ids->ne[0]; i++) {
                int32_t id = read_id(ids, i, jj, k);
                if (id < 0 || id >= table->ne[1])
                    return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                                    "get_rows: id %ld at [%lld, %lld, %lld] is outside the table's %lld rows",
                                    (long)id, (long long)i, (long long)jj, (long long)k, (long long)table->ne[1]);
            }
    if (a2a_tensor_nelements(dst) == 0) return A2A_OK;
    get_rows_job j = {.dst = dst, .table = table, .ids = ids};
    a2a_parallel_for(tp, a2a_tensor_nrows(dst), a2a_row_grain(dst->ne[0]), get_rows_rows, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "get_rows: out of memory for row scratch");
    return A2A_OK;
}
