/* Internal: PyTorch checkpoints in the zip format written by torch.save (.pt/.pth/.ckpt/.bin).

   The archive holds <prefix>/data.pkl (a pickle, read with the restricted unpickler of
   io/pickle.h: no code is ever executed, only state_dict globals are accepted) and one
   stored (uncompressed) entry <prefix>/data/<key> per storage. Tensors are zero-copy,
   read-only views into those entries.

   Which tensors are listed (the flattening rule):
   - The top-level object must be a dict (OrderedDict included).
   - While the selected dict has a key "state_dict", "model_state_dict", "model" or "module"
     (checked in that order) whose value is a dict holding at least one tensor, selection
     moves into that value (Lightning, NExT-GPT and DeepSpeed checkpoints nest this way).
     Values outside the selected dict are not tensors of the model: their scalar leaves are
     kept for a2a_torch_print_info, tensors there (optimizer state) are counted and skipped.
   - Inside the selected dict, nested dicts, lists and tuples are flattened with dotted
     names: {"enc": {"w": T}} -> "enc.w", {"layers": [T0, T1]} -> "layers.0", "layers.1";
     integer keys print in decimal. Keys of other types are skipped (counted).
   - Non-tensor leaves (ints, floats, strings, bools, None, ...) are kept for print_info,
     e.g. "epoch = 3". Two leaves with the same dotted name are an A2A_ERR_FORMAT error.

   Element types: float32/float64/float16/bfloat16/int64/int32/int16/int8 map to the
   matching a2a_type. uint8 and bool have no a2a_type of their own: they are reported as
   A2A_TYPE_I8 (same 1-byte storage); a2a_torch_tensor_dtype tells them apart. */
#ifndef A2A_IO_TORCH_CKPT_H
#define A2A_IO_TORCH_CKPT_H

#include "core/status.h"
#include "core/tensor.h"

#include <stdio.h>

typedef struct a2a_torch_file a2a_torch_file;

/* Open a checkpoint file by mmap. Tensors are zero-copy views into the stored zip entries
   and stay valid until a2a_torch_close. Caller frees *out with a2a_torch_close.
   Errors: A2A_ERR_IO (cannot open), A2A_ERR_FORMAT (malformed/hostile zip or pickle),
   A2A_ERR_UNSUPPORTED (refused global, compressed entry, >5 dims, legacy format, ...). */
a2a_status a2a_torch_open(a2a_ctx *ctx, const char *path, a2a_torch_file **out);

/* Same as a2a_torch_open over a copy of data[0..size) (for fuzzers and tests). */
a2a_status a2a_torch_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_torch_file **out);

/* Number of tensors listed (see the flattening rule above). 0 for f == NULL. */
int64_t a2a_torch_n_tensors(const a2a_torch_file *f);

/* Tensor i (0 <= i < n_tensors; NULL otherwise), in pickle order. name = full dotted
   state_dict key; ne/nb in ggml order (PyTorch sizes/strides reversed, strides in bytes);
   data = storage base + storage_offset * element size; the data is read-only. */
const a2a_tensor *a2a_torch_tensor(const a2a_torch_file *f, int64_t i);

/* Tensor by full dotted name, or NULL. */
const a2a_tensor *a2a_torch_find_tensor(const a2a_torch_file *f, const char *name);

/* PyTorch dtype name of tensor i ("float32", "bfloat16", "uint8", "bool", ...); "?" if out of range. */
const char *a2a_torch_tensor_dtype(const a2a_torch_file *f, int64_t i);

/* Print the archive prefix, pickle protocol, zip entries, tensor table and the non-tensor
   values found (e.g. "epoch = 3") to out. */
void a2a_torch_print_info(const a2a_torch_file *f, FILE *out);

/* Close a checkpoint (NULL is fine); every tensor pointer from it becomes invalid. */
void a2a_torch_close(a2a_torch_file *f);

#endif
