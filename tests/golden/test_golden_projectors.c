/* Input projectors vs their upstream PyTorch modules (tools/ref/make_golden_projectors.py):
   NExT-GPT's nn.Linear llama_proj (from a delta-checkpoint-like torch.save dict); LLaVA-1.5's
   mlp2x_gelu mm_projector (mm_projector.bin, a safetensors file, an fp16 safetensors file with
   bare mm_projector.* keys); BLIP-2's Q-Former + query_tokens + language_projection (the parts
   saved with torch.save, cross-attention in every layer; a whole tiny
   Blip2ForConditionalGeneration saved with save_pretrained in 3 shards, cross-attention every
   2nd layer, converted from its folder and from its index.json). Each checkpoint is converted
   with a2a_projector_convert, loaded with a2a_projector_load and run at every kernel level with
   1 and 2 threads.
   Tolerances: F32 weights as stored per case (nmse 1e-10, max abs 1e-4) against float64
   references; F16 weights nmse <= 1e-5; Q8_0 weights (rows not a multiple of 32 fall back to
   F16) nmse <= 2e-3 -- the measured values are printed with A2A_GOLDEN_VERBOSE=1.
   Bad inputs: missing keys, widths that do not fit, bad n_head / kind / type, unreadable
   sources (missing file, junk, empty folder, index naming a missing shard), unknown
   projector.type, other architectures, missing metadata, absurd widths, missing or mis-shaped
   tensors in the GGUF, edited Q-Former metadata, bad forward arguments -- each must give a
   clean error status with a message naming the culprit. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "models/projectors/projector.h"

#include <unistd.h>

static char g_tmpdir[256];

/* Path of a scratch file in this test's temporary folder. */
static const char *tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", g_tmpdir, name);
    return buf;
}

