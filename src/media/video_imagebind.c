/* ImageBind's video front end. See video_imagebind.h for the contract and the upstream steps. */
#include "media/video_imagebind.h"

#include "media/image_preprocess.h"
#include "media/image_resize_f32.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IB A2A_VIDEO_IB_SIZE
#define PLANE ((size_t)IB * IB)

a2a_status a2a_video_imagebind_frame_indices(a2a_ctx *ctx, int64_t n_frames, double fps, int64_t idx[10]) {
    if (!idx) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: idx is NULL");
    if (n_frames < 1 || n_frames > A2A_VIDEO_IB_MAX_FRAMES)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: frame count %lld out of range (1..2^40)",
                        (long long)n_frames);
    if (!isfinite(fps) || !(fps > 0))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: frame rate %g must be finite and > 0", fps);
    /* pytorchvideo: duration = float(len) / float(fps); max_start = max(duration - 2, 0) (a
       float); clip k spans [k * max_start / 4, that + 2] as exact Fractions, converted to
       float where decord's get_clip multiplies them by fps. k * max_start / 4 rounds once in
       double exactly as float(Fraction) does (division by 4 is exact); for the end, the exact
       sum is formed in long double (exact on x87/quad for any realistic duration) and rounded
       once to double. */
    const double duration = (double)n_frames / fps;
    double max_start = duration - 2.0;
    if (!(max_start > 0)) max_start = 0;
    for (int k = 0; k < A2A_VIDEO_IB_TEMPORAL; k++) {
        double start = ((double)k * max_start) / 4.0;
        double end = (double)(((long double)max_start * (long double)k) / 4.0L + 2.0L);
        double a = ceil(fps * start), b = ceil(fps * end);
        int64_t s = a >= (double)n_frames ? n_frames : (int64_t)a;
        int64_t e = b >= (double)n_frames ? n_frames : (int64_t)b;
        if (s < 0) s = 0;
        if (e > s) { /* UniformTemporalSubsample(2): linspace(0, T-1, 2) -> first and last */
            idx[2 * k] = s;
            idx[2 * k + 1] = e - 1;
        } else { /* upstream fails on an empty clip; use the nearest frame instead */
            int64_t i = s < n_frames - 1 ? s : n_frames - 1;
            idx[2 * k] = idx[2 * k + 1] = i;
        }
    }
    return A2A_OK;
}

double a2a_video_imagebind_frame_time(int64_t idx, double fps) {
    return idx <= 0 || !(fps > 0) ? 0.0 : ((double)idx - 0.5) / fps;
}

