/* Internal: the LLaMA-family decoder LLM (general.architecture = llama | qwen2) from GGUF,
   with llama.cpp's tensor names and metadata keys, a KV cache per session, batched prefill
   and incremental decode, logits and last-layer hidden states at chosen positions, and
   embeddings that replace token ids at chosen positions (soft tokens from projectors). */
#ifndef A2A_MODELS_LLM_LLAMA_H
#define A2A_MODELS_LLM_LLAMA_H

#include "core/arena.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "text/vocab.h"

typedef enum a2a_llm_arch { A2A_LLM_LLAMA = 1, A2A_LLM_QWEN2 = 2 } a2a_llm_arch;

typedef struct a2a_llm_hparams {
    a2a_llm_arch arch;
    int32_t n_vocab;      /* rows of token_embd */
    int32_t n_embd;       /* model width */
    int32_t n_layer;
    int32_t n_head;
    int32_t n_head_kv;    /* < n_head: grouped-query attention */
    int32_t head_dim;     /* n_embd / n_head unless attention.key_length says otherwise */
    int32_t n_ff;         /* feed-forward width */
    int32_t n_ctx_train;  /* context_length */
    int32_t n_rot;        /* rope.dimension_count (default head_dim) */
    int rope_mode;        /* A2A_ROPE_NORMAL (llama) or A2A_ROPE_NEOX (qwen2) */
    float rope_base;      /* rope.freq_base */
    float rope_scale;     /* 1 / rope.scaling.factor for linear scaling, else 1 */
    float rms_eps;        /* attention.layer_norm_rms_epsilon */
} a2a_llm_hparams;

typedef struct a2a_llm_layer {
    const a2a_tensor *attn_norm;      /* [n_embd] */
    const a2a_tensor *wq, *wk, *wv;   /* [n_embd, n_head*head_dim], [n_embd, n_head_kv*head_dim] x2 */
    const a2a_tensor *bq, *bk, *bv;   /* biases (qwen2) or NULL */
    const a2a_tensor *wo;             /* [n_head*head_dim, n_embd] */
    const a2a_tensor *ffn_norm;       /* [n_embd] */
    const a2a_tensor *w_gate, *w_up;  /* [n_embd, n_ff] */
    const a2a_tensor *w_down;         /* [n_ff, n_embd] */
} a2a_llm_layer;

typedef struct a2a_llm_model {
    a2a_gguf *gguf;                   /* owns the mapping the tensors point into */
    a2a_llm_hparams hp;
    const a2a_tensor *tok_embd;       /* [n_embd, n_vocab] */
    const a2a_tensor *output_norm;    /* [n_embd] */
    const a2a_tensor *output;         /* [n_embd, n_vocab] (== tok_embd when tied) */
    a2a_llm_layer *layers;            /* [n_layer] */
    a2a_vocab *vocab;                 /* NULL if the file has no tokenizer */
    const struct a2a_llm_lora *lora;  /* attached LoRA adapter (not owned) or NULL */
} a2a_llm_model;

/* A LoRA adapter in llama.cpp's adapter GGUF layout (general.type "adapter", adapter.type
   "lora", adapter.lora.alpha; tensors blk.N.attn_{q,k,v,output}.weight.lora_a [n_in, r] and
   .lora_b [r, n_out], B's rows in the base file's q/k row order) -- what
   `any2any convert --nextgpt --no-merge-lora` writes. */
typedef struct a2a_llm_lora_pair {
    const a2a_tensor *a;              /* [n_in, r] or NULL (module without an adapter) */
    const a2a_tensor *b;              /* [r, n_out] */
} a2a_llm_lora_pair;

typedef struct a2a_llm_lora {
    a2a_gguf *gguf;                   /* owned mapping */
    float scale;                      /* alpha / r */
    int32_t r_max;                    /* largest rank */
    int32_t n_layer;
    a2a_llm_lora_pair (*pairs)[4];    /* [n_layer][q, k, v, o] */
} a2a_llm_lora;

