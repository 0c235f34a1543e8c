/* diffusers UNet2DConditionModel: loader and forward. See unet2d.h (the converter is in
   unet2d_convert.c). */
#include "models/diffusion/unet2d.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "io/gguf.h"
#include "io/gguf_meta.h"
#include "kernels/conv.h"
#include "kernels/ops.h"
#include "models/common/nn.h"
#include "models/common/resnet2d.h"
#include "models/diffusion/transformer2d.h"
#include "models/diffusion/unet_common.h"
#include "models/diffusion/unet2d_impl.h"

#define U_ARCH "unet2d"
#define U_MAX_CH 65536

/* One down or up block. */
typedef struct unet_level {
    int n_res;
    a2a_resnet2d res[A2A_UNET2D_MAX_LAYERS + 1];
    a2a_transformer2d *attn;     /* n_res transformers (calloc'd) or NULL (DownBlock2D/UpBlock2D) */
    const a2a_tensor *samp_w;    /* down: [3, 3, C, C] stride-2 conv; up: [3, 3, C, C] after x2; NULL in the last */
    const a2a_tensor *samp_b;    /* [C] */
} unet_level;

struct a2a_unet2d {
    a2a_unet2d_config cfg;
    a2a_gguf *own;                               /* the file when a2a_unet2d_load opened it */
    int64_t temb_ch;                             /* width of the emb the resnets take */
    const a2a_tensor *conv_in_w, *conv_in_b;     /* [3, 3, C_in, C0], [C0] */
    a2a_nn_linear time1;                         /* time_embedding.linear_1 [C0, ted] */
    a2a_nn_linear time2;                         /* time_embedding.linear_2 [ted, ted] */
    a2a_nn_linear cls;                           /* class_embedding [D_cls, ted] (w NULL when none) */
    unet_level down[A2A_UNET2D_MAX_BLOCKS];
    a2a_resnet2d mid_res[2];
    a2a_transformer2d *mid_attn;                 /* one transformer (calloc'd) */
    unet_level up[A2A_UNET2D_MAX_BLOCKS];
    const a2a_tensor *norm_out_w, *norm_out_b;   /* conv_norm_out [C0] F32 */
    const a2a_tensor *conv_out_w, *conv_out_b;   /* [3, 3, C0, C_out], [C_out] */
    /* activation plan */
    a2a_arena arena;
    int64_t plan[5];                             /* W, H, N, L, has_context of the last planned shape */
    bool planned;
};

/* ======================================================================== config */

a2a_status a2a_unet2d_check_config(a2a_ctx *ctx, const a2a_unet2d_config *c) {
    if (c->n_blocks < 1 || c->n_blocks > A2A_UNET2D_MAX_BLOCKS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: %d blocks (1..%d supported)", c->n_blocks, A2A_UNET2D_MAX_BLOCKS);
    if (c->layers_per_block < 1 || c->layers_per_block > A2A_UNET2D_MAX_LAYERS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: layers_per_block %d (1..%d supported)", c->layers_per_block,
                        A2A_UNET2D_MAX_LAYERS);
    if (c->in_channels < 1 || c->in_channels > U_MAX_CH || c->out_channels < 1 || c->out_channels > U_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: bad channel counts in %d, out %d", c->in_channels,
                        c->out_channels);
    if (c->norm_num_groups < 1 || !(c->norm_eps > 0.0f))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: norm_num_groups %d, norm_eps %g", c->norm_num_groups,
                        (double)c->norm_eps);
    if (c->time_embed_dim < 1 || c->time_embed_dim > U_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: time_embed_dim %d", c->time_embed_dim);
    if (c->class_embed_type == A2A_UNET2D_CLASS_SIMPLE_PROJECTION && (c->class_input_dim < 1 || c->class_input_dim > U_MAX_CH))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: projection_class_embeddings_input_dim %d", c->class_input_dim);
    for (int i = 0; i < c->n_blocks; i++) {
        const int ch = c->block_out_channels[i];
        if (ch < 1 || ch > U_MAX_CH) return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: block_out_channels[%d] = %d", i, ch);
        if (ch % c->norm_num_groups)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet2d: norm_num_groups %d does not divide block_out_channels[%d] = %d",
                            c->norm_num_groups, i, ch);
        if (c->heads[i] < 1 || ch % c->heads[i])
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet2d: %d attention heads do not divide block_out_channels[%d] = %d",
                            c->heads[i], i, ch);
        if (c->cross_attention_dim[i] < 1 || c->cross_attention_dim[i] > U_MAX_CH)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: cross_attention_dim[%d] = %d", i, c->cross_attention_dim[i]);
        if (c->transformer_layers[i] < 1 || c->transformer_layers[i] > A2A_T2D_MAX_LAYERS)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "unet2d: transformer_layers_per_block[%d] = %d (1..%d)", i,
                            c->transformer_layers[i], A2A_T2D_MAX_LAYERS);
    }
    return A2A_OK;
}

