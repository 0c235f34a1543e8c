/* The demo evaluation set: see eval_set.h. */
#include "eval/eval_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *a2a_eval_modality_name(int m) {
    static const char *const names[3] = {"image", "video", "audio"};
    return m >= 0 && m < 3 ? names[m] : "none";
}

static int modality_of(const char *s) {
    if (!s) return -2;
    for (int m = 0; m < 3; m++)
        if (!strcmp(s, a2a_eval_modality_name(m))) return m;
    return !strcmp(s, "none") ? -1 : -2;
}

const a2a_eval_attr *a2a_eval_set_attr(const a2a_eval_set *set, const char *name) {
    for (int i = 0; i < set->n_attrs; i++)
        if (!strcmp(set->attrs[i].name, name)) return &set->attrs[i];
    return NULL;
}

const char *a2a_eval_kv_get(const a2a_eval_kv *kv, int n, const char *attr) {
    for (int i = 0; i < n; i++)
        if (!strcmp(kv[i].attr, attr)) return kv[i].value;
    return NULL;
}

/* obj {attr: value} -> kv; every attr known, every value one of its values. */
static a2a_status read_kv(a2a_ctx *ctx, const a2a_eval_set *set, const a2a_json_value *obj, const char *where,
                          int idx, const char *field, a2a_eval_kv *kv, int *n) {
    *n = 0;
    if (!a2a_json_is_object(obj))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%d].%s must be an object {attribute: value}", where, idx, field);
    size_t len = a2a_json_len(obj);
    if (len > A2A_EVAL_MAX_KV)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%d].%s has more than %d attributes", where, idx, field, A2A_EVAL_MAX_KV);
    for (size_t i = 0; i < len; i++) {
        const char *k = a2a_json_key_at(obj, i), *v = a2a_json_str(a2a_json_at(obj, i));
        if (!v) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%d].%s.%s must be a string", where, idx, field, k);
        const a2a_eval_attr *a = a2a_eval_set_attr(set, k);
        if (!a) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%d].%s: attribute '%s' is not in \"attributes\"", where, idx, field, k);
        bool found = false;
        for (int j = 0; j < a->n_values && !found; j++) found = !strcmp(a->values[j], v);
        if (!found)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%d].%s: '%s' is not a value of attribute '%s'", where, idx, field, v, k);
        kv[*n] = (a2a_eval_kv){k, v};
        (*n)++;
    }
    return A2A_OK;
}

static a2a_status read_cases(a2a_ctx *ctx, a2a_eval_set *set, const char *dir, const char *section,
                             a2a_eval_case **out, int *n_out) {
    const a2a_json_value *arr = a2a_json_get(a2a_json_root(set->doc), section);
    *out = NULL;
    *n_out = 0;
    if (!arr) return A2A_OK; /* a missing section is empty */
    if (!a2a_json_is_array(arr)) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: \"%s\" must be an array", section);
    size_t n = a2a_json_len(arr);
    if (n > 1000000) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: \"%s\" has too many entries", section);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) return a2a_fail(ctx, A2A_ERR_NOMEM, "eval set: out of memory");
    bool understand = !strcmp(section, "understand"), choice = !strcmp(section, "choice");
    for (size_t i = 0; i < n; i++) {
        const a2a_json_value *e = a2a_json_at(arr, i);
        a2a_eval_case *c = &(*out)[i];
        *n_out = (int)i + 1;
        if (!a2a_json_is_object(e)) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%zu] must be an object", section, i);
        c->id = a2a_json_str_or(a2a_json_get(e, "id"), "");
        c->text = a2a_json_str(a2a_json_get(e, understand ? "question" : "prompt"));
        if (!c->text)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%zu] needs a string \"%s\"", section, i, understand ? "question" : "prompt");
        if (choice) {
            c->modality = modality_of(a2a_json_str(a2a_json_get(e, "expect")));
            if (c->modality < -1)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: choice[%zu].expect must be \"image\", \"video\", \"audio\" or \"none\"", i);
            continue;
        }
        const char *mk = understand ? "media" : "modality";
        c->modality = modality_of(a2a_json_str(a2a_json_get(e, mk)));
        if (c->modality < 0)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: %s[%zu].%s must be \"image\", \"video\" or \"audio\"", section, i, mk);
        a2a_status st = read_kv(ctx, set, a2a_json_get(e, "expect"), section, (int)i, "expect", c->expect, &c->n_expect);
        if (st != A2A_OK) return st;
        if (understand) {
            const char *f = a2a_json_str(a2a_json_get(e, "file"));
            if (!f || !*f) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: understand[%zu] needs a string \"file\"", i);
            size_t len = strlen(dir) + strlen(f) + 2;
            c->path = malloc(len);
            if (!c->path) return a2a_fail(ctx, A2A_ERR_NOMEM, "eval set: out of memory");
            if (f[0] == '/') snprintf(c->path, len, "%s", f);
            else snprintf(c->path, len, "%s/%s", dir, f);
            struct stat sb;
            if (stat(c->path, &sb) != 0 || !S_ISREG(sb.st_mode))
                return a2a_fail(ctx, A2A_ERR_IO, "eval set: understand[%zu] (%s): media file %s is missing", i, c->id, c->path);
        }
    }
    return A2A_OK;
}

