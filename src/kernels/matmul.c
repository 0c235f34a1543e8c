/* The matmul op and SGEMM: argument checks, kernel-level dispatch, the BLIS-style blocking
   loops around the packed micro-kernels, and the split of the work across threads.

   Work split: a problem set (one GEMM per batch) is cut into units = batches x parts, where
   a part is a contiguous range of register-tile strips along N (or M when M has more
   strips), about one cache block wide; threads take units from a shared counter, so a
   thread that is slowed down (shared machine, small cores) simply takes fewer. The K
   blocking never depends on the split, so every output element sees the same float
   operations whoever computes it: results are bit-identical for any thread count. */
#include "kernels/matmul.h"

#include <stdatomic.h>
#include <string.h>

#include "core/cpu.h"
#include "core/scratch.h"
#include "kernels/gemm_pack.h"

#if defined(__has_include)
#if __has_include("kernels/matmul_quant.h")
#include "kernels/matmul_quant.h"
#define A2A_HAVE_MATMUL_QUANT 1
#endif
#endif

static atomic_bool g_bf16_compute;

bool a2a_matmul_set_bf16_compute(bool on) { return atomic_exchange(&g_bf16_compute, on); }

/* Packed-GEMM kernel table for the current kernel level; NULL means the scalar reference. */
static const a2a_gemm_kernels *pick_kernels(void) {
    a2a_kernel_level lvl = a2a_kernel_level_get();
    if (lvl >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512)) return a2a_gemm_kernels_avx512();
    if (lvl >= A2A_LEVEL_AVX2 && a2a_cpu_has(A2A_CPU_AVX2)) return a2a_gemm_kernels_avx2();
    return NULL;
}

/* ---- one GEMM on a sub-rectangle, with packing ---- */

/* C[m0:m1, n0:n1] of problem p with kernel family kt (packed panels in this thread's scratch).
   Loops: jc over NC columns -> pc over KC of K -> pack the B panel (kc x nc, sized for L2) ->
   ir over MR rows -> pack one A strip (kc x MR, stays in L1) -> jr over NR -> micro-kernel.
   (Measured on Zen 5 against the BLIS order with an L1-resident B strip and an L2 A block:
   this order was ~5% faster at 2048^3 and ~10% at M = 256.)
   Returns false when scratch memory cannot be had. */
static bool gemm_block(const a2a_gemm_kernels *kt, const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0,
                       int64_t n1) {
    const int64_t MR = kt->mr, NR = kt->nr, KC = kt->kc, NC = kt->nc, P = kt->kpack;
    const size_t a_floats = a2a_align_up((size_t)(MR * ((KC + P - 1) / P)), 16);
    float *buf = a2a_scratch(A2A_MATMUL_SCRATCH_SLOT, (a_floats + (size_t)(((KC + P - 1) / P) * NC)) * sizeof(float));
    if (!buf) return false;
    float *pa = buf, *pb = buf + a_floats;
    const size_t es = p->bt == A2A_TYPE_F32 ? 4 : 2;
    for (int64_t jc = n0; jc < n1; jc += NC) {
        const int64_t nc = A2A_MIN(NC, n1 - jc);
        for (int64_t pc = 0; pc < p->K; pc += KC) {
            const int64_t kc = A2A_MIN(KC, p->K - pc);
            const void *bsrc = p->b_trans ? (const char *)p->B + ((size_t)jc * (size_t)p->ldb + (size_t)pc) * es
                                          : (const void *)((const float *)p->B + pc * p->ldb + jc);
            kt->pack_b(kc, nc, bsrc, p->ldb, p->bt, p->b_trans, pb);
            const int mode = pc == 0 ? A2A_GEMM_STORE_FIRST : A2A_GEMM_STORE_ACCUM;
            const int64_t bstrip = (kc + P - 1) / P * NR; /* slots per packed B strip */
            for (int64_t ir = m0; ir < m1; ir += MR) {
                const int mr = (int)A2A_MIN(MR, m1 - ir);
                kt->pack_a(kc, mr, p->A + ir * p->lda + pc, p->lda, pa);
                float *crow = p->C + ir * p->ldc + jc;
                for (int64_t jr = 0; jr < nc; jr += NR) {
                    const int nr = (int)A2A_MIN(NR, nc - jr);
                    kt->kernel(kc, pa, pb + (jr / NR) * bstrip, crow + jr, p->ldc, mr, nr, p->alpha, p->beta, mode);
                }
            }
        }
    }
    return true;
}

/* C = beta*C (or 0 when beta == 0) on C[m0:m1, n0:n1]: the K == 0 case. */
static void scale_block(const a2a_gemm_prob *p, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
    for (int64_t m = m0; m < m1; m++) {
        float *c = p->C + m * p->ldc;
        for (int64_t n = n0; n < n1; n++) c[n] = p->beta == 0.0f ? 0.0f : p->beta * c[n];
    }
}

