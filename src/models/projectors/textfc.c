/* NExT-GPT's output projector TextFcLayer: loading, forward and the delta-checkpoint converter
   (contracts and file layout in textfc.h). */
#include "models/projectors/textfc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/weights.h"
#include "kernels/convert.h"
#include "kernels/ops.h"
#include "models/common/nn.h"
#include "models/projectors/projector_impl.h"

#define NAME_LEN 320

/* One pre-norm nn.TransformerEncoderLayer (D = d_model, F = dim_feedforward). */
typedef struct tfc_enc_layer {
    a2a_nn_mha attn;                        /* in_proj [D, 3D] + [3D]; out_proj [D, D] + [D] */
    const a2a_tensor *n1_w, *n1_b;          /* [D] norm1 (before self-attention) */
    const a2a_tensor *n2_w, *n2_b;          /* [D] norm2 (before the feed-forward) */
    a2a_nn_mlp ff;                          /* linear1 [D, F] -> relu -> linear2 [F, D] */
} tfc_enc_layer;

/* One pre-norm nn.TransformerDecoderLayer. */
typedef struct tfc_dec_layer {
    a2a_nn_mha self_attn;                   /* as tfc_enc_layer.attn */
    a2a_nn_mha cross_attn;                  /* multihead_attn: queries from tgt, keys/values memory */
    const a2a_tensor *n1_w, *n1_b;          /* [D] norm1 (self-attention) */
    const a2a_tensor *n2_w, *n2_b;          /* [D] norm2 (cross-attention) */
    const a2a_tensor *n3_w, *n3_b;          /* [D] norm3 (feed-forward) */
    a2a_nn_mlp ff;                          /* linear1 [D, F] -> relu -> linear2 [F, D] */
} tfc_dec_layer;

struct a2a_textfc {
    a2a_gguf *owned;              /* file opened by a2a_textfc_load, or NULL (borrowed) */
    a2a_textfc_mode mode;
    int64_t in_dim, out_dim;      /* LLM width -> decoder conditioning width */
    int64_t hidden;               /* D (transformer d_model) or H (Q-Former hidden) */
    int64_t n_ff;                 /* F */
    int64_t n_out, n_in;          /* output tokens; signal tokens trained with */
    int n_head, n_enc, n_dec;     /* heads; encoder / decoder layers (transformer) */
    float eps;                    /* LayerNorm epsilon */
    a2a_nn_linear fc;             /* fc: w [in_dim, D], b [D] */
    a2a_nn_linear model;          /* model: w [D, out_dim], b [out_dim] */
    /* transformer */
    const a2a_tensor *query;      /* query_embs [D, n_out] F32 */
    tfc_enc_layer *enc;           /* n_enc, owned */
    tfc_dec_layer *dec;           /* n_dec, owned */
    const a2a_tensor *enc_norm_w, *enc_norm_b; /* [D] tfm.encoder.norm */
    const a2a_tensor *dec_norm_w, *dec_norm_b; /* [D] tfm.decoder.norm */
    /* qformer: the input projector's Q-Former with in_dim = H, lang_proj = model (qf.g NULL) */
    a2a_projector qf;
};

static const char *const MODE_NAMES[] = {"transformer", "qformer"};

/* Contract in textfc.h. */
const char *a2a_textfc_mode_name(a2a_textfc_mode m) { return (unsigned)m < 2 ? MODE_NAMES[m] : "?"; }

/* ------------------------------------------------------------------ loading */

typedef struct loader {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix;
    a2a_status st;  /* first error */
} loader;

enum { T_F32 = 0, T_VEC = 1, T_MAT = 2 }; /* F32 only; F32/F16 vector; any matmul type */

/* Tensor "<prefix><printf(fmt, i)>" of ggml shape {ne0} (ne1 == 0) or {ne0, ne1} and the
   given type class; NULL with l->st set (message naming the tensor) otherwise. */
static const a2a_tensor *get(loader *l, int kind, int64_t ne0, int64_t ne1, const char *fmt, int i) {
    if (l->st) return NULL;
    char name[NAME_LEN], suf[NAME_LEN];
    snprintf(suf, sizeof suf, fmt, i);
    int k = snprintf(name, sizeof name, "%s%s", l->prefix, suf);
    if (k < 0 || k >= (int)sizeof name) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "textfc: tensor name prefix too long");
        return NULL;
    }
    int64_t ne[2] = {ne0, ne1};
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, ne1 > 0 ? 2 : 1, ne, true);
    if (!t) {
        l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        a2a_error_prefix(l->ctx, "textfc");
        return NULL;
    }
    const a2a_type_traits *tr = a2a_type_info(t->type);
    bool ok = kind == T_MAT ? (tr && tr->compute) : t->type == A2A_TYPE_F32 || (kind == T_VEC && t->type == A2A_TYPE_F16);
    if (!ok) {
        l->st = a2a_fail(l->ctx, A2A_ERR_UNSUPPORTED, "textfc: tensor %s has type %s, which is not usable here%s", name,
                         a2a_type_name(t->type), kind == T_F32 ? " (f32 expected)" : kind == T_VEC ? " (f32 or f16 expected)" : "");
        return NULL;
    }
    return t;
}

/* Required integer key "<prefix>textfc.<key>" in 1..max. */
static int64_t meta_int(loader *l, const char *key, int64_t max) {
    if (l->st) return 0;
    char full[NAME_LEN];
    snprintf(full, sizeof full, "%stextfc.%s", l->prefix, key);
    uint64_t v = 0;
    if (a2a_gguf_find_key(l->g, full) < 0) {
        l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: missing metadata key '%s'", full);
        return 0;
    }
    if ((l->st = a2a_gguf_get_u64(l->ctx, l->g, full, &v))) return 0;
    if (v < 1 || v > (uint64_t)max) {
        l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: '%s' = %llu is out of range (1..%lld)", full,
                         (unsigned long long)v, (long long)max);
        return 0;
    }
    return (int64_t)v;
}

/* A torch nn.MultiheadAttention "<base>.{in_proj_weight,in_proj_bias,out_proj.*}" of width D. */
static void load_mha(loader *l, a2a_nn_mha *m, const char *base, int i, int64_t D, int n_head) {
    char f[NAME_LEN];
    memset(m, 0, sizeof(*m));
    m->n_head = n_head;
    snprintf(f, sizeof f, "%s.in_proj_weight", base);
    m->in_proj.w = get(l, T_MAT, D, 3 * D, f, i);
    snprintf(f, sizeof f, "%s.in_proj_bias", base);
    m->in_proj.b = get(l, T_VEC, 3 * D, 0, f, i);
    snprintf(f, sizeof f, "%s.out_proj.weight", base);
    m->out.w = get(l, T_MAT, D, D, f, i);
    snprintf(f, sizeof f, "%s.out_proj.bias", base);
    m->out.b = get(l, T_VEC, D, 0, f, i);
}

