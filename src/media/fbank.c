/* Kaldi-compatible log-mel filter bank (torchaudio.compliance.kaldi.fbank) and the ImageBind
   audio front end (imagebind/data.py load_and_transform_audio_data). */
#include "media/fbank.h"

#include "media/audio.h"
#include "media/resample.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* torchaudio.compliance.kaldi.fbank's defaults. */
a2a_fbank_params a2a_fbank_default_params(void) {
    a2a_fbank_params p;
    memset(&p, 0, sizeof p);
    p.sample_frequency = 16000.0;
    p.frame_length_ms = 25.0;
    p.frame_shift_ms = 10.0;
    p.num_mel_bins = 23;
    p.low_freq = 20.0;
    p.high_freq = 0.0;
    p.preemphasis = 0.97;
    p.blackman_coeff = 0.42;
    p.window = A2A_FBANK_WINDOW_POVEY;
    p.remove_dc_offset = true;
    p.round_to_power_of_two = true;
    p.use_power = true;
    p.use_log_fbank = true;
    return p;
}

/* What imagebind/data.py waveform2melspec passes to kaldi.fbank. */
a2a_fbank_params a2a_fbank_imagebind_params(void) {
    a2a_fbank_params p = a2a_fbank_default_params();
    p.sample_frequency = 16000.0;
    p.window = A2A_FBANK_WINDOW_HANNING;
    p.num_mel_bins = 128;
    p.frame_length_ms = 25.0;
    p.frame_shift_ms = 10.0;
    return p;
}

/* Window length, shift and padded FFT length in samples, computed as torchaudio does
   (int(sample_frequency * ms * 0.001)); false when the params are unusable. */
static bool frame_geometry(const a2a_fbank_params *p, int64_t *len, int64_t *shift, int64_t *padded) {
    if (!p || !(p->sample_frequency > 0) || !(p->sample_frequency <= 1e7) || !(p->frame_length_ms > 0) ||
        !(p->frame_shift_ms > 0) || !(p->frame_length_ms <= 1000) || !(p->frame_shift_ms <= 1000))
        return false;
    *len = (int64_t)(p->sample_frequency * p->frame_length_ms * 0.001);
    *shift = (int64_t)(p->sample_frequency * p->frame_shift_ms * 0.001);
    if (*len < 2 || *shift < 1) return false;
    int64_t n = *len;
    if (p->round_to_power_of_two) {
        n = 1;
        while (n < *len) n <<= 1;
    }
    *padded = n;
    return true;
}

/* See fbank.h. */
int64_t a2a_fbank_n_frames(const a2a_fbank_params *p, int64_t n) {
    int64_t len, shift, padded;
    if (!frame_geometry(p, &len, &shift, &padded) || n < 0) return -1;
    if (n < len) return 0;
    return 1 + (n - len) / shift;
}

/* Kaldi's mel scale. */
static double mel_scale(double f) { return 1127.0 * log(1.0 + f / 700.0); }

/* In-place iterative radix-2 complex FFT of length n (a power of two) with twiddles
   cs[k] = cos(2*pi*k/n), sn[k] = sin(2*pi*k/n), k < n/2 (forward transform, e^{-i}). */
static void fft_pow2(double *re, double *im, int64_t n, const double *cs, const double *sn) {
    for (int64_t i = 1, j = 0; i < n; i++) {
        int64_t bit = n >> 1;
        for (; j & bit; bit >>= 1) j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i]; re[i] = re[j]; re[j] = t;
            t = im[i]; im[i] = im[j]; im[j] = t;
        }
    }
    for (int64_t len = 2; len <= n; len <<= 1) {
        int64_t half = len >> 1, step = n / len;
        for (int64_t i = 0; i < n; i += len) {
            for (int64_t k = 0; k < half; k++) {
                double wr = cs[k * step], wi = -sn[k * step];
                double xr = re[i + k + half], xi = im[i + k + half];
                double tr = xr * wr - xi * wi, ti = xr * wi + xi * wr;
                re[i + k + half] = re[i + k] - tr;
                im[i + k + half] = im[i + k] - ti;
                re[i + k] += tr;
                im[i + k] += ti;
            }
        }
    }
}

/* See fbank.h. Per frame (torchaudio _get_window): remove the frame's mean, pre-emphasize
   (x[i] -= c * x[i-1], x[-1] = x[0]), window, zero-pad to the FFT length; then |rfft|^2 (or
   |rfft|), triangular mel banks on kaldi's mel scale (Nyquist bin weight 0), log with a floor
   of FLT_EPSILON. */