/* String parameter of a golden case into buf ("" when absent). */
static const char *case_str(const a2a_golden_case *c, const char *param, char *buf, size_t cap) {
    char key[A2A_GOLDEN_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s.%s", c->name, param);
    const char *v;
    size_t len;
    buf[0] = 0;
    if (a2a_gguf_get_str(NULL, c->file->g, key, &v, &len) == A2A_OK && len < cap) {
        memcpy(buf, v, len);
        buf[len] = 0;
    }
    return buf;
}

/* Convert + load + run one golden case with weights of type wt; compare with the case's
   tolerances (F32) or an nmse bound (tol_nmse > 0). */
static void run_case(const a2a_golden_case *c, a2a_type wt, double tol_nmse, const char *prefix_override) {
    char kind_s[32], model[128], prefix[128], src[1024], out[512], tag[256];
    case_str(c, "kind", kind_s, sizeof kind_s);
    case_str(c, "model", model, sizeof model);
    case_str(c, "prefix", prefix, sizeof prefix);
    a2a_projector_type kind;
    if (!a2a_projector_type_from_name(kind_s, &kind)) { CHECK_MSG(0, "%s: bad kind '%s'", c->name, kind_s); return; }
    char rel[160];
    snprintf(rel, sizeof rel, "projectors/%s", model);
    a2a_golden_path(src, sizeof src, rel);
    char oname[160];
    snprintf(oname, sizeof oname, "%s-%s.gguf", c->name, a2a_type_name(wt));
    tmp_path(out, sizeof out, oname);

    a2a_ctx *ctx = a2a_ctx_new();
    a2a_projector_convert_params cp = a2a_projector_convert_default_params();
    cp.type = wt;
    cp.prefix = prefix_override ? prefix_override : strcmp(prefix, "-") ? prefix : NULL;
    cp.n_head = a2a_golden_i32(c, "n_head", 0);
    cp.eps = a2a_golden_f32(c, "eps", 0.0f);
    a2a_status st = a2a_projector_convert(ctx, src, kind, out, &cp);
    CHECK_MSG(st == A2A_OK, "%s: convert: %s", c->name, a2a_last_error(ctx));
    a2a_projector *p = NULL;
    if (st == A2A_OK) {
        st = a2a_projector_load(ctx, out, &p);
        CHECK_MSG(st == A2A_OK, "%s: load: %s", c->name, a2a_last_error(ctx));
    }
    if (!p) { a2a_ctx_free(ctx); return; }
    const a2a_tensor *x = c->in[0], *ref = c->out;
    const int64_t n_in = x->ne[1];
    CHECK(a2a_projector_type_of(p) == kind);
    CHECK_EQ_INT(a2a_projector_in_dim(p), x->ne[0]);
    CHECK_EQ_INT(a2a_projector_out_dim(p), ref->ne[0]);
    CHECK_EQ_INT(a2a_projector_n_out_tokens(p, n_in), ref->ne[1]);
    float *y = malloc(sizeof(float) * (size_t)ref->ne[0] * (size_t)ref->ne[1]);
    a2a_tensor yt = a2a_tensor_make(A2A_TYPE_F32, y, ref->ne[0], ref->ne[1], 1, 1);
    a2a_kernel_level max = a2a_kernel_level_max();
    for (int lvl = 0; lvl <= (int)max; lvl++) {
        a2a_kernel_level_set((a2a_kernel_level)lvl);
        for (int nt = 1; nt <= 2; nt++) {
            a2a_threadpool *tp = NULL;
            if (nt > 1 && a2a_threadpool_new(ctx, nt, &tp) != A2A_OK) { CHECK(0); continue; }
            memset(y, 0xff, sizeof(float) * (size_t)ref->ne[0] * (size_t)ref->ne[1]); /* NaNs: must be overwritten */
            int64_t n_out = -1;
            st = a2a_projector_forward(ctx, tp, p, (const float *)x->data, n_in, y, &n_out);
            CHECK_MSG(st == A2A_OK, "%s: forward: %s", c->name, a2a_last_error(ctx));
            CHECK_EQ_INT(n_out, ref->ne[1]);
            snprintf(tag, sizeof tag, "%s lvl=%s threads=%d", a2a_type_name(wt), a2a_kernel_level_name((a2a_kernel_level)lvl), nt);
            if (st == A2A_OK) {
                if (tol_nmse <= 0) {
                    CHECK(a2a_golden_compare(c, &yt, tag));
                } else {
                    a2a_golden_metrics m;
                    a2a_golden_measure(&yt, ref, &m);
                    CHECK_MSG(m.shape_ok && m.nmse <= tol_nmse, "%s %s: nmse %.3g > %.3g", c->name, tag, m.nmse, tol_nmse);
                    if (getenv("A2A_GOLDEN_VERBOSE"))
                        printf("golden ok   %s %s nmse %.3e (tol %.1e) max_abs %.3e\n", c->name, tag, m.nmse, tol_nmse, m.max_abs);
                }
            }
            a2a_threadpool_free(tp);
        }
    }
    a2a_kernel_level_set(max);
    free(y);
    a2a_projector_free(p);
    a2a_ctx_free(ctx);
    unlink(out);
}

TEST(golden_projectors) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "projectors/projectors.ref.gguf")) { CHECK_MSG(0, "cannot open projectors.ref.gguf"); return; }
    CHECK(gf.n_cases >= 7);
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "projector") != 0) continue;
        run_case(c, A2A_TYPE_F32, 0, NULL);
        run_case(c, A2A_TYPE_F16, 1e-5, NULL);
        run_case(c, A2A_TYPE_Q8_0, 2e-3, NULL);
    }
    /* the key prefix given explicitly (the defaults were used above) */
    const a2a_golden_case *c = a2a_golden_find(&gf, "mlp_llava_bin");
    CHECK(c != NULL);
    if (c) run_case(c, A2A_TYPE_F32, 0, "model.mm_projector.");
    c = a2a_golden_find(&gf, "linear_nextgpt");
    CHECK(c != NULL);
    if (c) run_case(c, A2A_TYPE_F32, 0, "llama_proj.");
    a2a_golden_close(&gf);
}

