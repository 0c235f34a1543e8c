/* ImageBind encoder: vision, audio and text towers (see imagebind.h). */
#include "models/encoders/imagebind.h"
#include "io/gguf.h"
#include "kernels/conv.h"
#include "kernels/ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MOD_NAME[A2A_IMAGEBIND_N_MODALITIES] = {"vision", "audio", "text"};

/* Contract in imagebind.h. */
const char *a2a_imagebind_modality_name(int modality) {
    return modality >= 0 && modality < A2A_IMAGEBIND_N_MODALITIES ? MOD_NAME[modality] : "?";
}

/* Patch grid of the vision stem (16 x 16 x 1) and of the audio stem (19 x 12). */
#define VIS_GRID (A2A_IMAGEBIND_IMAGE_SIZE / A2A_IMAGEBIND_PATCH)
#define AUD_W ((A2A_IMAGEBIND_AUDIO_FRAMES - A2A_IMAGEBIND_AUDIO_KERNEL) / A2A_IMAGEBIND_AUDIO_STRIDE + 1)
#define AUD_H ((A2A_IMAGEBIND_MEL_BINS - A2A_IMAGEBIND_AUDIO_KERNEL) / A2A_IMAGEBIND_AUDIO_STRIDE + 1)

/* Tokens per clip/sequence of a modality (cls + patches, or the text context). */
static int64_t tower_tokens(a2a_imagebind_modality mod) {
    switch (mod) {
    case A2A_IMAGEBIND_VISION: return 1 + (int64_t)VIS_GRID * VIS_GRID;
    case A2A_IMAGEBIND_AUDIO: return 1 + (int64_t)AUD_W * AUD_H;
    default: return A2A_IMAGEBIND_CONTEXT;
    }
}

/* Append one spec (when specs is not NULL) and return the new count. */
static int add_spec(a2a_imagebind_spec *specs, int n, a2a_imagebind_kind kind, int n_dims, int64_t ne0, int64_t ne1,
                    int64_t ne2, int64_t ne3, int64_t ne4, const char *fmt, ...) __attribute__((format(printf, 10, 11)));
static int add_spec(a2a_imagebind_spec *specs, int n, a2a_imagebind_kind kind, int n_dims, int64_t ne0, int64_t ne1,
                    int64_t ne2, int64_t ne3, int64_t ne4, const char *fmt, ...) {
    if (specs) {
        a2a_imagebind_spec *s = &specs[n];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->name, sizeof s->name, fmt, ap);
        va_end(ap);
        s->kind = kind;
        s->n_dims = n_dims;
        const int64_t ne[A2A_MAX_DIMS] = {ne0, ne1, ne2, ne3, ne4};
        for (int i = 0; i < A2A_MAX_DIMS; i++) s->ne[i] = i < n_dims ? ne[i] : 1;
    }
    return n + 1;
}

