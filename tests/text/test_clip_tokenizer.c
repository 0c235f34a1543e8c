/* CLIP BPE tokenizer (src/text/tok_clip.c, clip_vocab.c) against the upstream tokenizers.

   tests/golden/clip_tok/clip_tok.gguf (tools/ref/make_golden_clip_tok.py) holds, for each test
   string, the ids of ImageBind's SimpleTokenizer (encode() and the 77-long __call__ result) and
   of transformers' CLIPTokenizer (raw, and padding="max_length", max_length=77, truncation=True)
   built from the same vocabulary, the SimpleTokenizer decode() text, and the ids of a
   CLIPTokenizer over a small committed HF folder (hf_small/). Tolerance: exact equality of every
   id and of the decoded bytes. The vocabulary is the package's bpe_simple_vocab_16e6.txt.gz cut
   to the 48894 merges upstream reads (committed). The same cases run through a vocabulary
   round-tripped through our GGUF writer and loader. Bad inputs must give clean errors. */
#include "a2a_test.h"

#include "core/status.h"
#include "io/gguf.h"
#include "text/clip_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef GOLD_DIR /* overridable for larger, uncommitted case sets (make_golden_clip_tok.py golden DIR N SEED) */
#define GOLD_DIR A2A_SOURCE_DIR "/tests/golden/clip_tok"
#endif

static a2a_clip_vocab *g_vocab;

static a2a_clip_vocab *vocab(void) {
    if (g_vocab) return g_vocab;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_clip_vocab_load_bpe_gz(ctx, GOLD_DIR "/bpe_simple_vocab_16e6.txt.gz", &g_vocab);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return g_vocab;
}

/* i32 array key of the golden file (absent = empty). */
static bool gold_ids(const a2a_gguf *g, const char *key, const int32_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    if (a2a_gguf_find_key(g, key) < 0) return true;
    a2a_gguf_vtype et;
    uint64_t cnt;
    const void *data;
    if (a2a_gguf_get_arr(NULL, g, key, &et, &cnt, &data) != A2A_OK || et != A2A_GGUF_INT32) return false;
    *ids = data;
    *n = (size_t)cnt;
    return true;
}

/* String key of the golden file; gguf-py leaves empty strings out, so absent = "". */
static bool gold_str(const a2a_gguf *g, const char *key, const char **s, size_t *n) {
    *s = "";
    *n = 0;
    if (a2a_gguf_find_key(g, key) < 0) return true;
    return a2a_gguf_get_str(NULL, g, key, s, n) == A2A_OK;
}

static bool same_ids(const int32_t *a, size_t na, const int32_t *ref, size_t nref) {
    if (na != nref) return false;
    for (size_t i = 0; i < na; i++) {
        int32_t r;
        memcpy(&r, ref + i, 4); /* golden arrays may be unaligned */
        if (a[i] != r) return false;
    }
    return true;
}

static void print_ids(const char *what, const int32_t *a, size_t n) {
    fprintf(stderr, "  %s (%zu):", what, n);
    for (size_t i = 0; i < n && i < 40; i++) {
        int32_t x;
        memcpy(&x, a + i, 4);
        fprintf(stderr, " %d", x);
    }
    fprintf(stderr, "\n");
}

