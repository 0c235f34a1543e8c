/* Internal: re-encode the tensors of a GGUF model file to another type (the quantizer behind
   `any2any quantize`), keeping metadata and the GGUF block layouts bit-compatible with
   llama.cpp's files. */
#ifndef A2A_IO_GGUF_QUANTIZE_H
#define A2A_IO_GGUF_QUANTIZE_H

#include "core/threadpool.h"
#include "io/gguf.h"

typedef struct a2a_quantize_params {
    a2a_type type;            /* target for 2-D weight matrices: F32, F16, BF16, Q4_0 ... Q6_K */
    a2a_type fallback;        /* used when a row length is not a multiple of type's block (F16) */
    a2a_progress_fn progress; /* per tensor; may be NULL; nonzero return cancels */
    void *user;
} a2a_quantize_params;

/* llama.cpp's general.file_type value for a "mostly <type>" file, -1 if none. */
int a2a_ftype_of(a2a_type t);

/* Which tensors are quantized: 2-D (or more) tensors whose name ends in ".weight", except norms
   and positional tables; 1-D tensors (norms, biases) stay F32. */
bool a2a_quantize_wants(const a2a_tensor *t);

/* Read in_path, convert as described, write out_path (atomically: nothing is left behind on
   failure or cancel). Source tensors of any supported type (F32/F16/BF16/quantized) are
   dequantized to F32 first. Work is split over tp by rows. */
a2a_status a2a_quantize_file(a2a_ctx *ctx, a2a_threadpool *tp, const char *in_path, const char *out_path,
                             const a2a_quantize_params *p);

#endif
