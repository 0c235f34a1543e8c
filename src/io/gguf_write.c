/* GGUF writer: collects metadata and tensor references, then serializes a version-3 file
   atomically (temporary file + rename) or into memory. See gguf.h for the contract. */
#include "io/gguf.h"

#include "io/atomic_file.h"
#include "io/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct wkv {
    char *key;
    uint32_t vtype;
    uint8_t *val;   /* serialized value (without key and vtype) */
    size_t val_len;
} wkv;

typedef struct wtensor {
    char *name;
    a2a_type type;
    int n_dims;
    int64_t ne[A2A_MAX_DIMS];
    const void *data; /* referenced, not copied */
    size_t nbytes;
} wtensor;

struct a2a_gguf_writer {
    wkv *kv;
    size_t n_kv, cap_kv;
    wtensor *t;
    size_t n_t, cap_t;
    size_t alignment;
    void **kept;            /* buffers freed with the writer (a2a_gguf_writer_keep) */
    size_t n_kept, cap_kept;
};

/* New empty writer. */
a2a_status a2a_gguf_writer_new(a2a_ctx *ctx, a2a_gguf_writer **out) {
    *out = calloc(1, sizeof(**out));
    if (!*out) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    (*out)->alignment = A2A_GGUF_DEFAULT_ALIGNMENT;
    return A2A_OK;
}

/* Free the writer and its copies (never the referenced tensor data). */
void a2a_gguf_writer_free(a2a_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kv[i].key);
        free(w->kv[i].val);
    }
    for (size_t i = 0; i < w->n_t; i++) free(w->t[i].name);
    for (size_t i = 0; i < w->n_kept; i++) free(w->kept[i]);
    free(w->kept);
    free(w->kv);
    free(w->t);
    free(w);
}

a2a_status a2a_gguf_writer_keep(a2a_ctx *ctx, a2a_gguf_writer *w, void *p) {
    if (!p) return A2A_OK;
    if (w->n_kept == w->cap_kept) {
        size_t cap = w->cap_kept ? w->cap_kept * 2 : 16;
        void **k = realloc(w->kept, cap * sizeof *k);
        if (!k) {
            free(p);
            return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
        }
        w->kept = k;
        w->cap_kept = cap;
    }
    w->kept[w->n_kept++] = p;
    return A2A_OK;
}

/* ---------------------------------------------------------------- metadata */

/* Store key = (vtype, val[0..len)) taking ownership of val (freed on failure too). */
static a2a_status put_kv(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint32_t vtype, uint8_t *val,
                         size_t len) {
    if (!key || !*key) {
        free(val);
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: empty metadata key");
    }
    size_t klen = strlen(key);
    if (!a2a_utf8_valid(key, klen)) {
        free(val);
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: metadata key is not valid UTF-8");
    }
    if (strcmp(key, "general.alignment") == 0) {
        uint32_t a = 0;
        if (vtype == A2A_GGUF_UINT32) memcpy(&a, val, 4);
        if (vtype != A2A_GGUF_UINT32 || a == 0 || (a & (a - 1)) || a > (1u << 30)) {
            free(val);
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                            "gguf writer: general.alignment must be a u32 nonzero power of two (got %u)", a);
        }
        w->alignment = a;
    }
    for (size_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->kv[i].key, key) == 0) {
            free(w->kv[i].val);
            w->kv[i].vtype = vtype;
            w->kv[i].val = val;
            w->kv[i].val_len = len;
            return A2A_OK;
        }
    if (w->n_kv == w->cap_kv) {
        size_t nc = w->cap_kv ? w->cap_kv * 2 : 16;
        wkv *n = realloc(w->kv, nc * sizeof(*n));
        if (!n) {
            free(val);
            return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
        }
        w->kv = n;
        w->cap_kv = nc;
    }
    char *k = malloc(klen + 1);
    if (!k) {
        free(val);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    }
    memcpy(k, key, klen + 1);
    w->kv[w->n_kv++] = (wkv){k, vtype, val, len};
    return A2A_OK;
}

/* Set a fixed-size scalar. */
static a2a_status put_scalar(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint32_t vtype, const void *v) {
    size_t sz = a2a_gguf_vtype_size((int)vtype);
    uint8_t *val = malloc(sz);
    if (!val) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    memcpy(val, v, sz);
    return put_kv(ctx, w, key, vtype, val, sz);
}

