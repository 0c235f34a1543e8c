/* CLAP text branch (ClapTextModelWithProjection): loader, forward, AudioLDM conditioning,
   converter. See clap_text.h. */
#include "models/text_encoders/clap_text.h"

#include <float.h>
#include <math.h>
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
#include "text/hf_tokenizer.h"
#include "text/vocab.h"

#define CT_ARCH "clap_text"
#define CT_NAME_MAX 512

typedef struct ct_layer {
    a2a_nn_mha attn;                 /* attention.self.query/key/value [H, H] + [H]; out = attention.output.dense [H, H] */
    const a2a_tensor *ln1_w, *ln1_b; /* attention.output.LayerNorm [H] */
    a2a_nn_mlp mlp;                  /* intermediate.dense [H, I] + [I], output.dense [I, H] + [H] */
    const a2a_tensor *ln2_w, *ln2_b; /* output.LayerNorm [H] */
} ct_layer;

struct a2a_clap_text {
    a2a_clap_text_config cfg;
    a2a_gguf *own;                     /* the file when a2a_clap_text_load opened it */
    a2a_vocab *vocab;                  /* NULL when the file has none */
    const a2a_tensor *word;            /* embeddings.word_embeddings [H, vocab_size] */
    const a2a_tensor *pos;             /* embeddings.position_embeddings [H, max_position_embeddings] */
    const a2a_tensor *type;            /* embeddings.token_type_embeddings [H, type_vocab_size] */
    const a2a_tensor *emb_ln_w, *emb_ln_b; /* embeddings.LayerNorm [H] */
    ct_layer *layers;                  /* [num_hidden_layers] */
    a2a_nn_linear pooler;              /* pooler.dense [H, H] + [H] */
    a2a_nn_linear proj1;               /* text_projection.linear1 [H, P] + [P] */
    a2a_nn_linear proj2;               /* text_projection.linear2 [P, P] + [P] */
};

/* ======================================================================== activations */

static const struct {
    const char *name;
    a2a_nn_act act;
} k_acts[] = {
    {"gelu", A2A_NN_ACT_GELU},          {"gelu_new", A2A_NN_ACT_GELU_TANH}, {"gelu_pytorch_tanh", A2A_NN_ACT_GELU_TANH},
    {"quick_gelu", A2A_NN_ACT_QUICK_GELU}, {"relu", A2A_NN_ACT_RELU},     {"silu", A2A_NN_ACT_SILU},
    {"swish", A2A_NN_ACT_SILU},
};

static bool act_from_name(const char *s, a2a_nn_act *out) {
    for (size_t i = 0; i < sizeof k_acts / sizeof k_acts[0]; i++)
        if (strcmp(s, k_acts[i].name) == 0) {
            *out = k_acts[i].act;
            return true;
        }
    return false;
}

/* ======================================================================== config */

/* Consistency and range checks shared by the loader and the converter. */
static a2a_status check_config(a2a_ctx *ctx, const a2a_clap_text_config *c) {
    const struct { const char *name; int v, lo, hi; } r[] = {
        {"vocab_size", c->vocab_size, 1, 1 << 24},
        {"hidden_size", c->hidden_size, 1, A2A_CLAP_TEXT_MAX_WIDTH},
        {"num_hidden_layers", c->num_hidden_layers, 1, A2A_CLAP_TEXT_MAX_LAYERS},
        {"num_attention_heads", c->num_attention_heads, 1, A2A_CLAP_TEXT_MAX_WIDTH},
        {"intermediate_size", c->intermediate_size, 1, 4 * A2A_CLAP_TEXT_MAX_WIDTH},
        {"max_position_embeddings", c->max_position_embeddings, 3, A2A_CLAP_TEXT_MAX_POS},
        {"type_vocab_size", c->type_vocab_size, 1, 1 << 16},
        {"projection_dim", c->projection_dim, 1, A2A_CLAP_TEXT_MAX_WIDTH},
        {"pad_token_id", c->pad_token_id, 0, 1 << 24},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        if (r[i].v < r[i].lo || r[i].v > r[i].hi)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: %s = %d out of range [%d, %d]", r[i].name, r[i].v, r[i].lo,
                            r[i].hi);
    if (c->hidden_size % c->num_attention_heads)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: %d heads do not divide hidden_size %d", c->num_attention_heads,
                        c->hidden_size);
    if (c->pad_token_id >= c->vocab_size || c->pad_token_id + 2 >= c->max_position_embeddings)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: pad_token_id %d does not fit vocab_size %d / max_position_embeddings %d",
                        c->pad_token_id, c->vocab_size, c->max_position_embeddings);
    int longest = c->max_position_embeddings - c->pad_token_id - 1;
    if (c->max_length < 2 || c->max_length > longest)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: max_length %d out of range [2, %d]", c->max_length, longest);
    if (!(c->layer_norm_eps > 0.0f) || !isfinite(c->layer_norm_eps))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: layer_norm_eps must be positive and finite");
    return A2A_OK;
}

/* Longest id sequence the position table allows. */
static int longest_seq(const a2a_clap_text_config *c) { return c->max_position_embeddings - c->pad_token_id - 1; }

/* ======================================================================== loading */

static a2a_status meta_act(a2a_ctx *ctx, const a2a_gguf *g, const char *key, const char *def, a2a_nn_act *out) {
    char full[96], name[64];
    snprintf(full, sizeof full, CT_ARCH ".%s", key);
    const char *s;
    size_t len;
    if (a2a_gguf_find_key(g, full) < 0) {
        s = def;
        len = strlen(def);
    } else if (a2a_gguf_get_str(NULL, g, full, &s, &len) != A2A_OK) {
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: metadata %s is not a string", full);
    }
    snprintf(name, sizeof name, "%.*s", (int)A2A_MIN(len, sizeof name - 1), s);
    if (len >= sizeof name || !act_from_name(name, out))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text: %s '%s' is not supported (gelu, gelu_new, relu, silu, ...)",
                        full, name);
    return A2A_OK;
}

