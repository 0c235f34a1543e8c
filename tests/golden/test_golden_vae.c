/* AutoencoderKL vs diffusers (tools/ref/make_golden_vae.py): the committed diffusers folders
   tests/golden/vae/tiny (3 channels, F32 safetensors) and vae/mel (1 channel like AudioLDM's
   mel VAE, F16 safetensors) are converted with a2a_vae_convert, loaded, and run on the
   golden inputs (vae/mel_old: the mel weights under the deprecated attention names of older
   checkpoints, query/key/value/proj_attn, which the converter renames): decode of fixed
   latents ([1,4,8,8] and the non-square, batched [2,4,6,10]),
   encode (latent_dist.mean and .logvar), posterior sampling with given noise, and tiled decode
   (enable_tiling(): latents larger than one tile, overlapping tiles blended linearly).
   Tolerances: as stored per case (nmse 1e-9, max abs 1e-3) for weights converted without
   loss (F32 -> F32, F16 -> F16), at every kernel level and 1/2 threads; the tiny model with
   its F32 weights rounded to F16 (the converter's default) is compared with nmse <= 1e-5, and
   with Q8_0 attention linears (F32 convs) with nmse <= 1e-4 (measured ~5e-5).
   Also: the shared ResnetBlock2D with a time embedding (UNet use) vs diffusers (nmse 1e-10),
   and the memory plan of SD 1.x's VAE for a 512x512 decode/encode (config only, < 1.5 GiB).
   Bad inputs (missing or mis-shaped tensor, groups not dividing the widths, absurd latent
   sizes, wrong output shapes, no encoder, unsupported config) must fail cleanly. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "models/common/resnet2d.h"
#include "models/vae/autoencoder_kl.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-vae-%d-%s.gguf", (int)getpid(), tag);
    return buf;
}

static const char *model_dir(char *buf, size_t cap, const char *name) {
    char rel[64];
    snprintf(rel, sizeof rel, "vae/%s", name);
    return a2a_golden_path(buf, cap, rel);
}

/* Convert tests/golden/vae/<name> into a temporary GGUF and load it (NULL on failure). */
static a2a_vae *convert_load(const char *name, a2a_type conv_type, a2a_type attn_type, char *out, size_t cap) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024];
    a2a_vae_convert_params p = a2a_vae_convert_default_params();
    p.conv_type = conv_type;
    p.attn_type = attn_type;
    char tag[64];
    snprintf(tag, sizeof tag, "%s-%d-%d", name, (int)conv_type, (int)attn_type);
    a2a_status st = a2a_vae_convert(ctx, model_dir(dir, sizeof dir, name), tmp_path(out, cap, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", name, a2a_last_error(ctx));
    a2a_vae *vae = NULL;
    if (st == A2A_OK) {
        st = a2a_vae_load(ctx, out, &vae);
        CHECK_MSG(st == A2A_OK, "load %s: %s", name, a2a_last_error(ctx));
    }
    a2a_ctx_free(ctx);
    return vae;
}

/* Run one golden case on vae; tol_nmse > 0 overrides the case's tolerances. */
static void run_case(a2a_vae *vae, const a2a_golden_case *c, a2a_threadpool *tp, const char *tag, double tol_nmse) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_tensor got;
    CHECK(a2a_golden_alloc_like(&got, c->out));
    got.n_dims = 4;
    a2a_status st = A2A_OK;
    const a2a_vae_config *cfg = a2a_vae_get_config(vae);
    if (strcmp(c->op, "vae_decode") == 0) {
        a2a_tensor z = *c->in[0];
        z.n_dims = 4;
        st = a2a_vae_decode(ctx, tp, vae, &z, &got);
    } else if (strcmp(c->op, "vae_decode_tiled") == 0) {
        a2a_tensor z = *c->in[0];
        z.n_dims = 4;
        st = a2a_vae_decode_tiled(ctx, tp, vae, &z, &got, NULL);
    } else {
        a2a_tensor x = *c->in[0];
        x.n_dims = 4;
        const int64_t L = cfg->latent_channels;
        a2a_tensor mean, logvar;
        int64_t ne[4] = {got.ne[0], got.ne[1], L, got.ne[3]};
        CHECK(a2a_golden_alloc(&mean, A2A_TYPE_F32, 4, ne) && a2a_golden_alloc(&logvar, A2A_TYPE_F32, 4, ne));
        mean.n_dims = logvar.n_dims = 4;
        st = a2a_vae_encode(ctx, tp, vae, &x, &mean, &logvar);
        if (st == A2A_OK && strcmp(c->op, "vae_encode") == 0) { /* out = cat(mean, logvar) along channels */
            size_t half = a2a_tensor_nbytes(&mean);
            for (int64_t n = 0; n < ne[3]; n++) {
                size_t per = half / (size_t)ne[3];
                memcpy((char *)got.data + 2 * per * (size_t)n, (char *)mean.data + per * (size_t)n, per);
                memcpy((char *)got.data + 2 * per * (size_t)n + per, (char *)logvar.data + per * (size_t)n, per);
            }
        } else if (st == A2A_OK) {
            a2a_tensor noise = *c->in[1];
            noise.n_dims = 4;
            st = a2a_vae_sample(ctx, &got, &mean, &logvar, &noise);
        }
        free(mean.data);
        free(logvar.data);
    }
    CHECK_MSG(st == A2A_OK, "%s %s: %s", c->name, tag, a2a_last_error(ctx));
    if (st == A2A_OK) {
        if (tol_nmse > 0) {
            a2a_golden_case loose = *c;
            loose.tol_nmse = tol_nmse;
            loose.tol_max_abs = 1e9;
            CHECK(a2a_golden_compare(&loose, &got, tag));
        } else {
            CHECK(a2a_golden_compare(c, &got, tag));
        }
    }
    free(got.data);
    a2a_ctx_free(ctx);
}

