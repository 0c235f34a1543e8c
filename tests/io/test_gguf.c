/* GGUF reader and writer: round trips of every value type and several tensor types, the real
   llama-spm vocab file, a file written by the Python gguf package, and one hostile file per
   failure mode (each must fail with the right status and a message naming the problem). */
#include "a2a_test.h"
#include "io/gguf.h"

#include <unistd.h>

/* ---------------------------------------------------------------- byte builder */

typedef struct bb { uint8_t *p; size_t len, cap; } bb;

static void bb_put(bb *b, const void *d, size_t n) {
    if (b->len + n > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256);
        while (nc < b->len + n) nc *= 2;
        b->p = realloc(b->p, nc);
        b->cap = nc;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}
static void bb_u8(bb *b, uint8_t v) { bb_put(b, &v, 1); }
static void bb_u32(bb *b, uint32_t v) { bb_put(b, &v, 4); }
static void bb_u64(bb *b, uint64_t v) { bb_put(b, &v, 8); }
static void bb_str(bb *b, const char *s) { bb_u64(b, strlen(s)); bb_put(b, s, strlen(s)); }
static void bb_zeros(bb *b, size_t n) { for (size_t i = 0; i < n; i++) bb_u8(b, 0); }
static void bb_pad(bb *b, size_t a) { while (b->len % a) bb_u8(b, 0); }

static void hdr(bb *b, uint32_t version, uint64_t nt, uint64_t nkv) {
    bb_put(b, "GGUF", 4);
    bb_u32(b, version);
    bb_u64(b, nt);
    bb_u64(b, nkv);
}
static void kv_u32(bb *b, const char *k, uint32_t v) { bb_str(b, k); bb_u32(b, A2A_GGUF_UINT32); bb_u32(b, v); }
static void tinfo(bb *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t off) {
    bb_str(b, name);
    bb_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) bb_u64(b, ne[d]);
    bb_u32(b, type);
    bb_u64(b, off);
}

/* Open b from memory and check the status and that the message contains `want`. */
static void expect_fail_(bb *b, a2a_status want_st, const char *want, int line) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open_memory(ctx, b->p, b->len, &g);
    const char *msg = a2a_last_error(ctx);
    CHECK_MSG(st == want_st, "line %d: status %d, want %d (%s)", line, (int)st, (int)want_st, msg);
    CHECK_MSG(g == NULL, "line %d: handle returned on failure", line);
    CHECK_MSG(strstr(msg, want) != NULL, "line %d: message '%s' lacks '%s'", line, msg, want);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    free(b->p);
    memset(b, 0, sizeof(*b));
}
#define expect_fail(b, st, want) expect_fail_(b, st, want, __LINE__)

/* ---------------------------------------------------------------- round trip */

static float f32_data[12];
static uint16_t f16_data[8];
static a2a_block_q8_0 q8_data[4];
static a2a_block_q4_K q4k_data[2];
static int32_t i32_data[2 * 1 * 3 * 1 * 2];

/* A writer with every value type and five tensors. */
static a2a_gguf_writer *make_writer(a2a_ctx *ctx, uint32_t alignment) {
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "general.architecture", "llama") == A2A_OK);
    if (alignment) CHECK(a2a_gguf_writer_set_u32(ctx, w, "general.alignment", alignment) == A2A_OK);
    CHECK(a2a_gguf_writer_set_u8(ctx, w, "t.u8", 200) == A2A_OK);
    CHECK(a2a_gguf_writer_set_i8(ctx, w, "t.i8", -100) == A2A_OK);
    CHECK(a2a_gguf_writer_set_u16(ctx, w, "t.u16", 60000) == A2A_OK);
    CHECK(a2a_gguf_writer_set_i16(ctx, w, "t.i16", -30000) == A2A_OK);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "t.u32", 4000000000u) == A2A_OK);
    CHECK(a2a_gguf_writer_set_i32(ctx, w, "t.i32", -2000000000) == A2A_OK);
    CHECK(a2a_gguf_writer_set_u64(ctx, w, "t.u64", 18000000000000000000ull) == A2A_OK);
    CHECK(a2a_gguf_writer_set_i64(ctx, w, "t.i64", -9000000000000000000ll) == A2A_OK);
    CHECK(a2a_gguf_writer_set_f32(ctx, w, "t.f32", 1.5f) == A2A_OK);
    CHECK(a2a_gguf_writer_set_f64(ctx, w, "t.f64", 0.1) == A2A_OK);
    CHECK(a2a_gguf_writer_set_bool(ctx, w, "t.bool", true) == A2A_OK);
    CHECK(a2a_gguf_writer_set_strn(ctx, w, "t.str0", "a\0b", 3) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "t.utf8", "h\xc3\xa9llo \xe2\x96\x81") == A2A_OK);
    int32_t ai[5] = {1, -2, 3, -4, 5};
    CHECK(a2a_gguf_writer_set_arr(ctx, w, "t.arr_i32", A2A_GGUF_INT32, ai, 5) == A2A_OK);
    float af[3] = {0.5f, -1.25f, 3.0f};
    CHECK(a2a_gguf_writer_set_arr(ctx, w, "t.arr_f32", A2A_GGUF_FLOAT32, af, 3) == A2A_OK);
    uint8_t ab[2] = {1, 0};
    CHECK(a2a_gguf_writer_set_arr(ctx, w, "t.arr_bool", A2A_GGUF_BOOL, ab, 2) == A2A_OK);
    CHECK(a2a_gguf_writer_set_arr(ctx, w, "t.arr_empty", A2A_GGUF_UINT64, NULL, 0) == A2A_OK);
    const char *strs[3] = {"<unk>", "", "\xe2\x96\x81the"};
    CHECK(a2a_gguf_writer_set_arr_str(ctx, w, "t.arr_str", strs, 3) == A2A_OK);
    /* replacing a key keeps one entry */
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "t.replace", 1) == A2A_OK);
    CHECK(a2a_gguf_writer_set_str(ctx, w, "t.replace", "two") == A2A_OK);

    for (int i = 0; i < 12; i++) f32_data[i] = (float)i * 0.25f - 1.0f;
    for (int i = 0; i < 8; i++) f16_data[i] = a2a_f32_to_fp16((float)i);
    for (size_t i = 0; i < sizeof(q8_data); i++) ((uint8_t *)q8_data)[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof(q4k_data); i++) ((uint8_t *)q4k_data)[i] = (uint8_t)(i * 13);
    for (int i = 0; i < 12; i++) i32_data[i] = i - 6;
    int64_t ne_f32[2] = {4, 3}, ne_f16[1] = {8}, ne_q8[2] = {64, 2}, ne_q4k[2] = {256, 2}, ne_i32[5] = {2, 1, 3, 1, 2};
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "a.f32", A2A_TYPE_F32, 2, ne_f32, f32_data) == A2A_OK);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "b.f16", A2A_TYPE_F16, 1, ne_f16, f16_data) == A2A_OK);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "c.q8_0", A2A_TYPE_Q8_0, 2, ne_q8, q8_data) == A2A_OK);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "d.q4_K", A2A_TYPE_Q4_K, 2, ne_q4k, q4k_data) == A2A_OK);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "e.i32.5d", A2A_TYPE_I32, 5, ne_i32, i32_data) == A2A_OK);
    return w;
}

