/* Chat templates: exact renderings of the built-in families (Vicuna v0 as NExT-GPT prompts,
   Vicuna v1.1, LLaMA-2 chat, ChatML), detection from Jinja sources, stop strings, bad roles. */
#include "a2a_test.h"
#include "text/chat.h"

static void expect_render(a2a_chat_template t, const a2a_chat_msg *m, size_t n, bool add, const char *want) {
    char *out = NULL;
    CHECK(a2a_chat_render(NULL, t, m, n, add, &out) == A2A_OK);
    CHECK_MSG(out && strcmp(out, want) == 0, "%s:\n  got:  [%s]\n  want: [%s]", a2a_chat_template_name(t), out ? out : "", want);
    free(out);
}

TEST(test_render) {
    a2a_chat_msg conv[] = {{"user", "Hi"}, {"assistant", "Hello!"}, {"user", "Draw a cat."}};
    expect_render(A2A_CHAT_VICUNA_V0, conv, 3, true,
                  "A chat between a curious human and an artificial intelligence assistant. The assistant gives helpful, "
                  "detailed, and polite answers to the human's questions.\n### Human: Hi\n### Assistant: Hello!\n### Human: "
                  "Draw a cat.\n### Assistant:");
    a2a_chat_msg sys[] = {{"system", "Be brief."}, {"user", "Hi"}};
    expect_render(A2A_CHAT_VICUNA, sys, 2, true, "Be brief. USER: Hi ASSISTANT:");
    expect_render(A2A_CHAT_LLAMA2, sys, 2, false, "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
    expect_render(A2A_CHAT_LLAMA2, conv, 3, false, "<s>[INST] Hi [/INST] Hello! </s><s>[INST] Draw a cat. [/INST]");
    expect_render(A2A_CHAT_CHATML, sys, 2, true,
                  "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
}

TEST(test_detect) {
    const char *chatml = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{% endfor %}";
    CHECK(a2a_chat_template_detect(chatml, strlen(chatml)) == A2A_CHAT_CHATML);
    const char *l2 = "{{ bos_token + '[INST] ' + content + ' [/INST]' }}";
    CHECK(a2a_chat_template_detect(l2, strlen(l2)) == A2A_CHAT_LLAMA2);
    const char *v = "{{ 'USER: ' + m }}{{ 'ASSISTANT:' }}";
    CHECK(a2a_chat_template_detect(v, strlen(v)) == A2A_CHAT_VICUNA);
    CHECK(a2a_chat_template_detect("{{ x }}", 7) == A2A_CHAT_UNKNOWN);
    CHECK(a2a_chat_template_detect(NULL, 0) == A2A_CHAT_UNKNOWN);
    CHECK(a2a_chat_template_from_name("vicuna-v0") == A2A_CHAT_VICUNA_V0);
    CHECK(a2a_chat_template_from_name("nope") == A2A_CHAT_UNKNOWN);
    CHECK(strcmp(a2a_chat_stop_string(A2A_CHAT_VICUNA_V0), "###") == 0);
}

TEST(test_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_chat_msg bad[] = {{"robot", "x"}};
    char *out = NULL;
    CHECK(a2a_chat_render(ctx, A2A_CHAT_CHATML, bad, 1, true, &out) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "robot") != NULL && out == NULL);
    CHECK(a2a_chat_render(ctx, A2A_CHAT_UNKNOWN, bad, 0, true, &out) == A2A_ERR_UNSUPPORTED);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_render, test_detect, test_errors)
