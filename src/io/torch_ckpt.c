/* PyTorch zip checkpoints: locate data.pkl, unpickle it (restricted), flatten the state_dict
   into named zero-copy tensor views over the stored storage entries. */
#include "io/torch_ckpt.h"

#include "io/mmap.h"
#include "io/pickle.h"
#include "io/zip.h"

#include <stdlib.h>
#include <string.h>

#define TORCH_MAX_DEPTH 64      /* nesting of dicts/lists walked */
#define TORCH_MAX_NAME 4096     /* bytes in a dotted tensor name */
#define TORCH_MAX_META 4096     /* non-tensor values kept for print_info */
#define TORCH_MAX_PRINT_ENTRIES 64

/* One listed tensor. */
typedef struct torch_entry {
    a2a_tensor t; /* the view; t.name == name */
    int dtype;    /* a2a_pk_dtype */
    int ndim;     /* PyTorch dims (0 for a scalar, which the view shows as [1]) */
    char *name;   /* owned full dotted name */
} torch_entry;

struct a2a_torch_file {
    a2a_mmap map;          /* the file (or a copy of the memory buffer) */
    a2a_zip zip;           /* its entries */
    a2a_pickle *pk;        /* data.pkl, unpickled */
    char *prefix;          /* top-level folder of the archive ("archive", the file stem, ...) */
    char version[32];      /* content of <prefix>/version, or "" */
    char selected[256];    /* dotted path of the dict the tensors come from ("" = top level) */
    torch_entry *ents;     /* n_tensors listed tensors, in pickle order */
    size_t n_tensors, cap_tensors;
    const a2a_tensor **sorted; /* tensors sorted by name (lookups) */
    char **meta;           /* "name = value" lines of non-tensor leaves */
    size_t n_meta, cap_meta, meta_dropped;
    size_t skipped_tensors; /* tensors outside the selected dict */
    size_t skipped_keys;    /* dict keys of unsupported types */
};

/* ---- walking the object graph ---- */

typedef struct torch_walk {
    a2a_ctx *ctx;
    a2a_torch_file *f;
    char name[TORCH_MAX_NAME + 1]; /* current dotted path */
    size_t len;
    size_t budget;                  /* visits left (guards against shared-reference blowup) */
} torch_walk;

/* Append ".seg" (or "seg" at the root) to the path; *old receives the previous length. */
static a2a_status walk_push(torch_walk *w, const char *seg, size_t seglen, size_t *old) {
    *old = w->len;
    size_t need = w->len + (w->len ? 1 : 0) + seglen;
    if (need > TORCH_MAX_NAME) return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: key path longer than %d bytes", TORCH_MAX_NAME);
    if (w->len) w->name[w->len++] = '.';
    memcpy(w->name + w->len, seg, seglen);
    w->len += seglen;
    w->name[w->len] = '\0';
    return A2A_OK;
}

/* Restore the path to length old. */
static void walk_pop(torch_walk *w, size_t old) {
    w->len = old;
    w->name[old] = '\0';
}

/* Grow an array of pointers/elements; false on overflow or out-of-memory. */
static bool torch_grow(void **arr, size_t *cap, size_t need, size_t elsz) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap * 2 : 64, bytes;
    if (nc < need) nc = need;
    if (!a2a_mul_ok(nc, elsz, &bytes)) return false;
    void *p = realloc(*arr, bytes);
    if (!p) return false;
    *arr = p;
    *cap = nc;
    return true;
}

/* Record "path = repr(o)" for print_info (bounded; extra values are only counted). */
static a2a_status walk_meta(torch_walk *w, const a2a_pk_obj *o) {
    a2a_torch_file *f = w->f;
    if (f->n_meta >= TORCH_MAX_META) {
        f->meta_dropped++;
        return A2A_OK;
    }
    char val[160];
    a2a_pk_repr(o, val, sizeof(val));
    size_t n = w->len + 3 + strlen(val) + 1;
    char *line = malloc(n);
    if (!line || !torch_grow((void **)&f->meta, &f->cap_meta, f->n_meta + 1, sizeof(*f->meta))) {
        free(line);
        return a2a_fail(w->ctx, A2A_ERR_NOMEM, "torch: out of memory");
    }
    snprintf(line, n, "%s = %s", w->len ? w->name : "(top level)", val);
    f->meta[f->n_meta++] = line;
    return A2A_OK;
}