static a2a_status load_config(a2a_ctx *ctx, const a2a_gguf *g, a2a_unet2d_config *c) {
    memset(c, 0, sizeof *c);
    const a2a_meta m = {ctx, g, U_ARCH, "unet2d"};
    a2a_status st = a2a_meta_ints(&m, "block_out_channels", -1, A2A_UNET2D_MAX_BLOCKS, c->block_out_channels,
                                  &c->n_blocks);
    if (st != A2A_OK) return st;
    const int nb = c->n_blocks;
    float fs = 0.0f;
    if ((st = a2a_meta_u32(&m, "in_channels", true, 4, 1, U_MAX_CH, &c->in_channels)) ||
        (st = a2a_meta_u32(&m, "out_channels", true, 4, 1, U_MAX_CH, &c->out_channels)) ||
        (st = a2a_meta_u32(&m, "layers_per_block", true, 2, 1, A2A_UNET2D_MAX_LAYERS, &c->layers_per_block)) ||
        (st = a2a_meta_u32(&m, "norm_num_groups", true, 32, 1, U_MAX_CH, &c->norm_num_groups)) ||
        (st = a2a_meta_u32(&m, "time_embed_dim", true, 0, 1, U_MAX_CH, &c->time_embed_dim)) ||
        (st = a2a_meta_u32(&m, "sample_size", false, 0, 0, 1 << 20, &c->sample_size)) ||
        (st = a2a_meta_u32(&m, "projection_class_embeddings_input_dim", false, 0, 0, U_MAX_CH, &c->class_input_dim)) ||
        (st = a2a_meta_f32(&m, "norm_eps", 1e-5f, &c->norm_eps)) || (st = a2a_meta_f32(&m, "freq_shift", 0.0f, &fs)) ||
        (st = a2a_meta_ints(&m, "attention_heads", nb, A2A_UNET2D_MAX_BLOCKS, c->heads, NULL)) ||
        (st = a2a_meta_ints(&m, "cross_attention_dim", nb, A2A_UNET2D_MAX_BLOCKS, c->cross_attention_dim, NULL)) ||
        (st = a2a_meta_ints(&m, "transformer_layers_per_block", nb, A2A_UNET2D_MAX_BLOCKS, c->transformer_layers,
                            NULL)) ||
        (st = a2a_meta_types(&m, "down_block_types", nb, "CrossAttnDownBlock2D", "DownBlock2D", c->down_cross)) ||
        (st = a2a_meta_types(&m, "up_block_types", nb, "CrossAttnUpBlock2D", "UpBlock2D", c->up_cross)) ||
        (st = a2a_meta_bool(&m, "use_linear_projection", false, &c->use_linear_projection)) ||
        (st = a2a_meta_bool(&m, "flip_sin_to_cos", true, &c->flip_sin_to_cos)) ||
        (st = a2a_meta_bool(&m, "class_embeddings_concat", false, &c->class_embeddings_concat)) ||
        (st = a2a_meta_bool(&m, "center_input_sample", false, &c->center_input_sample)))
        return st;
    c->freq_shift = fs;
    const char *ce;
    size_t cl;
    st = a2a_gguf_get_str(ctx, g, U_ARCH ".class_embed_type", &ce, &cl);
    if (st == A2A_ERR_NOT_FOUND || (st == A2A_OK && cl == 0)) {
        c->class_embed_type = A2A_UNET2D_CLASS_NONE;
    } else if (st != A2A_OK) {
        return st;
    } else if (cl == strlen("simple_projection") && memcmp(ce, "simple_projection", cl) == 0) {
        c->class_embed_type = A2A_UNET2D_CLASS_SIMPLE_PROJECTION;
    } else {
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet2d: class_embed_type '%.*s' (only simple_projection)",
                        (int)(cl > 64 ? 64 : cl), ce);
    }
    return a2a_unet2d_check_config(ctx, c);
}

