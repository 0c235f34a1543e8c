/* NExT-GPT's output projector TextFcLayer vs our PyTorch re-implementation of the upstream module
   (tools/ref/make_golden_textfc.py; same state_dict names, nn.Transformer / LAVIS BERT Q-Former):
   delta checkpoints saved as NExT-GPT's agent.save_model does (torch.save of named_parameters)
   are converted with a2a_textfc_convert (image / video / audio ModuleLists, default = last element
   and an explicit index, a float16 checkpoint, mode='qformer'), loaded with a2a_textfc_load and
   run at every kernel level with 1 and 2 threads; the three projectors are also converted into
   one bundle with prefixes (a2a_textfc_convert_add) and loaded with a2a_textfc_load_gguf.
   Tolerances: F32 weights nmse <= 1e-10 and max abs <= 1e-4 against float64 references; F16
   weights nmse <= 1e-5; Q8_0 weights (rows not a multiple of 32 fall back to F16) nmse <= 2e-3;
   embeds NULL vs (hidden + embeds, 0) identical within nmse 1e-12. Measured values print with
   A2A_GOLDEN_VERBOSE=1.
   Bad inputs: linear-mode / mis-shaped / incomplete checkpoints, bad which / index / n_head /
   type, missing files, and converted files with edited metadata or tensors (architecture, mode,
   absurd widths, heads not dividing, layer counts too large or too small, token counts, eps,
   a missing, mis-shaped or mis-typed tensor), bad prefixes and forward arguments -- each must
   give a clean error status with a message naming the culprit. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "io/gguf.h"
#include "models/projectors/textfc.h"

#include <unistd.h>

static char g_tmpdir[256];

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

static const char *golden_src(char *buf, size_t cap, const char *model) {
    char rel[256];
    snprintf(rel, sizeof rel, "textfc/%s", model);
    return a2a_golden_path(buf, cap, rel);
}

static int default_n_in(const char *which) { return !strcmp(which, "image") ? 4 : !strcmp(which, "video") ? 24 : 8; }

/* Compare y [out_dim, n_out] with the case's reference: the case tolerances when tol_nmse <= 0,
   else an nmse bound. */
static void compare(const a2a_golden_case *c, float *y, double tol_nmse, const char *tag) {
    a2a_tensor yt = a2a_tensor_make(A2A_TYPE_F32, y, c->out->ne[0], c->out->ne[1], 1, 1);
    if (tol_nmse <= 0) {
        CHECK(a2a_golden_compare(c, &yt, tag));
        return;
    }
    a2a_golden_metrics m;
    a2a_golden_measure(&yt, c->out, &m);
    CHECK_MSG(m.shape_ok && m.nmse <= tol_nmse, "%s %s: nmse %.3g > %.3g", c->name, tag, m.nmse, tol_nmse);
    if (getenv("A2A_GOLDEN_VERBOSE"))
        printf("golden ok   %s %s nmse %.3e (tol %.1e) max_abs %.3e\n", c->name, tag, m.nmse, tol_nmse, m.max_abs);
}

/* Run p on the case's inputs at every kernel level with 1 and 2 threads and compare. */
static void run_all_levels(a2a_ctx *ctx, const a2a_golden_case *c, const a2a_textfc *p, double tol_nmse, const char *what) {
    const a2a_tensor *x = c->in[0], *e = c->in[1], *ref = c->out;
    size_t ny = (size_t)(ref->ne[0] * ref->ne[1]);
    float *y = malloc(sizeof(float) * ny);
    char tag[256];
    a2a_kernel_level max = a2a_kernel_level_max();
    for (int lvl = 0; lvl <= (int)max; lvl++) {
        a2a_kernel_level_set((a2a_kernel_level)lvl);
        for (int nt = 1; nt <= 2; nt++) {
            a2a_threadpool *tp = NULL;
            if (nt > 1 && a2a_threadpool_new(ctx, nt, &tp) != A2A_OK) { CHECK(0); continue; }
            memset(y, 0xff, sizeof(float) * ny); /* NaNs: must be overwritten */
            a2a_status st = a2a_textfc_forward(ctx, tp, p, (const float *)x->data, (const float *)e->data, x->ne[1], y);
            CHECK_MSG(st == A2A_OK, "%s: forward: %s", c->name, a2a_last_error(ctx));
            snprintf(tag, sizeof tag, "%s lvl=%s threads=%d", what, a2a_kernel_level_name((a2a_kernel_level)lvl), nt);
            if (st == A2A_OK) compare(c, y, tol_nmse, tag);
            a2a_threadpool_free(tp);
        }
    }
    a2a_kernel_level_set(max);
    free(y);
}

