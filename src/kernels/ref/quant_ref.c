/* Reference (scalar) quantization for the 32-element block types Q4_0 Q4_1 Q5_0 Q5_1 Q8_0
   Q8_1, their dot products, and the public quantization API with its run-time dispatch.
   The algorithms reproduce ggml's quantize_row_*_ref / dequantize_row_* / generic vec_dot
   operation for operation (same float expressions, same order), so the blocks are
   bit-identical with GGUF files made by ggml or gguf-py. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "core/status.h"
#include "kernels/quant.h"

/* Fused multiply-add would change the rounding of the reference expressions. */
#pragma GCC optimize("fp-contract=off")

/* ---------------------------------------------------------------- Q4_0 */

/* Q4_0: d = (value of largest magnitude) / -8, q = min(15, trunc(x/d + 8.5)). */
void a2a_ref_quantize_q4_0(const float *x, void *vy, int64_t n) {
    a2a_block_q4_0 *y = vy;
    const int64_t nb = n / A2A_QK4_0;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK4_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < A2A_QK4_0; j++) {
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        }
        const float d = max / -8;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        for (int j = 0; j < A2A_QK4_0 / 2; j++) {
            const float x0 = x[j] * id, x1 = x[A2A_QK4_0 / 2 + j] * id;
            const uint8_t q0 = (uint8_t)A2A_MIN(15, (int8_t)(x0 + 8.5f));
            const uint8_t q1 = (uint8_t)A2A_MIN(15, (int8_t)(x1 + 8.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

/* Q4_0 -> float: (q - 8) * d. */
void a2a_ref_dequantize_q4_0(const void *vx, float *y, int64_t n) {
    const a2a_block_q4_0 *x = vx;
    const int64_t nb = n / A2A_QK4_0;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK4_0) {
        const float d = a2a_fp16_to_f32(x[i].d);
        for (int j = 0; j < A2A_QK4_0 / 2; j++) {
            y[j] = (float)((x[i].qs[j] & 0x0F) - 8) * d;
            y[j + A2A_QK4_0 / 2] = (float)((x[i].qs[j] >> 4) - 8) * d;
        }
    }
}

/* ---------------------------------------------------------------- Q4_1 */

/* Q4_1: d = (max - min) / 15, m = min, q = min(15, trunc((x - min)/d + 0.5)). */
void a2a_ref_quantize_q4_1(const float *x, void *vy, int64_t n) {
    a2a_block_q4_1 *y = vy;
    const int64_t nb = n / A2A_QK4_1;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK4_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < A2A_QK4_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 15;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        y[i].m = a2a_f32_to_fp16(min);
        for (int j = 0; j < A2A_QK4_1 / 2; j++) {
            const float x0 = (x[j] - min) * id, x1 = (x[A2A_QK4_1 / 2 + j] - min) * id;
            const uint8_t q0 = (uint8_t)A2A_MIN(15, (int8_t)(x0 + 0.5f));
            const uint8_t q1 = (uint8_t)A2A_MIN(15, (int8_t)(x1 + 0.5f));
            y[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
    }
}

/* Q4_1 -> float: q * d + m. */
void a2a_ref_dequantize_q4_1(const void *vx, float *y, int64_t n) {
    const a2a_block_q4_1 *x = vx;
    const int64_t nb = n / A2A_QK4_1;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK4_1) {
        const float d = a2a_fp16_to_f32(x[i].d), m = a2a_fp16_to_f32(x[i].m);
        for (int j = 0; j < A2A_QK4_1 / 2; j++) {
            y[j] = (float)(x[i].qs[j] & 0x0F) * d + m;
            y[j + A2A_QK4_1 / 2] = (float)(x[i].qs[j] >> 4) * d + m;
        }
    }
}

/* ---------------------------------------------------------------- Q5_0 */

/* Q5_0: d = (value of largest magnitude) / -16, q = min(31, trunc(x/d + 16.5)); the fifth
   bits go to qh (bit j for element j). */
void a2a_ref_quantize_q5_0(const float *x, void *vy, int64_t n) {
    a2a_block_q5_0 *y = vy;
    const int64_t nb = n / A2A_QK5_0;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK5_0) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < A2A_QK5_0; j++) {
            if (amax < fabsf(x[j])) { amax = fabsf(x[j]); max = x[j]; }
        }
        const float d = max / -16;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        uint32_t qh = 0;
        for (int j = 0; j < A2A_QK5_0 / 2; j++) {
            const float x0 = x[j] * id, x1 = x[A2A_QK5_0 / 2 + j] * id;
            const uint8_t q0 = (uint8_t)A2A_MIN(31, (int8_t)(x0 + 16.5f));
            const uint8_t q1 = (uint8_t)A2A_MIN(31, (int8_t)(x1 + 16.5f));
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((uint32_t)(q0 & 0x10u) >> 4) << j;
            qh |= ((uint32_t)(q1 & 0x10u) >> 4) << (j + A2A_QK5_0 / 2);
        }
        memcpy(y[i].qh, &qh, sizeof(qh));
    }
}

