/* Video decoding through FFmpeg. See video.h for the contract. */
#include "media/video.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

a2a_video_limits a2a_video_default_limits(void) {
    a2a_video_limits l;
    l.max_pixels = (int64_t)64 << 20;
    l.max_dim = 16384;
    l.max_duration_s = 24.0 * 3600.0;
    l.max_decoded_frames = 100000;
    l.max_decoded_bytes = (size_t)4 << 30;
    return l;
}

#ifndef A2A_HAVE_FFMPEG

#define A2A_NO_FFMPEG                                                                                    \
    "video: built without FFmpeg; install libavformat-dev libavcodec-dev libswscale-dev libavutil-dev " \
    "libswresample-dev (scripts/deps.sh) and reconfigure"

a2a_status a2a_video_probe(a2a_ctx *ctx, const char *path, a2a_video_info *out) {
    if (out) memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: " A2A_NO_FFMPEG, path ? path : "(null)");
}

a2a_status a2a_video_frames_at(a2a_ctx *ctx, const char *path, const double *times_s, int n,
                               const a2a_video_limits *lim, a2a_image *frames) {
    if (frames && n > 0) memset(frames, 0, (size_t)n * sizeof *frames);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: " A2A_NO_FFMPEG, path ? path : "(null)");
}

a2a_status a2a_video_decode_memory(a2a_ctx *ctx, const void *data, size_t size, const double *times_s, int n,
                                   const a2a_video_limits *lim, a2a_image *frames, a2a_video_info *info) {
    if (frames && n > 0) memset(frames, 0, (size_t)n * sizeof *frames);
    if (info) memset(info, 0, sizeof *info);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, A2A_NO_FFMPEG);
}

a2a_status a2a_video_audio(a2a_ctx *ctx, const char *path, const a2a_audio_limits *limits, a2a_audio *out) {
    if (out) memset(out, 0, sizeof *out);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: " A2A_NO_FFMPEG, path ? path : "(null)");
}

void a2a_video_set_ffmpeg_log_quiet(bool quiet) { (void)quiet; }

#else /* A2A_HAVE_FFMPEG */

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>

#define AVIO_BUF 16384

void a2a_video_set_ffmpeg_log_quiet(bool quiet) { av_log_set_level(quiet ? AV_LOG_QUIET : AV_LOG_INFO); }

/* Byte source behind our AVIOContext: a memory buffer or a stdio file. */
typedef struct vsrc {
    const uint8_t *data; /* memory source: data[0..size) */
    size_t size, pos;
    FILE *f;             /* file source (size = file size) */
} vsrc;

/* AVIO read callback: at most buf_size bytes from the current position; AVERROR_EOF at the end. */
static int vsrc_read(void *opaque, uint8_t *buf, int buf_size) {
    vsrc *s = opaque;
    if (buf_size <= 0) return 0;
    if (s->f) {
        size_t got = fread(buf, 1, (size_t)buf_size, s->f);
        if (got == 0) return ferror(s->f) ? AVERROR(EIO) : AVERROR_EOF;
        return (int)got;
    }
    if (s->pos >= s->size) return AVERROR_EOF;
    size_t k = A2A_MIN((size_t)buf_size, s->size - s->pos);
    memcpy(buf, s->data + s->pos, k);
    s->pos += k;
    return (int)k;
}

/* AVIO seek callback: SEEK_SET/CUR/END within [0, size], AVSEEK_SIZE; -1 style errors otherwise. */
static int64_t vsrc_seek(void *opaque, int64_t offset, int whence) {
    vsrc *s = opaque;
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE) return s->size > (size_t)INT64_MAX ? AVERROR(EINVAL) : (int64_t)s->size;
    int64_t base;
    if (whence == SEEK_SET) base = 0;
    else if (whence == SEEK_CUR) base = s->f ? (int64_t)ftello(s->f) : (int64_t)s->pos;
    else if (whence == SEEK_END) base = (int64_t)s->size;
    else return AVERROR(EINVAL);
    int64_t np;
    if (base < 0 || __builtin_add_overflow(base, offset, &np) || np < 0 || (uint64_t)np > (uint64_t)s->size)
        return AVERROR(EINVAL);
    if (s->f) {
        if (fseeko(s->f, (off_t)np, SEEK_SET) != 0) return AVERROR(EIO);
    } else {
        s->pos = (size_t)np;
    }
    return np;
}

