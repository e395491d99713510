/*
 * fuzz_postings.h — fuzz entry for the postings codec (lib/postings.c):
 * the chunk header parser and the block decoders that read index values
 * straight out of LMDB, so every length in them comes from untrusted bytes.
 *
 * The first input byte picks a mode:
 *   even: decode.  Bytes 1-2 (little endian) split the rest into a "post"
 *         value and a "pos" value (absent when bit 1 of the mode byte is
 *         set), each copied into an exact-size buffer.  Parsing either fails
 *         with LEDE_ECORRUPT or yields blocks that fit the value; each block
 *         then decodes or fails cleanly, and what decodes is sorted and
 *         within its metadata.  Positions are decoded the way a careful
 *         caller does: only when sum(tf) is within the bound the block's
 *         position bytes set (lede_block_max_positions), so the output
 *         buffer is never larger than the input could fill.
 *   odd:  round trip.  The rest is turned into a valid postings list (gaps,
 *         tfs, title tfs, positions), encoded, parsed and decoded; the
 *         decoded list must equal the input exactly.
 */
#ifndef LEDE_FUZZ_POSTINGS_H
#define LEDE_FUZZ_POSTINGS_H

#include "fuzz_common.h"

#include "postings.h"

static void fuzz_postings_decode(const uint8_t *data, size_t size, bool with_pos)
{
    if (size < 2)
        return;
    size_t split = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (split > size)
        split = size;
    char *post = fuzz_copy(data, split);
    char *pos = with_pos ? fuzz_copy(data + split, size - split) : NULL;
    size_t pos_len = with_pos ? size - split : 0;
    lede_chunk c = {0};
    lede_buf scratch = LEDE_BUF_INIT;
    uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK];

    int rc = lede_chunk_parse(&c, post, split, pos, pos_len);
    FUZZ_CHECK(rc == LEDE_OK || rc == LEDE_ECORRUPT || rc == LEDE_ENOMEM);
    if (rc == LEDE_OK) {
        FUZZ_CHECK(c.nblocks >= 1 && c.ndocs >= 1);
        FUZZ_CHECK(c.data >= (const uint8_t *)post && c.data + c.data_len <= (const uint8_t *)post + split);
        for (uint32_t b = 0; b < c.nblocks; b++) {
            const lede_block_meta *m = &c.blocks[b];
            FUZZ_CHECK(m->n >= 1 && m->n <= LEDE_BLOCK);
            FUZZ_CHECK(m->doc_off + m->doc_bytes <= c.data_len);
            if (lede_block_decode(&c, b, docids, tfs, ttfs) != LEDE_OK)
                continue;
            uint64_t npos = 0;
            uint32_t prev = m->first_base;
            for (uint32_t i = 0; i < m->n; i++) {
                FUZZ_CHECK(docids[i] > prev && docids[i] <= m->last_docid);
                FUZZ_CHECK(tfs[i] >= 1 && tfs[i] <= m->max_tf);
                FUZZ_CHECK(ttfs[i] <= m->max_title_tf);
                prev = docids[i];
                npos += tfs[i];
            }
            FUZZ_CHECK(prev == m->last_docid);
            if (!with_pos || npos > lede_block_max_positions(&c, b))
                continue;
            uint32_t *out = malloc((size_t)(npos ? npos : 1) * sizeof *out);
            FUZZ_CHECK(out != NULL);
            if (lede_block_decode_positions(&c, b, tfs, out, &scratch) == LEDE_OK) {
                size_t k = 0;
                for (uint32_t i = 0; i < m->n; i++)
                    for (uint32_t j = 0; j < tfs[i]; j++, k++)
                        FUZZ_CHECK(j == 0 || out[k] >= out[k - 1]);
            }
            free(out);
        }
    }
    lede_chunk_release(&c);
    lede_buf_free(&scratch);
    free(post);
    free(pos);
}

/* Read a value of up to nbytes (1..4) little-endian bytes from the input, 0
 * when it is used up. */
static uint32_t fuzz_take(const uint8_t **p, const uint8_t *end, int nbytes)
{
    uint32_t v = 0;
    for (int i = 0; i < nbytes && *p < end; i++)
        v |= (uint32_t)*(*p)++ << (8 * i);
    return v;
}