/* ======================================================================== loading */

typedef a2a_unet_loader loader; /* a2a_unet_ld (unet_common.h) reads its tensors */

static void ld_resnet(loader *l, a2a_resnet2d *r, int64_t cin, int64_t cout, int groups, float eps, int64_t temb,
                      const char *part, int i, int j) {
    if (l->st != A2A_OK) return;
    char pre[512];
    if (j >= 0) snprintf(pre, sizeof pre, "%s%s.%d.resnets.%d", l->prefix, part, i, j);
    else snprintf(pre, sizeof pre, "%s%s.resnets.%d", l->prefix, part, i);
    l->st = a2a_resnet2d_load(l->ctx, l->g, pre, cin, cout, groups, eps, temb, r);
}

static void ld_attn(loader *l, a2a_transformer2d *t, int64_t C, int heads, int64_t ctx_dim, int layers, int groups,
                    const char *part, int i, int j) {
    if (l->st != A2A_OK) return;
    char pre[512];
    if (j >= 0) snprintf(pre, sizeof pre, "%s%s.%d.attentions.%d", l->prefix, part, i, j);
    else snprintf(pre, sizeof pre, "%s%s.attentions.%d", l->prefix, part, i);
    l->st = a2a_transformer2d_load(l->ctx, l->g, pre, C, heads, ctx_dim, layers, groups, t);
}

