/* GGUF reader: validates the whole header at open time and exposes tensors as zero-copy
   views into a read-only mapping. See gguf.h for the contract. */
#include "io/gguf.h"

#include <sys/mman.h>
#include <unistd.h>
#include "io/ranges.h"

#include "io/json.h"
#include "io/mmap.h"

#include <stdlib.h>
#include <string.h>

/* Smallest encodings, used to bound counts by the bytes that remain. */
#define KV_MIN_BYTES 14      /* u64 key len + 1 key byte + u32 vtype + 1 value byte */
#define TENSOR_MIN_BYTES 25  /* u64 name len + 1 name byte + u32 n_dims (0 dims) + u32 type + u64 offset */
#define GGUF_MAX_NAME 65536  /* keys and tensor names longer than this are surely garbage */

typedef struct gguf_kv {
    const char *key;    /* NUL-terminated copy (in g->names) */
    size_t key_len;
    uint32_t vtype;     /* a2a_gguf_vtype */
    size_t val;         /* file offset of the value (string: of its u64 length) */
    /* arrays */
    uint32_t arr_type;  /* element vtype */
    uint64_t arr_count;
    size_t arr_data;    /* file offset of the first element */
    uint64_t *str_off;  /* string arrays: file offset of each element's u64 length (owned) */
} gguf_kv;

struct a2a_gguf {
    a2a_mmap map;
    uint32_t version;
    size_t alignment;
    size_t data_offset;
    int64_t n_kv;
    gguf_kv *kv;
    int64_t n_tensors;
    a2a_tensor *tensors;
    uint64_t *tensor_off;   /* offset relative to the data section */
    size_t *tensor_size;    /* bytes */
    char *names;            /* pool of NUL-terminated keys and tensor names */
    a2a_name_index kv_index;
    a2a_name_index tensor_index;
};

/* ---------------------------------------------------------------- value types */

static const char *const VTYPE_NAMES[A2A_GGUF_VTYPE_COUNT] = {"u8",  "i8",   "u16", "i16", "u32", "i32", "f32",
                                                              "bool", "str", "arr", "u64", "i64", "f64"};
static const uint8_t VTYPE_SIZES[A2A_GGUF_VTYPE_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* Name of a vtype ("?" when invalid). */
const char *a2a_gguf_vtype_name(int vtype) {
    return vtype >= 0 && vtype < A2A_GGUF_VTYPE_COUNT ? VTYPE_NAMES[vtype] : "?";
}

/* Scalar size of a fixed-size vtype, 0 otherwise. */
size_t a2a_gguf_vtype_size(int vtype) { return vtype >= 0 && vtype < A2A_GGUF_VTYPE_COUNT ? VTYPE_SIZES[vtype] : 0; }

/* ---------------------------------------------------------------- cursor */

typedef struct reader {
    a2a_ctx *ctx;
    const uint8_t *p;
    size_t size;
    size_t pos;
} reader;

/* Unaligned little-endian loads (the file is little-endian, as is every host we build for). */
static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t load_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Bytes left after the cursor. */
static inline size_t rd_left(const reader *r) { return r->size - r->pos; }

/* Read a u32; fails (FORMAT, naming `what`) when the file ends. */
static a2a_status rd_u32(reader *r, uint32_t *v, const char *what) {
    if (rd_left(r) < 4)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: file truncated at byte %zu while reading %s (%zu bytes)",
                        r->pos, what, r->size);
    *v = load_u32(r->p + r->pos);
    r->pos += 4;
    return A2A_OK;
}

/* Read a u64; fails (FORMAT, naming `what`) when the file ends. */
static a2a_status rd_u64(reader *r, uint64_t *v, const char *what) {
    if (rd_left(r) < 8)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: file truncated at byte %zu while reading %s (%zu bytes)",
                        r->pos, what, r->size);
    *v = load_u64(r->p + r->pos);
    r->pos += 8;
    return A2A_OK;
}

/* Read a gguf_string header and skip its bytes; *off gets the offset of the bytes. */
static a2a_status rd_str(reader *r, size_t *off, size_t *len, const char *what) {
    uint64_t n = 0;
    a2a_status st = rd_u64(r, &n, what);
    if (st) return st;
    if (n > rd_left(r))
        return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                        "gguf: %s at byte %zu claims a string length of %llu but only %zu bytes remain", what,
                        r->pos - 8, (unsigned long long)n, rd_left(r));
    *off = r->pos;
    *len = (size_t)n;
    r->pos += (size_t)n;
    return A2A_OK;
}

