/* Internal to src/models/projectors/: the projector struct and the per-family load/forward
   functions that projector.c dispatches to. */
#ifndef A2A_MODELS_PROJECTORS_PROJECTOR_IMPL_H
#define A2A_MODELS_PROJECTORS_PROJECTOR_IMPL_H

#include "io/gguf.h"
#include "models/common/nn.h"
#include "models/projectors/projector.h"

/* One Blip2QFormerLayer (query path only). H = hidden, F = feed-forward width, Din = input width. */
typedef struct a2a_qformer_layer {
    a2a_nn_mha self_attn;          /* q/k/v.w [H, H], b [H]; out = attention.output.dense [H, H] */
    const a2a_tensor *self_ln_w;   /* [H] attention.output.LayerNorm */
    const a2a_tensor *self_ln_b;   /* [H] */
    bool has_cross;                /* layer index % cross_attention_frequency == 0 */
    a2a_nn_mha cross_attn;         /* q.w [H, H]; k.w/v.w [Din, H]; out [H, H] (has_cross only) */
    const a2a_tensor *cross_ln_w;  /* [H] crossattention.output.LayerNorm */
    const a2a_tensor *cross_ln_b;  /* [H] */
    a2a_nn_mlp ffn;                /* intermediate_query.dense [H, F] -> act -> output_query.dense [F, H] */
    const a2a_tensor *ffn_ln_w;    /* [H] output_query.LayerNorm */
    const a2a_tensor *ffn_ln_b;    /* [H] */
} a2a_qformer_layer;

struct a2a_projector {
    a2a_gguf *g;                 /* owned mapping; every tensor below points into it */
    a2a_projector_type type;
    int64_t in_dim, out_dim;     /* input token width, output soft-token width */

    /* linear */
    a2a_nn_linear linear;        /* llama_proj: w [in, out], b [out] */

    /* mlp2x_gelu */
    a2a_nn_mlp mlp;              /* mm_projector.0 [in, out] -> GELU -> mm_projector.2 [out, out] */

    /* qformer */
    int64_t hidden;              /* H */
    int64_t n_ff;                /* F */
    int64_t n_query;             /* learned query tokens */
    int n_layer, n_head, cross_freq;
    float eps;                   /* LayerNorm epsilon */
    a2a_nn_act act;              /* feed-forward activation */
    const a2a_tensor *query_tokens;  /* [H, n_query] F32 */
    const a2a_tensor *ln_w, *ln_b;   /* [H] qformer.layernorm (applied to the query tokens) */
    a2a_qformer_layer *layers;       /* n_layer, owned */
    a2a_nn_linear lang_proj;         /* language_projection: w [H, out], b [out] */
};

/* Read a required u32 key "projector.<suffix>" into *out, checking 1 <= value <= max. */
a2a_status a2a_projector_meta_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *suffix, int64_t max, int64_t *out);

/* Look up a tensor with the given ggml shape (ne1 = 0 for a 1-D tensor) and check its type:
   matrix tensors must be computable by matmul; vectors F32 or F16 (F32 only when f32_only).
   Returns NULL with the status in *st (message in ctx). */
const a2a_tensor *a2a_projector_tensor(a2a_ctx *ctx, const a2a_gguf *g, const char *name, int64_t ne0, int64_t ne1,
                                       bool f32_only, a2a_status *st);

/* Family loaders: fill p from p->g (type already set); forward functions as a2a_projector_forward
   with validated arguments. */
a2a_status a2a_projector_load_linear_mlp(a2a_ctx *ctx, a2a_projector *p);
a2a_status a2a_projector_forward_linear_mlp(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                            int64_t n, float *out);
a2a_status a2a_projector_load_qformer(a2a_ctx *ctx, a2a_projector *p);
a2a_status a2a_projector_forward_qformer(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                         int64_t n, float *out);

#endif
