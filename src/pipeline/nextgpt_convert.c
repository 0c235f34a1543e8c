/* NExT-GPT delta checkpoint + base LLM GGUF -> any2any bundle: see nextgpt_convert.h. */
#define _GNU_SOURCE
#include "pipeline/nextgpt_convert.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/atomic_file.h"
#include "io/convert_rows.h"
#include "io/gguf.h"
#include "io/gguf_copy.h"
#include "io/weights.h"
#include "kernels/convert.h"
#include "models/llm/lora_merge.h"
#include "models/projectors/projector.h"
#include "models/projectors/textfc.h"
#include "text/vocab_extend.h"

#define NGC_PATH 4096
#define NGC_MAX_SIGNAL 1024 /* per modality: sanity limit */

/* Defaults documented in nextgpt_convert.h. */
a2a_nextgpt_convert_params a2a_nextgpt_convert_default_params(void) {
    a2a_nextgpt_convert_params p;
    memset(&p, 0, sizeof p);
    p.type = A2A_TYPE_F16;
    p.merge_lora = true;
    return p;
}

static const char *const k_proj_hf[4] = {"q_proj", "k_proj", "v_proj", "o_proj"};
static const char *const k_proj_gguf[4] = {"attn_q", "attn_k", "attn_v", "attn_output"};
static const char *const k_modality[3] = {"image", "video", "audio"};
static const char *const k_fc_prefix[3] = {"gen_text_hidden_fcs.", "gen_text_hidden_fcs_video.", "gen_text_hidden_fcs_audio."};
static const char *const k_gen_file[3] = {"generator_image.gguf", "generator_video.gguf", "generator_audio.gguf"};

typedef struct lora_pair {
    const a2a_tensor *a, *b; /* [n_in, r], [r, n_out]; NULL when the module has none */
    int64_t rank;
} lora_pair;

/* Everything read and checked before any file is written. */
typedef struct ngc {
    a2a_ctx *ctx;
    const a2a_nextgpt_convert_params *p;
    a2a_weights *ck;
    a2a_gguf *base;
    const char *pfx;                 /* LLM key prefix in the checkpoint */
    int64_t n_embd, n_layer, n_head, n_head_kv;
    int64_t n_base;                  /* base vocabulary size == token_embd rows */
    int64_t n_total;                 /* n_base + n_added */
    const a2a_tensor *emb, *head;    /* checkpoint [n_embd, n_total or n_added]; head may be NULL (tied base) */
    int n_sig[3];                    /* signal tokens per modality */
    int n_added;
    char **added;                    /* [n_added] token strings */
    lora_pair *lora;                 /* [n_layer * 4]; NULL when the checkpoint has no LoRA */
    bool has_fc[3];
    char out_abs[NGC_PATH];          /* final out_dir (absolute, when reference_external) */
    char tmp[NGC_PATH];              /* temporary folder */
    char **files;                    /* names written into tmp, in order */
    int n_files;
    int64_t step, n_steps;           /* progress */
} ngc;

/* Progress after one step; nonzero from the callback cancels. */
static a2a_status tick(ngc *c, const char *what) {
    c->step++;
    if (c->p->progress && c->p->progress(c->step, c->n_steps, what, c->p->user))
        return a2a_fail(c->ctx, A2A_ERR_CANCELLED, "nextgpt convert: cancelled");
    return A2A_OK;
}

static bool path_join(char *out, size_t cap, const char *dir, const char *name) {
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

/* Record a file name written into the temporary folder (for the commit and the cleanup). */
static a2a_status note_file(ngc *c, const char *name) {
    char **f = realloc(c->files, sizeof(char *) * (size_t)(c->n_files + 1));
    if (!f) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    c->files = f;
    if (!(f[c->n_files] = strdup(name))) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    c->n_files++;
    return A2A_OK;
}

/* Remove the temporary folder and everything in it (including atomic-writer leftovers). */
static void remove_tmp(ngc *c) {
    if (!c->tmp[0]) return;
    DIR *d = opendir(c->tmp);
    if (d) {
        struct dirent *e;
        char path[NGC_PATH];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            if (path_join(path, sizeof(path), c->tmp, e->d_name)) unlink(path);
        }
        closedir(d);
    }
    rmdir(c->tmp);
    c->tmp[0] = 0;
}

/* ------------------------------------------------------------------ checks */

static a2a_status get_dim(ngc *c, const char *key, int64_t *out, bool required, int64_t def) {
    uint32_t v = 0;
    if (a2a_gguf_find_key(c->base, key) < 0) {
        if (required) return a2a_fail(c->ctx, A2A_ERR_FORMAT, "%s: missing key %s", c->p->base_llm, key);
        *out = def;
        return A2A_OK;
    }
    a2a_status st = a2a_gguf_get_u32(c->ctx, c->base, key, &v);
    if (st != A2A_OK) return st;
    if (v == 0 || v > (1u << 20)) return a2a_fail(c->ctx, A2A_ERR_FORMAT, "%s: %s = %u is absurd", c->p->base_llm, key, v);
    *out = v;
    return A2A_OK;
}

