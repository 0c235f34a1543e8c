/* bench_unet_step: one Stable Diffusion UNet denoising step and one VAE decode through our
   public model entry points (a2a_unet2d_forward, a2a_vae_decode), on a pipeline GGUF bundle
   written by a2a_diffusers_convert ("unet." and "vae." prefixes, as `any2any convert
   --diffusers` writes it). Driven by bench/diffusion/run.sh, which compares it with
   stable-diffusion.cpp and diffusers (PyTorch CPU) on the same random SD 1.5-shaped weights.

   Usage:
     bench_unet_step convert DIR OUT.gguf [f16|q8_0] [THREADS]
         a diffusers StableDiffusionPipeline folder -> one bundle (convs F16; linears F16 or Q8_0)
     bench_unet_step unet FILE.gguf [-t THREADS=2] [-r REPS=3] [--side 64] [--batch 2]
         one UNet forward at batch N (N = 2: the classifier-free-guidance pair), latents
         side x side x 4, context 77 x 768 (the UNet's context width), timesteps 999 - 20k
         for call k = 0..REPS (inputs: uniform [-1, 1) from a 32-bit LCG, seeds 7 (latents) and
         11 (context), in ggml order = torch's contiguous order; see crosscheck.py)
     bench_unet_step vae FILE.gguf [-t THREADS=2] [-r REPS=3] [--side 64]
         one VAE decode of a side x side x 4 latent (64 -> a 512x512 image), batch 1

   unet / vae print one JSON line on stdout:
     {"part", "threads", "reps", "load_s", "first_s" (the first call: plans the activation
      arena, faults the mmapped weights in), "best_s", "mean_s" (over the reps after the first), "cpu_s" (process CPU seconds per call,
      mean over those reps: less sensitive than wall time to other jobs on the machine),
      "arena_mb" (activation bytes of the model's plan), "peak_rss_mb" (getrusage ru_maxrss of
      this process: mmapped weights touched + activations + scratch), "checksum"}
   --dump F writes the last call's output (raw F32, ggml order) for bench/diffusion/crosscheck.py.
   Each part runs in its own process so its peak RSS is its own. Inputs are deterministic
   pseudo-random values; timing does not depend on them. Exit status 1 with a message on stderr
   on any failure. */
#include "core/cpu.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "models/diffusion/unet2d.h"
#include "models/vae/autoencoder_kl.h"
#include "pipeline/diffusers_convert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the whole process (all threads; spinning workers count too). */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* Uniform values in [-1, 1) from a 32-bit LCG (deterministic inputs). */
static void fill_uniform(float *x, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / 16777216.0f * 2.0f - 1.0f;
    }
}

static int usage(void) {
    fprintf(stderr, "usage: bench_unet_step convert DIR OUT.gguf [f16|q8_0] [THREADS]\n"
                    "       bench_unet_step unet FILE.gguf [-t THREADS] [-r REPS] [--side S] [--batch N] [--dump F]\n"
                    "       bench_unet_step vae FILE.gguf [-t THREADS] [-r REPS] [--side S] [--dump F]\n");
    return 2;
}

/* Progress callback for the converter: a dot every 100 tensors on stderr. */
static int convert_progress(int64_t done, int64_t total, const char *what, void *user) {
    (void)user;
    (void)total;
    (void)what;
    if (done % 100 == 0) fputc('.', stderr);
    return 0;
}

static int cmd_convert(int argc, char **argv) {
    if (argc < 4) return usage();
    const char *type = argc > 4 ? argv[4] : "f16";
    const int nt = argc > 5 ? atoi(argv[5]) : 2;
    a2a_diffusers_convert_params p = a2a_diffusers_convert_default_params();
    if (strcmp(type, "q8_0") == 0) p.weight_type = A2A_TYPE_Q8_0;
    else if (strcmp(type, "f16") == 0) p.weight_type = A2A_TYPE_F16;
    else return usage();
    p.conv_type = A2A_TYPE_F16;
    p.progress = convert_progress;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    if (!ctx || a2a_threadpool_new(ctx, nt, &tp) != A2A_OK) {
        fprintf(stderr, "bench_unet_step: %s\n", ctx ? a2a_last_error(ctx) : "out of memory");
        a2a_ctx_free(ctx);
        return 1;
    }
    p.tp = tp;
    const double t0 = now_s();
    const a2a_status st = a2a_diffusers_convert(ctx, argv[2], argv[3], &p);
    fputc('\n', stderr);
    if (st != A2A_OK) fprintf(stderr, "bench_unet_step: convert %s: %s\n", argv[2], a2a_last_error(ctx));
    else fprintf(stderr, "bench_unet_step: wrote %s (%s) in %.1f s\n", argv[3], type, now_s() - t0);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return st == A2A_OK ? 0 : 1;
}

typedef struct run_opts {
    int threads, reps;
    int64_t side, batch;
    const char *dump; /* NULL, or a file for the last call's output (raw F32, ggml order) */
} run_opts;

static int parse_opts(int argc, char **argv, run_opts *o) {
    o->threads = 2;
    o->reps = 3;
    o->side = 64;
    o->batch = 2;
    o->dump = NULL;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc) return -1;
        const long v = atol(argv[++i]);
        if (strcmp(a, "--dump") == 0) {
            o->dump = argv[i];
            continue;
        }
        if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) o->threads = (int)v;
        else if (strcmp(a, "-r") == 0 || strcmp(a, "--reps") == 0) o->reps = (int)v;
        else if (strcmp(a, "--side") == 0) o->side = v;
        else if (strcmp(a, "--batch") == 0) o->batch = v;
        else return -1;
    }
    if (o->threads < 0 || o->reps < 1 || o->side < 1 || o->side > 1024 || o->batch < 1 || o->batch > 16) return -1;
    return 0;
}

