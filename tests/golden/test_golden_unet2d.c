/* UNet2DConditionModel vs diffusers (tools/ref/make_golden_unet2d.py): the committed diffusers
   folders tests/golden/unet2d/{sd1,sd2,audioldm} (F16 safetensors; the reference ran float32
   on the same F16 values) are converted with a2a_unet2d_convert, loaded and run on the golden
   inputs (batch-2 CFG-style pairs with timesteps 999 and 1, and a non-square single item):
     sd1       SD 1.x-like: 1x1-conv proj_in/out, 8 heads, context 7 x 32
     sd2       SD 2.x-like: linear projections, heads per block (2, 4), context 5 x 24
     audioldm  AudioLDM-like: 8 channels, simple_projection class embedding concatenated to the
               time embedding, no context (cross-attention layers attend over themselves)
   Tolerances: lossless conversions (F32 or F16 targets of F16 sources) as stored per case
   (nmse 1e-9, max abs 1e-3), at every kernel level with 1 and 2 threads; Q8_0 linears with
   nmse <= 1e-4. A bundle-style file (prefix "unet.", written through a2a_unet2d_convert_add
   beside other metadata) loads with a2a_unet2d_load_gguf and gives the same result.
   Odd latent sides (sd1 1x9x13, audioldm 2x7x10) follow diffusers' forward_upsample_size path.
   Bad inputs must fail cleanly: missing or mis-shaped tensor, missing metadata, absurd latent
   sides, latent/output size mismatch, context width mismatch, missing context, missing or
   unexpected class labels, wrong output shape, non-finite timesteps, bad convert sources. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"
#include "models/diffusion/unet2d.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-unet2d-%d-%s.gguf", (int)getpid(), tag);
    return buf;
}

static const char *model_dir(char *buf, size_t cap, const char *name) {
    char rel[64];
    snprintf(rel, sizeof rel, "unet2d/%s", name);
    return a2a_golden_path(buf, cap, rel);
}

static a2a_unet2d *convert_load(const char *name, a2a_type conv_type, a2a_type lin_type, char *out, size_t cap) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], tag[64];
    a2a_unet2d_convert_params p = a2a_unet2d_convert_default_params();
    p.conv_type = conv_type;
    p.linear_type = lin_type;
    snprintf(tag, sizeof tag, "%s-%d-%d", name, (int)conv_type, (int)lin_type);
    a2a_status st = a2a_unet2d_convert(ctx, model_dir(dir, sizeof dir, name), tmp_path(out, cap, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", name, a2a_last_error(ctx));
    a2a_unet2d *u = NULL;
    if (st == A2A_OK) {
        st = a2a_unet2d_load(ctx, out, &u);
        CHECK_MSG(st == A2A_OK, "load %s: %s", name, a2a_last_error(ctx));
    }
    a2a_ctx_free(ctx);
    return u;
}

/* Inputs of a golden case as the forward takes them. */
typedef struct ucase {
    a2a_tensor x, ctx, cls;
    const float *t;
    bool has_ctx, has_cls;
} ucase;

static ucase inputs_of(const a2a_golden_case *c) {
    ucase k;
    memset(&k, 0, sizeof k);
    k.x = *c->in[0];
    k.x.n_dims = 4;
    k.t = (const float *)c->in[1]->data;
    k.has_ctx = a2a_tensor_nelements(c->in[2]) > 1; /* no context: a 1-element dummy */
    if (k.has_ctx) {
        k.ctx = *c->in[2];
        k.ctx.n_dims = 3;
    }
    k.has_cls = c->n_in > 3;
    if (k.has_cls) {
        k.cls = *c->in[3];
        k.cls.n_dims = 2;
    }
    return k;
}

