/* Internal: a restricted unpickler for PyTorch state_dict pickles (data.pkl).

   It is a stack machine over the pickle opcodes of protocols 0-5 that a state_dict can
   contain; it never executes code. GLOBAL/STACK_GLOBAL accept only an allow-list
   (collections.OrderedDict, torch._utils._rebuild_tensor[_v2], _rebuild_parameter[_with_state],
   torch._tensor._rebuild_from_type_v2, torch.<X>Storage, torch.UntypedStorage, torch dtypes,
   torch.nn.parameter.Parameter/torch.Tensor (as rebuild types only), torch.device, torch.Size,
   builtins.set/frozenset, _codecs.encode); any other global fails with A2A_ERR_UNSUPPORTED naming it. REDUCE/NEWOBJ
   apply only these callables, each with its arguments type-checked. BINPERSID accepts torch's
   ('storage', storage_type, key, location, numel) ids. Every read stays inside the pickle
   bytes; memo indices, stack depth, mark depth and object count are bounded. */
#ifndef A2A_IO_PICKLE_H
#define A2A_IO_PICKLE_H

#include "core/status.h"

#include <stdio.h>

/* Most dims a tensor may have in the pickle (the checkpoint reader allows fewer). */
#define A2A_PK_MAX_DIMS 16

/* PyTorch element types a storage can have. */
typedef enum a2a_pk_dtype {
    A2A_PKD_F32 = 0,
    A2A_PKD_F64,
    A2A_PKD_F16,
    A2A_PKD_BF16,
    A2A_PKD_I64,
    A2A_PKD_I32,
    A2A_PKD_I16,
    A2A_PKD_I8,
    A2A_PKD_U8,
    A2A_PKD_BOOL,
    A2A_PKD_DTYPE_COUNT
} a2a_pk_dtype;

/* Bytes per element of a dtype (0 for an invalid one). */
size_t a2a_pk_dtype_size(int dtype);
/* PyTorch name of a dtype ("float32", "bool", ...; "?" for an invalid one). */
const char *a2a_pk_dtype_name(int dtype);

typedef enum a2a_pk_kind {
    A2A_PK_NONE = 0,
    A2A_PK_BOOL,
    A2A_PK_INT,     /* fits int64 (bigger integers are refused) */
    A2A_PK_FLOAT,
    A2A_PK_STR,     /* UTF-8 text, NUL-terminated copy (may contain NULs; use len) */
    A2A_PK_BYTES,   /* raw bytes, NUL-terminated copy */
    A2A_PK_TUPLE,
    A2A_PK_LIST,
    A2A_PK_SET,     /* set or frozenset */
    A2A_PK_DICT,    /* dict or OrderedDict, keys in insertion order */
    A2A_PK_GLOBAL,  /* an allowed global (callable, storage type, dtype, ...) */
    A2A_PK_STORAGE, /* a persistent storage reference */
    A2A_PK_TENSOR   /* a rebuilt tensor (view of a storage) */
} a2a_pk_kind;

/* Allowed globals. */
typedef enum a2a_pk_global_id {
    A2A_PKG_ORDERED_DICT = 0,
    A2A_PKG_REBUILD_TENSOR_V2,
    A2A_PKG_REBUILD_TENSOR,
    A2A_PKG_REBUILD_PARAMETER,
    A2A_PKG_REBUILD_PARAMETER_WITH_STATE,
    A2A_PKG_REBUILD_FROM_TYPE_V2,
    A2A_PKG_STORAGE_TYPE,  /* torch.FloatStorage, ...; dtype says which */
    A2A_PKG_TORCH_DTYPE,   /* torch.float32, ... (an opaque value) */
    A2A_PKG_TENSOR_TYPE,   /* torch.Tensor / torch.nn.parameter.Parameter (rebuild type only) */
    A2A_PKG_SET,
    A2A_PKG_FROZENSET,
    A2A_PKG_CODECS_ENCODE,
    A2A_PKG_TORCH_DEVICE, /* torch.device('cuda', 0) -> the string "cuda:0" */
    A2A_PKG_TORCH_SIZE    /* torch.Size((2, 3)) -> the tuple (2, 3) */
} a2a_pk_global_id;

typedef struct a2a_pk_obj a2a_pk_obj;
struct a2a_pk_obj {
    a2a_pk_kind kind;
    union {
        bool b;
        int64_t i;
        double f;
        struct { char *ptr; size_t len; } str;                            /* STR, BYTES */
        struct { a2a_pk_obj **items; size_t n, cap; } seq;               /* TUPLE, LIST, SET */
        struct { a2a_pk_obj **keys, **vals; size_t n, cap; } dict;       /* DICT */
        struct { a2a_pk_global_id id; int dtype; const char *name; } global; /* name: static "module.name" */
        struct { int dtype; char *key; char *location; int64_t numel; } storage; /* key/location: owned NUL-terminated strings */
        struct {
            a2a_pk_obj *storage;  /* A2A_PK_STORAGE */
            int64_t offset;       /* storage_offset in elements, >= 0 */
            int ndim;             /* 0..A2A_PK_MAX_DIMS */
            int64_t *size;        /* ndim entries, PyTorch order, >= 0 */
            int64_t *stride;      /* ndim entries, PyTorch order, in elements, >= 0 */
        } tensor;
    } u;
};

/* Limits of one load; a2a_pickle_default_limits fills the defaults. */
typedef struct a2a_pickle_limits {
    size_t max_stack;   /* values on the stack (default 100000) */
    size_t max_marks;   /* open MARKs (default 10000) */
    size_t max_memo;    /* memo index bound (default 1<<24; also < pickle size + 1) */
    size_t max_objects; /* objects created (default 1<<26) */
} a2a_pickle_limits;

a2a_pickle_limits a2a_pickle_default_limits(void);

/* The result of a load: owns every object. */
typedef struct a2a_pickle a2a_pickle;

/* Unpickle data[0..size) (up to and including its STOP; bytes after it are ignored).
   lim may be NULL for the defaults. On success *out owns the object graph (free with
   a2a_pickle_free). Errors: A2A_ERR_FORMAT (malformed, truncated, stack underflow, limits),
   A2A_ERR_UNSUPPORTED (refused global/opcode, integer too big), A2A_ERR_NOMEM. */
a2a_status a2a_pickle_load(a2a_ctx *ctx, const uint8_t *data, size_t size, const a2a_pickle_limits *lim,
                           a2a_pickle **out);

/* The object STOP returned (never NULL for a loaded pickle). */
const a2a_pk_obj *a2a_pickle_root(const a2a_pickle *p);
/* Highest PROTO seen (0 if none). */
int a2a_pickle_protocol(const a2a_pickle *p);
/* Number of objects created. */
size_t a2a_pickle_n_objects(const a2a_pickle *p);
/* Free a load result (NULL is fine). */
void a2a_pickle_free(a2a_pickle *p);

/* Value of the str key in a dict, or NULL (also NULL if dict is not a dict). */
const a2a_pk_obj *a2a_pk_dict_get(const a2a_pk_obj *dict, const char *key);

/* A short, one-line, printable rendering of o into buf (always NUL-terminated when cap > 0),
   e.g. 3, 0.1, 'adam', None, [list of 4], tensor float32 [2, 3]; returns buf. */
const char *a2a_pk_repr(const a2a_pk_obj *o, char *buf, size_t cap);

#endif
