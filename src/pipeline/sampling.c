#define _GNU_SOURCE
#include "pipeline/sampling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

a2a_sampler_params a2a_sampler_default_params(void) {
    a2a_sampler_params p = {0.8f, 40, 0.95f, 0.05f, 1.0f, 0.0f, 0.0f, 64, 24301};
    return p;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**: next 64 random bits */
static uint64_t rng_next(uint64_t *s) {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}

static void rng_seed(uint64_t *s, uint64_t seed) {
    for (int i = 0; i < 4; i++) { /* splitmix64 */
        uint64_t z = (seed += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        s[i] = z ^ (z >> 31);
    }
}

a2a_status a2a_sampler_new(a2a_ctx *ctx, const a2a_sampler_params *p, int32_t n_vocab, a2a_sampler **out) {
    *out = NULL;
    if (n_vocab <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sampler: vocabulary size %d", n_vocab);
    a2a_sampler *s = calloc(1, sizeof(*s));
    if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "sampler: out of memory");
    s->p = p ? *p : a2a_sampler_default_params();
    if (s->p.penalty_last_n < 0) s->p.penalty_last_n = 0;
    s->n_vocab = n_vocab;
    s->history = malloc(sizeof(int32_t) * (size_t)(s->p.penalty_last_n + 1));
    s->work = malloc(sizeof(float) * (size_t)n_vocab);
    s->idx = malloc(sizeof(int32_t) * (size_t)n_vocab);
    s->counts = calloc((size_t)n_vocab, sizeof(int32_t));
    s->prob = malloc(sizeof(double) * (size_t)n_vocab);
    if (!s->history || !s->work || !s->idx || !s->counts || !s->prob) {
        a2a_sampler_free(s);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "sampler: out of memory");
    }
    rng_seed(s->rng, s->p.seed);
    *out = s;
    return A2A_OK;
}

void a2a_sampler_free(a2a_sampler *s) {
    if (!s) return;
    free(s->history);
    free(s->work);
    free(s->idx);
    free(s->counts);
    free(s->prob);
    free(s);
}

void a2a_sampler_accept(a2a_sampler *s, int32_t token) {
    if (s->p.penalty_last_n == 0 || token < 0 || token >= s->n_vocab) return;
    if (s->hist_n == s->p.penalty_last_n) {
        s->counts[s->history[s->hist_pos]]--;
    } else {
        s->hist_n++;
    }
    s->history[s->hist_pos] = token;
    s->counts[token]++;
    s->hist_pos = (s->hist_pos + 1) % s->p.penalty_last_n;
}

/* descending by logit, ties by smaller id (deterministic) */
static int cmp_desc(const void *a, const void *b, void *ctx) {
    const float *w = ctx;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (w[x] != w[y]) return w[x] > w[y] ? -1 : 1;
    return x < y ? -1 : 1;
}

int32_t a2a_sampler_sample(a2a_sampler *s, const float *logits) {
    const a2a_sampler_params *p = &s->p;
    int32_t n = s->n_vocab;
    float *w = s->work;
    memcpy(w, logits, sizeof(float) * (size_t)n);
    /* penalties over the tokens in the window */
    if (s->hist_n > 0 && (p->repeat_penalty != 1.0f || p->frequency_penalty != 0.0f || p->presence_penalty != 0.0f)) {
        for (int32_t i = 0; i < s->hist_n; i++) {
            int32_t t = s->history[i];
            if (s->counts[t] <= 0) continue;
            /* apply once per distinct token: mark by negating the count temporarily */
            int32_t c = s->counts[t];
            if (p->repeat_penalty != 1.0f) w[t] = w[t] > 0 ? w[t] / p->repeat_penalty : w[t] * p->repeat_penalty;
            w[t] -= (float)c * p->frequency_penalty + p->presence_penalty;
            s->counts[t] = -c;
        }
        for (int32_t i = 0; i < s->hist_n; i++) {
            int32_t t = s->history[i];
            if (s->counts[t] < 0) s->counts[t] = -s->counts[t];
        }
    }
    /* greedy */
    if (p->temperature <= 0.0f) {
        int32_t best = 0;
        for (int32_t i = 1; i < n; i++)
            if (w[i] > w[best]) best = i;
        return best;
    }
    /* candidates sorted by logit (top-k bounds the sort) */
    int32_t k = (p->top_k > 0 && p->top_k < n) ? p->top_k : n;
    for (int32_t i = 0; i < n; i++) s->idx[i] = i;
    if (k < n) {
        /* partial selection: keep the k largest via a simple nth-element then sort them */
        int32_t lo = 0, hi = n - 1;
        while (lo < hi) {
            float pivot = w[s->idx[(lo + hi) / 2]];
            int32_t i = lo, j = hi;
            while (i <= j) {
                while (w[s->idx[i]] > pivot) i++;
                while (w[s->idx[j]] < pivot) j--;
                if (i <= j) { int32_t t = s->idx[i]; s->idx[i] = s->idx[j]; s->idx[j] = t; i++; j--; }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else break;
        }
    }
    qsort_r(s->idx, (size_t)k, sizeof(int32_t), cmp_desc, w);
    /* softmax with temperature over the k candidates */
    double maxl = w[s->idx[0]] / p->temperature, sum = 0;
    double *pr = s->prob;
    for (int32_t i = 0; i < k; i++) {
        pr[i] = exp(w[s->idx[i]] / p->temperature - maxl);
        sum += pr[i];
    }
    for (int32_t i = 0; i < k; i++) pr[i] /= sum;
    int32_t keep = k;
    if (p->min_p > 0.0f) {
        for (int32_t i = 1; i < keep; i++)
            if (pr[i] < p->min_p * pr[0]) { keep = i; break; }
    }
    if (p->top_p < 1.0f) {
        double c = 0;
        for (int32_t i = 0; i < keep; i++) {
            c += pr[i];
            if (c >= p->top_p) { keep = i + 1; break; }
        }
    }
    double total = 0;
    for (int32_t i = 0; i < keep; i++) total += pr[i];
    double r = (double)(rng_next(s->rng) >> 11) * (1.0 / 9007199254740992.0) * total;
    int32_t pick = s->idx[keep - 1];
    for (int32_t i = 0; i < keep; i++) {
        r -= pr[i];
        if (r < 0) { pick = s->idx[i]; break; }
    }
    return pick;
}
