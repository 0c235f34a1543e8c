/* Internal: read-only file mappings. */
#ifndef A2A_IO_MMAP_H
#define A2A_IO_MMAP_H

#include "core/status.h"

typedef struct a2a_mmap {
    const uint8_t *data; /* the whole file, read-only; NULL for an empty file */
    size_t size;         /* file size in bytes */
    bool mapped;         /* true: munmap on close; false: data was malloc'd (a2a_mmap_from_memory) */
} a2a_mmap;

/* Map path read-only. Errors: A2A_ERR_IO with the OS reason in ctx. */
a2a_status a2a_mmap_open(a2a_ctx *ctx, const char *path, a2a_mmap *m);
/* Wrap a copy of an in-memory buffer (for fuzzers and tests); A2A_ERR_NOMEM on failure. */
a2a_status a2a_mmap_from_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_mmap *m);
void a2a_mmap_close(a2a_mmap *m);

#endif
