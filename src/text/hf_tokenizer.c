/* Hugging Face tokenizer files (see hf_tokenizer.h). */
#include "text/hf_tokenizer.h"
#include "io/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Path "dir/name" into buf; false if it does not fit. */
static bool join(char *buf, size_t cap, const char *dir, const char *name) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

/* True when path exists and is a regular file. */
static bool file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Parse dir/name if it exists: *doc = NULL when absent. */
static a2a_status parse_optional(a2a_ctx *ctx, const char *dir, const char *name, a2a_json **doc) {
    char path[4096];
    *doc = NULL;
    if (!join(path, sizeof(path), dir, name)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "tokenizer: path too long: %s", dir);
    if (!file_exists(path)) return A2A_OK;
    a2a_status st = a2a_json_parse_file(ctx, path, doc);
    if (st) a2a_error_prefix(ctx, "%s", path);
    return st;
}

/* A NUL-free copy of a JSON string value; FORMAT error naming what when it holds a NUL. */
static a2a_status dup_str(a2a_ctx *ctx, const a2a_json_value *v, const char *file, const char *what, char **out) {
    size_t n = a2a_json_str_len(v);
    const char *s = a2a_json_str(v);
    if (!s) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: %s is not a string", file, what);
    if (memchr(s, 0, n)) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: %s contains a NUL character", file, what);
    *out = malloc(n + 1);
    if (!*out) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    memcpy(*out, s, n + 1);
    return A2A_OK;
}

/* Add (or merge) an added token. special_known: the source says whether it is special. */
static a2a_status add_token(a2a_ctx *ctx, a2a_hf_tokenizer *t, const char *file, int64_t id, const a2a_json_value *text,
                            bool special, bool special_known) {
    if (id < 0 || id > A2A_HF_MAX_TOKEN_ID)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added token id %lld is out of range", file, (long long)id);
    const char *s = a2a_json_str(text);
    if (!s) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added token %lld has no text", file, (long long)id);
    for (int32_t i = 0; i < t->n_added; i++) {
        if (t->added[i].id != id) continue;
        if (strlen(t->added[i].text) != a2a_json_str_len(text) || strcmp(t->added[i].text, s) != 0)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added token %lld is '%s' here but '%s' elsewhere", file, (long long)id, s,
                            t->added[i].text);
        if (special_known && special) t->added[i].special = true;
        return A2A_OK;
    }
    if (a2a_json_str_len(text) == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added token %lld is empty", file, (long long)id);
    a2a_hf_token *na = realloc(t->added, sizeof(*na) * (size_t)(t->n_added + 1));
    if (!na) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    t->added = na;
    a2a_hf_token *tk = &t->added[t->n_added];
    char what[64];
    snprintf(what, sizeof(what), "added token %lld", (long long)id);
    tk->text = NULL;
    a2a_status st = dup_str(ctx, text, file, what, &tk->text);
    if (st) return st;
    tk->id = (int32_t)id;
    tk->special = special_known && special;
    t->n_added++;
    return A2A_OK;
}

