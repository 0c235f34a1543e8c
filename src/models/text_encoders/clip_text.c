/* transformers CLIPTextModel / CLIPTextModelWithProjection: loader, forward, converter.
   See clip_text.h for the contracts. */
#include "models/text_encoders/clip_text.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/hf_folder.h"
#include "io/gguf_meta.h"
#include "io/json.h"
#include "io/weights.h"
#include "kernels/ops.h"
#include "models/common/nn.h"
#include "text/clip_vocab.h"

#define CT_ARCH "clip_text"
#define CT_NAME_MAX 512

/* One encoder layer (CLIPEncoderLayer). */
typedef struct ct_layer {
    const a2a_tensor *ln1_w, *ln1_b; /* layer_norm1 [D] F32/F16 */
    const a2a_tensor *ln2_w, *ln2_b; /* layer_norm2 [D] */
    a2a_nn_mha attn;                 /* q/k/v/out_proj: w [D, D], b [D] */
    a2a_nn_mlp mlp;                  /* fc1 w [D, I] b [I]; fc2 w [I, D] b [D] */
} ct_layer;

struct a2a_clip_text {
    a2a_clip_text_config cfg;
    a2a_gguf *own;                   /* the file when a2a_clip_text_load opened it */
    a2a_clip_vocab *vocab;           /* owned; NULL when the file has none */
    const a2a_tensor *tok_emb;       /* [D, V] F32/F16 */
    const a2a_tensor *pos_emb;       /* [D, P] F32/F16 */
    const a2a_tensor *fln_w, *fln_b; /* final_layer_norm [D] */
    const a2a_tensor *proj;          /* text_projection [D, E] or NULL */
    ct_layer *layers;                /* [n_layers] */
};

/* ======================================================================== config */

static const char *act_name(a2a_nn_act a) { return a == A2A_NN_ACT_GELU ? "gelu" : "quick_gelu"; }

static a2a_status check_config(a2a_ctx *ctx, const a2a_clip_text_config *c) {
    if (c->n_layers < 1 || c->n_layers > A2A_CLIP_TEXT_MAX_LAYERS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: %d layers (1..%d supported)", c->n_layers,
                        A2A_CLIP_TEXT_MAX_LAYERS);
    if (c->hidden_size < 1 || c->hidden_size > A2A_CLIP_TEXT_MAX_WIDTH || c->intermediate_size < 1 ||
        c->intermediate_size > A2A_CLIP_TEXT_MAX_WIDTH || c->projection_dim < 0 ||
        c->projection_dim > A2A_CLIP_TEXT_MAX_WIDTH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: bad widths hidden %d, intermediate %d, projection %d",
                        c->hidden_size, c->intermediate_size, c->projection_dim);
    if (c->n_heads < 1 || c->hidden_size % c->n_heads)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: %d heads do not divide hidden size %d", c->n_heads,
                        c->hidden_size);
    if (c->vocab_size < 1 || c->vocab_size > A2A_CLIP_TEXT_MAX_VOCAB)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: vocab_size %d (1..%d)", c->vocab_size, A2A_CLIP_TEXT_MAX_VOCAB);
    if (c->max_position_embeddings < 1 || c->max_position_embeddings > A2A_CLIP_TEXT_MAX_POS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: max_position_embeddings %d (1..%d)",
                        c->max_position_embeddings, A2A_CLIP_TEXT_MAX_POS);
    if (!(c->layer_norm_eps > 0.0f) || !isfinite(c->layer_norm_eps))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: layer_norm_eps %g", (double)c->layer_norm_eps);
    if (c->act != A2A_NN_ACT_GELU && c->act != A2A_NN_ACT_QUICK_GELU)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text: activation %d (quick_gelu or gelu)", (int)c->act);
    return A2A_OK;
}

static a2a_status parse_act(a2a_ctx *ctx, const char *s, size_t len, a2a_nn_act *out) {
    if (len == 10 && memcmp(s, "quick_gelu", 10) == 0) *out = A2A_NN_ACT_QUICK_GELU;
    else if (len == 4 && memcmp(s, "gelu", 4) == 0) *out = A2A_NN_ACT_GELU;
    else return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text: hidden_act '%.*s' (quick_gelu or gelu)", (int)len, s);
    return A2A_OK;
}

