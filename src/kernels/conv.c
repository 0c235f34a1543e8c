/* Convolutions: conv1d/2d/3d through one generic 3-D engine (im2col + SGEMM, or a direct
   loop for grouped convolutions with few channels per group), and transposed conv1d
   (SGEMM + col2im). See conv.h for the contracts. */
#include "kernels/conv.h"

#include "core/cpu.h"
#include "core/scratch.h"
#include "kernels/convert.h"
#include "kernels/matmul.h"

#include <string.h>

/* Scratch slot for the column buffer and F32 weight copies (a2a_sgemm uses
   A2A_MATMUL_SCRATCH_SLOT, quantized matmul slot 1). */
#define CONV_SCRATCH_SLOT 2
_Static_assert(CONV_SCRATCH_SLOT != A2A_MATMUL_SCRATCH_SLOT, "conv scratch slot collides with matmul");
/* Budget for one chunk of im2col columns (floats). */
#define CONV_COLS_BUDGET ((size_t)8 << 20)
/* Grouped convolutions with fewer input channels per group than this use the direct loop. */
#define CONV_DIRECT_MAX_CIN_G 4

int64_t a2a_conv_out_size(int64_t in, int64_t k, int stride, int pad, int dil) {
    if (in < 1 || k < 1 || stride < 1 || dil < 1 || pad < 0) return -1;
    int64_t span, padded;
    if (__builtin_mul_overflow(k - 1, (int64_t)dil, &span) || __builtin_add_overflow(span, 1, &span)) return -1;
    if (__builtin_add_overflow(in, 2 * (int64_t)pad, &padded)) return -1;
    if (span > padded) return -1;
    return (padded - span) / stride + 1;
}

int64_t a2a_conv_transpose_out_size(int64_t in, int64_t k, int stride, int pad, int dil, int output_padding) {
    if (in < 1 || k < 1 || stride < 1 || dil < 1 || pad < 0 || output_padding < 0) return -1;
    if (output_padding >= stride && output_padding >= dil) return -1;
    int64_t a, s;
    if (__builtin_mul_overflow(in - 1, (int64_t)stride, &a)) return -1;
    if (__builtin_mul_overflow(k - 1, (int64_t)dil, &s)) return -1;
    if (__builtin_add_overflow(a, s, &a) || __builtin_add_overflow(a, (int64_t)output_padding + 1, &a)) return -1;
    a -= 2 * (int64_t)pad;
    return a >= 1 ? a : -1;
}

a2a_conv2d_params a2a_conv2d_default_params(void) { return A2A_CONV2D_PARAMS_DEFAULT; }
a2a_conv3d_params a2a_conv3d_default_params(void) { return A2A_CONV3D_PARAMS_DEFAULT; }

/* A 5-D view of t: dim i of the view is dim map[i] of t, or a singleton when map[i] < 0
   (map[0] >= 0). A singleton gets the packed stride nb[i-1]*ne[i-1] (never used for
   addressing, but it keeps packed-layout checks on the view meaningful). */
static a2a_tensor view5(const a2a_tensor *t, const int map[5]) {
    a2a_tensor v = *t;
    v.n_dims = 5;
    for (int i = 0; i < 5; i++) {
        v.ne[i] = map[i] < 0 ? 1 : t->ne[map[i]];
        v.nb[i] = map[i] < 0 ? v.nb[i - 1] * (size_t)v.ne[i - 1] : t->nb[map[i]];
    }
    return v;
}

/* True when dims past `n` of t are all 1. */
static bool dims_past_one(const a2a_tensor *t, int n) {
    for (int i = n; i < A2A_MAX_DIMS; i++)
        if (t->ne[i] != 1) return false;
    return true;
}

