/* RIFF/WAVE decoder: PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE with a PCM
   or float sub-format, any channel count up to A2A_AUDIO_MAX_CHANNELS. Every chunk size is
   checked against the bytes present; chunks are word-aligned (odd sizes carry a pad byte). */
#include "media/audio.h"

#include <string.h>

#define WAVE_FORMAT_PCM 0x0001
#define WAVE_FORMAT_IEEE_FLOAT 0x0003
#define WAVE_FORMAT_EXTENSIBLE 0xFFFE

/* Little-endian readers (p must have the bytes). */
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Printable form of a chunk id for messages (non-printing bytes become '?'). */
static void chunk_name(const uint8_t *id, char out[5]) {
    for (int i = 0; i < 4; i++) out[i] = (id[i] >= 0x20 && id[i] < 0x7F) ? (char)id[i] : '?';
    out[4] = '\0';
}

/* The parsed fmt chunk. */
typedef struct wav_fmt {
    int tag;          /* WAVE_FORMAT_PCM or WAVE_FORMAT_IEEE_FLOAT (extensible resolved) */
    int channels;
    uint32_t rate;
    int block_align;  /* bytes per frame */
    int bits;         /* container bits per sample: 8, 16, 24, 32 (PCM) or 32, 64 (float) */
} wav_fmt;

/* Parse a fmt chunk payload p[0..n) into *f; checks the combination is one we decode. */
static a2a_status parse_fmt(a2a_ctx *ctx, const uint8_t *p, uint32_t n, wav_fmt *f) {
    static const uint8_t guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80,
                                          0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    if (n < 16) return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: fmt chunk is %u bytes (at least 16 needed)", n);
    int tag = rd16(p);
    f->channels = rd16(p + 2);
    f->rate = rd32(p + 4);
    f->block_align = rd16(p + 12);
    f->bits = rd16(p + 14);
    if (tag == WAVE_FORMAT_EXTENSIBLE) {
        if (n < 40 || rd16(p + 16) < 22)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: WAVE_FORMAT_EXTENSIBLE fmt chunk too short (%u bytes)", n);
        int valid_bits = rd16(p + 18);
        if (valid_bits > f->bits)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: %d valid bits in a %d-bit container", valid_bits, f->bits);
        if (memcmp(p + 26, guid_tail, sizeof guid_tail) != 0)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "wav: WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID");
        tag = rd16(p + 24);
    }
    if (tag != WAVE_FORMAT_PCM && tag != WAVE_FORMAT_IEEE_FLOAT)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                        "wav: format tag 0x%04x not supported (PCM, IEEE float and extensible PCM/float only)", tag);
    f->tag = tag;
    if (f->channels < 1 || f->channels > A2A_AUDIO_MAX_CHANNELS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: channel count %d out of range 1..%d", f->channels,
                        A2A_AUDIO_MAX_CHANNELS);
    if (f->rate < 1 || f->rate > A2A_AUDIO_MAX_RATE)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: sample rate %u Hz out of range 1..%d", f->rate, A2A_AUDIO_MAX_RATE);
    bool ok_bits = tag == WAVE_FORMAT_PCM ? (f->bits == 8 || f->bits == 16 || f->bits == 24 || f->bits == 32)
                                          : (f->bits == 32 || f->bits == 64);
    if (!ok_bits)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "wav: %d-bit %s samples not supported", f->bits,
                        tag == WAVE_FORMAT_PCM ? "PCM" : "float");
    if (f->block_align != f->channels * (f->bits / 8))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: block align %d does not match %d channels x %d bits", f->block_align,
                        f->channels, f->bits);
    return A2A_OK;
}

