/* AVX-512 block kernels of the attention op (contracts: a2a_attn_kernels in
   kernels/attention.h). Register tiles of 4 rows x 32 columns; column tails use masks. */
#include "kernels/attention.h"
#include "kernels/x86/vecmath_avx512.h"

#include <math.h>

#define AI static inline __attribute__((always_inline))

/* Masks for the first n (0..32) columns split over two vectors. */
AI void col_masks(int n, __mmask16 *m0, __mmask16 *m1) {
    *m0 = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
    *m1 = n >= 32 ? (__mmask16)0xffff : n > 16 ? (__mmask16)((1u << (n - 16)) - 1u) : (__mmask16)0;
}

/* s[r][0..ncol) = sum_d q[r][d] * kt[d][0..ncol) for r < R (R <= 4, ncol <= 32). */
AI void qk_tile(int R, const float *q, size_t ldq, const float *kt, size_t ldkt, int ncol, int D, float *s, size_t lds) {
    __mmask16 m0, m1;
    col_masks(ncol, &m0, &m1);
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int d = 0; d < D; d++) {
        const float *kr = kt + (size_t)d * ldkt;
        const __m512 k0 = _mm512_maskz_loadu_ps(m0, kr), k1 = _mm512_maskz_loadu_ps(m1, kr + 16);
        __m512 b = _mm512_set1_ps(q[d]);
        a00 = _mm512_fmadd_ps(b, k0, a00), a01 = _mm512_fmadd_ps(b, k1, a01);
        if (R > 1) b = _mm512_set1_ps(q[ldq + d]), a10 = _mm512_fmadd_ps(b, k0, a10), a11 = _mm512_fmadd_ps(b, k1, a11);
        if (R > 2) b = _mm512_set1_ps(q[2 * ldq + d]), a20 = _mm512_fmadd_ps(b, k0, a20), a21 = _mm512_fmadd_ps(b, k1, a21);
        if (R > 3) b = _mm512_set1_ps(q[3 * ldq + d]), a30 = _mm512_fmadd_ps(b, k0, a30), a31 = _mm512_fmadd_ps(b, k1, a31);
    }
    _mm512_mask_storeu_ps(s, m0, a00), _mm512_mask_storeu_ps(s + 16, m1, a01);
    if (R > 1) _mm512_mask_storeu_ps(s + lds, m0, a10), _mm512_mask_storeu_ps(s + lds + 16, m1, a11);
    if (R > 2) _mm512_mask_storeu_ps(s + 2 * lds, m0, a20), _mm512_mask_storeu_ps(s + 2 * lds + 16, m1, a21);
    if (R > 3) _mm512_mask_storeu_ps(s + 3 * lds, m0, a30), _mm512_mask_storeu_ps(s + 3 * lds + 16, m1, a31);
}

static void avx512_qk(const float *q, size_t ldq, int nq, const float *kt, size_t ldkt, int nk, int D, float *s,
                      size_t lds) {
    for (int i = 0; i < nq; i += 4) {
        const int R = nq - i < 4 ? nq - i : 4;
        for (int j = 0; j < nk; j += 32) {
            const int nc = nk - j < 32 ? nk - j : 32;
            const float *qi = q + (size_t)i * ldq;
            float *si = s + (size_t)i * lds + j;
            switch (R) {
            case 4: qk_tile(4, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
            case 3: qk_tile(3, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
            case 2: qk_tile(2, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
            default: qk_tile(1, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
            }
        }
    }
}

/* 16 (or the masked first ones) keys' elements d.. of an F32 or F16 row. */
AI __m512 ldk(const char *row, int f16, int d, __mmask16 m) {
    if (m == (__mmask16)0xffff)
        return f16 ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)row + d)))
                   : _mm512_loadu_ps((const float *)row + d);
    return f16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)row + d))
               : _mm512_maskz_loadu_ps(m, (const float *)row + d);
}

