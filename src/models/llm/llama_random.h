/* Internal: write a LLaMA-architecture GGUF with random weights (and optionally the tokenizer of
   another GGUF file), for speed benchmarks and end-to-end tests where no real checkpoint can be
   downloaded. Weight values do not change the work per token, so timings on such a file are
   those of a real model of the same shape. */
#ifndef A2A_MODELS_LLM_LLAMA_RANDOM_H
#define A2A_MODELS_LLM_LLAMA_RANDOM_H

#include "core/status.h"
#include "core/types.h"

typedef struct a2a_llm_random_params {
    int32_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
    int32_t n_vocab;          /* used only without vocab_path */
    const char *vocab_path;   /* GGUF whose tokenizer.* metadata is copied (sets n_vocab), or NULL */
    const char *const *extra_tokens; /* appended to vocab_path's vocabulary (e.g. "<Img>"), or NULL */
    int32_t n_extra_tokens;
    a2a_type type;            /* matrices: F32 or F16 (quantize afterwards with a2a_quantize_file) */
    uint64_t seed;
} a2a_llm_random_params;

/* Shapes by name: "tinyllama" (2048 wide, 22 layers, 32 heads, 4 KV heads, FFN 5632 — 1.1B),
   "7b" (4096, 32, 32, 32, 11008), "small" (512, 4, 8, 4, 1408), "tiny" (64, 2, 4, 2, 128).
   Returns false for an unknown name. */
bool a2a_llm_random_shape(const char *name, a2a_llm_random_params *p);

/* Write the model to path (atomically). Weights ~ U(-1.7, 1.7)/sqrt(fan_in) (embedding rows
   larger), norms 1 +- 0.1. */
a2a_status a2a_llm_write_random(a2a_ctx *ctx, const a2a_llm_random_params *p, const char *path);

#endif
