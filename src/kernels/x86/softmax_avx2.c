/* AVX2 softmax row kernel. Contract in kernels/ops_rows.h. Main loops use plain loads and
   stores; only the tail is masked (masked stores are slow on some cores). */
#include <math.h>

#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx2.h"

/* y = softmax(scale * x + mask); all -inf row -> zeros; NaN/+inf in the row -> NaN. */
void a2a_avx2_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale) {
    const __m256 vs = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY);
    const int64_t nv = n & ~(int64_t)7;
    const __m256i tm = a2a_tail_mask_avx2(n - nv);
    __m256 vmax = ninf, vnan = _mm256_setzero_ps();
    /* pass 1: logits into y, running max, NaN detection */
    for (int64_t i = 0; i <= nv; i += 8) {
        const int tail = i == nv;
        if (tail && nv == n) break;
        __m256 xv = tail ? _mm256_maskload_ps(x + i, tm) : _mm256_loadu_ps(x + i);
        __m256 v = _mm256_mul_ps(vs, xv);
        if (mask) v = _mm256_fmadd_ps(vs, xv, tail ? _mm256_maskload_ps(mask + i, tm) : _mm256_loadu_ps(mask + i));
        if (tail) {
            _mm256_maskstore_ps(y + i, tm, v);
            v = _mm256_blendv_ps(ninf, v, _mm256_castsi256_ps(tm));
        } else {
            _mm256_storeu_ps(y + i, v);
        }
        vnan = _mm256_or_ps(vnan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        vmax = _mm256_max_ps(vmax, v);
    }
    if (_mm256_movemask_ps(vnan)) {
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        return;
    }
    float mx = a2a_hmax_avx2(vmax);
    if (mx == -INFINITY) {
        for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
        return;
    }
    /* pass 2: exponentials and their sum */
    const __m256 vmx = _mm256_set1_ps(mx);
    __m256 vsum = _mm256_setzero_ps();
    for (int64_t i = 0; i < nv; i += 8) {
        __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(y + i), vmx));
        _mm256_storeu_ps(y + i, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    if (nv < n) {
        __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(y + nv, tm), vmx));
        e = _mm256_and_ps(e, _mm256_castsi256_ps(tm));
        _mm256_maskstore_ps(y + nv, tm, e);
        vsum = _mm256_add_ps(vsum, e);
    }
    /* pass 3: normalize */
    const __m256 inv = _mm256_set1_ps(1.0f / a2a_hsum_avx2(vsum));
    for (int64_t i = 0; i < nv; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
    if (nv < n) _mm256_maskstore_ps(y + nv, tm, _mm256_mul_ps(_mm256_maskload_ps(y + nv, tm), inv));
}
