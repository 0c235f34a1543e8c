/* Image decode dispatch, limits, file loading and EXIF orientation (see image.h). */
#include "media/image.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Defaults: 64 Mpx, 65535 per side, 256 MiB input, apply EXIF orientation. */
a2a_image_limits a2a_image_default_limits(void) {
    a2a_image_limits l;
    memset(&l, 0, sizeof l);
    l.max_pixels = 64ll * 1024 * 1024;
    l.max_dim = 65535;
    l.max_bytes = (size_t)256 * 1024 * 1024;
    l.apply_exif_orientation = true;
    return l;
}

/* Magic-byte sniffing; needs at most 12 bytes. */
a2a_image_format a2a_image_sniff(const void *data, size_t size) {
    const uint8_t *p = (const uint8_t *)data;
    if (!p) return A2A_IMAGE_UNKNOWN;
    if (size >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) return A2A_IMAGE_PNG;
    if (size >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF) return A2A_IMAGE_JPEG;
    if (size >= 2 && p[0] == 'B' && p[1] == 'M') return A2A_IMAGE_BMP;
    if (size >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0) return A2A_IMAGE_WEBP;
    if (size >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0)) return A2A_IMAGE_GIF;
    return A2A_IMAGE_UNKNOWN;
}

/* Free pixels and zero the struct. */
void a2a_image_free(a2a_image *img) {
    if (!img) return;
    free(img->data);
    memset(img, 0, sizeof *img);
}

/* Checked allocation of a w x h RGB raster against the limits. */
a2a_status a2a_image_alloc(a2a_ctx *ctx, int64_t w, int64_t h, const a2a_image_limits *lim, a2a_image *out) {
    a2a_image_limits def = a2a_image_default_limits();
    if (!lim) lim = &def;
    memset(out, 0, sizeof *out);
    if (w <= 0 || h <= 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "image: invalid size %lldx%lld", (long long)w, (long long)h);
    if (w > lim->max_dim || h > lim->max_dim)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "image: size %lldx%lld exceeds the limit of %d pixels per side", (long long)w,
                        (long long)h, (int)lim->max_dim);
    int64_t px;
    if (!a2a_mul_i64_ok(w, h, &px) || px > lim->max_pixels)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "image: %lldx%lld exceeds the limit of %lld pixels", (long long)w,
                        (long long)h, (long long)lim->max_pixels);
    size_t bytes;
    if (!a2a_mul_ok((size_t)px, 3, &bytes)) return a2a_fail(ctx, A2A_ERR_NOMEM, "image: size overflow");
    out->data = (uint8_t *)malloc(bytes);
    if (!out->data) return a2a_fail(ctx, A2A_ERR_NOMEM, "image: out of memory for %lldx%lld RGB", (long long)w, (long long)h);
    out->w = (int32_t)w;
    out->h = (int32_t)h;
    out->c = 3;
    return A2A_OK;
}

/* Dispatch on the magic bytes. */
a2a_status a2a_image_decode(a2a_ctx *ctx, const void *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image: data is NULL");
    a2a_image_limits def = a2a_image_default_limits();
    if (!lim) lim = &def;
    if (size == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "image: empty input");
    if (size > lim->max_bytes)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "image: %zu bytes exceeds the limit of %zu", size, lim->max_bytes);
    const uint8_t *p = (const uint8_t *)data;
    a2a_status st;
    switch (a2a_image_sniff(p, size)) {
    case A2A_IMAGE_PNG: st = a2a_image_decode_png(ctx, p, size, lim, out); break;
    case A2A_IMAGE_JPEG: st = a2a_image_decode_jpeg(ctx, p, size, lim, out); break;
    case A2A_IMAGE_BMP: st = a2a_image_decode_bmp(ctx, p, size, lim, out); break;
    case A2A_IMAGE_WEBP: st = a2a_image_decode_webp(ctx, p, size, lim, out); break;
    case A2A_IMAGE_GIF: st = a2a_image_decode_gif(ctx, p, size, lim, out); break;
    default:
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "image: unknown format (not PNG, JPEG, BMP, WebP or GIF; first bytes %02x %02x %02x %02x)",
                        size > 0 ? p[0] : 0, size > 1 ? p[1] : 0, size > 2 ? p[2] : 0, size > 3 ? p[3] : 0);
    }
    if (st != A2A_OK) a2a_image_free(out);
    return st;
}

