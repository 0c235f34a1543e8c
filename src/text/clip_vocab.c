/* CLIP BPE vocabulary: loading from bpe_simple_vocab_16e6.txt.gz, a Hugging Face folder or
   GGUF metadata, and writing GGUF metadata (see clip_vocab.h for the formats). */
#include "text/clip_vocab.h"
#include "io/json.h"
#include "text/vocab.h" /* a2a_bpe_byte_to_cp: GPT-2 bytes_to_unicode */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define EOW "</w>"
#define SOT_TEXT "<|startoftext|>"
#define EOT_TEXT "<|endoftext|>"

/* ---- a growing list of strings: blob + offsets ---- */
typedef struct strlist {
    char *blob;
    size_t len, cap;
    uint32_t *off, *slen;
    size_t n, ncap;
} strlist;

static void strlist_free(strlist *l) {
    free(l->blob);
    free(l->off);
    free(l->slen);
}

/* Append the concatenation of a[0..an), b[0..bn) and c[0..cn) as one string. */
static a2a_status strlist_push3(a2a_ctx *ctx, strlist *l, const char *a, size_t an, const char *b, size_t bn, const char *c,
                                size_t cn) {
    size_t bn0 = bn;
    bn += cn; /* b and c are written back to back below */
    if (l->len + an + bn > UINT32_MAX - 1) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: token texts too large");
    if (l->n >= A2A_CLIP_MAX_TOKENS) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: more than %d entries", A2A_CLIP_MAX_TOKENS);
    if (l->len + an + bn + 1 > l->cap) {
        size_t c = l->cap ? l->cap : 4096;
        while (c < l->len + an + bn + 1) c *= 2;
        char *p = realloc(l->blob, c);
        if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
        l->blob = p;
        l->cap = c;
    }
    if (l->n == l->ncap) {
        size_t c = l->ncap ? l->ncap * 2 : 1024;
        uint32_t *o = realloc(l->off, c * sizeof(*o));
        if (!o) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
        l->off = o;
        uint32_t *s = realloc(l->slen, c * sizeof(*s));
        if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
        l->slen = s;
        l->ncap = c;
    }
    if (an) memcpy(l->blob + l->len, a, an);
    if (bn0) memcpy(l->blob + l->len + an, b, bn0);
    if (cn) memcpy(l->blob + l->len + an + bn0, c, cn);
    l->off[l->n] = (uint32_t)l->len;
    l->slen[l->n] = (uint32_t)(an + bn);
    l->len += an + bn;
    l->n++;
    return A2A_OK;
}

static a2a_status strlist_push2(a2a_ctx *ctx, strlist *l, const char *a, size_t an, const char *b, size_t bn) {
    return strlist_push3(ctx, l, a, an, b, bn, "", 0);
}

/* ---- vocab ---- */
void a2a_clip_vocab_free(a2a_clip_vocab *v) {
    if (!v) return;
    free(v->blob);
    free(v->text_off);
    free(v->text_len);
    free(v->merge_blob);
    free(v->merge_off);
    free(v->merge_len);
    a2a_strmap_free(&v->text_to_id);
    a2a_strmap_free(&v->merge_rank);
    free(v);
}

const char *a2a_clip_vocab_text(const a2a_clip_vocab *v, int32_t id, size_t *len) {
    if (id < 0 || id >= v->n_tokens) return NULL;
    *len = v->text_len[id];
    return v->blob + v->text_off[id];
}

int32_t a2a_clip_vocab_find(const a2a_clip_vocab *v, const char *text, size_t len) {
    return (int32_t)a2a_strmap_get(&v->text_to_id, text, len);
}

/* Take ownership of the token and merge lists (emptied) and build the maps. sot/eot/pad: ids
   from the file or -1 (then SOT/EOT are looked up by text). On error everything is freed. */
