/* Internal: element types with GGUF/ggml numbering, their block layouts (bit-identical
   to GGUF), and scalar F16/BF16 conversions. */
#ifndef A2A_CORE_TYPES_H
#define A2A_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Values equal ggml_type, so a GGUF tensor-info type id maps directly. */
typedef enum a2a_type {
    A2A_TYPE_F32 = 0,
    A2A_TYPE_F16 = 1,
    A2A_TYPE_Q4_0 = 2,
    A2A_TYPE_Q4_1 = 3,
    A2A_TYPE_Q5_0 = 6,
    A2A_TYPE_Q5_1 = 7,
    A2A_TYPE_Q8_0 = 8,
    A2A_TYPE_Q8_1 = 9,
    A2A_TYPE_Q2_K = 10,
    A2A_TYPE_Q3_K = 11,
    A2A_TYPE_Q4_K = 12,
    A2A_TYPE_Q5_K = 13,
    A2A_TYPE_Q6_K = 14,
    A2A_TYPE_Q8_K = 15,
    A2A_TYPE_IQ2_XXS = 16,
    A2A_TYPE_IQ2_XS = 17,
    A2A_TYPE_IQ3_XXS = 18,
    A2A_TYPE_IQ1_S = 19,
    A2A_TYPE_IQ4_NL = 20,
    A2A_TYPE_IQ3_S = 21,
    A2A_TYPE_IQ2_S = 22,
    A2A_TYPE_IQ4_XS = 23,
    A2A_TYPE_I8 = 24,
    A2A_TYPE_I16 = 25,
    A2A_TYPE_I32 = 26,
    A2A_TYPE_I64 = 27,
    A2A_TYPE_F64 = 28,
    A2A_TYPE_IQ1_M = 29,
    A2A_TYPE_BF16 = 30,
    A2A_TYPE_TQ1_0 = 34,
    A2A_TYPE_TQ2_0 = 35,
    A2A_TYPE_MXFP4 = 39,
    A2A_TYPE_COUNT = 40
} a2a_type;

typedef struct a2a_type_traits {
    const char *name;   /* "f32", "q4_K", ... as ggml names them; NULL for unused ids */
    int64_t blck;       /* elements per block (1 for plain types) */
    size_t size;        /* bytes per block */
    bool quantized;     /* block-quantized */
    bool compute;       /* usable as a matmul weight / tensor in our kernels */
} a2a_type_traits;

/* Traits of a type id; returns NULL for ids that are not valid ggml types. */
const a2a_type_traits *a2a_type_info(int type);
/* Name of a type ("?" if invalid). */
const char *a2a_type_name(int type);
/* Type from its ggml name (case-insensitive, "q4_k" or "Q4_K"); -1 if unknown. */
int a2a_type_from_name(const char *name);
/* Bytes of a row of n elements of type t; false if n is not a multiple of the block size,
   the type is invalid, or the size overflows. */
bool a2a_row_size(int type, int64_t n, size_t *out);

/* ---- block layouts (identical to ggml-common.h) ---- */
#define A2A_QK4_0 32
#define A2A_QK4_1 32
#define A2A_QK5_0 32
#define A2A_QK5_1 32
#define A2A_QK8_0 32
#define A2A_QK8_1 32
#define A2A_QK_K 256
#define A2A_K_SCALE_SIZE 12

typedef uint16_t a2a_fp16; /* IEEE half, raw bits */
typedef uint16_t a2a_bf16; /* bfloat16, raw bits */