static a2a_status check_base(ngc *c) {
    const char *arch;
    size_t len;
    a2a_status st = a2a_gguf_get_str(c->ctx, c->base, "general.architecture", &arch, &len);
    if (st != A2A_OK) return st;
    if (len != 5 || memcmp(arch, "llama", 5) != 0)
        return a2a_fail(c->ctx, A2A_ERR_UNSUPPORTED, "%s: architecture '%.*s' (a llama GGUF expected)", c->p->base_llm,
                        (int)A2A_MIN(len, 64), arch);
    if ((st = get_dim(c, "llama.embedding_length", &c->n_embd, true, 0)) ||
        (st = get_dim(c, "llama.block_count", &c->n_layer, true, 0)) ||
        (st = get_dim(c, "llama.attention.head_count", &c->n_head, true, 0)) ||
        (st = get_dim(c, "llama.attention.head_count_kv", &c->n_head_kv, false, c->n_head)))
        return st;
    const a2a_tensor *te = a2a_gguf_find_tensor(c->base, "token_embd.weight");
    if (!te || te->n_dims != 2 || te->ne[0] != c->n_embd)
        return a2a_fail(c->ctx, te ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND, "%s: token_embd.weight %s", c->p->base_llm,
                        te ? "does not match llama.embedding_length" : "missing");
    a2a_gguf_vtype et;
    uint64_t n_tok = 0;
    if ((st = a2a_gguf_get_arr_info(c->ctx, c->base, "tokenizer.ggml.tokens", &et, &n_tok)) != A2A_OK) {
        a2a_error_prefix(c->ctx, "%s (the base LLM needs its tokenizer)", c->p->base_llm);
        return st;
    }
    if ((int64_t)n_tok != te->ne[1])
        return a2a_fail(c->ctx, A2A_ERR_SHAPE, "%s: the tokenizer has %llu tokens but token_embd.weight %lld rows: new token ids would not line up",
                        c->p->base_llm, (unsigned long long)n_tok, (long long)te->ne[1]);
    c->n_base = te->ne[1];
    return A2A_OK;
}

/* The resized embedding / lm_head of the checkpoint: [n_embd, n_total] or [n_embd, n_added]. */
static a2a_status check_rows(ngc *c, const a2a_tensor *t, const char *name) {
    char s[96];
    if (t->n_dims != 2 || t->ne[0] != c->n_embd)
        return a2a_fail(c->ctx, A2A_ERR_SHAPE, "%s: '%s' has shape %s (ggml order) but the base LLM is %lld wide", c->p->ckpt_path,
                        name, a2a_tensor_shape_str(t, s, sizeof(s)), (long long)c->n_embd);
    if (t->ne[1] != c->n_total && t->ne[1] != c->n_added)
        return a2a_fail(c->ctx, A2A_ERR_SHAPE,
                        "%s: '%s' has %lld rows; the base vocabulary (%lld) plus the %d added tokens make %lld (check the signal token counts)",
                        c->p->ckpt_path, name, (long long)t->ne[1], (long long)c->n_base, c->n_added, (long long)c->n_total);
    if (!a2a_convert_supported(t->type, A2A_TYPE_F32))
        return a2a_fail(c->ctx, A2A_ERR_UNSUPPORTED, "%s: '%s' has type %s", c->p->ckpt_path, name, a2a_type_name(t->type));
    return A2A_OK;
}

static a2a_status make_added(ngc *c) {
    const int defaults[3] = {4, 24, 8};
    const int req[3] = {c->p->n_image_tokens, c->p->n_video_tokens, c->p->n_audio_tokens};
    c->n_added = 2;
    for (int m = 0; m < 3; m++) {
        if (req[m] < 0 || req[m] > NGC_MAX_SIGNAL)
            return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: %d %s signal tokens", req[m], k_modality[m]);
        c->n_sig[m] = req[m] ? req[m] : defaults[m];
        c->n_added += c->n_sig[m];
    }
    if (!(c->added = calloc((size_t)c->n_added, sizeof(char *)))) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    int k = 0;
    c->added[k++] = strdup("<Img>");
    c->added[k++] = strdup("</Img>");
    static const char *const tag[3] = {"IMG", "VID", "AUD"};
    for (int m = 0; m < 3; m++)
        for (int i = 0; i < c->n_sig[m]; i++) {
            char buf[32];
            snprintf(buf, sizeof(buf), "[%s%d]", tag[m], i);
            c->added[k++] = strdup(buf);
        }
    for (int i = 0; i < k; i++)
        if (!c->added[i]) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    c->n_total = c->n_base + c->n_added;
    return A2A_OK;
}

