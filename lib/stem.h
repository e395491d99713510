/*
 * stem.h — Snowball stemming with a memo cache (lib/stem.c, the only file
 * that includes libstemmer.h).  Internal to liblede.
 */
#ifndef LEDE_STEM_H
#define LEDE_STEM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The 8 bytes at p as a little-endian integer. */
static inline uint64_t lede_load64_le(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/*
 * A fast 64-bit hash of a short term, computed once per token and shared by
 * the stem cache and the entity spotter.  Inline because it runs for every
 * token; not for anything stored on disk (the index has its own hashes).
 *
 * This form reads 16 bytes at w when n < 16, so w must then have 16
 * readable bytes: the tokenizer's word buffer does.  (A longer word is
 * never read past its end.)  It has no branch that
 * depends on the word's length (word lengths are too varied for the CPU to
 * predict them), only selects.  lede_term_hash gives the same value for any
 * w.
 */
static inline uint64_t lede_term_hash_padded(const char *w, size_t n)
{
    static const uint64_t keep[9] = {
        0, 0xFF, 0xFFFF, 0xFFFFFF, 0xFFFFFFFFull, 0xFFFFFFFFFFull, 0xFFFFFFFFFFFFull,
        0xFFFFFFFFFFFFFFull, ~0ull,
    };
    const unsigned char *p = (const unsigned char *)w;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n;
    if (n > 16) {
        /* Long words: 8 bytes at a time up to the last 16. */
        while (n > 16) {
            h = (h ^ lede_load64_le(p)) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 31;
            p += 8;
            n -= 8;
        }
    }
    /* Now n <= 16 (9..16 after the loop).  v0 is bytes [0, 8) and v1 bytes
     * [8, n): read as the 8 bytes that end at n and shifted down, so that a
     * long word is never read past its end. */
    size_t n0 = n < 8 ? n : 8;
    size_t n1 = n > 8 ? n - 8 : 0;
    size_t off = n > 8 ? n - 8 : 8;
    unsigned sh = n > 8 ? (unsigned)(8 * (16 - n)) : 0;
    uint64_t v0 = lede_load64_le(p) & keep[n0];
    uint64_t v1 = (lede_load64_le(p + off) >> sh) & keep[n1];
    /* The two halves are multiplied independently (the CPU overlaps the two
     * multiplications), then mixed so that the low bits, which index the
     * callers' tables, depend on every byte. */
    h = ((h ^ v0) * 0xBF58476D1CE4E5B9ull) ^ ((v1 ^ 0x3C6EF372FE94F82Bull) * 0x94D049BB133111EBull);
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 29;
    return h ? h : 1; /* 0 marks an empty slot in the callers' tables */
}

/* lede_term_hash_padded for any w: a word shorter than 16 bytes is first
 * copied into a zeroed 16-byte buffer. */
static inline uint64_t lede_term_hash(const char *w, size_t n)
{
    if (n >= 16)
        return lede_term_hash_padded(w, n);
    char buf[16] = {0};
    memcpy(buf, w, n);
    return lede_term_hash_padded(buf, n);
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

/*
 * Where the cache line of a word of a given hash lies, for prefetching it a
 * few words before its lookup: base + (hash & mask) * 64.  *base is NULL
 * when the stemmer has no cache (language "none").
 */
void lede_stem_cache_lines(const lede_stemmer *s, const char **base, uint64_t *mask);

/* Start loading the line lede_stem_cache_lines locates for hash. */
static inline void lede_stem_prefetch_line(const char *base, uint64_t mask, uint64_t hash)
{
    if (base != NULL)
        __builtin_prefetch(base + (size_t)(hash & mask) * 64);
}

/* Cache counters, for the benchmark. */
void lede_stem_counters(const lede_stemmer *s, size_t *hits, size_t *misses);

/*
 * Touch every page of the (empty) cache now.  Its memory comes zeroed from
 * mmap, so each page costs a page fault the first time a word lands on it:
 * for a process about to answer many queries, pay those at once up front.
 * Call before the first word is stemmed; it empties the cache.
 */
void lede_stem_warm(lede_stemmer *s);

#endif /* LEDE_STEM_H */