/* Convert frames * channels samples of format f at p to float (see audio.h for scaling). */
static void convert(const wav_fmt *f, const uint8_t *p, size_t count, float *dst) {
    switch (f->tag == WAVE_FORMAT_IEEE_FLOAT ? -f->bits : f->bits) {
    case 8:
        for (size_t i = 0; i < count; i++) dst[i] = (float)((int)p[i] - 128) * (1.0f / 128.0f);
        break;
    case 16:
        for (size_t i = 0; i < count; i++) dst[i] = (float)(int16_t)rd16(p + 2 * i) * (1.0f / 32768.0f);
        break;
    case 24:
        for (size_t i = 0; i < count; i++) {
            const uint8_t *q = p + 3 * i;
            int32_t v = (int32_t)(((uint32_t)q[0] << 8) | ((uint32_t)q[1] << 16) | ((uint32_t)q[2] << 24)) >> 8;
            dst[i] = (float)v * (1.0f / 8388608.0f);
        }
        break;
    case 32:
        for (size_t i = 0; i < count; i++) dst[i] = (float)((double)(int32_t)rd32(p + 4 * i) * (1.0 / 2147483648.0));
        break;
    case -32:
        for (size_t i = 0; i < count; i++) {
            uint32_t u = rd32(p + 4 * i);
            float v;
            memcpy(&v, &u, 4);
            dst[i] = v;
        }
        break;
    case -64:
        for (size_t i = 0; i < count; i++) {
            uint64_t u = (uint64_t)rd32(p + 8 * i) | ((uint64_t)rd32(p + 8 * i + 4) << 32);
            double v;
            memcpy(&v, &u, 8);
            dst[i] = (float)v;
        }
        break;
    default: break; /* unreachable: parse_fmt admitted only the cases above */
    }
}

/* Decode a RIFF/WAVE file; see audio.h. The RIFF size field is not trusted (chunks are
   bounded by the bytes present); a data chunk size of 0xFFFFFFFF (streaming writers) means
   "to the end of the file". Any other chunk running past the end is an error. */
a2a_status a2a_audio_decode_wav(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_audio_limits *limits,
                                a2a_audio *out) {
    memset(out, 0, sizeof *out);
    if (size < 12 || memcmp(data, "RIFF", 4) != 0 || memcmp(data + 8, "WAVE", 4) != 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: not a RIFF/WAVE file");
    wav_fmt fmt = {0, 0, 0, 0, 0};
    bool have_fmt = false;
    const uint8_t *pcm = NULL;
    size_t pcm_bytes = 0;
    size_t pos = 12;
    while (pos < size) {
        char name[5];
        if (size - pos < 8) {
            /* a few stray bytes after the last chunk (e.g. a missing pad) are harmless once
               the data chunk is found */
            if (pcm) break;
            return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: truncated chunk header at offset %zu", pos);
        }
        const uint8_t *id = data + pos;
        uint32_t csize = rd32(data + pos + 4);
        chunk_name(id, name);
        pos += 8;
        size_t avail = size - pos;
        if (memcmp(id, "data", 4) == 0) {
            if (!have_fmt) return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: data chunk before the fmt chunk");
            if (csize == 0xFFFFFFFFu) csize = avail > 0xFFFFFFFEu ? 0xFFFFFFFEu : (uint32_t)avail;
            if (csize > avail)
                return a2a_fail(ctx, A2A_ERR_FORMAT,
                                "wav: data chunk claims %u bytes but only %zu remain (truncated file or lying size)",
                                csize, avail);
            if (!pcm) {
                pcm = data + pos;
                pcm_bytes = csize;
            }
        } else {
            if (csize > avail)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: chunk '%s' claims %u bytes but only %zu remain", name, csize,
                                avail);
            if (memcmp(id, "fmt ", 4) == 0) {
                if (have_fmt) return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: more than one fmt chunk");
                a2a_status st = parse_fmt(ctx, data + pos, csize, &fmt);
                if (st != A2A_OK) return st;
                have_fmt = true;
            }
        }
        pos += csize;
        if ((csize & 1) && pos < size) pos++; /* pad byte */
        if (pcm) break;                      /* everything after the first data chunk is ignored */
    }
    if (!have_fmt) return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: no fmt chunk");
    if (!pcm) return a2a_fail(ctx, A2A_ERR_FORMAT, "wav: no data chunk");
    int64_t frames = (int64_t)(pcm_bytes / (size_t)fmt.block_align); /* a trailing partial frame is dropped */
    a2a_status st = a2a_audio_alloc_checked(ctx, "wav", fmt.rate, fmt.channels, frames, limits, out);
    if (st != A2A_OK) return st;
    convert(&fmt, pcm, (size_t)frames * (size_t)fmt.channels, out->data);
    return A2A_OK;
}
