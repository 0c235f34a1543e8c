/* Scaled dot-product attention, memory-efficient (flash-attention style): the keys are
   processed in blocks with an online softmax (running max and running sum), so the
   n_q x n_kv score matrix is never materialized; extra memory is O(block) per thread.

   dst[:, h, i, b] = sum_j softmax_j(s_ij) * v[:, j, h/(H/H_kv), b]
   s_ij = softcap > 0 ? softcap * tanh(scale * q_i.k_j / softcap) : scale * q_i.k_j,
          then + mask[j, i] (additive), and -inf where causal hides key j from query i. */
#ifndef A2A_KERNELS_ATTENTION_H
#define A2A_KERNELS_ATTENTION_H

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

typedef struct a2a_attention_params {
    float scale;       /* multiplier of q.k; 0 means 1/sqrt(D) */
    int causal;        /* nonzero: query i (absolute position kv_offset + i) sees keys j <= kv_offset + i */
    int64_t kv_offset; /* absolute position of query 0 for the causal rule; -1 means n_kv - n_q
                          (queries are the last n_q positions: prefill with a KV cache) */
    float softcap;     /* > 0: tanh soft-capping of the scaled scores (Gemma-2 style); 0 off */
} a2a_attention_params;

/* Defaults: scale 1/sqrt(D), not causal, kv_offset = n_kv - n_q, no softcap. */
#define A2A_ATTENTION_PARAMS_DEFAULT ((a2a_attention_params){0.0f, 0, -1, 0.0f})
a2a_attention_params a2a_attention_default_params(void);

/* Attention over all heads and batches.
   q    F32 [D, n_q, H, B]        rows contiguous (nb[0] == 4), other strides arbitrary
                                  (e.g. a permuted view of a [D, H, n_q, B] projection)
   k    F32 or F16 [D, n_kv, H_kv, B]   rows contiguous, other strides arbitrary
   v    F32 or F16 [Dv, n_kv, H_kv, B]  rows contiguous, other strides arbitrary
   mask NULL, or F32/F16 additive mask, rows contiguous: [n_kv, n_q] (broadcast over heads
        and batches), [n_kv, n_q, H] (broadcast over batches), [n_kv, n_q, 1, B] or
        [n_kv, n_q, H, B]; ne[0] >= n_kv and ne[1] >= n_q are accepted (padded masks as ggml
        makes them: the extra entries are ignored); -inf entries hide keys
   dst  F32 [Dv, H, n_q, B], must be contiguous (reshapes to [Dv*H, n_q, B] without a copy)
        and must not overlap q, k, v or mask
   p    NULL means the defaults.
   H % H_kv == 0 (grouped-query attention: query head h uses KV head h / (H / H_kv)).
   A query row whose keys are all hidden (mask/causal) gets zeros, not NaN.
   Work is split over (B, H_kv, blocks of 128 query rows), where the rows of a block are the
   (query, head) pairs of the query heads sharing a KV head, so grouped-query attention reads
   each K/V block once per group (the group is split into smaller units only when there would
   be fewer tasks than threads); results are identical for any thread count.
   Memory: per thread 128*(2*D + 2*Dv + 129) floats of scratch slot 0 (~330 KB at
   D = Dv = 128), whatever n_q and n_kv.
   Returns A2A_ERR_SHAPE / A2A_ERR_INVALID_ARG with a message on bad shapes, types, strides
   or parameters; A2A_ERR_NOMEM if per-thread scratch cannot be allocated. */
a2a_status a2a_op_attention(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *q,
                            const a2a_tensor *k, const a2a_tensor *v, const a2a_tensor *mask,
                            const a2a_attention_params *p);

/* ---- internal: block kernels, one set per kernel level ----
   Matrices are row-major F32 with the given leading dimensions (in floats).
   qk:      s[i][j] = sum_d q[i][d] * kt[d][j]           i < nq, j < nk, d < D
            (kt is the key block transposed: D rows of nk keys)
   qk_rows: s[i][j] = sum_d q[i][d] * k_j[d] where k_j = (const char *)k + j*kstride holds D
            F16 values when k_f16, else D F32 values (keys in their own layout: no transpose;
            used when there are few query rows, e.g. decoding)
   pv:      o[i][e] += sum_j p[i][j] * v[j][e]           i < nq, j < nk, e < Dv
   rowmax:  s[j] = s[j] * scale + (mask ? mask[j] : 0) for j < n; returns max_j s[j] (-inf if n == 0)
   expsum:  s[j] = exp(s[j] - m) for j < n (exp(-inf) = 0); returns the sum
   scale:   o[e] *= c for e < n
   f16row:  dst[e] = (float)src[e] for e < n (F16 -> F32) */
typedef struct a2a_attn_kernels {
    void (*qk)(const float *q, size_t ldq, int nq, const float *kt, size_t ldkt, int nk, int D, float *s, size_t lds);
    void (*qk_rows)(const float *q, size_t ldq, int nq, const void *k, size_t kstride, int k_f16, int nk, int D,
                    float *s, size_t lds);
    void (*pv)(const float *p, size_t ldp, int nq, const float *v, size_t ldv, int nk, int Dv, float *o, size_t ldo);
    float (*rowmax)(float *s, int n, float scale, const float *mask);
    float (*expsum)(float *s, int n, float m);
    void (*scale)(float *o, int n, float c);
    void (*f16row)(const uint16_t *src, float *dst, int n);
    int rows_max_nq; /* F32 keys: calls with at most this many queries per head use qk_rows,
                        larger ones transpose each key block and use qk; F16 keys always use
                        qk_rows */
} a2a_attn_kernels;

extern const a2a_attn_kernels a2a_attn_kernels_ref;    /* src/kernels/ref/attention_ref.c */
extern const a2a_attn_kernels a2a_attn_kernels_avx2;   /* src/kernels/x86/attention_avx2.c */
extern const a2a_attn_kernels a2a_attn_kernels_avx512; /* src/kernels/x86/attention_avx512.c */

#endif