/* Q5_0 -> float: (q - 16) * d. */
void a2a_ref_dequantize_q5_0(const void *vx, float *y, int64_t n) {
    const a2a_block_q5_0 *x = vx;
    const int64_t nb = n / A2A_QK5_0;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK5_0) {
        const float d = a2a_fp16_to_f32(x[i].d);
        uint32_t qh;
        memcpy(&qh, x[i].qh, sizeof(qh));
        for (int j = 0; j < A2A_QK5_0 / 2; j++) {
            const int h0 = (int)(((qh >> j) << 4) & 0x10), h1 = (int)((qh >> (j + 12)) & 0x10);
            y[j] = (float)(((x[i].qs[j] & 0x0F) | h0) - 16) * d;
            y[j + A2A_QK5_0 / 2] = (float)(((x[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

/* ---------------------------------------------------------------- Q5_1 */

/* Q5_1: d = (max - min) / 31, m = min, q = trunc((x - min)/d + 0.5). */
void a2a_ref_quantize_q5_1(const float *x, void *vy, int64_t n) {
    a2a_block_q5_1 *y = vy;
    const int64_t nb = n / A2A_QK5_1;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK5_1) {
        float min = FLT_MAX, max = -FLT_MAX;
        for (int j = 0; j < A2A_QK5_1; j++) {
            if (x[j] < min) min = x[j];
            if (x[j] > max) max = x[j];
        }
        const float d = (max - min) / 31;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        y[i].m = a2a_f32_to_fp16(min);
        uint32_t qh = 0;
        for (int j = 0; j < A2A_QK5_1 / 2; j++) {
            const float x0 = (x[j] - min) * id, x1 = (x[A2A_QK5_1 / 2 + j] - min) * id;
            const uint8_t q0 = (uint8_t)(x0 + 0.5f), q1 = (uint8_t)(x1 + 0.5f);
            y[i].qs[j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= ((uint32_t)(q0 & 0x10u) >> 4) << j;
            qh |= ((uint32_t)(q1 & 0x10u) >> 4) << (j + A2A_QK5_1 / 2);
        }
        memcpy(y[i].qh, &qh, sizeof(qh));
    }
}

/* Q5_1 -> float: q * d + m. */
void a2a_ref_dequantize_q5_1(const void *vx, float *y, int64_t n) {
    const a2a_block_q5_1 *x = vx;
    const int64_t nb = n / A2A_QK5_1;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK5_1) {
        const float d = a2a_fp16_to_f32(x[i].d), m = a2a_fp16_to_f32(x[i].m);
        uint32_t qh;
        memcpy(&qh, x[i].qh, sizeof(qh));
        for (int j = 0; j < A2A_QK5_1 / 2; j++) {
            const int h0 = (int)(((qh >> j) << 4) & 0x10), h1 = (int)((qh >> (j + 12)) & 0x10);
            y[j] = (float)((x[i].qs[j] & 0x0F) | h0) * d + m;
            y[j + A2A_QK5_1 / 2] = (float)((x[i].qs[j] >> 4) | h1) * d + m;
        }
    }
}

/* ---------------------------------------------------------------- Q8_0 / Q8_1 */

/* Q8_0: d = amax / 127, q = roundf(x / d) (half away from zero). */
void a2a_ref_quantize_q8_0(const float *x, void *vy, int64_t n) {
    a2a_block_q8_0 *y = vy;
    const int64_t nb = n / A2A_QK8_0;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < A2A_QK8_0; j++) amax = A2A_MAX(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        for (int j = 0; j < A2A_QK8_0; j++) y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* Q8_0 -> float: q * d. */
void a2a_ref_dequantize_q8_0(const void *vx, float *y, int64_t n) {
    const a2a_block_q8_0 *x = vx;
    const int64_t nb = n / A2A_QK8_0;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK8_0) {
        const float d = a2a_fp16_to_f32(x[i].d);
        for (int j = 0; j < A2A_QK8_0; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

/* Q8_1: as Q8_0, plus s = fp16(d * sum(q)). */
void a2a_ref_quantize_q8_1(const float *x, void *vy, int64_t n) {
    a2a_block_q8_1 *y = vy;
    const int64_t nb = n / A2A_QK8_1;
    for (int64_t i = 0; i < nb; i++, x += A2A_QK8_1) {
        float amax = 0.0f;
        for (int j = 0; j < A2A_QK8_1; j++) amax = A2A_MAX(amax, fabsf(x[j]));
        const float d = amax / 127;
        const float id = d ? 1.0f / d : 0.0f;
        y[i].d = a2a_f32_to_fp16(d);
        int sum = 0;
        for (int j = 0; j < A2A_QK8_1; j++) {
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = a2a_f32_to_fp16((float)sum * d);
    }
}

/* Q8_1 -> float: q * d (s is a by-product, not used). */
void a2a_ref_dequantize_q8_1(const void *vx, float *y, int64_t n) {
    const a2a_block_q8_1 *x = vx;
    const int64_t nb = n / A2A_QK8_1;
    for (int64_t i = 0; i < nb; i++, y += A2A_QK8_1) {
        const float d = a2a_fp16_to_f32(x[i].d);
        for (int j = 0; j < A2A_QK8_1; j++) y[j] = (float)x[i].qs[j] * d;
    }
}

/* ---------------------------------------------------------------- dot products */

/* sum over blocks of (sum_j (q_j - 8) * y_j) * d_w * d_x (left to right, as ggml). */
void a2a_ref_vec_dot_q4_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q4_0 *w = vw;
    const a2a_block_q8_0 *x = vx;
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++) {
        int s0 = 0, s1 = 0;
        for (int j = 0; j < 16; j++) {
            s0 += ((w[i].qs[j] & 0x0F) - 8) * x[i].qs[j];
            s1 += ((w[i].qs[j] >> 4) - 8) * x[i].qs[j + 16];
        }
        sumf += (float)(s0 + s1) * a2a_fp16_to_f32(w[i].d) * a2a_fp16_to_f32(x[i].d);
    }
    *s = sumf;
}

/* sum over blocks of (d_w*d_x) * sum_j q_j*y_j + m_w * s_x. */
void a2a_ref_vec_dot_q4_1_q8_1(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q4_1 *w = vw;
    const a2a_block_q8_1 *x = vx;
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK8_1; i++) {
        int s0 = 0, s1 = 0;
        for (int j = 0; j < 16; j++) {
            s0 += (w[i].qs[j] & 0x0F) * x[i].qs[j];
            s1 += (w[i].qs[j] >> 4) * x[i].qs[j + 16];
        }
        sumf += (a2a_fp16_to_f32(w[i].d) * a2a_fp16_to_f32(x[i].d)) * (float)(s0 + s1) +
                a2a_fp16_to_f32(w[i].m) * a2a_fp16_to_f32(x[i].s);
    }
    *s = sumf;
}

/* As q4_0 with 5-bit values (q - 16). */
void a2a_ref_vec_dot_q5_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_0 *w = vw;
    const a2a_block_q8_0 *x = vx;
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++) {
        uint32_t qh;
        memcpy(&qh, w[i].qh, sizeof(qh));
        int s0 = 0, s1 = 0;
        for (int j = 0; j < 16; j++) {
            const int h0 = (int)(((qh & (1u << j)) >> j) << 4);
            const int h1 = (int)((qh & (1u << (j + 16))) >> (j + 12));
            s0 += (((w[i].qs[j] & 0x0F) | h0) - 16) * x[i].qs[j];
            s1 += (((w[i].qs[j] >> 4) | h1) - 16) * x[i].qs[j + 16];
        }
        sumf += (a2a_fp16_to_f32(w[i].d) * a2a_fp16_to_f32(x[i].d)) * (float)(s0 + s1);
    }
    *s = sumf;
}

/* As q4_1 with 5-bit values. */
void a2a_ref_vec_dot_q5_1_q8_1(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q5_1 *w = vw;
    const a2a_block_q8_1 *x = vx;
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK8_1; i++) {
        uint32_t qh;
        memcpy(&qh, w[i].qh, sizeof(qh));
        int s0 = 0, s1 = 0;
        for (int j = 0; j < 16; j++) {
            const int h0 = (int)(((qh >> j) << 4) & 0x10);
            const int h1 = (int)((qh >> (j + 12)) & 0x10);
            s0 += ((w[i].qs[j] & 0x0F) | h0) * x[i].qs[j];
            s1 += ((w[i].qs[j] >> 4) | h1) * x[i].qs[j + 16];
        }
        sumf += (a2a_fp16_to_f32(w[i].d) * a2a_fp16_to_f32(x[i].d)) * (float)(s0 + s1) +
                a2a_fp16_to_f32(w[i].m) * a2a_fp16_to_f32(x[i].s);
    }
    *s = sumf;
}

/* sum over blocks of (sum_j q_j * y_j) * (d_w * d_x). */
void a2a_ref_vec_dot_q8_0_q8_0(int64_t n, float *s, const void *vw, const void *vx) {
    const a2a_block_q8_0 *w = vw;
    const a2a_block_q8_0 *x = vx;
    float sumf = 0;
    for (int64_t i = 0; i < n / A2A_QK8_0; i++) {
        int si = 0;
        for (int j = 0; j < A2A_QK8_0; j++) si += w[i].qs[j] * x[i].qs[j];
        sumf += (float)si * (a2a_fp16_to_f32(w[i].d) * a2a_fp16_to_f32(x[i].d));
    }
    *s = sumf;
}

/* ---------------------------------------------------------------- public API / dispatch */

typedef void (*a2a_quant_fn)(const float *x, void *y, int64_t n);
typedef void (*a2a_dequant_fn)(const void *x, float *y, int64_t n);

/* Per weight type: reference (de)quantizers and the vec_dot variants by level. */
typedef struct {
    a2a_quant_fn quant;
    a2a_dequant_fn dequant;
    a2a_type vdtype;
    a2a_vec_dot_fn dot[3]; /* [REF], [AVX2], [AVX512 with VNNI]; NULL where absent */
    a2a_vec_dot_multi_fn multi[3]; /* multi-row forms of dot[], same indexing; NULL where absent */
} a2a_quant_entry;

/* Table entry for type t (NULL for types without block quantization support). */
static const a2a_quant_entry *quant_entry(a2a_type t) {
    static const a2a_quant_entry q4_0 = {a2a_ref_quantize_q4_0, a2a_ref_dequantize_q4_0, A2A_TYPE_Q8_0,
                                         {a2a_ref_vec_dot_q4_0_q8_0, a2a_avx2_vec_dot_q4_0_q8_0,
                                          a2a_avx512_vec_dot_q4_0_q8_0},
                                         {NULL, a2a_avx2_vec_dot_multi_q4_0, a2a_avx512_vec_dot_multi_q4_0}};
    static const a2a_quant_entry q4_1 = {a2a_ref_quantize_q4_1, a2a_ref_dequantize_q4_1, A2A_TYPE_Q8_1,
                                         {a2a_ref_vec_dot_q4_1_q8_1, a2a_avx2_vec_dot_q4_1_q8_1, NULL}};
    static const a2a_quant_entry q5_0 = {a2a_ref_quantize_q5_0, a2a_ref_dequantize_q5_0, A2A_TYPE_Q8_0,
                                         {a2a_ref_vec_dot_q5_0_q8_0, a2a_avx2_vec_dot_q5_0_q8_0, NULL}};
    static const a2a_quant_entry q5_1 = {a2a_ref_quantize_q5_1, a2a_ref_dequantize_q5_1, A2A_TYPE_Q8_1,
                                         {a2a_ref_vec_dot_q5_1_q8_1, a2a_avx2_vec_dot_q5_1_q8_1, NULL}};
    static const a2a_quant_entry q8_0 = {a2a_ref_quantize_q8_0, a2a_ref_dequantize_q8_0, A2A_TYPE_Q8_0,
                                         {a2a_ref_vec_dot_q8_0_q8_0, a2a_avx2_vec_dot_q8_0_q8_0,
                                          a2a_avx512_vec_dot_q8_0_q8_0},
                                         {NULL, a2a_avx2_vec_dot_multi_q8_0, a2a_avx512_vec_dot_multi_q8_0}};
    static const a2a_quant_entry q8_1 = {a2a_ref_quantize_q8_1, a2a_ref_dequantize_q8_1, A2A_TYPE_COUNT,
                                         {NULL, NULL, NULL}};
    static const a2a_quant_entry q4_K = {a2a_ref_quantize_q4_K, a2a_ref_dequantize_q4_K, A2A_TYPE_Q8_K,
                                         {a2a_ref_vec_dot_q4_K_q8_K, a2a_avx2_vec_dot_q4_K_q8_K,
                                          a2a_avx512_vec_dot_q4_K_q8_K},
                                         {NULL, a2a_avx2_vec_dot_multi_q4_K, a2a_avx512_vec_dot_multi_q4_K}};
    static const a2a_quant_entry q5_K = {a2a_ref_quantize_q5_K, a2a_ref_dequantize_q5_K, A2A_TYPE_Q8_K,
                                         {a2a_ref_vec_dot_q5_K_q8_K, a2a_avx2_vec_dot_q5_K_q8_K,
                                          a2a_avx512_vec_dot_q5_K_q8_K},
                                         {NULL, NULL, a2a_avx512_vec_dot_multi_q5_K}};
    static const a2a_quant_entry q6_K = {a2a_ref_quantize_q6_K, a2a_ref_dequantize_q6_K, A2A_TYPE_Q8_K,
                                         {a2a_ref_vec_dot_q6_K_q8_K, a2a_avx2_vec_dot_q6_K_q8_K,
                                          a2a_avx512_vec_dot_q6_K_q8_K},
                                         {NULL, a2a_avx2_vec_dot_multi_q6_K, a2a_avx512_vec_dot_multi_q6_K}};
    static const a2a_quant_entry q8_K = {a2a_ref_quantize_q8_K, a2a_ref_dequantize_q8_K, A2A_TYPE_COUNT,
                                         {NULL, NULL, NULL}};
    switch (t) {
    case A2A_TYPE_Q4_0: return &q4_0;
    case A2A_TYPE_Q4_1: return &q4_1;
    case A2A_TYPE_Q5_0: return &q5_0;
    case A2A_TYPE_Q5_1: return &q5_1;
    case A2A_TYPE_Q8_0: return &q8_0;
    case A2A_TYPE_Q8_1: return &q8_1;
    case A2A_TYPE_Q4_K: return &q4_K;
    case A2A_TYPE_Q5_K: return &q5_K;
    case A2A_TYPE_Q6_K: return &q6_K;
    case A2A_TYPE_Q8_K: return &q8_K;
    default: return NULL;
    }
}

/* Contract in kernels/quant.h: table lookup plus the plain float types. */
bool a2a_quant_supported(a2a_type t) {
    return t == A2A_TYPE_F32 || t == A2A_TYPE_F16 || t == A2A_TYPE_BF16 || quant_entry(t) != NULL;
}

/* Checks the programmer contract shared by quantize/dequantize. */
static void check_row(a2a_type t, int64_t n) {
    const a2a_type_traits *tr = a2a_type_info(t);
    A2A_ASSERT(tr != NULL && a2a_quant_supported(t));
    A2A_ASSERT(n >= 0 && n % tr->blck == 0);
}

/* Contract in kernels/quant.h: reference quantizer for t (plain copies/narrowing for F32/F16/BF16). */
void a2a_quantize_row(a2a_type t, const float *x, void *y, int64_t n) {
    check_row(t, n);
    switch (t) {
    case A2A_TYPE_F32: memcpy(y, x, (size_t)n * sizeof(float)); return;
    case A2A_TYPE_F16:
        for (int64_t i = 0; i < n; i++) ((a2a_fp16 *)y)[i] = a2a_f32_to_fp16(x[i]);
        return;
    case A2A_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) ((a2a_bf16 *)y)[i] = a2a_f32_to_bf16(x[i]);
        return;
    default: quant_entry(t)->quant(x, y, n); return;
    }
}

/* Contract in kernels/quant.h: reference dequantizer for t. */
void a2a_dequantize_row(a2a_type t, const void *x, float *y, int64_t n) {
    check_row(t, n);
    switch (t) {
    case A2A_TYPE_F32: memcpy(y, x, (size_t)n * sizeof(float)); return;
    case A2A_TYPE_F16:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_fp16_to_f32(((const a2a_fp16 *)x)[i]);
        return;
    case A2A_TYPE_BF16:
        for (int64_t i = 0; i < n; i++) y[i] = a2a_bf16_to_f32(((const a2a_bf16 *)x)[i]);
        return;
    default: quant_entry(t)->dequant(x, y, n); return;
    }
}

/* Contract in kernels/quant.h. */
a2a_type a2a_vec_dot_type(a2a_type wtype) {
    if (wtype == A2A_TYPE_F32 || wtype == A2A_TYPE_F16 || wtype == A2A_TYPE_BF16) return A2A_TYPE_F32;
    const a2a_quant_entry *e = quant_entry(wtype);
    return e ? e->vdtype : A2A_TYPE_COUNT;
}

/* Index into a2a_quant_entry.dot of the best variant for wtype not above lvl (clamped to
   what this CPU can run); -1 when wtype has no quantized dot. */
static int vec_dot_index(a2a_type wtype, a2a_kernel_level lvl) {
    const a2a_quant_entry *e = quant_entry(wtype);
    if (!e || !e->dot[0]) return -1;
    a2a_kernel_level max = a2a_kernel_level_max();
    if (lvl > max) lvl = max;
    if (lvl >= A2A_LEVEL_AVX512 && e->dot[2] && a2a_cpu_has(A2A_CPU_AVX512 | A2A_CPU_AVX512_VNNI)) return 2;
    if (lvl >= A2A_LEVEL_AVX2 && e->dot[1] && a2a_cpu_has(A2A_CPU_AVX2)) return 1;
    return 0;
}

/* Contract in kernels/quant.h. */
a2a_vec_dot_fn a2a_vec_dot_get(a2a_type wtype, a2a_kernel_level lvl) {
    int i = vec_dot_index(wtype, lvl);
    return i < 0 ? NULL : quant_entry(wtype)->dot[i];
}

/* Contract in kernels/quant.h. */
a2a_vec_dot_multi_fn a2a_vec_dot_multi_get(a2a_type wtype, a2a_kernel_level lvl) {
    int i = vec_dot_index(wtype, lvl);
    return i < 0 ? NULL : quant_entry(wtype)->multi[i];
}

/* Contract in kernels/quant.h. */
a2a_kernel_level a2a_vec_dot_level(a2a_type wtype, a2a_kernel_level lvl) {
    int i = vec_dot_index(wtype, lvl);
    return i == 2 ? A2A_LEVEL_AVX512 : i == 1 ? A2A_LEVEL_AVX2 : A2A_LEVEL_REF;
}

/* Contract in kernels/quant.h: AVX-512 / AVX2 / reference activation quantizer by level. */
void a2a_quantize_row_act(a2a_type vdtype, const float *x, void *y, int64_t n, a2a_kernel_level lvl) {
    a2a_kernel_level max = a2a_kernel_level_max();
    if (lvl > max) lvl = max;
    const bool avx512 = lvl >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512);
    const bool avx2 = lvl >= A2A_LEVEL_AVX2 && a2a_cpu_has(A2A_CPU_AVX2);
    switch (vdtype) {
    case A2A_TYPE_Q8_0:
        check_row(vdtype, n);
        if (avx512) a2a_avx512_quantize_q8_0(x, y, n);
        else if (avx2) a2a_avx2_quantize_q8_0(x, y, n);
        else a2a_ref_quantize_q8_0(x, y, n);
        return;
    case A2A_TYPE_Q8_1:
        check_row(vdtype, n);
        if (avx2) a2a_avx2_quantize_q8_1(x, y, n);
        else a2a_ref_quantize_q8_1(x, y, n);
        return;
    case A2A_TYPE_Q8_K:
        check_row(vdtype, n);
        if (avx512) a2a_avx512_quantize_q8_K(x, y, n);
        else if (avx2) a2a_avx2_quantize_q8_K(x, y, n);
        else a2a_ref_quantize_q8_K(x, y, n);
        return;
    default: a2a_quantize_row(vdtype, x, y, n); return;
    }
}
