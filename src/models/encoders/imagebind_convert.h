/* Internal: the ImageBind checkpoint (imagebind_huge.pth: torch.save of the ImageBindModel
   state_dict; safetensors or GGUF with the same names work too) -> a GGUF file for
   a2a_imagebind_load (imagebind.h).
     - metadata: general.architecture = "imagebind", general.name, imagebind.out_dim,
       imagebind.<mod>.embed_dim / .block_count / .head_count / .feed_forward_length for
       mod in vision, audio, text (only the modalities present), imagebind.text.vocab_size /
       .context_length, imagebind.vision.image_size / .patch_size / .num_frames,
       imagebind.audio.num_mel_bins / .target_len / .kernel_size / .stride,
       imagebind.<mod>.logit_scale_max (100) -- all inferred from the tensor shapes except the
       head counts (see the params)
     - tensors: the upstream state_dict names unchanged (all shorter than 64 bytes), shapes in
       ggml order (torch's reversed; the scalar logit scales become [1])
     - skipped: the depth, thermal and IMU modalities (NExT-GPT never uses them) and the text
       causal-mask buffer modality_preprocessors.text.mask (recomputed at run time). Any other
       tensor not belonging to the vision/audio/text towers is an error.
   Types: 2-D matmul weights (attention in_proj/out_proj, MLP fc1/fc2, head projections) in
   params->type (F32, F16 or Q8_0; F16 when a row does not fit Q8_0's 32-element blocks);
   patch-embedding convolution weights F16 (F32 when type is F32); everything else (norms,
   biases, bias_k/bias_v, token embedding, pos embeds, cls tokens, logit scales) F32. */
#ifndef A2A_MODELS_ENCODERS_IMAGEBIND_CONVERT_H
#define A2A_MODELS_ENCODERS_IMAGEBIND_CONVERT_H

#include "core/threadpool.h"
#include "core/types.h"

typedef struct a2a_imagebind_convert_params {
    a2a_type type;            /* matmul weights: F32, F16 (default) or Q8_0 */
    int vision_n_head;        /* 0: by width (1280 -> 16, 1024 -> 16, 768 -> 12, else width/64) */
    int audio_n_head;         /* 0: by width as above */
    int text_n_head;          /* 0: by width as above */
    const char *bpe_path;     /* CLIP BPE vocabulary for the text tower (imagebind's
                                 bpe/bpe_simple_vocab_16e6.txt.gz, or a HF CLIP tokenizer folder
                                 with vocab.json + merges.txt), stored as tokenizer.clip.* so
                                 `any2any embed --text` works; NULL: no vocabulary */
    a2a_threadpool *tp;       /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress; /* called after each tensor (done, total, name); nonzero cancels */
    void *user;               /* for progress */
} a2a_imagebind_convert_params;

/* Defaults: F16, head counts by width, no threadpool, no progress. */
a2a_imagebind_convert_params a2a_imagebind_convert_default_params(void);

/* Convert pth_path into out_gguf (written atomically: on error out_gguf is not created or
   replaced). p NULL means the defaults. Errors name the tensor: A2A_ERR_NOT_FOUND (a
   modality's tensor missing; no vision/audio/text modality at all), A2A_ERR_SHAPE (a tensor
   disagrees with the others), A2A_ERR_UNSUPPORTED (unexpected tensor, unsupported type),
   A2A_ERR_INVALID_ARG (head count not dividing the width), A2A_ERR_FORMAT, A2A_ERR_IO,
   A2A_ERR_NOMEM, A2A_ERR_CANCELLED. */
a2a_status a2a_imagebind_convert(a2a_ctx *ctx, const char *pth_path, const char *out_gguf,
                                 const a2a_imagebind_convert_params *p);

#endif
