/* transformers SpeechT5HifiGan: loader, forward, converter. See hifigan.h. */
#include "models/vocoder/hifigan.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/tensor.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/hf_folder.h"
#include "io/gguf_meta.h"
#include "io/json.h"
#include "io/weights.h"
#include "kernels/conv.h"
#include "models/common/nn.h"

#define HG_ARCH "hifigan"
#define HG_MAX_CH 65536
#define HG_MAX_K 1024    /* largest kernel size / rate / dilation accepted */
#define HG_MAX_BLOCKS (A2A_HIFIGAN_MAX_UP * A2A_HIFIGAN_MAX_KERNELS)
#define HG_POST_SLOPE 0.01f /* F.leaky_relu's default, used before conv_post */

/* One HifiGanResidualBlock: n_dil pairs of convs at channel width C. */
typedef struct hg_resblock {
    int k, n_dil;
    int dil[A2A_HIFIGAN_MAX_DIL];
    const a2a_tensor *c1_w[A2A_HIFIGAN_MAX_DIL]; /* convs1.m.weight [k, C, C] F32/F16 */
    const a2a_tensor *c1_b[A2A_HIFIGAN_MAX_DIL]; /* convs1.m.bias [C] */
    const a2a_tensor *c2_w[A2A_HIFIGAN_MAX_DIL]; /* convs2.m.weight [k, C, C] */
    const a2a_tensor *c2_b[A2A_HIFIGAN_MAX_DIL]; /* convs2.m.bias [C] */
} hg_resblock;

struct a2a_hifigan {
    a2a_hifigan_config cfg;
    a2a_gguf *own;                                /* the file when a2a_hifigan_load opened it */
    const a2a_tensor *mean, *scale;               /* [model_in_dim] F32 (NULL unless normalize_before) */
    const a2a_tensor *pre_w, *pre_b;              /* conv_pre [7, model_in_dim, C0], [C0] */
    const a2a_tensor *up_w[A2A_HIFIGAN_MAX_UP];   /* upsampler.i.weight [k_i, C_{i+1}, C_i] */
    const a2a_tensor *up_b[A2A_HIFIGAN_MAX_UP];   /* upsampler.i.bias [C_{i+1}] */
    hg_resblock rb[HG_MAX_BLOCKS];                /* resblocks.(i*n_kernels + j) at width C_{i+1} */
    const a2a_tensor *post_w, *post_b;            /* conv_post [7, C_n, 1], [1] */
};

/* ======================================================================== config */

/* Consistency of a configuration (shared by the loader and the converter). */
static a2a_status check_config(a2a_ctx *ctx, const a2a_hifigan_config *c) {
    if (c->model_in_dim < 1 || c->model_in_dim > HG_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: model_in_dim %d out of range", c->model_in_dim);
    if (c->n_up < 1 || c->n_up > A2A_HIFIGAN_MAX_UP)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: %d upsample stages (1..%d supported)", c->n_up,
                        A2A_HIFIGAN_MAX_UP);
    if (c->upsample_initial_channel < 1 || c->upsample_initial_channel > HG_MAX_CH ||
        (c->upsample_initial_channel >> c->n_up) < 1)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: upsample_initial_channel %d too small for %d stages",
                        c->upsample_initial_channel, c->n_up);
    for (int i = 0; i < c->n_up; i++) {
        const int u = c->upsample_rates[i], k = c->upsample_kernel_sizes[i];
        if (u < 1 || u > HG_MAX_K || k < 1 || k > HG_MAX_K || k < u)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: upsample stage %d has rate %d and kernel %d (need 1 <= rate <= kernel <= %d)",
                            i, u, k, HG_MAX_K);
    }
    if (c->n_kernels < 1 || c->n_kernels > A2A_HIFIGAN_MAX_KERNELS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: %d resblock kernels (1..%d supported)", c->n_kernels,
                        A2A_HIFIGAN_MAX_KERNELS);
    for (int j = 0; j < c->n_kernels; j++) {
        const int k = c->resblock_kernel_sizes[j];
        if (k < 1 || k > HG_MAX_K || k % 2 == 0)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "hifigan: resblock kernel %d = %d (odd, <= %d supported)", j, k,
                            HG_MAX_K);
        if (c->n_dil[j] < 1 || c->n_dil[j] > A2A_HIFIGAN_MAX_DIL)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: resblock %d has %d dilations (1..%d supported)", j,
                            c->n_dil[j], A2A_HIFIGAN_MAX_DIL);
        for (int m = 0; m < c->n_dil[j]; m++)
            if (c->resblock_dilation_sizes[j][m] < 1 || c->resblock_dilation_sizes[j][m] > HG_MAX_K)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: resblock %d dilation %d = %d out of range", j, m,
                                c->resblock_dilation_sizes[j][m]);
    }
    if (!isfinite(c->leaky_relu_slope))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: leaky_relu_slope is not finite");
    return A2A_OK;
}