/* io_open callback that refuses every nested open (HLS/concat/image2 and friends). */
static int refuse_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags,
                          AVDictionary **options) {
    return AVERROR(EPERM);
}

/* An opened input: source, our AVIO, the demuxer context. */
typedef struct vin {
    vsrc src;
    AVIOContext *avio;
    AVFormatContext *fmt;
    const char *name; /* for messages */
} vin;

/* Close everything of in (safe on a partly opened or zeroed vin). */
static void vin_close(vin *in) {
    if (in->fmt) avformat_close_input(&in->fmt); /* custom pb: not freed by FFmpeg */
    if (in->avio) {
        av_freep(&in->avio->buffer);
        avio_context_free(&in->avio);
    }
    if (in->src.f) fclose(in->src.f);
    in->src.f = NULL;
}

/* FFmpeg error code as text (static per-call buffer owned by the caller). */
static const char *averr(int e, char *buf, size_t n) {
    if (av_strerror(e, buf, n) < 0) snprintf(buf, n, "error %d", e);
    return buf;
}

/* Open the demuxer over in->src (already set up) and read stream info. */
static a2a_status vin_open(a2a_ctx *ctx, vin *in) {
    char eb[128];
    uint8_t *buf = av_malloc(AVIO_BUF);
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", in->name);
    in->avio = avio_alloc_context(buf, AVIO_BUF, 0, &in->src, vsrc_read, NULL, vsrc_seek);
    if (!in->avio) {
        av_free(buf);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", in->name);
    }
    in->fmt = avformat_alloc_context();
    if (!in->fmt) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", in->name);
    in->fmt->pb = in->avio;
    in->fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
    in->fmt->io_open = refuse_io_open;
    int r = avformat_open_input(&in->fmt, NULL, NULL, NULL); /* frees fmt on failure */
    if (r < 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: not a recognised video/media file (%s)", in->name,
                        averr(r, eb, sizeof eb));
    r = avformat_find_stream_info(in->fmt, NULL);
    if (r < 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: cannot read stream info (%s)", in->name, averr(r, eb, sizeof eb));
    return A2A_OK;
}

/* Open path as a file source. */
static a2a_status vin_open_path(a2a_ctx *ctx, vin *in, const char *path) {
    memset(in, 0, sizeof *in);
    if (!path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video: path is NULL");
    in->name = path;
    in->src.f = fopen(path, "rb");
    if (!in->src.f) return a2a_fail(ctx, A2A_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(in->src.f), &sb) != 0 || !S_ISREG(sb.st_mode))
        return a2a_fail(ctx, A2A_ERR_IO, "%s: not a regular file", path);
    if (fseeko(in->src.f, 0, SEEK_END) != 0) return a2a_fail(ctx, A2A_ERR_IO, "%s: cannot seek (not a regular file?)", path);
    off_t sz = ftello(in->src.f);
    if (sz < 0 || fseeko(in->src.f, 0, SEEK_SET) != 0) return a2a_fail(ctx, A2A_ERR_IO, "%s: cannot seek", path);
    if (sz == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: empty file", path);
    in->src.size = (size_t)sz;
    return vin_open(ctx, in);
}

/* Open a memory source. */
static a2a_status vin_open_mem(a2a_ctx *ctx, vin *in, const void *data, size_t size) {
    memset(in, 0, sizeof *in);
    in->name = "video (memory)";
    if (!data && size) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video: data is NULL");
    if (size == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: empty input", in->name);
    in->src.data = data;
    in->src.size = size;
    return vin_open(ctx, in);
}

/* Index of the best video stream, or a failure. */
static a2a_status find_video(a2a_ctx *ctx, vin *in, int *vidx) {
    int r = av_find_best_stream(in->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    if (r < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no video stream", in->name);
    /* skip attached pictures (cover art) */
    if (in->fmt->streams[r]->disposition & AV_DISPOSITION_ATTACHED_PIC)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no video stream (only cover art)", in->name);
    *vidx = r;
    return A2A_OK;
}

/* Fill info from the opened input and video stream vidx. */
static a2a_status fill_info(a2a_ctx *ctx, vin *in, int vidx, a2a_video_info *info) {
    memset(info, 0, sizeof *info);
    AVStream *st = in->fmt->streams[vidx];
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: video stream has zero size (%dx%d)", in->name, st->codecpar->width,
                        st->codecpar->height);
    info->width = st->codecpar->width;
    info->height = st->codecpar->height;
    AVRational fr = av_guess_frame_rate(in->fmt, st, NULL);
    if (fr.num > 0 && fr.den > 0) info->fps = av_q2d(fr);
    double d = 0;
    if (st->duration > 0 && st->duration != AV_NOPTS_VALUE && st->time_base.num > 0 && st->time_base.den > 0)
        d = (double)st->duration * av_q2d(st->time_base);
    else if (in->fmt->duration > 0 && in->fmt->duration != AV_NOPTS_VALUE)
        d = (double)in->fmt->duration / AV_TIME_BASE;
    if (isfinite(d) && d > 0) info->duration_s = d;
    if (st->nb_frames > 0) info->n_frames_est = st->nb_frames;
    else if (info->duration_s > 0 && info->fps > 0 && info->duration_s * info->fps < 9e15)
        info->n_frames_est = (int64_t)llround(info->duration_s * info->fps);
    for (unsigned i = 0; i < in->fmt->nb_streams; i++)
        if (in->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) info->has_audio = true;
    return A2A_OK;
}

a2a_status a2a_video_probe(a2a_ctx *ctx, const char *path, a2a_video_info *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_probe: out is NULL");
    memset(out, 0, sizeof *out);
    vin in;
    a2a_status st = vin_open_path(ctx, &in, path);
    int vidx = -1;
    if (st == A2A_OK) st = find_video(ctx, &in, &vidx);
    if (st == A2A_OK) st = fill_info(ctx, &in, vidx, out);
    if (st == A2A_OK && !avcodec_find_decoder(in.fmt->streams[vidx]->codecpar->codec_id))
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: no decoder for video codec '%s'", path,
                      avcodec_get_name(in.fmt->streams[vidx]->codecpar->codec_id));
    vin_close(&in);
    if (st != A2A_OK) memset(out, 0, sizeof *out);
    return st;
}

/* State of one frames-at decode. */
typedef struct vdec {
    vin *in;
    const a2a_video_limits *lim;
    int vidx;
    AVStream *st;
    AVCodecContext *dec;
    AVPacket *pkt;
    AVFrame *frame, *last; /* last: most recent frame before the target (fallback at EOF) */
    struct SwsContext *sws;
    int64_t frames_decoded, packets_read, packets_cap;
    size_t bytes_out;
    int bad_packets;
} vdec;

/* Check a frame's size against the limits. */
static a2a_status check_dims(a2a_ctx *ctx, vdec *d, int w, int h) {
    if (w <= 0 || h <= 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: zero-size video frame (%dx%d)", d->in->name, w, h);
    if (w > d->lim->max_dim || h > d->lim->max_dim || (int64_t)w * h > d->lim->max_pixels)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: video frame %dx%d exceeds the limits (%d per side, %lld pixels)",
                        d->in->name, w, h, d->lim->max_dim, (long long)d->lim->max_pixels);
    return A2A_OK;
}

/* Convert frame f to a new RGB24 image *out with swscale (see video.h for the settings). */
static a2a_status to_rgb(a2a_ctx *ctx, vdec *d, const AVFrame *f, a2a_image *out) {
    a2a_status s = check_dims(ctx, d, f->width, f->height);
    if (s != A2A_OK) return s;
    if (f->format < 0 || !av_pix_fmt_desc_get((enum AVPixelFormat)f->format))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: decoded frame has no pixel format", d->in->name);
    size_t bytes = (size_t)f->width * (size_t)f->height * 3, total;
    if (!a2a_add_ok(d->bytes_out, bytes, &total) || total > d->lim->max_decoded_bytes)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: decoded frames exceed max_decoded_bytes (%zu)", d->in->name,
                        d->lim->max_decoded_bytes);
    /* yuvj* (JPEG range) are the yuv* layouts with full range: give swscale the non-deprecated
       name and the range explicitly (same pixels, no "deprecated pixel format" warning) */
    enum AVPixelFormat pf = (enum AVPixelFormat)f->format;
    bool full = f->color_range == AVCOL_RANGE_JPEG;
    switch (pf) {
    case AV_PIX_FMT_YUVJ420P: pf = AV_PIX_FMT_YUV420P; full = true; break;
    case AV_PIX_FMT_YUVJ422P: pf = AV_PIX_FMT_YUV422P; full = true; break;
    case AV_PIX_FMT_YUVJ444P: pf = AV_PIX_FMT_YUV444P; full = true; break;
    case AV_PIX_FMT_YUVJ440P: pf = AV_PIX_FMT_YUV440P; full = true; break;
    case AV_PIX_FMT_YUVJ411P: pf = AV_PIX_FMT_YUV411P; full = true; break;
    default: break;
    }
    d->sws = sws_getCachedContext(d->sws, f->width, f->height, pf, f->width, f->height,
                                  AV_PIX_FMT_RGB24, SWS_BICUBIC, NULL, NULL, NULL);
    if (!d->sws)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: cannot convert pixel format %s to RGB", d->in->name,
                        av_get_pix_fmt_name((enum AVPixelFormat)f->format));
    /* colour matrix and range from the frame */
    int cs = f->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
    int *inv_table, *table, src_range, dst_range, bri, con, sat;
    if (sws_getColorspaceDetails(d->sws, &inv_table, &src_range, &table, &dst_range, &bri, &con, &sat) >= 0) {
        if (full) src_range = 1;
        sws_setColorspaceDetails(d->sws, sws_getCoefficients(cs), src_range, table, dst_range, bri, con, sat);
    }
    a2a_image_limits il = a2a_image_default_limits();
    il.max_pixels = d->lim->max_pixels;
    il.max_dim = d->lim->max_dim;
    s = a2a_image_alloc(ctx, f->width, f->height, &il, out);
    if (s != A2A_OK) return s;
    /* swscale's SIMD paths write rows in blocks past width*3 bytes: convert into an aligned,
       padded buffer and copy the rows out */
    int ls = FFALIGN(f->width * 3, 64);
    uint8_t *tmp = av_malloc((size_t)ls * (size_t)f->height + 64);
    if (!tmp) {
        a2a_image_free(out);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", d->in->name);
    }
    uint8_t *dst[4] = {tmp, NULL, NULL, NULL};
    int dst_stride[4] = {ls, 0, 0, 0};
    int r = sws_scale(d->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height, dst, dst_stride);
    for (int y = 0; r == f->height && y < f->height; y++)
        memcpy(out->data + (size_t)y * f->width * 3, tmp + (size_t)y * ls, (size_t)f->width * 3);
    av_free(tmp);
    if (r != f->height) {
        a2a_image_free(out);
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: pixel conversion failed", d->in->name);
    }
    d->bytes_out = total;
    return A2A_OK;
}

/* Decode the first frame with pts >= t (seconds from the file start) into *out. */
static a2a_status frame_at(a2a_ctx *ctx, vdec *d, double t, bool first, a2a_image *out) {
    char eb[128];
    AVRational tb = d->st->time_base;
    if (tb.num <= 0 || tb.den <= 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: invalid stream time base", d->in->name);
    double start = 0;
    if (d->in->fmt->start_time != AV_NOPTS_VALUE) start = (double)d->in->fmt->start_time / AV_TIME_BASE;
    double target = (start + t) / av_q2d(tb); /* in stream ticks */
    if (!(target < 9e18)) target = 9e18;
    int64_t seek_ts = (int64_t)floor(target);
    int r = av_seek_frame(d->in->fmt, d->vidx, seek_ts, AVSEEK_FLAG_BACKWARD);
    if (r < 0) {
        r = avformat_seek_file(d->in->fmt, d->vidx, INT64_MIN, seek_ts, seek_ts, 0);
        if (r < 0 && !first)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: cannot seek to %.3f s (%s)", d->in->name, t, averr(r, eb, sizeof eb));
    }
    avcodec_flush_buffers(d->dec);
    av_frame_unref(d->last);
    bool draining = false;
    int64_t prev_pts = AV_NOPTS_VALUE;
    for (;;) {
        r = avcodec_receive_frame(d->dec, d->frame);
        if (r == 0) {
            if (++d->frames_decoded > d->lim->max_decoded_frames) {
                av_frame_unref(d->frame);
                return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: more than max_decoded_frames (%lld) decoded", d->in->name,
                                (long long)d->lim->max_decoded_frames);
            }
            a2a_status s = check_dims(ctx, d, d->frame->width, d->frame->height);
            if (s != A2A_OK) {
                av_frame_unref(d->frame);
                return s;
            }
            int64_t pts = d->frame->best_effort_timestamp;
#if LIBAVUTIL_VERSION_INT >= AV_VERSION_INT(57, 30, 100)
            int64_t fdur = d->frame->duration;
#else
            int64_t fdur = d->frame->pkt_duration;
#endif
            if (pts == AV_NOPTS_VALUE && prev_pts != AV_NOPTS_VALUE && fdur > 0) pts = prev_pts + fdur;
            prev_pts = pts;
            if (pts == AV_NOPTS_VALUE || (double)pts >= target - 1e-3) {
                s = to_rgb(ctx, d, d->frame, out);
                av_frame_unref(d->frame);
                return s;
            }
            av_frame_unref(d->last);
            av_frame_move_ref(d->last, d->frame);
            continue;
        }
        if (r == AVERROR_EOF) break;
        if (r != AVERROR(EAGAIN))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: video decode error (%s)", d->in->name, averr(r, eb, sizeof eb));
        if (draining) break; /* cannot happen: a draining decoder ends with EOF */
        if (++d->packets_read > d->packets_cap)
            return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: too many packets read without reaching %.3f s", d->in->name, t);
        r = av_read_frame(d->in->fmt, d->pkt);
        if (r == AVERROR_EOF) {
            draining = true;
            r = avcodec_send_packet(d->dec, NULL);
            if (r < 0 && r != AVERROR_EOF)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: video decode error (%s)", d->in->name, averr(r, eb, sizeof eb));
            continue;
        }
        if (r < 0)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: read error, file corrupt or truncated (%s)", d->in->name,
                            averr(r, eb, sizeof eb));
        if (d->pkt->stream_index != d->vidx) {
            av_packet_unref(d->pkt);
            continue;
        }
        r = avcodec_send_packet(d->dec, d->pkt);
        av_packet_unref(d->pkt);
        if (r == AVERROR_INVALIDDATA) {
            d->bad_packets++; /* corrupt packet: skipped, like the ffmpeg CLI does */
        } else if (r < 0 && r != AVERROR(EAGAIN)) {
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: video decode error (%s)", d->in->name, averr(r, eb, sizeof eb));
        }
    }
    if (d->last->buf[0]) return to_rgb(ctx, d, d->last, out); /* t past the end: the last frame */
    return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no decodable video frame at or after %.3f s%s", d->in->name, t,
                    d->bad_packets ? " (corrupt packets)" : "");
}

