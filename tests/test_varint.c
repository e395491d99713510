/* Varints and the bounds-checked decoder. */
#include <criterion/criterion.h>
#include <string.h>

#include "varint.h"

Test(varint, round_trips_edge_values)
{
    const uint64_t values[] = {0, 1, 127, 128, 255, 16383, 16384, UINT32_MAX, (uint64_t)UINT32_MAX + 1,
                               UINT64_MAX - 1, UINT64_MAX};
    const size_t lengths[] = {1, 1, 1, 2, 2, 2, 3, 5, 5, 10, 10};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        uint8_t buf[LEDE_VARINT_MAX];
        size_t n = lede_varint_put(buf, values[i]);
        cr_expect_eq(n, lengths[i], "value %llu", (unsigned long long)values[i]);
        const uint8_t *p = buf;
        uint64_t v = 0;
        cr_assert_eq(lede_varint_get(&p, buf + n, &v), LEDE_OK);
        cr_expect_eq(v, values[i]);
        cr_expect(p == buf + n);
        /* Every truncation is detected. */
        for (size_t cut = 0; cut < n; cut++) {
            p = buf;
            cr_expect_eq(lede_varint_get(&p, buf + cut, &v), LEDE_ECORRUPT);
            cr_expect(p == buf, "a failed read does not advance");
        }
    }
}

Test(varint, rejects_overlong_encodings)
{
    uint8_t eleven[11];
    memset(eleven, 0x80, sizeof eleven);
    eleven[10] = 0;
    const uint8_t *p = eleven;
    uint64_t v;
    cr_expect_eq(lede_varint_get(&p, eleven + 11, &v), LEDE_ECORRUPT);
    uint8_t too_big[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    p = too_big;
    cr_expect_eq(lede_varint_get(&p, too_big + 10, &v), LEDE_ECORRUPT, "more than 64 bits");
}

Test(varint, decoder_is_sticky_and_checks_u32)
{
    uint8_t buf[32];
    size_t n = lede_varint_put(buf, (uint64_t)UINT32_MAX + 5);
    lede_dec d;
    lede_dec_init(&d, buf, n);
    cr_expect_eq(lede_dec_u32(&d), 0);
    cr_expect_eq(d.rc, LEDE_ECORRUPT);
    cr_expect_eq(lede_dec_varint(&d), 0, "reads after a failure return 0");
    cr_expect_null(lede_dec_bytes(&d, 0));

    /* A string whose NUL terminator is missing is corrupt. */
    buf[0] = 3;
    memcpy(buf + 1, "abcd", 4);
    lede_dec_init(&d, buf, 5);
    size_t len;
    cr_expect_str_eq(lede_dec_str(&d, &len), "");
    cr_expect_eq(d.rc, LEDE_ECORRUPT);
}

Test(varint, zigzag_keeps_signs)
{
    const int64_t values[] = {0, -1, 1, -2, INT64_MIN, INT64_MAX, -1700000000};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++)
        cr_expect_eq(lede_unzigzag(lede_zigzag(values[i])), values[i]);
    cr_expect_eq(lede_zigzag(-1), 1);
    cr_expect_eq(lede_zigzag(1), 2);
}
