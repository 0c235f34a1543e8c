/* diffusers AutoencoderKL: loader, encoder/decoder forward, converter. See autoencoder_kl.h. */
#include "models/vae/autoencoder_kl.h"

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

#define VAE_ARCH "autoencoder_kl"
#define VAE_EPS 1e-6f
#define VAE_MAX_CH 65536
#define VAE_NAME_MAX 64 /* GGUF/ggml tensor names: at most 63 bytes */

/* Mid block: resnet, optional attention, resnet. */
typedef struct vae_mid {
    a2a_resnet2d res[2];
    bool has_attn;
    const a2a_tensor *gn_w, *gn_b; /* attentions.0.group_norm [C] F32 */
    a2a_nn_mha attn;               /* 1 head; to_q/to_k/to_v/to_out.0 weights [C, C], biases [C] */
} vae_mid;

/* One encoder down block or decoder up block. */
typedef struct vae_level {
    int n_res;
    a2a_resnet2d res[A2A_VAE_MAX_LAYERS + 1];
    const a2a_tensor *samp_w; /* down: [3, 3, C, C] stride-2 conv; up: [3, 3, C, C] conv after x2; NULL in the last */
    const a2a_tensor *samp_b; /* [C] */
} vae_level;

struct a2a_vae {
    a2a_vae_config cfg;
    a2a_gguf *own; /* the file when a2a_vae_load opened it */
    bool has_enc;
    /* encoder */
    const a2a_tensor *enc_in_w, *enc_in_b;     /* conv_in [3, 3, in_ch, C0], [C0] */
    vae_level down[A2A_VAE_MAX_BLOCKS];
    vae_mid enc_mid;
    const a2a_tensor *enc_norm_w, *enc_norm_b; /* conv_norm_out [C_last] F32 */
    const a2a_tensor *enc_out_w, *enc_out_b;   /* conv_out [3, 3, C_last, 2L], [2L] */
    const a2a_tensor *quant_w, *quant_b;       /* quant_conv [1, 1, 2L, 2L], [2L] or NULL */
    /* decoder */
    const a2a_tensor *pq_w, *pq_b;             /* post_quant_conv [1, 1, L, L], [L] or NULL */
    const a2a_tensor *dec_in_w, *dec_in_b;     /* conv_in [3, 3, L, C_last], [C_last] */
    vae_mid dec_mid;
    vae_level up[A2A_VAE_MAX_BLOCKS];
    const a2a_tensor *dec_norm_w, *dec_norm_b; /* conv_norm_out [C0] F32 */
    const a2a_tensor *dec_out_w, *dec_out_b;   /* conv_out [3, 3, C0, out_ch], [out_ch] */
};

/* ======================================================================== loading */

/* Check a config for consistency (shared by the loader and the converter). */
static a2a_status check_config(a2a_ctx *ctx, const a2a_vae_config *c) {
    if (c->n_blocks < 1 || c->n_blocks > A2A_VAE_MAX_BLOCKS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "vae: %d blocks (1..%d supported)", c->n_blocks, A2A_VAE_MAX_BLOCKS);
    if (c->layers_per_block < 1 || c->layers_per_block > A2A_VAE_MAX_LAYERS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "vae: layers_per_block %d (1..%d supported)", c->layers_per_block,
                        A2A_VAE_MAX_LAYERS);
    if (c->in_channels < 1 || c->in_channels > VAE_MAX_CH || c->out_channels < 1 || c->out_channels > VAE_MAX_CH ||
        c->latent_channels < 1 || c->latent_channels > VAE_MAX_CH)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "vae: bad channel counts in %d, out %d, latent %d", c->in_channels,
                        c->out_channels, c->latent_channels);
    if (c->norm_num_groups < 1) return a2a_fail(ctx, A2A_ERR_FORMAT, "vae: norm_num_groups %d", c->norm_num_groups);
    for (int i = 0; i < c->n_blocks; i++) {
        int ch = c->block_out_channels[i];
        if (ch < 1 || ch > VAE_MAX_CH) return a2a_fail(ctx, A2A_ERR_FORMAT, "vae: block_out_channels[%d] = %d", i, ch);
        if (ch % c->norm_num_groups)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vae: norm_num_groups %d does not divide block_out_channels[%d] = %d",
                            c->norm_num_groups, i, ch);
    }
    return A2A_OK;
}

typedef struct loader {
    a2a_ctx *ctx;
    const a2a_gguf *g;
    const char *prefix;
    a2a_status st;
} loader;

/* Tensor prefix + fmt with shape ne (n dims); kind 0: F32 only, 1: F32/F16, 2: any matmul type.
   Missing and required -> error; missing and optional -> NULL. */