/* Common validation of x/w/b/dst types and layouts for op `op`. */
static a2a_status check_tensors(a2a_ctx *ctx, const char *op, const a2a_tensor *dst, const a2a_tensor *x,
                                const a2a_tensor *w, const a2a_tensor *b, int nd) {
    if (!dst || !x || !w) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: NULL tensor", op);
    if (x->type != A2A_TYPE_F32 || dst->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: x and dst must be F32 (got %s, %s)", op, a2a_type_name(x->type),
                        a2a_type_name(dst->type));
    if (w->type != A2A_TYPE_F32 && w->type != A2A_TYPE_F16)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: weight type %s not supported (F32 or F16)", op, a2a_type_name(w->type));
    if (!a2a_tensor_is_contiguous(w)) return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: weight must be contiguous", op);
    if (!dims_past_one(x, nd) || !dims_past_one(w, nd) || !dims_past_one(dst, nd))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: tensors must have at most %d dims", op, nd);
    if (b) {
        if (b->type != A2A_TYPE_F32 && b->type != A2A_TYPE_F16)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: bias type %s not supported", op, a2a_type_name(b->type));
        if (a2a_tensor_nelements(b) != b->ne[0] || b->ne[0] != dst->ne[nd - 2])
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: bias has %lld elements, expected %lld", op,
                            (long long)a2a_tensor_nelements(b), (long long)dst->ne[nd - 2]);
    }
    if (a2a_tensor_nelements(x) == 0 || a2a_tensor_nelements(w) == 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: empty input or weight", op);
    return A2A_OK;
}

/* ---- the generic engine: x [W,H,T,Cin,N], w [KW,KH,KT,Cin_g,Cout], dst [Wo,Ho,To,Cout,N] ---- */

typedef struct conv_job {
    const a2a_conv_geom *g;
    a2a_tensor *dst;
    const a2a_tensor *x, *w, *b;
    /* im2col chunk */
    float *cols;   /* [K][mc] */
    int64_t K, m0, mc, n, grp;
    /* weight conversion */
    float *wf;     /* F32 copy of an F16 weight */
    /* scatter from a temporary C */
    float *cbuf;   /* [Cout_g][mc] */
} conv_job;

/* Direct loop over output channels [i0, i1). */
static void direct_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const conv_job *j = arg;
    a2a_ref_conv3d(j->g, j->dst, j->x, j->w, j->b, i0, i1);
}

/* im2col rows [i0, i1) of the K rows: row k = ((c*KT + kt)*KH + kh)*KW + kw holds, for the
   chunk's output positions m0..m0+mc, the input value under kernel tap (kw,kh,kt) of
   channel c (0 outside the input). */
static void im2col_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const conv_job *j = arg;
    const a2a_conv_geom *g = j->g;
    const a2a_tensor *x = j->x;
    const int64_t cin_g = g->cin / g->groups;
    const int64_t Wo = g->out[0], Ho = g->out[1];
    for (int64_t k = i0; k < i1; k++) {
        int64_t r = k;
        const int64_t kw = r % g->k[0]; r /= g->k[0];
        const int64_t kh = r % g->k[1]; r /= g->k[1];
        const int64_t kt = r % g->k[2]; r /= g->k[2];
        const int64_t c = j->grp * cin_g + r;
        const char *plane = (const char *)x->data + (size_t)c * x->nb[3] + (size_t)j->n * x->nb[4];
        float *row = j->cols + (size_t)k * (size_t)j->mc;
        int64_t m = j->m0, mend = j->m0 + j->mc;
        while (m < mend) {
            /* one run of output positions sharing (ot, oh) */
            const int64_t ow0 = m % Wo, oh = (m / Wo) % Ho, ot = m / (Wo * Ho);
            const int64_t run = A2A_MIN(Wo - ow0, mend - m);
            const int64_t it = ot * g->stride[2] - g->pad[2] + kt * g->dil[2];
            const int64_t ih = oh * g->stride[1] - g->pad[1] + kh * g->dil[1];
            float *o = row + (m - j->m0);
            if (it < 0 || it >= g->in[2] || ih < 0 || ih >= g->in[1]) {
                memset(o, 0, (size_t)run * sizeof(float));
            } else {
                const char *src = plane + (size_t)ih * x->nb[1] + (size_t)it * x->nb[2];
                const int64_t sw = g->stride[0], off = kw * g->dil[0] - g->pad[0];
                if (sw == 1 && x->nb[0] == sizeof(float)) {
                    /* contiguous run with zero borders */
                    for (int64_t q = 0; q < run; q++) {
                        const int64_t iw = ow0 + q + off;
                        if (iw >= 0 && iw < g->in[0]) {
                            const int64_t n_in = A2A_MIN(run - q, g->in[0] - iw);
                            memcpy(o + q, (const float *)src + iw, (size_t)n_in * sizeof(float));
                            q += n_in - 1;
                        } else {
                            o[q] = 0.0f;
                        }
                    }
                } else {
                    for (int64_t q = 0; q < run; q++) {
                        const int64_t iw = (ow0 + q) * sw + off;
                        o[q] = (iw >= 0 && iw < g->in[0]) ? *(const float *)(src + (size_t)iw * x->nb[0]) : 0.0f;
                    }
                }
            }
            m += run;
        }
    }
}