static void run_case(a2a_unet2d *u, const a2a_golden_case *c, a2a_threadpool *tp, const char *tag, double tol_nmse) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor got;
    CHECK(a2a_golden_alloc_like(&got, c->out));
    got.n_dims = 4;
    ucase k = inputs_of(c);
    a2a_status st = a2a_unet2d_forward(ctx, tp, u, &k.x, k.t, k.has_ctx ? &k.ctx : NULL, k.has_cls ? &k.cls : NULL, &got);
    CHECK_MSG(st == A2A_OK, "%s %s: %s", c->name, tag, a2a_last_error(ctx));
    if (st == A2A_OK) {
        a2a_golden_case loose = *c;
        if (tol_nmse > 0) {
            loose.tol_nmse = tol_nmse;
            loose.tol_max_abs = 1e9;
        }
        CHECK(a2a_golden_compare(&loose, &got, tag));
    }
    free(got.data);
    a2a_ctx_free(ctx);
}

static void run_model(const char *name, a2a_type conv_type, a2a_type lin_type, double tol, bool all_levels) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "unet2d/ref.gguf")) {
        CHECK(0);
        return;
    }
    char path[256];
    a2a_unet2d *u = convert_load(name, conv_type, lin_type, path, sizeof path);
    if (u) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
        a2a_kernel_level top = a2a_kernel_level_get();
        size_t plen = strlen(name);
        for (int lv = all_levels ? 0 : (int)top; lv <= (int)top; lv++) {
            a2a_kernel_level_set((a2a_kernel_level)lv);
            for (int i = 0; i < gf.n_cases; i++) {
                const a2a_golden_case *c = &gf.cases[i];
                if (strncmp(c->name, name, plen) != 0 || c->name[plen] != '_') continue;
                char tag[32];
                snprintf(tag, sizeof tag, "L%d/t1", lv);
                if (lv == (int)top) run_case(u, c, NULL, tag, tol);
                snprintf(tag, sizeof tag, "L%d/t2", lv);
                run_case(u, c, tp, tag, tol);
            }
        }
        a2a_kernel_level_set(top);
        a2a_threadpool_free(tp);
        a2a_ctx_free(ctx);
        a2a_unet2d_free(u);
    }
    unlink(path);
    a2a_golden_close(&gf);
}

TEST(test_unet2d_sd1_f32) { run_model("sd1", A2A_TYPE_F32, A2A_TYPE_F32, 0, true); }
TEST(test_unet2d_sd1_f16) { run_model("sd1", A2A_TYPE_F16, A2A_TYPE_F16, 0, false); }
TEST(test_unet2d_sd2_f16) { run_model("sd2", A2A_TYPE_F16, A2A_TYPE_F16, 0, true); }
TEST(test_unet2d_audioldm_f16) { run_model("audioldm", A2A_TYPE_F16, A2A_TYPE_F16, 0, true); }
TEST(test_unet2d_sd1_q8_linears) { run_model("sd1", A2A_TYPE_F16, A2A_TYPE_Q8_0, 1e-4, false); }
TEST(test_unet2d_audioldm_q8_linears) { run_model("audioldm", A2A_TYPE_F16, A2A_TYPE_Q8_0, 1e-4, false); }

/* Bundle layout: "unet." prefix beside another component's metadata, loaded with load_gguf. */
TEST(test_unet2d_bundle_prefix) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], path[256];
    tmp_path(path, sizeof path, "bundle");
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "stable_diffusion") == A2A_OK);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "clip_text.hidden_size", 32) == A2A_OK);
    a2a_status st = a2a_unet2d_convert_add(ctx, w, model_dir(dir, sizeof dir, "sd2"), "unet.", NULL);
    CHECK_MSG(st == A2A_OK, "convert_add: %s", a2a_last_error(ctx));
    if (st == A2A_OK) CHECK_MSG(a2a_gguf_writer_write(ctx, w, path) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    a2a_unet2d *u = NULL;
    st = a2a_gguf_open(ctx, path, &g);
    CHECK(st == A2A_OK);
    if (st == A2A_OK) {
        CHECK(a2a_gguf_find_tensor(g, "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight") != NULL);
        st = a2a_unet2d_load_gguf(ctx, g, "unet.", &u);
        CHECK_MSG(st == A2A_OK, "load_gguf: %s", a2a_last_error(ctx));
        /* without the prefix the tensors are not found */
        a2a_unet2d *u2 = NULL;
        CHECK(a2a_unet2d_load_gguf(ctx, g, NULL, &u2) == A2A_ERR_NOT_FOUND && u2 == NULL);
    }
    if (u) {
        CHECK(a2a_unet2d_context_dim(u) == 24);
        CHECK(a2a_unet2d_side_multiple(u) == 2);
        CHECK(a2a_unet2d_get_config(u)->use_linear_projection);
        a2a_golden gf;
        if (a2a_golden_open(&gf, "unet2d/ref.gguf")) {
            const a2a_golden_case *c = a2a_golden_find(&gf, "sd2_2x16x16");
            CHECK(c != NULL);
            if (c) {
                run_case(u, c, NULL, "bundle", 0);
                run_case(u, c, NULL, "bundle-again", 0); /* planned arena reused */
            }
            a2a_golden_close(&gf);
        }
    }
    a2a_unet2d_free(u);
    a2a_gguf_close(g);
    unlink(path);
    a2a_ctx_free(ctx);
}