static const a2a_tensor *ld(loader *l, bool required, int kind, int n, const int64_t *ne, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static const a2a_tensor *ld(loader *l, bool required, int kind, int n, const int64_t *ne, const char *fmt, ...) {
    if (l->st != A2A_OK) return NULL;
    char name[256];
    size_t pl = strlen(l->prefix);
    if (pl >= 128) {
        l->st = a2a_fail(l->ctx, A2A_ERR_INVALID_ARG, "vae: tensor prefix too long");
        return NULL;
    }
    memcpy(name, l->prefix, pl);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name + pl, sizeof name - pl, fmt, ap);
    va_end(ap);
    const a2a_tensor *t = a2a_nn_get(l->ctx, l->g, name, n, ne, required);
    if (!t) {
        if (required) l->st = a2a_gguf_find_tensor(l->g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND;
        return NULL;
    }
    if (!(kind == 2 || t->type == A2A_TYPE_F32 || (kind == 1 && t->type == A2A_TYPE_F16))) {
        l->st = a2a_fail(l->ctx, A2A_ERR_SHAPE, "tensor %s has type %s, expected %s", name,
                         a2a_type_name(t->type), kind == 0 ? "F32" : "F32 or F16");
        return NULL;
    }
    return t;
}

/* Resnet block under l->prefix + the name printf(fmt, a, b) makes. */
static void ld_resnet(loader *l, a2a_resnet2d *r, int64_t cin, int64_t cout, int groups, const char *fmt, int a, int b)
    __attribute__((format(printf, 6, 0)));
static void ld_resnet(loader *l, a2a_resnet2d *r, int64_t cin, int64_t cout, int groups, const char *fmt, int a, int b) {
    if (l->st != A2A_OK) return;
    char pre[256];
    int n = snprintf(pre, sizeof pre, "%s", l->prefix);
    snprintf(pre + n, sizeof pre - (size_t)n, fmt, a, b);
    l->st = a2a_resnet2d_load(l->ctx, l->g, pre, cin, cout, groups, VAE_EPS, 0, r);
}

static void ld_mid(loader *l, vae_mid *m, const a2a_vae_config *c, const char *part) {
    const int64_t C = c->block_out_channels[c->n_blocks - 1];
    const bool dec = part[0] == 'd';
    for (int i = 0; i < 2; i++)
        ld_resnet(l, &m->res[i], C, C, c->norm_num_groups,
                  dec ? "decoder.mid_block.resnets.%d" : "encoder.mid_block.resnets.%d", i, 0);
    m->has_attn = c->mid_block_add_attention;
    if (!m->has_attn) return;
    const int64_t v[1] = {C}, w[2] = {C, C};
    const char *p = part;
    m->gn_w = ld(l, true, 0, 1, v, "%s.mid_block.attentions.0.group_norm.weight", p);
    m->gn_b = ld(l, true, 0, 1, v, "%s.mid_block.attentions.0.group_norm.bias", p);
    memset(&m->attn, 0, sizeof m->attn);
    m->attn.n_head = 1;
    m->attn.scale = 0.0f; /* 1/sqrt(C): dim_head = attention_head_dim = C */
    a2a_nn_linear *lin[4] = {&m->attn.q, &m->attn.k, &m->attn.v, &m->attn.out};
    const char *nm[4] = {"to_q", "to_k", "to_v", "to_out.0"};
    for (int i = 0; i < 4; i++) {
        lin[i]->w = ld(l, true, 2, 2, w, "%s.mid_block.attentions.0.%s.weight", p, nm[i]);
        lin[i]->b = ld(l, true, 1, 1, v, "%s.mid_block.attentions.0.%s.bias", p, nm[i]);
    }
}

/* Config from the metadata; the architecture must be VAE_ARCH unless the VAE is one component
   (tensor-name prefix) of a pipeline file. */
static a2a_status load_config(a2a_ctx *ctx, const a2a_gguf *g, bool component, a2a_vae_config *c) {
    memset(c, 0, sizeof *c);
    const char *arch;
    size_t al;
    a2a_status st = a2a_gguf_get_str(ctx, g, "general.architecture", &arch, &al);
    if (!component && st == A2A_OK && !(al == strlen(VAE_ARCH) && memcmp(arch, VAE_ARCH, al) == 0))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae: general.architecture is '%.*s', expected '" VAE_ARCH "'",
                        (int)(al > 64 ? 64 : al), arch);
    const a2a_meta m = {ctx, g, VAE_ARCH, "vae"};
    if ((st = a2a_meta_ints(&m, "block_out_channels", -1, A2A_VAE_MAX_BLOCKS, c->block_out_channels, &c->n_blocks)) ||
        (st = a2a_meta_u32(&m, "in_channels", true, 3, 1, VAE_MAX_CH, &c->in_channels)) ||
        (st = a2a_meta_u32(&m, "out_channels", true, 3, 1, VAE_MAX_CH, &c->out_channels)) ||
        (st = a2a_meta_u32(&m, "latent_channels", true, 4, 1, VAE_MAX_CH, &c->latent_channels)) ||
        (st = a2a_meta_u32(&m, "layers_per_block", true, 1, 1, A2A_VAE_MAX_LAYERS, &c->layers_per_block)) ||
        (st = a2a_meta_u32(&m, "norm_num_groups", true, 32, 1, VAE_MAX_CH, &c->norm_num_groups)) ||
        (st = a2a_meta_u32(&m, "sample_size", false, 0, 0, A2A_VAE_MAX_SIDE, &c->sample_size)) ||
        (st = a2a_meta_f32(&m, "scaling_factor", 0.18215f, &c->scaling_factor)) ||
        (st = a2a_meta_f32(&m, "shift_factor", 0.0f, &c->shift_factor)) ||
        (st = a2a_meta_bool(&m, "mid_block_add_attention", true, &c->mid_block_add_attention)) ||
        (st = a2a_meta_bool(&m, "use_quant_conv", true, &c->use_quant_conv)) ||
        (st = a2a_meta_bool(&m, "use_post_quant_conv", true, &c->use_post_quant_conv)))
        return st;
    return check_config(ctx, c);
}

a2a_status a2a_vae_load_gguf(a2a_ctx *ctx, const a2a_gguf *g, const char *prefix, a2a_vae **out) {
    *out = NULL;
    a2a_vae *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "vae: out of memory");
    a2a_status st = load_config(ctx, g, prefix && prefix[0], &m->cfg);
    if (st != A2A_OK) {
        free(m);
        return st;
    }
    const a2a_vae_config *c = &m->cfg;
    loader l = {ctx, g, prefix ? prefix : "", A2A_OK};
    const int nb = c->n_blocks, G = c->norm_num_groups, L = c->latent_channels;
    const int64_t C0 = c->block_out_channels[0], CL = c->block_out_channels[nb - 1];

    /* decoder */
    if (c->use_post_quant_conv) {
        m->pq_w = ld(&l, true, 1, 4, (int64_t[4]){1, 1, L, L}, "post_quant_conv.weight");
        m->pq_b = ld(&l, true, 1, 1, (int64_t[1]){L}, "post_quant_conv.bias");
    }
    m->dec_in_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, L, CL}, "decoder.conv_in.weight");
    m->dec_in_b = ld(&l, true, 1, 1, (int64_t[1]){CL}, "decoder.conv_in.bias");
    ld_mid(&l, &m->dec_mid, c, "decoder");
    int64_t prev = CL;
    for (int i = 0; i < nb; i++) {
        vae_level *u = &m->up[i];
        const int64_t co = c->block_out_channels[nb - 1 - i];
        u->n_res = c->layers_per_block + 1;
        for (int j = 0; j < u->n_res; j++)
            ld_resnet(&l, &u->res[j], j == 0 ? prev : co, co, G, "decoder.up_blocks.%d.resnets.%d", i, j);
        if (i < nb - 1) {
            u->samp_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, co, co}, "decoder.up_blocks.%d.upsamplers.0.conv.weight", i);
            u->samp_b = ld(&l, true, 1, 1, (int64_t[1]){co}, "decoder.up_blocks.%d.upsamplers.0.conv.bias", i);
        }
        prev = co;
    }
    m->dec_norm_w = ld(&l, true, 0, 1, (int64_t[1]){C0}, "decoder.conv_norm_out.weight");
    m->dec_norm_b = ld(&l, true, 0, 1, (int64_t[1]){C0}, "decoder.conv_norm_out.bias");
    m->dec_out_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, C0, c->out_channels}, "decoder.conv_out.weight");
    m->dec_out_b = ld(&l, true, 1, 1, (int64_t[1]){c->out_channels}, "decoder.conv_out.bias");

    /* encoder (optional as a whole: present when encoder.conv_in.weight is) */
    char probe[256];
    snprintf(probe, sizeof probe, "%sencoder.conv_in.weight", l.prefix);
    m->has_enc = l.st == A2A_OK && a2a_gguf_find_tensor(g, probe) != NULL;
    if (m->has_enc) {
        m->enc_in_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, c->in_channels, C0}, "encoder.conv_in.weight");
        m->enc_in_b = ld(&l, true, 1, 1, (int64_t[1]){C0}, "encoder.conv_in.bias");
        prev = C0;
        for (int i = 0; i < nb; i++) {
            vae_level *d = &m->down[i];
            const int64_t co = c->block_out_channels[i];
            d->n_res = c->layers_per_block;
            for (int j = 0; j < d->n_res; j++)
                ld_resnet(&l, &d->res[j], j == 0 ? prev : co, co, G, "encoder.down_blocks.%d.resnets.%d", i, j);
            if (i < nb - 1) {
                d->samp_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, co, co},
                               "encoder.down_blocks.%d.downsamplers.0.conv.weight", i);
                d->samp_b = ld(&l, true, 1, 1, (int64_t[1]){co}, "encoder.down_blocks.%d.downsamplers.0.conv.bias", i);
            }
            prev = co;
        }
        ld_mid(&l, &m->enc_mid, c, "encoder");
        m->enc_norm_w = ld(&l, true, 0, 1, (int64_t[1]){CL}, "encoder.conv_norm_out.weight");
        m->enc_norm_b = ld(&l, true, 0, 1, (int64_t[1]){CL}, "encoder.conv_norm_out.bias");
        m->enc_out_w = ld(&l, true, 1, 4, (int64_t[4]){3, 3, CL, 2 * L}, "encoder.conv_out.weight");
        m->enc_out_b = ld(&l, true, 1, 1, (int64_t[1]){2 * L}, "encoder.conv_out.bias");
        if (c->use_quant_conv) {
            m->quant_w = ld(&l, true, 1, 4, (int64_t[4]){1, 1, 2 * L, 2 * L}, "quant_conv.weight");
            m->quant_b = ld(&l, true, 1, 1, (int64_t[1]){2 * L}, "quant_conv.bias");
        }
    }
    if (l.st != A2A_OK) {
        a2a_error_prefix(ctx, "vae");
        free(m);
        return l.st;
    }
    *out = m;
    return A2A_OK;
}

