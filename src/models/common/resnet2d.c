/* diffusers ResnetBlock2D: see resnet2d.h for the contract. */
#include "models/common/resnet2d.h"

#include <stdio.h>
#include <string.h>

#include "io/gguf.h"
#include "kernels/conv.h"
#include "kernels/ops.h"
#include "models/common/nn.h"

/* Tensor P.name with the given shape (ggml order); types: 0 = F32 only, 1 = F32/F16,
   2 = anything (matmul weight). */
static const a2a_tensor *get(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, const char *name, int n_dims,
                             const int64_t *ne, int types, bool required, a2a_status *st) {
    char full[256];
    if (*st != A2A_OK) return NULL;
    int n = snprintf(full, sizeof full, "%s.%s", prefix, name);
    if (n < 0 || (size_t)n >= sizeof full) {
        *st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resnet2d: tensor prefix too long: %s", prefix);
        return NULL;
    }
    const a2a_tensor *t = a2a_nn_get(ctx, g, full, n_dims, ne, required);
    if (!t) {
        if (required) *st = a2a_gguf_find_tensor(g, full) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    bool ok = types == 2 || t->type == A2A_TYPE_F32 || (types == 1 && t->type == A2A_TYPE_F16);
    if (!ok) {
        *st = a2a_fail(ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected %s", full, a2a_type_name(t->type),
                       types == 0 ? "F32" : "F32 or F16");
        return NULL;
    }
    return t;
}

a2a_status a2a_resnet2d_load(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, int64_t c_in, int64_t c_out,
                             int groups, float eps, int64_t temb_ch, a2a_resnet2d *out) {
    memset(out, 0, sizeof *out);
    if (c_in < 1 || c_out < 1 || groups < 1 || temb_ch < 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resnet2d %s: bad sizes c_in %lld c_out %lld groups %d temb %lld",
                        prefix, (long long)c_in, (long long)c_out, groups, (long long)temb_ch);
    if (c_in % groups || c_out % groups)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resnet2d %s: %d groups do not divide the channels (%lld, %lld)",
                        prefix, groups, (long long)c_in, (long long)c_out);
    a2a_resnet2d r = {0};
    r.c_in = c_in;
    r.c_out = c_out;
    r.groups = r.groups_out = groups;
    r.eps = eps;
    r.output_scale_factor = 1.0f;
    r.temb_ch = temb_ch;
    a2a_status st = A2A_OK;
    const int64_t v_in[1] = {c_in}, v_out[1] = {c_out};
    const int64_t k1[4] = {3, 3, c_in, c_out}, k2[4] = {3, 3, c_out, c_out}, ks[4] = {1, 1, c_in, c_out};
    const int64_t kt[2] = {temb_ch, c_out};
    r.norm1_w = get(ctx, g, prefix, "norm1.weight", 1, v_in, 0, true, &st);
    r.norm1_b = get(ctx, g, prefix, "norm1.bias", 1, v_in, 0, true, &st);
    r.conv1_w = get(ctx, g, prefix, "conv1.weight", 4, k1, 1, true, &st);
    r.conv1_b = get(ctx, g, prefix, "conv1.bias", 1, v_out, 1, true, &st);
    r.norm2_w = get(ctx, g, prefix, "norm2.weight", 1, v_out, 0, true, &st);
    r.norm2_b = get(ctx, g, prefix, "norm2.bias", 1, v_out, 0, true, &st);
    r.conv2_w = get(ctx, g, prefix, "conv2.weight", 4, k2, 1, true, &st);
    r.conv2_b = get(ctx, g, prefix, "conv2.bias", 1, v_out, 1, true, &st);
    r.short_w = get(ctx, g, prefix, "conv_shortcut.weight", 4, ks, 1, c_in != c_out, &st);
    if (r.short_w) r.short_b = get(ctx, g, prefix, "conv_shortcut.bias", 1, v_out, 1, true, &st);
    if (temb_ch > 0) {
        r.temb_w = get(ctx, g, prefix, "time_emb_proj.weight", 2, kt, 2, true, &st);
        r.temb_b = get(ctx, g, prefix, "time_emb_proj.bias", 1, v_out, 1, true, &st);
    }
    if (st != A2A_OK) return st;
    *out = r;
    return A2A_OK;
}

static size_t f32_bytes(int64_t a, int64_t b, int64_t c, int64_t d) {
    size_t n = 1, t;
    int64_t v[4] = {a, b, c, d};
    for (int i = 0; i < 4; i++) {
        if (v[i] < 0 || !a2a_mul_ok(n, (size_t)v[i], &t)) return 0;
        n = t;
    }
    if (!a2a_mul_ok(n, sizeof(float), &t) || !a2a_add_ok(t, A2A_ARENA_ALIGN, &t)) return 0;
    return t;
}

size_t a2a_resnet2d_tmp_bytes(const a2a_resnet2d *r, int64_t W, int64_t H, int64_t N) {
    size_t t1 = f32_bytes(W, H, r->c_in, N), t2 = f32_bytes(W, H, r->c_out, N), tot;
    if (!t1 || !t2 || !a2a_add_ok(t1, t2, &tot)) return 0;
    if (r->short_w && r->c_in < r->c_out && !a2a_add_ok(tot, t2, &tot)) return 0;
    if (r->temb_ch > 0) {
        size_t te = f32_bytes(r->temb_ch, N, 1, 1), tp = f32_bytes(r->c_out, N, 1, 1);
        if (!te || !tp || !a2a_add_ok(tot, te, &tot) || !a2a_add_ok(tot, tp, &tot)) return 0;
    }
    return tot;
}

