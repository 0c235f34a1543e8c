/* JSON parser: values and accessors, escapes and UTF-8, strictness, depth limit, error
   positions, large objects (hashed lookup), and the shared string helpers. */
#include "a2a_test.h"
#include "io/json.h"

static a2a_json *parse_ok(const char *text) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse(ctx, text, strlen(text), &doc);
    CHECK_MSG(st == A2A_OK, "'%s': %s", text, a2a_last_error(ctx));
    a2a_ctx_free(ctx);
    return doc;
}

static void expect_err_(const char *text, size_t len, const char *want, int line) {
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_json *doc = NULL;
    a2a_status st = a2a_json_parse(ctx, text, len, &doc);
    CHECK_MSG(st == A2A_ERR_FORMAT && doc == NULL, "line %d: status %d", line, (int)st);
    CHECK_MSG(strstr(a2a_last_error(ctx), want) != NULL, "line %d: message '%s' lacks '%s'", line,
              a2a_last_error(ctx), want);
    a2a_json_free(doc);
    a2a_ctx_free(ctx);
}
#define expect_err(text, want) expect_err_(text, strlen(text), want, __LINE__)

TEST(test_values) {
    a2a_json *doc = parse_ok(" {\"n\": 12, \"neg\": -7, \"f\": 2.5e-1, \"e\": 1E3, \"big\": 18446744073709551616,"
                             " \"min\": -9223372036854775808, \"s\": \"hi\", \"t\": true, \"fa\": false, \"nu\": null,"
                             " \"arr\": [1, [2, 3], {}], \"o\": {\"k\": \"v\"}, \"two\": 2.0} ");
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK(a2a_json_is_object(r) && a2a_json_len(r) == 13);
    int64_t i;
    CHECK(a2a_json_int(a2a_json_get(r, "n"), &i) && i == 12);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_get(r, "neg"), 0), -7);
    CHECK(a2a_json_num(a2a_json_get(r, "f")) == 0.25);
    CHECK(!a2a_json_int(a2a_json_get(r, "f"), &i));
    CHECK(a2a_json_int(a2a_json_get(r, "e"), &i) && i == 1000);
    CHECK(a2a_json_int(a2a_json_get(r, "two"), &i) && i == 2);
    CHECK(!a2a_json_int(a2a_json_get(r, "big"), &i)); /* beyond int64: double only */
    CHECK(a2a_json_num(a2a_json_get(r, "big")) == 18446744073709551616.0);
    CHECK(a2a_json_int(a2a_json_get(r, "min"), &i) && i == INT64_MIN);
    CHECK(!strcmp(a2a_json_str_or(a2a_json_get(r, "s"), "x"), "hi"));
    CHECK(a2a_json_bool_or(a2a_json_get(r, "t"), false) == true);
    CHECK(a2a_json_bool_or(a2a_json_get(r, "fa"), true) == false);
    CHECK(a2a_json_is_null(a2a_json_get(r, "nu")));
    CHECK(a2a_json_get(r, "absent") == NULL);
    const a2a_json_value *arr = a2a_json_get(r, "arr");
    CHECK(a2a_json_is_array(arr) && a2a_json_len(arr) == 3);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_at(a2a_json_at(arr, 1), 1), 0), 3);
    CHECK(a2a_json_is_object(a2a_json_at(arr, 2)) && a2a_json_len(a2a_json_at(arr, 2)) == 0);
    CHECK(a2a_json_at(arr, 3) == NULL);
    CHECK(!strcmp(a2a_json_str(a2a_json_get(a2a_json_get(r, "o"), "k")), "v"));
    CHECK(!strcmp(a2a_json_key_at(r, 0), "n") && a2a_json_key_len(r, 0) == 1);
    /* wrong kinds and NULLs give defaults */
    CHECK(a2a_json_str(a2a_json_get(r, "n")) == NULL);
    CHECK(a2a_json_int_or(a2a_json_get(r, "s"), 42) == 42);
    CHECK(a2a_json_get(NULL, "x") == NULL && a2a_json_len(NULL) == 0 && a2a_json_at(NULL, 0) == NULL);
    CHECK(a2a_json_get(arr, "x") == NULL);
    a2a_json_free(doc);
    /* scalars at top level */
    doc = parse_ok("\"x\"");
    CHECK(a2a_json_is_string(a2a_json_root(doc)));
    a2a_json_free(doc);
    doc = parse_ok("-0");
    CHECK(a2a_json_int(a2a_json_root(doc), &i) && i == 0);
    a2a_json_free(doc);
}