/* Convert + load + run one golden case with weights of type wt. */
static void run_case(const a2a_golden_case *c, a2a_type wt, double tol_nmse) {
    char model[128], which[16], src[1024], out[512], oname[160];
    case_str(c, "model", model, sizeof model);
    case_str(c, "which", which, sizeof which);
    golden_src(src, sizeof src, model);
    snprintf(oname, sizeof oname, "%s-%s.gguf", c->name, a2a_type_name(wt));
    tmp_path(out, sizeof out, oname);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_textfc_convert_params cp = a2a_textfc_convert_default_params();
    cp.type = wt;
    cp.index = a2a_golden_i32(c, "index", -1);
    cp.n_head = a2a_golden_i32(c, "n_head", 0);
    a2a_status st = a2a_textfc_convert(ctx, src, which, out, &cp);
    CHECK_MSG(st == A2A_OK, "%s: convert: %s", c->name, a2a_last_error(ctx));
    a2a_textfc *p = NULL;
    if (st == A2A_OK) {
        st = a2a_textfc_load(ctx, out, &p);
        CHECK_MSG(st == A2A_OK, "%s: load: %s", c->name, a2a_last_error(ctx));
    }
    if (!p) { a2a_ctx_free(ctx); return; }
    const a2a_tensor *x = c->in[0], *ref = c->out;
    CHECK(a2a_textfc_mode_of(p) == (strstr(c->name, "qformer") ? A2A_TEXTFC_QFORMER : A2A_TEXTFC_TRANSFORMER));
    CHECK_EQ_INT(a2a_textfc_in_dim(p), x->ne[0]);
    CHECK_EQ_INT(a2a_textfc_out_dim(p), ref->ne[0]);
    CHECK_EQ_INT(a2a_textfc_n_out_tokens(p), ref->ne[1]);
    CHECK_EQ_INT(a2a_textfc_n_in_tokens(p), default_n_in(which));
    char what[32];
    snprintf(what, sizeof what, "%s", a2a_type_name(wt));
    run_all_levels(ctx, c, p, tol_nmse, what);
    if (wt == A2A_TYPE_F32) { /* embeds NULL: the caller's own sum gives the same result */
        const a2a_tensor *e = c->in[1];
        size_t nx = (size_t)(x->ne[0] * x->ne[1]), ny = (size_t)(ref->ne[0] * ref->ne[1]);
        float *xs = malloc(sizeof(float) * nx), *y0 = malloc(sizeof(float) * ny), *y1 = malloc(sizeof(float) * ny);
        for (size_t i = 0; i < nx; i++) xs[i] = ((const float *)x->data)[i] + ((const float *)e->data)[i];
        CHECK(a2a_textfc_forward(ctx, NULL, p, (const float *)x->data, (const float *)e->data, x->ne[1], y0) == A2A_OK);
        CHECK(a2a_textfc_forward(ctx, NULL, p, xs, NULL, x->ne[1], y1) == A2A_OK);
        double num = 0, den = 0;
        for (size_t i = 0; i < ny; i++) {
            num += ((double)y0[i] - y1[i]) * ((double)y0[i] - y1[i]);
            den += (double)y0[i] * y0[i];
        }
        CHECK_MSG(num <= 1e-12 * den, "%s: embeds NULL differs (nmse %.3g)", c->name, num / den);
        free(xs);
        free(y0);
        free(y1);
    }
    a2a_textfc_free(p);
    a2a_ctx_free(ctx);
    unlink(out);
}