static a2a_status finish(a2a_ctx *ctx, strlist *tok, strlist *mer, int32_t sot, int32_t eot, int32_t pad,
                         a2a_clip_vocab **out) {
    *out = NULL;
    a2a_status st = A2A_OK;
    a2a_clip_vocab *v = calloc(1, sizeof(*v));
    if (!v) {
        strlist_free(tok);
        strlist_free(mer);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
    }
    v->n_tokens = (int32_t)tok->n;
    v->blob = tok->blob;
    v->text_off = tok->off;
    v->text_len = tok->slen;
    v->n_merges = (int32_t)mer->n;
    v->merge_blob = mer->blob;
    v->merge_off = mer->off;
    v->merge_len = mer->slen;
    memset(tok, 0, sizeof(*tok));
    memset(mer, 0, sizeof(*mer));
    if (v->n_tokens < 514) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %d tokens is too few (the 512 byte symbols and 2 specials at least)", v->n_tokens); goto fail; }
    if ((st = a2a_strmap_init(ctx, &v->text_to_id, (size_t)v->n_tokens))) goto fail;
    for (int32_t i = 0; i < v->n_tokens; i++) {
        bool ins;
        if (memchr(v->blob + v->text_off[i], 0, v->text_len[i])) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: token %d contains a NUL byte", i); goto fail; }
        if ((st = a2a_strmap_put(ctx, &v->text_to_id, v->blob + v->text_off[i], v->text_len[i], i, &ins))) goto fail;
        if (!ins) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: token %d '%.*s' appears twice", i, (int)A2A_MIN(v->text_len[i], 64u),
                          v->blob + v->text_off[i]);
            goto fail;
        }
    }
    if ((st = a2a_strmap_init(ctx, &v->merge_rank, (size_t)(v->n_merges ? v->n_merges : 1)))) goto fail;
    for (int32_t i = 0; i < v->n_merges; i++) /* a repeated merge keeps its first (best) rank */
        if ((st = a2a_strmap_put(ctx, &v->merge_rank, v->merge_blob + v->merge_off[i], v->merge_len[i], i, NULL))) goto fail;
    for (int b = 0; b < 256; b++) {
        char buf[8];
        int l = a2a_utf8_encode(a2a_bpe_byte_to_cp((uint8_t)b), buf);
        memcpy(buf + l, EOW, 4);
        v->byte_id[b] = a2a_clip_vocab_find(v, buf, (size_t)l);
        v->byte_id_w[b] = a2a_clip_vocab_find(v, buf, (size_t)l + 4);
        if (v->byte_id[b] < 0 || v->byte_id_w[b] < 0) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: the symbol of byte 0x%02X (with and without </w>) must be a token", b);
            goto fail;
        }
    }
    v->sot = sot >= 0 ? sot : a2a_clip_vocab_find(v, SOT_TEXT, strlen(SOT_TEXT));
    v->eot = eot >= 0 ? eot : a2a_clip_vocab_find(v, EOT_TEXT, strlen(EOT_TEXT));
    if (v->sot < 0 || v->eot < 0 || v->sot >= v->n_tokens || v->eot >= v->n_tokens) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: no " SOT_TEXT " / " EOT_TEXT " token");
        goto fail;
    }
    v->pad = pad >= 0 && pad < v->n_tokens ? pad : -1;
    *out = v;
    return A2A_OK;
fail:
    a2a_clip_vocab_free(v);
    return st;
}

/* Parse one merge line s[0..n) ("left right", blanks around tolerated as Python's split()) into
   its two parts. False when it is not exactly two parts. */
static bool split_merge(const char *s, size_t n, const char **a, size_t *an, const char **b, size_t *bn) {
#define BLANK(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\v' || (c) == '\f')
    size_t i = 0;
    while (i < n && BLANK(s[i])) i++;
    size_t s0 = i;
    while (i < n && !BLANK(s[i])) i++;
    size_t e0 = i;
    while (i < n && BLANK(s[i])) i++;
    size_t s1 = i;
    while (i < n && !BLANK(s[i])) i++;
    size_t e1 = i;
    while (i < n && BLANK(s[i])) i++;
#undef BLANK
    if (e0 == s0 || e1 == s1 || i != n) return false;
    *a = s + s0;
    *an = e0 - s0;
    *b = s + s1;
    *bn = e1 - s1;
    return true;
}

/* Merges from '\n'-separated text: line 0 skipped, then up to max_merges lines (a last empty
   line, from a final newline, is ignored). Each becomes "left right" in mer; when tok is not
   NULL, "leftright" is appended to it too. */