/* Convert folder `name` and run the golden cases named case_prefix_* on it. */
static void run_model2(const char *name, const char *case_prefix, a2a_type conv_type, a2a_type attn_type, double tol,
                       bool all_levels) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "vae/ref.gguf")) {
        CHECK(0);
        return;
    }
    char path[256];
    a2a_vae *vae = convert_load(name, conv_type, attn_type, path, sizeof path);
    if (vae) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
        a2a_kernel_level top = a2a_kernel_level_get();
        size_t plen = strlen(case_prefix);
        for (int lv = all_levels ? 0 : (int)top; lv <= (int)top; lv++) {
            a2a_kernel_level_set((a2a_kernel_level)lv);
            for (int i = 0; i < gf.n_cases; i++) {
                const a2a_golden_case *c = &gf.cases[i];
                if (strncmp(c->name, case_prefix, plen) != 0 || c->name[plen] != '_') continue;
                char tag[32];
                snprintf(tag, sizeof tag, "L%d/t1", lv);
                if (lv == (int)top || strstr(c->name, "decode")) run_case(vae, c, NULL, tag, tol);
                snprintf(tag, sizeof tag, "L%d/t2", lv);
                run_case(vae, c, tp, tag, tol);
            }
        }
        a2a_kernel_level_set(top);
        a2a_threadpool_free(tp);
        a2a_ctx_free(ctx);
        a2a_vae_free(vae);
    }
    unlink(path);
    a2a_golden_close(&gf);
}

static void run_model(const char *name, a2a_type conv_type, a2a_type attn_type, double tol, bool all_levels) {
    run_model2(name, name, conv_type, attn_type, tol, all_levels);
}

TEST(test_vae_tiny_f32) { run_model("tiny", A2A_TYPE_F32, A2A_TYPE_F32, 0, true); }
TEST(test_vae_mel_f16) { run_model("mel", A2A_TYPE_F16, A2A_TYPE_F16, 0, true); }
/* mel_old: the mel weights under the deprecated attention names (query/key/value/proj_attn) */
TEST(test_vae_mel_deprecated_names) { run_model2("mel_old", "mel", A2A_TYPE_F16, A2A_TYPE_F16, 0, false); }
TEST(test_vae_tiny_f16_weights) { run_model("tiny", A2A_TYPE_F16, A2A_TYPE_F16, 1e-5, false); }
TEST(test_vae_tiny_q8_attn) { run_model("tiny", A2A_TYPE_F32, A2A_TYPE_Q8_0, 1e-4, false); }

/* Write a copy of the VAE file src (config from vae) leaving out tensors whose name contains
   skip (NULL: none), with norm_num_groups replaced by groups (0: keep) and tensor `reshape`
   (NULL: none) given one fewer element along ne[0] (its data truncated). */
