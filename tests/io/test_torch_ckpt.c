/* PyTorch zip checkpoints: the torch.save samples in tests/golden/torch (made by
   tools/ref/make_golden_torch.py) read with the right names, dtypes, shapes, strides and
   values (sum and sum of squares from the manifest); the malicious and numpy samples are
   refused naming the global; hostile archives (missing/short storages, tensors past their
   storage, compressed entries, >5 dims, big-endian, duplicates, cycles, truncation) fail
   cleanly. */
#include "a2a_test.h"
#include "io/torch_ckpt.h"

#include <unistd.h>

#define GOLDEN A2A_SOURCE_DIR "/tests/golden/torch/"

/* ---- reading tensor values through the strided view ---- */

/* Element at byte address p of the given PyTorch dtype, as a double. */
static double elem(const char *dtype, const uint8_t *p) {
    if (!strcmp(dtype, "float32")) { float v; memcpy(&v, p, 4); return v; }
    if (!strcmp(dtype, "float64")) { double v; memcpy(&v, p, 8); return v; }
    if (!strcmp(dtype, "float16")) { uint16_t v; memcpy(&v, p, 2); return a2a_fp16_to_f32(v); }
    if (!strcmp(dtype, "bfloat16")) { uint16_t v; memcpy(&v, p, 2); return a2a_bf16_to_f32(v); }
    if (!strcmp(dtype, "int64")) { int64_t v; memcpy(&v, p, 8); return (double)v; }
    if (!strcmp(dtype, "int32")) { int32_t v; memcpy(&v, p, 4); return v; }
    if (!strcmp(dtype, "int16")) { int16_t v; memcpy(&v, p, 2); return v; }
    if (!strcmp(dtype, "int8")) return (int8_t)p[0];
    return p[0]; /* uint8, bool */
}

/* Sum and sum of squares over every element of t (any strides). */
static void tensor_sums(const a2a_tensor *t, const char *dtype, double *sum, double *sumsq) {
    *sum = *sumsq = 0;
    for (int64_t i4 = 0; i4 < t->ne[4]; i4++)
        for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
            for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
                for (int64_t i1 = 0; i1 < t->ne[1]; i1++)
                    for (int64_t i0 = 0; i0 < t->ne[0]; i0++) {
                        const uint8_t *p = (const uint8_t *)t->data + i0 * t->nb[0] + i1 * t->nb[1] + i2 * t->nb[2] +
                                           i3 * t->nb[3] + i4 * t->nb[4];
                        double v = elem(dtype, p);
                        *sum += v;
                        *sumsq += v * v;
                    }
}