/* Skip over one value of type vt (arrays recursively, up to A2A_GGUF_MAX_ARRAY_DEPTH).
   `key` names the entry for messages. Work is linear in the bytes consumed. */
static a2a_status skip_value(reader *r, uint32_t vt, int depth, const char *key) {
    if (vt >= A2A_GGUF_VTYPE_COUNT)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: key '%s' has unknown value type %u", key, vt);
    size_t sz = VTYPE_SIZES[vt];
    if (sz) {
        if (rd_left(r) < sz)
            return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: file truncated in the value of key '%s'", key);
        r->pos += sz;
        return A2A_OK;
    }
    if (vt == A2A_GGUF_STRING) {
        size_t off, len;
        return rd_str(r, &off, &len, "a string value");
    }
    /* array */
    if (depth >= A2A_GGUF_MAX_ARRAY_DEPTH)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: key '%s' nests arrays deeper than %d levels", key,
                        A2A_GGUF_MAX_ARRAY_DEPTH);
    uint32_t et = 0;
    uint64_t count = 0;
    a2a_status st = rd_u32(r, &et, "an array element type");
    if (!st) st = rd_u64(r, &count, "an array length");
    if (st) return st;
    if (et >= A2A_GGUF_VTYPE_COUNT)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: key '%s' is an array of unknown type %u", key, et);
    size_t esz = VTYPE_SIZES[et];
    size_t min = esz ? esz : (et == A2A_GGUF_STRING ? 8 : 12);
    if (count > rd_left(r) / min)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                        "gguf: key '%s' claims an array of %llu %s elements but only %zu bytes remain", key,
                        (unsigned long long)count, VTYPE_NAMES[et], rd_left(r));
    if (esz) {
        r->pos += (size_t)count * esz;
        return A2A_OK;
    }
    for (uint64_t i = 0; i < count; i++) {
        st = skip_value(r, et, depth + 1, key);
        if (st) return st;
    }
    return A2A_OK;
}

/* ---------------------------------------------------------------- name index callbacks */

static const char *kv_name(const void *user, int64_t i, size_t *len) {
    const gguf_kv *kv = &((const a2a_gguf *)user)->kv[i];
    *len = kv->key_len;
    return kv->key;
}

static const char *tensor_name(const void *user, int64_t i, size_t *len) {
    const a2a_tensor *t = &((const a2a_gguf *)user)->tensors[i];
    *len = strlen(t->name);
    return t->name;
}

/* ---------------------------------------------------------------- parsing */

/* Copy a name from the file into the pool at *pool_pos (NUL-terminated), after checking its
   length, UTF-8 and the absence of control characters. `what` is "metadata key" or "tensor name". */
static a2a_status take_name(reader *r, a2a_gguf *g, size_t *pool_pos, size_t off, size_t len, const char *what,
                            int64_t idx, const char **out) {
    if (len == 0) return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: %s %lld is empty", what, (long long)idx);
    if (len > GGUF_MAX_NAME)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: %s %lld is %zu bytes long (limit %d)", what, (long long)idx,
                        len, GGUF_MAX_NAME);
    const char *s = (const char *)r->p + off;
    if (!a2a_utf8_valid(s, len))
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: %s %lld at byte %zu is not valid UTF-8", what, (long long)idx,
                        off);
    int64_t cc = a2a_find_control_char(s, len);
    if (cc >= 0)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                        "gguf: %s %lld at byte %zu contains a control character (0x%02x at position %lld)", what,
                        (long long)idx, off, (unsigned)(unsigned char)s[cc], (long long)cc);
    char *dst = g->names + *pool_pos;
    memcpy(dst, s, len);
    dst[len] = 0;
    *pool_pos += len + 1;
    *out = dst;
    return A2A_OK;
}

