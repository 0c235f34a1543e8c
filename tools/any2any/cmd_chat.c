#define _GNU_SOURCE
/* any2any chat -m FILE.gguf [--template NAME] [--system TEXT] [options]: a multi-turn REPL.
   The template comes from the model's tokenizer.chat_template (recognized family) unless
   --template names one (vicuna-v0, vicuna, llama2, chatml). Each turn reuses the KV cache for
   the part of the conversation already evaluated. Ctrl-C stops a reply without quitting;
   Ctrl-D (end of input) or /quit ends the session. Line editing uses readline when built with it. */
#include "cli.h"
#include "llm_run.h"
#include "text/chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef A2A_HAVE_READLINE
#include <readline/history.h>
#include <readline/readline.h>
#endif

/* One line of input without the newline (malloc'd), or NULL at end of input. */
static char *read_line(bool tty) {
#ifdef A2A_HAVE_READLINE
    if (tty) {
        char *l = readline("> ");
        if (l && *l) add_history(l);
        return l;
    }
#endif
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

static int usage(void) {
    fprintf(stderr, "usage: any2any chat -m FILE.gguf [--template vicuna-v0|vicuna|llama2|chatml] [--system TEXT] [options]\n%s",
            cli_llm_opts_help);
    return 2;
}

typedef struct conv { a2a_chat_msg *msgs; size_t n, cap; } conv;

static bool conv_add(conv *c, const char *role, char *content) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        a2a_chat_msg *p = realloc(c->msgs, cap * sizeof(*p));
        if (!p) return false;
        c->msgs = p;
        c->cap = cap;
    }
    c->msgs[c->n++] = (a2a_chat_msg){role, content};
    return true;
}

