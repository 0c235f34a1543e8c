/* GGUF metadata readers for model configurations. Contracts in gguf_meta.h. */
#include "io/gguf_meta.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *full_key(char *buf, size_t cap, const a2a_meta *m, const char *key) {
    snprintf(buf, cap, "%s.%s", m->arch, key);
    return buf;
}

a2a_status a2a_meta_u32(const a2a_meta *m, const char *key, bool required, int def, int lo, int hi, int *out) {
    char full[128];
    full_key(full, sizeof full, m, key);
    uint32_t v;
    a2a_status st = a2a_gguf_get_u32(m->ctx, m->g, full, &v);
    if (st == A2A_ERR_NOT_FOUND && !required) {
        *out = def;
        return A2A_OK;
    }
    if (st == A2A_ERR_NOT_FOUND) return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: missing metadata %s", m->who, full);
    if (st != A2A_OK) return st;
    if ((int64_t)v < lo || (int64_t)v > hi)
        return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: %s = %u out of range [%d, %d]", m->who, full, v, lo, hi);
    *out = (int)v;
    return A2A_OK;
}

a2a_status a2a_meta_bool(const a2a_meta *m, const char *key, bool def, bool *out) {
    char full[128];
    full_key(full, sizeof full, m, key);
    a2a_status st = a2a_gguf_get_bool(m->ctx, m->g, full, out);
    if (st == A2A_ERR_NOT_FOUND) {
        *out = def;
        return A2A_OK;
    }
    return st;
}

a2a_status a2a_meta_f32(const a2a_meta *m, const char *key, float def, float *out) {
    char full[128];
    full_key(full, sizeof full, m, key);
    a2a_status st = a2a_gguf_get_f32(m->ctx, m->g, full, out);
    if (st == A2A_ERR_NOT_FOUND) {
        *out = def;
        return A2A_OK;
    }
    if (st == A2A_OK && !isfinite(*out)) return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: %s is not finite", m->who, full);
    return st;
}

a2a_status a2a_meta_ints(const a2a_meta *m, const char *key, int n, int cap, int *out, int *n_out) {
    char full[128];
    full_key(full, sizeof full, m, key);
    a2a_gguf_vtype et;
    uint64_t cnt;
    const void *data;
    a2a_status st = a2a_gguf_get_arr(m->ctx, m->g, full, &et, &cnt, &data);
    if (st == A2A_ERR_NOT_FOUND) return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: missing metadata %s", m->who, full);
    if (st != A2A_OK) return st;
    if (!(et == A2A_GGUF_INT32 || et == A2A_GGUF_UINT32) || cnt < 1 || cnt > (uint64_t)cap ||
        (n >= 0 && cnt != (uint64_t)n)) {
        if (n >= 0)
            return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: %s must hold %d 32-bit integers (got %llu of %s)", m->who,
                            full, n, (unsigned long long)cnt, a2a_gguf_vtype_name(et));
        return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: %s must be 1..%d 32-bit integers (got %llu of %s)", m->who, full,
                        cap, (unsigned long long)cnt, a2a_gguf_vtype_name(et));
    }
    for (uint64_t i = 0; i < cnt; i++) {
        int32_t v;
        memcpy(&v, (const char *)data + 4 * i, 4);
        if (et == A2A_GGUF_UINT32 && v < 0) v = -1;
        out[i] = v;
    }
    if (n_out) *n_out = (int)cnt;
    return A2A_OK;
}

a2a_status a2a_meta_types(const a2a_meta *m, const char *key, int n, const char *cross, const char *plain, bool *out) {
    char full[128];
    full_key(full, sizeof full, m, key);
    a2a_gguf_vtype et;
    uint64_t cnt;
    a2a_status st = a2a_gguf_get_arr_info(m->ctx, m->g, full, &et, &cnt);
    if (st == A2A_ERR_NOT_FOUND) return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: missing metadata %s", m->who, full);
    if (st != A2A_OK) return st;
    if (et != A2A_GGUF_STRING || cnt != (uint64_t)n)
        return a2a_fail(m->ctx, A2A_ERR_FORMAT, "%s: %s must hold %d strings", m->who, full, n);
    for (int i = 0; i < n; i++) {
        size_t len;
        const char *s = a2a_gguf_get_arr_str(m->g, full, (uint64_t)i, &len);
        if (s && len == strlen(cross) && memcmp(s, cross, len) == 0) out[i] = true;
        else if (s && len == strlen(plain) && memcmp(s, plain, len) == 0) out[i] = false;
        else
            return a2a_fail(m->ctx, A2A_ERR_UNSUPPORTED, "%s: %s[%d] = '%.*s' (only %s, %s)", m->who, full, i,
                            s ? (int)(len > 64 ? 64 : len) : 0, s ? s : "", cross, plain);
    }
    return A2A_OK;
}