/* Read the file into memory (bounded by max_bytes) and decode it. */
a2a_status a2a_image_load(a2a_ctx *ctx, const char *path, const a2a_image_limits *lim, a2a_image *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image: path is NULL");
    a2a_image_limits def = a2a_image_default_limits();
    if (!lim) lim = &def;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "image: cannot open %s: %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    a2a_status st = A2A_OK;
    for (;;) {
        if (len == cap) {
            const size_t most = lim->max_bytes < SIZE_MAX ? lim->max_bytes + 1 : SIZE_MAX; /* +1 detects oversize */
            size_t ncap = cap ? (cap <= most / 2 ? cap * 2 : most) : 65536;
            if (ncap > most) ncap = most;
            if (ncap <= cap) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "image: %s is larger than the limit of %zu bytes", path, lim->max_bytes);
                break;
            }
            uint8_t *nb = (uint8_t *)realloc(buf, ncap);
            if (!nb) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "image: out of memory reading %s", path); break; }
            buf = nb;
            cap = ncap;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) st = a2a_fail(ctx, A2A_ERR_IO, "image: read error on %s", path);
            break;
        }
        if (len > lim->max_bytes) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "image: %s is larger than the limit of %zu bytes", path, lim->max_bytes);
            break;
        }
    }
    fclose(f);
    if (st == A2A_OK) {
        st = a2a_image_decode(ctx, buf, len, lim, out);
        if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    }
    free(buf);
    return st;
}

/* ---- EXIF ---- */

/* Unsigned integer of nbytes (1..4) at p in the TIFF byte order (be: big-endian). */
static uint32_t exif_rd(const uint8_t *p, int nbytes, bool be) {
    uint32_t v = 0;
    for (int i = 0; i < nbytes; i++) v = be ? (v << 8) | p[i] : v | ((uint32_t)p[i] << (8 * i));
    return v;
}

/* Orientation tag of IFD0, bounds-checked; 0 when absent/malformed. */
int a2a_exif_orientation(const uint8_t *p, size_t n) {
    if (!p) return 0;
    if (n >= 6 && memcmp(p, "Exif\0\0", 6) == 0) {
        p += 6;
        n -= 6;
    }
    if (n < 8) return 0;
    bool be;
    if (p[0] == 'I' && p[1] == 'I') be = false;
    else if (p[0] == 'M' && p[1] == 'M') be = true;
    else return 0;
    if (exif_rd(p + 2, 2, be) != 42) return 0;
    uint32_t ifd = exif_rd(p + 4, 4, be);
    if (ifd > n || n - ifd < 2) return 0;
    uint32_t cnt = exif_rd(p + ifd, 2, be);
    size_t base = (size_t)ifd + 2;
    for (uint32_t i = 0; i < cnt; i++) {
        size_t e = base + (size_t)i * 12;
        if (e > n || n - e < 12) return 0;
        if (exif_rd(p + e, 2, be) != 0x0112) continue;
        uint32_t type = exif_rd(p + e + 2, 2, be), count = exif_rd(p + e + 4, 4, be);
        if (type != 3 || count < 1) return 0; /* SHORT, value inline */
        uint32_t v = exif_rd(p + e + 8, 2, be);
        return v >= 1 && v <= 8 ? (int)v : 0;
    }
    return 0;
}

/* Rotate/flip into a new buffer; see image.h for the orientation numbering (EXIF/TIFF). */
a2a_status a2a_image_apply_orientation(a2a_ctx *ctx, a2a_image *img, int orientation) {
    if (!img || !img->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "image: no image to orient");
    if (orientation < 2 || orientation > 8) return A2A_OK;
    const int64_t w = img->w, h = img->h;
    const bool swap = orientation >= 5;
    const int64_t ow = swap ? h : w, oh = swap ? w : h;
    size_t bytes = (size_t)w * (size_t)h * 3; /* already allocated once: cannot overflow */
    uint8_t *dst = (uint8_t *)malloc(bytes);
    if (!dst) return a2a_fail(ctx, A2A_ERR_NOMEM, "image: out of memory for EXIF orientation");
    for (int64_t y = 0; y < oh; y++) {
        for (int64_t x = 0; x < ow; x++) {
            int64_t sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;          /* mirror horizontal */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;  /* rotate 180 */
            case 4: sx = x; sy = h - 1 - y; break;          /* mirror vertical */
            case 5: sx = y; sy = x; break;                  /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;          /* rotate 90 clockwise */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;  /* transverse */
            default: sx = w - 1 - y; sy = x; break;         /* 8: rotate 90 counter-clockwise */
            }
            const uint8_t *s = img->data + ((size_t)sy * (size_t)w + (size_t)sx) * 3;
            uint8_t *d = dst + ((size_t)y * (size_t)ow + (size_t)x) * 3;
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    free(img->data);
    img->data = dst;
    img->w = (int32_t)ow;
    img->h = (int32_t)oh;
    return A2A_OK;
}
