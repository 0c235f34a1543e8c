/* Zip reader: stored entries, 64-byte-aligned data (as torch pads local extra fields), ZIP64
   end records and extra fields, trailing comments, compressed entries, and hostile archives
   (bad EOCD, offsets and sizes beyond the file, lying ZIP64 sizes, duplicates, truncation). */
#include "a2a_test.h"
#include "io/zip.h"

/* ---- a tiny zip writer for the tests (stored entries; data 64-byte aligned like torch) ---- */

typedef struct zb_entry {
    const char *name;
    const void *data;
    size_t size;
    uint16_t method; /* written as is; data is not really compressed */
} zb_entry;

typedef struct zb_out {
    uint8_t *buf;
    size_t size, cap;
    size_t cd_offset;     /* central directory offset */
    size_t eocd_offset;   /* EOCD offset */
    size_t eocd64_offset; /* ZIP64 record offset (zip64 only) */
} zb_out;

static void zb_put(zb_out *o, const void *p, size_t n) {
    if (o->size + n > o->cap) {
        o->cap = (o->size + n) * 2 + 256;
        o->buf = realloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->size, p, n);
    o->size += n;
}
static void zb_u16(zb_out *o, uint32_t v) { uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)}; zb_put(o, b, 2); }
static void zb_u32(zb_out *o, uint32_t v) { zb_u16(o, v & 0xffff); zb_u16(o, v >> 16); }
static void zb_u64(zb_out *o, uint64_t v) { zb_u32(o, (uint32_t)v); zb_u32(o, (uint32_t)(v >> 32)); }

/* Build an archive of n entries; zip64 writes ZIP64 end records and central extra fields. */
static zb_out zb_build(const zb_entry *e, int n, int zip64, const char *comment) {
    zb_out o = {0};
    size_t *offs = calloc((size_t)n + 1, sizeof(size_t));
    for (int i = 0; i < n; i++) {
        offs[i] = o.size;
        size_t nl = strlen(e[i].name);
        size_t hdr = o.size + 30 + nl, pad = (64 - (hdr + 4) % 64) % 64 + 4; /* extra: 'FB' id + padding */
        zb_u32(&o, 0x04034b50); zb_u16(&o, 20); zb_u16(&o, 0); zb_u16(&o, e[i].method);
        zb_u16(&o, 0); zb_u16(&o, 0); zb_u32(&o, 0);
        zb_u32(&o, (uint32_t)e[i].size); zb_u32(&o, (uint32_t)e[i].size);
        zb_u16(&o, (uint32_t)nl); zb_u16(&o, (uint32_t)pad);
        zb_put(&o, e[i].name, nl);
        zb_u16(&o, 0x4246); zb_u16(&o, (uint32_t)(pad - 4));
        for (size_t k = 0; k < pad - 4; k++) zb_put(&o, "Z", 1);
        zb_put(&o, e[i].data, e[i].size);
    }
    o.cd_offset = o.size;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(e[i].name);
        zb_u32(&o, 0x02014b50); zb_u16(&o, 45); zb_u16(&o, 45); zb_u16(&o, 0); zb_u16(&o, e[i].method);
        zb_u16(&o, 0); zb_u16(&o, 0); zb_u32(&o, 0);
        zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)e[i].size); zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)e[i].size);
        zb_u16(&o, (uint32_t)nl); zb_u16(&o, zip64 ? 28 : 0); zb_u16(&o, 0); zb_u16(&o, 0); zb_u16(&o, 0); zb_u32(&o, 0);
        zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)offs[i]);
        zb_put(&o, e[i].name, nl);
        if (zip64) { zb_u16(&o, 1); zb_u16(&o, 24); zb_u64(&o, e[i].size); zb_u64(&o, e[i].size); zb_u64(&o, offs[i]); }
    }
    size_t cd_size = o.size - o.cd_offset;
    if (zip64) {
        o.eocd64_offset = o.size;
        zb_u32(&o, 0x06064b50); zb_u64(&o, 44); zb_u16(&o, 45); zb_u16(&o, 45); zb_u32(&o, 0); zb_u32(&o, 0);
        zb_u64(&o, (uint64_t)n); zb_u64(&o, (uint64_t)n); zb_u64(&o, cd_size); zb_u64(&o, o.cd_offset);
        zb_u32(&o, 0x07064b50); zb_u32(&o, 0); zb_u64(&o, o.eocd64_offset); zb_u32(&o, 1);
    }
    o.eocd_offset = o.size;
    size_t cl = comment ? strlen(comment) : 0;
    zb_u32(&o, 0x06054b50); zb_u16(&o, 0); zb_u16(&o, 0);
    zb_u16(&o, zip64 ? 0xffff : (uint32_t)n); zb_u16(&o, zip64 ? 0xffff : (uint32_t)n);
    zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)cd_size); zb_u32(&o, zip64 ? 0xffffffffu : (uint32_t)o.cd_offset);
    zb_u16(&o, (uint32_t)cl);
    if (cl) zb_put(&o, comment, cl);
    free(offs);
    return o;
}

