/* AVX-512 (F/BW/VL + VNNI) variants of the quantized dot products and the activation
   quantizers. The dispatcher only selects them when the CPU has AVX512_VNNI. Dot products
   differ from the reference only in float summation order; activation quantizers are
   bit-identical with the reference. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "kernels/quant.h"

/* half -> float with the F16C instruction (exact, like a2a_fp16_to_f32, but branch-free). */
static inline float fp16_hw(a2a_fp16 h) { return _cvtsh_ss(h); }

/* Sum of the 8 floats of v. */
static inline float hsum_ps256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 16 bytes of packed nibbles -> 32 bytes: low nibbles, then high nibbles. */
static inline __m256i nibbles_32(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}

#define A2A_INLINE static inline __attribute__((always_inline))

/* The x row r of a multi-row call. */
#define XROW(T, x, xs, r) ((const T *)((const char *)(x) + (size_t)(r) * (xs)))

/* Q4_0 x Q8_0 for nr (1..4) activation rows, two blocks per 512-bit step: vpdpbusd on the
   unsigned nibbles, the -8 offset through a second vpdpbusd of 8s with the activations.
   Per row, the operations do not depend on nr. */
A2A_INLINE void q4_0_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q4_0 *w = vw;
    const int64_t nb = n / A2A_QK8_0;
    const __m512i m4 = _mm512_set1_epi8(0x0F), eight = _mm512_set1_epi8(8), z = _mm512_setzero_si512();
    /* 128-bit lanes: [qs_i, qs_i, qs_i+1, qs_i+1], shifted by 0 / 4 / 0 / 4 */
    const __m512i dup = _mm512_setr_epi64(0, 1, 0, 1, 2, 3, 2, 3);
    const __m512i shifts = _mm512_setr_epi64(0, 0, 0x0004000400040004ll, 0x0004000400040004ll, 0, 0,
                                              0x0004000400040004ll, 0x0004000400040004ll);
    __m512 acc[4];
    __m256 acc1[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm512_setzero_ps();
        acc1[r] = _mm256_setzero_ps();
    }
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        const __m256i t = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)w[i].qs)),
                                                  _mm_loadu_si128((const __m128i *)w[i + 1].qs), 1);
        const __m512i q = _mm512_and_si512(_mm512_srlv_epi16(_mm512_permutexvar_epi64(dup, _mm512_castsi256_si512(t)), shifts), m4);
        const float d0 = fp16_hw(w[i].d), d1 = fp16_hw(w[i + 1].d);
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_0 *x = XROW(a2a_block_q8_0, vx, xs, r);
            const __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)x[i].qs)),
                                                 _mm256_loadu_si256((const __m256i *)x[i + 1].qs), 1);
            const __m512i p = _mm512_sub_epi32(_mm512_dpbusd_epi32(z, q, y), _mm512_dpbusd_epi32(z, eight, y));
            const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(d0 * fp16_hw(x[i].d)), _mm256_set1_ps(d1 * fp16_hw(x[i + 1].d)), 1);
            acc[r] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(p), acc[r]);
        }
    }
    if (i < nb) {
        const __m256i q = nibbles_32(w[i].qs);
        const float d0 = fp16_hw(w[i].d);
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_0 *x = XROW(a2a_block_q8_0, vx, xs, r);
            const __m256i y = _mm256_loadu_si256((const __m256i *)x[i].qs);
            const __m256i p = _mm256_sub_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), q, y),
                                               _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), y));
            acc1[r] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * fp16_hw(x[i].d)), _mm256_cvtepi32_ps(p), acc1[r]);
        }
    }
    for (int r = 0; r < nr; r++)
        s[r] = hsum_ps256(_mm256_add_ps(_mm256_add_ps(_mm512_castps512_ps256(acc[r]), _mm512_extractf32x8_ps(acc[r], 1)), acc1[r]));
}