a2a_status a2a_unet2d_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_unet2d **out) {
    *out = NULL;
    a2a_unet2d *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "unet2d: out of memory");
    a2a_status st = load_config(ctx, g, &m->cfg);
    if (st != A2A_OK) {
        free(m);
        return st;
    }
    const a2a_unet2d_config *c = &m->cfg;
    loader l = {ctx, g, prefix ? prefix : "", A2A_OK};
    const int nb = c->n_blocks, G = c->norm_num_groups, lpb = c->layers_per_block;
    const float eps = c->norm_eps;
    const int64_t C0 = c->block_out_channels[0], ted = c->time_embed_dim;
    m->temb_ch = c->class_embed_type != A2A_UNET2D_CLASS_NONE && c->class_embeddings_concat ? 2 * ted : ted;

    m->conv_in_w = a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, c->in_channels, C0}, "conv_in.weight");
    m->conv_in_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){C0}, "conv_in.bias");
    m->time1.w = a2a_unet_ld(&l, 2, 2, (int64_t[2]){C0, ted}, "time_embedding.linear_1.weight");
    m->time1.b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){ted}, "time_embedding.linear_1.bias");
    m->time2.w = a2a_unet_ld(&l, 2, 2, (int64_t[2]){ted, ted}, "time_embedding.linear_2.weight");
    m->time2.b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){ted}, "time_embedding.linear_2.bias");
    if (c->class_embed_type == A2A_UNET2D_CLASS_SIMPLE_PROJECTION) {
        m->cls.w = a2a_unet_ld(&l, 2, 2, (int64_t[2]){c->class_input_dim, ted}, "class_embedding.weight");
        m->cls.b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){ted}, "class_embedding.bias");
    }
    int64_t prev = C0;
    for (int i = 0; i < nb && l.st == A2A_OK; i++) {
        unet_level *d = &m->down[i];
        const int64_t co = c->block_out_channels[i];
        d->n_res = lpb;
        for (int j = 0; j < lpb; j++)
            ld_resnet(&l, &d->res[j], j == 0 ? prev : co, co, G, eps, m->temb_ch, "down_blocks", i, j);
        if (c->down_cross[i] && l.st == A2A_OK) {
            if (!(d->attn = calloc((size_t)lpb, sizeof *d->attn))) l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet2d: out of memory");
            for (int j = 0; j < lpb; j++)
                ld_attn(&l, &d->attn[j], co, c->heads[i], c->cross_attention_dim[i], c->transformer_layers[i], G,
                        "down_blocks", i, j);
        }
        if (i < nb - 1) {
            d->samp_w =
                a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, co, co}, "down_blocks.%d.downsamplers.0.conv.weight", i);
            d->samp_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){co}, "down_blocks.%d.downsamplers.0.conv.bias", i);
        }
        prev = co;
    }
    const int64_t CL = c->block_out_channels[nb - 1];
    ld_resnet(&l, &m->mid_res[0], CL, CL, G, eps, m->temb_ch, "mid_block", 0, -1);
    ld_resnet(&l, &m->mid_res[1], CL, CL, G, eps, m->temb_ch, "mid_block", 1, -1);
    if (l.st == A2A_OK && !(m->mid_attn = calloc(1, sizeof *m->mid_attn)))
        l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet2d: out of memory");
    ld_attn(&l, m->mid_attn, CL, c->heads[nb - 1], c->cross_attention_dim[nb - 1], c->transformer_layers[nb - 1], G,
            "mid_block", 0, -1);
    prev = CL;
    for (int i = 0; i < nb && l.st == A2A_OK; i++) {
        unet_level *u = &m->up[i];
        const int r = nb - 1 - i; /* the matching down block */
        const int64_t co = c->block_out_channels[r];
        const int64_t cin = c->block_out_channels[r > 0 ? r - 1 : 0];
        u->n_res = lpb + 1;
        for (int j = 0; j < u->n_res; j++) {
            const int64_t skip = j == u->n_res - 1 ? cin : co, rin = j == 0 ? prev : co;
            ld_resnet(&l, &u->res[j], rin + skip, co, G, eps, m->temb_ch, "up_blocks", i, j);
        }
        if (c->up_cross[i] && l.st == A2A_OK) {
            if (!(u->attn = calloc((size_t)u->n_res, sizeof *u->attn)))
                l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet2d: out of memory");
            for (int j = 0; j < u->n_res; j++)
                ld_attn(&l, &u->attn[j], co, c->heads[r], c->cross_attention_dim[r], c->transformer_layers[r], G,
                        "up_blocks", i, j);
        }
        if (i < nb - 1) {
            u->samp_w = a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, co, co}, "up_blocks.%d.upsamplers.0.conv.weight", i);
            u->samp_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){co}, "up_blocks.%d.upsamplers.0.conv.bias", i);
        }
        prev = co;
    }
    m->norm_out_w = a2a_unet_ld(&l, 0, 1, (int64_t[1]){C0}, "conv_norm_out.weight");
    m->norm_out_b = a2a_unet_ld(&l, 0, 1, (int64_t[1]){C0}, "conv_norm_out.bias");
    m->conv_out_w = a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, C0, c->out_channels}, "conv_out.weight");
    m->conv_out_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){c->out_channels}, "conv_out.bias");
    if (l.st != A2A_OK) {
        a2a_error_prefix(ctx, "unet2d");
        a2a_unet2d_free(m);
        return l.st;
    }
    *out = m;
    return A2A_OK;
}

