#include "kernels/dequant.h"
#include "kernels/quant.h"

bool a2a_dequantize_has_simd(a2a_type t, a2a_kernel_level lvl) {
    return lvl >= A2A_LEVEL_AVX512 && (t == A2A_TYPE_Q8_0 || t == A2A_TYPE_Q4_0);
}

void a2a_dequantize_row_lvl(a2a_type t, const void *x, float *y, int64_t n, a2a_kernel_level lvl) {
    if (lvl >= A2A_LEVEL_AVX512) {
        if (t == A2A_TYPE_Q8_0) { a2a_avx512_dequantize_q8_0(x, y, n); return; }
        if (t == A2A_TYPE_Q4_0) { a2a_avx512_dequantize_q4_0(x, y, n); return; }
    }
    a2a_dequantize_row(t, x, y, n);
}
