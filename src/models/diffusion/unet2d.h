/* Internal: diffusers' UNet2DConditionModel (diffusers/models/unets/unet_2d_condition.py,
   unet_2d_blocks.py) -- the denoisers of Stable Diffusion 1.x/2.x and AudioLDM.

   Forward (torch semantics; shapes here in ggml order, x [W, H, C_in, N]):
       t_emb  = Timesteps(C0, flip_sin_to_cos, freq_shift)(t)        sinusoidal, float32
       emb    = linear_2(silu(linear_1(t_emb)))                      [time_embed_dim, N]
       class  = class_embedding(class_labels)  (class_embed_type "simple_projection": one Linear)
       emb    = class_embeddings_concat ? cat(emb, class) : emb + class
       h      = conv_in(center_input_sample ? 2x - 1 : x)             3x3
       down block i (DownBlock2D or CrossAttnDownBlock2D): layers_per_block x (ResnetBlock2D(emb),
              [Transformer2DModel(context)]), then Downsample2D (3x3 stride-2 conv, pad 1) except
              in the last block; every layer's output and the downsample's are skip states
       mid    = UNetMidBlock2DCrossAttn: resnet, (transformer, resnet) x transformer layers
       up block i (UpBlock2D or CrossAttnUpBlock2D): layers_per_block+1 x (cat(h, skip.pop())
              along channels, resnet, [transformer]), then Upsample2D (nearest x2, 3x3 conv)
              except in the last block
       out    = conv_out(silu(GroupNorm(norm_num_groups, norm_eps)(h)))
   Resnets: GroupNorm(norm_num_groups, norm_eps), time_emb_proj from emb (2x time_embed_dim wide
   with class_embeddings_concat). Transformers: see transformer2d.h; heads per block =
   config attention_head_dim (diffusers' legacy naming: SD 1.x's 8 means 8 heads; SD 2.x's list
   gives heads per down block, reversed for the up blocks), GroupNorm groups norm_num_groups.
   encoder_hidden_states may be omitted (context NULL): the cross-attention layers then attend
   over their own input (AudioLDM; needs cross_attention_dim == the block width).
   Latent sides need not divide by 2^(number of downsamplers): each Downsample2D maps s to
   ceil(s/2) and each Upsample2D then resizes (nearest) to the size of the skip state it meets,
   as diffusers does with forward_upsample_size (AudioLDM's latent length follows the audio
   length, e.g. 10 s -> 250 latent frames).

   GGUF (any2any's layout; written by a2a_unet2d_convert_add): tensors "<prefix>" + the exact
   diffusers state_dict name ("unet.down_blocks.0.attentions.0.proj_in.weight"), ggml shapes
   (conv [KW, KH, Cin, Cout], linear [in, out]; 1x1-conv proj_in/proj_out written as linears
   [in, out]). Metadata (unet2d.*):
       in_channels, out_channels, layers_per_block, norm_num_groups, sample_size,
       time_embed_dim, projection_class_embeddings_input_dim (u32); norm_eps, freq_shift (f32);
       block_out_channels, attention_heads, cross_attention_dim, transformer_layers_per_block
       (i32 arrays, one entry per down block); down_block_types, up_block_types (string
       arrays); class_embed_type (string: "" or "simple_projection");
       use_linear_projection, flip_sin_to_cos, class_embeddings_concat, center_input_sample
       (bool).

   Memory: weights stay mmapped. Activations come from one arena owned by the model, planned
   by a dry run the first time a shape (W, H, N, L) is seen and grown only when a later shape
   needs more; a forward then allocates nothing. Hence a2a_unet2d_forward must not run
   concurrently on one model (load the file twice -- the weights are shared pages -- for two
   concurrent generations). SD 1.5 at 64x64 latents, batch 2, 77 tokens: see
   a2a_unet2d_activation_bytes. */
#ifndef A2A_MODELS_DIFFUSION_UNET2D_H
#define A2A_MODELS_DIFFUSION_UNET2D_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"

struct a2a_gguf;
struct a2a_gguf_writer;

#define A2A_UNET2D_MAX_BLOCKS 8
#define A2A_UNET2D_MAX_LAYERS 8    /* layers_per_block limit */
#define A2A_UNET2D_MAX_SIDE 4096   /* largest latent side accepted */
#define A2A_UNET2D_MAX_BATCH 64
#define A2A_UNET2D_MAX_CTX 4096    /* longest context accepted (tokens) */

typedef enum a2a_unet2d_class_embed {
    A2A_UNET2D_CLASS_NONE = 0,
    A2A_UNET2D_CLASS_SIMPLE_PROJECTION = 1, /* nn.Linear(projection_class_embeddings_input_dim, time_embed_dim) */
} a2a_unet2d_class_embed;

typedef struct a2a_unet2d_config {
    int in_channels, out_channels;               /* latent channels (4 SD, 8 AudioLDM) */
    int n_blocks;                                /* len(block_out_channels) */
    int block_out_channels[A2A_UNET2D_MAX_BLOCKS];
    bool down_cross[A2A_UNET2D_MAX_BLOCKS];      /* down block i is CrossAttnDownBlock2D (else DownBlock2D) */
    bool up_cross[A2A_UNET2D_MAX_BLOCKS];        /* up block i (in up order) is CrossAttnUpBlock2D */
    int heads[A2A_UNET2D_MAX_BLOCKS];            /* attention heads per down block (legacy attention_head_dim) */
    int cross_attention_dim[A2A_UNET2D_MAX_BLOCKS]; /* per down block */
    int transformer_layers[A2A_UNET2D_MAX_BLOCKS];  /* transformer_layers_per_block, per down block */
    int layers_per_block;
    int norm_num_groups;
    float norm_eps;                              /* resnets' and conv_norm_out's GroupNorm eps (1e-5) */
    bool use_linear_projection;                  /* SD 2.x: Linear proj_in/out (same math as 1x1 conv) */
    bool flip_sin_to_cos;                        /* true in SD/AudioLDM */
    float freq_shift;                            /* 0 in SD/AudioLDM */
    int time_embed_dim;                          /* 4 * block_out_channels[0] */
    a2a_unet2d_class_embed class_embed_type;
    int class_input_dim;                         /* projection_class_embeddings_input_dim (0: none) */
    bool class_embeddings_concat;                /* AudioLDM: resnets see [emb, class] (2x wide) */
    bool center_input_sample;
    int sample_size;                             /* informational */
} a2a_unet2d_config;

