/* Multimodal prompt assembly (src/pipeline/mm_prompt.c): the NExT-GPT layout position by
   position on the real LLaMA SentencePiece vocabulary extended with <Img> and </Img> (as
   NExT-GPT's tokenizer.add_tokens does), trailing media, error paths; and the vocabulary
   extension (src/text/vocab_extend.c) itself. */
#include "a2a_test.h"

#include "io/gguf.h"
#include "pipeline/mm_prompt.h"
#include "text/vocab.h"
#include "text/vocab_extend.h"

#define N_EMBD 8

/* The fixture vocabulary with extra tokens appended, loaded. */
static a2a_vocab *extended_vocab(a2a_ctx *ctx, const char *const *extra, int n_extra, int64_t *n_vocab) {
    char path[1024];
    snprintf(path, sizeof path, "%s/fixtures/vocab/ggml-vocab-llama-spm.gguf", A2A_SHARED_DIR);
    a2a_gguf *src = NULL, *g = NULL;
    a2a_gguf_writer *w = NULL;
    void *mem = NULL;
    size_t size = 0;
    a2a_vocab *v = NULL;
    if (a2a_gguf_open(ctx, path, &src) == A2A_OK && a2a_gguf_writer_new(ctx, &w) == A2A_OK &&
        a2a_vocab_gguf_copy_extended(ctx, w, src, extra, n_extra, n_vocab) == A2A_OK &&
        a2a_gguf_writer_write_memory(ctx, w, &mem, &size) == A2A_OK && a2a_gguf_open_memory(ctx, mem, size, &g) == A2A_OK)
        a2a_vocab_load(ctx, g, &v);
    if (!v) fprintf(stderr, "extended_vocab: %s\n", a2a_last_error(ctx));
    a2a_gguf_close(g);
    free(mem);
    a2a_gguf_writer_free(w);
    a2a_gguf_close(src);
    return v;
}

/* Fake encoder: 2 soft tokens per media item, row r filled with kind*10 + r. */
static float fake_rows[2 * N_EMBD];
static int fake_calls;
static a2a_status fake_embed(a2a_ctx *ctx, void *user, const a2a_chunk *c, const float **rows, int32_t *n) {
    (void)user;
    if (c->path && !strcmp(c->path, "broken.png")) return a2a_fail(ctx, A2A_ERR_FORMAT, "broken.png: not an image");
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < N_EMBD; i++) fake_rows[r * N_EMBD + i] = (float)(c->kind * 10 + r);
    fake_calls++;
    *rows = fake_rows;
    *n = 2;
    return A2A_OK;
}

/* Append the ids of text (no BOS) to exp. */
static int push_text(a2a_ctx *ctx, const a2a_vocab *v, const char *text, int32_t *exp, int n) {
    int32_t *ids = NULL;
    size_t k = 0;
    CHECK(a2a_tokenize(ctx, v, text, strlen(text), false, true, &ids, &k) == A2A_OK);
    for (size_t i = 0; i < k; i++) exp[n++] = ids[i];
    free(ids);
    return n;
}

