/* Video decoding through FFmpeg (src/media/video.c).
   Samples in tests/media/data/video were made with the ffmpeg 5.1 CLI (testsrc 64x48 @ 10 fps, 1 s):
     testsrc.mp4   H.264 (libx264, -g 5 -bf 2, yuv420p, +faststart)
     testsrc.webm  VP9 (libvpx-vp9, -g 5)
     sine.avi      MJPEG (yuvj420p) + PCM s16le mono 8 kHz, sine 440 Hz (lavfi amplitude 1/8)
   and the reference frames <name>_<ext>_t<T>.rgb with
     ffmpeg -ss T -i <file> -frames:v 1 -f rawvideo -pix_fmt rgb24 out.rgb
   at T on exact frame times (multiples of 0.1 s), where -ss's accurate seek and our
   "first frame with pts >= t" agree. Frames must match within 2 per channel (both sides use
   swscale's default SWS_BICUBIC; the bound allows for rounding-path differences).
   Without FFmpeg at build time the tests check that every call returns A2A_ERR_UNSUPPORTED. */
#include "a2a_test.h"

#include "media/video.h"

/* FFmpeg's own log is only silenced for the hostile inputs */
#define QUIET_FFMPEG(on) a2a_video_set_ffmpeg_log_quiet(on)

#define VDIR A2A_SOURCE_DIR "/tests/media/data/video/"

static a2a_ctx *ctx;

/* 1 when this build decodes video (probe of a sample succeeds or fails with other than UNSUPPORTED). */
static int have_ffmpeg(void) {
    a2a_video_info vi;
    a2a_status s = a2a_video_probe(ctx, VDIR "testsrc.mp4", &vi);
    return s != A2A_ERR_UNSUPPORTED;
}

/* Max abs difference between img and the raw RGB file ref (-1 when sizes differ or unreadable). */
static int max_diff_vs_file(const a2a_image *img, const char *ref) {
    size_t n = 0;
    uint8_t *r = a2a_test_read_file(ref, &n);
    if (!r || n != (size_t)img->w * img->h * 3) {
        free(r);
        return -1;
    }
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)img->data[i] - (int)r[i]);
        if (d > m) m = d;
    }
    free(r);
    return m;
}

TEST(probe_samples) {
    if (!have_ffmpeg()) return;
    static const struct { const char *f; bool audio; } s[] = {
        {VDIR "testsrc.mp4", false}, {VDIR "testsrc.webm", false}, {VDIR "sine.avi", true}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        a2a_video_info vi;
        a2a_status st = a2a_video_probe(ctx, s[i].f, &vi);
        CHECK_MSG(st == A2A_OK, "%s: %s", s[i].f, a2a_last_error(ctx));
        CHECK_EQ_INT(vi.width, 64);
        CHECK_EQ_INT(vi.height, 48);
        CHECK_NEAR(vi.fps, 10.0, 1e-6);
        CHECK_NEAR(vi.duration_s, 1.0, 0.1); /* within one frame */
        CHECK_MSG(llabs(vi.n_frames_est - 10) <= 1, "%s: %lld frames", s[i].f, (long long)vi.n_frames_est);
        CHECK_EQ_INT(vi.has_audio, s[i].audio);
    }
}

/* Frames at times[] of file compared with the CLI's frames refs[]. */
static void check_frames(const char *file, const double *times, const char *const *refs, int n) {
    a2a_image fr[8];
    a2a_status st = a2a_video_frames_at(ctx, file, times, n, NULL, fr);
    CHECK_MSG(st == A2A_OK, "%s: %s", file, a2a_last_error(ctx));
    if (st != A2A_OK) return;
    for (int i = 0; i < n; i++) {
        CHECK_EQ_INT(fr[i].w, 64);
        CHECK_EQ_INT(fr[i].h, 48);
        CHECK_EQ_INT(fr[i].c, 3);
        int d = max_diff_vs_file(&fr[i], refs[i]);
        CHECK_MSG(d >= 0 && d <= 2, "%s t=%g vs %s: max diff %d", file, times[i], refs[i], d);
        fprintf(stderr, "  %s t=%g: max abs diff vs ffmpeg CLI %d\n", file, times[i], d);
        a2a_image_free(&fr[i]);
    }
}

