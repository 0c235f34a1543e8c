/* `any2any convert` vs transformers (tools/ref/make_golden_convert.py): tiny Hugging Face
   folders (llama with a SentencePiece tokenizer and added tokens, as one safetensors file, as
   sharded safetensors and as a PyTorch .bin; qwen2 with a byte-level BPE tokenizer.json and
   tied embeddings) are converted to GGUF, loaded with a2a_llm_load, and checked:
     - the tokenizer reproduces HF's ids for every test string (exact);
     - the logits at every position match HF's: F32 output (and F16 output of F16 checkpoints)
       nmse <= 1e-9 (max abs 1e-3), Q8_0 output nmse <= 5e-3;
     - the CLI (A2A_BIN) produces the same;
     - hostile or incomplete folders (no config.json, unknown model_type, missing tensor, wrong
       shape, truncated tokenizer.model, cancel) fail with clear errors and leave no file. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "models/llm/llama.h"
#include "models/llm/llama_convert.h"
#include "text/hf_tokenizer.h"
#include "text/spm_model.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *MODELS[] = {"llama", "llama-sharded", "llama-bin", "qwen2"};

/* Folder of a golden HF model. */
static const char *model_dir(char *buf, size_t cap, const char *name) {
    char rel[256];
    snprintf(rel, sizeof(rel), "convert/%s", name);
    return a2a_golden_path(buf, cap, rel);
}

/* A fresh temporary output path. */
static const char *tmp_out(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-convert-%d-%s.gguf", (int)getpid(), tag);
    unlink(buf);
    return buf;
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* String param of a golden case (NUL-terminated copy into buf); "" when absent. */
static const char *case_str(const a2a_golden_case *c, const char *param, char *buf, size_t cap) {
    char key[A2A_GOLDEN_NAME_MAX + 32];
    snprintf(key, sizeof(key), "%s.%s", c->name, param);
    const char *s;
    size_t n;
    buf[0] = 0;
    if (a2a_gguf_get_str(NULL, c->file->g, key, &s, &n) == A2A_OK && n < cap) {
        memcpy(buf, s, n);
        buf[n] = 0;
    }
    return buf;
}

/* Check a converted file against every case of model `name`: ids always; logits for
   "convert_logits" cases (nmse bound q_nmse > 0 for quantized files, else the case's). */
static void check_converted(const char *gguf, const char *name, double q_nmse, bool logits) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "convert/ref.gguf")) { CHECK_MSG(0, "cannot open convert/ref.gguf"); return; }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    a2a_status st = a2a_llm_load(ctx, gguf, &m);
    CHECK_MSG(st == A2A_OK, "%s: %s", name, a2a_last_error(ctx));
    a2a_threadpool *tp = NULL;
    a2a_threadpool_new(ctx, 2, &tp);
    int n_cases = 0;
    for (int ci = 0; m && ci < gf.n_cases; ci++) {
        const a2a_golden_case *c = &gf.cases[ci];
        char model[64], text[512];
        if (strcmp(case_str(c, "model", model, sizeof(model)), name) != 0) continue;
        n_cases++;
        case_str(c, "text", text, sizeof(text));
        char key[A2A_GOLDEN_NAME_MAX + 32];
        bool add_bos = false;
        snprintf(key, sizeof(key), "%s.add_bos", c->name);
        a2a_gguf_get_bool(NULL, gf.g, key, &add_bos);
        CHECK_MSG(m->vocab && m->vocab->add_bos == add_bos, "%s: add_bos differs from HF", name);
        const int32_t *ref = c->in[0]->data;
        int32_t n_ref = (int32_t)c->in[0]->ne[0];
        int32_t *ids = NULL;
        size_t n = 0;
        st = m->vocab ? a2a_tokenize(ctx, m->vocab, text, strlen(text), add_bos, true, &ids, &n) : A2A_ERR_NOT_FOUND;
        CHECK_MSG(st == A2A_OK, "%s: tokenize: %s", name, a2a_last_error(ctx));
        bool same = st == A2A_OK && (int32_t)n == n_ref && !memcmp(ids, ref, sizeof(int32_t) * n);
        if (!same) {
            fprintf(stderr, "%s: \"%s\"\n  hf  :", name, text);
            for (int32_t i = 0; i < n_ref; i++) fprintf(stderr, " %d", ref[i]);
            fprintf(stderr, "\n  ours:");
            for (size_t i = 0; i < n; i++) fprintf(stderr, " %d", ids[i]);
            fputc('\n', stderr);
        }
        CHECK_MSG(same, "%s: token ids differ from HF for \"%s\"", name, text);
        free(ids);
        if (!logits || strcmp(c->op, "convert_logits") != 0) continue;
        a2a_llm_session *s = NULL;
        a2a_llm_session_params sp = a2a_llm_session_default_params();
        sp.n_ctx = 128;
        sp.kv_type = A2A_TYPE_F32;
        st = a2a_llm_session_new(ctx, m, tp, &sp, &s);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st) continue;
        uint8_t *all = malloc((size_t)n_ref);
        memset(all, 1, (size_t)n_ref);
        st = a2a_llm_decode(ctx, s, ref, NULL, NULL, n_ref, all, NULL);
        CHECK_MSG(st == A2A_OK && s->n_out == n_ref, "%s: decode: %s", name, a2a_last_error(ctx));
        if (st == A2A_OK) {
            a2a_tensor lt = a2a_tensor_make(A2A_TYPE_F32, s->logits, m->hp.n_vocab, n_ref, 1, 1);
            char tag[256];
            snprintf(tag, sizeof(tag), "%s (%s)", gguf, name);
            if (q_nmse > 0) {
                a2a_golden_metrics mt;
                a2a_golden_measure(&lt, c->out, &mt);
                if (getenv("A2A_GOLDEN_VERBOSE")) fprintf(stderr, "measured %s %s: logits nmse %.3g (bound %.3g)\n", tag, c->name, mt.nmse, q_nmse);
                CHECK_MSG(mt.shape_ok && mt.nmse <= q_nmse, "%s %s: logits nmse %.3g > %.3g", tag, c->name, mt.nmse, q_nmse);
            } else {
                CHECK(a2a_golden_compare(c, &lt, tag));
            }
        }
        free(all);
        a2a_llm_session_free(s);
    }
    CHECK_MSG(n_cases == 8, "%s: %d cases found", name, n_cases);
    a2a_threadpool_free(tp);
    a2a_llm_free(m);
    a2a_golden_close(&gf);
    a2a_ctx_free(ctx);
}

