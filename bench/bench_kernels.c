/* Kernel benchmark driver: measured DRAM read bandwidth, F32 GEMM against OpenBLAS,
   F16/BF16-weight GEMM, GEMV against the bandwidth roofline, quantized GEMV and conv2d
   (when those ops are built). Prints one table; see bench/README.md.

   Usage: bench_kernels [--threads N] [--quick]
     --threads N  threads for ours and for OpenBLAS (default 2)
     --quick      fewer repetitions and a 256 MB bandwidth buffer (smoke run) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"
#include "kernels/matmul.h"

#if __has_include("kernels/quant.h")
#include "kernels/quant.h"
#define HAVE_QUANT 1
#endif
#if __has_include("kernels/conv.h")
#include "kernels/conv.h"
#define HAVE_CONV 1
#endif
#ifdef A2A_HAVE_OPENBLAS
#include <cblas.h>
/* OpenBLAS extensions (declared in its cblas.h on most distributions; repeated to be safe). */
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
#endif

static int g_quick;
static a2a_threadpool *g_tp;
static int g_threads = 2;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Allocate n bytes, 64-aligned, filled with small pseudo-random floats (or bytes); exits on
   failure (a benchmark, not library code). */
static void *alloc_fill(size_t n, unsigned seed) {
    void *p = aligned_alloc(64, (n + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    uint32_t s = seed * 2654435761u + 1;
    float *f = p;
    for (size_t i = 0; i < n / 4; i++) {
        s = s * 1664525u + 1013904223u;
        f[i] = (float)((s >> 9) & 0xffff) / 32768.0f - 1.0f;
    }
    return p;
}

/* ---- DRAM read bandwidth: parallel streaming sum ---- */

typedef struct bw_job {
    const float *data;
    int64_t n;          /* floats */
    double partial[64]; /* per-thread sums (keeps the loads alive) */
} bw_job;

static void bw_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    bw_job *j = arg;
    const int64_t chunk = (j->n / nth) & ~(int64_t)63;
    const float *p = j->data + chunk * ith;
    const int64_t n = ith == nth - 1 ? j->n - chunk * ith : chunk;
    double s = 0;
#if defined(__SSE2__)
    __m128 a0 = _mm_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm_add_ps(a0, _mm_load_ps(p + i));
        a1 = _mm_add_ps(a1, _mm_load_ps(p + i + 4));
        a2 = _mm_add_ps(a2, _mm_load_ps(p + i + 8));
        a3 = _mm_add_ps(a3, _mm_load_ps(p + i + 12));
        a4 = _mm_add_ps(a4, _mm_load_ps(p + i + 16));
        a5 = _mm_add_ps(a5, _mm_load_ps(p + i + 20));
        a6 = _mm_add_ps(a6, _mm_load_ps(p + i + 24));
        a7 = _mm_add_ps(a7, _mm_load_ps(p + i + 28));
    }
    float t[4];
    _mm_storeu_ps(t, _mm_add_ps(_mm_add_ps(_mm_add_ps(a0, a1), _mm_add_ps(a2, a3)),
                                _mm_add_ps(_mm_add_ps(a4, a5), _mm_add_ps(a6, a7))));
    s = (double)t[0] + t[1] + t[2] + t[3];
    for (; i < n; i++) s += p[i];
#else
    for (int64_t i = 0; i < n; i++) s += p[i];
#endif
    j->partial[ith & 63] = s;
}

/* GB/s of the best of many streaming passes over 64 MB pieces of a buffer of `mb` megabytes
   (pieces are visited in turn, so none is cached; short samples like the GEMV calls they
   are the roofline for, which matters on a shared machine). */
static double measure_bandwidth(size_t mb) {
    const size_t bytes = mb << 20, piece = (size_t)64 << 20, npieces = bytes / piece;
    float *data = alloc_fill(bytes, 1);
    double best = 0;
    for (int r = 0; r < (g_quick ? 3 : 6); r++)
        for (size_t i = 0; i < npieces; i++) {
            bw_job j = {.data = data + i * (piece / 4), .n = (int64_t)(piece / 4)};
            double t0 = now_s();
            a2a_parallel_run(g_tp, bw_task, &j);
            double dt = now_s() - t0;
            if ((double)piece / dt / 1e9 > best) best = (double)piece / dt / 1e9;
        }
    free(data);
    return best;
}

/* ---- timing helpers ---- */

