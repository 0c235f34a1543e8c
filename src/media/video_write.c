/* Video encoding through FFmpeg with atomic output, and numbered-PNG frame dumps.
   See video_write.h for the contract. */
#include "media/video_write.h"

#include "io/atomic_file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

a2a_video_write_params a2a_video_write_default_params(void) {
    a2a_video_write_params p;
    memset(&p, 0, sizeof p);
    p.codec = A2A_VIDEO_CODEC_AUTO;
    p.crf = -1;
    p.gop_size = 12;
    p.threads = 0;
    p.max_dim = 8192;
    p.max_frames = 100000;
    return p;
}

/* Container of a path by extension. */
typedef enum vcontainer { VC_NONE = 0, VC_MP4, VC_WEBM, VC_GIF } vcontainer;

static vcontainer container_of(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash + 1 : path, '.');
    if (!dot) return VC_NONE;
    if (!strcasecmp(dot, ".mp4")) return VC_MP4;
    if (!strcasecmp(dot, ".webm")) return VC_WEBM;
    if (!strcasecmp(dot, ".gif")) return VC_GIF;
    return VC_NONE;
}

/* ------------------------------------------------------------------ PNG frames (no FFmpeg) */

a2a_status a2a_video_write_png_frames(a2a_ctx *ctx, const char *dir, const char *prefix, const a2a_image *frames,
                                      int n, const a2a_image_write_params *params) {
    if (!dir || !*dir) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "png frames: empty directory path");
    if (!frames || n < 1 || n > 1000000) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "png frames: %d frames (1..1000000)", n);
    if (!prefix) prefix = "frame";
    if (strchr(prefix, '/') || strlen(prefix) > 200)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "png frames: bad file name prefix '%s'", prefix);
    a2a_image_write_params p = params ? *params : a2a_image_write_default_params();
    p.format = A2A_IMAGE_FILE_PNG;
    void **bufs = calloc((size_t)n, sizeof *bufs);
    size_t *lens = calloc((size_t)n, sizeof *lens);
    size_t dl = strlen(dir);
    char *name = malloc(dl + strlen(prefix) + 32);
    a2a_status st = A2A_OK;
    bool made_dir = false;
    int written = 0;
    if (!bufs || !lens || !name) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "png frames: out of memory");
        goto done;
    }
    for (int i = 0; i < n && !st; i++) {
        st = a2a_image_encode(ctx, &frames[i], A2A_IMAGE_FILE_PNG, &p, &bufs[i], &lens[i]);
        if (st) a2a_error_prefix(ctx, "png frames: frame %d", i);
    }
    if (st) goto done;
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (errno != ENOENT || mkdir(dir, 0777) != 0) {
            st = a2a_fail(ctx, A2A_ERR_IO, "png frames: cannot create directory '%s': %s", dir, strerror(errno));
            goto done;
        }
        made_dir = true;
    } else if (!S_ISDIR(sb.st_mode)) {
        st = a2a_fail(ctx, A2A_ERR_IO, "png frames: '%s' exists and is not a directory", dir);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        sprintf(name, "%s%s%s-%03d.png", dir, dir[dl - 1] == '/' ? "" : "/", prefix, i);
        st = a2a_atomic_file_write_all(ctx, "png frames", name, bufs[i], lens[i]);
        if (st) break;
        written++;
    }
    if (st) {
        for (int i = 0; i < written; i++) {
            sprintf(name, "%s%s%s-%03d.png", dir, dir[dl - 1] == '/' ? "" : "/", prefix, i);
            unlink(name);
        }
        if (made_dir) rmdir(dir);
    }
done:
    if (bufs)
        for (int i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(lens);
    free(name);
    return st;
}

#ifndef A2A_HAVE_FFMPEG

struct a2a_video_writer {
    int unused;
};

