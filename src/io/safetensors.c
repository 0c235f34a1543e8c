/* safetensors reader: validates the JSON header and exposes tensors as zero-copy views. */
#include "io/safetensors.h"
#include "io/ranges.h"

#include "io/json.h"
#include "io/mmap.h"

#include <stdlib.h>
#include <string.h>

struct a2a_safetensors {
    a2a_mmap map;
    a2a_json *doc;                  /* the header; names and dtypes point into it */
    uint64_t header_size;
    size_t data_offset;
    int64_t n_entries;
    a2a_safetensors_entry *entries;
    int64_t n_tensors;
    a2a_tensor *tensors;
    int64_t *tensor_entry;          /* entry index of each tensor */
    const a2a_json_value *meta;     /* __metadata__ object or NULL */
    a2a_name_index index;           /* over entries */
};

typedef struct dtype_info { const char *name; int bits; int type; } dtype_info;

static const dtype_info DTYPES[] = {
    {"F32", 32, A2A_TYPE_F32},   {"F16", 16, A2A_TYPE_F16}, {"BF16", 16, A2A_TYPE_BF16},
    {"F64", 64, A2A_TYPE_F64},   {"I8", 8, A2A_TYPE_I8},    {"I16", 16, A2A_TYPE_I16},
    {"I32", 32, A2A_TYPE_I32},   {"I64", 64, A2A_TYPE_I64}, {"BOOL", 8, -1},
    {"U8", 8, -1},               {"U16", 16, -1},           {"U32", 32, -1},
    {"U64", 64, -1},             {"F8_E4M3", 8, -1},        {"F8_E5M2", 8, -1},
    {"F8_E8M0", 8, -1},          {"F6_E2M3", 6, -1},        {"F6_E3M2", 6, -1},
    {"F4", 4, -1},
};

/* Bits per element of dtype (0 if unknown); *type gets the a2a type or -1. */
int a2a_safetensors_dtype_bits(const char *dtype, int *type) {
    if (type) *type = -1;
    if (!dtype) return 0;
    for (size_t i = 0; i < sizeof(DTYPES) / sizeof(DTYPES[0]); i++)
        if (strcmp(DTYPES[i].name, dtype) == 0) {
            if (type) *type = DTYPES[i].type;
            return DTYPES[i].bits;
        }
    return 0;
}

static const char *entry_name(const void *user, int64_t i, size_t *len) {
    const a2a_safetensors *st = user;
    *len = strlen(st->entries[i].name);
    return st->entries[i].name;
}

/* Read a JSON array of non-negative integers (at most max) into out; false with a message. */
static a2a_status int_array(a2a_ctx *ctx, const a2a_json_value *arr, const char *tname, const char *field,
                            int64_t *out, int max, int *n) {
    if (!a2a_json_is_array(arr))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' has no '%s' array", tname, field);
    size_t len = a2a_json_len(arr);
    if (len > (size_t)max)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' %s has %zu entries (at most %d)", tname,
                        field, len, max);
    for (size_t i = 0; i < len; i++) {
        int64_t v;
        if (!a2a_json_int(a2a_json_at(arr, i), &v))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' %s[%zu] is not an integer", tname, field,
                            i);
        if (v < 0)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' %s[%zu] is negative (%lld)", tname,
                            field, i, (long long)v);
        out[i] = v;
    }
    *n = (int)len;
    return A2A_OK;
}