a2a_status a2a_vae_load(a2a_ctx *ctx, const char *path, a2a_vae **out) {
    *out = NULL;
    a2a_gguf *g;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    if (st != A2A_OK) return st;
    st = a2a_vae_load_gguf(ctx, g, NULL, out);
    if (st != A2A_OK) {
        a2a_gguf_close(g);
        return st;
    }
    (*out)->own = g;
    return A2A_OK;
}

void a2a_vae_free(a2a_vae *vae) {
    if (!vae) return;
    a2a_gguf_close(vae->own);
    free(vae);
}

const a2a_vae_config *a2a_vae_get_config(const a2a_vae *vae) { return &vae->cfg; }
int a2a_vae_downscale(const a2a_vae *vae) { return 1 << (vae->cfg.n_blocks - 1); }
bool a2a_vae_has_encoder(const a2a_vae *vae) { return vae->has_enc; }

/* ======================================================================== forward */

/* A run: the activations live in one arena used as a stack. The current activation `cur`
   starts at arena offset `base`; each step allocates its output above it (and temporaries
   above that), then `settle` moves the output down to `base`. With a measuring arena
   (dry run) only the allocations happen, which sizes the real arena exactly. */
typedef struct vrun {
    a2a_ctx *ctx;
    a2a_threadpool *tp;
    a2a_arena *a;
    bool dry;
    int groups; /* norm_num_groups */
    size_t base;
    a2a_tensor cur;
} vrun;

static a2a_status new4(vrun *r, a2a_tensor *t, int64_t W, int64_t H, int64_t C, int64_t N) {
    const int64_t ne[4] = {W, H, C, N};
    if (!a2a_arena_tensor(r->a, t, A2A_TYPE_F32, 4, ne))
        return a2a_fail(r->ctx, A2A_ERR_NOMEM, "vae: activation arena too small (%zu of %zu bytes used)", r->a->used,
                        r->a->cap);
    t->n_dims = 4;
    return A2A_OK;
}

/* Make out (allocated above cur) the new cur, moved down to base. */
static void settle(vrun *r, a2a_tensor *out) {
    size_t bytes = a2a_tensor_nbytes(out);
    a2a_arena_rewind(r->a, r->base);
    void *p = a2a_arena_alloc(r->a, bytes ? bytes : 1);
    if (!r->dry && p != out->data) memmove(p, out->data, bytes);
    out->data = p;
    r->cur = *out;
}

static a2a_status conv(vrun *r, a2a_tensor *dst, const a2a_tensor *x, const a2a_tensor *w, const a2a_tensor *b,
                       int stride, int pad) {
    if (r->dry) return A2A_OK;
    a2a_conv2d_params p = A2A_CONV2D_PARAMS_DEFAULT;
    p.stride_w = p.stride_h = stride;
    p.pad_w = p.pad_h = pad;
    return a2a_op_conv2d(r->ctx, r->tp, dst, x, w, b, &p);
}

/* cur <- conv(cur) with c_out channels (kernel from w). */
static a2a_status step_conv(vrun *r, const a2a_tensor *w, const a2a_tensor *b, int pad) {
    a2a_tensor out;
    const a2a_tensor *x = &r->cur;
    const int64_t k = w->ne[0];
    a2a_status st = new4(r, &out, x->ne[0] + 2 * pad - (k - 1), x->ne[1] + 2 * pad - (k - 1), w->ne[3], x->ne[3]);
    if (st == A2A_OK) st = conv(r, &out, x, w, b, 1, pad);
    if (st == A2A_OK) settle(r, &out);
    return st;
}

static a2a_status step_resnet(vrun *r, const a2a_resnet2d *res) {
    a2a_tensor out;
    const a2a_tensor *x = &r->cur;
    a2a_status st = new4(r, &out, x->ne[0], x->ne[1], res->c_out, x->ne[3]);
    if (st == A2A_OK) st = a2a_resnet2d_fwd(r->ctx, r->tp, r->a, &out, res, x, NULL);
    if (st == A2A_OK) settle(r, &out);
    return st;
}

/* Attention with group norm and residual, in place on cur. */
static a2a_status step_attn(vrun *r, const vae_mid *m) {
    a2a_tensor *x = &r->cur;
    const int64_t W = x->ne[0], H = x->ne[1], C = x->ne[2], N = x->ne[3], T = W * H;
    const size_t mark = a2a_arena_mark(r->a);
    a2a_tensor tok, o;
    const int64_t ne[3] = {C, T, N};
    a2a_status st = A2A_OK;
    if (!a2a_arena_tensor(r->a, &tok, A2A_TYPE_F32, 3, ne) || !a2a_arena_tensor(r->a, &o, A2A_TYPE_F32, 3, ne)) {
        st = a2a_fail(r->ctx, A2A_ERR_NOMEM, "vae: activation arena too small for attention");
        goto done;
    }
    tok.n_dims = o.n_dims = 3;
    if (r->dry) { /* a2a_nn_mha_fwd's scratch: q, k, v and the heads' output */
        a2a_tensor s;
        for (int i = 0; i < 4; i++)
            if (!a2a_arena_tensor(r->a, &s, A2A_TYPE_F32, 3, ne)) {
                st = a2a_fail(r->ctx, A2A_ERR_NOMEM, "vae: activation arena too small for attention");
                goto done;
            }
        goto done;
    }
    /* [C, T, N] token views of the [W, H, C, N] layout: element (w, h, c, n) of the 4-D view */
    a2a_tensor tok4 = tok, o4 = o;
    tok4.n_dims = o4.n_dims = 4;
    tok4.ne[0] = o4.ne[0] = W;
    tok4.ne[1] = o4.ne[1] = H;
    tok4.ne[2] = o4.ne[2] = C;
    tok4.ne[3] = o4.ne[3] = N;
    tok4.nb[0] = o4.nb[0] = (size_t)C * sizeof(float);
    tok4.nb[1] = o4.nb[1] = (size_t)C * W * sizeof(float);
    tok4.nb[2] = o4.nb[2] = sizeof(float);
    tok4.nb[3] = o4.nb[3] = (size_t)C * T * sizeof(float);
    tok4.nb[4] = o4.nb[4] = (size_t)C * T * N * sizeof(float);
    if ((st = a2a_op_group_norm(r->ctx, r->tp, &tok4, x, m->res[0].groups, m->gn_w, m->gn_b, VAE_EPS))) goto done;
    if ((st = a2a_nn_mha_fwd(r->ctx, r->tp, r->a, &o, &m->attn, &tok, &tok, NULL, false))) goto done;
    st = a2a_op_add(r->ctx, r->tp, x, x, &o4);
done:
    a2a_arena_rewind(r->a, mark);
    return st;
}

static a2a_status run_mid(vrun *r, const vae_mid *m) {
    a2a_status st = step_resnet(r, &m->res[0]);
    if (st == A2A_OK && m->has_attn) st = step_attn(r, m);
    if (st == A2A_OK) st = step_resnet(r, &m->res[1]);
    return st;
}

