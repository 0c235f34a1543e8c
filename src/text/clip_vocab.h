/* Internal: the CLIP BPE tokenizer — OpenAI CLIP's SimpleTokenizer as ImageBind
   (imagebind/models/multimodal_preprocessors.py) and open_clip ship it, and transformers'
   CLIPTokenizer (the slow, Python one) that Stable Diffusion 1.x/2.x pipelines use.

   Vocabulary (49408 tokens for the released vocabulary): the 256 byte symbols of GPT-2's
   bytes_to_unicode table in that table's order (printable bytes first), the same 256 with the
   end-of-word suffix "</w>", one token per merge ("left right" -> "leftright"), then
   "<|startoftext|>" (49406) and "<|endoftext|>" (49407). Sources:
     - bpe_simple_vocab_16e6.txt.gz (imagebind / open_clip / OpenAI CLIP): line 0 is a header,
       lines 1..48894 are the merges used (49152 - 256 - 2; the file has 262144, the rest are
       ignored exactly as upstream ignores them); the tokens are derived as above.
     - a Hugging Face CLIP tokenizer folder: vocab.json (token -> id) and merges.txt (first line
       "#version: ..." skipped, then at most 48894 merges used, as CLIPTokenizer does).
     - GGUF metadata (written by a2a_clip_vocab_write_gguf, for converters):
         tokenizer.ggml.model             string  "clip"
         tokenizer.ggml.tokens            string array [n_tokens], token text by id
         tokenizer.ggml.merges            string array [n_merges], "left right", rank order
         tokenizer.ggml.bos_token_id      u32  <|startoftext|>
         tokenizer.ggml.eos_token_id      u32  <|endoftext|>
         tokenizer.ggml.padding_token_id  u32  optional: the pad id the model was trained with
                                               (0 for ImageBind/OpenCLIP, 49407 for SD's HF tokenizer)
         tokenizer.clip.context_length    u32  optional (77)
       Every merge of a GGUF file is used (no 48894 cap).

   Text processing (a2a_clip_tokenize):
     1. clean. ftfy.fix_text (default configuration) is reproduced except its mojibake repair
        (fix_encoding: "sÃ³" stays as is) and full NFC (see below); what IS done, per line and
        repeated until nothing changes, as ftfy does: HTML entities ending in ';' (ftfy's table,
        including its upper-case variants such as &EACUTE;) and numeric references, but only
        while no line seen so far contained '<'; C1 controls read as windows-1252; Latin
        ligatures split; full-width/half-width forms and U+3000 folded; curly quotes
        straightened; line breaks (\r\n, \r, U+2028, U+2029, U+0085) to \n; ANSI terminal
        escapes removed; control characters ftfy drops removed; NFC by composing adjacent
        pairs (starter + mark, repeatedly; Hangul L+V(+T)) and rewriting NFC singletons —
        without canonical reordering, so a mark that NFC would compose across a mark of a
        different class is left alone.
        A2A_CLIP_CLEAN_OPENAI (ImageBind, OpenAI, open_clip) then applies Python's
        html.unescape twice (all 2231 HTML5 entities, legacy names without ';', longest-prefix
        rule, numeric references with the HTML5 fix-ups). A2A_CLIP_CLEAN_HF (transformers with
        ftfy installed) does not; instead, as transformers does, the raw text is first split at
        exact (case-sensitive) occurrences of the two special texts, and each piece is cleaned
        and tokenized on its own.
     2. whitespace: runs of Unicode White_Space become one space; leading/trailing space removed.
     3. lower-case with Python's str.lower (full Unicode table, U+0130 -> "i̇", the final-sigma
        rule with Python's cased / case-ignorable sets).
     4. split with  <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+
        (case-insensitive: "'ſ" is a contraction too); the two special texts become their ids.
     5. each piece's UTF-8 bytes become byte symbols, the last symbol gets "</w>", and adjacent
        symbols merge lowest rank first (ties: leftmost), with the merge queue the other BPE
        tokenizers use (text/merge_queue.h).
   Invalid UTF-8 input is rejected with A2A_ERR_INVALID_ARG naming the byte offset (upstream
   takes Python str, which cannot hold it); sanitize before calling if replacement is wanted. */
#ifndef A2A_TEXT_CLIP_VOCAB_H
#define A2A_TEXT_CLIP_VOCAB_H

#include "core/status.h"
#include "core/strmap.h"
#include "io/gguf.h"

