/* diffusers UNet3DConditionModel: loader, forward and converter. See unet3d.h.
   The run scaffolding (stack arena with `settle`, timestep embedding, nearest resize to a skip
   size) is shared with unet2d.c through unet_common.h. */
#include "models/diffusion/unet3d.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/hf_folder.h"
#include "io/gguf_meta.h"
#include "io/json.h"
#include "io/weights.h"
#include "kernels/conv.h"
#include "kernels/ops.h"
#include "models/common/nn.h"
#include "models/common/resnet2d.h"
#include "models/diffusion/temporal.h"
#include "models/diffusion/transformer2d.h"
#include "models/diffusion/unet_common.h"

#define U_ARCH "unet3d"
#define U_MAX_CH 65536

/* One resnet layer of a block with what follows it. */
typedef struct u3_layer {
    a2a_resnet2d res;
    a2a_temporal_conv tconv;
    a2a_transformer2d attn;          /* used when the block has cross-attention */
    a2a_transformer_temporal tattn;  /* idem */
} u3_layer;

/* One down or up block. */
typedef struct u3_level {
    int n_res;
    bool cross;
    u3_layer *layers;            /* n_res (calloc'd) */
    const a2a_tensor *samp_w;    /* down: [3, 3, C, C] stride-2 conv; up: [3, 3, C, C] after x2; NULL in the last */
    const a2a_tensor *samp_b;    /* [C] */
} u3_level;

struct a2a_unet3d {
    a2a_unet3d_config cfg;
    a2a_gguf *own;                               /* the file when a2a_unet3d_load opened it */
    const a2a_tensor *conv_in_w, *conv_in_b;     /* [3, 3, C_in, C0], [C0] */
    a2a_nn_linear time1;                         /* time_embedding.linear_1 [C0, ted] */
    a2a_nn_linear time2;                         /* time_embedding.linear_2 [ted, ted] */
    a2a_transformer_temporal *tin;               /* transformer_in (calloc'd) */
    u3_level down[A2A_UNET3D_MAX_BLOCKS];
    u3_layer *mid;                               /* mid_block: [0] resnet0 + tconv0, [1] attn/tattn + resnet1 + tconv1 */
    u3_level up[A2A_UNET3D_MAX_BLOCKS];
    const a2a_tensor *norm_out_w, *norm_out_b;   /* conv_norm_out [C0] F32 */
    const a2a_tensor *conv_out_w, *conv_out_b;   /* [3, 3, C0, C_out], [C_out] */
    /* activation plan */
    a2a_arena arena;
    int64_t plan[5];                             /* W, H, F, N, L of the last planned shape */
    bool planned;
};

/* ======================================================================== config */

/* Consistency of a configuration (from metadata or config.json). */
static a2a_status check_config(a2a_ctx *ctx, const a2a_unet3d_config *c) {
    if (c->n_blocks < 1 || c->n_blocks > A2A_UNET3D_MAX_BLOCKS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: %d blocks (1..%d supported)", c->n_blocks, A2A_UNET3D_MAX_BLOCKS);
    if (c->layers_per_block < 1 || c->layers_per_block > A2A_UNET3D_MAX_LAYERS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: layers_per_block %d (1..%d supported)", c->layers_per_block,
                        A2A_UNET3D_MAX_LAYERS);
    if (c->in_channels < 1 || c->in_channels > U_MAX_CH || c->out_channels < 1 || c->out_channels > U_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: bad channel counts in %d, out %d", c->in_channels,
                        c->out_channels);
    if (c->norm_num_groups < 1 || !(c->norm_eps > 0.0f) || !isfinite(c->norm_eps))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: norm_num_groups %d, norm_eps %g", c->norm_num_groups,
                        (double)c->norm_eps);
    if (c->time_embed_dim < 1 || c->time_embed_dim > U_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: time_embed_dim %d", c->time_embed_dim);
    if (c->cross_attention_dim < 1 || c->cross_attention_dim > U_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: cross_attention_dim %d", c->cross_attention_dim);
    if (c->in_heads < 1 || c->in_heads > 4096 || c->in_head_dim < 1 || c->in_head_dim > 4096)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: transformer_in heads %d x %d", c->in_heads, c->in_head_dim);
    for (int i = 0; i < c->n_blocks; i++) {
        const int ch = c->block_out_channels[i];
        if (ch < 1 || ch > U_MAX_CH) return a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d: block_out_channels[%d] = %d", i, ch);
        if (ch % c->norm_num_groups)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                            "unet3d: norm_num_groups %d does not divide block_out_channels[%d] = %d",
                            c->norm_num_groups, i, ch);
        if (c->head_dim[i] < 1 || ch % c->head_dim[i])
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                            "unet3d: attention_head_dim %d does not divide block_out_channels[%d] = %d",
                            c->head_dim[i], i, ch);
    }
    return A2A_OK;
}

