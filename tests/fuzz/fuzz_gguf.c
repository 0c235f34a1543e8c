/* libFuzzer target: open arbitrary bytes as GGUF from memory; on success touch every tensor's
   data bytes and call every metadata accessor, so ASan sees any out-of-range view. Also runs
   the bytes through the format-detecting opener. */
#include "io/gguf.h"
#include "io/weights.h"

#include <stddef.h>
#include <stdint.h>

static volatile uint64_t sink;

/* Read every byte of every tensor. */
static void touch_tensors(const a2a_gguf *g) {
    uint64_t acc = 0;
    for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        size_t n = a2a_gguf_tensor_size(g, i);
        const uint8_t *p = t->data;
        for (size_t k = 0; k < n; k++) acc += p[k];
        acc += a2a_gguf_find_tensor(g, t->name) == t;
        acc += (uint64_t)a2a_tensor_nelements(t);
    }
    sink = acc;
}

/* Call every getter on every key. */
static void touch_metadata(const a2a_gguf *g) {
    uint64_t acc = 0;
    for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) {
        const char *key = a2a_gguf_key(g, i);
        acc += (uint64_t)a2a_gguf_find_key(g, key);
        uint32_t u32; int32_t i32; uint64_t u64; int64_t i64; float f; double d; bool b;
        const char *s; size_t len; a2a_gguf_vtype et; uint64_t cnt; const void *data;
        if (!a2a_gguf_get_u32(NULL, g, key, &u32)) acc += u32;
        if (!a2a_gguf_get_i32(NULL, g, key, &i32)) acc += (uint64_t)i32;
        if (!a2a_gguf_get_u64(NULL, g, key, &u64)) acc += u64;
        if (!a2a_gguf_get_i64(NULL, g, key, &i64)) acc += (uint64_t)i64;
        if (!a2a_gguf_get_f32(NULL, g, key, &f)) acc += f == f;
        if (!a2a_gguf_get_f64(NULL, g, key, &d)) acc += d == d;
        if (!a2a_gguf_get_bool(NULL, g, key, &b)) acc += b;
        if (!a2a_gguf_get_str(NULL, g, key, &s, &len))
            for (size_t k = 0; k < len; k++) acc += (uint8_t)s[k];
        if (!a2a_gguf_get_arr(NULL, g, key, &et, &cnt, &data)) {
            const uint8_t *p = data;
            size_t bytes = (size_t)cnt * a2a_gguf_vtype_size((int)et);
            for (size_t k = 0; k < bytes; k++) acc += p[k];
        }
        if (!a2a_gguf_get_arr_info(NULL, g, key, &et, &cnt) && et == A2A_GGUF_STRING)
            for (uint64_t k = 0; k < cnt; k++) {
                s = a2a_gguf_get_arr_str(g, key, k, &len);
                if (s && len) acc += (uint8_t)s[0] + (uint8_t)s[len - 1];
            }
    }
    sink = acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    a2a_gguf *g = NULL;
    if (a2a_gguf_open_memory(ctx, data, size, &g) == A2A_OK) {
        touch_tensors(g);
        touch_metadata(g);
        a2a_gguf_close(g);
    }
    a2a_weights *w = NULL;
    if (a2a_weights_open_memory(ctx, data, size, &w) == A2A_OK) {
        for (int64_t i = 0; i < a2a_weights_n_tensors(w); i++) sink += a2a_weights_tensor(w, i)->type;
        a2a_weights_close(w);
    }
    a2a_ctx_free(ctx);
    return 0;
}
