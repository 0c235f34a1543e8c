/* Checkpoints (PyTorch zip, safetensors, GGUF) -> projector GGUF files (see projector.h). */
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/json.h"
#include "io/weights.h"
#include "kernels/convert.h"
#include "models/projectors/projector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_MAX_LEN 320
#define MAX_SHARDS 256

/* One tensor to copy: source key, GGUF name, ggml shape, and whether it is a matmul weight. */
typedef struct item {
    char src[NAME_MAX_LEN];
    char dst[NAME_MAX_LEN];
    int n_dims;      /* 1 or 2 */
    int64_t ne[2];   /* ggml order: a torch [out, in] weight is {in, out} */
    bool matrix;     /* converted to params.type; vectors stay F32 */
} item;

typedef struct plan {
    item *items;
    int n, cap;
} plan;

/* The checkpoint: one file, or the shards an index.json / a Hugging Face folder names. */
typedef struct srcset {
    a2a_weights *files[MAX_SHARDS];
    int n;
} srcset;

static void srcset_close(srcset *s) {
    for (int i = 0; i < s->n; i++) a2a_weights_close(s->files[i]);
    s->n = 0;
}

static bool is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_reg(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* Open path as the next file of s (once: a file listed twice is opened once). */
static a2a_status srcset_open(a2a_ctx *ctx, srcset *s, const char *path) {
    if (s->n == MAX_SHARDS) return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: more than %d weight files", path, MAX_SHARDS);
    a2a_status st = a2a_weights_open(ctx, path, &s->files[s->n]);
    if (st) {
        a2a_error_prefix(ctx, "%s", path);
        return st;
    }
    s->n++;
    return A2A_OK;
}

/* Every distinct file of an index.json's weight_map (plain names, next to the index). */
static a2a_status srcset_open_index(a2a_ctx *ctx, srcset *s, const char *index_path) {
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, index_path, &doc);
    if (st) return st;
    const a2a_json_value *map = a2a_json_get(a2a_json_root(doc), "weight_map");
    if (!a2a_json_is_object(map) || a2a_json_len(map) == 0)
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no 'weight_map' object", index_path);
    const char *slash = strrchr(index_path, '/');
    int dir_len = slash ? (int)(slash - index_path) : 1;
    const char *dir = slash ? index_path : ".";
    const char *seen[MAX_SHARDS];
    int n_seen = 0;
    for (size_t i = 0; !st && i < a2a_json_len(map); i++) {
        const char *f = a2a_json_str(a2a_json_at(map, i));
        if (!f || !*f || strchr(f, '/') || !strcmp(f, "..") || !strcmp(f, ".")) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: weight_map entry '%s' is not a plain file name", index_path,
                          a2a_json_key_at(map, i));
            break;
        }
        bool dup = false;
        for (int j = 0; j < n_seen && !dup; j++) dup = !strcmp(seen[j], f);
        if (dup) continue;
        if (n_seen == MAX_SHARDS) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: more than %d weight files", index_path, MAX_SHARDS);
            break;
        }
        seen[n_seen++] = f;
        char path[4096];
        int k = snprintf(path, sizeof(path), "%.*s/%s", dir_len, dir, f);
        if (k < 0 || k >= (int)sizeof(path)) st = a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: path too long", index_path);
        else st = srcset_open(ctx, s, path);
    }
    a2a_json_free(doc);
    return st;
}

