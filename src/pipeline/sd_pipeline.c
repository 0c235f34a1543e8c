/* Stable Diffusion pipeline: see sd_pipeline.h. */
#include "pipeline/sd_pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/gguf.h"
#include "text/clip_vocab.h"

a2a_sd_params a2a_sd_default_params(void) {
    a2a_sd_params p;
    memset(&p, 0, sizeof p);
    p.cfg = -1.0f;
    p.sched_kind = -1;
    p.strength = 0.8f;
    return p;
}

void a2a_sd_free(a2a_sd *sd) {
    if (!sd) return;
    a2a_clip_text_free(sd->te);
    a2a_unet2d_free(sd->unet);
    a2a_vae_free(sd->vae);
    a2a_gguf_close(sd->g);
    free(sd);
}

/* Scheduler kind from diffusers' class name; -1 when unknown. */
static int sched_kind_of(const char *name, size_t n) {
    static const struct { const char *cls; a2a_scheduler_kind k; } map[] = {
        {"PNDMScheduler", A2A_SCHED_PNDM},
        {"DDIMScheduler", A2A_SCHED_DDIM},
        {"EulerDiscreteScheduler", A2A_SCHED_EULER},
        {"EulerAncestralDiscreteScheduler", A2A_SCHED_EULER_ANCESTRAL},
        {"DPMSolverMultistepScheduler", A2A_SCHED_DPMPP_2M},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].cls) == n && !memcmp(map[i].cls, name, n)) return (int)map[i].k;
    return -1;
}

/* Optional typed metadata readers: leave *out unchanged when the key is absent. */
static a2a_status opt_f64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, double *out) {
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    float f;
    a2a_status st = a2a_gguf_get_f32(ctx, g, key, &f);
    if (st == A2A_OK) *out = (double)f;
    return st;
}
static a2a_status opt_i32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t *out) {
    return a2a_gguf_find_key(g, key) < 0 ? A2A_OK : a2a_gguf_get_i32(ctx, g, key, out);
}
static a2a_status opt_bool(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool *out) {
    return a2a_gguf_find_key(g, key) < 0 ? A2A_OK : a2a_gguf_get_bool(ctx, g, key, out);
}
/* String key compared against a list of names; *out = index, unchanged when the key is absent. */
static a2a_status opt_enum(a2a_ctx *ctx, const a2a_gguf *g, const char *key, const char *const *names, int n,
                           int *out) {
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    const char *s;
    size_t len;
    a2a_status st = a2a_gguf_get_str(ctx, g, key, &s, &len);
    if (st != A2A_OK) return st;
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len)) {
            *out = i;
            return A2A_OK;
        }
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "sd: %s = '%.*s' is not supported", key, (int)(len > 64 ? 64 : len), s);
}

/* The scheduler of the file (sd.scheduler.*), or kind's defaults with the file's betas and
   prediction type when kind >= 0 (diffusers' Kind.from_config(pipe.scheduler.config)). */
static a2a_status read_scheduler(a2a_ctx *ctx, const a2a_gguf *g, int kind, a2a_scheduler_params *out) {
    int file_kind = A2A_SCHED_PNDM;
    if (a2a_gguf_find_key(g, "sd.scheduler.class") >= 0) {
        const char *s;
        size_t len;
        a2a_status st = a2a_gguf_get_str(ctx, g, "sd.scheduler.class", &s, &len);
        if (st != A2A_OK) return st;
        file_kind = sched_kind_of(s, len);
        if (file_kind < 0 && kind < 0)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "sd: scheduler %.*s is not supported (PNDM, DDIM, Euler, Euler ancestral, DPM++ 2M)",
                            (int)(len > 64 ? 64 : len), s);
    }
    a2a_scheduler_params p = a2a_scheduler_default_params((a2a_scheduler_kind)(kind >= 0 ? kind : file_kind));
    static const char *const schedules[] = {"linear", "scaled_linear", "squaredcos_cap_v2"};
    static const char *const preds[] = {"epsilon", "v_prediction"};
    static const char *const spacings[] = {"leading", "linspace", "trailing"};
    int bs = (int)p.beta_schedule, pt = (int)p.prediction_type, sp = (int)p.timestep_spacing;
    a2a_status st;
    if ((st = opt_i32(ctx, g, "sd.scheduler.num_train_timesteps", &p.num_train_timesteps)) ||
        (st = opt_f64(ctx, g, "sd.scheduler.beta_start", &p.beta_start)) ||
        (st = opt_f64(ctx, g, "sd.scheduler.beta_end", &p.beta_end)) ||
        (st = opt_enum(ctx, g, "sd.scheduler.beta_schedule", schedules, 3, &bs)) ||
        (st = opt_enum(ctx, g, "sd.scheduler.prediction_type", preds, 2, &pt)) ||
        (st = opt_i32(ctx, g, "sd.scheduler.steps_offset", &p.steps_offset)) ||
        (st = opt_bool(ctx, g, "sd.scheduler.set_alpha_to_one", &p.set_alpha_to_one)) ||
        (st = opt_bool(ctx, g, "sd.scheduler.clip_sample", &p.clip_sample)) ||
        (st = opt_enum(ctx, g, "sd.scheduler.timestep_spacing", spacings, 3, &sp)))
        return st;
    if (p.kind != A2A_SCHED_DDIM) p.clip_sample = false;
    p.beta_schedule = (a2a_beta_schedule)bs;
    p.prediction_type = (a2a_prediction_type)pt;
    p.timestep_spacing = (a2a_timestep_spacing)sp;
    *out = p;
    return A2A_OK;
}

