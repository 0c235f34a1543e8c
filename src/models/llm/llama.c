/* LLaMA-family decoder (llama, qwen2) from GGUF: loading with validation, KV cache, forward. */
#include "models/llm/llama.h"
#include "models/llm/llama_lora.h"
#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "kernels/ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ loading */

/* Read "<arch>.<suffix>" as u32 into *out; required keys fail with a message, optional keep *out. */
static a2a_status arch_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *arch, const char *suffix, bool required,
                           int32_t *out) {
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    if (a2a_gguf_find_key(g, key) < 0) {
        if (required) return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: missing metadata key '%s'", key);
        return A2A_OK;
    }
    uint32_t v;
    a2a_status st = a2a_gguf_get_u32(ctx, g, key, &v);
    if (st) return st;
    if (v > (uint32_t)INT32_MAX) return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: '%s' = %u is out of range", key, v);
    *out = (int32_t)v;
    return A2A_OK;
}

static a2a_status arch_f32(a2a_ctx *ctx, const a2a_gguf *g, const char *arch, const char *suffix, float *out) {
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    return a2a_gguf_get_f32(ctx, g, key, out);
}

/* Find a tensor "<name>" and check its type is usable and its shape is [ne0, ne1] (ne1 = 1 for
   vectors). Optional tensors may be absent (*out = NULL). */
static a2a_status want_tensor(a2a_ctx *ctx, const a2a_gguf *g, const char *name, int64_t ne0, int64_t ne1,
                              bool required, const a2a_tensor **out) {
    const a2a_tensor *t = a2a_gguf_find_tensor(g, name);
    *out = t;
    if (!t) return required ? a2a_fail(ctx, A2A_ERR_FORMAT, "llm: missing tensor '%s'", name) : A2A_OK;
    const a2a_type_traits *tr = a2a_type_info(t->type);
    if (!tr || !tr->compute)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "llm: tensor '%s' has type %s, which this build cannot compute with", name,
                        a2a_type_name(t->type));
    if (t->ne[0] != ne0 || t->ne[1] != ne1 || t->ne[2] != 1 || t->ne[3] != 1 || t->ne[4] != 1) {
        char buf[96];
        return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: tensor '%s' has shape %s, expected [%lld, %lld]", name,
                        a2a_tensor_shape_str(t, buf, sizeof(buf)), (long long)ne0, (long long)ne1);
    }
    return A2A_OK;
}

