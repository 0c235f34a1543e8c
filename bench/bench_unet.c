/* One UNet2DConditionModel denoising step at Stable Diffusion 1.5's shape: 64x64x4 latents
   (512x512 images), batch 2 (classifier-free guidance pair), context 77 x 768, with random
   weights in SD 1.5's exact architecture (block_out_channels 320/640/1280/1280, 2 layers per
   block, 8 heads, cross_attention_dim 768: ~860M parameters).
   The bench writes a random-weight GGUF in any2any's UNet layout (conv weights F16, linears
   F16 or Q8_0) once to a file, then re-executes itself so the measured process only maps the
   file (its peak RSS is the weights it touches plus activations, not the generator's buffers),
   loads it with a2a_unet2d_load and times a2a_unet2d_forward: the first (planning) step and the
   best of the following ones. Prints seconds per step, the activation arena size and the peak
   RSS, for comparison with stable-diffusion.cpp's sampling time per step on the same shape.
   Usage: bench_unet [threads=all] [steps=3] [f16|q8_0] [latent_side=64] [batch=2]
   (the weight file is /tmp/a2a-bench-unet-sd15-<type>.gguf; delete it to regenerate). */
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "models/diffusion/unet2d.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- random SD 1.5 UNet in GGUF ---- */
typedef struct gen {
    a2a_ctx *ctx;
    a2a_gguf_writer *w;
    a2a_type lin;
    unsigned seed;
    int64_t n_params;
    int failed;
} gen;