/* cur <- conv3x3(upsample_nearest_x2(cur)). */
static a2a_status step_up(vrun *r, const vae_level *u) {
    const a2a_tensor *x = &r->cur;
    a2a_tensor up, out;
    a2a_status st = new4(r, &up, 2 * x->ne[0], 2 * x->ne[1], x->ne[2], x->ne[3]);
    if (st == A2A_OK) st = new4(r, &out, 2 * x->ne[0], 2 * x->ne[1], u->samp_w->ne[3], x->ne[3]);
    if (st == A2A_OK && !r->dry) st = a2a_op_upsample_nearest2d(r->ctx, r->tp, &up, x, 2, 2);
    if (st == A2A_OK) st = conv(r, &out, &up, u->samp_w, u->samp_b, 1, 1);
    if (st == A2A_OK) settle(r, &out);
    return st;
}

/* cur <- conv3x3 stride 2 (F.pad(cur, (0, 1, 0, 1))). */
static a2a_status step_down(vrun *r, const vae_level *d) {
    const a2a_tensor *x = &r->cur;
    const int64_t W = x->ne[0], H = x->ne[1], C = x->ne[2], N = x->ne[3];
    a2a_tensor pad, out;
    a2a_status st = new4(r, &pad, W + 1, H + 1, C, N);
    if (st == A2A_OK) st = new4(r, &out, (W - 2) / 2 + 1, (H - 2) / 2 + 1, d->samp_w->ne[3], N);
    if (st == A2A_OK && !r->dry) {
        memset(pad.data, 0, a2a_tensor_nbytes(&pad));
        a2a_tensor v = a2a_tensor_view(&pad, 4, (int64_t[4]){W, H, C, N}, (int64_t[4]){0, 0, 0, 0});
        st = a2a_op_copy(r->ctx, r->tp, &v, x);
    }
    if (st == A2A_OK) st = conv(r, &out, &pad, d->samp_w, d->samp_b, 2, 0);
    if (st == A2A_OK) settle(r, &out);
    return st;
}

/* GroupNorm + SiLU of cur into a temporary above it, then conv3x3 into dst (outside the
   arena, or allocated by the caller above cur). */
static a2a_status step_out(vrun *r, a2a_tensor *dst, const a2a_tensor *nw, const a2a_tensor *nb, const a2a_tensor *w,
                           const a2a_tensor *b) {
    const a2a_tensor *x = &r->cur;
    a2a_tensor t;
    a2a_status st = new4(r, &t, x->ne[0], x->ne[1], x->ne[2], x->ne[3]);
    if (st != A2A_OK || r->dry) return st;
    if ((st = a2a_op_group_norm(r->ctx, r->tp, &t, x, r->groups, nw, nb, VAE_EPS))) return st;
    if ((st = a2a_op_silu(r->ctx, r->tp, &t, &t))) return st;
    return conv(r, dst, &t, w, b, 1, 1);
}

/* Whole decoder from r->cur (the latent) into img. */
static a2a_status decode_walk(vrun *r, const a2a_vae *m, a2a_tensor *img) {
    const int nb = m->cfg.n_blocks;
    a2a_status st = A2A_OK;
    if (m->pq_w) st = step_conv(r, m->pq_w, m->pq_b, 0);
    if (st == A2A_OK) st = step_conv(r, m->dec_in_w, m->dec_in_b, 1);
    if (st == A2A_OK) st = run_mid(r, &m->dec_mid);
    for (int i = 0; i < nb && st == A2A_OK; i++) {
        const vae_level *u = &m->up[i];
        for (int j = 0; j < u->n_res && st == A2A_OK; j++) st = step_resnet(r, &u->res[j]);
        if (st == A2A_OK && u->samp_w) st = step_up(r, u);
    }
    if (st == A2A_OK) st = step_out(r, img, m->dec_norm_w, m->dec_norm_b, m->dec_out_w, m->dec_out_b);
    return st;
}

/* Whole encoder from r->cur (the image) into the moments [w, h, 2L, N] (allocated above cur;
   *moments set). */
static a2a_status encode_walk(vrun *r, const a2a_vae *m, a2a_tensor *moments) {
    const int nb = m->cfg.n_blocks, L2 = 2 * m->cfg.latent_channels;
    a2a_status st = step_conv(r, m->enc_in_w, m->enc_in_b, 1);
    for (int i = 0; i < nb && st == A2A_OK; i++) {
        const vae_level *d = &m->down[i];
        for (int j = 0; j < d->n_res && st == A2A_OK; j++) st = step_resnet(r, &d->res[j]);
        if (st == A2A_OK && d->samp_w) st = step_down(r, d);
    }
    if (st == A2A_OK) st = run_mid(r, &m->enc_mid);
    a2a_tensor h;
    const int64_t W = r->cur.ne[0], H = r->cur.ne[1], N = r->cur.ne[3];
    if (st == A2A_OK) st = new4(r, &h, W, H, L2, N);
    if (st == A2A_OK) {
        const size_t top = a2a_arena_mark(r->a);
        st = step_out(r, &h, m->enc_norm_w, m->enc_norm_b, m->enc_out_w, m->enc_out_b);
        a2a_arena_rewind(r->a, top);
    }
    if (st == A2A_OK && m->quant_w) {
        a2a_tensor q;
        st = new4(r, &q, W, H, L2, N);
        if (st == A2A_OK) st = conv(r, &q, &h, m->quant_w, m->quant_b, 1, 0);
        h = q;
    }
    *moments = h;
    return st;
}

/* Run walk twice: measuring, then for real in an arena of the measured size. decode selects
   the walk; out is img (decode) or receives the moments (encode, copied out by the caller
   through split). */
static a2a_status split_moments(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *mo, int L, a2a_tensor *mean,
                                a2a_tensor *logvar) {
    const int64_t W = mo->ne[0], H = mo->ne[1], N = mo->ne[3];
    a2a_tensor mv = a2a_tensor_view(mo, 4, (int64_t[4]){W, H, L, N}, (int64_t[4]){0, 0, 0, 0});
    a2a_status st = a2a_op_copy(ctx, tp, mean, &mv);
    if (st != A2A_OK || !logvar) return st;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < L; c++)
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++) {
                    float v = *(const float *)a2a_tensor_ptr(mo, x, y, L + c, n, 0);
                    v = v < -30.0f ? -30.0f : v > 20.0f ? 20.0f : v; /* torch.clamp keeps NaN */
                    *(float *)a2a_tensor_ptr(logvar, x, y, c, n, 0) = v;
                }
    return A2A_OK;
}

/* Batch item n of a 4-D tensor as a [.., .., .., 1] view. */
static a2a_tensor item(const a2a_tensor *t, int64_t n) {
    a2a_tensor v = *t;
    v.n_dims = 4;
    v.ne[3] = 1;
    if (n > 0) v.data = (char *)t->data + (size_t)n * t->nb[3];
    return v;
}

/* Plan with a dry run on one batch item, then run every item in turn in one arena of the
   measured size (diffusers' use_slicing: identical results, memory of a single item).
   decode selects the walk; img (decode) or mean/logvar (encode) receive the results. With
   bytes_out, only the plan is made and its size stored. */
