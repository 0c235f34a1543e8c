#define _GNU_SOURCE
#include "core/threadpool.h"
#include "core/cpu.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct job {
    a2a_task_fn fn;
    void *arg;
    int64_t n, chunk;
    bool per_thread; /* a2a_parallel_run semantics */
} job;

struct a2a_threadpool {
    int n_threads;              /* including the caller */
    pthread_t *workers;         /* [n_threads - 1] */
    pthread_mutex_t mu;         /* guards sleeping on cv_start */
    pthread_cond_t cv_start;
    _Atomic uint64_t generation;/* bumped per job (release: the job is visible first) */
    _Atomic int pending;        /* workers still running the current job */
    _Atomic int sleepers;       /* workers blocked (or about to block) on cv_start */
    _Atomic bool quit;
    job cur;
};

/* Spin budget before a worker sleeps / the caller yields: long enough to bridge the gap between
   the ops of one forward pass (tens of microseconds), short enough not to burn a core when idle. */
#define SPIN_ITERS 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

int a2a_cpu_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
    return 1;
}

static void run_slice(const job *j, int ith, int nth) {
    if (j->per_thread) {
        j->fn(j->arg, ith, ith + 1, ith, nth);
        return;
    }
    int64_t i0 = (int64_t)ith * j->chunk;
    int64_t i1 = i0 + j->chunk;
    if (i1 > j->n) i1 = j->n;
    if (i0 < i1) j->fn(j->arg, i0, i1, ith, nth);
}

typedef struct worker_arg { a2a_threadpool *tp; int ith; } worker_arg;

static void *worker_main(void *p) {
    worker_arg wa = *(worker_arg *)p;
    free(p);
    a2a_threadpool *tp = wa.tp;
    uint64_t seen = 0;
    for (;;) {
        /* spin briefly for the next job, then sleep */
        uint64_t g = atomic_load_explicit(&tp->generation, memory_order_acquire);
        for (int i = 0; g == seen && i < SPIN_ITERS && !atomic_load_explicit(&tp->quit, memory_order_relaxed); i++) {
            cpu_relax();
            g = atomic_load_explicit(&tp->generation, memory_order_acquire);
        }
        if (g == seen) {
            pthread_mutex_lock(&tp->mu);
            atomic_fetch_add(&tp->sleepers, 1);
            while (!atomic_load(&tp->quit) && (g = atomic_load(&tp->generation)) == seen) pthread_cond_wait(&tp->cv_start, &tp->mu);
            atomic_fetch_sub(&tp->sleepers, 1);
            pthread_mutex_unlock(&tp->mu);
        }
        if (atomic_load(&tp->quit)) return NULL;
        seen = g;
        job j = tp->cur;
        run_slice(&j, wa.ith, tp->n_threads);
        atomic_fetch_sub_explicit(&tp->pending, 1, memory_order_release);
    }
}

a2a_status a2a_threadpool_new(a2a_ctx *ctx, int n_threads, a2a_threadpool **out) {
    *out = NULL;
    a2a_cpu_init();
    if (n_threads <= 0) n_threads = a2a_cpu_count();
    if (n_threads > 1024) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "threadpool: %d threads is too many", n_threads);
    a2a_threadpool *tp = calloc(1, sizeof(*tp));
    if (!tp) return a2a_fail(ctx, A2A_ERR_NOMEM, "threadpool: out of memory");
    tp->n_threads = n_threads;
    pthread_mutex_init(&tp->mu, NULL);
    pthread_cond_init(&tp->cv_start, NULL);
    if (n_threads > 1) {
        tp->workers = calloc((size_t)n_threads - 1, sizeof(pthread_t));
        if (!tp->workers) {
            free(tp);
            return a2a_fail(ctx, A2A_ERR_NOMEM, "threadpool: out of memory");
        }
        for (int i = 1; i < n_threads; i++) {
            worker_arg *wa = malloc(sizeof(*wa));
            if (!wa || pthread_create(&tp->workers[i - 1], NULL, worker_main, wa ? (wa->tp = tp, wa->ith = i, wa) : NULL) != 0) {
                free(wa);
                tp->n_threads = i; /* only i-1 workers exist */
                a2a_threadpool_free(tp);
                return a2a_fail(ctx, A2A_ERR_NOMEM, "threadpool: cannot start thread %d", i);
            }
        }
    }
    *out = tp;
    return A2A_OK;
}

void a2a_threadpool_free(a2a_threadpool *tp) {
    if (!tp) return;
    pthread_mutex_lock(&tp->mu);
    atomic_store(&tp->quit, true);
    pthread_cond_broadcast(&tp->cv_start);
    pthread_mutex_unlock(&tp->mu);
    for (int i = 0; i + 1 < tp->n_threads; i++) pthread_join(tp->workers[i], NULL);
    free(tp->workers);
    pthread_mutex_destroy(&tp->mu);
    pthread_cond_destroy(&tp->cv_start);
    free(tp);
}

int a2a_threadpool_size(const a2a_threadpool *tp) { return tp ? tp->n_threads : 1; }

static void dispatch(a2a_threadpool *tp, job j) {
    int nth = a2a_threadpool_size(tp);
    if (nth == 1) {
        run_slice(&j, 0, 1);
        return;
    }
    tp->cur = j;
    atomic_store_explicit(&tp->pending, nth - 1, memory_order_relaxed);
    atomic_fetch_add(&tp->generation, 1); /* seq_cst: publishes cur and orders against sleepers */
    if (atomic_load(&tp->sleepers) > 0) {
        pthread_mutex_lock(&tp->mu);
        pthread_cond_broadcast(&tp->cv_start);
        pthread_mutex_unlock(&tp->mu);
    }
    run_slice(&j, 0, nth);
    for (int i = 0; atomic_load_explicit(&tp->pending, memory_order_acquire) > 0; i++) {
        if (i < SPIN_ITERS / 16) cpu_relax();
        else sched_yield(); /* a worker may be waiting for this core (oversubscribed machine) */
    }
}

void a2a_parallel_for(a2a_threadpool *tp, int64_t n, int64_t grain, a2a_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int nth = a2a_threadpool_size(tp);
    int64_t max_chunks = (n + grain - 1) / grain;
    if (max_chunks < nth) nth = (int)max_chunks;
    if (nth <= 1) {
        fn(arg, 0, n, 0, 1);
        return;
    }
    job j = {fn, arg, n, (n + a2a_threadpool_size(tp) - 1) / a2a_threadpool_size(tp), false};
    if (j.chunk < grain) j.chunk = grain;
    dispatch(tp, j);
}

void a2a_parallel_run(a2a_threadpool *tp, a2a_task_fn fn, void *arg) {
    job j = {fn, arg, a2a_threadpool_size(tp), 1, true};
    dispatch(tp, j);
}