TEST(test_strings) {
    a2a_json *doc = parse_ok("[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\", \"\\ud83d\\ude00\", \"\\u0000x\","
                             " \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]");
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK(!strcmp(a2a_json_str(a2a_json_at(r, 0)), "a\"b\\c/d\b\f\n\r\t"));
    CHECK(!strcmp(a2a_json_str(a2a_json_at(r, 1)), "\xc3\xa9\xe2\x82\xac"));
    CHECK(!strcmp(a2a_json_str(a2a_json_at(r, 2)), "\xf0\x9f\x98\x80"));
    CHECK(a2a_json_str_len(a2a_json_at(r, 3)) == 2 && a2a_json_str(a2a_json_at(r, 3))[1] == 'x');
    CHECK(!strcmp(a2a_json_str(a2a_json_at(r, 4)), "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    a2a_json_free(doc);
    expect_err("\"\\ud83d\"", "high surrogate");
    expect_err("\"\\ud83dx\"", "high surrogate");
    expect_err("\"\\ude00\"", "lone low surrogate");
    expect_err("\"\\u12\"", "bad \\u escape");
    expect_err("\"\\x\"", "bad escape");
    expect_err("\"a\nb\"", "control character");
    expect_err("\"abc", "unterminated string");
    expect_err("\"\xc0\xaf\"", "invalid UTF-8");          /* overlong */
    expect_err("\"\xed\xa0\x80\"", "invalid UTF-8");      /* encoded surrogate */
    expect_err("\"\xf4\x90\x80\x80\"", "invalid UTF-8");  /* > U+10FFFF */
    expect_err("\"\xe2\x82\"", "invalid UTF-8");          /* truncated sequence */
}

TEST(test_strictness) {
    expect_err("", "unexpected end of input");
    expect_err("   ", "unexpected end of input");
    expect_err("[1,]", "unexpected character");
    expect_err("{\"a\":1,}", "expected a string key");
    expect_err("{\"a\" 1}", "expected ':'");
    expect_err("{a:1}", "expected a string key");
    expect_err("[1 2]", "expected ',' or ']'");
    expect_err("01", "leading zero");
    expect_err("1.", "bad fraction");
    expect_err("1e", "bad exponent");
    expect_err("-", "bad number");
    expect_err("+1", "unexpected character");
    expect_err("NaN", "unexpected character");
    expect_err("1e999", "out of range");
    expect_err("tru", "invalid literal");
    expect_err("[1] x", "trailing characters");
    expect_err("// c\n1", "unexpected character");
    expect_err("\xef\xbb\xbf{}", "unexpected character");
    expect_err("[1,\n  2,\n  x]", "at line 3, column 3");
    expect_err_("[1\0]", 4, "expected ',' or ']'", __LINE__);
}

TEST(test_depth_limit) {
    char buf[300];
    /* 64 levels are fine, 65 are not */
    for (int depth = 64; depth <= 65; depth++) {
        int n = 0;
        for (int i = 0; i < depth; i++) buf[n++] = '[';
        for (int i = 0; i < depth; i++) buf[n++] = ']';
        buf[n] = 0;
        a2a_ctx *ctx = a2a_ctx_new();
        a2a_json *doc = NULL;
        a2a_status st = a2a_json_parse(ctx, buf, (size_t)n, &doc);
        CHECK(depth == 64 ? st == A2A_OK : st == A2A_ERR_FORMAT);
        if (depth == 65) CHECK(strstr(a2a_last_error(ctx), "nesting deeper than 64"));
        a2a_json_free(doc);
        a2a_ctx_free(ctx);
    }
    /* a deep bomb fails fast */
    size_t n = 1000000;
    char *bomb = malloc(n);
    memset(bomb, '[', n);
    expect_err_(bomb, n, "nesting deeper", __LINE__);
    memset(bomb, '{', n);
    expect_err_(bomb, n, "expected a string key", __LINE__);
    free(bomb);
}

TEST(test_large_object_and_duplicates) {
    /* 1000 members: hashed lookups */
    size_t cap = 1000 * 32, n = 0;
    char *buf = malloc(cap);
    n += (size_t)snprintf(buf + n, cap - n, "{");
    for (int i = 0; i < 1000; i++) n += (size_t)snprintf(buf + n, cap - n, "%s\"key%d\": %d", i ? "," : "", i, i * 3);
    n += (size_t)snprintf(buf + n, cap - n, ", \"key7\": -1}");
    a2a_ctx *ctx = a2a_ctx_new();
    a2a_json *doc = NULL;
    CHECK(a2a_json_parse(ctx, buf, n, &doc) == A2A_OK);
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK_EQ_INT(a2a_json_len(r), 1001);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_get(r, "key999"), 0), 2997);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_get(r, "key7"), 0), -1); /* last duplicate wins */
    CHECK(a2a_json_get(r, "key1000") == NULL);
    a2a_json_free(doc);
    CHECK(a2a_json_parse_ex(ctx, buf, n, A2A_JSON_REJECT_DUPLICATES, &doc) == A2A_ERR_FORMAT);
    CHECK(strstr(a2a_last_error(ctx), "duplicate key"));
    free(buf);
    /* small objects: last duplicate wins, or rejected */
    const char *small = "{\"a\": 1, \"a\": 2}";
    CHECK(a2a_json_parse(ctx, small, strlen(small), &doc) == A2A_OK);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_get(a2a_json_root(doc), "a"), 0), 2);
    a2a_json_free(doc);
    CHECK(a2a_json_parse_ex(ctx, small, strlen(small), A2A_JSON_REJECT_DUPLICATES, &doc) == A2A_ERR_FORMAT);
    /* keys with embedded NUL are found by length */
    const char *nul = "{\"a\\u0000b\": 5}";
    CHECK(a2a_json_parse(ctx, nul, strlen(nul), &doc) == A2A_OK);
    CHECK(a2a_json_getn(a2a_json_root(doc), "a\0b", 3) != NULL);
    CHECK(a2a_json_get(a2a_json_root(doc), "a") == NULL);
    a2a_json_free(doc);
    a2a_ctx_free(ctx);
}

