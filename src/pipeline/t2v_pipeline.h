/* Internal: the text-to-video pipeline (diffusers' TextToVideoSDPipeline: ModelScope T2V,
   Zeroscope v2) over one pipeline GGUF file (general.architecture "text_to_video", written by
   a2a_diffusers_convert): CLIP text encoder ("text_encoder.", OpenCLIP-H as CLIPTextModel),
   UNet3DConditionModel ("unet."), AutoencoderKL ("vae.", decoding frame by frame) and the
   scheduler (t2v.scheduler.*).
     cond / uncond [77][1024] from the prompts (or supplied: NExT-GPT's video output projector)
     latents [4, F, H/8, W/8] ~ N(0,1) * init_noise_sigma; the shared denoising loop with
     classifier-free guidance; frames = vae.decode(latents / scaling_factor) per frame.
   Defaults as diffusers: 16 frames, 50 steps, guidance 9, unet sample_size * 8 pixels. */
#ifndef A2A_PIPELINE_T2V_PIPELINE_H
#define A2A_PIPELINE_T2V_PIPELINE_H

#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "models/diffusion/unet3d.h"
#include "models/text_encoders/clip_text.h"
#include "models/vae/autoencoder_kl.h"
#include "pipeline/scheduler.h"

#define A2A_T2V_ARCH "text_to_video"
#define A2A_T2V_MAX_FRAMES 256

typedef struct a2a_t2v {
    struct a2a_gguf *g;         /* owned */
    a2a_clip_text *te;          /* NULL: conditioning must be supplied */
    a2a_unet3d *unet;
    a2a_vae *vae;
    a2a_scheduler_params sched;
    int32_t default_size;       /* unet sample_size * vae factor */
} a2a_t2v;

a2a_status a2a_t2v_load(a2a_ctx *ctx, const char *path, a2a_t2v **out);
void a2a_t2v_free(a2a_t2v *m);

typedef struct a2a_t2v_params {
    const char *prompt, *negative;
    const float *cond, *uncond;   /* supplied [77][D] (uncond NULL: the encoded negative prompt) */
    int32_t width, height;        /* 0: default_size */
    int32_t frames;               /* 0: 16 */
    int32_t steps;                /* 0: 50 */
    float cfg;                    /* < 0: 9 */
    uint64_t seed;
    int sched_kind;               /* -1: the file's */
    const float *init_noise;      /* NULL or [4][F][h][w] */
    a2a_progress_fn progress;
    void *user;
    const volatile int *cancel;
} a2a_t2v_params;

a2a_t2v_params a2a_t2v_default_params(void);

/* *video (malloc'd) = frames x [3][h][w] floats in [-1, 1] (frame-major). */
a2a_status a2a_t2v_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_t2v *m, const a2a_t2v_params *p, float **video,
                            int32_t *w, int32_t *h, int32_t *frames);

#endif
