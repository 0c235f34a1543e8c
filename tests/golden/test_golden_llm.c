/* LLaMA-family LLM vs transformers (tools/ref/make_golden_llm.py): logits at every position,
   last-layer hidden states and greedy continuations (token for token) for tiny llama (GQA,
   untied head) and qwen2 (biases, NEOX rope; untied and tied head) models, run
   (a) as one batch, (b) as a prefill then one token at a time through the KV cache, (c) with
   input embeddings in place of some token ids, at every kernel level and 1/2 threads.
   Tolerances: as stored per case (nmse 1e-9, max abs 1e-3) for F32 weights and an F32 KV
   cache; an F16 KV cache (the default) rounds K/V to half precision: nmse <= 1e-5; the Q8_0
   model is compared to the same F32 reference with nmse <= 2e-3. */
#include "a2a_golden.h"
#include "a2a_test.h"
#include "core/cpu.h"
#include "models/llm/llama.h"

#include <unistd.h>

/* Run ids through a session in pieces of `step` (0 = one batch), collecting all logits/hidden. */
static bool run_ids(a2a_llm_model *m, a2a_threadpool *tp, const int32_t *ids, int32_t n, int32_t step, bool use_embd,
                    a2a_type kv_type, float *logits, float *hidden) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_session *s;
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = 64;
    sp.n_batch = 16; /* forces internal splitting of the 40-token prompt */
    sp.kv_type = kv_type;
    bool ok = a2a_llm_session_new(ctx, m, tp, &sp, &s) == A2A_OK;
    CHECK_MSG(ok, "%s", a2a_last_error(ctx));
    const int32_t E = m->hp.n_embd, V = m->hp.n_vocab;
    uint8_t *all = malloc((size_t)n), *mask = calloc((size_t)n, 1);
    float *embd = calloc((size_t)n * (size_t)E, sizeof(float));
    memset(all, 1, (size_t)n);
    if (use_embd) { /* every third position by embedding: the row of token_embd (F32 model) */
        for (int32_t i = 0; i < n; i += 3) {
            mask[i] = 1;
            memcpy(embd + (size_t)i * E, (const float *)m->tok_embd->data + (size_t)ids[i] * E, sizeof(float) * E);
        }
    }
    int32_t done = 0;
    while (ok && done < n) {
        int32_t k = step ? A2A_MIN(step, n - done) : n;
        a2a_status st = a2a_llm_decode(ctx, s, ids + done, embd + (size_t)done * E, mask + done, k, all + done, NULL);
        ok = st == A2A_OK && s->n_out == k;
        CHECK_MSG(ok, "decode: %s", a2a_last_error(ctx));
        if (ok) {
            memcpy(logits + (size_t)done * V, s->logits, sizeof(float) * (size_t)V * k);
            memcpy(hidden + (size_t)done * E, s->hidden, sizeof(float) * (size_t)E * k);
        }
        done += k;
    }
    free(all);
    free(mask);
    free(embd);
    a2a_llm_session_free(s);
    a2a_ctx_free(ctx);
    return ok;
}

/* Greedy continuation from transformers' generate(do_sample=False), token for token (F32 KV). */
static void check_greedy(a2a_llm_model *m, a2a_threadpool *tp, const a2a_golden_case *c, const char *tag) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_session *s;
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = 64;
    sp.kv_type = A2A_TYPE_F32;
    if (a2a_llm_session_new(ctx, m, tp, &sp, &s) != A2A_OK) { CHECK(0); a2a_ctx_free(ctx); return; }
    const int32_t *ids = c->in[0]->data;
    int32_t n = (int32_t)c->in[0]->ne[0], n_new = (int32_t)c->out->ne[0];
    bool ok = a2a_llm_decode(ctx, s, ids, NULL, NULL, n, NULL, NULL) == A2A_OK;
    for (int32_t i = 0; ok && i < n_new; i++) {
        int32_t best = 0;
        for (int32_t v = 1; v < m->hp.n_vocab; v++)
            if (s->logits[v] > s->logits[best]) best = v;
        /* the golden writer stores outputs as F32 (token ids are exact in F32) */
        int32_t want = c->out->type == A2A_TYPE_I32 ? ((const int32_t *)c->out->data)[i] : (int32_t)((const float *)c->out->data)[i];
        CHECK_MSG(best == want, "%s %s: greedy token %d is %d, transformers %d", tag, c->name, i, best, want);
        if (best != want) break;
        ok = a2a_llm_decode(ctx, s, &best, NULL, NULL, 1, NULL, NULL) == A2A_OK;
    }
    CHECK(ok);
    a2a_llm_session_free(s);
    a2a_ctx_free(ctx);
}

