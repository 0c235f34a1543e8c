/* ImageBind encoder + converter vs the upstream imagebind-packaged 0.1.2 ImageBindModel
   (tools/ref/make_golden_imagebind.py): tests/golden/imagebind/tiny.pth (the upstream
   state_dict of a tiny model, torch.save'd) is converted by a2a_imagebind_convert at F32, F16
   and Q8_0, loaded, and run on every golden case:
     vision_image   one random image (PadIm2Video repeat)      vision_video  2 clips of 2 frames
     audio_3clips   3 fbank clips, upstream output (logit-scaled, mean over clips)
     audio_3clips_unit  same without the logit scale         audio_1clip   one clip
     text_2seq      2 token sequences, upstream output (scale clipped at 100)
     text_2seq_unit same without the scale
     image_png      image.png -> a2a_image_to_imagebind -> vision (file to embedding)
   Random inputs are regenerated with hash_fill (bit-identical to the Python script).
   Tolerances: F32 weights: the stored ones (nmse 1e-11, max abs 1e-4; measured <= 1.5e-13 at
   every kernel level); F16 matmul/conv weights: nmse 5e-6 (measured <= 6.3e-7); Q8_0 matmul
   weights: nmse 5e-4 (measured <= 7.1e-5; tiny widths make the relative quantization error
   large). Hostile inputs: missing tensor, wrong shape,
   unexpected tensor, head count not dividing the width, non-ImageBind GGUF, a file without
   the audio tower, bad n_clips/n_frames/token ids -> clean errors. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"
#include "io/weights.h"
#include "media/image.h"
#include "media/image_preprocess.h"
#include "models/encoders/imagebind.h"
#include "models/encoders/imagebind_convert.h"

#include <unistd.h>

#define TINY "imagebind/tiny.pth"
#define REF "imagebind/ref.gguf"

/* Same as hash_fill in tools/ref/make_golden_imagebind.py. */
static void hash_fill(float *x, size_t n, uint32_t seed, float amp) {
    for (size_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)((uint64_t)i * 2654435761u + (uint64_t)seed * 0x9E3779B9u);
        h ^= h >> 16;
        h *= 0x7FEB352Du;
        h ^= h >> 15;
        h *= 0x846CA68Bu;
        h ^= h >> 16;
        double k = (double)(h >> 8);
        x[i] = (float)((k / (double)(1 << 23) - 1.0) * amp);
    }
}

/* Tiny widths need explicit head counts (2 everywhere). */
static a2a_imagebind_convert_params tiny_params(a2a_type type) {
    a2a_imagebind_convert_params p = a2a_imagebind_convert_default_params();
    p.type = type;
    p.vision_n_head = p.audio_n_head = p.text_n_head = 2;
    return p;
}

/* Unique temp path in the working directory. */
static const char *tmp_path(char *buf, size_t cap, const char *tag) {
    snprintf(buf, cap, "imagebind_test_%d_%s.gguf", (int)getpid(), tag);
    return buf;
}

