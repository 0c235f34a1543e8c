/* Golden tests: our ops against PyTorch references (the files tests/golden/ops/NAME.gguf, made by
   tools/ref/make_golden_ops.py; see tests/golden/README.md).

   Every case of every file is run at every kernel level this CPU supports (ref, avx2, avx512,
   amx), once single-threaded and once with a 2-thread pool, and compared with the reference
   within the tolerances stored in the file. A case whose op is not known to this test fails
   (a new case needs its runner here); a case whose op header is not present in the tree is
   reported as skipped. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"

#if __has_include("kernels/ops.h")
#include "kernels/ops.h"
#define GOLDEN_HAVE_OPS 1
#else
#define GOLDEN_HAVE_OPS 0
#endif
#if __has_include("kernels/matmul.h")
#include "kernels/matmul.h"
#define GOLDEN_HAVE_MATMUL 1
#else
#define GOLDEN_HAVE_MATMUL 0
#endif
#if __has_include("kernels/conv.h")
#include "kernels/conv.h"
#define GOLDEN_HAVE_CONV 1
#else
#define GOLDEN_HAVE_CONV 0
#endif
#if __has_include("kernels/attention.h")
#include "kernels/attention.h"
#define GOLDEN_HAVE_ATTENTION 1
#else
#define GOLDEN_HAVE_ATTENTION 0
#endif

/* Returned by a runner whose op is compiled out: the case is counted as skipped. */
#define GOLDEN_SKIP ((a2a_status)-1)

/* What a runner gets and fills: got is the tensor compared with the reference (by default a
   freshly allocated F32 tensor shaped like the reference output; a runner may point it at a
   view of its own buffer, e.g. a permutation). Buffers in mem[] are freed by the caller. */
typedef struct golden_run {
    a2a_ctx *ctx;
    a2a_threadpool *tp;
    const a2a_golden_case *c;
    a2a_tensor got;
    void *mem[4];
    int n_mem;
} golden_run;

/* Input i of the case, or NULL when the case has fewer inputs. */
static const a2a_tensor *in(const golden_run *r, int i) { return i < r->c->n_in ? r->c->in[i] : NULL; }

/* A zeroed F32 tensor owned by the run. */
static bool run_alloc(golden_run *r, a2a_tensor *t, int n_dims, const int64_t *ne) {
    if (r->n_mem >= (int)(sizeof r->mem / sizeof r->mem[0])) return false;
    if (!a2a_golden_alloc(t, A2A_TYPE_F32, n_dims, ne)) return false;
    r->mem[r->n_mem++] = t->data;
    return true;
}

/* ------------------------------------------------------------------------------------------ */
#if GOLDEN_HAVE_MATMUL
/* linear: in0 x [K, M, ...], in1 w [K, N] (F32/F16), in2 bias [N] (optional) -> [N, M, ...] */
static a2a_status run_linear(golden_run *r) {
    a2a_status st = a2a_op_matmul(r->ctx, r->tp, &r->got, in(r, 1), in(r, 0));
    if (st != A2A_OK || !in(r, 2)) return st;
#if GOLDEN_HAVE_OPS
    return a2a_op_add(r->ctx, r->tp, &r->got, &r->got, in(r, 2));
#else
    return GOLDEN_SKIP;
#endif
}
#endif

