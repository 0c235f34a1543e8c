/* diffusers pipeline folder -> one pipeline GGUF: see diffusers_convert.h. */
#include "pipeline/diffusers_convert.h"

#include <stdio.h>
#include <string.h>

#include "io/gguf.h"
#include "io/json.h"
#include "models/diffusion/unet2d.h"
#include "models/diffusion/unet3d.h"
#include "models/text_encoders/clap_text.h"
#include "models/text_encoders/clip_text.h"
#include "models/vocoder/hifigan.h"
#include "pipeline/audioldm_pipeline.h"
#include "models/vae/autoencoder_kl.h"
#include "pipeline/scheduler_config.h"
#include "pipeline/sd_pipeline.h"
#include "pipeline/t2v_pipeline.h"

a2a_diffusers_convert_params a2a_diffusers_convert_default_params(void) {
    a2a_diffusers_convert_params p;
    memset(&p, 0, sizeof p);
    p.weight_type = A2A_TYPE_F16;
    p.conv_type = A2A_TYPE_F16;
    return p;
}

/* "<dir>/<sub>" into buf. */
static const char *join(char *buf, size_t cap, const char *dir, const char *sub) {
    snprintf(buf, cap, "%s/%s", dir, sub);
    return buf;
}

/* Component converter settings from the pipeline's (weight types, threads, progress). */
#define COMMON(x) ((x).tp = p->tp, (x).progress = p->progress, (x).user = p->user)
static a2a_clip_text_convert_params clip_params(const a2a_diffusers_convert_params *p) {
    a2a_clip_text_convert_params x = a2a_clip_text_convert_default_params();
    x.matmul_type = p->weight_type;
    COMMON(x);
    return x;
}
static a2a_unet2d_convert_params unet2d_params(const a2a_diffusers_convert_params *p) {
    a2a_unet2d_convert_params x = a2a_unet2d_convert_default_params();
    x.conv_type = p->conv_type;
    x.linear_type = p->weight_type;
    COMMON(x);
    return x;
}
static a2a_vae_convert_params vae_params(const a2a_diffusers_convert_params *p) {
    a2a_vae_convert_params x = a2a_vae_convert_default_params();
    x.conv_type = p->conv_type;
    x.attn_type = p->weight_type;
    COMMON(x);
    return x;
}

/* Add the three Stable Diffusion components and the scheduler to w. */
static a2a_status add_sd(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const a2a_diffusers_convert_params *p) {
    char sub[4096];
    a2a_clip_text_convert_params tp = clip_params(p);
    a2a_unet2d_convert_params up = unet2d_params(p);
    a2a_vae_convert_params vp = vae_params(p);
    a2a_status st;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", A2A_SD_ARCH)) ||
        (st = a2a_clip_text_convert_add(ctx, w, join(sub, sizeof sub, dir, "text_encoder"), "text_encoder.", &tp)) ||
        (st = a2a_unet2d_convert_add(ctx, w, join(sub, sizeof sub, dir, "unet"), "unet.", &up)) ||
        (st = a2a_vae_convert_add(ctx, w, join(sub, sizeof sub, dir, "vae"), "vae.", &vp)) ||
        (st = a2a_scheduler_config_write(ctx, w, dir, "sd.scheduler")))
        return st;
    return A2A_OK;
}

/* Add AudioLDM's CLAP text branch, UNet, mel VAE, vocoder and scheduler to w. */
static a2a_status add_audioldm(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const a2a_diffusers_convert_params *p) {
    char sub[4096];
    a2a_clap_text_convert_params tp = a2a_clap_text_convert_default_params();
    tp.weight_type = p->weight_type;
    COMMON(tp);
    a2a_unet2d_convert_params up = unet2d_params(p);
    a2a_vae_convert_params vp = vae_params(p);
    a2a_hifigan_convert_params hp = a2a_hifigan_convert_default_params();
    hp.conv_type = p->conv_type;
    COMMON(hp);
    a2a_status st;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", A2A_AUDIOLDM_ARCH)) ||
        (st = a2a_clap_text_convert_add(ctx, w, join(sub, sizeof sub, dir, "text_encoder"), "text_encoder.", &tp)) ||
        (st = a2a_unet2d_convert_add(ctx, w, join(sub, sizeof sub, dir, "unet"), "unet.", &up)) ||
        (st = a2a_vae_convert_add(ctx, w, join(sub, sizeof sub, dir, "vae"), "vae.", &vp)) ||
        (st = a2a_hifigan_convert_add(ctx, w, join(sub, sizeof sub, dir, "vocoder"), "vocoder.", &hp)) ||
        (st = a2a_scheduler_config_write(ctx, w, dir, "audioldm.scheduler")))
        return st;
    return A2A_OK;
}

