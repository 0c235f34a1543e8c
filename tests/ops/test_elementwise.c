/* Elementwise ops (add/sub/mul/div with broadcasting, scale, activations, swiglu, geglu) at
   every kernel level against double-precision oracles, on awkward row lengths, padded /
   transposed / permuted views, in place, with 1-3 threads.
   Tolerances: add/sub/mul/div/scale/relu within 1 ulp (|err| <= 1.2e-7 |y|); activations
   and gated units |err| <= 1e-6 * max(1, |y|) (GELU with erf included); NaN in -> NaN out,
   and finite out wherever the oracle is finite, for inputs up to +-1e30. */
#include "a2a_test.h"
#include "kernels/ops.h"
#include "ops_test_util.h"

#include "core/status.h"

static double oracle_act(int which, double x) {
    switch (which) {
    case 0: return x / (1.0 + exp(-x));                                                  /* silu */
    case 1: return 0.5 * x * erfc(-x / sqrt(2.0));                                       /* gelu */
    case 2: return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); /* gelu_tanh */
    case 3: return x / (1.0 + exp(-1.702 * x));                                          /* quick_gelu */
    case 4: return x != x ? x : (x > 0 ? x : 0.0);                                       /* relu */
    case 5: return 1.0 / (1.0 + exp(-x));                                                /* sigmoid */
    default: return tanh(x);
    }
}

typedef a2a_status (*unary_fn)(a2a_ctx *, a2a_threadpool *, a2a_tensor *, const a2a_tensor *);
static const unary_fn unary_ops[7] = {a2a_op_silu, a2a_op_gelu,    a2a_op_gelu_tanh, a2a_op_quick_gelu,
                                      a2a_op_relu, a2a_op_sigmoid, a2a_op_tanh};
static const char *const unary_names[7] = {"silu", "gelu", "gelu_tanh", "quick_gelu", "relu", "sigmoid", "tanh"};

/* Normalized error of got against the double oracle: |got - ref| / max(1, |ref|); NaN
   mismatches count as infinite. */
static double act_err(float got, double ref) {
    if (ref != ref) return got != got ? 0.0 : INFINITY;
    if (got != got || isinf(got) != isinf(ref)) return INFINITY;
    if (isinf(ref)) return (got > 0) == (ref > 0) ? 0.0 : INFINITY;
    return fabs((double)got - ref) / fmax(1.0, fabs(ref));
}

/* Relative error for exactly rounded ops. */
static double rel_err(float got, double ref) {
    if (ref != ref) return got != got ? 0.0 : INFINITY;
    double d = fabs((double)got - (double)(float)ref);
    return d == 0 ? 0.0 : d / fmax(fabs(ref), 1e-30);
}