static bool rewrite_p(const char *src, const char *dst, const char *skip, int groups, const char *reshape,
                      const char *prefix) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_vae *vae = NULL;
    bool ok = a2a_gguf_open(ctx, src, &g) == A2A_OK && a2a_vae_load_gguf(ctx, g, NULL, &vae) == A2A_OK;
    a2a_gguf_writer *w = NULL;
    if (ok) ok = a2a_gguf_writer_new(ctx, &w) == A2A_OK;
    if (ok) {
        const a2a_vae_config *c = a2a_vae_get_config(vae);
        int32_t boc[A2A_VAE_MAX_BLOCKS];
        for (int i = 0; i < c->n_blocks; i++) boc[i] = c->block_out_channels[i];
        a2a_gguf_writer_set_str(ctx, w, "general.architecture", "autoencoder_kl");
        a2a_gguf_writer_set_u32(ctx, w, "autoencoder_kl.in_channels", (uint32_t)c->in_channels);
        a2a_gguf_writer_set_u32(ctx, w, "autoencoder_kl.out_channels", (uint32_t)c->out_channels);
        a2a_gguf_writer_set_u32(ctx, w, "autoencoder_kl.latent_channels", (uint32_t)c->latent_channels);
        a2a_gguf_writer_set_u32(ctx, w, "autoencoder_kl.layers_per_block", (uint32_t)c->layers_per_block);
        a2a_gguf_writer_set_u32(ctx, w, "autoencoder_kl.norm_num_groups", (uint32_t)(groups ? groups : c->norm_num_groups));
        a2a_gguf_writer_set_arr(ctx, w, "autoencoder_kl.block_out_channels", A2A_GGUF_INT32, boc, (uint64_t)c->n_blocks);
        a2a_gguf_writer_set_f32(ctx, w, "autoencoder_kl.scaling_factor", c->scaling_factor);
        for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
            const a2a_tensor *t = a2a_gguf_tensor(g, i);
            if (skip && strstr(t->name, skip)) continue;
            int64_t ne[A2A_MAX_DIMS];
            memcpy(ne, t->ne, sizeof ne);
            if (reshape && strcmp(t->name, reshape) == 0) ne[0] -= 1;
            char nm[128];
            snprintf(nm, sizeof nm, "%s%s", prefix, t->name);
            ok = ok && a2a_gguf_writer_add_tensor(ctx, w, nm, t->type, t->n_dims, ne, t->data) == A2A_OK;
        }
        ok = ok && a2a_gguf_writer_write(ctx, w, dst) == A2A_OK;
    }
    CHECK_MSG(ok, "rewrite: %s", a2a_last_error(ctx));
    a2a_gguf_writer_free(w);
    a2a_vae_free(vae);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return ok;
}

static bool rewrite(const char *src, const char *dst, const char *skip, int groups, const char *reshape) {
    return rewrite_p(src, dst, skip, groups, reshape, "");
}

/* Load path and expect status want with a message containing needle. */
static void expect_load_fail(const char *path, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_vae *vae = NULL;
    a2a_status st = a2a_vae_load(ctx, path, &vae);
    CHECK_MSG(st == want, "load %s: status %d, want %d (%s)", path, (int)st, (int)want, a2a_last_error(ctx));
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(vae == NULL);
    a2a_vae_free(vae);
    a2a_ctx_free(ctx);
}

