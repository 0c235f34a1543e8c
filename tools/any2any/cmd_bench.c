/* any2any bench llm -m FILE.gguf [-p 512] [-n 128] [-t THREADS] [--json]
       prefill and decode tokens/s on random prompt tokens (seeded), and decode as a fraction of
       the memory-bandwidth roofline measured in the same run (bytes of weights read per token /
       streaming read bandwidth of the same threads).
   any2any bench random-llm --shape tinyllama|7b|small|tiny -o OUT.gguf [--vocab V.gguf] [--f32]
       write a LLaMA GGUF with random weights (and the tokenizer of V.gguf) for benchmarks;
       quantize it with `any2any quantize`. */
#include "cli.h"
#include "core/threadpool.h"
#include "llm_run.h"
#include "models/llm/llama.h"
#include "models/llm/llama_random.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct bw_job { const uint64_t *buf; size_t n; uint64_t sums[64]; } bw_job;

static void bw_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    (void)nth;
    bw_job *j = arg;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int64_t i = i0; i + 3 < i1; i += 4) {
        s0 += j->buf[i];
        s1 += j->buf[i + 1];
        s2 += j->buf[i + 2];
        s3 += j->buf[i + 3];
    }
    if (ith < 64) j->sums[ith] = s0 + s1 + s2 + s3;
}

/* Streaming read bandwidth (GB/s) of the pool's threads over a 512 MiB buffer, best of 3. */
static double read_bandwidth(a2a_threadpool *tp) {
    size_t bytes = (size_t)512 << 20, n = bytes / 8;
    uint64_t *buf = malloc(bytes);
    if (!buf) return 0;
    for (size_t i = 0; i < n; i++) buf[i] = i;
    bw_job j = {buf, n, {0}};
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = cli_now();
        a2a_parallel_for(tp, (int64_t)n, 1 << 16, bw_task, &j);
        double dt = cli_now() - t0;
        if (bytes / dt / 1e9 > best) best = bytes / dt / 1e9;
    }
    free(buf);
    return best;
}

static int bench_llm(int argc, char **argv) {
    const char *model = NULL;
    int n_prompt = 512, n_gen = 128, threads = 0;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "-p") && i + 1 < argc) n_prompt = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-n") && i + 1 < argc) n_gen = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json = true;
        else model = NULL, i = argc;
    }
    if (!model || n_prompt < 1 || n_gen < 1 || threads < 0) {
        fprintf(stderr, "usage: any2any bench llm -m FILE.gguf [-p 512] [-n 128] [-t THREADS] [--json]\n");
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_llm_model *m = NULL;
    a2a_threadpool *tp = NULL;
    a2a_llm_session *s = NULL;
    int32_t *ids = NULL;
    int rc = 1;
    if (a2a_llm_load(ctx, model, &m) || a2a_threadpool_new(ctx, threads, &tp)) goto fail;
    a2a_llm_session_params sp = a2a_llm_session_default_params();
    sp.n_ctx = n_prompt + n_gen + 1;
    if (a2a_llm_session_new(ctx, m, tp, &sp, &s)) goto fail;
    ids = malloc(sizeof(int32_t) * (size_t)n_prompt);
    if (!ids) goto fail;
    uint64_t r = 12345;
    for (int i = 0; i < n_prompt; i++) {
        r = r * 6364136223846793005ull + 1442695040888963407ull;
        ids[i] = (int32_t)((r >> 33) % (uint64_t)m->hp.n_vocab);
    }
    double bw = read_bandwidth(tp);
    double t0 = cli_now();
    if (a2a_llm_decode(ctx, s, ids, NULL, NULL, n_prompt, NULL, NULL)) goto fail;
    double t_prefill = cli_now() - t0;
    double t1 = cli_now();
    for (int i = 0; i < n_gen; i++) {
        int32_t best = 0;
        for (int32_t v = 1; v < m->hp.n_vocab; v++)
            if (s->logits[v] > s->logits[best]) best = v;
        if (a2a_llm_decode(ctx, s, &best, NULL, NULL, 1, NULL, NULL)) goto fail;
    }
    double t_decode = cli_now() - t1;
    /* bytes read per decode token: every tensor but the embedding table (one row) */
    double bytes = 0;
    for (int64_t i = 0; i < a2a_gguf_n_tensors(m->gguf); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(m->gguf, i);
        if (t != m->tok_embd || m->output == m->tok_embd) bytes += (double)a2a_gguf_tensor_size(m->gguf, i);
    }
    double pp = n_prompt / t_prefill, tg = n_gen / t_decode, roof = bw * 1e9 / bytes, frac = tg / roof;
    if (json) {
        printf("{\"model\":\"%s\",\"threads\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"prefill_tok_s\":%.2f,\"decode_tok_s\":%.3f,"
               "\"bandwidth_gb_s\":%.2f,\"weight_bytes_per_token\":%.0f,\"roofline_tok_s\":%.3f,\"roofline_frac\":%.4f}\n",
               model, a2a_threadpool_size(tp), n_prompt, n_gen, pp, tg, bw, bytes, roof, frac);
    } else {
        printf("model %s, %d threads\n", model, a2a_threadpool_size(tp));
        printf("prefill  %5d tokens  %9.2f tok/s\n", n_prompt, pp);
        printf("decode   %5d tokens  %9.3f tok/s  (%.1f%% of the %.2f tok/s roofline: %.2f GB/s read, %.1f MB per token)\n", n_gen, tg,
               100 * frac, roof, bw, bytes / 1e6);
    }
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "any2any bench: %s\n", a2a_last_error(ctx));
done:
    free(ids);
    a2a_llm_session_free(s);
    a2a_threadpool_free(tp);
    a2a_llm_free(m);
    a2a_ctx_free(ctx);
    return rc;
}

static int bench_random(int argc, char **argv) {
    const char *shape = "tinyllama", *out = NULL, *vocab = NULL;
    const char *extra[64];
    int n_extra = 0;
    bool f32 = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--shape") && i + 1 < argc) shape = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--vocab") && i + 1 < argc) vocab = argv[++i];
        else if (!strcmp(argv[i], "--add-token") && i + 1 < argc && n_extra < 64) extra[n_extra++] = argv[++i];
        else if (!strcmp(argv[i], "--f32")) f32 = true;
        else out = NULL, i = argc;
    }
    a2a_llm_random_params p;
    if (!out || !a2a_llm_random_shape(shape, &p)) {
        fprintf(stderr, "usage: any2any bench random-llm --shape tinyllama|7b|small|tiny -o OUT.gguf [--vocab V.gguf [--add-token T]...] [--f32]\n");
        return 2;
    }
    p.vocab_path = vocab;
    p.extra_tokens = extra;
    p.n_extra_tokens = n_extra;
    if (f32) p.type = A2A_TYPE_F32;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_status st = a2a_llm_write_random(ctx, &p, out);
    if (st) fprintf(stderr, "any2any bench: %s\n", a2a_last_error(ctx));
    else fprintf(stderr, "any2any bench: wrote %s (random %s)\n", out, shape);
    a2a_ctx_free(ctx);
    return st ? 1 : 0;
}

int cli_bench(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "llm")) return bench_llm(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "random-llm")) return bench_random(argc - 1, argv + 1);
    fprintf(stderr, "usage: any2any bench llm -m FILE.gguf [-p 512] [-n 128] [-t THREADS] [--json]\n"
                    "       any2any bench random-llm --shape tinyllama|7b|small|tiny -o OUT.gguf [--vocab V.gguf] [--f32]\n");
    return 2;
}