/* Contract in imagebind.h. */
int a2a_imagebind_specs(a2a_imagebind_modality mod, int64_t D, int n_block, int64_t out_dim, int64_t n_vocab,
                        a2a_imagebind_spec *s) {
    const char *m = a2a_imagebind_modality_name(mod);
    const int64_t N = tower_tokens(mod);
    const a2a_imagebind_kind F = A2A_IMAGEBIND_KIND_F32, MM = A2A_IMAGEBIND_KIND_MATMUL, CV = A2A_IMAGEBIND_KIND_CONV;
    int n = 0;
    if (mod == A2A_IMAGEBIND_TEXT) {
        n = add_spec(s, n, F, 3, D, N, 1, 1, 1, "modality_preprocessors.text.pos_embed");
        n = add_spec(s, n, F, 2, D, n_vocab, 1, 1, 1, "modality_preprocessors.text.token_embedding.weight");
    } else {
        n = add_spec(s, n, F, 3, D, 1, 1, 1, 1, "modality_preprocessors.%s.cls_token", m);
        if (mod == A2A_IMAGEBIND_VISION) {
            n = add_spec(s, n, CV, 5, A2A_IMAGEBIND_PATCH, A2A_IMAGEBIND_PATCH, A2A_IMAGEBIND_FRAMES, 3, D,
                         "modality_preprocessors.vision.rgbt_stem.proj.1.weight");
        } else {
            n = add_spec(s, n, CV, 4, A2A_IMAGEBIND_AUDIO_KERNEL, A2A_IMAGEBIND_AUDIO_KERNEL, 1, D, 1,
                         "modality_preprocessors.audio.rgbt_stem.proj.weight");
            n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_preprocessors.audio.rgbt_stem.norm_layer.weight");
            n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_preprocessors.audio.rgbt_stem.norm_layer.bias");
        }
        n = add_spec(s, n, F, 3, D, N, 1, 1, 1, "modality_preprocessors.%s.pos_embedding_helper.pos_embed", m);
    }
    if (mod == A2A_IMAGEBIND_VISION) {
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.vision.pre_transformer_layer.0.weight");
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.vision.pre_transformer_layer.0.bias");
    }
    for (int b = 0; b < n_block; b++) {
        n = add_spec(s, n, MM, 2, D, 3 * D, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.in_proj_weight", m, b);
        n = add_spec(s, n, F, 1, 3 * D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.in_proj_bias", m, b);
        if (mod == A2A_IMAGEBIND_AUDIO) {
            n = add_spec(s, n, F, 3, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.bias_k", m, b);
            n = add_spec(s, n, F, 3, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.bias_v", m, b);
        }
        n = add_spec(s, n, MM, 2, D, D, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.out_proj.weight", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.attn.out_proj.bias", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.norm_1.weight", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.norm_1.bias", m, b);
        n = add_spec(s, n, MM, 2, D, 4 * D, 1, 1, 1, "modality_trunks.%s.blocks.%d.mlp.fc1.weight", m, b);
        n = add_spec(s, n, F, 1, 4 * D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.mlp.fc1.bias", m, b);
        n = add_spec(s, n, MM, 2, 4 * D, D, 1, 1, 1, "modality_trunks.%s.blocks.%d.mlp.fc2.weight", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.mlp.fc2.bias", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.norm_2.weight", m, b);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_trunks.%s.blocks.%d.norm_2.bias", m, b);
    }
    if (mod == A2A_IMAGEBIND_TEXT) {
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_heads.text.proj.0.weight");
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_heads.text.proj.0.bias");
        n = add_spec(s, n, MM, 2, D, out_dim, 1, 1, 1, "modality_heads.text.proj.1.weight");
    } else {
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_heads.%s.0.weight", m);
        n = add_spec(s, n, F, 1, D, 1, 1, 1, 1, "modality_heads.%s.0.bias", m);
        n = add_spec(s, n, MM, 2, D, out_dim, 1, 1, 1, "modality_heads.%s.2.weight", m);
    }
    if (mod != A2A_IMAGEBIND_VISION)
        n = add_spec(s, n, F, 1, 1, 1, 1, 1, 1, "modality_postprocessors.%s.1.log_logit_scale", m);
    return n;
}

/* ------------------------------------------------------------------ loading */

/* Required u32 metadata key in [lo, hi]. */
static a2a_status meta_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, uint32_t lo, uint32_t hi, uint32_t *out) {
    a2a_status st = a2a_gguf_get_u32(ctx, g, key, out);
    if (st) return st;
    if (*out < lo || *out > hi)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "imagebind: %s = %u is outside %u..%u", key, *out, lo, hi);
    return A2A_OK;
}

/* Look up every tensor of one modality (shapes from its metadata) into tw. */
static a2a_status load_tower(a2a_ctx *ctx, a2a_imagebind *m, a2a_imagebind_modality mod) {
    a2a_imagebind_tower *tw = &m->tw[mod];
    const a2a_gguf *g = m->g;
    const char *nm = MOD_NAME[mod];
    char key[96];
    uint32_t D, nb, nh, nv = 0;
    snprintf(key, sizeof key, "imagebind.%s.embed_dim", nm);
    if (a2a_gguf_find_key(g, key) < 0) return A2A_OK; /* modality absent */
    a2a_status st = meta_u32(ctx, g, key, 1, 65536, &D);
    snprintf(key, sizeof key, "imagebind.%s.block_count", nm);
    if (!st) st = meta_u32(ctx, g, key, 1, 1024, &nb);
    snprintf(key, sizeof key, "imagebind.%s.head_count", nm);
    if (!st) st = meta_u32(ctx, g, key, 1, D, &nh);
    if (!st && mod == A2A_IMAGEBIND_TEXT) {
        snprintf(key, sizeof key, "imagebind.%s.vocab_size", nm);
        st = meta_u32(ctx, g, key, 1, 1u << 24, &nv);
    }
    if (st) return st;
    if (D % nh) return a2a_fail(ctx, A2A_ERR_FORMAT, "imagebind: %s width %u is not divisible by %u heads", nm, D, nh);
    tw->D = D;
    tw->n_block = (int)nb;
    tw->n_head = (int)nh;
    tw->n_tok = tower_tokens(mod);
    tw->n_vocab = nv;
    int n = a2a_imagebind_specs(mod, D, (int)nb, m->out_dim, nv, NULL);
    a2a_imagebind_spec *specs = calloc((size_t)n, sizeof *specs);
    const a2a_tensor **t = calloc((size_t)n, sizeof *t);
    tw->blocks = calloc(nb, sizeof *tw->blocks);
    if (!specs || !t || !tw->blocks) {
        free(specs);
        free(t);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind: out of memory");
    }
    a2a_imagebind_specs(mod, D, (int)nb, m->out_dim, nv, specs);
    for (int i = 0; i < n && !st; i++) {
        t[i] = a2a_nn_get(ctx, g, specs[i].name, specs[i].n_dims, specs[i].ne, true);
        if (!t[i]) {
            st = ctx && ctx->last ? ctx->last : A2A_ERR_NOT_FOUND;
            break;
        }
        /* norms, biases, embeddings, cls/pos tokens: F32 (the kernels read them as F32) */
        bool ok = specs[i].kind == A2A_IMAGEBIND_KIND_F32
                      ? (t[i]->type == A2A_TYPE_F32 ||
                         (t[i]->type == A2A_TYPE_F16 && strstr(specs[i].name, "token_embedding")))
                  : specs[i].kind == A2A_IMAGEBIND_KIND_CONV ? (t[i]->type == A2A_TYPE_F32 || t[i]->type == A2A_TYPE_F16)
                                                              : true;
        if (!ok)
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "imagebind: tensor %s has type %s, which this model cannot use",
                          specs[i].name, a2a_type_name(t[i]->type));
    }
    if (st) {
        a2a_error_prefix(ctx, "imagebind %s tower", nm);
        free(specs);
        free(t);
        return st;
    }
    /* wire the fields up in spec order (see a2a_imagebind_specs) */
    int k = 0;
    if (mod == A2A_IMAGEBIND_TEXT) {
        tw->pos = t[k++];
        tw->tok_embd = t[k++];
    } else {
        tw->cls = t[k++];
        tw->patch_w = t[k++];
        if (mod == A2A_IMAGEBIND_AUDIO) {
            tw->stem_norm_w = t[k++];
            tw->stem_norm_b = t[k++];
        }
        tw->pos = t[k++];
    }
    if (mod == A2A_IMAGEBIND_VISION) {
        tw->pre_norm_w = t[k++];
        tw->pre_norm_b = t[k++];
    }
    for (uint32_t b = 0; b < nb; b++) {
        a2a_imagebind_block *bl = &tw->blocks[b];
        bl->attn.n_head = (int)nh;
        bl->attn.scale = 0.0f;
        bl->attn.in_proj.w = t[k++];
        bl->attn.in_proj.b = t[k++];
        if (mod == A2A_IMAGEBIND_AUDIO) {
            bl->attn.bias_k = t[k++];
            bl->attn.bias_v = t[k++];
        }
        bl->attn.out.w = t[k++];
        bl->attn.out.b = t[k++];
        bl->norm1_w = t[k++];
        bl->norm1_b = t[k++];
        bl->mlp.fc1.w = t[k++];
        bl->mlp.fc1.b = t[k++];
        bl->mlp.fc2.w = t[k++];
        bl->mlp.fc2.b = t[k++];
        bl->mlp.act = A2A_NN_ACT_GELU;
        bl->norm2_w = t[k++];
        bl->norm2_b = t[k++];
    }
    tw->head_norm_w = t[k++];
    tw->head_norm_b = t[k++];
    tw->head.w = t[k++];
    tw->head.b = NULL;
    tw->logit_scale = 1.0f;
    if (mod != A2A_IMAGEBIND_VISION) {
        float lls;
        memcpy(&lls, t[k++]->data, sizeof lls);
        if (!isfinite(lls)) {
            free(specs);
            free(t);
            return a2a_fail(ctx, A2A_ERR_FORMAT, "imagebind: %s log_logit_scale is not finite", nm);
        }
        /* torch: clip(exp(x) in float32, max=100) */
        float sf = expf(lls);
        tw->logit_scale = sf > A2A_IMAGEBIND_LOGIT_SCALE_MAX ? A2A_IMAGEBIND_LOGIT_SCALE_MAX : sf;
    }
    A2A_ASSERT(k == n);
    tw->present = true;
    free(specs);
    free(t);
    return A2A_OK;
}

/* Bytes of activation memory one clip/sequence of a tower needs (see tower_embed). */
static size_t tower_arena_bytes(const a2a_imagebind_tower *tw, a2a_imagebind_modality mod, int64_t out_dim) {
    const size_t D = (size_t)tw->D, N = (size_t)tw->n_tok;
    size_t floats = 3 * D * N;                               /* x, h, a */
    size_t mha = 4 * D * (N + 1) + (N + 1) * N + 6 * D;      /* q, k, v, o (+ mask), norm params */
    size_t mlp = 4 * D * N + 2 * D;                          /* hidden */
    floats += mha > mlp ? mha : mlp;
    if (mod == A2A_IMAGEBIND_VISION)
        floats += (size_t)A2A_IMAGEBIND_IMAGE_SIZE * A2A_IMAGEBIND_IMAGE_SIZE * A2A_IMAGEBIND_FRAMES * 3 + (N - 1) * D;
    if (mod == A2A_IMAGEBIND_AUDIO) floats += (N - 1) * D;
    floats += 4 * D + 2 * (size_t)out_dim + 2 * N;           /* head vectors, ids */
    return floats * sizeof(float) + 64 * 64;                 /* alignment slack */
}

/* Contract in imagebind.h. */
a2a_status a2a_imagebind_load(a2a_ctx *ctx, const char *path, a2a_imagebind **out) {
    if (!path || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind: NULL argument");
    *out = NULL;
    a2a_imagebind *m = calloc(1, sizeof *m);
    if (!m) return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind: out of memory");
    a2a_status st = a2a_gguf_open(ctx, path, &m->g);
    if (st) goto fail;
    const char *arch;
    size_t alen;
    if (a2a_gguf_get_str(NULL, m->g, "general.architecture", &arch, &alen) != A2A_OK || alen != 9 ||
        memcmp(arch, "imagebind", 9) != 0) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: not an ImageBind GGUF (general.architecture is not \"imagebind\")", path);
        goto fail;
    }
    uint32_t od;
    if ((st = meta_u32(ctx, m->g, "imagebind.out_dim", 1, 65536, &od))) goto fail;
    m->out_dim = od;
    size_t arena = 0;
    int n_present = 0;
    for (int i = 0; i < A2A_IMAGEBIND_N_MODALITIES; i++) {
        if ((st = load_tower(ctx, m, (a2a_imagebind_modality)i))) goto fail;
        if (!m->tw[i].present) continue;
        n_present++;
        size_t b = tower_arena_bytes(&m->tw[i], (a2a_imagebind_modality)i, m->out_dim);
        if (b > arena) arena = b;
    }
    if (!n_present) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: the file holds no ImageBind vision, audio or text tower", path);
        goto fail;
    }
    if ((st = a2a_arena_init(ctx, &m->arena, arena))) goto fail;
    *out = m;
    return A2A_OK;
fail:
    if (ctx) a2a_error_prefix(ctx, "%s", path);
    a2a_imagebind_free(m);
    return st;
}

/* Contract in imagebind.h. */
void a2a_imagebind_free(a2a_imagebind *m) {
    if (!m) return;
    for (int i = 0; i < A2A_IMAGEBIND_N_MODALITIES; i++) free(m->tw[i].blocks);
    a2a_arena_free(&m->arena);
    a2a_gguf_close(m->g);
    free(m);
}

/* Contract in imagebind.h. */
int64_t a2a_imagebind_out_dim(const a2a_imagebind *m) { return m ? m->out_dim : 0; }

/* Contract in imagebind.h. */
bool a2a_imagebind_has(const a2a_imagebind *m, a2a_imagebind_modality modality) {
    return m && modality >= 0 && modality < A2A_IMAGEBIND_N_MODALITIES && m->tw[modality].present;
}

/* ------------------------------------------------------------------ forward */

/* An arena tensor (contiguous F32 or I32) or NOMEM. */
static a2a_status new_tensor(a2a_ctx *ctx, a2a_arena *ar, a2a_tensor *t, a2a_type type, int n_dims, int64_t ne0,
                             int64_t ne1, int64_t ne2, int64_t ne3, int64_t ne4) {
    const int64_t ne[A2A_MAX_DIMS] = {ne0, ne1, ne2, ne3, ne4};
    if (!a2a_arena_tensor(ar, t, type, n_dims, ne) || !t->data)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind: activation arena too small (%zu of %zu bytes used)", ar->used,
                        ar->cap);
    return A2A_OK;
}

