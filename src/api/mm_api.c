/* Public perception API (include/any2any.h): the ImageBind encoder on its own and multimodal
   prompts through a bundle, over src/pipeline (perception, mm_system). */
#include "any2any.h"
#include "api/api_internal.h"
#include "media/image_write.h"
#include "pipeline/mm_system.h"
#include "pipeline/nextgpt.h"
#include "pipeline/perception.h"
#include "text/clip_vocab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct a2a_encoder {
    a2a_imagebind *m;        /* owned */
    a2a_threadpool *tp;      /* owned */
    a2a_perception perc;     /* media cache (no projector) */
    a2a_clip_vocab *clip;    /* NULL when the file has no CLIP vocabulary */
};

struct a2a_mm {
    a2a_mm_system *sys;      /* owned */
    a2a_threadpool *tp;      /* owned: encoder/projector threads */
    a2a_perception perc;     /* soft-token cache across turns */
};

void a2a_encoder_free(a2a_encoder *enc) {
    if (!enc) return;
    a2a_perception_free(&enc->perc);
    a2a_clip_vocab_free(enc->clip);
    a2a_imagebind_free(enc->m);
    a2a_threadpool_free(enc->tp);
    free(enc);
}

a2a_status a2a_encoder_load(a2a_ctx *ctx, const char *path, int n_threads, a2a_encoder **out) {
    *out = NULL;
    if (!path || n_threads < 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: bad path or thread count");
    a2a_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) return a2a_fail(ctx, A2A_ERR_NOMEM, "encoder: out of memory");
    a2a_status st = a2a_threadpool_new(ctx, n_threads, &enc->tp);
    if (st == A2A_OK) st = a2a_imagebind_load(ctx, path, &enc->m);
    if (st == A2A_OK) st = a2a_perception_init(ctx, &enc->perc, enc->m, NULL, enc->tp);
    if (st == A2A_OK && a2a_gguf_find_key(enc->m->g, "tokenizer.ggml.tokens") >= 0)
        st = a2a_clip_vocab_load_gguf(ctx, enc->m->g, &enc->clip);
    if (st != A2A_OK) {
        a2a_encoder_free(enc);
        return st;
    }
    *out = enc;
    return A2A_OK;
}

int64_t a2a_encoder_dim(const a2a_encoder *enc) { return a2a_imagebind_out_dim(enc->m); }

static void l2_normalize(float *v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int64_t i = 0; i < n; i++) v[i] *= inv;
}

/* Media chunk embedding into out (copied from the cache). */
static a2a_status embed_chunk(a2a_ctx *ctx, a2a_encoder *enc, const a2a_chunk *c, bool unit, float *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: NULL output");
    if (c->kind < A2A_CHUNK_IMAGE || c->kind > A2A_CHUNK_VIDEO)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: media kind %d is not image, audio or video", (int)c->kind);
    const float *e;
    a2a_status st = a2a_perception_embed(ctx, &enc->perc, c, &e);
    if (st != A2A_OK) return st;
    const int64_t d = a2a_imagebind_out_dim(enc->m);
    memcpy(out, e, sizeof(float) * (size_t)d);
    if (unit) l2_normalize(out, d);
    return A2A_OK;
}

a2a_status a2a_encoder_embed_file(a2a_ctx *ctx, a2a_encoder *enc, a2a_media_kind kind, const char *path, bool unit,
                                  float *out) {
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: NULL path");
    a2a_chunk c = {(a2a_chunk_kind)kind, NULL, path, NULL, 0};
    return embed_chunk(ctx, enc, &c, unit, out);
}

a2a_status a2a_encoder_embed_memory(a2a_ctx *ctx, a2a_encoder *enc, a2a_media_kind kind, const void *data, size_t size,
                                    bool unit, float *out) {
    if (!data || !size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: empty media buffer");
    a2a_chunk c = {(a2a_chunk_kind)kind, NULL, NULL, data, size};
    return embed_chunk(ctx, enc, &c, unit, out);
}

a2a_status a2a_encoder_embed_text(a2a_ctx *ctx, a2a_encoder *enc, const char *text, bool unit, float *out) {
    if (!text || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "encoder: NULL text or output");
    if (!enc->clip)
        return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "encoder: the file has no CLIP vocabulary (convert with --bpe)");
    int32_t ids[A2A_CLIP_CONTEXT];
    a2a_clip_params p = a2a_clip_default_params();
    a2a_status st = a2a_clip_encode(ctx, enc->clip, text, strlen(text), &p, ids, NULL);
    if (st == A2A_OK) st = a2a_imagebind_embed(ctx, enc->tp, enc->m, A2A_IMAGEBIND_TEXT, ids, 1, 1, unit, out);
    return st;
}

