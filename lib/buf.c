/*
 * buf.c — the growable byte buffer.  Owns only its own memory; knows nothing
 * about the index formats that are written into it.
 */
#include "buf.h"

#include "varint.h"

#include <stdlib.h>
#include <string.h>

void lede_buf_free(lede_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->rc = LEDE_OK;
}

void lede_buf_reset(lede_buf *b)
{
    b->len = 0;
    b->rc = LEDE_OK;
}

int lede_buf_reserve(lede_buf *b, size_t extra)
{
    if (b->rc != LEDE_OK)
        return b->rc;
    if (extra <= b->cap - b->len)
        return LEDE_OK;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->rc = LEDE_ENOMEM;
        return b->rc;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap - b->len < extra)
        cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->rc = LEDE_ENOMEM;
        return b->rc;
    }
    b->data = p;
    b->cap = cap;
    return LEDE_OK;
}

void lede_buf_append_grow(lede_buf *b, const void *p, size_t n)
{
    if (n == 0 || lede_buf_reserve(b, n) != LEDE_OK)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void lede_buf_putc_grow(lede_buf *b, uint8_t c)
{
    if (lede_buf_reserve(b, 1) != LEDE_OK)
        return;
    b->data[b->len++] = c;
}

void lede_buf_put_varint_grow(lede_buf *b, uint64_t v)
{
    if (lede_buf_reserve(b, LEDE_VARINT_MAX) != LEDE_OK)
        return;
    b->len += lede_varint_put(b->data + b->len, v);
}

void lede_buf_put_str(lede_buf *b, const char *s, size_t n)
{
    lede_buf_put_varint(b, n);
    lede_buf_append(b, s, n);
    lede_buf_putc(b, 0);
}

void lede_buf_put_u32be(lede_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    lede_buf_append(b, t, 4);
}

void lede_buf_put_u64le(lede_buf *b, uint64_t v)
{
    uint8_t t[8];
    for (int i = 0; i < 8; i++)
        t[i] = (uint8_t)(v >> (8 * i));
    lede_buf_append(b, t, 8);
}

uint8_t *lede_buf_grow(lede_buf *b, size_t n)
{
    if (lede_buf_reserve(b, n) != LEDE_OK)
        return NULL;
    uint8_t *p = b->data + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}
