/* AVX2+FMA block kernels of the attention op (contracts: a2a_attn_kernels in
   kernels/attention.h). Register tiles of 4 rows x 16 columns; column tails use masked
   loads and stores. */
#include "kernels/attention.h"
#include "kernels/x86/vecmath_avx2.h"

#include <math.h>

#define AI static inline __attribute__((always_inline))

/* Load/store 8 floats, or the lanes selected by m when not full. */
AI __m256 ld(int full, __m256i m, const float *p) { return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, m); }
AI void st(int full, __m256i m, float *p, __m256 x) {
    if (full) _mm256_storeu_ps(p, x);
    else _mm256_maskstore_ps(p, m, x);
}

/* s[r][0..ncol) = sum_d q[r][d] * kt[d][0..ncol) for r < R (R <= 4, ncol <= 16). */
AI void qk_tile(int R, int full, const float *q, size_t ldq, const float *kt, size_t ldkt, int ncol, int D, float *s,
                size_t lds) {
    const __m256i m0 = a2a_tail_mask_avx2(ncol), m1 = a2a_tail_mask_avx2(ncol - 8);
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    for (int d = 0; d < D; d++) {
        const float *kr = kt + (size_t)d * ldkt;
        const __m256 k0 = ld(full, m0, kr), k1 = ld(full, m1, kr + 8);
        __m256 b = _mm256_broadcast_ss(q + d);
        a00 = _mm256_fmadd_ps(b, k0, a00), a01 = _mm256_fmadd_ps(b, k1, a01);
        if (R > 1) b = _mm256_broadcast_ss(q + ldq + d), a10 = _mm256_fmadd_ps(b, k0, a10), a11 = _mm256_fmadd_ps(b, k1, a11);
        if (R > 2) b = _mm256_broadcast_ss(q + 2 * ldq + d), a20 = _mm256_fmadd_ps(b, k0, a20), a21 = _mm256_fmadd_ps(b, k1, a21);
        if (R > 3) b = _mm256_broadcast_ss(q + 3 * ldq + d), a30 = _mm256_fmadd_ps(b, k0, a30), a31 = _mm256_fmadd_ps(b, k1, a31);
    }
    st(full, m0, s, a00), st(full, m1, s + 8, a01);
    if (R > 1) st(full, m0, s + lds, a10), st(full, m1, s + lds + 8, a11);
    if (R > 2) st(full, m0, s + 2 * lds, a20), st(full, m1, s + 2 * lds + 8, a21);
    if (R > 3) st(full, m0, s + 3 * lds, a30), st(full, m1, s + 3 * lds + 8, a31);
}

static void avx2_qk(const float *q, size_t ldq, int nq, const float *kt, size_t ldkt, int nk, int D, float *s,
                    size_t lds) {
    for (int i = 0; i < nq; i += 4) {
        const int R = nq - i < 4 ? nq - i : 4;
        const float *qi = q + (size_t)i * ldq;
        for (int j = 0; j < nk; j += 16) {
            const int nc = nk - j < 16 ? nk - j : 16;
            float *si = s + (size_t)i * lds + j;
            if (nc == 16 && R == 4) qk_tile(4, 1, qi, ldq, kt + j, ldkt, nc, D, si, lds);
            else if (nc == 16 && R == 1) qk_tile(1, 1, qi, ldq, kt + j, ldkt, nc, D, si, lds);
            else {
                switch (R) {
                case 4: qk_tile(4, 0, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
                case 3: qk_tile(3, 0, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
                case 2: qk_tile(2, 0, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
                default: qk_tile(1, 0, qi, ldq, kt + j, ldkt, nc, D, si, lds); break;
                }
            }
        }
    }
}

/* 8 elements d.. of an F32 or F16 key row (d + 8 <= D). */
AI __m256 ldk(const char *row, int f16, int d) {
    return f16 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + d)))
               : _mm256_loadu_ps((const float *)row + d);
}

/* Element d of an F32 or F16 key row. */
AI float ldk1(const char *row, int f16, int d) {
    return f16 ? _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(((const uint16_t *)row)[d]))) : ((const float *)row)[d];
}