typedef a2a_status (*run_fn)(void *arg);

/* Best wall time of `reps` calls of fn (after one warm-up call); exits on failure. */
static double best_time(run_fn fn, void *arg, int reps) {
    if (fn(arg) != A2A_OK) {
        fprintf(stderr, "bench: op failed\n");
        exit(1);
    }
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        fn(arg);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
    }
    return best;
}

typedef struct mm_arg {
    a2a_tensor w, x, y;
    int nw;         /* weight copies cycled through (to defeat the caches in GEMV) */
    const a2a_tensor *ws;
    int i;
    a2a_ctx *ctx;
} mm_arg;

static a2a_status run_matmul(void *p) {
    mm_arg *a = p;
    const a2a_tensor *w = a->ws ? &a->ws[a->i++ % a->nw] : &a->w;
    a2a_status st = a2a_op_matmul(a->ctx, g_tp, &a->y, w, &a->x);
    if (st != A2A_OK) fprintf(stderr, "bench: matmul: %s\n", a2a_last_error(a->ctx));
    return st;
}

#ifdef A2A_HAVE_OPENBLAS
typedef struct blas_arg {
    int64_t M, N, K;
    const float *A, *B;
    float *C;
} blas_arg;

static a2a_status run_blas(void *p) {
    blas_arg *a = p;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a->M, (int)a->N, (int)a->K, 1.0f, a->A, (int)a->K, a->B,
                (int)a->K, 0.0f, a->C, (int)a->N);
    return A2A_OK;
}
#endif

/* Fill n weights of type t (F32/F16/BF16 or a quantized type) from random floats in a
   freshly allocated buffer of the right size. Returns NULL when t is unsupported here. */
static void *make_weight(a2a_type t, int64_t N, int64_t K, unsigned seed) {
    size_t rs;
    if (!a2a_row_size(t, K, &rs)) return NULL;
    float *src = alloc_fill((size_t)K * 4, seed);
    uint8_t *w = aligned_alloc(64, (rs * (size_t)N + 63) / 64 * 64);
    if (!w) exit(1);
    for (int64_t n = 0; n < N; n++) {
        src[n % K] += 0.001f; /* vary rows a little */
        uint8_t *row = w + (size_t)n * rs;
        if (t == A2A_TYPE_F32) memcpy(row, src, rs);
        else if (t == A2A_TYPE_F16) for (int64_t k = 0; k < K; k++) ((a2a_fp16 *)row)[k] = a2a_f32_to_fp16(src[k]);
        else if (t == A2A_TYPE_BF16) for (int64_t k = 0; k < K; k++) ((a2a_bf16 *)row)[k] = a2a_f32_to_bf16(src[k]);
#ifdef HAVE_QUANT
        else if (a2a_quant_supported(t)) a2a_quantize_row(t, src, row, K);
#endif
        else { free(src); free(w); return NULL; }
    }
    free(src);
    return w;
}

/* ---- sections ---- */

/* GEMM M x N x K through a2a_op_matmul with weights of type t at the current level. */
static double gemm_gflops(a2a_type t, int64_t M, int64_t N, int64_t K) {
    void *w = make_weight(t, N, K, 3);
    float *x = alloc_fill((size_t)(M * K) * 4, 4), *y = alloc_fill((size_t)(M * N) * 4, 5);
    mm_arg a = {.w = a2a_tensor_make(t, w, K, N, 1, 1), .x = a2a_tensor_make(A2A_TYPE_F32, x, K, M, 1, 1),
                .y = a2a_tensor_make(A2A_TYPE_F32, y, N, M, 1, 1), .ctx = a2a_ctx_new()};
    double dt = best_time(run_matmul, &a, g_quick ? 2 : 5);
    a2a_ctx_free(a.ctx);
    free(w), free(x), free(y);
    return 2.0 * (double)M * (double)N * (double)K / dt / 1e9;
}

/* GEMV (M = 1) N x K with weights of type t, cycling over enough weight copies to exceed the
   caches; returns seconds per call, *gbs the weight bytes per second. */
