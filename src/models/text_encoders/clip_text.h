/* Internal: the CLIP text encoder -- transformers' CLIPTextModel / CLIPTextModelWithProjection
   (transformers/models/clip/modeling_clip.py) as Stable Diffusion 1.x (OpenAI CLIP ViT-L/14
   text: 12 layers, 768 wide, 12 heads, quick_gelu), SD 2.x and Zeroscope (OpenCLIP ViT-H text
   saved as CLIPTextModel: 23 layers, 1024 wide, 16 heads, gelu) use it for conditioning.

   Forward (per sequence of T <= max_position_embeddings ids; T = 77 in the pipelines):
       x = token_embedding[ids] + position_embedding[0..T)
       for each layer:  x += out_proj(attn(layer_norm1(x)))      causal self-attention, heads of
                                                                 hidden/n_heads, scale hd^-0.5,
                                                                 plus the padding mask when given
                        x += fc2(act(fc1(layer_norm2(x))))       act: quick_gelu or gelu (erf)
       last_hidden_state = final_layer_norm(x)
   clip_skip (diffusers' StableDiffusionPipeline.encode_prompt): hidden = final_layer_norm(
   hidden_states[-(clip_skip + 1)]), i.e. the output of layer n_layers - clip_skip (0 = the
   embeddings) through the final layer norm; clip_skip 0 is last_hidden_state.
   Pooled output (pooler_output): the row of last_hidden_state (always the full stack, whatever
   clip_skip) at the EOS position: when the config's eos_token_id == 2 (configs older than
   transformers PR #24773, which includes SD 1.5's and SD 2.x's text_encoder/config.json) the
   position of the largest id (first one on ties, i.e. the first <|endoftext|> 49407 for the
   real vocabulary), otherwise the first position holding eos_token_id (position 0 when there is
   none, as torch's argmax of an all-zero row gives). WithProjection: pooled @ text_projection^T
   (text_embeds, no bias, no normalization).

   Padding: SD 1.x's tokenizer pads with <|endoftext|> (49407); SD 2.x / Zeroscope's
   tokenizer/ folder says pad_token "!" (id 0), as OpenCLIP pads with 0. The diffusers pipelines
   pass no attention mask (text_encoder.config has no use_attention_mask), so padded positions
   are attended to (only causally); the padding id therefore changes the hidden states after
   the EOS position and must match the tokenizer the model was used with. The converter stores
   the pad id from the tokenizer folder (tokenizer.ggml.padding_token_id) and the prompt entry
   point pads with it.

   GGUF layout (written by a2a_clip_text_convert_add): tensor names = prefix + the transformers
   state_dict names, ggml shapes (D = hidden_size, I = intermediate_size, V = vocab_size,
   P = max_position_embeddings, E = projection_dim):
       text_model.embeddings.token_embedding.weight       [D, V]  F32 or F16
       text_model.embeddings.position_embedding.weight    [D, P]  F32 or F16
       text_model.encoder.layers.N.layer_norm1.{weight,bias}, layer_norm2.*   [D] F32
       text_model.encoder.layers.N.self_attn.{q,k,v,out}_proj.weight          [D, D] F32/F16/Q8_0
       text_model.encoder.layers.N.self_attn.{q,k,v,out}_proj.bias            [D] F32
       text_model.encoder.layers.N.mlp.fc1.weight [D, I], .bias [I]; mlp.fc2.weight [I, D], .bias [D]
       text_model.final_layer_norm.{weight,bias}          [D] F32
       text_projection.weight                             [D, E]  (WithProjection only)
   (a checkpoint's text_model.embeddings.position_ids buffer is not stored).
   Metadata (clip_text.*): vocab_size, hidden_size, intermediate_size, num_hidden_layers,
   num_attention_heads, max_position_embeddings, projection_dim (0 = no projection),
   eos_token_id, bos_token_id, pad_token_id (u32; the config.json values); layer_norm_eps (f32);
   hidden_act (string "quick_gelu" or "gelu"). The CLIP BPE vocabulary, when the converter
   found a tokenizer folder, is stored under the (unprefixed) tokenizer.* keys of
   text/clip_vocab.h, so a file holds at most one CLIP tokenizer.

   Memory: the weights stay mmapped; each encode call allocates one activation arena of about
   (7 D + I) * T * n_seq floats (about 5 MiB for SD 2.x's 2 x 77 x 1024) and frees it before
   returning, so a loaded model is immutable and may serve concurrent calls. Measured (random
   weights of the real shapes, vs transformers fp32): SD 1.5 size nmse 5e-13 (F32), 3e-7 (F16),
   2e-4 (Q8_0); SD 2.x size (23 x 1024, gelu) 6e-13 (F32), 4e-7 (F16). */
