/* Row conversions between element types: F32 <-> F16, F32 <-> BF16, F16 <-> BF16 (through
   F32, exact), any supported quantized type -> F32 (dequantize) and F32 -> quantized
   (reference quantizer), and same-type copies. Float narrowing rounds to nearest even;
   NaN stays NaN, overflow becomes inf (F16). SIMD variants are used when available and
   give bit-identical results to the scalar code at every kernel level. */
#ifndef A2A_KERNELS_CONVERT_H
#define A2A_KERNELS_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpu.h"
#include "core/types.h"

/* True when a2a_convert_row supports src_t -> dst_t. */
bool a2a_convert_supported(a2a_type src_t, a2a_type dst_t);

/* Convert n elements (a multiple of the block size of any quantized side) from src to dst.
   Buffers must not overlap. Returns false (writing nothing) for an unsupported pair or a
   bad n. Uses the current kernel level (a2a_kernel_level_get). */
bool a2a_convert_row(a2a_type src_t, const void *src, a2a_type dst_t, void *dst, int64_t n);

/* Same, with an explicit maximum kernel level (tests compare levels). */
bool a2a_convert_row_lvl(a2a_type src_t, const void *src, a2a_type dst_t, void *dst, int64_t n,
                         a2a_kernel_level lvl);

/* Element conversions for plain rows (the building blocks; also usable directly). */
void a2a_convert_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n, a2a_kernel_level lvl);
void a2a_convert_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n, a2a_kernel_level lvl);
void a2a_convert_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n, a2a_kernel_level lvl);
void a2a_convert_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n, a2a_kernel_level lvl);


/* ---- SIMD variants (internal; x86/convert_avx2.c, x86/convert_avx512.c). Bit-identical
   with the scalar conversions of core/types.h. ---- */
void a2a_avx2_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n);
void a2a_avx2_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n);
void a2a_avx2_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n);
void a2a_avx2_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n);
void a2a_avx512_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n);
void a2a_avx512_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n);
void a2a_avx512_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n);
void a2a_avx512_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n);

#endif