/* Run every golden case through v; returns the number of mismatches. small: the hf_small vocab. */
static int run_cases(const a2a_clip_vocab *v, bool small) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    int bad = 0;
    if (a2a_gguf_open(ctx, GOLD_DIR "/clip_tok.gguf", &g) != A2A_OK) {
        CHECK_MSG(0, "%s", a2a_last_error(ctx));
        a2a_ctx_free(ctx);
        return 1;
    }
    uint32_t n_cases = 0;
    CHECK(a2a_gguf_get_u32(ctx, g, "golden.n_cases", &n_cases) == A2A_OK && n_cases >= 30);
    for (uint32_t c = 0; c < n_cases; c++) {
        char key[96];
        const char *text, *name;
        size_t tlen, nlen;
        snprintf(key, sizeof(key), "case%u.text", c);
        CHECK(gold_str(g, key, &text, &tlen));
        snprintf(key, sizeof(key), "case%u.name", c);
        CHECK(a2a_gguf_get_str(ctx, g, key, &name, &nlen) == A2A_OK);
        const struct { const char *key; a2a_clip_clean mode; int ctx77; } runs[] = {
            {"imagebind", A2A_CLIP_CLEAN_OPENAI, 0}, {"imagebind_ctx77", A2A_CLIP_CLEAN_OPENAI, 1},
            {"hf", A2A_CLIP_CLEAN_HF, 0},            {"hf_ctx77", A2A_CLIP_CLEAN_HF, 2},
        };
        const struct { const char *key; a2a_clip_clean mode; int ctx77; } small_runs[] = {{"hf_small", A2A_CLIP_CLEAN_HF, 0}};
        size_t nr = small ? 1 : 4;
        for (size_t r = 0; r < nr; r++) {
            const char *k = small ? small_runs[r].key : runs[r].key;
            a2a_clip_clean mode = small ? small_runs[r].mode : runs[r].mode;
            int c77 = small ? 0 : runs[r].ctx77;
            const int32_t *ref;
            size_t nref;
            snprintf(key, sizeof(key), "case%u.%s", c, k);
            CHECK(gold_ids(g, key, &ref, &nref));
            int32_t *ids = NULL, buf[A2A_CLIP_CONTEXT];
            size_t n = 0;
            a2a_status st;
            if (!c77) {
                st = a2a_clip_tokenize(ctx, v, text, tlen, mode, &ids, &n);
            } else {
                a2a_clip_params p = c77 == 1 ? a2a_clip_default_params() : a2a_clip_hf_params();
                int32_t used;
                st = a2a_clip_encode(ctx, v, text, tlen, &p, buf, &used);
                ids = buf;
                n = A2A_CLIP_CONTEXT;
                CHECK(used >= 2 && used <= A2A_CLIP_CONTEXT);
            }
            CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
            if (st == A2A_OK && !same_ids(ids, n, ref, nref)) {
                bad++;
                fprintf(stderr, "mismatch: case '%.*s' (%s)\n", (int)nlen, name, k);
                print_ids("got", ids, n);
                print_ids("ref", ref, nref);
                char *clean;
                size_t cl;
                if (a2a_clip_clean_text(ctx, text, tlen, mode, &clean, &cl) == A2A_OK) fprintf(stderr, "  cleaned: '%s'\n", clean), free(clean);
            }
            if (!c77) free(ids);
        }
        if (!small) { /* decode of the imagebind ids */
            const int32_t *ref;
            size_t nref;
            snprintf(key, sizeof(key), "case%u.imagebind", c);
            gold_ids(g, key, &ref, &nref);
            int32_t *ids = malloc(sizeof(int32_t) * (nref + 1));
            if (nref) memcpy(ids, ref, nref * 4);
            char *dec = NULL;
            size_t dl = 0;
            CHECK(a2a_clip_decode(ctx, v, ids, nref, false, &dec, &dl) == A2A_OK);
            const char *want;
            size_t wl;
            snprintf(key, sizeof(key), "case%u.decoded", c);
            CHECK(gold_str(g, key, &want, &wl));
            if (!dec || dl != wl || memcmp(dec, want, wl)) {
                bad++;
                fprintf(stderr, "decode mismatch: case '%.*s': got '%s' want '%.*s'\n", (int)nlen, name, dec ? dec : "", (int)wl, want);
            }
            free(dec);
            free(ids);
        }
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return bad;
}

TEST(vocab_gz) {
    const a2a_clip_vocab *v = vocab();
    if (!v) return;
    CHECK_EQ_INT(v->n_tokens, 49408);
    CHECK_EQ_INT(v->n_merges, 48894);
    CHECK_EQ_INT(v->sot, 49406);
    CHECK_EQ_INT(v->eot, 49407);
    CHECK_EQ_INT(v->byte_id['!'], 0);
    CHECK_EQ_INT(v->byte_id_w['!'], 256);
    size_t l;
    const char *t = a2a_clip_vocab_text(v, 512, &l); /* first merge "i n" */
    CHECK(t && l == 2 && !memcmp(t, "in", 2));
    CHECK(a2a_clip_vocab_text(v, 49408, &l) == NULL);
    CHECK(a2a_clip_vocab_find(v, "hello</w>", 9) == 3306);
}

TEST(golden_cases) {
    const a2a_clip_vocab *v = vocab();
    if (!v) return;
    int bad = run_cases(v, false);
    CHECK_MSG(bad == 0, "%d golden mismatches", bad);
}

