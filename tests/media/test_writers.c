/* Media writers (src/media/image_write.c, audio_write.c, video_write.c, src/io/atomic_file.c):
   every file is written, then read back with our independent readers (libpng/libjpeg decoders,
   the WAV parser, FFmpeg decoding) and compared:
     PNG                exact (RGB, gray -> replicated, RGBA -> alpha dropped)
     JPEG               bytes identical to Pillow's save(quality=75 / 95) (libjpeg-turbo builds);
     JPEG q95           PSNR >= 40 dB 4:2:0 (measured 42.1), >= 44 dB 4:4:4 (46.5), gray >= 50 (56.5)
     WAV PCM16          exact for every k/32768 (scale 32768); clipping at +-1; float WAV bit-exact
     WAV PCM16 (32767)  byte-identical to libsndfile's sf_writef_float (soundfile's path) for |x| <= 1
     float -> u8        bit-exact with diffusers' VaeImageProcessor.postprocess (pil: round half to
                        even) and export_to_video's (frame*255).astype(uint8) (table made by
                        tools/ref-style script, values below)
     video              min PSNR over 3 decoded frames vs the input frames (measured with FFmpeg 5.1:
                        H.264 CRF 18 35.6, MPEG-4 q3 35.6, VP9 CRF 31 33.2, VP8 35.2, GIF (median cut) 34.4 dB;
                        4:2:0 chroma of the RGB->YUV->RGB round trip caps all YUV codecs near 35.6):
                        bounds H.264 34, MPEG-4 33.5, VP9 31.5, VP8 33.5, GIF 32 dB; probe
                        size (odd sizes padded to even for YUV), fps and frame count; MP4 index
                        (moov) before the media data (faststart)
   and that failures leave no file: missing directory, abort mid-video, close without frames,
   frame-limit overflow, bad arguments; an existing destination keeps its old bytes. */
#include "a2a_test.h"

#include "io/atomic_file.h"
#include "media/audio_write.h"
#include "media/image_write.h"
#include "media/video.h"
#include "media/video_write.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#if __has_include(<jpeglib.h>)
#include <stdio.h>
#include <jpeglib.h> /* only for LIBJPEG_TURBO_VERSION (jconfig.h) */
#endif
#if __has_include(<sndfile.h>)
#include <sndfile.h>
#define HAVE_SNDFILE_H 1
#endif

static a2a_ctx *ctx;

#define SCRATCH "writers_scratch"

/* Number of entries in dir other than . and .. (-1 when it cannot be opened). */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

/* Remove every plain file in dir, then dir (scratch cleanup; one level of subdirectories). */
static void rm_tree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) rm_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void fresh_scratch(void) {
    rm_tree(SCRATCH);
    mkdir(SCRATCH, 0777);
}

static bool exists(const char *p) { return access(p, F_OK) == 0; }

/* Smooth synthetic RGB frame (gradients + a moving disc), t shifts the content. */
static void make_frame(uint8_t *rgb, int w, int h, int t) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgb + ((size_t)y * w + x) * 3;
            /* disc with a soft 6-pixel edge: 4:2:0 chroma cannot hold hard saturated edges */
            double dx = x - (w / 4 + 2 * t), dy = y - h / 2, r = sqrt(dx * dx + dy * dy);
            double a = (h / 4.0 - r) / 6.0 + 0.5;
            a = a < 0 ? 0 : a > 1 ? 1 : a;
            double bg0 = 40 + 180.0 * x / w, bg1 = 30 + 200.0 * y / h, bg2 = 128 + 60 * sin((x + y + 3 * t) * 0.15);
            p[0] = (uint8_t)lrint(a * 200 + (1 - a) * bg0);
            p[1] = (uint8_t)lrint(a * 90 + (1 - a) * bg1);
            p[2] = (uint8_t)lrint(a * 110 + (1 - a) * bg2);
        }
}

/* PSNR in dB of the top-left w x h of b (stride bw pixels) against a (w x h), RGB. */
static double psnr(const uint8_t *a, const uint8_t *b, int w, int h, int bw) {
    double se = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * 3; x++) {
            double d = (double)a[(size_t)y * w * 3 + x] - (double)b[(size_t)y * bw * 3 + x];
            se += d * d;
        }
    double mse = se / ((double)w * h * 3);
    return mse <= 1e-12 ? 99.0 : 10.0 * log10(255.0 * 255.0 / mse);
}

/* -------------------------------------------------------------------- images */

/* 1 when this build can encode fmt (libpng / libjpeg found at configure time); else the calls
   must fail with A2A_ERR_UNSUPPORTED, which is checked here, and the format's tests are skipped. */
static int have_codec(a2a_image_file_format fmt) {
    uint8_t px[3] = {1, 2, 3};
    a2a_image one = {1, 1, 3, px};
    void *buf = NULL;
    size_t n = 0;
    a2a_status st = a2a_image_encode(ctx, &one, fmt, NULL, &buf, &n);
    free(buf);
    CHECK(st == A2A_OK || st == A2A_ERR_UNSUPPORTED);
    return st == A2A_OK;
}


