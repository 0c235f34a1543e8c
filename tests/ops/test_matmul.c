/* matmul op and SGEMM: every kernel level (ref, avx2, avx512; AMX when the CPU has it) against
   a double-precision naive loop, for F32/F16/BF16 weights, odd shapes covering every kernel
   path (GEMV for M < 4, the no-packing small-M kernel, the packed GEMM with partial tiles and
   several K and N cache blocks), batch broadcasting, non-contiguous x, thread counts 1/2/3
   (results must be bit-identical across thread counts), SGEMM NN/NT with alpha/beta and
   padded strides, the opt-in bf16-compute paths, a Q8_0 smoke test through the quantized
   route, and error messages.

   Tolerance: normalized MSE (sum (y-ref)^2 / sum ref^2) < 1e-10 for every F32-accumulating
   path (F16/BF16 weights are expanded exactly, so the reference uses the same weight values).
   The opt-in bf16-compute paths round x to bf16, so their reference uses the rounded x:
   < 1e-10 for vdpbf16ps, < 1e-8 for AMX (its internal pair-sum rounding is less documented;
   untested on the development machine, which has no AMX). */
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"
#include "kernels/matmul.h"

#if __has_include("kernels/quant.h")
#include "kernels/quant.h"
#define HAVE_QUANT_H 1
#endif

#define NMSE_F32 1e-10

static const int64_t SIZES[] = {1, 2, 3, 7, 16, 17, 33, 64, 100, 257};
#define NSIZES ((int)(sizeof(SIZES) / sizeof(SIZES[0])))

static a2a_threadpool *g_tp[4]; /* pools of 1, 2, 3 threads at index 1..3 */

/* Fill w (N*K elements of type t) from random floats, and wf with the exact values it holds. */
static void make_weights(a2a_test_rng *r, a2a_type t, int64_t n, void *w, float *wf) {
    for (int64_t i = 0; i < n; i++) {
        float v = a2a_test_uniform(r, -1.0f, 1.0f);
        if (t == A2A_TYPE_F16) {
            ((a2a_fp16 *)w)[i] = a2a_f32_to_fp16(v);
            wf[i] = a2a_fp16_to_f32(((a2a_fp16 *)w)[i]);
        } else if (t == A2A_TYPE_BF16) {
            ((a2a_bf16 *)w)[i] = a2a_f32_to_bf16(v);
            wf[i] = a2a_bf16_to_f32(((a2a_bf16 *)w)[i]);
        } else {
            ((float *)w)[i] = v;
            wf[i] = v;
        }
    }
}

static size_t tsize(a2a_type t) { return t == A2A_TYPE_F32 ? 4 : 2; }

/* ref[m][n] = sum_k wf[n][k] * x[m*ldx + k] in double. */
static void naive(int64_t M, int64_t N, int64_t K, const float *wf, const float *x, int64_t ldx, float *ref) {
    for (int64_t m = 0; m < M; m++)
        for (int64_t n = 0; n < N; n++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++) s += (double)wf[n * K + k] * (double)x[m * ldx + k];
            ref[m * N + n] = (float)s;
        }
}

/* Levels this CPU runs, in order; returns how many. */
static int levels(a2a_kernel_level out[3]) {
    int n = 0;
    const a2a_kernel_level all[3] = {A2A_LEVEL_REF, A2A_LEVEL_AVX2, A2A_LEVEL_AVX512};
    for (int i = 0; i < 3; i++)
        if (all[i] <= a2a_kernel_level_max()) out[n++] = all[i];
    return n;
}

/* One 2-D matmul through a2a_op_matmul at the current level; returns nmse vs the double loop. */
static double run_one(a2a_threadpool *tp, a2a_type wt, int64_t M, int64_t N, int64_t K, const void *w,
                      const float *x, const float *ref, float *y) {
    a2a_tensor tw = a2a_tensor_make(wt, (void *)w, K, N, 1, 1);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, (void *)x, K, M, 1, 1);
    a2a_tensor ty = a2a_tensor_make(A2A_TYPE_F32, y, N, M, 1, 1);
    for (int64_t i = 0; i < M * N; i++) y[i] = NAN;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_op_matmul(ctx, tp, &ty, &tw, &tx);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return a2a_test_nmse(y, ref, (size_t)(M * N));
}

