/* Internal: NExT-GPT's output projector `TextFcLayer` (NExT-GPT-Lagacy/code/model/layers.py) --
   the bridge from the LLM's signal tokens ([IMG0..3], [VID0..23], [AUD0..7]) to the
   conditioning a diffusion decoder takes in place of its text encoder's output.

   Input (anyToImageVideoAudio.py, generate_images/_videos/_audios and _train_with_mode):
     hidden  [in_dim, n_tok]  the LLM's LAST-layer hidden states (text_emb_to_*_layers = [-1]:
                              HF hidden_states[-1], i.e. after the final RMSNorm) of the n_tok
                              signal tokens. NOTE upstream is inconsistent here: training
                              (_train_with_mode) takes the states AT the positions of [X0] ..
                              [X{n-1}] (targets are unshifted), while generate_images/_videos/
                              _audios take the concatenated generation states at gen_idx-1 ..
                              gen_idx+n-2, i.e. one position earlier: the states whose logits
                              produced [X0] .. [X{n-1}]. Reproducing upstream inference means
                              the latter;
     embeds  [in_dim, n_tok]  the input-embedding rows (embed_tokens) of the tokens
                              "[X0] .. [X{n-1}]" themselves.
   Both modes start with x = hidden + embeds (pass embeds NULL to add nothing).

   Modes (layers.py TextFcLayer.__init__/forward):
     transformer  (the released 7b_tiva_v0 configuration for image, video and audio)
                  x -> fc = Linear(in_dim, D=512) -> nn.Transformer(d_model D, nhead 4,
                  4 encoder + 4 decoder layers, dim_feedforward 4D, dropout 0, relu,
                  layer_norm_eps 1e-5, norm_first, batch_first; no masks) with src = fc(x) and
                  tgt = query_embs [1, n_out, D] -> model = Linear(D, out_dim).
                  Pre-norm layers: encoder x += SA(norm1 x); x += FF(norm2 x); then
                  encoder.norm; decoder y += SA(norm1 y); y += MHA(norm2 y, memory);
                  y += FF(norm3 y); then decoder.norm. FF = linear2(relu(linear1)).
     qformer      x -> fc = Linear(in_dim, H=768) -> LAVIS BERT Q-Former (NExT-GPT's
                  qformer.py BertModel from bert-base-uncased, num_hidden_layers 2, cross-attention
                  every cross_attention_freq=1 layers, encoder_width H, 12 heads, gelu,
                  layer_norm_eps 1e-12, query path only) over learned query_tokens [1, n_out, H]
                  cross-attending to fc(x) -> model = Linear(H, out_dim). Same computation as
                  transformers' Blip2QFormerModel (run by projectors/qformer.c's forward).
     linear       NOT supported: upstream builds `model = nn.Linear(in_dim, out_dim)` but its
                  forward has no branch for it (outputs stays None and the final assert fails).

   Output: out [out_dim, n_out]. Released sizes: image 4 tokens -> 77 x 768 (Stable Diffusion
   prompt_embeds), video 24 -> 77 x 1024 (Zeroscope prompt_embeds), audio 8 -> 1 x 512
   (AudioLDM prompt_embeds, used as the [1, 512] CLAP-like class vector).

   GGUF layout (a2a_textfc_convert / _convert_add). Tensor names are "<prefix>" + the upstream
   state_dict name inside the TextFcLayer (i.e. after "gen_text_hidden_fcs[_video|_audio].<i>."),
   ggml order (a torch [out, in] Linear weight is [in, out]):
     transformer: fc.{weight [in_dim, D], bias [D]}; query_embs [D, n_out] (F32);
       tfm.encoder.layers.N.self_attn.{in_proj_weight [D, 3D], in_proj_bias [3D],
       out_proj.weight [D, D], out_proj.bias [D]}, .linear1.{weight [D, F], bias [F]},
       .linear2.{weight [F, D], bias [D]}, .norm1/.norm2.{weight,bias} [D];
       tfm.encoder.norm.{weight,bias} [D];
       tfm.decoder.layers.N.self_attn.* / .multihead_attn.* (as self_attn), .linear1, .linear2,
       .norm1/.norm2/.norm3; tfm.decoder.norm.*; model.{weight [D, out_dim], bias [out_dim]}
     qformer: fc.*; query_tokens [H, n_out] (F32); Qformer.bert.embeddings.LayerNorm.{weight,bias};
       Qformer.bert.encoder.layer.N.attention.self.{query,key,value}.{weight [H, H], bias},
       ...attention.output.dense.*, ...attention.output.LayerNorm.*,
       ...crossattention.self.{query,key,value}.* / .output.dense.* / .output.LayerNorm.*
       (layers N % cross_attention_freq == 0), ...intermediate_query.dense.{weight [H, F], bias},
       ...output_query.dense.{weight [F, H], bias}, ...output_query.LayerNorm.*; model.*
   Metadata keys are "<prefix>textfc.<key>": mode (str "transformer" | "qformer"), input_dim,
   output_dim, hidden_size (D or H), output_token_count, input_token_count, head_count,
   feed_forward_length (u32), layer_norm_eps (f32); transformer: encoder_block_count,
   decoder_block_count (u32); qformer: block_count, cross_attention_frequency (u32);
   source (str "image" | "video" | "audio", informational). A standalone file also has
   general.architecture = "textfc".
   Matmul weights F32/F16/BF16/Q8_0/... (anything a2a_op_matmul takes); biases and norms F32 or
   F16; query_embs / query_tokens F32. */