static a2a_status load_config(a2a_ctx *ctx, const a2a_gguf *g, a2a_clip_text_config *c) {
    memset(c, 0, sizeof *c);
    a2a_status st;
    int eos = 0, bos = 0, pad = 0;
    const a2a_meta m = {ctx, g, CT_ARCH, "clip_text"};
    if ((st = a2a_meta_u32(&m, "vocab_size", true, 0, 0, INT32_MAX, &c->vocab_size)) ||
        (st = a2a_meta_u32(&m, "hidden_size", true, 0, 0, INT32_MAX, &c->hidden_size)) ||
        (st = a2a_meta_u32(&m, "intermediate_size", true, 0, 0, INT32_MAX, &c->intermediate_size)) ||
        (st = a2a_meta_u32(&m, "num_hidden_layers", true, 0, 0, INT32_MAX, &c->n_layers)) ||
        (st = a2a_meta_u32(&m, "num_attention_heads", true, 0, 0, INT32_MAX, &c->n_heads)) ||
        (st = a2a_meta_u32(&m, "max_position_embeddings", true, 0, 0, INT32_MAX, &c->max_position_embeddings)) ||
        (st = a2a_meta_u32(&m, "projection_dim", false, 0, 0, INT32_MAX, &c->projection_dim)) ||
        (st = a2a_meta_u32(&m, "eos_token_id", false, 49407, 0, INT32_MAX, &eos)) ||
        (st = a2a_meta_u32(&m, "bos_token_id", false, 49406, 0, INT32_MAX, &bos)) ||
        (st = a2a_meta_u32(&m, "pad_token_id", false, 1, 0, INT32_MAX, &pad)))
        return st;
    c->eos_token_id = eos;
    c->bos_token_id = bos;
    c->pad_token_id = pad;
    st = a2a_gguf_get_f32(ctx, g, CT_ARCH ".layer_norm_eps", &c->layer_norm_eps);
    if (st == A2A_ERR_NOT_FOUND) c->layer_norm_eps = 1e-5f;
    else if (st != A2A_OK) return st;
    const char *act;
    size_t al;
    st = a2a_gguf_get_str(ctx, g, CT_ARCH ".hidden_act", &act, &al);
    if (st == A2A_ERR_NOT_FOUND) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: missing metadata " CT_ARCH ".hidden_act");
    if (st != A2A_OK) return st;
    if ((st = parse_act(ctx, act, al, &c->act))) return st;
    return check_config(ctx, c);
}

/* ======================================================================== loading */

typedef struct loader {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix;
    a2a_status st;
} loader;

/* Tensor prefix + fmt of shape ne (n dims); kind 1: F32/F16, 2: any matmul type. Missing and
   required -> error; missing and optional -> NULL. */
static const a2a_tensor *ld(loader *l, bool required, int kind, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static const a2a_tensor *ld(loader *l, bool required, int kind, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[CT_NAME_MAX];
    int pl = snprintf(name, sizeof name, "%s", l->prefix);
    if (pl < 0 || pl >= 256) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "clip_text: tensor prefix too long");
        return NULL;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + pl, sizeof name - (size_t)pl, fmt, ap);
    va_end(ap);
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, n, ne, required);
    if (!t) {
        if (required) l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    if (kind == 1 && t->type != A2A_TYPE_F32 && t->type != A2A_TYPE_F16) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected F32 or F16", name,
                         a2a_type_name(t->type));
        return NULL;
    }
    return t;
}

a2a_status a2a_clip_text_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_clip_text **out) {
    *out = NULL;
    a2a_clip_text *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: out of memory");
    a2a_status st = load_config(ctx, g, &m->cfg);
    if (st != A2A_OK) goto fail;
    const a2a_clip_text_config *c = &m->cfg;
    m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!m->layers) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: out of memory");
        goto fail;
    }
    loader l = {ctx, g, prefix ? prefix : "", A2A_OK};
    const int64_t D = c->hidden_size, I = c->intermediate_size;
    const int64_t vd[1] = {D}, vi[1] = {I}, dd[2] = {D, D}, di[2] = {D, I}, id[2] = {I, D};
    const int64_t te[2] = {D, c->vocab_size}, pe[2] = {D, c->max_position_embeddings}, pr[2] = {D, c->projection_dim};
    m->tok_emb = ld(&l, true, 1, 2, te, "text_model.embeddings.token_embedding.weight");
    m->pos_emb = ld(&l, true, 1, 2, pe, "text_model.embeddings.position_embedding.weight");
    for (int i = 0; i < c->n_layers && l.st == A2A_OK; i++) {
        ct_layer *L = &m->layers[i];
        const char *p = "text_model.encoder.layers";
        L->ln1_w = ld(&l, true, 1, 1, vd, "%s.%d.layer_norm1.weight", p, i);
        L->ln1_b = ld(&l, true, 1, 1, vd, "%s.%d.layer_norm1.bias", p, i);
        L->ln2_w = ld(&l, true, 1, 1, vd, "%s.%d.layer_norm2.weight", p, i);
        L->ln2_b = ld(&l, true, 1, 1, vd, "%s.%d.layer_norm2.bias", p, i);
        L->attn.n_head = c->n_heads;
        L->attn.scale = 0.0f; /* head_dim^-0.5 */
        a2a_nn_linear *lin[4] = {&L->attn.q, &L->attn.k, &L->attn.v, &L->attn.out};
        const char *nm[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
        for (int j = 0; j < 4; j++) {
            lin[j]->w = ld(&l, true, 2, 2, dd, "%s.%d.self_attn.%s.weight", p, i, nm[j]);
            lin[j]->b = ld(&l, true, 1, 1, vd, "%s.%d.self_attn.%s.bias", p, i, nm[j]);
        }
        L->mlp.fc1.w = ld(&l, true, 2, 2, di, "%s.%d.mlp.fc1.weight", p, i);
        L->mlp.fc1.b = ld(&l, true, 1, 1, vi, "%s.%d.mlp.fc1.bias", p, i);
        L->mlp.fc2.w = ld(&l, true, 2, 2, id, "%s.%d.mlp.fc2.weight", p, i);
        L->mlp.fc2.b = ld(&l, true, 1, 1, vd, "%s.%d.mlp.fc2.bias", p, i);
        L->mlp.act = c->act;
    }
    m->fln_w = ld(&l, true, 1, 1, vd, "text_model.final_layer_norm.weight");
    m->fln_b = ld(&l, true, 1, 1, vd, "text_model.final_layer_norm.bias");
    if (c->projection_dim > 0) m->proj = ld(&l, true, 2, 2, pr, "text_projection.weight");
    if ((st = l.st) != A2A_OK) goto fail;
    /* the vocabulary, when the file holds a CLIP one */
    const char *model;
    size_t ml;
    if (a2a_gguf_get_str(NULL, g, "tokenizer.ggml.model", &model, &ml) == A2A_OK && ml == 4 &&
        memcmp(model, "clip", 4) == 0) {
        if ((st = a2a_clip_vocab_load_gguf(ctx, g, &m->vocab)) != A2A_OK) goto fail;
        if (m->vocab->n_tokens > c->vocab_size) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: the stored vocabulary has %d tokens, the model %d",
                          (int)m->vocab->n_tokens, c->vocab_size);
            goto fail;
        }
    }
    *out = m;
    return A2A_OK;
