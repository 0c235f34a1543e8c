/* Convolutions (conv1d/2d/3d, conv_transpose1d) against a double-precision direct loop written
   here, over every kernel level and 1/2 threads (conv2d results must also be bit-identical
   across thread counts). Tolerance: normalized MSE < 1e-10 (F32 accumulation vs double; F16
   weights are rounded the same way in the oracle). */
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/conv.h"

#define NMSE_TOL 1e-10

static a2a_test_rng g_rng = {0x1234567ull};

/* A tensor of `type` with fresh random contents in [-1, 1); caller frees t.data. */
static a2a_tensor rand_tensor(a2a_type type, int n_dims, const int64_t *ne) {
    a2a_tensor t;
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++) n *= ne[i];
    void *data = malloc((size_t)n * 4 + 64);
    CHECK(a2a_tensor_init(&t, type, n_dims, ne, data));
    for (int64_t i = 0; i < n; i++) {
        float v = a2a_test_uniform(&g_rng, -1.0f, 1.0f);
        if (type == A2A_TYPE_F16) ((a2a_fp16 *)data)[i] = a2a_f32_to_fp16(v);
        else ((float *)data)[i] = v;
    }
    return t;
}

/* Value of element i (flat, contiguous) of an F32/F16 tensor. */
static double val(const a2a_tensor *t, int64_t i) {
    return t->type == A2A_TYPE_F16 ? a2a_fp16_to_f32(((const a2a_fp16 *)t->data)[i]) : ((const float *)t->data)[i];
}

/* Oracle: 3-D convolution in double, contiguous x [W,H,T,Cin,N], w [KW,KH,KT,Cin/g,Cout]. */
static void oracle_conv3d(float *out, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b, const int64_t in[3],
                          const int64_t k[3], const int64_t o[3], const int s[3], const int p[3], const int d[3],
                          int64_t cin, int64_t cout, int64_t N, int groups) {
    const int64_t cig = cin / groups, cog = cout / groups;
    for (int64_t n = 0; n < N; n++)
        for (int64_t co = 0; co < cout; co++)
            for (int64_t ot = 0; ot < o[2]; ot++)
                for (int64_t oh = 0; oh < o[1]; oh++)
                    for (int64_t ow = 0; ow < o[0]; ow++) {
                        double acc = b ? val(b, co) : 0.0;
                        for (int64_t ci = 0; ci < cig; ci++)
                            for (int64_t kt = 0; kt < k[2]; kt++)
                                for (int64_t kh = 0; kh < k[1]; kh++)
                                    for (int64_t kw = 0; kw < k[0]; kw++) {
                                        int64_t it = ot * s[2] - p[2] + kt * d[2], ih = oh * s[1] - p[1] + kh * d[1];
                                        int64_t iw = ow * s[0] - p[0] + kw * d[0];
                                        if (it < 0 || it >= in[2] || ih < 0 || ih >= in[1] || iw < 0 || iw >= in[0]) continue;
                                        int64_t c = (co / cog) * cig + ci;
                                        acc += val(x, (((n * cin + c) * in[2] + it) * in[1] + ih) * in[0] + iw) *
                                               val(w, (((co * cig + ci) * k[2] + kt) * k[1] + kh) * k[0] + kw);
                                    }
                        out[(((n * cout + co) * o[2] + ot) * o[1] + oh) * o[0] + ow] = (float)acc;
                    }
}

static const a2a_kernel_level k_levels[] = {A2A_LEVEL_REF, A2A_LEVEL_AVX2, A2A_LEVEL_AVX512};

typedef struct conv2d_case {
    int64_t W, H, cin, cout, N, KW, KH;
    int sw, sh, pw, ph, dw, dh, groups, f16, bias;
} conv2d_case;

