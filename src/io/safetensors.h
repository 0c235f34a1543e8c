/* Internal: safetensors files — a validating, zero-copy reader.

   Layout: u64 little-endian header length N, N bytes of JSON
     {"__metadata__": {"k": "v", ...},
      "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
   then the data region; offsets are relative to the first byte after the header. Shapes are
   PyTorch order (outermost first); the a2a_tensor views have them reversed into ggml order
   (ne[0] innermost).

   Dtypes: F32, F16, BF16, F64, I8, I16, I32, I64 become a2a tensors. The other dtypes of the
   format (BOOL, U8, U16, U32, U64, F8_E4M3, F8_E5M2, F8_E8M0, F6_E2M3, F6_E3M2, F4) are
   validated and listed as raw entries (a2a_safetensors_entry, tensor == NULL) but are not
   a2a tensors, since no a2a_type has their meaning; likewise tensors of more than 5 dims.

   Validation at open: N within the file (and <= 100 MB), strict JSON without duplicate keys,
   no control characters in tensor names or metadata keys, every entry well-formed, dtype known, no negative or non-integral dims, byte count equal to
   product(shape) * element size (overflow-checked), offsets inside the data region, no two
   tensors overlapping. Holes between tensors are accepted.

   Data pointers point into the mapping and may be unaligned (the format only pads the header
   to 8 bytes): read F32/F64/I64 data with memcpy or check alignment first. */
#ifndef A2A_IO_SAFETENSORS_H
#define A2A_IO_SAFETENSORS_H

#include "core/status.h"
#include "core/tensor.h"

#define A2A_SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)
#define A2A_SAFETENSORS_MAX_DIMS 16

typedef struct a2a_safetensors a2a_safetensors;

/* One tensor entry of the header, whatever its dtype. */
typedef struct a2a_safetensors_entry {
    const char *name;             /* NUL-terminated; valid while the file is open */
    const char *dtype;            /* as in the file: "F32", "U8", ... */
    int n_dims;                   /* 0..A2A_SAFETENSORS_MAX_DIMS */
    int64_t shape[A2A_SAFETENSORS_MAX_DIMS]; /* PyTorch order (outermost first) */
    uint64_t begin, end;          /* data_offsets, relative to the data region */
    const void *data;             /* first byte (in the mapping) */
    const a2a_tensor *tensor;     /* the a2a view, or NULL for dtypes/ranks without one */
} a2a_safetensors_entry;

/* Map and validate a safetensors file. Errors: A2A_ERR_IO, A2A_ERR_FORMAT (message names the
   tensor and the numbers), A2A_ERR_NOMEM. Caller frees *out with a2a_safetensors_close. */
a2a_status a2a_safetensors_open(a2a_ctx *ctx, const char *path, a2a_safetensors **out);
/* Same over a private copy of data[0..size). */
a2a_status a2a_safetensors_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_safetensors **out);
/* Free everything (NULL is fine); all pointers obtained from st become invalid. */
void a2a_safetensors_close(a2a_safetensors *st);

/* Header length N and the offset of the data region (8 + N). */
uint64_t a2a_safetensors_header_size(const a2a_safetensors *st);
size_t a2a_safetensors_data_offset(const a2a_safetensors *st);
size_t a2a_safetensors_file_size(const a2a_safetensors *st);

/* Tensors with an a2a type (header order). a2a_safetensors_tensor returns NULL when i is out of
   range; find returns NULL when absent (or the entry has no a2a type). */
int64_t a2a_safetensors_n_tensors(const a2a_safetensors *st);
const a2a_tensor *a2a_safetensors_tensor(const a2a_safetensors *st, int64_t i);
const a2a_tensor *a2a_safetensors_find_tensor(const a2a_safetensors *st, const char *name);
/* Entry index of tensor i (a2a_safetensors_tensor numbering), -1 if out of range. */
int64_t a2a_safetensors_tensor_entry(const a2a_safetensors *st, int64_t i);

/* All entries, raw dtypes included (header order). */
int64_t a2a_safetensors_n_entries(const a2a_safetensors *st);
const a2a_safetensors_entry *a2a_safetensors_entry_at(const a2a_safetensors *st, int64_t i);
const a2a_safetensors_entry *a2a_safetensors_find_entry(const a2a_safetensors *st, const char *name);

/* __metadata__ (string -> string, file order). Values are NUL-terminated (may hold NUL: use *len). */
int64_t a2a_safetensors_n_metadata(const a2a_safetensors *st);
const char *a2a_safetensors_metadata_key(const a2a_safetensors *st, int64_t i);
const char *a2a_safetensors_metadata_value(const a2a_safetensors *st, int64_t i, size_t *len);
/* Value of a metadata key, NULL if absent. */
const char *a2a_safetensors_metadata(const a2a_safetensors *st, const char *key);

/* Element size in bits of a safetensors dtype name (0 if unknown); *type gets the a2a type or -1. */
int a2a_safetensors_dtype_bits(const char *dtype, int *type);

#endif
