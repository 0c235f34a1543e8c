/* `any2any convert --nextgpt` (pipeline/nextgpt_convert.c, models/llm/lora_merge.c) vs
   tools/ref/make_golden_nextgpt_convert.py: a tiny LLaMA base GGUF + a delta checkpoint in
   NExT-GPT's layout (peft LoRA r 4 / alpha 8 on q/k/v/o with 2 KV heads, the whole resized
   embedding and lm_head, llama_proj, three TextFcLayers) -> bundle; checks
     - merged llm.gguf (F32) logits at every position vs transformers' merged + resized model,
       on sequences made of added tokens too: nmse <= 1e-8, max abs <= 1e-3 (as stored per case);
       with the default F16 for the new tensors (token_embd / output): nmse <= 1e-5;
     - without merging: llm.gguf keeps the base attention weights bit for bit (so its logits
       differ from the reference: nmse > 1e-4, the test can fail), lora.gguf holds A and the
       q/k-permuted B exactly, adapter.lora.alpha;
     - the vocabulary: "[IMG0]" is one token with id 514 (= 512 base tokens + 2), "[VID23]" 541,
       "x[AUD7]" ends in 549;
     - the manifest: every path exists (a2a_bundle_read, plus the output projectors, lora and
       generators), signal token lists, the projectors load with the base LLM's width;
       encoder / generators linked in or referenced by relative path;
     - bad inputs fail cleanly with the expected status and leave nothing behind (no out_dir,
       no temporary folder): missing embedding / llama_proj, rows that do not fit the added
       tokens, LoRA of the wrong shape or missing half, a base LLM of another width, a base
       that is not a llama GGUF, an unwritable out_dir, cancel; an existing out_dir keeps its
       other files and is unchanged by a failing run. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/weights.h"
#include "models/llm/llama.h"
#include "models/projectors/projector.h"
#include "models/projectors/textfc.h"
#include "pipeline/bundle.h"
#include "pipeline/nextgpt_convert.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define GDIR "nextgpt_convert/"
static char g_tmp[512]; /* per-run scratch folder */
static bool make_ckpt_variant(const char *src, const char *dst, bool added_only, bool stray_lora);

static const char *gp(char *buf, size_t cap, const char *name) {
    char rel[256];
    snprintf(rel, sizeof rel, GDIR "%s", name);
    return a2a_golden_path(buf, cap, rel);
}

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* Entries of g_tmp whose name starts with '.' (temporary folders/files left behind). */
static int hidden_entries(void) {
    DIR *d = opendir(g_tmp);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static a2a_nextgpt_convert_params base_params(char *ck, char *base, char *out, const char *ck_name, const char *base_name,
                                              const char *out_name) {
    a2a_nextgpt_convert_params p = a2a_nextgpt_convert_default_params();
    p.ckpt_path = gp(ck, 1024, ck_name);
    p.base_llm = gp(base, 1024, base_name);
    snprintf(out, 1024, "%s/%s", g_tmp, out_name);
    p.out_dir = out;
    p.lora_alpha = 8.0f;
    return p;
}

/* Logits at every position of ids through llm.gguf in bundle dir; NULL on failure. */
static bool g_with_adapter; /* run_logits attaches <dir>/lora.gguf at run time */

static float *run_logits(const char *dir, const int32_t *ids, int32_t n, int32_t *n_vocab) {
    char path[1100];
    snprintf(path, sizeof path, "%s/llm.gguf", dir);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    a2a_llm_session *s = NULL;
    a2a_llm_lora *lora = NULL;
    float *out = NULL;
    a2a_status st = a2a_llm_load(ctx, path, &m);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK && g_with_adapter) {
        snprintf(path, sizeof path, "%s/lora.gguf", dir);
        st = a2a_llm_lora_load(ctx, m, path, &lora);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) a2a_llm_set_lora(m, lora);
    }
    if (st == A2A_OK) {
        a2a_llm_session_params sp = a2a_llm_session_default_params();
        sp.n_ctx = 64;
        sp.kv_type = A2A_TYPE_F32;
        st = a2a_llm_session_new(ctx, m, NULL, &sp, &s);
        uint8_t all[64];
        memset(all, 1, sizeof all);
        if (st == A2A_OK) st = a2a_llm_decode(ctx, s, ids, NULL, NULL, n, all, NULL);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK && s->n_out == n) {
            *n_vocab = m->hp.n_vocab;
            out = malloc(sizeof(float) * (size_t)n * (size_t)m->hp.n_vocab);
            memcpy(out, s->logits, sizeof(float) * (size_t)n * (size_t)m->hp.n_vocab);
        }
    }
    a2a_llm_session_free(s);
    a2a_llm_free(m);
    a2a_llm_lora_free(lora);
    a2a_ctx_free(ctx);
    return out;
}