/* Parse key/value entry i at the cursor. */
static a2a_status parse_kv(reader *r, a2a_gguf *g, size_t *pool_pos, int64_t i) {
    gguf_kv *kv = &g->kv[i];
    size_t off, len;
    a2a_status st = rd_str(r, &off, &len, "a metadata key");
    if (!st) st = take_name(r, g, pool_pos, off, len, "metadata key", i, &kv->key);
    if (st) return st;
    kv->key_len = len;
    st = rd_u32(r, &kv->vtype, "a value type");
    if (st) return st;
    if (kv->vtype >= A2A_GGUF_VTYPE_COUNT)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: key '%s' has unknown value type %u", kv->key, kv->vtype);
    kv->val = r->pos;
    if (kv->vtype != A2A_GGUF_ARRAY) return skip_value(r, kv->vtype, 0, kv->key);

    st = rd_u32(r, &kv->arr_type, "an array element type");
    if (!st) st = rd_u64(r, &kv->arr_count, "an array length");
    if (st) return st;
    kv->arr_data = r->pos;
    uint32_t et = kv->arr_type;
    if (et >= A2A_GGUF_VTYPE_COUNT)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: key '%s' is an array of unknown type %u", kv->key, et);
    size_t esz = VTYPE_SIZES[et];
    size_t min = esz ? esz : (et == A2A_GGUF_STRING ? 8 : 12);
    if (kv->arr_count > rd_left(r) / min)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                        "gguf: key '%s' claims an array of %llu %s elements but only %zu bytes remain", kv->key,
                        (unsigned long long)kv->arr_count, VTYPE_NAMES[et], rd_left(r));
    if (esz) {
        r->pos += (size_t)kv->arr_count * esz;
        return A2A_OK;
    }
    if (et == A2A_GGUF_STRING) {
        /* count <= left/8, so the table is no larger than the file */
        kv->str_off = malloc((size_t)(kv->arr_count ? kv->arr_count : 1) * sizeof(uint64_t));
        if (!kv->str_off)
            return a2a_fail(r->ctx, A2A_ERR_NOMEM, "gguf: out of memory indexing string array '%s'", kv->key);
        for (uint64_t j = 0; j < kv->arr_count; j++) {
            kv->str_off[j] = r->pos;
            st = rd_str(r, &off, &len, "a string array element");
            if (st) {
                a2a_error_prefix(r->ctx, "key '%s' element %llu", kv->key, (unsigned long long)j);
                return st;
            }
        }
        return A2A_OK;
    }
    for (uint64_t j = 0; j < kv->arr_count; j++) {
        st = skip_value(r, et, 1, kv->key);
        if (st) return st;
    }
    return A2A_OK;
}

/* Parse tensor info i at the cursor (data placement is checked later). */
static a2a_status parse_tensor_info(reader *r, a2a_gguf *g, size_t *pool_pos, int64_t i) {
    a2a_tensor *t = &g->tensors[i];
    size_t off, len;
    const char *name;
    a2a_status st = rd_str(r, &off, &len, "a tensor name");
    if (!st) st = take_name(r, g, pool_pos, off, len, "tensor name", i, &name);
    if (st) return st;
    t->name = name;
    uint32_t n_dims = 0;
    st = rd_u32(r, &n_dims, "a tensor dimension count");
    if (st) return st;
    if (n_dims > A2A_MAX_DIMS)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' has %u dimensions (at most %d supported)", name,
                        n_dims, A2A_MAX_DIMS);
    int64_t ne[A2A_MAX_DIMS] = {1, 1, 1, 1, 1};
    for (uint32_t d = 0; d < n_dims; d++) {
        uint64_t v = 0;
        st = rd_u64(r, &v, "a tensor dimension");
        if (st) return st;
        if (v > (uint64_t)INT64_MAX)
            return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' dimension %u is %llu (negative as int64)",
                            name, d, (unsigned long long)v);
        ne[d] = (int64_t)v;
    }
    uint32_t type = 0;
    uint64_t toff = 0;
    st = rd_u32(r, &type, "a tensor type");
    if (!st) st = rd_u64(r, &toff, "a tensor offset");
    if (st) return st;
    const a2a_type_traits *tr = a2a_type_info((int)type);
    if (!tr)
        return a2a_fail(r->ctx, A2A_ERR_UNSUPPORTED, "gguf: tensor '%s' has unknown type id %u", name, type);
    if (ne[0] % tr->blck)
        return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                        "gguf: tensor '%s' of type %s has ne[0] = %lld, not a multiple of the block size %lld", name,
                        tr->name, (long long)ne[0], (long long)tr->blck);
    /* byte size with overflow checks (element count must also fit int64) */
    int64_t nel = 1;
    for (int d = 0; d < A2A_MAX_DIMS; d++)
        if (!a2a_mul_i64_ok(nel, ne[d], &nel))
            return a2a_fail(r->ctx, A2A_ERR_FORMAT,
                            "gguf: tensor '%s' shape [%lld, %lld, %lld, %lld, %lld] has too many elements (overflow)",
                            name, (long long)ne[0], (long long)ne[1], (long long)ne[2], (long long)ne[3],
                            (long long)ne[4]);
    size_t bytes;
    if (!a2a_mul_ok((size_t)(nel / tr->blck), tr->size, &bytes))
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' byte size overflows (%lld elements of %s)", name,
                        (long long)nel, tr->name);
    int nd = n_dims ? (int)n_dims : 1;
    if (!a2a_tensor_init(t, (a2a_type)type, nd, ne, NULL))
        return a2a_fail(r->ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' has an invalid shape", name);
    t->name = name;
    g->tensor_off[i] = toff;
    g->tensor_size[i] = bytes;
    return A2A_OK;
}

