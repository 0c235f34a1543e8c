/* Row conversions between F32, F16, BF16 and the quantized types: scalar versions and the
   dispatcher that picks a SIMD variant by kernel level (all variants bit-identical). */
#include <string.h>

#include "core/status.h"
#include "kernels/convert.h"
#include "kernels/dequant.h"
#include "kernels/quant.h"

/* Clamp lvl to the CPU and report which SIMD set may run: 2 = AVX-512, 1 = AVX2, 0 = none. */
static int simd_level(a2a_kernel_level lvl) {
    a2a_kernel_level max = a2a_kernel_level_max();
    if (lvl > max) lvl = max;
    if (lvl >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512)) return 2;
    if (lvl >= A2A_LEVEL_AVX2 && a2a_cpu_has(A2A_CPU_AVX2)) return 1;
    return 0;
}

/* Contract in kernels/convert.h: SIMD variant by level, else the scalar loop. */
void a2a_convert_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n, a2a_kernel_level lvl) {
    switch (simd_level(lvl)) {
    case 2: a2a_avx512_f16_to_f32(x, y, n); return;
    case 1: a2a_avx2_f16_to_f32(x, y, n); return;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_fp16_to_f32(x[i]);
    }
}

/* Contract in kernels/convert.h: SIMD variant by level, else the scalar loop. */
void a2a_convert_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n, a2a_kernel_level lvl) {
    switch (simd_level(lvl)) {
    case 2: a2a_avx512_f32_to_f16(x, y, n); return;
    case 1: a2a_avx2_f32_to_f16(x, y, n); return;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_f32_to_fp16(x[i]);
    }
}

/* Contract in kernels/convert.h: SIMD variant by level, else the scalar loop. */
void a2a_convert_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n, a2a_kernel_level lvl) {
    switch (simd_level(lvl)) {
    case 2: a2a_avx512_bf16_to_f32(x, y, n); return;
    case 1: a2a_avx2_bf16_to_f32(x, y, n); return;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_bf16_to_f32(x[i]);
    }
}

/* Contract in kernels/convert.h: SIMD variant by level, else the scalar loop. */
void a2a_convert_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n, a2a_kernel_level lvl) {
    switch (simd_level(lvl)) {
    case 2: a2a_avx512_f32_to_bf16(x, y, n); return;
    case 1: a2a_avx2_f32_to_bf16(x, y, n); return;
    default:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_f32_to_bf16(x[i]);
    }
}

/* True for F32, F16, BF16. */
static bool is_float(a2a_type t) { return t == A2A_TYPE_F32 || t == A2A_TYPE_F16 || t == A2A_TYPE_BF16; }

/* Contract in kernels/convert.h. */
bool a2a_convert_supported(a2a_type src_t, a2a_type dst_t) {
    if (!a2a_quant_supported(src_t) || !a2a_quant_supported(dst_t)) return false;
    if (src_t == dst_t) return true;
    if (is_float(src_t) && is_float(dst_t)) return true;
    return src_t == A2A_TYPE_F32 || dst_t == A2A_TYPE_F32;
}

/* Half -> bf16 through f32 for n elements, in chunks on the stack. */
static void f16_to_bf16(const a2a_fp16 *x, a2a_bf16 *y, int64_t n, a2a_kernel_level lvl) {
    float tmp[512];
    for (int64_t i = 0; i < n; i += 512) {
        const int64_t c = A2A_MIN(512, n - i);
        a2a_convert_f16_to_f32(x + i, tmp, c, lvl);
        a2a_convert_f32_to_bf16(tmp, y + i, c, lvl);
    }
}

/* Bf16 -> half through f32 for n elements, in chunks on the stack. */
static void bf16_to_f16(const a2a_bf16 *x, a2a_fp16 *y, int64_t n, a2a_kernel_level lvl) {
    float tmp[512];
    for (int64_t i = 0; i < n; i += 512) {
        const int64_t c = A2A_MIN(512, n - i);
        a2a_convert_bf16_to_f32(x + i, tmp, c, lvl);
        a2a_convert_f32_to_f16(tmp, y + i, c, lvl);
    }
}

/* Contract in kernels/convert.h. */
bool a2a_convert_row_lvl(a2a_type src_t, const void *src, a2a_type dst_t, void *dst, int64_t n, a2a_kernel_level lvl) {
    if (n < 0 || !a2a_convert_supported(src_t, dst_t)) return false;
    size_t bytes;
    if (!a2a_row_size(src_t, n, &bytes) || !a2a_row_size(dst_t, n, &bytes)) return false;
    if (src_t == dst_t) {
        a2a_row_size(src_t, n, &bytes);
        memcpy(dst, src, bytes);
        return true;
    }
    if (src_t == A2A_TYPE_F16 && dst_t == A2A_TYPE_F32) a2a_convert_f16_to_f32(src, dst, n, lvl);
    else if (src_t == A2A_TYPE_F32 && dst_t == A2A_TYPE_F16) a2a_convert_f32_to_f16(src, dst, n, lvl);
    else if (src_t == A2A_TYPE_BF16 && dst_t == A2A_TYPE_F32) a2a_convert_bf16_to_f32(src, dst, n, lvl);
    else if (src_t == A2A_TYPE_F32 && dst_t == A2A_TYPE_BF16) a2a_convert_f32_to_bf16(src, dst, n, lvl);
    else if (src_t == A2A_TYPE_F16 && dst_t == A2A_TYPE_BF16) f16_to_bf16(src, dst, n, lvl);
    else if (src_t == A2A_TYPE_BF16 && dst_t == A2A_TYPE_F16) bf16_to_f16(src, dst, n, lvl);
    else if (dst_t == A2A_TYPE_F32) a2a_dequantize_row_lvl(src_t, src, dst, n, lvl); /* SIMD where it exists, bit-identical */
    else a2a_quantize_row(dst_t, src, dst, n);
    return true;
}

/* Contract in kernels/convert.h. */
bool a2a_convert_row(a2a_type src_t, const void *src, a2a_type dst_t, void *dst, int64_t n) {
    return a2a_convert_row_lvl(src_t, src, dst_t, dst, n, a2a_kernel_level_get());
}