/* Validate one tensor entry (name, JSON description) and fill e. */
static a2a_status parse_entry(a2a_ctx *ctx, a2a_safetensors *st, const char *name, size_t name_len,
                              const a2a_json_value *d, a2a_safetensors_entry *e) {
    if (name_len == 0) return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: empty tensor name");
    int64_t cc = a2a_find_control_char(name, name_len);
    if (cc >= 0)
        return a2a_fail(ctx, A2A_ERR_FORMAT,
                        "safetensors: a tensor name contains a control character (0x%02x at position %lld)",
                        (unsigned)(unsigned char)name[cc], (long long)cc);
    if (!a2a_json_is_object(d))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' is described by a %s, not an object", name,
                        a2a_json_kind_name(a2a_json_kind_of(d)));
    e->name = name;
    e->dtype = a2a_json_str(a2a_json_get(d, "dtype"));
    if (!e->dtype) return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' has no 'dtype' string", name);
    int type;
    int bits = a2a_safetensors_dtype_bits(e->dtype, &type);
    if (!bits)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' has unknown dtype '%s'", name, e->dtype);
    a2a_status s = int_array(ctx, a2a_json_get(d, "shape"), name, "shape", e->shape, A2A_SAFETENSORS_MAX_DIMS,
                             &e->n_dims);
    if (s) return s;
    int64_t offs[2];
    int n_offs = 0;
    s = int_array(ctx, a2a_json_get(d, "data_offsets"), name, "data_offsets", offs, 2, &n_offs);
    if (s) return s;
    if (n_offs != 2)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' data_offsets must have 2 entries", name);
    e->begin = (uint64_t)offs[0];
    e->end = (uint64_t)offs[1];
    /* expected byte count, overflow-checked */
    size_t nel = 1;
    for (int i = 0; i < e->n_dims; i++)
        if (!a2a_mul_ok(nel, (size_t)e->shape[i], &nel) || nel > (size_t)INT64_MAX)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' shape has too many elements (overflow)",
                            name);
    size_t nbits;
    if (!a2a_mul_ok(nel, (size_t)bits, &nbits))
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' byte size overflows", name);
    if (nbits % 8)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' of %s does not fill whole bytes (%zu bits)",
                        name, e->dtype, nbits);
    size_t nbytes = nbits / 8;
    if (e->end < e->begin)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' data_offsets [%llu, %llu) end before begin",
                        name, (unsigned long long)e->begin, (unsigned long long)e->end);
    if (e->end - e->begin != nbytes)
        return a2a_fail(ctx, A2A_ERR_FORMAT,
                        "safetensors: tensor '%s' data_offsets [%llu, %llu) hold %llu bytes but shape and dtype %s "
                        "need %zu",
                        name, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)(e->end - e->begin), e->dtype, nbytes);
    size_t data_size = st->map.size - st->data_offset;
    if (e->end > data_size)
        return a2a_fail(ctx, A2A_ERR_FORMAT,
                        "safetensors: tensor '%s' data_offsets [%llu, %llu) lie beyond the end of the data region "
                        "(%zu bytes)",
                        name, (unsigned long long)e->begin, (unsigned long long)e->end, data_size);
    e->data = st->map.data + st->data_offset + e->begin;
    (void)type;
    return A2A_OK;
}

/* Data range of entry i (a2a_range_fn). */
static void entry_range(const void *user, int64_t i, uint64_t *begin, uint64_t *end) {
    const a2a_safetensors *st = user;
    *begin = st->entries[i].begin;
    *end = st->entries[i].end;
}

/* Reject overlapping data ranges (empty tensors never overlap). */
static a2a_status check_overlaps(a2a_ctx *ctx, a2a_safetensors *st) {
    int64_t ia, ib;
    int r = a2a_find_overlap(st->n_entries, entry_range, st, &ia, &ib);
    if (r < 0) return a2a_fail(ctx, A2A_ERR_NOMEM, "safetensors: out of memory");
    if (r == 0) return A2A_OK;
    const a2a_safetensors_entry *a = &st->entries[ia], *b = &st->entries[ib];
    return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap", a->name,
                    (unsigned long long)a->begin, (unsigned long long)a->end, b->name, (unsigned long long)b->begin,
                    (unsigned long long)b->end);
}