static a2a_status read_meta(a2a_ctx *ctx, const a2a_gguf *g, a2a_clap_text_config *c) {
    memset(c, 0, sizeof *c);
    const a2a_meta m = {ctx, g, CT_ARCH, "clap_text"};
    a2a_status st;
    if ((st = a2a_meta_u32(&m, "vocab_size", true, 0, 0, INT32_MAX, &c->vocab_size)) ||
        (st = a2a_meta_u32(&m, "hidden_size", true, 0, 0, INT32_MAX, &c->hidden_size)) ||
        (st = a2a_meta_u32(&m, "num_hidden_layers", true, 0, 0, INT32_MAX, &c->num_hidden_layers)) ||
        (st = a2a_meta_u32(&m, "num_attention_heads", true, 0, 0, INT32_MAX, &c->num_attention_heads)) ||
        (st = a2a_meta_u32(&m, "intermediate_size", true, 0, 0, INT32_MAX, &c->intermediate_size)) ||
        (st = a2a_meta_u32(&m, "max_position_embeddings", true, 0, 0, INT32_MAX, &c->max_position_embeddings)) ||
        (st = a2a_meta_u32(&m, "type_vocab_size", true, 0, 0, INT32_MAX, &c->type_vocab_size)) ||
        (st = a2a_meta_u32(&m, "projection_dim", true, 0, 0, INT32_MAX, &c->projection_dim)) ||
        (st = a2a_meta_u32(&m, "pad_token_id", true, 0, 0, INT32_MAX, &c->pad_token_id)) ||
        (st = a2a_meta_u32(&m, "max_length", true, 0, 0, INT32_MAX, &c->max_length)))
        return st;
    if (a2a_gguf_get_f32(NULL, g, CT_ARCH ".layer_norm_eps", &c->layer_norm_eps) != A2A_OK)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: missing f32 metadata " CT_ARCH ".layer_norm_eps");
    if ((st = meta_act(ctx, g, "hidden_act", "gelu", &c->hidden_act)) ||
        (st = meta_act(ctx, g, "projection_hidden_act", "relu", &c->projection_act)))
        return st;
    return check_config(ctx, c);
}

typedef struct ct_getter {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix;
    bool ok;
    a2a_status st; /* the first failure's status */
} ct_getter;

/* Tensor prefix + name with shape ne (n_dims entries); records failure in gt->ok. */
static const a2a_tensor *get_t(ct_getter *gt, const char *name, int n_dims, int64_t n0, int64_t n1) {
    if (!gt->ok) return NULL;
    char full[CT_NAME_MAX];
    if (snprintf(full, sizeof full, "%s%s", gt->prefix, name) >= (int)sizeof full) {
        gt->ok = false;
        gt->st = a2a_fail(gt->ctx, A2A_ERR_INVALID_ARG, "clap_text: tensor name prefix too long");
        return NULL;
    }
    int64_t ne[2] = {n0, n1};
    const a2a_tensor *t = a2a_nn_get(gt->ctx, gt->g, full, n_dims, ne, true);
    if (!t) {
        gt->ok = false;
        gt->st = a2a_gguf_find_tensor(gt->g, full) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
    }
    return t;
}