/* Read general.alignment if present: any integer type, nonzero power of two. */
static a2a_status read_alignment(a2a_ctx *ctx, a2a_gguf *g) {
    g->alignment = A2A_GGUF_DEFAULT_ALIGNMENT;
    int64_t i = a2a_gguf_find_key(g, "general.alignment");
    if (i < 0) return A2A_OK;
    int64_t s;
    uint64_t u;
    double f;
    uint32_t vt = g->kv[i].vtype;
    if (vt == A2A_GGUF_FLOAT32 || vt == A2A_GGUF_FLOAT64 || vt == A2A_GGUF_BOOL || !a2a_gguf_kv_scalar(g, i, &s, &u, &f))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: general.alignment has type %s, expected an integer",
                        a2a_gguf_vtype_name((int)vt));
    if (vt != A2A_GGUF_UINT64) u = s < 0 ? 0 : (uint64_t)s;
    if (vt != A2A_GGUF_UINT64 && s < 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: general.alignment is %lld, not a nonzero power of two",
                        (long long)s);
    if (u == 0 || (u & (u - 1)) || u > (1u << 30))
        return a2a_fail(ctx, A2A_ERR_FORMAT,
                        "gguf: general.alignment is %llu, not a nonzero power of two (at most 2^30)",
                        (unsigned long long)u);
    g->alignment = (size_t)u;
    return A2A_OK;
}

/* Data range of tensor i relative to the data section (a2a_range_fn). */
static void tensor_range(const void *user, int64_t i, uint64_t *begin, uint64_t *end) {
    const a2a_gguf *g = user;
    *begin = g->tensor_off[i];
    *end = g->tensor_off[i] + g->tensor_size[i];
}

/* Check every tensor's data range: aligned, inside the file, no overlaps; set t->data. */
static a2a_status place_tensors(a2a_ctx *ctx, a2a_gguf *g) {
    size_t fsize = g->map.size;
    size_t data_size = g->data_offset <= fsize ? fsize - g->data_offset : 0;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        a2a_tensor *t = &g->tensors[i];
        uint64_t off = g->tensor_off[i];
        size_t bytes = g->tensor_size[i];
        if (off % g->alignment)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: tensor '%s' data offset %llu is not a multiple of the alignment %zu",
                            t->name, (unsigned long long)off, g->alignment);
        if (g->data_offset > fsize || off > data_size || bytes > data_size - off)
            return a2a_fail(ctx, A2A_ERR_FORMAT,
                            "gguf: tensor '%s' data [offset %llu, +%zu) lies beyond the end of the file (%zu bytes, "
                            "data section starts at %zu)",
                            t->name, (unsigned long long)off, bytes, fsize, g->data_offset);
        t->data = (void *)(g->map.data + g->data_offset + off);
    }
    int64_t a, b;
    int r = a2a_find_overlap(g->n_tensors, tensor_range, g, &a, &b);
    if (r < 0) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf: out of memory checking tensor overlaps");
    if (r > 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: tensors '%s' [offset %llu, +%zu) and '%s' [offset %llu, +%zu) overlap",
                        g->tensors[a].name, (unsigned long long)g->tensor_off[a], g->tensor_size[a], g->tensors[b].name,
                        (unsigned long long)g->tensor_off[b], g->tensor_size[b]);
    return A2A_OK;
}

