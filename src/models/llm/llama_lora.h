/* Internal to src/models/llm: applying an attached LoRA adapter inside a layer. */
#ifndef A2A_MODELS_LLM_LLAMA_LORA_H
#define A2A_MODELS_LLM_LLAMA_LORA_H

#include "models/llm/llama.h"

/* dst [n_out, T] += scale * B (A x) for module 0..3 (q, k, v, output) of layer, when the model
   has an adapter with that pair (no-op otherwise). x [n_in, T] contiguous. */
a2a_status a2a_llm_lora_apply(a2a_ctx *ctx, a2a_llm_session *s, int32_t layer, int module, const a2a_tensor *x,
                              a2a_tensor *dst);

#endif