/* Convert tiny.pth at type into path. */
static bool convert_tiny(a2a_type type, const char *path) {
    a2a_ctx *ctx = a2a_ctx_new();
    char src[1024];
    a2a_imagebind_convert_params p = tiny_params(type);
    a2a_status st = a2a_imagebind_convert(ctx, a2a_golden_path(src, sizeof src, TINY), path, &p);
    CHECK_MSG(st == A2A_OK, "convert %s: %s", a2a_type_name(type), a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return st == A2A_OK;
}

/* Run one golden case on m into got (sized like c->out). */
static a2a_status run_case(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const a2a_golden_case *c, float *got) {
    const size_t S = A2A_IMAGEBIND_IMAGE_SIZE;
    a2a_status st = A2A_ERR_INVALID_ARG;
    if (!strcmp(c->op, "vision")) {
        int nc = a2a_golden_i32(c, "n_clips", 1), nf = a2a_golden_i32(c, "n_frames", 1);
        size_t n = (size_t)nc * 3 * (size_t)nf * S * S;
        float *x = malloc(n * sizeof(float));
        hash_fill(x, n, (uint32_t)a2a_golden_i32(c, "seed", 0), a2a_golden_f32(c, "amp", 1));
        st = a2a_imagebind_embed_vision(ctx, tp, m, x, nc, nf, got);
        free(x);
    } else if (!strcmp(c->op, "audio")) {
        int nc = a2a_golden_i32(c, "n_clips", 1);
        size_t n = (size_t)nc * A2A_IMAGEBIND_MEL_BINS * A2A_IMAGEBIND_AUDIO_FRAMES;
        float *x = malloc(n * sizeof(float));
        hash_fill(x, n, (uint32_t)a2a_golden_i32(c, "seed", 0), a2a_golden_f32(c, "amp", 1));
        bool unit = a2a_golden_i32(c, "scale", 1) == 0;
        st = unit ? a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_AUDIO, x, nc, 1, true, got)
                  : a2a_imagebind_embed_audio(ctx, tp, m, x, nc, got);
        free(x);
    } else if (!strcmp(c->op, "text")) {
        const a2a_tensor *ids = c->in[0];
        int n = (int)ids->ne[1];
        bool unit = a2a_golden_i32(c, "scale", 1) == 0;
        st = unit ? a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_TEXT, ids->data, n, 1, true, got)
                  : a2a_imagebind_embed_text(ctx, tp, m, (const int32_t *)ids->data, n, got);
    } else if (!strcmp(c->op, "image")) {
        char path[1024];
        a2a_image img;
        st = a2a_image_load(ctx, a2a_golden_path(path, sizeof path, "imagebind/image.png"), NULL, &img);
        if (st) return st;
        float *x = malloc(3 * S * S * sizeof(float));
        st = a2a_image_to_imagebind(ctx, &img, x);
        if (!st) st = a2a_imagebind_embed_vision(ctx, tp, m, x, 1, 1, got);
        free(x);
        a2a_image_free(&img);
    }
    return st;
}