a2a_status a2a_clap_text_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_clap_text **out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL output");
    *out = NULL;
    if (!g) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL file");
    a2a_clap_text *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: out of memory");
    a2a_status st = read_meta(ctx, g, &m->cfg);
    if (st) goto fail;
    const a2a_clap_text_config *c = &m->cfg;
    const int64_t H = c->hidden_size, I = c->intermediate_size, P = c->projection_dim;
    m->layers = calloc((size_t)c->num_hidden_layers, sizeof *m->layers);
    if (!m->layers) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: out of memory");
        goto fail;
    }
    ct_getter gt = {ctx, g, prefix ? prefix : "", true, A2A_OK};
    m->word = get_t(&gt, "text_model.embeddings.word_embeddings.weight", 2, H, c->vocab_size);
    m->pos = get_t(&gt, "text_model.embeddings.position_embeddings.weight", 2, H, c->max_position_embeddings);
    m->type = get_t(&gt, "text_model.embeddings.token_type_embeddings.weight", 2, H, c->type_vocab_size);
    m->emb_ln_w = get_t(&gt, "text_model.embeddings.LayerNorm.weight", 1, H, 0);
    m->emb_ln_b = get_t(&gt, "text_model.embeddings.LayerNorm.bias", 1, H, 0);
    for (int l = 0; l < c->num_hidden_layers && gt.ok; l++) {
        ct_layer *L = &m->layers[l];
        char n[160];
#define LT(field, suffix, nd, a, b)                                                        \
    do {                                                                                   \
        snprintf(n, sizeof n, "text_model.encoder.layer.%d.%s", l, suffix);                \
        field = get_t(&gt, n, nd, a, b);                                                  \
    } while (0)
        LT(L->attn.q.w, "attention.self.query.weight", 2, H, H);
        LT(L->attn.q.b, "attention.self.query.bias", 1, H, 0);
        LT(L->attn.k.w, "attention.self.key.weight", 2, H, H);
        LT(L->attn.k.b, "attention.self.key.bias", 1, H, 0);
        LT(L->attn.v.w, "attention.self.value.weight", 2, H, H);
        LT(L->attn.v.b, "attention.self.value.bias", 1, H, 0);
        LT(L->attn.out.w, "attention.output.dense.weight", 2, H, H);
        LT(L->attn.out.b, "attention.output.dense.bias", 1, H, 0);
        LT(L->ln1_w, "attention.output.LayerNorm.weight", 1, H, 0);
        LT(L->ln1_b, "attention.output.LayerNorm.bias", 1, H, 0);
        LT(L->mlp.fc1.w, "intermediate.dense.weight", 2, H, I);
        LT(L->mlp.fc1.b, "intermediate.dense.bias", 1, I, 0);
        LT(L->mlp.fc2.w, "output.dense.weight", 2, I, H);
        LT(L->mlp.fc2.b, "output.dense.bias", 1, H, 0);
        LT(L->ln2_w, "output.LayerNorm.weight", 1, H, 0);
        LT(L->ln2_b, "output.LayerNorm.bias", 1, H, 0);
#undef LT
        L->attn.n_head = c->num_attention_heads;
        L->attn.scale = 0.0f;
        L->mlp.act = c->hidden_act;
    }
    m->pooler.w = get_t(&gt, "text_model.pooler.dense.weight", 2, H, H);
    m->pooler.b = get_t(&gt, "text_model.pooler.dense.bias", 1, H, 0);
    m->proj1.w = get_t(&gt, "text_projection.linear1.weight", 2, H, P);
    m->proj1.b = get_t(&gt, "text_projection.linear1.bias", 1, P, 0);
    m->proj2.w = get_t(&gt, "text_projection.linear2.weight", 2, P, P);
    m->proj2.b = get_t(&gt, "text_projection.linear2.bias", 1, P, 0);
    if (!gt.ok) {
        st = gt.st;
        a2a_error_prefix(ctx, "clap_text");
        goto fail;
    }
    /* embedding tables are read by get_rows; the rest by matmul / layer norm (F32/F16 vectors) */
    const a2a_tensor *vecs[] = {m->emb_ln_w, m->emb_ln_b, m->pooler.b, m->proj1.b, m->proj2.b};
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        if (vecs[i]->type != A2A_TYPE_F32 && vecs[i]->type != A2A_TYPE_F16) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text: tensor %s has type %s (F32 or F16)", vecs[i]->name,
                          a2a_type_name(vecs[i]->type));
            goto fail;
        }
    if (a2a_gguf_find_key(g, "tokenizer.ggml.model") >= 0) {
        if ((st = a2a_vocab_load(ctx, g, &m->vocab))) goto fail;
        if (m->vocab->kind != A2A_VOCAB_BPE || m->vocab->bos < 0 || m->vocab->eos < 0) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                          "clap_text: the vocabulary must be byte-level BPE (gpt2) with bos and eos tokens");
            goto fail;
        }
        if (m->vocab->n_tokens > c->vocab_size) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text: the vocabulary has %d tokens, the embedding table %d rows",
                          m->vocab->n_tokens, c->vocab_size);
            goto fail;
        }
    }
    *out = m;
    return A2A_OK;
fail:
    a2a_clap_text_free(m);
    return st;
}

a2a_status a2a_clap_text_load(a2a_ctx *ctx, const char *path, a2a_clap_text **out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL output");
    *out = NULL;
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL path");
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st) return st;
    if ((st = a2a_clap_text_load_gguf(ctx, g, NULL, out))) {
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_clap_text_free(a2a_clap_text *m) {
    if (!m) return;
    a2a_vocab_free(m->vocab);
    free(m->layers);
    a2a_gguf_close(m->own);
    free(m);
}

const a2a_clap_text_config *a2a_clap_text_get_config(const a2a_clap_text *m) { return m ? &m->cfg : NULL; }
const a2a_vocab *a2a_clap_text_vocab(const a2a_clap_text *m) { return m ? m->vocab : NULL; }

/* ======================================================================== tokenizer */

a2a_status a2a_clap_text_tokenize(a2a_ctx *ctx, const a2a_clap_text *m, const char *prompt, int max_length,
                                  int32_t **ids, size_t *n) {
    if (!ids || !n) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text tokenize: NULL output");
    *ids = NULL;
    *n = 0;
    if (!m || !prompt) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text tokenize: NULL model or prompt");
    if (!m->vocab) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text tokenize: the file holds no vocabulary");
    if (max_length == 0) max_length = m->cfg.max_length;
    if (max_length < 2 || max_length > longest_seq(&m->cfg))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text tokenize: max_length %d out of range [2, %d]", max_length,
                        longest_seq(&m->cfg));
    int32_t *body;
    size_t nb;
    a2a_status st = a2a_tokenize(ctx, m->vocab, prompt, strlen(prompt), false, true, &body, &nb);
    if (st) return st;
    size_t keep = A2A_MIN(nb, (size_t)max_length - 2);
    int32_t *r = malloc((keep + 2) * sizeof *r);
    if (!r) {
        free(body);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text tokenize: out of memory");
    }
    r[0] = m->vocab->bos;
    if (keep) memcpy(r + 1, body, keep * sizeof *r);
    r[keep + 1] = m->vocab->eos;
    free(body);
    *ids = r;
    *n = keep + 2;
    return A2A_OK;
}

/* ======================================================================== forward */

/* Activation bytes of one a2a_clap_text_embeds call over n tokens (0 on overflow). */
static size_t forward_bytes(const a2a_clap_text_config *c, size_t n) {
    size_t H = (size_t)c->hidden_size, I = (size_t)c->intermediate_size, P = (size_t)c->projection_dim;
    /* x, a, f [H, n]; mha scratch q/o [H, n] and k/v [H, n]; mlp hidden [I, n]; mask [n, n];
       ids and positions [n] (int32); pooled/proj vectors; LayerNorm F16->F32 weight copies */
    size_t fl = 0, t;
    if (!a2a_mul_ok(n, 8 * H + I + n + 2, &t) || !a2a_add_ok(fl, t, &fl)) return 0;
    if (!a2a_add_ok(fl, 2 * H + 3 * P + 4 * H, &fl)) return 0;
    if (!a2a_mul_ok(fl, sizeof(float), &fl) || !a2a_add_ok(fl, 64 * 64, &fl)) return 0;
    return fl;
}