/* Scores of query rows against keys read in place, 4 keys at a time (scalar tail over d). */
static void avx2_qk_rows(const float *q, size_t ldq, int nq, const void *k, size_t kstride, int k_f16, int nk, int D,
                         float *s, size_t lds) {
    const int D8 = D & ~7;
    int j = 0;
    for (; j + 4 <= nk; j += 4) {
        const char *k0 = (const char *)k + (size_t)j * kstride, *k1 = k0 + kstride, *k2 = k1 + kstride, *k3 = k2 + kstride;
        for (int i = 0; i < nq; i++) {
            const float *qr = q + (size_t)i * ldq;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < D8; d += 8) {
                const __m256 qv = _mm256_loadu_ps(qr + d);
                a0 = _mm256_fmadd_ps(qv, ldk(k0, k_f16, d), a0);
                a1 = _mm256_fmadd_ps(qv, ldk(k1, k_f16, d), a1);
                a2 = _mm256_fmadd_ps(qv, ldk(k2, k_f16, d), a2);
                a3 = _mm256_fmadd_ps(qv, ldk(k3, k_f16, d), a3);
            }
            /* the four horizontal sums at once */
            const __m256 h = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
            float r[4];
            _mm_storeu_ps(r, _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1)));
            float r0 = r[0], r1 = r[1], r2 = r[2], r3 = r[3];
            for (int d = D8; d < D; d++) {
                r0 += qr[d] * ldk1(k0, k_f16, d), r1 += qr[d] * ldk1(k1, k_f16, d);
                r2 += qr[d] * ldk1(k2, k_f16, d), r3 += qr[d] * ldk1(k3, k_f16, d);
            }
            float *sr = s + (size_t)i * lds + j;
            sr[0] = r0, sr[1] = r1, sr[2] = r2, sr[3] = r3;
        }
    }
    for (; j < nk; j++) {
        const char *k0 = (const char *)k + (size_t)j * kstride;
        for (int i = 0; i < nq; i++) {
            const float *qr = q + (size_t)i * ldq;
            __m256 a0 = _mm256_setzero_ps();
            for (int d = 0; d < D8; d += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(qr + d), ldk(k0, k_f16, d), a0);
            float r0 = a2a_hsum_avx2(a0);
            for (int d = D8; d < D; d++) r0 += qr[d] * ldk1(k0, k_f16, d);
            s[(size_t)i * lds + j] = r0;
        }
    }
}

/* o[r][0..ncol) += sum_j p[r][j] * v[j][0..ncol) for r < R (R <= 4, ncol <= 16). */
AI void pv_tile(int R, int full, const float *p, size_t ldp, const float *v, size_t ldv, int nk, int ncol, float *o,
                size_t ldo) {
    const __m256i m0 = a2a_tail_mask_avx2(ncol), m1 = a2a_tail_mask_avx2(ncol - 8);
    __m256 a00 = ld(full, m0, o), a01 = ld(full, m1, o + 8);
    __m256 a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
    if (R > 1) a10 = ld(full, m0, o + ldo), a11 = ld(full, m1, o + ldo + 8);
    if (R > 2) a20 = ld(full, m0, o + 2 * ldo), a21 = ld(full, m1, o + 2 * ldo + 8);
    if (R > 3) a30 = ld(full, m0, o + 3 * ldo), a31 = ld(full, m1, o + 3 * ldo + 8);
    for (int j = 0; j < nk; j++) {
        const float *vr = v + (size_t)j * ldv;
        const __m256 v0 = ld(full, m0, vr), v1 = ld(full, m1, vr + 8);
        __m256 b = _mm256_broadcast_ss(p + j);
        a00 = _mm256_fmadd_ps(b, v0, a00), a01 = _mm256_fmadd_ps(b, v1, a01);
        if (R > 1) b = _mm256_broadcast_ss(p + ldp + j), a10 = _mm256_fmadd_ps(b, v0, a10), a11 = _mm256_fmadd_ps(b, v1, a11);
        if (R > 2) b = _mm256_broadcast_ss(p + 2 * ldp + j), a20 = _mm256_fmadd_ps(b, v0, a20), a21 = _mm256_fmadd_ps(b, v1, a21);
        if (R > 3) b = _mm256_broadcast_ss(p + 3 * ldp + j), a30 = _mm256_fmadd_ps(b, v0, a30), a31 = _mm256_fmadd_ps(b, v1, a31);
    }
    st(full, m0, o, a00), st(full, m1, o + 8, a01);
    if (R > 1) st(full, m0, o + ldo, a10), st(full, m1, o + ldo + 8, a11);
    if (R > 2) st(full, m0, o + 2 * ldo, a20), st(full, m1, o + 2 * ldo + 8, a21);
    if (R > 3) st(full, m0, o + 3 * ldo, a30), st(full, m1, o + 3 * ldo + 8, a31);
}

