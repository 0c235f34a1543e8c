/* CLAP text branch (ClapTextModelWithProjection, AudioLDM's text_encoder) vs transformers and
   diffusers (tools/ref/make_golden_clap_text.py): the committed folders tests/golden/clap_text/
   text_encoder (tiny ClapTextConfig: hidden 32, 2 layers, 4 heads, intermediate 37, projection 16,
   max_position_embeddings 80, F32 safetensors) and clap_text/tokenizer (a byte-level BPE of 600
   tokens trained with the tokenizers package, RoBERTa specials, model_max_length 77) are converted
   with a2a_clap_text_convert, loaded, and compared with clap_text/ref.gguf:
     tok_*   token ids (exact) of the pipeline's tokenizer call (padding to 77, truncation) for
             plain, empty, punctuated, whitespace-heavy, contraction, non-ASCII, special-token
             and over-long prompts; we tokenize without padding and pad with <pad> here
     emb_*   text_embeds for padded id sequences with attention masks (lengths 77 and 24, and a
             mask with a hole), nmse <= 1e-10 and max abs <= 2e-5 (as stored; F32 weights)
     cond_*  AudioLDM's conditioning (_encode_prompt with guidance): normalized embeddings of
             the negative prompt (max_length = projection_dim, diffusers' quirk) and the prompt
             (a2a_clap_text_embed), nmse <= 1e-10, max abs <= 2e-6
   The same at 1 and 2 threads; with F16 weights nmse <= 1e-5 and with Q8_0 linears
   nmse <= 1e-3 (the model is tiny and random, so quantization errors are not averaged out).
   A bundle-style file (a2a_clap_text_convert_add with prefix "text_encoder.") and a tokenizer
   folder with only tokenizer.json give identical outputs. Bad inputs must fail cleanly: missing / mis-shaped tensors, bad metadata, ids out of
   range, empty or over-long sequences, bad masks, invalid UTF-8, bad max_length, no vocabulary,
   converter errors. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"
#include "models/text_encoders/clap_text.h"
#include "text/vocab.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-clap-%d-%s.gguf", (int)getpid(), tag);
    return buf;
}

/* Convert the committed folders with these weight types into a temporary file and load it. */
static a2a_clap_text *convert_load(a2a_type wt, a2a_type et, char *out, size_t cap) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024];
    a2a_golden_path(dir, sizeof dir, "clap_text/text_encoder");
    a2a_clap_text_convert_params p = a2a_clap_text_convert_default_params();
    p.weight_type = wt;
    p.embed_type = et;
    char tag[64];
    snprintf(tag, sizeof tag, "m-%d-%d", (int)wt, (int)et);
    a2a_status st = a2a_clap_text_convert(ctx, dir, tmp_path(out, cap, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert: %s", a2a_last_error(ctx));
    a2a_clap_text *m = NULL;
    if (st == A2A_OK) {
        st = a2a_clap_text_load(ctx, out, &m);
        CHECK_MSG(st == A2A_OK, "load: %s", a2a_last_error(ctx));
    }
    a2a_ctx_free(ctx);
    return m;
}

/* A string parameter of a golden case (NUL-terminated copy into buf). */
static const char *case_str(const a2a_golden_case *c, const char *param, char *buf, size_t cap) {
    char key[160];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    const char *s;
    size_t len;
    if (a2a_gguf_get_str(NULL, c->file->g, key, &s, &len) != A2A_OK || len >= cap) return NULL;
    memcpy(buf, s, len);
    buf[len] = 0;
    return buf;
}

/* Run every case of ref.gguf on m. tol_nmse > 0 overrides the stored tolerances of the
   embedding cases (quantized weights). */
static void run_cases(a2a_clap_text *m, a2a_threadpool *tp, const char *tag, double tol_nmse) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "clap_text/ref.gguf")) {
        CHECK_MSG(0, "cannot open clap_text/ref.gguf");
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    const a2a_clap_text_config *cfg = a2a_clap_text_get_config(m);
    const a2a_vocab *v = a2a_clap_text_vocab(m);
    CHECK(cfg->projection_dim == 16 && cfg->max_length == 77 && v != NULL);
    int n_tok = 0, n_emb = 0, n_cond = 0;
    char text[4096], neg[4096];
    for (int ci = 0; ci < gf.n_cases; ci++) {
        const a2a_golden_case *c = &gf.cases[ci];
        a2a_golden_case cc = *c;
        if (tol_nmse > 0) {
            cc.tol_nmse = tol_nmse;
            cc.tol_max_abs = 1.0;
        }
        if (strcmp(c->op, "clap_tokens") == 0) {
            if (tol_nmse > 0) continue; /* weights do not matter */
            n_tok++;
            CHECK(case_str(c, "text", text, sizeof text) != NULL);
            int32_t *ids = NULL;
            size_t n = 0;
            a2a_status st = a2a_clap_text_tokenize(ctx, m, text, 0, &ids, &n);
            CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
            int64_t L = c->out->ne[0];
            const int32_t *want = c->out->data, *wmask = c->in[0]->data;
            bool same = n <= (size_t)L;
            for (int64_t i = 0; same && i < L; i++) {
                int32_t got = (size_t)i < n ? ids[i] : v->pad;
                same = got == want[i] && wmask[i] == ((size_t)i < n);
            }
            CHECK_MSG(same, "%s: token ids differ from RobertaTokenizer's for '%s' (%zu tokens)", c->name, text, n);
            free(ids);
        } else if (strcmp(c->op, "clap_text_embeds") == 0) {
            n_emb++;
            size_t n = (size_t)c->in[0]->ne[0];
            a2a_tensor got;
            CHECK(a2a_golden_alloc_like(&got, c->out));
            a2a_status st = a2a_clap_text_embeds(ctx, tp, m, c->in[0]->data, c->in[1]->data, n, got.data);
            CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
            CHECK(a2a_golden_compare(&cc, &got, tag));
            free(got.data);
        } else if (strcmp(c->op, "clap_audioldm_cond") == 0) {
            n_cond++;
            CHECK(case_str(c, "text", text, sizeof text) != NULL && case_str(c, "negative", neg, sizeof neg) != NULL);
            a2a_tensor got;
            CHECK(a2a_golden_alloc_like(&got, c->out));
            float *g = got.data;
            a2a_status st = a2a_clap_text_embed_len(ctx, tp, m, neg, cfg->projection_dim, g);
            CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
            st = a2a_clap_text_embed(ctx, tp, m, text, g + cfg->projection_dim);
            CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
            CHECK(a2a_golden_compare(&cc, &got, tag));
            free(got.data);
        }
    }
    CHECK((tol_nmse > 0 || n_tok == 8) && n_emb == 10 && n_cond == 3);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

TEST(test_clap_text_f32) {
    char path[256];
    a2a_clap_text *m = convert_load(A2A_TYPE_F32, A2A_TYPE_F32, path, sizeof path);
    if (!m) return;
    run_cases(m, NULL, "f32/t1", 0);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    if (tp) run_cases(m, tp, "f32/t2", 0);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    a2a_clap_text_free(m);
    unlink(path);
}

TEST(test_clap_text_f16) {
    char path[256];
    a2a_clap_text *m = convert_load(A2A_TYPE_F16, A2A_TYPE_F16, path, sizeof path);
    if (!m) return;
    run_cases(m, NULL, "f16", 1e-5);
    a2a_clap_text_free(m);
    unlink(path);
}

TEST(test_clap_text_q8) {
    char path[256];
    a2a_clap_text *m = convert_load(A2A_TYPE_Q8_0, A2A_TYPE_F16, path, sizeof path);
    if (!m) return;
    run_cases(m, NULL, "q8_0", 1e-3);
    a2a_clap_text_free(m);
    unlink(path);
}

/* convert_add into a caller's writer with the "text_encoder." prefix (AudioLDM bundle layout). */
TEST(test_clap_text_prefixed_bundle) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], tdir[1024], path[256], path0[256];
    a2a_golden_path(dir, sizeof dir, "clap_text/text_encoder");
    a2a_golden_path(tdir, sizeof tdir, "clap_text/tokenizer");
    a2a_clap_text_convert_params p = a2a_clap_text_convert_default_params();
    p.weight_type = A2A_TYPE_F32;
    p.embed_type = A2A_TYPE_F32;
    p.tokenizer_dir = tdir;
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "audioldm") == A2A_OK);
    a2a_status st = a2a_clap_text_convert_add(ctx, w, dir, "text_encoder.", &p);
    CHECK_MSG(st == A2A_OK, "convert_add: %s", a2a_last_error(ctx));
    CHECK(a2a_gguf_writer_write(ctx, w, tmp_path(path, sizeof path, "bundle")) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    a2a_clap_text *m = NULL, *m0 = NULL;
    CHECK(a2a_gguf_open(ctx, path, &g) == A2A_OK);
    CHECK(a2a_gguf_find_tensor(g, "text_encoder.text_model.encoder.layer.1.attention.output.LayerNorm.weight") != NULL);
    CHECK(a2a_gguf_find_tensor(g, "text_encoder.text_model.embeddings.position_ids") == NULL);
    /* without the prefix the tensors are not found */
    CHECK(a2a_clap_text_load_gguf(ctx, g, NULL, &m) == A2A_ERR_NOT_FOUND && m == NULL);
    st = a2a_clap_text_load_gguf(ctx, g, "text_encoder.", &m);
    CHECK_MSG(st == A2A_OK, "load prefixed: %s", a2a_last_error(ctx));
    m0 = convert_load(A2A_TYPE_F32, A2A_TYPE_F32, path0, sizeof path0);
    if (m && m0) {
        float a[16], b[16];
        CHECK(a2a_clap_text_embed(ctx, NULL, m, "a dog barks in the rain", a) == A2A_OK);
        CHECK(a2a_clap_text_embed(ctx, NULL, m0, "a dog barks in the rain", b) == A2A_OK);
        CHECK(memcmp(a, b, sizeof a) == 0);
        double ss = 0;
        for (int i = 0; i < 16; i++) ss += (double)a[i] * a[i];
        CHECK_NEAR(ss, 1.0, 1e-5);
    }
    a2a_clap_text_free(m);
    a2a_clap_text_free(m0);
    a2a_gguf_close(g);
    unlink(path);
    unlink(path0);
    a2a_ctx_free(ctx);
}

