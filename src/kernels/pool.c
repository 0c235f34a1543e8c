/* Pooling (average / max, 1-D and 2-D), adaptive average pooling and nearest-neighbour
   upsampling. The work is split over (channel, batch) planes; the per-plane loops are the
   reference kernels in ref/pool_ref.c (these ops are memory-bound and rare in the models). */
#include "kernels/conv.h"

#include <string.h>

/* Check that x and dst are F32 tensors of at most 4 dims with equal C and N. */
static a2a_status check_planes(a2a_ctx *ctx, const char *op, const a2a_tensor *dst, const a2a_tensor *x) {
    if (!dst || !x) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: NULL tensor", op);
    if (x->type != A2A_TYPE_F32 || dst->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: x and dst must be F32", op);
    if (x->ne[4] != 1 || dst->ne[4] != 1) return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: at most 4 dims", op);
    if (x->ne[2] != dst->ne[2] || x->ne[3] != dst->ne[3])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: channels/batch of dst [%lld, %lld] differ from x [%lld, %lld]", op,
                        (long long)dst->ne[2], (long long)dst->ne[3], (long long)x->ne[2], (long long)x->ne[3]);
    if (a2a_tensor_nelements(x) == 0) return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: empty input", op);
    return A2A_OK;
}

typedef struct pool_job {
    a2a_tensor *dst;
    const a2a_tensor *x;
    const a2a_pool2d_params *p;
    int sw, sh;
} pool_job;

static void pool_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const pool_job *j = arg;
    a2a_ref_pool2d(j->dst, j->x, j->p, i0, i1);
}

a2a_status a2a_op_pool2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                         const a2a_pool2d_params *p) {
    static const char op[] = "pool2d";
    a2a_status st = check_planes(ctx, op, dst, x);
    if (st != A2A_OK) return st;
    if (!p) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: NULL params", op);
    if (p->kind != A2A_POOL_AVG && p->kind != A2A_POOL_MAX)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: unknown pool kind %d", op, (int)p->kind);
    if (p->kernel_w < 1 || p->kernel_h < 1 || p->stride_w < 1 || p->stride_h < 1 || p->pad_w < 0 || p->pad_h < 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: kernel %dx%d, stride %dx%d, pad %dx%d invalid", op, p->kernel_w,
                        p->kernel_h, p->stride_w, p->stride_h, p->pad_w, p->pad_h);
    if (p->pad_w > p->kernel_w / 2 || p->pad_h > p->kernel_h / 2)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: padding %dx%d must be at most half the kernel %dx%d", op, p->pad_w,
                        p->pad_h, p->kernel_w, p->kernel_h);
    const int64_t wo = a2a_conv_out_size(x->ne[0], p->kernel_w, p->stride_w, p->pad_w, 1);
    const int64_t ho = a2a_conv_out_size(x->ne[1], p->kernel_h, p->stride_h, p->pad_h, 1);
    if (wo < 1 || ho < 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: kernel %dx%d larger than padded input %lldx%lld", op, p->kernel_w,
                        p->kernel_h, (long long)x->ne[0], (long long)x->ne[1]);
    if (dst->ne[0] != wo || dst->ne[1] != ho)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst is %lldx%lld, expected %lldx%lld", op, (long long)dst->ne[0],
                        (long long)dst->ne[1], (long long)wo, (long long)ho);
    pool_job j = {.dst = dst, .x = x, .p = p};
    a2a_parallel_for(tp, x->ne[2] * x->ne[3], 1, pool_task, &j);
    return A2A_OK;
}

a2a_status a2a_op_pool1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, a2a_pool_kind kind,
                         int kernel, int stride, int pad, int count_include_pad) {
    if (!dst || !x) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "pool1d: NULL tensor");
    if (x->ne[3] != 1 || x->ne[4] != 1 || dst->ne[3] != 1 || dst->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "pool1d: x and dst must have at most 3 dims");
    /* [L, C, N] -> [L, 1, C, N] */
    a2a_tensor x4 = *x, d4 = *dst;
    x4.ne[3] = x->ne[2], x4.nb[3] = x->nb[2], x4.ne[2] = x->ne[1], x4.nb[2] = x->nb[1], x4.ne[1] = 1, x4.n_dims = 4;
    d4.ne[3] = dst->ne[2], d4.nb[3] = dst->nb[2], d4.ne[2] = dst->ne[1], d4.nb[2] = dst->nb[1], d4.ne[1] = 1, d4.n_dims = 4;
    const a2a_pool2d_params p = {kind, kernel, 1, stride, 1, pad, 0, count_include_pad};
    return a2a_op_pool2d(ctx, tp, &d4, &x4, &p);
}

