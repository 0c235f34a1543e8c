/* safetensors reader: a file written by the Python safetensors package, and one hostile file per
   failure mode (each must fail with the right status and a message naming the problem). */
#include "a2a_test.h"
#include "io/safetensors.h"
#include "io/weights.h"

/* u64 header length + json + data_len bytes of data (byte i = i & 0xff). Caller frees. */
static uint8_t *st_file(const char *json, size_t data_len, size_t *size) {
    size_t n = strlen(json);
    *size = 8 + n + data_len;
    uint8_t *p = malloc(*size);
    uint64_t hl = n;
    memcpy(p, &hl, 8);
    memcpy(p + 8, json, n);
    for (size_t i = 0; i < data_len; i++) p[8 + n + i] = (uint8_t)i;
    return p;
}

static void expect_fail_(const char *json, size_t data_len, const char *want, int line) {
    size_t size;
    uint8_t *p = st_file(json, data_len, &size);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_safetensors *st = NULL;
    a2a_status s = a2a_safetensors_open_memory(ctx, p, size, &st);
    const char *msg = a2a_last_error(ctx);
    CHECK_MSG(s == A2A_ERR_FORMAT, "line %d: status %d (%s)", line, (int)s, msg);
    CHECK_MSG(st == NULL, "line %d: handle returned on failure", line);
    CHECK_MSG(strstr(msg, want) != NULL, "line %d: message '%s' lacks '%s'", line, msg, want);
    a2a_safetensors_close(st);
    a2a_ctx_free(ctx);
    free(p);
}
#define expect_fail(json, data_len, want) expect_fail_(json, data_len, want, __LINE__)

TEST(test_python_written_file) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_safetensors *st = NULL;
    a2a_status s = a2a_safetensors_open(ctx, A2A_SOURCE_DIR "/tests/golden/io/py_sample.safetensors", &st);
    CHECK_MSG(s == A2A_OK, "%s", a2a_last_error(ctx));
    if (st) {
        CHECK_EQ_INT(a2a_safetensors_n_entries(st), 11);
        CHECK_EQ_INT(a2a_safetensors_n_tensors(st), 9); /* U8 and BOOL are raw entries */
        CHECK(a2a_safetensors_metadata(st, "format") && !strcmp(a2a_safetensors_metadata(st, "format"), "pt"));
        CHECK(a2a_safetensors_metadata(st, "nope") == NULL);
        CHECK_EQ_INT(a2a_safetensors_n_metadata(st), 2);
        const a2a_tensor *t = a2a_safetensors_find_tensor(st, "model.embed.weight");
        /* PyTorch shape (4, 6) -> ne [6, 4] */
        CHECK(t && t->type == A2A_TYPE_F32 && t->n_dims == 2 && t->ne[0] == 6 && t->ne[1] == 4 && t->nb[1] == 24);
        if (t) {
            float v[24];
            memcpy(v, t->data, sizeof(v));
            CHECK(v[0] == 0.0f && v[7] == 1.75f && v[23] == 5.75f);
        }
        t = a2a_safetensors_find_tensor(st, "model.layers.0.w");
        CHECK(t && t->type == A2A_TYPE_F16 && t->ne[0] == 5 && t->ne[1] == 4 && t->ne[2] == 3);
        if (t) {
            uint16_t h;
            memcpy(&h, (const uint8_t *)t->data + 2 * 59, 2);
            CHECK(a2a_fp16_to_f32(h) == 59.0f);
        }
        t = a2a_safetensors_find_tensor(st, "model.ids");
        CHECK(t && t->type == A2A_TYPE_I64 && t->ne[0] == 5);
        if (t) { int64_t v; memcpy(&v, t->data, 8); CHECK(v == -2); }
        t = a2a_safetensors_find_tensor(st, "model.layers.0.b");
        CHECK(t && t->type == A2A_TYPE_F64);
        if (t) { double v; memcpy(&v, (const uint8_t *)t->data + 8, 8); CHECK(v == -2.0); }
        t = a2a_safetensors_find_tensor(st, "model.i32");
        CHECK(t && t->type == A2A_TYPE_I32);
        if (t) { int32_t v; memcpy(&v, (const uint8_t *)t->data + 8, 4); CHECK(v == 70000); }
        t = a2a_safetensors_find_tensor(st, "model.i16");
        CHECK(t && t->type == A2A_TYPE_I16);
        t = a2a_safetensors_find_tensor(st, "model.i8");
        CHECK(t && t->type == A2A_TYPE_I8 && ((const int8_t *)t->data)[2] == 127);
        t = a2a_safetensors_find_tensor(st, "model.scalar");
        CHECK(t && t->n_dims == 1 && t->ne[0] == 1);
        t = a2a_safetensors_find_tensor(st, "model.empty");
        CHECK(t && t->ne[0] == 4 && t->ne[1] == 0);
        CHECK(a2a_safetensors_find_tensor(st, "model.mask") == NULL);
        const a2a_safetensors_entry *e = a2a_safetensors_find_entry(st, "model.mask");
        CHECK(e && !strcmp(e->dtype, "BOOL") && e->n_dims == 1 && e->shape[0] == 3 && e->tensor == NULL);
        e = a2a_safetensors_find_entry(st, "model.u8");
        CHECK(e && !strcmp(e->dtype, "U8") && e->n_dims == 2 && e->shape[0] == 2 && e->shape[1] == 3);
        if (e) CHECK(((const uint8_t *)e->data)[5] == 5);
        for (int64_t i = 0; i < a2a_safetensors_n_tensors(st); i++) {
            const a2a_tensor *ti = a2a_safetensors_tensor(st, i);
            CHECK(ti && ti->name && a2a_safetensors_find_tensor(st, ti->name) == ti);
        }
        CHECK(a2a_safetensors_tensor(st, 9) == NULL);
    }
    a2a_safetensors_close(st);
    /* the same file through the format-detecting opener */
    a2a_weights *w = NULL;
    s = a2a_weights_open(ctx, A2A_SOURCE_DIR "/tests/golden/io/py_sample.safetensors", &w);
    CHECK_MSG(s == A2A_OK, "%s", a2a_last_error(ctx));
    if (w) {
        CHECK(!strcmp(a2a_weights_format_name(w), "safetensors"));
        CHECK_EQ_INT(a2a_weights_n_tensors(w), 9);
        CHECK(a2a_weights_find(w, "model.ids") != NULL);
    }
    a2a_weights_close(w);
    a2a_ctx_free(ctx);
}