/* Convert golden folder `name` to type t (library call) and check it. */
static void convert_and_check(const char *name, a2a_type t, double q_nmse) {
    char dir[1024], out[512];
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llama_convert_params p = a2a_llama_convert_default_params();
    p.type = t;
    char tag[96];
    snprintf(tag, sizeof(tag), "%s-%s", name, a2a_type_name(t));
    a2a_status st = a2a_llama_convert(ctx, model_dir(dir, sizeof(dir), name), tmp_out(out, sizeof(out), tag), &p);
    CHECK_MSG(st == A2A_OK, "%s: %s", name, a2a_last_error(ctx));
    if (st == A2A_OK) check_converted(out, name, q_nmse, true);
    unlink(out);
    a2a_ctx_free(ctx);
}

TEST(test_convert_f32) {
    for (size_t i = 0; i < sizeof(MODELS) / sizeof(MODELS[0]); i++) convert_and_check(MODELS[i], A2A_TYPE_F32, 0);
}

/* F16 output of F16 checkpoints: the weights pass through unchanged (referenced, not copied,
   except the permuted q/k), so the logits match as closely as the F32 output. */
TEST(test_convert_f16) {
    convert_and_check("llama-sharded", A2A_TYPE_F16, 1e-9);
    convert_and_check("llama-bin", A2A_TYPE_F16, 1e-9);
    convert_and_check("qwen2", A2A_TYPE_F16, 1e-9);
}

TEST(test_convert_q8_0) {
    convert_and_check("llama", A2A_TYPE_Q8_0, 5e-3);
    convert_and_check("qwen2", A2A_TYPE_Q8_0, 5e-3);
}