static void check_model(const char *model_rel, const char *ref_rel, double q_nmse) {
    char path[1024];
    a2a_golden gf;
    if (!a2a_golden_open(&gf, ref_rel)) { CHECK_MSG(0, "cannot open %s", ref_rel); return; }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    a2a_status st = a2a_llm_load(ctx, a2a_golden_path(path, sizeof(path), model_rel), &m);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (!m) { a2a_golden_close(&gf); a2a_ctx_free(ctx); return; }
    a2a_kernel_level max = a2a_kernel_level_max();
    for (int lvl = 0; lvl <= (int)max; lvl++) {
        a2a_kernel_level_set((a2a_kernel_level)lvl);
        for (int nt = 1; nt <= 2; nt++) {
            a2a_threadpool *tp = NULL;
            a2a_threadpool_new(ctx, nt, &tp);
            for (int ci = 0; ci < gf.n_cases; ci++) {
                const a2a_golden_case *c = &gf.cases[ci];
                if (!strcmp(c->op, "llm_greedy") && q_nmse == 0) {
                    char gt[160];
                    snprintf(gt, sizeof(gt), "lvl=%s threads=%d", a2a_kernel_level_name((a2a_kernel_level)lvl), nt);
                    check_greedy(m, tp, c, gt);
                }
                if (strcmp(c->op, "llm_logits") != 0) continue;
                char hname[A2A_GOLDEN_NAME_MAX + 16];
                snprintf(hname, sizeof(hname), "%s_hidden", c->name);
                const a2a_golden_case *hc = a2a_golden_find(&gf, hname);
                int32_t n = (int32_t)c->in[0]->ne[0];
                const int32_t *ids = c->in[0]->data;
                float *lg = malloc(sizeof(float) * (size_t)n * m->hp.n_vocab), *hd = malloc(sizeof(float) * (size_t)n * m->hp.n_embd);
                a2a_tensor lt = a2a_tensor_make(A2A_TYPE_F32, lg, m->hp.n_vocab, n, 1, 1);
                a2a_tensor ht = a2a_tensor_make(A2A_TYPE_F32, hd, m->hp.n_embd, n, 1, 1);
                int modes = (m->tok_embd->type == A2A_TYPE_F32) ? 4 : 3;
                for (int mode = 0; mode < modes; mode++) {
                    /* mode 0: one batch, 1: token by token, 2: F16 KV cache, 3: embeddings for some positions */
                    a2a_type kvt = mode == 2 ? A2A_TYPE_F16 : A2A_TYPE_F32;
                    if (!run_ids(m, tp, ids, n, mode == 1 ? (n > 5 ? 1 : 0) : 0, mode == 3, kvt, lg, hd)) continue;
                    char tag[1400];
                    snprintf(tag, sizeof(tag), "%s lvl=%s threads=%d mode=%s", model_rel, a2a_kernel_level_name((a2a_kernel_level)lvl), nt,
                             mode == 0 ? "batch" : mode == 1 ? "incremental" : mode == 2 ? "f16-kv" : "embeddings");
                    if (q_nmse > 0 || mode == 2) {
                        /* quantized weights or F16 KV: compare to the F32 reference with a looser bound */
                        double tol = q_nmse > 0 ? q_nmse : 1e-5;
                        a2a_golden_metrics mt;
                        a2a_golden_measure(&lt, c->out, &mt);
                        CHECK_MSG(mt.shape_ok && mt.nmse <= tol, "%s %s: logits nmse %.3g > %.3g", tag, c->name, mt.nmse, tol);
                    } else {
                        CHECK(a2a_golden_compare(c, &lt, tag));
                        if (hc) CHECK(a2a_golden_compare(hc, &ht, tag));
                    }
                }
                free(lg);
                free(hd);
            }
            a2a_threadpool_free(tp);
        }
    }
    a2a_kernel_level_set(max);
    a2a_llm_free(m);
    a2a_golden_close(&gf);
    a2a_ctx_free(ctx);
}

