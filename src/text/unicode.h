/* Internal: UTF-8 decoding/encoding and Unicode general-category flags for tokenizers. */
#ifndef A2A_TEXT_UNICODE_H
#define A2A_TEXT_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Decode one UTF-8 sequence at s[0..n) (n >= 1). Returns its length (1..4) and the code point
   in *cp, or 0 for an invalid sequence (overlong, surrogate, > U+10FFFF, truncated). */
int a2a_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encode cp (<= 0x10FFFF, not a surrogate) into out (4 bytes room); returns the length, 0 if invalid. */
int a2a_utf8_encode(uint32_t cp, char *out);
/* True when s[0..n) is valid UTF-8. If not and bad_at is non-NULL, *bad_at = offset of the first bad byte. */
bool a2a_utf8_check(const char *s, size_t n, size_t *bad_at);

#endif
