/* Internal: input projectors -- the MM-LLM survey's three families that map a modality
   encoder's features to LLM-width soft tokens -- loaded from GGUF, plus their converter.

     linear      NExT-GPT `llama_proj = nn.Linear(1024, 4096)`: one soft token per input token
     mlp2x_gelu  LLaVA-1.5 `mm_projector` = Linear(d_vis, d_llm) -> GELU -> Linear(d_llm, d_llm)
     qformer     BLIP-2: learned query tokens -> Blip2QFormerModel (BERT-style layers with
                 self-attention over the queries, cross-attention to the image features every
                 cross_attention_frequency layers, query feed-forward) -> language_projection;
                 n_query soft tokens per image whatever the number of patches

   Usage:
       a2a_projector *p;
       if (a2a_projector_load(ctx, "proj.gguf", &p) != A2A_OK) ...;       // message in ctx
       int64_t n_out = a2a_projector_n_out_tokens(p, n_patches);
       float *soft = malloc(sizeof(float) * a2a_projector_out_dim(p) * n_out);
       a2a_projector_forward(ctx, tp, p, feats, n_patches, soft, &n_out);  // feats [in_dim, n_patches]
       a2a_projector_free(p);

   GGUF layout (written by a2a_projector_convert; names mirror the upstream state_dict names
   without the checkpoint's module prefix):
     general.architecture = "projector"
     projector.type       = "linear" | "mlp2x_gelu" | "qformer"
     projector.input_dim, projector.output_dim (u32); projector.activation = "gelu" (mlp, qformer)
     qformer: projector.qformer.hidden_size, block_count, head_count, feed_forward_length,
              query_count, cross_attention_frequency (u32), layer_norm_eps (f32)
     tensors, ggml order (a torch [out, in] Linear weight is [in, out]):
       linear:  llama_proj.weight [in, out], llama_proj.bias [out]
       mlp:     mm_projector.0.weight [in, out], mm_projector.0.bias [out],
                mm_projector.2.weight [out, out], mm_projector.2.bias [out]
       qformer: query_tokens [H, n_query]; qformer.layernorm.{weight,bias} [H];
                qformer.encoder.layer.N.attention.attention.{query,key,value}.{weight [H, H], bias [H]},
                ...attention.output.dense.{weight [H, H], bias}, ...attention.output.LayerNorm.{weight,bias} [H],
                ...crossattention.attention.query.weight [H, H], ...crossattention.attention.{key,value}.weight
                [in, H] (layers N % freq == 0), ...crossattention.output.{dense,LayerNorm}.*,
                ...intermediate_query.dense.{weight [H, F], bias [F]}, ...output_query.dense.{weight [F, H], bias [H]},
                ...output_query.LayerNorm.{weight,bias} [H]; language_projection.{weight [H, out], bias [out]}
   Matmul weights may be F32/F16/BF16/quantized; biases, norms and query_tokens F32 (F16 accepted
   for biases and norms). */
#ifndef A2A_MODELS_PROJECTORS_PROJECTOR_H
#define A2A_MODELS_PROJECTORS_PROJECTOR_H

#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"

typedef enum a2a_projector_type {
    A2A_PROJECTOR_LINEAR = 0,     /* NExT-GPT llama_proj */
    A2A_PROJECTOR_MLP2X_GELU = 1, /* LLaVA-1.5 mm_projector */
    A2A_PROJECTOR_QFORMER = 2,    /* BLIP-2 Q-Former + query tokens + language_projection */
} a2a_projector_type;

/* Largest accepted widths / counts (sanity limits against absurd files and arguments). */
#define A2A_PROJECTOR_MAX_DIM (1 << 16)
#define A2A_PROJECTOR_MAX_TOKENS (1 << 20)

typedef struct a2a_projector a2a_projector;

/* "linear", "mlp2x_gelu", "qformer" ("?" for other values). Static string. */
const char *a2a_projector_type_name(a2a_projector_type t);
/* Type from its name; false when unknown. */
bool a2a_projector_type_from_name(const char *name, a2a_projector_type *out);

