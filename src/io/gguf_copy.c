#include "io/gguf_copy.h"

#include <stdlib.h>
#include <string.h>

/* Copy the string array at entry i (key) into w. */
static a2a_status copy_str_array(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_gguf *g, int64_t i, const char *key,
                                 uint64_t count) {
    size_t total = 0;
    for (uint64_t k = 0; k < count; k++) {
        size_t len;
        a2a_gguf_kv_arr_str(g, i, k, &len);
        total += len + 1;
    }
    char *blob = malloc(total ? total : 1);
    const char **strs = malloc(sizeof(char *) * (count ? count : 1));
    a2a_status st = A2A_OK;
    if (!blob || !strs) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "gguf copy: out of memory for '%s'", key);
        goto done;
    }
    size_t off = 0;
    for (uint64_t k = 0; k < count; k++) {
        size_t len;
        const char *s = a2a_gguf_kv_arr_str(g, i, k, &len);
        if (memchr(s, 0, len)) {
            st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gguf copy: '%s'[%llu] contains a NUL byte", key, (unsigned long long)k);
            goto done;
        }
        memcpy(blob + off, s, len);
        blob[off + len] = 0;
        strs[k] = blob + off;
        off += len + 1;
    }
    st = a2a_gguf_writer_set_arr_str(ctx, w, key, strs, count);
done:
    free(blob);
    free(strs);
    return st;
}

a2a_status a2a_gguf_writer_copy_kv(a2a_ctx *ctx, a2a_gguf_writer *w, const a2a_gguf *g, a2a_gguf_key_filter filter,
                                   void *user) {
    for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) {
        const char *key = a2a_gguf_key(g, i);
        if (filter && !filter(key, user)) continue;
        a2a_gguf_vtype t = a2a_gguf_kv_type(g, i);
        a2a_status st = A2A_OK;
        int64_t i64;
        uint64_t u64;
        double f64;
        size_t len;
        if (t == A2A_GGUF_STRING) {
            const char *s = a2a_gguf_kv_str(g, i, &len);
            st = a2a_gguf_writer_set_strn(ctx, w, key, s, len);
        } else if (t == A2A_GGUF_ARRAY) {
            a2a_gguf_vtype et;
            uint64_t count;
            const void *data;
            a2a_gguf_kv_arr(g, i, &et, &count, &data);
            if (et == A2A_GGUF_STRING) st = copy_str_array(ctx, w, g, i, key, count);
            else if (et == A2A_GGUF_ARRAY) st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gguf copy: nested array '%s'", key);
            else st = a2a_gguf_writer_set_arr(ctx, w, key, et, data, count);
        } else if (a2a_gguf_kv_scalar(g, i, &i64, &u64, &f64)) {
            switch (t) {
            case A2A_GGUF_UINT8: st = a2a_gguf_writer_set_u8(ctx, w, key, (uint8_t)i64); break;
            case A2A_GGUF_INT8: st = a2a_gguf_writer_set_i8(ctx, w, key, (int8_t)i64); break;
            case A2A_GGUF_UINT16: st = a2a_gguf_writer_set_u16(ctx, w, key, (uint16_t)i64); break;
            case A2A_GGUF_INT16: st = a2a_gguf_writer_set_i16(ctx, w, key, (int16_t)i64); break;
            case A2A_GGUF_UINT32: st = a2a_gguf_writer_set_u32(ctx, w, key, (uint32_t)i64); break;
            case A2A_GGUF_INT32: st = a2a_gguf_writer_set_i32(ctx, w, key, (int32_t)i64); break;
            case A2A_GGUF_UINT64: st = a2a_gguf_writer_set_u64(ctx, w, key, u64); break;
            case A2A_GGUF_INT64: st = a2a_gguf_writer_set_i64(ctx, w, key, i64); break;
            case A2A_GGUF_FLOAT32: st = a2a_gguf_writer_set_f32(ctx, w, key, (float)f64); break;
            case A2A_GGUF_FLOAT64: st = a2a_gguf_writer_set_f64(ctx, w, key, f64); break;
            case A2A_GGUF_BOOL: st = a2a_gguf_writer_set_bool(ctx, w, key, i64 != 0); break;
            default: st = a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gguf copy: '%s' has value type %d", key, (int)t);
            }
        }
        if (st) return st;
    }
    return A2A_OK;
}