static a2a_status load_config(a2a_ctx *ctx, const a2a_gguf *g, a2a_unet3d_config *c) {
    memset(c, 0, sizeof *c);
    const a2a_meta m = {ctx, g, U_ARCH, "unet3d"};
    a2a_status st = a2a_meta_ints(&m, "block_out_channels", -1, A2A_UNET3D_MAX_BLOCKS, c->block_out_channels,
                                  &c->n_blocks);
    if (st != A2A_OK) return st;
    const int nb = c->n_blocks;
    if ((st = a2a_meta_u32(&m, "in_channels", true, 4, 1, U_MAX_CH, &c->in_channels)) ||
        (st = a2a_meta_u32(&m, "out_channels", true, 4, 1, U_MAX_CH, &c->out_channels)) ||
        (st = a2a_meta_u32(&m, "layers_per_block", true, 2, 1, A2A_UNET3D_MAX_LAYERS, &c->layers_per_block)) ||
        (st = a2a_meta_u32(&m, "norm_num_groups", true, 32, 1, U_MAX_CH, &c->norm_num_groups)) ||
        (st = a2a_meta_u32(&m, "time_embed_dim", true, 0, 1, U_MAX_CH, &c->time_embed_dim)) ||
        (st = a2a_meta_u32(&m, "cross_attention_dim", true, 0, 1, U_MAX_CH, &c->cross_attention_dim)) ||
        (st = a2a_meta_u32(&m, "in_attention_heads", true, 8, 1, 4096, &c->in_heads)) ||
        (st = a2a_meta_u32(&m, "in_attention_head_dim", true, 64, 1, 4096, &c->in_head_dim)) ||
        (st = a2a_meta_u32(&m, "sample_size", false, 0, 0, 1 << 20, &c->sample_size)) ||
        (st = a2a_meta_ints(&m, "attention_head_dim", nb, A2A_UNET3D_MAX_BLOCKS, c->head_dim, NULL)) ||
        (st = a2a_meta_types(&m, "down_block_types", nb, "CrossAttnDownBlock3D", "DownBlock3D", c->down_cross)) ||
        (st = a2a_meta_types(&m, "up_block_types", nb, "CrossAttnUpBlock3D", "UpBlock3D", c->up_cross)))
        return st;
    st = a2a_gguf_get_f32(ctx, g, U_ARCH ".norm_eps", &c->norm_eps);
    if (st == A2A_ERR_NOT_FOUND) c->norm_eps = 1e-5f;
    else if (st != A2A_OK) return st;
    return check_config(ctx, c);
}

/* ======================================================================== loading */

typedef a2a_unet_loader loader; /* a2a_unet_ld (unet_common.h) reads its tensors */

/* "<prefix><part>[.<i>].<sub>.<j>" into buf. */
static const char *pre(char *buf, size_t cap, const loader *l, const char *part, int i, const char *sub, int j) {
    if (i >= 0) snprintf(buf, cap, "%s%s.%d.%s.%d", l->prefix, part, i, sub, j);
    else snprintf(buf, cap, "%s%s.%s.%d", l->prefix, part, sub, j);
    return buf;
}

/* Layer j of block i (i < 0: the mid block) of part: resnet (unless cin == 0), temporal conv,
   and with cross the two transformers (index ja). */
static void ld_layer(loader *l, u3_layer *y, const a2a_unet3d_config *c, const char *part, int i, int j, int ja,
                     int64_t cin, int64_t co, int head_dim, bool cross) {
    char p[512];
    const int G = c->norm_num_groups;
    if (l->st == A2A_OK && cin > 0)
        l->st = a2a_resnet2d_load(l->ctx, l->g, pre(p, sizeof p, l, part, i, "resnets", j), cin, co, G, c->norm_eps,
                                  c->time_embed_dim, &y->res);
    if (l->st == A2A_OK && cin > 0)
        l->st = a2a_temporal_conv_load(l->ctx, l->g, pre(p, sizeof p, l, part, i, "temp_convs", j), co, G, &y->tconv);
    /* the 3-D blocks build Transformer2DModel(C // head_dim, head_dim, ...) and likewise the
       temporal one: C / head_dim heads of width head_dim */
    const int n_head = (int)(co / head_dim);
    if (l->st == A2A_OK && cross)
        l->st = a2a_transformer2d_load(l->ctx, l->g, pre(p, sizeof p, l, part, i, "attentions", ja), co, n_head,
                                       c->cross_attention_dim, 1, G, &y->attn);
    if (l->st == A2A_OK && cross)
        l->st = a2a_transformer_temporal_load(l->ctx, l->g, pre(p, sizeof p, l, part, i, "temp_attentions", ja), co,
                                              n_head, head_dim, 1, G, &y->tattn);
}