/* Build the a2a tensor views for entries with an a2a type and <= 5 dims. */
static a2a_status build_tensors(a2a_ctx *ctx, a2a_safetensors *st) {
    size_t n = (size_t)st->n_entries ? (size_t)st->n_entries : 1;
    st->tensors = calloc(n, sizeof(*st->tensors));
    st->tensor_entry = calloc(n, sizeof(*st->tensor_entry));
    if (!st->tensors || !st->tensor_entry) return a2a_fail(ctx, A2A_ERR_NOMEM, "safetensors: out of memory");
    for (int64_t i = 0; i < st->n_entries; i++) {
        a2a_safetensors_entry *e = &st->entries[i];
        int type;
        a2a_safetensors_dtype_bits(e->dtype, &type);
        if (type < 0 || e->n_dims > A2A_MAX_DIMS) continue;
        int64_t ne[A2A_MAX_DIMS] = {1, 1, 1, 1, 1};
        for (int d = 0; d < e->n_dims; d++) ne[d] = e->shape[e->n_dims - 1 - d];
        a2a_tensor *t = &st->tensors[st->n_tensors];
        if (!a2a_tensor_init(t, (a2a_type)type, e->n_dims ? e->n_dims : 1, ne, (void *)e->data))
            return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: tensor '%s' has an invalid shape", e->name);
        t->name = e->name;
        e->tensor = t;
        st->tensor_entry[st->n_tensors++] = i;
    }
    return A2A_OK;
}

/* Parse and validate st->map. */
static a2a_status parse(a2a_ctx *ctx, a2a_safetensors *st) {
    const uint8_t *p = st->map.data;
    size_t size = st->map.size;
    if (size < 8) return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: file too small (%zu bytes)", size);
    uint64_t n;
    memcpy(&n, p, 8);
    st->header_size = n;
    if (n > size - 8)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: header length %llu exceeds the file (%zu bytes)",
                        (unsigned long long)n, size);
    if (n > A2A_SAFETENSORS_MAX_HEADER)
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: header length %llu exceeds the %u byte limit",
                        (unsigned long long)n, A2A_SAFETENSORS_MAX_HEADER);
    if (n < 2 || p[8] != '{')
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: header does not start with '{'");
    st->data_offset = 8 + (size_t)n;
    a2a_status s = a2a_json_parse_ex(ctx, (const char *)p + 8, (size_t)n, A2A_JSON_REJECT_DUPLICATES, &st->doc);
    if (s) {
        a2a_error_prefix(ctx, "safetensors header");
        return s;
    }
    const a2a_json_value *root = a2a_json_root(st->doc);
    if (!a2a_json_is_object(root)) return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: header is not a JSON object");
    size_t members = a2a_json_len(root);
    st->entries = calloc(members ? members : 1, sizeof(*st->entries));
    if (!st->entries) return a2a_fail(ctx, A2A_ERR_NOMEM, "safetensors: out of memory");
    for (size_t i = 0; i < members; i++) {
        const char *key = a2a_json_key_at(root, i);
        size_t klen = a2a_json_key_len(root, i);
        const a2a_json_value *v = a2a_json_at(root, i);
        if (klen == 12 && memcmp(key, "__metadata__", 12) == 0) {
            if (!a2a_json_is_object(v))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: __metadata__ is a %s, not an object",
                                a2a_json_kind_name(a2a_json_kind_of(v)));
            for (size_t k = 0; k < a2a_json_len(v); k++) {
                int64_t cc = a2a_find_control_char(a2a_json_key_at(v, k), a2a_json_key_len(v, k));
                if (cc >= 0)
                    return a2a_fail(ctx, A2A_ERR_FORMAT,
                                    "safetensors: __metadata__ key %zu contains a control character (0x%02x)", k,
                                    (unsigned)(unsigned char)a2a_json_key_at(v, k)[cc]);
                if (!a2a_json_is_string(a2a_json_at(v, k)))
                    return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: __metadata__ value of '%s' is not a string",
                                    a2a_json_key_at(v, k));
            }
            st->meta = v;
            continue;
        }
        s = parse_entry(ctx, st, key, klen, v, &st->entries[st->n_entries]);
        if (s) return s;
        st->n_entries++;
    }
    int64_t da, db;
    if (!a2a_name_index_build(&st->index, st->n_entries, entry_name, st, &da, &db)) {
        if (da < 0) return a2a_fail(ctx, A2A_ERR_NOMEM, "safetensors: out of memory");
        return a2a_fail(ctx, A2A_ERR_FORMAT, "safetensors: duplicate tensor name '%s'", st->entries[da].name);
    }
    s = check_overlaps(ctx, st);
    if (s) return s;
    return build_tensors(ctx, st);
}

