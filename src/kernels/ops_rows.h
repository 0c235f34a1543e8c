/* Internal to the ops in ops.h: row-kernel tables per kernel level and helpers that turn
   strided tensor rows into packed float rows. Row kernels work on packed F32 rows of n
   elements; in-place (output == an input) is allowed for every row kernel below. */
#ifndef A2A_KERNELS_OPS_ROWS_H
#define A2A_KERNELS_OPS_ROWS_H

#include <stdint.h>
#include <string.h>

#include "core/cpu.h"
#include "core/scratch.h"
#include "core/tensor.h"

enum a2a_binop { A2A_BIN_ADD = 0, A2A_BIN_SUB, A2A_BIN_MUL, A2A_BIN_DIV };
enum a2a_unop {
    A2A_UN_SILU = 0,
    A2A_UN_GELU,
    A2A_UN_GELU_TANH,
    A2A_UN_QUICK_GELU,
    A2A_UN_RELU,
    A2A_UN_SIGMOID,
    A2A_UN_TANH,
};
enum a2a_gluop { A2A_GLU_SILU = 0, A2A_GLU_GELU }; /* out = act(gate) * val */

/* Elementwise row kernels. binary: d = a op b; binary_s: d = a op s; unary: d = f(x);
   scale: d = fma(s, x, bias); glu: d = act(gate) * val. */
typedef struct a2a_ew_kernels {
    void (*binary)(int op, int64_t n, float *d, const float *a, const float *b);
    void (*binary_s)(int op, int64_t n, float *d, const float *a, float s);
    void (*unary)(int op, int64_t n, float *d, const float *x);
    void (*scale)(int64_t n, float *d, const float *x, float s, float bias);
    void (*glu)(int op, int64_t n, float *d, const float *gate, const float *val);
} a2a_ew_kernels;

/* Normalization row kernels. sum: sum of x in double; sumsq_dev: sum of (x - mean)^2 in
   double; apply: y = ((x - mean_hi - mean_lo) * scale) * (w ? w : 1) + (b ? b : 0) + shift, where
   mean = mean_hi + mean_lo (hi/lo float split: x - mean_hi is exact near the mean, so rows
   with a large common offset keep full precision). */
typedef struct a2a_norm_kernels {
    double (*sum)(int64_t n, const float *x);
    double (*sumsq_dev)(int64_t n, const float *x, double mean);
    void (*apply)(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale, const float *w,
                  const float *b, float shift);
} a2a_norm_kernels;

/* Softmax row kernel: y = softmax(scale * x + mask) (mask may be NULL); an all -inf row
   gives zeros. */
typedef void (*a2a_softmax_row_fn)(int64_t n, float *y, const float *x, const float *mask, float scale);

/* ---- per-level implementations (ref always; x86 only on x86-64 builds) ---- */
void a2a_ref_binary(int op, int64_t n, float *d, const float *a, const float *b);
void a2a_ref_binary_s(int op, int64_t n, float *d, const float *a, float s);
void a2a_ref_unary(int op, int64_t n, float *d, const float *x);
void a2a_ref_scale(int64_t n, float *d, const float *x, float s, float bias);
void a2a_ref_glu(int op, int64_t n, float *d, const float *gate, const float *val);
double a2a_ref_sum(int64_t n, const float *x);
double a2a_ref_sumsq_dev(int64_t n, const float *x, double mean);
void a2a_ref_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale,
                        const float *w, const float *b, float shift);
void a2a_ref_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale);
/* Rotary row kernel: rotate the first n_rot (even, <= n) elements of a row of n and copy the
   rest. cs holds 2 n_rot floats, C[n_rot] then S[n_rot], such that
       y[k] = x[k] * C[k] + x[partner(k)] * S[k]   for k < n_rot,
   with partner(k) = k ^ 1 for A2A_ROPE_NORMAL and k +- n_rot/2 for A2A_ROPE_NEOX (so C holds
   each cos twice and S holds -sin at the first and +sin at the second element of a pair). */