/* Expect a2a_projector_convert to fail with want and a message containing needle. */
static void expect_convert_fail(const char *src_rel, a2a_projector_type kind, const a2a_projector_convert_params *cp,
                                a2a_status want, const char *needle) {
    char src[1024], out[512];
    if (src_rel[0] == '/') snprintf(src, sizeof src, "%s", src_rel);
    else {
        char rel[256];
        snprintf(rel, sizeof rel, "projectors/%s", src_rel);
        a2a_golden_path(src, sizeof src, rel);
    }
    tmp_path(out, sizeof out, "bad.gguf");
    unlink(out);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_projector_convert(ctx, src, kind, out, cp);
    CHECK_MSG(st == want, "convert %s: status %d (want %d): %s", src_rel, (int)st, (int)want, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "convert %s: message '%s' lacks '%s'", src_rel, a2a_last_error(ctx),
              needle);
    CHECK_MSG(access(out, F_OK) != 0, "convert %s: output written despite the error", src_rel);
    a2a_ctx_free(ctx);
}

TEST(convert_bad_inputs) {
    a2a_projector_convert_params cp = a2a_projector_convert_default_params();
    /* missing keys */
    cp.prefix = "nope.";
    expect_convert_fail("linear_nextgpt.pt", A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_NOT_FOUND, "nope.weight");
    expect_convert_fail("mlp_llava.bin", A2A_PROJECTOR_MLP2X_GELU, &cp, A2A_ERR_NOT_FOUND, "nope.0.weight");
    cp.prefix = NULL;
    expect_convert_fail("mlp_llava.bin", A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_NOT_FOUND, "llama_proj.weight");
    expect_convert_fail("linear_nextgpt.pt", A2A_PROJECTOR_QFORMER, &cp, A2A_ERR_NOT_FOUND, "query_tokens");
    cp.n_head = 2;
    expect_convert_fail("qformer_bad.safetensors", A2A_PROJECTOR_QFORMER, &cp, A2A_ERR_NOT_FOUND,
                        "qformer.encoder.layer.1.crossattention.attention.key.weight");
    /* widths that do not fit together */
    expect_convert_fail("mlp_bad_width.safetensors", A2A_PROJECTOR_MLP2X_GELU, &cp, A2A_ERR_SHAPE, "mm_projector.2.weight");
    /* bad parameters */
    cp.n_head = 3; /* does not divide hidden 32 */
    expect_convert_fail("qformer_a.pt", A2A_PROJECTOR_QFORMER, &cp, A2A_ERR_INVALID_ARG, "n_head");
    cp.n_head = 0; /* hidden 32 is not a multiple of 64: n_head must be given */
    expect_convert_fail("qformer_a.pt", A2A_PROJECTOR_QFORMER, &cp, A2A_ERR_INVALID_ARG, "n_head");
    expect_convert_fail("linear_nextgpt.pt", (a2a_projector_type)7, &cp, A2A_ERR_INVALID_ARG, "kind");
    cp.type = A2A_TYPE_I32;
    expect_convert_fail("linear_nextgpt.pt", A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_UNSUPPORTED, "not supported");
    cp = a2a_projector_convert_default_params();
    /* unreadable sources */
    expect_convert_fail("does_not_exist.bin", A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_IO, "does_not_exist");
    /* a folder without weights; an index naming a shard that is not there */
    expect_convert_fail(g_tmpdir, A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_NOT_FOUND, "no weights");
    char idx[512];
    tmp_path(idx, sizeof idx, "model.safetensors.index.json");
    const char *js = "{\"metadata\": {}, \"weight_map\": {\"llama_proj.weight\": \"model-00001-of-00002.safetensors\"}}";
    a2a_test_write_file(idx, js, strlen(js));
    expect_convert_fail(idx, A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_IO, "model-00001-of-00002.safetensors");
    js = "{\"weight_map\": {\"llama_proj.weight\": \"../../etc/passwd\"}}";
    a2a_test_write_file(idx, js, strlen(js));
    expect_convert_fail(idx, A2A_PROJECTOR_LINEAR, &cp, A2A_ERR_FORMAT, "plain file name");
    unlink(idx);
    char junk[512];
    tmp_path(junk, sizeof junk, "junk.bin");
    a2a_test_write_file(junk, "this is not a checkpoint at all", 31);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_projector_convert(ctx, junk, A2A_PROJECTOR_LINEAR, junk, &cp);
    CHECK_MSG(st != A2A_OK, "junk file converted");
    a2a_ctx_free(ctx);
    unlink(junk);
}