a2a_status a2a_unet2d_load(a2a_ctx *ctx, const char *path, a2a_unet2d **out) {
    *out = NULL;
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st != A2A_OK) return st;
    st = a2a_unet2d_load_gguf(ctx, g, "", out);
    if (st != A2A_OK) {
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_unet2d_free(a2a_unet2d *u) {
    if (!u) return;
    for (int i = 0; i < A2A_UNET2D_MAX_BLOCKS; i++) {
        free(u->down[i].attn);
        free(u->up[i].attn);
    }
    free(u->mid_attn);
    a2a_arena_free(&u->arena);
    a2a_gguf_close(u->own);
    free(u);
}

const a2a_unet2d_config *a2a_unet2d_get_config(const a2a_unet2d *u) { return &u->cfg; }
int a2a_unet2d_side_multiple(const a2a_unet2d *u) { return 1 << (u->cfg.n_blocks - 1); }

int a2a_unet2d_context_dim(const a2a_unet2d *u) {
    for (int i = 0; i < u->cfg.n_blocks; i++)
        if (u->cfg.down_cross[i]) return u->cfg.cross_attention_dim[i];
    return u->cfg.cross_attention_dim[u->cfg.n_blocks - 1]; /* the mid block always attends */
}

/* ======================================================================== forward */

/* A run: the arena is a stack. The embeddings and the skip states of the down path are
   allocated and kept; from the mid block on, the current activation `cur` lives at offset
   `base` and each step allocates its output above it (temporaries above that), then `settle`
   moves the output down to base. With a measuring arena (dry) only the allocations happen,
   which sizes the real arena exactly. */
typedef struct urun {
    a2a_ctx *ctx;
    a2a_threadpool *tp;
    a2a_arena *a;
    bool dry;
    size_t base;
    a2a_tensor cur;
    const a2a_tensor *emb;     /* [temb_ch, N] */
    const a2a_tensor *context; /* [D, L, N] or NULL */
} urun;

static a2a_status new4(urun *r, a2a_tensor *t, int64_t W, int64_t H, int64_t C, int64_t N) {
    const int64_t ne[4] = {W, H, C, N};
    if (!a2a_arena_tensor(r->a, t, A2A_TYPE_F32, 4, ne))
        return a2a_fail(r->ctx, A2A_ERR_NOMEM, "unet2d: activation arena too small (%zu of %zu bytes used)",
                        r->a->used, r->a->cap);
    t->n_dims = 4;
    return A2A_OK;
}

static void settle(urun *r, a2a_tensor *out) {
    a2a_unet_settle(r->a, r->base, r->dry, out);
    r->cur = *out;
}

static a2a_status conv(urun *r, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b,
                       int stride) {
    return a2a_unet_conv3x3(r->ctx, r->tp, r->dry, dst, x, w, b, stride);
}

static a2a_status attn(urun *r, const a2a_transformer2d *t, a2a_tensor *x) {
    return a2a_transformer2d_fwd(r->ctx, r->tp, r->a, t, x, r->context);
}

/* Time (and class) embedding into emb [temb_ch, N]; temporaries above it. */
static a2a_status embed(urun *r, const a2a_unet2d *u, const float *timesteps, const a2a_tensor *class_labels,
                        int64_t N, a2a_tensor *emb) {
    const a2a_unet2d_config *c = &u->cfg;
    const int64_t C0 = c->block_out_channels[0], ted = c->time_embed_dim;
    const int64_t ne_e[2] = {u->temb_ch, N};
    if (!a2a_arena_tensor(r->a, emb, A2A_TYPE_F32, 2, ne_e))
        return a2a_fail(r->ctx, A2A_ERR_NOMEM, "unet2d: activation arena too small");
    emb->n_dims = 2;
    const size_t mark = a2a_arena_mark(r->a);
    a2a_tensor t0, t1, t2, ce;
    const int64_t ne0[2] = {C0, N}, ne1[2] = {ted, N};
    a2a_status st = A2A_OK;
    if (!a2a_arena_tensor(r->a, &t0, A2A_TYPE_F32, 2, ne0) || !a2a_arena_tensor(r->a, &t1, A2A_TYPE_F32, 2, ne1) ||
        !a2a_arena_tensor(r->a, &t2, A2A_TYPE_F32, 2, ne1) || !a2a_arena_tensor(r->a, &ce, A2A_TYPE_F32, 2, ne1)) {
        st = a2a_fail(r->ctx, A2A_ERR_NOMEM, "unet2d: activation arena too small");
        goto done;
    }
    if (r->dry) goto done;
    if ((st = a2a_unet_time_embed(r->ctx, r->tp, &u->time1, &u->time2, timesteps, c->freq_shift, c->flip_sin_to_cos,
                                  &t0, &t1, &t2)))
        goto done;
    if (u->cls.w) {
        if ((st = a2a_nn_linear_fwd(r->ctx, r->tp, &ce, &u->cls, class_labels))) goto done;
        if (c->class_embeddings_concat) st = a2a_op_concat(r->ctx, r->tp, emb, &t2, &ce, 0);
        else st = a2a_op_add(r->ctx, r->tp, emb, &t2, &ce);
    } else {
        st = a2a_op_copy(r->ctx, r->tp, emb, &t2);
    }
done:
    a2a_arena_rewind(r->a, mark);
    return st;
}

#define U_MAX_SKIPS (1 + A2A_UNET2D_MAX_BLOCKS * (A2A_UNET2D_MAX_LAYERS + 1))

/* The whole UNet: x -> out (out outside the arena). */
static a2a_status walk(urun *r, const a2a_unet2d *u, const a2a_tensor *x, const float *timesteps,
                       const a2a_tensor *class_labels, a2a_tensor *out) {
    const a2a_unet2d_config *c = &u->cfg;
    const int nb = c->n_blocks;
    const int64_t N = x->ne[3];
    a2a_tensor emb, xin = *x, skips[U_MAX_SKIPS];
    int ns = 0;
    xin.n_dims = 4;
    a2a_status st = embed(r, u, timesteps, class_labels, N, &emb);
    if (st != A2A_OK) return st;
    r->emb = &emb;
    if (c->center_input_sample) {
        if ((st = new4(r, &xin, x->ne[0], x->ne[1], x->ne[2], N))) return st;
        if (!r->dry) {
            a2a_tensor xv = *x;
            xv.n_dims = 4;
            if ((st = a2a_op_copy(r->ctx, r->tp, &xin, &xv)) ||
                (st = a2a_op_scale(r->ctx, r->tp, &xin, &xin, 2.0f, -1.0f)))
                return st;
        }
    }
    int64_t W = x->ne[0], H = x->ne[1];
    a2a_tensor h;
    if ((st = new4(r, &h, W, H, c->block_out_channels[0], N))) return st;
    if ((st = conv(r, &h, &xin, u->conv_in_w, u->conv_in_b, 1))) return st;
    skips[ns++] = h;
    /* down path: every output is a skip state, kept */
    for (int i = 0; i < nb; i++) {
        const unet_level *d = &u->down[i];
        for (int j = 0; j < d->n_res; j++) {
            a2a_tensor o;
            if ((st = new4(r, &o, W, H, d->res[j].c_out, N))) return st;
            if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &d->res[j], &skips[ns - 1], &emb))) return st;
            if (d->attn && (st = attn(r, &d->attn[j], &o))) return st;
            skips[ns++] = o;
        }
        if (d->samp_w) { /* 3x3 stride 2 pad 1: s -> ceil(s / 2) */
            a2a_tensor o;
            const int64_t W2 = a2a_conv_out_size(W, 3, 2, 1, 1), H2 = a2a_conv_out_size(H, 3, 2, 1, 1);
            if ((st = new4(r, &o, W2, H2, d->samp_w->ne[3], N))) return st;
            if ((st = conv(r, &o, &skips[ns - 1], d->samp_w, d->samp_b, 2))) return st;
            W = W2;
            H = H2;
            skips[ns++] = o;
        }
    }
    /* mid block */
    r->base = a2a_arena_mark(r->a);
    r->cur = skips[ns - 1];
    for (int k = 0; k < 2; k++) {
        a2a_tensor o;
        if ((st = new4(r, &o, W, H, u->mid_res[k].c_out, N))) return st;
        if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &u->mid_res[k], &r->cur, &emb))) return st;
        settle(r, &o);
        if (k == 0 && (st = attn(r, u->mid_attn, &r->cur))) return st;
    }
    /* up path */
    for (int i = 0; i < nb; i++) {
        const unet_level *up = &u->up[i];
        for (int j = 0; j < up->n_res; j++) {
            const a2a_tensor *sk = &skips[--ns];
            a2a_tensor cat, o;
            if ((st = new4(r, &cat, W, H, r->cur.ne[2] + sk->ne[2], N))) return st;
            if ((st = new4(r, &o, W, H, up->res[j].c_out, N))) return st;
            if (!r->dry && (st = a2a_op_concat(r->ctx, r->tp, &cat, &r->cur, sk, 2))) return st;
            if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &up->res[j], &cat, &emb))) return st;
            settle(r, &o);
            if (up->attn && (st = attn(r, &up->attn[j], &r->cur))) return st;
        }
        if (up->samp_w) {
            /* nearest x2, or to the next skip's size when the sides did not halve evenly
               (diffusers' forward_upsample_size: F.interpolate(size=...)) */
            const int64_t W2 = skips[ns - 1].ne[0], H2 = skips[ns - 1].ne[1];
            a2a_tensor x2, o;
            if ((st = new4(r, &x2, W2, H2, r->cur.ne[2], N))) return st;
            if ((st = new4(r, &o, W2, H2, up->samp_w->ne[3], N))) return st;
            if (!r->dry) {
                if (W2 == 2 * W && H2 == 2 * H) st = a2a_op_upsample_nearest2d(r->ctx, r->tp, &x2, &r->cur, 2, 2);
                else a2a_unet_upsample_to(&x2, &r->cur);
                if (st != A2A_OK) return st;
            }
            if ((st = conv(r, &o, &x2, up->samp_w, up->samp_b, 1))) return st;
            W = W2;
            H = H2;
            settle(r, &o);
        }
    }
    /* out: GroupNorm + SiLU + conv_out */
    a2a_tensor t;
    if ((st = new4(r, &t, W, H, r->cur.ne[2], N))) return st;
    if (r->dry) return A2A_OK;
    if ((st = a2a_op_group_norm(r->ctx, r->tp, &t, &r->cur, c->norm_num_groups, u->norm_out_w, u->norm_out_b,
                                c->norm_eps)))
        return st;
    if ((st = a2a_op_silu(r->ctx, r->tp, &t, &t))) return st;
    a2a_tensor ov = *out;
    ov.n_dims = 4;
    return conv(r, &ov, &t, u->conv_out_w, u->conv_out_b, 1);
}

