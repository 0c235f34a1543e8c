/* Matrix product with block-quantized weights (GEMV for decode, GEMM for prefill). */
#ifndef A2A_KERNELS_MATMUL_QUANT_H
#define A2A_KERNELS_MATMUL_QUANT_H

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* dst[b][m][n] = sum_k w[b'][n][k] * x[b][m][k].
   w: quantized weights (any type with a vec_dot, see a2a_vec_dot_type; F16/BF16/F32 are not
      handled here), shape [K, N, B2w, B3w], rows contiguous blocks (nb[0] = block size).
   x: F32 [K, M, B2, B3], rows contiguous (nb[0] == 4), other strides arbitrary.
   dst: F32 [N, M, B2, B3], rows contiguous (nb[0] == 4), other strides arbitrary.
   w's batch dims broadcast as in ggml_mul_mat: B2 % B2w == 0, B3 % B3w == 0 and batch b2
   uses weight batch b2 / (B2 / B2w). K must be a multiple of the block size.
   x rows are quantized once to the vec_dot type (in the calling thread's scratch slot 1,
   shared with the workers), then weight rows are split across the pool's threads; for M > 1
   each weight row is unpacked once for 4 activation rows (a2a_vec_dot_multi_fn). Each
   output element is computed by the same arithmetic whatever the thread count, so results
   are bit-identical across thread counts. tp may be NULL; ctx may be NULL.
   Returns A2A_ERR_UNSUPPORTED for a weight type without a quantized dot (F16/BF16/F32, Q2_K,
   Q3_K, IQ*, ...), A2A_ERR_SHAPE with a message for any other type or shape mismatch,
   A2A_ERR_NOMEM if the scratch buffer cannot be allocated or its size overflows. */
a2a_status a2a_matmul_quant(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w,
                            const a2a_tensor *x);

/* Prefill alternative (matmul_dequant.c): true when, for M activation rows, dequantizing w to
   F32 in chunks and running the F32 GEMM is the faster path (large M and a SIMD dequantizer for
   w's type at the current kernel level). */
bool a2a_matmul_dequant_wanted(const a2a_tensor *w, int64_t M);
/* Same contract as a2a_matmul_quant (shapes already validated by a2a_op_matmul), computed with
   exactly dequantized F32 weights and F32 activations; uses scratch slot 1 of the calling
   thread. Bit-identical for any thread count. */
a2a_status a2a_matmul_dequant(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w,
                              const a2a_tensor *x);

#endif