static a2a_status check_lora(ngc *c) {
    /* every lora_A key of the checkpoint must belong to a module we merge */
    int64_t n_keys = 0, n_found = 0;
    for (int64_t i = 0; i < a2a_weights_n_tensors(c->ck); i++) {
        const a2a_tensor *t = a2a_weights_tensor(c->ck, i);
        if (t && t->name && strstr(t->name, ".lora_A")) n_keys++;
    }
    if (n_keys == 0) return A2A_OK;
    if (!(c->lora = calloc((size_t)c->n_layer * 4, sizeof(lora_pair)))) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    for (int64_t l = 0; l < c->n_layer; l++)
        for (int j = 0; j < 4; j++) {
            char mod[512];
            snprintf(mod, sizeof(mod), "%smodel.layers.%lld.self_attn.%s", c->pfx, (long long)l, k_proj_hf[j]);
            lora_pair *lp = &c->lora[l * 4 + j];
            a2a_status st = a2a_lora_find(c->ctx, c->ck, mod, &lp->a, &lp->b);
            if (st != A2A_OK) {
                a2a_error_prefix(c->ctx, "%s", c->p->ckpt_path);
                return st;
            }
            if (!lp->a) continue;
            n_found++;
            const int64_t hd = c->n_embd / c->n_head;
            const int64_t n_out = j == 1 || j == 2 ? c->n_head_kv * hd : c->n_embd;
            const int64_t perm = j == 0 ? c->n_head : j == 1 ? c->n_head_kv : 0;
            if ((st = a2a_lora_check(c->ctx, mod, lp->a, lp->b, c->n_embd, n_out, perm, &lp->rank)) != A2A_OK) {
                a2a_error_prefix(c->ctx, "%s", c->p->ckpt_path);
                return st;
            }
        }
    if (n_found == n_keys) return A2A_OK;
    const char *stray = "?"; /* the first lora_A key that is not one of ours */
    for (int64_t i = 0; i < a2a_weights_n_tensors(c->ck) && !strcmp(stray, "?"); i++) {
        const a2a_tensor *t = a2a_weights_tensor(c->ck, i);
        if (!t || !t->name || !strstr(t->name, ".lora_A")) continue;
        bool ours = false;
        for (int64_t k = 0; k < c->n_layer * 4 && !ours; k++) ours = c->lora[k].a && !strcmp(c->lora[k].a->name, t->name);
        if (!ours) stray = t->name;
    }
    return a2a_fail(c->ctx, A2A_ERR_SHAPE,
                    "%s: %lld LoRA modules, only %lld of them on q/k/v/o_proj of the base LLM's %lld layers (e.g. '%s')",
                    c->p->ckpt_path, (long long)n_keys, (long long)n_found, (long long)c->n_layer, stray);
}

static a2a_status check_projectors(ngc *c) {
    const a2a_tensor *t = a2a_weights_find(c->ck, "llama_proj.weight");
    if (!t) return a2a_fail(c->ctx, A2A_ERR_NOT_FOUND, "%s: missing key 'llama_proj.weight' (input projector)", c->p->ckpt_path);
    char s[96];
    if (t->n_dims != 2 || t->ne[1] != c->n_embd)
        return a2a_fail(c->ctx, A2A_ERR_SHAPE, "%s: 'llama_proj.weight' has shape %s (ggml order): output width != the base LLM's %lld",
                        c->p->ckpt_path, a2a_tensor_shape_str(t, s, sizeof(s)), (long long)c->n_embd);
    for (int64_t i = 0; i < a2a_weights_n_tensors(c->ck); i++) {
        const a2a_tensor *w = a2a_weights_tensor(c->ck, i);
        if (!w || !w->name) continue;
        for (int m = 0; m < 3; m++) {
            size_t lp = strlen(k_fc_prefix[m]);
            if (strncmp(w->name, k_fc_prefix[m], lp) != 0) continue;
            c->has_fc[m] = true;
            const char *q = w->name + lp;
            while (*q >= '0' && *q <= '9') q++;
            if (q != w->name + lp && !strcmp(q, ".fc.weight") && (w->n_dims != 2 || w->ne[0] != c->n_embd))
                return a2a_fail(c->ctx, A2A_ERR_SHAPE, "%s: '%s' has shape %s (ggml order): input width != the base LLM's %lld",
                                c->p->ckpt_path, w->name, a2a_tensor_shape_str(w, s, sizeof(s)), (long long)c->n_embd);
        }
    }
    return A2A_OK;
}

static a2a_status check_external(ngc *c, const char *path, const char *what) {
    if (!path) return A2A_OK;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return a2a_fail(c->ctx, A2A_ERR_NOT_FOUND, "nextgpt convert: %s '%s' is not a file", what, path);
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(c->ctx, path, &g);
    if (st != A2A_OK) {
        a2a_error_prefix(c->ctx, "nextgpt convert: %s", what);
        return st;
    }
    a2a_gguf_close(g);
    return A2A_OK;
}

/* ------------------------------------------------------------------ llm.gguf / lora.gguf */

static bool not_tokenizer(const char *key, void *user) {
    (void)user;
    return strncmp(key, "tokenizer.", 10) != 0;
}