static void vec_fill(float *d, int64_t n, float v) {
    for (int64_t i = 0; i < n; i++) d[i] = v;
}

/* One encoder layer. x [H, n] in place, except in the last layer (last_only): then only row 0
   is computed, into x's first column. mask: NULL or [n, n]. */
static a2a_status layer_fwd(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *ar, const a2a_clap_text *m, const ct_layer *L,
                            a2a_tensor *x, const a2a_tensor *mask, bool last_only) {
    const a2a_clap_text_config *c = &m->cfg;
    const int64_t H = c->hidden_size, n = x->ne[1], nq = last_only ? 1 : n;
    size_t mark = a2a_arena_mark(ar);
    a2a_tensor a, f, xq;
    int64_t ne[2] = {H, nq}, nef[2] = {H, nq};
    a2a_status st = A2A_OK;
    if (!a2a_arena_tensor(ar, &a, A2A_TYPE_F32, 2, ne) || !a2a_arena_tensor(ar, &f, A2A_TYPE_F32, 2, nef)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: activation arena too small");
        goto done;
    }
    int64_t off[2] = {0, 0};
    xq = a2a_tensor_view(x, 2, ne, off);
    if ((st = a2a_nn_mha_fwd(ctx, tp, ar, &a, &L->attn, &xq, x, mask, false))) goto done;
    if ((st = a2a_op_add(ctx, tp, &a, &a, &xq))) goto done;
    if ((st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &xq, &a, L->ln1_w, L->ln1_b, c->layer_norm_eps))) goto done;
    if ((st = a2a_nn_mlp_fwd(ctx, tp, ar, &f, &L->mlp, &xq))) goto done;
    if ((st = a2a_op_add(ctx, tp, &f, &f, &xq))) goto done;
    st = a2a_nn_layer_norm_fwd(ctx, tp, ar, &xq, &f, L->ln2_w, L->ln2_b, c->layer_norm_eps);
done:
    a2a_arena_rewind(ar, mark);
    return st;
}

a2a_status a2a_clap_text_embeds(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const int32_t *ids,
                                const int32_t *mask, size_t n, float *out) {
    if (!m || !ids || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL model, ids or output");
    const a2a_clap_text_config *c = &m->cfg;
    if (n < 1 || n > (size_t)longest_seq(c))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: %zu tokens (1..%d allowed by the position table)", n,
                        longest_seq(c));
    bool any_masked = false;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= c->vocab_size)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: token id %d at %zu is out of range [0, %d)", ids[i], i,
                            c->vocab_size);
        if (mask && mask[i] != 0 && mask[i] != 1)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: attention mask value %d at %zu (0 or 1)", mask[i], i);
        if (mask && !mask[i]) any_masked = true;
    }
    const int64_t H = c->hidden_size, N = (int64_t)n, P = c->projection_dim;
    size_t bytes = forward_bytes(c, n);
    a2a_arena ar;
    if (!bytes || a2a_arena_init(ctx, &ar, bytes) != A2A_OK)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: cannot allocate activations for %zu tokens", n);
    a2a_status st = A2A_OK;
    a2a_tensor x, e, idt, post, maskt, *maskp = NULL;
    int64_t nx[2] = {H, N}, nn1[1] = {N}, nm[2] = {N, N};
    if (!a2a_arena_tensor(&ar, &x, A2A_TYPE_F32, 2, nx) || !a2a_arena_tensor(&ar, &e, A2A_TYPE_F32, 2, nx) ||
        !a2a_arena_tensor(&ar, &idt, A2A_TYPE_I32, 1, nn1) || !a2a_arena_tensor(&ar, &post, A2A_TYPE_I32, 1, nn1)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: activation arena too small");
        goto done;
    }
    /* positions (create_position_ids_from_input_ids): m = (id != padding_idx), cumsum(m) * m +
       padding_idx -- from the ids, not the attention mask */
    int32_t *pid = post.data, cum = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t mk = ids[i] != c->pad_token_id;
        cum += mk;
        pid[i] = cum * mk + c->pad_token_id;
        ((int32_t *)idt.data)[i] = ids[i];
    }
    if ((st = a2a_op_get_rows(ctx, tp, &x, m->word, &idt))) goto done;
    if ((st = a2a_op_get_rows(ctx, tp, &e, m->pos, &post))) goto done;
    if ((st = a2a_op_add(ctx, tp, &x, &x, &e))) goto done;
    for (size_t i = 0; i < n; i++) pid[i] = 0; /* token_type_ids: all zero */
    if ((st = a2a_op_get_rows(ctx, tp, &e, m->type, &post))) goto done;
    if ((st = a2a_op_add(ctx, tp, &x, &x, &e))) goto done;
    if ((st = a2a_nn_layer_norm_fwd(ctx, tp, &ar, &x, &x, m->emb_ln_w, m->emb_ln_b, c->layer_norm_eps))) goto done;
    if (any_masked) {
        /* extended mask (1 - mask) * finfo(float32).min, the same for every query row */
        if (!a2a_arena_tensor(&ar, &maskt, A2A_TYPE_F32, 2, nm)) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: activation arena too small");
            goto done;
        }
        float *mk = maskt.data;
        for (size_t j = 0; j < n; j++) mk[j] = mask[j] ? 0.0f : -FLT_MAX;
        for (size_t i = 1; i < n; i++) memcpy(mk + i * n, mk, n * sizeof(float));
        maskp = &maskt;
    }
    for (int l = 0; l < c->num_hidden_layers; l++)
        if ((st = layer_fwd(ctx, tp, &ar, m, &m->layers[l], &x, maskp, l == c->num_hidden_layers - 1))) goto done;
    /* pooler (token 0) + projection */
    {
        a2a_tensor x0, pooled, h1, o;
        int64_t nh[2] = {H, 1}, np[2] = {P, 1}, off[2] = {0, 0};
        x0 = a2a_tensor_view(&x, 2, nh, off);
        if (!a2a_arena_tensor(&ar, &pooled, A2A_TYPE_F32, 2, nh) || !a2a_arena_tensor(&ar, &h1, A2A_TYPE_F32, 2, np)) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text: activation arena too small");
            goto done;
        }
        if ((st = a2a_nn_linear_fwd(ctx, tp, &pooled, &m->pooler, &x0))) goto done;
        float *pv = pooled.data;
        for (int64_t i = 0; i < H; i++) pv[i] = tanhf(pv[i]);
        if ((st = a2a_nn_linear_fwd(ctx, tp, &h1, &m->proj1, &pooled))) goto done;
        if ((st = a2a_nn_act_fwd(ctx, tp, &h1, c->projection_act))) goto done;
        o = a2a_tensor_make(A2A_TYPE_F32, out, P, 1, 1, 1);
        o.n_dims = 2;
        st = a2a_nn_linear_fwd(ctx, tp, &o, &m->proj2, &h1);
    }
