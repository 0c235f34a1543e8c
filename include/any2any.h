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

#include <stdbool.h>
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

/* Free memory the library returned to the caller ("caller frees with a2a_free"). */
A2A_API void a2a_free(void *p);

/* ------------------------------------------------------------------------------------------
   LLM: LLaMA-family models (general.architecture llama | qwen2) from GGUF files.

     a2a_llm_model *m;    a2a_llm_load(ctx, "vicuna-7b.Q4_0.gguf", &m);
     a2a_session *s;      a2a_session_new(ctx, m, NULL, &s);        // one model, many sessions
     int32_t *ids; size_t n;
     a2a_llm_tokenize(ctx, m, "Hello", 5, true, false, &ids, &n);
     a2a_session_decode(ctx, s, ids, NULL, NULL, (int32_t)n, NULL); // prefill
     char *reply;         a2a_session_generate(ctx, s, NULL, 64, NULL, on_text, NULL, NULL, &reply);
     a2a_free(reply); a2a_free(ids); a2a_session_free(s); a2a_llm_free(m);

   The model is immutable after loading (weights are mmapped) and may be shared by sessions
   used from different threads; a session is used by one thread at a time. */
typedef struct a2a_llm_model a2a_llm_model;
typedef struct a2a_session a2a_session;

/* Load a GGUF model (zero-copy mmap). Errors name the missing/mis-shaped tensor or key. Free
   with a2a_llm_free. */
A2A_API a2a_status a2a_llm_load(a2a_ctx *ctx, const char *path, a2a_llm_model **out);
A2A_API void a2a_llm_free(a2a_llm_model *m);
A2A_API int32_t a2a_llm_n_vocab(const a2a_llm_model *m);
A2A_API int32_t a2a_llm_n_embd(const a2a_llm_model *m);
A2A_API int32_t a2a_llm_n_ctx_train(const a2a_llm_model *m);
/* Special token ids (-1 when the vocabulary has none). */
A2A_API int32_t a2a_llm_token_bos(const a2a_llm_model *m);
A2A_API int32_t a2a_llm_token_eos(const a2a_llm_model *m);
/* Id of the token whose text is exactly `text` (e.g. "[IMG0]", "<Img>"), -1 if none. */
A2A_API int32_t a2a_llm_token_lookup(const a2a_llm_model *m, const char *text);
/* Tokenize UTF-8 text; *ids is malloc'd (caller frees with a2a_free). parse_special: text
   spelling a control token becomes that token. Invalid UTF-8 is an error. */
A2A_API a2a_status a2a_llm_tokenize(a2a_ctx *ctx, const a2a_llm_model *m, const char *text, size_t len, bool add_bos,
                                    bool parse_special, int32_t **ids, size_t *n);
/* Text of a token sequence (control tokens omitted); *text is NUL-terminated, caller frees
   with a2a_free. */
A2A_API a2a_status a2a_llm_detokenize(a2a_ctx *ctx, const a2a_llm_model *m, const int32_t *ids, size_t n, char **text);

typedef struct a2a_session_params {
    int32_t n_ctx;     /* KV cache positions (0: the model's context, at most 4096) */
    int32_t n_batch;   /* max positions per internal forward pass (0: 512) */
    int32_t n_threads; /* 0: all cores available to the process */
    bool kv_f32;       /* F32 KV cache (default F16) */
} a2a_session_params;
A2A_API a2a_session_params a2a_session_default_params(void);

/* A session: KV cache, planned activations, its own threadpool. p may be NULL (defaults).
   Free with a2a_session_free. */
A2A_API a2a_status a2a_session_new(a2a_ctx *ctx, const a2a_llm_model *m, const a2a_session_params *p, a2a_session **out);
A2A_API void a2a_session_free(a2a_session *s);
/* Positions in the KV cache; rewinding forgets positions >= n_past. */
A2A_API int32_t a2a_session_n_past(const a2a_session *s);
A2A_API void a2a_session_rewind(a2a_session *s, int32_t n_past);

/* Append n positions: token ids, or (where embd_mask[i] != 0) rows of embd [n * n_embd] —
   soft tokens from an input projector. out_rows: NULL (logits/hidden for the last position
   only) or [n] flags choosing the positions whose logits and last-layer hidden states (after
   the final norm) are kept; read them with a2a_session_logits / a2a_session_hidden.
   Errors: context full, token out of range, cancelled (the cache is left unchanged). */
A2A_API a2a_status a2a_session_decode(a2a_ctx *ctx, a2a_session *s, const int32_t *tokens, const float *embd,
                                      const uint8_t *embd_mask, int32_t n, const uint8_t *out_rows);