static float urand(unsigned *s) {
    *s = *s * 1664525u + 1013904223u;
    return (float)(*s >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* kind 0: vector (norm weight = 1 +- 0.1, bias +-0.02) F32; 1: conv F16; 2: linear (g->lin). */
static void add(gen *g, int kind, int nd, const int64_t *ne, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(gen *g, int kind, int nd, const int64_t *ne, const char *fmt, ...) {
    if (g->failed) return;
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int64_t n = 1, fan_in = 1;
    for (int i = 0; i < nd; i++) n *= ne[i];
    for (int i = 0; i < nd - 1; i++) fan_in *= ne[i];
    float *f = malloc((size_t)n * sizeof(float));
    if (!f) {
        g->failed = 1;
        return;
    }
    const bool is_norm_w = kind == 0 && strstr(name, "norm") && strstr(name, ".weight");
    const float a = kind == 0 ? (is_norm_w ? 0.1f : 0.02f) : 1.7f / sqrtf((float)fan_in);
    for (int64_t i = 0; i < n; i++) f[i] = (is_norm_w ? 1.0f : 0.0f) + a * urand(&g->seed);
    a2a_type dt = kind == 0 ? A2A_TYPE_F32 : kind == 1 ? A2A_TYPE_F16 : g->lin;
    if (ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
    a2a_tensor src;
    a2a_tensor_init(&src, A2A_TYPE_F32, nd, ne, f);
    src.name = name;
    size_t row, bytes;
    a2a_row_size(dt, ne[0], &row);
    bytes = row * (size_t)(n / ne[0]);
    void *buf = malloc(bytes);
    if (!buf || a2a_gguf_writer_keep(g->ctx, g->w, buf) != A2A_OK ||
        a2a_convert_rows(g->ctx, NULL, &src, dt, buf) != A2A_OK ||
        a2a_gguf_writer_add_tensor(g->ctx, g->w, name, dt, nd, ne, buf) != A2A_OK)
        g->failed = 1;
    free(f);
    g->n_params += n;
}

#define V(...) (int64_t[]){__VA_ARGS__}

static void add_resnet(gen *g, const char *p, int64_t cin, int64_t cout, int64_t temb) {
    add(g, 0, 1, V(cin), "%s.norm1.weight", p);
    add(g, 0, 1, V(cin), "%s.norm1.bias", p);
    add(g, 1, 4, V(3, 3, cin, cout), "%s.conv1.weight", p);
    add(g, 0, 1, V(cout), "%s.conv1.bias", p);
    add(g, 2, 2, V(temb, cout), "%s.time_emb_proj.weight", p);
    add(g, 0, 1, V(cout), "%s.time_emb_proj.bias", p);
    add(g, 0, 1, V(cout), "%s.norm2.weight", p);
    add(g, 0, 1, V(cout), "%s.norm2.bias", p);
    add(g, 1, 4, V(3, 3, cout, cout), "%s.conv2.weight", p);
    add(g, 0, 1, V(cout), "%s.conv2.bias", p);
    if (cin != cout) {
        add(g, 1, 4, V(1, 1, cin, cout), "%s.conv_shortcut.weight", p);
        add(g, 0, 1, V(cout), "%s.conv_shortcut.bias", p);
    }
}

static void add_attn(gen *g, const char *p, int64_t C, int64_t cad) {
    add(g, 0, 1, V(C), "%s.norm.weight", p);
    add(g, 0, 1, V(C), "%s.norm.bias", p);
    add(g, 2, 2, V(C, C), "%s.proj_in.weight", p);
    add(g, 0, 1, V(C), "%s.proj_in.bias", p);
    const char *tb = "transformer_blocks.0";
    for (int i = 1; i <= 3; i++) {
        add(g, 0, 1, V(C), "%s.%s.norm%d.weight", p, tb, i);
        add(g, 0, 1, V(C), "%s.%s.norm%d.bias", p, tb, i);
    }
    for (int a = 1; a <= 2; a++) {
        const int64_t kv = a == 1 ? C : cad;
        add(g, 2, 2, V(C, C), "%s.%s.attn%d.to_q.weight", p, tb, a);
        add(g, 2, 2, V(kv, C), "%s.%s.attn%d.to_k.weight", p, tb, a);
        add(g, 2, 2, V(kv, C), "%s.%s.attn%d.to_v.weight", p, tb, a);
        add(g, 2, 2, V(C, C), "%s.%s.attn%d.to_out.0.weight", p, tb, a);
        add(g, 0, 1, V(C), "%s.%s.attn%d.to_out.0.bias", p, tb, a);
    }
    add(g, 2, 2, V(C, 8 * C), "%s.%s.ff.net.0.proj.weight", p, tb);
    add(g, 0, 1, V(8 * C), "%s.%s.ff.net.0.proj.bias", p, tb);
    add(g, 2, 2, V(4 * C, C), "%s.%s.ff.net.2.weight", p, tb);
    add(g, 0, 1, V(C), "%s.%s.ff.net.2.bias", p, tb);
    add(g, 2, 2, V(C, C), "%s.proj_out.weight", p);
    add(g, 0, 1, V(C), "%s.proj_out.bias", p);
}

static int write_sd15(const char *path, a2a_type lin) {
    enum { NB = 4, LPB = 2 };
    const int64_t boc[NB] = {320, 640, 1280, 1280}, ted = 1280, cad = 768;
    const bool down_cross[NB] = {true, true, true, false}, up_cross[NB] = {false, true, true, true};
    gen g = {a2a_ctx_new(), NULL, lin, 12345u, 0, 0};
    if (a2a_gguf_writer_new(g.ctx, &g.w) != A2A_OK) return 1;
    a2a_gguf_writer *w = g.w;
    int32_t b32[NB] = {320, 640, 1280, 1280}, heads[NB] = {8, 8, 8, 8}, cads[NB] = {768, 768, 768, 768},
            tl[NB] = {1, 1, 1, 1};
    const char *dn[NB] = {"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"};
    const char *un[NB] = {"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"};
    a2a_gguf_writer_set_str(g.ctx, w, "general.architecture", "unet2d");
    a2a_gguf_writer_set_u32(g.ctx, w, "unet2d.in_channels", 4);
    a2a_gguf_writer_set_u32(g.ctx, w, "unet2d.out_channels", 4);
    a2a_gguf_writer_set_u32(g.ctx, w, "unet2d.layers_per_block", LPB);
    a2a_gguf_writer_set_u32(g.ctx, w, "unet2d.norm_num_groups", 32);
    a2a_gguf_writer_set_u32(g.ctx, w, "unet2d.time_embed_dim", (uint32_t)ted);
    a2a_gguf_writer_set_f32(g.ctx, w, "unet2d.norm_eps", 1e-5f);
    a2a_gguf_writer_set_arr(g.ctx, w, "unet2d.block_out_channels", A2A_GGUF_INT32, b32, NB);
    a2a_gguf_writer_set_arr(g.ctx, w, "unet2d.attention_heads", A2A_GGUF_INT32, heads, NB);
    a2a_gguf_writer_set_arr(g.ctx, w, "unet2d.cross_attention_dim", A2A_GGUF_INT32, cads, NB);
    a2a_gguf_writer_set_arr(g.ctx, w, "unet2d.transformer_layers_per_block", A2A_GGUF_INT32, tl, NB);
    a2a_gguf_writer_set_arr_str(g.ctx, w, "unet2d.down_block_types", dn, NB);
    a2a_gguf_writer_set_arr_str(g.ctx, w, "unet2d.up_block_types", un, NB);
    add(&g, 1, 4, V(3, 3, 4, 320), "conv_in.weight");
    add(&g, 0, 1, V(320), "conv_in.bias");
    add(&g, 2, 2, V(320, ted), "time_embedding.linear_1.weight");
    add(&g, 0, 1, V(ted), "time_embedding.linear_1.bias");
    add(&g, 2, 2, V(ted, ted), "time_embedding.linear_2.weight");
    add(&g, 0, 1, V(ted), "time_embedding.linear_2.bias");
    char p[128];
    int64_t prev = boc[0];
    for (int i = 0; i < NB; i++) {
        for (int j = 0; j < LPB; j++) {
            snprintf(p, sizeof p, "down_blocks.%d.resnets.%d", i, j);
            add_resnet(&g, p, j == 0 ? prev : boc[i], boc[i], ted);
            if (down_cross[i]) {
                snprintf(p, sizeof p, "down_blocks.%d.attentions.%d", i, j);
                add_attn(&g, p, boc[i], cad);
            }
        }
        if (i < NB - 1) {
            add(&g, 1, 4, V(3, 3, boc[i], boc[i]), "down_blocks.%d.downsamplers.0.conv.weight", i);
            add(&g, 0, 1, V(boc[i]), "down_blocks.%d.downsamplers.0.conv.bias", i);
        }
        prev = boc[i];
    }
    add_resnet(&g, "mid_block.resnets.0", 1280, 1280, ted);
    add_attn(&g, "mid_block.attentions.0", 1280, cad);
    add_resnet(&g, "mid_block.resnets.1", 1280, 1280, ted);
    prev = 1280;
    for (int i = 0; i < NB; i++) {
        const int r = NB - 1 - i;
        const int64_t co = boc[r], cin = boc[r > 0 ? r - 1 : 0];
        for (int j = 0; j <= LPB; j++) {
            snprintf(p, sizeof p, "up_blocks.%d.resnets.%d", i, j);
            add_resnet(&g, p, (j == 0 ? prev : co) + (j == LPB ? cin : co), co, ted);
            if (up_cross[i]) {
                snprintf(p, sizeof p, "up_blocks.%d.attentions.%d", i, j);
                add_attn(&g, p, co, cad);
            }
        }
        if (i < NB - 1) {
            add(&g, 1, 4, V(3, 3, co, co), "up_blocks.%d.upsamplers.0.conv.weight", i);
            add(&g, 0, 1, V(co), "up_blocks.%d.upsamplers.0.conv.bias", i);
        }
        prev = co;
    }
    add(&g, 0, 1, V(320), "conv_norm_out.weight");
    add(&g, 0, 1, V(320), "conv_norm_out.bias");
    add(&g, 1, 4, V(3, 3, 320, 4), "conv_out.weight");
    add(&g, 0, 1, V(4), "conv_out.bias");
    int rc = g.failed || a2a_gguf_writer_write(g.ctx, w, path) != A2A_OK;
    if (rc) fprintf(stderr, "bench_unet: writing %s failed: %s\n", path, a2a_last_error(g.ctx));
    else fprintf(stderr, "bench_unet: wrote %s (%.1fM parameters)\n", path, (double)g.n_params / 1e6);
    a2a_gguf_writer_free(w);
    a2a_ctx_free(g.ctx);
    return rc;
}

int main(int argc, char **argv) {
    a2a_cpu_init();
    const int nt = argc > 1 ? atoi(argv[1]) : 0; /* 0: all cores */
    const int steps = argc > 2 && atoi(argv[2]) > 0 ? atoi(argv[2]) : 3;
    const bool q8 = argc > 3 && strcmp(argv[3], "q8_0") == 0;
    const int64_t side = argc > 4 && atoi(argv[4]) >= 8 ? atoi(argv[4]) : 64;
    const int64_t N = argc > 5 && atoi(argv[5]) >= 1 ? atoi(argv[5]) : 2;
    const int64_t L = 77, D = 768;
    char path[256];
    snprintf(path, sizeof path, "/tmp/a2a-bench-unet-sd15-%s.gguf", q8 ? "q8_0" : "f16");
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (write_sd15(path, q8 ? A2A_TYPE_Q8_0 : A2A_TYPE_F16)) return 1;
        execv("/proc/self/exe", argv); /* measure in a fresh process */
        perror("execv");
        return 1;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_unet2d *u = NULL;
    double t0 = now_s();
    if (a2a_unet2d_load(ctx, path, &u) != A2A_OK) {
        fprintf(stderr, "bench_unet: %s\n", a2a_last_error(ctx));
        return 1;
    }
    const double t_load = now_s() - t0;
    a2a_threadpool *tp = NULL;
    if (a2a_threadpool_new(ctx, nt, &tp) != A2A_OK) return 1;
    float *x = malloc((size_t)(side * side * 4 * N) * sizeof(float));
    float *c = malloc((size_t)(D * L * N) * sizeof(float));
    float *o = malloc((size_t)(side * side * 4 * N) * sizeof(float));
    unsigned s = 7;
    for (int64_t i = 0; i < side * side * 4 * N; i++) x[i] = urand(&s);
    for (int64_t i = 0; i < D * L * N; i++) c[i] = urand(&s);
    a2a_tensor xt = a2a_tensor_make(A2A_TYPE_F32, x, side, side, 4, N), ct = a2a_tensor_make(A2A_TYPE_F32, c, D, L, N, 1),
               ot = a2a_tensor_make(A2A_TYPE_F32, o, side, side, 4, N);
    xt.n_dims = ot.n_dims = 4;
    ct.n_dims = 3;
    float ts[64];
    for (int i = 0; i < 64; i++) ts[i] = 999.0f;
    const size_t act = a2a_unet2d_activation_bytes(u, side, side, N, L);
    double first = 0, best = 1e30, total = 0;
    for (int k = 0; k <= steps; k++) {
        ts[0] = ts[1] = 999.0f - 20.0f * (float)k;
        double a = now_s();
        if (a2a_unet2d_forward(ctx, tp, u, &xt, ts, &ct, NULL, &ot) != A2A_OK) {
            fprintf(stderr, "bench_unet: %s\n", a2a_last_error(ctx));
            return 1;
        }
        double dt = now_s() - a;
        if (k == 0) first = dt;
        else {
            total += dt;
            if (dt < best) best = dt;
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double sum = 0;
    for (int64_t i = 0; i < side * side * 4 * N; i++) sum += o[i];
    printf("bench_unet: SD 1.5 UNet (random weights, convs F16, linears %s), latents %lldx%lldx4 batch %lld, "
           "context %lldx%lld, %d threads\n",
           q8 ? "Q8_0" : "F16", (long long)side, (long long)side, (long long)N, (long long)L, (long long)D, a2a_threadpool_size(tp));
    printf("  load %.2f s (mmap)   first step %.3f s (plans the arena)   best step %.3f s   mean %.3f s over %d\n", t_load,
           first, best, total / steps, steps);
    printf("  activation arena %.1f MiB   peak RSS %.1f MiB   weights file %.1f MiB   (checksum %.6g)\n",
           (double)act / 1048576.0, (double)ru.ru_maxrss / 1024.0, (double)sb.st_size / 1048576.0, sum);
    a2a_threadpool_free(tp);
    a2a_unet2d_free(u);
    a2a_ctx_free(ctx);
    free(x);
    free(c);
    free(o);
    return 0;
}