/* a2a_type for a storage dtype (uint8 and bool share I8). */
static a2a_type torch_a2a_type(int dtype) {
    switch (dtype) {
    case A2A_PKD_F32: return A2A_TYPE_F32;
    case A2A_PKD_F64: return A2A_TYPE_F64;
    case A2A_PKD_F16: return A2A_TYPE_F16;
    case A2A_PKD_BF16: return A2A_TYPE_BF16;
    case A2A_PKD_I64: return A2A_TYPE_I64;
    case A2A_PKD_I32: return A2A_TYPE_I32;
    case A2A_PKD_I16: return A2A_TYPE_I16;
    default: return A2A_TYPE_I8; /* int8, uint8, bool */
    }
}

/* Make the tensor view for the pickle tensor t named w->name and append it to the list. */
static a2a_status walk_tensor(torch_walk *w, const a2a_pk_obj *t) {
    a2a_torch_file *f = w->f;
    const char *name = w->len ? w->name : "tensor";
    const a2a_pk_obj *so = t->u.tensor.storage;
    int dtype = so->u.storage.dtype;
    size_t esz = a2a_pk_dtype_size(dtype);
    int nd = t->u.tensor.ndim;
    if (nd > A2A_MAX_DIMS)
        return a2a_fail(w->ctx, A2A_ERR_UNSUPPORTED, "torch: tensor '%s' has %d dims (at most %d are supported)", name, nd, A2A_MAX_DIMS);

    /* the storage entry */
    char ename[600];
    snprintf(ename, sizeof(ename), "%s%sdata/%s", f->prefix, f->prefix[0] ? "/" : "", so->u.storage.key);
    const a2a_zip_entry *e = a2a_zip_find(&f->zip, ename);
    if (!e) return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: tensor '%s': storage entry '%s' is missing", name, ename);
    const uint8_t *base;
    size_t bytes, want;
    a2a_status st = a2a_zip_entry_data(w->ctx, &f->zip, e, &base, &bytes);
    if (st != A2A_OK) return st;
    if (!a2a_mul_ok((size_t)so->u.storage.numel, esz, &want) || want != bytes)
        return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: storage '%s' has %zu bytes but %lld %s elements need %llu", ename, bytes,
                        (long long)so->u.storage.numel, a2a_pk_dtype_name(dtype), (unsigned long long)so->u.storage.numel * esz);

    /* extent: offset + sum((size_i - 1) * stride_i) must lie inside the storage */
    int64_t numel = so->u.storage.numel, off = t->u.tensor.offset, last = off;
    bool empty = false;
    for (int i = 0; i < nd; i++) {
        int64_t sz = t->u.tensor.size[i], step;
        if (sz == 0) empty = true;
        else if (!a2a_mul_i64_ok(sz - 1, t->u.tensor.stride[i], &step) || __builtin_add_overflow(last, step, &last))
            return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: tensor '%s': size/stride overflow", name);
    }
    if (empty ? off > numel : last >= numel)
        return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: tensor '%s' (offset %lld, last element %lld) exceeds its storage '%s' of %lld elements",
                        name, (long long)off, (long long)last, ename, (long long)numel);

    a2a_tensor tv;
    memset(&tv, 0, sizeof(tv));
    tv.type = torch_a2a_type(dtype);
    tv.n_dims = nd ? nd : 1;
    for (int i = 0; i < A2A_MAX_DIMS; i++) {
        if (i < nd) {
            tv.ne[i] = t->u.tensor.size[nd - 1 - i];
            if (!a2a_mul_ok((size_t)t->u.tensor.stride[nd - 1 - i], esz, &tv.nb[i]))
                return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: tensor '%s': stride overflow", name);
        } else {
            tv.ne[i] = 1;
            if (i == 0 || !a2a_mul_ok(tv.nb[i - 1], (size_t)tv.ne[i - 1], &tv.nb[i])) tv.nb[i] = i ? tv.nb[i - 1] : esz;
        }
    }
    tv.data = (void *)(uintptr_t)(base + (size_t)off * esz); /* read-only mapping */

    char *nm = strdup(name);
    if (!nm || !torch_grow((void **)&f->ents, &f->cap_tensors, f->n_tensors + 1, sizeof(*f->ents))) {
        free(nm);
        return a2a_fail(w->ctx, A2A_ERR_NOMEM, "torch: out of memory");
    }
    tv.name = nm;
    f->ents[f->n_tensors].t = tv;
    f->ents[f->n_tensors].dtype = dtype;
    f->ents[f->n_tensors].ndim = nd;
    f->ents[f->n_tensors].name = nm;
    f->n_tensors++;
    return A2A_OK;
}