static a2a_status load_config(a2a_ctx *ctx, const a2a_gguf *g, a2a_hifigan_config *c) {
    memset(c, 0, sizeof *c);
    int nk = 0, nu = 0, nd = 0, nc = 0;
    int flat[A2A_HIFIGAN_MAX_KERNELS * A2A_HIFIGAN_MAX_DIL];
    const a2a_meta m = {ctx, g, HG_ARCH, "hifigan"};
    a2a_status st;
    if ((st = a2a_meta_u32(&m, "model_in_dim", true, 0, 0, HG_MAX_CH * 16, &c->model_in_dim)) ||
        (st = a2a_meta_u32(&m, "sampling_rate", false, 16000, 0, HG_MAX_CH * 16, &c->sampling_rate)) ||
        (st = a2a_meta_u32(&m, "upsample_initial_channel", true, 0, 0, HG_MAX_CH * 16, &c->upsample_initial_channel)) ||
        (st = a2a_meta_ints(&m, "upsample_rates", -1, A2A_HIFIGAN_MAX_UP, c->upsample_rates, &c->n_up)) ||
        (st = a2a_meta_ints(&m, "upsample_kernel_sizes", -1, A2A_HIFIGAN_MAX_UP, c->upsample_kernel_sizes, &nu)) ||
        (st = a2a_meta_ints(&m, "resblock_kernel_sizes", -1, A2A_HIFIGAN_MAX_KERNELS, c->resblock_kernel_sizes, &nk)) ||
        (st = a2a_meta_ints(&m, "resblock_dilation_counts", -1, A2A_HIFIGAN_MAX_KERNELS, c->n_dil, &nc)) ||
        (st = a2a_meta_ints(&m, "resblock_dilation_sizes", -1, A2A_HIFIGAN_MAX_KERNELS * A2A_HIFIGAN_MAX_DIL, flat,
                            &nd)))
        return st;
    if (nu != c->n_up)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: %d upsample rates but %d kernel sizes", c->n_up, nu);
    if (nc != nk)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: %d resblock kernels but %d dilation rows", nk, nc);
    c->n_kernels = nk;
    int off = 0;
    for (int j = 0; j < nk; j++) {
        if (c->n_dil[j] < 1 || c->n_dil[j] > A2A_HIFIGAN_MAX_DIL || off + c->n_dil[j] > nd)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: resblock_dilation_counts inconsistent with %d dilations", nd);
        for (int m = 0; m < c->n_dil[j]; m++) c->resblock_dilation_sizes[j][m] = flat[off + m];
        off += c->n_dil[j];
    }
    if (off != nd) return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan: %d dilations but the counts sum to %d", nd, off);
    st = a2a_gguf_get_f32(ctx, g, HG_ARCH ".leaky_relu_slope", &c->leaky_relu_slope);
    if (st == A2A_ERR_NOT_FOUND) c->leaky_relu_slope = 0.1f;
    else if (st != A2A_OK) return st;
    if ((st = a2a_meta_bool(&m, "normalize_before", false, &c->normalize_before))) return st;
    return check_config(ctx, c);
}

/* ======================================================================== loading */

typedef struct loader {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix;
    a2a_status st;
} loader;

/* Tensor prefix + printf(fmt, ...) of shape ne (n dims), F32 (f32_only) or F32/F16. */
static const a2a_tensor *ld(loader *l, bool f32_only, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static const a2a_tensor *ld(loader *l, bool f32_only, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[512];
    int pl = snprintf(name, sizeof name, "%s", l->prefix);
    if (pl < 0 || pl >= 256) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "hifigan: tensor prefix too long");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + pl, sizeof name - (size_t)pl, fmt, ap);
    va_end(ap);
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, n, ne, true);
    if (!t) {
        l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    if (!(t->type == A2A_TYPE_F32 || (!f32_only && t->type == A2A_TYPE_F16))) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected %s", name, a2a_type_name(t->type),
                         f32_only ? "F32" : "F32 or F16");
        return NULL;
    }
    return t;
}

static int64_t stage_ch(const a2a_hifigan_config *c, int i) { return (int64_t)(c->upsample_initial_channel >> i); }

a2a_status a2a_hifigan_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_hifigan **out) {
    *out = NULL;
    a2a_hifigan *v = calloc(1, sizeof *v);
    if (!v) return a2a_fail(ctx, A2A_ERR_NOMEM, "hifigan: out of memory");
    a2a_status st = load_config(ctx, g, &v->cfg);
    if (st != A2A_OK) {
        free(v);
        return st;
    }
    const a2a_hifigan_config *c = &v->cfg;
    loader l = {ctx, g, prefix ? prefix : "", A2A_OK};
    const int64_t D = c->model_in_dim, C0 = c->upsample_initial_channel, Cn = stage_ch(c, c->n_up);
    if (c->normalize_before) {
        v->mean = ld(&l, true, 1, (int64_t[1]){D}, "mean");
        v->scale = ld(&l, true, 1, (int64_t[1]){D}, "scale");
    }
    v->pre_w = ld(&l, false, 3, (int64_t[3]){7, D, C0}, "conv_pre.weight");
    v->pre_b = ld(&l, false, 1, (int64_t[1]){C0}, "conv_pre.bias");
    for (int i = 0; i < c->n_up; i++) {
        const int64_t ci = stage_ch(c, i), co = stage_ch(c, i + 1);
        v->up_w[i] = ld(&l, false, 3, (int64_t[3]){c->upsample_kernel_sizes[i], co, ci}, "upsampler.%d.weight", i);
        v->up_b[i] = ld(&l, false, 1, (int64_t[1]){co}, "upsampler.%d.bias", i);
        for (int j = 0; j < c->n_kernels; j++) {
            const int r = i * c->n_kernels + j;
            hg_resblock *rb = &v->rb[r];
            rb->k = c->resblock_kernel_sizes[j];
            rb->n_dil = c->n_dil[j];
            const int64_t wne[3] = {rb->k, co, co}, bne[1] = {co};
            for (int m = 0; m < rb->n_dil; m++) {
                rb->dil[m] = c->resblock_dilation_sizes[j][m];
                rb->c1_w[m] = ld(&l, false, 3, wne, "resblocks.%d.convs1.%d.weight", r, m);
                rb->c1_b[m] = ld(&l, false, 1, bne, "resblocks.%d.convs1.%d.bias", r, m);
                rb->c2_w[m] = ld(&l, false, 3, wne, "resblocks.%d.convs2.%d.weight", r, m);
                rb->c2_b[m] = ld(&l, false, 1, bne, "resblocks.%d.convs2.%d.bias", r, m);
            }
        }
    }
    v->post_w = ld(&l, false, 3, (int64_t[3]){7, Cn, 1}, "conv_post.weight");
    v->post_b = ld(&l, false, 1, (int64_t[1]){1}, "conv_post.bias");
    if (l.st != A2A_OK) {
        a2a_error_prefix(ctx, "hifigan");
        free(v);
        return l.st;
    }
    *out = v;
    return A2A_OK;
}