TEST(png_roundtrip_exact) {
    if (!have_codec(A2A_IMAGE_FILE_PNG)) return;
    fresh_scratch();
    a2a_test_rng rng = {42};
    const int w = 37, h = 23;
    for (int c = 1; c <= 4; c++) {
        if (c == 2) continue;
        a2a_image img = {w, h, c, malloc((size_t)w * h * c)};
        for (int i = 0; i < w * h * c; i++) img.data[i] = (uint8_t)(a2a_test_next(&rng) >> 56);
        a2a_status st = a2a_image_write(ctx, &img, SCRATCH "/a.PNG", NULL); /* extension case-insensitive */
        CHECK_MSG(st == A2A_OK, "c=%d: %s", c, a2a_last_error(ctx));
        a2a_image back = {0};
        st = a2a_image_load(ctx, SCRATCH "/a.PNG", NULL, &back);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st == A2A_OK) {
            CHECK_EQ_INT(back.w, w);
            CHECK_EQ_INT(back.h, h);
            int bad = 0;
            for (int i = 0; i < w * h; i++)
                for (int k = 0; k < 3; k++) bad += back.data[i * 3 + k] != img.data[i * c + (c == 1 ? 0 : k)];
            CHECK_MSG(bad == 0, "c=%d: %d samples differ", c, bad);
        }
        a2a_image_free(&back);
        a2a_image_free(&img);
    }
    CHECK_EQ_INT(count_entries(SCRATCH), 1); /* only a.PNG: no temporaries left */
    /* in-memory encode, gray 1x1 */
    uint8_t px = 77;
    a2a_image one = {1, 1, 1, &px};
    void *buf = NULL;
    size_t n = 0;
    CHECK(a2a_image_encode(ctx, &one, A2A_IMAGE_FILE_PNG, NULL, &buf, &n) == A2A_OK);
    a2a_image back = {0};
    CHECK(buf && a2a_image_decode(ctx, buf, n, NULL, &back) == A2A_OK && back.data && back.data[0] == 77 &&
          back.data[2] == 77);
    a2a_image_free(&back);
    free(buf);
}

TEST(jpeg_roundtrip_psnr) {
    if (!have_codec(A2A_IMAGE_FILE_JPEG)) return;
    fresh_scratch();
    const int w = 64, h = 48;
    a2a_image img = {w, h, 3, malloc((size_t)w * h * 3)};
    make_frame(img.data, w, h, 0);
    a2a_image_write_params p = a2a_image_write_default_params();
    const char *names[2] = {SCRATCH "/a.jpg", SCRATCH "/b.jpeg"};
    for (int k = 0; k < 2; k++) {
        p.jpeg_subsample_420 = k == 0;
        CHECK_MSG(a2a_image_write(ctx, &img, names[k], &p) == A2A_OK, "%s", a2a_last_error(ctx));
        a2a_image back = {0};
        CHECK(a2a_image_load(ctx, names[k], NULL, &back) == A2A_OK);
        if (back.data && back.w == w && back.h == h) {
            double q = psnr(img.data, back.data, w, h, w);
            fprintf(stderr, "  jpeg q95 %s: PSNR %.2f dB\n", k == 0 ? "4:2:0" : "4:4:4", q);
            CHECK_MSG(q >= (k == 0 ? 40.0 : 44.0), "PSNR %.2f", q);
        } else {
            CHECK(0);
        }
        a2a_image_free(&back);
    }
    /* gray JPEG */
    a2a_image g = {w, h, 1, malloc((size_t)w * h)};
    for (int i = 0; i < w * h; i++) g.data[i] = img.data[i * 3 + 1];
    CHECK(a2a_image_write(ctx, &g, SCRATCH "/g.jpg", NULL) == A2A_OK);
    a2a_image back = {0};
    CHECK(a2a_image_load(ctx, SCRATCH "/g.jpg", NULL, &back) == A2A_OK);
    if (back.data) {
        double se = 0;
        for (int i = 0; i < w * h; i++) se += pow((double)back.data[i * 3] - g.data[i], 2);
        double q = 10 * log10(255.0 * 255.0 / (se / (w * h) + 1e-12));
        fprintf(stderr, "  jpeg q95 gray: PSNR %.2f dB\n", q);
        CHECK(q >= 50.0);
    }
    a2a_image_free(&back);
    /* RGBA cannot be JPEG; low quality still decodes */
    a2a_image rgba = {2, 2, 4, (uint8_t[16]){0}};
    CHECK(a2a_image_write(ctx, &rgba, SCRATCH "/x.jpg", NULL) == A2A_ERR_INVALID_ARG);
    p = a2a_image_write_default_params();
    p.jpeg_quality = 0;
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/x.jpg", &p) == A2A_ERR_INVALID_ARG);
    p.jpeg_quality = 101;
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/x.jpg", &p) == A2A_ERR_INVALID_ARG);
    CHECK(!exists(SCRATCH "/x.jpg"));
    a2a_image_free(&img);
    a2a_image_free(&g);
}

/* FNV-1a 64 of a byte string. */
static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The JPEG bytes equal Pillow's Image.save(path, quality=q) (Pillow 13.0 with its bundled
   libjpeg-turbo; what diffusers' image.save does) for a 64x48 test image: sizes and FNV-1a
   hashes of Pillow's files below. Checked only against libjpeg-turbo (other libjpegs may
   legitimately produce other bytes); the decoded-PSNR test above covers every library. */
