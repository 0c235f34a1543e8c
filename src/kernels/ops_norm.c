/* Normalization ops: RMSNorm, LayerNorm, GroupNorm. Contracts in kernels/ops.h; row kernels
   per level in ref/norm_ref.c and x86/norm_*.c. */
#include <math.h>

#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* Row kernels for the current kernel level. */
static const a2a_norm_kernels *norm_kernels(void) {
    static const a2a_norm_kernels ref = {a2a_ref_sum, a2a_ref_sumsq_dev, a2a_ref_norm_apply};
#ifdef A2A_HAVE_X86_KERNELS
    static const a2a_norm_kernels avx2 = {a2a_avx2_sum, a2a_avx2_sumsq_dev, a2a_avx2_norm_apply};
    static const a2a_norm_kernels avx512 = {a2a_avx512_sum, a2a_avx512_sumsq_dev, a2a_avx512_norm_apply};
    a2a_kernel_level lvl = a2a_kernel_level_get();
    if (lvl >= A2A_LEVEL_AVX512) return &avx512;
    if (lvl >= A2A_LEVEL_AVX2) return &avx2;
#endif
    return &ref;
}

/* A2A_ERR_SHAPE unless t is F32 (t must be non-NULL). */
static a2a_status need_f32(a2a_ctx *ctx, const char *op, const char *what, const a2a_tensor *t) {
    if (!t || !t->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s must be f32, got %s", op, what, a2a_type_name(t->type));
    return A2A_OK;
}

/* Common checks: dst and x F32 of one shape. */
static a2a_status check_dst_x(a2a_ctx *ctx, const char *op, const a2a_tensor *dst, const a2a_tensor *x) {
    a2a_status st;
    if ((st = need_f32(ctx, op, "dst", dst)) || (st = need_f32(ctx, op, "x", x))) return st;
    if (!a2a_tensor_same_shape(dst, x)) {
        char s1[96], s2[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst %s and x %s differ in shape", op,
                        a2a_tensor_shape_str(dst, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2));
    }
    return A2A_OK;
}

/* Check an optional F32 parameter vector of n elements; on success *out is a packed copy (or
   the data itself when packed) in scratch `slot` of the calling thread, or NULL when t is. */
static a2a_status param_vec(a2a_ctx *ctx, const char *op, const char *what, const a2a_tensor *t, int64_t n,
                            const char *of, int slot, const float **out) {
    *out = NULL;
    if (!t) return A2A_OK;
    a2a_status st = need_f32(ctx, op, what, t);
    if (st) return st;
    if (a2a_tensor_nelements(t) != n || t->ne[0] != n)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s has %lld elements, %s %lld", op, what,
                        (long long)a2a_tensor_nelements(t), of, (long long)n);
    float *buf = NULL;
    if (t->nb[0] != sizeof(float) && !(buf = a2a_scratch(slot, (size_t)n * sizeof(float))))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", op);
    *out = a2a_row_in(t->data, t->nb[0], n, buf);
    return A2A_OK;
}

typedef struct row_norm_job {
    const a2a_norm_kernels *k;
    a2a_tensor *dst;
    const a2a_tensor *x;
    const float *w, *b; /* packed or NULL */
    double eps;
    int rms;
    int nomem;
} row_norm_job;

/* Normalize rows [r0, r1) of x into dst. */
static void row_norm_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    row_norm_job *j = arg;
    const a2a_tensor *d = j->dst, *x = j->x;
    const int64_t n = x->ne[0];
    float *bd = NULL, *bx = NULL;
    if ((d->nb[0] != sizeof(float) && !(bd = a2a_scratch(0, (size_t)n * sizeof(float)))) ||
        (x->nb[0] != sizeof(float) && !(bx = a2a_scratch(1, (size_t)n * sizeof(float))))) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(x->ne, r, ix);
        const char *xp = (const char *)x->data + a2a_row_offset(x, ix[0], ix[1], ix[2], ix[3]);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        const float *xr = a2a_row_in(xp, x->nb[0], n, bx);
        float *dr = a2a_row_out(dp, d->nb[0], bd);
        double mean = j->rms ? 0.0 : j->k->sum(n, xr) / (double)n;
        double var = j->k->sumsq_dev(n, xr, mean) / (double)n;
        float inv = (float)(1.0 / sqrt(var + j->eps));
        float mhi = (float)mean, mlo = (float)(mean - (double)mhi);
        j->k->apply(n, dr, xr, mhi, mlo, inv, j->w, j->b, 0.0f);
        a2a_row_out_done(dp, d->nb[0], n, dr);
    }
}

