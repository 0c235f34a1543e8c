/* Internal: the CLAP text branch -- transformers' ClapTextModelWithProjection
   (transformers/models/clap/modeling_clap.py), AudioLDM's text_encoder -- with its RoBERTa
   byte-level BPE tokenizer, and the 512-d conditioning vector AudioLDM's pipeline makes from a
   prompt (diffusers AudioLDMPipeline._encode_prompt).

   Model (RoBERTa embeddings + BERT post-LN encoder + BERT pooler + CLAP projection):
     positions  p_i = cumsum(m)_i * m_i + pad_token_id, m_i = (id_i != pad_token_id)
                (create_position_ids_from_input_ids: from the ids, not the attention mask)
     x_i        = LayerNorm(word[id_i] + pos[p_i] + token_type[0])   (eps layer_norm_eps)
     layer l    a = SelfAttention(x) with the additive key mask (1 - mask) * -FLT_MAX
                    (query/key/value, n_heads heads, scale 1/sqrt(head_dim)) -> attention.output.dense
                x = LayerNorm(a + x)                          (attention.output.LayerNorm)
                x = LayerNorm(dense2(act(dense1(x))) + x)     (intermediate.dense, output.dense, output.LayerNorm;
                                                               act = hidden_act, "gelu" = erf GELU)
     pooled     = tanh(pooler.dense(x_0))                     (token 0, <s>)
     text_embeds= linear2(relu(linear1(pooled)))              (text_projection, ClapProjectionLayer)
   Only token 0 is needed after the last layer, so the last layer computes its query row 0 only
   (keys/values over all tokens): identical results, less work.

   AudioLDM conditioning: ids = <s> + BPE(prompt)[: max_length - 2] + </s> (RobertaTokenizer,
   truncation, no prefix space), then text_embeds / max(||text_embeds||, 1e-12) (F.normalize).
   The pipeline pads to max_length with <pad> and passes the attention mask; padded keys are
   masked out and their rows never reach token 0, so running only the real tokens gives the same
   vector (this is what a2a_clap_text_embed does). Quirk kept from diffusers: the NEGATIVE prompt
   is tokenized with max_length = projection_dim (512), not the tokenizer's model_max_length --
   call a2a_clap_text_embed_len(..., cfg->projection_dim, ...) for it.

   GGUF layout (any2any's own; a2a_clap_text_convert_add writes it):
     tensors   <prefix> + the transformers state_dict name, e.g.
               "text_encoder.text_model.encoder.layer.0.attention.self.query.weight"
               (linears [in, out], embeddings [hidden, rows], 1-D tensors F32; the int64 buffers
               position_ids / token_type_ids are not stored)
     metadata  clap_text.vocab_size, hidden_size, num_hidden_layers, num_attention_heads,
               intermediate_size, max_position_embeddings, type_vocab_size, projection_dim,
               pad_token_id, max_length (the tokenizer's model_max_length, clamped to what the
               position table allows) (u32); layer_norm_eps (f32); hidden_act,
               projection_hidden_act (strings: gelu, gelu_new, gelu_pytorch_tanh, quick_gelu,
               relu, silu)
     vocabulary the RoBERTa BPE as llama.cpp stores byte-level BPE vocabularies:
               tokenizer.ggml.model "gpt2", tokenizer.ggml.pre "gpt-2", tokenizer.ggml.tokens,
               token_type (3 = control for <s> <pad> </s> <unk> <mask> and every special added
               token), merges, bos/eos/unknown/padding_token_id, add_bos_token false -- so
               src/text's a2a_vocab / a2a_tokenize read it unchanged. The keys are not prefixed:
               one such vocabulary per file.
   Tokenizer deviation: <mask>'s lstrip (it swallows the spaces before it) is not reproduced;
   prompts never contain it in practice. */
#ifndef A2A_MODELS_TEXT_ENCODERS_CLAP_TEXT_H
#define A2A_MODELS_TEXT_ENCODERS_CLAP_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"
#include "models/common/nn.h"

struct a2a_gguf;
struct a2a_gguf_writer;
struct a2a_vocab;

#define A2A_CLAP_TEXT_MAX_LAYERS 64
#define A2A_CLAP_TEXT_MAX_WIDTH 16384   /* hidden, intermediate, projection limit */
#define A2A_CLAP_TEXT_MAX_POS 65536     /* max_position_embeddings limit */

typedef struct a2a_clap_text_config {
    int vocab_size;              /* rows of word_embeddings (50265 for RoBERTa) */
    int hidden_size;             /* H (768) */
    int num_hidden_layers;       /* 12 */
    int num_attention_heads;     /* 12; divides H */
    int intermediate_size;       /* 3072 */
    int max_position_embeddings; /* 514: ids may be at most max_position_embeddings - pad_token_id - 1 long */
    int type_vocab_size;         /* 1 */
    int projection_dim;          /* 512: the output width */
    int pad_token_id;            /* 1 (also the position padding_idx) */
    int max_length;              /* tokenizer model_max_length used by a2a_clap_text_embed (77 or 512) */
    float layer_norm_eps;        /* 1e-12 */
    a2a_nn_act hidden_act;       /* GELU (erf) */
    a2a_nn_act projection_act;   /* RELU */
} a2a_clap_text_config;

typedef struct a2a_clap_text a2a_clap_text;

