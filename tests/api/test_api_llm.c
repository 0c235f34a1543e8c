/* The public C API alone (only any2any.h; linked against the shared library): one model shared
   by two sessions gives identical logits; chosen output rows; hidden states; rewind; embeddings
   in place of token ids; error statuses and messages. */
#include "any2any.h"
#include "a2a_test.h"

static const int32_t ids[6] = {5, 17, 200, 3, 99, 42};

TEST(test_model_and_sessions) {
    a2a_ctx *ctx = a2a_ctx_new();
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/golden/llm/tiny-llama.gguf", A2A_SOURCE_DIR);
    a2a_llm_model *m = NULL;
    CHECK(a2a_llm_load(ctx, path, &m) == A2A_OK);
    if (!m) { a2a_ctx_free(ctx); return; }
    CHECK_EQ_INT(a2a_llm_n_vocab(m), 256);
    CHECK_EQ_INT(a2a_llm_n_embd(m), 64);
    a2a_session_params sp = a2a_session_default_params();
    sp.n_ctx = 32;
    sp.n_threads = 2;
    sp.kv_f32 = true;
    a2a_session *s1 = NULL, *s2 = NULL;
    CHECK(a2a_session_new(ctx, m, &sp, &s1) == A2A_OK);
    sp.n_threads = 1;
    CHECK(a2a_session_new(ctx, m, &sp, &s2) == A2A_OK);
    uint8_t rows[6] = {0, 1, 0, 0, 1, 1};
    CHECK(a2a_session_decode(ctx, s1, ids, NULL, NULL, 6, rows) == A2A_OK);
    CHECK(a2a_session_decode(ctx, s2, ids, NULL, NULL, 6, rows) == A2A_OK);
    CHECK_EQ_INT(a2a_session_n_outputs(s1), 3);
    CHECK_EQ_INT(a2a_session_n_past(s1), 6);
    for (int r = 0; r < 3; r++) /* same model, different thread counts: bit-identical */
        CHECK(memcmp(a2a_session_logits(s1, r), a2a_session_logits(s2, r), sizeof(float) * 256) == 0);
    CHECK(a2a_session_logits(s1, 3) == NULL && a2a_session_hidden(s1, -1) == NULL);
    float last[256];
    memcpy(last, a2a_session_logits(s1, 2), sizeof(last));
    /* rewind to 4 and decode the last two again: same logits at the end */
    a2a_session_rewind(s1, 4);
    CHECK(a2a_session_decode(ctx, s1, ids + 4, NULL, NULL, 2, NULL) == A2A_OK);
    CHECK_EQ_INT(a2a_session_n_outputs(s1), 1);
    CHECK(a2a_test_max_abs_diff(a2a_session_logits(s1, 0), last, 256) < 1e-5);
    /* errors */
    int32_t bad = 1000;
    CHECK(a2a_session_decode(ctx, s2, &bad, NULL, NULL, 1, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "out of range") != NULL);
    int32_t many[40] = {0};
    CHECK(a2a_session_decode(ctx, s2, many, NULL, NULL, 40, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "context is full") != NULL);
    int32_t *t = NULL;
    size_t n = 0;
    CHECK(a2a_llm_tokenize(ctx, m, "hi", 2, true, false, &t, &n) == A2A_ERR_UNSUPPORTED); /* no tokenizer in this file */
    CHECK(a2a_session_generate(ctx, s2, NULL, 4, NULL, NULL, NULL, NULL, NULL) == A2A_ERR_UNSUPPORTED);
    a2a_session_free(s1);
    a2a_session_free(s2);
    a2a_llm_free(m);
    CHECK(a2a_llm_load(ctx, "/nonexistent/model.gguf", &m) == A2A_ERR_IO);
    CHECK(strstr(a2a_last_error(ctx), "/nonexistent/model.gguf") != NULL);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_model_and_sessions)