/* Parse and validate the mapped file in g->map. */
static a2a_status parse(a2a_ctx *ctx, a2a_gguf *g) {
    reader r = {ctx, g->map.data, g->map.size, 0};
    if (r.size < 4 || memcmp(r.p, "GGUF", 4) != 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: bad magic (not a GGUF file)");
    r.pos = 4;
    a2a_status st = rd_u32(&r, &g->version, "the version");
    if (st) return st;
    if (g->version == 1)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED,
                        "gguf: version 1 files are not supported (32-bit counts); re-convert with a current tool");
    if (g->version != 2 && g->version != 3) {
        if ((g->version & 0xffff) == 0 && g->version)
            return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gguf: big-endian GGUF files are not supported");
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "gguf: unsupported version %u (2 and 3 are supported)",
                        g->version);
    }
    uint64_t nt = 0, nkv = 0;
    st = rd_u64(&r, &nt, "the tensor count");
    if (!st) st = rd_u64(&r, &nkv, "the metadata count");
    if (st) return st;
    size_t left = rd_left(&r);
    if (nkv > left / KV_MIN_BYTES)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: header claims %llu metadata entries but only %zu bytes follow",
                        (unsigned long long)nkv, left);
    if (nt > (left - (size_t)nkv * KV_MIN_BYTES) / TENSOR_MIN_BYTES)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: header claims %llu tensors but only %zu bytes follow",
                        (unsigned long long)nt, left);
    g->n_kv = (int64_t)nkv;
    g->n_tensors = (int64_t)nt;
    /* names pool: every name is shorter than the header, plus a NUL each */
    size_t pool = left + (size_t)nkv + (size_t)nt + 1;
    g->names = malloc(pool);
    g->kv = calloc((size_t)nkv ? (size_t)nkv : 1, sizeof(*g->kv));
    g->tensors = calloc((size_t)nt ? (size_t)nt : 1, sizeof(*g->tensors));
    g->tensor_off = calloc((size_t)nt ? (size_t)nt : 1, sizeof(*g->tensor_off));
    g->tensor_size = calloc((size_t)nt ? (size_t)nt : 1, sizeof(*g->tensor_size));
    if (!g->names || !g->kv || !g->tensors || !g->tensor_off || !g->tensor_size)
        return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf: out of memory for %llu entries and %llu tensors",
                        (unsigned long long)nkv, (unsigned long long)nt);
    size_t pool_pos = 0;
    for (int64_t i = 0; i < g->n_kv; i++) {
        st = parse_kv(&r, g, &pool_pos, i);
        if (st) return st;
    }
    int64_t da, db;
    if (!a2a_name_index_build(&g->kv_index, g->n_kv, kv_name, g, &da, &db)) {
        if (da < 0) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf: out of memory indexing keys");
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: duplicate metadata key '%s' (entries %lld and %lld)",
                        g->kv[da].key, (long long)da, (long long)db);
    }
    st = read_alignment(ctx, g);
    if (st) return st;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        st = parse_tensor_info(&r, g, &pool_pos, i);
        if (st) return st;
    }
    if (!a2a_name_index_build(&g->tensor_index, g->n_tensors, tensor_name, g, &da, &db)) {
        if (da < 0) return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf: out of memory indexing tensors");
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: duplicate tensor name '%s' (tensors %lld and %lld)",
                        g->tensors[da].name, (long long)da, (long long)db);
    }
    /* data section: next multiple of the alignment after the header */
    size_t hdr = r.pos;
    if (!a2a_add_ok(hdr, g->alignment - 1, &g->data_offset))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: header size overflows");
    g->data_offset = a2a_align_up(hdr, g->alignment);
    return place_tensors(ctx, g);
}

/* Common tail of the two openers: takes ownership of map. */
static a2a_status open_map(a2a_ctx *ctx, a2a_mmap *map, a2a_gguf **out) {
    a2a_gguf *g = calloc(1, sizeof(*g));
    if (!g) {
        a2a_mmap_close(map);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "gguf: out of memory");
    }
    g->map = *map;
    a2a_status st = parse(ctx, g);
    if (st) {
        a2a_gguf_close(g);
        return st;
    }
    *out = g;
    return A2A_OK;
}

/* Map path and validate it (see gguf.h). */
a2a_status a2a_gguf_open(a2a_ctx *ctx, const char *path, a2a_gguf **out) {
    *out = NULL;
    a2a_mmap map;
    a2a_status st = a2a_mmap_open(ctx, path, &map);
    if (st) return st;
    return open_map(ctx, &map, out);
}

/* Validate a private copy of a memory buffer (see gguf.h). */
a2a_status a2a_gguf_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_gguf **out) {
    *out = NULL;
    a2a_mmap map;
    a2a_status st = a2a_mmap_from_memory(ctx, data, size, &map);
    if (st) return st;
    return open_map(ctx, &map, out);
}

/* Free everything owned by g. */
void a2a_gguf_close(a2a_gguf *g) {
    if (!g) return;
    if (g->kv)
        for (int64_t i = 0; i < g->n_kv; i++) free(g->kv[i].str_off);
    free(g->kv);
    free(g->tensors);
    free(g->tensor_off);
    free(g->tensor_size);
    free(g->names);
    a2a_name_index_free(&g->kv_index);
    a2a_name_index_free(&g->tensor_index);
    a2a_mmap_close(&g->map);
    free(g);
}

/* ---------------------------------------------------------------- simple accessors */