/* linear1/linear2 of a transformer layer "<base>.linearK.*". */
static void load_ff(loader *l, a2a_nn_mlp *m, const char *base, int i, int64_t D, int64_t F) {
    char f[NAME_LEN];
    m->act = A2A_NN_ACT_RELU;
    snprintf(f, sizeof f, "%s.linear1.weight", base);
    m->fc1.w = get(l, T_MAT, D, F, f, i);
    snprintf(f, sizeof f, "%s.linear1.bias", base);
    m->fc1.b = get(l, T_VEC, F, 0, f, i);
    snprintf(f, sizeof f, "%s.linear2.weight", base);
    m->fc2.w = get(l, T_MAT, F, D, f, i);
    snprintf(f, sizeof f, "%s.linear2.bias", base);
    m->fc2.b = get(l, T_VEC, D, 0, f, i);
}

/* LayerNorm "<base>.normK.{weight,bias}" [D]. */
static void load_norm(loader *l, const a2a_tensor **w, const a2a_tensor **b, const char *base, int i, const char *norm,
                      int64_t D) {
    char f[NAME_LEN];
    snprintf(f, sizeof f, "%s.%s.weight", base, norm);
    *w = get(l, T_VEC, D, 0, f, i);
    snprintf(f, sizeof f, "%s.%s.bias", base, norm);
    *b = get(l, T_VEC, D, 0, f, i);
}

/* Transformer-mode tensors (p's widths already read); errors in l->st. */
static void load_transformer(loader *l, a2a_textfc *p) {
    const int64_t D = p->hidden, F = p->n_ff;
    p->n_enc = (int)meta_int(l, "encoder_block_count", A2A_TEXTFC_MAX_LAYERS);
    p->n_dec = (int)meta_int(l, "decoder_block_count", A2A_TEXTFC_MAX_LAYERS);
    if (l->st) return;
    p->query = get(l, T_F32, D, p->n_out, "query_embs", 0);
    p->enc = calloc((size_t)p->n_enc, sizeof(*p->enc));
    p->dec = calloc((size_t)p->n_dec, sizeof(*p->dec));
    if (!p->enc || !p->dec) {
        l->st = a2a_fail(l->ctx, A2A_ERR_NOMEM, "textfc: out of memory");
        return;
    }
    for (int i = 0; i < p->n_enc && !l->st; i++) {
        tfc_enc_layer *L = &p->enc[i];
        load_mha(l, &L->attn, "tfm.encoder.layers.%d.self_attn", i, D, p->n_head);
        load_norm(l, &L->n1_w, &L->n1_b, "tfm.encoder.layers.%d", i, "norm1", D);
        load_norm(l, &L->n2_w, &L->n2_b, "tfm.encoder.layers.%d", i, "norm2", D);
        load_ff(l, &L->ff, "tfm.encoder.layers.%d", i, D, F);
    }
    for (int i = 0; i < p->n_dec && !l->st; i++) {
        tfc_dec_layer *L = &p->dec[i];
        load_mha(l, &L->self_attn, "tfm.decoder.layers.%d.self_attn", i, D, p->n_head);
        load_mha(l, &L->cross_attn, "tfm.decoder.layers.%d.multihead_attn", i, D, p->n_head);
        load_norm(l, &L->n1_w, &L->n1_b, "tfm.decoder.layers.%d", i, "norm1", D);
        load_norm(l, &L->n2_w, &L->n2_b, "tfm.decoder.layers.%d", i, "norm2", D);
        load_norm(l, &L->n3_w, &L->n3_b, "tfm.decoder.layers.%d", i, "norm3", D);
        load_ff(l, &L->ff, "tfm.decoder.layers.%d", i, D, F);
    }
    load_norm(l, &p->enc_norm_w, &p->enc_norm_b, "tfm.encoder", 0, "norm", D);
    load_norm(l, &p->dec_norm_w, &p->dec_norm_b, "tfm.decoder", 0, "norm", D);
    /* a file with more layers than its metadata says is inconsistent, not silently truncated */
    char name[NAME_LEN];
    snprintf(name, sizeof name, "%stfm.encoder.layers.%d.norm1.weight", l->prefix, p->n_enc);
    if (!l->st && a2a_gguf_find_tensor(l->g, name))
        l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: tensor %s exists but encoder_block_count is %d", name, p->n_enc);
    snprintf(name, sizeof name, "%stfm.decoder.layers.%d.norm1.weight", l->prefix, p->n_dec);
    if (!l->st && a2a_gguf_find_tensor(l->g, name))
        l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: tensor %s exists but decoder_block_count is %d", name, p->n_dec);
}

/* BERT attention block "Qformer.bert.encoder.layer.<i>.<part>" (key/value from kv_dim). */
static void load_bert_attn(loader *l, a2a_nn_mha *m, const a2a_tensor **ln_w, const a2a_tensor **ln_b, int i,
                           const char *part, int64_t H, int64_t kv_dim, int n_head) {
    char f[NAME_LEN];
    memset(m, 0, sizeof(*m));
    m->n_head = n_head;
    struct {
        const char *name;
        int64_t in;
        a2a_nn_linear *lin;
    } lin[4] = {{"self.query", H, &m->q}, {"self.key", kv_dim, &m->k}, {"self.value", kv_dim, &m->v},
                {"output.dense", H, &m->out}};
    for (int j = 0; j < 4; j++) {
        snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.%s.weight", part, lin[j].name);
        lin[j].lin->w = get(l, T_MAT, lin[j].in, H, f, i);
        snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.%s.bias", part, lin[j].name);
        lin[j].lin->b = get(l, T_VEC, H, 0, f, i);
    }
    snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.output.LayerNorm.weight", part);
    *ln_w = get(l, T_VEC, H, 0, f, i);
    snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.output.LayerNorm.bias", part);
    *ln_b = get(l, T_VEC, H, 0, f, i);
}

/* Q-Former-mode tensors into p->qf (the input projector's Q-Former struct, forward shared with
   projectors/qformer.c); errors in l->st. */