static a2a_status load_hparams(a2a_ctx *ctx, const a2a_gguf *g, a2a_llm_hparams *hp, char *arch, size_t arch_cap) {
    const char *a;
    size_t alen;
    if (a2a_gguf_get_str(ctx, g, "general.architecture", &a, &alen) != A2A_OK)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: no general.architecture in the file");
    if (alen == 5 && !memcmp(a, "llama", 5)) hp->arch = A2A_LLM_LLAMA;
    else if (alen == 5 && !memcmp(a, "qwen2", 5)) hp->arch = A2A_LLM_QWEN2;
    else return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "llm: architecture '%.*s' is not supported (llama, qwen2)", (int)alen, a);
    snprintf(arch, arch_cap, "%.*s", (int)alen, a);
    a2a_status st;
    if ((st = arch_u32(ctx, g, arch, "embedding_length", true, &hp->n_embd)) ||
        (st = arch_u32(ctx, g, arch, "block_count", true, &hp->n_layer)) ||
        (st = arch_u32(ctx, g, arch, "feed_forward_length", true, &hp->n_ff)) ||
        (st = arch_u32(ctx, g, arch, "attention.head_count", true, &hp->n_head)))
        return st;
    hp->n_head_kv = hp->n_head;
    hp->n_ctx_train = 2048;
    if ((st = arch_u32(ctx, g, arch, "attention.head_count_kv", false, &hp->n_head_kv)) ||
        (st = arch_u32(ctx, g, arch, "context_length", false, &hp->n_ctx_train)))
        return st;
    if (hp->n_embd <= 0 || hp->n_layer <= 0 || hp->n_head <= 0 || hp->n_head_kv <= 0 || hp->n_ff <= 0 ||
        hp->n_embd > (1 << 16) || hp->n_layer > 1024 || hp->n_ff > (1 << 20) || hp->n_head > 4096 ||
        hp->n_head % hp->n_head_kv != 0 || hp->n_ctx_train <= 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT,
                        "llm: inconsistent hyperparameters (n_embd %d, n_layer %d, n_ff %d, n_head %d, n_head_kv %d, ctx %d)",
                        hp->n_embd, hp->n_layer, hp->n_ff, hp->n_head, hp->n_head_kv, hp->n_ctx_train);
    hp->head_dim = hp->n_embd / hp->n_head;
    if ((st = arch_u32(ctx, g, arch, "attention.key_length", false, &hp->head_dim))) return st;
    int32_t vlen = hp->head_dim;
    if ((st = arch_u32(ctx, g, arch, "attention.value_length", false, &vlen))) return st;
    if (hp->head_dim <= 0 || hp->head_dim > 1024 || hp->head_dim % 2 || vlen != hp->head_dim)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: head dimension %d (value %d) is not supported", hp->head_dim, vlen);
    hp->n_rot = hp->head_dim;
    if ((st = arch_u32(ctx, g, arch, "rope.dimension_count", false, &hp->n_rot))) return st;
    if (hp->n_rot <= 0 || hp->n_rot > hp->head_dim || hp->n_rot % 2)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: rope.dimension_count %d is invalid for head_dim %d", hp->n_rot, hp->head_dim);
    hp->rope_mode = hp->arch == A2A_LLM_QWEN2 ? A2A_ROPE_NEOX : A2A_ROPE_NORMAL;
    hp->rope_base = 10000.0f;
    hp->rope_scale = 1.0f;
    hp->rms_eps = 1e-5f;
    if ((st = arch_f32(ctx, g, arch, "rope.freq_base", &hp->rope_base)) ||
        (st = arch_f32(ctx, g, arch, "attention.layer_norm_rms_epsilon", &hp->rms_eps)))
        return st;
    /* rope scaling: linear is supported; others are refused rather than run wrong */
    char key[128];
    snprintf(key, sizeof(key), "%s.rope.scaling.type", arch);
    const char *stype;
    size_t slen;
    if (a2a_gguf_get_str(NULL, g, key, &stype, &slen) == A2A_OK && !(slen == 4 && !memcmp(stype, "none", 4))) {
        if (!(slen == 6 && !memcmp(stype, "linear", 6)))
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "llm: rope scaling '%.*s' is not supported (none, linear)", (int)slen, stype);
        float factor = 1.0f;
        if ((st = arch_f32(ctx, g, arch, "rope.scaling.factor", &factor))) return st;
        if (!(factor > 0)) return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: rope.scaling.factor %g is invalid", factor);
        hp->rope_scale = 1.0f / factor;
    }
    if (!(hp->rope_base > 0) || !(hp->rms_eps > 0))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "llm: rope.freq_base %g / rms epsilon %g invalid", hp->rope_base, hp->rms_eps);
    return A2A_OK;
}

