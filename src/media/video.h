/* Video decoding through FFmpeg (libavformat/libavcodec/libswscale/libswresample), when those
   libraries were found at configure time (A2A_HAVE_FFMPEG); without them every function here
   returns A2A_ERR_UNSUPPORTED with a message naming the packages to install.

     a2a_video_info vi;
     a2a_video_probe(ctx, "clip.mp4", &vi);                 // size, fps, duration, audio?
     double t[3] = {0.0, 0.5, 1.0};
     a2a_image fr[3];
     a2a_video_frames_at(ctx, "clip.mp4", t, 3, NULL, fr);  // RGB24 frames at native size
     for (int i = 0; i < 3; i++) a2a_image_free(&fr[i]);

   Frame selection: for each requested time t (seconds from the start of the file, i.e. relative
   to the container's start_time, as `ffmpeg -ss t` counts), the first decoded frame whose
   presentation time is >= t: we seek to the keyframe at or before t and decode forward. A t past
   the last frame gives the last frame. Colour conversion: swscale, SWS_BICUBIC (the flags the
   ffmpeg CLI's auto-inserted scaler uses), YUV matrix from the stream (BT.709 when tagged, else
   BT.601) and range from the stream (full range for JPEG-range/yuvj formats).

   Input is untrusted: files are read through our own AVIOContext (no URL protocols; demuxers
   that would open further files/URLs — HLS, concat, image sequences — are refused), every
   decoded size is checked against the limits, and the number of frames/packets decoded per call
   is bounded. Errors: A2A_ERR_IO (cannot open/read), A2A_ERR_FORMAT (not a recognised media
   file, no video stream, corrupt/truncated data, zero-size frames), A2A_ERR_UNSUPPORTED (no
   decoder for the codec, or FFmpeg missing), A2A_ERR_NOMEM (a limit was exceeded or malloc
   failed), A2A_ERR_INVALID_ARG (bad arguments), A2A_ERR_NOT_FOUND (no audio stream). FFmpeg's
   own log output (av_log) is left at the application's setting (see a2a_video_set_ffmpeg_log_quiet). */
#ifndef A2A_MEDIA_VIDEO_H
#define A2A_MEDIA_VIDEO_H

#include "core/status.h"
#include "media/audio.h"
#include "media/image.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a2a_video_probe reports about the best video stream of a file. */
typedef struct a2a_video_info {
    int32_t width, height; /* coded display size in pixels (> 0) */
    double duration_s;     /* stream duration (else container duration) in seconds; 0 if unknown */
    double fps;            /* average/guessed frame rate; 0 if unknown */
    int64_t n_frames_est;  /* frame count from the container, else round(duration * fps); 0 if unknown */
    bool has_audio;        /* the file has at least one audio stream */
} a2a_video_info;

/* Limits for decoding untrusted video. Get defaults from a2a_video_default_limits() and edit
   fields by name. */
typedef struct a2a_video_limits {
    int64_t max_pixels;          /* width*height of every frame at most this (default 64 Mpx) */
    int32_t max_dim;             /* width and height at most this (default 16384) */
    double max_duration_s;       /* a file whose known duration exceeds this is refused (default 24 h) */
    int64_t max_decoded_frames;  /* frames the decoder may produce per call, counting the ones decoded
                                    while walking from a keyframe to t (default 100000) */
    size_t max_decoded_bytes;    /* total bytes of the returned RGB frames per call (default 4 GiB) */
} a2a_video_limits;

/* Default limits (see a2a_video_limits). */
a2a_video_limits a2a_video_default_limits(void);

/* Open path and describe its best video stream in *out (zeroed on failure). Reads only the
   headers (plus FFmpeg's stream probing). */
a2a_status a2a_video_probe(a2a_ctx *ctx, const char *path, a2a_video_info *out);

/* Decode n >= 1 frames of path at times_s[0..n) (finite, >= 0; any order) into frames[0..n):
   each a new RGB image at the frame's native size (caller frees each with a2a_image_free).
   lim may be NULL (defaults). On failure every frames[i] is zeroed and ctx says why. */
a2a_status a2a_video_frames_at(a2a_ctx *ctx, const char *path, const double *times_s, int n,
                               const a2a_video_limits *lim, a2a_image *frames);

/* As a2a_video_frames_at, over a file held in memory (data[0..size), only read during the
   call). n may be 0 (then only the headers are checked). info may be NULL; else it receives
   what a2a_video_probe would report. */
a2a_status a2a_video_decode_memory(a2a_ctx *ctx, const void *data, size_t size, const double *times_s, int n,
                                   const a2a_video_limits *lim, a2a_image *frames, a2a_video_info *info);

/* Decode the best audio stream of path to float interleaved samples at its native rate and
   channel count (libswresample: planar/integer formats -> float, no resampling). limits may be
   NULL (defaults). A2A_ERR_NOT_FOUND when the file has no audio stream. On success *out holds
   the clip (caller frees with a2a_audio_free); on failure *out is zeroed. */
a2a_status a2a_video_audio(a2a_ctx *ctx, const char *path, const a2a_audio_limits *limits, a2a_audio *out);

/* Process-global, not per ctx: set FFmpeg's own log (av_log, stderr) to quiet (true:
   AV_LOG_QUIET) or back to FFmpeg's default (false: AV_LOG_INFO). The decoders above never
   change it themselves; tests, fuzzers and CLIs that feed hostile files call this. No-op
   without FFmpeg. Not thread-safe against concurrent FFmpeg logging setup. */
void a2a_video_set_ffmpeg_log_quiet(bool quiet);

#endif
