/* Shared transformer building blocks: see nn.h for the contracts. */
#include "models/common/nn.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/types.h"
#include "io/gguf.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

/* Element i of a 1-D-in-spirit F32/F16 vector tensor of contiguous storage. */
static inline float vec_at(const a2a_tensor *t, int64_t i) {
    if (t->type == A2A_TYPE_F16) return a2a_fp16_to_f32(((const a2a_fp16 *)t->data)[i]);
    return ((const float *)t->data)[i];
}

static bool is_float_vec(const a2a_tensor *t) {
    return (t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16) && a2a_tensor_is_contiguous(t);
}

a2a_status a2a_nn_add_bias(a2a_ctx *ctx, a2a_tensor *dst, const a2a_tensor *b) {
    if (!b) return A2A_OK;
    int64_t n = a2a_tensor_nelements(b);
    if (!is_float_vec(b) || dst->type != A2A_TYPE_F32 || !a2a_tensor_is_contiguous(dst) || n != dst->ne[0])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: bias %s (%lld elements) does not fit output rows of %lld",
                        b->name ? b->name : "(unnamed)", (long long)n, (long long)dst->ne[0]);
    float *d = (float *)dst->data;
    int64_t rows = a2a_tensor_nrows(dst);
    if (b->type == A2A_TYPE_F32) {
        const float *bv = (const float *)b->data;
        for (int64_t r = 0; r < rows; r++, d += n)
            for (int64_t i = 0; i < n; i++) d[i] += bv[i];
    } else {
        for (int64_t r = 0; r < rows; r++, d += n)
            for (int64_t i = 0; i < n; i++) d[i] += vec_at(b, i);
    }
    return A2A_OK;
}

a2a_status a2a_nn_linear_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_nn_linear *l,
                             const a2a_tensor *x) {
    if (!l || !l->w) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: linear layer without a weight");
    /* a 2-D weight over contiguous [in, n, B...] is one [in, n*B...] product: many small batch
       products (e.g. tokens laid out [D, frames, positions]) would waste the GEMM */
    a2a_status st;
    if (l->w->ne[2] == 1 && l->w->ne[3] == 1 && x->ne[2] * x->ne[3] > 1 && a2a_tensor_is_contiguous(x) &&
        a2a_tensor_is_contiguous(dst) && dst->ne[1] == x->ne[1] && dst->ne[2] == x->ne[2] && dst->ne[3] == x->ne[3] &&
        x->ne[4] == 1 && dst->ne[4] == 1) {
        const int64_t rows = x->ne[1] * x->ne[2] * x->ne[3];
        a2a_tensor x2 = a2a_tensor_reshape(x, 2, (int64_t[2]){x->ne[0], rows});
        a2a_tensor d2 = a2a_tensor_reshape(dst, 2, (int64_t[2]){dst->ne[0], rows});
        st = a2a_op_matmul(ctx, tp, &d2, l->w, &x2);
    } else {
        st = a2a_op_matmul(ctx, tp, dst, l->w, x);
    }
    if (st != A2A_OK || !l->b) return st;
    int64_t n = a2a_tensor_nelements(l->b);
    if (!is_float_vec(l->b) || n != dst->ne[0])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: bias %s (%lld elements) does not fit output rows of %lld",
                        l->b->name ? l->b->name : "(unnamed)", (long long)n, (long long)dst->ne[0]);
    for (int64_t i3 = 0; i3 < dst->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < dst->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < dst->ne[1]; i1++) {
                float *d = (float *)a2a_tensor_ptr(dst, 0, i1, i2, i3, 0);
                if (l->b->type == A2A_TYPE_F32) {
                    const float *bv = (const float *)l->b->data;
                    for (int64_t i = 0; i < n; i++) d[i] += bv[i];
                } else {
                    for (int64_t i = 0; i < n; i++) d[i] += vec_at(l->b, i);
                }
            }
    return A2A_OK;
}

a2a_status a2a_nn_act_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *x, a2a_nn_act act) {
    switch (act) {
    case A2A_NN_ACT_GELU: return a2a_op_gelu(ctx, tp, x, x);
    case A2A_NN_ACT_GELU_TANH: return a2a_op_gelu_tanh(ctx, tp, x, x);
    case A2A_NN_ACT_QUICK_GELU: return a2a_op_quick_gelu(ctx, tp, x, x);
    case A2A_NN_ACT_RELU: return a2a_op_relu(ctx, tp, x, x);
    case A2A_NN_ACT_SILU: return a2a_op_silu(ctx, tp, x, x);
    case A2A_NN_ACT_NONE: return A2A_OK;
    }
    return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: unknown activation %d", (int)act);
}

