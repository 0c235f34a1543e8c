/* Video encoding through FFmpeg (libavcodec/libavformat/libswscale), written atomically, and a
   "frames as numbered PNGs" helper. Without FFmpeg at configure time (A2A_HAVE_FFMPEG) the
   encoder functions return A2A_ERR_UNSUPPORTED; the PNG helper works whenever libpng does.

     a2a_video_writer *vw;
     a2a_video_writer_open(ctx, "out.mp4", 576, 320, 8.0, NULL, &vw);
     for (int i = 0; i < n; i++)
         if (a2a_video_writer_add_frame(ctx, vw, rgb[i])) { a2a_video_writer_abort(vw); return ...; }
     a2a_video_writer_close(ctx, vw);                      // renames the finished file into place

   Containers and codecs (by extension, case-insensitive; params->codec may force one):
     .mp4   H.264 (libx264, yuv420p, preset medium, CRF 18) when the linked FFmpeg has it,
            else MPEG-4 part 2 (mpeg4, fixed qscale 3); "+faststart": the index (moov) is moved
            in front of the media data at _close, so players can start while downloading
     .webm  VP9 (libvpx-vp9, constant quality CRF 31, yuv420p) else VP8 (libvpx, CRF 10)
     .gif   FFmpeg's gif encoder on PAL8 frames; each frame gets its own 256-colour palette by
            median cut over a 5-5-5-bit histogram (no dithering); the delay per frame is in
            centiseconds, as the GIF format requires
   RGB -> YUV: swscale, BT.601 limited range (tagged as such in the stream: SMPTE170M), bicubic
   chroma filter with accurate rounding. yuv420p cannot hold odd sizes, so for the YUV codecs an
   odd width or height is padded by one column/row repeating the edge pixels: the file is then
   (w + (w & 1)) x (h + (h & 1)). Timestamps: frame i at i / fps (fps converted to a rational
   with av_d2q, so 23.976 -> 24000/1001).

   Atomicity: the encoder writes a temporary file beside the destination (io/atomic_file.h);
   _close renames it onto path after the trailer was written; _abort, a failed _close, or a
   failed _open remove it. Nothing appears at path and an existing file there is untouched
   unless _close succeeds. FFmpeg writes through our own AVIOContext (no URL protocols; the
   faststart pass may only re-open the temporary file itself, for reading). */
#ifndef A2A_MEDIA_VIDEO_WRITE_H
#define A2A_MEDIA_VIDEO_WRITE_H

#include "media/image.h"
#include "media/image_write.h"

#include <stdbool.h>
#include <stdint.h>

/* Encoder selection. */
typedef enum a2a_video_codec {
    A2A_VIDEO_CODEC_AUTO = 0, /* best available for the container (see above) */
    A2A_VIDEO_CODEC_H264,     /* libx264; .mp4 only */
    A2A_VIDEO_CODEC_MPEG4,    /* MPEG-4 part 2; .mp4 only */
    A2A_VIDEO_CODEC_VP9,      /* libvpx-vp9; .webm only */
    A2A_VIDEO_CODEC_VP8,      /* libvpx; .webm only */
    A2A_VIDEO_CODEC_GIF,      /* .gif only */
} a2a_video_codec;

/* Encoder options; get defaults from a2a_video_write_default_params(), edit by field name. */
typedef struct a2a_video_write_params {
    a2a_video_codec codec; /* default AUTO */
    int crf;               /* quality for H.264 (0..51) / VP8, VP9 (0..63); -1 (default): 18 / 10 / 31.
                              For MPEG-4 part 2 crf >= 0 maps to qscale 1 + crf * 30 / 51 (default 3) */
    int gop_size;          /* keyframe interval in frames (default 12; 0: codec default) */
    int threads;           /* encoder threads, 0 (default) = FFmpeg's automatic choice */
    int32_t max_dim;       /* refuse a width or height above this (default 8192) */
    int64_t max_frames;    /* refuse more frames than this (default 100000) */
} a2a_video_write_params;

/* Defaults: AUTO codec, codec-default CRF, GOP 12, automatic threads, 8192 px, 100000 frames. */
a2a_video_write_params a2a_video_write_default_params(void);

typedef struct a2a_video_writer a2a_video_writer;

/* Start encoding a w x h video at fps frames per second into path (container by extension:
   .mp4, .webm, .gif; else A2A_ERR_UNSUPPORTED). params may be NULL (defaults). On success *out
   is a writer that the caller ends with exactly one of _close or _abort. Errors:
   A2A_ERR_INVALID_ARG (w, h outside 1..max_dim, fps not finite or outside (0, 1000], codec not
   valid for the container), A2A_ERR_UNSUPPORTED (no FFmpeg, unknown extension, no encoder for
   the container in the linked FFmpeg), A2A_ERR_IO (directory missing or unwritable),
   A2A_ERR_NOMEM. On failure *out = NULL and no file is left behind. */
a2a_status a2a_video_writer_open(a2a_ctx *ctx, const char *path, int w, int h, double fps,
                                 const a2a_video_write_params *params, a2a_video_writer **out);

/* Encode one frame: rgb is [h][w][3] 8-bit RGB, tightly packed, at the size given to _open.
   After a failure the writer is unusable: call _abort (or _close, which then fails). Errors:
   A2A_ERR_INVALID_ARG (NULL), A2A_ERR_NOMEM (more than max_frames), A2A_ERR_IO/INTERNAL
   (encoder or write failure). */
a2a_status a2a_video_writer_add_frame(a2a_ctx *ctx, a2a_video_writer *vw, const uint8_t *rgb);

/* Number of frames accepted so far. */
int64_t a2a_video_writer_frames(const a2a_video_writer *vw);

/* Flush the encoder, write the trailer and rename the temporary file onto path. Frees vw in all
   cases (NULL is A2A_ERR_INVALID_ARG). Fails with A2A_ERR_INVALID_ARG when no frame was added,
   or when an earlier _add_frame failed; the temporary file is then removed. */
a2a_status a2a_video_writer_close(a2a_ctx *ctx, a2a_video_writer *vw);

/* Stop without producing a file: remove the temporary file and free vw (NULL is fine). */
void a2a_video_writer_abort(a2a_video_writer *vw);

/* Convenience: encode n >= 1 frames (all the same size, c == 3) to path in one call. */
a2a_status a2a_video_write(a2a_ctx *ctx, const char *path, const a2a_image *frames, int n, double fps,
                           const a2a_video_write_params *params);

/* Write frames[0..n) as dir/<prefix>-000.png, <prefix>-001.png, ... (at least 3 digits;
   prefix NULL means "frame"). dir is created (one level, mode 0777 & ~umask) when missing.
   Every PNG is encoded first (all in memory), then each file is written atomically; if a write
   fails, the files this call already wrote are removed, and dir too when this call created it.
   params may be NULL (PNG defaults). Errors as a2a_image_write, plus A2A_ERR_INVALID_ARG for
   n < 1 or n > 1000000 or a prefix containing '/'. */
a2a_status a2a_video_write_png_frames(a2a_ctx *ctx, const char *dir, const char *prefix, const a2a_image *frames,
                                      int n, const a2a_image_write_params *params);

#endif
