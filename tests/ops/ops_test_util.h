/* Helpers shared by the elementwise/norm/softmax/rope/data op tests: F32 tensors in several
   memory layouts (packed, padded, transposed, permuted), element access, and the loops over
   kernel levels and thread counts. Header-only; include after a2a_test.h. */
#ifndef A2A_OPS_TEST_UTIL_H
#define A2A_OPS_TEST_UTIL_H

#include "core/cpu.h"
#include "core/tensor.h"
#include "core/threadpool.h"

/* Layouts: 0 packed, 1 padded rows (+ offset), 2 dims 0/1 transposed in memory (rows not
   packed), 3 dims 1/2 swapped in memory (rows packed, outer strides permuted). */
#define OT_N_LAYOUTS 4
static const char *const ot_layout_name[OT_N_LAYOUTS] = {"packed", "padded", "transposed", "permuted"};

typedef struct ot_tensor {
    void *mem;    /* allocation (free with ot_free) */
    a2a_tensor t; /* 4-D view into mem */
} ot_tensor;

/* A 4-D tensor of type `type` (plain types only) with logical shape ne in layout `layout`,
   contents zeroed. */
static inline ot_tensor ot_new_typed(a2a_type type, int layout, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    static const int perms[OT_N_LAYOUTS][4] = {{0, 1, 2, 3}, {0, 1, 2, 3}, {1, 0, 2, 3}, {0, 2, 1, 3}};
    const int *p = perms[layout];
    const int64_t pad = layout == 1 ? 3 : 0;
    const size_t es = a2a_type_info(type)->size;
    int64_t ne[4] = {ne0, ne1, ne2, ne3};
    ot_tensor r;
    memset(&r, 0, sizeof r);
    size_t stride = es;
    for (int k = 0; k < 4; k++) {
        r.t.nb[p[k]] = stride;
        stride *= (size_t)(ne[p[k]] + (k == 0 ? pad : 0));
    }
    r.mem = calloc(stride + 4 * es, 1);
    r.t.type = type;
    r.t.n_dims = 4;
    for (int i = 0; i < 4; i++) r.t.ne[i] = ne[i];
    r.t.ne[4] = 1;
    r.t.nb[4] = stride;
    r.t.data = (char *)r.mem + (layout == 1 ? 2 * es : 0);
    return r;
}

static inline ot_tensor ot_new(int layout, int64_t ne0, int64_t ne1, int64_t ne2, int64_t ne3) {
    return ot_new_typed(A2A_TYPE_F32, layout, ne0, ne1, ne2, ne3);
}

static inline void ot_free(ot_tensor *t) {
    free(t->mem);
    t->mem = NULL;
}

/* Address of element (i0, i1, i2, i3). */
static inline void *ot_ptr(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    return (char *)t->data + (size_t)i0 * t->nb[0] + (size_t)i1 * t->nb[1] + (size_t)i2 * t->nb[2] +
           (size_t)i3 * t->nb[3];
}
static inline float ot_get(const a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    return *(float *)ot_ptr(t, i0, i1, i2, i3);
}
static inline void ot_set(a2a_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3, float v) {
    *(float *)ot_ptr(t, i0, i1, i2, i3) = v;
}

/* Fill with uniform values in [lo, hi). */
static inline void ot_fill(a2a_test_rng *rng, a2a_tensor *t, float lo, float hi) {
    for (int64_t i3 = 0; i3 < t->ne[3]; i3++)
        for (int64_t i2 = 0; i2 < t->ne[2]; i2++)
            for (int64_t i1 = 0; i1 < t->ne[1]; i1++)
                for (int64_t i0 = 0; i0 < t->ne[0]; i0++) ot_set(t, i0, i1, i2, i3, a2a_test_uniform(rng, lo, hi));
}

/* Loop over the kernel levels this CPU supports (variable lvl), restoring the max after. */
#define OT_FOR_LEVELS(lvl)                                                                       \
    for (int lvl = A2A_LEVEL_REF, lvl##_max_ = (int)a2a_kernel_level_max();                      \
         lvl <= (lvl##_max_ < A2A_LEVEL_AVX512 ? lvl##_max_ : A2A_LEVEL_AVX512) &&               \
         (a2a_kernel_level_set((a2a_kernel_level)lvl), 1);                                       \
         lvl++)

/* Thread pools of 1, 2 and 3 threads (index 0..2), made once. */
static inline a2a_threadpool *ot_pool(int i) {
    static a2a_threadpool *pools[3];
    if (!pools[i]) a2a_threadpool_new(NULL, i + 1, &pools[i]);
    return pools[i];
}

static const int64_t ot_sizes[] = {1, 3, 15, 16, 17, 31, 33, 64, 100, 4099};
#define OT_N_SIZES ((int)(sizeof(ot_sizes) / sizeof(ot_sizes[0])))

#endif