done:
    if (st) vec_fill(out, P, 0.0f);
    a2a_arena_free(&ar);
    return st;
}

a2a_status a2a_clap_text_embed_len(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const char *prompt,
                                   int max_length, float *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text: NULL output");
    int32_t *ids;
    size_t n;
    a2a_status st = a2a_clap_text_tokenize(ctx, m, prompt, max_length, &ids, &n);
    if (st) return st;
    st = a2a_clap_text_embeds(ctx, tp, m, ids, NULL, n, out);
    free(ids);
    if (st) return st;
    double ss = 0.0;
    const int P = m->cfg.projection_dim;
    for (int i = 0; i < P; i++) ss += (double)out[i] * out[i];
    double nrm = sqrt(ss);
    if (nrm < 1e-12) nrm = 1e-12;
    for (int i = 0; i < P; i++) out[i] = (float)(out[i] / nrm);
    return A2A_OK;
}

a2a_status a2a_clap_text_embed(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const char *prompt,
                               float *out) {
    return a2a_clap_text_embed_len(ctx, tp, m, prompt, 0, out);
}

/* ======================================================================== converter */

a2a_clap_text_convert_params a2a_clap_text_convert_default_params(void) {
    a2a_clap_text_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL, NULL};
    return p;
}

/* path = dir + "/" + name; false (with an error in ctx) when it does not fit. */
static bool join_path(a2a_ctx *ctx, char *path, size_t cap, const char *dir, const char *name) {
    int r = snprintf(path, cap, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= cap) {
        a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text convert: path %s/%s is too long", dir, name);
        return false;
    }
    return true;
}

static bool file_exists(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fclose(f);
    return true;
}

/* config.json of a ClapTextModelWithProjection folder -> c (max_length left 0). */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_clap_text_config *c) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st) return st;
    const a2a_json_value *r = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    const char *mt = a2a_json_str_or(a2a_json_get(r, "model_type"), "clap_text_model");
    const char *pe = a2a_json_str_or(a2a_json_get(r, "position_embedding_type"), "absolute");
    const char *ha = a2a_json_str_or(a2a_json_get(r, "hidden_act"), "gelu");
    const char *pa = a2a_json_str_or(a2a_json_get(r, "projection_hidden_act"), "relu");
    if (!a2a_json_is_object(r)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: %s is not a JSON object", path);
    } else if (strcmp(mt, "clap_text_model") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: model_type '%s' (only clap_text_model, "
                      "i.e. ClapTextModelWithProjection as AudioLDM's text_encoder)", mt);
    } else if (strcmp(pe, "absolute") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: position_embedding_type '%s' (only absolute)", pe);
    } else if (!act_from_name(ha, &c->hidden_act)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: hidden_act '%s'", ha);
    } else if (!act_from_name(pa, &c->projection_act)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: projection_hidden_act '%s'", pa);
    } else {
        const struct { const char *k; int64_t def; int *dst; } f[] = {
            {"vocab_size", 50265, &c->vocab_size},
            {"hidden_size", 768, &c->hidden_size},
            {"num_hidden_layers", 12, &c->num_hidden_layers},
            {"num_attention_heads", 12, &c->num_attention_heads},
            {"intermediate_size", 3072, &c->intermediate_size},
            {"max_position_embeddings", 514, &c->max_position_embeddings},
            {"type_vocab_size", 1, &c->type_vocab_size},
            {"projection_dim", 512, &c->projection_dim},
            {"pad_token_id", 1, &c->pad_token_id},
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
            int64_t v = a2a_json_int_or(a2a_json_get(r, f[i].k), f[i].def);
            *f[i].dst = v < 0 || v > INT32_MAX ? -1 : (int)v;
        }
        c->layer_norm_eps = (float)a2a_json_num_or(a2a_json_get(r, "layer_norm_eps"), 1e-12);
    }
    a2a_json_free(doc);
    return st;
}

/* A growing list of owned strings. */
typedef struct strlist { char **s; size_t n, cap; } strlist;

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

static a2a_status strlist_push(a2a_ctx *ctx, strlist *l, const char *s, size_t len) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        char **p = realloc(l->s, cap * sizeof *p);
        if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text convert: out of memory");
        l->s = p;
        l->cap = cap;
    }
    char *c = malloc(len + 1);
    if (!c) return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text convert: out of memory");
    memcpy(c, s, len);
    c[len] = 0;
    l->s[l->n++] = c;
    return A2A_OK;
}

