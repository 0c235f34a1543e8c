/* Sampler: greedy is argmax; top-k 1 is greedy at any temperature; a fixed seed reproduces the
   sequence; temperature/top-k/top-p/min-p restrict the candidates as documented; repetition,
   frequency and presence penalties move probability away from recent tokens. */
#include "a2a_test.h"
#include "pipeline/sampling.h"

#define V 50

static void make_logits(float *l) {
    for (int i = 0; i < V; i++) l[i] = (float)(i % 7) * 0.5f - (float)i * 0.01f; /* max at 6 (2.94) */
}

static int32_t draw(const a2a_sampler_params *p, const float *l, int n, int32_t *out) {
    a2a_sampler *s;
    if (a2a_sampler_new(NULL, p, V, &s) != A2A_OK) return -1;
    for (int i = 0; i < n; i++) out[i] = a2a_sampler_sample(s, l);
    a2a_sampler_free(s);
    return 0;
}

TEST(test_greedy_and_topk1) {
    float l[V];
    make_logits(l);
    a2a_sampler_params p = a2a_sampler_default_params();
    p.temperature = 0;
    int32_t out[20];
    CHECK(draw(&p, l, 20, out) == 0);
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(out[i], 6);
    p.temperature = 5.0f;
    p.top_k = 1;
    CHECK(draw(&p, l, 20, out) == 0);
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(out[i], 6);
}

TEST(test_seed_reproducible) {
    float l[V];
    make_logits(l);
    a2a_sampler_params p = a2a_sampler_default_params();
    p.temperature = 1.5f;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    int32_t a[200], b[200], c[200];
    p.seed = 7;
    draw(&p, l, 200, a);
    draw(&p, l, 200, b);
    p.seed = 8;
    draw(&p, l, 200, c);
    CHECK(memcmp(a, b, sizeof(a)) == 0);
    CHECK(memcmp(a, c, sizeof(a)) != 0);
    int distinct = 0, seen[V] = {0};
    for (int i = 0; i < 200; i++) if (!seen[a[i]]++) distinct++;
    CHECK(distinct > 5); /* a hot temperature spreads over many tokens */
}

TEST(test_filters) {
    float l[V];
    make_logits(l);
    a2a_sampler_params p = a2a_sampler_default_params();
    p.temperature = 3.0f;
    p.min_p = 0.0f;
    p.top_p = 1.0f;
    p.top_k = 3; /* the three largest logits: ids 6, 13, 20 */
    int32_t out[300];
    draw(&p, l, 300, out);
    for (int i = 0; i < 300; i++) CHECK(out[i] == 6 || out[i] == 13 || out[i] == 20);
    /* top-p tiny: only the best survives */
    p.top_k = 0;
    p.top_p = 1e-6f;
    draw(&p, l, 50, out);
    for (int i = 0; i < 50; i++) CHECK_EQ_INT(out[i], 6);
    /* min-p 0.99 at temperature 1: only tokens within 1% of the best probability */
    p.top_p = 1.0f;
    p.min_p = 0.99f;
    p.temperature = 1.0f;
    draw(&p, l, 50, out);
    for (int i = 0; i < 50; i++) CHECK_EQ_INT(out[i], 6);
}

TEST(test_penalties) {
    float l[V];
    make_logits(l);
    a2a_sampler_params p = a2a_sampler_default_params();
    p.temperature = 0;
    p.repeat_penalty = 100.0f; /* 6 was just generated: its logit is divided by 100 */
    a2a_sampler *s;
    CHECK(a2a_sampler_new(NULL, &p, V, &s) == A2A_OK);
    a2a_sampler_accept(s, 6);
    int32_t t = a2a_sampler_sample(s, l);
    CHECK(t != 6);
    CHECK_EQ_INT(t, 13); /* the next best */
    a2a_sampler_free(s);
    p.repeat_penalty = 1.0f;
    p.presence_penalty = 10.0f;
    p.penalty_last_n = 2; /* only the last two tokens count */
    CHECK(a2a_sampler_new(NULL, &p, V, &s) == A2A_OK);
    a2a_sampler_accept(s, 6);
    a2a_sampler_accept(s, 1);
    a2a_sampler_accept(s, 2); /* 6 fell out of the window */
    CHECK_EQ_INT(a2a_sampler_sample(s, l), 6);
    a2a_sampler_accept(s, 6);
    CHECK(a2a_sampler_sample(s, l) != 6);
    a2a_sampler_free(s);
    /* the input logits are never modified */
    float before[V];
    memcpy(before, l, sizeof(l));
    p.frequency_penalty = 3.0f;
    CHECK(a2a_sampler_new(NULL, &p, V, &s) == A2A_OK);
    a2a_sampler_accept(s, 6);
    a2a_sampler_sample(s, l);
    CHECK(memcmp(before, l, sizeof(l)) == 0);
    a2a_sampler_free(s);
    CHECK(a2a_sampler_new(NULL, &p, 0, &s) == A2A_ERR_INVALID_ARG);
}

TEST_MAIN(test_greedy_and_topk1, test_seed_reproducible, test_filters, test_penalties)