/* Check everything make_writer put in. */
static void verify(a2a_ctx *ctx, const a2a_gguf *g, size_t alignment) {
    CHECK_EQ_INT(a2a_gguf_version(g), 3);
    CHECK_EQ_INT(a2a_gguf_alignment(g), alignment);
    CHECK_EQ_INT(a2a_gguf_data_offset(g) % alignment, 0);
    uint32_t u32; int32_t i32; uint64_t u64; int64_t i64; float f; double d; bool b;
    const char *s; size_t len;
    CHECK(a2a_gguf_get_str(ctx, g, "general.architecture", &s, &len) == A2A_OK && len == 5 && !memcmp(s, "llama", 5));
    CHECK(a2a_gguf_get_u32(ctx, g, "t.u8", &u32) == A2A_OK && u32 == 200);
    CHECK(a2a_gguf_get_i32(ctx, g, "t.i8", &i32) == A2A_OK && i32 == -100);
    CHECK(a2a_gguf_get_u32(ctx, g, "t.u16", &u32) == A2A_OK && u32 == 60000);
    CHECK(a2a_gguf_get_i64(ctx, g, "t.i16", &i64) == A2A_OK && i64 == -30000);
    CHECK(a2a_gguf_get_u32(ctx, g, "t.u32", &u32) == A2A_OK && u32 == 4000000000u);
    CHECK(a2a_gguf_get_i32(ctx, g, "t.i32", &i32) == A2A_OK && i32 == -2000000000);
    CHECK(a2a_gguf_get_u64(ctx, g, "t.u64", &u64) == A2A_OK && u64 == 18000000000000000000ull);
    CHECK(a2a_gguf_get_i64(ctx, g, "t.i64", &i64) == A2A_OK && i64 == -9000000000000000000ll);
    CHECK(a2a_gguf_get_f32(ctx, g, "t.f32", &f) == A2A_OK && f == 1.5f);
    CHECK(a2a_gguf_get_f64(ctx, g, "t.f64", &d) == A2A_OK && d == 0.1);
    CHECK(a2a_gguf_get_bool(ctx, g, "t.bool", &b) == A2A_OK && b);
    CHECK(a2a_gguf_get_str(ctx, g, "t.str0", &s, &len) == A2A_OK && len == 3 && !memcmp(s, "a\0b", 3));
    CHECK(a2a_gguf_get_str(ctx, g, "t.replace", &s, &len) == A2A_OK && len == 3 && !memcmp(s, "two", 3));
    CHECK_EQ_INT(a2a_gguf_kv_type(g, a2a_gguf_find_key(g, "t.utf8")), A2A_GGUF_STRING);
    /* arrays */
    a2a_gguf_vtype et; uint64_t cnt; const void *data;
    CHECK(a2a_gguf_get_arr(ctx, g, "t.arr_i32", &et, &cnt, &data) == A2A_OK && et == A2A_GGUF_INT32 && cnt == 5);
    if (cnt == 5) { int32_t v[5]; memcpy(v, data, sizeof(v)); CHECK(v[0] == 1 && v[1] == -2 && v[4] == 5); }
    CHECK(a2a_gguf_get_arr(ctx, g, "t.arr_f32", &et, &cnt, &data) == A2A_OK && et == A2A_GGUF_FLOAT32 && cnt == 3);
    if (cnt == 3) { float v[3]; memcpy(v, data, sizeof(v)); CHECK(v[1] == -1.25f); }
    CHECK(a2a_gguf_get_arr(ctx, g, "t.arr_bool", &et, &cnt, &data) == A2A_OK && et == A2A_GGUF_BOOL && cnt == 2);
    CHECK(a2a_gguf_get_arr(ctx, g, "t.arr_empty", &et, &cnt, &data) == A2A_OK && et == A2A_GGUF_UINT64 && cnt == 0);
    CHECK(a2a_gguf_get_arr_info(ctx, g, "t.arr_str", &et, &cnt) == A2A_OK && et == A2A_GGUF_STRING && cnt == 3);
    s = a2a_gguf_get_arr_str(g, "t.arr_str", 0, &len);
    CHECK(s && len == 5 && !memcmp(s, "<unk>", 5));
    s = a2a_gguf_get_arr_str(g, "t.arr_str", 1, &len);
    CHECK(s && len == 0);
    s = a2a_gguf_get_arr_str(g, "t.arr_str", 2, &len);
    CHECK(s && len == 6 && !memcmp(s, "\xe2\x96\x81the", 6));
    CHECK(a2a_gguf_get_arr_str(g, "t.arr_str", 3, &len) == NULL);
    CHECK(a2a_gguf_get_arr_str(g, "t.arr_i32", 0, &len) == NULL);
    /* tensors */
    CHECK_EQ_INT(a2a_gguf_n_tensors(g), 5);
    const a2a_tensor *t = a2a_gguf_find_tensor(g, "a.f32");
    CHECK(t && t->type == A2A_TYPE_F32 && t->n_dims == 2 && t->ne[0] == 4 && t->ne[1] == 3 && t->nb[1] == 16);
    if (t) CHECK(memcmp(t->data, f32_data, sizeof(f32_data)) == 0);
    t = a2a_gguf_find_tensor(g, "b.f16");
    CHECK(t && t->type == A2A_TYPE_F16 && t->ne[0] == 8 && !memcmp(t->data, f16_data, sizeof(f16_data)));
    t = a2a_gguf_find_tensor(g, "c.q8_0");
    CHECK(t && t->type == A2A_TYPE_Q8_0 && t->ne[0] == 64 && t->ne[1] == 2 && !memcmp(t->data, q8_data, sizeof(q8_data)));
    t = a2a_gguf_find_tensor(g, "d.q4_K");
    CHECK(t && t->type == A2A_TYPE_Q4_K && t->nb[1] == 144 && !memcmp(t->data, q4k_data, sizeof(q4k_data)));
    t = a2a_gguf_find_tensor(g, "e.i32.5d");
    CHECK(t && t->n_dims == 5 && t->ne[4] == 2 && t->ne[2] == 3 && !memcmp(t->data, i32_data, sizeof(i32_data)));
    CHECK(a2a_gguf_find_tensor(g, "missing") == NULL);
    for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
        CHECK_EQ_INT(a2a_gguf_tensor_offset(g, i) % alignment, 0);
        CHECK_EQ_INT(((const uint8_t *)a2a_gguf_tensor(g, i)->data - (const uint8_t *)a2a_gguf_tensor(g, 0)->data) %
                         alignment, 0);
    }
    CHECK(a2a_gguf_tensor(g, 5) == NULL && a2a_gguf_tensor(g, -1) == NULL);
}

