/* Strict JSON parser (RFC 8259) into an immutable tree, and the string helpers the io readers
   share (control-character check, name index; UTF-8 is core/utf8.c). See json.h. */
#include "io/json.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ string helpers */

/* First control character of s[0..len), or -1. */
int64_t a2a_find_control_char(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return (int64_t)i;
    return -1;
}


/* Build a table over n names; with keep_last, equal names map to the last index and no
   duplicate is reported, otherwise the first duplicate pair is reported (returns false). */
static bool index_build(a2a_name_index *ix, int64_t n, a2a_name_fn fn, const void *user, bool keep_last,
                        int64_t *dup_a, int64_t *dup_b) {
    ix->slots = NULL;
    ix->mask = 0;
    if (dup_a) *dup_a = -1;
    if (dup_b) *dup_b = -1;
    size_t cap = 16;
    while (cap < (size_t)n * 2) {
        if (cap > SIZE_MAX / 4 / sizeof(int64_t)) return false;
        cap *= 2;
    }
    ix->slots = malloc(cap * sizeof(int64_t));
    if (!ix->slots) return false;
    for (size_t i = 0; i < cap; i++) ix->slots[i] = -1;
    ix->mask = cap - 1;
    for (int64_t i = 0; i < n; i++) {
        size_t len;
        const char *name = fn(user, i, &len);
        size_t h = (size_t)a2a_hash_bytes(name, len) & ix->mask;
        for (;;) {
            int64_t j = ix->slots[h];
            if (j < 0) { ix->slots[h] = i; break; }
            size_t jl;
            const char *jn = fn(user, j, &jl);
            if (jl == len && memcmp(jn, name, len) == 0) {
                if (keep_last) { ix->slots[h] = i; break; }
                if (dup_a) *dup_a = j;
                if (dup_b) *dup_b = i;
                return false;
            }
            h = (h + 1) & ix->mask;
        }
    }
    return true;
}

/* Public builder: duplicates are an error (see json.h). */
bool a2a_name_index_build(a2a_name_index *ix, int64_t n, a2a_name_fn fn, const void *user, int64_t *dup_a,
                          int64_t *dup_b) {
    return index_build(ix, n, fn, user, false, dup_a, dup_b);
}

/* Index of name or -1. */
int64_t a2a_name_index_find(const a2a_name_index *ix, const char *name, size_t len, a2a_name_fn fn,
                            const void *user) {
    if (!ix->slots) return -1;
    size_t h = (size_t)a2a_hash_bytes(name, len) & ix->mask;
    for (;;) {
        int64_t j = ix->slots[h];
        if (j < 0) return -1;
        size_t jl;
        const char *jn = fn(user, j, &jl);
        if (jl == len && memcmp(jn, name, len) == 0) return j;
        h = (h + 1) & ix->mask;
    }
}

void a2a_name_index_free(a2a_name_index *ix) {
    free(ix->slots);
    ix->slots = NULL;
    ix->mask = 0;
}

/* ================================================================ document */

#define HASH_MIN_MEMBERS 9 /* objects with at least this many members get a hash index */

struct a2a_json_value {
    uint8_t kind;                /* a2a_json_kind */
    bool has_int;                /* number: exact int64 in u.num.i */
    size_t len;                  /* string bytes / array elements / object members */
    union {
        struct {
            int64_t i;
            double d;
        } num;                   /* numbers */
        const char *str;         /* strings: NUL-terminated contents */
        struct {
            a2a_json_value *items;   /* array elements or object values (len of them) */
            const char **keys;       /* object keys (len of them, NUL-terminated) */
            size_t *key_lens;
            a2a_name_index *index;   /* objects with >= HASH_MIN_MEMBERS members */
        } c;                     /* arrays and objects */
    } u;
};

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
} chunk;

struct a2a_json {
    a2a_json_value root;
    chunk *chunks;
    /* indexes to free */
    a2a_name_index **indexes;
    size_t n_indexes, cap_indexes;
};

