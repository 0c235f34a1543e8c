/* Internal: the tokenizer files of a Hugging Face model folder, read for conversion to GGUF:
     tokenizer.json         byte-level BPE model: model.vocab (text -> id), model.merges (either
                            "left right" strings or [left, right] pairs), added_tokens (with
                            "special" flags), post_processor (does it prepend BOS?)
     added_tokens.json      {"<Img>": 32000, ...} (slow SentencePiece tokenizers)
     tokenizer_config.json  added_tokens_decoder, add_bos_token, add_eos_token, bos/eos/unk/pad
                            tokens (string or {"content": ...}), chat_template (string or a list
                            of {name, template}; "default" wins)
     chat_template.jinja / chat_template.json   the template, as newer transformers save it
   Every file is optional; what is missing stays empty. Added tokens from the three sources are
   merged by id (the same id with two different texts is an error). */
#ifndef A2A_TEXT_HF_TOKENIZER_H
#define A2A_TEXT_HF_TOKENIZER_H

#include "core/status.h"

/* Largest token id accepted from these files. */
#define A2A_HF_MAX_TOKEN_ID ((1 << 24) - 1)

typedef struct a2a_hf_token {
    char *text;    /* NUL-terminated UTF-8 (owned; no embedded NULs) */
    int32_t id;
    bool special;  /* "special": true somewhere (control token) */
} a2a_hf_token;

typedef struct a2a_hf_tokenizer {
    /* tokenizer.json model (has_model: the file exists and has a "model") */
    bool has_model;
    char model_type[16];    /* "BPE", "Unigram", "WordPiece", ... ("" when absent) */
    int32_t n_vocab;        /* 1 + the largest id of model.vocab (0 when absent) */
    char **vocab;           /* [n_vocab] token text by id, NULL for ids model.vocab lacks (owned) */
    int64_t n_merges;
    char **merges;          /* [n_merges] "left right" (owned) */
    bool byte_fallback;     /* model.byte_fallback */
    bool post_bos;          /* post_processor prepends bos_token to single sequences */
    /* added tokens, sorted by id */
    int32_t n_added;
    a2a_hf_token *added;
    /* tokenizer_config.json */
    int add_bos, add_eos;   /* -1 when not given, else 0/1 */
    char *bos_token, *eos_token, *unk_token, *pad_token; /* token texts or NULL (owned) */
    char *chat_template;    /* NULL when none (owned) */
} a2a_hf_tokenizer;

/* Read the tokenizer files of folder dir (see above). Errors: malformed JSON or unexpected
   value kinds give A2A_ERR_FORMAT naming the file and key; A2A_ERR_NOMEM. A folder without any
   of the files gives an empty tokenizer (has_model false, n_added 0). Caller frees with
   a2a_hf_tokenizer_free. */
a2a_status a2a_hf_tokenizer_load(a2a_ctx *ctx, const char *dir, a2a_hf_tokenizer **out);
void a2a_hf_tokenizer_free(a2a_hf_tokenizer *t);
/* The added token with this id, NULL if none. */
const a2a_hf_token *a2a_hf_tokenizer_added(const a2a_hf_tokenizer *t, int32_t id);

#endif