#define A2A_CLIP_N_MERGES 48894 /* merges upstream reads from the gz / merges.txt: 49152 - 256 - 2 */
#define A2A_CLIP_CONTEXT 77
#define A2A_CLIP_MAX_TOKENS (1 << 24)

typedef struct a2a_clip_vocab {
    int32_t n_tokens;
    char *blob;              /* token texts, concatenated (owned) */
    uint32_t *text_off;      /* [n_tokens] offset of token i's text in blob */
    uint32_t *text_len;      /* [n_tokens] byte length of token i's text */
    a2a_strmap text_to_id;   /* token text -> id (keys point into blob) */
    int32_t n_merges;
    char *merge_blob;        /* merges "left right", concatenated (owned) */
    uint32_t *merge_off;     /* [n_merges] */
    uint32_t *merge_len;     /* [n_merges] */
    a2a_strmap merge_rank;   /* "left right" -> rank (keys point into merge_blob) */
    int32_t sot, eot;        /* <|startoftext|>, <|endoftext|> ids (always valid) */
    int32_t pad;             /* padding id from the file, -1 when it names none */
    int32_t byte_id[256];    /* id of byte b's symbol */
    int32_t byte_id_w[256];  /* id of byte b's symbol + "</w>" */
} a2a_clip_vocab;

/* ---- loading (clip_vocab.c); every loader's result is freed with a2a_clip_vocab_free ---- */

/* From bpe_simple_vocab_16e6.txt.gz (gzip; a plain text file is read as is too). Errors:
   A2A_ERR_IO (cannot open/read, corrupt gzip), A2A_ERR_FORMAT (malformed merge line: not two
   space-separated symbols; a derived token twice), A2A_ERR_NOMEM. */
a2a_status a2a_clip_vocab_load_bpe_gz(a2a_ctx *ctx, const char *path, a2a_clip_vocab **out);
/* Same from the decompressed text text[0..len): header line, then merges, '\n'-separated. */
a2a_status a2a_clip_vocab_load_bpe_text(a2a_ctx *ctx, const char *text, size_t len, a2a_clip_vocab **out);
/* From a Hugging Face tokenizer folder (dir/vocab.json, dir/merges.txt). Errors: A2A_ERR_IO
   (missing file), A2A_ERR_FORMAT (bad JSON, ids not exactly 0..n-1, malformed merges), NOMEM. */
a2a_status a2a_clip_vocab_load_hf(a2a_ctx *ctx, const char *dir, a2a_clip_vocab **out);
/* From the tokenizer.* metadata of an open GGUF file (keys above). Copies what it needs: g may
   be closed afterwards. tokenizer.ggml.model other than "clip" gives A2A_ERR_UNSUPPORTED;
   missing/mistyped arrays or ids out of range give A2A_ERR_FORMAT. */
a2a_status a2a_clip_vocab_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, a2a_clip_vocab **out);
/* Add the tokenizer.* keys above (model, tokens, merges, bos/eos ids, padding id when v->pad >= 0,
   context length 77) to a GGUF writer, for converters. Errors from the writer (NOMEM). */
a2a_status a2a_clip_vocab_write_gguf(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_clip_vocab *v);
void a2a_clip_vocab_free(a2a_clip_vocab *v);

/* Text of token id (NOT NUL-terminated) and its length; NULL if id is out of range. */
const char *a2a_clip_vocab_text(const a2a_clip_vocab *v, int32_t id, size_t *len);
/* Id of a token text, -1 if absent. */
int32_t a2a_clip_vocab_find(const a2a_clip_vocab *v, const char *text, size_t len);

/* ---- tokenizing (tok_clip.c) ---- */

typedef enum a2a_clip_clean {
    A2A_CLIP_CLEAN_OPENAI = 0, /* ftfy subset + html.unescape twice (ImageBind, OpenAI CLIP, open_clip) */
    A2A_CLIP_CLEAN_HF = 1,     /* ftfy subset only (transformers CLIPTokenizer with ftfy installed) */
    A2A_CLIP_CLEAN_NONE = 2,   /* no ftfy/HTML step: whitespace and lower-casing only */
} a2a_clip_clean;

