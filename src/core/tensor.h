/* Internal: tensors — up to 5 dims, element counts ne[] (ne[0] is the innermost,
   contiguous dimension, as in GGUF/ggml; the reverse of PyTorch's order) and byte
   strides nb[] (views, permutes and transposes share data without copies). */
#ifndef A2A_CORE_TENSOR_H
#define A2A_CORE_TENSOR_H

#include "core/status.h"
#include "core/types.h"

#define A2A_MAX_DIMS 5

typedef struct a2a_tensor {
    a2a_type type;
    int n_dims;                 /* 1..5 (dims past n_dims have ne=1) */
    int64_t ne[A2A_MAX_DIMS];   /* elements per dim; for block types ne[0] is a multiple of the block size */
    size_t nb[A2A_MAX_DIMS];    /* byte strides; nb[0] = bytes per block, nb[1] = row stride, ... */
    void *data;                 /* first element; not owned */
    const char *name;           /* for messages; NULL or a string that outlives the tensor (not owned) */
} a2a_tensor;

/* A tensor header over data with contiguous strides. ne has n_dims entries (innermost first).
   Returns false (leaving *t zeroed) on a bad type, n_dims out of 1..5, negative dims,
   ne[0] not a multiple of the block size, or byte-size overflow. */
bool a2a_tensor_init(a2a_tensor *t, a2a_type type, int n_dims, const int64_t *ne, void *data);

/* Convenience for tests and small code: same as a2a_tensor_init with up to 4 explicit dims
   (pass 1 for unused); A2A_ASSERTs on failure, so only for programmer-chosen shapes. */
a2a_tensor a2a_tensor_make(a2a_type type, void *data, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3);

int64_t a2a_tensor_nelements(const a2a_tensor *t);
int64_t a2a_tensor_nrows(const a2a_tensor *t); /* product of ne[1..] */
/* Bytes spanned by the tensor (for contiguous tensors: its size). */
size_t a2a_tensor_nbytes(const a2a_tensor *t);
/* True when the strides are the packed, row-major (ggml order) strides. */
bool a2a_tensor_is_contiguous(const a2a_tensor *t);
/* True when each row (dim 0) is packed, whatever the outer strides. */
bool a2a_tensor_rows_contiguous(const a2a_tensor *t);
bool a2a_tensor_same_shape(const a2a_tensor *a, const a2a_tensor *b);

/* Views (no copies). Shapes/offsets are programmer-chosen: they A2A_ASSERT in range. */
/* Swap dims 0 and 1. */
a2a_tensor a2a_tensor_transpose(const a2a_tensor *t);
/* Dim i of the result is dim perm[i] of t (perm has 5 entries; a permutation of 0..4). */
a2a_tensor a2a_tensor_permute(const a2a_tensor *t, const int perm[A2A_MAX_DIMS]);
/* A sub-block view: ne of the view, starting at element offsets off[] (dims past n_dims ignored). */
a2a_tensor a2a_tensor_view(const a2a_tensor *t, int n_dims, const int64_t *ne, const int64_t *off);
/* Reinterpret a contiguous tensor with a new shape of the same element count. */
a2a_tensor a2a_tensor_reshape(const a2a_tensor *t, int n_dims, const int64_t *ne);

/* Address of element (i0,i1,i2,i3,i4); for block types i0 must be a block start. */
static inline void *a2a_tensor_ptr(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3, int64_t i4) {
    const a2a_type_traits *tr = a2a_type_info(t->type);
    return (char *)t->data + (size_t)(i0 / tr->blck) * t->nb[0] + (size_t)i1 * t->nb[1] + (size_t)i2 * t->nb[2] +
           (size_t)i3 * t->nb[3] + (size_t)i4 * t->nb[4];
}

/* Shape as "[a, b, c]" into buf (returns buf). */
const char *a2a_tensor_shape_str(const a2a_tensor *t, char *buf, size_t cap);


#endif