a2a_status a2a_hifigan_load(a2a_ctx *ctx, const char *path, a2a_hifigan **out) {
    *out = NULL;
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st != A2A_OK) return st;
    st = a2a_hifigan_load_gguf(ctx, g, NULL, out);
    if (st != A2A_OK) {
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_hifigan_free(a2a_hifigan *v) {
    if (!v) return;
    a2a_gguf_close(v->own);
    free(v);
}

const a2a_hifigan_config *a2a_hifigan_get_config(const a2a_hifigan *v) { return &v->cfg; }
int a2a_hifigan_sample_rate(const a2a_hifigan *v) { return v->cfg.sampling_rate; }

/* ======================================================================== forward */

/* Length after upsample stage i from length L (-1 on overflow/invalid). */
static int64_t up_len(const a2a_hifigan_config *c, int i, int64_t L) {
    const int u = c->upsample_rates[i], k = c->upsample_kernel_sizes[i];
    return a2a_conv_transpose_out_size(L, k, u, (k - u) / 2, 1, 0);
}

/* Largest (length x channels) plane of any stage for n_frames frames, and the output length. */
static bool plan(const a2a_hifigan_config *c, int64_t n_frames, int64_t *max_elems, int64_t *n_out) {
    if (n_frames < 1 || n_frames > A2A_HIFIGAN_MAX_FRAMES) return false;
    int64_t L = n_frames;
    int64_t mx = L * A2A_MAX(c->model_in_dim, c->upsample_initial_channel);
    for (int i = 0; i < c->n_up; i++) {
        L = up_len(c, i, L);
        if (L < 1 || L > ((int64_t)1 << 40)) return false;
        const int64_t e = L * stage_ch(c, i + 1);
        if (e > ((int64_t)1 << 42)) return false;
        if (e > mx) mx = e;
    }
    *max_elems = mx;
    *n_out = L;
    return true;
}

int64_t a2a_hifigan_n_samples(const a2a_hifigan *v, int64_t n_frames) {
    int64_t mx, n;
    return plan(&v->cfg, n_frames, &mx, &n) ? n : 0;
}

#define HG_SLOTS 5
static size_t slot_bytes(int64_t max_elems) {
    size_t b = (size_t)max_elems * sizeof(float);
    return (b + A2A_ARENA_ALIGN - 1) / A2A_ARENA_ALIGN * A2A_ARENA_ALIGN;
}

size_t a2a_hifigan_forward_bytes(const a2a_hifigan *v, int64_t n_frames) {
    int64_t mx, n;
    if (!plan(&v->cfg, n_frames, &mx, &n)) return 0;
    return HG_SLOTS * slot_bytes(mx);
}

/* ---- elementwise helpers over contiguous floats, split over the pool ---- */
typedef struct ew_job {
    float *dst;
    const float *a;
    float s;
    int kind; /* 0: dst = lrelu(a, s)  1: dst += a  2: dst *= s  3: dst = tanh(dst) */
} ew_job;

static void ew_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    (void)ith, (void)nth;
    const ew_job *j = arg;
    float *d = j->dst;
    const float *a = j->a;
    const float s = j->s;
    switch (j->kind) {
    case 0:
        for (int64_t i = i0; i < i1; i++) d[i] = a[i] >= 0.0f ? a[i] : a[i] * s;
        break;
    case 1:
        for (int64_t i = i0; i < i1; i++) d[i] += a[i];
        break;
    case 2:
        for (int64_t i = i0; i < i1; i++) d[i] *= s;
        break;
    default:
        for (int64_t i = i0; i < i1; i++) d[i] = tanhf(d[i]);
        break;
    }
}

static void ew(a2a_threadpool *tp, int kind, float *dst, const float *a, float s, int64_t n) {
    ew_job j = {dst, a, s, kind};
    a2a_parallel_for(tp, n, 16384, ew_task, &j);
}

/* A [L, C, 1] F32 tensor over p. */
static a2a_tensor plane(float *p, int64_t L, int64_t C) {
    a2a_tensor t;
    a2a_tensor_init(&t, A2A_TYPE_F32, 3, (int64_t[3]){L, C, 1}, p);
    return t;
}