a2a_status a2a_video_writer_open(a2a_ctx *ctx, const char *path, int w, int h, double fps,
                                 const a2a_video_write_params *params, a2a_video_writer **out) {
    A2A_UNUSED(path); A2A_UNUSED(w); A2A_UNUSED(h); A2A_UNUSED(fps); A2A_UNUSED(params);
    if (out) *out = NULL;
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                    "video writer: this build has no FFmpeg (install libavformat-dev libavcodec-dev libswscale-dev and reconfigure)");
}
a2a_status a2a_video_writer_add_frame(a2a_ctx *ctx, a2a_video_writer *vw, const uint8_t *rgb) {
    A2A_UNUSED(vw); A2A_UNUSED(rgb);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: this build has no FFmpeg");
}
int64_t a2a_video_writer_frames(const a2a_video_writer *vw) { A2A_UNUSED(vw); return 0; }
a2a_status a2a_video_writer_close(a2a_ctx *ctx, a2a_video_writer *vw) {
    A2A_UNUSED(vw);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: this build has no FFmpeg");
}
void a2a_video_writer_abort(a2a_video_writer *vw) { A2A_UNUSED(vw); }

#else

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#define AVIO_WBUF 65536

struct a2a_video_writer {
    a2a_atomic_file af;       /* temporary output file */
    AVFormatContext *oc;      /* muxer (oc->pb = avio) */
    AVIOContext *avio;        /* our write/seek AVIO over af.f */
    AVCodecContext *cc;       /* encoder */
    AVStream *st;             /* the one video stream */
    struct SwsContext *sws;   /* RGB24 (padded size) -> encoder pixel format */
    AVFrame *frame;           /* encoder input, [H][W] in cc->pix_fmt */
    AVPacket *pkt;
    uint8_t *pad;             /* [H][W][3] padded RGB copy when W != w or H != h; else NULL */
    int w, h;                 /* caller's frame size */
    int W, H;                 /* encoded size (even for yuv420p) */
    bool gif;                 /* PAL8 path: own palette (median cut) instead of swscale */
    struct gif_quant *gq;     /* GIF quantizer scratch (allocated at the first frame) */
    bool failed;              /* an add_frame failed: close must fail */
    int64_t n_frames, max_frames;
    bool write_error;         /* the AVIO write callback saw a short write */
};

static const char *averr(int r, char *buf, size_t n) {
    av_strerror(r, buf, n);
    return buf;
}

#if LIBAVFORMAT_VERSION_MAJOR >= 61
#define A2A_AVIO_WCONST const
#else
#define A2A_AVIO_WCONST
#endif

/* AVIO write callback: append to the temporary file. */
static int vw_write(void *opaque, A2A_AVIO_WCONST uint8_t *buf, int n) {
    a2a_video_writer *vw = opaque;
    if (n <= 0) return 0;
    if (fwrite(buf, 1, (size_t)n, vw->af.f) != (size_t)n) {
        vw->write_error = true;
        return AVERROR(EIO);
    }
    return n;
}

/* AVIO seek callback (the mp4 muxer rewrites the mdat size): SEEK_SET/CUR/END and AVSEEK_SIZE. */
static int64_t vw_seek(void *opaque, int64_t off, int whence) {
    a2a_video_writer *vw = opaque;
    FILE *f = vw->af.f;
    if (whence & AVSEEK_SIZE) {
        off_t cur = ftello(f);
        if (cur < 0 || fseeko(f, 0, SEEK_END) != 0) return AVERROR(EIO);
        off_t end = ftello(f);
        if (fseeko(f, cur, SEEK_SET) != 0) return AVERROR(EIO);
        return end;
    }
    whence &= ~AVSEEK_FORCE;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
    if (fseeko(f, (off_t)off, whence) != 0) return AVERROR(EIO);
    return ftello(f);
}

/* Read-back stream for the mp4 muxer's +faststart pass (it re-reads the file to move the index
   in front of the media data). Only the writer's own temporary file can be opened. */
typedef struct vw_reader {
    FILE *f;
} vw_reader;

static int vr_read(void *opaque, uint8_t *buf, int n) {
    vw_reader *r = opaque;
    size_t got = fread(buf, 1, (size_t)n, r->f);
    if (got == 0) return ferror(r->f) ? AVERROR(EIO) : AVERROR_EOF;
    return (int)got;
}

static int64_t vr_seek(void *opaque, int64_t off, int whence) {
    vw_reader *r = opaque;
    if (whence & AVSEEK_SIZE) {
        off_t cur = ftello(r->f);
        if (cur < 0 || fseeko(r->f, 0, SEEK_END) != 0) return AVERROR(EIO);
        off_t end = ftello(r->f);
        if (fseeko(r->f, cur, SEEK_SET) != 0) return AVERROR(EIO);
        return end;
    }
    whence &= ~AVSEEK_FORCE;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
    if (fseeko(r->f, (off_t)off, whence) != 0) return AVERROR(EIO);
    return ftello(r->f);
}