TEST(test_vae_bad_files) {
    char base[256], bad[256];
    a2a_vae *vae = convert_load("tiny", A2A_TYPE_F32, A2A_TYPE_F16, base, sizeof base);
    if (!vae) return;
    a2a_vae_free(vae);
    tmp_path(bad, sizeof bad, "bad");
    if (rewrite(base, bad, "decoder.mid_block.attentions.0.to_k.weight", 0, NULL))
        expect_load_fail(bad, A2A_ERR_NOT_FOUND, "decoder.mid_block.attentions.0.to_k.weight");
    if (rewrite(base, bad, NULL, 5, NULL)) expect_load_fail(bad, A2A_ERR_INVALID_ARG, "norm_num_groups 5");
    if (rewrite(base, bad, NULL, 0, "decoder.up_blocks.1.resnets.0.conv1.weight"))
        expect_load_fail(bad, A2A_ERR_SHAPE, "decoder.up_blocks.1.resnets.0.conv1.weight");
    if (rewrite(base, bad, NULL, 0, "encoder.conv_norm_out.bias"))
        expect_load_fail(bad, A2A_ERR_SHAPE, "encoder.conv_norm_out.bias");
    expect_load_fail("/nonexistent/vae.gguf", A2A_ERR_IO, "");

    /* a decode-only file (no encoder.* tensors) loads; encode fails cleanly */
    if (rewrite(base, bad, "encoder.", 0, NULL)) {
        a2a_ctx *ctx = a2a_ctx_new();
        CHECK(a2a_vae_load(ctx, bad, &vae) == A2A_OK);
        if (vae) {
            CHECK(!a2a_vae_has_encoder(vae));
            float x[16 * 16 * 3] = {0}, m[8 * 8 * 4], z[4 * 4 * 4] = {0}, img[8 * 8 * 3];
            a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, 16, 16, 3, 1), tm = a2a_tensor_make(A2A_TYPE_F32, m, 8, 8, 4, 1);
            CHECK(a2a_vae_encode(ctx, NULL, vae, &tx, &tm, NULL) == A2A_ERR_UNSUPPORTED);
            a2a_tensor tz = a2a_tensor_make(A2A_TYPE_F32, z, 4, 4, 4, 1), ti = a2a_tensor_make(A2A_TYPE_F32, img, 8, 8, 3, 1);
            CHECK_MSG(a2a_vae_decode(ctx, NULL, vae, &tz, &ti) == A2A_OK, "%s", a2a_last_error(ctx));
            a2a_vae_free(vae);
        }
        a2a_ctx_free(ctx);
    }
    /* a bundle-style file with prefixed names loads through a2a_vae_load_gguf with the prefix */
    if (rewrite_p(base, bad, NULL, 0, NULL, "vae.")) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_gguf *g = NULL;
        CHECK(a2a_gguf_open(ctx, bad, &g) == A2A_OK);
        CHECK(a2a_vae_load_gguf(ctx, g, NULL, &vae) == A2A_ERR_NOT_FOUND); /* without the prefix */
        CHECK_MSG(a2a_vae_load_gguf(ctx, g, "vae.", &vae) == A2A_OK, "%s", a2a_last_error(ctx));
        if (vae) CHECK(a2a_vae_has_encoder(vae));
        a2a_vae_free(vae);
        a2a_gguf_close(g);
        a2a_ctx_free(ctx);
    }
    unlink(bad);
    unlink(base);
}

