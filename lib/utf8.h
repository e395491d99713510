/*
 * utf8.h — decoding one code point from untrusted bytes (lib/utf8.c).
 *
 * Internal to liblede.  Only the analysis modules use it.
 */
#ifndef LEDE_UTF8_H
#define LEDE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode the code point at s[0..len) into *cp and return its length in
 * bytes (1..4).  For an invalid sequence (stray continuation byte, truncated
 * sequence, overlong form, surrogate, value above U+10FFFF) or a NUL byte,
 * return the negated number of bytes to skip (always -1: resynchronise on
 * the next byte) and set *cp to -1.  len must be at least 1.
 */
int lede_utf8_decode(const uint8_t *s, size_t len, int32_t *cp);

/* Encode cp into out (room for 4 bytes); return the length, 0 if invalid. */
size_t lede_utf8_encode(int32_t cp, uint8_t *out);

/* Length in bytes of the valid UTF-8 prefix of s[0..len) that ends on a code
 * point boundary at or before max bytes. */
size_t lede_utf8_trim(const uint8_t *s, size_t len, size_t max);

#endif /* LEDE_UTF8_H */
