/* Softmax along rows with optional broadcast mask. Contract in kernels/ops.h; row kernels
   per level in ref/softmax_ref.c and x86/softmax_*.c. */
#include "kernels/convert.h"
#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* Row kernel for the current kernel level. */
static a2a_softmax_row_fn softmax_kernel(void) {
#ifdef A2A_HAVE_X86_KERNELS
    a2a_kernel_level lvl = a2a_kernel_level_get();
    if (lvl >= A2A_LEVEL_AVX512) return a2a_avx512_softmax_row;
    if (lvl >= A2A_LEVEL_AVX2) return a2a_avx2_softmax_row;
#endif
    return a2a_ref_softmax_row;
}

typedef struct softmax_job {
    a2a_softmax_row_fn k;
    a2a_tensor *dst;
    const a2a_tensor *x, *mask;
    float scale;
    int nomem;
} softmax_job;

/* Softmax of rows [r0, r1). */
static void softmax_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    softmax_job *j = arg;
    const a2a_tensor *d = j->dst, *x = j->x, *m = j->mask;
    const int64_t n = x->ne[0];
    float *bd = NULL, *bx = NULL, *bm = NULL;
    if ((d->nb[0] != sizeof(float) && !(bd = a2a_scratch(0, (size_t)n * sizeof(float)))) ||
        (x->nb[0] != sizeof(float) && !(bx = a2a_scratch(1, (size_t)n * sizeof(float)))) ||
        (m && (m->type != A2A_TYPE_F32 || m->nb[0] != sizeof(float)) &&
         !(bm = a2a_scratch(2, (size_t)n * sizeof(float))))) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(x->ne, r, ix);
        const char *xp = (const char *)x->data + a2a_row_offset(x, ix[0], ix[1], ix[2], ix[3]);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        const float *mr = NULL;
        if (m) {
            const char *mp = (const char *)m->data + a2a_row_offset(m, ix[0] % m->ne[1], ix[1] % m->ne[2],
                                                                    ix[2] % m->ne[3], ix[3] % m->ne[4]);
            if (m->type == A2A_TYPE_F32) {
                mr = a2a_row_in(mp, m->nb[0], n, bm);
            } else if (m->nb[0] == sizeof(a2a_fp16)) {
                a2a_convert_row(A2A_TYPE_F16, mp, A2A_TYPE_F32, bm, n);
                mr = bm;
            } else {
                for (int64_t i = 0; i < n; i++) {
                    a2a_fp16 h;
                    memcpy(&h, mp + (size_t)i * m->nb[0], sizeof h);
                    bm[i] = a2a_fp16_to_f32(h);
                }
                mr = bm;
            }
        }
        float *dr = a2a_row_out(dp, d->nb[0], bd);
        j->k(n, dr, a2a_row_in(xp, x->nb[0], n, bx), mr, j->scale);
        a2a_row_out_done(dp, d->nb[0], n, dr);
    }
}

/* dst = softmax(scale * x + mask) along ne[0]. */
a2a_status a2a_op_softmax(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                          const a2a_tensor *mask, float scale) {
    if (!dst || !dst->data || !x || !x->data)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "softmax: dst or x is NULL");
    if (dst->type != A2A_TYPE_F32 || x->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "softmax: dst and x must be f32, got %s and %s",
                        a2a_type_name(dst->type), a2a_type_name(x->type));
    char s1[96], s2[96];
    if (!a2a_tensor_same_shape(dst, x))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "softmax: dst %s and x %s differ in shape",
                        a2a_tensor_shape_str(dst, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2));
    if (mask) {
        if (!mask->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "softmax: mask has no data");
        if (mask->type != A2A_TYPE_F32 && mask->type != A2A_TYPE_F16)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "softmax: mask must be f32 or f16, got %s",
                            a2a_type_name(mask->type));
        bool ok = mask->ne[0] == x->ne[0];
        for (int i = 1; i < A2A_MAX_DIMS; i++)
            ok = ok && (mask->ne[i] > 0 ? x->ne[i] % mask->ne[i] == 0 : x->ne[i] == 0);
        if (!ok)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "softmax: mask %s does not broadcast to x %s",
                            a2a_tensor_shape_str(mask, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2));
    }
    if (a2a_tensor_nelements(x) == 0) return A2A_OK;
    softmax_job j = {.k = softmax_kernel(), .dst = dst, .x = x, .mask = mask, .scale = scale};
    a2a_parallel_for(tp, a2a_tensor_nrows(x), a2a_row_grain(x->ne[0]), softmax_rows, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "softmax: out of memory for row scratch");
    return A2A_OK;
}
