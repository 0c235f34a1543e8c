/* Memory-efficient attention: validation, work split over (batch, KV head, block of query
   rows of the heads sharing that KV head), and the blocked online-softmax driver. The inner block products and row operations are the
   per-level kernels of a2a_attn_kernels (ref/attention_ref.c, x86/attention_avx2.c,
   x86/attention_avx512.c). See attention.h for the contract. */
#include "kernels/attention.h"

#include "core/cpu.h"
#include "core/scratch.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* Query rows per task and keys per block. Per-thread scratch is about
   (BQ*D + D*BK + BK*Dv + BQ*BK + BQ*Dv + BK) floats: ~200 KB for D = Dv = 64, ~320 KB for 128.
   128 query rows per task amortize the key-block transpose and the K/V reads over more rows
   than 64 did (measured +18% at D 64). */
#define ATTN_BQ 128
#define ATTN_BK 128
/* Scratch slot for the per-thread block buffers (matmul uses 3, quantized matmul 1, conv 2). */
#define ATTN_SCRATCH_SLOT 0
/* Decode-like calls (at most ATTN_SPLIT_MAX_NQ queries per head) over more than
   2*ATTN_KV_SPLIT keys split the keys into chunks of ATTN_KV_SPLIT (a multiple of ATTN_BK),
   processed as separate tasks and merged afterwards, so that few heads still use all
   threads. The split depends only on the shapes, never on the thread count. */
#define ATTN_SPLIT_MAX_NQ 4
#define ATTN_KV_SPLIT 1024
_Static_assert(ATTN_KV_SPLIT % ATTN_BK == 0, "KV split must be whole blocks");
/* Scratch slot of the calling thread for the split partial results. */
#define ATTN_PART_SLOT 1
/* Largest head dimension accepted (keeps the per-thread buffers sane). */
#define ATTN_MAX_HEAD_DIM 4096

a2a_attention_params a2a_attention_default_params(void) { return A2A_ATTENTION_PARAMS_DEFAULT; }

/* The block kernels for the current kernel level. */
static const a2a_attn_kernels *pick_kernels(void) {
    const a2a_kernel_level lv = a2a_kernel_level_get();
    if (lv >= A2A_LEVEL_AVX512 && a2a_cpu_has(A2A_CPU_AVX512)) return &a2a_attn_kernels_avx512;
    if (lv >= A2A_LEVEL_AVX2 && a2a_cpu_has(A2A_CPU_AVX2)) return &a2a_attn_kernels_avx2;
    return &a2a_attn_kernels_ref;
}

typedef struct attn_job {
    const a2a_tensor *q, *k, *v, *mask;
    a2a_tensor *dst;
    int64_t D, Dv, nq, nkv, H, Hkv, B;
    int64_t group; /* H / Hkv: query heads sharing one KV head */
    int64_t nsub;  /* the group is processed as nsub units of gs = group / nsub heads */
    int64_t gs;
    int64_t nrb;   /* blocks of ATTN_BQ stacked rows per unit; stacked row t of unit `sub` of
                      KV head hk is query t / gs of head hk*group + sub*gs + t % gs, so a block
                      reads its keys once for all heads of the unit (GQA) */
    float scale, softcap;
    int causal;
    int64_t kv_offset;
    const a2a_attn_kernels *kern;
    bool k_rows;      /* read the keys in place (qk_rows) rather than transposing each block */
    int64_t nsplit;   /* key chunks of ATTN_KV_SPLIT processed as separate tasks (1: no split) */
    float *part;      /* nsplit > 1: per (b, h, i, chunk) the chunk's max, sum and unnormalized
                         output: [B][H][n_q][nsplit][2 + Dv] */
    atomic_int nomem; /* set when a thread could not get its scratch */
} attn_job;

/* Load `n` elements of an F32/F16 row into dst (F32). */
static inline void load_row(const attn_job *j, a2a_type t, const void *src, float *dst, int n) {
    if (t == A2A_TYPE_F16) j->kern->f16row(src, dst, n);
    else memcpy(dst, src, (size_t)n * sizeof(float));
}

/* Address of the partial result of row (b, h, i) for key chunk sp. */
static inline float *part_at(const attn_job *j, int64_t b, int64_t h, int64_t i, int64_t sp) {
    return j->part + ((size_t)((b * j->H + h) * j->nq + i) * (size_t)j->nsplit + (size_t)sp) * (size_t)(2 + j->Dv);
}

