/* Hugging Face LLaMA-family checkpoints -> GGUF (see llama_convert.h). */
#include "models/llm/llama_convert.h"
#include "core/strmap.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/gguf_quantize.h"
#include "io/json.h"
#include "io/weights.h"
#include "kernels/convert.h"
#include "text/hf_tokenizer.h"
#include "text/spm_model.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* GGUF token types (llama.cpp's). */
enum { TT_NORMAL = 1, TT_UNKNOWN = 2, TT_CONTROL = 3, TT_USER_DEFINED = 4, TT_UNUSED = 5, TT_BYTE = 6 };

/* Contract in llama_convert.h. */
a2a_llama_convert_params a2a_llama_convert_default_params(void) {
    a2a_llama_convert_params p = {A2A_TYPE_F16, A2A_TYPE_F16, NULL, NULL, NULL};
    return p;
}

/* ------------------------------------------------------------------ paths */

/* "dir/name" into buf; false when it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

/* True when dir/name exists and is a regular file (symlinks followed). */
static bool is_file(const char *dir, const char *name) {
    char p[4096];
    struct stat sb;
    return join(p, sizeof(p), dir, name) && stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* ------------------------------------------------------------------ hyperparameters */

typedef struct hparams {
    const char *arch;       /* "llama" or "qwen2" */
    bool is_qwen2;
    int64_t n_vocab;        /* config vocab_size */
    int64_t n_embd, n_layer, n_ff, n_head, n_head_kv, head_dim, n_ctx;
    double rope_theta, rms_eps;
    bool tied;              /* tie_word_embeddings */
    const char *rope_type;  /* NULL, "linear" or "yarn" */
    double rope_factor;
    int64_t rope_orig_ctx;  /* yarn: original_max_position_embeddings (0 if absent) */
} hparams;

/* Required positive integer key of config.json within [1, max]. */
static a2a_status cfg_int(a2a_ctx *ctx, const a2a_json_value *cfg, const char *key, int64_t max, bool required, int64_t *out) {
    const a2a_json_value *v = a2a_json_get(cfg, key);
    if (!v || a2a_json_is_null(v)) {
        if (required) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "config.json: missing '%s'", key);
        return A2A_OK;
    }
    int64_t x;
    if (!a2a_json_int(v, &x) || x < 1 || x > max)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: '%s' must be an integer in 1..%lld", key, (long long)max);
    *out = x;
    return A2A_OK;
}

/* Positive number key (default def when absent). */
static a2a_status cfg_num(a2a_ctx *ctx, const a2a_json_value *cfg, const char *key, double def, double *out) {
    const a2a_json_value *v = a2a_json_get(cfg, key);
    *out = def;
    if (!v || a2a_json_is_null(v)) return A2A_OK;
    if (!a2a_json_is_number(v) || !(a2a_json_num(v) > 0) || !isfinite(a2a_json_num(v)))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: '%s' must be a positive number", key);
    *out = a2a_json_num(v);
    return A2A_OK;
}

/* config.json -> hp: model_type, sizes, rope and norm settings, tying; refuses what the GGUF
   llama/qwen2 layouts cannot express (other activations, llama biases, other rope scalings). */
