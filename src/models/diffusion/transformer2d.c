/* diffusers Transformer2DModel + BasicTransformerBlock: see transformer2d.h. */
#include "models/diffusion/transformer2d.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "io/gguf.h"
#include "kernels/ops.h"

#define T2D_GN_EPS 1e-6f
#define T2D_LN_EPS 1e-5f

typedef struct t2d_loader {
    a2a_ctx *ctx;
    const struct a2a_gguf *g;
    const char *prefix;
    a2a_status st;
} t2d_loader;

/* Tensor prefix.name (printf) with shape ne (n dims). kind 0: F32/F16 vector, 2: any matmul
   type. ne entries -1 accept any extent. */
static const a2a_tensor *ld(t2d_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static const a2a_tensor *ld(t2d_loader *l, int kind, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[512];
    int p = snprintf(name, sizeof name, "%s.", l->prefix);
    if (p < 0 || (size_t)p >= sizeof name / 2) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "transformer2d: tensor prefix too long");
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
    if (kind == 0 && !(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16)) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected F32 or F16", name,
                         a2a_type_name(t->type));
        return NULL;
    }
    return t;
}

/* A 1x1-conv or Linear projection weight: [in, out] or [1, 1, in, out] -> 2-D view in *view. */
static const a2a_tensor *ld_proj(t2d_loader *l, int64_t in, int64_t out, a2a_tensor *view, const char *name) {
    if (l->st != A2A_OK) return NULL;
    char full[512];
    snprintf(full, sizeof full, "%s.%s", l->prefix, name);
    const a2a_tensor *t = a2a_gguf_find_tensor(l->g, full);
    if (t && t->n_dims == 4 && t->ne[0] == 1 && t->ne[1] == 1 && t->ne[2] == in && t->ne[3] == out &&
        a2a_type_info(t->type)->blck == 1 && a2a_tensor_is_contiguous(t)) {
        *view = a2a_tensor_reshape(t, 2, (int64_t[2]){in, out});
        view->name = t->name;
        return view;
    }
    return ld(l, 2, 2, (int64_t[2]){in, out}, "%s", name);
}

static void ld_mha(t2d_loader *l, a2a_nn_mha *m, int b, const char *which, int64_t inner, int64_t kv_in, int n_head) {
    memset(m, 0, sizeof *m);
    m->n_head = n_head;
    m->scale = 0.0f; /* head_width^-0.5 */
    const int64_t wq[2] = {inner, inner}, wkv[2] = {kv_in, inner}, vb[1] = {inner};
    m->q.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_q.weight", b, which);
    m->k.w = ld(l, 2, 2, wkv, "transformer_blocks.%d.%s.to_k.weight", b, which);
    m->v.w = ld(l, 2, 2, wkv, "transformer_blocks.%d.%s.to_v.weight", b, which);
    m->out.w = ld(l, 2, 2, wq, "transformer_blocks.%d.%s.to_out.0.weight", b, which);
    m->out.b = ld(l, 0, 1, vb, "transformer_blocks.%d.%s.to_out.0.bias", b, which);
}

a2a_status a2a_transformer2d_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t C, int n_head,
                                  int64_t ctx_dim, int n_layers, int groups, a2a_transformer2d *out) {
    memset(out, 0, sizeof *out);
    if (C < 1 || n_head < 1 || C % n_head || ctx_dim < 1 || n_layers < 1 || n_layers > A2A_T2D_MAX_LAYERS ||
        groups < 1 || C % groups)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "transformer2d %s: bad sizes (channels %lld, heads %d, context %lld, layers %d, groups %d)",
                        prefix, (long long)C, n_head, (long long)ctx_dim, n_layers, groups);
    a2a_transformer2d *t = out;
    t->C = C;
    t->inner = C;
    t->ctx_dim = ctx_dim;
    t->n_head = n_head;
    t->groups = groups;
    t->n_layers = n_layers;
    t2d_loader l = {ctx, g, prefix, A2A_OK};
    const int64_t vC[1] = {C}, vI[1] = {C};
    t->gn_w = ld(&l, 0, 1, vC, "norm.weight");
    t->gn_b = ld(&l, 0, 1, vC, "norm.bias");
    t->proj_in.w = ld_proj(&l, C, C, &t->proj_in_view, "proj_in.weight");
    t->proj_in.b = ld(&l, 0, 1, vI, "proj_in.bias");
    t->proj_out.w = ld_proj(&l, C, C, &t->proj_out_view, "proj_out.weight");
    t->proj_out.b = ld(&l, 0, 1, vC, "proj_out.bias");
    for (int b = 0; b < n_layers && l.st == A2A_OK; b++) {
        a2a_t2d_block *k = &t->blocks[b];
        for (int i = 0; i < 3; i++) {
            k->ln_w[i] = ld(&l, 0, 1, vI, "transformer_blocks.%d.norm%d.weight", b, i + 1);
            k->ln_b[i] = ld(&l, 0, 1, vI, "transformer_blocks.%d.norm%d.bias", b, i + 1);
        }
        ld_mha(&l, &k->attn1, b, "attn1", C, C, n_head);
        ld_mha(&l, &k->attn2, b, "attn2", C, ctx_dim, n_head);
        k->ff_in.w = ld(&l, 2, 2, (int64_t[2]){C, -1}, "transformer_blocks.%d.ff.net.0.proj.weight", b);
        if (l.st == A2A_OK && (k->ff_in.w->ne[1] < 2 || k->ff_in.w->ne[1] % 2)) {
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "transformer2d %s: GEGLU projection width %lld is not even", prefix,
                            (long long)k->ff_in.w->ne[1]);
            break;
        }
        const int64_t ff = l.st == A2A_OK ? k->ff_in.w->ne[1] / 2 : 1;
        if (b == 0) t->ff = ff;
        if (l.st == A2A_OK && ff != t->ff) {
            l.st = a2a_fail(ctx, A2A_ERR_SHAPE, "transformer2d %s: blocks differ in feed-forward width", prefix);
            break;
        }
        k->ff_in.b = ld(&l, 0, 1, (int64_t[1]){2 * ff}, "transformer_blocks.%d.ff.net.0.proj.bias", b);
        k->ff_out.w = ld(&l, 2, 2, (int64_t[2]){ff, C}, "transformer_blocks.%d.ff.net.2.weight", b);
        k->ff_out.b = ld(&l, 0, 1, vC, "transformer_blocks.%d.ff.net.2.bias", b);
    }
    if (l.st != A2A_OK) memset(out, 0, sizeof *out);
    return l.st;
}