TEST(golden_textfc) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "textfc/textfc.ref.gguf")) { CHECK_MSG(0, "cannot open textfc.ref.gguf"); return; }
    CHECK(gf.n_cases >= 7);
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "textfc") != 0) continue;
        CHECK_EQ_INT(c->n_in, 2);
        run_case(c, A2A_TYPE_F32, 0);
        run_case(c, A2A_TYPE_F16, 1e-5);
        run_case(c, A2A_TYPE_Q8_0, 2e-3);
    }
    a2a_golden_close(&gf);
}

/* The three projectors of one checkpoint in one file with prefixes (how a bundle holds them). */
TEST(bundle_prefixes) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "textfc/textfc.ref.gguf")) { CHECK(0); return; }
    char src[1024], out[512];
    golden_src(src, sizeof src, "nextgpt_delta.pt");
    tmp_path(out, sizeof out, "bundle.gguf");
    static const char *const which[3] = {"image", "video", "audio"};
    static const char *const cases[3] = {"image_last", "video", "audio"};
    static const char *const prefixes[3] = {"out_proj.image.", "out_proj.video.", "out_proj.audio."};
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "nextgpt") == A2A_OK);
    for (int k = 0; k < 3; k++) {
        a2a_textfc_convert_params cp = a2a_textfc_convert_default_params();
        cp.type = A2A_TYPE_F32;
        cp.n_head = a2a_golden_i32(a2a_golden_find(&gf, cases[k]), "n_head", 0);
        a2a_status st = a2a_textfc_convert_add(ctx, w, src, which[k], prefixes[k], &cp);
        CHECK_MSG(st == A2A_OK, "convert_add %s: %s", which[k], a2a_last_error(ctx));
    }
    CHECK_MSG(a2a_gguf_writer_write(ctx, w, out) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK_MSG(a2a_gguf_open(ctx, out, &g) == A2A_OK, "%s", a2a_last_error(ctx));
    if (g) {
        CHECK(a2a_gguf_find_tensor(g, "out_proj.video.tfm.decoder.layers.1.multihead_attn.in_proj_weight") != NULL);
        for (int k = 0; k < 3; k++) {
            a2a_textfc *p = NULL;
            a2a_status st = a2a_textfc_load_gguf(ctx, g, prefixes[k], &p);
            CHECK_MSG(st == A2A_OK, "load_gguf %s: %s", prefixes[k], a2a_last_error(ctx));
            const a2a_golden_case *c = a2a_golden_find(&gf, cases[k]);
            CHECK(c != NULL);
            if (p && c) {
                CHECK_EQ_INT(a2a_textfc_n_in_tokens(p), default_n_in(which[k]));
                char what[64];
                snprintf(what, sizeof what, "bundle %s", prefixes[k]);
                run_all_levels(ctx, c, p, 0, what);
            }
            a2a_textfc_free(p);
        }
        /* no or a wrong prefix: clean errors naming the key */
        a2a_textfc *p = (a2a_textfc *)1;
        CHECK(a2a_textfc_load_gguf(ctx, g, NULL, &p) == A2A_ERR_FORMAT && p == NULL);
        CHECK(strstr(a2a_last_error(ctx), "textfc.mode") != NULL);
        CHECK(a2a_textfc_load_gguf(ctx, g, "out_proj.imag.", &p) == A2A_ERR_FORMAT);
        CHECK(strstr(a2a_last_error(ctx), "out_proj.imag.textfc.mode") != NULL);
        CHECK(a2a_textfc_load_gguf(ctx, NULL, "", &p) == A2A_ERR_INVALID_ARG);
        a2a_gguf_close(g);
    }
    /* the bundle is not a standalone textfc file */
    a2a_textfc *p = NULL;
    CHECK(a2a_textfc_load(ctx, out, &p) == A2A_ERR_UNSUPPORTED && p == NULL);
    CHECK(strstr(a2a_last_error(ctx), "nextgpt") != NULL);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
    unlink(out);
}