TEST(test_roundtrip_file) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = make_writer(ctx, 0);
    const char *path = "test_gguf_roundtrip.gguf";
    CHECK(a2a_gguf_writer_write(ctx, w, path) == A2A_OK);
    CHECK(a2a_test_no_temp_files(path)); /* renamed away */
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(ctx, path, &g);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (g) verify(ctx, g, 32);
    a2a_gguf_close(g);
    remove(path);
    a2a_ctx_free(ctx);
}

TEST(test_roundtrip_alignment) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = make_writer(ctx, 64);
    void *buf = NULL;
    size_t size = 0;
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &buf, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open_memory(ctx, buf, size, &g) == A2A_OK);
    if (g) verify(ctx, g, 64);
    a2a_gguf_close(g);
    free(buf);
    a2a_ctx_free(ctx);
}

TEST(test_getter_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = make_writer(ctx, 0);
    CHECK(a2a_gguf_writer_set_i32(ctx, w, "t.neg", -1) == A2A_OK);
    void *buf = NULL;
    size_t size = 0;
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &buf, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open_memory(ctx, buf, size, &g) == A2A_OK);
    if (g) {
        uint32_t u32; int32_t i32; int64_t i64; float f; bool b; const char *s; size_t len;
        a2a_gguf_vtype et; uint64_t cnt; const void *data;
        CHECK(a2a_gguf_get_u32(ctx, g, "nope", &u32) == A2A_ERR_NOT_FOUND);
        CHECK(strstr(a2a_last_error(ctx), "'nope' not found"));
        CHECK(a2a_gguf_get_u32(ctx, g, "t.str0", &u32) == A2A_ERR_FORMAT);
        CHECK(strstr(a2a_last_error(ctx), "t.str0") && strstr(a2a_last_error(ctx), "str"));
        CHECK(a2a_gguf_get_u32(ctx, g, "t.neg", &u32) == A2A_ERR_FORMAT);
        CHECK(strstr(a2a_last_error(ctx), "does not fit u32"));
        CHECK(a2a_gguf_get_i32(ctx, g, "t.u32", &i32) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_i64(ctx, g, "t.u64", &i64) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_i32(ctx, g, "t.f32", &i32) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_f32(ctx, g, "t.u32", &f) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_bool(ctx, g, "t.u8", &b) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_str(ctx, g, "t.u8", &s, &len) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_arr(ctx, g, "t.u8", &et, &cnt, &data) == A2A_ERR_FORMAT);
        CHECK(a2a_gguf_get_arr(ctx, g, "t.arr_str", &et, &cnt, &data) == A2A_ERR_FORMAT);
        CHECK(strstr(a2a_last_error(ctx), "numeric array"));
        CHECK(a2a_gguf_get_u32(NULL, g, "nope", &u32) == A2A_ERR_NOT_FOUND); /* NULL ctx is fine */
    }
    a2a_gguf_close(g);
    free(buf);
    a2a_ctx_free(ctx);
}

