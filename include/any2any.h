/*
 * any2any — an any-to-any multimodal LLM engine in C.
 *
 * Usage (the library is initialized on first use; no global error state):
 *
 *     a2a_ctx *ctx = a2a_ctx_new();                    // caller frees with a2a_ctx_free
 *     a2a_status st = a2a_inspect_file(ctx, "model.gguf", stdout);
 *     if (st != A2A_OK) fprintf(stderr, "error: %s\n", a2a_last_error(ctx));
 *     a2a_ctx_free(ctx);
 *
 * Conventions: names are a2a_<noun>_<verb>; structs are opaque; every fallible
 * call returns a2a_status and leaves its message in the context it was given
 * (read it with a2a_last_error); every returned pointer says who frees it.
 */
#ifndef ANY2ANY_H
#define ANY2ANY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define A2A_API
#else
#define A2A_API __attribute__((visibility("default")))
#endif

#define A2A_VERSION_MAJOR 0
#define A2A_VERSION_MINOR 1
#define A2A_VERSION_PATCH 0

/* Status codes returned by every fallible call. */
typedef enum a2a_status {
    A2A_OK = 0,
    A2A_ERR_INVALID_ARG = 1,  /* caller passed something malformed */
    A2A_ERR_IO = 2,           /* open/read/write/mmap failed */
    A2A_ERR_FORMAT = 3,       /* file content is malformed, truncated or hostile */
    A2A_ERR_UNSUPPORTED = 4,  /* valid but not supported (type, version, arch) */
    A2A_ERR_NOMEM = 5,        /* allocation failed or a size limit was exceeded */
    A2A_ERR_CANCELLED = 6,    /* the cancel flag was raised */
    A2A_ERR_NOT_FOUND = 7,    /* a named key/tensor/file does not exist */
    A2A_ERR_SHAPE = 8,        /* tensor shapes/types do not fit the operation */
    A2A_ERR_INTERNAL = 9
} a2a_status;

/* Per-caller context: owns the last error message and logging settings. */
typedef struct a2a_ctx a2a_ctx;

/* Create a context. Returns NULL only on out-of-memory. Caller frees with a2a_ctx_free. */
A2A_API a2a_ctx *a2a_ctx_new(void);
/* Free a context (NULL is fine). */
A2A_API void a2a_ctx_free(a2a_ctx *ctx);
/* The message of the last failed call made with ctx; valid until the next call with ctx. Never NULL. */
A2A_API const char *a2a_last_error(const a2a_ctx *ctx);
/* Human-readable name of a status code (static string). */
A2A_API const char *a2a_status_str(a2a_status st);
/* Version string "MAJOR.MINOR.PATCH" (static). */
A2A_API const char *a2a_version(void);

/* Log levels; messages at or above the context's level go to its sink (stderr by default). */
typedef enum a2a_log_level { A2A_LOG_DEBUG = 0, A2A_LOG_INFO = 1, A2A_LOG_WARN = 2, A2A_LOG_ERROR = 3, A2A_LOG_NONE = 4 } a2a_log_level;
typedef void (*a2a_log_fn)(a2a_log_level level, const char *msg, void *user);
A2A_API void a2a_ctx_set_log(a2a_ctx *ctx, a2a_log_level level, a2a_log_fn fn, void *user);

/* Progress callback for long work: done/total units; return nonzero to cancel. */
typedef int (*a2a_progress_fn)(int64_t done, int64_t total, const char *what, void *user);

/* CPU features detected at run time (bit flags) and the kernel level in use. */
enum {
    A2A_CPU_AVX2 = 1 << 0,      /* AVX2 + FMA + F16C */
    A2A_CPU_AVX512 = 1 << 1,    /* AVX-512 F/BW/DQ/VL */
    A2A_CPU_AVX512_VNNI = 1 << 2,
    A2A_CPU_AVX512_BF16 = 1 << 3,
    A2A_CPU_AMX = 1 << 4,       /* AMX tile + int8 + bf16, with OS permission granted */
};
A2A_API unsigned a2a_cpu_features(void);
/* Short description like "avx2 avx512 avx512_vnni avx512_bf16" (static). */
A2A_API const char *a2a_cpu_features_str(void);

/* Print the metadata and tensor table of a GGUF, safetensors or PyTorch zip file. */
A2A_API a2a_status a2a_inspect_file(a2a_ctx *ctx, const char *path, FILE *out);

#ifdef __cplusplus
}
#endif
#endif /* ANY2ANY_H */
