/* Scalar reference row kernels for the elementwise ops (transcendentals in double, rounded
   once to float). Contracts in kernels/ops_rows.h. */
#include <math.h>

#include "kernels/ops_rows.h"

/* d = a op b, n elements. */
void a2a_ref_binary(int op, int64_t n, float *d, const float *a, const float *b) {
    switch (op) {
    case A2A_BIN_ADD: for (int64_t i = 0; i < n; i++) d[i] = a[i] + b[i]; break;
    case A2A_BIN_SUB: for (int64_t i = 0; i < n; i++) d[i] = a[i] - b[i]; break;
    case A2A_BIN_MUL: for (int64_t i = 0; i < n; i++) d[i] = a[i] * b[i]; break;
    default: for (int64_t i = 0; i < n; i++) d[i] = a[i] / b[i]; break;
    }
}

/* d = a op s, n elements. */
void a2a_ref_binary_s(int op, int64_t n, float *d, const float *a, float s) {
    switch (op) {
    case A2A_BIN_ADD: for (int64_t i = 0; i < n; i++) d[i] = a[i] + s; break;
    case A2A_BIN_SUB: for (int64_t i = 0; i < n; i++) d[i] = a[i] - s; break;
    case A2A_BIN_MUL: for (int64_t i = 0; i < n; i++) d[i] = a[i] * s; break;
    default: for (int64_t i = 0; i < n; i++) d[i] = a[i] / s; break;
    }
}

/* One activation value in double. */
static double act(int op, double x) {
    switch (op) {
    case A2A_UN_SILU: return x / (1.0 + exp(-x));
    case A2A_UN_GELU: return 0.5 * x * erfc(-x * 0.70710678118654752440);
    case A2A_UN_GELU_TANH: {
        double u = 0.79788456080286535588 * (x + 0.044715 * x * x * x);
        return x / (1.0 + exp(-2.0 * u));
    }
    case A2A_UN_QUICK_GELU: return x / (1.0 + exp(-1.702 * x));
    case A2A_UN_RELU: return x > 0 ? x : (x != x ? x : 0.0);
    case A2A_UN_SIGMOID: return 1.0 / (1.0 + exp(-x));
    default: return tanh(x);
    }
}

/* d = f(x), n elements. */
void a2a_ref_unary(int op, int64_t n, float *d, const float *x) {
    for (int64_t i = 0; i < n; i++) d[i] = (float)act(op, (double)x[i]);
}

/* d = fma(s, x, bias), n elements. */
void a2a_ref_scale(int64_t n, float *d, const float *x, float s, float bias) {
    for (int64_t i = 0; i < n; i++) d[i] = fmaf(s, x[i], bias);
}

/* d = act(gate) * val (the activation rounded to float first, as torch does). */
void a2a_ref_glu(int op, int64_t n, float *d, const float *gate, const float *val) {
    int uop = op == A2A_GLU_SILU ? A2A_UN_SILU : A2A_UN_GELU;
    for (int64_t i = 0; i < n; i++) d[i] = (float)act(uop, (double)gate[i]) * val[i];
}