/* The blocks of a trunk over x [D, N] in place (h, a: [D, N] scratch). */
static a2a_status run_blocks(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *ar, const a2a_imagebind_tower *tw,
                             a2a_tensor *x, a2a_tensor *h, a2a_tensor *a, bool causal) {
    a2a_status st = A2A_OK;
    for (int b = 0; b < tw->n_block && !st; b++) {
        const a2a_imagebind_block *bl = &tw->blocks[b];
        st = a2a_op_layer_norm(ctx, tp, h, x, bl->norm1_w, bl->norm1_b, 1e-6f);
        if (!st) st = a2a_nn_mha_fwd(ctx, tp, ar, a, &bl->attn, h, h, NULL, causal);
        if (!st) st = a2a_op_add(ctx, tp, x, x, a);
        if (!st) st = a2a_op_layer_norm(ctx, tp, h, x, bl->norm2_w, bl->norm2_b, 1e-6f);
        if (!st) st = a2a_nn_mlp_fwd(ctx, tp, ar, a, &bl->mlp, h);
        if (!st) st = a2a_op_add(ctx, tp, x, x, a);
    }
    return st;
}

/* Put the conv output [P, D] (patch-major planes: conv dst [W, H, (T,) D] flattened) into
   tokens 1..P of x [D, N], then the cls token at 0, then add pos [D, N]. */