/* Copy of GGUF src into dst without tensors containing skip, with tensor `shrink` given one
   element less along ne[0], and without metadata key drop_key (NULLs: none). */
static const char *g_drop_key;
static bool key_filter(const char *key, void *user) {
    (void)user;
    return !g_drop_key || strcmp(key, g_drop_key) != 0;
}

static bool rewrite(const char *src, const char *dst, const char *skip, const char *shrink, const char *drop_key) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    bool ok = a2a_gguf_open(ctx, src, &g) == A2A_OK;
    a2a_gguf_writer *w = NULL;
    if (ok) ok = a2a_gguf_writer_new(ctx, &w) == A2A_OK;
    g_drop_key = drop_key;
    if (ok) ok = a2a_gguf_writer_copy_kv(ctx, w, g, key_filter, NULL) == A2A_OK;
    for (int64_t i = 0; ok && i < a2a_gguf_n_tensors(g); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        if (skip && strstr(t->name, skip)) continue;
        int64_t ne[A2A_MAX_DIMS];
        memcpy(ne, t->ne, sizeof ne);
        if (shrink && strcmp(t->name, shrink) == 0) ne[0] -= 1;
        ok = a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, ne, t->data) == A2A_OK;
    }
    ok = ok && a2a_gguf_writer_write(ctx, w, dst) == A2A_OK;
    CHECK_MSG(ok, "rewrite: %s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return ok;
}