/* Bump-allocate from the document's chunks (max_align_t aligned). NULL on OOM. */
static void *doc_alloc(a2a_json *doc, size_t bytes) {
    size_t al = sizeof(max_align_t);
    if (bytes > SIZE_MAX - al) return NULL;
    bytes = (bytes + al - 1) & ~(al - 1);
    if (bytes == 0) bytes = al;
    chunk *c = doc->chunks;
    if (!c || c->cap - c->used < bytes) {
        size_t cap = bytes > 65536 ? bytes : 65536;
        c = malloc(sizeof(chunk) + cap);
        if (!c) return NULL;
        c->cap = cap;
        c->used = 0;
        /* keep the current chunk first only when the new one is a one-off big block */
        if (doc->chunks && bytes > 65536) {
            c->next = doc->chunks->next;
            doc->chunks->next = c;
        } else {
            c->next = doc->chunks;
            doc->chunks = c;
        }
    }
    void *p = (char *)c->data + c->used;
    c->used += bytes;
    return p;
}

/* ================================================================ parser */

typedef struct stack_ent {
    a2a_json_value v;
    const char *key;
    size_t key_len;
} stack_ent;

typedef struct parser {
    a2a_ctx *ctx;
    a2a_json *doc;
    const char *s;
    size_t n, pos;
    unsigned flags;
    stack_ent *stack; /* pending children of open containers */
    size_t sp, scap;
    char *numbuf;
    size_t numcap;
} parser;

/* Fail with a position "line L, column C (byte B)". */
static a2a_status perr(parser *p, size_t at, const char *what) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < p->n; i++) {
        if (p->s[i] == '\n') { line++; col = 1; }
        else col++;
    }
    return a2a_fail(p->ctx, A2A_ERR_FORMAT, "json: %s at line %zu, column %zu (byte %zu)", what, line, col, at);
}

/* Out-of-memory failure. */
static a2a_status oom(parser *p) { return a2a_fail(p->ctx, A2A_ERR_NOMEM, "json: out of memory"); }

/* Skip the four JSON whitespace characters. */
static void skip_ws(parser *p) {
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Push an entry onto the pending-children stack. */
static a2a_status push(parser *p, const stack_ent *e) {
    if (p->sp == p->scap) {
        size_t nc = p->scap ? p->scap * 2 : 64;
        stack_ent *ns = realloc(p->stack, nc * sizeof(*ns));
        if (!ns) return oom(p);
        p->stack = ns;
        p->scap = nc;
    }
    p->stack[p->sp++] = *e;
    return A2A_OK;
}

/* Four hex digits at s[at..at+4) -> *v; false if not hex or short. */
static bool hex4(const parser *p, size_t at, unsigned *v) {
    if (at > p->n || p->n - at < 4) return false;
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[at + (size_t)i];
        unsigned d;
        if (c >= '0' && c <= '9') d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return false;
        x = x * 16 + d;
    }
    *v = x;
    return true;
}

/* Parse a string at the cursor (which is on '"'); decoded bytes go to the document. */
static a2a_status parse_string(parser *p, const char **out, size_t *out_len) {
    size_t start = p->pos++;
    /* find the closing quote to size the output (decoded length <= raw length) */
    size_t end = p->pos;
    while (end < p->n && p->s[end] != '"') end += (p->s[end] == '\\') ? 2 : 1;
    if (end >= p->n) return perr(p, start, "unterminated string");
    char *buf = doc_alloc(p->doc, end - p->pos + 1);
    if (!buf) return oom(p);
    size_t o = 0;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c < 0x20) return perr(p, p->pos, "control character in string");
        if (c == '\\') {
            char e = p->s[p->pos + 1];
            size_t at = p->pos;
            p->pos += 2;
            switch (e) {
            case '"': buf[o++] = '"'; break;
            case '\\': buf[o++] = '\\'; break;
            case '/': buf[o++] = '/'; break;
            case 'b': buf[o++] = '\b'; break;
            case 'f': buf[o++] = '\f'; break;
            case 'n': buf[o++] = '\n'; break;
            case 'r': buf[o++] = '\r'; break;
            case 't': buf[o++] = '\t'; break;
            case 'u': {
                unsigned cp;
                if (!hex4(p, p->pos, &cp)) return perr(p, at, "bad \\u escape");
                p->pos += 4;
                if (cp >= 0xdc00 && cp <= 0xdfff) return perr(p, at, "lone low surrogate in \\u escape");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    unsigned lo;
                    if (p->pos + 6 > p->n || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                        !hex4(p, p->pos + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return perr(p, at, "high surrogate not followed by a low surrogate");
                    p->pos += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                /* the escape takes 6 (or 12) raw bytes, the encoding at most 3 (or 4): fits */
                o += (size_t)a2a_utf8_encode(cp, buf + o); /* cp is a scalar value here: never 0 */
                break;
            }
            default: return perr(p, at, "bad escape in string");
            }
            if (p->pos > end) return perr(p, at, "unterminated string");
            continue;
        }
        if (c < 0x80) {
            buf[o++] = (char)c;
            p->pos++;
            continue;
        }
        uint32_t cp;
        size_t k = (size_t)a2a_utf8_decode(p->s + p->pos, end - p->pos, &cp);
        if (!k) return perr(p, p->pos, "invalid UTF-8 in string");
        memcpy(buf + o, p->s + p->pos, k);
        o += k;
        p->pos += k;
    }
    buf[o] = 0;
    p->pos = end + 1;
    *out = buf;
    *out_len = o;
    return A2A_OK;
}

