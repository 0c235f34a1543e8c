/* libFuzzer target: parse arbitrary bytes as JSON (both duplicate modes); on success walk the
   whole tree through the accessors and check every string is valid UTF-8. */
#include "io/json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static volatile uint64_t sink;

/* Visit v and its children (depth is bounded by A2A_JSON_MAX_DEPTH). */
static uint64_t walk(const a2a_json_value *v) {
    uint64_t acc = (uint64_t)a2a_json_kind_of(v);
    int64_t i;
    if (a2a_json_int(v, &i)) acc += (uint64_t)i;
    acc += a2a_json_num(v) == a2a_json_num(v);
    if (a2a_json_is_string(v)) {
        const char *s = a2a_json_str(v);
        size_t n = a2a_json_str_len(v);
        if (!a2a_utf8_valid(s, n) || s[n] != 0) abort(); /* parser bug: must never happen */
        acc += n;
    }
    for (size_t k = 0; k < a2a_json_len(v); k++) {
        const a2a_json_value *c = a2a_json_at(v, k);
        if (a2a_json_is_object(v)) {
            const char *key = a2a_json_key_at(v, k);
            size_t kl = a2a_json_key_len(v, k);
            if (!a2a_utf8_valid(key, kl)) abort();
            if (!a2a_json_getn(v, key, kl)) abort(); /* every key must be found */
        }
        acc += walk(c);
    }
    return acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    a2a_ctx *ctx = a2a_ctx_new();
    if (!ctx) return 0;
    for (unsigned flags = 0; flags <= A2A_JSON_REJECT_DUPLICATES; flags++) {
        a2a_json *doc = NULL;
        if (a2a_json_parse_ex(ctx, (const char *)data, size, flags, &doc) == A2A_OK) {
            const a2a_json_value *r = a2a_json_root(doc);
            int64_t ints[4];
            double nums[4];
            sink = walk(r) + (uint64_t)a2a_json_ints(r, ints, 4) + (uint64_t)a2a_json_nums(r, nums, 4) +
                   (a2a_json_path(r, "a.0.b") != NULL) + (a2a_json_path(r, "0.0") != NULL);
            a2a_json_free(doc);
        }
    }
    a2a_ctx_free(ctx);
    return 0;
}