a2a_status a2a_llm_load(a2a_ctx *ctx, const char *path, a2a_llm_model **out) {
    *out = NULL;
    a2a_llm_model *m = calloc(1, sizeof(*m));
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "llm: out of memory");
    a2a_status st = a2a_gguf_open(ctx, path, &m->gguf);
    if (st) goto fail;
    char arch[32];
    if ((st = load_hparams(ctx, m->gguf, &m->hp, arch, sizeof(arch)))) goto fail;
    const a2a_llm_hparams *hp = &m->hp;
    const a2a_gguf *g = m->gguf;
    const a2a_tensor *te = a2a_gguf_find_tensor(g, "token_embd.weight");
    if (!te) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "llm: missing tensor 'token_embd.weight'"); goto fail; }
    m->hp.n_vocab = (int32_t)te->ne[1];
    if ((st = want_tensor(ctx, g, "token_embd.weight", hp->n_embd, hp->n_vocab, true, &m->tok_embd)) ||
        (st = want_tensor(ctx, g, "output_norm.weight", hp->n_embd, 1, true, &m->output_norm)) ||
        (st = want_tensor(ctx, g, "output.weight", hp->n_embd, hp->n_vocab, false, &m->output)))
        goto fail;
    if (!m->output) m->output = m->tok_embd; /* tied embeddings */
    if (m->output_norm->type != A2A_TYPE_F32) { st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "llm: norm weights must be f32"); goto fail; }
    m->layers = calloc((size_t)hp->n_layer, sizeof(a2a_llm_layer));
    if (!m->layers) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "llm: out of memory"); goto fail; }
    const int64_t q_dim = (int64_t)hp->n_head * hp->head_dim, kv_dim = (int64_t)hp->n_head_kv * hp->head_dim;
    for (int32_t i = 0; i < hp->n_layer; i++) {
        a2a_llm_layer *L = &m->layers[i];
        char n[96];
        bool bias = hp->arch == A2A_LLM_QWEN2;
#define T(field, suffix, ne0, ne1, req)                                                            \
        snprintf(n, sizeof(n), "blk.%d." suffix, i);                                              \
        if ((st = want_tensor(ctx, g, n, ne0, ne1, req, &L->field))) goto fail;
        T(attn_norm, "attn_norm.weight", hp->n_embd, 1, true)
        T(wq, "attn_q.weight", hp->n_embd, q_dim, true)
        T(wk, "attn_k.weight", hp->n_embd, kv_dim, true)
        T(wv, "attn_v.weight", hp->n_embd, kv_dim, true)
        T(wo, "attn_output.weight", q_dim, hp->n_embd, true)
        T(bq, "attn_q.bias", q_dim, 1, bias)
        T(bk, "attn_k.bias", kv_dim, 1, bias)
        T(bv, "attn_v.bias", kv_dim, 1, bias)
        T(ffn_norm, "ffn_norm.weight", hp->n_embd, 1, true)
        T(w_gate, "ffn_gate.weight", hp->n_embd, hp->n_ff, true)
        T(w_up, "ffn_up.weight", hp->n_embd, hp->n_ff, true)
        T(w_down, "ffn_down.weight", hp->n_ff, hp->n_embd, true)
#undef T
        const a2a_tensor *vecs[] = {L->attn_norm, L->ffn_norm, L->bq, L->bk, L->bv};
        for (size_t k = 0; k < sizeof(vecs) / sizeof(vecs[0]); k++)
            if (vecs[k] && vecs[k]->type != A2A_TYPE_F32) {
                st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "llm: tensor '%s' must be f32 (is %s)", vecs[k]->name, a2a_type_name(vecs[k]->type));
                goto fail;
            }
    }
    if (a2a_gguf_find_key(g, "tokenizer.ggml.model") >= 0) {
        if ((st = a2a_vocab_load(ctx, g, &m->vocab))) goto fail;
        if (m->vocab->n_tokens > hp->n_vocab) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "llm: tokenizer has %d tokens but token_embd has %d rows", m->vocab->n_tokens, hp->n_vocab);
            goto fail;
        }
    }
    *out = m;
    return A2A_OK;
fail:
    a2a_error_prefix(ctx, "%s", path);
    a2a_llm_free(m);
    return st;
}

void a2a_llm_free(a2a_llm_model *m) {
    if (!m) return;
    a2a_vocab_free(m->vocab);
    free(m->layers);
    a2a_gguf_close(m->gguf);
    free(m);
}

/* ------------------------------------------------------------------ sessions */

a2a_llm_session_params a2a_llm_session_default_params(void) {
    return (a2a_llm_session_params){0, 0, A2A_TYPE_F16};
}

/* Activation buffers for a batch of T tokens (all F32 unless noted). */
typedef struct acts {
    a2a_tensor x;      /* [n_embd, T] residual stream */
    a2a_tensor h;      /* [n_embd, T] normed input of attention / FFN */
    a2a_tensor q;      /* [head_dim, n_head, T] */
    a2a_tensor k;      /* [head_dim, n_head_kv, T] */
    a2a_tensor v;      /* [head_dim, n_head_kv, T] */
    a2a_tensor attn;   /* [head_dim, n_head, T] attention output (== [q_dim, T]) */
    a2a_tensor o;      /* [n_embd, T] output of wo / w_down */
    a2a_tensor gate;   /* [n_ff, T] */
    a2a_tensor up;     /* [n_ff, T] */
    a2a_tensor pos;    /* I32 [T] */
    a2a_tensor ids;    /* I32 [T] */
} acts;