/* Walk o at path w->name: tensors are listed when collect (else counted), scalar leaves go to
   meta; skip is a dict not to enter (the selected state_dict, walked separately). */
static a2a_status walk_obj(torch_walk *w, const a2a_pk_obj *o, int depth, bool collect, const a2a_pk_obj *skip) {
    if (o == skip) return A2A_OK;
    if (w->budget == 0) return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: object graph too large (too many shared references)");
    w->budget--;
    if (depth > TORCH_MAX_DEPTH) return a2a_fail(w->ctx, A2A_ERR_FORMAT, "torch: objects nested deeper than %d (or cyclic)", TORCH_MAX_DEPTH);
    a2a_status st = A2A_OK;
    size_t old;
    switch (o->kind) {
    case A2A_PK_TENSOR:
        if (collect) return walk_tensor(w, o);
        w->f->skipped_tensors++;
        return A2A_OK;
    case A2A_PK_DICT:
        for (size_t i = 0; i < o->u.dict.n && st == A2A_OK; i++) {
            const a2a_pk_obj *k = o->u.dict.keys[i];
            char num[32];
            const char *seg;
            size_t seglen;
            if (k->kind == A2A_PK_STR && strlen(k->u.str.ptr) == k->u.str.len) seg = k->u.str.ptr, seglen = k->u.str.len;
            else if (k->kind == A2A_PK_INT) seglen = (size_t)snprintf(num, sizeof(num), "%lld", (long long)k->u.i), seg = num;
            else {
                w->f->skipped_keys++;
                continue;
            }
            if ((st = walk_push(w, seg, seglen, &old)) != A2A_OK) return st;
            st = walk_obj(w, o->u.dict.vals[i], depth + 1, collect, skip);
            walk_pop(w, old);
        }
        return st;
    case A2A_PK_LIST:
    case A2A_PK_TUPLE:
        for (size_t i = 0; i < o->u.seq.n && st == A2A_OK; i++) {
            char num[32];
            size_t seglen = (size_t)snprintf(num, sizeof(num), "%zu", i);
            if ((st = walk_push(w, num, seglen, &old)) != A2A_OK) return st;
            st = walk_obj(w, o->u.seq.items[i], depth + 1, collect, skip);
            walk_pop(w, old);
        }
        return st;
    default:
        return walk_meta(w, o);
    }
}

/* True when o holds a tensor within TORCH_MAX_DEPTH levels (visits bounded by *budget). */
static bool holds_tensor(const a2a_pk_obj *o, int depth, size_t *budget) {
    if (depth > TORCH_MAX_DEPTH || *budget == 0) return false;
    (*budget)--;
    if (o->kind == A2A_PK_TENSOR) return true;
    if (o->kind == A2A_PK_DICT) {
        for (size_t i = 0; i < o->u.dict.n; i++)
            if (holds_tensor(o->u.dict.vals[i], depth + 1, budget)) return true;
    } else if (o->kind == A2A_PK_LIST || o->kind == A2A_PK_TUPLE) {
        for (size_t i = 0; i < o->u.seq.n; i++)
            if (holds_tensor(o->u.seq.items[i], depth + 1, budget)) return true;
    }
    return false;
}

