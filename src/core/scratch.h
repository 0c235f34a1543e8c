/* Internal: per-thread reusable scratch buffers for kernels (im2col columns, quantized
   activations, packed panels). A buffer grows to the largest size asked for and is then
   reused, so steady-state calls do not allocate. Each (thread, slot) pair has its own
   buffer; memory obtained from the calling thread may be shared with pool workers for the
   duration of one op. */
#ifndef A2A_CORE_SCRATCH_H
#define A2A_CORE_SCRATCH_H

#include <stddef.h>

#define A2A_SCRATCH_SLOTS 4

/* 64-byte aligned buffer of at least `bytes` for this thread's `slot` (0..3); contents are
   unspecified. Valid until the next call with the same slot on the same thread. NULL when
   memory is exhausted (callers return A2A_ERR_NOMEM). */
void *a2a_scratch(int slot, size_t bytes);

/* Release this thread's scratch buffers. */
void a2a_scratch_release(void);

#endif