/* Shared driver of rms_norm and layer_norm. */
static a2a_status row_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                           const a2a_tensor *w, const a2a_tensor *b, float eps, int rms, const char *op) {
    a2a_status st = check_dst_x(ctx, op, dst, x);
    if (st) return st;
    if (!(eps >= 0.0f)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: eps %g must be >= 0", op, (double)eps);
    row_norm_job j = {.k = norm_kernels(), .dst = dst, .x = x, .eps = eps, .rms = rms};
    if ((st = param_vec(ctx, op, "w", w, x->ne[0], "x rows have", 2, &j.w)) ||
        (st = param_vec(ctx, op, "b", b, x->ne[0], "x rows have", 3, &j.b)))
        return st;
    if (a2a_tensor_nelements(x) == 0) return A2A_OK;
    a2a_parallel_for(tp, a2a_tensor_nrows(x), a2a_row_grain(x->ne[0]), row_norm_rows, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory for row scratch", op);
    return A2A_OK;
}

/* dst = x / sqrt(mean(x^2) + eps) * w. */
a2a_status a2a_op_rms_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                           const a2a_tensor *w, float eps) {
    return row_norm(ctx, tp, dst, x, w, NULL, eps, 1, "rms_norm");
}

/* dst = (x - mean) / sqrt(var + eps) * w + b. */
a2a_status a2a_op_layer_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                             const a2a_tensor *w, const a2a_tensor *b, float eps) {
    return row_norm(ctx, tp, dst, x, w, b, eps, 0, "layer_norm");
}

typedef struct group_norm_job {
    const a2a_norm_kernels *k;
    a2a_tensor d, x; /* views with the channel dim cd >= 1 */
    int cd;          /* channel dim; batch dim is cd + 1 */
    int64_t cpg;     /* channels per group */
    int64_t n_groups;
    int64_t srows;   /* rows (of ne[0]) per channel: product of ne[1..cd-1] */
    const float *w, *b;
    double eps;
    int nomem;
} group_norm_job;

/* Byte offset of spatial row s of channel c in batch item nb_i of t. */
static size_t gn_offset(const a2a_tensor *t, int cd, int64_t c, int64_t bi, int64_t s) {
    size_t off = (size_t)c * t->nb[cd] + (size_t)bi * t->nb[cd + 1];
    for (int i = 1; i < cd; i++) {
        off += (size_t)(s % t->ne[i]) * t->nb[i];
        s /= t->ne[i];
    }
    return off;
}

