/* Internal: diffusion noise schedulers that reproduce diffusers 0.35.2 step for step —
   PNDM (PLMS path, skip_prk_steps=True: Stable Diffusion 1.x's default), DDIM (eta = 0 and
   eta > 0), Euler, Euler ancestral and DPM-Solver++ 2M (with and without Karras sigmas) — plus
   the classifier-free-guidance combination, the img2img start rule (diffusers' get_timesteps)
   and add_noise.

   Numerics: diffusers keeps its schedule tables (betas, alphas_cumprod, sigmas) in float32 and
   computes the per-step coefficients as float32 0-dim tensors; the samples of a float32
   pipeline are float32. This file reproduces those float32 operations in the same order
   (alphas_cumprod bit for bit: torch.linspace's single-rounding evaluation, cumprod with a
   double accumulator; np.interp / Karras ramps / sigma->t in double like numpy). Our sqrt is
   correctly rounded while torch's float32 sqrt/log/exp go through MKL VML (within 1 ulp, not
   always correctly rounded), so sigma tables agree to 1 ulp and a whole trajectory to ~1e-6
   relative (see tests/golden/test_golden_schedulers.c for the measured errors).

   Usage (text-to-image, classifier-free guidance):
       a2a_scheduler_params p = a2a_scheduler_default_params(A2A_SCHED_DPMPP_2M);
       a2a_scheduler *s;
       if (a2a_scheduler_init(ctx, &p, 25, &s) != A2A_OK) ...;
       int32_t nt; const float *ts = a2a_scheduler_timesteps(s, &nt);
       fill latents with N(0,1) noise (e.g. a2a_philox_normal), then scale them by
       a2a_scheduler_init_noise_sigma(s);
       for (int32_t i = 0; i < nt; i++) {
           copy latents to x_in; a2a_scheduler_scale_model_input(s, i, x_in, n);
           run the UNet at timestep ts[i] on x_in (uncond and cond) -> eps_u, eps_c;
           a2a_scheduler_cfg(eps_u, eps_c, 7.5f, eps, n);
           a2a_scheduler_step(ctx, s, i, eps, latents, n, a2a_noise_philox, &rng);
       }
       a2a_scheduler_free(s);
   img2img: a2a_scheduler_img2img_start(ctx, s, strength, &i0); latents =
   a2a_scheduler_add_noise(image latents, noise, step i0); then run the loop from i = i0. */
#ifndef A2A_PIPELINE_SCHEDULER_H
#define A2A_PIPELINE_SCHEDULER_H

#include "core/status.h"

typedef enum a2a_scheduler_kind {
    A2A_SCHED_PNDM = 0,            /* PNDMScheduler, skip_prk_steps=True (PLMS) */
    A2A_SCHED_DDIM = 1,            /* DDIMScheduler */
    A2A_SCHED_EULER = 2,           /* EulerDiscreteScheduler (s_churn = 0) */
    A2A_SCHED_EULER_ANCESTRAL = 3, /* EulerAncestralDiscreteScheduler */
    A2A_SCHED_DPMPP_2M = 4,        /* DPMSolverMultistepScheduler, dpmsolver++, order 2, midpoint */
    A2A_SCHED_KIND_COUNT
} a2a_scheduler_kind;

typedef enum a2a_beta_schedule {
    A2A_BETA_LINEAR = 0,           /* linspace(beta_start, beta_end) */
    A2A_BETA_SCALED_LINEAR = 1,    /* linspace(sqrt(beta_start), sqrt(beta_end))^2 (SD, AudioLDM, zeroscope) */
    A2A_BETA_SQUAREDCOS_CAP_V2 = 2 /* cosine alpha_bar, betas capped at 0.999 */
} a2a_beta_schedule;

typedef enum a2a_prediction_type {
    A2A_PRED_EPSILON = 0,          /* the model predicts the noise */
    A2A_PRED_V = 1                 /* v_prediction (SD 2.x 768) */
} a2a_prediction_type;

typedef enum a2a_timestep_spacing {
    A2A_SPACING_LEADING = 0,
    A2A_SPACING_LINSPACE = 1,
    A2A_SPACING_TRAILING = 2
} a2a_timestep_spacing;

