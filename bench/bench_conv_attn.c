/* Benchmarks for convolution and attention.
     conv2d 3x3 pad 1, 64x64, 320 -> 320 channels (SD 1.5 UNet's first block at 512x512),
       F32 and F16 weights; with OpenBLAS present, the same im2col + cblas_sgemm for the ratio.
     conv_transpose1d K 16 stride 8, 512 -> 256 channels, L 200 (HiFi-GAN's first upsampler).
     attention: 4096 tokens, D 64, H 8; SD's 64x64 self-attention (4096 tokens, 320 channels
       = 8 heads of D 40); causal prefill; decode (1 query, 4096 cached F16 keys, 32 heads of
       D 128, GQA 8 KV heads).
   Prints GFLOP/s per kernel level (FLOPs counted as 2 per multiply-add; attention as
   4*n_q*n_kv*D*H, halved for causal). Usage: bench_conv_attn [threads] (default: all cores). */
#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"
#include "kernels/attention.h"
#include "kernels/conv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef A2A_HAVE_OPENBLAS
#include <cblas.h>
#endif

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *rand_buf(size_t n, unsigned seed) {
    float *p = malloc(n * sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
    return p;
}

typedef a2a_status (*bench_fn)(void *arg);

/* Best-of-`reps` seconds of fn (after one warm-up run). */
static double time_best(bench_fn fn, void *arg, int reps) {
    if (fn(arg) != A2A_OK) return -1;
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        fn(arg);
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    return best;
}

typedef struct conv_arg {
    a2a_threadpool *tp;
    a2a_tensor *dst, *x, *w, *b;
    a2a_conv2d_params p;
} conv_arg;

static a2a_status run_conv(void *arg) {
    conv_arg *c = arg;
    return a2a_op_conv2d(NULL, c->tp, c->dst, c->x, c->w, c->b, &c->p);
}

typedef struct convt_arg {
    a2a_threadpool *tp;
    a2a_tensor *dst, *x, *w, *b;
} convt_arg;

static a2a_status run_convt(void *arg) {
    convt_arg *c = arg;
    return a2a_op_conv_transpose1d(NULL, c->tp, c->dst, c->x, c->w, c->b, 8, 4, 0, 1, 1);
}

typedef struct attn_arg {
    a2a_threadpool *tp;
    a2a_tensor *dst, *q, *k, *v;
    a2a_attention_params p;
} attn_arg;

static a2a_status run_attn(void *arg) {
    attn_arg *a = arg;
    return a2a_op_attention(NULL, a->tp, a->dst, a->q, a->k, a->v, NULL, &a->p);
}

#ifdef A2A_HAVE_OPENBLAS
/* The peer: im2col (3x3, pad 1, stride 1) into [K][M] and one cblas_sgemm. */
typedef struct blas_arg {
    const float *x, *w;
    float *cols, *out;
    int W, H, cin, cout;
} blas_arg;

static a2a_status run_blas(void *arg) {
    blas_arg *b = arg;
    const int W = b->W, H = b->H, M = W * H, K = b->cin * 9;
    for (int c = 0; c < b->cin; c++)
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++) {
                float *row = b->cols + (size_t)((c * 3 + kh) * 3 + kw) * M;
                for (int oh = 0; oh < H; oh++) {
                    const int ih = oh - 1 + kh;
                    for (int ow = 0; ow < W; ow++) {
                        const int iw = ow - 1 + kw;
                        row[oh * W + ow] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? b->x[((size_t)c * H + ih) * W + iw] : 0.0f;
                    }
                }
            }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b->cout, M, K, 1.0f, b->w, K, b->cols, M, 0.0f, b->out, M);
    return A2A_OK;
}
#endif

static const a2a_kernel_level k_levels[] = {A2A_LEVEL_AVX2, A2A_LEVEL_AVX512};

