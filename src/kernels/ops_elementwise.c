/* Elementwise ops: broadcasting arithmetic, scale, activations, gated units. Contracts in
   kernels/ops.h; row kernels per level in ref/elementwise_ref.c and x86/elementwise_*.c. */
#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* Row kernels for the current kernel level. */
static const a2a_ew_kernels *ew_kernels(void) {
    static const a2a_ew_kernels ref = {a2a_ref_binary, a2a_ref_binary_s, a2a_ref_unary, a2a_ref_scale, a2a_ref_glu};
#ifdef A2A_HAVE_X86_KERNELS
    static const a2a_ew_kernels avx2 = {a2a_avx2_binary, a2a_avx2_binary_s, a2a_avx2_unary, a2a_avx2_scale,
                                        a2a_avx2_glu};
    static const a2a_ew_kernels avx512 = {a2a_avx512_binary, a2a_avx512_binary_s, a2a_avx512_unary,
                                          a2a_avx512_scale, a2a_avx512_glu};
    a2a_kernel_level lvl = a2a_kernel_level_get();
    if (lvl >= A2A_LEVEL_AVX512) return &avx512;
    if (lvl >= A2A_LEVEL_AVX2) return &avx2;
#endif
    return &ref;
}

enum ew_kind { EW_BINARY, EW_UNARY, EW_SCALE, EW_SWIGLU, EW_GEGLU };

typedef struct ew_job {
    const a2a_ew_kernels *k;
    int kind, op;
    a2a_tensor *dst;
    const a2a_tensor *a, *b; /* b: binary rhs or swiglu's up */
    float s, bias;
    int nomem; /* set by a worker when scratch allocation failed */
} ew_job;

/* Process dst rows [r0, r1) of an elementwise job. */
static void ew_rows(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    ew_job *j = arg;
    const a2a_tensor *d = j->dst, *a = j->a, *b = j->b;
    const int64_t n = d->ne[0];
    const int64_t na = j->kind == EW_GEGLU ? 2 * n : n;
    const int64_t nbe = b ? b->ne[0] : 0;
    float *bd = NULL, *ba = NULL, *bb = NULL;
    if (d->nb[0] != sizeof(float)) bd = a2a_scratch(0, (size_t)n * sizeof(float));
    if (a->nb[0] != sizeof(float)) ba = a2a_scratch(1, (size_t)na * sizeof(float));
    if (b && b->nb[0] != sizeof(float)) bb = a2a_scratch(2, (size_t)nbe * sizeof(float));
    if ((d->nb[0] != sizeof(float) && !bd) || (a->nb[0] != sizeof(float) && !ba) ||
        (b && b->nb[0] != sizeof(float) && !bb)) {
        __atomic_store_n(&j->nomem, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t ix[4];
        a2a_row_index(d->ne, r, ix);
        char *dp = (char *)d->data + a2a_row_offset(d, ix[0], ix[1], ix[2], ix[3]);
        const char *ap = (const char *)a->data + a2a_row_offset(a, ix[0], ix[1], ix[2], ix[3]);
        const float *ar = a2a_row_in(ap, a->nb[0], na, ba);
        float *dr = a2a_row_out(dp, d->nb[0], bd);
        switch (j->kind) {
        case EW_BINARY: {
            const char *bp = (const char *)b->data + a2a_row_offset(b, ix[0] % b->ne[1], ix[1] % b->ne[2],
                                                                    ix[2] % b->ne[3], ix[3] % b->ne[4]);
            const float *br = a2a_row_in(bp, b->nb[0], nbe, bb);
            if (nbe == n) j->k->binary(j->op, n, dr, ar, br);
            else if (nbe == 1) j->k->binary_s(j->op, n, dr, ar, br[0]);
            else
                for (int64_t o = 0; o < n; o += nbe) j->k->binary(j->op, nbe, dr + o, ar + o, br);
            break;
        }
        case EW_UNARY: j->k->unary(j->op, n, dr, ar); break;
        case EW_SCALE: j->k->scale(n, dr, ar, j->s, j->bias); break;
        case EW_SWIGLU: {
            const char *bp = (const char *)b->data + a2a_row_offset(b, ix[0], ix[1], ix[2], ix[3]);
            j->k->glu(A2A_GLU_SILU, n, dr, ar, a2a_row_in(bp, b->nb[0], n, bb));
            break;
        }
        default: j->k->glu(A2A_GLU_GELU, n, dr, ar + n, ar); break; /* GEGLU: gate is the second half */
        }
        a2a_row_out_done(dp, d->nb[0], n, dr);
    }
}

/* Run a validated job over all rows of dst. */
static a2a_status ew_run(a2a_ctx *ctx, a2a_threadpool *tp, ew_job *j, const char *name) {
    j->k = ew_kernels();
    j->nomem = 0;
    if (a2a_tensor_nelements(j->dst) == 0) return A2A_OK;
    a2a_parallel_for(tp, a2a_tensor_nrows(j->dst), a2a_row_grain(j->dst->ne[0]), ew_rows, j);
    if (j->nomem) return a2a_fail(ctx, A2A_ERR_NOMEM, "%s: out of memory for row scratch", name);
    return A2A_OK;
}

/* A2A_ERR_SHAPE unless t is F32. */
static a2a_status need_f32(a2a_ctx *ctx, const char *op, const char *what, const a2a_tensor *t) {
    if (!t || !t->data) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: %s is NULL", op, what);
    if (t->type != A2A_TYPE_F32)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s must be f32, got %s", op, what, a2a_type_name(t->type));
    return A2A_OK;
}

/* A2A_ERR_SHAPE unless x and y have the same shape. */
static a2a_status need_same(a2a_ctx *ctx, const char *op, const char *xn, const a2a_tensor *x, const char *yn,
                            const a2a_tensor *y) {
    if (a2a_tensor_same_shape(x, y)) return A2A_OK;
    char s1[96], s2[96];
    return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: %s %s and %s %s differ in shape", op, xn,
                    a2a_tensor_shape_str(x, s1, sizeof s1), yn, a2a_tensor_shape_str(y, s2, sizeof s2));
}

