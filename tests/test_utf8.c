/* UTF-8 decoding of untrusted bytes (lib/utf8.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "common.h"
#include "utf8.h"

Test(utf8, decodes_valid_and_rejects_invalid_sequences)
{
    static const struct {
        const char *bytes;
        size_t len;
        int want_len;
        int32_t want_cp;
    } cases[] = {
        {"A", 1, 1, 'A'},
        {"\xc3\xa9", 2, 2, 0xE9},
        {"\xe2\x80\x99", 3, 3, 0x2019},
        {"\xf0\x9f\x98\x80", 4, 4, 0x1F600},
        {"\0", 1, -1, -1},                 /* NUL is damage, not text */
        {"\x80", 1, -1, -1},               /* stray continuation */
        {"\xc0\xaf", 2, -1, -1},           /* overlong "/" */
        {"\xe0\x80\xaf", 3, -1, -1},       /* overlong, three bytes */
        {"\xed\xa0\x80", 3, -1, -1},       /* UTF-16 surrogate */
        {"\xf4\x90\x80\x80", 4, -1, -1},   /* above U+10FFFF */
        {"\xe2\x80", 2, -1, -1},           /* truncated */
        {"\xc3\xa9", 1, -1, -1},           /* length cuts the sequence */
        {"\xff", 1, -1, -1},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int32_t cp = 0;
        int n = lede_utf8_decode((const uint8_t *)cases[i].bytes, cases[i].len, &cp);
        cr_expect_eq(n, cases[i].want_len, "case %zu", i);
        cr_expect_eq(cp, cases[i].want_cp, "case %zu", i);
    }
}

Test(utf8, encodes_and_trims_on_boundaries)
{
    uint8_t out[4];
    cr_expect_eq(lede_utf8_encode(0xE9, out), 2);
    cr_expect_eq(memcmp(out, "\xc3\xa9", 2), 0);
    cr_expect_eq(lede_utf8_encode(0xD800, out), 0);
    cr_expect_eq(lede_utf8_encode(0x110000, out), 0);

    static const struct {
        const char *s;
        size_t max, want;
    } trims[] = {
        {"abc", 2, 2},
        {"a\xc3\xa9", 2, 1}, /* would cut é in half */
        {"a\xc3\xa9", 3, 3},
        {"\xe2\x80\x99x", 2, 0},
        {"ab", 10, 2},
    };
    for (size_t i = 0; i < ARRAY_SIZE(trims); i++)
        cr_expect_eq(lede_utf8_trim((const uint8_t *)trims[i].s, strlen(trims[i].s), trims[i].max),
                     trims[i].want, "case %zu", i);
}