a2a_status a2a_video_imagebind_frame(a2a_ctx *ctx, const a2a_image *f, int t, int64_t max_pixels, float *out) {
    if (!f || !f->data || !out || t < 0 || t > 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: bad frame arguments");
    if (f->c != 3 || f->w < 1 || f->h < 1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: frame must be RGB with w, h >= 1 (got %dx%dx%d)",
                        f->w, f->h, f->c);
    if (max_pixels <= 0) max_pixels = (int64_t)64 << 20;
    const int64_t w = f->w, h = f->h;
    /* pytorchvideo short_side_scale: int(floor(long / short * 224)) in double */
    double nl = w < h ? floor((double)h / (double)w * IB) : floor((double)w / (double)h * IB);
    if (!(nl <= (double)A2A_RESIZE_F32_MAX_DIM) || nl * IB > (double)max_pixels)
        return a2a_fail(ctx, A2A_ERR_NOMEM,
                        "video_imagebind: frame %lldx%lld scales to %.0f x %d, beyond the limits (%d per side, %lld pixels)",
                        (long long)w, (long long)h, nl, IB, A2A_RESIZE_F32_MAX_DIM, (long long)max_pixels);
    const int64_t nw = w < h ? IB : (int64_t)nl, nh = w < h ? (int64_t)nl : IB;
    size_t n_src, n_dst;
    if (!a2a_mul_ok((size_t)w * (size_t)h, 3 * sizeof(float), &n_src) || !a2a_mul_ok((size_t)nw * (size_t)nh, 3 * sizeof(float), &n_dst))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "video_imagebind: frame too large");
    float *src = malloc(n_src), *dst = malloc(n_dst);
    if (!src || !dst) {
        free(src);
        free(dst);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "video_imagebind: out of memory (%lldx%lld frame)", (long long)w,
                        (long long)h);
    }
    /* uint8 HWC -> float CHW, x / 255 (torch true division in float32) */
    const size_t wh = (size_t)w * (size_t)h;
    for (size_t i = 0; i < wh; i++)
        for (int c = 0; c < 3; c++) src[(size_t)c * wh + i] = (float)f->data[i * 3 + (size_t)c] / 255.0f;
    a2a_status s = a2a_resize_bilinear_f32(ctx, src, w, h, 3, nw, nh, dst);
    free(src);
    if (s != A2A_OK) {
        free(dst);
        return s;
    }
    /* NormalizeVideo: (x - mean) / std, float32 */
    float mean[3], std[3];
    a2a_imagebind_mean_std(mean, std);
    const size_t nwh = (size_t)nw * (size_t)nh;
    for (int c = 0; c < 3; c++) {
        float *p = dst + (size_t)c * nwh;
        for (size_t i = 0; i < nwh; i++) p[i] = (p[i] - mean[c]) / std[c];
    }
    /* uniform_crop: centre offsets ceil((side - 224) / 2); crops 0/2 at the start/end of the
       long axis (vertical only when height > width) */
    for (int j = 0; j < A2A_VIDEO_IB_CROPS; j++) {
        int64_t yo = (nh - IB + 1) / 2, xo = (nw - IB + 1) / 2;
        if (nh > nw) {
            if (j == 0) yo = 0;
            else if (j == 2) yo = nh - IB;
        } else {
            if (j == 0) xo = 0;
            else if (j == 2) xo = nw - IB;
        }
        float *o = out + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS;
        for (int c = 0; c < 3; c++) {
            float *op = o + ((size_t)c * A2A_VIDEO_IB_FRAMES + (size_t)t) * PLANE;
            const float *ip = dst + (size_t)c * nwh;
            for (int64_t y = 0; y < IB; y++)
                memcpy(op + (size_t)y * IB, ip + (size_t)(y + yo) * (size_t)nw + (size_t)xo, IB * sizeof(float));
        }
    }
    free(dst);
    return A2A_OK;
}