/* Parse "a,b,c" (or "-") into v; returns the count. */
static int parse_list(const char *s, int64_t *v) {
    if (!strcmp(s, "-")) return 0;
    int n = 0;
    char *end;
    while (*s && n < 16) {
        v[n++] = strtoll(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* Check every tensor of the checkpoint at path against its manifest; returns tensors checked. */
static int check_sample(const char *stem, const char *ext) {
    char path[512], mpath[512];
    snprintf(path, sizeof(path), GOLDEN "%s%s", stem, ext);
    snprintf(mpath, sizeof(mpath), GOLDEN "%s.manifest", stem);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    a2a_status st = a2a_torch_open(ctx, path, &f);
    CHECK_MSG(st == A2A_OK, "%s: %s", path, a2a_last_error(ctx));
    FILE *m = fopen(mpath, "r");
    CHECK(m != NULL);
    int lines = 0;
    if (f && m) {
        char name[256], dtype[32], sizes[128], strides[128];
        long long off;
        double sum, sumsq;
        while (fscanf(m, "%255s %31s %127s %127s %lld %lf %lf", name, dtype, sizes, strides, &off, &sum, &sumsq) == 7) {
            lines++;
            const a2a_tensor *t = a2a_torch_find_tensor(f, name);
            CHECK_MSG(t != NULL, "%s: tensor '%s' not found", stem, name);
            if (!t) continue;
            int64_t idx = -1;
            for (int64_t i = 0; i < a2a_torch_n_tensors(f); i++)
                if (a2a_torch_tensor(f, i) == t) idx = i;
            const char *dt = a2a_torch_tensor_dtype(f, idx);
            CHECK_MSG(!strcmp(dt, dtype), "%s: %s dtype %s != %s", stem, name, dt, dtype);
            CHECK(!strcmp(t->name, name));
            int64_t sz[16], sd[16];
            int nd = parse_list(sizes, sz), ns = parse_list(strides, sd);
            CHECK_EQ_INT(nd, ns);
            CHECK_EQ_INT(t->n_dims, nd ? nd : 1);
            size_t esz = t->nb[0];
            if (nd) {
                size_t e = !strcmp(dtype, "float64") || !strcmp(dtype, "int64") ? 8
                           : !strcmp(dtype, "float32") || !strcmp(dtype, "int32") ? 4
                           : !strcmp(dtype, "float16") || !strcmp(dtype, "bfloat16") || !strcmp(dtype, "int16") ? 2 : 1;
                esz = e;
            }
            for (int d = 0; d < nd; d++) {
                CHECK_EQ_INT(t->ne[nd - 1 - d], sz[d]);                  /* reversed to ggml order */
                CHECK_EQ_INT(t->nb[nd - 1 - d], (size_t)sd[d] * esz); /* strides in bytes */
            }
            for (int d = nd ? nd : 1; d < A2A_MAX_DIMS; d++) CHECK_EQ_INT(t->ne[d], 1);
            double s, s2;
            tensor_sums(t, dtype, &s, &s2);
            CHECK_MSG(fabs(s - sum) <= 1e-9 * (1 + fabs(sum)), "%s: %s sum %.17g != %.17g", stem, name, s, sum);
            CHECK_MSG(fabs(s2 - sumsq) <= 1e-9 * (1 + fabs(sumsq)), "%s: %s sumsq %.17g != %.17g", stem, name, s2, sumsq);
            (void)off;
        }
        CHECK_EQ_INT(a2a_torch_n_tensors(f), lines);
    }
    if (m) fclose(m);
    a2a_torch_close(f);
    a2a_ctx_free(ctx);
    return lines;
}

TEST(test_golden_samples) {
    CHECK_EQ_INT(check_sample("plain", ".pt"), 6);
    CHECK_EQ_INT(check_sample("mixed", ".pt"), 9);
    CHECK_EQ_INT(check_sample("views", ".pt"), 8);
    CHECK_EQ_INT(check_sample("lightning", ".ckpt"), 6);
    CHECK_EQ_INT(check_sample("nested", ".pth"), 5);
    CHECK_EQ_INT(check_sample("proto4", ".pt"), 2);
}

TEST(test_views_share_storage) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    CHECK_EQ_INT(a2a_torch_open(ctx, GOLDEN "views.pt", &f), A2A_OK);
    if (!f) return;
    const a2a_tensor *first = a2a_torch_find_tensor(f, "first"), *second = a2a_torch_find_tensor(f, "second");
    CHECK(first && second);
    if (first && second) {
        /* base[2:8] and base[10:22] share one storage: 8 floats apart */
        CHECK_EQ_INT((const char *)second->data - (const char *)first->data, 8 * 4);
        CHECK_EQ_INT(((const float *)first->data)[0] * 2, 2);
        CHECK(a2a_tensor_is_contiguous(second));
    }
    const a2a_tensor *tr = a2a_torch_find_tensor(f, "transposed");
    CHECK(tr && !a2a_tensor_is_contiguous(tr) && tr->nb[0] == 16 && tr->nb[1] == 4);
    const a2a_tensor *sc = a2a_torch_find_tensor(f, "scalar");
    CHECK(sc && sc->n_dims == 1 && sc->ne[0] == 1 && ((const float *)sc->data)[0] == 2.5f);
    const a2a_tensor *em = a2a_torch_find_tensor(f, "empty");
    CHECK(em && a2a_tensor_nelements(em) == 0);
    CHECK(a2a_torch_find_tensor(f, "nope") == NULL);
    CHECK(a2a_torch_tensor(f, -1) == NULL && a2a_torch_tensor(f, 99) == NULL);
    a2a_torch_close(f);
    a2a_ctx_free(ctx);
}

/* print_info output of the checkpoint at path, in a malloc'd string. */
static char *info_of(const char *path) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    char *text = NULL;
    size_t len = 0;
    if (a2a_torch_open(ctx, path, &f) == A2A_OK) {
        FILE *out = open_memstream(&text, &len);
        a2a_torch_print_info(f, out);
        fclose(out);
    }
    a2a_torch_close(f);
    a2a_ctx_free(ctx);
    return text;
}

TEST(test_print_info) {
    char *s = info_of(GOLDEN "lightning.ckpt");
    CHECK(s != NULL);
    if (s) {
        CHECK(strstr(s, "archive 'lightning'") != NULL);
        CHECK(strstr(s, "pickle protocol 2") != NULL);
        CHECK(strstr(s, "epoch = 3") != NULL);
        CHECK(strstr(s, "global_step = 120") != NULL);
        CHECK(strstr(s, "lr = 0.1\n") != NULL);
        CHECK(strstr(s, "hparams.name = 'tiny'") != NULL);
        CHECK(strstr(s, "hparams.dropout = None") != NULL);
        CHECK(strstr(s, "from state_dict") != NULL);
        CHECK(strstr(s, "skipped: 2 tensors outside 'state_dict'") != NULL);
        CHECK(strstr(s, "conv.weight") != NULL);
        CHECK(strstr(s, "[3, 2, 3, 3]") != NULL);
    }
    free(s);
    s = info_of(GOLDEN "nested.pth");
    CHECK(s && strstr(s, "note = 'hello'") && strstr(s, "encoder.proj.7"));
    free(s);
}

TEST(test_refuses_malicious) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    CHECK_EQ_INT(a2a_torch_open(ctx, GOLDEN "malicious.pt", &f), A2A_ERR_UNSUPPORTED);
    CHECK(f == NULL);
    CHECK(strstr(a2a_last_error(ctx), "refusing global 'os.system'") != NULL);
    CHECK(strstr(a2a_last_error(ctx), "malicious/data.pkl") != NULL);
    CHECK_EQ_INT(a2a_torch_open(ctx, GOLDEN "numpy.ckpt", &f), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "'numpy.") != NULL);
    CHECK_EQ_INT(a2a_torch_open(ctx, GOLDEN "does-not-exist.pt", &f), A2A_ERR_IO);
    a2a_ctx_free(ctx);
}

