/* Data movement ops at every kernel level: copy with conversion among F32/F16/BF16 (bit-exact
   against the scalar round-to-nearest-even conversions, incl. NaN, inf, overflow, subnormals
   and ties), same-type copies of I32 and quantized rows, concat along every dim, get_rows
   from F32/F16/BF16/Q8_0 tables with multi-dim ids; padded/transposed/permuted views,
   1-3 threads; out-of-range ids are rejected with a message. */
#include "a2a_test.h"
#include "kernels/ops.h"
#include "kernels/quant.h"
#include "ops_test_util.h"

#include "core/status.h"

/* Element (i0..i3) of a plain-typed tensor as float. */
static float get_any(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    const void *p = ot_ptr(t, i0, i1, i2, i3);
    switch (t->type) {
    case A2A_TYPE_F16: return a2a_fp16_to_f32(*(const a2a_fp16 *)p);
    case A2A_TYPE_BF16: return a2a_bf16_to_f32(*(const a2a_bf16 *)p);
    case A2A_TYPE_I32: return (float)*(const int32_t *)p;
    default: return *(const float *)p;
    }
}

/* Store v into element (i0..i3), converting with the scalar conversions. */
static void set_any(a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3, float v) {
    void *p = ot_ptr(t, i0, i1, i2, i3);
    switch (t->type) {
    case A2A_TYPE_F16: *(a2a_fp16 *)p = a2a_f32_to_fp16(v); break;
    case A2A_TYPE_BF16: *(a2a_bf16 *)p = a2a_f32_to_bf16(v); break;
    case A2A_TYPE_I32: *(int32_t *)p = (int32_t)v; break;
    default: *(float *)p = v;
    }
}

/* Interesting float values: specials, F16 overflow/subnormal edges, rounding ties. */
static float special(a2a_test_rng *rng, int64_t k) {
    static const float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 65504.0f, 65520.0f, -65536.0f, 5.9604645e-08f,
                               2.9802322e-08f, 1e-40f, 1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, 3.4e38f, 1.00390625f,
                               1.01171875f};
    const int64_t n = (int64_t)(sizeof sp / sizeof sp[0]);
    return k % 3 == 0 ? sp[(k / 3) % n] : a2a_test_uniform(rng, -300, 300);
}

/* Same bits after conversion to t (NaN matches NaN). */
static int same_value(a2a_type t, float got, float want) {
    if (want != want) return got != got;
    return memcmp(&got, &want, sizeof got) == 0 || (t == A2A_TYPE_I32 && got == want);
}