TEST(gguf_roundtrip) {
    const a2a_clip_vocab *v = vocab();
    if (!v) return;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = NULL;
    void *mem = NULL;
    size_t size = 0;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "clip") == A2A_OK);
    CHECK(a2a_clip_vocab_write_gguf(ctx, w, v) == A2A_OK);
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &mem, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    a2a_clip_vocab *v2 = NULL;
    CHECK(a2a_gguf_open_memory(ctx, mem, size, &g) == A2A_OK);
    a2a_status st = a2a_clip_vocab_load_gguf(ctx, g, &v2);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_close(g); /* the vocabulary is a copy */
    free(mem);
    if (v2) {
        CHECK_EQ_INT(v2->n_tokens, v->n_tokens);
        CHECK_EQ_INT(v2->n_merges, v->n_merges);
        CHECK_EQ_INT(v2->sot, v->sot);
        CHECK_EQ_INT(v2->eot, v->eot);
        for (int32_t i = 0; i < v->n_tokens; i++) {
            size_t a, b;
            const char *ta = a2a_clip_vocab_text(v, i, &a), *tb = a2a_clip_vocab_text(v2, i, &b);
            if (a != b || memcmp(ta, tb, a)) { CHECK_MSG(0, "token %d differs", i); break; }
        }
        int bad = run_cases(v2, false);
        CHECK_MSG(bad == 0, "%d golden mismatches through GGUF", bad);
    }
    a2a_clip_vocab_free(v2);
    a2a_ctx_free(ctx);
}

TEST(hf_folder) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_vocab *v = NULL;
    a2a_status st = a2a_clip_vocab_load_hf(ctx, GOLD_DIR "/hf_small", &v);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (v) {
        CHECK_EQ_INT(v->n_tokens, 512 + 3000 + 2);
        CHECK_EQ_INT(v->n_merges, 3000);
        CHECK_EQ_INT(v->sot, 3512);
        CHECK_EQ_INT(v->eot, 3513);
        int bad = run_cases(v, true);
        CHECK_MSG(bad == 0, "%d hf_small mismatches", bad);
    }
    a2a_clip_vocab_free(v);
    a2a_ctx_free(ctx);
}

