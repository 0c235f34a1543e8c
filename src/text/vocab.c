#define _GNU_SOURCE
/* Vocabulary loading from GGUF metadata, special-token partitioning, detokenization. */
#include "text/vocab.h"
#include "text/unicode.h"

#include <stdlib.h>
#include <string.h>

a2a_status a2a_idvec_push(a2a_ctx *ctx, a2a_idvec *iv, int32_t id) {
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 64;
        int32_t *p = realloc(iv->v, cap * sizeof(*p));
        if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
        iv->v = p;
        iv->cap = cap;
    }
    iv->v[iv->n++] = id;
    return A2A_OK;
}

void a2a_vocab_free(a2a_vocab *v) {
    if (!v) return;
    free(v->blob);
    free(v->text_off);
    free(v->text_len);
    free(v->scores);
    free(v->attr);
    free(v->merge_blob);
    free(v->special);
    a2a_strmap_free(&v->text_to_id);
    a2a_strmap_free(&v->merge_rank);
    free(v);
}

const char *a2a_vocab_text(const a2a_vocab *v, int32_t id, size_t *len) {
    if (id < 0 || id >= v->n_tokens) return NULL;
    *len = v->text_len[id];
    return v->blob + v->text_off[id];
}

int32_t a2a_vocab_find(const a2a_vocab *v, const char *text, size_t len) {
    return (int32_t)a2a_strmap_get(&v->text_to_id, text, len);
}

/* Optional integer token id key: -1 when absent; error when present but malformed/out of range. */
static a2a_status get_token_id(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t n_tokens, int32_t *out) {
    *out = -1;
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK;
    uint32_t id;
    a2a_status st = a2a_gguf_get_u32(ctx, g, key, &id);
    if (st) return st;
    if (id >= (uint32_t)n_tokens) return A2A_OK; /* llama.cpp tolerates stale ids: treat as absent */
    *out = (int32_t)id;
    return A2A_OK;
}

static bool get_bool_default(const a2a_gguf *g, const char *key, bool def) {
    bool b;
    return a2a_gguf_get_bool(NULL, g, key, &b) == A2A_OK ? b : def;
}

static int cmp_special(const void *a, const void *b, void *vv) {
    const a2a_vocab *v = vv;
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    if (v->text_len[x] != v->text_len[y]) return v->text_len[x] > v->text_len[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static a2a_status load_merges(a2a_ctx *ctx, const a2a_gguf *g, a2a_vocab *v) {
    a2a_gguf_vtype et;
    uint64_t n;
    if (a2a_gguf_get_arr_info(ctx, g, "tokenizer.ggml.merges", &et, &n) != A2A_OK || et != A2A_GGUF_STRING)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: BPE vocabulary without a tokenizer.ggml.merges string array");
    if (n > (uint64_t)INT32_MAX) return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: %llu merges is too many", (unsigned long long)n);
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        a2a_gguf_get_arr_str(g, "tokenizer.ggml.merges", i, &len);
        total += len;
    }
    v->merge_blob = malloc(total ? total : 1);
    a2a_status st = a2a_strmap_init(ctx, &v->merge_rank, (size_t)n);
    if (!v->merge_blob || st) return st ? st : a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    size_t off = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        const char *s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.merges", i, &len);
        memcpy(v->merge_blob + off, s, len);
        st = a2a_strmap_put(ctx, &v->merge_rank, v->merge_blob + off, len, (int64_t)i, NULL);
        if (st) return st;
        off += len;
    }
    return A2A_OK;
}