fail:
    a2a_clip_text_free(m);
    return st;
}

a2a_status a2a_clip_text_load(a2a_ctx *ctx, const char *path, a2a_clip_text **out) {
    *out = NULL;
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st != A2A_OK) return st;
    st = a2a_clip_text_load_gguf(ctx, g, "", out);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "%s", path);
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_clip_text_free(a2a_clip_text *m) {
    if (!m) return;
    a2a_clip_vocab_free(m->vocab);
    a2a_gguf_close(m->own);
    free(m->layers);
    free(m);
}

const a2a_clip_text_config *a2a_clip_text_get_config(const a2a_clip_text *m) { return &m->cfg; }

int a2a_clip_text_pooled_dim(const a2a_clip_text *m) {
    return m->proj ? m->cfg.projection_dim : m->cfg.hidden_size;
}

const a2a_clip_vocab *a2a_clip_text_vocab(const a2a_clip_text *m) { return m->vocab; }

/* ======================================================================== forward */

static inline float row_at(const a2a_tensor *t, int64_t row, int64_t i) {
    if (t->type == A2A_TYPE_F16) return a2a_fp16_to_f32(((const a2a_fp16 *)((const char *)t->data + row * t->nb[1]))[i]);
    return ((const float *)((const char *)t->data + row * t->nb[1]))[i];
}

/* EOS position of one sequence (CLIPTextTransformer.forward's pooled_output index). */
static int eos_pos(const a2a_clip_text_config *c, const int32_t *ids, int T) {
    int best = 0;
    if (c->eos_token_id == 2) {
        for (int t = 1; t < T; t++)
            if (ids[t] > ids[best]) best = t;
        return best;
    }
    for (int t = 0; t < T; t++)
        if (ids[t] == c->eos_token_id) return t;
    return 0;
}

/* Arena bytes for B sequences of T tokens. */
static size_t plan_bytes(const a2a_clip_text_config *c, int64_t B, int64_t T) {
    const int64_t D = c->hidden_size, I = c->intermediate_size, E = c->projection_dim > D ? c->projection_dim : D;
    /* x, h, a [D,T,B]; mha scratch q,k,v,o (4 [D,T,B]); mlp hidden [I,T,B]; mask [T,T];
       pooled rows [D,B] x2 + [E,B]; layer-norm parameter copies 2 [D] (F16 weights) */
    double f = (double)D * T * B * 7 + (double)I * T * B + (double)T * T + (double)(2 * D + E) * B + 4.0 * D;
    double bytes = f * sizeof(float) + 64.0 * 32;
    return bytes > (double)SIZE_MAX / 2 ? 0 : (size_t)bytes;
}

/* Run B sequences (ids [B][T]) as one batch; amask: NULL, or (B == 1) the sequence's mask.
   hidden: NULL or [B][T][D]; pooled: NULL or [B][pooled_dim]. */
