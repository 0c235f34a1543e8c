/* any2any quantize IN.gguf OUT.gguf TYPE [-t THREADS]: re-encode a GGUF model's weight
   matrices as TYPE (f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q4_K q5_K q6_K); norms and biases
   stay f32. The output is written atomically. */
#include "cli.h"
#include "core/threadpool.h"
#include "io/gguf_quantize.h"
#include "llm_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int progress(int64_t done, int64_t total, const char *what, void *user) {
    (void)user;
    if (!isatty(STDERR_FILENO)) return cli_sigint_flag; /* no carriage-return noise in logs */
    fprintf(stderr, "\r[%lld/%lld] %-48.48s", (long long)done, (long long)total, what);
    if (done == total) fputc('\n', stderr);
    return cli_sigint_flag;
}

int cli_quantize(int argc, char **argv) {
    const char *in = NULL, *out = NULL, *type = NULL;
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!in) in = argv[i];
        else if (!out) out = argv[i];
        else if (!type) type = argv[i];
        else in = NULL;
    }
    if (!in || !out || !type) {
        fprintf(stderr, "usage: any2any quantize IN.gguf OUT.gguf TYPE [-t THREADS]\n"
                        "  TYPE: f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q4_K q5_K q6_K\n");
        return 2;
    }
    int t = a2a_type_from_name(type);
    if (t < 0) {
        fprintf(stderr, "any2any quantize: unknown type '%s'\n", type);
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    int rc = 1;
    cli_sigint_install();
    a2a_quantize_params p = {(a2a_type)t, A2A_TYPE_F16, progress, NULL};
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) == A2A_OK && a2a_quantize_file(ctx, tp, in, out, &p) == A2A_OK) {
        fprintf(stderr, "any2any quantize: wrote %s (%s) in %.1f s\n", out, a2a_type_name(t), cli_now() - t0);
        rc = 0;
    } else {
        fprintf(stderr, "\nany2any quantize: %s\n", a2a_last_error(ctx));
    }
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}
