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
#define LEDE_SEARCH_PROXIMITY 0.1
#define LEDE_SEARCH_NAME_BOOST 1.0
#define LEDE_SEARCH_PROX_WINDOW 4
#define LEDE_SEARCH_PROX_MIN_WORDS 4

#endif /* LEDE_SEARCH_INTERNAL_H */