static bool copy_file(const char *src, const char *dst) {
    FILE *a = fopen(src, "rb"), *b = fopen(dst, "wb");
    bool ok = a && b;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, a)) > 0) ok = fwrite(buf, 1, n, b) == n;
    if (a) fclose(a);
    if (b) fclose(b);
    return ok;
}

/* A tokenizer folder holding only tokenizer.json (+ tokenizer_config.json), as some fast-only
   repositories ship it: same vocabulary, same tokens, same conditioning. */
TEST(test_clap_text_tokenizer_json_only) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], tsrc[1024], tdir[256], a[1100], b[512], path[256], path0[256];
    a2a_golden_path(dir, sizeof dir, "clap_text/text_encoder");
    a2a_golden_path(tsrc, sizeof tsrc, "clap_text/tokenizer");
    snprintf(tdir, sizeof tdir, "/tmp/a2a-test-clap-%d-tokjson", (int)getpid());
    mkdir(tdir, 0700);
    const char *files[2] = {"tokenizer.json", "tokenizer_config.json"};
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s", tsrc, files[i]);
        snprintf(b, sizeof b, "%s/%s", tdir, files[i]);
        CHECK(copy_file(a, b));
    }
    a2a_clap_text_convert_params p = a2a_clap_text_convert_default_params();
    p.weight_type = A2A_TYPE_F32;
    p.embed_type = A2A_TYPE_F32;
    p.tokenizer_dir = tdir;
    a2a_status st = a2a_clap_text_convert(ctx, dir, tmp_path(path, sizeof path, "tokjson"), &p);
    CHECK_MSG(st == A2A_OK, "convert: %s", a2a_last_error(ctx));
    a2a_clap_text *m = NULL, *m0 = convert_load(A2A_TYPE_F32, A2A_TYPE_F32, path0, sizeof path0);
    if (st == A2A_OK) CHECK(a2a_clap_text_load(ctx, path, &m) == A2A_OK);
    if (m && m0) {
        const a2a_vocab *v = a2a_clap_text_vocab(m), *v0 = a2a_clap_text_vocab(m0);
        CHECK(v->n_tokens == v0->n_tokens && v->bos == v0->bos && v->eos == v0->eos && v->pad == v0->pad);
        const char *pr = "unicode: caf\xc3\xa9 <s>special</s> and it's 2024!!";
        int32_t *t = NULL, *t0 = NULL;
        size_t n = 0, n0 = 0;
        CHECK(a2a_clap_text_tokenize(ctx, m, pr, 0, &t, &n) == A2A_OK);
        CHECK(a2a_clap_text_tokenize(ctx, m0, pr, 0, &t0, &n0) == A2A_OK);
        CHECK(n == n0 && n > 2 && t && t0 && memcmp(t, t0, n * sizeof *t) == 0);
        free(t);
        free(t0);
        float e[16], e0[16];
        CHECK(a2a_clap_text_embed(ctx, NULL, m, pr, e) == A2A_OK && a2a_clap_text_embed(ctx, NULL, m0, pr, e0) == A2A_OK);
        CHECK(memcmp(e, e0, sizeof e) == 0);
    }
    a2a_clap_text_free(m);
    a2a_clap_text_free(m0);
    for (int i = 0; i < 2; i++) {
        snprintf(b, sizeof b, "%s/%s", tdir, files[i]);
        unlink(b);
    }
    rmdir(tdir);
    unlink(path);
    unlink(path0);
    a2a_ctx_free(ctx);
}

