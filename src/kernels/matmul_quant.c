/* Matrix product with block-quantized weights: activations are quantized once to the
   weight type's vec_dot type, then weight rows are split across threads. Within a thread,
   weight rows are taken in small panels that stay in cache while every activation row is
   multiplied with them, so prefill (M > 1) reads each weight from memory once. */
#include "kernels/matmul_quant.h"

#include "core/cpu.h"
#include "core/scratch.h"
#include "kernels/quant.h"

/* Scratch slot holding the quantized activations (shared with the pool's workers). */
#define MMQ_SCRATCH_SLOT 1

typedef struct {
    const a2a_tensor *w, *x;
    a2a_tensor *dst;
    a2a_type vdtype;
    a2a_kernel_level lvl;
    a2a_vec_dot_fn dot;
    a2a_vec_dot_multi_fn multi; /* NULL: call dot per activation row */
    char *xq;         /* quantized activations: row r = (m, b2, b3) at xq + r * xq_rb */
    size_t xq_rb;     /* bytes of one quantized activation row */
    int64_t K, N, M, B2, B3;
    int64_t r2, r3;   /* broadcast ratios B2 / B2w, B3 / B3w */
    int64_t panel;    /* weight rows per cache panel */
} mmq_job;

/* Quantize activation rows [i0, i1) (flat index over M, B2, B3) into job->xq. */
static void mmq_quantize_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const mmq_job *j = arg;
    for (int64_t r = i0; r < i1; r++) {
        const int64_t m = r % j->M, b2 = (r / j->M) % j->B2, b3 = r / (j->M * j->B2);
        const float *src = (const float *)((const char *)j->x->data + (size_t)m * j->x->nb[1] + (size_t)b2 * j->x->nb[2] +
                                           (size_t)b3 * j->x->nb[3]);
        a2a_quantize_row_act(j->vdtype, src, j->xq + (size_t)r * j->xq_rb, j->K, j->lvl);
    }
}

/* Compute outputs for flat weight-row indices [i0, i1) over (n, b2, b3): every activation
   row m of the batch, panel by panel of weight rows. */
static void mmq_dot_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const mmq_job *j = arg;
    int64_t i = i0;
    while (i < i1) {
        const int64_t n0 = i % j->N, b = i / j->N;
        const int64_t b2 = b % j->B2, b3 = b / j->B2;
        int64_t n1 = A2A_MIN(j->N, n0 + (i1 - i));
        n1 = A2A_MIN(n1, n0 + j->panel);
        const char *wbase = (const char *)j->w->data + (size_t)(b2 / j->r2) * j->w->nb[2] + (size_t)(b3 / j->r3) * j->w->nb[3];
        char *dbase = (char *)j->dst->data + (size_t)b2 * j->dst->nb[2] + (size_t)b3 * j->dst->nb[3];
        const char *xbase = j->xq + (size_t)((b3 * j->B2 + b2) * j->M) * j->xq_rb;
        if (j->multi && j->M > 1) {
            /* 4 activation rows per weight-row unpack; results equal the single-row kernel's */
            for (int64_t m = 0; m < j->M; m += 4) {
                const int nx = (int)A2A_MIN(4, j->M - m);
                const char *xr = xbase + (size_t)m * j->xq_rb;
                for (int64_t n = n0; n < n1; n++) {
                    float s4[4];
                    j->multi(j->K, s4, wbase + (size_t)n * j->w->nb[1], xr, j->xq_rb, nx);
                    for (int r = 0; r < nx; r++) ((float *)(dbase + (size_t)(m + r) * j->dst->nb[1]))[n] = s4[r];
                }
            }
        } else {
            for (int64_t m = 0; m < j->M; m++) {
                const char *xr = xbase + (size_t)m * j->xq_rb;
                float *drow = (float *)(dbase + (size_t)m * j->dst->nb[1]);
                for (int64_t n = n0; n < n1; n++) j->dot(j->K, &drow[n], wbase + (size_t)n * j->w->nb[1], xr);
            }
        }
        i += n1 - n0;
    }
}

