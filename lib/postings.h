/*
 * postings.h — the postings block codec: how one chunk of a term's postings
 * list is laid out in bytes (docs/FORMAT.md, "Postings chunks").
 *
 * A chunk holds the postings of one term for a run of documents, in blocks
 * of up to LEDE_BLOCK postings.  Each block carries metadata (last doc id,
 * largest tf and title tf, smallest document length) in the chunk header so
 * a cursor can skip it without decoding.  Doc ids are delta coded; gaps,
 * tfs, title tfs and positions are bit-packed per block.  Positions, when
 * the field has them, live in a separate value (or after the chunk in an
 * inline term record) with the same block structure.
 */
#ifndef LEDE_POSTINGS_H
#define LEDE_POSTINGS_H

#include "buf.h"
#include "common.h"

#define LEDE_BLOCK 128

/** What an encoder is given: n postings in increasing doc id order. */
typedef struct lede_posting_arrays {
    const uint32_t *docids;    /**< strictly increasing, >= 1 */
    const uint32_t *tfs;       /**< >= 1 */
    const uint32_t *title_tfs; /**< <= tf */
    const uint32_t *lens;      /**< document lengths, for the block's min_len */
    const uint32_t *positions; /**< sum(tfs) values, ascending per posting; NULL: no positions */
    size_t n;
} lede_posting_arrays;

/** Parsed metadata of one block. */
typedef struct lede_block_meta {
    uint32_t n;
    uint32_t first_base;  /**< last doc id of the previous block (0 for the first) */
    uint32_t last_docid;
    uint32_t max_tf;
    uint32_t max_title_tf;
    uint32_t min_len;
    uint32_t doc_bytes;
    uint32_t pos_bytes;
    size_t doc_off;       /**< offset of the block's data in the chunk's data section */
    size_t pos_off;       /**< offset of its positions in the positions value */
} lede_block_meta;

/** A parsed chunk.  data and pos are borrowed; blocks is owned (reused across parses). */
typedef struct lede_chunk {
    const uint8_t *data;
    size_t data_len;
    const uint8_t *pos;
    size_t pos_len;
    uint32_t ndocs;
    uint32_t nblocks;
    lede_block_meta *blocks;
    size_t cap;
} lede_chunk;

/**
 * Append the encoding of in to post (doc ids, tfs, title tfs, block
 * metadata) and, when in->positions is not NULL, to pos.  LEDE_EINVAL when
 * the input is not sorted or a tf is 0; LEDE_ENOMEM.
 */
int lede_chunk_encode(lede_buf *post, lede_buf *pos, const lede_posting_arrays *in);

/**
 * Parse the header of a chunk value (and check that its blocks fit the
 * value and the positions value).  pos is NULL for a chunk encoded without
 * positions (its block headers then have no pos_bytes).  LEDE_ECORRUPT.
 */
int lede_chunk_parse(lede_chunk *c, const void *post, size_t len, const void *pos,
                     size_t pos_len);
/**
 * The metadata of a chunk of one block [post, post + len) as
 * lede_chunk_encode writes it, whose positions (with_pos) take pos_len
 * bytes: *hdr_len gets the length of its header, the block's data being
 * the rest.  Parses only the header, allocating nothing.  LEDE_ECORRUPT when
 * it is not one block or the lengths disagree.
 */
int lede_chunk_inline_info(const void *post, size_t len, int with_pos, size_t pos_len,
                           lede_block_meta *m, size_t *hdr_len);
/**
 * The length of the data of one block with metadata m (n, max_tf,
 * max_title_tf) at the start of [data, data + avail): a term record stores
 * an inline list without it (FORMAT.md), since the arrays' codes say it.
 * LEDE_ECORRUPT when it does not fit.
 */
int lede_inline_data_len(const lede_block_meta *m, const void *data, size_t avail,
                         uint32_t *doc_bytes);
/**
 * Set c up as the chunk of the one block m (an inline list) whose data and
 * positions (NULL: none) are borrowed.  LEDE_ENOMEM.
 */
int lede_chunk_single(lede_chunk *c, const lede_block_meta *m, const void *data, const void *pos);
/** Free c->blocks. */
void lede_chunk_release(lede_chunk *c);

/**
 * Decode block b: n doc ids, tfs and title tfs (each array room for
 * LEDE_BLOCK).  Checks sortedness and bounds against the metadata;
 * LEDE_ECORRUPT.
 */
int lede_block_decode(const lede_chunk *c, uint32_t b, uint32_t *docids, uint32_t *tfs,
                      uint32_t *title_tfs);
/**
 * The most positions block b's bytes can hold: a caller checks sum(tf)
 * against it before allocating room for them (a damaged tf cannot then ask
 * for gigabytes).
 */
uint64_t lede_block_max_positions(const lede_chunk *c, uint32_t b);
/**
 * Decode block b's positions given its tfs: sum(tfs) values into out (room
 * for that many), absolute and ascending per posting.  scratch is reused.
 */
int lede_block_decode_positions(const lede_chunk *c, uint32_t b, const uint32_t *tfs,
                                uint32_t *out, lede_buf *scratch);

#endif /* LEDE_POSTINGS_H */
