/* Windowed-sinc polyphase resampler; see resample.h for the design and its quality. */
#include "media/resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOWPASS_FILTER_WIDTH 6.0
#define ROLLOFF 0.99
#define MAX_TABLE_FLOATS ((size_t)1 << 23) /* 64 MiB of double taps at most */

/* Greatest common divisor of two positive integers. */
static int64_t gcd64(int64_t a, int64_t b) {
    while (b) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* torchaudio's sinc_interp_hann tap at kernel time t (already multiplied by base_freq), times
   scale; 0 outside the window |t| < width. */
static double hann_sinc(double t, double scale) {
    if (!(fabs(t) < LOWPASS_FILTER_WIDTH)) return 0.0;
    double w = cos(t * M_PI / LOWPASS_FILTER_WIDTH / 2.0);
    double tp = t * M_PI;
    double s = tp == 0.0 ? 1.0 : sin(tp) / tp;
    return s * w * w * scale;
}

/* See resample.h. Output sample j (in reduced units, at time j / M) is the dot product of
   the input around i = j * L / M with the phase (j mod M) kernel -- the same taps, padding
   and length as torchaudio's conv1d formulation. */
a2a_status a2a_resample(a2a_ctx *ctx, const float *in, int64_t n, int rate_in, int rate_out, float **out,
                        int64_t *n_out) {
    if (!out || !n_out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resample: out/n_out is NULL");
    *out = NULL;
    *n_out = 0;
    if (rate_in < 1 || rate_out < 1 || rate_in > 768000 || rate_out > 768000)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resample: rates %d -> %d Hz out of range 1..768000", rate_in,
                        rate_out);
    if (n < 0 || (n > 0 && !in)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "resample: bad input (n=%lld)", (long long)n);
    if (n == 0) return A2A_OK;
    const int64_t g = gcd64(rate_in, rate_out);
    const int64_t L = rate_in / g, M = rate_out / g;
    int64_t total;
    if (!a2a_mul_i64_ok(n, M, &total) || total > INT64_MAX - L)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "resample: %lld samples at %d -> %d Hz overflow", (long long)n, rate_in,
                        rate_out);
    const int64_t nout = (total + L - 1) / L;
    size_t out_bytes;
    if (!a2a_mul_ok((size_t)nout, sizeof(float), &out_bytes))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "resample: output size overflow");
    float *y = (float *)malloc(out_bytes ? out_bytes : 1);
    if (!y) return a2a_fail(ctx, A2A_ERR_NOMEM, "resample: out of memory for %lld samples", (long long)nout);
    if (L == M) {
        memcpy(y, in, (size_t)n * sizeof(float));
        *out = y;
        *n_out = n;
        return A2A_OK;
    }
    const double base = (double)(L < M ? L : M) * ROLLOFF;
    const int64_t width = (int64_t)ceil(LOWPASS_FILTER_WIDTH * (double)L / base);
    const double scale = base / (double)L;
    /* taps of phase p: m in [0, 2*width + L), input offset m - width, time
       t = ((m - width) / L - p / M) * base; only |t| < 6 is nonzero, a run of at most
       T = floor(12 * L / base) + 3 consecutive m (one of slack each side). */
    const int64_t T = (int64_t)floor(2.0 * LOWPASS_FILTER_WIDTH * (double)L / base) + 3;
    size_t tab_n;
    if (!a2a_mul_ok((size_t)M, (size_t)T, &tab_n) || tab_n > MAX_TABLE_FLOATS) {
        free(y);
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "resample: %d -> %d Hz needs a %lld x %lld tap table (too large)",
                        rate_in, rate_out, (long long)M, (long long)T);
    }
    double *taps = (double *)calloc(tab_n, sizeof(double));
    int64_t *first = (int64_t *)malloc((size_t)M * sizeof(int64_t));
    if (!taps || !first) {
        free(taps);
        free(first);
        free(y);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "resample: out of memory for the tap table");
    }
    for (int64_t p = 0; p < M; p++) {
        /* smallest m with t > -6: (m - width)/L > p/M - 6/base */
        double lo = ((double)p / (double)M - LOWPASS_FILTER_WIDTH / base) * (double)L + (double)width;
        int64_t m0 = (int64_t)floor(lo) - 1;
        if (m0 < 0) m0 = 0;
        first[p] = m0;
        for (int64_t k = 0; k < T; k++) {
            int64_t m = m0 + k;
            if (m >= 2 * width + L) break;
            double t = ((double)(m - width) / (double)L - (double)p / (double)M) * base;
            taps[(size_t)p * (size_t)T + (size_t)k] = hann_sinc(t, scale);
        }
    }
    for (int64_t j = 0; j < nout; j++) {
        const int64_t f = j / M, p = j % M;
        const double *tp = taps + (size_t)p * (size_t)T;
        const int64_t i0 = f * L - width + first[p];
        int64_t k0 = i0 < 0 ? -i0 : 0;
        int64_t k1 = T;
        if (i0 + k1 > n) k1 = n - i0;
        double acc = 0.0;
        for (int64_t k = k0; k < k1; k++) acc += (double)in[i0 + k] * tp[k];
        y[j] = (float)acc;
    }
    free(taps);
    free(first);
    *out = y;
    *n_out = nout;
    return A2A_OK;
}
