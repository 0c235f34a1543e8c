#define _GNU_SOURCE
#include "pipeline/textgen.h"

#include <stdlib.h>
#include <string.h>

/* Length of the longest prefix of s[0..n) that ends on a UTF-8 character boundary. */
static size_t utf8_complete(const char *s, size_t n) {
    size_t i = n;
    int back = 0;
    while (i > 0 && back < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) { i--; back++; }
    if (i == 0) return n;
    unsigned char lead = (unsigned char)s[i - 1];
    int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return (back + 1 >= need) ? n : i - 1;
}

/* Bytes at the end of s[0..n) that could still grow into `stop` (a proper prefix of it). */
static size_t stop_prefix_len(const char *s, size_t n, const char *stop, size_t sl) {
    for (size_t k = sl - 1; k > 0; k--)
        if (k <= n && !memcmp(s + n - k, stop, k)) return k;
    return 0;
}

a2a_status a2a_textgen_run(a2a_ctx *ctx, a2a_llm_session *s, a2a_sampler *smp, const a2a_vocab *v,
                           const a2a_textgen_params *p, a2a_text_fn on_text, void *user, const volatile int *cancel,
                           a2a_textgen_result *res) {
    memset(res, 0, sizeof(*res));
    size_t cap = 0, emitted = 0, sl = p->stop ? strlen(p->stop) : 0;
    a2a_status st = A2A_OK;
    for (;;) {
        if (cancel && *cancel) { res->cancelled = true; break; }
        float *logits = s->logits + (size_t)(s->n_out - 1) * s->m->hp.n_vocab;
        const float *hidden = s->hidden + (size_t)(s->n_out - 1) * s->m->hp.n_embd;
        const a2a_textgen_hooks *hk = p->hooks;
        int32_t tok = hk && hk->before ? hk->before(hk->user, logits, s->m->hp.n_vocab) : -1;
        if (tok < 0) {
            if (p->n_predict > 0 && res->n_tokens >= p->n_predict) { res->hit_limit = true; break; }
            tok = a2a_sampler_sample(smp, logits);
            if (tok == v->eos && !p->ignore_eos) { res->hit_eos = true; break; }
        }
        bool emit = true;
        if (hk && hk->after) tok = hk->after(hk->user, tok, hidden, &emit);
        if (tok < 0 || tok >= s->m->hp.n_vocab) { st = a2a_fail(ctx, A2A_ERR_INTERNAL, "textgen: hook gave token %d", tok); break; }
        a2a_sampler_accept(smp, tok);
        res->n_tokens++;
        if (emit && (st = a2a_detokenize_piece(ctx, v, tok, p->render_special, &res->text, &res->len, &cap))) break;
        /* stop string: cut the reply there */
        size_t avail = res->len;
        if (sl && res->text) {
            const char *hit = memmem(res->text + (emitted > sl ? emitted - sl : 0), res->len - (emitted > sl ? emitted - sl : 0), p->stop, sl);
            if (hit) {
                res->len = (size_t)(hit - res->text);
                res->text[res->len] = 0;
                res->hit_stop = true;
                avail = res->len;
            } else {
                avail -= stop_prefix_len(res->text, res->len, p->stop, sl);
            }
        }
        avail = res->text ? utf8_complete(res->text, avail) : 0;
        if (avail > emitted && on_text) {
            if (on_text(res->text + emitted, avail - emitted, user)) { emitted = avail; res->cancelled = true; }
        }
        if (avail > emitted) emitted = avail;
        if (s->n_past >= s->n_ctx) { res->context_full = true; break; }
        st = a2a_llm_decode(ctx, s, &tok, NULL, NULL, 1, NULL, cancel);
        if (st == A2A_ERR_CANCELLED) { st = A2A_OK; res->cancelled = true; break; }
        if (st || res->hit_stop || res->cancelled) break;
    }
    if (!st && on_text && res->len > emitted) on_text(res->text + emitted, res->len - emitted, user);
    if (!res->text) {
        res->text = calloc(1, 1);
        if (!res->text && !st) st = a2a_fail(ctx, A2A_ERR_NOMEM, "textgen: out of memory");
    }
    return st;
}
