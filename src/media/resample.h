/* Band-limited resampling (windowed-sinc, polyphase), bit-compatible in design with
   torchaudio.functional.resample(waveform, orig, new) at its defaults
   (resampling_method="sinc_interp_hann", lowpass_filter_width=6, rolloff=0.99).

   Quality (measured, 48 kHz -> 16 kHz, steady-state sine gain): the kernel is a Hann-windowed
   sinc with cutoff 0.99 * min(rate_in, rate_out) / 2 and 6 zero crossings each side (at the
   lower rate), so the transition band is wide: within +-0.05 dB to 0.6 of the lower Nyquist,
   -1.8 dB at 0.875, -6 dB at the cutoff, -17 dB at 1.125x Nyquist (aliases there are NOT
   removed), -45 dB at 1.25x, -55 dB at 1.5x, about -84 dB beyond 1.75x. This is torchaudio's
   default trade-off, kept for exact agreement with the reference pipelines (ImageBind), not
   for mastering quality. The signal is treated as zero outside [0, n): the first/last ~6
   periods of the lower rate show the filter's edge transient, exactly as in torchaudio.
   Kernel taps are computed in double precision; torchaudio computes them in the waveform's
   dtype (float32), so results agree to ~1e-7 relative, not bit for bit. */
#ifndef A2A_MEDIA_RESAMPLE_H
#define A2A_MEDIA_RESAMPLE_H

#include "core/status.h"
#include <stdint.h>

/* Resample n samples of one channel from rate_in to rate_out (Hz, 1..768000 each).
   *out is malloc'd (caller frees with free) with *n_out = ceil(n * rate_out / rate_in)
   samples (torchaudio's length). Equal rates copy. n == 0 gives *out = NULL, *n_out = 0.
   Errors: bad rates, n < 0, sizes that overflow, no memory. */
a2a_status a2a_resample(a2a_ctx *ctx, const float *in, int64_t n, int rate_in, int rate_out, float **out,
                        int64_t *n_out);

#endif
