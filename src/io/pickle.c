/* Restricted unpickler: a stack machine over the state_dict subset of pickle opcodes.
   Never executes code; only allow-listed globals; every read is bounds-checked. */
#include "io/pickle.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define PK_CHUNK 1024 /* objects per allocation chunk */

struct a2a_pickle {
    a2a_pk_obj **chunks; /* n_chunks arrays of PK_CHUNK objects */
    size_t n_chunks, cap_chunks;
    size_t n_objs;       /* objects handed out */
    a2a_pk_obj *root;
    int proto;
};

/* ---- dtypes ---- */

static const struct { const char *name; size_t size; } pk_dtypes[A2A_PKD_DTYPE_COUNT] = {
    [A2A_PKD_F32] = {"float32", 4}, [A2A_PKD_F64] = {"float64", 8}, [A2A_PKD_F16] = {"float16", 2},
    [A2A_PKD_BF16] = {"bfloat16", 2}, [A2A_PKD_I64] = {"int64", 8}, [A2A_PKD_I32] = {"int32", 4},
    [A2A_PKD_I16] = {"int16", 2}, [A2A_PKD_I8] = {"int8", 1}, [A2A_PKD_U8] = {"uint8", 1}, [A2A_PKD_BOOL] = {"bool", 1},
};

size_t a2a_pk_dtype_size(int dtype) { return dtype >= 0 && dtype < A2A_PKD_DTYPE_COUNT ? pk_dtypes[dtype].size : 0; }
const char *a2a_pk_dtype_name(int dtype) { return dtype >= 0 && dtype < A2A_PKD_DTYPE_COUNT ? pk_dtypes[dtype].name : "?"; }

/* ---- the allow-list ---- */

typedef struct pk_allowed {
    const char *module, *name, *full; /* full: "module.name" for messages */
    a2a_pk_global_id id;
    int dtype; /* for storage types and dtypes; -1 otherwise */
} pk_allowed;