/* AVFormatContext.io_open: read access to our temporary file only; everything else refused. */
static int vw_io_open(struct AVFormatContext *s, AVIOContext **pb, const char *url, int flags, AVDictionary **opts) {
    A2A_UNUSED(opts);
    a2a_video_writer *vw = s->opaque;
    *pb = NULL;
    if (!vw || !url || flags != AVIO_FLAG_READ || !vw->af.tmp_path || strcmp(url, vw->af.tmp_path) != 0)
        return AVERROR(EPERM);
    if (fflush(vw->af.f) != 0) return AVERROR(EIO); /* make stdio-buffered bytes visible to the reader */
    vw_reader *r = av_mallocz(sizeof *r);
    uint8_t *buf = av_malloc(AVIO_WBUF);
    if (!r || !buf || !(r->f = fopen(url, "rb"))) {
        av_free(r);
        av_free(buf);
        return AVERROR(EIO);
    }
    *pb = avio_alloc_context(buf, AVIO_WBUF, 0, r, vr_read, NULL, vr_seek);
    if (!*pb) {
        fclose(r->f);
        av_free(r);
        av_free(buf);
        return AVERROR(ENOMEM);
    }
    return 0;
}

/* AVFormatContext.io_close2: close a stream made by vw_io_open. */
static int vw_io_close2(struct AVFormatContext *s, AVIOContext *pb) {
    A2A_UNUSED(s);
    if (!pb) return 0;
    vw_reader *r = pb->opaque;
    if (r) {
        if (r->f) fclose(r->f);
        av_free(r);
    }
    av_freep(&pb->buffer);
    avio_context_free(&pb);
    return 0;
}

/* Free everything; remove the temporary file unless it was already committed. */
static void vw_free(a2a_video_writer *vw) {
    if (!vw) return;
    if (vw->oc) avformat_free_context(vw->oc);
    if (vw->avio) {
        av_freep(&vw->avio->buffer);
        avio_context_free(&vw->avio);
    }
    avcodec_free_context(&vw->cc);
    sws_freeContext(vw->sws);
    av_frame_free(&vw->frame);
    av_packet_free(&vw->pkt);
    free(vw->pad);
    free(vw->gq);
    a2a_atomic_file_abort(&vw->af);
    free(vw);
}

/* ---- GIF palette: median cut over a 5-5-5-bit colour histogram, per frame ----
   Each frame gets its own 256-entry palette (FFmpeg's gif encoder stores it as a local colour
   table when it differs from the first frame's). Bins are 8x8x8 colour cells; every pixel of a
   bin gets the palette entry nearest to the bin's mean colour. */
#define GIF_BINS 32768 /* 32^3 */

typedef struct gif_quant {
    uint32_t count[GIF_BINS];   /* pixels per bin */
    uint64_t sum[GIF_BINS][3];  /* sum of R, G, B of those pixels */
    uint8_t map[GIF_BINS];      /* bin -> palette index */
} gif_quant;

typedef struct gif_box {
    int lo[3], hi[3]; /* inclusive bin coordinates (0..31) per channel */
    uint64_t n;       /* pixels inside */
} gif_box;

static int bin_of(int r, int g, int b) { return (r << 10) | (g << 5) | b; }

/* Shrink box to the bins it actually uses and count its pixels. */
static void box_fit(const gif_quant *q, gif_box *bx) {
    int lo[3] = {31, 31, 31}, hi[3] = {0, 0, 0};
    uint64_t n = 0;
    for (int r = bx->lo[0]; r <= bx->hi[0]; r++)
        for (int g = bx->lo[1]; g <= bx->hi[1]; g++)
            for (int b = bx->lo[2]; b <= bx->hi[2]; b++) {
                uint32_t c = q->count[bin_of(r, g, b)];
                if (!c) continue;
                n += c;
                int v[3] = {r, g, b};
                for (int k = 0; k < 3; k++) {
                    if (v[k] < lo[k]) lo[k] = v[k];
                    if (v[k] > hi[k]) hi[k] = v[k];
                }
            }
    bx->n = n;
    if (n)
        for (int k = 0; k < 3; k++) bx->lo[k] = lo[k], bx->hi[k] = hi[k];
}

