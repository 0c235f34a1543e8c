/* diffusers TemporalConvLayer and TransformerTemporalModel: see temporal.h. */
#include "models/diffusion/temporal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/gguf.h"
#include "kernels/attention.h"
#include "kernels/conv.h"
#include "kernels/ops.h"

#define TC_GN_EPS 1e-5f  /* nn.GroupNorm default (TemporalConvLayer) */
#define TT_GN_EPS 1e-6f  /* TransformerTemporalModel.norm */
#define TT_LN_EPS 1e-5f  /* BasicTransformerBlock norms */

typedef struct tl_loader {
    a2a_ctx *ctx;
    const struct a2a_gguf *g;
    const char *prefix;
    const char *what;
    a2a_status st;
} tl_loader;

/* prefix.name (printf) with shape ne (n dims, -1 any). kind 0: F32 only, 1: F32/F16, 2: any
   matmul type. */
static const a2a_tensor *ld(tl_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static const a2a_tensor *ld(tl_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[512];
    int p = snprintf(name, sizeof name, "%s.", l->prefix);
    if (p < 0 || (size_t)p >= sizeof name / 2) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "%s: tensor prefix too long", l->what);
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + p, sizeof name - (size_t)p, fmt, ap);
    va_end(ap);
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, n, ne, true);
    if (!t) {
        l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    if (!(kind == 2 || t->type == A2A_TYPE_F32 || (kind == 1 && t->type == A2A_TYPE_F16))) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected %s", name, a2a_type_name(t->type),
                         kind == 0 ? "F32" : "F32 or F16");
        return NULL;
    }
    return t;
}

a2a_status a2a_temporal_conv_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C, int groups,
                                  a2a_temporal_conv *out) {
    memset(out, 0, sizeof *out);
    if (C < 1 || groups < 1 || C % groups)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "temporal conv %s: bad sizes (channels %lld, groups %d)", prefix,
                        (long long)C, groups);
    out->C = C;
    out->groups = groups;
    tl_loader l = {ctx, g, prefix, "temporal conv", A2A_OK};
    const int64_t vC[1] = {C};
    for (int k = 0; k < 4 && l.st == A2A_OK; k++) {
        const int ci = k == 0 ? 2 : 3; /* conv1 = (GroupNorm, SiLU, Conv3d); conv2..4 have a Dropout before the conv */
        out->gn_w[k] = ld(&l, 0, 1, vC, "conv%d.0.weight", k + 1);
        out->gn_b[k] = ld(&l, 0, 1, vC, "conv%d.0.bias", k + 1);
        out->conv_b[k] = ld(&l, 1, 1, vC, "conv%d.%d.bias", k + 1, ci);
        if (l.st != A2A_OK) break;
        char name[512];
        snprintf(name, sizeof name, "%s.conv%d.%d.weight", prefix, k + 1, ci);
        const a2a_tensor *w = a2a_gguf_find_tensor(g, name);
        const bool five = w && w->n_dims == 5 && w->ne[0] == 1 && w->ne[1] == 1 && w->ne[2] == 3 && w->ne[3] == C &&
                          w->ne[4] == C;
        if (!five) w = ld(&l, 1, 3, (int64_t[3]){3, C, C}, "conv%d.%d.weight", k + 1, ci);
        else if (!(w->type == A2A_TYPE_F32 || w->type == A2A_TYPE_F16))
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected F32 or F16", name,
                            a2a_type_name(w->type));
        if (l.st != A2A_OK) break;
        if (!a2a_tensor_is_contiguous(w)) {
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "tensor %s is not contiguous", name);
            break;
        }
        out->conv_w[k] = a2a_tensor_reshape(w, 5, (int64_t[5]){1, 1, 3, C, C});
        out->conv_w[k].name = w->name;
    }
    if (l.st != A2A_OK) memset(out, 0, sizeof *out);
    return l.st;
}