/* Parse a number at the cursor into v. */
static a2a_status parse_number(parser *p, a2a_json_value *v) {
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    bool neg = false, integral = true;
    if (i < p->n && s[i] == '-') { neg = true; i++; }
    if (i >= p->n || s[i] < '0' || s[i] > '9') return perr(p, start, "bad number");
    if (s[i] == '0') {
        i++;
        if (i < p->n && s[i] >= '0' && s[i] <= '9') return perr(p, start, "leading zero in number");
    } else {
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t int_end = i;
    if (i < p->n && s[i] == '.') {
        integral = false;
        i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') return perr(p, start, "bad fraction in number");
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->n && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        if (i < p->n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->n || s[i] < '0' || s[i] > '9') return perr(p, start, "bad exponent in number");
        while (i < p->n && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t len = i - start;
    if (len + 1 > p->numcap) {
        size_t nc = len + 64;
        char *nb = realloc(p->numbuf, nc);
        if (!nb) return oom(p);
        p->numbuf = nb;
        p->numcap = nc;
    }
    memcpy(p->numbuf, s + start, len);
    p->numbuf[len] = 0;
    /* strtod follows LC_NUMERIC: give it the locale's decimal point so "0.5" parses anywhere */
    const char *dp = localeconv()->decimal_point;
    if (dp && dp[0] && dp[0] != '.' && !dp[1]) {
        char *dot = memchr(p->numbuf, '.', len);
        if (dot) *dot = dp[0];
    }
    double d = strtod(p->numbuf, NULL);
    if (isinf(d) || isnan(d)) return perr(p, start, "number out of range");
    v->kind = A2A_JSON_NUMBER;
    v->u.num.d = d;
    v->has_int = false;
    if (integral) {
        /* exact int64 from the digits */
        uint64_t mag = 0;
        bool ok = true;
        for (size_t k = start + (neg ? 1 : 0); k < int_end; k++) {
            unsigned dg = (unsigned)(s[k] - '0');
            if (mag > (UINT64_MAX - dg) / 10) { ok = false; break; }
            mag = mag * 10 + dg;
        }
        if (ok && !neg && mag <= (uint64_t)INT64_MAX) { v->has_int = true; v->u.num.i = (int64_t)mag; }
        else if (ok && neg && mag <= (uint64_t)INT64_MAX + 1) {
            v->has_int = true;
            v->u.num.i = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
        }
    } else if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
        v->has_int = true;
        v->u.num.i = (int64_t)d;
    }
    p->pos = i;
    return A2A_OK;
}

/* Match a literal word at the cursor. */
static bool match(parser *p, const char *w) {
    size_t n = strlen(w);
    if (p->n - p->pos < n || memcmp(p->s + p->pos, w, n) != 0) return false;
    p->pos += n;
    return true;
}

static const char *ent_name(const void *user, int64_t i, size_t *len) {
    const a2a_json_value *o = user;
    *len = o->u.c.key_lens[i];
    return o->u.c.keys[i];
}

/* Pop the top `count` stack entries into container v (an array or object). */
static a2a_status close_container(parser *p, a2a_json_value *v, size_t base, size_t open_at) {
    size_t count = p->sp - base;
    v->len = count;
    if (count) {
        v->u.c.items = doc_alloc(p->doc, count * sizeof(a2a_json_value));
        if (!v->u.c.items) return oom(p);
        for (size_t k = 0; k < count; k++) v->u.c.items[k] = p->stack[base + k].v;
        if (v->kind == A2A_JSON_OBJECT) {
            v->u.c.keys = doc_alloc(p->doc, count * sizeof(char *));
            v->u.c.key_lens = doc_alloc(p->doc, count * sizeof(size_t));
            if (!v->u.c.keys || !v->u.c.key_lens) return oom(p);
            for (size_t k = 0; k < count; k++) {
                v->u.c.keys[k] = p->stack[base + k].key;
                v->u.c.key_lens[k] = p->stack[base + k].key_len;
            }
        }
    }
    p->sp = base;
    if (v->kind != A2A_JSON_OBJECT) return A2A_OK;
    bool reject = (p->flags & A2A_JSON_REJECT_DUPLICATES) != 0;
    if (count < HASH_MIN_MEMBERS) {
        if (reject)
            for (size_t a = 1; a < count; a++)
                for (size_t b = 0; b < a; b++)
                    if (v->u.c.key_lens[a] == v->u.c.key_lens[b] && !memcmp(v->u.c.keys[a], v->u.c.keys[b], v->u.c.key_lens[a]))
                        return perr(p, open_at, "duplicate key in object");
        return A2A_OK;
    }
    a2a_name_index *ix = doc_alloc(p->doc, sizeof(*ix));
    if (!ix) return oom(p);
    if (p->doc->n_indexes == p->doc->cap_indexes) {
        size_t nc = p->doc->cap_indexes ? p->doc->cap_indexes * 2 : 16;
        a2a_name_index **ni = realloc(p->doc->indexes, nc * sizeof(*ni));
        if (!ni) return oom(p);
        p->doc->indexes = ni;
        p->doc->cap_indexes = nc;
    }
    int64_t da, db;
    bool ok = index_build(ix, (int64_t)count, ent_name, v, !reject, &da, &db);
    p->doc->indexes[p->doc->n_indexes++] = ix;
    if (!ok) {
        if (da < 0) return oom(p);
        return perr(p, open_at, "duplicate key in object");
    }
    v->u.c.index = ix;
    return A2A_OK;
}

/* Parse one value at the cursor into *v; depth counts open containers. */
static a2a_status parse_value(parser *p, a2a_json_value *v, int depth) {
    skip_ws(p);
    memset(v, 0, sizeof(*v));
    if (p->pos >= p->n) return perr(p, p->pos, "unexpected end of input");
    char c = p->s[p->pos];
    if (c == '"') {
        v->kind = A2A_JSON_STRING;
        return parse_string(p, &v->u.str, &v->len);
    }
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(p, v);
    if (c == 't') { if (!match(p, "true")) return perr(p, p->pos, "invalid literal"); v->kind = A2A_JSON_TRUE; return A2A_OK; }
    if (c == 'f') { if (!match(p, "false")) return perr(p, p->pos, "invalid literal"); v->kind = A2A_JSON_FALSE; return A2A_OK; }
    if (c == 'n') { if (!match(p, "null")) return perr(p, p->pos, "invalid literal"); v->kind = A2A_JSON_NULL; return A2A_OK; }
    if (c != '[' && c != '{') return perr(p, p->pos, "unexpected character");
    if (depth >= A2A_JSON_MAX_DEPTH) return perr(p, p->pos, "nesting deeper than 64 levels");
    bool obj = c == '{';
    size_t open_at = p->pos++;
    size_t base = p->sp;
    a2a_json_value tmp;
    a2a_status st;
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == (obj ? '}' : ']')) {
        p->pos++;
        v->kind = obj ? A2A_JSON_OBJECT : A2A_JSON_ARRAY;
        return A2A_OK;
    }
    for (;;) {
        stack_ent e = {0};
        if (obj) {
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != '"') return perr(p, p->pos, "expected a string key");
            st = parse_string(p, &e.key, &e.key_len);
            if (st) return st;
            skip_ws(p);
            if (p->pos >= p->n || p->s[p->pos] != ':') return perr(p, p->pos, "expected ':'");
            p->pos++;
        }
        st = parse_value(p, &tmp, depth + 1);
        if (st) return st;
        e.v = tmp;
        st = push(p, &e);
        if (st) return st;
        skip_ws(p);
        if (p->pos >= p->n) return perr(p, p->pos, obj ? "unterminated object" : "unterminated array");
        char d = p->s[p->pos++];
        if (d == ',') continue;
        if (d == (obj ? '}' : ']')) break;
        return perr(p, p->pos - 1, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
    v->kind = obj ? A2A_JSON_OBJECT : A2A_JSON_ARRAY;
    return close_container(p, v, base, open_at);
}

/* Parse text with flags (see json.h). */
a2a_status a2a_json_parse_ex(a2a_ctx *ctx, const char *text, size_t len, unsigned flags, a2a_json **out) {
    *out = NULL;
    a2a_json *doc = calloc(1, sizeof(*doc));
    if (!doc) return a2a_fail(ctx, A2A_ERR_NOMEM, "json: out of memory");
    parser p = {ctx, doc, text ? text : "", text ? len : 0, 0, flags, NULL, 0, 0, NULL, 0};
    a2a_status st = parse_value(&p, &doc->root, 0);
    if (!st) {
        skip_ws(&p);
        if (p.pos != p.n) st = perr(&p, p.pos, "trailing characters after the value");
    }
    free(p.stack);
    free(p.numbuf);
    if (st) {
        a2a_json_free(doc);
        return st;
    }
    *out = doc;
    return A2A_OK;
}

a2a_status a2a_json_parse(a2a_ctx *ctx, const char *text, size_t len, a2a_json **out) {
    return a2a_json_parse_ex(ctx, text, len, 0, out);
}

/* Read path whole and parse it. */
a2a_status a2a_json_parse_file(a2a_ctx *ctx, const char *path, a2a_json **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return a2a_fail(ctx, A2A_ERR_IO, "json: cannot open '%s': %s", path, strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            size_t nc = cap ? cap * 2 : 65536;
            char *nb = nc > cap ? realloc(buf, nc) : NULL;
            if (!nb) {
                free(buf);
                fclose(f);
                return a2a_fail(ctx, A2A_ERR_NOMEM, "json: out of memory reading '%s'", path);
            }
            buf = nb;
            cap = nc;
        }
        size_t k = fread(buf + len, 1, cap - len, f);
        len += k;
        if (k == 0) break;
    }
    bool err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return a2a_fail(ctx, A2A_ERR_IO, "json: cannot read '%s'", path);
    }
    a2a_status st = a2a_json_parse(ctx, buf, len, out);
    if (st) a2a_error_prefix(ctx, "%s", path);
    free(buf);
    return st;
}