/* Build pal (256 ARGB entries, alpha 0xFF) and q->map from the frame src [h][w][3]. */
static void gif_quantize(gif_quant *q, const uint8_t *src, int w, int h, uint32_t *pal) {
    memset(q->count, 0, sizeof q->count);
    memset(q->sum, 0, sizeof q->sum);
    size_t np = (size_t)w * (size_t)h;
    for (size_t i = 0; i < np; i++) {
        const uint8_t *p = src + 3 * i;
        int k = bin_of(p[0] >> 3, p[1] >> 3, p[2] >> 3);
        q->count[k]++;
        q->sum[k][0] += p[0];
        q->sum[k][1] += p[1];
        q->sum[k][2] += p[2];
    }
    gif_box box[256];
    int nb = 1;
    box[0] = (gif_box){{0, 0, 0}, {31, 31, 31}, 0};
    box_fit(q, &box[0]);
    while (nb < 256) {
        /* split the box with the most pixels x longest side (G weighted as the eye does) */
        int best = -1, axis = 0;
        double score = 0;
        for (int i = 0; i < nb; i++) {
            static const double wgt[3] = {1.0, 1.2, 0.8};
            for (int k = 0; k < 3; k++) {
                double s = (double)(box[i].hi[k] - box[i].lo[k]) * wgt[k] * (double)box[i].n;
                if (s > score) score = s, best = i, axis = k;
            }
        }
        if (best < 0) break; /* every box is a single bin */
        gif_box *bx = &box[best];
        /* median along axis: marginal pixel counts over the box */
        uint64_t marg[32] = {0};
        for (int r = bx->lo[0]; r <= bx->hi[0]; r++)
            for (int g = bx->lo[1]; g <= bx->hi[1]; g++)
                for (int b = bx->lo[2]; b <= bx->hi[2]; b++) {
                    int v[3] = {r, g, b};
                    marg[v[axis]] += q->count[bin_of(r, g, b)];
                }
        uint64_t acc = 0;
        int cut = bx->lo[axis];
        for (int v = bx->lo[axis]; v < bx->hi[axis]; v++) {
            acc += marg[v];
            cut = v;
            if (2 * acc >= bx->n) break;
        }
        gif_box a = *bx, b = *bx;
        a.hi[axis] = cut;
        b.lo[axis] = cut + 1;
        box_fit(q, &a);
        box_fit(q, &b);
        *bx = a;
        if (b.n) box[nb++] = b;
        if (!a.n) *bx = box[--nb]; /* cannot happen with a median cut, but stay safe */
    }
    /* palette = pixel-weighted mean colour of each box */
    int pr[256], pg[256], pb[256];
    for (int i = 0; i < 256; i++) pal[i] = 0xFF000000u, pr[i] = pg[i] = pb[i] = 0;
    for (int i = 0; i < nb; i++) {
        uint64_t s[3] = {0, 0, 0}, n = 0;
        for (int r = box[i].lo[0]; r <= box[i].hi[0]; r++)
            for (int g = box[i].lo[1]; g <= box[i].hi[1]; g++)
                for (int b = box[i].lo[2]; b <= box[i].hi[2]; b++) {
                    int k = bin_of(r, g, b);
                    n += q->count[k];
                    for (int c = 0; c < 3; c++) s[c] += q->sum[k][c];
                }
        if (!n) continue;
        pr[i] = (int)((s[0] + n / 2) / n);
        pg[i] = (int)((s[1] + n / 2) / n);
        pb[i] = (int)((s[2] + n / 2) / n);
        pal[i] = 0xFF000000u | ((uint32_t)pr[i] << 16) | ((uint32_t)pg[i] << 8) | (uint32_t)pb[i];
    }
    if (nb < 1) nb = 1;
    /* every used bin -> the palette entry nearest to the bin's mean colour */
    for (int k = 0; k < GIF_BINS; k++) {
        uint32_t c = q->count[k];
        if (!c) continue;
        int r = (int)((q->sum[k][0] + c / 2) / c), g = (int)((q->sum[k][1] + c / 2) / c),
            b = (int)((q->sum[k][2] + c / 2) / c);
        int bi = 0, bd = INT32_MAX;
        for (int i = 0; i < nb; i++) {
            int d = (r - pr[i]) * (r - pr[i]) + (g - pg[i]) * (g - pg[i]) + (b - pb[i]) * (b - pb[i]);
            if (d < bd) bd = d, bi = i;
        }
        q->map[k] = (uint8_t)bi;
    }
}

