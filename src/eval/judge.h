/* Internal: the independent judge of generated media -- an ImageBind-layout encoder GGUF with
   a CLIP vocabulary (any2any convert --imagebind ... --bpe), trained separately from the
   bundle's encoder. A generated image/video/sound is embedded and compared (cosine) with the
   embeddings of a set of candidate label texts; the nearest label is the judge's verdict. */
#ifndef A2A_EVAL_JUDGE_H
#define A2A_EVAL_JUDGE_H

#include "core/threadpool.h"
#include "models/encoders/imagebind.h"
#include "pipeline/perception.h"
#include "text/clip_vocab.h"

#define A2A_JUDGE_GROUPS 3

typedef struct a2a_judge {
    a2a_imagebind *m;
    a2a_clip_vocab *cv;
    a2a_perception perc;
    int64_t dim;
    float *labels[A2A_JUDGE_GROUPS];  /* [n_labels][dim] unit text embeddings */
    int n_labels[A2A_JUDGE_GROUPS];
} a2a_judge;

/* Load the judge (needs its CLIP vocabulary). tp is not owned (may be NULL). */
a2a_status a2a_judge_load(a2a_ctx *ctx, const char *path, a2a_threadpool *tp, a2a_judge *j);
void a2a_judge_free(a2a_judge *j);

/* Embed the label texts of group g (0..2) once. */
a2a_status a2a_judge_set_labels(a2a_ctx *ctx, a2a_judge *j, int g, const char *const *texts, int n);

/* Nearest label of group g for a media chunk (a file path or encoded bytes): *best (index) and
   *sim (its cosine similarity). */
a2a_status a2a_judge_classify(a2a_ctx *ctx, a2a_judge *j, int g, const a2a_chunk *media, int *best, float *sim);

#endif