/* ---- batched, threaded driver ---- */

typedef enum { PATH_REF, PATH_GEMM, PATH_GEMV, PATH_SMALL, PATH_AMX } mm_path;

typedef struct mm_job {
    a2a_gemm_prob base;            /* shape, strides, type, alpha/beta; A/B/C of batch (0,0) */
    const a2a_gemm_kernels *kt;    /* for PATH_GEMM / PATH_GEMV */
    mm_path path;
    int64_t nb2, nb3;              /* batch dims of A/C */
    int64_t r2, r3;                /* broadcast ratios: B batch = (b2 / r2, b3 / r3) */
    size_t a_nb2, a_nb3, b_nb2, b_nb3, c_nb2, c_nb3; /* batch byte strides */
    int64_t parts;                 /* parts per batch */
    bool split_n;                  /* parts cut N (else M) */
    int64_t grain;                 /* strip width of the split dimension */
    int64_t units;                 /* nb2 * nb3 * parts */
    atomic_llong next;             /* next unit to hand out */
    atomic_int failed;             /* set when a thread ran out of scratch */
    bool force_bf16;               /* bf16 compute for this job (a2a_gemm_bf16) */
} mm_job;

/* The problem of batch index bi (b2 fastest). */
static a2a_gemm_prob batch_prob(const mm_job *j, int64_t bi) {
    a2a_gemm_prob p = j->base;
    const int64_t b2 = bi % j->nb2, b3 = bi / j->nb2;
    p.A = (const float *)((const char *)p.A + (size_t)b2 * j->a_nb2 + (size_t)b3 * j->a_nb3);
    p.B = (const char *)p.B + (size_t)(b2 / j->r2) * j->b_nb2 + (size_t)(b3 / j->r3) * j->b_nb3;
    p.C = (float *)((char *)p.C + (size_t)b2 * j->c_nb2 + (size_t)b3 * j->c_nb3);
    return p;
}

/* Thread body: take units from the shared counter until none are left. */
static void mm_task(void *arg, int64_t i0, int64_t i1, int ith, int nth) {
    (void)i0, (void)i1, (void)ith, (void)nth;
    mm_job *j = arg;
    for (;;) {
        const int64_t u = (int64_t)atomic_fetch_add(&j->next, 1);
        if (u >= j->units) break;
        a2a_gemm_prob p = batch_prob(j, u / j->parts);
        const int64_t part = u % j->parts;
        const int64_t dim = j->split_n ? p.N : p.M;
        const int64_t strips = (dim + j->grain - 1) / j->grain;
        const int64_t s0 = strips * part / j->parts, s1 = strips * (part + 1) / j->parts;
        const int64_t lo = s0 * j->grain, hi = A2A_MIN(dim, s1 * j->grain);
        if (lo >= hi) continue;
        const int64_t m0 = j->split_n ? 0 : lo, m1 = j->split_n ? p.M : hi;
        const int64_t n0 = j->split_n ? lo : 0, n1 = j->split_n ? hi : p.N;
        if (p.K == 0) {
            scale_block(&p, m0, m1, n0, n1);
            continue;
        }
        switch (j->path) {
        case PATH_REF: a2a_ref_gemm(&p, m0, m1, n0, n1); break;
        case PATH_GEMV:
            j->kt->gemv(p.K, n0, n1, p.B, p.ldb, p.bt, (int)p.M, p.A, p.lda, p.C, p.ldc, p.alpha, p.beta);
            break;
        case PATH_SMALL:
            j->kt->gemm_small(p.K, n0, n1, p.B, p.ldb, p.bt, (int)p.M, p.A, p.lda, p.C, p.ldc, p.alpha, p.beta);
            break;
        case PATH_GEMM:
            if (!gemm_block(j->kt, &p, m0, m1, n0, n1)) atomic_store(&j->failed, 1);
            break;
        case PATH_AMX:
            if (!a2a_gemm_amx_bf16(&p, m0, m1, n0, n1)) atomic_store(&j->failed, 1);
            break;
        }
    }
}

