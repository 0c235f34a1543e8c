/* Internal: Hugging Face LLaMA-family checkpoints (config.json model_type "llama": LLaMA,
   LLaMA-2, Vicuna, TinyLlama; "qwen2": Qwen2/2.5) -> a GGUF file laid out as llama.cpp's
   convert_hf_to_gguf.py lays it out, so a2a_llm_load and llama.cpp load it unchanged:
     - metadata: general.*, <arch>.context_length / embedding_length / block_count /
       feed_forward_length / attention.head_count(_kv) / attention.layer_norm_rms_epsilon /
       rope.freq_base / rope.dimension_count (/ attention.key_length and value_length when
       head_dim != hidden/heads) / rope.scaling.* (linear, yarn) / vocab_size
     - tensors: model.embed_tokens -> token_embd, model.norm -> output_norm, lm_head -> output
       (left out when tie_word_embeddings), model.layers.N.* -> blk.N.attn_norm / attn_q / attn_k
       / attn_v / attn_output / attn_{q,k,v}.bias / ffn_norm / ffn_gate / ffn_up / ffn_down;
       llama's q/k rows are permuted from HF's rotate-half order to interleaved pairs
     - tokenizer: tokenizer.model (SentencePiece -> "llama": tokens, scores, token types,
       add_space_prefix) or tokenizer.json (byte-level BPE -> "gpt2", pre "qwen2" for qwen2,
       "llama-bpe" for llama), added tokens (USER_DEFINED, or CONTROL when special), padding to
       the embedding's rows with [PADn] (UNUSED), bos/eos/unk/pad ids, add_bos/add_eos,
       chat_template.
   Weights come from model.safetensors, sharded model-*-of-*.safetensors (index.json or the
   folder listing), or pytorch_model*.bin (PyTorch zip). */
#ifndef A2A_MODELS_LLM_LLAMA_CONVERT_H
#define A2A_MODELS_LLM_LLAMA_CONVERT_H

#include "core/threadpool.h"
#include "core/types.h"

typedef struct a2a_llama_convert_params {
    a2a_type type;            /* 2-D weights: F32, F16 (default), BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K */
    a2a_type fallback;        /* for matrices whose rows do not fit type's blocks (F16) */
    a2a_threadpool *tp;       /* row conversion threads; NULL = the calling thread only */
    a2a_progress_fn progress; /* called after each tensor (done, total, GGUF name); nonzero cancels */
    void *user;               /* for progress */
} a2a_llama_convert_params;

/* Defaults: F16 weights, F16 fallback, no threadpool, no progress. */
a2a_llama_convert_params a2a_llama_convert_default_params(void);

/* Convert the Hugging Face folder hf_dir into out_path (written atomically: on any error or
   cancel, out_path is not created or replaced). Errors name the file, key or tensor:
   A2A_ERR_NOT_FOUND (no config.json, no weights, missing tensor, no tokenizer),
   A2A_ERR_UNSUPPORTED (model_type, activation, rope scaling or biases we cannot express, target
   type), A2A_ERR_SHAPE (a tensor's shape disagrees with config.json), A2A_ERR_FORMAT
   (malformed files), A2A_ERR_CANCELLED, A2A_ERR_IO, A2A_ERR_NOMEM. */
a2a_status a2a_llama_convert(a2a_ctx *ctx, const char *hf_dir, const char *out_path, const a2a_llama_convert_params *p);

#endif
