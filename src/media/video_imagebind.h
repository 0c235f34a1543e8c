/* Internal: ImageBind's video front end (imagebind/data.py load_and_transform_video_data,
   imagebind-packaged 0.1.2, with pytorchvideo's decord-backed EncodedVideo):

     float *clips; int n;
     a2a_video_to_imagebind(ctx, "clip.mp4", NULL, &clips, &n);   // n == 15
     // clips[k * A2A_VIDEO_IB_CLIP_FLOATS ...]: clip k = temporal clip k / 3, spatial crop k % 3,
     // planes [3][2][224][224] (channel, frame, y, x) = ggml tensor [224, 224, 2, 3]
     free(clips);

   Steps, as upstream:
   1. Temporal clips: pytorchvideo ConstantClipsPerVideoSampler(clip_duration=2,
      clips_per_video=5) over duration = n_frames / fps (decord: len(reader) / avg fps): clip k
      starts at k * max(duration - 2, 0) / 4 (exact rational) and ends 2 s later; always 5
      clips (a video shorter than 2 s gives 5 copies of [0, 2)).
   2. Frames of a clip (EncodedVideoDecord.get_clip): indices ceil(fps * start) ..
      min(ceil(fps * end), n_frames) - 1; UniformTemporalSubsample(2) keeps the first and the
      last of them (one frame twice when the clip has one frame). Where upstream would fail
      on an empty clip (fps < 1 frame per clip), we use frame min(ceil(fps * start), n - 1).
   3. Each frame: /255 (float32), ShortSideScale(224) = torch bilinear interpolate,
      align_corners=False, no antialias (short side -> 224, long side -> floor(long / short *
      224)), NormalizeVideo(CLIP mean/std): (x - mean) / std.
   4. SpatialCrop(224, num_crops=3): pytorchvideo uniform_crop with spatial_idx 0, 1, 2 =
      left/center/right for landscape and square frames, top/center/bottom for portrait
      (height > width); centre offset ceil((side - 224) / 2).
   Output order: clip-major, then crop (as torch.stack of SpatialCrop's list).

   Frame index i is located as the first frame with presentation time >= (i - 0.5) / fps
   (a2a_video_frames_at), which is decord's i-th frame for constant-frame-rate streams.
   n_frames and fps come from a2a_video_probe: the container's frame count (else
   round(duration * fps)) and FFmpeg's guessed frame rate; decord counts packets and uses the
   average frame rate, which agree for ordinary constant-rate files. Frames are decoded with
   FFmpeg's swscale (see video.h), the same decode decord performs. */
#ifndef A2A_MEDIA_VIDEO_IMAGEBIND_H
#define A2A_MEDIA_VIDEO_IMAGEBIND_H

#include "media/image.h"
#include "media/video.h"

#include <stddef.h>
#include <stdint.h>

#define A2A_VIDEO_IB_SIZE 224                  /* crop side */
#define A2A_VIDEO_IB_TEMPORAL 5                /* temporal clips per video */
#define A2A_VIDEO_IB_CROPS 3                   /* spatial crops per temporal clip */
#define A2A_VIDEO_IB_N_CLIPS 15                /* outputs per video: TEMPORAL * CROPS */
#define A2A_VIDEO_IB_FRAMES 2                  /* frames per clip */
#define A2A_VIDEO_IB_N_FRAMES 10               /* frames per video: TEMPORAL * FRAMES */
#define A2A_VIDEO_IB_CLIP_FLOATS (3 * 2 * 224 * 224) /* floats per output clip [3][2][224][224] */
#define A2A_VIDEO_IB_MAX_FRAMES ((int64_t)1 << 40) /* larger frame counts are refused */

/* Step 1-2: the frame index of each of the 10 frames: idx[2k] and idx[2k+1] are the first and
   last frame of temporal clip k, for a video of n_frames frames at fps frames per second (as
   decord reports them). Errors: A2A_ERR_INVALID_ARG when n_frames < 1 or > A2A_VIDEO_IB_MAX_FRAMES,
   or fps is not finite and > 0, or idx is NULL. */
a2a_status a2a_video_imagebind_frame_indices(a2a_ctx *ctx, int64_t n_frames, double fps, int64_t idx[10]);

/* The time (seconds from the start) at which a2a_video_frames_at finds frame idx >= 0 of a
   constant-rate stream at fps: 0 for frame 0, else (idx - 0.5) / fps (the first frame with
   pts >= that time; half a frame of slack for timestamps rounded to the time base). */
double a2a_video_imagebind_frame_time(int64_t idx, double fps);

/* Steps 3-4 for one frame position: fill the three spatial crops of frame t (0 or 1) of one
   temporal clip from the RGB image f: for crop j, out[j * A2A_VIDEO_IB_CLIP_FLOATS] holds
   planes [3][2][224][224] of which this call writes [c][t][..][..]. The frame may have any
   size >= 1x1 (frames smaller than 224 are upscaled); the scaled frame is limited to
   max_pixels (A2A_ERR_NOMEM beyond; <= 0 means 64 Mpx). */
a2a_status a2a_video_imagebind_frame(a2a_ctx *ctx, const a2a_image *f, int t, int64_t max_pixels, float *out);

/* Steps 3-4 for all clips: frames[2k], frames[2k+1] are the two frames of temporal clip k
   (the same image may appear several times; each distinct pointer is scaled once). out holds
   A2A_VIDEO_IB_N_CLIPS * A2A_VIDEO_IB_CLIP_FLOATS floats. */
a2a_status a2a_video_imagebind_from_frames(a2a_ctx *ctx, const a2a_image *const frames[10], float *out);

/* The whole front end for the video file at path. lim may be NULL (defaults). On success
   *clips is a new array of *n_clips (= 15) clips of A2A_VIDEO_IB_CLIP_FLOATS floats each
   (caller frees with free()); on failure *clips = NULL, *n_clips = 0 and ctx says why
   (errors of a2a_video_probe/a2a_video_frames_at, or A2A_ERR_FORMAT when the frame count or
   rate of the stream is unknown). */
a2a_status a2a_video_to_imagebind(a2a_ctx *ctx, const char *path, const a2a_video_limits *lim, float **clips,
                                  int *n_clips);

/* As a2a_video_to_imagebind for a file held in memory (data[0..size), only read during the call). */
a2a_status a2a_video_to_imagebind_memory(a2a_ctx *ctx, const void *data, size_t size, const a2a_video_limits *lim,
                                         float **clips, int *n_clips);

#endif