/* The metadata and vocabulary details llama.cpp relies on. */
TEST(test_convert_metadata) {
    char dir[1024], out[512];
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llama_convert_params p = a2a_llama_convert_default_params(); /* F16 */
    CHECK(a2a_llama_convert(ctx, model_dir(dir, sizeof(dir), "llama"), tmp_out(out, sizeof(out), "meta"), &p) == A2A_OK);
    a2a_gguf *g = NULL;
    if (a2a_gguf_open(ctx, out, &g) == A2A_OK) {
        const a2a_tensor *t = a2a_gguf_find_tensor(g, "blk.0.ffn_up.weight");
        CHECK(t && t->type == A2A_TYPE_F16);
        t = a2a_gguf_find_tensor(g, "blk.0.attn_norm.weight");
        CHECK(t && t->type == A2A_TYPE_F32);
        CHECK(a2a_gguf_find_tensor(g, "output.weight") != NULL);
        uint32_t ft = 99, u = 0;
        CHECK(a2a_gguf_get_u32(ctx, g, "general.file_type", &ft) == A2A_OK && ft == 1);
        CHECK(a2a_gguf_get_u32(ctx, g, "llama.attention.head_count_kv", &u) == A2A_OK && u == 2);
        size_t len;
        const char *s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 400, &len);
        CHECK(s && len == 5 && !memcmp(s, "<Img>", 5));
        s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 402, &len);
        CHECK(s && len == 8 && !memcmp(s, "[PAD402]", 8));
        a2a_gguf_vtype et;
        uint64_t cnt;
        const void *data;
        CHECK(a2a_gguf_get_arr(ctx, g, "tokenizer.ggml.token_type", &et, &cnt, &data) == A2A_OK && cnt == 416);
        if (cnt == 416) {
            int32_t tt[416];
            memcpy(tt, data, sizeof(tt));
            CHECK(tt[0] == 2 && tt[1] == 3 && tt[3] == 6 && tt[400] == 4 && tt[401] == 4 && tt[402] == 5 && tt[415] == 5);
        }
        bool b = false;
        CHECK(a2a_gguf_get_bool(ctx, g, "tokenizer.ggml.add_space_prefix", &b) == A2A_OK && b);
        CHECK(a2a_gguf_get_str(ctx, g, "tokenizer.chat_template", &s, &len) == A2A_OK && len > 10);
        a2a_gguf_close(g);
    }
    unlink(out);
    CHECK(a2a_llama_convert(ctx, model_dir(dir, sizeof(dir), "qwen2"), tmp_out(out, sizeof(out), "meta-q"), &p) == A2A_OK);
    if (a2a_gguf_open(ctx, out, &g) == A2A_OK) {
        CHECK(a2a_gguf_find_tensor(g, "output.weight") == NULL); /* tied */
        CHECK(a2a_gguf_find_tensor(g, "blk.1.attn_k.bias") != NULL);
        size_t len;
        const char *s;
        CHECK(a2a_gguf_get_str(ctx, g, "tokenizer.ggml.pre", &s, &len) == A2A_OK && len == 5 && !memcmp(s, "qwen2", 5));
        uint32_t eos = 0, pad = 0;
        CHECK(a2a_gguf_get_u32(ctx, g, "tokenizer.ggml.eos_token_id", &eos) == A2A_OK && eos == 420);
        CHECK(a2a_gguf_get_u32(ctx, g, "tokenizer.ggml.padding_token_id", &pad) == A2A_OK && pad == 420);
        CHECK(a2a_gguf_find_key(g, "tokenizer.ggml.bos_token_id") < 0);
        a2a_gguf_vtype et;
        uint64_t cnt;
        const void *data;
        CHECK(a2a_gguf_get_arr(ctx, g, "tokenizer.ggml.token_type", &et, &cnt, &data) == A2A_OK && cnt == 432);
        if (cnt == 432) {
            int32_t tt[432];
            memcpy(tt, data, sizeof(tt));
            CHECK(tt[0] == 1 && tt[420] == 3 && tt[422] == 3 && tt[423] == 4 && tt[425] == 5);
        }
        a2a_gguf_close(g);
    }
    unlink(out);
    a2a_ctx_free(ctx);
}

/* ------------------------------------------------------------------ temp folders */

/* A temporary folder holding symlinks to every file of golden folder `from` except `skip`
   (NULL: none). Returns false on failure. */
