/* AVX2 row kernels for normalization (double accumulation). Contracts in kernels/ops_rows.h. */
#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx2.h"

/* Sum of x in double. */
double a2a_avx2_sum(int64_t n, const float *x) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    }
    double s = a2a_hsum_pd_avx2(_mm256_add_pd(a0, a1));
    for (; i < n; i++) s += (double)x[i];
    return s;
}

/* Sum of (x - mean)^2 in double. */
double a2a_avx2_sumsq_dev(int64_t n, const float *x, double mean) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), vm = _mm256_set1_pd(mean);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), vm);
        __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), vm);
        a0 = _mm256_fmadd_pd(d0, d0, a0);
        a1 = _mm256_fmadd_pd(d1, d1, a1);
    }
    double s = a2a_hsum_pd_avx2(_mm256_add_pd(a0, a1));
    for (; i < n; i++) {
        double d = (double)x[i] - mean;
        s += d * d;
    }
    return s;
}

/* y = ((x - mean_hi - mean_lo) * scale) * w + b + shift, w/b optional (same rounding steps as
   the ref). */
void a2a_avx2_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale,
                         const float *w, const float *b, float shift) {
    __m256 vm = _mm256_set1_ps(mean_hi), vml = _mm256_set1_ps(mean_lo);
    __m256 vs = _mm256_set1_ps(scale), vsh = _mm256_set1_ps(shift);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vml), vs);
        if (w) v = _mm256_mul_ps(v, _mm256_loadu_ps(w + i));
        if (b) v = _mm256_add_ps(v, _mm256_loadu_ps(b + i));
        _mm256_storeu_ps(y + i, _mm256_add_ps(v, vsh));
    }
    if (i < n) {
        __m256i m = a2a_tail_mask_avx2(n - i);
        __m256 v = _mm256_mul_ps(_mm256_sub_ps(_mm256_sub_ps(_mm256_maskload_ps(x + i, m), vm), vml), vs);
        if (w) v = _mm256_mul_ps(v, _mm256_maskload_ps(w + i, m));
        if (b) v = _mm256_add_ps(v, _mm256_maskload_ps(b + i, m));
        _mm256_maskstore_ps(y + i, m, _mm256_add_ps(v, vsh));
    }
}