TEST(test_every_prefix) {
    /* every truncation of a real checkpoint fails cleanly (no crash, no leak) */
    size_t n;
    uint8_t *buf = a2a_test_read_file(GOLDEN "plain.pt", &n);
    CHECK(buf != NULL);
    if (!buf) return;
    a2a_ctx *ctx = a2a_ctx_new();
    int ok = 0;
    for (size_t k = 0; k < n; k++) {
        a2a_torch_file *f = NULL;
        if (a2a_torch_open_memory(ctx, buf, k, &f) == A2A_OK) ok++, a2a_torch_close(f);
    }
    CHECK_EQ_INT(ok, 0);
    a2a_torch_file *f = NULL;
    CHECK_EQ_INT(a2a_torch_open_memory(ctx, buf, n, &f), A2A_OK);
    CHECK_EQ_INT(a2a_torch_n_tensors(f), 6);
    a2a_torch_close(f);
    /* single-byte corruptions anywhere never crash */
    for (size_t k = 0; k < n; k++) {
        uint8_t *c = malloc(n);
        memcpy(c, buf, n);
        c[k] ^= 0x5a;
        if (a2a_torch_open_memory(ctx, c, n, &f) == A2A_OK) a2a_torch_close(f);
        free(c);
    }
    free(buf);
    a2a_ctx_free(ctx);
}

/* ---- hand-built archives ---- */

typedef struct zb { uint8_t *buf; size_t size, cap; } zb;
static void zb_put(zb *o, const void *p, size_t n) {
    if (o->size + n > o->cap) {
        o->cap = (o->size + n) * 2 + 256;
        o->buf = realloc(o->buf, o->cap);
    }
    if (n) memcpy(o->buf + o->size, p, n);
    o->size += n;
}
static void zb_u16(zb *o, uint32_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; zb_put(o, b, 2); }
static void zb_u32(zb *o, uint32_t v) { zb_u16(o, v & 0xffff); zb_u16(o, v >> 16); }
static void zb_u64(zb *o, uint64_t v) { zb_u32(o, (uint32_t)v); zb_u32(o, (uint32_t)(v >> 32)); }

typedef struct zent { const char *name; const void *data; size_t size; uint16_t method; } zent;

