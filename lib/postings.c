/*
 * postings.c — the postings block codec (format in postings.h and
 * docs/FORMAT.md).  Owns the bytes of one chunk; it does not know about
 * LMDB keys, terms or deleted documents (store.c, writer.c, reader.c).
 *
 * Chunk value ("post"), format 6:
 *   varint ndocs                  (nblocks = ceil(ndocs / 128); every block
 *                                  holds 128 postings but the last)
 *   per block: varint last_docid - previous block's last_docid,
 *              varint max_tf, varint max_title_tf, varint min_len,
 *              varint doc_bytes, and varint pos_bytes only when the chunk
 *              has positions
 *   then the blocks' data, concatenated.  A block's data is up to three
 *   arrays:
 *     doc id gaps - 1 of its first n - 1 postings (the last one is implied
 *       by last_docid), Rice-coded as the positions below (format 6; a
 *       header byte 32 says they are all 0); absent when n = 1;
 *     tf - 1: Rice-coded when n >= RICE_TF_MIN (format 6), else
 *       bit-packed in bits(max_tf - 1) bits (n values of w bits,
 *       little-endian, padded to a byte); absent when max_tf = 1;
 *     title tf, bit-packed in bits(max_title_tf); absent when it is 0.
 *   Bit-packing and Rice codes beat streamvbyte here: gaps and tfs are
 *   small, and streamvbyte spends at least 10 bits on each.  Rice codes
 *   took Gutenberg's chunks from 18.1 MB to 10.6 (one long gap had widened
 *   every other of its block).
 * Positions ("pos"), per block (format 5): the n first positions of the
 * postings, then, when sum(tf) > n, the sum(tf) - n following positions
 * as gaps from the previous one, each array Rice-coded (rice_put): gaps
 * within a document are roughly geometric, and one long gap no longer
 * widens every other (bit-packing them took 12.1 bits a position on
 * Gutenberg, Rice codes 9.8).  Every value takes at least one bit, which
 * bounds sum(tf) by 8 * pos_bytes and lets a reader check a damaged tf
 * before it allocates.
 */
#include "postings.h"

#include "varint.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

static unsigned bits_of(uint32_t v)
{
    return v ? 32u - (unsigned)__builtin_clz(v) : 0;
}

/* Append n values of w bits each (w large enough for every value). */
static void pack_w(lede_buf *out, const uint32_t *v, uint32_t n, unsigned w)
{
    size_t bytes = ((size_t)n * w + 7) / 8;
    uint8_t *p = lede_buf_grow(out, bytes);
    if (!p || w == 0)
        return;
    uint64_t acc = 0;
    unsigned have = 0;
    for (uint32_t i = 0; i < n; i++) {
        acc |= (uint64_t)v[i] << have;
        have += w;
        while (have >= 8) {
            *p++ = (uint8_t)acc;
            acc >>= 8;
            have -= 8;
        }
    }
    if (have)
        *p = (uint8_t)acc;
}

/* Unpack n values of w bits from [*in, end); LEDE_ECORRUPT when they do not fit. */
static int unpack_w(const uint8_t **in, const uint8_t *end, uint32_t *v, uint32_t n, unsigned w)
{
    const uint8_t *p = *in;
    size_t bytes = ((size_t)n * w + 7) / 8;
    if (w > 32 || bytes > (size_t)(end - p))
        return LEDE_ECORRUPT;
    if (w == 0) {
        memset(v, 0, n * sizeof *v);
    } else {
        uint64_t acc = 0, mask = w == 32 ? 0xffffffffu : ((uint64_t)1 << w) - 1;
        unsigned have = 0;
        const uint8_t *q = p;
        for (uint32_t i = 0; i < n; i++) {
            while (have < w) {
                acc |= (uint64_t)*q++ << have;
                have += 8;
            }
            v[i] = (uint32_t)(acc & mask);
            acc >>= w;
            have -= w;
        }
    }
    *in = p + bytes;
    return LEDE_OK;
}

