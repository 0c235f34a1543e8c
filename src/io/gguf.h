/* Internal: GGUF model files — a validating, zero-copy reader and a writer.

   Reader usage:
       a2a_gguf *g;
       if (a2a_gguf_open(ctx, "model.gguf", &g) != A2A_OK) ...;   // message in ctx
       uint32_t n_layer;
       a2a_gguf_get_u32(ctx, g, "llama.block_count", &n_layer);
       const a2a_tensor *w = a2a_gguf_find_tensor(g, "blk.0.attn_q.weight");
       ...                                                        // w->data points into the mapping
       a2a_gguf_close(g);                                         // invalidates every pointer above

   Everything read from the file is validated at open time (counts against the bytes left,
   string lengths, keys and tensor names in UTF-8 without control characters, duplicates, type ids, block multiples, size overflow, data
   ranges inside the file, alignment, overlaps), so accessors never fail on hostile input.
   Strings returned by the reader are NOT NUL-terminated inside the file; keys and tensor
   names are copied and NUL-terminated, string values come with their length.

   Writer usage:
       a2a_gguf_writer *w;
       a2a_gguf_writer_new(ctx, &w);
       a2a_gguf_writer_set_str(ctx, w, "general.architecture", "llama");
       a2a_gguf_writer_add_tensor(ctx, w, "tok_embd.weight", A2A_TYPE_F32, 2, ne, data);
       a2a_gguf_writer_write(ctx, w, "out.gguf");   // atomic: writes a temporary file beside it (io/atomic_file.h), then renames
       a2a_gguf_writer_free(w); */
#ifndef A2A_IO_GGUF_H
#define A2A_IO_GGUF_H

#include "core/status.h"
#include "core/tensor.h"

#define A2A_GGUF_DEFAULT_ALIGNMENT 32
/* Arrays nested inside arrays deeper than this are rejected (depth bombs). */
#define A2A_GGUF_MAX_ARRAY_DEPTH 8

/* GGUF metadata value types (the ids stored in the file). */
typedef enum a2a_gguf_vtype {
    A2A_GGUF_UINT8 = 0,
    A2A_GGUF_INT8 = 1,
    A2A_GGUF_UINT16 = 2,
    A2A_GGUF_INT16 = 3,
    A2A_GGUF_UINT32 = 4,
    A2A_GGUF_INT32 = 5,
    A2A_GGUF_FLOAT32 = 6,
    A2A_GGUF_BOOL = 7,
    A2A_GGUF_STRING = 8,
    A2A_GGUF_ARRAY = 9,
    A2A_GGUF_UINT64 = 10,
    A2A_GGUF_INT64 = 11,
    A2A_GGUF_FLOAT64 = 12,
    A2A_GGUF_VTYPE_COUNT = 13
} a2a_gguf_vtype;

/* Name of a value type ("u8", "i32", "f32", "bool", "str", "arr", ...; "?" if invalid). Static. */
const char *a2a_gguf_vtype_name(int vtype);
/* Bytes of one scalar of a fixed-size type (0 for STRING, ARRAY and invalid ids). */
size_t a2a_gguf_vtype_size(int vtype);

/* ======================================================================== reader */

typedef struct a2a_gguf a2a_gguf;

/* Map and validate a GGUF file. Tensors are views into the read-only mapping (zero copy).
   Errors: A2A_ERR_IO (cannot open/map), A2A_ERR_FORMAT (malformed/hostile, message names the
   key/tensor and the numbers), A2A_ERR_UNSUPPORTED (version 1 or > 3), A2A_ERR_NOMEM.
   On success the caller frees *out with a2a_gguf_close. */
a2a_status a2a_gguf_open(a2a_ctx *ctx, const char *path, a2a_gguf **out);
/* Same as a2a_gguf_open over a private copy of data[0..size) (for fuzzers and tests). */
a2a_status a2a_gguf_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_gguf **out);
/* Free everything (NULL is fine). Every pointer obtained from g becomes invalid. */
void a2a_gguf_close(a2a_gguf *g);

/* File format version (2 or 3). */
uint32_t a2a_gguf_version(const a2a_gguf *g);
/* Data alignment in bytes (general.alignment, default 32). */
size_t a2a_gguf_alignment(const a2a_gguf *g);
/* Byte offset of the tensor data section from the start of the file (a multiple of the alignment;
   it may exceed the file size when the file has no tensor data, as vocab-only files do). */
size_t a2a_gguf_data_offset(const a2a_gguf *g);
/* Size of the whole file in bytes. */
size_t a2a_gguf_file_size(const a2a_gguf *g);

