/* The postings block codec: round trips, block metadata, corrupt input. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "postings.h"

typedef struct gen {
    uint32_t *docids, *tfs, *ttfs, *lens, *pos;
    size_t n, npos;
} gen;

/* Deterministic postings: gaps up to max_gap, tfs up to max_tf. */
static void make(gen *g, size_t n, uint32_t max_gap, uint32_t max_tf, int titles)
{
    uint64_t x = 88172645463325252ull;
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)
    g->n = n;
    g->docids = malloc(n * 4);
    g->tfs = malloc(n * 4);
    g->ttfs = malloc(n * 4);
    g->lens = malloc(n * 4);
    g->pos = malloc(n * max_tf * 4 + 4);
    g->npos = 0;
    uint32_t d = 0;
    for (size_t i = 0; i < n; i++) {
        d += 1 + (uint32_t)(NEXT() % max_gap);
        g->docids[i] = d;
        g->tfs[i] = 1 + (uint32_t)(NEXT() % max_tf);
        g->ttfs[i] = titles ? (uint32_t)(NEXT() % (g->tfs[i] + 1)) : 0;
        g->lens[i] = g->tfs[i] + (uint32_t)(NEXT() % 1000);
        uint32_t p = (uint32_t)(NEXT() % 50);
        for (uint32_t k = 0; k < g->tfs[i]; k++) {
            g->pos[g->npos++] = p;
            p += 1 + (uint32_t)(NEXT() % 300);
        }
    }
#undef NEXT
}

static void release(gen *g)
{
    free(g->docids);
    free(g->tfs);
    free(g->ttfs);
    free(g->lens);
    free(g->pos);
}

static void round_trip(size_t n, uint32_t max_gap, uint32_t max_tf, int titles, int positions)
{
    gen g;
    make(&g, n, max_gap, max_tf, titles);
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT, scratch = LEDE_BUF_INIT;
    lede_posting_arrays in = {g.docids, g.tfs, g.ttfs, g.lens, positions ? g.pos : NULL, n};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    lede_chunk c = {0};
    cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, positions ? pos.data : NULL, pos.len),
                 LEDE_OK);
    cr_assert_eq(c.ndocs, n);
    cr_assert_eq(c.nblocks, (n + LEDE_BLOCK - 1) / LEDE_BLOCK);
    uint32_t d[LEDE_BLOCK], tf[LEDE_BLOCK], ttf[LEDE_BLOCK];
    uint32_t *pv = malloc((g.npos + 1) * 4);
    size_t k = 0, kp = 0;
    for (uint32_t b = 0; b < c.nblocks; b++) {
        const lede_block_meta *m = &c.blocks[b];
        cr_assert_eq(lede_block_decode(&c, b, d, tf, ttf), LEDE_OK);
        uint32_t max_tf_seen = 0, min_len = UINT32_MAX;
        for (uint32_t i = 0; i < m->n; i++, k++) {
            cr_assert_eq(d[i], g.docids[k]);
            cr_assert_eq(tf[i], g.tfs[k]);
            cr_assert_eq(ttf[i], g.ttfs[k]);
            max_tf_seen = tf[i] > max_tf_seen ? tf[i] : max_tf_seen;
            min_len = g.lens[k] < min_len ? g.lens[k] : min_len;
        }
        cr_expect_eq(m->last_docid, d[m->n - 1]);
        cr_expect_eq(m->max_tf, max_tf_seen);
        cr_expect_eq(m->min_len, min_len);
        if (positions) {
            cr_assert_eq(lede_block_decode_positions(&c, b, tf, pv, &scratch), LEDE_OK);
            size_t np = 0;
            for (uint32_t i = 0; i < m->n; i++)
                np += tf[i];
            cr_assert_eq(memcmp(pv, g.pos + kp, np * 4), 0);
            kp += np;
        }
    }
    cr_expect_eq(k, n);
    free(pv);
    lede_chunk_release(&c);
    lede_buf_free(&post);
    lede_buf_free(&pos);
    lede_buf_free(&scratch);
    release(&g);
}