/* Validate the inputs' shapes against the model (also used by the byte planner). */
static a2a_status check_inputs(a2a_ctx *ctx, const a2a_unet2d *u, int64_t W, int64_t H, int64_t N,
                               const a2a_tensor *context, const a2a_tensor *class_labels) {
    const a2a_unet2d_config *c = &u->cfg;
    if (W < 1 || H < 1 || N < 1 || W > A2A_UNET2D_MAX_SIDE || H > A2A_UNET2D_MAX_SIDE || N > A2A_UNET2D_MAX_BATCH)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet2d: latent %lld x %lld x batch %lld out of range", (long long)W,
                        (long long)H, (long long)N);
    if (context) {
        if (context->type != A2A_TYPE_F32 || context->ne[1] < 1 || context->ne[1] > A2A_UNET2D_MAX_CTX ||
            context->ne[2] != N || context->ne[3] != 1 || context->ne[4] != 1 || !a2a_tensor_rows_contiguous(context)) {
            char s[96];
            return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: context %s must be F32 [D, L <= %d, %lld] rows contiguous",
                            a2a_tensor_shape_str(context, s, sizeof s), A2A_UNET2D_MAX_CTX, (long long)N);
        }
    }
    /* every transformer must accept the context (or, without one, attend over itself) */
    for (int i = 0; i < c->n_blocks; i++) {
        const bool used = c->down_cross[i] || c->up_cross[c->n_blocks - 1 - i] || i == c->n_blocks - 1;
        if (!used) continue;
        const int64_t want = c->cross_attention_dim[i];
        if (context && context->ne[0] != want)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: context width %lld, the model's cross-attention expects %lld",
                            (long long)context->ne[0], (long long)want);
        if (!context && want != c->block_out_channels[i])
            return a2a_fail(ctx, A2A_ERR_SHAPE,
                            "unet2d: no context given, but block %d's cross-attention needs %lld-wide context", i,
                            (long long)want);
    }
    if (c->class_embed_type != A2A_UNET2D_CLASS_NONE) {
        if (!class_labels || class_labels->type != A2A_TYPE_F32 || class_labels->ne[0] != c->class_input_dim ||
            class_labels->ne[1] != N || a2a_tensor_nelements(class_labels) != c->class_input_dim * N ||
            !a2a_tensor_rows_contiguous(class_labels))
            return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: class labels F32 [%d, %lld] required", c->class_input_dim,
                            (long long)N);
    } else if (class_labels) {
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: class labels given to a model without class embedding");
    }
    return A2A_OK;
}

