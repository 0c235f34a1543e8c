/* any2any generate -m FILE.gguf -p PROMPT [options]: stream a text continuation to stdout;
   timings go to stderr. Ctrl-C stops the reply cleanly. */
#include "cli.h"
#include "llm_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int usage(void) {
    fprintf(stderr, "usage: any2any generate -m FILE.gguf -p PROMPT [options]\n%s", cli_llm_opts_help);
    return 2;
}

int cli_generate(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--kind")) {
            if (!strcmp(argv[i + 1], "image")) return cli_generate_image(argc, argv);
            if (!strcmp(argv[i + 1], "audio")) return cli_generate_audio(argc, argv);
            if (!strcmp(argv[i + 1], "video")) return cli_generate_video(argc, argv);
            if (strcmp(argv[i + 1], "text") != 0) {
                fprintf(stderr, "any2any generate: --kind %s is not one of text, image, audio, video\n", argv[i + 1]);
                return 2;
            }
        }
    cli_llm_opts o;
    cli_llm_opts_init(&o);
    const char *prompt = NULL;
    for (int i = 1; i < argc; i++) {
        int r = cli_llm_opts_parse(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if ((!strcmp(argv[i], "-p") || !strcmp(argv[i], "--prompt")) && i + 1 < argc) prompt = argv[++i];
        else if (!strcmp(argv[i], "--kind") && i + 1 < argc) i++;
        else return usage();
    }
    if (!o.model || !prompt) return usage();
    if (o.n_predict < 0) o.n_predict = 128;
    cli_llm l;
    int32_t *ids = NULL;
    a2a_textgen_result res = {0};
    int rc = 1;
    if (!cli_llm_open(&l, &o)) goto done;
    size_t n_ids = 0;
    if (a2a_tokenize(l.ctx, l.m->vocab, prompt, strlen(prompt), o.bos, false, &ids, &n_ids) != A2A_OK) goto fail;
    if (n_ids == 0) {
        a2a_fail(l.ctx, A2A_ERR_INVALID_ARG, "the prompt is empty");
        goto fail;
    }
    for (size_t i = 0; i < n_ids; i++) a2a_sampler_accept(l.smp, ids[i]);
    cli_sigint_install();
    fputs(prompt, stdout);
    fflush(stdout);
    double t1 = cli_now();
    if (a2a_llm_decode(l.ctx, l.s, ids, NULL, NULL, (int32_t)n_ids, NULL, &cli_sigint_flag) != A2A_OK) goto fail;
    double t_prompt = cli_now() - t1, t2 = cli_now();
    a2a_textgen_params tg = {o.n_predict, NULL, false, o.ignore_eos};
    if (a2a_textgen_run(l.ctx, l.s, l.smp, l.m->vocab, &tg, cli_print_text, NULL, &cli_sigint_flag, &res) != A2A_OK) goto fail;
    double t_gen = cli_now() - t2;
    printf("\n");
    fflush(stdout);
    fprintf(stderr, "load %.2f s | prompt %zu tokens in %.2f s (%.1f tok/s) | generated %d tokens in %.2f s (%.1f tok/s)%s%s\n",
            l.t_load, n_ids, t_prompt, n_ids / (t_prompt > 0 ? t_prompt : 1e-9), res.n_tokens, t_gen,
            res.n_tokens / (t_gen > 0 ? t_gen : 1e-9), res.cancelled ? " | interrupted" : "",
            res.context_full ? " | context full" : "");
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any generate: %s\n", a2a_last_error(l.ctx));
done:
    free(res.text);
    free(ids);
    cli_llm_close(&l);
    return rc;
}
