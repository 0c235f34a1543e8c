/* SpeechT5HifiGan (AudioLDM's vocoder) vs transformers (tools/ref/make_golden_hifigan.py): the
   committed transformers folders tests/golden/hifigan/plain (normalize_before, F32
   model.safetensors), hifigan/wn (weight norm applied before save_pretrained: the file holds
   parametrizations.weight.original0/1, folded by the converter; upsample kernel - rate odd, so
   the output is longer than frames x hop) and hifigan/wn_old (the same weights under the old
   weight_g/weight_v names in a pytorch_model.bin) are converted with a2a_hifigan_convert,
   loaded and run on random spectrograms of 5 and 13 frames.
   Tolerances: F32 weights: nmse <= 1e-10 and max abs <= 1e-5 (stored per case) at every kernel
   level, 1 and 2 threads; F16 weights (the converter's default): nmse <= 1e-5 (measured ~1e-7).
   Also: a bundle-style file (prefix "vocoder." via a2a_hifigan_convert_add), the tensor glue
   a2a_hifigan_decode (VAE-shaped [8, T, 1, N] input, strided items, trimmed output), and clean errors for
   n_frames 0 / negative / absurd, NULL buffers, missing or mis-shaped tensors (in the GGUF file
   and in the source checkpoint), missing metadata, inconsistent config.json. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "models/vocoder/hifigan.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "/tmp/a2a-test-hifigan-%d-%s", (int)getpid(), tag);
    return buf;
}

static const char *model_dir(char *buf, size_t cap, const char *name) {
    char rel[64];
    snprintf(rel, sizeof rel, "hifigan/%s", name);
    return a2a_golden_path(buf, cap, rel);
}

/* Convert tests/golden/hifigan/<name> (weights as type) to a temporary file and load it. */
static a2a_hifigan *convert_load(const char *name, a2a_type type, char *out, size_t cap) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], tag[64];
    snprintf(tag, sizeof tag, "%s-%d.gguf", name, (int)type);
    a2a_hifigan_convert_params p = a2a_hifigan_convert_default_params();
    p.conv_type = type;
    a2a_status st = a2a_hifigan_convert(ctx, model_dir(dir, sizeof dir, name), tmp_path(out, cap, tag), &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", name, a2a_last_error(ctx));
    a2a_hifigan *v = NULL;
    if (st == A2A_OK) {
        st = a2a_hifigan_load(ctx, out, &v);
        CHECK_MSG(st == A2A_OK, "load %s: %s", name, a2a_last_error(ctx));
    }
    a2a_ctx_free(ctx);
    return v;
}

/* Run golden case c on v; tol_nmse > 0 overrides the stored tolerances. */
static void run_case(const a2a_hifigan *v, const a2a_golden_case *c, a2a_threadpool *tp, const char *tag,
                     double tol_nmse) {
    a2a_ctx *ctx = a2a_ctx_new();
    const a2a_tensor *mel = c->in[0];
    const int64_t T = mel->ne[1];
    CHECK_EQ_INT(mel->ne[0], a2a_hifigan_get_config(v)->model_in_dim);
    const int64_t n = a2a_hifigan_n_samples(v, T);
    CHECK_EQ_INT(n, c->out->ne[0]);
    a2a_tensor got;
    CHECK(a2a_golden_alloc(&got, A2A_TYPE_F32, 1, (int64_t[1]){n}));
    int64_t ns = -1;
    a2a_status st = a2a_hifigan_forward(ctx, tp, v, (const float *)mel->data, T, (float *)got.data, &ns);
    CHECK_MSG(st == A2A_OK, "%s %s: %s", c->name, tag, a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK_EQ_INT(ns, n);
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

/* Convert folder `name` and run the cases named case_prefix_*; returns how many ran. */
static int run_model(const char *name, const char *case_prefix, a2a_type type, double tol, bool all_levels) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "hifigan/ref.gguf")) {
        CHECK(0);
        return 0;
    }
    char path[256];
    int n_run = 0;
    a2a_hifigan *v = convert_load(name, type, path, sizeof path);
    if (v) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
        a2a_kernel_level top = a2a_kernel_level_get();
        const size_t plen = strlen(case_prefix);
        for (int lv = all_levels ? 0 : (int)top; lv <= (int)top; lv++) {
            a2a_kernel_level_set((a2a_kernel_level)lv);
            for (int i = 0; i < gf.n_cases; i++) {
                const a2a_golden_case *c = &gf.cases[i];
                if (strncmp(c->name, case_prefix, plen) != 0 || c->name[plen] != '_') continue;
                char tag[32];
                snprintf(tag, sizeof tag, "L%d/t1", lv);
                run_case(v, c, NULL, tag, tol);
                snprintf(tag, sizeof tag, "L%d/t2", lv);
                run_case(v, c, tp, tag, tol);
                n_run++;
            }
        }
        a2a_kernel_level_set(top);
        a2a_threadpool_free(tp);
        a2a_ctx_free(ctx);
        a2a_hifigan_free(v);
    }
    unlink(path);
    a2a_golden_close(&gf);
    return n_run;
}