/* ---- bad files ---- */

typedef struct rw_opts {
    const char *skip_tensor;  /* leave this tensor out */
    const char *shrink;       /* give this tensor one fewer element along ne[0] */
    const char *skip_key;     /* leave this metadata key out (prefix match) */
    const char *set_key;      /* override this u32 key ... */
    uint32_t set_val;         /* ... with this value */
} rw_opts;

static bool key_filter(const char *key, void *user) {
    const rw_opts *o = user;
    if (o->skip_key && strncmp(key, o->skip_key, strlen(o->skip_key)) == 0) return false;
    if (o->set_key && strcmp(key, o->set_key) == 0) return false;
    return true;
}

static bool rewrite(const char *src, const char *dst, rw_opts o) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_gguf_writer *w = NULL;
    bool ok = a2a_gguf_open(ctx, src, &g) == A2A_OK && a2a_gguf_writer_new(ctx, &w) == A2A_OK &&
              a2a_gguf_writer_copy_kv(ctx, w, g, key_filter, &o) == A2A_OK;
    if (ok && o.set_key) ok = a2a_gguf_writer_set_u32(ctx, w, o.set_key, o.set_val) == A2A_OK;
    for (int64_t i = 0; ok && i < a2a_gguf_n_tensors(g); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        if (o.skip_tensor && strcmp(t->name, o.skip_tensor) == 0) continue;
        int64_t ne[A2A_MAX_DIMS];
        memcpy(ne, t->ne, sizeof ne);
        if (o.shrink && strcmp(t->name, o.shrink) == 0) ne[0] -= 1;
        ok = a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, ne, t->data) == A2A_OK;
    }
    ok = ok && a2a_gguf_writer_write(ctx, w, dst) == A2A_OK;
    CHECK_MSG(ok, "rewrite: %s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return ok;
}

