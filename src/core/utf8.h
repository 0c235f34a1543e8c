/* Internal: UTF-8 decoding, encoding and validation — the one implementation shared by the
   file readers (keys, names, JSON strings) and the tokenizers. Strict: no overlong forms, no
   surrogates, nothing above U+10FFFF. */
#ifndef A2A_CORE_UTF8_H
#define A2A_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decode one UTF-8 sequence at s[0..n) (n >= 1). Returns its length (1..4) and the code point
   in *cp, or 0 for an invalid sequence (overlong, surrogate, > U+10FFFF, truncated). */
int a2a_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encode cp (<= 0x10FFFF, not a surrogate) into out (4 bytes room); returns the length, 0 if invalid. */
int a2a_utf8_encode(uint32_t cp, char *out);
/* True when s[0..n) is valid UTF-8. If not and bad_at is non-NULL, *bad_at = offset of the first bad byte. */
bool a2a_utf8_check(const char *s, size_t n, size_t *bad_at);
/* True when s[0..len) is valid UTF-8. */
static inline bool a2a_utf8_valid(const char *s, size_t len) { return a2a_utf8_check(s, len, NULL); }

#endif