/* A zip of stored entries (method field as given), optionally with ZIP64 end records. */
static zb zip_build(const zent *e, int n, int zip64) {
    zb o = {0};
    size_t offs[16];
    for (int i = 0; i < n; i++) {
        offs[i] = o.size;
        size_t nl = strlen(e[i].name);
        zb_u32(&o, 0x04034b50); zb_u16(&o, 20); zb_u16(&o, 0); zb_u16(&o, e[i].method); zb_u16(&o, 0); zb_u16(&o, 0);
        zb_u32(&o, 0); zb_u32(&o, (uint32_t)e[i].size); zb_u32(&o, (uint32_t)e[i].size); zb_u16(&o, (uint32_t)nl); zb_u16(&o, 0);
        zb_put(&o, e[i].name, nl);
        zb_put(&o, e[i].data, e[i].size);
    }
    size_t cd = o.size;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(e[i].name);
        zb_u32(&o, 0x02014b50); zb_u16(&o, 45); zb_u16(&o, 45); zb_u16(&o, 0); zb_u16(&o, e[i].method); zb_u16(&o, 0);
        zb_u16(&o, 0); zb_u32(&o, 0);
        zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)e[i].size); zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)e[i].size);
        zb_u16(&o, (uint32_t)nl); zb_u16(&o, zip64 ? 28 : 0); zb_u16(&o, 0); zb_u16(&o, 0); zb_u16(&o, 0); zb_u32(&o, 0);
        zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)offs[i]);
        zb_put(&o, e[i].name, nl);
        if (zip64) { zb_u16(&o, 1); zb_u16(&o, 24); zb_u64(&o, e[i].size); zb_u64(&o, e[i].size); zb_u64(&o, offs[i]); }
    }
    size_t cds = o.size - cd;
    if (zip64) {
        size_t r = o.size;
        zb_u32(&o, 0x06064b50); zb_u64(&o, 44); zb_u16(&o, 45); zb_u16(&o, 45); zb_u32(&o, 0); zb_u32(&o, 0);
        zb_u64(&o, (uint64_t)n); zb_u64(&o, (uint64_t)n); zb_u64(&o, cds); zb_u64(&o, cd);
        zb_u32(&o, 0x07064b50); zb_u32(&o, 0); zb_u64(&o, r); zb_u32(&o, 1);
    }
    zb_u32(&o, 0x06054b50); zb_u16(&o, 0); zb_u16(&o, 0);
    zb_u16(&o, zip64 ? 0xffff : (uint32_t)n); zb_u16(&o, zip64 ? 0xffff : (uint32_t)n);
    zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)cds); zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)cd); zb_u16(&o, 0);
    return o;
}

/* One tensor for the pickle writer (PyTorch order sizes/strides). */
typedef struct tspec {
    const char *name, *key, *stype;
    int64_t numel, off;
    int nd;
    int64_t size[8], stride[8];
} tspec;

static void pk_str(zb *o, const char *s) { uint32_t n = (uint32_t)strlen(s); zb_put(o, "X", 1); zb_u32(o, n); zb_put(o, s, n); }
static void pk_int(zb *o, int64_t v) { zb_put(o, "\x8a\x08", 2); zb_u64(o, (uint64_t)v); }
static void pk_raw(zb *o, const char *s) { zb_put(o, s, strlen(s)); }

/* Protocol-2 pickle of {name: _rebuild_tensor_v2(persid(storage), off, size, stride, False, OrderedDict())}. */
static zb pk_tensors(const tspec *t, int n) {
    zb o = {0};
    pk_raw(&o, "\x80\x02}(");
    for (int i = 0; i < n; i++) {
        pk_str(&o, t[i].name);
        pk_raw(&o, "ctorch._utils\n_rebuild_tensor_v2\n((");
        pk_str(&o, "storage");
        pk_raw(&o, "ctorch\n");
        pk_raw(&o, t[i].stype);
        pk_raw(&o, "\n");
        pk_str(&o, t[i].key);
        pk_str(&o, "cpu");
        pk_int(&o, t[i].numel);
        pk_raw(&o, "tQ");
        pk_int(&o, t[i].off);
        pk_raw(&o, "(");
        for (int d = 0; d < t[i].nd; d++) pk_int(&o, t[i].size[d]);
        pk_raw(&o, "t(");
        for (int d = 0; d < t[i].nd; d++) pk_int(&o, t[i].stride[d]);
        pk_raw(&o, "t\x89""ccollections\nOrderedDict\n)RtR");
    }
    pk_raw(&o, "u.");
    return o;
}

static const float k_data[6] = {1, 2, 3, 4, 5, 6};

