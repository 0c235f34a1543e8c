/* Float32 bilinear resize matching torch.nn.functional.interpolate. See image_resize_f32.h. */
#include "media/image_resize_f32.h"

#include <math.h>
#include <stdlib.h>

/* One output coordinate's two source taps and weights. */
typedef struct taps {
    int64_t i0, i1; /* source indices (i1 == i0 at the last source element) */
    float l0, l1;   /* weights of i0 and i1 (l0 = 1 - l1) */
} taps;

/* Round a float expression's value to float32 storage, so that no compiler contraction
   (-ffp-contract=fast with FMA available) fuses it into the following operation. */
static inline float f32_round(float x) {
    volatile float v = x;
    return v;
}

/* torch's compute_source_index_and_lambda (align_corners=False, linear) for every output
   index of one axis: in -> out. */
static void axis_taps(int64_t in, int64_t out, taps *t) {
    if (in == out) {
        for (int64_t o = 0; o < out; o++) t[o] = (taps){o, o, 1.0f, 0.0f};
        return;
    }
    const float scale = f32_round((float)in / (float)out);
    for (int64_t o = 0; o < out; o++) {
        float p = f32_round(scale * f32_round((float)o + 0.5f));
        float src = f32_round(p - 0.5f);
        if (src < 0.0f) src = 0.0f;
        int64_t i0 = (int64_t)floorf(src);
        if (i0 > in - 1) i0 = in - 1;
        float l1 = f32_round(src - (float)i0);
        if (l1 < 0.0f) l1 = 0.0f;
        if (l1 > 1.0f) l1 = 1.0f;
        t[o].i0 = i0;
        t[o].i1 = i0 + (i0 < in - 1 ? 1 : 0);
        t[o].l1 = l1;
        t[o].l0 = f32_round(1.0f - l1);
    }
}

a2a_status a2a_resize_bilinear_f32(a2a_ctx *ctx, const float *src, int64_t w, int64_t h, int64_t planes,
                                   int64_t ow, int64_t oh, float *dst) {
    if (!src || !dst) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resize_bilinear_f32: NULL buffer");
    if (w < 1 || h < 1 || ow < 1 || oh < 1 || planes < 1 || w > A2A_RESIZE_F32_MAX_DIM ||
        h > A2A_RESIZE_F32_MAX_DIM || ow > A2A_RESIZE_F32_MAX_DIM || oh > A2A_RESIZE_F32_MAX_DIM)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "resize_bilinear_f32: bad sizes %lldx%lld -> %lldx%lld x %lld planes (1..%d per side)",
                        (long long)w, (long long)h, (long long)ow, (long long)oh, (long long)planes,
                        A2A_RESIZE_F32_MAX_DIM);
    size_t n_in, n_out, tmp;
    if (!a2a_mul_ok((size_t)w, (size_t)h, &n_in) || !a2a_mul_ok(n_in, (size_t)planes, &tmp) ||
        !a2a_mul_ok((size_t)ow, (size_t)oh, &n_out) || !a2a_mul_ok(n_out, (size_t)planes, &tmp) ||
        !a2a_mul_ok(tmp, sizeof(float), &tmp))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resize_bilinear_f32: size overflow");
    taps *tx = malloc((size_t)ow * sizeof *tx);
    taps *ty = malloc((size_t)oh * sizeof *ty);
    if (!tx || !ty) {
        free(tx);
        free(ty);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "resize_bilinear_f32: out of memory");
    }
    axis_taps(w, ow, tx);
    axis_taps(h, oh, ty);
    for (int64_t p = 0; p < planes; p++) {
        const float *sp = src + (size_t)p * n_in;
        float *dp = dst + (size_t)p * n_out;
        for (int64_t y = 0; y < oh; y++) {
            const float *r0 = sp + (size_t)ty[y].i0 * (size_t)w;
            const float *r1 = sp + (size_t)ty[y].i1 * (size_t)w;
            const float hl0 = ty[y].l0, hl1 = ty[y].l1;
            float *d = dp + (size_t)y * (size_t)ow;
            for (int64_t x = 0; x < ow; x++) {
                const taps t = tx[x];
                float t0 = fmaf(r0[t.i0], t.l0, r0[t.i1] * t.l1);
                float t1 = fmaf(r1[t.i0], t.l0, r1[t.i1] * t.l1);
                d[x] = fmaf(t0, hl0, t1 * hl1);
            }
        }
    }
    free(tx);
    free(ty);
    return A2A_OK;
}
