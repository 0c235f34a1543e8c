/* CLIP BPE tokenizer: text cleaning (ftfy subset, html.unescape, whitespace, str.lower), the
   CLIP pre-tokenizer regex, BPE with the end-of-word suffix, context packing and decoding.
   See clip_vocab.h for what is reproduced and what is not. */
#include "text/clip_vocab.h"
#include "text/merge_queue.h"
#include "text/unicode.h"
#include "text/vocab.h" /* a2a_bpe_byte_to_cp / a2a_bpe_cp_to_byte */

#include <stdlib.h>
#include <string.h>

/* ---- code point vectors (an allocation failure sets oom; checked once per stage) ---- */
typedef struct cpv { uint32_t *v; size_t n, cap; bool oom; } cpv;

static void cpv_push(cpv *c, uint32_t cp) {
    if (c->oom) return;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint32_t *p = realloc(c->v, cap * sizeof(*p));
        if (!p) { c->oom = true; return; }
        c->v = p;
        c->cap = cap;
    }
    c->v[c->n++] = cp;
}

/* Append the code points of a valid NUL-terminated UTF-8 string (table data). */
static void cpv_push_utf8(cpv *c, const char *s) {
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int l = a2a_utf8_decode(s + i, n - i, &cp);
        if (!l) { cp = 0xFFFD; l = 1; }
        cpv_push(c, cp);
        i += (size_t)l;
    }
}

static void cpv_free(cpv *c) { free(c->v); *c = (cpv){0}; }

static bool cpv_equal(const cpv *a, const cpv *b) { return a->n == b->n && (a->n == 0 || !memcmp(a->v, b->v, a->n * sizeof(uint32_t))); }

/* ---- table lookups ---- */
static const char *map_find(const a2a_clip_map *t, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid].cp == cp) return t[mid].s;
        if (t[mid].cp < cp) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Entity text for name[0..n) (ASCII bytes) having any of the flags; NULL if none. */
static const char *entity_find(const char *name, size_t n, int flags) {
    size_t lo = 0, hi = a2a_clip_n_entities;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = a2a_clip_entities[mid].name;
        size_t kl = strlen(k);
        int c = memcmp(k, name, A2A_MIN(kl, n));
        if (c == 0) c = kl < n ? -1 : kl > n;
        if (c == 0) return (a2a_clip_entities[mid].flags & flags) ? a2a_clip_entities[mid].text : NULL;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Python str.lower of one code point (U+0130 handled by the caller). */
static uint32_t lower_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    size_t lo = 0, hi = a2a_clip_n_lower_ranges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const a2a_clip_case_range *r = &a2a_clip_lower_ranges[mid];
        if (cp < r->first) hi = mid;
        else if (cp > r->last) lo = mid + 1;
        else return (cp - r->first) % (uint32_t)r->stride == 0 ? (uint32_t)((int64_t)cp + r->delta) : cp;
    }
    return cp;
}