/* Convert F16 weight elements [i0, i1) to F32. */
static void wconv_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const conv_job *j = arg;
    const a2a_fp16 *src = j->w->data;
    a2a_convert_f16_to_f32(src + i0, j->wf + i0, i1 - i0, a2a_kernel_level_get());
}

/* Copy a temporary C chunk ([Cout_g][mc]) into dst for output channels [i0, i1) of the group,
   adding the bias. */
static void scatter_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const conv_job *j = arg;
    const a2a_conv_geom *g = j->g;
    const a2a_tensor *d = j->dst;
    const int64_t cout_g = g->cout / g->groups, Wo = g->out[0], Ho = g->out[1];
    for (int64_t cg = i0; cg < i1; cg++) {
        const int64_t co = j->grp * cout_g + cg;
        const float bias = j->b ? a2a_conv_load(j->b->type, (const char *)j->b->data + (size_t)co * j->b->nb[0]) : 0.0f;
        const float *src = j->cbuf + (size_t)cg * (size_t)j->mc;
        for (int64_t q = 0; q < j->mc; q++) {
            const int64_t m = j->m0 + q;
            const int64_t ow = m % Wo, oh = (m / Wo) % Ho, ot = m / (Wo * Ho);
            float *o = (float *)((char *)d->data + (size_t)ow * d->nb[0] + (size_t)oh * d->nb[1] + (size_t)ot * d->nb[2] +
                                 (size_t)co * d->nb[3] + (size_t)j->n * d->nb[4]);
            *o = src[q] + bias;
        }
    }
}


