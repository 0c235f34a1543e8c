/* Internal: NExT-GPT's answer -- reply text with signal-token spans, each turned into media.

   While the LLM generates, the ids are watched for signal tokens. A span of modality m is the
   ordered run of its signal tokens ([IMG0] .. [IMG3] for images). For each completed span the
   last-layer hidden states that produced the signal tokens (the states one position earlier, as
   NExT-GPT's generate_images/_videos/_audios index them) plus the input embeddings of the signal
   tokens go through that modality's output projector (TextFcLayer), whose output conditions the
   generator: 77 x 768 prompt embeddings for Stable Diffusion (padded with zero rows to 77 as
   upstream pads), 77 x 1024 for Zeroscope (the output reshaped to rows of 1024 and padded), a
   512-d vector for AudioLDM. Signal tokens never appear in the reply text.

   Rules for malformed spans (where the released code asserts, loops or crashes: its issues #38,
   #52, #66, #68), all tested:
     - a span starts at ANY signal token of a modality; the sampled token is replaced by that
       modality's first signal token and the rest are forced in order, so every span is complete
       and ordered (a partial, out-of-order or interleaved span cannot happen);
     - a span that has started is completed even past the token limit or at end of sequence;
     - at most max_spans[m] spans per modality per reply (default 1); after that, and for a
       forbidden modality, its signal tokens are banned (logit -inf), so a run of signal tokens
       can never repeat forever;
     - force[m] appends a span at the end of a reply that has none;
     - a modality without an output projector and generator in the bundle is banned like a
       forbidden one. */
#ifndef A2A_PIPELINE_NEXTGPT_H
#define A2A_PIPELINE_NEXTGPT_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline/mm_system.h"
#include "pipeline/sampling.h"
#include "pipeline/textgen.h"

#define A2A_NEXTGPT_MAX_MEDIA 16

typedef struct a2a_nextgpt_params {
    int32_t n_predict;             /* max sampled tokens (forced span tokens do not count) */
    const char *stop;              /* "###" */
    int max_spans[A2A_OUT_N];      /* spans per modality per reply; default 1 */
    bool forbid[A2A_OUT_N];
    bool force[A2A_OUT_N];
    /* generator settings (0 / negative: the generator's defaults) */
    int32_t steps[A2A_OUT_N];
    float cfg[A2A_OUT_N];
    uint64_t seed;
    int32_t width, height;         /* image and video */
    int32_t frames;                /* video (0: the generator's default) */
    float seconds;                 /* audio */
    bool text_only;                /* keep the conditioning, do not run the generators */
    const float *init_noise;       /* NULL, or the generators' initial latents (goldens) */
    a2a_progress_fn progress;      /* generator steps */
    void *user;
    /* Scripted LLM output (tests, demos, "force the LLM output" goldens): while no span is in
       progress, these ids are used in order instead of sampling, then sampling resumes. They go
       through the same span rules (a scripted signal token that may not start a span is dropped,
       as the ban would have made the sampler pick something else). */
    const int32_t *script;
    int32_t n_script;
} a2a_nextgpt_params;

a2a_nextgpt_params a2a_nextgpt_default_params(void);

/* One generated item. */
typedef struct a2a_nextgpt_media {
    int modality;                  /* a2a_out_modality */
    int64_t text_pos;              /* byte offset in the reply text where the span was */
    float *cond;                   /* [n_cond][cond_dim] output-projector result (owned) */
    int64_t n_cond, cond_dim;
    float *pixels;                 /* image: [3][h][w] in [-1, 1] (owned) or NULL */
    int32_t w, h;
    float *video;                  /* video: frames x [3][h][w] in [-1, 1] (owned) or NULL */
    int32_t frames;
    float *wave;                   /* audio: n_samples mono at rate Hz (owned) or NULL */
    int64_t n_samples;
    int rate;
} a2a_nextgpt_media;

typedef struct a2a_nextgpt_reply {
    a2a_textgen_result tg;         /* text (without signal tokens), counts, stop reason */
    int32_t *tokens;               /* every id fed back after the prompt, signal tokens included (owned) */
    int32_t n_tokens;
    int n_media;
    a2a_nextgpt_media media[A2A_NEXTGPT_MAX_MEDIA];
    int n_spans[A2A_OUT_N];        /* completed spans per modality (== media of that modality) */
} a2a_nextgpt_reply;

/* Generate the reply to the prompt already in session s (its logits/hidden of the last
   position are current), then the media. on_text streams the text. Errors: decoding,
   projector and generator errors; cancellation (A2A_ERR_CANCELLED from a generator, or the
   text's cancelled flag). Free the reply with a2a_nextgpt_reply_free. */
a2a_status a2a_nextgpt_generate(a2a_ctx *ctx, const a2a_mm_system *sys, a2a_llm_session *s, a2a_sampler *smp,
                                a2a_threadpool *tp, const a2a_nextgpt_params *p, a2a_text_fn on_text, void *user,
                                const volatile int *cancel, a2a_nextgpt_reply *reply);
void a2a_nextgpt_reply_free(a2a_nextgpt_reply *r);

#endif