/* ---- tensors ---- */
int64_t a2a_gguf_n_tensors(const a2a_gguf *g);
/* Tensor i (0 <= i < n_tensors; NULL otherwise): name set, contiguous strides, data points into
   the mapping. Valid while g is open. */
const a2a_tensor *a2a_gguf_tensor(const a2a_gguf *g, int64_t i);
/* Tensor by name (O(1) average, hashed); NULL if absent. */
const a2a_tensor *a2a_gguf_find_tensor(const a2a_gguf *g, const char *name);
/* Drop the resident pages of the tensors whose names start with prefix (a pipeline component
   that is done for now, e.g. "unet." before the VAE decode): the mapping stays valid and the
   pages come back from the page cache on the next access. A no-op for in-memory files.
   Returns the bytes released (page-granular). */
size_t a2a_gguf_release_pages(const a2a_gguf *g, const char *prefix);
/* Index of a tensor by name, -1 if absent. */
int64_t a2a_gguf_find_tensor_index(const a2a_gguf *g, const char *name);
/* Offset of tensor i's data relative to the data section (as stored in the file); 0 if i is bad. */
uint64_t a2a_gguf_tensor_offset(const a2a_gguf *g, int64_t i);
/* Byte size of tensor i's data; 0 if i is bad. */
size_t a2a_gguf_tensor_size(const a2a_gguf *g, int64_t i);

/* ---- metadata ---- */
int64_t a2a_gguf_n_kv(const a2a_gguf *g);
/* Key i (NUL-terminated, valid UTF-8), NULL if i is out of range. */
const char *a2a_gguf_key(const a2a_gguf *g, int64_t i);
/* Value type of entry i (-1 cast to the enum if i is out of range). */
a2a_gguf_vtype a2a_gguf_kv_type(const a2a_gguf *g, int64_t i);
/* Index of key, -1 if absent (O(1) average, hashed). */
int64_t a2a_gguf_find_key(const a2a_gguf *g, const char *key);

/* Typed getters by key. Return A2A_OK, A2A_ERR_NOT_FOUND (key absent) or A2A_ERR_FORMAT
   (wrong type, or an integer that does not fit the requested type), with a message naming the
   key; ctx may be NULL (status only). Integer getters accept any integer vtype (not bool) whose
   value fits; _f32 accepts FLOAT32 and FLOAT64 (rounded); _bool accepts BOOL only. */
a2a_status a2a_gguf_get_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, uint32_t *out);
a2a_status a2a_gguf_get_i32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t *out);
a2a_status a2a_gguf_get_u64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, uint64_t *out);
a2a_status a2a_gguf_get_i64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int64_t *out);
a2a_status a2a_gguf_get_f32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, float *out);
a2a_status a2a_gguf_get_f64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, double *out);
a2a_status a2a_gguf_get_bool(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool *out);
/* String value: *out points into the mapping (NOT NUL-terminated), *len its byte length;
   valid while g is open. The bytes are not checked for UTF-8 (keys are). */
a2a_status a2a_gguf_get_str(a2a_ctx *ctx, const a2a_gguf *g, const char *key, const char **out, size_t *len);

/* Numeric (or bool) array: *elem_vtype, *count and *data (points into the mapping, elements
   little-endian and packed, possibly unaligned: read with memcpy). Errors as above; arrays of
   strings or arrays are A2A_ERR_FORMAT (use a2a_gguf_get_arr_str). */
a2a_status a2a_gguf_get_arr(a2a_ctx *ctx, const a2a_gguf *g, const char *key, a2a_gguf_vtype *elem_vtype,
                            uint64_t *count, const void **data);
/* Array info for any array (including string and nested arrays): element type and count. */
a2a_status a2a_gguf_get_arr_info(a2a_ctx *ctx, const a2a_gguf *g, const char *key, a2a_gguf_vtype *elem_vtype,
                                 uint64_t *count);
/* Element idx of a string array (O(1): offsets are indexed at open). Returns a pointer into the
   mapping (NOT NUL-terminated) and its length in *len; NULL if the key is absent, is not a
   string array, or idx is out of range. */
const char *a2a_gguf_get_arr_str(const a2a_gguf *g, const char *key, uint64_t idx, size_t *len);

/* Index-based variants (i from 0..n_kv-1), for printing every entry without knowing keys. */
/* Raw scalar value of entry i as the largest matching C type: integers/bool to *i64 or *u64
   (UINT64 to *u64, others to *i64), floats to *f64. Returns false for strings/arrays/bad i. */