/* Add the text-to-video pipeline's CLIP text encoder, UNet3D, VAE and scheduler to w. */
static a2a_status add_t2v(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const a2a_diffusers_convert_params *p) {
    char sub[4096];
    a2a_clip_text_convert_params tp = clip_params(p);
    a2a_unet3d_convert_params up = a2a_unet3d_convert_default_params();
    up.conv_type = p->conv_type;
    up.linear_type = p->weight_type;
    COMMON(up);
    a2a_vae_convert_params vp = vae_params(p);
    a2a_status st;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", A2A_T2V_ARCH)) ||
        (st = a2a_clip_text_convert_add(ctx, w, join(sub, sizeof sub, dir, "text_encoder"), "text_encoder.", &tp)) ||
        (st = a2a_unet3d_convert_add(ctx, w, join(sub, sizeof sub, dir, "unet"), "unet.", &up)) ||
        (st = a2a_vae_convert_add(ctx, w, join(sub, sizeof sub, dir, "vae"), "vae.", &vp)) ||
        (st = a2a_scheduler_config_write(ctx, w, dir, "t2v.scheduler")))
        return st;
    return A2A_OK;
}

/* Load the converted file back (every component checked) before reporting success. */
static a2a_status check_loads(a2a_ctx *ctx, const char *arch, const char *path) {
    if (!strcmp(arch, A2A_T2V_ARCH)) {
        a2a_t2v *m = NULL;
        a2a_status st = a2a_t2v_load(ctx, path, &m);
        a2a_t2v_free(m);
        return st;
    }
    if (!strcmp(arch, A2A_AUDIOLDM_ARCH)) {
        a2a_audioldm *m = NULL;
        a2a_status st = a2a_audioldm_load(ctx, path, &m);
        a2a_audioldm_free(m);
        return st;
    }
    a2a_sd *sd = NULL;
    a2a_status st = a2a_sd_load(ctx, path, &sd);
    a2a_sd_free(sd);
    return st;
}

a2a_status a2a_diffusers_convert(a2a_ctx *ctx, const char *dir, const char *out_gguf,
                                 const a2a_diffusers_convert_params *pp) {
    a2a_diffusers_convert_params p = pp ? *pp : a2a_diffusers_convert_default_params();
    char path[4096];
    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse_file(ctx, join(path, sizeof path, dir, "model_index.json"), &doc);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "diffusers convert: %s is not a diffusers pipeline folder", dir);
        return st;
    }
    const char *cls = a2a_json_str(a2a_json_get(a2a_json_root(doc), "_class_name"));
    a2a_gguf_writer *w = NULL;
    if (!cls) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "diffusers convert: %s has no _class_name", path);
        goto done;
    }
    if ((st = a2a_gguf_writer_new(ctx, &w)) != A2A_OK) goto done;
    const char *arch = A2A_SD_ARCH;
    if (!strcmp(cls, "StableDiffusionPipeline") || !strcmp(cls, "StableDiffusionImg2ImgPipeline")) {
        if ((st = add_sd(ctx, w, dir, &p)) != A2A_OK) goto done;
    } else if (!strcmp(cls, "TextToVideoSDPipeline")) {
        arch = A2A_T2V_ARCH;
        if ((st = add_t2v(ctx, w, dir, &p)) != A2A_OK) goto done;
    } else if (!strcmp(cls, "AudioLDMPipeline")) {
        arch = A2A_AUDIOLDM_ARCH;
        if ((st = add_audioldm(ctx, w, dir, &p)) != A2A_OK) goto done;
    } else {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                      "diffusers convert: pipeline %s is not supported (StableDiffusionPipeline, TextToVideoSDPipeline, AudioLDMPipeline)", cls);
        goto done;
    }
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.name", cls)) ||
        (st = a2a_gguf_writer_write(ctx, w, out_gguf)))
        goto done;
    if ((st = check_loads(ctx, arch, out_gguf)) != A2A_OK) {
        a2a_error_prefix(ctx, "diffusers convert: the converted %s does not load", out_gguf);
        remove(out_gguf);
        goto done;
    }
done:
    a2a_gguf_writer_free(w);
    a2a_json_free(doc);
    return st;
}
