#define _GNU_SOURCE
#include "text/chat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *k_vicuna_v0_system =
    "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, detailed, "
    "and polite answers to the human's questions.";
static const char *k_vicuna_system =
    "A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful, detailed, "
    "and polite answers to the user's questions.";

a2a_chat_template a2a_chat_template_detect(const char *j, size_t len) {
    if (!j || !len) return A2A_CHAT_UNKNOWN;
#define HAS(s) (memmem(j, len, s, sizeof(s) - 1) != NULL)
    if (HAS("<|im_start|>")) return A2A_CHAT_CHATML;
    if (HAS("[INST]")) return A2A_CHAT_LLAMA2;
    if (HAS("### Human")) return A2A_CHAT_VICUNA_V0;
    if (HAS("USER: ") && HAS("ASSISTANT:")) return A2A_CHAT_VICUNA;
#undef HAS
    return A2A_CHAT_UNKNOWN;
}

a2a_chat_template a2a_chat_template_from_name(const char *name) {
    if (!name) return A2A_CHAT_UNKNOWN;
    if (!strcmp(name, "vicuna-v0")) return A2A_CHAT_VICUNA_V0;
    if (!strcmp(name, "vicuna")) return A2A_CHAT_VICUNA;
    if (!strcmp(name, "llama2")) return A2A_CHAT_LLAMA2;
    if (!strcmp(name, "chatml")) return A2A_CHAT_CHATML;
    return A2A_CHAT_UNKNOWN;
}

const char *a2a_chat_template_name(a2a_chat_template t) {
    switch (t) {
    case A2A_CHAT_VICUNA_V0: return "vicuna-v0";
    case A2A_CHAT_VICUNA: return "vicuna";
    case A2A_CHAT_LLAMA2: return "llama2";
    case A2A_CHAT_CHATML: return "chatml";
    default: return "unknown";
    }
}

const char *a2a_chat_stop_string(a2a_chat_template t) {
    switch (t) {
    case A2A_CHAT_VICUNA_V0: return "###";
    case A2A_CHAT_VICUNA: return "USER:";
    case A2A_CHAT_LLAMA2: return "[INST]";
    case A2A_CHAT_CHATML: return "<|im_end|>";
    default: return NULL;
    }
}

typedef struct sbuf { char *p; size_t n, cap; bool oom; } sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) { b->oom = true; return; }
    if (b->n + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + (size_t)need + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { b->oom = true; return; }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)need;
}

a2a_status a2a_chat_render(a2a_ctx *ctx, a2a_chat_template t, const a2a_chat_msg *msgs, size_t n, bool add_assistant,
                           char **out) {
    *out = NULL;
    if (t == A2A_CHAT_UNKNOWN) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "chat: unknown template");
    for (size_t i = 0; i < n; i++) {
        const char *r = msgs[i].role;
        if (!r || !msgs[i].content || (strcmp(r, "system") && strcmp(r, "user") && strcmp(r, "assistant")))
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "chat: message %zu has role '%s' (system, user, assistant)", i, r ? r : "(null)");
    }
    const char *system = NULL;
    size_t first = 0;
    if (n > 0 && !strcmp(msgs[0].role, "system")) {
        system = msgs[0].content;
        first = 1;
    }
    sbuf b = {0};
    switch (t) {
    case A2A_CHAT_VICUNA_V0:
        sb_printf(&b, "%s", system ? system : k_vicuna_v0_system);
        for (size_t i = first; i < n; i++)
            sb_printf(&b, "\n### %s: %s", !strcmp(msgs[i].role, "user") ? "Human" : "Assistant", msgs[i].content);
        if (add_assistant) sb_printf(&b, "\n### Assistant:");
        break;
    case A2A_CHAT_VICUNA:
        sb_printf(&b, "%s ", system ? system : k_vicuna_system);
        for (size_t i = first; i < n; i++) {
            if (!strcmp(msgs[i].role, "user")) sb_printf(&b, "USER: %s ", msgs[i].content);
            else sb_printf(&b, "ASSISTANT: %s</s>", msgs[i].content);
        }
        if (add_assistant) sb_printf(&b, "ASSISTANT:");
        break;
    case A2A_CHAT_LLAMA2: {
        bool open = false, sys_pending = system != NULL;
        for (size_t i = first; i < n; i++) {
            if (!strcmp(msgs[i].role, "user")) {
                sb_printf(&b, "<s>[INST] ");
                if (sys_pending) {
                    sb_printf(&b, "<<SYS>>\n%s\n<</SYS>>\n\n", system);
                    sys_pending = false;
                }
                sb_printf(&b, "%s [/INST]", msgs[i].content);
                open = true;
            } else {
                sb_printf(&b, " %s </s>", msgs[i].content);
                open = false;
            }
        }
        (void)open;
        break;
    }
    case A2A_CHAT_CHATML:
        for (size_t i = 0; i < n; i++) sb_printf(&b, "<|im_start|>%s\n%s<|im_end|>\n", msgs[i].role, msgs[i].content);
        if (add_assistant) sb_printf(&b, "<|im_start|>assistant\n");
        break;
    default: break;
    }
    if (b.oom) {
        free(b.p);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "chat: out of memory");
    }
    if (!b.p) {
        b.p = calloc(1, 1);
        if (!b.p) return a2a_fail(ctx, A2A_ERR_NOMEM, "chat: out of memory");
    }
    *out = b.p;
    return A2A_OK;
}
