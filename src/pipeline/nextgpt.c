/* NExT-GPT signal spans -> output projectors -> generators: see nextgpt.h. */
#include "pipeline/nextgpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/ops.h"

a2a_nextgpt_params a2a_nextgpt_default_params(void) {
    a2a_nextgpt_params p;
    memset(&p, 0, sizeof p);
    p.n_predict = 256;
    p.stop = "###";
    for (int m = 0; m < A2A_OUT_N; m++) {
        p.max_spans[m] = 1;
        p.cfg[m] = -1.0f;
    }
    p.seed = 42;
    return p;
}

void a2a_nextgpt_reply_free(a2a_nextgpt_reply *r) {
    for (int i = 0; i < r->n_media; i++) {
        free(r->media[i].cond);
        free(r->media[i].pixels);
        free(r->media[i].video);
        free(r->media[i].wave);
    }
    free(r->tg.text);
    free(r->tokens);
    memset(r, 0, sizeof *r);
}

/* Span tracking shared by the textgen hooks and the forced spans at the end. */
typedef struct span_state {
    a2a_ctx *ctx;
    const a2a_mm_system *sys;
    const a2a_nextgpt_params *p;
    a2a_threadpool *tp;
    a2a_nextgpt_reply *r;
    int cur;                 /* modality of the span in progress, -1 none */
    int k;                   /* next signal index of that span */
    float *hidden;           /* [max_signal][n_embd] states that produced the span's tokens */
    float *embeds;           /* [max_signal][n_embd] input embeddings of the span's tokens */
    a2a_status st;           /* first error inside a hook (hooks cannot return one) */
    int32_t i_script;        /* next scripted token */
    int32_t cap_tokens;
} span_state;

/* Append tok to the reply's token list. */
static void push_token(span_state *ss, int32_t tok) {
    a2a_nextgpt_reply *r = ss->r;
    if (r->n_tokens == ss->cap_tokens) {
        int32_t cap = ss->cap_tokens ? ss->cap_tokens * 2 : 64;
        int32_t *t = realloc(r->tokens, sizeof *t * (size_t)cap);
        if (!t) {
            if (ss->st == A2A_OK) ss->st = a2a_fail(ss->ctx, A2A_ERR_NOMEM, "nextgpt: out of memory");
            return;
        }
        r->tokens = t;
        ss->cap_tokens = cap;
    }
    r->tokens[r->n_tokens++] = tok;
}

/* Modality whose signal token tok is, or -1. */
static int signal_modality(const a2a_mm_system *sys, int32_t tok) {
    for (int m = 0; m < A2A_OUT_N; m++)
        for (int i = 0; i < sys->n_signal[m]; i++)
            if (sys->signal_ids[m][i] == tok) return m;
    return -1;
}

/* May modality m start another span in this reply? */
static bool span_allowed(const span_state *ss, int m) {
    return !ss->p->forbid[m] && a2a_mm_system_can_generate(ss->sys, m) && ss->r->n_spans[m] < ss->p->max_spans[m] &&
           ss->r->n_media < A2A_NEXTGPT_MAX_MEDIA;
}

/* The span of ss->cur is complete: run the output projector, record the item. */
static void finish_span(span_state *ss) {
    const int m = ss->cur, n = ss->sys->n_signal[m];
    const a2a_textfc *fc = ss->sys->out_proj[m];
    const int64_t no = a2a_textfc_n_out_tokens(fc), od = a2a_textfc_out_dim(fc);
    a2a_nextgpt_media *md = &ss->r->media[ss->r->n_media];
    memset(md, 0, sizeof *md);
    md->modality = m;
    md->text_pos = (int64_t)ss->r->tg.len;
    md->n_cond = no;
    md->cond_dim = od;
    md->cond = malloc(sizeof(float) * (size_t)(no * od));
    if (!md->cond) ss->st = a2a_fail(ss->ctx, A2A_ERR_NOMEM, "nextgpt: out of memory");
    else if (ss->st == A2A_OK)
        ss->st = a2a_textfc_forward(ss->ctx, ss->tp, fc, ss->hidden, ss->embeds, n, md->cond);
    ss->r->n_media++;
    ss->r->n_spans[m]++;
    ss->cur = -1;
    ss->k = 0;
}

