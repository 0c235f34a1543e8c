/* Internal: diffusers' UNet3DConditionModel (diffusers/models/unets/unet_3d_condition.py,
   unet_3d_blocks.py) -- the video denoiser of ModelScope text-to-video and Zeroscope v2
   (zeroscope_v2_576w: block_out_channels (320, 640, 1280, 1280), layers_per_block 2,
   cross_attention_dim 1024, attention_head_dim 64, 4 latent channels).

   Forward (torch semantics; latents x torch (N, C_in, F, H, W) = ggml [W, H, F, C_in, N]):
       t_emb = Timesteps(C0, flip_sin_to_cos=True, freq_shift=0)(t)       sinusoidal, float32
       emb   = linear_2(silu(linear_1(t_emb)))                            [4*C0, N]
       emb, context repeated per frame (repeat_interleave over dim 0: item n*F + f)
       h     = x permuted to per-frame images (N*F, C_in, H, W); h = conv_in(h)     3x3
       h     = transformer_in(h)          TransformerTemporalModel: 8 heads of attention_head_dim
                                          (temporal.h), attention over the F frames
       down block i (CrossAttnDownBlock3D / DownBlock3D): layers_per_block x (ResnetBlock2D(emb),
              TemporalConvLayer, [Transformer2DModel(context), TransformerTemporalModel]);
              Downsample2D (3x3 stride 2, pad 1) except in the last block; every layer's output
              and the downsample's are skip states
       mid    UNetMidBlock3DCrossAttn: resnet, temporal conv, (transformer, temporal
              transformer, resnet, temporal conv)
       up block i (UpBlock3D / CrossAttnUpBlock3D): layers_per_block+1 x (cat(h, skip.pop()),
              resnet, temporal conv, [transformer, temporal transformer]); Upsample2D (nearest x2
              or to the skip's size when the latent sides do not divide by 2^(n_blocks-1), as
              diffusers' forward_upsample_size; 3x3 conv) except in the last block
       out    conv_out(silu(GroupNorm(norm_num_groups, norm_eps)(h))) back to (N, C_out, F, H, W)
   Heads: the 3-D blocks build Transformer2DModel(C // attention_head_dim, attention_head_dim)
   (and the temporal ones likewise), so config attention_head_dim is the head WIDTH there, unlike
   in UNet2DConditionModel: C / attention_head_dim heads (Zeroscope: 5, 10, 20, 20 heads of
   64); transformer_in has 8 heads of width attention_head_dim. Resnets: GroupNorm(norm_num_groups,
   norm_eps); temporal convs: GroupNorm(norm_num_groups, 1e-5); transformers: GroupNorm eps 1e-6.

   GGUF (any2any's layout, written by a2a_unet3d_convert_add): tensors "<prefix>" + the exact
   diffusers state_dict name ("unet.down_blocks.0.temp_attentions.1.proj_in.weight"), ggml
   shapes (conv [KW, KH, Cin, Cout], linear [in, out], 1x1-conv projections as linears [in, out],
   the temporal convs' (3, 1, 1) kernels [3, Cin, Cout]). Metadata (unet3d.*):
       in_channels, out_channels, layers_per_block, norm_num_groups, sample_size,
       time_embed_dim, cross_attention_dim, in_attention_heads, in_attention_head_dim (u32);
       norm_eps (f32); block_out_channels, attention_head_dim (i32 arrays, one entry per down
       block); down_block_types, up_block_types (string arrays).

   Memory: weights stay mmapped. Activations come from one arena owned by the model, planned by
   a dry run the first time a shape (W, H, F, N, L) is seen and grown only when a later shape
   needs more; a forward then allocates nothing. a2a_unet3d_forward must not run concurrently
   on one model. */
#ifndef A2A_MODELS_DIFFUSION_UNET3D_H
#define A2A_MODELS_DIFFUSION_UNET3D_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"

struct a2a_gguf;
struct a2a_gguf_writer;

#define A2A_UNET3D_MAX_BLOCKS 8
#define A2A_UNET3D_MAX_LAYERS 8    /* layers_per_block limit */
#define A2A_UNET3D_MAX_SIDE 4096   /* largest latent side accepted */
#define A2A_UNET3D_MAX_FRAMES 1024
#define A2A_UNET3D_MAX_BATCH 64
#define A2A_UNET3D_MAX_CTX 4096    /* longest context accepted (tokens) */

typedef struct a2a_unet3d_config {
    int in_channels, out_channels;               /* latent channels (4) */
    int n_blocks;                                /* len(block_out_channels) */
    int block_out_channels[A2A_UNET3D_MAX_BLOCKS];
    bool down_cross[A2A_UNET3D_MAX_BLOCKS];      /* down block i is CrossAttnDownBlock3D (else DownBlock3D) */
    bool up_cross[A2A_UNET3D_MAX_BLOCKS];        /* up block i (in up order) is CrossAttnUpBlock3D */
    int head_dim[A2A_UNET3D_MAX_BLOCKS];         /* attention head width per down block (C / it heads) */
    int cross_attention_dim;                     /* context width (1024 in Zeroscope) */
    int layers_per_block;
    int norm_num_groups;
    float norm_eps;                              /* resnets' and conv_norm_out's GroupNorm eps (1e-5) */
    int time_embed_dim;                          /* 4 * block_out_channels[0] */
    int in_heads, in_head_dim;                   /* transformer_in: 8 heads x attention_head_dim */
    int sample_size;                             /* informational */
} a2a_unet3d_config;

