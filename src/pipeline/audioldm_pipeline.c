/* AudioLDM pipeline: see audioldm_pipeline.h. */
#include "pipeline/audioldm_pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/gguf.h"
#include "pipeline/denoise.h"
#include "pipeline/scheduler_config.h"

a2a_audioldm_params a2a_audioldm_default_params(void) {
    a2a_audioldm_params p;
    memset(&p, 0, sizeof p);
    p.cfg = -1.0f;
    p.sched_kind = -1;
    return p;
}

void a2a_audioldm_free(a2a_audioldm *m) {
    if (!m) return;
    a2a_clap_text_free(m->te);
    a2a_unet2d_free(m->unet);
    a2a_vae_free(m->vae);
    a2a_hifigan_free(m->vocoder);
    a2a_gguf_close(m->g);
    free(m);
}

a2a_status a2a_audioldm_load(a2a_ctx *ctx, const char *path, a2a_audioldm **out) {
    *out = NULL;
    a2a_audioldm *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "audioldm: out of memory");
    const char *arch = NULL;
    size_t al = 0;
    a2a_status st = a2a_gguf_open(ctx, path, &m->g);
    if (st == A2A_OK) st = a2a_gguf_get_str(ctx, m->g, "general.architecture", &arch, &al);
    if (st == A2A_OK && !(al == strlen(A2A_AUDIOLDM_ARCH) && !memcmp(arch, A2A_AUDIOLDM_ARCH, al)))
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: general.architecture is '%.*s', not '" A2A_AUDIOLDM_ARCH "'", path,
                      (int)(al > 64 ? 64 : al), arch);
    if (st == A2A_OK && a2a_gguf_find_key(m->g, "clap_text.hidden_size") >= 0)
        st = a2a_clap_text_load_gguf(ctx, m->g, "text_encoder.", &m->te);
    if (st == A2A_OK) st = a2a_unet2d_load_gguf(ctx, m->g, "unet.", &m->unet);
    if (st == A2A_OK) st = a2a_vae_load_gguf(ctx, m->g, "vae.", &m->vae);
    if (st == A2A_OK) st = a2a_hifigan_load_gguf(ctx, m->g, "vocoder.", &m->vocoder);
    if (st == A2A_OK) st = a2a_scheduler_config_read(ctx, m->g, "audioldm.scheduler", -1, &m->sched);
    if (st == A2A_OK) {
        const a2a_unet2d_config *uc = a2a_unet2d_get_config(m->unet);
        const a2a_vae_config *vc = a2a_vae_get_config(m->vae);
        const a2a_hifigan_config *hc = a2a_hifigan_get_config(m->vocoder);
        const int f = a2a_vae_downscale(m->vae);
        if (uc->class_embed_type == A2A_UNET2D_CLASS_NONE || uc->class_input_dim <= 0)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the UNet has no class-embedding input for the CLAP vector", path);
        else if (m->te && a2a_clap_text_get_config(m->te)->projection_dim != uc->class_input_dim)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: the CLAP text branch gives %d-wide vectors, the UNet takes %d", path,
                          a2a_clap_text_get_config(m->te)->projection_dim, uc->class_input_dim);
        else if (uc->in_channels != vc->latent_channels || vc->out_channels != 1)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: UNet channels %d vs VAE latents %d (VAE output %d, want 1)", path,
                          uc->in_channels, vc->latent_channels, vc->out_channels);
        else if (hc->model_in_dim % f)
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %d mel bins do not divide by the VAE factor %d", path,
                          hc->model_in_dim, f);
        const double hop_s = (double)a2a_hifigan_hop_length(m->vocoder) / (double)hc->sampling_rate;
        m->default_seconds = (float)((uc->sample_size > 0 ? uc->sample_size : 64) * f * hop_s);
    }
    if (st != A2A_OK) {
        a2a_audioldm_free(m);
        return st;
    }
    *out = m;
    return A2A_OK;
}

/* The UNet over fixed class labels and no encoder states. */
typedef struct ldm_denoiser {
    a2a_threadpool *tp;
    a2a_unet2d *unet;
    const a2a_tensor *labels; /* [D_cls, nb] */
} ldm_denoiser;

static a2a_status ldm_unet(a2a_ctx *ctx, void *user, const a2a_tensor *x, const float *t, a2a_tensor *eps) {
    const ldm_denoiser *d = user;
    return a2a_unet2d_forward(ctx, d->tp, d->unet, x, t, NULL, d->labels, eps);
}