/* The (B, C, F, H, W) view of a contiguous [W, H, C, F*B] buffer: ggml [W, H, F, C, B]. */
static a2a_tensor frames_view(const a2a_tensor *x, int64_t F) {
    const int64_t W = x->ne[0], H = x->ne[1], C = x->ne[2], B = x->ne[3] / F;
    a2a_tensor v = *x;
    v.n_dims = 5;
    v.ne[0] = W;
    v.ne[1] = H;
    v.ne[2] = F;
    v.ne[3] = C;
    v.ne[4] = B;
    v.nb[0] = sizeof(float);
    v.nb[1] = (size_t)W * sizeof(float);
    v.nb[2] = (size_t)(W * H * C) * sizeof(float);
    v.nb[3] = (size_t)(W * H) * sizeof(float);
    v.nb[4] = (size_t)(W * H * C * F) * sizeof(float);
    return v;
}

static bool check_x(a2a_ctx *ctx, const char *what, const a2a_tensor *x, int64_t C, int64_t F, bool dry) {
    if (x->type != A2A_TYPE_F32 || x->ne[2] != C || x->ne[4] != 1 || x->ne[0] < 1 || x->ne[1] < 1 || F < 1 ||
        x->ne[3] < 1 || x->ne[3] % F || (!dry && !a2a_tensor_is_contiguous(x))) {
        char s[96];
        a2a_fail(ctx, A2A_ERR_SHAPE, "%s: x %s must be contiguous F32 [W, H, %lld, F*B] with F = %lld", what,
                 a2a_tensor_shape_str(x, s, sizeof s), (long long)C, (long long)F);
        return false;
    }
    return true;
}

a2a_status a2a_temporal_conv_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_temporal_conv *t,
                                 a2a_tensor *x, int64_t F) {
    const bool dry = tmp->base == NULL;
    if (!check_x(ctx, "temporal conv", x, t->C, F, dry)) return A2A_ERR_SHAPE;
    const size_t mark = a2a_arena_mark(tmp);
    const int64_t ne[4] = {x->ne[0], x->ne[1], x->ne[2], x->ne[3]};
    a2a_tensor n, h;
    a2a_status st = A2A_OK;
    if (!a2a_arena_tensor(tmp, &n, A2A_TYPE_F32, 4, ne) || !a2a_arena_tensor(tmp, &h, A2A_TYPE_F32, 4, ne)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "temporal conv: scratch arena too small (%zu of %zu bytes used)", tmp->used,
                      tmp->cap);
        goto done;
    }
    if (dry) goto done;
    n.n_dims = h.n_dims = 4;
    a2a_tensor x5 = frames_view(x, F), n5 = frames_view(&n, F), h5 = frames_view(&h, F);
    a2a_conv3d_params p = A2A_CONV3D_PARAMS_DEFAULT;
    p.pad_t = 1;
    for (int k = 0; k < 4; k++) {
        if ((st = a2a_op_group_norm(ctx, tp, &n5, k == 0 ? &x5 : &h5, t->groups, t->gn_w[k], t->gn_b[k], TC_GN_EPS)) ||
            (st = a2a_op_silu(ctx, tp, &n, &n)) ||
            (st = a2a_op_conv3d(ctx, tp, &h5, &n5, &t->conv_w[k], t->conv_b[k], &p)))
            goto done;
    }
    st = a2a_op_add(ctx, tp, x, x, &h);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}

/* ------------------------------------------------------------------------ temporal transformer */

static void ld_mha(tl_loader *l, a2a_nn_mha *m, int b, const char *which, int64_t inner, int n_head) {
    memset(m, 0, sizeof *m);
    m->n_head = n_head;
    m->scale = 0.0f; /* head_dim^-0.5 */
    const int64_t wq[2] = {inner, inner}, vb[1] = {inner};
    m->q.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_q.weight", b, which);
    m->k.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_k.weight", b, which);
    m->v.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_v.weight", b, which);
    m->out.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_out.0.weight", b, which);
    m->out.b = ld(l, 1, 1, vb, "transformer_blocks.%d.%s.to_out.0.bias", b, which);
}