/* Choose the path and the split for job j (base problem, batches and kt already set), run it. */
static a2a_status mm_run(a2a_ctx *ctx, a2a_threadpool *tp, mm_job *j, const char *who) {
    const a2a_gemm_prob *p = &j->base;
    const int nth = a2a_threadpool_size(tp);
    const int64_t nbatch = j->nb2 * j->nb3;
    if (nbatch == 0 || p->M == 0 || p->N == 0) return A2A_OK;
    const bool bf16c = p->b_trans && p->bt == A2A_TYPE_BF16 && (j->force_bf16 || atomic_load(&g_bf16_compute));
    if (!j->kt) {
        j->path = PATH_REF;
    } else if (p->b_trans && p->M < A2A_MATMUL_GEMV_MAX_M) {
        j->path = PATH_GEMV;
    } else if (bf16c && a2a_kernel_level_get() >= A2A_LEVEL_AMX && a2a_cpu_has(A2A_CPU_AMX)) {
        j->path = PATH_AMX;
    } else if (bf16c && a2a_kernel_level_get() >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512 | A2A_CPU_AVX512_BF16)) {
        j->path = PATH_GEMM;
        j->kt = a2a_gemm_kernels_avx512_bf16();
    } else if (p->b_trans && j->kt->gemm_small &&
               p->M < (p->bt == A2A_TYPE_F32 ? j->kt->small_max_m : j->kt->small_max_m16)) {
        j->path = PATH_SMALL;
    } else {
        j->path = PATH_GEMM;
    }
    /* split: GEMV and AMX cut N; GEMM cuts the dimension with more register-tile strips */
    switch (j->path) {
    case PATH_REF: j->split_n = p->N >= p->M; j->grain = 1; break;
    case PATH_GEMV: j->split_n = true; j->grain = 16; break;
    case PATH_SMALL: j->split_n = true; j->grain = 4; break;
    case PATH_AMX: j->split_n = true; j->grain = 32; break;
    case PATH_GEMM: {
        const int64_t sn = (p->N + j->kt->nr - 1) / j->kt->nr, sm = (p->M + j->kt->mr - 1) / j->kt->mr;
        j->split_n = sn >= sm || sn >= 4 * nth;
        j->grain = j->split_n ? j->kt->nr : j->kt->mr;
        break;
    }
    }
    /* parts per batch: about one cache block (GEMM) or a few per thread (GEMV-like paths);
       with many batches, whole batches are units */
    int64_t parts = nth;
    switch (j->path) {
    case PATH_REF: break;
    case PATH_GEMV:
    case PATH_SMALL: parts = 4 * (int64_t)nth; break;
    case PATH_AMX: parts = A2A_MAX(parts, (p->N + 255) / 256); break;
    case PATH_GEMM:
        parts = A2A_MAX(parts, j->split_n ? (p->N + j->kt->nc - 1) / j->kt->nc : (p->M + 16 * j->kt->mr - 1) / (16 * j->kt->mr));
        break;
    }
    j->parts = nbatch >= 4 * (int64_t)nth ? 1 : parts;
    if (!a2a_mul_i64_ok(nbatch, j->parts, &j->units))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: too many batches", who);
    atomic_store(&j->failed, 0);
    atomic_store(&j->next, 0);
    a2a_parallel_run(tp, mm_task, j);
    if (atomic_load(&j->failed)) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory for packed panels", who);
    return A2A_OK;
}

/* ---- public entry points ---- */

a2a_status a2a_sgemm(a2a_ctx *ctx, a2a_threadpool *tp, bool b_trans, int64_t M, int64_t N, int64_t K, float alpha,
                     const float *A, int64_t lda, const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
    if (M < 0 || N < 0 || K < 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sgemm: negative size M=%lld N=%lld K=%lld", (long long)M,
                        (long long)N, (long long)K);
    if (M == 0 || N == 0) return A2A_OK;
    if (lda < K || ldc < N || ldb < (b_trans ? K : N))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sgemm: stride too small (lda=%lld ldb=%lld ldc=%lld for M=%lld N=%lld K=%lld)",
                        (long long)lda, (long long)ldb, (long long)ldc, (long long)M, (long long)N, (long long)K);
    if (!C || (K > 0 && (!A || !B))) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "sgemm: NULL matrix");
    mm_job j;
    memset(&j, 0, sizeof(j));
    j.base = (a2a_gemm_prob){.M = M, .N = N, .K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .bt = A2A_TYPE_F32,
                             .b_trans = b_trans, .C = C, .ldc = ldc, .alpha = alpha, .beta = beta};
    j.kt = pick_kernels();
    j.nb2 = j.nb3 = j.r2 = j.r3 = 1;
    return mm_run(ctx, tp, &j, "sgemm");
}