static double gemv_time(a2a_type t, int64_t N, int64_t K, double *gbs) {
    size_t rs;
    if (!a2a_row_size(t, K, &rs)) return -1;
    const size_t bytes = rs * (size_t)N;
    /* enough copies to span 3x a 32 MB last-level cache, so every call reads from DRAM */
    int nw = (int)((size_t)96 * (1u << 20) / bytes) + 1;
    if (nw > 8) nw = 8;
    a2a_tensor *ws = calloc((size_t)nw, sizeof(*ws));
    for (int i = 0; i < nw; i++) {
        void *w = make_weight(t, N, K, 10 + (unsigned)i);
        if (!w) { for (int k = 0; k < i; k++) free(ws[k].data); free(ws); return -1; }
        ws[i] = a2a_tensor_make(t, w, K, N, 1, 1);
    }
    float *x = alloc_fill((size_t)K * 4, 6), *y = alloc_fill((size_t)N * 4, 7);
    mm_arg a = {.x = a2a_tensor_make(A2A_TYPE_F32, x, K, 1, 1, 1), .y = a2a_tensor_make(A2A_TYPE_F32, y, N, 1, 1, 1),
                .ws = ws, .nw = nw, .ctx = a2a_ctx_new()};
    double dt = best_time(run_matmul, &a, g_quick ? 2 * nw : 5 * nw);
    a2a_ctx_free(a.ctx);
    for (int i = 0; i < nw; i++) free(ws[i].data);
    free(ws), free(x), free(y);
    *gbs = (double)bytes / dt / 1e9;
    return dt;
}

/* Prefill-sized products (M tokens x 4096 x 4096, F32 weights): ours at the top level and
   OpenBLAS timed in turn; one row each with the ratio in the note. */
static void compare_medium(int64_t M) {
    const int64_t N = 4096, K = 4096;
    float *w = alloc_fill((size_t)(N * K) * 4, 3), *x = alloc_fill((size_t)(M * K) * 4, 4);
    float *y = alloc_fill((size_t)(M * N) * 4, 5);
    mm_arg a = {.w = a2a_tensor_make(A2A_TYPE_F32, w, K, N, 1, 1), .x = a2a_tensor_make(A2A_TYPE_F32, x, K, M, 1, 1),
                .y = a2a_tensor_make(A2A_TYPE_F32, y, N, M, 1, 1), .ctx = a2a_ctx_new()};
    double best[2] = {1e30, 1e30};
    run_matmul(&a);
#ifdef A2A_HAVE_OPENBLAS
    blas_arg b = {M, N, K, x, w, y};
    run_blas(&b);
#endif
    for (int r = 0; r < (g_quick ? 3 : 10); r++) {
        double t0 = now_s();
        run_matmul(&a);
        double dt = now_s() - t0;
        if (dt < best[0]) best[0] = dt;
#ifdef A2A_HAVE_OPENBLAS
        t0 = now_s();
        run_blas(&b);
        dt = now_s() - t0;
        if (dt < best[1]) best[1] = dt;
#endif
    }
    const double flop = 2.0 * (double)M * N * K;
    char name[64], note[96];
    snprintf(name, sizeof(name), "sgemm %lldx4096x4096 f32, ours", (long long)M);
#ifdef A2A_HAVE_OPENBLAS
    snprintf(note, sizeof(note), "OpenBLAS %.1f GFLOP/s, ratio %.2f", flop / best[1] / 1e9, best[1] / best[0]);
#else
    snprintf(note, sizeof(note), "no OpenBLAS");
#endif
    printf("%-44s %12.1f %10s %s\n", name, flop / best[0] / 1e9, "GFLOP/s", note);
    a2a_ctx_free(a.ctx);
    free(w), free(x), free(y);
}

#ifdef HAVE_CONV
typedef struct conv_arg {
    a2a_tensor x, w, b, y;
    a2a_ctx *ctx;
} conv_arg;