TEST(frames_vs_cli) {
    if (!have_ffmpeg()) return;
    /* out of order, a repeat, and a time past the end (clamps to the last frame, t=0.9) */
    static const double tm[] = {0.3, 0.0, 0.9, 5.0, 0.3};
    static const char *const rm[] = {VDIR "testsrc_mp4_t0.3.rgb", VDIR "testsrc_mp4_t0.rgb", VDIR "testsrc_mp4_t0.9.rgb",
                                     VDIR "testsrc_mp4_t0.9.rgb", VDIR "testsrc_mp4_t0.3.rgb"};
    check_frames(VDIR "testsrc.mp4", tm, rm, 5);
    /* t slightly after a frame time gives the next frame: 0.25 -> 0.3 */
    static const double tm2[] = {0.25};
    static const char *const rm2[] = {VDIR "testsrc_mp4_t0.3.rgb"};
    check_frames(VDIR "testsrc.mp4", tm2, rm2, 1);
    static const double tw[] = {0.5, 0.9, 100.0};
    static const char *const rw[] = {VDIR "testsrc_webm_t0.5.rgb", VDIR "testsrc_webm_t0.9.rgb",
                                     VDIR "testsrc_webm_t0.9.rgb"};
    check_frames(VDIR "testsrc.webm", tw, rw, 3);
    static const double ta[] = {0.6, 0.2};
    static const char *const ra[] = {VDIR "sine_avi_t0.6.rgb", VDIR "sine_avi_t0.2.rgb"};
    check_frames(VDIR "sine.avi", ta, ra, 2);
}

TEST(memory_variant_and_limits) {
    if (!have_ffmpeg()) return;
    size_t n = 0;
    uint8_t *buf = a2a_test_read_file(VDIR "testsrc.webm", &n);
    CHECK(buf && n > 0);
    if (!buf) return;
    double t = 0.5;
    a2a_image fr;
    a2a_video_info vi;
    a2a_status st = a2a_video_decode_memory(ctx, buf, n, &t, 1, NULL, &fr, &vi);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK_EQ_INT(vi.width, 64);
        CHECK(max_diff_vs_file(&fr, VDIR "testsrc_webm_t0.5.rgb") <= 2);
        a2a_image_free(&fr);
    }
    /* headers only */
    CHECK(a2a_video_decode_memory(ctx, buf, n, NULL, 0, NULL, NULL, &vi) == A2A_OK && vi.height == 48);
    /* limits: pixels, frames decoded, bytes */
    a2a_video_limits lim = a2a_video_default_limits();
    lim.max_pixels = 64 * 47;
    CHECK(a2a_video_decode_memory(ctx, buf, n, &t, 1, &lim, &fr, NULL) == A2A_ERR_NOMEM && fr.data == NULL);
    lim = a2a_video_default_limits();
    lim.max_decoded_frames = 2; /* t=0.5 needs the keyframe at 0.5 only, t=0.9 needs 0.5..0.9 */
    double t2[2] = {0.5, 0.9};
    a2a_image f2[2];
    CHECK(a2a_video_decode_memory(ctx, buf, n, t2, 2, &lim, f2, NULL) == A2A_ERR_NOMEM);
    CHECK(f2[0].data == NULL && f2[1].data == NULL);
    lim = a2a_video_default_limits();
    lim.max_decoded_bytes = 64 * 48 * 3;
    CHECK(a2a_video_decode_memory(ctx, buf, n, t2, 2, &lim, f2, NULL) == A2A_ERR_NOMEM);
    lim = a2a_video_default_limits();
    lim.max_duration_s = 0.5;
    CHECK(a2a_video_decode_memory(ctx, buf, n, t2, 2, &lim, f2, NULL) == A2A_ERR_NOMEM);
    /* bad arguments */
    double bad[1] = {-1.0};
    CHECK(a2a_video_decode_memory(ctx, buf, n, bad, 1, NULL, f2, NULL) == A2A_ERR_INVALID_ARG);
    bad[0] = NAN;
    CHECK(a2a_video_frames_at(ctx, VDIR "testsrc.mp4", bad, 1, NULL, f2) == A2A_ERR_INVALID_ARG);
    free(buf);
}

