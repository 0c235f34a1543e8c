/* GIF decoding through giflib: the first frame only, composed as Pillow 13 does for frame 0
   and then Image.convert("RGB"):
     - canvas = the logical screen, enlarged to cover the first frame if that frame reaches
       past it (Pillow does the same);
     - canvas pixels outside the frame = the colour of the frame's transparent index when its
       graphic control extension sets one, else of index 0 (the background-colour index of the
       screen descriptor is ignored, as in Pillow);
     - pixels inside the frame, transparent ones included, = their palette colour
       (convert("RGB") drops the transparency, it does not composite);
     - palette = the frame's local colour map, else the global one, where a map that is exactly
       the gray ramp (i, i, i) counts as absent (Pillow skips such maps); indices past the end
       of the map give black (0, 0, 0); with no usable map every index i gives gray (i, i, i)
       (Pillow's mode "L");
     - interlaced frames are de-interlaced.
   Every giflib error is A2A_ERR_FORMAT with giflib's message. */
#include "media/image.h"

#include <string.h>

#ifndef A2A_HAVE_GIF

/* Built without giflib: GIF is unsupported. */
a2a_status a2a_image_decode_gif(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    A2A_UNUSED(data); A2A_UNUSED(size); A2A_UNUSED(lim);
    memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gif: this build has no GIF support (giflib was not found at configure time)");
}

#else

#include <gif_lib.h>
#include <stdlib.h>

/* In-memory source for giflib's read callback. */
typedef struct gif_src {
    const uint8_t *p;
    size_t n, pos;
} gif_src;

/* giflib InputFunc: copy up to len bytes; a short count makes giflib report a read error. */
static int gif_read(GifFileType *gf, GifByteType *buf, int len) {
    gif_src *s = (gif_src *)gf->UserData;
    if (!s || !buf || len <= 0) return 0;
    size_t left = s->n - s->pos, k = (size_t)len < left ? (size_t)len : left;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    return (int)k;
}

/* giflib's message for err (never NULL). */
static const char *gif_msg(int err) {
    const char *m = GifErrorString(err);
    return m ? m : "unknown giflib error";
}

/* True when the map is missing/empty or entry i is (i, i, i) for every i. */
static bool gif_is_gray_ramp(const ColorMapObject *cm) {
    if (!cm || !cm->Colors || cm->ColorCount <= 0) return true;
    const int n = cm->ColorCount < 256 ? cm->ColorCount : 256;
    for (int i = 0; i < n; i++)
        if (cm->Colors[i].Red != i || cm->Colors[i].Green != i || cm->Colors[i].Blue != i) return false;
    return true;
}

/* Fail with the giflib error of gf, close gf and return A2A_ERR_FORMAT. */
static a2a_status gif_fail(a2a_ctx *ctx, GifFileType *gf, const char *what) {
    int err = gf->Error;
    DGifCloseFile(gf, NULL);
    return a2a_fail(ctx, A2A_ERR_FORMAT, "gif: %s: %s (giflib error %d)", what, gif_msg(err), err);
}

