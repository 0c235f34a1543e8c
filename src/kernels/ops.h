/* Elementwise, normalization, softmax, rotary-position and data-movement ops.

   Conventions (see src/kernels/README.md): every op is
       a2a_status a2a_op_<name>(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, inputs..., params...)
   ctx may be NULL (only the status is returned), tp may be NULL (single thread). The caller
   allocates dst with the documented shape and type; the op validates types and shapes and
   returns A2A_ERR_SHAPE (or A2A_ERR_INVALID_ARG for bad parameters/ids) with a message naming
   the op and the shapes. Shapes are in ggml order (ne[0] innermost). Activations are F32.
   Inputs and dst may be arbitrary strided views (transposed, permuted, padded) unless a
   contract says otherwise; rows that are not packed are gathered through per-thread scratch,
   so non-contiguous views are correct but slower. Results do not depend on the thread count.
   The fastest kernel allowed by a2a_kernel_level_get() is used (ref, AVX2, AVX-512); all
   levels agree with the reference within the tolerances stated in tests/ops/.

   Aliasing: where a contract says "dst may alias x", dst and x must then be the very same
   view (same data pointer and strides); partial overlap is never allowed.
   Scratch: the ops use the per-thread a2a_scratch slots 0-3 (of the calling thread and of the
   pool's workers) for strided rows, w/b copies and tables, so tensors passed to them must not
   live in a2a_scratch memory. */
#ifndef A2A_KERNELS_OPS_H
#define A2A_KERNELS_OPS_H

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* ------------------------------------------------------------------------------------------
   Binary arithmetic with broadcasting (ggml_repeat semantics): dst, a: F32 of the same shape;
   b: F32 with b->ne[i] dividing a->ne[i] for every i (b is tiled over a, so b->ne[i] == 1
   broadcasts and b->ne[i] == a->ne[i] is elementwise). dst = a (op) b.
   dst may alias a; dst may alias b only when b has a's shape. Division follows IEEE
   (x/0 = ±inf, 0/0 = NaN), like torch. */
a2a_status a2a_op_add(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b);
a2a_status a2a_op_sub(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b);
a2a_status a2a_op_mul(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b);
a2a_status a2a_op_div(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b);

/* dst = s * a + bias (F32, same shape; one rounding per operation, i.e. fmaf(s, a, bias)).
   dst may alias a. */
a2a_status a2a_op_scale(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, float s, float bias);

/* ------------------------------------------------------------------------------------------
   Activations: dst = f(x), F32, same shape; dst may alias x. NaN propagates; results are
   finite wherever torch's are (no overflow for large |x|).
     silu(x)       = x * sigmoid(x)                               (torch.nn.SiLU)
     gelu(x)       = x/2 * (1 + erf(x/sqrt(2)))                   (torch.nn.GELU(), exact erf form)
     gelu_tanh(x)  = x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (GELU(approximate='tanh'))
     quick_gelu(x) = x * sigmoid(1.702 x)                         (CLIP's QuickGELU)
     relu(x)       = max(x, 0)  (relu(NaN) = NaN, relu(-0) = 0)
     sigmoid(x)    = 1 / (1 + exp(-x))
     tanh(x)                                                                              */
a2a_status a2a_op_silu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_gelu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_gelu_tanh(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_quick_gelu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_relu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_sigmoid(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);
a2a_status a2a_op_tanh(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);

/* Gated units.
   swiglu: dst = silu(gate) * up; gate, up, dst F32 of the same shape (LLaMA MLP).
           dst may alias gate or up.
   geglu:  diffusers' GEGLU after its projection: x is F32 [2D, ...]; along ne[0] the first
           half is the value and the second half the gate; dst is F32 [D, ...] (other dims as
           x) with dst = value * gelu(gate) (erf GELU). dst must not overlap x. */
a2a_status a2a_op_swiglu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *gate,
                         const a2a_tensor *up);
a2a_status a2a_op_geglu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x);

/* ------------------------------------------------------------------------------------------
   Normalization over rows (ne[0]); x, dst F32 of the same shape; dst may alias x.
   w and b are optional (NULL) F32 vectors of ne[0] elements (any stride). Statistics are
   accumulated in double.
   rms_norm:   dst = x / sqrt(mean(x^2) + eps) * w                  (LlamaRMSNorm, T5LayerNorm)
   layer_norm: dst = (x - mean) / sqrt(var + eps) * w + b, biased variance (torch.nn.LayerNorm) */
a2a_status a2a_op_rms_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                           const a2a_tensor *w, float eps);
a2a_status a2a_op_layer_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                             const a2a_tensor *w, const a2a_tensor *b, float eps);