/* Every case at one weight type; tol_nmse 0 means the stored tolerances. */
static void check_type(a2a_type type, double tol_nmse, int n_threads) {
    char path[256];
    tmp_path(path, sizeof path, a2a_type_name(type));
    if (!convert_tiny(type, path)) return;
    a2a_golden gf;
    if (!a2a_golden_open(&gf, REF)) {
        CHECK(0);
        unlink(path);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    if (n_threads > 1) CHECK(a2a_threadpool_new(ctx, n_threads, &tp) == A2A_OK);
    a2a_imagebind *m = NULL;
    a2a_status st = a2a_imagebind_load(ctx, path, &m);
    CHECK_MSG(st == A2A_OK, "load: %s", a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK_EQ_INT(a2a_imagebind_out_dim(m), 16);
        CHECK(a2a_imagebind_has(m, A2A_IMAGEBIND_VISION) && a2a_imagebind_has(m, A2A_IMAGEBIND_AUDIO) &&
              a2a_imagebind_has(m, A2A_IMAGEBIND_TEXT));
        CHECK(gf.n_cases == 8);
        for (int i = 0; i < gf.n_cases; i++) {
            const a2a_golden_case *c = &gf.cases[i];
            a2a_tensor got;
            if (!a2a_golden_alloc_like(&got, c->out)) { CHECK(0); continue; }
            st = run_case(ctx, tp, m, c, got.data);
            CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
            if (st == A2A_OK) {
                char tag[32];
                snprintf(tag, sizeof tag, "%s/%dt", a2a_type_name(type), n_threads);
                if (tol_nmse == 0) {
                    CHECK_MSG(a2a_golden_compare(c, &got, tag), "%s %s", c->name, tag);
                } else {
                    a2a_golden_metrics mt;
                    a2a_golden_measure(&got, c->out, &mt);
                    const char *v = getenv("A2A_GOLDEN_VERBOSE");
                    if (v && v[0] == '1')
                        fprintf(stderr, "golden %s: %-20s [%s] nmse %.3e (tol %.1e) max_abs %.3e\n",
                                mt.nmse <= tol_nmse ? "ok  " : "FAIL", c->name, tag, mt.nmse, tol_nmse, mt.max_abs);
                    CHECK_MSG(mt.shape_ok && mt.nmse <= tol_nmse, "%s [%s]: nmse %.3e > %.1e", c->name, tag, mt.nmse,
                              tol_nmse);
                }
            }
            free(got.data);
        }
    }
    a2a_imagebind_free(m);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
    unlink(path);
}

TEST(golden_f32) { check_type(A2A_TYPE_F32, 0, 1); }
TEST(golden_f32_threads) { check_type(A2A_TYPE_F32, 0, 2); }
TEST(golden_f16) { check_type(A2A_TYPE_F16, 5e-6, 2); }
TEST(golden_q8_0) { check_type(A2A_TYPE_Q8_0, 5e-4, 2); }

/* ---------------------------------------------------------------- hostile inputs */

/* What to change when copying a GGUF. */
typedef struct edit {
    const char *drop;          /* tensor name to leave out, or a prefix ending in '.' */
    const char *reshape;       /* tensor to write with its ne[0] halved (an F32 tensor) */
    const char *extra;         /* extra tensor name to add (4 floats) */
    const char *arch;          /* replace general.architecture (NULL: keep) */
    const char *drop_keys;     /* leave out metadata keys with this prefix */
    bool no_kv;                /* copy no metadata at all (a "checkpoint" GGUF) */
} edit;

static bool kv_filter(const char *key, void *user) {
    const edit *e = user;
    if (e->arch && !strcmp(key, "general.architecture")) return false;
    if (e->drop_keys && !strncmp(key, e->drop_keys, strlen(e->drop_keys))) return false;
    return true;
}

/* Copy the tensors (and metadata) of src into dst with the edits applied. Source tensors come
   from any weight file (the torch checkpoint included), written unchanged (F32). */
static bool copy_edit(const char *src, const char *dst, const edit *e) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_weights *w = NULL;
    a2a_gguf_writer *gw = NULL;
    static float extra[4] = {1, 2, 3, 4};
    bool ok = a2a_weights_open(ctx, src, &w) == A2A_OK && a2a_gguf_writer_new(ctx, &gw) == A2A_OK;
    if (ok && !e->no_kv && a2a_weights_gguf(w))
        ok = a2a_gguf_writer_copy_kv(ctx, gw, a2a_weights_gguf(w), kv_filter, (void *)e) == A2A_OK;
    if (ok && e->arch) ok = a2a_gguf_writer_set_str(ctx, gw, "general.architecture", e->arch) == A2A_OK;
    for (int64_t i = 0; ok && i < a2a_weights_n_tensors(w); i++) {
        const a2a_tensor *t = a2a_weights_tensor(w, i);
        if (e->drop) {
            size_t n = strlen(e->drop);
            if (e->drop[n - 1] == '.' ? !strncmp(t->name, e->drop, n) : !strcmp(t->name, e->drop)) continue;
        }
        int64_t ne[5];
        memcpy(ne, t->ne, sizeof ne);
        int nd = t->n_dims < 1 ? 1 : t->n_dims;
        if (e->reshape && !strcmp(t->name, e->reshape)) ne[0] /= 2;
        ok = a2a_tensor_is_contiguous(t) &&
             a2a_gguf_writer_add_tensor(ctx, gw, t->name, t->type, nd, ne, t->data) == A2A_OK;
    }
    if (ok && e->extra) ok = a2a_gguf_writer_add_tensor(ctx, gw, e->extra, A2A_TYPE_F32, 1, (int64_t[1]){4}, extra) == A2A_OK;
    if (ok) ok = a2a_gguf_writer_write(ctx, gw, dst) == A2A_OK;
    CHECK_MSG(ok, "copy %s -> %s: %s", src, dst, a2a_last_error(ctx));
    a2a_gguf_writer_free(gw);
    a2a_weights_close(w);
    a2a_ctx_free(ctx);
    return ok;
}

/* Convert src (a checkpoint) and expect status want with a message containing `needle`. */
static void expect_convert(const char *src, a2a_status want, const char *needle, const a2a_imagebind_convert_params *p) {
    char out[256];
    tmp_path(out, sizeof out, "hostile_out");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_imagebind_convert(ctx, src, out, p);
    CHECK_MSG(st == want, "convert %s: got %s (%s), want %s", src, a2a_status_str(st), a2a_last_error(ctx),
              a2a_status_str(want));
    if (needle) CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(access(out, F_OK) != 0); /* nothing written on failure */
    unlink(out);
    a2a_ctx_free(ctx);
}

