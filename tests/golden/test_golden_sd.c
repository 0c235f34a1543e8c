/* The whole Stable Diffusion pipeline against diffusers' StableDiffusionPipeline
   (tests/golden/sd, made by tools/ref/make_golden_sd.py): the saved tiny diffusers folder is
   converted with a2a_diffusers_convert (as `any2any convert --diffusers` does), loaded with
   a2a_sd_load and run from the same initial latents with the same prompt, negative prompt,
   guidance and scheduler (PNDM, DDIM, Euler); the final image (diffusers' output_type "np":
   clamp(x / 2 + 0.5, 0, 1)) must match. Also img2img plumbing, cancellation and bad inputs. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include <unistd.h>

#include "core/threadpool.h"
#include "pipeline/diffusers_convert.h"
#include "pipeline/sd_pipeline.h"

static char gguf_path[512];

static bool convert_tiny(a2a_ctx *ctx) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/golden/sd/tiny", A2A_SOURCE_DIR);
    snprintf(gguf_path, sizeof gguf_path, "test_golden_sd_%d.gguf", (int)getpid());
    a2a_diffusers_convert_params p = a2a_diffusers_convert_default_params();
    p.weight_type = A2A_TYPE_F32;
    p.conv_type = A2A_TYPE_F32;
    a2a_status st = a2a_diffusers_convert(ctx, dir, gguf_path, &p);
    CHECK_MSG(st == A2A_OK, "convert: %s", a2a_last_error(ctx));
    return st == A2A_OK;
}

static int cancel_after(int64_t done, int64_t total, const char *what, void *user) {
    (void)total, (void)what;
    return done >= *(int *)user;
}

TEST(test_sd_golden) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_golden gf;
    a2a_threadpool *tp = NULL;
    a2a_sd *sd = NULL;
    if (!a2a_golden_open(&gf, "sd/ref.gguf") || !convert_tiny(ctx)) {
        CHECK(0);
        goto out;
    }
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    CHECK_MSG(a2a_sd_load(ctx, gguf_path, &sd) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!sd) goto out;
    CHECK(sd->sched.kind == A2A_SCHED_PNDM && sd->te != NULL);
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        char prompt[256] = {0}, neg[256] = {0};
        const char *s;
        size_t len;
        char key[160];
        snprintf(key, sizeof key, "%s.prompt", c->name);
        if (a2a_gguf_get_str(NULL, gf.g, key, &s, &len) == A2A_OK) snprintf(prompt, sizeof prompt, "%.*s", (int)len, s);
        snprintf(key, sizeof key, "%s.negative", c->name);
        if (a2a_gguf_get_str(NULL, gf.g, key, &s, &len) == A2A_OK) snprintf(neg, sizeof neg, "%.*s", (int)len, s);
        a2a_sd_params p = a2a_sd_default_params();
        p.prompt = prompt;
        p.negative = neg[0] ? neg : NULL;
        p.steps = a2a_golden_i32(c, "steps", 0);
        p.cfg = a2a_golden_f32(c, "cfg", 7.5f);
        p.width = a2a_golden_i32(c, "width", 0);
        p.height = a2a_golden_i32(c, "height", 0);
        p.sched_kind = a2a_golden_i32(c, "sched", -1);
        p.init_noise = (const float *)c->in[0]->data;
        float *px = NULL;
        int32_t w = 0, h = 0;
        a2a_status st = a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h);
        CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        if (st != A2A_OK) continue;
        CHECK(w == p.width && h == p.height);
        for (int64_t k = 0; k < 3 * (int64_t)w * h; k++) {
            float v = px[k] * 0.5f + 0.5f;
            px[k] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        a2a_tensor got;
        a2a_tensor_init(&got, A2A_TYPE_F32, c->out->n_dims, c->out->ne, px);
        CHECK(a2a_golden_compare(c, &got, "2 threads"));
        free(px);
    }
    /* img2img runs (VAE encode, strength start, add_noise) and keeps the size */
    {
        a2a_image init;
        CHECK(a2a_image_alloc(ctx, 16, 16, NULL, &init) == A2A_OK);
        for (int k = 0; k < 16 * 16 * 3; k++) init.data[k] = (uint8_t)(k * 7);
        a2a_sd_params p = a2a_sd_default_params();
        p.prompt = "a tree";
        p.steps = 4;
        p.width = p.height = 16;
        p.init_image = &init;
        p.strength = 0.5f;
        float *px = NULL;
        int32_t w, h;
        CHECK_MSG(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_OK, "%s", a2a_last_error(ctx));
        CHECK(px && w == 16 && h == 16);
        free(px);
        p.strength = 1.5f;
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_INVALID_ARG && px == NULL);
        p.strength = 0.5f;
        p.width = 24; /* init image of the wrong size */
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_INVALID_ARG);
        a2a_image_free(&init);
    }
    /* cancellation after the second step: no image */
    {
        int after = 2;
        a2a_sd_params p = a2a_sd_default_params();
        p.prompt = "x";
        p.steps = 5;
        p.width = p.height = 16;
        p.progress = cancel_after;
        p.user = &after;
        float *px = NULL;
        int32_t w, h;
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_CANCELLED && px == NULL);
        /* bad sizes and steps */
        p.progress = NULL;
        p.width = 15;
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_INVALID_ARG);
        p.width = 16;
        p.steps = 100000;
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_INVALID_ARG);
        p.steps = 2;
        p.prompt = NULL;
        CHECK(a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) == A2A_ERR_INVALID_ARG);
    }
out:
    a2a_sd_free(sd);
    a2a_threadpool_free(tp);
    a2a_golden_close(&gf);
    unlink(gguf_path);
    a2a_ctx_free(ctx);
}

TEST(test_sd_bad_files) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_sd *sd = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/vae/ref.gguf", A2A_SOURCE_DIR);
    CHECK(a2a_sd_load(ctx, path, &sd) == A2A_ERR_UNSUPPORTED && sd == NULL);
    CHECK(a2a_sd_load(ctx, "no/such.gguf", &sd) != A2A_OK);
    snprintf(path, sizeof path, "%s/tests/golden/vae", A2A_SOURCE_DIR);
    CHECK(a2a_diffusers_convert(ctx, path, "never_written.gguf", NULL) != A2A_OK);
    CHECK(strstr(a2a_last_error(ctx), "model_index.json") != NULL || strstr(a2a_last_error(ctx), "diffusers") != NULL);
    CHECK(access("never_written.gguf", F_OK) != 0);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_sd_golden, test_sd_bad_files)