/* x <- resblock(x) in place, using scratch planes a and b (same size as x). */
static a2a_status resblock_fwd(a2a_ctx *ctx, a2a_threadpool *tp, const hg_resblock *rb, float slope, float *x, float *a,
                               float *b, int64_t L, int64_t C) {
    const int64_t n = L * C;
    a2a_tensor ta = plane(a, L, C), tb = plane(b, L, C);
    for (int m = 0; m < rb->n_dil; m++) {
        ew(tp, 0, a, x, slope, n);
        const int d = rb->dil[m];
        a2a_status st = a2a_op_conv1d(ctx, tp, &tb, &ta, rb->c1_w[m], rb->c1_b[m], 1, d * (rb->k - 1) / 2, d, 1);
        if (st != A2A_OK) return st;
        ew(tp, 0, b, b, slope, n);
        st = a2a_op_conv1d(ctx, tp, &ta, &tb, rb->c2_w[m], rb->c2_b[m], 1, (rb->k - 1) / 2, 1, 1);
        if (st != A2A_OK) return st;
        ew(tp, 1, x, a, 0.0f, n);
    }
    return A2A_OK;
}

a2a_status a2a_hifigan_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_hifigan *v, const float *mel,
                               int64_t n_frames, float *wave, int64_t *n_samples) {
    const a2a_hifigan_config *c = &v->cfg;
    if (n_samples) *n_samples = 0;
    if (!mel || !wave) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "hifigan: NULL mel or wave buffer");
    int64_t mx, n_out;
    if (!plan(c, n_frames, &mx, &n_out))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "hifigan: %lld frames (1..%d accepted)", (long long)n_frames,
                        A2A_HIFIGAN_MAX_FRAMES);
    const size_t sb = slot_bytes(mx);
    a2a_arena arena;
    a2a_status st = a2a_arena_init(ctx, &arena, HG_SLOTS * sb);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "hifigan: activations for %lld frames", (long long)n_frames);
        return st;
    }
    float *slot[HG_SLOTS];
    for (int i = 0; i < HG_SLOTS; i++) slot[i] = (float *)a2a_arena_alloc(&arena, sb);
    float *H = slot[0], *U = slot[1], *S = slot[2], *A = slot[3], *B = slot[4];

    /* x [L, D] (channel planes) from the frame-major mel, normalized when configured */
    const int64_t D = c->model_in_dim;
    int64_t L = n_frames;
    for (int64_t m = 0; m < D; m++) {
        float mu = 0.0f, sc = 1.0f;
        if (c->normalize_before) {
            mu = *(const float *)a2a_tensor_ptr(v->mean, m, 0, 0, 0, 0);
            sc = *(const float *)a2a_tensor_ptr(v->scale, m, 0, 0, 0, 0);
        }
        float *row = A + m * L;
        for (int64_t t = 0; t < L; t++) row[t] = c->normalize_before ? (mel[t * D + m] - mu) / sc : mel[t * D + m];
    }
    int64_t C = c->upsample_initial_channel;
    {
        a2a_tensor x = plane(A, L, D), h = plane(H, L, C);
        st = a2a_op_conv1d(ctx, tp, &h, &x, v->pre_w, v->pre_b, 1, 3, 1, 1);
    }
    for (int i = 0; i < c->n_up && st == A2A_OK; i++) {
        ew(tp, 0, H, H, c->leaky_relu_slope, L * C);
        const int u = c->upsample_rates[i], k = c->upsample_kernel_sizes[i];
        const int64_t L2 = up_len(c, i, L), C2 = stage_ch(c, i + 1);
        a2a_tensor h = plane(H, L, C), y = plane(U, L2, C2);
        st = a2a_op_conv_transpose1d(ctx, tp, &y, &h, v->up_w[i], v->up_b[i], u, (k - u) / 2, 0, 1, 1);
        L = L2, C = C2;
        const int64_t n = L * C;
        for (int j = 0; j < c->n_kernels && st == A2A_OK; j++) {
            float *dst = j == 0 ? H : S; /* the sum accumulates in H (free after the upsampler) */
            memcpy(dst, U, (size_t)n * sizeof(float));
            st = resblock_fwd(ctx, tp, &v->rb[i * c->n_kernels + j], c->leaky_relu_slope, dst, A, B, L, C);
            if (st == A2A_OK && j > 0) ew(tp, 1, H, S, 0.0f, n);
        }
        if (st == A2A_OK) ew(tp, 2, H, NULL, 1.0f / (float)c->n_kernels, n);
    }
    if (st == A2A_OK) {
        ew(tp, 0, H, H, HG_POST_SLOPE, L * C);
        a2a_tensor h = plane(H, L, C), y = plane(wave, L, 1);
        st = a2a_op_conv1d(ctx, tp, &y, &h, v->post_w, v->post_b, 1, 3, 1, 1);
        if (st == A2A_OK) ew(tp, 3, wave, NULL, 0.0f, L);
    }
    a2a_arena_free(&arena);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "hifigan");
        return st;
    }
    if (n_samples) *n_samples = n_out;
    return A2A_OK;
}

int64_t a2a_hifigan_hop_length(const a2a_hifigan *v) {
    int64_t h = 1;
    for (int i = 0; i < v->cfg.n_up; i++) h *= v->cfg.upsample_rates[i];
    return h;
}

