/* Audio decoding (WAV built in; FLAC/OGG/MP3 through libsndfile when present at configure
   time), downmix, band-limited resampling and the ImageBind audio front end.

     a2a_audio a;                                   // zeroed
     a2a_audio_load(ctx, "speech.wav", NULL, &a);   // default limits
     float *x = malloc(3 * 128 * 204 * sizeof *x);
     a2a_audio_to_imagebind(ctx, &a, x);            // [3][128][204], ImageBind's data.py
     a2a_audio_free(&a);

   Sample convention: float in [-1, 1]; integer PCM of b bits is divided by 2^(b-1) (8-bit
   WAV is unsigned: (v - 128) / 128), which is what torchaudio.load/soundfile return. */
#ifndef A2A_MEDIA_AUDIO_H
#define A2A_MEDIA_AUDIO_H

#include "core/status.h"
#include <stdint.h>
#include <stddef.h>

/* A decoded clip. data: [frames][channels] interleaved float, nominally [-1, 1] (float WAV
   data is passed through unclipped). Owned by the struct: free with a2a_audio_free. */
typedef struct a2a_audio {
    int32_t rate;     /* samples per second per channel, 1..A2A_AUDIO_MAX_RATE */
    int32_t channels; /* 1..A2A_AUDIO_MAX_CHANNELS */
    int64_t frames;   /* samples per channel (may be 0 only if limits allow empty audio: they do not) */
    float *data;      /* [frames][channels] */
} a2a_audio;

#define A2A_AUDIO_MAX_RATE 768000
#define A2A_AUDIO_MAX_CHANNELS 256

/* Decoding limits; a2a_audio_default_limits() gives 1 hour and 1 GiB of decoded floats. */
typedef struct a2a_audio_limits {
    double max_seconds;        /* longest accepted clip (frames / rate) */
    size_t max_decoded_bytes;  /* largest accepted frames * channels * sizeof(float) */
} a2a_audio_limits;

/* Default limits (see a2a_audio_limits). */
a2a_audio_limits a2a_audio_default_limits(void);

/* Decode a whole file in memory: RIFF/WAVE (own parser), else FLAC ("fLaC"), Ogg ("OggS")
   and MP3 (ID3 tag or MPEG frame sync) through libsndfile when built with it
   (A2A_ERR_UNSUPPORTED otherwise). limits may be NULL (defaults). On success *out holds the
   clip (caller frees with a2a_audio_free); on failure *out is zeroed and the ctx message
   says why (A2A_ERR_FORMAT: malformed/truncated, A2A_ERR_UNSUPPORTED: valid but not
   handled, A2A_ERR_NOMEM: a limit was exceeded or malloc failed). *out is overwritten
   without being freed first. */
a2a_status a2a_audio_decode(a2a_ctx *ctx, const void *data, size_t size, const a2a_audio_limits *limits, a2a_audio *out);

/* Read path and decode it as a2a_audio_decode does. */
a2a_status a2a_audio_load(a2a_ctx *ctx, const char *path, const a2a_audio_limits *limits, a2a_audio *out);

/* Free a clip's samples and zero it (a zeroed struct or NULL is fine). */
void a2a_audio_free(a2a_audio *a);

/* Mono mix of a: *out (malloc'd, a->frames floats; caller frees with free) is the mean of the
   channels of every frame. Fails only on a malformed a or no memory. */
a2a_status a2a_audio_to_mono(a2a_ctx *ctx, const a2a_audio *a, float **out);

/* Internal to the decoders: check rate/channels/frames against limits and allocate
   out->data (frames * channels floats, uninitialized). fmt names the container in messages. */
a2a_status a2a_audio_alloc_checked(a2a_ctx *ctx, const char *fmt, int64_t rate, int64_t channels, int64_t frames,
                                   const a2a_audio_limits *limits, a2a_audio *out);

/* Internal: the WAV and libsndfile decoders (a2a_audio_decode dispatches to them). */
a2a_status a2a_audio_decode_wav(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_audio_limits *limits,
                                a2a_audio *out);
a2a_status a2a_audio_decode_sndfile(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_audio_limits *limits,
                                    a2a_audio *out);

/* ImageBind audio front end (imagebind/data.py load_and_transform_audio_data with its
   defaults): channel 0 of a (torchaudio's kaldi fbank reads channel 0 of a multi-channel
   waveform), resampled to 16 kHz with a2a_resample when a->rate != 16000; 3 clips of 2 s
   placed by pytorchvideo's ConstantClipsPerVideoSampler (start_i = i * max(dur - 2, 0) / 2,
   exact rational arithmetic as in Python's Fraction); each clip has its mean removed
   (in place, as data.py's `waveform -= waveform.mean()` does on an overlapping view), goes
   through the kaldi fbank (128 bins, 25/10 ms, hanning), is zero-padded or cropped to 204
   frames and normalized as (x + 4.268) / 9.138.
   out: 3 * 128 * 204 floats, numpy shape [3][1][128][204] (ggml ne = [204, 128, 1, 3]):
   out[(clip * 128 + mel) * 204 + frame]. Errors: empty audio, a clip shorter than one 25 ms
   frame after resampling, no memory. */
#define A2A_IMAGEBIND_AUDIO_CLIPS 3
#define A2A_IMAGEBIND_AUDIO_MELS 128
#define A2A_IMAGEBIND_AUDIO_FRAMES 204
a2a_status a2a_audio_to_imagebind(a2a_ctx *ctx, const a2a_audio *a, float *out);

#endif
