/* rms_norm, layer_norm and group_norm at every kernel level against double-precision
   oracles: awkward row lengths, padded/transposed/permuted views, strided w/b, in place,
   1-3 threads, large offsets (cancellation) and large groups.
   Tolerance: nmse < 1e-12 per call (float output rounding alone gives ~1e-15). */
#include "a2a_test.h"
#include "kernels/ops.h"
#include "ops_test_util.h"

#include "core/status.h"

/* nmse of got (any layout) against ref (packed 4-D, same shape). */
static double nmse_t(const a2a_tensor *got, const a2a_tensor *ref) {
    double num = 0, den = 0;
    for (int64_t i3 = 0; i3 < ref->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < ref->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < ref->ne[1]; i1++)
                for (int64_t i0 = 0; i0 < ref->ne[0]; i0++) {
                    double g = ot_get(got, i0, i1, i2, i3), r = ot_get(ref, i0, i1, i2, i3);
                    num += (g - r) * (g - r);
                    den += r * r;
                    if (g != g) num = INFINITY;
                }
    return num / fmax(den, 1e-30);
}

/* Parameter vector of n elements with element stride 2 (a strided view). */
static a2a_tensor strided_vec(float *mem, int64_t n, a2a_test_rng *rng, float lo, float hi) {
    for (int64_t i = 0; i < 2 * n; i++) mem[i] = a2a_test_uniform(rng, lo, hi);
    a2a_tensor t = a2a_tensor_make(A2A_TYPE_F32, mem, n, 1, 1, 1);
    t.nb[0] = 2 * sizeof(float);
    return t;
}

TEST(test_rms_layer_norm) {
    a2a_test_rng rng = {21};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        double worst = 0;
        for (int si = 0; si < OT_N_SIZES; si++)
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++)
                for (int kind = 0; kind < 4; kind++, iter++) { /* 0: rms, 1: rms no w, 2: ln, 3: ln no w/b */
                    const int64_t n0 = ot_sizes[si], n1 = 3, n2 = 2;
                    ot_tensor x = ot_new(layout, n0, n1, n2, 1), d = ot_new((layout + 1) % 4, n0, n1, n2, 1);
                    ot_tensor ref = ot_new(0, n0, n1, n2, 1);
                    const float off = iter % 5 == 0 ? 1000.0f : 0.0f; /* large mean: cancellation test */
                    ot_fill(&rng, &x.t, off - 2, off + 3);
                    float *wm = malloc((size_t)n0 * 2 * sizeof(float)), *bm = malloc((size_t)n0 * 2 * sizeof(float));
                    a2a_tensor w = strided_vec(wm, n0, &rng, 0.5f, 1.5f);
                    a2a_tensor b = a2a_tensor_make(A2A_TYPE_F32, bm, n0, 1, 1, 1);
                    for (int64_t i = 0; i < n0; i++) bm[i] = a2a_test_uniform(&rng, -1, 1);
                    const int has_w = kind == 0 || kind == 2, has_b = kind == 2;
                    const double eps = kind < 2 ? 1e-6 : 1e-5;
                    for (int64_t i2 = 0; i2 < n2; i2++)
                        for (int64_t i1 = 0; i1 < n1; i1++) {
                            double mean = 0, var = 0;
                            if (kind >= 2) {
                                for (int64_t i0 = 0; i0 < n0; i0++) mean += ot_get(&x.t, i0, i1, i2, 0);
                                mean /= (double)n0;
                            }
                            for (int64_t i0 = 0; i0 < n0; i0++) {
                                double v = ot_get(&x.t, i0, i1, i2, 0) - mean;
                                var += v * v;
                            }
                            var /= (double)n0;
                            for (int64_t i0 = 0; i0 < n0; i0++) {
                                double v = (ot_get(&x.t, i0, i1, i2, 0) - mean) / sqrt(var + eps);
                                if (has_w) v *= wm[2 * i0];
                                if (has_b) v += bm[i0];
                                ot_set(&ref.t, i0, i1, i2, 0, (float)v);
                            }
                        }
                    a2a_tensor *dst = iter % 2 ? &x.t : &d.t;
                    a2a_status st = kind < 2 ? a2a_op_rms_norm(NULL, ot_pool(iter % 3), dst, &x.t, has_w ? &w : NULL, (float)eps)
                                             : a2a_op_layer_norm(NULL, ot_pool(iter % 3), dst, &x.t, has_w ? &w : NULL,
                                                                 has_b ? &b : NULL, (float)eps);
                    CHECK_EQ_INT(st, A2A_OK);
                    double e = nmse_t(dst, &ref.t);
                    CHECK_MSG(e < 1e-12, "norm kind %d level %d n0 %lld layout %s off %g: nmse %g", kind, lvl,
                              (long long)n0, ot_layout_name[layout], (double)off, e);
                    worst = fmax(worst, e);
                    ot_free(&x);
                    ot_free(&d);
                    ot_free(&ref);
                    free(wm);
                    free(bm);
                }
        fprintf(stderr, "  rms/layer norm %-6s worst nmse %.3g\n", a2a_kernel_level_name(a2a_kernel_level_get()), worst);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

