/* Attention against a double-precision oracle (plain softmax over all keys) written here,
   over every kernel level and 1/2 threads. Tolerance: max abs difference 1e-5 (outputs are
   convex combinations of values in [-1, 1]); F16 K/V/mask are rounded the same way in the
   oracle. Covers head dims 8/64/80, n_q 1/7/64, n_kv 1/9/300, GQA, causal with KV offset,
   padding masks (F32/F16, per-head), fully masked rows, softcap, permuted q views, split-KV
   decoding over > 2048 keys, thread counts 1..8 and a 4096-token sequence checked on a subset
   of rows. */
#include "a2a_test.h"
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/attention.h"

#define ATOL 1e-5

static a2a_test_rng g_rng = {0xabcdef12345ull};

/* A contiguous tensor of type F32/F16 filled uniformly in [lo, hi); caller frees t.data. */
static a2a_tensor rand_tensor(a2a_type type, int n_dims, const int64_t *ne, float lo, float hi) {
    a2a_tensor t;
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++) n *= ne[i];
    void *data = malloc((size_t)n * 4 + 64);
    CHECK(a2a_tensor_init(&t, type, n_dims, ne, data));
    for (int64_t i = 0; i < n; i++) {
        float v = a2a_test_uniform(&g_rng, lo, hi);
        if (type == A2A_TYPE_F16) ((a2a_fp16 *)data)[i] = a2a_f32_to_fp16(v);
        else ((float *)data)[i] = v;
    }
    return t;
}

static double ld(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    const void *p = a2a_tensor_ptr(t, i0, i1, i2, i3, 0);
    return t->type == A2A_TYPE_F16 ? a2a_fp16_to_f32(*(const a2a_fp16 *)p) : *(const float *)p;
}

/* Oracle for one output row (query i of head h, batch b) into out[Dv], in double. */
static void oracle_row(double *out, const a2a_tensor *q, const a2a_tensor *k, const a2a_tensor *v, const a2a_tensor *mask,
                       const a2a_attention_params *pp, int64_t i, int64_t h, int64_t b) {
    const a2a_attention_params defaults = a2a_attention_default_params(), *p = pp ? pp : &defaults;
    const int64_t D = q->ne[0], nq = q->ne[1], H = q->ne[2], nkv = k->ne[1], Hkv = k->ne[2], Dv = v->ne[0];
    const int64_t hk = h / (H / Hkv);
    const double scale = p->scale != 0.0f ? p->scale : 1.0 / sqrt((double)D);
    const int64_t off = p->kv_offset >= 0 ? p->kv_offset : nkv - nq;
    double *s = malloc((size_t)nkv * sizeof(double));
    double mx = -INFINITY;
    for (int64_t j = 0; j < nkv; j++) {
        double acc = 0;
        for (int64_t d = 0; d < D; d++) acc += ld(q, d, i, h, b) * ld(k, d, j, hk, b);
        acc *= scale;
        if (p->softcap > 0) acc = p->softcap * tanh(acc / p->softcap);
        if (mask) acc += ld(mask, j, i, mask->ne[2] > 1 ? h : 0, mask->ne[3] > 1 ? b : 0);
        if (p->causal && j > off + i) acc = -INFINITY;
        s[j] = acc;
        if (acc > mx) mx = acc;
    }
    for (int64_t e = 0; e < Dv; e++) out[e] = 0;
    if (mx == -INFINITY) {
        free(s);
        return;
    }
    double sum = 0;
    for (int64_t j = 0; j < nkv; j++) sum += (s[j] = exp(s[j] - mx));
    for (int64_t j = 0; j < nkv; j++)
        for (int64_t e = 0; e < Dv; e++) out[e] += s[j] / sum * ld(v, e, j, hk, b);
    free(s);
}

/* Max abs difference between dst and the oracle over query rows i0, i0+istep, ... */
static double check_vs_oracle(const a2a_tensor *dst, const a2a_tensor *q, const a2a_tensor *k, const a2a_tensor *v,
                              const a2a_tensor *mask, const a2a_attention_params *p, int64_t istep) {
    const int64_t nq = q->ne[1], H = q->ne[2], B = q->ne[3], Dv = v->ne[0];
    double *ref = malloc((size_t)Dv * sizeof(double)), worst = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t h = 0; h < H; h++)
            for (int64_t i = 0; i < nq; i += istep) {
                oracle_row(ref, q, k, v, mask, p, i, h, b);
                const float *got = a2a_tensor_ptr(dst, 0, h, i, b, 0);
                for (int64_t e = 0; e < Dv; e++) {
                    double d = fabs((double)got[e] - ref[e]);
                    if (d > worst || d != d) worst = d != d ? INFINITY : d;
                }
            }
    free(ref);
    return worst;
}

