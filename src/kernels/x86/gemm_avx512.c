/* AVX-512 GEMM kernels: 14x32 register tile (28 zmm accumulators, B rows loaded as two zmm,
   A elements broadcast), 16x16 in-register transposes for packing (F16/BF16 weights are
   expanded exactly to F32 while packing), a no-packing GEMV for M < 4 that streams weight
   rows with four independent FMA chains, a no-packing 4x4 dot-product kernel for small M,
   and the opt-in BF16 family (x rounded to bf16, vdpbf16ps on bf16 pairs).

   Every output element's arithmetic depends only on K (and the blocking constants), never
   on which tile or thread computes it: the tile height is a compile-time template
   parameter, rows are independent, and partial columns are handled with masks. */
#include <immintrin.h>
#include <math.h>

#include "kernels/gemm_pack.h"

#define MR 14
#define NR 32
#define KC 256 /* A strip 14x256 floats = 14 KB stays in L1 */
#define NC 512 /* B panel 256x512 floats = 512 KB stays in L2 */

/* ---- loads of 16 consecutive elements of a weight row, as F32 ---- */

/* Elements [k, k+16) of row p (type bt), lanes outside mask m are zero. */
static inline __m512 load16(const void *p, a2a_type bt, int64_t k, __mmask16 m) {
    switch (bt) {
    case A2A_TYPE_F16:
        return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + k));
    case A2A_TYPE_BF16: {
        __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, (const uint16_t *)p + k));
        return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
    }
    default:
        return _mm512_maskz_loadu_ps(m, (const float *)p + k);
    }
}

static inline size_t type_size(a2a_type bt) { return bt == A2A_TYPE_F32 ? 4 : 2; }

static inline __mmask16 tail_mask(int64_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/* In-place transpose of a 16x16 float block held in r[0..15] (row i -> column i). */
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i + 0] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    /* r[4i+c] lane L now holds rows 4i..4i+3 of column 4L+c; gather the lanes. */
    __m512 o[16];
    for (int c = 0; c < 4; c++) {
        __m512 u0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x88);
        __m512 u1 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xDD);
        __m512 u2 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x88);
        __m512 u3 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xDD);
        o[c] = _mm512_shuffle_f32x4(u0, u2, 0x88);
        o[8 + c] = _mm512_shuffle_f32x4(u0, u2, 0xDD);
        o[4 + c] = _mm512_shuffle_f32x4(u1, u3, 0x88);
        o[12 + c] = _mm512_shuffle_f32x4(u1, u3, 0xDD);
    }
    for (int i = 0; i < 16; i++) r[i] = o[i];
}

/* ---- packing ---- */

/* Pack mr (<= MR) rows of A (row stride lda) over k in [0, kc): dst[k*MR + i] = A[i][k];
   rows mr..MR-1 are zero. */
static void pack_a(int64_t kc, int mr, const float *A, int64_t lda, float *dst) {
    for (int64_t kk = 0; kk < kc; kk += 16) {
        const int64_t kt = kc - kk < 16 ? kc - kk : 16;
        const __mmask16 km = tail_mask(kt);
        __m512 r[16];
        for (int i = 0; i < 16; i++)
            r[i] = i < mr ? _mm512_maskz_loadu_ps(km, A + (int64_t)i * lda + kk) : _mm512_setzero_ps();
        transpose16(r);
        for (int64_t t = 0; t < kt; t++) _mm512_mask_storeu_ps(dst + (kk + t) * MR, (__mmask16)0x3FFF, r[t]);
    }
}