/* Load from an open GGUF file g, which the model borrows (keep g open while *out lives), with
   tensor names prefixed by prefix (NULL or "" for none; "text_encoder." in an AudioLDM file).
   The vocabulary (tokenizer.ggml.*) is loaded when present (a file without one gives a model
   that only takes ids). Errors: A2A_ERR_FORMAT (missing/out-of-range metadata, heads not
   dividing H), A2A_ERR_UNSUPPORTED (activation names, a vocabulary that is not byte-level BPE),
   A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a missing or mis-shaped tensor, A2A_ERR_NOMEM.
   Caller frees *out with a2a_clap_text_free. */
a2a_status a2a_clap_text_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_clap_text **out);

/* Open path (a one-component file written by a2a_clap_text_convert, no prefix) and load it; the
   model owns the file. Errors: what a2a_gguf_open and a2a_clap_text_load_gguf report. */
a2a_status a2a_clap_text_load(a2a_ctx *ctx, const char *path, a2a_clap_text **out);

/* Free the model (and its file when a2a_clap_text_load opened it). NULL is fine. */
void a2a_clap_text_free(a2a_clap_text *m);

/* The configuration / vocabulary (NULL when the file has none); valid while m lives. */
const a2a_clap_text_config *a2a_clap_text_get_config(const a2a_clap_text *m);
const struct a2a_vocab *a2a_clap_text_vocab(const a2a_clap_text *m);

/* Tokenize a prompt as RobertaTokenizer(prompt, truncation=True, max_length=max_length) does:
   <s> + byte-level BPE (special-token texts such as "</s>" in the prompt become those tokens)
   truncated to max_length - 2 tokens + </s>; no padding. max_length 0 means the config's
   max_length; it must be in [2, longest sequence the position table allows]. *ids is malloc'd
   (caller frees), *n its length. Errors: A2A_ERR_UNSUPPORTED (no vocabulary in the file),
   A2A_ERR_INVALID_ARG (NULL prompt, invalid UTF-8, bad max_length), A2A_ERR_NOMEM. */
a2a_status a2a_clap_text_tokenize(a2a_ctx *ctx, const a2a_clap_text *m, const char *prompt, int max_length,
                                  int32_t **ids, size_t *n);

/* text_embeds of ClapTextModelWithProjection(input_ids=ids, attention_mask=mask) for one
   sequence: ids[n] token ids in [0, vocab_size), mask[n] 0/1 (NULL: all ones), 1 <= n <= the
   longest sequence the position table allows (max_position_embeddings - pad_token_id - 1: 512
   for RoBERTa's 514). out[projection_dim], NOT normalized. Activation memory
   (~ (8 H + I) * n floats) is allocated for the call and freed. Errors: A2A_ERR_INVALID_ARG
   (n out of range, an id out of range, a mask value other than 0/1, NULL pointers),
   A2A_ERR_NOMEM, and what the ops report. */
a2a_status a2a_clap_text_embeds(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const int32_t *ids,
                                const int32_t *mask, size_t n, float *out);

/* AudioLDM's conditioning for a prompt: tokenize with the config's max_length, text_embeds,
   L2-normalize (F.normalize, eps 1e-12). out[projection_dim] (512 for AudioLDM: the UNet's
   class_labels). Errors: those of a2a_clap_text_tokenize and a2a_clap_text_embeds. */
a2a_status a2a_clap_text_embed(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const char *prompt,
                               float *out);

/* Same with an explicit tokenizer max_length (0: the config's). AudioLDM's negative prompt:
   max_length = projection_dim (see the top of this file). */
a2a_status a2a_clap_text_embed_len(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_clap_text *m, const char *prompt,
                                   int max_length, float *out);

/* ---- converter: transformers text_encoder/ + tokenizer/ folders -> GGUF ---- */
typedef struct a2a_clap_text_convert_params {
    a2a_type weight_type;      /* 2-D linear weights: F32, F16 (default) or Q8_0 */
    a2a_type embed_type;       /* embedding tables: F32 or F16 (default) */
    const char *tokenizer_dir; /* RoBERTa tokenizer folder (vocab.json + merges.txt, or tokenizer.json,
                                  + tokenizer_config.json); NULL: <src_dir>/../tokenizer, then src_dir */
    a2a_threadpool *tp;        /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress;  /* called after each tensor; nonzero cancels */
    void *user;
} a2a_clap_text_convert_params;

a2a_clap_text_convert_params a2a_clap_text_convert_default_params(void);

/* Add the model of src_dir (a transformers ClapTextModelWithProjection folder: config.json +
   model.safetensors or pytorch_model.bin) and the vocabulary of the tokenizer folder into the
   caller's writer w: tensors named prefix + state_dict name (prefix NULL = ""), clap_text.*
   and tokenizer.ggml.* metadata (see the top of this file). Converted buffers are handed to w
   (a2a_gguf_writer_keep), so the source files may be closed. p NULL means the defaults.
   Errors: A2A_ERR_NOT_FOUND (files, tensors), A2A_ERR_UNSUPPORTED (architecture, activation,
   position_embedding_type other than absolute, target types, a tokenizer that is not byte-level
   BPE), A2A_ERR_FORMAT (config, vocabulary), A2A_ERR_SHAPE, A2A_ERR_CANCELLED, A2A_ERR_IO,
   A2A_ERR_NOMEM. */
a2a_status a2a_clap_text_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                     const a2a_clap_text_convert_params *p);

/* Convert into a one-component file out_gguf (no prefix, general.architecture "clap_text"),
   written atomically and checked to load. */
a2a_status a2a_clap_text_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                                 const a2a_clap_text_convert_params *p);

#endif
