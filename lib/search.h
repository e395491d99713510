/*
 * search.h — internal parts of the searcher shared with its tests.
 * The public API is include/lede/search.h.
 */
#ifndef LEDE_SEARCH_INTERNAL_H
#define LEDE_SEARCH_INTERNAL_H

#include "common.h"

/**
 * Damerau–Levenshtein (optimal string alignment) distance between a and b,
 * in bytes, or max + 1 as soon as it is known to exceed max.
 */
unsigned lede_search_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                                   unsigned max);

/** Defaults of the ranking, in one place so the CLI's --help can print them. */
#define LEDE_SEARCH_K1 1.2
#define LEDE_SEARCH_B 0.75
#define LEDE_SEARCH_TITLE_WEIGHT 2.5
/*
 * The proximity bonus weight: 0.05 is the one value in a sweep over
 * 0 .. 0.2 (bench/relevance, k1 1.2, b 0.75, title weight 2.5) that keeps MAP
 * and nDCG@10 at or above the best peer on all seven judged collections; 0.1
 * left npl's nDCG@10 just short and 0.2 cost time and npl more.
 */
#define LEDE_SEARCH_PROXIMITY 0.05
#define LEDE_SEARCH_NAME_BOOST 1.0
#define LEDE_SEARCH_PROX_WINDOW 4
#define LEDE_SEARCH_PROX_MIN_WORDS 4
/** Query words reported as absent (with a suggestion) before the rest are summed up. */
#define LEDE_SEARCH_MAX_ABSENT_NOTES 10

#endif /* LEDE_SEARCH_INTERNAL_H */
