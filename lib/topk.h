/*
 * topk.h — a bounded min-heap keeping the k best (score, docid) pairs.
 * Better means a higher score, and for equal scores a lower doc id, so the
 * result never depends on the order documents are offered in.
 */
#ifndef LEDE_TOPK_H
#define LEDE_TOPK_H

#include "common.h"

typedef struct lede_topk_item {
    double score;
    uint32_t docid;
} lede_topk_item;

typedef struct lede_topk {
    lede_topk_item *items; /**< heap, worst at items[0] */
    size_t n;
    size_t k;
} lede_topk;

/** Prepare a heap for k items (k >= 1).  LEDE_ENOMEM on failure. */
int lede_topk_init(lede_topk *t, size_t k);
void lede_topk_clear(lede_topk *t);
/**
 * The score a new document must beat to enter: -infinity until the heap is
 * full.  A document offered later with an equal score loses only if its doc
 * id is higher, which holds when documents come in doc id order.
 */
double lede_topk_threshold(const lede_topk *t);
/** Offer a document; returns non-zero when it was kept. */
int lede_topk_push(lede_topk *t, uint32_t docid, double score);
/** Sort the kept items best first (destroys the heap order). */
void lede_topk_sort(lede_topk *t);

#endif /* LEDE_TOPK_H */