TEST(test_hifigan_plain_f32) { CHECK(run_model("plain", "plain", A2A_TYPE_F32, 0, true) >= 2); }
TEST(test_hifigan_weight_norm_f32) { CHECK(run_model("wn", "wn", A2A_TYPE_F32, 0, true) >= 2); }
TEST(test_hifigan_weight_norm_old_names_bin) { CHECK(run_model("wn_old", "wn", A2A_TYPE_F32, 0, false) == 2); }
TEST(test_hifigan_f16_weights) {
    CHECK(run_model("plain", "plain", A2A_TYPE_F16, 1e-5, false) == 2);
    CHECK(run_model("wn", "wn", A2A_TYPE_F16, 1e-5, false) == 2);
}

/* Bundle layout: convert_add with prefix "vocoder." next to other metadata; load_gguf with the
   prefix gives the reference output, without it fails cleanly. */
TEST(test_hifigan_bundle_prefix) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[1024], path[256];
    tmp_path(path, sizeof path, "bundle.gguf");
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    a2a_hifigan_convert_params p = a2a_hifigan_convert_default_params();
    p.conv_type = A2A_TYPE_F32;
    a2a_status st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", "audioldm");
    if (st == A2A_OK) st = a2a_hifigan_convert_add(ctx, w, model_dir(dir, sizeof dir, "wn"), "vocoder.", &p);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK) st = a2a_gguf_writer_write(ctx, w, path);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK(st == A2A_OK && a2a_gguf_open(ctx, path, &g) == A2A_OK);
    if (g) {
        CHECK(a2a_gguf_find_tensor(g, "vocoder.resblocks.3.convs2.1.weight") != NULL);
        CHECK(a2a_gguf_find_tensor(g, "vocoder.conv_pre.parametrizations.weight.original0") == NULL);
        a2a_hifigan *v = NULL;
        CHECK(a2a_hifigan_load_gguf(ctx, g, NULL, &v) == A2A_ERR_NOT_FOUND && v == NULL);
        st = a2a_hifigan_load_gguf(ctx, g, "vocoder.", &v);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (v) {
            CHECK_EQ_INT(a2a_hifigan_sample_rate(v), 16000);
            a2a_golden gf;
            if (a2a_golden_open(&gf, "hifigan/ref.gguf")) {
                const a2a_golden_case *c = a2a_golden_find(&gf, "wn_13");
                CHECK(c != NULL);
                if (c) run_case(v, c, NULL, "bundle", 0);
                a2a_golden_close(&gf);
            } else {
                CHECK(0);
            }
            a2a_hifigan_free(v);
        }
        a2a_gguf_close(g);
    }
    unlink(path);
    a2a_ctx_free(ctx);
}

