/* End to end through the CLI: a tiny random-weight LLaMA model with the real LLaMA (Vicuna)
   SentencePiece vocabulary is written with our GGUF writer, then `any2any generate` and
   `any2any chat` run on it. Checks: the commands succeed, the same seed gives the same text for
   1 and 2 threads, greedy decoding is deterministic, chat handles several turns from a pipe,
   and bad arguments exit non-zero with a message. */
#include "a2a_test.h"
#include "core/types.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"

#include <sys/wait.h>
#include <unistd.h>

static char g_dir[256], g_model[300];

static bool only_tokenizer(const char *key, void *user) {
    (void)user;
    return strncmp(key, "tokenizer.", 10) == 0;
}

/* Write the model; returns false on failure. Weights: N(0, 1/sqrt(fan_in)) from a fixed seed. */
static bool write_model(void) {
    char vocab_path[1024];
    snprintf(vocab_path, sizeof(vocab_path), "%s/fixtures/vocab/ggml-vocab-llama-spm.gguf", A2A_SHARED_DIR);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_gguf_writer *w = NULL;
    bool ok = a2a_gguf_open(ctx, vocab_path, &g) == A2A_OK && a2a_gguf_writer_new(ctx, &w) == A2A_OK &&
              a2a_gguf_writer_copy_kv(ctx, w, g, only_tokenizer, NULL) == A2A_OK;
    const int E = 64, L = 2, H = 4, HKV = 2, FF = 128, V = 32000, HD = E / H;
    ok = ok && a2a_gguf_writer_set_str(ctx, w, "general.architecture", "llama") == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.context_length", 256) == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.embedding_length", E) == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.block_count", L) == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.feed_forward_length", FF) == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.attention.head_count", H) == A2A_OK &&
         a2a_gguf_writer_set_u32(ctx, w, "llama.attention.head_count_kv", HKV) == A2A_OK &&
         a2a_gguf_writer_set_f32(ctx, w, "llama.attention.layer_norm_rms_epsilon", 1e-5f) == A2A_OK;
    /* tensors: all storage kept until the write */
    enum { MAXT = 32 };
    void *bufs[MAXT];
    int nb = 0;
    a2a_test_rng rng = {42};
    struct { const char *name; int64_t ne0, ne1; bool norm; } specs[64];
    int ns = 0;
    specs[ns++] = (typeof(specs[0])){"token_embd.weight", E, V, false};
    specs[ns++] = (typeof(specs[0])){"output.weight", E, V, false};
    specs[ns++] = (typeof(specs[0])){"output_norm.weight", E, 1, true};
    static char names[64][64];
    for (int l = 0; l < L; l++) {
        const char *suf[] = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
        int64_t n0[] = {E, E, E, E, HD * H, E, E, E, FF}, n1[] = {1, HD * H, HD * HKV, HD * HKV, E, 1, FF, FF, E};
        for (int k = 0; k < 9; k++) {
            snprintf(names[ns], sizeof(names[ns]), "blk.%d.%s.weight", l, suf[k]);
            specs[ns] = (typeof(specs[0])){names[ns], n0[k], n1[k], n1[k] == 1};
            ns++;
        }
    }
    for (int i = 0; ok && i < ns && nb < MAXT; i++) {
        int64_t n = specs[i].ne0 * specs[i].ne1;
        float scale = 1.0f / sqrtf((float)specs[i].ne0);
        if (specs[i].norm) {
            float *f = malloc(sizeof(float) * (size_t)n);
            for (int64_t k = 0; k < n; k++) f[k] = 1.0f + a2a_test_uniform(&rng, -0.1f, 0.1f);
            bufs[nb++] = f;
            int64_t ne[1] = {n};
            ok = a2a_gguf_writer_add_tensor(ctx, w, specs[i].name, A2A_TYPE_F32, 1, ne, f) == A2A_OK;
        } else {
            uint16_t *h = malloc(sizeof(uint16_t) * (size_t)n);
            for (int64_t k = 0; k < n; k++) h[k] = a2a_f32_to_fp16(a2a_test_uniform(&rng, -1.7f, 1.7f) * scale * (i < 2 ? 8.0f : 1.0f));
            bufs[nb++] = h;
            int64_t ne[2] = {specs[i].ne0, specs[i].ne1};
            ok = a2a_gguf_writer_add_tensor(ctx, w, specs[i].name, A2A_TYPE_F16, 2, ne, h) == A2A_OK;
        }
    }
    ok = ok && a2a_gguf_writer_write(ctx, w, g_model) == A2A_OK;
    CHECK_MSG(ok, "writing the model: %s", a2a_last_error(ctx));
    for (int i = 0; i < nb; i++) free(bufs[i]);
    a2a_gguf_writer_free(w);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return ok;
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