TEST(test_llama_f32) { check_model("llm/tiny-llama.gguf", "llm/tiny-llama.ref.gguf", 0); }
TEST(test_qwen2_f32) { check_model("llm/tiny-qwen2.gguf", "llm/tiny-qwen2.ref.gguf", 0); }
TEST(test_qwen2_tied_f32) { check_model("llm/tiny-qwen2-tied.gguf", "llm/tiny-qwen2-tied.ref.gguf", 0); }
TEST(test_llama_q8_0) { check_model("llm/tiny-llama-q8_0.gguf", "llm/tiny-llama.ref.gguf", 2e-3); }

/* Our quantizer (any2any quantize) on the F32 model: Q4_0 / Q5_1 / Q8_0 weights must stay close
   to the F32 reference. The random tiny model amplifies weight error about 40x into the logits
   (measured with the Q8_0 file written by the reference gguf package), so the bounds are
   Q4_0 0.3 (measured 0.19), Q5_1 0.05 (0.031), Q8_0 2e-3. The quantizers themselves are checked
   bit-exact against gguf-py in tests/ops/test_quant.c. */
#include "io/gguf_quantize.h"
TEST(test_quantized_by_us) {
    struct { a2a_type t; double tol; } cases[] = {{A2A_TYPE_Q4_0, 0.3}, {A2A_TYPE_Q5_1, 5e-2}, {A2A_TYPE_Q8_0, 2e-3}};
    a2a_ctx *ctx = a2a_ctx_new();
    char in[512], out[600];
    a2a_golden_path(in, sizeof(in), "llm/tiny-llama.gguf");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(out, sizeof(out), "/tmp/a2a-test-quant-%d-%s.gguf", (int)getpid(), a2a_type_name(cases[i].t));
        a2a_quantize_params p = {cases[i].t, A2A_TYPE_F16, NULL, NULL};
        a2a_status st = a2a_quantize_file(ctx, NULL, in, out, &p);
        CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
        if (st) continue;
        a2a_gguf *g;
        if (a2a_gguf_open(ctx, out, &g) == A2A_OK) {
            const a2a_tensor *t = a2a_gguf_find_tensor(g, "blk.0.ffn_up.weight");
            CHECK(t && t->type == cases[i].t);
            t = a2a_gguf_find_tensor(g, "blk.0.attn_norm.weight");
            CHECK(t && t->type == A2A_TYPE_F32);
            uint32_t ft = 0;
            CHECK(a2a_gguf_get_u32(ctx, g, "general.file_type", &ft) == A2A_OK && (int)ft == a2a_ftype_of(cases[i].t));
            a2a_gguf_close(g);
        }
        check_model(out, "llm/tiny-llama.ref.gguf", cases[i].tol); /* absolute path */
        unlink(out);
    }
    /* a target type we cannot produce is refused before anything is written */
    a2a_quantize_params bad = {A2A_TYPE_IQ2_XS, A2A_TYPE_F16, NULL, NULL};
    CHECK(a2a_quantize_file(ctx, NULL, in, "/tmp/a2a-never-written.gguf", &bad) == A2A_ERR_UNSUPPORTED);
    CHECK(access("/tmp/a2a-never-written.gguf", F_OK) != 0);
    a2a_ctx_free(ctx);
}

/* Hostile or inconsistent metadata: copy tiny-llama.gguf with one key changed and check that
   loading fails with a message naming the problem. */
