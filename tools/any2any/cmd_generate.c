/* any2any generate -m FILE.gguf -p PROMPT [-n N] [--seed S] [--temp T] [--top-k K] [--top-p P]
   [--min-p P] [--repeat-penalty R] [-t THREADS] [-c CTX] [--no-bos]: stream a text continuation
   to stdout; timings go to stderr. Ctrl-C stops the reply cleanly. */
#include "any2any.h"
#include "cli.h"
#include "core/threadpool.h"
#include "models/llm/llama.h"
#include "pipeline/sampling.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t g_stop;
static void on_sigint(int sig) { (void)sig; g_stop = 1; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Length of the longest prefix of s[0..n) that ends on a UTF-8 character boundary. */
static size_t utf8_complete_prefix(const char *s, size_t n) {
    size_t i = n;
    int back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) { i--; back++; }
    if (i == 0) return n;
    unsigned char lead = (unsigned char)s[i - 1];
    int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return (back + 1 >= need) ? n : i - 1;
}

static int usage(void) {
    fprintf(stderr, "usage: any2any generate -m FILE.gguf -p PROMPT [-n N] [--seed S] [--temp T] [--top-k K] [--top-p P]\n"
                    "                        [--min-p P] [--repeat-penalty R] [-t THREADS] [-c CTX] [--no-bos]\n");
    return 2;
}

int cli_generate(int argc, char **argv) {
    const char *model = NULL, *prompt = NULL;
    int n_predict = 128, threads = 0, n_ctx = 0;
    bool bos = true;
    a2a_sampler_params sp = a2a_sampler_default_params();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && has) model = argv[++i];
        else if ((!strcmp(a, "-p") || !strcmp(a, "--prompt")) && has) prompt = argv[++i];
        else if ((!strcmp(a, "-n") || !strcmp(a, "--n-predict")) && has) n_predict = atoi(argv[++i]);
        else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has) threads = atoi(argv[++i]);
        else if ((!strcmp(a, "-c") || !strcmp(a, "--ctx-size")) && has) n_ctx = atoi(argv[++i]);
        else if (!strcmp(a, "--seed") && has) sp.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(a, "--temp") && has) sp.temperature = (float)atof(argv[++i]);
        else if (!strcmp(a, "--top-k") && has) sp.top_k = atoi(argv[++i]);
        else if (!strcmp(a, "--top-p") && has) sp.top_p = (float)atof(argv[++i]);
        else if (!strcmp(a, "--min-p") && has) sp.min_p = (float)atof(argv[++i]);
        else if (!strcmp(a, "--repeat-penalty") && has) sp.repeat_penalty = (float)atof(argv[++i]);
        else if (!strcmp(a, "--no-bos")) bos = false;
        else return usage();
    }
    if (!model || !prompt) return usage();
    if (n_predict < 0 || threads < 0 || n_ctx < 0) {
        fprintf(stderr, "any2any generate: -n, -t and -c must not be negative\n");
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    a2a_threadpool *tp = NULL;
    a2a_llm_session *s = NULL;
    a2a_sampler *smp = NULL;
    int32_t *ids = NULL;
    char *piece = NULL;
    int rc = 1;
    double t0 = now_s();
    if (a2a_llm_load(ctx, model, &m) != A2A_OK) goto fail;
    if (!m->vocab) {
        a2a_fail(ctx, A2A_ERR_FORMAT, "%s has no tokenizer (tokenizer.ggml.*)", model);
        goto fail;
    }
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK) goto fail;
    a2a_llm_session_params p = a2a_llm_session_default_params();
    p.n_ctx = n_ctx;
    if (a2a_llm_session_new(ctx, m, tp, &p, &s) != A2A_OK) goto fail;
    size_t n_ids = 0;
    if (a2a_tokenize(ctx, m->vocab, prompt, strlen(prompt), bos, false, &ids, &n_ids) != A2A_OK) goto fail;
    if (n_ids == 0) {
        a2a_fail(ctx, A2A_ERR_INVALID_ARG, "the prompt is empty");
        goto fail;
    }
    if (a2a_sampler_new(ctx, &sp, m->hp.n_vocab, &smp) != A2A_OK) goto fail;
    for (size_t i = 0; i < n_ids; i++) a2a_sampler_accept(smp, ids[i]);
    double t_load = now_s() - t0;
    signal(SIGINT, on_sigint);
    fputs(prompt, stdout);
    fflush(stdout);
    double t1 = now_s();
    if (a2a_llm_decode(ctx, s, ids, NULL, NULL, (int32_t)n_ids, NULL, (const volatile int *)&g_stop) != A2A_OK) goto fail;
    double t_prompt = now_s() - t1;
    size_t plen = 0, pcap = 0, printed = 0;
    int n_gen = 0;
    double t2 = now_s();
    while (n_gen < n_predict && !g_stop) {
        int32_t tok = a2a_sampler_sample(smp, s->logits);
        if (tok == m->vocab->eos) break;
        a2a_sampler_accept(smp, tok);
        n_gen++;
        if (a2a_detokenize_piece(ctx, m->vocab, tok, false, &piece, &plen, &pcap) != A2A_OK) goto fail;
        size_t ok = utf8_complete_prefix(piece, plen);
        if (ok > printed) {
            fwrite(piece + printed, 1, ok - printed, stdout);
            fflush(stdout);
            printed = ok;
        }
        if (n_gen == n_predict) break;
        if (s->n_past >= s->n_ctx) {
            fprintf(stderr, "\nany2any generate: context full (%d positions)\n", s->n_ctx);
            break;
        }
        a2a_status st = a2a_llm_decode(ctx, s, &tok, NULL, NULL, 1, NULL, (const volatile int *)&g_stop);
        if (st == A2A_ERR_CANCELLED) break;
        if (st) goto fail;
    }
    if (plen > printed) fwrite(piece + printed, 1, plen - printed, stdout);
    printf("\n");
    double t_gen = now_s() - t2;
    fprintf(stderr, "load %.2f s | prompt %zu tokens in %.2f s (%.1f tok/s) | generated %d tokens in %.2f s (%.1f tok/s)%s\n",
            t_load, n_ids, t_prompt, n_ids / (t_prompt > 0 ? t_prompt : 1e-9), n_gen, t_gen,
            n_gen / (t_gen > 0 ? t_gen : 1e-9), g_stop ? " | interrupted" : "");
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any generate: %s\n", a2a_last_error(ctx));
done:
    free(piece);
    free(ids);
    a2a_sampler_free(smp);
    a2a_llm_session_free(s);
    a2a_threadpool_free(tp);
    a2a_llm_free(m);
    a2a_ctx_free(ctx);
    return rc;
}