a2a_status a2a_audioldm_generate(a2a_ctx *ctx, a2a_threadpool *tp, a2a_audioldm *m, const a2a_audioldm_params *p,
                                 float **wave, int64_t *n_samples, int *rate) {
    *wave = NULL;
    const a2a_unet2d_config *uc = a2a_unet2d_get_config(m->unet);
    const a2a_vae_config *vc = a2a_vae_get_config(m->vae);
    const a2a_hifigan_config *hc = a2a_hifigan_get_config(m->vocoder);
    const int f = a2a_vae_downscale(m->vae);
    const float seconds = p->seconds > 0 ? p->seconds : m->default_seconds;
    a2a_denoise_params dp = {0};
    dp.steps = p->steps ? p->steps : 10;
    dp.cfg = p->cfg < 0 ? 2.5f : p->cfg;
    dp.seed = p->seed;
    dp.init_noise = p->init_noise;
    dp.progress = p->progress;
    dp.user = p->user;
    dp.cancel = p->cancel;
    if (!(seconds > 0) || seconds > A2A_AUDIOLDM_MAX_SECONDS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: %g s is outside (0, %g]", (double)seconds,
                        (double)A2A_AUDIOLDM_MAX_SECONDS);
    if (dp.steps < 1 || dp.steps > 1000) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: %d steps", dp.steps);
    if (!isfinite(dp.cfg)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: guidance scale is not finite");
    if (!p->prompt == !p->cond)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: give exactly one of a prompt and a conditioning vector");
    if (!m->te && (p->prompt || !p->uncond))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: the file has no text encoder: supply cond and uncond");
    /* diffusers: height = int(seconds / (hop / rate)), rounded up to a multiple of f */
    const double hop_s = (double)a2a_hifigan_hop_length(m->vocoder) / (double)hc->sampling_rate;
    int64_t frames = (int64_t)(seconds / hop_s);
    if (frames % f) frames = (frames + f - 1) / f * f;
    if (frames < f * a2a_unet2d_side_multiple(m->unet))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audioldm: %g s is too short", (double)seconds);
    /* audio[:, :int(seconds * rate)], which keeps everything when that is past the end */
    int64_t keep = (int64_t)(seconds * (float)hc->sampling_rate);
    if (keep > a2a_hifigan_n_samples(m->vocoder, frames)) keep = a2a_hifigan_n_samples(m->vocoder, frames);
    const int64_t D = uc->class_input_dim, lw = hc->model_in_dim / f, lh = frames / f, L = uc->in_channels;
    const int64_t n = lw * lh * L, mels = (int64_t)hc->model_in_dim;
    float *labels = malloc(sizeof(float) * 2 * (size_t)D), *lat = malloc(sizeof(float) * (size_t)n);
    float *mel = malloc(sizeof(float) * (size_t)(mels * frames));
    float *out = malloc(sizeof(float) * (size_t)(keep > 0 ? keep : 1));
    a2a_status st = A2A_OK;
    if (!labels || !lat || !mel || !out) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "audioldm: out of memory for %g s", (double)seconds);
        goto done;
    }
    /* class labels: uncond first, as diffusers concatenates */
    if (p->cond) memcpy(labels + D, p->cond, sizeof(float) * (size_t)D);
    else if ((st = a2a_clap_text_embed(ctx, tp, m->te, p->prompt, labels + D)) != A2A_OK) goto done;
    if (p->uncond) memcpy(labels, p->uncond, sizeof(float) * (size_t)D);
    else if ((st = a2a_clap_text_embed_len(ctx, tp, m->te, p->negative ? p->negative : "",
                                           a2a_clap_text_get_config(m->te)->projection_dim, labels)) != A2A_OK)
        goto done;
    if ((st = a2a_scheduler_config_read(ctx, m->g, "audioldm.scheduler", p->sched_kind, &dp.sched)) != A2A_OK) goto done;
    const bool guided = dp.cfg > 1.0f;
    a2a_tensor tl;
    int64_t ne_l[2] = {D, guided ? 2 : 1};
    a2a_tensor_init(&tl, A2A_TYPE_F32, 2, ne_l, guided ? labels : labels + D);
    ldm_denoiser den = {tp, m->unet, &tl};
    const int64_t item[3] = {lw, lh, L};
    if ((st = a2a_denoise(ctx, &dp, item, 3, ldm_unet, &den, lat)) != A2A_OK) goto done;
    a2a_gguf_release_pages(m->g, "unet."); /* peak memory: the UNet's pages are not needed for the decode */
    for (int64_t i = 0; i < n; i++) lat[i] = lat[i] / vc->scaling_factor + vc->shift_factor;
    a2a_tensor tz, tm, tw;
    int64_t ne_z[4] = {lw, lh, L, 1}, ne_m[4] = {mels, frames, 1, 1}, ne_w[2] = {keep, 1};
    a2a_tensor_init(&tz, A2A_TYPE_F32, 4, ne_z, lat);
    a2a_tensor_init(&tm, A2A_TYPE_F32, 4, ne_m, mel);
    a2a_tensor_init(&tw, A2A_TYPE_F32, 2, ne_w, out);
    if ((st = a2a_vae_decode(ctx, tp, m->vae, &tz, &tm)) != A2A_OK ||
        (st = a2a_hifigan_decode(ctx, tp, m->vocoder, &tm, &tw)) != A2A_OK)
        goto done;
    *wave = out;
    out = NULL;
    *n_samples = keep;
    *rate = hc->sampling_rate;
done:
    free(labels);
    free(lat);
    free(mel);
    free(out);
    return st;
}