TEST(test_conv2d) {
    const conv2d_case cases[] = {
        {9, 7, 5, 6, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 1},     /* 3x3 pad 1, batch 2 */
        {13, 11, 8, 12, 1, 3, 3, 2, 2, 1, 1, 1, 1, 1, 0, 1},  /* stride-2 downsample */
        {10, 6, 16, 7, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0},   /* 1x1 */
        {12, 9, 6, 6, 2, 3, 2, 1, 2, 2, 1, 2, 1, 1, 1, 1},    /* dilation, asymmetric, F16 */
        {8, 8, 12, 12, 1, 3, 3, 1, 1, 1, 1, 1, 1, 12, 0, 1},  /* depthwise */
        {7, 9, 16, 8, 2, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 1},    /* groups 2 through im2col, F16 */
        {11, 5, 6, 9, 1, 5, 3, 3, 1, 2, 0, 1, 1, 3, 0, 1},    /* groups 3 (direct), stride 3 */
        {33, 17, 20, 24, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 0, 1}, /* larger */
    };
    a2a_ctx *ctx = a2a_ctx_new();
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        const conv2d_case *c = &cases[ci];
        int64_t xne[4] = {c->W, c->H, c->cin, c->N}, wne[4] = {c->KW, c->KH, c->cin / c->groups, c->cout};
        int64_t bne[1] = {c->cout};
        a2a_tensor x = rand_tensor(A2A_TYPE_F32, 4, xne), w = rand_tensor(c->f16 ? A2A_TYPE_F16 : A2A_TYPE_F32, 4, wne);
        a2a_tensor b = rand_tensor(A2A_TYPE_F32, 1, bne);
        int64_t Wo = a2a_conv_out_size(c->W, c->KW, c->sw, c->pw, c->dw), Ho = a2a_conv_out_size(c->H, c->KH, c->sh, c->ph, c->dh);
        CHECK(Wo > 0 && Ho > 0);
        int64_t dne[4] = {Wo, Ho, c->cout, c->N};
        a2a_tensor dst = rand_tensor(A2A_TYPE_F32, 4, dne);
        size_t nout = (size_t)(Wo * Ho * c->cout * c->N);
        float *want = malloc(nout * 4), *first = malloc(nout * 4);
        const int64_t in3[3] = {c->W, c->H, 1}, k3[3] = {c->KW, c->KH, 1}, o3[3] = {Wo, Ho, 1};
        const int s3[3] = {c->sw, c->sh, 1}, p3[3] = {c->pw, c->ph, 0}, d3[3] = {c->dw, c->dh, 1};
        oracle_conv3d(want, &x, &w, c->bias ? &b : NULL, in3, k3, o3, s3, p3, d3, c->cin, c->cout, c->N, c->groups);
        a2a_conv2d_params p = a2a_conv2d_default_params();
        p.stride_w = c->sw, p.stride_h = c->sh, p.pad_w = c->pw, p.pad_h = c->ph, p.dil_w = c->dw, p.dil_h = c->dh;
        p.groups = c->groups;
        for (size_t li = 0; li < 3; li++) {
            if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
            for (int nt = 1; nt <= 2; nt++) {
                a2a_threadpool *tp = NULL;
                CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
                memset(dst.data, 0xff, nout * 4); /* NaN garbage */
                a2a_status st = a2a_op_conv2d(ctx, tp, &dst, &x, &w, c->bias ? &b : NULL, &p);
                CHECK_MSG(st == A2A_OK, "case %zu: %s", ci, a2a_last_error(ctx));
                double e = a2a_test_nmse(dst.data, want, nout);
                CHECK_MSG(e < NMSE_TOL, "conv2d case %zu level %s threads %d: nmse %g", ci,
                          a2a_kernel_level_name(k_levels[li]), nt, e);
                if (nt == 1) memcpy(first, dst.data, nout * 4);
                else CHECK_MSG(memcmp(first, dst.data, nout * 4) == 0, "conv2d case %zu: thread count changes the result", ci);
                a2a_threadpool_free(tp);
            }
        }
        a2a_kernel_level_set(a2a_kernel_level_max());
        free(x.data), free(w.data), free(b.data), free(dst.data), free(want), free(first);
    }
    a2a_ctx_free(ctx);
}

