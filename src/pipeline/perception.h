/* Internal: the perception half of an MM-LLM -- media chunk -> decoded and preprocessed ->
   ImageBind embedding -> input projector -> soft tokens for the LLM -- with a per-session cache
   keyed by content, so a file handed over twice (or kept across turns) is encoded once.

   Front ends (exactly imagebind/data.py): images -> a2a_image_to_imagebind (bicubic 224,
   center crop, CLIP mean/std); audio (and nothing else) -> a2a_audio_to_imagebind (16 kHz, 3
   clips of 2 s, kaldi fbank 128 x 204); video -> a2a_video_to_imagebind (5 clips x 3 crops of
   2 frames). The embedding is the upstream forward output (vision: unit vector, averaged over
   clips for video; audio: unit vectors times the audio logit scale, averaged over clips),
   which is what NExT-GPT's llama_proj receives. */
#ifndef A2A_PIPELINE_PERCEPTION_H
#define A2A_PIPELINE_PERCEPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/threadpool.h"
#include "models/encoders/imagebind.h"
#include "models/projectors/projector.h"
#include "pipeline/mm_prompt.h"

/* Largest media file read into memory (bytes). */
#define A2A_PERCEPTION_MAX_FILE ((size_t)2 << 30)

typedef struct a2a_perception_entry {
    uint64_t hash;         /* FNV-1a 64 of the file bytes */
    uint64_t size;         /* byte count (part of the key) */
    a2a_chunk_kind kind;
    float *embedding;      /* [enc_dim] encoder output */
    float *soft;           /* [n_soft * llm_dim] projector output, or NULL without a projector */
    int32_t n_soft;
} a2a_perception_entry;

typedef struct a2a_perception {
    a2a_imagebind *enc;            /* not owned */
    const a2a_projector *proj;     /* not owned; NULL: embeddings only */
    a2a_threadpool *tp;            /* not owned; may be NULL */
    a2a_perception_entry *cache;   /* [n_cache] */
    int32_t n_cache, cap_cache;
    int32_t hits, misses;          /* cache statistics */
} a2a_perception;

/* enc is required; proj may be NULL (embeddings only). Its input width must equal the
   encoder's embedding width (A2A_ERR_SHAPE naming both otherwise). */
a2a_status a2a_perception_init(a2a_ctx *ctx, a2a_perception *p, a2a_imagebind *enc, const a2a_projector *proj,
                               a2a_threadpool *tp);
void a2a_perception_free(a2a_perception *p);

/* The encoder embedding of a media chunk (from its path or bytes); *emb points into the cache
   (valid until a2a_perception_free), a2a_imagebind_out_dim floats: the upstream output
   (callers that want unit vectors, like `any2any embed`, normalize it). */
a2a_status a2a_perception_embed(a2a_ctx *ctx, a2a_perception *p, const a2a_chunk *c, const float **emb);

/* The soft tokens of a media chunk: *rows = n_rows x projector out_dim floats in the cache.
   Has the a2a_media_embed_fn signature (user = the a2a_perception). */
a2a_status a2a_perception_soft_tokens(a2a_ctx *ctx, void *perception, const a2a_chunk *c, const float **rows,
                                      int32_t *n_rows);

/* Read a whole file (at most max bytes) into malloc'd memory. */
a2a_status a2a_read_file(a2a_ctx *ctx, const char *path, size_t max, void **data, size_t *size);

#endif