static a2a_status read_merges(a2a_ctx *ctx, const char *text, size_t len, size_t max_merges, const char *what, strlist *mer,
                              strlist *tok) {
    if (!a2a_utf8_valid(text, len)) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s is not valid UTF-8", what);
    size_t pos = 0, line = 0;
    while (pos < len && mer->n < max_merges) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (line > 0) {
            const char *a, *b;
            size_t an, bn;
            if (end == pos && end >= len - 1) break; /* trailing empty line */
            if (!split_merge(text + pos, end - pos, &a, &an, &b, &bn))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s line %zu is not a merge 'left right'", what, line + 1);
            a2a_status st = strlist_push3(ctx, mer, a, an, " ", 1, b, bn);
            if (!st && tok) st = strlist_push2(ctx, tok, a, an, b, bn);
            if (st) return st;
        }
        line++;
        pos = end + 1;
    }
    return A2A_OK;
}

/* The 512 byte-symbol tokens in bytes_to_unicode order (printable bytes first), without and
   then with "</w>". */
static a2a_status push_byte_tokens(a2a_ctx *ctx, strlist *tok) {
    uint8_t order[256];
    int k = 0;
    for (int b = 0; b < 256; b++)
        if (a2a_bpe_byte_to_cp((uint8_t)b) == (uint32_t)b) order[k++] = (uint8_t)b;
    for (int b = 0; b < 256; b++)
        if (a2a_bpe_byte_to_cp((uint8_t)b) != (uint32_t)b) order[k++] = (uint8_t)b;
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < 256; i++) {
            char buf[4];
            int l = a2a_utf8_encode(a2a_bpe_byte_to_cp(order[i]), buf);
            a2a_status st = strlist_push2(ctx, tok, buf, (size_t)l, EOW, w ? 4 : 0);
            if (st) return st;
        }
    return A2A_OK;
}

a2a_status a2a_clip_vocab_load_bpe_text(a2a_ctx *ctx, const char *text, size_t len, a2a_clip_vocab **out) {
    *out = NULL;
    strlist tok = {0}, mer = {0};
    a2a_status st = push_byte_tokens(ctx, &tok);
    if (!st) st = read_merges(ctx, text, len, A2A_CLIP_N_MERGES, "bpe vocabulary", &mer, &tok);
    if (!st) st = strlist_push2(ctx, &tok, SOT_TEXT, strlen(SOT_TEXT), "", 0);
    if (!st) st = strlist_push2(ctx, &tok, EOT_TEXT, strlen(EOT_TEXT), "", 0);
    if (st) {
        strlist_free(&tok);
        strlist_free(&mer);
        return st;
    }
    return finish(ctx, &tok, &mer, -1, -1, -1, out);
}

/* Whole file (gzip-decompressed when it is gzip; zlib reads plain files as is). Limit 256 MiB. */
static a2a_status read_gz(a2a_ctx *ctx, const char *path, char **data, size_t *len) {
    *data = NULL;
    *len = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "clip vocab: cannot open %s", path);
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    a2a_status st = A2A_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= (256u << 20)) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s decompresses to more than 256 MiB", path); break; }
            char *p = realloc(buf, cap * 2);
            if (!p) break;
            buf = p;
            cap *= 2;
        }
        int r = gzread(f, buf + n, (unsigned)(cap - n));
        if (r < 0) {
            int errnum;
            const char *msg = gzerror(f, &errnum);
            st = a2a_fail(ctx, A2A_ERR_IO, "clip vocab: %s: %s", path, msg ? msg : "read error");
            break;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    gzclose(f);
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = n;
    return A2A_OK;
}

a2a_status a2a_clip_vocab_load_bpe_gz(a2a_ctx *ctx, const char *path, a2a_clip_vocab **out) {
    *out = NULL;
    char *data;
    size_t len;
    a2a_status st = read_gz(ctx, path, &data, &len);
    if (st) return st;
    st = a2a_clip_vocab_load_bpe_text(ctx, data, len, out);
    free(data);
    if (st) a2a_error_prefix(ctx, "%s", path);
    return st;
}

/* ---- Hugging Face folder ---- */
static a2a_status read_file(a2a_ctx *ctx, const char *path, char **data, size_t *len) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "clip vocab: cannot open %s", path);
    a2a_status st = A2A_OK;
    long sz = -1;
    if (fseek(f, 0, SEEK_END) == 0) sz = ftell(f);
    if (sz < 0 || sz > (256L << 20) || fseek(f, 0, SEEK_SET) != 0) st = a2a_fail(ctx, A2A_ERR_IO, "clip vocab: cannot read %s (or larger than 256 MiB)", path);
    char *buf = st ? NULL : malloc((size_t)sz + 1);
    if (!st && !buf) st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
    if (!st && fread(buf, 1, (size_t)sz, f) != (size_t)sz) st = a2a_fail(ctx, A2A_ERR_IO, "clip vocab: cannot read %s", path);
    fclose(f);
    if (st) {
        free(buf);
        return st;
    }
    *data = buf;
    *len = (size_t)sz;
    return A2A_OK;
}

