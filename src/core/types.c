#include "core/types.h"
#include "core/status.h"

#include <ctype.h>

static const a2a_type_traits k_traits[A2A_TYPE_COUNT] = {
    [A2A_TYPE_F32] = {"f32", 1, 4, false, true},
    [A2A_TYPE_F16] = {"f16", 1, 2, false, true},
    [A2A_TYPE_Q4_0] = {"q4_0", 32, 18, true, true},
    [A2A_TYPE_Q4_1] = {"q4_1", 32, 20, true, true},
    [A2A_TYPE_Q5_0] = {"q5_0", 32, 22, true, true},
    [A2A_TYPE_Q5_1] = {"q5_1", 32, 24, true, true},
    [A2A_TYPE_Q8_0] = {"q8_0", 32, 34, true, true},
    [A2A_TYPE_Q8_1] = {"q8_1", 32, 36, true, false},
    [A2A_TYPE_Q2_K] = {"q2_K", 256, 84, true, false},
    [A2A_TYPE_Q3_K] = {"q3_K", 256, 110, true, false},
    [A2A_TYPE_Q4_K] = {"q4_K", 256, 144, true, true},
    [A2A_TYPE_Q5_K] = {"q5_K", 256, 176, true, true},
    [A2A_TYPE_Q6_K] = {"q6_K", 256, 210, true, true},
    [A2A_TYPE_Q8_K] = {"q8_K", 256, 292, true, false},
    [A2A_TYPE_IQ2_XXS] = {"iq2_xxs", 256, 66, true, false},
    [A2A_TYPE_IQ2_XS] = {"iq2_xs", 256, 74, true, false},
    [A2A_TYPE_IQ3_XXS] = {"iq3_xxs", 256, 98, true, false},
    [A2A_TYPE_IQ1_S] = {"iq1_s", 256, 50, true, false},
    [A2A_TYPE_IQ4_NL] = {"iq4_nl", 32, 18, true, false},
    [A2A_TYPE_IQ3_S] = {"iq3_s", 256, 110, true, false},
    [A2A_TYPE_IQ2_S] = {"iq2_s", 256, 82, true, false},
    [A2A_TYPE_IQ4_XS] = {"iq4_xs", 256, 136, true, false},
    [A2A_TYPE_I8] = {"i8", 1, 1, false, true},
    [A2A_TYPE_I16] = {"i16", 1, 2, false, false},
    [A2A_TYPE_I32] = {"i32", 1, 4, false, true},
    [A2A_TYPE_I64] = {"i64", 1, 8, false, false},
    [A2A_TYPE_F64] = {"f64", 1, 8, false, false},
    [A2A_TYPE_IQ1_M] = {"iq1_m", 256, 56, true, false},
    [A2A_TYPE_BF16] = {"bf16", 1, 2, false, true},
    [A2A_TYPE_TQ1_0] = {"tq1_0", 256, 54, true, false},
    [A2A_TYPE_TQ2_0] = {"tq2_0", 256, 66, true, false},
    [A2A_TYPE_MXFP4] = {"mxfp4", 32, 17, true, false},
};

const a2a_type_traits *a2a_type_info(int type) {
    if (type < 0 || type >= A2A_TYPE_COUNT || !k_traits[type].name) return NULL;
    return &k_traits[type];
}

const char *a2a_type_name(int type) {
    const a2a_type_traits *t = a2a_type_info(type);
    return t ? t->name : "?";
}

int a2a_type_from_name(const char *name) {
    for (int i = 0; i < A2A_TYPE_COUNT; i++) {
        const char *n = k_traits[i].name;
        if (!n) continue;
        const char *a = n, *b = name;
        while (*a && *b && tolower((unsigned char)*a) == tolower((unsigned char)*b)) a++, b++;
        if (!*a && !*b) return i;
    }
    return -1;
}

bool a2a_row_size(int type, int64_t n, size_t *out) {
    const a2a_type_traits *t = a2a_type_info(type);
    if (!t || n < 0 || n % t->blck) return false;
    return a2a_mul_ok((size_t)(n / t->blck), t->size, out);
}