a2a_status a2a_sd_load(a2a_ctx *ctx, const char *path, a2a_sd **out) {
    *out = NULL;
    a2a_sd *sd = calloc(1, sizeof *sd);
    if (!sd) return a2a_fail(ctx, A2A_ERR_NOMEM, "sd: out of memory");
    a2a_status st = a2a_gguf_open(ctx, path, &sd->g);
    const char *arch = NULL;
    size_t al = 0;
    if (st == A2A_OK) st = a2a_gguf_get_str(ctx, sd->g, "general.architecture", &arch, &al);
    if (st == A2A_OK && !(al == strlen(A2A_SD_ARCH) && !memcmp(arch, A2A_SD_ARCH, al)))
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: general.architecture is '%.*s', not '" A2A_SD_ARCH "'", path,
                      (int)(al > 64 ? 64 : al), arch);
    if (st == A2A_OK && a2a_gguf_find_key(sd->g, "clip_text.hidden_size") >= 0)
        st = a2a_clip_text_load_gguf(ctx, sd->g, "text_encoder.", &sd->te);
    if (st == A2A_OK) st = a2a_unet2d_load_gguf(ctx, sd->g, "unet.", &sd->unet);
    if (st == A2A_OK) st = a2a_vae_load_gguf(ctx, sd->g, "vae.", &sd->vae);
    if (st == A2A_OK) st = read_scheduler(ctx, sd->g, -1, &sd->sched);
    if (st == A2A_OK) {
        const a2a_unet2d_config *uc = a2a_unet2d_get_config(sd->unet);
        const a2a_vae_config *vc = a2a_vae_get_config(sd->vae);
        if (vc->out_channels != 3)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the VAE makes %d-channel images, not RGB", path, vc->out_channels);
        else if (uc->in_channels != vc->latent_channels || uc->out_channels != vc->latent_channels)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the UNet takes %d/%d channels but the VAE latents have %d", path,
                          uc->in_channels, uc->out_channels, vc->latent_channels);
        else if (sd->te && a2a_clip_text_get_config(sd->te)->hidden_size != a2a_unet2d_context_dim(sd->unet))
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the text encoder is %d wide but the UNet attends to %d-wide context",
                          path, a2a_clip_text_get_config(sd->te)->hidden_size, a2a_unet2d_context_dim(sd->unet));
        sd->default_size = (uc->sample_size > 0 ? uc->sample_size : 64) * a2a_vae_downscale(sd->vae);
    }
    sd->default_steps = 50;
    sd->default_cfg = 7.5f;
    if (st == A2A_OK) st = opt_i32(ctx, sd->g, "sd.default_steps", &sd->default_steps);
    if (st == A2A_OK && a2a_gguf_find_key(sd->g, "sd.default_guidance") >= 0)
        st = a2a_gguf_get_f32(ctx, sd->g, "sd.default_guidance", &sd->default_cfg);
    if (st != A2A_OK) {
        a2a_sd_free(sd);
        return st;
    }
    *out = sd;
    return A2A_OK;
}

/* A contiguous F32 tensor header over data with n_dims dims (trailing 1s kept). */
static a2a_tensor tens4(float *data, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    a2a_tensor t;
    int64_t ne[4] = {ne0, ne1, ne2, ne3};
    a2a_tensor_init(&t, A2A_TYPE_F32, 4, ne, data);
    return t;
}

