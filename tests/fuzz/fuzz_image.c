/* libFuzzer target: decode arbitrary bytes as an image (PNG, JPEG, BMP, WebP by magic bytes)
   under small limits; on success read every pixel and, for small images, run the PIL-exact
   resize and the ImageBind transform, so ASan sees any out-of-range access. Also feeds the
   bytes to the EXIF orientation parser. Seeds: tests/fuzz/corpus/image/ (the sample images). */
#include "media/image.h"
#include "media/image_preprocess.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static volatile uint64_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: decode, then exercise the preprocessing on the result. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static float *tensor;
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    uint64_t acc = (uint64_t)a2a_exif_orientation(data, size);
    a2a_image_limits lim = a2a_image_default_limits();
    lim.max_pixels = 4ll * 1024 * 1024;
    lim.max_dim = 8192;
    lim.max_bytes = (size_t)16 * 1024 * 1024;
    lim.apply_exif_orientation = size & 1; /* both settings */
    a2a_image img;
    if (a2a_image_decode(ctx, data, size, &lim, &img) == A2A_OK) {
        if (img.c != 3 || img.w <= 0 || img.h <= 0 || !img.data) abort(); /* decoder bug */
        size_t n = (size_t)img.w * (size_t)img.h * 3;
        for (size_t i = 0; i < n; i++) acc += img.data[i];
        if ((size_t)img.w * (size_t)img.h <= 65536) {
            a2a_image r;
            if (a2a_image_resize(ctx, &img, 17, 13, (a2a_resample)(size % 2), &r) == A2A_OK) {
                acc += r.data[0];
                a2a_image_free(&r);
            }
            /* the full transform (224x224 output) is costly under ASan: a sample of inputs only */
            if (size % 4 != 0) goto done;
            if (!tensor) tensor = (float *)malloc(sizeof(float) * 3 * A2A_IMAGEBIND_SIZE * A2A_IMAGEBIND_SIZE);
            if (tensor && a2a_image_to_imagebind(ctx, &img, tensor) == A2A_OK) acc += tensor[0] == tensor[0];
        }
    done:
        a2a_image_free(&img);
    } else if (img.data) {
        abort(); /* a failed decode must leave the image empty */
    }
    sink = acc;
    a2a_ctx_free(ctx);
    return 0;
}
