/* AVX2 + FMA GEMM kernels: 6x16 register tile (12 ymm accumulators, B rows loaded as two ymm,
   A elements broadcast), 8x8 in-register transposes for packing (F16 weights expanded with
   F16C, BF16 by a 16-bit shift; both exact), a no-packing GEMV for M < 4 and a no-packing
   2x4 dot-product kernel for small M.

   As in the AVX-512 file, each output element's arithmetic depends only on K, not on the
   tile or thread that computes it. */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "kernels/gemm_pack.h"

#define MR 6
#define NR 16
#define KC 256
#define NC 512

static inline size_t type_size(a2a_type bt) { return bt == A2A_TYPE_F32 ? 4 : 2; }

/* Lane mask with the first n (0..8) lanes set, for maskload/maskstore. */
static inline __m256i lane_mask(int64_t n) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 0 ? 0 : n > 8 ? 8 : n)), idx);
}

/* Eight 16-bit floats (F16 or BF16) at p as F32 (exact). */
static inline __m256 cvt8_16(const uint16_t *p, a2a_type bt) {
    const __m128i v = _mm_loadu_si128((const __m128i *)p);
    if (bt == A2A_TYPE_F16) return _mm256_cvtph_ps(v);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(v), 16));
}

/* Elements [k, k+n) (n <= 8) of a weight row of type bt as F32; lanes past n are zero. */
static inline __m256 load8(const void *p, a2a_type bt, int64_t k, int64_t n) {
    if (bt == A2A_TYPE_F32) {
        if (n >= 8) return _mm256_loadu_ps((const float *)p + k);
        if (n <= 0) return _mm256_setzero_ps();
        return _mm256_maskload_ps((const float *)p + k, lane_mask(n));
    }
    if (n >= 8) return cvt8_16((const uint16_t *)p + k, bt);
    if (n <= 0) return _mm256_setzero_ps();
    uint16_t tmp[8] = {0};
    memcpy(tmp, (const uint16_t *)p + k, (size_t)n * 2);
    return cvt8_16(tmp, bt);
}

/* In-place transpose of an 8x8 float block (row i -> column i). */
static inline void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    /* s[4i+c] lane L holds rows 4i..4i+3 of column 4L+c. */
    for (int c = 0; c < 4; c++) {
        r[c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x20);
        r[4 + c] = _mm256_permute2f128_ps(s[c], s[4 + c], 0x31);
    }
}

/* ---- packing ---- */

/* Pack mr (<= MR) rows of A over k in [0, kc): dst[k*MR + i] = A[i][k]; rows past mr zero. */
static void pack_a(int64_t kc, int mr, const float *A, int64_t lda, float *dst) {
    int64_t kk = 0;
    for (; kk + 8 <= kc; kk += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++) r[i] = i < mr ? _mm256_loadu_ps(A + (int64_t)i * lda + kk) : _mm256_setzero_ps();
        transpose8(r);
        /* MR = 6 floats per k: store 4 + 2 of each transposed column */
        for (int t = 0; t < 8; t++) {
            float *d = dst + (kk + t) * MR;
            _mm_storeu_ps(d, _mm256_castps256_ps128(r[t]));
            _mm_storel_pi((__m64 *)(d + 4), _mm256_extractf128_ps(r[t], 1));
        }
    }
    for (; kk < kc; kk++)
        for (int i = 0; i < MR; i++) dst[kk * MR + i] = i < mr ? A[(int64_t)i * lda + kk] : 0.0f;
}