/* [n_embd, n_total] rows in type: the checkpoint's matrix, or the base rows + the added ones. */
static a2a_status grown_rows(ngc *c, a2a_gguf_writer *w, const char *name, const a2a_tensor *base_t,
                             const a2a_tensor *ck_t) {
    a2a_type t = c->p->type;
    if (c->n_embd % a2a_type_info(t)->blck != 0) t = A2A_TYPE_F16;
    size_t rs = 0;
    if (!a2a_row_size(t, c->n_embd, &rs)) return a2a_fail(c->ctx, A2A_ERR_UNSUPPORTED, "nextgpt convert: type %s", a2a_type_name(t));
    char *buf = malloc(rs * (size_t)c->n_total);
    if (!buf) return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory for %s", name);
    a2a_status st = A2A_OK;
    if (ck_t->ne[1] == c->n_total) {
        st = a2a_convert_rows(c->ctx, c->p->tp, ck_t, t, buf);
    } else {
        if (!base_t || base_t->ne[0] != c->n_embd || base_t->ne[1] != c->n_base) {
            free(buf);
            return a2a_fail(c->ctx, A2A_ERR_SHAPE, "%s: the checkpoint holds only the added rows of %s but the base LLM has no matching tensor",
                            c->p->ckpt_path, name);
        }
        st = a2a_convert_rows(c->ctx, c->p->tp, base_t, t, buf);
        if (st == A2A_OK) st = a2a_convert_rows(c->ctx, c->p->tp, ck_t, t, buf + rs * (size_t)c->n_base);
    }
    if (st != A2A_OK) {
        free(buf);
        return st;
    }
    if ((st = a2a_gguf_writer_keep(c->ctx, w, buf)) != A2A_OK) return st;
    const int64_t ne[2] = {c->n_embd, c->n_total};
    return a2a_gguf_writer_add_tensor(c->ctx, w, name, t, 2, ne, buf);
}

/* The lora_pair of a GGUF tensor name "blk.N.attn_X.weight" (NULL if none); *perm receives the
   q/k permutation head count. */
static const lora_pair *pair_of(const ngc *c, const char *name, int64_t *perm) {
    if (!c->lora) return NULL;
    long long l;
    char proj[32];
    int pos = 0;
    if (sscanf(name, "blk.%lld.%31[a-z_].weight%n", &l, proj, &pos) != 2 || name[pos] != 0) return NULL;
    if (l < 0 || l >= c->n_layer) return NULL;
    for (int j = 0; j < 4; j++)
        if (!strcmp(proj, k_proj_gguf[j])) {
            const lora_pair *lp = &c->lora[l * 4 + j];
            *perm = j == 0 ? c->n_head : j == 1 ? c->n_head_kv : 0;
            return lp->a ? lp : NULL;
        }
    return NULL;
}

static float lora_scale(const ngc *c, const lora_pair *lp) {
    float alpha = c->p->lora_alpha > 0 ? c->p->lora_alpha : (float)lp->rank;
    return alpha / (float)lp->rank;
}

static a2a_status write_llm(ngc *c) {
    a2a_gguf_writer *w = NULL;
    a2a_status st = a2a_gguf_writer_new(c->ctx, &w);
    if (st != A2A_OK) return st;
    if ((st = a2a_gguf_writer_copy_kv(c->ctx, w, c->base, not_tokenizer, NULL)) != A2A_OK) goto done;
    int64_t nv = 0;
    if ((st = a2a_vocab_gguf_copy_extended(c->ctx, w, c->base, (const char *const *)c->added, c->n_added, &nv)) != A2A_OK) goto done;
    if (nv != c->n_total) {
        st = a2a_fail(c->ctx, A2A_ERR_INTERNAL, "nextgpt convert: vocabulary of %lld tokens, %lld expected", (long long)nv,
                      (long long)c->n_total);
        goto done;
    }
    if (a2a_gguf_find_key(c->base, "llama.vocab_size") >= 0 &&
        (st = a2a_gguf_writer_set_u32(c->ctx, w, "llama.vocab_size", (uint32_t)c->n_total)) != A2A_OK)
        goto done;
    const a2a_tensor *base_out = a2a_gguf_find_tensor(c->base, "output.weight");
    for (int64_t i = 0; i < a2a_gguf_n_tensors(c->base); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(c->base, i);
        int64_t perm = 0;
        const lora_pair *lp = c->p->merge_lora ? pair_of(c, t->name, &perm) : NULL;
        if (!strcmp(t->name, "token_embd.weight")) {
            st = grown_rows(c, w, t->name, t, c->emb);
        } else if (!strcmp(t->name, "output.weight")) {
            st = grown_rows(c, w, t->name, t, c->head);
        } else if (lp) {
            a2a_type ot = a2a_convert_supported(A2A_TYPE_F32, t->type) ? t->type : c->p->type;
            void *buf = NULL;
            size_t size = 0;
            if ((st = a2a_lora_merge(c->ctx, c->p->tp, t, lp->a, lp->b, lora_scale(c, lp), perm, ot, &buf, &size)) == A2A_OK &&
                (st = a2a_gguf_writer_keep(c->ctx, w, buf)) == A2A_OK)
                st = a2a_gguf_writer_add_tensor(c->ctx, w, t->name, ot, t->n_dims, t->ne, buf);
        } else {
            st = a2a_gguf_writer_add_tensor(c->ctx, w, t->name, t->type, t->n_dims, t->ne, t->data);
        }
        if (st != A2A_OK || (st = tick(c, t->name)) != A2A_OK) goto done;
    }
    if (!base_out && c->head && (st = grown_rows(c, w, "output.weight", NULL, c->head)) != A2A_OK) goto done;
    char path[NGC_PATH];
    if (!path_join(path, sizeof(path), c->tmp, "llm.gguf")) {
        st = a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
        goto done;
    }
    if ((st = a2a_gguf_writer_write(c->ctx, w, path)) == A2A_OK) st = note_file(c, "llm.gguf");
    if (st == A2A_OK) st = tick(c, "llm.gguf");
done:
    a2a_gguf_writer_free(w);
    return st;
}

