/* BMP decoding (own parser): OS/2 core and Windows INFO/V2..V5 headers; 1/4/8-bit palette,
   16-bit (555 default or bit fields), 24-bit, 32-bit (BGRX or bit fields); bottom-up and
   top-down rows. Compressed (RLE4/RLE8/JPEG/PNG-in-BMP) files are A2A_ERR_UNSUPPORTED.
   Bit-field channels of n bits scale as v * 255 / (2^n - 1) (integer division), as PIL's
   BGR;15 / BGR;16 unpackers do; out-of-range palette indices give black. */
#include "media/image.h"

#include <stdlib.h>
#include <string.h>

/* Little-endian 16/32-bit reads (the caller checked the bounds). */
static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* One channel mask: shift to the lowest set bit and the maximum value (0 when mask is 0). */
typedef struct bmp_field { uint32_t mask; int shift; uint32_t max; } bmp_field;

/* Describe a channel mask; false when its set bits are not contiguous. */
static bool bmp_field_init(bmp_field *f, uint32_t mask) {
    f->mask = mask;
    f->shift = 0;
    f->max = 0;
    if (!mask) return true;
    while (!((mask >> f->shift) & 1u)) f->shift++;
    uint32_t m = mask >> f->shift;
    if (m & (m + 1)) return false; /* not contiguous */
    f->max = m;
    return true;
}

/* Channel value of pixel px scaled to 0..255 (0 when the mask is empty). */
static inline uint8_t bmp_field_get(const bmp_field *f, uint32_t px) {
    if (!f->max) return 0;
    uint32_t v = (px & f->mask) >> f->shift;
    return (uint8_t)(((uint64_t)v * 255u) / f->max);
}

