/*
 * varint.c — LEB128 varints and the bounds-checked record decoder.  Owns no
 * format of its own: the records are described where they are written.
 */
#include "varint.h"

#include <string.h>

int lede_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (q >= end)
            return LEDE_ECORRUPT;
        uint8_t c = *q++;
        if (shift == 63 && c > 1)
            return LEDE_ECORRUPT; /* more than 64 bits */
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *p = q;
            *out = v;
            return LEDE_OK;
        }
    }
    return LEDE_ECORRUPT;
}

void lede_dec_init(lede_dec *d, const void *data, size_t len)
{
    d->p = data;
    d->end = data ? d->p + len : d->p; /* NULL + 0 is undefined behaviour in C */
    d->rc = data || len == 0 ? LEDE_OK : LEDE_ECORRUPT;
}

uint64_t lede_dec_varint(lede_dec *d)
{
    uint64_t v = 0;
    if (d->rc != LEDE_OK)
        return 0;
    if (lede_varint_get(&d->p, d->end, &v) != LEDE_OK) {
        d->rc = LEDE_ECORRUPT;
        return 0;
    }
    return v;
}

uint32_t lede_dec_u32(lede_dec *d)
{
    uint64_t v = lede_dec_varint(d);
    if (v > UINT32_MAX) {
        d->rc = LEDE_ECORRUPT;
        return 0;
    }
    return (uint32_t)v;
}

uint64_t lede_dec_u64le(lede_dec *d)
{
    const uint8_t *p = lede_dec_bytes(d, 8);
    uint64_t v = 0;
    if (!p)
        return 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

const uint8_t *lede_dec_bytes(lede_dec *d, size_t n)
{
    if (d->rc != LEDE_OK)
        return NULL;
    if (n > (size_t)(d->end - d->p)) {
        d->rc = LEDE_ECORRUPT;
        return NULL;
    }
    const uint8_t *p = d->p;
    d->p += n;
    return p;
}

const char *lede_dec_str(lede_dec *d, size_t *len)
{
    uint64_t n = lede_dec_varint(d);
    const uint8_t *p = NULL;
    if (d->rc == LEDE_OK && n < SIZE_MAX)
        p = lede_dec_bytes(d, (size_t)n + 1);
    if (!p || p[n] != 0) {
        d->rc = LEDE_ECORRUPT;
        if (len)
            *len = 0;
        return "";
    }
    if (len)
        *len = (size_t)n;
    return (const char *)p;
}