/* NFC primary composite of (a, b), 0 if none (Hangul algorithmically). */
static uint32_t compose(uint32_t a, uint32_t b) {
    if (a >= 0x1100 && a <= 0x1112 && b >= 0x1161 && b <= 0x1175) return 0xAC00 + ((a - 0x1100) * 21 + (b - 0x1161)) * 28;
    if (a >= 0xAC00 && a <= 0xD7A3 && (a - 0xAC00) % 28 == 0 && b >= 0x11A8 && b <= 0x11C2) return a + (b - 0x11A7);
    size_t lo = 0, hi = a2a_clip_n_comps;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const a2a_clip_comp *c = &a2a_clip_comps[mid];
        if (c->a == a && c->b == b) return c->c;
        if (c->a < a || (c->a == a && c->b < b)) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

static bool is_alnum_ascii(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static bool is_hex(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* ---- html.unescape (Python's), over s[0..n) into out ---- */
static bool invalid_codepoint(uint64_t c) {
    return (c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) || (c >= 0xFDD0 && c <= 0xFDEF) ||
           (c <= 0x10FFFF && (c & 0xFFFE) == 0xFFFE);
}

/* The text of numeric reference value num (html.unescape's rules). */
static void numeric_ref(cpv *out, uint64_t num) {
    const char *fix = num <= 0x10FFFF ? map_find(a2a_clip_invalid_charrefs, a2a_clip_n_invalid_charrefs, (uint32_t)num) : NULL;
    if (fix) { cpv_push_utf8(out, fix); return; }
    if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) { cpv_push(out, 0xFFFD); return; }
    if (invalid_codepoint(num)) return;
    cpv_push(out, (uint32_t)num);
}

static void html_unescape(const uint32_t *s, size_t n, cpv *out) {
    for (size_t i = 0; i < n;) {
        if (s[i] != '&' || i + 1 >= n) { cpv_push(out, s[i++]); continue; }
        size_t j = i + 1;
        if (s[j] == '#') {
            bool hex = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
            size_t k = j + 1;
            if (!hex) {
                uint64_t num = 0;
                while (k < n && s[k] >= '0' && s[k] <= '9') { num = num > 0x10FFFFFF ? num : num * 10 + (s[k] - '0'); k++; }
                if (k > j + 1) {
                    if (k < n && s[k] == ';') k++;
                    numeric_ref(out, num);
                    i = k;
                    continue;
                }
            } else {
                uint64_t num = 0;
                k = j + 2;
                while (k < n && is_hex(s[k])) {
                    uint32_t d = s[k] <= '9' ? s[k] - '0' : (s[k] | 32) - 'a' + 10;
                    num = num > 0x10FFFFFF ? num : num * 16 + d;
                    k++;
                }
                if (k > j + 2) {
                    if (k < n && s[k] == ';') k++;
                    numeric_ref(out, num);
                    i = k;
                    continue;
                }
            }
            cpv_push(out, s[i++]); /* "&#" without digits: literal */
            continue;
        }
        /* named: [^\t\n\f <&#;]{1,32};? */
        size_t k = j;
        while (k < n && k - j < 32 && s[k] != '\t' && s[k] != '\n' && s[k] != '\f' && s[k] != ' ' && s[k] != '<' && s[k] != '&' &&
               s[k] != '#' && s[k] != ';')
            k++;
        if (k == j) { cpv_push(out, s[i++]); continue; }
        if (k < n && s[k] == ';') k++;
        char name[40];
        size_t nl = 0;
        bool ascii = true;
        for (size_t q = j; q < k; q++) {
            if (s[q] >= 0x80) { ascii = false; break; }
            name[nl++] = (char)s[q];
        }
        /* whole name, then the longest prefix of at least 2 characters */
        const char *t = NULL;
        size_t used = 0;
        if (ascii) t = entity_find(name, nl, 1), used = nl;
        for (size_t x = k - j - 1; !t && x >= 2; x--) {
            bool ok = true;
            for (size_t q = 0; q < x; q++) ok = ok && s[j + q] < 0x80;
            if (!ok) continue;
            for (size_t q = 0; q < x; q++) name[q] = (char)s[j + q];
            t = entity_find(name, x, 1);
            used = x;
        }
        if (!t) { /* no entity: '&' + the name, unchanged */
            for (size_t q = i; q < k; q++) cpv_push(out, s[q]);
        } else {
            cpv_push_utf8(out, t);
            for (size_t q = j + used; q < k; q++) cpv_push(out, s[q]);
        }
        i = k;
    }
}

/* ---- ftfy.fix_text subset ---- */
/* ftfy unescape_html: &#?[0-9A-Za-z]{1,24}; replaced when ftfy's table has it, or (starting with
   "&#") through html.unescape of the match. */
static void ftfy_unescape(const uint32_t *s, size_t n, cpv *out) {
    for (size_t i = 0; i < n;) {
        if (s[i] == '&') {
            size_t j = i + 1;
            if (j < n && s[j] == '#') j++;
            size_t k = j;
            while (k < n && k - j < 24 && is_alnum_ascii(s[k])) k++;
            if (k > j && k < n && s[k] == ';') {
                char name[32];
                size_t nl = 0;
                for (size_t q = i + 1; q <= k; q++) name[nl++] = (char)s[q];
                const char *t = entity_find(name, nl, 2);
                if (t) { cpv_push_utf8(out, t); i = k + 1; continue; }
                if (s[i + 1] == '#') { /* kept only when html.unescape consumed the ';' */
                    cpv tmp = {0};
                    html_unescape(s + i, k + 1 - i, &tmp);
                    bool semi = false;
                    for (size_t q = 0; q < tmp.n; q++) semi = semi || tmp.v[q] == ';';
                    if (tmp.oom) out->oom = true;
                    if (!semi && !tmp.oom) {
                        for (size_t q = 0; q < tmp.n; q++) cpv_push(out, tmp.v[q]);
                        cpv_free(&tmp);
                        i = k + 1;
                        continue;
                    }
                    cpv_free(&tmp);
                }
            }
        }
        cpv_push(out, s[i++]);
    }
}

static bool ftfy_control(uint32_t c) {
    return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) || c == 0xFEFF ||
           (c >= 0xFFF9 && c <= 0xFFFC);
}

/* One pass of ftfy's character fixers (after unescaping), in its order: C1 controls, ligatures,
   width, quotes, line breaks, terminal escapes, control characters; then the NFC subset. */
static void ftfy_chars(const cpv *in, cpv *out) {
    cpv a = {0}, b = {0};
    for (size_t i = 0; i < in->n; i++) {
        uint32_t c = in->v[i];
        if (c >= 0x80 && c <= 0x9F) c = a2a_clip_c1[c - 0x80];
        const char *t = map_find(a2a_clip_ligatures, a2a_clip_n_ligatures, c);
        if (!t) t = map_find(a2a_clip_width, a2a_clip_n_width, c);
        if (t) { cpv_push_utf8(&a, t); continue; }
        cpv_push(&a, c);
    }
    /* ligature/width results are plain letters: one more C1/ligature/width pass is never needed */
    for (size_t i = 0; i < a.n; i++) {
        uint32_t c = a.v[i];
        if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) c = '\'';
        else if (c >= 0x201C && c <= 0x201F) c = '"';
        if (c == '\r') {
            if (i + 1 < a.n && a.v[i + 1] == '\n') i++;
            c = '\n';
        } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
            c = '\n';
        }
        cpv_push(&b, c);
    }
    /* terminal escapes ESC [ (digit|;)* letter, then control characters */
    a.n = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (b.v[i] == 0x1B && i + 1 < b.n && b.v[i + 1] == '[') {
            size_t k = i + 2;
            while (k < b.n && ((b.v[k] >= '0' && b.v[k] <= '9') || b.v[k] == ';')) k++;
            if (k < b.n && b.v[k] < 0x80 && ((b.v[k] | 32) >= 'a' && (b.v[k] | 32) <= 'z')) { i = k; continue; }
        }
        if (!ftfy_control(b.v[i])) cpv_push(&a, b.v[i]);
    }
    /* NFC subset: singletons, then adjacent compositions */
    b.n = 0;
    for (size_t i = 0; i < a.n; i++) {
        const char *t = map_find(a2a_clip_nfc_singles, a2a_clip_n_nfc_singles, a.v[i]);
        if (t) cpv_push_utf8(&b, t);
        else cpv_push(&b, a.v[i]);
    }
    for (size_t i = 0; i < b.n; i++) {
        uint32_t c = out->n && !out->oom ? compose(out->v[out->n - 1], b.v[i]) : 0;
        if (c) out->v[out->n - 1] = c;
        else cpv_push(out, b.v[i]);
    }
    if (a.oom || b.oom) out->oom = true;
    cpv_free(&a);
    cpv_free(&b);
}

