/* Image decoding and ImageBind vision preprocessing: golden comparison against PIL/torchvision
   (tests/golden/media/imagebind_vision.gguf, made by tools/ref/make_golden_media.py from the
   samples in tests/media/data/image/), EXIF orientation, limits and hostile inputs.

   Tolerances: PNG, BMP, lossless WebP decode exactly (FNV-1a 64 of the RGB bytes); JPEG within
   2 per channel (IDCT/upsampling may differ between libjpeg builds), lossy WebP within 3;
   PIL resize and torchvision center crop exactly; ToTensor+Normalize exactly (all 256 values
   per channel); the full ImageBind transform bit-exactly (hash of all 3x224x224 floats) and,
   for a readable failure, a 45x45 subsample within 0.02. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include "media/image.h"
#include "media/image_preprocess.h"

static a2a_ctx *ctx;

/* FNV-1a 64 of n bytes (the generator uses the same hash). */
static uint64_t fnv1a64(const void *p, size_t n) {
    const uint8_t *b = (const uint8_t *)p;
    uint64_t h = 0xCBF29CE484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001B3ull;
    }
    return h;
}

/* Full path of a sample image into buf. */
static const char *sample_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/tests/media/data/image/%s", A2A_SOURCE_DIR, name);
    return buf;
}

/* The case's "file" parameter into buf ("" when absent). */
static const char *case_file(const a2a_golden_case *c, char *buf, size_t cap) {
    char key[A2A_GOLDEN_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s.file", c->name);
    const char *s;
    size_t len;
    buf[0] = 0;
    if (a2a_gguf_get_str(c->file->ctx, c->file->g, key, &s, &len) == A2A_OK && len < cap) {
        memcpy(buf, s, len);
        buf[len] = 0;
    }
    return buf;
}

/* True when st says the format's codec library was missing at build time (the test of that
   file is then skipped with a note: such builds are legal, see image.h). */
static bool codec_missing(a2a_status st) {
    if (st != A2A_ERR_UNSUPPORTED || !strstr(a2a_last_error(ctx), "this build has no")) return false;
    fprintf(stderr, "SKIP: %s\n", a2a_last_error(ctx));
    return true;
}

/* Load the case's sample file (orientation per the case's "orient" parameter). Returns 1 on
   success, -1 when the codec is not built in (skip), 0 on failure (message printed). */
static int load_case_image(const a2a_golden_case *c, a2a_image *img) {
    char name[256], path[1024];
    case_file(c, name, sizeof name);
    a2a_image_limits lim = a2a_image_default_limits();
    lim.apply_exif_orientation = a2a_golden_i32(c, "orient", 0) != 0;
    a2a_status st = a2a_image_load(ctx, sample_path(path, sizeof path, name), &lim, img);
    if (st == A2A_OK) return 1;
    if (codec_missing(st)) return -1;
    fprintf(stderr, "%s: %s\n", c->name, a2a_last_error(ctx));
    return 0;
}

/* An I32 tensor [3, w, h] (ggml order) holding the pixels of img; caller frees t->data. */
static bool image_as_i32(const a2a_image *img, a2a_tensor *t) {
    int64_t ne[3] = {3, img->w, img->h};
    if (!a2a_golden_alloc(t, A2A_TYPE_I32, 3, ne)) return false;
    int32_t *d = (int32_t *)t->data;
    for (size_t i = 0; i < (size_t)img->w * img->h * 3; i++) d[i] = img->data[i];
    return true;
}

/* Compare img with the case's I32 [h, w, 3] reference. */
static bool compare_pixels(const a2a_golden_case *c, const a2a_image *img) {
    a2a_tensor t;
    if (!image_as_i32(img, &t)) return false;
    bool ok = a2a_golden_compare(c, &t, "pixels");
    free(t.data);
    return ok;
}

TEST(test_golden_decode) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_vision.gguf")) { CHECK(0); return; }
    int n = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        bool hash = strcmp(c->op, "decode_hash") == 0;
        if (!hash && strcmp(c->op, "decode") != 0) continue;
        n++;
        a2a_image img;
        int lr = load_case_image(c, &img);
        if (lr <= 0) { CHECK_MSG(lr < 0, "%s", c->name); continue; }
        CHECK_EQ_INT(img.c, 3);
        if (hash) {
            uint64_t h = fnv1a64(img.data, (size_t)img.w * img.h * 3);
            int32_t got[4] = {img.w, img.h, (int32_t)(uint32_t)(h & 0xFFFFFFFFu), (int32_t)(uint32_t)(h >> 32)};
            a2a_tensor t = a2a_tensor_make(A2A_TYPE_I32, got, 4, 1, 1, 1);
            CHECK_MSG(a2a_golden_compare(c, &t, "hash"), "%s: decode differs from PIL", c->name);
        } else {
            CHECK_MSG(compare_pixels(c, &img), "%s", c->name);
        }
        a2a_image_free(&img);
    }
    CHECK(n >= 18);
    a2a_golden_close(&gf);
}

