/* Internal: `any2any convert --nextgpt` -- an any2any bundle (bundle.h) from the released
   NExT-GPT layout: the delta checkpoint pytorch_model.pt (NExT-GPT-Lagacy/code/model/agent.py
   save_model: every parameter with requires_grad plus the projectors, named as
   NextGPTModel.named_parameters() names them) over an already converted base LLM (Vicuna-7B
   GGUF from a2a_llama_convert).

   What the checkpoint holds (stage 3, LLM wrapped by peft; "P" = "llama_model.base_model.model."):
     P "model.embed_tokens.weight"   torch [n_vocab + n_added, n_embd]: the WHOLE resized
                                      embedding (resize_token_embeddings makes a new, trainable
                                      nn.Embedding, so every row is saved and may be trained)
     P "lm_head.weight"              torch [n_vocab + n_added, n_embd], likewise
     P "model.layers.N.self_attn.{q,k,v,o}_proj.lora_{A,B}[.default].weight"   LoRA r x in / out x r
     "llama_proj.{weight,bias}"      input projector Linear(1024, n_embd)
     "gen_text_hidden_fcs[_video|_audio].K.*"   output projectors (TextFcLayer, textfc.h)
   Stage-1/2 checkpoints (freeze_lm, no peft) use P = "llama_model." and hold no LoRA.
   Also accepted: embedding / lm_head holding only the n_added new rows (base rows kept).
   Added tokens, in upstream's order (_add_image_token, _add_video_token, _add_audio_token, each
   tokenizer.add_tokens appending one id): "<Img>", "</Img>", "[IMG0]".."[IMG{ni-1}]",
   "[VID0]".."[VID{nv-1}]", "[AUD0]".."[AUD{na-1}]" (released: ni 4, nv 24, na 8 -> 38 tokens),
   ids n_vocab .. n_vocab + n_added - 1.

   Output folder (every path in the manifest relative to it):
     llm.gguf            the base GGUF's metadata and tensors; tokenizer extended with the added
                         tokens (USER_DEFINED, a2a_vocab_gguf_copy_extended), <arch>.vocab_size
                         updated; token_embd / output replaced by the checkpoint's resized
                         matrices (in params->type); with merge_lora, attn_q/k/v/output =
                         W + (alpha/r) B A (lora_merge.h; the base tensor's type kept)
     lora.gguf           without merge_lora, when the checkpoint has LoRA: llama.cpp's adapter
                         layout (lora_merge.h), llm.gguf then keeps the base attention weights
     llama_proj.gguf     input projector (projector.h, kind linear)
     textfc_image.gguf / textfc_video.gguf / textfc_audio.gguf   output projectors (textfc.h),
                         those the checkpoint has
     encoder.gguf, generator_image.gguf / generator_video.gguf / generator_audio.gguf   when
                         given: hard-linked (else copied) into out_dir, or instead referenced by a
                         path relative to out_dir (params->reference_external); each must open as
                         GGUF (nothing else is checked)
     bundle.json         {"format": "any2any-bundle", "version": 1, "llm": "llm.gguf",
                          "lora": "lora.gguf" (unmerged only), "encoder": ..., "input_projector":
                          "llama_proj.gguf", "output_projectors": {"image": "textfc_image.gguf",
                          "video": ..., "audio": ...}, "signal_tokens": {"image": ["[IMG0]", ...],
                          "video": [...], "audio": [...]}, "generators": {"image": ..., "video":
                          ..., "audio": ...}, "prompt_format": "nextgpt"}
   Everything is written into a temporary folder beside out_dir first; it becomes out_dir by one
   rename when out_dir does not exist or is empty, else its files are moved in with bundle.json
   last. On any error nothing of the new bundle is left behind. */
#ifndef A2A_PIPELINE_NEXTGPT_CONVERT_H
#define A2A_PIPELINE_NEXTGPT_CONVERT_H

#include "core/status.h"
#include "core/threadpool.h"
#include "core/types.h"

typedef struct a2a_nextgpt_convert_params {
    const char *ckpt_path;      /* delta checkpoint pytorch_model.pt (safetensors/GGUF with the same keys work too); required */
    const char *base_llm;       /* base LLM GGUF (general.architecture "llama"); required */
    const char *out_dir;        /* bundle folder (created; parent must exist); required */
    a2a_type type;              /* new 2-D tensors: token_embd/output, projectors: F16 (default), F32, BF16, Q8_0, ... */
    bool merge_lora;            /* true (default): merge into llm.gguf; false: write lora.gguf */
    float lora_alpha;           /* peft lora_alpha; 0 (default) = the rank r (alpha/r = 1: released r 32, alpha 32) */
    int n_image_tokens;         /* signal tokens per modality; 0 (default) = released 4 / 24 / 8 */
    int n_video_tokens;
    int n_audio_tokens;
    const char *encoder;        /* converted ImageBind GGUF, or NULL */
    const char *gen_image;      /* converted Stable Diffusion pipeline GGUF, or NULL */
    const char *gen_video;      /* converted Zeroscope pipeline GGUF, or NULL */
    const char *gen_audio;      /* converted AudioLDM pipeline GGUF, or NULL */
    bool reference_external;    /* false (default): link/copy encoder and generators into out_dir;
                                   true: reference them by a path relative to out_dir */
    a2a_threadpool *tp;         /* conversion / merge threads; NULL = calling thread */
    a2a_progress_fn progress;   /* after each step (done, total, what); nonzero cancels */
    void *user;                 /* for progress */
} a2a_nextgpt_convert_params;

/* Defaults as described field by field above (paths NULL). */
a2a_nextgpt_convert_params a2a_nextgpt_convert_default_params(void);

/* Build the bundle described above. Everything is checked before the large writes (widths of
   the base LLM vs the checkpoint's embedding, LoRA, llama_proj and TextFcLayer inputs; the
   embedding row count vs the base vocabulary plus the added tokens). Errors name the file and
   key: A2A_ERR_INVALID_ARG (missing/bad params), A2A_ERR_NOT_FOUND (missing key or file),
   A2A_ERR_SHAPE (widths or row counts that disagree), A2A_ERR_UNSUPPORTED (base architecture,
   target type), A2A_ERR_FORMAT (malformed files), A2A_ERR_IO (out_dir not creatable or
   writable), A2A_ERR_CANCELLED, A2A_ERR_NOMEM. On error out_dir is as it was. */
a2a_status a2a_nextgpt_convert(a2a_ctx *ctx, const a2a_nextgpt_convert_params *p);

#endif
