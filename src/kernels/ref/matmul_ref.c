/* Scalar reference GEMM (all weight types F32/F16/BF16, NT and NN layouts). Deliberately
   plain: one float accumulator per output element, products added in increasing k order.
   This file is compiled without FMA flags, so the compiler cannot contract acc += a*b. */
#include "kernels/gemm_pack.h"

/* Element (k, n) of B' as float. */
static inline float load_b(const a2a_gemm_prob *p, int64_t k, int64_t n) {
    int64_t idx = p->b_trans ? n * p->ldb + k : k * p->ldb + n;
    switch (p->bt) {
    case A2A_TYPE_F16: return a2a_fp16_to_f32(((const a2a_fp16 *)p->B)[idx]);
    case A2A_TYPE_BF16: return a2a_bf16_to_f32(((const a2a_bf16 *)p->B)[idx]);
    default: return ((const float *)p->B)[idx];
    }
}

void a2a_ref_gemm(const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    for (int64_t m = m0; m < m1; m++) {
        const float *a = p->A + m * p->lda;
        float *c = p->C + m * p->ldc;
        for (int64_t n = n0; n < n1; n++) {
            float acc = 0.0f;
            if (p->b_trans && p->bt == A2A_TYPE_F32) {
                const float *b = (const float *)p->B + n * p->ldb;
                for (int64_t k = 0; k < p->K; k++) acc += a[k] * b[k];
            } else {
                for (int64_t k = 0; k < p->K; k++) acc += a[k] * load_b(p, k, n);
            }
            float r = p->alpha * acc;
            if (p->beta != 0.0f) r += p->beta * c[n];
            c[n] = r;
        }
    }
}
