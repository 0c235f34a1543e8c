/* Audio: container dispatch, limits, downmix. The WAV parser is in audio_wav.c, the
   libsndfile bridge in audio_sndfile.c, the ImageBind front end in fbank.c. */
#include "media/audio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default limits: one hour of audio and 1 GiB of decoded floats. */
a2a_audio_limits a2a_audio_default_limits(void) {
    a2a_audio_limits l;
    l.max_seconds = 3600.0;
    l.max_decoded_bytes = (size_t)1 << 30;
    return l;
}

/* Free a clip's samples and zero the struct; NULL or zeroed is fine. */
void a2a_audio_free(a2a_audio *a) {
    if (!a) return;
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* Validate the format fields against the fixed bounds and limits, then allocate out->data for
   frames * channels floats (uninitialized) and fill rate/channels/frames. On failure out is
   left zeroed and the message names fmt. */
a2a_status a2a_audio_alloc_checked(a2a_ctx *ctx, const char *fmt, int64_t rate, int64_t channels, int64_t frames,
                                   const a2a_audio_limits *limits, a2a_audio *out) {
    a2a_audio_limits dl = a2a_audio_default_limits();
    if (!limits) limits = &dl;
    memset(out, 0, sizeof *out);
    if (rate < 1 || rate > A2A_AUDIO_MAX_RATE)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: sample rate %lld Hz out of range 1..%d", fmt, (long long)rate,
                        A2A_AUDIO_MAX_RATE);
    if (channels < 1 || channels > A2A_AUDIO_MAX_CHANNELS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: channel count %lld out of range 1..%d", fmt, (long long)channels,
                        A2A_AUDIO_MAX_CHANNELS);
    if (frames <= 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no audio samples", fmt);
    double secs = (double)frames / (double)rate;
    if (!(secs <= limits->max_seconds))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: %.1f s of audio exceeds the limit of %.1f s", fmt, secs,
                        limits->max_seconds);
    size_t n, bytes;
    if (!a2a_mul_ok((size_t)frames, (size_t)channels, &n) || !a2a_mul_ok(n, sizeof(float), &bytes) ||
        bytes > limits->max_decoded_bytes)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: %lld frames x %lld channels exceed the decoded-size limit of %zu bytes",
                        fmt, (long long)frames, (long long)channels, limits->max_decoded_bytes);
    out->data = (float *)malloc(bytes);
    if (!out->data) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory for %zu bytes of samples", fmt, bytes);
    out->rate = (int32_t)rate;
    out->channels = (int32_t)channels;
    out->frames = frames;
    return A2A_OK;
}

/* True when p[0..size) starts like an MPEG audio stream: an ID3v2 tag or a frame sync
   (11 set bits) with a valid layer and bitrate/sample-rate index. */
static bool looks_like_mp3(const uint8_t *p, size_t size) {
    if (size >= 3 && memcmp(p, "ID3", 3) == 0) return true;
    if (size < 4) return false;
    if (p[0] != 0xFF || (p[1] & 0xE0) != 0xE0) return false;
    if (((p[1] >> 1) & 3) == 0) return false;      /* layer: reserved */
    if ((p[2] >> 4) == 0xF) return false;          /* bitrate index: bad */
    if (((p[2] >> 2) & 3) == 3) return false;      /* sample-rate index: reserved */
    return true;
}

/* Dispatch on the magic bytes; see audio.h. */
a2a_status a2a_audio_decode(a2a_ctx *ctx, const void *data, size_t size, const a2a_audio_limits *limits, a2a_audio *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio: out is NULL");
    memset(out, 0, sizeof *out);
    if (!data && size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio: data is NULL");
    const uint8_t *p = (const uint8_t *)data;
    if (size == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "audio: empty input");
    a2a_status st;
    if (size < 12 && size >= 4 && memcmp(p, "RIFF", 4) == 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "audio: truncated RIFF header (%zu bytes)", size);
    if (size >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WAVE", 4) == 0) {
        st = a2a_audio_decode_wav(ctx, p, size, limits, out);
    } else if ((size >= 4 && (memcmp(p, "fLaC", 4) == 0 || memcmp(p, "OggS", 4) == 0)) || looks_like_mp3(p, size)) {
        st = a2a_audio_decode_sndfile(ctx, p, size, limits, out);
    } else if (size >= 4 && (memcmp(p, "RIFF", 4) == 0 || memcmp(p, "RIFX", 4) == 0 || memcmp(p, "RF64", 4) == 0)) {
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "audio: RIFF container that is not little-endian WAVE (RIFX/RF64/other) is not supported");
    } else {
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "audio: unrecognized format (expected WAV, FLAC, Ogg or MP3)");
    }
    if (st != A2A_OK) a2a_audio_free(out);
    return st;
}

/* Read the whole file and decode it; see audio.h. */
a2a_status a2a_audio_load(a2a_ctx *ctx, const char *path, const a2a_audio_limits *limits, a2a_audio *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio: path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "audio: cannot open %s: %s", path, strerror(errno));
    a2a_status st = A2A_OK;
    uint8_t *buf = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = a2a_fail(ctx, A2A_ERR_IO, "audio: cannot size %s: %s", path, strerror(errno));
        goto done;
    }
    /* a compressed file cannot be much smaller than... anything; bound the raw size by the
       decoded-size limit plus container slack (a WAV is at most ~2x its float decode for 8-bit) */
    a2a_audio_limits dl = a2a_audio_default_limits();
    const a2a_audio_limits *lim = limits ? limits : &dl;
    if ((size_t)len / 4 > lim->max_decoded_bytes) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "audio: %s is %ld bytes, too large for the decoded-size limit", path, len);
        goto done;
    }
    buf = (uint8_t *)malloc(len > 0 ? (size_t)len : 1);
    if (!buf) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "audio: out of memory reading %s", path);
        goto done;
    }
    if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        st = a2a_fail(ctx, A2A_ERR_IO, "audio: short read on %s", path);
        goto done;
    }
    st = a2a_audio_decode(ctx, buf, (size_t)len, limits, out);
    if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
done:
    free(buf);
    fclose(f);
    return st;
}

/* Mean of the channels per frame; see audio.h. */
a2a_status a2a_audio_to_mono(a2a_ctx *ctx, const a2a_audio *a, float **out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio_to_mono: out is NULL");
    *out = NULL;
    if (!a || !a->data || a->frames <= 0 || a->channels < 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "audio_to_mono: empty or malformed audio");
    size_t bytes;
    if (!a2a_mul_ok((size_t)a->frames, sizeof(float), &bytes))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "audio_to_mono: size overflow");
    float *m = (float *)malloc(bytes);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "audio_to_mono: out of memory");
    const int c = a->channels;
    for (int64_t i = 0; i < a->frames; i++) {
        const float *row = a->data + (size_t)i * (size_t)c;
        double s = 0;
        for (int k = 0; k < c; k++) s += row[k];
        m[i] = (float)(s / c);
    }
    *out = m;
    return A2A_OK;
}