/* Map and validate a projector GGUF file (dispatching on projector.type; every tensor looked up
   and shape-checked against the metadata). Errors: A2A_ERR_IO, A2A_ERR_FORMAT (missing or
   invalid metadata key, absurd sizes), A2A_ERR_NOT_FOUND (missing tensor), A2A_ERR_SHAPE
   (tensor shape disagrees with the metadata); the message names the key or tensor;
   A2A_ERR_UNSUPPORTED (other
   architecture, unknown projector.type or activation, weight type we cannot compute with),
   A2A_ERR_NOMEM. On success the caller frees *out with a2a_projector_free. */
a2a_status a2a_projector_load(a2a_ctx *ctx, const char *gguf_path, a2a_projector **out);
/* Free a projector (NULL is fine); its weights are unmapped. */
void a2a_projector_free(a2a_projector *p);

a2a_projector_type a2a_projector_type_of(const a2a_projector *p);
/* Width of an input token (encoder feature width). */
int64_t a2a_projector_in_dim(const a2a_projector *p);
/* Width of an output soft token (LLM embedding width). */
int64_t a2a_projector_out_dim(const a2a_projector *p);
/* Soft tokens produced from n_in input tokens: n_in for linear/mlp, n_query for the Q-Former
   (independent of n_in). */
int64_t a2a_projector_n_out_tokens(const a2a_projector *p, int64_t n_in);

/* Project n_in_tokens input tokens in[in_dim * n_in_tokens] (F32, ggml order [in_dim, n]: token
   t's features at in + t*in_dim) into out[out_dim * n_out] (caller allocates, sized with
   a2a_projector_n_out_tokens; must not overlap in); *n_out_tokens receives n_out (may be NULL).
   Linear/MLP treat tokens independently; the Q-Former treats all n_in_tokens as the features of
   one image (call it once per image). p is only read: one projector may serve several threads.
   Scratch memory is allocated per call. tp may be NULL. Errors: A2A_ERR_INVALID_ARG (NULL
   buffers, n_in_tokens < 1 or > A2A_PROJECTOR_MAX_TOKENS), A2A_ERR_NOMEM. */
a2a_status a2a_projector_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                 int64_t n_in_tokens, float *out, int64_t *n_out_tokens);

/* ------------------------------------------------------------------ converter */

typedef struct a2a_projector_convert_params {
    a2a_type type;        /* 2-D Linear weights: F32, F16 (default), BF16, Q8_0, Q4_0, ... */
    a2a_type fallback;    /* for weights whose rows do not fit type's blocks (F16) */
    const char *prefix;   /* key prefix of the module in the checkpoint; NULL = the kind's default:
                             linear "llama_proj.", mlp2x_gelu "model.mm_projector." (then
                             "mm_projector." if absent), qformer "" (where qformer.*, query_tokens
                             and language_projection.* live, e.g. "" for Blip2ForConditionalGeneration) */
    int n_head;           /* qformer attention heads (not recoverable from the weights); 0 = hidden/64 */
    float eps;            /* qformer layer_norm_eps; 0 = 1e-12 (Blip2QFormerConfig default) */
    a2a_threadpool *tp;   /* row conversion threads; NULL = calling thread */
} a2a_projector_convert_params;

/* Defaults: F16 weights, F16 fallback, default prefix, n_head 0 (hidden/64), eps 1e-12. */
a2a_projector_convert_params a2a_projector_convert_default_params(void);

/* Read the projector of the given kind out of any checkpoint src_path (PyTorch zip .pt/.bin,
   safetensors, GGUF; other keys are ignored) -- a file, a sharded checkpoint's *.index.json,
   or a folder holding model.safetensors[.index.json], pytorch_model.bin[.index.json],
   mm_projector.bin or pytorch_model.pt (first found) -- infer its widths from the tensor shapes (for the
   Q-Former also the layer count, feed-forward width, query count and cross-attention frequency)
   and write out_gguf (atomically) in the layout described above. params may be NULL (defaults).
   Errors name the file and key: A2A_ERR_NOT_FOUND (missing key), A2A_ERR_SHAPE (widths that do
   not fit together), A2A_ERR_UNSUPPORTED (source or target type), A2A_ERR_INVALID_ARG (bad
   params), A2A_ERR_FORMAT / A2A_ERR_IO (unreadable files), A2A_ERR_NOMEM. */
a2a_status a2a_projector_convert(a2a_ctx *ctx, const char *src_path, a2a_projector_type kind, const char *out_gguf,
                                 const a2a_projector_convert_params *params);

#endif
