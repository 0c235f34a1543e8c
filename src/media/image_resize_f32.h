/* Internal: float32 bilinear resize with PyTorch's exact arithmetic.

   a2a_resize_bilinear_f32 reproduces torch.nn.functional.interpolate(x, size=(oh, ow),
   mode="bilinear", align_corners=False, antialias=False) on a contiguous float32 CPU tensor,
   i.e. ATen's generic separable-index kernel (upsample_generic_Nd_kernel_impl with
   HelperInterpLinear), which torch uses whenever oh + ow > 128 for NCHW input:
     scale   = (float)in / (float)out                         (float32)
     src     = max(scale * ((float)o + 0.5f) - 0.5f, 0)       (each op rounded to float32)
     i0      = min(floor(src), in - 1);  i1 = i0 + (i0 < in - 1)
     l1      = clamp(src - i0, 0, 1);    l0 = 1 - l1          (an axis whose size is unchanged
                                                                copies: i0 = i1 = o, l0 = 1, l1 = 0)
     row(y)  = fmaf(x[y][i0w], l0w, x[y][i1w] * l1w)
     out     = fmaf(row(i0h), l0h, row(i1h) * l1h)
   The fused multiply-adds are what torch's AVX2/AVX-512 builds compile that expression to
   (measured: bit-identical to torch 2.x for every output of several up/down sizes). For tiny
   outputs (oh + ow <= 128) torch switches to another kernel whose rounding differs by about
   1 ulp; results then agree to ~1e-7 relative. No antialiasing (downscales sample 2x2 taps). */
#ifndef A2A_MEDIA_IMAGE_RESIZE_F32_H
#define A2A_MEDIA_IMAGE_RESIZE_F32_H

#include "core/status.h"

#include <stdint.h>

/* Largest side accepted by a2a_resize_bilinear_f32 (input or output). */
#define A2A_RESIZE_F32_MAX_DIM 65536

/* Resize `planes` independent planes src[planes][h][w] (contiguous float32) to
   dst[planes][oh][ow] with torch's bilinear, align_corners=False arithmetic (see above).
   All sizes must be >= 1, sides <= A2A_RESIZE_F32_MAX_DIM, planes * oh * ow must not overflow
   size_t; src and dst must not overlap. Errors: A2A_ERR_INVALID_ARG (bad sizes/NULL),
   A2A_ERR_NOMEM (index tables could not be allocated). */
a2a_status a2a_resize_bilinear_f32(a2a_ctx *ctx, const float *src, int64_t w, int64_t h, int64_t planes,
                                   int64_t ow, int64_t oh, float *dst);

#endif