TEST(test_vae_bad_inputs) {
    char base[256];
    a2a_vae *vae = convert_load("tiny", A2A_TYPE_F16, A2A_TYPE_F16, base, sizeof base);
    if (!vae) return;
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK_EQ_INT(a2a_vae_downscale(vae), 2);
    /* absurd latent sizes: rejected before any allocation (data never touched) */
    a2a_tensor z, img;
    int64_t nz[4] = {1000000, 8, 4, 1}, ni[4] = {2000000, 16, 3, 1};
    a2a_tensor_init(&z, A2A_TYPE_F32, 4, nz, NULL);
    a2a_tensor_init(&img, A2A_TYPE_F32, 4, ni, NULL);
    CHECK(a2a_vae_decode(ctx, NULL, vae, &z, &img) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "out of range") != NULL);
    CHECK(a2a_vae_decode_bytes(vae, 1000000, 8, 1) == 0);
    CHECK(a2a_vae_decode_bytes(vae, 0, 8, 1) == 0);
    /* wrong latent channels / wrong output shape / wrong type */
    float zb[8 * 8 * 4] = {0}, ib[16 * 16 * 3];
    a2a_tensor z3 = a2a_tensor_make(A2A_TYPE_F32, zb, 8, 8, 3, 1), i3 = a2a_tensor_make(A2A_TYPE_F32, ib, 16, 16, 3, 1);
    CHECK(a2a_vae_decode(ctx, NULL, vae, &z3, &i3) == A2A_ERR_SHAPE);
    a2a_tensor z4 = a2a_tensor_make(A2A_TYPE_F32, zb, 8, 8, 4, 1), i4 = a2a_tensor_make(A2A_TYPE_F32, ib, 15, 16, 3, 1);
    CHECK(a2a_vae_decode(ctx, NULL, vae, &z4, &i4) == A2A_ERR_SHAPE);
    a2a_tensor i5 = a2a_tensor_make(A2A_TYPE_F32, ib, 16, 16, 3, 1);
    CHECK_MSG(a2a_vae_decode(ctx, NULL, vae, &z4, &i5) == A2A_OK, "%s", a2a_last_error(ctx));
    /* encode: image smaller than the downscale factor, wrong mean shape */
    float xb[16 * 16 * 3] = {0}, mb[8 * 8 * 4];
    a2a_tensor x1 = a2a_tensor_make(A2A_TYPE_F32, xb, 1, 16, 3, 1), m1 = a2a_tensor_make(A2A_TYPE_F32, mb, 1, 8, 4, 1);
    CHECK(a2a_vae_encode(ctx, NULL, vae, &x1, &m1, NULL) == A2A_ERR_INVALID_ARG);
    a2a_tensor x2 = a2a_tensor_make(A2A_TYPE_F32, xb, 16, 16, 3, 1), m2 = a2a_tensor_make(A2A_TYPE_F32, mb, 8, 7, 4, 1);
    CHECK(a2a_vae_encode(ctx, NULL, vae, &x2, &m2, NULL) == A2A_ERR_SHAPE);
    a2a_tensor m3 = a2a_tensor_make(A2A_TYPE_F32, mb, 8, 8, 4, 1);
    CHECK_MSG(a2a_vae_encode(ctx, NULL, vae, &x2, &m3, NULL) == A2A_OK, "%s", a2a_last_error(ctx));
    /* sample: mismatched shapes */
    CHECK(a2a_vae_sample(ctx, &m3, &m3, &m2, &m3) == A2A_ERR_SHAPE);
    /* memory plan grows with the latent and is reported */
    size_t b8 = a2a_vae_decode_bytes(vae, 8, 8, 1), b16 = a2a_vae_decode_bytes(vae, 16, 16, 1);
    CHECK(b8 > 0 && b16 > 3 * b8);
    CHECK(a2a_vae_encode_bytes(vae, 32, 32, 1) > 0);
    a2a_vae_free(vae);
    unlink(base);
    a2a_ctx_free(ctx);
}

/* Converter: missing folder, unsupported block type, groups not dividing the widths. */
TEST(test_vae_convert_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    char out[256], dir[256], cfg[300];
    tmp_path(out, sizeof out, "conv-err");
    CHECK(a2a_vae_convert(ctx, "/nonexistent-vae-dir", out, NULL) == A2A_ERR_NOT_FOUND);
    snprintf(dir, sizeof dir, "/tmp/a2a-test-vae-%d-dir", (int)getpid());
    mkdir(dir, 0700);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    const char *j1 = "{\"_class_name\":\"AutoencoderKL\",\"block_out_channels\":[16,32],"
                     "\"down_block_types\":[\"DownEncoderBlock2D\",\"CrossAttnDownBlock2D\"],"
                     "\"up_block_types\":[\"UpDecoderBlock2D\",\"UpDecoderBlock2D\"],\"norm_num_groups\":8}";
    CHECK(a2a_test_write_file(cfg, j1, strlen(j1)) == 0);
    CHECK(a2a_vae_convert(ctx, dir, out, NULL) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "CrossAttnDownBlock2D") != NULL);
    const char *j2 = "{\"_class_name\":\"AutoencoderKL\",\"block_out_channels\":[16,32],\"norm_num_groups\":6}";
    CHECK(a2a_test_write_file(cfg, j2, strlen(j2)) == 0);
    CHECK(a2a_vae_convert(ctx, dir, out, NULL) == A2A_ERR_INVALID_ARG);
    const char *j3 = "{\"_class_name\":\"AutoencoderKL\",\"block_out_channels\":[16,32],\"norm_num_groups\":8}";
    CHECK(a2a_test_write_file(cfg, j3, strlen(j3)) == 0);
    CHECK(a2a_vae_convert(ctx, dir, out, NULL) == A2A_ERR_NOT_FOUND); /* no weights */
    unlink(cfg);
    rmdir(dir);
    CHECK(access(out, F_OK) != 0);
    a2a_ctx_free(ctx);
}

/* Memory plan of Stable Diffusion 1.x's VAE (config alone, no weights): a 512x512 decode
   (64x64x4 latent) must fit well under 3 GB; the mid-block attention over 4096 tokens runs
   flash-style, so no 4096^2 score matrix appears in the plan. */