/* Run a validated convolution on 5-D views. */
static a2a_status conv_engine(a2a_ctx *ctx, a2a_threadpool *tp, const char *op, const a2a_conv_geom *g,
                              a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b) {
    conv_job j = {.g = g, .dst = dst, .x = x, .w = w, .b = b};
    const int64_t cin_g = g->cin / g->groups, cout_g = g->cout / g->groups;
    if (g->groups > 1 && cin_g < CONV_DIRECT_MAX_CIN_G) {
        a2a_parallel_for(tp, g->cout, 1, direct_task, &j);
        return A2A_OK;
    }
    const int64_t K = g->k[0] * g->k[1] * g->k[2] * cin_g;
    const int64_t M = g->out[0] * g->out[1] * g->out[2];
    j.K = K;
    /* chunk of output positions: at least 64 (or all), at most the column budget */
    int64_t mc = (int64_t)(CONV_COLS_BUDGET / (size_t)K);
    if (mc < 64) mc = 64;
    if (mc > M) mc = M;
    /* direct output into dst when each output plane is packed: C = dst plane + m0, ldc = channel stride */
    const bool direct_out = dst->nb[0] == sizeof(float) && dst->nb[1] == (size_t)g->out[0] * sizeof(float) &&
                            dst->nb[2] == (size_t)(g->out[0] * g->out[1]) * sizeof(float) &&
                            dst->nb[3] % sizeof(float) == 0 && dst->nb[3] >= (size_t)M * sizeof(float);
    /* pointwise convolution over packed input planes needs no column buffer */
    const bool pointwise = g->k[0] == 1 && g->k[1] == 1 && g->k[2] == 1 && g->stride[0] == 1 && g->stride[1] == 1 &&
                           g->stride[2] == 1 && g->pad[0] == 0 && g->pad[1] == 0 && g->pad[2] == 0 &&
                           x->nb[0] == sizeof(float) && x->nb[1] == (size_t)g->in[0] * sizeof(float) &&
                           x->nb[2] == (size_t)(g->in[0] * g->in[1]) * sizeof(float) && x->nb[3] % sizeof(float) == 0 &&
                           x->nb[3] >= (size_t)M * sizeof(float);
    if (pointwise) { /* chunking only bounds the temporary output, if any */
        mc = direct_out ? M : A2A_MAX((int64_t)64, (int64_t)(CONV_COLS_BUDGET / (size_t)cout_g));
        if (mc > M) mc = M;
    }
    size_t n_cols, n_w = w->type == A2A_TYPE_F16 ? (size_t)(K * g->cout) : 0, n_c = 0, total;
    if (!a2a_mul_ok((size_t)K, pointwise ? 0 : (size_t)mc, &n_cols))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: column buffer overflows", op);
    if (!direct_out && !a2a_mul_ok((size_t)cout_g, (size_t)mc, &n_c))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: output buffer overflows", op);
    if (!a2a_add_ok(n_cols, n_w, &total) || !a2a_add_ok(total, n_c, &total) || !a2a_mul_ok(total, sizeof(float), &total))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: scratch size overflows", op);
    float *buf = a2a_scratch(CONV_SCRATCH_SLOT, total);
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: cannot allocate %zu bytes of scratch", op, total);
    j.cols = buf;
    j.cbuf = buf + n_cols;
    const float *wf = w->data;
    if (n_w) {
        j.wf = buf + n_cols + n_c;
        a2a_parallel_for(tp, (int64_t)n_w, 4096, wconv_task, &j);
        wf = j.wf;
    }
    for (int64_t n = 0; n < g->n; n++) {
        for (int64_t grp = 0; grp < g->groups; grp++) {
            const float *wg = wf + (size_t)(grp * cout_g) * (size_t)K;
            for (int64_t m0 = 0; m0 < M; m0 += mc) {
                j.n = n, j.grp = grp, j.m0 = m0, j.mc = A2A_MIN(mc, M - m0);
                const float *B = j.cols;
                int64_t ldb = j.mc;
                if (pointwise) { /* 1x1, stride 1, no padding: the input planes are the columns */
                    B = (const float *)((const char *)x->data + (size_t)(grp * cin_g) * x->nb[3] + (size_t)n * x->nb[4]) + m0;
                    ldb = (int64_t)(x->nb[3] / sizeof(float));
                } else {
                    a2a_parallel_for(tp, K, 8, im2col_task, &j);
                }
                float *C;
                int64_t ldc;
                float beta = 0.0f;
                if (direct_out) {
                    C = (float *)((char *)dst->data + (size_t)(grp * cout_g) * dst->nb[3] + (size_t)n * dst->nb[4]) + m0;
                    ldc = (int64_t)(dst->nb[3] / sizeof(float));
                    if (b) { /* C starts as the bias, accumulated with beta = 1 */
                        for (int64_t cg = 0; cg < cout_g; cg++) {
                            const float bias = a2a_conv_load(b->type, (const char *)b->data + (size_t)(grp * cout_g + cg) * b->nb[0]);
                            float *row = C + cg * ldc;
                            for (int64_t q = 0; q < j.mc; q++) row[q] = bias;
                        }
                        beta = 1.0f;
                    }
                } else {
                    C = j.cbuf;
                    ldc = j.mc;
                }
                a2a_status st = a2a_sgemm(ctx, tp, false, cout_g, j.mc, K, 1.0f, wg, K, B, ldb, beta, C, ldc);
                if (st != A2A_OK) {
                    a2a_error_prefix(ctx, "%s", op);
                    return st;
                }
                if (!direct_out) a2a_parallel_for(tp, cout_g, 1, scatter_task, &j);
            }
        }
    }
    return A2A_OK;
}


