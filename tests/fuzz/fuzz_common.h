/*
 * fuzz_common.h — helpers shared by the fuzz entry functions in
 * tests/fuzz/fuzz_*.h.
 *
 * Each fuzz target is split in two so that the same code runs under
 * libFuzzer and under Criterion: fuzz_X.h defines a static function
 * lede_fuzz_X(data, size) that feeds one input to the engine and checks the
 * invariants that must hold whatever the bytes are; fuzz_X.c wraps it in
 * LLVMFuzzerTestOneInput (only when LEDE_LIBFUZZER is defined), and
 * tests/test_fuzz_replay.c calls it on every file of tests/fuzz/corpus/X/.
 *
 * A broken invariant is reported with FUZZ_CHECK, which prints what failed
 * and aborts: libFuzzer saves the input as a crash, the replay test fails.
 */
#ifndef LEDE_FUZZ_COMMON_H
#define LEDE_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

/* A copy of data[0..size) in a block of exactly that size, so that
 * AddressSanitizer catches a read one byte past the end (libFuzzer's own
 * buffer is exact too, but the replay reads whole files into larger ones).
 * Never NULL: aborts when memory runs out, which is not a finding. */
static inline char *fuzz_copy(const uint8_t *data, size_t size)
{
    char *p = malloc(size ? size : 1);
    if (!p)
        abort();
    if (size)
        memcpy(p, data, size);
    return p;
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF) and contains no NUL byte. */
static inline bool fuzz_utf8_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* A NUL-terminated string of exactly len bytes that is valid UTF-8. */
static inline bool fuzz_str_ok(const char *s, size_t len)
{
    return s && strlen(s) == len && fuzz_utf8_ok(s, len);
}

#endif /* LEDE_FUZZ_COMMON_H */
