/* Shared setup for the LLM subcommands: load model, threadpool, session, sampler. */
#ifndef A2A_CLI_LLM_RUN_H
#define A2A_CLI_LLM_RUN_H

#include "core/threadpool.h"
#include "llm_opts.h"
#include "models/llm/llama.h"
#include "pipeline/sampling.h"
#include "pipeline/textgen.h"

typedef struct cli_llm {
    a2a_ctx *ctx;
    a2a_llm_model *m;
    a2a_threadpool *tp;
    a2a_llm_session *s;
    a2a_sampler *smp;
    double t_load;         /* seconds spent loading */
} cli_llm;

/* Load everything the options name; on failure prints the error and returns false (cli_llm_close
   still must be called). */
bool cli_llm_open(cli_llm *l, const cli_llm_opts *o);
void cli_llm_close(cli_llm *l);
/* Monotonic seconds. */
double cli_now(void);
/* SIGINT handling: the flag is raised by Ctrl-C; install with cli_sigint_install. */
extern volatile int cli_sigint_flag;
void cli_sigint_install(void);
/* a2a_text_fn that writes to stdout and flushes. */
int cli_print_text(const char *text, size_t len, void *user);

#endif