/* The shared body of a2a_video_frames_at and a2a_video_decode_memory; in is open. */
static a2a_status decode_frames(a2a_ctx *ctx, vin *in, const double *times_s, int n, const a2a_video_limits *lim,
                                a2a_image *frames, a2a_video_info *info) {
    a2a_video_info vi;
    int vidx = -1;
    a2a_status s = find_video(ctx, in, &vidx);
    if (s == A2A_OK) s = fill_info(ctx, in, vidx, &vi);
    if (s != A2A_OK) return s;
    if (info) *info = vi;
    vdec d;
    memset(&d, 0, sizeof d);
    d.in = in;
    d.lim = lim;
    d.vidx = vidx;
    d.st = in->fmt->streams[vidx];
    s = check_dims(ctx, &d, vi.width, vi.height);
    if (s != A2A_OK) return s;
    if (vi.duration_s > lim->max_duration_s)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: duration %.1f s exceeds the limit (%.1f s)", in->name, vi.duration_s,
                        lim->max_duration_s);
    if (n == 0) return A2A_OK;
    const AVCodec *codec = avcodec_find_decoder(d.st->codecpar->codec_id);
    if (!codec)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: no decoder for video codec '%s'", in->name,
                        avcodec_get_name(d.st->codecpar->codec_id));
    d.dec = avcodec_alloc_context3(codec);
    d.pkt = av_packet_alloc();
    d.frame = av_frame_alloc();
    d.last = av_frame_alloc();
    if (!d.dec || !d.pkt || !d.frame || !d.last) {
        s = a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", in->name);
        goto done;
    }
    char eb[128];
    int r = avcodec_parameters_to_context(d.dec, d.st->codecpar);
    if (r >= 0) {
        d.dec->thread_count = 1; /* deterministic, bounded work per packet */
        d.dec->max_pixels = lim->max_pixels;
        d.dec->pkt_timebase = d.st->time_base;
        r = avcodec_open2(d.dec, codec, NULL);
    }
    if (r < 0) {
        s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: cannot open %s decoder (%s)", in->name, codec->name,
                     averr(r, eb, sizeof eb));
        goto done;
    }
    int64_t cap = lim->max_decoded_frames;
    d.packets_cap = cap > (INT64_MAX - 4096) / 64 ? INT64_MAX : cap * 64 + 4096; /* all streams' packets */
    for (int i = 0; i < n; i++) {
        s = frame_at(ctx, &d, times_s[i], i == 0, &frames[i]);
        if (s != A2A_OK) break;
    }