a2a_status a2a_hifigan_decode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_hifigan *v, const a2a_tensor *mel,
                              a2a_tensor *wave) {
    const int64_t D = v->cfg.model_in_dim;
    char a[96], b[96];
    /* [D, T, 1, N] or [D, T, N] */
    const bool four = mel->n_dims >= 4 || mel->ne[3] > 1; /* else [D, T, N] (or [D, T]) */
    const int64_t T = mel->ne[1], N = four ? mel->ne[3] : mel->ne[2];
    if (mel->type != A2A_TYPE_F32 || mel->ne[0] != D || mel->ne[4] != 1 || (four && mel->ne[2] != 1) ||
        (!four && mel->ne[3] != 1))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "hifigan decode: mel %s %s, expected F32 [%lld, frames, 1, n]",
                        a2a_type_name(mel->type), a2a_tensor_shape_str(mel, a, sizeof a), (long long)D);
    const int64_t n_full = a2a_hifigan_n_samples(v, T);
    if (n_full == 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "hifigan decode: %lld frames (1..%d accepted)", (long long)T,
                        A2A_HIFIGAN_MAX_FRAMES);
    if (wave->type != A2A_TYPE_F32 || wave->ne[0] < 1 || wave->ne[0] > n_full || wave->ne[1] != N ||
        wave->ne[2] != 1 || wave->ne[3] != 1 || wave->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "hifigan decode: wave %s for mel %s, expected F32 [1..%lld, %lld]",
                        a2a_tensor_shape_str(wave, a, sizeof a), a2a_tensor_shape_str(mel, b, sizeof b),
                        (long long)n_full, (long long)N);
    const size_t mel_n = (size_t)(D * T);
    float *buf = malloc(((size_t)n_full + mel_n) * sizeof(float));
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "hifigan decode: cannot allocate %lld samples", (long long)n_full);
    float *mbuf = buf + n_full;
    a2a_status st = A2A_OK;
    for (int64_t n = 0; n < N && st == A2A_OK; n++) {
        const size_t nb_item = four ? mel->nb[3] : mel->nb[2];
        const char *base = (const char *)mel->data + (size_t)n * nb_item;
        const float *src;
        if (mel->nb[0] == sizeof(float) && mel->nb[1] == (size_t)D * sizeof(float)) {
            src = (const float *)base; /* frame-major already */
        } else {
            for (int64_t t = 0; t < T; t++)
                for (int64_t m = 0; m < D; m++)
                    mbuf[t * D + m] = *(const float *)(base + (size_t)t * mel->nb[1] + (size_t)m * mel->nb[0]);
            src = mbuf;
        }
        st = a2a_hifigan_forward(ctx, tp, v, src, T, buf, NULL);
        for (int64_t i = 0; st == A2A_OK && i < wave->ne[0]; i++)
            *(float *)((char *)wave->data + (size_t)i * wave->nb[0] + (size_t)n * wave->nb[1]) = buf[i];
    }
    free(buf);
    return st;
}

/* ======================================================================== converter */

a2a_hifigan_convert_params a2a_hifigan_convert_default_params(void) {
    a2a_hifigan_convert_params p = {A2A_TYPE_F16, NULL, NULL, NULL};
    return p;
}

/* An integer list from JSON into out (entries outside [lo, hi] become -1); count or -1. */
static int json_list(const a2a_json_value *v, int *out, int cap) {
    int64_t tmp[64];
    if (!a2a_json_is_array(v) || a2a_json_len(v) > (size_t)cap || a2a_json_len(v) > 64) return -1;
    int64_t n = a2a_json_ints(v, tmp, 64);
    if (n < 0 || n != (int64_t)a2a_json_len(v)) return -1;
    for (int64_t i = 0; i < n; i++) out[i] = tmp[i] < 0 || tmp[i] > HG_MAX_CH ? -1 : (int)tmp[i];
    return (int)n;
}

