/* Audio decoding, resampling, kaldi fbank and the ImageBind audio front end.
   Golden references: tests/golden/media/imagebind_audio.gguf (tools/ref/make_golden_audio.py). */
#include "a2a_test.h"
#include "a2a_golden.h"

#include "media/audio.h"
#include "media/fbank.h"
#include "media/resample.h"

#include <float.h>
#include <stdint.h>

#define DATA_DIR A2A_SOURCE_DIR "/tests/media/data/audio/"

/* zlib-compatible CRC-32 of p[0..n). */
static uint32_t crc32_bytes(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

/* ---------------------------------------------------------------- WAV writer for the tests */
/* A WAV file under construction (tests write at most a few KiB). */
typedef struct wbuf {
    uint8_t b[1 << 16];
    size_t n;
} wbuf;
/* Append n bytes / a little-endian u16 / u32 to w. */
static void put(wbuf *w, const void *p, size_t n) {
    memcpy(w->b + w->n, p, n);
    w->n += n;
}
static void put16(wbuf *w, uint32_t v) {
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(w, b, 2);
}
static void put32(wbuf *w, uint32_t v) {
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(w, b, 4);
}
/* Start w with a RIFF header and a fmt chunk: 16 bytes, or 40 with extensible (then tag is
   the sub-format). block align and byte rate follow from ch and bits. */
static void wav_head(wbuf *w, int tag, int ch, uint32_t rate, int bits, int extensible) {
    w->n = 0;
    put(w, "RIFF", 4);
    put32(w, 0); /* patched by wav_finish */
    put(w, "WAVE", 4);
    put(w, "fmt ", 4);
    put32(w, extensible ? 40 : 16);
    put16(w, extensible ? 0xFFFE : (uint32_t)tag);
    put16(w, (uint32_t)ch);
    put32(w, rate);
    put32(w, rate * (uint32_t)(ch * bits / 8));
    put16(w, (uint32_t)(ch * bits / 8));
    put16(w, (uint32_t)bits);
    if (extensible) {
        static const uint8_t tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                         0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        put16(w, 22);
        put16(w, (uint32_t)bits);
        put32(w, 0);
        put16(w, (uint32_t)tag);
        put(w, tail, sizeof tail);
    }
}
/* Patch the RIFF size field to the current length. */
static void wav_finish(wbuf *w) {
    uint32_t sz = (uint32_t)(w->n - 8);
    memcpy(w->b + 4, &sz, 4);
}

/* ---------------------------------------------------------------- golden */

/* Decode a committed file and check it against Python's wave module read. */
TEST(golden_wav) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_audio.gguf")) { CHECK(0); return; }
    a2a_ctx *ctx = a2a_ctx_new();
    int seen = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "wav") != 0) continue;
        seen++;
        char key[256];
        snprintf(key, sizeof key, "%s.file", c->name);
        const char *fn;
        size_t fl;
        CHECK(a2a_gguf_get_str(gf.ctx, gf.g, key, &fn, &fl) == A2A_OK);
        char path[1024];
        snprintf(path, sizeof path, "%s%.*s", DATA_DIR, (int)fl, fn);
        a2a_audio a = {0};
        a2a_status st = a2a_audio_load(ctx, path, NULL, &a);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st != A2A_OK) continue;
        CHECK_EQ_INT(a.rate, a2a_golden_i32(c, "rate", -1));
        CHECK_EQ_INT(a.channels, a2a_golden_i32(c, "channels", -1));
        CHECK_EQ_INT(a.frames, a2a_golden_i32(c, "frames", -1));
        /* re-quantize to the file's PCM bytes (exact: the scaling is a power of two) */
        size_t ns = (size_t)a.frames * (size_t)a.channels;
        bool u8 = strstr(path, "_u8") != NULL;
        uint8_t *pcm = (uint8_t *)malloc(ns * 2);
        bool exact = true;
        for (size_t k = 0; k < ns; k++) {
            if (u8) {
                float v = a.data[k] * 128.0f + 128.0f;
                exact &= v == floorf(v);
                pcm[k] = (uint8_t)v;
            } else {
                float v = a.data[k] * 32768.0f;
                exact &= v == floorf(v);
                int16_t s = (int16_t)v;
                pcm[2 * k] = (uint8_t)(s & 0xFF);
                pcm[2 * k + 1] = (uint8_t)((uint16_t)s >> 8);
            }
        }
        CHECK(exact);
        CHECK_EQ_INT((int32_t)crc32_bytes(pcm, u8 ? ns : 2 * ns), a2a_golden_i32(c, "crc32", 0));
        free(pcm);
        a2a_tensor got;
        int64_t ne[2] = {a.channels, 64};
        a2a_tensor_init(&got, A2A_TYPE_F32, 2, ne, NULL);
        got.data = a.data;
        CHECK(a2a_golden_compare(c, &got, "wav"));
        a2a_audio_free(&a);
    }
    CHECK_EQ_INT(seen, 2);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