/*
 * Rice codes: a byte k (0..31), then per value v, LSB first, q = v >> k
 * as q zero bits and a one bit, then the k low bits of v.  A quotient of
 * RICE_QMAX or more is written as RICE_QMAX zero bits, a one bit and all 32
 * bits of v, so no value takes more than RICE_QMAX + 33 bits; the stream is
 * padded with zero bits to a byte.  A header byte RICE_PACKED + w says the
 * values are bit-packed in w bits instead (pack_w), when that is shorter.
 */
#define RICE_QMAX 24u
#define RICE_FEW 16u   /* up to this many values, k from their mean */
#define RICE_PACKED 32u /* header RICE_PACKED + w: w-bit packing instead, 1 <= w <= 32;
                         * RICE_PACKED alone: every value 0 (doc gaps only) */
#define RICE_TF_MIN 16u /* tfs of blocks this long are Rice-coded; shorter, a header
                         * byte would cost more than it saves */

static uint64_t rice_cost(const uint32_t *v, uint32_t n, unsigned k)
{
    uint64_t c = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t q = v[i] >> k;
        c += q < RICE_QMAX ? q + 1 + k : RICE_QMAX + 1 + 32;
    }
    return c;
}

/* A bit writer into bytes reserved beforehand (rice_cost says how many). */
typedef struct bitw {
    uint8_t *p;
    uint64_t acc;
    unsigned have;
} bitw;

static inline void bitw_put(bitw *w, uint64_t bits, unsigned nbits)
{
    /* nbits <= 32 and have < 32 on entry: no bit falls off the top. */
    w->acc |= bits << w->have;
    w->have += nbits;
    if (w->have >= 32) {
        uint32_t le = htole32((uint32_t)w->acc);
        memcpy(w->p, &le, 4);
        w->p += 4;
        w->acc >>= 32;
        w->have -= 32;
    }
}

/* Write out the bits left, padded with zeros to a byte. */
static inline void bitw_flush(bitw *w)
{
    for (; w->have > 0; w->have = w->have > 8 ? w->have - 8 : 0) {
        *w->p++ = (uint8_t)w->acc;
        w->acc >>= 8;
    }
}

/*
 * The Rice parameter for v[0, n), whose largest bit length is top (hist[b]:
 * how many values have b bits).  Up to RICE_FEW values (most lists), from
 * their mean.  Past that from the histogram: a value of b bits costs k + 1
 * bits when b <= k, else about k + 1 + 1.5 * 2^(b-1-k), or the escape's
 * RICE_QMAX + 33 (a mean would let a few long jumps choose a k too large
 * for all the short gaps).
 */
static unsigned rice_param(const uint32_t *v, uint32_t n, const uint32_t hist[33], unsigned top)
{
    if (n <= RICE_FEW) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < n; i++)
            sum += v[i];
        unsigned k = n ? bits_of((uint32_t)(sum / n)) : 0;
        return k > 1 ? k - 1 : 0;
    }
    unsigned k = 0;
    uint64_t est = UINT64_MAX;
    for (unsigned t = 0; t <= top && t < 32; t++) {
        uint64_t c = 0;
        for (unsigned b = 0; b <= top; b++) {
            if (!hist[b])
                continue;
            uint64_t q = b <= t ? 0 : (uint64_t)3 << (b - 1 - t) >> 1;
            c += (uint64_t)hist[b] * (q < RICE_QMAX ? t + 1 + q : RICE_QMAX + 33);
        }
        if (c < est) {
            est = c;
            k = t;
        }
    }
    return k;
}