a2a_status a2a_gemm_bf16(a2a_ctx *ctx, a2a_threadpool *tp, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
                         const a2a_bf16 *B, int64_t ldb, float *C, int64_t ldc, bool bf16_compute) {
    if (M < 0 || N < 0 || K < 0 || lda < K || ldb < K || ldc < N)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gemm_bf16: bad sizes M=%lld N=%lld K=%lld", (long long)M, (long long)N,
                        (long long)K);
    if (M == 0 || N == 0) return A2A_OK;
    mm_job j;
    memset(&j, 0, sizeof(j));
    j.base = (a2a_gemm_prob){.M = M, .N = N, .K = K, .A = A, .lda = lda, .B = B, .ldb = ldb, .bt = A2A_TYPE_BF16,
                             .b_trans = true, .C = C, .ldc = ldc, .alpha = 1.0f, .beta = 0.0f};
    j.kt = pick_kernels();
    j.nb2 = j.nb3 = j.r2 = j.r3 = 1;
    j.force_bf16 = bf16_compute;
    return mm_run(ctx, tp, &j, "gemm_bf16");
}

a2a_status a2a_op_matmul(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *w, const a2a_tensor *x) {
    if (!dst || !w || !x) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "matmul: NULL tensor");
    const a2a_type_traits *wtr = a2a_type_info((int)w->type);
    if (!wtr) return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul: invalid weight type %d", (int)w->type);
    char sw[96], sx[96], sd[96];
    a2a_tensor_shape_str(w, sw, sizeof(sw));
    a2a_tensor_shape_str(x, sx, sizeof(sx));
    a2a_tensor_shape_str(dst, sd, sizeof(sd));
    if (x->type != A2A_TYPE_F32 || dst->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul: x and dst must be f32 (x %s, dst %s)", a2a_type_name(x->type),
                        a2a_type_name(dst->type));
    if (w->ne[0] != x->ne[0] || dst->ne[0] != w->ne[1] || dst->ne[1] != x->ne[1] || dst->ne[2] != x->ne[2] ||
        dst->ne[3] != x->ne[3] || w->ne[2] < 1 || w->ne[3] < 1 || x->ne[2] % w->ne[2] != 0 ||
        x->ne[3] % w->ne[3] != 0 || w->ne[4] != 1 || x->ne[4] != 1 || dst->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE,
                        "matmul: shape mismatch: w %s x %s -> dst %s (want w [K,N,B2w,B3w], x [K,M,B2,B3], dst [N,M,B2,B3], B2%%B2w==0, B3%%B3w==0)",
                        sw, sx, sd);
    if (x->nb[0] != 4 || dst->nb[0] != 4 || x->nb[1] % 4 != 0 || dst->nb[1] % 4 != 0 || x->nb[2] % 4 != 0 ||
        x->nb[3] % 4 != 0 || dst->nb[2] % 4 != 0 || dst->nb[3] % 4 != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul: x %s and dst %s need contiguous, 4-byte aligned rows", sx, sd);
    if (wtr->quantized) {
#ifdef A2A_HAVE_MATMUL_QUANT
        if (a2a_matmul_dequant_wanted(w, x->ne[1])) return a2a_matmul_dequant(ctx, tp, dst, w, x);
        return a2a_matmul_quant(ctx, tp, dst, w, x);
#else
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "matmul: quantized weights (%s) not built", wtr->name);
#endif
    }
    if (w->type != A2A_TYPE_F32 && w->type != A2A_TYPE_F16 && w->type != A2A_TYPE_BF16)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "matmul: weight type %s not supported", wtr->name);
    const size_t es = wtr->size;
    if (w->nb[0] != es || w->nb[1] % es != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "matmul: weight %s rows must be contiguous and aligned", sw);
    const int64_t M = x->ne[1], N = w->ne[1], K = x->ne[0];
    if (M == 0 || N == 0 || x->ne[2] == 0 || x->ne[3] == 0) return A2A_OK;
    if (!dst->data || (K > 0 && (!x->data || !w->data))) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "matmul: NULL data");
    mm_job j;
    memset(&j, 0, sizeof(j));
    j.base = (a2a_gemm_prob){.M = M, .N = N, .K = K, .A = x->data, .lda = (int64_t)(x->nb[1] / 4), .B = w->data,
                             .ldb = (int64_t)(w->nb[1] / es), .bt = w->type, .b_trans = true, .C = dst->data,
                             .ldc = (int64_t)(dst->nb[1] / 4), .alpha = 1.0f, .beta = 0.0f};
    j.kt = pick_kernels();
    j.nb2 = x->ne[2];
    j.nb3 = x->ne[3];
    j.r2 = x->ne[2] / w->ne[2];
    j.r3 = x->ne[3] / w->ne[3];
    j.a_nb2 = x->nb[2], j.a_nb3 = x->nb[3];
    j.b_nb2 = w->nb[2], j.b_nb3 = w->nb[3];
    j.c_nb2 = dst->nb[2], j.c_nb3 = dst->nb[3];
    return mm_run(ctx, tp, &j, "matmul");
}
