/* Input projectors of the token-wise kind: NExT-GPT's linear llama_proj and LLaVA-1.5's
   mlp2x_gelu mm_projector (see projector.h for the GGUF layout). */
#include "core/arena.h"
#include "models/projectors/projector_impl.h"

/* Contract in projector_impl.h. Linear: llama_proj.{weight [in, out], bias [out]};
   mlp2x_gelu: mm_projector.0.{weight [in, out], bias [out]}, mm_projector.2.{weight [out, out], bias [out]}. */
a2a_status a2a_projector_load_linear_mlp(a2a_ctx *ctx, a2a_projector *p) {
    a2a_status st = A2A_OK;
    const a2a_gguf *g = p->g;
    const int64_t in = p->in_dim, out = p->out_dim;
    if (p->type == A2A_PROJECTOR_LINEAR) {
        if (!(p->linear.w = a2a_projector_tensor(ctx, g, "llama_proj.weight", in, out, false, &st)) ||
            !(p->linear.b = a2a_projector_tensor(ctx, g, "llama_proj.bias", out, 0, false, &st)))
            return st;
        return A2A_OK;
    }
    A2A_ASSERT(p->type == A2A_PROJECTOR_MLP2X_GELU);
    p->mlp.act = A2A_NN_ACT_GELU;
    if (!(p->mlp.fc1.w = a2a_projector_tensor(ctx, g, "mm_projector.0.weight", in, out, false, &st)) ||
        !(p->mlp.fc1.b = a2a_projector_tensor(ctx, g, "mm_projector.0.bias", out, 0, false, &st)) ||
        !(p->mlp.fc2.w = a2a_projector_tensor(ctx, g, "mm_projector.2.weight", out, out, false, &st)) ||
        !(p->mlp.fc2.b = a2a_projector_tensor(ctx, g, "mm_projector.2.bias", out, 0, false, &st)))
        return st;
    return A2A_OK;
}

/* Contract in projector_impl.h: y[:, t] = W x[:, t] + b (linear) or fc2(gelu(fc1(x))) (mlp);
   the MLP's hidden activation [out, n] lives in a scratch arena allocated here. */
a2a_status a2a_projector_forward_linear_mlp(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                            int64_t n, float *out) {
    a2a_tensor x, y;
    int64_t ne_x[2] = {p->in_dim, n}, ne_y[2] = {p->out_dim, n};
    if (!a2a_tensor_init(&x, A2A_TYPE_F32, 2, ne_x, (void *)in) || !a2a_tensor_init(&y, A2A_TYPE_F32, 2, ne_y, out))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector: %lld tokens of width %lld/%lld is too large", (long long)n,
                        (long long)p->in_dim, (long long)p->out_dim);
    if (p->type == A2A_PROJECTOR_LINEAR) return a2a_nn_linear_fwd(ctx, tp, &y, &p->linear, &x);
    size_t bytes;
    if (!a2a_mul_ok((size_t)p->out_dim * sizeof(float), (size_t)n, &bytes) || !a2a_add_ok(bytes, 4096, &bytes))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "projector: scratch size overflows for %lld tokens", (long long)n);
    a2a_arena tmp;
    a2a_status st = a2a_arena_init(ctx, &tmp, bytes);
    if (st) return st;
    st = a2a_nn_mlp_fwd(ctx, tp, &tmp, &y, &p->mlp, &x);
    a2a_arena_free(&tmp);
    return st;
}
