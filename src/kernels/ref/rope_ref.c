/* Scalar reference rotary-embedding row kernel. Contract in kernels/ops_rows.h. */
#include "kernels/ops.h"
#include "kernels/ops_rows.h"

/* Rotate the first n_rot elements of x into y with the C/S table cs; copy the rest. */
void a2a_ref_rope_row(int mode, int n_rot, int64_t n, float *y, const float *x, const float *cs) {
    const float *C = cs, *S = cs + n_rot;
    const int half = n_rot / 2;
    for (int i = 0; i < half; i++) {
        /* the two elements of pair i; both are read before either is written (y may be x) */
        int a = mode == A2A_ROPE_NEOX ? i : 2 * i, b = mode == A2A_ROPE_NEOX ? i + half : 2 * i + 1;
        float x0 = x[a], x1 = x[b];
        y[a] = x0 * C[a] + x1 * S[a];
        y[b] = x1 * C[b] + x0 * S[b];
    }
    if (y != x)
        for (int64_t i = n_rot; i < n; i++) y[i] = x[i];
}