static bool make_tmp_dir(char *dir, size_t cap, const char *from, const char *skip) {
    snprintf(dir, cap, "/tmp/a2a-test-convert-XXXXXX");
    if (!mkdtemp(dir)) return false;
    if (!from) return true;
    char src[1024];
    model_dir(src, sizeof(src), from);
    DIR *d = opendir(src);
    if (!d) return false;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || (skip && !strcmp(e->d_name, skip))) continue;
        char a[2048], b[2048];
        snprintf(a, sizeof(a), "%s/%s", src, e->d_name);
        snprintf(b, sizeof(b), "%s/%s", dir, e->d_name);
        if (symlink(a, b) != 0) { closedir(d); return false; }
    }
    closedir(d);
    return true;
}

/* Remove a temporary folder and its entries. */
static void rm_tmp_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[2048];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static bool write_file(const char *dir, const char *name, const void *data, size_t n) {
    char p[2048];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* Read a golden file into a malloc'd buffer (*n bytes); NULL on failure. */
static char *read_golden(const char *rel, size_t *n) {
    char p[1024];
    a2a_golden_path(p, sizeof(p), rel);
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    *n = buf ? fread(buf, 1, (size_t)sz, f) : 0;
    fclose(f);
    if (buf) buf[*n] = 0;
    return buf;
}

/* The llama config.json with `from` replaced by `to` into a temp folder. */
static bool write_patched_config(const char *dir, const char *from, const char *to) {
    size_t n;
    char *cfg = read_golden("convert/llama/config.json", &n);
    if (!cfg) return false;
    char *at = strstr(cfg, from);
    bool ok = false;
    if (at) {
        size_t pre = (size_t)(at - cfg), fl = strlen(from), tl = strlen(to);
        char *nb = malloc(n - fl + tl + 1);
        if (nb) {
            memcpy(nb, cfg, pre);
            memcpy(nb + pre, to, tl);
            memcpy(nb + pre + tl, at + fl, n - pre - fl);
            ok = write_file(dir, "config.json", nb, n - fl + tl);
            free(nb);
        }
    }
    free(cfg);
    return ok;
}

/* Convert dir expecting failure with status want and msg in the message; no output file. */
static void expect_fail(const char *dir, a2a_status want, const char *msg) {
    a2a_ctx *ctx = a2a_ctx_new();
    char out[512];
    tmp_out(out, sizeof(out), "bad");
    a2a_status st = a2a_llama_convert(ctx, dir, out, NULL);
    CHECK_MSG(st == want && strstr(a2a_last_error(ctx), msg), "want %s with '%s', got %s: %s", a2a_status_str(want), msg,
              a2a_status_str(st), a2a_last_error(ctx));
    CHECK(!exists(out));
    CHECK(a2a_test_no_temp_files(out));
    a2a_ctx_free(ctx);
}

/* qwen2's tokenizer.json with merges as "left right" strings gives the same ids. */
TEST(test_convert_merges_str) {
    char dir[256];
    size_t n;
    char *tj = read_golden("convert/qwen2-tokenizer-merges-str.json", &n);
    CHECK(tj != NULL);
    if (tj && make_tmp_dir(dir, sizeof(dir), "qwen2", "tokenizer.json")) {
        CHECK(write_file(dir, "tokenizer.json", tj, n));
        a2a_ctx *ctx = a2a_ctx_new();
        char out[512];
        a2a_llama_convert_params p = a2a_llama_convert_default_params();
        p.type = A2A_TYPE_F32;
        a2a_status st = a2a_llama_convert(ctx, dir, tmp_out(out, sizeof(out), "mstr"), &p);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) check_converted(out, "qwen2", 0, false);
        unlink(out);
        a2a_ctx_free(ctx);
        rm_tmp_dir(dir);
    }
    free(tj);
}

static int cancel_at_5(int64_t done, int64_t total, const char *what, void *user) {
    (void)total;
    (void)what;
    *(int *)user = (int)done;
    return done >= 5;
}