done:
    sws_freeContext(d.sws);
    av_frame_free(&d.frame);
    av_frame_free(&d.last);
    av_packet_free(&d.pkt);
    avcodec_free_context(&d.dec);
    return s;
}

/* Validate the frames-at arguments. */
static a2a_status check_args(a2a_ctx *ctx, const double *times_s, int n, const a2a_image *frames, int min_n) {
    if (n < min_n || (n > 0 && (!times_s || !frames)))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video: bad arguments (n=%d, times/frames NULL?)", n);
    for (int i = 0; i < n; i++)
        if (!isfinite(times_s[i]) || times_s[i] < 0)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video: time %d (%g) must be finite and >= 0", i, times_s[i]);
    return A2A_OK;
}

/* Free frames[0..n) (on failure). */
static void free_frames(a2a_image *frames, int n) {
    for (int i = 0; frames && i < n; i++) a2a_image_free(&frames[i]);
}

a2a_status a2a_video_frames_at(a2a_ctx *ctx, const char *path, const double *times_s, int n,
                               const a2a_video_limits *lim, a2a_image *frames) {
    if (frames && n > 0) memset(frames, 0, (size_t)n * sizeof *frames);
    a2a_status s = check_args(ctx, times_s, n, frames, 1);
    if (s != A2A_OK) return s;
    a2a_video_limits dl = a2a_video_default_limits();
    vin in;
    s = vin_open_path(ctx, &in, path);
    if (s == A2A_OK) s = decode_frames(ctx, &in, times_s, n, lim ? lim : &dl, frames, NULL);
    vin_close(&in);
    if (s != A2A_OK) free_frames(frames, n);
    return s;
}