static void expect_load_fail(const char *path, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clap_text *m = NULL;
    a2a_status st = a2a_clap_text_load(ctx, path, &m);
    CHECK_MSG(st == want, "load: status %d, want %d (%s)", (int)st, (int)want, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(m == NULL);
    a2a_clap_text_free(m);
    a2a_ctx_free(ctx);
}

TEST(test_clap_text_bad_files) {
    char base[256], bad[256];
    a2a_clap_text *m = convert_load(A2A_TYPE_F32, A2A_TYPE_F32, base, sizeof base);
    if (!m) return;
    a2a_clap_text_free(m);
    tmp_path(bad, sizeof bad, "bad");
    const char *q = "text_model.encoder.layer.1.attention.self.query.weight";
    if (rewrite(base, bad, (rw_opts){.skip_tensor = q})) expect_load_fail(bad, A2A_ERR_NOT_FOUND, q);
    if (rewrite(base, bad, (rw_opts){.shrink = "text_projection.linear2.bias"}))
        expect_load_fail(bad, A2A_ERR_SHAPE, "text_projection.linear2.bias");
    if (rewrite(base, bad, (rw_opts){.set_key = "clap_text.num_attention_heads", .set_val = 5}))
        expect_load_fail(bad, A2A_ERR_FORMAT, "heads");
    if (rewrite(base, bad, (rw_opts){.set_key = "clap_text.num_hidden_layers", .set_val = 100000}))
        expect_load_fail(bad, A2A_ERR_FORMAT, "num_hidden_layers");
    if (rewrite(base, bad, (rw_opts){.set_key = "clap_text.max_length", .set_val = 79}))
        expect_load_fail(bad, A2A_ERR_FORMAT, "max_length");
    if (rewrite(base, bad, (rw_opts){.skip_key = "clap_text.hidden_size"}))
        expect_load_fail(bad, A2A_ERR_FORMAT, "clap_text.hidden_size");
    if (rewrite(base, bad, (rw_opts){.set_key = "clap_text.vocab_size", .set_val = 599}))
        expect_load_fail(bad, A2A_ERR_SHAPE, "word_embeddings");
    /* no vocabulary: ids still work, prompts fail cleanly */
    if (rewrite(base, bad, (rw_opts){.skip_key = "tokenizer."})) {
        a2a_ctx *ctx = a2a_ctx_new();
        CHECK(a2a_clap_text_load(ctx, bad, &m) == A2A_OK);
        if (m) {
            float o[16];
            int32_t ids[3] = {0, 10, 2};
            CHECK(a2a_clap_text_vocab(m) == NULL);
            CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 3, o) == A2A_OK);
            CHECK(a2a_clap_text_embed(ctx, NULL, m, "a dog", o) == A2A_ERR_UNSUPPORTED);
        }
        a2a_clap_text_free(m);
        m = NULL;
        a2a_ctx_free(ctx);
    }
    unlink(bad);
    unlink(base);
}