Test(postings, round_trips_every_shape)
{
    /* n, largest gap, largest tf, title tfs, positions */
    const uint32_t cases[][5] = {
        {1, 1, 1, 0, 0},        {1, 1000000, 3, 1, 1},  {127, 3, 2, 0, 1},
        {128, 1, 1, 0, 0},      {129, 50, 9, 1, 1},     {1000, 10, 40, 1, 1},
        {3000, 70000, 2, 0, 0}, {300, 1u << 22, 1000, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        round_trip(cases[i][0], cases[i][1], cases[i][2], (int)cases[i][3], (int)cases[i][4]);
}

Test(postings, encoder_rejects_unsorted_or_empty_input)
{
    uint32_t docids[] = {5, 5}, tfs[] = {1, 1}, zero[] = {0, 0};
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
    lede_posting_arrays dup = {docids, tfs, zero, zero, NULL, 2};
    cr_expect_eq(lede_chunk_encode(&post, &pos, &dup), LEDE_EINVAL);
    lede_posting_arrays tf0 = {docids, zero, zero, zero, NULL, 1};
    cr_expect_eq(lede_chunk_encode(&post, &pos, &tf0), LEDE_EINVAL);
    lede_posting_arrays empty = {docids, tfs, zero, zero, NULL, 0};
    cr_expect_eq(lede_chunk_encode(&post, &pos, &empty), LEDE_EINVAL);
    lede_buf_free(&post);
    lede_buf_free(&pos);
}

/* Decode everything a damaged chunk allows; it must fail cleanly, never crash. */
static int decode_all(const uint8_t *post, size_t len, const uint8_t *pos, size_t plen)
{
    lede_chunk c = {0};
    lede_buf scratch = LEDE_BUF_INIT;
    uint32_t d[LEDE_BLOCK], tf[LEDE_BLOCK], ttf[LEDE_BLOCK];
    int rc = lede_chunk_parse(&c, post, len, pos, plen);
    for (uint32_t b = 0; rc == LEDE_OK && b < c.nblocks; b++) {
        rc = lede_block_decode(&c, b, d, tf, ttf);
        if (rc == LEDE_OK && pos) {
            uint64_t np = 0;
            for (uint32_t i = 0; i < c.blocks[b].n; i++)
                np += tf[i];
            uint32_t *pv = malloc((np + 1) * 4);
            rc = lede_block_decode_positions(&c, b, tf, pv, &scratch);
            free(pv);
        }
    }
    lede_chunk_release(&c);
    lede_buf_free(&scratch);
    return rc;
}

Test(postings, damaged_chunks_fail_cleanly)
{
    gen g;
    make(&g, 300, 20, 5, 1);
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
    lede_posting_arrays in = {g.docids, g.tfs, g.ttfs, g.lens, g.pos, g.n};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    cr_assert_eq(decode_all(post.data, post.len, pos.data, pos.len), LEDE_OK);
    /* Every truncation of either value is caught. */
    for (size_t cut = 0; cut < post.len; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, post.data, cut);
        cr_expect_eq(decode_all(copy, cut, pos.data, pos.len), LEDE_ECORRUPT, "cut %zu", cut);
        free(copy);
    }
    for (size_t cut = 0; cut < pos.len; cut += 7) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, pos.data, cut);
        cr_expect_eq(decode_all(post.data, post.len, copy, cut), LEDE_ECORRUPT, "pos cut %zu", cut);
        free(copy);
    }
    /* Flipped bytes either still decode or are reported; under ASan, never overrun. */
    for (size_t i = 0; i < post.len; i++) {
        uint8_t *copy = malloc(post.len);
        memcpy(copy, post.data, post.len);
        copy[i] ^= 0xa5;
        int rc = decode_all(copy, post.len, pos.data, pos.len);
        cr_expect(rc == LEDE_OK || rc == LEDE_ECORRUPT);
        free(copy);
    }
    lede_buf_free(&post);
    lede_buf_free(&pos);
    release(&g);
}

Test(postings, small_gaps_and_tfs_take_few_bits)
{
    /* 1024 consecutive documents with tf 1: a couple of bits per posting. */
    gen g;
    make(&g, 1024, 1, 1, 0);
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
    lede_posting_arrays in = {g.docids, g.tfs, g.ttfs, g.lens, NULL, g.n};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    cr_expect_lt(post.len, 80, "%zu bytes for 1024 postings", post.len);
    lede_buf_free(&post);
    lede_buf_free(&pos);
    release(&g);
}

