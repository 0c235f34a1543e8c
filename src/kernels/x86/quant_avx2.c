/* AVX2 + FMA variants of the quantized dot products and the activation quantizers.
   Dot products: integer products are exact; only the float accumulation order differs from
   the reference (relative error ~1e-6 of sum|w*x|). Activation quantizers: bit-identical
   with the reference (same float operations per element, exact rounding emulation). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "kernels/quant.h"

/* ---------------------------------------------------------------- helpers */

/* half -> float with the F16C instruction (exact, like a2a_fp16_to_f32, but branch-free). */
static inline float fp16_hw(a2a_fp16 h) { return _cvtsh_ss(h); }


/* Sum of the 8 floats of v. */
static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Sum of the 8 int32 of v. */
static inline int hsum_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* 16 bytes of packed nibbles -> 32 bytes: low nibbles (elements 0..15), then high (16..31). */
static inline __m256i nibbles_32(const uint8_t *p) {
    const __m128i t = _mm_loadu_si128((const __m128i *)p);
    const __m256i b = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
    return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}

/* 32 bits -> 32 bytes, 0xFF where the bit is set (bit j -> byte j). */
static inline __m256i bits_to_bytes(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    const __m256i shuf = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i b = _mm256_shuffle_epi8(_mm256_set1_epi32((int)v), shuf);
    return _mm256_cmpeq_epi8(_mm256_and_si256(b, sel), sel);
}

/* Signed int8 x signed int8, 32 lanes, summed in groups of 4 into 8 int32. */
static inline __m256i dot_i8(__m256i a, __m256i b) {
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

/* Unsigned (<128) int8 x signed int8, summed in groups of 4 into 8 int32. */
static inline __m256i dot_u8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

/* ---------------------------------------------------------------- 32-blocks */

#define A2A_INLINE static inline __attribute__((always_inline))

/* The x row r of a multi-row call. */
#define XROW(T, x, xs, r) ((const T *)((const char *)(x) + (size_t)(r) * (xs)))

/* Q4_0 x Q8_0 for nr (1..4) activation rows; even and odd blocks go to separate
   accumulators. Per row, the operations do not depend on nr. */
A2A_INLINE void q4_0_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q4_0 *w = vw;
    const int64_t nb = n / A2A_QK8_0;
    const __m256i off = _mm256_set1_epi8(8);
    __m256 acc[4][2];
    for (int r = 0; r < nr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#define Q4_0_BLOCK(I, A)                                                                                    \
    do {                                                                                                    \
        const __m256i q = _mm256_sub_epi8(nibbles_32(w[I].qs), off);                                        \
        const __m256i aq = _mm256_sign_epi8(q, q);                                                          \
        const float dw = fp16_hw(w[I].d);                                                                   \
        for (int r = 0; r < nr; r++) {                                                                      \
            const a2a_block_q8_0 *x = XROW(a2a_block_q8_0, vx, xs, r);                                      \
            const __m256i y = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x[I].qs), q);            \
            const __m256i p = dot_u8(aq, y);                                                                \
            acc[r][A] = _mm256_fmadd_ps(_mm256_set1_ps(dw * fp16_hw(x[I].d)), _mm256_cvtepi32_ps(p), acc[r][A]); \
        }                                                                                                   \
    } while (0)
    int64_t i = 0;
    for (; i + 1 < nb; i += 2) {
        Q4_0_BLOCK(i, 0);
        Q4_0_BLOCK(i + 1, 1);
    }
    if (i < nb) Q4_0_BLOCK(i, 0);
#undef Q4_0_BLOCK
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(_mm256_add_ps(acc[r][0], acc[r][1]));
}