/* config.json of a SpeechT5HifiGan (transformers' defaults for absent keys). */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_hifigan_config *c) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    if (!a2a_json_is_object(root)) {
        a2a_json_free(doc);
        return a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan convert: %s is not a JSON object", path);
    }
    const char *mt = a2a_json_str_or(a2a_json_get(root, "model_type"), "hifigan");
    if (strcmp(mt, "hifigan") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "hifigan convert: model_type '%s' (only hifigan = SpeechT5HifiGan)", mt);
        a2a_json_free(doc);
        return st;
    }
    int64_t v;
    v = a2a_json_int_or(a2a_json_get(root, "model_in_dim"), 80);
    c->model_in_dim = v < 1 || v > HG_MAX_CH ? -1 : (int)v;
    v = a2a_json_int_or(a2a_json_get(root, "sampling_rate"), 16000);
    c->sampling_rate = v < 1 || v > 10000000 ? -1 : (int)v;
    v = a2a_json_int_or(a2a_json_get(root, "upsample_initial_channel"), 512);
    c->upsample_initial_channel = v < 1 || v > HG_MAX_CH ? -1 : (int)v;
    c->leaky_relu_slope = (float)a2a_json_num_or(a2a_json_get(root, "leaky_relu_slope"), 0.1);
    c->normalize_before = a2a_json_bool_or(a2a_json_get(root, "normalize_before"), true);
    static const int def_rates[4] = {4, 4, 4, 4}, def_ks[4] = {8, 8, 8, 8}, def_rk[3] = {3, 7, 11};
    const a2a_json_value *jr = a2a_json_get(root, "upsample_rates"), *jk = a2a_json_get(root, "upsample_kernel_sizes"),
                         *jrk = a2a_json_get(root, "resblock_kernel_sizes"),
                         *jd = a2a_json_get(root, "resblock_dilation_sizes");
    int nu;
    if (jr) c->n_up = json_list(jr, c->upsample_rates, A2A_HIFIGAN_MAX_UP);
    else c->n_up = 4, memcpy(c->upsample_rates, def_rates, sizeof def_rates);
    if (jk) nu = json_list(jk, c->upsample_kernel_sizes, A2A_HIFIGAN_MAX_UP);
    else nu = 4, memcpy(c->upsample_kernel_sizes, def_ks, sizeof def_ks);
    if (jrk) c->n_kernels = json_list(jrk, c->resblock_kernel_sizes, A2A_HIFIGAN_MAX_KERNELS);
    else c->n_kernels = 3, memcpy(c->resblock_kernel_sizes, def_rk, sizeof def_rk);
    int nd;
    if (jd) {
        nd = a2a_json_is_array(jd) && a2a_json_len(jd) <= A2A_HIFIGAN_MAX_KERNELS ? (int)a2a_json_len(jd) : -1;
        for (int j = 0; j < nd; j++) {
            c->n_dil[j] = json_list(a2a_json_at(jd, (size_t)j), c->resblock_dilation_sizes[j], A2A_HIFIGAN_MAX_DIL);
            if (c->n_dil[j] < 1) nd = -1;
        }
    } else {
        nd = 3;
        for (int j = 0; j < 3; j++) {
            c->n_dil[j] = 3;
            c->resblock_dilation_sizes[j][0] = 1, c->resblock_dilation_sizes[j][1] = 3, c->resblock_dilation_sizes[j][2] = 5;
        }
    }
    if (c->n_up < 1 || nu != c->n_up)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan convert: upsample_rates (%d) and upsample_kernel_sizes (%d) must be equally long lists of 1..%d",
                      c->n_up, nu, A2A_HIFIGAN_MAX_UP);
    else if (c->n_kernels < 1 || nd != c->n_kernels)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan convert: resblock_kernel_sizes (%d) and resblock_dilation_sizes (%d) must be equally long lists of 1..%d",
                      c->n_kernels, nd, A2A_HIFIGAN_MAX_KERNELS);
    else if (c->sampling_rate < 1)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "hifigan convert: bad sampling_rate");
    else
        st = check_config(ctx, c);
    if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    a2a_json_free(doc);
    return st;
}

typedef struct conv_job {
    a2a_ctx *ctx;
    a2a_gguf_writer *w;
    const a2a_weights *wf;
    const char *prefix;
    a2a_hifigan_convert_params p;
    int64_t done, total;
} conv_job;

/* F32 copy (malloc'd, caller frees) of tensor t. */
static float *to_f32(conv_job *j, const a2a_tensor *t, a2a_status *st) {
    size_t bytes;
    if (!a2a_mul_ok((size_t)a2a_tensor_nelements(t), sizeof(float), &bytes)) bytes = SIZE_MAX;
    float *buf = bytes != SIZE_MAX ? malloc(bytes ? bytes : 1) : NULL;
    if (!buf) {
        *st = a2a_fail(j->ctx, A2A_ERR_NOMEM, "hifigan convert: cannot allocate %s", t->name);
        return NULL;
    }
    if (!(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16)) {
        free(buf);
        *st = a2a_fail(j->ctx, A2A_ERR_UNSUPPORTED, "hifigan convert: tensor %s has type %s (float types only)",
                       t->name, a2a_type_name(t->type));
        return NULL;
    }
    *st = a2a_convert_rows(j->ctx, j->p.tp, t, A2A_TYPE_F32, buf);
    if (*st != A2A_OK) {
        free(buf);
        return NULL;
    }
    return buf;
}

static bool shape_is(const a2a_tensor *t, int n, const int64_t *ne) {
    for (int d = 0; d < A2A_MAX_DIMS; d++)
        if (t->ne[d] != (d < n ? ne[d] : 1)) return false;
    return true;
}

/* weight = g * v / ||v||, the norm taken over every dim but the one g spans (torch's
   weight_norm(dim)); g with one element: the norm of the whole of v (dim=None). */
static a2a_status fold_weight_norm(conv_job *j, const a2a_tensor *g, const a2a_tensor *v, float *out) {
    int dim = -1;
    for (int d = 0; d < A2A_MAX_DIMS; d++) {
        if (g->ne[d] == 1) continue;
        if (g->ne[d] != v->ne[d] || dim >= 0) dim = -2;
        else dim = d;
    }
    const int64_t nel = a2a_tensor_nelements(v);
    if (dim == -2 || (dim == -1 && a2a_tensor_nelements(g) != 1))
        return a2a_fail(j->ctx, A2A_ERR_SHAPE, "hifigan convert: weight-norm magnitude %s does not match direction %s",
                        g->name, v->name);
    a2a_status st;
    float *gv = to_f32(j, g, &st), *vv = gv ? to_f32(j, v, &st) : NULL;
    if (!vv) {
        free(gv);
        return st;
    }
    int64_t inner = 1, ext = 1;
    if (dim >= 0) {
        for (int d = 0; d < dim; d++) inner *= v->ne[d];
        ext = v->ne[dim];
    } else {
        inner = nel;
    }
    double *nrm = calloc((size_t)ext, sizeof(double));
    if (!nrm) {
        free(gv), free(vv);
        return a2a_fail(j->ctx, A2A_ERR_NOMEM, "hifigan convert: out of memory");
    }
    for (int64_t i = 0; i < nel; i++) {
        const int64_t e = (i / inner) % ext;
        nrm[e] += (double)vv[i] * (double)vv[i];
    }
    for (int64_t i = 0; i < nel; i++) {
        const int64_t e = (i / inner) % ext;
        const double n = sqrt(nrm[e]);
        out[i] = (float)((double)vv[i] * ((double)gv[e] / (n > 0 ? n : 1e-30)));
    }
    free(nrm), free(gv), free(vv);
    return A2A_OK;
}

