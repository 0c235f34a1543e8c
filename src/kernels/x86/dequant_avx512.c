/* AVX-512 dequantization of Q8_0 and Q4_0 rows: d * q per element, the same single float
   multiply as the reference, so results are bit-identical. */
#include "kernels/dequant.h"

#include <immintrin.h>

/* Q8_0: 32 int8 per block, y = d * q. */
void a2a_avx512_dequantize_q8_0(const void *x, float *y, int64_t n) {
    const a2a_block_q8_0 *b = x;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++) {
        __m512 d = _mm512_set1_ps(a2a_fp16_to_f32(b[i].d));
        __m128i q0 = _mm_loadu_si128((const __m128i *)b[i].qs), q1 = _mm_loadu_si128((const __m128i *)(b[i].qs + 16));
        _mm512_storeu_ps(y + i * 32, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0))));
        _mm512_storeu_ps(y + i * 32 + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1))));
    }
}

/* Q4_0: 16 bytes of nibbles per block; element j < 16 is the low nibble of byte j, element
   j + 16 the high nibble; y = d * (q - 8). */
void a2a_avx512_dequantize_q4_0(const void *x, float *y, int64_t n) {
    const a2a_block_q4_0 *b = x;
    const __m128i mask = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (int64_t i = 0; i < n / A2A_QK4_0; i++) {
        __m512 d = _mm512_set1_ps(a2a_fp16_to_f32(b[i].d));
        __m128i q = _mm_loadu_si128((const __m128i *)b[i].qs);
        __m128i lo = _mm_sub_epi8(_mm_and_si128(q, mask), eight);
        __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), mask), eight);
        _mm512_storeu_ps(y + i * 32, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo))));
        _mm512_storeu_ps(y + i * 32 + 16, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi))));
    }
}