/* Expect a2a_textfc_convert to fail with want and a message containing needle. */
static void expect_convert_fail(const char *src_rel, const char *which, const a2a_textfc_convert_params *cp, a2a_status want,
                                const char *needle) {
    char src[1024], out[512];
    if (src_rel[0] == '/') snprintf(src, sizeof src, "%s", src_rel);
    else golden_src(src, sizeof src, src_rel);
    tmp_path(out, sizeof out, "bad.gguf");
    unlink(out);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_textfc_convert(ctx, src, which, out, cp);
    CHECK_MSG(st == want, "convert %s %s: status %d (want %d): %s", src_rel, which ? which : "(null)", (int)st, (int)want,
              a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "convert %s: message '%s' lacks '%s'", src_rel, a2a_last_error(ctx),
              needle);
    CHECK_MSG(access(out, F_OK) != 0, "convert %s: output written despite the error", src_rel);
    a2a_ctx_free(ctx);
}

TEST(convert_bad_inputs) {
    a2a_textfc_convert_params cp = a2a_textfc_convert_default_params();
    expect_convert_fail("bad_linear.pt", "image", &cp, A2A_ERR_UNSUPPORTED, "linear");
    expect_convert_fail("bad_width.pt", "image", &cp, A2A_ERR_SHAPE, "gen_text_hidden_fcs.0.tfm.decoder.layers.1.linear2.weight");
    expect_convert_fail("bad_missing.pt", "image", &cp, A2A_ERR_NOT_FOUND, "gen_text_hidden_fcs.0.tfm.encoder.layers.0.norm2.bias");
    /* the qformer checkpoint has no video projector; the delta has no third image projector */
    expect_convert_fail("nextgpt_qformer.pt", "video", &cp, A2A_ERR_NOT_FOUND, "gen_text_hidden_fcs_video");
    cp.index = 2;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_NOT_FOUND, "gen_text_hidden_fcs.2.");
    cp.index = -7;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_INVALID_ARG, "index");
    cp = a2a_textfc_convert_default_params();
    expect_convert_fail("nextgpt_delta.pt", "speech", &cp, A2A_ERR_INVALID_ARG, "speech");
    expect_convert_fail("nextgpt_delta.pt", NULL, &cp, A2A_ERR_INVALID_ARG, "NULL");
    /* heads: 3 does not divide 32; the Q-Former's hidden 32 is no multiple of 64 (n_head needed) */
    cp.n_head = 3;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_INVALID_ARG, "n_head");
    cp.n_head = 0;
    expect_convert_fail("nextgpt_qformer.pt", "image", &cp, A2A_ERR_INVALID_ARG, "n_head");
    cp.n_head = -1;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_INVALID_ARG, "n_head");
    cp = a2a_textfc_convert_default_params();
    cp.type = A2A_TYPE_I32;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_UNSUPPORTED, "not supported");
    cp = a2a_textfc_convert_default_params();
    cp.eps = -1.0f;
    expect_convert_fail("nextgpt_delta.pt", "image", &cp, A2A_ERR_INVALID_ARG, "eps");
    cp = a2a_textfc_convert_default_params();
    expect_convert_fail("does_not_exist.pt", "image", &cp, A2A_ERR_IO, "does_not_exist");
    char junk[512];
    tmp_path(junk, sizeof junk, "junk.pt");
    a2a_test_write_file(junk, "this is not a checkpoint at all", 31);
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK(a2a_textfc_convert(ctx, junk, "image", junk, &cp) != A2A_OK);
    CHECK(a2a_last_error(ctx)[0] != 0);
    /* a folder: its pytorch_model.pt (absent here) */
    CHECK(a2a_textfc_convert(ctx, g_tmpdir, "image", junk, &cp) != A2A_OK);
    CHECK(strstr(a2a_last_error(ctx), "pytorch_model.pt") != NULL);
    CHECK(a2a_textfc_convert_add(ctx, NULL, junk, "image", "", &cp) == A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
    unlink(junk);
}

/* One edit of a converted file: a metadata key set (u32 / str / f32) or deleted, a tensor
   dropped, declared with ne[1] - 1, or declared F16. */
typedef struct edit {
    const char *key;
    int kind; /* 0 none, 1 u32, 2 str, 3 f32, 4 delete */
    uint32_t u;
    const char *s;
    float f;
    const char *drop, *reshape, *retype;
    a2a_status want;
    const char *needle;
} edit;