#ifndef A2A_MODELS_PROJECTORS_TEXTFC_H
#define A2A_MODELS_PROJECTORS_TEXTFC_H

#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"

struct a2a_gguf;
struct a2a_gguf_writer;

typedef enum a2a_textfc_mode {
    A2A_TEXTFC_TRANSFORMER = 0, /* released configuration */
    A2A_TEXTFC_QFORMER = 1,
} a2a_textfc_mode;

/* Sanity limits against absurd files and arguments. */
#define A2A_TEXTFC_MAX_DIM (1 << 16)
#define A2A_TEXTFC_MAX_TOKENS 4096
#define A2A_TEXTFC_MAX_LAYERS 64

typedef struct a2a_textfc a2a_textfc;

/* "transformer", "qformer" ("?" otherwise). Static string. */
const char *a2a_textfc_mode_name(a2a_textfc_mode m);

/* Load a TextFcLayer from an open GGUF file g (borrowed: keep it open while *out lives) whose
   tensor names and metadata keys start with prefix (NULL or "" for none; e.g. "out_proj.image.").
   Every tensor is looked up and shape-checked against the metadata. Errors: A2A_ERR_FORMAT
   (missing/invalid metadata, absurd sizes), A2A_ERR_UNSUPPORTED (unknown mode, unusable tensor
   type), A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a missing or mis-shaped tensor,
   A2A_ERR_INVALID_ARG (NULL arguments), A2A_ERR_NOMEM. Caller frees *out with a2a_textfc_free. */
a2a_status a2a_textfc_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_textfc **out);

/* Open a standalone file written by a2a_textfc_convert (general.architecture "textfc", no
   prefix) and load it; the model owns the mapping. Errors as a2a_textfc_load_gguf plus what
   a2a_gguf_open reports; the message is prefixed by the path. */
a2a_status a2a_textfc_load(a2a_ctx *ctx, const char *path, a2a_textfc **out);

/* Free (and close the file a2a_textfc_load opened). NULL is fine. */
void a2a_textfc_free(a2a_textfc *p);