TEST(test_shapes_all_levels) {
    a2a_kernel_level lv[3];
    const int nl = levels(lv);
    const a2a_type types[3] = {A2A_TYPE_F32, A2A_TYPE_F16, A2A_TYPE_BF16};
    a2a_test_rng r = {1};
    int runs = 0;
    for (int im = 0; im < NSIZES; im++)
        for (int in = 0; in < NSIZES; in++)
            for (int ik = 0; ik < NSIZES; ik++) {
                /* every M is paired with every N and every K, a third of the full cube */
                if ((im + in + ik) % 3 != 0 && !(im == 0 && ik == NSIZES - 1)) continue;
                const int64_t M = SIZES[im], N = SIZES[in], K = SIZES[ik];
                for (int ti = 0; ti < 3; ti++) {
                    const a2a_type wt = types[ti];
                    void *w = malloc((size_t)(N * K) * tsize(wt));
                    float *wf = malloc((size_t)(N * K) * 4), *x = malloc((size_t)(M * K) * 4);
                    float *ref = malloc((size_t)(M * N) * 4), *y = malloc((size_t)(M * N) * 4);
                    make_weights(&r, wt, N * K, w, wf);
                    a2a_test_fill(&r, x, (size_t)(M * K), -1.0f, 1.0f);
                    naive(M, N, K, wf, x, K, ref);
                    for (int li = 0; li < nl; li++) {
                        a2a_kernel_level_set(lv[li]);
                        double e = run_one(g_tp[1 + (runs++ % 3)], wt, M, N, K, w, x, ref, y);
                        CHECK_MSG(e < NMSE_F32, "level %s w %s M=%lld N=%lld K=%lld nmse %.3g",
                                  a2a_kernel_level_name(lv[li]), a2a_type_name(wt), (long long)M, (long long)N,
                                  (long long)K, e);
                    }
                    free(w), free(wf), free(x), free(ref), free(y);
                }
            }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

/* Large enough to cross every blocking boundary (K > KC, N > NC, M > many MR) and GEMV. */
TEST(test_big_and_threads_bitwise) {
    a2a_kernel_level lv[3];
    const int nl = levels(lv);
    const int64_t shapes[][3] = {{100, 600, 300}, {1, 1000, 700}, {2, 130, 4100}, {3, 77, 33}, {37, 1100, 520}, {4, 40, 9}};
    const a2a_type types[3] = {A2A_TYPE_F32, A2A_TYPE_F16, A2A_TYPE_BF16};
    a2a_test_rng r = {7};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++)
        for (int ti = 0; ti < 3; ti++) {
            const int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
            const a2a_type wt = types[ti];
            void *w = malloc((size_t)(N * K) * tsize(wt));
            float *wf = malloc((size_t)(N * K) * 4), *x = malloc((size_t)(M * K) * 4);
            float *ref = malloc((size_t)(M * N) * 4), *y1 = malloc((size_t)(M * N) * 4), *y = malloc((size_t)(M * N) * 4);
            make_weights(&r, wt, N * K, w, wf);
            a2a_test_fill(&r, x, (size_t)(M * K), -1.0f, 1.0f);
            naive(M, N, K, wf, x, K, ref);
            for (int li = 0; li < nl; li++) {
                a2a_kernel_level_set(lv[li]);
                double e = run_one(g_tp[1], wt, M, N, K, w, x, ref, y1);
                CHECK_MSG(e < NMSE_F32, "level %s w %s M=%lld N=%lld K=%lld nmse %.3g", a2a_kernel_level_name(lv[li]),
                          a2a_type_name(wt), (long long)M, (long long)N, (long long)K, e);
                for (int nt = 2; nt <= 3; nt++) {
                    run_one(g_tp[nt], wt, M, N, K, w, x, ref, y);
                    CHECK_MSG(memcmp(y, y1, (size_t)(M * N) * 4) == 0, "level %s w %s M=%lld N=%lld K=%lld: %d threads differ",
                              a2a_kernel_level_name(lv[li]), a2a_type_name(wt), (long long)M, (long long)N, (long long)K, nt);
                }
            }
            free(w), free(wf), free(x), free(ref), free(y1), free(y);
        }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

/* w [K,N,2,1] broadcast over x [K,M,4,3]; x viewed with padded rows; dst with padded rows. */
TEST(test_batch_broadcast_and_views) {
    a2a_kernel_level lv[3];
    const int nl = levels(lv);
    const int64_t K = 37, N = 19, M = 5, B2w = 2, B3w = 1, B2 = 4, B3 = 3, KP = K + 3, NP = N + 2;
    a2a_test_rng r = {11};
    float *w = malloc((size_t)(K * N * B2w * B3w) * 4);
    a2a_test_fill(&r, w, (size_t)(K * N * B2w * B3w), -1, 1);
    float *xbuf = malloc((size_t)(KP * M * B2 * B3) * 4);
    a2a_test_fill(&r, xbuf, (size_t)(KP * M * B2 * B3), -1, 1);
    /* x: rows of K inside rows of KP (a view with nb[1] > K*4) */
    a2a_tensor xfull = a2a_tensor_make(A2A_TYPE_F32, xbuf, KP, M, B2, B3);
    const int64_t vne[4] = {K, M, B2, B3}, voff[4] = {2, 0, 0, 0};
    a2a_tensor tx = a2a_tensor_view(&xfull, 4, vne, voff);
    a2a_tensor tw = a2a_tensor_make(A2A_TYPE_F32, w, K, N, B2w, B3w);
    float *ybuf = malloc((size_t)(NP * M * B2 * B3) * 4);
    a2a_tensor yfull = a2a_tensor_make(A2A_TYPE_F32, ybuf, NP, M, B2, B3);
    const int64_t yne[4] = {N, M, B2, B3}, yoff[4] = {0, 0, 0, 0};
    a2a_tensor ty = a2a_tensor_view(&yfull, 4, yne, yoff);
    float *ref = malloc((size_t)(M * N) * 4);
    for (int li = 0; li < nl; li++) {
        a2a_kernel_level_set(lv[li]);
        for (int nt = 1; nt <= 3; nt++) {
            for (int64_t i = 0; i < NP * M * B2 * B3; i++) ybuf[i] = -7.0f;
            CHECK(a2a_op_matmul(NULL, g_tp[nt], &ty, &tw, &tx) == A2A_OK);
            for (int64_t b3 = 0; b3 < B3; b3++)
                for (int64_t b2 = 0; b2 < B2; b2++) {
                    const float *wb = w + ((b3 / (B3 / B3w)) * B2w + b2 / (B2 / B2w)) * N * K;
                    const float *xb = xbuf + (b3 * B2 + b2) * M * KP + 2;
                    naive(M, N, K, wb, xb, KP, ref);
                    float got[5 * 19];
                    for (int64_t m = 0; m < M; m++)
                        for (int64_t n = 0; n < N; n++) got[m * N + n] = ybuf[((b3 * B2 + b2) * M + m) * NP + n];
                    double e = a2a_test_nmse(got, ref, (size_t)(M * N));
                    CHECK_MSG(e < NMSE_F32, "level %s threads %d batch (%lld,%lld) nmse %.3g",
                              a2a_kernel_level_name(lv[li]), nt, (long long)b2, (long long)b3, e);
                    for (int64_t m = 0; m < M; m++) /* padding untouched */
                        CHECK(ybuf[((b3 * B2 + b2) * M + m) * NP + N] == -7.0f);
                }
        }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
    free(w), free(xbuf), free(ybuf), free(ref);
}

/* x as a permuted view (attention-head layout): memory [M][H][K], x = [K, M, H] with
   nb[1] = H*K*4 > nb[2] = K*4; for M = 1 (GEMV) and M = 20 (GEMM). */
TEST(test_transposed_view) {
    a2a_kernel_level lv[3];
    const int nl = levels(lv);
    const int64_t K = 24, N = 33, H = 3;
    a2a_test_rng r = {5};
    for (int mi = 0; mi < 2; mi++) {
        const int64_t M = mi == 0 ? 1 : 20;
        float *w = malloc((size_t)(K * N * H) * 4), *xb = malloc((size_t)(K * H * M) * 4);
        float *y = malloc((size_t)(N * M * H) * 4), *ref = malloc((size_t)(N * M) * 4);
        float *xc = malloc((size_t)(K * M) * 4), *got = malloc((size_t)(N * M) * 4);
        a2a_test_fill(&r, w, (size_t)(K * N * H), -1, 1);
        a2a_test_fill(&r, xb, (size_t)(K * H * M), -1, 1);
        a2a_tensor base = a2a_tensor_make(A2A_TYPE_F32, xb, K, H, M, 1);
        const int perm[5] = {0, 2, 1, 3, 4};
        a2a_tensor tx = a2a_tensor_permute(&base, perm); /* ne [K, M, H] */
        CHECK_EQ_INT(tx.ne[1], M);
        CHECK_EQ_INT(tx.ne[2], H);
        a2a_tensor tw = a2a_tensor_make(A2A_TYPE_F32, w, K, N, H, 1);
        a2a_tensor ty = a2a_tensor_make(A2A_TYPE_F32, y, N, M, H, 1);
        for (int li = 0; li < nl; li++) {
            a2a_kernel_level_set(lv[li]);
            CHECK(a2a_op_matmul(NULL, g_tp[2], &ty, &tw, &tx) == A2A_OK);
            for (int64_t h = 0; h < H; h++) {
                for (int64_t m = 0; m < M; m++) memcpy(xc + m * K, xb + (m * H + h) * K, (size_t)K * 4);
                naive(M, N, K, w + h * N * K, xc, K, ref);
                memcpy(got, y + h * M * N, (size_t)(M * N) * 4);
                double e = a2a_test_nmse(got, ref, (size_t)(M * N));
                CHECK_MSG(e < NMSE_F32, "level %s M=%lld head %lld nmse %.3g", a2a_kernel_level_name(lv[li]),
                          (long long)M, (long long)h, e);
            }
        }
        free(w), free(xb), free(y), free(ref), free(xc), free(got);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

/* a2a_sgemm: NN and NT, alpha/beta, padded strides, beta == 0 ignores NaN in C, K == 0. */
TEST(test_sgemm) {
    a2a_kernel_level lv[3];
    const int nl = levels(lv);
    a2a_test_rng r = {3};
    const int64_t shapes[][3] = {{1, 5, 7}, {2, 40, 3}, {17, 33, 100}, {64, 70, 257}, {30, 520, 20}, {5, 6, 0}};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++) {
        const int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        const int64_t lda = K + 1, ldc = N + 3, ldbt = K + 2, ldbn = N + 1;
        float *A = malloc((size_t)(M * lda + 1) * 4), *Bt = malloc((size_t)(N * ldbt + 1) * 4);
        float *Bn = malloc((size_t)(K * ldbn + 1) * 4), *C0 = malloc((size_t)(M * ldc) * 4);
        float *C = malloc((size_t)(M * ldc) * 4), *ref = malloc((size_t)(M * N) * 4), *got = malloc((size_t)(M * N) * 4);
        a2a_test_fill(&r, A, (size_t)(M * lda + 1), -1, 1);
        a2a_test_fill(&r, Bt, (size_t)(N * ldbt + 1), -1, 1);
        for (int64_t k = 0; k < K; k++)
            for (int64_t n = 0; n < N; n++) Bn[k * ldbn + n] = Bt[n * ldbt + k];
        a2a_test_fill(&r, C0, (size_t)(M * ldc), -1, 1);
        for (int li = 0; li < nl; li++) {
            a2a_kernel_level_set(lv[li]);
            for (int variant = 0; variant < 4; variant++) {
                const bool trans = variant & 1;
                const float alpha = (variant & 2) ? 0.5f : 1.0f, beta = (variant & 2) ? -2.0f : 0.0f;
                for (int64_t m = 0; m < M; m++)
                    for (int64_t n = 0; n < N; n++) {
                        double s = 0;
                        for (int64_t k = 0; k < K; k++) s += (double)A[m * lda + k] * (double)Bt[n * ldbt + k];
                        ref[m * N + n] = (float)(alpha * s + beta * (double)C0[m * ldc + n]);
                    }
                memcpy(C, C0, (size_t)(M * ldc) * 4);
                if (beta == 0.0f)
                    for (int64_t m = 0; m < M; m++)
                        for (int64_t n = 0; n < N; n++) C[m * ldc + n] = NAN;
                a2a_status st = a2a_sgemm(NULL, g_tp[1 + variant % 3], trans, M, N, K, alpha, A, lda,
                                          trans ? Bt : Bn, trans ? ldbt : ldbn, beta, C, ldc);
                CHECK(st == A2A_OK);
                for (int64_t m = 0; m < M; m++) {
                    memcpy(got + m * N, C + m * ldc, (size_t)N * 4);
                    for (int64_t n = N; n < ldc; n++) CHECK(C[m * ldc + n] == C0[m * ldc + n]);
                }
                double e = a2a_test_nmse(got, ref, (size_t)(M * N));
                CHECK_MSG(e < NMSE_F32 && e == e, "sgemm level %s trans %d alpha %g beta %g M=%lld N=%lld K=%lld nmse %.3g",
                          a2a_kernel_level_name(lv[li]), trans, alpha, beta, (long long)M, (long long)N, (long long)K, e);
            }
        }
        free(A), free(Bt), free(Bn), free(C0), free(C), free(ref), free(got);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float w[6 * 4], x[6 * 2], y[4 * 2];
    a2a_tensor tw = a2a_tensor_make(A2A_TYPE_F32, w, 6, 4, 1, 1);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, 6, 2, 1, 1);
    a2a_tensor ty = a2a_tensor_make(A2A_TYPE_F32, y, 4, 2, 1, 1);
    memset(w, 0, sizeof(w)), memset(x, 0, sizeof(x));
    CHECK(a2a_op_matmul(ctx, NULL, &ty, &tw, &tx) == A2A_OK);
    /* K mismatch */
    a2a_tensor tx5 = a2a_tensor_make(A2A_TYPE_F32, x, 5, 2, 1, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &ty, &tw, &tx5) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "matmul: shape mismatch") != NULL);
    CHECK(strstr(a2a_last_error(ctx), "[5, 2]") != NULL);
    /* dst N mismatch */
    a2a_tensor ty3 = a2a_tensor_make(A2A_TYPE_F32, y, 3, 2, 1, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &ty3, &tw, &tx) == A2A_ERR_SHAPE);
    /* broadcast: B2 = 3 not a multiple of B2w = 2 */
    float wb[6 * 4 * 2], xb[6 * 2 * 3], yb[4 * 2 * 3];
    a2a_tensor twb = a2a_tensor_make(A2A_TYPE_F32, wb, 6, 4, 2, 1);
    a2a_tensor txb = a2a_tensor_make(A2A_TYPE_F32, xb, 6, 2, 3, 1);
    a2a_tensor tyb = a2a_tensor_make(A2A_TYPE_F32, yb, 4, 2, 3, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &tyb, &twb, &txb) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "B2%B2w") != NULL);
    /* x not f32 */
    a2a_tensor txh = a2a_tensor_make(A2A_TYPE_F16, x, 6, 2, 1, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &ty, &tw, &txh) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "f32") != NULL);
    /* x rows not contiguous (a transpose) */
    float xt[6 * 6];
    a2a_tensor tsq = a2a_tensor_make(A2A_TYPE_F32, xt, 6, 6, 1, 1);
    a2a_tensor txt = a2a_tensor_transpose(&tsq);
    float y6[4 * 6];
    a2a_tensor ty6 = a2a_tensor_make(A2A_TYPE_F32, y6, 4, 6, 1, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &ty6, &tw, &txt) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "contiguous") != NULL);
    /* unsupported weight type */
    a2a_tensor twi = a2a_tensor_make(A2A_TYPE_I32, w, 6, 4, 1, 1);
    CHECK(a2a_op_matmul(ctx, NULL, &ty, &twi, &tx) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_op_matmul(ctx, NULL, NULL, &tw, &tx) == A2A_ERR_INVALID_ARG);
    /* sgemm argument errors */
    CHECK(a2a_sgemm(ctx, NULL, true, 2, 4, 6, 1, x, 5, w, 6, 0, y, 4) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "stride") != NULL);
    CHECK(a2a_sgemm(ctx, NULL, false, -1, 4, 6, 1, x, 6, w, 4, 0, y, 4) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_sgemm(ctx, NULL, false, 0, 4, 6, 1, NULL, 6, NULL, 4, 0, NULL, 4) == A2A_OK);
    a2a_ctx_free(ctx);
}

