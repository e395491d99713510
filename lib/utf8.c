/*
 * utf8.c — UTF-8 decoding for the analysis modules.
 *
 * Owns: turning untrusted bytes into code points.  It never allocates and
 * never reads outside the range it is given.  It must not know about words,
 * folding or stemming (lib/tokenize.c does).
 *
 * utf8proc_iterate already rejects overlong forms, surrogates and values
 * above U+10FFFF; this file adds the ASCII fast path (most bytes of most
 * archives are ASCII) and treats NUL as invalid, because a NUL inside an
 * article is always damage, never text.
 */
#include "common.h"

#include "utf8.h"

#include <utf8proc.h>

int lede_utf8_decode(const uint8_t *s, size_t len, int32_t *cp)
{
    if (s[0] < 0x80) {
        if (s[0] == 0) {
            *cp = -1;
            return -1;
        }
        *cp = s[0];
        return 1;
    }
    utf8proc_int32_t c = -1;
    utf8proc_ssize_t n = utf8proc_iterate(s, (utf8proc_ssize_t)LEDE_MIN(len, 4), &c);
    if (n <= 0 || c < 0) {
        *cp = -1;
        return -1;
    }
    *cp = c;
    return (int)n;
}

size_t lede_utf8_encode(int32_t cp, uint8_t *out)
{
    if (!utf8proc_codepoint_valid(cp))
        return 0;
    return (size_t)utf8proc_encode_char(cp, out);
}

size_t lede_utf8_trim(const uint8_t *s, size_t len, size_t max)
{
    size_t n = LEDE_MIN(len, max);
    /* Step back over continuation bytes so the cut falls on a boundary. */
    while (n > 0 && n < len && (s[n] & 0xC0) == 0x80)
        n--;
    return n;
}