TEST(encode_packing) {
    const a2a_clip_vocab *v = vocab();
    if (!v) return;
    a2a_ctx *ctx = a2a_ctx_new();
    int32_t out[8];
    int32_t used;
    a2a_clip_params p = a2a_clip_default_params();
    p.context = 8;
    const char *text = "one two three four five six seven eight nine";
    CHECK(a2a_clip_encode(ctx, v, text, strlen(text), &p, out, &used) == A2A_OK);
    CHECK_EQ_INT(used, 8);
    CHECK_EQ_INT(out[0], v->sot);
    CHECK(out[7] != v->eot); /* ImageBind: plain cut */
    p.keep_eot = true;
    CHECK(a2a_clip_encode(ctx, v, text, strlen(text), &p, out, &used) == A2A_OK);
    CHECK_EQ_INT(out[7], v->eot);
    p.pad_id = 0;
    CHECK(a2a_clip_encode(ctx, v, "", 0, &p, out, &used) == A2A_OK);
    CHECK_EQ_INT(used, 2);
    CHECK(out[0] == v->sot && out[1] == v->eot && out[2] == 0 && out[7] == 0);
    p.pad_id = -1;
    CHECK(a2a_clip_encode(ctx, v, "x", 1, &p, out, &used) == A2A_OK);
    CHECK(used == 3 && out[3] == v->eot && out[7] == v->eot);
    /* bad parameters */
    p.context = 1;
    CHECK(a2a_clip_encode(ctx, v, "x", 1, &p, out, &used) == A2A_ERR_INVALID_ARG);
    p.context = 8;
    p.pad_id = 49408;
    CHECK(a2a_clip_encode(ctx, v, "x", 1, &p, out, &used) == A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

TEST(invalid_utf8_and_decode) {
    const a2a_clip_vocab *v = vocab();
    if (!v) return;
    a2a_ctx *ctx = a2a_ctx_new();
    int32_t *ids = NULL;
    size_t n = 0;
    const char bad[] = "ok \xC3\x28 no";
    CHECK(a2a_clip_tokenize(ctx, v, bad, sizeof(bad) - 1, A2A_CLIP_CLEAN_OPENAI, &ids, &n) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "byte 3") != NULL);
    CHECK(ids == NULL && n == 0);
    const char sur[] = "\xED\xA0\x80"; /* a surrogate */
    CHECK(a2a_clip_tokenize(ctx, v, sur, 3, A2A_CLIP_CLEAN_HF, &ids, &n) == A2A_ERR_INVALID_ARG);
    int32_t out[77];
    CHECK(a2a_clip_encode(ctx, v, bad, sizeof(bad) - 1, &(a2a_clip_params){77, 0, false, A2A_CLIP_CLEAN_NONE}, out, NULL) == A2A_ERR_INVALID_ARG);
    /* decode: lone lead byte E2 (symbol 'â'), then "</w>" of 'a' -> U+FFFD then "a " */
    int32_t dec_ids[2] = {v->byte_id[0xE2], v->byte_id_w['a']};
    char *s = NULL;
    size_t sl;
    CHECK(a2a_clip_decode(ctx, v, dec_ids, 2, false, &s, &sl) == A2A_OK);
    CHECK(s && sl == 5 && !memcmp(s, "\xEF\xBF\xBD" "a ", 5));
    free(s);
    int32_t sp[3] = {v->sot, v->byte_id_w['a'], v->eot};
    CHECK(a2a_clip_decode(ctx, v, sp, 3, true, &s, &sl) == A2A_OK);
    CHECK(s && !strcmp(s, "a "));
    free(s);
    CHECK(a2a_clip_decode(ctx, v, sp, 3, false, &s, &sl) == A2A_OK);
    CHECK(s && !strcmp(s, "<|startoftext|>a <|endoftext|>"));
    free(s);
    int32_t oob[1] = {49408};
    CHECK(a2a_clip_decode(ctx, v, oob, 1, false, &s, &sl) == A2A_ERR_INVALID_ARG);
    oob[0] = -1;
    CHECK(a2a_clip_decode(ctx, v, oob, 1, false, &s, &sl) == A2A_ERR_INVALID_ARG);
    /* round trip of ordinary text */
    const char *text = "a photo of 2 cats, don't you think?";
    CHECK(a2a_clip_tokenize(ctx, v, text, strlen(text), A2A_CLIP_CLEAN_OPENAI, &ids, &n) == A2A_OK);
    CHECK(a2a_clip_decode(ctx, v, ids, n, false, &s, &sl) == A2A_OK);
    CHECK(s && !strcmp(s, "a photo of 2 cats , don 't you think ? "));
    free(s);
    free(ids);
    a2a_ctx_free(ctx);
}

/* Write text to dir/name. */
static void put_file(const char *dir, const char *name, const void *data, size_t len) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(data, 1, len, f);
    fclose(f);
}

/* A tiny valid vocabulary text: header + merges. */
static const char *k_tiny = "#version: 0.2\ni n\nt h\nth e</w>\n";

