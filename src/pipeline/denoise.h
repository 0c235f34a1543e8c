/* Internal: the denoising loop shared by the diffusion pipelines (Stable Diffusion, AudioLDM,
   Zeroscope), as diffusers' pipelines run it:
     latents = noise * init_noise_sigma                (text-to-X)
             | add_noise(x0, noise, start step)         (X-to-X with a strength)
     for each timestep t from the start step:
         x = [latents] * nb  (nb = 2 with classifier-free guidance: uncond, cond)
         scale_model_input(x); eps = denoiser(x, [t] * nb)
         eps = eps_u + cfg (eps_c - eps_u)              (when guided)
         latents = scheduler.step(eps, latents)
   The denoiser is a callback, so each pipeline passes its conditioning its own way (context
   for the UNets, class labels for AudioLDM). Noise comes from the seeded Philox generator
   (same numbers for any thread count) unless the caller supplies the initial noise. */
#ifndef A2A_PIPELINE_DENOISE_H
#define A2A_PIPELINE_DENOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "pipeline/scheduler.h"

/* eps = denoiser(x, t): x and eps F32 with the latent item shape plus a batch dim of nb;
   t holds nb timesteps (all equal). */
typedef a2a_status (*a2a_denoise_fn)(a2a_ctx *ctx, void *user, const a2a_tensor *x, const float *t, a2a_tensor *eps);

typedef struct a2a_denoise_params {
    a2a_scheduler_params sched;
    int32_t steps;               /* 1.. */
    float cfg;                   /* > 1: guided (nb = 2, uncond first); else one pass */
    uint64_t seed;               /* initial noise (stream 0) and ancestral noise (stream 1) */
    const float *init_noise;     /* NULL or the initial N(0,1) latents (n floats) */
    const float *x0;             /* NULL, or clean latents to start from (img2img) ... */
    double strength;             /* ... with this strength in (0, 1] */
    a2a_progress_fn progress;    /* per denoiser call: (done, total, "denoise"); nonzero cancels */
    void *user;
    const volatile int *cancel;  /* polled before every step */
} a2a_denoise_params;

/* Run the loop. item_ne[0..n_dims) is the shape of one latent item (ggml order, n_dims <= 4;
   the batch dim is appended); lat receives the final latents (n = prod(item_ne) floats).
   Errors: A2A_ERR_INVALID_ARG (shape, steps, strength), A2A_ERR_CANCELLED, A2A_ERR_NOMEM,
   the scheduler's and the denoiser's errors. */
a2a_status a2a_denoise(a2a_ctx *ctx, const a2a_denoise_params *p, const int64_t *item_ne, int n_dims,
                       a2a_denoise_fn fn, void *user, float *lat);

#endif