/* Tensor glue: the golden mel as a VAE-output-shaped batch [8, T, 1, 2] (item 1 stored
   bins-major, i.e. a strided view), trimmed to n - 3 samples as diffusers' pipeline trims. */
TEST(test_hifigan_decode_tensor) {
    char path[256];
    a2a_hifigan *v = convert_load("wn", A2A_TYPE_F32, path, sizeof path);
    a2a_golden gf;
    if (!v || !a2a_golden_open(&gf, "hifigan/ref.gguf")) {
        CHECK(0);
        a2a_hifigan_free(v);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    const a2a_golden_case *c = a2a_golden_find(&gf, "wn_13");
    CHECK(c != NULL);
    if (c) {
        const int64_t D = 8, T = c->in[0]->ne[1], n = c->out->ne[0], keep = n - 3;
        CHECK_EQ_INT(a2a_hifigan_hop_length(v), 6);
        /* storage [T][D] for item 0 (frame-major) then [D][T] for item 1 */
        float *m = malloc(sizeof(float) * (size_t)(2 * D * T)), *w = calloc((size_t)(2 * keep), sizeof(float));
        const float *src = c->in[0]->data;
        for (int64_t t = 0; t < T; t++)
            for (int64_t k = 0; k < D; k++) m[t * D + k] = m[D * T + k * T + t] = src[t * D + k];
        /* a view whose item 1 has strides (T floats, 1 float): express it as two calls */
        a2a_tensor mel0, mel1, wv;
        a2a_tensor_init(&mel0, A2A_TYPE_F32, 4, (int64_t[4]){D, T, 1, 1}, m);
        a2a_tensor_init(&mel1, A2A_TYPE_F32, 4, (int64_t[4]){D, T, 1, 1}, m + D * T);
        mel1.nb[0] = (size_t)T * sizeof(float), mel1.nb[1] = sizeof(float);
        a2a_tensor_init(&wv, A2A_TYPE_F32, 2, (int64_t[2]){keep, 1}, w);
        CHECK_MSG(a2a_hifigan_decode(ctx, NULL, v, &mel0, &wv) == A2A_OK, "%s", a2a_last_error(ctx));
        wv.data = w + keep;
        CHECK_MSG(a2a_hifigan_decode(ctx, NULL, v, &mel1, &wv) == A2A_OK, "%s", a2a_last_error(ctx));
        const float *ref = c->out->data;
        for (int i = 0; i < 2; i++) {
            double e = a2a_test_nmse(w + i * keep, ref, (size_t)keep);
            CHECK_MSG(e <= 1e-10, "decode item %d nmse %g", i, e);
        }
        /* batch of 2 identical frame-major items in one call */
        float *mb = malloc(sizeof(float) * (size_t)(2 * D * T));
        memcpy(mb, m, sizeof(float) * (size_t)(D * T));
        memcpy(mb + D * T, m, sizeof(float) * (size_t)(D * T));
        a2a_tensor melb;
        a2a_tensor_init(&melb, A2A_TYPE_F32, 4, (int64_t[4]){D, T, 1, 2}, mb);
        a2a_tensor_init(&wv, A2A_TYPE_F32, 2, (int64_t[2]){keep, 2}, w);
        memset(w, 0, sizeof(float) * (size_t)(2 * keep));
        CHECK_MSG(a2a_hifigan_decode(ctx, NULL, v, &melb, &wv) == A2A_OK, "%s", a2a_last_error(ctx));
        CHECK(a2a_test_nmse(w + keep, ref, (size_t)keep) <= 1e-10 && a2a_test_nmse(w, ref, (size_t)keep) <= 1e-10);
        /* shape errors: wave longer than the waveform, wrong batch, wrong mel width */
        a2a_tensor_init(&wv, A2A_TYPE_F32, 2, (int64_t[2]){n + 1, 2}, w);
        CHECK(a2a_hifigan_decode(ctx, NULL, v, &melb, &wv) == A2A_ERR_SHAPE);
        a2a_tensor_init(&wv, A2A_TYPE_F32, 2, (int64_t[2]){keep, 1}, w);
        CHECK(a2a_hifigan_decode(ctx, NULL, v, &melb, &wv) == A2A_ERR_SHAPE);
        a2a_tensor_init(&melb, A2A_TYPE_F32, 4, (int64_t[4]){D - 1, T, 1, 1}, mb);
        CHECK(a2a_hifigan_decode(ctx, NULL, v, &melb, &wv) == A2A_ERR_SHAPE);
        free(mb);
        free(m);
        free(w);
    }
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
    a2a_hifigan_free(v);
    unlink(path);
}

TEST(test_hifigan_bad_inputs) {
    char path[256];
    a2a_hifigan *v = convert_load("plain", A2A_TYPE_F32, path, sizeof path);
    if (!v) return;
    a2a_ctx *ctx = a2a_ctx_new();
    float mel[8 * 4] = {0}, wave[64];
    int64_t ns = 7;
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, 0, wave, &ns) == A2A_ERR_INVALID_ARG && ns == 0);
    CHECK(strstr(a2a_last_error(ctx), "frames") != NULL);
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, -3, wave, &ns) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, A2A_HIFIGAN_MAX_FRAMES + 1, wave, &ns) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, INT64_MAX, wave, &ns) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_hifigan_forward(ctx, NULL, v, NULL, 4, wave, &ns) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, 4, NULL, &ns) == A2A_ERR_INVALID_ARG);
    CHECK_EQ_INT(a2a_hifigan_n_samples(v, 0), 0);
    CHECK_EQ_INT(a2a_hifigan_n_samples(v, INT64_MAX), 0);
    CHECK_EQ_INT(a2a_hifigan_n_samples(v, 4), 16);
    CHECK(a2a_hifigan_forward_bytes(v, 0) == 0 && a2a_hifigan_forward_bytes(v, 4) > 0);
    /* a valid call with NULL n_samples works */
    CHECK(a2a_hifigan_forward(ctx, NULL, v, mel, 4, wave, NULL) == A2A_OK);
    a2a_hifigan_free(v);
    a2a_ctx_free(ctx);
    unlink(path);
}

