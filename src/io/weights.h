/* Internal: open a weight file of any supported format (GGUF, safetensors, PyTorch zip
   checkpoint) by its magic bytes, and list its tensors uniformly.

   Usage:
       a2a_weights *w;
       if (a2a_weights_open(ctx, path, &w) != A2A_OK) ...;
       const a2a_tensor *t = a2a_weights_find(w, "model.embed_tokens.weight");
       ...
       a2a_weights_close(w);      // invalidates every tensor pointer

   Detection: "GGUF" -> GGUF; "PK\x03\x04" -> PyTorch zip checkpoint; a little-endian u64
   header length N with 2 <= N <= 100 MB followed by '{' -> safetensors (N beyond the end of
   the file is then reported by the safetensors reader). */
#ifndef A2A_IO_WEIGHTS_H
#define A2A_IO_WEIGHTS_H

#include "core/status.h"
#include "core/tensor.h"
#include "io/gguf.h"
#include "io/safetensors.h"

typedef enum a2a_weights_format {
    A2A_WEIGHTS_UNKNOWN = 0,
    A2A_WEIGHTS_GGUF = 1,
    A2A_WEIGHTS_SAFETENSORS = 2,
    A2A_WEIGHTS_TORCH = 3,
} a2a_weights_format;

typedef struct a2a_weights a2a_weights;
struct a2a_torch_file;

/* Format of a file from its first bytes (head[0..n), n >= 9 recommended) and its total size. */
a2a_weights_format a2a_weights_detect(const void *head, size_t n, uint64_t file_size);

/* Open path with the reader its magic selects. Errors: A2A_ERR_IO, A2A_ERR_UNSUPPORTED
   (unrecognized format, or PyTorch support not built), and whatever the reader reports.
   Caller frees *out with a2a_weights_close. */
a2a_status a2a_weights_open(a2a_ctx *ctx, const char *path, a2a_weights **out);
/* Same over a private copy of data[0..size). */
a2a_status a2a_weights_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_weights **out);
void a2a_weights_close(a2a_weights *w);

a2a_weights_format a2a_weights_format_of(const a2a_weights *w);
/* "gguf", "safetensors" or "pytorch" (static). */
const char *a2a_weights_format_name(const a2a_weights *w);

int64_t a2a_weights_n_tensors(const a2a_weights *w);
/* Tensor i (NULL when out of range); name set; valid while w is open. For safetensors only the
   entries with an a2a type are listed (see safetensors.h). */
const a2a_tensor *a2a_weights_tensor(const a2a_weights *w, int64_t i);
/* Tensor by name, NULL if absent. */
const a2a_tensor *a2a_weights_find(const a2a_weights *w, const char *name);

/* The underlying reader (NULL when w is of another format); owned by w. */
const a2a_gguf *a2a_weights_gguf(const a2a_weights *w);
const a2a_safetensors *a2a_weights_safetensors(const a2a_weights *w);
const struct a2a_torch_file *a2a_weights_torch(const a2a_weights *w);

#endif
