/* Internal: a small, bounds-checked reader for SentencePiece model files (`tokenizer.model`,
   the protobuf sentencepiece.ModelProto), enough to convert a tokenizer to GGUF:
     ModelProto   { repeated SentencePiece pieces = 1; TrainerSpec trainer_spec = 2;
                    NormalizerSpec normalizer_spec = 3; ... }
     SentencePiece{ string piece = 1; float score = 2; Type type = 3 [default NORMAL]; }
     TrainerSpec  { ModelType model_type = 3; bool byte_fallback = 35; int32 unk_id = 40;
                    int32 bos_id = 41; int32 eos_id = 42; int32 pad_id = 43; ... }
     NormalizerSpec { string name = 1; bool add_dummy_prefix = 3 [default true];
                      bool remove_extra_whitespaces = 4; ... }
   Unknown fields are skipped by wire type; groups (wire types 3/4), truncated varints or
   lengths, lengths past the end of their message, wrong wire types for known fields, empty or
   non-UTF-8 pieces and unknown piece types are rejected with A2A_ERR_FORMAT. */
#ifndef A2A_TEXT_SPM_MODEL_H
#define A2A_TEXT_SPM_MODEL_H

#include "core/status.h"

/* Most pieces accepted (real models have 32k..256k). */
#define A2A_SPM_MAX_PIECES (1 << 22)

/* SentencePiece piece types (same values as llama.cpp's token types). */
enum { A2A_SPM_NORMAL = 1, A2A_SPM_UNKNOWN = 2, A2A_SPM_CONTROL = 3, A2A_SPM_USER_DEFINED = 4, A2A_SPM_UNUSED = 5,
       A2A_SPM_BYTE = 6 };
/* TrainerSpec.model_type values. */
enum { A2A_SPM_MODEL_UNIGRAM = 1, A2A_SPM_MODEL_BPE = 2, A2A_SPM_MODEL_WORD = 3, A2A_SPM_MODEL_CHAR = 4 };

typedef struct a2a_spm_piece {
    const char *text; /* NUL-terminated UTF-8 (points into the model's blob) */
    uint32_t len;     /* byte length of text */
    float score;      /* log-probability (unigram) or merge priority (BPE) */
    int32_t type;     /* A2A_SPM_NORMAL ... A2A_SPM_BYTE */
} a2a_spm_piece;

typedef struct a2a_spm_model {
    int32_t n_pieces;
    a2a_spm_piece *pieces;  /* [n_pieces] in id order (owned) */
    char *blob;             /* piece texts, each NUL-terminated (owned) */
    int32_t model_type;     /* A2A_SPM_MODEL_* (default UNIGRAM, as the proto says) */
    bool byte_fallback;
    bool add_dummy_prefix;  /* normalizer: prepend a space (default true) */
    bool remove_extra_whitespaces;
    int32_t unk_id, bos_id, eos_id, pad_id; /* trainer ids (defaults 0, 1, 2, -1; -1 = none) */
} a2a_spm_model;

/* Parse data[0..size). Errors: A2A_ERR_FORMAT with the byte offset and what was wrong,
   A2A_ERR_NOMEM. On success the caller frees *out with a2a_spm_model_free. */
a2a_status a2a_spm_model_parse(a2a_ctx *ctx, const void *data, size_t size, a2a_spm_model **out);
/* Read and parse a file (A2A_ERR_IO if it cannot be read; the message names the path). */
a2a_status a2a_spm_model_load(a2a_ctx *ctx, const char *path, a2a_spm_model **out);
void a2a_spm_model_free(a2a_spm_model *m);

#endif
