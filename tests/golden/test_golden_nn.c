/* Golden tests of the shared transformer blocks (src/models/common/nn.c) against
   torch.nn.MultiheadAttention and a GELU MLP (tests/golden/nn/nn.gguf, made by
   tools/ref/make_golden_nn.py), single-threaded and with 2 threads, plus error paths. */
#include "a2a_test.h"
#include "a2a_golden.h"

#include "core/arena.h"
#include "core/threadpool.h"
#include "models/common/nn.h"

/* Output tensor shaped like the case's reference output. */
static a2a_tensor out_like(const a2a_golden_case *c, float **buf) {
    *buf = calloc((size_t)a2a_tensor_nelements(c->out), sizeof(float));
    a2a_tensor t;
    a2a_tensor_init(&t, A2A_TYPE_F32, c->out->n_dims, c->out->ne, *buf);
    return t;
}

static void run_case(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *tmp, const a2a_golden_case *c) {
    float *buf;
    a2a_tensor y = out_like(c, &buf);
    a2a_status st = A2A_ERR_INTERNAL;
    if (strcmp(c->op, "mha_packed") == 0) {
        a2a_nn_mha m = {0};
        m.n_head = a2a_golden_i32(c, "n_head", 1);
        m.in_proj = (a2a_nn_linear){c->in[1], c->in[2]};
        m.out = (a2a_nn_linear){c->in[3], c->in[4]};
        int k = 5;
        if (a2a_golden_i32(c, "bias_kv", 0)) {
            m.bias_k = c->in[k++];
            m.bias_v = c->in[k++];
        }
        const a2a_tensor *mask = a2a_golden_i32(c, "has_mask", 0) ? c->in[k] : NULL;
        st = a2a_nn_mha_fwd(ctx, tp, tmp, &y, &m, c->in[0], c->in[0], mask, a2a_golden_i32(c, "causal", 0) != 0);
    } else if (strcmp(c->op, "mha_cross") == 0) {
        const a2a_tensor *b = c->in[5];
        int64_t D = c->in[2]->ne[1];
        a2a_tensor bq, bk, bv;
        int64_t ne[1] = {D};
        bq = a2a_tensor_view(b, 1, ne, (int64_t[1]){0});
        bk = a2a_tensor_view(b, 1, ne, (int64_t[1]){D});
        bv = a2a_tensor_view(b, 1, ne, (int64_t[1]){2 * D});
        a2a_nn_mha m = {0};
        m.n_head = a2a_golden_i32(c, "n_head", 1);
        m.q = (a2a_nn_linear){c->in[2], &bq};
        m.k = (a2a_nn_linear){c->in[3], &bk};
        m.v = (a2a_nn_linear){c->in[4], &bv};
        m.out = (a2a_nn_linear){c->in[6], c->in[7]};
        st = a2a_nn_mha_fwd(ctx, tp, tmp, &y, &m, c->in[0], c->in[1], NULL, false);
    } else if (strcmp(c->op, "mlp") == 0) {
        a2a_nn_mlp m = {{c->in[1], c->in[2]}, {c->in[3], c->in[4]}, A2A_NN_ACT_GELU};
        st = a2a_nn_mlp_fwd(ctx, tp, tmp, &y, &m, c->in[0]);
    } else if (strcmp(c->op, "layer_norm_f16") == 0) {
        st = a2a_nn_layer_norm_fwd(ctx, tp, tmp, &y, c->in[0], c->in[1], c->in[2], a2a_golden_f32(c, "eps", 1e-5f));
    }
    if (st != A2A_OK) fprintf(stderr, "case %s: %s\n", c->name, a2a_last_error(ctx));
    CHECK(st == A2A_OK);
    if (st == A2A_OK) CHECK(a2a_golden_compare(c, &y, tp ? "2 threads" : "1 thread"));
    CHECK(tmp->used == 0); /* every call rewinds its scratch */
    free(buf);
}

TEST(nn_golden) {
    a2a_golden gf;
    if (!a2a_golden_open(&gf, "nn/nn.gguf")) {
        CHECK(0);
        return;
    }
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_arena tmp;
    CHECK(a2a_arena_init(ctx, &tmp, 4 << 20) == A2A_OK);
    a2a_threadpool *tp = NULL;
    CHECK(a2a_threadpool_new(ctx, 2, &tp) == A2A_OK);
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < gf.n_cases; i++) run_case(ctx, t ? tp : NULL, &tmp, &gf.cases[i]);
    a2a_threadpool_free(tp);
    a2a_arena_free(&tmp);
    a2a_ctx_free(ctx);
    a2a_golden_close(&gf);
}

TEST(nn_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_arena tmp;
    CHECK(a2a_arena_init(ctx, &tmp, 1 << 10) == A2A_OK); /* deliberately tiny */
    float w[6 * 4] = {0}, x[4 * 3] = {0}, y[2 * 3] = {0}, bias[5] = {0};
    a2a_tensor tw = a2a_tensor_make(A2A_TYPE_F32, w, 4, 6, 1, 1), tx = a2a_tensor_make(A2A_TYPE_F32, x, 4, 3, 1, 1);
    a2a_tensor ty = a2a_tensor_make(A2A_TYPE_F32, y, 2, 3, 1, 1), tb = a2a_tensor_make(A2A_TYPE_F32, bias, 5, 1, 1, 1);
    /* weight [4, 6] cannot produce [2, 3] */
    a2a_nn_linear l = {&tw, NULL};
    CHECK(a2a_nn_linear_fwd(ctx, NULL, &ty, &l, &tx) == A2A_ERR_SHAPE);
    /* bias of the wrong length */
    float y6[6 * 3];
    a2a_tensor ty6 = a2a_tensor_make(A2A_TYPE_F32, y6, 6, 3, 1, 1);
    l.b = &tb;
    CHECK(a2a_nn_linear_fwd(ctx, NULL, &ty6, &l, &tx) == A2A_ERR_SHAPE);
    CHECK(strstr(a2a_last_error(ctx), "bias") != NULL);
    /* 6 rows of in_proj -> D = 2, 4 heads do not divide it; and a too small arena */
    a2a_nn_mha m = {0};
    m.n_head = 4;
    m.in_proj.w = &tw;
    m.out.w = &tw;
    CHECK(a2a_nn_mha_fwd(ctx, NULL, &tmp, &ty, &m, &tx, &tx, NULL, false) == A2A_ERR_SHAPE);
    m.n_head = 0;
    CHECK(a2a_nn_mha_fwd(ctx, NULL, &tmp, &ty, &m, &tx, &tx, NULL, false) == A2A_ERR_INVALID_ARG);
    float big[4 * 300];
    a2a_tensor tbig = a2a_tensor_make(A2A_TYPE_F32, big, 4, 300, 1, 1);
    float ybig[4 * 300];
    a2a_tensor tybig = a2a_tensor_make(A2A_TYPE_F32, ybig, 4, 300, 1, 1);
    float wo[2 * 4];
    a2a_tensor two = a2a_tensor_make(A2A_TYPE_F32, wo, 2, 4, 1, 1);
    m.n_head = 1;
    m.out.w = &two;
    CHECK(a2a_nn_mha_fwd(ctx, NULL, &tmp, &tybig, &m, &tbig, &tbig, NULL, false) == A2A_ERR_NOMEM);
    CHECK(tmp.used == 0);
    a2a_arena_free(&tmp);
    a2a_ctx_free(ctx);
}

TEST_MAIN(nn_golden, nn_errors)
