/* Options shared by the LLM subcommands (generate, chat): model, threads, context, sampling. */
#ifndef A2A_CLI_LLM_OPTS_H
#define A2A_CLI_LLM_OPTS_H

#include "pipeline/sampling.h"

#include <stdbool.h>

typedef struct cli_llm_opts {
    const char *model;
    int n_predict;   /* -n */
    int threads;     /* -t (0: all cores) */
    int n_ctx;       /* -c (0: model default, capped at 4096) */
    bool bos;
    bool ignore_eos; /* --ignore-eos */
    a2a_sampler_params sp;
} cli_llm_opts;

void cli_llm_opts_init(cli_llm_opts *o);
/* If argv[*i] is a shared option, consume it (and its value) and return 1; return 0 if it is not
   one of ours; return -1 (after printing why) for a missing or invalid value. */
int cli_llm_opts_parse(cli_llm_opts *o, int argc, char **argv, int *i);
/* One line per shared option, for usage texts. */
extern const char *cli_llm_opts_help;

#endif
