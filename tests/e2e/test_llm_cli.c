/* End to end through the CLI: a tiny random-weight LLaMA model with the real LLaMA (Vicuna)
   SentencePiece vocabulary is written with our GGUF writer (a2a_llm_write_random), then `any2any generate` and
   `any2any chat` run on it. Checks: the commands succeed, the same seed gives the same text for
   1 and 2 threads, greedy decoding is deterministic, chat handles several turns from a pipe,
   and bad arguments exit non-zero with a message. */
#include "a2a_test.h"
#include "models/llm/llama_random.h"

#include <sys/wait.h>
#include <unistd.h>

static char g_dir[256], g_model[300];

/* Write the model: the "tiny" random shape with the LLaMA SentencePiece vocabulary. */
static bool write_model(void) {
    a2a_llm_random_params p;
    a2a_llm_random_shape("tiny", &p);
    char vocab_path[1024];
    snprintf(vocab_path, sizeof(vocab_path), "%s/fixtures/vocab/ggml-vocab-llama-spm.gguf", A2A_SHARED_DIR);
    p.vocab_path = vocab_path;
    p.n_ctx = 256;
    p.seed = 42;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_llm_write_random(ctx, &p, g_model);
    CHECK_MSG(st == A2A_OK, "writing the model: %s", a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return st == A2A_OK;
}

/* Run a shell command, capture stdout (malloc'd) and the exit status. */
static char *run(const char *cmd, int *status) {
    FILE *p = popen(cmd, "r");
    if (!p) { *status = -1; return NULL; }
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t r;
    while ((r = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += r;
        if (n + 1 >= cap) { cap *= 2; out = realloc(out, cap); }
    }
    out[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static const char *bin(void) {
    const char *b = getenv("A2A_BIN");
    return b ? b : "./any2any";
}

TEST(test_generate) {
    char cmd[2048];
    int st1, st2, st3;
    snprintf(cmd, sizeof(cmd), "%s generate -m %s -p 'Hello world, this is' -n 12 --seed 7 -t 1 2>/dev/null", bin(), g_model);
    char *a = run(cmd, &st1);
    snprintf(cmd, sizeof(cmd), "%s generate -m %s -p 'Hello world, this is' -n 12 --seed 7 -t 2 2>/dev/null", bin(), g_model);
    char *b = run(cmd, &st2);
    CHECK_EQ_INT(st1, 0);
    CHECK_EQ_INT(st2, 0);
    CHECK(a && b && strcmp(a, b) == 0);
    CHECK(a && strncmp(a, "Hello world, this is", 20) == 0 && strlen(a) > 21);
    snprintf(cmd, sizeof(cmd), "%s generate -m %s -p 'Hello' -n 6 --temp 0 -t 2 2>&1", bin(), g_model);
    char *c = run(cmd, &st3);
    CHECK_EQ_INT(st3, 0);
    CHECK(c && strstr(c, "tok/s") != NULL); /* timings line */
    free(a);
    free(b);
    free(c);
}

TEST(test_chat_pipe) {
    char cmd[2048];
    int st;
    snprintf(cmd, sizeof(cmd), "printf 'Hi there\\nWhat is a cat?\\n/quit\\n' | %s chat -m %s -n 10 --seed 3 -t 2 2>&1", bin(), g_model);
    char *out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    CHECK(out && strlen(out) > 0);
    snprintf(cmd, sizeof(cmd), "printf 'Hi\\n' | %s chat -m %s -n 4 --template chatml 2>&1", bin(), g_model);
    free(out);
    out = run(cmd, &st);
    CHECK_EQ_INT(st, 0);
    free(out);
}

TEST(test_bad_args) {
    char cmd[2048];
    int st;
    snprintf(cmd, sizeof(cmd), "%s generate -p hi 2>&1", bin());
    char *o = run(cmd, &st);
    CHECK_EQ_INT(st, 2);
    free(o);
    snprintf(cmd, sizeof(cmd), "%s generate -m /nonexistent.gguf -p hi 2>&1", bin());
    o = run(cmd, &st);
    CHECK_EQ_INT(st, 1);
    CHECK(o && strstr(o, "nonexistent") != NULL);
    free(o);
    snprintf(cmd, sizeof(cmd), "%s generate -m %s -p hi --temp abc 2>&1", bin(), g_model);
    o = run(cmd, &st);
    CHECK_EQ_INT(st, 2);
    free(o);
    snprintf(cmd, sizeof(cmd), "%s generate -m %s -p hi -c 4 -n 50 2>&1", bin(), g_model);
    o = run(cmd, &st);
    CHECK_EQ_INT(st, 0); /* context fills up: a clean stop, reported */
    CHECK(o && strstr(o, "context full") != NULL);
    free(o);
    snprintf(cmd, sizeof(cmd), "printf 'x\\n' | %s chat -m %s --template nope 2>&1", bin(), g_model);
    o = run(cmd, &st);
    CHECK_EQ_INT(st, 2);
    free(o);
}

static void setup(void) {
    snprintf(g_dir, sizeof(g_dir), "/tmp/a2a-e2e-XXXXXX");
    if (!mkdtemp(g_dir)) { CHECK(0); return; }
    snprintf(g_model, sizeof(g_model), "%s/tiny-vicuna.gguf", g_dir);
    CHECK(write_model());
}

static void teardown(void) {
    unlink(g_model);
    rmdir(g_dir);
}

TEST(test_all) {
    setup();
    test_generate();
    test_chat_pipe();
    test_bad_args();
    teardown();
}

TEST_MAIN(test_all)
