/* Internal: building blocks shared by the transformer-style models (ImageBind trunks, CLIP
   text encoders, Q-Former, NExT-GPT's output projector, the attention blocks of the diffusion
   UNets and VAEs): linear layers, MLPs and multi-head attention with torch.nn's weight
   layouts, on F32 activations in ggml order ([features, tokens, batch], ne[0] innermost).

   Weights are the tensors of a loaded GGUF file (views into its mapping) in the ggml layout
   a converter writes for a torch nn.Linear: weight [in, out] (torch [out, in] reversed), of
   any type a2a_op_matmul takes (F32, F16, BF16, quantized); biases [out] F32 or F16.

   Temporary memory comes from the arena the caller passes (`tmp`); every function rewinds it
   to where it was before returning, so a caller plans one arena for its largest call.
   Errors (shape mismatches, arena too small) return a status with a message in ctx. */
#ifndef A2A_MODELS_COMMON_NN_H
#define A2A_MODELS_COMMON_NN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* torch nn.Linear. */
typedef struct a2a_nn_linear {
    const a2a_tensor *w;  /* [in, out] any matmul weight type */
    const a2a_tensor *b;  /* [out] F32/F16, or NULL */
} a2a_nn_linear;

/* dst = x @ w^T + b.  x F32 [in, n, B...] rows contiguous; dst F32 [out, n, B...] rows
   contiguous, other strides arbitrary (a view into a larger buffer is fine); caller allocates;
   must not overlap x. */
a2a_status a2a_nn_linear_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_nn_linear *l,
                             const a2a_tensor *x);

/* dst[i] += b[i % len(b)] over a contiguous F32 tensor whose ne[0] == len(b); b F32 or F16. */
a2a_status a2a_nn_add_bias(a2a_ctx *ctx, a2a_tensor *dst, const a2a_tensor *b);

/* Activation functions of the MLPs. */
typedef enum a2a_nn_act {
    A2A_NN_ACT_GELU = 0,      /* nn.GELU() (erf) */
    A2A_NN_ACT_GELU_TANH = 1, /* nn.GELU(approximate="tanh") */
    A2A_NN_ACT_QUICK_GELU = 2,/* x * sigmoid(1.702 x) (OpenAI CLIP) */
    A2A_NN_ACT_RELU = 3,
    A2A_NN_ACT_SILU = 4,
    A2A_NN_ACT_NONE = 5,
} a2a_nn_act;

/* In-place activation over a contiguous F32 tensor. */
a2a_status a2a_nn_act_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *x, a2a_nn_act act);

/* Two-layer MLP (timm Mlp, BERT intermediate+output without the norm, LLaVA mlp2x_gelu):
   dst = fc2(act(fc1(x))).  x [in, n, B...], dst [out, n, B...]; the hidden activation lives
   in tmp. */
typedef struct a2a_nn_mlp {
    a2a_nn_linear fc1;  /* [in, hidden] */
    a2a_nn_linear fc2;  /* [hidden, out] */
    a2a_nn_act act;
} a2a_nn_mlp;
a2a_status a2a_nn_mlp_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst, const a2a_nn_mlp *m,
                          const a2a_tensor *x);

/* Multi-head attention with torch.nn.MultiheadAttention's parameters (in_proj_weight
   [3D, D] -> ggml [D_in, 3D], in_proj_bias [3D], bias_k/bias_v [1, 1, D], out_proj) or with
   separate q/k/v projections (BERT/Q-Former, CLIP, diffusers Attention: set q, k, v and leave
   in_proj.w NULL).
   Semantics (torch): q = xq Wq^T + bq, k = xkv Wk^T + bk, v = xkv Wv^T + bv; with bias_k/v an
   extra key/value token is appended after the n_kv real ones and is visible to every query
   (torch pads attn_mask with a zero column); per head softmax(q k^T * scale + mask) v;
   heads concatenated; out projection. */
typedef struct a2a_nn_mha {
    int n_head;
    float scale;                    /* 0: 1/sqrt(head_dim) */
    a2a_nn_linear in_proj;          /* packed: w [D_in, 3D], b [3D] or NULL; or w NULL */
    a2a_nn_linear q, k, v;          /* separate: q.w [Dq_in, D], k.w/v.w [Dkv_in, D] */
    const a2a_tensor *bias_k;       /* [D] (any shape with D elements), F32/F16, or NULL */
    const a2a_tensor *bias_v;       /* [D] or NULL (set both or neither) */
    a2a_nn_linear out;              /* [D, D_out] */
} a2a_nn_mha;

/* dst F32 [D_out, n_q, B] = attention of xq [Dq_in, n_q, B] over xkv [Dkv_in, n_kv, B]
   (pass xkv == xq for self-attention; packed in_proj requires Dq_in == Dkv_in).
   mask: NULL or additive F32 [n_kv, n_q] shared by all heads and batches (-inf hides);
   causal: query i sees keys j <= i (self-attention). Both may be combined.
   tmp holds q, k, v and the attention output (about (2*n_q + 2*n_kv) * D * B floats). */
a2a_status a2a_nn_mha_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst, const a2a_nn_mha *m,
                          const a2a_tensor *xq, const a2a_tensor *xkv, const a2a_tensor *mask, bool causal);

/* LayerNorm over ne[0] with optional weight/bias of any float type (F32 or F16; converted
   into tmp when F16). dst may alias x. */
a2a_status a2a_nn_layer_norm_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst,
                                 const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b, float eps);

/* Look a tensor up by name in a GGUF file and check its shape (ggml order, n_dims entries;
   -1 accepts any extent). Returns NULL with a message naming the tensor ("missing tensor X",
   "tensor X has shape [..], expected [..]") when absent or mis-shaped and `required`; NULL
   without error when absent and not required. */
struct a2a_gguf;
const a2a_tensor *a2a_nn_get(a2a_ctx *ctx, const struct a2a_gguf *g, const char *name, int n_dims, const int64_t *ne,
                             bool required);

#endif