/* Load path and expect status want with a message containing needle. */
static void expect_load(const char *path, a2a_status want, const char *needle) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_imagebind *m = NULL;
    a2a_status st = a2a_imagebind_load(ctx, path, &m);
    CHECK_MSG(st == want, "load: got %s (%s), want %s", a2a_status_str(st), a2a_last_error(ctx), a2a_status_str(want));
    if (needle) CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(m == NULL);
    a2a_imagebind_free(m);
    a2a_ctx_free(ctx);
}

TEST(hostile_convert) {
    char tiny[1024], ck[256];
    a2a_golden_path(tiny, sizeof tiny, TINY);
    tmp_path(ck, sizeof ck, "ck");
    a2a_imagebind_convert_params p = tiny_params(A2A_TYPE_F32);
    /* the checkpoint as a GGUF of upstream names converts like the .pth */
    edit e0 = {.no_kv = true};
    if (copy_edit(tiny, ck, &e0)) {
        char out[256];
        tmp_path(out, sizeof out, "from_gguf");
        a2a_ctx *ctx = a2a_ctx_new();
        CHECK_MSG(a2a_imagebind_convert(ctx, ck, out, &p) == A2A_OK, "%s", a2a_last_error(ctx));
        unlink(out);
        a2a_ctx_free(ctx);
    }
    edit e1 = {.no_kv = true, .drop = "modality_trunks.audio.blocks.1.mlp.fc2.bias"};
    if (copy_edit(tiny, ck, &e1)) expect_convert(ck, A2A_ERR_NOT_FOUND, "modality_trunks.audio.blocks.1.mlp.fc2.bias", &p);
    edit e2 = {.no_kv = true, .reshape = "modality_trunks.vision.blocks.0.norm_2.weight"};
    if (copy_edit(tiny, ck, &e2)) expect_convert(ck, A2A_ERR_SHAPE, "modality_trunks.vision.blocks.0.norm_2.weight", &p);
    edit e3 = {.no_kv = true, .extra = "modality_trunks.vision.blocks.0.attn.mystery"};
    if (copy_edit(tiny, ck, &e3)) expect_convert(ck, A2A_ERR_UNSUPPORTED, "mystery", &p);
    /* head count that does not divide the width; default heads for a 32-wide tower */
    a2a_imagebind_convert_params p3 = p;
    p3.vision_n_head = 3;
    expect_convert(tiny, A2A_ERR_INVALID_ARG, "vision", &p3);
    a2a_imagebind_convert_params pd = a2a_imagebind_convert_default_params();
    expect_convert(tiny, A2A_ERR_INVALID_ARG, "head count", &pd);
    /* unsupported target type */
    a2a_imagebind_convert_params pq = p;
    pq.type = A2A_TYPE_Q4_K;
    expect_convert(tiny, A2A_ERR_UNSUPPORTED, "q4_K", &pq);
    /* not a checkpoint at all / missing file */
    expect_convert("/nonexistent/imagebind.pth", A2A_ERR_IO, NULL, &p);
    char ref[1024];
    expect_convert(a2a_golden_path(ref, sizeof ref, REF), A2A_ERR_NOT_FOUND, "no ImageBind", &p);
    unlink(ck);
}