a2a_status a2a_unet3d_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_unet3d **out) {
    *out = NULL;
    if (prefix && strlen(prefix) > 256) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet3d: tensor prefix too long");
    a2a_unet3d *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "unet3d: out of memory");
    a2a_status st = load_config(ctx, g, &m->cfg);
    if (st != A2A_OK) {
        free(m);
        return st;
    }
    const a2a_unet3d_config *c = &m->cfg;
    loader l = {ctx, g, prefix ? prefix : "", A2A_OK};
    const int nb = c->n_blocks, lpb = c->layers_per_block;
    const int64_t C0 = c->block_out_channels[0], ted = c->time_embed_dim;

    m->conv_in_w = a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, c->in_channels, C0}, "conv_in.weight");
    m->conv_in_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){C0}, "conv_in.bias");
    m->time1.w = a2a_unet_ld(&l, 2, 2, (int64_t[2]){C0, ted}, "time_embedding.linear_1.weight");
    m->time1.b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){ted}, "time_embedding.linear_1.bias");
    m->time2.w = a2a_unet_ld(&l, 2, 2, (int64_t[2]){ted, ted}, "time_embedding.linear_2.weight");
    m->time2.b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){ted}, "time_embedding.linear_2.bias");
    if (l.st == A2A_OK && !(m->tin = calloc(1, sizeof *m->tin))) l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet3d: out of memory");
    if (l.st == A2A_OK) {
        char p[512];
        snprintf(p, sizeof p, "%stransformer_in", l.prefix);
        l.st = a2a_transformer_temporal_load(ctx, g, p, C0, c->in_heads, c->in_head_dim, 1, c->norm_num_groups, m->tin);
    }
    int64_t prev = C0;
    for (int i = 0; i < nb && l.st == A2A_OK; i++) {
        u3_level *d = &m->down[i];
        const int64_t co = c->block_out_channels[i];
        d->n_res = lpb;
        d->cross = c->down_cross[i];
        if (!(d->layers = calloc((size_t)lpb, sizeof *d->layers))) {
            l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet3d: out of memory");
            break;
        }
        for (int j = 0; j < lpb; j++)
            ld_layer(&l, &d->layers[j], c, "down_blocks", i, j, j, j == 0 ? prev : co, co, c->head_dim[i], d->cross);
        if (i < nb - 1) {
            d->samp_w =
                a2a_unet_ld(&l, 1, 4, (int64_t[4]){3, 3, co, co}, "down_blocks.%d.downsamplers.0.conv.weight", i);
            d->samp_b = a2a_unet_ld(&l, 1, 1, (int64_t[1]){co}, "down_blocks.%d.downsamplers.0.conv.bias", i);
        }
        prev = co;
    }
    const int64_t CL = c->block_out_channels[nb - 1];
    if (l.st == A2A_OK && !(m->mid = calloc(2, sizeof *m->mid))) l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet3d: out of memory");
    if (l.st == A2A_OK) {
        ld_layer(&l, &m->mid[0], c, "mid_block", -1, 0, 0, CL, CL, c->head_dim[nb - 1], false);
        ld_layer(&l, &m->mid[1], c, "mid_block", -1, 1, 0, CL, CL, c->head_dim[nb - 1], true);
    }
    prev = CL;
    for (int i = 0; i < nb && l.st == A2A_OK; i++) {
        u3_level *u = &m->up[i];
        const int r = nb - 1 - i; /* the matching down block */
        const int64_t co = c->block_out_channels[r];
        const int64_t cin = c->block_out_channels[r > 0 ? r - 1 : 0];
        u->n_res = lpb + 1;
        u->cross = c->up_cross[i];
        if (!(u->layers = calloc((size_t)u->n_res, sizeof *u->layers))) {
            l.st = a2a_fail(ctx, A2A_ERR_NOMEM, "unet3d: out of memory");
            break;
        }
        for (int j = 0; j < u->n_res; j++) {
            const int64_t skip = j == u->n_res - 1 ? cin : co, rin = j == 0 ? prev : co;
            ld_layer(&l, &u->layers[j], c, "up_blocks", i, j, j, rin + skip, co, c->head_dim[r], u->cross);
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
        a2a_error_prefix(ctx, "unet3d");
        a2a_unet3d_free(m);
        return l.st;
    }
    *out = m;
    return A2A_OK;
}