static void bench_conv(a2a_threadpool *tp) {
    const int W = 64, H = 64, C = 320;
    const double flops = 2.0 * C * C * 9 * W * H;
    float *x = rand_buf((size_t)W * H * C, 1), *w = rand_buf((size_t)9 * C * C, 2), *b = rand_buf(C, 3);
    float *out = malloc((size_t)W * H * C * sizeof(float));
    a2a_fp16 *wh = malloc((size_t)9 * C * C * sizeof(a2a_fp16));
    for (size_t i = 0; i < (size_t)9 * C * C; i++) wh[i] = a2a_f32_to_fp16(w[i]);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, W, H, C, 1), tw = a2a_tensor_make(A2A_TYPE_F32, w, 3, 3, C, C);
    a2a_tensor twh = a2a_tensor_make(A2A_TYPE_F16, wh, 3, 3, C, C);
    a2a_tensor tb = a2a_tensor_make(A2A_TYPE_F32, b, C, 1, 1, 1), td = a2a_tensor_make(A2A_TYPE_F32, out, W, H, C, 1);
    conv_arg ca = {tp, &td, &tx, &tw, &tb, a2a_conv2d_default_params()};
    ca.p.pad_w = ca.p.pad_h = 1;
    double ours = 0;
    for (size_t li = 0; li < 2; li++) {
        if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
        ca.w = &tw;
        double t = time_best(run_conv, &ca, 5);
        ca.w = &twh;
        double th = time_best(run_conv, &ca, 5);
        printf("conv2d 3x3 64x64 320->320  %-6s  f32 w: %7.2f ms %6.1f GFLOP/s   f16 w: %7.2f ms %6.1f GFLOP/s\n",
               a2a_kernel_level_name(k_levels[li]), t * 1e3, flops / t * 1e-9, th * 1e3, flops / th * 1e-9);
        ours = t;
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
#ifdef A2A_HAVE_OPENBLAS
    blas_arg ba = {x, w, malloc((size_t)9 * C * W * H * sizeof(float)), malloc((size_t)W * H * C * sizeof(float)), W, H, C, C};
    double tb_s = time_best(run_blas, &ba, 5);
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("conv2d 3x3 64x64 320->320  openblas im2col+sgemm: %7.2f ms %6.1f GFLOP/s   ours/openblas speed ratio %.2f"
           "  (OPENBLAS_CORETYPE=%s%s)\n", tb_s * 1e3, flops / tb_s * 1e-9, tb_s / ours, ct ? ct : "unset",
           ct ? "" : ": OpenBLAS may misdetect the CPU; set e.g. SKYLAKEX or SAPPHIRERAPIDS for a fair peer");
    free(ba.cols), free(ba.out);
#else
    printf("(OpenBLAS not found: no peer comparison)\n");
#endif
    free(x), free(w), free(b), free(out), free(wh);

    /* HiFi-GAN first upsampler */
    const int L = 200, ci = 512, co = 256, K = 16;
    const int64_t lout = a2a_conv_transpose_out_size(L, K, 8, 4, 1, 0);
    float *tx1 = rand_buf((size_t)L * ci, 4), *tw1 = rand_buf((size_t)K * co * ci, 5), *tb1 = rand_buf(co, 6);
    float *to1 = malloc((size_t)lout * co * sizeof(float));
    a2a_tensor X = a2a_tensor_make(A2A_TYPE_F32, tx1, L, ci, 1, 1), Wt = a2a_tensor_make(A2A_TYPE_F32, tw1, K, co, ci, 1);
    a2a_tensor B = a2a_tensor_make(A2A_TYPE_F32, tb1, co, 1, 1, 1), D = a2a_tensor_make(A2A_TYPE_F32, to1, lout, co, 1, 1);
    convt_arg cta = {tp, &D, &X, &Wt, &B};
    double t = time_best(run_convt, &cta, 5);
    const double fl = 2.0 * L * ci * co * K;
    printf("conv_transpose1d K16 s8 512->256 L200 (%s): %7.2f ms %6.1f GFLOP/s\n",
           a2a_kernel_level_name(a2a_kernel_level_get()), t * 1e3, fl / t * 1e-9);
    free(tx1), free(tw1), free(tb1), free(to1);
}