static a2a_status run_plan(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *m, const a2a_tensor *in, bool decode,
                           a2a_tensor *img, a2a_tensor *mean, a2a_tensor *logvar, size_t *bytes_out) {
    a2a_arena meas;
    a2a_arena_init_measure(&meas);
    a2a_tensor x0 = item(in, 0), o0 = decode ? item(img, 0) : x0, mo;
    vrun r = {ctx, tp, &meas, true, m->cfg.norm_num_groups, 0, x0};
    a2a_status st = decode ? decode_walk(&r, m, &o0) : encode_walk(&r, m, &mo);
    if (st != A2A_OK) return st;
    if (bytes_out) {
        *bytes_out = meas.peak;
        return A2A_OK;
    }
    a2a_arena a;
    if ((st = a2a_arena_init(ctx, &a, meas.peak ? meas.peak : 1)) != A2A_OK) {
        a2a_error_prefix(ctx, "vae: activations need %zu bytes", meas.peak);
        return st;
    }
    for (int64_t n = 0; n < in->ne[3] && st == A2A_OK; n++) {
        a2a_arena_reset(&a);
        r = (vrun){ctx, tp, &a, false, m->cfg.norm_num_groups, 0, item(in, n)};
        if (decode) {
            a2a_tensor on = item(img, n);
            st = decode_walk(&r, m, &on);
        } else {
            a2a_tensor mn = item(mean, n), ln;
            if (logvar) ln = item(logvar, n);
            st = encode_walk(&r, m, &mo);
            if (st == A2A_OK) st = split_moments(ctx, tp, &mo, m->cfg.latent_channels, &mn, logvar ? &ln : NULL);
        }
    }
    a2a_arena_free(&a);
    return st;
}

/* Shape checks shared by decode/encode and the byte planners. */
static a2a_status check_decode(a2a_ctx *ctx, const a2a_vae *m, int64_t w, int64_t h, int64_t n) {
    const int64_t f = a2a_vae_downscale(m);
    if (w < 1 || h < 1 || n < 1 || w > A2A_VAE_MAX_SIDE / f || h > A2A_VAE_MAX_SIDE / f || n > 4096)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vae: latent %lld x %lld x batch %lld out of range (image side <= %d)",
                        (long long)w, (long long)h, (long long)n, A2A_VAE_MAX_SIDE);
    return A2A_OK;
}

static a2a_status check_encode(a2a_ctx *ctx, const a2a_vae *m, int64_t w, int64_t h, int64_t n) {
    const int64_t f = a2a_vae_downscale(m);
    if (!m->has_enc) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae: the model file has no encoder");
    if (w < f || h < f || n < 1 || w > A2A_VAE_MAX_SIDE || h > A2A_VAE_MAX_SIDE || n > 4096)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vae: image %lld x %lld x batch %lld out of range (%lld..%d per side)",
                        (long long)w, (long long)h, (long long)n, (long long)f, A2A_VAE_MAX_SIDE);
    return A2A_OK;
}

/* Latent side of an image side: each stride-2 conv with (0, 1) padding maps s -> floor(s / 2). */
static int64_t enc_side(const a2a_vae *m, int64_t s) {
    for (int i = 0; i < m->cfg.n_blocks - 1; i++) s /= 2;
    return s;
}

/* A model with the shapes of config c and no weights (tensor headers with data NULL): enough
   for the dry runs, which read only shapes. Caller frees with free(). */
typedef struct vae_skeleton {
    a2a_vae m;
    a2a_tensor pool[8 + 2 * A2A_VAE_MAX_BLOCKS * (A2A_VAE_MAX_LAYERS + 3)];
    int used;
} vae_skeleton;

static const a2a_tensor *fake(vae_skeleton *s, int64_t k, int64_t cin, int64_t cout) {
    A2A_ASSERT(s->used < (int)(sizeof s->pool / sizeof s->pool[0]));
    a2a_tensor *t = &s->pool[s->used++];
    a2a_tensor_init(t, A2A_TYPE_F32, 4, (int64_t[4]){k, k, cin, cout}, NULL);
    return t;
}

static void fake_resnet(vae_skeleton *s, a2a_resnet2d *r, int64_t cin, int64_t cout, int groups) {
    memset(r, 0, sizeof *r);
    r->c_in = cin;
    r->c_out = cout;
    r->groups = r->groups_out = groups;
    r->eps = VAE_EPS;
    r->output_scale_factor = 1.0f;
    if (cin != cout) r->short_w = fake(s, 1, cin, cout);
}

static vae_skeleton *skeleton_new(const a2a_vae_config *c) {
    if (check_config(NULL, c) != A2A_OK) return NULL;
    vae_skeleton *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    a2a_vae *m = &s->m;
    m->cfg = *c;
    m->has_enc = true;
    const int nb = c->n_blocks, G = c->norm_num_groups, L = c->latent_channels;
    const int64_t C0 = c->block_out_channels[0], CL = c->block_out_channels[nb - 1];
    if (c->use_post_quant_conv) m->pq_w = fake(s, 1, L, L);
    if (c->use_quant_conv) m->quant_w = fake(s, 1, 2 * L, 2 * L);
    m->dec_in_w = fake(s, 3, L, CL);
    m->enc_in_w = fake(s, 3, c->in_channels, C0);
    m->dec_out_w = fake(s, 3, C0, c->out_channels);
    m->enc_out_w = fake(s, 3, CL, 2 * L);
    vae_mid *mids[2] = {&m->dec_mid, &m->enc_mid};
    for (int k = 0; k < 2; k++) {
        fake_resnet(s, &mids[k]->res[0], CL, CL, G);
        fake_resnet(s, &mids[k]->res[1], CL, CL, G);
        mids[k]->has_attn = c->mid_block_add_attention;
    }
    int64_t prev = CL;
    for (int i = 0; i < nb; i++) {
        const int64_t co = c->block_out_channels[nb - 1 - i];
        m->up[i].n_res = c->layers_per_block + 1;
        for (int j = 0; j < m->up[i].n_res; j++) fake_resnet(s, &m->up[i].res[j], j == 0 ? prev : co, co, G);
        if (i < nb - 1) m->up[i].samp_w = fake(s, 3, co, co);
        prev = co;
    }
    prev = C0;
    for (int i = 0; i < nb; i++) {
        const int64_t co = c->block_out_channels[i];
        m->down[i].n_res = c->layers_per_block;
        for (int j = 0; j < m->down[i].n_res; j++) fake_resnet(s, &m->down[i].res[j], j == 0 ? prev : co, co, G);
        if (i < nb - 1) m->down[i].samp_w = fake(s, 3, co, co);
        prev = co;
    }
    return s;
}

size_t a2a_vae_config_decode_bytes(const a2a_vae_config *cfg, int64_t lat_w, int64_t lat_h, int64_t n) {
    vae_skeleton *s = skeleton_new(cfg);
    size_t b = s ? a2a_vae_decode_bytes(&s->m, lat_w, lat_h, n) : 0;
    free(s);
    return b;
}

size_t a2a_vae_config_encode_bytes(const a2a_vae_config *cfg, int64_t w, int64_t h, int64_t n) {
    vae_skeleton *s = skeleton_new(cfg);
    size_t b = s ? a2a_vae_encode_bytes(&s->m, w, h, n) : 0;
    free(s);
    return b;
}

size_t a2a_vae_decode_bytes(const a2a_vae *vae, int64_t lat_w, int64_t lat_h, int64_t n) {
    if (check_decode(NULL, vae, lat_w, lat_h, n) != A2A_OK) return 0;
    const int64_t f = a2a_vae_downscale(vae);
    a2a_tensor z, img;
    a2a_tensor_init(&z, A2A_TYPE_F32, 4, (int64_t[4]){lat_w, lat_h, vae->cfg.latent_channels, n}, NULL);
    a2a_tensor_init(&img, A2A_TYPE_F32, 4, (int64_t[4]){lat_w * f, lat_h * f, vae->cfg.out_channels, n}, NULL);
    size_t b = 0;
    return run_plan(NULL, NULL, vae, &z, true, &img, NULL, NULL, &b) == A2A_OK ? b : 0;
}