/* Compare every logits case of ref.gguf; tol_nmse < 0: the case's own tolerances; otherwise
   nmse <= tol_nmse (max abs not checked). want_match false: expect a clear mismatch instead. */
static void check_logits(const char *dir, double tol_nmse, bool want_match) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, GDIR "ref.gguf")) {
        CHECK(0);
        return;
    }
    int n_cases = 0;
    for (int ci = 0; ci < gf.n_cases; ci++) {
        const a2a_golden_case *c = &gf.cases[ci];
        if (strcmp(c->op, "nextgpt_logits") != 0) continue;
        n_cases++;
        int32_t n = (int32_t)c->in[0]->ne[0], V = 0;
        float *lg = run_logits(dir, c->in[0]->data, n, &V);
        if (!lg) continue;
        CHECK_EQ_INT(V, c->out->ne[0]);
        a2a_tensor got = a2a_tensor_make(A2A_TYPE_F32, lg, V, n, 1, 1);
        if (want_match && tol_nmse < 0) {
            CHECK(a2a_golden_compare(c, &got, dir));
        } else {
            a2a_golden_metrics m;
            a2a_golden_measure(&got, c->out, &m);
            if (want_match)
                CHECK_MSG(m.shape_ok && m.nmse <= tol_nmse, "%s %s: nmse %.3e > %.1e", dir, c->name, m.nmse, tol_nmse);
            else
                CHECK_MSG(m.shape_ok && m.nmse > 1e-4, "%s %s: nmse %.3e (unmerged LoRA should differ)", dir, c->name, m.nmse);
            if (getenv("A2A_GOLDEN_VERBOSE")) fprintf(stderr, "  %s %s nmse %.3e max_abs %.3e\n", dir, c->name, m.nmse, m.max_abs);
        }
        free(lg);
    }
    CHECK_EQ_INT(n_cases, 3);
    a2a_golden_close(&gf);
}

static void check_vocab(const char *dir) {
    char path[1100];
    snprintf(path, sizeof path, "%s/llm.gguf", dir);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    if (a2a_llm_load(ctx, path, &m) != A2A_OK || !m->vocab) {
        CHECK_MSG(0, "%s", a2a_last_error(ctx));
        a2a_llm_free(m);
        a2a_ctx_free(ctx);
        return;
    }
    CHECK_EQ_INT(m->hp.n_vocab, 550);
    static const struct { const char *text; int n; int32_t last; } cases[] = {
        {"[IMG0]", 1, 514}, {"[VID23]", 1, 541}, {"<Img>", 1, 512}, {"</Img>", 1, 513}, {"[AUD7]", 1, 549}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int32_t *ids = NULL;
        size_t n = 0;
        a2a_status st = a2a_tokenize(ctx, m->vocab, cases[i].text, strlen(cases[i].text), false, true, &ids, &n);
        CHECK_MSG(st == A2A_OK && (int)n == cases[i].n && ids[n - 1] == cases[i].last, "'%s' -> %zu tokens, last %d (want %d x1, %d)",
                  cases[i].text, n, n ? ids[n - 1] : -1, cases[i].n, cases[i].last);
        free(ids);
    }
    /* a signal token inside text: its own id, the text around it tokenized as before */
    int32_t *ids = NULL;
    size_t n = 0;
    const char *t = "ab[IMG1]";
    CHECK(a2a_tokenize(ctx, m->vocab, t, strlen(t), false, true, &ids, &n) == A2A_OK && n >= 2 && ids[n - 1] == 515);
    for (size_t i = 0; i + 1 < n; i++) CHECK(ids[i] < 512);
    free(ids);
    a2a_llm_free(m);
    a2a_ctx_free(ctx);
}

static const char *json_str_at(const a2a_json_value *root, const char *path) {
    return a2a_json_str(a2a_json_path(root, path));
}