TEST(test_parse_file) {
    a2a_ctx *ctx = a2a_ctx_new();
    const char *path = "test_json_tmp.json";
    const char *text = "{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 4096}";
    CHECK(a2a_test_write_file(path, text, strlen(text)) == 0);
    a2a_json *doc = NULL;
    CHECK(a2a_json_parse_file(ctx, path, &doc) == A2A_OK);
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK(!strcmp(a2a_json_str_or(a2a_json_at(a2a_json_get(r, "architectures"), 0), ""), "LlamaForCausalLM"));
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_get(r, "hidden_size"), 0), 4096);
    a2a_json_free(doc);
    remove(path);
    CHECK(a2a_json_parse_file(ctx, "/nonexistent.json", &doc) == A2A_ERR_IO);
    a2a_ctx_free(ctx);
}

TEST(test_path_and_arrays) {
    a2a_json *doc = parse_ok("{\"text_config\": {\"hidden_size\": 768, \"layers\": [{\"n\": 1}, {\"n\": 2}]},"
                             " \"block_out_channels\": [320, 640, 1280, 1280], \"scales\": [0.5, 1, 2e0],"
                             " \"mixed\": [1, \"x\"]}");
    const a2a_json_value *r = a2a_json_root(doc);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_path(r, "text_config.hidden_size"), 0), 768);
    CHECK_EQ_INT(a2a_json_int_or(a2a_json_path(r, "text_config.layers.1.n"), 0), 2);
    CHECK(a2a_json_path(r, "text_config.layers.2.n") == NULL);
    CHECK(a2a_json_path(r, "text_config.layers.x") == NULL);
    CHECK(a2a_json_path(r, "text_config.missing.x") == NULL);
    CHECK(a2a_json_path(r, "text_config.") == NULL);
    CHECK(a2a_json_path(r, "text_config") == a2a_json_get(r, "text_config"));
    int64_t ch[3];
    CHECK_EQ_INT(a2a_json_ints(a2a_json_get(r, "block_out_channels"), ch, 3), 4);
    CHECK(ch[0] == 320 && ch[2] == 1280);
    double sc[4];
    CHECK_EQ_INT(a2a_json_nums(a2a_json_get(r, "scales"), sc, 4), 3);
    CHECK(sc[0] == 0.5 && sc[2] == 2.0);
    CHECK_EQ_INT(a2a_json_ints(a2a_json_get(r, "scales"), ch, 3), -1);
    CHECK_EQ_INT(a2a_json_nums(a2a_json_get(r, "mixed"), sc, 4), -1);
    CHECK_EQ_INT(a2a_json_ints(a2a_json_get(r, "text_config"), ch, 3), -1);
    a2a_json_free(doc);
}

TEST(test_utf8_and_hash) {
    CHECK(a2a_utf8_valid("", 0));
    CHECK(a2a_utf8_valid("abc\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 12));
    CHECK(!a2a_utf8_valid("\x80", 1));
    CHECK(!a2a_utf8_valid("\xc1\xbf", 2));
    CHECK(!a2a_utf8_valid("\xe0\x80\xaf", 3));
    CHECK(!a2a_utf8_valid("\xf0\x80\x80\xaf", 4));
    CHECK(!a2a_utf8_valid("\xf5\x80\x80\x80", 4));
    CHECK(!a2a_utf8_valid("\xc3", 1));
    CHECK(a2a_hash_bytes("a", 1) != a2a_hash_bytes("b", 1));
    CHECK(a2a_hash_bytes("", 0) == 0xcbf29ce484222325ull);
}

TEST_MAIN(test_values, test_strings, test_strictness, test_depth_limit, test_large_object_and_duplicates,
          test_parse_file, test_path_and_arrays, test_utf8_and_hash)
