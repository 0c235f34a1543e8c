/* FLAC / Ogg (Vorbis, Opus) / MP3 decoding through libsndfile's virtual I/O, when the build
   found libsndfile (A2A_HAVE_SNDFILE); otherwise these formats report A2A_ERR_UNSUPPORTED. */
#include "media/audio.h"

#include <string.h>

#ifdef A2A_HAVE_SNDFILE
#include <sndfile.h>

/* A read-only memory stream for SF_VIRTUAL_IO. */
typedef struct mem_stream {
    const uint8_t *p;
    sf_count_t size, pos;
} mem_stream;

/* SF_VIRTUAL_IO callbacks over a mem_stream (contract: libsndfile's). */
static sf_count_t vio_len(void *user) { return ((mem_stream *)user)->size; }
static sf_count_t vio_seek(sf_count_t off, int whence, void *user) {
    mem_stream *m = (mem_stream *)user;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size;
    if ((off > 0 && base > INT64_MAX - off)) return -1;
    sf_count_t np = base + off;
    if (np < 0) return -1;
    m->pos = np; /* seeking past the end is allowed; reads there return 0 */
    return np;
}
static sf_count_t vio_read(void *ptr, sf_count_t count, void *user) {
    mem_stream *m = (mem_stream *)user;
    if (count <= 0 || m->pos >= m->size) return 0;
    sf_count_t n = m->size - m->pos;
    if (n > count) n = count;
    memcpy(ptr, m->p + m->pos, (size_t)n);
    m->pos += n;
    return n;
}
static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user) { return 0; }
static sf_count_t vio_tell(void *user) { return ((mem_stream *)user)->pos; }

/* Decode data[0..size) with libsndfile; see audio.h. The frame count libsndfile reports is
   an upper bound for the allocation; the clip keeps the frames actually decoded. */
a2a_status a2a_audio_decode_sndfile(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_audio_limits *limits,
                                    a2a_audio *out) {
    memset(out, 0, sizeof *out);
    if (size > (size_t)INT64_MAX) return a2a_fail(ctx, A2A_ERR_NOMEM, "sndfile: input too large");
    mem_stream m = {data, (sf_count_t)size, 0};
    SF_VIRTUAL_IO vio = {vio_len, vio_seek, vio_read, vio_write, vio_tell};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_virtual(&vio, SFM_READ, &info, &m);
    if (!sf) return a2a_fail(ctx, A2A_ERR_FORMAT, "sndfile: cannot decode: %s", sf_strerror(NULL));
    a2a_status st = a2a_audio_alloc_checked(ctx, "sndfile", info.samplerate, info.channels, info.frames, limits, out);
    if (st != A2A_OK) {
        sf_close(sf);
        return st;
    }
    sf_command(sf, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
    int64_t got = 0;
    while (got < out->frames) {
        sf_count_t r = sf_readf_float(sf, out->data + (size_t)got * (size_t)out->channels, out->frames - got);
        if (r <= 0) break;
        got += r;
    }
    int err = sf_error(sf);
    const char *msg = err ? sf_strerror(sf) : "";
    if (err || got == 0) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "sndfile: decode failed after %lld frames: %s", (long long)got,
                      err ? msg : "no samples");
        sf_close(sf);
        a2a_audio_free(out);
        return st;
    }
    sf_close(sf);
    out->frames = got;
    return A2A_OK;
}

#else

/* Built without libsndfile: FLAC/Ogg/MP3 are reported as unsupported. */
a2a_status a2a_audio_decode_sndfile(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_audio_limits *limits,
                                    a2a_audio *out) {
    memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                    "audio: FLAC/Ogg/MP3 need libsndfile, which this build does not have (install libsndfile1-dev and "
                    "re-run cmake), or convert the file to WAV");
}

#endif
