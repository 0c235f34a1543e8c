/* Internal: convert the rows of a tensor to another element type in parallel (shared by the
   GGUF quantizer and the Hugging Face converters). */
#ifndef A2A_IO_CONVERT_ROWS_H
#define A2A_IO_CONVERT_ROWS_H

#include "core/tensor.h"
#include "core/threadpool.h"

/* Convert every row (ne[0] elements) of src to dst_type, writing the rows packed, in row order
   (ne[1] fastest, then ne[2], ...), into dst, which must hold nrows * row_size(dst_type, ne[0])
   bytes. src may be any strided view (e.g. a permutation of rows) of F32/F16/BF16 data or of a
   quantized type whose rows are packed; its data may be unaligned (rows are copied to aligned
   scratch first then). Work is split over tp by rows (tp may be NULL). Errors:
   A2A_ERR_UNSUPPORTED (no conversion src->type -> dst_type, or ne[0] not a multiple of
   dst_type's block size), A2A_ERR_NOMEM (scratch allocation failed); the message names src->name. */
a2a_status a2a_convert_rows(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *src, a2a_type dst_type, void *dst);

#endif
