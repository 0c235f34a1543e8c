/* Internal interface between the matmul driver (matmul.c) and its kernels: the scalar
   reference (ref/matmul_ref.c) and the per-ISA packed-GEMM / GEMV kernel tables
   (x86/gemm_avx2.c, x86/gemm_avx512.c, x86/gemm_amx.c). Not for use outside src/kernels. */
#ifndef A2A_KERNELS_GEMM_PACK_H
#define A2A_KERNELS_GEMM_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"

/* One GEMM problem: C[m][n] = alpha * sum_k A[m][k] * B'(k, n) + beta * C[m][n].
   B'(k, n) = B[n*ldb + k] when b_trans (B stored [N][K], elements of type bt: F32, F16 or
   BF16), else B[k*ldb + n] (bt must be F32). Strides are in elements of their arrays. */
typedef struct a2a_gemm_prob {
    int64_t M, N, K;
    const float *A;   /* [M][lda] */
    int64_t lda;
    const void *B;    /* [N][ldb] (b_trans) or [K][ldb] */
    int64_t ldb;
    a2a_type bt;      /* element type of B */
    bool b_trans;
    float *C;         /* [M][ldc] */
    int64_t ldc;
    float alpha, beta;
} a2a_gemm_prob;

/* Store modes of a micro-kernel: the first K block combines with beta*C (C not read when
   beta == 0); later K blocks add to C. Per element: first: C = beta==0 ? alpha*acc
   : fma(alpha, acc, beta*C); later: C = fma(alpha, acc, C). */
enum { A2A_GEMM_STORE_FIRST = 0, A2A_GEMM_STORE_ACCUM = 1 };

/* A packed-GEMM kernel family (one ISA level). Packed layouts, with P = kpack:
   A strip: for each group of P consecutive k in [0,kc): mr_max slots of 4 bytes (rows of A,
            zero past the valid rows; P = 1: the float; P = 2: two bf16, lower k first);
   B strip: for each group of P consecutive k: nr_max slots (columns of B', zero past the
            valid columns), same slot format. A strip holds ceil(kc/P)*mr_max slots, a B
            strip ceil(kc/P)*nr_max; k past kc inside the last group is zero. */
typedef struct a2a_gemm_kernels {
    const char *name;
    int mr, nr;          /* register tile */
    int kpack;           /* k values per 4-byte slot: 1 (f32) or 2 (bf16 pairs) */
    int64_t kc, nc;      /* cache blocking along K and N (nc a multiple of nr, kc of kpack) */
    /* Pack rows [0, mr) (mr <= tile mr; rows past mr are zero) of A, columns [0, kc). */
    void (*pack_a)(int64_t kc, int mr, const float *A, int64_t lda, float *dst);
    /* Pack columns [0, nc) of B' and rows [0, kc) into ceil(nc/nr) strips of
       ceil(kc/kpack)*nr slots; B points at element (k0, n0) of B' in its storage order (see
       a2a_gemm_prob). A kpack == 2 family accepts only b_trans with bt == BF16. */
    void (*pack_b)(int64_t kc, int64_t nc, const void *B, int64_t ldb, a2a_type bt, bool b_trans, float *dst);
    /* C tile [mr][nr] (mr, nr <= tile sizes) from a packed A strip and B strip of depth kc. */
    void (*kernel)(int64_t kc, const float *a, const float *b, float *C, int64_t ldc, int mr, int nr,
                   float alpha, float beta, int mode);
    /* GEMV for small M (1 <= M <= A2A_MATMUL_GEMV_MAX_M - 1): for n in [n0, n1), m < M:
       C[m][n] = alpha * dot(B row n, A row m) + beta * C[m][n] (C not read when beta == 0).
       B is [N][ldb] of type bt (F32/F16/BF16), rows read directly (no packing). */
    void (*gemv)(int64_t K, int64_t n0, int64_t n1, const void *B, int64_t ldb, a2a_type bt, int M,
                 const float *A, int64_t lda, float *C, int64_t ldc, float alpha, float beta);
    /* Small-M GEMM without packing (NULL when the family has none): same contract as gemv for
       A2A_MATMUL_GEMV_MAX_M <= M < small_max_m (F32 weights) or small_max_m16 (F16/BF16,
       whose rows are cheaper to re-read). Each output is one FMA chain over K, so the result
       does not depend on the split of N. */
    void (*gemm_small)(int64_t K, int64_t n0, int64_t n1, const void *B, int64_t ldb, a2a_type bt, int M,
                       const float *A, int64_t lda, float *C, int64_t ldc, float alpha, float beta);
    int small_max_m, small_max_m16;
} a2a_gemm_kernels;

/* Kernel tables; NULL when the library was built without that ISA. */
const a2a_gemm_kernels *a2a_gemm_kernels_avx2(void);
const a2a_gemm_kernels *a2a_gemm_kernels_avx512(void);
/* Opt-in reduced-precision family for BF16 weights (needs A2A_CPU_AVX512_BF16): A is rounded
   to bf16 (nearest even) while packing and products accumulate in f32 with vdpbf16ps. */
const a2a_gemm_kernels *a2a_gemm_kernels_avx512_bf16(void);

/* Scalar reference for rows [m0, m1) and columns [n0, n1) of a problem: plain loops, float
   accumulation in increasing k order (acc += a*b, no FMA contraction, no double), then
   C = alpha*acc (+ beta*C when beta != 0). */
void a2a_ref_gemm(const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

/* AMX BF16 GEMM for rows [m0, m1) and columns [n0, n1) of a problem with b_trans and
   bt == BF16: A is rounded to bf16, products accumulate in f32 tiles (tdpbf16ps) over the
   whole K, then C = alpha*acc (+ beta*C). Needs AMX with permission granted (the caller
   checks a2a_cpu_has(A2A_CPU_AMX)). Uses scratch slot A2A_MATMUL_SCRATCH_SLOT.
   Returns false when scratch memory cannot be had. */
bool a2a_gemm_amx_bf16(const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1);

#endif