/* a2a_video_imagebind_from_frames with the scaled frames limited to max_pixels. */
static a2a_status from_frames(a2a_ctx *ctx, const a2a_image *const frames[10], int64_t max_pixels, float *out) {
    if (!frames || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_imagebind: NULL frames/out");
    for (int k = 0; k < A2A_VIDEO_IB_N_FRAMES; k++) {
        const int clip = k / 2, t = k % 2;
        float *o = out + (size_t)clip * A2A_VIDEO_IB_CROPS * A2A_VIDEO_IB_CLIP_FLOATS;
        int prev = -1;
        for (int j = 0; j < k && prev < 0; j++)
            if (frames[j] == frames[k]) prev = j;
        if (prev < 0) {
            a2a_status s = a2a_video_imagebind_frame(ctx, frames[k], t, max_pixels, o);
            if (s != A2A_OK) return s;
            continue;
        }
        /* same image as frame prev: copy its planes of every crop */
        const float *po = out + (size_t)(prev / 2) * A2A_VIDEO_IB_CROPS * A2A_VIDEO_IB_CLIP_FLOATS;
        for (int j = 0; j < A2A_VIDEO_IB_CROPS; j++)
            for (int c = 0; c < 3; c++)
                memcpy(o + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS + ((size_t)c * 2 + (size_t)t) * PLANE,
                       po + (size_t)j * A2A_VIDEO_IB_CLIP_FLOATS + ((size_t)c * 2 + (size_t)(prev % 2)) * PLANE,
                       PLANE * sizeof(float));
    }
    return A2A_OK;
}

a2a_status a2a_video_imagebind_from_frames(a2a_ctx *ctx, const a2a_image *const frames[10], float *out) {
    return from_frames(ctx, frames, a2a_video_default_limits().max_pixels, out);
}

/* Where the frames come from: a path or a memory buffer. */
typedef struct vib_src {
    const char *path;
    const void *data;
    size_t size;
} vib_src;

/* The shared body of the two entry points. */
static a2a_status to_imagebind(a2a_ctx *ctx, const vib_src *src, const a2a_video_limits *lim, float **clips,
                               int *n_clips) {
    if (!clips || !n_clips) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_to_imagebind: NULL output");
    *clips = NULL;
    *n_clips = 0;
    a2a_video_limits dl = a2a_video_default_limits();
    if (!lim) lim = &dl;
    const char *name = src->path ? src->path : "video (memory)";
    a2a_video_info vi;
    a2a_status s = src->path ? a2a_video_probe(ctx, src->path, &vi)
                             : a2a_video_decode_memory(ctx, src->data, src->size, NULL, 0, lim, NULL, &vi);
    if (s != A2A_OK) return s;
    if (vi.n_frames_est < 1 || !(vi.fps > 0) || !isfinite(vi.fps))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: unknown frame count or frame rate (%lld frames, %g fps)", name,
                        (long long)vi.n_frames_est, vi.fps);
    if (vi.n_frames_est > A2A_VIDEO_IB_MAX_FRAMES || (double)vi.n_frames_est / vi.fps > lim->max_duration_s)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: %lld frames at %g fps exceed the limits", name,
                        (long long)vi.n_frames_est, vi.fps);
    int64_t idx[A2A_VIDEO_IB_N_FRAMES];
    s = a2a_video_imagebind_frame_indices(ctx, vi.n_frames_est, vi.fps, idx);
    if (s != A2A_OK) return s;
    /* distinct indices (idx is non-decreasing), each decoded once */
    int64_t uniq[A2A_VIDEO_IB_N_FRAMES];
    double times[A2A_VIDEO_IB_N_FRAMES];
    int map[A2A_VIDEO_IB_N_FRAMES], nu = 0;
    for (int k = 0; k < A2A_VIDEO_IB_N_FRAMES; k++) {
        int u = -1;
        for (int j = 0; j < nu; j++)
            if (uniq[j] == idx[k]) u = j;
        if (u < 0) {
            u = nu++;
            uniq[u] = idx[k];
            times[u] = a2a_video_imagebind_frame_time(idx[k], vi.fps);
        }
        map[k] = u;
    }
    a2a_image imgs[A2A_VIDEO_IB_N_FRAMES];
    memset(imgs, 0, sizeof imgs);
    s = src->path ? a2a_video_frames_at(ctx, src->path, times, nu, lim, imgs)
                  : a2a_video_decode_memory(ctx, src->data, src->size, times, nu, lim, imgs, NULL);
    if (s != A2A_OK) return s;
    const a2a_image *fr[A2A_VIDEO_IB_N_FRAMES];
    for (int k = 0; k < A2A_VIDEO_IB_N_FRAMES; k++) fr[k] = &imgs[map[k]];
    float *out = malloc((size_t)A2A_VIDEO_IB_N_CLIPS * A2A_VIDEO_IB_CLIP_FLOATS * sizeof(float));
    if (!out) s = a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory for the clips", name);
    if (s == A2A_OK) {
        s = from_frames(ctx, fr, lim->max_pixels, out); /* scaled frames limited like decoded ones */
        if (s != A2A_OK) a2a_error_prefix(ctx, "%s", name);
    }
    for (int u = 0; u < nu; u++) a2a_image_free(&imgs[u]);
    if (s != A2A_OK) {
        free(out);
        return s;
    }
    *clips = out;
    *n_clips = A2A_VIDEO_IB_N_CLIPS;
    return A2A_OK;
}

a2a_status a2a_video_to_imagebind(a2a_ctx *ctx, const char *path, const a2a_video_limits *lim, float **clips,
                                  int *n_clips) {
    if (!path) {
        if (clips) *clips = NULL;
        if (n_clips) *n_clips = 0;
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "video_to_imagebind: path is NULL");
    }
    vib_src src = {path, NULL, 0};
    return to_imagebind(ctx, &src, lim, clips, n_clips);
}

a2a_status a2a_video_to_imagebind_memory(a2a_ctx *ctx, const void *data, size_t size, const a2a_video_limits *lim,
                                         float **clips, int *n_clips) {
    vib_src src = {NULL, data, size};
    return to_imagebind(ctx, &src, lim, clips, n_clips);
}