typedef struct a2a_unet2d a2a_unet2d;

/* Load the UNet from an open GGUF file g (borrowed: keep it open while *out lives) with tensor
   names prefixed by prefix (NULL or "" for none; "unet." in pipeline bundles) and metadata
   unet2d.*. Errors: A2A_ERR_FORMAT (missing/bad metadata), A2A_ERR_UNSUPPORTED (block types),
   A2A_ERR_INVALID_ARG (inconsistent config, e.g. groups not dividing a width),
   A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a missing or mis-shaped tensor, A2A_ERR_NOMEM.
   Caller frees *out with a2a_unet2d_free. */
a2a_status a2a_unet2d_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_unet2d **out);

/* Open path (a one-component file written by a2a_unet2d_convert: no prefix) and load it. */
a2a_status a2a_unet2d_load(a2a_ctx *ctx, const char *path, a2a_unet2d **out);

/* Free the model, its activation arena, and its file when a2a_unet2d_load opened it. NULL ok. */
void a2a_unet2d_free(a2a_unet2d *u);

/* The configuration (valid while u lives). */
const a2a_unet2d_config *a2a_unet2d_get_config(const a2a_unet2d *u);
/* 2^(n_blocks - 1): latent sides that are multiples of it take the plain x2 upsampling path
   (any side >= 1 is accepted). */
int a2a_unet2d_side_multiple(const a2a_unet2d *u);
/* Context width the cross-attention expects (cross_attention_dim of the first cross-attention
   block; 0 when the model has none). */
int a2a_unet2d_context_dim(const a2a_unet2d *u);

/* Activation bytes a forward of W x H latents, batch N, L context tokens (0: no context) needs
   (the model's arena; plus the ops' per-thread scratch). 0 when the shape is invalid. */
size_t a2a_unet2d_activation_bytes(a2a_unet2d *u, int64_t W, int64_t H, int64_t N, int64_t L);

/* Noise prediction: out F32 [W, H, out_channels, N] (caller allocates; any strides; must not
   overlap the inputs) = unet(x, timesteps, context, class_labels).
   x          F32 [W, H, in_channels, N] (any strides; 3-D means N = 1)
   timesteps  N floats (e.g. 999 and 999 for a classifier-free-guidance pair)
   context    F32 [D_ctx, L, N] rows contiguous (encoder_hidden_states), or NULL (AudioLDM)
   class_labels F32 [D_cls, N] (required iff class_embed_type is not NONE; AudioLDM's CLAP
              embedding), else NULL
   Errors: A2A_ERR_SHAPE (any shape disagreeing with the model, a context of the wrong width,
   a missing context the model cannot do without, missing/unexpected class labels),
   A2A_ERR_INVALID_ARG (absurd sizes: a side above A2A_UNET2D_MAX_SIDE, batch above
   A2A_UNET2D_MAX_BATCH; non-finite timesteps), A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_unet2d_forward(a2a_ctx *ctx, a2a_threadpool *tp, a2a_unet2d *u, const a2a_tensor *x,
                              const float *timesteps, const a2a_tensor *context, const a2a_tensor *class_labels,
                              a2a_tensor *out);

/* ---- converter: diffusers unet/ folder -> GGUF ---- */
typedef struct a2a_unet2d_convert_params {
    a2a_type conv_type;       /* 3x3 conv weights: F32 or F16 (default F16) */
    a2a_type linear_type;     /* linears (attention, GEGLU, projections, time embeddings):
                                 F32, F16 (default) or Q8_0 (F16 where a row is not a multiple of 32) */
    a2a_threadpool *tp;       /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress; /* called after each tensor; nonzero cancels */
    void *user;
} a2a_unet2d_convert_params;

a2a_unet2d_convert_params a2a_unet2d_convert_default_params(void);

/* Add the UNet of a diffusers folder (config.json + diffusion_pytorch_model.safetensors, or
   .bin, or the .fp16 variants when only they are present) to the caller's writer w: tensors named prefix + state_dict name (1-D tensors F32),
   metadata unet2d.*. Converted buffers are kept by w (a2a_gguf_writer_keep) and the source
   tensors are copied, so src_dir's files may go away before w is written. p NULL means the
   defaults. Errors: A2A_ERR_NOT_FOUND (files), A2A_ERR_UNSUPPORTED (block types, embedding
   kinds, act_fn, options we do not implement, target types), A2A_ERR_FORMAT (config),
   A2A_ERR_SHAPE, A2A_ERR_CANCELLED, A2A_ERR_NOMEM. */
a2a_status a2a_unet2d_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                  const a2a_unet2d_convert_params *p);

/* One-component file: general.architecture "unet2d", no prefix; written atomically and
   checked by loading it back. */
a2a_status a2a_unet2d_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                              const a2a_unet2d_convert_params *p);

#endif