a2a_status a2a_vocab_load(a2a_ctx *ctx, const a2a_gguf *g, a2a_vocab **out) {
    *out = NULL;
    const char *model;
    size_t model_len;
    if (a2a_gguf_get_str(ctx, g, "tokenizer.ggml.model", &model, &model_len) != A2A_OK)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: the file has no tokenizer.ggml.model");
    a2a_vocab_kind kind;
    if (model_len == 5 && !memcmp(model, "llama", 5)) kind = A2A_VOCAB_SPM;
    else if (model_len == 4 && !memcmp(model, "gpt2", 4)) kind = A2A_VOCAB_BPE;
    else return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "tokenizer: model '%.*s' is not supported (llama, gpt2)", (int)model_len, model);

    a2a_gguf_vtype et;
    uint64_t n;
    if (a2a_gguf_get_arr_info(ctx, g, "tokenizer.ggml.tokens", &et, &n) != A2A_OK || et != A2A_GGUF_STRING)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: no tokenizer.ggml.tokens string array");
    if (n == 0 || n > (1u << 24)) return a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: %llu tokens is out of range", (unsigned long long)n);

    a2a_vocab *v = calloc(1, sizeof(*v));
    if (!v) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    a2a_status st = A2A_OK;
    v->kind = kind;
    v->n_tokens = (int32_t)n;
    v->text_off = calloc(n, sizeof(uint32_t));
    v->text_len = calloc(n, sizeof(uint32_t));
    v->scores = calloc(n, sizeof(float));
    v->attr = calloc(n, 1);
    size_t total = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", i, &len);
        total += len;
    }
    if (total > UINT32_MAX) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: token texts too large"); goto fail; }
    v->blob = malloc(total ? total : 1);
    if (!v->text_off || !v->text_len || !v->scores || !v->attr || !v->blob) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory"); goto fail; }
    if ((st = a2a_strmap_init(ctx, &v->text_to_id, (size_t)n))) goto fail;
    size_t off = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len;
        const char *s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", i, &len);
        memcpy(v->blob + off, s, len);
        v->text_off[i] = (uint32_t)off;
        v->text_len[i] = (uint32_t)len;
        if ((st = a2a_strmap_put(ctx, &v->text_to_id, v->blob + off, len, (int64_t)i, NULL))) goto fail;
        off += len;
    }
    /* scores (f32) and token types (i32), optional but must match the token count */
    const void *data;
    uint64_t cnt;
    if (a2a_gguf_find_key(g, "tokenizer.ggml.scores") >= 0) {
        if ((st = a2a_gguf_get_arr(ctx, g, "tokenizer.ggml.scores", &et, &cnt, &data))) goto fail;
        if (et != A2A_GGUF_FLOAT32 || cnt != n) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: tokenizer.ggml.scores must be %llu f32 values", (unsigned long long)n); goto fail; }
        memcpy(v->scores, data, n * sizeof(float));
    }
    for (uint64_t i = 0; i < n; i++) v->attr[i] = A2A_TOKEN_NORMAL;
    if (a2a_gguf_find_key(g, "tokenizer.ggml.token_type") >= 0) {
        if ((st = a2a_gguf_get_arr(ctx, g, "tokenizer.ggml.token_type", &et, &cnt, &data))) goto fail;
        if ((et != A2A_GGUF_INT32 && et != A2A_GGUF_UINT32) || cnt != n) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "tokenizer: tokenizer.ggml.token_type must be %llu i32 values", (unsigned long long)n); goto fail; }
        for (uint64_t i = 0; i < n; i++) {
            int32_t t;
            memcpy(&t, (const char *)data + i * 4, 4);
            v->attr[i] = (t >= 0 && t <= 6) ? (uint8_t)t : A2A_TOKEN_NORMAL;
        }
    }
    if ((st = get_token_id(ctx, g, "tokenizer.ggml.bos_token_id", v->n_tokens, &v->bos))) goto fail;
    if ((st = get_token_id(ctx, g, "tokenizer.ggml.eos_token_id", v->n_tokens, &v->eos))) goto fail;
    if ((st = get_token_id(ctx, g, "tokenizer.ggml.unknown_token_id", v->n_tokens, &v->unk))) goto fail;
    if ((st = get_token_id(ctx, g, "tokenizer.ggml.padding_token_id", v->n_tokens, &v->pad))) goto fail;
    v->add_bos = get_bool_default(g, "tokenizer.ggml.add_bos_token", kind == A2A_VOCAB_SPM);
    v->add_space_prefix = get_bool_default(g, "tokenizer.ggml.add_space_prefix", kind == A2A_VOCAB_SPM);

    for (int b = 0; b < 256; b++) {
        char buf[8];
        int len;
        if (kind == A2A_VOCAB_SPM) {
            static const char hex[] = "0123456789ABCDEF";
            buf[0] = '<'; buf[1] = '0'; buf[2] = 'x'; buf[3] = hex[b >> 4]; buf[4] = hex[b & 15]; buf[5] = '>';
            len = 6;
        } else {
            len = a2a_utf8_encode(a2a_bpe_byte_to_cp((uint8_t)b), buf);
        }
        v->byte_to_id[b] = a2a_vocab_find(v, buf, (size_t)len);
    }
    if (kind == A2A_VOCAB_BPE) {
        if ((st = load_merges(ctx, g, v))) goto fail;
        v->pretok = A2A_PRETOK_GPT2;
        const char *pre;
        size_t pre_len;
        if (a2a_gguf_get_str(NULL, g, "tokenizer.ggml.pre", &pre, &pre_len) == A2A_OK) {
#define PRE_IS(s) (pre_len == sizeof(s) - 1 && !memcmp(pre, s, pre_len))
            if (PRE_IS("llama3") || PRE_IS("llama-bpe") || PRE_IS("llama-v3") || PRE_IS("smaug-bpe")) v->pretok = A2A_PRETOK_LLAMA3;
            else if (PRE_IS("qwen2") || PRE_IS("deepseek-r1-qwen")) v->pretok = A2A_PRETOK_QWEN2;
            else if (PRE_IS("gpt-2") || PRE_IS("default") || PRE_IS("gpt2")) v->pretok = A2A_PRETOK_GPT2;
            else { st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "tokenizer: pre-tokenizer '%.*s' is not supported (gpt-2, llama3, qwen2)", (int)pre_len, pre); goto fail; }
#undef PRE_IS
        }
    }
    /* special tokens, longest text first */
    for (int32_t i = 0; i < v->n_tokens; i++)
        if ((v->attr[i] == A2A_TOKEN_CONTROL || v->attr[i] == A2A_TOKEN_USER_DEFINED || v->attr[i] == A2A_TOKEN_UNKNOWN) && v->text_len[i] > 0)
            v->n_special++;
    v->special = malloc(sizeof(int32_t) * (size_t)(v->n_special ? v->n_special : 1));
    if (!v->special) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory"); goto fail; }
    v->n_special = 0;
    for (int32_t i = 0; i < v->n_tokens; i++)
        if ((v->attr[i] == A2A_TOKEN_CONTROL || v->attr[i] == A2A_TOKEN_USER_DEFINED || v->attr[i] == A2A_TOKEN_UNKNOWN) && v->text_len[i] > 0)
            v->special[v->n_special++] = i;
    qsort_r(v->special, (size_t)v->n_special, sizeof(int32_t), cmp_special, v);
    *out = v;
    return A2A_OK;