/* Validate shapes/types; on success fill the sizes of job. */
static a2a_status mmq_check(a2a_ctx *ctx, const a2a_tensor *dst, const a2a_tensor *w, const a2a_tensor *x, mmq_job *j) {
    char sw[96], sx[96], sd[96];
    a2a_tensor_shape_str(w, sw, sizeof sw);
    a2a_tensor_shape_str(x, sx, sizeof sx);
    a2a_tensor_shape_str(dst, sd, sizeof sd);
    const a2a_type vd = a2a_vec_dot_type(w->type);
    if (vd == A2A_TYPE_COUNT || vd == A2A_TYPE_F32 || !a2a_vec_dot_get(w->type, A2A_LEVEL_REF))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "matmul_quant: weight type %s has no quantized dot product",
                        a2a_type_name(w->type));
    if (x->type != A2A_TYPE_F32 || dst->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: x and dst must be f32 (x %s, dst %s)", a2a_type_name(x->type),
                        a2a_type_name(dst->type));
    const a2a_type_traits *tr = a2a_type_info(w->type);
    if (w->nb[0] != tr->size || x->nb[0] != sizeof(float) || dst->nb[0] != sizeof(float))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: rows of w %s, x %s and dst %s must be contiguous", sw, sx, sd);
    if (w->ne[4] != 1 || x->ne[4] != 1 || dst->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: 5-d tensors not supported (w %s, x %s, dst %s)", sw, sx, sd);
    const int64_t K = w->ne[0];
    if (x->ne[0] != K || K % tr->blck != 0 || K % a2a_type_info(vd)->blck != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE,
                        "matmul_quant: inner dims differ or are not a multiple of the block size %lld (w %s, x %s)",
                        (long long)tr->blck, sw, sx);
    if (dst->ne[0] != w->ne[1] || dst->ne[1] != x->ne[1] || dst->ne[2] != x->ne[2] || dst->ne[3] != x->ne[3])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: dst %s must be [N=%lld, M, B2, B3] of x %s", sd,
                        (long long)w->ne[1], sx);
    if (w->ne[2] <= 0 || w->ne[3] <= 0 || x->ne[2] % w->ne[2] != 0 || x->ne[3] % w->ne[3] != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: weight batch dims of w %s do not broadcast to x %s", sw, sx);
    j->vdtype = vd;
    j->K = K;
    j->N = w->ne[1];
    j->M = x->ne[1];
    j->B2 = x->ne[2];
    j->B3 = x->ne[3];
    j->r2 = x->ne[2] / w->ne[2];
    j->r3 = x->ne[3] / w->ne[3];
    return A2A_OK;
}

/* Contract in kernels/matmul_quant.h. */
a2a_status a2a_matmul_quant(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w, const a2a_tensor *x) {
    mmq_job j = {.w = w, .x = x, .dst = dst};
    a2a_status st = mmq_check(ctx, dst, w, x, &j);
    if (st != A2A_OK) return st;
    if (j.N == 0 || j.M == 0 || j.B2 == 0 || j.B3 == 0) return A2A_OK;

    j.lvl = a2a_kernel_level_get();
    j.dot = a2a_vec_dot_get(w->type, j.lvl);
    j.multi = a2a_vec_dot_multi_get(w->type, j.lvl);
    int64_t rows;
    size_t bytes;
    if (!a2a_row_size(j.vdtype, j.K, &j.xq_rb) || !a2a_mul_i64_ok(j.M, j.B2, &rows) || !a2a_mul_i64_ok(rows, j.B3, &rows) ||
        !a2a_mul_ok((size_t)rows, j.xq_rb, &bytes))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "matmul_quant: activation buffer size overflows");
    j.xq = a2a_scratch(MMQ_SCRATCH_SLOT, bytes);
    if (!j.xq) return a2a_fail(ctx, A2A_ERR_NOMEM, "matmul_quant: cannot allocate %zu bytes of scratch", bytes);

    /* at least ~16K values per chunk: a waking worker costs more than quantizing a short row */
    a2a_parallel_for(tp, rows, A2A_MAX(1, 16384 / j.K), mmq_quantize_task, &j);

    /* panel: enough weight rows for ~32 KiB, so they stay in L1/L2 across the M rows */
    size_t wrb;
    a2a_row_size(w->type, j.K, &wrb);
    j.panel = A2A_MAX(1, A2A_MIN(64, (int64_t)(32768 / (wrb ? wrb : 1))));
    int64_t total;
    if (!a2a_mul_i64_ok(j.N, j.B2 * j.B3, &total)) return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul_quant: too many outputs");
    a2a_parallel_for(tp, total, j.M > 1 ? j.panel : 16, mmq_dot_task, &j);
    return A2A_OK;
}