Test(postings, escaped_rice_codes_decode_at_every_bit_offset)
{
    /* A gap and a tf too large for a Rice quotient (escaped with 32 bits)
     * after i small ones, for every i: each escape starts at another bit
     * of the decoder's word. */
    for (uint32_t at = 0; at < 100; at++) {
        uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK] = {0}, lens[LEDE_BLOCK];
        uint32_t d = 0;
        for (uint32_t i = 0; i < LEDE_BLOCK; i++) {
            d += i == at || i == at + 17 ? 100000000 : 1 + (i * 7 + at) % 3;
            docids[i] = d;
            tfs[i] = i == at + 5 ? 3000000 : 1 + (i + at) % 2;
            lens[i] = 100;
        }
        lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
        lede_posting_arrays in = {docids, tfs, ttfs, lens, NULL, LEDE_BLOCK};
        cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
        lede_chunk c = {0};
        uint32_t od[LEDE_BLOCK], ot[LEDE_BLOCK], ott[LEDE_BLOCK];
        cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, NULL, 0), LEDE_OK);
        cr_assert_eq(lede_block_decode(&c, 0, od, ot, ott), LEDE_OK, "at %u", at);
        cr_assert_eq(memcmp(od, docids, sizeof od), 0, "at %u", at);
        cr_assert_eq(memcmp(ot, tfs, sizeof ot), 0, "at %u", at);
        lede_chunk_release(&c);
        lede_buf_free(&post);
        lede_buf_free(&pos);
    }
}

Test(postings, one_long_gap_does_not_widen_the_others)
{
    /* Gaps of 1 to 4 and tfs of 1 to 3, but one gap of a million and one
     * tf of a thousand: bit-packed, every value would take 20 and 10 bits. */
    uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK] = {0}, lens[LEDE_BLOCK];
    uint32_t d = 0;
    for (uint32_t i = 0; i < LEDE_BLOCK; i++) {
        d += i == 60 ? 1000000 : 1 + i % 4;
        docids[i] = d;
        tfs[i] = i == 70 ? 1000 : 1 + i % 3;
        lens[i] = 2000;
    }
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
    lede_posting_arrays in = {docids, tfs, ttfs, lens, NULL, LEDE_BLOCK};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    cr_expect_lt(post.len, 120, "%zu bytes for 128 postings", post.len);
    lede_chunk c = {0};
    uint32_t od[LEDE_BLOCK], ot[LEDE_BLOCK], ott[LEDE_BLOCK];
    cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, NULL, 0), LEDE_OK);
    cr_assert_eq(lede_block_decode(&c, 0, od, ot, ott), LEDE_OK);
    cr_expect_eq(memcmp(od, docids, sizeof od), 0);
    cr_expect_eq(memcmp(ot, tfs, sizeof ot), 0);
    /* Every cut of the data fails cleanly. */
    for (size_t cut = 1; cut < c.data_len; cut++) {
        lede_chunk t = c;
        t.data_len = c.data_len - cut;
        lede_block_meta m = c.blocks[0];
        m.doc_bytes -= (uint32_t)cut;
        t.blocks = &m;
        cr_expect_eq(lede_block_decode(&t, 0, od, ot, ott), LEDE_ECORRUPT, "cut %zu", cut);
    }
    lede_chunk_release(&c);
    lede_buf_free(&post);
    lede_buf_free(&pos);
}

Test(postings, a_single_posting_takes_a_few_bytes)
{
    /* The last doc id of a block is in its header, and tf 1 needs no array:
     * one posting of doc 1000000 is ndocs and the header, nothing more. */
    uint32_t docid = 1000000, tf = 1, ttf = 0, len = 200, p = 150;
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
    lede_posting_arrays in = {&docid, &tf, &ttf, &len, &p, 1};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    cr_expect_leq(post.len, 10, "%zu bytes", post.len);
    cr_expect_leq(pos.len, 2, "%zu bytes", pos.len);
    cr_expect_eq(decode_all(post.data, post.len, pos.data, pos.len), LEDE_OK);
    lede_buf_free(&post);
    lede_buf_free(&pos);
}