static a2a_status tokens_from_patches(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_imagebind_tower *tw, a2a_tensor *x,
                                      const a2a_tensor *conv_out) {
    const int64_t D = tw->D, P = tw->n_tok - 1;
    int64_t ne_p[2] = {P, D};
    a2a_tensor planes = a2a_tensor_reshape(conv_out, 2, ne_p);
    a2a_tensor tr = a2a_tensor_transpose(&planes);            /* [D, P] strided view */
    int64_t ne_v[2] = {D, P}, off[2] = {0, 1};
    a2a_tensor dst = a2a_tensor_view(x, 2, ne_v, off);
    a2a_status st = a2a_op_copy(ctx, tp, &dst, &tr);
    if (st) return st;
    memcpy(x->data, tw->cls->data, (size_t)D * sizeof(float));
    return A2A_OK;
}

/* Head over token `tok` of the trunk output x [D, N]: LayerNorm(1e-6) -> Linear -> L2
   normalize into emb[out_dim] (unit vector; the caller applies the logit scale). */
static a2a_status head_embed(a2a_ctx *ctx, a2a_threadpool *tp, a2a_arena *ar, const a2a_imagebind *m,
                             const a2a_imagebind_tower *tw, const a2a_tensor *x, int64_t tok, float *emb) {
    const int64_t D = tw->D;
    a2a_tensor v, n, o;
    a2a_status st = new_tensor(ctx, ar, &v, A2A_TYPE_F32, 2, D, 1, 1, 1, 1);
    if (!st) st = new_tensor(ctx, ar, &n, A2A_TYPE_F32, 2, D, 1, 1, 1, 1);
    if (!st) st = new_tensor(ctx, ar, &o, A2A_TYPE_F32, 2, m->out_dim, 1, 1, 1, 1);
    if (st) return st;
    memcpy(v.data, (const float *)x->data + tok * D, (size_t)D * sizeof(float));
    st = a2a_op_layer_norm(ctx, tp, &n, &v, tw->head_norm_w, tw->head_norm_b, 1e-6f);
    if (!st) st = a2a_nn_linear_fwd(ctx, tp, &o, &tw->head, &n);
    if (st) return st;
    const float *y = o.data;
    double ss = 0;
    for (int64_t i = 0; i < m->out_dim; i++) ss += (double)y[i] * y[i];
    float nrm = (float)sqrt(ss);
    if (nrm < 1e-12f) nrm = 1e-12f; /* torch F.normalize: x / max(||x||, eps) */
    for (int64_t i = 0; i < m->out_dim; i++) emb[i] = y[i] / nrm;
    return A2A_OK;
}

