/* Bundle manifests: see bundle.h. */
#include "pipeline/bundle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "io/json.h"

/* Join dir and a relative (or absolute) path into out; checks that the file exists. */
static a2a_status resolve(a2a_ctx *ctx, const char *manifest, const char *dir, const char *field, const char *rel,
                          char *out) {
    int n = rel[0] == '/' ? snprintf(out, A2A_BUNDLE_PATH_MAX, "%s", rel)
                          : snprintf(out, A2A_BUNDLE_PATH_MAX, "%s/%s", dir, rel);
    if (n < 0 || n >= A2A_BUNDLE_PATH_MAX) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "%s: \"%s\" path too long", manifest, field);
    struct stat sb;
    if (stat(out, &sb) != 0 || !S_ISREG(sb.st_mode))
        return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: \"%s\" names %s, which is not a readable file", manifest, field, out);
    return A2A_OK;
}

const char *a2a_out_modality_name(int m) {
    static const char *const names[A2A_OUT_N] = {"image", "video", "audio"};
    return m >= 0 && m < A2A_OUT_N ? names[m] : "?";
}

/* NExT-GPT's signal tokens: [IMG0..3], [VID0..23], [AUD0..7]. */
static void default_signals(a2a_bundle_spec *b) {
    static const char *const stem[A2A_OUT_N] = {"IMG", "VID", "AUD"};
    static const int count[A2A_OUT_N] = {4, 24, 8};
    for (int m = 0; m < A2A_OUT_N; m++) {
        b->n_signal[m] = count[m];
        for (int i = 0; i < count[m]; i++) snprintf(b->signal_tokens[m][i], A2A_BUNDLE_TOKEN_MAX, "[%s%d]", stem[m], i);
    }
}

/* The per-modality object field `field` ({"image": ..., "video": ..., "audio": ...}) of paths. */
static a2a_status read_paths(a2a_ctx *ctx, const char *manifest, const char *dir, const a2a_json_value *root,
                             const char *field, char (*dst)[A2A_BUNDLE_PATH_MAX]) {
    const a2a_json_value *o = a2a_json_get(root, field);
    if (!o) return A2A_OK;
    if (!a2a_json_is_object(o)) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"%s\" must be an object", manifest, field);
    for (size_t i = 0; i < a2a_json_len(o); i++) {
        const char *k = a2a_json_key_at(o, i);
        int m = -1;
        for (int j = 0; j < A2A_OUT_N; j++)
            if (k && !strcmp(k, a2a_out_modality_name(j))) m = j;
        if (m < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"%s\" has an unknown modality (image, video, audio)", manifest, field);
        const char *s = a2a_json_str(a2a_json_at(o, i));
        char what[64];
        snprintf(what, sizeof what, "%s.%s", field, k);
        if (!s || !s[0]) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"%s\" must be a path", manifest, what);
        a2a_status st = resolve(ctx, manifest, dir, what, s, dst[m]);
        if (st != A2A_OK) return st;
    }
    return A2A_OK;
}

/* signal_tokens: {"image": ["[IMG0]", ...], ...} replacing the defaults per modality. */
static a2a_status read_signals(a2a_ctx *ctx, const char *manifest, const a2a_json_value *root, a2a_bundle_spec *b) {
    const a2a_json_value *o = a2a_json_get(root, "signal_tokens");
    if (!o) return A2A_OK;
    if (!a2a_json_is_object(o)) return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"signal_tokens\" must be an object", manifest);
    for (size_t i = 0; i < a2a_json_len(o); i++) {
        const char *k = a2a_json_key_at(o, i);
        int m = -1;
        for (int j = 0; j < A2A_OUT_N; j++)
            if (k && !strcmp(k, a2a_out_modality_name(j))) m = j;
        const a2a_json_value *arr = a2a_json_at(o, i);
        if (m < 0 || a2a_json_kind_of(arr) != A2A_JSON_ARRAY || a2a_json_len(arr) < 1 ||
            a2a_json_len(arr) > A2A_BUNDLE_MAX_SIGNAL)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: signal_tokens.%s must be a list of 1..%d token strings", manifest,
                            k ? k : "?", A2A_BUNDLE_MAX_SIGNAL);
        b->n_signal[m] = (int)a2a_json_len(arr);
        for (size_t t = 0; t < a2a_json_len(arr); t++) {
            const char *s = a2a_json_str(a2a_json_at(arr, t));
            if (!s || !s[0] || strlen(s) >= A2A_BUNDLE_TOKEN_MAX)
                return a2a_fail(ctx, A2A_ERR_FORMAT, "%s: signal_tokens.%s[%zu] must be a token text of 1..%d bytes",
                                manifest, k, t, A2A_BUNDLE_TOKEN_MAX - 1);
            snprintf(b->signal_tokens[m][t], A2A_BUNDLE_TOKEN_MAX, "%s", s);
        }
    }
    return A2A_OK;
}

