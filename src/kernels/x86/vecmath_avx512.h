/* AVX-512F inline math (include only from *_avx512.c files). Constants and accuracy notes
   in kernels/vecmath.h; results equal the AVX2 helpers' up to the 2^n scaling step. */
#ifndef A2A_KERNELS_X86_VECMATH_AVX512_H
#define A2A_KERNELS_X86_VECMATH_AVX512_H

#include <immintrin.h>

#include "kernels/vecmath.h"

/* e^x per lane; NaN propagates, overflow gives +inf, x < -104 gives 0. */
static inline __m512 a2a_exp_avx512(__m512 x) {
    x = _mm512_max_ps(_mm512_set1_ps(A2A_VM_EXP_LO), x); /* NaN (second operand) survives */
    x = _mm512_min_ps(_mm512_set1_ps(A2A_VM_EXP_HI), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(A2A_VM_LOG2E)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(A2A_VM_LN2_HI), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(A2A_VM_LN2_LO), r);
    __m512 p = _mm512_set1_ps(A2A_VM_EXP_P0);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(A2A_VM_EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(A2A_VM_EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(A2A_VM_EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(A2A_VM_EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(A2A_VM_EXP_P5));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n); /* p * 2^n, exact scaling incl. overflow/underflow */
}

static inline __m512 a2a_sigmoid_avx512(__m512 x) {
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = a2a_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(one, _mm512_add_ps(one, e));
}

static inline __m512 a2a_silu_avx512(__m512 x) {
    __m512 e = a2a_exp_avx512(_mm512_sub_ps(_mm512_setzero_ps(), x));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

static inline __m512 a2a_abs_avx512(__m512 x) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(0x7fffffff)));
}

/* tanh: odd series for |x| < 0.25, else sign(x) (1 - 2 / (e^{2|x|} + 1)). */
static inline __m512 a2a_tanh_avx512(__m512 x) {
    __m512i signbits = _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u));
    __m512 ax = a2a_abs_avx512(x);
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 e = a2a_exp_avx512(_mm512_add_ps(ax, ax));
    __m512 big = _mm512_sub_ps(one, _mm512_div_ps(_mm512_set1_ps(2.0f), _mm512_add_ps(e, one)));
    big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big), signbits));
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 q = _mm512_set1_ps(A2A_VM_TANH_T11);
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(A2A_VM_TANH_T9));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(A2A_VM_TANH_T7));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(A2A_VM_TANH_T5));
    q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(A2A_VM_TANH_T3));
    __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(q, x2), x, x);
    __mmask16 is_small = _mm512_cmp_ps_mask(ax, _mm512_set1_ps(A2A_VM_TANH_SMALL), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(is_small, big, small);
}

/* Phi(x) = erfc(-x/sqrt 2)/2 through the erfc fit (relative accuracy). */
static inline __m512 a2a_phi_avx512(__m512 x) {
    __m512 z = _mm512_mul_ps(a2a_abs_avx512(x), _mm512_set1_ps(A2A_VM_SQRT1_2));
    __m512 one = _mm512_set1_ps(1.0f);
    __m512 t = _mm512_div_ps(one, _mm512_fmadd_ps(_mm512_set1_ps(0.5f), z, one));
    __m512 p = _mm512_set1_ps(A2A_VM_ERFC_C9);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C8));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C7));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C6));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C5));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C4));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C1));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(A2A_VM_ERFC_C0));
    __m512 h = _mm512_mul_ps(_mm512_mul_ps(t, _mm512_set1_ps(0.5f)), a2a_exp_avx512(_mm512_fnmadd_ps(z, z, p)));
    __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    return _mm512_mask_blend_ps(neg, _mm512_sub_ps(one, h), h);
}

static inline __m512 a2a_gelu_erf_avx512(__m512 x) { return _mm512_mul_ps(x, a2a_phi_avx512(x)); }

static inline __m512 a2a_gelu_tanh_avx512(__m512 x) {
    __m512 x3 = _mm512_mul_ps(_mm512_mul_ps(x, x), x);
    __m512 u = _mm512_mul_ps(_mm512_fmadd_ps(_mm512_set1_ps(A2A_VM_GELU_TANH_C), x3, x),
                             _mm512_set1_ps(-2.0f * A2A_VM_SQRT_2_OVER_PI));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), a2a_exp_avx512(u)));
}

/* Mask of the first n (0..16) lanes. */
static inline __mmask16 a2a_tail_mask_avx512(int64_t n) { return (__mmask16)((1u << n) - 1u); }

#endif
