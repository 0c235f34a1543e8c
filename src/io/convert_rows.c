/* Parallel row conversion between element types (see convert_rows.h). */
#include "io/convert_rows.h"
#include "kernels/convert.h"

#include <stdlib.h>
#include <string.h>

typedef struct rows_job {
    const a2a_tensor *src;
    a2a_type dst_type;
    char *dst;
    size_t src_row;  /* bytes of one packed source row */
    size_t dst_row;  /* bytes of one destination row */
    bool failed;     /* set by any worker whose conversion or allocation failed */
} rows_job;

/* Address of row r of t, decomposing r over ne[1..4] (ne[1] fastest). */
static const char *row_ptr(const a2a_tensor *t, int64_t r) {
    const char *p = t->data;
    for (int d = 1; d < A2A_MAX_DIMS; d++) {
        int64_t i = r % t->ne[d];
        r /= t->ne[d];
        p += (size_t)i * t->nb[d];
    }
    return p;
}

/* Worker: rows [r0, r1) through an aligned scratch row (source copy) and an F32 row. */
static void rows_task(void *arg, int64_t r0, int64_t r1, int ith, int nth) {
    (void)ith;
    (void)nth;
    rows_job *j = arg;
    const a2a_tensor *s = j->src;
    const int64_t n = s->ne[0];
    const size_t esz = a2a_type_info(s->type)->size;
    const bool packed = a2a_type_info(s->type)->quantized || s->nb[0] == esz;
    float *tmp = malloc(sizeof(float) * (size_t)(n ? n : 1));
    void *raw = malloc(j->src_row ? j->src_row : 1);
    if (!tmp || !raw) {
        j->failed = true;
        free(tmp);
        free(raw);
        return;
    }
    for (int64_t r = r0; r < r1 && !j->failed; r++) {
        const char *src = row_ptr(s, r);
        if (packed) {
            memcpy(raw, src, j->src_row); /* aligned copy: file data may be unaligned */
        } else {                          /* strided elements of a plain type: gather */
            for (int64_t i = 0; i < n; i++) memcpy((char *)raw + (size_t)i * esz, src + (size_t)i * s->nb[0], esz);
        }
        bool ok = s->type == A2A_TYPE_F32 ? (memcpy(tmp, raw, sizeof(float) * (size_t)n), true)
                                          : a2a_convert_row(s->type, raw, A2A_TYPE_F32, tmp, n);
        ok = ok && a2a_convert_row(A2A_TYPE_F32, tmp, j->dst_type, j->dst + (size_t)r * j->dst_row, n);
        if (!ok) j->failed = true;
    }
    free(tmp);
    free(raw);
}

/* Contract in convert_rows.h. */
a2a_status a2a_convert_rows(a2a_ctx *ctx, a2a_threadpool *tp, const a2a_tensor *src, a2a_type dst_type, void *dst) {
    const char *name = src->name ? src->name : "?";
    if (!a2a_convert_supported(src->type, A2A_TYPE_F32) || !a2a_convert_supported(A2A_TYPE_F32, dst_type))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "convert: tensor '%s': no conversion from %s to %s", name,
                        a2a_type_name(src->type), a2a_type_name(dst_type));
    rows_job j = {src, dst_type, dst, 0, 0, false};
    if (!a2a_row_size(src->type, src->ne[0], &j.src_row) || !a2a_row_size(dst_type, src->ne[0], &j.dst_row))
        return a2a_fail(ctx, A2A_ERR_UNSUPPORTED, "convert: tensor '%s': rows of %lld elements do not fit %s blocks", name,
                        (long long)src->ne[0], a2a_type_name(dst_type));
    int64_t rows = a2a_tensor_nrows(src);
    if (rows > 0 && src->ne[0] > 0) a2a_parallel_for(tp, rows, 16, rows_task, &j);
    if (j.failed) return a2a_fail(ctx, A2A_ERR_NOMEM, "convert: converting '%s' to %s failed", name, a2a_type_name(dst_type));
    return A2A_OK;
}