static a2a_status write_lora(ngc *c) {
    a2a_gguf_writer *w = NULL;
    a2a_status st = a2a_gguf_writer_new(c->ctx, &w);
    if (st != A2A_OK) return st;
    float alpha = c->p->lora_alpha > 0 ? c->p->lora_alpha : 0.0f;
    if (alpha == 0) /* released: alpha == r; take r from the first pair */
        for (int64_t i = 0; i < c->n_layer * 4 && alpha == 0; i++)
            if (c->lora[i].a) alpha = (float)c->lora[i].rank;
    if ((st = a2a_gguf_writer_set_str(c->ctx, w, "general.architecture", "llama")) ||
        (st = a2a_gguf_writer_set_str(c->ctx, w, "general.type", "adapter")) ||
        (st = a2a_gguf_writer_set_str(c->ctx, w, "adapter.type", "lora")) ||
        (st = a2a_gguf_writer_set_f32(c->ctx, w, "adapter.lora.alpha", alpha)))
        goto done;
    for (int64_t l = 0; l < c->n_layer; l++)
        for (int j = 0; j < 4; j++) {
            const lora_pair *lp = &c->lora[l * 4 + j];
            if (!lp->a) continue;
            if (c->p->lora_alpha == 0 && (float)lp->rank != alpha) {
                st = a2a_fail(c->ctx, A2A_ERR_UNSUPPORTED, "nextgpt convert: LoRA ranks differ between modules; give lora_alpha");
                goto done;
            }
            const int64_t perm = j == 0 ? c->n_head : j == 1 ? c->n_head_kv : 0;
            void *ba = NULL, *bb = NULL;
            a2a_type t;
            if ((st = a2a_lora_adapter_tensors(c->ctx, lp->a, lp->b, perm, c->p->type, &t, &ba, &bb)) != A2A_OK) goto done;
            if ((st = a2a_gguf_writer_keep(c->ctx, w, ba)) != A2A_OK) {
                free(bb);
                goto done;
            }
            if ((st = a2a_gguf_writer_keep(c->ctx, w, bb)) != A2A_OK) goto done;
            char na[96], nb[96];
            snprintf(na, sizeof(na), "blk.%lld.%s.weight.lora_a", (long long)l, k_proj_gguf[j]);
            snprintf(nb, sizeof(nb), "blk.%lld.%s.weight.lora_b", (long long)l, k_proj_gguf[j]);
            if ((st = a2a_gguf_writer_add_tensor(c->ctx, w, na, t, 2, lp->a->ne, ba)) ||
                (st = a2a_gguf_writer_add_tensor(c->ctx, w, nb, t, 2, lp->b->ne, bb)))
                goto done;
        }
    char path[NGC_PATH];
    if (!path_join(path, sizeof(path), c->tmp, "lora.gguf")) {
        st = a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
        goto done;
    }
    if ((st = a2a_gguf_writer_write(c->ctx, w, path)) == A2A_OK) st = note_file(c, "lora.gguf");
    if (st == A2A_OK) st = tick(c, "lora.gguf");
done:
    a2a_gguf_writer_free(w);
    return st;
}

/* ------------------------------------------------------------------ projectors, externals */

static a2a_status write_projectors(ngc *c) {
    char path[NGC_PATH];
    a2a_projector_convert_params pp = a2a_projector_convert_default_params();
    pp.type = c->p->type;
    pp.tp = c->p->tp;
    if (!path_join(path, sizeof(path), c->tmp, "llama_proj.gguf")) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
    a2a_status st = a2a_projector_convert(c->ctx, c->p->ckpt_path, A2A_PROJECTOR_LINEAR, path, &pp);
    if (st != A2A_OK || (st = note_file(c, "llama_proj.gguf")) || (st = tick(c, "llama_proj.gguf"))) return st;
    for (int m = 0; m < 3; m++) {
        if (!c->has_fc[m]) continue;
        char name[64];
        snprintf(name, sizeof(name), "textfc_%s.gguf", k_modality[m]);
        a2a_textfc_convert_params tp = a2a_textfc_convert_default_params();
        tp.type = c->p->type;
        tp.tp = c->p->tp;
        tp.n_in_tokens = c->n_sig[m];
        if (!path_join(path, sizeof(path), c->tmp, name)) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
        if ((st = a2a_textfc_convert(c->ctx, c->p->ckpt_path, k_modality[m], path, &tp)) || (st = note_file(c, name)) ||
            (st = tick(c, name)))
            return st;
    }
    return A2A_OK;
}