/* cond/uncond [77][D] each into ctxbuf [2][77][D] (uncond first, as diffusers concatenates). */
static a2a_status conditioning(a2a_ctx *ctx, a2a_threadpool *tp, a2a_sd *sd, const a2a_sd_params *p, int64_t D,
                               float *ctxbuf) {
    const size_t one = (size_t)A2A_CLIP_CONTEXT * (size_t)D;
    if (p->cond) memcpy(ctxbuf + one, p->cond, one * sizeof(float));
    if (p->cond && p->uncond) {
        memcpy(ctxbuf, p->uncond, one * sizeof(float));
        return A2A_OK;
    }
    if (!sd->te)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "sd: the file has no text encoder: supply both the conditioning and the unconditional embedding");
    const char *neg = p->negative ? p->negative : "";
    if (p->cond) return a2a_clip_text_encode_prompts(ctx, tp, sd->te, &neg, 1, 0, ctxbuf, NULL);
    const char *prompts[2] = {neg, p->prompt};
    return a2a_clip_text_encode_prompts(ctx, tp, sd->te, prompts, 2, 0, ctxbuf, NULL);
}

/* Latents of the init image: mean of the VAE posterior * scaling_factor (minus shift). */
static a2a_status encode_init(a2a_ctx *ctx, a2a_threadpool *tp, a2a_sd *sd, const a2a_image *img, int32_t W,
                              int32_t H, float *lat, int64_t lw, int64_t lh, int64_t L) {
    if (img->w != W || img->h != H || img->c != 3)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: the init image is %dx%dx%d, expected %dx%dx3", img->w, img->h,
                        img->c, W, H);
    float *x = malloc(sizeof(float) * 3 * (size_t)W * (size_t)H);
    if (!x) return a2a_fail(ctx, A2A_ERR_NOMEM, "sd: out of memory");
    /* diffusers' VaeImageProcessor: pixels / 255 * 2 - 1, planes [c][y][x] */
    for (int64_t c = 0; c < 3; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t i = 0; i < W; i++)
                x[(c * H + y) * W + i] = (float)img->data[(y * W + i) * 3 + c] / 255.0f * 2.0f - 1.0f;
    a2a_tensor ti = tens4(x, W, H, 3, 1), tm = tens4(lat, lw, lh, L, 1);
    a2a_status st = a2a_vae_encode(ctx, tp, sd->vae, &ti, &tm, NULL);
    free(x);
    if (st != A2A_OK) return st;
    const a2a_vae_config *vc = a2a_vae_get_config(sd->vae);
    for (int64_t i = 0; i < lw * lh * L; i++) lat[i] = (lat[i] - vc->shift_factor) * vc->scaling_factor;
    return A2A_OK;
}