static a2a_status read_file(a2a_ctx *ctx, const char *path, char **out, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clap_text convert: cannot open %s", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 65536) {
            size_t nc = cap ? cap * 2 : 65536;
            if (nc > ((size_t)1 << 31)) {
                free(buf);
                fclose(f);
                return a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: %s is too large", path);
            }
            char *p = realloc(buf, nc);
            if (!p) {
                free(buf);
                fclose(f);
                return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text convert: out of memory");
            }
            buf = p;
            cap = nc;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return a2a_fail(ctx, A2A_ERR_IO, "clap_text convert: cannot read %s", path);
    }
    *out = buf;
    *len = n;
    return A2A_OK;
}

/* The byte-level BPE vocabulary of a tokenizer folder. */
typedef struct ct_vocab {
    char **tok;      /* [n] by id (owned; holes filled with "[PAD<id>]") */
    int32_t *type;   /* [n] a2a_token_attr */
    int32_t n;
    strlist merges;  /* "left right" in rank order */
    int32_t bos, eos, unk, pad;
    int64_t model_max_length; /* -1 when absent */
} ct_vocab;

static void ct_vocab_free(ct_vocab *v) {
    if (v->tok)
        for (int32_t i = 0; i < v->n; i++) free(v->tok[i]);
    free(v->tok);
    free(v->type);
    strlist_free(&v->merges);
    memset(v, 0, sizeof *v);
}

/* Set token id's text (id < v->n; an id given twice keeps the first, as vocab.json lookups do
   not overlap with added tokens in practice). */
static a2a_status vocab_set(a2a_ctx *ctx, ct_vocab *v, int64_t id, const char *s, size_t len) {
    if (v->tok[id]) return A2A_OK;
    v->tok[id] = malloc(len + 1);
    if (!v->tok[id]) return a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text convert: out of memory");
    memcpy(v->tok[id], s, len);
    v->tok[id][len] = 0;
    return A2A_OK;
}

static int32_t vocab_find(const ct_vocab *v, const char *s) {
    if (!s) return -1;
    for (int32_t i = 0; i < v->n; i++)
        if (v->tok[i] && strcmp(v->tok[i], s) == 0) return i;
    return -1;
}

static a2a_status read_merges_txt(a2a_ctx *ctx, const char *path, strlist *out) {
    char *buf = NULL;
    size_t len = 0;
    a2a_status st = read_file(ctx, path, &buf, &len);
    if (st) return st;
    size_t pos = 0, line = 0;
    while (!st && pos < len) {
        size_t e = pos;
        while (e < len && buf[e] != '\n') e++;
        size_t le = e;
        if (le > pos && buf[le - 1] == '\r') le--;
        line++;
        if (!(line == 1 && le - pos >= 8 && memcmp(buf + pos, "#version", 8) == 0) && le > pos) {
            const char *sp = memchr(buf + pos, ' ', le - pos);
            if (!sp || sp == buf + pos || sp + 1 == buf + le || memchr(sp + 1, ' ', (size_t)(buf + le - sp - 1)))
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: %s line %zu is not 'left right'", path, line);
            else
                st = strlist_push(ctx, out, buf + pos, le - pos);
        }
        pos = e + 1;
    }
    free(buf);
    return st;
}

/* Read the tokenizer folder: vocab.json + merges.txt (RobertaTokenizer's files), or
   tokenizer.json's BPE model; specials from tokenizer_config.json / added tokens. */