/* Decode the first frame of a GIF held in memory to 8-bit RGB (see the top of the file). */
a2a_status a2a_image_decode_gif(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    memset(out, 0, sizeof *out);
    gif_src src = {data, size, 0};
    int err = 0;
    GifFileType *gf = DGifOpen(&src, gif_read, &err);
    if (!gf) return a2a_fail(ctx, A2A_ERR_FORMAT, "gif: invalid header: %s (giflib error %d)", gif_msg(err), err);

    int transparent = -1; /* from a graphic control extension before the first image */
    for (;;) {
        GifRecordType rt;
        if (DGifGetRecordType(gf, &rt) == GIF_ERROR) return gif_fail(ctx, gf, "reading a record");
        if (rt == IMAGE_DESC_RECORD_TYPE) break;
        if (rt == TERMINATE_RECORD_TYPE) {
            DGifCloseFile(gf, NULL);
            return a2a_fail(ctx, A2A_ERR_FORMAT, "gif: no image in the file");
        }
        if (rt != EXTENSION_RECORD_TYPE) {
            DGifCloseFile(gf, NULL);
            return a2a_fail(ctx, A2A_ERR_FORMAT, "gif: unexpected record type %d", (int)rt);
        }
        int code = 0;
        GifByteType *ext = NULL;
        if (DGifGetExtension(gf, &code, &ext) == GIF_ERROR) return gif_fail(ctx, gf, "reading an extension");
        /* ext[0] is the sub-block length; GCE: flags, delay (2 bytes), transparent index */
        if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4 && (ext[1] & 1)) transparent = ext[4];
        while (ext) {
            if (DGifGetExtensionNext(gf, &ext) == GIF_ERROR) return gif_fail(ctx, gf, "reading an extension");
        }
    }
    if (DGifGetImageDesc(gf) == GIF_ERROR) return gif_fail(ctx, gf, "reading the image descriptor");

    const GifImageDesc *d = &gf->Image;
    const int64_t x0 = d->Left, y0 = d->Top, fw = d->Width, fh = d->Height;
    if (x0 < 0 || y0 < 0 || fw <= 0 || fh <= 0) {
        DGifCloseFile(gf, NULL);
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gif: invalid frame %lldx%lld at (%lld, %lld)", (long long)fw,
                        (long long)fh, (long long)x0, (long long)y0);
    }
    int64_t cw = gf->SWidth > 0 ? gf->SWidth : 0, ch = gf->SHeight > 0 ? gf->SHeight : 0;
    if (x0 + fw > cw) cw = x0 + fw; /* all <= 65535 * 2: no overflow */
    if (y0 + fh > ch) ch = y0 + fh;

    /* the frame's palette, chosen as Pillow does: a map that is exactly the gray ramp counts as
       absent (Pillow: "palette not needed"), so an identity local map falls back to the global one */
    const ColorMapObject *cm = NULL;
    if (d->ColorMap && !gif_is_gray_ramp(d->ColorMap)) cm = d->ColorMap;
    else if (gf->SColorMap && !gif_is_gray_ramp(gf->SColorMap)) cm = gf->SColorMap;
    uint8_t pal[256][3];
    const int n = cm ? (cm->ColorCount < 256 ? cm->ColorCount : 256) : 0;
    for (int i = 0; i < 256; i++) {
        if (!cm) pal[i][0] = pal[i][1] = pal[i][2] = (uint8_t)i;
        else if (i < n) {
            pal[i][0] = cm->Colors[i].Red;
            pal[i][1] = cm->Colors[i].Green;
            pal[i][2] = cm->Colors[i].Blue;
        } else pal[i][0] = pal[i][1] = pal[i][2] = 0;
    }

    a2a_status st = a2a_image_alloc(ctx, cw, ch, lim, out); /* checks the limits before allocating */
    if (st != A2A_OK) {
        DGifCloseFile(gf, NULL);
        return st;
    }
    GifPixelType *line = (GifPixelType *)malloc((size_t)fw);
    if (!line) {
        a2a_image_free(out);
        DGifCloseFile(gf, NULL);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "gif: out of memory for a %lld-pixel row", (long long)fw);
    }
    const uint8_t *fill = pal[transparent >= 0 ? transparent : 0];
    const size_t npx = (size_t)cw * (size_t)ch;
    for (size_t i = 0; i < npx; i++) memcpy(out->data + i * 3, fill, 3);

    /* rows in file order; interlaced: passes start at 0, 4, 2, 1 with steps 8, 8, 4, 2 */
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    const int npass = d->Interlace ? 4 : 1;
    for (int pass = 0; pass < npass; pass++) {
        const int64_t r0 = d->Interlace ? start[pass] : 0, dr = d->Interlace ? step[pass] : 1;
        for (int64_t r = r0; r < fh; r += dr) {
            if (DGifGetLine(gf, line, (int)fw) == GIF_ERROR) {
                free(line);
                a2a_image_free(out);
                return gif_fail(ctx, gf, "decoding the image data");
            }
            uint8_t *dst = out->data + ((size_t)(y0 + r) * (size_t)cw + (size_t)x0) * 3;
            for (int64_t x = 0; x < fw; x++) memcpy(dst + x * 3, pal[line[x]], 3);
        }
    }
    free(line);
    DGifCloseFile(gf, NULL);
    return A2A_OK;
}

#endif