#if GOLDEN_HAVE_OPS
static a2a_status run_add(golden_run *r) { return a2a_op_add(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1)); }
static a2a_status run_mul(golden_run *r) { return a2a_op_mul(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1)); }
static a2a_status run_scale(golden_run *r) {
    return a2a_op_scale(r->ctx, r->tp, &r->got, in(r, 0), a2a_golden_f32(r->c, "s", 1.0f),
                        a2a_golden_f32(r->c, "bias", 0.0f));
}
static a2a_status run_silu(golden_run *r) { return a2a_op_silu(r->ctx, r->tp, &r->got, in(r, 0)); }
static a2a_status run_gelu(golden_run *r) { return a2a_op_gelu(r->ctx, r->tp, &r->got, in(r, 0)); }
static a2a_status run_gelu_tanh(golden_run *r) { return a2a_op_gelu_tanh(r->ctx, r->tp, &r->got, in(r, 0)); }
static a2a_status run_quick_gelu(golden_run *r) { return a2a_op_quick_gelu(r->ctx, r->tp, &r->got, in(r, 0)); }
static a2a_status run_swiglu(golden_run *r) { return a2a_op_swiglu(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1)); }
static a2a_status run_geglu(golden_run *r) { return a2a_op_geglu(r->ctx, r->tp, &r->got, in(r, 0)); }

static a2a_status run_rms_norm(golden_run *r) {
    return a2a_op_rms_norm(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), a2a_golden_f32(r->c, "eps", 1e-6f));
}
static a2a_status run_layer_norm(golden_run *r) {
    return a2a_op_layer_norm(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), in(r, 2), a2a_golden_f32(r->c, "eps", 1e-5f));
}
/* group_norm: in0 x [W, H, C, N] (4-D as stored), in1 w [C], in2 b [C] */
static a2a_status run_group_norm(golden_run *r) {
    return a2a_op_group_norm(r->ctx, r->tp, &r->got, in(r, 0), a2a_golden_i32(r->c, "n_groups", 32), in(r, 1),
                             in(r, 2), a2a_golden_f32(r->c, "eps", 1e-5f));
}
/* softmax: in0 x [n_kv, n_q, H], in1 mask [n_kv, n_q] (optional) */
static a2a_status run_softmax(golden_run *r) {
    return a2a_op_softmax(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), a2a_golden_f32(r->c, "scale", 1.0f));
}
/* rope: in0 x [D, H, S], in1 pos I32 [S] */
static a2a_status run_rope(golden_run *r) {
    a2a_rope_params p = a2a_rope_default_params();
    p.n_rot = a2a_golden_i32(r->c, "n_rot", 0);
    p.freq_base = a2a_golden_f32(r->c, "freq_base", 10000.0f);
    if (a2a_golden_str_is(r->c, "mode", "neox")) p.mode = A2A_ROPE_NEOX;
    else if (a2a_golden_str_is(r->c, "mode", "normal")) p.mode = A2A_ROPE_NORMAL;
    else return A2A_ERR_INVALID_ARG;
    return a2a_op_rope(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), &p);
}
/* get_rows: in0 table [E, V] (F32/F16), in1 ids I32 [n] -> [E, n] */
static a2a_status run_get_rows(golden_run *r) { return a2a_op_get_rows(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1)); }
/* concat: "dim" is PyTorch's; ggml's is n_dims - 1 - dim */
static a2a_status run_concat(golden_run *r) {
    int dim = in(r, 0)->n_dims - 1 - a2a_golden_i32(r->c, "dim", 0);
    return a2a_op_concat(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), dim);
}
#endif