/* Carve the activation tensors for T tokens out of arena a; false if it does not fit. */
static bool plan_acts(a2a_arena *a, const a2a_llm_hparams *hp, int64_t T, acts *A) {
    int64_t e[2] = {hp->n_embd, T}, f[2] = {hp->n_ff, T}, t[1] = {T};
    int64_t q[3] = {hp->head_dim, hp->n_head, T}, kv[3] = {hp->head_dim, hp->n_head_kv, T};
    return a2a_arena_tensor(a, &A->x, A2A_TYPE_F32, 2, e) && a2a_arena_tensor(a, &A->h, A2A_TYPE_F32, 2, e) &&
           a2a_arena_tensor(a, &A->q, A2A_TYPE_F32, 3, q) && a2a_arena_tensor(a, &A->k, A2A_TYPE_F32, 3, kv) &&
           a2a_arena_tensor(a, &A->v, A2A_TYPE_F32, 3, kv) && a2a_arena_tensor(a, &A->attn, A2A_TYPE_F32, 3, q) &&
           a2a_arena_tensor(a, &A->o, A2A_TYPE_F32, 2, e) && a2a_arena_tensor(a, &A->gate, A2A_TYPE_F32, 2, f) &&
           a2a_arena_tensor(a, &A->up, A2A_TYPE_F32, 2, f) && a2a_arena_tensor(a, &A->pos, A2A_TYPE_I32, 1, t) &&
           a2a_arena_tensor(a, &A->ids, A2A_TYPE_I32, 1, t);
}

a2a_status a2a_llm_session_new(a2a_ctx *ctx, const a2a_llm_model *m, a2a_threadpool *tp,
                               const a2a_llm_session_params *p, a2a_llm_session **out) {
    *out = NULL;
    a2a_llm_session_params d = a2a_llm_session_default_params();
    if (!p) p = &d;
    const a2a_llm_hparams *hp = &m->hp;
    int32_t n_ctx = p->n_ctx > 0 ? p->n_ctx : A2A_MIN(hp->n_ctx_train, 4096);
    int32_t n_batch = p->n_batch > 0 ? p->n_batch : 512;
    if (n_batch > n_ctx) n_batch = n_ctx;
    if (p->kv_type != A2A_TYPE_F16 && p->kv_type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: KV cache type must be f16 or f32");
    if (n_ctx > (1 << 24)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: context of %d positions is too large", n_ctx);
    a2a_llm_session *s = calloc(1, sizeof(*s));
    if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "llm: out of memory");
    s->m = m;
    s->tp = tp;
    s->n_ctx = n_ctx;
    s->n_batch = n_batch;
    s->kv_type = p->kv_type;
    a2a_status st = A2A_OK;
    /* KV cache: one block, [head_dim, n_ctx, n_head_kv] per layer for K and V */
    size_t esz = a2a_type_info(p->kv_type)->size, per, total;
    if (!a2a_mul_ok((size_t)hp->head_dim * (size_t)hp->n_head_kv, (size_t)n_ctx, &per) || !a2a_mul_ok(per, esz, &per) ||
        !a2a_mul_ok(per, (size_t)hp->n_layer * 2, &total)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "llm: KV cache size overflows");
        goto fail;
    }
    s->kv_mem = aligned_alloc(64, a2a_align_up(total, 64));
    s->k_cache = calloc((size_t)hp->n_layer, sizeof(a2a_tensor));
    s->v_cache = calloc((size_t)hp->n_layer, sizeof(a2a_tensor));
    if (!s->kv_mem || !s->k_cache || !s->v_cache) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "llm: cannot allocate a KV cache of %.1f MiB", total / 1048576.0);
        goto fail;
    }
    for (int32_t l = 0; l < hp->n_layer; l++) {
        int64_t ne[3] = {hp->head_dim, n_ctx, hp->n_head_kv};
        a2a_tensor_init(&s->k_cache[l], p->kv_type, 3, ne, (char *)s->kv_mem + per * (size_t)(2 * l));
        a2a_tensor_init(&s->v_cache[l], p->kv_type, 3, ne, (char *)s->kv_mem + per * (size_t)(2 * l + 1));
    }
    /* activations: measure once, allocate once */
    a2a_arena meas;
    a2a_arena_init_measure(&meas);
    acts A;
    if (!plan_acts(&meas, hp, n_batch, &A)) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "llm: activation plan overflows");
        goto fail;
    }
    if ((st = a2a_arena_init(ctx, &s->act, meas.peak))) goto fail;
    *out = s;
    return A2A_OK;
