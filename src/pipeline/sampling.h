/* Internal: token sampling from logits — greedy, temperature, top-k, top-p, min-p, and
   repetition / frequency / presence penalties, with a seeded RNG whose results do not depend
   on thread counts (sampling is single-threaded and the logits are deterministic). */
#ifndef A2A_PIPELINE_SAMPLING_H
#define A2A_PIPELINE_SAMPLING_H

#include "core/status.h"

typedef struct a2a_sampler_params {
    float temperature;        /* <= 0: greedy (argmax) */
    int32_t top_k;            /* <= 0: off */
    float top_p;              /* >= 1: off */
    float min_p;              /* <= 0: off; keep tokens with p >= min_p * p_max */
    float repeat_penalty;     /* 1: off; logits of recent tokens: l > 0 ? l / r : l * r */
    float frequency_penalty;  /* 0: off; l -= count * f */
    float presence_penalty;   /* 0: off; l -= (count > 0) * p */
    int32_t penalty_last_n;   /* how many recent tokens the penalties look at (64) */
    uint64_t seed;
} a2a_sampler_params;

a2a_sampler_params a2a_sampler_default_params(void);

typedef struct a2a_sampler {
    a2a_sampler_params p;
    uint64_t rng[4];          /* xoshiro256** state */
    int32_t *history;         /* ring of the last penalty_last_n accepted tokens */
    int32_t hist_n, hist_pos;
    int32_t n_vocab;
    float *work;              /* [n_vocab] scratch: candidate logits */
    int32_t *idx;             /* [n_vocab] scratch: candidate ids */
    int32_t *counts;          /* [n_vocab] token counts within the penalty window */
    double *prob;             /* [n_vocab] scratch: candidate probabilities by rank */
} a2a_sampler;

/* Create a sampler for a vocabulary of n_vocab. Free with a2a_sampler_free. */
a2a_status a2a_sampler_new(a2a_ctx *ctx, const a2a_sampler_params *p, int32_t n_vocab, a2a_sampler **out);
void a2a_sampler_free(a2a_sampler *s);
/* Record an accepted token (prompt tokens too, so penalties see them). */
void a2a_sampler_accept(a2a_sampler *s, int32_t token);
/* Pick the next token from logits [n_vocab] (not modified). Returns the token id. */
int32_t a2a_sampler_sample(a2a_sampler *s, const float *logits);

#endif
