/* The whole AudioLDM pipeline against diffusers' AudioLDMPipeline (tests/golden/audioldm, made
   by tools/ref/make_golden_audioldm.py): the saved tiny diffusers folder is converted with
   a2a_diffusers_convert, loaded with a2a_audioldm_load and run from the same initial latents
   with the same prompt, negative prompt, guidance and length; the waveform must match. Plus
   supplied conditioning (NExT-GPT's path) and bad requests. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include <unistd.h>

#include "core/threadpool.h"
#include "pipeline/audioldm_pipeline.h"
#include "pipeline/diffusers_convert.h"

TEST(test_audioldm_golden) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_golden gf;
    a2a_threadpool *tp = NULL;
    a2a_audioldm *m = NULL;
    char dir[1024], path[256];
    snprintf(dir, sizeof dir, "%s/tests/golden/audioldm/tiny", A2A_SOURCE_DIR);
    snprintf(path, sizeof path, "test_golden_audioldm_%d.gguf", (int)getpid());
    a2a_diffusers_convert_params cp = a2a_diffusers_convert_default_params();
    cp.weight_type = A2A_TYPE_F32;
    cp.conv_type = A2A_TYPE_F32;
    if (!a2a_golden_open(&gf, "audioldm/ref.gguf")) {
        CHECK(0);
        goto out;
    }
    CHECK_MSG(a2a_diffusers_convert(ctx, dir, path, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    CHECK_MSG(a2a_audioldm_load(ctx, path, &m) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!m) goto out;
    CHECK(m->sched.kind == A2A_SCHED_DDIM && m->te != NULL);
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        char prompt[256] = {0}, neg[256] = {0}, key[160];
        const char *s;
        size_t len;
        snprintf(key, sizeof key, "%s.prompt", c->name);
        if (a2a_gguf_get_str(NULL, gf.g, key, &s, &len) == A2A_OK) snprintf(prompt, sizeof prompt, "%.*s", (int)len, s);
        snprintf(key, sizeof key, "%s.negative", c->name);
        if (a2a_gguf_get_str(NULL, gf.g, key, &s, &len) == A2A_OK) snprintf(neg, sizeof neg, "%.*s", (int)len, s);
        a2a_audioldm_params p = a2a_audioldm_default_params();
        p.prompt = prompt;
        p.negative = neg[0] ? neg : NULL;
        p.steps = a2a_golden_i32(c, "steps", 0);
        p.cfg = a2a_golden_f32(c, "cfg", 2.5f);
        p.seconds = a2a_golden_f32(c, "seconds", 0);
        p.init_noise = (const float *)c->in[0]->data;
        float *wave = NULL;
        int64_t n = 0;
        int rate = 0;
        a2a_status st = a2a_audioldm_generate(ctx, tp, m, &p, &wave, &n, &rate);
        CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        if (st != A2A_OK) continue;
        CHECK(rate == 16000 && n == c->out->ne[0]);
        a2a_tensor got;
        a2a_tensor_init(&got, A2A_TYPE_F32, c->out->n_dims, c->out->ne, wave);
        if (n == c->out->ne[0]) CHECK(a2a_golden_compare(c, &got, "2 threads"));
        /* supplied conditioning (NExT-GPT's path): the prompt's own CLAP vector gives the same audio */
        if (i == 0) {
            float cond[16], uncond[16];
            CHECK(a2a_clap_text_embed(ctx, tp, m->te, prompt, cond) == A2A_OK);
            CHECK(a2a_clap_text_embed_len(ctx, tp, m->te, neg, 16, uncond) == A2A_OK);
            a2a_audioldm_params q = p;
            q.prompt = NULL;
            q.negative = NULL;
            q.cond = cond;
            q.uncond = uncond;
            float *w2 = NULL;
            int64_t n2 = 0;
            CHECK(a2a_audioldm_generate(ctx, tp, m, &q, &w2, &n2, &rate) == A2A_OK);
            CHECK(w2 && n2 == n && memcmp(w2, wave, sizeof(float) * (size_t)n) == 0);
            free(w2);
        }
        free(wave);
    }
    /* bad requests */
    {
        a2a_audioldm_params p = a2a_audioldm_default_params();
        float *w = NULL;
        int64_t n;
        int rate;
        p.prompt = "x";
        p.seconds = -1;
        p.seconds = 1e6f;
        CHECK(a2a_audioldm_generate(ctx, tp, m, &p, &w, &n, &rate) == A2A_ERR_INVALID_ARG && !w);
        p.seconds = 0.0001f;
        CHECK(a2a_audioldm_generate(ctx, tp, m, &p, &w, &n, &rate) == A2A_ERR_INVALID_ARG);
        p.seconds = 0.01f;
        p.steps = -3;
        CHECK(a2a_audioldm_generate(ctx, tp, m, &p, &w, &n, &rate) == A2A_ERR_INVALID_ARG);
        p.steps = 2;
        p.prompt = NULL;
        CHECK(a2a_audioldm_generate(ctx, tp, m, &p, &w, &n, &rate) == A2A_ERR_INVALID_ARG);
    }
out:
    a2a_audioldm_free(m);
    a2a_threadpool_free(tp);
    a2a_golden_close(&gf);
    unlink(path);
    a2a_ctx_free(ctx);
}

TEST(test_audioldm_bad_files) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_audioldm *m = NULL;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/golden/vae/ref.gguf", A2A_SOURCE_DIR);
    CHECK(a2a_audioldm_load(ctx, path, &m) == A2A_ERR_UNSUPPORTED && !m);
    CHECK(a2a_audioldm_load(ctx, "no/such.gguf", &m) != A2A_OK && !m);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_audioldm_golden, test_audioldm_bad_files)