/* src_path: a weight file, an *.index.json, or a folder holding one of the usual names. */
static a2a_status srcset_load(a2a_ctx *ctx, srcset *s, const char *src_path) {
    if (ends_with(src_path, ".index.json")) return srcset_open_index(ctx, s, src_path);
    if (!is_dir(src_path)) return srcset_open(ctx, s, src_path);
    static const char *const names[] = {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                                        "pytorch_model.bin.index.json", "mm_projector.bin", "pytorch_model.pt"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[4096];
        int k = snprintf(path, sizeof(path), "%s/%s", src_path, names[i]);
        if (k < 0 || k >= (int)sizeof(path)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: path too long", src_path);
        if (is_reg(path)) return ends_with(path, ".index.json") ? srcset_open_index(ctx, s, path) : srcset_open(ctx, s, path);
    }
    return a2a_fail(ctx, A2A_ERR_NOT_FOUND,
                    "%s: no weights (model.safetensors[.index.json], pytorch_model.bin[.index.json], mm_projector.bin, "
                    "pytorch_model.pt)", src_path);
}

/* Tensor by name in the first file that has it; NULL if none. */
static const a2a_tensor *srcset_find(const srcset *s, const char *name) {
    for (int i = 0; i < s->n; i++) {
        const a2a_tensor *t = a2a_weights_find(s->files[i], name);
        if (t) return t;
    }
    return NULL;
}

/* Contract in projector.h. */
a2a_projector_convert_params a2a_projector_convert_default_params(void) {
    a2a_projector_convert_params p;
    memset(&p, 0, sizeof(p));
    p.type = A2A_TYPE_F16;
    p.fallback = A2A_TYPE_F16;
    return p;
}

/* Append "<pre><name>" -> dst with shape {ne0} (ne1 == 0) or {ne0, ne1}. */
static a2a_status plan_add(a2a_ctx *ctx, plan *pl, const char *pre, const char *name, const char *dst, int64_t ne0,
                           int64_t ne1) {
    if (pl->n == pl->cap) {
        int nc = pl->cap ? 2 * pl->cap : 16;
        item *ni = realloc(pl->items, sizeof(item) * (size_t)nc);
        if (!ni) return a2a_fail(ctx, A2A_ERR_NOMEM, "projector convert: out of memory");
        pl->items = ni;
        pl->cap = nc;
    }
    item *it = &pl->items[pl->n];
    memset(it, 0, sizeof(*it));
    int a = snprintf(it->src, sizeof(it->src), "%s%s", pre, name);
    int b = snprintf(it->dst, sizeof(it->dst), "%s", dst);
    if (a < 0 || a >= (int)sizeof(it->src) || b < 0 || b >= (int)sizeof(it->dst))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: key '%s%s' is too long", pre, name);
    it->n_dims = ne1 > 0 ? 2 : 1;
    it->ne[0] = ne0;
    it->ne[1] = ne1 > 0 ? ne1 : 1;
    it->matrix = ne1 > 0;
    pl->n++;
    return A2A_OK;
}

/* A Linear "<pre><name>.weight" {in, out} + ".bias" {out} stored as "<dst>.weight/.bias". */
static a2a_status plan_linear(a2a_ctx *ctx, plan *pl, const char *pre, const char *name, const char *dst, int64_t in,
                              int64_t out) {
    char s[NAME_MAX_LEN + 16], d[NAME_MAX_LEN + 16]; /* plan_add rejects names that do not fit an item */
    a2a_status st;
    snprintf(s, sizeof(s), "%s.weight", name);
    snprintf(d, sizeof(d), "%s.weight", dst);
    if ((st = plan_add(ctx, pl, pre, s, d, in, out))) return st;
    snprintf(s, sizeof(s), "%s.bias", name);
    snprintf(d, sizeof(d), "%s.bias", dst);
    return plan_add(ctx, pl, pre, s, d, out, 0);
}

/* Key "<pre><name>" in w, or NULL. */
static const a2a_tensor *find(const srcset *w, const char *pre, const char *name) {
    char k[2 * NAME_MAX_LEN];
    snprintf(k, sizeof(k), "%s%s", pre, name);
    return srcset_find(w, k);
}

/* A required 2-D tensor "<pre><name>" (its widths are read from it). */
static a2a_status need_matrix(a2a_ctx *ctx, const srcset *w, const char *path, const char *pre, const char *name,
                              const a2a_tensor **out) {
    *out = find(w, pre, name);
    if (!*out) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s%s'", path, pre, name);
    const a2a_tensor *t = *out;
    if (t->n_dims != 2 || t->ne[0] < 1 || t->ne[1] < 1 || t->ne[0] > A2A_PROJECTOR_MAX_DIM * 4 ||
        t->ne[1] > A2A_PROJECTOR_MAX_DIM * 4)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: '%s%s' is not a 2-D Linear weight of sensible size", path, pre, name);
    return A2A_OK;
}

/* Q-Former attention block "qformer.encoder.layer.<i>.<part>.*" (key/value from kv_dim). */
static a2a_status plan_attn(a2a_ctx *ctx, plan *pl, const char *pre, int i, const char *part, int64_t H, int64_t kv_dim) {
    static const char *const lin[4] = {"attention.query", "attention.key", "attention.value", "output.dense"};
    char n[NAME_MAX_LEN];
    a2a_status st;
    for (int j = 0; j < 4; j++) {
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.%s.%s", i, part, lin[j]);
        if ((st = plan_linear(ctx, pl, pre, n, n, (j == 1 || j == 2) ? kv_dim : H, H))) return st;
    }
    snprintf(n, sizeof(n), "qformer.encoder.layer.%d.%s.output.LayerNorm.weight", i, part);
    if ((st = plan_add(ctx, pl, pre, n, n, H, 0))) return st;
    snprintf(n, sizeof(n), "qformer.encoder.layer.%d.%s.output.LayerNorm.bias", i, part);
    return plan_add(ctx, pl, pre, n, n, H, 0);
}

/* Widths and counts of a Q-Former read off the checkpoint. */
typedef struct qf_dims {
    int64_t H, n_query, n_ff, in_dim, out_dim;
    int n_layer, cross_freq, n_head;
} qf_dims;

/* Infer the Q-Former's dimensions and plan its tensors. */
static a2a_status plan_qformer(a2a_ctx *ctx, plan *pl, const srcset *w, const char *path, const char *pre,
                               const a2a_projector_convert_params *prm, qf_dims *d) {
    a2a_status st;
    const a2a_tensor *qt = find(w, pre, "query_tokens");
    if (!qt) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%squery_tokens'", path, pre);
    if (qt->n_dims < 2 || qt->n_dims > 3 || qt->ne[2] != 1 || qt->ne[0] < 1 || qt->ne[0] > A2A_PROJECTOR_MAX_DIM ||
        qt->ne[1] < 1 || qt->ne[1] > 4096)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: '%squery_tokens' must be [1, n_query, hidden] with sensible sizes", path, pre);
    d->H = qt->ne[0];
    d->n_query = qt->ne[1];
    char n[NAME_MAX_LEN];
    d->n_layer = 0;
    for (;;) {
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.attention.attention.query.weight", d->n_layer);
        if (!find(w, pre, n) || d->n_layer >= 256) break;
        d->n_layer++;
    }
    if (d->n_layer == 0)
        return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%sqformer.encoder.layer.0.attention.attention.query.weight'",
                        path, pre);
    const a2a_tensor *t;
    if ((st = need_matrix(ctx, w, path, pre, "qformer.encoder.layer.0.crossattention.attention.key.weight", &t))) return st;
    d->in_dim = t->ne[0];
    if ((st = need_matrix(ctx, w, path, pre, "qformer.encoder.layer.0.intermediate_query.dense.weight", &t))) return st;
    d->n_ff = t->ne[1];
    if ((st = need_matrix(ctx, w, path, pre, "language_projection.weight", &t))) return st;
    d->out_dim = t->ne[1];
    if (d->in_dim > A2A_PROJECTOR_MAX_DIM || d->out_dim > A2A_PROJECTOR_MAX_DIM)
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: widths %lld -> %lld exceed %d", path, (long long)d->in_dim,
                        (long long)d->out_dim, A2A_PROJECTOR_MAX_DIM);
    d->cross_freq = d->n_layer;
    for (int i = 1; i < d->n_layer; i++) {
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.crossattention.attention.query.weight", i);
        if (find(w, pre, n)) {
            d->cross_freq = i;
            break;
        }
    }
    for (int i = 0; i < d->n_layer; i++) {
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.crossattention.attention.query.weight", i);
        bool has = find(w, pre, n) != NULL, want = i % d->cross_freq == 0;
        if (has && !want)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                            "%s: cross-attention layers are not every %d-th layer (layer %d has one): not a Blip2QFormerModel",
                            path, d->cross_freq, i);
    }
    d->n_head = prm->n_head;
    if (d->n_head == 0) {
        if (d->H % 64)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: Q-Former hidden size %lld is not a multiple of 64: set n_head", path,
                            (long long)d->H);
        d->n_head = (int)(d->H / 64);
    }
    if (d->n_head < 1 || d->H % d->n_head)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: n_head %d does not divide the Q-Former hidden size %lld",
                        d->n_head, (long long)d->H);
    const int64_t H = d->H;
    if ((st = plan_add(ctx, pl, pre, "query_tokens", "query_tokens", H, d->n_query)) ||
        (st = plan_add(ctx, pl, pre, "qformer.layernorm.weight", "qformer.layernorm.weight", H, 0)) ||
        (st = plan_add(ctx, pl, pre, "qformer.layernorm.bias", "qformer.layernorm.bias", H, 0)))
        return st;
    pl->items[pl->n - 3].matrix = false; /* query_tokens stay F32 */
    for (int i = 0; i < d->n_layer; i++) {
        if ((st = plan_attn(ctx, pl, pre, i, "attention", H, H))) return st;
        if (i % d->cross_freq == 0 && (st = plan_attn(ctx, pl, pre, i, "crossattention", H, d->in_dim))) return st;
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.intermediate_query.dense", i);
        if ((st = plan_linear(ctx, pl, pre, n, n, H, d->n_ff))) return st;
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.output_query.dense", i);
        if ((st = plan_linear(ctx, pl, pre, n, n, d->n_ff, H))) return st;
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.output_query.LayerNorm.weight", i);
        if ((st = plan_add(ctx, pl, pre, n, n, H, 0))) return st;
        snprintf(n, sizeof(n), "qformer.encoder.layer.%d.output_query.LayerNorm.bias", i);
        if ((st = plan_add(ctx, pl, pre, n, n, H, 0))) return st;
    }
    return plan_linear(ctx, pl, pre, "language_projection", "language_projection", H, d->out_dim);
}

