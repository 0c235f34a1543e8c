/* Rotary embedding (NORMAL and NEOX layouts, partial rotation, linear scaling, YaRN) at every
   kernel level against a double oracle: head dims 2..128, positions up to 32768 (and
   negative), padded/transposed/permuted views, in place, 1-3 threads.
   Tolerance: max abs error 1e-5 for inputs in [-1, 1] (measured ~2e-7). */
#include "a2a_test.h"
#include "kernels/ops.h"
#include "ops_test_util.h"

#include "core/status.h"

/* theta and magnitude for pair i at position p (ggml's YaRN when ext_factor != 0). */
static void oracle_theta(const a2a_rope_params *rp, int64_t p, int i, double *theta, double *mscale) {
    double extrap = (double)p * pow(rp->freq_base, -2.0 * i / rp->n_rot);
    double th = rp->freq_scale * extrap, ms = rp->attn_factor;
    if (rp->ext_factor != 0) {
        double lo = floor(rp->n_rot * log(rp->n_ctx_orig / (rp->beta_fast * 2 * M_PI)) / (2 * log(rp->freq_base)));
        double hi = ceil(rp->n_rot * log(rp->n_ctx_orig / (rp->beta_slow * 2 * M_PI)) / (2 * log(rp->freq_base)));
        lo = fmax(0, lo);
        hi = fmin(rp->n_rot - 1, hi);
        double y = (i - lo) / fmax(0.001, hi - lo);
        double mix = (1 - fmin(1, fmax(0, y))) * rp->ext_factor;
        th = th * (1 - mix) + extrap * mix;
        ms *= 1 + 0.1 * log(1 / rp->freq_scale);
    }
    *theta = th;
    *mscale = ms;
}

/* Run one configuration and return the max abs error against the oracle. */
static double run_rope(a2a_test_rng *rng, int64_t hd, int64_t nh, int64_t nt, int64_t nb, const a2a_rope_params *rp,
                       int layout, int inplace, int pool) {
    ot_tensor x = ot_new(layout, hd, nh, nt, nb), d = ot_new((layout + 1) % 4, hd, nh, nt, nb);
    ot_tensor x0 = ot_new(0, hd, nh, nt, nb);
    ot_fill(rng, &x.t, -1, 1);
    for (int64_t i3 = 0; i3 < nb; i3++)
        for (int64_t i2 = 0; i2 < nt; i2++)
            for (int64_t i1 = 0; i1 < nh; i1++)
                for (int64_t i0 = 0; i0 < hd; i0++) ot_set(&x0.t, i0, i1, i2, i3, ot_get(&x.t, i0, i1, i2, i3));
    int32_t *pos = malloc((size_t)nt * sizeof(int32_t));
    for (int64_t t = 0; t < nt; t++) {
        uint64_t r = a2a_test_next(rng);
        pos[t] = t == 0 ? 32768 : t == 1 ? -5 : (int32_t)(r % 32769);
    }
    a2a_tensor tp = a2a_tensor_make(A2A_TYPE_I32, pos, nt, 1, 1, 1);
    a2a_tensor *dst = inplace ? &x.t : &d.t;
    CHECK_EQ_INT(a2a_op_rope(NULL, ot_pool(pool), dst, &x.t, &tp, rp), A2A_OK);
    double worst = 0;
    const int half = rp->n_rot / 2;
    for (int64_t i3 = 0; i3 < nb; i3++)
        for (int64_t i2 = 0; i2 < nt; i2++)
            for (int64_t i1 = 0; i1 < nh; i1++) {
                double ref[256];
                for (int64_t i0 = 0; i0 < hd; i0++) ref[i0] = ot_get(&x0.t, i0, i1, i2, i3);
                for (int i = 0; i < half; i++) {
                    double th, ms;
                    oracle_theta(rp, pos[i2], i, &th, &ms);
                    int64_t a = rp->mode == A2A_ROPE_NEOX ? i : 2 * i, b = rp->mode == A2A_ROPE_NEOX ? i + half : 2 * i + 1;
                    double x0v = ref[a], x1v = ref[b];
                    ref[a] = (x0v * cos(th) - x1v * sin(th)) * ms;
                    ref[b] = (x0v * sin(th) + x1v * cos(th)) * ms;
                }
                for (int64_t i0 = 0; i0 < hd; i0++) {
                    double e = fabs(ot_get(dst, i0, i1, i2, i3) - ref[i0]);
                    worst = fmax(worst, e != e ? INFINITY : e);
                }
            }
    ot_free(&x);
    ot_free(&d);
    ot_free(&x0);
    free(pos);
    return worst;
}

TEST(test_rope_variants) {
    a2a_test_rng rng = {41};
    static const int64_t hds[] = {2, 8, 64, 100, 128};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        double worst = 0;
        for (int hi = 0; hi < 5; hi++)
            for (int mode = 0; mode < 2; mode++)
                for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                    const int64_t hd = hds[hi];
                    a2a_rope_params rp = a2a_rope_default_params();
                    rp.mode = mode ? A2A_ROPE_NEOX : A2A_ROPE_NORMAL;
                    rp.n_rot = (int)(iter % 2 && hd >= 8 ? hd / 2 : hd); /* partial rotation half the time */
                    if (iter % 3 == 1) rp.freq_base = 1e6f;
                    if (iter % 4 == 2) rp.freq_scale = 0.25f;
                    double e = run_rope(&rng, hd, 3, 5, iter % 2 + 1, &rp, layout, iter % 2, iter % 3);
                    CHECK_MSG(e <= 1e-5, "rope lvl %d hd %lld n_rot %d mode %d layout %s: %g", lvl, (long long)hd,
                              rp.n_rot, rp.mode, ot_layout_name[layout], e);
                    worst = fmax(worst, e);
                }
        /* YaRN (ggml formulas) */
        a2a_rope_params rp = a2a_rope_default_params();
        rp.n_rot = 64;
        rp.mode = A2A_ROPE_NEOX;
        rp.freq_scale = 0.25f;
        rp.ext_factor = 1.0f;
        rp.n_ctx_orig = 4096;
        double e = run_rope(&rng, 64, 2, 4, 1, &rp, 0, 0, 1);
        CHECK_MSG(e <= 1e-5, "yarn: %g", e);
        worst = fmax(worst, e);
        fprintf(stderr, "  rope %-6s max abs err %.3g\n", a2a_kernel_level_name(a2a_kernel_level_get()), worst);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_rope_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float buf[512] = {0};
    int32_t pos[4] = {0, 1, 2, 3};
    a2a_tensor x = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 2, 4, 1), d = a2a_tensor_make(A2A_TYPE_F32, buf + 128, 8, 2, 4, 1);
    a2a_tensor p = a2a_tensor_make(A2A_TYPE_I32, pos, 4, 1, 1, 1), p3 = a2a_tensor_make(A2A_TYPE_I32, pos, 3, 1, 1, 1);
    a2a_rope_params rp = a2a_rope_default_params();
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p, &rp), A2A_ERR_INVALID_ARG); /* n_rot 0 */
    rp.n_rot = 8;
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p, &rp), A2A_OK);
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p3, &rp), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "rope: pos [3] must have n_tokens = 4") != NULL);
    rp.n_rot = 7;
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p, &rp), A2A_ERR_INVALID_ARG);
    rp.n_rot = 10;
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p, &rp), A2A_ERR_INVALID_ARG);
    rp.n_rot = 8;
    rp.mode = 1;
    CHECK_EQ_INT(a2a_op_rope(ctx, NULL, &d, &x, &p, &rp), A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_rope_variants, test_rope_errors)