/* A contiguous F32 tensor in tmp shaped like x with ne[0] replaced by n0. */
static a2a_status tmp_like(a2a_ctx *ctx, a2a_arena *tmp, a2a_tensor *t, const a2a_tensor *x, int64_t n0,
                           const char *what) {
    int64_t ne[A2A_MAX_DIMS];
    for (int i = 0; i < A2A_MAX_DIMS; i++) ne[i] = x->ne[i];
    ne[0] = n0;
    if (!a2a_arena_tensor(tmp, t, A2A_TYPE_F32, A2A_MAX_DIMS, ne) || !t->data)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "nn: scratch arena too small for %s (%zu of %zu bytes used)", what,
                        tmp->used, tmp->cap);
    return A2A_OK;
}

a2a_status a2a_nn_mlp_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst, const a2a_nn_mlp *m,
                          const a2a_tensor *x) {
    if (!m->fc1.w || !m->fc2.w) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: MLP without weights");
    size_t mark = a2a_arena_mark(tmp);
    a2a_tensor h;
    a2a_status st = tmp_like(ctx, tmp, &h, x, m->fc1.w->ne[1], "the MLP hidden activation");
    if (st == A2A_OK) st = a2a_nn_linear_fwd(ctx, tp, &h, &m->fc1, x);
    if (st == A2A_OK) st = a2a_nn_act_fwd(ctx, tp, &h, m->act);
    if (st == A2A_OK) st = a2a_nn_linear_fwd(ctx, tp, dst, &m->fc2, &h);
    a2a_arena_rewind(tmp, mark);
    return st;
}

/* Rows [r0, r0 + n) of a [in, out] weight (a whole-row view, valid for block types) or
   elements [r0, r0 + n) of a bias vector. */
static a2a_tensor rows_view(const a2a_tensor *w, int64_t r0, int64_t n) {
    int64_t ne[2] = {w->ne[0], n}, off[2] = {0, r0};
    return a2a_tensor_view(w, 2, ne, off);
}

/* Projection of x [in, n, B] into the first n rows of each batch of dst (a [D, n_cap, B]
   tensor whose token capacity n_cap may exceed n). */
static a2a_status project_into(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_nn_linear *l,
                               const a2a_tensor *x) {
    a2a_tensor v = *dst;
    v.ne[1] = x->ne[1];
    return a2a_nn_linear_fwd(ctx, tp, &v, l, x);
}

