/* Internal: a loaded multimodal system (a bundle): LLM + ImageBind encoder + input projector
   (perception) and, per output modality, the signal tokens, an output projector (TextFcLayer)
   and a generator (Stable Diffusion / Zeroscope / AudioLDM pipeline file), all checked to fit
   together before any work starts; and the evaluation of a multimodal prompt (chunks ->
   positions -> KV cache). */
#ifndef A2A_PIPELINE_MM_SYSTEM_H
#define A2A_PIPELINE_MM_SYSTEM_H

#include "models/encoders/imagebind.h"
#include "models/llm/llama.h"
#include "models/projectors/projector.h"
#include "models/projectors/textfc.h"
#include "pipeline/audioldm_pipeline.h"
#include "pipeline/sd_pipeline.h"
#include "pipeline/t2v_pipeline.h"
#include "pipeline/bundle.h"
#include "pipeline/mm_prompt.h"
#include "pipeline/perception.h"

typedef struct a2a_mm_system {
    a2a_bundle_spec spec;
    a2a_llm_model *llm;        /* owned */
    a2a_llm_lora *lora;        /* owned; attached to llm; NULL without "lora" */
    a2a_imagebind *enc;        /* owned; NULL: text only */
    a2a_projector *proj;       /* owned; NULL iff enc is NULL */
    /* generation side, per a2a_out_modality */
    int32_t signal_ids[A2A_OUT_N][A2A_BUNDLE_MAX_SIGNAL]; /* LLM ids of the signal tokens */
    int n_signal[A2A_OUT_N];   /* 0 when the LLM lacks that modality's signal tokens */
    a2a_textfc *out_proj[A2A_OUT_N]; /* owned; NULL when absent */
    a2a_sd *image_gen;         /* owned; NULL when absent */
    a2a_audioldm *audio_gen;   /* owned; NULL when absent */
    a2a_t2v *video_gen;        /* owned; NULL when absent */
} a2a_mm_system;

/* True when modality m can produce media (signal tokens, output projector and generator). */
bool a2a_mm_system_can_generate(const a2a_mm_system *sys, int m);

/* Load every component a spec names and check the joints by name: the projector's input
   width equals the encoder's embedding width, its output width the LLM's n_embd, and the LLM
   vocabulary has <Img> and </Img> (NExT-GPT) when there is an encoder. progress (may be NULL)
   is called per component. Free with a2a_mm_system_free. */
a2a_status a2a_mm_system_load(a2a_ctx *ctx, const a2a_bundle_spec *spec, a2a_mm_system **out);
void a2a_mm_system_free(a2a_mm_system *sys);

/* Build the human turn from chunks (prompt format of the bundle), encode its media through p
   (cache shared across turns) and append it to the LLM session. On return s holds the logits of
   the last position, ready for a2a_textgen_run. *n_positions (may be NULL) gets the positions
   appended. Errors: encoder/projector missing for a media chunk, decode errors (context full
   names the numbers), media errors naming the file. */
a2a_status a2a_mm_system_eval(a2a_ctx *ctx, const a2a_mm_system *sys, a2a_perception *p, a2a_llm_session *s,
                              const a2a_chunk *chunks, int n_chunks, const volatile int *cancel, int32_t *n_positions);

#endif
