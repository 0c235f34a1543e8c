/* Fast row dequantization (quantized GGUF blocks -> F32), used by a2a_convert_row (get_rows,
   the quantizer, the converter) and the quantized prefill GEMM path: SIMD variants for the
   common LLM formats, bit-identical to a2a_dequantize_row (the reference), which serves every
   other type. */
#ifndef A2A_KERNELS_DEQUANT_H
#define A2A_KERNELS_DEQUANT_H

#include "core/cpu.h"
#include "core/types.h"

/* y[0..n) = dequantized x (n a multiple of the block size), best variant not above lvl. */
void a2a_dequantize_row_lvl(a2a_type t, const void *x, float *y, int64_t n, a2a_kernel_level lvl);
/* True when a SIMD variant exists for t at lvl (otherwise the reference runs). */
bool a2a_dequantize_has_simd(a2a_type t, a2a_kernel_level lvl);

/* AVX-512 variants (x86/dequant_avx512.c). */
void a2a_avx512_dequantize_q8_0(const void *x, float *y, int64_t n);
void a2a_avx512_dequantize_q4_0(const void *x, float *y, int64_t n);

#endif
