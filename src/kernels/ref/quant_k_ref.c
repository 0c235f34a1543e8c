/* Reference (scalar) quantization for the 256-element "K" super-block types Q4_K Q5_K Q6_K
   and the activation type Q8_K, and their reference dot products. Same float expressions
   in the same order as ggml's quantize_row_*_ref / dequantize_row_* / generic vec_dot, so
   the blocks are bit-identical with ggml's. */
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "kernels/quant.h"

/* Fused multiply-add would change the rounding of the reference expressions. */
#pragma GCC optimize("fp-contract=off")

#define GROUP_MAX_EPS 1e-15f

/* Round to nearest, ties to even, for |f| <= 4194303 (ggml's magic-number trick). */
static inline int nearest_int(float f) {
    float v = f + 12582912.f;
    int i;
    memcpy(&i, &v, sizeof(int));
    return (i & 0x007fffff) - 0x00400000;
}

/* Scale and min for n values quantized to 0..nmax with a weighted least-squares search
   over nstep+1 candidate scales (ggml's make_qkx2_quants, use_mad = false). Writes the
   levels to L, -min to *the_min, returns the scale. */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *weights, uint8_t *L,
                              float *the_min, uint8_t *Laux, float rmin, float rdelta, int nstep) {
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *the_min = -min;
        return 0.f;
    }
    float iscale = nmax / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * (x[i] - min));
        L[i] = (uint8_t)A2A_MAX(0, A2A_MIN(nmax, l));
        float diff = scale * L[i] + min - x[i];
        diff = diff * diff;
        best_error += weights[i] * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int is = 0; is <= nstep; ++is) {
        iscale = (rmin + rdelta * is + nmax) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * (x[i] - min));
            l = A2A_MAX(0, A2A_MIN(nmax, l));
            Laux[i] = (uint8_t)l;
            float w = weights[i];
            sum_l += w * l;
            sum_l2 += w * l * l;
            sum_xl += w * l * x[i];
        }
        float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * Laux[i] + this_min - x[i];
                diff = diff * diff;
                cur_error += weights[i] * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

/* Symmetric scale for n values quantized to -nmax..nmax-1 (stored +nmax in L), weighted by
   x^2, searching 18 scale perturbations (ggml's make_qx_quants, rmse_type 1, no weights). */
static float make_qx_quants(int n, int nmax, const float *x, int8_t *L) {
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        float ax = fabsf(x[i]);
        if (ax > amax) { amax = ax; max = x[i]; }
    }
    if (amax < GROUP_MAX_EPS) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.f;
    }
    float iscale = -nmax / max;
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        int l = nearest_int(iscale * x[i]);
        l = A2A_MAX(-nmax, A2A_MIN(nmax - 1, l));
        L[i] = (int8_t)(l + nmax);
        float w = x[i] * x[i];
        sumlx += w * x[i] * l;
        suml2 += w * l * l;
    }
    float scale = suml2 ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    for (int is = -9; is <= 9; ++is) {
        if (is == 0) continue;
        iscale = -(nmax + 0.1f * is) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            int l = nearest_int(iscale * x[i]);
            l = A2A_MAX(-nmax, A2A_MIN(nmax - 1, l));
            float w = x[i] * x[i];
            sumlx += w * x[i] * l;
            suml2 += w * l * l;
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i) {
                int l = nearest_int(iscale * x[i]);
                L[i] = (int8_t)(nmax + A2A_MAX(-nmax, A2A_MIN(nmax - 1, l)));
            }
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

/* The j-th (0..7) 6-bit scale and min of a Q4_K/Q5_K block's packed 12-byte scales. */
static inline void get_scale_min_k4(int j, const uint8_t *q, uint8_t *d, uint8_t *m) {
    if (j < 4) {
        *d = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
    }
}

/* Shared Q4_K/Q5_K scale search: fills L (levels 0..nmax) and the block's scales, d, dmin
   for one 256-value super-block x. */