fail:
    a2a_llm_session_free(s);
    return st;
}

void a2a_llm_session_free(a2a_llm_session *s) {
    if (!s) return;
    free(s->kv_mem);
    free(s->k_cache);
    free(s->v_cache);
    free(s->logits);
    free(s->hidden);
    free(s->lora_buf);
    a2a_arena_free(&s->act);
    free(s);
}

void a2a_llm_session_rewind(a2a_llm_session *s, int32_t n_past) {
    if (n_past < 0) n_past = 0;
    if (n_past < s->n_past) s->n_past = n_past;
}

/* ------------------------------------------------------------------ forward */

/* View of rows [i0, i0+n) of a 2-D-like tensor whose outermost used dim is the token dim `dim`. */
static a2a_tensor token_rows(const a2a_tensor *t, int dim, int64_t i0, int64_t n) {
    int64_t ne[A2A_MAX_DIMS], off[A2A_MAX_DIMS] = {0};
    for (int i = 0; i < A2A_MAX_DIMS; i++) ne[i] = t->ne[i];
    ne[dim] = n;
    off[dim] = i0;
    return a2a_tensor_view(t, t->n_dims, ne, off);
}

/* One transformer layer over the T tokens in A (positions s->n_past ...). */
static a2a_status layer_forward(a2a_ctx *ctx, a2a_llm_session *s, int32_t l, acts *A, int64_t T) {
    const a2a_llm_hparams *hp = &s->m->hp;
    const a2a_llm_layer *L = &s->m->layers[l];
    a2a_threadpool *tp = s->tp;
    a2a_status st;
    /* 2-D views of the head-split tensors for the projections */
    int64_t qd[2] = {(int64_t)hp->n_head * hp->head_dim, T}, kd[2] = {(int64_t)hp->n_head_kv * hp->head_dim, T};
    a2a_tensor q2 = a2a_tensor_reshape(&A->q, 2, qd), k2 = a2a_tensor_reshape(&A->k, 2, kd), v2 = a2a_tensor_reshape(&A->v, 2, kd);
    a2a_tensor attn2 = a2a_tensor_reshape(&A->attn, 2, qd);
    if ((st = a2a_op_rms_norm(ctx, tp, &A->h, &A->x, L->attn_norm, hp->rms_eps)) ||
        (st = a2a_op_matmul(ctx, tp, &q2, L->wq, &A->h)) || (st = a2a_op_matmul(ctx, tp, &k2, L->wk, &A->h)) ||
        (st = a2a_op_matmul(ctx, tp, &v2, L->wv, &A->h)))
        return st;
    if (s->m->lora && ((st = a2a_llm_lora_apply(ctx, s, l, 0, &A->h, &q2)) || (st = a2a_llm_lora_apply(ctx, s, l, 1, &A->h, &k2)) ||
                       (st = a2a_llm_lora_apply(ctx, s, l, 2, &A->h, &v2))))
        return st;
    if (L->bq && ((st = a2a_op_add(ctx, tp, &q2, &q2, L->bq)) || (st = a2a_op_add(ctx, tp, &k2, &k2, L->bk)) ||
                  (st = a2a_op_add(ctx, tp, &v2, &v2, L->bv))))
        return st;
    a2a_rope_params rp = a2a_rope_default_params();
    rp.n_rot = hp->n_rot;
    rp.mode = hp->rope_mode;
    rp.freq_base = hp->rope_base;
    rp.freq_scale = hp->rope_scale;
    if ((st = a2a_op_rope(ctx, tp, &A->q, &A->q, &A->pos, &rp)) || (st = a2a_op_rope(ctx, tp, &A->k, &A->k, &A->pos, &rp)))
        return st;
    /* append K and V: [hd, Hkv, T] -> cache view [hd, T, Hkv] at n_past */
    const int perm[A2A_MAX_DIMS] = {0, 2, 1, 3, 4};
    a2a_tensor kt = a2a_tensor_permute(&A->k, perm), vt = a2a_tensor_permute(&A->v, perm);
    a2a_tensor kc = token_rows(&s->k_cache[l], 1, s->n_past, T), vc = token_rows(&s->v_cache[l], 1, s->n_past, T);
    if ((st = a2a_op_copy(ctx, tp, &kc, &kt)) || (st = a2a_op_copy(ctx, tp, &vc, &vt))) return st;
    /* attention over positions [0, n_past + T) */
    a2a_tensor kall = token_rows(&s->k_cache[l], 1, 0, s->n_past + T), vall = token_rows(&s->v_cache[l], 1, 0, s->n_past + T);
    a2a_tensor qv = a2a_tensor_permute(&A->q, perm); /* [hd, T, H] */
    a2a_attention_params ap = a2a_attention_default_params();
    ap.causal = 1;
    ap.kv_offset = s->n_past;
    if ((st = a2a_op_attention(ctx, tp, &A->attn, &qv, &kall, &vall, NULL, &ap))) return st;
    if ((st = a2a_op_matmul(ctx, tp, &A->o, L->wo, &attn2)) ||
        (s->m->lora && (st = a2a_llm_lora_apply(ctx, s, l, 3, &attn2, &A->o))) || (st = a2a_op_add(ctx, tp, &A->x, &A->x, &A->o)))
        return st;
    /* feed-forward: down(silu(gate(h)) * up(h)) */
    if ((st = a2a_op_rms_norm(ctx, tp, &A->h, &A->x, L->ffn_norm, hp->rms_eps)) ||
        (st = a2a_op_matmul(ctx, tp, &A->gate, L->w_gate, &A->h)) || (st = a2a_op_matmul(ctx, tp, &A->up, L->w_up, &A->h)) ||
        (st = a2a_op_swiglu(ctx, tp, &A->gate, &A->gate, &A->up)) || (st = a2a_op_matmul(ctx, tp, &A->o, L->w_down, &A->gate)) ||
        (st = a2a_op_add(ctx, tp, &A->x, &A->x, &A->o)))
        return st;
    return A2A_OK;
}

