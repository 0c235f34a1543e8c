/* BLIP-2 Q-Former projector: query_tokens -> Blip2QFormerModel -> language_projection, as
   transformers' Blip2ForConditionalGeneration.get_image_features computes it after the vision
   tower (see projector.h for the GGUF layout):

     x = LayerNorm(query_tokens)                                  (qformer.layernorm)
     per layer i:
       x = LayerNorm(SelfAttn(x) + x)                             (attention.*; all-ones mask)
       if i % cross_attention_frequency == 0:
         x = LayerNorm(CrossAttn(q = x, kv = image features) + x) (crossattention.*)
       x = LayerNorm(output_query(act(intermediate_query(x))) + x)
     out = language_projection(x)                                 [d_llm, n_query]

   Dropout is identity (inference); masks are all ones, so no masking happens. */
#include "core/arena.h"
#include "kernels/ops.h"
#include "models/projectors/projector_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Name of layer i's tensor "qformer.encoder.layer.<i>.<suffix>" into buf. */
static const char *lname(char *buf, size_t cap, int i, const char *suffix) {
    snprintf(buf, cap, "qformer.encoder.layer.%d.%s", i, suffix);
    return buf;
}

/* Load one attention block (self: key/value from H; cross: from Din) into *m and its output
   LayerNorm. part is "attention" or "crossattention". */
static a2a_status load_attn(a2a_ctx *ctx, const a2a_projector *p, int i, const char *part, int64_t kv_dim, a2a_nn_mha *m,
                            const a2a_tensor **ln_w, const a2a_tensor **ln_b) {
    const a2a_gguf *g = p->g;
    const int64_t H = p->hidden;
    char nm[160], suf[96];
    a2a_status st = A2A_OK;
    memset(m, 0, sizeof(*m));
    m->n_head = p->n_head;
    m->scale = 0.0f;
    struct {
        const char *name;
        int64_t in;
        a2a_nn_linear *l;
    } lin[4] = {{"attention.query", H, &m->q}, {"attention.key", kv_dim, &m->k}, {"attention.value", kv_dim, &m->v},
                {"output.dense", H, &m->out}};
    for (int j = 0; j < 4; j++) {
        snprintf(suf, sizeof(suf), "%s.%s.weight", part, lin[j].name);
        if (!(lin[j].l->w = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, suf), lin[j].in, H, false, &st))) return st;
        snprintf(suf, sizeof(suf), "%s.%s.bias", part, lin[j].name);
        if (!(lin[j].l->b = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, suf), H, 0, false, &st))) return st;
    }
    snprintf(suf, sizeof(suf), "%s.output.LayerNorm.weight", part);
    if (!(*ln_w = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, suf), H, 0, false, &st))) return st;
    snprintf(suf, sizeof(suf), "%s.output.LayerNorm.bias", part);
    if (!(*ln_b = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, suf), H, 0, false, &st))) return st;
    return A2A_OK;
}

/* Contract in projector_impl.h. */
a2a_status a2a_projector_load_qformer(a2a_ctx *ctx, a2a_projector *p) {
    const a2a_gguf *g = p->g;
    a2a_status st;
    int64_t n_layer, n_head, freq;
    if ((st = a2a_projector_meta_u32(ctx, g, "qformer.hidden_size", A2A_PROJECTOR_MAX_DIM, &p->hidden)) ||
        (st = a2a_projector_meta_u32(ctx, g, "qformer.block_count", 256, &n_layer)) ||
        (st = a2a_projector_meta_u32(ctx, g, "qformer.head_count", 1024, &n_head)) ||
        (st = a2a_projector_meta_u32(ctx, g, "qformer.feed_forward_length", A2A_PROJECTOR_MAX_DIM * 4, &p->n_ff)) ||
        (st = a2a_projector_meta_u32(ctx, g, "qformer.query_count", 4096, &p->n_query)) ||
        (st = a2a_projector_meta_u32(ctx, g, "qformer.cross_attention_frequency", 256, &freq)))
        return st;
    p->n_layer = (int)n_layer;
    p->n_head = (int)n_head;
    p->cross_freq = (int)freq;
    p->act = A2A_NN_ACT_GELU;
    p->eps = 1e-12f;
    if (a2a_gguf_find_key(g, "projector.qformer.layer_norm_eps") >= 0 &&
        (st = a2a_gguf_get_f32(ctx, g, "projector.qformer.layer_norm_eps", &p->eps)))
        return st;
    if (!(p->eps > 0) || !isfinite(p->eps))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "projector: projector.qformer.layer_norm_eps %g is invalid", (double)p->eps);
    if (p->hidden % p->n_head)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "projector: qformer hidden_size %lld is not a multiple of head_count %d",
                        (long long)p->hidden, p->n_head);
    const int64_t H = p->hidden;
    if (!(p->query_tokens = a2a_projector_tensor(ctx, g, "query_tokens", H, p->n_query, true, &st)) ||
        !(p->ln_w = a2a_projector_tensor(ctx, g, "qformer.layernorm.weight", H, 0, false, &st)) ||
        !(p->ln_b = a2a_projector_tensor(ctx, g, "qformer.layernorm.bias", H, 0, false, &st)) ||
        !(p->lang_proj.w = a2a_projector_tensor(ctx, g, "language_projection.weight", H, p->out_dim, false, &st)) ||
        !(p->lang_proj.b = a2a_projector_tensor(ctx, g, "language_projection.bias", p->out_dim, 0, false, &st)))
        return st;
    p->layers = calloc((size_t)p->n_layer, sizeof(a2a_qformer_layer));
    if (!p->layers) return a2a_fail(ctx, A2A_ERR_NOMEM, "projector: out of memory");
    char nm[160];
    for (int i = 0; i < p->n_layer; i++) {
        a2a_qformer_layer *L = &p->layers[i];
        if ((st = load_attn(ctx, p, i, "attention", H, &L->self_attn, &L->self_ln_w, &L->self_ln_b))) return st;
        L->has_cross = i % p->cross_freq == 0;
        if (L->has_cross &&
            (st = load_attn(ctx, p, i, "crossattention", p->in_dim, &L->cross_attn, &L->cross_ln_w, &L->cross_ln_b)))
            return st;
        if (!L->has_cross && a2a_gguf_find_tensor(g, lname(nm, sizeof(nm), i, "crossattention.attention.query.weight")))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "projector: layer %d has cross-attention weights but cross_attention_frequency is %d",
                            i, p->cross_freq);
        L->ffn.act = p->act;
        if (!(L->ffn.fc1.w = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "intermediate_query.dense.weight"), H,
                                                   p->n_ff, false, &st)) ||
            !(L->ffn.fc1.b = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "intermediate_query.dense.bias"), p->n_ff,
                                                   0, false, &st)) ||
            !(L->ffn.fc2.w = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "output_query.dense.weight"), p->n_ff, H,
                                                   false, &st)) ||
            !(L->ffn.fc2.b = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "output_query.dense.bias"), H, 0, false,
                                                   &st)) ||
            !(L->ffn_ln_w = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "output_query.LayerNorm.weight"), H, 0,
                                                 false, &st)) ||
            !(L->ffn_ln_b = a2a_projector_tensor(ctx, g, lname(nm, sizeof(nm), i, "output_query.LayerNorm.bias"), H, 0,
                                                 false, &st)))
            return st;
    }
    return A2A_OK;
}