static void quantize_kx_block(const float *x, int nmax, float rmin, int nstep, uint8_t *L, uint8_t scales_out[12],
                              a2a_fp16 *d_out, a2a_fp16 *dmin_out) {
    uint8_t Laux[32];
    float weights[32], mins[A2A_QK_K / 32], scales[A2A_QK_K / 32];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < A2A_QK_K / 32; ++j) {
        float sum_x2 = 0;
        for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
        float av_x = sqrtf(sum_x2 / 32);
        for (int l = 0; l < 32; ++l) weights[l] = av_x + fabsf(x[32 * j + l]);
        scales[j] = make_qkx2_quants(32, nmax, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep);
        if (scales[j] > max_scale) max_scale = scales[j];
        if (mins[j] > max_min) max_min = mins[j];
    }
    float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
    float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
    memset(scales_out, 0, 12);
    for (int j = 0; j < A2A_QK_K / 32; ++j) {
        uint8_t ls = (uint8_t)nearest_int(inv_scale * scales[j]);
        uint8_t lm = (uint8_t)nearest_int(inv_min * mins[j]);
        ls = A2A_MIN(63, ls);
        lm = A2A_MIN(63, lm);
        if (j < 4) {
            scales_out[j] = ls;
            scales_out[j + 4] = lm;
        } else {
            scales_out[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
            scales_out[j - 4] |= (uint8_t)((ls >> 4) << 6);
            scales_out[j - 0] |= (uint8_t)((lm >> 4) << 6);
        }
    }
    *d_out = a2a_f32_to_fp16(max_scale / 63.f);
    *dmin_out = a2a_f32_to_fp16(max_min / 63.f);
    for (int j = 0; j < A2A_QK_K / 32; ++j) {
        uint8_t sc, m;
        get_scale_min_k4(j, scales_out, &sc, &m);
        const float d = a2a_fp16_to_f32(*d_out) * sc;
        if (!d) continue;
        const float dm = a2a_fp16_to_f32(*dmin_out) * m;
        for (int ii = 0; ii < 32; ++ii) {
            int l = nearest_int((x[32 * j + ii] + dm) / d);
            L[32 * j + ii] = (uint8_t)A2A_MAX(0, A2A_MIN(nmax, l));
        }
    }
}

/* ---------------------------------------------------------------- Q4_K */

/* Q4_K: 8 sub-blocks of 32 with 6-bit scales/mins relative to fp16 d/dmin, 4-bit levels. */
void a2a_ref_quantize_q4_K(const float *x, void *vy, int64_t n) {
    a2a_block_q4_K *y = vy;
    uint8_t L[A2A_QK_K];
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        /* the "scales" bytes that are not written for j >= 4 start from zero (memset inside) */
        quantize_kx_block(x, 15, -1.f, 20, L, y[i].scales, &y[i].d, &y[i].dmin);
        uint8_t *q = y[i].qs;
        for (int j = 0; j < A2A_QK_K; j += 64, q += 32)
            for (int l = 0; l < 32; ++l) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
    }
}

/* Q4_K -> float: d*sc*q - dmin*m per 32-value sub-block. */
void a2a_ref_dequantize_q4_K(const void *vx, float *y, int64_t n) {
    const a2a_block_q4_K *x = vx;
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const uint8_t *q = x[i].qs;
        const float d = a2a_fp16_to_f32(x[i].d), min = a2a_fp16_to_f32(x[i].dmin);
        int is = 0;
        uint8_t sc, m;
        for (int j = 0; j < A2A_QK_K; j += 64, q += 32, is += 2) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

/* ---------------------------------------------------------------- Q5_K */

/* Q5_K: as Q4_K with 5-bit levels (fifth bits in qh). */
void a2a_ref_quantize_q5_K(const float *x, void *vy, int64_t n) {
    a2a_block_q5_K *y = vy;
    uint8_t L[A2A_QK_K];
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        quantize_kx_block(x, 31, -0.5f, 15, L, y[i].scales, &y[i].d, &y[i].dmin);
        uint8_t *qh = y[i].qh, *ql = y[i].qs;
        memset(qh, 0, A2A_QK_K / 8);
        uint8_t m1 = 1, m2 = 2;
        for (int nn = 0; nn < A2A_QK_K; nn += 64, ql += 32) {
            for (int j = 0; j < 32; ++j) {
                int l1 = L[nn + j];
                if (l1 > 15) { l1 -= 16; qh[j] |= m1; }
                int l2 = L[nn + j + 32];
                if (l2 > 15) { l2 -= 16; qh[j] |= m2; }
                ql[j] = (uint8_t)(l1 | (l2 << 4));
            }
            m1 = (uint8_t)(m1 << 2);
            m2 = (uint8_t)(m2 << 2);
        }
    }
}