/* torch.nn.GroupNorm. x, dst F32 of the same shape, n_dims >= 2 (x->n_dims decides the
   layout): the channel dim is n_dims-2 and the batch dim is n_dims-1, all dims below the
   channel dim are spatial: [W, H, C, N] (4-D), [L, C, N] (3-D), [C, N] (2-D), [W, H, T, C, N]
   (5-D). The C channels are split into n_groups consecutive groups (C % n_groups == 0); the
   mean and biased variance of each (group, batch) are taken over spatial x channels-in-group
   (two passes, double accumulation), then dst = (x - mean) / sqrt(var + eps) * w[c] + b[c].
   w, b: optional F32 vectors of C elements. dst may alias x.
   Beware: a2a_tensor_make drops trailing dims of 1, so a [W, H, C, 1] tensor made with it has
   n_dims 3 and would be read as [L, C, N]; set x->n_dims = 4 for a single image. */
a2a_status a2a_op_group_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, int n_groups,
                             const a2a_tensor *w, const a2a_tensor *b, float eps);

/* ------------------------------------------------------------------------------------------
   Softmax along ne[0]: dst = softmax(scale * x + mask). x, dst F32 of the same shape; dst may
   alias x. mask: optional, F32 or F16, mask->ne[0] == x->ne[0], and for i >= 1 mask->ne[i]
   divides x->ne[i] (mask rows tile over x rows like b in a2a_op_add, e.g. a [n_kv, n_q] mask
   shared by all heads of a [n_kv, n_q, n_head] score tensor).
   Rows whose entries are all -inf (fully masked) give all zeros, where torch gives NaN.
   A row containing NaN or +inf gives NaN (as torch). */
a2a_status a2a_op_softmax(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                          const a2a_tensor *mask, float scale);

/* ------------------------------------------------------------------------------------------
   Rotary position embedding. */
enum {
    A2A_ROPE_NORMAL = 0, /* rotate adjacent pairs (x[2i], x[2i+1]): LLaMA weights in GGUF layout */
    A2A_ROPE_NEOX = 2,   /* rotate halves (x[i], x[i + n_rot/2]): GPT-NeoX, Qwen2, HF layout
                            (value 2 as ggml's GGML_ROPE_TYPE_NEOX) */
};

typedef struct a2a_rope_params {
    int n_rot;          /* rotated dims (even, <= head_dim); dims past n_rot pass through */
    int mode;           /* A2A_ROPE_NORMAL or A2A_ROPE_NEOX */
    float freq_base;    /* theta base (10000; 1e6 for Qwen2) */
    float freq_scale;   /* linear position scaling (1 = none; 1/factor for linear scaling) */
    /* YaRN (ggml semantics; ext_factor = 0 disables it). */
    float ext_factor;   /* extrapolation mix factor (0: off) */
    float attn_factor;  /* magnitude scale applied to cos/sin (1 = none) */
    float beta_fast;    /* YaRN low correction dim (32) */
    float beta_slow;    /* YaRN high correction dim (1) */
    int n_ctx_orig;     /* original training context (for YaRN correction dims) */
} a2a_rope_params;

/* Defaults: n_rot = 0 (must be set), NORMAL, base 10000, scale 1, no YaRN (ext_factor 0,
   attn_factor 1, beta_fast 32, beta_slow 1, n_ctx_orig 0). */
a2a_rope_params a2a_rope_default_params(void);

/* x, dst: F32 [head_dim, n_heads, n_tokens, B] (dims past 3 must be 1); pos: I32 [n_tokens]
   (any position, negative allowed). For pair i (0 <= i < n_rot/2) of a token at position p:
       theta = p * freq_scale * freq_base^(-2i/n_rot)     (YaRN modifies this as ggml does)
       (x0, x1) -> (x0 cos - x1 sin, x0 sin + x1 cos) * attn_factor
   with (x0, x1) = (x[2i], x[2i+1]) (NORMAL) or (x[i], x[i + n_rot/2]) (NEOX).
   cos/sin are computed in double once per call. dst may alias x. */
a2a_status a2a_op_rope(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *pos,
                       const a2a_rope_params *p);

/* ------------------------------------------------------------------------------------------
   Data movement. */

/* dst = src converted to dst->type; same shape, any strides for both. Types: F32, F16, BF16
   in any combination (narrowing rounds to nearest even, NaN stays NaN, F16 overflow -> inf),
   I32 -> I32, and block-quantized types (as src or dst, through F32) when the quantizer is
   built: then the quantized side must have packed rows. Same-type copies are exact byte
   copies. dst must not overlap src (except dst == src, a no-op). */
a2a_status a2a_op_copy(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *src);

/* Concatenate a and b along dim (0..4): all three of the same plain (non-block) type; a and b
   agree with dst on every dim but `dim`, where dst->ne[dim] = a->ne[dim] + b->ne[dim].
   Any strides; dst must not overlap a or b. */
a2a_status a2a_op_concat(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a,
                         const a2a_tensor *b, int dim);

/* Embedding lookup: table [ne0, n_rows] (F32, F16, BF16, or a quantized type with packed rows
   when the quantizer is built); ids I32 [n, b1, b2] (any strides); dst F32 [ne0, n, b1, b2]
   with dst[:, i, j, k] = table[:, ids[i, j, k]]. An id outside [0, n_rows) returns
   A2A_ERR_INVALID_ARG naming the id and its index (ids may come from users); dst is then
   unspecified. */
a2a_status a2a_op_get_rows(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *table,
                           const a2a_tensor *ids);

#endif