static a2a_status read_hparams(a2a_ctx *ctx, const a2a_json_value *cfg, hparams *hp) {
    memset(hp, 0, sizeof(*hp));
    if (!a2a_json_is_object(cfg)) return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: not a JSON object");
    const char *mt = a2a_json_str(a2a_json_get(cfg, "model_type"));
    if (!mt) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "config.json: missing 'model_type'");
    if (!strcmp(mt, "llama")) hp->arch = "llama";
    else if (!strcmp(mt, "qwen2")) hp->arch = "qwen2", hp->is_qwen2 = true;
    else return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "config.json: model_type '%s' is not supported (llama, qwen2)", mt);
    a2a_status st;
    if ((st = cfg_int(ctx, cfg, "vocab_size", 1 << 24, true, &hp->n_vocab)) ||
        (st = cfg_int(ctx, cfg, "hidden_size", 1 << 16, true, &hp->n_embd)) ||
        (st = cfg_int(ctx, cfg, "num_hidden_layers", 1024, true, &hp->n_layer)) ||
        (st = cfg_int(ctx, cfg, "intermediate_size", 1 << 20, true, &hp->n_ff)) ||
        (st = cfg_int(ctx, cfg, "num_attention_heads", 4096, true, &hp->n_head)))
        return st;
    hp->n_head_kv = hp->n_head;
    hp->n_ctx = 2048;
    hp->head_dim = hp->n_embd / hp->n_head;
    if ((st = cfg_int(ctx, cfg, "num_key_value_heads", 4096, false, &hp->n_head_kv)) ||
        (st = cfg_int(ctx, cfg, "max_position_embeddings", (int64_t)1 << 31, false, &hp->n_ctx)) ||
        (st = cfg_int(ctx, cfg, "head_dim", 1024, false, &hp->head_dim)))
        return st;
    if (hp->n_head % hp->n_head_kv)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: num_attention_heads %lld is not a multiple of num_key_value_heads %lld",
                        (long long)hp->n_head, (long long)hp->n_head_kv);
    if (hp->head_dim < 2 || hp->head_dim % 2)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: head dimension %lld (hidden_size / num_attention_heads) must be even",
                        (long long)hp->head_dim);
    if ((st = cfg_num(ctx, cfg, "rope_theta", 10000.0, &hp->rope_theta)) ||
        (st = cfg_num(ctx, cfg, "rms_norm_eps", hp->is_qwen2 ? 1e-6 : 1e-5, &hp->rms_eps)))
        return st;
    hp->tied = a2a_json_bool_or(a2a_json_get(cfg, "tie_word_embeddings"), false);
    const char *act = a2a_json_str_or(a2a_json_get(cfg, "hidden_act"), "silu");
    if (strcmp(act, "silu") != 0)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "config.json: hidden_act '%s' is not supported (silu)", act);
    if (!hp->is_qwen2 && (a2a_json_bool_or(a2a_json_get(cfg, "attention_bias"), false) ||
                          a2a_json_bool_or(a2a_json_get(cfg, "mlp_bias"), false)))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "config.json: llama with attention_bias/mlp_bias is not supported");
    const a2a_json_value *rs = a2a_json_get(cfg, "rope_scaling");
    if (a2a_json_is_object(rs)) {
        const char *t = a2a_json_str(a2a_json_get(rs, "rope_type"));
        if (!t) t = a2a_json_str(a2a_json_get(rs, "type"));
        if (!t) return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: rope_scaling has no 'type'");
        if (strcmp(t, "default") != 0) {
            if (strcmp(t, "linear") != 0 && strcmp(t, "yarn") != 0)
                return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "config.json: rope_scaling type '%s' is not supported (linear, yarn)", t);
            hp->rope_type = strcmp(t, "linear") == 0 ? "linear" : "yarn";
            if ((st = cfg_num(ctx, rs, "factor", 0, &hp->rope_factor))) return st;
            if (!(hp->rope_factor > 0)) return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: rope_scaling has no positive 'factor'");
            if ((st = cfg_int(ctx, rs, "original_max_position_embeddings", (int64_t)1 << 31, false, &hp->rope_orig_ctx))) return st;
        }
    } else if (rs && !a2a_json_is_null(rs)) {
        return a2a_fail(ctx, A2A_ERR_FORMAT, "config.json: rope_scaling is not an object");
    }
    return A2A_OK;
}

/* ------------------------------------------------------------------ weight files */

typedef struct wset {
    a2a_weights **files;
    char **paths;
    int n_files;
    a2a_strmap names;  /* HF tensor name -> (file << 32) | tensor index */
    bool names_init;
} wset;

/* Close every weight file and free the name index (w is zeroed; a zeroed w is fine). */
static void wset_free(wset *w) {
    for (int i = 0; i < w->n_files; i++) {
        a2a_weights_close(w->files[i]);
        free(w->paths[i]);
    }
    free(w->files);
    free(w->paths);
    if (w->names_init) a2a_strmap_free(&w->names);
    memset(w, 0, sizeof(*w));
}

/* Open dir/name as the next weight file (name must be a plain file name, no folders). */
static a2a_status wset_open(a2a_ctx *ctx, wset *w, const char *dir, const char *name) {
    if (!*name || strchr(name, '/') || !strcmp(name, "..") || !strcmp(name, "."))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: weight file name '%s' is not a plain file name", dir, name);
    for (int i = 0; i < w->n_files; i++) {
        const char *b = strrchr(w->paths[i], '/');
        if (!strcmp(b ? b + 1 : w->paths[i], name)) return A2A_OK; /* listed twice */
    }
    char path[4096];
    if (!join(path, sizeof(path), dir, name)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: path too long", dir);
    a2a_weights **nf = realloc(w->files, sizeof(*nf) * (size_t)(w->n_files + 1));
    if (nf) w->files = nf;
    char **np = realloc(w->paths, sizeof(*np) * (size_t)(w->n_files + 1));
    if (np) w->paths = np;
    if (!nf || !np) return a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory");
    if (!is_file(dir, name)) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: weight file is missing", path);
    a2a_weights *f = NULL;
    a2a_status st = a2a_weights_open(ctx, path, &f);
    if (st) {
        a2a_error_prefix(ctx, "%s", path);
        return st;
    }
    if (!(w->paths[w->n_files] = strdup(path))) {
        a2a_weights_close(f);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory");
    }
    w->files[w->n_files++] = f;
    return A2A_OK;
}

/* Every distinct file named in the weight_map of an index.json. */
static a2a_status wset_open_index(a2a_ctx *ctx, wset *w, const char *dir, const char *index_name) {
    char path[4096];
    if (!join(path, sizeof(path), dir, index_name)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: path too long", dir);
    a2a_json *doc;
    a2a_status st = a2a_json_parse_file(ctx, path, &doc);
    if (st) return st;
    const a2a_json_value *map = a2a_json_get(a2a_json_root(doc), "weight_map");
    if (!a2a_json_is_object(map) || a2a_json_len(map) == 0) st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: no 'weight_map' object", path);
    for (size_t i = 0; !st && i < a2a_json_len(map); i++) {
        const char *f = a2a_json_str(a2a_json_at(map, i));
        if (!f) st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: weight_map entry '%s' is not a file name", path, a2a_json_key_at(map, i));
        else st = wset_open(ctx, w, dir, f);
    }
    a2a_json_free(doc);
    return st;
}

/* qsort order of C strings. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Files of dir whose names start with prefix and end with suffix, sorted; opened in order.
   *found gets how many matched. */
static a2a_status wset_open_listing(a2a_ctx *ctx, wset *w, const char *dir, const char *prefix, const char *suffix, int *found) {
    *found = 0;
    DIR *d = opendir(dir);
    if (!d) return A2A_OK;
    char **names = NULL;
    size_t n = 0;
    a2a_status st = A2A_OK;
    struct dirent *e;
    size_t pl = strlen(prefix), sl = strlen(suffix);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= pl + sl || strncmp(e->d_name, prefix, pl) != 0 || strcmp(e->d_name + l - sl, suffix) != 0) continue;
        char **nn = realloc(names, sizeof(char *) * (n + 1));
        if (!nn || !(nn[n] = strdup(e->d_name))) {
            if (nn) names = nn;
            st = a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory");
            break;
        }
        names = nn;
        n++;
    }
    closedir(d);
    if (!st && n > 1) qsort(names, n, sizeof(char *), cmp_str);
    for (size_t i = 0; !st && i < n; i++) st = wset_open(ctx, w, dir, names[i]);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    *found = (int)n;
    return st;
}

