#include "io/gguf_quantize.h"
#include "io/gguf_copy.h"
#include "io/convert_rows.h"
#include "kernels/convert.h"

#include <stdlib.h>
#include <string.h>

int a2a_ftype_of(a2a_type t) {
    switch (t) {
    case A2A_TYPE_F32: return 0;
    case A2A_TYPE_F16: return 1;
    case A2A_TYPE_Q4_0: return 2;
    case A2A_TYPE_Q4_1: return 3;
    case A2A_TYPE_Q8_0: return 7;
    case A2A_TYPE_Q5_0: return 8;
    case A2A_TYPE_Q5_1: return 9;
    case A2A_TYPE_Q4_K: return 15; /* Q4_K_M: the closest llama.cpp label */
    case A2A_TYPE_Q5_K: return 17;
    case A2A_TYPE_Q6_K: return 18;
    case A2A_TYPE_BF16: return 32;
    default: return -1;
    }
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !memcmp(s + a - b, suf, b);
}

bool a2a_quantize_wants(const a2a_tensor *t) {
    if (!t->name || !ends_with(t->name, ".weight")) return false;
    if (t->n_dims < 2 || t->ne[1] < 2) return false;
    if (strstr(t->name, "norm") || strstr(t->name, "position_embd") || strstr(t->name, "pos_embed")) return false;
    return true;
}

static bool not_file_type(const char *key, void *user) {
    (void)user;
    return strcmp(key, "general.file_type") != 0 && strcmp(key, "general.alignment") != 0;
}

a2a_status a2a_quantize_file(a2a_ctx *ctx, a2a_threadpool *tp, const char *in_path, const char *out_path,
                             const a2a_quantize_params *p) {
    if (!a2a_convert_supported(A2A_TYPE_F32, p->type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "quantize: target type %s is not supported", a2a_type_name(p->type));
    a2a_gguf *g = NULL;
    a2a_gguf_writer *w = NULL;
    a2a_status st = a2a_gguf_open(ctx, in_path, &g);
    if (st) return st;
    int64_t n = a2a_gguf_n_tensors(g);
    void **bufs = calloc((size_t)(n ? n : 1), sizeof(void *));
    if (!bufs) { st = a2a_fail(ctx, A2A_ERR_NOMEM, "quantize: out of memory"); goto done; }
    if ((st = a2a_gguf_writer_new(ctx, &w)) || (st = a2a_gguf_writer_copy_kv(ctx, w, g, not_file_type, NULL))) goto done;
    int ft = a2a_ftype_of(p->type);
    if (ft >= 0 && (st = a2a_gguf_writer_set_u32(ctx, w, "general.file_type", (uint32_t)ft))) goto done;
    for (int64_t i = 0; i < n; i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        a2a_type dt = t->type;
        if (a2a_quantize_wants(t)) {
            dt = p->type;
            if (t->ne[0] % a2a_type_info(dt)->blck) dt = p->fallback;
        } else if (t->type == A2A_TYPE_F16 || t->type == A2A_TYPE_BF16 || a2a_type_info(t->type)->quantized) {
            dt = A2A_TYPE_F32; /* small tensors (norms, biases) in full precision */
        }
        if (dt != t->type && !a2a_convert_supported(t->type, A2A_TYPE_F32)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "quantize: cannot read tensor '%s' of type %s", t->name, a2a_type_name(t->type));
            goto done;
        }
        const void *data = t->data;
        if (dt != t->type) {
            size_t row;
            a2a_row_size(dt, t->ne[0], &row);
            int64_t rows = a2a_tensor_nrows(t);
            size_t bytes;
            if (!a2a_mul_ok(row, (size_t)rows, &bytes) || !(bufs[i] = malloc(bytes ? bytes : 1))) {
                st = a2a_fail(ctx, A2A_ERR_NOMEM, "quantize: cannot allocate %s for '%s'", a2a_type_name(dt), t->name);
                goto done;
            }
            if ((st = a2a_convert_rows(ctx, tp, t, dt, bufs[i]))) {
                a2a_error_prefix(ctx, "quantize");
                goto done;
            }
            data = bufs[i];
        }
        if ((st = a2a_gguf_writer_add_tensor(ctx, w, t->name, dt, t->n_dims, t->ne, data))) goto done;
        if (p->progress && p->progress(i + 1, n, t->name, p->user)) {
            st = a2a_fail(ctx, A2A_ERR_CANCELLED, "quantize: cancelled");
            goto done;
        }
    }
    st = a2a_gguf_writer_write(ctx, w, out_path);
done:
    if (bufs)
        for (int64_t i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    a2a_gguf_writer_free(w);
    a2a_gguf_close(g);
    return st;
}
