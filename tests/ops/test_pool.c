/* Pooling (avg/max, 1-D/2-D, padding, count_include_pad), adaptive average pooling and
   nearest upsampling against double-precision loops written here, with 1 and 2 threads.
   Tolerance: max abs 1e-6 for averages (values in [-1, 1]); max pooling and upsampling are
   exact. */
#include "a2a_test.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/conv.h"

static a2a_test_rng g_rng = {0x5eed5eedull};

static a2a_tensor rand_f32(int64_t n0, int64_t n1, int64_t n2, int64_t n3) {
    const int64_t n = n0 * n1 * n2 * n3;
    float *data = malloc((size_t)n * 4);
    a2a_test_fill(&g_rng, data, (size_t)n, -1.0f, 1.0f);
    return a2a_tensor_make(A2A_TYPE_F32, data, n0, n1, n2, n3);
}

static float at(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    return *(const float *)a2a_tensor_ptr(t, i0, i1, i2, i3, 0);
}

/* PyTorch avg_pool2d / max_pool2d (ceil_mode False) in double for one output element. */
static double oracle_pool(const a2a_tensor *x, const a2a_pool2d_params *p, int64_t ow, int64_t oh, int64_t c, int64_t n) {
    const int64_t W = x->ne[0], H = x->ne[1];
    int64_t hs = oh * p->stride_h - p->pad_h, ws = ow * p->stride_w - p->pad_w;
    int64_t he = A2A_MIN(hs + p->kernel_h, H + p->pad_h), we = A2A_MIN(ws + p->kernel_w, W + p->pad_w);
    const int64_t pool_size = (he - hs) * (we - ws);
    hs = A2A_MAX(hs, 0), ws = A2A_MAX(ws, 0), he = A2A_MIN(he, H), we = A2A_MIN(we, W);
    double acc = p->kind == A2A_POOL_MAX ? -INFINITY : 0.0;
    for (int64_t ih = hs; ih < he; ih++)
        for (int64_t iw = ws; iw < we; iw++) {
            double v = at(x, iw, ih, c, n);
            if (p->kind == A2A_POOL_MAX) acc = v > acc ? v : acc;
            else acc += v;
        }
    if (p->kind == A2A_POOL_MAX) return acc;
    return acc / (double)(p->count_include_pad ? pool_size : (he - hs) * (we - ws));
}

TEST(test_pool2d) {
    /* kind, kw, kh, sw, sh, pw, ph, include_pad */
    const int cases[][8] = {
        {A2A_POOL_AVG, 2, 2, 2, 2, 0, 0, 1}, /* SD downsample-style avg pool */
        {A2A_POOL_AVG, 3, 3, 2, 2, 1, 1, 1}, {A2A_POOL_AVG, 3, 3, 2, 2, 1, 1, 0}, {A2A_POOL_MAX, 3, 3, 2, 2, 1, 1, 0},
        {A2A_POOL_MAX, 2, 3, 1, 2, 1, 0, 0}, {A2A_POOL_AVG, 5, 2, 3, 1, 2, 1, 1}, {A2A_POOL_AVG, 5, 2, 3, 1, 2, 1, 0},
    };
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor x = rand_f32(13, 11, 3, 2);
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        const int *c = cases[ci];
        a2a_pool2d_params p = {(a2a_pool_kind)c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
        int64_t Wo = a2a_conv_out_size(13, c[1], c[3], c[5], 1), Ho = a2a_conv_out_size(11, c[2], c[4], c[6], 1);
        a2a_tensor d = rand_f32(Wo, Ho, 3, 2);
        for (int nt = 1; nt <= 2; nt++) {
            a2a_threadpool *tp;
            CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
            CHECK_MSG(a2a_op_pool2d(ctx, tp, &d, &x, &p) == A2A_OK, "%s", a2a_last_error(ctx));
            double worst = 0;
            for (int64_t n = 0; n < 2; n++)
                for (int64_t ch = 0; ch < 3; ch++)
                    for (int64_t oh = 0; oh < Ho; oh++)
                        for (int64_t ow = 0; ow < Wo; ow++) {
                            double e = fabs(at(&d, ow, oh, ch, n) - oracle_pool(&x, &p, ow, oh, ch, n));
                            if (e > worst || e != e) worst = e != e ? INFINITY : e;
                        }
            CHECK_MSG(worst < (c[0] == A2A_POOL_MAX ? 1e-12 : 1e-6), "pool2d case %zu: max abs %g", ci, worst);
            a2a_threadpool_free(tp);
        }
        free(d.data);
    }
    free(x.data);
    a2a_ctx_free(ctx);
}

TEST(test_pool1d) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor x = rand_f32(29, 4, 2, 1);
    for (int kind = 0; kind <= 1; kind++) {
        const int k = 4, s = 3, pd = 2;
        int64_t Lo = a2a_conv_out_size(29, k, s, pd, 1);
        a2a_tensor d = rand_f32(Lo, 4, 2, 1);
        d.n_dims = 3;
        CHECK(a2a_op_pool1d(ctx, NULL, &d, &x, (a2a_pool_kind)kind, k, s, pd, 1) == A2A_OK);
        a2a_pool2d_params p = {(a2a_pool_kind)kind, k, 1, s, 1, pd, 0, 1};
        /* oracle through the 2-D oracle on the [L, 1, C, N] view */
        a2a_tensor x4 = a2a_tensor_make(A2A_TYPE_F32, x.data, 29, 1, 4, 2);
        double worst = 0;
        for (int64_t n = 0; n < 2; n++)
            for (int64_t c = 0; c < 4; c++)
                for (int64_t l = 0; l < Lo; l++) worst = fmax(worst, fabs(at(&d, l, c, n, 0) - oracle_pool(&x4, &p, l, 0, c, n)));
        CHECK_MSG(worst < 1e-6, "pool1d kind %d: %g", kind, worst);
        free(d.data);
    }
    free(x.data);
    a2a_ctx_free(ctx);
}