/* Record token tok of the span in progress with the state that produced it. */
static void record(span_state *ss, int32_t tok, const float *prev_hidden) {
    const int64_t E = ss->sys->llm->hp.n_embd;
    memcpy(ss->hidden + (size_t)ss->k * (size_t)E, prev_hidden, sizeof(float) * (size_t)E);
    a2a_tensor dst, ids;
    int32_t id = tok;
    int64_t ne_d[2] = {E, 1}, ne_i[1] = {1};
    a2a_tensor_init(&dst, A2A_TYPE_F32, 2, ne_d, ss->embeds + (size_t)ss->k * (size_t)E);
    a2a_tensor_init(&ids, A2A_TYPE_I32, 1, ne_i, &id);
    a2a_status st = a2a_op_get_rows(ss->ctx, NULL, &dst, ss->sys->llm->tok_embd, &ids);
    if (st != A2A_OK && ss->st == A2A_OK) ss->st = st;
    if (++ss->k == ss->sys->n_signal[ss->cur]) finish_span(ss);
}

/* textgen hook: force the rest of a span; ban signal tokens that may not start one. */
static int32_t hook_before(void *user, float *logits, int32_t n_vocab) {
    span_state *ss = user;
    if (ss->cur >= 0) return ss->sys->signal_ids[ss->cur][ss->k];
    while (ss->i_script < ss->p->n_script) {
        const int32_t tok = ss->p->script[ss->i_script++];
        const int m = signal_modality(ss->sys, tok);
        if (m < 0 || span_allowed(ss, m)) return tok;
    }
    for (int m = 0; m < A2A_OUT_N; m++)
        if (!span_allowed(ss, m))
            for (int i = 0; i < ss->sys->n_signal[m]; i++)
                if (ss->sys->signal_ids[m][i] < n_vocab) logits[ss->sys->signal_ids[m][i]] = -INFINITY;
    return -1;
}

/* textgen hook: start spans at any signal token (normalized to the first), record span tokens. */
static int32_t hook_after(void *user, int32_t tok, const float *prev_hidden, bool *emit) {
    span_state *ss = user;
    if (ss->cur < 0) {
        const int m = signal_modality(ss->sys, tok);
        if (m < 0) {
            push_token(ss, tok);
            return tok;
        }
        if (!span_allowed(ss, m)) { /* only reachable if every other token was banned too */
            *emit = false;
            return tok;
        }
        ss->cur = m;
        ss->k = 0;
        tok = ss->sys->signal_ids[m][0];
    }
    *emit = false;
    push_token(ss, tok);
    record(ss, tok, prev_hidden);
    return tok;
}

/* Append a whole forced span of modality m after the reply (force[m]). */
static a2a_status force_span(span_state *ss, a2a_llm_session *s, a2a_sampler *smp, int m, const volatile int *cancel) {
    ss->cur = m;
    ss->k = 0;
    const int n = ss->sys->n_signal[m];
    for (int i = 0; i < n && ss->st == A2A_OK; i++) {
        if (s->n_past >= s->n_ctx)
            return a2a_fail(ss->ctx, A2A_ERR_NOMEM, "nextgpt: the context is full before the forced %s span",
                            a2a_out_modality_name(m));
        const int32_t tok = ss->sys->signal_ids[m][i];
        push_token(ss, tok);
        record(ss, tok, s->hidden + (size_t)(s->n_out - 1) * (size_t)s->m->hp.n_embd);
        a2a_sampler_accept(smp, tok);
        a2a_status st = a2a_llm_decode(ss->ctx, s, &tok, NULL, NULL, 1, NULL, cancel);
        if (st != A2A_OK) return st;
    }
    return ss->st;
}

