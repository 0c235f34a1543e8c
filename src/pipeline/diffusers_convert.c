/* diffusers pipeline folder -> one pipeline GGUF: see diffusers_convert.h. */
#include "pipeline/diffusers_convert.h"

#include <stdio.h>
#include <string.h>

#include "io/gguf.h"
#include "io/json.h"
#include "models/diffusion/unet2d.h"
#include "models/text_encoders/clip_text.h"
#include "models/vae/autoencoder_kl.h"
#include "pipeline/sd_pipeline.h"

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

/* Copy the scheduler_config.json fields the pipelines use into sd.scheduler.* keys. */
static a2a_status scheduler_keys(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir) {
    char path[4096];
    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse_file(ctx, join(path, sizeof path, dir, "scheduler/scheduler_config.json"), &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *r = a2a_json_root(doc);
    static const char *const strs[] = {"_class_name", "beta_schedule", "prediction_type", "timestep_spacing"};
    static const char *const keys[] = {"sd.scheduler.class", "sd.scheduler.beta_schedule", "sd.scheduler.prediction_type",
                                       "sd.scheduler.timestep_spacing"};
    for (int i = 0; i < 4 && st == A2A_OK; i++) {
        const char *s = a2a_json_str(a2a_json_get(r, strs[i]));
        if (s) st = a2a_gguf_writer_set_str(ctx, w, keys[i], s);
    }
    static const char *const nums[] = {"beta_start", "beta_end"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        const a2a_json_value *v = a2a_json_get(r, nums[i]);
        char key[64];
        snprintf(key, sizeof key, "sd.scheduler.%s", nums[i]);
        if (v) st = a2a_gguf_writer_set_f32(ctx, w, key, (float)a2a_json_num(v));
    }
    static const char *const ints[] = {"num_train_timesteps", "steps_offset"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        int64_t v;
        char key[64];
        snprintf(key, sizeof key, "sd.scheduler.%s", ints[i]);
        if (a2a_json_int(a2a_json_get(r, ints[i]), &v)) st = a2a_gguf_writer_set_i32(ctx, w, key, (int32_t)v);
    }
    static const char *const bools[] = {"set_alpha_to_one", "clip_sample"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        const a2a_json_value *v = a2a_json_get(r, bools[i]);
        char key[64];
        snprintf(key, sizeof key, "sd.scheduler.%s", bools[i]);
        if (v && (a2a_json_kind_of(v) == A2A_JSON_TRUE || a2a_json_kind_of(v) == A2A_JSON_FALSE)) st = a2a_gguf_writer_set_bool(ctx, w, key, a2a_json_bool_or(v, false));
    }
    a2a_json_free(doc);
    return st;
}

/* Add the three Stable Diffusion components and the scheduler to w. */
static a2a_status add_sd(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const a2a_diffusers_convert_params *p) {
    char sub[4096];
    a2a_clip_text_convert_params tp = a2a_clip_text_convert_default_params();
    tp.matmul_type = p->weight_type;
    tp.tp = p->tp;
    tp.progress = p->progress;
    tp.user = p->user;
    a2a_unet2d_convert_params up = a2a_unet2d_convert_default_params();
    up.conv_type = p->conv_type;
    up.linear_type = p->weight_type;
    up.tp = p->tp;
    up.progress = p->progress;
    up.user = p->user;
    a2a_vae_convert_params vp = a2a_vae_convert_default_params();
    vp.conv_type = p->conv_type;
    vp.attn_type = p->weight_type;
    vp.tp = p->tp;
    vp.progress = p->progress;
    vp.user = p->user;
    a2a_status st;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", A2A_SD_ARCH)) ||
        (st = a2a_clip_text_convert_add(ctx, w, join(sub, sizeof sub, dir, "text_encoder"), "text_encoder.", &tp)) ||
        (st = a2a_unet2d_convert_add(ctx, w, join(sub, sizeof sub, dir, "unet"), "unet.", &up)) ||
        (st = a2a_vae_convert_add(ctx, w, join(sub, sizeof sub, dir, "vae"), "vae.", &vp)) ||
        (st = scheduler_keys(ctx, w, dir)))
        return st;
    return A2A_OK;
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
    if (!strcmp(cls, "StableDiffusionPipeline") || !strcmp(cls, "StableDiffusionImg2ImgPipeline")) {
        if ((st = add_sd(ctx, w, dir, &p)) != A2A_OK) goto done;
    } else {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "diffusers convert: pipeline %s is not supported (StableDiffusionPipeline)",
                      cls);
        goto done;
    }
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.name", cls)) ||
        (st = a2a_gguf_writer_write(ctx, w, out_gguf)))
        goto done;
    a2a_sd *sd = NULL;
    if ((st = a2a_sd_load(ctx, out_gguf, &sd)) != A2A_OK) {
        a2a_error_prefix(ctx, "diffusers convert: the converted %s does not load", out_gguf);
        remove(out_gguf);
        goto done;
    }
    a2a_sd_free(sd);
done:
    a2a_gguf_writer_free(w);
    a2a_json_free(doc);
    return st;
}