#define PKA(m, n, id, dt) {m, n, m "." n, id, dt}
static const pk_allowed pk_allow[] = {
    PKA("collections", "OrderedDict", A2A_PKG_ORDERED_DICT, -1),
    PKA("torch._utils", "_rebuild_tensor_v2", A2A_PKG_REBUILD_TENSOR_V2, -1),
    PKA("torch._utils", "_rebuild_tensor", A2A_PKG_REBUILD_TENSOR, -1),
    PKA("torch._utils", "_rebuild_parameter", A2A_PKG_REBUILD_PARAMETER, -1),
    PKA("torch._utils", "_rebuild_parameter_with_state", A2A_PKG_REBUILD_PARAMETER_WITH_STATE, -1),
    PKA("torch._tensor", "_rebuild_from_type_v2", A2A_PKG_REBUILD_FROM_TYPE_V2, -1),
    PKA("torch", "FloatStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_F32),
    PKA("torch", "DoubleStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_F64),
    PKA("torch", "HalfStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_F16),
    PKA("torch", "BFloat16Storage", A2A_PKG_STORAGE_TYPE, A2A_PKD_BF16),
    PKA("torch", "LongStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_I64),
    PKA("torch", "IntStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_I32),
    PKA("torch", "ShortStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_I16),
    PKA("torch", "CharStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_I8),
    PKA("torch", "ByteStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_U8),
    PKA("torch", "BoolStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_BOOL),
    PKA("torch", "UntypedStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_U8),
    PKA("torch.storage", "UntypedStorage", A2A_PKG_STORAGE_TYPE, A2A_PKD_U8),
    PKA("torch", "float32", A2A_PKG_TORCH_DTYPE, A2A_PKD_F32),
    PKA("torch", "float", A2A_PKG_TORCH_DTYPE, A2A_PKD_F32),
    PKA("torch", "float64", A2A_PKG_TORCH_DTYPE, A2A_PKD_F64),
    PKA("torch", "double", A2A_PKG_TORCH_DTYPE, A2A_PKD_F64),
    PKA("torch", "float16", A2A_PKG_TORCH_DTYPE, A2A_PKD_F16),
    PKA("torch", "half", A2A_PKG_TORCH_DTYPE, A2A_PKD_F16),
    PKA("torch", "bfloat16", A2A_PKG_TORCH_DTYPE, A2A_PKD_BF16),
    PKA("torch", "int64", A2A_PKG_TORCH_DTYPE, A2A_PKD_I64),
    PKA("torch", "long", A2A_PKG_TORCH_DTYPE, A2A_PKD_I64),
    PKA("torch", "int32", A2A_PKG_TORCH_DTYPE, A2A_PKD_I32),
    PKA("torch", "int", A2A_PKG_TORCH_DTYPE, A2A_PKD_I32),
    PKA("torch", "int16", A2A_PKG_TORCH_DTYPE, A2A_PKD_I16),
    PKA("torch", "short", A2A_PKG_TORCH_DTYPE, A2A_PKD_I16),
    PKA("torch", "int8", A2A_PKG_TORCH_DTYPE, A2A_PKD_I8),
    PKA("torch", "uint8", A2A_PKG_TORCH_DTYPE, A2A_PKD_U8),
    PKA("torch", "bool", A2A_PKG_TORCH_DTYPE, A2A_PKD_BOOL),
    PKA("torch", "Tensor", A2A_PKG_TENSOR_TYPE, -1),
    PKA("torch.nn.parameter", "Parameter", A2A_PKG_TENSOR_TYPE, -1),
    PKA("builtins", "set", A2A_PKG_SET, -1),
    PKA("__builtin__", "set", A2A_PKG_SET, -1),
    PKA("builtins", "frozenset", A2A_PKG_FROZENSET, -1),
    PKA("__builtin__", "frozenset", A2A_PKG_FROZENSET, -1),
    PKA("_codecs", "encode", A2A_PKG_CODECS_ENCODE, -1),
    PKA("torch", "device", A2A_PKG_TORCH_DEVICE, -1),
    PKA("torch", "Size", A2A_PKG_TORCH_SIZE, -1),
};
#undef PKA

/* ---- unpickler state ---- */

typedef struct pk_state {
    a2a_ctx *ctx;
    a2a_pickle *p;
    const uint8_t *data;
    size_t size, pos;        /* pos: next byte to read */
    size_t op_pos;           /* offset of the opcode being executed (messages) */
    a2a_pickle_limits lim;
    a2a_pk_obj **stack;
    size_t sp, stack_cap;
    size_t *marks;           /* stack heights at each open MARK */
    size_t n_marks, marks_cap;
    a2a_pk_obj **memo;       /* sparse by index; NULL = unset */
    size_t memo_cap, memo_count;
    a2a_pk_obj *none, *yes, *no; /* shared singletons */
    a2a_status err;          /* status of the last pk_new failure */
} pk_state;

/* Fail with a message prefixed by "pickle: " and suffixed with the opcode offset. */
#define PK_FAIL(s, st, fmt, ...) \
    a2a_fail((s)->ctx, (st), "pickle: " fmt " (at byte %zu)", ##__VA_ARGS__, (s)->op_pos)

/* Grow *arr (elements of elsz bytes, capacity *cap) to hold at least need elements.
   Returns false on overflow or out-of-memory. */
static bool pk_grow(void **arr, size_t *cap, size_t need, size_t elsz) {
    if (need <= *cap) return true;
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return false;
        nc *= 2;
    }
    size_t bytes;
    if (!a2a_mul_ok(nc, elsz, &bytes)) return false;
    void *np = realloc(*arr, bytes);
    if (!np) return false;
    *arr = np;
    *cap = nc;
    return true;
}

/* A new zeroed object of kind k owned by the pickle result; NULL after setting an error
   (object limit or out of memory). */
static a2a_pk_obj *pk_new(pk_state *s, a2a_pk_kind k) {
    a2a_pickle *p = s->p;
    if (p->n_objs >= s->lim.max_objects) {
        s->err = PK_FAIL(s, A2A_ERR_NOMEM, "more than %zu objects", s->lim.max_objects);
        return NULL;
    }
    if (p->n_objs == p->n_chunks * PK_CHUNK) {
        if (!pk_grow((void **)&p->chunks, &p->cap_chunks, p->n_chunks + 1, sizeof(*p->chunks))) goto oom;
        a2a_pk_obj *c = calloc(PK_CHUNK, sizeof(*c));
        if (!c) goto oom;
        p->chunks[p->n_chunks++] = c;
    }
    a2a_pk_obj *o = &p->chunks[p->n_objs / PK_CHUNK][p->n_objs % PK_CHUNK];
    p->n_objs++;
    o->kind = k;
    return o;
oom:
    s->err = PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    return NULL;
}

/* Push o (non-NULL) on the stack. */
static a2a_status pk_push(pk_state *s, a2a_pk_obj *o) {
    if (s->sp >= s->lim.max_stack) return PK_FAIL(s, A2A_ERR_FORMAT, "stack deeper than %zu", s->lim.max_stack);
    if (!pk_grow((void **)&s->stack, &s->stack_cap, s->sp + 1, sizeof(*s->stack))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    s->stack[s->sp++] = o;
    return A2A_OK;
}

/* Lowest stack index usable by plain pops (the top open MARK, or 0). */
static size_t pk_floor(const pk_state *s) { return s->n_marks ? s->marks[s->n_marks - 1] : 0; }

/* Pop the top value into *o (not below the top MARK). */
static a2a_status pk_pop(pk_state *s, a2a_pk_obj **o) {
    *o = NULL;
    if (s->sp <= pk_floor(s)) return PK_FAIL(s, A2A_ERR_FORMAT, "stack underflow");
    *o = s->stack[--s->sp];
    return A2A_OK;
}

/* The top value (not below the top MARK). */
static a2a_status pk_top(pk_state *s, a2a_pk_obj **o) {
    *o = NULL;
    if (s->sp <= pk_floor(s)) return PK_FAIL(s, A2A_ERR_FORMAT, "stack underflow");
    *o = s->stack[s->sp - 1];
    return A2A_OK;
}

/* Close the top MARK: *start = its stack height; the items are stack[*start .. sp). */
static a2a_status pk_pop_mark(pk_state *s, size_t *start) {
    *start = 0;
    if (!s->n_marks) return PK_FAIL(s, A2A_ERR_FORMAT, "no MARK on the stack");
    *start = s->marks[--s->n_marks];
    return A2A_OK;
}

/* Read n raw bytes at the cursor. */
static a2a_status pk_read(pk_state *s, size_t n, const uint8_t **out) {
    *out = NULL;
    if (n > s->size - s->pos) return PK_FAIL(s, A2A_ERR_FORMAT, "truncated (needs %zu more bytes)", n);
    *out = s->data + s->pos;
    s->pos += n;
    return A2A_OK;
}

/* Read an unsigned little-endian integer of n (1..8) bytes. */
static a2a_status pk_read_uint(pk_state *s, size_t n, uint64_t *v) {
    const uint8_t *b;
    *v = 0;
    a2a_status st = pk_read(s, n, &b);
    if (st != A2A_OK) return st;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x |= (uint64_t)b[i] << (8 * i);
    *v = x;
    return A2A_OK;
}

/* Read a text line up to '\n' (excluded); *len is its length. */
static a2a_status pk_read_line(pk_state *s, const char **line, size_t *len) {
    *line = NULL;
    *len = 0;
    const uint8_t *start = s->data + s->pos;
    const uint8_t *nl = memchr(start, '\n', s->size - s->pos);
    if (!nl) return PK_FAIL(s, A2A_ERR_FORMAT, "truncated text argument (no newline)");
    *line = (const char *)start;
    *len = (size_t)(nl - start);
    s->pos += *len + 1;
    return A2A_OK;
}

/* Parse a decimal int64 from text[0..len) (optional sign; an optional trailing 'L' when allow_l). */
static bool pk_parse_i64(const char *text, size_t len, bool allow_l, int64_t *out) {
    if (allow_l && len && text[len - 1] == 'L') len--;
    size_t i = 0;
    bool neg = false;
    if (i < len && (text[i] == '-' || text[i] == '+')) neg = text[i++] == '-';
    if (i == len) return false;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        if (text[i] < '0' || text[i] > '9') return false;
        uint64_t d = (uint64_t)(text[i] - '0');
        if (v > (lim - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* A new STR or BYTES object holding a NUL-terminated copy of b[0..n). */
static a2a_status pk_new_str(pk_state *s, a2a_pk_kind k, const void *b, size_t n, a2a_pk_obj **out) {
    if (n == SIZE_MAX) return PK_FAIL(s, A2A_ERR_NOMEM, "string too long");
    char *copy = malloc(n + 1);
    if (!copy) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory for a %zu-byte string", n);
    if (n) memcpy(copy, b, n);
    copy[n] = '\0';
    a2a_pk_obj *o = pk_new(s, k);
    if (!o) {
        free(copy);
        return s->err;
    }
    o->u.str.ptr = copy;
    o->u.str.len = n;
    *out = o;
    return A2A_OK;
}

/* Read a length-prefixed string/bytes argument (prefix of nlen bytes) and push it as kind k. */
static a2a_status pk_op_counted(pk_state *s, size_t nlen, bool is_signed, a2a_pk_kind k) {
    uint64_t n;
    a2a_status st = pk_read_uint(s, nlen, &n);
    if (st != A2A_OK) return st;
    if (is_signed && nlen == 4 && (n & 0x80000000u)) return PK_FAIL(s, A2A_ERR_FORMAT, "negative string length");
    if (n > s->size - s->pos) return PK_FAIL(s, A2A_ERR_FORMAT, "string of %llu bytes runs past the end", (unsigned long long)n);
    const uint8_t *b;
    if ((st = pk_read(s, (size_t)n, &b)) != A2A_OK) return st;
    a2a_pk_obj *o;
    if ((st = pk_new_str(s, k, b, (size_t)n, &o)) != A2A_OK) return st;
    return pk_push(s, o);
}

/* Append the UTF-8 encoding of code point cp to buf (capacity >= 4 free bytes); returns bytes written. */
static size_t pk_utf8(uint32_t cp, char *buf) {
    if (cp < 0x80) { buf[0] = (char)cp; return 1; }
    if (cp < 0x800) { buf[0] = (char)(0xc0 | (cp >> 6)); buf[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        buf[0] = (char)(0xe0 | (cp >> 12)); buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); buf[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    buf[0] = (char)(0xf0 | (cp >> 18)); buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); buf[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Value of hex digit c, or -1. */
static int pk_hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode a protocol-0 text string argument and push it as STR.
   quoted: STRING ('...' repr with \\ \' \" \n \r \t \xHH escapes);
   otherwise UNICODE (raw-unicode-escape: \uXXXX and \UXXXXXXXX escapes). */
static a2a_status pk_op_text_string(pk_state *s, bool quoted) {
    const char *line = NULL;
    size_t len = 0;
    a2a_status st = pk_read_line(s, &line, &len);
    if (st != A2A_OK) return st;
    if (quoted) {
        if (len < 2 || (line[0] != '\'' && line[0] != '"') || line[len - 1] != line[0])
            return PK_FAIL(s, A2A_ERR_FORMAT, "STRING argument is not quoted");
        line++;
        len -= 2;
    }
    /* UNICODE input bytes >= 0x80 are latin-1 code points (2 UTF-8 bytes each); escapes shrink
       (\uXXXX: 6 -> <= 3 bytes, \UXXXXXXXX: 10 -> <= 4), so 2 * len + 1 bytes always suffice */
    char *buf = len < SIZE_MAX / 2 ? malloc(2 * len + 1) : NULL;
    if (!buf) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        char c = line[i];
        if (c != '\\' || i + 1 >= len) {
            if (!quoted && (unsigned char)c >= 0x80) o += pk_utf8((unsigned char)c, buf + o);
            else buf[o++] = c;
            i++;
            continue;
        }
        char e = line[i + 1];
        int ndig = 0;
        if (!quoted) ndig = e == 'u' ? 4 : e == 'U' ? 8 : 0;
        else if (e == 'x') ndig = 2;
        if (ndig) {
            if (i + 2 + (size_t)ndig > len) goto bad;
            uint32_t cp = 0;
            for (int k = 0; k < ndig; k++) {
                int h = pk_hex(line[i + 2 + k]);
                if (h < 0) goto bad;
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10ffff) goto bad;
            if (quoted) buf[o++] = (char)cp;        /* \xHH: a byte */
            else o += pk_utf8(cp, buf + o);          /* 6 or 10 input bytes -> <= 4 output */
            i += 2 + (size_t)ndig;
            continue;
        }
        if (!quoted) { buf[o++] = c; i++; continue; } /* raw-unicode-escape keeps other backslashes */
        switch (e) {
        case '\\': buf[o++] = '\\'; break;
        case '\'': buf[o++] = '\''; break;
        case '"': buf[o++] = '"'; break;
        case 'n': buf[o++] = '\n'; break;
        case 'r': buf[o++] = '\r'; break;
        case 't': buf[o++] = '\t'; break;
        default: goto bad;
        }
        i += 2;
    }
    a2a_pk_obj *obj;
    st = pk_new_str(s, A2A_PK_STR, buf, o, &obj);
    free(buf);
    if (st != A2A_OK) return st;
    return pk_push(s, obj);
bad:
    free(buf);
    return PK_FAIL(s, A2A_ERR_FORMAT, "bad escape in a text string");
}

/* Push a new INT object. */
static a2a_status pk_push_int(pk_state *s, int64_t v) {
    a2a_pk_obj *o = pk_new(s, A2A_PK_INT);
    if (!o) return s->err;
    o->u.i = v;
    return pk_push(s, o);
}

/* LONG1/LONG4: n-byte little-endian two's complement; only values fitting int64. */
static a2a_status pk_op_long_bin(pk_state *s, size_t nlen) {
    uint64_t n;
    a2a_status st = pk_read_uint(s, nlen, &n);
    if (st != A2A_OK) return st;
    if (nlen == 4 && (n & 0x80000000u)) return PK_FAIL(s, A2A_ERR_FORMAT, "LONG4 with a negative length");
    if (n > s->size - s->pos) return PK_FAIL(s, A2A_ERR_FORMAT, "LONG of %llu bytes runs past the end", (unsigned long long)n);
    if (n > 8) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "integer of %llu bytes does not fit 64 bits", (unsigned long long)n);
    const uint8_t *b;
    if ((st = pk_read(s, (size_t)n, &b)) != A2A_OK) return st;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * n); /* sign-extend */
    return pk_push_int(s, (int64_t)v);
}

/* Set memo[idx] = top of stack. */
static a2a_status pk_memo_put(pk_state *s, uint64_t idx) {
    a2a_pk_obj *top = NULL;
    a2a_status st = pk_top(s, &top);
    if (st != A2A_OK) return st;
    if (idx >= s->lim.max_memo || idx > s->size)
        return PK_FAIL(s, A2A_ERR_FORMAT, "memo index %llu out of range", (unsigned long long)idx);
    size_t old = s->memo_cap;
    if (!pk_grow((void **)&s->memo, &s->memo_cap, (size_t)idx + 1, sizeof(*s->memo))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    if (s->memo_cap > old) memset(s->memo + old, 0, (s->memo_cap - old) * sizeof(*s->memo));
    if (!s->memo[idx]) s->memo_count++;
    s->memo[idx] = top;
    return A2A_OK;
}

/* Push memo[idx]. */
static a2a_status pk_memo_get(pk_state *s, uint64_t idx) {
    if (idx >= s->memo_cap || !s->memo[idx])
        return PK_FAIL(s, A2A_ERR_FORMAT, "memo index %llu was never set", (unsigned long long)idx);
    return pk_push(s, s->memo[idx]);
}

/* A new container object of kind k holding copies of items[0..n). */
static a2a_status pk_new_seq(pk_state *s, a2a_pk_kind k, a2a_pk_obj *const *items, size_t n, a2a_pk_obj **out) {
    a2a_pk_obj *o = pk_new(s, k);
    if (!o) return s->err;
    if (n) {
        if (!pk_grow((void **)&o->u.seq.items, &o->u.seq.cap, n, sizeof(*o->u.seq.items))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
        memcpy(o->u.seq.items, items, n * sizeof(*items));
        o->u.seq.n = n;
    }
    *out = o;
    return A2A_OK;
}

/* Append items[0..n) to the list or set seq. */
static a2a_status pk_seq_extend(pk_state *s, a2a_pk_obj *seq, a2a_pk_obj *const *items, size_t n, const char *op) {
    if (seq->kind != A2A_PK_LIST && seq->kind != A2A_PK_SET)
        return PK_FAIL(s, A2A_ERR_FORMAT, "%s on something that is not a list or set", op);
    if (!n) return A2A_OK;
    size_t need;
    if (!a2a_add_ok(seq->u.seq.n, n, &need) ||
        !pk_grow((void **)&seq->u.seq.items, &seq->u.seq.cap, need, sizeof(*seq->u.seq.items)))
        return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    memcpy(seq->u.seq.items + seq->u.seq.n, items, n * sizeof(*items));
    seq->u.seq.n = need;
    return A2A_OK;
}

/* Add n key/value pairs kv[0..2n) to dict d. */
static a2a_status pk_dict_add(pk_state *s, a2a_pk_obj *d, a2a_pk_obj *const *kv, size_t n) {
    if (d->kind != A2A_PK_DICT) return PK_FAIL(s, A2A_ERR_FORMAT, "SETITEM(S) on something that is not a dict");
    if (!n) return A2A_OK;
    size_t need, cap = d->u.dict.cap;
    if (!a2a_add_ok(d->u.dict.n, n, &need)) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    if (!pk_grow((void **)&d->u.dict.keys, &cap, need, sizeof(*d->u.dict.keys))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    cap = d->u.dict.cap;
    if (!pk_grow((void **)&d->u.dict.vals, &cap, need, sizeof(*d->u.dict.vals))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    d->u.dict.cap = cap;
    for (size_t i = 0; i < n; i++) {
        d->u.dict.keys[d->u.dict.n + i] = kv[2 * i];
        d->u.dict.vals[d->u.dict.n + i] = kv[2 * i + 1];
    }
    d->u.dict.n = need;
    return A2A_OK;
}

/* Resolve module.name against the allow-list and push the GLOBAL object. */
static a2a_status pk_global(pk_state *s, const char *mod, size_t mlen, const char *name, size_t nlen) {
    for (size_t i = 0; i < sizeof(pk_allow) / sizeof(pk_allow[0]); i++) {
        const pk_allowed *a = &pk_allow[i];
        if (strlen(a->module) == mlen && strlen(a->name) == nlen && !memcmp(a->module, mod, mlen) && !memcmp(a->name, name, nlen)) {
            a2a_pk_obj *o = pk_new(s, A2A_PK_GLOBAL);
            if (!o) return s->err;
            o->u.global.id = a->id;
            o->u.global.dtype = a->dtype;
            o->u.global.name = a->full;
            return pk_push(s, o);
        }
    }
    /* print at most 200 bytes of each part, non-printable bytes as '?' */
    char m[201], n[201];
    size_t ml = A2A_MIN(mlen, (size_t)200), nl = A2A_MIN(nlen, (size_t)200);
    for (size_t i = 0; i < ml; i++) m[i] = (mod[i] >= 0x20 && mod[i] < 0x7f) ? mod[i] : '?';
    for (size_t i = 0; i < nl; i++) n[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
    m[ml] = n[nl] = '\0';
    return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing global '%s.%s' (only state_dict globals are allowed)", m, n);
}

/* True when o is an INT (a BOOL counts as 0/1 too); *v receives its value. */
static bool pk_as_int(const a2a_pk_obj *o, int64_t *v) {
    if (o->kind == A2A_PK_INT) { *v = o->u.i; return true; }
    if (o->kind == A2A_PK_BOOL) { *v = o->u.b; return true; }
    return false;
}

/* Copy a tuple/list of non-negative ints into dst (at most A2A_PK_MAX_DIMS); *n = count. */
static a2a_status pk_int_tuple(pk_state *s, const a2a_pk_obj *t, int64_t *dst, int *n, const char *what) {
    if (t->kind != A2A_PK_TUPLE && t->kind != A2A_PK_LIST) return PK_FAIL(s, A2A_ERR_FORMAT, "tensor %s is not a tuple", what);
    if (t->u.seq.n > A2A_PK_MAX_DIMS) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "tensor with %zu dims (max %d)", t->u.seq.n, A2A_PK_MAX_DIMS);
    for (size_t i = 0; i < t->u.seq.n; i++) {
        if (!pk_as_int(t->u.seq.items[i], &dst[i]) || dst[i] < 0)
            return PK_FAIL(s, A2A_ERR_FORMAT, "tensor %s[%zu] is not a non-negative integer", what, i);
    }
    *n = (int)t->u.seq.n;
    return A2A_OK;
}

/* Build a TENSOR from (storage, storage_offset, size, stride, ...) args; nargs_ok already checked. */
static a2a_status pk_rebuild_tensor(pk_state *s, const a2a_pk_obj *args, a2a_pk_obj **out) {
    a2a_pk_obj *const *a = args->u.seq.items;
    if (a[0]->kind != A2A_PK_STORAGE) return PK_FAIL(s, A2A_ERR_FORMAT, "tensor storage is not a persistent storage");
    int64_t off;
    if (!pk_as_int(a[1], &off) || off < 0) return PK_FAIL(s, A2A_ERR_FORMAT, "tensor storage_offset is not a non-negative integer");
    int64_t size[A2A_PK_MAX_DIMS], stride[A2A_PK_MAX_DIMS];
    int nd, nst;
    a2a_status st = pk_int_tuple(s, a[2], size, &nd, "size");
    if (st != A2A_OK) return st;
    if ((st = pk_int_tuple(s, a[3], stride, &nst, "stride")) != A2A_OK) return st;
    if (nd != nst) return PK_FAIL(s, A2A_ERR_FORMAT, "tensor size has %d dims but stride has %d", nd, nst);
    a2a_pk_obj *o = pk_new(s, A2A_PK_TENSOR);
    if (!o) return s->err;
    if (nd) {
        o->u.tensor.size = malloc(2 * (size_t)nd * sizeof(int64_t));
        if (!o->u.tensor.size) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
        o->u.tensor.stride = o->u.tensor.size + nd;
        memcpy(o->u.tensor.size, size, (size_t)nd * sizeof(int64_t));
        memcpy(o->u.tensor.stride, stride, (size_t)nd * sizeof(int64_t));
    }
    o->u.tensor.storage = a[0];
    o->u.tensor.offset = off;
    o->u.tensor.ndim = nd;
    *out = o;
    return A2A_OK;
}

/* Apply the allowed callable fn to the tuple args (REDUCE); *out = the result. depth guards
   _rebuild_from_type_v2 from nesting itself. */
static a2a_status pk_apply(pk_state *s, const a2a_pk_obj *fn, const a2a_pk_obj *args, int depth, a2a_pk_obj **out) {
    if (fn->kind != A2A_PK_GLOBAL) return PK_FAIL(s, A2A_ERR_FORMAT, "REDUCE on something that is not a global");
    if (args->kind != A2A_PK_TUPLE) return PK_FAIL(s, A2A_ERR_FORMAT, "REDUCE arguments for '%s' are not a tuple", fn->u.global.name);
    size_t n = args->u.seq.n;
    a2a_pk_obj *const *a = args->u.seq.items;
    switch (fn->u.global.id) {
    case A2A_PKG_ORDERED_DICT:
        if (n != 0) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "OrderedDict with constructor arguments");
        return (*out = pk_new(s, A2A_PK_DICT)) ? A2A_OK : s->err;
    case A2A_PKG_REBUILD_TENSOR_V2:
        if (n != 6 && n != 7) return PK_FAIL(s, A2A_ERR_FORMAT, "_rebuild_tensor_v2 takes 6 or 7 arguments, got %zu", n);
        return pk_rebuild_tensor(s, args, out);
    case A2A_PKG_REBUILD_TENSOR:
        if (n != 4) return PK_FAIL(s, A2A_ERR_FORMAT, "_rebuild_tensor takes 4 arguments, got %zu", n);
        return pk_rebuild_tensor(s, args, out);
    case A2A_PKG_REBUILD_PARAMETER:
    case A2A_PKG_REBUILD_PARAMETER_WITH_STATE: {
        size_t want = fn->u.global.id == A2A_PKG_REBUILD_PARAMETER ? 3 : 4;
        if (n != want) return PK_FAIL(s, A2A_ERR_FORMAT, "%s takes %zu arguments, got %zu", fn->u.global.name, want, n);
        if (a[0]->kind != A2A_PK_TENSOR) return PK_FAIL(s, A2A_ERR_FORMAT, "%s data is not a tensor", fn->u.global.name);
        *out = a[0];
        return A2A_OK;
    }
    case A2A_PKG_REBUILD_FROM_TYPE_V2:
        /* (func, new_type, args, state): a tensor subclass (e.g. Parameter) rebuilt by func */
        if (n != 4) return PK_FAIL(s, A2A_ERR_FORMAT, "_rebuild_from_type_v2 takes 4 arguments, got %zu", n);
        if (depth > 0) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "nested _rebuild_from_type_v2");
        if (a[1]->kind != A2A_PK_GLOBAL || a[1]->u.global.id != A2A_PKG_TENSOR_TYPE)
            return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "_rebuild_from_type_v2 with a type other than Tensor/Parameter");
        {
            a2a_status st = pk_apply(s, a[0], a[2], depth + 1, out);
            if (st != A2A_OK) return st;
            if ((*out)->kind != A2A_PK_TENSOR) return PK_FAIL(s, A2A_ERR_FORMAT, "_rebuild_from_type_v2 did not make a tensor");
            return A2A_OK;
        }
    case A2A_PKG_SET:
    case A2A_PKG_FROZENSET:
        if (n == 0) return pk_new_seq(s, A2A_PK_SET, NULL, 0, out);
        if (n != 1 || (a[0]->kind != A2A_PK_LIST && a[0]->kind != A2A_PK_TUPLE && a[0]->kind != A2A_PK_SET))
            return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "%s takes one list argument", fn->u.global.name);
        return pk_new_seq(s, A2A_PK_SET, a[0]->u.seq.items, a[0]->u.seq.n, out);
    case A2A_PKG_CODECS_ENCODE: {
        /* protocol-2 bytes: _codecs.encode(text, 'latin1') -> each code point < 256 is one byte */
        if (n != 2 || a[0]->kind != A2A_PK_STR || a[1]->kind != A2A_PK_STR ||
            (strcmp(a[1]->u.str.ptr, "latin1") && strcmp(a[1]->u.str.ptr, "latin-1")))
            return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "_codecs.encode supports only (str, 'latin1')");
        const uint8_t *t = (const uint8_t *)a[0]->u.str.ptr;
        size_t len = a[0]->u.str.len, o = 0;
        char *buf = malloc(len + 1);
        if (!buf) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < len;) {
            if (t[i] < 0x80) buf[o++] = (char)t[i++];
            else if ((t[i] & 0xe0) == 0xc0 && i + 1 < len && (t[i + 1] & 0xc0) == 0x80 && t[i] <= 0xc3) {
                buf[o++] = (char)(((t[i] & 0x1f) << 6) | (t[i + 1] & 0x3f));
                i += 2;
            } else {
                free(buf);
                return PK_FAIL(s, A2A_ERR_FORMAT, "_codecs.encode: text is not latin-1");
            }
        }
        a2a_status st = pk_new_str(s, A2A_PK_BYTES, buf, o, out);
        free(buf);
        return st;
    }
    case A2A_PKG_TORCH_DEVICE: {
        int64_t idx = -1;
        if (n < 1 || n > 2 || a[0]->kind != A2A_PK_STR || a[0]->u.str.len > 64 || (n == 2 && !pk_as_int(a[1], &idx)))
            return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "torch.device takes (type[, index])");
        char dev[96];
        int len = n == 2 ? snprintf(dev, sizeof(dev), "%s:%lld", a[0]->u.str.ptr, (long long)idx)
                         : snprintf(dev, sizeof(dev), "%s", a[0]->u.str.ptr);
        return pk_new_str(s, A2A_PK_STR, dev, (size_t)len, out);
    }
    case A2A_PKG_TORCH_SIZE:
        if (n != 1 || (a[0]->kind != A2A_PK_TUPLE && a[0]->kind != A2A_PK_LIST))
            return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "torch.Size takes one tuple");
        return pk_new_seq(s, A2A_PK_TUPLE, a[0]->u.seq.items, a[0]->u.seq.n, out);
    case A2A_PKG_STORAGE_TYPE:
    case A2A_PKG_TORCH_DTYPE:
    case A2A_PKG_TENSOR_TYPE:
        break;
    }
    return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing to call '%s'", fn->u.global.name);
}

/* BINPERSID: pid = ('storage', storage_type, key, location, numel) -> STORAGE object. */
static a2a_status pk_persid(pk_state *s, const a2a_pk_obj *pid, a2a_pk_obj **out) {
    if (pid->kind != A2A_PK_TUPLE || pid->u.seq.n != 5)
        return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "persistent id is not a ('storage', type, key, location, numel) tuple");
    a2a_pk_obj *const *a = pid->u.seq.items;
    if (a[0]->kind != A2A_PK_STR || strcmp(a[0]->u.str.ptr, "storage") != 0)
        return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "persistent id of a kind other than 'storage'");
    if (a[1]->kind != A2A_PK_GLOBAL || a[1]->u.global.id != A2A_PKG_STORAGE_TYPE)
        return PK_FAIL(s, A2A_ERR_FORMAT, "persistent storage type is not a torch storage class");
    if (a[2]->kind != A2A_PK_STR || a[3]->kind != A2A_PK_STR)
        return PK_FAIL(s, A2A_ERR_FORMAT, "persistent storage key/location are not strings");
    if (a[2]->u.str.len == 0 || strlen(a[2]->u.str.ptr) != a[2]->u.str.len || a[2]->u.str.len > 256)
        return PK_FAIL(s, A2A_ERR_FORMAT, "persistent storage key is empty, too long or contains NUL");
    int64_t numel;
    if (!pk_as_int(a[4], &numel) || numel < 0) return PK_FAIL(s, A2A_ERR_FORMAT, "persistent storage numel is not a non-negative integer");
    a2a_pk_obj *o = pk_new(s, A2A_PK_STORAGE);
    if (!o) return s->err;
    o->u.storage.key = strdup(a[2]->u.str.ptr);
    o->u.storage.location = strdup(a[3]->u.str.ptr);
    if (!o->u.storage.key || !o->u.storage.location) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
    o->u.storage.dtype = a[1]->u.global.dtype;
    o->u.storage.numel = numel;
    *out = o;
    return A2A_OK;
}

/* BUILD: set the state of obj. Accepted only where the state can be ignored: dicts
   (OrderedDict attributes such as _metadata) and tensors (parameter state). */
static a2a_status pk_build(pk_state *s, const a2a_pk_obj *obj, const a2a_pk_obj *state) {
    if (obj->kind != A2A_PK_DICT && obj->kind != A2A_PK_TENSOR)
        return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "BUILD on an object that is not a dict or tensor");
    if (state->kind != A2A_PK_NONE && state->kind != A2A_PK_DICT && state->kind != A2A_PK_TUPLE)
        return PK_FAIL(s, A2A_ERR_FORMAT, "BUILD state is not a dict, tuple or None");
    return A2A_OK;
}

/* Execute one opcode at s->pos. *stop is set by STOP. */
static a2a_status pk_step(pk_state *s, bool *stop) {
    const uint8_t *b = NULL;
    uint64_t u = 0;
    size_t start = 0;
    a2a_pk_obj *x = NULL, *y = NULL, *z = NULL;
    a2a_status st;
    s->op_pos = s->pos;
    if ((st = pk_read(s, 1, &b)) != A2A_OK) return PK_FAIL(s, A2A_ERR_FORMAT, "truncated: no STOP opcode");
    uint8_t op = b[0];
    switch (op) {
    case 0x80: /* PROTO */
        if ((st = pk_read_uint(s, 1, &u)) != A2A_OK) return st;
        if (u > 5) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "protocol %llu", (unsigned long long)u);
        if ((int)u > s->p->proto) s->p->proto = (int)u;
        return A2A_OK;
    case 0x95: /* FRAME: a length hint; the opcodes follow inline */
        if ((st = pk_read_uint(s, 8, &u)) != A2A_OK) return st;
        if (u > s->size - s->pos) return PK_FAIL(s, A2A_ERR_FORMAT, "FRAME of %llu bytes runs past the end", (unsigned long long)u);
        return A2A_OK;
    case '.': /* STOP */
        if ((st = pk_pop(s, &x)) != A2A_OK) return st;
        s->p->root = x;
        *stop = true;
        return A2A_OK;
    case '(': /* MARK */
        if (s->n_marks >= s->lim.max_marks) return PK_FAIL(s, A2A_ERR_FORMAT, "more than %zu nested MARKs", s->lim.max_marks);
        if (!pk_grow((void **)&s->marks, &s->marks_cap, s->n_marks + 1, sizeof(*s->marks))) return PK_FAIL(s, A2A_ERR_NOMEM, "out of memory");
        s->marks[s->n_marks++] = s->sp;
        return A2A_OK;
    case '0': /* POP: a value, or the top MARK when nothing is above it */
        if (s->n_marks && s->sp == pk_floor(s)) return pk_pop_mark(s, &start);
        return pk_pop(s, &x);
    case '1': /* POP_MARK */
        if ((st = pk_pop_mark(s, &start)) != A2A_OK) return st;
        s->sp = start;
        return A2A_OK;
    case '2': /* DUP */
        if ((st = pk_top(s, &x)) != A2A_OK) return st;
        return pk_push(s, x);
    case '}': /* EMPTY_DICT */
        return (x = pk_new(s, A2A_PK_DICT)) ? pk_push(s, x) : s->err;
    case ']': /* EMPTY_LIST */
        return (x = pk_new(s, A2A_PK_LIST)) ? pk_push(s, x) : s->err;
    case ')': /* EMPTY_TUPLE */
        return (x = pk_new(s, A2A_PK_TUPLE)) ? pk_push(s, x) : s->err;
    case 0x8f: /* EMPTY_SET */
        return (x = pk_new(s, A2A_PK_SET)) ? pk_push(s, x) : s->err;
    case 'd': /* DICT */
        if ((st = pk_pop_mark(s, &start)) != A2A_OK) return st;
        if ((s->sp - start) % 2) return PK_FAIL(s, A2A_ERR_FORMAT, "DICT with an odd number of items");
        if (!(x = pk_new(s, A2A_PK_DICT))) return s->err;
        if ((st = pk_dict_add(s, x, s->stack + start, (s->sp - start) / 2)) != A2A_OK) return st;
        s->sp = start;
        return pk_push(s, x);
    case 'l': /* LIST */
    case 't': /* TUPLE */
    case 0x91: /* FROZENSET */
        if ((st = pk_pop_mark(s, &start)) != A2A_OK) return st;
        st = pk_new_seq(s, op == 'l' ? A2A_PK_LIST : op == 't' ? A2A_PK_TUPLE : A2A_PK_SET, s->stack + start, s->sp - start, &x);
        if (st != A2A_OK) return st;
        s->sp = start;
        return pk_push(s, x);
    case 0x85: /* TUPLE1 */
    case 0x86: /* TUPLE2 */
    case 0x87: { /* TUPLE3 */
        size_t n = (size_t)(op - 0x84);
        if (s->sp < pk_floor(s) + n) return PK_FAIL(s, A2A_ERR_FORMAT, "stack underflow");
        if ((st = pk_new_seq(s, A2A_PK_TUPLE, s->stack + s->sp - n, n, &x)) != A2A_OK) return st;
        s->sp -= n;
        return pk_push(s, x);
    }
    case 'a': /* APPEND */
        if ((st = pk_pop(s, &y)) != A2A_OK || (st = pk_top(s, &x)) != A2A_OK) return st;
        return pk_seq_extend(s, x, &y, 1, "APPEND");
    case 'e': /* APPENDS */
    case 0x90: /* ADDITEMS */
        if ((st = pk_pop_mark(s, &start)) != A2A_OK) return st;
        if (start <= pk_floor(s)) return PK_FAIL(s, A2A_ERR_FORMAT, "stack underflow");
        x = s->stack[start - 1];
        if (op == 0x90 && x->kind != A2A_PK_SET) return PK_FAIL(s, A2A_ERR_FORMAT, "ADDITEMS on something that is not a set");
        if (op == 'e' && x->kind != A2A_PK_LIST) return PK_FAIL(s, A2A_ERR_FORMAT, "APPENDS on something that is not a list");
        if ((st = pk_seq_extend(s, x, s->stack + start, s->sp - start, op == 'e' ? "APPENDS" : "ADDITEMS")) != A2A_OK) return st;
        s->sp = start;
        return A2A_OK;
    case 's': /* SETITEM */
        if ((st = pk_pop(s, &z)) != A2A_OK || (st = pk_pop(s, &y)) != A2A_OK || (st = pk_top(s, &x)) != A2A_OK) return st;
        {
            a2a_pk_obj *kv[2] = {y, z};
            return pk_dict_add(s, x, kv, 1);
        }
    case 'u': /* SETITEMS */
        if ((st = pk_pop_mark(s, &start)) != A2A_OK) return st;
        if (start <= pk_floor(s)) return PK_FAIL(s, A2A_ERR_FORMAT, "stack underflow");
        if ((s->sp - start) % 2) return PK_FAIL(s, A2A_ERR_FORMAT, "SETITEMS with an odd number of items");
        if ((st = pk_dict_add(s, s->stack[start - 1], s->stack + start, (s->sp - start) / 2)) != A2A_OK) return st;
        s->sp = start;
        return A2A_OK;
    case 'N': return pk_push(s, s->none);
    case 0x88: return pk_push(s, s->yes);
    case 0x89: return pk_push(s, s->no);
    case 'I': { /* INT (text); "01"/"00" are True/False */
        const char *line = NULL;
        size_t len = 0;
        int64_t v;
        if ((st = pk_read_line(s, &line, &len)) != A2A_OK) return st;
        if (len == 2 && line[0] == '0' && (line[1] == '0' || line[1] == '1')) return pk_push(s, line[1] == '1' ? s->yes : s->no);
        if (!pk_parse_i64(line, len, false, &v)) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "INT is not a 64-bit decimal integer");
        return pk_push_int(s, v);
    }
    case 'L': { /* LONG (text) */
        const char *line = NULL;
        size_t len = 0;
        int64_t v;
        if ((st = pk_read_line(s, &line, &len)) != A2A_OK) return st;
        if (!pk_parse_i64(line, len, true, &v)) return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "LONG is not a 64-bit decimal integer");
        return pk_push_int(s, v);
    }
    case 'J': /* BININT */
        if ((st = pk_read_uint(s, 4, &u)) != A2A_OK) return st;
        return pk_push_int(s, (int64_t)(int32_t)(uint32_t)u);
    case 'K': /* BININT1 */
        if ((st = pk_read_uint(s, 1, &u)) != A2A_OK) return st;
        return pk_push_int(s, (int64_t)u);
    case 'M': /* BININT2 */
        if ((st = pk_read_uint(s, 2, &u)) != A2A_OK) return st;
        return pk_push_int(s, (int64_t)u);
    case 0x8a: return pk_op_long_bin(s, 1); /* LONG1 */
    case 0x8b: return pk_op_long_bin(s, 4); /* LONG4 */
    case 'G': { /* BINFLOAT: big-endian IEEE double */
        if ((st = pk_read(s, 8, &b)) != A2A_OK) return st;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = (bits << 8) | b[i];
        if (!(x = pk_new(s, A2A_PK_FLOAT))) return s->err;
        memcpy(&x->u.f, &bits, 8);
        return pk_push(s, x);
    }
    case 'F': { /* FLOAT (text) */
        const char *line = NULL;
        size_t len = 0;
        char tmp[64];
        if ((st = pk_read_line(s, &line, &len)) != A2A_OK) return st;
        if (len == 0 || len >= sizeof(tmp)) return PK_FAIL(s, A2A_ERR_FORMAT, "bad FLOAT text");
        memcpy(tmp, line, len);
        tmp[len] = '\0';
        char *endp;
        errno = 0;
        double v = strtod(tmp, &endp);
        if (endp != tmp + len) return PK_FAIL(s, A2A_ERR_FORMAT, "bad FLOAT text");
        if (!(x = pk_new(s, A2A_PK_FLOAT))) return s->err;
        x->u.f = v;
        return pk_push(s, x);
    }
    case 'X': return pk_op_counted(s, 4, false, A2A_PK_STR);    /* BINUNICODE */
    case 0x8c: return pk_op_counted(s, 1, false, A2A_PK_STR);  /* SHORT_BINUNICODE */
    case 0x8d: return pk_op_counted(s, 8, false, A2A_PK_STR);  /* BINUNICODE8 */
    case 'T': return pk_op_counted(s, 4, true, A2A_PK_STR);    /* BINSTRING */
    case 'U': return pk_op_counted(s, 1, false, A2A_PK_STR);   /* SHORT_BINSTRING */
    case 'B': return pk_op_counted(s, 4, false, A2A_PK_BYTES); /* BINBYTES */
    case 'C': return pk_op_counted(s, 1, false, A2A_PK_BYTES); /* SHORT_BINBYTES */
    case 0x8e: return pk_op_counted(s, 8, false, A2A_PK_BYTES); /* BINBYTES8 */
    case 0x96: return pk_op_counted(s, 8, false, A2A_PK_BYTES); /* BYTEARRAY8 */
    case 'S': return pk_op_text_string(s, true);  /* STRING */
    case 'V': return pk_op_text_string(s, false); /* UNICODE */
    case 'p': { /* PUT (text index) */
        const char *line = NULL;
        size_t len = 0;
        int64_t v;
        if ((st = pk_read_line(s, &line, &len)) != A2A_OK) return st;
        if (!pk_parse_i64(line, len, false, &v) || v < 0) return PK_FAIL(s, A2A_ERR_FORMAT, "bad PUT index");
        return pk_memo_put(s, (uint64_t)v);
    }
    case 'q': /* BINPUT */
        if ((st = pk_read_uint(s, 1, &u)) != A2A_OK) return st;
        return pk_memo_put(s, u);
    case 'r': /* LONG_BINPUT */
        if ((st = pk_read_uint(s, 4, &u)) != A2A_OK) return st;
        return pk_memo_put(s, u);
    case 0x94: /* MEMOIZE */
        return pk_memo_put(s, s->memo_count);
    case 'g': { /* GET (text index) */
        const char *line = NULL;
        size_t len = 0;
        int64_t v;
        if ((st = pk_read_line(s, &line, &len)) != A2A_OK) return st;
        if (!pk_parse_i64(line, len, false, &v) || v < 0) return PK_FAIL(s, A2A_ERR_FORMAT, "bad GET index");
        return pk_memo_get(s, (uint64_t)v);
    }
    case 'h': /* BINGET */
        if ((st = pk_read_uint(s, 1, &u)) != A2A_OK) return st;
        return pk_memo_get(s, u);
    case 'j': /* LONG_BINGET */
        if ((st = pk_read_uint(s, 4, &u)) != A2A_OK) return st;
        return pk_memo_get(s, u);
    case 'c': { /* GLOBAL "module\nname\n" */
        const char *m = NULL, *n = NULL;
        size_t ml = 0, nl = 0;
        if ((st = pk_read_line(s, &m, &ml)) != A2A_OK || (st = pk_read_line(s, &n, &nl)) != A2A_OK) return st;
        return pk_global(s, m, ml, n, nl);
    }
    case 0x93: /* STACK_GLOBAL */
        if ((st = pk_pop(s, &y)) != A2A_OK || (st = pk_pop(s, &x)) != A2A_OK) return st;
        if (x->kind != A2A_PK_STR || y->kind != A2A_PK_STR) return PK_FAIL(s, A2A_ERR_FORMAT, "STACK_GLOBAL operands are not strings");
        return pk_global(s, x->u.str.ptr, x->u.str.len, y->u.str.ptr, y->u.str.len);
    case 'R': /* REDUCE */
        if ((st = pk_pop(s, &y)) != A2A_OK || (st = pk_pop(s, &x)) != A2A_OK) return st;
        if ((st = pk_apply(s, x, y, 0, &z)) != A2A_OK) return st;
        return pk_push(s, z);
    case 0x81: /* NEWOBJ: cls.__new__(cls, *args) — only OrderedDict and sets */
        if ((st = pk_pop(s, &y)) != A2A_OK || (st = pk_pop(s, &x)) != A2A_OK) return st;
        if (x->kind != A2A_PK_GLOBAL || y->kind != A2A_PK_TUPLE) return PK_FAIL(s, A2A_ERR_FORMAT, "NEWOBJ operands are malformed");
        if (x->u.global.id == A2A_PKG_ORDERED_DICT) z = pk_new(s, A2A_PK_DICT);
        else if (x->u.global.id == A2A_PKG_SET || x->u.global.id == A2A_PKG_FROZENSET) z = pk_new(s, A2A_PK_SET);
        else return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing to instantiate '%s'", x->u.global.name);
        if (!z) return s->err;
        return pk_push(s, z);
    case 'b': /* BUILD */
        if ((st = pk_pop(s, &y)) != A2A_OK || (st = pk_top(s, &x)) != A2A_OK) return st;
        return pk_build(s, x, y);
    case 'Q': /* BINPERSID */
        if ((st = pk_pop(s, &x)) != A2A_OK) return st;
        if ((st = pk_persid(s, x, &y)) != A2A_OK) return st;
        return pk_push(s, y);
    case 'P': return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "text persistent ids (PERSID) are not written by torch.save");
    case 'i': return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing opcode INST (instantiates a class)");
    case 'o': return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing opcode OBJ (instantiates a class)");
    case 0x92: return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing opcode NEWOBJ_EX (instantiates a class)");
    case 0x82: case 0x83: case 0x84: return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "refusing extension-registry opcode EXT");
    case 0x97: case 0x98: return PK_FAIL(s, A2A_ERR_UNSUPPORTED, "out-of-band buffers (protocol 5) are not supported");
    default: return PK_FAIL(s, A2A_ERR_FORMAT, "unknown opcode 0x%02x", op);
    }
}

a2a_pickle_limits a2a_pickle_default_limits(void) {
    a2a_pickle_limits l = {.max_stack = 100000, .max_marks = 10000, .max_memo = (size_t)1 << 24, .max_objects = (size_t)1 << 26};
    return l;
}

a2a_status a2a_pickle_load(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_pickle_limits *lim,
                           a2a_pickle **out) {
    if (!out || (!data && size)) return a2a_fail(ctx, A2A_ERR_INVALID_ARG, "pickle: NULL argument");
    *out = NULL;
    pk_state s = {.ctx = ctx, .data = data, .size = size, .lim = lim ? *lim : a2a_pickle_default_limits()};
    s.p = calloc(1, sizeof(*s.p));
    if (!s.p) return a2a_fail(ctx, A2A_ERR_NOMEM, "pickle: out of memory");
    a2a_status st = A2A_OK;
    if (!(s.none = pk_new(&s, A2A_PK_NONE)) || !(s.yes = pk_new(&s, A2A_PK_BOOL)) || !(s.no = pk_new(&s, A2A_PK_BOOL))) {
        st = s.err;
        goto done;
    }
    s.yes->u.b = true;
    /* the stack always exists, so "stack + start" never offsets a NULL pointer */
    if (!pk_grow((void **)&s.stack, &s.stack_cap, 64, sizeof(*s.stack))) {
        st = a2a_fail(ctx, A2A_ERR_NOMEM, "pickle: out of memory");
        goto done;
    }
    bool stop = false;
    while (!stop && st == A2A_OK) st = pk_step(&s, &stop);
done:
    free(s.stack);
    free(s.marks);
    free(s.memo);
    if (st != A2A_OK) {
        a2a_pickle_free(s.p);
        return st;
    }
    *out = s.p;
    return A2A_OK;
}

const a2a_pk_obj *a2a_pickle_root(const a2a_pickle *p) { return p ? p->root : NULL; }
int a2a_pickle_protocol(const a2a_pickle *p) { return p ? p->proto : 0; }
size_t a2a_pickle_n_objects(const a2a_pickle *p) { return p ? p->n_objs : 0; }

void a2a_pickle_free(a2a_pickle *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_objs; i++) {
        a2a_pk_obj *o = &p->chunks[i / PK_CHUNK][i % PK_CHUNK];
        switch (o->kind) {
        case A2A_PK_STR: case A2A_PK_BYTES: free(o->u.str.ptr); break;
        case A2A_PK_TUPLE: case A2A_PK_LIST: case A2A_PK_SET: free(o->u.seq.items); break;
        case A2A_PK_DICT: free(o->u.dict.keys); free(o->u.dict.vals); break;
        case A2A_PK_STORAGE: free(o->u.storage.key); free(o->u.storage.location); break;
        case A2A_PK_TENSOR: free(o->u.tensor.size); break;
        default: break;
        }
    }
    for (size_t i = 0; i < p->n_chunks; i++) free(p->chunks[i]);
    free(p->chunks);
    free(p);
}

const a2a_pk_obj *a2a_pk_dict_get(const a2a_pk_obj *dict, const char *key) {
    if (!dict || dict->kind != A2A_PK_DICT || !key) return NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < dict->u.dict.n; i++) {
        const a2a_pk_obj *k = dict->u.dict.keys[i];
        if (k->kind == A2A_PK_STR && k->u.str.len == kl && !memcmp(k->u.str.ptr, key, kl)) return dict->u.dict.vals[i];
    }
    return NULL;
}

const char *a2a_pk_repr(const a2a_pk_obj *o, char *buf, size_t cap) {
    if (!buf || !cap) return buf;
    buf[0] = '\0';
    if (!o) return buf;
    switch (o->kind) {
    case A2A_PK_NONE: snprintf(buf, cap, "None"); break;
    case A2A_PK_BOOL: snprintf(buf, cap, "%s", o->u.b ? "True" : "False"); break;
    case A2A_PK_INT: snprintf(buf, cap, "%lld", (long long)o->u.i); break;
    case A2A_PK_FLOAT: /* shortest of %.15g..%.17g that reads back exactly, as Python's repr */
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, cap, "%.*g", prec, o->u.f);
            if (strtod(buf, NULL) == o->u.f || o->u.f != o->u.f) break;
        }
        break;
    case A2A_PK_STR:
    case A2A_PK_BYTES: {
        size_t w = 0;
        const char *q = o->kind == A2A_PK_STR ? "'" : "b'";
        w = (size_t)snprintf(buf, cap, "%s", q);
        for (size_t i = 0; i < o->u.str.len && w + 8 < cap; i++) {
            unsigned char c = (unsigned char)o->u.str.ptr[i];
            if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') buf[w++] = (char)c;
            else if (o->kind == A2A_PK_STR && c >= 0x80) buf[w++] = (char)c; /* UTF-8 passes through */
            else w += (size_t)snprintf(buf + w, cap - w, "\\x%02x", c);
        }
        if (w + 2 <= cap) { buf[w++] = '\''; buf[w] = '\0'; }
        else if (cap >= 4) memcpy(buf + cap - 4, "...", 4);
        break;
    }
    case A2A_PK_TUPLE: snprintf(buf, cap, "(tuple of %zu)", o->u.seq.n); break;
    case A2A_PK_LIST: snprintf(buf, cap, "[list of %zu]", o->u.seq.n); break;
    case A2A_PK_SET: snprintf(buf, cap, "{set of %zu}", o->u.seq.n); break;
    case A2A_PK_DICT: snprintf(buf, cap, "{dict of %zu}", o->u.dict.n); break;
    case A2A_PK_GLOBAL: snprintf(buf, cap, "%s", o->u.global.name); break;
    case A2A_PK_STORAGE: snprintf(buf, cap, "storage %s '%s'", a2a_pk_dtype_name(o->u.storage.dtype), o->u.storage.key); break;
    case A2A_PK_TENSOR: {
        int w = snprintf(buf, cap, "tensor %s [", a2a_pk_dtype_name(o->u.tensor.storage->u.storage.dtype));
        for (int i = 0; i < o->u.tensor.ndim && w > 0 && (size_t)w < cap; i++)
            w += snprintf(buf + w, cap - (size_t)w, "%s%lld", i ? ", " : "", (long long)o->u.tensor.size[i]);
        if (w > 0 && (size_t)w < cap) snprintf(buf + w, cap - (size_t)w, "]");
        break;
    }
    }
    return buf;
}