/* Fill geometry and check dst for a validated set of 5-D views; op names the caller. */
static a2a_status conv_setup(a2a_ctx *ctx, const char *op, a2a_conv_geom *g, const a2a_tensor *x5, const a2a_tensor *w5,
                             const a2a_tensor *d5, const int stride[3], const int pad[3], const int dil[3], int groups) {
    memset(g, 0, sizeof(*g));
    if (groups < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: groups %d < 1", op, groups);
    g->cin = x5->ne[3], g->cout = w5->ne[4], g->n = x5->ne[4], g->groups = groups;
    for (int i = 0; i < 3; i++) {
        if (stride[i] < 1 || dil[i] < 1 || pad[i] < 0)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: bad stride %d / padding %d / dilation %d", op, stride[i], pad[i], dil[i]);
        g->in[i] = x5->ne[i], g->k[i] = w5->ne[i], g->stride[i] = stride[i], g->pad[i] = pad[i], g->dil[i] = dil[i];
        g->out[i] = a2a_conv_out_size(g->in[i], g->k[i], stride[i], pad[i], dil[i]);
        if (g->out[i] < 1)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: kernel %lld (dilation %d) larger than padded input %lld + 2*%d", op,
                            (long long)g->k[i], dil[i], (long long)g->in[i], pad[i]);
    }
    if (g->cin % groups || g->cout % groups)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: groups %d must divide Cin %lld and Cout %lld", op, groups,
                        (long long)g->cin, (long long)g->cout);
    if (w5->ne[3] != g->cin / groups)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: weight has %lld input channels, expected Cin/groups = %lld", op,
                        (long long)w5->ne[3], (long long)(g->cin / groups));
    const int64_t want[5] = {g->out[0], g->out[1], g->out[2], g->cout, g->n};
    for (int i = 0; i < 5; i++)
        if (d5->ne[i] != want[i])
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst dim %d is %lld, expected %lld", op, i, (long long)d5->ne[i],
                            (long long)want[i]);
    size_t kk;
    if (!a2a_mul_ok((size_t)g->k[0], (size_t)g->k[1], &kk) || !a2a_mul_ok(kk, (size_t)g->k[2], &kk) ||
        !a2a_mul_ok(kk, (size_t)(g->cin / groups), &kk) || kk > (size_t)INT32_MAX)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: kernel too large", op);
    return A2A_OK;
}

a2a_status a2a_op_conv1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, int stride, int padding, int dilation, int groups) {
    static const char op[] = "conv1d";
    a2a_status st = check_tensors(ctx, op, dst, x, w, b, 3);
    if (st != A2A_OK) return st;
    const int map[5] = {0, -1, -1, 1, 2};
    a2a_tensor x5 = view5(x, map), w5 = view5(w, map), d5 = view5(dst, map);
    const int s[3] = {stride, 1, 1}, p[3] = {padding, 0, 0}, dl[3] = {dilation, 1, 1};
    a2a_conv_geom g;
    if ((st = conv_setup(ctx, op, &g, &x5, &w5, &d5, s, p, dl, groups)) != A2A_OK) return st;
    return conv_engine(ctx, tp, op, &g, &d5, &x5, &w5, b);
}

a2a_status a2a_op_conv2d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, const a2a_conv2d_params *params) {
    static const char op[] = "conv2d";
    const a2a_conv2d_params pr = params ? *params : A2A_CONV2D_PARAMS_DEFAULT;
    a2a_status st = check_tensors(ctx, op, dst, x, w, b, 4);
    if (st != A2A_OK) return st;
    const int map[5] = {0, 1, -1, 2, 3};
    a2a_tensor x5 = view5(x, map), w5 = view5(w, map), d5 = view5(dst, map);
    const int s[3] = {pr.stride_w, pr.stride_h, 1}, p[3] = {pr.pad_w, pr.pad_h, 0}, dl[3] = {pr.dil_w, pr.dil_h, 1};
    a2a_conv_geom g;
    if ((st = conv_setup(ctx, op, &g, &x5, &w5, &d5, s, p, dl, pr.groups)) != A2A_OK) return st;
    return conv_engine(ctx, tp, op, &g, &d5, &x5, &w5, b);
}