static void rice_put(lede_buf *out, const uint32_t *v, uint32_t n, int zero_ok)
{
    if (n == 1 && (v[0] || !zero_ok)) {
        /* Bit-packed: a Rice code of one value takes a bit more. */
        unsigned w = LEDE_MAX(bits_of(v[0]), 1u);
        lede_buf_putc(out, (uint8_t)(RICE_PACKED + w));
        pack_w(out, v, 1, w);
        return;
    }
    uint32_t hist[33] = {0};
    unsigned top = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned b = bits_of(v[i]);
        hist[b]++;
        top = LEDE_MAX(top, b);
    }
    if (zero_ok && top == 0) {
        lede_buf_putc(out, (uint8_t)RICE_PACKED);
        return;
    }
    unsigned k = rice_param(v, n, hist, top);
    uint64_t best = rice_cost(v, n, k);
    /* Plain bit-packing when it takes fewer bytes (a lone position: no
     * unary bit), in a width of at least 1 so every value takes a bit. */
    unsigned pw = LEDE_MAX(top, 1u);
    if (((uint64_t)n * pw + 7) / 8 < (best + 7) / 8) {
        lede_buf_putc(out, (uint8_t)(RICE_PACKED + pw));
        pack_w(out, v, n, pw);
        return;
    }
    lede_buf_putc(out, (uint8_t)k);
    uint8_t *dst = lede_buf_grow(out, (size_t)((best + 7) / 8));
    if (!dst)
        return; /* out->rc says so */
    bitw w = {dst, 0, 0};
    for (uint32_t i = 0; i < n; i++) {
        uint32_t q = v[i] >> k;
        if (q < RICE_QMAX && q + 1 + k <= 32) {
            /* The unary part, its stop bit, then the k low bits. */
            uint64_t low = v[i] & (((uint64_t)1 << k) - 1);
            bitw_put(&w, (uint64_t)1 << q | low << (q + 1), q + 1 + k);
        } else if (q < RICE_QMAX) {
            bitw_put(&w, (uint64_t)1 << q, q + 1);
            bitw_put(&w, v[i] & ((1u << k) - 1), k);
        } else {
            bitw_put(&w, (uint64_t)1 << RICE_QMAX, RICE_QMAX + 1);
            bitw_put(&w, v[i], 32);
        }
    }
    bitw_flush(&w);
}

/* Bring the bits in hand to 57 at least (an escape's), or to every byte
 * left.  With 8 bytes left, one load: the bits above "have" it also
 * brings are those of the next byte, which the next load brings again. */
static inline void rice_refill(const uint8_t **pp, const uint8_t *end, uint64_t *acc,
                               unsigned *have)
{
    const uint8_t *p = *pp;
    if (*have > 56)
        return;
    if (end - p >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        *acc |= le64toh(w) << *have;
        p += (63 - *have) >> 3;
        *have |= 56;
        if (*have == 56 && p < end) {
            *acc |= (uint64_t)*p++ << 56;
            *have = 64;
        }
    } else {
        while (*have <= 56 && p < end) {
            *acc |= (uint64_t)*p++ << *have;
            *have += 8;
        }
    }
    *pp = p;
}