/* Pick and open the encoder for container c and the requested codec. */
static a2a_status open_encoder(a2a_ctx *ctx, a2a_video_writer *vw, vcontainer c, const a2a_video_write_params *p,
                               AVRational fps_q, const char *path) {
    static const struct {
        a2a_video_codec id;
        vcontainer c;
        const char *name;
    } cand[] = {
        {A2A_VIDEO_CODEC_H264, VC_MP4, "libx264"}, {A2A_VIDEO_CODEC_MPEG4, VC_MP4, "mpeg4"},
        {A2A_VIDEO_CODEC_VP9, VC_WEBM, "libvpx-vp9"}, {A2A_VIDEO_CODEC_VP8, VC_WEBM, "libvpx"},
        {A2A_VIDEO_CODEC_GIF, VC_GIF, "gif"},
    };
    bool any_for_container = false, requested_valid = p->codec == A2A_VIDEO_CODEC_AUTO;
    char eb[128];
    char last_err[256] = "";
    for (size_t k = 0; k < sizeof cand / sizeof cand[0]; k++) {
        if (cand[k].c != c) continue;
        if (p->codec != A2A_VIDEO_CODEC_AUTO && p->codec != cand[k].id) continue;
        requested_valid = true;
        const AVCodec *codec = avcodec_find_encoder_by_name(cand[k].name);
        if (!codec) continue;
        any_for_container = true;
        AVCodecContext *cc = avcodec_alloc_context3(codec);
        if (!cc) return a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: out of memory");
        cc->width = vw->W;
        cc->height = vw->H;
        cc->time_base = av_inv_q(fps_q);
        cc->framerate = fps_q;
        cc->sample_aspect_ratio = (AVRational){1, 1};
        cc->thread_count = p->threads;
        if (p->gop_size > 0) cc->gop_size = p->gop_size;
        if (cand[k].id == A2A_VIDEO_CODEC_GIF) {
            cc->pix_fmt = AV_PIX_FMT_PAL8;
        } else {
            cc->pix_fmt = AV_PIX_FMT_YUV420P;
            cc->color_range = AVCOL_RANGE_MPEG;
            cc->colorspace = AVCOL_SPC_SMPTE170M;
            cc->color_primaries = AVCOL_PRI_SMPTE170M;
            cc->color_trc = AVCOL_TRC_SMPTE170M;
        }
        char num[32];
        switch (cand[k].id) {
        case A2A_VIDEO_CODEC_H264:
            snprintf(num, sizeof num, "%d", p->crf >= 0 ? A2A_MIN(p->crf, 51) : 18);
            av_opt_set(cc->priv_data, "preset", "medium", 0);
            av_opt_set(cc->priv_data, "crf", num, 0);
            break;
        case A2A_VIDEO_CODEC_MPEG4: {
            int q = p->crf >= 0 ? 1 + A2A_MIN(p->crf, 51) * 30 / 51 : 3;
            cc->flags |= AV_CODEC_FLAG_QSCALE;
            cc->global_quality = FF_QP2LAMBDA * q;
            break;
        }
        case A2A_VIDEO_CODEC_VP9:
            snprintf(num, sizeof num, "%d", p->crf >= 0 ? A2A_MIN(p->crf, 63) : 31);
            cc->bit_rate = 0; /* constant quality */
            av_opt_set(cc->priv_data, "crf", num, 0);
            av_opt_set(cc->priv_data, "deadline", "good", 0);
            av_opt_set(cc->priv_data, "cpu-used", "4", 0);
            av_opt_set(cc->priv_data, "row-mt", "1", 0);
            break;
        case A2A_VIDEO_CODEC_VP8: {
            snprintf(num, sizeof num, "%d", p->crf >= 0 ? A2A_MIN(p->crf, 63) : 10);
            /* VP8's constrained quality needs a bit rate ceiling: ~1 bit/pixel, at least 1 Mb/s */
            double br = (double)vw->W * vw->H * av_q2d(fps_q);
            cc->bit_rate = (int64_t)(br > 1e6 ? (br < 1e9 ? br : 1e9) : 1e6);
            av_opt_set(cc->priv_data, "crf", num, 0);
            av_opt_set(cc->priv_data, "deadline", "good", 0);
            av_opt_set(cc->priv_data, "cpu-used", "4", 0);
            break;
        }
        default:
            break;
        }
        if (vw->oc->oformat->flags & AVFMT_GLOBALHEADER) cc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        int r = avcodec_open2(cc, codec, NULL);
        if (r < 0) {
            snprintf(last_err, sizeof last_err, "%s: %s", cand[k].name, averr(r, eb, sizeof eb));
            avcodec_free_context(&cc);
            continue; /* e.g. a hardware encoder without its device: try the next */
        }
        vw->cc = cc;
        vw->gif = cand[k].id == A2A_VIDEO_CODEC_GIF;
        return A2A_OK;
    }
    if (!requested_valid)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: '%s': codec %d cannot go in this container", path,
                        (int)p->codec);
    if (!any_for_container)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: '%s': the linked FFmpeg has no suitable encoder", path);
    return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: '%s': cannot open the encoder (%s)", path, last_err);
}