static const a2a_tensor *findf(const conv_job *j, const char *fmt, const char *base) {
    char name[512];
    snprintf(name, sizeof name, fmt, base);
    return a2a_weights_find(j->wf, name);
}

/* Add tensor `base` (+ ".weight"/".bias", or a 1-D buffer when is_buf) with torch shape
   reversed = ggml ne (n dims), folding weight norm when the checkpoint has it. */
static a2a_status add_param(conv_job *j, const char *name, int n, const int64_t *ne, bool is_weight) {
    a2a_ctx *ctx = j->ctx;
    char full[512], base[512];
    snprintf(full, sizeof full, "%s", name);
    snprintf(base, sizeof base, "%s", name);
    if (is_weight) base[strlen(base) - strlen(".weight")] = '\0';
    int64_t nel = 1;
    for (int d = 0; d < n; d++) nel *= ne[d];
    float *f = malloc((size_t)nel * sizeof(float));
    if (!f) return a2a_fail(ctx, A2A_ERR_NOMEM, "hifigan convert: out of memory for %s", name);
    a2a_status st = A2A_OK;
    const a2a_tensor *t = a2a_weights_find(j->wf, full), *g = NULL, *vv = NULL;
    if (!t && is_weight) {
        if ((g = findf(j, "%s.weight_g", base))) vv = findf(j, "%s.weight_v", base);
        else if ((g = findf(j, "%s.parametrizations.weight.original0", base)))
            vv = findf(j, "%s.parametrizations.weight.original1", base);
    }
    if (t) {
        if (!shape_is(t, n, ne)) {
            char a[96];
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "hifigan convert: tensor %s has shape %s, expected [%lld, %lld, %lld]",
                          name, a2a_tensor_shape_str(t, a, sizeof a), (long long)ne[0],
                          (long long)(n > 1 ? ne[1] : 1), (long long)(n > 2 ? ne[2] : 1));
        } else {
            float *c = to_f32(j, t, &st);
            if (c) memcpy(f, c, (size_t)nel * sizeof(float));
            free(c);
        }
    } else if (g && vv) {
        if (!shape_is(vv, n, ne)) {
            char a[96];
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "hifigan convert: tensor %s has shape %s, expected [%lld, %lld, %lld]",
                          vv->name, a2a_tensor_shape_str(vv, a, sizeof a), (long long)ne[0],
                          (long long)(n > 1 ? ne[1] : 1), (long long)(n > 2 ? ne[2] : 1));
        } else {
            st = fold_weight_norm(j, g, vv, f);
        }
    } else {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "hifigan convert: missing tensor %s%s", name,
                      is_weight ? " (nor its weight-norm parts)" : "");
    }
    if (st != A2A_OK) {
        free(f);
        return st;
    }
    char out_name[768];
    snprintf(out_name, sizeof out_name, "%s%s", j->prefix, name);
    a2a_type dt = n >= 2 ? j->p.conv_type : A2A_TYPE_F32;
    void *data = f;
    if (dt != A2A_TYPE_F32) {
        a2a_tensor src;
        a2a_tensor_init(&src, A2A_TYPE_F32, n, ne, f);
        src.name = name;
        size_t row, bytes;
        void *buf = NULL;
        if (!a2a_row_size(dt, ne[0], &row) || !a2a_mul_ok(row, (size_t)(nel / ne[0]), &bytes) ||
            !(buf = malloc(bytes ? bytes : 1))) {
            free(f);
            return a2a_fail(ctx, A2A_ERR_NOMEM, "hifigan convert: cannot allocate %s", name);
        }
        st = a2a_convert_rows(ctx, j->p.tp, &src, dt, buf);
        free(f);
        if (st != A2A_OK) {
            free(buf);
            return st;
        }
        data = buf;
    }
    if ((st = a2a_gguf_writer_keep(ctx, j->w, data)) != A2A_OK) return st;
    if ((st = a2a_gguf_writer_add_tensor(ctx, j->w, out_name, dt, n, ne, data)) != A2A_OK) return st;
    j->done++;
    if (j->p.progress && j->p.progress(j->done, j->total, out_name, j->p.user))
        return a2a_fail(ctx, A2A_ERR_CANCELLED, "hifigan convert: cancelled");
    return A2A_OK;
}

/* Conv weight + bias of module `mod`: weight ggml [k, a, b], bias [bias_n]. */
static a2a_status add_conv(conv_job *j, const char *mod, int64_t k, int64_t a, int64_t b, int64_t bias_n) {
    char nm[512];
    snprintf(nm, sizeof nm, "%s.weight", mod);
    a2a_status st = add_param(j, nm, 3, (int64_t[3]){k, a, b}, true);
    if (st != A2A_OK) return st;
    snprintf(nm, sizeof nm, "%s.bias", mod);
    return add_param(j, nm, 1, (int64_t[1]){bias_n}, false);
}