/* Copy GGUF src to dst leaving out tensors whose name contains skip (NULL: none), giving tensor
   `shrink` one fewer element along ne[0] and dropping metadata key `drop_key` (NULL: none). */
static bool rewrite(const char *src, const char *dst, const char *skip, const char *shrink, const char *drop_key) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_gguf_writer *w = NULL;
    bool ok = a2a_gguf_open(ctx, src, &g) == A2A_OK && a2a_gguf_writer_new(ctx, &w) == A2A_OK;
    for (int64_t i = 0; ok && i < a2a_gguf_n_kv(g); i++) {
        const char *key = a2a_gguf_key(g, i);
        if (drop_key && strcmp(key, drop_key) == 0) continue;
        a2a_gguf_vtype t = a2a_gguf_kv_type(g, i);
        if (t == A2A_GGUF_STRING) {
            size_t len;
            const char *s = a2a_gguf_kv_str(g, i, &len);
            ok = a2a_gguf_writer_set_strn(ctx, w, key, s, len) == A2A_OK;
        } else if (t == A2A_GGUF_ARRAY) {
            a2a_gguf_vtype et;
            uint64_t n;
            const void *data;
            ok = a2a_gguf_kv_arr(g, i, &et, &n, &data) && a2a_gguf_writer_set_arr(ctx, w, key, et, data, n) == A2A_OK;
        } else if (t == A2A_GGUF_BOOL) {
            bool b;
            ok = a2a_gguf_get_bool(ctx, g, key, &b) == A2A_OK && a2a_gguf_writer_set_bool(ctx, w, key, b) == A2A_OK;
        } else if (t == A2A_GGUF_FLOAT32) {
            float f;
            ok = a2a_gguf_get_f32(ctx, g, key, &f) == A2A_OK && a2a_gguf_writer_set_f32(ctx, w, key, f) == A2A_OK;
        } else {
            uint32_t u;
            ok = a2a_gguf_get_u32(ctx, g, key, &u) == A2A_OK && a2a_gguf_writer_set_u32(ctx, w, key, u) == A2A_OK;
        }
    }
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