size_t a2a_vae_encode_bytes(const a2a_vae *vae, int64_t w, int64_t h, int64_t n) {
    if (check_encode(NULL, vae, w, h, n) != A2A_OK) return 0;
    a2a_tensor x;
    a2a_tensor_init(&x, A2A_TYPE_F32, 4, (int64_t[4]){w, h, vae->cfg.in_channels, n}, NULL);
    size_t b = 0;
    return run_plan(NULL, NULL, vae, &x, false, NULL, NULL, NULL, &b) == A2A_OK ? b : 0;
}

static int64_t batch_of(const a2a_tensor *t) { return t->n_dims >= 4 ? t->ne[3] : 1; }

static bool fits4(const a2a_tensor *t, int64_t W, int64_t H, int64_t C, int64_t N) {
    return t->type == A2A_TYPE_F32 && t->ne[0] == W && t->ne[1] == H && t->ne[2] == C && t->ne[3] == N &&
           t->ne[4] == 1;
}

a2a_status a2a_vae_decode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *z, a2a_tensor *img) {
    const a2a_vae_config *c = &vae->cfg;
    char a[96], b[96];
    if (z->type != A2A_TYPE_F32 || z->ne[2] != c->latent_channels || z->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae decode: latent %s %s, expected F32 [w, h, %d, n]",
                        a2a_type_name(z->type), a2a_tensor_shape_str(z, a, sizeof a), c->latent_channels);
    const int64_t N = batch_of(z), f = a2a_vae_downscale(vae);
    a2a_status st = check_decode(ctx, vae, z->ne[0], z->ne[1], N);
    if (st != A2A_OK) return st;
    if (!fits4(img, z->ne[0] * f, z->ne[1] * f, c->out_channels, N))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae decode: image %s for latent %s, expected F32 [%lld, %lld, %d, %lld]",
                        a2a_tensor_shape_str(img, a, sizeof a), a2a_tensor_shape_str(z, b, sizeof b),
                        (long long)(z->ne[0] * f), (long long)(z->ne[1] * f), c->out_channels, (long long)N);
    a2a_tensor dst = *img;
    dst.n_dims = 4;
    return run_plan(ctx, tp, vae, z, true, &dst, NULL, NULL, NULL);
}

a2a_vae_tile_params a2a_vae_tile_default_params(void) {
    a2a_vae_tile_params p = {0, 0.25f};
    return p;
}

/* Blend the last `e` rows (dim 1, vertical) or columns (dim 0) of tile a into the first of
   tile b, as diffusers' blend_v / blend_h: b[k] = a[end - e + k] * (1 - k/e) + b[k] * (k/e). */
static void blend(const a2a_tensor *a, a2a_tensor *b, int dim, int64_t extent) {
    int64_t e = A2A_MIN(A2A_MIN(a->ne[dim], b->ne[dim]), extent);
    for (int64_t k = 0; k < e; k++) {
        const float w1 = (float)(1.0 - (double)k / (double)e), w2 = (float)((double)k / (double)e);
        const int64_t ka = a->ne[dim] - e + k;
        for (int64_t n = 0; n < b->ne[3]; n++)
            for (int64_t c = 0; c < b->ne[2]; c++) {
                if (dim == 1) {
                    const float *ra = (const float *)a2a_tensor_ptr(a, 0, ka, c, n, 0);
                    float *rb = (float *)a2a_tensor_ptr(b, 0, k, c, n, 0);
                    for (int64_t x = 0; x < b->ne[0]; x++) {
                        float t1 = ra[x] * w1, t2 = rb[x] * w2;
                        rb[x] = t1 + t2;
                    }
                } else {
                    for (int64_t y = 0; y < b->ne[1]; y++) {
                        const float va = *(const float *)a2a_tensor_ptr(a, ka, y, c, n, 0);
                        float *vb = (float *)a2a_tensor_ptr(b, k, y, c, n, 0);
                        float t1 = va * w1, t2 = *vb * w2;
                        *vb = t1 + t2;
                    }
                }
            }
    }
}

a2a_status a2a_vae_decode_tiled(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *z,
                                a2a_tensor *img, const a2a_vae_tile_params *pp) {
    const a2a_vae_tile_params p = pp ? *pp : a2a_vae_tile_default_params();
    const int64_t f = a2a_vae_downscale(vae);
    const int64_t ts = p.tile_sample_size > 0 ? p.tile_sample_size : vae->cfg.sample_size;
    if (!(p.overlap >= 0.0f && p.overlap < 1.0f) || ts < f || ts > A2A_VAE_MAX_SIDE)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "vae tiled decode: tile size %lld (>= %lld) / overlap %g (in [0, 1)) invalid",
                        (long long)ts, (long long)f, (double)p.overlap);
    /* diffusers' arithmetic (Python floats, int() truncation) */
    const int64_t tl = (int64_t)((double)ts / (double)f);
    const int64_t ov = (int64_t)((double)tl * (1.0 - (double)p.overlap));
    const int64_t be = (int64_t)((double)ts * (double)p.overlap), rl = ts - be;
    const int64_t W = z->ne[0], H = z->ne[1];
    if (W <= tl && H <= tl) return a2a_vae_decode(ctx, tp, vae, z, img);
    if (ov < 1 || rl != ov * f)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "vae tiled decode: tile size %lld with overlap %g gives a stride of %lld latents but keeps %lld pixels",
                        (long long)ts, (double)p.overlap, (long long)ov, (long long)rl);
    if (z->type != A2A_TYPE_F32 || z->ne[2] != vae->cfg.latent_channels || z->ne[4] != 1)
        return a2a_vae_decode(ctx, tp, vae, z, img); /* reports the shape error */
    const int64_t N = batch_of(z), C = vae->cfg.out_channels;
    a2a_status st = check_decode(ctx, vae, W, H, N);
    if (st != A2A_OK) return st;
    if (!fits4(img, W * f, H * f, C, N)) {
        char a[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae tiled decode: image %s, expected F32 [%lld, %lld, %lld, %lld]",
                        a2a_tensor_shape_str(img, a, sizeof a), (long long)(W * f), (long long)(H * f), (long long)C,
                        (long long)N);
    }
    const int64_t nI = (H + ov - 1) / ov, nJ = (W + ov - 1) / ov;
    a2a_tensor *tiles = calloc((size_t)(nI * nJ), sizeof *tiles);
    size_t total = 0;
    for (int64_t i = 0; i < nI && tiles; i++)
        for (int64_t j = 0; j < nJ; j++) {
            const int64_t th = A2A_MIN(tl, H - i * ov), tw = A2A_MIN(tl, W - j * ov);
            total += (size_t)(tw * f) * (size_t)(th * f) * (size_t)C * (size_t)N;
        }
    float *buf = tiles ? malloc((total ? total : 1) * sizeof(float)) : NULL;
    if (!buf) {
        free(tiles);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "vae tiled decode: cannot allocate %zu tile floats", total);
    }
    a2a_tensor zn = *z;
    zn.n_dims = 4;
    size_t off = 0;
    for (int64_t i = 0; i < nI && st == A2A_OK; i++)
        for (int64_t j = 0; j < nJ && st == A2A_OK; j++) {
            const int64_t th = A2A_MIN(tl, H - i * ov), tw = A2A_MIN(tl, W - j * ov);
            a2a_tensor *t = &tiles[i * nJ + j];
            a2a_tensor_init(t, A2A_TYPE_F32, 4, (int64_t[4]){tw * f, th * f, C, N}, buf + off);
            t->n_dims = 4;
            off += (size_t)a2a_tensor_nelements(t);
            a2a_tensor zt = a2a_tensor_view(&zn, 4, (int64_t[4]){tw, th, zn.ne[2], N}, (int64_t[4]){j * ov, i * ov, 0, 0});
            st = a2a_vae_decode(ctx, tp, vae, &zt, t);
        }
    /* blend in raster order, in place (as diffusers does), then crop to rl x rl into img */
    for (int64_t i = 0; i < nI && st == A2A_OK; i++)
        for (int64_t j = 0; j < nJ; j++) {
            a2a_tensor *t = &tiles[i * nJ + j];
            if (i > 0) blend(&tiles[(i - 1) * nJ + j], t, 1, be);
            if (j > 0) blend(&tiles[i * nJ + j - 1], t, 0, be);
            const int64_t cw = A2A_MIN(rl, t->ne[0]), ch = A2A_MIN(rl, t->ne[1]);
            a2a_tensor src = a2a_tensor_view(t, 4, (int64_t[4]){cw, ch, C, N}, (int64_t[4]){0, 0, 0, 0});
            a2a_tensor dv = *img;
            dv.n_dims = 4;
            a2a_tensor dst = a2a_tensor_view(&dv, 4, (int64_t[4]){cw, ch, C, N}, (int64_t[4]){j * rl, i * rl, 0, 0});
            st = a2a_op_copy(ctx, tp, &dst, &src);
            if (st != A2A_OK) break;
        }
    free(buf);
    free(tiles);
    return st;
}

