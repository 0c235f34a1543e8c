/* Internal: diffusers' ResnetBlock2D (diffusers/models/resnet.py) with
   time_embedding_norm="default", shared by the VAE (AutoencoderKL) and the 2-D UNets.

   Forward (torch semantics):
       h = conv1(silu(norm1(x)))                              norm1 = GroupNorm(groups, c_in, eps)
       if temb: h = h + time_emb_proj(silu(temb))[:, :, None, None]
       h = conv2(silu(norm2(h)))                              norm2 = GroupNorm(groups_out, c_out, eps)
       out = (shortcut(x) + h) / output_scale_factor          shortcut = conv_shortcut (1x1) when
                                                              c_in != c_out, identity otherwise
   conv1/conv2 are 3x3 with padding 1; dropout is the identity (inference).
   Not covered: up/down resampling inside the block (up=True/down=True), scale_shift/ada_group
   norms, skip_time_act, use_in_shortcut forced with equal widths (loaded when present).

   Tensor names under a prefix P (as the diffusers state_dict spells them):
       P.norm1.weight/bias [c_in]           F32
       P.conv1.weight [3, 3, c_in, c_out]    F32/F16 (torch [c_out, c_in, 3, 3]); .bias [c_out] F32/F16
       P.time_emb_proj.weight [temb, c_out]  any matmul type (torch Linear [c_out, temb]); .bias [c_out]
       P.norm2.weight/bias [c_out]          F32
       P.conv2.weight [3, 3, c_out, c_out]; .bias [c_out]
       P.conv_shortcut.weight [1, 1, c_in, c_out]; .bias [c_out]   (when c_in != c_out, or present) */
#ifndef A2A_MODELS_COMMON_RESNET2D_H
#define A2A_MODELS_COMMON_RESNET2D_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"

struct a2a_gguf;

typedef struct a2a_resnet2d {
    int64_t c_in, c_out;       /* input / output channels */
    int groups, groups_out;    /* GroupNorm groups of norm1 (divides c_in) and norm2 (divides c_out) */
    float eps;                 /* GroupNorm eps (1e-6 in the VAE, 1e-5 in SD's UNet) */
    float output_scale_factor; /* out = (shortcut + h) / output_scale_factor (1 in SD) */
    int64_t temb_ch;           /* time-embedding width; 0: no time embedding */
    const a2a_tensor *norm1_w, *norm1_b;   /* [c_in] F32 */
    const a2a_tensor *conv1_w;             /* [3, 3, c_in, c_out] F32/F16 */
    const a2a_tensor *conv1_b;             /* [c_out] F32/F16 */
    const a2a_tensor *temb_w;              /* [temb_ch, c_out] or NULL */
    const a2a_tensor *temb_b;              /* [c_out] or NULL */
    const a2a_tensor *norm2_w, *norm2_b;   /* [c_out] F32 */
    const a2a_tensor *conv2_w;             /* [3, 3, c_out, c_out] F32/F16 */
    const a2a_tensor *conv2_b;             /* [c_out] F32/F16 */
    const a2a_tensor *short_w;             /* [1, 1, c_in, c_out] or NULL (identity) */
    const a2a_tensor *short_b;             /* [c_out] or NULL */
} a2a_resnet2d;

/* Look the block's tensors up under prefix (e.g. "decoder.up_blocks.0.resnets.1") in g and
   check every shape and type against c_in, c_out and temb_ch (0: the block must have no
   time_emb_proj). groups must divide c_in and c_out; groups_out = groups, output scale 1.
   The tensors stay views into g (valid while g is open). Errors: A2A_ERR_NOT_FOUND (missing
   tensor, named), A2A_ERR_SHAPE (wrong shape or type, named), A2A_ERR_INVALID_ARG (groups not
   dividing a channel count, non-positive sizes). */
a2a_status a2a_resnet2d_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t c_in, int64_t c_out,
                             int groups, float eps, int64_t temb_ch, a2a_resnet2d *out);

/* Bytes of tmp arena a2a_resnet2d_fwd needs for an input of W x H x N (including 64-byte
   alignment padding); 0 on overflow. */
size_t a2a_resnet2d_tmp_bytes(const a2a_resnet2d *r, int64_t W, int64_t H, int64_t N);

/* dst F32 [W, H, c_out, N] (contiguous, must not overlap x) = block(x), x F32 [W, H, c_in, N]
   (any strides the conv/norm ops take; n_dims 3 or 4: a 3-D x is read as N = 1);
   temb F32 [temb_ch, N] contiguous, required iff r->temb_ch > 0.
   Temporaries come from tmp (a2a_resnet2d_tmp_bytes) and are released before returning.
   When tmp is a measuring arena (a2a_arena_init_measure) only the allocations are made (so
   tmp->peak measures the need) and nothing is computed or checked against the weights.
   Errors: A2A_ERR_SHAPE (shapes disagree with r), A2A_ERR_NOMEM (tmp too small), and what
   the ops report. */
a2a_status a2a_resnet2d_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst,
                            const a2a_resnet2d *r, const a2a_tensor *x, const a2a_tensor *temb);

#endif
