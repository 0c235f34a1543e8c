/* Internal: multimodal prompts. A prompt is a list of chunks -- text, image, audio, video --
   (as llama.cpp's libmtmd has them); assembling one gives a sequence of LLM positions, each
   either a token id or an input-embedding row (a soft token from an input projector), ready
   for a2a_llm_decode's tokens/embd/embd_mask arguments.

   NExT-GPT layout (the released 7b_tiva_v0 checkpoint's inference code,
   anyToImageVideoAudio.prepare_generation_embedding), reproduced position for position for the
   layout it was trained and demonstrated with -- media first, then the question:
       [BOS] "### Human:" <Img> {soft tokens} </Img> [BOS] "{text}\n### Assistant:"
   Every text segment is tokenized on its own (SentencePiece dummy prefix included) and gets its
   own BOS, exactly as the upstream code splits its prompt at " <" / "> "; every media item,
   whatever its modality, is wrapped in the added tokens <Img> and </Img> (upstream uses <Img>
   for audio and video too). Upstream sums the features of several items of one modality that
   share a tag group; here each chunk is its own group, which is the same for the usual one item.
   For other layouts upstream's regex split drops the text that follows a media tag; here the
   rule is simply: chunks in order, each text chunk as its own BOS-prefixed segment, and
   "\n### Assistant:" appended to the last text chunk (or as its own segment after trailing
   media). */
#ifndef A2A_PIPELINE_MM_PROMPT_H
#define A2A_PIPELINE_MM_PROMPT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "text/vocab.h"

typedef enum a2a_chunk_kind {
    A2A_CHUNK_TEXT = 0,
    A2A_CHUNK_IMAGE = 1,
    A2A_CHUNK_AUDIO = 2,
    A2A_CHUNK_VIDEO = 3,
} a2a_chunk_kind;

/* Name of a chunk kind ("text", "image", "audio", "video"). */
const char *a2a_chunk_kind_name(a2a_chunk_kind k);

/* One prompt chunk. Media come from a file (path) or from memory (data, size); not owned. */
typedef struct a2a_chunk {
    a2a_chunk_kind kind;
    const char *text;   /* TEXT: UTF-8 */
    const char *path;   /* media: file path, or NULL when data is set */
    const void *data;   /* media: encoded file bytes (png/jpg/wav/mp4 ...) */
    size_t size;
} a2a_chunk;

/* A sequence of LLM input positions. */
typedef struct a2a_mm_seq {
    int32_t n_embd;     /* width of embedding rows */
    int32_t n, cap;     /* positions used / allocated */
    int32_t *tokens;    /* [cap] token id; 0 where the position is an embedding row */
    uint8_t *is_embd;   /* [cap] 1 where embd holds the position's input */
    float *embd;        /* [cap * n_embd] rows; meaningful only where is_embd */
    int32_t n_media;    /* media chunks spliced in */
} a2a_mm_seq;

void a2a_mm_seq_init(a2a_mm_seq *s, int32_t n_embd);
void a2a_mm_seq_free(a2a_mm_seq *s);
a2a_status a2a_mm_seq_add_tokens(a2a_ctx *ctx, a2a_mm_seq *s, const int32_t *ids, int32_t n);
/* rows: n rows of n_embd floats (copied). */
a2a_status a2a_mm_seq_add_embd(a2a_ctx *ctx, a2a_mm_seq *s, const float *rows, int32_t n);
/* Tokenize text (no BOS unless add_bos; added/special tokens in the text are matched) and append. */
a2a_status a2a_mm_seq_add_text(a2a_ctx *ctx, a2a_mm_seq *s, const a2a_vocab *v, const char *text, bool add_bos);

/* Produces the soft tokens of media chunk `chunk` (index into the chunk list): *rows is
   n_rows x n_embd floats owned by the callee, valid until the next call. */
typedef a2a_status (*a2a_media_embed_fn)(a2a_ctx *ctx, void *user, const a2a_chunk *chunk, const float **rows,
                                         int32_t *n_rows);

/* Append one NExT-GPT human turn (layout above) to s. The vocab must know <Img> and </Img>
   as single tokens (A2A_ERR_NOT_FOUND naming them otherwise). At least one chunk. */
a2a_status a2a_mm_build_nextgpt(a2a_ctx *ctx, a2a_mm_seq *s, const a2a_vocab *v, const a2a_chunk *chunks, int n_chunks,
                                a2a_media_embed_fn embed, void *user);

#endif