a2a_status a2a_bundle_read(a2a_ctx *ctx, const char *path, a2a_bundle_spec *out) {
    memset(out, 0, sizeof *out);
    char manifest[A2A_BUNDLE_PATH_MAX];
    struct stat sb;
    if (stat(path, &sb) != 0) return a2a_fail(ctx, A2A_ERR_IO, "bundle %s: %s", path, strerror(errno));
    int n = S_ISDIR(sb.st_mode) ? snprintf(manifest, sizeof manifest, "%s/bundle.json", path)
                                : snprintf(manifest, sizeof manifest, "%s", path);
    if (n < 0 || (size_t)n >= sizeof manifest) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "bundle: path too long");
    const char *slash = strrchr(manifest, '/');
    if (slash) snprintf(out->dir, sizeof out->dir, "%.*s", (int)(slash - manifest), manifest);
    else snprintf(out->dir, sizeof out->dir, ".");
    if (out->dir[0] == 0) snprintf(out->dir, sizeof out->dir, "/");

    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse_file(ctx, manifest, &doc);
    if (st != A2A_OK) return st;
    const a2a_json_value *root = a2a_json_root(doc);
    const char *fields[4] = {"llm", "encoder", "input_projector", "lora"};
    char *dst[4] = {out->llm, out->encoder, out->input_projector, out->lora};
    const a2a_json_value *fmt = a2a_json_get(root, "format"), *ver = a2a_json_get(root, "version");
    const a2a_json_value *pf = a2a_json_get(root, "prompt_format");
    int64_t version = 1;
    if (!root || a2a_json_len(root) == 0 || !a2a_json_key_at(root, 0)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: a bundle manifest is a JSON object", manifest);
        goto done;
    }
    if (fmt && (!a2a_json_str(fmt) || strcmp(a2a_json_str(fmt), "any2any-bundle") != 0)) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"format\" must be \"any2any-bundle\"", manifest);
        goto done;
    }
    if (ver && (!a2a_json_int(ver, &version) || version != 1)) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: bundle version must be 1", manifest);
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        const a2a_json_value *v = a2a_json_get(root, fields[i]);
        if (!v) {
            if (i == 0) {
                st = a2a_fail(ctx, A2A_ERR_NOT_FOUND, "%s: the bundle names no \"llm\"", manifest);
                goto done;
            }
            continue;
        }
        const char *s = a2a_json_str(v);
        if (!s || !s[0]) {
            st = a2a_fail(ctx, A2A_ERR_FORMAT, "%s: \"%s\" must be a non-empty string (a path)", manifest, fields[i]);
            goto done;
        }
        if ((st = resolve(ctx, manifest, out->dir, fields[i], s, dst[i])) != A2A_OK) goto done;
    }
    default_signals(out);
    if ((st = read_paths(ctx, manifest, out->dir, root, "output_projectors", out->output_projector)) != A2A_OK ||
        (st = read_paths(ctx, manifest, out->dir, root, "generators", out->generator)) != A2A_OK ||
        (st = read_signals(ctx, manifest, root, out)) != A2A_OK)
        goto done;
    snprintf(out->prompt_format, sizeof out->prompt_format, "nextgpt");
    if (pf) {
        const char *s = a2a_json_str(pf);
        if (!s || strcmp(s, "nextgpt") != 0) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "%s: unknown prompt_format (known: \"nextgpt\")", manifest);
            goto done;
        }
    }
done:
    a2a_json_free(doc);
    return st;
}
