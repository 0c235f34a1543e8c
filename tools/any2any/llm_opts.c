#include "llm_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_llm_opts_help =
    "  -m, --model F.gguf      LLaMA-family GGUF model (llama, qwen2)\n"
    "  -n N                    max tokens to generate (default 128 for generate, 512 for chat)\n"
    "  -t N                    threads (default: all cores)\n"
    "  -c N                    context size (default: the model's, at most 4096)\n"
    "  --seed S                sampling seed (default 24301); same seed, same text, any thread count\n"
    "  --temp T                temperature (0 = greedy; default 0.8)\n"
    "  --top-k K --top-p P --min-p P   candidate filters (defaults 40, 0.95, 0.05)\n"
    "  --repeat-penalty R --frequency-penalty F --presence-penalty P --penalty-last-n N\n"
    "  --no-bos                do not prepend the BOS token\n"
    "  --ignore-eos            keep generating past the end-of-sequence token (benchmarks)\n";

void cli_llm_opts_init(cli_llm_opts *o) {
    memset(o, 0, sizeof(*o));
    o->n_predict = -1;
    o->bos = true;
    o->sp = a2a_sampler_default_params();
}

static int num(const char *opt, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || d < lo || d > hi) {
        fprintf(stderr, "any2any: %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, v);
        return -1;
    }
    *out = d;
    return 1;
}

int cli_llm_opts_parse(cli_llm_opts *o, int argc, char **argv, int *i) {
    const char *a = argv[*i];
    if (!strcmp(a, "--no-bos")) { o->bos = false; return 1; }
    if (!strcmp(a, "--ignore-eos")) { o->ignore_eos = true; return 1; }
    static const char *with_value[] = {"-m", "--model", "-n", "-t", "-c", "--seed", "--temp", "--top-k", "--top-p", "--min-p",
                                       "--repeat-penalty", "--frequency-penalty", "--presence-penalty", "--penalty-last-n"};
    bool known = false;
    for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++) known |= !strcmp(a, with_value[k]);
    if (!known) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "any2any: %s needs a value\n", a);
        return -1;
    }
    const char *v = argv[++*i];
    double d;
    if (!strcmp(a, "-m") || !strcmp(a, "--model")) { o->model = v; return 1; }
    if (!strcmp(a, "-n")) { if (num(a, v, -1, 1e9, &d) < 0) return -1; o->n_predict = (int)d; return 1; }
    if (!strcmp(a, "-t")) { if (num(a, v, 0, 1024, &d) < 0) return -1; o->threads = (int)d; return 1; }
    if (!strcmp(a, "-c")) { if (num(a, v, 0, 1 << 24, &d) < 0) return -1; o->n_ctx = (int)d; return 1; }
    if (!strcmp(a, "--seed")) { if (num(a, v, 0, 1.8e19, &d) < 0) return -1; o->sp.seed = strtoull(v, NULL, 10); return 1; }
    if (!strcmp(a, "--temp")) { if (num(a, v, 0, 100, &d) < 0) return -1; o->sp.temperature = (float)d; return 1; }
    if (!strcmp(a, "--top-k")) { if (num(a, v, 0, 1e9, &d) < 0) return -1; o->sp.top_k = (int)d; return 1; }
    if (!strcmp(a, "--top-p")) { if (num(a, v, 0, 1, &d) < 0) return -1; o->sp.top_p = (float)d; return 1; }
    if (!strcmp(a, "--min-p")) { if (num(a, v, 0, 1, &d) < 0) return -1; o->sp.min_p = (float)d; return 1; }
    if (!strcmp(a, "--repeat-penalty")) { if (num(a, v, 0.01, 100, &d) < 0) return -1; o->sp.repeat_penalty = (float)d; return 1; }
    if (!strcmp(a, "--frequency-penalty")) { if (num(a, v, -100, 100, &d) < 0) return -1; o->sp.frequency_penalty = (float)d; return 1; }
    if (!strcmp(a, "--presence-penalty")) { if (num(a, v, -100, 100, &d) < 0) return -1; o->sp.presence_penalty = (float)d; return 1; }
    if (!strcmp(a, "--penalty-last-n")) { if (num(a, v, 0, 1 << 20, &d) < 0) return -1; o->sp.penalty_last_n = (int)d; return 1; }
    return 0;
}