void a2a_avx512_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) { q4_0_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx512_vec_dot_multi_q4_0(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q4_0_rows(n, s, vw, vx, xs, 4); break;
    case 3: q4_0_rows(n, s, vw, vx, xs, 3); break;
    case 2: q4_0_rows(n, s, vw, vx, xs, 2); break;
    default: q4_0_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q8_0 x Q8_0 for nr rows with vpdpbusd (|w| times the sign-moved activations). */
A2A_INLINE void q8_0_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q8_0 *w = vw;
    const int64_t nb = n / A2A_QK8_0;
    const __m256i z = _mm256_setzero_si256();
    __m256 acc[4][2];
    for (int r = 0; r < nr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#define Q8_0_BLOCK(I, A)                                                                                    \
    do {                                                                                                    \
        const __m256i q = _mm256_loadu_si256((const __m256i *)w[I].qs);                                     \
        const __m256i aq = _mm256_abs_epi8(q);                                                              \
        const float dw = fp16_hw(w[I].d);                                                                   \
        for (int r = 0; r < nr; r++) {                                                                      \
            const a2a_block_q8_0 *x = XROW(a2a_block_q8_0, vx, xs, r);                                      \
            const __m256i y = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x[I].qs), q);            \
            const __m256i p = _mm256_dpbusd_epi32(z, aq, y);                                                \
            acc[r][A] = _mm256_fmadd_ps(_mm256_set1_ps(dw * fp16_hw(x[I].d)), _mm256_cvtepi32_ps(p), acc[r][A]); \
        }                                                                                                   \
    } while (0)
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        Q8_0_BLOCK(i, 0);
        Q8_0_BLOCK(i + 1, 1);
    }
    if (i < nb) Q8_0_BLOCK(i, 0);
#undef Q8_0_BLOCK
    for (int r = 0; r < nr; r++) s[r] = hsum_ps256(_mm256_add_ps(acc[r][0], acc[r][1]));
}

void a2a_avx512_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) { q8_0_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx512_vec_dot_multi_q8_0(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q8_0_rows(n, s, vw, vx, xs, 4); break;
    case 3: q8_0_rows(n, s, vw, vx, xs, 3); break;
    case 2: q8_0_rows(n, s, vw, vx, xs, 2); break;
    default: q8_0_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Unpack a Q4_K/Q5_K block's 12 scale bytes: 8 scales (bytes 0..7) and 8 mins (bytes 8..15). */
A2A_INLINE __m128i k4_scales_mins(const uint8_t *q) {
    uint32_t u[4];
    memcpy(u, q, 12);
    const uint32_t m6 = 0x3f3f3f3f, m4 = 0x0f0f0f0f, m2 = 0x03030303;
    u[3] = ((u[2] >> 4) & m4) | (((u[1] >> 6) & m2) << 4);
    const uint32_t mins_lo = u[1] & m6;
    u[1] = (u[2] & m4) | (((u[0] >> 6) & m2) << 4);
    u[2] = mins_lo;
    u[0] &= m6;
    return _mm_loadu_si128((const __m128i *)u);
}

/* sum_j bsums[j] * mins[j/2] (exact int) for one Q8_K block; mins16 = 8 int16 mins. */
A2A_INLINE int k4_min_dot(const int16_t *bsums, __m128i mins16) {
    const __m256i b = _mm256_loadu_si256((const __m256i *)bsums);
    const __m128i pairs = _mm_hadd_epi16(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
    __m128i p = _mm_madd_epi16(pairs, mins16);
    p = _mm_add_epi32(p, _mm_unpackhi_epi64(p, p));
    p = _mm_add_epi32(p, _mm_shuffle_epi32(p, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(p);
}

/* Q4_K x Q8_K for nr rows: 64 values (one pair of sub-blocks) per 512-bit step. */
A2A_INLINE void q4_K_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q4_K *w = vw;
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    /* shift 0 for the low 256 bits (low nibbles), 4 for the high 256 bits (high nibbles) */
    const __m512i shifts = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    /* int16 lane l of step j takes scale 2j + l/16 */
    const __m512i idx0 = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(1), 1);
    const __m512i two = _mm512_set1_epi16(2);
    __m512 acc[4];
    float summ[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm512_setzero_ps();
        summ[r] = 0;
    }
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const __m128i sm = k4_scales_mins(w[i].scales);
        const __m512i sc16 = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(sm));
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
        const float dw = fp16_hw(w[i].d), dmw = fp16_hw(w[i].dmin);
        __m512i sumi[4];
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            summ[r] += dmw * x[i].d * (float)k4_min_dot(x[i].bsums, mins16);
            sumi[r] = _mm512_setzero_si512();
        }
        __m512i idx = idx0;
        for (int j = 0; j < 4; j++) {
            const __m512i b = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * j)));
            const __m512i q = _mm512_and_si512(_mm512_srlv_epi16(b, shifts), m4);
            const __m512i sc = _mm512_permutexvar_epi16(idx, sc16);
            idx = _mm512_add_epi16(idx, two);
            for (int r = 0; r < nr; r++) {
                const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
                const __m512i y = _mm512_loadu_si512((const void *)(x[i].qs + 64 * j));
                sumi[r] = _mm512_add_epi32(sumi[r], _mm512_madd_epi16(_mm512_maddubs_epi16(q, y), sc));
            }
        }
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(dw * x[i].d), _mm512_cvtepi32_ps(sumi[r]), acc[r]);
        }
    }
    for (int r = 0; r < nr; r++) s[r] = _mm512_reduce_add_ps(acc[r]) - summ[r];
}

