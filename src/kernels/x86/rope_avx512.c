/* AVX-512F rotary-embedding row kernel. Contract in kernels/ops_rows.h. */
#include <string.h>

#include "kernels/ops.h"
#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx512.h"

/* Rotate the first n_rot elements of x into y with the C/S table cs; copy the rest. */
void a2a_avx512_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs) {
    const float *C = cs, *S = cs + n_rot;
    if (mode == A2A_ROPE_NEOX) {
        const int half = n_rot / 2;
        for (int i = 0; i < half; i += 16) {
            __mmask16 m = half - i >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(half - i);
            __m512 lo = _mm512_maskz_loadu_ps(m, x + i), hi = _mm512_maskz_loadu_ps(m, x + i + half);
            __m512 a = _mm512_fmadd_ps(lo, _mm512_maskz_loadu_ps(m, C + i),
                                       _mm512_mul_ps(hi, _mm512_maskz_loadu_ps(m, S + i)));
            __m512 b = _mm512_fmadd_ps(hi, _mm512_maskz_loadu_ps(m, C + i + half),
                                       _mm512_mul_ps(lo, _mm512_maskz_loadu_ps(m, S + i + half)));
            _mm512_mask_storeu_ps(y + i, m, a);
            _mm512_mask_storeu_ps(y + i + half, m, b);
        }
    } else {
        /* adjacent pairs: partner = neighbours swapped; a masked tail holds whole pairs */
        for (int k = 0; k < n_rot; k += 16) {
            __mmask16 m = n_rot - k >= 16 ? (__mmask16)0xffff : a2a_tail_mask_avx512(n_rot - k);
            __m512 v = _mm512_maskz_loadu_ps(m, x + k);
            __m512 p = _mm512_permute_ps(v, 0xB1);
            __m512 r = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(m, C + k),
                                       _mm512_mul_ps(p, _mm512_maskz_loadu_ps(m, S + k)));
            _mm512_mask_storeu_ps(y + k, m, r);
        }
    }
    if (y != x && n > n_rot) memcpy(y + n_rot, x + n_rot, (size_t)(n - n_rot) * sizeof(float));
}
