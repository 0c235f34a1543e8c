/* GGUF block quantization: reference quantizers/dequantizers bit-identical with ggml's
   quantize_row_*_ref / dequantize_row_* (what gguf-py's gguf.quants reproduces), the
   quantized dot products used by the matmul (vec_dot), and a fast activation quantizer.

   Supported block types: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q4_K Q5_K Q6_K Q8_K; plus F32, F16
   and BF16, which a2a_quantize_row / a2a_dequantize_row handle as plain conversions. */
#ifndef A2A_KERNELS_QUANT_H
#define A2A_KERNELS_QUANT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpu.h"
#include "core/types.h"

/* True for the types a2a_quantize_row / a2a_dequantize_row accept. */
bool a2a_quant_supported(a2a_type t);

/* Quantize n floats (n a multiple of t's block size) into n/blck blocks of type t at y,
   with ggml's reference algorithm (bit-identical output). A2A_ASSERTs on an unsupported
   type or a bad n (programmer errors: check a2a_quant_supported / a2a_row_size first). */
void a2a_quantize_row(a2a_type t, const float *x, void *y, int64_t n);

/* Dequantize n elements (a multiple of the block size) of type t at x into floats at y,
   exactly as ggml's dequantize_row_*. Same assertions as a2a_quantize_row. */
void a2a_dequantize_row(a2a_type t, const void *x, float *y, int64_t n);

/* Type the activations are quantized to for a dot product with weights of type wtype:
   Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1, Q8_K for Q4_K/Q5_K/Q6_K; F32 for
   F32/F16/BF16 weights (no quantized vec_dot); A2A_TYPE_COUNT if wtype has no dot. */
a2a_type a2a_vec_dot_type(a2a_type wtype);

/* *s = dot(w row, x row) over n elements; w has the weight type, x the vec_dot type of
   that weight type (a2a_vec_dot_type). n must be a multiple of the block size. */
typedef void (*a2a_vec_dot_fn)(int64_t n, float *s, const void *w, const void *x);

/* Best vec_dot variant for weights of type wtype whose level is not above lvl and that this
   CPU supports (the reference variant is always available). NULL if wtype has no quantized
   dot (see a2a_vec_dot_type). SIMD variants agree with the reference to within a relative
   error of about 1e-5 of sum|w*x| (the only difference is float summation order). */
a2a_vec_dot_fn a2a_vec_dot_get(a2a_type wtype, a2a_kernel_level lvl);

/* Level of the variant that a2a_vec_dot_get(wtype, lvl) returns (for reports). */
a2a_kernel_level a2a_vec_dot_level(a2a_type wtype, a2a_kernel_level lvl);

/* Quantize an activation row of n floats to the vec_dot type vdtype (Q8_0, Q8_1 or Q8_K;
   F32 copies) with the best SIMD variant not above lvl. The blocks are bit-identical to
   a2a_quantize_row(vdtype, ...) at every level. */
void a2a_quantize_row_act(a2a_type vdtype, const float *x, void *y, int64_t n, a2a_kernel_level lvl);

#endif
