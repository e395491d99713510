/*
 * analyzer.h — internal view of the analyzer (lib/analyzer.c).  The public
 * API is in lede/analysis.h; this adds what the benchmark and tests peek at.
 */
#ifndef LEDE_ANALYZER_H
#define LEDE_ANALYZER_H

#include "lede/analysis.h"

#include <stddef.h>

/* Longest text lede_analyze_doc analyses in one piece (see analyzer.c);
 * the longest document of the shared collections is a quarter of it. */
#define LEDE_ANALYZE_PIECE ((size_t)2 << 20)

/* Stem cache hits and misses since the analyzer was created. */
void lede_analyzer_stem_counters(const lede_analyzer *a, size_t *hits, size_t *misses);

/* Fault the stem cache's pages in now (lede_stem_warm), before first use. */
void lede_analyzer_warm(lede_analyzer *a);

/* The stop word list behind lede_stopword (static storage); *n gets its
 * length. */
const char *const *lede_stopword_list(size_t *n);

#endif /* LEDE_ANALYZER_H */