static a2a_status run_batch(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m, a2a_arena *ar, const int32_t *ids,
                            int B, int T, const int32_t *amask, int clip_skip, float *hidden, float *pooled) {
    const a2a_clip_text_config *c = &m->cfg;
    const int64_t D = c->hidden_size;
    const int Lr = pooled ? c->n_layers : c->n_layers - clip_skip, keep = c->n_layers - clip_skip;
    a2a_arena_reset(ar);
    a2a_tensor x, h, a, msk, hid;
    int64_t ne[3] = {D, T, B}, nm[2] = {T, T};
    if (!a2a_arena_tensor(ar, &x, A2A_TYPE_F32, 3, ne) || !a2a_arena_tensor(ar, &h, A2A_TYPE_F32, 3, ne) ||
        !a2a_arena_tensor(ar, &a, A2A_TYPE_F32, 3, ne) || !x.data || !h.data || !a.data)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: activation arena too small");
    if (hidden && !a2a_tensor_init(&hid, A2A_TYPE_F32, 3, ne, hidden))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: bad output shape");
    const a2a_tensor *mask = NULL;
    if (amask) {
        if (!a2a_arena_tensor(ar, &msk, A2A_TYPE_F32, 2, nm) || !msk.data)
            return a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: activation arena too small");
        /* torch: causal mask (finfo.min above the diagonal) + padding mask (finfo.min at hidden
           keys); both -> -inf (the float sum overflows) */
        float *mv = (float *)msk.data;
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++) {
                int n = (j > i) + (amask[j] == 0);
                mv[(size_t)i * T + j] = n == 0 ? 0.0f : n == 1 ? -FLT_MAX : -INFINITY;
            }
        mask = &msk;
    }
    /* embeddings */
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *xr = (float *)x.data + ((size_t)b * T + t) * D;
            const int64_t id = ids[(size_t)b * T + t];
            for (int64_t i = 0; i < D; i++) xr[i] = row_at(m->tok_emb, id, i) + row_at(m->pos_emb, t, i);
        }
    const float eps = c->layer_norm_eps;
    a2a_status st = A2A_OK;
    if (keep == 0 && hidden) st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &hid, &x, m->fln_w, m->fln_b, eps);
    for (int l = 0; l < Lr && st == A2A_OK; l++) {
        const ct_layer *L = &m->layers[l];
        if ((st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &h, &x, L->ln1_w, L->ln1_b, eps)) ||
            (st = a2a_nn_mha_fwd(ctx, tp, ar, &a, &L->attn, &h, &h, mask, mask == NULL)) ||
            (st = a2a_op_add(ctx, tp, &x, &x, &a)) ||
            (st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &h, &x, L->ln2_w, L->ln2_b, eps)) ||
            (st = a2a_nn_mlp_fwd(ctx, tp, ar, &a, &L->mlp, &h)) || (st = a2a_op_add(ctx, tp, &x, &x, &a)))
            break;
        if (l + 1 == keep && hidden) st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &hid, &x, m->fln_w, m->fln_b, eps);
    }
    if (st != A2A_OK || !pooled) return st;
    /* pooled: the EOS rows of final_layer_norm(x) (+ text_projection) */
    a2a_tensor pr, po;
    int64_t np[2] = {D, B}, ne_o[2] = {a2a_clip_text_pooled_dim(m), B};
    if (!a2a_arena_tensor(ar, &pr, A2A_TYPE_F32, 2, np) || !pr.data)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: activation arena too small");
    for (int b = 0; b < B; b++) {
        int p = eos_pos(c, ids + (size_t)b * T, T);
        memcpy((float *)pr.data + (size_t)b * D, (const float *)x.data + ((size_t)b * T + p) * D, sizeof(float) * D);
    }
    if ((st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &pr, &pr, m->fln_w, m->fln_b, eps))) return st;
    a2a_tensor_init(&po, A2A_TYPE_F32, 2, ne_o, pooled);
    if (!m->proj) {
        memcpy(pooled, pr.data, sizeof(float) * (size_t)D * B);
        return A2A_OK;
    }
    a2a_nn_linear lin = {m->proj, NULL};
    return a2a_nn_linear_fwd(ctx, tp, &po, &lin, &pr);
}

a2a_status a2a_clip_text_encode_ex(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m, const int32_t *ids,
                                   int n_seq, int n_tok, const int32_t *attn_mask, int clip_skip, float *hidden,
                                   float *pooled) {
    const a2a_clip_text_config *c = &m->cfg;
    if (!ids || (!hidden && !pooled))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: no ids or no output buffer");
    if (n_seq < 1 || n_seq > A2A_CLIP_TEXT_MAX_SEQ)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: %d sequences (1..%d)", n_seq, A2A_CLIP_TEXT_MAX_SEQ);
    if (n_tok < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: %d tokens per sequence", n_tok);
    if (n_tok > c->max_position_embeddings)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "clip_text: %d tokens per sequence, the model has %d positions", n_tok,
                        c->max_position_embeddings);
    if (clip_skip < 0 || clip_skip > c->n_layers)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: clip_skip %d (0..%d)", clip_skip, c->n_layers);
    for (int b = 0; b < n_seq; b++)
        for (int t = 0; t < n_tok; t++) {
            int32_t id = ids[(size_t)b * n_tok + t];
            if (id < 0 || id >= c->vocab_size)
                return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: token id %d at sequence %d position %d (vocab %d)",
                                (int)id, b, t, c->vocab_size);
        }
    const int B = attn_mask ? 1 : n_seq;
    size_t bytes = plan_bytes(c, B, n_tok);
    if (!bytes) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: %d x %d tokens is too large", n_seq, n_tok);
    a2a_arena ar;
    a2a_status st = a2a_arena_init(ctx, &ar, bytes);
    if (st != A2A_OK) return st;
    if (!attn_mask) {
        st = run_batch(ctx, tp, m, &ar, ids, n_seq, n_tok, NULL, clip_skip, hidden, pooled);
    } else {
        const size_t D = (size_t)c->hidden_size, P = (size_t)a2a_clip_text_pooled_dim(m);
        for (int b = 0; b < n_seq && st == A2A_OK; b++)
            st = run_batch(ctx, tp, m, &ar, ids + (size_t)b * n_tok, 1, n_tok, attn_mask + (size_t)b * n_tok, clip_skip,
                           hidden ? hidden + (size_t)b * n_tok * D : NULL, pooled ? pooled + (size_t)b * P : NULL);
    }
    a2a_arena_free(&ar);
    return st;
}

