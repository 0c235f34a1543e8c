/* ImageBind's video front end (src/media/video_imagebind.c) and the float bilinear resize
   (src/media/image_resize_f32.c) against tests/golden/video_ib/video_ib.gguf, made by
   tools/ref/make_golden_video_ib.py (torch float32 ports of imagebind data.py + pytorchvideo,
   applied to the frames the ffmpeg CLI decodes from the .mp4 files in tests/media/data/video_ib).

   Tolerances (stated in the golden file, per case):
     resize_*  torch.nn.functional.interpolate bilinear: bit-exact (max abs 0) where torch uses
               its generic kernel (oh + ow > 128); 5e-6 max abs (values in [-2, 2]) for the tiny
               outputs where torch switches to another kernel (other weight/rounding order,
               measured up to 2.7e-6 apart).
     frame_*   one exact rgb24 frame -> /255, ShortSideScale, Normalize, 3 crops: 1e-6 max abs.
     vib_*     the whole video: frame indices equal, selected frames' rgb24 bytes equal to the
               ffmpeg CLI's (CRC-32), clips within 1e-6 max abs at 16x16 sampled positions
               of every plane of all 15 clips.
   The video cases need FFmpeg at build time; without it they check A2A_ERR_UNSUPPORTED. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include "media/image_resize_f32.h"
#include "media/video_imagebind.h"

#include "media/image_preprocess.h"

#define VDIR A2A_SOURCE_DIR "/tests/media/data/video_ib/"
#define NS 16 /* sampled positions per axis */

static a2a_ctx *ctx;
static a2a_golden gf;
static int golden_ok;

/* CRC-32 (zlib's polynomial 0xEDB88320), as Python's zlib.crc32. */
static uint32_t crc32_bytes(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static int have_ffmpeg(void) {
    a2a_video_info vi;
    return a2a_video_probe(ctx, VDIR "land_320x240_10fps_7s.mp4", &vi) != A2A_ERR_UNSUPPORTED;
}

/* Sample clips [n_clip][3][2][224][224] at ys x xs into got [n_clip][3][2][NS][NS]. */
static void sample_clips(const float *clips, int n_clip, int n_t, const int32_t *ys, const int32_t *xs, float *got) {
    size_t k = 0;
    for (int i = 0; i < n_clip; i++)
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < n_t; t++) {
                const float *p = clips + (size_t)i * A2A_VIDEO_IB_CLIP_FLOATS + ((size_t)c * 2 + (size_t)t) * 224 * 224;
                for (int a = 0; a < NS; a++)
                    for (int b = 0; b < NS; b++) got[k++] = p[(size_t)ys[a] * 224 + (size_t)xs[b]];
            }
}

TEST(open_golden) {
    golden_ok = a2a_golden_open(&gf, "video_ib/video_ib.gguf");
    CHECK_MSG(golden_ok, "cannot open the golden file");
}

TEST(resize_golden) {
    if (!golden_ok) return;
    int n = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "resize_bilinear") != 0) continue;
        n++;
        const a2a_tensor *x = c->in[0]; /* [w, h, planes] */
        CHECK(x->type == A2A_TYPE_F32 && c->out->ne[0] == a2a_golden_i32(c, "ow", -1) &&
              c->out->ne[1] == a2a_golden_i32(c, "oh", -1));
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out));
        a2a_status s = a2a_resize_bilinear_f32(ctx, (const float *)x->data, x->ne[0], x->ne[1], x->ne[2], c->out->ne[0],
                                               c->out->ne[1], (float *)got.data);
        CHECK_MSG(s == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        CHECK(a2a_golden_compare(c, &got, "resize"));
        free(got.data);
    }
    CHECK_EQ_INT(n, 8);
}