#ifndef A2A_MODELS_TEXT_ENCODERS_CLIP_TEXT_H
#define A2A_MODELS_TEXT_ENCODERS_CLIP_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"
#include "models/common/nn.h"

struct a2a_gguf;
struct a2a_gguf_writer;
struct a2a_clip_vocab;

#define A2A_CLIP_TEXT_MAX_LAYERS 128
#define A2A_CLIP_TEXT_MAX_WIDTH 65536    /* hidden / intermediate / projection limit */
#define A2A_CLIP_TEXT_MAX_VOCAB (1 << 24)
#define A2A_CLIP_TEXT_MAX_POS 4096
#define A2A_CLIP_TEXT_MAX_SEQ 4096       /* n_seq limit of one call */

typedef struct a2a_clip_text_config {
    int vocab_size;              /* V (49408 for the released models) */
    int hidden_size;             /* D: 768 (SD 1.x), 1024 (SD 2.x, Zeroscope) */
    int intermediate_size;       /* I: 3072 / 4096 */
    int n_layers;                /* 12 / 23 */
    int n_heads;                 /* 12 / 16; divides D */
    int max_position_embeddings; /* P: 77 */
    int projection_dim;          /* E; 0 for CLIPTextModel (no text_projection) */
    float layer_norm_eps;        /* 1e-5 */
    a2a_nn_act act;              /* A2A_NN_ACT_QUICK_GELU or A2A_NN_ACT_GELU */
    int32_t eos_token_id;        /* 2 (old configs: argmax rule) or 49407 */
    int32_t bos_token_id, pad_token_id; /* informational (config.json values) */
} a2a_clip_text_config;

typedef struct a2a_clip_text a2a_clip_text;

/* Load from an open GGUF file g, which the model borrows (keep g open while *out lives), with
   tensor names prefixed by prefix (NULL or "" for none; "text_encoder." in a pipeline file).
   The CLIP vocabulary is loaded too when g has tokenizer.ggml.model == "clip" (copied; then
   a2a_clip_text_vocab is non-NULL). Errors: A2A_ERR_FORMAT (missing/invalid metadata, a bad
   vocabulary), A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a missing or mis-shaped tensor (or one
   of an unsupported type), A2A_ERR_NOMEM. Caller frees *out with a2a_clip_text_free. */
a2a_status a2a_clip_text_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_clip_text **out);

/* Open a one-component file (written by a2a_clip_text_convert; no prefix) and load it; the
   model owns the file. Errors: those of a2a_gguf_open and a2a_clip_text_load_gguf. */
a2a_status a2a_clip_text_load(a2a_ctx *ctx, const char *path, a2a_clip_text **out);

/* Free (and close the file a2a_clip_text_load opened). NULL is fine. */
void a2a_clip_text_free(a2a_clip_text *m);

/* The configuration (valid while m lives). */
const a2a_clip_text_config *a2a_clip_text_get_config(const a2a_clip_text *m);
/* Width of the pooled output: projection_dim when the model has text_projection, else D. */
int a2a_clip_text_pooled_dim(const a2a_clip_text *m);
/* The vocabulary stored with the model, NULL when the file had none (valid while m lives). */
const struct a2a_clip_vocab *a2a_clip_text_vocab(const a2a_clip_text *m);

/* Encode n_seq sequences of A2A_CLIP_CONTEXT (77) ids each:
     ids     int32 [n_seq][77] (each in [0, vocab_size))
     hidden  float [n_seq][77][D] (caller's): final_layer_norm of hidden_states[-(clip_skip+1)]
             (clip_skip 0 = last_hidden_state); may be NULL when only pooled is wanted
     pooled  NULL or float [n_seq][a2a_clip_text_pooled_dim(m)]: pooler_output, projected by
             text_projection when the model has it (text_embeds)
   clip_skip in [0, n_layers]. The layers above n_layers - clip_skip run only when pooled is
   requested. Errors: A2A_ERR_INVALID_ARG (n_seq outside 1..A2A_CLIP_TEXT_MAX_SEQ, an id out of
   range (naming sequence and position), clip_skip out of range, both outputs NULL),
   A2A_ERR_SHAPE (max_position_embeddings < 77), A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_clip_text_encode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m, const int32_t *ids,
                                int n_seq, int clip_skip, float *hidden, float *pooled);

/* General form: sequences of n_tok ids (1..max_position_embeddings), hidden [n_seq][n_tok][D];
   attn_mask NULL or int32 [n_seq][n_tok] (transformers' attention_mask: 0 hides that key from
   every query, other values keep it; added to the causal mask with the finite value torch uses,
   -FLT_MAX, so even a query whose visible keys are all hidden gets torch's result). With a mask
   the sequences run one at a time (the mask differs per sequence), without one as one batch.
   Other arguments and errors as a2a_clip_text_encode. */