/* Every path of the manifest exists; the signal token lists and projectors are right. */
static void check_manifest(const char *dir, bool want_lora, bool want_ext) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_bundle_spec spec;
    a2a_status st = a2a_bundle_read(ctx, dir, &spec);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    CHECK(st != A2A_OK || !want_lora || exists(spec.lora));
    CHECK(st != A2A_OK || (exists(spec.llm) && exists(spec.input_projector)));
    CHECK(st != A2A_OK || !strcmp(spec.prompt_format, "nextgpt"));
    char path[1200];
    snprintf(path, sizeof path, "%s/bundle.json", dir);
    a2a_json *doc = NULL;
    if (a2a_json_parse_file(ctx, path, &doc) != A2A_OK) {
        CHECK_MSG(0, "%s", a2a_last_error(ctx));
        a2a_ctx_free(ctx);
        return;
    }
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK(json_str_at(r, "format") && !strcmp(json_str_at(r, "format"), "any2any-bundle"));
    int64_t ver = 0;
    CHECK(a2a_json_int(a2a_json_get(r, "version"), &ver) && ver == 1);
    CHECK(json_str_at(r, "llm") && !strcmp(json_str_at(r, "llm"), "llm.gguf"));
    const char *lora = json_str_at(r, "lora");
    CHECK_MSG(want_lora == (lora != NULL), "lora field %s", lora ? lora : "(absent)");
    const char *fields[] = {"lora", "input_projector", "output_projectors.image", "output_projectors.video",
                            "output_projectors.audio", "encoder", "generators.image", "generators.video", "generators.audio"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const char *v = json_str_at(r, fields[i]);
        if (i == 0 && !want_lora) continue;
        if (i >= 5 && !want_ext) {
            CHECK_MSG(!v, "%s unexpected", fields[i]);
            continue;
        }
        CHECK_MSG(v != NULL, "manifest field %s missing", fields[i]);
        if (!v) continue;
        CHECK_MSG(v[0] != '/', "%s is absolute: %s", fields[i], v);
        snprintf(path, sizeof path, "%s/%s", dir, v);
        CHECK_MSG(exists(path), "%s: %s does not exist", fields[i], path);
    }
    static const char *const mods[3] = {"image", "video", "audio"}, *const tag[3] = {"IMG", "VID", "AUD"};
    const int counts[3] = {4, 24, 8};
    for (int m = 0; m < 3; m++) {
        char key[64];
        snprintf(key, sizeof key, "signal_tokens.%s", mods[m]);
        const a2a_json_value *arr = a2a_json_path(r, key);
        CHECK_MSG(a2a_json_is_array(arr) && (int)a2a_json_len(arr) == counts[m], "%s", key);
        for (int i = 0; arr && i < counts[m] && i < (int)a2a_json_len(arr); i++) {
            char want[16];
            snprintf(want, sizeof want, "[%s%d]", tag[m], i);
            const char *got = a2a_json_str(a2a_json_at(arr, (size_t)i));
            CHECK_MSG(got && !strcmp(got, want), "%s[%d] = %s", key, i, got ? got : "?");
        }
        snprintf(path, sizeof path, "%s/textfc_%s.gguf", dir, mods[m]);
        a2a_textfc *fc = NULL;
        st = a2a_textfc_load(ctx, path, &fc);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (fc) {
            CHECK_EQ_INT(a2a_textfc_in_dim(fc), 32);
            CHECK_EQ_INT(a2a_textfc_n_in_tokens(fc), counts[m]);
        }
        a2a_textfc_free(fc);
    }
    snprintf(path, sizeof path, "%s/llama_proj.gguf", dir);
    a2a_projector *pj = NULL;
    CHECK(a2a_projector_load(ctx, path, &pj) == A2A_OK && a2a_projector_in_dim(pj) == 16 && a2a_projector_out_dim(pj) == 32);
    a2a_projector_free(pj);
    a2a_json_free(doc);
    a2a_ctx_free(ctx);
}

TEST(test_merged_f32) {
    char ck[1024], base[1024], out[1024];
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "merged_f32");
    p.type = A2A_TYPE_F32;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_nextgpt_convert(ctx, &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    if (st != A2A_OK) return;
    CHECK_EQ_INT(hidden_entries(), 0);
    check_logits(out, -1, true);
    check_vocab(out);
    check_manifest(out, false, false);
    char path[1100];
    snprintf(path, sizeof path, "%s/lora.gguf", out);
    CHECK(!exists(path));
}

