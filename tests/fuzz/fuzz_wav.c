/* libFuzzer target: decode arbitrary bytes with a2a_audio_decode under small limits (2 s,
   256 KiB of floats); on success read every sample, mix to mono, and for sample rates whose
   resampling to 16 kHz needs a small phase table run the whole ImageBind front end
   (resample + kaldi fbank + clip logic) on clips of at most 0.5 s and on one input in four (those
   whose size is a multiple of 4): the front end costs ~100x the parse under ASan, and the
   parser is the main target. Inputs that carry a FLAC/Ogg/MP3 signature are
   skipped: those bytes go to libsndfile, which is not this project's code. */
#include "media/audio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile float sink;

/* Greatest common divisor of two positive ints. */
static int gcd_int(int a, int b) {
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* libFuzzer entry point: never fails, only lets sanitizers report. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 4 && (memcmp(data, "fLaC", 4) == 0 || memcmp(data, "OggS", 4) == 0 || memcmp(data, "ID3", 3) == 0))
        return 0;
    if (size >= 2 && data[0] == 0xFF && (data[1] & 0xE0) == 0xE0) return 0;
    static a2a_ctx *ctx;
    if (!ctx) ctx = a2a_ctx_new();
    a2a_audio_limits lim = a2a_audio_default_limits();
    lim.max_seconds = 2.0;
    lim.max_decoded_bytes = 256 * 1024;
    a2a_audio a;
    if (a2a_audio_decode(ctx, data, size, &lim, &a) != A2A_OK) return 0;
    float acc = 0;
    for (int64_t i = 0; i < a.frames * a.channels; i++) acc += a.data[i];
    float *mono = NULL;
    if (a2a_audio_to_mono(ctx, &a, &mono) == A2A_OK) acc += mono[a.frames - 1];
    free(mono);
    if ((size & 3) == 0 && a.frames <= a.rate / 2 && 16000 / gcd_int(a.rate, 16000) <= 640) {
        static float ib[A2A_IMAGEBIND_AUDIO_CLIPS * A2A_IMAGEBIND_AUDIO_MELS * A2A_IMAGEBIND_AUDIO_FRAMES];
        if (a2a_audio_to_imagebind(ctx, &a, ib) == A2A_OK) acc += ib[0] + ib[sizeof ib / sizeof ib[0] - 1];
    }
    sink = acc;
    a2a_audio_free(&a);
    return 0;
}
