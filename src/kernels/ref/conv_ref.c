/* Direct-loop reference convolutions (scalar, any strides). Used as the fallback path for
   grouped/depthwise convolutions with few channels per group and as the oracle of the
   im2col + GEMM path. */
#include "kernels/conv.h"

/* Address of element (i0..i4) of a (5-D viewed) tensor through its byte strides. */
static inline const char *at5(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3, int64_t i4) {
    return (const char *)t->data + (size_t)i0 * t->nb[0] + (size_t)i1 * t->nb[1] + (size_t)i2 * t->nb[2] +
           (size_t)i3 * t->nb[3] + (size_t)i4 * t->nb[4];
}

/* Direct 3-D convolution for output channels [c0, c1) of all batches; x, w, dst are 5-D
   views (x [W,H,T,Cin,N], w [KW,KH,KT,Cin/groups,Cout], dst [Wout,Hout,Tout,Cout,N]);
   the geometry was validated by the caller. Accumulates in float in (c, kt, kh, kw) order. */
void a2a_ref_conv3d(const a2a_conv_geom *g, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                    const a2a_tensor *b, int64_t c0, int64_t c1) {
    const int64_t cin_g = g->cin / g->groups, cout_g = g->cout / g->groups;
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t co = c0; co < c1; co++) {
            const int64_t grp = co / cout_g;
            const float bias = b ? a2a_conv_load(b->type, (const char *)b->data + (size_t)co * b->nb[0]) : 0.0f;
            for (int64_t ot = 0; ot < g->out[2]; ot++) {
                for (int64_t oh = 0; oh < g->out[1]; oh++) {
                    for (int64_t ow = 0; ow < g->out[0]; ow++) {
                        float acc = 0.0f;
                        for (int64_t ci = 0; ci < cin_g; ci++) {
                            const int64_t c = grp * cin_g + ci;
                            for (int64_t kt = 0; kt < g->k[2]; kt++) {
                                const int64_t it = ot * g->stride[2] - g->pad[2] + kt * g->dil[2];
                                if (it < 0 || it >= g->in[2]) continue;
                                for (int64_t kh = 0; kh < g->k[1]; kh++) {
                                    const int64_t ih = oh * g->stride[1] - g->pad[1] + kh * g->dil[1];
                                    if (ih < 0 || ih >= g->in[1]) continue;
                                    for (int64_t kw = 0; kw < g->k[0]; kw++) {
                                        const int64_t iw = ow * g->stride[0] - g->pad[0] + kw * g->dil[0];
                                        if (iw < 0 || iw >= g->in[0]) continue;
                                        const float xv = *(const float *)at5(x, iw, ih, it, c, n);
                                        const float wv = a2a_conv_load(w->type, at5(w, kw, kh, kt, ci, co));
                                        acc += xv * wv;
                                    }
                                }
                            }
                        }
                        *(float *)at5(dst, ow, oh, ot, co, n) = acc + bias;
                    }
                }
            }
        }
    }
}

/* Direct transposed 1-D convolution in gather form for output channels [c0, c1):
   dst[lo, co, n] = b[co] + sum_{ci in group, k, l : l*stride - padding + k*dilation == lo}
                    x[l, ci, n] * w[k, co % Cout_g, ci].
   x [L, Cin, N], w [K, Cout/groups, Cin], dst [Lout, Cout, N]; validated by the caller. */
void a2a_ref_conv_transpose1d(a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b,
                              int stride, int padding, int dilation, int groups, int64_t c0, int64_t c1) {
    const int64_t L = x->ne[0], cin = x->ne[1], N = x->ne[2], K = w->ne[0], cout_g = w->ne[1];
    const int64_t cin_g = cin / groups, lout = dst->ne[0];
    for (int64_t n = 0; n < N; n++) {
        for (int64_t co = c0; co < c1; co++) {
            const int64_t grp = co / cout_g, cog = co % cout_g;
            const float bias = b ? a2a_conv_load(b->type, (const char *)b->data + (size_t)co * b->nb[0]) : 0.0f;
            for (int64_t lo = 0; lo < lout; lo++) {
                float acc = 0.0f;
                for (int64_t k = 0; k < K; k++) {
                    const int64_t t = lo + padding - k * dilation;
                    if (t < 0 || t % stride != 0) continue;
                    const int64_t l = t / stride;
                    if (l >= L) continue;
                    for (int64_t ci = 0; ci < cin_g; ci++) {
                        const int64_t c = grp * cin_g + ci;
                        const float xv = *(const float *)at5(x, l, c, n, 0, 0);
                        const float wv = a2a_conv_load(w->type, at5(w, k, cog, c, 0, 0));
                        acc += xv * wv;
                    }
                }
                *(float *)at5(dst, lo, co, n, 0, 0) = acc + bias;
            }
        }
    }
}