/* tokenizer.json: model vocab/merges, added_tokens, post_processor. */
static a2a_status read_tokenizer_json(a2a_ctx *ctx, a2a_hf_tokenizer *t, const a2a_json_value *root) {
    const char *F = "tokenizer.json";
    a2a_status st;
    const a2a_json_value *added = a2a_json_get(root, "added_tokens");
    for (size_t i = 0; i < a2a_json_len(added); i++) {
        const a2a_json_value *e = a2a_json_at(added, i);
        int64_t id;
        if (!a2a_json_int(a2a_json_get(e, "id"), &id))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added_tokens[%zu] has no integer id", F, i);
        if ((st = add_token(ctx, t, F, id, a2a_json_get(e, "content"), a2a_json_bool_or(a2a_json_get(e, "special"), false), true)))
            return st;
    }
    const a2a_json_value *model = a2a_json_get(root, "model");
    if (!a2a_json_is_object(model)) return A2A_OK;
    t->has_model = true;
    snprintf(t->model_type, sizeof(t->model_type), "%s", a2a_json_str_or(a2a_json_get(model, "type"), ""));
    t->byte_fallback = a2a_json_bool_or(a2a_json_get(model, "byte_fallback"), false);
    const a2a_json_value *vocab = a2a_json_get(model, "vocab");
    if (a2a_json_is_object(vocab)) {
        int64_t max_id = -1;
        for (size_t i = 0; i < a2a_json_len(vocab); i++) {
            int64_t id;
            if (!a2a_json_int(a2a_json_at(vocab, i), &id) || id < 0 || id > A2A_HF_MAX_TOKEN_ID)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: model.vocab entry '%s' has no valid id", F, a2a_json_key_at(vocab, i));
            if (id > max_id) max_id = id;
        }
        t->n_vocab = (int32_t)(max_id + 1);
        t->vocab = calloc((size_t)(t->n_vocab ? t->n_vocab : 1), sizeof(char *));
        if (!t->vocab) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
        for (size_t i = 0; i < a2a_json_len(vocab); i++) {
            int64_t id;
            a2a_json_int(a2a_json_at(vocab, i), &id);
            const char *k = a2a_json_key_at(vocab, i);
            size_t kl = a2a_json_key_len(vocab, i);
            if (t->vocab[id]) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: model.vocab has id %lld twice", F, (long long)id);
            if (kl == 0 || memchr(k, 0, kl))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: model.vocab token %lld is empty or holds a NUL", F, (long long)id);
            if (!(t->vocab[id] = strdup(k))) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
        }
    } else if (vocab) {
        return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: model.vocab is not an object (only BPE vocabularies are supported)", F);
    }
    const a2a_json_value *merges = a2a_json_get(model, "merges");
    if (merges && !a2a_json_is_array(merges)) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: model.merges is not an array", F);
    size_t nm = a2a_json_len(merges);
    t->merges = calloc(nm ? nm : 1, sizeof(char *));
    if (!t->merges) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    for (size_t i = 0; i < nm; i++) {
        const a2a_json_value *m = a2a_json_at(merges, i);
        const char *a, *b = NULL;
        size_t al, bl = 0;
        if (a2a_json_is_string(m)) { /* "left right" */
            a = a2a_json_str(m);
            al = a2a_json_str_len(m);
            const char *sp = memchr(a, ' ', al);
            if (!sp || sp == a || sp + 1 == a + al || memchr(sp + 1, ' ', (size_t)(a + al - sp - 1)))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: merge %zu '%s' is not \"left right\"", F, i, a);
        } else if (a2a_json_len(m) == 2 && a2a_json_is_string(a2a_json_at(m, 0)) && a2a_json_is_string(a2a_json_at(m, 1))) {
            a = a2a_json_str(a2a_json_at(m, 0));
            al = a2a_json_str_len(a2a_json_at(m, 0));
            b = a2a_json_str(a2a_json_at(m, 1));
            bl = a2a_json_str_len(a2a_json_at(m, 1));
            if (!al || !bl || memchr(a, ' ', al) || memchr(b, ' ', bl))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: merge %zu has an empty part or a space", F, i);
        } else {
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: merge %zu is neither a string nor a pair of strings", F, i);
        }
        size_t total = al + (b ? 1 + bl : 0);
        if (memchr(a, 0, al) || (b && memchr(b, 0, bl))) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: merge %zu holds a NUL", F, i);
        char *s = malloc(total + 1);
        if (!s) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
        memcpy(s, a, al);
        if (b) {
            s[al] = ' ';
            memcpy(s + al + 1, b, bl);
        }
        s[total] = 0;
        t->merges[i] = s;
        t->n_merges = (int64_t)i + 1;
    }
    return A2A_OK;
}

/* post_processor (TemplateProcessing, possibly inside a Sequence): the first special token of
   "single", or NULL. */
static const char *post_first_special(const a2a_json_value *pp) {
    const char *type = a2a_json_str_or(a2a_json_get(pp, "type"), "");
    if (!strcmp(type, "Sequence")) {
        const a2a_json_value *ps = a2a_json_get(pp, "processors");
        for (size_t i = 0; i < a2a_json_len(ps); i++) {
            const char *s = post_first_special(a2a_json_at(ps, i));
            if (s) return s;
        }
        return NULL;
    }
    if (strcmp(type, "TemplateProcessing") != 0) return NULL;
    const a2a_json_value *first = a2a_json_at(a2a_json_get(pp, "single"), 0);
    return a2a_json_str(a2a_json_get(a2a_json_get(first, "SpecialToken"), "id"));
}

/* A token given as "text" or {"content": "text"} in tokenizer_config.json; NULL when absent/null. */
static const a2a_json_value *token_value(const a2a_json_value *v) {
    if (a2a_json_is_object(v)) v = a2a_json_get(v, "content");
    return a2a_json_is_string(v) ? v : NULL;
}