/* Resampling, fbank and the whole ImageBind tensor against the torch ports. */
TEST(golden_frontend) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_audio.gguf")) { CHECK(0); return; }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_audio tones = {0}, voice = {0};
    CHECK(a2a_audio_load(ctx, DATA_DIR "tones_44k_stereo_s16.wav", NULL, &tones) == A2A_OK);
    CHECK(a2a_audio_load(ctx, DATA_DIR "voice_8k_mono_u8.wav", NULL, &voice) == A2A_OK);
    int seen = 0;
    for (int i = 0; i < gf.n_cases && tones.data && voice.data; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        a2a_tensor got;
        got.data = NULL;
        if (strcmp(c->op, "resample") == 0) {
            seen++;
            float *ch0 = (float *)malloc((size_t)tones.frames * sizeof(float));
            for (int64_t k = 0; k < tones.frames; k++) ch0[k] = tones.data[k * tones.channels];
            float *y = NULL;
            int64_t ny = 0;
            CHECK(a2a_resample(ctx, ch0, tones.frames, tones.rate, a2a_golden_i32(c, "rate_out", 16000), &y, &ny) == A2A_OK);
            CHECK_EQ_INT(ny, c->out->ne[0]);
            a2a_tensor_init(&got, A2A_TYPE_F32, 1, &ny, NULL);
            got.data = y;
            CHECK(a2a_golden_compare(c, &got, "resample"));
            free(ch0);
            free(y);
        } else if (strcmp(c->op, "fbank") == 0) {
            seen++;
            a2a_fbank_params p = a2a_fbank_imagebind_params();
            int64_t n = c->in[0]->ne[0], nf = 0;
            CHECK(a2a_golden_alloc_like(&got, c->out));
            CHECK(a2a_fbank_kaldi(ctx, &p, (const float *)c->in[0]->data, n, (float *)got.data, &nf) == A2A_OK);
            CHECK_EQ_INT(nf, c->out->ne[1]);
            CHECK_EQ_INT(nf, a2a_fbank_n_frames(&p, n));
            CHECK(a2a_golden_compare(c, &got, "fbank"));
            free(got.data);
        } else if (strcmp(c->op, "imagebind_audio") == 0) {
            seen++;
            CHECK(a2a_golden_alloc_like(&got, c->out));
            CHECK_EQ_INT(a2a_tensor_nelements(c->out), 3 * 128 * 204);
            a2a_status st = a2a_audio_to_imagebind(ctx, &voice, (float *)got.data);
            CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
            CHECK(a2a_golden_compare(c, &got, "imagebind"));
            free(got.data);
        }
    }
    CHECK_EQ_INT(seen, 3);
    a2a_audio_free(&tones);
    a2a_audio_free(&voice);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

/* ---------------------------------------------------------------- WAV formats */