static void load_qformer(loader *l, a2a_textfc *p) {
    a2a_projector *q = &p->qf;
    const int64_t H = p->hidden;
    int64_t n_layer = meta_int(l, "block_count", A2A_TEXTFC_MAX_LAYERS);
    int64_t freq = meta_int(l, "cross_attention_frequency", A2A_TEXTFC_MAX_LAYERS);
    if (l->st) return;
    q->type = A2A_PROJECTOR_QFORMER;
    q->in_dim = H; /* the Q-Former cross-attends to fc(x) */
    q->out_dim = p->out_dim;
    q->hidden = H;
    q->n_ff = p->n_ff;
    q->n_query = p->n_out;
    q->n_layer = (int)n_layer;
    q->n_head = p->n_head;
    q->cross_freq = (int)freq;
    q->eps = p->eps;
    q->act = A2A_NN_ACT_GELU;
    q->lang_proj = p->model;
    q->query_tokens = get(l, T_F32, H, p->n_out, "query_tokens", 0);
    q->ln_w = get(l, T_VEC, H, 0, "Qformer.bert.embeddings.LayerNorm.weight", 0);
    q->ln_b = get(l, T_VEC, H, 0, "Qformer.bert.embeddings.LayerNorm.bias", 0);
    if (l->st) return;
    q->layers = calloc((size_t)n_layer, sizeof(*q->layers));
    if (!q->layers) {
        l->st = a2a_fail(l->ctx, A2A_ERR_NOMEM, "textfc: out of memory");
        return;
    }
    char name[NAME_LEN];
    for (int i = 0; i < q->n_layer && !l->st; i++) {
        a2a_qformer_layer *L = &q->layers[i];
        load_bert_attn(l, &L->self_attn, &L->self_ln_w, &L->self_ln_b, i, "attention", H, H, p->n_head);
        L->has_cross = i % q->cross_freq == 0;
        if (L->has_cross) load_bert_attn(l, &L->cross_attn, &L->cross_ln_w, &L->cross_ln_b, i, "crossattention", H, H, p->n_head);
        snprintf(name, sizeof name, "%sQformer.bert.encoder.layer.%d.crossattention.self.query.weight", l->prefix, i);
        if (!l->st && !L->has_cross && a2a_gguf_find_tensor(l->g, name))
            l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: %s exists but cross_attention_frequency is %d", name, q->cross_freq);
        L->ffn.act = A2A_NN_ACT_GELU;
        L->ffn.fc1.w = get(l, T_MAT, H, p->n_ff, "Qformer.bert.encoder.layer.%d.intermediate_query.dense.weight", i);
        L->ffn.fc1.b = get(l, T_VEC, p->n_ff, 0, "Qformer.bert.encoder.layer.%d.intermediate_query.dense.bias", i);
        L->ffn.fc2.w = get(l, T_MAT, p->n_ff, H, "Qformer.bert.encoder.layer.%d.output_query.dense.weight", i);
        L->ffn.fc2.b = get(l, T_VEC, H, 0, "Qformer.bert.encoder.layer.%d.output_query.dense.bias", i);
        L->ffn_ln_w = get(l, T_VEC, H, 0, "Qformer.bert.encoder.layer.%d.output_query.LayerNorm.weight", i);
        L->ffn_ln_b = get(l, T_VEC, H, 0, "Qformer.bert.encoder.layer.%d.output_query.LayerNorm.bias", i);
    }
    snprintf(name, sizeof name, "%sQformer.bert.encoder.layer.%d.attention.self.query.weight", l->prefix, q->n_layer);
    if (!l->st && a2a_gguf_find_tensor(l->g, name))
        l->st = a2a_fail(l->ctx, A2A_ERR_FORMAT, "textfc: tensor %s exists but block_count is %d", name, q->n_layer);
}

/* Contract in textfc.h. */
a2a_status a2a_textfc_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_textfc **out) {
    if (!g || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: NULL file or output");
    *out = NULL;
    if (!prefix) prefix = "";
    if (strlen(prefix) > 200) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: prefix too long");
    a2a_textfc *p = calloc(1, sizeof(*p));
    if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "textfc: out of memory");
    loader l = {ctx, g, prefix, A2A_OK};
    char key[NAME_LEN];
    snprintf(key, sizeof key, "%stextfc.mode", prefix);
    const char *s;
    size_t len;
    if (a2a_gguf_get_str(NULL, g, key, &s, &len) != A2A_OK) {
        l.st = a2a_fail(ctx, A2A_ERR_FORMAT, "textfc: no '%s' string in the file", key);
        goto done;
    }
    if (len == 11 && !memcmp(s, "transformer", 11)) p->mode = A2A_TEXTFC_TRANSFORMER;
    else if (len == 7 && !memcmp(s, "qformer", 7)) p->mode = A2A_TEXTFC_QFORMER;
    else {
        l.st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "textfc: mode '%.*s' is not supported (transformer, qformer)",
                        (int)A2A_MIN(len, 64), s);
        goto done;
    }
    p->in_dim = meta_int(&l, "input_dim", A2A_TEXTFC_MAX_DIM);
    p->out_dim = meta_int(&l, "output_dim", A2A_TEXTFC_MAX_DIM);
    p->hidden = meta_int(&l, "hidden_size", A2A_TEXTFC_MAX_DIM);
    p->n_ff = meta_int(&l, "feed_forward_length", 4 * (int64_t)A2A_TEXTFC_MAX_DIM);
    p->n_out = meta_int(&l, "output_token_count", A2A_TEXTFC_MAX_TOKENS);
    p->n_in = meta_int(&l, "input_token_count", A2A_TEXTFC_MAX_TOKENS);
    p->n_head = (int)meta_int(&l, "head_count", 1024);
    if (l.st) goto done;
    if (p->hidden % p->n_head) {
        l.st = a2a_fail(ctx, A2A_ERR_FORMAT, "textfc: hidden_size %lld is not a multiple of head_count %d",
                        (long long)p->hidden, p->n_head);
        goto done;
    }
    p->eps = p->mode == A2A_TEXTFC_TRANSFORMER ? 1e-5f : 1e-12f;
    snprintf(key, sizeof key, "%stextfc.layer_norm_eps", prefix);
    if (a2a_gguf_find_key(g, key) >= 0 && (l.st = a2a_gguf_get_f32(ctx, g, key, &p->eps))) goto done;
    if (!(p->eps > 0) || !isfinite(p->eps) || p->eps > 1.0f) {
        l.st = a2a_fail(ctx, A2A_ERR_FORMAT, "textfc: %s = %g is invalid", key, (double)p->eps);
        goto done;
    }
    p->fc.w = get(&l, T_MAT, p->in_dim, p->hidden, "fc.weight", 0);
    p->fc.b = get(&l, T_VEC, p->hidden, 0, "fc.bias", 0);
    p->model.w = get(&l, T_MAT, p->hidden, p->out_dim, "model.weight", 0);
    p->model.b = get(&l, T_VEC, p->out_dim, 0, "model.bias", 0);
    if (l.st) goto done;
    if (p->mode == A2A_TEXTFC_TRANSFORMER) load_transformer(&l, p);
    else load_qformer(&l, p);