/* Find and open the weights of dir, then index every tensor name (duplicates are an error). */
static a2a_status wset_load(a2a_ctx *ctx, wset *w, const char *dir) {
    a2a_status st;
    int found = 0;
    if (is_file(dir, "model.safetensors")) st = wset_open(ctx, w, dir, "model.safetensors");
    else if (is_file(dir, "model.safetensors.index.json")) st = wset_open_index(ctx, w, dir, "model.safetensors.index.json");
    else if ((st = wset_open_listing(ctx, w, dir, "model-", ".safetensors", &found)) || found) (void)0;
    else if (is_file(dir, "pytorch_model.bin")) st = wset_open(ctx, w, dir, "pytorch_model.bin");
    else if (is_file(dir, "pytorch_model.bin.index.json")) st = wset_open_index(ctx, w, dir, "pytorch_model.bin.index.json");
    else if ((st = wset_open_listing(ctx, w, dir, "pytorch_model-", ".bin", &found)) || found) (void)0;
    else
        return a2a_fail(ctx, A2A_ERR_NOT_FOUND,
                        "%s: no weights (model.safetensors, model.safetensors.index.json, model-*.safetensors, "
                        "pytorch_model.bin, pytorch_model.bin.index.json or pytorch_model-*.bin)", dir);
    if (st) return st;
    int64_t total = 0;
    for (int i = 0; i < w->n_files; i++) total += a2a_weights_n_tensors(w->files[i]);
    if ((st = a2a_strmap_init(ctx, &w->names, (size_t)total + 1))) return st;
    w->names_init = true;
    for (int i = 0; i < w->n_files; i++) {
        for (int64_t k = 0; k < a2a_weights_n_tensors(w->files[i]); k++) {
            const a2a_tensor *t = a2a_weights_tensor(w->files[i], k);
            bool ins;
            if ((st = a2a_strmap_put(ctx, &w->names, t->name, strlen(t->name), ((int64_t)i << 32) | k, &ins))) return st;
            if (!ins) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: tensor '%s' appears in two weight files", w->paths[i], t->name);
        }
    }
    return A2A_OK;
}

/* Tensor by HF name, NULL if absent. */
static const a2a_tensor *wset_find(const wset *w, const char *name) {
    int64_t v = a2a_strmap_get(&w->names, name, strlen(name));
    if (v < 0) return NULL;
    return a2a_weights_tensor(w->files[v >> 32], v & 0xffffffff);
}

/* ------------------------------------------------------------------ tensor plan */

/* One output tensor: HF source, GGUF name, expected ggml shape, q/k permutation heads. */
typedef struct plan_item {
    char hf[160];
    char gguf[96];
    int n_dims;
    int64_t ne[2];
    int64_t permute_heads; /* > 0: llama q/k row permutation with this many heads */
} plan_item;

/* Append an item to the plan. */
static void plan_add(plan_item *it, int *n, const char *hf, const char *gguf, int n_dims, int64_t ne0, int64_t ne1,
                     int64_t perm) {
    plan_item *p = &it[(*n)++];
    snprintf(p->hf, sizeof(p->hf), "%s", hf);
    snprintf(p->gguf, sizeof(p->gguf), "%s", gguf);
    p->n_dims = n_dims;
    p->ne[0] = ne0;
    p->ne[1] = ne1;
    p->permute_heads = perm;
}