a2a_status a2a_clip_text_encode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m, const int32_t *ids,
                                int n_seq, int clip_skip, float *hidden, float *pooled) {
    return a2a_clip_text_encode_ex(ctx, tp, m, ids, n_seq, A2A_CLIP_CONTEXT, NULL, clip_skip, hidden, pooled);
}

/* transformers' slow tokenizers split the raw text at every added special token before
   tokenizing the pieces; for CLIP that is SOT/EOT (which a2a_clip_tokenize handles) and the pad
   token when it is another text -- SD 2.x's "!": a "!" in a prompt becomes the pad id 0 there,
   never part of a merged token such as "!!</w>". Ids of text[0..len) without SOT/EOT into a
   malloc'd *ids (*n of them). */
static a2a_status tokenize_hf(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, int32_t **ids,
                              size_t *n) {
    size_t plen = 0;
    const char *ptxt = v->pad >= 0 && v->pad != v->sot && v->pad != v->eot ? a2a_clip_vocab_text(v, v->pad, &plen) : NULL;
    if (!ptxt || plen == 0) return a2a_clip_tokenize(ctx, v, text, len, A2A_CLIP_CLEAN_HF, ids, n);
    *ids = NULL;
    *n = 0;
    size_t cap = 0, pos = 0;
    a2a_status st = A2A_OK;
    while (st == A2A_OK) {
        size_t end = pos;
        while (end + plen <= len && memcmp(text + end, ptxt, plen) != 0) end++;
        const bool found = end + plen <= len;
        if (!found) end = len;
        int32_t *pid = NULL;
        size_t pn = 0;
        if (end > pos && (st = a2a_clip_tokenize(ctx, v, text + pos, end - pos, A2A_CLIP_CLEAN_HF, &pid, &pn))) break;
        size_t need = *n + pn + 1;
        if (need > cap) {
            size_t nc = cap ? cap : 64;
            while (nc < need) nc *= 2;
            int32_t *g = realloc(*ids, nc * sizeof(int32_t));
            if (!g) {
                free(pid);
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: out of memory");
                break;
            }
            *ids = g;
            cap = nc;
        }
        if (pn) memcpy(*ids + *n, pid, pn * sizeof(int32_t));
        *n += pn;
        free(pid);
        if (!found) break;
        (*ids)[(*n)++] = v->pad;
        pos = end + plen;
    }
    if (st != A2A_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return st;
}

a2a_status a2a_clip_text_tokenize(a2a_ctx *ctx, const a2a_clip_text *m, const char *prompt, int32_t *ids) {
    const a2a_clip_vocab *v = m->vocab;
    if (!v) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text: the model file holds no tokenizer vocabulary");
    if (!prompt) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: NULL prompt");
    int32_t *tok;
    size_t n;
    a2a_status st = tokenize_hf(ctx, v, prompt, strlen(prompt), &tok, &n);
    if (st != A2A_OK) return st;
    /* CLIPTokenizer(padding="max_length", max_length=77, truncation=True): SOT, at most 75 ids,
       EOT, then the pad id (EOT when the file names none) */
    const int32_t pad = v->pad >= 0 ? v->pad : v->eot;
    size_t k = 0;
    ids[k++] = v->sot;
    for (size_t i = 0; i < n && k < A2A_CLIP_CONTEXT - 1; i++) ids[k++] = tok[i];
    ids[k++] = v->eot;
    while (k < A2A_CLIP_CONTEXT) ids[k++] = pad;
    free(tok);
    for (int i = 0; i < A2A_CLIP_CONTEXT; i++)
        if (ids[i] >= m->cfg.vocab_size)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: token id %d beyond the model's vocab_size %d",
                            (int)ids[i], m->cfg.vocab_size);
    return A2A_OK;
}

