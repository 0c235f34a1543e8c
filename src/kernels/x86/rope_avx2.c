/* AVX2 rotary-embedding row kernel. Contract in kernels/ops_rows.h. */
#include <string.h>

#include "kernels/ops.h"
#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx2.h"

/* Rotate the first n_rot elements of x into y with the C/S table cs; copy the rest. */
void a2a_avx2_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs) {
    const float *C = cs, *S = cs + n_rot;
    if (mode == A2A_ROPE_NEOX) {
        const int half = n_rot / 2;
        for (int i = 0; i < half; i += 8) {
            if (half - i >= 8) {
                __m256 lo = _mm256_loadu_ps(x + i), hi = _mm256_loadu_ps(x + i + half);
                _mm256_storeu_ps(y + i, _mm256_fmadd_ps(lo, _mm256_loadu_ps(C + i),
                                                        _mm256_mul_ps(hi, _mm256_loadu_ps(S + i))));
                _mm256_storeu_ps(y + i + half, _mm256_fmadd_ps(hi, _mm256_loadu_ps(C + i + half),
                                                               _mm256_mul_ps(lo, _mm256_loadu_ps(S + i + half))));
            } else {
                __m256i m = a2a_tail_mask_avx2(half - i);
                __m256 lo = _mm256_maskload_ps(x + i, m), hi = _mm256_maskload_ps(x + i + half, m);
                _mm256_maskstore_ps(y + i, m,
                                    _mm256_fmadd_ps(lo, _mm256_maskload_ps(C + i, m),
                                                    _mm256_mul_ps(hi, _mm256_maskload_ps(S + i, m))));
                _mm256_maskstore_ps(y + i + half, m,
                                    _mm256_fmadd_ps(hi, _mm256_maskload_ps(C + i + half, m),
                                                    _mm256_mul_ps(lo, _mm256_maskload_ps(S + i + half, m))));
            }
        }
    } else {
        /* adjacent pairs: the partner vector is x with neighbours swapped (n_rot is even, so a
           masked tail holds whole pairs) */
        for (int k = 0; k < n_rot; k += 8) {
            if (n_rot - k >= 8) {
                __m256 v = _mm256_loadu_ps(x + k);
                __m256 p = _mm256_permute_ps(v, 0xB1);
                _mm256_storeu_ps(y + k, _mm256_fmadd_ps(v, _mm256_loadu_ps(C + k),
                                                        _mm256_mul_ps(p, _mm256_loadu_ps(S + k))));
            } else {
                __m256i m = a2a_tail_mask_avx2(n_rot - k);
                __m256 v = _mm256_maskload_ps(x + k, m);
                __m256 p = _mm256_permute_ps(v, 0xB1);
                _mm256_maskstore_ps(y + k, m,
                                    _mm256_fmadd_ps(v, _mm256_maskload_ps(C + k, m),
                                                    _mm256_mul_ps(p, _mm256_maskload_ps(S + k, m))));
            }
        }
    }
    if (y != x && n > n_rot) memcpy(y + n_rot, x + n_rot, (size_t)(n - n_rot) * sizeof(float));
}