TEST(test_upsample_nearest) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor x = rand_f32(7, 5, 3, 2);
    const int scales[][2] = {{2, 2}, {3, 1}, {1, 4}};
    for (size_t si = 0; si < 3; si++) {
        const int sw = scales[si][0], sh = scales[si][1];
        a2a_tensor d = rand_f32(7 * sw, 5 * sh, 3, 2);
        for (int nt = 1; nt <= 2; nt++) {
            a2a_threadpool *tp;
            CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
            CHECK(a2a_op_upsample_nearest2d(ctx, tp, &d, &x, sw, sh) == A2A_OK);
            int bad = 0;
            for (int64_t n = 0; n < 2; n++)
                for (int64_t c = 0; c < 3; c++)
                    for (int64_t h = 0; h < 5 * sh; h++)
                        for (int64_t w = 0; w < 7 * sw; w++) bad += at(&d, w, h, c, n) != at(&x, w / sw, h / sh, c, n);
            CHECK_EQ_INT(bad, 0);
            a2a_threadpool_free(tp);
        }
        free(d.data);
    }
    /* strided (transposed) input view */
    a2a_tensor xt = a2a_tensor_transpose(&x); /* [5, 7, 3, 2] */
    a2a_tensor d = rand_f32(10, 14, 3, 2);
    CHECK(a2a_op_upsample_nearest2d(ctx, NULL, &d, &xt, 2, 2) == A2A_OK);
    CHECK(at(&d, 9, 13, 2, 1) == at(&x, 6, 4, 2, 1));
    CHECK(a2a_op_upsample_nearest2d(ctx, NULL, &d, &xt, 2, 3) == A2A_ERR_SHAPE);
    CHECK(a2a_op_upsample_nearest2d(ctx, NULL, &d, &xt, 0, 2) == A2A_ERR_INVALID_ARG);
    free(d.data), free(x.data);
    a2a_ctx_free(ctx);
}

TEST(test_adaptive_avg_pool) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor x = rand_f32(10, 7, 2, 1);
    const int64_t outs[][2] = {{1, 1}, {3, 3}, {10, 7}, {4, 5}};
    for (size_t oi = 0; oi < 4; oi++) {
        const int64_t Wo = outs[oi][0], Ho = outs[oi][1];
        a2a_tensor d = rand_f32(Wo, Ho, 2, 1);
        CHECK(a2a_op_adaptive_avg_pool2d(ctx, NULL, &d, &x) == A2A_OK);
        double worst = 0;
        for (int64_t c = 0; c < 2; c++)
            for (int64_t oh = 0; oh < Ho; oh++)
                for (int64_t ow = 0; ow < Wo; ow++) {
                    /* PyTorch: start = floor(i*in/out), end = ceil((i+1)*in/out) */
                    int64_t h0 = (int64_t)floor((double)oh * 7 / Ho), h1 = (int64_t)ceil((double)(oh + 1) * 7 / Ho);
                    int64_t w0 = (int64_t)floor((double)ow * 10 / Wo), w1 = (int64_t)ceil((double)(ow + 1) * 10 / Wo);
                    double s = 0;
                    for (int64_t h = h0; h < h1; h++)
                        for (int64_t w = w0; w < w1; w++) s += at(&x, w, h, c, 0);
                    worst = fmax(worst, fabs(at(&d, ow, oh, c, 0) - s / (double)((h1 - h0) * (w1 - w0))));
                }
        CHECK_MSG(worst < 1e-6, "adaptive %zu: %g", oi, worst);
        free(d.data);
    }
    free(x.data);
    a2a_ctx_free(ctx);
}

TEST(test_pool_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor x = rand_f32(5, 5, 2, 1), d = rand_f32(2, 2, 2, 1);
    a2a_pool2d_params p = {A2A_POOL_MAX, 2, 2, 2, 2, 0, 0, 1};
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_OK);
    p.stride_w = 0;
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_ERR_INVALID_ARG);
    p.stride_w = 2, p.pad_w = 2; /* pad > kernel/2 */
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_ERR_INVALID_ARG);
    p.pad_w = 0, p.kernel_w = 7, p.kernel_h = 7; /* larger than the input */
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "pool2d") != NULL);
    p.kernel_w = 3, p.kernel_h = 3; /* output 2x2 fits; 1x1 stride gives 3x3 */
    p.stride_w = p.stride_h = 1;
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_ERR_SHAPE);
    p.kind = (a2a_pool_kind)7;
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, &p) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_op_pool2d(ctx, NULL, &d, &x, NULL) == A2A_ERR_INVALID_ARG);
    a2a_tensor d3 = rand_f32(2, 2, 3, 1); /* channel mismatch */
    CHECK(a2a_op_adaptive_avg_pool2d(ctx, NULL, &d3, &x) == A2A_ERR_SHAPE);
    free(x.data), free(d.data), free(d3.data);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_pool2d, test_pool1d, test_upsample_nearest, test_adaptive_avg_pool, test_pool_errors)