a2a_status a2a_clip_text_encode_prompts(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m,
                                        const char *const *prompts, int n_prompts, int clip_skip, float *hidden,
                                        float *pooled) {
    if (n_prompts < 1 || n_prompts > A2A_CLIP_TEXT_MAX_SEQ || !prompts)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text: %d prompts (1..%d)", n_prompts, A2A_CLIP_TEXT_MAX_SEQ);
    int32_t *ids = malloc(sizeof(int32_t) * A2A_CLIP_CONTEXT * (size_t)n_prompts);
    if (!ids) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text: out of memory");
    a2a_status st = A2A_OK;
    for (int i = 0; i < n_prompts && st == A2A_OK; i++) {
        st = a2a_clip_text_tokenize(ctx, m, prompts[i], ids + (size_t)i * A2A_CLIP_CONTEXT);
        if (st != A2A_OK) a2a_error_prefix(ctx, "prompt %d", i);
    }
    if (st == A2A_OK) st = a2a_clip_text_encode(ctx, tp, m, ids, n_prompts, clip_skip, hidden, pooled);
    free(ids);
    return st;
}

/* ======================================================================== converter */

a2a_clip_text_convert_params a2a_clip_text_convert_default_params(void) {
    a2a_clip_text_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL, NULL};
    return p;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* config.json -> c (projection_dim left 0: decided by the checkpoint's tensors). */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_clip_text_config *c) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    const char *mt = a2a_json_str_or(a2a_json_get(root, "model_type"), "clip_text_model");
    if (!a2a_json_is_object(root)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text convert: %s is not a JSON object", path);
    } else if (strcmp(mt, "clip_text_model") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text convert: %s: model_type '%s' (only clip_text_model)", path,
                      mt);
    } else {
        const char *keys[7] = {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                               "num_attention_heads", "max_position_embeddings", NULL};
        const int64_t defs[6] = {49408, 512, 2048, 12, 8, 77};
        int *dst[6] = {&c->vocab_size, &c->hidden_size, &c->intermediate_size, &c->n_layers, &c->n_heads,
                       &c->max_position_embeddings};
        for (int i = 0; keys[i]; i++) {
            int64_t v = a2a_json_int_or(a2a_json_get(root, keys[i]), defs[i]);
            *dst[i] = v < 0 || v > INT32_MAX ? -1 : (int)v;
        }
        const char *ids[3] = {"eos_token_id", "bos_token_id", "pad_token_id"};
        const int64_t idd[3] = {49407, 49406, 1};
        int32_t *idv[3] = {&c->eos_token_id, &c->bos_token_id, &c->pad_token_id};
        for (int i = 0; i < 3; i++) {
            int64_t v = a2a_json_int_or(a2a_json_get(root, ids[i]), idd[i]);
            *idv[i] = v < 0 || v > INT32_MAX ? -1 : (int32_t)v;
        }
        c->layer_norm_eps = (float)a2a_json_num_or(a2a_json_get(root, "layer_norm_eps"), 1e-5);
        const char *act = a2a_json_str_or(a2a_json_get(root, "hidden_act"), "quick_gelu");
        st = parse_act(ctx, act, strlen(act), &c->act);
        if (st == A2A_OK) st = check_config(ctx, c);
        if (st == A2A_OK && (c->eos_token_id < 0 || c->bos_token_id < 0 || c->pad_token_id < 0))
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text: negative or huge special token ids");
        if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    }
    a2a_json_free(doc);
    return st;
}

/* The pad token text of a tokenizer folder (special_tokens_map.json, else tokenizer_config.json;
   a string or {"content": ...}) looked up in v; v->pad is left as is when neither names one. */
static a2a_status read_pad(a2a_ctx *ctx, const char *dir, a2a_clip_vocab *v) {
    const char *files[2] = {"special_tokens_map.json", "tokenizer_config.json"};
    char path[4200];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (!file_exists(path)) continue;
        a2a_json *doc;
        a2a_status st = a2a_json_parse_file(ctx, path, &doc);
        if (st != A2A_OK) return st;
        const a2a_json_value *pt = a2a_json_get(a2a_json_root(doc), "pad_token");
        if (a2a_json_is_object(pt)) pt = a2a_json_get(pt, "content");
        if (a2a_json_is_string(pt)) {
            int32_t id = a2a_clip_vocab_find(v, a2a_json_str(pt), a2a_json_str_len(pt));
            if (id < 0) st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: pad_token '%s' is not in the vocabulary", path, a2a_json_str(pt));
            else v->pad = id;
            a2a_json_free(doc);
            return st;
        }
        a2a_json_free(doc);
    }
    return A2A_OK;
}

/* One tensor the model needs: state_dict name, ggml shape, role (0 vector F32, 1 embedding,
   2 matmul weight). */
typedef struct ct_entry {
    char name[160];
    int n_dims;
    int64_t ne[2];
    int role;
} ct_entry;

