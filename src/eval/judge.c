/* The judge encoder: see judge.h. */
#include "eval/judge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void unit(float *v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int64_t i = 0; i < n; i++) v[i] *= inv;
}

a2a_status a2a_judge_load(a2a_ctx *ctx, const char *path, a2a_threadpool *tp, a2a_judge *j) {
    memset(j, 0, sizeof *j);
    a2a_status st = a2a_imagebind_load(ctx, path, &j->m);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "judge");
        return st;
    }
    st = a2a_clip_vocab_load_gguf(ctx, j->m->g, &j->cv);
    if (st != A2A_OK) {
        j->cv = NULL;
        return a2a_fail(ctx, A2A_ERR_FORMAT, "judge %s: no CLIP vocabulary in the file (convert it with --bpe): %s", path,
                        a2a_last_error(ctx));
    }
    j->dim = a2a_imagebind_out_dim(j->m);
    return a2a_perception_init(ctx, &j->perc, j->m, NULL, tp);
}

void a2a_judge_free(a2a_judge *j) {
    if (!j) return;
    for (int g = 0; g < A2A_JUDGE_GROUPS; g++) free(j->labels[g]);
    a2a_perception_free(&j->perc);
    a2a_clip_vocab_free(j->cv);
    a2a_imagebind_free(j->m);
    memset(j, 0, sizeof *j);
}

a2a_status a2a_judge_set_labels(a2a_ctx *ctx, a2a_judge *j, int g, const char *const *texts, int n) {
    if (g < 0 || g >= A2A_JUDGE_GROUPS || n < 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "judge: bad label group");
    free(j->labels[g]);
    j->n_labels[g] = 0;
    j->labels[g] = malloc(sizeof(float) * (size_t)(j->dim * (n ? n : 1)));
    if (!j->labels[g]) return a2a_fail(ctx, A2A_ERR_NOMEM, "judge: out of memory");
    for (int i = 0; i < n; i++) {
        int32_t ids[A2A_CLIP_CONTEXT];
        a2a_clip_params p = a2a_clip_default_params();
        a2a_status st = a2a_clip_encode(ctx, j->cv, texts[i], strlen(texts[i]), &p, ids, NULL);
        float *out = j->labels[g] + (size_t)i * j->dim;
        if (st == A2A_OK) st = a2a_imagebind_embed(ctx, j->perc.tp, j->m, A2A_IMAGEBIND_TEXT, ids, 1, 1, false, out);
        if (st != A2A_OK) {
            a2a_error_prefix(ctx, "judge: label '%s'", texts[i]);
            return st;
        }
        unit(out, j->dim);
    }
    j->n_labels[g] = n;
    return A2A_OK;
}

a2a_status a2a_judge_classify(a2a_ctx *ctx, a2a_judge *j, int g, const a2a_chunk *media, int *best, float *sim) {
    *best = -1;
    *sim = 0;
    if (g < 0 || g >= A2A_JUDGE_GROUPS || j->n_labels[g] == 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "judge: no labels for this modality");
    const float *e = NULL;
    a2a_status st = a2a_perception_embed(ctx, &j->perc, media, &e);
    if (st != A2A_OK) return st;
    float *v = malloc(sizeof(float) * (size_t)j->dim);
    if (!v) return a2a_fail(ctx, A2A_ERR_NOMEM, "judge: out of memory");
    memcpy(v, e, sizeof(float) * (size_t)j->dim);
    unit(v, j->dim);
    double bs = -2;
    for (int i = 0; i < j->n_labels[g]; i++) {
        const float *l = j->labels[g] + (size_t)i * j->dim;
        double s = 0;
        for (int64_t k = 0; k < j->dim; k++) s += (double)v[k] * l[k];
        if (s > bs) {
            bs = s;
            *best = i;
        }
    }
    *sim = (float)bs;
    free(v);
    return A2A_OK;
}