TEST(test_golden_resize_crop) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_vision.gguf")) { CHECK(0); return; }
    int n = 0;
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        bool resize = strcmp(c->op, "resize") == 0, crop = strcmp(c->op, "center_crop") == 0;
        if (!resize && !crop) continue;
        n++;
        a2a_image img, out;
        int lr = load_case_image(c, &img);
        if (lr <= 0) { CHECK_MSG(lr < 0, "%s", c->name); continue; }
        int32_t w = a2a_golden_i32(c, "w", 0), h = a2a_golden_i32(c, "h", 0);
        a2a_status st;
        if (resize) {
            a2a_resample f = a2a_golden_str_is(c, "filter", "bilinear") ? A2A_RESAMPLE_BILINEAR : A2A_RESAMPLE_BICUBIC;
            st = a2a_image_resize(ctx, &img, w, h, f, &out);
        } else {
            st = a2a_image_center_crop(ctx, &img, w, h, &out);
        }
        CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        if (st == A2A_OK) CHECK_MSG(compare_pixels(c, &out), "%s", c->name);
        a2a_image_free(&out);
        a2a_image_free(&img);
    }
    CHECK(n >= 6);
    a2a_golden_close(&gf);
}

TEST(test_golden_normalize) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_vision.gguf")) { CHECK(0); return; }
    const a2a_golden_case *c = a2a_golden_find(&gf, "normalize");
    CHECK(c != NULL);
    if (c) {
        a2a_image img;
        CHECK(a2a_image_alloc(ctx, 256, 1, NULL, &img) == A2A_OK);
        for (int v = 0; v < 256; v++) img.data[3 * v] = img.data[3 * v + 1] = img.data[3 * v + 2] = (uint8_t)v;
        float out[3 * 256], mean[3], std[3];
        a2a_imagebind_mean_std(mean, std);
        CHECK(a2a_image_normalize(ctx, &img, mean, std, out) == A2A_OK);
        a2a_tensor t = a2a_tensor_make(A2A_TYPE_F32, out, 256, 3, 1, 1);
        CHECK(a2a_golden_compare(c, &t, "normalize"));
        a2a_image_free(&img);
    }
    a2a_golden_close(&gf);
}

