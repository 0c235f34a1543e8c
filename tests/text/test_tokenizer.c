#define _GNU_SOURCE
/* Tokenizers vs the llama.cpp test vectors in ../shared/fixtures/vocab: each .inp string
   (separated by "\n__ggml_vocab_test__\n") must tokenize to the ids on the same line of .out
   (no BOS), and decode back to the input. Also: invalid UTF-8 is an error, not a crash. */
#include "a2a_test.h"
#include "io/gguf.h"
#include "text/vocab.h"

static void run_fixture(const char *name) {
    char path[1024], inp_path[1100], out_path[1100];
    snprintf(path, sizeof(path), "%s/fixtures/vocab/%s", A2A_SHARED_DIR, name);
    snprintf(inp_path, sizeof(inp_path), "%s.inp", path);
    snprintf(out_path, sizeof(out_path), "%s.out", path);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    if (st) { a2a_ctx_free(ctx); return; }
    a2a_vocab *v = NULL;
    st = a2a_vocab_load(ctx, g, &v);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    a2a_gguf_close(g);
    size_t inp_len = 0, out_len = 0;
    char *inp = a2a_test_read_file(inp_path, &inp_len), *outs = a2a_test_read_file(out_path, &out_len);
    CHECK(inp && outs);
    if (!v || !inp || !outs) goto done;
    /* the .inp file ends with the separator line too */
    const char *sep = "\n__ggml_vocab_test__\n";
    char *p = inp, *end = inp + inp_len, *line = outs, *oend = outs + out_len;
    int cases = 0, bad = 0;
    while (p < end) {
        char *q = memmem(p, (size_t)(end - p), sep, strlen(sep));
        if (!q) break;
        char *nl = memchr(line, '\n', (size_t)(oend - line));
        if (!nl) break;
        int32_t *ids;
        size_t n;
        st = a2a_tokenize(ctx, v, p, (size_t)(q - p), false, false, &ids, &n);
        /* expected ids */
        char expect[8192] = "", got[8192] = "";
        snprintf(expect, sizeof(expect), "%.*s", (int)(nl - line), line);
        size_t o = 0;
        for (size_t i = 0; st == A2A_OK && i < n && o < sizeof(got) - 16; i++) o += (size_t)snprintf(got + o, sizeof(got) - o, " %d", ids[i]);
        const char *e = expect;
        while (*e == ' ') e++;
        const char *gg = got;
        while (*gg == ' ') gg++;
        if (st != A2A_OK || strcmp(e, gg) != 0) {
            bad++;
            fprintf(stderr, "%s case %d %.*s\n  expected: %s\n  got:      %s\n", name, cases, (int)(q - p), p, e, gg);
        } else {
            /* decode round trip (SPM drops the added leading space) */
            char *buf = NULL;
            size_t bl = 0, cap = 0;
            for (size_t i = 0; i < n; i++) a2a_detokenize_piece(ctx, v, ids[i], false, &buf, &bl, &cap);
            const char *dec = buf ? buf : "";
            if (v->kind == A2A_VOCAB_SPM && v->add_space_prefix && bl > 0 && dec[0] == ' ') { dec++; bl--; }
            CHECK_MSG(bl == (size_t)(q - p) && memcmp(dec, p, bl) == 0, "%s case %d: decode mismatch", name, cases);
            free(buf);
        }
        free(ids);
        cases++;
        p = q + strlen(sep);
        line = nl + 1;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK(cases >= 40);
    fprintf(stderr, "%s: %d cases\n", name, cases);
    /* invalid UTF-8 */
    int32_t *ids;
    size_t n;
    CHECK(a2a_tokenize(ctx, v, "ab\xC3\x28", 4, false, false, &ids, &n) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "UTF-8") != NULL);
    CHECK(a2a_tokenize(ctx, v, "\xF4\x90\x80\x80", 4, true, false, &ids, &n) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_tokenize(ctx, v, "", 0, true, false, &ids, &n) == A2A_OK && (n == (v->bos >= 0 ? 1u : 0u)));
    free(ids);
done:
    free(inp);
    free(outs);
    a2a_vocab_free(v);
    a2a_ctx_free(ctx);
}

TEST(test_llama_spm) { run_fixture("ggml-vocab-llama-spm.gguf"); }
TEST(test_gpt2) { run_fixture("ggml-vocab-gpt-2.gguf"); }

TEST_MAIN(test_llama_spm, test_gpt2)
