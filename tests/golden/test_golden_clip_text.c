/* CLIP text encoder vs transformers (tools/ref/make_golden_clip_text.py): the committed tiny
   checkpoints tests/golden/clip_text/{sd1,sd2,proj}/text_encoder (+ tokenizer/) are converted
   with a2a_clip_text_convert, loaded and run on the golden ids:
     sd1   CLIPTextModel, quick_gelu, 2 layers, SD 1.x's old eos_token_id 2 (argmax pooling),
           ids padded with EOT and with 0, and with an attention mask; clip_skip 0/1/2
     sd2   CLIPTextModel, gelu, 3 layers (SD 2.x / Zeroscope kind), pytorch_model.bin, pad "!"
     proj  CLIPTextModelWithProjection (text_embeds), eos_token_id 999 (first EOS position;
           a sequence without any EOS pools position 0), F16 safetensors
   and prompts through the vocabulary stored in the GGUF (ids must equal CLIPTokenizer's
   exactly, including the pad id taken from the tokenizer folder: 49407-style EOT for sd1,
   "!" = 0 for sd2).
   Tolerances: lossless conversion (F32 -> F32, F16 -> F16 embeddings/matmuls): the stored ones
   (nmse 1e-10, max abs 1e-4) at every kernel level with 1 and 2 threads; F32 weights rounded to
   F16 (the default): nmse 1e-5; Q8_0 matmuls with F16 embeddings: nmse 1e-3 (measured values in
   the report of A2A_GOLDEN_VERBOSE=1).
   Also: a pipeline-style file (prefix "text_encoder.") through convert_add/load_gguf, and bad
   inputs (ids out of range, clip_skip out of range, too many tokens, missing/mis-shaped
   tensors, bad metadata, unsupported configs, missing files, no vocabulary, invalid UTF-8)
   failing with clean errors. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "models/text_encoders/clip_text.h"
#include "text/clip_vocab.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-clip-text-%d-%s.gguf", (int)getpid(), tag);
    return buf;
}

static const char *te_dir(char *buf, size_t cap, const char *model) {
    char rel[128];
    snprintf(rel, sizeof rel, "clip_text/%s/text_encoder", model);
    return a2a_golden_path(buf, cap, rel);
}

/* Convert clip_text/<model>/text_encoder (tokenizer found beside it) and load (NULL on failure). */
static a2a_clip_text *convert_load(const char *model, a2a_type mm, a2a_type emb) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], out[256], tag[96];
    a2a_clip_text_convert_params p = a2a_clip_text_convert_default_params();
    p.matmul_type = mm;
    p.embed_type = emb;
    snprintf(tag, sizeof tag, "%s-%d-%d", model, (int)mm, (int)emb);
    a2a_status st = a2a_clip_text_convert(ctx, te_dir(dir, sizeof dir, model), tmp_path(out, sizeof out, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", model, a2a_last_error(ctx));
    a2a_clip_text *m = NULL;
    if (st == A2A_OK) {
        st = a2a_clip_text_load(ctx, out, &m);
        CHECK_MSG(st == A2A_OK, "load %s: %s", model, a2a_last_error(ctx));
    }
    unlink(out);
    a2a_ctx_free(ctx);
    return m;
}

/* Run one golden case; tol_nmse > 0 overrides the stored tolerances. */
static void run_case(const a2a_clip_text *m, const a2a_golden_case *c, a2a_threadpool *tp, const char *tag,
                     double tol_nmse) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor got;
    CHECK(a2a_golden_alloc_like(&got, c->out));
    const int32_t *ids = (const int32_t *)c->in[0]->data;
    const int n_seq = (int)c->in[0]->ne[1];
    a2a_status st;
    if (strcmp(c->op, "clip_text_prompt") == 0) {
        char key[160];
        snprintf(key, sizeof key, "%s.prompt", c->name);
        const char *s;
        size_t len;
        CHECK(a2a_gguf_get_str(NULL, c->file->g, key, &s, &len) == A2A_OK);
        char *prompt = malloc(len + 1);
        memcpy(prompt, s, len);
        prompt[len] = 0;
        int32_t mine[A2A_CLIP_CONTEXT];
        st = a2a_clip_text_tokenize(ctx, m, prompt, mine);
        CHECK_MSG(st == A2A_OK, "%s: tokenize: %s", c->name, a2a_last_error(ctx));
        CHECK_MSG(memcmp(mine, ids, sizeof mine) == 0, "%s: ids differ from CLIPTokenizer's", c->name);
        const char *const prompts[1] = {prompt};
        st = a2a_clip_text_encode_prompts(ctx, tp, m, prompts, 1, 0, (float *)got.data, NULL);
        free(prompt);
    } else {
        const int32_t *mask = c->n_in > 1 ? (const int32_t *)c->in[1]->data : NULL;
        const int skip = a2a_golden_i32(c, "clip_skip", 0);
        const bool pooled = a2a_golden_str_is(c, "output", "pooled");
        st = a2a_clip_text_encode_ex(ctx, tp, m, ids, n_seq, A2A_CLIP_CONTEXT, mask, skip,
                                     pooled ? NULL : (float *)got.data, pooled ? (float *)got.data : NULL);
    }
    CHECK_MSG(st == A2A_OK, "%s %s: %s", c->name, tag, a2a_last_error(ctx));
    if (st == A2A_OK) {
        a2a_golden_case cc = *c;
        if (tol_nmse > 0) {
            cc.tol_nmse = tol_nmse;
            cc.tol_max_abs = 1e9;
        }
        CHECK(a2a_golden_compare(&cc, &got, tag));
    }
    free(got.data);
    a2a_ctx_free(ctx);
}