fail:
    a2a_vocab_free(v);
    return st;
}

/* Find the earliest occurrence in text[0..len) of any special token that may be matched;
   returns its position (len if none) and the token in *id. Longest token wins at a position. */
static size_t find_special(const a2a_vocab *v, const char *text, size_t len, bool parse_special, int32_t *id) {
    size_t best = len;
    *id = -1;
    for (int32_t k = 0; k < v->n_special; k++) {
        int32_t t = v->special[k];
        if (!parse_special && v->attr[t] != A2A_TOKEN_USER_DEFINED) continue;
        size_t tl = v->text_len[t];
        if (tl > len) continue;
        const char *tt = v->blob + v->text_off[t];
        size_t lim = best < len ? A2A_MIN(best + tl, len) : len;
        const char *p = memmem(text, lim, tt, tl);
        if (p && (size_t)(p - text) < best) {
            best = (size_t)(p - text);
            *id = t;
        }
    }
    return best;
}

a2a_status a2a_tokenize(a2a_ctx *ctx, const a2a_vocab *v, const char *text, size_t len, bool add_bos,
                        bool parse_special, int32_t **ids, size_t *n) {
    *ids = NULL;
    *n = 0;
    size_t bad;
    if (!a2a_utf8_check(text, len, &bad))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "tokenizer: input is not valid UTF-8 (byte %zu)", bad);
    a2a_idvec out = {0};
    a2a_status st = A2A_OK;
    if (add_bos && v->bos >= 0) st = a2a_idvec_push(ctx, &out, v->bos);
    bool prev_special = true; /* SPM: a space prefix goes before the first fragment and after specials */
    size_t pos = 0;
    while (!st && pos < len) {
        int32_t sid;
        size_t at = find_special(v, text + pos, len - pos, parse_special, &sid);
        if (at > 0) {
            if (v->kind == A2A_VOCAB_SPM)
                st = a2a_spm_encode(ctx, v, text + pos, at, v->add_space_prefix && prev_special, &out);
            else
                st = a2a_bpe_encode(ctx, v, text + pos, at, &out);
            prev_special = false;
        }
        if (!st && sid >= 0) {
            st = a2a_idvec_push(ctx, &out, sid);
            prev_special = true;
            at += v->text_len[sid];
        }
        pos += at;
    }
    if (st) {
        free(out.v);
        return st;
    }
    *ids = out.v;
    *n = out.n;
    return A2A_OK;
}