static int g_calls;
static int count_progress(int64_t done, int64_t total, const char *what, void *user) {
    (void)what;
    (void)user;
    CHECK(done >= 1 && done <= total);
    g_calls++;
    return 0;
}

TEST(test_merged_f16_default) {
    char ck[1024], base[1024], out[1024];
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "merged_f16");
    p.progress = count_progress;
    g_calls = 0;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_nextgpt_convert(ctx, &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    CHECK(g_calls > 20);
    if (st == A2A_OK) {
        check_logits(out, 1e-5, true);
        char path[1200];
        snprintf(path, sizeof path, "%s/llm.gguf", out);
        a2a_gguf *g = NULL;
        if (a2a_gguf_open(ctx, path, &g) == A2A_OK) {
            const a2a_tensor *te = a2a_gguf_find_tensor(g, "token_embd.weight");
            CHECK(te && te->type == A2A_TYPE_F16 && te->ne[1] == 550);
            uint32_t vs = 0;
            CHECK(a2a_gguf_get_u32(ctx, g, "llama.vocab_size", &vs) == A2A_OK && vs == 550);
            a2a_gguf_close(g);
        }
    }
    a2a_ctx_free(ctx);
}

TEST(test_unmerged_adapter) {
    char ck[1024], base[1024], out[1024];
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "unmerged");
    p.type = A2A_TYPE_F32;
    p.merge_lora = false;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_nextgpt_convert(ctx, &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st != A2A_OK) {
        a2a_ctx_free(ctx);
        return;
    }
    check_manifest(out, true, false);
    check_logits(out, 0, false); /* the base attention weights: the reference is not reproduced */
    g_with_adapter = true;       /* ... but with lora.gguf attached at run time it is, as merged */
    check_logits(out, -1, true);
    g_with_adapter = false;
    {   /* adapters that do not fit are refused by name */
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_llm_model *narrow = NULL, *m = NULL;
        a2a_llm_lora *l = NULL;
        char p1[1200], p2[1200];
        snprintf(p1, sizeof p1, "%s/lora.gguf", out);
        snprintf(p2, sizeof p2, "%s/llm.gguf", out);
        char pn[1200];
        snprintf(pn, sizeof pn, "%s/tests/golden/" GDIR "base_narrow.gguf", A2A_SOURCE_DIR);
        CHECK(a2a_llm_load(ctx, pn, &narrow) == A2A_OK);
        if (narrow) {
            CHECK(a2a_llm_lora_load(ctx, narrow, p1, &l) == A2A_ERR_SHAPE && l == NULL);
            CHECK(strstr(a2a_last_error(ctx), "attn_") != NULL);
        }
        CHECK(a2a_llm_load(ctx, p2, &m) == A2A_OK);
        if (m) {
            CHECK(a2a_llm_lora_load(ctx, m, p2, &l) == A2A_ERR_FORMAT && l == NULL); /* not an adapter */
            CHECK(a2a_llm_lora_load(ctx, m, "no/such/lora.gguf", &l) != A2A_OK && l == NULL);
        }
        a2a_llm_free(narrow);
        a2a_llm_free(m);
        a2a_ctx_free(ctx);
    }
    char path[1200];
    a2a_gguf *bg = NULL, *lg = NULL, *ag = NULL;
    snprintf(path, sizeof path, "%s/llm.gguf", out);
    CHECK(a2a_gguf_open(ctx, p.base_llm, &bg) == A2A_OK);
    CHECK(a2a_gguf_open(ctx, path, &lg) == A2A_OK);
    snprintf(path, sizeof path, "%s/lora.gguf", out);
    CHECK(a2a_gguf_open(ctx, path, &ag) == A2A_OK);
    a2a_golden gf;
    if (bg && lg && ag && a2a_golden_open(&gf, GDIR "ref.gguf")) {
        static const char *const proj[4] = {"attn_q", "attn_k", "attn_v", "attn_output"};
        for (int l = 0; l < 2; l++)
            for (int j = 0; j < 4; j++) {
                char name[96];
                snprintf(name, sizeof name, "blk.%d.%s.weight", l, proj[j]);
                const a2a_tensor *tb = a2a_gguf_find_tensor(bg, name), *tl = a2a_gguf_find_tensor(lg, name);
                CHECK_MSG(tb && tl && tb->type == tl->type && a2a_tensor_nbytes(tb) == a2a_tensor_nbytes(tl) &&
                              !memcmp(tb->data, tl->data, a2a_tensor_nbytes(tb)),
                          "%s changed without merging", name);
                for (int ab = 0; ab < 2; ab++) {
                    char tn[128], cn[96];
                    snprintf(tn, sizeof tn, "%s.lora_%c", name, ab ? 'b' : 'a');
                    snprintf(cn, sizeof cn, "lora_blk%d_%s_%c", l, proj[j], ab ? 'b' : 'a');
                    const a2a_tensor *t = a2a_gguf_find_tensor(ag, tn);
                    const a2a_golden_case *c = a2a_golden_find(&gf, cn);
                    CHECK_MSG(t && c && t->type == A2A_TYPE_F32, "%s / %s", tn, cn);
                    if (t && c) CHECK(a2a_golden_compare(c, t, tn));
                }
            }
        a2a_golden_close(&gf);
        const char *s;
        size_t len;
        CHECK(a2a_gguf_get_str(ctx, ag, "general.type", &s, &len) == A2A_OK && len == 7 && !memcmp(s, "adapter", 7));
        CHECK(a2a_gguf_get_str(ctx, ag, "adapter.type", &s, &len) == A2A_OK && len == 4 && !memcmp(s, "lora", 4));
        float alpha = 0;
        CHECK(a2a_gguf_get_f32(ctx, ag, "adapter.lora.alpha", &alpha) == A2A_OK && alpha == 8.0f);
        CHECK_EQ_INT(a2a_gguf_n_tensors(ag), 16);
    } else {
        CHECK(0);
    }
    a2a_gguf_close(bg);
    a2a_gguf_close(lg);
    a2a_gguf_close(ag);
    a2a_ctx_free(ctx);
}

