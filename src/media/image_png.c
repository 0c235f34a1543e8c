/* PNG decoding through libpng (classic API with explicit transforms, so that the result is
   PIL's convert("RGB"): no gamma, no alpha compositing, 16-bit -> high byte). */
#include "media/image.h"

#include <string.h>

#ifndef A2A_HAVE_PNG

/* Built without libpng: PNG is unsupported. */
a2a_status a2a_image_decode_png(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    A2A_UNUSED(data); A2A_UNUSED(size); A2A_UNUSED(lim);
    memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "png: this build has no PNG support (libpng was not found at configure time)");
}

#else

#include <png.h>
#include <setjmp.h>
#include <stdlib.h>

typedef struct png_src {
    const uint8_t *p;
    size_t n, pos;
    char msg[200]; /* libpng's error message */
} png_src;

/* libpng read callback: copy from memory; running past the end is a (longjmp) error. */
static void png_read_mem(png_structp png, png_bytep dst, png_size_t len) {
    png_src *s = (png_src *)png_get_io_ptr(png);
    if (len > s->n - s->pos) png_error(png, "unexpected end of file (truncated PNG)");
    memcpy(dst, s->p + s->pos, len);
    s->pos += len;
}

/* libpng error callback: keep the message, then unwind to the setjmp in the decoder. */
static void png_on_error(png_structp png, png_const_charp msg) {
    png_src *s = (png_src *)png_get_error_ptr(png);
    if (s) snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "unknown error");
    png_longjmp(png, 1);
}

/* libpng warnings (bad ancillary chunks, ...) are ignored. */
static void png_on_warning(png_structp png, png_const_charp msg) {
    A2A_UNUSED(png); A2A_UNUSED(msg);
}

/* Decode a PNG held in memory to 8-bit RGB. */
a2a_status a2a_image_decode_png(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    memset(out, 0, sizeof *out);
    png_src src = {data, size, 0, {0}};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
    if (!png) return a2a_fail(ctx, A2A_ERR_NOMEM, "png: cannot create decoder");
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "png: cannot create decoder");
    }
    /* state touched after setjmp lives in volatile variables (or in memory we own) */
    png_bytep *volatile rows = NULL;
    a2a_image *volatile img = out;
    volatile a2a_status st = A2A_OK;
    if (setjmp(png_jmpbuf(png))) {
        if (st == A2A_OK) st = a2a_fail(ctx, A2A_ERR_FORMAT, "png: %s", src.msg[0] ? src.msg : "corrupt data");
        free((void *)rows);
        a2a_image_free(img);
        png_destroy_read_struct(&png, &info, NULL);
        return st;
    }
    png_set_read_fn(png, &src, png_read_mem);
    png_set_user_limits(png, (png_uint_32)lim->max_dim, (png_uint_32)lim->max_dim);
    png_set_chunk_malloc_max(png, (png_alloc_size_t)64 * 1024 * 1024);
    png_read_info(png, info);

    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(png, info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
    if (depth == 16) png_set_strip_16(png); /* high byte, as PIL */
    if (ctype == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (ctype & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (ctype == PNG_COLOR_TYPE_GRAY || ctype == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
    /* tRNS is deliberately not expanded to alpha: convert("RGB") ignores it */
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)w * 3) png_error(png, "unexpected row layout after conversion");

    a2a_status ast = a2a_image_alloc(ctx, (int64_t)w, (int64_t)h, lim, img);
    if (ast != A2A_OK) {
        st = ast;
        png_error(png, "limits");
    }
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    if (!rows) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "png: out of memory");
        png_error(png, "oom");
    }
    for (png_uint_32 y = 0; y < h; y++) rows[y] = img->data + (size_t)y * (size_t)w * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free((void *)rows);
    png_destroy_read_struct(&png, &info, NULL);
    return A2A_OK;
}

#endif