void a2a_json_free(a2a_json *doc) {
    if (!doc) return;
    for (size_t i = 0; i < doc->n_indexes; i++) a2a_name_index_free(doc->indexes[i]);
    free(doc->indexes);
    chunk *c = doc->chunks;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(doc);
}

/* ================================================================ accessors */

/* Accessors (contracts in json.h): NULL-safe, and wrong kinds give NULL / 0 / the default. */
const a2a_json_value *a2a_json_root(const a2a_json *doc) { return doc ? &doc->root : NULL; }

a2a_json_kind a2a_json_kind_of(const a2a_json_value *v) { return v ? (a2a_json_kind)v->kind : A2A_JSON_NULL; }

const char *a2a_json_kind_name(a2a_json_kind k) {
    static const char *const names[] = {"null", "false", "true", "number", "string", "array", "object"};
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

size_t a2a_json_len(const a2a_json_value *v) {
    return v && (v->kind == A2A_JSON_ARRAY || v->kind == A2A_JSON_OBJECT) ? v->len : 0;
}

const a2a_json_value *a2a_json_at(const a2a_json_value *v, size_t i) {
    return i < a2a_json_len(v) ? &v->u.c.items[i] : NULL;
}

const char *a2a_json_key_at(const a2a_json_value *v, size_t i) {
    return v && v->kind == A2A_JSON_OBJECT && i < v->len ? v->u.c.keys[i] : NULL;
}

size_t a2a_json_key_len(const a2a_json_value *v, size_t i) {
    return v && v->kind == A2A_JSON_OBJECT && i < v->len ? v->u.c.key_lens[i] : 0;
}

const a2a_json_value *a2a_json_getn(const a2a_json_value *v, const char *key, size_t key_len) {
    if (!v || v->kind != A2A_JSON_OBJECT || !key) return NULL;
    if (v->u.c.index) {
        int64_t i = a2a_name_index_find(v->u.c.index, key, key_len, ent_name, v);
        return i >= 0 ? &v->u.c.items[i] : NULL;
    }
    for (size_t i = v->len; i-- > 0;)
        if (v->u.c.key_lens[i] == key_len && memcmp(v->u.c.keys[i], key, key_len) == 0) return &v->u.c.items[i];
    return NULL;
}

const a2a_json_value *a2a_json_get(const a2a_json_value *v, const char *key) {
    return key ? a2a_json_getn(v, key, strlen(key)) : NULL;
}

const char *a2a_json_str(const a2a_json_value *v) { return v && v->kind == A2A_JSON_STRING ? v->u.str : NULL; }
size_t a2a_json_str_len(const a2a_json_value *v) { return v && v->kind == A2A_JSON_STRING ? v->len : 0; }
const char *a2a_json_str_or(const a2a_json_value *v, const char *def) {
    return v && v->kind == A2A_JSON_STRING ? v->u.str : def;
}

double a2a_json_num(const a2a_json_value *v) { return v && v->kind == A2A_JSON_NUMBER ? v->u.num.d : 0.0; }
double a2a_json_num_or(const a2a_json_value *v, double def) { return v && v->kind == A2A_JSON_NUMBER ? v->u.num.d : def; }

bool a2a_json_int(const a2a_json_value *v, int64_t *out) {
    if (!v || v->kind != A2A_JSON_NUMBER || !v->has_int) return false;
    if (out) *out = v->u.num.i;
    return true;
}

int64_t a2a_json_int_or(const a2a_json_value *v, int64_t def) {
    int64_t x;
    return a2a_json_int(v, &x) ? x : def;
}

bool a2a_json_bool_or(const a2a_json_value *v, bool def) {
    if (v && v->kind == A2A_JSON_TRUE) return true;
    if (v && v->kind == A2A_JSON_FALSE) return false;
    return def;
}

/* Walk a dotted path; decimal segments index arrays, other segments look up object members. */
const a2a_json_value *a2a_json_path(const a2a_json_value *v, const char *path) {
    if (!path) return NULL;
    const char *seg = path;
    while (v) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);
        if (a2a_json_is_array(v)) {
            size_t idx = 0;
            bool ok = len > 0 && len <= 18;
            for (size_t k = 0; ok && k < len; k++) {
                if (seg[k] < '0' || seg[k] > '9') ok = false;
                else idx = idx * 10 + (size_t)(seg[k] - '0');
            }
            v = ok ? a2a_json_at(v, idx) : NULL;
        } else {
            v = a2a_json_getn(v, seg, len);
        }
        if (!dot) return v;
        seg = dot + 1;
    }
    return NULL;
}

/* Integers of an array into out[0..cap); the length, or -1 (see json.h). */
int64_t a2a_json_ints(const a2a_json_value *v, int64_t *out, size_t cap) {
    if (!a2a_json_is_array(v)) return -1;
    for (size_t i = 0; i < v->len; i++) {
        int64_t x;
        if (!a2a_json_int(&v->u.c.items[i], &x)) return -1;
        if (i < cap) out[i] = x;
    }
    return (int64_t)v->len;
}

/* Numbers of an array into out[0..cap); the length, or -1 (see json.h). */
int64_t a2a_json_nums(const a2a_json_value *v, double *out, size_t cap) {
    if (!a2a_json_is_array(v)) return -1;
    for (size_t i = 0; i < v->len; i++) {
        if (!a2a_json_is_number(&v->u.c.items[i])) return -1;
        if (i < cap) out[i] = v->u.c.items[i].u.num.d;
    }
    return (int64_t)v->len;
}
