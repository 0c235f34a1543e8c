/* Internal: Unicode general-category flags for tokenizers (UTF-8 itself is in core/utf8.h). */
#ifndef A2A_TEXT_UNICODE_H
#define A2A_TEXT_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/utf8.h" /* a2a_utf8_decode / _encode / _check */

enum {
    A2A_UC_LETTER = 1,   /* \p{L} */
    A2A_UC_NUMBER = 2,   /* \p{N} */
    A2A_UC_MARK = 4,     /* \p{M} */
    A2A_UC_PUNCT = 8,    /* \p{P} */
    A2A_UC_SYMBOL = 16,  /* \p{S} */
    A2A_UC_SPACE = 32,   /* White_Space (\s) */
    A2A_UC_CONTROL = 64, /* \p{C} */
};

typedef struct a2a_unicode_range { uint32_t first, last; uint8_t flags; } a2a_unicode_range;
extern const a2a_unicode_range a2a_unicode_ranges[]; /* sorted, non-overlapping */
extern const size_t a2a_unicode_n_ranges;

/* Category flags of a code point (0 for unassigned). */
unsigned a2a_unicode_flags(uint32_t cp);

#endif