/* True when path is a bundle (a folder, or a .json manifest) rather than a GGUF model. */
static bool is_bundle(const char *path) {
    size_t n = strlen(path);
    struct stat sb;
    return (n > 5 && !strcmp(path + n - 5, ".json")) || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

int cli_chat(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i++)
        if ((!strcmp(argv[i], "-m") || !strcmp(argv[i], "--model")) && is_bundle(argv[i + 1])) return cli_chat_mm(argc, argv);
    cli_llm_opts o;
    cli_llm_opts_init(&o);
    const char *tmpl_name = NULL, *system = NULL;
    for (int i = 1; i < argc; i++) {
        int r = cli_llm_opts_parse(&o, argc, argv, &i);
        if (r < 0) return 2;
        if (r) continue;
        if (!strcmp(argv[i], "--template") && i + 1 < argc) tmpl_name = argv[++i];
        else if (!strcmp(argv[i], "--system") && i + 1 < argc) system = argv[++i];
        else return usage();
    }
    if (!o.model) return usage();
    if (o.n_predict < 0) o.n_predict = 512;
    cli_llm l;
    conv c = {0};
    int32_t *cached = NULL; /* tokens whose K/V are in the session, in order */
    size_t n_cached = 0, cap_cached = 0;
    int rc = 1;
    if (!cli_llm_open(&l, &o)) goto done;
    a2a_chat_template t = A2A_CHAT_UNKNOWN;
    if (tmpl_name) {
        t = a2a_chat_template_from_name(tmpl_name);
        if (t == A2A_CHAT_UNKNOWN) {
            fprintf(stderr, "any2any chat: unknown template '%s' (vicuna-v0, vicuna, llama2, chatml)\n", tmpl_name);
            rc = 2;
            goto done;
        }
    } else {
        const char *j;
        size_t jl;
        if (a2a_gguf_get_str(NULL, l.m->gguf, "tokenizer.chat_template", &j, &jl) == A2A_OK) t = a2a_chat_template_detect(j, jl);
        if (t == A2A_CHAT_UNKNOWN) t = A2A_CHAT_VICUNA_V0; /* NExT-GPT's Vicuna v0 format */
    }
    bool tty = isatty(STDIN_FILENO);
    if (tty) fprintf(stderr, "any2any chat: template %s; Ctrl-C stops a reply, Ctrl-D or /quit exits\n", a2a_chat_template_name(t));
    if (system && !conv_add(&c, "system", strdup(system))) goto oom;
    cli_sigint_install();
    for (;;) {
        cli_sigint_flag = 0;
        char *line = read_line(tty);
        if (!line) break;
        if (!strcmp(line, "/quit") || !strcmp(line, "/exit")) { free(line); break; }
        if (!*line) { free(line); continue; }
        if (!conv_add(&c, "user", line)) { free(line); goto oom; }
        char *prompt = NULL;
        if (a2a_chat_render(l.ctx, t, c.msgs, c.n, true, &prompt) != A2A_OK) goto fail;
        int32_t *ids = NULL;
        size_t n_ids = 0;
        a2a_status st = a2a_tokenize(l.ctx, l.m->vocab, prompt, strlen(prompt), o.bos, true, &ids, &n_ids);
        free(prompt);
        if (st) goto fail;
        /* reuse the common prefix already in the KV cache (keep at least one new position) */
        size_t keep = 0;
        while (keep < n_cached && keep < n_ids && cached[keep] == ids[keep]) keep++;
        if (keep == n_ids) keep--;
        a2a_llm_session_rewind(l.s, (int32_t)keep);
        for (size_t i = keep; i < n_ids; i++) a2a_sampler_accept(l.smp, ids[i]);
        st = a2a_llm_decode(l.ctx, l.s, ids + keep, NULL, NULL, (int32_t)(n_ids - keep), NULL, &cli_sigint_flag);
        if (st == A2A_ERR_CANCELLED) {
            free(ids);
            a2a_llm_session_rewind(l.s, (int32_t)keep);
            n_cached = keep;
            c.n--; /* drop the unanswered message */
            free((char *)c.msgs[c.n].content);
            fprintf(stderr, "\n[interrupted]\n");
            continue;
        }
        if (st) { free(ids); goto fail; }
        /* remember the evaluated tokens */
        if (n_ids > cap_cached) {
            int32_t *p = realloc(cached, sizeof(int32_t) * n_ids * 2);
            if (!p) { free(ids); goto oom; }
            cached = p;
            cap_cached = n_ids * 2;
        }
        memcpy(cached, ids, sizeof(int32_t) * n_ids);
        n_cached = n_ids;
        free(ids);
        a2a_textgen_params tg = {o.n_predict, a2a_chat_stop_string(t), false, o.ignore_eos};
        a2a_textgen_result res;
        if (a2a_textgen_run(l.ctx, l.s, l.smp, l.m->vocab, &tg, cli_print_text, NULL, &cli_sigint_flag, &res) != A2A_OK) {
            free(res.text);
            goto fail;
        }
        printf("\n");
        fflush(stdout);
        if (res.cancelled) fprintf(stderr, "[interrupted]\n");
        /* the reply tokens are in the cache but not in `cached`: the next turn re-tokenizes the
           whole conversation and reuses what matches */
        char *reply = res.text;
        size_t rl = res.len;
        while (rl > 0 && (reply[rl - 1] == ' ' || reply[rl - 1] == '\n')) reply[--rl] = 0;
        char *start = reply;
        while (*start == ' ') start++;
        char *content = strdup(start);
        free(res.text);
        if (!content || !conv_add(&c, "assistant", content)) { free(content); goto oom; }
        if (res.context_full) {
            fprintf(stderr, "any2any chat: the context is full (%d positions); start a new session\n", l.s->n_ctx);
            break;
        }
    }
    rc = 0;
    goto done;
oom:
    a2a_fail(l.ctx, A2A_ERR_NOMEM, "out of memory");
fail:
    fprintf(stderr, "any2any chat: %s\n", a2a_last_error(l.ctx));
done:
    for (size_t i = 0; i < c.n; i++) free((char *)c.msgs[i].content);
    free(c.msgs);
    free(cached);
    cli_llm_close(&l);
    return rc;
}