static a2a_status run_conv(void *p) {
    conv_arg *a = p;
    a2a_conv2d_params prm = A2A_CONV2D_PARAMS_DEFAULT;
    prm.pad_w = prm.pad_h = 1;
    a2a_status st = a2a_op_conv2d(a->ctx, g_tp, &a->y, &a->x, &a->w, &a->b, &prm);
    if (st != A2A_OK) fprintf(stderr, "bench: conv2d: %s\n", a2a_last_error(a->ctx));
    return st;
}
#endif

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) g_threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick")) g_quick = 1;
        else {
            fprintf(stderr, "usage: %s [--threads N] [--quick]\n", argv[0]);
            return 2;
        }
    }
    if (g_threads < 1) g_threads = 1;
    a2a_ctx *ctx = a2a_ctx_new(); /* runs a2a_cpu_init before any thread starts */
    if (a2a_threadpool_new(ctx, g_threads, &g_tp) != A2A_OK) {
        fprintf(stderr, "bench: %s\n", a2a_last_error(ctx));
        return 1;
    }
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("any2any kernel benchmark: threads %d, cpu [%s], max level %s%s\n", g_threads, a2a_cpu_features_str(),
           a2a_kernel_level_name(a2a_kernel_level_max()), g_quick ? ", --quick" : "");
    printf("%-44s %12s %10s %s\n", "case", "result", "unit", "note");
    printf("%-44s %12s %10s %s\n", "----", "------", "----", "----");

    const double bw0 = measure_bandwidth(g_quick ? 256 : 512);
    printf("%-44s %12.1f %10s %s\n", "DRAM read bandwidth (streaming sum)", bw0, "GB/s",
           g_quick ? "64 MB pieces of 256 MB" : "64 MB pieces of 512 MB");

    /* F32 GEMM: ours at each level and OpenBLAS, timed in turn (one call of each per round,
       best per case), so that all see the same machine load */
    const a2a_kernel_level top = a2a_kernel_level_max();
    const int64_t S = 2048;
    {
        float *w = alloc_fill((size_t)(S * S) * 4, 3), *x = alloc_fill((size_t)(S * S) * 4, 4);
        float *y = alloc_fill((size_t)(S * S) * 4, 5);
        mm_arg a = {.w = a2a_tensor_make(A2A_TYPE_F32, w, S, S, 1, 1), .x = a2a_tensor_make(A2A_TYPE_F32, x, S, S, 1, 1),
                    .y = a2a_tensor_make(A2A_TYPE_F32, y, S, S, 1, 1), .ctx = a2a_ctx_new()};
        const a2a_kernel_level lv[2] = {A2A_LEVEL_AVX512, A2A_LEVEL_AVX2};
        double best[3] = {1e30, 1e30, 1e30}; /* avx512, avx2, OpenBLAS */
#ifdef A2A_HAVE_OPENBLAS
        openblas_set_num_threads(g_threads);
        blas_arg b = {S, S, S, x, w, y};
        run_blas(&b); /* warm-up */
#endif
        for (int i = 0; i < 2; i++)
            if (lv[i] <= top) {
                a2a_kernel_level_set(lv[i]);
                run_matmul(&a); /* warm-up */
            }
        for (int r = 0; r < (g_quick ? 2 : 6); r++) {
            for (int i = 0; i < 2; i++) {
                if (lv[i] > top) continue;
                a2a_kernel_level_set(lv[i]);
                double t0 = now_s();
                if (run_matmul(&a) != A2A_OK) return 1;
                double dt = now_s() - t0;
                if (dt < best[i]) best[i] = dt;
            }
#ifdef A2A_HAVE_OPENBLAS
            double t0 = now_s();
            run_blas(&b);
            double dt = now_s() - t0;
            if (dt < best[2]) best[2] = dt;
#endif
        }
        a2a_kernel_level_set(top);
        const double flop = 2.0 * (double)S * S * S;
        double ours_best = 0;
        for (int i = 0; i < 2; i++) {
            if (lv[i] > top) continue;
            char name[64];
            snprintf(name, sizeof(name), "sgemm 2048^3 f32, ours (%s)", a2a_kernel_level_name(lv[i]));
            printf("%-44s %12.1f %10s\n", name, flop / best[i] / 1e9, "GFLOP/s");
            if (flop / best[i] / 1e9 > ours_best) ours_best = flop / best[i] / 1e9;
        }
#ifdef A2A_HAVE_OPENBLAS
        char note[128];
        snprintf(note, sizeof(note), "OPENBLAS_CORETYPE=%s, core %s", ct ? ct : "(unset)", openblas_get_corename());
        printf("%-44s %12.1f %10s %s\n", "sgemm 2048^3 f32, OpenBLAS", flop / best[2] / 1e9, "GFLOP/s", note);
        printf("%-44s %12.2f %10s\n", "ratio ours(best) / OpenBLAS", ours_best / (flop / best[2] / 1e9), "x");
#else
        (void)ct;
        printf("%-44s %12s %10s %s\n", "sgemm 2048^3 f32, OpenBLAS", "-", "", "not built with OpenBLAS");
#endif
        a2a_ctx_free(a.ctx);
        free(w), free(x), free(y);
    }
    compare_medium(4);
    compare_medium(16);
    compare_medium(64);
    compare_medium(256);
    printf("%-44s %12.1f %10s\n", "gemm 2048^3 f16 weights (ours)", gemm_gflops(A2A_TYPE_F16, S, S, S), "GFLOP/s");
    printf("%-44s %12.1f %10s\n", "gemm 2048^3 bf16 weights (ours)", gemm_gflops(A2A_TYPE_BF16, S, S, S), "GFLOP/s");
    if (a2a_cpu_has(A2A_CPU_AMX) || a2a_cpu_has(A2A_CPU_AVX512 | A2A_CPU_AVX512_BF16)) {
        a2a_matmul_set_bf16_compute(true);
        printf("%-44s %12.1f %10s %s\n", "gemm 2048^3 bf16 weights, bf16 compute", gemm_gflops(A2A_TYPE_BF16, S, S, S),
               "GFLOP/s", a2a_cpu_has(A2A_CPU_AMX) ? "opt-in, AMX tdpbf16ps (x rounded to bf16)"
                                                  : "opt-in, vdpbf16ps (x rounded to bf16)");
        a2a_matmul_set_bf16_compute(false);
    }

    /* measured again (a shared machine is noisy): the roofline is the better of the two */
    const double bw1 = measure_bandwidth(g_quick ? 256 : 512), bw = bw1 > bw0 ? bw1 : bw0;
    printf("%-44s %12.1f %10s %s\n", "DRAM read bandwidth, GEMV roofline", bw, "GB/s", "best of the two measurements");
    const int64_t gv[2][2] = {{4096, 4096}, {11008, 4096}};
    const a2a_type gt[] = {A2A_TYPE_F32, A2A_TYPE_F16, A2A_TYPE_BF16,
#ifdef HAVE_QUANT
                           A2A_TYPE_Q8_0, A2A_TYPE_Q4_0, A2A_TYPE_Q4_K, A2A_TYPE_Q6_K,
#endif
    };
    for (size_t ti = 0; ti < sizeof(gt) / sizeof(gt[0]); ti++)
        for (int s = 0; s < 2; s++) {
            double gbs;
            const int64_t N = gv[s][0], K = gv[s][1];
            double dt = gemv_time(gt[ti], N, K, &gbs);
            char name[64];
            snprintf(name, sizeof(name), "gemv %lldx%lld %s weights", (long long)N, (long long)K, a2a_type_name(gt[ti]));
            if (dt < 0) {
                printf("%-44s %12s %10s %s\n", name, "-", "", "type not supported");
                continue;
            }
            char note[64];
            snprintf(note, sizeof(note), "%.3f ms, %.0f%% of roofline", dt * 1e3, 100.0 * gbs / bw);
            printf("%-44s %12.1f %10s %s\n", name, gbs, "GB/s", note);
        }

