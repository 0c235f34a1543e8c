/* Byte-level BPE encoding (GPT-2, LLaMA-3, Qwen2 vocabularies): the text is split by the
   model's pre-tokenizer regex (implemented here by hand over Unicode categories), each piece's
   bytes are mapped to GPT-2's printable byte symbols, and adjacent symbols are merged by the
   lowest merge rank (ties: leftmost first). */
#include "text/merge_queue.h"
#include "text/unicode.h"
#include "text/vocab.h"

#include <stdlib.h>
#include <string.h>

/* ---- GPT-2 bytes_to_unicode ---- */
static bool byte_is_printable(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The 68 non-printable bytes, in order, map to U+0100..U+0143: 0x00-0x20 (33), 0x7F-0xA0 (34),
   then 0xAD. Closed forms, since these run for every byte tokenized and every symbol decoded. */
uint32_t a2a_bpe_byte_to_cp(uint8_t b) {
    if (byte_is_printable(b)) return b;
    if (b <= 0x20) return 256u + b;
    if (b >= 0x7F && b <= 0xA0) return 256u + 33u + (uint32_t)(b - 0x7F);
    return 256u + 67u; /* 0xAD */
}

int a2a_bpe_cp_to_byte(uint32_t cp) {
    if (cp < 256) return byte_is_printable(cp) ? (int)cp : -1;
    if (cp >= 256 + 68) return -1;
    unsigned n = cp - 256;
    if (n < 33) return (int)n;
    if (n < 67) return (int)(0x7F + n - 33);
    return 0xAD;
}

/* ---- pre-tokenizer ---- */
typedef struct cpbuf { uint32_t *cp; size_t *off; size_t n; } cpbuf; /* off has n+1 entries */

static bool is_l(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_LETTER; }
static bool is_n(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_NUMBER; }
static bool is_s(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_SPACE; }
static bool is_other(uint32_t c) { return !is_s(c) && !is_l(c) && !is_n(c); } /* [^\s\p{L}\p{N}] */
static uint32_t lower_ascii(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Length of a contraction ('s 't 're 've 'm 'll 'd) at i, 0 if none. */
static size_t contraction(const cpbuf *b, size_t i, bool icase) {
    if (b->cp[i] != '\'' || i + 1 >= b->n) return 0;
    uint32_t c1 = icase ? lower_ascii(b->cp[i + 1]) : b->cp[i + 1];
    uint32_t c2 = i + 2 < b->n ? (icase ? lower_ascii(b->cp[i + 2]) : b->cp[i + 2]) : 0;
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
    return 0;
}

/* Length of the next pre-token at i (>= 1). */
static size_t next_piece(const cpbuf *b, size_t i, a2a_pretok kind) {
    const uint32_t *c = b->cp;
    size_t n = b->n, j;
    bool llama3 = kind != A2A_PRETOK_GPT2;
    if ((j = contraction(b, i, llama3))) return j;
    if (!llama3) {
        size_t k = i + (c[i] == ' ' && i + 1 < n ? 1 : 0);
        if (is_l(c[k])) { while (k < n && is_l(c[k])) k++; return k - i; }
        k = i + (c[i] == ' ' && i + 1 < n ? 1 : 0);
        if (is_n(c[k])) { while (k < n && is_n(c[k])) k++; return k - i; }
        k = i + (c[i] == ' ' && i + 1 < n ? 1 : 0);
        if (is_other(c[k])) { while (k < n && is_other(c[k])) k++; return k - i; }
    } else {
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        size_t k = i;
        if (c[k] != '\r' && c[k] != '\n' && !is_l(c[k]) && !is_n(c[k]) && k + 1 < n && is_l(c[k + 1])) k++;
        if (is_l(c[k])) { while (k < n && is_l(c[k])) k++; return k - i; }
        /* \p{N}{1,3} (Qwen2: \p{N}) */
        if (is_n(c[i])) {
            size_t max = kind == A2A_PRETOK_QWEN2 ? 1 : 3;
            k = i;
            while (k < n && k - i < max && is_n(c[k])) k++;
            return k - i;
        }
        /* ' '?[^\s\p{L}\p{N}]+[\r\n]* */
        k = i + (c[i] == ' ' && i + 1 < n ? 1 : 0);
        if (is_other(c[k])) {
            while (k < n && is_other(c[k])) k++;
            while (k < n && (c[k] == '\r' || c[k] == '\n')) k++;
            return k - i;
        }
        /* \s*[\r\n]+ : the longest whitespace prefix ending in \r or \n */
        if (is_s(c[i])) {
            size_t end = i, last_nl = 0;
            bool nl = false;
            while (end < n && is_s(c[end])) {
                if (c[end] == '\r' || c[end] == '\n') { nl = true; last_nl = end; }
                end++;
            }
            if (nl) return last_nl + 1 - i;
        }
    }
    /* \s+(?!\S) | \s+ */
    if (is_s(c[i])) {
        size_t end = i;
        while (end < n && is_s(c[end])) end++;
        if (end == n || end - i == 1) return end - i;
        return end - i - 1;
    }
    return 1; /* unreachable for valid categories; keeps progress guaranteed */
}

/* ---- BPE merges over one piece ---- */
typedef a2a_merge_sym bsym;

static a2a_status bpe_piece(a2a_ctx *ctx, const a2a_vocab *v, const char *piece, size_t len, a2a_idvec *out) {
    /* map bytes to symbols: each byte becomes a 1-2 byte UTF-8 code point */
    char *mapped = malloc(len * 2 + 1), *key = malloc(len * 4 + 2);
    bsym *syms = malloc(sizeof(bsym) * (len ? len : 1));
    a2a_status st = A2A_OK;
    if (!mapped || !key || !syms) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory"); goto done; }
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int l = a2a_utf8_encode(a2a_bpe_byte_to_cp((uint8_t)piece[i]), mapped + o);
        syms[i] = (bsym){(int32_t)i - 1, (int32_t)i + 1, (uint32_t)o, (uint32_t)l};
        o += (size_t)l;
    }
    syms[len - 1].next = -1;
    /* fast path: the whole piece is a token */
    int32_t whole = a2a_vocab_find(v, mapped, o);
    if (whole >= 0) { st = a2a_idvec_push(ctx, out, whole); goto done; }
    if (!a2a_bpe_merge_ranked(&v->merge_rank, mapped, syms, len, key))
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    for (int32_t i = 0; !st && i >= 0; i = syms[i].next) {
        int32_t id = a2a_vocab_find(v, mapped + syms[i].off, syms[i].len);
        if (id >= 0) { st = a2a_idvec_push(ctx, out, id); continue; }
        /* not a token: fall back to one token per byte symbol */
        for (uint32_t k = 0; !st && k < syms[i].len;) {
            uint32_t cp;
            int l = a2a_utf8_decode(mapped + syms[i].off + k, syms[i].len - k, &cp);
            int b = l ? a2a_bpe_cp_to_byte(cp) : -1;
            int32_t bid = b >= 0 ? v->byte_to_id[b] : -1;
            if (bid < 0) bid = v->unk;
            if (bid < 0) st = a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: piece has no token and the vocabulary has no byte/unknown token");
            else st = a2a_idvec_push(ctx, out, bid);
            k += l ? (uint32_t)l : 1;
        }
    }
done:
    free(mapped);
    free(key);
    free(syms);
    return st;
}

a2a_status a2a_bpe_encode(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, a2a_idvec *out) {
    if (len == 0) return A2A_OK;
    cpbuf b = {malloc(sizeof(uint32_t) * len), malloc(sizeof(size_t) * (len + 1)), 0};
    if (!b.cp || !b.off) {
        free(b.cp);
        free(b.off);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    }
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int l = a2a_utf8_decode(text + i, len - i, &cp);
        if (!l) { cp = 0xFFFD; l = 1; } /* validated by the caller; defensive */
        b.off[b.n] = i;
        b.cp[b.n++] = cp;
        i += (size_t)l;
    }
    b.off[b.n] = len;
    a2a_status st = A2A_OK;
    for (size_t i = 0; i < b.n && !st;) {
        size_t k = next_piece(&b, i, v->pretok);
        st = bpe_piece(ctx, v, text + b.off[i], b.off[i + k] - b.off[i], out);
        i += k;
    }
    free(b.cp);
    free(b.off);
    return st;
}