/* qsort comparator: tensors by name. */
static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const a2a_tensor *const *)a)->name, (*(const a2a_tensor *const *)b)->name);
}

/* Select the state_dict inside the unpickled root and list its tensors (see the header). */
static a2a_status torch_collect(a2a_ctx *ctx, a2a_torch_file *f) {
    const a2a_pk_obj *root = a2a_pickle_root(f->pk);
    static const char *const keys[] = {"state_dict", "model_state_dict", "model", "module"};
    const a2a_pk_obj *sel = root;
    size_t nobj = a2a_pickle_n_objects(f->pk);
    for (int level = 0; level < 8 && sel->kind == A2A_PK_DICT; level++) {
        const a2a_pk_obj *next = NULL;
        const char *key = NULL;
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !next; k++) {
            const a2a_pk_obj *v = a2a_pk_dict_get(sel, keys[k]);
            size_t budget = nobj * 2 + 16;
            if (v && v->kind == A2A_PK_DICT && holds_tensor(v, 0, &budget)) next = v, key = keys[k];
        }
        if (!next) break;
        size_t l = strlen(f->selected);
        snprintf(f->selected + l, sizeof(f->selected) - l, "%s%s", l ? "." : "", key);
        sel = next;
    }
    torch_walk *w = calloc(1, sizeof(*w));
    if (!w) return a2a_fail(ctx, A2A_ERR_NOMEM, "torch: out of memory");
    w->ctx = ctx;
    w->f = f;
    w->budget = nobj * 4 + 1024;
    a2a_status st = A2A_OK;
    if (sel != root) st = walk_obj(w, root, 0, false, sel);
    if (st == A2A_OK) {
        w->len = 0;
        w->name[0] = '\0';
        st = walk_obj(w, sel, 0, true, NULL);
    }
    free(w);
    if (st != A2A_OK) return st;
    if (f->n_tensors) {
        f->sorted = malloc(f->n_tensors * sizeof(*f->sorted));
        if (!f->sorted) return a2a_fail(ctx, A2A_ERR_NOMEM, "torch: out of memory");
        for (size_t i = 0; i < f->n_tensors; i++) f->sorted[i] = &f->ents[i].t;
        qsort(f->sorted, f->n_tensors, sizeof(*f->sorted), cmp_tensor_name);
        for (size_t i = 1; i < f->n_tensors; i++)
            if (!strcmp(f->sorted[i - 1]->name, f->sorted[i]->name))
                return a2a_fail(ctx, A2A_ERR_FORMAT, "torch: duplicate tensor name '%s'", f->sorted[i]->name);
    }
    return A2A_OK;
}

/* ---- opening ---- */

/* Find <prefix>/data.pkl (prefix: one path component, or none) and set f->prefix. */
static a2a_status torch_find_pickle(a2a_ctx *ctx, a2a_torch_file *f, const a2a_zip_entry **out) {
    const a2a_zip_entry *found = NULL;
    for (size_t i = 0; i < f->zip.n_entries; i++) {
        const a2a_zip_entry *e = &f->zip.entries[i];
        const char *slash = strchr(e->name, '/');
        const char *tail = slash ? slash + 1 : e->name;
        if (strcmp(tail, "data.pkl") != 0) continue;
        if (found)
            return a2a_fail(ctx, A2A_ERR_FORMAT, "torch: archive has several data.pkl ('%s' and '%s')", found->name, e->name);
        found = e;
    }
    if (!found) return a2a_fail(ctx, A2A_ERR_FORMAT, "torch: no <prefix>/data.pkl in the zip (not a torch.save checkpoint)");
    size_t plen = found->name_len - strlen("data.pkl");
    if (plen) plen--; /* drop the '/' */
    if (plen > 255) return a2a_fail(ctx, A2A_ERR_FORMAT, "torch: archive prefix longer than 255 bytes");
    f->prefix = malloc(plen + 1);
    if (!f->prefix) return a2a_fail(ctx, A2A_ERR_NOMEM, "torch: out of memory");
    memcpy(f->prefix, found->name, plen);
    f->prefix[plen] = '\0';
    *out = found;
    return A2A_OK;
}