/* The full list of tensors for hp (n_vocab rows for the embedding / output). */
static int build_plan(const hparams *hp, plan_item *it) {
    int n = 0;
    const int64_t E = hp->n_embd, qd = hp->n_head * hp->head_dim, kvd = hp->n_head_kv * hp->head_dim;
    plan_add(it, &n, "model.embed_tokens.weight", "token_embd.weight", 2, E, hp->n_vocab, 0);
    plan_add(it, &n, "model.norm.weight", "output_norm.weight", 1, E, 1, 0);
    if (!hp->tied) plan_add(it, &n, "lm_head.weight", "output.weight", 2, E, hp->n_vocab, 0);
    for (int64_t i = 0; i < hp->n_layer; i++) {
        char h[160], g[96];
#define L(hs, gs, nd, a, b, perm)                                                   \
    snprintf(h, sizeof(h), "model.layers.%lld.%s", (long long)i, hs);               \
    snprintf(g, sizeof(g), "blk.%lld.%s", (long long)i, gs);                        \
    plan_add(it, &n, h, g, nd, a, b, perm);
        L("input_layernorm.weight", "attn_norm.weight", 1, E, 1, 0)
        L("self_attn.q_proj.weight", "attn_q.weight", 2, E, qd, hp->is_qwen2 ? 0 : hp->n_head)
        L("self_attn.k_proj.weight", "attn_k.weight", 2, E, kvd, hp->is_qwen2 ? 0 : hp->n_head_kv)
        L("self_attn.v_proj.weight", "attn_v.weight", 2, E, kvd, 0)
        L("self_attn.o_proj.weight", "attn_output.weight", 2, qd, E, 0)
        if (hp->is_qwen2) {
            L("self_attn.q_proj.bias", "attn_q.bias", 1, qd, 1, 0)
            L("self_attn.k_proj.bias", "attn_k.bias", 1, kvd, 1, 0)
            L("self_attn.v_proj.bias", "attn_v.bias", 1, kvd, 1, 0)
        }
        L("post_attention_layernorm.weight", "ffn_norm.weight", 1, E, 1, 0)
        L("mlp.gate_proj.weight", "ffn_gate.weight", 2, E, hp->n_ff, 0)
        L("mlp.up_proj.weight", "ffn_up.weight", 2, E, hp->n_ff, 0)
        L("mlp.down_proj.weight", "ffn_down.weight", 2, hp->n_ff, E, 0)
#undef L
    }
    return n;
}

/* True for names the converter knowingly drops (rotary caches; lm_head when tied). */
static bool ignored_name(const hparams *hp, const char *name) {
    size_t l = strlen(name);
    static const char inv[] = "rotary_emb.inv_freq";
    if (l >= sizeof(inv) - 1 && !strcmp(name + l - (sizeof(inv) - 1), inv)) return true;
    return hp->tied && !strcmp(name, "lm_head.weight");
}

/* ------------------------------------------------------------------ tokenizer */

typedef struct vocab_out {
    int32_t n;
    const char **tokens;   /* [n] NUL-terminated (point into spm / hf / pad_blob) */
    float *scores;         /* [n] (SPM only) */
    int32_t *types;        /* [n] */
    char *pad_blob;        /* "[PADi]" strings */
    bool spm;
} vocab_out;

/* Free the arrays of v (not the token texts it points to) and zero it. */
static void vocab_free(vocab_out *v) {
    free(v->tokens);
    free(v->scores);
    free(v->types);
    free(v->pad_blob);
    memset(v, 0, sizeof(*v));
}

/* Allocate n entries, with padding names "[PADi]" for every id (overwritten by real tokens). */
static a2a_status vocab_alloc(a2a_ctx *ctx, vocab_out *v, int32_t n) {
    v->n = n;
    v->tokens = calloc((size_t)n, sizeof(char *));
    v->scores = calloc((size_t)n, sizeof(float));
    v->types = calloc((size_t)n, sizeof(int32_t));
    v->pad_blob = malloc((size_t)n * 16);
    if (!v->tokens || !v->scores || !v->types || !v->pad_blob) return a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory");
    for (int32_t i = 0; i < n; i++) {
        char *s = v->pad_blob + (size_t)i * 16;
        snprintf(s, 16, "[PAD%d]", i);
        v->tokens[i] = s;
        v->scores[i] = -1000.0f;
        v->types[i] = TT_UNUSED;
    }
    return A2A_OK;
}

/* Total token count: max(base, added ids + 1), checked against the embedding rows. */
static a2a_status vocab_size(a2a_ctx *ctx, const hparams *hp, const a2a_hf_tokenizer *hf, int32_t base, const char *what,
                             int32_t *n) {
    int64_t need = base;
    if (hf->n_added && hf->added[hf->n_added - 1].id + 1 > need) need = hf->added[hf->n_added - 1].id + 1;
    if (need > hp->n_vocab)
        return a2a_fail(ctx, A2A_ERR_SHAPE,
                        "%s: the tokenizer has %lld tokens (with added tokens) but config.json vocab_size / the embedding has %lld rows",
                        what, (long long)need, (long long)hp->n_vocab);
    *n = (int32_t)hp->n_vocab; /* padded to the embedding rows */
    return A2A_OK;
}