/* tokenizer_config.json. */
static a2a_status read_config(a2a_ctx *ctx, a2a_hf_tokenizer *t, const a2a_json_value *root) {
    const char *F = "tokenizer_config.json";
    a2a_status st;
    const a2a_json_value *dec = a2a_json_get(root, "added_tokens_decoder");
    for (size_t i = 0; i < a2a_json_len(dec); i++) {
        const char *k = a2a_json_key_at(dec, i);
        char *end;
        errno = 0;
        long long id = strtoll(k, &end, 10);
        if (!*k || *end || errno) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: added_tokens_decoder key '%s' is not an id", F, k);
        const a2a_json_value *e = a2a_json_at(dec, i);
        if ((st = add_token(ctx, t, F, id, a2a_json_get(e, "content"), a2a_json_bool_or(a2a_json_get(e, "special"), false), true)))
            return st;
    }
    const a2a_json_value *v;
    if ((v = a2a_json_get(root, "add_bos_token")) && a2a_json_is_bool(v)) t->add_bos = a2a_json_bool_or(v, false);
    if ((v = a2a_json_get(root, "add_eos_token")) && a2a_json_is_bool(v)) t->add_eos = a2a_json_bool_or(v, false);
    struct { const char *key; char **dst; } toks[] = {
        {"bos_token", &t->bos_token}, {"eos_token", &t->eos_token}, {"unk_token", &t->unk_token}, {"pad_token", &t->pad_token}};
    for (size_t i = 0; i < sizeof(toks) / sizeof(toks[0]); i++)
        if ((v = token_value(a2a_json_get(root, toks[i].key))) && (st = dup_str(ctx, v, F, toks[i].key, toks[i].dst))) return st;
    v = a2a_json_get(root, "chat_template");
    if (a2a_json_is_array(v)) { /* [{name, template}, ...]: "default", else the first */
        const a2a_json_value *pick = NULL;
        for (size_t i = 0; i < a2a_json_len(v); i++) {
            const a2a_json_value *e = a2a_json_at(v, i);
            if (!pick || !strcmp(a2a_json_str_or(a2a_json_get(e, "name"), ""), "default")) pick = e;
        }
        v = a2a_json_get(pick, "template");
    }
    if (a2a_json_is_string(v) && (st = dup_str(ctx, v, F, "chat_template", &t->chat_template))) return st;
    return A2A_OK;
}

