#define _GNU_SOURCE
/* any2any chat -m BUNDLE [-o DIR] [LLM options]: a multi-turn any-to-any conversation through a
   bundle. Lines "/image F", "/audio F", "/video F" attach media to the next message (several
   may be queued); any other line is the message. Every turn is appended to the same KV cache,
   so earlier turns -- their media included -- stay in context (modality switching across turns,
   as MosIT dialogues do); media already encoded are taken from the cache. Replies stream to
   stdout; images and sounds the reply produces are written to DIR/reply-N.png|wav. /force M and
   /forbid M steer the next reply; Ctrl-C stops a reply; Ctrl-D or /quit ends. */
#include "cli.h"
#include "llm_opts.h"
#include "llm_run.h"
#include "media_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline/mm_system.h"
#include "pipeline/nextgpt.h"

#define CHAT_MAX_MEDIA 16

/* One input line (malloc'd, no newline) or NULL at end of input. */
static char *mm_read_line(bool tty) {
    if (tty) {
        fputs("> ", stdout);
        fflush(stdout);
    }
    size_t cap = 0;
    char *line = NULL;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    if (n > 0 && line[n - 1] == '\n') line[n - 1] = 0;
    return line;
}

int cli_chat_mm(int argc, char **argv) {
    cli_llm_opts o;
    cli_llm_opts_init(&o);
    const char *outdir = ".";
    for (int i = 1; i < argc; i++) {
        int r = cli_llm_opts_parse(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(argv[i], "-o") && i + 1 < argc) outdir = argv[++i];
        else {
            fprintf(stderr, "usage: any2any chat -m BUNDLE [-o DIR] [options]\n%s", cli_llm_opts_help);
            return 2;
        }
    }
    if (o.n_predict < 0) o.n_predict = 512;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_bundle_spec *spec = calloc(1, sizeof *spec);
    a2a_mm_system *sys = NULL;
    a2a_llm_session *s = NULL;
    a2a_sampler *smp = NULL;
    a2a_perception perc;
    memset(&perc, 0, sizeof perc);
    int rc = 1, n_written = 0;
    a2a_chunk queued[CHAT_MAX_MEDIA + 1];
    char *paths[CHAT_MAX_MEDIA];
    int n_queued = 0;
    a2a_nextgpt_params np = a2a_nextgpt_default_params();
    if (!spec || a2a_bundle_read(ctx, o.model, spec) != A2A_OK || a2a_mm_system_load(ctx, spec, &sys) != A2A_OK ||
        a2a_threadpool_new(ctx, o.threads, &tp) != A2A_OK)
        goto fail;
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = o.n_ctx;
    if (a2a_llm_session_new(ctx, sys->llm, tp, &sp, &s) != A2A_OK ||
        a2a_sampler_new(ctx, &o.sp, sys->llm->hp.n_vocab, &smp) != A2A_OK ||
        (sys->enc && a2a_perception_init(ctx, &perc, sys->enc, sys->proj, tp) != A2A_OK))
        goto fail;
    const bool tty = isatty(0);
    if (tty)
        fprintf(stderr, "any2any chat: bundle %s; /image F /audio F /video F attach media, /force M /forbid M steer the "
                        "reply, /quit ends\n", o.model);
    cli_sigint_install();
    for (char *line; (line = mm_read_line(tty)) != NULL; free(line)) {
        if (!strcmp(line, "/quit") || !strcmp(line, "/exit")) {
            free(line);
            break;
        }
        static const char *const cmds[3] = {"/image ", "/audio ", "/video "};
        bool handled = false;
        for (int k = 0; k < 3 && !handled; k++)
            if (!strncmp(line, cmds[k], strlen(cmds[k]))) {
                handled = true;
                if (n_queued == CHAT_MAX_MEDIA) {
                    fprintf(stderr, "any2any chat: at most %d media per message\n", CHAT_MAX_MEDIA);
                    break;
                }
                paths[n_queued] = strdup(line + strlen(cmds[k]));
                queued[n_queued] = (a2a_chunk){(a2a_chunk_kind)(k + 1), NULL, paths[n_queued], NULL, 0};
                n_queued++;
            }
        if (!handled && (!strncmp(line, "/force ", 7) || !strncmp(line, "/forbid ", 8))) {
            bool force = line[2] == 'o';
            const char *mname = line + (force ? 7 : 8);
            for (int m = 0; m < A2A_OUT_N; m++)
                if (!strcmp(mname, a2a_out_modality_name(m))) (force ? np.force : np.forbid)[m] = true;
            handled = true;
        }
        if (handled || !line[0]) continue;
        queued[n_queued] = (a2a_chunk){A2A_CHUNK_TEXT, line, NULL, NULL, 0};
        cli_sigint_flag = 0;
        a2a_status st = a2a_mm_system_eval(ctx, sys, &perc, s, queued, n_queued + 1, &cli_sigint_flag, NULL);
        for (int k = 0; k < n_queued; k++) free(paths[k]);
        n_queued = 0;
        if (st != A2A_OK) {
            fprintf(stderr, "any2any chat: %s\n", a2a_last_error(ctx));
            if (st == A2A_ERR_NOMEM) break; /* context full */
            continue;
        }
        a2a_nextgpt_reply rep;
        np.n_predict = o.n_predict;
        st = a2a_nextgpt_generate(ctx, sys, s, smp, tp, &np, cli_print_text, NULL, &cli_sigint_flag, &rep);
        printf("\n");
        if (st == A2A_OK) {
            char files[A2A_NEXTGPT_MAX_MEDIA][CLI_PATH_MAX];
            int n_files = 0;
            st = cli_write_reply_media(ctx, &rep, outdir, n_written + 1, files, &n_files);
            for (int k = 0; k < n_files; k++) printf("[%s]\n", files[k]);
            n_written += n_files;
        }
        if (st != A2A_OK) fprintf(stderr, "any2any chat: %s\n", a2a_last_error(ctx));
        a2a_nextgpt_reply_free(&rep);
        fflush(stdout);
        memset(np.force, 0, sizeof np.force);
        memset(np.forbid, 0, sizeof np.forbid);
    }
    for (int k = 0; k < n_queued; k++) free(paths[k]);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any chat: %s\n", a2a_last_error(ctx));
done:
    a2a_perception_free(&perc);
    a2a_sampler_free(smp);
    a2a_llm_session_free(s);
    a2a_threadpool_free(tp);
    a2a_mm_system_free(sys);
    free(spec);
    a2a_ctx_free(ctx);
    return rc;
}