#include "io/gguf_copy.h"
static bool all_keys(const char *k, void *u) { (void)k; (void)u; return true; }
TEST(test_llm_bad_metadata) {
    struct { const char *key; int kind; uint32_t u; const char *str; const char *msg; } cases[] = {
        {"llama.attention.head_count", 0, 0, NULL, "inconsistent hyperparameters"},
        {"llama.attention.head_count_kv", 0, 3, NULL, "inconsistent hyperparameters"},
        {"llama.embedding_length", 0, 65, NULL, "has shape"},
        {"llama.block_count", 0, 3, NULL, "missing tensor 'blk.2."},
        {"llama.block_count", 0, 4000000000u, NULL, "out of range"},
        {"llama.context_length", 0, 0, NULL, "inconsistent hyperparameters"},
        {"llama.rope.dimension_count", 0, 7, NULL, "rope.dimension_count"},
        {"general.architecture", 1, 0, "gptneox", "not supported"},
        {"llama.rope.scaling.type", 1, 0, "yarn", "rope scaling 'yarn'"},
    };
    a2a_ctx *ctx = a2a_ctx_new();
    char src[512], out[600];
    a2a_golden_path(src, sizeof(src), "llm/tiny-llama.gguf");
    snprintf(out, sizeof(out), "/tmp/a2a-test-badmeta-%d.gguf", (int)getpid());
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open(ctx, src, &g) == A2A_OK);
    for (size_t c = 0; g && c < sizeof(cases) / sizeof(cases[0]); c++) {
        a2a_gguf_writer *w = NULL;
        bool ok = a2a_gguf_writer_new(ctx, &w) == A2A_OK && a2a_gguf_writer_copy_kv(ctx, w, g, all_keys, NULL) == A2A_OK;
        ok = ok && (cases[c].kind == 0 ? a2a_gguf_writer_set_u32(ctx, w, cases[c].key, cases[c].u)
                                       : a2a_gguf_writer_set_str(ctx, w, cases[c].key, cases[c].str)) == A2A_OK;
        for (int64_t i = 0; ok && i < a2a_gguf_n_tensors(g); i++) {
            const a2a_tensor *t = a2a_gguf_tensor(g, i);
            ok = a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, t->ne, t->data) == A2A_OK;
        }
        ok = ok && a2a_gguf_writer_write(ctx, w, out) == A2A_OK;
        a2a_gguf_writer_free(w);
        CHECK_MSG(ok, "writing case %zu: %s", c, a2a_last_error(ctx));
        a2a_llm_model *m = NULL;
        a2a_status st = a2a_llm_load(ctx, out, &m);
        CHECK_MSG(st != A2A_OK && m == NULL && strstr(a2a_last_error(ctx), cases[c].msg) != NULL, "case %s: status %d, message '%s'",
                  cases[c].key, (int)st, a2a_last_error(ctx));
        a2a_llm_free(m);
        unlink(out);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
}

/* Loader errors: wrong architecture, context overflow, bad token ids. */
TEST(test_llm_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    char path[1024];
    a2a_llm_model *m = NULL;
    CHECK(a2a_llm_load(ctx, a2a_golden_path(path, sizeof(path), "llm/tiny-llama.ref.gguf"), &m) != A2A_OK);
    CHECK(strstr(a2a_last_error(ctx), "architecture") != NULL);
    snprintf(path, sizeof(path), "%s/fixtures/vocab/ggml-vocab-llama-spm.gguf", A2A_SHARED_DIR);
    CHECK(a2a_llm_load(ctx, path, &m) != A2A_OK); /* vocab-only file: no weights */
    CHECK(a2a_llm_load(ctx, a2a_golden_path(path, sizeof(path), "llm/tiny-llama.gguf"), &m) == A2A_OK);
    if (m) {
        a2a_llm_session *s;
        a2a_llm_session_params sp = a2a_llm_session_default_params();
        sp.n_ctx = 8;
        CHECK(a2a_llm_session_new(ctx, m, NULL, &sp, &s) == A2A_OK);
        int32_t ids[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        CHECK(a2a_llm_decode(ctx, s, ids, NULL, NULL, 10, NULL, NULL) == A2A_ERR_INVALID_ARG);
        CHECK(strstr(a2a_last_error(ctx), "context is full") != NULL);
        int32_t bad[2] = {1, 100000};
        CHECK(a2a_llm_decode(ctx, s, bad, NULL, NULL, 2, NULL, NULL) == A2A_ERR_INVALID_ARG);
        CHECK(strstr(a2a_last_error(ctx), "out of range") != NULL);
        CHECK(s->n_past == 0);
        volatile int cancel = 1;
        CHECK(a2a_llm_decode(ctx, s, ids, NULL, NULL, 2, NULL, &cancel) == A2A_ERR_CANCELLED);
        CHECK(s->n_past == 0);
        a2a_llm_session_free(s);
        a2a_llm_free(m);
    }
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_llama_f32, test_qwen2_f32, test_qwen2_tied_f32, test_llama_q8_0, test_quantized_by_us, test_llm_bad_metadata, test_llm_errors)