/* ftfy.fix_text: per line (split after '\n'); HTML unescaping stops for good at the first line
   holding '<'; each line is fixed repeatedly until it stops changing (at most min(length + 2,
   4096) rounds: Python has no bound, but a round that changes anything shortens the line or
   removes characters later rounds cannot bring back, so the bound is not reached in practice). */
static void ftfy_fix_text(const cpv *in, cpv *out) {
    bool unescape = true;
    for (size_t pos = 0; pos < in->n;) {
        size_t end = pos;
        while (end < in->n && in->v[end] != '\n') end++;
        if (end < in->n) end++;
        cpv seg = {0}, tmp = {0};
        for (size_t i = pos; i < end; i++) {
            if (in->v[i] == '<') unescape = false;
            cpv_push(&seg, in->v[i]);
        }
        /* every change so far shrinks or expands to a fixed point; the bound only guards time */
        size_t max_iter = A2A_MIN(seg.n + 2, (size_t)4096);
        for (size_t iter = 0; iter < max_iter && !seg.oom && !tmp.oom; iter++) {
            tmp.n = 0;
            if (unescape) ftfy_unescape(seg.v, seg.n, &tmp);
            else for (size_t i = 0; i < seg.n; i++) cpv_push(&tmp, seg.v[i]);
            cpv next = {0};
            ftfy_chars(&tmp, &next);
            bool same = cpv_equal(&next, &seg);
            cpv_free(&seg);
            seg = next;
            if (same) break;
        }
        for (size_t i = 0; i < seg.n; i++) cpv_push(out, seg.v[i]);
        if (seg.oom || tmp.oom) out->oom = true;
        cpv_free(&seg);
        cpv_free(&tmp);
        pos = end;
    }
}