/* Attention with q/k/v as permuted views of [D, H, n] projections, as the models use them. */
static void bench_attn_case(a2a_threadpool *tp, const char *name, int64_t D, int64_t H, int64_t Hkv, int64_t nq,
                            int64_t nkv, int causal, a2a_type kvtype, int reps) {
    const size_t kvsz = kvtype == A2A_TYPE_F16 ? 2 : 4;
    float *q = rand_buf((size_t)(D * H * nq), 7), *o = malloc((size_t)(D * H * nq) * sizeof(float));
    float *kf = rand_buf((size_t)(D * Hkv * nkv), 8), *vf = rand_buf((size_t)(D * Hkv * nkv), 9);
    void *k = kf, *v = vf;
    if (kvtype == A2A_TYPE_F16) {
        a2a_fp16 *kh = malloc((size_t)(D * Hkv * nkv) * kvsz), *vh = malloc((size_t)(D * Hkv * nkv) * kvsz);
        for (int64_t i = 0; i < D * Hkv * nkv; i++) kh[i] = a2a_f32_to_fp16(kf[i]), vh[i] = a2a_f32_to_fp16(vf[i]);
        k = kh, v = vh;
    }
    const int perm[5] = {0, 2, 1, 3, 4};
    a2a_tensor qs = a2a_tensor_make(A2A_TYPE_F32, q, D, H, nq, 1), ks = a2a_tensor_make(kvtype, k, D, Hkv, nkv, 1);
    a2a_tensor vs = a2a_tensor_make(kvtype, v, D, Hkv, nkv, 1);
    a2a_tensor tq = a2a_tensor_permute(&qs, perm), tk = a2a_tensor_permute(&ks, perm), tv = a2a_tensor_permute(&vs, perm);
    a2a_tensor td = a2a_tensor_make(A2A_TYPE_F32, o, D, H, nq, 1);
    attn_arg aa = {tp, &td, &tq, &tk, &tv, a2a_attention_default_params()};
    aa.p.causal = causal;
    double flops = 4.0 * (double)nq * (double)nkv * (double)D * (double)H;
    if (causal && nq == nkv) flops *= 0.5;
    for (size_t li = 0; li < 2; li++) {
        if (a2a_kernel_level_set(k_levels[li]) != k_levels[li]) continue;
        double t = time_best(run_attn, &aa, reps);
        printf("attention %-34s %-6s %8.2f ms %6.1f GFLOP/s", name, a2a_kernel_level_name(k_levels[li]), t * 1e3,
               flops / t * 1e-9);
        if (nq == 1) printf("  (K+V read: %.1f GB/s)", 2.0 * (double)(D * Hkv * nkv) * (double)kvsz / t * 1e-9);
        printf("\n");
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
    if (k != kf) free(k), free(v);
    free(q), free(o), free(kf), free(vf);
}

int main(int argc, char **argv) {
    a2a_cpu_init();
    const int nt = argc > 1 ? atoi(argv[1]) : 0;
    a2a_threadpool *tp = NULL;
    if (a2a_threadpool_new(NULL, nt, &tp) != A2A_OK) return 1;
    printf("threads %d, cpu: %s, best level %s\n", a2a_threadpool_size(tp), a2a_cpu_features_str(),
           a2a_kernel_level_name(a2a_kernel_level_max()));
    bench_conv(tp);
    bench_attn_case(tp, "n 4096 D 64 H 8", 64, 8, 8, 4096, 4096, 0, A2A_TYPE_F32, 2);
    bench_attn_case(tp, "SD 64x64 self (n 4096 D 40 H 8)", 40, 8, 8, 4096, 4096, 0, A2A_TYPE_F32, 2);
    bench_attn_case(tp, "causal n 2048 D 128 H 8 f16 kv", 128, 8, 8, 2048, 2048, 1, A2A_TYPE_F16, 2);
    bench_attn_case(tp, "decode nkv 4096 D 128 H 32/8 f16", 128, 32, 8, 1, 4096, 1, A2A_TYPE_F16, 20);
    a2a_threadpool_free(tp);
    return 0;
}