/* Run group norm on a tensor of logical shape ne (n_dims dims, channel dim n_dims-2) and
   compare with a double oracle. */
static void check_group_norm(a2a_test_rng *rng, int n_dims, const int64_t *ne5, int groups, int layout, int inplace,
                             int affine, float off, int pool) {
    /* ot tensors are 4-D: fold a 5-D shape's two innermost dims (test only uses packed then) */
    int64_t ne[4] = {ne5[0], ne5[1], ne5[2], ne5[3]};
    if (n_dims == 5) {
        ne[0] = ne5[0] * ne5[1];
        ne[1] = ne5[2];
        ne[2] = ne5[3];
        ne[3] = ne5[4];
    }
    ot_tensor x = ot_new(layout, ne[0], ne[1], ne[2], ne[3]), d = ot_new((layout + 3) % 4, ne[0], ne[1], ne[2], ne[3]);
    ot_tensor ref = ot_new(0, ne[0], ne[1], ne[2], ne[3]);
    ot_fill(rng, &x.t, off - 1, off + 2);
    const int cd4 = n_dims == 5 ? 2 : n_dims - 2; /* channel dim in the folded 4-D view */
    const int64_t C = ne[cd4], N = cd4 + 1 < 4 ? ne[cd4 + 1] : 1, cpg = C / groups;
    float *wv = malloc((size_t)C * 2 * sizeof(float)), *bv = malloc((size_t)C * sizeof(float));
    a2a_tensor w = strided_vec(wv, C, rng, 0.5f, 1.5f);
    for (int64_t c = 0; c < C; c++) bv[c] = a2a_test_uniform(rng, -1, 1);
    a2a_tensor b = a2a_tensor_make(A2A_TYPE_F32, bv, C, 1, 1, 1);
    /* oracle over the folded view: element (i0..i3) has channel i[cd4] and batch i[cd4+1] */
    for (int pass = 0; pass < 3; pass++) {
        static double sum[4096], ss[4096];
        if (pass == 0) memset(sum, 0, sizeof sum), memset(ss, 0, sizeof ss);
        for (int64_t i3 = 0; i3 < ne[3]; i3++)
            for (int64_t i2 = 0; i2 < ne[2]; i2++)
                for (int64_t i1 = 0; i1 < ne[1]; i1++)
                    for (int64_t i0 = 0; i0 < ne[0]; i0++) {
                        int64_t idx[4] = {i0, i1, i2, i3};
                        int64_t c = idx[cd4], nn = cd4 + 1 < 4 ? idx[cd4 + 1] : 0, g = nn * groups + c / cpg;
                        double cnt = (double)a2a_tensor_nelements(&x.t) / (double)(N * groups);
                        double v = ot_get(&x.t, i0, i1, i2, i3);
                        if (pass == 0) sum[g] += v;
                        else if (pass == 1) ss[g] += (v - sum[g] / cnt) * (v - sum[g] / cnt);
                        else {
                            double y = (v - sum[g] / cnt) / sqrt(ss[g] / cnt + 1e-5);
                            if (affine) y = y * wv[2 * c] + bv[c];
                            ot_set(&ref.t, i0, i1, i2, i3, (float)y);
                        }
                    }
    }
    a2a_tensor xv = x.t, dv = inplace ? x.t : d.t;
    xv.n_dims = dv.n_dims = n_dims;
    if (n_dims == 5) { /* unfold dim 0 into [ne5[0], ne5[1]] (packed layout only) */
        for (a2a_tensor *t = &xv; t; t = t == &xv ? &dv : NULL) {
            for (int i = 4; i >= 2; i--) t->ne[i] = t->ne[i - 1], t->nb[i] = t->nb[i - 1];
            t->ne[0] = ne5[0];
            t->ne[1] = ne5[1];
            t->nb[1] = t->nb[0] * (size_t)ne5[0];
        }
    }
    CHECK_EQ_INT(a2a_op_group_norm(NULL, ot_pool(pool), &dv, &xv, groups, affine ? &w : NULL, affine ? &b : NULL, 1e-5f),
                 A2A_OK);
    double e = nmse_t(inplace ? &x.t : &d.t, &ref.t);
    CHECK_MSG(e < 1e-12, "group_norm %d-D groups %d layout %s: nmse %g", n_dims, groups, ot_layout_name[layout], e);
    ot_free(&x);
    ot_free(&d);
    ot_free(&ref);
    free(wv);
    free(bv);
}