a2a_status a2a_op_conv3d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w,
                         const a2a_tensor *b, const a2a_conv3d_params *params) {
    static const char op[] = "conv3d";
    const a2a_conv3d_params pr = params ? *params : A2A_CONV3D_PARAMS_DEFAULT;
    a2a_status st = check_tensors(ctx, op, dst, x, w, b, 5);
    if (st != A2A_OK) return st;
    const int map[5] = {0, 1, 2, 3, 4};
    a2a_tensor x5 = view5(x, map), w5 = view5(w, map), d5 = view5(dst, map);
    const int s[3] = {pr.stride_w, pr.stride_h, pr.stride_t}, p[3] = {pr.pad_w, pr.pad_h, pr.pad_t};
    const int dl[3] = {pr.dil_w, pr.dil_h, pr.dil_t};
    a2a_conv_geom g;
    if ((st = conv_setup(ctx, op, &g, &x5, &w5, &d5, s, p, dl, 1)) != A2A_OK) return st;
    return conv_engine(ctx, tp, op, &g, &d5, &x5, &w5, b);
}

/* ---- transposed conv1d: cols[l][co*K + k] = sum_ci x[l][ci] w[ci][co][k] (SGEMM on the
   weight as stored: PyTorch's [Cin, Cout/groups, K] is row-major [Cin][Cout_g*K]), then
   dst[l*stride - pad + k*dil][co] += cols[l][co*K + k] (col2im, parallel over channels) ---- */

typedef struct convt_job {
    a2a_tensor *dst;
    const a2a_tensor *x, *w, *b;
    int stride, pad, dil;
    int64_t K, cin_g, cout_g, grp, n, l0, lc;
    float *wt;   /* F32 copy of an F16 weight ([Cin][Cout_g*K] row-major, as stored) */
    float *xt;   /* [lc][Cin_g]: the chunk's input, positions major */
    float *cols; /* [lc][Cout_g*K] */
} convt_job;

/* Convert F16 weight elements [i0, i1) to F32 (the weight is [Cin][Cout_g*K] row-major). */
static void convt_wconv_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const convt_job *j = arg;
    a2a_convert_f16_to_f32((const a2a_fp16 *)j->w->data + i0, j->wt + i0, i1 - i0, a2a_kernel_level_get());
}

/* Transpose the chunk's input channels [i0, i1) of the group into xt[l][ci]. */
static void convt_xpack_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const convt_job *j = arg;
    const a2a_tensor *x = j->x;
    for (int64_t ci = i0; ci < i1; ci++) {
        const char *src = (const char *)x->data + (size_t)(j->grp * j->cin_g + ci) * x->nb[1] + (size_t)j->n * x->nb[2];
        for (int64_t q = 0; q < j->lc; q++)
            j->xt[(size_t)q * (size_t)j->cin_g + (size_t)ci] = *(const float *)(src + (size_t)(j->l0 + q) * x->nb[0]);
    }
}

/* Set dst channels [i0, i1) of the group (all positions of batch n) to their bias. */
static void convt_init_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const convt_job *j = arg;
    const a2a_tensor *d = j->dst;
    for (int64_t cg = i0; cg < i1; cg++) {
        const int64_t co = j->grp * j->cout_g + cg;
        const float bias = j->b ? a2a_conv_load(j->b->type, (const char *)j->b->data + (size_t)co * j->b->nb[0]) : 0.0f;
        char *row = (char *)d->data + (size_t)co * d->nb[1] + (size_t)j->n * d->nb[2];
        for (int64_t lo = 0; lo < d->ne[0]; lo++) *(float *)(row + (size_t)lo * d->nb[0]) = bias;
    }
}

/* col2im for the group's output channels [i0, i1) over the chunk's input positions. */
static void convt_col2im_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    const convt_job *j = arg;
    const a2a_tensor *d = j->dst;
    const int64_t lout = d->ne[0], ncol = j->cout_g * j->K;
    for (int64_t cg = i0; cg < i1; cg++) {
        char *row = (char *)d->data + (size_t)(j->grp * j->cout_g + cg) * d->nb[1] + (size_t)j->n * d->nb[2];
        for (int64_t q = 0; q < j->lc; q++) {
            const float *c = j->cols + (size_t)q * (size_t)ncol + (size_t)(cg * j->K);
            const int64_t base = (j->l0 + q) * j->stride - j->pad;
            for (int64_t k = 0; k < j->K; k++) {
                const int64_t lo = base + k * j->dil;
                if (lo >= 0 && lo < lout) *(float *)(row + (size_t)lo * d->nb[0]) += c[k];
            }
        }
    }
}