static a2a_status read_tokenizer(a2a_ctx *ctx, const char *dir, ct_vocab *v) {
    memset(v, 0, sizeof *v);
    v->model_max_length = -1;
    char path[4096];
    a2a_hf_tokenizer *hf = NULL;
    a2a_json *doc = NULL;
    a2a_status st = a2a_hf_tokenizer_load(ctx, dir, &hf);
    if (st) return st;
    int64_t n = 0;
    if (!join_path(ctx, path, sizeof path, dir, "vocab.json")) {
        st = A2A_ERR_INVALID_ARG;
        goto done;
    }
    const a2a_json_value *vj = NULL;
    if (file_exists(path)) {
        if ((st = a2a_json_parse_file(ctx, path, &doc))) goto done;
        vj = a2a_json_root(doc);
        if (!a2a_json_is_object(vj)) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: %s is not an object", path);
            goto done;
        }
        for (size_t i = 0; i < a2a_json_len(vj); i++) {
            int64_t id;
            if (!a2a_json_int(a2a_json_at(vj, i), &id) || id < 0 || id > A2A_HF_MAX_TOKEN_ID) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: %s: bad id for '%s'", path, a2a_json_key_at(vj, i));
                goto done;
            }
            if (id + 1 > n) n = id + 1;
        }
    } else if (hf->has_model) {
        if (strcmp(hf->model_type, "BPE") != 0) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: tokenizer model '%s' (only byte-level BPE)", hf->model_type);
            goto done;
        }
        n = hf->n_vocab;
    } else {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clap_text convert: no vocab.json or tokenizer.json in %s", dir);
        goto done;
    }
    for (int32_t i = 0; i < hf->n_added; i++)
        if (hf->added[i].id + 1 > n) n = hf->added[i].id + 1;
    if (n < 1) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: empty vocabulary in %s", dir);
        goto done;
    }
    v->n = (int32_t)n;
    v->tok = calloc((size_t)n, sizeof *v->tok);
    v->type = calloc((size_t)n, sizeof *v->type);
    if (!v->tok || !v->type) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clap_text convert: out of memory");
        goto done;
    }
    for (int32_t i = 0; i < hf->n_added && !st; i++) {
        st = vocab_set(ctx, v, hf->added[i].id, hf->added[i].text, strlen(hf->added[i].text));
        v->type[hf->added[i].id] = hf->added[i].special ? A2A_TOKEN_CONTROL : A2A_TOKEN_USER_DEFINED;
    }
    if (vj) {
        for (size_t i = 0; i < a2a_json_len(vj) && !st; i++) {
            int64_t id;
            a2a_json_int(a2a_json_at(vj, i), &id);
            if (!v->type[id]) v->type[id] = A2A_TOKEN_NORMAL;
            st = vocab_set(ctx, v, id, a2a_json_key_at(vj, i), a2a_json_key_len(vj, i));
        }
        if (!st && !join_path(ctx, path, sizeof path, dir, "merges.txt")) st = A2A_ERR_INVALID_ARG;
        if (!st && file_exists(path)) st = read_merges_txt(ctx, path, &v->merges);
        else if (!st && hf->has_model)
            for (int64_t i = 0; i < hf->n_merges && !st; i++) st = strlist_push(ctx, &v->merges, hf->merges[i], strlen(hf->merges[i]));
        else if (!st) st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clap_text convert: no merges.txt in %s", dir);
    } else {
        for (int32_t i = 0; i < hf->n_vocab && !st; i++)
            if (hf->vocab[i]) {
                if (!v->type[i]) v->type[i] = A2A_TOKEN_NORMAL;
                st = vocab_set(ctx, v, i, hf->vocab[i], strlen(hf->vocab[i]));
            }
        for (int64_t i = 0; i < hf->n_merges && !st; i++) st = strlist_push(ctx, &v->merges, hf->merges[i], strlen(hf->merges[i]));
    }
    if (st) goto done;
    for (int32_t i = 0; i < v->n && !st; i++)
        if (!v->tok[i]) {
            char pad[32];
            int l = snprintf(pad, sizeof pad, "[PAD%d]", i);
            v->type[i] = A2A_TOKEN_UNUSED;
            st = vocab_set(ctx, v, i, pad, (size_t)l);
        }
    if (st) goto done;
    v->bos = vocab_find(v, hf->bos_token ? hf->bos_token : "<s>");
    v->eos = vocab_find(v, hf->eos_token ? hf->eos_token : "</s>");
    v->unk = vocab_find(v, hf->unk_token ? hf->unk_token : "<unk>");
    v->pad = vocab_find(v, hf->pad_token ? hf->pad_token : "<pad>");
    if (v->bos < 0 || v->eos < 0) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: the tokenizer in %s has no <s> / </s> tokens", dir);
        goto done;
    }
    int32_t sp[5] = {v->bos, v->eos, v->unk, v->pad, vocab_find(v, "<mask>")};
    for (int i = 0; i < 5; i++)
        if (sp[i] >= 0) v->type[sp[i]] = A2A_TOKEN_CONTROL;
    /* model_max_length (tokenizer_config.json); absurd values (1e30 when unset) are ignored */
    if (!join_path(ctx, path, sizeof path, dir, "tokenizer_config.json")) {
        st = A2A_ERR_INVALID_ARG;
        goto done;
    }
    if (file_exists(path)) {
        a2a_json *tc;
        if ((st = a2a_json_parse_file(ctx, path, &tc))) goto done;
        int64_t ml;
        if (a2a_json_int(a2a_json_get(a2a_json_root(tc), "model_max_length"), &ml) && ml >= 2 && ml <= A2A_CLAP_TEXT_MAX_POS)
            v->model_max_length = ml;
        bool aps = a2a_json_bool_or(a2a_json_get(a2a_json_root(tc), "add_prefix_space"), false);
        a2a_json_free(tc);
        if (aps) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: %s sets add_prefix_space (RoBERTa's default, "
                          "false, is the only one supported)", path);
            goto done;
        }
    }
done:
    a2a_json_free(doc);
    a2a_hf_tokenizer_free(hf);
    if (st) ct_vocab_free(v);
    return st;
}