typedef void (*a2a_rope_row_fn)(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs);
void a2a_ref_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs);

#if defined(__x86_64__) || defined(_M_X64)
#define A2A_HAVE_X86_KERNELS 1
void a2a_avx2_binary(int op, int64_t n, float *d, const float *a, const float *b);
void a2a_avx2_binary_s(int op, int64_t n, float *d, const float *a, float s);
void a2a_avx2_unary(int op, int64_t n, float *d, const float *x);
void a2a_avx2_scale(int64_t n, float *d, const float *x, float s, float bias);
void a2a_avx2_glu(int op, int64_t n, float *d, const float *gate, const float *val);
double a2a_avx2_sum(int64_t n, const float *x);
double a2a_avx2_sumsq_dev(int64_t n, const float *x, double mean);
void a2a_avx2_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale,
                         const float *w, const float *b, float shift);
void a2a_avx2_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale);
void a2a_avx2_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs);

void a2a_avx512_binary(int op, int64_t n, float *d, const float *a, const float *b);
void a2a_avx512_binary_s(int op, int64_t n, float *d, const float *a, float s);
void a2a_avx512_unary(int op, int64_t n, float *d, const float *x);
void a2a_avx512_scale(int64_t n, float *d, const float *x, float s, float bias);
void a2a_avx512_glu(int op, int64_t n, float *d, const float *gate, const float *val);
double a2a_avx512_sum(int64_t n, const float *x);
double a2a_avx512_sumsq_dev(int64_t n, const float *x, double mean);
void a2a_avx512_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale,
                           const float *w, const float *b, float shift);
void a2a_avx512_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale);
void a2a_avx512_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs);
#endif

/* ---- strided-row helpers ---- */

/* Byte offset of row (i1, i2, i3, i4) of t. */
static inline size_t a2a_row_offset(const a2a_tensor *t, int64_t i1, int64_t i2, int64_t i3, int64_t i4) {
    return (size_t)i1 * t->nb[1] + (size_t)i2 * t->nb[2] + (size_t)i3 * t->nb[3] + (size_t)i4 * t->nb[4];
}

/* Split a flat row index r of a tensor with rows ne[1..4] into (i1, i2, i3, i4). */
static inline void a2a_row_index(const int64_t *ne, int64_t r, int64_t idx[4]) {
    idx[0] = r % ne[1];
    r /= ne[1];
    idx[1] = r % ne[2];
    r /= ne[2];
    idx[2] = r % ne[3];
    idx[3] = r / ne[3];
}

/* Packed F32 view of n elements starting at p with element stride `stride` bytes: p itself
   when packed, else a copy in buf (n floats). */
static inline const float *a2a_row_in(const void *p, size_t stride, int64_t n, float *buf) {
    if (stride == sizeof(float)) return (const float *)p;
    const char *c = (const char *)p;
    for (int64_t i = 0; i < n; i++) memcpy(&buf[i], c + (size_t)i * stride, sizeof(float));
    return buf;
}

/* Where a row kernel should write an output row at p: p when packed, else buf (then call
   a2a_row_out_done). */
static inline float *a2a_row_out(void *p, size_t stride, float *buf) {
    return stride == sizeof(float) ? (float *)p : buf;
}

/* Scatter buf to the strided row at p when the row was not packed. */
static inline void a2a_row_out_done(void *p, size_t stride, int64_t n, const float *buf) {
    if (stride == sizeof(float)) return;
    char *c = (char *)p;
    for (int64_t i = 0; i < n; i++) memcpy(c + (size_t)i * stride, &buf[i], sizeof(float));
}

/* Rows per parallel chunk so that a chunk holds about 16K elements (tiny tensors run inline). */
static inline int64_t a2a_row_grain(int64_t ne0) {
    int64_t g = ne0 > 0 ? 16384 / ne0 : 16384;
    return g < 1 ? 1 : g;
}

#endif
