/* Threadpool dispatch latency: time per a2a_parallel_for of a trivial job (the fixed cost every
   op of a forward pass pays), for 1..N threads. A decode step of a 7B LLaMA runs ~400 ops, so
   a few microseconds per dispatch is the goal. */
#include "core/threadpool.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void task(void *p, int64_t i0, int64_t i1, int ith, int nth) {
    (void)ith;
    (void)nth;
    atomic_fetch_add((_Atomic long *)p, (long)(i1 - i0));
}

int main(int argc, char **argv) {
    int max_threads = argc > 1 ? atoi(argv[1]) : a2a_cpu_count();
    a2a_ctx *ctx = a2a_ctx_new();
    printf("%-8s %14s\n", "threads", "us/dispatch");
    for (int nt = 1; nt <= max_threads; nt++) {
        a2a_threadpool *tp;
        if (a2a_threadpool_new(ctx, nt, &tp) != A2A_OK) return 1;
        _Atomic long sum = 0;
        for (int i = 0; i < 1000; i++) a2a_parallel_for(tp, 64, 1, task, &sum); /* warm up */
        int reps = 20000;
        double t0 = now();
        for (int i = 0; i < reps; i++) a2a_parallel_for(tp, 64, 1, task, &sum);
        double dt = now() - t0;
        printf("%-8d %14.2f\n", nt, dt / reps * 1e6);
        a2a_threadpool_free(tp);
    }
    a2a_ctx_free(ctx);
    return 0;
}
