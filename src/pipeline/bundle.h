/* Internal: bundles -- a small JSON manifest naming the component GGUF files of one MM-LLM
   system and how they connect. Paths are relative to the manifest's folder. Fields so far:

       {
         "format": "any2any-bundle", "version": 1,
         "llm": "vicuna-7b.q8_0.gguf",             required
         "encoder": "imagebind_huge.f16.gguf",      optional (no media input without it)
         "input_projector": "llama_proj.gguf",      optional (required with an encoder for run)
         "prompt_format": "nextgpt"                 "nextgpt" (default)
       }

   `-m PATH` takes the manifest itself or a folder holding bundle.json. The generation side
   (signal tokens, output projectors, generators) joins this manifest with the NExT-GPT
   end-to-end work. */
#ifndef A2A_PIPELINE_BUNDLE_H
#define A2A_PIPELINE_BUNDLE_H

#include "core/status.h"

#define A2A_BUNDLE_PATH_MAX 4096

typedef struct a2a_bundle_spec {
    char dir[A2A_BUNDLE_PATH_MAX];              /* folder the relative paths are resolved in */
    char llm[A2A_BUNDLE_PATH_MAX];              /* resolved paths; "" when absent */
    char encoder[A2A_BUNDLE_PATH_MAX];
    char input_projector[A2A_BUNDLE_PATH_MAX];
    char prompt_format[32];                     /* "nextgpt" */
} a2a_bundle_spec;

/* Read a manifest (a file, or a folder with bundle.json). Errors name the file and the field:
   not JSON, not an object, unknown format/version, a required field missing, a field of the
   wrong type, a path that does not exist, an unknown prompt_format. */
a2a_status a2a_bundle_read(a2a_ctx *ctx, const char *path, a2a_bundle_spec *out);

#endif
