/* Internal: overlap detection for the data ranges a weight file declares (GGUF tensors,
   safetensors entries): hostile files may point two tensors at the same bytes. */
#ifndef A2A_IO_RANGES_H
#define A2A_IO_RANGES_H

#include <stdint.h>

/* Byte range [*begin, *end) of item i (end >= begin, no overflow: callers checked it). */
typedef void (*a2a_range_fn)(const void *user, int64_t i, uint64_t *begin, uint64_t *end);

/* Look for two overlapping non-empty ranges among items 0..n-1 (sorted by begin, then index;
   the first overlapping neighbours are reported). Returns 1 with *a, *b set (a's range starts
   first), 0 when no ranges overlap, -1 when memory runs out. */
int a2a_find_overlap(int64_t n, a2a_range_fn fn, const void *user, int64_t *a, int64_t *b);

#endif