/* The stored bytes of <prefix>/<leaf>, or *data = NULL when absent. */
static a2a_status torch_small_entry(a2a_ctx *ctx, a2a_torch_file *f, const char *leaf, const uint8_t **data, size_t *size) {
    char nm[300];
    snprintf(nm, sizeof(nm), "%s%s%s", f->prefix, f->prefix[0] ? "/" : "", leaf);
    const a2a_zip_entry *e = a2a_zip_find(&f->zip, nm);
    *data = NULL;
    *size = 0;
    if (!e) return A2A_OK;
    return a2a_zip_entry_data(ctx, &f->zip, e, data, size);
}

/* Parse the mapped file f->map into f. */
static a2a_status torch_parse(a2a_ctx *ctx, a2a_torch_file *f) {
    const uint8_t *d = f->map.data;
    size_t n = f->map.size;
    if (n >= 2 && d[0] == 0x80 && d[1] <= 5)
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "torch: legacy (pre-1.6, non-zip) torch.save format; re-save with a current torch.save");
    if (n >= 262 && !memcmp(d + 257, "ustar", 5))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "torch: legacy tar torch.save format; re-save with a current torch.save");
    a2a_status st = a2a_zip_open(ctx, d, n, &f->zip);
    if (st != A2A_OK) return st;
    const a2a_zip_entry *pe = NULL;
    if ((st = torch_find_pickle(ctx, f, &pe)) != A2A_OK) return st;

    const uint8_t *b;
    size_t bn;
    if ((st = torch_small_entry(ctx, f, "byteorder", &b, &bn)) != A2A_OK) return st;
    if (b && !(bn >= 6 && !memcmp(b, "little", 6) && (bn == 6 || (bn == 7 && b[6] == '\n'))))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "torch: byteorder is not 'little' (big-endian checkpoints are not supported)");
    if ((st = torch_small_entry(ctx, f, "version", &b, &bn)) != A2A_OK) return st;
    for (size_t i = 0; b && i < bn && i + 1 < sizeof(f->version); i++) {
        if (b[i] == '\n') break;
        f->version[i] = (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '?';
    }

    const uint8_t *pkl;
    size_t pkn;
    if ((st = a2a_zip_entry_data(ctx, &f->zip, pe, &pkl, &pkn)) != A2A_OK) return st;
    if ((st = a2a_pickle_load(ctx, pkl, pkn, NULL, &f->pk)) != A2A_OK) {
        a2a_error_prefix(ctx, "torch: %s", pe->name);
        return st;
    }
    return torch_collect(ctx, f);
}

/* Finish an open: parse, or clean up on failure. */
static a2a_status torch_finish_open(a2a_ctx *ctx, a2a_torch_file *f, a2a_torch_file **out) {
    a2a_status st = torch_parse(ctx, f);
    if (st != A2A_OK) {
        a2a_torch_close(f);
        return st;
    }
    *out = f;
    return A2A_OK;
}

a2a_status a2a_torch_open(a2a_ctx *ctx, const char *path, a2a_torch_file **out) {
    if (!path || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "torch: NULL argument");
    *out = NULL;
    a2a_torch_file *f = calloc(1, sizeof(*f));
    if (!f) return a2a_fail(ctx, A2A_ERR_NOMEM, "torch: out of memory");
    a2a_status st = a2a_mmap_open(ctx, path, &f->map);
    if (st != A2A_OK) {
        free(f);
        return st;
    }
    return torch_finish_open(ctx, f, out);
}

