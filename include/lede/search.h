/*
 * lede/search.h — queries, ranking and snippets.
 *
 * Owner: lib/qparse.c (query language), lib/search.c (BM25 top-k with
 * dynamic pruning), lib/snippet.c (best windows and highlighting).
 * The API is defined by those modules; this header is theirs to fill.
 */
#ifndef LEDE_SEARCH_H
#define LEDE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* LEDE_SEARCH_H */