done:
    if (l.st) {
        a2a_textfc_free(p);
        return l.st;
    }
    *out = p;
    return A2A_OK;
}

/* Contract in textfc.h. */
a2a_status a2a_textfc_load(a2a_ctx *ctx, const char *path, a2a_textfc **out) {
    if (!path || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: NULL path or output");
    *out = NULL;
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st) return st;
    const char *s;
    size_t len;
    if (a2a_gguf_get_str(NULL, g, "general.architecture", &s, &len) != A2A_OK)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "textfc: no general.architecture string in the file");
    else if (!(len == 6 && !memcmp(s, "textfc", 6)))
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "textfc: architecture '%.*s' is not textfc", (int)A2A_MIN(len, 64), s);
    else
        st = a2a_textfc_load_gguf(ctx, g, "", out);
    if (st) {
        a2a_error_prefix(ctx, "%s", path);
        a2a_gguf_close(g);
        return st;
    }
    (*out)->owned = g;
    return A2A_OK;
}

/* Contract in textfc.h. */
void a2a_textfc_free(a2a_textfc *p) {
    if (!p) return;
    free(p->enc);
    free(p->dec);
    free(p->qf.layers);
    a2a_gguf_close(p->owned);
    free(p);
}

/* Contract in textfc.h. */
a2a_textfc_mode a2a_textfc_mode_of(const a2a_textfc *p) { return p->mode; }
/* Contract in textfc.h. */
int64_t a2a_textfc_in_dim(const a2a_textfc *p) { return p->in_dim; }
/* Contract in textfc.h. */
int64_t a2a_textfc_out_dim(const a2a_textfc *p) { return p->out_dim; }
/* Contract in textfc.h. */
int64_t a2a_textfc_n_out_tokens(const a2a_textfc *p) { return p->n_out; }
/* Contract in textfc.h. */
int64_t a2a_textfc_n_in_tokens(const a2a_textfc *p) { return p->n_in; }

/* ------------------------------------------------------------------ forward */

/* A [ne0, ne1] F32 tensor from the arena, or false. */
static bool scratch(a2a_arena *a, a2a_tensor *t, int64_t ne0, int64_t ne1) {
    int64_t ne[2] = {ne0, ne1};
    return a2a_arena_tensor(a, t, A2A_TYPE_F32, 2, ne) && t->data;
}

/* x += f(norm(x)) for f = self-attention (kv NULL), cross-attention over kv, or the MLP (ff). */
static a2a_status prenorm_block(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, a2a_tensor *x, a2a_tensor *a,
                                a2a_tensor *t, const a2a_tensor *nw, const a2a_tensor *nb, float eps, const a2a_nn_mha *m,
                                const a2a_tensor *kv, const a2a_nn_mlp *ff) {
    a2a_status st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, a, x, nw, nb, eps);
    if (st) return st;
    if (ff) st = a2a_nn_mlp_fwd(ctx, tp, tmp, t, ff, a);
    else st = a2a_nn_mha_fwd(ctx, tp, tmp, t, m, a, kv ? kv : a, NULL, false);
    if (st) return st;
    return a2a_op_add(ctx, tp, x, x, t);
}

/* The nn.Transformer part: src [D, n] (overwritten: becomes the memory) and tgt [D, n_out]
   (initialised here from query_embs; the decoder output on return, decoder.norm applied). */
static a2a_status run_transformer(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_textfc *p, a2a_arena *tmp, a2a_tensor *src,
                                  a2a_tensor *tgt) {
    const int64_t D = p->hidden, n = src->ne[1], nq = p->n_out;
    a2a_tensor a, t;
    if (!scratch(tmp, &a, D, A2A_MAX(n, nq)) || !scratch(tmp, &t, D, A2A_MAX(n, nq)))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "textfc: scratch arena too small");
    /* the same buffers viewed with the encoder's (n) and the decoder's (nq) token counts */
    a2a_tensor ae, te, ad, td;
    int64_t ne_e[2] = {D, n}, ne_d[2] = {D, nq};
    a2a_tensor_init(&ae, A2A_TYPE_F32, 2, ne_e, a.data);
    a2a_tensor_init(&te, A2A_TYPE_F32, 2, ne_e, t.data);
    a2a_tensor_init(&ad, A2A_TYPE_F32, 2, ne_d, a.data);
    a2a_tensor_init(&td, A2A_TYPE_F32, 2, ne_d, t.data);
    a2a_status st = A2A_OK;
    for (int i = 0; i < p->n_enc && !st; i++) {
        const tfc_enc_layer *L = &p->enc[i];
        st = prenorm_block(ctx, tp, tmp, src, &ae, &te, L->n1_w, L->n1_b, p->eps, &L->attn, NULL, NULL);
        if (!st) st = prenorm_block(ctx, tp, tmp, src, &ae, &te, L->n2_w, L->n2_b, p->eps, NULL, NULL, &L->ff);
        if (st) a2a_error_prefix(ctx, "textfc: encoder layer %d", i);
    }
    if (!st) st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, src, src, p->enc_norm_w, p->enc_norm_b, p->eps);
    if (st) return st;
    memcpy(tgt->data, p->query->data, sizeof(float) * (size_t)(D * nq));
    for (int i = 0; i < p->n_dec && !st; i++) {
        const tfc_dec_layer *L = &p->dec[i];
        st = prenorm_block(ctx, tp, tmp, tgt, &ad, &td, L->n1_w, L->n1_b, p->eps, &L->self_attn, NULL, NULL);
        if (!st) st = prenorm_block(ctx, tp, tmp, tgt, &ad, &td, L->n2_w, L->n2_b, p->eps, &L->cross_attn, src, NULL);
        if (!st) st = prenorm_block(ctx, tp, tmp, tgt, &ad, &td, L->n3_w, L->n3_b, p->eps, NULL, NULL, &L->ff);
        if (st) a2a_error_prefix(ctx, "textfc: decoder layer %d", i);
    }
    if (!st) st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, tgt, tgt, p->dec_norm_w, p->dec_norm_b, p->eps);
    return st;
}