/* Scheduler configuration: the fields of diffusers' scheduler_config.json that matter. */
typedef struct a2a_scheduler_params {
    a2a_scheduler_kind kind;
    int32_t num_train_timesteps;        /* 1000 */
    double beta_start, beta_end;        /* 0.00085, 0.012 (SD 1.x/2.x, zeroscope, AudioLDM) */
    a2a_beta_schedule beta_schedule;    /* scaled_linear */
    a2a_prediction_type prediction_type;/* epsilon */
    a2a_timestep_spacing timestep_spacing;
    int32_t steps_offset;               /* 1 (added to "leading" timesteps) */
    bool set_alpha_to_one;              /* PNDM/DDIM: alpha_cumprod "before" step 0 is 1 (else alphas_cumprod[0]); false */
    bool clip_sample;                   /* DDIM: clamp predicted x0 to [-clip_sample_range, clip_sample_range]; false */
    float clip_sample_range;            /* 1 */
    float eta;                          /* DDIM: 0 = deterministic; > 0 draws noise each step */
    bool use_karras_sigmas;             /* Euler, DPM++: Karras rho=7 sigma ramp; false */
    bool lower_order_final;             /* DPM++: first-order final steps (< 15 steps); true. With
                                           final_sigmas_type "zero" (the only one supported) the
                                           last step is first order anyway, as in diffusers. */
} a2a_scheduler_params;

/* Defaults: what diffusers builds with `Kind.from_config(sd15_scheduler_config)` for SD 1.5's
   scheduler_config.json (scaled_linear 0.00085..0.012, 1000 steps, epsilon, steps_offset 1,
   set_alpha_to_one false, clip_sample false): timestep_spacing is "leading" for PNDM and DDIM
   and "linspace" (their class default, absent from that file) for Euler, Euler ancestral and
   DPM++. Callers edit fields by name (prediction_type = A2A_PRED_V for SD 2.x 768, ...). */
a2a_scheduler_params a2a_scheduler_default_params(a2a_scheduler_kind kind);

/* Opaque scheduler: tables for one (params, n_steps) plus the multistep state of one run. */
typedef struct a2a_scheduler a2a_scheduler;

/* Noise source for ancestral / eta > 0 steps: fill out[0..n) with independent N(0,1) samples
   for the given step. Called at most once per step. */
typedef void (*a2a_noise_fn)(void *user, int32_t step_index, float *out, int64_t n);

/* Build a scheduler for n_steps inference steps (diffusers' set_timesteps). Errors
   (A2A_ERR_INVALID_ARG): unknown kind / schedule / spacing / prediction type, n_steps < 1 or
   > num_train_timesteps, num_train_timesteps < 2 or > 100000, beta range outside (0, 1),
   eta < 0 or not finite, eta > 0 with a kind other than DDIM, Karras sigmas with PNDM/DDIM/
   Euler ancestral, a schedule with a timestep outside [0, T-1] (e.g. "leading" with
   steps_offset 1 and n_steps = T) and "trailing" step counts for which numpy's arange yields
   n_steps + 1 timesteps (e.g. 61 of 1000: diffusers would then index timestep -1).
   On success *out is owned by the caller (free with a2a_scheduler_free). */
a2a_status a2a_scheduler_init(a2a_ctx *ctx, const a2a_scheduler_params *p, int32_t n_steps, a2a_scheduler **out);

/* Free a scheduler (NULL is fine). */
void a2a_scheduler_free(a2a_scheduler *s);

/* Forget the multistep state (PNDM history, DPM++ previous prediction) to start a new run
   with the same timesteps. a2a_scheduler_init returns a scheduler in this state. */
void a2a_scheduler_reset(a2a_scheduler *s);

/* The timesteps the denoiser sees, in order of the steps: *n entries (PNDM: n_steps + 1 for
   n_steps >= 2, the repeated PLMS warm-up step; others: n_steps). Integer-valued except for
   Euler with "linspace" spacing or Karras sigmas (float32 as diffusers has them). Valid until
   a2a_scheduler_free. */
const float *a2a_scheduler_timesteps(const a2a_scheduler *s, int32_t *n);

/* Sigma of step i (Euler, Euler ancestral, DPM++; i in [0, n], the entry n being the final 0),
   or 0 for PNDM/DDIM. */