/* Decode a BMP held in memory to 8-bit RGB. */
a2a_status a2a_image_decode_bmp(a2a_ctx *ctx, const uint8_t *p, size_t n, const a2a_image_limits *lim, a2a_image *out) {
    memset(out, 0, sizeof *out);
    if (n < 14 + 12) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: truncated header (%zu bytes)", n);
    const uint32_t off_bits = rd32(p + 10);
    const uint32_t hsize = rd32(p + 14);
    if (hsize != 12 && hsize != 16 && hsize != 40 && hsize != 52 && hsize != 56 && hsize != 64 && hsize != 108 && hsize != 124)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "bmp: unknown header size %u", hsize);
    if (n - 14 < hsize) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: truncated header (%zu bytes)", n);
    const uint8_t *h = p + 14;
    int64_t w, hh;
    uint32_t bpp, comp = 0, clr_used = 0;
    size_t pal_entry = 4;
    if (hsize == 12) { /* OS/2 BITMAPCOREHEADER */
        w = rd16(h + 4);
        hh = rd16(h + 6);
        bpp = rd16(h + 10);
        pal_entry = 3;
    } else {
        w = (int32_t)rd32(h + 4);
        hh = (int32_t)rd32(h + 8);
        bpp = rd16(h + 14);
        if (hsize >= 20) comp = rd32(h + 16);
        if (hsize >= 36) clr_used = rd32(h + 32);
    }
    bool top_down = hh < 0;
    if (top_down) hh = -hh;
    if (w <= 0 || hh <= 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: invalid size %lldx%lld", (long long)w, (long long)hh);

    /* channel masks */
    bmp_field fr = {0, 0, 0}, fg = {0, 0, 0}, fb = {0, 0, 0};
    if (comp == 3 || comp == 6) {
        if (bpp != 16 && bpp != 32) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: bit fields with %u bits per pixel", bpp);
        const uint8_t *mp;
        if (hsize >= 52) mp = h + 40;
        else if (hsize == 40) {
            if (n - 14 - 40 < 12) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: truncated bit-field masks");
            mp = h + 40;
        } else return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: bit fields need an INFO header");
        if (!bmp_field_init(&fr, rd32(mp)) || !bmp_field_init(&fg, rd32(mp + 4)) || !bmp_field_init(&fb, rd32(mp + 8)))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: non-contiguous bit-field mask");
    } else if (comp == 0) {
        if (bpp == 16) {
            bmp_field_init(&fr, 0x7C00);
            bmp_field_init(&fg, 0x03E0);
            bmp_field_init(&fb, 0x001F);
            } else if (bpp == 32) {
            bmp_field_init(&fr, 0x00FF0000);
            bmp_field_init(&fg, 0x0000FF00);
            bmp_field_init(&fb, 0x000000FF);
            }
    } else {
        static const char *names[] = {"none", "RLE8", "RLE4", "bit fields", "JPEG", "PNG"};
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "bmp: compression %u (%s) is not supported", comp,
                        comp < 6 ? names[comp] : "unknown");
    }
    if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "bmp: %u bits per pixel is not supported", bpp);

    /* palette */
    uint8_t pal[256][3];
    memset(pal, 0, sizeof pal);
    if (bpp <= 8) {
        uint32_t ncol = clr_used ? clr_used : (1u << bpp);
        if (ncol > 256) ncol = 256;
        size_t pal_off = 14 + (size_t)hsize + (hsize == 40 && (comp == 3 || comp == 6) ? 12 : 0);
        if (pal_off > n) return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: truncated palette");
        size_t avail = (n - pal_off) / pal_entry;
        if (off_bits >= pal_off) {
            size_t in_gap = (off_bits - pal_off) / pal_entry;
            if (in_gap < avail) avail = in_gap;
        }
        if (ncol > avail) ncol = (uint32_t)avail;
        for (uint32_t i = 0; i < ncol; i++) {
            const uint8_t *e = p + pal_off + (size_t)i * pal_entry;
            pal[i][0] = e[2];
            pal[i][1] = e[1];
            pal[i][2] = e[0];
        }
    }

    /* pixel rows */
    size_t row_bits, stride;
    if (!a2a_mul_ok((size_t)w, bpp, &row_bits)) return a2a_fail(ctx, A2A_ERR_NOMEM, "bmp: row size overflow");
    stride = ((row_bits + 31) / 32) * 4;
    a2a_status st = a2a_image_alloc(ctx, w, hh, lim, out);
    if (st != A2A_OK) return st;
    size_t need;
    if (!a2a_mul_ok(stride, (size_t)hh, &need) || off_bits > n || n - off_bits < need - (stride - (row_bits + 7) / 8)) {
        a2a_image_free(out);
        return a2a_fail(ctx, A2A_ERR_FORMAT, "bmp: truncated pixel data (%lldx%lld, %u bpp, %zu bytes of file)",
                        (long long)w, (long long)hh, bpp, n);
    }
    for (int64_t y = 0; y < hh; y++) {
        const uint8_t *s = p + off_bits + (size_t)y * stride;
        int64_t oy = top_down ? y : hh - 1 - y;
        uint8_t *d = out->data + (size_t)oy * (size_t)w * 3;
        for (int64_t x = 0; x < w; x++, d += 3) {
            if (bpp <= 8) {
                size_t bit = (size_t)x * bpp;
                unsigned idx = (s[bit >> 3] >> (8 - bpp - (bit & 7))) & ((1u << bpp) - 1);
                d[0] = pal[idx][0];
                d[1] = pal[idx][1];
                d[2] = pal[idx][2];
            } else if (bpp == 24) {
                const uint8_t *q = s + (size_t)x * 3;
                d[0] = q[2];
                d[1] = q[1];
                d[2] = q[0];
            } else {
                uint32_t px = bpp == 16 ? rd16(s + (size_t)x * 2) : rd32(s + (size_t)x * 4);
                d[0] = bmp_field_get(&fr, px);
                d[1] = bmp_field_get(&fg, px);
                d[2] = bmp_field_get(&fb, px);
            }
        }
    }
    return A2A_OK;
}