/* Contract in textfc.h. */
a2a_status a2a_textfc_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_textfc *p, const float *hidden,
                              const float *embeds, int64_t n_tok, float *out) {
    if (!p || !hidden || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: NULL model or buffer");
    if (n_tok < 1 || n_tok > A2A_TEXTFC_MAX_TOKENS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: %lld input tokens (1..%d accepted)", (long long)n_tok,
                        A2A_TEXTFC_MAX_TOKENS);
    const int64_t D = p->hidden, nq = p->n_out, M = A2A_MAX(n_tok, nq);
    /* scratch (floats): x [in, n], src [D, n], tgt [D, nq], a and t [D, M], attention q/k/v/o
       4 D M, MLP hidden F M, layer-norm parameter copies 2 D; 64-byte slack per allocation */
    size_t floats = (size_t)(p->in_dim * n_tok + D * n_tok + D * nq + 6 * D * M + p->n_ff * M + 2 * D);
    a2a_arena tmp;
    a2a_status st = a2a_arena_init(ctx, &tmp, floats * sizeof(float) + 32 * A2A_ARENA_ALIGN);
    if (st) return st;
    a2a_tensor x, h, ht, y;
    if (!scratch(&tmp, &x, p->in_dim, n_tok) || !scratch(&tmp, &h, D, n_tok)) {
        a2a_arena_free(&tmp);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "textfc: scratch arena too small");
    }
    float *xd = (float *)x.data;
    const size_t nx = (size_t)(p->in_dim * n_tok);
    if (embeds) for (size_t i = 0; i < nx; i++) xd[i] = hidden[i] + embeds[i];
    else memcpy(xd, hidden, nx * sizeof(float));
    st = a2a_nn_linear_fwd(ctx, tp, &h, &p->fc, &x);
    if (st) a2a_error_prefix(ctx, "textfc: fc");
    if (!st && p->mode == A2A_TEXTFC_QFORMER) {
        st = a2a_projector_forward_qformer(ctx, tp, &p->qf, (const float *)h.data, n_tok, out);
        if (st) a2a_error_prefix(ctx, "textfc");
    } else if (!st) {
        if (!scratch(&tmp, &ht, D, nq)) st = a2a_fail(ctx, A2A_ERR_NOMEM, "textfc: scratch arena too small");
        if (!st) st = run_transformer(ctx, tp, p, &tmp, &h, &ht);
        int64_t ne_y[2] = {p->out_dim, nq};
        if (!st && !a2a_tensor_init(&y, A2A_TYPE_F32, 2, ne_y, out))
            st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc: bad output shape");
        if (!st) st = a2a_nn_linear_fwd(ctx, tp, &y, &p->model, &ht);
    }
    a2a_arena_free(&tmp);
    return st;
}

/* ------------------------------------------------------------------ converter */

/* One tensor to copy: source key, destination name (without the output prefix), ggml shape. */
typedef struct item {
    char src[NAME_LEN];
    char dst[NAME_LEN];
    int n_dims;     /* 1 or 2 */
    int64_t ne[2];  /* ggml order */
    bool matrix;    /* converted to params.type; the rest F32 */
    bool lead1;     /* source has a leading 1 (query_embs / query_tokens [1, n, D]) */
} item;

typedef struct plan {
    a2a_ctx *ctx;
    a2a_weights *w;
    const char *path;
    const char *pre;  /* "<module>.<i>." */
    item *items;
    int n, cap;
    a2a_status st;
} plan;

/* Source key "<pre><printf(fmt, i)>" into buf. */
static const char *src_key(const plan *pl, char *buf, size_t cap, const char *fmt, int i) {
    char suf[NAME_LEN];
    snprintf(suf, sizeof suf, fmt, i);
    snprintf(buf, cap, "%s%s", pl->pre, suf);
    return buf;
}

/* The source tensor "<pre><printf(fmt, i)>" or NULL. */
static const a2a_tensor *src_find(const plan *pl, const char *fmt, int i) {
    char k[2 * NAME_LEN];
    return a2a_weights_find(pl->w, src_key(pl, k, sizeof k, fmt, i));
}

/* Plan "<pre><fmt(i)>" with ggml shape {ne0} (ne1 == 0) or {ne0, ne1}. */
static void add(plan *pl, int64_t ne0, int64_t ne1, bool matrix, const char *fmt, int i) {
    if (pl->st) return;
    if (pl->n == pl->cap) {
        int nc = pl->cap ? 2 * pl->cap : 64;
        item *ni = realloc(pl->items, sizeof(item) * (size_t)nc);
        if (!ni) {
            pl->st = a2a_fail(pl->ctx, A2A_ERR_NOMEM, "textfc convert: out of memory");
            return;
        }
        pl->items = ni;
        pl->cap = nc;
    }
    item *it = &pl->items[pl->n++];
    memset(it, 0, sizeof(*it));
    snprintf(it->dst, sizeof it->dst, fmt, i);
    int k = snprintf(it->src, sizeof it->src, "%s%s", pl->pre, it->dst);
    if (k < 0 || k >= (int)sizeof it->src) pl->st = a2a_fail(pl->ctx, A2A_ERR_INVALID_ARG, "textfc convert: key too long");
    it->n_dims = ne1 > 0 ? 2 : 1;
    it->ne[0] = ne0;
    it->ne[1] = ne1 > 0 ? ne1 : 1;
    it->matrix = matrix;
}

/* A Linear "<fmt(i)>.weight" [in, out] + ".bias" [out]. */
static void add_linear(plan *pl, int64_t in, int64_t out, const char *fmt, int i) {
    char f[NAME_LEN + 16];
    snprintf(f, sizeof f, "%s.weight", fmt);
    add(pl, in, out, true, f, i);
    snprintf(f, sizeof f, "%s.bias", fmt);
    add(pl, out, 0, false, f, i);
}

/* A LayerNorm "<fmt(i)>.{weight,bias}" [D]. */
static void add_norm(plan *pl, int64_t D, const char *fmt, int i) {
    char f[NAME_LEN + 16];
    snprintf(f, sizeof f, "%s.weight", fmt);
    add(pl, D, 0, false, f, i);
    snprintf(f, sizeof f, "%s.bias", fmt);
    add(pl, D, 0, false, f, i);
}