/* Non-contiguous input (a window of a larger tensor) and output (a permuted buffer). */
TEST(test_conv2d_views) {
    a2a_ctx *ctx = a2a_ctx_new();
    int64_t bigne[4] = {15, 12, 7, 2};
    a2a_tensor big = rand_tensor(A2A_TYPE_F32, 4, bigne);
    int64_t vne[4] = {11, 9, 5, 2}, voff[4] = {2, 1, 1, 0};
    a2a_tensor x = a2a_tensor_view(&big, 4, vne, voff);
    /* contiguous copy of the view for the oracle */
    int64_t xne[4] = {11, 9, 5, 2};
    a2a_tensor xc = rand_tensor(A2A_TYPE_F32, 4, xne);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 5; c++)
            for (int64_t h = 0; h < 9; h++)
                for (int64_t ww = 0; ww < 11; ww++)
                    ((float *)xc.data)[((n * 5 + c) * 9 + h) * 11 + ww] = *(float *)a2a_tensor_ptr(&x, ww, h, c, n, 0);
    int64_t wne[4] = {3, 3, 5, 4}, bne[1] = {4};
    a2a_tensor w = rand_tensor(A2A_TYPE_F32, 4, wne), b = rand_tensor(A2A_TYPE_F32, 1, bne);
    /* dst stored as [C, W, H, N] memory, viewed as [W, H, C, N] */
    int64_t sne[4] = {4, 11, 9, 2};
    a2a_tensor store = rand_tensor(A2A_TYPE_F32, 4, sne);
    const int perm[5] = {1, 2, 0, 3, 4};
    a2a_tensor dst = a2a_tensor_permute(&store, perm);
    CHECK(dst.ne[0] == 11 && dst.ne[1] == 9 && dst.ne[2] == 4);
    float *want = malloc(11 * 9 * 4 * 2 * 4), *got = malloc(11 * 9 * 4 * 2 * 4);
    const int64_t in3[3] = {11, 9, 1}, k3[3] = {3, 3, 1}, o3[3] = {11, 9, 1};
    const int s3[3] = {1, 1, 1}, p3[3] = {1, 1, 0}, d3[3] = {1, 1, 1};
    oracle_conv3d(want, &xc, &w, &b, in3, k3, o3, s3, p3, d3, 5, 4, 2, 1);
    a2a_conv2d_params p = a2a_conv2d_default_params();
    p.pad_w = p.pad_h = 1;
    CHECK(a2a_op_conv2d(ctx, NULL, &dst, &x, &w, &b, &p) == A2A_OK);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 4; c++)
            for (int64_t h = 0; h < 9; h++)
                for (int64_t ww = 0; ww < 11; ww++)
                    got[((n * 4 + c) * 9 + h) * 11 + ww] = *(float *)a2a_tensor_ptr(&dst, ww, h, c, n, 0);
    CHECK(a2a_test_nmse(got, want, 11 * 9 * 4 * 2) < NMSE_TOL);
    /* 1x1 (pointwise path: input planes used in place) into the permuted dst */
    int64_t w1ne[4] = {1, 1, 5, 4};
    a2a_tensor w1 = rand_tensor(A2A_TYPE_F32, 4, w1ne);
    const int64_t k1[3] = {1, 1, 1};
    const int p0[3] = {0, 0, 0};
    oracle_conv3d(want, &xc, &w1, &b, in3, k1, o3, s3, p0, d3, 5, 4, 2, 1);
    CHECK(a2a_op_conv2d(ctx, NULL, &dst, &xc, &w1, &b, NULL) == A2A_OK);
    for (int64_t n = 0; n < 2; n++)
        for (int64_t c = 0; c < 4; c++)
            for (int64_t h = 0; h < 9; h++)
                for (int64_t ww = 0; ww < 11; ww++)
                    got[((n * 4 + c) * 9 + h) * 11 + ww] = *(float *)a2a_tensor_ptr(&dst, ww, h, c, n, 0);
    CHECK(a2a_test_nmse(got, want, 11 * 9 * 4 * 2) < NMSE_TOL);
    free(w1.data);
    free(big.data), free(xc.data), free(w.data), free(b.data), free(store.data), free(want), free(got);
    a2a_ctx_free(ctx);
}

