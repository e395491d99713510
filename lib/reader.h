/*
 * reader.h — internal side of the reader: decoders of the index's records
 * (the writer encodes them; the layout is in writer.c and docs/FORMAT.md),
 * shared by writer.c (updates) and check.c.
 */
#ifndef LEDE_READER_H
#define LEDE_READER_H

#include "buf.h"
#include "common.h"
#include "postings.h"
#include "store.h"

/** meta "stats": collection statistics, exact after updates and deletes. */
typedef struct lede_stats_rec {
    uint64_t ndocs;
    uint64_t total_len;
    uint32_t max_docid;
    uint64_t nterms[3];
    uint64_t npostings[3];
    uint64_t ndeleted;    /**< doc ids in the deleted database */
} lede_stats_rec;

/**
 * "<field>.terms" value: statistics of one term and where its postings are:
 * either in chunks of "<field>.post" (and ".pos"), in the live runs from
 * first_run on (each run a batch's, or a merge's, chunks; a run may hold
 * none of the term's), or, when first_run is 0, inline in the record itself
 * (one chunk of one block and its positions); max_tf, max_title_tf, min_len
 * and npostings of an inline list are not stored but read from its block
 * header.  A merge of runs rewrites no record but those whose first run it
 * renumbers.
 */
typedef struct lede_terminfo_rec {
    uint32_t df;          /**< live documents */
    uint64_t cf;          /**< live occurrences */
    uint32_t max_tf;      /**< upper bound over all postings ever written */
    uint32_t max_title_tf;
    uint32_t min_len;     /**< lower bound */
    uint32_t first_run;   /**< the first run holding its chunks; 0: the list is inline */
    uint32_t stem_alias;  /**< word space: when the stem space has no record of this
                           *   same term, the stem's postings are this word's (format 5) */
    uint64_t npostings;   /**< an inline list's postings, live or deleted (0 when chunked) */
    lede_block_meta inl;  /**< an inline list's one block (inl.n 0: none); its
                           *   lengths are lede_terminfo_chunk's to find */
    const uint8_t *inl_post; /**< decoded: its data and positions in one piece
                              *   (inl_pos_len 0), borrowed; built by the
                              *   writer: its data, the positions in inl_pos */
    size_t inl_post_len;
    const uint8_t *inl_pos;  /**< its positions (the rest of the record), borrowed */
    size_t inl_pos_len;
} lede_terminfo_rec;

/** Longest list kept inline in its term record, in postings and in bytes. */
#define LEDE_INLINE_MAX_POSTINGS 128
#define LEDE_INLINE_MAX_BYTES 1024

/**
 * "docs" value, decoded (format 3): the fields read per candidate document
 * (filters, incremental indexing) stored plainly, then the rest (title,
 * meta JSON, entity list) in one zstd frame, decoded by lede_doccold_decode
 * once decompressed.  Strings borrowed from the value.
 */
typedef struct lede_docrec {
    const char *id, *date;
    size_t id_len;
    uint32_t path_ref;       /**< 0: path inline; else its key in "paths" */
    const char *path;        /**< the inline path ("" when none); NULL when path_ref */
    uint32_t len, title_len;
    int64_t mtime;
    uint64_t size, hash;
    const uint8_t *cold;     /**< the zstd frame of the rest */
    size_t cold_len;
} lede_docrec;

/** The decompressed rest of a document record; borrowed from its bytes. */
typedef struct lede_doccold {
    const char *title, *meta_json;
    size_t title_bytes;
    const uint8_t *entities; /**< encoded entity list (see writer.c) */
    size_t entities_len;
} lede_doccold;

/*
 * zstd dictionaries (format 3): trained by the writer from the first
 * documents of an index and stored in meta, one for the text frames and one
 * for the compressed part of the document records.  A frame names its
 * dictionary in its header (dictID 0: none, frames written before there was
 * one).
 */
#define LEDE_ZDICT_TEXT 0
#define LEDE_ZDICT_DOCS 1
/** meta key of dictionary k, and the dictID its frames carry. */
const char *lede_zdict_key(int k);
#define LEDE_ZDICT_ID(k) ((unsigned)(k) + 1)

/**
 * Decompress one frame: src must name no dictionary or dictionary ddict's
 * (ddict may be NULL when the index has none).  *out gets the bytes and a
 * NUL after them (caller frees); LEDE_ECORRUPT when the frame is damaged or
 * names a dictionary that is not ddict.  dctx is the caller's context.
 */
int lede_zframe_decode(void *dctx, const void *ddict, const void *src, size_t len, char **out,
                       size_t *out_len);

int lede_stats_decode(lede_stats_rec *out, const void *data, size_t len);

/** One live run of meta "runs" (format 4; see writer.c): its number, its
 * merge level (0: a batch's) and the bytes of its chunks. */
