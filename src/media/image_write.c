/* Still-image encoding: PNG (libpng), JPEG (libjpeg), float -> u8 conversion, atomic writes.
   See image_write.h for the contract. */
#include "media/image_write.h"

#include "io/atomic_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef A2A_HAVE_PNG
#include <png.h>
#endif
#ifdef A2A_HAVE_JPEG
#include <stdio.h> /* jpeglib.h needs FILE and size_t first */
#include <jpeglib.h>
#endif
#include <setjmp.h>

a2a_image_write_params a2a_image_write_default_params(void) {
    a2a_image_write_params p;
    memset(&p, 0, sizeof p);
    p.format = A2A_IMAGE_FILE_AUTO;
    p.jpeg_quality = 95;
    p.jpeg_subsample_420 = true;
    p.png_compression = 6;
    p.max_dim = 65535;
    p.max_pixels = (int64_t)64 * 1024 * 1024;
    return p;
}

/* Extension after the last '.' of the last path component, or "" when none. */
static const char *path_ext(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? dot + 1 : "";
}

a2a_image_file_format a2a_image_file_format_from_path(const char *path) {
    if (!path) return A2A_IMAGE_FILE_AUTO;
    const char *e = path_ext(path);
    if (!strcasecmp(e, "png")) return A2A_IMAGE_FILE_PNG;
    if (!strcasecmp(e, "jpg") || !strcasecmp(e, "jpeg")) return A2A_IMAGE_FILE_JPEG;
    return A2A_IMAGE_FILE_AUTO;
}

/* Check the image and the parameters common to both encoders. */
static a2a_status check_image(a2a_ctx *ctx, const char *who, const a2a_image *img, const a2a_image_write_params *p) {
    if (!img || !img->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: no image", who);
    if (img->w <= 0 || img->h <= 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: image size %dx%d is empty", who, img->w, img->h);
    if (img->c != 1 && img->c != 3 && img->c != 4)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: %d channels (1, 3 or 4 expected)", who, img->c);
    if (img->w > p->max_dim || img->h > p->max_dim || (int64_t)img->w * img->h > p->max_pixels)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: image %dx%d exceeds the limits (%d per side, %lld pixels)", who,
                        img->w, img->h, p->max_dim, (long long)p->max_pixels);
    return A2A_OK;
}

/* ---------------------------------------------------------------- PNG */

#ifdef A2A_HAVE_PNG
typedef struct png_sink {
    uint8_t *buf;
    size_t len, cap;
    bool oom;
    char msg[200];
} png_sink;

/* libpng write callback: append to the growable buffer (error on out of memory). */
static void png_write_mem(png_structp png, png_bytep src, png_size_t n) {
    png_sink *s = (png_sink *)png_get_io_ptr(png);
    if (n > SIZE_MAX - s->len) {
        s->oom = true;
        png_error(png, "output too large");
    }
    if (s->len + n > s->cap) {
        size_t cap = s->cap ? s->cap : 65536;
        while (cap < s->len + n) cap = cap > SIZE_MAX / 2 ? s->len + n : cap * 2;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            s->oom = true;
            png_error(png, "out of memory");
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, src, n);
    s->len += n;
}

static void png_flush_mem(png_structp png) { A2A_UNUSED(png); }

/* libpng error callback: keep the message and unwind to the encoder's setjmp. */
static void png_w_error(png_structp png, png_const_charp msg) {
    png_sink *s = (png_sink *)png_get_error_ptr(png);
    if (s) snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

static void png_w_warning(png_structp png, png_const_charp msg) {
    A2A_UNUSED(png);
    A2A_UNUSED(msg);
}

/* PNG: 8-bit gray / RGB / RGBA, no interlace, no gamma or other ancillary chunks. */
static a2a_status encode_png(a2a_ctx *ctx, const a2a_image *img, const a2a_image_write_params *p, void **out,
                             size_t *size) {
    png_sink sink;
    memset(&sink, 0, sizeof sink);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, png_w_error, png_w_warning);
    if (!png) return a2a_fail(ctx, A2A_ERR_NOMEM, "png writer: cannot create encoder");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "png writer: cannot create encoder");
    }
    png_sink *volatile sp = &sink;
    if (setjmp(png_jmpbuf(png))) {
        a2a_status st = a2a_fail(ctx, sp->oom ? A2A_ERR_NOMEM : A2A_ERR_INTERNAL, "png writer: %s",
                                 sp->msg[0] ? sp->msg : "encoding failed");
        free(sp->buf);
        png_destroy_write_struct(&png, &info);
        return st;
    }
    png_set_write_fn(png, &sink, png_write_mem, png_flush_mem);
    png_set_compression_level(png, p->png_compression);
    int ctype = img->c == 1 ? PNG_COLOR_TYPE_GRAY : img->c == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_RGB_ALPHA;
    png_set_IHDR(png, info, (png_uint_32)img->w, (png_uint_32)img->h, 8, ctype, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t stride = (size_t)img->w * (size_t)img->c;
    for (int32_t y = 0; y < img->h; y++) png_write_row(png, (png_const_bytep)(img->data + (size_t)y * stride));
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *out = sink.buf;
    *size = sink.len;
    return A2A_OK;
}
#endif