TEST(jpeg_bytes_match_pillow) {
    if (!have_codec(A2A_IMAGE_FILE_JPEG)) return;
#ifdef LIBJPEG_TURBO_VERSION
    const int w = 64, h = 48;
    a2a_image img = {w, h, 3, malloc((size_t)w * h * 3)};
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img.data + ((size_t)y * w + x) * 3;
            p[0] = (uint8_t)(40 + 180 * x / w);
            p[1] = (uint8_t)(30 + 200 * y / h);
            p[2] = (uint8_t)((x * 7 + y * 13) & 255);
        }
    static const struct { int q; size_t n; uint64_t h; } ref[2] = {{75, 1154, 0x6b3b90fae9cf51efull},
                                                                    {95, 2028, 0xa66d5f8168584ee8ull}};
    for (int i = 0; i < 2; i++) {
        a2a_image_write_params p = a2a_image_write_default_params();
        p.jpeg_quality = ref[i].q;
        void *buf = NULL;
        size_t n = 0;
        CHECK(a2a_image_encode(ctx, &img, A2A_IMAGE_FILE_JPEG, &p, &buf, &n) == A2A_OK);
        if (buf) {
            uint64_t hh = fnv1a(buf, n);
            CHECK_MSG(n == ref[i].n && hh == ref[i].h, "q%d: %zu bytes hash %016llx, Pillow: %zu bytes %016llx", ref[i].q,
                      n, (unsigned long long)hh, ref[i].n, (unsigned long long)ref[i].h);
        }
        free(buf);
    }
    a2a_image_free(&img);
#endif
}

/* diffusers reference: VaeImageProcessor().postprocess(x, "pil") and (postprocess(x, "np")*255).astype(uint8)
   for these float32 inputs in [-1, 1] space (made with diffusers 0.35.2, torch 2.x, numpy) */
static const uint32_t ref_in_bits[60] = {
    0xbf7efeff, 0xbf7cfcfd, 0xbf7afafb, 0xbf78f8f9, 0x00000000, 0x3c008080, 0x3f7cfcfc, 0x3f7efefe, 0x3f808080,
    0x3ea84c6c, 0xbf0d716b, 0xbf8d0350, 0xbf9485d0, 0x3f407926, 0x3f7d98d7, 0x3e8308b7, 0x3f0d00b0, 0x3dd66cf1,
    0x3f85a77d, 0x3f420f78, 0xbf98c23c, 0x3f5b96d5, 0xbf8f4853, 0x3f0d19ae, 0xbf4746f6, 0x3f5f231b, 0x3dcbca4a,
    0xbef61d31, 0xbe3e00ff, 0xbf90e673, 0xbf66d721, 0x3ed1a9cd, 0x3eb4ddd1, 0x3e8dc905, 0xbe8eefe1, 0x3f98be2e,
    0x3f93b66e, 0x3ee3fe76, 0x3eb8e265, 0x3ee79037, 0xbe887e4c, 0xbf60325b, 0x3f08151b, 0x3d793e3e, 0xbee92cbf,
    0xbd0b3e7d, 0x3f6f4d24, 0x3f855692, 0xbeaebdc3, 0xbf800000, 0x3f800000, 0x00000000, 0xbf000000, 0x3f000000,
    0x33d6bf95, 0xb3d6bf95, 0x40000000, 0xc0400000, 0x3b808081, 0x3f7efeff};
static const uint8_t ref_round[60] = {0,   1,   2,   3,   128, 128, 254, 254, 255, 169, 57,  0,   0,   223, 254,
                                      160, 198, 141, 255, 224, 0,   237, 0,   198, 28,  239, 140, 66,  104, 0,
                                      13,  180, 173, 163, 92,  255, 255, 184, 174, 185, 94,  16,  195, 135, 69,
                                      123, 247, 255, 84,  0,   255, 128, 64,  191, 128, 127, 255, 0,   128, 254};
static const uint8_t ref_trunc[60] = {0,   1,   2,   3,   127, 128, 253, 254, 255, 169, 57,  0,   0,   223, 253,
                                      160, 197, 140, 255, 224, 0,   236, 0,   197, 28,  238, 140, 66,  103, 0,
                                      12,  179, 172, 162, 91,  255, 255, 184, 173, 185, 93,  15,  195, 135, 69,
                                      123, 246, 255, 83,  0,   255, 127, 63,  191, 127, 127, 255, 0,   128, 254};