/* Normalize (batch, group) items [i0, i1). */
static void group_norm_items(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    (void)ith;
    (void)nth;
    group_norm_job *j = arg;
    const a2a_tensor *d = &j->d, *x = &j->x;
    const int64_t n = x->ne[0];
    float *bd = NULL, *bx = NULL;
    if ((d->nb[0] != sizeof(float) && !(bd = a2a_scratch(0, (size_t)n * sizeof(float)))) ||
        (x->nb[0] != sizeof(float) && !(bx = a2a_scratch(1, (size_t)n * sizeof(float))))) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t it = i0; it < i1; it++) {
        int64_t bi = it / j->n_groups, c0 = (it % j->n_groups) * j->cpg;
        double sum = 0, ss = 0, count = (double)n * (double)j->srows * (double)j->cpg;
        for (int64_t c = c0; c < c0 + j->cpg; c++)
            for (int64_t s = 0; s < j->srows; s++)
                sum += j->k->sum(n, a2a_row_in((const char *)x->data + gn_offset(x, j->cd, c, bi, s), x->nb[0], n, bx));
        double mean = sum / count;
        for (int64_t c = c0; c < c0 + j->cpg; c++)
            for (int64_t s = 0; s < j->srows; s++)
                ss += j->k->sumsq_dev(
                    n, a2a_row_in((const char *)x->data + gn_offset(x, j->cd, c, bi, s), x->nb[0], n, bx), mean);
        double inv = 1.0 / sqrt(ss / count + j->eps);
        float mhi = (float)mean, mlo = (float)(mean - (double)mhi);
        for (int64_t c = c0; c < c0 + j->cpg; c++) {
            float scale = (float)(inv * (j->w ? (double)j->w[c] : 1.0));
            float shift = j->b ? j->b[c] : 0.0f;
            for (int64_t s = 0; s < j->srows; s++) {
                const float *xr = a2a_row_in((const char *)x->data + gn_offset(x, j->cd, c, bi, s), x->nb[0], n, bx);
                char *dp = (char *)d->data + gn_offset(d, j->cd, c, bi, s);
                float *dr = a2a_row_out(dp, d->nb[0], bd);
                j->k->apply(n, dr, xr, mhi, mlo, scale, NULL, NULL, shift);
                a2a_row_out_done(dp, d->nb[0], n, dr);
            }
        }
    }
}

/* Give a 2-D [C, N] tensor a unit spatial dim in front: [1, C, N]. */
static a2a_tensor gn_lift(const a2a_tensor *t) {
    a2a_tensor r = *t;
    for (int i = A2A_MAX_DIMS - 1; i > 0; i--) {
        r.ne[i] = t->ne[i - 1];
        r.nb[i] = t->nb[i - 1];
    }
    r.ne[0] = 1;
    r.nb[0] = sizeof(float);
    r.n_dims = t->n_dims + 1;
    return r;
}

/* torch.nn.GroupNorm over the channel dim n_dims-2. */
a2a_status a2a_op_group_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, int n_groups,
                             const a2a_tensor *w, const a2a_tensor *b, float eps) {
    a2a_status st = check_dst_x(ctx, "group_norm", dst, x);
    if (st) return st;
    if (x->n_dims < 2 || x->n_dims > A2A_MAX_DIMS)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "group_norm: x needs 2..5 dims ([.., C, N]), has %d", x->n_dims);
    if (!(eps >= 0.0f)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "group_norm: eps %g must be >= 0", (double)eps);
    int cd = x->n_dims - 2;
    int64_t C = x->ne[cd];
    if (n_groups <= 0 || C % n_groups != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "group_norm: %lld channels (ne[%d]) do not split into %d groups",
                        (long long)C, cd, n_groups);
    group_norm_job j = {.k = norm_kernels(), .d = *dst, .x = *x, .cd = cd, .cpg = C / n_groups,
                        .n_groups = n_groups, .eps = eps};
    if ((st = param_vec(ctx, "group_norm", "w", w, C, "channels are", 2, &j.w)) ||
        (st = param_vec(ctx, "group_norm", "b", b, C, "channels are", 3, &j.b)))
        return st;
    if (a2a_tensor_nelements(x) == 0) return A2A_OK;
    if (cd == 0) {
        if (x->n_dims == A2A_MAX_DIMS)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "group_norm: cannot lift a 5-D tensor");
        j.d = gn_lift(dst);
        j.x = gn_lift(x);
        j.cd = 1;
    }
    j.srows = 1;
    for (int i = 1; i < j.cd; i++) j.srows *= j.x.ne[i];
    int64_t items = j.x.ne[j.cd + 1] * n_groups;
    int64_t per_item = j.x.ne[0] * j.srows * j.cpg;
    a2a_parallel_for(tp, items, per_item >= 16384 ? 1 : 16384 / (per_item > 0 ? per_item : 1), group_norm_items, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "group_norm: out of memory for row scratch");
    return A2A_OK;
}