TEST(test_copy_convert) {
    a2a_test_rng rng = {51};
    static const a2a_type types[3] = {A2A_TYPE_F32, A2A_TYPE_F16, A2A_TYPE_BF16};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        int bad = 0;
        for (int si = 0; si < OT_N_SIZES; si++)
            for (int ts = 0; ts < 3; ts++)
                for (int td = 0; td < 3; td++)
                    for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                        const int64_t n0 = ot_sizes[si];
                        ot_tensor s = ot_new_typed(types[ts], layout, n0, 3, 2, 1);
                        ot_tensor d = ot_new_typed(types[td], (layout + iter) % 4, n0, 3, 2, 1);
                        int64_t k = 0;
                        for (int64_t i2 = 0; i2 < 2; i2++)
                            for (int64_t i1 = 0; i1 < 3; i1++)
                                for (int64_t i0 = 0; i0 < n0; i0++) set_any(&s.t, i0, i1, i2, 0, special(&rng, k++));
                        CHECK_EQ_INT(a2a_op_copy(NULL, ot_pool(iter % 3), &d.t, &s.t), A2A_OK);
                        for (int64_t i2 = 0; i2 < 2; i2++)
                            for (int64_t i1 = 0; i1 < 3; i1++)
                                for (int64_t i0 = 0; i0 < n0; i0++) {
                                    ot_tensor tmp = ot_new_typed(types[td], 0, 1, 1, 1, 1);
                                    set_any(&tmp.t, 0, 0, 0, 0, get_any(&s.t, i0, i1, i2, 0));
                                    float want = get_any(&tmp.t, 0, 0, 0, 0);
                                    ot_free(&tmp);
                                    if (!same_value(types[td], get_any(&d.t, i0, i1, i2, 0), want)) bad++;
                                }
                        ot_free(&s);
                        ot_free(&d);
                    }
        CHECK_MSG(bad == 0, "copy level %d: %d mismatching elements", lvl, bad);
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST(test_copy_same_type) {
    a2a_test_rng rng = {52};
    for (int layout = 0; layout < OT_N_LAYOUTS; layout++) {
        ot_tensor s = ot_new_typed(A2A_TYPE_I32, layout, 17, 3, 2, 1), d = ot_new_typed(A2A_TYPE_I32, 3 - layout, 17, 3, 2, 1);
        for (int64_t i2 = 0; i2 < 2; i2++)
            for (int64_t i1 = 0; i1 < 3; i1++)
                for (int64_t i0 = 0; i0 < 17; i0++) *(int32_t *)ot_ptr(&s.t, i0, i1, i2, 0) = (int32_t)a2a_test_next(&rng);
        CHECK_EQ_INT(a2a_op_copy(NULL, ot_pool(layout % 3), &d.t, &s.t), A2A_OK);
        int bad = 0;
        for (int64_t i2 = 0; i2 < 2; i2++)
            for (int64_t i1 = 0; i1 < 3; i1++)
                for (int64_t i0 = 0; i0 < 17; i0++)
                    bad += *(int32_t *)ot_ptr(&s.t, i0, i1, i2, 0) != *(int32_t *)ot_ptr(&d.t, i0, i1, i2, 0);
        CHECK_EQ_INT(bad, 0);
        ot_free(&s);
        ot_free(&d);
    }
    /* F32 -> Q8_0 (packed rows) equals the quantizer; Q8_0 -> F32 equals the dequantizer */
    float x[64 * 3], back[64 * 3], ref[64 * 3];
    a2a_block_q8_0 q[2 * 3], qref[2 * 3];
    a2a_test_fill(&rng, x, 64 * 3, -2, 2);
    a2a_tensor tx = a2a_tensor_make(A2A_TYPE_F32, x, 64, 3, 1, 1), tq = a2a_tensor_make(A2A_TYPE_Q8_0, q, 64, 3, 1, 1);
    a2a_tensor tb = a2a_tensor_make(A2A_TYPE_F32, back, 64, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_copy(NULL, NULL, &tq, &tx), A2A_OK);
    for (int r = 0; r < 3; r++) a2a_quantize_row(A2A_TYPE_Q8_0, x + 64 * r, qref + 2 * r, 64);
    CHECK(memcmp(q, qref, sizeof q) == 0);
    CHECK_EQ_INT(a2a_op_copy(NULL, NULL, &tb, &tq), A2A_OK);
    for (int r = 0; r < 3; r++) a2a_dequantize_row(A2A_TYPE_Q8_0, qref + 2 * r, ref + 64 * r, 64);
    CHECK(memcmp(back, ref, sizeof back) == 0);
    /* unsupported: I32 -> F32 conversion; quantized with non-packed rows */
    a2a_ctx *ctx = a2a_ctx_new();
    int32_t iv[64 * 3] = {0};
    a2a_tensor ti = a2a_tensor_make(A2A_TYPE_I32, iv, 64, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_copy(ctx, NULL, &tb, &ti), A2A_ERR_UNSUPPORTED);
    a2a_tensor tqs = tq; /* blocks not packed within a row */
    tqs.nb[0] *= 2;
    tqs.ne[0] = 32;
    a2a_tensor tbs = a2a_tensor_make(A2A_TYPE_F32, back, 32, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_copy(ctx, NULL, &tbs, &tqs), A2A_ERR_SHAPE);
    a2a_tensor bad_shape = a2a_tensor_make(A2A_TYPE_F32, back, 32, 3, 1, 1);
    CHECK_EQ_INT(a2a_op_copy(ctx, NULL, &bad_shape, &tx), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "copy: dst [32, 3] and src [64, 3] differ in shape") != NULL);
    a2a_ctx_free(ctx);
}