/* Make room for `rows` output rows in s->logits / s->hidden. */
static a2a_status reserve_out(a2a_ctx *ctx, a2a_llm_session *s, int32_t rows) {
    if (rows <= s->cap_out) return A2A_OK;
    const a2a_llm_hparams *hp = &s->m->hp;
    float *lg = realloc(s->logits, sizeof(float) * (size_t)hp->n_vocab * (size_t)rows);
    if (lg) s->logits = lg;
    float *hd = realloc(s->hidden, sizeof(float) * (size_t)hp->n_embd * (size_t)rows);
    if (hd) s->hidden = hd;
    if (!lg || !hd) return a2a_fail(ctx, A2A_ERR_NOMEM, "llm: cannot allocate logits for %d rows", rows);
    s->cap_out = rows;
    return A2A_OK;
}

/* Forward one chunk of T <= n_batch positions; appends selected rows to the outputs. */
static a2a_status decode_chunk(a2a_ctx *ctx, a2a_llm_session *s, const int32_t *tokens, const float *embd,
                               const uint8_t *embd_mask, int64_t T, const uint8_t *out_rows, bool last_chunk,
                               const volatile int *cancel) {
    const a2a_llm_hparams *hp = &s->m->hp;
    a2a_arena_reset(&s->act);
    acts A;
    if (!plan_acts(&s->act, hp, T, &A)) return a2a_fail(ctx, A2A_ERR_INTERNAL, "llm: activation arena too small");
    int32_t *ids = A.ids.data, *pos = A.pos.data;
    for (int64_t i = 0; i < T; i++) {
        bool use_embd = embd_mask && embd_mask[i];
        ids[i] = use_embd ? 0 : tokens[i];
        pos[i] = (int32_t)(s->n_past + i);
    }
    a2a_status st = a2a_op_get_rows(ctx, s->tp, &A.x, s->m->tok_embd, &A.ids);
    if (st) return st;
    if (embd_mask)
        for (int64_t i = 0; i < T; i++)
            if (embd_mask[i]) memcpy((float *)A.x.data + i * hp->n_embd, embd + i * hp->n_embd, sizeof(float) * (size_t)hp->n_embd);
    for (int32_t l = 0; l < hp->n_layer; l++) {
        if (cancel && *cancel) return a2a_fail(ctx, A2A_ERR_CANCELLED, "llm: cancelled");
        if ((st = layer_forward(ctx, s, l, &A, T))) return st;
    }
    /* gather the requested rows, final norm, logits */
    int32_t n_sel = 0;
    for (int64_t i = 0; i < T; i++)
        if (out_rows ? out_rows[i] : (last_chunk && i == T - 1)) n_sel++;
    if (n_sel) {
        if ((st = reserve_out(ctx, s, s->n_out + n_sel))) return st;
        float *hid = s->hidden + (size_t)s->n_out * hp->n_embd;
        int32_t k = 0;
        for (int64_t i = 0; i < T; i++)
            if (out_rows ? out_rows[i] : (last_chunk && i == T - 1))
                memcpy(hid + (size_t)(k++) * hp->n_embd, (float *)A.x.data + i * hp->n_embd, sizeof(float) * (size_t)hp->n_embd);
        a2a_tensor ht = a2a_tensor_make(A2A_TYPE_F32, hid, hp->n_embd, n_sel, 1, 1);
        a2a_tensor lt = a2a_tensor_make(A2A_TYPE_F32, s->logits + (size_t)s->n_out * hp->n_vocab, hp->n_vocab, n_sel, 1, 1);
        if ((st = a2a_op_rms_norm(ctx, s->tp, &ht, &ht, s->m->output_norm, hp->rms_eps)) ||
            (st = a2a_op_matmul(ctx, s->tp, &lt, s->m->output, &ht)))
            return st;
        s->n_out += n_sel;
    }
    s->n_past += (int32_t)T;
    return A2A_OK;
}

