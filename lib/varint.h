/*
 * varint.h — LEB128 unsigned varints (7 bits a byte, low bits first, high
 * bit set on every byte but the last) and a bounds-checked decoder with a
 * sticky status, used for every variable-length record of the index.
 */
#ifndef LEDE_VARINT_H
#define LEDE_VARINT_H

#include "common.h"

/** Longest encoding of a 64-bit value. */
#define LEDE_VARINT_MAX 10

/** Encode v at out (room for LEDE_VARINT_MAX bytes); returns the bytes written.
 * Inline: the writer encodes a few varints for every posting it buffers. */
static inline size_t lede_varint_put(uint8_t *out, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        out[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    out[n++] = (uint8_t)v;
    return n;
}
/**
 * Decode one varint from [*p, end), advancing *p.  LEDE_ECORRUPT when it runs
 * past end or is longer than 10 bytes; *p is then unchanged.
 */
int lede_varint_get(const uint8_t **p, const uint8_t *end, uint64_t *out);

/**
 * A cursor over a byte record.  Every read checks the bounds; the first
 * failure sets rc to LEDE_ECORRUPT and later reads return zeros, so a
 * decoder reads a whole record and checks rc once.
 */
typedef struct lede_dec {
    const uint8_t *p;
    const uint8_t *end;
    int rc;
} lede_dec;

void lede_dec_init(lede_dec *d, const void *data, size_t len);
uint64_t lede_dec_varint(lede_dec *d);
/** A varint that must fit in 32 bits. */
uint32_t lede_dec_u32(lede_dec *d);
uint64_t lede_dec_u64le(lede_dec *d);
/** n raw bytes, borrowed; NULL (and rc set) when fewer remain. */
const uint8_t *lede_dec_bytes(lede_dec *d, size_t n);
/** A string written by lede_buf_put_str: borrowed, NUL-terminated. */
const char *lede_dec_str(lede_dec *d, size_t *len);

static inline uint32_t lede_get_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void lede_set_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/** Zig-zag mapping so small negative numbers (mtime) stay short. */
static inline uint64_t lede_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t lede_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif /* LEDE_VARINT_H */