static bool is_space(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_SPACE; }
static bool is_letter(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_LETTER; }
static bool is_number(uint32_t c) { return a2a_unicode_flags(c) & A2A_UC_NUMBER; }

/* Python's final-sigma context: 1 cased, 2 case-ignorable, 0 neither. */
static int casing(uint32_t c) {
    size_t lo = 0, hi = a2a_clip_n_casing;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c < a2a_clip_casing[mid].first) hi = mid;
        else if (c > a2a_clip_casing[mid].last) lo = mid + 1;
        else return a2a_clip_casing[mid].flags;
    }
    return 0;
}

/* whitespace_clean + str.lower (text already stripped of nothing: leading/trailing space go here). */
static void whitespace_lower(const cpv *in, cpv *out) {
    size_t b = 0, e = in->n;
    while (b < e && is_space(in->v[b])) b++;
    while (e > b && is_space(in->v[e - 1])) e--;
    for (size_t i = b; i < e; i++) {
        uint32_t c = in->v[i];
        if (is_space(c)) {
            while (i + 1 < e && is_space(in->v[i + 1])) i++;
            cpv_push(out, ' ');
            continue;
        }
        if (c == 0x130) { cpv_push(out, 'i'); cpv_push(out, 0x307); continue; }
        if (c == 0x3A3) { /* final sigma: cased letter before, none after (skipping case-ignorables) */
            size_t j = i;
            while (j > b && casing(in->v[j - 1]) == 2) j--;
            bool final = j > b && casing(in->v[j - 1]) == 1;
            if (final) {
                size_t k = i + 1;
                while (k < e && casing(in->v[k]) == 2) k++;
                final = k == e || casing(in->v[k]) != 1;
            }
            cpv_push(out, final ? 0x3C2 : 0x3C3);
            continue;
        }
        cpv_push(out, lower_cp(c));
    }
}

static a2a_status decode_input(a2a_ctx *ctx, const char *text, size_t len, cpv *out) {
    size_t bad;
    if (!a2a_utf8_check(text, len, &bad))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip tokenizer: input is not valid UTF-8 (byte %zu)", bad);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        int l = a2a_utf8_decode(text + i, len - i, &cp);
        cpv_push(out, cp);
        i += (size_t)l;
    }
    return out->oom ? a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory") : A2A_OK;
}

/* Cleaned code points of text (steps 1-3 of clip_vocab.h). */
static a2a_status clean_cps(a2a_ctx *ctx, const char *text, size_t len, a2a_clip_clean mode, cpv *out) {
    cpv in = {0}, a = {0}, b = {0};
    a2a_status st = decode_input(ctx, text, len, &in);
    if (st) { cpv_free(&in); return st; }
    const cpv *cur = &in;
    if (mode != A2A_CLIP_CLEAN_NONE) {
        ftfy_fix_text(&in, &a);
        cur = &a;
        if (mode == A2A_CLIP_CLEAN_OPENAI) {
            html_unescape(a.v, a.n, &b);
            in.n = 0;
            html_unescape(b.v, b.n, &in);
            cur = &in;
            if (a.oom || b.oom) in.oom = true;
        }
    }
    whitespace_lower(cur, out);
    if (in.oom || a.oom || b.oom || out->oom) st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory");
    cpv_free(&in);
    cpv_free(&a);
    cpv_free(&b);
    return st;
}

