/* The whole text-to-video pipeline (Zeroscope's classes) against diffusers'
   TextToVideoSDPipeline (tests/golden/t2v, made by tools/ref/make_golden_t2v.py): the saved tiny
   diffusers folder is converted with a2a_diffusers_convert, loaded with a2a_t2v_load and run
   from the same initial latents, prompt, negative prompt, guidance and frame count; every frame
   (clamp(x / 2 + 0.5, 0, 1)) must match. Plus supplied conditioning and bad requests. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include <unistd.h>

#include "core/threadpool.h"
#include "pipeline/diffusers_convert.h"
#include "pipeline/t2v_pipeline.h"

static void str_param(const a2a_golden *gf, const char *cname, const char *p, char *out, size_t cap) {
    char key[160];
    const char *s;
    size_t len;
    snprintf(key, sizeof key, "%s.%s", cname, p);
    out[0] = 0;
    if (a2a_gguf_get_str(NULL, gf->g, key, &s, &len) == A2A_OK) snprintf(out, cap, "%.*s", (int)len, s);
}

TEST(test_t2v_golden) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_golden gf;
    a2a_threadpool *tp = NULL;
    a2a_t2v *m = NULL;
    char dir[1024], path[256];
    snprintf(dir, sizeof dir, "%s/tests/golden/t2v/tiny", A2A_SOURCE_DIR);
    snprintf(path, sizeof path, "test_golden_t2v_%d.gguf", (int)getpid());
    a2a_diffusers_convert_params cp = a2a_diffusers_convert_default_params();
    cp.weight_type = A2A_TYPE_F32;
    cp.conv_type = A2A_TYPE_F32;
    if (!a2a_golden_open(&gf, "t2v/ref.gguf")) {
        CHECK(0);
        goto out;
    }
    CHECK_MSG(a2a_diffusers_convert(ctx, dir, path, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    CHECK_MSG(a2a_t2v_load(ctx, path, &m) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!m) goto out;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        char prompt[256], neg[256];
        str_param(&gf, c->name, "prompt", prompt, sizeof prompt);
        str_param(&gf, c->name, "negative", neg, sizeof neg);
        a2a_t2v_params p = a2a_t2v_default_params();
        p.prompt = prompt;
        p.negative = neg[0] ? neg : NULL;
        p.steps = a2a_golden_i32(c, "steps", 0);
        p.cfg = a2a_golden_f32(c, "cfg", 9.0f);
        p.frames = a2a_golden_i32(c, "frames", 0);
        p.width = a2a_golden_i32(c, "width", 0);
        p.height = a2a_golden_i32(c, "height", 0);
        p.init_noise = (const float *)c->in[0]->data;
        float *video = NULL;
        int32_t w = 0, h = 0, f = 0;
        a2a_status st = a2a_t2v_generate(ctx, tp, m, &p, &video, &w, &h, &f);
        CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        if (st != A2A_OK) continue;
        CHECK(w == p.width && h == p.height && f == p.frames);
        for (int64_t k = 0; k < 3 * (int64_t)w * h * f; k++) {
            float v = video[k] * 0.5f + 0.5f;
            video[k] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        a2a_tensor got;
        a2a_tensor_init(&got, A2A_TYPE_F32, c->out->n_dims, c->out->ne, video);
        CHECK(a2a_golden_compare(c, &got, "2 threads"));
        free(video);
    }
    {
        a2a_t2v_params p = a2a_t2v_default_params();
        float *v = NULL;
        int32_t w, h, f;
        p.prompt = "x";
        p.steps = 1;
        p.width = p.height = 16;
        p.frames = 0 - 5;
        CHECK(a2a_t2v_generate(ctx, tp, m, &p, &v, &w, &h, &f) == A2A_ERR_INVALID_ARG && !v);
        p.frames = 2;
        p.width = 15;
        CHECK(a2a_t2v_generate(ctx, tp, m, &p, &v, &w, &h, &f) == A2A_ERR_INVALID_ARG);
        p.width = 16;
        p.prompt = NULL;
        CHECK(a2a_t2v_generate(ctx, tp, m, &p, &v, &w, &h, &f) == A2A_ERR_INVALID_ARG);
    }
out:
    a2a_t2v_free(m);
    a2a_threadpool_free(tp);
    a2a_golden_close(&gf);
    unlink(path);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_t2v_golden)
