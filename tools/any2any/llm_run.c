#include "llm_run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

volatile int cli_sigint_flag;

static void on_sigint(int sig) {
    (void)sig;
    cli_sigint_flag = 1;
}

void cli_sigint_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cli_print_text(const char *text, size_t len, void *user) {
    (void)user;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

bool cli_llm_open(cli_llm *l, const cli_llm_opts *o) {
    memset(l, 0, sizeof(*l));
    double t0 = cli_now();
    l->ctx = a2a_ctx_new();
    if (!l->ctx) return false;
    if (a2a_llm_load(l->ctx, o->model, &l->m) != A2A_OK) goto fail;
    if (!l->m->vocab) {
        a2a_fail(l->ctx, A2A_ERR_FORMAT, "%s has no tokenizer (tokenizer.ggml.*)", o->model);
        goto fail;
    }
    if (a2a_threadpool_new(l->ctx, o->threads, &l->tp) != A2A_OK) goto fail;
    a2a_llm_session_params p = a2a_llm_session_default_params();
    p.n_ctx = o->n_ctx;
    if (a2a_llm_session_new(l->ctx, l->m, l->tp, &p, &l->s) != A2A_OK) goto fail;
    if (a2a_sampler_new(l->ctx, &o->sp, l->m->hp.n_vocab, &l->smp) != A2A_OK) goto fail;
    l->t_load = cli_now() - t0;
    return true;
fail:
    fprintf(stderr, "any2any: %s\n", a2a_last_error(l->ctx));
    return false;
}

void cli_llm_close(cli_llm *l) {
    a2a_sampler_free(l->smp);
    a2a_llm_session_free(l->s);
    a2a_threadpool_free(l->tp);
    a2a_llm_free(l->m);
    a2a_ctx_free(l->ctx);
    memset(l, 0, sizeof(*l));
}