a2a_status a2a_unet3d_load(a2a_ctx *ctx, const char *path, a2a_unet3d **out) {
    *out = NULL;
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st != A2A_OK) return st;
    st = a2a_unet3d_load_gguf(ctx, g, "", out);
    if (st != A2A_OK) {
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_unet3d_free(a2a_unet3d *u) {
    if (!u) return;
    for (int i = 0; i < A2A_UNET3D_MAX_BLOCKS; i++) {
        free(u->down[i].layers);
        free(u->up[i].layers);
    }
    free(u->mid);
    free(u->tin);
    a2a_arena_free(&u->arena);
    a2a_gguf_close(u->own);
    free(u);
}

const a2a_unet3d_config *a2a_unet3d_get_config(const a2a_unet3d *u) { return &u->cfg; }
int a2a_unet3d_side_multiple(const a2a_unet3d *u) { return 1 << (u->cfg.n_blocks - 1); }
int a2a_unet3d_context_dim(const a2a_unet3d *u) { return u->cfg.cross_attention_dim; }

/* ======================================================================== forward */

/* A run: the arena is a stack (as in unet2d.c). The per-frame embeddings and context and the
   skip states of the down path are allocated and kept; from the mid block on, the current
   activation `cur` lives at offset `base` and each step allocates its output above it
   (temporaries above that), then `settle` moves the output down to base. With a measuring
   arena (dry) only the allocations happen, which sizes the real arena exactly. */
typedef struct urun {
    a2a_ctx *ctx;
    a2a_threadpool *tp;
    a2a_arena *a;
    bool dry;
    size_t base;
    a2a_tensor cur;
    int64_t F;                 /* frames per video */
    const a2a_tensor *emb;     /* [ted, F*N] */
    const a2a_tensor *context; /* [D, L, F*N] */
} urun;

static a2a_status nomem(urun *r) {
    return a2a_fail(r->ctx, A2A_ERR_NOMEM, "unet3d: activation arena too small (%zu of %zu bytes used)", r->a->used,
                    r->a->cap);
}

static a2a_status new4(urun *r, a2a_tensor *t, int64_t W, int64_t H, int64_t C, int64_t N) {
    const int64_t ne[4] = {W, H, C, N};
    if (!a2a_arena_tensor(r->a, t, A2A_TYPE_F32, 4, ne)) return nomem(r);
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

/* Time embedding, repeated per frame, into emb [ted, F*N]; temporaries above it. */
static a2a_status embed(urun *r, const a2a_unet3d *u, const float *timesteps, int64_t N, a2a_tensor *emb) {
    const a2a_unet3d_config *c = &u->cfg;
    const int64_t C0 = c->block_out_channels[0], ted = c->time_embed_dim, F = r->F;
    const int64_t ne_e[2] = {ted, N * F};
    if (!a2a_arena_tensor(r->a, emb, A2A_TYPE_F32, 2, ne_e)) return nomem(r);
    emb->n_dims = 2;
    const size_t mark = a2a_arena_mark(r->a);
    a2a_tensor t0, t1, t2;
    const int64_t ne0[2] = {C0, N}, ne1[2] = {ted, N};
    a2a_status st = A2A_OK;
    if (!a2a_arena_tensor(r->a, &t0, A2A_TYPE_F32, 2, ne0) || !a2a_arena_tensor(r->a, &t1, A2A_TYPE_F32, 2, ne1) ||
        !a2a_arena_tensor(r->a, &t2, A2A_TYPE_F32, 2, ne1)) {
        st = nomem(r);
        goto done;
    }
    if (r->dry) goto done;
    /* diffusers get_timestep_embedding with flip_sin_to_cos and shift 0 */
    if ((st = a2a_unet_time_embed(r->ctx, r->tp, &u->time1, &u->time2, timesteps, 0.0f, true, &t0, &t1, &t2)))
        goto done;
    for (int64_t n = 0; n < N; n++) /* repeat_interleave: item n*F + f */
        for (int64_t f = 0; f < F; f++)
            memcpy((float *)emb->data + (n * F + f) * ted, (const float *)t2.data + n * ted, (size_t)ted * sizeof(float));
done:
    a2a_arena_rewind(r->a, mark);
    return st;
}

/* In place on o: temporal conv, then (with cross) spatial and temporal transformers. */
static a2a_status after_resnet(urun *r, const u3_layer *y, a2a_tensor *o, bool tconv, bool cross) {
    a2a_status st;
    if (tconv && (st = a2a_temporal_conv_fwd(r->ctx, r->tp, r->a, &y->tconv, o, r->F))) return st;
    if (cross) {
        if ((st = a2a_transformer2d_fwd(r->ctx, r->tp, r->a, &y->attn, o, r->context))) return st;
        if ((st = a2a_transformer_temporal_fwd(r->ctx, r->tp, r->a, &y->tattn, o, r->F))) return st;
    }
    return A2A_OK;
}

#define U_MAX_SKIPS (1 + A2A_UNET3D_MAX_BLOCKS * (A2A_UNET3D_MAX_LAYERS + 1))

/* The whole UNet: x [W, H, F, C_in, N] -> out [W, H, F, C_out, N] (out outside the arena). */
static a2a_status walk(urun *r, const a2a_unet3d *u, const a2a_tensor *x, const float *timesteps,
                       const a2a_tensor *context, a2a_tensor *out) {
    const a2a_unet3d_config *c = &u->cfg;
    const int nb = c->n_blocks;
    const int64_t W = x->ne[0], H = x->ne[1], F = x->ne[2], N = x->ne[4], NF = N * F;
    a2a_tensor emb, ctxf, skips[U_MAX_SKIPS];
    int ns = 0;
    r->F = F;
    a2a_status st = embed(r, u, timesteps, N, &emb);
    if (st != A2A_OK) return st;
    r->emb = &emb;
    /* context repeated per frame: [D, L, F*N] */
    const int64_t D = context->ne[0], L = context->ne[1];
    if (!a2a_arena_tensor(r->a, &ctxf, A2A_TYPE_F32, 3, (int64_t[3]){D, L, NF})) return nomem(r);
    ctxf.n_dims = 3;
    if (!r->dry)
        for (int64_t n = 0; n < N; n++)
            for (int64_t f = 0; f < F; f++)
                for (int64_t j = 0; j < L; j++)
                    memcpy((float *)ctxf.data + ((n * F + f) * L + j) * D,
                           (const char *)context->data + (size_t)n * context->nb[2] + (size_t)j * context->nb[1],
                           (size_t)D * sizeof(float));
    r->context = &ctxf;
    /* latents as per-frame images [W, H, C_in, F*N] */
    a2a_tensor xin;
    if ((st = new4(r, &xin, W, H, c->in_channels, NF))) return st;
    if (!r->dry) {
        a2a_tensor xv = *x, dv = xin; /* x seen as [W, H, C, F, N] */
        xv.n_dims = 5;
        xv.ne[2] = x->ne[3];
        xv.ne[3] = F;
        xv.nb[2] = x->nb[3];
        xv.nb[3] = x->nb[2];
        dv.n_dims = 5;
        dv.ne[3] = F;
        dv.ne[4] = N;
        dv.nb[4] = dv.nb[3] * (size_t)F;
        if ((st = a2a_op_copy(r->ctx, r->tp, &dv, &xv))) return st;
    }
    int64_t w = W, h = H;
    a2a_tensor h0;
    if ((st = new4(r, &h0, W, H, c->block_out_channels[0], NF))) return st;
    if ((st = conv(r, &h0, &xin, u->conv_in_w, u->conv_in_b, 1))) return st;
    if ((st = a2a_transformer_temporal_fwd(r->ctx, r->tp, r->a, u->tin, &h0, F))) return st;
    skips[ns++] = h0;
    /* down path: every output is a skip state, kept */
    for (int i = 0; i < nb; i++) {
        const u3_level *d = &u->down[i];
        for (int j = 0; j < d->n_res; j++) {
            a2a_tensor o;
            if ((st = new4(r, &o, w, h, d->layers[j].res.c_out, NF))) return st;
            if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &d->layers[j].res, &skips[ns - 1], &emb))) return st;
            if ((st = after_resnet(r, &d->layers[j], &o, true, d->cross))) return st;
            skips[ns++] = o;
        }
        if (d->samp_w) { /* 3x3 stride 2 pad 1: s -> ceil(s / 2) */
            a2a_tensor o;
            const int64_t w2 = a2a_conv_out_size(w, 3, 2, 1, 1), h2 = a2a_conv_out_size(h, 3, 2, 1, 1);
            if ((st = new4(r, &o, w2, h2, d->samp_w->ne[3], NF))) return st;
            if ((st = conv(r, &o, &skips[ns - 1], d->samp_w, d->samp_b, 2))) return st;
            w = w2;
            h = h2;
            skips[ns++] = o;
        }
    }
    /* mid block: resnet, temporal conv, (transformer, temporal transformer, resnet, temporal conv) */
    r->base = a2a_arena_mark(r->a);
    r->cur = skips[ns - 1];
    for (int k = 0; k < 2; k++) {
        const u3_layer *y = &u->mid[k];
        if (k == 1 && (st = after_resnet(r, y, &r->cur, false, true))) return st;
        a2a_tensor o;
        if ((st = new4(r, &o, w, h, y->res.c_out, NF))) return st;
        if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &y->res, &r->cur, &emb))) return st;
        settle(r, &o);
        if ((st = after_resnet(r, y, &r->cur, true, false))) return st;
    }
    /* up path */
    for (int i = 0; i < nb; i++) {
        const u3_level *up = &u->up[i];
        for (int j = 0; j < up->n_res; j++) {
            const a2a_tensor *sk = &skips[--ns];
            a2a_tensor cat, o;
            if ((st = new4(r, &cat, w, h, r->cur.ne[2] + sk->ne[2], NF))) return st;
            if ((st = new4(r, &o, w, h, up->layers[j].res.c_out, NF))) return st;
            if (!r->dry && (st = a2a_op_concat(r->ctx, r->tp, &cat, &r->cur, sk, 2))) return st;
            if ((st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &o, &up->layers[j].res, &cat, &emb))) return st;
            settle(r, &o);
            if ((st = after_resnet(r, &up->layers[j], &r->cur, true, up->cross))) return st;
        }
        if (up->samp_w) {
            /* nearest x2, or to the next skip's size when the sides did not halve evenly
               (diffusers' forward_upsample_size: F.interpolate(size=...)) */
            const int64_t w2 = skips[ns - 1].ne[0], h2 = skips[ns - 1].ne[1];
            a2a_tensor x2, o;
            if ((st = new4(r, &x2, w2, h2, r->cur.ne[2], NF))) return st;
            if ((st = new4(r, &o, w2, h2, up->samp_w->ne[3], NF))) return st;
            if (!r->dry) {
                if (w2 == 2 * w && h2 == 2 * h) st = a2a_op_upsample_nearest2d(r->ctx, r->tp, &x2, &r->cur, 2, 2);
                else a2a_unet_upsample_to(&x2, &r->cur);
                if (st != A2A_OK) return st;
            }
            if ((st = conv(r, &o, &x2, up->samp_w, up->samp_b, 1))) return st;
            w = w2;
            h = h2;
            settle(r, &o);
        }
    }
    /* out: GroupNorm + SiLU + conv_out, then back to [W, H, F, C_out, N] */
    a2a_tensor t, y;
    if ((st = new4(r, &t, w, h, r->cur.ne[2], NF))) return st;
    if ((st = new4(r, &y, w, h, c->out_channels, NF))) return st;
    if (r->dry) return A2A_OK;
    if ((st = a2a_op_group_norm(r->ctx, r->tp, &t, &r->cur, c->norm_num_groups, u->norm_out_w, u->norm_out_b,
                                c->norm_eps)))
        return st;
    if ((st = a2a_op_silu(r->ctx, r->tp, &t, &t))) return st;
    if ((st = conv(r, &y, &t, u->conv_out_w, u->conv_out_b, 1))) return st;
    a2a_tensor yv = y, ov = *out; /* both as [W, H, C, F, N] */
    yv.n_dims = 5;
    yv.ne[3] = F;
    yv.ne[4] = N;
    yv.nb[4] = yv.nb[3] * (size_t)F;
    ov.n_dims = 5;
    ov.ne[2] = out->ne[3];
    ov.ne[3] = F;
    ov.nb[2] = out->nb[3];
    ov.nb[3] = out->nb[2];
    return a2a_op_copy(r->ctx, r->tp, &ov, &yv);
}