static void expect_load_error(const char *path, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_unet2d *u = NULL;
    a2a_status st = a2a_unet2d_load(ctx, path, &u);
    CHECK_MSG(st == want && u == NULL, "expected status %d, got %d (%s)", (int)want, (int)st, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    a2a_unet2d_free(u);
    a2a_ctx_free(ctx);
}

TEST(test_unet2d_bad_files) {
    char good[256], bad[256];
    a2a_unet2d *u = convert_load("sd1", A2A_TYPE_F16, A2A_TYPE_F16, good, sizeof good);
    a2a_unet2d_free(u);
    if (!u) return;
    tmp_path(bad, sizeof bad, "bad");
    const char *t1 = "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_v.weight";
    if (rewrite(good, bad, t1, NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, t1);
    if (rewrite(good, bad, NULL, t1, NULL)) expect_load_error(bad, A2A_ERR_SHAPE, t1);
    const char *t2 = "mid_block.resnets.1.time_emb_proj.weight";
    if (rewrite(good, bad, NULL, t2, NULL)) expect_load_error(bad, A2A_ERR_SHAPE, t2);
    if (rewrite(good, bad, "conv_out.bias", NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, "conv_out.bias");
    if (rewrite(good, bad, NULL, NULL, "unet2d.attention_heads"))
        expect_load_error(bad, A2A_ERR_FORMAT, "unet2d.attention_heads");
    if (rewrite(good, bad, NULL, NULL, "unet2d.down_block_types"))
        expect_load_error(bad, A2A_ERR_FORMAT, "down_block_types");
    unlink(bad);
    unlink(good);
}

TEST(test_unet2d_bad_inputs) {
    char p1[256], p2[256];
    a2a_unet2d *sd = convert_load("sd1", A2A_TYPE_F16, A2A_TYPE_F16, p1, sizeof p1);
    a2a_unet2d *al = convert_load("audioldm", A2A_TYPE_F16, A2A_TYPE_F16, p2, sizeof p2);
    a2a_golden gf;
    if (!sd || !al || !a2a_golden_open(&gf, "unet2d/ref.gguf")) {
        CHECK(0);
        a2a_unet2d_free(sd);
        a2a_unet2d_free(al);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    const a2a_golden_case *c = a2a_golden_find(&gf, "sd1_2x16x16");
    const a2a_golden_case *ca = a2a_golden_find(&gf, "audioldm_2x16x16");
    CHECK(c && ca);
    if (c && ca) {
        ucase k = inputs_of(c), ka = inputs_of(ca);
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        got.n_dims = 4;
        /* absurd latent side (refused before anything is read) */
        a2a_tensor xo = k.x, go = got;
        xo.ne[0] = go.ne[0] = 5000;
        a2a_status st = a2a_unet2d_forward(ctx, NULL, sd, &xo, k.t, &k.ctx, NULL, &go);
        CHECK_MSG(st == A2A_ERR_INVALID_ARG && strstr(a2a_last_error(ctx), "out of range"), "%s", a2a_last_error(ctx));
        /* latent/output size disagreement */
        go = got;
        go.ne[0] = 15;
        CHECK(a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, &k.ctx, NULL, &go) == A2A_ERR_SHAPE);
        /* context width mismatch: 31 of the 32 features */
        a2a_tensor cw = k.ctx;
        cw.ne[0] = 31;
        st = a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, &cw, NULL, &got);
        CHECK_MSG(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "context width 31"), "%s", a2a_last_error(ctx));
        /* context batch mismatch */
        a2a_tensor cb = k.ctx;
        cb.ne[2] = 1;
        CHECK(a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, &cb, NULL, &got) == A2A_ERR_SHAPE);
        /* SD needs a context (its cross-attention width 32 differs from the block width 16) */
        st = a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, NULL, NULL, &got);
        CHECK_MSG(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "no context"), "%s", a2a_last_error(ctx));
        /* class labels given to SD */
        CHECK(a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, &k.ctx, &ka.cls, &got) == A2A_ERR_SHAPE);
        /* wrong output shape / channel count of the latents */
        a2a_tensor gw = got;
        gw.ne[2] = 3;
        CHECK(a2a_unet2d_forward(ctx, NULL, sd, &k.x, k.t, &k.ctx, NULL, &gw) == A2A_ERR_SHAPE);
        CHECK(a2a_unet2d_forward(ctx, NULL, al, &k.x, k.t, NULL, &ka.cls, &got) == A2A_ERR_SHAPE);
        /* non-finite timestep */
        float tb[2] = {999.0f, NAN};
        CHECK(a2a_unet2d_forward(ctx, NULL, sd, &k.x, tb, &k.ctx, NULL, &got) == A2A_ERR_INVALID_ARG);
        /* AudioLDM: class labels required, of the right width */
        a2a_tensor ga;
        CHECK(a2a_golden_alloc_like(&ga, ca->out));
        ga.n_dims = 4;
        st = a2a_unet2d_forward(ctx, NULL, al, &ka.x, ka.t, NULL, NULL, &ga);
        CHECK_MSG(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "class labels"), "%s", a2a_last_error(ctx));
        a2a_tensor cl = ka.cls;
        cl.ne[0] = 15;
        CHECK(a2a_unet2d_forward(ctx, NULL, al, &ka.x, ka.t, NULL, &cl, &ga) == A2A_ERR_SHAPE);
        /* absurd sizes */
        CHECK(a2a_unet2d_activation_bytes(sd, 1 << 20, 16, 2, 7) == 0);
        CHECK(a2a_unet2d_activation_bytes(sd, 16, 16, 2, 7) > 0);
        /* the model still works after the errors */
        run_case(sd, c, NULL, "after-errors", 0);
        free(ga.data);
        free(got.data);
    }
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
    a2a_unet2d_free(sd);
    a2a_unet2d_free(al);
    unlink(p1);
    unlink(p2);
}