TEST(test_golden_imagebind) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "media/imagebind_vision.gguf")) { CHECK(0); return; }
    const int S = A2A_IMAGEBIND_SIZE;
    float *full = (float *)malloc(sizeof(float) * 3 * S * S);
    float *sub = (float *)malloc(sizeof(float) * 3 * 45 * 45);
    int n = 0;
    for (int i = 0; full && sub && i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        if (strcmp(c->op, "imagebind") != 0) continue;
        n++;
        a2a_image img;
        int lr = load_case_image(c, &img);
        if (lr <= 0) { CHECK_MSG(lr < 0, "%s", c->name); continue; }
        a2a_status st = a2a_image_to_imagebind(ctx, &img, full);
        CHECK_MSG(st == A2A_OK, "%s: %s", c->name, a2a_last_error(ctx));
        for (int ch = 0; ch < 3; ch++)
            for (int y = 0; y < 45; y++)
                for (int x = 0; x < 45; x++) sub[(ch * 45 + y) * 45 + x] = full[((size_t)ch * S + 2 + 5 * y) * S + 2 + 5 * x];
        a2a_tensor t = a2a_tensor_make(A2A_TYPE_F32, sub, 45, 45, 3, 1);
        CHECK_MSG(a2a_golden_compare(c, &t, "subsample"), "%s", c->name);
        uint64_t h = fnv1a64(full, sizeof(float) * 3 * S * S);
        uint32_t lo = (uint32_t)a2a_golden_i32(c, "hash_lo", 0), hi = (uint32_t)a2a_golden_i32(c, "hash_hi", 0);
        CHECK_MSG(h == (((uint64_t)hi << 32) | lo), "%s: full 3x224x224 output is not bit-identical to torchvision", c->name);
        a2a_image_free(&img);
    }
    CHECK(n >= 2);
    free(full);
    free(sub);
    a2a_golden_close(&gf);
}

TEST(test_exif_parse) {
    /* little-endian TIFF, one IFD0 entry: orientation = 6 */
    uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(a2a_exif_orientation(le, sizeof le), 6);
    /* big-endian, orientation 8 after another tag */
    uint8_t be[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2, 0x01, 0x0F, 0, 2, 0, 0, 0, 4, 'a', 'b', 'c', 0,
                    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(a2a_exif_orientation(be, sizeof be), 8);
    /* every truncation and a bad IFD offset: 0, no out-of-bounds read (ASan) */
    for (size_t n = 0; n < 28; n++) { /* the entry ends at byte 28 */
        uint8_t *cp = (uint8_t *)malloc(n ? n : 1);
        memcpy(cp, le, n);
        CHECK(a2a_exif_orientation(cp, n) == 0);
        free(cp);
    }
    uint8_t bad[sizeof le];
    memcpy(bad, le, sizeof le);
    bad[10] = 0xF0; /* IFD offset past the end */
    CHECK_EQ_INT(a2a_exif_orientation(bad, sizeof bad), 0);
    memcpy(bad, le, sizeof le);
    bad[24] = 9; /* out-of-range value */
    CHECK_EQ_INT(a2a_exif_orientation(bad, sizeof bad), 0);
    CHECK_EQ_INT(a2a_exif_orientation(NULL, 10), 0);
}

TEST(test_orientation) {
    /* 3x2 image with distinct pixels; check where the top-left output pixel comes from */
    static const int expect_src[9][2] = {{0, 0}, {0, 0}, {2, 0}, {2, 1}, {0, 1}, {0, 0}, {0, 1}, {2, 1}, {2, 0}};
    for (int o = 1; o <= 8; o++) {
        a2a_image img;
        CHECK(a2a_image_alloc(ctx, 3, 2, NULL, &img) == A2A_OK);
        for (int i = 0; i < 6; i++) img.data[3 * i] = img.data[3 * i + 1] = img.data[3 * i + 2] = (uint8_t)(10 * i);
        CHECK(a2a_image_apply_orientation(ctx, &img, o) == A2A_OK);
        CHECK_EQ_INT(img.w, o >= 5 ? 2 : 3);
        CHECK_EQ_INT(img.h, o >= 5 ? 3 : 2);
        int sx = expect_src[o][0], sy = expect_src[o][1];
        CHECK_MSG(img.data[0] == 10 * (sy * 3 + sx), "orientation %d: got %d", o, img.data[0]);
        a2a_image_free(&img);
    }
    /* the EXIF sample: raw decode is 48x32, oriented decode 32x48 */
    char path[1024];
    a2a_image img;
    a2a_image_limits lim = a2a_image_default_limits();
    lim.apply_exif_orientation = false;
    a2a_status st = a2a_image_load(ctx, sample_path(path, sizeof path, "exif6_48x32.jpg"), &lim, &img);
    if (codec_missing(st)) return;
    if (st == A2A_OK) {
        CHECK_EQ_INT(img.w, 48);
        CHECK_EQ_INT(img.h, 32);
        a2a_image_free(&img);
    } else {
        CHECK_MSG(0, "%s", a2a_last_error(ctx));
    }
    CHECK(a2a_image_load(ctx, path, NULL, &img) == A2A_OK);
    CHECK_EQ_INT(img.w, 32);
    CHECK_EQ_INT(img.h, 48);
    a2a_image_free(&img);
}

/* Little-endian 16/32-bit stores for hand-made BMP headers. */
static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xFFFF); put16(p + 2, v >> 16); }