TEST(test_writer_errors) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    int64_t ne[2] = {33, 1};
    float buf[64] = {0};
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "q", A2A_TYPE_Q8_0, 1, ne, buf) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "block size"));
    ne[0] = 4;
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "x", A2A_TYPE_F32, 1, ne, buf) == A2A_OK);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "x", A2A_TYPE_F32, 1, ne, buf) == A2A_ERR_INVALID_ARG);
    CHECK(strstr(a2a_last_error(ctx), "duplicate tensor name 'x'"));
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "y", (a2a_type)4, 1, ne, buf) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_add_tensor(ctx, w, "z", A2A_TYPE_F32, 6, ne, buf) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "general.alignment", 3) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "general.alignment", 0) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_u64(ctx, w, "general.alignment", 64) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "", 1) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_u32(ctx, w, "bad\xff", 1) == A2A_ERR_INVALID_ARG);
    CHECK(a2a_gguf_writer_set_arr(ctx, w, "a", A2A_GGUF_STRING, buf, 1) == A2A_ERR_INVALID_ARG);
    /* writing into a missing directory fails and leaves nothing behind */
    CHECK(a2a_gguf_writer_write(ctx, w, "no/such/dir/out.gguf") == A2A_ERR_IO);
    CHECK(strstr(a2a_last_error(ctx), "cannot create"));
    CHECK(access("no/such/dir/out.gguf", F_OK) != 0);
    a2a_gguf_writer_free(w);
    a2a_ctx_free(ctx);
}

/* ---------------------------------------------------------------- real files */

TEST(test_real_vocab_llama_spm) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(ctx, A2A_SHARED_DIR "/fixtures/vocab/ggml-vocab-llama-spm.gguf", &g);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (g) {
        const char *s;
        size_t len;
        CHECK(a2a_gguf_get_str(ctx, g, "tokenizer.ggml.model", &s, &len) == A2A_OK && len == 5 &&
              !memcmp(s, "llama", 5));
        a2a_gguf_vtype et;
        uint64_t cnt;
        CHECK(a2a_gguf_get_arr_info(ctx, g, "tokenizer.ggml.tokens", &et, &cnt) == A2A_OK);
        CHECK(et == A2A_GGUF_STRING && cnt == 32000);
        s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 0, &len);
        CHECK(s && len == 5 && !memcmp(s, "<unk>", 5));
        s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 31999, &len);
        CHECK(s != NULL);
        const void *data;
        CHECK(a2a_gguf_get_arr(ctx, g, "tokenizer.ggml.scores", &et, &cnt, &data) == A2A_OK);
        CHECK(et == A2A_GGUF_FLOAT32 && cnt == 32000);
        uint32_t bos;
        CHECK(a2a_gguf_get_u32(ctx, g, "tokenizer.ggml.bos_token_id", &bos) == A2A_OK && bos == 1);
        CHECK_EQ_INT(a2a_gguf_n_tensors(g), 0);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
}