static a2a_status try_load(a2a_ctx *ctx, const char *path) {
    a2a_hifigan *v = NULL;
    a2a_status st = a2a_hifigan_load(ctx, path, &v);
    CHECK((st == A2A_OK) == (v != NULL));
    a2a_hifigan_free(v);
    return st;
}

TEST(test_hifigan_bad_files) {
    char good[256], bad[256];
    a2a_hifigan *v = convert_load("plain", A2A_TYPE_F32, good, sizeof good);
    if (!v) return;
    a2a_hifigan_free(v);
    a2a_ctx *ctx = a2a_ctx_new();
    tmp_path(bad, sizeof bad, "bad.gguf");
    CHECK(rewrite(good, bad, NULL, NULL, NULL) && try_load(ctx, bad) == A2A_OK);
    CHECK(rewrite(good, bad, "resblocks.2.convs2.1.weight", NULL, NULL) && try_load(ctx, bad) == A2A_ERR_NOT_FOUND);
    CHECK(strstr(a2a_last_error(ctx), "resblocks.2.convs2.1.weight") != NULL);
    CHECK(rewrite(good, bad, "scale", NULL, NULL) && try_load(ctx, bad) == A2A_ERR_NOT_FOUND); /* normalize_before */
    CHECK(rewrite(good, bad, NULL, "upsampler.1.weight", NULL) && try_load(ctx, bad) == A2A_ERR_SHAPE);
    CHECK(rewrite(good, bad, NULL, "conv_pre.weight", NULL) && try_load(ctx, bad) == A2A_ERR_SHAPE);
    CHECK(rewrite(good, bad, NULL, "conv_post.bias", NULL) && try_load(ctx, bad) == A2A_ERR_SHAPE);
    CHECK(rewrite(good, bad, NULL, NULL, "hifigan.upsample_rates") && try_load(ctx, bad) == A2A_ERR_FORMAT);
    CHECK(rewrite(good, bad, NULL, NULL, "hifigan.model_in_dim") && try_load(ctx, bad) == A2A_ERR_FORMAT);
    CHECK(rewrite(good, bad, NULL, NULL, "hifigan.resblock_dilation_counts") && try_load(ctx, bad) == A2A_ERR_FORMAT);
    CHECK(try_load(ctx, "/nonexistent/hifigan.gguf") != A2A_OK);
    unlink(bad);
    unlink(good);
    a2a_ctx_free(ctx);
}

/* A source folder in tmp: config.json text + a "model.safetensors" that is really a GGUF file
   (the weights reader detects formats by magic) holding the plain model's state_dict minus
   `skip` / with `shrink` narrowed. */
static bool make_src(const char *dir, const char *config, const char *skip, const char *shrink) {
    char good[256], p[512];
    a2a_hifigan *v = convert_load("plain", A2A_TYPE_F32, good, sizeof good);
    if (!v) return false;
    a2a_hifigan_free(v);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/config.json", dir);
    bool ok = a2a_test_write_file(p, config, strlen(config)) == 0;
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    ok = ok && rewrite(good, p, skip, shrink, NULL);
    unlink(good);
    return ok;
}