float a2a_scheduler_sigma(const a2a_scheduler *s, int32_t i);

/* alphas_cumprod table (float32, diffusers' values bit for bit): *n = num_train_timesteps. */
const float *a2a_scheduler_alphas_cumprod(const a2a_scheduler *s, int32_t *n);

/* Factor the initial N(0,1) latents are multiplied by: 1 for PNDM/DDIM/DPM++, the largest
   sigma for Euler(-a) with linspace/trailing spacing, sqrt(sigma_max^2 + 1) with leading. */
float a2a_scheduler_init_noise_sigma(const a2a_scheduler *s);

/* Scale the denoiser input x[0..n) in place for step step_index (in [0, n_timesteps): a
   programmer error otherwise): Euler(-a) divides by sqrt(sigma^2 + 1); others leave x as is. */
void a2a_scheduler_scale_model_input(const a2a_scheduler *s, int32_t step_index, float *x, int64_t n);

/* One denoising step: sample[0..n) (the latents at timestep step_index) is replaced by the
   latents at the next timestep, given the denoiser output model_out[0..n) (noise or v
   prediction, after guidance). noise/noise_user supply N(0,1) noise for Euler ancestral and
   DDIM with eta > 0 (unused otherwise, may be NULL then). PNDM and DPM++ keep history: after
   the first step of a run (any index, e.g. the img2img start), steps must come in order and
   with the same n. The first step allocates the history/scratch buffers (no allocation later).
   Errors: step_index out of range or out of order, n < 1 or changed, missing noise source,
   out of memory. */
a2a_status a2a_scheduler_step(a2a_ctx *ctx, a2a_scheduler *s, int32_t step_index, const float *model_out, float *sample,
                              int64_t n, a2a_noise_fn noise, void *noise_user);

/* Forward-diffuse clean latents x0[0..n) to the timestep of step step_index with the given
   N(0,1) noise[0..n) into out[0..n) (out may alias x0 or noise), as diffusers' add_noise with
   that step's timestep: PNDM/DDIM sqrt(acp) x0 + sqrt(1 - acp) noise; Euler(-a) x0 + sigma
   noise; DPM++ alpha_t x0 + sigma_t noise. Errors: step_index outside [0, n_timesteps). */
a2a_status a2a_scheduler_add_noise(a2a_ctx *ctx, const a2a_scheduler *s, int32_t step_index, const float *x0,
                                   const float *noise, float *out, int64_t n);

/* img2img: the first step index for a strength in [0, 1] (diffusers' get_timesteps:
   init = min(int(n_steps * strength), n_steps), start = n_steps - init), into *start_index.
   Run the steps start_index .. n_timesteps-1 after adding noise at start_index. Errors:
   strength outside [0, 1] or not finite, or so small that no step is left. */
a2a_status a2a_scheduler_img2img_start(a2a_ctx *ctx, const a2a_scheduler *s, double strength, int32_t *start_index);

/* Classifier-free guidance: out = uncond + scale * (cond - uncond), evaluated in float32 in the
   same order as diffusers' pipelines. out may alias uncond or cond. */
void a2a_scheduler_cfg(const float *uncond, const float *cond, float scale, float *out, int64_t n);

/* ---- default noise source: Philox4x32-10 counter-based generator + Box-Muller ----
   Element i of (seed, stream, sub) is a pure function of those four values, so any split of the
   work across threads gives the same numbers. It does NOT reproduce torch.randn's numbers (the
   golden tests feed the same stored noise to both sides instead). */

/* out[j] = N(0,1) sample number (offset + j) of (seed, stream, sub), j in [0, n). */
void a2a_philox_normal(uint64_t seed, uint32_t stream, uint32_t sub, int64_t offset, float *out, int64_t n);

/* State for a2a_noise_philox: a seed and a stream id (e.g. the batch item). */
typedef struct a2a_philox_noise {
    uint64_t seed;
    uint32_t stream;
} a2a_philox_noise;

/* a2a_noise_fn over a2a_philox_noise (user): step k draws sub-stream k of (seed, stream). Use
   a2a_philox_normal(seed, stream, 0xFFFFFFFF, 0, ...) for the initial latents. */
void a2a_noise_philox(void *user, int32_t step_index, float *out, int64_t n);

#endif