/* tests/golden/io/py_sample.gguf, written by tools/ref/make_golden_io.py with the gguf package. */
TEST(test_python_written_file) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    a2a_status st = a2a_gguf_open(ctx, A2A_SOURCE_DIR "/tests/golden/io/py_sample.gguf", &g);
    CHECK_MSG(st == A2A_OK, "%s", a2a_last_error(ctx));
    if (g) {
        const char *s;
        size_t len;
        uint32_t u32;
        float f;
        bool b;
        CHECK(a2a_gguf_get_str(ctx, g, "general.architecture", &s, &len) == A2A_OK && len == 5 &&
              !memcmp(s, "llama", 5));
        CHECK(a2a_gguf_get_u32(ctx, g, "llama.block_count", &u32) == A2A_OK && u32 == 2);
        CHECK(a2a_gguf_get_f32(ctx, g, "llama.attention.layer_norm_rms_epsilon", &f) == A2A_OK && f == 1e-5f);
        CHECK(a2a_gguf_get_bool(ctx, g, "sample.flag", &b) == A2A_OK && b);
        s = a2a_gguf_get_arr_str(g, "tokenizer.ggml.tokens", 2, &len);
        CHECK(s && len == 2 && !memcmp(s, "hi", 2));
        const a2a_tensor *t = a2a_gguf_find_tensor(g, "token_embd.weight");
        /* numpy shape (5, 8) -> ggml ne [8, 5]; values arange(40) * 0.5 */
        CHECK(t && t->type == A2A_TYPE_F32 && t->ne[0] == 8 && t->ne[1] == 5);
        if (t) {
            float v[40];
            memcpy(v, t->data, sizeof(v));
            CHECK(v[0] == 0.0f && v[9] == 4.5f && v[39] == 19.5f);
        }
        t = a2a_gguf_find_tensor(g, "blk.0.ffn.weight");
        CHECK(t && t->type == A2A_TYPE_F16 && t->ne[0] == 16 && t->ne[1] == 3 && t->ne[2] == 2);
        if (t) {
            uint16_t h;
            memcpy(&h, (const uint8_t *)t->data + 2 * 5, 2);
            CHECK(a2a_fp16_to_f32(h) == 5.0f);
        }
        t = a2a_gguf_find_tensor(g, "blk.0.ids");
        CHECK(t && t->type == A2A_TYPE_I32 && t->ne[0] == 7);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
}

/* Copy every entry and tensor of g into a new writer (a generic GGUF rewrite). */
static a2a_gguf_writer *copy_to_writer(a2a_ctx *ctx, const a2a_gguf *g) {
    a2a_gguf_writer *w = NULL;
    CHECK(a2a_gguf_writer_new(ctx, &w) == A2A_OK);
    for (int64_t i = 0; i < a2a_gguf_n_kv(g); i++) {
        const char *key = a2a_gguf_key(g, i);
        a2a_gguf_vtype vt = a2a_gguf_kv_type(g, i);
        int64_t s = 0;
        uint64_t u = 0;
        double f = 0;
        a2a_status st = A2A_ERR_INTERNAL;
        if (vt == A2A_GGUF_STRING) {
            size_t len = 0;
            const char *v = a2a_gguf_kv_str(g, i, &len);
            st = a2a_gguf_writer_set_strn(ctx, w, key, v, len);
        } else if (vt == A2A_GGUF_ARRAY) {
            a2a_gguf_vtype et;
            uint64_t cnt;
            const void *data;
            CHECK(a2a_gguf_kv_arr(g, i, &et, &cnt, &data));
            if (et == A2A_GGUF_STRING) {
                char **strs = calloc(cnt ? cnt : 1, sizeof(char *));
                for (uint64_t k = 0; k < cnt; k++) {
                    size_t len = 0;
                    const char *v = a2a_gguf_kv_arr_str(g, i, k, &len);
                    strs[k] = calloc(len + 1, 1);
                    memcpy(strs[k], v, len);
                }
                st = a2a_gguf_writer_set_arr_str(ctx, w, key, (const char *const *)strs, cnt);
                for (uint64_t k = 0; k < cnt; k++) free(strs[k]);
                free(strs);
            } else {
                st = a2a_gguf_writer_set_arr(ctx, w, key, et, data, cnt);
            }
        } else {
            CHECK(a2a_gguf_kv_scalar(g, i, &s, &u, &f));
            switch (vt) {
            case A2A_GGUF_UINT8: st = a2a_gguf_writer_set_u8(ctx, w, key, (uint8_t)s); break;
            case A2A_GGUF_INT8: st = a2a_gguf_writer_set_i8(ctx, w, key, (int8_t)s); break;
            case A2A_GGUF_UINT16: st = a2a_gguf_writer_set_u16(ctx, w, key, (uint16_t)s); break;
            case A2A_GGUF_INT16: st = a2a_gguf_writer_set_i16(ctx, w, key, (int16_t)s); break;
            case A2A_GGUF_UINT32: st = a2a_gguf_writer_set_u32(ctx, w, key, (uint32_t)s); break;
            case A2A_GGUF_INT32: st = a2a_gguf_writer_set_i32(ctx, w, key, (int32_t)s); break;
            case A2A_GGUF_UINT64: st = a2a_gguf_writer_set_u64(ctx, w, key, u); break;
            case A2A_GGUF_INT64: st = a2a_gguf_writer_set_i64(ctx, w, key, s); break;
            case A2A_GGUF_FLOAT32: st = a2a_gguf_writer_set_f32(ctx, w, key, (float)f); break;
            case A2A_GGUF_FLOAT64: st = a2a_gguf_writer_set_f64(ctx, w, key, f); break;
            case A2A_GGUF_BOOL: st = a2a_gguf_writer_set_bool(ctx, w, key, s != 0); break;
            default: break;
            }
        }
        CHECK_MSG(st == A2A_OK, "copy of '%s': %s", key, a2a_last_error(ctx));
    }
    for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
        const a2a_tensor *t = a2a_gguf_tensor(g, i);
        CHECK(a2a_gguf_writer_add_tensor(ctx, w, t->name, t->type, t->n_dims, t->ne, t->data) == A2A_OK);
    }
    return w;
}