/* Nearest upsampling of planes [i0, i1). */
static void upsample_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const pool_job *j = arg;
    const a2a_tensor *x = j->x, *d = j->dst;
    const int64_t C = x->ne[2];
    for (int64_t pl = i0; pl < i1; pl++) {
        const int64_t c = pl % C, n = pl / C;
        const char *src = (const char *)x->data + (size_t)c * x->nb[2] + (size_t)n * x->nb[3];
        char *out = (char *)d->data + (size_t)c * d->nb[2] + (size_t)n * d->nb[3];
        for (int64_t oh = 0; oh < d->ne[1]; oh++) {
            const char *srow = src + (size_t)(oh / j->sh) * x->nb[1];
            char *orow = out + (size_t)oh * d->nb[1];
            if (j->sw == 2 && x->nb[0] == 4 && d->nb[0] == 4) {
                const float *s = (const float *)srow;
                float *o = (float *)orow;
                for (int64_t iw = 0; iw < x->ne[0]; iw++) o[2 * iw] = o[2 * iw + 1] = s[iw];
            } else {
                for (int64_t ow = 0; ow < d->ne[0]; ow++)
                    *(float *)(orow + (size_t)ow * d->nb[0]) = *(const float *)(srow + (size_t)(ow / j->sw) * x->nb[0]);
            }
        }
    }
}

a2a_status a2a_op_upsample_nearest2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                                     int scale_w, int scale_h) {
    static const char op[] = "upsample_nearest2d";
    a2a_status st = check_planes(ctx, op, dst, x);
    if (st != A2A_OK) return st;
    if (scale_w < 1 || scale_h < 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: scale %dx%d must be >= 1", op, scale_w, scale_h);
    int64_t wo, ho;
    if (!a2a_mul_i64_ok(x->ne[0], scale_w, &wo) || !a2a_mul_i64_ok(x->ne[1], scale_h, &ho) || dst->ne[0] != wo ||
        dst->ne[1] != ho)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst is %lldx%lld, expected %lldx%d by %lldx%d", op, (long long)dst->ne[0],
                        (long long)dst->ne[1], (long long)x->ne[0], scale_w, (long long)x->ne[1], scale_h);
    pool_job j = {.dst = dst, .x = x, .sw = scale_w, .sh = scale_h};
    a2a_parallel_for(tp, x->ne[2] * x->ne[3], 1, upsample_task, &j);
    return A2A_OK;
}

/* Adaptive average pooling of planes [i0, i1). */
static void adaptive_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const pool_job *j = arg;
    const a2a_tensor *x = j->x, *d = j->dst;
    const int64_t C = x->ne[2], W = x->ne[0], H = x->ne[1], Wo = d->ne[0], Ho = d->ne[1];
    for (int64_t pl = i0; pl < i1; pl++) {
        const int64_t c = pl % C, n = pl / C;
        const char *src = (const char *)x->data + (size_t)c * x->nb[2] + (size_t)n * x->nb[3];
        char *out = (char *)d->data + (size_t)c * d->nb[2] + (size_t)n * d->nb[3];
        for (int64_t oh = 0; oh < Ho; oh++) {
            const int64_t h0 = oh * H / Ho, h1 = ((oh + 1) * H + Ho - 1) / Ho;
            for (int64_t ow = 0; ow < Wo; ow++) {
                const int64_t w0 = ow * W / Wo, w1 = ((ow + 1) * W + Wo - 1) / Wo;
                float s = 0.0f;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++)
                        s += *(const float *)(src + (size_t)ih * x->nb[1] + (size_t)iw * x->nb[0]);
                *(float *)(out + (size_t)oh * d->nb[1] + (size_t)ow * d->nb[0]) = s / (float)((h1 - h0) * (w1 - w0));
            }
        }
    }
}

a2a_status a2a_op_adaptive_avg_pool2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    static const char op[] = "adaptive_avg_pool2d";
    a2a_status st = check_planes(ctx, op, dst, x);
    if (st != A2A_OK) return st;
    if (dst->ne[0] < 1 || dst->ne[1] < 1) return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: empty output", op);
    if (x->ne[0] > INT32_MAX || x->ne[1] > INT32_MAX || dst->ne[0] > INT32_MAX || dst->ne[1] > INT32_MAX)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: spatial size too large", op);
    pool_job j = {.dst = dst, .x = x};
    a2a_parallel_for(tp, x->ne[2] * x->ne[3], 1, adaptive_task, &j);
    return A2A_OK;
}