a2a_status a2a_llm_decode(a2a_ctx *ctx, a2a_llm_session *s, const int32_t *tokens, const float *embd,
                          const uint8_t *embd_mask, int32_t n, const uint8_t *out_rows, const volatile int *cancel) {
    const a2a_llm_hparams *hp = &s->m->hp;
    if (n <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: decode needs at least one position");
    if (n > s->n_ctx - s->n_past)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: context is full: %d positions used + %d new > %d (n_ctx)", s->n_past, n, s->n_ctx);
    for (int32_t i = 0; i < n; i++) {
        bool use_embd = embd_mask && embd_mask[i];
        if (use_embd && !embd) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: embd_mask set but no embeddings given");
        if (!use_embd && (!tokens || tokens[i] < 0 || tokens[i] >= hp->n_vocab))
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "llm: token id %d at position %d is out of range [0, %d)",
                            tokens ? tokens[i] : -1, i, hp->n_vocab);
    }
    s->n_out = 0;
    int32_t start_past = s->n_past;
    for (int32_t i0 = 0; i0 < n; i0 += s->n_batch) {
        int32_t T = A2A_MIN(s->n_batch, n - i0);
        a2a_status st = decode_chunk(ctx, s, tokens ? tokens + i0 : NULL, embd ? embd + (size_t)i0 * hp->n_embd : NULL,
                                     embd_mask ? embd_mask + i0 : NULL, T, out_rows ? out_rows + i0 : NULL, i0 + T == n, cancel);
        if (st) {
            s->n_past = start_past; /* leave the cache as it was */
            s->n_out = 0;
            return st;
        }
    }
    return A2A_OK;
}