/* A 4-D F32 [W, H, C, N] tensor from the arena (n_dims forced to 4 for group_norm). */
static bool alloc4(a2a_arena *a, a2a_tensor *t, int64_t W, int64_t H, int64_t C, int64_t N) {
    const int64_t ne[4] = {W, H, C, N};
    if (!a2a_arena_tensor(a, t, A2A_TYPE_F32, 4, ne)) return false;
    t->n_dims = 4;
    return true;
}

a2a_status a2a_resnet2d_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst,
                            const a2a_resnet2d *r, const a2a_tensor *x, const a2a_tensor *temb) {
    const bool dry = tmp->base == NULL;
    const int64_t W = x->ne[0], H = x->ne[1], N = x->n_dims >= 4 ? x->ne[3] : 1;
    if (x->ne[2] != r->c_in || x->ne[4] != 1 || (x->n_dims < 4 && x->ne[3] != 1) || dst->ne[0] != W ||
        dst->ne[1] != H || dst->ne[2] != r->c_out || dst->ne[3] != N || dst->ne[4] != 1) {
        char a[96], b[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "resnet2d: x %s, dst %s do not fit c_in %lld, c_out %lld",
                        a2a_tensor_shape_str(x, a, sizeof a), a2a_tensor_shape_str(dst, b, sizeof b),
                        (long long)r->c_in, (long long)r->c_out);
    }
    if (r->temb_ch > 0 && (!temb || temb->type != A2A_TYPE_F32 || temb->ne[0] != r->temb_ch || temb->ne[1] != N ||
                           a2a_tensor_nelements(temb) != r->temb_ch * N || !a2a_tensor_is_contiguous(temb)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "resnet2d: time embedding must be contiguous F32 [%lld, %lld]",
                        (long long)r->temb_ch, (long long)N);
    a2a_tensor xv = *x, dv = *dst;
    xv.n_dims = 4;
    dv.n_dims = 4;
    const size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor t1, t2, sc, te, tpj;
    if (!alloc4(tmp, &t1, W, H, r->c_in, N) || !alloc4(tmp, &t2, W, H, r->c_out, N)) goto nomem;
    bool own_sc = r->short_w && r->c_in < r->c_out;
    if (own_sc && !alloc4(tmp, &sc, W, H, r->c_out, N)) goto nomem;
    if (r->temb_ch > 0) {
        const int64_t ne_te[2] = {r->temb_ch, N}, ne_tp[2] = {r->c_out, N};
        if (!a2a_arena_tensor(tmp, &te, A2A_TYPE_F32, 2, ne_te) || !a2a_arena_tensor(tmp, &tpj, A2A_TYPE_F32, 2, ne_tp))
            goto nomem;
    }
    if (dry) goto done;

    const a2a_conv2d_params p3 = {1, 1, 1, 1, 1, 1, 1};
    if ((st = a2a_op_group_norm(ctx, tp, &t1, &xv, r->groups, r->norm1_w, r->norm1_b, r->eps))) goto done;
    if ((st = a2a_op_silu(ctx, tp, &t1, &t1))) goto done;
    if ((st = a2a_op_conv2d(ctx, tp, &t2, &t1, r->conv1_w, r->conv1_b, &p3))) goto done;
    if (r->temb_ch > 0) {
        if ((st = a2a_op_silu(ctx, tp, &te, temb))) goto done;
        a2a_nn_linear l = {r->temb_w, r->temb_b};
        if ((st = a2a_nn_linear_fwd(ctx, tp, &tpj, &l, &te))) goto done;
        a2a_tensor b4;
        const int64_t ne_b[4] = {1, 1, r->c_out, N};
        if (!a2a_tensor_init(&b4, A2A_TYPE_F32, 4, ne_b, tpj.data)) {
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "resnet2d: bad time embedding shape");
            goto done;
        }
        if ((st = a2a_op_add(ctx, tp, &t2, &t2, &b4))) goto done;
    }
    if ((st = a2a_op_group_norm(ctx, tp, &t2, &t2, r->groups_out, r->norm2_w, r->norm2_b, r->eps))) goto done;
    if ((st = a2a_op_silu(ctx, tp, &t2, &t2))) goto done;
    if ((st = a2a_op_conv2d(ctx, tp, &dv, &t2, r->conv2_w, r->conv2_b, &p3))) goto done;
    if (r->short_w) {
        if (!own_sc) { /* t1 (c_in >= c_out channels) is free now: reuse its memory */
            const int64_t ne_s[4] = {W, H, r->c_out, N};
            a2a_tensor_init(&sc, A2A_TYPE_F32, 4, ne_s, t1.data);
            sc.n_dims = 4;
        }
        const a2a_conv2d_params p1 = A2A_CONV2D_PARAMS_DEFAULT;
        if ((st = a2a_op_conv2d(ctx, tp, &sc, &xv, r->short_w, r->short_b, &p1))) goto done;
        st = a2a_op_add(ctx, tp, &dv, &sc, &dv);
    } else {
        st = a2a_op_add(ctx, tp, &dv, &xv, &dv);
    }
    if (st == A2A_OK && r->output_scale_factor != 1.0f)
        st = a2a_op_scale(ctx, tp, &dv, &dv, 1.0f / r->output_scale_factor, 0.0f);
    goto done;
nomem:
    st = a2a_fail(ctx, A2A_ERR_NOMEM, "resnet2d: scratch arena too small (%zu of %zu bytes used)", tmp->used, tmp->cap);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}
