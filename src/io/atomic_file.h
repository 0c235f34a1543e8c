/* Internal: atomic file creation (temporary file in the destination's directory + rename).

     a2a_atomic_file af;
     a2a_status st = a2a_atomic_file_open(ctx, "png writer", "out.png", &af);
     if (st) return st;
     if (fwrite(data, 1, n, af.f) != n) {            // any writes/seeks on af.f
         a2a_atomic_file_abort(&af);                  // error or cancel: out.png is not touched
         return a2a_fail(ctx, A2A_ERR_IO, "...");
     }
     return a2a_atomic_file_commit(ctx, "png writer", &af);  // flush, fsync, close, rename

   The temporary file is "<dir>/.<basename>.<random>.tmp", created with O_CREAT|O_EXCL and mode
   0666 (so the final file gets the usual umask permissions), in the destination's directory so
   that rename(2) is atomic (same file system). Until commit, an existing destination file is
   untouched; after a failed commit or an abort the temporary file is removed. Concurrent writers
   of the same destination never share a temporary file (the last rename wins). */
#ifndef A2A_IO_ATOMIC_FILE_H
#define A2A_IO_ATOMIC_FILE_H

#include "core/status.h"

#include <stdio.h>

typedef struct a2a_atomic_file {
    char *path;     /* destination path (owned copy) */
    char *tmp_path; /* temporary file beside it (owned) */
    FILE *f;        /* open for binary writing and seeking (not reading), at offset 0 */
} a2a_atomic_file;

/* Create the temporary file for destination path and open it (af->f). prefix names the caller
   in error messages ("png writer"). Errors: A2A_ERR_INVALID_ARG (NULL/empty path, path ending
   in '/'), A2A_ERR_IO (directory missing or not writable; message names the path and errno),
   A2A_ERR_NOMEM. On failure *af is zeroed and nothing is created. */
a2a_status a2a_atomic_file_open(a2a_ctx *ctx, const char *prefix, const char *path, a2a_atomic_file *af);

/* Flush, fsync and close af->f, then rename the temporary file onto af->path. On any failure
   the temporary file is removed and the destination is left as it was. Always releases af
   (zeroed afterwards), success or not. */
a2a_status a2a_atomic_file_commit(a2a_ctx *ctx, const char *prefix, a2a_atomic_file *af);

/* Close and remove the temporary file, release af (zeroed). A zeroed af is fine. Never fails. */
void a2a_atomic_file_abort(a2a_atomic_file *af);

/* Convenience: atomically replace path with data[0..size) (size 0 makes an empty file). */
a2a_status a2a_atomic_file_write_all(a2a_ctx *ctx, const char *prefix, const char *path, const void *data,
                                     size_t size);

#endif
