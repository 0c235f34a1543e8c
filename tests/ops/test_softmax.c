/* softmax(scale * x + mask) along rows at every kernel level against a double oracle:
   awkward row lengths, padded/transposed/permuted views, F32 and F16 masks broadcast over
   rows/heads, in place, 1-3 threads; edge cases: fully masked rows give zeros, huge and
   very negative inputs stay finite, NaN/+inf rows give NaN (as torch).
   Tolerance: max abs error 1e-6 (outputs lie in [0, 1]). */
#include "a2a_test.h"
#include "kernels/ops.h"
#include "ops_test_util.h"

#include "core/status.h"

TEST(test_softmax_random) {
    a2a_test_rng rng = {31};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        double worst = 0;
        for (int si = 0; si < OT_N_SIZES; si++)
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++)
                for (int mk = 0; mk < 4; mk++, iter++) { /* mask: none, f32 [n0, n1], f16 [n0, n1], f32 [n0, 1, n2] */
                    const int64_t n0 = ot_sizes[si], n1 = 3, n2 = 2;
                    ot_tensor x = ot_new(layout, n0, n1, n2, 1), d = ot_new((layout + 1) % 4, n0, n1, n2, 1);
                    ot_tensor x0 = ot_new(0, n0, n1, n2, 1);
                    ot_fill(&rng, &x.t, -20, 20);
                    for (int64_t i2 = 0; i2 < n2; i2++)
                        for (int64_t i1 = 0; i1 < n1; i1++)
                            for (int64_t i0 = 0; i0 < n0; i0++) ot_set(&x0.t, i0, i1, i2, 0, ot_get(&x.t, i0, i1, i2, 0));
                    const int64_t m1 = mk == 3 ? 1 : n1, m2 = mk == 3 ? n2 : 1;
                    ot_tensor m = ot_new_typed(mk == 2 ? A2A_TYPE_F16 : A2A_TYPE_F32, (layout + 2) % 4, n0, m1, m2, 1);
                    for (int64_t i2 = 0; i2 < m2; i2++)
                        for (int64_t i1 = 0; i1 < m1; i1++)
                            for (int64_t i0 = 0; i0 < n0; i0++) {
                                /* causal-like pattern: -inf above the "diagonal", keep at least entry 0 */
                                float v = (i0 > 0 && (i0 + i1 + i2) % 4 == 3) ? -INFINITY : a2a_test_uniform(&rng, -2, 2);
                                if (mk == 2) *(a2a_fp16 *)ot_ptr(&m.t, i0, i1, i2, 0) = a2a_f32_to_fp16(v);
                                else ot_set(&m.t, i0, i1, i2, 0, v);
                            }
                    const float scale = 0.125f + 0.5f * (float)(iter % 3);
                    a2a_tensor *dst = iter % 2 ? &x.t : &d.t;
                    CHECK_EQ_INT(a2a_op_softmax(NULL, ot_pool(iter % 3), dst, &x.t, mk ? &m.t : NULL, scale), A2A_OK);
                    for (int64_t i2 = 0; i2 < n2; i2++)
                        for (int64_t i1 = 0; i1 < n1; i1++) {
                            double mx = -INFINITY, sum = 0, v[4099];
                            for (int64_t i0 = 0; i0 < n0; i0++) {
                                double mv = 0;
                                if (mk == 2) mv = a2a_fp16_to_f32(*(a2a_fp16 *)ot_ptr(&m.t, i0, i1 % m1, i2 % m2, 0));
                                else if (mk) mv = ot_get(&m.t, i0, i1 % m1, i2 % m2, 0);
                                v[i0] = (double)scale * ot_get(&x0.t, i0, i1, i2, 0) + mv;
                                mx = fmax(mx, v[i0]);
                            }
                            for (int64_t i0 = 0; i0 < n0; i0++) sum += exp(v[i0] - mx);
                            for (int64_t i0 = 0; i0 < n0; i0++) {
                                double e = fabs(ot_get(dst, i0, i1, i2, 0) - exp(v[i0] - mx) / sum);
                                worst = fmax(worst, e != e ? INFINITY : e);
                            }
                        }
                    ot_free(&x);
                    ot_free(&d);
                    ot_free(&x0);
                    ot_free(&m);
                }
        CHECK_MSG(worst <= 1e-6, "softmax level %d: max abs err %g", lvl, worst);
        fprintf(stderr, "  softmax %-6s max abs err %.3g\n", a2a_kernel_level_name(a2a_kernel_level_get()), worst);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_softmax_edges) {
    OT_FOR_LEVELS(lvl) {
        for (int si = 0; si < OT_N_SIZES; si++) {
            const int64_t n = ot_sizes[si];
            float *x = malloc((size_t)n * 4 * sizeof(float)), *y = malloc((size_t)n * 4 * sizeof(float));
            for (int64_t i = 0; i < n; i++) {
                x[i] = -INFINITY;                                 /* row 0: all -inf */
                x[n + i] = i == n / 2 ? 1e30f : -1e30f;           /* row 1: huge spread */
                x[2 * n + i] = i == n - 1 ? NAN : (float)i;       /* row 2: NaN */
                x[3 * n + i] = -80.0f - (float)(i % 7) * 10.0f;   /* row 3: very negative */
            }
            a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, n, 4, 1, 1), ty = a2a_tensor_make(A2A_TYPE_F32, y, n, 4, 1, 1);
            CHECK_EQ_INT(a2a_op_softmax(NULL, NULL, &ty, &tx, NULL, 1.0f), A2A_OK);
            int ok0 = 1, ok1 = 1, ok2 = 1, ok3 = 1;
            double s3 = 0, ref3 = 0;
            for (int64_t i = 0; i < n; i++) ref3 += exp(-(double)(i % 7) * 10.0);
            for (int64_t i = 0; i < n; i++) {
                ok0 &= y[i] == 0.0f;
                ok1 &= y[n + i] == (i == n / 2 ? 1.0f : 0.0f);
                ok2 &= y[2 * n + i] != y[2 * n + i];
                ok3 &= isfinite(y[3 * n + i]) && fabs(y[3 * n + i] - exp(-(double)(i % 7) * 10.0) / ref3) <= 1e-6;
                s3 += y[3 * n + i];
            }
            CHECK_MSG(ok0, "all -inf row must be zeros (level %d, n %lld)", lvl, (long long)n);
            CHECK_MSG(ok1, "huge spread row (level %d, n %lld)", lvl, (long long)n);
            CHECK_MSG(ok2, "NaN row must be NaN (level %d, n %lld)", lvl, (long long)n);
            CHECK_MSG(ok3 && fabs(s3 - 1) < 1e-5, "very negative row (level %d, n %lld)", lvl, (long long)n);
            /* +inf in a row gives NaN as in torch */
            x[0] = INFINITY;
            a2a_tensor t1 = a2a_tensor_make(A2A_TYPE_F32, x, n, 1, 1, 1), t2 = a2a_tensor_make(A2A_TYPE_F32, y, n, 1, 1, 1);
            for (int64_t i = 1; i < n; i++) x[i] = 0;
            CHECK_EQ_INT(a2a_op_softmax(NULL, NULL, &t2, &t1, NULL, 1.0f), A2A_OK);
            CHECK(y[0] != y[0]);
            free(x);
            free(y);
        }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_softmax_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    float buf[256] = {0};
    a2a_tensor x = a2a_tensor_make(A2A_TYPE_F32, buf, 8, 4, 1, 1), d = a2a_tensor_make(A2A_TYPE_F32, buf + 64, 8, 4, 1, 1);
    a2a_tensor m = a2a_tensor_make(A2A_TYPE_F32, buf + 128, 7, 4, 1, 1);
    CHECK_EQ_INT(a2a_op_softmax(ctx, NULL, &d, &x, &m, 1.0f), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "softmax: mask [7, 4] does not broadcast to x [8, 4]") != NULL);
    a2a_tensor m3 = a2a_tensor_make(A2A_TYPE_F32, buf + 128, 8, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_softmax(ctx, NULL, &d, &x, &m3, 1.0f), A2A_ERR_SHAPE);
    a2a_tensor mi = a2a_tensor_make(A2A_TYPE_I32, buf + 128, 8, 4, 1, 1);
    CHECK_EQ_INT(a2a_op_softmax(ctx, NULL, &d, &x, &mi, 1.0f), A2A_ERR_SHAPE);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_softmax_random, test_softmax_edges, test_softmax_errors)
