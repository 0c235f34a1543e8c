/* Internal: the ImageBind encoder (facebookresearch/ImageBind, PyPI imagebind-packaged 0.1.2,
   imagebind_model.ImageBindModel): vision (images and 2-frame video clips), audio (kaldi
   fbank clips) and text (77 CLIP BPE ids) trunks, their heads and postprocessors, on CPU from
   a GGUF file written by a2a_imagebind_convert (imagebind_convert.h).

   Usage:
       a2a_imagebind *m;
       if (a2a_imagebind_load(ctx, "imagebind_huge.gguf", &m) != A2A_OK) ...;
       float emb[1024];                                   // a2a_imagebind_out_dim(m)
       float x[3 * 224 * 224];
       a2a_image_to_imagebind(ctx, &img, x);              // media/image_preprocess.h
       a2a_imagebind_embed_vision(ctx, tp, m, x, 1, 1, emb);   // unit vector
       float fb[3 * 128 * 204];
       a2a_audio_to_imagebind(ctx, &audio, fb);           // media/audio.h: 3 clips
       a2a_imagebind_embed_audio(ctx, tp, m, fb, 3, emb); // upstream output (logit-scaled)
       a2a_imagebind_free(m);

   What each modality computes (upstream forward, eval mode):
     vision  PadIm2Video (an image is repeated to 2 frames) -> Conv3d(3, D, k=s=(2,14,14), no
             bias) -> 256 tokens, cls token prepended, learnable pos_embed added -> LayerNorm
             (1e-6) -> blocks -> head LayerNorm(1e-6) on token 0 -> Linear(D, out, no bias)
             -> L2 normalize
     audio   Conv2d(1, D, k16, s10, no bias) over a [128 mel][204 frame] fbank -> 12x19 = 228
             tokens -> LayerNorm(1e-5) -> cls + pos_embed -> blocks (attention with
             bias_k/bias_v) -> head as vision -> normalize -> * min(exp(log_logit_scale), 100)
     text    token_embedding + pos_embed (77) -> causal blocks -> the token at argmax(ids)
             (the EOT id 49407 is the largest) -> LayerNorm(1e-6) -> Linear -> normalize ->
             * min(exp(log_logit_scale), 100)
     block   x = x + attn(norm_1(x)); x = x + fc2(gelu_erf(fc1(norm_2(x)))), LayerNorm 1e-6,
             attn = torch.nn.MultiheadAttention (packed in_proj, out_proj)
   Several clips (video clips, audio clips) give the mean of their postprocessed embeddings
   (not renormalized), as ImageBindModel.forward does for 5-D+ inputs.

   A model is immutable after loading except for its activation arena: calls on one model must
   not run concurrently (use one model per thread, or serialize). Nothing is printed. */
#ifndef A2A_MODELS_ENCODERS_IMAGEBIND_H
#define A2A_MODELS_ENCODERS_IMAGEBIND_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "models/common/nn.h"

#define A2A_IMAGEBIND_IMAGE_SIZE 224  /* vision input height and width */
#define A2A_IMAGEBIND_PATCH 14        /* vision patch size (spatial) */
#define A2A_IMAGEBIND_FRAMES 2        /* vision clip length (temporal kernel) */
#define A2A_IMAGEBIND_MEL_BINS 128    /* audio fbank rows */
#define A2A_IMAGEBIND_AUDIO_FRAMES 204/* audio fbank columns (time) */
#define A2A_IMAGEBIND_AUDIO_KERNEL 16
#define A2A_IMAGEBIND_AUDIO_STRIDE 10
#define A2A_IMAGEBIND_CONTEXT 77      /* text tokens per sequence */
#define A2A_IMAGEBIND_MAX_CLIPS 4096  /* n_clips / n sequences above this are refused */
#define A2A_IMAGEBIND_LOGIT_SCALE_MAX 100.0f

typedef enum a2a_imagebind_modality {
    A2A_IMAGEBIND_VISION = 0,
    A2A_IMAGEBIND_AUDIO = 1,
    A2A_IMAGEBIND_TEXT = 2,
    A2A_IMAGEBIND_N_MODALITIES = 3,
} a2a_imagebind_modality;

/* "vision", "audio", "text" (static; "?" for other values). */
const char *a2a_imagebind_modality_name(int modality);

/* One transformer block of a trunk (GGUF tensors modality_trunks.<mod>.blocks.<i>.*). */
typedef struct a2a_imagebind_block {
    const a2a_tensor *norm1_w, *norm1_b;  /* [D] F32 */
    a2a_nn_mha attn;                      /* in_proj w [D, 3D] b [3D]; out w [D, D] b [D];
                                             bias_k/bias_v [D, 1, 1] (audio) or NULL */
    const a2a_tensor *norm2_w, *norm2_b;  /* [D] F32 */
    a2a_nn_mlp mlp;                       /* fc1 w [D, 4D] b [4D]; fc2 w [4D, D] b [D]; GELU (erf) */
} a2a_imagebind_block;

