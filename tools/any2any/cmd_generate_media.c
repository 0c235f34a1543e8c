/* any2any generate --kind image|audio -m PIPELINE.gguf --prompt TEXT [options] -o OUT:
   image: text-to-image (and image-to-image with --init-image) with a Stable Diffusion pipeline
          file -> .png / .jpg
   audio: text-to-audio with an AudioLDM pipeline file -> .wav (32-bit float, or --pcm16)
   video: text-to-video with a Zeroscope / ModelScope pipeline file -> .mp4 (H.264) / .webm / .gif,
          optionally also the frames as PNG (--frames-dir)
   (pipeline files come from any2any convert --diffusers). A progress bar with the step rate and
   ETA goes to stderr; Ctrl-C cancels cleanly and no output file appears. */
#include "cli.h"
#include "llm_run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/threadpool.h"
#include "media/audio_write.h"
#include "media/image.h"
#include "media/image_preprocess.h"
#include "media/image_write.h"
#include "pipeline/audioldm_pipeline.h"
#include "pipeline/sd_pipeline.h"
#include "pipeline/t2v_pipeline.h"
#include "media/video_write.h"

static void gen_usage(FILE *f) {
    fprintf(f,
            "usage: any2any generate --kind image -m SD.gguf --prompt TEXT -o OUT.png [options]\n"
            "  --negative TEXT      negative prompt (default empty)\n"
            "  --steps N            denoising steps (default: the file's, 50)\n"
            "  --cfg S              classifier-free guidance scale (default 7.5; <= 1 disables)\n"
            "  --seed N             noise seed (default 42); same seed, same image, any thread count\n"
            "  --width W --height H image size (default: the model's, 512 for SD 1.5)\n"
            "  --sampler NAME       pndm ddim euler euler_a dpmpp2m (default: the file's scheduler)\n"
            "  --init-image F       image-to-image from F (resized to the output size)\n"
            "  --strength X         image-to-image strength in (0, 1] (default 0.8)\n"
            "  --vae-tiling         decode in overlapping tiles (less memory; automatic above 1024x1024)\n"
            "  -t N                 threads (default: all cores)\n");
}

typedef struct progress_state {
    double t0;
} progress_state;

/* Progress bar with rate and ETA; returns the Ctrl-C flag (nonzero cancels). */
static int gen_progress(int64_t done, int64_t total, const char *what, void *user) {
    progress_state *ps = user;
    double el = cli_now() - ps->t0, per = done > 0 ? el / (double)done : 0;
    int width = 30, fill = total > 0 ? (int)(width * done / total) : 0;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%s [%s] %lld/%lld  %.2f s/step  ETA %.0f s ", what, bar, (long long)done, (long long)total, per,
            per * (double)(total - done));
    if (done == total) fputc('\n', stderr);
    return cli_sigint_flag;
}

static int parse_num(const char *opt, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) {
        fprintf(stderr, "any2any generate: %s expects a number in [%g, %g], got '%s'\n", opt, lo, hi, v);
        return -1;
    }
    *out = d;
    return 0;
}

/* Scheduler kind of a --sampler name; -1 (after a message) when unknown. */
static int sampler_kind(const char *name) {
    static const char *const names[] = {"pndm", "ddim", "euler", "euler_a", "dpmpp2m"};
    for (int k = 0; k < 5; k++)
        if (!strcmp(name, names[k])) return k;
    fprintf(stderr, "any2any generate: unknown sampler '%s' (pndm ddim euler euler_a dpmpp2m)\n", name);
    return -1;
}

/* Options every `generate --kind X` takes. */
typedef struct gen_opts {
    const char *model, *out, *prompt, *negative;
    int32_t steps;          /* 0: the pipeline's default */
    float cfg;              /* < 0: the pipeline's default */
    uint64_t seed;
    int threads;
    int sched_kind;         /* -1: the file's scheduler */
    int32_t width, height;  /* 0: default (only with `sized`) */
} gen_opts;

/* A kind's own options: (a, NULL) for value-less flags, then (a, v); returns 1 when it took the
   option, 0 when it is not one of its own, -1 after printing why a value is bad. */
typedef int (*gen_extra_fn)(void *user, const char *a, const char *v);

/* Parse argv into o (common options) and through extra (the kind's own). sized: --width and
   --height are accepted (images, video). Returns -1 to go on, else the exit status (0 after
   --help, 2 after a usage error, with usage printed). */