TEST(test_bmp_variants) {
    /* 16-bit BI_BITFIELDS 565, 2x2, top-down (negative height); row stride 4 bytes */
    uint8_t b[14 + 40 + 12 + 8];
    memset(b, 0, sizeof b);
    b[0] = 'B'; b[1] = 'M';
    put32(b + 2, sizeof b);
    put32(b + 10, 14 + 40 + 12);
    put32(b + 14, 40);
    put32(b + 18, 2);
    put32(b + 22, (uint32_t)-2);
    put16(b + 26, 1);
    put16(b + 28, 16);
    put32(b + 30, 3);
    put32(b + 54, 0xF800); put32(b + 58, 0x07E0); put32(b + 62, 0x001F);
    put16(b + 66, 0xF800); put16(b + 68, 0x07E0); /* row 0: red, green */
    put16(b + 70, 0x001F); put16(b + 72, 0x8410); /* row 1: blue, mid gray */
    a2a_image img;
    CHECK(a2a_image_decode(ctx, b, sizeof b, NULL, &img) == A2A_OK);
    if (img.data) {
        static const uint8_t want[12] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 131, 129, 131}; /* v*255/max, as PIL */
        CHECK(img.w == 2 && img.h == 2 && memcmp(img.data, want, 12) == 0);
        a2a_image_free(&img);
    }
    /* the same pixels as default 16-bit (BI_RGB = 555), bottom-up: rows swap */
    put32(b + 22, 2);
    put32(b + 30, 0);
    put16(b + 66, 0x7C00); put16(b + 68, 0x03E0);
    put16(b + 70, 0x001F); put16(b + 72, 0x4210);
    CHECK(a2a_image_decode(ctx, b, sizeof b, NULL, &img) == A2A_OK);
    if (img.data) {
        static const uint8_t want[12] = {0, 0, 255, 131, 131, 131, 255, 0, 0, 0, 255, 0};
        CHECK(img.w == 2 && img.h == 2 && memcmp(img.data, want, 12) == 0);
        a2a_image_free(&img);
    }
    /* non-contiguous mask, RLE compression: clear errors */
    put32(b + 30, 3);
    put32(b + 54, 0xF00F);
    CHECK(a2a_image_decode(ctx, b, sizeof b, NULL, &img) == A2A_ERR_FORMAT);
    put32(b + 30, 1);
    CHECK(a2a_image_decode(ctx, b, sizeof b, NULL, &img) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "RLE8") != NULL);
    /* OS/2 core header, 24-bit, 1x1 (row padded to 4 bytes) */
    uint8_t c[14 + 12 + 4] = {'B', 'M'};
    put32(c + 10, 26);
    put32(c + 14, 12);
    put16(c + 18, 1); put16(c + 20, 1); put16(c + 22, 1); put16(c + 24, 24);
    c[26] = 10; c[27] = 20; c[28] = 30; /* BGR */
    CHECK(a2a_image_decode(ctx, c, sizeof c, NULL, &img) == A2A_OK);
    if (img.data) {
        CHECK(img.data[0] == 30 && img.data[1] == 20 && img.data[2] == 10);
        a2a_image_free(&img);
    }
}

/* A 5x4 GIF (4-colour global map) whose first frame is 3x2 at (1, 1), with transparent index 2
   and pixel indices 0 1 2 / 3 9 200 (9 and 200 lie past the map). Pillow 13's
   Image.open(f).convert("RGB") of it is k_gif_want. */
