/* Internal: a persistent pthread pool running parallel-for loops. Workers are created
   after a2a_cpu_init (so they may use AMX) and wait on a condition variable between jobs. */
#ifndef A2A_CORE_THREADPOOL_H
#define A2A_CORE_THREADPOOL_H

#include "core/status.h"

typedef struct a2a_threadpool a2a_threadpool;

/* Work item: process indices [i0, i1) as thread `ith` of `nth`. */
typedef void (*a2a_task_fn)(void *arg, int64_t i0, int64_t i1, int ith, int nth);

/* Create a pool of n_threads (0 = the cores available to this process, from
   sched_getaffinity). The calling thread takes part in every job, so n_threads-1 workers
   are started. Caller frees with a2a_threadpool_free. */
a2a_status a2a_threadpool_new(a2a_ctx *ctx, int n_threads, a2a_threadpool **out);
void a2a_threadpool_free(a2a_threadpool *tp);
/* Threads in the pool, the caller included (1 for a NULL pool). */
int a2a_threadpool_size(const a2a_threadpool *tp);
/* Cores available to this process. */
int a2a_cpu_count(void);

/* Split [0, n) into contiguous chunks of at least `grain` indices and run fn on them in
   parallel; returns when all are done. tp may be NULL (runs inline). Chunks are handed out
   statically (thread ith gets the ith slice), so results that depend on the split are
   reproducible for a given thread count; not reentrant (do not call from inside fn). */
void a2a_parallel_for(a2a_threadpool *tp, int64_t n, int64_t grain, a2a_task_fn fn, void *arg);

/* Run fn once on every thread with i0 = ith, i1 = ith + 1 (for per-thread loops that split
   work themselves). */
void a2a_parallel_run(a2a_threadpool *tp, a2a_task_fn fn, void *arg);

#endif
