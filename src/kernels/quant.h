/* GGUF block quantization: reference quantizers/dequantizers bit-identical with ggml's
   quantize_row_*_ref / dequantize_row_* (what gguf-py's gguf.quants reproduces), the
   quantized dot products used by the matmul (vec_dot), and a fast activation quantizer.

   Supported block types: Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q8_1 Q4_K Q5_K Q6_K Q8_K; plus F32, F16
   and BF16, which a2a_quantize_row / a2a_dequantize_row handle as plain conversions.
   One deliberate difference: for an all-zero Q8_K block ggml leaves bsums unset, we zero
   them. Inputs with NaN/inf give unspecified (but memory-safe) blocks, as in ggml. */
#ifndef A2A_KERNELS_QUANT_H
#define A2A_KERNELS_QUANT_H

#include <stdbool.h>
#include <stddef.h>
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
   dot (see a2a_vec_dot_type). SIMD variants agree with the reference to within 2e-5 of
   sum|w*x| (tested; integer parts are exact, only the float summation order differs). */
a2a_vec_dot_fn a2a_vec_dot_get(a2a_type wtype, a2a_kernel_level lvl);

/* Level of the variant that a2a_vec_dot_get(wtype, lvl) returns (for reports). */
a2a_kernel_level a2a_vec_dot_level(a2a_type wtype, a2a_kernel_level lvl);

/* s[j] = dot(w row, x row j) for j < nx (1 <= nx <= 4), x row j at x + j * x_stride bytes.
   Each result is bit-identical to what the vec_dot of the same type and level gives for that
   row alone; the weight row is unpacked once for all nx rows (prefill speed). */
typedef void (*a2a_vec_dot_multi_fn)(int64_t n, float *s, const void *w, const void *x, size_t x_stride, int nx);

/* Multi-row variant matching a2a_vec_dot_get(wtype, lvl), or NULL where that variant has no
   multi-row form (callers then call the vec_dot once per row). */
a2a_vec_dot_multi_fn a2a_vec_dot_multi_get(a2a_type wtype, a2a_kernel_level lvl);

/* Quantize an activation row of n floats to the vec_dot type vdtype (Q8_0, Q8_1 or Q8_K;
   F32 copies) with the best SIMD variant not above lvl. The blocks are bit-identical to
   a2a_quantize_row(vdtype, ...) at every level. */
void a2a_quantize_row_act(a2a_type vdtype, const float *x, void *y, int64_t n, a2a_kernel_level lvl);

/* ---- per-type kernels (internal to the quant files; declared here so the dispatcher in
   quant_ref.c can reach the variants in quant_k_ref.c and x86/quant_*.c) ---- */
#define A2A_QUANT_DECL_REF(T)                                                                  \
    void a2a_ref_quantize_##T(const float *x, void *y, int64_t n);                             \
    void a2a_ref_dequantize_##T(const void *x, float *y, int64_t n);
A2A_QUANT_DECL_REF(q4_0)
A2A_QUANT_DECL_REF(q4_1)
A2A_QUANT_DECL_REF(q5_0)
A2A_QUANT_DECL_REF(q5_1)
A2A_QUANT_DECL_REF(q8_0)
A2A_QUANT_DECL_REF(q8_1)
A2A_QUANT_DECL_REF(q4_K)
A2A_QUANT_DECL_REF(q5_K)
A2A_QUANT_DECL_REF(q6_K)
A2A_QUANT_DECL_REF(q8_K)
#undef A2A_QUANT_DECL_REF

/* Reference dot products (exact llama.cpp generic algorithms, same summation order). */
void a2a_ref_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q4_1_q8_1(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q5_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q5_1_q8_1(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_ref_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *w, const void *x);

/* Multi-row forms (see a2a_vec_dot_multi_fn). */
#define A2A_MULTI_DECL(P, T) void a2a_##P##_vec_dot_multi_##T(int64_t n, float *s, const void *w, const void *x, size_t xs, int nx);
A2A_MULTI_DECL(avx2, q4_0)
A2A_MULTI_DECL(avx2, q8_0)
A2A_MULTI_DECL(avx2, q4_K)
A2A_MULTI_DECL(avx2, q6_K)
A2A_MULTI_DECL(avx512, q4_0)
A2A_MULTI_DECL(avx512, q8_0)
A2A_MULTI_DECL(avx512, q4_K)
A2A_MULTI_DECL(avx512, q5_K)
A2A_MULTI_DECL(avx512, q6_K)
#undef A2A_MULTI_DECL

/* AVX2 (+FMA) variants, x86/quant_avx2.c. */
void a2a_avx2_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q4_1_q8_1(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q5_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q5_1_q8_1(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx2_quantize_q8_0(const float *x, void *y, int64_t n);
void a2a_avx2_quantize_q8_1(const float *x, void *y, int64_t n);
void a2a_avx2_quantize_q8_K(const float *x, void *y, int64_t n);

/* AVX-512 VNNI variants (need A2A_CPU_AVX512_VNNI), x86/quant_avx512.c. */
void a2a_avx512_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_avx512_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *w, const void *x);
void a2a_avx512_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx512_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx512_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *w, const void *x);
void a2a_avx512_quantize_q8_0(const float *x, void *y, int64_t n);
void a2a_avx512_quantize_q8_K(const float *x, void *y, int64_t n);

#endif
