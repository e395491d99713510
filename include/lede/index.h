/*
 * lede/index.h — the index: one LMDB environment in a directory.
 *
 * Owner: lib/store.c (the only file that includes lmdb.h), lib/postings.c
 * (the postings codec), lib/writer.c (lede_index_*), lib/reader.c
 * (lede_reader_*, lede_postings_*).  The byte layout is in docs/FORMAT.md.
 *
 * Three term spaces ("fields") are indexed for every document:
 *
 *   LEDE_FIELD_STEM  stemmed words of title and body: doc ids, tf and the
 *                    title's share of tf.  No positions.  Keyword ranking.
 *   LEDE_FIELD_WORD  folded, unstemmed words of title and body: doc ids, tf
 *                    and positions.  Phrases, quoted words, names, proximity.
 *                    Title words take positions 0..title_len-1; the body
 *                    starts at title_len + LEDE_TITLE_GAP so no phrase spans
 *                    the two.
 *   LEDE_FIELD_NAME  entity names ("kim jong un") from title and body: doc
 *                    ids, tf and the position of each occurrence's first word.
 */
#ifndef LEDE_INDEX_H
#define LEDE_INDEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEDE_TITLE_GAP 100
/** Doc id returned by a cursor that is past its last posting. */
#define LEDE_DOCID_END UINT32_MAX

typedef enum lede_field {
    LEDE_FIELD_STEM = 0,
    LEDE_FIELD_WORD = 1,
    LEDE_FIELD_NAME = 2,
} lede_field;

/* ------------------------------------------------------------------ */
/* Writing                                                            */
/* ------------------------------------------------------------------ */

/** A document to add.  All strings are borrowed for the duration of the call. */
typedef struct lede_doc {
    int version;             /**< LEDE_DOC_VERSION */
    const char *id;          /**< external id (JSON id or path relative to the root); required */
    const char *title;       /**< may be NULL */
    size_t title_len;
    const char *body;        /**< required (may be empty) */
    size_t body_len;
    const char *date;        /**< ISO 8601 or NULL */
    const char *path;        /**< source path or NULL */
    const char *meta_json;   /**< other fields as a JSON object, or NULL */
    int64_t mtime;           /**< source modification time (seconds), 0 if none */
    uint64_t size;           /**< source size in bytes */
    uint64_t hash;           /**< content hash (xxh64 of the source bytes) */
} lede_doc;
#define LEDE_DOC_VERSION 1
#define LEDE_DOC_INIT {LEDE_DOC_VERSION, 0}

typedef struct lede_index_options {
    int version;               /**< LEDE_INDEX_OPTIONS_VERSION */
    const char *language;      /**< stemmer for a new index; NULL = "english" */
    size_t memory_budget;      /**< bytes buffered before a batch is committed; 0 = 256 MiB */
    uint64_t max_size;         /**< cap on the index size in bytes; 0 = none */
    int threads;               /**< analysis threads; 0 = number of cores */
    int wait_for_lock;         /**< non-zero: wait for another writer instead of failing */
} lede_index_options;
#define LEDE_INDEX_OPTIONS_VERSION 1
/** The memory budget a memory_budget of 0 stands for. */
#define LEDE_DEFAULT_MEMORY_BUDGET ((size_t)256 << 20)
#define LEDE_INDEX_OPTIONS_INIT {LEDE_INDEX_OPTIONS_VERSION, 0}

/** The writer.  One at a time per index (an exclusive lock is held). */
typedef struct lede_index lede_index;

/**
 * Open (creating if needed) the index in directory dir for writing.  On
 * failure *out is NULL and, when errmsg is not NULL, *errmsg gets a message
 * (caller frees with free()).
 */
int lede_index_open(lede_index **out, const char *dir, const lede_index_options *opts,
                    char **errmsg);
/** Commits nothing: call lede_index_commit first.  Accepts NULL. */
void lede_index_close(lede_index *ix);
/** Message for the last failure on ix.  Borrowed, valid until the next call on ix. */
const char *lede_index_errmsg(const lede_index *ix);

/**
 * Add or replace (same id) a document.  Buffered: becomes visible to readers
 * at the next commit, which happens by itself when the memory budget is
 * reached.
 */
int lede_index_add(lede_index *ix, const lede_doc *doc);
/**
 * Like lede_index_add, but the index takes the body instead of copying it
 * (a 100 MB text is then in memory once, not twice): body is doc->body,
 * malloc'd, doc->body_len bytes and room for one more.  The index frees
 * it, whatever this returns; the caller must not use it afterwards.
 */
int lede_index_add_body(lede_index *ix, const lede_doc *doc, char *body);
/** Delete the document with this external id; LEDE_ENOTFOUND if none. */
int lede_index_delete(lede_index *ix, const char *id);
/**
 * Record that the source of the document with this external id, found
 * unchanged by its bytes, now has modification time mtime, so that the
 * next run can skip it by size and mtime without reading it.  Buffered like
 * an add; written at the next commit, before the batch's adds and deletes
 * (an id also replaced in the batch ends replaced).  A document gone by
 * then is left alone.
 */