a2a_status a2a_clip_vocab_load_hf(a2a_ctx *ctx, const char *dir, a2a_clip_vocab **out) {
    *out = NULL;
    char path[4096];
    strlist tok = {0}, mer = {0};
    a2a_json *doc = NULL;
    char *mtext = NULL;
    size_t mlen = 0;
    int32_t *pos = NULL; /* id -> member index */
    a2a_status st = A2A_OK;
    if (snprintf(path, sizeof(path), "%s/vocab.json", dir) >= (int)sizeof(path)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip vocab: path too long");
    if ((st = a2a_json_parse_file(ctx, path, &doc))) { a2a_error_prefix(ctx, "%s", path); goto done; }
    const a2a_json_value *root = a2a_json_root(doc);
    size_t n = a2a_json_len(root);
    if (!a2a_json_is_object(root) || n == 0 || n > A2A_CLIP_MAX_TOKENS) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: expected an object of 1..%d tokens", path, A2A_CLIP_MAX_TOKENS);
        goto done;
    }
    pos = malloc(n * sizeof(*pos));
    if (!pos) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory"); goto done; }
    for (size_t i = 0; i < n; i++) pos[i] = -1;
    for (size_t i = 0; i < n; i++) {
        int64_t id;
        if (!a2a_json_int(a2a_json_at(root, i), &id) || id < 0 || (uint64_t)id >= n || pos[id] >= 0) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: token '%s' has a bad or repeated id (ids must be 0..%zu, each once)", path,
                          a2a_json_key_at(root, i), n - 1);
            goto done;
        }
        pos[id] = (int32_t)i;
    }
    for (size_t id = 0; id < n && !st; id++) {
        const char *k = a2a_json_key_at(root, (size_t)pos[id]);
        st = strlist_push2(ctx, &tok, k, a2a_json_key_len(root, (size_t)pos[id]), "", 0);
    }
    if (st) goto done;
    if (snprintf(path, sizeof(path), "%s/merges.txt", dir) >= (int)sizeof(path)) { st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "clip vocab: path too long"); goto done; }
    if ((st = read_file(ctx, path, &mtext, &mlen))) goto done;
    /* CLIPTokenizer: read().strip().split("\n")[1:48895] */
    size_t b = 0, e = mlen;
    while (b < e && (mtext[b] == ' ' || mtext[b] == '\n' || mtext[b] == '\r' || mtext[b] == '\t')) b++;
    while (e > b && (mtext[e - 1] == ' ' || mtext[e - 1] == '\n' || mtext[e - 1] == '\r' || mtext[e - 1] == '\t')) e--;
    st = read_merges(ctx, mtext + b, e - b, A2A_CLIP_N_MERGES, "merges.txt", &mer, NULL);
done:
    free(pos);
    free(mtext);
    a2a_json_free(doc);
    if (st) {
        strlist_free(&tok);
        strlist_free(&mer);
        return st;
    }
    st = finish(ctx, &tok, &mer, -1, -1, -1, out);
    if (st) a2a_error_prefix(ctx, "%s", dir);
    return st;
}

/* ---- GGUF ---- */
static a2a_status gguf_strings(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool required, strlist *l) {
    a2a_gguf_vtype et;
    uint64_t n;
    if (a2a_gguf_find_key(g, key) < 0) return required ? a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: GGUF has no %s", key) : A2A_OK;
    if (a2a_gguf_get_arr_info(ctx, g, key, &et, &n) != A2A_OK || et != A2A_GGUF_STRING)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s must be a string array", key);
    if (n > A2A_CLIP_MAX_TOKENS) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s has %llu entries (at most %d)", key, (unsigned long long)n, A2A_CLIP_MAX_TOKENS);
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        const char *s = a2a_gguf_get_arr_str(g, key, i, &len);
        if (!s || !a2a_utf8_valid(s, len)) return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s[%llu] is not valid UTF-8", key, (unsigned long long)i);
        a2a_status st = strlist_push2(ctx, l, s, len, "", 0);
        if (st) return st;
    }
    return A2A_OK;
}