void a2a_avx2_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) { q4_0_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx2_vec_dot_multi_q4_0(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q4_0_rows(n, s, vw, vx, xs, 4); break;
    case 3: q4_0_rows(n, s, vw, vx, xs, 3); break;
    case 2: q4_0_rows(n, s, vw, vx, xs, 2); break;
    default: q4_0_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q8_0 x Q8_0 for nr rows. */
A2A_INLINE void q8_0_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q8_0 *w = vw;
    const int64_t nb = n / A2A_QK8_0;
    __m256 acc[4][2];
    for (int r = 0; r < nr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
#define Q8_0_BLOCK(I, A)                                                                                    \
    do {                                                                                                    \
        const __m256i q = _mm256_loadu_si256((const __m256i *)w[I].qs);                                     \
        const __m256i aq = _mm256_sign_epi8(q, q);                                                          \
        const float dw = fp16_hw(w[I].d);                                                                   \
        for (int r = 0; r < nr; r++) {                                                                      \
            const a2a_block_q8_0 *x = XROW(a2a_block_q8_0, vx, xs, r);                                      \
            const __m256i y = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x[I].qs), q);            \
            const __m256i p = dot_u8(aq, y);                                                                \
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
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(_mm256_add_ps(acc[r][0], acc[r][1]));
}

void a2a_avx2_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) { q8_0_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx2_vec_dot_multi_q8_0(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q8_0_rows(n, s, vw, vx, xs, 4); break;
    case 3: q8_0_rows(n, s, vw, vx, xs, 3); break;
    case 2: q8_0_rows(n, s, vw, vx, xs, 2); break;
    default: q8_0_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q4_1 x Q8_1: unsigned nibbles times activations, plus m * s per block. */
void a2a_avx2_vec_dot_q4_1_q8_1(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q4_1 *w = vw;
    const a2a_block_q8_1 *x = vx;
    const int64_t nb = n / A2A_QK8_1;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0;
    for (int64_t i = 0; i < nb; i++) {
        const __m256i p = dot_u8(nibbles_32(w[i].qs), _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_hw(w[i].d) * fp16_hw(x[i].d)), _mm256_cvtepi32_ps(p), acc);
        summs += fp16_hw(w[i].m) * fp16_hw(x[i].s);
    }
    *s = hsum_ps(acc) + summs;
}

/* Q5_0 x Q8_0: nibbles | fifth bit, minus 16, signed dot. */
void a2a_avx2_vec_dot_q5_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_0 *w = vw;
    const a2a_block_q8_0 *x = vx;
    const int64_t nb = n / A2A_QK8_0;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t i = 0; i < nb; i++) {
        const __m256i hb = _mm256_and_si256(bits_to_bytes(w[i].qh), _mm256_set1_epi8(0x10));
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(nibbles_32(w[i].qs), hb), _mm256_set1_epi8(16));
        const __m256i p = dot_i8(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_hw(w[i].d) * fp16_hw(x[i].d)), _mm256_cvtepi32_ps(p), acc);
    }
    *s = hsum_ps(acc);
}