/* Write a projector GGUF: a linear projector in -> out whose stored weight is [w_in, w_out],
   with the given type/architecture strings (NULL leaves the key out) and input_dim value. */
static void write_linear_gguf(const char *path, const char *arch, const char *type, uint64_t in_dim, int64_t in, int64_t out,
                              int64_t w_in, int64_t w_out, bool with_bias) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    if (arch) a2a_gguf_writer_set_str(ctx, w, "general.architecture", arch);
    if (type) a2a_gguf_writer_set_str(ctx, w, "projector.type", type);
    if (in_dim) a2a_gguf_writer_set_u64(ctx, w, "projector.input_dim", in_dim);
    a2a_gguf_writer_set_u32(ctx, w, "projector.output_dim", (uint32_t)out);
    float *wd = calloc((size_t)(w_in * w_out + out), sizeof(float));
    int64_t ne_w[2] = {w_in, w_out}, ne_b[1] = {out};
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "llama_proj.weight", A2A_TYPE_F32, 2, ne_w, wd) == A2A_OK);
    if (with_bias) CHECK(a2a_gguf_writer_add_tensor(ctx, w, "llama_proj.bias", A2A_TYPE_F32, 1, ne_b, wd) == A2A_OK);
    CHECK_MSG(a2a_gguf_writer_write(ctx, w, path) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    free(wd);
    a2a_ctx_free(ctx);
}

