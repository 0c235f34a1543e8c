/* AMX BF16 GEMM (opt-in, see a2a_matmul_set_bf16_compute): C = alpha * A * W^T (+ beta*C)
   with BF16 weights W [N][K] and F32 activations A rounded to bf16 (nearest even).

   Tiles (all 16 rows x 64 bytes): tmm0..3 accumulate a 32x32 f32 block of C (2x2 tiles of
   16x16), tmm4/5 hold two 16x32 bf16 blocks of A, tmm6/7 two 16(k-pairs) x 16(columns)
   blocks of W in the pair-interleaved ("VNNI") layout tdpbf16ps expects:
       Btile[kp][2n + e] = W[n][k0 + 2kp + e].
   K is padded with zeros to a multiple of 32; the tiles accumulate over the whole K, so an
   element's arithmetic does not depend on the M/N split (results are thread-count
   independent). Needs AMX with OS permission, granted before threads start (core/cpu.c).

   NOTE: written for Sapphire Rapids; the development machine has no AMX, so this file is
   exercised only by tests run on an AMX machine (tests/ops/test_matmul.c skips otherwise). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "core/scratch.h"
#include "kernels/gemm_pack.h"
#include "kernels/matmul.h"

#define AMX_MC 256 /* rows of A packed at once */

/* ldtilecfg layout (palette 1). */
typedef struct __attribute__((aligned(64))) tile_config {
    uint8_t palette_id;
    uint8_t start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* Configure tiles 0..7 as 16 rows x 64 bytes. */
static void config_tiles(void) {
    tile_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.palette_id = 1;
    for (int t = 0; t < 8; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = 16;
    }
    _tile_loadconfig(&cfg);
}

/* Pack rows [0, mrows) of A (the rest up to mpad zero) as bf16 tiles:
   tile (rb, b) at dst + (rb*kb + b)*512 holds rows 16rb..16rb+15, k in [32b, 32b+32). */
static void pack_a(const float *A, int64_t lda, int64_t mrows, int64_t mpad, int64_t K, int64_t kb, uint16_t *dst) {
    for (int64_t r = 0; r < mpad; r++) {
        const float *a = r < mrows ? A + r * lda : NULL;
        for (int64_t b = 0; b < kb; b++) {
            uint16_t *d = dst + ((r / 16) * kb + b) * 512 + (r % 16) * 32;
            for (int64_t kk = 0; kk < 32; kk++) {
                const int64_t k = b * 32 + kk;
                d[kk] = (a && k < K) ? a2a_f32_to_bf16(a[k]) : 0;
            }
        }
    }
}

/* Pack columns [0, ncols) (the rest of 32 zero) of W rows (bf16, row stride ldb) into
   pair-interleaved tiles: tile (b, h) at dst + (b*2 + h)*256 (32-bit words) holds
   Btile[kp][n] = W[16h + n][32b + 2kp .. +1]. */
static void pack_b(const uint16_t *W, int64_t ldb, int64_t ncols, int64_t K, int64_t kb, uint32_t *dst) {
    for (int64_t b = 0; b < kb; b++)
        for (int h = 0; h < 2; h++) {
            uint32_t *d = dst + (b * 2 + h) * 256;
            for (int n = 0; n < 16; n++) {
                const int64_t col = 16 * h + n;
                const uint16_t *w = col < ncols ? W + col * ldb : NULL;
                for (int kp = 0; kp < 16; kp++) {
                    const int64_t k = b * 32 + 2 * kp;
                    uint32_t lo = (w && k < K) ? w[k] : 0, hi = (w && k + 1 < K) ? w[k + 1] : 0;
                    d[kp * 16 + n] = lo | (hi << 16);
                }
            }
        }
}

bool a2a_gemm_amx_bf16(const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    const int64_t K = p->K, kb = (K + 31) / 32;
    const size_t a_bytes = (size_t)AMX_MC * (size_t)kb * 64, b_bytes = (size_t)kb * 32 * 64;
    uint8_t *buf = a2a_scratch(A2A_MATMUL_SCRATCH_SLOT, a_bytes + b_bytes + 32 * 32 * 4);
    if (!buf) return false;
    uint16_t *pa = (uint16_t *)buf;
    uint32_t *pb = (uint32_t *)(buf + a_bytes);
    float *pc = (float *)(buf + a_bytes + b_bytes);
    const uint16_t *W = p->B;
    config_tiles();
    for (int64_t mc0 = m0; mc0 < m1; mc0 += AMX_MC) {
        const int64_t mrows = A2A_MIN(AMX_MC, m1 - mc0), mpad = (mrows + 31) / 32 * 32;
        pack_a(p->A + mc0 * p->lda, p->lda, mrows, mpad, K, kb, pa);
        for (int64_t nb0 = n0; nb0 < n1; nb0 += 32) {
            const int64_t ncols = A2A_MIN(32, n1 - nb0);
            pack_b(W + nb0 * p->ldb, p->ldb, ncols, K, kb, pb);
            for (int64_t r0 = 0; r0 < mpad; r0 += 32) {
                const uint16_t *a0 = pa + (r0 / 16) * kb * 512, *a1 = a0 + kb * 512;
                _tile_zero(0);
                _tile_zero(1);
                _tile_zero(2);
                _tile_zero(3);
                for (int64_t b = 0; b < kb; b++) {
                    _tile_loadd(4, a0 + b * 512, 64);
                    _tile_loadd(5, a1 + b * 512, 64);
                    _tile_loadd(6, pb + (b * 2) * 256, 64);
                    _tile_loadd(7, pb + (b * 2 + 1) * 256, 64);
                    _tile_dpbf16ps(0, 4, 6);
                    _tile_dpbf16ps(1, 4, 7);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
                _tile_stored(0, pc, 128);
                _tile_stored(1, pc + 16, 128);
                _tile_stored(2, pc + 16 * 32, 128);
                _tile_stored(3, pc + 16 * 32 + 16, 128);
                const int64_t rows = A2A_MIN(32, mrows - r0);
                for (int64_t i = 0; i < rows; i++) {
                    float *c = p->C + (mc0 + r0 + i) * p->ldc + nb0;
                    const float *acc = pc + i * 32;
                    for (int64_t n = 0; n < ncols; n++)
                        c[n] = p->beta == 0.0f ? p->alpha * acc[n] : fmaf(p->alpha, acc[n], p->beta * c[n]);
                }
            }
        }
    }
    _tile_release();
    return true;
}