static const uint8_t k_gif[62] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x05, 0x00, 0x04, 0x00, 0x81, 0x00, 0x00, 0x0a, 0x14, 0x1e,
    0x28, 0x32, 0x3c, 0x46, 0x50, 0x5a, 0x64, 0x6e, 0x78, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x02,
    0x00, 0x2c, 0x01, 0x00, 0x01, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x08, 0x0f, 0x00, 0x01, 0x00,
    0x0c, 0x00, 0x50, 0x00, 0xc0, 0x01, 0x00, 0x13, 0x00, 0x44, 0x16, 0x10, 0x00, 0x3b};
static const uint8_t k_gif_want[4][5][3] = {
    {{70, 80, 90}, {70, 80, 90}, {70, 80, 90}, {70, 80, 90}, {70, 80, 90}},
    {{70, 80, 90}, {10, 20, 30}, {40, 50, 60}, {70, 80, 90}, {70, 80, 90}},
    {{70, 80, 90}, {100, 110, 120}, {0, 0, 0}, {0, 0, 0}, {70, 80, 90}},
    {{70, 80, 90}, {70, 80, 90}, {70, 80, 90}, {70, 80, 90}, {70, 80, 90}},
};

TEST(test_gif_compose) {
    a2a_image img;
    uint8_t g[sizeof k_gif];
    memcpy(g, k_gif, sizeof g);
    a2a_status st = a2a_image_decode(ctx, g, sizeof g, NULL, &img);
    if (codec_missing(st)) return;
    /* canvas = screen; outside the frame = colour of the transparent index; transparent
       pixels keep their palette colour; indices past the map are black */
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (st == A2A_OK) {
        CHECK(img.w == 5 && img.h == 4 && img.c == 3);
        CHECK(img.w == 5 && img.h == 4 && memcmp(img.data, k_gif_want, sizeof k_gif_want) == 0);
        a2a_image_free(&img);
    }
    /* no transparency flag: outside the frame = colour of index 0 (not the background index) */
    g[28] = 0x00;
    g[12] = 3; /* background index: ignored, as in Pillow */
    CHECK(a2a_image_decode(ctx, g, sizeof g, NULL, &img) == A2A_OK);
    if (img.data) {
        CHECK(img.data[0] == 10 && img.data[1] == 20 && img.data[2] == 30);
        CHECK(memcmp(img.data + (1 * 5 + 1) * 3, k_gif_want[1][1], 3) == 0);
        a2a_image_free(&img);
    }
    /* a 2x2 screen: the canvas grows to hold the frame (4x3) */
    memcpy(g, k_gif, sizeof g);
    g[6] = 2;
    g[8] = 2;
    CHECK(a2a_image_decode(ctx, g, sizeof g, NULL, &img) == A2A_OK);
    if (img.data) {
        CHECK(img.w == 4 && img.h == 3);
        int bad = 0;
        for (int y = 0; y < 3 && img.w == 4 && img.h == 3; y++) bad += memcmp(img.data + y * 4 * 3, k_gif_want[y], 4 * 3) != 0;
        CHECK_EQ_INT(bad, 0);
        a2a_image_free(&img);
    }
    /* a 65535x65535 screen: limit error before allocating */
    memcpy(g, k_gif, sizeof g);
    g[6] = g[7] = g[8] = g[9] = 0xFF;
    CHECK(a2a_image_decode(ctx, g, sizeof g, NULL, &img) == A2A_ERR_NOMEM && img.data == NULL);
    CHECK(strstr(a2a_last_error(ctx), "limit") != NULL);
    /* header only, and no image before the trailer: format errors with a message */
    CHECK(a2a_image_decode(ctx, "GIF89a......", 12, NULL, &img) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "gif:") != NULL);
    uint8_t noimg[14] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0, ';'};
    CHECK(a2a_image_decode(ctx, noimg, sizeof noimg, NULL, &img) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "no image") != NULL);
    CHECK(img.data == NULL);
}

