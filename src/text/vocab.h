/* Internal: token vocabularies read from GGUF metadata (tokenizer.ggml.*), and the
   tokenizers built on them: SentencePiece-BPE ("llama": LLaMA, Vicuna) and byte-level BPE
   ("gpt2": GPT-2, LLaMA-3, Qwen2 — the pre-tokenizer regex chosen by tokenizer.ggml.pre). */
#ifndef A2A_TEXT_VOCAB_H
#define A2A_TEXT_VOCAB_H

#include "core/status.h"
#include "core/strmap.h"
#include "io/gguf.h"

typedef enum a2a_vocab_kind { A2A_VOCAB_SPM = 1, A2A_VOCAB_BPE = 2 } a2a_vocab_kind;

/* tokenizer.ggml.token_type values (llama.cpp's) */
typedef enum a2a_token_attr {
    A2A_TOKEN_UNDEFINED = 0,
    A2A_TOKEN_NORMAL = 1,
    A2A_TOKEN_UNKNOWN = 2,
    A2A_TOKEN_CONTROL = 3,
    A2A_TOKEN_USER_DEFINED = 4,
    A2A_TOKEN_UNUSED = 5,
    A2A_TOKEN_BYTE = 6,
} a2a_token_attr;

/* Byte-level BPE pre-tokenizer flavours (regex families). */
typedef enum a2a_pretok {
    A2A_PRETOK_GPT2 = 0,   /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    A2A_PRETOK_LLAMA3 = 1, /* case-insensitive contractions, [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}{1,3}, ... */
    A2A_PRETOK_QWEN2 = 2,  /* as LLAMA3 but single digits \p{N} */
} a2a_pretok;

typedef struct a2a_vocab {
    a2a_vocab_kind kind;
    a2a_pretok pretok;         /* BPE only */
    int32_t n_tokens;
    char *blob;                /* all token texts, concatenated (owned) */
    uint32_t *text_off;        /* [n_tokens] offset of token i's text in blob */
    uint32_t *text_len;        /* [n_tokens] byte length of token i's text */
    float *scores;             /* [n_tokens] SPM merge scores (0 when absent) */
    uint8_t *attr;             /* [n_tokens] a2a_token_attr */
    a2a_strmap text_to_id;     /* token text -> id */
    a2a_strmap merge_rank;     /* BPE: "left right" -> rank (keys point into merge_blob) */
    char *merge_blob;          /* BPE merges, "left right" strings concatenated (owned) */
    int32_t bos, eos, unk, pad;/* -1 when absent */
    bool add_bos;              /* tokenizer.ggml.add_bos_token (default: SPM true, BPE false) */
    bool add_space_prefix;     /* SPM: prepend a space (tokenizer.ggml.add_space_prefix, default true) */
    int32_t byte_to_id[256];   /* SPM: id of <0xXX> byte tokens (-1 if missing); BPE: id of each byte's symbol */
    int32_t *special;          /* ids of CONTROL/USER_DEFINED tokens, longest text first (for special-token parsing) */
    int32_t n_special;
} a2a_vocab;

/* Load the vocabulary of a GGUF file (tokenizer.ggml.model = "llama" or "gpt2"). Copies what it
   needs, so g may be closed afterwards. Unknown models or inconsistent arrays give
   A2A_ERR_UNSUPPORTED / A2A_ERR_FORMAT with a message. Free with a2a_vocab_free. */
a2a_status a2a_vocab_load(a2a_ctx *ctx, const a2a_gguf *g, a2a_vocab **out);
void a2a_vocab_free(a2a_vocab *v);

/* Text of token id (NOT NUL-terminated), NULL if id is out of range. */
const char *a2a_vocab_text(const a2a_vocab *v, int32_t id, size_t *len);
/* Id of a token text, -1 if absent. */
int32_t a2a_vocab_find(const a2a_vocab *v, const char *text, size_t len);

/* Tokenize UTF-8 text. add_bos: prepend BOS (if the vocab has one). parse_special: text that
   spells a CONTROL or USER_DEFINED token becomes that token (otherwise it is plain text;
   USER_DEFINED tokens are always matched, as llama.cpp does). Output goes to *ids (malloc'd,
   caller frees) and *n. Invalid UTF-8 gives A2A_ERR_INVALID_ARG naming the byte offset. */
a2a_status a2a_tokenize(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, bool add_bos,
                        bool parse_special, int32_t **ids, size_t *n);

/* Append the bytes of token id to a growing buffer (*buf, *len, *cap; realloc'd). For SPM, '▁'
   becomes ' ' and byte tokens become their byte; for BPE, symbols map back to bytes. Control
   tokens produce nothing unless render_special. A2A_ERR_INVALID_ARG for an id out of range. */
a2a_status a2a_detokenize_piece(a2a_ctx *ctx, const a2a_vocab *v, int32_t id, bool render_special, char **buf,
                                size_t *len, size_t *cap);

/* ---- internal to src/text ---- */
/* A growing id list. */
typedef struct a2a_idvec { int32_t *v; size_t n, cap; } a2a_idvec;
a2a_status a2a_idvec_push(a2a_ctx *ctx, a2a_idvec *iv, int32_t id);
/* SPM encode of one fragment (no special tokens inside) into out. */
a2a_status a2a_spm_encode(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, bool add_prefix, a2a_idvec *out);
/* BPE encode of one fragment (pre-tokenized inside) into out. */
a2a_status a2a_bpe_encode(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, a2a_idvec *out);
/* GPT-2 byte <-> unicode symbol mapping. */
uint32_t a2a_bpe_byte_to_cp(uint8_t b);
int a2a_bpe_cp_to_byte(uint32_t cp); /* -1 if cp is not a byte symbol */

#endif