a2a_status a2a_gguf_writer_set_u8(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint8_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_UINT8, &v);
}
a2a_status a2a_gguf_writer_set_i8(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int8_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_INT8, &v);
}
a2a_status a2a_gguf_writer_set_u16(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint16_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_UINT16, &v);
}
a2a_status a2a_gguf_writer_set_i16(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int16_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_INT16, &v);
}
a2a_status a2a_gguf_writer_set_u32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint32_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_UINT32, &v);
}
a2a_status a2a_gguf_writer_set_i32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int32_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_INT32, &v);
}
a2a_status a2a_gguf_writer_set_u64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, uint64_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_UINT64, &v);
}
a2a_status a2a_gguf_writer_set_i64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, int64_t v) {
    return put_scalar(ctx, w, key, A2A_GGUF_INT64, &v);
}
a2a_status a2a_gguf_writer_set_f32(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, float v) {
    return put_scalar(ctx, w, key, A2A_GGUF_FLOAT32, &v);
}
a2a_status a2a_gguf_writer_set_f64(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, double v) {
    return put_scalar(ctx, w, key, A2A_GGUF_FLOAT64, &v);
}
a2a_status a2a_gguf_writer_set_bool(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, bool v) {
    uint8_t b = v ? 1 : 0;
    return put_scalar(ctx, w, key, A2A_GGUF_BOOL, &b);
}

/* String with explicit length. */
a2a_status a2a_gguf_writer_set_strn(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *v, size_t len) {
    if (!v && len) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: NULL string for key '%s'", key);
    if (len > SIZE_MAX - 8) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: string too long");
    uint8_t *val = malloc(8 + len);
    if (!val) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    uint64_t n = len;
    memcpy(val, &n, 8);
    if (len) memcpy(val + 8, v, len);
    return put_kv(ctx, w, key, A2A_GGUF_STRING, val, 8 + len);
}

a2a_status a2a_gguf_writer_set_str(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *v) {
    if (!v) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: NULL string for key '%s'", key ? key : "");
    return a2a_gguf_writer_set_strn(ctx, w, key, v, strlen(v));
}

/* Numeric/bool array. */
a2a_status a2a_gguf_writer_set_arr(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, a2a_gguf_vtype elem_vtype,
                                   const void *data, uint64_t count) {
    size_t esz = a2a_gguf_vtype_size((int)elem_vtype);
    if (!esz)
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: key '%s': %s is not a numeric array element type",
                        key ? key : "", a2a_gguf_vtype_name((int)elem_vtype));
    size_t bytes, total;
    if (count > SIZE_MAX || !a2a_mul_ok((size_t)count, esz, &bytes) || !a2a_add_ok(bytes, 12, &total))
        return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: array '%s' too large", key ? key : "");
    if (!data && count) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: NULL array data");
    uint8_t *val = malloc(total);
    if (!val) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    uint32_t et = (uint32_t)elem_vtype;
    memcpy(val, &et, 4);
    memcpy(val + 4, &count, 8);
    if (bytes) memcpy(val + 12, data, bytes);
    return put_kv(ctx, w, key, A2A_GGUF_ARRAY, val, total);
}

/* Array of strings. */
a2a_status a2a_gguf_writer_set_arr_str(a2a_ctx *ctx, a2a_gguf_writer *w, const char *key, const char *const *strs,
                                       uint64_t count) {
    size_t total = 12;
    for (uint64_t i = 0; i < count; i++) {
        if (!strs[i]) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: NULL string %llu in '%s'",
                                      (unsigned long long)i, key ? key : "");
        size_t l = strlen(strs[i]);
        if (!a2a_add_ok(total, 8, &total) || !a2a_add_ok(total, l, &total))
            return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: array '%s' too large", key ? key : "");
    }
    uint8_t *val = malloc(total);
    if (!val) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    uint32_t et = A2A_GGUF_STRING;
    memcpy(val, &et, 4);
    memcpy(val + 4, &count, 8);
    size_t o = 12;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t l = strlen(strs[i]);
        memcpy(val + o, &l, 8);
        memcpy(val + o + 8, strs[i], (size_t)l);
        o += 8 + (size_t)l;
    }
    return put_kv(ctx, w, key, A2A_GGUF_ARRAY, val, total);
}

/* ---------------------------------------------------------------- tensors */

a2a_status a2a_gguf_writer_add_tensor(a2a_ctx *ctx, a2a_gguf_writer *w, const char *name, a2a_type type,
                                      int n_dims, const int64_t *ne, const void *data) {
    if (!name || !*name || !a2a_utf8_valid(name, strlen(name)))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: tensor name empty or not valid UTF-8");
    a2a_tensor t;
    if (n_dims < 1 || n_dims > A2A_MAX_DIMS || !ne || !a2a_tensor_init(&t, type, n_dims, ne, NULL))
        return a2a_fail(ctx, A2A_ERR_INVALID_ARG,
                        "gguf writer: tensor '%s': invalid type %d, dims or shape (ne[0] must be a multiple of the "
                        "block size)",
                        name, (int)type);
    size_t nbytes = a2a_tensor_nbytes(&t);
    if (!data && nbytes) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: tensor '%s' has NULL data", name);
    for (size_t i = 0; i < w->n_t; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "gguf writer: duplicate tensor name '%s'", name);
    if (w->n_t == w->cap_t) {
        size_t nc = w->cap_t ? w->cap_t * 2 : 16;
        wtensor *n = realloc(w->t, nc * sizeof(*n));
        if (!n) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
        w->t = n;
        w->cap_t = nc;
    }
    size_t l = strlen(name);
    char *nm = malloc(l + 1);
    if (!nm) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    memcpy(nm, name, l + 1);
    wtensor *wt = &w->t[w->n_t++];
    memset(wt, 0, sizeof(*wt));
    wt->name = nm;
    wt->type = type;
    wt->n_dims = n_dims;
    for (int d = 0; d < A2A_MAX_DIMS; d++) wt->ne[d] = d < n_dims ? ne[d] : 1;
    wt->data = data;
    wt->nbytes = nbytes;
    return A2A_OK;
}

