/* Internal: diffusers' AutoencoderKL (diffusers/models/autoencoders/autoencoder_kl.py, vae.py
   Encoder/Decoder) -- Stable Diffusion's VAE, AudioLDM's mel VAE (1 channel), Zeroscope's
   per-frame decode.

   Decoder:  z [w, h, L, N] -> post_quant_conv (1x1) -> conv_in (3x3) -> mid block (resnet,
             attention, resnet) -> up blocks (layers_per_block+1 resnets, then nearest x2 +
             3x3 conv except in the last) -> GroupNorm(norm_num_groups, eps 1e-6) -> SiLU ->
             conv_out -> image [w*f, h*f, out_channels, N], f = 2^(n_blocks-1) (8 for SD).
   Encoder:  image -> conv_in -> down blocks (layers_per_block resnets, then pad (0,1,0,1) +
             3x3 stride-2 conv except in the last) -> mid block -> GroupNorm -> SiLU ->
             conv_out (2L channels) -> quant_conv (1x1) -> mean = channels [0, L),
             logvar = channels [L, 2L) clamped to [-30, 20] (DiagonalGaussianDistribution).
   Mid-block attention: GroupNorm, one head of width C over the h*w tokens (to_q/to_k/to_v/
   to_out.0, biases), residual; run with a2a_op_attention (flash style, no n^2 scores).

   Scaling is the CALLER's job, as in diffusers' pipelines:
       decode:  image  = a2a_vae_decode(latent / scaling_factor + shift_factor)
       encode:  latent = (sample_or_mean - shift_factor) * scaling_factor
   (scaling_factor 0.18215 for SD 1.x/2.x, shift_factor 0 when the config has none); both
   are in a2a_vae_config. Images are in [-1, 1] (decode output is not clamped).

   GGUF file (written by a2a_vae_convert): general.architecture = "autoencoder_kl", tensors
   named exactly as the diffusers state_dict (e.g. "decoder.up_blocks.0.resnets.1.conv1.weight";
   all are < 64 bytes, so no shortening rule is needed; the deprecated attention names
   query/key/value/proj_attn of old checkpoints are renamed to to_q/to_k/to_v/to_out.0) with
   ggml shapes (conv [KW, KH, Cin, Cout], linear [in, out]); an optional tensor-name prefix
   lets a bundle hold the VAE beside other models. Metadata keys (autoencoder_kl.*):
       in_channels, out_channels, latent_channels, layers_per_block, norm_num_groups,
       sample_size (u32); block_out_channels (i32 array; u32 accepted); scaling_factor,
       shift_factor (f32);
       mid_block_add_attention, use_quant_conv, use_post_quant_conv (bool).
   The encoder is optional in a file (decode-only bundles): a2a_vae_encode then fails cleanly.

   Batches are processed one item at a time (diffusers' use_slicing; identical results), so
   Zeroscope's per-frame decode passes its frames as the batch -- any strides are accepted, so
   a UNet3D output [W, H, F, C] can be given as a permuted [W, H, C, F] view.

   Memory: activations come from one arena planned per call by a dry run (a2a_vae_decode_bytes)
   and sized for one batch item: a 512x512 SD decode (64x64x4 latent) needs 768 MiB, a 512x512
   encode 512 MiB (plus the ops' per-thread scratch, ~32 MiB for the conv column buffer, and the
   mmapped weights, ~160 MiB in F16). Larger images: a2a_vae_decode_tiled. */
#ifndef A2A_MODELS_VAE_AUTOENCODER_KL_H
#define A2A_MODELS_VAE_AUTOENCODER_KL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"

struct a2a_gguf;

#define A2A_VAE_MAX_BLOCKS 8
#define A2A_VAE_MAX_LAYERS 8   /* layers_per_block limit */
#define A2A_VAE_MAX_SIDE 16384 /* largest image side accepted (pixels) */