/* Pack nc columns of B' (see a2a_gemm_kernels.pack_b) into strips of kc x NR floats. */
static void pack_b(int64_t kc, int64_t nc, const void *B, int64_t ldb, a2a_type bt, bool b_trans, float *dst) {
    const int64_t nstrips = (nc + NR - 1) / NR;
    if (!b_trans) { /* F32 [K][N]: each k row of the strip is a contiguous copy */
        const float *b = B;
        for (int64_t s = 0; s < nstrips; s++) {
            const int64_t n0 = s * NR, nv = nc - n0 < NR ? nc - n0 : NR;
            const __mmask16 m0 = tail_mask(nv), m1 = tail_mask(nv - 16 > 0 ? nv - 16 : 0);
            float *d = dst + s * kc * NR;
            for (int64_t k = 0; k < kc; k++) {
                const float *src = b + k * ldb + n0;
                _mm512_store_ps(d + k * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_store_ps(d + k * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
        }
        return;
    }
    const size_t es = type_size(bt);
    for (int64_t s = 0; s < nstrips; s++) {
        float *d = dst + s * kc * NR;
        for (int h = 0; h < 2; h++) {
            const int64_t j0 = s * NR + h * 16;
            const int64_t nv = nc - j0 < 0 ? 0 : (nc - j0 < 16 ? nc - j0 : 16);
            for (int64_t kk = 0; kk < kc; kk += 16) {
                const int64_t kt = kc - kk < 16 ? kc - kk : 16;
                const __mmask16 km = tail_mask(kt);
                __m512 r[16];
                for (int i = 0; i < 16; i++)
                    r[i] = i < nv ? load16((const char *)B + (size_t)(j0 + i) * (size_t)ldb * es, bt, kk, km)
                                  : _mm512_setzero_ps();
                transpose16(r);
                for (int64_t t = 0; t < kt; t++) _mm512_store_ps(d + (kk + t) * NR + h * 16, r[t]);
            }
        }
    }
}

/* ---- micro-kernel ---- */

/* Store a finished tile of MR_ rows: C = alpha*acc combined with C per `mode` (see
   a2a_gemm_kernels.kernel); columns past nr are masked off. */
static inline __attribute__((always_inline)) void store_tile(const int MR_, const __m512 *c0, const __m512 *c1,
                                                             float *C, int64_t ldc, int nr, float alpha, float beta,
                                                             int mode) {
    const __mmask16 m0 = tail_mask(nr), m1 = tail_mask(nr > 16 ? nr - 16 : 0);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) {
        float *cr = C + (int64_t)i * ldc;
        __m512 r0, r1;
        if (mode == A2A_GEMM_STORE_ACCUM) {
            r0 = _mm512_fmadd_ps(va, c0[i], _mm512_maskz_loadu_ps(m0, cr));
            r1 = _mm512_fmadd_ps(va, c1[i], _mm512_maskz_loadu_ps(m1, cr + 16));
        } else if (beta == 0.0f) {
            r0 = _mm512_mul_ps(va, c0[i]);
            r1 = _mm512_mul_ps(va, c1[i]);
        } else {
            r0 = _mm512_fmadd_ps(va, c0[i], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, cr)));
            r1 = _mm512_fmadd_ps(va, c1[i], _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16)));
        }
        _mm512_mask_storeu_ps(cr, m0, r0);
        _mm512_mask_storeu_ps(cr + 16, m1, r1);
    }
}

/* C tile of MR_ rows (compile-time) x nr columns; see a2a_gemm_kernels.kernel. */
static inline __attribute__((always_inline)) void ukr(const int MR_, int64_t kc, const float *a, const float *b,
                                                      float *C, int64_t ldc, int nr, float alpha, float beta,
                                                      int mode) {
    __m512 c0[MR], c1[MR];
    /* the C tile is read at the end: start fetching its rows now (worth ~10% at 2048^3) */
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) {
        _mm_prefetch((const char *)(C + (int64_t)i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(C + (int64_t)i * ldc + 31), _MM_HINT_T0);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) c0[i] = c1[i] = _mm512_setzero_ps();
#pragma GCC unroll 2
    for (int64_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
        for (int i = 0; i < MR_; i++) {
            const __m512 ai = _mm512_set1_ps(a[i]);
            c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
            c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
        }
        a += MR;
        b += NR;
    }
    store_tile(MR_, c0, c1, C, ldc, nr, alpha, beta, mode);
}