/* ---------------------------------------------------------------- JPEG */

#ifdef A2A_HAVE_JPEG
typedef struct jpeg_werr {
    struct jpeg_error_mgr mgr; /* first member: libjpeg casts to it */
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
} jpeg_werr;

/* Fatal libjpeg error: keep the message, unwind to the encoder's setjmp. */
static void jpeg_w_error_exit(j_common_ptr cinfo) {
    jpeg_werr *e = (jpeg_werr *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jb, 1);
}

static void jpeg_w_output_message(j_common_ptr cinfo) { A2A_UNUSED(cinfo); }

/* JPEG: baseline, gray or YCbCr with 4:2:0 or 4:4:4 chroma, standard tables scaled by quality
   (libjpeg's jpeg_set_quality, as PIL), no optimize/progressive. */
static a2a_status encode_jpeg(a2a_ctx *ctx, const a2a_image *img, const a2a_image_write_params *p, void **out,
                              size_t *size) {
    if (img->c == 4) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "jpeg writer: JPEG cannot store an alpha channel (RGBA image)");
    if (img->w > 65500 || img->h > 65500)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "jpeg writer: %dx%d exceeds JPEG's 65500 pixels per side", img->w, img->h);
    struct jpeg_compress_struct cinfo;
    jpeg_werr err;
    memset(&cinfo, 0, sizeof cinfo);
    memset(&err, 0, sizeof err);
    unsigned char *volatile buf = NULL;
    unsigned long volatile len = 0;
    cinfo.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_w_error_exit;
    err.mgr.output_message = jpeg_w_output_message;
    if (setjmp(err.jb)) {
        jpeg_destroy_compress(&cinfo);
        free(buf);
        return a2a_fail(ctx, A2A_ERR_INTERNAL, "jpeg writer: %s", err.msg[0] ? err.msg : "encoding failed");
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buf, (unsigned long *)&len);
    cinfo.image_width = (JDIMENSION)img->w;
    cinfo.image_height = (JDIMENSION)img->h;
    cinfo.input_components = img->c;
    cinfo.in_color_space = img->c == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, p->jpeg_quality, TRUE);
    if (img->c == 3) {
        int hs = p->jpeg_subsample_420 ? 2 : 1;
        cinfo.comp_info[0].h_samp_factor = hs;
        cinfo.comp_info[0].v_samp_factor = hs;
        cinfo.comp_info[1].h_samp_factor = cinfo.comp_info[1].v_samp_factor = 1;
        cinfo.comp_info[2].h_samp_factor = cinfo.comp_info[2].v_samp_factor = 1;
    }
    jpeg_start_compress(&cinfo, TRUE);
    size_t stride = (size_t)img->w * (size_t)img->c;
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)(img->data + (size_t)cinfo.next_scanline * stride);
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    /* jpeg_mem_dest's buffer comes from malloc (libjpeg-turbo and IJG 8+): hand it over */
    *out = buf;
    *size = (size_t)len;
    return A2A_OK;
}
#endif