TEST(frame_golden) {
    if (!golden_ok) return;
    int n = 0;
    float *buf = malloc((size_t)3 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
    for (int i = 0; i < gf.n_cases && buf; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "video_ib_frame") != 0) continue;
        n++;
        const a2a_tensor *x = c->in[0]; /* int16 [3, w, h] */
        CHECK(x->type == A2A_TYPE_I16 && x->ne[0] == 3);
        a2a_image img = {(int32_t)x->ne[1], (int32_t)x->ne[2], 3, malloc((size_t)x->ne[1] * x->ne[2] * 3)};
        for (size_t k = 0; k < (size_t)x->ne[1] * x->ne[2] * 3; k++) img.data[k] = (uint8_t)((const int16_t *)x->data)[k];
        int32_t ys[NS] = {0}, xs[NS] = {0};
        CHECK(a2a_golden_ints(c, "ys", ys, NS) == NS && a2a_golden_ints(c, "xs", xs, NS) == NS);
        memset(buf, 0, (size_t)3 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
        a2a_status s = a2a_video_imagebind_frame(ctx, &img, 0, 0, buf);
        CHECK_MSG(s == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        a2a_tensor got;
        CHECK(a2a_golden_alloc_like(&got, c->out)); /* [NS, NS, 3 channels, 3 crops] */
        sample_clips(buf, 3, 1, ys, xs, (float *)got.data); /* t = 0 only: [crop][c][NS][NS] */
        CHECK(a2a_golden_compare(c, &got, "frame"));
        free(got.data);
        a2a_image_free(&img);
    }
    free(buf);
    CHECK_EQ_INT(n, 2);
}

/* One vib_ case: indices, frame bytes, clips from the path and from memory. */
static void check_video_case(const a2a_golden_case *c) {
    char path[1024];
    const char *fn = NULL;
    size_t fl = 0;
    char key[160];
    snprintf(key, sizeof key, "%s.file", c->name);
    CHECK(a2a_gguf_get_str(gf.ctx, gf.g, key, &fn, &fl) == A2A_OK);
    if (!fn) return;
    snprintf(path, sizeof path, VDIR "%.*s", (int)fl, fn);
    int32_t idx_ref[10] = {0}, crc_ref[10] = {0}, ys[NS] = {0}, xs[NS] = {0};
    CHECK(a2a_golden_ints(c, "idx", idx_ref, 10) == 10 && a2a_golden_ints(c, "crc", crc_ref, 10) == 10);
    CHECK(a2a_golden_ints(c, "ys", ys, NS) == NS && a2a_golden_ints(c, "xs", xs, NS) == NS);
    const int32_t nf = a2a_golden_i32(c, "n_frames", -1);
    const double fps_ref = (double)a2a_golden_i32(c, "fps_num", 0) / (double)a2a_golden_i32(c, "fps_den", 1);
    /* what decord would report */
    a2a_video_info vi;
    CHECK_MSG(a2a_video_probe(ctx, path, &vi) == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    CHECK_EQ_INT(vi.n_frames_est, nf);
    CHECK_MSG(vi.fps == fps_ref, "%s: fps %.17g want %.17g", c->name, vi.fps, fps_ref);
    /* frame selection */
    int64_t idx[10];
    CHECK(a2a_video_imagebind_frame_indices(ctx, nf, fps_ref, idx) == A2A_OK);
    for (int k = 0; k < 10; k++) CHECK_MSG(idx[k] == idx_ref[k], "%s: idx[%d] = %lld want %d", c->name, k, (long long)idx[k], idx_ref[k]);
    /* the decoded frames are byte-identical to the ffmpeg CLI's */
    double times[10];
    for (int k = 0; k < 10; k++) times[k] = a2a_video_imagebind_frame_time(idx_ref[k], fps_ref);
    a2a_image fr[10];
    a2a_status s = a2a_video_frames_at(ctx, path, times, 10, NULL, fr);
    CHECK_MSG(s == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    for (int k = 0; k < 10 && s == A2A_OK; k++) {
        uint32_t crc = crc32_bytes(fr[k].data, (size_t)fr[k].w * fr[k].h * 3);
        CHECK_MSG((int32_t)crc == crc_ref[k], "%s: frame %d (index %d) differs from the ffmpeg CLI's", c->name, k, idx_ref[k]);
    }
    for (int k = 0; k < 10 && s == A2A_OK; k++) a2a_image_free(&fr[k]);
    /* the whole front end */
    float *clips = NULL;
    int n_clips = 0;
    s = a2a_video_to_imagebind(ctx, path, NULL, &clips, &n_clips);
    CHECK_MSG(s == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    if (s != A2A_OK) return;
    CHECK_EQ_INT(n_clips, A2A_VIDEO_IB_N_CLIPS);
    a2a_tensor got;
    CHECK(a2a_golden_alloc_like(&got, c->out)); /* [NS, NS, 2, 3, 15] */
    sample_clips(clips, 15, 2, ys, xs, (float *)got.data);
    CHECK(a2a_golden_compare(c, &got, "file"));
    /* the memory variant gives the same floats */
    size_t len = 0;
    void *data = a2a_test_read_file(path, &len);
    float *clips2 = NULL;
    int n2 = 0;
    s = a2a_video_to_imagebind_memory(ctx, data, len, NULL, &clips2, &n2);
    CHECK_MSG(s == A2A_OK, "%s (memory): %s", path, a2a_last_error(ctx));
    if (s == A2A_OK) {
        CHECK_EQ_INT(n2, 15);
        CHECK(memcmp(clips, clips2, (size_t)15 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float)) == 0);
    }
    free(clips2);
    free(data);
    free(clips);
    free(got.data);
}

TEST(video_golden) {
    if (!golden_ok) return;
    if (!have_ffmpeg()) {
        float *clips = (float *)1;
        int n = 7;
        CHECK(a2a_video_to_imagebind(ctx, VDIR "land_320x240_10fps_7s.mp4", NULL, &clips, &n) == A2A_ERR_UNSUPPORTED);
        CHECK(clips == NULL && n == 0);
        return;
    }
    int n = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "video_imagebind") != 0) continue;
        n++;
        check_video_case(c);
    }
    CHECK_EQ_INT(n, 4);
}