/* Write a folder with the sd1 weights and a config.json edited by replacing `from` with `to`. */
static bool edited_folder(const char *dst, const char *from, const char *to) {
    char src[1024], path[1400];
    model_dir(src, sizeof src, "sd1");
    snprintf(path, sizeof path, "%s/config.json", src);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strstr(buf, from);
    if (!p) return false;
    static char out[70000];
    snprintf(out, sizeof out, "%.*s%s%s", (int)(p - buf), buf, to, p + strlen(from));
    mkdir(dst, 0755);
    snprintf(path, sizeof path, "%s/config.json", dst);
    if (a2a_test_write_file(path, out, strlen(out))) return false;
    char lnk[1400];
    snprintf(path, sizeof path, "%s/diffusion_pytorch_model.safetensors", src);
    snprintf(lnk, sizeof lnk, "%s/diffusion_pytorch_model.safetensors", dst);
    unlink(lnk);
    return symlink(path, lnk) == 0;
}

static void expect_convert_error(const char *dir, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    char out[256];
    tmp_path(out, sizeof out, "cerr");
    a2a_status st = a2a_unet2d_convert(ctx, dir, out, NULL);
    CHECK_MSG(st == want, "convert %s: expected %d, got %d (%s)", dir, (int)want, (int)st, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    struct stat sb;
    CHECK(stat(out, &sb) != 0); /* nothing written */
    a2a_ctx_free(ctx);
}

TEST(test_unet2d_convert_errors) {
    char dir[256], lnk[300], cfg[300];
    snprintf(dir, sizeof dir, "/tmp/a2a-test-unet2d-%d-dir", (int)getpid());
    expect_convert_error("/nonexistent/unet", A2A_ERR_NOT_FOUND, "config.json");
    if (edited_folder(dir, "\"class_embed_type\": null", "\"class_embed_type\": \"timestep\""))
        expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "class_embed_type");
    else CHECK(0);
    if (edited_folder(dir, "\"UpBlock2D\"", "\"AttnUpBlock2D\"")) expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "AttnUpBlock2D");
    else CHECK(0);
    if (edited_folder(dir, "\"norm_num_groups\": 8", "\"norm_num_groups\": 7"))
        expect_convert_error(dir, A2A_ERR_INVALID_ARG, "norm_num_groups");
    else CHECK(0);
    if (edited_folder(dir, "\"attention_head_dim\": 8", "\"attention_head_dim\": [8, 8, 8]"))
        expect_convert_error(dir, A2A_ERR_FORMAT, "attention_head_dim");
    else CHECK(0);
    /* config whose widths disagree with the weights: the check-by-loading catches it */
    if (edited_folder(dir, "\"cross_attention_dim\": 32", "\"cross_attention_dim\": 48"))
        expect_convert_error(dir, A2A_ERR_SHAPE, "to_k.weight");
    else CHECK(0);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(lnk, sizeof lnk, "%s/diffusion_pytorch_model.safetensors", dir);
    unlink(lnk);
    if (edited_folder(dir, "\"act_fn\": \"silu\"", "\"act_fn\": \"silu\"")) {
        unlink(lnk);
        expect_convert_error(dir, A2A_ERR_NOT_FOUND, "diffusion_pytorch_model");
    }
    unlink(cfg);
    rmdir(dir);
}

TEST_MAIN(test_unet2d_sd1_f32, test_unet2d_sd1_f16, test_unet2d_sd2_f16, test_unet2d_audioldm_f16,
          test_unet2d_sd1_q8_linears, test_unet2d_audioldm_q8_linears, test_unet2d_bundle_prefix,
          test_unet2d_bad_files, test_unet2d_bad_inputs, test_unet2d_convert_errors)