a2a_status a2a_clip_clean_text(a2a_ctx *ctx, const char *text, size_t len, a2a_clip_clean mode, char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    cpv c = {0};
    a2a_status st = clean_cps(ctx, text, len, mode, &c);
    char *buf = st ? NULL : malloc(c.n * 4 + 1);
    if (!st && !buf) st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory");
    if (!st) {
        size_t o = 0;
        for (size_t i = 0; i < c.n; i++) o += (size_t)a2a_utf8_encode(c.v[i], buf + o);
        buf[o] = 0;
        *out = buf;
        *out_len = o;
    }
    cpv_free(&c);
    return st;
}

/* ---- BPE over one pre-token ---- */
typedef struct clip_bpe {
    char *text;            /* mapped symbols + "</w>" */
    a2a_merge_sym *syms;
    char *key;             /* scratch "left right" */
} clip_bpe;

/* Ids of the piece bytes[0..n) (n >= 1) appended to out. */
static a2a_status bpe_word(a2a_ctx *ctx, const a2a_clip_vocab *v, const uint8_t *bytes, size_t n, a2a_idvec *out) {
    clip_bpe s = {malloc(n * 2 + 4), malloc(sizeof(a2a_merge_sym) * n), malloc(n * 4 + 10)};
    a2a_status st = A2A_OK;
    if (!s.text || !s.syms || !s.key) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory"); goto done; }
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int l = a2a_utf8_encode(a2a_bpe_byte_to_cp(bytes[i]), s.text + o);
        s.syms[i] = (a2a_merge_sym){(int32_t)i - 1, (int32_t)i + 1, (uint32_t)o, (uint32_t)l};
        o += (size_t)l;
    }
    memcpy(s.text + o, "</w>", 4);
    s.syms[n - 1].len += 4;
    s.syms[n - 1].next = -1;
    o += 4;
    int32_t whole = a2a_clip_vocab_find(v, s.text, o);
    if (whole >= 0) { st = a2a_idvec_push(ctx, out, whole); goto done; }
    if (!a2a_bpe_merge_ranked(&v->merge_rank, s.text, s.syms, n, s.key))
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory");
    for (int32_t i = 0; !st && i >= 0; i = s.syms[i].next) {
        int32_t id = a2a_clip_vocab_find(v, s.text + s.syms[i].off, s.syms[i].len);
        if (id >= 0) { st = a2a_idvec_push(ctx, out, id); continue; }
        /* a merge whose result is not a token (inconsistent file): one token per byte. A merged
           symbol keeps the index of its first byte and covers the bytes up to the next symbol. */
        size_t end = s.syms[i].next >= 0 ? (size_t)s.syms[i].next : n;
        for (size_t k = (size_t)i; !st && k < end; k++) st = a2a_idvec_push(ctx, out, k == n - 1 ? v->byte_id_w[bytes[k]] : v->byte_id[bytes[k]]);
    }
done:
    free(s.text);
    free(s.syms);
    free(s.key);
    return st;
}

/* ---- pre-tokenizer ---- */
static bool match_ascii(const cpv *c, size_t i, const char *lit) {
    size_t n = strlen(lit);
    if (i + n > c->n) return false;
    for (size_t k = 0; k < n; k++)
        if (c->v[i + k] != (uint32_t)(unsigned char)lit[k]) return false;
    return true;
}

/* Length of a contraction at i ('s 't 're 've 'm 'll 'd, case-insensitive), 0 if none. */
static size_t contraction(const cpv *c, size_t i) {
    if (c->v[i] != '\'' || i + 1 >= c->n) return 0;
    uint32_t a = c->v[i + 1], b = i + 2 < c->n ? c->v[i + 2] : 0;
    if (a < 0x80) a |= 32;
    if (b < 0x80) b |= 32;
    if (a == 's' || a == 0x17F || a == 't' || a == 'm' || a == 'd') return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
    return 0;
}