static int list_tensors(const a2a_clip_text_config *c, bool proj, ct_entry *e) {
    int n = 0;
    const int64_t D = c->hidden_size, I = c->intermediate_size;
#define ADD(role_, nd_, a_, b_, ...)                                   \
    do {                                                               \
        if (e) {                                                       \
            snprintf(e[n].name, sizeof e[n].name, __VA_ARGS__);        \
            e[n].n_dims = nd_;                                         \
            e[n].ne[0] = a_;                                           \
            e[n].ne[1] = b_;                                           \
            e[n].role = role_;                                         \
        }                                                              \
        n++;                                                           \
    } while (0)
    ADD(1, 2, D, c->vocab_size, "text_model.embeddings.token_embedding.weight");
    ADD(1, 2, D, c->max_position_embeddings, "text_model.embeddings.position_embedding.weight");
    for (int i = 0; i < c->n_layers; i++) {
        const char *p = "text_model.encoder.layers";
        const char *nm[4] = {"q_proj", "k_proj", "v_proj", "out_proj"};
        ADD(0, 1, D, 1, "%s.%d.layer_norm1.weight", p, i);
        ADD(0, 1, D, 1, "%s.%d.layer_norm1.bias", p, i);
        for (int j = 0; j < 4; j++) {
            ADD(2, 2, D, D, "%s.%d.self_attn.%s.weight", p, i, nm[j]);
            ADD(0, 1, D, 1, "%s.%d.self_attn.%s.bias", p, i, nm[j]);
        }
        ADD(0, 1, D, 1, "%s.%d.layer_norm2.weight", p, i);
        ADD(0, 1, D, 1, "%s.%d.layer_norm2.bias", p, i);
        ADD(2, 2, D, I, "%s.%d.mlp.fc1.weight", p, i);
        ADD(0, 1, I, 1, "%s.%d.mlp.fc1.bias", p, i);
        ADD(2, 2, I, D, "%s.%d.mlp.fc2.weight", p, i);
        ADD(0, 1, D, 1, "%s.%d.mlp.fc2.bias", p, i);
    }
    ADD(0, 1, D, 1, "text_model.final_layer_norm.weight");
    ADD(0, 1, D, 1, "text_model.final_layer_norm.bias");
    if (proj) ADD(2, 2, D, c->projection_dim, "text_projection.weight");
#undef ADD
    return n;
}

/* Open the checkpoint of src_dir. */
static a2a_status open_weights(a2a_ctx *ctx, const char *src_dir, a2a_weights **wf) {
    static const char *const cands[4] = {"model.safetensors", "pytorch_model.bin", "model.fp16.safetensors",
                                         "pytorch_model.fp16.bin"};
    a2a_status st = a2a_hf_open_weights(ctx, src_dir, cands, 4, "clip_text", wf);
    if (st != A2A_OK || *wf) return st;
    return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clip_text convert: no model.safetensors or pytorch_model.bin in %s",
                    src_dir);
}

/* The vocabulary of the tokenizer folder the parameters name (NULL in *out when none). */
static a2a_status open_vocab(a2a_ctx *ctx, const char *src_dir, const char *tok_dir, const a2a_clip_text_config *c,
                             a2a_clip_vocab **out) {
    *out = NULL;
    char dir[4096], path[4200];
    if (tok_dir && !tok_dir[0]) return A2A_OK;
    if (tok_dir) {
        snprintf(dir, sizeof dir, "%s", tok_dir);
    } else {
        snprintf(dir, sizeof dir, "%s/../tokenizer", src_dir);
        snprintf(path, sizeof path, "%s/vocab.json", dir);
        if (!file_exists(path)) return A2A_OK;
    }
    a2a_status st = a2a_clip_vocab_load_hf(ctx, dir, out);
    if (st == A2A_OK) st = read_pad(ctx, dir, *out);
    if (st == A2A_OK && (*out)->n_tokens > c->vocab_size)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text convert: tokenizer %s has %d tokens, the model's vocab_size is %d",
                      dir, (int)(*out)->n_tokens, c->vocab_size);
    if (st != A2A_OK) {
        a2a_clip_vocab_free(*out);
        *out = NULL;
    }
    return st;
}

a2a_status a2a_clip_text_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                     const a2a_clip_text_convert_params *pp) {
    a2a_clip_text_convert_params p = pp ? *pp : a2a_clip_text_convert_default_params();
    if (!prefix) prefix = "";
    if (!(p.matmul_type == A2A_TYPE_F32 || p.matmul_type == A2A_TYPE_F16 || p.matmul_type == A2A_TYPE_Q8_0))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text convert: matmul weights as %s (F32, F16 or Q8_0)",
                        a2a_type_name(p.matmul_type));
    if (!(p.embed_type == A2A_TYPE_F32 || p.embed_type == A2A_TYPE_F16))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text convert: embeddings as %s (F32 or F16)",
                        a2a_type_name(p.embed_type));
    if (strlen(prefix) > 200) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip_text convert: prefix too long");
    char path[4096];
    a2a_status st = a2a_hf_config_path(ctx, src_dir, "clip_text", path, sizeof path);
    if (st != A2A_OK) return st;
    a2a_clip_text_config c;
    st = read_hf_config(ctx, path, &c);
    if (st != A2A_OK) return st;
    a2a_weights *wf = NULL;
    a2a_clip_vocab *voc = NULL;
    ct_entry *ents = NULL;
    if ((st = open_weights(ctx, src_dir, &wf)) != A2A_OK) return st;
    const a2a_tensor *pt = a2a_weights_find(wf, "text_projection.weight");
    if (pt) { /* torch [E, D] */
        if (pt->n_dims != 2 || pt->ne[0] != c.hidden_size || pt->ne[1] < 1 || pt->ne[1] > A2A_CLIP_TEXT_MAX_WIDTH) {
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "clip_text convert: text_projection.weight is not [E, %d]", c.hidden_size);
            goto done;
        }
        c.projection_dim = (int)pt->ne[1];
    }
    if ((st = open_vocab(ctx, src_dir, p.tokenizer_dir, &c, &voc)) != A2A_OK) goto done;
    const int n = list_tensors(&c, pt != NULL, NULL);
    ents = calloc((size_t)n, sizeof *ents);
    if (!ents) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip_text convert: out of memory");
        goto done;
    }
    list_tensors(&c, pt != NULL, ents);
    char key[256];