/* An nn.MultiheadAttention "<fmt(i)>.*" of width D. */
static void add_mha(plan *pl, int64_t D, const char *fmt, int i) {
    char f[NAME_LEN];
    snprintf(f, sizeof f, "%s.in_proj_weight", fmt);
    add(pl, D, 3 * D, true, f, i);
    snprintf(f, sizeof f, "%s.in_proj_bias", fmt);
    add(pl, 3 * D, 0, false, f, i);
    snprintf(f, sizeof f, "%s.out_proj", fmt);
    add_linear(pl, D, D, f, i);
}

/* Number of consecutive i = 0, 1, ... for which "<pre><fmt(i)>" exists. */
static int count_layers(const plan *pl, const char *fmt) {
    int n = 0;
    while (n < A2A_TEXTFC_MAX_LAYERS && src_find(pl, fmt, n)) n++;
    return n;
}

/* A required 2-D source tensor (its widths are read from it); NULL with pl->st set. */
static const a2a_tensor *need_matrix(plan *pl, const char *name) {
    if (pl->st) return NULL;
    const a2a_tensor *t = src_find(pl, name, 0);
    if (!t) {
        pl->st = a2a_fail(pl->ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s%s'", pl->path, pl->pre, name);
        return NULL;
    }
    if (t->n_dims != 2 || t->ne[0] < 1 || t->ne[1] < 1 || t->ne[0] > 4 * (int64_t)A2A_TEXTFC_MAX_DIM ||
        t->ne[1] > 4 * (int64_t)A2A_TEXTFC_MAX_DIM) {
        pl->st = a2a_fail(pl->ctx, A2A_ERR_SHAPE, "%s: '%s%s' is not a 2-D Linear weight of sensible size", pl->path, pl->pre,
                          name);
        return NULL;
    }
    return t;
}

/* Learned queries "<pre><name>" [1, n, D] -> *n (D given); NULL with pl->st set. */
static bool need_queries(plan *pl, const char *name, int64_t D, int64_t *n) {
    if (pl->st) return false;
    const a2a_tensor *t = src_find(pl, name, 0);
    if (!t) {
        pl->st = a2a_fail(pl->ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s%s'", pl->path, pl->pre, name);
        return false;
    }
    if (t->n_dims < 2 || t->n_dims > 3 || t->ne[2] != 1 || t->ne[0] != D || t->ne[1] < 1 || t->ne[1] > A2A_TEXTFC_MAX_TOKENS) {
        pl->st = a2a_fail(pl->ctx, A2A_ERR_SHAPE, "%s: '%s%s' must be [1, n_out <= %d, %lld]", pl->path, pl->pre, name,
                          A2A_TEXTFC_MAX_TOKENS, (long long)D);
        return false;
    }
    *n = t->ne[1];
    add(pl, D, *n, false, name, 0);
    if (!pl->st) pl->items[pl->n - 1].lead1 = true;
    return true;
}

/* Check one planned tensor: present, its shape (torch order in messages), a float type. */
static a2a_status check_item(plan *pl, const item *it) {
    const a2a_tensor *t = a2a_weights_find(pl->w, it->src);
    if (!t) return a2a_fail(pl->ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s'", pl->path, it->src);
    bool ok = t->ne[0] == it->ne[0] && t->ne[1] == it->ne[1] && (t->n_dims <= it->n_dims || it->lead1);
    for (int i = 2; i < A2A_MAX_DIMS; i++) ok = ok && t->ne[i] == 1;
    if (!ok) {
        char got[128];
        size_t o = 0;
        got[0] = 0;
        for (int d = t->n_dims - 1; d >= 0 && o < sizeof(got); d--)
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%lld%s", (long long)t->ne[d], d ? ", " : "");
        if (it->n_dims == 1)
            return a2a_fail(pl->ctx, A2A_ERR_SHAPE, "%s: '%s' has shape [%s], expected [%lld]", pl->path, it->src, got,
                            (long long)it->ne[0]);
        return a2a_fail(pl->ctx, A2A_ERR_SHAPE, "%s: '%s' has shape [%s], expected [%lld, %lld]", pl->path, it->src, got,
                        (long long)it->ne[1], (long long)it->ne[0]);
    }
    if (t->type != A2A_TYPE_F32 && t->type != A2A_TYPE_F16 && t->type != A2A_TYPE_BF16)
        return a2a_fail(pl->ctx, A2A_ERR_UNSUPPORTED, "%s: '%s' has type %s (f32, f16 or bf16 expected)", pl->path, it->src,
                        a2a_type_name(t->type));
    return A2A_OK;
}

/* Contract in textfc.h. */
a2a_textfc_convert_params a2a_textfc_convert_default_params(void) {
    a2a_textfc_convert_params p;
    memset(&p, 0, sizeof(p));
    p.type = A2A_TYPE_F16;
    p.fallback = A2A_TYPE_F16;
    p.index = -1;
    return p;
}

/* u32 metadata "<prefix>textfc.<key>". */
static a2a_status meta_u32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *prefix, const char *key, int64_t v) {
    char k[NAME_LEN];
    snprintf(k, sizeof k, "%stextfc.%s", prefix, key);
    return a2a_gguf_writer_set_u32(ctx, w, k, (uint32_t)v);
}
/* String metadata "<prefix>textfc.<key>". */
static a2a_status meta_str(a2a_ctx *ctx, a2a_gguf_writer *w, const char *prefix, const char *key, const char *v) {
    char k[NAME_LEN];
    snprintf(k, sizeof k, "%stextfc.%s", prefix, key);
    return a2a_gguf_writer_set_str(ctx, w, k, v);
}

/* Contract in textfc.h. */
a2a_status a2a_textfc_convert_add(a2a_ctx *ctx, a2a_gguf_writer *gw, const char *ckpt_path, const char *which,
                                  const char *prefix, const a2a_textfc_convert_params *params) {
    a2a_textfc_convert_params dp = a2a_textfc_convert_default_params();
    const a2a_textfc_convert_params *prm = params ? params : &dp;
    if (!gw || !ckpt_path || !which) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: NULL argument");
    if (!prefix) prefix = "";
    if (strlen(prefix) > 200) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: prefix too long");
    const char *module;
    int n_in_default;
    if (!strcmp(which, "image")) module = "gen_text_hidden_fcs", n_in_default = 4;
    else if (!strcmp(which, "video")) module = "gen_text_hidden_fcs_video", n_in_default = 24;
    else if (!strcmp(which, "audio")) module = "gen_text_hidden_fcs_audio", n_in_default = 8;
    else return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: which = '%.32s' (image, video or audio expected)", which);
    if (!a2a_type_info(prm->type) || !a2a_type_info(prm->fallback) || !a2a_convert_supported(A2A_TYPE_F32, prm->type) ||
        !a2a_convert_supported(A2A_TYPE_F32, prm->fallback) || !a2a_type_info(prm->type)->compute ||
        !a2a_type_info(prm->fallback)->compute)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "textfc convert: target type %s is not supported", a2a_type_name(prm->type));
    if (prm->n_head < 0 || prm->n_head > 1024 || prm->n_in_tokens < 0 || prm->n_in_tokens > A2A_TEXTFC_MAX_TOKENS ||
        !(prm->eps >= 0) || prm->eps > 1.0f || prm->index < -1 || prm->index >= A2A_TEXTFC_MAX_LAYERS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: bad index, n_head, n_in_tokens or eps");

    plan pl = {ctx, NULL, ckpt_path, NULL, NULL, 0, 0, A2A_OK};
    char pre[128], path[4096];
    struct stat sb;
    if (stat(ckpt_path, &sb) == 0 && S_ISDIR(sb.st_mode)) { /* a checkpoint folder: its pytorch_model.pt */
        int k = snprintf(path, sizeof path, "%s/pytorch_model.pt", ckpt_path);
        if (k < 0 || k >= (int)sizeof path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: path too long");
        pl.path = path;
    }
    a2a_status st = a2a_weights_open(ctx, pl.path, &pl.w);
    if (st) {
        a2a_error_prefix(ctx, "%s", pl.path);
        return st;
    }
    /* the ModuleList element */
    int index = prm->index;
    if (index < 0) {
        for (int i = A2A_TEXTFC_MAX_LAYERS - 1; i >= 0 && index < 0; i--) {
            char k[NAME_LEN];
            snprintf(k, sizeof k, "%s.%d.model.weight", module, i);
            if (a2a_weights_find(pl.w, k)) index = i;
        }
        if (index < 0) {
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: no '%s.<i>.model.weight' key: not a NExT-GPT checkpoint with the %s output projector",
                          pl.path, module, which);
            goto done;
        }
    }
    snprintf(pre, sizeof pre, "%s.%d.", module, index);
    pl.pre = pre;
    const a2a_tensor *t;
    int64_t in_dim = 0, D = 0, out_dim = 0, F = 0, n_out = 0;
    int n_head = prm->n_head, n_enc = 0, n_dec = 0, n_layer = 0, freq = 1;
    a2a_textfc_mode mode;
    if (src_find(&pl, "tfm.encoder.norm.weight", 0) || src_find(&pl, "query_embs", 0)) mode = A2A_TEXTFC_TRANSFORMER;
    else if (src_find(&pl, "query_tokens", 0) || src_find(&pl, "Qformer.bert.embeddings.LayerNorm.weight", 0))
        mode = A2A_TEXTFC_QFORMER;
    else if (src_find(&pl, "model.weight", 0) && !src_find(&pl, "fc.weight", 0)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: '%s' is a mode='linear' TextFcLayer, whose forward upstream does not "
                      "define (not supported)", pl.path, pre);
        goto done;
    } else {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: '%s' holds neither a transformer (tfm.*, query_embs) nor a qformer "
                      "(Qformer.*, query_tokens) TextFcLayer", pl.path, pre);
        goto done;
    }
    if ((t = need_matrix(&pl, "fc.weight"))) {
        in_dim = t->ne[0];
        D = t->ne[1];
    }
    if ((t = need_matrix(&pl, "model.weight"))) out_dim = t->ne[1];
    if (pl.st) goto plan_done;
    if (in_dim > A2A_TEXTFC_MAX_DIM || D > A2A_TEXTFC_MAX_DIM || out_dim > A2A_TEXTFC_MAX_DIM) {
        pl.st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: widths %lld -> %lld -> %lld exceed %d", pl.path, (long long)in_dim,
                         (long long)D, (long long)out_dim, A2A_TEXTFC_MAX_DIM);
        goto plan_done;
    }
    add_linear(&pl, in_dim, D, "fc", 0);
    add_linear(&pl, D, out_dim, "model", 0);
    if (mode == A2A_TEXTFC_TRANSFORMER) {
        if (n_head == 0) n_head = 4;
        need_queries(&pl, "query_embs", D, &n_out);
        if ((t = need_matrix(&pl, "tfm.encoder.layers.0.linear1.weight"))) F = t->ne[1];
        n_enc = count_layers(&pl, "tfm.encoder.layers.%d.self_attn.in_proj_weight");
        n_dec = count_layers(&pl, "tfm.decoder.layers.%d.self_attn.in_proj_weight");
        if (!pl.st && n_dec == 0)
            pl.st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%stfm.decoder.layers.0.self_attn.in_proj_weight'",
                             pl.path, pre);
        for (int i = 0; i < n_enc; i++) {
            add_mha(&pl, D, "tfm.encoder.layers.%d.self_attn", i);
            add_linear(&pl, D, F, "tfm.encoder.layers.%d.linear1", i);
            add_linear(&pl, F, D, "tfm.encoder.layers.%d.linear2", i);
            add_norm(&pl, D, "tfm.encoder.layers.%d.norm1", i);
            add_norm(&pl, D, "tfm.encoder.layers.%d.norm2", i);
        }
        add_norm(&pl, D, "tfm.encoder.norm", 0);
        for (int i = 0; i < n_dec; i++) {
            add_mha(&pl, D, "tfm.decoder.layers.%d.self_attn", i);
            add_mha(&pl, D, "tfm.decoder.layers.%d.multihead_attn", i);
            add_linear(&pl, D, F, "tfm.decoder.layers.%d.linear1", i);
            add_linear(&pl, F, D, "tfm.decoder.layers.%d.linear2", i);
            add_norm(&pl, D, "tfm.decoder.layers.%d.norm1", i);
            add_norm(&pl, D, "tfm.decoder.layers.%d.norm2", i);
            add_norm(&pl, D, "tfm.decoder.layers.%d.norm3", i);
        }
        add_norm(&pl, D, "tfm.decoder.norm", 0);
    } else {
        if (n_head == 0) {
            if (D % 64) {
                pl.st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: Q-Former hidden size %lld is not a multiple of 64: set n_head",
                                 pl.path, (long long)D);
                goto plan_done;
            }
            n_head = (int)(D / 64);
        }
        need_queries(&pl, "query_tokens", D, &n_out);
        add_norm(&pl, D, "Qformer.bert.embeddings.LayerNorm", 0);
        if ((t = need_matrix(&pl, "Qformer.bert.encoder.layer.0.intermediate_query.dense.weight"))) F = t->ne[1];
        n_layer = count_layers(&pl, "Qformer.bert.encoder.layer.%d.attention.self.query.weight");
        freq = n_layer;
        for (int i = 1; i < n_layer; i++)
            if (src_find(&pl, "Qformer.bert.encoder.layer.%d.crossattention.self.query.weight", i)) {
                freq = i;
                break;
            }
        static const char *const parts[2] = {"attention", "crossattention"};
        static const char *const lin[4] = {"self.query", "self.key", "self.value", "output.dense"};
        for (int i = 0; i < n_layer && !pl.st; i++) {
            bool has = src_find(&pl, "Qformer.bert.encoder.layer.%d.crossattention.self.query.weight", i) != NULL;
            if (has != (i % freq == 0)) {
                pl.st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: '%s' cross-attention layers are not every %d-th layer (layer %d)",
                                 pl.path, pre, freq, i);
                break;
            }
            for (int pi = 0; pi < (has ? 2 : 1); pi++) {
                char f[NAME_LEN];
                for (int j = 0; j < 4; j++) {
                    snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.%s", parts[pi], lin[j]);
                    add_linear(&pl, D, D, f, i);
                }
                snprintf(f, sizeof f, "Qformer.bert.encoder.layer.%%d.%s.output.LayerNorm", parts[pi]);
                add_norm(&pl, D, f, i);
            }
            add_linear(&pl, D, F, "Qformer.bert.encoder.layer.%d.intermediate_query.dense", i);
            add_linear(&pl, F, D, "Qformer.bert.encoder.layer.%d.output_query.dense", i);
            add_norm(&pl, D, "Qformer.bert.encoder.layer.%d.output_query.LayerNorm", i);
        }
    }
    if (!pl.st && (D % n_head))
        pl.st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: n_head %d does not divide the hidden size %lld", n_head,
                         (long long)D);
    if (!pl.st && (F < 1 || F > 4 * (int64_t)A2A_TEXTFC_MAX_DIM))
        pl.st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: feed-forward width %lld is out of range", pl.path, (long long)F);