void a2a_mm_free(a2a_mm *mm) {
    if (!mm) return;
    a2a_perception_free(&mm->perc);
    a2a_mm_system_free(mm->sys);
    a2a_threadpool_free(mm->tp);
    free(mm);
}

a2a_status a2a_mm_load(a2a_ctx *ctx, const char *bundle, a2a_mm **out) {
    *out = NULL;
    if (!bundle) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "bundle: NULL path");
    a2a_mm *mm = calloc(1, sizeof *mm);
    a2a_bundle_spec *spec = calloc(1, sizeof *spec);
    a2a_status st = mm && spec ? A2A_OK : a2a_fail(ctx, A2A_ERR_NOMEM, "bundle: out of memory");
    if (st == A2A_OK) st = a2a_bundle_read(ctx, bundle, spec);
    if (st == A2A_OK) st = a2a_mm_system_load(ctx, spec, &mm->sys);
    if (st == A2A_OK) st = a2a_threadpool_new(ctx, 0, &mm->tp);
    if (st == A2A_OK && mm->sys->enc) st = a2a_perception_init(ctx, &mm->perc, mm->sys->enc, mm->sys->proj, mm->tp);
    free(spec);
    if (st != A2A_OK) {
        a2a_mm_free(mm);
        return st;
    }
    *out = mm;
    return A2A_OK;
}

const a2a_llm_model *a2a_mm_llm(const a2a_mm *mm) { return mm->sys->llm; }

a2a_status a2a_mm_eval(a2a_ctx *ctx, a2a_mm *mm, a2a_session *s, const a2a_chunk_desc *chunks, int n) {
    if (!s || !chunks || n <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "mm_eval: no session or no chunks");
    if (s->m != mm->sys->llm) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "mm_eval: the session was not created on a2a_mm_llm(mm)");
    a2a_chunk *c = calloc((size_t)n, sizeof *c);
    if (!c) return a2a_fail(ctx, A2A_ERR_NOMEM, "mm_eval: out of memory");
    for (int i = 0; i < n; i++)
        c[i] = (a2a_chunk){(a2a_chunk_kind)chunks[i].kind, chunks[i].text, chunks[i].path, chunks[i].data, chunks[i].size};
    a2a_status st = a2a_mm_system_eval(ctx, mm->sys, &mm->perc, s->s, c, n, s->cancel, NULL);
    free(c);
    return st;
}

struct a2a_mm_reply {
    a2a_nextgpt_reply r;
    a2a_mm_media media[A2A_NEXTGPT_MAX_MEDIA];
    a2a_image images[A2A_NEXTGPT_MAX_MEDIA];
    uint8_t *frames[A2A_NEXTGPT_MAX_MEDIA]; /* video RGB, owned */
    int n;
};

a2a_mm_generate_params a2a_mm_generate_default_params(void) {
    a2a_mm_generate_params p;
    memset(&p, 0, sizeof p);
    p.sampling = a2a_sampling_default_params();
    p.n_predict = 256;
    p.cfg = -1.0f;
    p.seed = 42;
    return p;
}

void a2a_mm_reply_free(a2a_mm_reply *r) {
    if (!r) return;
    for (int i = 0; i < r->n; i++) {
        a2a_image_free(&r->images[i]);
        free(r->frames[i]);
    }
    a2a_nextgpt_reply_free(&r->r);
    free(r);
}

const char *a2a_mm_reply_text(const a2a_mm_reply *r) { return r->r.tg.text ? r->r.tg.text : ""; }
int a2a_mm_reply_n_media(const a2a_mm_reply *r) { return r->n; }
const a2a_mm_media *a2a_mm_reply_media(const a2a_mm_reply *r, int i) { return i >= 0 && i < r->n ? &r->media[i] : NULL; }