/* Copy src into the temporary folder as name (atomically). */
static a2a_status copy_file(ngc *c, const char *src, const char *dst) {
    FILE *in = fopen(src, "rb");
    if (!in) return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: cannot open %s: %s", src, strerror(errno));
    a2a_atomic_file af;
    a2a_status st = a2a_atomic_file_open(c->ctx, "nextgpt convert", dst, &af);
    if (st != A2A_OK) {
        fclose(in);
        return st;
    }
    char *buf = malloc(1 << 20);
    if (!buf) {
        fclose(in);
        a2a_atomic_file_abort(&af);
        return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    }
    size_t n;
    while ((n = fread(buf, 1, 1 << 20, in)) > 0)
        if (fwrite(buf, 1, n, af.f) != n) break;
    bool ok = !ferror(in) && !ferror(af.f);
    free(buf);
    fclose(in);
    if (!ok) {
        a2a_atomic_file_abort(&af);
        return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: copying %s failed", src);
    }
    return a2a_atomic_file_commit(c->ctx, "nextgpt convert", &af);
}

/* Path of file relative to the final out_dir (c->out_abs), into rel. */
static a2a_status relative_to_out(ngc *c, const char *file, char *rel, size_t cap) {
    char abs[PATH_MAX];
    if (!realpath(file, abs)) return a2a_fail(c->ctx, A2A_ERR_NOT_FOUND, "nextgpt convert: %s: %s", file, strerror(errno));
    const char *a = c->out_abs, *b = abs;
    size_t common = 0, i = 0; /* length of the common prefix ending at a component boundary */
    while (a[i] && a[i] == b[i]) {
        i++;
        if ((a[i] == '/' || a[i] == 0) && (b[i] == '/' || b[i] == 0)) common = i;
    }
    size_t len = 0;
    rel[0] = 0;
    for (const char *q = a + common; *q; q++)
        if (*q == '/' && q[1]) {
            if (len + 3 >= cap) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
            memcpy(rel + len, "../", 4);
            len += 3;
        }
    const char *rest = b + common;
    while (*rest == '/') rest++;
    if (len + strlen(rest) + 1 > cap) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
    strcpy(rel + len, rest);
    return A2A_OK;
}

/* An encoder / generator file: linked or copied into tmp as name, or referenced. rel receives
   the manifest path. */
static a2a_status place_external(ngc *c, const char *src, const char *name, char *rel, size_t cap) {
    if (c->p->reference_external) return relative_to_out(c, src, rel, cap);
    char dst[NGC_PATH];
    if (!path_join(dst, sizeof(dst), c->tmp, name)) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
    a2a_status st = A2A_OK;
    if (link(src, dst) != 0) st = copy_file(c, src, dst);
    if (st != A2A_OK || (st = note_file(c, name)) || (st = tick(c, name))) return st;
    snprintf(rel, cap, "%s", name);
    return A2A_OK;
}

/* ------------------------------------------------------------------ bundle.json */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *s, const char *t, size_t n) {
    if (s->oom) return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = (s->cap ? s->cap * 2 : 1024) + n;
        char *q = realloc(s->p, cap);
        if (!q) {
            s->oom = true;
            return;
        }
        s->p = q;
        s->cap = cap;
    }
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = 0;
}
static void sb_str(sbuf *s, const char *t) { sb_put(s, t, strlen(t)); }
static void sb_json(sbuf *s, const char *t) {
    sb_str(s, "\"");
    for (; *t; t++) {
        unsigned char ch = (unsigned char)*t;
        char e[8];
        if (ch == '"' || ch == '\\') {
            e[0] = '\\';
            e[1] = (char)ch;
            sb_put(s, e, 2);
        } else if (ch < 0x20) {
            snprintf(e, sizeof(e), "\\u%04x", ch);
            sb_str(s, e);
        } else {
            sb_put(s, t, 1);
        }
    }
    sb_str(s, "\"");
}
static void sb_field(sbuf *s, const char *key, const char *val, bool comma) {
    sb_str(s, "  ");
    sb_json(s, key);
    sb_str(s, ": ");
    sb_json(s, val);
    sb_str(s, comma ? ",\n" : "\n");
}

