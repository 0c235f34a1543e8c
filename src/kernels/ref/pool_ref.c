/* Reference 2-D pooling (average / max), direct loops over any strides. */
#include "kernels/conv.h"

#include <math.h>

/* Pool the planes with flat index pl = c + C*n in [p0, p1) of x [W,H,C,N] into dst
   [Wout,Hout,C,N] (shapes and parameters validated by the caller). MAX skips padded
   positions; AVG sums real positions and divides by the full window when
   count_include_pad (window clipped to the padded input, as PyTorch does), otherwise by the
   number of real positions. */
void a2a_ref_pool2d(a2a_tensor *dst, const a2a_tensor *x, const a2a_pool2d_params *p, int64_t p0, int64_t p1) {
    const int64_t W = x->ne[0], H = x->ne[1], C = x->ne[2];
    const int64_t Wo = dst->ne[0], Ho = dst->ne[1];
    for (int64_t pl = p0; pl < p1; pl++) {
        const int64_t c = pl % C, n = pl / C;
        const char *src = (const char *)x->data + (size_t)c * x->nb[2] + (size_t)n * x->nb[3];
        char *out = (char *)dst->data + (size_t)c * dst->nb[2] + (size_t)n * dst->nb[3];
        for (int64_t oh = 0; oh < Ho; oh++) {
            const int64_t hs = oh * p->stride_h - p->pad_h, he = hs + p->kernel_h;
            for (int64_t ow = 0; ow < Wo; ow++) {
                const int64_t ws = ow * p->stride_w - p->pad_w, we = ws + p->kernel_w;
                /* window clipped to the padded input (for the count_include_pad divisor) */
                const int64_t pad_cnt = (A2A_MIN(he, H + p->pad_h) - hs) * (A2A_MIN(we, W + p->pad_w) - ws);
                const int64_t h0 = A2A_MAX(hs, 0), h1 = A2A_MIN(he, H), w0 = A2A_MAX(ws, 0), w1 = A2A_MIN(we, W);
                float r;
                if (p->kind == A2A_POOL_MAX) {
                    r = -INFINITY;
                    for (int64_t ih = h0; ih < h1; ih++)
                        for (int64_t iw = w0; iw < w1; iw++) {
                            const float v = *(const float *)(src + (size_t)ih * x->nb[1] + (size_t)iw * x->nb[0]);
                            if (v > r || v != v) r = v; /* NaN propagates, as in PyTorch */
                            if (r != r) break;
                        }
                } else {
                    float s = 0.0f;
                    for (int64_t ih = h0; ih < h1; ih++)
                        for (int64_t iw = w0; iw < w1; iw++)
                            s += *(const float *)(src + (size_t)ih * x->nb[1] + (size_t)iw * x->nb[0]);
                    const int64_t cnt = p->count_include_pad ? pad_cnt : (h1 - h0) * (w1 - w0);
                    r = cnt > 0 ? s / (float)cnt : 0.0f;
                }
                *(float *)(out + (size_t)oh * dst->nb[1] + (size_t)ow * dst->nb[0]) = r;
            }
        }
    }
}