typedef struct a2a_vae_config {
    int in_channels, out_channels;           /* image channels (3 RGB; 1 for AudioLDM's mel) */
    int latent_channels;                     /* L (4 for SD, 8 for AudioLDM) */
    int n_blocks;                            /* len(block_out_channels), 1..A2A_VAE_MAX_BLOCKS */
    int block_out_channels[A2A_VAE_MAX_BLOCKS];
    int layers_per_block;                    /* 1..A2A_VAE_MAX_LAYERS */
    int norm_num_groups;                     /* divides every block width */
    int sample_size;                         /* informational (diffusers' tiling threshold) */
    float scaling_factor;                    /* applied by the caller (see above) */
    float shift_factor;                      /* 0 when absent */
    bool mid_block_add_attention, use_quant_conv, use_post_quant_conv;
} a2a_vae_config;

typedef struct a2a_vae a2a_vae;

/* Open a GGUF file written by a2a_vae_convert and load the VAE (weights stay mmapped).
   Errors: what a2a_gguf_open reports; A2A_ERR_FORMAT / A2A_ERR_INVALID_ARG for a bad or
   inconsistent config (groups not dividing the widths, absurd sizes), A2A_ERR_NOT_FOUND /
   A2A_ERR_SHAPE naming a missing or mis-shaped tensor. Caller frees *out with a2a_vae_free. */
a2a_status a2a_vae_load(a2a_ctx *ctx, const char *path, a2a_vae **out);

/* Same over an open GGUF file g, which the VAE borrows (keep g open while *out lives), with
   tensor names prefixed by prefix (NULL or "" for none; e.g. "vae."). */
a2a_status a2a_vae_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_vae **out);

/* Free the model (and its file when a2a_vae_load opened it). NULL is fine. */
void a2a_vae_free(a2a_vae *vae);

/* The configuration (valid while vae lives). */
const a2a_vae_config *a2a_vae_get_config(const a2a_vae *vae);
/* Spatial factor between image and latent: 2^(n_blocks-1). */
int a2a_vae_downscale(const a2a_vae *vae);
/* True when the file holds the encoder. */
bool a2a_vae_has_encoder(const a2a_vae *vae);

/* Peak activation bytes of a2a_vae_decode for a latent of lat_w x lat_h x n (0 when the size is
   invalid or overflows); independent of n (items run one at a time). */
size_t a2a_vae_decode_bytes(const a2a_vae *vae, int64_t lat_w, int64_t lat_h, int64_t n);
/* Peak activation bytes of a2a_vae_encode for an image of w x h x n (0 when invalid). */
size_t a2a_vae_encode_bytes(const a2a_vae *vae, int64_t w, int64_t h, int64_t n);

/* The same from a configuration alone (no weights needed; e.g. to plan memory before loading).
   0 when the config is invalid or the size is. */
size_t a2a_vae_config_decode_bytes(const a2a_vae_config *cfg, int64_t lat_w, int64_t lat_h, int64_t n);
size_t a2a_vae_config_encode_bytes(const a2a_vae_config *cfg, int64_t w, int64_t h, int64_t n);

/* Decode: z F32 [w, h, L, N] (any strides; already divided by scaling_factor) -> img F32
   [w*f, h*f, out_channels, N] (caller allocates; any strides; must not overlap z).
   Errors: A2A_ERR_SHAPE (shapes), A2A_ERR_INVALID_ARG (a side < 1 or an image side above
   A2A_VAE_MAX_SIDE), A2A_ERR_NOMEM (activation arena), and what the ops report. */
a2a_status a2a_vae_decode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *z, a2a_tensor *img);