#define UKR_CASE(n)                                                                                \
    case n: UKR_FN(n, kc, a, b, C, ldc, nr, alpha, beta, mode); break;
#define UKR_FN ukr

/* Dispatch on the tile height so each instantiation keeps its accumulators in registers. */
static void kernel(int64_t kc, const float *a, const float *b, float *C, int64_t ldc, int mr, int nr, float alpha,
                   float beta, int mode) {
    switch (mr) {
        UKR_CASE(14) UKR_CASE(13) UKR_CASE(12) UKR_CASE(11) UKR_CASE(10) UKR_CASE(9) UKR_CASE(8)
        UKR_CASE(7) UKR_CASE(6) UKR_CASE(5) UKR_CASE(4) UKR_CASE(3) UKR_CASE(2) UKR_CASE(1)
    default: break;
    }
}

/* ---- BF16 dot-product family (opt-in; AVX512_BF16) ----
   Same 14x32 tile; each 4-byte slot of the packed panels holds a pair of bf16 values for two
   consecutive k, and vdpbf16ps adds both products of a pair to the f32 accumulator. A (the
   activations) is rounded to bf16 (nearest even) while packing. */

#define KC_BF16 (2 * KC)

/* Pack mr rows of A over k in [0, kc) as bf16 pairs: slot (k/2)*MR + i = (A[i][k], A[i][k+1]). */
static void pack_a_bf16(int64_t kc, int mr, const float *A, int64_t lda, float *dst) {
    for (int64_t kk = 0; kk < kc; kk += 32) {
        const int64_t kt = kc - kk < 32 ? kc - kk : 32;
        const __mmask16 m0 = tail_mask(kt), m1 = tail_mask(kt > 16 ? kt - 16 : 0);
        __m512 r[16];
        for (int i = 0; i < 16; i++) {
            if (i < mr) {
                const float *a = A + (int64_t)i * lda + kk;
                __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(m1, a + 16), _mm512_maskz_loadu_ps(m0, a));
                r[i] = (__m512)v;
            } else {
                r[i] = _mm512_setzero_ps();
            }
        }
        transpose16(r); /* 32-bit slots: r[t] = pair t of rows 0..15 */
        for (int64_t t = 0; t < (kt + 1) / 2; t++) _mm512_mask_storeu_ps(dst + (kk / 2 + t) * MR, (__mmask16)0x3FFF, r[t]);
    }
}

/* Pack nc columns of a BF16 [N][K] weight (b_trans) into strips of ceil(kc/2) x NR pair slots. */
static void pack_b_bf16(int64_t kc, int64_t nc, const void *B, int64_t ldb, a2a_type bt, bool b_trans, float *dst) {
    (void)bt, (void)b_trans;
    const int64_t nstrips = (nc + NR - 1) / NR, kp = (kc + 1) / 2;
    for (int64_t s = 0; s < nstrips; s++) {
        float *d = dst + s * kp * NR;
        for (int h = 0; h < 2; h++) {
            const int64_t j0 = s * NR + h * 16;
            const int64_t nv = nc - j0 < 0 ? 0 : (nc - j0 < 16 ? nc - j0 : 16);
            for (int64_t kk = 0; kk < kc; kk += 32) {
                const int64_t kt = kc - kk < 32 ? kc - kk : 32;
                const __mmask32 km = kt >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << kt) - 1);
                __m512 r[16];
                for (int i = 0; i < 16; i++)
                    r[i] = i < nv ? _mm512_castsi512_ps(_mm512_maskz_loadu_epi16(km, (const uint16_t *)B + (j0 + i) * ldb + kk))
                                  : _mm512_setzero_ps();
                transpose16(r);
                for (int64_t t = 0; t < (kt + 1) / 2; t++) _mm512_store_ps(d + (kk / 2 + t) * NR + h * 16, r[t]);
            }
        }
    }
}

