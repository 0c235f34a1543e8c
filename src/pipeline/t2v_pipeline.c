/* Text-to-video pipeline: see t2v_pipeline.h. */
#include "pipeline/t2v_pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/gguf.h"
#include "pipeline/denoise.h"
#include "pipeline/scheduler_config.h"
#include "pipeline/sd_pipeline.h"
#include "text/clip_vocab.h"

a2a_t2v_params a2a_t2v_default_params(void) {
    a2a_t2v_params p;
    memset(&p, 0, sizeof p);
    p.cfg = -1.0f;
    p.sched_kind = -1;
    return p;
}

void a2a_t2v_free(a2a_t2v *m) {
    if (!m) return;
    a2a_clip_text_free(m->te);
    a2a_unet3d_free(m->unet);
    a2a_vae_free(m->vae);
    a2a_gguf_close(m->g);
    free(m);
}

a2a_status a2a_t2v_load(a2a_ctx *ctx, const char *path, a2a_t2v **out) {
    *out = NULL;
    a2a_t2v *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "t2v: out of memory");
    const char *arch = NULL;
    size_t al = 0;
    a2a_status st = a2a_gguf_open(ctx, path, &m->g);
    if (st == A2A_OK) st = a2a_gguf_get_str(ctx, m->g, "general.architecture", &arch, &al);
    if (st == A2A_OK && !(al == strlen(A2A_T2V_ARCH) && !memcmp(arch, A2A_T2V_ARCH, al)))
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: general.architecture is '%.*s', not '" A2A_T2V_ARCH "'", path,
                      (int)(al > 64 ? 64 : al), arch);
    if (st == A2A_OK && a2a_gguf_find_key(m->g, "clip_text.hidden_size") >= 0)
        st = a2a_clip_text_load_gguf(ctx, m->g, "text_encoder.", &m->te);
    if (st == A2A_OK) st = a2a_unet3d_load_gguf(ctx, m->g, "unet.", &m->unet);
    if (st == A2A_OK) st = a2a_vae_load_gguf(ctx, m->g, "vae.", &m->vae);
    if (st == A2A_OK) st = a2a_scheduler_config_read(ctx, m->g, "t2v.scheduler", -1, &m->sched);
    if (st == A2A_OK) {
        const a2a_unet3d_config *uc = a2a_unet3d_get_config(m->unet);
        const a2a_vae_config *vc = a2a_vae_get_config(m->vae);
        if (vc->out_channels != 3 || uc->in_channels != vc->latent_channels || uc->out_channels != vc->latent_channels)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: UNet channels %d/%d, VAE latents %d, VAE output %d", path,
                          uc->in_channels, uc->out_channels, vc->latent_channels, vc->out_channels);
        else if (m->te && a2a_clip_text_get_config(m->te)->hidden_size != uc->cross_attention_dim)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the text encoder is %d wide, the UNet attends to %d", path,
                          a2a_clip_text_get_config(m->te)->hidden_size, uc->cross_attention_dim);
        m->default_size = (uc->sample_size > 0 ? uc->sample_size : 32) * a2a_vae_downscale(m->vae);
    }
    if (st != A2A_OK) {
        a2a_t2v_free(m);
        return st;
    }
    *out = m;
    return A2A_OK;
}

typedef struct t2v_denoiser {
    a2a_threadpool *tp;
    a2a_unet3d *unet;
    const a2a_tensor *context;
} t2v_denoiser;

static a2a_status t2v_unet(a2a_ctx *ctx, void *user, const a2a_tensor *x, const float *t, a2a_tensor *eps) {
    const t2v_denoiser *d = user;
    return a2a_unet3d_forward(ctx, d->tp, d->unet, x, t, d->context, eps);
}