TEST(float_to_u8_matches_diffusers) {
    enum { N = 60 };
    float x[3 * N];
    for (int i = 0; i < N; i++) {
        float v;
        memcpy(&v, &ref_in_bits[i], 4);
        x[i] = x[N + i] = x[2 * N + i] = v;
    }
    a2a_image img = {0};
    CHECK(a2a_image_from_planar_f32(ctx, x, 3, 1, N, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND, &img) == A2A_OK);
    int bad = 0;
    for (int i = 0; i < N && img.data; i++)
        for (int c = 0; c < 3; c++) bad += img.data[i * 3 + c] != ref_round[i];
    CHECK_MSG(bad == 0, "%d pixels differ from diffusers' numpy_to_pil", bad);
    a2a_image_free(&img);
    CHECK(a2a_image_from_planar_f32(ctx, x, 3, 1, N, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_TRUNC, &img) == A2A_OK);
    bad = 0;
    for (int i = 0; i < N && img.data; i++) bad += img.data[i * 3] != ref_trunc[i];
    CHECK_MSG(bad == 0, "%d pixels differ from export_to_video's astype(uint8)", bad);
    a2a_image_free(&img);
    /* [0,1] range, planar layout, NaN */
    float y[2 * 3] = {0.0f, 0.5f, 1.0f, NAN, -1.0f, 2.0f}; /* c=1: h=2, w=3 */
    CHECK(a2a_image_from_planar_f32(ctx, y, 1, 2, 3, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) == A2A_OK);
    if (img.data) {
        CHECK(img.c == 1 && img.w == 3 && img.h == 2);
        CHECK(img.data[0] == 0 && img.data[1] == 128 && img.data[2] == 255 && img.data[3] == 0 && img.data[4] == 0 &&
              img.data[5] == 255);
    }
    a2a_image_free(&img);
    float z[12] = {0.1f, 0.2f, 0.3f, 0.4f, 0, 0, 0, 0, 1, 1, 1, 1}; /* c=3, h=2, w=2: channel planes */
    CHECK(a2a_image_from_planar_f32(ctx, z, 3, 2, 2, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) == A2A_OK);
    if (img.data) CHECK(img.data[0] == 26 && img.data[1] == 0 && img.data[2] == 255 && img.data[3] == 51);
    a2a_image_free(&img);
    CHECK(a2a_image_from_planar_f32(ctx, z, 2, 2, 2, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_from_planar_f32(ctx, z, 3, 0, 2, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_from_planar_f32(ctx, NULL, 3, 2, 2, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_from_planar_f32(ctx, z, 3, 100000, 100000, A2A_PIXEL_RANGE_0_1, A2A_PIXEL_ROUND, &img) ==
          A2A_ERR_NOMEM);
}

TEST(image_bad_inputs_leave_nothing) {
    if (!have_codec(A2A_IMAGE_FILE_PNG)) return;
    fresh_scratch();
    uint8_t px[12] = {0};
    a2a_image img = {2, 2, 3, px};
    /* an existing destination keeps its bytes when a write fails */
    CHECK(a2a_test_write_file(SCRATCH "/keep.png", "old", 3) == 0);
    a2a_image zero = {0, 2, 3, px};
    CHECK(a2a_image_write(ctx, &zero, SCRATCH "/keep.png", NULL) == A2A_ERR_INVALID_ARG);
    a2a_image huge = {70000, 2, 3, px};
    CHECK(a2a_image_write(ctx, &huge, SCRATCH "/keep.png", NULL) == A2A_ERR_INVALID_ARG);
    a2a_image two = {2, 2, 2, px};
    CHECK(a2a_image_write(ctx, &two, SCRATCH "/keep.png", NULL) == A2A_ERR_INVALID_ARG);
    a2a_image nodata = {2, 2, 3, NULL};
    CHECK(a2a_image_write(ctx, &nodata, SCRATCH "/keep.png", NULL) == A2A_ERR_INVALID_ARG);
    a2a_image_write_params p = a2a_image_write_default_params();
    p.png_compression = 10;
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/keep.png", &p) == A2A_ERR_INVALID_ARG);
    size_t n = 0;
    char *old = a2a_test_read_file(SCRATCH "/keep.png", &n);
    CHECK(old && n == 3 && !memcmp(old, "old", 3));
    free(old);
    /* unknown / missing extension, empty path, missing directory, a file used as directory */
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/a.bmp", NULL) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/noext", NULL) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/.png", NULL) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_image_write(ctx, &img, "", NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_write(ctx, &img, NULL, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/missing/a.png", NULL) == A2A_ERR_IO);
    CHECK(strstr(a2a_last_error(ctx), "missing/a.png") != NULL);
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/keep.png/a.png", NULL) == A2A_ERR_IO);
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/", NULL) != A2A_OK);
    if (geteuid() != 0) { /* root ignores permissions */
        mkdir(SCRATCH "/ro", 0555);
        chmod(SCRATCH "/ro", 0555);
        CHECK(a2a_image_write(ctx, &img, SCRATCH "/ro/a.png", NULL) == A2A_ERR_IO);
        CHECK_EQ_INT(count_entries(SCRATCH "/ro"), 0);
        rmdir(SCRATCH "/ro");
    }
    /* forced format ignores the extension */
    p = a2a_image_write_default_params();
    p.format = A2A_IMAGE_FILE_PNG;
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/forced.img", &p) == A2A_OK);
    a2a_image back = {0};
    CHECK(a2a_image_load(ctx, SCRATCH "/forced.img", NULL, &back) == A2A_OK);
    a2a_image_free(&back);
    CHECK_EQ_INT(count_entries(SCRATCH), 2); /* keep.png, forced.img */
    /* a successful write replaces the existing file */
    CHECK(a2a_image_write(ctx, &img, SCRATCH "/keep.png", NULL) == A2A_OK);
    CHECK(a2a_image_load(ctx, SCRATCH "/keep.png", NULL, &back) == A2A_OK && back.w == 2);
    a2a_image_free(&back);
    CHECK_EQ_INT(count_entries(SCRATCH), 2);
}

/* -------------------------------------------------------------------- audio */

