/* Format-detecting weights opener over the GGUF, safetensors and PyTorch readers. */
#include "io/weights.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#if defined(__has_include)
#if __has_include("io/torch_ckpt.h") && !defined(A2A_NO_TORCH)
#include "io/torch_ckpt.h"
#define A2A_HAVE_TORCH 1
#endif
#endif

struct a2a_weights {
    a2a_weights_format format;
    a2a_gguf *gguf;
    a2a_safetensors *st;
    struct a2a_torch_file *torch;
};

/* Classify by magic bytes (see weights.h). */
a2a_weights_format a2a_weights_detect(const void *head, size_t n, uint64_t file_size) {
    const uint8_t *p = head;
    if (n >= 4 && memcmp(p, "GGUF", 4) == 0) return A2A_WEIGHTS_GGUF;
    if (n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) return A2A_WEIGHTS_TORCH;
    if (n >= 9) {
        /* a plausible header length; one beyond the end of the file is left to the safetensors
           reader, so a truncated file gets its precise message */
        uint64_t hl;
        memcpy(&hl, p, 8);
        (void)file_size;
        if (hl >= 2 && hl <= A2A_SAFETENSORS_MAX_HEADER && p[8] == '{') return A2A_WEIGHTS_SAFETENSORS;
    }
    return A2A_WEIGHTS_UNKNOWN;
}

/* Message for a file no reader claims. */
static a2a_status unknown_format(a2a_ctx *ctx, const uint8_t *head, size_t n) {
    if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                        "legacy (non-zip) PyTorch pickle files are not supported; re-save with torch.save in the "
                        "default zip format");
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                    "unrecognized file format (not GGUF, safetensors or a PyTorch zip checkpoint)");
}

/* Open with the detected reader from either a path or a memory buffer. */
static a2a_status open_any(a2a_ctx *ctx, const char *path, const void *mem, size_t mem_size, a2a_weights **out) {
    *out = NULL;
    uint8_t head[16] = {0};
    size_t n;
    uint64_t fsize;
    if (path) {
        struct stat sb;
        if (stat(path, &sb) != 0) return a2a_fail(ctx, A2A_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        if (!S_ISREG(sb.st_mode)) return a2a_fail(ctx, A2A_ERR_IO, "'%s' is not a regular file", path);
        FILE *f = fopen(path, "rb");
        if (!f) return a2a_fail(ctx, A2A_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
        n = fread(head, 1, sizeof(head), f);
        long end = -1;
        if (fseek(f, 0, SEEK_END) == 0) end = ftell(f);
        fclose(f);
        if (end < 0) return a2a_fail(ctx, A2A_ERR_IO, "cannot determine the size of '%s'", path);
        fsize = (uint64_t)end;
    } else {
        n = mem_size < sizeof(head) ? mem_size : sizeof(head);
        if (n) memcpy(head, mem, n);
        fsize = mem_size;
    }
    a2a_weights_format fmt = a2a_weights_detect(head, n, fsize);
    if (fmt == A2A_WEIGHTS_UNKNOWN) return unknown_format(ctx, head, n);
    a2a_weights *w = calloc(1, sizeof(*w));
    if (!w) return a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
    w->format = fmt;
    a2a_status st = A2A_OK;
    switch (fmt) {
    case A2A_WEIGHTS_GGUF:
        st = path ? a2a_gguf_open(ctx, path, &w->gguf) : a2a_gguf_open_memory(ctx, mem, mem_size, &w->gguf);
        break;
    case A2A_WEIGHTS_SAFETENSORS:
        st = path ? a2a_safetensors_open(ctx, path, &w->st) : a2a_safetensors_open_memory(ctx, mem, mem_size, &w->st);
        break;
    case A2A_WEIGHTS_TORCH:
#ifdef A2A_HAVE_TORCH
        st = path ? a2a_torch_open(ctx, path, &w->torch) : a2a_torch_open_memory(ctx, mem, mem_size, &w->torch);
#else
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "PyTorch checkpoints are not supported in this build");
#endif
        break;
    default: st = a2a_fail(ctx, A2A_ERR_INTERNAL, "weights: bad format"); break;
    }
    if (st) {
        a2a_weights_close(w);
        return st;
    }
    *out = w;
    return A2A_OK;
}

a2a_status a2a_weights_open(a2a_ctx *ctx, const char *path, a2a_weights **out) {
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "weights: NULL path");
    return open_any(ctx, path, NULL, 0, out);
}

a2a_status a2a_weights_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_weights **out) {
    if (!data && size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "weights: NULL data");
    return open_any(ctx, NULL, data, size, out);
}

void a2a_weights_close(a2a_weights *w) {
    if (!w) return;
    a2a_gguf_close(w->gguf);
    a2a_safetensors_close(w->st);
#ifdef A2A_HAVE_TORCH
    a2a_torch_close(w->torch);
#endif
    free(w);
}

/* Accessors (contracts in weights.h): dispatch to the reader in use. */
a2a_weights_format a2a_weights_format_of(const a2a_weights *w) { return w->format; }

const char *a2a_weights_format_name(const a2a_weights *w) {
    switch (w->format) {
    case A2A_WEIGHTS_GGUF: return "gguf";
    case A2A_WEIGHTS_SAFETENSORS: return "safetensors";
    case A2A_WEIGHTS_TORCH: return "pytorch";
    default: return "unknown";
    }
}

int64_t a2a_weights_n_tensors(const a2a_weights *w) {
    if (w->gguf) return a2a_gguf_n_tensors(w->gguf);
    if (w->st) return a2a_safetensors_n_tensors(w->st);
#ifdef A2A_HAVE_TORCH
    if (w->torch) return a2a_torch_n_tensors(w->torch);
#endif
    return 0;
}

const a2a_tensor *a2a_weights_tensor(const a2a_weights *w, int64_t i) {
    if (w->gguf) return a2a_gguf_tensor(w->gguf, i);
    if (w->st) return a2a_safetensors_tensor(w->st, i);
#ifdef A2A_HAVE_TORCH
    if (w->torch) return a2a_torch_tensor(w->torch, i);
#endif
    return NULL;
}

const a2a_tensor *a2a_weights_find(const a2a_weights *w, const char *name) {
    if (w->gguf) return a2a_gguf_find_tensor(w->gguf, name);
    if (w->st) return a2a_safetensors_find_tensor(w->st, name);
#ifdef A2A_HAVE_TORCH
    if (w->torch) return a2a_torch_find_tensor(w->torch, name);
#endif
    return NULL;
}

const a2a_gguf *a2a_weights_gguf(const a2a_weights *w) { return w->gguf; }
const a2a_safetensors *a2a_weights_safetensors(const a2a_weights *w) { return w->st; }
const struct a2a_torch_file *a2a_weights_torch(const a2a_weights *w) { return w->torch; }
