/*
 * postings.c — the postings block codec (format in postings.h and
 * docs/FORMAT.md).  Owns the bytes of one chunk; it does not know about
 * LMDB keys, terms or deleted documents (store.c, writer.c, reader.c).
 *
 * Chunk value ("post"):
 *   varint ndocs, varint nblocks,
 *   per block: varint n, varint last_docid - previous block's last_docid,
 *              varint max_tf, varint max_title_tf, varint min_len,
 *              varint doc_bytes, varint pos_bytes
 *   then the blocks' data, concatenated.  A block's data is three bit-packed
 *   arrays (a width byte w, then n values of w bits, little-endian, padded
 *   to a byte): doc id gaps - 1 (the first from the previous block's last
 *   doc id), tf - 1, and title tf only when max_title_tf > 0.  Bit-packing
 *   beats streamvbyte here (bench/bench_postings.c): gaps and tfs are small,
 *   and streamvbyte spends at least 10 bits on each.
 * Positions value ("pos"): per block, streamvbyte of the positions of each
 * posting in turn, the first of a posting absolute, the next ones as gaps.
 */
#include "postings.h"

#include "varint.h"

#include <stdlib.h>
#include <streamvbyte.h>
#include <string.h>

/* Append n values packed in the fewest bits that hold the largest. */
static void pack(lede_buf *out, const uint32_t *v, uint32_t n)
{
    uint32_t all = 0;
    for (uint32_t i = 0; i < n; i++)
        all |= v[i];
    unsigned w = all ? 32u - (unsigned)__builtin_clz(all) : 0;
    size_t bytes = ((size_t)n * w + 7) / 8;
    lede_buf_putc(out, (uint8_t)w);
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

/* Unpack n values from [*in, end); LEDE_ECORRUPT when they do not fit. */
static int unpack(const uint8_t **in, const uint8_t *end, uint32_t *v, uint32_t n)
{
    const uint8_t *p = *in;
    if (p >= end)
        return LEDE_ECORRUPT;
    unsigned w = *p++;
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

/* Decoding copies a section into a buffer this much longer than the data, so
 * that SIMD decoders reading whole 16-byte words never leave our memory. */
#define SVB_PAD 64

/* Size of a streamvbyte stream of n values starting at in, read from its
 * control bytes; LEDE_ECORRUPT when it does not fit in avail bytes. */
static int svb_size(const uint8_t *in, size_t avail, uint32_t n, size_t *out)
{
    size_t ctrl = ((size_t)n + 3) / 4;
    if (ctrl > avail)
        return LEDE_ECORRUPT;
    size_t data = 0;
    for (uint32_t i = 0; i < n; i++)
        data += (size_t)((in[i >> 2] >> (2 * (i & 3))) & 3) + 1;
    if (data > avail - ctrl)
        return LEDE_ECORRUPT;
    *out = ctrl + data;
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
    lede_buf posb = LEDE_BUF_INIT;

    if (in->n == 0 || in->n > UINT32_MAX)
        return LEDE_EINVAL;
    lede_buf_put_varint(post, in->n);
    lede_buf_put_varint(post, nblocks);
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
        pack(&data, tmp, n);
        for (uint32_t i = 0; i < n; i++)
            tmp[i] = in->tfs[lo + i] - 1;
        pack(&data, tmp, n);
        if (max_ttf > 0)
            pack(&data, in->title_tfs + lo, n);
        if (data.rc != LEDE_OK)
            goto nomem;

        size_t pos_bytes = 0;
        if (in->positions) {
            if (npos > UINT32_MAX || lede_buf_reserve(&posb, npos * 4) != LEDE_OK ||
                lede_buf_reserve(pos, streamvbyte_max_compressedbytes((uint32_t)npos)) != LEDE_OK)
                goto nomem;
            uint32_t *gaps = (uint32_t *)(void *)posb.data;
            size_t k = 0;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t last = 0;
                for (uint32_t j = 0; j < in->tfs[lo + i]; j++, k++) {
                    uint32_t p = in->positions[posi + k];
                    if (j > 0 && p < last) {
                        rc = LEDE_EINVAL;
                        goto cleanup;
                    }
                    gaps[k] = j == 0 ? p : p - last;
                    last = p;
                }
            }
            posi += npos;
            pos_bytes = streamvbyte_encode(gaps, (uint32_t)npos, pos->data + pos->len);
            pos->len += pos_bytes;
        }
        lede_buf_put_varint(post, n);
        lede_buf_put_varint(post, prev - prev_last);
        lede_buf_put_varint(post, max_tf);
        lede_buf_put_varint(post, max_ttf);
        lede_buf_put_varint(post, min_len);
        lede_buf_put_varint(post, data.len - start);
        lede_buf_put_varint(post, pos_bytes);
        prev_last = prev;
    }
    lede_buf_append(post, data.data, data.len);
    rc = post->rc != LEDE_OK ? post->rc : pos ? pos->rc : LEDE_OK;
    goto cleanup;
nomem:
    rc = LEDE_ENOMEM;
cleanup:
    lede_buf_free(&data);
    lede_buf_free(&posb);
    return rc;
}