#define KEY(k) (snprintf(key, sizeof key, CT_ARCH ".%s", k), key)
    if ((st = a2a_gguf_writer_set_u32(ctx, w, KEY("vocab_size"), (uint32_t)c.vocab_size)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("hidden_size"), (uint32_t)c.hidden_size)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("intermediate_size"), (uint32_t)c.intermediate_size)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("num_hidden_layers"), (uint32_t)c.n_layers)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("num_attention_heads"), (uint32_t)c.n_heads)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("max_position_embeddings"), (uint32_t)c.max_position_embeddings)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("projection_dim"), (uint32_t)c.projection_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("eos_token_id"), (uint32_t)c.eos_token_id)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("bos_token_id"), (uint32_t)c.bos_token_id)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, KEY("pad_token_id"), (uint32_t)c.pad_token_id)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, KEY("layer_norm_eps"), c.layer_norm_eps)) ||
        (st = a2a_gguf_writer_set_str(ctx, w, KEY("hidden_act"), act_name(c.act))))
        goto done;
#undef KEY
    if (voc && (st = a2a_clip_vocab_write_gguf(ctx, w, voc)) != A2A_OK) goto done;
    for (int i = 0; i < n; i++) {
        const ct_entry *e = &ents[i];
        const a2a_tensor *t = a2a_weights_find(wf, e->name);
        if (!t) {
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clip_text convert: %s has no tensor %s", src_dir, e->name);
            goto done;
        }
        bool ok = t->n_dims == e->n_dims || (e->n_dims == 1 && a2a_tensor_nelements(t) == e->ne[0]);
        for (int d = 0; d < 2 && ok && t->n_dims == e->n_dims; d++) ok = t->ne[d] == (d < e->n_dims ? e->ne[d] : 1);
        if (!ok) {
            char got[96], want[64];
            if (e->n_dims == 1) snprintf(want, sizeof want, "[%lld]", (long long)e->ne[0]);
            else snprintf(want, sizeof want, "[%lld, %lld]", (long long)e->ne[0], (long long)e->ne[1]);
            st = a2a_fail(ctx, A2A_ERR_SHAPE, "clip_text convert: tensor %s has shape %s, expected %s", e->name,
                          a2a_tensor_shape_str(t, got, sizeof got), want);
            goto done;
        }
        if (!(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip_text convert: tensor %s has type %s (float types only)",
                          e->name, a2a_type_name(t->type));
            goto done;
        }
        a2a_type dt = e->role == 0 ? A2A_TYPE_F32 : e->role == 1 ? p.embed_type : p.matmul_type;
        if (e->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        a2a_tensor src = *t;
        if (e->n_dims == 1 && t->n_dims != 1) {
            if (!a2a_tensor_is_contiguous(t)) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip_text convert: tensor %s is not contiguous", e->name);
                goto done;
            }
            src = a2a_tensor_reshape(t, 1, e->ne);
            src.name = t->name;
        }
        char name[CT_NAME_MAX];
        snprintf(name, sizeof name, "%s%s", prefix, e->name);
        if ((st = a2a_convert_tensor_keep(ctx, p.tp, w, &src, dt, name, e->n_dims, e->ne, "clip_text"))) goto done;
        if (p.progress && p.progress(i + 1, n, name, p.user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "clip_text convert: cancelled");
            goto done;
        }
    }
done:
    free(ents);
    a2a_clip_vocab_free(voc);
    a2a_weights_close(wf);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_clip_text_convert_add(ctx, w, src_dir, "", p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_clip_text *m;
    a2a_status st = a2a_clip_text_load(ctx, path, &m);
    if (st == A2A_OK) a2a_clip_text_free(m);
    return st;
}

a2a_status a2a_clip_text_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                                 const a2a_clip_text_convert_params *p) {
    return a2a_hf_convert_file(ctx, "clip_text convert", CT_ARCH, "CLIPTextModel", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