/* The four horizontal sums {sum(a0), sum(a1), sum(a2), sum(a3)}. */
AI __m128 hsum4(__m512 a0, __m512 a1, __m512 a2, __m512 a3) {
    const __m512 s01 = _mm512_add_ps(_mm512_unpacklo_ps(a0, a1), _mm512_unpackhi_ps(a0, a1));
    const __m512 s23 = _mm512_add_ps(_mm512_unpacklo_ps(a2, a3), _mm512_unpackhi_ps(a2, a3));
    /* each 128-bit lane now holds partial sums [a0, a1, a2, a3] */
    const __m512 t = _mm512_add_ps(_mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(1, 0, 1, 0)),
                                   _mm512_shuffle_ps(s01, s23, _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(t), _mm512_extractf32x8_ps(t, 1));
    return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

/* Scores of R (<= 4) query rows against 4 keys read in place: each key chunk is loaded
   (and converted) once for all rows. */
AI void qk_rows_tile(int R, const float *q, size_t ldq, const char *k0, size_t kstride, int k_f16, int D, float *s,
                     size_t lds) {
    const char *k1 = k0 + kstride, *k2 = k1 + kstride, *k3 = k2 + kstride;
    __m512 acc[4][4];
    for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = _mm512_setzero_ps();
    for (int d = 0; d < D; d += 16) {
        const __mmask16 m = D - d >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (D - d)) - 1u);
        const __m512 x0 = ldk(k0, k_f16, d, m), x1 = ldk(k1, k_f16, d, m), x2 = ldk(k2, k_f16, d, m),
                     x3 = ldk(k3, k_f16, d, m);
        for (int r = 0; r < R; r++) {
            const __m512 qv = _mm512_maskz_loadu_ps(m, q + (size_t)r * ldq + d);
            acc[r][0] = _mm512_fmadd_ps(qv, x0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(qv, x1, acc[r][1]);
            acc[r][2] = _mm512_fmadd_ps(qv, x2, acc[r][2]);
            acc[r][3] = _mm512_fmadd_ps(qv, x3, acc[r][3]);
        }
    }
    for (int r = 0; r < R; r++) _mm_storeu_ps(s + (size_t)r * lds, hsum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]));
}

/* Scores of query rows against keys read in place, 4 keys x up to 4 rows at a time. */
static void avx512_qk_rows(const float *q, size_t ldq, int nq, const void *k, size_t kstride, int k_f16, int nk, int D,
                           float *s, size_t lds) {
    int j = 0;
    for (; j + 4 <= nk; j += 4) {
        const char *k0 = (const char *)k + (size_t)j * kstride;
        for (int i = 0; i < nq; i += 4) {
            const float *qi = q + (size_t)i * ldq;
            float *si = s + (size_t)i * lds + j;
            switch (nq - i >= 4 ? 4 : nq - i) {
            case 4: qk_rows_tile(4, qi, ldq, k0, kstride, k_f16, D, si, lds); break;
            case 3: qk_rows_tile(3, qi, ldq, k0, kstride, k_f16, D, si, lds); break;
            case 2: qk_rows_tile(2, qi, ldq, k0, kstride, k_f16, D, si, lds); break;
            default: qk_rows_tile(1, qi, ldq, k0, kstride, k_f16, D, si, lds); break;
            }
        }
    }
    for (; j < nk; j++) {
        const char *k0 = (const char *)k + (size_t)j * kstride;
        for (int i = 0; i < nq; i++) {
            const float *qr = q + (size_t)i * ldq;
            __m512 a0 = _mm512_setzero_ps();
            for (int d = 0; d < D; d += 16) {
                const __mmask16 m = D - d >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (D - d)) - 1u);
                a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, qr + d), ldk(k0, k_f16, d, m), a0);
            }
            s[(size_t)i * lds + j] = _mm512_reduce_add_ps(a0);
        }
    }
}

/* o[r][0..ncol) += sum_j p[r][j] * v[j][0..ncol) for r < R (R <= 4, ncol <= 32); TWO says
   whether the second 16-column vector is used (ncol > 16). */
