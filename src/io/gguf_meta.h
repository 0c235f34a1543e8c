/* Internal: read a model's configuration from GGUF metadata "<arch>.<key>" with a default, a
   range check and a clear message (shared by the model loaders: unet2d, unet3d, vae, clip_text,
   clap_text, hifigan). Every error message starts with "<who>: " and names the full key. */
#ifndef A2A_IO_GGUF_META_H
#define A2A_IO_GGUF_META_H

#include <stdbool.h>

#include "io/gguf.h"

/* Where to read: the file, the key prefix and the name messages start with. */
typedef struct a2a_meta {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *arch; /* key prefix without the dot, e.g. "unet2d", "autoencoder_kl" */
    const char *who;  /* message prefix, e.g. "unet2d", "vae" */
} a2a_meta;

/* Integer key (any GGUF integer type whose value fits u32) into *out, which must lie in [lo, hi].
   Missing: *out = def when !required, else A2A_ERR_FORMAT "missing metadata <arch>.<key>". Out of
   range: A2A_ERR_FORMAT "... out of range [lo, hi]"; a wrong type: gguf's A2A_ERR_FORMAT. */
a2a_status a2a_meta_u32(const a2a_meta *m, const char *key, bool required, int def, int lo, int hi, int *out);

/* Bool key into *out; def when missing; a wrong type fails (A2A_ERR_FORMAT). */
a2a_status a2a_meta_bool(const a2a_meta *m, const char *key, bool def, bool *out);

/* Float key into *out; def when missing; a wrong type or a non-finite value fails (A2A_ERR_FORMAT). */
a2a_status a2a_meta_f32(const a2a_meta *m, const char *key, float def, float *out);

/* Required array of 32-bit integers (i32 or u32; u32 values above INT32_MAX read as -1) into
   out[0..cap). n >= 0: exactly n entries (n <= cap); n < 0: any count 1..cap. *n_out (may be NULL)
   receives the count. A2A_ERR_FORMAT when missing, of another type or count. */
a2a_status a2a_meta_ints(const a2a_meta *m, const char *key, int n, int cap, int *out, int *n_out);

/* Required array of exactly n strings, each either `cross` (out[i] = true) or `plain` (false):
   diffusers' block type lists. A2A_ERR_FORMAT when missing or of another type or count,
   A2A_ERR_UNSUPPORTED for another name. */
a2a_status a2a_meta_types(const a2a_meta *m, const char *key, int n, const char *cross, const char *plain, bool *out);

#endif