/* x = LayerNorm(a + x) with weight w, bias b (a is overwritten). */
static a2a_status residual_norm(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *x, a2a_tensor *a,
                                const a2a_tensor *w, const a2a_tensor *b, float eps) {
    a2a_status st = a2a_op_add(ctx, tp, a, a, x);
    if (st) return st;
    return a2a_nn_layer_norm_fwd(ctx, tp, tmp, x, a, w, b, eps);
}

/* Contract in projector_impl.h; the scratch arena holds x and a ([H, n_query] each) plus what
   the attention and MLP helpers need (q, k, v, attention output; the F hidden activation). */
a2a_status a2a_projector_forward_qformer(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                         int64_t n, float *out) {
    const int64_t H = p->hidden, nq = p->n_query;
    a2a_tensor img, y;
    int64_t ne_img[2] = {p->in_dim, n}, ne_y[2] = {p->out_dim, nq}, ne_x[2] = {H, nq};
    if (!a2a_tensor_init(&img, A2A_TYPE_F32, 2, ne_img, (void *)in) || !a2a_tensor_init(&y, A2A_TYPE_F32, 2, ne_y, out))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector: %lld tokens of width %lld is too large", (long long)n,
                        (long long)p->in_dim);
    /* scratch: x, a, mha (2 nq + 2 max(nq, n)) * H, mlp nq * F, layer norm params 2 H; 64-byte slack each */
    const int64_t nkv = A2A_MAX(nq, n);
    size_t floats = (size_t)(2 * nq * H + (2 * nq + 2 * nkv) * H + nq * p->n_ff + 4 * H);
    size_t bytes = floats * sizeof(float) + 32 * A2A_ARENA_ALIGN;
    a2a_arena tmp;
    a2a_status st = a2a_arena_init(ctx, &tmp, bytes);
    if (st) return st;
    a2a_tensor x, a;
    if (!a2a_arena_tensor(&tmp, &x, A2A_TYPE_F32, 2, ne_x) || !a2a_arena_tensor(&tmp, &a, A2A_TYPE_F32, 2, ne_x)) {
        a2a_arena_free(&tmp);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "projector: qformer scratch too small");
    }
    st = a2a_nn_layer_norm_fwd(ctx, tp, &tmp, &x, p->query_tokens, p->ln_w, p->ln_b, p->eps);
    for (int i = 0; i < p->n_layer && !st; i++) {
        const a2a_qformer_layer *L = &p->layers[i];
        st = a2a_nn_mha_fwd(ctx, tp, &tmp, &a, &L->self_attn, &x, &x, NULL, false);
        if (!st) st = residual_norm(ctx, tp, &tmp, &x, &a, L->self_ln_w, L->self_ln_b, p->eps);
        if (!st && L->has_cross) {
            st = a2a_nn_mha_fwd(ctx, tp, &tmp, &a, &L->cross_attn, &x, &img, NULL, false);
            if (!st) st = residual_norm(ctx, tp, &tmp, &x, &a, L->cross_ln_w, L->cross_ln_b, p->eps);
        }
        if (!st) st = a2a_nn_mlp_fwd(ctx, tp, &tmp, &a, &L->ffn, &x);
        if (!st) st = residual_norm(ctx, tp, &tmp, &x, &a, L->ffn_ln_w, L->ffn_ln_b, p->eps);
        if (st) a2a_error_prefix(ctx, "projector: qformer layer %d", i);
    }
    if (!st) st = a2a_nn_linear_fwd(ctx, tp, &y, &p->lang_proj, &x);
    a2a_arena_free(&tmp);
    return st;
}
