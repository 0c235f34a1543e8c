/* Run-time LoRA adapters for the LLaMA-family LLM: see llama.h (a2a_llm_lora_*). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/matmul.h"
#include "kernels/ops.h"
#include "models/llm/llama.h"
#include "models/llm/llama_lora.h"

static const char *const k_module[4] = {"attn_q", "attn_k", "attn_v", "attn_output"};

void a2a_llm_lora_free(a2a_llm_lora *l) {
    if (!l) return;
    free(l->pairs);
    a2a_gguf_close(l->gguf);
    free(l);
}

void a2a_llm_set_lora(a2a_llm_model *m, const a2a_llm_lora *l) { m->lora = l; }

a2a_status a2a_llm_lora_load(a2a_ctx *ctx, const a2a_llm_model *m, const char *path, a2a_llm_lora **out) {
    *out = NULL;
    a2a_llm_lora *l = calloc(1, sizeof *l);
    if (!l) return a2a_fail(ctx, A2A_ERR_NOMEM, "lora: out of memory");
    const a2a_llm_hparams *hp = &m->hp;
    const int64_t q_dim = (int64_t)hp->n_head * hp->head_dim, kv_dim = (int64_t)hp->n_head_kv * hp->head_dim;
    const int64_t n_in[4] = {hp->n_embd, hp->n_embd, hp->n_embd, q_dim};
    const int64_t n_out[4] = {q_dim, kv_dim, kv_dim, hp->n_embd};
    const char *s;
    size_t sl;
    float alpha = 0;
    a2a_status st = a2a_gguf_open(ctx, path, &l->gguf);
    if (st == A2A_OK && (a2a_gguf_get_str(ctx, l->gguf, "adapter.type", &s, &sl) != A2A_OK || sl != 4 || memcmp(s, "lora", 4)))
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: not a LoRA adapter (adapter.type is not \"lora\")", path);
    if (st == A2A_OK) st = a2a_gguf_get_f32(ctx, l->gguf, "adapter.lora.alpha", &alpha);
    if (st == A2A_OK && !(alpha > 0 && isfinite(alpha)))
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: adapter.lora.alpha %g is not positive", path, (double)alpha);
    if (st == A2A_OK && !(l->pairs = calloc((size_t)hp->n_layer, sizeof *l->pairs)))
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "lora: out of memory");
    l->n_layer = hp->n_layer;
    int64_t rank = 0, n_pairs = 0;
    /* every tensor must be one of ours: blk.N.<module>.weight.lora_{a,b} */
    for (int64_t i = 0; st == A2A_OK && i < a2a_gguf_n_tensors(l->gguf); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(l->gguf, i);
        int layer = -1, used = 0;
        char mod[32], ab = 0;
        if (sscanf(t->name, "blk.%d.%31[a-z_].weight.lora_%c%n", &layer, mod, &ab, &used) != 3 ||
            (size_t)used != strlen(t->name) || layer < 0 || layer >= hp->n_layer || (ab != 'a' && ab != 'b')) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: unexpected tensor %s", path, t->name);
            break;
        }
        int j = -1;
        for (int k = 0; k < 4; k++)
            if (!strcmp(mod, k_module[k])) j = k;
        if (j < 0) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: %s adapts %s; only attention q/k/v/output adapters run", path,
                          t->name, mod);
            break;
        }
        if (ab == 'a') l->pairs[layer][j].a = t;
        else l->pairs[layer][j].b = t;
    }
    for (int32_t layer = 0; st == A2A_OK && layer < hp->n_layer; layer++)
        for (int j = 0; j < 4 && st == A2A_OK; j++) {
            a2a_llm_lora_pair *p = &l->pairs[layer][j];
            if (!p->a && !p->b) continue;
            if (!p->a || !p->b) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: blk.%d.%s has only one of lora_a / lora_b", path, layer, k_module[j]);
                break;
            }
            const int64_t r = p->a->ne[1];
            if (p->a->ne[0] != n_in[j] || p->b->ne[0] != r || p->b->ne[1] != n_out[j] || p->a->ne[2] != 1 ||
                p->b->ne[2] != 1 || r < 1 || (rank && r != rank)) {
                st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: blk.%d.%s: A [%lld, %lld] / B [%lld, %lld] do not fit [%lld -> %lld]%s",
                              path, layer, k_module[j], (long long)p->a->ne[0], (long long)p->a->ne[1],
                              (long long)p->b->ne[0], (long long)p->b->ne[1], (long long)n_in[j], (long long)n_out[j],
                              rank && r != rank ? " (ranks differ)" : "");
                break;
            }
            rank = r;
            n_pairs++;
        }
    if (st == A2A_OK && n_pairs == 0) st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no LoRA tensors", path);
    if (st != A2A_OK) {
        a2a_llm_lora_free(l);
        return st;
    }
    l->r_max = (int32_t)rank;
    l->scale = alpha / (float)rank;
    *out = l;
    return A2A_OK;
}

a2a_status a2a_llm_lora_apply(a2a_ctx *ctx, a2a_llm_session *s, int32_t layer, int module, const a2a_tensor *x,
                              a2a_tensor *dst) {
    const a2a_llm_lora *l = s->m->lora;
    if (!l || layer >= l->n_layer) return A2A_OK;
    const a2a_llm_lora_pair *p = &l->pairs[layer][module];
    if (!p->a) return A2A_OK;
    const int64_t r = p->a->ne[1], n_out = p->b->ne[1], T = x->ne[1];
    const size_t need = (size_t)((r + n_out) * T);
    if (need > s->lora_cap) {
        float *b = realloc(s->lora_buf, need * sizeof(float));
        if (!b) return a2a_fail(ctx, A2A_ERR_NOMEM, "lora: out of memory for %zu floats", need);
        s->lora_buf = b;
        s->lora_cap = need;
    }
    a2a_tensor t = a2a_tensor_make(A2A_TYPE_F32, s->lora_buf, r, T, 1, 1);
    a2a_tensor y = a2a_tensor_make(A2A_TYPE_F32, s->lora_buf + r * T, n_out, T, 1, 1);
    a2a_status st;
    if ((st = a2a_op_matmul(ctx, s->tp, &t, p->a, x)) || (st = a2a_op_matmul(ctx, s->tp, &y, p->b, &t)) ||
        (st = a2a_op_scale(ctx, s->tp, &y, &y, l->scale, 0.0f)))
        return st;
    a2a_tensor d2 = a2a_tensor_reshape(dst, 2, (int64_t[2]){n_out, T});
    return a2a_op_add(ctx, s->tp, &d2, &d2, &y);
}
