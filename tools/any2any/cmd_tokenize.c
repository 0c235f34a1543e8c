/* any2any tokenize -m FILE.gguf [--bos] [--special]: read text from stdin, print its token ids
   space-separated on one line. */
#include "any2any.h"
#include "cli.h"
#include "io/gguf.h"
#include "text/vocab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read all of stdin (caller frees); NULL on allocation failure or read error. */
static char *read_stdin(size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            if (cap > ((size_t)1 << 30)) { free(buf); return NULL; } /* 1 GiB of text is not a prompt */
            char *p = realloc(buf, cap * 2);
            if (!p) { free(buf); return NULL; }
            buf = p;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, stdin);
        n += r;
        if (r == 0) break;
    }
    if (ferror(stdin)) { free(buf); return NULL; }
    *len = n;
    return buf;
}

int cli_tokenize(int argc, char **argv) {
    const char *model = NULL;
    bool bos = false, special = false;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--bos")) bos = true;
        else if (!strcmp(argv[i], "--special")) special = true;
        else {
            fprintf(stderr, "usage: any2any tokenize -m FILE.gguf [--bos] [--special] < text\n");
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "any2any tokenize: -m FILE.gguf is required\n");
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_vocab *v = NULL;
    char *text = NULL;
    int32_t *ids = NULL;
    int rc = 1;
    if (a2a_gguf_open(ctx, model, &g) != A2A_OK || a2a_vocab_load(ctx, g, &v) != A2A_OK) {
        fprintf(stderr, "any2any tokenize: %s: %s\n", model, a2a_last_error(ctx));
        goto done;
    }
    size_t len = 0, n = 0;
    if (!(text = read_stdin(&len))) {
        fprintf(stderr, "any2any tokenize: cannot read stdin\n");
        goto done;
    }
    if (a2a_tokenize(ctx, v, text, len, bos, special, &ids, &n) != A2A_OK) {
        fprintf(stderr, "any2any tokenize: %s\n", a2a_last_error(ctx));
        goto done;
    }
    for (size_t i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    printf("\n");
    rc = 0;
done:
    free(ids);
    free(text);
    a2a_vocab_free(v);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return rc;
}
