/*
 * lede/search.h — queries and ranking: the query language, BM25 top-k with
 * dynamic pruning, and what a hit matched (for snippets and --explain).
 *
 * Owner: lib/qparse.c (query language → tree), lib/search.c (evaluation,
 * top-k), lib/bm25.c (the weighting formula), lib/topk.c (the result heap).
 * Snippets are lib/snippet.c's (lede/snippet.h).
 *
 * Typical use:
 *
 *     lede_reader *r;  lede_reader_open(&r, dir, &err);
 *     lede_searcher *s; lede_searcher_open(&s, r, &err);
 *     lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
 *     o.limit = 10;
 *     lede_results *res;
 *     if (lede_search(&res, s, "Kim Jong Un nuclear", &o) == LEDE_OK) {
 *         for (size_t i = 0; i < res->n; i++)
 *             printf("%u %.3f\n", res->hits[i].docid, res->hits[i].score);
 *         lede_results_free(res);
 *     } else {
 *         fprintf(stderr, "%s at byte %zu\n", lede_searcher_errmsg(s),
 *                 lede_searcher_errpos(s));
 *     }
 *     lede_searcher_close(s);   // before the reader
 *     lede_reader_close(r);
 */
#ifndef LEDE_SEARCH_H
#define LEDE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "lede/analysis.h"
#include "lede/index.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Result order. */
typedef enum lede_sort {
    LEDE_SORT_SCORE = 0,     /**< best score first, ties by doc id */
    LEDE_SORT_DATE = 1,      /**< oldest first (undated last) */
    LEDE_SORT_DATE_DESC = 2, /**< newest first (undated last) */
} lede_sort;

/** How the inverse document frequency is computed. */
typedef enum lede_idf {
    /** Robertson–Spärck Jones ln((N−df+0.5)/(df+0.5)), floored at 1e-6 (as FTS5). */
    LEDE_IDF_ROBERTSON = 0,
    /** ln(1 + (N−df+0.5)/(df+0.5)) (as Lucene): never negative. */
    LEDE_IDF_PLUS1 = 1,
} lede_idf;

typedef struct lede_search_options {
    int version;          /**< LEDE_SEARCH_OPTIONS_VERSION */
    size_t limit;         /**< hits returned at most; 0 = 10 */
    size_t offset;        /**< hits skipped first (paging) */
    double k1;            /**< BM25 k1; negative = default 1.2 */
    double b;             /**< BM25 b; negative = default 0.75 */
    int all;              /**< non-zero: plain words are all required (-a) */
    const char *since;    /**< date lower bound (inclusive, ISO prefix) or NULL */
    const char *until;    /**< date upper bound (inclusive, ISO prefix) or NULL */
    lede_sort sort;
    int explain;          /**< non-zero: fill each hit's explanation */
    int count_all;        /**< non-zero: res->total is the exact number of matches */
    size_t prefix_cap;    /**< terms a prefix* expands to at most; 0 = 200 */
    int idf;              /**< lede_idf; -1 = default */
    double title_weight;  /**< weight of a title occurrence; negative = default */
    double proximity;     /**< weight of the query-word proximity bonus; negative = default */
    int keep_stopwords;   /**< non-zero: do not drop English stop words from OR queries */
} lede_search_options;
#define LEDE_SEARCH_OPTIONS_VERSION 1
#define LEDE_SEARCH_OPTIONS_INIT                                                               \
    {LEDE_SEARCH_OPTIONS_VERSION, 10, 0, -1.0, -1.0, 0, NULL, NULL, LEDE_SORT_SCORE, 0, 0, 0,    \
     -1, -1.0, -1.0, 0}

/** What a query leaf matches; the values equal lede_snippet_kind's. */
typedef enum lede_match_kind {
    LEDE_MATCH_STEM = 0,   /**< keyword: stemmed term */
    LEDE_MATCH_WORD = 1,   /**< quoted word or prefix expansion: folded, unstemmed */
    LEDE_MATCH_PHRASE = 2, /**< phrase: folded words joined by one space */
    LEDE_MATCH_NAME = 3,   /**< name: folded words joined by one space */
} lede_match_kind;

/** A positive leaf of the query, for snippets and highlighting. */
typedef struct lede_match_term {
    lede_match_kind kind;
    char *text;    /**< owned by the results */
    size_t len;
    double weight; /**< the term's idf (0 when unknown) */
} lede_match_term;

/** One line of --explain: a query term's part of a hit's score. */
typedef struct lede_explain_term {
    char *term;       /**< "stem:nuclear", "phrase:north korea", ...; owned by the results */
    uint32_t tf;      /**< occurrences in the document (phrase: occurrences of the phrase) */
    uint32_t title_tf;
    uint32_t df;
    double idf;
    double norm;      /**< length normalisation k1·(1−b+b·len/avglen) */
    double score;     /**< contribution */
} lede_explain_term;

typedef struct lede_hit {
    uint32_t docid;
    double score;
    uint32_t doclen;
    lede_explain_term *explain; /**< with options.explain; owned by the results */
    size_t nexplain;
} lede_hit;

typedef struct lede_results {
    lede_hit *hits;         /**< after offset, at most limit; owned by the results */
    size_t n;
    uint64_t total;         /**< matching documents (exact when count_all or when sorting by date) */
    lede_match_term *terms; /**< positive leaves of the query */
    size_t nterms;
    char **notes;           /**< messages for the user ("did you mean", prefix cap); owned */
    size_t nnotes;
    uint64_t scored;        /**< documents scored (for benchmarks of pruning) */
} lede_results;

typedef struct lede_searcher lede_searcher;

/**
 * A searcher over reader r (borrowed: close the searcher first).  It keeps
 * an analyzer for the index's language and caches document lengths.  On
 * failure *out is NULL and *errmsg (when errmsg is not NULL) gets a message
 * the caller frees.
 */
int lede_searcher_open(lede_searcher **out, lede_reader *r, char **errmsg);
void lede_searcher_close(lede_searcher *s);
/**
 * Read every document's length into the searcher's cache now, instead of
 * as queries first reach each document, and map the whole index when it is
 * small next to memory (lede_reader_prefault): for a searcher that will
 * answer many queries (lede-query --batch), so that no query pays for the
 * first reads.  Returns LEDE_OK (an unreadable length stays for later, as
 * before).
 */
int lede_searcher_preload(lede_searcher *s);

/**
 * Run query.  LEDE_EINVAL for a syntax error: lede_searcher_errmsg says what
 * and lede_searcher_errpos at which byte of the query.  A query matching
 * nothing is LEDE_OK with n = 0.  Caller frees *out with lede_results_free.
 * opts may be NULL.
 */
int lede_search(lede_results **out, lede_searcher *s, const char *query,
                const lede_search_options *opts);
void lede_results_free(lede_results *res);

/**
 * Whether s[0, len) is a date the filters take (date:, since, until):
 * YYYY, YYYY-MM or YYYY-MM-DD, and one the calendar has (month 01-12, a day
 * the month has; 29 February only in a leap year).
 */
int lede_date_valid(const char *s, size_t len);

/** Message for the last failure.  Borrowed, valid until the next call on s. */
const char *lede_searcher_errmsg(const lede_searcher *s);
/** Byte offset in the query of the last syntax error. */
size_t lede_searcher_errpos(const lede_searcher *s);
/** The analyzer the searcher uses (the index's language); borrowed. */
lede_analyzer *lede_searcher_analyzer(lede_searcher *s);

#ifdef __cplusplus
}
#endif
#endif /* LEDE_SEARCH_H */