a2a_status a2a_vae_encode(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_vae *vae, const a2a_tensor *img,
                          a2a_tensor *mean, a2a_tensor *logvar) {
    const a2a_vae_config *c = &vae->cfg;
    char a[96], b[96];
    if (img->type != A2A_TYPE_F32 || img->ne[2] != c->in_channels || img->ne[4] != 1)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae encode: image %s %s, expected F32 [w, h, %d, n]",
                        a2a_type_name(img->type), a2a_tensor_shape_str(img, a, sizeof a), c->in_channels);
    const int64_t N = batch_of(img);
    a2a_status st = check_encode(ctx, vae, img->ne[0], img->ne[1], N);
    if (st != A2A_OK) return st;
    const int64_t lw = enc_side(vae, img->ne[0]), lh = enc_side(vae, img->ne[1]);
    if (!fits4(mean, lw, lh, c->latent_channels, N) || (logvar && !fits4(logvar, lw, lh, c->latent_channels, N)))
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae encode: mean %s / logvar %s, expected F32 [%lld, %lld, %d, %lld]",
                        a2a_tensor_shape_str(mean, a, sizeof a), logvar ? a2a_tensor_shape_str(logvar, b, sizeof b) : "-",
                        (long long)lw, (long long)lh, c->latent_channels, (long long)N);
    a2a_tensor mv = *mean, lv;
    mv.n_dims = 4;
    if (logvar) {
        lv = *logvar;
        lv.n_dims = 4;
    }
    return run_plan(ctx, tp, vae, img, false, NULL, &mv, logvar ? &lv : NULL, NULL);
}

a2a_status a2a_vae_sample(a2a_ctx *ctx, a2a_tensor *dst, const a2a_tensor *mean, const a2a_tensor *logvar,
                          const a2a_tensor *noise) {
    if (dst->type != A2A_TYPE_F32 || mean->type != A2A_TYPE_F32 || logvar->type != A2A_TYPE_F32 ||
        noise->type != A2A_TYPE_F32 || !a2a_tensor_same_shape(dst, mean) || !a2a_tensor_same_shape(dst, logvar) ||
        !a2a_tensor_same_shape(dst, noise)) {
        char a[96], b[96], c[96];
        return a2a_fail(ctx, A2A_ERR_SHAPE, "vae sample: mean %s, logvar %s, noise %s must be F32 of one shape",
                        a2a_tensor_shape_str(mean, a, sizeof a), a2a_tensor_shape_str(logvar, b, sizeof b),
                        a2a_tensor_shape_str(noise, c, sizeof c));
    }
    for (int64_t i4 = 0; i4 < dst->ne[4]; i4++)
        for (int64_t i3 = 0; i3 < dst->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < dst->ne[2]; i2++)
                for (int64_t i1 = 0; i1 < dst->ne[1]; i1++)
                    for (int64_t i0 = 0; i0 < dst->ne[0]; i0++) {
                        float mu = *(const float *)a2a_tensor_ptr(mean, i0, i1, i2, i3, i4);
                        float lv = *(const float *)a2a_tensor_ptr(logvar, i0, i1, i2, i3, i4);
                        float e = *(const float *)a2a_tensor_ptr(noise, i0, i1, i2, i3, i4);
                        float sd = expf(0.5f * lv);
                        *(float *)a2a_tensor_ptr(dst, i0, i1, i2, i3, i4) = mu + sd * e;
                    }
    return A2A_OK;
}

/* ======================================================================== converter */

a2a_vae_convert_params a2a_vae_convert_default_params(void) {
    a2a_vae_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL};
    return p;
}

/* Read config.json into c (validating what AutoencoderKL features we implement). */
static a2a_status read_hf_config(a2a_ctx *ctx, const char *path, a2a_vae_config *c) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    memset(c, 0, sizeof *c);
    int64_t boc[A2A_VAE_MAX_BLOCKS + 1];
    const char *cls = a2a_json_str_or(a2a_json_get(root, "_class_name"), "AutoencoderKL");
    const char *act = a2a_json_str_or(a2a_json_get(root, "act_fn"), "silu");
    int64_t nb = a2a_json_ints(a2a_json_get(root, "block_out_channels"), boc, A2A_VAE_MAX_BLOCKS + 1);
    if (!a2a_json_is_object(root)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "vae convert: %s is not a JSON object", path);
    } else if (strcmp(cls, "AutoencoderKL") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: _class_name '%s' (only AutoencoderKL)", cls);
    } else if (strcmp(act, "silu") != 0) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: act_fn '%s' (only silu)", act);
    } else if (nb < 1 || nb > A2A_VAE_MAX_BLOCKS) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "vae convert: block_out_channels missing or with %lld entries (1..%d)",
                      (long long)nb, A2A_VAE_MAX_BLOCKS);
    }
    const char *kinds[2] = {"down_block_types", "up_block_types"};
    const char *want[2] = {"DownEncoderBlock2D", "UpDecoderBlock2D"};
    for (int k = 0; k < 2 && st == A2A_OK; k++) {
        const a2a_json_value *arr = a2a_json_get(root, kinds[k]);
        if (!arr) continue; /* diffusers' default is one block of each; sizes come from block_out_channels */
        if ((int64_t)a2a_json_len(arr) != nb) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "vae convert: %s has %zu entries, block_out_channels %lld", kinds[k],
                          a2a_json_len(arr), (long long)nb);
            break;
        }
        for (size_t i = 0; i < a2a_json_len(arr); i++) {
            const char *t = a2a_json_str_or(a2a_json_at(arr, i), "");
            if (strcmp(t, want[k]) != 0) {
                st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: %s[%zu] = '%s' (only %s)", kinds[k], i, t, want[k]);
                break;
            }
        }
    }
    if (st == A2A_OK) {
        c->n_blocks = (int)nb;
        for (int i = 0; i < nb; i++) c->block_out_channels[i] = boc[i] > VAE_MAX_CH || boc[i] < 1 ? -1 : (int)boc[i];
        int64_t v[6] = {
            a2a_json_int_or(a2a_json_get(root, "in_channels"), 3),
            a2a_json_int_or(a2a_json_get(root, "out_channels"), 3),
            a2a_json_int_or(a2a_json_get(root, "latent_channels"), 4),
            a2a_json_int_or(a2a_json_get(root, "layers_per_block"), 1),
            a2a_json_int_or(a2a_json_get(root, "norm_num_groups"), 32),
            /* sample_size may be [h, w]: diffusers then uses the first */
            a2a_json_int_or(a2a_json_is_array(a2a_json_get(root, "sample_size"))
                                ? a2a_json_at(a2a_json_get(root, "sample_size"), 0)
                                : a2a_json_get(root, "sample_size"),
                            32),
        };
        for (int i = 0; i < 6; i++)
            if (v[i] < 0 || v[i] > VAE_MAX_CH) v[i] = -1;
        c->in_channels = (int)v[0];
        c->out_channels = (int)v[1];
        c->latent_channels = (int)v[2];
        c->layers_per_block = (int)v[3];
        c->norm_num_groups = (int)v[4];
        c->sample_size = (int)v[5];
        const a2a_json_value *sf = a2a_json_get(root, "scaling_factor"), *sh = a2a_json_get(root, "shift_factor");
        c->scaling_factor = (float)a2a_json_num_or(sf, 0.18215);
        c->shift_factor = (float)a2a_json_num_or(sh, 0.0);
        c->mid_block_add_attention = a2a_json_bool_or(a2a_json_get(root, "mid_block_add_attention"), true);
        c->use_quant_conv = a2a_json_bool_or(a2a_json_get(root, "use_quant_conv"), true);
        c->use_post_quant_conv = a2a_json_bool_or(a2a_json_get(root, "use_post_quant_conv"), true);
        st = check_config(ctx, c);
        if (st != A2A_OK) a2a_error_prefix(ctx, "%s", path);
    }
    a2a_json_free(doc);
    return st;
}

