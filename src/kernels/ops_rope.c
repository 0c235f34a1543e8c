/* Rotary position embedding (NORMAL and NEOX layouts, linear and YaRN scaling as ggml).
   Contract in kernels/ops.h; row kernels per level in ref/rope_ref.c and x86/rope_*.c. */
#include <math.h>

#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* Defaults documented in ops.h. */
a2a_rope_params a2a_rope_default_params(void) {
    a2a_rope_params p = {0};
    p.mode = A2A_ROPE_NORMAL;
    p.freq_base = 10000.0f;
    p.freq_scale = 1.0f;
    p.ext_factor = 0.0f;
    p.attn_factor = 1.0f;
    p.beta_fast = 32.0f;
    p.beta_slow = 1.0f;
    p.n_ctx_orig = 0;
    return p;
}

/* YaRN: the pair index at which the wavelength covers n_ctx_orig / n_rot_beta turns. */
static double yarn_corr_dim(int n_dims, int n_ctx_orig, double beta, double base) {
    return n_dims * log(n_ctx_orig / (beta * 2 * M_PI)) / (2 * log(base));
}

/* Row kernel for the current kernel level. */
static a2a_rope_row_fn rope_kernel(void) {
#ifdef A2A_HAVE_X86_KERNELS
    a2a_kernel_level lvl = a2a_kernel_level_get();
    if (lvl >= A2A_LEVEL_AVX512) return a2a_avx512_rope_row;
    if (lvl >= A2A_LEVEL_AVX2) return a2a_avx2_rope_row;
#endif
    return a2a_ref_rope_row;
}

typedef struct rope_job {
    a2a_tensor *dst;
    const a2a_tensor *x, *pos;
    a2a_rope_params p;
    double corr[2]; /* YaRN ramp [low, high] pair indices */
    a2a_rope_row_fn k;
    float *cs;      /* per token 2 n_rot floats: C[n_rot], S[n_rot] (see ops_rows.h) */
    int nomem;      /* set by a worker when scratch allocation failed */
} rope_job;

/* Fill the cos/sin table for tokens [t0, t1). */
static void rope_table(void *arg, int64_t t0, int64_t t1, int ith, int nth) {
    (void)ith;
    (void)nth;
    rope_job *j = arg;
    const int half = j->p.n_rot / 2;
    const double fs = j->p.freq_scale;
    for (int64_t t = t0; t < t1; t++) {
        int32_t p;
        memcpy(&p, (const char *)j->pos->data + (size_t)t * j->pos->nb[0], sizeof p);
        float *C = j->cs + (size_t)t * 2 * (size_t)j->p.n_rot, *S = C + j->p.n_rot;
        for (int i = 0; i < half; i++) {
            double theta_extrap = (double)p * pow((double)j->p.freq_base, -2.0 * i / j->p.n_rot);
            double theta = fs * theta_extrap, mscale = j->p.attn_factor;
            if (j->p.ext_factor != 0.0f) {
                double y = (i - j->corr[0]) / fmax(0.001, j->corr[1] - j->corr[0]);
                double ramp_mix = (1.0 - fmin(1.0, fmax(0.0, y))) * j->p.ext_factor;
                theta = theta * (1 - ramp_mix) + theta_extrap * ramp_mix;
                mscale *= 1.0 + 0.1 * log(1.0 / fs);
            }
            const float c = (float)(cos(theta) * mscale), sn = (float)(sin(theta) * mscale);
            const int a = j->p.mode == A2A_ROPE_NEOX ? i : 2 * i, b = j->p.mode == A2A_ROPE_NEOX ? i + half : 2 * i + 1;
            C[a] = C[b] = c;
            S[a] = -sn;
            S[b] = sn;
        }
    }
}