a2a_status a2a_torch_open_memory(a2a_ctx *ctx, const void *data, size_t size, a2a_torch_file **out) {
    if ((!data && size) || !out) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "torch: NULL argument");
    *out = NULL;
    a2a_torch_file *f = calloc(1, sizeof(*f));
    if (!f) return a2a_fail(ctx, A2A_ERR_NOMEM, "torch: out of memory");
    a2a_status st = a2a_mmap_from_memory(ctx, data, size, &f->map);
    if (st != A2A_OK) {
        free(f);
        return st;
    }
    return torch_finish_open(ctx, f, out);
}

/* ---- queries ---- */

int64_t a2a_torch_n_tensors(const a2a_torch_file *f) { return f ? (int64_t)f->n_tensors : 0; }

const a2a_tensor *a2a_torch_tensor(const a2a_torch_file *f, int64_t i) {
    if (!f || i < 0 || (uint64_t)i >= f->n_tensors) return NULL;
    return &f->ents[i].t;
}

const char *a2a_torch_tensor_dtype(const a2a_torch_file *f, int64_t i) {
    if (!f || i < 0 || (uint64_t)i >= f->n_tensors) return "?";
    return a2a_pk_dtype_name(f->ents[i].dtype);
}

const a2a_tensor *a2a_torch_find_tensor(const a2a_torch_file *f, const char *name) {
    if (!f || !name) return NULL;
    size_t lo = 0, hi = f->n_tensors;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(f->sorted[mid]->name, name);
        if (c == 0) return f->sorted[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

void a2a_torch_print_info(const a2a_torch_file *f, FILE *out) {
    if (!f || !out) return;
    fprintf(out, "PyTorch zip checkpoint: archive '%s', pickle protocol %d, format version %s\n", f->prefix,
            a2a_pickle_protocol(f->pk), f->version[0] ? f->version : "?");
    fprintf(out, "zip entries: %zu%s\n", f->zip.n_entries, f->zip.zip64 ? " (ZIP64)" : "");
    for (size_t i = 0; i < f->zip.n_entries && i < TORCH_MAX_PRINT_ENTRIES; i++) {
        const a2a_zip_entry *e = &f->zip.entries[i];
        fprintf(out, "  %-40s %12llu bytes%s\n", e->name, (unsigned long long)e->size, e->method ? " (compressed)" : "");
    }
    if (f->zip.n_entries > TORCH_MAX_PRINT_ENTRIES) fprintf(out, "  ... %zu more\n", f->zip.n_entries - TORCH_MAX_PRINT_ENTRIES);
    fprintf(out, "tensors: %zu (from %s; shapes in PyTorch order)\n", f->n_tensors, f->selected[0] ? f->selected : "the top level");
    for (size_t i = 0; i < f->n_tensors; i++) {
        const a2a_tensor *t = &f->ents[i].t;
        fprintf(out, "  %-48s %-8s [", t->name, a2a_pk_dtype_name(f->ents[i].dtype));
        for (int d = f->ents[i].ndim - 1; d >= 0; d--) fprintf(out, "%lld%s", (long long)t->ne[d], d ? ", " : "");
        fprintf(out, "]%s\n", a2a_tensor_is_contiguous(t) ? "" : " (strided view)");
    }
    if (f->n_meta || f->meta_dropped) {
        fprintf(out, "values:\n");
        for (size_t i = 0; i < f->n_meta; i++) fprintf(out, "  %s\n", f->meta[i]);
        if (f->meta_dropped) fprintf(out, "  ... %zu more\n", f->meta_dropped);
    }
    if (f->skipped_tensors) fprintf(out, "skipped: %zu tensors outside '%s' (e.g. optimizer state)\n", f->skipped_tensors, f->selected);
    if (f->skipped_keys) fprintf(out, "skipped: %zu dict keys that are not strings or integers\n", f->skipped_keys);
}

void a2a_torch_close(a2a_torch_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_tensors; i++) free(f->ents[i].name);
    for (size_t i = 0; i < f->n_meta; i++) free(f->meta[i]);
    free(f->ents);
    free(f->sorted);
    free(f->meta);
    free(f->prefix);
    a2a_pickle_free(f->pk);
    a2a_zip_close(&f->zip);
    a2a_mmap_close(&f->map);
    free(f);
}