/* Run the generator of media item md. */
static a2a_status generate_media(a2a_ctx *ctx, const a2a_mm_system *sys, a2a_threadpool *tp, const a2a_nextgpt_params *p,
                                 a2a_nextgpt_media *md, const volatile int *cancel) {
    const int m = md->modality;
    if (m == A2A_OUT_IMAGE) {
        /* upstream pads the projector output with zero rows to 77 tokens */
        const int64_t D = md->cond_dim;
        float *cond = calloc((size_t)(77 * D), sizeof(float));
        if (!cond) return a2a_fail(ctx, A2A_ERR_NOMEM, "nextgpt: out of memory");
        memcpy(cond, md->cond, sizeof(float) * (size_t)(md->n_cond * D));
        a2a_sd_params sp = a2a_sd_default_params();
        sp.cond = cond;
        sp.width = p->width;
        sp.height = p->height;
        sp.steps = p->steps[m];
        sp.cfg = p->cfg[m];
        sp.seed = p->seed;
        sp.init_noise = p->init_noise;
        sp.progress = p->progress;
        sp.user = p->user;
        sp.cancel = cancel;
        a2a_status st = a2a_sd_generate(ctx, tp, sys->image_gen, &sp, &md->pixels, &md->w, &md->h);
        free(cond);
        return st;
    }
    if (m == A2A_OUT_VIDEO) {
        /* upstream: reshape to rows of the UNet's context width, pad with zero rows to 77 */
        const int64_t D = a2a_unet3d_context_dim(sys->video_gen->unet);
        float *cond = calloc((size_t)(77 * D), sizeof(float));
        if (!cond) return a2a_fail(ctx, A2A_ERR_NOMEM, "nextgpt: out of memory");
        memcpy(cond, md->cond, sizeof(float) * (size_t)(md->n_cond * md->cond_dim));
        a2a_t2v_params vp = a2a_t2v_default_params();
        vp.cond = cond;
        vp.width = p->width;
        vp.height = p->height;
        vp.frames = p->frames;
        vp.steps = p->steps[m];
        vp.cfg = p->cfg[m];
        vp.seed = p->seed;
        vp.init_noise = p->init_noise;
        vp.progress = p->progress;
        vp.user = p->user;
        vp.cancel = cancel;
        a2a_status st = a2a_t2v_generate(ctx, tp, sys->video_gen, &vp, &md->video, &md->w, &md->h, &md->frames);
        free(cond);
        return st;
    }
    if (m == A2A_OUT_AUDIO) {
        a2a_audioldm_params ap = a2a_audioldm_default_params();
        ap.cond = md->cond;
        ap.seconds = p->seconds;
        ap.steps = p->steps[m];
        ap.cfg = p->cfg[m];
        ap.seed = p->seed;
        ap.init_noise = p->init_noise;
        ap.progress = p->progress;
        ap.user = p->user;
        ap.cancel = cancel;
        return a2a_audioldm_generate(ctx, tp, sys->audio_gen, &ap, &md->wave, &md->n_samples, &md->rate);
    }
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "nextgpt: no generator for %s", a2a_out_modality_name(m));
}

a2a_status a2a_nextgpt_generate(a2a_ctx *ctx, const a2a_mm_system *sys, a2a_llm_session *s, a2a_sampler *smp,
                                a2a_threadpool *tp, const a2a_nextgpt_params *p, a2a_text_fn on_text, void *user,
                                const volatile int *cancel, a2a_nextgpt_reply *reply) {
    memset(reply, 0, sizeof *reply);
    const int64_t E = sys->llm->hp.n_embd;
    span_state ss = {ctx, sys, p, tp, reply, -1, 0, NULL, NULL, A2A_OK, 0, 0};
    ss.hidden = malloc(sizeof(float) * (size_t)(A2A_BUNDLE_MAX_SIGNAL * E));
    ss.embeds = malloc(sizeof(float) * (size_t)(A2A_BUNDLE_MAX_SIGNAL * E));
    a2a_status st = A2A_OK;
    if (!ss.hidden || !ss.embeds) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "nextgpt: out of memory");
        goto done;
    }
    a2a_textgen_hooks hooks = {hook_before, hook_after, &ss};
    a2a_textgen_params tg = {p->n_predict, p->stop, false, false, &hooks};
    st = a2a_textgen_run(ctx, s, smp, sys->llm->vocab, &tg, on_text, user, cancel, &reply->tg);
    if (st == A2A_OK) st = ss.st;
    /* a span cut by the context end cannot be completed: drop it (it produced no item) */
    ss.cur = -1;
    for (int m = 0; m < A2A_OUT_N && st == A2A_OK && !reply->tg.cancelled; m++)
        if (p->force[m] && reply->n_spans[m] == 0 && span_allowed(&ss, m)) st = force_span(&ss, s, smp, m, cancel);
    if (st != A2A_OK || reply->tg.cancelled || p->text_only) goto done;
    for (int i = 0; i < reply->n_media && st == A2A_OK; i++) st = generate_media(ctx, sys, tp, p, &reply->media[i], cancel);
done:
    free(ss.hidden);
    free(ss.embeds);
    return st;
}