AI void pv_tile(int R, int TWO, const float *p, size_t ldp, const float *v, size_t ldv, int nk, int ncol, float *o,
                size_t ldo) {
    __mmask16 m0, m1;
    col_masks(ncol, &m0, &m1);
    const __m512 z = _mm512_setzero_ps();
    __m512 a00 = _mm512_maskz_loadu_ps(m0, o), a01 = TWO ? _mm512_maskz_loadu_ps(m1, o + 16) : z;
    __m512 a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
    if (R > 1) a10 = _mm512_maskz_loadu_ps(m0, o + ldo), a11 = TWO ? _mm512_maskz_loadu_ps(m1, o + ldo + 16) : z;
    if (R > 2) a20 = _mm512_maskz_loadu_ps(m0, o + 2 * ldo), a21 = TWO ? _mm512_maskz_loadu_ps(m1, o + 2 * ldo + 16) : z;
    if (R > 3) a30 = _mm512_maskz_loadu_ps(m0, o + 3 * ldo), a31 = TWO ? _mm512_maskz_loadu_ps(m1, o + 3 * ldo + 16) : z;
    for (int j = 0; j < nk; j++) {
        const float *vr = v + (size_t)j * ldv;
        const __m512 v0 = _mm512_maskz_loadu_ps(m0, vr), v1 = TWO ? _mm512_maskz_loadu_ps(m1, vr + 16) : z;
        __m512 b = _mm512_set1_ps(p[j]);
        a00 = _mm512_fmadd_ps(b, v0, a00);
        if (TWO) a01 = _mm512_fmadd_ps(b, v1, a01);
        if (R > 1) {
            b = _mm512_set1_ps(p[ldp + j]), a10 = _mm512_fmadd_ps(b, v0, a10);
            if (TWO) a11 = _mm512_fmadd_ps(b, v1, a11);
        }
        if (R > 2) {
            b = _mm512_set1_ps(p[2 * ldp + j]), a20 = _mm512_fmadd_ps(b, v0, a20);
            if (TWO) a21 = _mm512_fmadd_ps(b, v1, a21);
        }
        if (R > 3) {
            b = _mm512_set1_ps(p[3 * ldp + j]), a30 = _mm512_fmadd_ps(b, v0, a30);
            if (TWO) a31 = _mm512_fmadd_ps(b, v1, a31);
        }
    }
    _mm512_mask_storeu_ps(o, m0, a00);
    if (TWO) _mm512_mask_storeu_ps(o + 16, m1, a01);
    if (R > 1) _mm512_mask_storeu_ps(o + ldo, m0, a10);
    if (R > 1 && TWO) _mm512_mask_storeu_ps(o + ldo + 16, m1, a11);
    if (R > 2) _mm512_mask_storeu_ps(o + 2 * ldo, m0, a20);
    if (R > 2 && TWO) _mm512_mask_storeu_ps(o + 2 * ldo + 16, m1, a21);
    if (R > 3) _mm512_mask_storeu_ps(o + 3 * ldo, m0, a30);
    if (R > 3 && TWO) _mm512_mask_storeu_ps(o + 3 * ldo + 16, m1, a31);
}

static void avx512_pv(const float *p, size_t ldp, int nq, const float *v, size_t ldv, int nk, int Dv, float *o,
                      size_t ldo) {
    for (int i = 0; i < nq; i += 4) {
        const int R = nq - i < 4 ? nq - i : 4;
        for (int e = 0; e < Dv; e += 32) {
            const int nc = Dv - e < 32 ? Dv - e : 32;
            const float *pi = p + (size_t)i * ldp;
            float *oi = o + (size_t)i * ldo + e;
            if (nc > 16) {
                switch (R) {
                case 4: pv_tile(4, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                case 3: pv_tile(3, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                case 2: pv_tile(2, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                default: pv_tile(1, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                }
            } else {
                switch (R) {
                case 4: pv_tile(4, 0, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                case 3: pv_tile(3, 0, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                case 2: pv_tile(2, 0, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                default: pv_tile(1, 0, pi, ldp, v + e, ldv, nk, nc, oi, ldo); break;
                }
            }
        }
    }
}

static float avx512_rowmax(float *s, int n, float scale, const float *mask) {
    const __m512 sc = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY);
    __m512 m = ninf;
    for (int j = 0; j < n; j += 16) {
        const __mmask16 k = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1u);
        __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, s + j), sc);
        if (mask) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(k, mask + j));
        _mm512_mask_storeu_ps(s + j, k, x);
        m = _mm512_mask_max_ps(m, k, m, x);
    }
    return _mm512_reduce_max_ps(m);
}

static float avx512_expsum(float *s, int n, float mx) {
    const __m512 mv = _mm512_set1_ps(mx);
    __m512 acc = _mm512_setzero_ps();
    for (int j = 0; j < n; j += 16) {
        const __mmask16 k = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1u);
        const __m512 e = a2a_exp_avx512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, s + j), mv));
        _mm512_mask_storeu_ps(s + j, k, e);
        acc = _mm512_mask_add_ps(acc, k, acc, e);
    }
    return _mm512_reduce_add_ps(acc);
}

static void avx512_scale(float *o, int n, float c) {
    const __m512 cv = _mm512_set1_ps(c);
    for (int e = 0; e < n; e += 16) {
        const __mmask16 k = n - e >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - e)) - 1u);
        _mm512_mask_storeu_ps(o + e, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, o + e), cv));
    }
}

static void avx512_f16row(const uint16_t *src, float *dst, int n) {
    for (int e = 0; e < n; e += 16) {
        const __mmask16 k = n - e >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - e)) - 1u);
        _mm512_mask_storeu_ps(dst + e, k, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(k, src + e)));
    }
}

const a2a_attn_kernels a2a_attn_kernels_avx512 = {
    .qk = avx512_qk,
    .qk_rows = avx512_qk_rows,
    .pv = avx512_pv,
    .rowmax = avx512_rowmax,
    .expsum = avx512_expsum,
    .scale = avx512_scale,
    .f16row = avx512_f16row,
    .rows_max_nq = 32, /* measured: even with 128 rows the two paths are within noise */
};