/* ref with x rounded to bf16 (what the opt-in bf16 paths compute exactly, up to f32 sums). */
static void naive_bf16x(int64_t M, int64_t N, int64_t K, const float *wf, const float *x, float *ref) {
    float *xr = malloc((size_t)(M * K) * 4 + 4);
    for (int64_t i = 0; i < M * K; i++) xr[i] = a2a_bf16_to_f32(a2a_f32_to_bf16(x[i]));
    naive(M, N, K, wf, xr, K, ref);
    free(xr);
}

/* Opt-in vdpbf16ps path (AVX512_BF16; level capped at avx512 so AMX is not used): x rounded to bf16, f32 accumulation; compared
   with the double loop on the rounded x (NMSE_F32), bit-identical across thread counts, and
   GEMV (M < 4) stays on the exact path. */
TEST(test_bf16_compute_avx512) {
    if (!a2a_cpu_has(A2A_CPU_AVX512 | A2A_CPU_AVX512_BF16)) {
        fprintf(stderr, "SKIP test_bf16_compute_avx512: needs AVX512_BF16 (%s)\n", a2a_cpu_features_str());
        return;
    }
    a2a_kernel_level_set(A2A_LEVEL_AVX512);
    bool prev = a2a_matmul_set_bf16_compute(true);
    const int64_t shapes[][3] = {{4, 16, 32}, {33, 70, 100}, {300, 90, 257}, {17, 33, 7}, {20, 600, 1100}, {5, 3, 1}, {2, 50, 77}};
    a2a_test_rng r = {21};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++) {
        const int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        a2a_bf16 *w = malloc((size_t)(N * K) * 2);
        float *wf = malloc((size_t)(N * K) * 4), *x = malloc((size_t)(M * K) * 4);
        float *ref = malloc((size_t)(M * N) * 4), *y1 = malloc((size_t)(M * N) * 4), *y = malloc((size_t)(M * N) * 4);
        make_weights(&r, A2A_TYPE_BF16, N * K, w, wf);
        a2a_test_fill(&r, x, (size_t)(M * K), -1, 1);
        if (M < A2A_MATMUL_GEMV_MAX_M) naive(M, N, K, wf, x, K, ref); /* GEMV: exact path */
        else naive_bf16x(M, N, K, wf, x, ref);
        double e = run_one(g_tp[1], A2A_TYPE_BF16, M, N, K, w, x, ref, y1);
        CHECK_MSG(e < NMSE_F32, "bf16 compute M=%lld N=%lld K=%lld nmse %.3g", (long long)M, (long long)N, (long long)K, e);
        for (int nt = 2; nt <= 3; nt++) {
            run_one(g_tp[nt], A2A_TYPE_BF16, M, N, K, w, x, ref, y);
            CHECK(memcmp(y, y1, (size_t)(M * N) * 4) == 0);
        }
        free(w), free(wf), free(x), free(ref), free(y1), free(y);
    }
    a2a_matmul_set_bf16_compute(prev);
    a2a_kernel_level_set(a2a_kernel_level_max());
}

