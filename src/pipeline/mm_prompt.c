/* Multimodal prompt assembly: see mm_prompt.h. */
#include "pipeline/mm_prompt.h"

#include <stdlib.h>
#include <string.h>

const char *a2a_chunk_kind_name(a2a_chunk_kind k) {
    switch (k) {
    case A2A_CHUNK_TEXT: return "text";
    case A2A_CHUNK_IMAGE: return "image";
    case A2A_CHUNK_AUDIO: return "audio";
    case A2A_CHUNK_VIDEO: return "video";
    }
    return "?";
}

void a2a_mm_seq_init(a2a_mm_seq *s, int32_t n_embd) {
    memset(s, 0, sizeof *s);
    s->n_embd = n_embd;
}

void a2a_mm_seq_free(a2a_mm_seq *s) {
    free(s->tokens);
    free(s->is_embd);
    free(s->embd);
    int32_t n_embd = s->n_embd;
    a2a_mm_seq_init(s, n_embd);
}

/* Room for `more` positions. */
static a2a_status seq_reserve(a2a_ctx *ctx, a2a_mm_seq *s, int32_t more) {
    if (more < 0 || s->n > INT32_MAX / 2 - more)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "prompt: too many positions (%d + %d)", s->n, more);
    if (s->n + more <= s->cap) return A2A_OK;
    int32_t cap = s->cap ? s->cap : 64;
    while (cap < s->n + more) cap *= 2;
    int32_t *t = realloc(s->tokens, (size_t)cap * sizeof *t);
    if (t) s->tokens = t;
    uint8_t *e = realloc(s->is_embd, (size_t)cap);
    if (e) s->is_embd = e;
    float *r = realloc(s->embd, (size_t)cap * (size_t)s->n_embd * sizeof *r);
    if (r) s->embd = r;
    if (!t || !e || !r) return a2a_fail(ctx, A2A_ERR_NOMEM, "prompt: out of memory for %d positions", cap);
    s->cap = cap;
    return A2A_OK;
}

a2a_status a2a_mm_seq_add_tokens(a2a_ctx *ctx, a2a_mm_seq *s, const int32_t *ids, int32_t n) {
    a2a_status st = seq_reserve(ctx, s, n);
    if (st != A2A_OK) return st;
    for (int32_t i = 0; i < n; i++) {
        s->tokens[s->n] = ids[i];
        s->is_embd[s->n] = 0;
        s->n++;
    }
    return A2A_OK;
}

a2a_status a2a_mm_seq_add_embd(a2a_ctx *ctx, a2a_mm_seq *s, const float *rows, int32_t n) {
    a2a_status st = seq_reserve(ctx, s, n);
    if (st != A2A_OK) return st;
    for (int32_t i = 0; i < n; i++) {
        s->tokens[s->n] = 0;
        s->is_embd[s->n] = 1;
        memcpy(s->embd + (size_t)s->n * s->n_embd, rows + (size_t)i * s->n_embd, (size_t)s->n_embd * sizeof(float));
        s->n++;
    }
    return A2A_OK;
}

a2a_status a2a_mm_seq_add_text(a2a_ctx *ctx, a2a_mm_seq *s, const a2a_vocab *v, const char *text, bool add_bos) {
    int32_t *ids = NULL;
    size_t n = 0;
    a2a_status st = a2a_tokenize(ctx, v, text, strlen(text), add_bos, true, &ids, &n);
    if (st == A2A_OK && n > (size_t)INT32_MAX / 4) st = a2a_fail(ctx, A2A_ERR_NOMEM, "prompt: text too long");
    if (st == A2A_OK) st = a2a_mm_seq_add_tokens(ctx, s, ids, (int32_t)n);
    free(ids);
    return st;
}

/* The id of a single-token marker such as "<Img>". */
static a2a_status marker_id(a2a_ctx *ctx, const a2a_vocab *v, const char *text, int32_t *id) {
    *id = a2a_vocab_find(v, text, strlen(text));
    if (*id < 0)
        return a2a_fail(ctx, A2A_ERR_NOT_FOUND,
                        "prompt: the vocabulary has no %s token (a NExT-GPT LLM adds <Img> and </Img>)", text);
    return A2A_OK;
}

a2a_status a2a_mm_build_nextgpt(a2a_ctx *ctx, a2a_mm_seq *s, const a2a_vocab *v, const a2a_chunk *chunks, int n_chunks,
                                a2a_media_embed_fn embed, void *user) {
    if (n_chunks <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "prompt: no chunks");
    int32_t img_open = -1, img_close = -1;
    bool any_media = false;
    int last_text = -1;
    for (int i = 0; i < n_chunks; i++) {
        if (chunks[i].kind == A2A_CHUNK_TEXT) {
            if (!chunks[i].text) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "prompt: text chunk %d has no text", i);
            last_text = i;
        } else if (chunks[i].kind >= A2A_CHUNK_IMAGE && chunks[i].kind <= A2A_CHUNK_VIDEO) {
            any_media = true;
        } else {
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "prompt: chunk %d has unknown kind %d", i, (int)chunks[i].kind);
        }
    }
    a2a_status st;
    if (any_media) {
        if ((st = marker_id(ctx, v, "<Img>", &img_open)) != A2A_OK) return st;
        if ((st = marker_id(ctx, v, "</Img>", &img_close)) != A2A_OK) return st;
        if (!embed) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "prompt: media chunks but no encoder");
    }
    if ((st = a2a_mm_seq_add_text(ctx, s, v, "### Human:", true)) != A2A_OK) return st;
    for (int i = 0; i < n_chunks; i++) {
        const a2a_chunk *c = &chunks[i];
        if (c->kind == A2A_CHUNK_TEXT) {
            const char *suffix = i == n_chunks - 1 ? "\n### Assistant:" : "";
            size_t n = strlen(c->text), m = strlen(suffix);
            char *t = malloc(n + m + 1);
            if (!t) return a2a_fail(ctx, A2A_ERR_NOMEM, "prompt: out of memory");
            memcpy(t, c->text, n);
            memcpy(t + n, suffix, m + 1);
            st = a2a_mm_seq_add_text(ctx, s, v, t, true);
            free(t);
            if (st != A2A_OK) return st;
            continue;
        }
        const float *rows = NULL;
        int32_t n_rows = 0;
        if ((st = embed(ctx, user, c, &rows, &n_rows)) != A2A_OK) return st;
        if (n_rows <= 0 || !rows)
            return a2a_fail(ctx, A2A_ERR_INTERNAL, "prompt: the encoder gave no soft tokens for %s chunk %d",
                            a2a_chunk_kind_name(c->kind), i);
        if ((st = a2a_mm_seq_add_tokens(ctx, s, &img_open, 1)) != A2A_OK) return st;
        if ((st = a2a_mm_seq_add_embd(ctx, s, rows, n_rows)) != A2A_OK) return st;
        if ((st = a2a_mm_seq_add_tokens(ctx, s, &img_close, 1)) != A2A_OK) return st;
        s->n_media++;
    }
    if (last_text != n_chunks - 1) {
        /* trailing media (or no text at all): the assistant cue is its own segment */
        if ((st = a2a_mm_seq_add_text(ctx, s, v, "\n### Assistant:", true)) != A2A_OK) return st;
    }
    return A2A_OK;
}