static a2a_status append(a2a_ctx *ctx, char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t c = (*cap ? *cap * 2 : 64);
        while (c < *len + n + 1) c *= 2;
        char *p = realloc(*buf, c);
        if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "detokenize: out of memory");
        *buf = p;
        *cap = c;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return A2A_OK;
}

a2a_status a2a_detokenize_piece(a2a_ctx *ctx, const a2a_vocab *v, int32_t id, bool render_special, char **buf,
                                size_t *len, size_t *cap) {
    size_t tl;
    const char *t = a2a_vocab_text(v, id, &tl);
    if (!t) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "detokenize: token id %d is out of range (vocabulary has %d)", id, v->n_tokens);
    uint8_t attr = v->attr[id];
    if ((attr == A2A_TOKEN_CONTROL || attr == A2A_TOKEN_UNKNOWN || attr == A2A_TOKEN_UNUSED) && !render_special) return A2A_OK;
    if (attr == A2A_TOKEN_USER_DEFINED || attr == A2A_TOKEN_CONTROL || attr == A2A_TOKEN_UNKNOWN)
        return append(ctx, buf, len, cap, t, tl);
    if (v->kind == A2A_VOCAB_SPM) {
        if (attr == A2A_TOKEN_BYTE && tl == 6) {
            char b = (char)strtol((char[3]){t[3], t[4], 0}, NULL, 16);
            return append(ctx, buf, len, cap, &b, 1);
        }
        /* U+2581 (e2 96 81) -> ' ' */
        size_t i = 0;
        while (i < tl) {
            if (i + 3 <= tl && (unsigned char)t[i] == 0xE2 && (unsigned char)t[i + 1] == 0x96 && (unsigned char)t[i + 2] == 0x81) {
                a2a_status st = append(ctx, buf, len, cap, " ", 1);
                if (st) return st;
                i += 3;
            } else {
                size_t j = i;
                while (j < tl && (unsigned char)t[j] != 0xE2) j++;
                if (j == i) j++;
                a2a_status st = append(ctx, buf, len, cap, t + i, j - i);
                if (st) return st;
                i = j;
            }
        }
        return A2A_OK;
    }
    /* BPE: each code point is a byte symbol */
    size_t i = 0;
    while (i < tl) {
        uint32_t cp;
        int l = a2a_utf8_decode(t + i, tl - i, &cp);
        if (!l) return a2a_fail(ctx, A2A_ERR_FORMAT, "detokenize: token %d is not valid UTF-8", id);
        int b = a2a_bpe_cp_to_byte(cp);
        a2a_status st = b >= 0 ? append(ctx, buf, len, cap, &(char){(char)b}, 1) : append(ctx, buf, len, cap, t + i, (size_t)l);
        if (st) return st;
        i += (size_t)l;
    }
    return A2A_OK;
}