/* Put the added tokens over the base vocabulary: CONTROL when special, else USER_DEFINED
   (a base piece of another type keeps its type, e.g. <unk>, <s>, byte pieces). */
static void vocab_apply_added(vocab_out *v, const a2a_hf_tokenizer *hf, int32_t n_base) {
    for (int32_t i = 0; i < hf->n_added; i++) {
        const a2a_hf_token *a = &hf->added[i];
        if (a->id < n_base && v->types[a->id] != TT_NORMAL) continue;
        v->tokens[a->id] = a->text;
        v->types[a->id] = a->special ? TT_CONTROL : TT_USER_DEFINED;
        v->scores[a->id] = -1000.0f;
    }
}

/* Id of a token text (added tokens first), -1 if absent. */
static int32_t vocab_find(const vocab_out *v, const a2a_hf_tokenizer *hf, const char *text) {
    for (int32_t i = 0; i < hf->n_added; i++)
        if (!strcmp(hf->added[i].text, text)) return hf->added[i].id;
    for (int32_t i = 0; i < v->n; i++)
        if (v->types[i] != TT_UNUSED && !strcmp(v->tokens[i], text)) return i;
    return -1;
}

/* An integer (or the first of an array) key of a JSON config; -1 when absent. */
static int64_t json_id(const a2a_json_value *root, const char *key) {
    const a2a_json_value *v = a2a_json_get(root, key);
    if (a2a_json_is_array(v)) v = a2a_json_at(v, 0);
    int64_t x;
    return a2a_json_int(v, &x) ? x : -1;
}

/* Write a special id key: the token named in tokenizer_config.json, else config.json /
   generation_config.json `<which>_token_id`, else fallback (SentencePiece trainer id). */
static a2a_status write_special(a2a_ctx *ctx, a2a_gguf_writer *w, const vocab_out *v, const a2a_hf_tokenizer *hf,
                                const char *text, const char *which, const a2a_json_value *cfg, const a2a_json_value *gen,
                                int64_t fallback) {
    char key[64];
    int64_t id = -1;
    if (text) id = vocab_find(v, hf, text);
    snprintf(key, sizeof(key), "%s_token_id", which);
    if (id < 0) id = json_id(cfg, key);
    if (id < 0) id = json_id(gen, key);
    if (id < 0) id = fallback;
    if (id < 0) return A2A_OK;
    if (id >= v->n) { /* some fine-tune configs name a pad id past the vocabulary: drop it */
        a2a_log(ctx, A2A_LOG_WARN, "convert: %s_token_id %lld is outside the %d tokens; not written", which, (long long)id, v->n);
        return A2A_OK;
    }
    char gkey[64];
    snprintf(gkey, sizeof(gkey), "tokenizer.ggml.%s_token_id", !strcmp(which, "unk") ? "unknown" : !strcmp(which, "pad") ? "padding" : which);
    return a2a_gguf_writer_set_u32(ctx, w, gkey, (uint32_t)id);
}