static const char *const k_samples[] = {
    "rgb_97x181.png", "gray16_40x30.png", "palette_50x40.png", "rgba_45x35.png", "gray_alpha_33x17.png",
    "gray1_29x13.png", "rgb16_24x20.png", "photo_q90_64x48.jpg", "gray_q90_40x30.jpg", "progressive_40x30.jpg",
    "exif6_48x32.jpg", "bmp24_37x23.bmp", "bmp8_30x20.bmp", "bmp1_21x11.bmp", "bmp32_19x13.bmp",
    "lossless_32x24.webp", "lossy_32x24.webp", "cmyk_16x12.jpg", "palette_trns_31x23.gif", "anim2_24x18.gif",
    "interlaced_27x33.gif",
};

TEST(test_errors) {
    a2a_image img;
    CHECK(a2a_image_decode(ctx, "", 0, NULL, &img) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "empty") != NULL);
    CHECK(a2a_image_decode(ctx, "II*\0........", 12, NULL, &img) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "unknown format") != NULL);
    CHECK(img.data == NULL);
    CHECK(a2a_image_load(ctx, "/nonexistent/x.png", NULL, &img) == A2A_ERR_IO);
    CHECK(a2a_image_decode(ctx, NULL, 5, NULL, &img) == A2A_ERR_INVALID_ARG);

    /* BMP claiming 1,000,000 x 1,000,000 pixels: limit error before any allocation */
    uint8_t bmp[54] = {'B', 'M'};
    bmp[10] = 54;
    bmp[14] = 40;
    uint32_t big = 1000000;
    memcpy(bmp + 18, &big, 4);
    memcpy(bmp + 22, &big, 4);
    bmp[26] = 1;
    bmp[28] = 24;
    CHECK(a2a_image_decode(ctx, bmp, sizeof bmp, NULL, &img) == A2A_ERR_NOMEM);
    CHECK(strstr(a2a_last_error(ctx), "limit") != NULL);
    /* zero width */
    uint32_t zero = 0;
    memcpy(bmp + 18, &zero, 4);
    CHECK(a2a_image_decode(ctx, bmp, sizeof bmp, NULL, &img) == A2A_ERR_FORMAT);
    /* INT32_MIN height (top-down negation must not overflow) */
    uint32_t one = 1, imin = 0x80000000u;
    memcpy(bmp + 18, &one, 4);
    memcpy(bmp + 22, &imin, 4);
    CHECK(a2a_image_decode(ctx, bmp, sizeof bmp, NULL, &img) != A2A_OK);
    /* a plausible 2x2 whose pixel data is missing */
    uint32_t two = 2;
    memcpy(bmp + 18, &two, 4);
    memcpy(bmp + 22, &two, 4);
    CHECK(a2a_image_decode(ctx, bmp, sizeof bmp, NULL, &img) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "truncated") != NULL);

    /* a tight pixel limit rejects every sample cleanly */
    a2a_image_limits lim = a2a_image_default_limits();
    lim.max_pixels = 100;
    char path[1024];
    for (size_t i = 0; i < sizeof k_samples / sizeof k_samples[0]; i++) {
        a2a_status st = a2a_image_load(ctx, sample_path(path, sizeof path, k_samples[i]), &lim, &img);
        if (codec_missing(st)) continue;
        CHECK_MSG(st == A2A_ERR_NOMEM && img.data == NULL, "%s: %d %s", k_samples[i], (int)st, a2a_last_error(ctx));
    }
    lim = a2a_image_default_limits();
    lim.max_bytes = 50;
    CHECK(a2a_image_load(ctx, sample_path(path, sizeof path, "rgb_97x181.png"), &lim, &img) == A2A_ERR_NOMEM);
}