/* diffusers name of a tensor of an old checkpoint (attention query/key/value/proj_attn). */
static void modern_name(const char *in, char *out, size_t cap) {
    static const char *from[4] = {".query.", ".key.", ".value.", ".proj_attn."};
    static const char *to[4] = {".to_q.", ".to_k.", ".to_v.", ".to_out.0."};
    snprintf(out, cap, "%s", in);
    if (!strstr(in, ".attentions.")) return;
    for (int i = 0; i < 4; i++) {
        const char *p = strstr(in, from[i]);
        if (p) {
            snprintf(out, cap, "%.*s%s%s", (int)(p - in), in, to[i], p + strlen(from[i]));
            return;
        }
    }
}

a2a_status a2a_vae_convert_add(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const char *prefix,
                               const a2a_vae_convert_params *pp) {
    if (!prefix) prefix = "";
    a2a_vae_convert_params p = pp ? *pp : a2a_vae_convert_default_params();
    if (!(p.conv_type == A2A_TYPE_F32 || p.conv_type == A2A_TYPE_F16))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: conv weights as %s (F32 or F16)", a2a_type_name(p.conv_type));
    if (!(p.attn_type == A2A_TYPE_F32 || p.attn_type == A2A_TYPE_F16 || p.attn_type == A2A_TYPE_Q8_0))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: attention weights as %s (F32, F16 or Q8_0)",
                        a2a_type_name(p.attn_type));
    char path[4096];
    a2a_vae_config c;
    a2a_status st;
    if ((st = a2a_hf_config_path(ctx, src_dir, "vae", path, sizeof path)) != A2A_OK) return st;
    st = read_hf_config(ctx, path, &c);
    if (st != A2A_OK) return st;
    a2a_weights *wf = NULL;
    static const char *const cands[2] = {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"};
    if ((st = a2a_hf_open_weights(ctx, src_dir, cands, 2, "vae", &wf)) != A2A_OK) return st;
    if (!wf) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "vae convert: no diffusion_pytorch_model.safetensors/.bin in %s", src_dir);

    const int64_t n = a2a_weights_n_tensors(wf);
    int32_t boc[A2A_VAE_MAX_BLOCKS];
    for (int i = 0; i < c.n_blocks; i++) boc[i] = c.block_out_channels[i];
    if ((st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".in_channels", (uint32_t)c.in_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".out_channels", (uint32_t)c.out_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".latent_channels", (uint32_t)c.latent_channels)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".layers_per_block", (uint32_t)c.layers_per_block)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".norm_num_groups", (uint32_t)c.norm_num_groups)) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, VAE_ARCH ".sample_size", (uint32_t)c.sample_size)) ||
        (st = a2a_gguf_writer_set_arr(ctx, w, VAE_ARCH ".block_out_channels", A2A_GGUF_INT32, boc,
                                      (uint64_t)c.n_blocks)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, VAE_ARCH ".scaling_factor", c.scaling_factor)) ||
        (st = a2a_gguf_writer_set_f32(ctx, w, VAE_ARCH ".shift_factor", c.shift_factor)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, VAE_ARCH ".mid_block_add_attention", c.mid_block_add_attention)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, VAE_ARCH ".use_quant_conv", c.use_quant_conv)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, VAE_ARCH ".use_post_quant_conv", c.use_post_quant_conv)))
        goto done;
    for (int64_t i = 0; i < n; i++) {
        const a2a_tensor *t = a2a_weights_tensor(wf, i);
        char base[256], name[512];
        modern_name(t->name, base, sizeof base);
        snprintf(name, sizeof name, "%s%s", prefix, base);
        if (strlen(name) >= VAE_NAME_MAX + strlen(prefix)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: tensor name '%s' is %zu bytes (at most %d)", base,
                          strlen(base), VAE_NAME_MAX - 1);
            goto done;
        }
        if (!(t->type == A2A_TYPE_F32 || t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "vae convert: tensor %s has type %s (float types only)", t->name,
                          a2a_type_name(t->type));
            goto done;
        }
        a2a_tensor src = *t;
        int nd = t->n_dims;
        int64_t ne[A2A_MAX_DIMS];
        for (int d = 0; d < A2A_MAX_DIMS; d++) ne[d] = t->ne[d];
        const bool attn = strstr(base, ".attentions.") != NULL && !strstr(base, "group_norm");
        if (attn && nd == 4 && ne[0] == 1 && ne[1] == 1) { /* 1x1 conv form of a linear */
            ne[0] = t->ne[2];
            ne[1] = t->ne[3];
            ne[2] = ne[3] = 1;
            nd = 2;
            if (!a2a_tensor_is_contiguous(t)) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "vae convert: tensor %s is not contiguous", t->name);
                goto done;
            }
            src = a2a_tensor_reshape(t, 2, ne);
        }
        a2a_type dt = A2A_TYPE_F32;
        if (nd >= 2) dt = attn ? p.attn_type : p.conv_type;
        if (ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        src.name = t->name;
        /* always a copy the writer keeps: the source file is closed before w is written */
        if ((st = a2a_convert_tensor_keep(ctx, p.tp, w, &src, dt, name, nd, ne, "vae"))) goto done;
        if (p.progress && p.progress(i + 1, n, name, p.user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "vae convert: cancelled");
            goto done;
        }
    }
done:
    a2a_weights_close(wf);
    return st;
}

static a2a_status convert_add_file(a2a_ctx *ctx, a2a_gguf_writer *w, const char *src_dir, const void *p) {
    return a2a_vae_convert_add(ctx, w, src_dir, "", p);
}

static a2a_status convert_check_file(a2a_ctx *ctx, const char *path) {
    a2a_vae *m;
    a2a_status st = a2a_vae_load(ctx, path, &m);
    if (st == A2A_OK) a2a_vae_free(m);
    return st;
}

a2a_status a2a_vae_convert(a2a_ctx *ctx, const char *src_dir, const char *out_gguf, const a2a_vae_convert_params *p) {
    return a2a_hf_convert_file(ctx, "vae convert", VAE_ARCH, "AutoencoderKL", src_dir, out_gguf, convert_add_file, p,
                               convert_check_file);
}