a2a_status a2a_t2v_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_t2v *m, const a2a_t2v_params *p, float **video,
                            int32_t *w, int32_t *h, int32_t *frames) {
    *video = NULL;
    const a2a_unet3d_config *uc = a2a_unet3d_get_config(m->unet);
    const a2a_vae_config *vc = a2a_vae_get_config(m->vae);
    const int f = a2a_vae_downscale(m->vae);
    const int32_t W = p->width ? p->width : m->default_size, H = p->height ? p->height : m->default_size;
    const int32_t F = p->frames ? p->frames : 16;
    a2a_denoise_params dp = {0};
    dp.steps = p->steps ? p->steps : 50;
    dp.cfg = p->cfg < 0 ? 9.0f : p->cfg;
    dp.seed = p->seed;
    dp.init_noise = p->init_noise;
    dp.progress = p->progress;
    dp.user = p->user;
    dp.cancel = p->cancel;
    if (W <= 0 || H <= 0 || W % f || H % f || W > 4096 || H > 4096)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "t2v: %dx%d is not a size in 1..4096 that divides by %d", W, H, f);
    if (F < 1 || F > A2A_T2V_MAX_FRAMES) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "t2v: %d frames (1..%d)", F, A2A_T2V_MAX_FRAMES);
    if (dp.steps < 1 || dp.steps > 1000) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "t2v: %d steps", dp.steps);
    if (!isfinite(dp.cfg)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "t2v: guidance scale is not finite");
    if (!p->prompt == !p->cond)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "t2v: give exactly one of a prompt and a conditioning");
    const int64_t lw = W / f, lh = H / f, L = uc->in_channels, D = uc->cross_attention_dim;
    const int64_t n = lw * lh * F * L, frame_px = 3 * (int64_t)W * H;
    float *ctxbuf = malloc(sizeof(float) * 2 * A2A_CLIP_CONTEXT * (size_t)D), *lat = malloc(sizeof(float) * (size_t)n);
    float *out = malloc(sizeof(float) * (size_t)(frame_px * F));
    a2a_status st = A2A_OK;
    if (!ctxbuf || !lat || !out) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "t2v: out of memory for %d frames of %dx%d", F, W, H);
        goto done;
    }
    if ((st = a2a_clip_conditioning(ctx, tp, m->te, p->prompt, p->negative, p->cond, p->uncond, D, ctxbuf)) != A2A_OK)
        goto done;
    if ((st = a2a_scheduler_config_read(ctx, m->g, "t2v.scheduler", p->sched_kind, &dp.sched)) != A2A_OK) goto done;
    const bool guided = dp.cfg > 1.0f;
    a2a_tensor tc;
    int64_t ne_c[3] = {D, A2A_CLIP_CONTEXT, guided ? 2 : 1};
    a2a_tensor_init(&tc, A2A_TYPE_F32, 3, ne_c, guided ? ctxbuf : ctxbuf + (size_t)A2A_CLIP_CONTEXT * (size_t)D);
    t2v_denoiser den = {tp, m->unet, &tc};
    const int64_t item[4] = {lw, lh, F, L}; /* torch [C, F, H, W] */
    if ((st = a2a_denoise(ctx, &dp, item, 4, t2v_unet, &den, lat)) != A2A_OK) goto done;
    a2a_gguf_release_pages(m->g, "unet."); /* peak memory: the UNet's pages are not needed for the decode */
    for (int64_t i = 0; i < n; i++) lat[i] = lat[i] / vc->scaling_factor + vc->shift_factor;
    /* per-frame decode: the latents [W, H, F, C] seen as [W, H, C, F] (a strided view), the
       frames written [W, H, 3, F] -> frame-major [F][3][H][W] */
    a2a_tensor z, img;
    int64_t ne_i[4] = {W, H, 3, F};
    z.type = A2A_TYPE_F32;
    z.n_dims = 4;
    z.data = lat;
    z.name = "t2v latents";
    z.ne[0] = lw, z.ne[1] = lh, z.ne[2] = L, z.ne[3] = F, z.ne[4] = 1;
    z.nb[0] = sizeof(float);
    z.nb[1] = (size_t)lw * sizeof(float);
    z.nb[2] = (size_t)(lw * lh * F) * sizeof(float); /* channel stride */
    z.nb[3] = (size_t)(lw * lh) * sizeof(float);     /* frame stride */
    z.nb[4] = (size_t)n * sizeof(float);
    /* image output as [W, H, 3, F] with frame-major storage: channel stride W*H, frame stride 3*W*H */
    a2a_tensor_init(&img, A2A_TYPE_F32, 4, ne_i, out);
    if ((st = a2a_vae_decode(ctx, tp, m->vae, &z, &img)) != A2A_OK) goto done;
    *video = out;
    out = NULL;
    *w = W;
    *h = H;
    *frames = F;
done:
    free(ctxbuf);
    free(lat);
    free(out);
    return st;
}