/* Load an adapter for model m (every pair's shapes checked against m's projections; a pair for
   a module other than attention q/k/v/output is refused by name). Free with a2a_llm_lora_free
   after detaching it. */
a2a_status a2a_llm_lora_load(a2a_ctx *ctx, const a2a_llm_model *m, const char *path, a2a_llm_lora **out);
void a2a_llm_lora_free(a2a_llm_lora *l);
/* Attach l to m (NULL detaches): every later decode of m's sessions adds scale * B (A x) to the
   q, k, v and output projections -- the same as the merged weights up to rounding. */
void a2a_llm_set_lora(a2a_llm_model *m, const a2a_llm_lora *l);

/* Load a LLaMA-family GGUF file (weights mmapped, zero copy). Every required tensor is checked
   for presence, type and shape against the hyperparameters; a missing or mis-shaped tensor is
   reported by name. Unknown architectures are refused. Free with a2a_llm_free. */
a2a_status a2a_llm_load(a2a_ctx *ctx, const char *path, a2a_llm_model **out);
void a2a_llm_free(a2a_llm_model *m);

/* Per-request state: KV cache and planned activation memory. A model may be shared by many
   sessions (each with its own threadpool or a shared one used from one thread at a time). */
typedef struct a2a_llm_session {
    const a2a_llm_model *m;
    a2a_threadpool *tp;               /* not owned */
    int32_t n_ctx;                    /* KV capacity in positions */
    int32_t n_batch;                  /* max tokens per a2a_llm_decode call */
    int32_t n_past;                   /* positions already in the cache */
    a2a_type kv_type;                 /* F16 (default) or F32 */
    a2a_tensor *k_cache, *v_cache;    /* [n_layer] each [head_dim, n_ctx, n_head_kv] */
    void *kv_mem;
    a2a_arena act;                    /* activations for one batch, planned at creation */
    float *logits;                    /* [n_vocab * n_out] from the last decode */
    float *hidden;                    /* [n_embd * n_out] last-layer hidden states (after output_norm) */
    int32_t n_out;                    /* rows in logits/hidden from the last decode */
    int32_t cap_out;                  /* capacity of logits/hidden in rows */
    float *lora_buf;                  /* LoRA intermediate [r + n_out] x n_batch, allocated on first use */
    size_t lora_cap;                  /* floats in lora_buf */
} a2a_llm_session;

typedef struct a2a_llm_session_params {
    int32_t n_ctx;     /* 0: min(n_ctx_train, 4096) */
    int32_t n_batch;   /* 0: 512 */
    a2a_type kv_type;  /* A2A_TYPE_F16 (default) or A2A_TYPE_F32 */
} a2a_llm_session_params;
a2a_llm_session_params a2a_llm_session_default_params(void);

/* Create a session (allocates the KV cache and the activation arena once). Free with
   a2a_llm_session_free. */
a2a_status a2a_llm_session_new(a2a_ctx *ctx, const a2a_llm_model *m, a2a_threadpool *tp,
                               const a2a_llm_session_params *p, a2a_llm_session **out);
void a2a_llm_session_free(a2a_llm_session *s);
/* Forget positions >= n_past (e.g. to rewind or start over with 0). */
void a2a_llm_session_rewind(a2a_llm_session *s, int32_t n_past);

/* One batch of n positions appended at s->n_past:
     tokens  [n] token ids (ignored at positions where embd_mask is set; may be NULL if all are)
     embd    NULL, or [n * n_embd] input embeddings used where embd_mask[i] != 0
     embd_mask NULL (all tokens) or [n] flags
     out_rows NULL (only the last position) or [n] flags: which positions get logits/hidden rows,
              stored in order in s->logits / s->hidden, count in s->n_out.
   Long batches are split internally into n_batch pieces. Errors: context full (message gives
   the numbers), token id out of range, cancelled (cancel flag set between layers). */
a2a_status a2a_llm_decode(a2a_ctx *ctx, a2a_llm_session *s, const int32_t *tokens, const float *embd,
                          const uint8_t *embd_mask, int32_t n, const uint8_t *out_rows, const volatile int *cancel);

#endif