/* Our writer reproduces the Python gguf package's file byte for byte, and the real vocab file too. */
TEST(test_rewrite_is_byte_identical) {
    const char *files[3] = {A2A_SOURCE_DIR "/tests/golden/io/py_sample.gguf",
                            A2A_SHARED_DIR "/fixtures/vocab/ggml-vocab-llama-spm.gguf",
                            A2A_SHARED_DIR "/fixtures/vocab/ggml-vocab-gpt-2.gguf"};
    for (int f = 0; f < 3; f++) {
        a2a_ctx *ctx = a2a_ctx_new();
        size_t size = 0;
        uint8_t *orig = a2a_test_read_file(files[f], &size);
        CHECK(orig != NULL);
        a2a_gguf *g = NULL;
        CHECK(orig && a2a_gguf_open_memory(ctx, orig, size, &g) == A2A_OK);
        if (g) {
            a2a_gguf_writer *w = copy_to_writer(ctx, g);
            void *buf = NULL;
            size_t n = 0;
            CHECK(a2a_gguf_writer_write_memory(ctx, w, &buf, &n) == A2A_OK);
            CHECK_MSG(n == size && memcmp(buf, orig, n) == 0, "%s: %zu vs %zu bytes", files[f], n, size);
            free(buf);
            a2a_gguf_writer_free(w);
        }
        a2a_gguf_close(g);
        free(orig);
        a2a_ctx_free(ctx);
    }
}

/* ---------------------------------------------------------------- hostile files */

/* Every prefix of a small valid file fails cleanly (or, past the last tensor byte, opens). */
TEST(test_truncation_every_byte) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf_writer *w = make_writer(ctx, 0);
    void *buf = NULL;
    size_t size = 0;
    CHECK(a2a_gguf_writer_write_memory(ctx, w, &buf, &size) == A2A_OK);
    a2a_gguf_writer_free(w);
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open_memory(ctx, buf, size, &g) == A2A_OK);
    size_t need = 0;
    if (g) {
        for (int64_t i = 0; i < a2a_gguf_n_tensors(g); i++) {
            size_t end = a2a_gguf_data_offset(g) + (size_t)a2a_gguf_tensor_offset(g, i) + a2a_gguf_tensor_size(g, i);
            if (end > need) need = end;
        }
    }
    a2a_gguf_close(g);
    int bad = 0;
    for (size_t n = 0; n < size; n++) {
        g = NULL;
        a2a_status st = a2a_gguf_open_memory(ctx, buf, n, &g);
        bool ok = n >= need ? st == A2A_OK : (st == A2A_ERR_FORMAT && g == NULL && a2a_last_error(ctx)[0]);
        if (!ok) {
            if (bad++ < 5) fprintf(stderr, "prefix %zu: status %d: %s\n", n, (int)st, a2a_last_error(ctx));
        }
        a2a_gguf_close(g);
    }
    CHECK_EQ_INT(bad, 0);
    free(buf);
    a2a_ctx_free(ctx);
}

TEST(test_bad_magic_and_version) {
    bb b = {0};
    bb_put(&b, "GGUX", 4); bb_u32(&b, 3); bb_u64(&b, 0); bb_u64(&b, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "bad magic");
    hdr(&b, 1, 0, 0);
    expect_fail(&b, A2A_ERR_UNSUPPORTED, "version 1");
    hdr(&b, 4, 0, 0);
    expect_fail(&b, A2A_ERR_UNSUPPORTED, "unsupported version 4");
    hdr(&b, 0x03000000u, 0, 0);
    expect_fail(&b, A2A_ERR_UNSUPPORTED, "big-endian");
    /* version 2 and an empty v3 file are fine */
    a2a_ctx *ctx = a2a_ctx_new();
    for (uint32_t v = 2; v <= 3; v++) {
        hdr(&b, v, 0, 0);
        a2a_gguf *g = NULL;
        CHECK(a2a_gguf_open_memory(ctx, b.p, b.len, &g) == A2A_OK);
        CHECK(g && a2a_gguf_version(g) == v && a2a_gguf_n_kv(g) == 0);
        a2a_gguf_close(g);
        free(b.p);
        memset(&b, 0, sizeof(b));
    }
    a2a_ctx_free(ctx);
}

TEST(test_lying_counts) {
    bb b = {0};
    hdr(&b, 3, 1ull << 60, 0);
    bb_zeros(&b, 64);
    expect_fail(&b, A2A_ERR_FORMAT, "claims 1152921504606846976 tensors");
    hdr(&b, 3, 0, 1ull << 60);
    bb_zeros(&b, 64);
    expect_fail(&b, A2A_ERR_FORMAT, "claims 1152921504606846976 metadata entries");
    /* an array whose count lies */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "tok"); bb_u32(&b, A2A_GGUF_ARRAY); bb_u32(&b, A2A_GGUF_UINT32); bb_u64(&b, 1ull << 61);
    bb_zeros(&b, 16);
    expect_fail(&b, A2A_ERR_FORMAT, "key 'tok' claims an array of 2305843009213693952 u32");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "toks"); bb_u32(&b, A2A_GGUF_ARRAY); bb_u32(&b, A2A_GGUF_STRING); bb_u64(&b, 1ull << 40);
    bb_zeros(&b, 16);
    expect_fail(&b, A2A_ERR_FORMAT, "key 'toks' claims an array of 1099511627776 str");
}