/* Rows kept by the last decode. */
A2A_API int32_t a2a_session_n_outputs(const a2a_session *s);
/* Logits [n_vocab] / hidden state [n_embd] of kept row i (0 <= i < n_outputs), NULL otherwise;
   valid until the next decode. */
A2A_API const float *a2a_session_logits(const a2a_session *s, int32_t i);
A2A_API const float *a2a_session_hidden(const a2a_session *s, int32_t i);

typedef struct a2a_sampling_params {
    float temperature;       /* <= 0: greedy */
    int32_t top_k;           /* <= 0: off */
    float top_p;             /* >= 1: off */
    float min_p;             /* <= 0: off */
    float repeat_penalty;    /* 1: off */
    float frequency_penalty; /* 0: off */
    float presence_penalty;  /* 0: off */
    int32_t penalty_last_n;
    uint64_t seed;           /* same seed, same text, for any thread count */
} a2a_sampling_params;
A2A_API a2a_sampling_params a2a_sampling_default_params(void);

/* Receives reply text as it is produced (whole UTF-8 characters); return nonzero to stop. */
typedef int (*a2a_text_cb)(const char *text, size_t len, void *user);

/* Generate a reply after a decode: up to n_predict tokens (<= 0: until EOS/stop/context end),
   stopping before `stop` (may be NULL) or at EOS. The cancel flag (may be NULL) is polled
   between tokens and layers. *reply (may be NULL) receives the whole text, caller frees with
   a2a_free. sp may be NULL (defaults). */
A2A_API a2a_status a2a_session_generate(a2a_ctx *ctx, a2a_session *s, const a2a_sampling_params *sp, int32_t n_predict,
                                        const char *stop, a2a_text_cb on_text, void *user, const volatile int *cancel,
                                        char **reply);

/* ------------------------------------------------------------------------------------------
   Perception: the ImageBind encoder on its own, and multimodal prompts through a bundle.

     a2a_encoder *enc;   a2a_encoder_load(ctx, "imagebind_huge.f16.gguf", 0, &enc);
     float e[1024];      a2a_encoder_embed_file(ctx, enc, A2A_MEDIA_IMAGE, "cat.jpg", true, e);
                         a2a_encoder_embed_text(ctx, enc, "a photo of a cat", true, e2);  // cosine = dot
     a2a_encoder_free(enc);

     a2a_mm *mm;         a2a_mm_load(ctx, "bundle/", &mm);           // LLM + encoder + projector
     a2a_session *s;     a2a_session_new(ctx, a2a_mm_llm(mm), NULL, &s);
     a2a_chunk_desc c[2] = {{A2A_MEDIA_IMAGE, NULL, "cat.jpg", NULL, 0},
                            {A2A_MEDIA_TEXT, "What is this?", NULL, NULL, 0}};
     a2a_mm_eval(ctx, mm, s, c, 2);                                  // NExT-GPT prompt into the KV cache
     a2a_mm_reply *r;    a2a_mm_generate(ctx, mm, s, NULL, on_text, NULL, NULL, &r);   // text + media
     for (int i = 0; i < a2a_mm_reply_n_media(r); i++) use(a2a_mm_reply_media(r, i));  // RGB / samples
     a2a_mm_reply_free(r);

   Media come from a file path or from encoded bytes in memory (png/jpg/webp/bmp/gif,
   wav/flac/ogg/mp3, mp4/mkv/webm/avi/mov). An encoder or bundle is used by one thread at a
   time (it holds planned activation memory and a media cache). */
typedef enum a2a_media_kind { A2A_MEDIA_TEXT = 0, A2A_MEDIA_IMAGE = 1, A2A_MEDIA_AUDIO = 2, A2A_MEDIA_VIDEO = 3 } a2a_media_kind;
typedef struct a2a_encoder a2a_encoder;

/* Load an ImageBind GGUF (any2any convert --imagebind). n_threads 0: all cores. Free with
   a2a_encoder_free. */
A2A_API a2a_status a2a_encoder_load(a2a_ctx *ctx, const char *path, int n_threads, a2a_encoder **out);
A2A_API void a2a_encoder_free(a2a_encoder *enc);
/* Embedding width (1024 for ImageBind-huge). */
A2A_API int64_t a2a_encoder_dim(const a2a_encoder *enc);
/* Embed a media file (kind IMAGE, AUDIO or VIDEO) or encoded bytes into out[dim]. unit: L2-
   normalized (cosine similarity = dot product); otherwise the upstream forward output (what
   NExT-GPT's projector receives: audio carries its logit scale). Errors name the file. */