/* The tokenizer of dir into w. */
static a2a_status write_tokenizer(a2a_ctx *ctx, a2a_gguf_writer *w, const char *dir, const hparams *hp,
                                  const a2a_json_value *cfg, const a2a_json_value *gen) {
    a2a_hf_tokenizer *hf = NULL;
    a2a_spm_model *spm = NULL;
    vocab_out v = {0};
    char path[4096];
    a2a_status st = a2a_hf_tokenizer_load(ctx, dir, &hf);
    if (st) return st;
    if (is_file(dir, "tokenizer.model")) {
        join(path, sizeof(path), dir, "tokenizer.model");
        if ((st = a2a_spm_model_load(ctx, path, &spm))) goto done;
        if (spm->model_type != A2A_SPM_MODEL_BPE)
            a2a_log(ctx, A2A_LOG_WARN, "%s: SentencePiece model type %d is not BPE; llama.cpp-style tokenization may differ", path,
                    spm->model_type);
        if ((st = vocab_size(ctx, hp, hf, spm->n_pieces, path, &v.n)) || (st = vocab_alloc(ctx, &v, v.n))) goto done;
        for (int32_t i = 0; i < spm->n_pieces; i++) {
            v.tokens[i] = spm->pieces[i].text;
            v.scores[i] = spm->pieces[i].score;
            v.types[i] = spm->pieces[i].type;
        }
        vocab_apply_added(&v, hf, spm->n_pieces);
        v.spm = true;
        if ((st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.model", "llama")) ||
            (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.tokens", v.tokens, (uint64_t)v.n)) ||
            (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.scores", A2A_GGUF_FLOAT32, v.scores, (uint64_t)v.n)) ||
            (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.token_type", A2A_GGUF_INT32, v.types, (uint64_t)v.n)) ||
            (st = a2a_gguf_writer_set_bool(ctx, w, "tokenizer.ggml.add_space_prefix", spm->add_dummy_prefix)))
            goto done;
    } else if (hf->has_model) {
        join(path, sizeof(path), dir, "tokenizer.json");
        if (strcmp(hf->model_type, "BPE") != 0 || hf->n_vocab == 0) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: tokenizer model '%s' is not supported (byte-level BPE; or give tokenizer.model)",
                          path, hf->model_type);
            goto done;
        }
        if (hf->byte_fallback) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                          "%s: a SentencePiece-style BPE (byte_fallback); put its tokenizer.model in the folder", path);
            goto done;
        }
        if ((st = vocab_size(ctx, hp, hf, hf->n_vocab, path, &v.n)) || (st = vocab_alloc(ctx, &v, v.n))) goto done;
        for (int32_t i = 0; i < hf->n_vocab; i++)
            if (hf->vocab[i]) {
                v.tokens[i] = hf->vocab[i];
                v.types[i] = TT_NORMAL;
            }
        vocab_apply_added(&v, hf, 0);
        if ((st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.model", "gpt2")) ||
            (st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.ggml.pre", hp->is_qwen2 ? "qwen2" : "llama-bpe")) ||
            (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.tokens", v.tokens, (uint64_t)v.n)) ||
            (st = a2a_gguf_writer_set_arr(ctx, w, "tokenizer.ggml.token_type", A2A_GGUF_INT32, v.types, (uint64_t)v.n)) ||
            (st = a2a_gguf_writer_set_arr_str(ctx, w, "tokenizer.ggml.merges", (const char *const *)hf->merges, (uint64_t)hf->n_merges)))
            goto done;
    } else {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: no tokenizer (tokenizer.model or tokenizer.json)", dir);
        goto done;
    }
    if ((st = write_special(ctx, w, &v, hf, hf->bos_token, "bos", cfg, gen, spm ? spm->bos_id : -1)) ||
        (st = write_special(ctx, w, &v, hf, hf->eos_token, "eos", cfg, gen, spm ? spm->eos_id : -1)) ||
        (st = write_special(ctx, w, &v, hf, hf->unk_token, "unk", cfg, gen, spm ? spm->unk_id : -1)) ||
        (st = write_special(ctx, w, &v, hf, hf->pad_token, "pad", cfg, gen, spm ? spm->pad_id : -1)))
        goto done;
    bool add_bos = hf->add_bos >= 0 ? hf->add_bos : (hf->post_bos || v.spm);
    if ((st = a2a_gguf_writer_set_bool(ctx, w, "tokenizer.ggml.add_bos_token", add_bos)) ||
        (st = a2a_gguf_writer_set_bool(ctx, w, "tokenizer.ggml.add_eos_token", hf->add_eos > 0)))
        goto done;
    if (hf->chat_template && (st = a2a_gguf_writer_set_str(ctx, w, "tokenizer.chat_template", hf->chat_template))) goto done;
done:
    /* the writer copied every string and array: the sources may go */
    vocab_free(&v);
    a2a_spm_model_free(spm);
    a2a_hf_tokenizer_free(hf);
    return st;
}

/* ------------------------------------------------------------------ metadata */

/* "<arch>.<suffix>" = v as u32 (FORMAT error when v does not fit). */
static a2a_status set_arch_u32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *arch, const char *suffix, int64_t v) {
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    if (v < 0 || v > (int64_t)UINT32_MAX) return a2a_fail(ctx, A2A_ERR_FORMAT, "convert: %s = %lld does not fit u32", key, (long long)v);
    return a2a_gguf_writer_set_u32(ctx, w, key, (uint32_t)v);
}

/* "<arch>.<suffix>" = v as f32. */
static a2a_status set_arch_f32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *arch, const char *suffix, double v) {
    char key[128];
    snprintf(key, sizeof(key), "%s.%s", arch, suffix);
    return a2a_gguf_writer_set_f32(ctx, w, key, (float)v);
}

/* general.* and <arch>.* metadata for hp; general.file_type from the target type. */
static a2a_status write_hparams(a2a_ctx *ctx, a2a_gguf_writer *w, const hparams *hp, const char *dir, a2a_type type) {
    const char *a = hp->arch;
    /* general.name: the folder's last path component, trailing slashes ignored */
    size_t end = strlen(dir);
    while (end > 1 && dir[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && dir[start - 1] != '/') start--;
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)A2A_MIN(end - start, sizeof(name) - 1), dir + start);
    if (!name[0]) snprintf(name, sizeof(name), "model");
    a2a_status st;
    int ft = a2a_ftype_of(type);
    if ((st = a2a_gguf_writer_set_str(ctx, w, "general.architecture", a)) ||
        (st = a2a_gguf_writer_set_str(ctx, w, "general.name", name)) ||
        (ft >= 0 && (st = a2a_gguf_writer_set_u32(ctx, w, "general.file_type", (uint32_t)ft))) ||
        (st = a2a_gguf_writer_set_u32(ctx, w, "general.quantization_version", 2)) ||
        (st = set_arch_u32(ctx, w, a, "vocab_size", hp->n_vocab)) ||
        (st = set_arch_u32(ctx, w, a, "context_length", hp->n_ctx)) ||
        (st = set_arch_u32(ctx, w, a, "embedding_length", hp->n_embd)) ||
        (st = set_arch_u32(ctx, w, a, "block_count", hp->n_layer)) ||
        (st = set_arch_u32(ctx, w, a, "feed_forward_length", hp->n_ff)) ||
        (st = set_arch_u32(ctx, w, a, "attention.head_count", hp->n_head)) ||
        (st = set_arch_u32(ctx, w, a, "attention.head_count_kv", hp->n_head_kv)) ||
        (st = set_arch_f32(ctx, w, a, "rope.freq_base", hp->rope_theta)) ||
        (st = set_arch_f32(ctx, w, a, "attention.layer_norm_rms_epsilon", hp->rms_eps)) ||
        (st = set_arch_u32(ctx, w, a, "rope.dimension_count", hp->head_dim)))
        return st;
    if (hp->head_dim * hp->n_head != hp->n_embd &&
        ((st = set_arch_u32(ctx, w, a, "attention.key_length", hp->head_dim)) ||
         (st = set_arch_u32(ctx, w, a, "attention.value_length", hp->head_dim))))
        return st;
    if (hp->rope_type) {
        char key[128];
        snprintf(key, sizeof(key), "%s.rope.scaling.type", a);
        if ((st = a2a_gguf_writer_set_str(ctx, w, key, hp->rope_type)) ||
            (st = set_arch_f32(ctx, w, a, "rope.scaling.factor", hp->rope_factor)) ||
            (hp->rope_orig_ctx > 0 && (st = set_arch_u32(ctx, w, a, "rope.scaling.original_context_length", hp->rope_orig_ctx))))
            return st;
    }
    return A2A_OK;
}