/* Decode n Rice-coded values from [*in, end); LEDE_ECORRUPT when they do not fit. */
static int rice_get(const uint8_t **in, const uint8_t *end, uint32_t *v, uint32_t n, int zero_ok)
{
    const uint8_t *p = *in;
    if (p >= end || *p > RICE_PACKED + 32 || (*p == RICE_PACKED && !zero_ok))
        return LEDE_ECORRUPT;
    if (*p == RICE_PACKED) {
        memset(v, 0, n * sizeof *v);
        *in = p + 1;
        return LEDE_OK;
    }
    if (*p > RICE_PACKED) {
        p++;
        if (unpack_w(&p, end, v, n, (unsigned)p[-1] - RICE_PACKED) != LEDE_OK)
            return LEDE_ECORRUPT;
        *in = p;
        return LEDE_OK;
    }
    unsigned k = *p++;
    const uint8_t *data = p;
    const uint64_t kmask = ((uint64_t)1 << k) - 1;
    uint64_t acc = 0;
    unsigned have = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* Most values take a few bits: refill below 32 bits in hand, and
         * to the full 57 of an escape only when a value needs more. */
        if (have < 32)
            rice_refill(&p, end, &acc, &have);
        uint64_t unary = acc & (((uint64_t)1 << (RICE_QMAX + 1)) - 1);
        unsigned q = unary ? (unsigned)__builtin_ctzll(unary) : 64;
        unsigned need = q + 1 + (q < RICE_QMAX ? k : 32);
        if (need > have) {
            rice_refill(&p, end, &acc, &have);
            unary = acc & (((uint64_t)1 << (RICE_QMAX + 1)) - 1);
            if (!unary)
                return LEDE_ECORRUPT;
            q = (unsigned)__builtin_ctzll(unary);
            need = q + 1 + (q < RICE_QMAX ? k : 32);
            if (need > have)
                return LEDE_ECORRUPT;
        }
        acc >>= q + 1;
        if (q < RICE_QMAX) {
            v[i] = ((uint32_t)q << k) | (uint32_t)(acc & kmask);
            acc >>= k;
        } else {
            v[i] = (uint32_t)acc;
            acc >>= 32;
        }
        have -= need;
    }
    /* The refill may have read ahead into what follows: the stream ends at
     * the byte holding its last bit, whose remaining bits are zero. */
    size_t used = (size_t)(p - data) * 8 - have;
    unsigned pad = (unsigned)((8 - used % 8) % 8);
    if (acc & (((uint64_t)1 << pad) - 1))
        return LEDE_ECORRUPT;
    *in = data + (used + 7) / 8;
    return LEDE_OK;
}

int lede_chunk_encode(lede_buf *post, lede_buf *pos, const lede_posting_arrays *in)
{
    int rc = LEDE_OK;
    lede_buf data = LEDE_BUF_INIT;
    uint32_t tmp[LEDE_BLOCK];
    size_t nblocks = (in->n + LEDE_BLOCK - 1) / LEDE_BLOCK;
    size_t posi = 0;
    uint32_t prev_last = 0;
    lede_buf gaps = LEDE_BUF_INIT;

    if (in->n == 0 || in->n > UINT32_MAX)
        return LEDE_EINVAL;
    lede_buf_put_varint(post, in->n);
    for (size_t b = 0; b < nblocks; b++) {
        size_t lo = b * LEDE_BLOCK;
        uint32_t n = (uint32_t)LEDE_MIN((size_t)LEDE_BLOCK, in->n - lo);
        uint32_t max_tf = 0, max_ttf = 0, min_len = UINT32_MAX;
        uint32_t prev = prev_last;
        size_t npos = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t d = in->docids[lo + i], tf = in->tfs[lo + i];
            uint32_t ttf = in->title_tfs ? in->title_tfs[lo + i] : 0;
            if (d <= prev || tf == 0 || ttf > tf) {
                rc = LEDE_EINVAL;
                goto cleanup;
            }
            prev = d;
            max_tf = LEDE_MAX(max_tf, tf);
            max_ttf = LEDE_MAX(max_ttf, ttf);
            min_len = LEDE_MIN(min_len, in->lens ? in->lens[lo + i] : 0);
            npos += tf;
        }
        size_t start = data.len;
        uint32_t base = prev_last;
        for (uint32_t i = 0; i < n; i++) {
            tmp[i] = in->docids[lo + i] - base - 1;
            base = in->docids[lo + i];
        }
        if (n > 1)
            rice_put(&data, tmp, n - 1, 1);
        if (max_tf > 1) {
            for (uint32_t i = 0; i < n; i++)
                tmp[i] = in->tfs[lo + i] - 1;
            if (n >= RICE_TF_MIN)
                rice_put(&data, tmp, n, 0);
            else
                pack_w(&data, tmp, n, bits_of(max_tf - 1));
        }
        if (max_ttf > 0)
            pack_w(&data, in->title_tfs + lo, n, bits_of(max_ttf));
        if (data.rc != LEDE_OK)
            goto nomem;

        size_t pos_start = pos ? pos->len : 0;
        if (in->positions) {
            if (npos > UINT32_MAX)
                goto nomem;
            lede_buf_reset(&gaps);
            uint32_t *g = (uint32_t *)(void *)lede_buf_grow(&gaps, (npos - n + 1) * sizeof *g);
            if (!g)
                goto nomem;
            size_t k = 0, ng = 0;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t last = 0;
                for (uint32_t j = 0; j < in->tfs[lo + i]; j++, k++) {
                    uint32_t p = in->positions[posi + k];
                    if (j == 0) {
                        tmp[i] = p;
                    } else {
                        if (p < last) {
                            rc = LEDE_EINVAL;
                            goto cleanup;
                        }
                        g[ng++] = p - last;
                    }
                    last = p;
                }
            }
            posi += npos;
            rice_put(pos, tmp, n, 0);
            if (ng > 0)
                rice_put(pos, g, (uint32_t)ng, 0);
            if (pos->rc != LEDE_OK)
                goto nomem;
        }
        lede_buf_put_varint(post, prev - prev_last);
        lede_buf_put_varint(post, max_tf);
        lede_buf_put_varint(post, max_ttf);
        lede_buf_put_varint(post, min_len);
        lede_buf_put_varint(post, data.len - start);
        if (in->positions)
            lede_buf_put_varint(post, pos->len - pos_start);
        prev_last = prev;
    }
    lede_buf_append(post, data.data, data.len);
    rc = post->rc != LEDE_OK ? post->rc : pos ? pos->rc : LEDE_OK;
    goto cleanup;
