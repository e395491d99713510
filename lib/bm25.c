/*
 * bm25.c — Okapi BM25 (Robertson & Zaragoza, "The Probabilistic Relevance
 * Framework", 2009).  Owns the formula only; the searcher decides what tf,
 * df and lengths it feeds in.  Must not touch the index.
 */
#include "bm25.h"

#include <math.h>

/*
 * FTS5 clamps a non-positive Robertson idf to 1e-6 rather than 0 so that a
 * term found in more than half the documents still breaks ties in favour of
 * documents containing it; we do the same.
 */
#define IDF_FLOOR 1e-6

void lede_bm25_init(lede_bm25 *p, double k1, double b, uint64_t ndocs, uint64_t total_len,
                    int idf_mode)
{
    p->k1 = k1;
    p->b = b;
    p->ndocs = (double)ndocs;
    p->avglen = ndocs > 0 && total_len > 0 ? (double)total_len / (double)ndocs : 1.0;
    p->idf_mode = idf_mode;
}

double lede_bm25_idf(const lede_bm25 *p, uint64_t df)
{
    double d = (double)df;
    double ratio = (p->ndocs - d + 0.5) / (d + 0.5);
    if (p->idf_mode == LEDE_IDF_PLUS1)
        return log(1.0 + ratio);
    double idf = log(ratio);
    return idf < IDF_FLOOR ? IDF_FLOOR : idf;
}

double lede_bm25_bound(const lede_bm25 *p, double idf, double max_tf, uint32_t min_len)
{
    /*
     * Rounding in the caller's sums must never push a real score above its
     * bound, or pruning would drop a document it should keep: pad by a
     * relative 1e-9, far above double rounding and far below score gaps.
     */
    return lede_bm25_weight(p, idf, max_tf, lede_bm25_norm(p, min_len)) * (1.0 + 1e-9);
}
