#include "models/llm/llama_random.h"
#include "text/vocab_extend.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool a2a_llm_random_shape(const char *name, a2a_llm_random_params *p) {
    static const struct { const char *name; int32_t e, l, h, hkv, ff; } shapes[] = {
        {"tinyllama", 2048, 22, 32, 4, 5632}, {"7b", 4096, 32, 32, 32, 11008}, {"small", 512, 4, 8, 4, 1408}, {"tiny", 64, 2, 4, 2, 128}};
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (!strcmp(name, shapes[i].name)) {
            memset(p, 0, sizeof(*p));
            p->n_embd = shapes[i].e;
            p->n_layer = shapes[i].l;
            p->n_head = shapes[i].h;
            p->n_head_kv = shapes[i].hkv;
            p->n_ff = shapes[i].ff;
            p->n_ctx = 2048;
            p->n_vocab = 32000;
            p->type = A2A_TYPE_F16;
            p->seed = 1;
            return true;
        }
    return false;
}

/* xorshift64* uniform in [-1, 1) */
static float next_uniform(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (float)((x * 0x2545F4914F6CDD1Dull) >> 40) * (2.0f / 16777216.0f) - 1.0f;
}

a2a_status a2a_llm_write_random(a2a_ctx *ctx, const a2a_llm_random_params *p, const char *path) {
    if (p->n_embd <= 0 || p->n_layer <= 0 || p->n_head <= 0 || p->n_head_kv <= 0 || p->n_ff <= 0 ||
        p->n_embd % p->n_head || p->n_head % p->n_head_kv || (p->type != A2A_TYPE_F16 && p->type != A2A_TYPE_F32))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "random llm: inconsistent shape or type");
    a2a_gguf *voc = NULL;
    a2a_gguf_writer *w = NULL;
    void **bufs = NULL;
    int nb = 0;
    a2a_status st = a2a_gguf_writer_new(ctx, &w);
    int32_t n_vocab = p->n_vocab;
    if (!st && p->vocab_path) {
        int64_t nv = 0;
        if ((st = a2a_gguf_open(ctx, p->vocab_path, &voc)) ||
            (st = a2a_vocab_gguf_copy_extended(ctx, w, voc, p->extra_tokens, p->n_extra_tokens, &nv)))
            goto done;
        n_vocab = (int32_t)nv;
    }
    if (st) goto done;
    if (n_vocab <= 0) { st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "random llm: vocabulary size %d", n_vocab); goto done; }
    const int64_t E = p->n_embd, HD = p->n_embd / p->n_head, Q = HD * p->n_head, KV = HD * p->n_head_kv, F = p->n_ff;
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", "llama")) ||
        (st = a2a_gguf_writer_set_str(ctx, w, "general.name", "random-llama")) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.context_length", (uint32_t)p->n_ctx)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.embedding_length", (uint32_t)E)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.block_count", (uint32_t)p->n_layer)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.feed_forward_length", (uint32_t)F)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.attention.head_count", (uint32_t)p->n_head)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.attention.head_count_kv", (uint32_t)p->n_head_kv)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "llama.rope.dimension_count", (uint32_t)HD)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, "llama.rope.freq_base", 10000.0f)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, "llama.attention.layer_norm_rms_epsilon", 1e-5f)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "general.file_type", p->type == A2A_TYPE_F16 ? 1 : 0)))
        goto done;
    int n_tensors = 3 + 9 * p->n_layer;
    bufs = calloc((size_t)n_tensors, sizeof(void *));
    if (!bufs) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "random llm: out of memory"); goto done; }
    uint64_t rng = p->seed * 0x9E3779B97F4A7C15ull + 1;
    for (int t = 0; t < n_tensors; t++) {
        char name[64];
        int64_t ne0, ne1;
        bool norm = false;
        float scale;
        if (t == 0) { snprintf(name, sizeof(name), "token_embd.weight"); ne0 = E; ne1 = n_vocab; }
        else if (t == 1) { snprintf(name, sizeof(name), "output_norm.weight"); ne0 = E; ne1 = 1; norm = true; }
        else if (t == 2) { snprintf(name, sizeof(name), "output.weight"); ne0 = E; ne1 = n_vocab; }
        else {
            static const char *suf[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
            int l = (t - 3) / 9, k = (t - 3) % 9;
            const int64_t n0[] = {E, E, E, E, Q, E, E, E, F}, n1[] = {1, Q, KV, KV, E, 1, F, F, E};
            snprintf(name, sizeof(name), "blk.%d.%s.weight", l, suf[k]);
            ne0 = n0[k];
            ne1 = n1[k];
            norm = n1[k] == 1;
        }
        scale = 1.7f / sqrtf((float)ne0) * (t == 0 ? 8.0f : 1.0f);
        size_t n = (size_t)(ne0 * ne1);
        if (norm) {
            float *f = malloc(sizeof(float) * n);
            if (!(bufs[nb++] = f)) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "random llm: out of memory"); goto done; }
            for (size_t i = 0; i < n; i++) f[i] = 1.0f + 0.1f * next_uniform(&rng);
            int64_t ne[1] = {ne0};
            if ((st = a2a_gguf_writer_add_tensor(ctx, w, name, A2A_TYPE_F32, 1, ne, f))) goto done;
        } else {
            void *buf = malloc(n * (p->type == A2A_TYPE_F16 ? 2 : 4));
            if (!(bufs[nb++] = buf)) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "random llm: out of memory for '%s'", name); goto done; }
            for (size_t i = 0; i < n; i++) {
                float v = scale * next_uniform(&rng);
                if (p->type == A2A_TYPE_F16) ((a2a_fp16 *)buf)[i] = a2a_f32_to_fp16(v);
                else ((float *)buf)[i] = v;
            }
            int64_t ne[2] = {ne0, ne1};
            if ((st = a2a_gguf_writer_add_tensor(ctx, w, name, p->type, 2, ne, buf))) goto done;
        }
    }
    st = a2a_gguf_writer_write(ctx, w, path);
done:
    for (int i = 0; i < nb; i++) free(bufs[i]);
    free(bufs);
    a2a_gguf_writer_free(w);
    a2a_gguf_close(voc);
    return st;
}