TEST(test_weights_detection) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_weights *w = NULL;
    CHECK(a2a_weights_open(ctx, A2A_SOURCE_DIR "/tests/golden/io/py_sample.gguf", &w) == A2A_OK);
    if (w) {
        CHECK(!strcmp(a2a_weights_format_name(w), "gguf"));
        CHECK_EQ_INT(a2a_weights_n_tensors(w), 3);
        CHECK(a2a_weights_find(w, "blk.0.ids") == a2a_weights_tensor(w, 2));
        CHECK(a2a_weights_gguf(w) != NULL && a2a_weights_safetensors(w) == NULL);
    }
    a2a_weights_close(w);
    const char junk[] = "this is not a model file at all";
    CHECK(a2a_weights_open_memory(ctx, junk, sizeof(junk), &w) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "unrecognized file format"));
    const uint8_t legacy[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8};
    CHECK(a2a_weights_open_memory(ctx, legacy, sizeof(legacy), &w) == A2A_ERR_UNSUPPORTED);
    CHECK(strstr(a2a_last_error(ctx), "legacy"));
    CHECK(a2a_weights_open(ctx, "/nonexistent/file.gguf", &w) == A2A_ERR_IO);
    CHECK(a2a_weights_open_memory(ctx, "", 0, &w) == A2A_ERR_UNSUPPORTED);
    a2a_ctx_free(ctx);
}

TEST(test_truncation_every_byte) {
    size_t size = 0;
    uint8_t *p = a2a_test_read_file(A2A_SOURCE_DIR "/tests/golden/io/py_sample.safetensors", &size);
    CHECK(p != NULL && size > 100);
    a2a_ctx *ctx = a2a_ctx_new();
    int bad = 0;
    for (size_t n = 0; p && n < size; n++) {
        a2a_safetensors *st = NULL;
        a2a_status s = a2a_safetensors_open_memory(ctx, p, n, &st);
        if (s != A2A_ERR_FORMAT || st || !a2a_last_error(ctx)[0]) {
            if (bad++ < 5) fprintf(stderr, "prefix %zu: status %d: %s\n", n, (int)s, a2a_last_error(ctx));
        }
        a2a_safetensors_close(st);
    }
    CHECK_EQ_INT(bad, 0);
    free(p);
    a2a_ctx_free(ctx);
}

TEST(test_header_length) {
    uint8_t buf[32] = {0};
    uint64_t hl = 1000;
    memcpy(buf, &hl, 8);
    buf[8] = '{';
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_safetensors *st = NULL;
    CHECK(a2a_safetensors_open_memory(ctx, buf, sizeof(buf), &st) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "header length 1000 exceeds the file (32 bytes)"));
    hl = 1ull << 63;
    memcpy(buf, &hl, 8);
    CHECK(a2a_safetensors_open_memory(ctx, buf, sizeof(buf), &st) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "exceeds the file"));
    CHECK(a2a_safetensors_open_memory(ctx, buf, 5, &st) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "too small"));
    a2a_ctx_free(ctx);
    expect_fail("[1, 2]", 0, "does not start with '{'");
    /* an empty header object is a valid, empty file */
    size_t size;
    uint8_t *p = st_file("{}", 0, &size);
    ctx = a2a_ctx_new();
    CHECK(a2a_safetensors_open_memory(ctx, p, size, &st) == A2A_OK);
    CHECK(st && a2a_safetensors_n_tensors(st) == 0);
    a2a_safetensors_close(st);
    free(p);
    /* trailing spaces after the JSON (the writer's padding) are fine */
    p = st_file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}     ", 8, &size);
    CHECK(a2a_safetensors_open_memory(ctx, p, size, &st) == A2A_OK);
    CHECK(st && a2a_safetensors_n_tensors(st) == 1);
    a2a_safetensors_close(st);
    free(p);
    a2a_ctx_free(ctx);
}

