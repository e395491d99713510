/*
 * stem.c — Snowball stemming through libstemmer, memoised.
 *
 * Owns: the only #include of libstemmer.h and the stem cache.  It must not
 * fold or split text (the caller passes a folded word).
 *
 * Why a cache: word frequencies follow Zipf's law, so a few thousand
 * distinct words make up nearly all running text, and a two-way
 * set-associative table of recent (word → stem) pairs answers almost every
 * call without running the Snowball machine (95.5% hits on Reuters-21578,
 * see docs/bench/analysis.md).  Each slot is one cache line holding a hash
 * tag and both strings inline (no allocation per word); words longer than
 * STEM_CACHE_WORD bytes are rare and bypass the cache.  A stemmer (and so
 * its cache) belongs to one analyzer, which belongs to one thread: there is
 * no shared mutable state.
 */
#include "common.h"

#include "stem.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>

#define STEM_CACHE_SETS 8192 /* power of two; two slots per set: 1 MiB */
#define STEM_CACHE_WORD 28

/* One slot is one 64-byte cache line: a probe touches one line, and the two
 * slots of a set are adjacent lines.  The tag is the high half of the term
 * hash (the low bits chose the set); the word itself is compared too, so a
 * tag collision can never return a wrong stem. */
typedef struct stem_slot {
    _Alignas(64) uint32_t tag;
    uint8_t word_len; /* 0 = empty slot */
    uint8_t stem_len;
    uint8_t last;     /* in slot 0 only: the slot of the set used last */
    char word[STEM_CACHE_WORD];
    char stem[STEM_CACHE_WORD];
} stem_slot;

/* Two-way set: a new word replaces the slot not used last, so one word
 * that collides with a frequent one does not evict it. */
typedef struct stem_set {
    stem_slot slot[2];
} stem_set;

struct lede_stemmer {
    struct sb_stemmer *sb; /* NULL when the language is "none" */
    stem_set *sets;        /* STEM_CACHE_SETS sets, NULL when sb is NULL */
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
        /* calloc: a 1 MiB block comes zeroed from mmap, so a short-lived
         * process (one lede-query) only touches the pages it uses. */
        s->sets = calloc(STEM_CACHE_SETS, sizeof(*s->sets));
        if (s->sets == NULL) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
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
    free(s->sets);
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

    stem_slot *slot = NULL;
    uint32_t tag = (uint32_t)(hash >> 32);
    if (len <= STEM_CACHE_WORD) {
        stem_set *set = &s->sets[hash & (STEM_CACHE_SETS - 1)];
        for (unsigned k = 0; k < 2; k++) {
            stem_slot *c = &set->slot[k];
            if (c->tag == tag && c->word_len == len && memcmp(c->word, w, len) == 0) {
                s->hits++;
                set->slot[0].last = (uint8_t)k;
                *out = c->stem;
                *out_len = c->stem_len;
                return;
            }
        }
        set->slot[0].last ^= 1;
        slot = &set->slot[set->slot[0].last];
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
    if (slot != NULL && (size_t)sl <= STEM_CACHE_WORD) {
        slot->tag = tag;
        slot->word_len = (uint8_t)len;
        slot->stem_len = (uint8_t)sl;
        memcpy(slot->word, w, len);
        memcpy(slot->stem, st, (size_t)sl);
        *out = slot->stem;
    }
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