static void fuzz_postings_roundtrip(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    size_t n = 1 + fuzz_take(&p, end, 2) % 700;
    bool with_pos = fuzz_take(&p, end, 1) & 1;
    uint32_t *docids = calloc(n, sizeof *docids), *tfs = calloc(n, sizeof *tfs);
    uint32_t *ttfs = calloc(n, sizeof *ttfs), *lens = calloc(n, sizeof *lens);
    uint32_t *positions = NULL, *got_pos = NULL;
    size_t npos = 0;
    FUZZ_CHECK(docids && tfs && ttfs && lens);

    /* Doc id gaps of 1..2^24 (occasionally huge), tfs of 1..64. */
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t gap = 1 + fuzz_take(&p, end, (i % 7 == 3) ? 3 : 1);
        if (gap > UINT32_MAX - 2 - d) {
            n = i;
            break;
        }
        d += gap;
        docids[i] = d;
        tfs[i] = 1 + fuzz_take(&p, end, 1) % 64;
        ttfs[i] = fuzz_take(&p, end, 1) % (tfs[i] + 1);
        lens[i] = tfs[i] + fuzz_take(&p, end, 2);
        npos += tfs[i];
    }
    if (n == 0)
        goto cleanup;
    if (with_pos) {
        positions = calloc(npos, sizeof *positions);
        got_pos = calloc(npos, sizeof *got_pos);
        FUZZ_CHECK(positions && got_pos);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t at = fuzz_take(&p, end, 2);
            for (uint32_t j = 0; j < tfs[i]; j++, k++) {
                positions[k] = at;
                at += fuzz_take(&p, end, 1);
            }
        }
    }

    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT, scratch = LEDE_BUF_INIT;
    lede_posting_arrays in = {docids, tfs, ttfs, lens, positions, n};
    lede_chunk c = {0};
    FUZZ_CHECK(lede_chunk_encode(&post, with_pos ? &pos : NULL, &in) == LEDE_OK);
    /* Exact-size copies, as LMDB hands values back. */
    char *pv = fuzz_copy(post.data, post.len);
    char *qv = with_pos ? fuzz_copy(pos.data, pos.len) : NULL;
    FUZZ_CHECK(lede_chunk_parse(&c, pv, post.len, qv, with_pos ? pos.len : 0) == LEDE_OK);
    FUZZ_CHECK(c.ndocs == n && c.nblocks == (n + LEDE_BLOCK - 1) / LEDE_BLOCK);
    size_t at = 0, kpos = 0;
    for (uint32_t b = 0; b < c.nblocks; b++) {
        uint32_t gd[LEDE_BLOCK], gt[LEDE_BLOCK], gtt[LEDE_BLOCK];
        const lede_block_meta *m = &c.blocks[b];
        FUZZ_CHECK(lede_block_decode(&c, b, gd, gt, gtt) == LEDE_OK);
        uint32_t max_tf = 0, min_len = UINT32_MAX, bpos = 0;
        for (uint32_t i = 0; i < m->n; i++, at++) {
            FUZZ_CHECK(gd[i] == docids[at] && gt[i] == tfs[at] && gtt[i] == ttfs[at]);
            max_tf = gt[i] > max_tf ? gt[i] : max_tf;
            min_len = lens[at] < min_len ? lens[at] : min_len;
            bpos += gt[i];
        }
        FUZZ_CHECK(m->last_docid == gd[m->n - 1] && m->max_tf == max_tf && m->min_len == min_len);
        if (with_pos) {
            FUZZ_CHECK(lede_block_decode_positions(&c, b, gt, got_pos + kpos, &scratch) == LEDE_OK);
            FUZZ_CHECK(memcmp(got_pos + kpos, positions + kpos, bpos * sizeof *got_pos) == 0);
            kpos += bpos;
        }
    }
    FUZZ_CHECK(at == n);
    lede_chunk_release(&c);
    lede_buf_free(&post);
    lede_buf_free(&pos);
    lede_buf_free(&scratch);
    free(pv);
    free(qv);
cleanup:
    free(docids);
    free(tfs);
    free(ttfs);
    free(lens);
    free(positions);
    free(got_pos);
}

static int lede_fuzz_postings(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 1)
        fuzz_postings_roundtrip(data + 1, size - 1);
    else
        fuzz_postings_decode(data + 1, size - 1, !(data[0] & 2));
    return 0;
}

#endif /* LEDE_FUZZ_POSTINGS_H */