TEST(test_binary_broadcast) {
    a2a_test_rng rng = {11};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        for (int si = 0; si < OT_N_SIZES; si++) {
            const int64_t n0 = ot_sizes[si], n1 = 3, n2 = 2;
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++) {
                for (int bc = 0; bc < 5; bc++) {
                    /* b shapes: full, one row, one column, scalar, ne0 divisor tiled */
                    int64_t b0 = n0, b1 = n1, b2 = n2;
                    if (bc == 1) b1 = b2 = 1;
                    if (bc == 2) b0 = 1, b2 = 1;
                    if (bc == 3) b0 = b1 = b2 = 1;
                    if (bc == 4) {
                        if (n0 % 4 != 0 || n0 == 4) continue;
                        b0 = n0 / 4;
                        b1 = 1;
                    }
                    for (int op = 0; op < 4; op++, iter++) {
                        ot_tensor a = ot_new(layout, n0, n1, n2, 1);
                        ot_tensor b = ot_new((layout + bc) % OT_N_LAYOUTS, b0, b1, b2, 1);
                        ot_tensor d = ot_new((layout + 1) % OT_N_LAYOUTS, n0, n1, n2, 1);
                        ot_fill(&rng, &a.t, -4, 4);
                        ot_fill(&rng, &b.t, 0.25f, 3); /* away from 0 for div */
                        const int inplace = iter % 3 == 0;
                        a2a_tensor *dst = inplace ? &a.t : &d.t;
                        /* keep a copy of a for the oracle when computing in place */
                        ot_tensor a0 = ot_new(0, n0, n1, n2, 1);
                        for (int64_t i2 = 0; i2 < n2; i2++)
                            for (int64_t i1 = 0; i1 < n1; i1++)
                                for (int64_t i0 = 0; i0 < n0; i0++) ot_set(&a0.t, i0, i1, i2, 0, ot_get(&a.t, i0, i1, i2, 0));
                        a2a_status (*fn[4])(a2a_ctx *, a2a_threadpool *, a2a_tensor *, const a2a_tensor *,
                                            const a2a_tensor *) = {a2a_op_add, a2a_op_sub, a2a_op_mul, a2a_op_div};
                        a2a_status st = fn[op](NULL, ot_pool(iter % 3), dst, &a.t, &b.t);
                        CHECK_EQ_INT(st, A2A_OK);
                        double worst = 0;
                        for (int64_t i2 = 0; i2 < n2; i2++)
                            for (int64_t i1 = 0; i1 < n1; i1++)
                                for (int64_t i0 = 0; i0 < n0; i0++) {
                                    double x = ot_get(&a0.t, i0, i1, i2, 0);
                                    double y = ot_get(&b.t, i0 % b0, i1 % b1, i2 % b2, 0);
                                    double r = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
                                    worst = fmax(worst, rel_err(ot_get(dst, i0, i1, i2, 0), r));
                                }
                        CHECK_MSG(worst <= 1.2e-7, "binary op %d lvl %d n0 %lld layout %s bc %d: rel err %g", op, lvl,
                                  (long long)n0, ot_layout_name[layout], bc, worst);
                        ot_free(&a);
                        ot_free(&b);
                        ot_free(&d);
                        ot_free(&a0);
                    }
                }
            }
        }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_scale) {
    a2a_test_rng rng = {12};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        for (int si = 0; si < OT_N_SIZES; si++)
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                const int64_t n0 = ot_sizes[si];
                ot_tensor a = ot_new(layout, n0, 2, 3, 1), d = ot_new(3 - layout, n0, 2, 3, 1);
                ot_fill(&rng, &a.t, -5, 5);
                CHECK_EQ_INT(a2a_op_scale(NULL, ot_pool(iter % 3), &d.t, &a.t, 0.37f, -1.25f), A2A_OK);
                double worst = 0;
                for (int64_t i2 = 0; i2 < 3; i2++)
                    for (int64_t i1 = 0; i1 < 2; i1++)
                        for (int64_t i0 = 0; i0 < n0; i0++) {
                            double r = fma(0.37f, ot_get(&a.t, i0, i1, i2, 0), -1.25f);
                            worst = fmax(worst, rel_err(ot_get(&d.t, i0, i1, i2, 0), r));
                        }
                CHECK_MSG(worst <= 1.2e-7, "scale lvl %d n0 %lld layout %d: %g", lvl, (long long)n0, layout, worst);
                /* in place: a = 2 a - 1 */
                float before = ot_get(&a.t, n0 - 1, 1, 2, 0);
                CHECK_EQ_INT(a2a_op_scale(NULL, ot_pool(iter % 3), &a.t, &a.t, 2.0f, -1.0f), A2A_OK);
                CHECK(ot_get(&a.t, n0 - 1, 1, 2, 0) == fmaf(2.0f, before, -1.0f));
                ot_free(&a);
                ot_free(&d);
            }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_activations) {
    a2a_test_rng rng = {13};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        for (int op = 0; op < 7; op++) {
            double worst = 0;
            for (int si = 0; si < OT_N_SIZES; si++)
                for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                    const int64_t n0 = ot_sizes[si];
                    ot_tensor x = ot_new(layout, n0, 3, 2, 1), d = ot_new((layout + 2) % 4, n0, 3, 2, 1);
                    ot_tensor x0 = ot_new(0, n0, 3, 2, 1);
                    ot_fill(&rng, &x.t, -12, 12);
                    for (int64_t i2 = 0; i2 < 2; i2++)
                        for (int64_t i1 = 0; i1 < 3; i1++)
                            for (int64_t i0 = 0; i0 < n0; i0++) ot_set(&x0.t, i0, i1, i2, 0, ot_get(&x.t, i0, i1, i2, 0));
                    a2a_tensor *dst = iter % 2 ? &x.t : &d.t; /* every other run in place */
                    CHECK_EQ_INT(unary_ops[op](NULL, ot_pool(iter % 3), dst, &x.t), A2A_OK);
                    for (int64_t i2 = 0; i2 < 2; i2++)
                        for (int64_t i1 = 0; i1 < 3; i1++)
                            for (int64_t i0 = 0; i0 < n0; i0++)
                                worst = fmax(worst, act_err(ot_get(dst, i0, i1, i2, 0),
                                                            oracle_act(op, ot_get(&x0.t, i0, i1, i2, 0))));
                    ot_free(&x);
                    ot_free(&d);
                    ot_free(&x0);
                }
            CHECK_MSG(worst <= 1e-6, "%s at level %d: max err %g", unary_names[op], lvl, worst);
            fprintf(stderr, "  %-10s %-6s max err %.3g\n", unary_names[op],
                    a2a_kernel_level_name(a2a_kernel_level_get()), worst);
            /* special values */
            static const float sp[] = {0.0f,  -0.0f, 1e-7f, -1e-7f, 0.3f,   -0.3f,  0.25f,  -0.25f, 5.0f,
                                       -5.0f, 20.0f, -20.f, 88.0f,  -88.0f, 89.0f,  -89.0f, 100.0f, -100.0f,
                                       1e4f,  -1e4f, 1e30f, -1e30f, NAN,    1e-40f, -1e-40f};
            const int ns = (int)(sizeof sp / sizeof sp[0]);
            float in[32], out[32];
            memcpy(in, sp, sizeof sp);
            a2a_tensor ti = a2a_tensor_make(A2A_TYPE_F32, in, ns, 1, 1, 1);
            a2a_tensor to = a2a_tensor_make(A2A_TYPE_F32, out, ns, 1, 1, 1);
            CHECK_EQ_INT(unary_ops[op](NULL, NULL, &to, &ti), A2A_OK);
            for (int i = 0; i < ns; i++) {
                double r = oracle_act(op, sp[i]);
                CHECK_MSG(act_err(out[i], r) <= 1e-6, "%s(%g) = %g, want %g (level %d)", unary_names[op], (double)sp[i],
                          (double)out[i], r, lvl);
            }
        }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_swiglu_geglu) {
    a2a_test_rng rng = {14};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        double worst_s = 0, worst_g = 0;
        for (int si = 0; si < OT_N_SIZES; si++)
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                const int64_t n0 = ot_sizes[si];
                ot_tensor g = ot_new(layout, n0, 3, 2, 1), u = ot_new((layout + 1) % 4, n0, 3, 2, 1);
                ot_tensor d = ot_new((layout + 2) % 4, n0, 3, 2, 1), ref = ot_new(0, n0, 3, 2, 1);
                ot_fill(&rng, &g.t, -10, 10);
                ot_fill(&rng, &u.t, -3, 3);
                for (int64_t i2 = 0; i2 < 2; i2++)
                    for (int64_t i1 = 0; i1 < 3; i1++)
                        for (int64_t i0 = 0; i0 < n0; i0++)
                            ot_set(&ref.t, i0, i1, i2, 0,
                                   (float)(oracle_act(0, ot_get(&g.t, i0, i1, i2, 0)) * ot_get(&u.t, i0, i1, i2, 0)));
                a2a_tensor *dst = iter % 3 == 1 ? &g.t : iter % 3 == 2 ? &u.t : &d.t;
                CHECK_EQ_INT(a2a_op_swiglu(NULL, ot_pool(iter % 3), dst, &g.t, &u.t), A2A_OK);
                for (int64_t i2 = 0; i2 < 2; i2++)
                    for (int64_t i1 = 0; i1 < 3; i1++)
                        for (int64_t i0 = 0; i0 < n0; i0++)
                            worst_s = fmax(worst_s, act_err(ot_get(dst, i0, i1, i2, 0), ot_get(&ref.t, i0, i1, i2, 0)));
                /* geglu: x [2 n0, 3, 2] -> d [n0, 3, 2] */
                ot_tensor x = ot_new(layout, 2 * n0, 3, 2, 1);
                ot_fill(&rng, &x.t, -6, 6);
                CHECK_EQ_INT(a2a_op_geglu(NULL, ot_pool(iter % 3), &d.t, &x.t), A2A_OK);
                for (int64_t i2 = 0; i2 < 2; i2++)
                    for (int64_t i1 = 0; i1 < 3; i1++)
                        for (int64_t i0 = 0; i0 < n0; i0++) {
                            double r = ot_get(&x.t, i0, i1, i2, 0) * oracle_act(1, ot_get(&x.t, i0 + n0, i1, i2, 0));
                            worst_g = fmax(worst_g, act_err(ot_get(&d.t, i0, i1, i2, 0), r));
                        }
                ot_free(&g);
                ot_free(&u);
                ot_free(&d);
                ot_free(&ref);
                ot_free(&x);
            }
        CHECK_MSG(worst_s <= 1e-6, "swiglu level %d: %g", lvl, worst_s);
        CHECK_MSG(worst_g <= 1e-6, "geglu level %d: %g", lvl, worst_g);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    CHECK(ctx != NULL);
    float buf[64] = {0};
    a2a_tensor a = a2a_tensor_make(A2A_TYPE_F32, buf, 4, 3, 1, 1);
    a2a_tensor b = a2a_tensor_make(A2A_TYPE_F32, buf, 3, 3, 1, 1);
    a2a_tensor d = a2a_tensor_make(A2A_TYPE_F32, buf + 16, 4, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_add(ctx, NULL, &d, &a, &b), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "add: b [3, 3] does not broadcast to a [4, 3]") != NULL);
    a2a_tensor h = a2a_tensor_make(A2A_TYPE_F16, buf, 4, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_mul(ctx, NULL, &d, &a, &h), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "f32") != NULL);
    a2a_tensor d2 = a2a_tensor_make(A2A_TYPE_F32, buf + 16, 4, 2, 1, 1);
    CHECK_EQ_INT(a2a_op_silu(ctx, NULL, &d2, &a), A2A_ERR_SHAPE);
    CHECK_EQ_INT(a2a_op_geglu(ctx, NULL, &d, &a), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "geglu") != NULL);
    CHECK_EQ_INT(a2a_op_swiglu(ctx, NULL, &d, &a, &d2), A2A_ERR_SHAPE);
    CHECK_EQ_INT(a2a_op_relu(ctx, NULL, &d, NULL), A2A_ERR_INVALID_ARG);
    /* empty tensors are fine */
    a2a_tensor e = a2a_tensor_make(A2A_TYPE_F32, buf, 0, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_add(ctx, NULL, &e, &e, &e), A2A_OK);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_binary_broadcast, test_scale, test_activations, test_swiglu_geglu, test_errors)