TEST(wav_pcm16_exact_and_clipping) {
    fresh_scratch();
    /* every 16-bit value k/32768, k = -32768..32767, as one mono clip */
    const int64_t N = 65536;
    a2a_audio a = {22050, 1, N, malloc((size_t)N * sizeof(float))};
    for (int64_t i = 0; i < N; i++) a.data[i] = (float)(i - 32768) / 32768.0f;
    a2a_audio_write_params p = a2a_audio_write_default_params();
    p.format = A2A_WAV_PCM16;
    CHECK_MSG(a2a_audio_write(ctx, &a, SCRATCH "/k.wav", &p) == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_audio b = {0};
    CHECK(a2a_audio_load(ctx, SCRATCH "/k.wav", NULL, &b) == A2A_OK);
    if (b.data) {
        CHECK_EQ_INT(b.rate, 22050);
        CHECK_EQ_INT(b.channels, 1);
        CHECK_EQ_INT(b.frames, N);
        int bad = 0;
        for (int64_t i = 0; i < N && i < b.frames; i++) bad += b.data[i] != a.data[i];
        CHECK_MSG(bad == 0, "%d samples differ", bad);
    }
    a2a_audio_free(&b);
    /* file size: 44-byte header + 2 bytes per sample */
    size_t n = 0;
    void *raw = a2a_test_read_file(SCRATCH "/k.wav", &n);
    CHECK_EQ_INT(n, 44 + 2 * N);
    free(raw);
    /* clipping and rounding */
    CHECK_EQ_INT(a2a_wav_f32_to_s16(1.0f, A2A_WAV_SCALE_32768), 32767);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(1.5f, A2A_WAV_SCALE_32768), 32767);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(-1.0f, A2A_WAV_SCALE_32768), -32768);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(-7.0f, A2A_WAV_SCALE_32768), -32768);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(NAN, A2A_WAV_SCALE_32768), 0);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(0.5f / 32768.0f, A2A_WAV_SCALE_32768), 0);  /* half to even */
    CHECK_EQ_INT(a2a_wav_f32_to_s16(1.5f / 32768.0f, A2A_WAV_SCALE_32768), 2);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(1.0f, A2A_WAV_SCALE_32767), 32767);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(-1.0f, A2A_WAV_SCALE_32767), -32767);
    CHECK_EQ_INT(a2a_wav_f32_to_s16(0.5f, A2A_WAV_SCALE_32767), 16384); /* 16383.5 -> even */
    a2a_audio_free(&a);
}

TEST(wav_float_and_multichannel) {
    fresh_scratch();
    a2a_test_rng rng = {7};
    for (int ch = 1; ch <= 6; ch += 1) {
        const int64_t F = 1001;
        a2a_audio a = {ch == 3 ? 44100 : 16000, ch, F, malloc((size_t)F * ch * sizeof(float))};
        a2a_test_fill(&rng, a.data, (size_t)F * ch, -1.5f, 1.5f); /* float WAV keeps out-of-range values */
        for (int fmt = 0; fmt < 2; fmt++) {
            a2a_audio_write_params p = a2a_audio_write_default_params();
            p.format = fmt ? A2A_WAV_PCM16 : A2A_WAV_F32;
            CHECK_MSG(a2a_audio_write(ctx, &a, SCRATCH "/m.Wav", &p) == A2A_OK, "%s", a2a_last_error(ctx));
            a2a_audio b = {0};
            CHECK_MSG(a2a_audio_load(ctx, SCRATCH "/m.Wav", NULL, &b) == A2A_OK, "ch=%d fmt=%d: %s", ch, fmt,
                      a2a_last_error(ctx));
            if (b.data && b.frames == F && b.channels == ch) {
                CHECK_EQ_INT(b.rate, a.rate);
                int bad = 0;
                for (int64_t i = 0; i < F * ch; i++) {
                    float want = fmt ? (float)a2a_wav_f32_to_s16(a.data[i], A2A_WAV_SCALE_32768) / 32768.0f : a.data[i];
                    bad += memcmp(&b.data[i], &want, 4) != 0;
                }
                CHECK_MSG(bad == 0, "ch=%d fmt=%d: %d samples differ", ch, fmt, bad);
            } else {
                CHECK_MSG(0, "ch=%d fmt=%d: read back %lld frames x %d", ch, fmt, (long long)b.frames, b.channels);
            }
            a2a_audio_free(&b);
        }
        a2a_audio_free(&a);
    }
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
}

TEST(wav_pcm16_matches_libsndfile) {
#ifdef HAVE_SNDFILE_H
    fresh_scratch();
    enum { N = 4000 };
    a2a_test_rng rng = {99};
    float x[N];
    a2a_test_fill(&rng, x, N, -1.0f, 1.0f);
    x[0] = 1.0f, x[1] = -1.0f, x[2] = 0.5f, x[3] = 16383.5f / 32767.0f, x[4] = -0.5f / 32767.0f;
    SF_INFO info = {0};
    info.samplerate = 16000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(SCRATCH "/ref.wav", SFM_WRITE, &info);
    CHECK(sf != NULL);
    if (!sf) return;
    CHECK(sf_writef_float(sf, x, N / 2) == N / 2);
    sf_close(sf);
    a2a_audio a = {16000, 2, N / 2, x};
    a2a_audio_write_params p = a2a_audio_write_default_params();
    p.format = A2A_WAV_PCM16;
    p.pcm16_scale = A2A_WAV_SCALE_32767;
    void *ours = NULL;
    size_t on = 0, rn = 0;
    CHECK(a2a_audio_encode_wav(ctx, &a, &p, &ours, &on) == A2A_OK);
    uint8_t *ref = a2a_test_read_file(SCRATCH "/ref.wav", &rn);
    /* compare the sample bytes (the last 2*N bytes of both; libsndfile's header may carry extra chunks) */
    CHECK(ours && ref && on >= 2 * N && rn >= 2 * N);
    if (ours && ref && on >= 2 * N && rn >= 2 * N) {
        int bad = 0;
        for (int i = 0; i < 2 * N; i++) bad += ((uint8_t *)ours)[on - 2 * N + i] != ref[rn - 2 * N + i];
        CHECK_MSG(bad == 0, "%d bytes differ from libsndfile", bad);
    }
    free(ours);
    free(ref);
#endif
}