A2A_API a2a_status a2a_encoder_embed_file(a2a_ctx *ctx, a2a_encoder *enc, a2a_media_kind kind, const char *path,
                                          bool unit, float *out);
A2A_API a2a_status a2a_encoder_embed_memory(a2a_ctx *ctx, a2a_encoder *enc, a2a_media_kind kind, const void *data,
                                            size_t size, bool unit, float *out);
/* Embed text through the CLIP tokenizer stored in the encoder file (convert with --bpe). */
A2A_API a2a_status a2a_encoder_embed_text(a2a_ctx *ctx, a2a_encoder *enc, const char *text, bool unit, float *out);

/* One prompt chunk: kind TEXT with text, or media from path or (data, size). Not copied. */
typedef struct a2a_chunk_desc {
    a2a_media_kind kind;
    const char *text;
    const char *path;
    const void *data;
    size_t size;
} a2a_chunk_desc;
typedef struct a2a_mm a2a_mm;

/* Load a bundle (a bundle.json manifest or a folder holding one): every component is loaded
   and the joints are checked by name before any work starts. Free with a2a_mm_free. */
A2A_API a2a_status a2a_mm_load(a2a_ctx *ctx, const char *bundle, a2a_mm **out);
A2A_API void a2a_mm_free(a2a_mm *mm);
/* The bundle's LLM (owned by mm): create sessions on it with a2a_session_new. */
A2A_API const a2a_llm_model *a2a_mm_llm(const a2a_mm *mm);
/* Append one human turn of chunks to session s (created on a2a_mm_llm(mm)) in the bundle's
   prompt format; media are encoded and projected into soft tokens (cached by content across
   calls). Then call a2a_session_generate. */
A2A_API a2a_status a2a_mm_eval(a2a_ctx *ctx, a2a_mm *mm, a2a_session *s, const a2a_chunk_desc *chunks, int n);

/* Any-to-any reply (NExT-GPT): after a2a_mm_eval, generate the reply text and, for every
   signal-token span it contains, the image/sound through the bundle's output projector and
   generator (see the README for the span rules). Media come back in memory. */
typedef struct a2a_mm_generate_params {
    a2a_sampling_params sampling;
    int32_t n_predict;        /* max sampled tokens (default 256) */
    unsigned force;           /* bit (1 << kind) for kind IMAGE/AUDIO/VIDEO: the reply must produce it */
    unsigned forbid;          /* bit (1 << kind): the reply must not produce it */
    int32_t steps;            /* generator denoising steps (0: each generator's default) */
    float cfg;                /* guidance scale (< 0: defaults) */
    uint64_t seed;            /* generator noise seed */
    int32_t width, height;    /* images (0: the generator's default) */
    float seconds;            /* sounds (0: the generator's default) */
    int32_t frames;           /* videos (0: the generator's default) */
    a2a_progress_fn progress; /* denoising steps; nonzero cancels */
    void *progress_user;
} a2a_mm_generate_params;
A2A_API a2a_mm_generate_params a2a_mm_generate_default_params(void);

/* One generated item, valid until a2a_mm_reply_free. */
typedef struct a2a_mm_media {
    a2a_media_kind kind;      /* IMAGE, VIDEO or AUDIO */
    int32_t width, height;    /* image, video */
    int32_t n_frames;         /* video (1 for an image) */
    const uint8_t *rgb;       /* image: [height][width][3]; video: [n_frames][height][width][3] */
    const float *samples;     /* audio: n_samples mono floats in [-1, 1] */
    int64_t n_samples;
    int32_t sample_rate;
} a2a_mm_media;
typedef struct a2a_mm_reply a2a_mm_reply;

/* p NULL: defaults. on_text streams the reply text (without signal tokens); cancel is polled
   between tokens and denoising steps. *out: free with a2a_mm_reply_free. */
A2A_API a2a_status a2a_mm_generate(a2a_ctx *ctx, a2a_mm *mm, a2a_session *s, const a2a_mm_generate_params *p,
                                   a2a_text_cb on_text, void *user, const volatile int *cancel, a2a_mm_reply **out);
A2A_API const char *a2a_mm_reply_text(const a2a_mm_reply *r);
A2A_API int a2a_mm_reply_n_media(const a2a_mm_reply *r);
A2A_API const a2a_mm_media *a2a_mm_reply_media(const a2a_mm_reply *r, int i);
A2A_API void a2a_mm_reply_free(a2a_mm_reply *r);

#ifdef __cplusplus
}
#endif
#endif /* ANY2ANY_H */