/* Validate the inputs' shapes against the model (also used by the byte planner). */
static a2a_status check_inputs(a2a_ctx *ctx, const a2a_unet3d *u, int64_t W, int64_t H, int64_t F, int64_t N,
                               const a2a_tensor *context) {
    if (W < 1 || H < 1 || F < 1 || N < 1 || W > A2A_UNET3D_MAX_SIDE || H > A2A_UNET3D_MAX_SIDE ||
        F > A2A_UNET3D_MAX_FRAMES || N > A2A_UNET3D_MAX_BATCH)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet3d: latent %lld x %lld x %lld frames x batch %lld out of range",
                        (long long)W, (long long)H, (long long)F, (long long)N);
    if (!context)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet3d: no context given (encoder_hidden_states [%d, L, %lld] required)",
                        u->cfg.cross_attention_dim, (long long)N);
    char s[96];
    if (context->type != A2A_TYPE_F32 || context->ne[1] < 1 || context->ne[1] > A2A_UNET3D_MAX_CTX ||
        context->ne[2] != N || context->ne[3] != 1 || context->ne[4] != 1 || !a2a_tensor_rows_contiguous(context))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet3d: context %s must be F32 [D, L <= %d, %lld] rows contiguous",
                        a2a_tensor_shape_str(context, s, sizeof s), A2A_UNET3D_MAX_CTX, (long long)N);
    if (context->ne[0] != u->cfg.cross_attention_dim)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet3d: context width %lld, the model's cross-attention expects %d",
                        (long long)context->ne[0], u->cfg.cross_attention_dim);
    return A2A_OK;
}