TEST(test_huge_string_length) {
    bb b = {0};
    hdr(&b, 3, 0, 1);
    bb_u64(&b, 1ull << 62); bb_put(&b, "key", 3);
    bb_zeros(&b, 16);
    expect_fail(&b, A2A_ERR_FORMAT, "string length of 4611686018427387904");
    /* string value */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "k"); bb_u32(&b, A2A_GGUF_STRING); bb_u64(&b, UINT64_MAX);
    expect_fail(&b, A2A_ERR_FORMAT, "string length of 18446744073709551615");
    /* string array element */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "k"); bb_u32(&b, A2A_GGUF_ARRAY); bb_u32(&b, A2A_GGUF_STRING); bb_u64(&b, 2);
    bb_str(&b, "ok"); bb_u64(&b, 1000);
    expect_fail(&b, A2A_ERR_FORMAT, "element 1");
}

TEST(test_bad_tensor_shapes_and_types) {
    bb b = {0};
    uint64_t ne3[3] = {1ull << 32, 1ull << 32, 1ull << 32};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "big", 3, ne3, A2A_TYPE_F32, 0);
    bb_pad(&b, 32); bb_zeros(&b, 32);
    expect_fail(&b, A2A_ERR_FORMAT, "tensor 'big' shape [4294967296, 4294967296, 4294967296");
    uint64_t ne2[2] = {1ull << 40, 1ull << 22}; /* 2^62 elements: fits int64, bytes overflow */
    hdr(&b, 3, 1, 0);
    tinfo(&b, "big2", 2, ne2, A2A_TYPE_F32, 0);
    bb_pad(&b, 32); bb_zeros(&b, 32);
    expect_fail(&b, A2A_ERR_FORMAT, "'big2' byte size overflows");
    uint64_t neg[1] = {UINT64_MAX};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "neg", 1, neg, A2A_TYPE_F32, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "negative");
    uint64_t ne33[2] = {33, 2};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "blk.0.attn_q.weight", 2, ne33, A2A_TYPE_Q8_0, 0);
    bb_pad(&b, 32); bb_zeros(&b, 128);
    expect_fail(&b, A2A_ERR_FORMAT, "'blk.0.attn_q.weight' of type q8_0 has ne[0] = 33, not a multiple of the block size 32");
    uint64_t ne4[1] = {4};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne4, 4, 0); /* removed ggml id */
    bb_pad(&b, 32); bb_zeros(&b, 32);
    expect_fail(&b, A2A_ERR_UNSUPPORTED, "tensor 't' has unknown type id 4");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "t", 1, ne4, 1000, 0);
    expect_fail(&b, A2A_ERR_UNSUPPORTED, "unknown type id 1000");
    uint64_t ne6[6] = {1, 1, 1, 1, 1, 1};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "six", 6, ne6, A2A_TYPE_F32, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "tensor 'six' has 6 dimensions");
}

TEST(test_bad_tensor_placement) {
    bb b = {0};
    uint64_t ne[1] = {1024};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "blk.0.attn_q.weight", 1, ne, A2A_TYPE_F32, 0);
    bb_pad(&b, 32); bb_zeros(&b, 100);
    expect_fail(&b, A2A_ERR_FORMAT, "tensor 'blk.0.attn_q.weight' data [offset 0, +4096) lies beyond the end of the file");
    uint64_t ne16[1] = {16};
    hdr(&b, 3, 1, 0);
    tinfo(&b, "far", 1, ne16, A2A_TYPE_F32, 1ull << 62);
    bb_pad(&b, 32); bb_zeros(&b, 64);
    expect_fail(&b, A2A_ERR_FORMAT, "'far' data [offset 4611686018427387904, +64) lies beyond");
    hdr(&b, 3, 2, 0);
    tinfo(&b, "a", 1, ne16, A2A_TYPE_F32, 0);
    tinfo(&b, "b", 1, ne16, A2A_TYPE_F32, 32);
    bb_pad(&b, 32); bb_zeros(&b, 128);
    expect_fail(&b, A2A_ERR_FORMAT, "tensors 'a' [offset 0, +64) and 'b' [offset 32, +64) overlap");
    hdr(&b, 3, 1, 0);
    tinfo(&b, "mis", 1, ne16, A2A_TYPE_F32, 4);
    bb_pad(&b, 32); bb_zeros(&b, 128);
    expect_fail(&b, A2A_ERR_FORMAT, "tensor 'mis' data offset 4 is not a multiple of the alignment 32");
    hdr(&b, 3, 2, 0);
    tinfo(&b, "dup", 1, ne16, A2A_TYPE_F32, 0);
    tinfo(&b, "dup", 1, ne16, A2A_TYPE_F32, 64);
    bb_pad(&b, 32); bb_zeros(&b, 128);
    expect_fail(&b, A2A_ERR_FORMAT, "duplicate tensor name 'dup'");
}