/* ------------------------------------------------------------------------ forward */

typedef struct t2d_run {
    a2a_ctx *ctx;
    a2a_threadpool *tp;
    a2a_arena *a;
    bool dry;
} t2d_run;

static bool new3(t2d_run *r, a2a_tensor *t, int64_t d0, int64_t d1, int64_t d2) {
    const int64_t ne[3] = {d0, d1, d2};
    if (!a2a_arena_tensor(r->a, t, A2A_TYPE_F32, 3, ne)) return false;
    t->n_dims = 3;
    return true;
}

/* The scratch a2a_nn_mha_fwd takes (q, k, v, heads' output) and layer-norm parameter copies,
   allocated in a measuring arena so the plan counts them. */
static bool dry_mha(t2d_run *r, int64_t D, int64_t nq, int64_t nkv, int64_t B) {
    a2a_tensor s;
    return new3(r, &s, D, nq, B) && new3(r, &s, D, nkv, B) && new3(r, &s, D, nkv, B) && new3(r, &s, D, nq, B);
}

a2a_status a2a_t2d_block_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_t2d_block *k, int64_t ff,
                             a2a_tensor *h, const a2a_tensor *context) {
    const int64_t D = h->ne[0], T = h->ne[1], N = h->ne[2];
    const bool dry = tmp->base == NULL;
    if (h->type != A2A_TYPE_F32 || h->ne[3] != 1 || h->ne[4] != 1 || ff < 1 || (!dry && !a2a_tensor_is_contiguous(h)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "transformer2d block: tokens must be contiguous F32 [D, T, B]");
    const int64_t L = context ? context->ne[1] : T;
    t2d_run r = {ctx, tp, tmp, dry};
    const size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor n, o, g, f;
    if (!new3(&r, &n, D, T, N) || !new3(&r, &o, D, T, N)) goto nomem;
    for (int part = 0; part < 3; part++) {
        const size_t m2 = a2a_arena_mark(tmp);
        if (dry) {
            /* layer-norm parameter copies (F16 norms) + the part's scratch */
            a2a_tensor s;
            if (!new3(&r, &s, D, 1, 1) || !new3(&r, &s, D, 1, 1)) goto nomem;
            if (part < 2 && !dry_mha(&r, D, T, part == 1 ? L : T, N)) goto nomem;
            if (part == 2 && (!new3(&r, &g, 2 * ff, T, N) || !new3(&r, &f, ff, T, N))) goto nomem;
            a2a_arena_rewind(tmp, m2);
            continue;
        }
        if ((st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, &n, h, k->ln_w[part], k->ln_b[part], T2D_LN_EPS))) goto done;
        if (part == 0) {
            st = a2a_nn_mha_fwd(ctx, tp, tmp, &o, &k->attn1, &n, &n, NULL, false);
        } else if (part == 1) {
            st = a2a_nn_mha_fwd(ctx, tp, tmp, &o, &k->attn2, &n, context ? context : &n, NULL, false);
        } else {
            if (!new3(&r, &g, 2 * ff, T, N) || !new3(&r, &f, ff, T, N)) goto nomem;
            st = a2a_nn_linear_fwd(ctx, tp, &g, &k->ff_in, &n);
            if (st == A2A_OK) st = a2a_op_geglu(ctx, tp, &f, &g);
            if (st == A2A_OK) st = a2a_nn_linear_fwd(ctx, tp, &o, &k->ff_out, &f);
        }
        a2a_arena_rewind(tmp, m2);
        if (st == A2A_OK) st = a2a_op_add(ctx, tp, h, h, &o);
        if (st != A2A_OK) goto done;
    }
    goto done;
nomem:
    st = a2a_fail(ctx, A2A_ERR_NOMEM, "transformer2d: scratch arena too small (%zu of %zu bytes used)", tmp->used,
                  tmp->cap);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}