TEST(wav_bad_inputs) {
    fresh_scratch();
    float s[4] = {0};
    a2a_audio a = {16000, 1, 4, s};
    CHECK(a2a_test_write_file(SCRATCH "/keep.wav", "old", 3) == 0);
    a2a_audio bad = a;
    bad.frames = 0;
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_INVALID_ARG);
    bad = a;
    bad.rate = 0;
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_INVALID_ARG);
    bad.rate = A2A_AUDIO_MAX_RATE + 1;
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_INVALID_ARG);
    bad = a;
    bad.channels = 0;
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_INVALID_ARG);
    bad = a;
    bad.data = NULL;
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_INVALID_ARG);
    bad = a;
    bad.frames = (int64_t)1 << 40; /* over the RIFF limit: refused before touching the data */
    CHECK(a2a_audio_write(ctx, &bad, SCRATCH "/keep.wav", NULL) == A2A_ERR_NOMEM);
    a2a_audio_write_params p = a2a_audio_write_default_params();
    p.format = (a2a_wav_format)7;
    CHECK(a2a_audio_write(ctx, &a, SCRATCH "/keep.wav", &p) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_audio_write(ctx, &a, SCRATCH "/a.mp3", NULL) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_audio_write(ctx, &a, SCRATCH "/missing/a.wav", NULL) == A2A_ERR_IO);
    size_t n = 0;
    char *old = a2a_test_read_file(SCRATCH "/keep.wav", &n);
    CHECK(old && n == 3 && !memcmp(old, "old", 3));
    free(old);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
}

/* -------------------------------------------------------------------- video */

static int have_ffmpeg(void) {
    a2a_video_writer *vw = NULL;
    a2a_status st = a2a_video_writer_open(ctx, SCRATCH "/probe.gif", 2, 2, 1.0, NULL, &vw);
    a2a_video_writer_abort(vw);
    return st != A2A_ERR_UNSUPPORTED;
}

/* Write n frames of w x h at fps with codec into path, read back and return the minimum PSNR over
   the frames at t = i / fps (i = 0, n/2, n-1); -1 on failure. */
static double video_roundtrip(const char *path, a2a_video_codec codec, int w, int h, int n, double fps) {
    uint8_t *frames = malloc((size_t)n * w * h * 3);
    for (int i = 0; i < n; i++) make_frame(frames + (size_t)i * w * h * 3, w, h, i);
    a2a_video_write_params p = a2a_video_write_default_params();
    p.codec = codec;
    a2a_video_writer *vw = NULL;
    a2a_status st = a2a_video_writer_open(ctx, path, w, h, fps, &p, &vw);
    CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    if (st) {
        free(frames);
        return -1;
    }
    for (int i = 0; i < n && !st; i++) st = a2a_video_writer_add_frame(ctx, vw, frames + (size_t)i * w * h * 3);
    CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    CHECK_EQ_INT(a2a_video_writer_frames(vw), n);
    st = a2a_video_writer_close(ctx, vw);
    CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    double worst = -1;
    a2a_video_info vi;
    if (!st && a2a_video_probe(ctx, path, &vi) == A2A_OK) {
        bool gif = strstr(path, ".gif") != NULL; /* GIF keeps odd sizes; yuv420p codecs pad them */
        int W = w + (gif ? 0 : (w & 1)), H = h + (gif ? 0 : (h & 1));
        CHECK_EQ_INT(vi.width, W);
        CHECK_EQ_INT(vi.height, H);
        CHECK_MSG(fabs(vi.fps - fps) < 0.01, "%s: fps %g", path, vi.fps);
        CHECK_MSG(llabs(vi.n_frames_est - n) <= 1, "%s: %lld frames", path, (long long)vi.n_frames_est);
        int idx[3] = {0, n / 2, n - 1};
        double t[3];
        for (int k = 0; k < 3; k++) t[k] = idx[k] / fps;
        a2a_image fr[3];
        st = a2a_video_frames_at(ctx, path, t, 3, NULL, fr);
        CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
        if (!st) {
            worst = 99;
            for (int k = 0; k < 3; k++) {
                double q = fr[k].w == W && fr[k].h == H
                               ? psnr(frames + (size_t)idx[k] * w * h * 3, fr[k].data, w, h, W)
                               : 0;
                if (q < worst) worst = q;
                a2a_image_free(&fr[k]);
            }
        }
    } else {
        CHECK_MSG(0, "%s: probe: %s", path, a2a_last_error(ctx));
    }
    free(frames);
    return worst;
}

/* Offset of the first top-level MP4 box of type t (4 chars), -1 if absent. */
static long mp4_box(const char *path, const char *t) {
    size_t n = 0;
    uint8_t *b = a2a_test_read_file(path, &n);
    long at = -1;
    for (size_t off = 0; b && off + 8 <= n;) {
        uint64_t sz = ((uint64_t)b[off] << 24) | ((uint64_t)b[off + 1] << 16) | ((uint64_t)b[off + 2] << 8) | b[off + 3];
        if (!memcmp(b + off + 4, t, 4)) {
            at = (long)off;
            break;
        }
        if (sz == 1 && off + 16 <= n) {
            sz = 0;
            for (int i = 0; i < 8; i++) sz = (sz << 8) | b[off + 8 + i];
        }
        if (sz < 8) break;
        off += sz;
    }
    free(b);
    return at;
}