TEST(test_conv1d) {
    /* L, cin, cout, N, K, stride, pad, dil, groups, f16 */
    const int64_t cases[][10] = {
        {37, 6, 5, 2, 3, 1, 1, 1, 1, 0},  {40, 8, 8, 1, 7, 2, 3, 1, 1, 1}, {29, 4, 6, 2, 3, 1, 2, 2, 2, 0},
        {50, 10, 10, 1, 5, 1, 2, 1, 10, 0}, /* depthwise */
        {64, 16, 4, 1, 1, 1, 0, 1, 1, 1},  {21, 3, 7, 1, 11, 1, 5, 3, 1, 0},
    };
    a2a_ctx *ctx = a2a_ctx_new();
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        const int64_t *c = cases[ci];
        int64_t L = c[0], cin = c[1], cout = c[2], N = c[3], K = c[4];
        int s = (int)c[5], pd = (int)c[6], dl = (int)c[7], g = (int)c[8];
        int64_t xne[3] = {L, cin, N}, wne[3] = {K, cin / g, cout}, bne[1] = {cout};
        a2a_tensor x = rand_tensor(A2A_TYPE_F32, 3, xne), w = rand_tensor(c[9] ? A2A_TYPE_F16 : A2A_TYPE_F32, 3, wne);
        a2a_tensor b = rand_tensor(A2A_TYPE_F16, 1, bne); /* F16 bias too */
        int64_t Lo = a2a_conv_out_size(L, K, s, pd, dl);
        int64_t dne[3] = {Lo, cout, N};
        a2a_tensor dst = rand_tensor(A2A_TYPE_F32, 3, dne);
        size_t nout = (size_t)(Lo * cout * N);
        float *want = malloc(nout * 4);
        const int64_t in3[3] = {L, 1, 1}, k3[3] = {K, 1, 1}, o3[3] = {Lo, 1, 1};
        const int s3[3] = {s, 1, 1}, p3[3] = {pd, 0, 0}, d3[3] = {dl, 1, 1};
        oracle_conv3d(want, &x, &w, &b, in3, k3, o3, s3, p3, d3, cin, cout, N, g);
        for (size_t li = 0; li < 3; li++) {
            if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
            for (int nt = 1; nt <= 2; nt++) {
                a2a_threadpool *tp = NULL;
                CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
                CHECK(a2a_op_conv1d(ctx, tp, &dst, &x, &w, &b, s, pd, dl, g) == A2A_OK);
                double e = a2a_test_nmse(dst.data, want, nout);
                CHECK_MSG(e < NMSE_TOL, "conv1d case %zu level %zu threads %d: nmse %g", ci, li, nt, e);
                a2a_threadpool_free(tp);
            }
        }
        a2a_kernel_level_set(a2a_kernel_level_max());
        free(x.data), free(w.data), free(b.data), free(dst.data), free(want);
    }
    a2a_ctx_free(ctx);
}