/* Open an archive of data.pkl = pkl (method pkl_method) plus a storage "arc/data/0" of
   storage_bytes bytes (from k_data, zero padded); extra entries appended. */
static a2a_status open_archive(a2a_ctx *ctx, const zb *pkl, uint16_t pkl_method, size_t storage_bytes, const zent *extra,
                               int n_extra, int zip64, a2a_torch_file **f) {
    uint8_t *st = calloc(1, storage_bytes + 1);
    memcpy(st, k_data, A2A_MIN(storage_bytes, sizeof(k_data)));
    zent e[12] = {{"arc/data.pkl", pkl->buf, pkl->size, pkl_method}, {"arc/data/0", st, storage_bytes, 0}, {"arc/version", "3\n", 2, 0}};
    int n = 3;
    for (int i = 0; i < n_extra && n < 12; i++) e[n++] = extra[i];
    zb z = zip_build(e, n, zip64);
    a2a_status s = a2a_torch_open_memory(ctx, z.buf, z.size, f);
    free(z.buf);
    free(st);
    return s;
}

TEST(test_built_archives) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    tspec w = {"w", "0", "FloatStorage", 6, 0, 2, {2, 3}, {3, 1}};
    zb p = pk_tensors(&w, 1);
    for (int zip64 = 0; zip64 <= 1; zip64++) {
        CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, zip64, &f), A2A_OK);
        const a2a_tensor *t = a2a_torch_find_tensor(f, "w");
        CHECK(t && t->type == A2A_TYPE_F32 && t->ne[0] == 3 && t->ne[1] == 2 && t->nb[1] == 12);
        float v5 = 0;
        if (t) memcpy(&v5, (const uint8_t *)t->data + 20, 4); /* hand-built zips are not aligned */
        CHECK(v5 == 6.0f);
        a2a_torch_close(f);
        f = NULL;
    }
    /* compressed data.pkl */
    CHECK_EQ_INT(open_archive(ctx, &p, 8, 24, NULL, 0, 0, &f), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "entry 'arc/data.pkl' is compressed (method 8); re-save with torch.save") != NULL);
    /* storage smaller / larger than numel * elemsize */
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 20, NULL, 0, 0, &f), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "storage 'arc/data/0' has 20 bytes") != NULL);
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 28, NULL, 0, 0, &f), A2A_ERR_FORMAT);
    /* big-endian */
    zent be = {"arc/byteorder", "big", 3, 0};
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, &be, 1, 0, &f), A2A_ERR_UNSUPPORTED);
    zent le = {"arc/byteorder", "little", 6, 0};
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, &le, 1, 0, &f), A2A_OK);
    a2a_torch_close(f);
    f = NULL;
    /* two prefixes with data.pkl */
    zent two = {"other/data.pkl", p.buf, p.size, 0};
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, &two, 1, 0, &f), A2A_ERR_FORMAT);
    free(p.buf);

    /* tensor past its storage: extent, offset, overflowing stride, missing storage, 6 dims */
    tspec bad[] = {
        {"w", "0", "FloatStorage", 6, 0, 2, {2, 4}, {3, 1}},
        {"w", "0", "FloatStorage", 6, 6, 1, {1}, {1}},
        {"w", "0", "FloatStorage", 6, INT64_MAX, 1, {1}, {1}},
        {"w", "0", "FloatStorage", 6, 0, 2, {3, 2}, {INT64_MAX, 1}},
        {"w", "1", "FloatStorage", 6, 0, 1, {6}, {1}},
        {"w", "0", "FloatStorage", 6, 0, 6, {1, 1, 1, 1, 2, 3}, {6, 6, 6, 6, 3, 1}},
        {"w", "0", "FloatStorage", (int64_t)1 << 62, 0, 1, {6}, {1}},
    };
    a2a_status want[] = {A2A_ERR_FORMAT, A2A_ERR_FORMAT, A2A_ERR_FORMAT, A2A_ERR_FORMAT,
                         A2A_ERR_FORMAT, A2A_ERR_UNSUPPORTED, A2A_ERR_FORMAT};
    const char *msg[] = {"exceeds its storage", "exceeds its storage", "exceeds its storage", "overflow", "'arc/data/1' is missing", "6 dims", "has 24 bytes"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = pk_tensors(&bad[i], 1);
        CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), want[i]);
        CHECK_MSG(strstr(a2a_last_error(ctx), msg[i]) != NULL, "case %zu: %s", i, a2a_last_error(ctx));
        free(p.buf);
    }
    /* empty tensor at the end of its storage is fine; a zero-stride broadcast view too */
    tspec okv[] = {{"e", "0", "FloatStorage", 6, 6, 2, {0, 3}, {3, 1}}, {"b", "0", "FloatStorage", 6, 5, 2, {4, 3}, {0, 0}}};
    p = pk_tensors(okv, 2);
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_OK);
    CHECK_EQ_INT(a2a_torch_n_tensors(f), 2);
    a2a_torch_close(f);
    f = NULL;
    free(p.buf);
    /* duplicate names */
    tspec dup[] = {{"w", "0", "FloatStorage", 6, 0, 1, {6}, {1}}, {"w", "0", "FloatStorage", 6, 0, 1, {6}, {1}}};
    p = pk_tensors(dup, 2);
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "duplicate tensor name 'w'") != NULL);
    free(p.buf);
    /* a storage type that is not allowed */
    tspec cplx = {"w", "0", "ComplexFloatStorage", 3, 0, 1, {3}, {1}};
    p = pk_tensors(&cplx, 1);
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_ERR_UNSUPPORTED);
    free(p.buf);
    a2a_ctx_free(ctx);
}