/* Validate and run dst = a op b with b tiled over a. */
static a2a_status binary(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a,
                         const a2a_tensor *b, int op, const char *name) {
    a2a_status st;
    if ((st = need_f32(ctx, name, "dst", dst)) || (st = need_f32(ctx, name, "a", a)) ||
        (st = need_f32(ctx, name, "b", b)) || (st = need_same(ctx, name, "dst", dst, "a", a)))
        return st;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        if (b->ne[i] <= 0 ? a->ne[i] != 0 : a->ne[i] % b->ne[i] != 0) {
            char s1[96], s2[96];
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: b %s does not broadcast to a %s (dim %d)", name,
                            a2a_tensor_shape_str(b, s1, sizeof s1), a2a_tensor_shape_str(a, s2, sizeof s2), i);
        }
    }
    ew_job j = {.kind = EW_BINARY, .op = op, .dst = dst, .a = a, .b = b};
    return ew_run(ctx, tp, &j, name);
}

/* dst = a + b (b broadcast). */
a2a_status a2a_op_add(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b) {
    return binary(ctx, tp, dst, a, b, A2A_BIN_ADD, "add");
}

/* dst = a - b (b broadcast). */
a2a_status a2a_op_sub(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b) {
    return binary(ctx, tp, dst, a, b, A2A_BIN_SUB, "sub");
}

/* dst = a * b (b broadcast). */
a2a_status a2a_op_mul(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b) {
    return binary(ctx, tp, dst, a, b, A2A_BIN_MUL, "mul");
}

/* dst = a / b (b broadcast). */
a2a_status a2a_op_div(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, const a2a_tensor *b) {
    return binary(ctx, tp, dst, a, b, A2A_BIN_DIV, "div");
}

/* dst = s * a + bias. */
a2a_status a2a_op_scale(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *a, float s, float bias) {
    a2a_status st;
    if ((st = need_f32(ctx, "scale", "dst", dst)) || (st = need_f32(ctx, "scale", "a", a)) ||
        (st = need_same(ctx, "scale", "dst", dst, "a", a)))
        return st;
    ew_job j = {.kind = EW_SCALE, .dst = dst, .a = a, .s = s, .bias = bias};
    return ew_run(ctx, tp, &j, "scale");
}

/* Validate and run dst = f(x). */
static a2a_status unary(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x, int op,
                        const char *name) {
    a2a_status st;
    if ((st = need_f32(ctx, name, "dst", dst)) || (st = need_f32(ctx, name, "x", x)) ||
        (st = need_same(ctx, name, "dst", dst, "x", x)))
        return st;
    ew_job j = {.kind = EW_UNARY, .op = op, .dst = dst, .a = x};
    return ew_run(ctx, tp, &j, name);
}

/* dst = silu(x). */
a2a_status a2a_op_silu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_SILU, "silu");
}

/* dst = gelu(x), erf form. */
a2a_status a2a_op_gelu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_GELU, "gelu");
}

/* dst = gelu(x), tanh approximation. */
a2a_status a2a_op_gelu_tanh(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_GELU_TANH, "gelu_tanh");
}

/* dst = x * sigmoid(1.702 x). */
a2a_status a2a_op_quick_gelu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_QUICK_GELU, "quick_gelu");
}

/* dst = max(x, 0). */
a2a_status a2a_op_relu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_RELU, "relu");
}

/* dst = sigmoid(x). */
a2a_status a2a_op_sigmoid(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_SIGMOID, "sigmoid");
}

/* dst = tanh(x). */
a2a_status a2a_op_tanh(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    return unary(ctx, tp, dst, x, A2A_UN_TANH, "tanh");
}

/* dst = silu(gate) * up. */
a2a_status a2a_op_swiglu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *gate,
                         const a2a_tensor *up) {
    a2a_status st;
    if ((st = need_f32(ctx, "swiglu", "dst", dst)) || (st = need_f32(ctx, "swiglu", "gate", gate)) ||
        (st = need_f32(ctx, "swiglu", "up", up)) || (st = need_same(ctx, "swiglu", "dst", dst, "gate", gate)) ||
        (st = need_same(ctx, "swiglu", "gate", gate, "up", up)))
        return st;
    ew_job j = {.kind = EW_SWIGLU, .dst = dst, .a = gate, .b = up};
    return ew_run(ctx, tp, &j, "swiglu");
}

/* dst = x[:D] * gelu(x[D:]) along ne[0]. */
a2a_status a2a_op_geglu(a2a_ctx *ctx, a2a_threadpool *tp, a2a_tensor *dst, const a2a_tensor *x) {
    a2a_status st;
    if ((st = need_f32(ctx, "geglu", "dst", dst)) || (st = need_f32(ctx, "geglu", "x", x))) return st;
    bool ok = x->ne[0] == 2 * dst->ne[0];
    for (int i = 1; i < A2A_MAX_DIMS; i++) ok = ok && x->ne[i] == dst->ne[i];
    if (!ok) {
        char s1[96], s2[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "geglu: x %s must be dst %s with ne[0] doubled",
                        a2a_tensor_shape_str(x, s1, sizeof s1), a2a_tensor_shape_str(dst, s2, sizeof s2));
    }
    ew_job j = {.kind = EW_GEGLU, .dst = dst, .a = x};
    return ew_run(ctx, tp, &j, "geglu");
}