TEST(test_clap_text_bad_inputs) {
    char base[256];
    a2a_clap_text *m = convert_load(A2A_TYPE_F32, A2A_TYPE_F32, base, sizeof base);
    if (!m) return;
    a2a_ctx *ctx = a2a_ctx_new();
    float o[16];
    int32_t ids[80], mask[80];
    for (int i = 0; i < 80; i++) {
        ids[i] = 5;
        mask[i] = 1;
    }
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 0, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 79, o) == A2A_ERR_INVALID_ARG); /* positions 2..79 only */
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, (size_t)1 << 40, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 78, o) == A2A_OK);
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, NULL, NULL, 3, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 3, NULL) == A2A_ERR_INVALID_ARG);
    ids[1] = 600;
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 3, o) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "600") != NULL);
    ids[1] = -1;
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, NULL, 3, o) == A2A_ERR_INVALID_ARG);
    ids[1] = 5;
    mask[2] = 2;
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, mask, 3, o) == A2A_ERR_INVALID_ARG);
    /* everything masked: still finite (uniform attention, as transformers' finfo.min mask) */
    for (int i = 0; i < 3; i++) mask[i] = 0;
    CHECK(a2a_clap_text_embeds(ctx, NULL, m, ids, mask, 3, o) == A2A_OK);
    bool finite = true;
    for (int i = 0; i < 16; i++) finite = finite && isfinite(o[i]);
    CHECK(finite);
    CHECK(a2a_clap_text_embed(ctx, NULL, m, NULL, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embed(ctx, NULL, m, "bad \xff utf8", o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embed(ctx, NULL, m, "ok", NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embed_len(ctx, NULL, m, "ok", 1, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embed_len(ctx, NULL, m, "ok", 79, o) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_embed_len(ctx, NULL, m, "ok", 78, o) == A2A_OK);
    CHECK(a2a_clap_text_embed_len(ctx, NULL, m, "ok", -3, o) == A2A_ERR_INVALID_ARG);
    /* the shortest max_length keeps only <s> </s> */
    int32_t *t = NULL;
    size_t n = 0;
    CHECK(a2a_clap_text_tokenize(ctx, m, "a dog barks", 2, &t, &n) == A2A_OK && n == 2 && t && t[0] == 0 && t[1] == 2);
    free(t);
    a2a_clap_text_free(m);
    unlink(base);
    /* loader argument errors */
    CHECK(a2a_clap_text_load(ctx, "/nonexistent-clap.gguf", &m) != A2A_OK && m == NULL);
    CHECK(a2a_clap_text_load(ctx, NULL, &m) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clap_text_load_gguf(ctx, NULL, NULL, &m) == A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* Converter: missing folder / files, unsupported configs and target types. */
TEST(test_clap_text_convert_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    char out[256], dir[256], path[512], tdir[1024];
    tmp_path(out, sizeof out, "conv-err");
    a2a_golden_path(tdir, sizeof tdir, "clap_text/tokenizer");
    CHECK(a2a_clap_text_convert(ctx, "/nonexistent-clap-dir", out, NULL) == A2A_ERR_NOT_FOUND);
    CHECK(a2a_clap_text_convert(ctx, NULL, out, NULL) == A2A_ERR_INVALID_ARG);
    a2a_clap_text_convert_params p = a2a_clap_text_convert_default_params();
    p.weight_type = A2A_TYPE_Q4_K;
    char real[1024];
    a2a_golden_path(real, sizeof real, "clap_text/text_encoder");
    CHECK(a2a_clap_text_convert(ctx, real, out, &p) == A2A_ERR_UNSUPPORTED);
    p = a2a_clap_text_convert_default_params();
    p.embed_type = A2A_TYPE_Q8_0;
    CHECK(a2a_clap_text_convert(ctx, real, out, &p) == A2A_ERR_UNSUPPORTED);
    snprintf(dir, sizeof dir, "/tmp/a2a-test-clap-%d-dir", (int)getpid());
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config.json", dir);
    p = a2a_clap_text_convert_default_params();
    p.tokenizer_dir = tdir;
    write_text(path, "{\"model_type\": \"clap\"}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_UNSUPPORTED);
    write_text(path, "{\"model_type\": \"clap_text_model\", \"position_embedding_type\": \"relative_key\"}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_UNSUPPORTED);
    write_text(path, "{\"model_type\": \"clap_text_model\", \"hidden_act\": \"mish\"}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_UNSUPPORTED);
    write_text(path, "{\"model_type\": \"clap_text_model\", \"hidden_size\": 30, \"num_attention_heads\": 4, \"vocab_size\": 600}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_FORMAT);
    write_text(path, "{\"model_type\": \"clap_text_model\", \"hidden_size\": 32, \"num_attention_heads\": 4, \"vocab_size\": 600,"
                     " \"max_position_embeddings\": 80}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_NOT_FOUND); /* no weights */
    write_text(path, "{\"model_type\": \"clap_text_model\", \"vocab_size\": 100, \"max_position_embeddings\": 80}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_FORMAT); /* 600 tokens > vocab_size */
    write_text(path, "{\"model_type\": ");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_FORMAT);
    /* no tokenizer anywhere */
    write_text(path, "{\"model_type\": \"clap_text_model\", \"vocab_size\": 600, \"max_position_embeddings\": 80}");
    p.tokenizer_dir = dir;
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_NOT_FOUND);
    /* a bad merges.txt */
    char vj[512], mt[512];
    snprintf(vj, sizeof vj, "%s/vocab.json", dir);
    snprintf(mt, sizeof mt, "%s/merges.txt", dir);
    write_text(vj, "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"a\": 3}");
    write_text(mt, "#version: 0.2\nab\n");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_FORMAT);
    /* add_prefix_space is not supported */
    char tc[512];
    snprintf(tc, sizeof tc, "%s/tokenizer_config.json", dir);
    write_text(mt, "#version: 0.2\na a\n");
    write_text(tc, "{\"add_prefix_space\": true}");
    CHECK(a2a_clap_text_convert(ctx, dir, out, &p) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "add_prefix_space") != NULL);
    unlink(tc);
    unlink(vj);
    unlink(mt);
    unlink(path);
    rmdir(dir);
    struct stat sb;
    CHECK(stat(out, &sb) != 0); /* nothing written */
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_clap_text_f32, test_clap_text_f16, test_clap_text_q8, test_clap_text_prefixed_bundle,
          test_clap_text_tokenizer_json_only,
          test_clap_text_bad_files, test_clap_text_bad_inputs, test_clap_text_convert_errors)