a2a_status a2a_hifigan_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                   const a2a_hifigan_convert_params *pp) {
    const a2a_hifigan_convert_params p = pp ? *pp : a2a_hifigan_convert_default_params();
    if (!(p.conv_type == A2A_TYPE_F32 || p.conv_type == A2A_TYPE_F16))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "hifigan convert: conv weights as %s (F32 or F16)",
                        a2a_type_name(p.conv_type));
    if (!prefix) prefix = "";
    if (strlen(prefix) > 200) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "hifigan convert: prefix too long");
    char path[4096];
    a2a_status st;
    if ((st = a2a_hf_config_path(ctx, src_dir, "hifigan", path, sizeof path)) != A2A_OK) return st;
    a2a_hifigan_config c;
    st = read_hf_config(ctx, path, &c);
    if (st != A2A_OK) return st;
    a2a_weights *wf = NULL;
    static const char *const cands[4] = {"model.safetensors", "pytorch_model.bin",
                                         "diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"};
    if ((st = a2a_hf_open_weights(ctx, src_dir, cands, 4, "hifigan", &wf)) != A2A_OK) return st;
    if (!wf) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "hifigan convert: no model.safetensors / pytorch_model.bin in %s", src_dir);

    /* transformers leaves absent mean/scale buffers at their initial zeros/ones, i.e. the
       normalization is the identity then: record it as off */
    if (c.normalize_before && !(a2a_weights_find(wf, "mean") && a2a_weights_find(wf, "scale")))
        c.normalize_before = false;
#define KEY(k) (HG_ARCH "." k)
    int32_t rates[A2A_HIFIGAN_MAX_UP], ks[A2A_HIFIGAN_MAX_UP], rk[A2A_HIFIGAN_MAX_KERNELS],
        cnt[A2A_HIFIGAN_MAX_KERNELS], dil[A2A_HIFIGAN_MAX_KERNELS * A2A_HIFIGAN_MAX_DIL];
    int nd = 0;
    for (int i = 0; i < c.n_up; i++) rates[i] = c.upsample_rates[i], ks[i] = c.upsample_kernel_sizes[i];
    for (int jk = 0; jk < c.n_kernels; jk++) {
        rk[jk] = c.resblock_kernel_sizes[jk];
        cnt[jk] = c.n_dil[jk];
        for (int m = 0; m < c.n_dil[jk]; m++) dil[nd++] = c.resblock_dilation_sizes[jk][m];
    }
    if ((st = a2a_gguf_writer_set_u32(ctx, w, KEY("model_in_dim"), (uint32_t)c.model_in_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("sampling_rate"), (uint32_t)c.sampling_rate)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("upsample_initial_channel"), (uint32_t)c.upsample_initial_channel)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, KEY("upsample_rates"), A2A_GGUF_INT32, rates, (uint64_t)c.n_up)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, KEY("upsample_kernel_sizes"), A2A_GGUF_INT32, ks, (uint64_t)c.n_up)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, KEY("resblock_kernel_sizes"), A2A_GGUF_INT32, rk, (uint64_t)c.n_kernels)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, KEY("resblock_dilation_counts"), A2A_GGUF_INT32, cnt,
                                      (uint64_t)c.n_kernels)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, KEY("resblock_dilation_sizes"), A2A_GGUF_INT32, dil, (uint64_t)nd)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, KEY("leaky_relu_slope"), c.leaky_relu_slope)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, KEY("normalize_before"), c.normalize_before))) {
        a2a_weights_close(wf);
        return st;
    }
#undef KEY
    conv_job j = {ctx, w, wf, prefix, p, 0, 0};
    j.total = 2 + 2 + 2 * c.n_up + 2;
    for (int i = 0; i < c.n_up; i++)
        for (int k = 0; k < c.n_kernels; k++) j.total += 4 * c.n_dil[k];
    const int64_t D = c.model_in_dim, C0 = c.upsample_initial_channel;
    /* the mean/scale buffers (kept when present; present whenever normalize_before is set) */
    static const char *bufs[2] = {"mean", "scale"};
    for (int i = 0; i < 2; i++)
        if (c.normalize_before || a2a_weights_find(wf, bufs[i]))
            if ((st = add_param(&j, bufs[i], 1, (int64_t[1]){D}, false))) goto done;
    if ((st = add_conv(&j, "conv_pre", 7, D, C0, C0))) goto done;
    for (int i = 0; i < c.n_up; i++) {
        const int64_t ci = stage_ch(&c, i), co = stage_ch(&c, i + 1);
        char mod[128];
        snprintf(mod, sizeof mod, "upsampler.%d", i);
        if ((st = add_conv(&j, mod, c.upsample_kernel_sizes[i], co, ci, co))) goto done;
        for (int k = 0; k < c.n_kernels; k++) {
            const int r = i * c.n_kernels + k;
            for (int m = 0; m < c.n_dil[k]; m++)
                for (int s = 1; s <= 2; s++) {
                    snprintf(mod, sizeof mod, "resblocks.%d.convs%d.%d", r, s, m);
                    if ((st = add_conv(&j, mod, c.resblock_kernel_sizes[k], co, co, co))) goto done;
                }
        }
    }
    st = add_conv(&j, "conv_post", 7, stage_ch(&c, c.n_up), 1, 1);
done:
    if (st != A2A_OK) a2a_error_prefix(ctx, "%s", src_dir);
    a2a_weights_close(wf);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_hifigan_convert_add(ctx, w, src_dir, NULL, p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_hifigan *m;
    a2a_status st = a2a_hifigan_load(ctx, path, &m);
    if (st == A2A_OK) a2a_hifigan_free(m);
    return st;
}

a2a_status a2a_hifigan_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                               const a2a_hifigan_convert_params *p) {
    return a2a_hf_convert_file(ctx, "hifigan convert", HG_ARCH, "SpeechT5HifiGan", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
