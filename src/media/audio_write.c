/* WAV encoding: 16-bit PCM / 32-bit float, atomic file writes. See audio_write.h. */
#include "media/audio_write.h"

#include "io/atomic_file.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

a2a_audio_write_params a2a_audio_write_default_params(void) {
    a2a_audio_write_params p;
    memset(&p, 0, sizeof p);
    p.format = A2A_WAV_F32;
    p.pcm16_scale = A2A_WAV_SCALE_32768;
    return p;
}

int16_t a2a_wav_f32_to_s16(float x, a2a_wav_pcm16_scale scale) {
    if (x != x) return 0;
    /* float32 product as libsndfile (scale * src), then rint (lrintf: half to even) */
    float s = x * (scale == A2A_WAV_SCALE_32767 ? 32767.0f : 32768.0f);
    if (s >= 32767.0f) return 32767;
    if (s <= -32768.0f) return -32768;
    return (int16_t)nearbyintf(s);
}

static void put16(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

a2a_status a2a_audio_encode_wav(a2a_ctx *ctx, const a2a_audio *a, const a2a_audio_write_params *params, void **out,
                                size_t *size) {
    if (!out || !size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: NULL output");
    *out = NULL;
    *size = 0;
    a2a_audio_write_params p = params ? *params : a2a_audio_write_default_params();
    if (!a || !a->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: no audio");
    if (a->frames <= 0) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: %lld frames (empty clip)", (long long)a->frames);
    if (a->rate < 1 || a->rate > A2A_AUDIO_MAX_RATE)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: sample rate %d outside 1..%d", a->rate, A2A_AUDIO_MAX_RATE);
    if (a->channels < 1 || a->channels > A2A_AUDIO_MAX_CHANNELS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: %d channels outside 1..%d", a->channels,
                        A2A_AUDIO_MAX_CHANNELS);
    if (p.format != A2A_WAV_F32 && p.format != A2A_WAV_PCM16)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: unknown sample format %d", (int)p.format);
    if (p.pcm16_scale != A2A_WAV_SCALE_32768 && p.pcm16_scale != A2A_WAV_SCALE_32767)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: unknown PCM16 scale %d", (int)p.pcm16_scale);
    bool flt = p.format == A2A_WAV_F32;
    bool ext = a->channels > 2;
    uint32_t bps = flt ? 4 : 2;
    uint64_t n_samples = (uint64_t)a->frames * (uint64_t)a->channels; /* frames < 2^63, channels <= 256 */
    if (n_samples / (uint64_t)a->channels != (uint64_t)a->frames || n_samples > UINT64_MAX / bps)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "wav writer: clip too large");
    uint64_t data_bytes = n_samples * bps;
    uint32_t fmt_len = ext ? 40 : flt ? 18 : 16;
    uint32_t hdr = 12 + 8 + fmt_len + (flt ? 12 : 0) + 8;
    /* RIFF size field is 32-bit: header - 8 + data (+ pad byte, never needed: data is even) */
    if (data_bytes > 0xFFFFFFFFull - hdr)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "wav writer: %llu bytes of samples exceed the 4 GiB RIFF limit",
                        (unsigned long long)data_bytes);
    size_t total = (size_t)(hdr + data_bytes);
    uint8_t *b = malloc(total);
    if (!b) return a2a_fail(ctx, A2A_ERR_NOMEM, "wav writer: out of memory (%zu bytes)", total);
    uint8_t *q = b;
    memcpy(q, "RIFF", 4);
    put32(q + 4, (uint32_t)(total - 8));
    memcpy(q + 8, "WAVE", 4);
    q += 12;
    memcpy(q, "fmt ", 4);
    put32(q + 4, fmt_len);
    put16(q + 8, ext ? 0xFFFE : flt ? 3 : 1);
    put16(q + 10, (uint32_t)a->channels);
    put32(q + 12, (uint32_t)a->rate);
    put32(q + 16, (uint32_t)a->rate * (uint32_t)a->channels * bps); /* <= 768000*256*4 < 2^32 */
    put16(q + 20, (uint32_t)a->channels * bps); /* block align */
    put16(q + 22, bps * 8);                     /* bits per sample */
    if (fmt_len >= 18) put16(q + 24, ext ? 22 : 0); /* cbSize */
    if (ext) {
        put16(q + 26, bps * 8); /* valid bits */
        put32(q + 28, 0);       /* channel mask: unassigned */
        /* sub-format GUID {0000000x-0000-0010-8000-00AA00389B71}, x = 1 PCM, 3 float */
        static const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                              0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
        put16(q + 32, flt ? 3 : 1);
        memcpy(q + 34, guid_tail, 14);
    }
    q += 8 + fmt_len;
    if (flt) {
        memcpy(q, "fact", 4);
        put32(q + 4, 4);
        put32(q + 8, a->frames > 0xFFFFFFFFll ? 0xFFFFFFFFu : (uint32_t)a->frames);
        q += 12;
    }
    memcpy(q, "data", 4);
    put32(q + 4, (uint32_t)data_bytes);
    q += 8;
    if (flt) {
        for (uint64_t i = 0; i < n_samples; i++) {
            uint32_t u;
            memcpy(&u, &a->data[i], 4);
            put32(q + 4 * i, u);
        }
    } else {
        for (uint64_t i = 0; i < n_samples; i++) put16(q + 2 * i, (uint16_t)a2a_wav_f32_to_s16(a->data[i], p.pcm16_scale));
    }
    *out = b;
    *size = total;
    return A2A_OK;
}

a2a_status a2a_audio_write(a2a_ctx *ctx, const a2a_audio *a, const char *path, const a2a_audio_write_params *params) {
    if (!path || !*path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "wav writer: empty output path");
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot || strcasecmp(dot, ".wav") != 0)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "audio writer: '%s': only .wav output is supported", path);
    void *buf = NULL;
    size_t n = 0;
    a2a_status st = a2a_audio_encode_wav(ctx, a, params, &buf, &n);
    if (st) {
        a2a_error_prefix(ctx, "%s", path);
        return st;
    }
    st = a2a_atomic_file_write_all(ctx, "wav writer", path, buf, n);
    free(buf);
    return st;
}
