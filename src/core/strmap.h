/* Internal: a string -> int64 hash map (open addressing, FNV-1a). Keys are byte strings
   (ptr, len) that the map does NOT copy: they must outlive the map. Used for token
   vocabularies, merge tables and name lookups. */
#ifndef A2A_CORE_STRMAP_H
#define A2A_CORE_STRMAP_H

#include "core/status.h"

typedef struct a2a_strmap_slot { const char *key; size_t len; int64_t value; } a2a_strmap_slot;

typedef struct a2a_strmap {
    a2a_strmap_slot *slots; /* [cap], key == NULL marks an empty slot */
    size_t cap;             /* power of two */
    size_t count;
} a2a_strmap;

/* FNV-1a hash of a byte string. */
uint64_t a2a_hash_bytes(const void *data, size_t len);

/* Initialize for about `expected` keys. A2A_ERR_NOMEM on failure. Free with a2a_strmap_free. */
a2a_status a2a_strmap_init(a2a_ctx *ctx, a2a_strmap *m, size_t expected);
void a2a_strmap_free(a2a_strmap *m);
/* Insert key -> value. If the key exists, keeps the old value and returns false in *inserted
   (when non-NULL). Grows as needed; A2A_ERR_NOMEM on failure. */
a2a_status a2a_strmap_put(a2a_ctx *ctx, a2a_strmap *m, const char *key, size_t len, int64_t value, bool *inserted);
/* Value for key, or -1 if absent (store only non-negative values if you rely on that). */
int64_t a2a_strmap_get(const a2a_strmap *m, const char *key, size_t len);

#endif
