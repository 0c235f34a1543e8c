/* AVX-512F row kernels for normalization (double accumulation). Contracts in
   kernels/ops_rows.h. */
#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx512.h"

/* Sum of x in double. */
double a2a_avx512_sum(int64_t n, const float *x) {
    __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        a0 = _mm512_add_pd(a0, _mm512_cvtps_pd(_mm512_castps512_ps256(v)));
        a1 = _mm512_add_pd(a1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))));
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    for (; i < n; i++) s += (double)x[i];
    return s;
}

/* Sum of (x - mean)^2 in double. */
double a2a_avx512_sumsq_dev(int64_t n, const float *x, double mean) {
    __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd(), vm = _mm512_set1_pd(mean);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        __m512d d0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)), vm);
        __m512d d1 = _mm512_sub_pd(
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), vm);
        a0 = _mm512_fmadd_pd(d0, d0, a0);
        a1 = _mm512_fmadd_pd(d1, d1, a1);
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
    for (; i < n; i++) {
        double d = (double)x[i] - mean;
        s += d * d;
    }
    return s;
}

/* y = ((x - mean_hi - mean_lo) * scale) * w + b + shift, w/b optional (same rounding steps as
   the ref). */
void a2a_avx512_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale,
                           const float *w, const float *b, float shift) {
    __m512 vm = _mm512_set1_ps(mean_hi), vml = _mm512_set1_ps(mean_lo);
    __m512 vs = _mm512_set1_ps(scale), vsh = _mm512_set1_ps(shift);
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(n - i);
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), vm), vml), vs);
        if (w) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i));
        if (b) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, b + i));
        _mm512_mask_storeu_ps(y + i, m, _mm512_add_ps(v, vsh));
    }
}