/* ---------------------------------------------------------------- serialization */

typedef struct sink {
    FILE *f;         /* file output, or NULL for memory */
    uint8_t *buf;
    size_t len, cap;
    bool err;
} sink;

/* Append bytes to the sink (records failure in s->err). */
static void put(sink *s, const void *p, size_t n) {
    if (s->err || n == 0) return;
    if (s->f) {
        if (fwrite(p, 1, n, s->f) != n) s->err = true;
        s->len += n;
        return;
    }
    if (s->cap - s->len < n) {
        size_t nc = s->cap ? s->cap : 4096;
        while (nc - s->len < n) {
            if (nc > SIZE_MAX / 2) { s->err = true; return; }
            nc *= 2;
        }
        uint8_t *nb = realloc(s->buf, nc);
        if (!nb) { s->err = true; return; }
        s->buf = nb;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, p, n);
    s->len += n;
}

/* Little-endian integers. */
static void put_u32(sink *s, uint32_t v) { put(s, &v, 4); }
static void put_u64(sink *s, uint64_t v) { put(s, &v, 8); }

/* Zero bytes up to the next multiple of align. */
static void pad(sink *s, size_t align) {
    static const uint8_t zeros[256];
    size_t n = a2a_align_up(s->len, align) - s->len;
    while (n) {
        size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
        put(s, zeros, k);
        n -= k;
    }
}

/* Serialize the whole file into s. */
static a2a_status serialize(a2a_ctx *ctx, const a2a_gguf_writer *w, sink *s) {
    put(s, "GGUF", 4);
    put_u32(s, 3);
    put_u64(s, w->n_t);
    put_u64(s, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        uint64_t kl = strlen(w->kv[i].key);
        put_u64(s, kl);
        put(s, w->kv[i].key, (size_t)kl);
        put_u32(s, w->kv[i].vtype);
        put(s, w->kv[i].val, w->kv[i].val_len);
    }
    uint64_t off = 0;
    for (size_t i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        uint64_t nl = strlen(t->name);
        put_u64(s, nl);
        put(s, t->name, (size_t)nl);
        put_u32(s, (uint32_t)t->n_dims);
        for (int d = 0; d < t->n_dims; d++) put_u64(s, (uint64_t)t->ne[d]);
        put_u32(s, (uint32_t)t->type);
        put_u64(s, off);
        size_t padded = a2a_align_up(t->nbytes, w->alignment);
        if (padded < t->nbytes || off + padded < off)
            return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: total tensor size overflows");
        off += padded;
    }
    if (w->n_t) pad(s, w->alignment); /* a file without tensors ends after its header, as llama.cpp's do */
    for (size_t i = 0; i < w->n_t; i++) {
        put(s, w->t[i].data, w->t[i].nbytes);
        pad(s, w->alignment);
    }
    if (s->err)
        return s->f ? a2a_fail(ctx, A2A_ERR_IO, "gguf writer: write failed: %s", strerror(errno))
                    : a2a_fail(ctx, A2A_ERR_NOMEM, "gguf writer: out of memory");
    return A2A_OK;
}

/* Write atomically: a temporary file beside path, renamed onto it on success (io/atomic_file.h). */
a2a_status a2a_gguf_writer_write(a2a_ctx *ctx, a2a_gguf_writer *w, const char *path) {
    a2a_atomic_file af;
    a2a_status st = a2a_atomic_file_open(ctx, "gguf writer", path, &af);
    if (st) return st;
    sink s = {af.f, NULL, 0, 0, false};
    st = serialize(ctx, w, &s);
    if (st) {
        a2a_atomic_file_abort(&af);
        return st;
    }
    return a2a_atomic_file_commit(ctx, "gguf writer", &af);
}

/* Serialize into a malloc'd buffer. */
a2a_status a2a_gguf_writer_write_memory(a2a_ctx *ctx, a2a_gguf_writer *w, void **out, size_t *size) {
    *out = NULL;
    *size = 0;
    sink s = {NULL, NULL, 0, 0, false};
    a2a_status st = serialize(ctx, w, &s);
    if (st) {
        free(s.buf);
        return st;
    }
    *out = s.buf;
    *size = s.len;
    return A2A_OK;
}
