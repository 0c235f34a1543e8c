/* Internal: the Stable Diffusion pipeline (diffusers' StableDiffusionPipeline and
   StableDiffusionImg2ImgPipeline, 1.x and 2.x) over one pipeline GGUF file
   (general.architecture "stable_diffusion", written by a2a_diffusers_convert): CLIP text
   encoder ("text_encoder." tensors), UNet2DConditionModel ("unet."), AutoencoderKL ("vae.") and
   the scheduler configuration (sd.scheduler.* keys).

   text-to-image, as diffusers does it:
     cond   = text_encoder(tokenize(prompt))      [77, D]  (or supplied: NExT-GPT's output
                                                            projector gives it directly)
     uncond = text_encoder(tokenize(negative or "")) (or supplied)
     latents = N(0,1) [4, H/8, W/8] * init_noise_sigma (Philox from the seed, or supplied)
     for each timestep t: eps_u, eps_c = unet(scale_model_input([latents, latents]), t,
                                              [uncond, cond]);
                          latents = scheduler.step(eps_u + cfg (eps_c - eps_u), latents)
                          (cfg <= 1: only the conditional pass, as diffusers)
     image = vae.decode(latents / scaling_factor)  in [-1, 1], [3, H, W]
   img2img: latents = vae.encode(init image).mean * scaling_factor (diffusers uses a sample of
   the latent distribution; the mean is deterministic and what most ports use -- documented
   difference), noised to the strength's start step, then the same loop from there.

   Progress: one call per UNet evaluation (and "decode" at the end); the cancel flag is polled
   before every step and between layers of long ops; a cancelled run returns A2A_ERR_CANCELLED
   and produces nothing. */
#ifndef A2A_PIPELINE_SD_PIPELINE_H
#define A2A_PIPELINE_SD_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "media/image.h"
#include "models/diffusion/unet2d.h"
#include "models/text_encoders/clip_text.h"
#include "models/vae/autoencoder_kl.h"
#include "pipeline/scheduler.h"

#define A2A_SD_ARCH "stable_diffusion"
#define A2A_SD_MAX_STEPS 1000
#define A2A_SD_MAX_SIDE 4096 /* pixels */

typedef struct a2a_sd {
    struct a2a_gguf *g;          /* owned mapping */
    a2a_clip_text *te;           /* NULL when the file has no text encoder (conditioning must be supplied) */
    a2a_unet2d *unet;
    a2a_vae *vae;
    a2a_scheduler_params sched;  /* the file's scheduler (sd.scheduler.*) */
    int32_t default_steps;       /* sd.default_steps (50) */
    float default_cfg;           /* sd.default_guidance (7.5) */
    int32_t default_size;        /* unet sample_size * vae factor (512 for SD 1.5) */
} a2a_sd;

/* Load a pipeline file; every component checked (names, shapes, the joints: UNet context width
   = text encoder width, UNet channels = VAE latent channels). Free with a2a_sd_free. */
a2a_status a2a_sd_load(a2a_ctx *ctx, const char *path, a2a_sd **out);
void a2a_sd_free(a2a_sd *sd);

typedef struct a2a_sd_params {
    const char *prompt;           /* text conditioning (needs the text encoder) ... */
    const char *negative;         /* ... and its negative prompt (NULL: "") */
    const float *cond;            /* or supplied: [77][D_ctx] (NExT-GPT's projector output) */
    const float *uncond;          /* [77][D_ctx]; NULL with cond: the encoded negative prompt */
    int32_t width, height;        /* 0: default_size; multiples of 8 * unet side multiple */
    int32_t steps;                /* 0: default_steps */
    float cfg;                    /* < 0: default_cfg; <= 1: no unconditional pass */
    uint64_t seed;
    int sched_kind;               /* -1: the file's scheduler; else an a2a_scheduler_kind with the
                                     file's betas/prediction type (diffusers' from_config) */
    const float *init_noise;      /* NULL or [4][h][w] N(0,1) latents replacing the seeded draw */
    const a2a_image *init_image;  /* img2img source (resized by the caller to width x height) */
    float strength;               /* img2img strength in (0, 1] */
    bool vae_tiling;              /* decode in overlapping tiles (diffusers' enable_tiling); always on
                                     above 1024 x 1024 pixels, where a whole decode needs > 3 GB */
    a2a_progress_fn progress;     /* (done, total, what) per UNet evaluation; nonzero cancels */
    void *user;
    const volatile int *cancel;
} a2a_sd_params;

a2a_sd_params a2a_sd_default_params(void);

/* CLIP conditioning of a classifier-free-guidance pair into ctxbuf [2][77][D], uncond first (as
   diffusers concatenates): cond/uncond supplied ([77][D] each) or encoded from prompt/negative
   (NULL negative: ""), shared by the SD and text-to-video pipelines. te may be NULL only when
   both cond and uncond are supplied. */
a2a_status a2a_clip_conditioning(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *te, const char *prompt,
                                 const char *negative, const float *cond, const float *uncond, int64_t D, float *ctxbuf);

/* The scheduler a run with sched_kind uses (-1: the file's; else that kind from the file's
   betas/prediction type/spacing, as diffusers' Kind.from_config). */
a2a_status a2a_sd_scheduler(a2a_ctx *ctx, const a2a_sd *sd, int kind, a2a_scheduler_params *out);

/* Run the pipeline. *pixels (malloc'd, caller frees) receives [3][height][width] floats in
   [-1, 1] (unclamped VAE output), *w and *h the size. Errors: A2A_ERR_INVALID_ARG (bad sizes,
   steps, strength, a prompt without a text encoder, neither prompt nor cond), A2A_ERR_CANCELLED,
   A2A_ERR_NOMEM and what the components report. */
a2a_status a2a_sd_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_sd *sd, const a2a_sd_params *p, float **pixels,
                           int32_t *w, int32_t *h);

#endif
