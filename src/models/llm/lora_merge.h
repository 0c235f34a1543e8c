/* Internal: LoRA (low-rank adaptation, peft's LoraLayer) applied to the weights of a LLaMA GGUF
   file (llama.cpp layout, see llama_convert.h) -- how NExT-GPT's stage-3 adapter (r 32, alpha 32
   on q_proj/k_proj/v_proj/o_proj) joins Vicuna-7B.

   peft computes y = x W^T + (alpha / r) * dropout(x) A^T B^T for a Linear with torch weight
   W [out, in], lora_A.weight A [r, in] and lora_B.weight B [out, r]; at inference (no dropout)
   that is the merged weight W' = W + (alpha / r) B A. In ggml order (this module's order):
     W        [in, out]   the GGUF tensor (a torch [out, in] weight)
     A        [in, r]     peft lora_A.weight (torch [r, in])
     B        [r, out]    peft lora_B.weight (torch [out, r])
   llama.cpp stores q_proj/k_proj with their output rows permuted from HF's rotate-half order to
   interleaved pairs (row h*hd + 2*i + j of the GGUF tensor is HF row h*hd + j*hd/2 + i, hd the
   head width); since (B A)'s rows are B's rows, the delta gets the same permutation by
   permuting B's rows: pass permute_heads = n_head for attn_q, n_head_kv for attn_k, 0 else.
   The adapter file layout (a2a_lora_adapter_*) is llama.cpp's LoRA adapter GGUF layout:
   general.type "adapter", adapter.type "lora", adapter.lora.alpha (f32), tensors
   "<base tensor name>.lora_a" [in, r] and "<base tensor name>.lora_b" [r, out] with lora_b's
   rows permuted as above for attn_q / attn_k. */
#ifndef A2A_MODELS_LLM_LORA_MERGE_H
#define A2A_MODELS_LLM_LORA_MERGE_H

#include <stdint.h>

#include "core/tensor.h"
#include "core/threadpool.h"
#include "io/weights.h"

/* Largest accepted LoRA rank (sanity limit against absurd files). */
#define A2A_LORA_MAX_RANK 4096

/* Find a peft LoRA pair for the Linear module whose state_dict prefix is module (e.g.
   "llama_model.base_model.model.model.layers.3.self_attn.q_proj"): "<module>.lora_A.weight" /
   "<module>.lora_B.weight" (peft < 0.3) or "<module>.lora_A.default.weight" /
   "<module>.lora_B.default.weight" (peft >= 0.3, adapter "default"). *a and *b are NULL when
   absent. Returns A2A_OK when both or neither exist; A2A_ERR_NOT_FOUND naming the missing half
   when only one does; A2A_ERR_INVALID_ARG when module is too long. */
a2a_status a2a_lora_find(a2a_ctx *ctx, const a2a_weights *w, const char *module, const a2a_tensor **a,
                         const a2a_tensor **b);

/* Check a pair against a weight of ggml shape [n_in, n_out]: a 2-D [n_in, r], b 2-D [r, n_out],
   1 <= r <= A2A_LORA_MAX_RANK, types F32/F16/BF16, permute_heads (0 or > 0) dividing n_out
   into even head widths. *rank (may be NULL) receives r. A2A_ERR_SHAPE / A2A_ERR_UNSUPPORTED
   with a message naming `what` and the shapes. */
a2a_status a2a_lora_check(a2a_ctx *ctx, const char *what, const a2a_tensor *a, const a2a_tensor *b, int64_t n_in,
                          int64_t n_out, int64_t permute_heads, int64_t *rank);

/* Merged weight: *out (malloc'd, caller frees; *out_size bytes) = w + scale * B A in out_type,
   w [n_in, n_out] of any type a2a_convert_rows reads (F32/F16/BF16/quantized), a/b checked as
   a2a_lora_check, B's rows permuted with permute_heads (see above). Computed in F32 (w
   dequantized, delta by a2a_sgemm over tp, which may be NULL), then converted to out_type
   (n_in must fit its blocks). Errors: those of a2a_lora_check, A2A_ERR_UNSUPPORTED (out_type),
   A2A_ERR_NOMEM. */
a2a_status a2a_lora_merge(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *w, const a2a_tensor *a,
                          const a2a_tensor *b, float scale, int64_t permute_heads, a2a_type out_type, void **out,
                          size_t *out_size);

/* The adapter tensors of one pair in llama.cpp's adapter layout: *a_out = A as [n_in, r] and
   *b_out = B as [r, n_out] (rows permuted with permute_heads), both F32 when type is F32 and
   F16 for any other type (*type_out, may be NULL, receives it), malloc'd (caller frees).
   Errors: A2A_ERR_NOMEM. The pair must have passed a2a_lora_check. */
a2a_status a2a_lora_adapter_tensors(a2a_ctx *ctx, const a2a_tensor *a, const a2a_tensor *b, int64_t permute_heads,
                                    a2a_type type, a2a_type *type_out, void **a_out, void **b_out);

#endif