/* Common tail of the openers; takes ownership of map. */
static a2a_status open_map(a2a_ctx *ctx, a2a_mmap *map, a2a_safetensors **out) {
    a2a_safetensors *st = calloc(1, sizeof(*st));
    if (!st) {
        a2a_mmap_close(map);
        return a2a_fail(ctx, A2A_ERR_NOMEM, "safetensors: out of memory");
    }
    st->map = *map;
    a2a_status s = parse(ctx, st);
    if (s) {
        a2a_safetensors_close(st);
        return s;
    }
    *out = st;
    return A2A_OK;
}

a2a_status a2a_safetensors_open(a2a_ctx *ctx, const char *path, a2a_safetensors **out) {
    *out = NULL;
    a2a_mmap map;
    a2a_status s = a2a_mmap_open(ctx, path, &map);
    if (s) return s;
    return open_map(ctx, &map, out);
}

a2a_status a2a_safetensors_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_safetensors **out) {
    *out = NULL;
    a2a_mmap map;
    a2a_status s = a2a_mmap_from_memory(ctx, data, size, &map);
    if (s) return s;
    return open_map(ctx, &map, out);
}

void a2a_safetensors_close(a2a_safetensors *st) {
    if (!st) return;
    a2a_name_index_free(&st->index);
    free(st->entries);
    free(st->tensors);
    free(st->tensor_entry);
    a2a_json_free(st->doc);
    a2a_mmap_close(&st->map);
    free(st);
}

/* Accessors; their contracts are in safetensors.h. */
uint64_t a2a_safetensors_header_size(const a2a_safetensors *st) { return st->header_size; }
size_t a2a_safetensors_data_offset(const a2a_safetensors *st) { return st->data_offset; }
size_t a2a_safetensors_file_size(const a2a_safetensors *st) { return st->map.size; }

int64_t a2a_safetensors_n_tensors(const a2a_safetensors *st) { return st->n_tensors; }

const a2a_tensor *a2a_safetensors_tensor(const a2a_safetensors *st, int64_t i) {
    return i >= 0 && i < st->n_tensors ? &st->tensors[i] : NULL;
}

int64_t a2a_safetensors_tensor_entry(const a2a_safetensors *st, int64_t i) {
    return i >= 0 && i < st->n_tensors ? st->tensor_entry[i] : -1;
}

int64_t a2a_safetensors_n_entries(const a2a_safetensors *st) { return st->n_entries; }

const a2a_safetensors_entry *a2a_safetensors_entry_at(const a2a_safetensors *st, int64_t i) {
    return i >= 0 && i < st->n_entries ? &st->entries[i] : NULL;
}

const a2a_safetensors_entry *a2a_safetensors_find_entry(const a2a_safetensors *st, const char *name) {
    if (!name) return NULL;
    return a2a_safetensors_entry_at(st, a2a_name_index_find(&st->index, name, strlen(name), entry_name, st));
}

const a2a_tensor *a2a_safetensors_find_tensor(const a2a_safetensors *st, const char *name) {
    const a2a_safetensors_entry *e = a2a_safetensors_find_entry(st, name);
    return e ? e->tensor : NULL;
}

int64_t a2a_safetensors_n_metadata(const a2a_safetensors *st) { return (int64_t)a2a_json_len(st->meta); }

const char *a2a_safetensors_metadata_key(const a2a_safetensors *st, int64_t i) {
    return i >= 0 ? a2a_json_key_at(st->meta, (size_t)i) : NULL;
}

const char *a2a_safetensors_metadata_value(const a2a_safetensors *st, int64_t i, size_t *len) {
    const a2a_json_value *v = i >= 0 ? a2a_json_at(st->meta, (size_t)i) : NULL;
    if (len) *len = a2a_json_str_len(v);
    return a2a_json_str(v);
}

const char *a2a_safetensors_metadata(const a2a_safetensors *st, const char *key) {
    return a2a_json_str(a2a_json_get(st->meta, key));
}