/* Make sure the arena fits shape (W, H, N, L, ctx); dry-runs when the shape is new. */
static a2a_status plan(a2a_ctx *ctx, a2a_unet2d *u, const a2a_tensor *x, const a2a_tensor *context,
                       const a2a_tensor *class_labels, size_t *bytes_out) {
    const int64_t key[5] = {x->ne[0], x->ne[1], x->ne[3], context ? context->ne[1] : 0, context != NULL};
    if (!bytes_out && u->planned && memcmp(key, u->plan, sizeof key) == 0) return A2A_OK;
    a2a_arena meas;
    a2a_arena_init_measure(&meas);
    float ts[A2A_UNET2D_MAX_BATCH] = {0};
    a2a_tensor o;
    const int64_t ne[4] = {x->ne[0], x->ne[1], u->cfg.out_channels, x->ne[3]};
    a2a_tensor_init(&o, A2A_TYPE_F32, 4, ne, NULL);
    urun r = {ctx, NULL, &meas, true, 0, {0}, NULL, context};
    a2a_status st = walk(&r, u, x, ts, class_labels, &o);
    if (st != A2A_OK) return st;
    if (bytes_out) {
        *bytes_out = meas.peak;
        return A2A_OK;
    }
    if (meas.peak > u->arena.cap) {
        a2a_arena_free(&u->arena);
        memset(&u->arena, 0, sizeof u->arena);
        u->planned = false;
        if ((st = a2a_arena_init(ctx, &u->arena, meas.peak)) != A2A_OK) {
            memset(&u->arena, 0, sizeof u->arena);
            a2a_error_prefix(ctx, "unet2d: activations need %zu bytes", meas.peak);
            return st;
        }
    }
    memcpy(u->plan, key, sizeof key);
    u->planned = true;
    return A2A_OK;
}