/* All cases of one model, converted with the given types; all_levels: every kernel level with
   1 and 2 threads, else the best level with 2 threads. */
static void run_model(const char *model, a2a_type mm, a2a_type emb, double tol, bool all_levels) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "clip_text/ref.gguf")) {
        CHECK(0);
        return;
    }
    a2a_clip_text *m = convert_load(model, mm, emb);
    if (m) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
        a2a_kernel_level top = a2a_kernel_level_get();
        int n = 0;
        for (int lv = all_levels ? 0 : (int)top; lv <= (int)top; lv++) {
            a2a_kernel_level_set((a2a_kernel_level)lv);
            for (int th = all_levels ? 1 : 2; th <= 2; th++) {
                char tag[64];
                snprintf(tag, sizeof tag, "%s/%s/%s/%dt", a2a_type_name(mm), a2a_type_name(emb),
                         a2a_kernel_level_name((a2a_kernel_level)lv), th);
                for (int i = 0; i < gf.n_cases; i++) {
                    char want[64];
                    snprintf(want, sizeof want, "%s_", model);
                    if (strncmp(gf.cases[i].name, want, strlen(want)) != 0) continue;
                    run_case(m, &gf.cases[i], th == 2 ? tp : NULL, tag, tol);
                    n++;
                }
            }
        }
        CHECK(n > 0);
        a2a_kernel_level_set(top);
        a2a_threadpool_free(tp);
        a2a_ctx_free(ctx);
    }
    a2a_clip_text_free(m);
    a2a_golden_close(&gf);
}

TEST(test_sd1_f32) { run_model("sd1", A2A_TYPE_F32, A2A_TYPE_F32, 0, true); }
TEST(test_sd2_f32) { run_model("sd2", A2A_TYPE_F32, A2A_TYPE_F32, 0, true); }
TEST(test_proj_f16) { run_model("proj", A2A_TYPE_F16, A2A_TYPE_F16, 0, true); } /* F16 source: lossless */
TEST(test_f16_rounded) {
    run_model("sd1", A2A_TYPE_F16, A2A_TYPE_F16, 1e-5, false);
    run_model("sd2", A2A_TYPE_F16, A2A_TYPE_F16, 1e-5, false);
}
TEST(test_q8_0) {
    run_model("sd1", A2A_TYPE_Q8_0, A2A_TYPE_F16, 1e-3, false);
    run_model("sd2", A2A_TYPE_Q8_0, A2A_TYPE_F16, 1e-3, false);
    run_model("proj", A2A_TYPE_Q8_0, A2A_TYPE_F16, 1e-3, false);
}