nomem:
    rc = LEDE_ENOMEM;
cleanup:
    lede_buf_free(&data);
    lede_buf_free(&gaps);
    return rc;
}

int lede_chunk_parse(lede_chunk *c, const void *post, size_t len, const void *pos,
                     size_t pos_len)
{
    lede_dec d;
    lede_dec_init(&d, post, len);
    uint32_t ndocs = lede_dec_u32(&d);
    uint32_t nblocks = (uint32_t)(((uint64_t)ndocs + LEDE_BLOCK - 1) / LEDE_BLOCK);
    /* Each block header takes at least five bytes. */
    if (d.rc != LEDE_OK || ndocs == 0 || nblocks > len / 5)
        return LEDE_ECORRUPT;
    if (nblocks > c->cap) {
        lede_block_meta *nb = realloc(c->blocks, nblocks * sizeof *nb);
        if (!nb)
            return LEDE_ENOMEM;
        c->blocks = nb;
        c->cap = nblocks;
    }
    uint32_t last = 0;
    size_t doc_off = 0, pos_off = 0;
    for (uint32_t b = 0; b < nblocks; b++) {
        lede_block_meta *m = &c->blocks[b];
        m->n = b + 1 < nblocks ? LEDE_BLOCK : ndocs - b * LEDE_BLOCK;
        uint32_t gap = lede_dec_u32(&d);
        m->max_tf = lede_dec_u32(&d);
        m->max_title_tf = lede_dec_u32(&d);
        m->min_len = lede_dec_u32(&d);
        m->doc_bytes = lede_dec_u32(&d);
        m->pos_bytes = pos ? lede_dec_u32(&d) : 0;
        if (d.rc != LEDE_OK || gap < m->n || gap > UINT32_MAX - 1 - last || m->max_tf == 0 ||
            m->max_title_tf > m->max_tf || (pos && m->pos_bytes == 0))
            return LEDE_ECORRUPT;
        m->first_base = last;
        last += gap;
        m->last_docid = last;
        m->doc_off = doc_off;
        m->pos_off = pos_off;
        doc_off += m->doc_bytes;
        pos_off += m->pos_bytes;
    }
    if (d.rc != LEDE_OK || doc_off != (size_t)(d.end - d.p) || (pos && pos_off != pos_len))
        return LEDE_ECORRUPT;
    c->data = d.p;
    c->data_len = doc_off;
    c->pos = pos;
    c->pos_len = pos_len;
    c->ndocs = ndocs;
    c->nblocks = nblocks;
    return LEDE_OK;
}

