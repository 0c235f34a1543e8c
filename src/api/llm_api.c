/* Public LLM API (include/any2any.h) over the internal model, session, sampler and textgen. */
#include "any2any.h"
#include "api/api_internal.h"
#include "core/threadpool.h"
#include "models/llm/llama.h"
#include "pipeline/sampling.h"
#include "pipeline/textgen.h"

#include <stdlib.h>
#include <string.h>


void a2a_free(void *p) { free(p); }

int32_t a2a_llm_n_vocab(const a2a_llm_model *m) { return m->hp.n_vocab; }
int32_t a2a_llm_n_embd(const a2a_llm_model *m) { return m->hp.n_embd; }
int32_t a2a_llm_n_ctx_train(const a2a_llm_model *m) { return m->hp.n_ctx_train; }
int32_t a2a_llm_token_bos(const a2a_llm_model *m) { return m->vocab ? m->vocab->bos : -1; }
int32_t a2a_llm_token_eos(const a2a_llm_model *m) { return m->vocab ? m->vocab->eos : -1; }

int32_t a2a_llm_token_lookup(const a2a_llm_model *m, const char *text) {
    return m->vocab && text ? a2a_vocab_find(m->vocab, text, strlen(text)) : -1;
}

a2a_status a2a_llm_tokenize(a2a_ctx *ctx, const a2a_llm_model *m, const char *text, size_t len, bool add_bos,
                            bool parse_special, int32_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    if (!m->vocab) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "the model has no tokenizer");
    if (!text && len) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "tokenize: text is NULL");
    return a2a_tokenize(ctx, m->vocab, text ? text : "", len, add_bos, parse_special, ids, n);
}

a2a_status a2a_llm_detokenize(a2a_ctx *ctx, const a2a_llm_model *m, const int32_t *ids, size_t n, char **text) {
    *text = NULL;
    if (!m->vocab) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "the model has no tokenizer");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        a2a_status st = a2a_detokenize_piece(ctx, m->vocab, ids[i], false, &buf, &len, &cap);
        if (st) {
            free(buf);
            return st;
        }
    }
    if (!buf && !(buf = calloc(1, 1))) return a2a_fail(ctx, A2A_ERR_NOMEM, "detokenize: out of memory");
    *text = buf;
    return A2A_OK;
}

a2a_session_params a2a_session_default_params(void) { return (a2a_session_params){0, 0, 0, false}; }

a2a_status a2a_session_new(a2a_ctx *ctx, const a2a_llm_model *m, const a2a_session_params *p, a2a_session **out) {
    *out = NULL;
    a2a_session_params d = a2a_session_default_params();
    if (!p) p = &d;
    a2a_session *s = calloc(1, sizeof(*s));
    if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "session: out of memory");
    s->m = m;
    a2a_llm_session_params lp = a2a_llm_session_default_params();
    lp.n_ctx = p->n_ctx;
    lp.n_batch = p->n_batch;
    lp.kv_type = p->kv_f32 ? A2A_TYPE_F32 : A2A_TYPE_F16;
    a2a_status st = a2a_threadpool_new(ctx, p->n_threads, &s->tp);
    if (!st) st = a2a_llm_session_new(ctx, m, s->tp, &lp, &s->s);
    if (st) {
        a2a_session_free(s);
        return st;
    }
    *out = s;
    return A2A_OK;
}

void a2a_session_free(a2a_session *s) {
    if (!s) return;
    a2a_llm_session_free(s->s);
    a2a_threadpool_free(s->tp);
    free(s);
}

int32_t a2a_session_n_past(const a2a_session *s) { return s->s->n_past; }
void a2a_session_rewind(a2a_session *s, int32_t n_past) { a2a_llm_session_rewind(s->s, n_past); }

a2a_status a2a_session_decode(a2a_ctx *ctx, a2a_session *s, const int32_t *tokens, const float *embd,
                              const uint8_t *embd_mask, int32_t n, const uint8_t *out_rows) {
    return a2a_llm_decode(ctx, s->s, tokens, embd, embd_mask, n, out_rows, NULL);
}

int32_t a2a_session_n_outputs(const a2a_session *s) { return s->s->n_out; }

const float *a2a_session_logits(const a2a_session *s, int32_t i) {
    if (i < 0 || i >= s->s->n_out) return NULL;
    return s->s->logits + (size_t)i * s->m->hp.n_vocab;
}

const float *a2a_session_hidden(const a2a_session *s, int32_t i) {
    if (i < 0 || i >= s->s->n_out) return NULL;
    return s->s->hidden + (size_t)i * s->m->hp.n_embd;
}

a2a_sampling_params a2a_sampling_default_params(void) {
    a2a_sampler_params d = a2a_sampler_default_params();
    a2a_sampling_params p = {d.temperature, d.top_k, d.top_p, d.min_p, d.repeat_penalty, d.frequency_penalty,
                             d.presence_penalty, d.penalty_last_n, d.seed};
    return p;
}

a2a_status a2a_session_generate(a2a_ctx *ctx, a2a_session *s, const a2a_sampling_params *sp, int32_t n_predict,
                                const char *stop, a2a_text_cb on_text, void *user, const volatile int *cancel,
                                char **reply) {
    if (reply) *reply = NULL;
    if (!s->m->vocab) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "the model has no tokenizer");
    if (s->s->n_out < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "generate: decode a prompt first");
    a2a_sampling_params d = a2a_sampling_default_params();
    if (!sp) sp = &d;
    a2a_sampler_params p = {sp->temperature, sp->top_k, sp->top_p, sp->min_p, sp->repeat_penalty, sp->frequency_penalty,
                            sp->presence_penalty, sp->penalty_last_n, sp->seed};
    a2a_sampler *smp;
    a2a_status st = a2a_sampler_new(ctx, &p, s->m->hp.n_vocab, &smp);
    if (st) return st;
    a2a_textgen_params tg = {n_predict, stop, false, false};
    a2a_textgen_result res;
    st = a2a_textgen_run(ctx, s->s, smp, s->m->vocab, &tg, on_text, user, cancel, &res);
    a2a_sampler_free(smp);
    if (!st && reply) *reply = res.text;
    else free(res.text);
    return st;
}
