/* Internal: bundles -- a small JSON manifest naming the component GGUF files of one MM-LLM
   system and how they connect. Paths are relative to the manifest's folder. Fields so far:

       {
         "format": "any2any-bundle", "version": 1,
         "llm": "vicuna-7b.q8_0.gguf",             required
         "lora": "lora.gguf",                       optional run-time LoRA adapter for the LLM
         "encoder": "imagebind_huge.f16.gguf",      optional (no media input without it)
         "input_projector": "llama_proj.gguf",      optional (required with an encoder for run)
         "prompt_format": "nextgpt",                "nextgpt" (default)
         "output_projectors": {"image": "textfc_image.gguf", "video": ..., "audio": ...},
         "generators": {"image": "sd15.gguf", "video": "zeroscope.gguf", "audio": "audioldm.gguf"},
         "signal_tokens": {"image": ["[IMG0]", ...], ...}   default: NExT-GPT's [IMG0..3],
                                                            [VID0..23], [AUD0..7]
       }
   A modality produces media when it has both an output projector and a generator.

   `-m PATH` takes the manifest itself or a folder holding bundle.json. */
#ifndef A2A_PIPELINE_BUNDLE_H
#define A2A_PIPELINE_BUNDLE_H

#include "core/status.h"

#define A2A_BUNDLE_PATH_MAX 4096
#define A2A_BUNDLE_MAX_SIGNAL 64   /* signal tokens per modality */
#define A2A_BUNDLE_TOKEN_MAX 32    /* bytes per signal token text */

/* Output modalities, in manifest order. */
typedef enum a2a_out_modality { A2A_OUT_IMAGE = 0, A2A_OUT_VIDEO = 1, A2A_OUT_AUDIO = 2, A2A_OUT_N = 3 } a2a_out_modality;
const char *a2a_out_modality_name(int m); /* "image", "video", "audio" */

typedef struct a2a_bundle_spec {
    char dir[A2A_BUNDLE_PATH_MAX];              /* folder the relative paths are resolved in */
    char llm[A2A_BUNDLE_PATH_MAX];              /* resolved paths; "" when absent */
    char lora[A2A_BUNDLE_PATH_MAX];
    char encoder[A2A_BUNDLE_PATH_MAX];
    char input_projector[A2A_BUNDLE_PATH_MAX];
    char prompt_format[32];                     /* "nextgpt" */
    char output_projector[A2A_OUT_N][A2A_BUNDLE_PATH_MAX]; /* "" when absent */
    char generator[A2A_OUT_N][A2A_BUNDLE_PATH_MAX];        /* "" when absent */
    char signal_tokens[A2A_OUT_N][A2A_BUNDLE_MAX_SIGNAL][A2A_BUNDLE_TOKEN_MAX];
    int n_signal[A2A_OUT_N];
} a2a_bundle_spec;

/* Read a manifest (a file, or a folder with bundle.json). Errors name the file and the field:
   not JSON, not an object, unknown format/version, a required field missing, a field of the
   wrong type, a path that does not exist, an unknown prompt_format. */
a2a_status a2a_bundle_read(a2a_ctx *ctx, const char *path, a2a_bundle_spec *out);

#endif