a2a_status a2a_clip_text_encode_ex(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m, const int32_t *ids,
                                   int n_seq, int n_tok, const int32_t *attn_mask, int clip_skip, float *hidden,
                                   float *pooled);

/* Tokenize a prompt with the stored vocabulary as the diffusers pipelines call CLIPTokenizer
   (padding="max_length", max_length=77, truncation=True: [SOT] ids [EOT] cut to 77 keeping EOT
   in the last slot, HF cleaning) padded with the file's pad id (tokenizer.ggml.padding_token_id;
   <|endoftext|> when the file names none) into ids[0..77). As transformers does with added
   special tokens, the text is split at every occurrence of the pad token's text when that is
   neither SOT nor EOT (SD 2.x's "!"), each occurrence becoming the pad id. Errors: A2A_ERR_UNSUPPORTED (no
   vocabulary in the file), A2A_ERR_INVALID_ARG (invalid UTF-8, a token id outside the model's
   vocab_size), and those of a2a_clip_encode. */
a2a_status a2a_clip_text_tokenize(a2a_ctx *ctx, const a2a_clip_text *m, const char *prompt, int32_t *ids);

/* Tokenize n_prompts NUL-terminated prompts (a2a_clip_text_tokenize) and encode them
   (a2a_clip_text_encode) into hidden [n][77][D] / pooled [n][pooled_dim] (either may be NULL,
   not both). Errors: those of both. */
a2a_status a2a_clip_text_encode_prompts(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clip_text *m,
                                        const char *const *prompts, int n_prompts, int clip_skip, float *hidden,
                                        float *pooled);

/* ---- converter: transformers text_encoder/ folder -> GGUF ---- */
typedef struct a2a_clip_text_convert_params {
    a2a_type matmul_type;      /* q/k/v/out, fc1/fc2, text_projection: F32, F16 (default) or Q8_0
                                  (a row width that is not a multiple of 32 falls back to F16) */
    a2a_type embed_type;       /* token/position embeddings: F32 or F16 (default) */
    const char *tokenizer_dir; /* HF CLIP tokenizer folder (vocab.json + merges.txt); NULL: try
                                  <src_dir>/../tokenizer and store nothing when it is absent;
                                  "": store no vocabulary */
    a2a_threadpool *tp;        /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress;  /* called after each tensor (done, total, GGUF name); nonzero cancels */
    void *user;
} a2a_clip_text_convert_params;

a2a_clip_text_convert_params a2a_clip_text_convert_default_params(void);

/* Add the text encoder of src_dir (config.json with model_type "clip_text_model" -- a CLIPConfig
   with a nested text_config is refused -- and model.safetensors or pytorch_model.bin) to w:
   tensors named prefix + state_dict name (NULL/"" for no prefix), clip_text.* metadata, and
   the tokenizer.* vocabulary (see tokenizer_dir) whose padding id is the folder's pad_token
   (special_tokens_map.json, else tokenizer_config.json). Converted buffers are handed to w
   (a2a_gguf_writer_keep) and live until w is freed; general.* keys are not set. Tensors of the
   checkpoint that the model does not use (position_ids) are ignored. p NULL means the defaults.
   Errors: A2A_ERR_NOT_FOUND (files, tensors), A2A_ERR_FORMAT / A2A_ERR_UNSUPPORTED (config:
   hidden_act other than quick_gelu/gelu, absurd sizes; target types), A2A_ERR_SHAPE,
   A2A_ERR_CANCELLED, A2A_ERR_IO, A2A_ERR_NOMEM. */
a2a_status a2a_clip_text_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                     const a2a_clip_text_convert_params *p);

/* One-component file: general.architecture = "clip_text" + a2a_clip_text_convert_add with no
   prefix, written atomically to out_gguf and checked to load (removed when it does not). */
a2a_status a2a_clip_text_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                                 const a2a_clip_text_convert_params *p);

#endif