TEST(test_hostile_graphs) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_torch_file *f = NULL;
    /* missing data.pkl */
    zent only = {"arc/version", "3\n", 2, 0};
    zb z = zip_build(&only, 1, 0);
    CHECK_EQ_INT(a2a_torch_open_memory(ctx, z.buf, z.size, &f), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "data.pkl") != NULL);
    free(z.buf);
    /* a dict that contains itself */
    zb p = {0};
    pk_raw(&p, "\x80\x02}q");
    zb_put(&p, "\0", 1);
    pk_raw(&p, "X\x01");
    zb_put(&p, "\0\0\0", 3);
    pk_raw(&p, "ah");
    zb_put(&p, "\0", 1);
    pk_raw(&p, "s.");
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_ERR_FORMAT);
    CHECK_MSG(strstr(a2a_last_error(ctx), "nested deeper") != NULL, "%s", a2a_last_error(ctx));
    free(p.buf);
    /* shared references doubling 60 times (2^60 paths) stop on the visit budget */
    p = (zb){0};
    pk_raw(&p, "\x80\x02]q");
    zb_put(&p, "\0", 1);
    for (int i = 1; i <= 60; i++) {
        uint8_t get[4] = {'h', (uint8_t)(i - 1), 'h', (uint8_t)(i - 1)};
        pk_raw(&p, "](");
        zb_put(&p, get, 4);
        uint8_t put[3] = {'e', 'q', (uint8_t)i};
        zb_put(&p, put, 3);
    }
    pk_raw(&p, "}X\x01");
    zb_put(&p, "\0\0\0", 3);
    pk_raw(&p, "x");
    uint8_t last[4] = {'h', 60, 's', '.'};
    zb_put(&p, last, 4);
    /* the stack holds [L0..L60, {'x': L60}]; STOP returns the dict */
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "too large") != NULL);
    free(p.buf);
    /* legacy (pre-zip) torch.save format */
    static const uint8_t legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'};
    CHECK_EQ_INT(a2a_torch_open_memory(ctx, legacy, sizeof(legacy), &f), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "legacy") != NULL);
    /* top level that is not a dict: a list is flattened by index, a bare tensor is "tensor" */
    tspec w = {"w", "0", "FloatStorage", 6, 0, 1, {6}, {1}};
    zb t = pk_tensors(&w, 1);
    /* strip "\x80\x02}(" "X...w" prefix and "u." suffix: rebuild as a bare tensor */
    p = (zb){0};
    pk_raw(&p, "\x80\x02");
    size_t head = 2 + 2 + 5 + 1; /* proto, '}(', X len 'w' */
    zb_put(&p, t.buf + head, t.size - head - 2);
    pk_raw(&p, ".");
    CHECK_EQ_INT(open_archive(ctx, &p, 0, 24, NULL, 0, 0, &f), A2A_OK);
    CHECK(a2a_torch_find_tensor(f, "tensor") != NULL);
    a2a_torch_close(f);
    f = NULL;
    free(p.buf);
    free(t.buf);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_golden_samples, test_views_share_storage, test_print_info, test_refuses_malicious, test_every_prefix,
          test_built_archives, test_hostile_graphs)