void a2a_avx512_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) { q4_K_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx512_vec_dot_multi_q4_K(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q4_K_rows(n, s, vw, vx, xs, 4); break;
    case 3: q4_K_rows(n, s, vw, vx, xs, 3); break;
    case 2: q4_K_rows(n, s, vw, vx, xs, 2); break;
    default: q4_K_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q5_K x Q8_K for nr rows: as Q4_K with the fifth bits from qh (bit 2j for the low nibbles
   of step j, bit 2j+1 for the high ones). */
A2A_INLINE void q5_K_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q5_K *w = vw;
    const __m512i m4 = _mm512_set1_epi8(0x0F), one = _mm512_set1_epi8(1);
    const __m512i shifts = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(4), 1);
    const __m512i idx0 = _mm512_inserti64x4(_mm512_set1_epi16(0), _mm256_set1_epi16(1), 1);
    const __m512i two = _mm512_set1_epi16(2);
    __m512 acc[4];
    float summ[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm512_setzero_ps();
        summ[r] = 0;
    }
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const __m128i sm = k4_scales_mins(w[i].scales);
        const __m512i sc16 = _mm512_castsi256_si512(_mm256_cvtepu8_epi16(sm));
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
        const float dw = fp16_hw(w[i].d), dmw = fp16_hw(w[i].dmin);
        const __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)w[i].qh));
        __m512i sumi[4];
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            summ[r] += dmw * x[i].d * (float)k4_min_dot(x[i].bsums, mins16);
            sumi[r] = _mm512_setzero_si512();
        }
        __m512i idx = idx0; /* also the qh bit index of each half */
        for (int j = 0; j < 4; j++) {
            const __m512i b = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * j)));
            const __m512i hb = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(h, idx), one), 4);
            const __m512i q = _mm512_or_si512(_mm512_and_si512(_mm512_srlv_epi16(b, shifts), m4), hb);
            const __m512i sc = _mm512_permutexvar_epi16(idx, sc16);
            idx = _mm512_add_epi16(idx, two);
            for (int r = 0; r < nr; r++) {
                const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
                const __m512i y = _mm512_loadu_si512((const void *)(x[i].qs + 64 * j));
                sumi[r] = _mm512_add_epi32(sumi[r], _mm512_madd_epi16(_mm512_maddubs_epi16(q, y), sc));
            }
        }
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(dw * x[i].d), _mm512_cvtepi32_ps(sumi[r]), acc[r]);
        }
    }
    for (int r = 0; r < nr; r++) s[r] = _mm512_reduce_add_ps(acc[r]) - summ[r];
}

/* Single-row Q5_K x Q8_K. */
void a2a_avx512_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) { q5_K_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx512_vec_dot_multi_q5_K(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q5_K_rows(n, s, vw, vx, xs, 4); break;
    case 3: q5_K_rows(n, s, vw, vx, xs, 3); break;
    case 2: q5_K_rows(n, s, vw, vx, xs, 2); break;
    default: q5_K_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q6_K x Q8_K for nr rows: 64 values per 512-bit step; the -32 offset through the bsums. */
A2A_INLINE void q6_K_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q6_K *w = vw;
    const __m512i m4 = _mm512_set1_epi8(0x0F), m2 = _mm512_set1_epi8(3);
    const __m512i sh_a = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
    const __m512i sh_b = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(6), 1);
    /* int16 lane l of step k takes scale 4k + l/8 */
    const __m512i idx0 = _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,
                                          0, 0, 0, 0);
    const __m512i four = _mm512_set1_epi16(4);
    __m512 acc[4];
    float soff[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm512_setzero_ps();
        soff[r] = 0;
    }
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const __m256i sc16y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w[i].scales));
        const __m512i sc16 = _mm512_castsi256_si512(sc16y);
        const float dw = fp16_hw(w[i].d);
        __m512i sumi[4];
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            /* the "- 32" of every level: 32 * sum_g scale_g * bsum_g */
            const __m256i o = _mm256_madd_epi16(sc16y, _mm256_loadu_si256((const __m256i *)x[i].bsums));
            __m128i o4 = _mm_add_epi32(_mm256_castsi256_si128(o), _mm256_extracti128_si256(o, 1));
            o4 = _mm_add_epi32(o4, _mm_unpackhi_epi64(o4, o4));
            o4 = _mm_add_epi32(o4, _mm_shuffle_epi32(o4, _MM_SHUFFLE(2, 3, 0, 1)));
            soff[r] += dw * x[i].d * (float)(32 * _mm_cvtsi128_si32(o4));
            sumi[r] = _mm512_setzero_si512();
        }
        __m512i idx = idx0;
        for (int c = 0; c < 2; c++) {
            const __m512i l = _mm512_loadu_si512((const void *)(w[i].ql + 64 * c)); /* [ql 0..31 | ql 32..63] */
            const __m512i h = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w[i].qh + 32 * c)));
            const __m512i qa = _mm512_or_si512(_mm512_and_si512(l, m4),
                                               _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(h, sh_a), m2), 4));
            const __m512i qb = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                                               _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(h, sh_b), m2), 4));
            const __m512i sa = _mm512_permutexvar_epi16(idx, sc16);
            idx = _mm512_add_epi16(idx, four);
            const __m512i sb = _mm512_permutexvar_epi16(idx, sc16);
            idx = _mm512_add_epi16(idx, four);
            for (int r = 0; r < nr; r++) {
                const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
                const __m512i ya = _mm512_loadu_si512((const void *)(x[i].qs + 128 * c));
                const __m512i yb = _mm512_loadu_si512((const void *)(x[i].qs + 128 * c + 64));
                const __m512i pa = _mm512_madd_epi16(_mm512_maddubs_epi16(qa, ya), sa);
                const __m512i pb = _mm512_madd_epi16(_mm512_maddubs_epi16(qb, yb), sb);
                sumi[r] = _mm512_add_epi32(sumi[r], _mm512_add_epi32(pa, pb));
            }
        }
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(dw * x[i].d), _mm512_cvtepi32_ps(sumi[r]), acc[r]);
        }
    }
    for (int r = 0; r < nr; r++) s[r] = _mm512_reduce_add_ps(acc[r]) - soff[r];
}

