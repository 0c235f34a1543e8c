/* Input projectors: common loading (dispatch on projector.type), accessors and forward
   dispatch (see projector.h). */
#include "models/projectors/projector_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const TYPE_NAMES[] = {"linear", "mlp2x_gelu", "qformer"};

/* Contract in projector.h. */
const char *a2a_projector_type_name(a2a_projector_type t) {
    return (unsigned)t < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]) ? TYPE_NAMES[t] : "?";
}

/* Contract in projector.h. */
bool a2a_projector_type_from_name(const char *name, a2a_projector_type *out) {
    for (unsigned i = 0; name && i < sizeof(TYPE_NAMES) / sizeof(TYPE_NAMES[0]); i++)
        if (!strcmp(name, TYPE_NAMES[i])) {
            *out = (a2a_projector_type)i;
            return true;
        }
    return false;
}

/* Contract in projector_impl.h. */
a2a_status a2a_projector_meta_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *suffix, int64_t max, int64_t *out) {
    char key[128];
    snprintf(key, sizeof(key), "projector.%s", suffix);
    if (a2a_gguf_find_key(g, key) < 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "projector: missing metadata key '%s'", key);
    uint64_t v;
    a2a_status st = a2a_gguf_get_u64(ctx, g, key, &v);
    if (st) return st;
    if (v < 1 || v > (uint64_t)max)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "projector: '%s' = %llu is out of range (1..%lld)", key, (unsigned long long)v,
                        (long long)max);
    *out = (int64_t)v;
    return A2A_OK;
}

/* Contract in projector_impl.h. */
const a2a_tensor *a2a_projector_tensor(a2a_ctx *ctx, const a2a_gguf *g, const char *name, int64_t ne0, int64_t ne1,
                                       bool f32_only, a2a_status *st) {
    int64_t ne[2] = {ne0, ne1};
    const a2a_tensor *t = a2a_nn_get(ctx, g, name, ne1 > 0 ? 2 : 1, ne, true);
    if (!t) {
        *st = a2a_gguf_find_tensor(g, name) ? A2A_ERR_SHAPE : A2A_ERR_NOT_FOUND; /* as a2a_nn_get reported */
        a2a_error_prefix(ctx, "projector");
        return NULL;
    }
    const a2a_type_traits *tr = a2a_type_info(t->type);
    bool ok;
    if (ne1 > 0 && !f32_only) ok = tr && tr->compute;
    else ok = t->type == A2A_TYPE_F32 || (!f32_only && t->type == A2A_TYPE_F16);
    if (!ok) {
        *st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "projector: tensor %s has type %s, which is not usable here%s", name,
                       a2a_type_name(t->type), f32_only ? " (f32 expected)" : ne1 > 0 ? "" : " (f32 or f16 expected)");
        return NULL;
    }
    *st = A2A_OK;
    return t;
}

/* Contract in projector.h. */
a2a_status a2a_projector_load(a2a_ctx *ctx, const char *gguf_path, a2a_projector **out) {
    if (!out || !gguf_path) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector: NULL path or output");
    *out = NULL;
    a2a_projector *p = calloc(1, sizeof(*p));
    if (!p) return a2a_fail(ctx, A2A_ERR_NOMEM, "projector: out of memory");
    a2a_status st = a2a_gguf_open(ctx, gguf_path, &p->g);
    if (st) goto fail;
    const char *s;
    size_t len;
    if (a2a_gguf_get_str(NULL, p->g, "general.architecture", &s, &len) != A2A_OK) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "projector: no general.architecture string in the file");
        goto fail;
    }
    if (!(len == 9 && !memcmp(s, "projector", 9))) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "projector: architecture '%.*s' is not a projector", (int)A2A_MIN(len, 64), s);
        goto fail;
    }
    if (a2a_gguf_get_str(NULL, p->g, "projector.type", &s, &len) != A2A_OK) {
        st = a2a_fail(ctx, A2A_ERR_FORMAT, "projector: no projector.type string in the file");
        goto fail;
    }
    char name[32];
    if (len >= sizeof(name)) len = sizeof(name) - 1; /* too long to be a known name anyway */
    memcpy(name, s, len);
    name[len] = 0;
    if (!a2a_projector_type_from_name(name, &p->type) || strlen(name) != len) {
        st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "projector: projector.type '%s' is not supported (linear, mlp2x_gelu, qformer)",
                      name);
        goto fail;
    }
    if ((st = a2a_projector_meta_u32(ctx, p->g, "input_dim", A2A_PROJECTOR_MAX_DIM, &p->in_dim)) ||
        (st = a2a_projector_meta_u32(ctx, p->g, "output_dim", A2A_PROJECTOR_MAX_DIM, &p->out_dim)))
        goto fail;
    if (p->type != A2A_PROJECTOR_LINEAR && a2a_gguf_find_key(p->g, "projector.activation") >= 0) {
        if (a2a_gguf_get_str(ctx, p->g, "projector.activation", &s, &len)) { st = A2A_ERR_FORMAT; goto fail; }
        if (!(len == 4 && !memcmp(s, "gelu", 4))) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "projector: activation '%.*s' is not supported (gelu)", (int)A2A_MIN(len, 64), s);
            goto fail;
        }
    }
    st = p->type == A2A_PROJECTOR_QFORMER ? a2a_projector_load_qformer(ctx, p) : a2a_projector_load_linear_mlp(ctx, p);
    if (st) goto fail;
    *out = p;
    return A2A_OK;
fail:
    a2a_error_prefix(ctx, "%s", gguf_path);
    a2a_projector_free(p);
    return st;
}

/* Contract in projector.h. */
void a2a_projector_free(a2a_projector *p) {
    if (!p) return;
    free(p->layers);
    a2a_gguf_close(p->g);
    free(p);
}

/* Contract in projector.h. */
a2a_projector_type a2a_projector_type_of(const a2a_projector *p) { return p->type; }
/* Contract in projector.h. */
int64_t a2a_projector_in_dim(const a2a_projector *p) { return p->in_dim; }
/* Contract in projector.h. */
int64_t a2a_projector_out_dim(const a2a_projector *p) { return p->out_dim; }
/* Contract in projector.h. */
int64_t a2a_projector_n_out_tokens(const a2a_projector *p, int64_t n_in) {
    return p->type == A2A_PROJECTOR_QFORMER ? p->n_query : n_in;
}

/* Contract in projector.h. */
a2a_status a2a_projector_forward(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_projector *p, const float *in,
                                 int64_t n_in_tokens, float *out, int64_t *n_out_tokens) {
    if (!p || !in || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector: NULL projector or buffer");
    if (n_in_tokens < 1 || n_in_tokens > A2A_PROJECTOR_MAX_TOKENS)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "projector: %lld input tokens (1..%d accepted)", (long long)n_in_tokens,
                        A2A_PROJECTOR_MAX_TOKENS);
    a2a_status st = p->type == A2A_PROJECTOR_QFORMER ? a2a_projector_forward_qformer(ctx, tp, p, in, n_in_tokens, out)
                                                     : a2a_projector_forward_linear_mlp(ctx, tp, p, in, n_in_tokens, out);
    if (st) return st;
    if (n_out_tokens) *n_out_tokens = a2a_projector_n_out_tokens(p, n_in_tokens);
    return A2A_OK;
}