/* Make sure the arena fits shape (W, H, F, N, L); dry-runs when the shape is new. */
static a2a_status plan(a2a_ctx *ctx, a2a_unet3d *u, const a2a_tensor *x, const a2a_tensor *context,
                       size_t *bytes_out) {
    const int64_t key[5] = {x->ne[0], x->ne[1], x->ne[2], x->ne[4], context->ne[1]};
    if (!bytes_out && u->planned && memcmp(key, u->plan, sizeof key) == 0) return A2A_OK;
    a2a_arena meas;
    a2a_arena_init_measure(&meas);
    float ts[A2A_UNET3D_MAX_BATCH] = {0};
    a2a_tensor o;
    const int64_t ne[5] = {x->ne[0], x->ne[1], x->ne[2], u->cfg.out_channels, x->ne[4]};
    a2a_tensor_init(&o, A2A_TYPE_F32, 5, ne, NULL);
    urun r = {ctx, NULL, &meas, true, 0, {0}, 1, NULL, NULL};
    a2a_status st = walk(&r, u, x, ts, context, &o);
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
            a2a_error_prefix(ctx, "unet3d: activations need %zu bytes", meas.peak);
            return st;
        }
    }
    memcpy(u->plan, key, sizeof key);
    u->planned = true;
    return A2A_OK;
}

size_t a2a_unet3d_activation_bytes(a2a_unet3d *u, int64_t W, int64_t H, int64_t F, int64_t N, int64_t L) {
    a2a_tensor x, c;
    const int64_t ne[5] = {W, H, F, u->cfg.in_channels, N}, nc[3] = {u->cfg.cross_attention_dim, L, N};
    if (!a2a_tensor_init(&x, A2A_TYPE_F32, 5, ne, NULL) || !a2a_tensor_init(&c, A2A_TYPE_F32, 3, nc, NULL)) return 0;
    if (check_inputs(NULL, u, W, H, F, N, &c) != A2A_OK) return 0;
    size_t bytes = 0;
    if (plan(NULL, u, &x, &c, &bytes) != A2A_OK) return 0;
    return bytes;
}

