/* Internal: a pitch detector for the demo evaluation -- the fundamental frequency of a sound
   (YIN: cumulative-mean-normalized difference function per frame, median over the voiced
   frames) and the nearest note name of the demo world (C D E F G A B, octave-independent).
   Works for sine, square and sawtooth tones (strong harmonics do not fool it into an octave
   or a fifth); noise and silence give "no pitch". */
#ifndef A2A_EVAL_PITCH_H
#define A2A_EVAL_PITCH_H

#include <stdbool.h>
#include <stdint.h>

#define A2A_PITCH_N_NOTES 7

typedef struct a2a_pitch_params {
    float fmin, fmax;          /* search range in Hz (default 60 .. 2000) */
    float threshold;           /* YIN threshold on the normalized difference (default 0.15) */
    float voiced_min;          /* minimum fraction of loud frames that must be voiced (default 0.5) */
} a2a_pitch_params;

a2a_pitch_params a2a_pitch_default_params(void);

/* Fundamental frequency of x[0..n) sampled at rate Hz. Returns true and *f0 (Hz) when the
   sound is periodic, false (and *f0 = 0) for noise, silence or too short a signal. p may be
   NULL (defaults). */
bool a2a_pitch_estimate(const float *x, int64_t n, int rate, const a2a_pitch_params *p, float *f0);

/* Index (0..6 into C D E F G A B) of the natural note nearest to f0 in pitch class (octave-
   independent, distance measured in semitones modulo 12); -1 for f0 <= 0. */
int a2a_pitch_note(float f0);
/* "C" .. "B" for 0..6, NULL otherwise. */
const char *a2a_pitch_note_name(int note);

#endif
