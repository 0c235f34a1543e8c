/* The public perception API alone (any2any.h, shared library): the ImageBind encoder from a
   file and from memory (same vectors; unit vectors; the cache does not change results), text
   embeddings, a bundle turn whose prompt is decoded into a session and generated from, and the
   error paths. The component files are made with the CLI (A2A_BIN) from the committed tiny
   upstream checkpoints. */
#include "any2any.h"
#include "a2a_test.h"

#include <math.h>

static char dir[512];

static bool make_files(void) {
    const char *bin = getenv("A2A_BIN");
    if (!bin) return false;
    snprintf(dir, sizeof dir, "%s", "test_api_mm_tmp");
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "rm -rf %s && mkdir -p %s && "
             "%s convert --imagebind %s/tests/golden/imagebind/tiny.pth -o %s/enc.gguf --type f32 --n-head 2 "
             "--bpe %s/tests/golden/clip_tok/bpe_simple_vocab_16e6.txt.gz 2>/dev/null && "
             "%s convert --projector linear %s/tests/golden/mm/nextgpt_delta_tiny.pt -o %s/proj.gguf --type f32 2>/dev/null && "
             "%s bench random-llm --shape tiny --f32 --vocab %s/fixtures/vocab/ggml-vocab-llama-spm.gguf "
             "--add-token '<Img>' --add-token '</Img>' -o %s/llm.gguf 2>/dev/null && "
             "printf '{\"llm\": \"llm.gguf\", \"encoder\": \"enc.gguf\", \"input_projector\": \"proj.gguf\"}' > %s/bundle.json",
             dir, dir, bin, A2A_SOURCE_DIR, dir, A2A_SOURCE_DIR, bin, A2A_SOURCE_DIR, dir, bin, A2A_SHARED_DIR, dir, dir);
    return system(cmd) == 0;
}

