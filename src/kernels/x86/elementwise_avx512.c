/* AVX-512F row kernels for the elementwise ops. Contracts in kernels/ops_rows.h. */
#include "kernels/ops_rows.h"
#include "kernels/x86/vecmath_avx512.h"

/* Apply the vector expression EXPR (in terms of loaded lanes) over n elements with a masked
   tail. DECL declares the per-iteration inputs, loaded from offset i with L(ptr). */
#define A2A_AVX512_ROW_LOOP(n, dst, DECL, EXPR)                                                  \
    do {                                                                                       \
        int64_t i = 0;                                                                         \
        for (; i + 16 <= (n); i += 16) {                                                       \
            const int tail_ = 0;                                                               \
            __mmask16 m_ = 0;                                                                  \
            (void)m_;                                                                          \
            DECL;                                                                              \
            _mm512_storeu_ps((dst) + i, (EXPR));                                               \
        }                                                                                      \
        if (i < (n)) {                                                                         \
            const int tail_ = 1;                                                               \
            __mmask16 m_ = a2a_tail_mask_avx512((n) - i);                                      \
            DECL;                                                                              \
            _mm512_mask_storeu_ps((dst) + i, m_, (EXPR));                                        \
        }                                                                                      \
    } while (0)

/* load at offset i: plain in the main loop, masked in the tail (tail_ is a constant) */
#define L(p) (tail_ ? _mm512_maskz_loadu_ps(m_, (p) + i) : _mm512_loadu_ps((p) + i))

/* d = a op b */
void a2a_avx512_binary(int op, int64_t n, float *d, const float *a, const float *b) {
    switch (op) {
    case A2A_BIN_ADD: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a); __m512 vb = L(b), _mm512_add_ps(va, vb)); break;
    case A2A_BIN_SUB: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a); __m512 vb = L(b), _mm512_sub_ps(va, vb)); break;
    case A2A_BIN_MUL: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a); __m512 vb = L(b), _mm512_mul_ps(va, vb)); break;
    default: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a); __m512 vb = L(b), _mm512_div_ps(va, vb)); break;
    }
}

/* d = a op s */
void a2a_avx512_binary_s(int op, int64_t n, float *d, const float *a, float s) {
    __m512 vs = _mm512_set1_ps(s);
    switch (op) {
    case A2A_BIN_ADD: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a), _mm512_add_ps(va, vs)); break;
    case A2A_BIN_SUB: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a), _mm512_sub_ps(va, vs)); break;
    case A2A_BIN_MUL: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a), _mm512_mul_ps(va, vs)); break;
    default: A2A_AVX512_ROW_LOOP(n, d, __m512 va = L(a), _mm512_div_ps(va, vs)); break;
    }
}

/* max(x, 0) with NaN kept: max_ps returns its second operand on NaN */
static inline __m512 relu16(__m512 x) { return _mm512_max_ps(_mm512_setzero_ps(), x); }

static inline __m512 quick_gelu16(__m512 x) {
    __m512 e = a2a_exp_avx512(_mm512_mul_ps(x, _mm512_set1_ps(-A2A_VM_QUICK_GELU_C)));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

/* d = f(x) */
void a2a_avx512_unary(int op, int64_t n, float *d, const float *x) {
    switch (op) {
    case A2A_UN_SILU: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), a2a_silu_avx512(v)); break;
    case A2A_UN_GELU: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), a2a_gelu_erf_avx512(v)); break;
    case A2A_UN_GELU_TANH: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), a2a_gelu_tanh_avx512(v)); break;
    case A2A_UN_QUICK_GELU: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), quick_gelu16(v)); break;
    case A2A_UN_RELU: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), relu16(v)); break;
    case A2A_UN_SIGMOID: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), a2a_sigmoid_avx512(v)); break;
    default: A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), a2a_tanh_avx512(v)); break;
    }
}

/* d = fma(s, x, bias) */
void a2a_avx512_scale(int64_t n, float *d, const float *x, float s, float bias) {
    __m512 vs = _mm512_set1_ps(s), vb = _mm512_set1_ps(bias);
    A2A_AVX512_ROW_LOOP(n, d, __m512 v = L(x), _mm512_fmadd_ps(vs, v, vb));
}

/* d = act(gate) * val */
void a2a_avx512_glu(int op, int64_t n, float *d, const float *gate, const float *val) {
    if (op == A2A_GLU_SILU)
        A2A_AVX512_ROW_LOOP(n, d, __m512 g = L(gate); __m512 v = L(val), _mm512_mul_ps(a2a_silu_avx512(g), v));
    else
        A2A_AVX512_ROW_LOOP(n, d, __m512 g = L(gate); __m512 v = L(val), _mm512_mul_ps(a2a_gelu_erf_avx512(g), v));
}