/* Rotate rows [r0, r1) (row = one head of one token). */
static void rope_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    rope_job *j = arg;
    const a2a_tensor *d = j->dst, *x = j->x;
    const int64_t n = x->ne[0];
    float *bd = NULL, *bx = NULL;
    if (d->nb[0] != sizeof(float)) bd = a2a_scratch(0, (size_t)n * sizeof(float));
    if (x->nb[0] != sizeof(float)) bx = a2a_scratch(1, (size_t)n * sizeof(float));
    if ((d->nb[0] != sizeof(float) && !bd) || (x->nb[0] != sizeof(float) && !bx)) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(x->ne, r, ix);
        const char *xp = (const char *)x->data + a2a_row_offset(x, ix[0], ix[1], ix[2], ix[3]);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        float *dr = a2a_row_out(dp, d->nb[0], bd);
        const float *cs = j->cs + (size_t)ix[1] * 2 * (size_t)j->p.n_rot;
        j->k(j->p.mode, j->p.n_rot, n, dr, a2a_row_in(xp, x->nb[0], n, bx), cs);
        a2a_row_out_done(dp, d->nb[0], n, dr);
    }
}

/* Rotary embedding of x [head_dim, n_heads, n_tokens, B] at positions pos [n_tokens]. */
a2a_status a2a_op_rope(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *pos,
                       const a2a_rope_params *p) {
    if (!dst || !dst->data || !x || !x->data || !pos || !pos->data || !p)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "rope: NULL argument");
    char s1[96], s2[96];
    if (dst->type != A2A_TYPE_F32 || x->type != A2A_TYPE_F32 || pos->type != A2A_TYPE_I32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "rope: need f32 dst/x and i32 pos, got %s, %s, %s",
                        a2a_type_name(dst->type), a2a_type_name(x->type), a2a_type_name(pos->type));
    if (!a2a_tensor_same_shape(dst, x) || x->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "rope: dst %s and x %s must have one 4-D shape",
                        a2a_tensor_shape_str(dst, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2));
    if (pos->ne[0] != x->ne[2] || a2a_tensor_nelements(pos) != x->ne[2])
        return a2a_fail(ctx, A2A_ERR_SHAPE, "rope: pos %s must have n_tokens = %lld entries (x %s)",
                        a2a_tensor_shape_str(pos, s1, sizeof s1), (long long)x->ne[2],
                        a2a_tensor_shape_str(x, s2, sizeof s2));
    if (p->n_rot <= 0 || p->n_rot % 2 != 0 || p->n_rot > x->ne[0])
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "rope: n_rot %d must be even and in 2..%lld", p->n_rot,
                        (long long)x->ne[0]);
    if (p->mode != A2A_ROPE_NORMAL && p->mode != A2A_ROPE_NEOX)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "rope: unknown mode %d", p->mode);
    if (!(p->freq_base > 0.0f) || !isfinite(p->freq_base) || !(p->freq_scale > 0.0f) || !isfinite(p->freq_scale))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "rope: freq_base %g and freq_scale %g must be positive",
                        (double)p->freq_base, (double)p->freq_scale);
    if (p->ext_factor != 0.0f && p->n_ctx_orig <= 0)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "rope: YaRN (ext_factor %g) needs n_ctx_orig > 0",
                        (double)p->ext_factor);
    if (a2a_tensor_nelements(x) == 0) return A2A_OK;
    rope_job j = {.dst = dst, .x = x, .pos = pos, .p = *p, .k = rope_kernel()};
    if (p->ext_factor != 0.0f) {
        double lo = floor(yarn_corr_dim(p->n_rot, p->n_ctx_orig, p->beta_fast, p->freq_base));
        double hi = ceil(yarn_corr_dim(p->n_rot, p->n_ctx_orig, p->beta_slow, p->freq_base));
        j.corr[0] = fmax(0.0, lo);
        j.corr[1] = fmin(p->n_rot - 1, hi);
    }
    size_t tab;
    if (!a2a_mul_ok((size_t)x->ne[2], 2 * (size_t)p->n_rot * sizeof(float), &tab) || !(j.cs = a2a_scratch(3, tab)))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "rope: out of memory for the cos/sin table");
    a2a_parallel_for(tp, x->ne[2], a2a_row_grain(p->n_rot * 8), rope_table, &j);
    a2a_parallel_for(tp, a2a_tensor_nrows(x), a2a_row_grain(x->ne[0]), rope_rows, &j);
    if (j.nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "rope: out of memory for row scratch");
    return A2A_OK;
}