TEST(test_group_norm) {
    a2a_test_rng rng = {22};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
            const int64_t s4[5] = {5, 7, 8, 2, 1}, s3[5] = {33, 6, 2, 1, 1}, s2[5] = {12, 3, 1, 1, 1};
            check_group_norm(&rng, 4, s4, 4, layout, iter % 2, 1, 0.0f, iter % 3);
            check_group_norm(&rng, 4, s4, 8, layout, 0, 0, 5.0f, (iter + 1) % 3);
            check_group_norm(&rng, 3, s3, 3, layout, iter % 2, 1, 0.0f, (iter + 2) % 3);
            check_group_norm(&rng, 2, s2, 4, layout, iter % 2, 1, 0.0f, iter % 3);
            check_group_norm(&rng, 2, s2, 12, layout, 0, 1, 0.0f, iter % 3);
        }
        const int64_t s5[5] = {4, 3, 2, 6, 2};
        check_group_norm(&rng, 5, s5, 2, 0, 0, 1, 0.0f, 1);
        /* a large group: 64x64 spatial x 40 channels per group, mean far from 0 */
        const int64_t big[5] = {64, 64, 80, 1, 1};
        check_group_norm(&rng, 4, big, 2, lvl == 0 ? 2 : 0, 0, 1, 30.0f, 1);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_norm_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float *buf = calloc(3 * 4096, sizeof(float));
    a2a_tensor x = a2a_tensor_make(A2A_TYPE_F32, buf, 4096, 1, 1, 1);
    a2a_tensor w = a2a_tensor_make(A2A_TYPE_F32, buf + 4096, 4095, 1, 1, 1);
    a2a_tensor d = a2a_tensor_make(A2A_TYPE_F32, buf + 8192, 4096, 1, 1, 1);
    CHECK_EQ_INT(a2a_op_rms_norm(ctx, NULL, &d, &x, &w, 1e-6f), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "rms_norm: w has 4095 elements, x rows have 4096") != NULL);
    CHECK_EQ_INT(a2a_op_layer_norm(ctx, NULL, &d, &x, NULL, &w, 1e-6f), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "layer_norm: b has 4095") != NULL);
    a2a_tensor g = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 8, 6, 1);
    a2a_tensor gd = a2a_tensor_make(A2A_TYPE_F32, buf + 4096, 8, 8, 6, 1);
    CHECK_EQ_INT(a2a_op_group_norm(ctx, NULL, &gd, &g, 4, NULL, NULL, 1e-5f), A2A_OK); /* 3-D: C = ne[1] = 8 */
    CHECK_EQ_INT(a2a_op_group_norm(ctx, NULL, &gd, &g, 3, NULL, NULL, 1e-5f), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "group_norm: 8 channels (ne[1]) do not split into 3 groups") != NULL);
    CHECK_EQ_INT(a2a_op_group_norm(ctx, NULL, &gd, &g, 2, &w, NULL, 1e-5f), A2A_ERR_SHAPE);
    CHECK_EQ_INT(a2a_op_rms_norm(ctx, NULL, &d, &x, NULL, -1.0f), A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
    free(buf);
}

TEST_MAIN(test_rms_layer_norm, test_group_norm, test_norm_errors)