/* BF16-pair tile of MR_ rows (compile-time) x nr columns over kc values of k. */
static inline __attribute__((always_inline)) void ukr_bf16(const int MR_, int64_t kc, const float *a, const float *b,
                                                           float *C, int64_t ldc, int nr, float alpha, float beta,
                                                           int mode) {
    __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
    for (int i = 0; i < MR_; i++) c0[i] = c1[i] = _mm512_setzero_ps();
    const int64_t kp = (kc + 1) / 2;
#pragma GCC unroll 2
    for (int64_t k = 0; k < kp; k++) {
        const __m512bh b0 = (__m512bh)_mm512_load_ps(b), b1 = (__m512bh)_mm512_load_ps(b + 16);
#pragma GCC unroll 16
        for (int i = 0; i < MR_; i++) {
            const __m512bh ai = (__m512bh)_mm512_set1_ps(a[i]);
            c0[i] = _mm512_dpbf16_ps(c0[i], ai, b0);
            c1[i] = _mm512_dpbf16_ps(c1[i], ai, b1);
        }
        a += MR;
        b += NR;
    }
    store_tile(MR_, c0, c1, C, ldc, nr, alpha, beta, mode);
}

#undef UKR_FN
#define UKR_FN ukr_bf16

/* Dispatch on the tile height (BF16 pairs). */
static void kernel_bf16(int64_t kc, const float *a, const float *b, float *C, int64_t ldc, int mr, int nr, float alpha,
                        float beta, int mode) {
    switch (mr) {
        UKR_CASE(14) UKR_CASE(13) UKR_CASE(12) UKR_CASE(11) UKR_CASE(10) UKR_CASE(9) UKR_CASE(8)
        UKR_CASE(7) UKR_CASE(6) UKR_CASE(5) UKR_CASE(4) UKR_CASE(3) UKR_CASE(2) UKR_CASE(1)
    default: break;
    }
}

/* ---- GEMV ---- */

