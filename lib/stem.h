/*
 * stem.h — Snowball stemming with a memo cache (lib/stem.c, the only file
 * that includes libstemmer.h).  Internal to liblede.
 */
#ifndef LEDE_STEM_H
#define LEDE_STEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The n <= 8 bytes at p as a little-endian integer (p[0] lowest), read
 * without touching a byte outside p[0..n): two overlapping loads instead of
 * a loop over the bytes (the overlapping bytes are the same bytes, so OR-ing
 * them is exact).
 */
static inline uint64_t lede_load_le(const unsigned char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + n - 4, 4);
        return (uint64_t)lo | (uint64_t)hi << (8 * (n - 4));
    }
    if (n == 0)
        return 0;
    return (uint64_t)p[0] | (uint64_t)p[n / 2] << (8 * (n / 2)) | (uint64_t)p[n - 1] << (8 * (n - 1));
#else
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

/*
 * A fast 64-bit hash of a short term, computed once per token and shared by
 * the stem cache and the entity spotter.  Inline because it runs for every
 * token; not for anything stored on disk (the index has its own hashes).
 */
static inline uint64_t lede_term_hash(const char *w, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    const unsigned char *p = (const unsigned char *)w;
    while (n >= 8) {
        uint64_t v = lede_load_le(p, 8);
        h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t v = lede_load_le(p, n);
    h = (h ^ v) * 0x94D049BB133111EBull;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h ? h : 1; /* 0 marks an empty slot in the callers' tables */
}

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
 * Stem the folded word w[0..len).  *out points into w (when the stem is a
 * prefix of the word, the commonest case, or the stemmer is inactive) or
 * into the stemmer (cache or libstemmer's buffer); it stays valid until the
 * next call on s or until w changes, whichever comes first.  Cannot fail except for lack of memory
 * inside libstemmer, in which case the word itself is returned.
 */
void lede_stem_word(lede_stemmer *s, const char *w, size_t len, const char **out,
                    size_t *out_len);
/* The same, with hash = lede_term_hash(w, len) already computed. */
void lede_stem_word_hashed(lede_stemmer *s, const char *w, size_t len, uint64_t hash,
                           const char **out, size_t *out_len);

/* Start loading the cache line where a word of this hash would be cached,
 * so that its lookup a few words later does not wait for memory. */
void lede_stem_prefetch(const lede_stemmer *s, uint64_t hash);

/* Cache counters, for the benchmark. */
void lede_stem_counters(const lede_stemmer *s, size_t *hits, size_t *misses);

#endif /* LEDE_STEM_H */