#if GOLDEN_HAVE_CONV
/* conv1d: in0 x [L, Cin, N], in1 w [K, Cin/g, Cout], in2 b [Cout] (optional) */
static a2a_status run_conv1d(golden_run *r) {
    return a2a_op_conv1d(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), in(r, 2), a2a_golden_i32(r->c, "stride", 1),
                         a2a_golden_i32(r->c, "padding", 0), a2a_golden_i32(r->c, "dilation", 1),
                         a2a_golden_i32(r->c, "groups", 1));
}
/* Per-dimension parameter arrays are in PyTorch order ([h, w] / [t, h, w]). */
static bool get2(const golden_run *r, const char *key, int *h, int *w) {
    int32_t v[2];
    if (a2a_golden_ints(r->c, key, v, 2) != 2) return false;
    *h = v[0], *w = v[1];
    return true;
}
static bool get3(const golden_run *r, const char *key, int *t, int *h, int *w) {
    int32_t v[3];
    if (a2a_golden_ints(r->c, key, v, 3) != 3) return false;
    *t = v[0], *h = v[1], *w = v[2];
    return true;
}
/* conv2d: in0 x [W, H, Cin, N], in1 w [KW, KH, Cin/g, Cout], in2 b [Cout] (optional) */
static a2a_status run_conv2d(golden_run *r) {
    a2a_conv2d_params p = a2a_conv2d_default_params();
    if (!get2(r, "stride", &p.stride_h, &p.stride_w) || !get2(r, "padding", &p.pad_h, &p.pad_w) ||
        !get2(r, "dilation", &p.dil_h, &p.dil_w))
        return A2A_ERR_INVALID_ARG;
    p.groups = a2a_golden_i32(r->c, "groups", 1);
    return a2a_op_conv2d(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), in(r, 2), &p);
}
/* conv3d: in0 x [W, H, T, Cin, N], in1 w [KW, KH, KT, Cin, Cout], in2 b [Cout] (optional) */
static a2a_status run_conv3d(golden_run *r) {
    a2a_conv3d_params p = a2a_conv3d_default_params();
    if (!get3(r, "stride", &p.stride_t, &p.stride_h, &p.stride_w) || !get3(r, "padding", &p.pad_t, &p.pad_h, &p.pad_w) ||
        !get3(r, "dilation", &p.dil_t, &p.dil_h, &p.dil_w))
        return A2A_ERR_INVALID_ARG;
    return a2a_op_conv3d(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), in(r, 2), &p);
}
/* conv_transpose1d: in0 x [L, Cin, N], in1 w [K, Cout/g, Cin], in2 b [Cout] */
static a2a_status run_conv_transpose1d(golden_run *r) {
    return a2a_op_conv_transpose1d(r->ctx, r->tp, &r->got, in(r, 0), in(r, 1), in(r, 2),
                                   a2a_golden_i32(r->c, "stride", 1), a2a_golden_i32(r->c, "padding", 0),
                                   a2a_golden_i32(r->c, "output_padding", 0), a2a_golden_i32(r->c, "dilation", 1),
                                   a2a_golden_i32(r->c, "groups", 1));
}
/* avg/max pool2d: in0 x [W, H, C, N] */
static a2a_status run_pool2d(golden_run *r, a2a_pool_kind kind) {
    a2a_pool2d_params p = {0};
    p.kind = kind;
    if (!get2(r, "kernel", &p.kernel_h, &p.kernel_w) || !get2(r, "stride", &p.stride_h, &p.stride_w) ||
        !get2(r, "padding", &p.pad_h, &p.pad_w))
        return A2A_ERR_INVALID_ARG;
    p.count_include_pad = a2a_golden_i32(r->c, "count_include_pad", 1);
    return a2a_op_pool2d(r->ctx, r->tp, &r->got, in(r, 0), &p);
}
static a2a_status run_avg_pool2d(golden_run *r) { return run_pool2d(r, A2A_POOL_AVG); }
static a2a_status run_max_pool2d(golden_run *r) { return run_pool2d(r, A2A_POOL_MAX); }
/* avg/max pool1d: in0 x [L, C, N] */
static a2a_status run_pool1d(golden_run *r, a2a_pool_kind kind) {
    return a2a_op_pool1d(r->ctx, r->tp, &r->got, in(r, 0), kind, a2a_golden_i32(r->c, "kernel", 1),
                         a2a_golden_i32(r->c, "stride", 1), a2a_golden_i32(r->c, "padding", 0),
                         a2a_golden_i32(r->c, "count_include_pad", 1));
}
static a2a_status run_avg_pool1d(golden_run *r) { return run_pool1d(r, A2A_POOL_AVG); }
static a2a_status run_max_pool1d(golden_run *r) { return run_pool1d(r, A2A_POOL_MAX); }
/* upsample_nearest2d: in0 x [W, H, C, N]; "scale" = [h, w] */
static a2a_status run_upsample_nearest2d(golden_run *r) {
    int sh, sw;
    if (!get2(r, "scale", &sh, &sw)) return A2A_ERR_INVALID_ARG;
    return a2a_op_upsample_nearest2d(r->ctx, r->tp, &r->got, in(r, 0), sw, sh);
}
#endif

