/* NExT-GPT's generation path end to end against a PyTorch re-run (tests/golden/nextgpt_e2e, made
   by tools/ref/make_golden_nextgpt_e2e.py from transformers' LlamaForCausalLM, the TextFcLayer
   re-implementation and diffusers' StableDiffusionPipeline): with the LLM output forced to
   "x [IMG0] [IMG1] [IMG2] [IMG3]" after the same prompt ids, the conditioning our pipeline hands
   to Stable Diffusion (hidden states one position before the signal tokens + their input
   embeddings through the output projector) and the final image must match. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include <unistd.h>

#include "core/threadpool.h"
#include "pipeline/diffusers_convert.h"
#include "pipeline/nextgpt.h"

TEST(test_nextgpt_e2e) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_golden gf;
    a2a_threadpool *tp = NULL;
    a2a_mm_system *sys = NULL;
    a2a_llm_session *s = NULL;
    a2a_sampler *smp = NULL;
    char dir[64], path[1200], src[1200];
    snprintf(dir, sizeof dir, "test_nextgpt_e2e_%d", (int)getpid());
    snprintf(path, sizeof path, "mkdir -p %s", dir);
    CHECK(system(path) == 0);
    if (!a2a_golden_open(&gf, "nextgpt_e2e/ref.gguf")) {
        CHECK(0);
        goto out;
    }
    /* the bundle: llm.gguf (as written by the script), the converted projector and SD */
    a2a_textfc_convert_params tp_ = a2a_textfc_convert_default_params();
    tp_.type = A2A_TYPE_F32;
    tp_.n_head = 2;
    snprintf(src, sizeof src, "%s/tests/golden/nextgpt_e2e/delta.pt", A2A_SOURCE_DIR);
    snprintf(path, sizeof path, "%s/fc.gguf", dir);
    CHECK_MSG(a2a_textfc_convert(ctx, src, "image", path, &tp_) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_diffusers_convert_params dp = a2a_diffusers_convert_default_params();
    dp.weight_type = dp.conv_type = A2A_TYPE_F32;
    snprintf(src, sizeof src, "%s/tests/golden/sd/tiny", A2A_SOURCE_DIR);
    snprintf(path, sizeof path, "%s/sd.gguf", dir);
    CHECK_MSG(a2a_diffusers_convert(ctx, src, path, &dp) == A2A_OK, "%s", a2a_last_error(ctx));
    snprintf(path, sizeof path, "%s/bundle.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) goto out;
    fprintf(f, "{\"llm\": \"%s/tests/golden/nextgpt_e2e/llm.gguf\", \"output_projectors\": {\"image\": \"fc.gguf\"},"
               " \"generators\": {\"image\": \"sd.gguf\"}}", A2A_SOURCE_DIR);
    fclose(f);
    a2a_bundle_spec *spec = calloc(1, sizeof *spec);
    a2a_status st = a2a_bundle_read(ctx, dir, spec);
    if (st == A2A_OK) st = a2a_mm_system_load(ctx, spec, &sys);
    free(spec);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st != A2A_OK) goto out;
    const a2a_golden_case *ids = a2a_golden_find(&gf, "prompt_and_reply"), *gc = a2a_golden_find(&gf, "cond"),
                          *gi = a2a_golden_find(&gf, "image");
    CHECK(ids && gc && gi);
    if (!ids || !gc || !gi) goto out;
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = 64;
    sp.kv_type = A2A_TYPE_F32;
    a2a_sampler_params sm = a2a_sampler_default_params();
    sm.temperature = 0;
    CHECK(a2a_llm_session_new(ctx, sys->llm, tp, &sp, &s) == A2A_OK);
    CHECK(a2a_sampler_new(ctx, &sm, sys->llm->hp.n_vocab, &smp) == A2A_OK);
    if (!s || !smp) goto out;
    CHECK(a2a_llm_decode(ctx, s, (const int32_t *)ids->in[0]->data, NULL, NULL, (int32_t)ids->in[0]->ne[0], NULL, NULL) ==
          A2A_OK);
    a2a_nextgpt_params p = a2a_nextgpt_default_params();
    p.script = (const int32_t *)ids->in[1]->data;
    p.n_script = (int32_t)ids->in[1]->ne[0];
    p.n_predict = 1;
    p.steps[A2A_OUT_IMAGE] = a2a_golden_i32(gi, "steps", 3);
    p.cfg[A2A_OUT_IMAGE] = a2a_golden_f32(gi, "cfg", 7.5f);
    p.width = p.height = a2a_golden_i32(gi, "size", 16);
    p.init_noise = (const float *)gi->in[0]->data;
    a2a_nextgpt_reply r;
    st = a2a_nextgpt_generate(ctx, sys, s, smp, tp, &p, NULL, NULL, NULL, &r);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK(r.n_media == 1 && r.media[0].modality == A2A_OUT_IMAGE && r.media[0].pixels);
        if (r.n_media == 1) {
            a2a_tensor got;
            a2a_tensor_init(&got, A2A_TYPE_F32, gc->out->n_dims, gc->out->ne, r.media[0].cond);
            CHECK(r.media[0].n_cond * r.media[0].cond_dim == a2a_tensor_nelements(gc->out));
            CHECK(a2a_golden_compare(gc, &got, "conditioning"));
            float *px = r.media[0].pixels;
            for (int64_t k = 0; px && k < 3 * (int64_t)r.media[0].w * r.media[0].h; k++) {
                float v = px[k] * 0.5f + 0.5f;
                px[k] = v < 0 ? 0 : v > 1 ? 1 : v;
            }
            a2a_tensor_init(&got, A2A_TYPE_F32, gi->out->n_dims, gi->out->ne, px);
            if (px) CHECK(a2a_golden_compare(gi, &got, "image"));
        }
        a2a_nextgpt_reply_free(&r);
    }
out:
    a2a_sampler_free(smp);
    a2a_llm_session_free(s);
    a2a_mm_system_free(sys);
    a2a_threadpool_free(tp);
    a2a_golden_close(&gf);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    CHECK(system(path) == 0);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_nextgpt_e2e)