static a2a_status write_manifest(ngc *c, const char *enc_rel, char gen_rel[3][NGC_PATH], bool has_lora_file) {
    sbuf s = {0};
    sb_str(&s, "{\n");
    sb_field(&s, "format", "any2any-bundle", true);
    sb_str(&s, "  \"version\": 1,\n");
    sb_field(&s, "llm", "llm.gguf", true);
    if (has_lora_file) sb_field(&s, "lora", "lora.gguf", true);
    if (enc_rel) sb_field(&s, "encoder", enc_rel, true);
    sb_field(&s, "input_projector", "llama_proj.gguf", true);
    sb_str(&s, "  \"output_projectors\": {");
    bool first = true;
    for (int m = 0; m < 3; m++) {
        if (!c->has_fc[m]) continue;
        char name[64];
        snprintf(name, sizeof(name), "textfc_%s.gguf", k_modality[m]);
        sb_str(&s, first ? "" : ", ");
        sb_json(&s, k_modality[m]);
        sb_str(&s, ": ");
        sb_json(&s, name);
        first = false;
    }
    sb_str(&s, "},\n  \"signal_tokens\": {\n");
    int k = 2;
    for (int m = 0; m < 3; m++) {
        sb_str(&s, "    ");
        sb_json(&s, k_modality[m]);
        sb_str(&s, ": [");
        for (int i = 0; i < c->n_sig[m]; i++, k++) {
            if (i) sb_str(&s, ", ");
            sb_json(&s, c->added[k]);
        }
        sb_str(&s, m < 2 ? "],\n" : "]\n");
    }
    sb_str(&s, "  },\n");
    first = true;
    for (int m = 0; m < 3; m++) {
        if (!gen_rel[m][0]) continue;
        sb_str(&s, first ? "  \"generators\": {" : ", ");
        sb_json(&s, k_modality[m]);
        sb_str(&s, ": ");
        sb_json(&s, gen_rel[m]);
        first = false;
    }
    if (!first) sb_str(&s, "},\n");
    sb_field(&s, "prompt_format", "nextgpt", false);
    sb_str(&s, "}\n");
    if (s.oom) {
        free(s.p);
        return a2a_fail(c->ctx, A2A_ERR_NOMEM, "nextgpt convert: out of memory");
    }
    char path[NGC_PATH];
    a2a_status st = path_join(path, sizeof(path), c->tmp, "bundle.json")
                        ? a2a_atomic_file_write_all(c->ctx, "nextgpt convert", path, s.p, s.len)
                        : a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
    free(s.p);
    if (st == A2A_OK) st = note_file(c, "bundle.json"); /* last: moved in last */
    return st;
}

/* ------------------------------------------------------------------ folders */

/* Temporary folder beside out_dir (same file system, so the final rename is atomic). */
static a2a_status make_tmp(ngc *c, const char *out) {
    char parent[NGC_PATH], base[NGC_PATH];
    const char *slash = strrchr(out, '/');
    if (slash) {
        snprintf(parent, sizeof(parent), "%.*s", (int)(slash - out == 0 ? 1 : slash - out), out);
        snprintf(base, sizeof(base), "%s", slash + 1);
    } else {
        snprintf(parent, sizeof(parent), ".");
        snprintf(base, sizeof(base), "%s", out);
    }
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, ".."))
        return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: out_dir '%s' must name a folder", out);
    struct stat sb;
    if (stat(out, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: out_dir '%s' exists and is not a folder", out);
    int n = snprintf(c->tmp, sizeof(c->tmp), "%s/.%s.a2a-XXXXXX", parent, base);
    if (n < 0 || (size_t)n >= sizeof(c->tmp)) {
        c->tmp[0] = 0;
        return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: out_dir path too long");
    }
    if (!mkdtemp(c->tmp)) {
        int e = errno;
        c->tmp[0] = 0;
        return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: cannot create a folder in '%s' for out_dir '%s': %s", parent, out,
                        strerror(e));
    }
    (void)chmod(c->tmp, 0755); /* mkdtemp makes it 0700; it becomes out_dir */
    if (c->p->reference_external) {
        char rp[PATH_MAX];
        if (!realpath(parent, rp)) return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: %s: %s", parent, strerror(errno));
        n = snprintf(c->out_abs, sizeof(c->out_abs), "%s/%s", strcmp(rp, "/") ? rp : "", base);
        if (n < 0 || (size_t)n >= sizeof(c->out_abs)) return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
    }
    return A2A_OK;
}