/* Q5_K -> float. */
void a2a_ref_dequantize_q5_K(const void *vx, float *y, int64_t n) {
    const a2a_block_q5_K *x = vx;
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const uint8_t *ql = x[i].qs, *qh = x[i].qh;
        const float d = a2a_fp16_to_f32(x[i].d), min = a2a_fp16_to_f32(x[i].dmin);
        int is = 0;
        uint8_t sc, m, u1 = 1, u2 = 2;
        for (int j = 0; j < A2A_QK_K; j += 64, ql += 32, is += 2) {
            get_scale_min_k4(is + 0, x[i].scales, &sc, &m);
            const float d1 = d * sc, m1 = min * m;
            get_scale_min_k4(is + 1, x[i].scales, &sc, &m);
            const float d2 = d * sc, m2 = min * m;
            for (int l = 0; l < 32; ++l) *y++ = d1 * ((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l) *y++ = d2 * ((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
            u1 = (uint8_t)(u1 << 2);
            u2 = (uint8_t)(u2 << 2);
        }
    }
}

/* ---------------------------------------------------------------- Q6_K */

/* Q6_K: 16 sub-blocks of 16 with int8 scales relative to fp16 d, 6-bit levels (q - 32). */
void a2a_ref_quantize_q6_K(const float *x, void *vy, int64_t n) {
    a2a_block_q6_K *y = vy;
    int8_t L[A2A_QK_K];
    float scales[A2A_QK_K / 16];
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        float max_scale = 0, max_abs_scale = 0;
        for (int ib = 0; ib < A2A_QK_K / 16; ++ib) {
            const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
            scales[ib] = scale;
            if (fabsf(scale) > max_abs_scale) {
                max_abs_scale = fabsf(scale);
                max_scale = scale;
            }
        }
        if (max_abs_scale < GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof(a2a_block_q6_K));
            continue;
        }
        float iscale = -128.f / max_scale;
        y[i].d = a2a_f32_to_fp16(1 / iscale);
        for (int ib = 0; ib < A2A_QK_K / 16; ++ib) y[i].scales[ib] = (int8_t)A2A_MIN(127, nearest_int(iscale * scales[ib]));
        for (int j = 0; j < A2A_QK_K / 16; ++j) {
            float d = a2a_fp16_to_f32(y[i].d) * y[i].scales[j];
            if (!d) continue;
            for (int ii = 0; ii < 16; ++ii) {
                int l = nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = (int8_t)(A2A_MAX(-32, A2A_MIN(31, l)) + 32);
            }
        }
        uint8_t *ql = y[i].ql, *qh = y[i].qh;
        for (int j = 0; j < A2A_QK_K; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                const uint8_t q1 = L[j + l + 0] & 0xF, q2 = L[j + l + 32] & 0xF;
                const uint8_t q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                ql[l + 0] = (uint8_t)(q1 | (q3 << 4));
                ql[l + 32] = (uint8_t)(q2 | (q4 << 4));
                qh[l] = (uint8_t)((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                                  ((L[j + l + 96] >> 4) << 6));
            }
        }
    }
}