#if GOLDEN_HAVE_ATTENTION
/* attention: in0 q [D, Sq, H, B], in1 k [D, Sk, Hkv, B], in2 v [Dv, Sk, Hkv, B], in3 mask
   [Sk, Sq, H, B] (optional). Our dst is [Dv, H, Sq, B]; the reference (PyTorch [B, H, Sq, Dv])
   is [Dv, Sq, H, B], so the comparison goes through a view with dims 1 and 2 swapped. */
static a2a_status run_attention(golden_run *r) {
    const a2a_tensor *q = in(r, 0), *v = in(r, 2);
    int64_t ne[4] = {v->ne[0], q->ne[2], q->ne[1], q->ne[3]};
    a2a_tensor dst;
    if (!run_alloc(r, &dst, 4, ne)) return A2A_ERR_NOMEM;
    a2a_attention_params p = a2a_attention_default_params();
    p.scale = a2a_golden_f32(r->c, "scale", 0.0f);
    p.causal = a2a_golden_i32(r->c, "causal", 0);
    p.kv_offset = a2a_golden_i32(r->c, "kv_offset", -1);
    a2a_status st = a2a_op_attention(r->ctx, r->tp, &dst, q, in(r, 1), v, in(r, 3), &p);
    const int perm[A2A_MAX_DIMS] = {0, 2, 1, 3, 4};
    r->got = a2a_tensor_permute(&dst, perm);
    return st;
}
#endif

/* ------------------------------------------------------------------------------------------ */
typedef struct golden_op {
    const char *name;
    a2a_status (*run)(golden_run *r); /* NULL: op compiled out (header missing) */
} golden_op;

static const golden_op golden_ops[] = {
#if GOLDEN_HAVE_MATMUL
    {"linear", run_linear},
#else
    {"linear", NULL},
#endif
#if GOLDEN_HAVE_OPS
    {"add", run_add}, {"mul", run_mul}, {"scale", run_scale}, {"silu", run_silu}, {"gelu", run_gelu},
    {"gelu_tanh", run_gelu_tanh}, {"quick_gelu", run_quick_gelu}, {"swiglu", run_swiglu}, {"geglu", run_geglu},
    {"rms_norm", run_rms_norm}, {"layer_norm", run_layer_norm}, {"group_norm", run_group_norm},
    {"softmax", run_softmax}, {"rope", run_rope}, {"get_rows", run_get_rows}, {"concat", run_concat},
#else
    {"add", NULL}, {"mul", NULL}, {"scale", NULL}, {"silu", NULL}, {"gelu", NULL}, {"gelu_tanh", NULL},
    {"quick_gelu", NULL}, {"swiglu", NULL}, {"geglu", NULL}, {"rms_norm", NULL}, {"layer_norm", NULL},
    {"group_norm", NULL}, {"softmax", NULL}, {"rope", NULL}, {"get_rows", NULL}, {"concat", NULL},
#endif
#if GOLDEN_HAVE_CONV
    {"conv1d", run_conv1d}, {"conv2d", run_conv2d}, {"conv3d", run_conv3d},
    {"conv_transpose1d", run_conv_transpose1d}, {"avg_pool2d", run_avg_pool2d}, {"max_pool2d", run_max_pool2d},
    {"avg_pool1d", run_avg_pool1d}, {"max_pool1d", run_max_pool1d}, {"upsample_nearest2d", run_upsample_nearest2d},
#else
    {"conv1d", NULL}, {"conv2d", NULL}, {"conv3d", NULL}, {"conv_transpose1d", NULL}, {"avg_pool2d", NULL},
    {"max_pool2d", NULL}, {"avg_pool1d", NULL}, {"max_pool1d", NULL}, {"upsample_nearest2d", NULL},
#endif
#if GOLDEN_HAVE_ATTENTION
    {"attention", run_attention},
#else
    {"attention", NULL},
#endif
};