TEST(test_conv3d) {
    a2a_ctx *ctx = a2a_ctx_new();
    /* ImageBind patch embed on a small input: 28x28, 2 frames, 3 channels, kernel (2,14,14)
       stride (2,14,14), no bias; then a temporal 3x1x1 conv with padding and a 3x3x3 conv. */
    struct { int64_t W, H, T, cin, cout, N, KW, KH, KT; int s[3], p[3], bias, f16; } cases[] = {
        {28, 28, 2, 3, 16, 1, 14, 14, 2, {14, 14, 2}, {0, 0, 0}, 0, 1},
        {6, 5, 7, 8, 6, 2, 1, 1, 3, {1, 1, 1}, {0, 0, 1}, 1, 0},
        {7, 6, 5, 4, 5, 1, 3, 3, 3, {2, 1, 1}, {1, 1, 1}, 1, 0},
    };
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        int64_t xne[5] = {cases[ci].W, cases[ci].H, cases[ci].T, cases[ci].cin, cases[ci].N};
        int64_t wne[5] = {cases[ci].KW, cases[ci].KH, cases[ci].KT, cases[ci].cin, cases[ci].cout}, bne[1] = {cases[ci].cout};
        a2a_tensor x = rand_tensor(A2A_TYPE_F32, 5, xne), w = rand_tensor(cases[ci].f16 ? A2A_TYPE_F16 : A2A_TYPE_F32, 5, wne);
        a2a_tensor b = rand_tensor(A2A_TYPE_F32, 1, bne);
        const int *s = cases[ci].s, *pd = cases[ci].p, d3[3] = {1, 1, 1};
        const int64_t in3[3] = {xne[0], xne[1], xne[2]}, k3[3] = {wne[0], wne[1], wne[2]};
        int64_t o3[3];
        for (int i = 0; i < 3; i++) o3[i] = a2a_conv_out_size(in3[i], k3[i], s[i], pd[i], 1);
        int64_t dne[5] = {o3[0], o3[1], o3[2], cases[ci].cout, cases[ci].N};
        a2a_tensor dst = rand_tensor(A2A_TYPE_F32, 5, dne);
        size_t nout = (size_t)(o3[0] * o3[1] * o3[2] * cases[ci].cout * cases[ci].N);
        float *want = malloc(nout * 4);
        oracle_conv3d(want, &x, &w, cases[ci].bias ? &b : NULL, in3, k3, o3, s, pd, d3, cases[ci].cin, cases[ci].cout,
                      cases[ci].N, 1);
        a2a_conv3d_params p = a2a_conv3d_default_params();
        p.stride_w = s[0], p.stride_h = s[1], p.stride_t = s[2], p.pad_w = pd[0], p.pad_h = pd[1], p.pad_t = pd[2];
        for (size_t li = 0; li < 3; li++) {
            if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
            for (int nt = 1; nt <= 2; nt++) {
                a2a_threadpool *tp = NULL;
                CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
                a2a_status st = a2a_op_conv3d(ctx, tp, &dst, &x, &w, cases[ci].bias ? &b : NULL, &p);
                CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
                double e = a2a_test_nmse(dst.data, want, nout);
                CHECK_MSG(e < NMSE_TOL, "conv3d case %zu level %zu threads %d: nmse %g", ci, li, nt, e);
                a2a_threadpool_free(tp);
            }
        }
        a2a_kernel_level_set(a2a_kernel_level_max());
        free(x.data), free(w.data), free(b.data), free(dst.data), free(want);
    }
    a2a_ctx_free(ctx);
}

/* Oracle for transposed conv1d in scatter form (double). */
static void oracle_convt(float *out, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b, int64_t L, int64_t cin,
                         int64_t cout, int64_t N, int64_t K, int64_t Lo, int s, int pd, int dl, int g) {
    const int64_t cig = cin / g, cog = cout / g;
    double *acc = calloc((size_t)(Lo * cout * N), sizeof(double));
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < cin; c++)
            for (int64_t l = 0; l < L; l++)
                for (int64_t co = 0; co < cog; co++)
                    for (int64_t k = 0; k < K; k++) {
                        int64_t lo = l * s - pd + k * dl;
                        if (lo < 0 || lo >= Lo) continue;
                        acc[(n * cout + (c / cig) * cog + co) * Lo + lo] +=
                            val(x, (n * cin + c) * L + l) * val(w, (c * cog + co) * K + k);
                    }
    for (int64_t n = 0; n < N; n++)
        for (int64_t co = 0; co < cout; co++)
            for (int64_t lo = 0; lo < Lo; lo++)
                out[(n * cout + co) * Lo + lo] = (float)(acc[(n * cout + co) * Lo + lo] + (b ? val(b, co) : 0.0));
    free(acc);
}

