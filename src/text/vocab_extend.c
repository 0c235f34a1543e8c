/* Vocabulary extension: see vocab_extend.h. */
#include "text/vocab_extend.h"

#include <stdlib.h>
#include <string.h>

#include "io/gguf_copy.h"

#define TOKEN_TYPE_USER_DEFINED 4

/* Keys copied unchanged (everything of tokenizer.* but the three per-token arrays). */
static bool copy_filter(const char *key, void *user) {
    (void)user;
    return strncmp(key, "tokenizer.", 10) == 0 && strcmp(key, "tokenizer.ggml.tokens") != 0 &&
           strcmp(key, "tokenizer.ggml.scores") != 0 && strcmp(key, "tokenizer.ggml.token_type") != 0;
}

a2a_status a2a_vocab_gguf_copy_extended(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_gguf *src,
                                        const char *const *extra, int32_t n_extra, int64_t *n_vocab) {
    if (n_extra < 0 || (n_extra > 0 && !extra)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vocab: bad extra token list");
    a2a_gguf_vtype et;
    uint64_t n = 0;
    a2a_status st = a2a_gguf_get_arr_info(ctx, src, "tokenizer.ggml.tokens", &et, &n);
    if (st != A2A_OK) return st;
    if (et != A2A_GGUF_STRING || n == 0 || n > (uint64_t)INT32_MAX - (uint64_t)n_extra)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "vocab: tokenizer.ggml.tokens must be a non-empty string array");
    const uint64_t total = n + (uint64_t)n_extra;
    const char **toks = calloc(total, sizeof *toks);
    char **owned = calloc(total, sizeof *owned);
    float *scores = calloc(total, sizeof *scores);
    int32_t *types = calloc(total, sizeof *types);
    if (!toks || !owned || !scores || !types) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "vocab: out of memory for %llu tokens", (unsigned long long)total);
        goto done;
    }
    for (uint64_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *t = a2a_gguf_get_arr_str(src, "tokenizer.ggml.tokens", i, &len);
        if (!t || memchr(t, 0, len)) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "vocab: token %llu is unreadable", (unsigned long long)i);
            goto done;
        }
        owned[i] = malloc(len + 1);
        if (!owned[i]) {
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "vocab: out of memory");
            goto done;
        }
        memcpy(owned[i], t, len);
        owned[i][len] = 0;
        toks[i] = owned[i];
        types[i] = 1; /* NORMAL unless the source says otherwise */
    }
    const void *data;
    uint64_t cnt;
    if (a2a_gguf_find_key(src, "tokenizer.ggml.scores") >= 0) {
        if ((st = a2a_gguf_get_arr(ctx, src, "tokenizer.ggml.scores", &et, &cnt, &data)) != A2A_OK) goto done;
        if (et != A2A_GGUF_FLOAT32 || cnt != n) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "vocab: tokenizer.ggml.scores must hold %llu f32", (unsigned long long)n);
            goto done;
        }
        memcpy(scores, data, n * sizeof(float));
    }
    bool has_types = a2a_gguf_find_key(src, "tokenizer.ggml.token_type") >= 0;
    if (has_types) {
        if ((st = a2a_gguf_get_arr(ctx, src, "tokenizer.ggml.token_type", &et, &cnt, &data)) != A2A_OK) goto done;
        if ((et != A2A_GGUF_INT32 && et != A2A_GGUF_UINT32) || cnt != n) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "vocab: tokenizer.ggml.token_type must hold %llu i32", (unsigned long long)n);
            goto done;
        }
        memcpy(types, data, n * sizeof(int32_t));
    }
    for (int32_t j = 0; j < n_extra; j++) {
        const char *t = extra[j];
        if (!t || !t[0]) {
            st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vocab: extra token %d is empty", j);
            goto done;
        }
        for (uint64_t i = 0; i < n + (uint64_t)j; i++)
            if (strcmp(toks[i], t) == 0) {
                st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vocab: token \"%s\" is already in the vocabulary (id %llu)", t,
                              (unsigned long long)i);
                goto done;
            }
        toks[n + (uint64_t)j] = t;
        scores[n + (uint64_t)j] = 0.0f;
        types[n + (uint64_t)j] = TOKEN_TYPE_USER_DEFINED;
    }
    if ((st = a2a_gguf_writer_copy_kv(ctx, w, src, copy_filter, NULL)) != A2A_OK ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.tokens", toks, total)) != A2A_OK ||
        (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.scores", A2A_GGUF_FLOAT32, scores, total)) != A2A_OK ||
        (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.token_type", A2A_GGUF_INT32, types, total)) != A2A_OK)
        goto done;
    if (n_vocab) *n_vocab = (int64_t)total;
done:
    if (owned)
        for (uint64_t i = 0; i < n; i++) free(owned[i]);
    free(owned);
    free(toks);
    free(scores);
    free(types);
    return st;
}