static a2a_status write_vocab(a2a_ctx *ctx, a2a_gguf_writer *w, const ct_vocab *v) {
    a2a_status st;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.model", "gpt2")) ||
        (st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.pre", "gpt-2")) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.tokens", (const char *const *)v->tok, (uint64_t)v->n)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.token_type", A2A_GGUF_INT32, v->type, (uint64_t)v->n)) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.merges", (const char *const *)v->merges.s,
                                          (uint64_t)v->merges.n)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.bos_token_id", (uint32_t)v->bos)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eos)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, "tokenizer.ggml.add_bos_token", false)))
        return st;
    if (v->unk >= 0 && (st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.unknown_token_id", (uint32_t)v->unk))) return st;
    if (v->pad >= 0 && (st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.padding_token_id", (uint32_t)v->pad))) return st;
    return A2A_OK;
}

/* True for the integer buffers transformers saves beside the weights. */
static bool is_buffer_name(const char *name) {
    size_t l = strlen(name);
    return (l >= 12 && strcmp(name + l - 12, "position_ids") == 0) || (l >= 14 && strcmp(name + l - 14, "token_type_ids") == 0);
}

a2a_status a2a_clap_text_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                     const a2a_clap_text_convert_params *pp) {
    a2a_clap_text_convert_params p = pp ? *pp : a2a_clap_text_convert_default_params();
    if (!w || !src_dir) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text convert: NULL writer or folder");
    if (!prefix) prefix = "";
    if (!(p.weight_type == A2A_TYPE_F32 || p.weight_type == A2A_TYPE_F16 || p.weight_type == A2A_TYPE_Q8_0))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: linear weights as %s (F32, F16 or Q8_0)",
                        a2a_type_name(p.weight_type));
    if (!(p.embed_type == A2A_TYPE_F32 || p.embed_type == A2A_TYPE_F16))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: embeddings as %s (F32 or F16)", a2a_type_name(p.embed_type));
    char path[4096];
    if (!join_path(ctx, path, sizeof path, src_dir, "config.json")) return A2A_ERR_INVALID_ARG;
    if (!file_exists(path)) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clap_text convert: no config.json in %s", src_dir);
    a2a_clap_text_config c;
    a2a_status st = read_hf_config(ctx, path, &c);
    if (st) return st;
    /* tokenizer folder */
    char tdir[4096];
    if (p.tokenizer_dir) {
        if (strlen(p.tokenizer_dir) >= sizeof tdir) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text convert: tokenizer path too long");
        snprintf(tdir, sizeof tdir, "%s", p.tokenizer_dir);
    } else {
        if (!join_path(ctx, tdir, sizeof tdir, src_dir, "../tokenizer")) return A2A_ERR_INVALID_ARG;
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/vocab.json", tdir);
        bool found = file_exists(probe);
        snprintf(probe, sizeof probe, "%s/tokenizer.json", tdir);
        if (!found && !file_exists(probe)) snprintf(tdir, sizeof tdir, "%s", src_dir);
    }
    ct_vocab v;
    if ((st = read_tokenizer(ctx, tdir, &v))) return st;
    int longest = c.max_position_embeddings - c.pad_token_id - 1;
    c.max_length = v.model_max_length > 0 && v.model_max_length <= longest ? (int)v.model_max_length : longest;
    if ((st = check_config(ctx, &c))) {
        a2a_error_prefix(ctx, "clap_text convert: %s", src_dir);
        goto done_vocab;
    }
    if (v.n > c.vocab_size) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clap_text convert: the tokenizer has %d tokens, vocab_size is %d", v.n, c.vocab_size);
        goto done_vocab;
    }
    a2a_weights *wf = NULL;
    static const char *const cands[2] = {"model.safetensors", "pytorch_model.bin"};
    if ((st = a2a_hf_open_weights(ctx, src_dir, cands, 2, "clap_text", &wf))) goto done_vocab;
    if (!wf) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "clap_text convert: no model.safetensors / pytorch_model.bin in %s", src_dir);
        goto done_vocab;
    }
    const char *acts[2] = {NULL, NULL};
    for (size_t i = 0; i < sizeof k_acts / sizeof k_acts[0]; i++) {
        if (!acts[0] && k_acts[i].act == c.hidden_act) acts[0] = k_acts[i].name;
        if (!acts[1] && k_acts[i].act == c.projection_act) acts[1] = k_acts[i].name;
    }
    const struct { const char *k; int v; } u[] = {
        {CT_ARCH ".vocab_size", c.vocab_size},
        {CT_ARCH ".hidden_size", c.hidden_size},
        {CT_ARCH ".num_hidden_layers", c.num_hidden_layers},
        {CT_ARCH ".num_attention_heads", c.num_attention_heads},
        {CT_ARCH ".intermediate_size", c.intermediate_size},
        {CT_ARCH ".max_position_embeddings", c.max_position_embeddings},
        {CT_ARCH ".type_vocab_size", c.type_vocab_size},
        {CT_ARCH ".projection_dim", c.projection_dim},
        {CT_ARCH ".pad_token_id", c.pad_token_id},
        {CT_ARCH ".max_length", c.max_length},
    };
    for (size_t i = 0; i < sizeof u / sizeof u[0] && !st; i++) st = a2a_gguf_writer_set_u32(ctx, w, u[i].k, (uint32_t)u[i].v);
    if (!st) st = a2a_gguf_writer_set_f32(ctx, w, CT_ARCH ".layer_norm_eps", c.layer_norm_eps);
    if (!st) st = a2a_gguf_writer_set_str(ctx, w, CT_ARCH ".hidden_act", acts[0]);
    if (!st) st = a2a_gguf_writer_set_str(ctx, w, CT_ARCH ".projection_hidden_act", acts[1]);
    if (!st) st = write_vocab(ctx, w, &v);
    const int64_t nt = a2a_weights_n_tensors(wf);
    for (int64_t i = 0; i < nt && !st; i++) {
        const a2a_tensor *t = a2a_weights_tensor(wf, i);
        if (is_buffer_name(t->name)) continue;
        if (!(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clap_text convert: tensor %s has type %s (float types only)", t->name,
                          a2a_type_name(t->type));
            break;
        }
        char name[CT_NAME_MAX];
        if (snprintf(name, sizeof name, "%s%s", prefix, t->name) >= (int)sizeof name) {
            st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clap_text convert: tensor name '%s%s' too long", prefix, t->name);
            break;
        }
        a2a_type dt = A2A_TYPE_F32;
        if (t->n_dims >= 2) dt = strstr(t->name, "embeddings.") ? p.embed_type : p.weight_type;
        if (t->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        int64_t ne[A2A_MAX_DIMS];
        for (int d = 0; d < A2A_MAX_DIMS; d++) ne[d] = t->ne[d];
        if ((st = a2a_convert_tensor_keep(ctx, p.tp, w, t, dt, name, t->n_dims, ne, "clap_text"))) break;
        if (p.progress && p.progress(i + 1, nt, name, p.user)) st = a2a_fail(ctx, A2A_ERR_CANCELLED, "clap_text convert: cancelled");
    }
    a2a_weights_close(wf);
done_vocab:
    ct_vocab_free(&v);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_clap_text_convert_add(ctx, w, src_dir, NULL, p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_clap_text *m;
    a2a_status st = a2a_clap_text_load(ctx, path, &m);
    if (st == A2A_OK) a2a_clap_text_free(m);
    return st;
}

a2a_status a2a_clap_text_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                                 const a2a_clap_text_convert_params *p) {
    return a2a_hf_convert_file(ctx, "clap_text convert", CT_ARCH, "ClapTextModelWithProjection", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
