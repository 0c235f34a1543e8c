/* Shared constants of the vectorized math approximations (exp, erfc) used by the SIMD
   kernels. The ISA-specific inline helpers live in x86/vecmath_avx2.h and
   x86/vecmath_avx512.h, which only the matching *_avx2.c / *_avx512.c files may include:
       a2a_exp_avx2(__m256) / a2a_exp_avx512(__m512)        e^x, ~1 ulp, NaN propagates,
           x > 88.73 -> +inf, x < -104 -> 0 (denormal results are approximate)
       a2a_sigmoid_*, a2a_tanh_*, a2a_gelu_erf_*, a2a_gelu_tanh_*, a2a_silu_*
   and the horizontal reductions a2a_hsum_* / a2a_hmax_*. */
#ifndef A2A_KERNELS_VECMATH_H
#define A2A_KERNELS_VECMATH_H

/* exp: x = n ln2 + r (Cody-Waite split of ln2), e^r by the Cephes expf polynomial,
   2^n applied in two halves so that n in [-150, 128] scales without overflowing. */
#define A2A_VM_EXP_LO (-104.0f)
#define A2A_VM_EXP_HI (88.73f)
#define A2A_VM_LOG2E 1.44269504088896341f
#define A2A_VM_LN2_HI 0.693359375f
#define A2A_VM_LN2_LO (-2.12194440e-4f)
#define A2A_VM_EXP_P0 1.9875691500e-4f
#define A2A_VM_EXP_P1 1.3981999507e-3f
#define A2A_VM_EXP_P2 8.3334519073e-3f
#define A2A_VM_EXP_P3 4.1665795894e-2f
#define A2A_VM_EXP_P4 1.6666665459e-1f
#define A2A_VM_EXP_P5 5.0000001201e-1f

/* erfc(z), z >= 0: t = 1/(1 + z/2), erfc = t exp(-z^2 + P(t)), relative error < 1.2e-7
   (Chebyshev fit, Numerical Recipes' erfcc). P(t) coefficients, constant term first. */
#define A2A_VM_ERFC_C0 (-1.26551223f)
#define A2A_VM_ERFC_C1 1.00002368f
#define A2A_VM_ERFC_C2 0.37409196f
#define A2A_VM_ERFC_C3 0.09678418f
#define A2A_VM_ERFC_C4 (-0.18628806f)
#define A2A_VM_ERFC_C5 0.27886807f
#define A2A_VM_ERFC_C6 (-1.13520398f)
#define A2A_VM_ERFC_C7 1.48851587f
#define A2A_VM_ERFC_C8 (-0.82215223f)
#define A2A_VM_ERFC_C9 0.17087277f

/* tanh odd Taylor series used for |x| < A2A_VM_TANH_SMALL (relative error < 1e-9 there). */
#define A2A_VM_TANH_SMALL 0.25f
#define A2A_VM_TANH_T3 (-1.0f / 3.0f)
#define A2A_VM_TANH_T5 (2.0f / 15.0f)
#define A2A_VM_TANH_T7 (-17.0f / 315.0f)
#define A2A_VM_TANH_T9 (62.0f / 2835.0f)
#define A2A_VM_TANH_T11 (-1382.0f / 155925.0f)

#define A2A_VM_SQRT1_2 0.70710678118654752f
#define A2A_VM_SQRT_2_OVER_PI 0.79788456080286536f
#define A2A_VM_GELU_TANH_C 0.044715f
#define A2A_VM_QUICK_GELU_C 1.702f

#endif
