/* Internal: transformers' SpeechT5HifiGan (transformers/models/speecht5/modeling_speecht5.py),
   the HiFi-GAN vocoder of AudioLDM (diffusers' AudioLDMPipeline: vocoder/ folder) and of
   SpeechT5 TTS: log-mel spectrogram -> waveform.

   Forward (one spectrogram of n_frames frames of model_in_dim mel bins):
       x = normalize_before ? (mel - mean) / scale : mel           [n_frames][model_in_dim]
       h = conv_pre(x^T)                Conv1d(model_in_dim -> C0, k7, p3), C0 = upsample_initial_channel
       for i in 0..n_up-1:              C_{i+1} = C0 >> (i+1)
           h = leaky_relu(h, leaky_relu_slope)
           h = upsampler[i](h)          ConvTranspose1d(C_i -> C_{i+1}, k = upsample_kernel_sizes[i],
                                        stride u = upsample_rates[i], padding (k-u)//2)
           h = mean over j of resblocks[i*n_k + j](h)   (n_k = len(resblock_kernel_sizes))
       h = leaky_relu(h, 0.01)          (torch's default slope: upstream passes none here)
       wave = tanh(conv_post(h))        Conv1d(C_n -> 1, k7, p3)
   HifiGanResidualBlock(k, dilations d[]): for each m: x = x + convs2[m](lrelu(convs1[m](lrelu(x))))
   with convs1[m] dilated d[m] (padding d[m]*(k-1)/2), convs2[m] dilation 1 (padding (k-1)/2),
   lrelu slope leaky_relu_slope.

   Output length: each upsampler maps L -> (L-1)*u - 2*((k-u)//2) + k, i.e. L*u when k-u is even
   and L*u + 1 when odd, so AudioLDM's vocoder (rates [5,4,2,2,2], kernels [16,16,8,4,4]) gives
   160*n_frames + 32 samples; diffusers' AudioLDMPipeline then keeps the first
   audio_length_in_s * sampling_rate samples (the caller's job). a2a_hifigan_n_samples tells.

   GGUF layout (written by a2a_hifigan_convert_add): tensor names = prefix + transformers'
   state_dict names ("conv_pre.weight", "upsampler.0.weight", "resblocks.4.convs1.2.bias",
   "conv_post.weight", "mean", "scale"); weight norm (weight_g/weight_v, or
   parametrizations.weight.original0/original1 as torch.nn.utils.parametrizations.weight_norm
   saves it) is folded at conversion into a plain ".weight". ggml shapes: Conv1d weight
   [k, Cin, Cout] (torch [Cout, Cin, k] reversed), ConvTranspose1d weight [k, Cout, Cin]
   (torch [Cin, Cout, k] reversed), biases / mean / scale [C] F32. Metadata (hifigan.*):
       model_in_dim, sampling_rate, upsample_initial_channel (u32); upsample_rates,
       upsample_kernel_sizes, resblock_kernel_sizes (i32 arrays); resblock_dilation_sizes
       (i32 array: the rows concatenated) with resblock_dilation_counts (i32 array: row lengths);
       leaky_relu_slope (f32); normalize_before (bool).

   Memory: the weights stay mmapped; a forward call allocates ONE activation block of
   a2a_hifigan_forward_bytes() (5 planes of the largest (length x channels) of any stage:
   ~100 MiB for 10 s of AudioLDM audio), plus the conv ops' per-thread scratch.
   Speed (AudioLDM shape, 1000 frames = 10 s of audio, ~0.95 TFLOP, 2 threads): ~8.7 s of CPU
   time, on par with PyTorch CPU (~9.5-10.5 s); ~85% of it is the resblocks' a2a_op_conv1d calls
   (150 GFLOP/s at 512 channels falling to ~60 at 32), ~8% the transposed convs. */
#ifndef A2A_MODELS_VOCODER_HIFIGAN_H
#define A2A_MODELS_VOCODER_HIFIGAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "core/types.h"

struct a2a_gguf;
struct a2a_gguf_writer;

#define A2A_HIFIGAN_MAX_UP 8         /* upsample stages */
#define A2A_HIFIGAN_MAX_KERNELS 8    /* resblock kernel sizes (resblocks per stage) */
#define A2A_HIFIGAN_MAX_DIL 8        /* dilations per resblock */
#define A2A_HIFIGAN_MAX_FRAMES 100000 /* longest spectrogram accepted (~1000 s at 16 kHz / hop 160) */

typedef struct a2a_hifigan_config {
    int model_in_dim;             /* mel bins (64 for AudioLDM, 80 for SpeechT5) */
    int sampling_rate;            /* Hz (informational: 16000) */
    int upsample_initial_channel; /* C0 (1024 for AudioLDM); C0 >> n_up >= 1 */
    int n_up;                     /* len(upsample_rates) == len(upsample_kernel_sizes), 1..MAX_UP */
    int upsample_rates[A2A_HIFIGAN_MAX_UP];
    int upsample_kernel_sizes[A2A_HIFIGAN_MAX_UP];
    int n_kernels;                /* len(resblock_kernel_sizes) == len(resblock_dilation_sizes) */
    int resblock_kernel_sizes[A2A_HIFIGAN_MAX_KERNELS]; /* odd */
    int n_dil[A2A_HIFIGAN_MAX_KERNELS]; /* length of each resblock_dilation_sizes row, 1..MAX_DIL */
    int resblock_dilation_sizes[A2A_HIFIGAN_MAX_KERNELS][A2A_HIFIGAN_MAX_DIL];
    float leaky_relu_slope;       /* 0.1 */
    bool normalize_before;        /* subtract mean, divide by scale before conv_pre */
} a2a_hifigan_config;