/* Trivial accessors; their contracts are in gguf.h. */
uint32_t a2a_gguf_version(const a2a_gguf *g) { return g->version; }
size_t a2a_gguf_alignment(const a2a_gguf *g) { return g->alignment; }
size_t a2a_gguf_data_offset(const a2a_gguf *g) { return g->data_offset; }
size_t a2a_gguf_file_size(const a2a_gguf *g) { return g->map.size; }
int64_t a2a_gguf_n_tensors(const a2a_gguf *g) { return g->n_tensors; }
int64_t a2a_gguf_n_kv(const a2a_gguf *g) { return g->n_kv; }

/* Tensor i or NULL. */
const a2a_tensor *a2a_gguf_tensor(const a2a_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_tensors ? &g->tensors[i] : NULL;
}

/* Tensor index by name or -1. */
int64_t a2a_gguf_find_tensor_index(const a2a_gguf *g, const char *name) {
    if (!name) return -1;
    return a2a_name_index_find(&g->tensor_index, name, strlen(name), tensor_name, g);
}

/* Tensor by name or NULL. */
const a2a_tensor *a2a_gguf_find_tensor(const a2a_gguf *g, const char *name) {
    return a2a_gguf_tensor(g, a2a_gguf_find_tensor_index(g, name));
}

uint64_t a2a_gguf_tensor_offset(const a2a_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_tensors ? g->tensor_off[i] : 0;
}

size_t a2a_gguf_tensor_size(const a2a_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_tensors ? g->tensor_size[i] : 0;
}

const char *a2a_gguf_key(const a2a_gguf *g, int64_t i) { return i >= 0 && i < g->n_kv ? g->kv[i].key : NULL; }

a2a_gguf_vtype a2a_gguf_kv_type(const a2a_gguf *g, int64_t i) {
    return i >= 0 && i < g->n_kv ? (a2a_gguf_vtype)g->kv[i].vtype : (a2a_gguf_vtype)-1;
}

/* Key index or -1. */
int64_t a2a_gguf_find_key(const a2a_gguf *g, const char *key) {
    if (!key) return -1;
    return a2a_name_index_find(&g->kv_index, key, strlen(key), kv_name, g);
}

/* Decode one little-endian scalar of vtype vt at p into the widest C types. */
static bool decode_scalar(uint32_t vt, const uint8_t *p, int64_t *i64, uint64_t *u64, double *f64) {
    *i64 = 0;
    *u64 = 0;
    *f64 = 0;
    switch (vt) {
    case A2A_GGUF_UINT8: *i64 = p[0]; break;
    case A2A_GGUF_INT8: *i64 = (int8_t)p[0]; break;
    case A2A_GGUF_BOOL: *i64 = p[0] != 0; break;
    case A2A_GGUF_UINT16: { uint16_t v; memcpy(&v, p, 2); *i64 = v; break; }
    case A2A_GGUF_INT16: { int16_t v; memcpy(&v, p, 2); *i64 = v; break; }
    case A2A_GGUF_UINT32: { uint32_t v; memcpy(&v, p, 4); *i64 = v; break; }
    case A2A_GGUF_INT32: { int32_t v; memcpy(&v, p, 4); *i64 = v; break; }
    case A2A_GGUF_INT64: { int64_t v; memcpy(&v, p, 8); *i64 = v; break; }
    case A2A_GGUF_UINT64: { uint64_t v; memcpy(&v, p, 8); *u64 = v; *f64 = (double)v; return true; }
    case A2A_GGUF_FLOAT32: { float v; memcpy(&v, p, 4); *f64 = v; return true; }
    case A2A_GGUF_FLOAT64: { double v; memcpy(&v, p, 8); *f64 = v; return true; }
    default: return false;
    }
    *f64 = (double)*i64;
    if (*i64 >= 0) *u64 = (uint64_t)*i64;
    return true;
}

/* Scalar value of entry i (see gguf.h). */
bool a2a_gguf_kv_scalar(const a2a_gguf *g, int64_t i, int64_t *i64, uint64_t *u64, double *f64) {
    if (i < 0 || i >= g->n_kv) return false;
    return decode_scalar(g->kv[i].vtype, g->map.data + g->kv[i].val, i64, u64, f64);
}

/* String value of entry i or NULL. */
const char *a2a_gguf_kv_str(const a2a_gguf *g, int64_t i, size_t *len) {
    if (i < 0 || i >= g->n_kv || g->kv[i].vtype != A2A_GGUF_STRING) return NULL;
    *len = (size_t)load_u64(g->map.data + g->kv[i].val);
    return (const char *)g->map.data + g->kv[i].val + 8;
}