/* M_ (compile-time) rows of A against weight rows [n0, n1) of type BT_ (compile-time). */
static inline __attribute__((always_inline)) void gemv_t(const int M_, const a2a_type BT_, int64_t K, int64_t n0,
                                                         int64_t n1, const void *B, int64_t ldb, const float *A,
                                                         int64_t lda, float *C, int64_t ldc, float alpha,
                                                         float beta) {
    const size_t rowb = (size_t)ldb * type_size(BT_);
    for (int64_t n = n0; n < n1; n++) {
        const void *w = (const char *)B + (size_t)n * rowb;
        __m512 acc[3][4];
        for (int m = 0; m < M_; m++)
            for (int u = 0; u < 4; u++) acc[m][u] = _mm512_setzero_ps();
        int64_t k = 0;
        for (; k + 64 <= K; k += 64) {
            for (int u = 0; u < 4; u++) {
                const __m512 wv = load16(w, BT_, k + 16 * u, 0xFFFF);
                for (int m = 0; m < M_; m++)
                    acc[m][u] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(A + m * lda + k + 16 * u), acc[m][u]);
            }
        }
        for (int u = 0; k < K; k += 16, u++) {
            const __mmask16 km = tail_mask(K - k);
            const __m512 wv = load16(w, BT_, k, km);
            for (int m = 0; m < M_; m++)
                acc[m][u] = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(km, A + m * lda + k), acc[m][u]);
        }
        for (int m = 0; m < M_; m++) {
            const __m512 s = _mm512_add_ps(_mm512_add_ps(acc[m][0], acc[m][1]), _mm512_add_ps(acc[m][2], acc[m][3]));
            const float r = _mm512_reduce_add_ps(s);
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
   For 4 <= M < SMALL_MAX_M (SMALL_MAX_M16) the packed path spends most of its time packing weights that are
   used only M times. Instead, 4 weight rows x 4 x rows are dotted directly: 16 accumulators,
   one FMA chain over K per output, then a horizontal sum. Tails reuse the last valid row
   (computed, not stored), so every output sees the same arithmetic. The 4 weight rows stay
   in L1/L2 while all the x rows pass over them. */

#define SMALL_MAX_M 48   /* measured crossover with the packed path, F32 weights (Zen 5) */
#define SMALL_MAX_M16 64 /* F16/BF16 weights */

/* Outputs for weight rows [n0, n1) (type BT_, compile-time) and all M rows of A. */
static inline __attribute__((always_inline)) void small_t(const a2a_type BT_, int64_t K, int64_t n0, int64_t n1,
                                                          const void *B, int64_t ldb, int M, const float *A,
                                                          int64_t lda, float *C, int64_t ldc, float alpha,
                                                          float beta) {
    const size_t rowb = (size_t)ldb * type_size(BT_);
    const int64_t kfull = K & ~(int64_t)15;
    const __mmask16 km = tail_mask(K - kfull);
    for (int64_t n = n0; n < n1; n += 4) {
        const char *w[4];
        for (int j = 0; j < 4; j++) w[j] = (const char *)B + (size_t)(n + j < n1 ? n + j : n1 - 1) * rowb;
        for (int m = 0; m < M; m += 4) {
            const float *x[4];
            for (int i = 0; i < 4; i++) x[i] = A + (int64_t)(m + i < M ? m + i : M - 1) * lda;
            __m512 acc[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) acc[i][j] = _mm512_setzero_ps();
            for (int64_t k = 0; k < kfull; k += 16) {
                __m512 wv[4];
                for (int j = 0; j < 4; j++) wv[j] = load16(w[j], BT_, k, 0xFFFF);
                for (int i = 0; i < 4; i++) {
                    const __m512 xv = _mm512_loadu_ps(x[i] + k);
                    for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
                }
            }
            if (kfull < K) {
                __m512 wv[4];
                for (int j = 0; j < 4; j++) wv[j] = load16(w[j], BT_, kfull, km);
                for (int i = 0; i < 4; i++) {
                    const __m512 xv = _mm512_maskz_loadu_ps(km, x[i] + kfull);
                    for (int j = 0; j < 4; j++) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
                }
            }
            float r[4][4]; /* reduce with constant indices so acc stays in registers */
#pragma GCC unroll 4
            for (int i = 0; i < 4; i++)
#pragma GCC unroll 4
                for (int j = 0; j < 4; j++) r[i][j] = _mm512_reduce_add_ps(acc[i][j]);
            for (int i = 0; i < 4 && m + i < M; i++)
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

static const a2a_gemm_kernels g_avx512 = {
    .name = "avx512-14x32", .mr = MR, .nr = NR, .kpack = 1, .kc = KC, .nc = NC,
    .pack_a = pack_a, .pack_b = pack_b, .kernel = kernel, .gemv = gemv,
    .gemm_small = gemm_small, .small_max_m = SMALL_MAX_M, .small_max_m16 = SMALL_MAX_M16,
};

const a2a_gemm_kernels *a2a_gemm_kernels_avx512(void) { return &g_avx512; }

/* GEMV keeps x in f32 (exact bf16 expansion): it is memory-bound, so bf16 math would not help. */
static const a2a_gemm_kernels g_avx512_bf16 = {
    .name = "avx512-bf16dot-14x32", .mr = MR, .nr = NR, .kpack = 2, .kc = KC_BF16, .nc = NC,
    .pack_a = pack_a_bf16, .pack_b = pack_b_bf16, .kernel = kernel_bf16, .gemv = gemv,
};

const a2a_gemm_kernels *a2a_gemm_kernels_avx512_bf16(void) { return &g_avx512_bf16; }