static void wr32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static const zb_entry k_entries[] = {
    {"archive/data.pkl", "\x80\x02}q\x00.", 7, 0},
    {"archive/data/0", "0123456789abcdef", 16, 0},
    {"archive/version", "3\n", 2, 0},
};

/* Open o's bytes as a zip; returns the status (z closed unless keep). */
static a2a_status zb_open(a2a_ctx *ctx, const zb_out *o, a2a_zip *z) { return a2a_zip_open(ctx, o->buf, o->size, z); }

TEST(test_stored_entries) {
    for (int zip64 = 0; zip64 <= 1; zip64++) {
        a2a_ctx *ctx = a2a_ctx_new();
        zb_out o = zb_build(k_entries, 3, zip64, zip64 ? NULL : "a trailing comment");
        a2a_zip z;
        CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK);
        CHECK_EQ_INT(z.n_entries, 3);
        CHECK_EQ_INT(z.zip64, zip64);
        for (int i = 0; i < 3; i++) {
            const a2a_zip_entry *e = a2a_zip_find(&z, k_entries[i].name);
            CHECK(e != NULL);
            if (!e) continue;
            const uint8_t *d;
            size_t n;
            CHECK_EQ_INT(a2a_zip_entry_data(ctx, &z, e, &d, &n), A2A_OK);
            CHECK_EQ_INT(n, k_entries[i].size);
            CHECK(!memcmp(d, k_entries[i].data, n));
            CHECK_EQ_INT(e->data_offset % 64, 0); /* local extra padding honoured */
        }
        CHECK(a2a_zip_find(&z, "archive/data/1") == NULL);
        CHECK(a2a_zip_find(&z, "archive") == NULL);
        a2a_zip_close(&z);
        free(o.buf);
        a2a_ctx_free(ctx);
    }
}

TEST(test_golden_checkpoint_zip) {
    size_t n;
    uint8_t *buf = a2a_test_read_file(A2A_SOURCE_DIR "/tests/golden/torch/plain.pt", &n);
    CHECK(buf != NULL);
    if (!buf) return;
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_zip z;
    CHECK_EQ_INT(a2a_zip_open(ctx, buf, n, &z), A2A_OK);
    const a2a_zip_entry *e = a2a_zip_find(&z, "plain/data.pkl");
    CHECK(e != NULL);
    CHECK(a2a_zip_find(&z, "plain/byteorder") != NULL);
    for (size_t i = 0; i < z.n_entries; i++) CHECK_EQ_INT(z.entries[i].method, 0);
    const a2a_zip_entry *d0 = a2a_zip_find(&z, "plain/data/0");
    CHECK(d0 && d0->data_offset % 64 == 0);
    a2a_zip_close(&z);
    free(buf);
    a2a_ctx_free(ctx);
}

TEST(test_compressed_entry) {
    a2a_ctx *ctx = a2a_ctx_new();
    zb_entry e[2] = {{"archive/data.pkl", "xx", 2, 0}, {"archive/data/0", "yyyy", 4, 8}};
    zb_out o = zb_build(e, 2, 0, NULL);
    a2a_zip z;
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK); /* listing is fine; reading is refused */
    const uint8_t *d;
    size_t n;
    CHECK_EQ_INT(a2a_zip_entry_data(ctx, &z, a2a_zip_find(&z, "archive/data/0"), &d, &n), A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "entry 'archive/data/0' is compressed (method 8); re-save with torch.save") != NULL);
    a2a_zip_close(&z);
    free(o.buf);
    a2a_ctx_free(ctx);
}

TEST(test_hostile_archives) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_zip z;
    /* not a zip at all / too small */
    CHECK_EQ_INT(a2a_zip_open(ctx, (const uint8_t *)"hello", 5, &z), A2A_ERR_FORMAT);
    uint8_t zeros[200] = {0};
    CHECK_EQ_INT(a2a_zip_open(ctx, zeros, sizeof(zeros), &z), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "end of central directory") != NULL);

    zb_out o = zb_build(k_entries, 3, 0, NULL);
    uint8_t *b = o.buf;
    uint8_t *save = malloc(o.size);
    memcpy(save, b, o.size);