a2a_status a2a_nn_mha_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst, const a2a_nn_mha *m,
                          const a2a_tensor *xq, const a2a_tensor *xkv, const a2a_tensor *mask, bool causal) {
    const bool packed = m->in_proj.w != NULL;
    if (m->n_head <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: attention with %d heads", m->n_head);
    if (!packed && (!m->q.w || !m->k.w || !m->v.w))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: attention without q/k/v projections");
    if (!m->out.w) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: attention without an output projection");
    if ((m->bias_k == NULL) != (m->bias_v == NULL))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nn: attention with only one of bias_k/bias_v");
    if (packed && xq->ne[0] != xkv->ne[0])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: packed in_proj attention needs equal query/key widths (%lld vs %lld)",
                        (long long)xq->ne[0], (long long)xkv->ne[0]);
    if (xq->ne[2] != xkv->ne[2] || xq->ne[3] != 1 || xkv->ne[3] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: attention query/key batches differ or inputs have more than 3 dims");

    a2a_nn_linear pq, pk, pv;
    int64_t D;
    a2a_tensor wq, wk, wv, bq, bk, bv;
    if (packed) {
        if (m->in_proj.w->ne[1] % 3 != 0)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: in_proj weight rows %lld not divisible by 3",
                            (long long)m->in_proj.w->ne[1]);
        D = m->in_proj.w->ne[1] / 3;
        wq = rows_view(m->in_proj.w, 0, D);
        wk = rows_view(m->in_proj.w, D, D);
        wv = rows_view(m->in_proj.w, 2 * D, D);
        pq = (a2a_nn_linear){&wq, NULL};
        pk = (a2a_nn_linear){&wk, NULL};
        pv = (a2a_nn_linear){&wv, NULL};
        if (m->in_proj.b) {
            if (!is_float_vec(m->in_proj.b) || a2a_tensor_nelements(m->in_proj.b) != 3 * D)
                return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: in_proj bias does not have 3*%lld elements", (long long)D);
            int64_t ne1[1] = {D};
            a2a_tensor flat = *m->in_proj.b;
            flat = a2a_tensor_reshape(&flat, 1, (int64_t[1]){3 * D});
            bq = a2a_tensor_view(&flat, 1, ne1, (int64_t[1]){0});
            bk = a2a_tensor_view(&flat, 1, ne1, (int64_t[1]){D});
            bv = a2a_tensor_view(&flat, 1, ne1, (int64_t[1]){2 * D});
            pq.b = &bq;
            pk.b = &bk;
            pv.b = &bv;
        }
    } else {
        pq = m->q;
        pk = m->k;
        pv = m->v;
        D = m->q.w->ne[1];
        if (m->k.w->ne[1] != D || m->v.w->ne[1] != D)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: q/k/v projection widths differ (%lld, %lld, %lld)", (long long)D,
                            (long long)m->k.w->ne[1], (long long)m->v.w->ne[1]);
    }
    if (D % m->n_head != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: attention width %lld not divisible by %d heads", (long long)D,
                        m->n_head);
    const int64_t hd = D / m->n_head, H = m->n_head, n_q = xq->ne[1], n_kv0 = xkv->ne[1], B = xq->ne[2];
    const bool extra = m->bias_k != NULL;
    const int64_t n_kv = n_kv0 + (extra ? 1 : 0);
    if (extra && (!is_float_vec(m->bias_k) || !is_float_vec(m->bias_v) || a2a_tensor_nelements(m->bias_k) != D ||
                  a2a_tensor_nelements(m->bias_v) != D))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: bias_k/bias_v must hold %lld float elements", (long long)D);
    if (mask && (mask->type != A2A_TYPE_F32 || mask->ne[0] < n_kv0 || mask->ne[1] < n_q))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: attention mask must be F32 [>= %lld, >= %lld]", (long long)n_kv0,
                        (long long)n_q);

    size_t mark = a2a_arena_mark(tmp);
    a2a_status st = A2A_OK;
    a2a_tensor q, k, v, o, msk;
    int64_t ne_q[3] = {D, n_q, B}, ne_kv[3] = {D, n_kv, B}, ne_o[4] = {hd, H, n_q, B};
    if (!a2a_arena_tensor(tmp, &q, A2A_TYPE_F32, 3, ne_q) || !q.data ||
        !a2a_arena_tensor(tmp, &k, A2A_TYPE_F32, 3, ne_kv) || !k.data ||
        !a2a_arena_tensor(tmp, &v, A2A_TYPE_F32, 3, ne_kv) || !v.data ||
        !a2a_arena_tensor(tmp, &o, A2A_TYPE_F32, 4, ne_o) || !o.data) {
        a2a_arena_rewind(tmp, mark);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "nn: scratch arena too small for attention (%zu of %zu bytes used)",
                        tmp->used, tmp->cap);
    }
    q.n_dims = k.n_dims = v.n_dims = 3;
    st = a2a_nn_linear_fwd(ctx, tp, &q, &pq, xq);
    if (st == A2A_OK) st = project_into(ctx, tp, &k, &pk, xkv);
    if (st == A2A_OK) st = project_into(ctx, tp, &v, &pv, xkv);
    if (st != A2A_OK) goto done;
    const a2a_tensor *use_mask = mask;
    bool use_causal = causal;
    if (extra) {
        for (int64_t b = 0; b < B; b++) {
            float *kd = (float *)a2a_tensor_ptr(&k, 0, n_kv0, b, 0, 0);
            float *vd = (float *)a2a_tensor_ptr(&v, 0, n_kv0, b, 0, 0);
            for (int64_t i = 0; i < D; i++) {
                kd[i] = vec_at(m->bias_k, i);
                vd[i] = vec_at(m->bias_v, i);
            }
        }
        if (mask || causal) { /* the appended key is visible to every query: widen the mask */
            int64_t ne_m[2] = {n_kv, n_q};
            if (!a2a_arena_tensor(tmp, &msk, A2A_TYPE_F32, 2, ne_m) || !msk.data) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "nn: scratch arena too small for the attention mask");
                goto done;
            }
            for (int64_t i = 0; i < n_q; i++) {
                float *row = (float *)msk.data + i * n_kv;
                for (int64_t j = 0; j < n_kv0; j++) {
                    float val = mask ? *(const float *)a2a_tensor_ptr(mask, j, i, 0, 0, 0) : 0.0f;
                    if (causal && j > i) val = -INFINITY;
                    row[j] = val;
                }
                row[n_kv0] = 0.0f;
            }
            use_mask = &msk;
            use_causal = false;
        }
    }
    /* [D, n, B] viewed per head as [hd, n, H, B] (rows contiguous, strided) */
    a2a_tensor qh = q, kh = k, vh = v;
    qh.n_dims = kh.n_dims = vh.n_dims = 4;
    qh.ne[0] = kh.ne[0] = vh.ne[0] = hd;
    qh.ne[1] = n_q;
    kh.ne[1] = vh.ne[1] = n_kv;
    qh.ne[2] = kh.ne[2] = vh.ne[2] = H;
    qh.ne[3] = kh.ne[3] = vh.ne[3] = B;
    qh.nb[1] = kh.nb[1] = vh.nb[1] = (size_t)D * sizeof(float);
    qh.nb[2] = kh.nb[2] = vh.nb[2] = (size_t)hd * sizeof(float);
    qh.nb[3] = (size_t)D * n_q * sizeof(float);
    kh.nb[3] = vh.nb[3] = (size_t)D * n_kv * sizeof(float);
    qh.nb[4] = qh.nb[3] * B;
    kh.nb[4] = vh.nb[4] = kh.nb[3] * B;
    a2a_attention_params ap = a2a_attention_default_params();
    ap.scale = m->scale;
    ap.causal = use_causal;
    ap.kv_offset = 0;
    st = a2a_op_attention(ctx, tp, &o, &qh, &kh, &vh, use_mask, &ap);
    if (st != A2A_OK) goto done;
    a2a_tensor o2 = a2a_tensor_reshape(&o, 3, ne_q);
    st = a2a_nn_linear_fwd(ctx, tp, dst, &m->out, &o2);