TEST(video_roundtrip_psnr) {
    fresh_scratch();
    if (!have_ffmpeg()) {
        a2a_video_writer *vw = (a2a_video_writer *)1;
        CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 64, 48, 10, NULL, &vw) == A2A_ERR_UNSUPPORTED && !vw);
        return;
    }
    a2a_video_set_ffmpeg_log_quiet(true); /* x264/libvpx statistics */
    static const struct {
        const char *path;
        a2a_video_codec codec;
        int w, h;
        double fps, min_psnr;
    } c[] = {
        {SCRATCH "/h264.mp4", A2A_VIDEO_CODEC_AUTO, 64, 48, 10.0, 34.0},
        {SCRATCH "/odd.mp4", A2A_VIDEO_CODEC_H264, 63, 47, 8.0, 34.0},
        {SCRATCH "/mpeg4.mp4", A2A_VIDEO_CODEC_MPEG4, 64, 48, 10.0, 33.5},
        {SCRATCH "/vp9.webm", A2A_VIDEO_CODEC_AUTO, 64, 48, 10.0, 31.5},
        {SCRATCH "/vp8.webm", A2A_VIDEO_CODEC_VP8, 64, 48, 10.0, 33.5},
        {SCRATCH "/anim.gif", A2A_VIDEO_CODEC_AUTO, 65, 49, 10.0, 32.0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double q = video_roundtrip(c[i].path, c[i].codec, c[i].w, c[i].h, 10, c[i].fps);
        fprintf(stderr, "  %s %dx%d: min PSNR %.2f dB (bound %.1f)\n", c[i].path, c[i].w, c[i].h, q, c[i].min_psnr);
        CHECK_MSG(q >= c[i].min_psnr, "%s: PSNR %.2f < %.1f", c[i].path, q, c[i].min_psnr);
    }
    CHECK_EQ_INT(count_entries(SCRATCH), (int)(sizeof c / sizeof c[0]));
    /* +faststart: the index comes before the media data */
    long moov = mp4_box(SCRATCH "/h264.mp4", "moov"), mdat = mp4_box(SCRATCH "/h264.mp4", "mdat");
    CHECK_MSG(moov > 0 && mdat > moov, "moov at %ld, mdat at %ld", moov, mdat);
    moov = mp4_box(SCRATCH "/mpeg4.mp4", "moov"), mdat = mp4_box(SCRATCH "/mpeg4.mp4", "mdat");
    CHECK_MSG(moov > 0 && mdat > moov, "moov at %ld, mdat at %ld", moov, mdat);
    a2a_video_set_ffmpeg_log_quiet(false);
}