typedef struct a2a_clip_params {
    int32_t context;      /* output length (77); >= 2 */
    int32_t pad_id;       /* filler after EOT: 0 (ImageBind, OpenCLIP) or 49407 (HF CLIPTokenizer in SD 1.x);
                             -1 means the vocabulary's EOT id */
    bool keep_eot;        /* when too long: true = cut and put EOT in the last slot (OpenAI
                             clip.tokenize(truncate=True), HF truncation=True); false = plain cut,
                             EOT lost (ImageBind's SimpleTokenizer.__call__) */
    a2a_clip_clean clean; /* text cleaning flavour */
} a2a_clip_params;

/* ImageBind's exact behaviour: context 77, pad 0, plain cut (keep_eot false), OPENAI cleaning. */
a2a_clip_params a2a_clip_default_params(void);
/* transformers CLIPTokenizer(padding="max_length", max_length=77, truncation=True) as SD 1.x
   pipelines call it: pad = EOT (49407), keep_eot true, HF cleaning. */
a2a_clip_params a2a_clip_hf_params(void);

/* Clean text[0..len) (steps 1-3 above) into *out (malloc'd, NUL-terminated, caller frees), its
   length in *out_len. A2A_ERR_INVALID_ARG for invalid UTF-8, A2A_ERR_NOMEM. */
a2a_status a2a_clip_clean_text(a2a_ctx *ctx, const char *text, size_t len, a2a_clip_clean mode, char **out,
                               size_t *out_len);
/* Token ids of text[0..len) without SOT/EOT (upstream's encode()): *ids malloc'd (caller frees;
   NULL when *n is 0). Errors as a2a_clip_clean_text. */
a2a_status a2a_clip_tokenize(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, a2a_clip_clean mode,
                             int32_t **ids, size_t *n);
/* [SOT] + ids + [EOT], cut to p->context (see keep_eot) and padded with the pad id, into
   out[0..p->context) (caller's array). *n_used (may be NULL) = slots before the padding; the
   EOT position is *n_used - 1 when it survived. A2A_ERR_INVALID_ARG for context < 2 or above
   2^20, or a pad id outside the vocabulary; errors of a2a_clip_tokenize. */
a2a_status a2a_clip_encode(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, const a2a_clip_params *p,
                           int32_t *out, int32_t *n_used);
/* Text of ids (upstream's decode()): token texts joined, byte symbols back to bytes, invalid
   UTF-8 replaced by U+FFFD as Python's errors="replace" does (one per maximal invalid subpart),
   "</w>" -> " ". skip_special drops SOT/EOT (HF skip_special_tokens); otherwise they appear as
   their text. *out malloc'd, NUL-terminated, caller frees. A2A_ERR_INVALID_ARG for an id out of
   range. */
a2a_status a2a_clip_decode(a2a_ctx *ctx, const a2a_clip_vocab *v, const int32_t *ids, size_t n, bool skip_special,
                           char **out, size_t *out_len);

/* ---- generated tables (clip_tables.c, tools/ref/make_golden_clip_tok.py tables) ---- */
typedef struct a2a_clip_case_range { uint32_t first, last; int32_t stride, delta; } a2a_clip_case_range;
typedef struct a2a_clip_flag_range { uint32_t first, last; int flags; } a2a_clip_flag_range;
typedef struct a2a_clip_comp { uint32_t a, b, c; } a2a_clip_comp;
typedef struct a2a_clip_map { uint32_t cp; const char *s; } a2a_clip_map;
typedef struct a2a_clip_entity { const char *name, *text; int flags; /* 1: html.unescape, 2: ftfy */ } a2a_clip_entity;
extern const a2a_clip_case_range a2a_clip_lower_ranges[];
extern const size_t a2a_clip_n_lower_ranges;
extern const a2a_clip_flag_range a2a_clip_casing[];
extern const size_t a2a_clip_n_casing;
extern const a2a_clip_comp a2a_clip_comps[];
extern const size_t a2a_clip_n_comps;
extern const a2a_clip_map a2a_clip_nfc_singles[];
extern const size_t a2a_clip_n_nfc_singles;
extern const a2a_clip_map a2a_clip_ligatures[];
extern const size_t a2a_clip_n_ligatures;
extern const a2a_clip_map a2a_clip_width[];
extern const size_t a2a_clip_n_width;
extern const uint32_t a2a_clip_c1[32];
extern const a2a_clip_map a2a_clip_invalid_charrefs[];
extern const size_t a2a_clip_n_invalid_charrefs;
extern const a2a_clip_entity a2a_clip_entities[];
extern const size_t a2a_clip_n_entities;

#endif