TEST(nextgpt_layout) {
    a2a_ctx *ctx = a2a_ctx_new();
    const char *extra[2] = {"<Img>", "</Img>"};
    int64_t nv = 0;
    a2a_vocab *v = extended_vocab(ctx, extra, 2, &nv);
    CHECK(v != NULL);
    if (!v) goto out;
    CHECK(nv == 32002);
    const int32_t img = a2a_vocab_find(v, "<Img>", 5), img_end = a2a_vocab_find(v, "</Img>", 6);
    CHECK(img == 32000 && img_end == 32001);
    const int32_t bos = 1;
    /* media first, then the question: upstream's trained layout */
    a2a_chunk chunks[2] = {{A2A_CHUNK_IMAGE, NULL, "cat.png", NULL, 0}, {A2A_CHUNK_TEXT, "What is in the picture?", NULL, NULL, 0}};
    a2a_mm_seq s;
    a2a_mm_seq_init(&s, N_EMBD);
    fake_calls = 0;
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, chunks, 2, fake_embed, NULL) == A2A_OK);
    int32_t exp[256];
    int n = 0;
    exp[n++] = bos;
    n = push_text(ctx, v, "### Human:", exp, n);
    exp[n++] = img;
    int emb_at = n;
    exp[n++] = -1;
    exp[n++] = -1;
    exp[n++] = img_end;
    exp[n++] = bos;
    n = push_text(ctx, v, "What is in the picture?\n### Assistant:", exp, n);
    CHECK(s.n == n);
    CHECK(fake_calls == 1 && s.n_media == 1);
    for (int i = 0; i < n && i < s.n; i++) {
        if (exp[i] < 0) {
            CHECK(s.is_embd[i] == 1);
            CHECK(s.embd[(size_t)i * N_EMBD] == (float)(A2A_CHUNK_IMAGE * 10 + (i - emb_at)));
        } else {
            CHECK_MSG(!s.is_embd[i] && s.tokens[i] == exp[i], "position %d: got %d want %d", i, s.tokens[i], exp[i]);
        }
    }
    /* "### Human:" is SentencePiece text with a dummy prefix: it starts with "▁###" */
    size_t len;
    const char *t = a2a_vocab_text(v, s.tokens[1], &len);
    CHECK(len >= 3 && !memcmp(t, "\xe2\x96\x81", 3));
    a2a_mm_seq_free(&s);

    /* trailing media: the assistant cue becomes its own BOS segment */
    a2a_chunk tail[3] = {{A2A_CHUNK_TEXT, "Compare", NULL, NULL, 0},
                         {A2A_CHUNK_AUDIO, NULL, "a.wav", NULL, 0},
                         {A2A_CHUNK_VIDEO, NULL, "b.mp4", NULL, 0}};
    a2a_mm_seq_init(&s, N_EMBD);
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, tail, 3, fake_embed, NULL) == A2A_OK);
    n = 0;
    exp[n++] = bos;
    n = push_text(ctx, v, "### Human:", exp, n);
    exp[n++] = bos;
    n = push_text(ctx, v, "Compare", exp, n);
    for (int k = 0; k < 2; k++) {
        exp[n++] = img;
        exp[n++] = -1;
        exp[n++] = -1;
        exp[n++] = img_end;
    }
    exp[n++] = bos;
    n = push_text(ctx, v, "\n### Assistant:", exp, n);
    CHECK(s.n == n && s.n_media == 2);
    for (int i = 0; i < n && i < s.n; i++) CHECK(exp[i] < 0 ? s.is_embd[i] == 1 : (s.tokens[i] == exp[i] && !s.is_embd[i]));
    a2a_mm_seq_free(&s);

    /* errors: no chunks, encoder failure names the file, unknown kind, missing text */
    a2a_mm_seq_init(&s, N_EMBD);
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, chunks, 0, fake_embed, NULL) == A2A_ERR_INVALID_ARG);
    a2a_chunk bad = {A2A_CHUNK_IMAGE, NULL, "broken.png", NULL, 0};
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, &bad, 1, fake_embed, NULL) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "broken.png") != NULL);
    a2a_chunk odd = {(a2a_chunk_kind)9, NULL, NULL, NULL, 0};
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, &odd, 1, fake_embed, NULL) == A2A_ERR_INVALID_ARG);
    a2a_chunk notext = {A2A_CHUNK_TEXT, NULL, NULL, NULL, 0};
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, &notext, 1, fake_embed, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_mm_build_nextgpt(ctx, &s, v, chunks, 2, NULL, NULL) == A2A_ERR_INVALID_ARG);
    a2a_mm_seq_free(&s);
    a2a_vocab_free(v);
out:
    a2a_ctx_free(ctx);
}

TEST(vocab_without_markers) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_vocab *v = extended_vocab(ctx, NULL, 0, NULL);
    CHECK(v != NULL);
    if (v) {
        a2a_chunk c = {A2A_CHUNK_IMAGE, NULL, "x.png", NULL, 0};
        a2a_mm_seq s;
        a2a_mm_seq_init(&s, N_EMBD);
        CHECK(a2a_mm_build_nextgpt(ctx, &s, v, &c, 1, fake_embed, NULL) == A2A_ERR_NOT_FOUND);
        CHECK(strstr(a2a_last_error(ctx), "<Img>") != NULL);
        /* text only needs no markers */
        a2a_chunk t = {A2A_CHUNK_TEXT, "hello", NULL, NULL, 0};
        CHECK(a2a_mm_build_nextgpt(ctx, &s, v, &t, 1, NULL, NULL) == A2A_OK);
        a2a_mm_seq_free(&s);
        a2a_vocab_free(v);
    }
    /* duplicate and empty extra tokens are refused by name */
    const char *dup[1] = {"<s>"}, *empty[1] = {""}, *twice[2] = {"[IMG0]", "[IMG0]"};
    CHECK(extended_vocab(ctx, dup, 1, NULL) == NULL);
    CHECK(strstr(a2a_last_error(ctx), "<s>") != NULL);
    CHECK(extended_vocab(ctx, empty, 1, NULL) == NULL);
    CHECK(extended_vocab(ctx, twice, 2, NULL) == NULL);
    a2a_ctx_free(ctx);
}

TEST_MAIN(nextgpt_layout, vocab_without_markers)