#define RESET() memcpy(b, save, o.size)
    /* central directory offset beyond the file */
    wr32(b + o.eocd_offset + 16, 0x7fffffff);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* more entries than the directory can hold */
    b[o.eocd_offset + 8] = b[o.eocd_offset + 10] = 200;
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* entry data beyond the file: central sizes lie */
    wr32(b + o.cd_offset + 20, 0x10000000);
    wr32(b + o.cd_offset + 24, 0x10000000);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "beyond the file") != NULL);
    RESET();
    /* local header offset beyond the file */
    wr32(b + o.cd_offset + 42, (uint32_t)o.size + 10);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* local header offset pointing at garbage */
    wr32(b + o.cd_offset + 42, 5);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* name length overruns the directory */
    b[o.cd_offset + 28] = 0xff, b[o.cd_offset + 29] = 0xff;
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* bad central signature */
    b[o.cd_offset] = 'X';
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    /* multi-disk */
    b[o.eocd_offset + 4] = 1;
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_UNSUPPORTED);
    RESET();
    /* ZIP64 markers without the ZIP64 records */
    wr32(b + o.eocd_offset + 16, 0xffffffffu);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    RESET();
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK);
    a2a_zip_close(&z);
    /* stored entry whose compressed and uncompressed sizes disagree */
    wr32(b + o.cd_offset + 24, 3);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK);
    const uint8_t *d;
    size_t n;
    CHECK_EQ_INT(a2a_zip_entry_data(ctx, &z, &z.entries[0], &d, &n), A2A_ERR_FORMAT);
    a2a_zip_close(&z);
#undef RESET
    free(save);
    free(o.buf);

    /* duplicate names */
    zb_entry dup[2] = {{"a", "1", 1, 0}, {"a", "2", 1, 0}};
    o = zb_build(dup, 2, 0, NULL);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "duplicate") != NULL);
    free(o.buf);
    a2a_ctx_free(ctx);
}

TEST(test_hostile_zip64) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_zip z;
    zb_out o = zb_build(k_entries, 3, 1, NULL);
    uint8_t *b = o.buf;
    size_t x0 = o.cd_offset + 46 + strlen(k_entries[0].name) + 4; /* entry 0's ZIP64 fields */
    /* lying ZIP64 sizes */
    wr64(b + x0, (uint64_t)1 << 40);
    wr64(b + x0 + 8, (uint64_t)1 << 40);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + x0, UINT64_MAX);
    wr64(b + x0 + 8, UINT64_MAX);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + x0, 7);
    wr64(b + x0 + 8, 7);
    /* lying ZIP64 local header offset */
    wr64(b + x0 + 16, UINT64_MAX - 3);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + x0 + 16, 0);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK);
    a2a_zip_close(&z);
    /* ZIP64 extra field too short */
    b[x0 - 2] = 8;
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    b[x0 - 2] = 24;
    /* ZIP64 record: directory offset/size beyond the file, huge entry count, bad locator */
    wr64(b + o.eocd64_offset + 48, (uint64_t)1 << 50);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + o.eocd64_offset + 48, o.cd_offset);
    wr64(b + o.eocd64_offset + 40, UINT64_MAX);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + o.eocd64_offset + 40, o.eocd64_offset - o.cd_offset);
    wr64(b + o.eocd64_offset + 24, UINT64_MAX);
    wr64(b + o.eocd64_offset + 32, UINT64_MAX);
    CHECK(zb_open(ctx, &o, &z) != A2A_OK);
    wr64(b + o.eocd64_offset + 24, 3);
    wr64(b + o.eocd64_offset + 32, 3);
    wr64(b + o.eocd64_offset + 56 + 8, UINT64_MAX - 10); /* locator's record offset */
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_ERR_FORMAT);
    wr64(b + o.eocd64_offset + 56 + 8, o.eocd64_offset);
    CHECK_EQ_INT(zb_open(ctx, &o, &z), A2A_OK);
    a2a_zip_close(&z);
    free(o.buf);
    a2a_ctx_free(ctx);
}

TEST(test_every_prefix) {
    /* every truncation of small archives (plain and ZIP64) fails cleanly, never crashes */
    a2a_ctx *ctx = a2a_ctx_new();
    int ok = 0;
    for (int zip64 = 0; zip64 <= 1; zip64++) {
        zb_out o = zb_build(k_entries, 3, zip64, NULL);
        for (size_t n = 0; n < o.size; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, o.buf, n);
            a2a_zip z;
            if (a2a_zip_open(ctx, copy, n, &z) == A2A_OK) ok++, a2a_zip_close(&z);
            free(copy);
        }
        free(o.buf);
    }
    CHECK_EQ_INT(ok, 0);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_stored_entries, test_golden_checkpoint_zip, test_compressed_entry, test_hostile_archives, test_hostile_zip64,
          test_every_prefix)
