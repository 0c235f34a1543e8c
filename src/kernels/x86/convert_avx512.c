/* AVX-512 row conversions F16/BF16 <-> F32, bit-identical with core/types.h (the BF16
   narrowing uses integer rounding, not vcvtneps2bf16, which flushes subnormals). */
#include <immintrin.h>

#include "kernels/convert.h"

/* n halves -> floats (exact). */
void a2a_avx512_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(x + i))));
    for (; i < n; i++) y[i] = a2a_fp16_to_f32(x[i]);
}

/* n floats -> halves, round to nearest even (hardware conversion, same as the scalar one). */
void a2a_avx512_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(y + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) y[i] = a2a_f32_to_fp16(x[i]);
}

/* n bf16 -> floats (exact: shift into the high half). */
void a2a_avx512_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(x + i)));
        _mm512_storeu_si512((void *)(y + i), _mm512_slli_epi32(v, 16));
    }
    for (; i < n; i++) y[i] = a2a_bf16_to_f32(x[i]);
}

/* n floats -> bf16, round to nearest even, NaN | 64 (as a2a_f32_to_bf16). */
void a2a_avx512_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512i u = _mm512_loadu_si512((const void *)(x + i));
        const __mmask16 nan =
            _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
        const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff))), 16);
        r = _mm512_mask_or_epi32(r, nan, _mm512_srli_epi32(u, 16), _mm512_set1_epi32(64));
        _mm256_storeu_si256((__m256i *)(y + i), _mm512_cvtepi32_epi16(r));
    }
    for (; i < n; i++) y[i] = a2a_f32_to_bf16(x[i]);
}
