/* Kaldi-compatible log-mel filter bank, following torchaudio.compliance.kaldi.fbank
   (no dither, snip_edges=True, energy not appended). */
#ifndef A2A_MEDIA_FBANK_H
#define A2A_MEDIA_FBANK_H

#include "core/status.h"
#include <stdbool.h>
#include <stdint.h>

typedef enum a2a_fbank_window {
    A2A_FBANK_WINDOW_POVEY = 0,   /* kaldi default: hann(N, periodic=False)^0.85 */
    A2A_FBANK_WINDOW_HANNING,     /* hann(N, periodic=False) */
    A2A_FBANK_WINDOW_HAMMING,     /* hamming(N, periodic=False, 0.54, 0.46) */
    A2A_FBANK_WINDOW_RECTANGULAR, /* ones */
    A2A_FBANK_WINDOW_BLACKMAN     /* kaldi blackman with blackman_coeff */
} a2a_fbank_window;

/* Parameters; a2a_fbank_default_params() gives torchaudio's kaldi.fbank defaults except
   window (ImageBind: hanning) -- see a2a_fbank_imagebind_params(). */
typedef struct a2a_fbank_params {
    double sample_frequency;   /* Hz (16000) */
    double frame_length_ms;    /* 25 */
    double frame_shift_ms;     /* 10 */
    int32_t num_mel_bins;      /* 23 (kaldi default); ImageBind 128 */
    double low_freq;           /* 20 Hz */
    double high_freq;          /* 0: Nyquist; < 0: Nyquist + high_freq */
    double preemphasis;        /* 0.97 */
    double blackman_coeff;     /* 0.42 */
    a2a_fbank_window window;   /* POVEY */
    bool remove_dc_offset;     /* true */
    bool round_to_power_of_two;/* true */
    bool use_power;            /* true: |X|^2, false: |X| */
    bool use_log_fbank;        /* true: log(max(e, FLT_EPSILON)) */
} a2a_fbank_params;

/* torchaudio.compliance.kaldi.fbank defaults (window povey, 23 bins). */
a2a_fbank_params a2a_fbank_default_params(void);
/* The arguments ImageBind passes: 16 kHz, hanning, 128 bins, 25/10 ms, dither 0. */
a2a_fbank_params a2a_fbank_imagebind_params(void);

/* Number of frames of n samples with p (snip_edges): 0 when n < window length, else
   1 + (n - window) / shift. Returns -1 on invalid params. */
int64_t a2a_fbank_n_frames(const a2a_fbank_params *p, int64_t n);

/* Filter bank of n mono samples x (in the waveform's own scale: torchaudio feeds [-1, 1]
   floats). out: n_frames * num_mel_bins floats, frame-major ([frames][mels], torchaudio's
   output layout). *n_frames (may be NULL) receives the frame count. Deterministic (no
   dither); computed in double precision. Errors: invalid params (A2A_ERR_INVALID_ARG),
   fewer samples than one frame (A2A_ERR_SHAPE), no memory. */
a2a_status a2a_fbank_kaldi(a2a_ctx *ctx, const a2a_fbank_params *p, const float *x, int64_t n, float *out,
                           int64_t *n_frames);

#endif