/* Check that the source tensor of it exists, has its shape (a leading 1 allowed for
   query_tokens) and a float type. */
static a2a_status check_item(a2a_ctx *ctx, const srcset *w, const char *path, const item *it, const a2a_tensor **out) {
    const a2a_tensor *t = srcset_find(w, it->src);
    *out = t;
    if (!t) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s'", path, it->src);
    bool ok = t->ne[0] == it->ne[0] && t->ne[1] == it->ne[1] && (t->n_dims <= it->n_dims || !strcmp(it->dst, "query_tokens"));
    for (int i = 2; i < A2A_MAX_DIMS; i++) ok = ok && t->ne[i] == 1;
    if (!ok) { /* shapes in torch order, as the checkpoint's author knows them */
        char got[128];
        size_t o = 0;
        got[0] = 0;
        for (int d = t->n_dims - 1; d >= 0 && o < sizeof(got); d--)
            o += (size_t)snprintf(got + o, sizeof(got) - o, "%lld%s", (long long)t->ne[d], d ? ", " : "");
        if (it->n_dims == 1)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: '%s' has shape [%s], expected [%lld]", path, it->src, got,
                            (long long)it->ne[0]);
        return a2a_fail(ctx, A2A_ERR_SHAPE, "%s: '%s' has shape [%s], expected [%lld, %lld]", path, it->src, got,
                        (long long)it->ne[1], (long long)it->ne[0]);
    }
    if (t->type != A2A_TYPE_F32 && t->type != A2A_TYPE_F16 && t->type != A2A_TYPE_BF16)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: '%s' has type %s (f32, f16 or bf16 expected)", path, it->src,
                        a2a_type_name(t->type));
    return A2A_OK;
}