/* Pack nc columns of B' (see a2a_gemm_kernels.pack_b) into strips of kc x NR floats. */
static void pack_b(int64_t kc, int64_t nc, const void *B, int64_t ldb, a2a_type bt, bool b_trans, float *dst) {
    const int64_t nstrips = (nc + NR - 1) / NR;
    if (!b_trans) {
        const float *b = B;
        for (int64_t s = 0; s < nstrips; s++) {
            const int64_t n0 = s * NR, nv = nc - n0 < NR ? nc - n0 : NR;
            float *d = dst + s * kc * NR;
            for (int64_t k = 0; k < kc; k++) {
                _mm256_store_ps(d + k * NR, load8(b + k * ldb + n0, A2A_TYPE_F32, 0, nv));
                _mm256_store_ps(d + k * NR + 8, load8(b + k * ldb + n0, A2A_TYPE_F32, 8, nv - 8));
            }
        }
        return;
    }
    const size_t es = type_size(bt);
    for (int64_t s = 0; s < nstrips; s++) {
        float *d = dst + s * kc * NR;
        for (int h = 0; h < 2; h++) {
            const int64_t j0 = s * NR + h * 8;
            const int64_t nv = nc - j0 < 0 ? 0 : (nc - j0 < 8 ? nc - j0 : 8);
            for (int64_t kk = 0; kk < kc; kk += 8) {
                const int64_t kt = kc - kk < 8 ? kc - kk : 8;
                __m256 r[8];
                for (int i = 0; i < 8; i++)
                    r[i] = i < nv ? load8((const char *)B + (size_t)(j0 + i) * (size_t)ldb * es, bt, kk, kt)
                                  : _mm256_setzero_ps();
                transpose8(r);
                for (int64_t t = 0; t < kt; t++) _mm256_store_ps(d + (kk + t) * NR + h * 8, r[t]);
            }
        }
    }
}

/* ---- micro-kernel ---- */

/* C tile of MR_ rows (compile-time) x nr columns; see a2a_gemm_kernels.kernel. */
static inline __attribute__((always_inline)) void ukr(const int MR_, int64_t kc, const float *a, const float *b,
                                                      float *C, int64_t ldc, int nr, float alpha, float beta,
                                                      int mode) {
    __m256 c0[MR], c1[MR];
    /* the C tile is read at the end: start fetching its rows now */
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) {
        _mm_prefetch((const char *)(C + (int64_t)i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(C + (int64_t)i * ldc + 15), _MM_HINT_T0);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) c0[i] = c1[i] = _mm256_setzero_ps();
#pragma GCC unroll 2
    for (int64_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 16
        for (int i = 0; i < MR_; i++) {
            const __m256 ai = _mm256_broadcast_ss(a + i);
            c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
        }
        a += MR;
        b += NR;
    }
    const __m256i m0 = lane_mask(nr), m1 = lane_mask(nr - 8);
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) {
        float *cr = C + (int64_t)i * ldc;
        __m256 r0, r1;
        if (mode == A2A_GEMM_STORE_ACCUM) {
            r0 = _mm256_fmadd_ps(va, c0[i], _mm256_maskload_ps(cr, m0));
            r1 = _mm256_fmadd_ps(va, c1[i], _mm256_maskload_ps(cr + 8, m1));
        } else if (beta == 0.0f) {
            r0 = _mm256_mul_ps(va, c0[i]);
            r1 = _mm256_mul_ps(va, c1[i]);
        } else {
            r0 = _mm256_fmadd_ps(va, c0[i], _mm256_mul_ps(vb, _mm256_maskload_ps(cr, m0)));
            r1 = _mm256_fmadd_ps(va, c1[i], _mm256_mul_ps(vb, _mm256_maskload_ps(cr + 8, m1)));
        }
        if (nr >= 16) {
            _mm256_storeu_ps(cr, r0);
            _mm256_storeu_ps(cr + 8, r1);
        } else {
            _mm256_maskstore_ps(cr, m0, r0);
            _mm256_maskstore_ps(cr + 8, m1, r1);
        }
    }
}

#define UKR_CASE(n)                                                                                \
    case n: ukr(n, kc, a, b, C, ldc, nr, alpha, beta, mode); break;

/* Dispatch on the tile height so each instantiation keeps its accumulators in registers. */
static void kernel(int64_t kc, const float *a, const float *b, float *C, int64_t ldc, int mr, int nr, float alpha,
                   float beta, int mode) {
    switch (mr) {
        UKR_CASE(6) UKR_CASE(5) UKR_CASE(4) UKR_CASE(3) UKR_CASE(2) UKR_CASE(1)
    default: break;
    }
}

