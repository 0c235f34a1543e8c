/* SentencePiece-BPE encoding (LLaMA / Vicuna vocabularies): spaces become U+2581, the text
   is split into code points, and adjacent pieces are merged greedily by the highest score of
   the merged token (ties: leftmost first), as SentencePiece's BPE model and llama.cpp do.
   Pieces left that are not tokens fall back to <0xXX> byte tokens. */
#include "text/vocab.h"
#include "text/merge_queue.h"
#include "text/unicode.h"

#include <stdlib.h>
#include <string.h>

typedef a2a_merge_sym sym;
typedef struct spm_state {
    const a2a_vocab *v;
    const char *text;
    sym *syms;
    a2a_merge_queue h;
} spm_state;

static bool try_bigram(spm_state *s, int32_t left, int32_t right) {
    if (left < 0 || right < 0) return true;
    const sym *a = &s->syms[left], *b = &s->syms[right];
    int32_t id = a2a_vocab_find(s->v, s->text + a->off, a->len + b->len);
    if (id < 0) return true;
    return a2a_merge_push(&s->h, (a2a_merge){left, right, s->v->scores[id], a->len + b->len});
}

/* Emit the ids of one final piece: the token itself, else its bytes. */
static a2a_status emit_piece(a2a_ctx *ctx, const a2a_vocab *v, const char *p, size_t len, a2a_idvec *out) {
    int32_t id = a2a_vocab_find(v, p, len);
    if (id >= 0) return a2a_idvec_push(ctx, out, id);
    for (size_t i = 0; i < len; i++) {
        int32_t b = v->byte_to_id[(unsigned char)p[i]];
        if (b < 0) b = v->unk;
        if (b < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: no byte token for 0x%02X and no unknown token", (unsigned char)p[i]);
        a2a_status st = a2a_idvec_push(ctx, out, b);
        if (st) return st;
    }
    return A2A_OK;
}

a2a_status a2a_spm_encode(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, bool add_prefix, a2a_idvec *out) {
    /* escape: optional leading space, then ' ' -> U+2581 */
    size_t n_spaces = 0;
    for (size_t i = 0; i < len; i++) n_spaces += text[i] == ' ';
    size_t elen = len + 2 * n_spaces + (add_prefix ? 3 : 0); /* ' ' (1 byte) -> U+2581 (3 bytes) */
    char *esc = malloc(elen ? elen : 1);
    sym *syms = malloc(sizeof(sym) * (elen ? elen : 1));
    if (!esc || !syms) {
        free(esc);
        free(syms);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    }
    size_t o = 0;
    if (add_prefix) { memcpy(esc, "\xE2\x96\x81", 3); o = 3; }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') { memcpy(esc + o, "\xE2\x96\x81", 3); o += 3; }
        else esc[o++] = text[i];
    }
    /* one symbol per code point (input is valid UTF-8) */
    int32_t ns = 0;
    for (size_t i = 0; i < elen;) {
        uint32_t cp;
        int l = a2a_utf8_decode(esc + i, elen - i, &cp);
        if (!l) l = 1;
        syms[ns] = (sym){ns - 1, ns + 1, (uint32_t)i, (uint32_t)l};
        ns++;
        i += (size_t)l;
    }
    if (ns) syms[ns - 1].next = -1;
    spm_state s = {v, esc, syms, {0}};
    a2a_status st = A2A_OK;
    for (int32_t i = 1; i < ns; i++)
        if (!try_bigram(&s, i - 1, i)) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory"); goto done; }
    while (s.h.n) {
        a2a_merge bg = a2a_merge_pop(&s.h);
        sym *l = &syms[bg.left], *r = &syms[bg.right];
        if (l->len == 0 || r->len == 0 || l->len + r->len != bg.size) continue; /* stale */
        l->len += r->len;
        r->len = 0;
        l->next = r->next;
        if (r->next >= 0) syms[r->next].prev = bg.left;
        if (!try_bigram(&s, l->prev, bg.left) || !try_bigram(&s, bg.left, l->next)) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
            goto done;
        }
    }
    for (int32_t i = 0; i != -1 && i < ns; i = syms[i].next)
        if ((st = emit_piece(ctx, v, esc + syms[i].off, syms[i].len, out))) break;
done:
    a2a_merge_queue_free(&s.h);
    free(esc);
    free(syms);
    return st;
}