TEST(test_concat) {
    a2a_test_rng rng = {53};
    int iter = 0;
    for (int dim = 0; dim < 4; dim++)
        for (int layout = 0; layout < OT_N_LAYOUTS; layout++)
            for (int si = 0; si < 4; si++, iter++) {
                int64_t ne[4] = {ot_sizes[si * 3], 3, 2, 2}, na[4], nb[4], nd[4];
                for (int i = 0; i < 4; i++) na[i] = nb[i] = nd[i] = ne[i];
                na[dim] = ne[dim];
                nb[dim] = dim == 0 ? 5 : 1 + iter % 3;
                nd[dim] = na[dim] + nb[dim];
                const a2a_type t = iter % 2 ? A2A_TYPE_F32 : A2A_TYPE_F16;
                ot_tensor a = ot_new_typed(t, layout, na[0], na[1], na[2], na[3]);
                ot_tensor b = ot_new_typed(t, (layout + 1) % 4, nb[0], nb[1], nb[2], nb[3]);
                ot_tensor d = ot_new_typed(t, (layout + 2) % 4, nd[0], nd[1], nd[2], nd[3]);
                for (int64_t i3 = 0; i3 < na[3]; i3++)
                    for (int64_t i2 = 0; i2 < na[2]; i2++)
                        for (int64_t i1 = 0; i1 < na[1]; i1++)
                            for (int64_t i0 = 0; i0 < na[0]; i0++) set_any(&a.t, i0, i1, i2, i3, a2a_test_uniform(&rng, -9, 9));
                for (int64_t i3 = 0; i3 < nb[3]; i3++)
                    for (int64_t i2 = 0; i2 < nb[2]; i2++)
                        for (int64_t i1 = 0; i1 < nb[1]; i1++)
                            for (int64_t i0 = 0; i0 < nb[0]; i0++) set_any(&b.t, i0, i1, i2, i3, a2a_test_uniform(&rng, -9, 9));
                CHECK_EQ_INT(a2a_op_concat(NULL, ot_pool(iter % 3), &d.t, &a.t, &b.t, dim), A2A_OK);
                int bad = 0;
                for (int64_t i3 = 0; i3 < nd[3]; i3++)
                    for (int64_t i2 = 0; i2 < nd[2]; i2++)
                        for (int64_t i1 = 0; i1 < nd[1]; i1++)
                            for (int64_t i0 = 0; i0 < nd[0]; i0++) {
                                int64_t ix[4] = {i0, i1, i2, i3};
                                const a2a_tensor *s = &a.t;
                                if (ix[dim] >= na[dim]) ix[dim] -= na[dim], s = &b.t;
                                bad += get_any(&d.t, i0, i1, i2, i3) != get_any(s, ix[0], ix[1], ix[2], ix[3]);
                            }
                CHECK_MSG(bad == 0, "concat dim %d layout %s n0 %lld: %d bad", dim, ot_layout_name[layout],
                          (long long)ne[0], bad);
                ot_free(&a);
                ot_free(&b);
                ot_free(&d);
            }
    a2a_ctx *ctx = a2a_ctx_new();
    float buf[64] = {0};
    a2a_tensor a = a2a_tensor_make(A2A_TYPE_F32, buf, 4, 2, 1, 1), b = a2a_tensor_make(A2A_TYPE_F32, buf, 4, 3, 1, 1);
    a2a_tensor d = a2a_tensor_make(A2A_TYPE_F32, buf + 32, 8, 2, 1, 1);
    CHECK_EQ_INT(a2a_op_concat(ctx, NULL, &d, &a, &b, 0), A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "concat: a [4, 2] and b [4, 3] do not concatenate to dst [8, 2] along dim 0") != NULL);
    CHECK_EQ_INT(a2a_op_concat(ctx, NULL, &d, &a, &b, 7), A2A_ERR_INVALID_ARG);
    a2a_ctx_free(ctx);
}