a2a_textfc_mode a2a_textfc_mode_of(const a2a_textfc *p);
/* Width of an input token (LLM hidden size: 4096 for Vicuna-7B). */
int64_t a2a_textfc_in_dim(const a2a_textfc *p);
/* Width of an output token (768 SD, 1024 Zeroscope, 512 AudioLDM). */
int64_t a2a_textfc_out_dim(const a2a_textfc *p);
/* Output tokens (77 for SD/Zeroscope, 1 for AudioLDM). */
int64_t a2a_textfc_n_out_tokens(const a2a_textfc *p);
/* Signal tokens the layer was trained with (4 image, 24 video, 8 audio): what a caller should
   pass as n_tok (the computation itself accepts any count, as upstream's does). */
int64_t a2a_textfc_n_in_tokens(const a2a_textfc *p);

/* out[out_dim * n_out] (F32, token t at out + t*out_dim; caller allocates) = TextFcLayer(hidden,
   embeds) for n_tok tokens: hidden and embeds F32 [in_dim * n_tok] (token t at + t*in_dim);
   embeds may be NULL (nothing added). p is only read (one model may serve several threads);
   scratch memory (a few MB for the released sizes) is allocated per call; tp may be NULL.
   Errors: A2A_ERR_INVALID_ARG (NULL model/buffers, n_tok < 1 or > A2A_TEXTFC_MAX_TOKENS),
   A2A_ERR_NOMEM, and what the kernels report. */
a2a_status a2a_textfc_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_textfc *p, const float *hidden,
                              const float *embeds, int64_t n_tok, float *out);

/* ------------------------------------------------------------------ converter */

typedef struct a2a_textfc_convert_params {
    a2a_type type;       /* 2-D matmul weights: F16 (default), F32, BF16, Q8_0, ... */
    a2a_type fallback;   /* for weights whose rows do not fit type's blocks (default F16) */
    int index;           /* element of the ModuleList; -1 (default) = the last one, which is what
                            upstream's generate_* uses (gen_text_hidden_fcs[-1]) */
    int n_head;          /* attention heads (not recoverable from weights); 0 = upstream's
                            (transformer 4; qformer hidden/64 = 12 for bert-base) */
    int n_in_tokens;     /* signal tokens; 0 = released config for `which` (image 4, video 24,
                            audio 8) */
    float eps;           /* LayerNorm epsilon; 0 = upstream's (transformer 1e-5, qformer 1e-12) */
    a2a_threadpool *tp;  /* row conversion threads; NULL = calling thread */
} a2a_textfc_convert_params;

/* Defaults as described field by field above. */
a2a_textfc_convert_params a2a_textfc_convert_default_params(void);

/* Add the output projector `which` ("image" -> gen_text_hidden_fcs, "video" ->
   gen_text_hidden_fcs_video, "audio" -> gen_text_hidden_fcs_audio) of NExT-GPT's delta
   checkpoint ckpt_path (the torch.save'd pytorch_model.pt; safetensors and GGUF files with the
   same keys work too) to the writer w: tensors and metadata named with prefix (NULL or "").
   The mode (transformer: "...fc.weight" + "...tfm.*"; qformer: "...Qformer.*") and every width,
   layer count and token count are read off the checkpoint; everything is checked before any
   tensor is added. Converted buffers are handed to w (a2a_gguf_writer_keep), so the checkpoint
   may be closed before w is written. Does NOT set general.architecture. params may be NULL.
   Errors name the file and key: A2A_ERR_NOT_FOUND (no such ModuleList element / missing key),
   A2A_ERR_SHAPE (widths that do not fit together), A2A_ERR_UNSUPPORTED (linear mode, source or
   target type), A2A_ERR_INVALID_ARG (bad which/params), A2A_ERR_FORMAT / A2A_ERR_IO,
   A2A_ERR_NOMEM. */
a2a_status a2a_textfc_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *ckpt_path, const char *which,
                                  const char *prefix, const a2a_textfc_convert_params *params);

/* One-component file: general.architecture = "textfc", no prefix; written atomically. */
a2a_status a2a_textfc_convert(a2a_ctx *ctx, const char *ckpt_path, const char *which, const char *out_gguf,
                              const a2a_textfc_convert_params *params);

#endif