/* One vision clip: planes [3][n_frames][224][224] -> unit embedding emb[out_dim]. */
static a2a_status vision_clip(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *clip, int n_frames,
                              float *emb) {
    const a2a_imagebind_tower *tw = &m->tw[A2A_IMAGEBIND_VISION];
    a2a_arena *ar = &m->arena;
    const int64_t S = A2A_IMAGEBIND_IMAGE_SIZE, T = A2A_IMAGEBIND_FRAMES, D = tw->D, N = tw->n_tok;
    a2a_tensor in, co, x, h, a;
    a2a_status st = A2A_OK;
    if (n_frames == 1) { /* PadIm2Video(repeat): [3][1][H][W] -> [3][2][H][W] */
        if ((st = new_tensor(ctx, ar, &in, A2A_TYPE_F32, 5, S, S, T, 3, 1))) return st;
        float *d = in.data;
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < T; t++) memcpy(d + ((size_t)c * T + t) * S * S, clip + (size_t)c * S * S, sizeof(float) * S * S);
    } else {
        const int64_t ne[5] = {S, S, T, 3, 1};
        a2a_tensor_init(&in, A2A_TYPE_F32, 5, ne, (void *)clip);
    }
    in.n_dims = 5;
    if ((st = new_tensor(ctx, ar, &co, A2A_TYPE_F32, 5, VIS_GRID, VIS_GRID, 1, D, 1))) return st;
    co.n_dims = 5;
    a2a_conv3d_params cp = A2A_CONV3D_PARAMS_DEFAULT;
    cp.stride_w = cp.stride_h = A2A_IMAGEBIND_PATCH;
    cp.stride_t = A2A_IMAGEBIND_FRAMES;
    if ((st = a2a_op_conv3d(ctx, tp, &co, &in, tw->patch_w, NULL, &cp))) return st;
    if ((st = new_tensor(ctx, ar, &x, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &h, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &a, A2A_TYPE_F32, 2, D, N, 1, 1, 1)))
        return st;
    if ((st = tokens_from_patches(ctx, tp, tw, &x, &co))) return st;
    a2a_tensor pos = a2a_tensor_reshape(tw->pos, 2, (int64_t[2]){D, N});
    if ((st = a2a_op_add(ctx, tp, &x, &x, &pos))) return st;
    if ((st = a2a_op_layer_norm(ctx, tp, &x, &x, tw->pre_norm_w, tw->pre_norm_b, 1e-6f))) return st;
    if ((st = run_blocks(ctx, tp, ar, tw, &x, &h, &a, false))) return st;
    return head_embed(ctx, tp, ar, m, tw, &x, 0, emb);
}