/* Tiled decode (diffusers' enable_tiling() + decode, i.e. AutoencoderKL.tiled_decode): when the
   latent is larger than the tile (tile_sample_size / f latents) along either side, it is cut
   into tiles of that size at a stride of int(tile_latents * (1 - overlap)), each tile is decoded
   on its own, each tile is blended linearly into its upper and left neighbours over
   int(tile_sample_size * overlap) pixels (in place, raster order, exactly as diffusers'
   blend_v/blend_h) and cropped to tile_sample_size - blend pixels. Smaller latents are decoded
   whole. Memory: one tile's activations (a2a_vae_decode_bytes of the tile) plus all decoded
   tiles (out_channels floats per pixel). Contract otherwise as a2a_vae_decode. */
typedef struct a2a_vae_tile_params {
    int tile_sample_size; /* tile side in pixels; 0: the config's sample_size (diffusers' default) */
    float overlap;        /* tile_overlap_factor in [0, 1): 0.25 in diffusers */
} a2a_vae_tile_params;

a2a_vae_tile_params a2a_vae_tile_default_params(void);

/* p NULL means the defaults. A2A_ERR_INVALID_ARG when the parameters do not tile consistently
   (the kept pixels per tile must equal the latent stride times f, true for the defaults). */
a2a_status a2a_vae_decode_tiled(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *z,
                                a2a_tensor *img, const a2a_vae_tile_params *p);

/* Encode: img F32 [W, H, in_channels, N] (any strides; W, H >= f) -> mean and logvar F32
   [W', H', L, N] with W' = W/f for multiples of f (each stride-2 conv maps s -> floor(s/2),
   as torch does with the (0, 1) padding), caller-allocated, any strides; logvar clamped to
   [-30, 20] as DiagonalGaussianDistribution does. No tiled encode (diffusers' _tiled_encode).
   logvar may be NULL (mode only). Errors as a2a_vae_decode, plus A2A_ERR_UNSUPPORTED when the
   file has no encoder. */
a2a_status a2a_vae_encode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *img,
                          a2a_tensor *mean, a2a_tensor *logvar);

/* Posterior sample: dst = mean + exp(0.5 * logvar) * noise (DiagonalGaussianDistribution.sample
   with the caller's standard-normal noise). All F32 of one shape (any strides); dst may alias
   mean. */
a2a_status a2a_vae_sample(a2a_ctx *ctx, a2a_tensor *dst, const a2a_tensor *mean, const a2a_tensor *logvar,
                          const a2a_tensor *noise);

/* ---- converter: diffusers folder -> GGUF ---- */
typedef struct a2a_vae_convert_params {
    a2a_type conv_type;       /* conv weights: F32 or F16 (default F16) */
    a2a_type attn_type;       /* attention linears: F32, F16 (default) or Q8_0 */
    a2a_threadpool *tp;       /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress; /* called after each tensor; nonzero cancels */
    void *user;
} a2a_vae_convert_params;

a2a_vae_convert_params a2a_vae_convert_default_params(void);

/* Convert a diffusers AutoencoderKL folder (config.json + diffusion_pytorch_model.safetensors,
   or diffusion_pytorch_model.bin) into out_gguf (written atomically). 1-D tensors (biases,
   norms) are stored F32. p NULL means the defaults. Errors: A2A_ERR_NOT_FOUND (files),
   A2A_ERR_UNSUPPORTED (block types, act_fn, target types), A2A_ERR_FORMAT (config),
   A2A_ERR_SHAPE, A2A_ERR_CANCELLED, A2A_ERR_IO, A2A_ERR_NOMEM. */
a2a_status a2a_vae_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf, const a2a_vae_convert_params *p);

struct a2a_gguf_writer;
/* Add the VAE of a diffusers folder to the caller's writer w (a pipeline file): tensors named
   prefix + state_dict name, metadata autoencoder_kl.*; converted copies are kept by w
   (a2a_gguf_writer_keep), so src_dir's files may go away before w is written. Load it back
   with a2a_vae_load_gguf(g, prefix). Errors as a2a_vae_convert. */
a2a_status a2a_vae_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                               const a2a_vae_convert_params *p);

#endif