size_t a2a_unet2d_activation_bytes(a2a_unet2d *u, int64_t W, int64_t H, int64_t N, int64_t L) {
    a2a_tensor x, c, cl;
    const int64_t ne[4] = {W, H, u->cfg.in_channels, N}, nc[3] = {a2a_unet2d_context_dim(u), L, N},
                  ncl[2] = {u->cfg.class_input_dim, N};
    if (!a2a_tensor_init(&x, A2A_TYPE_F32, 4, ne, NULL)) return 0;
    if (L > 0 && !a2a_tensor_init(&c, A2A_TYPE_F32, 3, nc, NULL)) return 0;
    const bool has_cls = u->cfg.class_embed_type != A2A_UNET2D_CLASS_NONE;
    if (has_cls && !a2a_tensor_init(&cl, A2A_TYPE_F32, 2, ncl, NULL)) return 0;
    if (check_inputs(NULL, u, W, H, N, L > 0 ? &c : NULL, has_cls ? &cl : NULL) != A2A_OK) return 0;
    size_t bytes = 0;
    if (plan(NULL, u, &x, L > 0 ? &c : NULL, has_cls ? &cl : NULL, &bytes) != A2A_OK) return 0;
    return bytes;
}

a2a_status a2a_unet2d_forward(a2a_ctx *ctx, a2a_threadpool *tp, a2a_unet2d *u, const a2a_tensor *x,
                              const float *timesteps, const a2a_tensor *context, const a2a_tensor *class_labels,
                              a2a_tensor *out) {
    if (!u || !x || !timesteps || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet2d: NULL argument");
    const a2a_unet2d_config *c = &u->cfg;
    const int64_t W = x->ne[0], H = x->ne[1], N = x->n_dims >= 4 ? x->ne[3] : 1;
    char s1[96], s2[96];
    if (x->type != A2A_TYPE_F32 || x->ne[2] != c->in_channels || x->ne[4] != 1 || (x->n_dims < 4 && x->ne[3] != 1))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: latents %s must be F32 [W, H, %d, N]",
                        a2a_tensor_shape_str(x, s1, sizeof s1), c->in_channels);
    if (out->type != A2A_TYPE_F32 || out->ne[0] != W || out->ne[1] != H || out->ne[2] != c->out_channels ||
        (out->n_dims >= 4 ? out->ne[3] : 1) != N || out->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet2d: output %s does not match latents %s with %d channels",
                        a2a_tensor_shape_str(out, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2),
                        c->out_channels);
    a2a_status st = check_inputs(ctx, u, W, H, N, context, class_labels);
    if (st != A2A_OK) return st;
    for (int64_t n = 0; n < N; n++)
        if (!isfinite(timesteps[n]))
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet2d: timestep %lld is not finite", (long long)n);
    a2a_tensor xv = *x;
    xv.n_dims = 4;
    if ((st = plan(ctx, u, &xv, context, class_labels, NULL)) != A2A_OK) return st;
    a2a_arena_reset(&u->arena);
    urun r = {ctx, tp, &u->arena, false, 0, {0}, NULL, context};
    st = walk(&r, u, &xv, timesteps, class_labels, out);
    a2a_arena_reset(&u->arena);
    return st;
}