a2a_status a2a_op_conv_transpose1d(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x,
                                   const a2a_tensor *w, const a2a_tensor *b, int stride, int padding,
                                   int output_padding, int dilation, int groups) {
    static const char op[] = "conv_transpose1d";
    a2a_status st = check_tensors(ctx, op, dst, x, w, b, 3);
    if (st != A2A_OK) return st;
    if (groups < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: groups %d < 1", op, groups);
    const int64_t L = x->ne[0], cin = x->ne[1], N = x->ne[2], K = w->ne[0], cout_g = w->ne[1];
    if (cin % groups) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: groups %d must divide Cin %lld", op, groups, (long long)cin);
    if (w->ne[2] != cin)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: weight [%lld, %lld, %lld] needs Cin = %lld in dim 2", op, (long long)K,
                        (long long)cout_g, (long long)w->ne[2], (long long)cin);
    const int64_t lout = a2a_conv_transpose_out_size(L, K, stride, padding, dilation, output_padding);
    if (lout < 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "%s: invalid parameters (L %lld, K %lld, stride %d, padding %d, dilation %d, output_padding %d)",
                        op, (long long)L, (long long)K, stride, padding, dilation, output_padding);
    if (dst->ne[0] != lout || dst->ne[1] != cout_g * groups || dst->ne[2] != N)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst is [%lld, %lld, %lld], expected [%lld, %lld, %lld]", op,
                        (long long)dst->ne[0], (long long)dst->ne[1], (long long)dst->ne[2], (long long)lout,
                        (long long)(cout_g * groups), (long long)N);
    convt_job j = {.dst = dst, .x = x, .w = w, .b = b, .stride = stride, .pad = padding, .dil = dilation, .K = K,
                   .cin_g = cin / groups, .cout_g = cout_g};
    const int64_t ncol = cout_g * K;
    /* chunk of input positions bounded by the column budget */
    int64_t lc = (int64_t)(CONV_COLS_BUDGET / (size_t)(ncol + j.cin_g));
    if (lc < 16) lc = 16;
    if (lc > L) lc = L;
    size_t n_wt = 0, n_x, n_c, total;
    if ((w->type == A2A_TYPE_F16 && !a2a_mul_ok((size_t)ncol, (size_t)cin, &n_wt)) ||
        !a2a_mul_ok((size_t)lc, (size_t)j.cin_g, &n_x) || !a2a_mul_ok((size_t)lc, (size_t)ncol, &n_c) ||
        !a2a_add_ok(n_wt, n_x, &total) || !a2a_add_ok(total, n_c, &total) || !a2a_mul_ok(total, sizeof(float), &total))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: scratch size overflows", op);
    float *buf = a2a_scratch(CONV_SCRATCH_SLOT, total);
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: cannot allocate %zu bytes of scratch", op, total);
    j.wt = buf, j.xt = buf + n_wt, j.cols = buf + n_wt + n_x;
    const float *wf = w->data;
    if (n_wt) {
        a2a_parallel_for(tp, (int64_t)n_wt, 4096, convt_wconv_task, &j);
        wf = j.wt;
    }
    for (int64_t grp = 0; grp < groups; grp++) {
        j.grp = grp;
        const float *wg = wf + (size_t)(grp * j.cin_g) * (size_t)ncol;
        for (int64_t n = 0; n < N; n++) {
            j.n = n;
            a2a_parallel_for(tp, cout_g, 1, convt_init_task, &j);
            for (int64_t l0 = 0; l0 < L; l0 += lc) {
                j.l0 = l0, j.lc = A2A_MIN(lc, L - l0);
                a2a_parallel_for(tp, j.cin_g, 4, convt_xpack_task, &j);
                st = a2a_sgemm(ctx, tp, false, j.lc, ncol, j.cin_g, 1.0f, j.xt, j.cin_g, wg, ncol, 0.0f, j.cols, ncol);
                if (st != A2A_OK) {
                    a2a_error_prefix(ctx, "%s", op);
                    return st;
                }
                a2a_parallel_for(tp, cout_g, 1, convt_col2im_task, &j);
            }
        }
    }
    return A2A_OK;
}