TEST(bad_inputs) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_vocab *v = NULL;
    /* files */
    CHECK(a2a_clip_vocab_load_bpe_gz(ctx, "/nonexistent/vocab.txt.gz", &v) == A2A_ERR_IO && v == NULL);
    CHECK(a2a_clip_vocab_load_hf(ctx, "/nonexistent", &v) == A2A_ERR_IO && v == NULL);
    char dir[] = "/tmp/a2a_clip_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const unsigned char corrupt_gz[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0x12};
    put_file(dir, "corrupt.gz", corrupt_gz, sizeof(corrupt_gz));
    char path[1024];
    snprintf(path, sizeof(path), "%s/corrupt.gz", dir);
    a2a_status st = a2a_clip_vocab_load_bpe_gz(ctx, path, &v);
    CHECK_MSG(st == A2A_ERR_IO || st == A2A_ERR_FORMAT, "status %d: %s", st, a2a_last_error(ctx));
    /* plain text is read as is */
    put_file(dir, "tiny.txt", k_tiny, strlen(k_tiny));
    snprintf(path, sizeof(path), "%s/tiny.txt", dir);
    CHECK(a2a_clip_vocab_load_bpe_gz(ctx, path, &v) == A2A_OK);
    if (v) {
        CHECK_EQ_INT(v->n_tokens, 512 + 3 + 2);
        int32_t *ids;
        size_t n;
        CHECK(a2a_clip_tokenize(ctx, v, "The thin", 8, A2A_CLIP_CLEAN_OPENAI, &ids, &n) == A2A_OK);
        /* "the</w>" and "th" "in" "</w>"-suffixed 'n': th, in -> "th" + "i" + "n</w>" (no "in</w>" merge) */
        CHECK(n == 4 && ids[0] == 514 && ids[1] == 513 && ids[2] == v->byte_id['i'] && ids[3] == v->byte_id_w['n']);
        free(ids);
    }
    a2a_clip_vocab_free(v);
    v = NULL;
    /* malformed merges */
    const char *bad1 = "#v\ni n\nthree parts here\n";
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, bad1, strlen(bad1), &v) == A2A_ERR_FORMAT && v == NULL);
    CHECK(strstr(a2a_last_error(ctx), "line 3") != NULL);
    const char *bad2 = "#v\ni n\n\nt h\n";
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, bad2, strlen(bad2), &v) == A2A_ERR_FORMAT);
    const char *bad3 = "#v\ni n\ni n\n"; /* the token "in" twice */
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, bad3, strlen(bad3), &v) == A2A_ERR_FORMAT);
    const char bad4[] = "#v\ni \xff\n";
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, bad4, sizeof(bad4) - 1, &v) == A2A_ERR_FORMAT);
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, "", 0, &v) == A2A_OK); /* no merges: bytes + specials only */
    if (v) CHECK_EQ_INT(v->n_tokens, 514);
    a2a_clip_vocab_free(v);
    v = NULL;
    /* HF folder: ids not 0..n-1, a missing byte symbol, missing merges.txt */
    const char *vj1 = "{\"a\": 0, \"b\": 5}";
    put_file(dir, "vocab.json", vj1, strlen(vj1));
    put_file(dir, "merges.txt", k_tiny, strlen(k_tiny));
    CHECK(a2a_clip_vocab_load_hf(ctx, dir, &v) == A2A_ERR_FORMAT && v == NULL);
    const char *vj2 = "{\"a\": 0, \"b\": 1, \"<|startoftext|>\": 2, \"<|endoftext|>\": 3}";
    put_file(dir, "vocab.json", vj2, strlen(vj2));
    CHECK(a2a_clip_vocab_load_hf(ctx, dir, &v) == A2A_ERR_FORMAT && v == NULL);
    const char *vj3 = "[1, 2]";
    put_file(dir, "vocab.json", vj3, strlen(vj3));
    CHECK(a2a_clip_vocab_load_hf(ctx, dir, &v) == A2A_ERR_FORMAT && v == NULL);
    const char *vj4 = "{\"a\": 0,";
    put_file(dir, "vocab.json", vj4, strlen(vj4));
    CHECK(a2a_clip_vocab_load_hf(ctx, dir, &v) == A2A_ERR_FORMAT && v == NULL);
    snprintf(path, sizeof(path), "%s/vocab.json", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/merges.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/corrupt.gz", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/tiny.txt", dir);
    unlink(path);
    rmdir(dir);
    a2a_ctx_free(ctx);
}

/* A GGUF made by the writer from a few keys; mutate() edits the writer before serialization. */
static a2a_status gguf_case(a2a_ctx *ctx, const a2a_clip_vocab *base, void (*mutate)(a2a_ctx *, a2a_gguf_writer *)) {
    a2a_gguf_writer *w = NULL;
    void *mem = NULL;
    size_t size = 0;
    a2a_gguf *g = NULL;
    a2a_clip_vocab *v = NULL;
    a2a_gguf_writer_new(ctx, &w);
    a2a_clip_vocab_write_gguf(ctx, w, base);
    mutate(ctx, w);
    a2a_status st = a2a_gguf_writer_write_memory(ctx, w, &mem, &size);
    a2a_gguf_writer_free(w);
    if (!st) st = a2a_gguf_open_memory(ctx, mem, size, &g);
    free(mem);
    if (!st) st = a2a_clip_vocab_load_gguf(ctx, g, &v);
    a2a_gguf_close(g);
    a2a_clip_vocab_free(v);
    return st;
}