/* One task: stacked rows [t0, t0+nq) of the unit whose first query head is h0 (KV head hk),
   batch b (see attn_job.nrb), over the keys of chunk sp (all keys when nsplit == 1). */
static void attn_block(attn_job *j, int64_t b, int64_t hk, int64_t h0, int64_t t0, int nq, int64_t sp, float *buf) {
    const a2a_attn_kernels *kn = j->kern;
    const a2a_tensor *q = j->q, *k = j->k, *v = j->v, *mk = j->mask;
    const int D = (int)j->D, Dv = (int)j->Dv;
    int64_t rh[ATTN_BQ], ri[ATTN_BQ]; /* head and query index of each row */
    float *qb = buf;                              /* [nq][D] */
    float *kt = qb + (size_t)ATTN_BQ * D;         /* [D][BK] */
    float *vb = kt + (size_t)D * ATTN_BK;         /* [BK][Dv] */
    float *s = vb + (size_t)ATTN_BK * Dv;         /* [nq][BK] */
    float *o = s + (size_t)ATTN_BQ * ATTN_BK;     /* [nq][Dv] */
    float *mrow = o + (size_t)ATTN_BQ * Dv;       /* [BK] converted F16 mask entries */
    float m[ATTN_BQ], l[ATTN_BQ];
    int64_t vis[ATTN_BQ]; /* keys visible to each row (causal), n_kv otherwise */

    for (int r = 0; r < nq; r++) {
        rh[r] = h0 + (t0 + r) % j->gs, ri[r] = (t0 + r) / j->gs;
        memcpy(qb + (size_t)r * D, a2a_tensor_ptr(q, 0, ri[r], rh[r], b, 0), (size_t)D * sizeof(float));
        m[r] = -INFINITY, l[r] = 0.0f;
        int64_t nv = j->nkv;
        if (j->causal) {
            const int64_t last = j->kv_offset + ri[r]; /* absolute position of the query */
            nv = last < 0 ? 0 : A2A_MIN(j->nkv, last + 1);
        }
        vis[r] = nv;
    }
    memset(o, 0, (size_t)nq * Dv * sizeof(float));
    int64_t kv_end = 0;
    for (int r = 0; r < nq; r++) kv_end = A2A_MAX(kv_end, vis[r]);
    const int64_t kv_begin = j->nsplit > 1 ? sp * ATTN_KV_SPLIT : 0;
    if (j->nsplit > 1) kv_end = A2A_MIN(kv_end, kv_begin + ATTN_KV_SPLIT);

    const char *mbase = mk ? (const char *)mk->data + (size_t)(mk->ne[3] > 1 ? b : 0) * mk->nb[3] : NULL;
    const size_t msz = mk ? a2a_type_info(mk->type)->size : 0;
    const bool v_direct = v->type == A2A_TYPE_F32 && v->nb[1] % sizeof(float) == 0;

    for (int64_t j0 = kv_begin; j0 < kv_end; j0 += ATTN_BK) {
        const int nk = (int)A2A_MIN((int64_t)ATTN_BK, kv_end - j0);
        const bool rows = j->k_rows;
        /* F32 K block transposed to kt[d][jj] (unless the keys are read in place) */
        for (int jj = 0; !rows && jj < nk; jj++) {
            const float *row = a2a_tensor_ptr(k, 0, j0 + jj, hk, b, 0);
            for (int d = 0; d < D; d++) kt[(size_t)d * ATTN_BK + jj] = row[d];
        }
        /* V block: in place when F32, else converted */
        const float *vp;
        size_t ldv;
        if (v_direct) {
            vp = a2a_tensor_ptr(v, 0, j0, hk, b, 0);
            ldv = v->nb[1] / sizeof(float);
        } else {
            for (int jj = 0; jj < nk; jj++)
                load_row(j, v->type, a2a_tensor_ptr(v, 0, j0 + jj, hk, b, 0), vb + (size_t)jj * Dv, Dv);
            vp = vb;
            ldv = (size_t)Dv;
        }
        if (rows)
            kn->qk_rows(qb, (size_t)D, nq, a2a_tensor_ptr(k, 0, j0, hk, b, 0), k->nb[1], k->type == A2A_TYPE_F16, nk, D,
                        s, ATTN_BK);
        else
            kn->qk(qb, (size_t)D, nq, kt, ATTN_BK, nk, D, s, ATTN_BK);
        for (int r = 0; r < nq; r++) {
            float *sr = s + (size_t)r * ATTN_BK;
            const int n = (int)A2A_MAX((int64_t)0, A2A_MIN((int64_t)nk, vis[r] - j0));
            const float *mr = NULL;
            if (mk && n > 0) {
                const char *p = mbase + (size_t)ri[r] * mk->nb[1] + (size_t)(mk->ne[2] > 1 ? rh[r] : 0) * mk->nb[2] +
                                (size_t)j0 * msz;
                if (mk->type == A2A_TYPE_F16) {
                    kn->f16row((const uint16_t *)p, mrow, n);
                    mr = mrow;
                } else {
                    mr = (const float *)p;
                }
            }
            float bm = -INFINITY;
            if (n > 0) {
                if (j->softcap > 0.0f) {
                    const float c = j->softcap, sc = j->scale / j->softcap;
                    for (int jj = 0; jj < n; jj++) sr[jj] = c * tanhf(sr[jj] * sc);
                    bm = kn->rowmax(sr, n, 1.0f, mr);
                } else {
                    bm = kn->rowmax(sr, n, j->scale, mr);
                }
            }
            if (!(bm > -INFINITY)) { /* nothing visible in this block (or NaN): contributes nothing */
                memset(sr, 0, (size_t)nk * sizeof(float));
                continue;
            }
            const float mnew = bm > m[r] ? bm : m[r];
            const float corr = expf(m[r] - mnew); /* 0 when m[r] is -inf */
            const float sum = kn->expsum(sr, n, mnew);
            if (n < nk) memset(sr + n, 0, (size_t)(nk - n) * sizeof(float));
            if (corr != 1.0f) kn->scale(o + (size_t)r * Dv, Dv, corr);
            l[r] = l[r] * corr + sum;
            m[r] = mnew;
        }
        kn->pv(s, ATTN_BK, nq, vp, ldv, nk, Dv, o, (size_t)Dv);
    }
    if (j->nsplit > 1) { /* partial result, merged by merge_task */
        for (int r = 0; r < nq; r++) {
            float *pr = part_at(j, b, rh[r], ri[r], sp);
            pr[0] = m[r], pr[1] = l[r];
            memcpy(pr + 2, o + (size_t)r * Dv, (size_t)Dv * sizeof(float));
        }
        return;
    }
    /* normalize into dst [Dv, H, n_q, B] */
    for (int r = 0; r < nq; r++) {
        float *dr = a2a_tensor_ptr(j->dst, 0, rh[r], ri[r], b, 0);
        if (l[r] > 0.0f) {
            memcpy(dr, o + (size_t)r * Dv, (size_t)Dv * sizeof(float));
            kn->scale(dr, Dv, 1.0f / l[r]);
        } else {
            memset(dr, 0, (size_t)Dv * sizeof(float)); /* fully masked row */
        }
    }
}