a2a_status a2a_video_decode_memory(a2a_ctx *ctx, const void *data, size_t size, const double *times_s, int n,
                                   const a2a_video_limits *lim, a2a_image *frames, a2a_video_info *info) {
    if (frames && n > 0) memset(frames, 0, (size_t)n * sizeof *frames);
    if (info) memset(info, 0, sizeof *info);
    a2a_status s = check_args(ctx, times_s, n, frames, 0);
    if (s != A2A_OK) return s;
    a2a_video_limits dl = a2a_video_default_limits();
    vin in;
    s = vin_open_mem(ctx, &in, data, size);
    if (s == A2A_OK) s = decode_frames(ctx, &in, times_s, n, lim ? lim : &dl, frames, info);
    vin_close(&in);
    if (s != A2A_OK) {
        free_frames(frames, n);
        if (info) memset(info, 0, sizeof *info);
    }
    return s;
}

/* ---------------------------------------------------------------- audio track */

/* Growable float buffer for decoded audio. */
typedef struct fbuf {
    float *p;
    size_t n, cap; /* floats */
} fbuf;

/* Make room for extra more floats, within max_floats. */
static a2a_status fbuf_reserve(a2a_ctx *ctx, fbuf *b, size_t extra, size_t max_floats, const char *name) {
    size_t need;
    if (!a2a_add_ok(b->n, extra, &need) || need > max_floats)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: decoded audio exceeds the limits", name);
    if (need <= b->cap) return A2A_OK;
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < need) nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    if (nc > max_floats) nc = max_floats;
    float *q = realloc(b->p, nc * sizeof *q);
    if (!q) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", name);
    b->p = q;
    b->cap = nc;
    return A2A_OK;
}