a2a_status a2a_sd_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_sd *sd, const a2a_sd_params *p, float **pixels,
                           int32_t *w, int32_t *h) {
    *pixels = NULL;
    const a2a_unet2d_config *uc = a2a_unet2d_get_config(sd->unet);
    const a2a_vae_config *vc = a2a_vae_get_config(sd->vae);
    const int f = a2a_vae_downscale(sd->vae), mult = f * a2a_unet2d_side_multiple(sd->unet);
    const int32_t W = p->width ? p->width : sd->default_size, H = p->height ? p->height : sd->default_size;
    const int32_t steps = p->steps ? p->steps : sd->default_steps;
    const float cfg = p->cfg < 0 ? sd->default_cfg : p->cfg;
    if (W <= 0 || H <= 0 || W > A2A_SD_MAX_SIDE || H > A2A_SD_MAX_SIDE || W % mult || H % mult)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: %dx%d is not a size in 1..%d that divides by %d", W, H,
                        A2A_SD_MAX_SIDE, mult);
    if (steps < 1 || steps > A2A_SD_MAX_STEPS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: %d steps (1..%d)", steps, A2A_SD_MAX_STEPS);
    if (!isfinite(cfg)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: guidance scale is not finite");
    if (!p->prompt && !p->cond) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: neither a prompt nor a conditioning");
    if (p->prompt && p->cond) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: both a prompt and a conditioning");
    if (p->init_image && !(p->strength > 0.0f && p->strength <= 1.0f))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: strength %g outside (0, 1]", (double)p->strength);

    const bool guided = cfg > 1.0f;
    const int64_t lw = W / f, lh = H / f, L = uc->in_channels, n = lw * lh * L, D = a2a_unet2d_context_dim(sd->unet);
    const int64_t nb = guided ? 2 : 1;
    float *ctxbuf = malloc(sizeof(float) * 2 * A2A_CLIP_CONTEXT * (size_t)D);
    float *lat = malloc(sizeof(float) * (size_t)n), *x = malloc(sizeof(float) * (size_t)(2 * n));
    float *eps = malloc(sizeof(float) * (size_t)(2 * n)), *noise = malloc(sizeof(float) * (size_t)n);
    float *img = malloc(sizeof(float) * 3 * (size_t)W * (size_t)H);
    a2a_scheduler *sch = NULL;
    a2a_status st = A2A_OK;
    if (!ctxbuf || !lat || !x || !eps || !noise || !img) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "sd: out of memory for %dx%d", W, H);
        goto done;
    }
    if ((st = conditioning(ctx, tp, sd, p, D, ctxbuf)) != A2A_OK) goto done;
    a2a_scheduler_params sp = sd->sched;
    if (p->sched_kind >= 0 && (st = read_scheduler(ctx, sd->g, p->sched_kind, &sp)) != A2A_OK) goto done;
    if ((st = a2a_scheduler_init(ctx, &sp, steps, &sch)) != A2A_OK) goto done;
    int32_t nt = 0, i0 = 0;
    const float *ts = a2a_scheduler_timesteps(sch, &nt);
    if (p->init_noise) memcpy(noise, p->init_noise, sizeof(float) * (size_t)n);
    else a2a_philox_normal(p->seed, 0, 0xFFFFFFFFu, 0, noise, n);
    if (p->init_image) {
        if ((st = encode_init(ctx, tp, sd, p->init_image, W, H, lat, lw, lh, L)) != A2A_OK ||
            (st = a2a_scheduler_img2img_start(ctx, sch, p->strength, &i0)) != A2A_OK ||
            (st = a2a_scheduler_add_noise(ctx, sch, i0, lat, noise, lat, n)) != A2A_OK)
            goto done;
    } else {
        const float s0 = a2a_scheduler_init_noise_sigma(sch);
        for (int64_t i = 0; i < n; i++) lat[i] = noise[i] * s0;
    }
    a2a_philox_noise step_noise = {p->seed, 1};
    a2a_tensor tx = tens4(x, lw, lh, L, nb), te = tens4(eps, lw, lh, L, nb);
    a2a_tensor tc;
    int64_t ne_c[3] = {D, A2A_CLIP_CONTEXT, nb};
    a2a_tensor_init(&tc, A2A_TYPE_F32, 3, ne_c, guided ? ctxbuf : ctxbuf + (size_t)A2A_CLIP_CONTEXT * (size_t)D);
    for (int32_t i = i0; i < nt; i++) {
        if (p->cancel && *p->cancel) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "sd: cancelled at step %d of %d", i - i0, nt - i0);
            goto done;
        }
        for (int64_t b = 0; b < nb; b++) {
            memcpy(x + b * n, lat, sizeof(float) * (size_t)n);
            a2a_scheduler_scale_model_input(sch, i, x + b * n, n);
        }
        const float tt[2] = {ts[i], ts[i]};
        if ((st = a2a_unet2d_forward(ctx, tp, sd->unet, &tx, tt, &tc, NULL, &te)) != A2A_OK) goto done;
        if (guided) a2a_scheduler_cfg(eps, eps + n, cfg, eps, n);
        if ((st = a2a_scheduler_step(ctx, sch, i, eps, lat, n, a2a_noise_philox, &step_noise)) != A2A_OK) goto done;
        if (p->progress && p->progress(i - i0 + 1, nt - i0, "denoise", p->user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "sd: cancelled after step %d of %d", i - i0 + 1, nt - i0);
            goto done;
        }
    }
    for (int64_t i = 0; i < n; i++) lat[i] = lat[i] / vc->scaling_factor + vc->shift_factor;
    a2a_tensor tz = tens4(lat, lw, lh, L, 1), ti = tens4(img, W, H, 3, 1);
    if ((st = a2a_vae_decode(ctx, tp, sd->vae, &tz, &ti)) != A2A_OK) goto done;
    *pixels = img;
    img = NULL;
    *w = W;
    *h = H;
done:
    a2a_scheduler_free(sch);
    free(ctxbuf);
    free(lat);
    free(x);
    free(eps);
    free(noise);
    free(img);
    return st;
}