/* Contract in projector.h. */
a2a_status a2a_projector_convert(a2a_ctx *ctx, const char *src_path, a2a_projector_type kind, const char *out_gguf,
                                 const a2a_projector_convert_params *params) {
    a2a_projector_convert_params dp = a2a_projector_convert_default_params();
    const a2a_projector_convert_params *prm = params ? params : &dp;
    if (!src_path || !out_gguf) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: NULL path");
    if (kind != A2A_PROJECTOR_LINEAR && kind != A2A_PROJECTOR_MLP2X_GELU && kind != A2A_PROJECTOR_QFORMER)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: unknown projector kind %d", (int)kind);
    if (!a2a_type_info(prm->type) || !a2a_type_info(prm->fallback) || !a2a_convert_supported(A2A_TYPE_F32, prm->type) ||
        !a2a_convert_supported(A2A_TYPE_F32, prm->fallback))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "projector convert: target type %s is not supported", a2a_type_name(prm->type));
    if (prm->n_head < 0 || prm->eps < 0 || prm->eps != prm->eps)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: negative n_head or eps");
    if (prm->prefix && strlen(prm->prefix) > 200)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector convert: key prefix too long");
    srcset *w = calloc(1, sizeof(*w));
    a2a_gguf_writer *gw = NULL;
    plan pl = {0};
    void **bufs = NULL;
    if (!w) return a2a_fail(ctx, A2A_ERR_NOMEM, "projector convert: out of memory");
    a2a_status st = srcset_load(ctx, w, src_path);
    if (st) goto done;
    int64_t in_dim = 0, out_dim = 0;
    qf_dims qd;
    memset(&qd, 0, sizeof(qd));
    const a2a_tensor *t;
    if (kind == A2A_PROJECTOR_LINEAR) {
        const char *pre = prm->prefix ? prm->prefix : "llama_proj.";
        if ((st = need_matrix(ctx, w, src_path, pre, "weight", &t))) goto done;
        in_dim = t->ne[0];
        out_dim = t->ne[1];
        if ((st = plan_add(ctx, &pl, pre, "weight", "llama_proj.weight", in_dim, out_dim))) goto done;
        st = plan_add(ctx, &pl, pre, "bias", "llama_proj.bias", out_dim, 0);
    } else if (kind == A2A_PROJECTOR_MLP2X_GELU) {
        const char *pre = prm->prefix ? prm->prefix : "model.mm_projector.";
        if (!prm->prefix && !find(w, pre, "0.weight") && find(w, "mm_projector.", "0.weight")) pre = "mm_projector.";
        if ((st = need_matrix(ctx, w, src_path, pre, "0.weight", &t))) goto done;
        in_dim = t->ne[0];
        out_dim = t->ne[1];
        if ((st = plan_linear(ctx, &pl, pre, "0", "mm_projector.0", in_dim, out_dim))) goto done;
        st = plan_linear(ctx, &pl, pre, "2", "mm_projector.2", out_dim, out_dim);
    } else {
        st = plan_qformer(ctx, &pl, w, src_path, prm->prefix ? prm->prefix : "", prm, &qd);
        in_dim = qd.in_dim;
        out_dim = qd.out_dim;
    }
    if (st) goto done;
    if (in_dim > A2A_PROJECTOR_MAX_DIM || out_dim > A2A_PROJECTOR_MAX_DIM) {
        st = a2a_fail(ctx, A2A_ERR_SHAPE, "%s: projector widths %lld -> %lld exceed %d", src_path, (long long)in_dim,
                      (long long)out_dim, A2A_PROJECTOR_MAX_DIM);
        goto done;
    }
    /* check everything before converting anything */
    for (int i = 0; i < pl.n; i++)
        if ((st = check_item(ctx, w, src_path, &pl.items[i], &t))) goto done;
    if ((st = a2a_gguf_writer_new(ctx, &gw)) || (st = a2a_gguf_writer_set_str(ctx, gw, "general.architecture", "projector")) ||
        (st = a2a_gguf_writer_set_str(ctx, gw, "general.name", a2a_projector_type_name(kind))) ||
        (st = a2a_gguf_writer_set_str(ctx, gw, "projector.type", a2a_projector_type_name(kind))) ||
        (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.input_dim", (uint32_t)in_dim)) ||
        (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.output_dim", (uint32_t)out_dim)))
        goto done;
    if (kind != A2A_PROJECTOR_LINEAR && (st = a2a_gguf_writer_set_str(ctx, gw, "projector.activation", "gelu"))) goto done;
    if (kind == A2A_PROJECTOR_QFORMER &&
        ((st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.hidden_size", (uint32_t)qd.H)) ||
         (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.block_count", (uint32_t)qd.n_layer)) ||
         (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.head_count", (uint32_t)qd.n_head)) ||
         (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.feed_forward_length", (uint32_t)qd.n_ff)) ||
         (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.query_count", (uint32_t)qd.n_query)) ||
         (st = a2a_gguf_writer_set_u32(ctx, gw, "projector.qformer.cross_attention_frequency", (uint32_t)qd.cross_freq)) ||
         (st = a2a_gguf_writer_set_f32(ctx, gw, "projector.qformer.layer_norm_eps", prm->eps > 0 ? prm->eps : 1e-12f))))
        goto done;
    bufs = calloc((size_t)pl.n, sizeof(void *));
    if (!bufs) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "projector convert: out of memory"); goto done; }
    for (int i = 0; i < pl.n; i++) {
        const item *it = &pl.items[i];
        t = srcset_find(w, it->src);
        a2a_type dt = A2A_TYPE_F32;
        if (it->matrix) {
            dt = prm->type;
            if (it->ne[0] % a2a_type_info(dt)->blck) dt = prm->fallback;
            if (it->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        }
        a2a_tensor src = *t;
        src.name = it->src;
        const void *data = t->data;
        if (!(dt == t->type && a2a_tensor_is_contiguous(t))) {
            size_t row, bytes;
            if (!a2a_row_size(dt, t->ne[0], &row) || !a2a_mul_ok(row, (size_t)a2a_tensor_nrows(t), &bytes) ||
                !(bufs[i] = malloc(bytes ? bytes : 1))) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "projector convert: cannot allocate %s for '%s'", a2a_type_name(dt), it->src);
                goto done;
            }
            if ((st = a2a_convert_rows(ctx, prm->tp, &src, dt, bufs[i]))) goto done;
            data = bufs[i];
        }
        if ((st = a2a_gguf_writer_add_tensor(ctx, gw, it->dst, dt, it->n_dims, it->ne, data))) goto done;
    }
    st = a2a_gguf_writer_write(ctx, gw, out_gguf);
done:
    if (bufs)
        for (int i = 0; i < pl.n; i++) free(bufs[i]);
    free(bufs);
    free(pl.items);
    a2a_gguf_writer_free(gw);
    srcset_close(w);
    free(w);
    return st;
}