typedef struct a2a_unet3d a2a_unet3d;

/* Load the UNet from an open GGUF file g (borrowed: keep it open while *out lives) with tensor
   names prefixed by prefix (NULL or "" for none; "unet." in pipeline bundles) and metadata
   unet3d.*. Errors: A2A_ERR_FORMAT (missing/bad metadata), A2A_ERR_UNSUPPORTED (block types),
   A2A_ERR_INVALID_ARG (inconsistent config), A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a
   missing or mis-shaped tensor, A2A_ERR_NOMEM. Caller frees *out with a2a_unet3d_free. */
a2a_status a2a_unet3d_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_unet3d **out);

/* Open path (a one-component file written by a2a_unet3d_convert: no prefix) and load it. */
a2a_status a2a_unet3d_load(a2a_ctx *ctx, const char *path, a2a_unet3d **out);

/* Free the model, its activation arena, and its file when a2a_unet3d_load opened it. NULL ok. */
void a2a_unet3d_free(a2a_unet3d *u);

/* The configuration (valid while u lives). */
const a2a_unet3d_config *a2a_unet3d_get_config(const a2a_unet3d *u);
/* 2^(n_blocks - 1): latent sides that are multiples of it take the plain x2 upsampling path
   (any side >= 1 is accepted). */
int a2a_unet3d_side_multiple(const a2a_unet3d *u);
/* Context width the cross-attention expects (cross_attention_dim). */
int a2a_unet3d_context_dim(const a2a_unet3d *u);

/* Activation bytes a forward of W x H latents, F frames, batch N, L context tokens needs (the
   model's arena; plus the ops' per-thread scratch). 0 when the shape is invalid. */
size_t a2a_unet3d_activation_bytes(a2a_unet3d *u, int64_t W, int64_t H, int64_t F, int64_t N, int64_t L);

/* Noise prediction: out F32 [W, H, F, out_channels, N] (caller allocates; any strides; must not
   overlap the inputs) = unet(x, timesteps, context).
   x          F32 [W, H, F, in_channels, N] (torch (N, C, F, H, W); any strides; 4-D means N = 1)
   timesteps  N floats (e.g. 999 and 999 for a classifier-free-guidance pair)
   context    F32 [cross_attention_dim, L, N] rows contiguous (encoder_hidden_states; required)
   Errors: A2A_ERR_SHAPE (any shape disagreeing with the model, a missing context or one of the
   wrong width or batch), A2A_ERR_INVALID_ARG (absurd sizes: a side above A2A_UNET3D_MAX_SIDE,
   more than A2A_UNET3D_MAX_FRAMES frames, batch above A2A_UNET3D_MAX_BATCH; non-finite
   timesteps), A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_unet3d_forward(a2a_ctx *ctx, a2a_threadpool *tp, a2a_unet3d *u, const a2a_tensor *x,
                              const float *timesteps, const a2a_tensor *context, a2a_tensor *out);

/* ---- converter: diffusers unet/ folder -> GGUF ---- */
typedef struct a2a_unet3d_convert_params {
    a2a_type conv_type;       /* conv weights (3x3 and temporal): F32 or F16 (default F16) */
    a2a_type linear_type;     /* linears (attention, GEGLU, projections, time embedding):
                                 F32, F16 (default) or Q8_0 (F16 where a row is not a multiple of 32) */
    a2a_threadpool *tp;       /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress; /* called after each tensor; nonzero cancels */
    void *user;
} a2a_unet3d_convert_params;

a2a_unet3d_convert_params a2a_unet3d_convert_default_params(void);

/* Add the UNet3DConditionModel of a diffusers folder (config.json +
   diffusion_pytorch_model.safetensors, or .bin, or the .fp16 variants) to the caller's writer
   w: tensors named prefix + state_dict name (1-D tensors F32), metadata unet3d.*. Converted
   buffers are kept by w (a2a_gguf_writer_keep). p NULL means the defaults. Errors:
   A2A_ERR_NOT_FOUND (files), A2A_ERR_UNSUPPORTED (block types, options we do not implement,
   target types), A2A_ERR_FORMAT (config), A2A_ERR_SHAPE, A2A_ERR_CANCELLED, A2A_ERR_NOMEM. */
a2a_status a2a_unet3d_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                  const a2a_unet3d_convert_params *p);

/* One-component file: general.architecture "unet3d", no prefix; written and checked by
   loading it back (removed when that fails). */
a2a_status a2a_unet3d_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                              const a2a_unet3d_convert_params *p);

#endif
