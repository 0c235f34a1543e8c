/* Prefill path for quantized weights: for many activation rows the integer dot products of
   a2a_matmul_quant re-unpack each weight block for every 4 rows, while a packed GEMM reuses a
   panel across all rows. So when M is large, weight rows are dequantized in chunks (a few MB,
   cache-friendly) and multiplied by the packed GEMM: on CPUs with AVX512_BF16 the weights are
   rounded to bf16 and activations too (vdpbf16ps, f32 accumulation: relative error ~2^-9 per
   product, far below the 4-8 bit weight quantization, comparable to the integer path's Q8
   activations); elsewhere the weights are dequantized exactly to F32 for the F32 GEMM. */
#include "core/scratch.h"
#include "kernels/convert.h"
#include "kernels/dequant.h"
#include "kernels/matmul.h"
#include "kernels/matmul_quant.h"

#include <string.h>

/* Activation rows from which dequantize+GEMM beats the integer kernels (measured on Zen 5:
   the crossover is between 16 and 32 rows for q4_0/q8_0). */
#define DEQUANT_MIN_M 32
/* Bytes of F32 weight rows per chunk. */
#define CHUNK_BYTES ((size_t)4 << 20)

bool a2a_matmul_dequant_wanted(const a2a_tensor *w, int64_t M) {
    return M >= DEQUANT_MIN_M && a2a_dequantize_has_simd(w->type, a2a_kernel_level_get());
}

typedef struct deq_job {
    const char *w;        /* first weight row of the chunk */
    size_t w_row;         /* bytes per weight row */
    void *out;            /* [rows][K] F32 or BF16 */
    bool bf16;            /* out is BF16 */
    int64_t K;
    a2a_type type;
    a2a_kernel_level lvl;
    _Atomic int failed;
} deq_job;

static void deq_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    deq_job *j = arg;
    float *tmp = j->bf16 ? a2a_scratch(0, (size_t)j->K * sizeof(float)) : NULL;
    if (j->bf16 && !tmp) { j->failed = 1; return; }
    for (int64_t r = r0; r < r1; r++) {
        const char *src = j->w + (size_t)r * j->w_row;
        if (j->bf16) {
            a2a_dequantize_row_lvl(j->type, src, tmp, j->K, j->lvl);
            a2a_convert_f32_to_bf16(tmp, (a2a_bf16 *)j->out + r * j->K, j->K, j->lvl);
        } else {
            a2a_dequantize_row_lvl(j->type, src, (float *)j->out + r * j->K, j->K, j->lvl);
        }
    }
}

a2a_status a2a_matmul_dequant(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w,
                              const a2a_tensor *x) {
    const int64_t K = w->ne[0], N = w->ne[1], M = x->ne[1];
    int64_t rows = (int64_t)(CHUNK_BYTES / ((size_t)K * sizeof(float)));
    rows = rows < 16 ? 16 : rows - rows % 16;
    if (rows > N) rows = N;
    const bool bf16 = a2a_kernel_level_get() >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512_BF16);
    void *buf = a2a_scratch(1, (size_t)rows * (size_t)K * (bf16 ? 2 : 4));
    if (!buf) return a2a_fail(ctx, A2A_ERR_NOMEM, "matmul: cannot allocate %lld x %lld dequantized weights", (long long)rows, (long long)K);
    const int64_t r2 = x->ne[2] / w->ne[2], r3 = x->ne[3] / w->ne[3];
    deq_job j = {NULL, w->nb[1], buf, bf16, K, w->type, a2a_kernel_level_get(), 0};
    for (int64_t b3 = 0; b3 < x->ne[3]; b3++)
        for (int64_t b2 = 0; b2 < x->ne[2]; b2++) {
            const char *wb = (const char *)w->data + (size_t)(b2 / r2) * w->nb[2] + (size_t)(b3 / r3) * w->nb[3];
            const float *xb = (const float *)((const char *)x->data + (size_t)b2 * x->nb[2] + (size_t)b3 * x->nb[3]);
            float *db = (float *)((char *)dst->data + (size_t)b2 * dst->nb[2] + (size_t)b3 * dst->nb[3]);
            for (int64_t n0 = 0; n0 < N; n0 += rows) {
                int64_t nc = N - n0 < rows ? N - n0 : rows;
                j.w = wb + (size_t)n0 * w->nb[1];
                a2a_parallel_for(tp, nc, 4, deq_rows, &j);
                if (j.failed) return a2a_fail(ctx, A2A_ERR_NOMEM, "matmul: out of scratch memory");
                a2a_status st = bf16 ? a2a_gemm_bf16(ctx, tp, M, nc, K, xb, (int64_t)(x->nb[1] / 4), buf, K, db + n0,
                                                     (int64_t)(dst->nb[1] / 4), true)
                                     : a2a_sgemm(ctx, tp, true, M, nc, K, 1.0f, xb, (int64_t)(x->nb[1] / 4), buf, K, 0.0f,
                                                 db + n0, (int64_t)(dst->nb[1] / 4));
                if (st) return st;
            }
        }
    return A2A_OK;
}