TEST(test_externals) {
    char ck[1024], base[1024], out[1024], stand_in[1024];
    gp(stand_in, sizeof stand_in, "base_narrow.gguf"); /* any GGUF stands in for ImageBind / the pipelines */
    for (int ref = 0; ref < 2; ref++) {
        a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", ref ? "ext_ref" : "ext_copy");
        p.encoder = p.gen_image = p.gen_video = p.gen_audio = stand_in;
        p.reference_external = ref;
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_status st = a2a_nextgpt_convert(ctx, &p);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) {
            check_manifest(out, false, true);
            a2a_bundle_spec spec;
            CHECK(a2a_bundle_read(ctx, out, &spec) == A2A_OK);
            char r1[4096], r2[4096];
            CHECK(realpath(spec.encoder, r1) && realpath(stand_in, r2));
            if (ref) CHECK_MSG(!strcmp(r1, r2), "%s vs %s", r1, r2); /* referenced: the same file */
            else CHECK(strcmp(r1, r2) != 0);                         /* linked/copied into the bundle */
            size_t n1 = 0, n2 = 0;
            void *a = a2a_test_read_file(spec.encoder, &n1), *b = a2a_test_read_file(stand_in, &n2);
            CHECK(a && b && n1 == n2 && !memcmp(a, b, n1));
            free(a);
            free(b);
        }
        a2a_ctx_free(ctx);
    }
    /* a missing generator file fails before anything is written */
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "ext_missing");
    p.gen_video = "/nonexistent/zeroscope.gguf";
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK_EQ_INT(a2a_nextgpt_convert(ctx, &p), A2A_ERR_NOT_FOUND);
    CHECK(!exists(out));
    a2a_ctx_free(ctx);
}

/* One bad conversion: expected status, the message mentions `needle`, no temporary folder left
   (the callers check out_dir). */
