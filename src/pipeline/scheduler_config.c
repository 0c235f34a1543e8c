/* Scheduler configurations in pipeline files: see scheduler_config.h. */
#include "pipeline/scheduler_config.h"

#include <stdio.h>
#include <string.h>

#include "io/json.h"

a2a_status a2a_scheduler_config_write(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const char *prefix) {
    char path[4096];
    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse_file(ctx, (snprintf(path, sizeof path, "%s/scheduler/scheduler_config.json", dir), path), &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *r = a2a_json_root(doc);
    static const char *const strs[] = {"_class_name", "beta_schedule", "prediction_type", "timestep_spacing"};
    static const char *const keys[] = {"class", "beta_schedule", "prediction_type", "timestep_spacing"};
    char key[128];
    for (int i = 0; i < 4 && st == A2A_OK; i++) {
        const char *s = a2a_json_str(a2a_json_get(r, strs[i]));
        snprintf(key, sizeof key, "%s.%s", prefix, keys[i]);
        if (s) st = a2a_gguf_writer_set_str(ctx, w, key, s);
    }
    static const char *const nums[] = {"beta_start", "beta_end"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        const a2a_json_value *v = a2a_json_get(r, nums[i]);
        snprintf(key, sizeof key, "%s.%s", prefix, nums[i]);
        if (v) st = a2a_gguf_writer_set_f32(ctx, w, key, (float)a2a_json_num(v));
    }
    static const char *const ints[] = {"num_train_timesteps", "steps_offset"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        int64_t v;
        snprintf(key, sizeof key, "%s.%s", prefix, ints[i]);
        if (a2a_json_int(a2a_json_get(r, ints[i]), &v)) st = a2a_gguf_writer_set_i32(ctx, w, key, (int32_t)v);
    }
    static const char *const bools[] = {"set_alpha_to_one", "clip_sample"};
    for (int i = 0; i < 2 && st == A2A_OK; i++) {
        const a2a_json_value *v = a2a_json_get(r, bools[i]);
        snprintf(key, sizeof key, "%s.%s", prefix, bools[i]);
        if (v && (a2a_json_kind_of(v) == A2A_JSON_TRUE || a2a_json_kind_of(v) == A2A_JSON_FALSE)) st = a2a_gguf_writer_set_bool(ctx, w, key, a2a_json_bool_or(v, false));
    }
    a2a_json_free(doc);
    return st;
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
a2a_status a2a_gguf_opt_f64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, double *out) {
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    float f;
    a2a_status st = a2a_gguf_get_f32(ctx, g, key, &f);
    if (st == A2A_OK) *out = (double)f;
    return st;
}
a2a_status a2a_gguf_opt_i32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t *out) {
    return a2a_gguf_find_key(g, key) < 0 ? A2A_OK : a2a_gguf_get_i32(ctx, g, key, out);
}
a2a_status a2a_gguf_opt_bool(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool *out) {
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
a2a_status a2a_scheduler_config_read(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, int kind,
                                      a2a_scheduler_params *out) {
    char key[128];
#define KEY(k) (snprintf(key, sizeof key, "%s." k, prefix), key)
    int file_kind = A2A_SCHED_PNDM;
    if (a2a_gguf_find_key(g, KEY("class")) >= 0) {
        const char *s;
        size_t len;
        a2a_status st = a2a_gguf_get_str(ctx, g, KEY("class"), &s, &len);
        if (st != A2A_OK) return st;
        file_kind = sched_kind_of(s, len);
        if (file_kind < 0 && kind < 0)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "scheduler %.*s is not supported (PNDM, DDIM, Euler, Euler ancestral, DPM++ 2M)",
                            (int)(len > 64 ? 64 : len), s);
    }
    a2a_scheduler_params p = a2a_scheduler_default_params((a2a_scheduler_kind)(kind >= 0 ? kind : file_kind));
    static const char *const schedules[] = {"linear", "scaled_linear", "squaredcos_cap_v2"};
    static const char *const preds[] = {"epsilon", "v_prediction"};
    static const char *const spacings[] = {"leading", "linspace", "trailing"};
    int bs = (int)p.beta_schedule, pt = (int)p.prediction_type, sp = (int)p.timestep_spacing;
    a2a_status st;
    if ((st = a2a_gguf_opt_i32(ctx, g, KEY("num_train_timesteps"), &p.num_train_timesteps)) ||
        (st = a2a_gguf_opt_f64(ctx, g, KEY("beta_start"), &p.beta_start)) ||
        (st = a2a_gguf_opt_f64(ctx, g, KEY("beta_end"), &p.beta_end)) ||
        (st = opt_enum(ctx, g, KEY("beta_schedule"), schedules, 3, &bs)) ||
        (st = opt_enum(ctx, g, KEY("prediction_type"), preds, 2, &pt)) ||
        (st = a2a_gguf_opt_i32(ctx, g, KEY("steps_offset"), &p.steps_offset)) ||
        (st = a2a_gguf_opt_bool(ctx, g, KEY("set_alpha_to_one"), &p.set_alpha_to_one)) ||
        (st = a2a_gguf_opt_bool(ctx, g, KEY("clip_sample"), &p.clip_sample)) ||
        (st = opt_enum(ctx, g, KEY("timestep_spacing"), spacings, 3, &sp)))
        return st;
    if (p.kind != A2A_SCHED_DDIM) p.clip_sample = false;
    p.beta_schedule = (a2a_beta_schedule)bs;
    p.prediction_type = (a2a_prediction_type)pt;
    p.timestep_spacing = (a2a_timestep_spacing)sp;
    *out = p;
    return A2A_OK;
#undef KEY
}