static int golden_compared, golden_skipped;

/* Run every case of one golden file at every kernel level, single-threaded and on tp2. */
static void run_golden_file(const char *rel, a2a_threadpool *tp2) {
    a2a_golden gf;
    CHECK_MSG(a2a_golden_open(&gf, rel), "cannot open golden file %s", rel);
    if (!gf.g) return;
    CHECK_MSG(gf.n_cases > 0, "%s has no cases", rel);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_kernel_level saved = a2a_kernel_level_get();
    for (int i = 0; i < gf.n_cases; i++) {
        const a2a_golden_case *c = &gf.cases[i];
        const golden_op *op = NULL;
        for (size_t k = 0; k < sizeof golden_ops / sizeof golden_ops[0]; k++)
            if (strcmp(golden_ops[k].name, c->op) == 0) op = &golden_ops[k];
        CHECK_MSG(op != NULL, "%s: case %s: op '%s' has no runner in test_golden_ops.c", rel, c->name, c->op);
        if (!op) continue;
        if (!op->run) {
            fprintf(stderr, "golden SKIP %s: %s (op %s not built)\n", rel, c->name, c->op);
            golden_skipped++;
            continue;
        }
        for (int lvl = A2A_LEVEL_REF; lvl <= (int)a2a_kernel_level_max(); lvl++) {
            if ((int)a2a_kernel_level_set((a2a_kernel_level)lvl) != lvl) continue;
            for (int th = 0; th < 2; th++) {
                char tag[32];
                snprintf(tag, sizeof tag, "%s/t%d", a2a_kernel_level_name((a2a_kernel_level)lvl), th ? 2 : 1);
                golden_run r = {0};
                r.ctx = ctx;
                r.tp = th ? tp2 : NULL;
                r.c = c;
                if (!run_alloc(&r, &r.got, c->out->n_dims, c->out->ne)) {
                    CHECK_MSG(0, "%s: %s: out of memory", rel, c->name);
                    continue;
                }
                a2a_status st = op->run(&r);
                if (st == GOLDEN_SKIP) {
                    if (lvl == A2A_LEVEL_REF && th == 0) {
                        fprintf(stderr, "golden SKIP %s: %s (part of op %s not built)\n", rel, c->name, c->op);
                        golden_skipped++;
                    }
                } else {
                    CHECK_MSG(st == A2A_OK, "%s: %s (%s) [%s]: status %s: %s", rel, c->name, c->op, tag,
                              a2a_status_str(st), a2a_last_error(ctx));
                    if (st == A2A_OK) {
                        CHECK_MSG(a2a_golden_compare(c, &r.got, tag), "%s: %s [%s] differs from the reference", rel,
                                  c->name, tag);
                        golden_compared++;
                    }
                }
                for (int m = 0; m < r.n_mem; m++) free(r.mem[m]);
                if (st == GOLDEN_SKIP) break;
            }
        }
        a2a_kernel_level_set(saved);
    }
    a2a_kernel_level_set(saved);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

static a2a_threadpool *golden_tp2(void) {
    static a2a_threadpool *tp;
    if (!tp) CHECK(a2a_threadpool_new(NULL, 2, &tp) == A2A_OK);
    return tp;
}

TEST(test_golden_linear) { run_golden_file("ops/linear.gguf", golden_tp2()); }
TEST(test_golden_elementwise) { run_golden_file("ops/elementwise.gguf", golden_tp2()); }
TEST(test_golden_norm) { run_golden_file("ops/norm.gguf", golden_tp2()); }
TEST(test_golden_softmax) { run_golden_file("ops/softmax.gguf", golden_tp2()); }
TEST(test_golden_rope) { run_golden_file("ops/rope.gguf", golden_tp2()); }
TEST(test_golden_conv) { run_golden_file("ops/conv.gguf", golden_tp2()); }
TEST(test_golden_pool) { run_golden_file("ops/pool.gguf", golden_tp2()); }
TEST(test_golden_attention) { run_golden_file("ops/attention.gguf", golden_tp2()); }
TEST(test_golden_misc) { run_golden_file("ops/misc.gguf", golden_tp2()); }

/* The loader itself: case indexing, parameters, tensor shapes in ggml order, and a
   comparison that must fail (a perturbed output). */
TEST(test_golden_loader) {
    a2a_golden gf;
    CHECK(a2a_golden_open(&gf, "ops/conv.gguf"));
    if (!gf.g) return;
    const char *gen;
    size_t gen_len;
    CHECK(a2a_gguf_get_str(NULL, gf.g, "golden.generator", &gen, &gen_len) == A2A_OK &&
          gen_len == strlen("tools/ref/make_golden_ops.py") && memcmp(gen, "tools/ref/make_golden_ops.py", gen_len) == 0);
    const a2a_golden_case *c = a2a_golden_find(&gf, "conv3d_imagebind");
    CHECK(c != NULL);
    if (c) {
        CHECK(strcmp(c->op, "conv3d") == 0);
        CHECK_EQ_INT(c->n_in, 2);
        /* PyTorch x [1, 3, 2, 28, 28] arrives as [28, 28, 2, 3, 1] */
        CHECK_EQ_INT(c->in[0]->n_dims, 5);
        CHECK(c->in[0]->ne[0] == 28 && c->in[0]->ne[1] == 28 && c->in[0]->ne[2] == 2 && c->in[0]->ne[3] == 3 &&
              c->in[0]->ne[4] == 1);
        int32_t s[4] = {0};
        CHECK_EQ_INT(a2a_golden_ints(c, "stride", s, 4), 3);
        CHECK(s[0] == 2 && s[1] == 14 && s[2] == 14);
        CHECK(!a2a_golden_has(c, "no_such_param"));
        CHECK_EQ_INT(a2a_golden_i32(c, "no_such_param", 7), 7);
        CHECK(c->tol_nmse > 0 && c->tol_max_abs > 0);
        /* the reference compared with itself passes; a perturbed copy fails */
        CHECK(a2a_golden_compare(c, c->out, "self"));
        a2a_tensor t;
        CHECK(a2a_golden_alloc_like(&t, c->out));
        memcpy(t.data, c->out->data, a2a_tensor_nbytes(&t));
        ((float *)t.data)[3] += 1.0f;
        fprintf(stderr, "(the next FAIL line is expected)\n");
        a2a_golden_metrics m;
        CHECK(!a2a_golden_compare_m(c, &t, "perturbed", &m));
        CHECK(m.worst[0] == 3 % c->out->ne[0] && m.worst[1] == (3 / c->out->ne[0]) % c->out->ne[1]);
        CHECK_NEAR(m.max_abs, 1.0, 1e-6);
        free(t.data);
    }
    a2a_golden_close(&gf);
    CHECK(!a2a_golden_open(&gf, "ops/does_not_exist.gguf"));
}

static void golden_summary(void) {
    fprintf(stderr, "golden ops: %d comparisons, %d cases skipped (op not built)\n", golden_compared, golden_skipped);
    a2a_threadpool_free(golden_tp2());
}

TEST_MAIN(test_golden_loader, test_golden_linear, test_golden_elementwise, test_golden_norm, test_golden_softmax,
          test_golden_rope, test_golden_conv, test_golden_pool, test_golden_attention, test_golden_misc, golden_summary)