TEST(audio_track) {
    if (!have_ffmpeg()) return;
    a2a_audio a;
    a2a_status st = a2a_video_audio(ctx, VDIR "sine.avi", NULL, &a);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK_EQ_INT(a.rate, 8000);
        CHECK_EQ_INT(a.channels, 1);
        CHECK_EQ_INT(a.frames, 8000);
        double ss = 0, mx = 0;
        for (int64_t i = 0; i < a.frames; i++) {
            ss += (double)a.data[i] * a.data[i];
            if (fabs(a.data[i]) > mx) mx = fabs(a.data[i]);
        }
        double rms = sqrt(ss / (double)a.frames);
        CHECK_NEAR(rms, 0.125 / sqrt(2.0), 1e-3); /* lavfi sine: amplitude 1/8 */
        CHECK_NEAR(mx, 0.125, 2e-3);
        /* 440 Hz: zero crossings ~ 880 per second */
        int zc = 0;
        for (int64_t i = 1; i < a.frames; i++) zc += (a.data[i - 1] < 0) != (a.data[i] < 0);
        CHECK_MSG(abs(zc - 880) <= 4, "zero crossings %d", zc);
        a2a_audio_free(&a);
    }
    a2a_audio_limits al = a2a_audio_default_limits();
    al.max_seconds = 0.5;
    CHECK(a2a_video_audio(ctx, VDIR "sine.avi", &al, &a) == A2A_ERR_NOMEM && a.data == NULL);
    CHECK(a2a_video_audio(ctx, VDIR "testsrc.mp4", NULL, &a) == A2A_ERR_NOT_FOUND);
    CHECK(strstr(a2a_last_error(ctx), "no audio stream") != NULL);
}

/* A hostile input given as file and memory must fail (or, for some truncations, succeed with
   valid frames) without crashing; a failure must leave a message and zeroed frames. */
static void hostile(const uint8_t *p, size_t n, bool must_fail, const char *what) {
    const char *tmp = "test_video_hostile.bin";
    CHECK(a2a_test_write_file(tmp, p, n) == 0);
    double t[2] = {0.0, 0.7};
    a2a_image fr[2];
    a2a_video_info vi;
    a2a_status s1 = a2a_video_frames_at(ctx, tmp, t, 2, NULL, fr);
    if (s1 == A2A_OK) {
        CHECK_MSG(!must_fail, "%s: decoded", what);
        for (int i = 0; i < 2; i++) {
            CHECK(fr[i].w == 64 && fr[i].h == 48 && fr[i].data);
            a2a_image_free(&fr[i]);
        }
    } else {
        CHECK(a2a_last_error(ctx)[0] != 0);
        CHECK(fr[0].data == NULL && fr[1].data == NULL);
    }
    a2a_status s2 = a2a_video_decode_memory(ctx, n ? p : NULL, n, t, 2, NULL, fr, &vi);
    if (s2 == A2A_OK) {
        CHECK_MSG(!must_fail, "%s: decoded (memory)", what);
        for (int i = 0; i < 2; i++) a2a_image_free(&fr[i]);
    } else {
        CHECK(fr[0].data == NULL && fr[1].data == NULL && vi.width == 0);
    }
    a2a_status s3 = a2a_video_probe(ctx, tmp, &vi);
    if (must_fail) CHECK_MSG(s3 != A2A_OK, "%s: probe ok", what);
    a2a_audio a; /* the audio track decoder must not crash either (a WAV does decode: it is audio) */
    if (a2a_video_audio(ctx, tmp, NULL, &a) == A2A_OK) {
        CHECK(a.frames > 0 && a.data != NULL);
        a2a_audio_free(&a);
    } else {
        CHECK(a.data == NULL && a2a_last_error(ctx)[0] != 0);
    }
    remove(tmp);
}

