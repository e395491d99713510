/* The growable buffer: appends, sticky status, strings. */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "varint.h"

Test(buf, appends_grow_and_keep_bytes)
{
    lede_buf b = LEDE_BUF_INIT;
    for (int i = 0; i < 10000; i++)
        lede_buf_putc(&b, (uint8_t)i);
    cr_assert_eq(b.rc, LEDE_OK);
    cr_assert_eq(b.len, 10000);
    for (int i = 0; i < 10000; i++)
        cr_assert_eq(b.data[i], (uint8_t)i);
    lede_buf_reset(&b);
    cr_expect_eq(b.len, 0);
    cr_expect_geq(b.cap, 10000, "reset keeps the memory");
    lede_buf_free(&b);
    cr_expect_null(b.data);
    lede_buf_free(&b); /* twice is harmless */
}

Test(buf, failed_growth_is_sticky)
{
    lede_buf b = LEDE_BUF_INIT;
    lede_buf_append(&b, "ab", 2);
    cr_expect_eq(lede_buf_reserve(&b, SIZE_MAX - 1), LEDE_ENOMEM);
    lede_buf_append(&b, "cd", 2);
    cr_expect_eq(b.rc, LEDE_ENOMEM);
    cr_expect_eq(b.len, 2, "appends after a failure do nothing");
    cr_expect_null(lede_buf_grow(&b, 4));
    lede_buf_free(&b);
}

Test(buf, strings_and_fixed_width_round_trip)
{
    lede_buf b = LEDE_BUF_INIT;
    lede_buf_put_str(&b, "hello", 5);
    lede_buf_put_str(&b, "", 0);
    lede_buf_put_u64le(&b, 0x0102030405060708ull);
    lede_buf_put_u32be(&b, 0xa1b2c3d4u);
    lede_dec d;
    size_t n;
    lede_dec_init(&d, b.data, b.len);
    cr_expect_str_eq(lede_dec_str(&d, &n), "hello");
    cr_expect_eq(n, 5);
    cr_expect_str_eq(lede_dec_str(&d, &n), "");
    cr_expect_eq(lede_dec_u64le(&d), 0x0102030405060708ull);
    const uint8_t *p = lede_dec_bytes(&d, 4);
    cr_assert_not_null(p);
    cr_expect_eq(lede_get_u32be(p), 0xa1b2c3d4u);
    cr_expect_eq(d.rc, LEDE_OK);
    cr_expect(d.p == d.end);
    lede_buf_free(&b);
}
