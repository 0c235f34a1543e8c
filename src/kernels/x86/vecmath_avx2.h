/* AVX2+FMA inline math (include only from *_avx2.c files). Constants and accuracy notes in
   kernels/vecmath.h. */
#ifndef A2A_KERNELS_X86_VECMATH_AVX2_H
#define A2A_KERNELS_X86_VECMATH_AVX2_H

#include <immintrin.h>

#include "kernels/vecmath.h"

/* e^x per lane; NaN propagates, overflow gives +inf, x < -104 gives 0. */
static inline __m256 a2a_exp_avx2(__m256 x) {
    /* max/min return their second operand when one is NaN: keep x second so NaN survives */
    x = _mm256_max_ps(_mm256_set1_ps(A2A_VM_EXP_LO), x);
    x = _mm256_min_ps(_mm256_set1_ps(A2A_VM_EXP_HI), x);
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(A2A_VM_LOG2E)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(A2A_VM_LN2_HI), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(A2A_VM_LN2_LO), r);
    __m256 p = _mm256_set1_ps(A2A_VM_EXP_P0);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(A2A_VM_EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(A2A_VM_EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(A2A_VM_EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(A2A_VM_EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(A2A_VM_EXP_P5));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    /* 2^n = 2^n1 * 2^n2 with both halves normal for n in [-150, 128] */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i n1 = _mm256_srai_epi32(ni, 1);
    __m256i n2 = _mm256_sub_epi32(ni, n1);
    __m256i bias = _mm256_set1_epi32(127);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

/* 1 / (1 + e^-x) */
static inline __m256 a2a_sigmoid_avx2(__m256 x) {
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* x / (1 + e^-x) */
static inline __m256 a2a_silu_avx2(__m256 x) {
    __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

/* tanh: odd series for |x| < 0.25, else sign(x) (1 - 2 / (e^{2|x|} + 1)). */
static inline __m256 a2a_tanh_avx2(__m256 x) {
    __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
    __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 e = a2a_exp_avx2(_mm256_add_ps(ax, ax));
    __m256 big = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    big = _mm256_or_ps(big, sign);
    __m256 x2 = _mm256_mul_ps(x, x);
    __m256 q = _mm256_set1_ps(A2A_VM_TANH_T11);
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(A2A_VM_TANH_T9));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(A2A_VM_TANH_T7));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(A2A_VM_TANH_T5));
    q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(A2A_VM_TANH_T3));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(q, x2), x, x);
    __m256 is_small = _mm256_cmp_ps(ax, _mm256_set1_ps(A2A_VM_TANH_SMALL), _CMP_LT_OQ);
    return _mm256_blendv_ps(big, small, is_small);
}

/* Phi(x) = P(N(0,1) <= x) = erfc(-x/sqrt 2)/2 through the erfc fit (relative accuracy). */
static inline __m256 a2a_phi_avx2(__m256 x) {
    __m256 z = _mm256_mul_ps(_mm256_andnot_ps(_mm256_set1_ps(-0.0f), x), _mm256_set1_ps(A2A_VM_SQRT1_2));
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), z, one));
    __m256 p = _mm256_set1_ps(A2A_VM_ERFC_C9);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C8));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C7));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C6));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C5));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C4));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C3));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C2));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C1));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(A2A_VM_ERFC_C0));
    /* half_erfc = t/2 * exp(-z*z + p) with -z*z + p in one rounding */
    __m256 h = _mm256_mul_ps(_mm256_mul_ps(t, _mm256_set1_ps(0.5f)), a2a_exp_avx2(_mm256_fnmadd_ps(z, z, p)));
    __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(_mm256_sub_ps(one, h), h, neg);
}

/* x * Phi(x) (torch's default, erf GELU) */
static inline __m256 a2a_gelu_erf_avx2(__m256 x) { return _mm256_mul_ps(x, a2a_phi_avx2(x)); }

/* x/2 (1 + tanh(u)) = x / (1 + e^{-2u}), u = sqrt(2/pi) (x + 0.044715 x^3) */
static inline __m256 a2a_gelu_tanh_avx2(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    __m256 u = _mm256_mul_ps(_mm256_fmadd_ps(_mm256_set1_ps(A2A_VM_GELU_TANH_C), x3, x),
                             _mm256_set1_ps(-2.0f * A2A_VM_SQRT_2_OVER_PI));
    return _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), a2a_exp_avx2(u)));
}

/* Sum of the 8 lanes. */
static inline float a2a_hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline double a2a_hsum_pd_avx2(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    s = _mm_add_sd(s, _mm_unpackhi_pd(s, s));
    return _mm_cvtsd_f64(s);
}

/* Max of the 8 lanes (NaN lanes may be ignored). */
static inline float a2a_hmax_avx2(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Lane mask selecting the first n (0..8) lanes, for maskload/maskstore tails. */
static inline __m256i a2a_tail_mask_avx2(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#endif