/* Optional token id key: -1 when absent; FORMAT error when mistyped or out of range. */
static a2a_status gguf_id(a2a_ctx *ctx, const a2a_gguf *g, const char *key, size_t n_tokens, int32_t *out) {
    *out = -1;
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    uint32_t id;
    if (a2a_gguf_get_u32(ctx, g, key, &id) != A2A_OK || id >= n_tokens)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: %s must be a token id below %zu", key, n_tokens);
    *out = (int32_t)id;
    return A2A_OK;
}

a2a_status a2a_clip_vocab_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, a2a_clip_vocab **out) {
    *out = NULL;
    const char *model;
    size_t mlen;
    if (a2a_gguf_get_str(NULL, g, "tokenizer.ggml.model", &model, &mlen) != A2A_OK)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: the GGUF has no tokenizer.ggml.model string");
    if (mlen != 4 || memcmp(model, "clip", 4) != 0)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "clip vocab: tokenizer.ggml.model is '%.*s', not 'clip'", (int)A2A_MIN(mlen, 64u), model);
    strlist tok = {0}, mer = {0};
    int32_t sot = -1, eot = -1, pad = -1;
    a2a_status st = gguf_strings(ctx, g, "tokenizer.ggml.tokens", true, &tok);
    if (!st) st = gguf_strings(ctx, g, "tokenizer.ggml.merges", true, &mer);
    for (size_t i = 0; !st && i < mer.n; i++) {
        const char *a, *b;
        size_t an, bn;
        const char *s = mer.blob + mer.off[i];
        if (!split_merge(s, mer.slen[i], &a, &an, &b, &bn) || a != s || b != a + an + 1 || b + bn != s + mer.slen[i])
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "clip vocab: tokenizer.ggml.merges[%zu] is not 'left right'", i);
    }
    if (!st) st = gguf_id(ctx, g, "tokenizer.ggml.bos_token_id", tok.n, &sot);
    if (!st) st = gguf_id(ctx, g, "tokenizer.ggml.eos_token_id", tok.n, &eot);
    if (!st) st = gguf_id(ctx, g, "tokenizer.ggml.padding_token_id", tok.n, &pad);
    if (st) {
        strlist_free(&tok);
        strlist_free(&mer);
        return st;
    }
    return finish(ctx, &tok, &mer, sot, eot, pad, out);
}

/* NUL-terminated copies of n strings of a blob, for the writer's string-array setter. */
static a2a_status set_str_array(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *blob, const uint32_t *off,
                                const uint32_t *len, size_t n) {
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += len[i] + 1;
    char *buf = malloc(total ? total : 1);
    const char **ptrs = malloc(sizeof(*ptrs) * (n ? n : 1));
    a2a_status st = A2A_OK;
    if (!buf || !ptrs) st = a2a_fail(ctx, A2A_ERR_NOMEM, "clip vocab: out of memory");
    for (size_t i = 0, o = 0; !st && i < n; i++) {
        memcpy(buf + o, blob + off[i], len[i]);
        buf[o + len[i]] = 0;
        ptrs[i] = buf + o;
        o += len[i] + 1;
    }
    if (!st) st = a2a_gguf_writer_set_arr_str(ctx, w, key, ptrs, n);
    free(buf);
    free(ptrs);
    return st;
}

a2a_status a2a_clip_vocab_write_gguf(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_clip_vocab *v) {
    a2a_status st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.model", "clip");
    if (!st) st = set_str_array(ctx, w, "tokenizer.ggml.tokens", v->blob, v->text_off, v->text_len, (size_t)v->n_tokens);
    if (!st) st = set_str_array(ctx, w, "tokenizer.ggml.merges", v->merge_blob, v->merge_off, v->merge_len, (size_t)v->n_merges);
    if (!st) st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.bos_token_id", (uint32_t)v->sot);
    if (!st) st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eot);
    if (!st && v->pad >= 0) st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.ggml.padding_token_id", (uint32_t)v->pad);
    if (!st) st = a2a_gguf_writer_set_u32(ctx, w, "tokenizer.clip.context_length", A2A_CLIP_CONTEXT);
    return st;
}