a2a_status a2a_transformer_temporal_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C,
                                         int n_head, int64_t head_dim, int n_layers, int groups,
                                         a2a_transformer_temporal *out) {
    memset(out, 0, sizeof *out);
    if (C < 1 || n_head < 1 || head_dim < 1 || head_dim > (1 << 20) || n_head > (1 << 16) || n_layers < 1 ||
        n_layers > A2A_T2D_MAX_LAYERS || groups < 1 || C % groups)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "transformer temporal %s: bad sizes (channels %lld, heads %d x %lld, layers %d, groups %d)",
                        prefix, (long long)C, n_head, (long long)head_dim, n_layers, groups);
    a2a_transformer_temporal *t = out;
    const int64_t D = (int64_t)n_head * head_dim;
    t->C = C;
    t->inner = D;
    t->n_head = n_head;
    t->groups = groups;
    t->n_layers = n_layers;
    tl_loader l = {ctx, g, prefix, "transformer temporal", A2A_OK};
    const int64_t vC[1] = {C}, vD[1] = {D};
    t->gn_w = ld(&l, 0, 1, vC, "norm.weight");
    t->gn_b = ld(&l, 0, 1, vC, "norm.bias");
    t->proj_in.w = ld(&l, 2, 2, (int64_t[2]){C, D}, "proj_in.weight");
    t->proj_in.b = ld(&l, 1, 1, vD, "proj_in.bias");
    t->proj_out.w = ld(&l, 2, 2, (int64_t[2]){D, C}, "proj_out.weight");
    t->proj_out.b = ld(&l, 1, 1, vC, "proj_out.bias");
    for (int b = 0; b < n_layers && l.st == A2A_OK; b++) {
        a2a_t2d_block *k = &t->blocks[b];
        for (int i = 0; i < 3; i++) {
            k->ln_w[i] = ld(&l, 1, 1, vD, "transformer_blocks.%d.norm%d.weight", b, i + 1);
            k->ln_b[i] = ld(&l, 1, 1, vD, "transformer_blocks.%d.norm%d.bias", b, i + 1);
        }
        ld_mha(&l, &k->attn1, b, "attn1", D, n_head);
        ld_mha(&l, &k->attn2, b, "attn2", D, n_head);
        k->ff_in.w = ld(&l, 2, 2, (int64_t[2]){D, -1}, "transformer_blocks.%d.ff.net.0.proj.weight", b);
        if (l.st == A2A_OK && (k->ff_in.w->ne[1] < 2 || k->ff_in.w->ne[1] % 2)) {
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "transformer temporal %s: GEGLU projection width %lld is not even",
                            prefix, (long long)k->ff_in.w->ne[1]);
            break;
        }
        const int64_t ff = l.st == A2A_OK ? k->ff_in.w->ne[1] / 2 : 1;
        if (b == 0) t->ff = ff;
        if (l.st == A2A_OK && ff != t->ff) {
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "transformer temporal %s: blocks differ in feed-forward width", prefix);
            break;
        }
        k->ff_in.b = ld(&l, 1, 1, (int64_t[1]){2 * ff}, "transformer_blocks.%d.ff.net.0.proj.bias", b);
        k->ff_out.w = ld(&l, 2, 2, (int64_t[2]){ff, D}, "transformer_blocks.%d.ff.net.2.weight", b);
        k->ff_out.b = ld(&l, 1, 1, vD, "transformer_blocks.%d.ff.net.2.bias", b);
    }
    if (l.st != A2A_OK) memset(out, 0, sizeof *out);
    return l.st;
}

/* The [W, H, F, C, B] view (as frames_view) of a token buffer [C, F, W, H, B]. */
static a2a_tensor tokens_as_frames(const a2a_tensor *tok, int64_t W, int64_t H, int64_t C, int64_t F, int64_t B) {
    a2a_tensor v = *tok;
    const size_t f = sizeof(float);
    v.n_dims = 5;
    v.ne[0] = W;
    v.ne[1] = H;
    v.ne[2] = F;
    v.ne[3] = C;
    v.ne[4] = B;
    v.nb[0] = (size_t)(C * F) * f;
    v.nb[1] = (size_t)(C * F * W) * f;
    v.nb[2] = (size_t)C * f;
    v.nb[3] = f;
    v.nb[4] = (size_t)(C * F * W * H) * f;
    return v;
}

