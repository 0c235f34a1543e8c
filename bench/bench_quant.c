/* Quantized GEMV/GEMM benchmark: GB/s of weights streamed by a2a_matmul_quant for decode
   (M = 1) at 4096x4096 and 4096x11008 and a prefill case (M = 32), against the memory read
   bandwidth measured here with a streaming sum over a 1 GiB buffer.
   Usage: bench_quant [threads (default 2)] [seconds per case (default 0.4)]
   Weights are cycled through copies totalling >= 256 MiB so they come from DRAM (as in a
   real model, whose layers do not fit in the cache). Times are the best pass over all
   copies (the machine may be shared). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/cpu.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/matmul_quant.h"
#include "kernels/quant.h"

/* Monotonic time in seconds. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    const uint64_t *buf;
    uint64_t sums[64];
} bw_job;

/* Sum 64-bit words [i0, i1) of the buffer (in 4 KiB pages of indices); a plain loop the
   compiler vectorizes, so the sum is limited by memory, not by the adds. */
static void bw_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    bw_job *j = arg;
    const uint64_t *q = j->buf + i0 * 512;
    const int64_t cnt = (i1 - i0) * 512;
    uint64_t s = 0;
    for (int64_t k = 0; k < cnt; k++) s += q[k];
    j->sums[ith & 63] += s;
}

/* Read bandwidth in GB/s of a streaming sum over `bytes` with the pool's threads (best of 5). */
static double measure_bw(a2a_threadpool *tp, size_t bytes) {
    uint64_t *buf = malloc(bytes);
    if (!buf) return 0;
    for (size_t i = 0; i < bytes / 8; i++) buf[i] = i;
    bw_job j = {.buf = buf};
    const int64_t pages = (int64_t)(bytes / 4096);
    double best = 0;
    for (int r = 0; r < 5; r++) {
        const double t0 = now_s();
        a2a_parallel_for(tp, pages, 64, bw_task, &j);
        const double t = now_s() - t0;
        if (bytes / t / 1e9 > best) best = bytes / t / 1e9;
    }
    uint64_t s = 0;
    for (int i = 0; i < 64; i++) s += j.sums[i];
    if (s == 42) printf("(unlikely)\n");
    free(buf);
    return best;
}

typedef struct {
    double gbs, sec_per_call;
} mm_result;

/* Time a2a_matmul_quant for weights [K, N] of type t and x [K, M]. */
static mm_result bench_mm(a2a_threadpool *tp, a2a_type t, int64_t K, int64_t N, int64_t M, double seconds) {
    mm_result res = {0, 0};
    size_t rb;
    if (!a2a_row_size(t, K, &rb)) return res;
    const size_t wbytes = rb * (size_t)N;
    int copies = (int)((256u << 20) / wbytes) + 1;
    if (copies < 2) copies = 2;
    uint8_t *w = malloc(wbytes * (size_t)copies);
    float *x = malloc((size_t)(K * M) * 4), *d = malloc((size_t)(N * M) * 4);
    if (!w || !x || !d) {
        free(w); free(x); free(d);
        return res;
    }
    /* quantize 16 random rows, replicate them (speed does not depend on the values) */
    float *row = malloc((size_t)K * 4);
    uint64_t s = 88172645463325252ull;
    for (int r = 0; r < 16; r++) {
        for (int64_t k = 0; k < K; k++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            row[k] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        }
        a2a_quantize_row(t, row, w + (size_t)r * rb, K);
    }
    for (size_t r = 16; r < (size_t)N * copies; r++) memcpy(w + r * rb, w + (r % 16) * rb, rb);
    for (int64_t i = 0; i < K * M; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
    free(row);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, K, M, 1, 1);
    a2a_tensor td = a2a_tensor_make(A2A_TYPE_F32, d, N, M, 1, 1);
    /* warm up */
    for (int c = 0; c < copies; c++) {
        a2a_tensor tw = a2a_tensor_make(t, w + (size_t)c * wbytes, K, N, 1, 1);
        a2a_matmul_quant(NULL, tp, &td, &tw, &tx);
    }
    /* best round (one pass over all copies) within the time budget: robust to other load */
    double best = 1e30, el = 0;
    const double t0 = now_s();
    int rounds = 0;
    while (el < seconds || rounds < 3) {
        const double r0 = now_s();
        for (int c = 0; c < copies; c++) {
            a2a_tensor tw = a2a_tensor_make(t, w + (size_t)c * wbytes, K, N, 1, 1);
            a2a_matmul_quant(NULL, tp, &td, &tw, &tx);
        }
        const double r = now_s() - r0;
        if (r < best) best = r;
        rounds++;
        el = now_s() - t0;
    }
    res.sec_per_call = best / copies;
    res.gbs = (double)wbytes / res.sec_per_call / 1e9;
    free(w); free(x); free(d);
    return res;
}

/* Measures bandwidth, then each type and shape; prints one table. */
int main(int argc, char **argv) {
    const int nthreads = argc > 1 ? atoi(argv[1]) : 2;
    const double seconds = argc > 2 ? atof(argv[2]) : 0.4;
    a2a_cpu_init();
    a2a_threadpool *tp = NULL;
    if (a2a_threadpool_new(NULL, nthreads, &tp) != A2A_OK) return 1;
    const double bw = measure_bw(tp, (size_t)1 << 30);
    printf("threads %d, kernel level %s, cpu %s\n", a2a_threadpool_size(tp), a2a_kernel_level_name(a2a_kernel_level_get()),
           a2a_cpu_features_str());
    printf("memory read bandwidth (streaming sum, 1 GiB): %.2f GB/s\n\n", bw);
    const a2a_type types[] = {A2A_TYPE_Q4_0, A2A_TYPE_Q8_0, A2A_TYPE_Q4_K, A2A_TYPE_Q6_K, A2A_TYPE_Q5_K};
    const int64_t shapes[][2] = {{4096, 4096}, {4096, 11008}};
    printf("%%bw: against the 1 GiB figure above; %%bw-now: against a 256 MiB streaming sum measured just\n"
           "before the case (fairer when other processes share the machine).\n");
    printf("%-6s %-7s %-13s %4s %10s %9s %8s %8s %9s\n", "type", "kernel", "K x N", "M", "ms/call", "GB/s", "%bw", "%bw-now",
           "GFLOP/s");
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        const char *kn = a2a_kernel_level_name(a2a_vec_dot_level(types[t], a2a_kernel_level_get()));
        for (size_t s = 0; s < 2; s++) {
            const int64_t K = shapes[s][0], N = shapes[s][1];
            const int64_t Ms[2] = {1, 32};
            for (int mi = 0; mi < 2; mi++) {
                if (Ms[mi] == 32 && s == 0) continue; /* prefill: one shape is enough */
                const double bw_now = measure_bw(tp, (size_t)256 << 20);
                const mm_result r = bench_mm(tp, types[t], K, N, Ms[mi], seconds);
                char shape[32];
                snprintf(shape, sizeof shape, "%lldx%lld", (long long)K, (long long)N);
                printf("%-6s %-7s %-13s %4lld %10.3f %9.2f %7.1f%% %7.1f%% %9.1f\n", a2a_type_name(types[t]), kn, shape,
                       (long long)Ms[mi], r.sec_per_call * 1e3, r.gbs, bw > 0 ? 100 * r.gbs / bw : 0,
                       bw_now > 0 ? 100 * r.gbs / bw_now : 0,
                       2.0 * (double)K * (double)N * (double)Ms[mi] / r.sec_per_call / 1e9);
            }
        }
    }
    a2a_threadpool_free(tp);
    return 0;
}