TEST(test_convert_errors) {
    char dir[256], src[1024];
    /* no config.json */
    if (make_tmp_dir(dir, sizeof(dir), NULL, NULL)) {
        expect_fail(dir, A2A_ERR_NOT_FOUND, "config.json");
        rm_tmp_dir(dir);
    }
    /* a folder that does not exist */
    expect_fail("/nonexistent/a2a/model", A2A_ERR_NOT_FOUND, "config.json");
    /* unknown model_type */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"model_type\": \"llama\"", "\"model_type\": \"gpt_neox\""));
        expect_fail(dir, A2A_ERR_UNSUPPORTED, "model_type 'gpt_neox'");
        rm_tmp_dir(dir);
    }
    /* config promises a third layer: missing tensor */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"num_hidden_layers\": 2", "\"num_hidden_layers\": 3"));
        expect_fail(dir, A2A_ERR_NOT_FOUND, "missing tensor 'model.layers.2.input_layernorm.weight'");
        rm_tmp_dir(dir);
    }
    /* wrong FFN width: shape mismatch naming the tensor */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"intermediate_size\": 64", "\"intermediate_size\": 48"));
        expect_fail(dir, A2A_ERR_SHAPE, "'model.layers.0.mlp.gate_proj.weight' has shape [64, 32]");
        rm_tmp_dir(dir);
    }
    /* vocab_size larger than the embedding */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"vocab_size\": 416", "\"vocab_size\": 420"));
        expect_fail(dir, A2A_ERR_SHAPE, "model.embed_tokens.weight");
        rm_tmp_dir(dir);
    }
    /* missing config key */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"hidden_size\"", "\"hidden_sizeX\""));
        expect_fail(dir, A2A_ERR_NOT_FOUND, "'hidden_size'");
        rm_tmp_dir(dir);
    }
    /* rope scaling llama.cpp's llama arch cannot express here */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"rope_scaling\": null",
                                   "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"));
        expect_fail(dir, A2A_ERR_UNSUPPORTED, "rope_scaling type 'llama3'");
        rm_tmp_dir(dir);
    }
    /* linear rope scaling becomes rope.scaling.type / factor */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "config.json")) {
        CHECK(write_patched_config(dir, "\"rope_scaling\": null", "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}"));
        a2a_ctx *c2 = a2a_ctx_new();
        char o2[512];
        CHECK(a2a_llama_convert(c2, dir, tmp_out(o2, sizeof(o2), "rope"), NULL) == A2A_OK);
        a2a_gguf *g = NULL;
        if (a2a_gguf_open(c2, o2, &g) == A2A_OK) {
            const char *s;
            size_t len;
            float f = 0;
            CHECK(a2a_gguf_get_str(c2, g, "llama.rope.scaling.type", &s, &len) == A2A_OK && len == 6 && !memcmp(s, "linear", 6));
            CHECK(a2a_gguf_get_f32(c2, g, "llama.rope.scaling.factor", &f) == A2A_OK && f == 2.0f);
            a2a_gguf_close(g);
        }
        unlink(o2);
        a2a_ctx_free(c2);
        rm_tmp_dir(dir);
    }
    /* no weights */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "model.safetensors")) {
        expect_fail(dir, A2A_ERR_NOT_FOUND, "no weights");
        rm_tmp_dir(dir);
    }
    /* a shard named by the index is missing */
    if (make_tmp_dir(dir, sizeof(dir), "llama-sharded", "model-00002-of-00002.safetensors")) {
        expect_fail(dir, A2A_ERR_NOT_FOUND, "model-00002-of-00002.safetensors");
        rm_tmp_dir(dir);
    }
    /* truncated tokenizer.model */
    size_t n;
    char *spm = read_golden("convert/llama/tokenizer.model", &n);
    CHECK(spm != NULL);
    if (spm && make_tmp_dir(dir, sizeof(dir), "llama", "tokenizer.model")) {
        CHECK(write_file(dir, "tokenizer.model", spm, n / 2 + 3));
        expect_fail(dir, A2A_ERR_FORMAT, "sentencepiece");
        rm_tmp_dir(dir);
    }
    free(spm);
    /* no tokenizer at all */
    if (make_tmp_dir(dir, sizeof(dir), "llama", "tokenizer.model")) {
        expect_fail(dir, A2A_ERR_NOT_FOUND, "no tokenizer");
        rm_tmp_dir(dir);
    }
    /* cancel from the progress callback: nothing written */
    a2a_ctx *ctx = a2a_ctx_new();
    char out[512];
    int seen = 0;
    a2a_llama_convert_params p = a2a_llama_convert_default_params();
    p.progress = cancel_at_5;
    p.user = &seen;
    CHECK(a2a_llama_convert(ctx, model_dir(src, sizeof(src), "llama"), tmp_out(out, sizeof(out), "cancel"), &p) == A2A_ERR_CANCELLED);
    CHECK(seen == 5 && !exists(out));
    /* a target type we cannot produce */
    p = a2a_llama_convert_default_params();
    p.type = A2A_TYPE_IQ2_XS;
    CHECK(a2a_llama_convert(ctx, src, out, &p) == A2A_ERR_UNSUPPORTED && !exists(out));
    a2a_ctx_free(ctx);
}