/* Array header of entry i. */
bool a2a_gguf_kv_arr(const a2a_gguf *g, int64_t i, a2a_gguf_vtype *elem_vtype, uint64_t *count, const void **data) {
    if (i < 0 || i >= g->n_kv || g->kv[i].vtype != A2A_GGUF_ARRAY) return false;
    if (elem_vtype) *elem_vtype = (a2a_gguf_vtype)g->kv[i].arr_type;
    if (count) *count = g->kv[i].arr_count;
    if (data) *data = g->map.data + g->kv[i].arr_data;
    return true;
}

/* String array element of entry i. */
const char *a2a_gguf_kv_arr_str(const a2a_gguf *g, int64_t i, uint64_t idx, size_t *len) {
    if (i < 0 || i >= g->n_kv || g->kv[i].vtype != A2A_GGUF_ARRAY || g->kv[i].arr_type != A2A_GGUF_STRING ||
        idx >= g->kv[i].arr_count)
        return NULL;
    size_t off = (size_t)g->kv[i].str_off[idx];
    *len = (size_t)load_u64(g->map.data + off);
    return (const char *)g->map.data + off + 8;
}

/* ---------------------------------------------------------------- typed getters */

/* Look up key; NOT_FOUND with a message if absent. */
static a2a_status lookup(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int64_t *idx) {
    *idx = a2a_gguf_find_key(g, key);
    if (*idx < 0) return a2a_fail(ctx, A2A_ERR_NOT_FOUND, "gguf: key '%s' not found", key ? key : "(null)");
    return A2A_OK;
}

/* True for the integer value types (bool excluded). */
static bool is_int_vtype(uint32_t vt) {
    return vt <= A2A_GGUF_INT32 || vt == A2A_GGUF_UINT64 || vt == A2A_GGUF_INT64;
}

/* Integer value of key: fills *s (signed types) or *u (UINT64, *is_u64 set). */
static a2a_status get_int(a2a_ctx *ctx, const a2a_gguf *g, const char *key, const char *want, int64_t *s, uint64_t *u,
                          bool *is_u64) {
    int64_t i;
    a2a_status st = lookup(ctx, g, key, &i);
    if (st) return st;
    uint32_t vt = g->kv[i].vtype;
    if (!is_int_vtype(vt))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' has type %s, expected an integer (%s)", key,
                        a2a_gguf_vtype_name((int)vt), want);
    double f;
    a2a_gguf_kv_scalar(g, i, s, u, &f);
    *is_u64 = vt == A2A_GGUF_UINT64;
    return A2A_OK;
}

#define RANGE_FAIL(fmt, val)                                                                                   \
    a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' value " fmt " does not fit %s", key, val, want)

/* Typed getters (contracts in gguf.h): look the key up, check the type, range-check integers. */
a2a_status a2a_gguf_get_u32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, uint32_t *out) {
    const char *want = "u32";
    int64_t s = 0; uint64_t u = 0; bool isu = false;
    a2a_status st = get_int(ctx, g, key, want, &s, &u, &isu);
    if (st) return st;
    if (isu) { if (u > UINT32_MAX) return RANGE_FAIL("%llu", (unsigned long long)u); *out = (uint32_t)u; }
    else { if (s < 0 || s > UINT32_MAX) return RANGE_FAIL("%lld", (long long)s); *out = (uint32_t)s; }
    return A2A_OK;
}

a2a_status a2a_gguf_get_i32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int32_t *out) {
    const char *want = "i32";
    int64_t s = 0; uint64_t u = 0; bool isu = false;
    a2a_status st = get_int(ctx, g, key, want, &s, &u, &isu);
    if (st) return st;
    if (isu) { if (u > INT32_MAX) return RANGE_FAIL("%llu", (unsigned long long)u); *out = (int32_t)u; }
    else { if (s < INT32_MIN || s > INT32_MAX) return RANGE_FAIL("%lld", (long long)s); *out = (int32_t)s; }
    return A2A_OK;
}

a2a_status a2a_gguf_get_u64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, uint64_t *out) {
    const char *want = "u64";
    int64_t s = 0; uint64_t u = 0; bool isu = false;
    a2a_status st = get_int(ctx, g, key, want, &s, &u, &isu);
    if (st) return st;
    if (isu) *out = u;
    else { if (s < 0) return RANGE_FAIL("%lld", (long long)s); *out = (uint64_t)s; }
    return A2A_OK;
}

a2a_status a2a_gguf_get_i64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, int64_t *out) {
    const char *want = "i64";
    int64_t s = 0; uint64_t u = 0; bool isu = false;
    a2a_status st = get_int(ctx, g, key, want, &s, &u, &isu);
    if (st) return st;
    if (isu) { if (u > INT64_MAX) return RANGE_FAIL("%llu", (unsigned long long)u); *out = (int64_t)u; }
    else *out = s;
    return A2A_OK;
}