/* Times reps+1 calls of the part (the first reported apart) and prints the JSON line. */
static int cmd_run(int argc, char **argv, bool unet) {
    run_opts o;
    if (argc < 3 || parse_opts(argc, argv, &o) != 0) return usage();
    const int64_t S = o.side, N = unet ? o.batch : 1, L = 77;
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 1;
    a2a_gguf *g = NULL;
    a2a_unet2d *u = NULL;
    a2a_vae *vae = NULL;
    a2a_threadpool *tp = NULL;
    float *x = NULL, *c = NULL, *out = NULL;
    int rc = 1;
    const double t0 = now_s();
    if (a2a_gguf_open(ctx, argv[2], &g) != A2A_OK) goto fail;
    if (unet ? a2a_unet2d_load_gguf(ctx, g, "unet.", &u) != A2A_OK : a2a_vae_load_gguf(ctx, g, "vae.", &vae) != A2A_OK)
        goto fail;
    const double t_load = now_s() - t0;
    if (a2a_threadpool_new(ctx, o.threads, &tp) != A2A_OK) goto fail;
    const int64_t D = unet ? a2a_unet2d_context_dim(u) : 0;
    const int64_t cin = unet ? a2a_unet2d_get_config(u)->in_channels : a2a_vae_get_config(vae)->latent_channels;
    const int64_t cout = unet ? a2a_unet2d_get_config(u)->out_channels : a2a_vae_get_config(vae)->out_channels;
    const int64_t f = unet ? 1 : a2a_vae_downscale(vae);
    const size_t nx = (size_t)(S * S * cin * N), no = (size_t)(S * f * S * f * cout * N), nc = (size_t)(D * L * N);
    x = malloc(nx * sizeof(float));
    out = malloc(no * sizeof(float));
    c = nc ? malloc(nc * sizeof(float)) : NULL;
    if (!x || !out || (nc && !c)) {
        fprintf(stderr, "bench_unet_step: out of memory\n");
        goto done;
    }
    fill_uniform(x, nx, 7u);
    if (c) fill_uniform(c, nc, 11u);
    a2a_tensor xt = a2a_tensor_make(A2A_TYPE_F32, x, S, S, cin, N);
    a2a_tensor ot = a2a_tensor_make(A2A_TYPE_F32, out, S * f, S * f, cout, N);
    a2a_tensor ct = a2a_tensor_make(A2A_TYPE_F32, c, D, L, N, 1);
    xt.n_dims = ot.n_dims = 4;
    ct.n_dims = 3;
    const size_t arena = unet ? a2a_unet2d_activation_bytes(u, S, S, N, L) : a2a_vae_decode_bytes(vae, S, S, 1);
    float ts[16];
    double first = 0, best = 1e30, total = 0, cpu = 0;
    for (int k = 0; k <= o.reps; k++) {
        const double c0 = cpu_s();
        for (int64_t i = 0; i < N; i++) ts[i] = 999.0f - 20.0f * (float)k;
        const double a = now_s();
        const a2a_status st = unet ? a2a_unet2d_forward(ctx, tp, u, &xt, ts, D ? &ct : NULL, NULL, &ot)
                                   : a2a_vae_decode(ctx, tp, vae, &xt, &ot);
        if (st != A2A_OK) goto fail;
        const double dt = now_s() - a;
        if (k == 0) first = dt;
        else {
            total += dt;
            cpu += cpu_s() - c0;
            if (dt < best) best = dt;
        }
    }
    double sum = 0;
    for (size_t i = 0; i < no; i++) sum += out[i];
    if (o.dump) {
        FILE *fp = fopen(o.dump, "wb");
        const bool ok = fp && fwrite(out, sizeof(float), no, fp) == no;
        if (fp && fclose(fp) != 0) fp = NULL;
        if (!ok || !fp) {
            fprintf(stderr, "bench_unet_step: cannot write %s\n", o.dump);
            goto done;
        }
    }
    printf("{\"part\": \"%s\", \"threads\": %d, \"reps\": %d, \"side\": %lld, \"batch\": %lld, \"load_s\": %.3f, "
           "\"first_s\": %.4f, \"best_s\": %.4f, \"mean_s\": %.4f, \"cpu_s\": %.4f, \"arena_mb\": %.1f, \"peak_rss_mb\": %.1f, "
           "\"checksum\": %.6g}\n",
           unet ? "unet" : "vae", a2a_threadpool_size(tp), o.reps, (long long)S, (long long)N, t_load, first, best,
           total / o.reps, cpu / o.reps, (double)arena / 1048576.0, peak_rss_mb(), sum);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "bench_unet_step: %s: %s\n", argv[2], a2a_last_error(ctx));
done:
    free(x);
    free(c);
    free(out);
    a2a_threadpool_free(tp);
    a2a_unet2d_free(u);
    a2a_vae_free(vae);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    return rc;
}

int main(int argc, char **argv) {
    a2a_cpu_init();
    if (argc < 2) return usage();
    if (strcmp(argv[1], "convert") == 0) return cmd_convert(argc, argv);
    if (strcmp(argv[1], "unet") == 0) return cmd_run(argc, argv, true);
    if (strcmp(argv[1], "vae") == 0) return cmd_run(argc, argv, false);
    return usage();
}