/* ------------------------------------------------------------------ conversion */

/* Shape of t in PyTorch order ("[a, b]") into buf. */
static const char *torch_shape(const a2a_tensor *t, char *buf, size_t cap) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, cap - o, "[");
    for (int d = t->n_dims - 1; d >= 0 && o < cap; d--)
        o += (size_t)snprintf(buf + o, cap - o, "%lld%s", (long long)t->ne[d], d ? ", " : "");
    if (o < cap) snprintf(buf + o, cap - o, "]");
    return buf;
}

/* Check a source tensor against the plan item (shape and a readable type). */
static a2a_status check_tensor(a2a_ctx *ctx, const plan_item *it, const a2a_tensor *t) {
    bool ok = t->n_dims == it->n_dims && t->ne[0] == it->ne[0] && (it->n_dims == 1 || t->ne[1] == it->ne[1]);
    for (int d = it->n_dims; d < A2A_MAX_DIMS; d++) ok = ok && t->ne[d] == 1;
    if (!ok) {
        char got[96];
        if (it->n_dims == 1)
            return a2a_fail(ctx, A2A_ERR_SHAPE, "tensor '%s' has shape %s, config.json implies [%lld]", it->hf,
                            torch_shape(t, got, sizeof(got)), (long long)it->ne[0]);
        return a2a_fail(ctx, A2A_ERR_SHAPE, "tensor '%s' has shape %s, config.json implies [%lld, %lld]", it->hf,
                        torch_shape(t, got, sizeof(got)), (long long)it->ne[1], (long long)it->ne[0]);
    }
    if (t->type != A2A_TYPE_F32 && t->type != A2A_TYPE_F16 && t->type != A2A_TYPE_BF16)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "tensor '%s' has type %s (f32, f16 or bf16 expected)", it->hf, a2a_type_name(t->type));
    return A2A_OK;
}

/* A view of the 2-D tensor t whose rows come in llama.cpp's q/k order: output row
   h*hd + 2*i + j is input row h*hd + j*hd/2 + i (HF rotate-half -> interleaved pairs). */
static a2a_tensor permuted_view(const a2a_tensor *t, int64_t n_heads) {
    a2a_tensor v = *t;
    const int64_t hd = t->ne[1] / n_heads;
    v.n_dims = 4;
    v.ne[1] = 2;
    v.ne[2] = hd / 2;
    v.ne[3] = n_heads;
    v.ne[4] = 1;
    v.nb[1] = (size_t)(hd / 2) * t->nb[1];
    v.nb[2] = t->nb[1];
    v.nb[3] = (size_t)hd * t->nb[1];
    v.nb[4] = (size_t)n_heads * v.nb[3];
    return v;
}