/* The SentencePiece reader on the golden model and on hostile bytes. */
TEST(test_spm_model) {
    a2a_ctx *ctx = a2a_ctx_new();
    char path[1024];
    a2a_spm_model *m = NULL;
    CHECK(a2a_spm_model_load(ctx, a2a_golden_path(path, sizeof(path), "convert/llama/tokenizer.model"), &m) == A2A_OK);
    if (m) {
        CHECK(m->n_pieces == 400 && m->model_type == A2A_SPM_MODEL_BPE && m->byte_fallback && m->add_dummy_prefix);
        CHECK(m->unk_id == 0 && m->bos_id == 1 && m->eos_id == 2 && m->pad_id == -1);
        CHECK(!strcmp(m->pieces[0].text, "<unk>") && m->pieces[0].type == A2A_SPM_UNKNOWN);
        CHECK(!strcmp(m->pieces[3].text, "<0x00>") && m->pieces[3].type == A2A_SPM_BYTE);
        CHECK(m->pieces[300].type == A2A_SPM_NORMAL);
        a2a_spm_model_free(m);
    }
    static const struct { const char *bytes; size_t n; const char *msg; } bad[] = {
        {"", 0, "no pieces"},
        {"\x0a\x05\x0a\x03", 4, "past the end"},                                        /* piece text length past its message */
        {"\x0a\x80", 2, "truncated"},                                                   /* truncated length varint */
        {"\x2b", 1, "wire type"},                                                       /* group (field 5) */
        {"\x0a\x02\x18\x01", 4, "no text"},                                             /* piece without text */
        {"\x0a\x05\x0a\x01\x61\x18\x09", 7, "unknown type"},                            /* type 9 */
        {"\x0a\x04\x0a\x02\xc3\x28", 6, "UTF-8"},                                       /* invalid UTF-8 */
        {"\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11, "truncated"},              /* 10-byte varint overflow (field 4) */
        {"\x0a\x03\x0a\x01\x61\x12\x03\xc0\x02\x05", 10, "outside"},                    /* bos_id 5 with one piece */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = NULL;
        a2a_status st = a2a_spm_model_parse(ctx, bad[i].bytes, bad[i].n, &m);
        CHECK_MSG(st == A2A_ERR_FORMAT && m == NULL && strstr(a2a_last_error(ctx), bad[i].msg), "case %zu: %s", i, a2a_last_error(ctx));
        a2a_spm_model_free(m);
    }
    a2a_ctx_free(ctx);
}

/* Write name = text into a fresh temp folder (created on the first call with dir[0] == 0). */
static bool put(char *dir, size_t cap, const char *name, const char *text) {
    if (!dir[0] && !make_tmp_dir(dir, cap, NULL, NULL)) return false;
    return write_file(dir, name, text, strlen(text));
}

/* The tokenizer-file reader on hand-written files: value forms and conflicts. */
TEST(test_hf_tokenizer_files) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[256] = "";
    a2a_hf_tokenizer *t = NULL;
    /* list-form chat template, object-form bos, post-processor BOS, both merge forms */
    CHECK(put(dir, sizeof(dir), "tokenizer_config.json",
              "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", \"pad_token\": null,"
              " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D\"}],"
              " \"added_tokens_decoder\": {\"5\": {\"content\": \"<s>\", \"special\": true}}}"));
    CHECK(put(dir, sizeof(dir), "tokenizer.json",
              "{\"added_tokens\": [{\"id\": 6, \"content\": \"<x>\", \"special\": false}],"
              " \"post_processor\": {\"type\": \"Sequence\", \"processors\": [{\"type\": \"ByteLevel\"},"
              " {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"<s>\"}}, {\"Sequence\": {\"id\": \"A\"}}]}]},"
              " \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 3}, \"merges\": [\"a b\", [\"ab\", \"b\"]]}}"));
    CHECK(put(dir, sizeof(dir), "added_tokens.json", "{\"<x>\": 6, \"<y>\": 7}"));
    a2a_status st = a2a_hf_tokenizer_load(ctx, dir, &t);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (t) {
        CHECK(t->has_model && !strcmp(t->model_type, "BPE") && t->n_vocab == 4 && t->vocab[2] == NULL && !strcmp(t->vocab[3], "ab"));
        CHECK(t->n_merges == 2 && !strcmp(t->merges[0], "a b") && !strcmp(t->merges[1], "ab b"));
        CHECK(t->post_bos && t->bos_token && !strcmp(t->bos_token, "<s>") && !strcmp(t->eos_token, "</s>") && !t->pad_token);
        CHECK(t->chat_template && !strcmp(t->chat_template, "D"));
        CHECK(t->n_added == 3 && t->added[0].id == 5 && t->added[0].special && t->added[2].id == 7 && !t->added[2].special);
        CHECK(a2a_hf_tokenizer_added(t, 6) && !a2a_hf_tokenizer_added(t, 4));
        a2a_hf_tokenizer_free(t);
    }
    /* conflicting texts for one id */
    CHECK(put(dir, sizeof(dir), "added_tokens.json", "{\"<z>\": 6}"));
    t = NULL;
    CHECK(a2a_hf_tokenizer_load(ctx, dir, &t) == A2A_ERR_FORMAT && !t && strstr(a2a_last_error(ctx), "'<x>'"));
    CHECK(put(dir, sizeof(dir), "added_tokens.json", "{}"));
    /* malformed merges and vocab */
    static const char *bad[] = {
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [\"ab\"]}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": [[\"a\"]]}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 0}}}",
        "{\"added_tokens\": [{\"content\": \"x\"}]}",
        "{\"model\": ",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(put(dir, sizeof(dir), "tokenizer.json", bad[i]));
        t = NULL;
        st = a2a_hf_tokenizer_load(ctx, dir, &t);
        CHECK_MSG(st == A2A_ERR_FORMAT && !t, "case %zu: %s", i, a2a_last_error(ctx));
    }
    rm_tmp_dir(dir);
    a2a_ctx_free(ctx);
}

/* The CLI: convert with --type q8_0, then the same checks; bad arguments exit 2. */
TEST(test_convert_cli) {
    const char *bin = getenv("A2A_BIN");
    if (!bin) {
        fprintf(stderr, "test_convert_cli: A2A_BIN not set, skipped\n");
        return;
    }
    char dir[1024], out[512], cmd[4096];
    model_dir(dir, sizeof(dir), "llama-sharded");
    tmp_out(out, sizeof(out), "cli");
    snprintf(cmd, sizeof(cmd), "'%s' convert '%s' -o '%s' --type q8_0 -t 2 2>/dev/null", bin, dir, out);
    int rc = system(cmd);
    CHECK_MSG(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "%s -> %d", cmd, rc);
    if (exists(out)) check_converted(out, "llama-sharded", 5e-3, true);
    unlink(out);
    snprintf(cmd, sizeof(cmd), "'%s' convert '%s' 2>/dev/null", bin, dir); /* no -o */
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 2);
    snprintf(cmd, sizeof(cmd), "'%s' convert /nonexistent/a2a -o '%s' 2>/dev/null", bin, out);
    rc = system(cmd);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 1 && !exists(out));
}

TEST_MAIN(test_convert_f32, test_convert_f16, test_convert_q8_0, test_convert_metadata, test_convert_merges_str, test_convert_errors,
          test_spm_model, test_hf_tokenizer_files, test_convert_cli)
