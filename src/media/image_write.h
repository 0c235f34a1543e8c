/* Still-image encoding (PNG through libpng, JPEG through libjpeg) and the float -> 8-bit
   conversion that diffusion pipelines apply to VAE output.

     a2a_image img;
     a2a_image_from_planar_f32(ctx, x, 3, H, W, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND, &img);
     a2a_image_write(ctx, &img, "out.png", NULL);     // format from the extension
     a2a_image_free(&img);

   Files are written atomically (io/atomic_file.h): a temporary file in the destination's
   directory is renamed onto the path only when the whole file was written; on any error no
   file appears and an existing destination is left untouched.

   Unlike the decoders (always RGB), the writers accept a2a_image with c = 1 (gray), 3 (RGB) or
   4 (RGBA; PNG only), tightly packed [h][w][c]. */
#ifndef A2A_MEDIA_IMAGE_WRITE_H
#define A2A_MEDIA_IMAGE_WRITE_H

#include "media/image.h"

/* Output container chosen by a2a_image_write. */
typedef enum a2a_image_file_format {
    A2A_IMAGE_FILE_AUTO = 0, /* from the path's extension: .png, .jpg/.jpeg (case-insensitive) */
    A2A_IMAGE_FILE_PNG,
    A2A_IMAGE_FILE_JPEG,
} a2a_image_file_format;

/* Encoder options; get defaults from a2a_image_write_default_params() and edit by field name. */
typedef struct a2a_image_write_params {
    a2a_image_file_format format; /* AUTO (default): by extension; else forces the format */
    int jpeg_quality;             /* 1..100 (default 95; PIL's save default is 75) */
    bool jpeg_subsample_420;      /* chroma 4:2:0 (default true, as PIL and libjpeg); false: 4:4:4 */
    int png_compression;          /* zlib level 0..9 (default 6, as PIL) */
    int32_t max_dim;              /* refuse width or height above this (default 65535) */
    int64_t max_pixels;           /* refuse w*h above this (default 64 Mpx as the decoders) */
} a2a_image_write_params;

/* Defaults: format AUTO, JPEG quality 95 with 4:2:0, PNG level 6, limits as the decoders. */
a2a_image_write_params a2a_image_write_default_params(void);

/* Output format of path by extension: A2A_IMAGE_FILE_PNG / _JPEG, or AUTO when unknown. */
a2a_image_file_format a2a_image_file_format_from_path(const char *path);

/* Encode img into a malloc'd buffer (*out, *size; caller frees with free). format must be PNG
   or JPEG (not AUTO). params may be NULL (defaults). Errors: A2A_ERR_INVALID_ARG (NULL or
   zero-size image, c not 1/3/4, RGBA as JPEG, sizes over the limits, bad quality/level),
   A2A_ERR_UNSUPPORTED (library missing in this build), A2A_ERR_NOMEM. On failure *out = NULL. */
a2a_status a2a_image_encode(a2a_ctx *ctx, const a2a_image *img, a2a_image_file_format format,
                            const a2a_image_write_params *params, void **out, size_t *size);

/* Encode img (as a2a_image_encode) in the format of params->format or, when AUTO, of path's
   extension (unknown extension: A2A_ERR_UNSUPPORTED), and write it atomically to path
   (A2A_ERR_IO when the directory is missing or unwritable). params may be NULL. */
a2a_status a2a_image_write(a2a_ctx *ctx, const a2a_image *img, const char *path, const a2a_image_write_params *params);

/* How a2a_image_from_planar_f32 reads its input range. */
typedef enum a2a_pixel_range {
    A2A_PIXEL_RANGE_NEG1_1 = 0, /* VAE output: v = clamp(x * 0.5 + 0.5, 0, 1) (diffusers' denormalize) */
    A2A_PIXEL_RANGE_0_1,        /* already in [0, 1]: v = clamp(x, 0, 1) */
} a2a_pixel_range;

/* How [0, 1] becomes 0..255. */
typedef enum a2a_pixel_rounding {
    A2A_PIXEL_ROUND = 0, /* round(v * 255) half to even, in float32: diffusers' numpy_to_pil /
                            VaeImageProcessor.postprocess(output_type="pil") */
    A2A_PIXEL_TRUNC,     /* floor(v * 255): diffusers' export_to_video ((frame * 255).astype(uint8)) */
} a2a_pixel_rounding;

/* Convert a planar float image x [c][h][w] (ggml ne = [w, h, c]; c = 1, 3 or 4) to a new packed
   8-bit image *out [h][w][c] (caller frees with a2a_image_free). All arithmetic is float32 as in
   torch/numpy, so the result is bit-exact with the diffusers post-processing named by range and
   rounding. NaN maps to 0. Errors: A2A_ERR_INVALID_ARG (NULL x, c not 1/3/4, w or h <= 0),
   A2A_ERR_NOMEM (over the default image limits, or malloc). */
a2a_status a2a_image_from_planar_f32(a2a_ctx *ctx, const float *x, int c, int h, int w, a2a_pixel_range range,
                                     a2a_pixel_rounding rounding, a2a_image *out);

/* Single value of that conversion (exposed for the video writer and tests). */
uint8_t a2a_pixel_f32_to_u8(float x, a2a_pixel_range range, a2a_pixel_rounding rounding);

#endif