/* Every PCM/float width, extensible, 3 channels, odd-sized chunk before data. */
TEST(wav_formats) {
    a2a_ctx *ctx = a2a_ctx_new();
    static wbuf w;
    a2a_audio a = {0};
    /* 8-bit unsigned, with an odd-sized LIST chunk (pad byte) before data */
    wav_head(&w, 1, 1, 8000, 8, 0);
    put(&w, "LIST", 4); put32(&w, 3); put(&w, "abc", 3); put(&w, "\0", 1);
    put(&w, "data", 4); put32(&w, 4);
    { uint8_t d[4] = {0, 128, 255, 64}; put(&w, d, 4); }
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    CHECK_EQ_INT(a.frames, 4);
    if (a.data) { CHECK(a.data[0] == -1.0f); CHECK(a.data[1] == 0.0f); CHECK(a.data[2] == 127.0f / 128.0f); CHECK(a.data[3] == -0.5f); }
    a2a_audio_free(&a);
    /* 16-bit stereo */
    wav_head(&w, 1, 2, 44100, 16, 0);
    put(&w, "data", 4); put32(&w, 8);
    put16(&w, 0x8000); put16(&w, 0x7FFF); put16(&w, 0x0001); put16(&w, 0xFFFF);
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    CHECK_EQ_INT(a.channels, 2); CHECK_EQ_INT(a.frames, 2);
    if (a.data) { CHECK(a.data[0] == -1.0f); CHECK(a.data[1] == 32767.0f / 32768.0f); CHECK(a.data[2] == 1.0f / 32768.0f); CHECK(a.data[3] == -1.0f / 32768.0f); }
    a2a_audio_free(&a);
    /* 24-bit, 3 channels, extensible */
    wav_head(&w, 1, 3, 48000, 24, 1);
    put(&w, "data", 4); put32(&w, 9);
    { uint8_t d[9] = {0x00, 0x00, 0x80, 0xFF, 0xFF, 0x7F, 0x01, 0x00, 0x00}; put(&w, d, 9); }
    put(&w, "\0", 1);
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    CHECK_EQ_INT(a.channels, 3); CHECK_EQ_INT(a.frames, 1);
    if (a.data) { CHECK(a.data[0] == -1.0f); CHECK(a.data[1] == 8388607.0f / 8388608.0f); CHECK(a.data[2] == 1.0f / 8388608.0f); }
    a2a_audio_free(&a);
    /* 32-bit int */
    wav_head(&w, 1, 1, 16000, 32, 0);
    put(&w, "data", 4); put32(&w, 8); put32(&w, 0x80000000u); put32(&w, 0x40000000u);
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    if (a.data) { CHECK(a.data[0] == -1.0f); CHECK(a.data[1] == 0.5f); }
    a2a_audio_free(&a);
    /* float32 via extensible, float64 plain; values pass through */
    wav_head(&w, 3, 1, 16000, 32, 1);
    put(&w, "data", 4); put32(&w, 8);
    { float f[2] = {0.25f, -1.5f}; put(&w, f, 8); }
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    if (a.data) { CHECK(a.data[0] == 0.25f); CHECK(a.data[1] == -1.5f); }
    a2a_audio_free(&a);
    wav_head(&w, 3, 2, 16000, 64, 0);
    put(&w, "fact", 4); put32(&w, 4); put32(&w, 1);
    put(&w, "data", 4); put32(&w, 16);
    { double d[2] = {0.125, -0.75}; put(&w, d, 16); }
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    if (a.data) { CHECK(a.data[0] == 0.125f); CHECK(a.data[1] == -0.75f); }
    a2a_audio_free(&a);
    /* streaming placeholder size 0xFFFFFFFF: to the end; a trailing partial frame dropped */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "data", 4); put32(&w, 0xFFFFFFFFu); put16(&w, 1); put16(&w, 2); put(&w, "\0", 1);
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    CHECK_EQ_INT(a.frames, 2);
    a2a_audio_free(&a);
    /* mono mix */
    wav_head(&w, 1, 2, 8000, 16, 0);
    put(&w, "data", 4); put32(&w, 8); put16(&w, 0x4000); put16(&w, 0x0000); put16(&w, 0xC000); put16(&w, 0xC000);
    wav_finish(&w);
    CHECK(a2a_audio_decode(ctx, w.b, w.n, NULL, &a) == A2A_OK);
    float *m = NULL;
    CHECK(a2a_audio_to_mono(ctx, &a, &m) == A2A_OK);
    if (m) { CHECK(m[0] == 0.25f); CHECK(m[1] == -0.5f); }
    free(m);
    a2a_audio_free(&a);
    a2a_ctx_free(ctx);
}