Test(postings, repeated_positions_round_trip_and_bound_the_count)
{
    /* Equal positions (gap 0) still take a bit each, so a block's bytes
     * bound its positions; a tf larger than that bound is refused. */
    uint32_t docids[2] = {3, 9}, tfs[2] = {40, 1}, ttfs[2] = {0, 0}, lens[2] = {50, 50};
    uint32_t p[41];
    for (int i = 0; i < 40; i++)
        p[i] = 7;
    p[40] = 2;
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT, scratch = LEDE_BUF_INIT;
    lede_posting_arrays in = {docids, tfs, ttfs, lens, p, 2};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    lede_chunk c = {0};
    cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, pos.data, pos.len), LEDE_OK);
    uint32_t d[LEDE_BLOCK], tf[LEDE_BLOCK], tt[LEDE_BLOCK], out[64];
    cr_assert_eq(lede_block_decode(&c, 0, d, tf, tt), LEDE_OK);
    cr_expect_geq(lede_block_max_positions(&c, 0), 41);
    cr_assert_eq(lede_block_decode_positions(&c, 0, tf, out, &scratch), LEDE_OK);
    cr_expect_eq(memcmp(out, p, sizeof p), 0);
    uint32_t big[2] = {(uint32_t)lede_block_max_positions(&c, 0), 1};
    cr_expect_eq(lede_block_decode_positions(&c, 0, big, out, &scratch), LEDE_ECORRUPT);
    lede_chunk_release(&c);
    lede_buf_free(&post);
    lede_buf_free(&pos);
    lede_buf_free(&scratch);
}

Test(postings, an_inline_list_is_one_block_whose_widths_give_its_length)
{
    gen g;
    make(&g, 100, 30, 4, 1);
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT, scratch = LEDE_BUF_INIT;
    lede_posting_arrays in = {g.docids, g.tfs, g.ttfs, g.lens, g.pos, g.n};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    lede_block_meta m;
    size_t hl = 0;
    cr_assert_eq(lede_chunk_inline_info(post.data, post.len, 1, pos.len, &m, &hl), LEDE_OK);
    cr_expect_eq(m.n, 100);
    cr_expect_eq(m.last_docid, g.docids[99]);
    cr_expect_eq(m.doc_bytes, post.len - hl);
    /* A term record keeps the block without its lengths: the codes give
     * the data's.  The positions follow the data. */
    lede_buf rec = LEDE_BUF_INIT;
    lede_buf_append(&rec, post.data + hl, post.len - hl);
    lede_buf_append(&rec, pos.data, pos.len);
    uint32_t db = 0;
    uint64_t want = 0;
    for (size_t i = 0; i < g.n; i++)
        want += g.tfs[i];
    cr_assert_eq(lede_inline_data_len(&m, rec.data, rec.len, &db), LEDE_OK);
    cr_expect_eq(db, post.len - hl);
    cr_expect_eq(lede_inline_data_len(&m, rec.data, db - 1, &db), LEDE_ECORRUPT);
    /* Read as a chunk of one block, it decodes as the chunk does. */
    lede_chunk c = {0}, one = {0};
    cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, pos.data, pos.len), LEDE_OK);
    cr_assert_eq(lede_chunk_single(&one, &m, rec.data, rec.data + m.doc_bytes), LEDE_OK);
    uint32_t d1[LEDE_BLOCK], t1[LEDE_BLOCK], tt1[LEDE_BLOCK], d2[LEDE_BLOCK], t2[LEDE_BLOCK],
        tt2[LEDE_BLOCK];
    cr_assert_eq(lede_block_decode(&c, 0, d1, t1, tt1), LEDE_OK);
    cr_assert_eq(lede_block_decode(&one, 0, d2, t2, tt2), LEDE_OK);
    cr_expect_eq(memcmp(d1, d2, 100 * 4), 0);
    cr_expect_eq(memcmp(t1, t2, 100 * 4), 0);
    cr_expect_eq(memcmp(tt1, tt2, 100 * 4), 0);
    uint32_t *p1 = malloc(want * 4), *p2 = malloc(want * 4);
    cr_assert_eq(lede_block_decode_positions(&c, 0, t1, p1, &scratch), LEDE_OK);
    cr_assert_eq(lede_block_decode_positions(&one, 0, t2, p2, &scratch), LEDE_OK);
    cr_expect_eq(memcmp(p1, p2, want * 4), 0);
    free(p1);
    free(p2);
    /* A byte more or less, positions of another length, or a second block
     * are refused. */
    cr_expect_eq(lede_chunk_inline_info(post.data, post.len - 1, 1, pos.len, &m, &hl),
                 LEDE_ECORRUPT);
    cr_expect_eq(lede_chunk_inline_info(post.data, post.len, 1, pos.len + 1, &m, &hl),
                 LEDE_ECORRUPT);
    lede_chunk_release(&c);
    lede_chunk_release(&one);
    lede_buf_free(&rec);
    lede_buf_reset(&post);
    lede_buf_reset(&pos);
    release(&g);
    make(&g, 200, 30, 4, 0);
    lede_posting_arrays in2 = {g.docids, g.tfs, g.ttfs, g.lens, NULL, g.n};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in2), LEDE_OK);
    cr_expect_eq(lede_chunk_inline_info(post.data, post.len, 0, 0, &m, &hl), LEDE_ECORRUPT);
    lede_buf_free(&post);
    lede_buf_free(&pos);
    lede_buf_free(&scratch);
    release(&g);
}