/* chat_template.jinja (raw text) when the config had no template. */
static a2a_status read_jinja(a2a_ctx *ctx, a2a_hf_tokenizer *t, const char *dir) {
    char path[4096];
    if (t->chat_template || !join(path, sizeof(path), dir, "chat_template.jinja") || !file_exists(path)) return A2A_OK;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    a2a_status st = A2A_OK;
    while (buf) {
        if (n + 1 >= cap) {
            if (cap >= ((size_t)16 << 20)) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: larger than 16 MiB", path); break; }
            char *nb = realloc(buf, cap * 2);
            if (!nb) break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    if (!buf && !st) st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    if (!st && ferror(f)) st = a2a_fail(ctx, A2A_ERR_IO, "%s: read error", path);
    fclose(f);
    if (!st && (memchr(buf, 0, n) || !a2a_utf8_valid(buf, n)))
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: not valid UTF-8 text", path);
    if (st) {
        free(buf);
        return st;
    }
    buf[n] = 0;
    t->chat_template = buf;
    return A2A_OK;
}

/* qsort order of added tokens: by id. */
static int cmp_added(const void *a, const void *b) {
    int32_t x = ((const a2a_hf_token *)a)->id, y = ((const a2a_hf_token *)b)->id;
    return (x > y) - (x < y);
}

/* Contract in hf_tokenizer.h. */
a2a_status a2a_hf_tokenizer_load(a2a_ctx *ctx, const char *dir, a2a_hf_tokenizer **out) {
    *out = NULL;
    a2a_hf_tokenizer *t = calloc(1, sizeof(*t));
    if (!t) return a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
    t->add_bos = t->add_eos = -1;
    a2a_json *doc = NULL;
    a2a_status st;
    char path[4096];
    /* tokenizer.json */
    if ((st = parse_optional(ctx, dir, "tokenizer.json", &doc))) goto fail;
    if (doc) {
        if ((st = read_tokenizer_json(ctx, t, a2a_json_root(doc)))) goto fail_named;
        const char *first = post_first_special(a2a_json_get(a2a_json_root(doc), "post_processor"));
        if (first && (t->post_bos = true, !(t->bos_token = strdup(first)))) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory"); goto fail; }
        a2a_json_free(doc);
        doc = NULL;
    }
    /* tokenizer_config.json */
    if ((st = parse_optional(ctx, dir, "tokenizer_config.json", &doc))) goto fail;
    if (doc) {
        char *post_bos = t->bos_token;
        t->bos_token = NULL;
        st = read_config(ctx, t, a2a_json_root(doc));
        if (post_bos) {
            if (t->bos_token && strcmp(t->bos_token, post_bos) != 0) t->post_bos = false; /* the template adds another token */
            if (!t->bos_token) t->bos_token = post_bos;
            else free(post_bos);
        }
        if (st) goto fail;
        a2a_json_free(doc);
        doc = NULL;
    }
    /* added_tokens.json: {"text": id} */
    if ((st = parse_optional(ctx, dir, "added_tokens.json", &doc))) goto fail;
    if (doc) {
        const a2a_json_value *r = a2a_json_root(doc);
        if (!a2a_json_is_object(r)) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "added_tokens.json: not an object"); goto fail_named; }
        for (size_t i = 0; i < a2a_json_len(r); i++) {
            int64_t id;
            if (!a2a_json_int(a2a_json_at(r, i), &id)) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "added_tokens.json: '%s' has no integer id", a2a_json_key_at(r, i));
                goto fail_named;
            }
            /* the key as a JSON string value: build one on the fly */
            const char *k = a2a_json_key_at(r, i);
            size_t kl = a2a_json_key_len(r, i);
            if (memchr(k, 0, kl)) { st = a2a_fail(ctx, A2A_ERR_FORMAT, "added_tokens.json: a token holds a NUL"); goto fail_named; }
            bool found = false;
            for (int32_t j = 0; j < t->n_added; j++)
                if (t->added[j].id == id) {
                    found = true;
                    if (strcmp(t->added[j].text, k) != 0) {
                        st = a2a_fail(ctx, A2A_ERR_FORMAT, "added_tokens.json: token %lld is '%s' here but '%s' elsewhere",
                                      (long long)id, k, t->added[j].text);
                        goto fail_named;
                    }
                }
            if (found) continue;
            if (id < 0 || id > A2A_HF_MAX_TOKEN_ID || kl == 0) {
                st = a2a_fail(ctx, A2A_ERR_FORMAT, "added_tokens.json: token '%s' id %lld is out of range", k, (long long)id);
                goto fail_named;
            }
            a2a_hf_token *na = realloc(t->added, sizeof(*na) * (size_t)(t->n_added + 1));
            if (!na || !(na[t->n_added].text = strdup(k))) {
                if (na) t->added = na;
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "tokenizer: out of memory");
                goto fail;
            }
            t->added = na;
            t->added[t->n_added].id = (int32_t)id;
            t->added[t->n_added].special = false;
            t->n_added++;
        }
        a2a_json_free(doc);
        doc = NULL;
    }
    if ((st = read_jinja(ctx, t, dir))) goto fail;
    if (!t->chat_template) { /* chat_template.json: {"chat_template": "..."} */
        if ((st = parse_optional(ctx, dir, "chat_template.json", &doc))) goto fail;
        const a2a_json_value *v = a2a_json_get(a2a_json_root(doc), "chat_template");
        if (doc && a2a_json_is_string(v) && (st = dup_str(ctx, v, "chat_template.json", "chat_template", &t->chat_template)))
            goto fail;
        a2a_json_free(doc);
        doc = NULL;
    }
    if (t->n_added > 1) qsort(t->added, (size_t)t->n_added, sizeof(a2a_hf_token), cmp_added);
    *out = t;
    return A2A_OK;
fail_named:
    join(path, sizeof(path), dir, "");
    a2a_error_prefix(ctx, "%s", path);
fail:
    a2a_json_free(doc);
    a2a_hf_tokenizer_free(t);
    return st;
}

/* Contract in hf_tokenizer.h. */
void a2a_hf_tokenizer_free(a2a_hf_tokenizer *t) {
    if (!t) return;
    for (int32_t i = 0; i < t->n_vocab; i++) free(t->vocab[i]);
    free(t->vocab);
    for (int64_t i = 0; i < t->n_merges; i++) free(t->merges[i]);
    free(t->merges);
    for (int32_t i = 0; i < t->n_added; i++) free(t->added[i].text);
    free(t->added);
    free(t->bos_token);
    free(t->eos_token);
    free(t->unk_token);
    free(t->pad_token);
    free(t->chat_template);
    free(t);
}

/* Contract in hf_tokenizer.h. */
const a2a_hf_token *a2a_hf_tokenizer_added(const a2a_hf_tokenizer *t, int32_t id) {
    size_t lo = 0, hi = (size_t)t->n_added;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->added[mid].id == id) return &t->added[mid];
        if (t->added[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}
