/* AVX2 + F16C row conversions F16/BF16 <-> F32, bit-identical with core/types.h. */
#include <immintrin.h>

#include "kernels/convert.h"

/* n halves -> floats (exact). */
void a2a_avx2_f16_to_f32(const a2a_fp16 *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))));
    for (; i < n; i++) y[i] = a2a_fp16_to_f32(x[i]);
}

/* n floats -> halves, round to nearest even (hardware conversion, same as the scalar one). */
void a2a_avx2_f32_to_f16(const float *x, a2a_fp16 *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; i++) y[i] = a2a_f32_to_fp16(x[i]);
}

/* n bf16 -> floats (exact: shift into the high half). */
void a2a_avx2_bf16_to_f32(const a2a_bf16 *x, float *y, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(x + i)));
        _mm256_storeu_si256((__m256i *)(y + i), _mm256_slli_epi32(v, 16));
    }
    for (; i < n; i++) y[i] = a2a_bf16_to_f32(x[i]);
}

/* 8 floats -> 8 bf16 in the low 16 bits of each int32: round to nearest even, NaN | 64. */
static inline __m256i f32_to_bf16_8(__m256i u) {
    const __m256i abs = _mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff));
    const __m256i nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7f800000));
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i r = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
    const __m256i q = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
    return _mm256_blendv_epi8(r, q, nan);
}

/* n floats -> bf16, round to nearest even, NaN | 64 (as a2a_f32_to_bf16). */
void a2a_avx2_f32_to_bf16(const float *x, a2a_bf16 *y, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i a = f32_to_bf16_8(_mm256_loadu_si256((const __m256i *)(x + i)));
        const __m256i b = f32_to_bf16_8(_mm256_loadu_si256((const __m256i *)(x + i + 8)));
        const __m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_si256((__m256i *)(y + i), p);
    }
    for (; i < n; i++) y[i] = a2a_f32_to_bf16(x[i]);
}