int lede_chunk_inline_info(const void *post, size_t len, int with_pos, size_t pos_len,
                           lede_block_meta *m, size_t *hdr_len)
{
    lede_dec d;
    lede_dec_init(&d, post, len);
    uint32_t ndocs = lede_dec_u32(&d);
    uint32_t gap = lede_dec_u32(&d);
    m->max_tf = lede_dec_u32(&d);
    m->max_title_tf = lede_dec_u32(&d);
    m->min_len = lede_dec_u32(&d);
    m->doc_bytes = lede_dec_u32(&d);
    m->pos_bytes = with_pos ? lede_dec_u32(&d) : 0;
    if (d.rc != LEDE_OK || ndocs == 0 || ndocs > LEDE_BLOCK || gap < ndocs || m->max_tf == 0 ||
        m->max_title_tf > m->max_tf || (with_pos && m->pos_bytes == 0) ||
        m->doc_bytes != (size_t)(d.end - d.p) || m->pos_bytes != pos_len)
        return LEDE_ECORRUPT;
    m->n = ndocs;
    m->first_base = 0;
    m->last_docid = gap;
    m->doc_off = m->pos_off = 0;
    *hdr_len = (size_t)(d.p - (const uint8_t *)post);
    return LEDE_OK;
}

/* Decode the arrays of a block with metadata m from [*p, end): the gaps - 1
 * of its first n - 1 postings, tf - 1 and title tfs (zeros for an array
 * absent), as lede_chunk_encode writes them; *p moves past them. */
static int block_arrays(const uint8_t **p, const uint8_t *end, const lede_block_meta *m,
                        uint32_t *gaps, uint32_t *tfs, uint32_t *title_tfs)
{
    if (m->n > 1 && rice_get(p, end, gaps, m->n - 1, 1) != LEDE_OK)
        return LEDE_ECORRUPT;
    int rc = m->max_tf > 1 && m->n >= RICE_TF_MIN ? rice_get(p, end, tfs, m->n, 0)
                                                   : unpack_w(p, end, tfs, m->n, bits_of(m->max_tf - 1));
    if (rc != LEDE_OK || unpack_w(p, end, title_tfs, m->n, bits_of(m->max_title_tf)) != LEDE_OK)
        return LEDE_ECORRUPT;
    return LEDE_OK;
}

int lede_inline_data_len(const lede_block_meta *m, const void *data, size_t avail,
                         uint32_t *doc_bytes)
{
    const uint8_t *p = data;
    uint32_t gaps[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK];
    if (m->n == 0 || m->n > LEDE_BLOCK || m->max_tf == 0)
        return LEDE_ECORRUPT;
    /* The Rice-coded arrays say where they end only once decoded. */
    if (block_arrays(&p, p + avail, m, gaps, tfs, ttfs) != LEDE_OK)
        return LEDE_ECORRUPT;
    *doc_bytes = (uint32_t)(p - (const uint8_t *)data);
    return LEDE_OK;
}

int lede_chunk_single(lede_chunk *c, const lede_block_meta *m, const void *data, const void *pos)
{
    if (c->cap < 1) {
        lede_block_meta *nb = realloc(c->blocks, sizeof *nb);
        if (!nb)
            return LEDE_ENOMEM;
        c->blocks = nb;
        c->cap = 1;
    }
    c->blocks[0] = *m;
    c->blocks[0].first_base = 0;
    c->blocks[0].doc_off = c->blocks[0].pos_off = 0;
    if (!pos)
        c->blocks[0].pos_bytes = 0;
    c->data = data;
    c->data_len = m->doc_bytes;
    c->pos = pos;
    c->pos_len = pos ? m->pos_bytes : 0;
    c->ndocs = m->n;
    c->nblocks = 1;
    return LEDE_OK;
}