TEST(test_conv_transpose1d) {
    /* L, cin, cout, N, K, stride, pad, out_pad, dil, groups, f16 */
    const int64_t cases[][11] = {
        {19, 32, 16, 1, 16, 8, 4, 0, 1, 1, 1}, /* HiFi-GAN upsample x8 (K 16, pad 4) */
        {23, 16, 8, 2, 4, 2, 1, 0, 1, 1, 0},   /* x2 (K 4, pad 1), batch 2 */
        {17, 12, 10, 1, 11, 5, 3, 2, 1, 1, 0}, /* output_padding */
        {13, 8, 6, 1, 3, 1, 1, 0, 2, 2, 1},    /* dilation, groups */
        {9, 4, 5, 1, 5, 3, 0, 1, 1, 1, 0},
    };
    a2a_ctx *ctx = a2a_ctx_new();
    for (size_t ci = 0; ci < sizeof(cases) / sizeof(cases[0]); ci++) {
        const int64_t *c = cases[ci];
        int64_t L = c[0], cin = c[1], cout = c[2], N = c[3], K = c[4];
        int s = (int)c[5], pd = (int)c[6], op = (int)c[7], dl = (int)c[8], g = (int)c[9];
        int64_t xne[3] = {L, cin, N}, wne[3] = {K, cout / g, cin}, bne[1] = {cout};
        a2a_tensor x = rand_tensor(A2A_TYPE_F32, 3, xne), w = rand_tensor(c[10] ? A2A_TYPE_F16 : A2A_TYPE_F32, 3, wne);
        a2a_tensor b = rand_tensor(A2A_TYPE_F32, 1, bne);
        int64_t Lo = a2a_conv_transpose_out_size(L, K, s, pd, dl, op);
        CHECK(Lo == (L - 1) * s - 2 * pd + dl * (K - 1) + op + 1);
        int64_t dne[3] = {Lo, cout, N};
        a2a_tensor dst = rand_tensor(A2A_TYPE_F32, 3, dne);
        size_t nout = (size_t)(Lo * cout * N);
        float *want = malloc(nout * 4), *ref = malloc(nout * 4);
        oracle_convt(want, &x, &w, &b, L, cin, cout, N, K, Lo, s, pd, dl, g);
        /* the scalar reference kernel too */
        a2a_tensor dref = dst;
        dref.data = ref;
        a2a_ref_conv_transpose1d(&dref, &x, &w, &b, s, pd, dl, g, 0, cout);
        CHECK_MSG(a2a_test_nmse(ref, want, nout) < NMSE_TOL, "ref convt case %zu", ci);
        for (size_t li = 0; li < 3; li++) {
            if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
            for (int nt = 1; nt <= 2; nt++) {
                a2a_threadpool *tp = NULL;
                CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
                a2a_status st = a2a_op_conv_transpose1d(ctx, tp, &dst, &x, &w, &b, s, pd, op, dl, g);
                CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
                double e = a2a_test_nmse(dst.data, want, nout);
                CHECK_MSG(e < NMSE_TOL, "convt case %zu level %zu threads %d: nmse %g", ci, li, nt, e);
                a2a_threadpool_free(tp);
            }
        }
        a2a_kernel_level_set(a2a_kernel_level_max());
        free(x.data), free(w.data), free(b.data), free(dst.data), free(want), free(ref);
    }
    a2a_ctx_free(ctx);
}