/* Q5_1 x Q8_1: unsigned 5-bit values times activations, plus m * s per block. */
void a2a_avx2_vec_dot_q5_1_q8_1(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_1 *w = vw;
    const a2a_block_q8_1 *x = vx;
    const int64_t nb = n / A2A_QK8_1;
    __m256 acc = _mm256_setzero_ps();
    float summs = 0;
    for (int64_t i = 0; i < nb; i++) {
        const __m256i hb = _mm256_and_si256(bits_to_bytes(w[i].qh), _mm256_set1_epi8(0x10));
        const __m256i q = _mm256_or_si256(nibbles_32(w[i].qs), hb);
        const __m256i p = dot_u8(q, _mm256_loadu_si256((const __m256i *)x[i].qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(fp16_hw(w[i].d) * fp16_hw(x[i].d)), _mm256_cvtepi32_ps(p), acc);
        summs += fp16_hw(w[i].m) * fp16_hw(x[i].s);
    }
    *s = hsum_ps(acc) + summs;
}

/* ---------------------------------------------------------------- K-quants */

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

/* Q4_K x Q8_K for nr rows: per 64 values, the low and high nibbles of 32 bytes. */
A2A_INLINE void q4_K_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q4_K *w = vw;
    const __m256i m4 = _mm256_set1_epi8(0x0F);
    __m256 acc[4];
    float summ[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm256_setzero_ps();
        summ[r] = 0;
    }
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const __m128i sm = k4_scales_mins(w[i].scales);
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
        uint8_t sc[16];
        _mm_storeu_si128((__m128i *)sc, sm);
        const float dw = fp16_hw(w[i].d), dmw = fp16_hw(w[i].dmin);
        __m256i sumi[4];
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            summ[r] += dmw * x[i].d * (float)k4_min_dot(x[i].bsums, mins16);
            sumi[r] = _mm256_setzero_si256();
        }
        for (int j = 0; j < 4; j++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(w[i].qs + 32 * j));
            const __m256i lo = _mm256_and_si256(b, m4), hi = _mm256_and_si256(_mm256_srli_epi16(b, 4), m4);
            const __m256i s0 = _mm256_set1_epi16(sc[2 * j]), s1 = _mm256_set1_epi16(sc[2 * j + 1]);
            for (int r = 0; r < nr; r++) {
                const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
                const __m256i pl = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(x[i].qs + 64 * j))), s0);
                const __m256i ph =
                    _mm256_madd_epi16(_mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(x[i].qs + 64 * j + 32))), s1);
                sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(pl, ph));
            }
        }
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[i].d), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
        }
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]) - summ[r];
}

void a2a_avx2_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) { q4_K_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx2_vec_dot_multi_q4_K(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q4_K_rows(n, s, vw, vx, xs, 4); break;
    case 3: q4_K_rows(n, s, vw, vx, xs, 3); break;
    case 2: q4_K_rows(n, s, vw, vx, xs, 2); break;
    default: q4_K_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* Q5_K x Q8_K: as Q4_K with the fifth bits from qh; mins through the bsums. */
void a2a_avx2_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_K *w = vw;
    const a2a_block_q8_K *x = vx;
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    float summ = 0;
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const __m128i smv = k4_scales_mins(w[i].scales);
        uint8_t sm[16];
        _mm_storeu_si128((__m128i *)sm, smv);
        const float d = fp16_hw(w[i].d) * x[i].d;
        summ += fp16_hw(w[i].dmin) * x[i].d * (float)k4_min_dot(x[i].bsums, _mm_cvtepu8_epi16(_mm_unpackhi_epi64(smv, smv)));
        const uint8_t *q4 = w[i].qs;
        const int8_t *q8 = x[i].qs;
        const __m256i hbits = _mm256_loadu_si256((const __m256i *)w[i].qh);
        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {
            const __m256i b = _mm256_loadu_si256((const __m256i *)(q4 + 32 * j));
            const __m256i h0 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j), one), 4);
            const __m256i h1 = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hbits, 2 * j + 1), one), 4);
            const __m256i lo = _mm256_or_si256(_mm256_and_si256(b, m4), h0);
            const __m256i hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b, 4), m4), h1);
            __m256i pl = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j)));
            __m256i ph = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(q8 + 64 * j + 32)));
            pl = _mm256_madd_epi16(pl, _mm256_set1_epi16(sm[2 * j]));
            ph = _mm256_madd_epi16(ph, _mm256_set1_epi16(sm[2 * j + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(pl, ph));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    }
    *s = hsum_ps(acc) - summ;
}

/* int16 pair-sums of 32 products (16 lanes) times the two 16-element group scales. */
static inline __m256i q6_scale(__m256i p16, int8_t s0, int8_t s1) {
    const __m256i sc = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_set1_epi16(s0)), _mm_set1_epi16(s1), 1);
    return _mm256_madd_epi16(p16, sc);
}