/* Convert (or, with f == NULL, flush) through swr into b. */
static a2a_status swr_push(a2a_ctx *ctx, SwrContext *swr, const AVFrame *f, int ch, fbuf *b, size_t max_floats,
                           const char *name) {
    char eb[128];
    for (;;) {
        int want = swr_get_out_samples(swr, f ? f->nb_samples : 0);
        if (want < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: audio conversion error", name);
        if (want == 0) return A2A_OK;
        size_t extra;
        if (!a2a_mul_ok((size_t)want, (size_t)ch, &extra)) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: audio too large", name);
        a2a_status s = fbuf_reserve(ctx, b, extra, max_floats, name);
        if (s != A2A_OK) return s;
        uint8_t *outp = (uint8_t *)(b->p + b->n);
        int got = swr_convert(swr, &outp, want, f ? (const uint8_t **)f->extended_data : NULL, f ? f->nb_samples : 0);
        if (got < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: audio conversion error (%s)", name, averr(got, eb, sizeof eb));
        b->n += (size_t)got * (size_t)ch;
        if (f || got == 0) return A2A_OK; /* flushing: repeat until nothing is left */
    }
}

a2a_status a2a_video_audio(a2a_ctx *ctx, const char *path, const a2a_audio_limits *limits, a2a_audio *out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_audio: out is NULL");
    memset(out, 0, sizeof *out);
    a2a_audio_limits dl = a2a_audio_default_limits();
    if (!limits) limits = &dl;
    char eb[128];
    vin in;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = NULL;
    AVFrame *frame = NULL;
    SwrContext *swr = NULL;
    fbuf b = {0};
    int64_t packets = 0;
    a2a_status s = vin_open_path(ctx, &in, path);
    if (s != A2A_OK) goto done;
    int aidx = av_find_best_stream(in.fmt, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (aidx < 0) {
        s = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: no audio stream", path);
        goto done;
    }
    AVStream *st = in.fmt->streams[aidx];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) {
        s = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: no decoder for audio codec '%s'", path,
                     avcodec_get_name(st->codecpar->codec_id));
        goto done;
    }
    dec = avcodec_alloc_context3(codec);
    pkt = av_packet_alloc();
    frame = av_frame_alloc();
    if (!dec || !pkt || !frame) {
        s = a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    int r = avcodec_parameters_to_context(dec, st->codecpar);
    if (r >= 0) {
        dec->thread_count = 1;
        dec->pkt_timebase = st->time_base;
        r = avcodec_open2(dec, codec, NULL);
    }
    if (r < 0) {
        s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: cannot open %s decoder (%s)", path, codec->name, averr(r, eb, sizeof eb));
        goto done;
    }
    int rate = dec->sample_rate, ch = dec->ch_layout.nb_channels;
    if (rate <= 0 || rate > A2A_AUDIO_MAX_RATE || ch <= 0 || ch > A2A_AUDIO_MAX_CHANNELS) {
        s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: bad audio parameters (%d Hz, %d channels)", path, rate, ch);
        goto done;
    }
    double maxf = limits->max_seconds * rate * ch;
    size_t max_floats = limits->max_decoded_bytes / sizeof(float);
    if (maxf >= 0 && maxf < (double)max_floats) max_floats = (size_t)maxf;
    AVChannelLayout in_layout = {0};
    bool draining = false, have_swr = false;
    for (;;) {
        r = avcodec_receive_frame(dec, frame);
        if (r == 0) {
            if (frame->sample_rate != rate || frame->ch_layout.nb_channels != ch) {
                av_frame_unref(frame);
                s = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: audio rate/channels change mid-stream", path);
                goto done;
            }
            if (!have_swr) {
                r = av_channel_layout_copy(&in_layout, &frame->ch_layout);
                AVChannelLayout out_layout = {0};
                if (r >= 0) r = av_channel_layout_copy(&out_layout, &frame->ch_layout);
                if (r >= 0)
                    r = swr_alloc_set_opts2(&swr, &out_layout, AV_SAMPLE_FMT_FLT, rate, &in_layout,
                                            (enum AVSampleFormat)frame->format, rate, 0, NULL);
                av_channel_layout_uninit(&out_layout);
                if (r >= 0) r = swr_init(swr);
                if (r < 0) {
                    av_frame_unref(frame);
                    s = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: cannot convert audio (%s)", path, averr(r, eb, sizeof eb));
                    goto done;
                }
                have_swr = true;
            } else if (av_channel_layout_compare(&in_layout, &frame->ch_layout) != 0) {
                av_frame_unref(frame);
                s = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: audio channel layout changes mid-stream", path);
                goto done;
            }
            s = swr_push(ctx, swr, frame, ch, &b, max_floats, path);
            av_frame_unref(frame);
            if (s != A2A_OK) goto done;
            continue;
        }
        if (r == AVERROR_EOF || draining) break;
        if (r != AVERROR(EAGAIN)) {
            s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: audio decode error (%s)", path, averr(r, eb, sizeof eb));
            goto done;
        }
        if (++packets > ((int64_t)1 << 26)) {
            s = a2a_fail(ctx, A2A_ERR_NOMEM, "%s: too many packets", path);
            goto done;
        }
        r = av_read_frame(in.fmt, pkt);
        if (r == AVERROR_EOF) {
            draining = true;
            avcodec_send_packet(dec, NULL);
            continue;
        }
        if (r < 0) {
            s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: read error, file corrupt or truncated (%s)", path, averr(r, eb, sizeof eb));
            goto done;
        }
        if (pkt->stream_index == aidx) {
            r = avcodec_send_packet(dec, pkt);
            if (r < 0 && r != AVERROR_INVALIDDATA && r != AVERROR(EAGAIN)) {
                av_packet_unref(pkt);
                s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: audio decode error (%s)", path, averr(r, eb, sizeof eb));
                goto done;
            }
        }
        av_packet_unref(pkt);
    }
    if (have_swr) {
        s = swr_push(ctx, swr, NULL, ch, &b, max_floats, path);
        if (s != A2A_OK) goto done;
    }
    if (b.n == 0) {
        s = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: audio stream has no decodable samples", path);
        goto done;
    }
    s = a2a_audio_alloc_checked(ctx, "video audio", rate, ch, (int64_t)(b.n / (size_t)ch), limits, out);
    if (s == A2A_OK) memcpy(out->data, b.p, (b.n / (size_t)ch) * (size_t)ch * sizeof(float));
done:
    av_channel_layout_uninit(&in_layout);
    free(b.p);
    swr_free(&swr);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    vin_close(&in);
    if (s != A2A_OK) memset(out, 0, sizeof *out);
    return s;
}

#endif /* A2A_HAVE_FFMPEG */
