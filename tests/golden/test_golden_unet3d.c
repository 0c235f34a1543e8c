/* UNet3DConditionModel vs diffusers (tools/ref/make_golden_unet3d.py): the committed diffusers
   folders tests/golden/unet3d/{dummy,zs} (F16 safetensors; the reference ran float32 on the
   same F16 values) are converted with a2a_unet3d_convert, loaded and run on the golden inputs:
     dummy  diffusers' own text-to-video test config: blocks (4, 8), 1 layer per block,
            CrossAttnDown + Down, Up + CrossAttnUp, 1 and 2 heads of width 4, context 77 x 4,
            transformer_in 32 wide over 4 channels; 1x3x8x8, 2x4x8x8 (CFG-style timesteps 999
            and 1), 1x2x7x9 (odd sides: diffusers' forward_upsample_size path), 1x1x8x8 (one
            frame)
     zs     Zeroscope-shaped: three blocks (8, 16, 16), 2 layers per block, context 9 x 12;
            2x3x8x8 and 1x4x6x10
   Every TemporalConvLayer's last conv holds random (not zero) weights, so every layer counts.
   Tolerances: lossless conversions (F32 or F16 targets of F16 sources) as stored per case
   (nmse 1e-9, max abs 1e-3), at every kernel level with 1 and 2 threads; Q8_0 linears with
   nmse <= 4e-4 (measured 7e-5..9e-5: Q8_0 rounding of the 32-wide rows adds up over the ~70
   linears of the tiny zs model). A bundle-style file (prefix "unet.", written through
   a2a_unet3d_convert_add beside other metadata) loads with a2a_unet3d_load_gguf and gives the same result.
   Bad inputs must fail cleanly: missing or mis-shaped tensor, missing metadata, absurd sizes,
   latent/output size mismatch, context width/batch mismatch, missing context, non-finite
   timesteps, bad convert sources. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"
#include "models/diffusion/unet3d.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-unet3d-%d-%s.gguf", (int)getpid(), tag);
    return buf;
}

static const char *model_dir(char *buf, size_t cap, const char *name) {
    char rel[64];
    snprintf(rel, sizeof rel, "unet3d/%s", name);
    return a2a_golden_path(buf, cap, rel);
}

static a2a_unet3d *convert_load(const char *name, a2a_type conv_type, a2a_type lin_type, char *out, size_t cap) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], tag[64];
    a2a_unet3d_convert_params p = a2a_unet3d_convert_default_params();
    p.conv_type = conv_type;
    p.linear_type = lin_type;
    snprintf(tag, sizeof tag, "%s-%d-%d", name, (int)conv_type, (int)lin_type);
    a2a_status st = a2a_unet3d_convert(ctx, model_dir(dir, sizeof dir, name), tmp_path(out, cap, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", name, a2a_last_error(ctx));
    a2a_unet3d *u = NULL;
    if (st == A2A_OK) {
        st = a2a_unet3d_load(ctx, out, &u);
        CHECK_MSG(st == A2A_OK, "load %s: %s", name, a2a_last_error(ctx));
    }
    a2a_ctx_free(ctx);
    return u;
}

typedef struct ucase {
    a2a_tensor x, ctx;
    const float *t;
} ucase;

static ucase inputs_of(const a2a_golden_case *c) {
    ucase k;
    memset(&k, 0, sizeof k);
    k.x = *c->in[0];
    k.x.n_dims = 5;
    k.t = (const float *)c->in[1]->data;
    k.ctx = *c->in[2];
    k.ctx.n_dims = 3;
    return k;
}

static void run_case(a2a_unet3d *u, const a2a_golden_case *c, a2a_threadpool *tp, const char *tag, double tol_nmse) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor got;
    CHECK(a2a_golden_alloc_like(&got, c->out));
    got.n_dims = 5;
    ucase k = inputs_of(c);
    a2a_status st = a2a_unet3d_forward(ctx, tp, u, &k.x, k.t, &k.ctx, &got);
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
    if (!a2a_golden_open(&gf, "unet3d/ref.gguf")) {
        CHECK(0);
        return;
    }
    char path[256];
    a2a_unet3d *u = convert_load(name, conv_type, lin_type, path, sizeof path);
    if (u) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
        a2a_kernel_level top = a2a_kernel_level_get();
        size_t plen = strlen(name);
        int seen = 0;
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
                seen++;
            }
        }
        CHECK(seen >= 2);
        a2a_kernel_level_set(top);
        a2a_threadpool_free(tp);
        a2a_ctx_free(ctx);
        a2a_unet3d_free(u);
    }
    unlink(path);
    a2a_golden_close(&gf);
}

TEST(test_unet3d_dummy_f32) { run_model("dummy", A2A_TYPE_F32, A2A_TYPE_F32, 0, true); }
TEST(test_unet3d_dummy_f16) { run_model("dummy", A2A_TYPE_F16, A2A_TYPE_F16, 0, false); }
TEST(test_unet3d_zs_f16) { run_model("zs", A2A_TYPE_F16, A2A_TYPE_F16, 0, true); }
TEST(test_unet3d_zs_q8_linears) { run_model("zs", A2A_TYPE_F16, A2A_TYPE_Q8_0, 4e-4, false); }

/* Bundle layout: "unet." prefix beside another component's metadata, loaded with load_gguf. */
TEST(test_unet3d_bundle_prefix) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], path[256];
    tmp_path(path, sizeof path, "bundle");
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "zeroscope") == A2A_OK);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "clip_text.hidden_size", 12) == A2A_OK);
    a2a_status st = a2a_unet3d_convert_add(ctx, w, model_dir(dir, sizeof dir, "zs"), "unet.", NULL);
    CHECK_MSG(st == A2A_OK, "convert_add: %s", a2a_last_error(ctx));
    if (st == A2A_OK) CHECK_MSG(a2a_gguf_writer_write(ctx, w, path) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    a2a_unet3d *u = NULL;
    st = a2a_gguf_open(ctx, path, &g);
    CHECK(st == A2A_OK);
    if (st == A2A_OK) {
        const a2a_tensor *tc = a2a_gguf_find_tensor(g, "unet.down_blocks.1.temp_convs.1.conv4.3.weight");
        CHECK(tc != NULL && tc->n_dims == 3 && tc->ne[0] == 3 && tc->ne[1] == 16 && tc->ne[2] == 16);
        st = a2a_unet3d_load_gguf(ctx, g, "unet.", &u);
        CHECK_MSG(st == A2A_OK, "load_gguf: %s", a2a_last_error(ctx));
        a2a_unet3d *u2 = NULL;
        CHECK(a2a_unet3d_load_gguf(ctx, g, NULL, &u2) == A2A_ERR_NOT_FOUND && u2 == NULL);
    }
    if (u) {
        CHECK(a2a_unet3d_context_dim(u) == 12);
        CHECK(a2a_unet3d_side_multiple(u) == 4);
        CHECK(a2a_unet3d_get_config(u)->in_heads == 8 && a2a_unet3d_get_config(u)->in_head_dim == 4);
        CHECK(a2a_unet3d_get_config(u)->head_dim[0] == 4 && a2a_unet3d_get_config(u)->layers_per_block == 2);
        a2a_golden gf;
        if (a2a_golden_open(&gf, "unet3d/ref.gguf")) {
            const a2a_golden_case *c = a2a_golden_find(&gf, "zs_2x3x8x8");
            const a2a_golden_case *c2 = a2a_golden_find(&gf, "zs_1x4x6x10");
            CHECK(c != NULL && c2 != NULL);
            if (c && c2) {
                run_case(u, c, NULL, "bundle", 0);
                run_case(u, c2, NULL, "bundle-other-shape", 0);
                run_case(u, c, NULL, "bundle-again", 0); /* planned arena reused */
            }
            a2a_golden_close(&gf);
        }
    }
    a2a_unet3d_free(u);
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
    a2a_unet3d *u = NULL;
    a2a_status st = a2a_unet3d_load(ctx, path, &u);
    CHECK_MSG(st == want && u == NULL, "expected status %d, got %d (%s)", (int)want, (int)st, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    a2a_unet3d_free(u);
    a2a_ctx_free(ctx);
}

TEST(test_unet3d_bad_files) {
    char good[256], bad[256];
    a2a_unet3d *u = convert_load("dummy", A2A_TYPE_F16, A2A_TYPE_F16, good, sizeof good);
    a2a_unet3d_free(u);
    if (!u) return;
    tmp_path(bad, sizeof bad, "bad");
    const char *t1 = "up_blocks.1.temp_attentions.1.transformer_blocks.0.attn2.to_v.weight";
    if (rewrite(good, bad, t1, NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, t1);
    if (rewrite(good, bad, NULL, t1, NULL)) expect_load_error(bad, A2A_ERR_SHAPE, t1);
    const char *t2 = "mid_block.temp_convs.1.conv3.3.weight";
    if (rewrite(good, bad, NULL, t2, NULL)) expect_load_error(bad, A2A_ERR_SHAPE, t2);
    if (rewrite(good, bad, t2, NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, t2);
    const char *t3 = "transformer_in.proj_in.weight";
    if (rewrite(good, bad, NULL, t3, NULL)) expect_load_error(bad, A2A_ERR_SHAPE, t3);
    const char *t4 = "down_blocks.0.temp_convs.0.conv1.0.bias";
    if (rewrite(good, bad, t4, NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, t4);
    if (rewrite(good, bad, "conv_out.bias", NULL, NULL)) expect_load_error(bad, A2A_ERR_NOT_FOUND, "conv_out.bias");
    if (rewrite(good, bad, NULL, NULL, "unet3d.attention_head_dim"))
        expect_load_error(bad, A2A_ERR_FORMAT, "unet3d.attention_head_dim");
    if (rewrite(good, bad, NULL, NULL, "unet3d.in_attention_head_dim"))
        expect_load_error(bad, A2A_ERR_FORMAT, "in_attention_head_dim");
    if (rewrite(good, bad, NULL, NULL, "unet3d.down_block_types"))
        expect_load_error(bad, A2A_ERR_FORMAT, "down_block_types");
    unlink(bad);
    unlink(good);
}

TEST(test_unet3d_bad_inputs) {
    char p1[256];
    a2a_unet3d *u = convert_load("dummy", A2A_TYPE_F16, A2A_TYPE_F16, p1, sizeof p1);
    a2a_golden gf;
    if (!u || !a2a_golden_open(&gf, "unet3d/ref.gguf")) {
        CHECK(0);
        a2a_unet3d_free(u);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    const a2a_golden_case *c = a2a_golden_find(&gf, "dummy_2x4x8x8");
    CHECK(c != NULL);
    if (c) {
        ucase k = inputs_of(c);
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        got.n_dims = 5;
        /* absurd latent side / frame count (refused before anything is read) */
        a2a_tensor xo = k.x, go = got;
        xo.ne[0] = go.ne[0] = 5000;
        a2a_status st = a2a_unet3d_forward(ctx, NULL, u, &xo, k.t, &k.ctx, &go);
        CHECK_MSG(st == A2A_ERR_INVALID_ARG && strstr(a2a_last_error(ctx), "out of range"), "%s", a2a_last_error(ctx));
        xo = k.x;
        go = got;
        xo.ne[2] = go.ne[2] = 100000;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &xo, k.t, &k.ctx, &go) == A2A_ERR_INVALID_ARG);
        /* latent/output size disagreement: width, frames */
        go = got;
        go.ne[0] = 7;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, &k.ctx, &go) == A2A_ERR_SHAPE);
        go = got;
        go.ne[2] = 3;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, &k.ctx, &go) == A2A_ERR_SHAPE);
        /* channel count of the latents */
        xo = k.x;
        xo.ne[3] = 3;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &xo, k.t, &k.ctx, &got) == A2A_ERR_SHAPE);
        /* context width mismatch: 3 of the 4 features */
        a2a_tensor cw = k.ctx;
        cw.ne[0] = 3;
        st = a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, &cw, &got);
        CHECK_MSG(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "context width 3"), "%s", a2a_last_error(ctx));
        /* context batch mismatch, absurd context length */
        a2a_tensor cb = k.ctx;
        cb.ne[2] = 1;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, &cb, &got) == A2A_ERR_SHAPE);
        cb = k.ctx;
        cb.ne[1] = 100000;
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, &cb, &got) == A2A_ERR_SHAPE);
        /* missing context */
        st = a2a_unet3d_forward(ctx, NULL, u, &k.x, k.t, NULL, &got);
        CHECK_MSG(st == A2A_ERR_SHAPE && strstr(a2a_last_error(ctx), "no context"), "%s", a2a_last_error(ctx));
        /* non-finite timestep */
        float tb[2] = {999.0f, NAN};
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, tb, &k.ctx, &got) == A2A_ERR_INVALID_ARG);
        /* NULL arguments */
        CHECK(a2a_unet3d_forward(ctx, NULL, u, NULL, k.t, &k.ctx, &got) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_unet3d_forward(ctx, NULL, u, &k.x, NULL, &k.ctx, &got) == A2A_ERR_INVALID_ARG);
        /* absurd sizes in the planner */
        CHECK(a2a_unet3d_activation_bytes(u, 1 << 20, 16, 2, 1, 7) == 0);
        CHECK(a2a_unet3d_activation_bytes(u, 16, 16, 0, 1, 7) == 0);
        CHECK(a2a_unet3d_activation_bytes(u, 16, 16, 4, 2, 7) > 0);
        /* the largest accepted shape: planned (or refused) without overflow or crash */
        size_t big = a2a_unet3d_activation_bytes(u, A2A_UNET3D_MAX_SIDE, A2A_UNET3D_MAX_SIDE, A2A_UNET3D_MAX_FRAMES,
                                                 A2A_UNET3D_MAX_BATCH, A2A_UNET3D_MAX_CTX);
        CHECK(big == 0 || big > ((size_t)1 << 40));
        /* the model still works after the errors */
        run_case(u, c, NULL, "after-errors", 0);
        free(got.data);
    }
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
    a2a_unet3d_free(u);
    unlink(p1);
}