#ifdef HAVE_CONV
    {
        const int64_t W = 64, H = 64, C = 320;
        conv_arg a = {.x = a2a_tensor_make(A2A_TYPE_F32, alloc_fill((size_t)(W * H * C) * 4, 11), W, H, C, 1),
                      .w = a2a_tensor_make(A2A_TYPE_F32, alloc_fill((size_t)(9 * C * C) * 4, 12), 3, 3, C, C),
                      .b = a2a_tensor_make(A2A_TYPE_F32, alloc_fill((size_t)C * 4, 13), C, 1, 1, 1),
                      .y = a2a_tensor_make(A2A_TYPE_F32, alloc_fill((size_t)(W * H * C) * 4, 14), W, H, C, 1),
                      .ctx = a2a_ctx_new()};
        double dt = best_time(run_conv, &a, g_quick ? 2 : 4);
        printf("%-44s %12.1f %10s %.1f ms\n", "conv2d 3x3 64x64x320 -> 320 (f32)",
               2.0 * (double)(W * H) * C * C * 9 / dt / 1e9, "GFLOP/s", dt * 1e3);
        free(a.x.data), free(a.w.data), free(a.b.data), free(a.y.data);
        a2a_ctx_free(a.ctx);
    }
#else
    printf("%-44s %12s %10s %s\n", "conv2d 3x3 64x64x320", "-", "", "conv op not built");
#endif
    a2a_threadpool_free(g_tp);
    a2a_ctx_free(ctx);
    return 0;
}