static void avx2_pv(const float *p, size_t ldp, int nq, const float *v, size_t ldv, int nk, int Dv, float *o,
                    size_t ldo) {
    for (int i = 0; i < nq; i += 4) {
        const int R = nq - i < 4 ? nq - i : 4;
        const float *pi = p + (size_t)i * ldp;
        for (int e = 0; e < Dv; e += 16) {
            const int nc = Dv - e < 16 ? Dv - e : 16;
            float *oi = o + (size_t)i * ldo + e;
            if (nc == 16 && R == 4) pv_tile(4, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo);
            else if (nc == 16 && R == 1) pv_tile(1, 1, pi, ldp, v + e, ldv, nk, nc, oi, ldo);
            else {
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

static float avx2_rowmax(float *s, int n, float scale, const float *mask) {
    const __m256 sc = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY);
    __m256 m = ninf;
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 x = _mm256_mul_ps(_mm256_loadu_ps(s + j), sc);
        if (mask) x = _mm256_add_ps(x, _mm256_loadu_ps(mask + j));
        _mm256_storeu_ps(s + j, x);
        m = _mm256_max_ps(m, x);
    }
    float mx = a2a_hmax_avx2(m);
    for (; j < n; j++) {
        const float x = s[j] * scale + (mask ? mask[j] : 0.0f);
        s[j] = x;
        if (x > mx) mx = x;
    }
    return mx;
}

static float avx2_expsum(float *s, int n, float mx) {
    const __m256 mv = _mm256_set1_ps(mx);
    __m256 acc = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        const __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(s + j), mv));
        _mm256_storeu_ps(s + j, e);
        acc = _mm256_add_ps(acc, e);
    }
    if (j < n) {
        const __m256i k = a2a_tail_mask_avx2(n - j);
        const __m256 e = a2a_exp_avx2(_mm256_sub_ps(_mm256_maskload_ps(s + j, k), mv));
        _mm256_maskstore_ps(s + j, k, e);
        acc = _mm256_add_ps(acc, _mm256_and_ps(e, _mm256_castsi256_ps(k)));
    }
    return a2a_hsum_avx2(acc);
}

static void avx2_scale(float *o, int n, float c) {
    const __m256 cv = _mm256_set1_ps(c);
    int e = 0;
    for (; e + 8 <= n; e += 8) _mm256_storeu_ps(o + e, _mm256_mul_ps(_mm256_loadu_ps(o + e), cv));
    for (; e < n; e++) o[e] *= c;
}

static void avx2_f16row(const uint16_t *src, float *dst, int n) {
    int e = 0;
    for (; e + 8 <= n; e += 8) _mm256_storeu_ps(dst + e, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + e))));
    for (; e < n; e++) dst[e] = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(src[e])));
}

const a2a_attn_kernels a2a_attn_kernels_avx2 = {
    .qk = avx2_qk,
    .qk_rows = avx2_qk_rows,
    .pv = avx2_pv,
    .rowmax = avx2_rowmax,
    .expsum = avx2_expsum,
    .scale = avx2_scale,
    .f16row = avx2_f16row,
    .rows_max_nq = 32, /* measured: transposing wins above ~32 rows */
};