typedef struct { a2a_fp16 d; uint8_t qs[A2A_QK4_0 / 2]; } a2a_block_q4_0;
typedef struct { a2a_fp16 d, m; uint8_t qs[A2A_QK4_1 / 2]; } a2a_block_q4_1;
typedef struct { a2a_fp16 d; uint8_t qh[4]; uint8_t qs[A2A_QK5_0 / 2]; } a2a_block_q5_0;
typedef struct { a2a_fp16 d, m; uint8_t qh[4]; uint8_t qs[A2A_QK5_1 / 2]; } a2a_block_q5_1;
typedef struct { a2a_fp16 d; int8_t qs[A2A_QK8_0]; } a2a_block_q8_0;
typedef struct { a2a_fp16 d, s; int8_t qs[A2A_QK8_1]; } a2a_block_q8_1;
typedef struct { uint8_t scales[A2A_QK_K / 16]; uint8_t qs[A2A_QK_K / 4]; a2a_fp16 d, dmin; } a2a_block_q2_K;
typedef struct { uint8_t hmask[A2A_QK_K / 8]; uint8_t qs[A2A_QK_K / 4]; uint8_t scales[12]; a2a_fp16 d; } a2a_block_q3_K;
typedef struct { a2a_fp16 d, dmin; uint8_t scales[A2A_K_SCALE_SIZE]; uint8_t qs[A2A_QK_K / 2]; } a2a_block_q4_K;
typedef struct { a2a_fp16 d, dmin; uint8_t scales[A2A_K_SCALE_SIZE]; uint8_t qh[A2A_QK_K / 8]; uint8_t qs[A2A_QK_K / 2]; } a2a_block_q5_K;
typedef struct { uint8_t ql[A2A_QK_K / 2]; uint8_t qh[A2A_QK_K / 4]; int8_t scales[A2A_QK_K / 16]; a2a_fp16 d; } a2a_block_q6_K;
typedef struct { float d; int8_t qs[A2A_QK_K]; int16_t bsums[A2A_QK_K / 16]; } a2a_block_q8_K;

_Static_assert(sizeof(a2a_block_q4_0) == 18, "q4_0 layout");
_Static_assert(sizeof(a2a_block_q4_1) == 20, "q4_1 layout");
_Static_assert(sizeof(a2a_block_q5_0) == 22, "q5_0 layout");
_Static_assert(sizeof(a2a_block_q5_1) == 24, "q5_1 layout");
_Static_assert(sizeof(a2a_block_q8_0) == 34, "q8_0 layout");
_Static_assert(sizeof(a2a_block_q8_1) == 36, "q8_1 layout");
_Static_assert(sizeof(a2a_block_q2_K) == 84, "q2_K layout");
_Static_assert(sizeof(a2a_block_q3_K) == 110, "q3_K layout");
_Static_assert(sizeof(a2a_block_q4_K) == 144, "q4_K layout");
_Static_assert(sizeof(a2a_block_q5_K) == 176, "q5_K layout");
_Static_assert(sizeof(a2a_block_q6_K) == 210, "q6_K layout");
_Static_assert(sizeof(a2a_block_q8_K) == 292, "q8_K layout");

/* ---- scalar conversions (exact IEEE round-to-nearest-even) ---- */
static inline float a2a_bits_to_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t a2a_f32_to_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* half -> float (exact). */
static inline float a2a_fp16_to_f32(a2a_fp16 h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        if (man == 0) u = sign;
        else { /* subnormal: normalize */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400));
            man &= 0x3ff;
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | (man << 13);
        }
    } else if (exp == 0x1f) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    return a2a_bits_to_f32(u);
}

/* float -> half, round to nearest even, overflow to inf, NaN preserved as quiet NaN. */
static inline a2a_fp16 a2a_f32_to_fp16(float f) {
    uint32_t x = a2a_f32_to_bits(f);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (a2a_fp16)(sign | 0x7e00 | ((ax >> 13) & 0x3ff));
    if (ax >= 0x477ff000u) return (a2a_fp16)(sign | 0x7c00); /* >= 65520 rounds to inf */
    if (ax < 0x38800000u) { /* below smallest normal half: subnormal or zero */
        if (ax < 0x33000000u) return (a2a_fp16)sign; /* < 2^-25 rounds to 0 */
        uint32_t e = ax >> 23, m = (ax & 0x7fffff) | 0x800000;
        uint32_t shift = 126 - e; /* 14 + (112 - e) + ... yields the subnormal position */
        uint32_t v = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (v & 1))) v++;
        return (a2a_fp16)(sign | v);
    }
    uint32_t v = ((ax - 0x38000000u) >> 13);
    uint32_t rem = ax & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (v & 1))) v++;
    return (a2a_fp16)(sign | v);
}

static inline float a2a_bf16_to_f32(a2a_bf16 h) { return a2a_bits_to_f32((uint32_t)h << 16); }
/* float -> bf16, round to nearest even; NaN stays NaN (as ggml does). */
static inline a2a_bf16 a2a_f32_to_bf16(float f) {
    uint32_t u = a2a_f32_to_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (a2a_bf16)((u >> 16) | 64);
    return (a2a_bf16)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
}

#endif