static const a2a_kernel_level k_levels[] = {A2A_LEVEL_REF, A2A_LEVEL_AVX2, A2A_LEVEL_AVX512};

/* Run the op at every level with threads nt0..2 and compare with the oracle; with nt0 == 1
   also checks that the results are bit-identical between 1 and 2 threads. */
static void run_case_nt(const char *what, a2a_tensor *dst, const a2a_tensor *q, const a2a_tensor *k,
                        const a2a_tensor *v, const a2a_tensor *mask, const a2a_attention_params *p, int64_t istep,
                        int nt0) {
    a2a_ctx *ctx = a2a_ctx_new();
    const size_t nbytes = a2a_tensor_nbytes(dst);
    void *first = malloc(nbytes);
    for (size_t li = 0; li < 3; li++) {
        if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
        for (int nt = nt0; nt <= 2; nt++) {
            a2a_threadpool *tp = NULL;
            CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
            memset(dst->data, 0xff, nbytes);
            a2a_status st = a2a_op_attention(ctx, tp, dst, q, k, v, mask, p);
            CHECK_MSG(st == A2A_OK, "%s: %s", what, a2a_last_error(ctx));
            double e = check_vs_oracle(dst, q, k, v, mask, p, istep);
            CHECK_MSG(e <= ATOL, "%s level %s threads %d: max abs %g", what, a2a_kernel_level_name(k_levels[li]), nt, e);
            if (nt == nt0) memcpy(first, dst->data, nbytes);
            else CHECK_MSG(memcmp(first, dst->data, nbytes) == 0, "%s: thread count changes the result", what);
            a2a_threadpool_free(tp);
        }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
    free(first);
    a2a_ctx_free(ctx);
}

static void run_case(const char *what, a2a_tensor *dst, const a2a_tensor *q, const a2a_tensor *k, const a2a_tensor *v,
                     const a2a_tensor *mask, const a2a_attention_params *p, int64_t istep) {
    run_case_nt(what, dst, q, k, v, mask, p, istep, 1);
}

/* Build q/k/v/dst for the shape and run the case. kvtype selects F32/F16 K and V. */
static void shape_case(int64_t D, int64_t Dv, int64_t nq, int64_t nkv, int64_t H, int64_t Hkv, int64_t B, a2a_type kvtype,
                       const a2a_attention_params *p, const a2a_tensor *mask) {
    int64_t qne[4] = {D, nq, H, B}, kne[4] = {D, nkv, Hkv, B}, vne[4] = {Dv, nkv, Hkv, B}, dne[4] = {Dv, H, nq, B};
    a2a_tensor q = rand_tensor(A2A_TYPE_F32, 4, qne, -1, 1), k = rand_tensor(kvtype, 4, kne, -1, 1);
    a2a_tensor v = rand_tensor(kvtype, 4, vne, -1, 1), dst = rand_tensor(A2A_TYPE_F32, 4, dne, 0, 1);
    /* scale up q so the softmax is peaked enough to matter */
    for (int64_t i = 0; i < D * nq * H * B; i++) ((float *)q.data)[i] *= 3.0f;
    char what[160];
    snprintf(what, sizeof(what), "D %lld Dv %lld nq %lld nkv %lld H %lld/%lld B %lld %s causal %d mask %d",
             (long long)D, (long long)Dv, (long long)nq, (long long)nkv, (long long)H, (long long)Hkv, (long long)B,
             a2a_type_name(kvtype), p ? p->causal : 0, mask != NULL);
    run_case(what, &dst, &q, &k, &v, mask, p, 1);
    free(q.data), free(k.data), free(v.data), free(dst.data);
}

TEST(test_attention_shapes) {
    const int64_t Ds[] = {8, 64, 80}, nqs[] = {1, 7, 64}, nkvs[] = {1, 9, 300};
    for (int a = 0; a < 3; a++)
        for (int bq = 0; bq < 3; bq++)
            for (int c = 0; c < 3; c++) shape_case(Ds[a], Ds[a], nqs[bq], nkvs[c], 2, 2, 1, A2A_TYPE_F32, NULL, NULL);
    /* Dv != D, batch 2, more than one query block (n_q 150 > 64) */
    shape_case(40, 24, 150, 200, 2, 1, 2, A2A_TYPE_F32, NULL, NULL);
    /* few query rows (keys read in place) with head dims that leave SIMD tails */
    shape_case(20, 20, 3, 37, 2, 1, 1, A2A_TYPE_F16, NULL, NULL);
    shape_case(40, 40, 2, 130, 2, 2, 1, A2A_TYPE_F32, NULL, NULL);
    shape_case(13, 7, 4, 5, 1, 1, 1, A2A_TYPE_F32, NULL, NULL);
}

TEST(test_attention_gqa_f16) {
    shape_case(64, 64, 7, 300, 8, 2, 1, A2A_TYPE_F32, NULL, NULL);
    shape_case(64, 64, 64, 300, 8, 2, 2, A2A_TYPE_F16, NULL, NULL);
    shape_case(80, 80, 1, 9, 4, 1, 1, A2A_TYPE_F16, NULL, NULL);
}

/* GQA units are re-split by thread count: results must stay bit-identical for 1..8 threads. */
TEST(test_attention_thread_counts) {
    int64_t qne[4] = {64, 3, 8, 1}, kne[4] = {64, 300, 2, 1}, dne[4] = {64, 8, 3, 1};
    a2a_tensor q = rand_tensor(A2A_TYPE_F32, 4, qne, -2, 2), k = rand_tensor(A2A_TYPE_F32, 4, kne, -1, 1);
    a2a_tensor v = rand_tensor(A2A_TYPE_F16, 4, kne, -1, 1), dst = rand_tensor(A2A_TYPE_F32, 4, dne, 0, 1);
    a2a_ctx *ctx = a2a_ctx_new();
    const size_t nb = a2a_tensor_nbytes(&dst);
    void *first = malloc(nb);
    a2a_attention_params p = a2a_attention_default_params();
    p.causal = 1;
    for (int nt = 1; nt <= 8; nt++) {
        a2a_threadpool *tp = NULL;
        CHECK(a2a_threadpool_new(ctx, nt, &tp) == A2A_OK);
        CHECK(a2a_op_attention(ctx, tp, &dst, &q, &k, &v, NULL, &p) == A2A_OK);
        if (nt == 1) {
            memcpy(first, dst.data, nb);
            CHECK(check_vs_oracle(&dst, &q, &k, &v, NULL, &p, 1) <= ATOL);
        } else {
            CHECK_MSG(memcmp(first, dst.data, nb) == 0, "%d threads differ", nt);
        }
        a2a_threadpool_free(tp);
    }
    free(first), free(q.data), free(k.data), free(v.data), free(dst.data);
    a2a_ctx_free(ctx);
}

/* Decode-like calls over more than 2048 keys split the keys into chunks merged afterwards. */
TEST(test_attention_split_kv) {
    a2a_attention_params p = a2a_attention_default_params();
    shape_case(64, 64, 1, 5000, 8, 2, 1, A2A_TYPE_F16, NULL, NULL); /* GQA decode, 5 chunks */
    shape_case(40, 24, 3, 2100, 2, 2, 2, A2A_TYPE_F32, NULL, NULL); /* 3 chunks, batch 2 */
    p.causal = 1;
    shape_case(128, 128, 1, 4096, 4, 4, 1, A2A_TYPE_F16, &p, NULL);
    p.kv_offset = 100; /* later chunks entirely hidden */
    shape_case(64, 64, 2, 3000, 2, 1, 1, A2A_TYPE_F32, &p, NULL);
    /* padding mask hiding a whole chunk, and one fully masked row */
    const int64_t nq = 2, nkv = 3100;
    int64_t mne[2] = {nkv, nq};
    a2a_tensor mask = rand_tensor(A2A_TYPE_F16, 2, mne, -1, 1);
    for (int64_t i = 0; i < nq; i++)
        for (int64_t j = 0; j < nkv; j++)
            if ((j >= 1024 && j < 2048) || i == 1) ((a2a_fp16 *)mask.data)[i * nkv + j] = a2a_f32_to_fp16(-INFINITY);
    shape_case(64, 64, nq, nkv, 2, 2, 1, A2A_TYPE_F32, NULL, &mask);
    free(mask.data);
}

TEST(test_attention_causal) {
    a2a_attention_params p = a2a_attention_default_params();
    p.causal = 1;
    shape_case(64, 64, 64, 64, 2, 2, 1, A2A_TYPE_F32, &p, NULL);   /* prefill, no cache */
    shape_case(64, 64, 7, 300, 4, 2, 1, A2A_TYPE_F16, &p, NULL);   /* prefill after 293 cached */
    shape_case(80, 80, 1, 300, 2, 1, 1, A2A_TYPE_F32, &p, NULL);   /* decode */
    shape_case(8, 8, 130, 200, 1, 1, 2, A2A_TYPE_F32, &p, NULL);   /* several query blocks */
    p.kv_offset = 10;                                               /* explicit offset */
    shape_case(64, 64, 20, 100, 2, 2, 1, A2A_TYPE_F32, &p, NULL);
    p.kv_offset = 0;
    shape_case(8, 8, 9, 9, 1, 1, 1, A2A_TYPE_F32, &p, NULL);
    p = a2a_attention_default_params();
    p.softcap = 5.0f, p.scale = 0.5f;                                /* softcap and explicit scale */
    shape_case(64, 64, 7, 300, 2, 2, 1, A2A_TYPE_F32, &p, NULL);
}

TEST(test_attention_mask) {
    /* padding mask: the last keys hidden, random additive bias elsewhere; row 3 fully masked */
    const int64_t nq = 7, nkv = 300, H = 4;
    for (int f16 = 0; f16 <= 1; f16++) {
        for (int per_head = 0; per_head <= 1; per_head++) {
            int64_t mne[3] = {nkv, nq, per_head ? H : 1};
            a2a_tensor mask = rand_tensor(f16 ? A2A_TYPE_F16 : A2A_TYPE_F32, 3, mne, -2, 2);
            for (int64_t h = 0; h < mne[2]; h++)
                for (int64_t i = 0; i < nq; i++)
                    for (int64_t j = 0; j < nkv; j++) {
                        int hide = j >= nkv - 37 - (int64_t)h || i == 3;
                        if (!hide) continue;
                        void *pm = a2a_tensor_ptr(&mask, j, i, h, 0, 0);
                        if (f16) *(a2a_fp16 *)pm = a2a_f32_to_fp16(-INFINITY);
                        else *(float *)pm = -INFINITY;
                    }
            shape_case(64, 64, nq, nkv, H, 2, 1, A2A_TYPE_F32, NULL, &mask);
            free(mask.data);
        }
    }
    /* fully masked row gives zeros (checked explicitly) and causal + mask together */
    int64_t qne[4] = {8, 2, 1, 1}, kne[4] = {8, 5, 1, 1}, mne[2] = {5, 2}, dne[4] = {8, 1, 2, 1};
    a2a_tensor q = rand_tensor(A2A_TYPE_F32, 4, qne, -1, 1), k = rand_tensor(A2A_TYPE_F32, 4, kne, -1, 1);
    a2a_tensor v = rand_tensor(A2A_TYPE_F32, 4, kne, -1, 1), dst = rand_tensor(A2A_TYPE_F32, 4, dne, 0, 1);
    a2a_tensor mask = rand_tensor(A2A_TYPE_F32, 2, mne, 0, 0);
    for (int j = 0; j < 5; j++) ((float *)mask.data)[j] = -INFINITY;
    a2a_attention_params p = a2a_attention_default_params();
    p.causal = 1;
    run_case("fully masked row", &dst, &q, &k, &v, &mask, &p, 1);
    for (int e = 0; e < 8; e++) CHECK(((float *)dst.data)[e] == 0.0f);
    /* padded mask (ne[0] > n_kv, ne[1] > n_q) as ggml makes them */
    int64_t pne[2] = {16, 8};
    a2a_tensor pm = rand_tensor(A2A_TYPE_F32, 2, pne, -1, 1);
    a2a_tensor pv = a2a_tensor_view(&pm, 2, mne, (int64_t[]){0, 0});
    run_case("padded mask", &dst, &q, &k, &v, &pm, NULL, 1);
    float *a = malloc(64 * 4);
    memcpy(a, dst.data, 64);
    CHECK(a2a_op_attention(NULL, NULL, &dst, &q, &k, &v, &pv, NULL) == A2A_OK);
    CHECK(memcmp(a, dst.data, 64) == 0);
    free(a), free(pm.data);
    free(q.data), free(k.data), free(v.data), free(dst.data), free(mask.data);
}

TEST(test_attention_permuted_q) {
    /* q, k, v produced as [D, H, n, B] projections and viewed as [D, n, H, B] */
    const int64_t D = 64, H = 4, nq = 33, nkv = 150;
    int64_t qne[4] = {D, H, nq, 1}, kne[4] = {D, H, nkv, 1}, dne[4] = {D, H, nq, 1};
    a2a_tensor qs = rand_tensor(A2A_TYPE_F32, 4, qne, -2, 2), ks = rand_tensor(A2A_TYPE_F16, 4, kne, -1, 1);
    a2a_tensor vs = rand_tensor(A2A_TYPE_F32, 4, kne, -1, 1), dst = rand_tensor(A2A_TYPE_F32, 4, dne, 0, 1);
    const int perm[5] = {0, 2, 1, 3, 4};
    a2a_tensor q = a2a_tensor_permute(&qs, perm), k = a2a_tensor_permute(&ks, perm), v = a2a_tensor_permute(&vs, perm);
    CHECK(q.ne[1] == nq && q.ne[2] == H);
    a2a_attention_params p = a2a_attention_default_params();
    p.causal = 1;
    run_case("permuted views", &dst, &q, &k, &v, NULL, &p, 1);
    free(qs.data), free(ks.data), free(vs.data), free(dst.data);
}

TEST(test_attention_long) {
    /* 4096-token self-attention, D 64, H 1: checked on every 97th query row (2 threads only:
       thread-count invariance is checked on the smaller cases) */
    const int64_t n = 4096, D = 64;
    int64_t qne[4] = {D, n, 1, 1}, dne[4] = {D, 1, n, 1};
    a2a_tensor q = rand_tensor(A2A_TYPE_F32, 4, qne, -2, 2), k = rand_tensor(A2A_TYPE_F32, 4, qne, -1, 1);
    a2a_tensor v = rand_tensor(A2A_TYPE_F32, 4, qne, -1, 1), dst = rand_tensor(A2A_TYPE_F32, 4, dne, 0, 1);
    run_case_nt("long 4096", &dst, &q, &k, &v, NULL, NULL, 97, 2);
    a2a_attention_params p = a2a_attention_default_params();
    p.causal = 1;
    run_case_nt("long 4096 causal", &dst, &q, &k, &v, NULL, &p, 97, 2);
    free(q.data), free(k.data), free(v.data), free(dst.data);
}

TEST(test_attention_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float buf[4096];
    memset(buf, 0, sizeof(buf));
    a2a_tensor q = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 3, 4, 1), k = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 5, 2, 1);
    a2a_tensor v = a2a_tensor_make(A2A_TYPE_F32, buf, 6, 5, 2, 1), d = a2a_tensor_make(A2A_TYPE_F32, buf + 2048, 6, 4, 3, 1);
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, NULL, NULL) == A2A_OK);
    a2a_tensor k3 = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 5, 3, 1); /* 4 % 3 != 0 */
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k3, &v, NULL, NULL) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "attention") != NULL);
    a2a_tensor kd = a2a_tensor_make(A2A_TYPE_F32, buf, 7, 5, 2, 1); /* D mismatch */
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &kd, &v, NULL, NULL) == A2A_ERR_SHAPE);
    a2a_tensor dbad = a2a_tensor_make(A2A_TYPE_F32, buf + 2048, 6, 3, 4, 1); /* wrong dst order */
    CHECK(a2a_op_attention(ctx, NULL, &dbad, &q, &k, &v, NULL, NULL) == A2A_ERR_SHAPE);
    a2a_tensor qt = a2a_tensor_transpose(&q); /* rows not contiguous */
    CHECK(a2a_op_attention(ctx, NULL, &d, &qt, &k, &v, NULL, NULL) == A2A_ERR_SHAPE);
    a2a_tensor kq = k;
    kq.type = A2A_TYPE_Q8_0;
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &kq, &v, NULL, NULL) == A2A_ERR_SHAPE);
    a2a_tensor m = a2a_tensor_make(A2A_TYPE_F32, buf, 4, 3, 1, 1); /* n_kv 5 > 4 */
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, &m, NULL) == A2A_ERR_SHAPE);
    a2a_tensor m3 = a2a_tensor_make(A2A_TYPE_F32, buf, 5, 3, 3, 1); /* 3 heads */
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, &m3, NULL) == A2A_ERR_SHAPE);
    a2a_attention_params p = a2a_attention_default_params();
    p.softcap = -1;
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, NULL, &p) == A2A_ERR_INVALID_ARG);
    p = a2a_attention_default_params(), p.kv_offset = -5;
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, NULL, &p) == A2A_ERR_INVALID_ARG);
    p = a2a_attention_default_params(), p.scale = NAN;
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, &k, &v, NULL, &p) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_op_attention(ctx, NULL, &d, &q, NULL, &v, NULL, NULL) == A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_attention_shapes, test_attention_gqa_f16, test_attention_thread_counts, test_attention_split_kv, test_attention_causal, test_attention_mask,
          test_attention_permuted_q, test_attention_long, test_attention_errors)