/* Q6_K -> float: d * scale * (q - 32). */
void a2a_ref_dequantize_q6_K(const void *vx, float *y, int64_t n) {
    const a2a_block_q6_K *x = vx;
    for (int64_t i = 0; i < n / A2A_QK_K; i++) {
        const float d = a2a_fp16_to_f32(x[i].d);
        const uint8_t *ql = x[i].ql, *qh = x[i].qh;
        const int8_t *sc = x[i].scales;
        for (int nn = 0; nn < A2A_QK_K; nn += 128, y += 128, ql += 64, qh += 32, sc += 8) {
            for (int l = 0; l < 32; ++l) {
                int is = l / 16;
                const int8_t q1 = (int8_t)((int8_t)((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                const int8_t q2 = (int8_t)((int8_t)((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                const int8_t q3 = (int8_t)((int8_t)((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                const int8_t q4 = (int8_t)((int8_t)((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
                y[l + 0] = d * sc[is + 0] * q1;
                y[l + 32] = d * sc[is + 2] * q2;
                y[l + 64] = d * sc[is + 4] * q3;
                y[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

/* ---------------------------------------------------------------- Q8_K */

/* Q8_K: float d = max/-127 (max = value of largest magnitude), q = min(127, rint(x/d)),
   bsums = sums of 16 consecutive q. All-zero blocks get d = 0, q = 0, bsums = 0 (ggml
   leaves bsums unset there). */
void a2a_ref_quantize_q8_K(const float *x, void *vy, int64_t n) {
    a2a_block_q8_K *y = vy;
    for (int64_t i = 0; i < n / A2A_QK_K; i++, x += A2A_QK_K) {
        float max = 0, amax = 0;
        for (int j = 0; j < A2A_QK_K; ++j) {
            float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; max = x[j]; }
        }
        if (!amax) {
            memset(&y[i], 0, sizeof(a2a_block_q8_K));
            continue;
        }
        const float iscale = -127.f / max;
        for (int j = 0; j < A2A_QK_K; ++j) y[i].qs[j] = (int8_t)A2A_MIN(127, nearest_int(iscale * x[j]));
        for (int j = 0; j < A2A_QK_K / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += y[i].qs[j * 16 + ii];
            y[i].bsums[j] = (int16_t)sum;
        }
        y[i].d = 1 / iscale;
    }
}

/* Q8_K -> float: d * q. */
void a2a_ref_dequantize_q8_K(const void *vx, float *y, int64_t n) {
    const a2a_block_q8_K *x = vx;
    for (int64_t i = 0; i < n / A2A_QK_K; i++)
        for (int j = 0; j < A2A_QK_K; ++j) *y++ = x[i].d * x[i].qs[j];
}

/* ---------------------------------------------------------------- dot products */

/* Unpack a Q4_K/Q5_K block's 12 scale bytes into 8 scales then 8 mins. */
static void unpack_scales_k4(const uint8_t *packed, uint8_t out[16]) {
    for (int j = 0; j < 8; j++) get_scale_min_k4(j, packed, &out[j], &out[8 + j]);
}

/* Accumulate the integer part of a K-quant dot into 8 lanes: lanes[l] += sum over groups g
   of scale(g) * sum of the l-th of each 8 products of group g (ggml's generic order). */
static void k_dot_lanes(const int8_t *a, const int8_t *q8, const int *scale_of_group, int group, int32_t lanes[8]) {
    for (int base = 0; base < A2A_QK_K; base += 8) {
        const int sc = scale_of_group[base / group];
        for (int l = 0; l < 8; ++l) lanes[l] += sc * (int16_t)(q8[base + l] * a[base + l]);
    }
}

/* Q4_K x Q8_K: ggml's generic algorithm (8 float lane sums, mins via bsums). */
void a2a_ref_vec_dot_q4_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q4_K *w = vw;
    const a2a_block_q8_K *x = vx;
    int8_t a[A2A_QK_K];
    float sums[8] = {0};
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK_K; ++i) {
        const uint8_t *q4 = w[i].qs;
        for (int j = 0; j < A2A_QK_K / 64; ++j, q4 += 32)
            for (int l = 0; l < 32; ++l) {
                a[64 * j + l] = (int8_t)(q4[l] & 0xF);
                a[64 * j + 32 + l] = (int8_t)(q4[l] >> 4);
            }
        uint8_t sm[16];
        unpack_scales_k4(w[i].scales, sm);
        int sumi = 0;
        for (int j = 0; j < A2A_QK_K / 16; ++j) sumi += x[i].bsums[j] * sm[8 + j / 2];
        int scales[8];
        for (int j = 0; j < 8; j++) scales[j] = sm[j];
        int32_t lanes[8] = {0};
        k_dot_lanes(a, x[i].qs, scales, 32, lanes);
        const float d = a2a_fp16_to_f32(w[i].d) * x[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * (float)lanes[l];
        const float dmin = a2a_fp16_to_f32(w[i].dmin) * x[i].d;
        sumf -= dmin * (float)sumi;
    }
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    *s = sumf;
}

/* Q5_K x Q8_K: as Q4_K with the fifth bit from qh. */
void a2a_ref_vec_dot_q5_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_K *w = vw;
    const a2a_block_q8_K *x = vx;
    int8_t a[A2A_QK_K];
    float sums[8] = {0};
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK_K; ++i) {
        const uint8_t *q4 = w[i].qs, *hm = w[i].qh;
        uint8_t m = 1;
        for (int j = 0; j < A2A_QK_K / 64; ++j, q4 += 32) {
            for (int l = 0; l < 32; ++l) a[64 * j + l] = (int8_t)((q4[l] & 0xF) + (hm[l] & m ? 16 : 0));
            m = (uint8_t)(m << 1);
            for (int l = 0; l < 32; ++l) a[64 * j + 32 + l] = (int8_t)((q4[l] >> 4) + (hm[l] & m ? 16 : 0));
            m = (uint8_t)(m << 1);
        }
        uint8_t sm[16];
        unpack_scales_k4(w[i].scales, sm);
        int sumi = 0;
        for (int j = 0; j < A2A_QK_K / 16; ++j) sumi += x[i].bsums[j] * sm[8 + j / 2];
        int scales[8];
        for (int j = 0; j < 8; j++) scales[j] = sm[j];
        int32_t lanes[8] = {0};
        k_dot_lanes(a, x[i].qs, scales, 32, lanes);
        const float d = a2a_fp16_to_f32(w[i].d) * x[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * (float)lanes[l];
        const float dmin = a2a_fp16_to_f32(w[i].dmin) * x[i].d;
        sumf -= dmin * (float)sumi;
    }
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    *s = sumf;
}

/* Q6_K x Q8_K: ggml's generic algorithm. */
void a2a_ref_vec_dot_q6_K_q8_K(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q6_K *w = vw;
    const a2a_block_q8_K *x = vx;
    int8_t a[A2A_QK_K];
    float sums[8] = {0};
    for (int64_t i = 0; i < n / A2A_QK_K; ++i) {
        const uint8_t *q4 = w[i].ql, *qh = w[i].qh;
        int8_t *p = a;
        for (int j = 0; j < A2A_QK_K; j += 128, p += 128, q4 += 64, qh += 32)
            for (int l = 0; l < 32; ++l) {
                p[l + 0] = (int8_t)(((q4[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                p[l + 32] = (int8_t)(((q4[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                p[l + 64] = (int8_t)(((q4[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                p[l + 96] = (int8_t)(((q4[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
        int scales[16];
        for (int j = 0; j < 16; j++) scales[j] = w[i].scales[j];
        int32_t lanes[8] = {0};
        k_dot_lanes(a, x[i].qs, scales, 16, lanes);
        const float d = a2a_fp16_to_f32(w[i].d) * x[i].d;
        for (int l = 0; l < 8; ++l) sums[l] += d * (float)lanes[l];
    }
    float sumf = 0;
    for (int l = 0; l < 8; ++l) sumf += sums[l];
    *s = sumf;
}