static bool new3(a2a_arena *a, a2a_tensor *t, int64_t d0, int64_t d1, int64_t d2) {
    const int64_t ne[3] = {d0, d1, d2};
    if (!a2a_arena_tensor(a, t, A2A_TYPE_F32, 3, ne)) return false;
    t->n_dims = 3;
    return true;
}

/* A contiguous [d0, d1, d2] tensor seen as the 2-D [d0, d1*d2], so a linear layer runs as one
   matrix product (a2a_op_matmul multiplies each ne[2] batch separately: with d1 = F frames
   that would be thousands of tiny products). */
static a2a_tensor flat2(const a2a_tensor *t) {
    return a2a_tensor_reshape(t, 2, (int64_t[2]){t->ne[0], t->ne[1] * t->ne[2]});
}

static a2a_status lin(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_nn_linear *l, const a2a_tensor *x) {
    a2a_tensor d2 = flat2(dst), x2 = flat2(x);
    return a2a_nn_linear_fwd(ctx, tp, &d2, l, &x2);
}

/* Token rows per feed-forward chunk (of T in all). */
#define TT_FF_CHUNK 256 /* the golden cases with 384 and 512 tokens take the chunked path */
static int64_t ff_rows(int64_t T) { return T < TT_FF_CHUNK ? T : TT_FF_CHUNK; }

/* Rows [r0, r0 + cnt) of a contiguous [d0, d1, d2] tensor as the 2-D [d0, cnt]. */
static a2a_tensor rows(const a2a_tensor *t, int64_t r0, int64_t cnt) {
    a2a_tensor v = flat2(t);
    v.ne[1] = cnt;
    v.nb[2] = v.nb[3] = v.nb[4] = v.nb[1] * (size_t)cnt;
    if (v.data) v.data = (char *)v.data + (size_t)r0 * v.nb[1];
    return v;
}

/* dst [D, F, S] = self-attention of x [D, F, S] over the F frames of each of the S sequences
   (q/k/v projections as single matrix products, flash attention per (sequence, head)); q, k, v
   and the heads' output live in tmp (released before returning). */
static a2a_status frame_attn(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst, const a2a_nn_mha *m,
                             const a2a_tensor *x) {
    const int64_t D = x->ne[0], F = x->ne[1], S = x->ne[2], H = m->n_head, hd = D / H;
    const size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor q, k, v, o;
    if (!new3(tmp, &q, D, F, S) || !new3(tmp, &k, D, F, S) || !new3(tmp, &v, D, F, S) || !new3(tmp, &o, D, F, S)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "transformer temporal: scratch arena too small (%zu of %zu bytes used)",
                      tmp->used, tmp->cap);
        goto done;
    }
    if ((st = lin(ctx, tp, &q, &m->q, x)) || (st = lin(ctx, tp, &k, &m->k, x)) || (st = lin(ctx, tp, &v, &m->v, x)))
        goto done;
    /* heads: [D, F, S] seen as [hd, F, H, S] */
    a2a_tensor qh = q, kh = k, vh = v, oh = o;
    a2a_tensor *hv[3] = {&qh, &kh, &vh};
    for (int i = 0; i < 3; i++) {
        a2a_tensor *t = hv[i];
        t->n_dims = 4;
        t->ne[0] = hd;
        t->ne[1] = F;
        t->ne[2] = H;
        t->ne[3] = S;
        t->nb[1] = (size_t)D * sizeof(float);
        t->nb[2] = (size_t)hd * sizeof(float);
        t->nb[3] = (size_t)(D * F) * sizeof(float);
        t->nb[4] = t->nb[3] * (size_t)S;
    }
    oh = a2a_tensor_reshape(&o, 4, (int64_t[4]){hd, H, F, S}); /* [hd, H, F, S] == [D, F, S] */
    a2a_attention_params ap = A2A_ATTENTION_PARAMS_DEFAULT;
    ap.scale = m->scale;
    if ((st = a2a_op_attention(ctx, tp, &oh, &qh, &kh, &vh, NULL, &ap))) goto done;
    st = lin(ctx, tp, dst, &m->out, &o);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}