a2a_status a2a_eval_set_load(a2a_ctx *ctx, const char *dir, a2a_eval_set *set) {
    memset(set, 0, sizeof *set);
    size_t len = strlen(dir) + 16;
    char *path = malloc(len);
    if (!path) return a2a_fail(ctx, A2A_ERR_NOMEM, "eval set: out of memory");
    snprintf(path, len, "%s/eval.json", dir);
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        a2a_status st = a2a_fail(ctx, A2A_ERR_IO, "eval set: %s is not a directory (make one with tools/demo/make_eval_set.py)", dir);
        free(path);
        return st;
    }
    a2a_status st = a2a_json_parse_file(ctx, path, &set->doc);
    if (st != A2A_OK) {
        a2a_error_prefix(ctx, "eval set");
        free(path);
        return st;
    }
    free(path);
    const a2a_json_value *root = a2a_json_root(set->doc);
    if (!a2a_json_is_object(root)) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: eval.json must hold an object");
    const a2a_json_value *attrs = a2a_json_get(root, "attributes");
    if (!a2a_json_is_object(attrs)) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: \"attributes\" must be an object {name: [values]}");
    if (a2a_json_len(attrs) > A2A_EVAL_MAX_ATTRS)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: more than %d attributes", A2A_EVAL_MAX_ATTRS);
    for (size_t i = 0; i < a2a_json_len(attrs); i++) {
        a2a_eval_attr *a = &set->attrs[set->n_attrs];
        a->name = a2a_json_key_at(attrs, i);
        const a2a_json_value *vals = a2a_json_at(attrs, i);
        size_t nv = a2a_json_len(vals);
        if (!a2a_json_is_array(vals) || nv == 0 || nv > 10000)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: attributes.%s must be a non-empty array of strings", a->name);
        a->values = calloc(nv, sizeof *a->values);
        if (!a->values) return a2a_fail(ctx, A2A_ERR_NOMEM, "eval set: out of memory");
        set->n_attrs++;
        for (size_t j = 0; j < nv; j++) {
            a->values[j] = a2a_json_str(a2a_json_at(vals, j));
            if (!a->values[j] || !*a->values[j])
                return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: attributes.%s[%zu] must be a non-empty string", a->name, j);
            a->n_values++;
        }
    }
    if ((st = read_cases(ctx, set, dir, "understand", &set->understand, &set->n_understand)) != A2A_OK) return st;
    if ((st = read_cases(ctx, set, dir, "generate", &set->generate, &set->n_generate)) != A2A_OK) return st;
    if ((st = read_cases(ctx, set, dir, "choice", &set->choice, &set->n_choice)) != A2A_OK) return st;
    const a2a_json_value *labels = a2a_json_get(root, "labels");
    if (labels && !a2a_json_is_object(labels)) return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: \"labels\" must be an object");
    for (int m = 0; m < 3; m++) {
        const char *name = a2a_eval_modality_name(m);
        const a2a_json_value *arr = a2a_json_get(labels, name);
        if (!arr) continue;
        size_t n = a2a_json_len(arr);
        if (!a2a_json_is_array(arr) || n > 100000)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: labels.%s must be an array", name);
        set->labels[m] = calloc(n ? n : 1, sizeof *set->labels[m]);
        if (!set->labels[m]) return a2a_fail(ctx, A2A_ERR_NOMEM, "eval set: out of memory");
        for (size_t i = 0; i < n; i++) {
            const a2a_json_value *e = a2a_json_at(arr, i);
            a2a_eval_label *l = &set->labels[m][i];
            l->text = a2a_json_str(a2a_json_get(e, "text"));
            if (!l->text || !*l->text)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: labels.%s[%zu] needs a non-empty \"text\"", name, i);
            char where[32];
            snprintf(where, sizeof where, "labels.%s", name);
            if ((st = read_kv(ctx, set, a2a_json_get(e, "attrs"), where, (int)i, "attrs", l->attrs, &l->n_attrs)) != A2A_OK)
                return st;
            set->n_labels[m] = (int)i + 1;
        }
    }
    /* every judged attribute of a generate case needs labels that carry it (the audio note is
       judged by pitch) */
    for (int i = 0; i < set->n_generate; i++) {
        const a2a_eval_case *c = &set->generate[i];
        for (int k = 0; k < c->n_expect; k++) {
            if (c->modality == 2 && !strcmp(c->expect[k].attr, "note")) continue;
            bool ok = false;
            for (int j = 0; j < set->n_labels[c->modality] && !ok; j++)
                ok = a2a_eval_kv_get(set->labels[c->modality][j].attrs, set->labels[c->modality][j].n_attrs, c->expect[k].attr) != NULL;
            if (!ok)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "eval set: generate[%d] (%s) expects '%s' but labels.%s has no label with that attribute",
                                i, c->id, c->expect[k].attr, a2a_eval_modality_name(c->modality));
        }
    }
    return A2A_OK;
}

void a2a_eval_set_free(a2a_eval_set *set) {
    if (!set) return;
    for (int i = 0; i < set->n_understand; i++) free(set->understand[i].path);
    free(set->understand);
    free(set->generate);
    free(set->choice);
    for (int m = 0; m < 3; m++) free(set->labels[m]);
    for (int i = 0; i < set->n_attrs; i++) free(set->attrs[i].values);
    a2a_json_free(set->doc);
    memset(set, 0, sizeof *set);
}