done:
    a2a_arena_rewind(tmp, mark);
    return st;
}

a2a_status a2a_nn_layer_norm_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *dst,
                                 const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b, float eps) {
    size_t mark = a2a_arena_mark(tmp);
    const a2a_tensor *wp = w, *bp = b;
    a2a_tensor wt, bt;
    const a2a_tensor *src[2] = {w, b};
    a2a_tensor *cvt[2] = {&wt, &bt};
    const a2a_tensor **use[2] = {&wp, &bp};
    for (int i = 0; i < 2; i++) {
        const a2a_tensor *t = src[i];
        if (!t) continue;
        int64_t n = a2a_tensor_nelements(t);
        if (!is_float_vec(t) || n != x->ne[0]) {
            a2a_arena_rewind(tmp, mark);
            return a2a_fail(ctx, A2A_ERR_SHAPE, "nn: layer norm %s %s has %lld elements, rows have %lld",
                            i ? "bias" : "weight", t->name ? t->name : "", (long long)n, (long long)x->ne[0]);
        }
        if (t->type == A2A_TYPE_F32 && t->n_dims == 1) continue;
        if (!a2a_arena_tensor(tmp, cvt[i], A2A_TYPE_F32, 1, &n) || !cvt[i]->data) {
            a2a_arena_rewind(tmp, mark);
            return a2a_fail(ctx, A2A_ERR_NOMEM, "nn: scratch arena too small for layer norm parameters");
        }
        for (int64_t j = 0; j < n; j++) ((float *)cvt[i]->data)[j] = vec_at(t, j);
        *use[i] = cvt[i];
    }
    a2a_status st = a2a_op_layer_norm(ctx, tp, dst, x, wp, bp, eps);
    a2a_arena_rewind(tmp, mark);
    return st;
}

const a2a_tensor *a2a_nn_get(a2a_ctx *ctx, const struct a2a_gguf *g, const char *name, int n_dims, const int64_t *ne,
                             bool required) {
    const a2a_tensor *t = a2a_gguf_find_tensor(g, name);
    if (!t) {
        if (required) a2a_fail(ctx, A2A_ERR_NOT_FOUND, "missing tensor %s", name);
        return NULL;
    }
    bool ok = true;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        int64_t want = i < n_dims ? ne[i] : 1;
        if (want >= 0 && t->ne[i] != want) ok = false;
    }
    if (!ok) {
        char got[96], exp[96];
        size_t p = 0;
        exp[0] = 0;
        for (int i = 0; i < n_dims && p < sizeof exp; i++)
            p += (size_t)snprintf(exp + p, sizeof exp - p, i ? ", %lld" : "%lld", (long long)ne[i]);
        a2a_fail(ctx, A2A_ERR_SHAPE, "tensor %s has shape %s, expected [%s]", name, a2a_tensor_shape_str(t, got, sizeof got),
                 exp);
        return NULL;
    }
    return t;
}