a2a_status a2a_image_encode(a2a_ctx *ctx, const a2a_image *img, a2a_image_file_format format,
                            const a2a_image_write_params *params, void **out, size_t *size) {
    if (!out || !size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image writer: NULL output");
    *out = NULL;
    *size = 0;
    a2a_image_write_params p = params ? *params : a2a_image_write_default_params();
    const char *who = format == A2A_IMAGE_FILE_JPEG ? "jpeg writer" : "png writer";
    a2a_status st = check_image(ctx, who, img, &p);
    if (st) return st;
    switch (format) {
    case A2A_IMAGE_FILE_PNG:
        if (p.png_compression < 0 || p.png_compression > 9)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "png writer: compression level %d (0..9 expected)", p.png_compression);
#ifdef A2A_HAVE_PNG
        return encode_png(ctx, img, &p, out, size);
#else
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "png writer: this build has no PNG support (libpng was not found at configure time)");
#endif
    case A2A_IMAGE_FILE_JPEG:
        if (p.jpeg_quality < 1 || p.jpeg_quality > 100)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "jpeg writer: quality %d (1..100 expected)", p.jpeg_quality);
#ifdef A2A_HAVE_JPEG
        return encode_jpeg(ctx, img, &p, out, size);
#else
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "jpeg writer: this build has no JPEG support (libjpeg was not found at configure time)");
#endif
    default:
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image writer: format %d is not PNG or JPEG", (int)format);
    }
}

a2a_status a2a_image_write(a2a_ctx *ctx, const a2a_image *img, const char *path, const a2a_image_write_params *params) {
    if (!path || !*path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image writer: empty output path");
    a2a_image_file_format fmt = params ? params->format : A2A_IMAGE_FILE_AUTO;
    if (fmt == A2A_IMAGE_FILE_AUTO) fmt = a2a_image_file_format_from_path(path);
    if (fmt == A2A_IMAGE_FILE_AUTO)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "image writer: '%s': unknown extension '%s' (.png, .jpg or .jpeg)", path,
                        path_ext(path));
    void *buf = NULL;
    size_t n = 0;
    a2a_status st = a2a_image_encode(ctx, img, fmt, params, &buf, &n);
    if (st) {
        a2a_error_prefix(ctx, "%s", path);
        return st;
    }
    st = a2a_atomic_file_write_all(ctx, fmt == A2A_IMAGE_FILE_PNG ? "png writer" : "jpeg writer", path, buf, n);
    free(buf);
    return st;
}

/* ---------------------------------------------------------------- float -> u8 */

uint8_t a2a_pixel_f32_to_u8(float x, a2a_pixel_range range, a2a_pixel_rounding rounding) {
    /* float32 throughout, as torch (denormalize/clamp) and numpy (float32 * 255, round) do */
    float v = range == A2A_PIXEL_RANGE_NEG1_1 ? x * 0.5f + 0.5f : x;
    if (!(v > 0.0f)) v = 0.0f; /* also NaN -> 0 */
    if (v > 1.0f) v = 1.0f;
    float s = v * 255.0f;
    float r = rounding == A2A_PIXEL_ROUND ? nearbyintf(s) : floorf(s); /* nearbyint: half to even, as np.round */
    return (uint8_t)r;
}

a2a_status a2a_image_from_planar_f32(a2a_ctx *ctx, const float *x, int c, int h, int w, a2a_pixel_range range,
                                     a2a_pixel_rounding rounding, a2a_image *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image from float: NULL output");
    memset(out, 0, sizeof *out);
    if (!x) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image from float: NULL input");
    if (c != 1 && c != 3 && c != 4) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image from float: %d channels (1, 3 or 4)", c);
    if (w <= 0 || h <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image from float: size %dx%d is empty", w, h);
    a2a_image_limits lim = a2a_image_default_limits();
    if (w > lim.max_dim || h > lim.max_dim || (int64_t)w * h > lim.max_pixels)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "image from float: %dx%d exceeds the image limits", w, h);
    size_t plane = (size_t)w * (size_t)h;
    uint8_t *d = malloc(plane * (size_t)c);
    if (!d) return a2a_fail(ctx, A2A_ERR_NOMEM, "image from float: out of memory");
    for (int ch = 0; ch < c; ch++) {
        const float *src = x + (size_t)ch * plane;
        for (size_t i = 0; i < plane; i++) d[i * (size_t)c + (size_t)ch] = a2a_pixel_f32_to_u8(src[i], range, rounding);
    }
    out->w = w;
    out->h = h;
    out->c = c;
    out->data = d;
    return A2A_OK;
}
