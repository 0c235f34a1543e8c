/* Shared pieces of the Hugging Face folder converters. Contracts in hf_folder.h. */
#include "io/hf_folder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/convert_rows.h"

static bool can_open(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    fclose(f);
    return true;
}

static a2a_status join(a2a_ctx *ctx, const char *who, char *path, size_t cap, const char *dir, const char *name) {
    int r = snprintf(path, cap, "%s/%s", dir, name);
    if (r < 0 || (size_t)r >= cap)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s convert: path %s/%s is too long", who, dir, name);
    return A2A_OK;
}

a2a_status a2a_hf_config_path(a2a_ctx *ctx, const char *dir, const char *who, char *path, size_t cap) {
    a2a_status st = join(ctx, who, path, cap, dir, "config.json");
    if (st != A2A_OK) return st;
    if (!can_open(path)) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s convert: no config.json in %s", who, dir);
    return A2A_OK;
}

a2a_status a2a_hf_open_weights(a2a_ctx *ctx, const char *dir, const char *const *cands, int n, const char *who,
                               a2a_weights **out) {
    *out = NULL;
    char path[4096];
    for (int i = 0; i < n; i++) {
        a2a_status st = join(ctx, who, path, sizeof path, dir, cands[i]);
        if (st != A2A_OK) return st;
        if (can_open(path)) return a2a_weights_open(ctx, path, out);
    }
    return A2A_OK;
}

a2a_status a2a_convert_tensor_keep(a2a_ctx *ctx, a2a_threadpool *tp, a2a_gguf_writer *w, const a2a_tensor *src,
                                   a2a_type dt, const char *name, int nd, const int64_t *ne, const char *who) {
    size_t row, bytes;
    void *buf = NULL;
    if (!a2a_row_size(dt, ne[0], &row) || !a2a_mul_ok(row, (size_t)a2a_tensor_nrows(src), &bytes) ||
        !(buf = malloc(bytes ? bytes : 1)))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s convert: cannot allocate %s for '%s'", who, a2a_type_name(dt), name);
    a2a_status st = a2a_gguf_writer_keep(ctx, w, buf); /* frees buf on failure */
    if (st != A2A_OK) return st;
    if (dt == src->type && a2a_tensor_is_contiguous(src)) memcpy(buf, src->data, bytes);
    else if ((st = a2a_convert_rows(ctx, tp, src, dt, buf)) != A2A_OK) return st;
    return a2a_gguf_writer_add_tensor(ctx, w, name, dt, nd, ne, buf);
}

a2a_status a2a_hf_convert_file(a2a_ctx *ctx, const char *who, const char *arch, const char *name, const char *src_dir,
                               const char *out_gguf, a2a_convert_add_fn add, const void *params,
                               a2a_convert_check_fn check) {
    if (!src_dir || !out_gguf) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: NULL folder or output path", who);
    a2a_gguf_writer *w = NULL;
    a2a_status st = a2a_gguf_writer_new(ctx, &w);
    if (st != A2A_OK) return st;
    if (!(st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", arch)) &&
        !(st = a2a_gguf_writer_set_str(ctx, w, "general.name", name)) && !(st = add(ctx, w, src_dir, params)))
        st = a2a_gguf_writer_write(ctx, w, out_gguf);
    a2a_gguf_writer_free(w);
    if (st != A2A_OK) return st;
    if ((st = check(ctx, out_gguf)) != A2A_OK) {
        a2a_error_prefix(ctx, "%s: %s does not hold a complete %s", who, src_dir, name);
        remove(out_gguf);
    }
    return st;
}
