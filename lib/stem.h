/*
 * stem.h — Snowball stemming with a memo cache (lib/stem.c, the only file
 * that includes libstemmer.h).  Internal to liblede.
 */
#ifndef LEDE_STEM_H
#define LEDE_STEM_H

#include <stddef.h>

typedef struct lede_stemmer lede_stemmer;

/*
 * Create a stemmer for a Snowball language ("english" when NULL; "none"
 * makes a stemmer that returns every word unchanged).  LEDE_ENOTFOUND for a
 * language libstemmer does not offer.  Caller frees with lede_stem_free.
 */
int lede_stem_new(lede_stemmer **out, const char *language);
void lede_stem_free(lede_stemmer *s);

/* Non-zero when s actually stems (its language is not "none"). */
int lede_stem_active(const lede_stemmer *s);

/*
 * Stem the folded word w[0..len).  *out points into the stemmer (cache or
 * libstemmer's buffer) and stays valid until the next call on s; it equals
 * w when the stemmer is inactive.  Cannot fail except for lack of memory
 * inside libstemmer, in which case the word itself is returned.
 */
void lede_stem_word(lede_stemmer *s, const char *w, size_t len, const char **out,
                    size_t *out_len);

/* Cache counters, for the benchmark. */
void lede_stem_counters(const lede_stemmer *s, size_t *hits, size_t *misses);

#endif /* LEDE_STEM_H */
