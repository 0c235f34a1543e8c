/* Scalar reference block kernels of the attention op (see a2a_attn_kernels in
   kernels/attention.h for the contracts). */
#include "kernels/attention.h"

#include <math.h>

/* s[i][j] = sum_d q[i][d] * kt[d][j] */
static void ref_qk(const float *q, size_t ldq, int nq, const float *kt, size_t ldkt, int nk, int D, float *s,
                   size_t lds) {
    for (int i = 0; i < nq; i++) {
        float *sr = s + (size_t)i * lds;
        for (int j = 0; j < nk; j++) sr[j] = 0.0f;
        for (int d = 0; d < D; d++) {
            const float qv = q[(size_t)i * ldq + d];
            const float *kr = kt + (size_t)d * ldkt;
            for (int j = 0; j < nk; j++) sr[j] += qv * kr[j];
        }
    }
}

/* s[i][j] = sum_d q[i][d] * k_j[d], keys read in place (F32 or F16 rows kstride bytes apart) */
static void ref_qk_rows(const float *q, size_t ldq, int nq, const void *k, size_t kstride, int k_f16, int nk, int D,
                        float *s, size_t lds) {
    for (int j = 0; j < nk; j++) {
        const char *kr = (const char *)k + (size_t)j * kstride;
        for (int i = 0; i < nq; i++) {
            const float *qr = q + (size_t)i * ldq;
            float acc = 0.0f;
            if (k_f16)
                for (int d = 0; d < D; d++) acc += qr[d] * a2a_fp16_to_f32(((const a2a_fp16 *)kr)[d]);
            else
                for (int d = 0; d < D; d++) acc += qr[d] * ((const float *)kr)[d];
            s[(size_t)i * lds + j] = acc;
        }
    }
}

/* o[i][e] += sum_j p[i][j] * v[j][e] */
static void ref_pv(const float *p, size_t ldp, int nq, const float *v, size_t ldv, int nk, int Dv, float *o,
                   size_t ldo) {
    for (int i = 0; i < nq; i++) {
        float *orow = o + (size_t)i * ldo;
        for (int j = 0; j < nk; j++) {
            const float pv = p[(size_t)i * ldp + j];
            if (pv == 0.0f) continue;
            const float *vr = v + (size_t)j * ldv;
            for (int e = 0; e < Dv; e++) orow[e] += pv * vr[e];
        }
    }
}

/* s[j] = s[j]*scale + mask[j]; returns the max (-inf for n == 0). */
static float ref_rowmax(float *s, int n, float scale, const float *mask) {
    float m = -INFINITY;
    for (int j = 0; j < n; j++) {
        const float x = s[j] * scale + (mask ? mask[j] : 0.0f);
        s[j] = x;
        if (x > m) m = x;
    }
    return m;
}

/* s[j] = exp(s[j] - m); returns the sum. */
static float ref_expsum(float *s, int n, float m) {
    float sum = 0.0f;
    for (int j = 0; j < n; j++) {
        const float e = expf(s[j] - m);
        s[j] = e;
        sum += e;
    }
    return sum;
}

/* o[e] *= c */
static void ref_scale(float *o, int n, float c) {
    for (int e = 0; e < n; e++) o[e] *= c;
}

/* F16 -> F32 */
static void ref_f16row(const uint16_t *src, float *dst, int n) {
    for (int e = 0; e < n; e++) dst[e] = a2a_fp16_to_f32(src[e]);
}

const a2a_attn_kernels a2a_attn_kernels_ref = {
    .qk = ref_qk,
    .qk_rows = ref_qk_rows,
    .pv = ref_pv,
    .rowmax = ref_rowmax,
    .expsum = ref_expsum,
    .scale = ref_scale,
    .f16row = ref_f16row,
    .rows_max_nq = 4, /* small so that tests exercise both paths at this level */
};