a2a_status a2a_transformer2d_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_transformer2d *t,
                                 a2a_tensor *x, const a2a_tensor *context) {
    const int64_t W = x->ne[0], H = x->ne[1], C = t->C, N = x->ne[3], T = W * H, D = t->inner;
    if (x->type != A2A_TYPE_F32 || x->ne[2] != C || x->ne[4] != 1 || W < 1 || H < 1 || N < 1 ||
        (tmp->base && !a2a_tensor_is_contiguous(x))) {
        char s[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "transformer2d: x %s must be contiguous F32 [W, H, %lld, N]",
                        a2a_tensor_shape_str(x, s, sizeof s), (long long)C);
    }
    if (context) {
        if (context->type != A2A_TYPE_F32 || context->ne[0] != t->ctx_dim || context->ne[2] != N ||
            context->ne[3] != 1 || context->ne[4] != 1 || context->ne[1] < 1) {
            char s[96];
            return a2a_fail(ctx, A2A_ERR_SHAPE, "transformer2d: context %s does not match [%lld, L, %lld]",
                            a2a_tensor_shape_str(context, s, sizeof s), (long long)t->ctx_dim, (long long)N);
        }
    } else if (t->ctx_dim != D) {
        return a2a_fail(ctx, A2A_ERR_SHAPE,
                        "transformer2d: no context given but cross-attention expects %lld-wide context (self-attention "
                        "fallback needs %lld)",
                        (long long)t->ctx_dim, (long long)D);
    }
    t2d_run r = {ctx, tp, tmp, tmp->base == NULL};
    const size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor tok, h;
    if (!new3(&r, &tok, C, T, N) || !new3(&r, &h, D, T, N)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "transformer2d: scratch arena too small (%zu of %zu bytes used)", tmp->used,
                      tmp->cap);
        goto done;
    }
    /* [C, T, N] token buffer seen as [W, H, C, N] (what GroupNorm and the residual need) */
    a2a_tensor tok4 = tok;
    tok4.n_dims = 4;
    tok4.ne[0] = W;
    tok4.ne[1] = H;
    tok4.ne[2] = C;
    tok4.ne[3] = N;
    tok4.nb[0] = (size_t)C * sizeof(float);
    tok4.nb[1] = (size_t)C * W * sizeof(float);
    tok4.nb[2] = sizeof(float);
    tok4.nb[3] = (size_t)C * T * sizeof(float);
    tok4.nb[4] = tok4.nb[3] * (size_t)N;
    a2a_tensor xv = *x;
    xv.n_dims = 4;
    if (!r.dry) {
        if ((st = a2a_op_group_norm(ctx, tp, &tok4, &xv, t->groups, t->gn_w, t->gn_b, T2D_GN_EPS))) goto done;
        if ((st = a2a_nn_linear_fwd(ctx, tp, &h, &t->proj_in, &tok))) goto done;
    }
    for (int b = 0; b < t->n_layers; b++)
        if ((st = a2a_t2d_block_fwd(ctx, tp, tmp, &t->blocks[b], t->ff, &h, context))) goto done;
    if (!r.dry) {
        if ((st = a2a_nn_linear_fwd(ctx, tp, &tok, &t->proj_out, &h))) goto done;
        st = a2a_op_add(ctx, tp, &xv, &xv, &tok4);
    }
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}

size_t a2a_transformer2d_tmp_bytes(const a2a_transformer2d *t, int64_t W, int64_t H, int64_t N, int64_t L) {
    a2a_arena m;
    a2a_arena_init_measure(&m);
    a2a_tensor x, c;
    const int64_t ne[4] = {W, H, t->C, N}, nc[3] = {t->ctx_dim, L, N};
    if (W < 1 || H < 1 || N < 1 || L < 0 || !a2a_tensor_init(&x, A2A_TYPE_F32, 4, ne, NULL)) return 0;
    x.n_dims = 4;
    if (L > 0 && !a2a_tensor_init(&c, A2A_TYPE_F32, 3, nc, NULL)) return 0;
    if (L > 0) c.n_dims = 3;
    if (a2a_transformer2d_fwd(NULL, NULL, &m, t, &x, L > 0 ? &c : NULL) != A2A_OK) return 0;
    return m.peak;
}