/* Tasks [t0, t1) over (b, KV head, unit, block of stacked rows), row block fastest. */
static void attn_task(void *arg, int64_t t0, int64_t t1, int ith, int nth) {
    attn_job *j = arg;
    const size_t D = (size_t)j->D, Dv = (size_t)j->Dv;
    const size_t floats = ATTN_BQ * D + D * ATTN_BK + ATTN_BK * Dv + (size_t)ATTN_BQ * ATTN_BK + ATTN_BQ * Dv +
                          ATTN_BK;
    float *buf = a2a_scratch(ATTN_SCRATCH_SLOT, floats * sizeof(float));
    if (!buf) {
        atomic_store(&j->nomem, 1);
        return;
    }
    for (int64_t tt = t0; tt < t1; tt++) {
        const int64_t sp = tt % j->nsplit, t = tt / j->nsplit;
        const int64_t rb = t % j->nrb, u = t / j->nrb;
        const int64_t sub = u % j->nsub, hk = (u / j->nsub) % j->Hkv, b = u / (j->nsub * j->Hkv);
        const int64_t r0 = rb * ATTN_BQ;
        attn_block(j, b, hk, hk * j->group + sub * j->gs, r0, (int)A2A_MIN((int64_t)ATTN_BQ, j->nq * j->gs - r0), sp,
                   buf);
    }
}