typedef struct lede_run_rec {
    uint32_t id, level;
    uint64_t bytes;
} lede_run_rec;
/** Decode meta "runs" into *out (malloc'd, room for 2 more; caller frees)
 * and *n; LEDE_ECORRUPT unless the numbers increase. */
int lede_runs_decode(const void *data, size_t len, lede_run_rec **out, size_t *n);
/** The live runs' numbers in the reader's snapshot, in order (*n of them). */
const uint32_t *lede_reader_runs(const lede_reader *r, size_t *n);
/** The index in runs[0, n) of the first run numbered run or more; n when none. */
size_t lede_run_lower_bound(const uint32_t *runs, size_t n, uint32_t run);
/** field: the term's space (an inline list has positions in word and name). */
int lede_terminfo_decode(lede_terminfo_rec *out, int field, const void *data, size_t len);
/** Set c up as the chunk of the inline list of decoded record ti.  LEDE_ECORRUPT, LEDE_ENOMEM. */
int lede_terminfo_chunk(const lede_terminfo_rec *ti, int field, lede_chunk *c);
int lede_docrec_decode(lede_docrec *out, const void *data, size_t len);
int lede_doccold_decode(lede_doccold *out, const void *data, size_t len);
/** Decode an encoded entity list, appending to out (names copied). */
int lede_entities_decode(lede_entity_list *out, const uint8_t *data, size_t len);

/**
 * Key of a chunk of term in a "<field>.post" / ".pos" database (format 4):
 * the run number big-endian, the term, a NUL, the chunk's doc id
 * big-endian.  out needs LEDE_CHUNK_KEY_MAX bytes.  A batch's chunks all
 * have its new run number, so they sort after every key stored and are
 * appended: no page written before is copied.
 */
size_t lede_chunk_key(uint8_t *out, uint32_t run, const char *term, size_t len, uint32_t docid);
/** A chunk key's bytes beside its term's: run, NUL, doc id. */
#define LEDE_CHUNK_KEY_EXTRA 9
/** Key of an external id in "ids" (ids longer than this are cut and hashed). */
#define LEDE_ID_KEY_MAX 400
size_t lede_id_key(uint8_t *out, const char *id, size_t len);
/** Longest term indexed (longer names are skipped): keeps LMDB keys < 511 bytes. */
#define LEDE_KEY_TERM_MAX 400
#define LEDE_CHUNK_KEY_MAX (LEDE_KEY_TERM_MAX + LEDE_CHUNK_KEY_EXTRA)

/* Whether space f stores positions: the words' only (phrases and proximity
 * read them); stems never had them, names not since format 7 (no query
 * reads a name's; a name's occurrences are in its document's record). */
static inline int lede_space_positions(int f)
{
    return f == LEDE_FIELD_WORD;
}

/** Doc lengths are stored in pages of this many little-endian u32. */
#define LEDE_DOCLEN_PAGE 1024

/** The reader's store transaction, for check.c. */
lede_txn *lede_reader_txn(lede_reader *r);
/*
 * "text" (format 3): a frame is stored in pieces of LEDE_TEXT_PIECE bytes,
 * the last one shorter (possibly empty): the first under the doc id (BE32),
 * piece n >= 1 under the doc id and n (BE32 + BE32).  Values this small
 * stay on LMDB's leaf pages, four to a page; longer ones would take whole
 * overflow pages, half a page lost per value on average (on Gutenberg,
 * whose bodies compress to 6.7 KB on average, the text took 62.3 MB of
 * pages for 49.2 MB of frames; in pieces of 2016 bytes, two to a page,
 * 56.9 MB; of 1000 bytes 53.9 MB; of 492 bytes 53.1 MB).
 */
#define LEDE_TEXT_PIECE 1000
/** Key of piece n of docid's text; out needs 8 bytes. */
size_t lede_text_key(uint8_t *out, uint32_t docid, uint32_t n);
/**
 * docid's text frame: *frame borrowed from the map when it is one piece,
 * else assembled in scratch.  LEDE_ENOTFOUND when there is none,
 * LEDE_ECORRUPT when a piece is missing.
 */
int lede_text_frame(lede_txn *t, uint32_t docid, lede_buf *scratch, const uint8_t **frame,
                    size_t *len);

/** The path stored in "paths" under ref, NULL when there is none. */
const char *lede_reader_path(lede_reader *r, uint32_t ref);
/** The reader's dictionary k (LEDE_ZDICT_*) as a ZSTD_DDict, loaded on first
 * use; NULL when the index has none.  LEDE_ECORRUPT when it does not load. */
int lede_reader_ddict(lede_reader *r, int k, const void **out);
/** Non-zero when docid was deleted (the reader's snapshot). */
int lede_reader_is_deleted(lede_reader *r, uint32_t docid);

#endif /* LEDE_READER_H */