TEST(test_bad_json) {
    expect_fail("{\"a\": {\"dtype\": \"F32\",}}", 0, "json:");
    expect_fail("{\"a\": 1", 0, "json:");
    expect_fail("{\"a\": \"\xff\"}", 0, "invalid UTF-8");
    expect_fail("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                8, "duplicate key");
    expect_fail("{\"a\": [1]}", 0, "tensor 'a' is described by a array");
    expect_fail("{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "tensor 'a' has no 'dtype' string");
    expect_fail("{\"a\": {\"dtype\": \"F32\", \"data_offsets\": [0, 4]}}", 4, "tensor 'a' has no 'shape' array");
    expect_fail("{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}", 4, "tensor 'a' has no 'data_offsets' array");
    expect_fail("{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4, 8]}}", 8, "data_offsets has 3");
    expect_fail("{\"__metadata__\": {\"k\": 1}}", 0, "__metadata__ value of 'k' is not a string");
    expect_fail("{\"__metadata__\": [\"k\"]}", 0, "__metadata__ is a array");
    expect_fail("{\"\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4, "empty tensor name");
    expect_fail("{\"a\\u001b[2J\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
                "tensor name contains a control character (0x1b at position 1)");
    expect_fail("{\"__metadata__\": {\"k\\n\": \"v\"}}", 0, "__metadata__ key 0 contains a control character (0x0a)");
}

TEST(test_bad_entries) {
    expect_fail("{\"w\": {\"dtype\": \"F12\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
                "tensor 'w' has unknown dtype 'F12'");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [-1, 2], \"data_offsets\": [0, 4]}}", 4,
                "tensor 'w' shape[0] is negative (-1)");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [2.5], \"data_offsets\": [0, 4]}}", 4,
                "tensor 'w' shape[0] is not an integer");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 20]}}", 24,
                "tensor 'w' data_offsets [0, 20) hold 20 bytes but shape and dtype F32 need 24");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", 10,
                "tensor 'w' data_offsets [0, 24) lie beyond the end of the data region (10 bytes)");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [9223372036854775800, "
                "9223372036854775804]}}",
                10, "lie beyond the end");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}", 10, "end before begin");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [1099511627776, 1099511627776, 1099511627776], "
                "\"data_offsets\": [0, 4]}}",
                4, "overflow");
    expect_fail("{\"w\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904], \"data_offsets\": [0, 4]}}", 4,
                "overflow");
    expect_fail("{\"a\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]},"
                " \"b\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [8, 24]}}",
                24, "tensors 'a' [0, 16) and 'b' [8, 24) overlap");
    expect_fail("{\"w\": {\"dtype\": \"F4\", \"shape\": [3], \"data_offsets\": [0, 2]}}", 2, "whole bytes");
}

TEST(test_raw_and_high_rank_entries) {
    size_t size;
    uint8_t *p = st_file("{\"hi\": {\"dtype\": \"F32\", \"shape\": [1,1,1,1,1,2], \"data_offsets\": [0, 8]},"
                         " \"f8\": {\"dtype\": \"F8_E4M3\", \"shape\": [4], \"data_offsets\": [8, 12]},"
                         " \"ok\": {\"dtype\": \"BF16\", \"shape\": [2, 2], \"data_offsets\": [16, 24]}}",
                         24, &size);
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_safetensors *st = NULL;
    CHECK(a2a_safetensors_open_memory(ctx, p, size, &st) == A2A_OK);
    if (st) {
        CHECK_EQ_INT(a2a_safetensors_n_entries(st), 3);
        CHECK_EQ_INT(a2a_safetensors_n_tensors(st), 1);
        const a2a_safetensors_entry *e = a2a_safetensors_find_entry(st, "hi");
        CHECK(e && e->n_dims == 6 && e->tensor == NULL);
        const a2a_tensor *t = a2a_safetensors_find_tensor(st, "ok");
        CHECK(t && t->type == A2A_TYPE_BF16 && ((const uint8_t *)t->data)[0] == 16); /* holes are fine */
        CHECK_EQ_INT(a2a_safetensors_tensor_entry(st, 0), 2);
    }
    a2a_safetensors_close(st);
    free(p);
    a2a_ctx_free(ctx);
}

TEST_MAIN(test_python_written_file, test_weights_detection, test_truncation_every_byte, test_header_length,
          test_bad_json, test_bad_entries, test_raw_and_high_rank_entries)