/* ---- GEMV ---- */

/* Horizontal sum of 8 lanes (fixed order). */
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* M_ (compile-time) rows of A against weight rows [n0, n1) of type BT_ (compile-time). */
static inline __attribute__((always_inline)) void gemv_t(const int M_, const a2a_type BT_, int64_t K, int64_t n0,
                                                         int64_t n1, const void *B, int64_t ldb, const float *A,
                                                         int64_t lda, float *C, int64_t ldc, float alpha,
                                                         float beta) {
    const size_t rowb = (size_t)ldb * type_size(BT_);
    for (int64_t n = n0; n < n1; n++) {
        const void *w = (const char *)B + (size_t)n * rowb;
        __m256 acc[3][4];
        for (int m = 0; m < M_; m++)
            for (int u = 0; u < 4; u++) acc[m][u] = _mm256_setzero_ps();
        int64_t k = 0;
        for (; k + 32 <= K; k += 32) {
            for (int u = 0; u < 4; u++) {
                const __m256 wv = load8(w, BT_, k + 8 * u, 8);
                for (int m = 0; m < M_; m++)
                    acc[m][u] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(A + m * lda + k + 8 * u), acc[m][u]);
            }
        }
        for (int u = 0; k < K; k += 8, u++) {
            const int64_t kt = K - k < 8 ? K - k : 8;
            const __m256 wv = load8(w, BT_, k, kt);
            for (int m = 0; m < M_; m++)
                acc[m][u] = _mm256_fmadd_ps(wv, load8(A + m * lda, A2A_TYPE_F32, k, kt), acc[m][u]);
        }
        for (int m = 0; m < M_; m++) {
            const float r = hsum8(_mm256_add_ps(_mm256_add_ps(acc[m][0], acc[m][1]), _mm256_add_ps(acc[m][2], acc[m][3])));
            float *c = C + m * ldc + n;
            *c = beta == 0.0f ? alpha * r : fmaf(alpha, r, beta * *c);
        }
    }
}

#define GEMV_CASE(m, bt)                                                                           \
    gemv_t(m, bt, K, n0, n1, B, ldb, A, lda, C, ldc, alpha, beta);                                 \
    return;

/* See a2a_gemm_kernels.gemv (M in 1..3). */
static void gemv(int64_t K, int64_t n0, int64_t n1, const void *B, int64_t ldb, a2a_type bt, int M, const float *A,
                 int64_t lda, float *C, int64_t ldc, float alpha, float beta) {
    switch (bt) {
    case A2A_TYPE_F16:
        if (M == 1) { GEMV_CASE(1, A2A_TYPE_F16) }
        if (M == 2) { GEMV_CASE(2, A2A_TYPE_F16) }
        GEMV_CASE(3, A2A_TYPE_F16)
    case A2A_TYPE_BF16:
        if (M == 1) { GEMV_CASE(1, A2A_TYPE_BF16) }
        if (M == 2) { GEMV_CASE(2, A2A_TYPE_BF16) }
        GEMV_CASE(3, A2A_TYPE_BF16)
    default:
        if (M == 1) { GEMV_CASE(1, A2A_TYPE_F32) }
        if (M == 2) { GEMV_CASE(2, A2A_TYPE_F32) }
        GEMV_CASE(3, A2A_TYPE_F32)
    }
}

/* ---- small-M GEMM without packing ----
   As in gemm_avx512.c: for 4 <= M < SMALL_MAX_M, 4 weight rows x 2 x rows are dotted directly
   (8 ymm accumulators, one FMA chain over K per output, then a horizontal sum); tails reuse
   the last valid row (computed, not stored). */

#define SMALL_MAX_M 32   /* F32 weights */
#define SMALL_MAX_M16 48 /* F16/BF16 weights */