TEST(test_get_rows) {
    a2a_test_rng rng = {54};
    static const a2a_type types[4] = {A2A_TYPE_F32, A2A_TYPE_F16, A2A_TYPE_BF16, A2A_TYPE_Q8_0};
    int iter = 0;
    OT_FOR_LEVELS(lvl) {
        for (int ti = 0; ti < 4; ti++)
            for (int layout = 0; layout < OT_N_LAYOUTS; layout++, iter++) {
                const int64_t n0 = types[ti] == A2A_TYPE_Q8_0 ? 96 : ot_sizes[iter % OT_N_SIZES], nrows = 37;
                const int tl = types[ti] == A2A_TYPE_Q8_0 ? 0 : layout; /* quantized tables need packed rows */
                /* reference rows as F32 */
                float *tab = malloc((size_t)(n0 * nrows) * sizeof(float));
                a2a_test_fill(&rng, tab, (size_t)(n0 * nrows), -3, 3);
                ot_tensor table = {0};
                a2a_block_q8_0 *qt = NULL;
                if (types[ti] == A2A_TYPE_Q8_0) {
                    qt = malloc((size_t)(nrows * n0 / 32) * sizeof *qt);
                    for (int64_t r = 0; r < nrows; r++) {
                        a2a_quantize_row(A2A_TYPE_Q8_0, tab + r * n0, qt + r * (n0 / 32), n0);
                        a2a_dequantize_row(A2A_TYPE_Q8_0, qt + r * (n0 / 32), tab + r * n0, n0);
                    }
                    table.t = a2a_tensor_make(A2A_TYPE_Q8_0, qt, n0, nrows, 1, 1);
                } else {
                    table = ot_new_typed(types[ti], tl, n0, nrows, 1, 1);
                    for (int64_t r = 0; r < nrows; r++)
                        for (int64_t i = 0; i < n0; i++) {
                            set_any(&table.t, i, r, 0, 0, tab[r * n0 + i]);
                            tab[r * n0 + i] = get_any(&table.t, i, r, 0, 0);
                        }
                }
                ot_tensor ids = ot_new_typed(A2A_TYPE_I32, layout, 5, 3, 2, 1);
                for (int64_t k = 0; k < 2; k++)
                    for (int64_t j = 0; j < 3; j++)
                        for (int64_t i = 0; i < 5; i++)
                            *(int32_t *)ot_ptr(&ids.t, i, j, k, 0) = (int32_t)(a2a_test_next(&rng) % (uint64_t)nrows);
                ot_tensor d = ot_new((layout + 1) % 4, n0, 5, 3, 2);
                CHECK_EQ_INT(a2a_op_get_rows(NULL, ot_pool(iter % 3), &d.t, &table.t, &ids.t), A2A_OK);
                int bad = 0;
                for (int64_t k = 0; k < 2; k++)
                    for (int64_t j = 0; j < 3; j++)
                        for (int64_t i = 0; i < 5; i++) {
                            int32_t id = *(int32_t *)ot_ptr(&ids.t, i, j, k, 0);
                            for (int64_t e = 0; e < n0; e++) bad += ot_get(&d.t, e, i, j, k) != tab[id * n0 + e];
                        }
                CHECK_MSG(bad == 0, "get_rows %s layout %s level %d: %d bad", a2a_type_name(types[ti]),
                          ot_layout_name[layout], lvl, bad);
                /* an id out of range is rejected */
                a2a_ctx *ctx = a2a_ctx_new();
                *(int32_t *)ot_ptr(&ids.t, 4, 2, 1, 0) = (int32_t)nrows;
                CHECK_EQ_INT(a2a_op_get_rows(ctx, NULL, &d.t, &table.t, &ids.t), A2A_ERR_INVALID_ARG);
                CHECK(strstr(a2a_last_error(ctx), "get_rows: id 37 at [4, 2, 1] is outside the table's 37 rows") != NULL);
                *(int32_t *)ot_ptr(&ids.t, 4, 2, 1, 0) = -1;
                CHECK_EQ_INT(a2a_op_get_rows(ctx, NULL, &d.t, &table.t, &ids.t), A2A_ERR_INVALID_ARG);
                a2a_ctx_free(ctx);
                free(tab);
                free(qt);
                if (table.mem) ot_free(&table);
                ot_free(&ids);
                ot_free(&d);
            }
    }
    a2a_kernel_level_set(a2a_kernel_level_max());
}

TEST_MAIN(test_copy_convert, test_copy_same_type, test_concat, test_get_rows)