a2a_status a2a_video_writer_open(a2a_ctx *ctx, const char *path, int w, int h, double fps,
                                 const a2a_video_write_params *params, a2a_video_writer **out) {
    if (!out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: NULL output");
    *out = NULL;
    if (!path || !*path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: empty output path");
    a2a_video_write_params p = params ? *params : a2a_video_write_default_params();
    vcontainer c = container_of(path);
    if (c == VC_NONE)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: '%s': unknown extension (.mp4, .webm or .gif)", path);
    if (p.max_dim < 1 || p.max_dim > 65535) p.max_dim = 65535;
    if (w < 1 || h < 1 || w > p.max_dim || h > p.max_dim)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: frame size %dx%d outside 1..%d", w, h, p.max_dim);
    if (!(fps > 0.0) || !(fps <= 1000.0))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: frame rate %g outside (0, 1000]", fps);
    if (c == VC_GIF && (w > 65535 || h > 65535))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: GIF is limited to 65535 pixels per side");
    AVRational fps_q = av_d2q(fps, 100000);
    if (fps_q.num <= 0 || fps_q.den <= 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: frame rate %g has no rational form", fps);

    a2a_video_writer *vw = calloc(1, sizeof *vw);
    if (!vw) return a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: out of memory");
    vw->w = w;
    vw->h = h;
    vw->max_frames = p.max_frames > 0 ? p.max_frames : INT64_MAX;
    bool yuv = c != VC_GIF;
    vw->W = yuv ? w + (w & 1) : w;
    vw->H = yuv ? h + (h & 1) : h;
    char eb[128];
    a2a_status st = A2A_OK;
    const char *fmt_name = c == VC_MP4 ? "mp4" : c == VC_WEBM ? "webm" : "gif";
    int r = avformat_alloc_output_context2(&vw->oc, NULL, fmt_name, NULL);
    if (r < 0 || !vw->oc) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "video writer: the linked FFmpeg has no %s muxer", fmt_name);
        goto fail;
    }
    st = open_encoder(ctx, vw, c, &p, fps_q, path);
    if (st) goto fail;
    vw->frame = av_frame_alloc();
    vw->pkt = av_packet_alloc();
    if (!vw->frame || !vw->pkt) goto oom;
    vw->frame->format = vw->cc->pix_fmt;
    vw->frame->width = vw->W;
    vw->frame->height = vw->H;
    if (av_frame_get_buffer(vw->frame, 0) < 0) goto oom;
    if (vw->W != w || vw->H != h) {
        vw->pad = malloc((size_t)vw->W * (size_t)vw->H * 3);
        if (!vw->pad) goto oom;
    }
    if (!vw->gif) {
        vw->sws = sws_getContext(vw->W, vw->H, AV_PIX_FMT_RGB24, vw->W, vw->H, vw->cc->pix_fmt,
                                 SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP, NULL, NULL, NULL);
        if (!vw->sws) {
            st = a2a_fail(ctx, A2A_ERR_INTERNAL, "video writer: swscale cannot convert RGB24 to %s",
                          av_get_pix_fmt_name(vw->cc->pix_fmt));
            goto fail;
        }
    }
    vw->st = avformat_new_stream(vw->oc, NULL);
    if (!vw->st) goto oom;
    vw->st->time_base = vw->cc->time_base;
    vw->st->avg_frame_rate = fps_q;
    vw->st->r_frame_rate = fps_q;
    r = avcodec_parameters_from_context(vw->st->codecpar, vw->cc);
    if (r < 0) goto oom;

    /* output file last, so that argument errors above never touch the file system */
    st = a2a_atomic_file_open(ctx, "video writer", path, &vw->af);
    if (st) goto fail;
    uint8_t *buf = av_malloc(AVIO_WBUF);
    if (!buf) goto oom;
    vw->avio = avio_alloc_context(buf, AVIO_WBUF, 1, vw, NULL, vw_write, vw_seek);
    if (!vw->avio) {
        av_free(buf);
        goto oom;
    }
    vw->oc->pb = vw->avio;
    vw->oc->flags |= AVFMT_FLAG_CUSTOM_IO;
    vw->oc->opaque = vw;
    vw->oc->io_open = vw_io_open;
    vw->oc->io_close2 = vw_io_close2;
    AVDictionary *mux_opts = NULL;
    if (c == VC_MP4) { /* index (moov) before the media data: playable while downloading */
        vw->oc->url = av_strdup(vw->af.tmp_path);
        if (!vw->oc->url) goto oom;
        av_dict_set(&mux_opts, "movflags", "+faststart", 0);
    }
    r = avformat_write_header(vw->oc, &mux_opts);
    av_dict_free(&mux_opts);
    if (r < 0) {
        st = a2a_fail(ctx, vw->write_error ? A2A_ERR_IO : A2A_ERR_INTERNAL, "video writer: '%s': cannot write the header: %s",
                      path, averr(r, eb, sizeof eb));
        goto fail;
    }
    *out = vw;
    return A2A_OK;
oom:
    st = a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: out of memory");
fail:
    vw_free(vw);
    return st;
}

/* Pull every ready packet from the encoder into the muxer. */
static a2a_status drain(a2a_ctx *ctx, a2a_video_writer *vw) {
    char eb[128];
    for (;;) {
        int r = avcodec_receive_packet(vw->cc, vw->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return A2A_OK;
        if (r < 0) return a2a_fail(ctx, A2A_ERR_INTERNAL, "video writer: encoder failed: %s", averr(r, eb, sizeof eb));
        av_packet_rescale_ts(vw->pkt, vw->cc->time_base, vw->st->time_base);
        vw->pkt->stream_index = vw->st->index;
        r = av_interleaved_write_frame(vw->oc, vw->pkt); /* takes the packet's reference */
        if (r < 0)
            return a2a_fail(ctx, vw->write_error ? A2A_ERR_IO : A2A_ERR_INTERNAL, "video writer: cannot write '%s': %s",
                            vw->af.tmp_path, vw->write_error ? strerror(errno) : averr(r, eb, sizeof eb));
    }
}

a2a_status a2a_video_writer_add_frame(a2a_ctx *ctx, a2a_video_writer *vw, const uint8_t *rgb) {
    if (!vw || !rgb) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: NULL writer or frame");
    if (vw->failed) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: an earlier frame failed; abort the writer");
    if (vw->n_frames >= vw->max_frames) {
        vw->failed = true;
        return a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: more than %lld frames", (long long)vw->max_frames);
    }
    char eb[128];
    int r = av_frame_make_writable(vw->frame);
    if (r < 0) {
        vw->failed = true;
        return a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: out of memory");
    }
    const uint8_t *src = rgb;
    if (vw->pad) { /* repeat the last column / row into the padding */
        size_t ws = (size_t)vw->w * 3, Ws = (size_t)vw->W * 3;
        for (int y = 0; y < vw->H; y++) {
            uint8_t *d = vw->pad + (size_t)y * Ws;
            memcpy(d, rgb + (size_t)A2A_MIN(y, vw->h - 1) * ws, ws);
            if (vw->W > vw->w) memcpy(d + ws, d + ws - 3, 3);
        }
        src = vw->pad;
    }
    if (vw->gif) {
        AVFrame *f = vw->frame;
        if (!vw->gq && !(vw->gq = malloc(sizeof *vw->gq))) {
            vw->failed = true;
            return a2a_fail(ctx, A2A_ERR_NOMEM, "video writer: out of memory");
        }
        gif_quantize(vw->gq, src, vw->W, vw->H, (uint32_t *)f->data[1]);
        for (int y = 0; y < vw->H; y++) {
            const uint8_t *s = src + (size_t)y * vw->W * 3;
            uint8_t *d = f->data[0] + (size_t)y * f->linesize[0];
            for (int x = 0; x < vw->W; x++) d[x] = vw->gq->map[bin_of(s[3 * x] >> 3, s[3 * x + 1] >> 3, s[3 * x + 2] >> 3)];
        }
    } else {
        const uint8_t *planes[1] = {src};
        int strides[1] = {vw->W * 3};
        sws_scale(vw->sws, planes, strides, 0, vw->H, vw->frame->data, vw->frame->linesize);
    }
    vw->frame->pts = vw->n_frames;
    r = avcodec_send_frame(vw->cc, vw->frame);
    if (r < 0) {
        vw->failed = true;
        return a2a_fail(ctx, A2A_ERR_INTERNAL, "video writer: encoder refused frame %lld: %s", (long long)vw->n_frames,
                        averr(r, eb, sizeof eb));
    }
    vw->n_frames++;
    a2a_status st = drain(ctx, vw);
    if (st) vw->failed = true;
    return st;
}

int64_t a2a_video_writer_frames(const a2a_video_writer *vw) { return vw ? vw->n_frames : 0; }

a2a_status a2a_video_writer_close(a2a_ctx *ctx, a2a_video_writer *vw) {
    if (!vw) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: NULL writer");
    a2a_status st = A2A_OK;
    char eb[128];
    if (vw->failed) {
        st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: an earlier frame failed; nothing written");
    } else if (vw->n_frames == 0) {
        st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: no frames were added; nothing written");
    } else {
        int r = avcodec_send_frame(vw->cc, NULL);
        if (r < 0 && r != AVERROR_EOF)
            st = a2a_fail(ctx, A2A_ERR_INTERNAL, "video writer: cannot flush the encoder: %s", averr(r, eb, sizeof eb));
        if (!st) st = drain(ctx, vw);
        if (!st) {
            r = av_write_trailer(vw->oc);
            if (r < 0 || vw->write_error || vw->avio->error < 0)
                st = a2a_fail(ctx, vw->write_error ? A2A_ERR_IO : A2A_ERR_INTERNAL,
                              "video writer: cannot finish '%s': %s", vw->af.tmp_path,
                              averr(r < 0 ? r : vw->avio->error < 0 ? vw->avio->error : AVERROR(EIO), eb, sizeof eb));
        }
        if (!st) {
            avio_flush(vw->avio);
            if (vw->write_error || vw->avio->error < 0)
                st = a2a_fail(ctx, A2A_ERR_IO, "video writer: cannot write '%s'", vw->af.tmp_path);
        }
        if (!st) st = a2a_atomic_file_commit(ctx, "video writer", &vw->af); /* releases af either way */
    }
    vw_free(vw); /* removes the temporary file when not committed */
    return st;
}

void a2a_video_writer_abort(a2a_video_writer *vw) { vw_free(vw); }

#endif /* A2A_HAVE_FFMPEG */

a2a_status a2a_video_write(a2a_ctx *ctx, const char *path, const a2a_image *frames, int n, double fps,
                           const a2a_video_write_params *params) {
    if (!frames || n < 1) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: %d frames", n);
    for (int i = 0; i < n; i++)
        if (!frames[i].data || frames[i].c != 3 || frames[i].w != frames[0].w || frames[i].h != frames[0].h)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video writer: frame %d is not RGB at %dx%d", i, frames[0].w,
                            frames[0].h);
    a2a_video_writer *vw = NULL;
    a2a_status st = a2a_video_writer_open(ctx, path, frames[0].w, frames[0].h, fps, params, &vw);
    if (st) return st;
    for (int i = 0; i < n; i++) {
        st = a2a_video_writer_add_frame(ctx, vw, frames[i].data);
        if (st) {
            a2a_video_writer_abort(vw);
            return st;
        }
    }
    return a2a_video_writer_close(ctx, vw);
}