Test(postings, positions_far_apart_round_trip_and_spread_ones_take_few_bits)
{
    /* One posting whose positions are mostly a few apart with now and then
     * a jump of millions (Rice codes escape those), then one with every
     * gap zero. */
    enum { TF = 3000 };
    static uint32_t p[TF + 40];
    uint32_t docids[2] = {5, 6}, tfs[2] = {TF, 40}, ttfs[2] = {0, 0}, lens[2] = {UINT32_MAX, 50};
    uint64_t seed = 42, at = 0;
    for (int i = 0; i < TF; i++) {
        seed = seed * 6364136223846793005u + 1442695040888963407u;
        at += i % 500 == 499 ? (uint32_t)(seed >> 40) % 4000000 : (seed >> 59);
        p[i] = (uint32_t)at;
    }
    for (int i = 0; i < 40; i++)
        p[TF + i] = 9;
    lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT, scratch = LEDE_BUF_INIT;
    lede_posting_arrays in = {docids, tfs, ttfs, lens, p, 2};
    cr_assert_eq(lede_chunk_encode(&post, &pos, &in), LEDE_OK);
    /* Gaps below 32 take about 5 bits with Rice codes; bit-packed in the
     * width of the largest jump they took 22. */
    cr_expect_lt(pos.len, (size_t)TF * 7 / 8, "%zu bytes for %d positions", pos.len, TF + 40);
    lede_chunk c = {0};
    cr_assert_eq(lede_chunk_parse(&c, post.data, post.len, pos.data, pos.len), LEDE_OK);
    uint32_t d[LEDE_BLOCK], tf[LEDE_BLOCK], tt[LEDE_BLOCK];
    static uint32_t out[TF + 40];
    cr_assert_eq(lede_block_decode(&c, 0, d, tf, tt), LEDE_OK);
    cr_assert_eq(lede_block_decode_positions(&c, 0, tf, out, &scratch), LEDE_OK);
    cr_expect_eq(memcmp(out, p, sizeof p), 0);
    lede_chunk_release(&c);
    /* Every truncation of the positions fails cleanly. */
    for (size_t cut = 0; cut < pos.len; cut++) {
        lede_chunk t = {0};
        if (lede_chunk_parse(&t, post.data, post.len, pos.data, cut) == LEDE_OK)
            cr_expect_neq(lede_block_decode_positions(&t, 0, tf, out, &scratch), LEDE_OK, "cut %zu",
                          cut);
        lede_chunk_release(&t);
    }
    lede_buf_free(&post);
    lede_buf_free(&pos);
    lede_buf_free(&scratch);
}