/* Clean and tokenize one fragment, appending to out. */
static a2a_status tokenize_fragment(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, a2a_clip_clean mode,
                                    a2a_idvec *out_ids) {
    cpv c = {0};
    a2a_status st = clean_cps(ctx, text, len, mode, &c);
    a2a_idvec out = *out_ids;
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (size_t i = 0; !st && i < c.n;) {
        if (is_space(c.v[i])) { i++; continue; }
        if (match_ascii(&c, i, "<|startoftext|>")) { st = a2a_idvec_push(ctx, &out, v->sot); i += 15; continue; }
        if (match_ascii(&c, i, "<|endoftext|>")) { st = a2a_idvec_push(ctx, &out, v->eot); i += 13; continue; }
        size_t k = contraction(&c, i);
        if (!k) {
            k = i + 1;
            if (is_letter(c.v[i])) while (k < c.n && is_letter(c.v[k])) k++;
            else if (!is_number(c.v[i]))
                while (k < c.n && !is_space(c.v[k]) && !is_letter(c.v[k]) && !is_number(c.v[k])) k++;
            k -= i;
        }
        if ((k * 4) > cap) {
            cap = k * 4 + 64;
            uint8_t *p = realloc(buf, cap);
            if (!p) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip tokenizer: out of memory"); break; }
            buf = p;
        }
        size_t nb = 0;
        for (size_t q = i; q < i + k; q++) nb += (size_t)a2a_utf8_encode(c.v[q], (char *)buf + nb);
        st = bpe_word(ctx, v, buf, nb, &out);
        i += k;
    }
    free(buf);
    cpv_free(&c);
    *out_ids = out;
    return st;
}

/* Earliest exact occurrence of "<|startoftext|>" or "<|endoftext|>" in s[0..n): its offset (n if
   none), the id in *id and the text length in *tl. */
static size_t find_special_text(const a2a_clip_vocab *v, const char *s, size_t n, int32_t *id, size_t *tl) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '<') continue;
        if (n - i >= 15 && !memcmp(s + i, "<|startoftext|>", 15)) { *id = v->sot; *tl = 15; return i; }
        if (n - i >= 13 && !memcmp(s + i, "<|endoftext|>", 13)) { *id = v->eot; *tl = 13; return i; }
    }
    return n;
}

a2a_status a2a_clip_tokenize(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, a2a_clip_clean mode,
                             int32_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    size_t bad;
    if (!a2a_utf8_check(text, len, &bad))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip tokenizer: input is not valid UTF-8 (byte %zu)", bad);
    a2a_idvec out = {0};
    a2a_status st = A2A_OK;
    if (mode != A2A_CLIP_CLEAN_HF) {
        st = tokenize_fragment(ctx, v, text, len, mode, &out);
    } else {
        /* transformers splits the raw text at its special tokens first (case-sensitive), then
           cleans and tokenizes each piece on its own */
        for (size_t pos = 0; !st && pos < len;) {
            int32_t sid = -1;
            size_t tl = 0, at = find_special_text(v, text + pos, len - pos, &sid, &tl);
            if (at > 0) st = tokenize_fragment(ctx, v, text + pos, at, mode, &out);
            if (!st && sid >= 0) st = a2a_idvec_push(ctx, &out, sid);
            pos += at + tl;
        }
    }
    if (st) {
        free(out.v);
        return st;
    }
    *ids = out.v;
    *n = out.n;
    return A2A_OK;
}

a2a_clip_params a2a_clip_default_params(void) {
    return (a2a_clip_params){.context = A2A_CLIP_CONTEXT, .pad_id = 0, .keep_eot = false, .clean = A2A_CLIP_CLEAN_OPENAI};
}

a2a_clip_params a2a_clip_hf_params(void) {
    return (a2a_clip_params){.context = A2A_CLIP_CONTEXT, .pad_id = -1, .keep_eot = true, .clean = A2A_CLIP_CLEAN_HF};
}