/* Q6_K x Q8_K for nr rows; the -32 offset of the levels through the bsums. */
A2A_INLINE void q6_K_rows(int64_t n, float *s, const void *vw, const void *vx, size_t xs, const int nr) {
    const a2a_block_q6_K *w = vw;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    __m256 acc[4];
    float soff[4];
    for (int r = 0; r < nr; r++) {
        acc[r] = _mm256_setzero_ps();
        soff[r] = 0;
    }
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const float dw = fp16_hw(w[i].d);
        const int8_t *sc = w[i].scales;
        const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)sc));
        __m256i sumi[4];
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            /* 32 * sum_g scale_g * bsum_g */
            const int off = hsum_epi32(_mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)x[i].bsums)));
            soff[r] += dw * x[i].d * (float)(32 * off);
            sumi[r] = _mm256_setzero_si256();
        }
        for (int c = 0; c < 2; c++) {
            const uint8_t *ql = w[i].ql + 64 * c;
            const int8_t *s8 = sc + 8 * c;
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(w[i].qh + 32 * c));
            const __m256i q1 = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(h, m2), 4));
            const __m256i q2 = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 2), m2), 4));
            const __m256i q3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 4), m2), 4));
            const __m256i q4 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                               _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(h, 6), m2), 4));
            for (int r = 0; r < nr; r++) {
                const int8_t *q8 = XROW(a2a_block_q8_K, vx, xs, r)[i].qs + 128 * c;
                const __m256i p1 = q6_scale(_mm256_maddubs_epi16(q1, _mm256_loadu_si256((const __m256i *)(q8 + 0))), s8[0], s8[1]);
                const __m256i p2 = q6_scale(_mm256_maddubs_epi16(q2, _mm256_loadu_si256((const __m256i *)(q8 + 32))), s8[2], s8[3]);
                const __m256i p3 = q6_scale(_mm256_maddubs_epi16(q3, _mm256_loadu_si256((const __m256i *)(q8 + 64))), s8[4], s8[5]);
                const __m256i p4 = q6_scale(_mm256_maddubs_epi16(q4, _mm256_loadu_si256((const __m256i *)(q8 + 96))), s8[6], s8[7]);
                sumi[r] = _mm256_add_epi32(sumi[r], _mm256_add_epi32(_mm256_add_epi32(p1, p2), _mm256_add_epi32(p3, p4)));
            }
        }
        for (int r = 0; r < nr; r++) {
            const a2a_block_q8_K *x = XROW(a2a_block_q8_K, vx, xs, r);
            acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[i].d), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
        }
    }
    for (int r = 0; r < nr; r++) s[r] = hsum_ps(acc[r]) - soff[r];
}

void a2a_avx2_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) { q6_K_rows(n, s, vw, vx, 0, 1); }

/* Multi-row form (nx = 1..4 rows at x + r * xs) of the kernel above; see a2a_vec_dot_multi_fn. */
void a2a_avx2_vec_dot_multi_q6_K(int64_t n, float *s, const void *vw, const void *vx, size_t xs, int nx) {
    switch (nx) {
    case 4: q6_K_rows(n, s, vw, vx, xs, 4); break;
    case 3: q6_K_rows(n, s, vw, vx, xs, 3); break;
    case 2: q6_K_rows(n, s, vw, vx, xs, 2); break;
    default: q6_K_rows(n, s, vw, vx, xs, 1); break;
    }
}

/* ---------------------------------------------------------------- activation quantizers */

/* roundf (half away from zero) of 8 floats of magnitude < 2^23, exactly. */
static inline __m256 round_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(v, t); /* exact */
    const __m256 sgn = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 half = _mm256_set1_ps(0.5f);
    const __m256 up = _mm256_cmp_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), frac), half, _CMP_GE_OQ);
    return _mm256_add_ps(t, _mm256_and_ps(up, _mm256_or_ps(_mm256_set1_ps(1.0f), sgn)));
}

