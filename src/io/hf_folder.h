/* Internal: pieces the Hugging Face folder converters share (unet2d, unet3d, vae, clip_text,
   clap_text, hifigan): finding config.json and the weights file of a model folder, and converting
   a checkpoint tensor into a buffer the GGUF writer keeps. */
#ifndef A2A_IO_HF_FOLDER_H
#define A2A_IO_HF_FOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "core/tensor.h"
#include "core/threadpool.h"
#include "io/gguf.h"
#include "io/weights.h"

/* "<dir>/config.json" into path (cap bytes) when that file can be opened. Errors:
   A2A_ERR_NOT_FOUND "<who> convert: no config.json in <dir>", A2A_ERR_INVALID_ARG when the path
   does not fit. */
a2a_status a2a_hf_config_path(a2a_ctx *ctx, const char *dir, const char *who, char *path, size_t cap);

/* Open the first of the files cands[0..n) found in dir (caller closes *out with
   a2a_weights_close). None there: A2A_OK with *out NULL, for the caller to say what it wanted.
   Errors: those of a2a_weights_open; A2A_ERR_INVALID_ARG "<who> convert: path ... is too long". */
a2a_status a2a_hf_open_weights(a2a_ctx *ctx, const char *dir, const char *const *cands, int n, const char *who,
                               a2a_weights **out);

/* Convert the rows of src (any strided view a2a_convert_rows takes) to dt into a new buffer that
   w keeps (bit copy when dt is src's type and src is contiguous), and add it to w as tensor
   `name` of nd dims ne (whose element count must be src's). Errors: A2A_ERR_NOMEM "<who> convert:
   cannot allocate <type> for '<name>'", and those of a2a_convert_rows and the writer. */
a2a_status a2a_convert_tensor_keep(a2a_ctx *ctx, a2a_threadpool *tp, a2a_gguf_writer *w, const a2a_tensor *src,
                                   a2a_type dt, const char *name, int nd, const int64_t *ne, const char *who);

/* Writes the part of one component (src_dir -> tensors + metadata) into a writer: the
   component's convert_add with its prefix "" and its params. */
typedef a2a_status (*a2a_convert_add_fn)(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *params);
/* Loads the file at path as the component and frees it again (A2A_OK when it loads). */
typedef a2a_status (*a2a_convert_check_fn)(a2a_ctx *ctx, const char *path);

/* One component as a GGUF file of its own: general.architecture = arch, general.name = name,
   add(src_dir, params), written to out_gguf; then the file must load back through check (names,
   shapes, config), otherwise it is removed and the error says "<who>: <src_dir> does not hold a
   complete <name>". */
a2a_status a2a_hf_convert_file(a2a_ctx *ctx, const char *who, const char *arch, const char *name, const char *src_dir,
                               const char *out_gguf, a2a_convert_add_fn add, const void *params,
                               a2a_convert_check_fn check);

#endif