TEST(test_truncated_and_corrupt) {
    /* every sample cut at many lengths, and with bytes flipped: must fail cleanly or decode,
       never crash or leak (run under ASan) */
    char path[1024];
    a2a_test_rng rng = {12345};
    int fails = 0, total = 0;
    for (size_t i = 0; i < sizeof k_samples / sizeof k_samples[0]; i++) {
        size_t len = 0;
        uint8_t *buf = (uint8_t *)a2a_test_read_file(sample_path(path, sizeof path, k_samples[i]), &len);
        CHECK(buf != NULL);
        if (!buf) continue;
        a2a_image img;
        a2a_status st0 = a2a_image_decode(ctx, buf, len, NULL, &img);
        if (codec_missing(st0)) { free(buf); continue; }
        CHECK_MSG(st0 == A2A_OK, "%s: %s", k_samples[i], a2a_last_error(ctx));
        a2a_image_free(&img);
        size_t step = len / 61 + 1;
        for (size_t cut = 0; cut < len; cut += step) {
            uint8_t *cp = (uint8_t *)malloc(cut ? cut : 1); /* exact size: ASan sees over-reads */
            memcpy(cp, buf, cut);
            a2a_status st = a2a_image_decode(ctx, cp, cut, NULL, &img);
            total++;
            if (st != A2A_OK) {
                fails++;
                CHECK(img.data == NULL && a2a_last_error(ctx)[0] != 0);
            }
            a2a_image_free(&img);
            free(cp);
        }
        for (int k = 0; k < 40; k++) {
            uint8_t *cp = (uint8_t *)malloc(len);
            memcpy(cp, buf, len);
            for (int f = 0; f < 3; f++) cp[a2a_test_next(&rng) % len] ^= (uint8_t)(1 + a2a_test_next(&rng) % 255);
            a2a_status st = a2a_image_decode(ctx, cp, len, NULL, &img);
            if (st == A2A_OK) CHECK(img.data != NULL && img.w > 0 && img.h > 0 && img.c == 3);
            else CHECK(img.data == NULL);
            a2a_image_free(&img);
            free(cp);
        }
        free(buf);
    }
    /* nearly every cut file must be reported as an error (truncation is not silently accepted) */
    CHECK_MSG(fails * 10 >= total * 9, "only %d of %d truncated inputs failed", fails, total);
}

TEST(test_preprocess_args) {
    a2a_image img, out;
    CHECK(a2a_image_alloc(ctx, 5, 3, NULL, &img) == A2A_OK);
    memset(img.data, 200, 5 * 3 * 3);
    CHECK(a2a_image_resize(ctx, &img, 0, 3, A2A_RESAMPLE_BICUBIC, &out) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_image_center_crop(ctx, &img, 3, -1, &out) == A2A_ERR_INVALID_ARG);
    /* a constant image stays constant through resampling in both directions */
    CHECK(a2a_image_resize(ctx, &img, 1, 40, A2A_RESAMPLE_BICUBIC, &out) == A2A_OK);
    int bad = 0;
    for (int i = 0; i < out.w * out.h * 3; i++) bad += out.data[i] != 200;
    CHECK_EQ_INT(bad, 0);
    a2a_image_free(&out);
    /* 1-pixel source to the full transform */
    a2a_image one;
    CHECK(a2a_image_alloc(ctx, 1, 1, NULL, &one) == A2A_OK);
    one.data[0] = 255; one.data[1] = 0; one.data[2] = 128;
    float *f = (float *)malloc(sizeof(float) * 3 * 224 * 224);
    CHECK(a2a_image_to_imagebind(ctx, &one, f) == A2A_OK);
    float mean[3], std[3];
    a2a_imagebind_mean_std(mean, std);
    CHECK_NEAR(f[0], (1.0f - mean[0]) / std[0], 1e-6);
    CHECK_NEAR(f[224 * 224 + 5000], (0.0f - mean[1]) / std[1], 1e-6);
    free(f);
    a2a_image_free(&one);
    a2a_image_free(&img);
}

/* Context shared by the tests (first and last "test"). */
static void setup(void) { ctx = a2a_ctx_new(); }
static void teardown(void) { a2a_ctx_free(ctx); }

TEST_MAIN(setup, test_golden_decode, test_golden_resize_crop, test_golden_normalize, test_golden_imagebind,
          test_exif_parse, test_orientation, test_bmp_variants, test_gif_compose, test_errors, test_truncated_and_corrupt, test_preprocess_args, teardown)