bool a2a_gguf_kv_scalar(const a2a_gguf *g, int64_t i, int64_t *i64, uint64_t *u64, double *f64);
/* String value of entry i (pointer into the mapping, not NUL-terminated); NULL if not a string. */
const char *a2a_gguf_kv_str(const a2a_gguf *g, int64_t i, size_t *len);
/* Array header of entry i; false if not an array. *data points at the first element (for
   numeric arrays, packed little-endian; for string/array elements use the by-key accessors). */
bool a2a_gguf_kv_arr(const a2a_gguf *g, int64_t i, a2a_gguf_vtype *elem_vtype, uint64_t *count, const void **data);
/* Element idx of the string array at entry i (O(1)); NULL if not a string array / out of range. */
const char *a2a_gguf_kv_arr_str(const a2a_gguf *g, int64_t i, uint64_t idx, size_t *len);

/* ======================================================================== writer */

typedef struct a2a_gguf_writer a2a_gguf_writer;

/* New empty writer (version 3, alignment 32 until general.alignment is set). Caller frees with
   a2a_gguf_writer_free. */
a2a_status a2a_gguf_writer_new(a2a_ctx *ctx, a2a_gguf_writer **out);
void a2a_gguf_writer_free(a2a_gguf_writer *w);
/* Hand a malloc'd buffer (e.g. converted tensor data referenced by add_tensor) to the writer:
   it is freed by a2a_gguf_writer_free. NULL is fine. On failure (A2A_ERR_NOMEM) p is freed. */
a2a_status a2a_gguf_writer_keep(a2a_ctx *ctx, a2a_gguf_writer *w, void *p);

/* Metadata setters. The key (and string value / array contents) are copied. Setting an
   existing key replaces its value in place (order kept). Setting "general.alignment" (u32, a
   nonzero power of two) changes the data alignment. Errors: A2A_ERR_INVALID_ARG (empty key,
   invalid UTF-8, bad alignment), A2A_ERR_NOMEM. */
a2a_status a2a_gguf_writer_set_u8(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint8_t v);
a2a_status a2a_gguf_writer_set_i8(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int8_t v);
a2a_status a2a_gguf_writer_set_u16(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint16_t v);
a2a_status a2a_gguf_writer_set_i16(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int16_t v);
a2a_status a2a_gguf_writer_set_u32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint32_t v);
a2a_status a2a_gguf_writer_set_i32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int32_t v);
a2a_status a2a_gguf_writer_set_u64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint64_t v);
a2a_status a2a_gguf_writer_set_i64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int64_t v);
a2a_status a2a_gguf_writer_set_f32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, float v);
a2a_status a2a_gguf_writer_set_f64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, double v);
a2a_status a2a_gguf_writer_set_bool(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, bool v);
/* NUL-terminated string value. */
a2a_status a2a_gguf_writer_set_str(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *v);
/* String value with explicit length (may contain NULs). */
a2a_status a2a_gguf_writer_set_strn(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *v, size_t len);
/* Numeric/bool array of count elements of elem_vtype, packed in host order (little-endian hosts
   only, which is all we build for). */
a2a_status a2a_gguf_writer_set_arr(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, a2a_gguf_vtype elem_vtype,
                                   const void *data, uint64_t count);
/* Array of count NUL-terminated strings. */
a2a_status a2a_gguf_writer_set_arr_str(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *const *strs,
                                       uint64_t count);

/* Add a tensor (ne in ggml order, innermost first, n_dims 1..5). The name is copied. The data is
   REFERENCED, not copied: it must stay valid and unchanged until a2a_gguf_writer_write returns
   (data may be NULL only when the tensor has 0 bytes). Errors: A2A_ERR_INVALID_ARG (duplicate or
   empty name, bad type/shape, ne[0] not a multiple of the block size), A2A_ERR_NOMEM. */
a2a_status a2a_gguf_writer_add_tensor(a2a_ctx *ctx, a2a_gguf_writer *w, const char *name, a2a_type type,
                                      int n_dims, const int64_t *ne, const void *data);

/* Write the file: to a temporary file beside path (io/atomic_file.h), flushed and fsync'ed, then renamed over path; on any error the
   temporary file is removed and path is untouched. Layout as llama.cpp / gguf-py write it (entries
   and tensors in insertion order, each tensor's data padded to the alignment, no data section at
   all when there are no tensors), so re-writing their files reproduces them byte for byte.
   Errors: A2A_ERR_IO, A2A_ERR_NOMEM. */
a2a_status a2a_gguf_writer_write(a2a_ctx *ctx, a2a_gguf_writer *w, const char *path);
/* Serialize into a malloc'd buffer (caller frees *out with free); for tests and fuzz seeds. */
a2a_status a2a_gguf_writer_write_memory(a2a_ctx *ctx, a2a_gguf_writer *w, void **out, size_t *size);

#endif