static void m_none(a2a_ctx *c, a2a_gguf_writer *w) { (void)c, (void)w; }
static void m_model(a2a_ctx *c, a2a_gguf_writer *w) { a2a_gguf_writer_set_str(c, w, "tokenizer.ggml.model", "gpt2"); }
static void m_bos(a2a_ctx *c, a2a_gguf_writer *w) { a2a_gguf_writer_set_u32(c, w, "tokenizer.ggml.bos_token_id", 999999); }
static void m_eos_type(a2a_ctx *c, a2a_gguf_writer *w) { a2a_gguf_writer_set_str(c, w, "tokenizer.ggml.eos_token_id", "x"); }
static void m_tokens_type(a2a_ctx *c, a2a_gguf_writer *w) {
    uint32_t x[2] = {1, 2};
    a2a_gguf_writer_set_arr(c, w, "tokenizer.ggml.tokens", A2A_GGUF_UINT32, x, 2);
}
static void m_merges(a2a_ctx *c, a2a_gguf_writer *w) {
    const char *m[2] = {"i n", "nospace"};
    a2a_gguf_writer_set_arr_str(c, w, "tokenizer.ggml.merges", m, 2);
}
static void m_few_tokens(a2a_ctx *c, a2a_gguf_writer *w) {
    const char *t[3] = {"a", "<|startoftext|>", "<|endoftext|>"};
    a2a_gguf_writer_set_arr_str(c, w, "tokenizer.ggml.tokens", t, 3);
}

/* Rename token 512 ("in", the result of merge "i n") so the merge yields no token. */
static const a2a_clip_vocab *g_fb_vocab;
static void m_drop_in(a2a_ctx *c, a2a_gguf_writer *w) {
    const a2a_clip_vocab *v = g_fb_vocab;
    char **t = calloc((size_t)v->n_tokens, sizeof(char *));
    for (int32_t i = 0; i < v->n_tokens; i++) {
        size_t l;
        const char *s = a2a_clip_vocab_text(v, i, &l);
        t[i] = calloc(l + 8, 1);
        memcpy(t[i], s, l);
    }
    strcpy(t[512], "zz_in");
    a2a_gguf_writer_set_arr_str(c, w, "tokenizer.ggml.tokens", (const char *const *)t, (uint64_t)v->n_tokens);
    for (int32_t i = 0; i < v->n_tokens; i++) free(t[i]);
    free(t);
}

TEST(merge_without_token) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_vocab *v = NULL, *v2 = NULL;
    const char *tiny = "#version: 0.2\ni n\nt h\n";
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, tiny, strlen(tiny), &v) == A2A_OK);
    if (!v) { a2a_ctx_free(ctx); return; }
    g_fb_vocab = v;
    a2a_gguf_writer *w = NULL;
    void *mem = NULL;
    size_t size = 0;
    a2a_gguf *g = NULL;
    a2a_gguf_writer_new(ctx, &w);
    a2a_clip_vocab_write_gguf(ctx, w, v);
    m_drop_in(ctx, w);
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &mem, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    CHECK(a2a_gguf_open_memory(ctx, mem, size, &g) == A2A_OK);
    CHECK(a2a_clip_vocab_load_gguf(ctx, g, &v2) == A2A_OK);
    if (v2) {
        int32_t *ids = NULL;
        size_t n = 0;
        CHECK(a2a_clip_tokenize(ctx, v2, "inx thin", 8, A2A_CLIP_CLEAN_NONE, &ids, &n) == A2A_OK);
        /* "inx": i+n merge has no token -> i, n, x</w>; "thin": th (513), then i, n</w> */
        CHECK(n == 6 && ids[0] == v->byte_id['i'] && ids[1] == v->byte_id['n'] && ids[2] == v->byte_id_w['x'] && ids[3] == 513 &&
              ids[4] == v->byte_id['i'] && ids[5] == v->byte_id_w['n']);
        free(ids);
        CHECK(a2a_clip_tokenize(ctx, v, "inx", 3, A2A_CLIP_CLEAN_NONE, &ids, &n) == A2A_OK);
        CHECK(n == 2 && ids[0] == 512 && ids[1] == v->byte_id_w['x']);
        free(ids);
    }
    a2a_gguf_close(g);
    free(mem);
    a2a_clip_vocab_free(v2);
    a2a_clip_vocab_free(v);
    a2a_ctx_free(ctx);
}