/* Rewrite every key and tensor of g into path with e applied. */
static void write_edited(a2a_ctx *ctx, const a2a_gguf *g, const edit *e, const char *path) {
    a2a_gguf_writer *w;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    bool key_done = false;
    for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) {
        const char *k = a2a_gguf_key(g, i);
        if (e->key && !strcmp(k, e->key)) {
            key_done = true;
            if (e->kind == 1) a2a_gguf_writer_set_u32(ctx, w, k, e->u);
            else if (e->kind == 2) a2a_gguf_writer_set_str(ctx, w, k, e->s);
            else if (e->kind == 3) a2a_gguf_writer_set_f32(ctx, w, k, e->f);
            continue;
        }
        size_t len;
        const char *s = a2a_gguf_kv_str(g, i, &len);
        int64_t i64;
        uint64_t u64;
        double f64;
        if (s) a2a_gguf_writer_set_strn(ctx, w, k, s, len);
        else if (a2a_gguf_kv_type(g, i) == A2A_GGUF_FLOAT32 && a2a_gguf_kv_scalar(g, i, &i64, &u64, &f64))
            a2a_gguf_writer_set_f32(ctx, w, k, (float)f64);
        else if (a2a_gguf_kv_scalar(g, i, &i64, &u64, &f64)) a2a_gguf_writer_set_u32(ctx, w, k, (uint32_t)u64);
    }
    if (e->key && !key_done) {
        if (e->kind == 1) a2a_gguf_writer_set_u32(ctx, w, e->key, e->u);
        else if (e->kind == 2) a2a_gguf_writer_set_str(ctx, w, e->key, e->s);
    }
    for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        if (e->drop && !strcmp(t->name, e->drop)) continue;
        int64_t ne[A2A_MAX_DIMS];
        memcpy(ne, t->ne, sizeof ne);
        a2a_type ty = t->type;
        if (e->reshape && !strcmp(t->name, e->reshape)) ne[1] -= 1;
        if (e->retype && !strcmp(t->name, e->retype)) ty = A2A_TYPE_F16;
        CHECK(a2a_gguf_writer_add_tensor(ctx, w, t->name, ty, t->n_dims, ne, t->data) == A2A_OK);
    }
    CHECK_MSG(a2a_gguf_writer_write(ctx, w, path) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
}