a2a_status a2a_fbank_kaldi(a2a_ctx *ctx, const a2a_fbank_params *p, const float *x, int64_t n, float *out,
                           int64_t *n_frames) {
    if (n_frames) *n_frames = 0;
    int64_t len, shift, nfft;
    if (!frame_geometry(p, &len, &shift, &nfft) || nfft > (1 << 20))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "fbank: invalid sample rate / frame length / frame shift");
    const int nb = p->num_mel_bins;
    const double nyquist = 0.5 * p->sample_frequency;
    const double high = p->high_freq <= 0.0 ? p->high_freq + nyquist : p->high_freq;
    if (nb <= 3 || nb > 4096)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "fbank: num_mel_bins %d out of range 4..4096", nb);
    if (!(p->low_freq >= 0.0 && p->low_freq < high && high <= nyquist))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "fbank: need 0 <= low_freq (%g) < high_freq (%g) <= Nyquist (%g)",
                        p->low_freq, high, nyquist);
    if ((unsigned)p->window > A2A_FBANK_WINDOW_BLACKMAN)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "fbank: unknown window type %d", (int)p->window);
    if (n < 0 || (n > 0 && !x) || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "fbank: bad input/output");
    if (n < len)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "fbank: %lld samples are fewer than one %lld-sample frame", (long long)n,
                        (long long)len);
    const int64_t nf = 1 + (n - len) / shift;
    const int64_t nbins = nfft / 2; /* FFT bins with a mel weight; bin nfft/2 gets 0 */
    const bool pow2 = (nfft & (nfft - 1)) == 0;

    size_t nd = (size_t)len + 4 * (size_t)nfft + (size_t)nb * (size_t)nbins;
    double *buf = (double *)calloc(nd, sizeof(double));
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "fbank: out of memory");
    double *win = buf, *re = win + len, *im = re + nfft, *cs = im + nfft, *sn = cs + nfft, *bank = sn + nfft;

    for (int64_t i = 0; i < len; i++) {
        double a = 2.0 * M_PI / (double)(len - 1), h = 0.5 - 0.5 * cos(a * (double)i);
        switch (p->window) {
        case A2A_FBANK_WINDOW_HANNING: win[i] = h; break;
        case A2A_FBANK_WINDOW_POVEY: win[i] = pow(h, 0.85); break;
        case A2A_FBANK_WINDOW_HAMMING: win[i] = 0.54 - 0.46 * cos(a * (double)i); break;
        case A2A_FBANK_WINDOW_RECTANGULAR: win[i] = 1.0; break;
        case A2A_FBANK_WINDOW_BLACKMAN:
            win[i] = p->blackman_coeff - 0.5 * cos(a * (double)i) + (0.5 - p->blackman_coeff) * cos(2.0 * a * (double)i);
            break;
        }
    }
    for (int64_t k = 0; k < nfft; k++) {
        cs[k] = cos(2.0 * M_PI * (double)k / (double)nfft);
        sn[k] = sin(2.0 * M_PI * (double)k / (double)nfft);
    }
    /* mel banks (torchaudio get_mel_banks, vtln_warp = 1) */
    const double mlo = mel_scale(p->low_freq), mhi = mel_scale(high);
    const double delta = (mhi - mlo) / (double)(nb + 1), bin_w = p->sample_frequency / (double)nfft;
    int64_t *klo = (int64_t *)malloc(2 * (size_t)nb * sizeof(int64_t)), *khi = klo ? klo + nb : NULL;
    if (!klo) {
        free(buf);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "fbank: out of memory");
    }
    for (int b = 0; b < nb; b++) {
        double left = mlo + b * delta, center = mlo + (b + 1.0) * delta, right = mlo + (b + 2.0) * delta;
        klo[b] = nbins;
        khi[b] = 0;
        for (int64_t k = 0; k < nbins; k++) {
            double mel = mel_scale(bin_w * (double)k);
            double up = (mel - left) / (center - left), down = (right - mel) / (right - center);
            double v = up < down ? up : down;
            bank[(size_t)b * (size_t)nbins + (size_t)k] = v > 0.0 ? v : 0.0;
            if (v > 0.0) {
                if (k < klo[b]) klo[b] = k;
                khi[b] = k + 1;
            }
        }
    }

    for (int64_t f = 0; f < nf; f++) {
        const float *fr = x + f * shift;
        double mean = 0.0;
        if (p->remove_dc_offset) {
            for (int64_t i = 0; i < len; i++) mean += fr[i];
            mean /= (double)len;
        }
        for (int64_t i = 0; i < len; i++) re[i] = (double)fr[i] - mean;
        if (p->preemphasis != 0.0) {
            for (int64_t i = len - 1; i > 0; i--) re[i] -= p->preemphasis * re[i - 1];
            re[0] -= p->preemphasis * re[0];
        }
        for (int64_t i = 0; i < len; i++) re[i] *= win[i];
        for (int64_t i = len; i < nfft; i++) re[i] = 0.0;
        for (int64_t i = 0; i < nfft; i++) im[i] = 0.0;
        if (pow2) {
            fft_pow2(re, im, nfft, cs, sn);
        } else {
            /* plain DFT of the bins we need (round_to_power_of_two = false only) */
            double *src = (double *)malloc((size_t)nfft * sizeof(double));
            if (!src) {
                free(klo);
                free(buf);
                return a2a_fail(ctx, A2A_ERR_NOMEM, "fbank: out of memory");
            }
            memcpy(src, re, (size_t)nfft * sizeof(double));
            for (int64_t k = 0; k < nbins; k++) {
                double sr = 0, si = 0;
                for (int64_t i = 0; i < nfft; i++) {
                    int64_t idx = (k * i) % nfft;
                    sr += src[i] * cs[idx];
                    si -= src[i] * sn[idx];
                }
                re[k] = sr;
                im[k] = si;
            }
            free(src);
        }
        for (int64_t k = 0; k < nbins; k++) {
            double pw = re[k] * re[k] + im[k] * im[k];
            re[k] = p->use_power ? pw : sqrt(pw);
        }
        float *o = out + f * nb;
        for (int b = 0; b < nb; b++) {
            const double *bk = bank + (size_t)b * (size_t)nbins;
            double e = 0.0;
            for (int64_t k = klo[b]; k < khi[b]; k++) e += re[k] * bk[k]; /* zero outside */
            if (p->use_log_fbank) e = log(e > (double)FLT_EPSILON ? e : (double)FLT_EPSILON);
            o[b] = (float)e;
        }
    }
    free(klo);
    free(buf);
    if (n_frames) *n_frames = nf;
    return A2A_OK;
}