/* Move the finished temporary folder to out_dir. */
static a2a_status commit(ngc *c, const char *out) {
    if (rename(c->tmp, out) == 0) {
        c->tmp[0] = 0;
        return A2A_OK;
    }
    if (errno != ENOTEMPTY && errno != EEXIST)
        return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: cannot create %s: %s", out, strerror(errno));
    /* out_dir exists with files in it: move ours in, bundle.json (noted last) last */
    for (int i = 0; i < c->n_files; i++) {
        char src[NGC_PATH], dst[NGC_PATH];
        if (!path_join(src, sizeof(src), c->tmp, c->files[i]) || !path_join(dst, sizeof(dst), out, c->files[i]))
            return a2a_fail(c->ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: path too long");
        if (rename(src, dst) != 0)
            return a2a_fail(c->ctx, A2A_ERR_IO, "nextgpt convert: cannot move %s to %s: %s", src, dst, strerror(errno));
    }
    return A2A_OK;
}

/* ------------------------------------------------------------------ entry */

/* Contract in nextgpt_convert.h. */
a2a_status a2a_nextgpt_convert(a2a_ctx *ctx, const a2a_nextgpt_convert_params *p) {
    if (!p || !p->ckpt_path || !p->base_llm || !p->out_dir || !p->ckpt_path[0] || !p->base_llm[0] || !p->out_dir[0])
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: ckpt_path, base_llm and out_dir are required");
    if (!a2a_type_info(p->type) || !a2a_convert_supported(A2A_TYPE_F32, p->type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "nextgpt convert: target type %s is not supported", a2a_type_name(p->type));
    if (!(p->lora_alpha >= 0.0f) || p->lora_alpha > 1e6f)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: lora_alpha %g", (double)p->lora_alpha);
    ngc c;
    memset(&c, 0, sizeof c);
    c.ctx = ctx;
    c.p = p;
    char out[NGC_PATH];
    size_t ol = strlen(p->out_dir);
    if (ol >= sizeof(out)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "nextgpt convert: out_dir path too long");
    memcpy(out, p->out_dir, ol + 1);
    while (ol > 1 && out[ol - 1] == '/') out[--ol] = 0;

    a2a_status st = a2a_weights_open(ctx, p->ckpt_path, &c.ck);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "nextgpt convert: checkpoint %s", p->ckpt_path);
        goto done;
    }
    if ((st = a2a_gguf_open(ctx, p->base_llm, &c.base)) != A2A_OK) {
        a2a_error_prefix(ctx, "nextgpt convert: base LLM %s", p->base_llm);
        goto done;
    }
    if ((st = check_base(&c)) || (st = make_added(&c))) goto done;
    static const char *const pfxs[2] = {"llama_model.base_model.model.", "llama_model."};
    char key[256];
    for (int i = 0; i < 2 && !c.emb; i++) {
        snprintf(key, sizeof(key), "%smodel.embed_tokens.weight", pfxs[i]);
        if ((c.emb = a2a_weights_find(c.ck, key))) c.pfx = pfxs[i];
    }
    if (!c.emb) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND,
                      "%s: missing key 'llama_model.base_model.model.model.embed_tokens.weight' (the resized embedding holding the added tokens' rows)",
                      p->ckpt_path);
        goto done;
    }
    if ((st = check_rows(&c, c.emb, key)) != A2A_OK) goto done;
    snprintf(key, sizeof(key), "%slm_head.weight", c.pfx);
    c.head = a2a_weights_find(c.ck, key);
    if (!c.head && a2a_gguf_find_tensor(c.base, "output.weight")) {
        st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: missing key '%s' (the resized lm_head)", p->ckpt_path, key);
        goto done;
    }
    if (c.head && (st = check_rows(&c, c.head, key)) != A2A_OK) goto done;
    if ((st = check_lora(&c)) || (st = check_projectors(&c)) || (st = check_external(&c, p->encoder, "encoder")) ||
        (st = check_external(&c, p->gen_image, "image generator")) ||
        (st = check_external(&c, p->gen_video, "video generator")) || (st = check_external(&c, p->gen_audio, "audio generator")))
        goto done;
    c.n_steps = a2a_gguf_n_tensors(c.base) + 1 + (c.lora && !p->merge_lora) + 1 + c.has_fc[0] + c.has_fc[1] + c.has_fc[2] +
                (p->reference_external ? 0 : (!!p->encoder + !!p->gen_image + !!p->gen_video + !!p->gen_audio)) + 1;

    if ((st = make_tmp(&c, out)) != A2A_OK) goto done;
    if ((st = write_llm(&c)) != A2A_OK) goto done;
    if (c.lora && !p->merge_lora && (st = write_lora(&c)) != A2A_OK) goto done;
    if ((st = write_projectors(&c)) != A2A_OK) goto done;
    char enc_rel[NGC_PATH] = "", gen_rel[3][NGC_PATH] = {"", "", ""};
    if (p->encoder && (st = place_external(&c, p->encoder, "encoder.gguf", enc_rel, sizeof(enc_rel))) != A2A_OK) goto done;
    const char *gens[3] = {p->gen_image, p->gen_video, p->gen_audio};
    for (int m = 0; m < 3; m++)
        if (gens[m] && (st = place_external(&c, gens[m], k_gen_file[m], gen_rel[m], sizeof(gen_rel[m]))) != A2A_OK) goto done;
    if ((st = write_manifest(&c, p->encoder ? enc_rel : NULL, gen_rel, c.lora && !p->merge_lora)) != A2A_OK) goto done;
    if ((st = commit(&c, out)) != A2A_OK) goto done;
    if (p->progress) (void)p->progress(c.n_steps, c.n_steps, "bundle.json", p->user); /* done: no cancel now */
done:
    remove_tmp(&c);
    for (int i = 0; i < c.n_files; i++) free(c.files[i]);
    free(c.files);
    if (c.added)
        for (int i = 0; i < c.n_added; i++) free(c.added[i]);
    free(c.added);
    free(c.lora);
    a2a_gguf_close(c.base);
    a2a_weights_close(c.ck);
    return st;
}