a2a_status a2a_gguf_get_f64(a2a_ctx *ctx, const a2a_gguf *g, const char *key, double *out) {
    int64_t i;
    a2a_status st = lookup(ctx, g, key, &i);
    if (st) return st;
    uint32_t vt = g->kv[i].vtype;
    if (vt != A2A_GGUF_FLOAT32 && vt != A2A_GGUF_FLOAT64)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' has type %s, expected f32 or f64", key,
                        a2a_gguf_vtype_name((int)vt));
    int64_t s; uint64_t u;
    a2a_gguf_kv_scalar(g, i, &s, &u, out);
    return A2A_OK;
}

a2a_status a2a_gguf_get_f32(a2a_ctx *ctx, const a2a_gguf *g, const char *key, float *out) {
    double d;
    a2a_status st = a2a_gguf_get_f64(ctx, g, key, &d);
    if (!st) *out = (float)d;
    return st;
}

a2a_status a2a_gguf_get_bool(a2a_ctx *ctx, const a2a_gguf *g, const char *key, bool *out) {
    int64_t i;
    a2a_status st = lookup(ctx, g, key, &i);
    if (st) return st;
    if (g->kv[i].vtype != A2A_GGUF_BOOL)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' has type %s, expected bool", key,
                        a2a_gguf_vtype_name((int)g->kv[i].vtype));
    *out = g->map.data[g->kv[i].val] != 0;
    return A2A_OK;
}

a2a_status a2a_gguf_get_str(a2a_ctx *ctx, const a2a_gguf *g, const char *key, const char **out, size_t *len) {
    int64_t i;
    a2a_status st = lookup(ctx, g, key, &i);
    if (st) return st;
    if (g->kv[i].vtype != A2A_GGUF_STRING)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' has type %s, expected str", key,
                        a2a_gguf_vtype_name((int)g->kv[i].vtype));
    size_t n = 0;
    *out = a2a_gguf_kv_str(g, i, &n);
    if (len) *len = n;
    return A2A_OK;
}

a2a_status a2a_gguf_get_arr_info(a2a_ctx *ctx, const a2a_gguf *g, const char *key, a2a_gguf_vtype *elem_vtype,
                                 uint64_t *count) {
    int64_t i;
    a2a_status st = lookup(ctx, g, key, &i);
    if (st) return st;
    if (!a2a_gguf_kv_arr(g, i, elem_vtype, count, NULL))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' has type %s, expected arr", key,
                        a2a_gguf_vtype_name((int)g->kv[i].vtype));
    return A2A_OK;
}

a2a_status a2a_gguf_get_arr(a2a_ctx *ctx, const a2a_gguf *g, const char *key, a2a_gguf_vtype *elem_vtype,
                            uint64_t *count, const void **data) {
    a2a_gguf_vtype et = A2A_GGUF_UINT8;
    uint64_t n = 0;
    a2a_status st = a2a_gguf_get_arr_info(ctx, g, key, &et, &n);
    if (st) return st;
    if (!VTYPE_SIZES[et])
        return a2a_fail(ctx, A2A_ERR_FORMAT, "gguf: key '%s' is an array of %s, expected a numeric array", key,
                        a2a_gguf_vtype_name((int)et));
    a2a_gguf_kv_arr(g, a2a_gguf_find_key(g, key), elem_vtype, count, data);
    return A2A_OK;
}

const char *a2a_gguf_get_arr_str(const a2a_gguf *g, const char *key, uint64_t idx, size_t *len) {
    return a2a_gguf_kv_arr_str(g, a2a_gguf_find_key(g, key), idx, len);
}

size_t a2a_gguf_release_pages(const a2a_gguf *g, const char *prefix) {
    if (!g || !g->map.mapped || !g->map.data) return 0;
    const size_t pl = strlen(prefix);
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int64_t i = 0; i < g->n_tensors; i++) {
        const a2a_tensor *t = &g->tensors[i];
        if (!t->name || strncmp(t->name, prefix, pl) != 0 || g->tensor_size[i] == 0) continue;
        uintptr_t a = (uintptr_t)t->data, b = a + g->tensor_size[i];
        if (a < lo) lo = a;
        if (b > hi) hi = b;
    }
    if (hi <= lo) return 0;
    const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    /* only whole pages inside [lo, hi): a page shared with another component's tensor stays */
    uintptr_t a = (lo + page - 1) & ~(page - 1), b = hi & ~(page - 1);
    if (b <= a) return 0;
    return madvise((void *)a, b - a, MADV_DONTNEED) == 0 ? (size_t)(b - a) : 0;
}