TEST(test_bad_alignment) {
    bb b = {0};
    const uint32_t bad[3] = {0, 3, 48};
    for (int i = 0; i < 3; i++) {
        hdr(&b, 3, 0, 1);
        kv_u32(&b, "general.alignment", bad[i]);
        char want[64];
        snprintf(want, sizeof(want), "general.alignment is %u, not a nonzero power of two", bad[i]);
        expect_fail(&b, A2A_ERR_FORMAT, want);
    }
    hdr(&b, 3, 0, 1);
    bb_str(&b, "general.alignment"); bb_u32(&b, A2A_GGUF_STRING); bb_str(&b, "32");
    expect_fail(&b, A2A_ERR_FORMAT, "general.alignment has type str");
    /* alignment 8 is honoured */
    uint64_t ne[1] = {2};
    hdr(&b, 3, 2, 1);
    kv_u32(&b, "general.alignment", 8);
    tinfo(&b, "a", 1, ne, A2A_TYPE_F32, 0);
    tinfo(&b, "b", 1, ne, A2A_TYPE_F32, 8);
    bb_pad(&b, 8); bb_zeros(&b, 16);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open_memory(ctx, b.p, b.len, &g) == A2A_OK);
    CHECK(g && a2a_gguf_alignment(g) == 8);
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    free(b.p);
}

TEST(test_bad_keys_and_values) {
    bb b = {0};
    hdr(&b, 3, 0, 2);
    kv_u32(&b, "dup.key", 1);
    kv_u32(&b, "dup.key", 2);
    expect_fail(&b, A2A_ERR_FORMAT, "duplicate metadata key 'dup.key'");
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "bad\xc3\x28key", 1);
    expect_fail(&b, A2A_ERR_FORMAT, "metadata key 0 at byte 32 is not valid UTF-8");
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "a\x1b[2Jb", 1);
    expect_fail(&b, A2A_ERR_FORMAT, "metadata key 0 at byte 32 contains a control character (0x1b at position 1)");
    hdr(&b, 3, 0, 1);
    bb_u64(&b, 3); bb_put(&b, "a\0b", 3); bb_u32(&b, A2A_GGUF_UINT32); bb_u32(&b, 1);
    expect_fail(&b, A2A_ERR_FORMAT, "control character (0x00 at position 1)");
    hdr(&b, 3, 0, 1);
    kv_u32(&b, "", 1);
    expect_fail(&b, A2A_ERR_FORMAT, "metadata key 0 is empty");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "k"); bb_u32(&b, 13); bb_u32(&b, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "key 'k' has unknown value type 13");
    hdr(&b, 3, 0, 1);
    bb_str(&b, "k"); bb_u32(&b, A2A_GGUF_ARRAY); bb_u32(&b, 77); bb_u64(&b, 1); bb_u32(&b, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "key 'k' is an array of unknown type 77");
    hdr(&b, 3, 1, 0);
    uint64_t ne[1] = {1};
    tinfo(&b, "bad\xff", 1, ne, A2A_TYPE_F32, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "tensor name 0");
}

TEST(test_nested_arrays) {
    /* a shallow nested array is accepted (and skipped over correctly) */
    bb b = {0};
    hdr(&b, 3, 0, 2);
    bb_str(&b, "nest"); bb_u32(&b, A2A_GGUF_ARRAY); bb_u32(&b, A2A_GGUF_ARRAY); bb_u64(&b, 2);
    bb_u32(&b, A2A_GGUF_UINT8); bb_u64(&b, 3); bb_u8(&b, 1); bb_u8(&b, 2); bb_u8(&b, 3);
    bb_u32(&b, A2A_GGUF_STRING); bb_u64(&b, 1); bb_str(&b, "x");
    kv_u32(&b, "after", 7);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_gguf *g = NULL;
    CHECK(a2a_gguf_open_memory(ctx, b.p, b.len, &g) == A2A_OK);
    if (g) {
        uint32_t v = 0;
        CHECK(a2a_gguf_get_u32(ctx, g, "after", &v) == A2A_OK && v == 7);
        a2a_gguf_vtype et;
        uint64_t cnt;
        CHECK(a2a_gguf_get_arr_info(ctx, g, "nest", &et, &cnt) == A2A_OK && et == A2A_GGUF_ARRAY && cnt == 2);
        const void *data;
        CHECK(a2a_gguf_get_arr(ctx, g, "nest", &et, &cnt, &data) == A2A_ERR_FORMAT);
    }
    a2a_gguf_close(g);
    a2a_ctx_free(ctx);
    free(b.p);
    memset(&b, 0, sizeof(b));
    /* a depth bomb: 1000 levels of arrays of one array */
    hdr(&b, 3, 0, 1);
    bb_str(&b, "bomb"); bb_u32(&b, A2A_GGUF_ARRAY);
    for (int i = 0; i < 1000; i++) { bb_u32(&b, A2A_GGUF_ARRAY); bb_u64(&b, 1); }
    bb_u32(&b, A2A_GGUF_UINT8); bb_u64(&b, 0);
    expect_fail(&b, A2A_ERR_FORMAT, "key 'bomb' nests arrays deeper than 8 levels");
}

TEST_MAIN(test_roundtrip_file, test_roundtrip_alignment, test_getter_errors, test_writer_errors,
          test_real_vocab_llama_spm, test_python_written_file, test_rewrite_is_byte_identical, test_truncation_every_byte, test_bad_magic_and_version,
          test_lying_counts, test_huge_string_length, test_bad_tensor_shapes_and_types, test_bad_tensor_placement,
          test_bad_alignment, test_bad_keys_and_values, test_nested_arrays)