plan_done:
    st = pl.st;
    if (st) goto done;
    for (int i = 0; i < pl.n; i++) /* check everything before adding anything */
        if ((st = check_item(&pl, &pl.items[i]))) goto done;
    float eps = prm->eps > 0 ? prm->eps : mode == A2A_TEXTFC_TRANSFORMER ? 1e-5f : 1e-12f;
    char k[NAME_LEN];
    snprintf(k, sizeof k, "%stextfc.layer_norm_eps", prefix);
    if ((st = meta_str(ctx, gw, prefix, "mode", a2a_textfc_mode_name(mode))) ||
        (st = meta_str(ctx, gw, prefix, "source", which)) || (st = meta_u32(ctx, gw, prefix, "input_dim", in_dim)) ||
        (st = meta_u32(ctx, gw, prefix, "output_dim", out_dim)) || (st = meta_u32(ctx, gw, prefix, "hidden_size", D)) ||
        (st = meta_u32(ctx, gw, prefix, "feed_forward_length", F)) ||
        (st = meta_u32(ctx, gw, prefix, "output_token_count", n_out)) ||
        (st = meta_u32(ctx, gw, prefix, "input_token_count", prm->n_in_tokens ? prm->n_in_tokens : n_in_default)) ||
        (st = meta_u32(ctx, gw, prefix, "head_count", n_head)) || (st = a2a_gguf_writer_set_f32(ctx, gw, k, eps)))
        goto done;
    if (mode == A2A_TEXTFC_TRANSFORMER) {
        if ((st = meta_u32(ctx, gw, prefix, "encoder_block_count", n_enc)) ||
            (st = meta_u32(ctx, gw, prefix, "decoder_block_count", n_dec)))
            goto done;
    } else if ((st = meta_u32(ctx, gw, prefix, "block_count", n_layer)) ||
               (st = meta_u32(ctx, gw, prefix, "cross_attention_frequency", freq)))
        goto done;
    for (int i = 0; i < pl.n; i++) {
        const item *it = &pl.items[i];
        t = a2a_weights_find(pl.w, it->src);
        a2a_type dt = A2A_TYPE_F32;
        if (it->matrix) {
            dt = prm->type;
            if (it->ne[0] % a2a_type_info(dt)->blck) dt = prm->fallback;
            if (it->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        }
        a2a_tensor src = *t;
        src.name = it->src;
        size_t row, bytes;
        void *buf = NULL;
        if (!a2a_row_size(dt, t->ne[0], &row) || !a2a_mul_ok(row, (size_t)a2a_tensor_nrows(t), &bytes) ||
            !(buf = malloc(bytes ? bytes : 1))) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "textfc convert: cannot allocate %s for '%s'", a2a_type_name(dt), it->src);
            goto done;
        }
        if ((st = a2a_gguf_writer_keep(ctx, gw, buf))) goto done;
        if ((st = a2a_convert_rows(ctx, prm->tp, &src, dt, buf))) goto done;
        char name[2 * NAME_LEN];
        snprintf(name, sizeof name, "%s%s", prefix, it->dst);
        if ((st = a2a_gguf_writer_add_tensor(ctx, gw, name, dt, it->n_dims, it->ne, buf))) goto done;
    }
done:
    free(pl.items);
    a2a_weights_close(pl.w);
    return st;
}

/* Contract in textfc.h. */
a2a_status a2a_textfc_convert(a2a_ctx *ctx, const char *ckpt_path, const char *which, const char *out_gguf,
                              const a2a_textfc_convert_params *params) {
    if (!out_gguf) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "textfc convert: NULL output path");
    a2a_gguf_writer *gw = NULL;
    a2a_status st = a2a_gguf_writer_new(ctx, &gw);
    if (!st) st = a2a_gguf_writer_set_str(ctx, gw, "general.architecture", "textfc");
    if (!st && which) {
        char nm[64];
        snprintf(nm, sizeof nm, "NExT-GPT TextFcLayer (%.16s)", which);
        st = a2a_gguf_writer_set_str(ctx, gw, "general.name", nm);
    }
    if (!st) st = a2a_textfc_convert_add(ctx, gw, ckpt_path, which, "", params);
    if (!st) st = a2a_gguf_writer_write(ctx, gw, out_gguf);
    a2a_gguf_writer_free(gw);
    return st;
}