typedef struct a2a_hifigan a2a_hifigan;

/* Load the vocoder from an open GGUF file g (borrowed: keep it open while *out lives) with
   tensor names prefixed by prefix (NULL or "" for none; "vocoder." in an AudioLDM bundle).
   Errors: A2A_ERR_FORMAT (missing/invalid metadata), A2A_ERR_NOT_FOUND / A2A_ERR_SHAPE naming a
   missing or mis-shaped tensor. Caller frees *out with a2a_hifigan_free. */
a2a_status a2a_hifigan_load_gguf(a2a_ctx *ctx, const struct a2a_gguf *g, const char *prefix, a2a_hifigan **out);

/* Open a one-component GGUF file (written by a2a_hifigan_convert; no prefix) and load it. */
a2a_status a2a_hifigan_load(a2a_ctx *ctx, const char *path, a2a_hifigan **out);

/* Free (and close the file a2a_hifigan_load opened). NULL is fine. */
void a2a_hifigan_free(a2a_hifigan *v);

/* Configuration (valid while v lives); sampling rate in Hz. */
const a2a_hifigan_config *a2a_hifigan_get_config(const a2a_hifigan *v);
int a2a_hifigan_sample_rate(const a2a_hifigan *v);

/* Number of samples a2a_hifigan_forward writes for n_frames frames (0 when n_frames is out of
   [1, A2A_HIFIGAN_MAX_FRAMES]). */
int64_t a2a_hifigan_n_samples(const a2a_hifigan *v, int64_t n_frames);

/* Bytes of the activation block a forward over n_frames frames allocates (0 when invalid). */
size_t a2a_hifigan_forward_bytes(const a2a_hifigan *v, int64_t n_frames);

/* mel: n_frames x model_in_dim floats, frame-major (mel[t*model_in_dim + m]; the layout of
   the AudioLDM VAE's decoded [n_frames, 64] spectrogram) -> wave: a2a_hifigan_n_samples(v,
   n_frames) floats in [-1, 1] (caller allocates; must not overlap mel); *n_samples (may be
   NULL) receives that count. tp may be NULL (one thread).
   Errors: A2A_ERR_INVALID_ARG (n_frames < 1 or > A2A_HIFIGAN_MAX_FRAMES, NULL buffers),
   A2A_ERR_NOMEM (activation block), and what the conv ops report. */
a2a_status a2a_hifigan_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_hifigan *v, const float *mel,
                               int64_t n_frames, float *wave, int64_t *n_samples);

/* Product of the upsample rates: waveform samples per spectrogram frame, up to the extra
   samples of odd (kernel - rate) stages (160 for AudioLDM). diffusers' AudioLDMPipeline
   derives its spectrogram height from it: frames = int(seconds * sampling_rate / hop), rounded
   up to a multiple of the VAE's downscale, then keeps int(seconds * sampling_rate) samples. */
int64_t a2a_hifigan_hop_length(const a2a_hifigan *v);

/* Tensor glue for the AudioLDM pipeline (diffusers' mel_spectrogram_to_waveform followed by
   audio[:, :original_waveform_length]): mel F32 [model_in_dim, n_frames, 1, N] -- the mel VAE's
   decoded image [W = mel bins, H = frames, C = 1, N] as is; 3-D [D, T, N] accepted too; any
   strides -- -> wave F32 [n_keep, N] (any strides) holding the first n_keep samples of each
   item's waveform, 1 <= n_keep <= a2a_hifigan_n_samples(v, n_frames). Items run one at a time.
   Errors: A2A_ERR_SHAPE (shapes/types), otherwise as a2a_hifigan_forward. */
a2a_status a2a_hifigan_decode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_hifigan *v, const a2a_tensor *mel,
                              a2a_tensor *wave);

/* ---- converter: transformers SpeechT5HifiGan folder -> GGUF ---- */
typedef struct a2a_hifigan_convert_params {
    a2a_type conv_type;       /* conv / transposed-conv weights: F32 or F16 (default F16) */
    a2a_threadpool *tp;       /* row conversion threads; NULL = calling thread */
    a2a_progress_fn progress; /* called after each tensor; nonzero cancels */
    void *user;
} a2a_hifigan_convert_params;

a2a_hifigan_convert_params a2a_hifigan_convert_default_params(void);

/* Add the vocoder of src_dir (config.json + model.safetensors, pytorch_model.bin, or
   diffusion_pytorch_model.safetensors/.bin) to the writer w: tensors named prefix + state_dict
   name (weight norm folded), metadata hifigan.* (see above). The converted buffers are handed
   to w (a2a_gguf_writer_keep) and live until w is freed. general.* keys are not set.
   p NULL means the defaults. Errors: A2A_ERR_NOT_FOUND (files, tensors), A2A_ERR_FORMAT /
   A2A_ERR_UNSUPPORTED (config), A2A_ERR_SHAPE, A2A_ERR_CANCELLED, A2A_ERR_NOMEM. */
a2a_status a2a_hifigan_convert_add(a2a_ctx *ctx, struct a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                   const a2a_hifigan_convert_params *p);

/* One-component file: general.architecture = "hifigan" + a2a_hifigan_convert_add with no
   prefix, written atomically to out_gguf and checked to load. */
a2a_status a2a_hifigan_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                               const a2a_hifigan_convert_params *p);

#endif