/* Outputs for weight rows [n0, n1) (type BT_, compile-time) and all M rows of A. */
static inline __attribute__((always_inline)) void small_t(const a2a_type BT_, int64_t K, int64_t n0, int64_t n1,
                                                          const void *B, int64_t ldb, int M, const float *A,
                                                          int64_t lda, float *C, int64_t ldc, float alpha,
                                                          float beta) {
    const size_t rowb = (size_t)ldb * type_size(BT_);
    const int64_t kfull = K & ~(int64_t)7;
    for (int64_t n = n0; n < n1; n += 4) {
        const char *w[4];
        for (int j = 0; j < 4; j++) w[j] = (const char *)B + (size_t)(n + j < n1 ? n + j : n1 - 1) * rowb;
        for (int m = 0; m < M; m += 2) {
            const float *x0 = A + (int64_t)m * lda, *x1 = A + (int64_t)(m + 1 < M ? m + 1 : m) * lda;
            __m256 acc[2][4];
#pragma GCC unroll 4
            for (int j = 0; j < 4; j++) acc[0][j] = acc[1][j] = _mm256_setzero_ps();
            for (int64_t k = 0; k < kfull; k += 8) {
                __m256 wv[4];
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) wv[j] = load8(w[j], BT_, k, 8);
                const __m256 xa = _mm256_loadu_ps(x0 + k), xb = _mm256_loadu_ps(x1 + k);
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    acc[0][j] = _mm256_fmadd_ps(xa, wv[j], acc[0][j]);
                    acc[1][j] = _mm256_fmadd_ps(xb, wv[j], acc[1][j]);
                }
            }
            if (kfull < K) {
                __m256 wv[4];
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) wv[j] = load8(w[j], BT_, kfull, K - kfull);
                const __m256 xa = load8(x0, A2A_TYPE_F32, kfull, K - kfull), xb = load8(x1, A2A_TYPE_F32, kfull, K - kfull);
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) {
                    acc[0][j] = _mm256_fmadd_ps(xa, wv[j], acc[0][j]);
                    acc[1][j] = _mm256_fmadd_ps(xb, wv[j], acc[1][j]);
                }
            }
            float r[2][4]; /* reduce with constant indices so acc stays in registers */
#pragma GCC unroll 2
            for (int i = 0; i < 2; i++)
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) r[i][j] = hsum8(acc[i][j]);
            for (int i = 0; i < 2 && m + i < M; i++)
                for (int j = 0; j < 4 && n + j < n1; j++) {
                    float *c = C + (int64_t)(m + i) * ldc + n + j;
                    *c = beta == 0.0f ? alpha * r[i][j] : fmaf(alpha, r[i][j], beta * *c);
                }
        }
    }
}

/* See a2a_gemm_kernels.gemm_small. */
static void gemm_small(int64_t K, int64_t n0, int64_t n1, const void *B, int64_t ldb, a2a_type bt, int M,
                       const float *A, int64_t lda, float *C, int64_t ldc, float alpha, float beta) {
    switch (bt) {
    case A2A_TYPE_F16: small_t(A2A_TYPE_F16, K, n0, n1, B, ldb, M, A, lda, C, ldc, alpha, beta); break;
    case A2A_TYPE_BF16: small_t(A2A_TYPE_BF16, K, n0, n1, B, ldb, M, A, lda, C, ldc, alpha, beta); break;
    default: small_t(A2A_TYPE_F32, K, n0, n1, B, ldb, M, A, lda, C, ldc, alpha, beta); break;
    }
}

static const a2a_gemm_kernels g_avx2 = {
    .name = "avx2-6x16", .mr = MR, .nr = NR, .kpack = 1, .kc = KC, .nc = NC,
    .pack_a = pack_a, .pack_b = pack_b, .kernel = kernel, .gemv = gemv,
    .gemm_small = gemm_small, .small_max_m = SMALL_MAX_M, .small_max_m16 = SMALL_MAX_M16,
};

const a2a_gemm_kernels *a2a_gemm_kernels_avx2(void) { return &g_avx2; }