/* floor(m * k) of the exact product of a non-negative double m and a small non-negative
   integer k (what Python's int(Fraction(m) * k) gives), via an error-free product. */
static int64_t floor_exact_product(double m, double k) {
    double pr = m * k;
    double err = fma(m, k, -pr);
    double fl = floor(pr);
    if (fl == pr && err < 0.0) fl -= 1.0;
    return (int64_t)fl;
}

/* See audio.h. */
a2a_status a2a_audio_to_imagebind(a2a_ctx *ctx, const a2a_audio *a, float *out) {
    enum { SR = 16000, CLIP = 2 * SR, NC = A2A_IMAGEBIND_AUDIO_CLIPS, NM = A2A_IMAGEBIND_AUDIO_MELS,
           NT = A2A_IMAGEBIND_AUDIO_FRAMES };
    if (!a || !out || !a->data || a->frames <= 0 || a->channels < 1 || a->rate < 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind audio: empty or malformed audio");
    size_t bytes;
    if (!a2a_mul_ok((size_t)a->frames, sizeof(float), &bytes))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind audio: size overflow");
    float *ch0 = (float *)malloc(bytes);
    if (!ch0) return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind audio: out of memory");
    for (int64_t i = 0; i < a->frames; i++) ch0[i] = a->data[(size_t)i * (size_t)a->channels];
    float *w = ch0;
    int64_t n = a->frames;
    if (a->rate != SR) {
        a2a_status st = a2a_resample(ctx, ch0, a->frames, a->rate, SR, &w, &n);
        free(ch0);
        if (st != A2A_OK) return st;
    }
    const a2a_fbank_params fp = a2a_fbank_imagebind_params();
    float *fb = (float *)malloc((size_t)(CLIP / 160 + 1) * NM * sizeof(float));
    if (!fb) {
        free(w);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind audio: out of memory");
    }
    /* ConstantClipsPerVideoSampler(clip_duration=2, clips_per_video=3) */
    double dur = (double)n / (double)SR;
    double maxstart = dur - 2.0;
    if (!(maxstart > 0.0)) maxstart = 0.0;
    a2a_status st = A2A_OK;
    const float pad = (0.0f - (-4.268f)) / 9.138f;
    for (int c = 0; c < NC && st == A2A_OK; c++) {
        int64_t s = floor_exact_product(maxstart, (double)c * (SR / 2)); /* start = maxstart * c / 2 seconds */
        int64_t e = s + CLIP;
        if (s > n) s = n;
        if (e > n) e = n;
        int64_t len = e - s;
        /* data.py: waveform -= waveform.mean() on a view: overlapping clips see the earlier
           subtraction. (The fbank removes each frame's mean, so this changes only rounding.) */
        double mean = 0.0;
        for (int64_t i = s; i < e; i++) mean += w[i];
        float fm = len > 0 ? (float)(mean / (double)len) : 0.0f;
        for (int64_t i = s; i < e; i++) w[i] -= fm;
        int64_t nf = 0;
        st = a2a_fbank_kaldi(ctx, &fp, w + s, len, fb, &nf);
        if (st != A2A_OK) {
            a2a_error_prefix(ctx, "imagebind audio: clip %d (%lld samples at 16 kHz)", c, (long long)len);
            break;
        }
        float *oc = out + (size_t)c * NM * NT;
        for (int m = 0; m < NM; m++)
            for (int t = 0; t < NT; t++)
                oc[m * NT + t] = t < nf ? (fb[t * NM + m] - (-4.268f)) / 9.138f : pad;
    }
    free(fb);
    free(w);
    return st;
}