/* One modality's weights; present == false when the file lacks it. */
typedef struct a2a_imagebind_tower {
    bool present;
    int64_t D;                        /* trunk width */
    int n_block, n_head;
    int64_t n_tok;                    /* tokens per clip/sequence: 257 vision, 229 audio, 77 text */
    const a2a_tensor *patch_w;        /* vision [14, 14, 2, 3, D] F32/F16; audio [16, 16, 1, D] F32/F16 */
    const a2a_tensor *stem_norm_w;    /* audio [D] (LayerNorm eps 1e-5); NULL otherwise */
    const a2a_tensor *stem_norm_b;    /* audio [D] */
    const a2a_tensor *cls;            /* vision/audio [D, 1, 1] F32 */
    const a2a_tensor *pos;            /* [D, n_tok, 1] F32 */
    const a2a_tensor *tok_embd;       /* text [D, n_vocab] (F32/F16/quantized rows) */
    int64_t n_vocab;                  /* text */
    const a2a_tensor *pre_norm_w;     /* vision [D] (LayerNorm eps 1e-6 before the blocks); NULL otherwise */
    const a2a_tensor *pre_norm_b;     /* vision [D] */
    a2a_imagebind_block *blocks;      /* n_block entries (owned) */
    const a2a_tensor *head_norm_w;    /* [D] */
    const a2a_tensor *head_norm_b;    /* [D] */
    a2a_nn_linear head;               /* w [D, out_dim], no bias */
    float logit_scale;                /* min(exp(log_logit_scale), 100); 1 for vision (no scaling) */
} a2a_imagebind_tower;

typedef struct a2a_imagebind {
    struct a2a_gguf *g;               /* owned mapping; every tensor above points into it */
    int64_t out_dim;                  /* embedding width (1024 for imagebind_huge) */
    a2a_imagebind_tower tw[A2A_IMAGEBIND_N_MODALITIES];
    a2a_arena arena;                  /* activations, sized at load for the largest tower */
} a2a_imagebind;

/* The tensors of one modality (shared by the converter and the loader): upstream state_dict
   name, shape in ggml order, and what kind of tensor it is (for the converter's types). */
typedef enum a2a_imagebind_kind {
    A2A_IMAGEBIND_KIND_F32 = 0,    /* stays F32 (norms, biases, embeddings, scales) */
    A2A_IMAGEBIND_KIND_MATMUL = 1, /* 2-D matmul weight */
    A2A_IMAGEBIND_KIND_CONV = 2,   /* patch-embedding convolution weight (F16 at most) */
} a2a_imagebind_kind;

typedef struct a2a_imagebind_spec {
    char name[64];
    int n_dims;
    int64_t ne[A2A_MAX_DIMS];
    a2a_imagebind_kind kind;
} a2a_imagebind_spec;

/* Fills specs (when not NULL) with the tensors of `modality` for width D, n_block blocks,
   embedding width out_dim and (text) n_vocab rows, in state_dict order; returns how many
   (at most 16 + 16 * n_block). */
int a2a_imagebind_specs(a2a_imagebind_modality modality, int64_t D, int n_block, int64_t out_dim, int64_t n_vocab,
                        a2a_imagebind_spec *specs);

/* Map path (a GGUF file with general.architecture "imagebind") and check every tensor of each
   modality by name and shape against the hyperparameters in its metadata. A modality whose
   tensors are all absent is unavailable (its embed call then fails cleanly); a modality with
   some tensors present but others missing or mis-shaped is an error. Allocates the activation
   arena (about 40 MB at huge shapes). Errors: A2A_ERR_IO, A2A_ERR_FORMAT (not an ImageBind
   file, bad metadata), A2A_ERR_NOT_FOUND (missing tensor, or no modality at all),
   A2A_ERR_SHAPE, A2A_ERR_NOMEM. Caller frees *out with a2a_imagebind_free. */
a2a_status a2a_imagebind_load(a2a_ctx *ctx, const char *path, a2a_imagebind **out);

/* Free the model (NULL is fine). */
void a2a_imagebind_free(a2a_imagebind *m);

/* Embedding width (out_dim floats per embedding). */
int64_t a2a_imagebind_out_dim(const a2a_imagebind *m);

/* True when the file holds the weights of that modality. */
bool a2a_imagebind_has(const a2a_imagebind *m, a2a_imagebind_modality modality);

/* Vision: clips = n_clips consecutive [3][n_frames][224][224] float planes (channel, frame,
   row, column; normalized as data.py does, e.g. by a2a_image_to_imagebind for n_frames 1);
   n_frames 1 = an image (repeated to 2 frames, as PadIm2Video does), 2 = a video clip.
   out[out_dim] = mean over the clips of the L2-normalized embeddings (one image = 1 clip:
   a unit vector). Errors: A2A_ERR_INVALID_ARG (NULL pointers, n_clips outside
   1..A2A_IMAGEBIND_MAX_CLIPS, n_frames not 1 or 2), A2A_ERR_UNSUPPORTED (no vision weights),
   kernel errors. */
a2a_status a2a_imagebind_embed_vision(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *clips,
                                      int n_clips, int n_frames, float *out);

/* Audio: fbank = n_clips consecutive [128][204] planes (mel bin, frame) as
   a2a_audio_to_imagebind writes them. out[out_dim] = mean over clips of the upstream output
   (normalized, times the audio logit scale). Errors as for vision. */
a2a_status a2a_imagebind_embed_audio(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *fbank,
                                     int n_clips, float *out);

/* Text: tokens77 = n sequences of 77 CLIP BPE ids (SOT 49406 ... EOT 49407, zero padding).
   out = n embeddings of out_dim floats (upstream output: normalized, times the text logit
   scale). Ids outside [0, n_vocab) are A2A_ERR_INVALID_ARG. */
a2a_status a2a_imagebind_embed_text(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const int32_t *tokens77,
                                    int n, float *out);

/* General form of the three calls above. input: float clips (vision/audio) or int32_t ids
   (text); n: clips or sequences; n_frames: vision only (ignored otherwise); unit: true gives
   the L2-normalized embeddings without the logit scale (what `any2any embed` prints), false
   the upstream forward output (what NExT-GPT feeds its input projector). Vision and audio
   write one (mean) embedding, text n of them. */
a2a_status a2a_imagebind_embed(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, a2a_imagebind_modality modality,
                               const void *input, int n, int n_frames, bool unit, float *out);

#endif