/* One audio clip: fbank [128][204] -> unit embedding emb[out_dim]. */
static a2a_status audio_clip(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *fbank, float *emb) {
    const a2a_imagebind_tower *tw = &m->tw[A2A_IMAGEBIND_AUDIO];
    a2a_arena *ar = &m->arena;
    const int64_t D = tw->D, N = tw->n_tok;
    a2a_tensor in, co, x, h, a;
    const int64_t ne[4] = {A2A_IMAGEBIND_AUDIO_FRAMES, A2A_IMAGEBIND_MEL_BINS, 1, 1};
    a2a_tensor_init(&in, A2A_TYPE_F32, 4, ne, (void *)fbank);
    in.n_dims = 4;
    a2a_status st = new_tensor(ctx, ar, &co, A2A_TYPE_F32, 4, AUD_W, AUD_H, D, 1, 1);
    if (st) return st;
    co.n_dims = 4;
    a2a_conv2d_params cp = A2A_CONV2D_PARAMS_DEFAULT;
    cp.stride_w = cp.stride_h = A2A_IMAGEBIND_AUDIO_STRIDE;
    if ((st = a2a_op_conv2d(ctx, tp, &co, &in, tw->patch_w, NULL, &cp))) return st;
    if ((st = new_tensor(ctx, ar, &x, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &h, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &a, A2A_TYPE_F32, 2, D, N, 1, 1, 1)))
        return st;
    if ((st = tokens_from_patches(ctx, tp, tw, &x, &co))) return st;
    /* the stem LayerNorm (default eps 1e-5) runs on the patch tokens, before cls and pos */
    int64_t ne_p[2] = {D, N - 1}, off[2] = {0, 1};
    a2a_tensor patches = a2a_tensor_view(&x, 2, ne_p, off);
    if ((st = a2a_op_layer_norm(ctx, tp, &patches, &patches, tw->stem_norm_w, tw->stem_norm_b, 1e-5f))) return st;
    a2a_tensor pos = a2a_tensor_reshape(tw->pos, 2, (int64_t[2]){D, N});
    if ((st = a2a_op_add(ctx, tp, &x, &x, &pos))) return st;
    if ((st = run_blocks(ctx, tp, ar, tw, &x, &h, &a, false))) return st;
    return head_embed(ctx, tp, ar, m, tw, &x, 0, emb);
}