TEST(hostile_load) {
    char good[256], bad[256];
    tmp_path(good, sizeof good, "good");
    tmp_path(bad, sizeof bad, "bad");
    if (!convert_tiny(A2A_TYPE_F32, good)) return;
    edit e1 = {.drop = "modality_heads.text.proj.0.bias"};
    if (copy_edit(good, bad, &e1)) expect_load(bad, A2A_ERR_NOT_FOUND, "modality_heads.text.proj.0.bias");
    edit e2 = {.reshape = "modality_preprocessors.audio.rgbt_stem.norm_layer.bias"};
    if (copy_edit(good, bad, &e2)) expect_load(bad, A2A_ERR_SHAPE, "norm_layer.bias");
    edit e3 = {.arch = "llama"};
    if (copy_edit(good, bad, &e3)) expect_load(bad, A2A_ERR_FORMAT, "not an ImageBind");
    char ref[1024];
    expect_load(a2a_golden_path(ref, sizeof ref, REF), A2A_ERR_FORMAT, "not an ImageBind");
    expect_load("/nonexistent/imagebind.gguf", A2A_ERR_IO, NULL);
    /* tensors without metadata: the audio keys gone but the tensors kept -> audio unavailable */
    edit e4 = {.drop_keys = "imagebind.audio.", .drop = "modality_trunks.audio."};
    if (copy_edit(good, bad, &e4)) {
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_imagebind *m = NULL;
        a2a_status st = a2a_imagebind_load(ctx, bad, &m);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) {
            CHECK(!a2a_imagebind_has(m, A2A_IMAGEBIND_AUDIO) && a2a_imagebind_has(m, A2A_IMAGEBIND_VISION));
            float fb[A2A_IMAGEBIND_MEL_BINS * A2A_IMAGEBIND_AUDIO_FRAMES] = {0}, out[16];
            CHECK(a2a_imagebind_embed_audio(ctx, NULL, m, fb, 1, out) == A2A_ERR_UNSUPPORTED);
            CHECK(strstr(a2a_last_error(ctx), "audio") != NULL);
            int32_t ids[77] = {49406, 320, 49407};
            CHECK(a2a_imagebind_embed_text(ctx, NULL, m, ids, 1, out) == A2A_OK);
        }
        a2a_imagebind_free(m);
        a2a_ctx_free(ctx);
    }
    /* the audio metadata present but a block's tensors missing -> error (not "unavailable") */
    edit e5 = {.drop = "modality_trunks.audio.blocks.1."};
    if (copy_edit(good, bad, &e5)) expect_load(bad, A2A_ERR_NOT_FOUND, "audio");
    unlink(bad);
    unlink(good);
}

TEST(hostile_calls) {
    char good[256];
    tmp_path(good, sizeof good, "calls");
    if (!convert_tiny(A2A_TYPE_F16, good)) return;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_imagebind *m = NULL;
    CHECK_MSG(a2a_imagebind_load(ctx, good, &m) == A2A_OK, "%s", a2a_last_error(ctx));
    if (m) {
        float *x = calloc(3 * 2 * 224 * 224, sizeof(float)), out[16 * 2];
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, x, 0, 1, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, x, -3, 1, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, x, 1 << 30, 1, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, x, 1, 3, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, NULL, 1, 1, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_audio(ctx, NULL, m, x, 0, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed_audio(ctx, NULL, m, x, 100000, out) == A2A_ERR_INVALID_ARG);
        CHECK(a2a_imagebind_embed(ctx, NULL, m, (a2a_imagebind_modality)7, x, 1, 1, true, out) == A2A_ERR_INVALID_ARG);
        int32_t ids[2 * 77] = {49406, 320, 49407};
        CHECK(a2a_imagebind_embed_text(ctx, NULL, m, ids, 0, out) == A2A_ERR_INVALID_ARG);
        ids[77 + 5] = 49408; /* one past the vocabulary */
        CHECK(a2a_imagebind_embed_text(ctx, NULL, m, ids, 2, out) == A2A_ERR_INVALID_ARG);
        CHECK(strstr(a2a_last_error(ctx), "49408") != NULL);
        ids[77 + 5] = -1;
        CHECK(a2a_imagebind_embed_text(ctx, NULL, m, ids, 2, out) == A2A_ERR_INVALID_ARG);
        /* an image is a unit vector; the model still works after the errors */
        CHECK(a2a_imagebind_embed_vision(ctx, NULL, m, x, 1, 1, out) == A2A_OK);
        double ss = 0;
        for (int i = 0; i < 16; i++) ss += (double)out[i] * out[i];
        CHECK_NEAR(ss, 1.0, 1e-5);
        free(x);
    }
    a2a_imagebind_free(m);
    a2a_ctx_free(ctx);
    unlink(good);
}

TEST_MAIN(golden_f32, golden_f32_threads, golden_f16, golden_q8_0, hostile_convert, hostile_load, hostile_calls)
