/* Stable Diffusion pipeline: see sd_pipeline.h. */
#include "pipeline/sd_pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/gguf.h"
#include "pipeline/denoise.h"
#include "pipeline/scheduler_config.h"
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
    if (st == A2A_OK) st = a2a_scheduler_config_read(ctx, sd->g, "sd.scheduler", -1, &sd->sched);
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
    if (st == A2A_OK) st = a2a_gguf_opt_i32(ctx, sd->g, "sd.default_steps", &sd->default_steps);
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

a2a_status a2a_clip_conditioning(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *te, const char *prompt,
                                 const char *negative, const float *cond, const float *uncond, int64_t D, float *ctxbuf) {
    const size_t one = (size_t)A2A_CLIP_CONTEXT * (size_t)D;
    if (cond) memcpy(ctxbuf + one, cond, one * sizeof(float));
    if (cond && uncond) {
        memcpy(ctxbuf, uncond, one * sizeof(float));
        return A2A_OK;
    }
    if (!te)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "the pipeline file has no text encoder: supply both the conditioning and the unconditional embedding");
    const char *neg = negative ? negative : "";
    if (cond) return a2a_clip_text_encode_prompts(ctx, tp, te, &neg, 1, 0, ctxbuf, NULL);
    const char *prompts[2] = {neg, prompt};
    return a2a_clip_text_encode_prompts(ctx, tp, te, prompts, 2, 0, ctxbuf, NULL);
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

/* The UNet as a denoiser over a fixed context (see pipeline/denoise.h). */
typedef struct sd_denoiser {
    a2a_threadpool *tp;
    a2a_unet2d *unet;
    const a2a_tensor *context; /* [D, 77, nb] */
} sd_denoiser;

static a2a_status sd_unet(a2a_ctx *ctx, void *user, const a2a_tensor *x, const float *t, a2a_tensor *eps) {
    const sd_denoiser *d = user;
    return a2a_unet2d_forward(ctx, d->tp, d->unet, x, t, d->context, NULL, eps);
}

a2a_status a2a_sd_scheduler(a2a_ctx *ctx, const a2a_sd *sd, int kind, a2a_scheduler_params *out) {
    if (kind < 0) {
        *out = sd->sched;
        return A2A_OK;
    }
    return a2a_scheduler_config_read(ctx, sd->g, "sd.scheduler", kind, out);
}

a2a_status a2a_sd_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_sd *sd, const a2a_sd_params *p, float **pixels,
                           int32_t *w, int32_t *h) {
    *pixels = NULL;
    const a2a_unet2d_config *uc = a2a_unet2d_get_config(sd->unet);
    const a2a_vae_config *vc = a2a_vae_get_config(sd->vae);
    const int f = a2a_vae_downscale(sd->vae), mult = f * a2a_unet2d_side_multiple(sd->unet);
    const int32_t W = p->width ? p->width : sd->default_size, H = p->height ? p->height : sd->default_size;
    if (W <= 0 || H <= 0 || W > A2A_SD_MAX_SIDE || H > A2A_SD_MAX_SIDE || W % mult || H % mult)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: %dx%d is not a size in 1..%d that divides by %d", W, H,
                        A2A_SD_MAX_SIDE, mult);
    a2a_denoise_params dp = {0};
    dp.steps = p->steps ? p->steps : sd->default_steps;
    dp.cfg = p->cfg < 0 ? sd->default_cfg : p->cfg;
    dp.seed = p->seed;
    dp.init_noise = p->init_noise;
    dp.strength = p->strength;
    dp.progress = p->progress;
    dp.user = p->user;
    dp.cancel = p->cancel;
    if (dp.steps < 1 || dp.steps > A2A_SD_MAX_STEPS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: %d steps (1..%d)", dp.steps, A2A_SD_MAX_STEPS);
    if (!isfinite(dp.cfg)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: guidance scale is not finite");
    if (!p->prompt && !p->cond) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: neither a prompt nor a conditioning");
    if (p->prompt && p->cond) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: both a prompt and a conditioning");
    if (p->init_image && !(p->strength > 0.0f && p->strength <= 1.0f))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sd: strength %g outside (0, 1]", (double)p->strength);

    const bool guided = dp.cfg > 1.0f;
    const int64_t lw = W / f, lh = H / f, L = uc->in_channels, n = lw * lh * L, D = a2a_unet2d_context_dim(sd->unet);
    float *ctxbuf = malloc(sizeof(float) * 2 * A2A_CLIP_CONTEXT * (size_t)D);
    float *lat = malloc(sizeof(float) * (size_t)n), *x0 = NULL;
    float *img = malloc(sizeof(float) * 3 * (size_t)W * (size_t)H);
    a2a_status st = A2A_OK;
    if (!ctxbuf || !lat || !img) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "sd: out of memory for %dx%d", W, H);
        goto done;
    }
    if ((st = a2a_clip_conditioning(ctx, tp, sd->te, p->prompt, p->negative, p->cond, p->uncond, D, ctxbuf)) != A2A_OK)
        goto done;
    a2a_gguf_release_pages(sd->g, "text_encoder."); /* peak memory: each component resident only while it runs */
    if ((st = a2a_sd_scheduler(ctx, sd, p->sched_kind, &dp.sched)) != A2A_OK) goto done;
    if (p->init_image) {
        if (!(x0 = malloc(sizeof(float) * (size_t)n))) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "sd: out of memory");
            goto done;
        }
        if ((st = encode_init(ctx, tp, sd, p->init_image, W, H, x0, lw, lh, L)) != A2A_OK) goto done;
        dp.x0 = x0;
    }
    a2a_tensor tc;
    int64_t ne_c[3] = {D, A2A_CLIP_CONTEXT, guided ? 2 : 1};
    a2a_tensor_init(&tc, A2A_TYPE_F32, 3, ne_c, guided ? ctxbuf : ctxbuf + (size_t)A2A_CLIP_CONTEXT * (size_t)D);
    sd_denoiser den = {tp, sd->unet, &tc};
    const int64_t item[3] = {lw, lh, L};
    if ((st = a2a_denoise(ctx, &dp, item, 3, sd_unet, &den, lat)) != A2A_OK) goto done;
    a2a_gguf_release_pages(sd->g, "unet.");
    for (int64_t i = 0; i < n; i++) lat[i] = lat[i] / vc->scaling_factor + vc->shift_factor;
    a2a_tensor tz = tens4(lat, lw, lh, L, 1), ti = tens4(img, W, H, 3, 1);
    if (p->vae_tiling || (int64_t)W * H > 1024 * 1024)
        st = a2a_vae_decode_tiled(ctx, tp, sd->vae, &tz, &ti, NULL);
    else
        st = a2a_vae_decode(ctx, tp, sd->vae, &tz, &ti);
    if (st != A2A_OK) goto done;
    *pixels = img;
    img = NULL;
    *w = W;
    *h = H;
done:
    free(ctxbuf);
    free(lat);
    free(x0);
    free(img);
    return st;
}
