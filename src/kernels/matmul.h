/* Matrix products: the matmul op every model uses (ggml_mul_mat semantics, weights of type
   F32/F16/BF16 or any quantized type) and a plain row-major SGEMM for internal users
   (conv im2col, attention).

   Kernels: scalar reference (src/kernels/ref/matmul_ref.c); BLIS-style packed GEMM with
   AVX2 (6x16) and AVX-512 (14x32) register tiles, a no-packing GEMV for M < 4 and a
   no-packing 4x4 (AVX2: 2x4) dot-product kernel for 4 <= M < ~32..64, where packing the
   weights would cost more than it saves (src/kernels/x86/gemm_avx2.c, gemm_avx512.c);
   opt-in bf16 compute for BF16 weights with AVX512_BF16 (gemm_avx512.c) or AMX tiles
   (gemm_amx.c), see a2a_matmul_set_bf16_compute. The variant is chosen at run time from
   a2a_kernel_level_get() and the CPU features; A2A_KERNELS=ref forces the reference.

   Determinism: for a given kernel level, weight type and shape, every output element is
   computed by the same sequence of float operations whatever the thread count and whatever
   tile it falls in, so results are bit-identical across thread counts. (Different M may
   take different kernels, so row m of a product can differ in the last bits between two
   calls with different M.)

   Scratch: packed panels live in scratch slot A2A_MATMUL_SCRATCH_SLOT of each thread that
   takes part (the caller included); callers must not keep data in that slot across a call. */
#ifndef A2A_KERNELS_MATMUL_H
#define A2A_KERNELS_MATMUL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* Scratch slot (see core/scratch.h) used for packed GEMM panels on every thread. */
#define A2A_MATMUL_SCRATCH_SLOT 3

/* dst[b3][b2][m][n] = sum_k w[b3'][b2'][n][k] * x[b3][b2][m][k]   (y = x @ w^T)
   w:   [K, N, B2w, B3w], type F32, F16, BF16 (rows contiguous: nb[0] == element size) or a
        quantized type (handled by a2a_matmul_quant, see kernels/matmul_quant.h);
        other strides arbitrary.
   x:   F32 [K, M, B2, B3], rows contiguous (nb[0] == 4); other strides arbitrary (views,
        transposed-then-viewed tensors and padded rows are fine).
   dst: F32 [N, M, B2, B3], rows contiguous (nb[0] == 4); must not overlap w or x.
   w's batch dims broadcast: B2 % B2w == 0, B3 % B3w == 0, and batch b2 uses weight batch
   b2 / (B2 / B2w) (likewise b3), as ggml_mul_mat does. Dims 4 must be 1.
   F16/BF16 weights are expanded exactly to F32 (x stays F32), so the only rounding is the
   F32 accumulation. tp may be NULL (single thread); ctx may be NULL.
   Returns A2A_ERR_SHAPE (with a message naming the shapes) on a type or shape mismatch,
   A2A_ERR_UNSUPPORTED for a weight type no kernel handles, A2A_ERR_NOMEM when scratch
   memory cannot be had. */
a2a_status a2a_op_matmul(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w,
                         const a2a_tensor *x);

/* Row-major single-precision GEMM:
       C[m][n] = alpha * sum_k A[m][k] * B'(k, n) + beta * C[m][n]    (0 <= m < M, 0 <= n < N)
   where B'(k, n) = B[n*ldb + k] when b_trans ("NT": B is stored [N][K], like weights) and
   B'(k, n) = B[k*ldb + n] otherwise ("NN": B is stored [K][N]).
   A is [M][K] with row stride lda >= K; C is [M][N] with row stride ldc >= N. When beta == 0,
   C is not read (it may hold NaN garbage). M, N or K of 0 is fine (K == 0: C = beta*C).
   C must not overlap A or B. tp may be NULL; ctx may be NULL.
   Returns A2A_ERR_INVALID_ARG for negative sizes or too small strides, A2A_ERR_NOMEM when the
   packing scratch cannot be had. Same determinism guarantee as a2a_op_matmul. */
a2a_status a2a_sgemm(a2a_ctx *ctx, a2a_threadpool *tp, bool b_trans, int64_t M, int64_t N, int64_t K,
                     float alpha, const float *A, int64_t lda, const float *B, int64_t ldb, float beta,
                     float *C, int64_t ldc);

/* C[M][N] = A[M][K] (F32, lda) * B^T with B [N][K] BF16 (ldb), beta 0. bf16_compute: round A to
   bf16 and multiply with vdpbf16ps/AMX when the CPU has them (2-4x the F32 rate; used by the
   quantized-weight prefill path, whose weights carry far less precision than bf16); otherwise
   B is widened exactly to F32. Same threading and determinism as a2a_sgemm. */
a2a_status a2a_gemm_bf16(a2a_ctx *ctx, a2a_threadpool *tp, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                         const a2a_bf16 *B, int64_t ldb, float *C, int64_t ldc, bool bf16_compute);

/* Opt-in reduced-precision compute for BF16 weights with M >= A2A_MATMUL_GEMV_MAX_M: when on,
   x is rounded to bf16 (nearest even) and the products run on AMX tiles (tdpbf16ps) when the
   CPU has AMX and the kernel level allows A2A_LEVEL_AMX, else on AVX512_BF16 (vdpbf16ps) when
   the level allows A2A_LEVEL_AVX512; f32 accumulation in both. Results then differ from the
   exact path by the bf16 rounding of x (relative ~2^-9 per product). GEMV (small M) always
   stays exact: it is memory-bound. Off by default. Process-wide; returns the previous setting. */
bool a2a_matmul_set_bf16_compute(bool on);

/* M below which a2a_op_matmul uses the no-packing GEMV kernels instead of the packed GEMM
   (a property of the implementation, exposed for tests and benchmarks). */
#define A2A_MATMUL_GEMV_MAX_M 4

#endif
