/* AVX-512F softmax row kernel. Contract in kernels/ops_rows.h. */
#include <math.h>

#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx512.h"

/* y = softmax(scale * x + mask); all -inf row -> zeros; NaN/+inf in the row -> NaN. */
void a2a_avx512_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale) {
    const __m512 vs = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY);
    __m512 vmax = ninf;
    __mmask16 nan = 0;
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(n - i);
        __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
        __m512 v = mask ? _mm512_fmadd_ps(vs, xv, _mm512_maskz_loadu_ps(m, mask + i)) : _mm512_mul_ps(vs, xv);
        _mm512_mask_storeu_ps(y + i, m, v);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, v);
        nan |= _mm512_mask_cmp_ps_mask(m, v, v, _CMP_UNORD_Q);
    }
    if (nan) {
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        return;
    }
    float mx = _mm512_reduce_max_ps(vmax);
    if (mx == -INFINITY) {
        for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
        return;
    }
    const __m512 vmx = _mm512_set1_ps(mx);
    __m512 vsum = _mm512_setzero_ps();
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(n - i);
        __m512 e = a2a_exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, y + i), vmx));
        _mm512_mask_storeu_ps(y + i, m, e);
        vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (int64_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(n - i);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, y + i), inv));
    }
}
