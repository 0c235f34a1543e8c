/* libFuzzer target: arbitrary bytes through the CLIP BPE tokenizer (real vocabulary,
   tests/golden/clip_tok/bpe_simple_vocab_16e6.txt.gz). The first byte picks what to do:
     bit 7 set:  the rest is a vocabulary text (header + merges) for a2a_clip_vocab_load_bpe_text;
                 when it loads, a fixed sentence and the rest itself are tokenized with it and
                 every id must be in range.
     otherwise:  bits 0-1 the cleaning mode, bit 2 keep_eot, bits 3-6 the context length - 2;
                 the rest is the text. Invalid UTF-8 must give A2A_ERR_INVALID_ARG, valid text
                 A2A_OK with every id in range, a packed context starting with SOT, and a decode
                 whose non-space bytes equal those of the cleaned text (when that holds no '<',
                 which could spell "</w>" across tokens). */
#include "core/utf8.h"
#include "text/clip_vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static a2a_clip_vocab *g_vocab;

static void setup(void) {
    if (g_vocab) return;
    a2a_ctx *ctx = a2a_ctx_new();
    if (a2a_clip_vocab_load_bpe_gz(ctx, A2A_SOURCE_DIR "/tests/golden/clip_tok/bpe_simple_vocab_16e6.txt.gz", &g_vocab) != A2A_OK) {
        fprintf(stderr, "fuzz_clip_tokenize: %s\n", a2a_last_error(ctx));
        abort(); /* setup failure, not a finding */
    }
    a2a_ctx_free(ctx);
}

static void check_ids(const a2a_clip_vocab *v, const int32_t *ids, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= v->n_tokens) abort();
}

/* s without ASCII spaces into out (same capacity); returns the length. */
static size_t squeeze(const char *s, size_t n, char *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ') out[k++] = s[i];
    return k;
}

static void fuzz_vocab(const char *text, size_t len) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_vocab *v = NULL;
    if (a2a_clip_vocab_load_bpe_text(ctx, text, len, &v) == A2A_OK) {
        const char *probe[2] = {"a photo of the quick brown fox, isn't it? 123 \xE6\x97\xA5\xE6\x9C\xAC", text};
        size_t plen[2] = {strlen(probe[0]), len};
        for (int k = 0; k < 2; k++) {
            int32_t *ids = NULL;
            size_t n = 0;
            a2a_status st = a2a_clip_tokenize(ctx, v, probe[k], plen[k], A2A_CLIP_CLEAN_OPENAI, &ids, &n);
            if (st == A2A_OK) check_ids(v, ids, n);
            else if (st != A2A_ERR_INVALID_ARG) abort();
            free(ids);
        }
        a2a_clip_vocab_free(v);
    }
    a2a_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 4096) return 0;
    uint8_t ctl = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (ctl & 0x80) {
        fuzz_vocab(text, len);
        return 0;
    }
    setup();
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_clip_clean mode = (a2a_clip_clean)((ctl & 3) % 3);
    bool valid = a2a_utf8_check(text, len, NULL);
    int32_t *ids = NULL;
    size_t n = 0;
    a2a_status st = a2a_clip_tokenize(ctx, g_vocab, text, len, mode, &ids, &n);
    if (!valid) {
        if (st != A2A_ERR_INVALID_ARG || ids || n) abort();
        a2a_ctx_free(ctx);
        return 0;
    }
    if (st != A2A_OK) abort();
    check_ids(g_vocab, ids, n);
    /* decode vs cleaned text */
    char *dec = NULL, *clean = NULL;
    size_t dl = 0, cl = 0;
    if (a2a_clip_decode(ctx, g_vocab, ids, n, false, &dec, &dl) != A2A_OK) abort();
    if (a2a_clip_clean_text(ctx, text, len, mode, &clean, &cl) != A2A_OK) abort();
    if (!memchr(clean, '<', cl)) {
        char *a = malloc(dl + 1), *b = malloc(cl + 1);
        if (!a || !b) abort();
        size_t an = squeeze(dec, dl, a), bn = squeeze(clean, cl, b);
        if (an != bn || memcmp(a, b, an)) abort();
        free(a);
        free(b);
    }
    free(dec);
    free(clean);
    /* packing */
    a2a_clip_params p = a2a_clip_default_params();
    p.clean = mode;
    p.keep_eot = (ctl >> 2) & 1;
    p.context = 2 + ((ctl >> 3) & 15);
    int32_t out[17], used = 0;
    if (a2a_clip_encode(ctx, g_vocab, text, len, &p, out, &used) != A2A_OK) abort();
    if (out[0] != g_vocab->sot || used < 2 || used > p.context) abort();
    check_ids(g_vocab, out, (size_t)p.context);
    if (p.keep_eot && out[used - 1] != g_vocab->eot) abort();
    if ((size_t)used < (size_t)p.context && (n + 2 != (size_t)used)) abort();
    free(ids);
    a2a_ctx_free(ctx);
    return 0;
}
