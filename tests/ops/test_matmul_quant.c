/* a2a_matmul_quant against a naive loop over dequantized weights and reference-quantized
   activations, for every weight type, odd shapes, batch broadcast, a non-contiguous x view,
   1/2/3 threads (bit-identical across thread counts), every kernel level, shape errors. */
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/matmul_quant.h"
#include "kernels/quant.h"

static size_t row_bytes(a2a_type t, int64_t n) {
    size_t rb = 0;
    A2A_ASSERT(a2a_row_size(t, n, &rb));
    return rb;
}

/* Expected dst: dot of dequantized weight rows with dequantized (ref-quantized) x rows, in
   double. x is given with explicit row/batch strides in floats. */
static void naive(float *out, const void *wq, a2a_type wt, int64_t K, int64_t N, int64_t B2w, int64_t B3w,
                  const float *x, int64_t xs1, int64_t xs2, int64_t xs3, int64_t M, int64_t B2, int64_t B3, double *abs_out) {
    const a2a_type vd = a2a_vec_dot_type(wt);
    const size_t wrb = row_bytes(wt, K), xrb = row_bytes(vd, K);
    float *wd = malloc((size_t)K * 4), *xd = malloc((size_t)K * 4);
    void *xq = malloc(xrb);
    for (int64_t b3 = 0; b3 < B3; b3++)
        for (int64_t b2 = 0; b2 < B2; b2++)
            for (int64_t m = 0; m < M; m++) {
                a2a_quantize_row(vd, x + m * xs1 + b2 * xs2 + b3 * xs3, xq, K);
                a2a_dequantize_row(vd, xq, xd, K);
                const int64_t wb2 = b2 / (B2 / B2w), wb3 = b3 / (B3 / B3w);
                for (int64_t n = 0; n < N; n++) {
                    a2a_dequantize_row(wt, (const char *)wq + ((wb3 * B2w + wb2) * N + n) * wrb, wd, K);
                    double s = 0, a = 0;
                    for (int64_t k = 0; k < K; k++) {
                        s += (double)wd[k] * xd[k];
                        a += fabs((double)wd[k] * xd[k]);
                    }
                    if (vd == A2A_TYPE_Q8_1) {
                        /* the dots use Q8_1's fp16-rounded s = d * sum(q): add that rounding */
                        const a2a_block_q8_1 *xb = xq;
                        const char *wr = (const char *)wq + ((wb3 * B2w + wb2) * N + n) * wrb;
                        for (int64_t b = 0; b < K / 32; b++) {
                            int sq = 0;
                            for (int k = 0; k < 32; k++) sq += xb[b].qs[k];
                            const a2a_fp16 mh = wt == A2A_TYPE_Q4_1 ? ((const a2a_block_q4_1 *)wr)[b].m
                                                                    : ((const a2a_block_q5_1 *)wr)[b].m;
                            s += (double)a2a_fp16_to_f32(mh) *
                                 ((double)a2a_fp16_to_f32(xb[b].s) - (double)a2a_fp16_to_f32(xb[b].d) * sq);
                        }
                    }
                    const int64_t o = ((b3 * B2 + b2) * M + m) * N + n;
                    out[o] = (float)s;
                    abs_out[o] = a;
                }
            }
    free(wd);
    free(xd);
    free(xq);
}

typedef struct {
    int64_t K, N, M, B2, B3, B2w, B3w;
    int x_pad; /* extra floats per x row (non-contiguous view) */
} mm_case;

/* Runs one case for one weight type at all thread counts; returns the number of failures. */
static void run_case(a2a_type wt, const mm_case *c, a2a_threadpool **pools, int npools, a2a_test_rng *rng) {
    const int64_t K = c->K, N = c->N, M = c->M, B2 = c->B2, B3 = c->B3;
    const int64_t xs1 = K + c->x_pad, xs2 = xs1 * M, xs3 = xs2 * B2;
    float *w = malloc((size_t)K * 4);
    const size_t wrb = row_bytes(wt, K);
    void *wq = malloc(wrb * (size_t)(N * c->B2w * c->B3w));
    for (int64_t r = 0; r < N * c->B2w * c->B3w; r++) {
        a2a_test_fill(rng, w, (size_t)K, -1, 1);
        a2a_quantize_row(wt, w, (char *)wq + r * wrb, K);
    }
    float *x = malloc((size_t)(xs3 * B3) * 4);
    a2a_test_fill(rng, x, (size_t)(xs3 * B3), -2, 2);
    const int64_t nout = N * M * B2 * B3;
    float *exp = malloc((size_t)nout * 4), *got = malloc((size_t)nout * 4), *first = malloc((size_t)nout * 4);
    double *abs_sum = malloc((size_t)nout * 8);
    naive(exp, wq, wt, K, N, c->B2w, c->B3w, x, xs1, xs2, xs3, M, B2, B3, abs_sum);

    a2a_tensor tw = a2a_tensor_make(wt, wq, K, N, c->B2w, c->B3w);
    /* x as a view: rows of K floats with stride xs1 */
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, xs1, M, B2, B3);
    const int64_t vne[4] = {K, M, B2, B3}, voff[4] = {0, 0, 0, 0};
    tx = a2a_tensor_view(&tx, 4, vne, voff);
    a2a_tensor td = a2a_tensor_make(A2A_TYPE_F32, got, N, M, B2, B3);

    for (int lvl = 0; lvl <= (int)a2a_kernel_level_max(); lvl++) {
        a2a_kernel_level_set((a2a_kernel_level)lvl);
        for (int p = 0; p < npools; p++) {
            memset(got, 0xCC, (size_t)nout * 4);
            a2a_status st = a2a_matmul_quant(NULL, pools[p], &td, &tw, &tx);
            CHECK_EQ_INT(st, A2A_OK);
            int bad = 0;
            for (int64_t o = 0; o < nout; o++)
                if (!(fabs((double)got[o] - exp[o]) <= 3e-5 * abs_sum[o] + 1e-5)) {
                    if (bad++ < 2)
                        fprintf(stderr, "  %s lvl %d thr %d K%lld N%lld M%lld: out[%lld] %.7g vs %.7g\n", a2a_type_name(wt), lvl,
                                a2a_threadpool_size(pools[p]), (long long)K, (long long)N, (long long)M, (long long)o,
                                got[o], exp[o]);
                }
            CHECK_MSG(bad == 0, "%s: %d of %lld outputs off", a2a_type_name(wt), bad, (long long)nout);
            if (p == 0) memcpy(first, got, (size_t)nout * 4);
            else CHECK_MSG(memcmp(first, got, (size_t)nout * 4) == 0, "%s lvl %d: results depend on the thread count",
                           a2a_type_name(wt), lvl);
        }
    }
    a2a_kernel_level_set(A2A_LEVEL_AMX);
    free(w); free(wq); free(x); free(exp); free(got); free(first); free(abs_sum);
}