a2a_status a2a_clip_encode(a2a_ctx *ctx, const a2a_clip_vocab *v, const char *text, size_t len, const a2a_clip_params *p,
                           int32_t *out, int32_t *n_used) {
    if (n_used) *n_used = 0;
    if (p->context < 2 || p->context > (1 << 20))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip tokenizer: context length %d is out of range (2..%d)", p->context, 1 << 20);
    int32_t pad = p->pad_id < 0 ? v->eot : p->pad_id;
    if (pad >= v->n_tokens) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip tokenizer: pad id %d is not a token", pad);
    int32_t *ids;
    size_t n;
    a2a_status st = a2a_clip_tokenize(ctx, v, text, len, p->clean, &ids, &n);
    if (st) return st;
    size_t ctxn = (size_t)p->context, k = 0;
    out[k++] = v->sot;
    for (size_t i = 0; i < n && k < ctxn; i++) out[k++] = ids[i];
    if (k < ctxn) out[k++] = v->eot;
    else if (p->keep_eot) out[ctxn - 1] = v->eot;
    if (n_used) *n_used = (int32_t)k;
    for (; k < ctxn; k++) out[k] = pad;
    free(ids);
    return A2A_OK;
}

/* Append bytes to a growing buffer; false on allocation failure. */
static bool buf_add(char **b, size_t *n, size_t *cap, const char *s, size_t len) {
    if (*n + len + 1 > *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        while (c < *n + len + 1) c *= 2;
        char *p = realloc(*b, c);
        if (!p) return false;
        *b = p;
        *cap = c;
    }
    memcpy(*b + *n, s, len);
    *n += len;
    (*b)[*n] = 0;
    return true;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 with *skip = the maximal invalid subpart. */
static int utf8_subpart(const uint8_t *s, size_t n, size_t *skip) {
    uint8_t c = s[0];
    int need;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) need = 2, lo = 0xA0;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) need = 2;
    else if (c == 0xED) need = 2, hi = 0x9F;
    else if (c == 0xF0) need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) need = 3, hi = 0x8F;
    else { *skip = 1; return 0; }
    size_t k = 1;
    while ((int)k <= need && k < n && s[k] >= (k == 1 ? lo : 0x80) && s[k] <= (k == 1 ? hi : 0xBF)) k++;
    if ((int)k == need + 1) return need + 1;
    *skip = k;
    return 0;
}

a2a_status a2a_clip_decode(a2a_ctx *ctx, const a2a_clip_vocab *v, const int32_t *ids, size_t n, bool skip_special, char **out,
                           size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    char *raw = NULL, *res = NULL;
    size_t rn = 0, rcap = 0, on = 0, ocap = 0;
    bool ok = buf_add(&raw, &rn, &rcap, "", 0) && buf_add(&res, &on, &ocap, "", 0);
    for (size_t i = 0; ok && i < n; i++) {
        size_t tl;
        const char *t = a2a_clip_vocab_text(v, ids[i], &tl);
        if (!t) {
            free(raw);
            free(res);
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip decode: token id %d is out of range (vocabulary has %d)", ids[i], v->n_tokens);
        }
        if (skip_special && (ids[i] == v->sot || ids[i] == v->eot)) continue;
        for (size_t k = 0; ok && k < tl;) { /* byte symbols back to bytes */
            uint32_t cp;
            int l = a2a_utf8_decode(t + k, tl - k, &cp);
            if (!l) { l = 1; cp = 0xFFFD; }
            int b = a2a_bpe_cp_to_byte(cp);
            char ch = (char)b;
            ok = b >= 0 ? buf_add(&raw, &rn, &rcap, &ch, 1) : buf_add(&raw, &rn, &rcap, t + k, (size_t)l);
            k += (size_t)l;
        }
    }
    /* bytes -> text with U+FFFD for invalid parts, then "</w>" -> " " */
    for (size_t i = 0; ok && i < rn;) {
        size_t skip = 1;
        int l = utf8_subpart((const uint8_t *)raw + i, rn - i, &skip);
        if (l) { ok = buf_add(&res, &on, &ocap, raw + i, (size_t)l); i += (size_t)l; }
        else { ok = buf_add(&res, &on, &ocap, "\xEF\xBF\xBD", 3); i += skip; }
    }
    size_t w = 0;
    for (size_t i = 0; ok && i < on;) {
        if (i + 4 <= on && !memcmp(res + i, "</w>", 4)) { res[w++] = ' '; i += 4; }
        else res[w++] = res[i++];
    }
    free(raw);
    if (!ok) {
        free(res);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clip decode: out of memory");
    }
    res[w] = 0;
    *out = res;
    *out_len = w;
    return A2A_OK;
}
