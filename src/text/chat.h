/* Internal: chat templates. GGUF files carry a Jinja template in tokenizer.chat_template; we
   recognize the common families by their markers (as llama.cpp does) and render them with
   built-in code, with explicit fallbacks for Vicuna v0 (NExT-GPT's "### Human:" format),
   Vicuna v1.1, LLaMA-2 chat and ChatML. */
#ifndef A2A_TEXT_CHAT_H
#define A2A_TEXT_CHAT_H

#include "core/status.h"

typedef enum a2a_chat_template {
    A2A_CHAT_UNKNOWN = 0,
    A2A_CHAT_VICUNA_V0 = 1, /* "{system}\n### Human: {u}\n### Assistant: {a}\n### Human: ..." */
    A2A_CHAT_VICUNA = 2,    /* Vicuna v1.1: "{system} USER: {u} ASSISTANT: {a}</s>USER: ..." */
    A2A_CHAT_LLAMA2 = 3,    /* "<s>[INST] <<SYS>>\n{s}\n<</SYS>>\n\n{u} [/INST] {a} </s><s>[INST] ..." */
    A2A_CHAT_CHATML = 4,    /* "<|im_start|>{role}\n{content}<|im_end|>\n" ... "<|im_start|>assistant\n" */
} a2a_chat_template;

typedef struct a2a_chat_msg {
    const char *role;    /* "system", "user" or "assistant" */
    const char *content; /* UTF-8 text */
} a2a_chat_msg;

/* Template family of a Jinja template source (NULL/empty: UNKNOWN). */
a2a_chat_template a2a_chat_template_detect(const char *jinja, size_t len);
/* Template by name: "vicuna-v0", "vicuna", "llama2", "chatml"; UNKNOWN otherwise. */
a2a_chat_template a2a_chat_template_from_name(const char *name);
const char *a2a_chat_template_name(a2a_chat_template t);

/* Render messages into a prompt; add_assistant appends the assistant header for the reply.
   A missing system message gets the template's default one (none for ChatML/LLaMA-2).
   *out is malloc'd (caller frees). Unknown roles give A2A_ERR_INVALID_ARG. */
a2a_status a2a_chat_render(a2a_ctx *ctx, a2a_chat_template t, const a2a_chat_msg *msgs, size_t n, bool add_assistant,
                           char **out);

/* Text that ends an assistant turn for the template (generation stops there), or NULL. */
const char *a2a_chat_stop_string(a2a_chat_template t);

#endif