/* Expect a2a_projector_load(path) to fail with want and a message containing needle. */
static void expect_load_fail(const char *path, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_projector *p = (a2a_projector *)1;
    a2a_status st = a2a_projector_load(ctx, path, &p);
    CHECK_MSG(st == want, "load: status %d (want %d): %s", (int)st, (int)want, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "load: message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(p == NULL);
    a2a_ctx_free(ctx);
}

TEST(load_bad_inputs) {
    char path[512];
    tmp_path(path, sizeof path, "badload.gguf");
    /* a well-formed file first, so the failures below are due to the one thing changed */
    write_linear_gguf(path, "projector", "linear", 32, 32, 16, 32, 16, true);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_projector *p = NULL;
    CHECK_MSG(a2a_projector_load(ctx, path, &p) == A2A_OK, "%s", a2a_last_error(ctx));
    if (p) {
        float in[32 * 3] = {0}, out[16 * 3];
        int64_t n_out = 0;
        CHECK(a2a_projector_forward(ctx, NULL, p, in, 3, out, &n_out) == A2A_OK && n_out == 3);
        /* bad forward arguments */
        CHECK(a2a_projector_forward(ctx, NULL, p, in, 0, out, &n_out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_projector_forward(ctx, NULL, p, in, -5, out, &n_out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_projector_forward(ctx, NULL, p, in, (int64_t)1 << 40, out, &n_out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_projector_forward(ctx, NULL, p, NULL, 3, out, &n_out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_projector_forward(ctx, NULL, p, in, 3, NULL, &n_out) == A2A_ERR_INVALID_ARG);
        a2a_projector_free(p);
    }
    a2a_ctx_free(ctx);
    write_linear_gguf(path, "projector", "conv", 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_UNSUPPORTED, "'conv'");
    write_linear_gguf(path, "projector", "linear_with_a_very_long_name_that_is_not_known", 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_UNSUPPORTED, "projector.type");
    write_linear_gguf(path, "llama", "linear", 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_UNSUPPORTED, "'llama'");
    write_linear_gguf(path, NULL, "linear", 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_FORMAT, "general.architecture");
    write_linear_gguf(path, "projector", NULL, 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_FORMAT, "projector.type");
    write_linear_gguf(path, "projector", "linear", 0, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_FORMAT, "projector.input_dim");
    write_linear_gguf(path, "projector", "linear", (uint64_t)1 << 40, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_FORMAT, "projector.input_dim");
    write_linear_gguf(path, "projector", "linear", 32, 32, 16, 32, 17, true); /* weight [32, 17], out 16 */
    expect_load_fail(path, A2A_ERR_SHAPE, "llama_proj.weight");
    write_linear_gguf(path, "projector", "linear", 64, 64, 16, 32, 16, true); /* input_dim 64, weight in 32 */
    expect_load_fail(path, A2A_ERR_SHAPE, "llama_proj.weight");
    write_linear_gguf(path, "projector", "linear", 32, 32, 16, 32, 16, false);
    expect_load_fail(path, A2A_ERR_NOT_FOUND, "llama_proj.bias");
    write_linear_gguf(path, "projector", "mlp2x_gelu", 32, 32, 16, 32, 16, true); /* linear tensors, mlp type */
    expect_load_fail(path, A2A_ERR_NOT_FOUND, "mm_projector.0.weight");
    write_linear_gguf(path, "projector", "qformer", 32, 32, 16, 32, 16, true);
    expect_load_fail(path, A2A_ERR_FORMAT, "projector.qformer.hidden_size");
    expect_load_fail("/nonexistent/projector.gguf", A2A_ERR_IO, "nonexistent");
    unlink(path);
}

/* A converted Q-Former whose metadata is edited: heads not dividing the width, wrong
   frequency (cross-attention weights where none are expected), absurd query count. */
TEST(load_bad_qformer_meta) {
    char src[1024], good[512], bad[512];
    a2a_golden_path(src, sizeof src, "projectors/qformer_b");
    tmp_path(good, sizeof good, "qf_good.gguf");
    tmp_path(bad, sizeof bad, "qf_bad.gguf");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_projector_convert_params cp = a2a_projector_convert_default_params();
    cp.n_head = 4;
    cp.type = A2A_TYPE_F32;
    CHECK_MSG(a2a_projector_convert(ctx, src, A2A_PROJECTOR_QFORMER, good, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf *g = NULL;
    if (a2a_gguf_open(ctx, good, &g) != A2A_OK) { CHECK(0); a2a_ctx_free(ctx); return; }
    CHECK(a2a_gguf_find_key(g, "projector.qformer.cross_attention_frequency") >= 0);
    uint32_t freq = 0, heads = 0;
    a2a_gguf_get_u32(ctx, g, "projector.qformer.cross_attention_frequency", &freq);
    a2a_gguf_get_u32(ctx, g, "projector.qformer.head_count", &heads);
    CHECK_EQ_INT(freq, 2);
    CHECK_EQ_INT(heads, 4);
    struct {
        const char *key;
        uint32_t val;
        a2a_status want;
        const char *needle;
    } edits[] = {
        {"projector.qformer.head_count", 3, A2A_ERR_FORMAT, "head_count"},
        {"projector.qformer.cross_attention_frequency", 1, A2A_ERR_NOT_FOUND, "layer.1.crossattention"},
        {"projector.qformer.cross_attention_frequency", 3, A2A_ERR_FORMAT, "cross-attention weights"},
        {"projector.qformer.query_count", 100000, A2A_ERR_FORMAT, "query_count"},
        {"projector.qformer.query_count", 5, A2A_ERR_SHAPE, "query_tokens"},
        {"projector.qformer.block_count", 4, A2A_ERR_NOT_FOUND, "layer.3"},
    };
    for (size_t e = 0; e < sizeof(edits) / sizeof(edits[0]); e++) {
        /* rewrite every key and tensor of the good file, replacing one value */
        a2a_gguf_writer *w;
        CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
        for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) {
            const char *k = a2a_gguf_key(g, i);
            size_t len;
            const char *s = a2a_gguf_kv_str(g, i, &len);
            int64_t i64;
            uint64_t u64;
            double f64;
            if (!strcmp(k, edits[e].key)) a2a_gguf_writer_set_u32(ctx, w, k, edits[e].val);
            else if (s) a2a_gguf_writer_set_strn(ctx, w, k, s, len);
            else if (a2a_gguf_kv_type(g, i) == A2A_GGUF_FLOAT32 && a2a_gguf_kv_scalar(g, i, &i64, &u64, &f64))
                a2a_gguf_writer_set_f32(ctx, w, k, (float)f64);
            else if (a2a_gguf_kv_scalar(g, i, &i64, &u64, &f64)) a2a_gguf_writer_set_u32(ctx, w, k, (uint32_t)i64);
        }
        for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
            const a2a_tensor *t = a2a_gguf_tensor(g, i);
            CHECK(a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, t->ne, t->data) == A2A_OK);
        }
        CHECK(a2a_gguf_writer_write(ctx, w, bad) == A2A_OK);
        a2a_gguf_writer_free(w);
        expect_load_fail(bad, edits[e].want, edits[e].needle);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    unlink(good);
    unlink(bad);
}

/* Corrupted copies of a converted Q-Former file (a few random bytes changed, or cut short) must
   load cleanly or fail with a status; never crash (run under ASan/UBSan in the sanitizer build).
   A file that still loads must also run. A2A_PROJ_CORRUPT_ITERS=N runs N copies (default 150). */
TEST(load_corrupted) {
    char src[1024], good[512], bad[512];
    a2a_golden_path(src, sizeof src, "projectors/qformer_a.pt");
    tmp_path(good, sizeof good, "corrupt_good.gguf");
    tmp_path(bad, sizeof bad, "corrupt_bad.gguf");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_projector_convert_params cp = a2a_projector_convert_default_params();
    cp.n_head = 2;
    CHECK_MSG(a2a_projector_convert(ctx, src, A2A_PROJECTOR_QFORMER, good, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    size_t len = 0;
    unsigned char *data = a2a_test_read_file(good, &len), *copy = malloc(len ? len : 1);
    if (!data || !copy) { CHECK(0); free(data); free(copy); a2a_ctx_free(ctx); return; }
    a2a_test_rng rng = {12345};
    float in[24 * 10], out[48 * 8];
    a2a_test_fill(&rng, in, 24 * 10, -1, 1);
    int n_ok = 0, n_fail = 0, iters = getenv("A2A_PROJ_CORRUPT_ITERS") ? atoi(getenv("A2A_PROJ_CORRUPT_ITERS")) : 150;
    for (int iter = 0; iter < iters; iter++) {
        memcpy(copy, data, len);
        size_t n = len;
        if (iter % 10 == 9) n = (size_t)(a2a_test_next(&rng) % len); /* truncated */
        else
            for (int k = 0; k < 4; k++) {
                /* mostly the header and metadata (first 4 KiB), where the structure lives */
                size_t span = iter % 3 ? (len < 4096 ? len : 4096) : len;
                copy[a2a_test_next(&rng) % span] = (unsigned char)a2a_test_next(&rng);
            }
        a2a_test_write_file(bad, copy, n);
        a2a_projector *p = NULL;
        a2a_status st = a2a_projector_load(ctx, bad, &p);
        if (st == A2A_OK) {
            n_ok++;
            CHECK(p != NULL);
            if (p && a2a_projector_in_dim(p) == 24 && a2a_projector_out_dim(p) == 48 && a2a_projector_n_out_tokens(p, 10) == 8)
                (void)a2a_projector_forward(ctx, NULL, p, in, 10, out, NULL);
            a2a_projector_free(p);
        } else {
            n_fail++;
            CHECK(p == NULL && a2a_last_error(ctx)[0] != 0);
        }
    }
    CHECK(n_fail > 0); /* the corruption does reach the structure */
    if (getenv("A2A_GOLDEN_VERBOSE")) printf("corrupted files: %d loaded, %d refused\n", n_ok, n_fail);
    free(data);
    free(copy);
    a2a_ctx_free(ctx);
    unlink(good);
    unlink(bad);
}

int main(void) {
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/a2a_proj_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    static a2a_test_fn fns[] = {golden_projectors, convert_bad_inputs, load_bad_inputs, load_bad_qformer_meta, load_corrupted};
    static const char *names[] = {"golden_projectors", "convert_bad_inputs", "load_bad_inputs", "load_bad_qformer_meta",
                                  "load_corrupted"};
    int rc = a2a_test_run(__FILE__, fns, names, 5);
    rmdir(g_tmpdir);
    return rc;
}
