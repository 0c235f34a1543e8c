/* bench_encode ENC.gguf [--reps N] [-t THREADS] [--image F] [--audio F] [--video F]
   Times the ImageBind encoder on the three NExT-GPT inputs -- one 224x224 image (1 clip), one
   audio clip set (3 fbank clips of 2 s: what a 10 s sound becomes) and one video (15 clips of
   2 frames: 5 temporal x 3 spatial crops) -- on fixed pseudo-random preprocessed inputs, best
   of N runs, and (when files are given) the front ends from the file on. Prints one JSON
   object; bench/encode/run.sh puts it beside PyTorch's numbers for the same model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/threadpool.h"
#include "models/encoders/imagebind.h"
#include "pipeline/perception.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Deterministic N(0,1)-ish values (sum of uniforms). */
static void fill(float *x, size_t n, uint64_t seed) {
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        float acc = 0;
        for (int k = 0; k < 4; k++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            acc += (float)(s >> 40) / 16777216.0f - 0.5f;
        }
        x[i] = acc * 1.7320508f;
    }
}

int main(int argc, char **argv) {
    const char *model = NULL, *files[3] = {NULL, NULL, NULL};
    int reps = 3, threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "-t") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--image") && i + 1 < argc) files[0] = argv[++i];
        else if (!strcmp(argv[i], "--audio") && i + 1 < argc) files[1] = argv[++i];
        else if (!strcmp(argv[i], "--video") && i + 1 < argc) files[2] = argv[++i];
        else if (!model && argv[i][0] != '-') model = argv[i];
        else {
            fprintf(stderr, "usage: bench_encode ENC.gguf [--reps N] [-t T] [--image F] [--audio F] [--video F]\n");
            return 2;
        }
    }
    if (!model || reps < 1) {
        fprintf(stderr, "usage: bench_encode ENC.gguf [--reps N] [-t T] [--image F] [--audio F] [--video F]\n");
        return 2;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_threadpool *tp = NULL;
    a2a_imagebind *m = NULL;
    double t0 = now();
    if (a2a_threadpool_new(ctx, threads, &tp) != A2A_OK || a2a_imagebind_load(ctx, model, &m) != A2A_OK) {
        fprintf(stderr, "bench_encode: %s\n", a2a_last_error(ctx));
        return 1;
    }
    double t_load = now() - t0;
    const int64_t dim = a2a_imagebind_out_dim(m);
    float *out = malloc(sizeof(float) * (size_t)dim);
    const size_t img = 3 * 224 * 224, aud = 3 * 128 * 204, vid = 15 * 3 * 2 * 224 * 224;
    float *x = malloc(sizeof(float) * vid);
    struct { const char *name; a2a_imagebind_modality mod; int n, frames; size_t floats; } cases[3] = {
        {"image", A2A_IMAGEBIND_VISION, 1, 1, img}, {"audio", A2A_IMAGEBIND_AUDIO, 3, 1, aud},
        {"video", A2A_IMAGEBIND_VISION, 15, 2, vid}};
    printf("{\"model\": \"%s\", \"threads\": %d, \"load_s\": %.3f", model, a2a_threadpool_size(tp), t_load);
    for (int c = 0; c < 3; c++) {
        if (!a2a_imagebind_has(m, cases[c].mod)) continue;
        fill(x, cases[c].floats, (uint64_t)c + 1);
        double best = 1e30;
        for (int r = 0; r < reps; r++) {
            double t = now();
            if (a2a_imagebind_embed(ctx, tp, m, cases[c].mod, x, cases[c].n, cases[c].frames, false, out) != A2A_OK) {
                fprintf(stderr, "bench_encode: %s\n", a2a_last_error(ctx));
                return 1;
            }
            t = now() - t;
            if (t < best) best = t;
        }
        printf(", \"%s_s\": %.4f", cases[c].name, best);
    }
    a2a_perception perc;
    if (a2a_perception_init(ctx, &perc, m, NULL, tp) == A2A_OK) {
        for (int c = 0; c < 3; c++) {
            if (!files[c]) continue;
            a2a_chunk ch = {(a2a_chunk_kind)(c + 1), NULL, files[c], NULL, 0};
            double best = 1e30;
            for (int r = 0; r < reps; r++) {
                a2a_perception_free(&perc);
                a2a_perception_init(ctx, &perc, m, NULL, tp);
                const float *e;
                double t = now();
                if (a2a_perception_embed(ctx, &perc, &ch, &e) != A2A_OK) {
                    fprintf(stderr, "bench_encode: %s: %s\n", files[c], a2a_last_error(ctx));
                    return 1;
                }
                t = now() - t;
                if (t < best) best = t;
            }
            printf(", \"%s_file_s\": %.4f", cases[c].name, best);
        }
        a2a_perception_free(&perc);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf(", \"peak_rss_mb\": %.1f}\n", ru.ru_maxrss / 1024.0);
    free(x);
    free(out);
    a2a_imagebind_free(m);
    a2a_threadpool_free(tp);
    a2a_ctx_free(ctx);
    return 0;
}
