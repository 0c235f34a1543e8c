/* YIN pitch detection and note naming: see pitch.h. */
#include "eval/pitch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const NOTE_NAMES[A2A_PITCH_N_NOTES] = {"C", "D", "E", "F", "G", "A", "B"};
/* semitones from A4 (as tools/demo/world.py NOTE_SEMITONE) */
static const int NOTE_SEMI[A2A_PITCH_N_NOTES] = {-9, -7, -5, -4, -2, 0, 2};

a2a_pitch_params a2a_pitch_default_params(void) {
    a2a_pitch_params p = {60.0f, 2000.0f, 0.15f, 0.5f};
    return p;
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* YIN on one frame x[0 .. w + tau_max): the period in samples (fractional), or 0 if unvoiced.
   d and dn are scratch of tau_max + 1. */
static double yin_frame(const float *x, int w, int tau_min, int tau_max, float thr, double *d, double *dn) {
    d[0] = 0;
    for (int tau = 1; tau <= tau_max; tau++) {
        double s = 0;
        for (int j = 0; j < w; j++) {
            double e = (double)x[j] - x[j + tau];
            s += e * e;
        }
        d[tau] = s;
    }
    dn[0] = 1;
    double run = 0;
    for (int tau = 1; tau <= tau_max; tau++) {
        run += d[tau];
        dn[tau] = run > 0 ? d[tau] * tau / run : 1;
    }
    int best = -1;
    for (int tau = tau_min; tau <= tau_max; tau++) {
        if (dn[tau] < thr) {
            while (tau + 1 <= tau_max && dn[tau + 1] < dn[tau]) tau++;
            best = tau;
            break;
        }
    }
    if (best < 0) return 0;
    /* parabolic interpolation around the minimum */
    double t = best;
    if (best > 1 && best < tau_max) {
        double a = dn[best - 1], b = dn[best], c = dn[best + 1];
        double den = a - 2 * b + c;
        if (den > 1e-12) t = best + 0.5 * (a - c) / den;
    }
    return t;
}

bool a2a_pitch_estimate(const float *x, int64_t n, int rate, const a2a_pitch_params *pp, float *f0) {
    a2a_pitch_params p = pp ? *pp : a2a_pitch_default_params();
    *f0 = 0;
    if (!x || rate <= 0 || p.fmin <= 0 || p.fmax <= p.fmin) return false;
    int tau_max = (int)ceil(rate / p.fmin);
    int tau_min = (int)floor(rate / p.fmax);
    if (tau_min < 2) tau_min = 2;
    int w = tau_max > 512 ? tau_max : 512; /* window: at least one longest period */
    int frame = w + tau_max, hop = w / 2;
    if (n < frame) return false;
    int64_t n_frames = (n - frame) / hop + 1;
    double *d = malloc(sizeof(double) * (size_t)(tau_max + 1) * 2);
    float *rms = malloc(sizeof(float) * (size_t)n_frames);
    float *f = malloc(sizeof(float) * (size_t)n_frames);
    if (!d || !rms || !f) {
        free(d);
        free(rms);
        free(f);
        return false;
    }
    float rmax = 0;
    for (int64_t i = 0; i < n_frames; i++) {
        double s = 0;
        const float *fx = x + i * hop;
        for (int j = 0; j < frame; j++) s += (double)fx[j] * fx[j];
        rms[i] = (float)sqrt(s / frame);
        if (rms[i] > rmax) rmax = rms[i];
    }
    int n_loud = 0, n_voiced = 0;
    if (rmax > 1e-4f) {
        for (int64_t i = 0; i < n_frames; i++) {
            if (rms[i] < rmax * 0.1f) continue; /* quieter than -20 dB of the loudest frame */
            n_loud++;
            double t = yin_frame(x + i * hop, w, tau_min, tau_max, p.threshold, d, d + tau_max + 1);
            if (t > 0) f[n_voiced++] = (float)(rate / t);
        }
    }
    bool ok = n_loud > 0 && n_voiced >= 2 && n_voiced >= p.voiced_min * n_loud;
    if (ok) {
        qsort(f, (size_t)n_voiced, sizeof(float), cmp_float);
        float med = n_voiced % 2 ? f[n_voiced / 2] : 0.5f * (f[n_voiced / 2 - 1] + f[n_voiced / 2]);
        /* a steady pitch: most voiced frames within half a semitone of the median */
        int near = 0;
        for (int i = 0; i < n_voiced; i++) near += fabsf(12.0f * log2f(f[i] / med)) < 0.5f;
        ok = near >= p.voiced_min * n_loud;
        if (ok) *f0 = med;
    }
    free(d);
    free(rms);
    free(f);
    return ok;
}

int a2a_pitch_note(float f0) {
    if (!(f0 > 0) || !isfinite(f0)) return -1;
    double s = 12.0 * log2(f0 / 440.0);
    int best = -1;
    double bd = 1e9;
    for (int k = 0; k < A2A_PITCH_N_NOTES; k++) {
        double r = fmod(s - NOTE_SEMI[k], 12.0);
        if (r < 0) r += 12.0;
        double dist = r < 6.0 ? r : 12.0 - r;
        if (dist < bd) {
            bd = dist;
            best = k;
        }
    }
    return best;
}

const char *a2a_pitch_note_name(int note) { return note >= 0 && note < A2A_PITCH_N_NOTES ? NOTE_NAMES[note] : NULL; }