static double dot(const float *a, const float *b, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

TEST(test_encoder) {
    a2a_ctx *ctx = a2a_ctx_new();
    char path[1024], img[1024];
    snprintf(path, sizeof path, "%s/enc.gguf", dir);
    snprintf(img, sizeof img, "%s/tests/golden/imagebind/image.png", A2A_SOURCE_DIR);
    a2a_encoder *enc = NULL;
    CHECK_MSG(a2a_encoder_load(ctx, path, 2, &enc) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!enc) goto out;
    CHECK(a2a_encoder_dim(enc) == 16);
    float a[16], b[16], c[16], t1[16], t2[16];
    CHECK(a2a_encoder_embed_file(ctx, enc, A2A_MEDIA_IMAGE, img, true, a) == A2A_OK);
    CHECK(fabs(dot(a, a, 16) - 1) < 1e-5);
    size_t n = 0;
    void *bytes = a2a_test_read_file(img, &n);
    CHECK(bytes && a2a_encoder_embed_memory(ctx, enc, A2A_MEDIA_IMAGE, bytes, n, true, b) == A2A_OK);
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* raw vision output is already a unit vector (ImageBind's vision postprocessor only normalizes) */
    CHECK(a2a_encoder_embed_file(ctx, enc, A2A_MEDIA_IMAGE, img, false, c) == A2A_OK);
    CHECK(fabs(dot(a, c, 16) - 1) < 1e-5);
    CHECK(a2a_encoder_embed_text(ctx, enc, "a red square", true, t1) == A2A_OK);
    CHECK(a2a_encoder_embed_text(ctx, enc, "a blue circle", true, t2) == A2A_OK);
    CHECK(fabs(dot(t1, t1, 16) - 1) < 1e-5 && dot(t1, t2, 16) < 0.99999);
    /* errors */
    CHECK(a2a_encoder_embed_file(ctx, enc, A2A_MEDIA_IMAGE, "no/such.png", true, a) == A2A_ERR_IO);
    CHECK(strstr(a2a_last_error(ctx), "no/such.png") != NULL);
    CHECK(a2a_encoder_embed_memory(ctx, enc, A2A_MEDIA_AUDIO, "RIFF", 4, true, a) != A2A_OK);
    CHECK(a2a_encoder_embed_file(ctx, enc, A2A_MEDIA_TEXT, img, true, a) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_encoder_embed_memory(ctx, enc, A2A_MEDIA_IMAGE, NULL, 0, true, a) == A2A_ERR_INVALID_ARG);
    free(bytes);
    a2a_encoder_free(enc);
    a2a_encoder *bad = NULL;
    snprintf(path, sizeof path, "%s/proj.gguf", dir);
    CHECK(a2a_encoder_load(ctx, path, 1, &bad) == A2A_ERR_FORMAT && bad == NULL);
out:
    a2a_ctx_free(ctx);
}

static int count_text(const char *t, size_t len, void *user) {
    (void)t;
    *(size_t *)user += len;
    return 0;
}

TEST(test_bundle_turn) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_mm *mm = NULL;
    CHECK_MSG(a2a_mm_load(ctx, dir, &mm) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!mm) goto out;
    a2a_session_params sp = a2a_session_default_params();
    sp.n_ctx = 256;
    a2a_session *s = NULL, *s2 = NULL;
    CHECK(a2a_session_new(ctx, a2a_mm_llm(mm), &sp, &s) == A2A_OK);
    CHECK(a2a_session_new(ctx, a2a_mm_llm(mm), &sp, &s2) == A2A_OK);
    char img[1024], wav[1024];
    snprintf(img, sizeof img, "%s/tests/golden/imagebind/image.png", A2A_SOURCE_DIR);
    snprintf(wav, sizeof wav, "%s/tests/media/data/audio/tones_44k_stereo_s16.wav", A2A_SOURCE_DIR);
    a2a_chunk_desc c[3] = {{A2A_MEDIA_IMAGE, NULL, img, NULL, 0}, {A2A_MEDIA_AUDIO, NULL, wav, NULL, 0},
                           {A2A_MEDIA_TEXT, "What is this?", NULL, NULL, 0}};
    CHECK_MSG(a2a_mm_eval(ctx, mm, s, c, 3) == A2A_OK, "%s", a2a_last_error(ctx));
    int32_t n1 = a2a_session_n_past(s);
    CHECK(n1 > 10);
    /* the same turn in a second session (media now cached) gives the same logits */
    CHECK(a2a_mm_eval(ctx, mm, s2, c, 3) == A2A_OK);
    CHECK(a2a_session_n_past(s2) == n1);
    const float *l1 = a2a_session_logits(s, 0), *l2 = a2a_session_logits(s2, 0);
    CHECK(l1 && l2 && memcmp(l1, l2, sizeof(float) * (size_t)a2a_llm_n_vocab(a2a_mm_llm(mm))) == 0);
    a2a_sampling_params smp = a2a_sampling_default_params();
    smp.temperature = 0;
    size_t got = 0;
    char *reply = NULL;
    CHECK(a2a_session_generate(ctx, s, &smp, 6, "###", count_text, &got, NULL, &reply) == A2A_OK);
    CHECK(reply != NULL && strlen(reply) == got);
    a2a_free(reply);
    /* errors: a session of another model, no chunks, a missing file */
    a2a_chunk_desc bad = {A2A_MEDIA_VIDEO, NULL, "missing.mp4", NULL, 0};
    CHECK(a2a_mm_eval(ctx, mm, s, c, 0) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_mm_eval(ctx, mm, s, &bad, 1) != A2A_OK);
    CHECK(strstr(a2a_last_error(ctx), "missing.mp4") != NULL);
    a2a_session_free(s);
    a2a_session_free(s2);
    a2a_mm_free(mm);
    a2a_mm *none = NULL;
    CHECK(a2a_mm_load(ctx, "no/such/bundle", &none) != A2A_OK && none == NULL);
out:
    a2a_ctx_free(ctx);
}

TEST(test_setup) { CHECK_MSG(make_files(), "could not build the test bundle with the CLI (A2A_BIN)"); }

/* A generating bundle: the LLM with NExT-GPT's signal tokens, the image output projector and the
   tiny Stable Diffusion pipeline; a forced image comes back as RGB in memory. */
TEST(test_bundle_generate) {
    const char *bin = getenv("A2A_BIN");
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "cd %s && %s bench random-llm --shape tiny --f32 --vocab %s/fixtures/vocab/ggml-vocab-llama-spm.gguf"
                     " --add-token '<Img>' --add-token '</Img>'", dir, bin ? bin : "false", A2A_SHARED_DIR);
    for (int i = 0; i < 4; i++) n += snprintf(cmd + n, sizeof cmd - (size_t)n, " --add-token '[IMG%d]'", i);
    snprintf(cmd + n, sizeof cmd - (size_t)n,
             " -o gen_llm.gguf 2>/dev/null && %s convert --output-projector image %s/tests/golden/mm/nextgpt_delta_gen.pt"
             " -o fc.gguf --type f32 --n-head 2 2>/dev/null && %s convert --diffusers %s/tests/golden/sd/tiny -o sd.gguf 2>/dev/null &&"
             " printf '{\"llm\": \"gen_llm.gguf\", \"output_projectors\": {\"image\": \"fc.gguf\"},"
             " \"generators\": {\"image\": \"sd.gguf\"}, \"signal_tokens\": {\"image\": [\"[IMG0]\", \"[IMG1]\","
             " \"[IMG2]\", \"[IMG3]\"]}}' > gen.json",
             bin ? bin : "false", A2A_SOURCE_DIR, bin ? bin : "false", A2A_SOURCE_DIR);
    CHECK(system(cmd) == 0);
    a2a_ctx *ctx = a2a_ctx_new();
    char path[1024];
    snprintf(path, sizeof path, "%s/gen.json", dir);
    a2a_mm *mm = NULL;
    a2a_session *s = NULL;
    a2a_mm_reply *r = NULL;
    CHECK_MSG(a2a_mm_load(ctx, path, &mm) == A2A_OK, "%s", a2a_last_error(ctx));
    if (!mm) goto out;
    CHECK(a2a_session_new(ctx, a2a_mm_llm(mm), NULL, &s) == A2A_OK);
    a2a_chunk_desc c = {A2A_MEDIA_TEXT, "Draw a cat.", NULL, NULL, 0};
    CHECK(a2a_mm_generate(ctx, mm, s, NULL, NULL, NULL, NULL, &r) == A2A_ERR_INVALID_ARG); /* no prompt yet */
    CHECK(a2a_mm_eval(ctx, mm, s, &c, 1) == A2A_OK);
    a2a_mm_generate_params gp = a2a_mm_generate_default_params();
    gp.sampling.temperature = 0;
    gp.n_predict = 3;
    gp.force = 1u << A2A_MEDIA_IMAGE;
    gp.steps = 2;
    gp.width = gp.height = 16;
    CHECK_MSG(a2a_mm_generate(ctx, mm, s, &gp, NULL, NULL, NULL, &r) == A2A_OK, "%s", a2a_last_error(ctx));
    if (r) {
        CHECK(a2a_mm_reply_n_media(r) == 1);
        const a2a_mm_media *m = a2a_mm_reply_media(r, 0);
        CHECK(m && m->kind == A2A_MEDIA_IMAGE && m->width == 16 && m->height == 16 && m->rgb);
        CHECK(a2a_mm_reply_media(r, 1) == NULL && strstr(a2a_mm_reply_text(r), "[IMG") == NULL);
        a2a_mm_reply_free(r);
    }
out:
    a2a_session_free(s);
    a2a_mm_free(mm);
    a2a_ctx_free(ctx);
}

TEST(test_cleanup) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

TEST_MAIN(test_setup, test_encoder, test_bundle_turn, test_bundle_generate, test_cleanup)
