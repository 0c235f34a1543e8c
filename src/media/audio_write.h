/* WAV encoding (own writer, no dependency): 16-bit PCM or 32-bit IEEE float, any rate and
   channel count the decoders accept; written atomically (io/atomic_file.h).

     a2a_audio a = {.rate = 16000, .channels = 1, .frames = n, .data = samples};
     a2a_audio_write(ctx, &a, "out.wav", NULL);        // 32-bit float WAV by default

   Layout: RIFF/WAVE with a 16-byte "fmt " chunk (PCM, tag 1) or an 18-byte one plus a "fact"
   chunk (float, tag 3: what scipy.io.wavfile.write produces for float32 data, the way the
   diffusers AudioLDM examples save audio); more than 2 channels use WAVE_FORMAT_EXTENSIBLE
   (40-byte fmt, channel mask 0 = unassigned, PCM/float sub-format GUID). */
#ifndef A2A_MEDIA_AUDIO_WRITE_H
#define A2A_MEDIA_AUDIO_WRITE_H

#include "media/audio.h"

#include <stdbool.h>

/* Sample format of the written file. */
typedef enum a2a_wav_format {
    A2A_WAV_F32 = 0, /* IEEE float 32-bit: samples stored unchanged (no clipping); the default */
    A2A_WAV_PCM16,   /* signed 16-bit PCM, scaled per a2a_wav_pcm16_scale, rounded half to even, clipped */
} a2a_wav_format;

/* Float -> 16-bit scale. */
typedef enum a2a_wav_pcm16_scale {
    A2A_WAV_SCALE_32768 = 0, /* s = clip(rint(x * 32768), -32768, 32767): exact inverse of the decoders'
                                s / 32768 (every k / 32768 round-trips bit-exactly) and of
                                torchaudio/soundfile reading; the default */
    A2A_WAV_SCALE_32767,     /* s = clip(rint(x * 32767), -32768, 32767): libsndfile's default float ->
                                PCM_16 conversion (what soundfile.write(..., subtype="PCM_16") does),
                                bit-exact for |x| <= 1; beyond that libsndfile wraps around (its
                                optional SFC_SET_CLIPPING mode instead uses floor(x * 32768)),
                                we clip */
} a2a_wav_pcm16_scale;

/* Encoder options; get defaults from a2a_audio_write_default_params(). */
typedef struct a2a_audio_write_params {
    a2a_wav_format format;           /* default A2A_WAV_F32 */
    a2a_wav_pcm16_scale pcm16_scale; /* default A2A_WAV_SCALE_32768 */
} a2a_audio_write_params;

/* Defaults: 32-bit float, PCM16 scale 32768. */
a2a_audio_write_params a2a_audio_write_default_params(void);

/* One float sample -> 16-bit PCM as described by scale (NaN -> 0). */
int16_t a2a_wav_f32_to_s16(float x, a2a_wav_pcm16_scale scale);

/* Encode a as a WAV file into a malloc'd buffer (*out, *size; caller frees with free). params may
   be NULL (defaults). Errors: A2A_ERR_INVALID_ARG (NULL/empty clip, frames <= 0, rate or
   channels outside 1..A2A_AUDIO_MAX_RATE / 1..A2A_AUDIO_MAX_CHANNELS, unknown format),
   A2A_ERR_NOMEM (data over the 4 GiB RIFF limit, or malloc). On failure *out = NULL. */
a2a_status a2a_audio_encode_wav(a2a_ctx *ctx, const a2a_audio *a, const a2a_audio_write_params *params, void **out,
                                size_t *size);

/* Encode a (as a2a_audio_encode_wav) and write it atomically to path, which must end in .wav
   (case-insensitive; else A2A_ERR_UNSUPPORTED). A2A_ERR_IO when the directory is missing or not
   writable; nothing appears at path and an existing file there is untouched on any error. */
a2a_status a2a_audio_write(a2a_ctx *ctx, const a2a_audio *a, const char *path, const a2a_audio_write_params *params);

#endif