int lede_chunk_parse(lede_chunk *c, const void *post, size_t len, const void *pos,
                     size_t pos_len)
{
    lede_dec d;
    lede_dec_init(&d, post, len);
    uint32_t ndocs = lede_dec_u32(&d);
    uint32_t nblocks = lede_dec_u32(&d);
    if (d.rc != LEDE_OK || ndocs == 0 || nblocks != (ndocs + LEDE_BLOCK - 1) / LEDE_BLOCK ||
        nblocks > len)
        return LEDE_ECORRUPT;
    if (nblocks > c->cap) {
        lede_block_meta *nb = realloc(c->blocks, nblocks * sizeof *nb);
        if (!nb)
            return LEDE_ENOMEM;
        c->blocks = nb;
        c->cap = nblocks;
    }
    uint32_t last = 0;
    size_t doc_off = 0, pos_off = 0, total = 0;
    for (uint32_t b = 0; b < nblocks; b++) {
        lede_block_meta *m = &c->blocks[b];
        m->n = lede_dec_u32(&d);
        uint32_t gap = lede_dec_u32(&d);
        m->max_tf = lede_dec_u32(&d);
        m->max_title_tf = lede_dec_u32(&d);
        m->min_len = lede_dec_u32(&d);
        m->doc_bytes = lede_dec_u32(&d);
        m->pos_bytes = lede_dec_u32(&d);
        if (d.rc != LEDE_OK || m->n == 0 || m->n > LEDE_BLOCK ||
            (b + 1 < nblocks && m->n != LEDE_BLOCK) || gap < m->n ||
            gap > UINT32_MAX - 1 - last || m->max_tf == 0 || m->max_title_tf > m->max_tf)
            return LEDE_ECORRUPT;
        m->first_base = last;
        last += gap;
        m->last_docid = last;
        m->doc_off = doc_off;
        m->pos_off = pos_off;
        doc_off += m->doc_bytes;
        pos_off += m->pos_bytes;
        total += m->n;
    }
    if (total != ndocs || doc_off != (size_t)(d.end - d.p) || (pos && pos_off != pos_len) ||
        (!pos && pos_off != 0))
        return LEDE_ECORRUPT;
    c->data = d.p;
    c->data_len = doc_off;
    c->pos = pos;
    c->pos_len = pos_len;
    c->ndocs = ndocs;
    c->nblocks = nblocks;
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
    if (unpack(&p, end, docids, m->n) != LEDE_OK || unpack(&p, end, tfs, m->n) != LEDE_OK)
        return LEDE_ECORRUPT;
    if (m->max_title_tf > 0) {
        if (unpack(&p, end, title_tfs, m->n) != LEDE_OK)
            return LEDE_ECORRUPT;
    } else {
        memset(title_tfs, 0, m->n * sizeof *title_tfs);
    }
    if (p != end)
        return LEDE_ECORRUPT;
    /* Prefix sums, checking that no gap wraps around and the metadata holds. */
    uint64_t prev = m->first_base;
    for (uint32_t i = 0; i < m->n; i++) {
        prev += (uint64_t)docids[i] + 1;
        if (prev > m->last_docid || tfs[i] >= m->max_tf || title_tfs[i] > tfs[i] + 1 ||
            title_tfs[i] > m->max_title_tf)
            return LEDE_ECORRUPT;
        docids[i] = (uint32_t)prev;
        tfs[i] += 1;
    }
    if (prev != m->last_docid)
        return LEDE_ECORRUPT;
    return LEDE_OK;
}

int lede_block_decode_positions(const lede_chunk *c, uint32_t b, const uint32_t *tfs,
                                uint32_t *out, lede_buf *scratch)
{
    if (b >= c->nblocks || !c->pos)
        return LEDE_ECORRUPT;
    const lede_block_meta *m = &c->blocks[b];
    uint64_t npos = 0;
    for (uint32_t i = 0; i < m->n; i++)
        npos += tfs[i];
    if (npos > UINT32_MAX || m->pos_off + m->pos_bytes > c->pos_len)
        return LEDE_ECORRUPT;
    lede_buf_reset(scratch);
    uint8_t *tmp = lede_buf_grow(scratch, (size_t)m->pos_bytes + SVB_PAD);
    if (!tmp)
        return LEDE_ENOMEM;
    memcpy(tmp, c->pos + m->pos_off, m->pos_bytes);
    size_t sz;
    if (svb_size(tmp, m->pos_bytes, (uint32_t)npos, &sz) != LEDE_OK || sz != m->pos_bytes)
        return LEDE_ECORRUPT;
    streamvbyte_decode(tmp, out, (uint32_t)npos);
    size_t k = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        uint32_t last = 0;
        for (uint32_t j = 0; j < tfs[i]; j++, k++) {
            if (j > 0) {
                if (out[k] > UINT32_MAX - last)
                    return LEDE_ECORRUPT;
                out[k] += last;
            }
            last = out[k];
        }
    }
    return LEDE_OK;
}
