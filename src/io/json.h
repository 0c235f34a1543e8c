/* Internal: a small, strict JSON parser (RFC 8259) into an immutable tree, plus the string
   helpers the io readers share (UTF-8 validation, hashing, a name -> index table).

   Usage:
       a2a_json *doc;
       if (a2a_json_parse(ctx, text, len, &doc) != A2A_OK) ...;     // message in ctx (with line:col)
       const a2a_json_value *root = a2a_json_root(doc);
       int64_t n_layer = a2a_json_int_or(a2a_json_get(root, "num_hidden_layers"), 12);
       const char *act = a2a_json_str_or(a2a_json_get(root, "hidden_act"), "gelu");
       const a2a_json_value *arch = a2a_json_path(root, "architectures.0");
       int64_t ch[8]; int64_t n = a2a_json_ints(a2a_json_get(root, "block_out_channels"), ch, 8);
       for (size_t i = 0; i < a2a_json_len(obj); i++) {                // objects keep file order
           const char *k = a2a_json_key_at(obj, i); const a2a_json_value *v = a2a_json_at(obj, i); ... }
       a2a_json_free(doc);                                            // invalidates all values

   Every accessor accepts NULL and the wrong kind of value and then returns NULL / 0 / the
   default, so lookups chain without checks. Strict: no comments, no trailing commas, no
   leading zeros, no NaN/Infinity, no control characters in strings, valid UTF-8 only,
   lone surrogates rejected, nesting depth at most A2A_JSON_MAX_DEPTH, nothing but whitespace
   after the value. Duplicate object keys are accepted (lookup returns the last, as most
   parsers do) unless A2A_JSON_REJECT_DUPLICATES is given to a2a_json_parse_ex. */
#ifndef A2A_IO_JSON_H
#define A2A_IO_JSON_H

#include "core/status.h"
#include "core/strmap.h" /* a2a_hash_bytes */
#include "core/utf8.h"   /* a2a_utf8_valid */

#define A2A_JSON_MAX_DEPTH 64

typedef enum a2a_json_kind {
    A2A_JSON_NULL = 0,
    A2A_JSON_FALSE,
    A2A_JSON_TRUE,
    A2A_JSON_NUMBER,
    A2A_JSON_STRING,
    A2A_JSON_ARRAY,
    A2A_JSON_OBJECT
} a2a_json_kind;

typedef struct a2a_json a2a_json;             /* a parsed document (owns all memory) */
typedef struct a2a_json_value a2a_json_value; /* a node inside a document */

enum { A2A_JSON_REJECT_DUPLICATES = 1 };

/* Parse text[0..len) (need not be NUL-terminated). A leading UTF-8 BOM is rejected like any
   other non-JSON byte. Errors: A2A_ERR_FORMAT with "json: <what> at line L, column C (byte B)",
   A2A_ERR_NOMEM. On success the caller frees *out with a2a_json_free. */
a2a_status a2a_json_parse(a2a_ctx *ctx, const char *text, size_t len, a2a_json **out);
/* Same with flags (A2A_JSON_REJECT_DUPLICATES). */
a2a_status a2a_json_parse_ex(a2a_ctx *ctx, const char *text, size_t len, unsigned flags, a2a_json **out);
/* Read and parse a whole file (A2A_ERR_IO if it cannot be read). */
a2a_status a2a_json_parse_file(a2a_ctx *ctx, const char *path, a2a_json **out);
void a2a_json_free(a2a_json *doc);

/* The top-level value (never NULL for a parsed document). */
const a2a_json_value *a2a_json_root(const a2a_json *doc);

/* Kind of v (A2A_JSON_NULL for a NULL v as well; use v == NULL to tell absent from null). */
a2a_json_kind a2a_json_kind_of(const a2a_json_value *v);
static inline bool a2a_json_is_object(const a2a_json_value *v) { return v && a2a_json_kind_of(v) == A2A_JSON_OBJECT; }
static inline bool a2a_json_is_array(const a2a_json_value *v) { return v && a2a_json_kind_of(v) == A2A_JSON_ARRAY; }
static inline bool a2a_json_is_string(const a2a_json_value *v) { return v && a2a_json_kind_of(v) == A2A_JSON_STRING; }
static inline bool a2a_json_is_number(const a2a_json_value *v) { return v && a2a_json_kind_of(v) == A2A_JSON_NUMBER; }
static inline bool a2a_json_is_bool(const a2a_json_value *v) {
    return v && (a2a_json_kind_of(v) == A2A_JSON_TRUE || a2a_json_kind_of(v) == A2A_JSON_FALSE);
}
static inline bool a2a_json_is_null(const a2a_json_value *v) { return v && a2a_json_kind_of(v) == A2A_JSON_NULL; }
/* Name of a kind ("null", "false", "true", "number", "string", "array", "object"). Static. */
const char *a2a_json_kind_name(a2a_json_kind k);