/* Max |x| over 32 floats. */
static inline float amax32(const float *x) {
    const __m256 ab = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_andnot_ps(ab, _mm256_loadu_ps(x));
    for (int j = 8; j < 32; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(ab, _mm256_loadu_ps(x + j)));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* Quantize 32 floats with factor id, roundf, into 32 int8 at q; returns the 8 int32 partial
   sums of the levels (for Q8_1). */
static inline __m256i q8_32(const float *x, float id, int8_t *q) {
    const __m256 vid = _mm256_set1_ps(id);
    __m256i i0 = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 0), vid)));
    __m256i i1 = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 8), vid)));
    __m256i i2 = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 16), vid)));
    __m256i i3 = _mm256_cvtps_epi32(round_away(_mm256_mul_ps(_mm256_loadu_ps(x + 24), vid)));
    const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(i0, i1), _mm256_add_epi32(i2, i3));
    /* pack 32 -> 16 -> 8 bits works within 128-bit lanes; fix the order with a permute */
    const __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
    __m256i b = _mm256_packs_epi16(p01, p23);
    b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256((__m256i *)q, b);
    return sum;
}

/* Q8_0 activation quantizer, bit-identical with a2a_ref_quantize_q8_0. */
void a2a_avx2_quantize_q8_0(const float *x, void *vy, int64_t n) {
    a2a_block_q8_0 *y = vy;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++, x += A2A_QK8_0) {
        const float d = amax32(x) / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        q8_32(x, id, y[i].qs);
    }
}

/* Q8_1 activation quantizer, bit-identical with a2a_ref_quantize_q8_1. */
void a2a_avx2_quantize_q8_1(const float *x, void *vy, int64_t n) {
    a2a_block_q8_1 *y = vy;
    for (int64_t i = 0; i < n / A2A_QK8_1; i++, x += A2A_QK8_1) {
        const float d = amax32(x) / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        const int sum = hsum_epi32(q8_32(x, id, y[i].qs));
        y[i].s = a2a_f32_to_fp16((float)sum * d);
    }
}

/* Q8_K activation quantizer, bit-identical with a2a_ref_quantize_q8_K. */
void a2a_avx2_quantize_q8_K(const float *x, void *vy, int64_t n) {
    a2a_block_q8_K *y = vy;
    const __m256 ab = _mm256_set1_ps(-0.0f);
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        /* value of largest magnitude, first occurrence (as the reference scan) */
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < A2A_QK_K; j += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(ab, _mm256_loadu_ps(x + j)));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ss(h, _mm_movehdup_ps(h));
        const float amax = _mm_cvtss_f32(h);
        if (!amax) {
            memset(&y[i], 0, sizeof(a2a_block_q8_K));
            continue;
        }
        float max = 0;
        for (int j = 0; j < A2A_QK_K; j++)
            if (fabsf(x[j]) == amax) { max = x[j]; break; }
        const float iscale = -127.f / max;
        const __m256 vs = _mm256_set1_ps(iscale);
        const __m256i lim = _mm256_set1_epi32(127);
        for (int j = 0; j < A2A_QK_K; j += 32) {
            __m256i i0 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 0), vs)), lim);
            __m256i i1 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 8), vs)), lim);
            __m256i i2 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 16), vs)), lim);
            __m256i i3 = _mm256_min_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + j + 24), vs)), lim);
            const __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
            __m256i b = _mm256_packs_epi16(p01, p23);
            b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(y[i].qs + j), b);
        }
        for (int g = 0; g < A2A_QK_K / 16; g++) {
            /* 16 int8 -> int16, horizontal sum */
            const __m256i v = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(y[i].qs + 16 * g)));
            y[i].bsums[g] = (int16_t)hsum_epi32(_mm256_madd_epi16(v, _mm256_set1_epi16(1)));
        }
        y[i].d = 1 / iscale;
    }
}
