/* any2any embed -m ENC.gguf (--image F | --audio F | --video F | --text S)... [--similarity]
   [--raw] [-t N]: ImageBind embeddings as JSON -- one input prints one array, several print an
   array of arrays, --similarity prints the cosine-similarity matrix of all inputs (rows and
   columns in argument order). Embeddings are L2-normalized unless --raw (the upstream forward
   output: audio/text carry their logit scale). Timings and labels go to stderr. */
#include "cli.h"
#include "llm_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "models/encoders/imagebind.h"
#include "pipeline/perception.h"
#include "text/clip_vocab.h"

#define EMBED_MAX_INPUTS 256

static void embed_usage(FILE *f) {
    fprintf(f, "usage: any2any embed -m ENCODER.gguf (--image F | --audio F | --video F | --text S)... [options]\n"
               "  prints the L2-normalized embedding of each input as JSON (one array per input)\n"
               "  --similarity   print the cosine-similarity matrix of the inputs instead\n"
               "  --raw          print the encoder's forward output (audio/text keep their logit scale)\n"
               "  -t N           threads (default: all cores)\n");
}

typedef struct embed_input {
    a2a_chunk_kind kind;
    const char *arg;
} embed_input;

/* Text embedding through the encoder's CLIP tokenizer (stored in its GGUF file). */
static a2a_status embed_text(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const a2a_clip_vocab *cv,
                             const char *text, float *out) {
    if (!cv) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "the encoder file has no CLIP vocabulary (tokenizer.ggml.model \"clip\"; convert with --bpe), so it cannot embed text");
    int32_t ids[A2A_CLIP_CONTEXT];
    a2a_clip_params p = a2a_clip_default_params();
    a2a_status st = a2a_clip_encode(ctx, cv, text, strlen(text), &p, ids, NULL);
    if (st != A2A_OK) return st;
    return a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_TEXT, ids, 1, 1, false, out);
}

static void normalize(float *v, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int64_t i = 0; i < n; i++) v[i] *= inv;
}

static void print_vec(const float *v, int64_t n) {
    putchar('[');
    for (int64_t i = 0; i < n; i++) printf(i ? ", %.7g" : "%.7g", v[i]);
    putchar(']');
}

int cli_embed(int argc, char **argv) {
    const char *model = NULL;
    int threads = 0;
    bool similarity = false, raw = false;
    embed_input in[EMBED_MAX_INPUTS];
    int n_in = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            embed_usage(stdout);
            return 0;
        }
        a2a_chunk_kind k = A2A_CHUNK_TEXT;
        bool media = true;
        if (!strcmp(a, "--image")) k = A2A_CHUNK_IMAGE;
        else if (!strcmp(a, "--audio")) k = A2A_CHUNK_AUDIO;
        else if (!strcmp(a, "--video")) k = A2A_CHUNK_VIDEO;
        else if (!strcmp(a, "--text")) k = A2A_CHUNK_TEXT;
        else media = false;
        if (media) {
            if (i + 1 >= argc) {
                fprintf(stderr, "any2any embed: %s needs a value\n", a);
                return 2;
            }
            if (n_in == EMBED_MAX_INPUTS) {
                fprintf(stderr, "any2any embed: at most %d inputs\n", EMBED_MAX_INPUTS);
                return 2;
            }
            in[n_in++] = (embed_input){k, argv[++i]};
        } else if (!strcmp(a, "-m") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(a, "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(a, "--similarity")) similarity = true;
        else if (!strcmp(a, "--raw")) raw = true;
        else {
            fprintf(stderr, "any2any embed: unexpected argument '%s'\n", a);
            embed_usage(stderr);
            return 2;
        }
    }
    if (!model || n_in == 0) {
        embed_usage(stderr);
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_imagebind *m = NULL;
    a2a_clip_vocab *cv = NULL;
    a2a_perception perc;
    memset(&perc, 0, sizeof perc);
    float *emb = NULL;
    int rc = 1;
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK || a2a_imagebind_load(ctx, model, &m) != A2A_OK ||
        a2a_perception_init(ctx, &perc, m, NULL, tp) != A2A_OK)
        goto fail;
    for (int i = 0; i < n_in; i++)
        if (in[i].kind == A2A_CHUNK_TEXT && !cv && a2a_clip_vocab_load_gguf(ctx, m->g, &cv) != A2A_OK) {
            cv = NULL; /* reported when a text input is embedded */
            break;
        }
    const int64_t dim = a2a_imagebind_out_dim(m);
    emb = malloc(sizeof(float) * (size_t)(dim * n_in));
    if (!emb) {
        a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
        goto fail;
    }
    fprintf(stderr, "any2any embed: loaded %s in %.2f s\n", model, cli_now() - t0);
    for (int i = 0; i < n_in; i++) {
        double t1 = cli_now();
        float *out = emb + (size_t)i * dim;
        a2a_status st;
        if (in[i].kind == A2A_CHUNK_TEXT) {
            st = embed_text(ctx, tp, m, cv, in[i].arg, out);
        } else {
            a2a_chunk c = {in[i].kind, NULL, in[i].arg, NULL, 0};
            const float *e = NULL;
            st = a2a_perception_embed(ctx, &perc, &c, &e);
            if (st == A2A_OK) memcpy(out, e, sizeof(float) * (size_t)dim);
        }
        if (st != A2A_OK) {
            fprintf(stderr, "any2any embed: %s %s: %s\n", a2a_chunk_kind_name(in[i].kind), in[i].arg, a2a_last_error(ctx));
            goto done;
        }
        if (!raw || similarity) normalize(out, dim);
        fprintf(stderr, "  [%d] %s %s (%.2f s)\n", i, a2a_chunk_kind_name(in[i].kind), in[i].arg, cli_now() - t1);
    }
    if (similarity) {
        printf("[");
        for (int i = 0; i < n_in; i++) {
            printf(i ? ",\n [" : "[");
            for (int j = 0; j < n_in; j++) {
                double s = 0;
                for (int64_t k = 0; k < dim; k++) s += (double)emb[(size_t)i * dim + k] * emb[(size_t)j * dim + k];
                printf(j ? ", %.6f" : "%.6f", s);
            }
            printf("]");
        }
        printf("]\n");
    } else if (n_in == 1) {
        print_vec(emb, dim);
        putchar('\n');
    } else {
        printf("[");
        for (int i = 0; i < n_in; i++) {
            if (i) printf(",\n ");
            print_vec(emb + (size_t)i * dim, dim);
        }
        printf("]\n");
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any embed: %s\n", a2a_last_error(ctx));
done:
    free(emb);
    a2a_clip_vocab_free(cv);
    a2a_perception_free(&perc);
    a2a_imagebind_free(m);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}