/* Write a folder with the dummy weights and a config.json edited by replacing `from` with `to`. */
static bool edited_folder(const char *dst, const char *from, const char *to) {
    char src[1024], path[1400];
    model_dir(src, sizeof src, "dummy");
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
    a2a_status st = a2a_unet3d_convert(ctx, dir, out, NULL);
    CHECK_MSG(st == want, "convert %s: expected %d, got %d (%s)", dir, (int)want, (int)st, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    struct stat sb;
    CHECK(stat(out, &sb) != 0); /* nothing written */
    a2a_ctx_free(ctx);
}

static int cancel_after_3(int64_t done, int64_t total, const char *what, void *user) {
    (void)total;
    (void)what;
    (*(int *)user)++;
    return done >= 3;
}

TEST(test_unet3d_convert_errors) {
    char dir[256], lnk[300], cfg[300];
    snprintf(dir, sizeof dir, "/tmp/a2a-test-unet3d-%d-dir", (int)getpid());
    expect_convert_error("/nonexistent/unet", A2A_ERR_NOT_FOUND, "config.json");
    {
        /* unsupported target types; cancellation through the progress callback */
        a2a_ctx *ctx = a2a_ctx_new();
        char src[1024], out[256];
        model_dir(src, sizeof src, "dummy");
        tmp_path(out, sizeof out, "cancel");
        a2a_unet3d_convert_params p = a2a_unet3d_convert_default_params();
        p.conv_type = A2A_TYPE_Q8_0;
        CHECK(a2a_unet3d_convert(ctx, src, out, &p) == A2A_ERR_UNSUPPORTED);
        p = a2a_unet3d_convert_default_params();
        p.linear_type = A2A_TYPE_BF16;
        CHECK(a2a_unet3d_convert(ctx, src, out, &p) == A2A_ERR_UNSUPPORTED);
        int calls = 0;
        p = a2a_unet3d_convert_default_params();
        p.progress = cancel_after_3;
        p.user = &calls;
        a2a_status st = a2a_unet3d_convert(ctx, src, out, &p);
        CHECK_MSG(st == A2A_ERR_CANCELLED && calls == 3, "status %d after %d calls: %s", (int)st, calls,
                  a2a_last_error(ctx));
        struct stat sb;
        CHECK(stat(out, &sb) != 0);
        a2a_ctx_free(ctx);
    }
    if (edited_folder(dir, "\"UNet3DConditionModel\"", "\"UNet2DConditionModel\""))
        expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "_class_name");
    else CHECK(0);
    if (edited_folder(dir, "\"UpBlock3D\"", "\"UpBlockMotion\"")) expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "UpBlockMotion");
    else CHECK(0);
    if (edited_folder(dir, "\"norm_num_groups\": 2", "\"norm_num_groups\": 3"))
        expect_convert_error(dir, A2A_ERR_INVALID_ARG, "norm_num_groups");
    else CHECK(0);
    if (edited_folder(dir, "\"attention_head_dim\": 4", "\"attention_head_dim\": [4, 4]"))
        expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "attention_head_dim");
    else CHECK(0);
    if (edited_folder(dir, "\"time_cond_proj_dim\": null", "\"time_cond_proj_dim\": 8"))
        expect_convert_error(dir, A2A_ERR_UNSUPPORTED, "time_cond_proj_dim");
    else CHECK(0);
    /* config whose widths disagree with the weights: the check-by-loading catches it */
    if (edited_folder(dir, "\"cross_attention_dim\": 4", "\"cross_attention_dim\": 8"))
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

TEST_MAIN(test_unet3d_dummy_f32, test_unet3d_dummy_f16, test_unet3d_zs_f16, test_unet3d_zs_q8_linears,
          test_unet3d_bundle_prefix, test_unet3d_bad_files, test_unet3d_bad_inputs, test_unet3d_convert_errors)