/* Pipeline-style file: "text_encoder." prefix via convert_add into a caller's writer. */
TEST(test_prefixed_bundle) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], out[256];
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "stable_diffusion") == A2A_OK);
    a2a_clip_text_convert_params p = a2a_clip_text_convert_default_params();
    p.matmul_type = p.embed_type = A2A_TYPE_F32;
    a2a_status st = a2a_clip_text_convert_add(ctx, w, te_dir(dir, sizeof dir, "sd2"), "text_encoder.", &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    CHECK(a2a_gguf_writer_write(ctx, w, tmp_path(out, sizeof out, "bundle")) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open(ctx, out, &g) == A2A_OK);
    CHECK(a2a_gguf_find_tensor(g, "text_encoder.text_model.final_layer_norm.weight") != NULL);
    a2a_clip_text *m = NULL;
    st = a2a_clip_text_load_gguf(ctx, g, "", &m); /* wrong prefix: clean error naming the tensor */
    CHECK(st == A2A_ERR_NOT_FOUND && strstr(a2a_last_error(ctx), "text_model.embeddings") != NULL);
    CHECK(m == NULL);
    st = a2a_clip_text_load_gguf(ctx, g, "text_encoder.", &m);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (m) {
        CHECK(a2a_clip_text_vocab(m) != NULL && a2a_clip_text_vocab(m)->pad == 0);
        CHECK(a2a_clip_text_get_config(m)->n_layers == 3 && a2a_clip_text_get_config(m)->act == A2A_NN_ACT_GELU);
        CHECK(a2a_clip_text_pooled_dim(m) == 32);
        a2a_golden gf;
        if (a2a_golden_open(&gf, "clip_text/ref.gguf")) {
            const a2a_golden_case *c = a2a_golden_find(&gf, "sd2_zeropad_hidden_skip1");
            CHECK(c != NULL);
            if (c) run_case(m, c, NULL, "bundle", 0);
            c = a2a_golden_find(&gf, "sd2_prompt0");
            CHECK(c != NULL);
            if (c) run_case(m, c, NULL, "bundle", 0);
            a2a_golden_close(&gf);
        } else {
            CHECK(0);
        }
    }
    a2a_clip_text_free(m);
    a2a_gguf_close(g);
    unlink(out);
    a2a_ctx_free(ctx);
}

TEST(test_bad_calls) {
    a2a_clip_text *m = convert_load("sd1", A2A_TYPE_F32, A2A_TYPE_F32);
    a2a_clip_text *pj = convert_load("proj", A2A_TYPE_F16, A2A_TYPE_F16);
    if (!m || !pj) {
        a2a_clip_text_free(m);
        a2a_clip_text_free(pj);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    int32_t ids[2 * 78];
    for (int i = 0; i < 2 * 78; i++) ids[i] = 5;
    float *hid = calloc(2 * 78 * 32, sizeof(float)), pooled[64];
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, 0, hid, pooled) == A2A_OK);
    ids[77 + 10] = 1000; /* sequence 1, position 10 */
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "1000") && strstr(a2a_last_error(ctx), "position 10"));
    ids[77 + 10] = -1;
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    ids[77 + 10] = 5;
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, 3, hid, NULL) == A2A_ERR_INVALID_ARG);  /* 2 layers */
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, -1, hid, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 2, 2, hid, NULL) == A2A_OK);              /* embeddings */
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 0, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 1 << 30, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clip_text_encode(ctx, NULL, m, ids, 1, 0, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_clip_text_encode_ex(ctx, NULL, m, ids, 1, 78, NULL, 0, hid, NULL) == A2A_ERR_SHAPE);
    CHECK(a2a_clip_text_encode_ex(ctx, NULL, m, ids, 1, 0, NULL, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    /* prompts */
    int32_t tok[A2A_CLIP_CONTEXT];
    CHECK(a2a_clip_text_tokenize(ctx, pj, "a cat", tok) == A2A_ERR_UNSUPPORTED); /* no vocabulary */
    CHECK(a2a_clip_text_tokenize(ctx, m, "bad \xff utf8", tok) == A2A_ERR_INVALID_ARG);
    const char *const prompts[2] = {"ok", "\xc3"};
    CHECK(a2a_clip_text_encode_prompts(ctx, NULL, m, prompts, 2, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "prompt 1") != NULL);
    CHECK(a2a_clip_text_encode_prompts(ctx, NULL, m, prompts, 0, 0, hid, NULL) == A2A_ERR_INVALID_ARG);
    free(hid);
    a2a_ctx_free(ctx);
    a2a_clip_text_free(m);
    a2a_clip_text_free(pj);
}

/* Copy of a converted file's tensors and metadata into a writer, with edits: tensor `drop`
   left out, tensor `reshape` declared transposed, metadata key `key` set to u32 `val` (or to
   the string sval), `unset` left out. */
static a2a_status build_variant(a2a_ctx *ctx, const a2a_gguf *g, const char *drop, const char *reshape,
                                const char *key, uint32_t val, const char *sval, const char *unset, void **mem,
                                size_t *size) {
    a2a_gguf_writer *w;
    a2a_status st = a2a_gguf_writer_new(ctx, &w);
    if (st) return st;
    const char *keys[] = {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                          "num_attention_heads", "max_position_embeddings", "projection_dim", "eos_token_id"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !st; i++) {
        char full[96];
        snprintf(full, sizeof full, "clip_text.%s", keys[i]);
        if (unset && strcmp(unset, full) == 0) continue;
        uint32_t v;
        CHECK(a2a_gguf_get_u32(ctx, g, full, &v) == A2A_OK);
        if (key && strcmp(key, full) == 0 && !sval) v = val;
        st = a2a_gguf_writer_set_u32(ctx, w, full, v);
    }
    if (!st) st = a2a_gguf_writer_set_f32(ctx, w, "clip_text.layer_norm_eps", 1e-5f);
    if (!st) st = a2a_gguf_writer_set_str(ctx, w, "clip_text.hidden_act",
                                          key && sval && strcmp(key, "clip_text.hidden_act") == 0 ? sval : "quick_gelu");
    for (int64_t i = 0; i < a2a_gguf_n_tensors(g) && !st; i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        if (drop && strcmp(t->name, drop) == 0) continue;
        int64_t ne[2] = {t->ne[0], t->ne[1]};
        if (reshape && strcmp(t->name, reshape) == 0) {
            ne[0] = t->ne[1];
            ne[1] = t->ne[0];
        }
        st = a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, ne, t->data);
    }
    if (!st) st = a2a_gguf_writer_write_memory(ctx, w, mem, size);
    a2a_gguf_writer_free(w);
    return st;
}