/* AMX BF16 path (opt-in): only where the CPU has AMX. */
TEST(test_amx_bf16) {
    if (!a2a_cpu_has(A2A_CPU_AMX) || a2a_kernel_level_set(A2A_LEVEL_AMX) != A2A_LEVEL_AMX) {
        fprintf(stderr, "SKIP test_amx_bf16: no AMX on this CPU (%s)\n", a2a_cpu_features_str());
        a2a_kernel_level_set(a2a_kernel_level_max());
        return;
    }
    bool prev = a2a_matmul_set_bf16_compute(true);
    const int64_t shapes[][3] = {{4, 16, 32}, {33, 70, 100}, {300, 90, 257}, {17, 33, 7}};
    a2a_test_rng r = {9};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++) {
        const int64_t M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
        a2a_bf16 *w = malloc((size_t)(N * K) * 2);
        float *wf = malloc((size_t)(N * K) * 4), *x = malloc((size_t)(M * K) * 4);
        float *ref = malloc((size_t)(M * N) * 4), *y1 = malloc((size_t)(M * N) * 4), *y = malloc((size_t)(M * N) * 4);
        make_weights(&r, A2A_TYPE_BF16, N * K, w, wf);
        a2a_test_fill(&r, x, (size_t)(M * K), -1, 1);
        naive_bf16x(M, N, K, wf, x, ref);
        double e = run_one(g_tp[1], A2A_TYPE_BF16, M, N, K, w, x, ref, y1);
        CHECK_MSG(e < 1e-8, "amx M=%lld N=%lld K=%lld nmse %.3g", (long long)M, (long long)N, (long long)K, e);
        for (int nt = 2; nt <= 3; nt++) {
            run_one(g_tp[nt], A2A_TYPE_BF16, M, N, K, w, x, ref, y);
            CHECK(memcmp(y, y1, (size_t)(M * N) * 4) == 0);
        }
        free(w), free(wf), free(x), free(ref), free(y1), free(y);
    }
    a2a_matmul_set_bf16_compute(prev);
    a2a_kernel_level_set(a2a_kernel_level_max());
}

