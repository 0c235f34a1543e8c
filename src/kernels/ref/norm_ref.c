/* Scalar reference row kernels for normalization (double accumulation). Contracts in
   kernels/ops_rows.h. */
#include "kernels/ops_rows.h"

/* Sum of x in double. */
double a2a_ref_sum(int64_t n, const float *x) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += (double)x[i];
    return s;
}

/* Sum of (x - mean)^2 in double. */
double a2a_ref_sumsq_dev(int64_t n, const float *x, double mean) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = (double)x[i] - mean;
        s += d * d;
    }
    return s;
}

/* y = ((x - mean_hi - mean_lo) * scale) * w + b + shift, w/b optional. */
void a2a_ref_norm_apply(int64_t n, float *y, const float *x, float mean_hi, float mean_lo, float scale, const float *w,
                        const float *b, float shift) {
    for (int64_t i = 0; i < n; i++) {
        float v = ((x[i] - mean_hi) - mean_lo) * scale;
        if (w) v *= w[i];
        if (b) v += b[i];
        y[i] = v + shift;
    }
}