/* Decode w and expect status st with a message containing needle. */
static void expect_fail(a2a_ctx *ctx, const wbuf *w, const a2a_audio_limits *lim, a2a_status st, const char *needle) {
    a2a_audio a = {0};
    a2a_status got = a2a_audio_decode(ctx, w->b, w->n, lim, &a);
    CHECK_MSG(got == st, "status %d, want %d (%s) [%s]", (int)got, (int)st, a2a_last_error(ctx), needle);
    CHECK_MSG(strstr(a2a_last_error(ctx), needle) != NULL, "message '%s' lacks '%s'", a2a_last_error(ctx), needle);
    CHECK(a.data == NULL && a.frames == 0);
}

/* Malformed, hostile and over-limit inputs give clear errors. */
TEST(wav_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    static wbuf w;
    a2a_audio a = {0};
    CHECK(a2a_audio_decode(ctx, "", 0, NULL, &a) == A2A_ERR_FORMAT);
    CHECK(a2a_audio_decode(ctx, "hello world!", 12, NULL, &a) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_audio_load(ctx, DATA_DIR "does_not_exist.wav", NULL, &a) == A2A_ERR_IO);
    /* header only */
    w.n = 0; put(&w, "RIFF", 4); put32(&w, 4); put(&w, "WAVE", 4);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "no fmt");
    /* data chunk lies about its size */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "data", 4); put32(&w, 1000); put16(&w, 1);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "claims 1000 bytes");
    /* other chunk lies */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "LIST", 4); put32(&w, 0x7FFFFFF0u);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "'LIST' claims");
    /* truncated chunk header */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "da", 2);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "truncated chunk header");
    /* data before fmt */
    w.n = 0; put(&w, "RIFF", 4); put32(&w, 0); put(&w, "WAVE", 4); put(&w, "data", 4); put32(&w, 2); put16(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "before the fmt");
    /* zero-length data */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "no audio samples");
    /* absurd channel counts and rates, bad block align, bad widths, unsupported tags */
    wav_head(&w, 1, 0, 8000, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "channel count 0");
    wav_head(&w, 1, 1000, 8000, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "channel count 1000");
    wav_head(&w, 1, 1, 0, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "sample rate 0");
    wav_head(&w, 1, 1, 4000000000u, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "sample rate 4000000000");
    wav_head(&w, 1, 2, 8000, 16, 0); w.b[32] = 3; put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "block align 3");
    wav_head(&w, 1, 1, 8000, 12, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_UNSUPPORTED, "12-bit PCM");
    wav_head(&w, 3, 1, 8000, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_UNSUPPORTED, "16-bit float");
    wav_head(&w, 2, 1, 8000, 16, 0); put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_UNSUPPORTED, "format tag 0x0002");
    wav_head(&w, 1, 1, 8000, 16, 1); w.b[20 + 24 + 2] = 0x55; put(&w, "data", 4); put32(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_UNSUPPORTED, "GUID");
    /* two fmt chunks */
    wav_head(&w, 1, 1, 8000, 16, 0);
    { size_t n0 = w.n; memcpy(w.b + n0, w.b + 12, 24); w.n += 24; }
    put(&w, "data", 4); put32(&w, 2); put16(&w, 0);
    expect_fail(ctx, &w, NULL, A2A_ERR_FORMAT, "more than one fmt");
    /* limits */
    wav_head(&w, 1, 1, 8000, 16, 0);
    put(&w, "data", 4); put32(&w, 8000); for (int i = 0; i < 4000; i++) put16(&w, 0);
    a2a_audio_limits lim = a2a_audio_default_limits();
    lim.max_seconds = 0.25;
    expect_fail(ctx, &w, &lim, A2A_ERR_NOMEM, "exceeds the limit");
    lim = a2a_audio_default_limits();
    lim.max_decoded_bytes = 1000;
    expect_fail(ctx, &w, &lim, A2A_ERR_NOMEM, "decoded-size limit");
    /* truncating the valid file at every length never crashes and never succeeds early */
    for (size_t cut = 0; cut + 2 < 44; cut++) {
        CHECK(a2a_audio_decode(ctx, w.b, cut, NULL, &a) != A2A_OK);
        CHECK(a.data == NULL);
    }
    a2a_ctx_free(ctx);
}

