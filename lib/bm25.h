/*
 * bm25.h — the Okapi BM25 weighting formula, shared by the searcher and its
 * tests.  Pure arithmetic: no index access.
 */
#ifndef LEDE_BM25_H
#define LEDE_BM25_H

#include "common.h"

/** Collection-wide parameters of one query's scoring. */
typedef struct lede_bm25 {
    double k1;
    double b;
    double ndocs;   /**< live documents N */
    double avglen;  /**< average document length in tokens (> 0) */
    int idf_mode;   /**< lede_idf */
} lede_bm25;

/** Fill p; avglen is computed from total_len / ndocs (1 when empty). */
void lede_bm25_init(lede_bm25 *p, double k1, double b, uint64_t ndocs, uint64_t total_len,
                    int idf_mode);
/** The idf of a term found in df documents. */
double lede_bm25_idf(const lede_bm25 *p, uint64_t df);
/*
 * The two below run for every candidate document and clause, so they are
 * inline (the searcher and this header are the only callers).
 */
/** Length normalisation K = k1·(1 − b + b·len/avglen). */
static inline double lede_bm25_norm(const lede_bm25 *p, uint32_t doclen)
{
    return p->k1 * (1.0 - p->b + p->b * (double)doclen / p->avglen);
}

/** One term's contribution: idf · tf·(k1+1) / (tf + K).  tf may be fractional. */
static inline double lede_bm25_weight(const lede_bm25 *p, double idf, double tf, double norm)
{
    if (tf <= 0.0)
        return 0.0;
    return idf * tf * (p->k1 + 1.0) / (tf + norm);
}
/**
 * An upper bound of lede_bm25_weight over documents with tf <= max_tf and
 * length >= min_len (the formula grows with tf and falls with length).
 */
double lede_bm25_bound(const lede_bm25 *p, double idf, double max_tf, uint32_t min_len);

#endif /* LEDE_BM25_H */
