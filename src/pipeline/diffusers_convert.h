/* Internal: a diffusers pipeline folder (model_index.json + one folder per component, as
   save_pretrained / the Hugging Face Hub lay it out) -> one any2any pipeline GGUF file.

   StableDiffusionPipeline (SD 1.x, 2.x) -> general.architecture "stable_diffusion":
     text_encoder/ + tokenizer/  -> "text_encoder." tensors, clip_text.* keys, tokenizer.*
     unet/                       -> "unet." tensors, unet2d.* keys
     vae/                        -> "vae." tensors, autoencoder_kl.* keys
     scheduler/scheduler_config.json -> sd.scheduler.* keys (class, num_train_timesteps,
                                  beta_start, beta_end, beta_schedule, prediction_type,
                                  steps_offset, set_alpha_to_one, clip_sample, timestep_spacing)
   Load the result with a2a_sd_load (pipeline/sd_pipeline.h).

   AudioLDMPipeline -> general.architecture "audioldm": text_encoder/ + tokenizer/ (CLAP text
   branch, RoBERTa vocabulary) -> "text_encoder.", unet/ -> "unet.", vae/ (mel VAE) -> "vae.",
   vocoder/ (SpeechT5HifiGan) -> "vocoder.", scheduler -> audioldm.scheduler.* keys. Load it with
   a2a_audioldm_load (pipeline/audioldm_pipeline.h). */
#ifndef A2A_PIPELINE_DIFFUSERS_CONVERT_H
#define A2A_PIPELINE_DIFFUSERS_CONVERT_H

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"

typedef struct a2a_diffusers_convert_params {
    a2a_type weight_type;     /* linears (attention, feed-forward, projections): F32, F16 (default), Q8_0 */
    a2a_type conv_type;       /* convolutions: F32 or F16 (default) */
    a2a_threadpool *tp;
    a2a_progress_fn progress; /* per tensor, per component; nonzero cancels */
    void *user;
} a2a_diffusers_convert_params;

a2a_diffusers_convert_params a2a_diffusers_convert_default_params(void);

/* Convert dir into out_gguf (atomically; checked by loading it back). Errors name the folder or
   file: A2A_ERR_NOT_FOUND (model_index.json, a component), A2A_ERR_UNSUPPORTED (a pipeline
   class or component we do not implement), and what the component converters report. */
a2a_status a2a_diffusers_convert(a2a_ctx *ctx, const char *dir, const char *out_gguf,
                                 const a2a_diffusers_convert_params *p);

#endif