a2a_status a2a_transformer_temporal_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp,
                                        const a2a_transformer_temporal *t, a2a_tensor *x, int64_t F) {
    const bool dry = tmp->base == NULL;
    if (!check_x(ctx, "transformer temporal", x, t->C, F, dry)) return A2A_ERR_SHAPE;
    const int64_t W = x->ne[0], H = x->ne[1], C = t->C, B = x->ne[3] / F, S = W * H * B, D = t->inner;
    const size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor tok, h, n, o, g, f, s;
    if (!new3(tmp, &tok, C, F, S) || !new3(tmp, &h, D, F, S) || !new3(tmp, &n, D, F, S) || !new3(tmp, &o, D, F, S))
        goto nomem;
    if (dry) {
        /* the largest part's scratch: attention (q, k, v, heads' output) or the GEGLU pair, and
           layer-norm parameter copies */
        const size_t m2 = a2a_arena_mark(tmp);
        if (!new3(tmp, &s, D, 1, 1) || !new3(tmp, &s, D, 1, 1) || !new3(tmp, &s, D, F, S) ||
            !new3(tmp, &s, D, F, S) || !new3(tmp, &s, D, F, S) || !new3(tmp, &s, D, F, S))
            goto nomem;
        a2a_arena_rewind(tmp, m2);
        if (!new3(tmp, &s, D, 1, 1) || !new3(tmp, &s, D, 1, 1) || !new3(tmp, &g, 2 * t->ff, ff_rows(F * S), 1) ||
            !new3(tmp, &f, t->ff, ff_rows(F * S), 1))
            goto nomem;
        goto done;
    }
    a2a_tensor x5 = frames_view(x, F), tok5 = tokens_as_frames(&tok, W, H, C, F, B);
    if ((st = a2a_op_group_norm(ctx, tp, &tok5, &x5, t->groups, t->gn_w, t->gn_b, TT_GN_EPS))) goto done;
    if ((st = lin(ctx, tp, &h, &t->proj_in, &tok))) goto done;
    for (int b = 0; b < t->n_layers; b++) {
        const a2a_t2d_block *k = &t->blocks[b];
        for (int part = 0; part < 3; part++) {
            const size_t m2 = a2a_arena_mark(tmp);
            if ((st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, &n, &h, k->ln_w[part], k->ln_b[part], TT_LN_EPS))) goto done;
            if (part < 2) {
                st = frame_attn(ctx, tp, tmp, &o, part == 0 ? &k->attn1 : &k->attn2, &n);
            } else {
                /* position-wise: in chunks of tokens, so the 3*ff-wide temporaries stay small */
                const int64_t T = F * S, R = ff_rows(T);
                if (!new3(tmp, &g, 2 * t->ff, R, 1) || !new3(tmp, &f, t->ff, R, 1)) goto nomem;
                for (int64_t r0 = 0; r0 < T && st == A2A_OK; r0 += R) {
                    const int64_t cnt = T - r0 < R ? T - r0 : R;
                    a2a_tensor nc = rows(&n, r0, cnt), oc = rows(&o, r0, cnt), gc = rows(&g, 0, cnt),
                               fc = rows(&f, 0, cnt);
                    st = a2a_nn_linear_fwd(ctx, tp, &gc, &k->ff_in, &nc);
                    if (st == A2A_OK) st = a2a_op_geglu(ctx, tp, &fc, &gc);
                    if (st == A2A_OK) st = a2a_nn_linear_fwd(ctx, tp, &oc, &k->ff_out, &fc);
                }
            }
            a2a_arena_rewind(tmp, m2);
            if (st == A2A_OK) st = a2a_op_add(ctx, tp, &h, &h, &o);
            if (st != A2A_OK) goto done;
        }
    }
    if ((st = lin(ctx, tp, &tok, &t->proj_out, &h))) goto done;
    /* residual: x (as [W, H, F, C, B]) += tokens seen the same way */
    st = a2a_op_add(ctx, tp, &x5, &x5, &tok5);
    goto done;
nomem:
    st = a2a_fail(ctx, A2A_ERR_NOMEM, "transformer temporal: scratch arena too small (%zu of %zu bytes used)",
                  tmp->used, tmp->cap);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}