a2a_status a2a_unet3d_forward(a2a_ctx *ctx, a2a_threadpool *tp, a2a_unet3d *u, const a2a_tensor *x,
                              const float *timesteps, const a2a_tensor *context, a2a_tensor *out) {
    if (!u || !x || !timesteps || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet3d: NULL argument");
    const a2a_unet3d_config *c = &u->cfg;
    const int64_t W = x->ne[0], H = x->ne[1], F = x->ne[2], N = x->n_dims >= 5 ? x->ne[4] : 1;
    char s1[96], s2[96];
    if (x->type != A2A_TYPE_F32 || x->ne[3] != c->in_channels || (x->n_dims < 5 && x->ne[4] != 1))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet3d: latents %s must be F32 [W, H, F, %d, N]",
                        a2a_tensor_shape_str(x, s1, sizeof s1), c->in_channels);
    if (out->type != A2A_TYPE_F32 || out->ne[0] != W || out->ne[1] != H || out->ne[2] != F ||
        out->ne[3] != c->out_channels || out->ne[4] != N)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "unet3d: output %s does not match latents %s with %d channels",
                        a2a_tensor_shape_str(out, s1, sizeof s1), a2a_tensor_shape_str(x, s2, sizeof s2),
                        c->out_channels);
    a2a_status st = check_inputs(ctx, u, W, H, F, N, context);
    if (st != A2A_OK) return st;
    for (int64_t n = 0; n < N; n++)
        if (!isfinite(timesteps[n]))
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "unet3d: timestep %lld is not finite", (long long)n);
    a2a_tensor xv = *x, ov = *out;
    xv.n_dims = ov.n_dims = 5;
    if ((st = plan(ctx, u, &xv, context, NULL)) != A2A_OK) return st;
    a2a_arena_reset(&u->arena);
    urun r = {ctx, tp, &u->arena, false, 0, {0}, 1, NULL, NULL};
    st = walk(&r, u, &xv, timesteps, context, &ov);
    a2a_arena_reset(&u->arena);
    return st;
}

/* ======================================================================== converter */

a2a_unet3d_convert_params a2a_unet3d_convert_default_params(void) {
    a2a_unet3d_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL};
    return p;
}

static int clamp_int(int64_t v) { return v < 0 || v > (1 << 20) ? -1 : (int)v; }

/* Read config.json into c; names get the block type strings. */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_unet3d_config *c, const char **down_names,
                                 const char **up_names) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    int64_t boc[A2A_UNET3D_MAX_BLOCKS + 1];
    const int64_t nb = a2a_json_ints(a2a_json_get(root, "block_out_channels"), boc, A2A_UNET3D_MAX_BLOCKS + 1);
    const a2a_json_value *v;
    if (!a2a_json_is_object(root)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d convert: %s is not a JSON object", path);
        goto done;
    }
    if (!a2a_unet_json_str_is(root, "_class_name", "UNet3DConditionModel", "UNet3DConditionModel")) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: _class_name '%s' (only UNet3DConditionModel)",
                      a2a_json_str_or(a2a_json_get(root, "_class_name"), "?"));
        goto done;
    }
    if (nb < 1 || nb > A2A_UNET3D_MAX_BLOCKS) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "unet3d convert: block_out_channels missing or with %lld entries (1..%d)",
                      (long long)nb, A2A_UNET3D_MAX_BLOCKS);
        goto done;
    }
    v = a2a_json_get(root, "time_cond_proj_dim");
    if (v && !a2a_json_is_null(v)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: time_cond_proj_dim is set (not supported)");
        goto done;
    }
    v = a2a_json_get(root, "num_attention_heads");
    if (v && !a2a_json_is_null(v)) { /* diffusers itself refuses it */
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: num_attention_heads is set (not supported)");
        goto done;
    }
    if (!a2a_unet_json_str_is(root, "act_fn", "silu", "silu") ||
        !a2a_unet_json_num_is(root, "downsample_padding", 1, 1) ||
        !a2a_unet_json_num_is(root, "mid_block_scale_factor", 1, 1)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                      "unet3d convert: only act_fn silu, downsample_padding 1 and mid_block_scale_factor 1 are "
                      "supported");
        goto done;
    }
    v = a2a_json_get(root, "norm_num_groups");
    if (v && a2a_json_is_null(v)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: norm_num_groups null (no output norm) not supported");
        goto done;
    }
    const int n = (int)nb;
    c->n_blocks = n;
    for (int i = 0; i < n; i++) c->block_out_channels[i] = clamp_int(boc[i]);
    if ((st = a2a_unet_json_types(ctx, "unet3d", a2a_json_get(root, "down_block_types"), "down_block_types", n,
                                  "CrossAttnDownBlock3D", "DownBlock3D", c->down_cross, down_names)) ||
        (st = a2a_unet_json_types(ctx, "unet3d", a2a_json_get(root, "up_block_types"), "up_block_types", n,
                                  "CrossAttnUpBlock3D", "UpBlock3D", c->up_cross, up_names)))
        goto done;
    /* attention_head_dim: the head width of every block transformer (C / it heads) and of
       transformer_in (8 heads); an int (diffusers cannot build transformer_in from a list) */
    int64_t ahd;
    if (!a2a_json_int(a2a_json_get(root, "attention_head_dim"), &ahd)) {
        if (!a2a_json_get(root, "attention_head_dim")) ahd = 64;
        else {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: attention_head_dim must be an int");
            goto done;
        }
    }
    for (int i = 0; i < n; i++) c->head_dim[i] = clamp_int(ahd);
    c->in_heads = 8;
    c->in_head_dim = clamp_int(ahd);
    if (a2a_json_is_array(a2a_json_get(root, "cross_attention_dim"))) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "unet3d convert: cross_attention_dim must be an int");
        goto done;
    }
    c->cross_attention_dim = clamp_int(a2a_json_int_or(a2a_json_get(root, "cross_attention_dim"), 1024));
    c->layers_per_block = clamp_int(a2a_json_int_or(a2a_json_get(root, "layers_per_block"), 2));
    c->in_channels = clamp_int(a2a_json_int_or(a2a_json_get(root, "in_channels"), 4));
    c->out_channels = clamp_int(a2a_json_int_or(a2a_json_get(root, "out_channels"), 4));
    c->norm_num_groups = clamp_int(a2a_json_int_or(a2a_json_get(root, "norm_num_groups"), 32));
    c->time_embed_dim = c->block_out_channels[0] < 1 ? -1 : 4 * c->block_out_channels[0];
    c->sample_size = clamp_int(a2a_json_int_or(a2a_json_get(root, "sample_size"), 0));
    if (c->sample_size < 0) c->sample_size = 0;
    c->norm_eps = (float)a2a_json_num_or(a2a_json_get(root, "norm_eps"), 1e-5);
    st = check_config(ctx, c);
