/* WebP decoding through libwebp (still images, lossy and lossless; alpha dropped).
   Animated files are A2A_ERR_UNSUPPORTED. */
#include "media/image.h"

#include <string.h>

#ifndef A2A_HAVE_WEBP

/* Built without libwebp: WebP is unsupported. */
a2a_status a2a_image_decode_webp(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    A2A_UNUSED(data); A2A_UNUSED(size); A2A_UNUSED(lim);
    memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "webp: this build has no WebP support (libwebp was not found at configure time)");
}

#else

#include <webp/decode.h>

/* Decode a still WebP held in memory to 8-bit RGB. */
a2a_status a2a_image_decode_webp(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_image_limits *lim, a2a_image *out) {
    memset(out, 0, sizeof *out);
    WebPBitstreamFeatures feat;
    VP8StatusCode vs = WebPGetFeatures(data, size, &feat);
    if (vs == VP8_STATUS_NOT_ENOUGH_DATA) return a2a_fail(ctx, A2A_ERR_FORMAT, "webp: truncated file");
    if (vs != VP8_STATUS_OK) return a2a_fail(ctx, A2A_ERR_FORMAT, "webp: invalid header (status %d)", (int)vs);
    if (feat.has_animation) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "webp: animated WebP is not supported");
    a2a_status st = a2a_image_alloc(ctx, feat.width, feat.height, lim, out);
    if (st != A2A_OK) return st;
    size_t bytes = (size_t)out->w * (size_t)out->h * 3;
    if (!WebPDecodeRGBInto(data, size, out->data, bytes, out->w * 3)) {
        a2a_image_free(out);
        return a2a_fail(ctx, A2A_ERR_FORMAT, "webp: corrupt or truncated image data");
    }
    return A2A_OK;
}

#endif