int lede_index_touch(lede_index *ix, const char *id, int64_t mtime);
/** Write everything buffered in one LMDB transaction. */
int lede_index_commit(lede_index *ix);
/**
 * Write the index as last committed, without the free pages updates leave
 * behind, into the directory dir, which must not exist yet: a complete
 * index the caller swaps in for the old one (renaming directories, while
 * ix still holds the writer's lock).  Buffered changes are not in it:
 * commit first.  On failure dir is gone again and lede_index_errmsg says why.
 */
int lede_index_compact(lede_index *ix, const char *dir);

/* ------------------------------------------------------------------ */
/* Reading                                                            */
/* ------------------------------------------------------------------ */

/**
 * A reader is one read transaction: a consistent snapshot of the last
 * committed state, unaffected by writers running at the same time.
 * Not thread-safe; one per thread.
 */
typedef struct lede_reader lede_reader;

int lede_reader_open(lede_reader **out, const char *dir, char **errmsg);
void lede_reader_close(lede_reader *r);
const char *lede_reader_errmsg(const lede_reader *r);

typedef struct lede_stats {
    uint64_t ndocs;       /**< live documents */
    uint64_t total_len;   /**< sum of live documents' lengths (title + body tokens) */
    uint32_t max_docid;   /**< largest doc id ever assigned */
    uint64_t nterms[3];   /**< distinct terms per lede_field */
    uint64_t npostings[3];
    char language[32];
    uint32_t format_version;
} lede_stats;

int lede_reader_stats(lede_reader *r, lede_stats *out);

/** Per-term statistics, exact after updates and deletes. */
typedef struct lede_term_info {
    uint32_t df;        /**< live documents containing the term */
    uint64_t cf;        /**< total occurrences */
    uint32_t max_tf;    /**< upper bound of tf over the term's documents */
    uint32_t max_title_tf; /**< upper bound of title tf */
    uint32_t min_len;   /**< lower bound of the length of its documents */
} lede_term_info;

/** LEDE_ENOTFOUND when the term is not indexed. */
int lede_reader_term(lede_reader *r, lede_field field, const char *term, size_t len,
                     lede_term_info *out);

/**
 * Call fn for each term of field that starts with prefix (all terms when
 * prefix_len is 0), in byte order.  fn returns non-zero to stop.
 */
typedef int (*lede_term_fn)(const char *term, size_t len, const lede_term_info *info,
                            void *payload);
int lede_reader_terms(lede_reader *r, lede_field field, const char *prefix, size_t prefix_len,
                      lede_term_fn fn, void *payload);

/** Document length in tokens (title + body); 0 for a deleted or unknown id. */
uint32_t lede_reader_doclen(lede_reader *r, uint32_t docid);

/* Map the whole index into memory now, when it is at most max_bytes, so that
 * the queries that follow take no page faults (a process answering many
 * queries pays this once instead of on its first queries).  LEDE_EINVAL when
 * the index is larger or the system cannot; nothing else changes then. */
int lede_reader_prefault(lede_reader *r, uint64_t max_bytes);

/** Stored fields of a document.  Strings borrowed, valid until lede_reader_close. */
typedef struct lede_doc_info {
    uint32_t docid;
    const char *id;
    const char *title;     /**< "" when none */
    const char *date;      /**< ISO 8601 or "" */
    const char *path;      /**< "" when none */
    const char *meta_json; /**< "" when none */
    uint32_t len;
    uint32_t title_len;    /**< tokens in the title */
    int64_t mtime;
    uint64_t size;
    uint64_t hash;
} lede_doc_info;

/** LEDE_ENOTFOUND for a deleted or unknown doc id. */
int lede_reader_doc(lede_reader *r, uint32_t docid, lede_doc_info *out);
/**
 * Like lede_reader_doc, but only the fields stored uncompressed: title and
 * meta_json are "" (format 3 keeps them compressed).  What filters and
 * incremental indexing read for many documents, at a fraction of the cost
 * and with nothing kept in memory.
 */
int lede_reader_doc_brief(lede_reader *r, uint32_t docid, lede_doc_info *out);
/** Look a document up by external id. */
int lede_reader_find(lede_reader *r, const char *id, uint32_t *docid_out);
/**
 * The original body text, decompressed.  *text_out is NUL-terminated and
 * owned by the caller (free()).
 */
int lede_reader_text(lede_reader *r, uint32_t docid, char **text_out, size_t *len_out);
/** The document's entities (name, positions, byte ranges into the body). */
int lede_reader_entities(lede_reader *r, uint32_t docid, lede_entity_list *out);

/* A postings cursor over one term.  Deleted documents are never returned. */
typedef struct lede_postings lede_postings;

/** LEDE_ENOTFOUND when the term is not indexed.  Free with lede_postings_free. */
int lede_postings_open(lede_postings **out, lede_reader *r, lede_field field, const char *term,
                       size_t len);
