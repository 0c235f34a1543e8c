/* Scalar reference softmax row kernel. Contract in kernels/ops_rows.h. */
#include <math.h>

#include "kernels/ops_rows.h"

/* y = softmax(scale * x + mask); all -inf row -> zeros; NaN/+inf in the row -> NaN. */
void a2a_ref_softmax_row(int64_t n, float *y, const float *x, const float *mask, float scale) {
    float mx = -INFINITY;
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = mask ? fmaf(scale, x[i], mask[i]) : scale * x[i];
        y[i] = v;
        if (v != v) nan = 1;
        if (v > mx) mx = v;
    }
    if (nan || mx == INFINITY) {
        for (int64_t i = 0; i < n; i++) y[i] = NAN;
        return;
    }
    if (mx == -INFINITY) {
        for (int64_t i = 0; i < n; i++) y[i] = 0.0f;
        return;
    }
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        double e = exp((double)y[i] - (double)mx);
        y[i] = (float)e;
        sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < n; i++) y[i] *= inv;
}
