/* Internal: the AudioLDM pipeline (diffusers' AudioLDMPipeline) over one pipeline GGUF file
   (general.architecture "audioldm", written by a2a_diffusers_convert): CLAP text branch
   ("text_encoder."), UNet2DConditionModel with the class-embedding path ("unet."), the mel
   AutoencoderKL ("vae."), SpeechT5-HiFi-GAN ("vocoder.") and the scheduler (audioldm.scheduler.*).

     cond   = normalize(CLAP(prompt))  [512]   (or supplied: NExT-GPT's audio output projector)
     uncond = normalize(CLAP(negative or ""))  (tokenized to projection_dim tokens, diffusers' quirk)
     frames = int(seconds / (hop / rate)), rounded up to a multiple of the VAE factor f
     latents [8, frames/f, mel_bins/f] ~ N(0,1) * init_noise_sigma
     loop: eps = unet(x, t, class_labels = [uncond, cond]) (no encoder states) + CFG, step
     mel = vae.decode(latents / scaling_factor)  [frames, 64];  wave = hifigan(mel)[:int(seconds*rate)]
   Defaults as diffusers: 10 steps, guidance 2.5, 5 s (unet sample_size * f * hop / rate when the
   file says so). */
#ifndef A2A_PIPELINE_AUDIOLDM_PIPELINE_H
#define A2A_PIPELINE_AUDIOLDM_PIPELINE_H

#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "models/diffusion/unet2d.h"
#include "models/text_encoders/clap_text.h"
#include "models/vae/autoencoder_kl.h"
#include "models/vocoder/hifigan.h"
#include "pipeline/scheduler.h"

#define A2A_AUDIOLDM_ARCH "audioldm"
#define A2A_AUDIOLDM_MAX_SECONDS 600.0f

typedef struct a2a_audioldm {
    struct a2a_gguf *g;         /* owned mapping */
    a2a_clap_text *te;          /* NULL: conditioning must be supplied */
    a2a_unet2d *unet;
    a2a_vae *vae;
    a2a_hifigan *vocoder;
    a2a_scheduler_params sched; /* audioldm.scheduler.* */
    float default_seconds;      /* unet sample_size * f * hop / rate */
} a2a_audioldm;

a2a_status a2a_audioldm_load(a2a_ctx *ctx, const char *path, a2a_audioldm **out);
void a2a_audioldm_free(a2a_audioldm *m);

typedef struct a2a_audioldm_params {
    const char *prompt, *negative;  /* text conditioning ... */
    const float *cond;              /* ... or supplied [class width] vectors (not re-normalized) */
    const float *uncond;            /* with cond: NULL = the encoded negative prompt */
    float seconds;                  /* <= 0: default_seconds */
    int32_t steps;                  /* 0: 10 */
    float cfg;                      /* < 0: 2.5 */
    uint64_t seed;
    int sched_kind;                 /* -1: the file's scheduler */
    const float *init_noise;        /* NULL or the initial latents */
    a2a_progress_fn progress;
    void *user;
    const volatile int *cancel;
} a2a_audioldm_params;

a2a_audioldm_params a2a_audioldm_default_params(void);

/* Generate: *wave (malloc'd, caller frees) gets *n_samples mono samples at *rate Hz. Errors as
   a2a_sd_generate. */
a2a_status a2a_audioldm_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_audioldm *m, const a2a_audioldm_params *p,
                                 float **wave, int64_t *n_samples, int *rate);

#endif
