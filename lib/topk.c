/*
 * topk.c — the result heap of the searcher.  Owns only its array; knows
 * nothing of the index or of scoring.
 */
#include "topk.h"

#include <math.h>
#include <stdlib.h>

/* Non-zero when a ranks below b (a is worse). */
static int worse(const lede_topk_item *a, const lede_topk_item *b)
{
    if (a->score != b->score)
        return a->score < b->score;
    return a->docid > b->docid;
}

int lede_topk_init(lede_topk *t, size_t k)
{
    t->n = 0;
    t->k = k ? k : 1;
    t->items = malloc(t->k * sizeof *t->items);
    return t->items ? LEDE_OK : LEDE_ENOMEM;
}

void lede_topk_clear(lede_topk *t)
{
    if (!t)
        return;
    free(t->items);
    t->items = NULL;
    t->n = 0;
}

double lede_topk_threshold(const lede_topk *t)
{
    return t->n < t->k ? -INFINITY : t->items[0].score;
}

static void sift_down(lede_topk_item *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && worse(&h[l], &h[m]))
            m = l;
        if (r < n && worse(&h[r], &h[m]))
            m = r;
        if (m == i)
            return;
        lede_topk_item tmp = h[i];
        h[i] = h[m];
        h[m] = tmp;
        i = m;
    }
}

int lede_topk_push(lede_topk *t, uint32_t docid, double score)
{
    lede_topk_item it = {score, docid};
    if (t->n < t->k) {
        size_t i = t->n++;
        t->items[i] = it;
        while (i > 0) {
            size_t parent = (i - 1) / 2;
            if (!worse(&t->items[i], &t->items[parent]))
                break;
            lede_topk_item tmp = t->items[i];
            t->items[i] = t->items[parent];
            t->items[parent] = tmp;
            i = parent;
        }
        return 1;
    }
    if (!worse(&t->items[0], &it))
        return 0;
    t->items[0] = it;
    sift_down(t->items, t->n, 0);
    return 1;
}

void lede_topk_sort(lede_topk *t)
{
    /* Heap sort: repeatedly move the worst to the end, leaving best first. */
    size_t n = t->n;
    while (n > 1) {
        lede_topk_item tmp = t->items[0];
        t->items[0] = t->items[n - 1];
        t->items[n - 1] = tmp;
        n--;
        sift_down(t->items, n, 0);
    }
}