TEST(test_matmul_quant_types) {
    a2a_threadpool *pools[3] = {NULL, NULL, NULL};
    const int nthr[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(a2a_threadpool_new(NULL, nthr[i], &pools[i]), A2A_OK);
    const a2a_type types[] = {A2A_TYPE_Q4_0, A2A_TYPE_Q4_1, A2A_TYPE_Q5_0, A2A_TYPE_Q5_1,
                              A2A_TYPE_Q8_0, A2A_TYPE_Q4_K, A2A_TYPE_Q5_K, A2A_TYPE_Q6_K};
    const mm_case cases[] = {
        {512, 17, 1, 1, 1, 1, 1, 0},  /* GEMV, odd N */
        {256, 3, 3, 1, 1, 1, 1, 8},   /* tiny, non-contiguous x */
        {768, 17, 17, 1, 1, 1, 1, 0}, /* odd M and N: panels and remainders */
        {256, 5, 2, 4, 3, 2, 1, 4},   /* batch broadcast: B2 4 over 2, B3 3 over 1 */
        {256, 70, 5, 1, 1, 1, 1, 0},  /* N larger than one panel */
    };
    a2a_test_rng rng = {31337};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) run_case(types[t], &cases[c], pools, 3, &rng);
    for (int i = 0; i < 3; i++) a2a_threadpool_free(pools[i]);
}

TEST(test_matmul_quant_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    static uint8_t wbuf[1 << 16];
    static float xbuf[4096], dbuf[4096];
    a2a_tensor w = a2a_tensor_make(A2A_TYPE_Q4_0, wbuf, 64, 8, 1, 1);
    a2a_tensor x = a2a_tensor_make(A2A_TYPE_F32, xbuf, 64, 2, 1, 1);
    a2a_tensor d = a2a_tensor_make(A2A_TYPE_F32, dbuf, 8, 2, 1, 1);
    memset(wbuf, 0, sizeof wbuf);
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &w, &x), A2A_OK);

    a2a_tensor x2 = a2a_tensor_make(A2A_TYPE_F32, xbuf, 96, 2, 1, 1); /* K mismatch */
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &w, &x2), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "matmul_quant") != NULL);
    a2a_tensor d2 = a2a_tensor_make(A2A_TYPE_F32, dbuf, 7, 2, 1, 1); /* N mismatch */
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d2, &w, &x), A2A_ERR_SHAPE);
    a2a_tensor d3 = a2a_tensor_make(A2A_TYPE_F32, dbuf, 8, 3, 1, 1); /* M mismatch */
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d3, &w, &x), A2A_ERR_SHAPE);
    a2a_tensor wb = a2a_tensor_make(A2A_TYPE_Q4_0, wbuf, 64, 8, 2, 1); /* 3 % 2 != 0 */
    a2a_tensor xb = a2a_tensor_make(A2A_TYPE_F32, xbuf, 64, 2, 3, 1);
    a2a_tensor db = a2a_tensor_make(A2A_TYPE_F32, dbuf, 8, 2, 3, 1);
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &db, &wb, &xb), A2A_ERR_SHAPE);
    a2a_tensor wf = a2a_tensor_make(A2A_TYPE_F16, wbuf, 64, 8, 1, 1); /* no quantized dot */
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &wf, &x), A2A_ERR_UNSUPPORTED);
    a2a_tensor w2k = a2a_tensor_make(A2A_TYPE_Q2_K, wbuf, 256, 8, 1, 1);
    a2a_tensor x2k = a2a_tensor_make(A2A_TYPE_F32, xbuf, 256, 2, 1, 1);
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &w2k, &x2k), A2A_ERR_UNSUPPORTED);
    a2a_tensor wk = a2a_tensor_make(A2A_TYPE_Q8_0, wbuf, 96, 8, 1, 1);
    a2a_tensor xk = a2a_tensor_make(A2A_TYPE_F32, xbuf, 96, 2, 1, 1);
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &wk, &xk), A2A_OK);
    a2a_tensor xt = a2a_tensor_transpose(&x); /* rows not contiguous */
    a2a_tensor dt = a2a_tensor_make(A2A_TYPE_F32, dbuf, 8, 64, 1, 1);
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &dt, &w, &xt), A2A_ERR_SHAPE);
    a2a_tensor xh = a2a_tensor_make(A2A_TYPE_F16, xbuf, 64, 2, 1, 1); /* x not f32 */
    CHECK_EQ_INT(a2a_matmul_quant(ctx, NULL, &d, &w, &xh), A2A_ERR_SHAPE);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_matmul_quant_types, test_matmul_quant_errors)