/* Merge the key-chunk partials of rows [r0, r1) (flat (b, h, i), i fastest) into dst:
   m = max m_c, l = sum l_c e^(m_c - m), out = sum o_c e^(m_c - m) / l (zeros when l == 0). */
static void merge_task(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    const attn_job *j = arg;
    const int Dv = (int)j->Dv;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i = r % j->nq, h = (r / j->nq) % j->H, b = r / (j->nq * j->H);
        float *dr = a2a_tensor_ptr(j->dst, 0, h, i, b, 0);
        float mx = -INFINITY, l = 0.0f;
        for (int64_t sp = 0; sp < j->nsplit; sp++) mx = A2A_MAX(mx, part_at(j, b, h, i, sp)[0]);
        memset(dr, 0, (size_t)Dv * sizeof(float));
        if (!(mx > -INFINITY)) continue; /* fully masked row */
        for (int64_t sp = 0; sp < j->nsplit; sp++) {
            const float *pr = part_at(j, b, h, i, sp);
            if (!(pr[1] > 0.0f)) continue;
            const float c = expf(pr[0] - mx);
            l += pr[1] * c;
            for (int e = 0; e < Dv; e++) dr[e] += c * pr[2 + e];
        }
        if (l > 0.0f) j->kern->scale(dr, Dv, 1.0f / l);
    }
}

/* True when t's type is F32 or F16. */
static bool is_f32_f16(const a2a_tensor *t) { return t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16; }

