/* Internal: image preprocessing for vision encoders — PIL-exact resampling, torchvision
   center crop, ToTensor + Normalize, and the whole ImageBind vision transform.

   Resampling reproduces PIL's ImagingResample for 8-bit images bit for bit: separable
   convolution (horizontal pass first, over the rows the vertical pass needs), filter support
   scaled by the downscale factor (antialiasing), coefficients normalized to sum 1 and then
   quantized to 22-bit fixed point, rounding + clipping to uint8 after each pass. The pass
   order is Pillow 13's (vertical first when the height shrinks and h0 - h1 > 2 * (w0 - w1));
   it matters for exactness because of the uint8 rounding between the passes.
   Outputs (and intermediates) are limited like decoded images: 64 Mpx and 65535 per side
   (A2A_ERR_NOMEM beyond), so an absurd aspect ratio cannot make Resize(224) explode. */
#ifndef A2A_MEDIA_IMAGE_PREPROCESS_H
#define A2A_MEDIA_IMAGE_PREPROCESS_H

#include "media/image.h"

/* Side of the square ImageBind (and CLIP ViT-H/L-224) input. */
#define A2A_IMAGEBIND_SIZE 224

/* Resampling filters (PIL's Image.BILINEAR / Image.BICUBIC with a = -0.5). */
typedef enum a2a_resample {
    A2A_RESAMPLE_BILINEAR = 0,
    A2A_RESAMPLE_BICUBIC = 1,
} a2a_resample;

/* Resize src to w x h exactly as PIL's Image.resize((w, h), filter) does for an RGB image.
   *out is a new image (caller frees with a2a_image_free); zeroed on failure. */
a2a_status a2a_image_resize(a2a_ctx *ctx, const a2a_image *src, int32_t w, int32_t h, a2a_resample filter, a2a_image *out);

/* torchvision Resize(size) with an int size: the shorter side becomes `size`, the longer
   int(size * long / short) (truncated), then a2a_image_resize. Caller frees *out. */
a2a_status a2a_image_resize_short(a2a_ctx *ctx, const a2a_image *src, int32_t size, a2a_resample filter, a2a_image *out);

/* torchvision CenterCrop((h, w)): offsets round((H - h) / 2) with Python's round-half-even;
   a crop larger than the image pads with black first (left/top get the smaller half).
   Caller frees *out. */
a2a_status a2a_image_center_crop(a2a_ctx *ctx, const a2a_image *src, int32_t w, int32_t h, a2a_image *out);

/* ToTensor + Normalize: out[c][y][x] = (img[y][x][c] / 255 - mean[c]) / std[c] in float32
   (the same float operations as torchvision, so results are bit-identical). out holds
   3 * w * h floats: in ggml order a tensor [w, h, 3]. std entries must be nonzero. */
a2a_status a2a_image_normalize(a2a_ctx *ctx, const a2a_image *img, const float mean[3], const float std[3], float *out);

/* The CLIP/ImageBind normalization constants (float32, as torch stores them). */
void a2a_imagebind_mean_std(float mean[3], float std[3]);

/* ImageBind's vision transform (ImageBind data.py load_and_transform_vision_data):
   Resize(224, BICUBIC) -> CenterCrop(224) -> ToTensor -> Normalize(CLIP mean/std).
   out holds 3 * 224 * 224 floats, planes [c][y][x] (ggml tensor [224, 224, 3]). */
a2a_status a2a_image_to_imagebind(a2a_ctx *ctx, const a2a_image *img, float *out);

#endif