/* Convert model/which to F32, then apply each edit and expect the load to fail as described. */
static void check_edits(const char *model, int n_head, const edit *edits, size_t n) {
    char src[1024], good[512], bad[512];
    golden_src(src, sizeof src, model);
    tmp_path(good, sizeof good, "good.gguf");
    tmp_path(bad, sizeof bad, "bad_edit.gguf");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_textfc_convert_params cp = a2a_textfc_convert_default_params();
    cp.type = A2A_TYPE_F32;
    cp.n_head = n_head;
    CHECK_MSG(a2a_textfc_convert(ctx, src, "image", good, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf *g = NULL;
    if (a2a_gguf_open(ctx, good, &g) != A2A_OK) { CHECK(0); a2a_ctx_free(ctx); return; }
    for (size_t i = 0; i < n; i++) {
        const edit *e = &edits[i];
        write_edited(ctx, g, e, bad);
        a2a_textfc *p = (a2a_textfc *)1;
        a2a_status st = a2a_textfc_load(ctx, bad, &p);
        CHECK_MSG(st == e->want, "edit %zu (%s%s%s): status %d (want %d): %s", i, e->key ? e->key : "",
                  e->drop ? e->drop : "", e->reshape ? e->reshape : "", (int)st, (int)e->want, a2a_last_error(ctx));
        CHECK_MSG(strstr(a2a_last_error(ctx), e->needle) != NULL, "edit %zu: message '%s' lacks '%s'", i, a2a_last_error(ctx),
                  e->needle);
        CHECK(st == A2A_OK || p == NULL);
        if (st == A2A_OK) a2a_textfc_free(p);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    unlink(good);
    unlink(bad);
}

TEST(load_bad_transformer) {
    const edit edits[] = {
        /* the unedited rewrite loads (so every failure below is due to its one edit) */
        {.key = NULL, .want = A2A_OK, .needle = ""},
        {.key = "general.architecture", .kind = 2, .s = "llama", .want = A2A_ERR_UNSUPPORTED, .needle = "'llama'"},
        {.key = "general.architecture", .kind = 4, .want = A2A_ERR_FORMAT, .needle = "general.architecture"},
        {.key = "textfc.mode", .kind = 2, .s = "linear", .want = A2A_ERR_UNSUPPORTED, .needle = "'linear'"},
        {.key = "textfc.mode", .kind = 4, .want = A2A_ERR_FORMAT, .needle = "textfc.mode"},
        {.key = "textfc.mode", .kind = 1, .u = 1, .want = A2A_ERR_FORMAT, .needle = "textfc.mode"},
        {.key = "textfc.input_dim", .kind = 1, .u = 0, .want = A2A_ERR_FORMAT, .needle = "textfc.input_dim"},
        {.key = "textfc.input_dim", .kind = 1, .u = 1u << 30, .want = A2A_ERR_FORMAT, .needle = "textfc.input_dim"},
        {.key = "textfc.input_dim", .kind = 1, .u = 32, .want = A2A_ERR_SHAPE, .needle = "fc.weight"},
        {.key = "textfc.output_dim", .kind = 4, .want = A2A_ERR_FORMAT, .needle = "textfc.output_dim"},
        {.key = "textfc.head_count", .kind = 1, .u = 3, .want = A2A_ERR_FORMAT, .needle = "head_count"},
        {.key = "textfc.head_count", .kind = 1, .u = 100000, .want = A2A_ERR_FORMAT, .needle = "head_count"},
        {.key = "textfc.hidden_size", .kind = 1, .u = 64, .want = A2A_ERR_SHAPE, .needle = "fc.weight"},
        {.key = "textfc.feed_forward_length", .kind = 1, .u = 64, .want = A2A_ERR_SHAPE, .needle = "linear1.weight"},
        {.key = "textfc.encoder_block_count", .kind = 1, .u = 3, .want = A2A_ERR_NOT_FOUND, .needle = "tfm.encoder.layers.2"},
        {.key = "textfc.encoder_block_count", .kind = 1, .u = 1, .want = A2A_ERR_FORMAT, .needle = "encoder_block_count"},
        {.key = "textfc.decoder_block_count", .kind = 1, .u = 2, .want = A2A_ERR_FORMAT, .needle = "decoder_block_count"},
        {.key = "textfc.decoder_block_count", .kind = 1, .u = 1000, .want = A2A_ERR_FORMAT, .needle = "decoder_block_count"},
        {.key = "textfc.output_token_count", .kind = 1, .u = 6, .want = A2A_ERR_SHAPE, .needle = "query_embs"},
        {.key = "textfc.input_token_count", .kind = 1, .u = 0, .want = A2A_ERR_FORMAT, .needle = "input_token_count"},
        {.key = "textfc.layer_norm_eps", .kind = 3, .f = -1.0f, .want = A2A_ERR_FORMAT, .needle = "layer_norm_eps"},
        {.drop = "tfm.decoder.norm.bias", .want = A2A_ERR_NOT_FOUND, .needle = "tfm.decoder.norm.bias"},
        {.drop = "tfm.decoder.layers.2.multihead_attn.in_proj_weight", .want = A2A_ERR_NOT_FOUND,
         .needle = "tfm.decoder.layers.2.multihead_attn.in_proj_weight"},
        {.reshape = "fc.weight", .want = A2A_ERR_SHAPE, .needle = "fc.weight"},
        {.reshape = "tfm.encoder.layers.1.self_attn.in_proj_weight", .want = A2A_ERR_SHAPE, .needle = "in_proj_weight"},
        {.retype = "query_embs", .want = A2A_ERR_UNSUPPORTED, .needle = "query_embs"},
    };
    check_edits("nextgpt_delta.pt", 0, edits, sizeof(edits) / sizeof(edits[0]));
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_textfc *p = (a2a_textfc *)1;
    CHECK(a2a_textfc_load(ctx, "/nonexistent/textfc.gguf", &p) != A2A_OK && p == NULL);
    CHECK(strstr(a2a_last_error(ctx), "nonexistent") != NULL);
    CHECK(a2a_textfc_load(ctx, NULL, &p) == A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

TEST(load_bad_qformer) {
    const edit edits[] = {
        {.key = NULL, .want = A2A_OK, .needle = ""},
        {.key = "textfc.block_count", .kind = 1, .u = 3, .want = A2A_ERR_NOT_FOUND, .needle = "layer.2"},
        {.key = "textfc.block_count", .kind = 1, .u = 1, .want = A2A_ERR_FORMAT, .needle = "block_count"},
        {.key = "textfc.cross_attention_frequency", .kind = 1, .u = 2, .want = A2A_ERR_FORMAT, .needle = "cross_attention_frequency"},
        {.key = "textfc.cross_attention_frequency", .kind = 4, .want = A2A_ERR_FORMAT, .needle = "cross_attention_frequency"},
        {.key = "textfc.output_token_count", .kind = 1, .u = 7, .want = A2A_ERR_SHAPE, .needle = "query_tokens"},
        {.drop = "Qformer.bert.encoder.layer.1.crossattention.self.key.weight", .want = A2A_ERR_NOT_FOUND,
         .needle = "layer.1.crossattention.self.key.weight"},
        {.drop = "Qformer.bert.embeddings.LayerNorm.weight", .want = A2A_ERR_NOT_FOUND, .needle = "embeddings.LayerNorm"},
    };
    check_edits("nextgpt_qformer.pt", 2, edits, sizeof(edits) / sizeof(edits[0]));
}

TEST(forward_bad_args) {
    char src[1024], out[512];
    golden_src(src, sizeof src, "nextgpt_delta.pt");
    tmp_path(out, sizeof out, "fwd.gguf");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_textfc_convert_params cp = a2a_textfc_convert_default_params();
    cp.index = 0;
    CHECK_MSG(a2a_textfc_convert(ctx, src, "image", out, &cp) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_textfc *p = NULL;
    CHECK(a2a_textfc_load(ctx, out, &p) == A2A_OK);
    if (p) {
        int64_t in = a2a_textfc_in_dim(p), od = a2a_textfc_out_dim(p), nq = a2a_textfc_n_out_tokens(p);
        float *h = calloc((size_t)(in * 4), sizeof(float)), *y = calloc((size_t)(od * nq), sizeof(float));
        CHECK(a2a_textfc_forward(ctx, NULL, p, h, NULL, 4, y) == A2A_OK);
        CHECK(a2a_textfc_forward(ctx, NULL, p, h, NULL, 0, y) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_textfc_forward(ctx, NULL, p, h, NULL, -3, y) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_textfc_forward(ctx, NULL, p, h, NULL, (int64_t)1 << 40, y) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_textfc_forward(ctx, NULL, p, NULL, h, 4, y) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_textfc_forward(ctx, NULL, p, h, h, 4, NULL) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_textfc_forward(ctx, NULL, NULL, h, h, 4, y) == A2A_ERR_INVALID_ARG);
        CHECK(strstr(a2a_last_error(ctx), "textfc") != NULL);
        free(h);
        free(y);
    }
    a2a_textfc_free(p);
    a2a_textfc_free(NULL);
    CHECK(!strcmp(a2a_textfc_mode_name(A2A_TEXTFC_TRANSFORMER), "transformer"));
    CHECK(!strcmp(a2a_textfc_mode_name((a2a_textfc_mode)9), "?"));
    a2a_ctx_free(ctx);
    unlink(out);
}

int main(void) {
    snprintf(g_tmpdir, sizeof g_tmpdir, "%s/a2a_textfc_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    static a2a_test_fn fns[] = {golden_textfc, bundle_prefixes, convert_bad_inputs, load_bad_transformer, load_bad_qformer,
                                forward_bad_args};
    static const char *names[] = {"golden_textfc", "bundle_prefixes", "convert_bad_inputs", "load_bad_transformer",
                                  "load_bad_qformer", "forward_bad_args"};
    int rc = a2a_test_run(__FILE__, fns, names, 6);
    rmdir(g_tmpdir);
    return rc;
}