static void rm_src(const char *dir) {
    char p[512];
    snprintf(p, sizeof p, "%s/config.json", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    unlink(p);
    rmdir(dir);
}

TEST(test_hifigan_convert_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    char dir[256], out[256], cfg[2048];
    tmp_path(dir, sizeof dir, "src");
    tmp_path(out, sizeof out, "conv.gguf");
    size_t cl = 0;
    {
        char src[1024], p[1100];
        snprintf(p, sizeof p, "%s/config.json", model_dir(src, sizeof src, "plain"));
        char *text = a2a_test_read_file(p, &cl);
        CHECK(text && cl < sizeof cfg);
        if (!text || cl >= sizeof cfg) {
            free(text);
            a2a_ctx_free(ctx);
            return;
        }
        memcpy(cfg, text, cl);
        cfg[cl] = '\0';
        free(text);
    }
    /* the complete folder converts */
    CHECK(make_src(dir, cfg, NULL, NULL));
    CHECK_MSG(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_OK, "%s", a2a_last_error(ctx));
    rm_src(dir);
    /* normalize_before without the mean/scale buffers: transformers keeps them at 0/1, i.e.
       the identity; the converter records normalize_before = false */
    CHECK(make_src(dir, cfg, "scale", NULL));
    CHECK_MSG(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_OK, "%s", a2a_last_error(ctx));
    {
        a2a_hifigan *v = NULL;
        CHECK(a2a_hifigan_load(ctx, out, &v) == A2A_OK);
        if (v) CHECK(!a2a_hifigan_get_config(v)->normalize_before);
        a2a_hifigan_free(v);
    }
    rm_src(dir);
    /* a missing tensor, a mis-shaped tensor */
    CHECK(make_src(dir, cfg, "resblocks.1.convs1.0.bias", NULL));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_NOT_FOUND);
    CHECK(strstr(a2a_last_error(ctx), "resblocks.1.convs1.0.bias") != NULL);
    rm_src(dir);
    CHECK(make_src(dir, cfg, NULL, "resblocks.3.convs2.1.weight"));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_SHAPE);
    rm_src(dir);
    /* config widths that do not match the weights */
    char wide[2100];
    const char *at = strstr(cfg, "\"upsample_initial_channel\": 16");
    CHECK(at != NULL);
    if (at) {
        snprintf(wide, sizeof wide, "%.*s\"upsample_initial_channel\": 32%s", (int)(at - cfg), cfg,
                 at + strlen("\"upsample_initial_channel\": 16"));
        CHECK(make_src(dir, wide, NULL, NULL));
        CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_SHAPE);
        rm_src(dir);
    }
    /* inconsistent lists, wrong model type, even resblock kernel */
    CHECK(make_src(dir, "{\"model_type\": \"hifigan\", \"upsample_rates\": [2, 2], \"upsample_kernel_sizes\": [4]}",
                   NULL, NULL));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_FORMAT);
    rm_src(dir);
    CHECK(make_src(dir, "{\"model_type\": \"bert\"}", NULL, NULL));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_UNSUPPORTED);
    rm_src(dir);
    CHECK(make_src(dir, "{\"resblock_kernel_sizes\": [4], \"resblock_dilation_sizes\": [[1]]}", NULL, NULL));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_UNSUPPORTED);
    rm_src(dir);
    CHECK(make_src(dir, "{\"upsample_initial_channel\": 4, \"upsample_rates\": [2, 2, 2, 2], \"upsample_kernel_sizes\": [4, 4, 4, 4]}",
                   NULL, NULL));
    CHECK(a2a_hifigan_convert(ctx, dir, out, NULL) == A2A_ERR_FORMAT);
    rm_src(dir);
    /* no folder, bad target type */
    CHECK(a2a_hifigan_convert(ctx, "/nonexistent-dir", out, NULL) == A2A_ERR_NOT_FOUND);
    a2a_hifigan_convert_params p = a2a_hifigan_convert_default_params();
    p.conv_type = A2A_TYPE_Q8_0;
    char src[1024];
    CHECK(a2a_hifigan_convert(ctx, model_dir(src, sizeof src, "plain"), out, &p) == A2A_ERR_UNSUPPORTED);
    unlink(out);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_hifigan_plain_f32, test_hifigan_weight_norm_f32, test_hifigan_weight_norm_old_names_bin,
          test_hifigan_f16_weights, test_hifigan_bundle_prefix, test_hifigan_decode_tensor, test_hifigan_bad_inputs, test_hifigan_bad_files,
          test_hifigan_convert_errors)