/* Frame selection rules without a file: short videos, the last clip, odd and tiny rates. */
TEST(frame_indices) {
    int64_t idx[10];
    /* 1 frame: every clip is frame 0 */
    CHECK(a2a_video_imagebind_frame_indices(ctx, 1, 25.0, idx) == A2A_OK);
    for (int k = 0; k < 10; k++) CHECK_EQ_INT(idx[k], 0);
    /* 10 s at 30 fps: clip k starts at 2k s -> frames 60k .. 60k+59 */
    CHECK(a2a_video_imagebind_frame_indices(ctx, 300, 30.0, idx) == A2A_OK);
    for (int k = 0; k < 5; k++) {
        CHECK_EQ_INT(idx[2 * k], 60 * k);
        CHECK_EQ_INT(idx[2 * k + 1], 60 * k + 59);
    }
    /* 0.5 fps (one frame per 2 s): clips can hold no frame index; indices stay in range */
    CHECK(a2a_video_imagebind_frame_indices(ctx, 7, 0.5, idx) == A2A_OK);
    for (int k = 0; k < 10; k++) CHECK(idx[k] >= 0 && idx[k] < 7);
    for (int k = 0; k < 5; k++) CHECK(idx[2 * k] <= idx[2 * k + 1]);
    /* 7 s at 10 fps (the land video): the last clip ends at the last frame */
    CHECK(a2a_video_imagebind_frame_indices(ctx, 70, 10.0, idx) == A2A_OK);
    CHECK_EQ_INT(idx[9], 69);
    CHECK_EQ_INT(idx[8], 50);
    /* bad arguments */
    CHECK(a2a_video_imagebind_frame_indices(ctx, 0, 10.0, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, -5, 10.0, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, (int64_t)1 << 50, 10.0, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, 10, 0.0, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, 10, NAN, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, 10, INFINITY, idx) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_indices(ctx, 10, 10.0, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame_time(0, 10.0) == 0.0);
    CHECK_NEAR(a2a_video_imagebind_frame_time(3, 10.0), 0.25, 1e-15);
}

/* Per-frame pipeline on synthetic frames: tiny and extreme shapes, constant colour. */
TEST(frame_shapes) {
    float *buf = malloc((size_t)3 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
    if (!buf) { CHECK(0); return; }
    float mean[3], std[3];
    a2a_imagebind_mean_std(mean, std);
    /* a 1x1 frame upscales to 224x224; a constant colour stays constant */
    uint8_t px[3] = {10, 128, 250};
    a2a_image one = {1, 1, 3, px};
    CHECK(a2a_video_imagebind_frame(ctx, &one, 1, 0, buf) == A2A_OK);
    for (int j = 0; j < 3; j++)
        for (int c = 0; c < 3; c++) {
            const float *p = buf + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS + ((size_t)c * 2 + 1) * 224 * 224;
            float want = ((float)px[c] / 255.0f - mean[c]) / std[c];
            CHECK_NEAR(p[0], want, 1e-6);
            CHECK_NEAR(p[224 * 224 - 1], want, 1e-6);
            CHECK_NEAR(p[113 * 224 + 7], want, 1e-6);
        }
    /* portrait 2x3 gradient rows: crop 0 (top) starts at the top, crop 2 at the bottom */
    uint8_t g[2 * 3 * 3];
    for (int y = 0; y < 3; y++)
        for (int x = 0; x < 2; x++)
            for (int c = 0; c < 3; c++) g[(y * 2 + x) * 3 + c] = (uint8_t)(y * 100);
    a2a_image port = {2, 3, 3, g};
    CHECK(a2a_video_imagebind_frame(ctx, &port, 0, 0, buf) == A2A_OK); /* scaled to 224 x 336 */
    const float *top = buf, *bot = buf + 2 * (size_t)A2A_VIDEO_IB_CLIP_FLOATS;
    CHECK_NEAR(top[0], (0.0f - mean[0]) / std[0], 1e-6);                    /* first row = row 0 */
    CHECK_NEAR(bot[223 * 224], (200.0f / 255.0f - mean[0]) / std[0], 1e-5); /* last row = row 2 */
    /* absurd aspect: 1 x 400 scales to 224 x 89600, beyond the resize's side limit */
    uint8_t *tall = calloc(400 * 3, 1);
    a2a_image t = {1, 400, 3, tall};
    CHECK(a2a_video_imagebind_frame(ctx, &t, 0, 0, buf) == A2A_ERR_NOMEM);
    CHECK(strlen(a2a_last_error(ctx)) > 0);
    /* the pixel limit */
    uint8_t sq[4 * 4 * 3] = {0};
    a2a_image s4 = {4, 4, 3, sq};
    CHECK(a2a_video_imagebind_frame(ctx, &s4, 0, 1000, buf) == A2A_ERR_NOMEM);
    /* bad arguments */
    CHECK(a2a_video_imagebind_frame(ctx, &s4, 2, 0, buf) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame(ctx, NULL, 0, 0, buf) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_imagebind_frame(ctx, &s4, 0, 0, NULL) == A2A_ERR_INVALID_ARG);
    a2a_image bad = {4, 4, 1, sq};
    CHECK(a2a_video_imagebind_frame(ctx, &bad, 0, 0, buf) == A2A_ERR_INVALID_ARG);
    a2a_image zero = {0, 4, 3, sq};
    CHECK(a2a_video_imagebind_frame(ctx, &zero, 0, 0, buf) == A2A_ERR_INVALID_ARG);
    const a2a_image *frames[10] = {&s4, &s4, &s4, &s4, &s4, &s4, &s4, &s4, &s4, NULL};
    float *all = malloc((size_t)15 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
    CHECK(a2a_video_imagebind_from_frames(ctx, frames, all) == A2A_ERR_INVALID_ARG);
    frames[9] = &one; /* every frame position filled; duplicates copied */
    CHECK(a2a_video_imagebind_from_frames(ctx, frames, all) == A2A_OK);
    CHECK_NEAR(all[(size_t)14 * A2A_VIDEO_IB_CLIP_FLOATS + 1 * 224 * 224 + 5], ((float)px[0] / 255.0f - mean[0]) / std[0], 1e-6);
    CHECK_NEAR(all[(size_t)13 * A2A_VIDEO_IB_CLIP_FLOATS + 0 * 224 * 224 + 5], (0.0f - mean[0]) / std[0], 1e-6);
    free(all);
    free(tall);
    free(buf);
}

TEST(resize_bad_args) {
    float x[4] = {1, 2, 3, 4}, y[16];
    CHECK(a2a_resize_bilinear_f32(ctx, x, 2, 2, 1, 4, 4, y) == A2A_OK);
    CHECK_NEAR(y[0], 1.0, 0);
    CHECK_NEAR(y[15], 4.0, 0);
    CHECK(a2a_resize_bilinear_f32(ctx, NULL, 2, 2, 1, 4, 4, y) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resize_bilinear_f32(ctx, x, 0, 2, 1, 4, 4, y) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resize_bilinear_f32(ctx, x, 2, 2, 0, 4, 4, y) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resize_bilinear_f32(ctx, x, 2, 2, 1, -4, 4, y) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resize_bilinear_f32(ctx, x, 2, 2, 1, 4, (int64_t)1 << 40, y) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resize_bilinear_f32(ctx, x, 2, 2, (int64_t)1 << 62, 4, 4, y) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "resize") != NULL);
}

/* Other containers/codecs (the video tests' samples, 64x48, 1 s at 10 fps): WebM/VP9 (no frame
   count in the container: estimated from the duration) and AVI/MJPEG (full-range yuvj420p).
   15 finite clips; clip 0's first frame equals the per-frame pipeline on frame 0. */
TEST(other_containers) {
    if (!have_ffmpeg()) return;
    const char *files[] = {A2A_SOURCE_DIR "/tests/media/data/video/testsrc.webm",
                           A2A_SOURCE_DIR "/tests/media/data/video/sine.avi"};
    float *one = malloc((size_t)3 * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
    for (int i = 0; i < 2 && one; i++) {
        float *clips = NULL;
        int n = 0;
        a2a_status s = a2a_video_to_imagebind(ctx, files[i], NULL, &clips, &n);
        CHECK_MSG(s == A2A_OK, "%s: %s", files[i], a2a_last_error(ctx));
        if (s != A2A_OK) continue;
        CHECK_EQ_INT(n, 15);
        int finite = 1;
        for (size_t k = 0; k < (size_t)15 * A2A_VIDEO_IB_CLIP_FLOATS; k++) finite &= isfinite(clips[k]) != 0;
        CHECK(finite);
        double t0 = 0;
        a2a_image f0;
        CHECK(a2a_video_frames_at(ctx, files[i], &t0, 1, NULL, &f0) == A2A_OK);
        CHECK(a2a_video_imagebind_frame(ctx, &f0, 0, 0, one) == A2A_OK);
        for (int j = 0; j < 3; j++)
            for (int c = 0; c < 3; c++)
                CHECK(memcmp(clips + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS + (size_t)c * 2 * 224 * 224,
                             one + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS + (size_t)c * 2 * 224 * 224,
                             224 * 224 * sizeof(float)) == 0);
        a2a_image_free(&f0);
        free(clips);
    }
    free(one);
}

/* Bad files: missing, empty, garbage, truncated, a still image, tight limits; NULL args. */
TEST(bad_inputs) {
    float *clips = (float *)1;
    int n = 3;
    a2a_status s = a2a_video_to_imagebind(ctx, VDIR "no_such_file.mp4", NULL, &clips, &n);
    CHECK(s == A2A_ERR_IO || s == A2A_ERR_UNSUPPORTED);
    CHECK(clips == NULL && n == 0);
    CHECK(a2a_video_to_imagebind(ctx, NULL, NULL, &clips, &n) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_to_imagebind(ctx, VDIR "land_320x240_10fps_7s.mp4", NULL, NULL, &n) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_to_imagebind_memory(ctx, NULL, 10, NULL, &clips, &n) != A2A_OK);
    if (!have_ffmpeg()) return;
    a2a_video_set_ffmpeg_log_quiet(true);
    uint8_t junk[4096];
    a2a_test_rng rng = {12345};
    for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)a2a_test_next(&rng);
    s = a2a_video_to_imagebind_memory(ctx, junk, sizeof junk, NULL, &clips, &n);
    CHECK_MSG(s == A2A_ERR_FORMAT, "junk: %d %s", s, a2a_last_error(ctx));
    CHECK(clips == NULL && n == 0);
    s = a2a_video_to_imagebind_memory(ctx, junk, 0, NULL, &clips, &n);
    CHECK(s == A2A_ERR_FORMAT);
    size_t len = 0;
    uint8_t *mp4 = a2a_test_read_file(VDIR "land_320x240_10fps_7s.mp4", &len);
    CHECK(mp4 != NULL && len > 1000);
    if (mp4) {
        /* truncated files: a clean error or, when the header survives, 15 clips */
        size_t cuts[] = {len / 2, len / 8, 200, 40};
        for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
            s = a2a_video_to_imagebind_memory(ctx, mp4, cuts[i], NULL, &clips, &n);
            if (s == A2A_OK) {
                CHECK_EQ_INT(n, 15);
                free(clips);
            } else {
                CHECK_MSG(s == A2A_ERR_FORMAT || s == A2A_ERR_NOMEM, "cut %zu: %d %s", cuts[i], s, a2a_last_error(ctx));
                CHECK(strlen(a2a_last_error(ctx)) > 0 && clips == NULL && n == 0);
            }
        }
        /* corrupted payload bytes: never a crash */
        for (int j = 0; j < 6; j++) {
            uint8_t *b = malloc(len);
            memcpy(b, mp4, len);
            for (int q = 0; q < 20; q++) b[len / 3 + a2a_test_next(&rng) % (len - len / 3)] ^= (uint8_t)(1 + a2a_test_next(&rng) % 255);
            s = a2a_video_to_imagebind_memory(ctx, b, len, NULL, &clips, &n);
            if (s == A2A_OK) free(clips);
            else CHECK(strlen(a2a_last_error(ctx)) > 0 && clips == NULL);
            free(b);
        }
        /* limits: frames larger than max_pixels, and a maximum duration below the video's */
        a2a_video_limits lim = a2a_video_default_limits();
        lim.max_pixels = 320 * 239;
        CHECK(a2a_video_to_imagebind_memory(ctx, mp4, len, &lim, &clips, &n) == A2A_ERR_NOMEM);
        lim = a2a_video_default_limits();
        lim.max_duration_s = 3.0;
        CHECK(a2a_video_to_imagebind(ctx, VDIR "land_320x240_10fps_7s.mp4", &lim, &clips, &n) == A2A_ERR_NOMEM);
        CHECK(clips == NULL && n == 0);
        free(mp4);
    }
    a2a_video_set_ffmpeg_log_quiet(false);
}

static void setup(void) { ctx = a2a_ctx_new(); }
static void teardown(void) {
    a2a_golden_close(&gf);
    a2a_ctx_free(ctx);
}

TEST_MAIN(setup, open_golden, resize_golden, frame_golden, video_golden, frame_indices, frame_shapes, resize_bad_args,
          other_containers, bad_inputs, teardown)
