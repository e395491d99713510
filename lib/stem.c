/*
 * stem.c — Snowball stemming through libstemmer, memoised.
 *
 * Owns: the only #include of libstemmer.h and the stem cache.  It must not
 * fold or split text (the caller passes a folded word).
 *
 * Why a cache: word frequencies follow Zipf's law, so a few thousand
 * distinct words make up nearly all running text, and a small
 * set-associative table of recent (word → stem) pairs answers almost every
 * call without running the Snowball machine (see docs/bench/analysis.md for
 * the hit rate on Reuters-21578).  No allocation per word; the layout is
 * described at stem_entry below.  A stemmer (and so
 * its cache) belongs to one analyzer, which belongs to one thread: there is
 * no shared mutable state.
 */
#include "common.h"

#include "stem.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#define STEM_CACHE_SETS 8192 /* power of two; 4 entries of 16 bytes per set: 512 KiB */
#define STEM_CACHE_WAYS 4
#define STEM_CACHE_ADD 6

/*
 * A cached stem is stored as an edit of the word: keep its first `keep`
 * bytes and append add[0..add_len).  Snowball stems are almost always a
 * prefix of the word plus at most a few letters ("happiness" → keep 5 +
 * "i"), so an entry is 16 bytes and a whole 4-way set is one 64-byte cache
 * line: a lookup touches one line (a 1 MiB table of whole strings spent
 * most of its time waiting for memory).  32,768 entries in 512 KiB: twice
 * the first size, because the analyzer now prefetches the line of a word a
 * few tokens before it stems it (lib/analyzer.c), so a table larger than
 * the L2 cache costs little waiting, while each word it keeps saves a run
 * of the Snowball machine (~2,400 instructions): on Reuters-21578 the
 * misses fell from 88,743 to 62,332, close to the 58,000-odd distinct
 * words.  The word is identified by its 64-bit hash (lede_term_hash, which
 * also mixes in the length): with at most 32768 words cached, the chance
 * that a new word collides with a cached one is about 32768 / 2^64 per
 * lookup, under 10^-12 over a billion tokens.
 */
typedef struct stem_entry {
    uint64_t hash; /* 0 = empty */
    uint8_t keep;
    uint8_t add_len;
    char add[STEM_CACHE_ADD];
} stem_entry;

/* Entries are kept in rough order of use: a hit moves one step forward, a
 * new word replaces the last, so frequent words stay and rare ones pass. */
typedef struct stem_set {
    _Alignas(64) stem_entry e[STEM_CACHE_WAYS];
} stem_set;

struct lede_stemmer {
    struct sb_stemmer *sb; /* NULL when the language is "none" */
    stem_set *sets;        /* STEM_CACHE_SETS sets, NULL when sb is NULL */
    void *sets_mem;        /* the allocation sets lies in (sets is rounded up to 64) */
    char out[LEDE_TERM_MAX + STEM_CACHE_ADD + 1]; /* a stem rebuilt from the cache */
    size_t hits;
    size_t misses;
};

int lede_stem_new(lede_stemmer **out, const char *language)
{
    int rc = LEDE_OK;
    lede_stemmer *s = NULL;

    *out = NULL;
    if (language == NULL)
        language = "english";
    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if (strcmp(language, "none") != 0) {
        s->sb = sb_stemmer_new(language, "UTF_8");
        if (s->sb == NULL) {
            /* libstemmer does not tell an unknown name from lack of memory;
             * an unknown name is by far the likelier. */
            rc = LEDE_ENOTFOUND;
            goto cleanup;
        }
        /* calloc: a large block comes zeroed from mmap, so a short-lived
         * process (one lede-query) only touches the pages it uses.  calloc
         * aligns to 16 bytes only and a set must sit on a 64-byte line, so
         * one set more is allocated and the start rounded up. */
        s->sets_mem = calloc(STEM_CACHE_SETS + 1, sizeof(stem_set));
        if (s->sets_mem == NULL) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        s->sets = (stem_set *)(((uintptr_t)s->sets_mem + 63) & ~(uintptr_t)63);
    }
    *out = s;
    s = NULL;
cleanup:
    lede_stem_free(s);
    return rc;
}

void lede_stem_free(lede_stemmer *s)
{
    if (s == NULL)
        return;
    if (s->sb != NULL)
        sb_stemmer_delete(s->sb);
    free(s->sets_mem);
    free(s);
}

int lede_stem_active(const lede_stemmer *s)
{
    return s->sb != NULL;
}

void lede_stem_word(lede_stemmer *s, const char *w, size_t len, const char **out,
                    size_t *out_len)
{
    lede_stem_word_hashed(s, w, len, lede_term_hash(w, len), out, out_len);
}

void lede_stem_word_hashed(lede_stemmer *s, const char *w, size_t len, uint64_t hash,
                           const char **out, size_t *out_len)
{
    *out = w;
    *out_len = len;
    if (s->sb == NULL || len == 0)
        return;

    stem_set *set = NULL;
    if (len <= LEDE_TERM_MAX) {
        set = &s->sets[hash & (STEM_CACHE_SETS - 1)];
        for (unsigned k = 0; k < STEM_CACHE_WAYS; k++) {
            stem_entry *e = &set->e[k];
            if (e->hash != hash)
                continue;
            s->hits++;
            *out_len = (size_t)e->keep + e->add_len;
            if (e->add_len != 0) {
                /* out has room for the whole add array after any keep. */
                memcpy(s->out, w, e->keep);
                memcpy(s->out + e->keep, e->add, STEM_CACHE_ADD);
                *out = s->out;
            } /* else the stem is a prefix of the word: *out stays w. */
            if (k > 0) {
                stem_entry tmp = set->e[k - 1];
                set->e[k - 1] = *e;
                *e = tmp;
            }
            return;
        }
    }
    s->misses++;
    const sb_symbol *st = sb_stemmer_stem(s->sb, (const sb_symbol *)w, (int)len);
    if (st == NULL)
        return; /* Out of memory inside libstemmer: index the word unstemmed. */
    int sl = sb_stemmer_length(s->sb);
    if (sl <= 0)
        return;
    *out = (const char *)st;
    *out_len = (size_t)sl;
    if (set != NULL) {
        size_t keep = 0, n = LEDE_MIN(len, (size_t)sl);
        while (keep < n && w[keep] == (char)st[keep])
            keep++;
        if ((size_t)sl - keep <= STEM_CACHE_ADD) {
            stem_entry *e = &set->e[STEM_CACHE_WAYS - 1];
            e->hash = hash;
            e->keep = (uint8_t)keep;
            e->add_len = (uint8_t)((size_t)sl - keep);
            memcpy(e->add, st + keep, e->add_len);
        }
    }
}

void lede_stem_cache_lines(const lede_stemmer *s, const char **base, uint64_t *mask)
{
    _Static_assert(sizeof(stem_set) == 64, "a set is one 64-byte line");
    *base = (const char *)s->sets;
    *mask = STEM_CACHE_SETS - 1;
}

void lede_stem_warm(lede_stemmer *s)
{
    if (s->sets)
        memset(s->sets, 0, STEM_CACHE_SETS * sizeof(stem_set));
}

void lede_stem_counters(const lede_stemmer *s, size_t *hits, size_t *misses)
{
    *hits = s->hits;
    *misses = s->misses;
}

const char *const *lede_stem_languages(void)
{
    return (const char *const *)sb_stemmer_list();
}