void lede_chunk_release(lede_chunk *c)
{
    if (!c)
        return;
    free(c->blocks);
    memset(c, 0, sizeof *c);
}

int lede_block_decode(const lede_chunk *c, uint32_t b, uint32_t *docids, uint32_t *tfs,
                      uint32_t *title_tfs)
{
    if (b >= c->nblocks)
        return LEDE_ECORRUPT;
    const lede_block_meta *m = &c->blocks[b];
    if (m->doc_off + m->doc_bytes > c->data_len)
        return LEDE_ECORRUPT;
    const uint8_t *p = c->data + m->doc_off, *end = p + m->doc_bytes;
    if (block_arrays(&p, end, m, docids, tfs, title_tfs) != LEDE_OK || p != end)
        return LEDE_ECORRUPT;
    /* Prefix sums, checking that no gap wraps around and the metadata holds. */
    uint64_t prev = m->first_base;
    for (uint32_t i = 0; i + 1 < m->n; i++) {
        prev += (uint64_t)docids[i] + 1;
        if (prev >= m->last_docid)
            return LEDE_ECORRUPT;
        docids[i] = (uint32_t)prev;
    }
    docids[m->n - 1] = m->last_docid;
    for (uint32_t i = 0; i < m->n; i++) {
        if (tfs[i] >= m->max_tf || title_tfs[i] > tfs[i] + 1 || title_tfs[i] > m->max_title_tf)
            return LEDE_ECORRUPT;
        tfs[i] += 1;
    }
    return LEDE_OK;
}

uint64_t lede_block_max_positions(const lede_chunk *c, uint32_t b)
{
    if (b >= c->nblocks)
        return 0;
    const lede_block_meta *m = &c->blocks[b];
    return (uint64_t)m->n + 8 * (uint64_t)m->pos_bytes;
}

int lede_block_decode_positions(const lede_chunk *c, uint32_t b, const uint32_t *tfs,
                                uint32_t *out, lede_buf *scratch)
{
    uint32_t firsts[LEDE_BLOCK];
    if (b >= c->nblocks || !c->pos)
        return LEDE_ECORRUPT;
    const lede_block_meta *m = &c->blocks[b];
    uint64_t npos = 0;
    for (uint32_t i = 0; i < m->n; i++)
        npos += tfs[i];
    if (npos > lede_block_max_positions(c, b) || m->pos_off + m->pos_bytes > c->pos_len)
        return LEDE_ECORRUPT;
    const uint8_t *p = c->pos + m->pos_off, *end = p + m->pos_bytes;
    if (rice_get(&p, end, firsts, m->n, 0) != LEDE_OK)
        return LEDE_ECORRUPT;
    uint32_t ng = (uint32_t)(npos - m->n);
    uint32_t *g = NULL;
    if (ng > 0) {
        lede_buf_reset(scratch);
        g = (uint32_t *)(void *)lede_buf_grow(scratch, (size_t)ng * sizeof *g);
        if (!g)
            return LEDE_ENOMEM;
        if (rice_get(&p, end, g, ng, 0) != LEDE_OK)
            return LEDE_ECORRUPT;
    }
    if (p != end)
        return LEDE_ECORRUPT;
    size_t k = 0, gi = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t last = firsts[i];
        out[k++] = last;
        for (uint32_t j = 1; j < tfs[i]; j++) {
            if (g[gi] > UINT32_MAX - last)
                return LEDE_ECORRUPT;
            last += g[gi++];
            out[k++] = last;
        }
    }
    return LEDE_OK;
}