static int gen_parse(int argc, char **argv, bool sized, void (*usage)(FILE *), gen_extra_fn extra, void *user,
                     gen_opts *o) {
    memset(o, 0, sizeof *o);
    o->cfg = -1.0f;
    o->seed = 42;
    o->sched_kind = -1;
    const char *sampler = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        double d = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--kind") && v) { i++; continue; } /* already dispatched */
        int r = extra(user, a, NULL);
        if (r < 0) return 2;
        if (r) continue;
        if (!v) {
            fprintf(stderr, "any2any generate: unexpected or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "-m") || !strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "-p") || !strcmp(a, "--prompt")) o->prompt = v;
        else if (!strcmp(a, "--negative")) o->negative = v;
        else if (!strcmp(a, "-o") || !strcmp(a, "--output")) o->out = v;
        else if (!strcmp(a, "--sampler")) sampler = v;
        else if (!strcmp(a, "--steps")) { if (parse_num(a, v, 1, 1000, &d)) return 2; o->steps = (int32_t)d; }
        else if (!strcmp(a, "--cfg")) { if (parse_num(a, v, 0, 100, &d)) return 2; o->cfg = (float)d; }
        else if (!strcmp(a, "--seed")) { if (parse_num(a, v, 0, 9007199254740992.0, &d)) return 2; o->seed = (uint64_t)d; }
        else if (!strcmp(a, "-t")) { if (parse_num(a, v, 0, 1024, &d)) return 2; o->threads = (int)d; }
        else if (sized && !strcmp(a, "--width")) { if (parse_num(a, v, 8, 4096, &d)) return 2; o->width = (int32_t)d; }
        else if (sized && !strcmp(a, "--height")) { if (parse_num(a, v, 8, 4096, &d)) return 2; o->height = (int32_t)d; }
        else if ((r = extra(user, a, v)) < 0) return 2;
        else if (!r) {
            fprintf(stderr, "any2any generate: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!o->model || !o->prompt || !o->out) {
        usage(stderr);
        return 2;
    }
    if (sampler && (o->sched_kind = sampler_kind(sampler)) < 0) return 2;
    return -1;
}

/* --- image --- */
typedef struct image_extra {
    const char *init;
    float strength;
    bool vae_tiling;
} image_extra;

static int image_opt(void *user, const char *a, const char *v) {
    image_extra *x = user;
    double d;
    if (!v) {
        if (strcmp(a, "--vae-tiling")) return 0;
        x->vae_tiling = true;
        return 1;
    }
    if (!strcmp(a, "--init-image")) x->init = v;
    else if (!strcmp(a, "--strength")) { if (parse_num(a, v, 1e-6, 1, &d)) return -1; x->strength = (float)d; }
    else return 0;
    return 1;
}

int cli_generate_image(int argc, char **argv) {
    gen_opts o;
    a2a_sd_params p = a2a_sd_default_params();
    image_extra x = {NULL, p.strength, false};
    int r = gen_parse(argc, argv, true, gen_usage, image_opt, &x, &o);
    if (r >= 0) return r;
    const char *model = o.model, *out = o.out, *init = x.init;
    const int threads = o.threads;
    p.prompt = o.prompt;
    p.negative = o.negative;
    p.steps = o.steps;
    p.cfg = o.cfg;
    p.seed = o.seed;
    p.sched_kind = o.sched_kind;
    p.width = o.width;
    p.height = o.height;
    p.strength = x.strength;
    p.vae_tiling = x.vae_tiling;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_sd *sd = NULL;
    a2a_image src = {0}, init_img = {0}, result = {0};
    float *px = NULL;
    int32_t w = 0, h = 0;
    int rc = 1;
    progress_state ps;
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK || a2a_sd_load(ctx, model, &sd) != A2A_OK) goto fail;
    fprintf(stderr, "any2any generate: loaded %s in %.2f s\n", model, cli_now() - t0);
    if (init) {
        a2a_image_limits lim = a2a_image_default_limits();
        int32_t W = p.width ? p.width : sd->default_size, H = p.height ? p.height : sd->default_size;
        if (a2a_image_load(ctx, init, &lim, &src) != A2A_OK ||
            a2a_image_resize(ctx, &src, W, H, A2A_RESAMPLE_BICUBIC, &init_img) != A2A_OK)
            goto fail;
        p.init_image = &init_img;
        p.width = W;
        p.height = H;
    }
    cli_sigint_install();
    ps.t0 = cli_now();
    p.progress = gen_progress;
    p.user = &ps;
    p.cancel = &cli_sigint_flag;
    if (a2a_sd_generate(ctx, tp, sd, &p, &px, &w, &h) != A2A_OK) goto fail;
    double t_gen = cli_now() - ps.t0;
    if (a2a_image_from_planar_f32(ctx, px, 3, h, w, A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_ROUND, &result) != A2A_OK ||
        a2a_image_write(ctx, &result, out, NULL) != A2A_OK)
        goto fail;
    fprintf(stderr, "any2any generate: wrote %s (%dx%d) in %.2f s\n", out, w, h, t_gen);
    printf("%s\n", out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "\nany2any generate: %s\n", a2a_last_error(ctx));
done:
    free(px);
    a2a_image_free(&src);
    a2a_image_free(&init_img);
    a2a_image_free(&result);
    a2a_sd_free(sd);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}

static void audio_usage(FILE *f) {
    fprintf(f,
            "usage: any2any generate --kind audio -m AUDIOLDM.gguf --prompt TEXT -o OUT.wav [options]\n"
            "  --negative TEXT      negative prompt (default empty)\n"
            "  --seconds S          length (default: the model's, 5.12 s for audioldm)\n"
            "  --steps N            denoising steps (default 10)\n"
            "  --cfg S              guidance scale (default 2.5; <= 1 disables)\n"
            "  --seed N             noise seed (default 42)\n"
            "  --sampler NAME       pndm ddim euler euler_a dpmpp2m (default: the file's, DDIM)\n"
            "  --pcm16              16-bit PCM instead of 32-bit float WAV\n"
            "  -t N                 threads (default: all cores)\n");
}

/* --- audio --- */
typedef struct audio_extra {
    float seconds;
    bool pcm16;
} audio_extra;

static int audio_opt(void *user, const char *a, const char *v) {
    audio_extra *x = user;
    double d;
    if (!v) {
        if (strcmp(a, "--pcm16")) return 0;
        x->pcm16 = true;
        return 1;
    }
    if (strcmp(a, "--seconds")) return 0;
    if (parse_num(a, v, 1e-3, A2A_AUDIOLDM_MAX_SECONDS, &d)) return -1;
    x->seconds = (float)d;
    return 1;
}

int cli_generate_audio(int argc, char **argv) {
    gen_opts o;
    audio_extra x = {0, false};
    int r = gen_parse(argc, argv, false, audio_usage, audio_opt, &x, &o);
    if (r >= 0) return r;
    a2a_audioldm_params p = a2a_audioldm_default_params();
    const char *model = o.model, *out = o.out;
    const int threads = o.threads;
    const bool pcm16 = x.pcm16;
    p.prompt = o.prompt;
    p.negative = o.negative;
    p.steps = o.steps;
    p.cfg = o.cfg;
    p.seed = o.seed;
    p.sched_kind = o.sched_kind;
    p.seconds = x.seconds;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_audioldm *m = NULL;
    float *wave = NULL;
    int64_t n = 0;
    int rate = 0, rc = 1;
    progress_state ps;
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK || a2a_audioldm_load(ctx, model, &m) != A2A_OK) goto fail;
    fprintf(stderr, "any2any generate: loaded %s in %.2f s\n", model, cli_now() - t0);
    cli_sigint_install();
    ps.t0 = cli_now();
    p.progress = gen_progress;
    p.user = &ps;
    p.cancel = &cli_sigint_flag;
    if (a2a_audioldm_generate(ctx, tp, m, &p, &wave, &n, &rate) != A2A_OK) goto fail;
    a2a_audio au = {rate, 1, n, wave};
    a2a_audio_write_params wp = a2a_audio_write_default_params();
    if (pcm16) wp.format = A2A_WAV_PCM16;
    if (a2a_audio_write(ctx, &au, out, &wp) != A2A_OK) goto fail;
    fprintf(stderr, "any2any generate: wrote %s (%.2f s at %d Hz) in %.2f s\n", out, (double)n / rate, rate,
            cli_now() - ps.t0);
    printf("%s\n", out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "\nany2any generate: %s\n", a2a_last_error(ctx));
done:
    free(wave);
    a2a_audioldm_free(m);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}

static void video_usage(FILE *f) {
    fprintf(f,
            "usage: any2any generate --kind video -m T2V.gguf --prompt TEXT -o OUT.mp4|.webm|.gif [options]\n"
            "  --negative TEXT      negative prompt (default empty)\n"
            "  --frames N           frames (default 16)\n"
            "  --fps F              frames per second of the file (default 8)\n"
            "  --steps N --cfg S    denoising steps (default 50), guidance (default 9)\n"
            "  --seed N             noise seed (default 42)\n"
            "  --width W --height H size (default: the model's)\n"
            "  --sampler NAME       pndm ddim euler euler_a dpmpp2m (default: the file's)\n"
            "  --frames-dir DIR     also write the frames as DIR/frame-000.png ...\n"
            "  -t N                 threads (default: all cores)\n");
}

/* --- video --- */
typedef struct video_extra {
    const char *frames_dir;
    int32_t frames;
    double fps;
} video_extra;

static int video_opt(void *user, const char *a, const char *v) {
    video_extra *x = user;
    double d;
    if (!v) return 0;
    if (!strcmp(a, "--frames-dir")) x->frames_dir = v;
    else if (!strcmp(a, "--frames")) { if (parse_num(a, v, 1, A2A_T2V_MAX_FRAMES, &d)) return -1; x->frames = (int32_t)d; }
    else if (!strcmp(a, "--fps")) { if (parse_num(a, v, 0.1, 240, &d)) return -1; x->fps = d; }
    else return 0;
    return 1;
}

int cli_generate_video(int argc, char **argv) {
    gen_opts o;
    video_extra x = {NULL, 0, 8};
    int r = gen_parse(argc, argv, true, video_usage, video_opt, &x, &o);
    if (r >= 0) return r;
    a2a_t2v_params p = a2a_t2v_default_params();
    const char *model = o.model, *out = o.out, *frames_dir = x.frames_dir;
    const int threads = o.threads;
    const double fps = x.fps;
    p.prompt = o.prompt;
    p.negative = o.negative;
    p.steps = o.steps;
    p.cfg = o.cfg;
    p.seed = o.seed;
    p.sched_kind = o.sched_kind;
    p.width = o.width;
    p.height = o.height;
    p.frames = x.frames;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_t2v *m = NULL;
    float *video = NULL;
    a2a_image *frames = NULL;
    int32_t w = 0, h = 0, nf = 0;
    int rc = 1;
    progress_state ps;
    double t0 = cli_now();
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK || a2a_t2v_load(ctx, model, &m) != A2A_OK) goto fail;
    fprintf(stderr, "any2any generate: loaded %s in %.2f s\n", model, cli_now() - t0);
    cli_sigint_install();
    ps.t0 = cli_now();
    p.progress = gen_progress;
    p.user = &ps;
    p.cancel = &cli_sigint_flag;
    if (a2a_t2v_generate(ctx, tp, m, &p, &video, &w, &h, &nf) != A2A_OK) goto fail;
    frames = calloc((size_t)nf, sizeof *frames);
    if (!frames) {
        a2a_fail(ctx, A2A_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* diffusers' export_to_video: (frame * 255).astype(uint8) after (x / 2 + 0.5).clamp(0, 1) */
    for (int32_t i = 0; i < nf; i++)
        if (a2a_image_from_planar_f32(ctx, video + (size_t)i * 3 * (size_t)w * (size_t)h, 3, h, w,
                                      A2A_PIXEL_RANGE_NEG1_1, A2A_PIXEL_TRUNC, &frames[i]) != A2A_OK)
            goto fail;
    if (a2a_video_write(ctx, out, frames, nf, fps, NULL) != A2A_OK) goto fail;
    if (frames_dir && a2a_video_write_png_frames(ctx, frames_dir, "frame", frames, nf, NULL) != A2A_OK) goto fail;
    fprintf(stderr, "any2any generate: wrote %s (%d frames of %dx%d at %g fps) in %.2f s\n", out, nf, w, h, fps,
            cli_now() - ps.t0);
    printf("%s\n", out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "\nany2any generate: %s\n", a2a_last_error(ctx));
done:
    for (int32_t i = 0; frames && i < nf; i++) a2a_image_free(&frames[i]);
    free(frames);
    free(video);
    a2a_t2v_free(m);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return rc;
}