void lede_postings_free(lede_postings *p);
/** Current doc id; LEDE_DOCID_END when exhausted.  A new cursor is on its first posting. */
uint32_t lede_postings_docid(const lede_postings *p);
uint32_t lede_postings_tf(const lede_postings *p);
uint32_t lede_postings_title_tf(const lede_postings *p);
/** Advance; returns LEDE_OK, LEDE_ITEROVER at the end, or LEDE_ECORRUPT. */
int lede_postings_next(lede_postings *p);
/** Advance to the first doc id >= target (skipping whole blocks); same returns. */
int lede_postings_seek(lede_postings *p, uint32_t target);
/**
 * Positions of the current posting, ascending (LEDE_FIELD_WORD and
 * LEDE_FIELD_NAME).  *out borrowed until the cursor moves.
 */
int lede_postings_positions(lede_postings *p, const uint32_t **out, uint32_t *n);
/**
 * Block metadata for dynamic pruning: the current block's last doc id, its
 * largest tf and title tf, and the smallest document length in it.
 */
typedef struct lede_block_info {
    uint32_t last_docid;
    uint32_t max_tf;
    uint32_t max_title_tf;
    uint32_t min_len;
} lede_block_info;
void lede_postings_block(const lede_postings *p, lede_block_info *out);
/**
 * Move to the block that contains target or the first block after it,
 * without decoding it, so its metadata can be read; the cursor's doc id is
 * unspecified until lede_postings_seek is called.  Used by block-max WAND.
 */
int lede_postings_shallow_seek(lede_postings *p, uint32_t target);

/* ------------------------------------------------------------------ */
/* Maintenance: sizes (--stats), language, check (--check)             */
/* ------------------------------------------------------------------ */

/**
 * Bytes used by each part of the index (LMDB pages of its databases) in the
 * reader's snapshot.  postings + positions + terms + docs + other is the
 * index without stored text; word_space and stem_space split the term
 * spaces (word: unstemmed, with positions; stem: without).
 */
typedef struct lede_index_sizes {
    uint64_t postings;   /**< doc ids, tfs and block metadata of all three spaces */
    uint64_t positions;  /**< positions of the word and name spaces */
    uint64_t terms;      /**< term dictionaries */
    uint64_t text;       /**< stored bodies (zstd) */
    uint64_t docs;       /**< per-document records, id map, lengths */
    uint64_t other;      /**< meta and deleted ids */
    uint64_t free;       /**< pages of the file LMDB keeps for reuse */
    uint64_t file;       /**< bytes of the data file in use */
    uint64_t word_space; /**< word.terms + word.post + word.pos */
    uint64_t stem_space; /**< stem.terms + stem.post */
    /* Added with format 2, where short lists live in their term records. */
    uint64_t doclens;    /**< document lengths (also counted in docs) */
    uint64_t inverted;   /**< the inverted index: terms + postings + positions + doclens */
    uint64_t stored;     /**< stored fields: document records, id map and text */
    /* Added with format 4, where each batch's postings are a run. */
    uint64_t runs;       /**< live postings runs (merges keep them few) */
} lede_index_sizes;

int lede_reader_sizes(lede_reader *r, lede_index_sizes *out);

/** The language of the index being written ("english", ...).  Borrowed. */
const char *lede_index_language(const lede_index *ix);

/**
 * One problem found by lede_index_check: what (a full sentence naming the
 * term, document or statistic), and where ("stem.post", "stats", ...).
 * Return non-zero to stop checking.
 */
typedef int (*lede_check_fn)(const char *where, const char *what, void *payload);

/**
 * Verify every invariant of the index in dir, on one snapshot: postings
 * decode and are sorted, every posting's document exists or is deleted,
 * each term's df and cf match its live postings, the collection statistics
 * match the documents and terms, doc lengths match the records, ids map
 * both ways.  fn is called for each problem (may be NULL).  Returns LEDE_OK
 * when none was found, LEDE_ECORRUPT when some were, or another status when
 * the index could not be read (*errmsg then says why; caller frees).
 * *nproblems (may be NULL) gets the count.
 */
int lede_index_check(const char *dir, lede_check_fn fn, void *payload, uint64_t *nproblems,
                     char **errmsg);

/**
 * For programs that open indexes from untrusted sources (lede-index and
 * lede-query call it first thing).  LMDB trusts the pages of its data
 * file, so a damaged file can make it fault (SIGSEGV, SIGBUS) or fail one
 * of its assertions; after this call such a fault at an address inside an
 * open index's map, or such an assertion, prints "PROGNAME: error: the
 * index in DIR is damaged (...)" and ends the process with exit status 2.
 * Faults anywhere else still reach the handler that was installed before
 * (the sanitizers' or the default).  progname is borrowed for the life of
 * the process.  Installs process-wide signal handlers: not for libraries.
 */
int lede_index_guard_faults(const char *progname);

#ifdef __cplusplus
}
#endif
#endif /* LEDE_INDEX_H */