/* FLAC through libsndfile (exact vs the WAV it was made from), or a clear UNSUPPORTED. */
TEST(flac) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_audio f = {0}, v = {0};
    a2a_status st = a2a_audio_load(ctx, DATA_DIR "voice_8k_head.flac", NULL, &f);
    if (st == A2A_ERR_UNSUPPORTED) {
        fprintf(stderr, "flac: skipped (%s)\n", a2a_last_error(ctx));
        CHECK(strstr(a2a_last_error(ctx), "libsndfile") != NULL);
    } else {
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        CHECK(a2a_audio_load(ctx, DATA_DIR "voice_8k_mono_u8.wav", NULL, &v) == A2A_OK);
        CHECK_EQ_INT(f.rate, 8000);
        CHECK_EQ_INT(f.channels, 1);
        CHECK_EQ_INT(f.frames, 2000);
        if (f.data && v.data && f.frames == 2000) CHECK(a2a_test_max_abs_diff(f.data, v.data, 2000) == 0.0);
    }
    a2a_audio_free(&f);
    /* a corrupt FLAC/Ogg is an error, not a crash */
    static const uint8_t junk[64] = "fLaC\0\0\0\x22garbage";
    CHECK(a2a_audio_decode(ctx, junk, sizeof junk, NULL, &f) != A2A_OK);
    static const uint8_t junk2[64] = "OggS\0\x02garbage";
    CHECK(a2a_audio_decode(ctx, junk2, sizeof junk2, NULL, &f) != A2A_OK);
    a2a_audio_free(&f);
    a2a_audio_free(&v);
    a2a_ctx_free(ctx);
}

/* ---------------------------------------------------------------- resampler properties */

/* Length rule, pass band, stop band, identity, bad arguments, coprime rates. */
TEST(resample_props) {
    a2a_ctx *ctx = a2a_ctx_new();
    enum { N = 48000 };
    float *x = (float *)malloc(N * sizeof(float));
    for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * 1000.0 * i / 48000.0);
    float *y = NULL;
    int64_t ny = 0;
    CHECK(a2a_resample(ctx, x, N, 48000, 16000, &y, &ny) == A2A_OK);
    CHECK_EQ_INT(ny, 16000);
    /* away from the edges a 1 kHz tone keeps its amplitude and phase */
    double err = 0;
    for (int j = 200; j < 15800 && y; j++) err = fmax(err, fabs(y[j] - sin(2 * M_PI * 1000.0 * j / 16000.0)));
    CHECK_MSG(err < 2e-3, "tone error %g", err);
    free(y);
    /* a 12 kHz tone (1.5x the output Nyquist) is attenuated by > 50 dB (see resample.h) */
    for (int i = 0; i < N; i++) x[i] = (float)sin(2 * M_PI * 12000.0 * i / 48000.0);
    CHECK(a2a_resample(ctx, x, N, 48000, 16000, &y, &ny) == A2A_OK);
    double pk = 0;
    for (int j = 200; j < 15800 && y; j++) pk = fmax(pk, fabs(y[j]));
    CHECK_MSG(pk < 0.003, "alias peak %g", pk);
    free(y);
    /* lengths: ceil(n * out / in); identity copies; bad args */
    CHECK(a2a_resample(ctx, x, 7, 44100, 16000, &y, &ny) == A2A_OK);
    CHECK_EQ_INT(ny, 3);
    free(y);
    CHECK(a2a_resample(ctx, x, 5, 16000, 16000, &y, &ny) == A2A_OK);
    CHECK_EQ_INT(ny, 5);
    if (y) CHECK(memcmp(x, y, 5 * sizeof(float)) == 0);
    free(y);
    CHECK(a2a_resample(ctx, x, 0, 8000, 16000, &y, &ny) == A2A_OK && y == NULL && ny == 0);
    CHECK(a2a_resample(ctx, x, 10, 0, 16000, &y, &ny) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_resample(ctx, x, -1, 8000, 16000, &y, &ny) == A2A_ERR_INVALID_ARG);
    /* coprime rates work (large phase count) */
    CHECK(a2a_resample(ctx, x, 1000, 44099, 16000, &y, &ny) == A2A_OK);
    free(y);
    free(x);
    a2a_ctx_free(ctx);
}

/* ---------------------------------------------------------------- fbank / ImageBind edges */