TEST(video_failures_leave_nothing) {
    fresh_scratch();
    if (!have_ffmpeg()) return;
    a2a_video_set_ffmpeg_log_quiet(true);
    uint8_t rgb[32 * 32 * 3];
    make_frame(rgb, 32, 32, 0);
    CHECK(a2a_test_write_file(SCRATCH "/keep.mp4", "old", 3) == 0);
    a2a_video_writer *vw = NULL;
    /* abort mid-video: the old file stays, no temporary is left */
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/keep.mp4", 32, 32, 8, NULL, &vw) == A2A_OK);
    CHECK_EQ_INT(count_entries(SCRATCH), 2); /* keep.mp4 + its temporary */
    for (int i = 0; i < 5; i++) CHECK(a2a_video_writer_add_frame(ctx, vw, rgb) == A2A_OK);
    a2a_video_writer_abort(vw);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
    /* close without frames */
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/keep.mp4", 32, 32, 8, NULL, &vw) == A2A_OK);
    CHECK(a2a_video_writer_close(ctx, vw) == A2A_ERR_INVALID_ARG);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
    /* frame limit: the add fails, close fails, nothing is written */
    a2a_video_write_params p = a2a_video_write_default_params();
    p.max_frames = 2;
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/keep.mp4", 32, 32, 8, &p, &vw) == A2A_OK);
    CHECK(a2a_video_writer_add_frame(ctx, vw, rgb) == A2A_OK);
    CHECK(a2a_video_writer_add_frame(ctx, vw, rgb) == A2A_OK);
    CHECK(a2a_video_writer_add_frame(ctx, vw, rgb) == A2A_ERR_NOMEM);
    CHECK(a2a_video_writer_add_frame(ctx, vw, rgb) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_close(ctx, vw) == A2A_ERR_INVALID_ARG);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
    size_t n = 0;
    char *old = a2a_test_read_file(SCRATCH "/keep.mp4", &n);
    CHECK(old && n == 3 && !memcmp(old, "old", 3));
    free(old);
    /* bad arguments: nothing is created */
    vw = (a2a_video_writer *)1;
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 0, 32, 8, NULL, &vw) == A2A_ERR_INVALID_ARG && !vw);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, -1, 8, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 100000, 32, 8, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, 32, 0, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, 32, NAN, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, 32, -5, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, 32, 1e9, NULL, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.avi", 32, 32, 8, NULL, &vw) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a", 32, 32, 8, NULL, &vw) == A2A_ERR_UNSUPPORTED);
    CHECK(a2a_video_writer_open(ctx, NULL, 32, 32, 8, NULL, &vw) == A2A_ERR_INVALID_ARG);
    p = a2a_video_write_default_params();
    p.codec = A2A_VIDEO_CODEC_VP9;
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/a.mp4", 32, 32, 8, &p, &vw) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_open(ctx, SCRATCH "/missing/a.mp4", 32, 32, 8, NULL, &vw) == A2A_ERR_IO && !vw);
    CHECK(a2a_video_writer_add_frame(ctx, NULL, rgb) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_writer_close(ctx, NULL) == A2A_ERR_INVALID_ARG);
    a2a_video_writer_abort(NULL);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
    /* one-call helper; frames of different sizes are refused */
    a2a_image fr[2] = {{32, 32, 3, rgb}, {32, 32, 3, rgb}};
    CHECK(a2a_video_write(ctx, SCRATCH "/two.gif", fr, 2, 5.0, NULL) == A2A_OK);
    fr[1].w = 16;
    CHECK(a2a_video_write(ctx, SCRATCH "/bad.gif", fr, 2, 5.0, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(exists(SCRATCH "/two.gif") && !exists(SCRATCH "/bad.gif"));
    CHECK_EQ_INT(count_entries(SCRATCH), 2);
    a2a_video_set_ffmpeg_log_quiet(false);
}

TEST(png_frames_dir) {
    if (!have_codec(A2A_IMAGE_FILE_PNG)) return;
    fresh_scratch();
    enum { W = 9, H = 7, N = 3 };
    uint8_t px[N][W * H * 3];
    a2a_image fr[N];
    for (int i = 0; i < N; i++) {
        make_frame(px[i], W, H, i);
        fr[i] = (a2a_image){W, H, 3, px[i]};
    }
    CHECK_MSG(a2a_video_write_png_frames(ctx, SCRATCH "/frames", NULL, fr, N, NULL) == A2A_OK, "%s",
              a2a_last_error(ctx));
    CHECK_EQ_INT(count_entries(SCRATCH "/frames"), N);
    for (int i = 0; i < N; i++) {
        char p[256];
        snprintf(p, sizeof p, SCRATCH "/frames/frame-%03d.png", i);
        a2a_image b = {0};
        CHECK_MSG(a2a_image_load(ctx, p, NULL, &b) == A2A_OK, "%s", p);
        CHECK(b.data && b.w == W && b.h == H && !memcmp(b.data, px[i], sizeof px[i]));
        a2a_image_free(&b);
    }
    /* into an existing directory with a prefix (trailing slash accepted) */
    CHECK(a2a_video_write_png_frames(ctx, SCRATCH "/frames/", "img", fr, 1, NULL) == A2A_OK);
    CHECK(exists(SCRATCH "/frames/img-000.png"));
    /* a bad frame: nothing written, directory not created */
    a2a_image bad[2] = {fr[0], {W, H, 2, px[1]}};
    CHECK(a2a_video_write_png_frames(ctx, SCRATCH "/new", NULL, bad, 2, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(!exists(SCRATCH "/new"));
    CHECK(a2a_video_write_png_frames(ctx, SCRATCH "/new", "a/b", fr, 1, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_write_png_frames(ctx, SCRATCH "/new", NULL, fr, 0, NULL) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_video_write_png_frames(ctx, SCRATCH "/missing/new", NULL, fr, 1, NULL) == A2A_ERR_IO);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
}

TEST(atomic_file_helper) {
    fresh_scratch();
    a2a_atomic_file af;
    CHECK(a2a_atomic_file_open(ctx, "t", SCRATCH "/x.bin", &af) == A2A_OK);
    CHECK(af.f && af.tmp_path && strstr(af.tmp_path, SCRATCH "/.x.bin.") == af.tmp_path);
    fputs("hello", af.f);
    CHECK(!exists(SCRATCH "/x.bin"));
    CHECK(a2a_atomic_file_commit(ctx, "t", &af) == A2A_OK);
    CHECK(af.f == NULL && af.path == NULL);
    size_t n = 0;
    char *s = a2a_test_read_file(SCRATCH "/x.bin", &n);
    CHECK(s && n == 5 && !memcmp(s, "hello", 5));
    free(s);
    /* final permissions follow the umask like fopen's, not mkstemp's 0600 */
    struct stat sb;
    mode_t um = umask(022);
    umask(um);
    CHECK(stat(SCRATCH "/x.bin", &sb) == 0 && (sb.st_mode & 0777) == (0666 & ~um));
    CHECK(a2a_atomic_file_open(ctx, "t", SCRATCH "/x.bin", &af) == A2A_OK);
    fputs("new", af.f);
    a2a_atomic_file_abort(&af);
    s = a2a_test_read_file(SCRATCH "/x.bin", &n);
    CHECK(s && n == 5);
    free(s);
    CHECK_EQ_INT(count_entries(SCRATCH), 1);
    /* relative name without a directory part */
    CHECK(chdir(SCRATCH) == 0);
    CHECK(a2a_atomic_file_write_all(ctx, "t", "y.bin", "abc", 3) == A2A_OK);
    CHECK(chdir("..") == 0);
    CHECK(exists(SCRATCH "/y.bin"));
    CHECK(a2a_atomic_file_open(ctx, "t", "", &af) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_atomic_file_open(ctx, "t", SCRATCH "/", &af) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_atomic_file_open(ctx, "t", SCRATCH "/nope/z", &af) == A2A_ERR_IO && af.f == NULL);
    a2a_atomic_file_abort(&af); /* zeroed: fine */
    rm_tree(SCRATCH);
}

static void setup(void) { ctx = a2a_ctx_new(); }
static void teardown(void) { a2a_ctx_free(ctx); }

TEST_MAIN(setup, png_roundtrip_exact, jpeg_roundtrip_psnr, jpeg_bytes_match_pillow, float_to_u8_matches_diffusers, image_bad_inputs_leave_nothing,
          wav_pcm16_exact_and_clipping, wav_float_and_multichannel, wav_pcm16_matches_libsndfile, wav_bad_inputs,
          video_roundtrip_psnr, video_failures_leave_nothing, png_frames_dir, atomic_file_helper, teardown)
