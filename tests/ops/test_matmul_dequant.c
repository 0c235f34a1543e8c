/* Quantized-weight prefill path (matmul_dequant.c): SIMD dequantizers are bit-identical to the
   reference; a2a_op_matmul with many activation rows (which takes the dequantize+GEMM path where
   a SIMD dequantizer exists) matches a double-precision product of the dequantized weights within
   nmse 1e-5 (bf16 compute rounds activations and weights to bf16: ~2^-9 relative per product),
   across several weight chunks, batch broadcast, and thread counts 1/2 (bit-identical). */
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "kernels/dequant.h"
#include "kernels/matmul.h"
#include "kernels/matmul_quant.h"
#include "kernels/quant.h"

TEST(test_dequant_simd_exact) {
    a2a_test_rng rng = {11};
    a2a_type types[] = {A2A_TYPE_Q4_0, A2A_TYPE_Q8_0};
    for (size_t t = 0; t < 2; t++) {
        const int64_t n = 32 * 37;
        float *x = malloc(sizeof(float) * n), *a = malloc(sizeof(float) * n), *b = malloc(sizeof(float) * n);
        void *q = malloc(n * 2);
        a2a_test_fill(&rng, x, n, -3, 3);
        x[5] = 0;
        a2a_quantize_row(types[t], x, q, n);
        a2a_dequantize_row(types[t], q, a, n);
        for (int lvl = 0; lvl <= (int)a2a_kernel_level_max(); lvl++) {
            a2a_dequantize_row_lvl(types[t], q, b, n, (a2a_kernel_level)lvl);
            CHECK_MSG(memcmp(a, b, sizeof(float) * n) == 0, "%s level %d", a2a_type_name(types[t]), lvl);
        }
        free(x); free(a); free(b); free(q);
    }
}

static void run_case(a2a_type wt, int64_t K, int64_t N, int64_t M, int64_t B2, int64_t B2w) {
    a2a_test_rng rng = {(uint64_t)(K * 31 + N * 7 + M)};
    size_t row;
    a2a_row_size(wt, K, &row);
    char *wq = malloc(row * N * B2w);
    float *wf = malloc(sizeof(float) * K * N * B2w), *x = malloc(sizeof(float) * K * M * B2);
    a2a_test_fill(&rng, x, (size_t)(K * M * B2), -1, 1);
    for (int64_t r = 0; r < N * B2w; r++) {
        float tmp[8192];
        a2a_test_fill(&rng, tmp, (size_t)K, -1, 1);
        a2a_quantize_row(wt, tmp, wq + r * row, K);
        a2a_dequantize_row(wt, wq + r * row, wf + r * K, K);
    }
    float *ref = malloc(sizeof(float) * N * M * B2), *out1 = malloc(sizeof(float) * N * M * B2), *out2 = malloc(sizeof(float) * N * M * B2);
    for (int64_t b = 0; b < B2; b++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) {
                double s = 0;
                const float *wr = wf + ((b / (B2 / B2w)) * N + n) * K, *xr = x + (b * M + m) * K;
                for (int64_t k = 0; k < K; k++) s += (double)wr[k] * xr[k];
                ref[(b * M + m) * N + n] = (float)s;
            }
    a2a_tensor w = a2a_tensor_make(wt, wq, K, N, B2w, 1), xt = a2a_tensor_make(A2A_TYPE_F32, x, K, M, B2, 1);
    a2a_tensor d1 = a2a_tensor_make(A2A_TYPE_F32, out1, N, M, B2, 1), d2 = a2a_tensor_make(A2A_TYPE_F32, out2, N, M, B2, 1);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp;
    a2a_threadpool_new(ctx, 2, &tp);
    CHECK(a2a_op_matmul(ctx, NULL, &d1, &w, &xt) == A2A_OK);
    CHECK(a2a_op_matmul(ctx, tp, &d2, &w, &xt) == A2A_OK);
    double e = a2a_test_nmse(out1, ref, (size_t)(N * M * B2));
    /* integer path: Q8 activation rounding (measured ~1.4e-5); dequant path: bf16 rounding */
    double tol = a2a_matmul_dequant_wanted(&w, M) ? 1e-5 : 4e-5;
    CHECK_MSG(e < tol, "%s K=%lld N=%lld M=%lld: nmse %.3g (path %s)", a2a_type_name(wt), (long long)K, (long long)N, (long long)M,
              e, a2a_matmul_dequant_wanted(&w, M) ? "dequant" : "quant");
    CHECK(memcmp(out1, out2, sizeof(float) * N * M * B2) == 0);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    free(wq); free(wf); free(x); free(ref); free(out1); free(out2);
}

TEST(test_prefill_matmul) {
    a2a_kernel_level max = a2a_kernel_level_max();
    for (int lvl = 0; lvl <= (int)max; lvl++) {
        a2a_kernel_level_set((a2a_kernel_level)lvl);
        run_case(A2A_TYPE_Q4_0, 64, 17, 40, 1, 1);
        run_case(A2A_TYPE_Q8_0, 8192, 300, 33, 1, 1);  /* 128-row chunks: 3 chunks */
        run_case(A2A_TYPE_Q4_0, 256, 70, 64, 4, 2);    /* batch broadcast */
        run_case(A2A_TYPE_Q4_K, 512, 20, 48, 1, 1);    /* no SIMD dequantizer: integer path */
    }
    a2a_kernel_level_set(max);
}

TEST_MAIN(test_dequant_simd_exact, test_prefill_matmul)