done:
    if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    a2a_json_free(doc);
    return st;
}

static a2a_status write_meta(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_unet3d_config *c, const char **down_names,
                             const char **up_names) {
    int32_t boc[A2A_UNET3D_MAX_BLOCKS], hd[A2A_UNET3D_MAX_BLOCKS];
    const uint64_t n = (uint64_t)c->n_blocks;
    for (int i = 0; i < c->n_blocks; i++) {
        boc[i] = c->block_out_channels[i];
        hd[i] = c->head_dim[i];
    }
    a2a_status st;
    if ((st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".in_channels", (uint32_t)c->in_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".out_channels", (uint32_t)c->out_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".layers_per_block", (uint32_t)c->layers_per_block)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".norm_num_groups", (uint32_t)c->norm_num_groups)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".sample_size", (uint32_t)c->sample_size)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".time_embed_dim", (uint32_t)c->time_embed_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".cross_attention_dim", (uint32_t)c->cross_attention_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".in_attention_heads", (uint32_t)c->in_heads)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, U_ARCH ".in_attention_head_dim", (uint32_t)c->in_head_dim)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, U_ARCH ".norm_eps", c->norm_eps)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".block_out_channels", A2A_GGUF_INT32, boc, n)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, U_ARCH ".attention_head_dim", A2A_GGUF_INT32, hd, n)) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, U_ARCH ".down_block_types", down_names, n)) ||
        (st = a2a_gguf_writer_set_arr_str(ctx, w, U_ARCH ".up_block_types", up_names, n)))
        return st;
    return A2A_OK;
}

a2a_status a2a_unet3d_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                                  const a2a_unet3d_convert_params *pp) {
    a2a_unet3d_convert_params p = pp ? *pp : a2a_unet3d_convert_default_params();
    if (!prefix) prefix = "";
    a2a_status st = a2a_unet_convert_check(ctx, "unet3d", p.conv_type, p.linear_type, prefix);
    if (st != A2A_OK) return st;
    char path[4096];
    if ((st = a2a_hf_config_path(ctx, src_dir, "unet3d", path, sizeof path)) != A2A_OK) return st;
    a2a_unet3d_config c;
    const char *down_names[A2A_UNET3D_MAX_BLOCKS], *up_names[A2A_UNET3D_MAX_BLOCKS];
    st = read_hf_config(ctx, path, &c, down_names, up_names);
    if (st != A2A_OK) return st;
    a2a_weights *wf = NULL;
    if ((st = a2a_unet_open_weights(ctx, src_dir, "unet3d", &wf)) != A2A_OK) return st;
    if ((st = write_meta(ctx, w, &c, down_names, up_names)) == A2A_OK)
        st = a2a_unet_convert_tensors(ctx, p.tp, w, wf, prefix, p.conv_type, p.linear_type, true, p.progress,
                                      p.user, "unet3d");
    a2a_weights_close(wf);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_unet3d_convert_add(ctx, w, src_dir, "", p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_unet3d *m;
    a2a_status st = a2a_unet3d_load(ctx, path, &m);
    if (st == A2A_OK) a2a_unet3d_free(m);
    return st;
}

a2a_status a2a_unet3d_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf,
                              const a2a_unet3d_convert_params *p) {
    return a2a_hf_convert_file(ctx, "unet3d convert", U_ARCH, "UNet3DConditionModel", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