#ifdef HAVE_QUANT_H
/* Smoke test of the quantized route: a Q8_0 weight through a2a_op_matmul. */
TEST(test_quant_q8_0_smoke) {
    const int64_t K = 64, N = 9, M = 2;
    a2a_test_rng r = {13};
    float wf[64 * 9], wd[64 * 9], x[64 * 2], y[9 * 2], ref[9 * 2];
    a2a_block_q8_0 wq[2 * 9];
    a2a_test_fill(&r, wf, sizeof(wf) / 4, -1, 1);
    a2a_test_fill(&r, x, sizeof(x) / 4, -1, 1);
    for (int64_t n = 0; n < N; n++) {
        a2a_quantize_row(A2A_TYPE_Q8_0, wf + n * K, wq + n * 2, K);
        a2a_dequantize_row(A2A_TYPE_Q8_0, wq + n * 2, wd + n * K, K);
    }
    naive(M, N, K, wd, x, K, ref);
    a2a_tensor tw = a2a_tensor_make(A2A_TYPE_Q8_0, wq, K, N, 1, 1);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, K, M, 1, 1);
    a2a_tensor ty = a2a_tensor_make(A2A_TYPE_F32, y, N, M, 1, 1);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_op_matmul(ctx, g_tp[2], &ty, &tw, &tx);
    if (st == A2A_ERR_UNSUPPORTED) {
        fprintf(stderr, "SKIP test_quant_q8_0_smoke: %s\n", a2a_last_error(ctx));
    } else {
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        /* x is quantized to Q8_0 too: allow its rounding (~1/254 relative per block) */
        double e = a2a_test_nmse(y, ref, (size_t)(M * N));
        CHECK_MSG(e < 1e-3, "q8_0 nmse %.3g", e);
    }
    a2a_ctx_free(ctx);
}
#define QUANT_TESTS , test_quant_q8_0_smoke
#else
#define QUANT_TESTS
#endif

TEST(test_setup) {
    a2a_cpu_init();
    for (int n = 1; n <= 3; n++) CHECK(a2a_threadpool_new(NULL, n, &g_tp[n]) == A2A_OK);
    fprintf(stderr, "cpu: %s; max level %s\n", a2a_cpu_features_str(), a2a_kernel_level_name(a2a_kernel_level_max()));
}

TEST(test_teardown) {
    for (int n = 1; n <= 3; n++) a2a_threadpool_free(g_tp[n]);
}

TEST_MAIN(test_setup, test_errors, test_shapes_all_levels, test_big_and_threads_bitwise, test_batch_broadcast_and_views,
          test_transposed_view, test_sgemm, test_bf16_compute_avx512, test_amx_bf16 QUANT_TESTS, test_teardown)
