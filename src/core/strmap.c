#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

uint64_t a2a_hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64-bit offset basis */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static a2a_status alloc_slots(a2a_ctx *ctx, a2a_strmap *m, size_t cap) {
    m->slots = calloc(cap, sizeof(*m->slots));
    if (!m->slots) return a2a_fail(ctx, A2A_ERR_NOMEM, "hash map: cannot allocate %zu slots", cap);
    m->cap = cap;
    m->count = 0;
    return A2A_OK;
}

a2a_status a2a_strmap_init(a2a_ctx *ctx, a2a_strmap *m, size_t expected) {
    memset(m, 0, sizeof(*m));
    size_t cap = 16;
    while (cap < expected * 2) {
        if (cap > ((size_t)1 << 40)) return a2a_fail(ctx, A2A_ERR_NOMEM, "hash map: %zu keys is too many", expected);
        cap <<= 1;
    }
    return alloc_slots(ctx, m, cap);
}

void a2a_strmap_free(a2a_strmap *m) {
    free(m->slots);
    memset(m, 0, sizeof(*m));
}

static a2a_strmap_slot *find_slot(const a2a_strmap *m, const char *key, size_t len) {
    size_t mask = m->cap - 1, i = (size_t)a2a_hash_bytes(key, len) & mask;
    for (;;) {
        a2a_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->len == len && memcmp(s->key, key, len) == 0)) return s;
        i = (i + 1) & mask;
    }
}

a2a_status a2a_strmap_put(a2a_ctx *ctx, a2a_strmap *m, const char *key, size_t len, int64_t value, bool *inserted) {
    if (!m->slots) {
        a2a_status st = alloc_slots(ctx, m, 16);
        if (st) return st;
    }
    if ((m->count + 1) * 2 > m->cap) {
        a2a_strmap old = *m;
        a2a_status st = alloc_slots(ctx, m, old.cap * 2);
        if (st) {
            *m = old;
            return st;
        }
        for (size_t i = 0; i < old.cap; i++)
            if (old.slots[i].key) {
                *find_slot(m, old.slots[i].key, old.slots[i].len) = old.slots[i];
                m->count++;
            }
        free(old.slots);
    }
    a2a_strmap_slot *s = find_slot(m, key, len);
    if (s->key) {
        if (inserted) *inserted = false;
        return A2A_OK;
    }
    s->key = key ? key : "";
    s->len = len;
    s->value = value;
    m->count++;
    if (inserted) *inserted = true;
    return A2A_OK;
}

int64_t a2a_strmap_get(const a2a_strmap *m, const char *key, size_t len) {
    if (!m->slots) return -1;
    const a2a_strmap_slot *s = find_slot(m, key, len);
    return s->key ? s->value : -1;
}
