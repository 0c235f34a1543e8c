/* Internal: copying GGUF metadata from a reader to a writer (quantizer, converters, tests). */
#ifndef A2A_IO_GGUF_COPY_H
#define A2A_IO_GGUF_COPY_H

#include "io/gguf.h"

/* Return true to copy the entry with this key. */
typedef bool (*a2a_gguf_key_filter)(const char *key, void *user);

/* Copy every metadata entry of g (or those the filter accepts; filter may be NULL) into w:
   scalars, strings, numeric arrays and string arrays. Nested arrays give A2A_ERR_UNSUPPORTED
   naming the key; strings with embedded NUL bytes give A2A_ERR_UNSUPPORTED too. */
a2a_status a2a_gguf_writer_copy_kv(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_gguf *g, a2a_gguf_key_filter filter,
                                   void *user);

#endif