TEST(test_vae_sd_memory_plan) {
    a2a_vae_config c = {0};
    c.in_channels = c.out_channels = 3;
    c.latent_channels = 4;
    c.n_blocks = 4;
    const int boc[4] = {128, 256, 512, 512};
    memcpy(c.block_out_channels, boc, sizeof boc);
    c.layers_per_block = 2;
    c.norm_num_groups = 32;
    c.sample_size = 512;
    c.scaling_factor = 0.18215f;
    c.mid_block_add_attention = c.use_quant_conv = c.use_post_quant_conv = true;
    size_t dec = a2a_vae_config_decode_bytes(&c, 64, 64, 1), enc = a2a_vae_config_encode_bytes(&c, 512, 512, 1);
    size_t dec2 = a2a_vae_config_decode_bytes(&c, 64, 64, 2);
    fprintf(stderr, "SD VAE 512x512: decode %.1f MiB (batch 2: %.1f MiB), encode %.1f MiB\n", dec / 1048576.0,
            dec2 / 1048576.0, enc / 1048576.0);
    CHECK(dec > 0 && dec < (size_t)1536 << 20);
    CHECK(enc > 0 && enc < (size_t)1536 << 20);
    CHECK(dec2 == dec); /* batch items are decoded one at a time */
    c.norm_num_groups = 48; /* does not divide 128 */
    CHECK(a2a_vae_config_decode_bytes(&c, 64, 64, 1) == 0);
}

/* The shared ResnetBlock2D with a time embedding (UNet use) vs diffusers; weights in ref.gguf. */
TEST(test_resnet2d_temb) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "vae/ref.gguf")) {
        CHECK(0);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    int n_run = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "resnet2d") != 0) continue;
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%s_w", c->name);
        a2a_resnet2d r;
        a2a_status st = a2a_resnet2d_load(ctx, gf.g, prefix, a2a_golden_i32(c, "c_in", 0),
                                          a2a_golden_i32(c, "c_out", 0), a2a_golden_i32(c, "groups", 0),
                                          a2a_golden_f32(c, "eps", 0), a2a_golden_i32(c, "temb", 0), &r);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st != A2A_OK) continue;
        a2a_tensor got, x = *c->in[0];
        x.n_dims = 4;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        got.n_dims = 4;
        a2a_arena tmp;
        size_t need = a2a_resnet2d_tmp_bytes(&r, x.ne[0], x.ne[1], x.ne[3]);
        CHECK(need > 0 && a2a_arena_init(ctx, &tmp, need) == A2A_OK);
        st = a2a_resnet2d_fwd(ctx, NULL, &tmp, &got, &r, &x, c->in[1]);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) CHECK(a2a_golden_compare(c, &got, "ref"));
        /* missing time embedding, wrong temb width: clean shape errors */
        CHECK(a2a_resnet2d_fwd(ctx, NULL, &tmp, &got, &r, &x, NULL) == A2A_ERR_SHAPE);
        a2a_tensor bad = *c->in[1];
        bad.ne[0] -= 1;
        CHECK(a2a_resnet2d_fwd(ctx, NULL, &tmp, &got, &r, &x, &bad) == A2A_ERR_SHAPE);
        /* arena of half the stated need */
        a2a_arena small;
        a2a_arena_init_buffer(&small, tmp.base, need / 2);
        CHECK(a2a_resnet2d_fwd(ctx, NULL, &small, &got, &r, &x, c->in[1]) == A2A_ERR_NOMEM);
        /* groups not dividing the channels, missing tensors */
        CHECK(a2a_resnet2d_load(ctx, gf.g, prefix, r.c_in, r.c_out, 3, 1e-5f, 12, &r) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_resnet2d_load(ctx, gf.g, "nope", 8, 16, 4, 1e-5f, 12, &r) == A2A_ERR_NOT_FOUND);
        a2a_arena_free(&tmp);
        free(got.data);
        n_run++;
    }
    CHECK_EQ_INT(n_run, 2);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

TEST_MAIN(test_vae_tiny_f32, test_vae_mel_f16, test_vae_mel_deprecated_names, test_vae_tiny_f16_weights,
          test_vae_tiny_q8_attn, test_vae_bad_files,
          test_vae_bad_inputs, test_vae_convert_errors, test_vae_sd_memory_plan,
          test_resnet2d_temb)