/* Output modality of a public media kind, -1 for text. */
static int out_modality(int kind) {
    return kind == A2A_MEDIA_IMAGE ? A2A_OUT_IMAGE : kind == A2A_MEDIA_AUDIO ? A2A_OUT_AUDIO
                                                   : kind == A2A_MEDIA_VIDEO ? A2A_OUT_VIDEO : -1;
}

a2a_status a2a_mm_generate(a2a_ctx *ctx, a2a_mm *mm, a2a_session *s, const a2a_mm_generate_params *pp,
                           a2a_text_cb on_text, void *user, const volatile int *cancel, a2a_mm_reply **out) {
    *out = NULL;
    if (!s || s->m != mm->sys->llm) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "mm_generate: the session was not created on a2a_mm_llm(mm)");
    if (s->s->n_out < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "mm_generate: evaluate a prompt first (a2a_mm_eval)");
    a2a_mm_generate_params d = a2a_mm_generate_default_params();
    const a2a_mm_generate_params *p = pp ? pp : &d;
    a2a_nextgpt_params np = a2a_nextgpt_default_params();
    np.n_predict = p->n_predict;
    for (int k = A2A_MEDIA_IMAGE; k <= A2A_MEDIA_VIDEO; k++) {
        const int m = out_modality(k);
        np.force[m] = (p->force >> k) & 1u;
        np.forbid[m] = (p->forbid >> k) & 1u;
        np.steps[m] = p->steps;
        np.cfg[m] = p->cfg;
    }
    np.seed = p->seed;
    np.width = p->width;
    np.height = p->height;
    np.seconds = p->seconds;
    np.frames = p->frames;
    np.progress = p->progress;
    np.user = p->progress_user;
    const a2a_sampling_params *sp = &p->sampling;
    a2a_sampler_params smp_p = {sp->temperature, sp->top_k, sp->top_p, sp->min_p, sp->repeat_penalty,
                                sp->frequency_penalty, sp->presence_penalty, sp->penalty_last_n, sp->seed};
    a2a_sampler *smp = NULL;
    a2a_mm_reply *r = calloc(1, sizeof *r);
    a2a_status st = r ? a2a_sampler_new(ctx, &smp_p, s->m->hp.n_vocab, &smp) : a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
    if (st == A2A_OK) st = a2a_nextgpt_generate(ctx, mm->sys, s->s, smp, mm->tp, &np, on_text, user, cancel, &r->r);
    for (int i = 0; st == A2A_OK && i < r->r.n_media; i++) {
        const a2a_nextgpt_media *md = &r->r.media[i];
        a2a_mm_media *o = &r->media[r->n];
        memset(o, 0, sizeof *o);
        if (md->pixels) {
            st = a2a_image_from_planar_f32(ctx, md->pixels, 3, md->h, md->w, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND,
                                           &r->images[r->n]);
            o->kind = A2A_MEDIA_IMAGE;
            o->width = md->w;
            o->height = md->h;
            o->n_frames = 1;
            o->rgb = r->images[r->n].data;
        } else if (md->video) {
            const size_t fpx = (size_t)3 * (size_t)md->w * (size_t)md->h;
            uint8_t *rgb = malloc(fpx * (size_t)md->frames);
            if (!rgb) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
                break;
            }
            for (int32_t k = 0; k < md->frames && st == A2A_OK; k++) {
                a2a_image fr = {0};
                st = a2a_image_from_planar_f32(ctx, md->video + (size_t)k * fpx, 3, md->h, md->w, A2A_PIXEL_RANGE_NEG1_1,
                                               A2A_PIXEL_TRUNC, &fr);
                if (st == A2A_OK) memcpy(rgb + (size_t)k * fpx, fr.data, fpx);
                a2a_image_free(&fr);
            }
            r->frames[r->n] = rgb;
            o->kind = A2A_MEDIA_VIDEO;
            o->width = md->w;
            o->height = md->h;
            o->n_frames = md->frames;
            o->rgb = rgb;
        } else if (md->wave) {
            o->kind = A2A_MEDIA_AUDIO;
            o->samples = md->wave;
            o->n_samples = md->n_samples;
            o->sample_rate = md->rate;
        } else {
            continue;
        }
        r->n++;
    }
    a2a_sampler_free(smp);
    if (st != A2A_OK) {
        a2a_mm_reply_free(r);
        return st;
    }
    *out = r;
    return A2A_OK;
}