/* Contract in llama_convert.h. */
a2a_status a2a_llama_convert(a2a_ctx *ctx, const char *hf_dir, const char *out_path, const a2a_llama_convert_params *p) {
    a2a_llama_convert_params dp = a2a_llama_convert_default_params();
    if (!p) p = &dp;
    if (!a2a_convert_supported(A2A_TYPE_F32, p->type) || !a2a_convert_supported(A2A_TYPE_F32, p->fallback))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "convert: target type %s is not supported", a2a_type_name(p->type));
    char path[4096];
    if (!join(path, sizeof(path), hf_dir, "config.json")) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "convert: path too long");
    if (!is_file(hf_dir, "config.json")) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing (is this a Hugging Face model folder?)", path);
    a2a_json *cfg_doc = NULL, *gen_doc = NULL;
    a2a_gguf_writer *w = NULL;
    wset ws = {0};
    plan_item *plan = NULL;
    void **bufs = NULL;
    int n_plan = 0;
    hparams hp;
    a2a_status st = a2a_json_parse_file(ctx, path, &cfg_doc);
    if (st) return st;
    const a2a_json_value *cfg = a2a_json_root(cfg_doc);
    if ((st = read_hparams(ctx, cfg, &hp))) {
        a2a_error_prefix(ctx, "%s", hf_dir);
        goto done;
    }
    if (is_file(hf_dir, "generation_config.json")) {
        join(path, sizeof(path), hf_dir, "generation_config.json");
        if ((st = a2a_json_parse_file(ctx, path, &gen_doc))) goto done;
    }
    if ((st = wset_load(ctx, &ws, hf_dir))) goto done;
    /* every source tensor must be used or knowingly ignored */
    plan = calloc((size_t)(3 + 12 * hp.n_layer), sizeof(plan_item));
    if (!plan) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory"); goto done; }
    n_plan = build_plan(&hp, plan);
    {
        a2a_strmap planned;
        if ((st = a2a_strmap_init(ctx, &planned, (size_t)n_plan))) goto done;
        for (int i = 0; i < n_plan && !st; i++) st = a2a_strmap_put(ctx, &planned, plan[i].hf, strlen(plan[i].hf), i, NULL);
        for (int f = 0; f < ws.n_files && !st; f++)
            for (int64_t k = 0; k < a2a_weights_n_tensors(ws.files[f]) && !st; k++) {
                const char *nm = a2a_weights_tensor(ws.files[f], k)->name;
                if (a2a_strmap_get(&planned, nm, strlen(nm)) < 0 && !ignored_name(&hp, nm))
                    st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: tensor '%s' has no place in a %s GGUF (unexpected for this config.json)",
                                  ws.paths[f], nm, hp.arch);
            }
        a2a_strmap_free(&planned);
        if (st) goto done;
    }
    /* check everything before the slow part */
    for (int i = 0; i < n_plan; i++) {
        const a2a_tensor *t = wset_find(&ws, plan[i].hf);
        if (!t) {
            st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing tensor '%s' (for %s)", hf_dir, plan[i].hf, plan[i].gguf);
            goto done;
        }
        if ((st = check_tensor(ctx, &plan[i], t))) {
            a2a_error_prefix(ctx, "%s", hf_dir);
            goto done;
        }
    }
    if ((st = a2a_gguf_writer_new(ctx, &w)) || (st = write_hparams(ctx, w, &hp, hf_dir, p->type)) ||
        (st = write_tokenizer(ctx, w, hf_dir, &hp, cfg, gen_doc ? a2a_json_root(gen_doc) : NULL)))
        goto done;
    bufs = calloc((size_t)n_plan, sizeof(void *));
    if (!bufs) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "convert: out of memory"); goto done; }
    for (int i = 0; i < n_plan; i++) {
        const plan_item *it = &plan[i];
        const a2a_tensor *t = wset_find(&ws, it->hf);
        a2a_type dt = A2A_TYPE_F32;
        if (it->n_dims == 2) {
            dt = p->type;
            if (t->ne[0] % a2a_type_info(dt)->blck) dt = p->fallback;
            if (t->ne[0] % a2a_type_info(dt)->blck) dt = A2A_TYPE_F16;
        }
        a2a_tensor src = *t;
        src.name = it->hf;
        if (it->permute_heads > 0) src = permuted_view(t, it->permute_heads);
        const void *data = t->data;
        if (!(dt == t->type && it->permute_heads == 0 && a2a_tensor_is_contiguous(t))) {
            size_t row, bytes;
            if (!a2a_row_size(dt, t->ne[0], &row) || !a2a_mul_ok(row, (size_t)a2a_tensor_nrows(t), &bytes) ||
                !(bufs[i] = malloc(bytes ? bytes : 1))) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "convert: cannot allocate %s for '%s'", a2a_type_name(dt), it->hf);
                goto done;
            }
            if ((st = a2a_convert_rows(ctx, p->tp, &src, dt, bufs[i]))) goto done;
            data = bufs[i];
        }
        if ((st = a2a_gguf_writer_add_tensor(ctx, w, it->gguf, dt, it->n_dims, it->ne, data))) goto done;
        if (p->progress && p->progress(i + 1, n_plan, it->gguf, p->user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "convert: cancelled");
            goto done;
        }
    }
    st = a2a_gguf_writer_write(ctx, w, out_path);
done:
    if (bufs)
        for (int i = 0; i < n_plan; i++) free(bufs[i]);
    free(bufs);
    free(plan);
    a2a_gguf_writer_free(w);
    wset_free(&ws);
    a2a_json_free(gen_doc);
    a2a_json_free(cfg_doc);
    return st;
}