/* One text sequence: ids[77] -> unit embedding emb[out_dim]. */
static a2a_status text_seq(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const int32_t *ids, float *emb) {
    const a2a_imagebind_tower *tw = &m->tw[A2A_IMAGEBIND_TEXT];
    a2a_arena *ar = &m->arena;
    const int64_t D = tw->D, N = tw->n_tok;
    a2a_tensor idt, x, h, a;
    int64_t eot = 0;
    for (int64_t i = 0; i < N; i++) {
        if (ids[i] < 0 || ids[i] >= tw->n_vocab)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind text: token id %d at position %lld is outside 0..%lld",
                            (int)ids[i], (long long)i, (long long)tw->n_vocab - 1);
        if (ids[i] > ids[eot]) eot = i; /* torch argmax: the first maximum */
    }
    const int64_t ne_i[1] = {N};
    a2a_tensor_init(&idt, A2A_TYPE_I32, 1, ne_i, (void *)ids);
    a2a_status st;
    if ((st = new_tensor(ctx, ar, &x, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &h, A2A_TYPE_F32, 2, D, N, 1, 1, 1)) ||
        (st = new_tensor(ctx, ar, &a, A2A_TYPE_F32, 2, D, N, 1, 1, 1)))
        return st;
    if ((st = a2a_op_get_rows(ctx, tp, &x, tw->tok_embd, &idt))) return st;
    a2a_tensor pos = a2a_tensor_reshape(tw->pos, 2, (int64_t[2]){D, N});
    if ((st = a2a_op_add(ctx, tp, &x, &x, &pos))) return st;
    if ((st = run_blocks(ctx, tp, ar, tw, &x, &h, &a, true))) return st;
    return head_embed(ctx, tp, ar, m, tw, &x, eot, emb);
}