a2a_status a2a_op_attention(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *q,
                            const a2a_tensor *k, const a2a_tensor *v, const a2a_tensor *mask,
                            const a2a_attention_params *params) {
    static const char op[] = "attention";
    const a2a_attention_params p = params ? *params : A2A_ATTENTION_PARAMS_DEFAULT;
    if (!dst || !q || !k || !v) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: NULL tensor", op);
    char b0[96], b1[96], b2[96], b3[96];
    if (q->type != A2A_TYPE_F32 || dst->type != A2A_TYPE_F32 || !is_f32_f16(k) || !is_f32_f16(v) ||
        (mask && !is_f32_f16(mask)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: types q %s k %s v %s dst %s (q, dst F32; k, v, mask F32 or F16)", op,
                        a2a_type_name(q->type), a2a_type_name(k->type), a2a_type_name(v->type), a2a_type_name(dst->type));
    if (!a2a_tensor_rows_contiguous(q) || !a2a_tensor_rows_contiguous(k) || !a2a_tensor_rows_contiguous(v) ||
        (mask && !a2a_tensor_rows_contiguous(mask)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: q, k, v and mask rows must be contiguous", op);
    if (!a2a_tensor_is_contiguous(dst)) return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst must be contiguous", op);
    const int64_t D = q->ne[0], nq = q->ne[1], H = q->ne[2], B = q->ne[3];
    const int64_t nkv = k->ne[1], Hkv = k->ne[2], Dv = v->ne[0];
    if (q->ne[4] != 1 || k->ne[4] != 1 || v->ne[4] != 1 || dst->ne[4] != 1 || (mask && mask->ne[4] != 1) ||
        k->ne[0] != D || v->ne[1] != nkv || v->ne[2] != Hkv || k->ne[3] != B || v->ne[3] != B || D < 1 || Dv < 1 ||
        nq < 1 || nkv < 1 || H < 1 || B < 1 || Hkv < 1 || H % Hkv != 0)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: q %s, k %s, v %s do not fit (q [D, n_q, H, B], k [D, n_kv, H_kv, B], "
                        "v [Dv, n_kv, H_kv, B], H %% H_kv == 0)", op, a2a_tensor_shape_str(q, b0, sizeof(b0)),
                        a2a_tensor_shape_str(k, b1, sizeof(b1)), a2a_tensor_shape_str(v, b2, sizeof(b2)));
    if (D > ATTN_MAX_HEAD_DIM || Dv > ATTN_MAX_HEAD_DIM)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: head dim %lld / %lld above %d", op, (long long)D, (long long)Dv,
                        ATTN_MAX_HEAD_DIM);
    if (dst->ne[0] != Dv || dst->ne[1] != H || dst->ne[2] != nq || dst->ne[3] != B)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: dst %s, expected [%lld, %lld, %lld, %lld]", op,
                        a2a_tensor_shape_str(dst, b3, sizeof(b3)), (long long)Dv, (long long)H, (long long)nq, (long long)B);
    if (mask && (mask->ne[0] < nkv || mask->ne[1] < nq || (mask->ne[2] != 1 && mask->ne[2] != H) ||
                 (mask->ne[3] != 1 && mask->ne[3] != B)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: mask %s does not fit n_kv %lld, n_q %lld, H %lld, B %lld", op,
                        a2a_tensor_shape_str(mask, b0, sizeof(b0)), (long long)nkv, (long long)nq, (long long)H, (long long)B);
    if (!isfinite(p.scale) || !isfinite(p.softcap) || p.softcap < 0.0f || p.kv_offset < -1)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: bad params (scale %g, softcap %g, kv_offset %lld)", op,
                        (double)p.scale, (double)p.softcap, (long long)p.kv_offset);
    attn_job j = {.q = q, .k = k, .v = v, .mask = mask, .dst = dst, .D = D, .Dv = Dv, .nq = nq, .nkv = nkv, .H = H,
                  .Hkv = Hkv, .B = B, .group = H / Hkv, .softcap = p.softcap, .causal = p.causal,
                  .kern = pick_kernels()};
    j.scale = p.scale != 0.0f ? p.scale : 1.0f / sqrtf((float)D);
    j.kv_offset = p.kv_offset >= 0 ? p.kv_offset : nkv - nq; /* may be negative: early queries see nothing */
    /* Keys are read in place for F16 keys (faster than a transpose-and-convert) or few
       queries per head. Decided per call, not per block, so that the arithmetic of a row
       does not depend on how rows are stacked (which depends on the thread count). */
    j.k_rows = k->type == A2A_TYPE_F16 || nq <= j.kern->rows_max_nq;
    atomic_init(&j.nomem, 0);
    /* Stack as many heads of a KV group per task as keeps every thread busy: the smallest
       split of the group into units that still gives at least one task per thread. */
    int64_t ntasks = 0, rows;
    const int64_t nth = a2a_threadpool_size(tp);
    bool ok = true;
    for (int64_t d = 1; d <= j.group && ok; d++) {
        if (j.group % d) continue;
        ok = a2a_mul_i64_ok(nq, j.group / d, &rows) && a2a_mul_i64_ok(B, Hkv, &ntasks) &&
             a2a_mul_i64_ok(ntasks, d, &ntasks);
        if (!ok) break;
        j.nsub = d, j.gs = j.group / d, j.nrb = rows / ATTN_BQ + (rows % ATTN_BQ != 0);
        ok = a2a_mul_i64_ok(ntasks, j.nrb, &ntasks);
        if (ntasks >= nth) break;
    }
    j.nsplit = nq <= ATTN_SPLIT_MAX_NQ && nkv > 2 * ATTN_KV_SPLIT ? (nkv + ATTN_KV_SPLIT - 1) / ATTN_KV_SPLIT : 1;
    if (!ok || !a2a_mul_i64_ok(ntasks, j.nsplit, &ntasks))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: too many tasks", op);
    if (j.nsplit > 1) {
        size_t n_part;
        if (!a2a_mul_ok((size_t)(B * H * nq), (size_t)j.nsplit, &n_part) || !a2a_mul_ok(n_part, (size_t)(2 + Dv), &n_part) ||
            !a2a_mul_ok(n_part, sizeof(float), &n_part))
            return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: partial buffer size overflows", op);
        if (!(j.part = a2a_scratch(ATTN_PART_SLOT, n_part)))
            return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: cannot allocate %zu bytes for partial results", op, n_part);
    }
    a2a_parallel_for(tp, ntasks, 1, attn_task, &j);
    if (!atomic_load(&j.nomem) && j.nsplit > 1) a2a_parallel_for(tp, B * H * nq, 4, merge_task, &j);
    if (atomic_load(&j.nomem)) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: cannot allocate per-thread scratch", op);
    return A2A_OK;
}