TEST(bad_gguf) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_vocab *v = NULL;
    const char *tiny = "#version: 0.2\ni n\nt h\n";
    CHECK(a2a_clip_vocab_load_bpe_text(ctx, tiny, strlen(tiny), &v) == A2A_OK);
    if (v) {
        CHECK(gguf_case(ctx, v, m_none) == A2A_OK);
        CHECK(gguf_case(ctx, v, m_model) == A2A_ERR_UNSUPPORTED);
        CHECK(gguf_case(ctx, v, m_bos) == A2A_ERR_FORMAT);
        CHECK(gguf_case(ctx, v, m_eos_type) == A2A_ERR_FORMAT);
        CHECK(gguf_case(ctx, v, m_tokens_type) == A2A_ERR_FORMAT);
        CHECK(gguf_case(ctx, v, m_merges) == A2A_ERR_FORMAT);
        CHECK(gguf_case(ctx, v, m_few_tokens) == A2A_ERR_FORMAT);
    }
    a2a_clip_vocab_free(v);
    /* a GGUF without any tokenizer keys */
    a2a_gguf_writer *w = NULL;
    void *mem = NULL;
    size_t size = 0;
    a2a_gguf *g = NULL;
    a2a_gguf_writer_new(ctx, &w);
    a2a_gguf_writer_set_str(ctx, w, "general.architecture", "x");
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &mem, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    CHECK(a2a_gguf_open_memory(ctx, mem, size, &g) == A2A_OK);
    v = NULL;
    CHECK(a2a_clip_vocab_load_gguf(ctx, g, &v) == A2A_ERR_FORMAT && v == NULL);
    a2a_gguf_close(g);
    free(mem);
    a2a_ctx_free(ctx);
}

TEST(cleaning) {
    a2a_ctx *ctx = a2a_ctx_new();
    struct { const char *in; a2a_clip_clean mode; const char *want; } cases[] = {
        {"  Hello\t\n World  ", A2A_CLIP_CLEAN_NONE, "hello world"},
        {"&amp;lt;", A2A_CLIP_CLEAN_NONE, "&amp;lt;"},
        {"&amp;amp;amp;amp;", A2A_CLIP_CLEAN_HF, "&"},         /* ftfy repeats until stable */
        {"<b>&amp;amp;</b>", A2A_CLIP_CLEAN_HF, "<b>&amp;amp;</b>"}, /* '<' turns ftfy's unescaping off */
        {"<b>&amp;amp;</b>", A2A_CLIP_CLEAN_OPENAI, "<b>&</b>"},   /* html.unescape twice */
        {"&#0;&#x110000;&#128;&#1;", A2A_CLIP_CLEAN_OPENAI, "\xEF\xBF\xBD\xEF\xBF\xBD\xE2\x82\xAC"},
        {"\xC4\xB0", A2A_CLIP_CLEAN_NONE, "i\xCC\x87"},             /* U+0130 lowers to two code points */
        {"\xCE\xA3\xCE\x9F\xCE\xA6\xCE\x9F\xCE\xA3", A2A_CLIP_CLEAN_NONE, "\xCF\x83\xCE\xBF\xCF\x86\xCE\xBF\xCF\x82"}, /* final sigma */
        {"e\xCC\x81", A2A_CLIP_CLEAN_HF, "\xC3\xA9"},               /* NFC composition */
        {"\xE1\x84\x80\xE1\x85\xA1", A2A_CLIP_CLEAN_HF, "\xEA\xB0\x80"}, /* Hangul L+V */
        {"\xE2\x84\xAB", A2A_CLIP_CLEAN_HF, "\xC3\xA5"},             /* Angstrom sign -> a-ring (lowered) */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        size_t n = 0;
        a2a_status st = a2a_clip_clean_text(ctx, cases[i].in, strlen(cases[i].in), cases[i].mode, &out, &n);
        CHECK_MSG(st == A2A_OK && out && !strcmp(out, cases[i].want), "case %zu: got '%s' want '%s'", i, out ? out : "(null)", cases[i].want);
        free(out);
    }
    /* deep nesting: ftfy keeps unescaping until nothing changes */
    char deep[1300] = "&amp;";
    for (int i = 0; i < 300; i++) strcat(deep, "amp;");
    strcat(deep, "lt;");
    char *out = NULL;
    size_t n = 0;
    CHECK(a2a_clip_clean_text(ctx, deep, strlen(deep), A2A_CLIP_CLEAN_HF, &out, &n) == A2A_OK);
    CHECK(out && !strcmp(out, "<"));
    free(out);
    a2a_ctx_free(ctx);
}

static void cleanup(void) { a2a_clip_vocab_free(g_vocab); }

TEST(teardown) { cleanup(); g_vocab = NULL; }

TEST_MAIN(vocab_gz, golden_cases, gguf_roundtrip, hf_folder, encode_packing, invalid_utf8_and_decode, bad_inputs, merge_without_token, bad_gguf,
          cleaning, teardown)
