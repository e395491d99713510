/*
 * buf.h — a growable byte buffer with a sticky status: appends after a failed
 * allocation do nothing, and the caller checks rc once at the end, as
 * SQLite's fts5_buffer and Redis's sds let a writer do.
 */
#ifndef LEDE_BUF_H
#define LEDE_BUF_H

#include "common.h"
#include "varint.h"

#include <string.h>

typedef struct lede_buf {
    uint8_t *data; /**< owned; NULL until something is appended */
    size_t len;
    size_t cap;
    int rc;        /**< LEDE_OK, or LEDE_ENOMEM after a failed growth (sticky) */
} lede_buf;

/** One past b's last byte (NULL for a buffer never appended to: NULL + 0
 *  is undefined behaviour in C). */
static inline const uint8_t *lede_buf_end(const lede_buf *b)
{
    return b->data ? b->data + b->len : b->data;
}

#define LEDE_BUF_INIT {NULL, 0, 0, LEDE_OK}

/** Release the memory; the buffer is empty and reusable afterwards. */
void lede_buf_free(lede_buf *b);
/** Forget the contents but keep the memory (and clear the sticky status). */
void lede_buf_reset(lede_buf *b);
/** Make room for extra more bytes; LEDE_ENOMEM (also stored in b->rc). */
int lede_buf_reserve(lede_buf *b, size_t extra);
/** lede_buf_append's growing path. */
void lede_buf_append_grow(lede_buf *b, const void *p, size_t n);

/** Append n bytes (nothing after a failure: see rc).  Inline while they fit:
 *  most appends do, and the call was a third of their cost. */
static inline void lede_buf_append(lede_buf *b, const void *p, size_t n)
{
    if (n && n <= b->cap - b->len && b->rc == LEDE_OK) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    } else {
        lede_buf_append_grow(b, p, n);
    }
}
/** lede_buf_putc's and lede_buf_put_varint's growing paths. */
void lede_buf_putc_grow(lede_buf *b, uint8_t c);
void lede_buf_put_varint_grow(lede_buf *b, uint64_t v);

static inline void lede_buf_putc(lede_buf *b, uint8_t c)
{
    if (b->len < b->cap && b->rc == LEDE_OK)
        b->data[b->len++] = c;
    else
        lede_buf_putc_grow(b, c);
}

/** LEB128 unsigned varint (see varint.h); inline while there is room. */
static inline void lede_buf_put_varint(lede_buf *b, uint64_t v)
{
    if (b->cap - b->len >= LEDE_VARINT_MAX && b->rc == LEDE_OK)
        b->len += lede_varint_put(b->data + b->len, v);
    else
        lede_buf_put_varint_grow(b, v);
}
/** Length-prefixed bytes: varint n, the bytes, then a NUL so readers can borrow them as C strings. */
void lede_buf_put_str(lede_buf *b, const char *s, size_t n);
void lede_buf_put_u32be(lede_buf *b, uint32_t v);
void lede_buf_put_u64le(lede_buf *b, uint64_t v);
/** Append n zero bytes and return a pointer to them (NULL after a failure). */
uint8_t *lede_buf_grow(lede_buf *b, size_t n);

#endif /* LEDE_BUF_H */