/* Number of elements of an array or members of an object; 0 for anything else. */
size_t a2a_json_len(const a2a_json_value *v);
/* Element i of an array, or the value of member i of an object (file order); NULL if out of range. */
const a2a_json_value *a2a_json_at(const a2a_json_value *v, size_t i);
/* Key of member i of an object (NUL-terminated UTF-8; may contain NULs from \u0000, see
   a2a_json_key_len); NULL if v is not an object or i is out of range. */
const char *a2a_json_key_at(const a2a_json_value *v, size_t i);
size_t a2a_json_key_len(const a2a_json_value *v, size_t i);
/* Member by key (NUL-terminated); the last one if duplicated; NULL if absent or v not an object.
   O(1) average for large objects (hashed), linear scan for small ones. */
const a2a_json_value *a2a_json_get(const a2a_json_value *v, const char *key);
/* Member by key with explicit length. */
const a2a_json_value *a2a_json_getn(const a2a_json_value *v, const char *key, size_t key_len);

/* Member lookup along a dotted path: "text_config.hidden_size", "architectures.0" (a decimal
   segment indexes an array). Keys containing '.' cannot be reached this way (use a2a_json_get).
   NULL if any step is missing. */
const a2a_json_value *a2a_json_path(const a2a_json_value *v, const char *path);

/* Copy an array of integers (e.g. "block_out_channels": [320, 640, 1280]) into out[0..cap).
   Returns the array length (which may exceed cap: only cap are written), or -1 if v is not an
   array or an element is not an exact int64. */
int64_t a2a_json_ints(const a2a_json_value *v, int64_t *out, size_t cap);
/* Same for any numbers, as doubles. */
int64_t a2a_json_nums(const a2a_json_value *v, double *out, size_t cap);

/* String contents (NUL-terminated UTF-8, valid while the document lives) or NULL if not a string. */
const char *a2a_json_str(const a2a_json_value *v);
/* Byte length of a string value (strings may contain NUL via \u0000); 0 if not a string. */
size_t a2a_json_str_len(const a2a_json_value *v);
const char *a2a_json_str_or(const a2a_json_value *v, const char *def);
/* Numbers: the double value (NaN-free); for integral literals within int64 the exact value is
   also kept. */
double a2a_json_num(const a2a_json_value *v);
double a2a_json_num_or(const a2a_json_value *v, double def);
/* True when v is a number literal that is an exact integer representable as int64 (e.g. "3",
   "-7", "1e3", "2.0"); then *out gets it. */
bool a2a_json_int(const a2a_json_value *v, int64_t *out);
int64_t a2a_json_int_or(const a2a_json_value *v, int64_t def);
/* true/false values; def for anything else. */
bool a2a_json_bool_or(const a2a_json_value *v, bool def);

/* ---- string helpers shared by the io readers ---- */

/* Index of the first ASCII control character (0x00-0x1f, 0x7f) in s[0..len), or -1. Readers
   reject names holding them, so messages and listings never echo terminal escape sequences. */
int64_t a2a_find_control_char(const char *s, size_t len);

/* A name -> index table over n names owned by the caller (open addressing, built once). */
typedef struct a2a_name_index {
    int64_t *slots; /* mask+1 entries; -1 = empty, else index into the caller's array */
    size_t mask;
} a2a_name_index;
/* Callback returning name i and its length. */
typedef const char *(*a2a_name_fn)(const void *user, int64_t i, size_t *len);
/* Build the table over names 0..n-1. If two names are equal, returns false with *dup_a < *dup_b
   the two indices (the table is still freed by a2a_name_index_free). On allocation failure
   returns false with *dup_a = *dup_b = -1. */
bool a2a_name_index_build(a2a_name_index *ix, int64_t n, a2a_name_fn fn, const void *user, int64_t *dup_a,
                          int64_t *dup_b);
/* Index of name, or -1. */
int64_t a2a_name_index_find(const a2a_name_index *ix, const char *name, size_t len, a2a_name_fn fn,
                            const void *user);
void a2a_name_index_free(a2a_name_index *ix);

#endif