static void expect_fail(a2a_nextgpt_convert_params *p, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_nextgpt_convert(ctx, p);
    CHECK_MSG(st == want, "%s: status %d, want %d: %s", p->ckpt_path ? p->ckpt_path : "?", st, want, a2a_last_error(ctx));
    CHECK_MSG(!needle || strstr(a2a_last_error(ctx), needle), "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    if (getenv("A2A_GOLDEN_VERBOSE")) fprintf(stderr, "  expected failure: %s\n", a2a_last_error(ctx));
    CHECK_EQ_INT(hidden_entries(), 0);
    a2a_ctx_free(ctx);
}

static int cancel_at_5(int64_t done, int64_t total, const char *what, void *user) {
    (void)total;
    (void)what;
    (void)user;
    return done >= 5;
}

TEST(test_bad_inputs) {
    char ck[1024], base[1024], out[1024];
    static const struct { const char *ck, *base; a2a_status st; const char *needle; } cases[] = {
        {"bad_noembed.pt", "base.gguf", A2A_ERR_NOT_FOUND, "embed_tokens"},
        {"bad_rows.pt", "base.gguf", A2A_ERR_SHAPE, "rows"},
        {"bad_lora.pt", "base.gguf", A2A_ERR_SHAPE, "k_proj"},
        {"bad_lora_half.pt", "base.gguf", A2A_ERR_NOT_FOUND, "lora_B"},
        {"bad_proj.pt", "base.gguf", A2A_ERR_SHAPE, "llama_proj"},
        {"bad_noproj.pt", "base.gguf", A2A_ERR_NOT_FOUND, "llama_proj"},
        {"delta.pt", "base_narrow.gguf", A2A_ERR_SHAPE, "wide"},
        {"delta.pt", "ref.gguf", A2A_ERR_UNSUPPORTED, NULL},      /* not a llama GGUF (no architecture) */
        {"base.gguf", "base.gguf", A2A_ERR_NOT_FOUND, NULL},      /* a "checkpoint" without the keys */
        {"nonexistent.pt", "base.gguf", A2A_ERR_IO, NULL},
        {"delta.pt", "nonexistent.gguf", A2A_ERR_IO, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        a2a_nextgpt_convert_params p = base_params(ck, base, out, cases[i].ck, cases[i].base, "bad");
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_status st = a2a_nextgpt_convert(ctx, &p);
        if (cases[i].st == A2A_ERR_UNSUPPORTED) /* ref.gguf has no general.architecture: NOT_FOUND is as clean */
            CHECK_MSG(st == A2A_ERR_UNSUPPORTED || st == A2A_ERR_NOT_FOUND || st == A2A_ERR_FORMAT, "%s", a2a_last_error(ctx));
        else
            CHECK_MSG(st == cases[i].st, "%s + %s: status %d, want %d: %s", cases[i].ck, cases[i].base, st, cases[i].st,
                      a2a_last_error(ctx));
        CHECK_MSG(!cases[i].needle || strstr(a2a_last_error(ctx), cases[i].needle), "%s: message '%s' lacks '%s'", cases[i].ck,
                  a2a_last_error(ctx), cases[i].needle);
        if (getenv("A2A_GOLDEN_VERBOSE")) fprintf(stderr, "  expected failure: %s\n", a2a_last_error(ctx));
        CHECK_MSG(!exists(out), "%s left behind", out);
        CHECK_EQ_INT(hidden_entries(), 0);
        a2a_ctx_free(ctx);
    }
    /* LoRA on a module we cannot merge (an MLP projection) */
    char ck2[1100];
    snprintf(ck2, sizeof ck2, "%s/delta_stray.gguf", g_tmp);
    CHECK(make_ckpt_variant(gp(ck, sizeof ck, "delta.pt"), ck2, false, true));
    {
        a2a_nextgpt_convert_params q = base_params(ck, base, out, "delta.pt", "base.gguf", "bad");
        q.ckpt_path = ck2;
        expect_fail(&q, A2A_ERR_SHAPE, "mlp.up_proj");
        CHECK(!exists(out));
    }
    unlink(ck2);
    /* signal token counts that do not fit the checkpoint's rows */
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "bad");
    p.n_video_tokens = 23;
    expect_fail(&p, A2A_ERR_SHAPE, "signal token");
    CHECK(!exists(out));
    /* bad params */
    p = base_params(ck, base, out, "delta.pt", "base.gguf", "bad");
    p.ckpt_path = NULL;
    expect_fail(&p, A2A_ERR_INVALID_ARG, NULL);
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK_EQ_INT(a2a_nextgpt_convert(ctx, NULL), A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
    p = base_params(ck, base, out, "delta.pt", "base.gguf", "bad");
    p.lora_alpha = -1;
    expect_fail(&p, A2A_ERR_INVALID_ARG, NULL);
    CHECK(!exists(out));
    /* unwritable out_dir: its parent is a regular file */
    p = base_params(ck, base, out, "delta.pt", "base.gguf", "bad");
    char file_parent[1100];
    snprintf(file_parent, sizeof file_parent, "%s/plainfile", g_tmp);
    CHECK(a2a_test_write_file(file_parent, "x", 1) == 0);
    snprintf(out, 1024, "%s/plainfile/bundle", g_tmp);
    expect_fail(&p, A2A_ERR_IO, "cannot create");
    snprintf(out, 1024, "%s/plainfile", g_tmp); /* out_dir is a file */
    expect_fail(&p, A2A_ERR_IO, "not a folder");
    unlink(file_parent);
    /* cancelled mid-way */
    p = base_params(ck, base, out, "delta.pt", "base.gguf", "cancelled");
    p.progress = cancel_at_5;
    expect_fail(&p, A2A_ERR_CANCELLED, NULL);
    CHECK(!exists(out));
}

TEST(test_existing_out_dir) {
    char ck[1024], base[1024], out[1024], keep[1200], path[1200];
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "existing");
    CHECK(mkdir(out, 0755) == 0);
    snprintf(keep, sizeof keep, "%s/notes.txt", out);
    CHECK(a2a_test_write_file(keep, "mine", 4) == 0);
    /* a failing run leaves the folder as it was */
    p.ckpt_path = gp(ck, sizeof ck, "bad_proj.pt");
    expect_fail(&p, A2A_ERR_SHAPE, NULL);
    snprintf(path, sizeof path, "%s/llm.gguf", out);
    CHECK(!exists(path) && exists(keep));
    /* a good one adds the bundle beside the user's file */
    p.ckpt_path = gp(ck, sizeof ck, "delta.pt");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_nextgpt_convert(ctx, &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    CHECK(exists(keep) && exists(path));
    CHECK_EQ_INT(hidden_entries(), 0);
    if (st == A2A_OK) check_manifest(out, false, false);
    /* and an empty existing folder is simply replaced */
    p = base_params(ck, base, out, "delta.pt", "base.gguf", "existing_empty");
    CHECK(mkdir(out, 0755) == 0);
    ctx = a2a_ctx_new();
    CHECK(a2a_nextgpt_convert(ctx, &p) == A2A_OK);
    a2a_ctx_free(ctx);
    snprintf(path, sizeof path, "%s/bundle.json", out);
    CHECK(exists(path));
}

/* delta.pt rewritten as a GGUF checkpoint (same keys) into dst: added_only keeps only the last
   38 rows of the embedding and lm_head; stray_lora adds a LoRA pair on an MLP projection. */
static bool make_ckpt_variant(const char *src, const char *dst, bool added_only, bool stray_lora) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_weights *w = NULL;
    a2a_gguf_writer *gw = NULL;
    bool ok = a2a_weights_open(ctx, src, &w) == A2A_OK && a2a_gguf_writer_new(ctx, &gw) == A2A_OK;
    const a2a_tensor *la = NULL, *lb = NULL;
    for (int64_t i = 0; ok && i < a2a_weights_n_tensors(w); i++) {
        const a2a_tensor *t = a2a_weights_tensor(w, i);
        const char *data = t->data;
        int64_t ne[5] = {t->ne[0], t->ne[1], t->ne[2], t->ne[3], t->ne[4]};
        if (added_only && (strstr(t->name, "embed_tokens.weight") || strstr(t->name, "lm_head.weight"))) {
            data += (size_t)(t->ne[1] - 38) * t->nb[1];
            ne[1] = 38;
        }
        if (strstr(t->name, "layers.0.self_attn.v_proj.lora_A")) la = t;
        if (strstr(t->name, "layers.0.self_attn.v_proj.lora_B")) lb = t;
        ok = a2a_gguf_writer_add_tensor(ctx, gw, t->name, t->type, t->n_dims, ne, data) == A2A_OK;
    }
    if (ok && stray_lora) { /* v_proj's pair reused: [32, 4] / [4, 16] */
        ok = la && lb &&
             a2a_gguf_writer_add_tensor(ctx, gw, "llama_model.base_model.model.model.layers.1.mlp.up_proj.lora_A.default.weight",
                                        la->type, 2, la->ne, la->data) == A2A_OK &&
             a2a_gguf_writer_add_tensor(ctx, gw, "llama_model.base_model.model.model.layers.1.mlp.up_proj.lora_B.default.weight",
                                        lb->type, 2, lb->ne, lb->data) == A2A_OK;
    }
    ok = ok && a2a_gguf_writer_write(ctx, gw, dst) == A2A_OK;
    if (!ok) fprintf(stderr, "make_ckpt_variant: %s\n", a2a_last_error(ctx));
    a2a_gguf_writer_free(gw);
    a2a_weights_close(w);
    a2a_ctx_free(ctx);
    return ok;
}

/* A checkpoint whose embedding / lm_head hold only the 38 added rows (a GGUF with the same keys,
   written here from delta.pt): the base rows come from the base LLM, the new ones from the
   checkpoint. */
TEST(test_added_rows_only) {
    char ck[1024], base[1024], out[1024], ck2[1100], path[1200];
    a2a_nextgpt_convert_params p = base_params(ck, base, out, "delta.pt", "base.gguf", "added_only");
    p.type = A2A_TYPE_F32;
    a2a_ctx *ctx = a2a_ctx_new();
    snprintf(ck2, sizeof ck2, "%s/delta_added.gguf", g_tmp);
    bool ok = make_ckpt_variant(p.ckpt_path, ck2, true, false);
    CHECK(ok);
    a2a_weights *w = NULL;
    ok = ok && a2a_weights_open(ctx, p.ckpt_path, &w) == A2A_OK;
    p.ckpt_path = ck2;
    a2a_status st = ok ? a2a_nextgpt_convert(ctx, &p) : A2A_ERR_INTERNAL;
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf *bg = NULL, *lg = NULL;
    snprintf(path, sizeof path, "%s/llm.gguf", out);
    if (st == A2A_OK && a2a_gguf_open(ctx, p.base_llm, &bg) == A2A_OK && a2a_gguf_open(ctx, path, &lg) == A2A_OK) {
        static const char *const names[2][2] = {{"token_embd.weight", "model.embed_tokens.weight"}, {"output.weight", "lm_head.weight"}};
        for (int k = 0; k < 2; k++) {
            const a2a_tensor *tb = a2a_gguf_find_tensor(bg, names[k][0]), *tl = a2a_gguf_find_tensor(lg, names[k][0]);
            const a2a_tensor *tc = NULL;
            for (int64_t i = 0; i < a2a_weights_n_tensors(w); i++)
                if (strstr(a2a_weights_tensor(w, i)->name, names[k][1])) tc = a2a_weights_tensor(w, i);
            CHECK(tb && tl && tc && tl->type == A2A_TYPE_F32 && tl->ne[0] == 32 && tl->ne[1] == 550);
            if (!(tb && tl && tc)) continue;
            CHECK_MSG(!memcmp(tl->data, tb->data, sizeof(float) * 32 * 512), "%s: base rows", names[k][0]);
            CHECK_MSG(!memcmp((const float *)tl->data + 32 * 512, (const char *)tc->data + (size_t)512 * tc->nb[1], sizeof(float) * 32 * 38),
                      "%s: added rows", names[k][0]);
        }
    } else {
        CHECK(0);
    }
    a2a_gguf_close(bg);
    a2a_gguf_close(lg);
    a2a_weights_close(w);
    unlink(ck2);
    a2a_ctx_free(ctx);
}

static void setup(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/a2a_test_ngc_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        exit(1);
    }
}

static void cleanup(void) {
    static const char *const dirs[] = {"merged_f32", "merged_f16", "unmerged", "ext_copy", "ext_ref", "existing", "existing_empty", "added_only"};
    char p[1024];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", g_tmp, dirs[i]);
        rm_rf(p);
    }
    rm_rf(g_tmp);
}

TEST(test_setup) { setup(); }
TEST(test_cleanup) {
    cleanup();
    CHECK(!exists(g_tmp));
}

TEST_MAIN(test_setup, test_merged_f32, test_merged_f16_default, test_unmerged_adapter, test_externals, test_bad_inputs,
          test_existing_out_dir, test_added_rows_only, test_cleanup)