void a2a_avx512_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) { q6_K_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx512_vec_dot_multi_q6_K(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q6_K_rows(n, s, vw, vx, xs, 4); break;
    case 3: q6_K_rows(n, s, vw, vx, xs, 3); break;
    case 2: q6_K_rows(n, s, vw, vx, xs, 2); break;
    default: q6_K_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* roundf (half away from zero) of 16 floats of magnitude < 2^23, exactly. */
static inline __m512 round_away16(__m512 v) {
    const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_abs_ps(_mm512_sub_ps(v, t));
    const __mmask16 up = _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ);
    const __m512 one = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_set1_ps(1.0f)),
                                                           _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN))));
    return _mm512_mask_add_ps(t, up, t, one);
}

/* Q8_0 activation quantizer (bit-identical with the reference). */
void a2a_avx512_quantize_q8_0(const float *x, void *vy, int64_t n) {
    a2a_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++, x += A2A_QK8_0) {
        const __m512 a = _mm512_loadu_ps(x), b = _mm512_loadu_ps(x + 16);
        const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        const __m512 vid = _mm512_set1_ps(id);
        const __m512i ia = _mm512_cvtps_epi32(round_away16(_mm512_mul_ps(a, vid)));
        const __m512i ib = _mm512_cvtps_epi32(round_away16(_mm512_mul_ps(b, vid)));
        _mm_storeu_si128((__m128i *)y[i].qs, _mm512_cvtsepi32_epi8(ia));
        _mm_storeu_si128((__m128i *)(y[i].qs + 16), _mm512_cvtsepi32_epi8(ib));
    }
}

/* Q8_K activation quantizer (bit-identical with the reference). */
void a2a_avx512_quantize_q8_K(const float *x, void *vy, int64_t n) {
    a2a_block_q8_K *y = vy;
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        __m512 m = _mm512_setzero_ps();
        for (int j = 0; j < A2A_QK_K; j += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + j)));
        const float amax = _mm512_reduce_max_ps(m);
        if (!amax) {
            memset(&y[i], 0, sizeof(a2a_block_q8_K));
            continue;
        }
        float max = 0;
        for (int j = 0; j < A2A_QK_K; j++)
            if (fabsf(x[j]) == amax) { max = x[j]; break; }
        const float iscale = -127.f / max;
        const __m512 vs = _mm512_set1_ps(iscale);
        const __m512i lim = _mm512_set1_epi32(127);
        for (int j = 0; j < A2A_QK_K; j += 16) {
            const __m512i q = _mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + j), vs)), lim);
            _mm_storeu_si128((__m128i *)(y[i].qs + j), _mm512_cvtsepi32_epi8(q));
            y[i].bsums[j / 16] = (int16_t)_mm512_reduce_add_epi32(q);
        }
        y[i].d = 1 / iscale;
    }
}
