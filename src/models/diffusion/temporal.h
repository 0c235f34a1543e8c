/* Internal: the two temporal layers of diffusers' UNet3DConditionModel (ModelScope
   text-to-video, Zeroscope): TemporalConvLayer (diffusers/models/resnet.py) and
   TransformerTemporalModel (diffusers/models/transformers/transformer_temporal.py).

   Both act on the per-frame activations the 3-D UNet carries between its 2-D layers: torch
   (B*F, C, H, W) with the frames of one video consecutive, i.e. ggml [W, H, C, F*B] (frame f
   of video b at index f + F*b of the last dim). They regroup the frames internally as torch
   (B, C, F, H, W) and are residual (out = x + layer(x)), so they run in place.

   TemporalConvLayer (in_dim == out_dim == C):
       h = x
       for k in 1..4: h = Conv3d_k(silu(GroupNorm_k(groups, C, eps 1e-5)(h)))
                      kernel (3, 1, 1) over (F, H, W), padding (1, 0, 0): a 3-tap convolution
                      along the frames (zero-padded), channel mixing C -> C
       out = x + h                    (dropout is the identity at inference)
   GroupNorm statistics span all F frames of a video (the (B, C, F, H, W) view).
   Upstream zero-initializes conv4; checkpoints hold trained values.
   Tensor names under a prefix P:
       P.conv1.0.weight/bias [C] F32 (GroupNorm); P.conv1.2.weight [1, 1, 3, C, C] or (as
       a2a_unet3d_convert writes it, GGUF tools allowing 4 dims) [3, C, C], F32/F16 (torch
       [C, C, 3, 1, 1]), P.conv1.2.bias [C]; conv2..4 likewise with the norm at .0 and
       the conv at .3 (a Dropout sits at .2).

   TransformerTemporalModel (n_head heads of width head_dim, inner = n_head * head_dim):
       r = x
       h = GroupNorm(groups, C, eps 1e-6) over (B, C, F, H, W)
       tokens: one sequence of F tokens per (b, y, x) position: [C, F, W*H*B]
       h = proj_in(h)                  Linear C -> inner
       BasicTransformerBlock(s) (double_self_attention): h += attn1(LN1(h)); h += attn2(LN2(h))
       (both self-attention over the F frames, q/k/v without bias, to_out.0 with bias);
       h += ff(LN3(h)) with GEGLU (LayerNorm eps 1e-5)
       out = proj_out(h) (inner -> C) back to [W, H, C, F*B] + r
   Tensor names under a prefix P: P.norm.weight/bias [C]; P.proj_in.weight [C, inner],
       .bias [inner]; P.proj_out.weight [inner, C], .bias [C];
       P.transformer_blocks.<i>.{norm1,norm2,norm3}.weight/bias [inner];
       .attn{1,2}.to_{q,k,v}.weight [inner, inner], .attn{1,2}.to_out.0.weight [inner, inner]
       + .bias [inner]; .ff.net.0.proj.weight [inner, 2*ff] + bias; .ff.net.2.weight
       [ff, inner] + bias [inner]. Matmul weights of any type a2a_op_matmul takes. */
#ifndef A2A_MODELS_DIFFUSION_TEMPORAL_H
#define A2A_MODELS_DIFFUSION_TEMPORAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "models/diffusion/transformer2d.h"

struct a2a_gguf;

typedef struct a2a_temporal_conv {
    int64_t C;                    /* channels */
    int groups;                   /* GroupNorm groups (divides C) */
    const a2a_tensor *gn_w[4];    /* conv<k>.0.weight [C] F32 */
    const a2a_tensor *gn_b[4];    /* conv<k>.0.bias [C] F32 */
    a2a_tensor conv_w[4];         /* conv<k>.{2,3}.weight as a 5-D view [1, 1, 3, C, C] F32/F16 of the
                                     stored [1, 1, 3, C, C] or [3, C, C] (converters write 3-D) */
    const a2a_tensor *conv_b[4];  /* conv<k>.{2,3}.bias [C] F32/F16 */
} a2a_temporal_conv;

/* Look a TemporalConvLayer's tensors up under prefix (e.g. "unet.down_blocks.0.temp_convs.1")
   and check their shapes against C and groups. Tensors stay views into g.
   Errors: A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming the tensor, A2A_ERR_INVALID_ARG. */
a2a_status a2a_temporal_conv_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C, int groups,
                                  a2a_temporal_conv *out);

/* In place: x F32 [W, H, C, F*B] contiguous (n_dims 4) <- layer(x) with F frames per video
   (F divides x->ne[3]). Temporaries (two x-sized buffers) come from tmp and are released
   before returning; with a measuring tmp only the allocations are made.
   Errors: A2A_ERR_SHAPE, A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_temporal_conv_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_temporal_conv *t,
                                 a2a_tensor *x, int64_t F);

typedef struct a2a_transformer_temporal {
    int64_t C;        /* input/output channels */
    int64_t inner;    /* n_head * head_dim */
    int64_t ff;       /* GEGLU inner width */
    int n_head;
    int groups;       /* GroupNorm groups (divides C) */
    int n_layers;     /* 1..A2A_T2D_MAX_LAYERS */
    const a2a_tensor *gn_w, *gn_b; /* norm [C] F32 */
    a2a_nn_linear proj_in;         /* w [C, inner], b [inner] */
    a2a_nn_linear proj_out;        /* w [inner, C], b [C] */
    a2a_t2d_block blocks[A2A_T2D_MAX_LAYERS]; /* attn2 is a second self-attention: k/v [inner, inner] */
} a2a_transformer_temporal;

/* Look a TransformerTemporalModel's tensors up under prefix (e.g. "unet.transformer_in") and
   check every shape: C channels, n_head heads of width head_dim, n_layers blocks, groups
   dividing C; ff comes from the stored GEGLU projection. Tensors stay views into g.
   Errors: A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming the tensor, A2A_ERR_INVALID_ARG. */
a2a_status a2a_transformer_temporal_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C,
                                         int n_head, int64_t head_dim, int n_layers, int groups,
                                         a2a_transformer_temporal *out);

/* In place: x F32 [W, H, C, F*B] contiguous (n_dims 4) <- model(x) with F frames per video.
   Every linear runs as one matrix product over all F*W*H*B tokens; the feed-forward runs in
   chunks of 256 tokens (its 3*ff-wide temporaries stay small); attention per (sequence, head)
   through a2a_op_attention. Temporaries (seven [inner, tokens] buffers, the tokens [C, tokens]
   and the chunk's GEGLU pair) from tmp, released before returning; a measuring tmp only allocates.
   Errors: A2A_ERR_SHAPE, A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_transformer_temporal_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp,
                                        const a2a_transformer_temporal *t, a2a_tensor *x, int64_t F);

#endif