static a2a_status load_variant(a2a_ctx *ctx, const a2a_gguf *g, const char *drop, const char *reshape,
                               const char *key, uint32_t val, const char *sval, const char *unset) {
    void *mem = NULL;
    size_t size = 0;
    a2a_ctx *c2 = a2a_ctx_new();
    a2a_status st = build_variant(c2, g, drop, reshape, key, val, sval, unset, &mem, &size);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(c2));
    a2a_ctx_free(c2);
    if (st) return st;
    a2a_gguf *g2 = NULL;
    st = a2a_gguf_open_memory(ctx, mem, size, &g2);
    free(mem);
    CHECK(st == A2A_OK);
    if (st) return st;
    a2a_clip_text *m = NULL;
    st = a2a_clip_text_load_gguf(ctx, g2, NULL, &m);
    CHECK(st == A2A_OK || m == NULL);
    a2a_clip_text_free(m);
    a2a_gguf_close(g2);
    return st;
}

TEST(test_bad_files) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], out[256];
    a2a_clip_text_convert_params p = a2a_clip_text_convert_default_params();
    p.tokenizer_dir = "";
    a2a_status st = a2a_clip_text_convert(ctx, te_dir(dir, sizeof dir, "sd1"), tmp_path(out, sizeof out, "bad"), &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open(ctx, out, &g) == A2A_OK);
    if (g) {
        CHECK(a2a_gguf_find_key(g, "tokenizer.ggml.model") < 0); /* tokenizer_dir "" stores none */
        CHECK(load_variant(ctx, g, NULL, NULL, NULL, 0, NULL, NULL) == A2A_OK);
        const char *fc1 = "text_model.encoder.layers.1.mlp.fc1.weight";
        CHECK(load_variant(ctx, g, fc1, NULL, NULL, 0, NULL, NULL) == A2A_ERR_NOT_FOUND);
        CHECK(strstr(a2a_last_error(ctx), fc1) != NULL);
        CHECK(load_variant(ctx, g, NULL, fc1, NULL, 0, NULL, NULL) == A2A_ERR_SHAPE);
        CHECK(strstr(a2a_last_error(ctx), fc1) != NULL);
        CHECK(load_variant(ctx, g, "text_model.final_layer_norm.bias", NULL, NULL, 0, NULL, NULL) == A2A_ERR_NOT_FOUND);
        /* projection_dim set but no text_projection.weight */
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.projection_dim", 16, NULL, NULL) == A2A_ERR_NOT_FOUND);
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.num_attention_heads", 5, NULL, NULL) == A2A_ERR_FORMAT);
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.num_hidden_layers", 100000, NULL, NULL) == A2A_ERR_FORMAT);
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.vocab_size", 0xFFFFFFFFu, NULL, NULL) == A2A_ERR_FORMAT);
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.vocab_size", 999, NULL, NULL) == A2A_ERR_SHAPE);
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.hidden_act", 0, "relu", NULL) == A2A_ERR_UNSUPPORTED);
        CHECK(load_variant(ctx, g, NULL, NULL, NULL, 0, NULL, "clip_text.hidden_size") == A2A_ERR_FORMAT);
        /* 3 layers declared, 2 stored */
        CHECK(load_variant(ctx, g, NULL, NULL, "clip_text.num_hidden_layers", 3, NULL, NULL) == A2A_ERR_NOT_FOUND);
        a2a_gguf_close(g);
    }
    unlink(out);
    a2a_clip_text *m = NULL;
    CHECK(a2a_clip_text_load(ctx, "/nonexistent/x.gguf", &m) != A2A_OK && m == NULL);

    /* converter: unsupported configs and missing files */
    char tdir[256], path[512], src[1100];
    snprintf(tdir, sizeof tdir, "/tmp/a2a-test-clip-text-%d-dir", (int)getpid());
    mkdir(tdir, 0700);
    snprintf(path, sizeof path, "%s/config.json", tdir);
    CHECK(a2a_clip_text_convert(ctx, tdir, out, NULL) == A2A_ERR_NOT_FOUND); /* no config.json */
    const char *cfgs[3] = {"{\"model_type\": \"clip\", \"text_config\": {}}", "{\"hidden_act\": \"relu\"}",
                           "{\"hidden_size\": 30, \"num_attention_heads\": 4}"};
    const a2a_status want[3] = {A2A_ERR_UNSUPPORTED, A2A_ERR_UNSUPPORTED, A2A_ERR_FORMAT};
    for (int i = 0; i < 3; i++) {
        FILE *f = fopen(path, "w");
        fputs(cfgs[i], f);
        fclose(f);
        st = a2a_clip_text_convert(ctx, tdir, out, NULL);
        CHECK_MSG(st == want[i], "config %d: %s", i, a2a_last_error(ctx));
    }
    /* a valid config but no weights */
    FILE *f = fopen(path, "w");
    fputs("{\"model_type\": \"clip_text_model\", \"vocab_size\": 1000, \"hidden_size\": 32, \"intermediate_size\": 64, "
          "\"num_hidden_layers\": 2, \"num_attention_heads\": 4}", f);
    fclose(f);
    CHECK(a2a_clip_text_convert(ctx, tdir, out, NULL) == A2A_ERR_NOT_FOUND);
    /* sd1's weights under a config that says 3 layers: the missing layer is named */
    snprintf(src, sizeof src, "%s/model.safetensors", te_dir(dir, sizeof dir, "sd1"));
    char link[1200];
    snprintf(link, sizeof link, "%s/model.safetensors", tdir);
    CHECK(symlink(src, link) == 0);
    f = fopen(path, "w");
    fputs("{\"model_type\": \"clip_text_model\", \"vocab_size\": 1000, \"hidden_size\": 32, \"intermediate_size\": 64, "
          "\"num_hidden_layers\": 3, \"num_attention_heads\": 4}", f);
    fclose(f);
    st = a2a_clip_text_convert(ctx, tdir, out, NULL);
    CHECK(st == A2A_ERR_NOT_FOUND && strstr(a2a_last_error(ctx), "layers.2") != NULL);
    /* wrong widths: the shape error names the tensor */
    f = fopen(path, "w");
    fputs("{\"model_type\": \"clip_text_model\", \"vocab_size\": 1000, \"hidden_size\": 32, \"intermediate_size\": 48, "
          "\"num_hidden_layers\": 2, \"num_attention_heads\": 4}", f);
    fclose(f);
    st = a2a_clip_text_convert(ctx, tdir, out, NULL);
    CHECK(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "fc1") != NULL);
    /* bad target types, a tokenizer folder that does not exist */
    a2a_clip_text_convert_params bp = a2a_clip_text_convert_default_params();
    bp.matmul_type = A2A_TYPE_Q4_0;
    CHECK(a2a_clip_text_convert(ctx, te_dir(dir, sizeof dir, "sd1"), out, &bp) == A2A_ERR_UNSUPPORTED);
    bp = a2a_clip_text_convert_default_params();
    bp.embed_type = A2A_TYPE_Q8_0;
    CHECK(a2a_clip_text_convert(ctx, te_dir(dir, sizeof dir, "sd1"), out, &bp) == A2A_ERR_UNSUPPORTED);
    bp = a2a_clip_text_convert_default_params();
    bp.tokenizer_dir = "/nonexistent/tokenizer";
    CHECK(a2a_clip_text_convert(ctx, te_dir(dir, sizeof dir, "sd1"), out, &bp) != A2A_OK);
    CHECK(access(out, F_OK) != 0); /* nothing written on failure */
    unlink(link);
    unlink(path);
    rmdir(tdir);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_sd1_f32, test_sd2_f32, test_proj_f16, test_f16_rounded, test_q8_0, test_prefixed_bundle, test_bad_calls,
          test_bad_files)