/* Contract in imagebind.h. */
a2a_status a2a_imagebind_embed(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, a2a_imagebind_modality modality,
                               const void *input, int n, int n_frames, bool unit, float *out) {
    if (!m || !input || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind: NULL argument");
    if (modality < 0 || modality >= A2A_IMAGEBIND_N_MODALITIES)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind: unknown modality %d", (int)modality);
    const char *mn = MOD_NAME[modality];
    if (n < 1 || n > A2A_IMAGEBIND_MAX_CLIPS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind %s: %d %s (expected 1..%d)", mn, n,
                        modality == A2A_IMAGEBIND_TEXT ? "sequences" : "clips", A2A_IMAGEBIND_MAX_CLIPS);
    if (modality == A2A_IMAGEBIND_VISION && n_frames != 1 && n_frames != A2A_IMAGEBIND_FRAMES)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "imagebind vision: %d frames per clip (expected 1 or 2)", n_frames);
    if (!m->tw[modality].present)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "imagebind: this model file has no %s tower", mn);
    const int64_t O = m->out_dim;
    const float scale = unit ? 1.0f : m->tw[modality].logit_scale;
    float *emb = malloc(sizeof(float) * (size_t)O);
    double *acc = calloc((size_t)O, sizeof(double));
    a2a_status st = emb && acc ? A2A_OK : a2a_fail(ctx, A2A_ERR_NOMEM, "imagebind: out of memory");
    const size_t S = A2A_IMAGEBIND_IMAGE_SIZE;
    const size_t clip_floats = modality == A2A_IMAGEBIND_VISION ? 3 * (size_t)n_frames * S * S
                                                                 : (size_t)A2A_IMAGEBIND_MEL_BINS * A2A_IMAGEBIND_AUDIO_FRAMES;
    for (int c = 0; c < n && !st; c++) {
        a2a_arena_reset(&m->arena);
        if (modality == A2A_IMAGEBIND_VISION)
            st = vision_clip(ctx, tp, m, (const float *)input + (size_t)c * clip_floats, n_frames, emb);
        else if (modality == A2A_IMAGEBIND_AUDIO)
            st = audio_clip(ctx, tp, m, (const float *)input + (size_t)c * clip_floats, emb);
        else
            st = text_seq(ctx, tp, m, (const int32_t *)input + (size_t)c * A2A_IMAGEBIND_CONTEXT, emb);
        if (st) break;
        if (modality == A2A_IMAGEBIND_TEXT) {
            for (int64_t i = 0; i < O; i++) out[(size_t)c * O + i] = scale * emb[i];
        } else {
            for (int64_t i = 0; i < O; i++) acc[i] += (double)(scale * emb[i]);
        }
    }
    if (!st && modality != A2A_IMAGEBIND_TEXT)
        for (int64_t i = 0; i < O; i++) out[i] = (float)(acc[i] / n);
    if (st && modality != A2A_IMAGEBIND_TEXT) a2a_error_prefix(ctx, "imagebind %s", mn);
    a2a_arena_reset(&m->arena);
    free(emb);
    free(acc);
    return st;
}

/* Contract in imagebind.h. */
a2a_status a2a_imagebind_embed_vision(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *clips,
                                      int n_clips, int n_frames, float *out) {
    return a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_VISION, clips, n_clips, n_frames, false, out);
}

/* Contract in imagebind.h. */
a2a_status a2a_imagebind_embed_audio(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const float *fbank,
                                     int n_clips, float *out) {
    return a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_AUDIO, fbank, n_clips, 1, false, out);
}

/* Contract in imagebind.h. */
a2a_status a2a_imagebind_embed_text(a2a_ctx *ctx, a2a_threadpool *tp, a2a_imagebind *m, const int32_t *tokens77, int n,
                                    float *out) {
    return a2a_imagebind_embed(ctx, tp, m, A2A_IMAGEBIND_TEXT, tokens77, n, 1, false, out);
}