TEST(test_conv_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float xb[5 * 4 * 3], wb[3 * 3 * 3 * 2], db[5 * 4 * 2];
    memset(xb, 0, sizeof(xb)), memset(wb, 0, sizeof(wb)), memset(db, 0, sizeof(db));
    a2a_tensor x = a2a_tensor_make(A2A_TYPE_F32, xb, 5, 4, 3, 1), w = a2a_tensor_make(A2A_TYPE_F32, wb, 3, 3, 3, 2);
    a2a_tensor d = a2a_tensor_make(A2A_TYPE_F32, db, 3, 2, 2, 1);
    a2a_conv2d_params p = a2a_conv2d_default_params();
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_OK);
    p.stride_w = 0;
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_ERR_INVALID_ARG);
    p = a2a_conv2d_default_params(), p.pad_h = -1;
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_ERR_INVALID_ARG);
    p = a2a_conv2d_default_params(), p.dil_h = 3; /* 1 + 2*2 = 5 > 4 */
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "conv2d") != NULL);
    p = a2a_conv2d_default_params(), p.groups = 2; /* 3 channels */
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_ERR_INVALID_ARG);
    p = a2a_conv2d_default_params(), p.pad_w = 1; /* dst width mismatch */
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, NULL, &p) == A2A_ERR_SHAPE);
    a2a_tensor wq = w;
    wq.type = A2A_TYPE_Q8_0;
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &wq, NULL, NULL) == A2A_ERR_SHAPE);
    a2a_tensor bad_b = a2a_tensor_make(A2A_TYPE_F32, db, 3, 1, 1, 1);
    CHECK(a2a_op_conv2d(ctx, NULL, &d, &x, &w, &bad_b, NULL) == A2A_ERR_SHAPE);
    CHECK(a2a_conv_out_size(INT64_MAX, 3, 1, INT32_MAX, 1) == -1);
    CHECK(a2a_conv_out_size(10, 3, 1, 0, INT32_MAX) == -1);
    CHECK(a2a_conv_out_size(10, 3, 2, 1, 1) == 5);
    CHECK(a2a_conv_transpose_out_size(10, 4, 2, 1, 1, 2) == -1); /* output_padding >= stride */
    CHECK(a2a_conv_transpose_out_size(INT64_MAX / 2, 4, 8, 0, 1, 0) == -1);
    /* conv_transpose1d with wrong Cin */
    a2a_tensor x1 = a2a_tensor_make(A2A_TYPE_F32, xb, 5, 4, 1, 1), w1 = a2a_tensor_make(A2A_TYPE_F32, wb, 3, 2, 3, 1);
    a2a_tensor d1 = a2a_tensor_make(A2A_TYPE_F32, db, 7, 2, 1, 1);
    CHECK(a2a_op_conv_transpose1d(ctx, NULL, &d1, &x1, &w1, NULL, 1, 0, 0, 1, 1) == A2A_ERR_SHAPE);
    a2a_tensor w2 = a2a_tensor_make(A2A_TYPE_F32, wb, 3, 2, 4, 1);
    CHECK(a2a_op_conv_transpose1d(ctx, NULL, &d1, &x1, &w2, NULL, 1, 0, 0, 1, 1) == A2A_OK);
    CHECK(a2a_op_conv_transpose1d(ctx, NULL, &d1, &x1, &w2, NULL, 0, 0, 0, 1, 1) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_op_conv_transpose1d(ctx, NULL, &d1, &x1, &w2, NULL, 1, 0, 0, 1, 3) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_op_conv_transpose1d(ctx, NULL, &d1, &x1, &w2, NULL, 1, 1, 0, 1, 1) == A2A_ERR_SHAPE); /* dst length */
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_conv2d, test_conv2d_views, test_conv1d, test_conv3d, test_conv_transpose1d, test_conv_errors)
