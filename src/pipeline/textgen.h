/* Internal: the text generation loop shared by `generate`, `chat` and the multimodal
   pipeline: sample, stream UTF-8-complete pieces, stop at EOS / a stop string / n_predict /
   a full context / the cancel flag, and keep the KV cache in step with the reply. */
#ifndef A2A_PIPELINE_TEXTGEN_H
#define A2A_PIPELINE_TEXTGEN_H

#include "models/llm/llama.h"
#include "pipeline/sampling.h"

/* Receives reply text as it is produced (always whole UTF-8 characters); return nonzero to stop. */
typedef int (*a2a_text_fn)(const char *text, size_t len, void *user);

/* Optional hooks that let a caller steer generation token by token (NExT-GPT's signal spans).
   before: called before each token; may edit logits[n_vocab] (e.g. ban tokens); returns a token
           id to force (no sampling, and the n_predict limit does not apply to it) or -1.
   after:  called with the chosen token and prev_hidden, the last-layer hidden state (after the
           final norm, n_embd floats) of the position that produced it; returns the token to use
           (it may replace it) and sets *emit = false to keep that token out of the reply text. */
typedef struct a2a_textgen_hooks {
    int32_t (*before)(void *user, float *logits, int32_t n_vocab);
    int32_t (*after)(void *user, int32_t tok, const float *prev_hidden, bool *emit);
    void *user;
} a2a_textgen_hooks;

typedef struct a2a_textgen_params {
    int32_t n_predict;     /* max new tokens (<= 0: until EOS/stop/context end) */
    const char *stop;      /* stop string (not emitted), or NULL */
    bool render_special;   /* emit the text of control tokens */
    bool ignore_eos;       /* keep going past EOS (benchmarks) */
    const a2a_textgen_hooks *hooks; /* NULL: plain sampling */
} a2a_textgen_params;

typedef struct a2a_textgen_result {
    int32_t n_tokens;      /* tokens generated */
    char *text;            /* the whole reply (malloc'd, caller frees), without the stop string */
    size_t len;
    bool hit_eos, hit_stop, hit_limit, context_full, cancelled;
} a2a_textgen_result;

/* Generate a reply. s must hold the logits of its last position (from the prompt's decode).
   Every sampled token is fed back, so the cache ends with the whole reply. Returns A2A_OK when
   generation ended for any of the normal reasons (see the result flags; cancel is a normal
   end), or the error of a failed decode. */
a2a_status a2a_textgen_run(a2a_ctx *ctx, a2a_llm_session *s, a2a_sampler *smp, const a2a_vocab *v,
                           const a2a_textgen_params *p, a2a_text_fn on_text, void *user, const volatile int *cancel,
                           a2a_textgen_result *res);

#endif
