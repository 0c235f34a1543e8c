/* Internal: diffusers' Transformer2DModel (diffusers/models/transformers/transformer_2d.py,
   continuous input) with BasicTransformerBlock (attention.py), as the 2-D UNets use it
   (SD 1.x/2.x, AudioLDM; Zeroscope's UNet3D reuses it per frame).

   Forward (torch semantics, x [N, C, H, W]):
       r = x
       h = GroupNorm(groups, C, eps 1e-6)(x)
       h = proj_in(h)                    1x1 conv (SD 1.x) or Linear (use_linear_projection,
                                         SD 2.x): the same channel-mixing matmul, C -> inner
       h -> tokens [N, H*W, inner]
       per block (BasicTransformerBlock, norm_type "layer_norm", eps 1e-5):
           h = h + attn1(LN1(h))                         self-attention
           h = h + attn2(LN2(h), context)                cross-attention; with context NULL
                                                         attn2 attends over LN2(h) itself
                                                         (diffusers' encoder_hidden_states=None,
                                                         AudioLDM)
           h = h + ff_out(GEGLU(ff_in(LN3(h))))          GEGLU: value * gelu(gate) (erf)
       out = proj_out(h) -> [N, C, H, W] + r
   Attention: heads n_head, head width inner / n_head, scale head_width^-0.5, to_q/to_k/to_v
   without bias, to_out.0 with bias (diffusers' Attention with bias=False, out_bias=True).
   Not covered: only_cross_attention, double_self_attention, ada/group norms in the blocks,
   attention masks, upcast_attention (a no-op in float32), discrete/patched inputs.

   Tensor names under a prefix P (diffusers state_dict names), ggml shapes:
       P.norm.weight/bias [C] F32
       P.proj_in.weight  [C, inner] (Linear) or [1, 1, C, inner] (1x1 conv; converters write it
                         as [C, inner]); any matmul type; P.proj_in.bias [inner]
       P.transformer_blocks.<i>.norm{1,2,3}.weight/bias [inner]
       P.transformer_blocks.<i>.attn1.to_{q,k,v}.weight [inner, inner]; to_out.0.weight
                         [inner, inner], to_out.0.bias [inner]
       P.transformer_blocks.<i>.attn2.to_q.weight [inner, inner], to_{k,v}.weight [ctx_dim, inner]
       P.transformer_blocks.<i>.ff.net.0.proj.weight [inner, 2*ff], .bias [2*ff]
       P.transformer_blocks.<i>.ff.net.2.weight [ff, inner], .bias [inner]
       P.proj_out.weight [inner, C] or [1, 1, inner, C]; P.proj_out.bias [C] */
#ifndef A2A_MODELS_DIFFUSION_TRANSFORMER2D_H
#define A2A_MODELS_DIFFUSION_TRANSFORMER2D_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "models/common/nn.h"

struct a2a_gguf;

#define A2A_T2D_MAX_LAYERS 16 /* transformer_layers_per_block limit (SDXL uses 10) */

/* One BasicTransformerBlock. */
typedef struct a2a_t2d_block {
    const a2a_tensor *ln_w[3], *ln_b[3]; /* norm1..3 [inner] F32/F16 */
    a2a_nn_mha attn1;                    /* self: q/k/v [inner, inner], out [inner, inner] + bias */
    a2a_nn_mha attn2;                    /* cross: q [inner, inner], k/v [ctx_dim, inner], out */
    a2a_nn_linear ff_in;                 /* [inner, 2*ff] + bias [2*ff] (GEGLU projection) */
    a2a_nn_linear ff_out;                /* [ff, inner] + bias [inner] */
} a2a_t2d_block;

typedef struct a2a_transformer2d {
    int64_t C;        /* input/output channels */
    int64_t inner;    /* n_head * head width (== C in the UNets) */
    int64_t ctx_dim;  /* attn2 key/value input width (cross_attention_dim) */
    int64_t ff;       /* GEGLU inner width (4 * inner) */
    int n_head;
    int groups;       /* GroupNorm groups (divides C) */
    int n_layers;     /* 1..A2A_T2D_MAX_LAYERS */
    const a2a_tensor *gn_w, *gn_b; /* norm [C] F32 */
    a2a_nn_linear proj_in;         /* w [C, inner] (2-D view), b [inner] */
    a2a_nn_linear proj_out;        /* w [inner, C] (2-D view), b [C] */
    a2a_tensor proj_in_view, proj_out_view; /* 2-D views of 4-D 1x1-conv weights (when stored so) */
    a2a_t2d_block blocks[A2A_T2D_MAX_LAYERS];
} a2a_transformer2d;

/* Look the model's tensors up under prefix (e.g. "unet.down_blocks.0.attentions.1") and check
   every shape against C (channels), n_head (divides C), ctx_dim (attn2 key/value width),
   n_layers and groups (divides C). inner = C; ff comes from the stored GEGLU projection.
   Tensors stay views into g. *out must not be moved or copied afterwards (the 2-D views of
   4-D projection weights live inside it and are pointed to). Errors: A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming the tensor,
   A2A_ERR_INVALID_ARG for bad sizes. */
a2a_status a2a_transformer2d_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C, int n_head,
                                  int64_t ctx_dim, int n_layers, int groups, a2a_transformer2d *out);

/* In place: x F32 [W, H, C, N] (contiguous, n_dims 4) <- transformer(x, context).
   context: F32 [ctx_dim, L, N] rows contiguous, or NULL (attn2 then attends over its own
   normed input; requires ctx_dim == inner). Temporaries come from tmp and are released
   before returning (a2a_transformer2d_tmp_bytes). When tmp is a measuring arena only the
   allocations are made (tmp->peak measures the need) and nothing is computed.
   Errors: A2A_ERR_SHAPE, A2A_ERR_NOMEM (tmp too small), and what the ops report. */
a2a_status a2a_transformer2d_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_transformer2d *t,
                                 a2a_tensor *x, const a2a_tensor *context);

/* One BasicTransformerBlock in place on tokens (shared with Zeroscope's temporal transformer):
   h F32 [inner, T, B] contiguous <- h + attn1(LN1(h)); h + attn2(LN2(h), context); h + ff(LN3(h))
   with ff the GEGLU width (t->ff). context: F32 [ctx_dim, L, B] rows contiguous, or NULL
   (attn2 attends over LN2(h): self-attention, as double_self_attention or diffusers'
   encoder_hidden_states=None). Temporaries (~ (4 + 3 ff/inner) * inner * T * B floats) come
   from tmp and are released; a measuring tmp only allocates. Errors: A2A_ERR_SHAPE,
   A2A_ERR_NOMEM, and what the ops report (e.g. a context width the projections do not take). */
a2a_status a2a_t2d_block_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_t2d_block *k, int64_t ff,
                             a2a_tensor *h, const a2a_tensor *context);

/* Bytes of tmp a2a_transformer2d_fwd needs for x [W, H, C, N] and a context of L tokens (0 for
   none); 0 on overflow. */
size_t a2a_transformer2d_tmp_bytes(const a2a_transformer2d *t, int64_t W, int64_t H, int64_t N, int64_t L);

#endif