TEST(hostile_inputs) {
    if (!have_ffmpeg()) return;
    QUIET_FFMPEG(1); /* FFmpeg complains loudly about these, by design */
    a2a_video_info vi;
    a2a_image fr;
    double t = 0;
    CHECK(a2a_video_probe(ctx, VDIR "does_not_exist.mp4", &vi) == A2A_ERR_IO);
    CHECK(strstr(a2a_last_error(ctx), "does_not_exist.mp4") != NULL);
    CHECK(a2a_video_frames_at(ctx, VDIR, &t, 1, NULL, &fr) == A2A_ERR_IO); /* a directory */
    CHECK(strstr(a2a_last_error(ctx), "not a regular file") != NULL);
    hostile((const uint8_t *)"", 0, true, "zero bytes");
    a2a_test_rng rng = {12345};
    uint8_t rnd[4096];
    for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (uint8_t)a2a_test_next(&rng);
    hostile(rnd, sizeof rnd, true, "random bytes");
    /* a WAV file: a media file without a video stream */
    uint8_t wav[44 + 800];
    memset(wav, 0, sizeof wav);
    memcpy(wav, "RIFF", 4);
    uint32_t v = sizeof wav - 8;
    memcpy(wav + 4, &v, 4);
    memcpy(wav + 8, "WAVEfmt ", 8);
    v = 16; memcpy(wav + 16, &v, 4);
    uint16_t h = 1; memcpy(wav + 20, &h, 2);  /* PCM */
    h = 1; memcpy(wav + 22, &h, 2);           /* mono */
    v = 8000; memcpy(wav + 24, &v, 4);
    v = 16000; memcpy(wav + 28, &v, 4);
    h = 2; memcpy(wav + 32, &h, 2);
    h = 16; memcpy(wav + 34, &h, 2);
    memcpy(wav + 36, "data", 4);
    v = 800; memcpy(wav + 40, &v, 4);
    hostile(wav, sizeof wav, true, "wav");
    CHECK(a2a_video_probe(ctx, "test_video_wav.wav", &vi) != A2A_OK);
    a2a_test_write_file("test_video_wav.wav", wav, sizeof wav);
    CHECK(a2a_video_probe(ctx, "test_video_wav.wav", &vi) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "no video stream") != NULL);
    remove("test_video_wav.wav");
    /* truncations of every sample at several lengths, and flipped bytes */
    static const char *files[] = {VDIR "testsrc.mp4", VDIR "testsrc.webm", VDIR "sine.avi"};
    for (int k = 0; k < 3; k++) {
        size_t n = 0;
        uint8_t *b = a2a_test_read_file(files[k], &n);
        CHECK(b != NULL);
        if (!b) continue;
        static const double fr_len[] = {0.0005, 0.01, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99};
        for (size_t j = 0; j < sizeof fr_len / sizeof fr_len[0]; j++) {
            size_t cut = (size_t)(n * fr_len[j]);
            hostile(b, cut, cut < 16, files[k]);
        }
        for (int j = 0; j < 8; j++) {
            size_t at = (size_t)(a2a_test_next(&rng) % n);
            b[at] ^= (uint8_t)(1u + a2a_test_next(&rng) % 255);
            hostile(b, n, false, files[k]);
        }
        free(b);
    }
    QUIET_FFMPEG(0);
}

/* Always runs: without FFmpeg every entry point reports UNSUPPORTED with an install hint. */
TEST(unsupported_or_available) {
    a2a_video_info vi;
    a2a_status s = a2a_video_probe(ctx, VDIR "testsrc.mp4", &vi);
    if (s == A2A_ERR_UNSUPPORTED) {
        CHECK(strstr(a2a_last_error(ctx), "libavformat-dev") != NULL);
        a2a_audio a;
        CHECK(a2a_video_audio(ctx, VDIR "sine.avi", NULL, &a) == A2A_ERR_UNSUPPORTED);
    } else {
        CHECK_MSG(s == A2A_OK, "%s", a2a_last_error(ctx));
    }
}

static void setup(void) { ctx = a2a_ctx_new(); }
static void teardown(void) { a2a_ctx_free(ctx); }

TEST_MAIN(setup, unsupported_or_available, probe_samples, frames_vs_cli, memory_variant_and_limits, audio_track,
          hostile_inputs, teardown)