/* Frame counts, the epsilon floor, every window type, the DFT path, short audio. */
TEST(frontend_edges) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_fbank_params p = a2a_fbank_imagebind_params();
    CHECK_EQ_INT(a2a_fbank_n_frames(&p, 32000), 198);
    CHECK_EQ_INT(a2a_fbank_n_frames(&p, 399), 0);
    float x[400] = {0};
    float o[128];
    CHECK(a2a_fbank_kaldi(ctx, &p, x, 399, o, NULL) == A2A_ERR_SHAPE);
    int64_t nf = 0;
    CHECK(a2a_fbank_kaldi(ctx, &p, x, 400, o, &nf) == A2A_OK && nf == 1);
    CHECK(fabsf(o[0] - logf(FLT_EPSILON)) < 1e-6f); /* silence: the epsilon floor */
    /* every window type and the plain-DFT path (no power-of-two rounding) give finite values;
       a 1 kHz tone peaks in the mel bin whose center is nearest 1 kHz under every window */
    {
        float tone[800], fo[3 * 128]; /* 800 samples: 3 frames */
        for (int i = 0; i < 800; i++) tone[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / 16000.0));
        for (int wt = A2A_FBANK_WINDOW_POVEY; wt <= A2A_FBANK_WINDOW_BLACKMAN; wt++) {
            for (int r = 0; r < 2; r++) {
                a2a_fbank_params q = a2a_fbank_imagebind_params();
                q.window = (a2a_fbank_window)wt;
                q.round_to_power_of_two = r == 0;
                int64_t nq = 0;
                CHECK(a2a_fbank_kaldi(ctx, &q, tone, 800, fo, &nq) == A2A_OK);
                CHECK_EQ_INT(nq, a2a_fbank_n_frames(&q, 800));
                int best = 0;
                bool finite = true;
                for (int b = 0; b < 128; b++) {
                    finite &= isfinite(fo[b]) != 0;
                    if (fo[b] > fo[best]) best = b;
                }
                CHECK(finite);
                /* mel(1000 Hz) = 1127 ln(1 + 1000/700); bin centers mlo + (b+1) * delta */
                double mlo = 1127.0 * log(1.0 + 20.0 / 700.0), mhi = 1127.0 * log(1.0 + 8000.0 / 700.0);
                double want = (1127.0 * log(1.0 + 1000.0 / 700.0) - mlo) / ((mhi - mlo) / 129.0) - 1.0;
                CHECK_MSG(fabs(best - want) <= 1.5, "window %d round %d: peak bin %d, want ~%.1f", wt, r, best, want);
            }
        }
    }
    p.num_mel_bins = 3;
    CHECK(a2a_fbank_kaldi(ctx, &p, x, 400, o, &nf) == A2A_ERR_INVALID_ARG);
    /* ImageBind on short audio: 3 identical clips, padded frames = normalized zero */
    a2a_audio a = {0};
    a.rate = 16000; a.channels = 1; a.frames = 8000;
    a.data = (float *)malloc(8000 * sizeof(float));
    for (int i = 0; i < 8000; i++) a.data[i] = (float)(0.3 * sin(i * 0.05));
    float *ib = (float *)malloc(3 * 128 * 204 * sizeof(float));
    CHECK(a2a_audio_to_imagebind(ctx, &a, ib) == A2A_OK);
    /* same samples; they differ only by the rounding of data.py's in-place mean removal */
    CHECK(a2a_test_max_abs_diff(ib, ib + 128 * 204, 128 * 204) < 1e-5);
    CHECK(a2a_test_max_abs_diff(ib, ib + 2 * 128 * 204, 128 * 204) < 1e-5);
    CHECK(ib[203] == (0.0f + 4.268f) / 9.138f);
    a.frames = 100; /* shorter than one frame */
    CHECK(a2a_audio_to_imagebind(ctx, &a, ib) == A2A_ERR_SHAPE);
    fprintf(stderr, "short clip: %s\n", a2a_last_error(ctx));
    free(ib);
    a2a_audio_free(&a);
    a2a_ctx_free(ctx);
}

TEST_MAIN(golden_wav, golden_frontend, wav_formats, wav_errors, flac, resample_props, frontend_edges)
