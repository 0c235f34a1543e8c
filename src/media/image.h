/* Internal: still-image decoding (PNG, JPEG, BMP, WebP, GIF first frame) to 8-bit RGB.

   Every decoder produces the same thing: a tightly packed 8-bit RGB raster [h][w][3]
   (a2a_image.c is always 3). Conversions follow PIL's Image.convert("RGB") so that the
   pixels match what the Python reference pipelines (ImageBind, CLIP) see:
     - gray, gray+alpha        -> gray replicated to R, G and B (alpha dropped)
     - RGBA, BGRA (BMP)        -> alpha dropped (NOT composited over a background; PIL does the same)
     - palette                 -> palette lookup (a tRNS/transparency entry is ignored)
     - 1/2/4-bit gray          -> scaled to 0..255 (v * 255 / (2^bits - 1))
     - 16-bit samples          -> the high byte of each sample. For 16-bit RGB(A) PNGs this is
                                  exactly PIL's result; for 16-bit *gray* PNGs PIL clips the
                                  16-bit value to 255 instead (nearly every pixel white), which
                                  we deliberately do not copy.
     - CMYK / YCCK JPEG        -> R = (255-C)(255-K)/255 etc. (Adobe inverted CMYK handled)
   JPEG EXIF orientation (APP1 "Exif", IFD0 tag 0x0112) is applied when
   a2a_image_limits.apply_exif_orientation is set (the default). PIL and torchvision do NOT
   apply it on their own; clear the flag to get their raw decode.

   Input is untrusted: every size is checked against the limits and for overflow; corrupt or
   truncated files give A2A_ERR_FORMAT, oversize ones A2A_ERR_NOMEM, formats whose library
   was not found at build time A2A_ERR_UNSUPPORTED — always with a message in ctx. */
#ifndef A2A_MEDIA_IMAGE_H
#define A2A_MEDIA_IMAGE_H

#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A decoded image. data is malloc'd [h][w][c] bytes, c == 3 (RGB); free with a2a_image_free. */
typedef struct a2a_image {
    int32_t w, h, c; /* width, height, channels (3) */
    uint8_t *data;   /* [h][w][c], row-major, no padding; owned */
} a2a_image;

/* Limits and options for decoding untrusted files. Get defaults from
   a2a_image_default_limits() and edit fields by name. */
typedef struct a2a_image_limits {
    int64_t max_pixels;          /* w*h at most this (default 64 Mpx) */
    int32_t max_dim;             /* width and height at most this (default 65535) */
    size_t max_bytes;            /* input file size at most this (default 256 MiB) */
    bool apply_exif_orientation; /* JPEG: rotate/flip by the EXIF orientation tag (default true) */
} a2a_image_limits;

/* Image container formats recognized by their magic bytes. */
typedef enum a2a_image_format {
    A2A_IMAGE_UNKNOWN = 0,
    A2A_IMAGE_PNG,
    A2A_IMAGE_JPEG,
    A2A_IMAGE_BMP,
    A2A_IMAGE_WEBP,
    A2A_IMAGE_GIF, /* first frame only */
} a2a_image_format;

/* Default limits: 64 Mpx, 65535 per side, 256 MiB input, EXIF orientation applied. */
a2a_image_limits a2a_image_default_limits(void);

/* Format of a buffer by its magic bytes (A2A_IMAGE_UNKNOWN when none matches). */
a2a_image_format a2a_image_sniff(const void *data, size_t size);

/* Decode an image held in memory (format by magic bytes). lim may be NULL (defaults).
   On success *out holds a new RGB image (caller frees with a2a_image_free); on failure *out
   is zeroed and ctx holds the reason. data is only read during the call. */
a2a_status a2a_image_decode(a2a_ctx *ctx, const void *data, size_t size, const a2a_image_limits *lim, a2a_image *out);

/* Read a whole file (at most lim->max_bytes) and decode it as a2a_image_decode does.
   Errors name the path. */
a2a_status a2a_image_load(a2a_ctx *ctx, const char *path, const a2a_image_limits *lim, a2a_image *out);

/* Free an image's pixels and zero it (NULL or an already-freed image is fine). */
void a2a_image_free(a2a_image *img);

/* Allocate *out as a w x h RGB image (uninitialized pixels) after checking w, h > 0 and the
   limits (lim may be NULL: defaults). Caller frees with a2a_image_free. */
a2a_status a2a_image_alloc(a2a_ctx *ctx, int64_t w, int64_t h, const a2a_image_limits *lim, a2a_image *out);

/* Rotate/flip img in place by EXIF orientation 1..8 (values outside 1..8 are ignored:
   returns A2A_OK unchanged). Orientations 5..8 swap w and h. */
a2a_status a2a_image_apply_orientation(a2a_ctx *ctx, a2a_image *img, int orientation);

/* Parse an EXIF blob (the APP1 payload starting with "Exif\0\0", or a bare TIFF header
   "II*\0"/"MM\0*") and return the IFD0 orientation tag 0x0112 (1..8), or 0 when absent or
   malformed. Every offset is bounds-checked; never fails. */
int a2a_exif_orientation(const uint8_t *p, size_t n);

/* ---- per-format decoders (internal; called by a2a_image_decode after sniffing) ----
   Same contract as a2a_image_decode; lim is never NULL. */
a2a_status a2a_image_decode_png(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out);
a2a_status a2a_image_decode_jpeg(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out);
a2a_status a2a_image_decode_bmp(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out);
a2a_status a2a_image_decode_webp(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out);
/* GIF: the first frame on the logical screen, as Pillow's frame 0 + convert("RGB") (see image_gif.c). */
a2a_status a2a_image_decode_gif(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out);

#endif
