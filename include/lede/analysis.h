/*
 * lede/analysis.h — text analysis: the one code path that turns bytes into
 * the terms the index stores and the query looks up (documents, queries and
 * snippets all go through it).
 *
 * Owner: lib/analyzer.c and the modules under it (utf8, fold, tokenize, stem,
 * entities).  Nothing here touches the index.
 */
#ifndef LEDE_ANALYSIS_H
#define LEDE_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a token is (the rules, with examples, are atop lib/tokenize.c):
 *   - words are runs of Unicode letters, marks and digits; invalid UTF-8,
 *     NUL and overlong forms separate words and are counted;
 *   - word = Unicode case fold + NFKD with marks stripped ("Zürich" → zurich,
 *     full-width "ＫＯＲＥＡ" → korea); apostrophes inside a word are kept
 *     as ASCII ' ("don’t" → don't), a final 's / ’s is dropped and flagged
 *     POSSESSIVE; hyphens and slashes split into consecutive positions
 *     (JOINED); "U.S." → us; "3.5", "80th", "2025" stay whole, "155,221"
 *     → 155221; scripts without spaces give overlapping bigrams (CJK);
 *   - stem = Snowball stem of word (libstemmer, memoised); numbers and CJK
 *     bigrams are not stemmed (stem == word).
 *
 * Stems must not make names match other words ("Eugene" must not find
 * eugenics: both stem to "eugen"; "Manly" must not find "Manning").  The
 * layout that prevents it, as Xapian does: every token carries both forms,
 * and the index keeps both — LEDE_FIELD_STEM holds `stem` without positions
 * (keyword ranking), LEDE_FIELD_WORD holds `word` (folded, unstemmed) with
 * positions (phrases, quoted words, names), LEDE_FIELD_NAME holds entity
 * names.  A quoted word, a phrase and the words of a name are looked up by
 * `word` only, so "Eugene" finds eugene and never eugenics; an unquoted
 * word is looked up by `stem`.  The cost is one more term space: the word
 * postings (with positions) are what phrases need anyway, so the extra cost
 * is the stem postings (doc ids + tf, no positions) and a second term
 * dictionary — see docs/bench/analysis.md for the measured term counts.
 */

/** Longest term, in bytes, that is indexed; longer words are cut there. */
#define LEDE_TERM_MAX 128

/** Token flags: what the original text looked like. */
enum {
    LEDE_TOKEN_CAPITALIZED = 1 << 0, /**< first letter upper case in the source */
    LEDE_TOKEN_ALLCAPS = 1 << 1,     /**< every letter upper case (and more than one letter) */
    LEDE_TOKEN_SENTENCE_START = 1 << 2, /**< first word of a sentence or of the text */
    LEDE_TOKEN_POSSESSIVE = 1 << 3,  /**< a possessive 's / ’s was dropped after it */
    LEDE_TOKEN_NUMERIC = 1 << 4,     /**< contains a digit */
    LEDE_TOKEN_CJK = 1 << 5,         /**< a character bigram from a script without spaces */
    LEDE_TOKEN_JOINED = 1 << 6,      /**< follows a hyphen or slash inside one written word */
};

/**
 * One token.  All pointers are borrowed: valid only during the callback
 * (or until the next call on the analyzer).
 */
typedef struct lede_token {
    const char *word;  /**< folded (case + diacritics), unstemmed term */
    size_t word_len;
    const char *stem;  /**< stemmed word; same bytes as word when not stemmed */
    size_t stem_len;
    uint32_t pos;      /**< word number; consecutive words differ by 1 */
    uint32_t start;    /**< byte range [start, end) in the analysed text */
    uint32_t end;
    uint32_t flags;    /**< LEDE_TOKEN_* */
} lede_token;

/** Counters filled by lede_analyze (may be NULL). */
typedef struct lede_analyze_stats {
    size_t tokens;        /**< tokens emitted */
    size_t invalid_bytes; /**< invalid UTF-8, NUL and overlong bytes skipped as separators */
    uint32_t next_pos;    /**< position after the last token */
} lede_analyze_stats;

/** Return non-zero to stop analysis; lede_analyze then returns that value. */
typedef int (*lede_token_fn)(const lede_token *tok, void *payload);

/** A list of entities (defined below with lede_entity). */
typedef struct lede_entity_list lede_entity_list;

/** An analyzer holds a stemmer and its cache: one per thread. */
typedef struct lede_analyzer lede_analyzer;

/**
 * Create an analyzer for a Snowball language ("english" when NULL;
 * "none" disables stemming).  Returns LEDE_ENOTFOUND for an unknown language.
 * Caller frees with lede_analyzer_free.
 */
int lede_analyzer_new(lede_analyzer **out, const char *language);
void lede_analyzer_free(lede_analyzer *a);

/**
 * Tokenize text[0..len) and call fn for each token, numbering positions from
 * first_pos.  Never fails on bad bytes: they separate words and are counted.
 */
int lede_analyze(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                 lede_token_fn fn, void *payload, lede_analyze_stats *stats);

/**
 * Like lede_analyze, and in the same pass also spot the named entities of
 * the text and append them to *entities (see lede_entities_spot), so that
 * indexing tokenizes each text once.  entities may be NULL (then this is
 * exactly lede_analyze); fn may be NULL (then only entities are collected).
 * Returns LEDE_ENOMEM if the entity list cannot grow, or fn's non-zero value.
 */
int lede_analyze_doc(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                     lede_token_fn fn, void *payload, lede_analyze_stats *stats,
                     lede_entity_list *entities);

/**
 * Non-zero when word[0..len) (a folded word, as in lede_token.word) is an
 * English stop word (the Snowball list: "the", "of", "don't", ...).  The
 * index keeps stop words; a query may drop them from OR queries, never from
 * phrases or names.
 */
int lede_stopword(const char *word, size_t len);

/** NULL-terminated list of the languages libstemmer offers.  Static storage. */
const char *const *lede_stem_languages(void);

/**
 * A named entity found in a text: "kim jong un" covering positions
 * first_pos..last_pos and bytes [start, end).
 */
typedef struct lede_entity {
    char *name;        /**< folded, unstemmed, words joined by one space, NUL-terminated;
                            owned by the list (never free it yourself) */
    size_t name_len;
    uint32_t first_pos;
    uint32_t last_pos;
    uint32_t start;
    uint32_t end;
} lede_entity;

struct lede_entity_list {
    lede_entity *items;
    size_t n;
    size_t cap;
    struct lede_entity_chunk *chunks; /**< internal: blocks holding the names; start NULL */
};

/**
 * Spot entities in text[0..len) (positions numbered from first_pos, exactly
 * as lede_analyze numbers them) and append them to *out.  Text that is mostly
 * upper case yields none.
 */
int lede_entities_spot(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                       lede_entity_list *out);
/** Free the names and the array; the list is empty and reusable afterwards. */
void lede_entity_list_clear(lede_entity_list *list);
/**
 * Empty the list but keep its memory for the next document (the array and
 * one block of names), so that a loop over documents does not allocate for
 * each; lede_entity_list_clear still frees it all at the end.
 */
void lede_entity_list_reset(lede_entity_list *list);
/**
 * Append an entity (name copied into the list's own storage).  Used by the
 * index reader to rebuild a document's stored list.  LEDE_ENOMEM.
 */
int lede_entity_list_push(lede_entity_list *list, const char *name, size_t len,
                          uint32_t first_pos, uint32_t last_pos, uint32_t start, uint32_t end);

#ifdef __cplusplus
}
#endif
#endif /* LEDE_ANALYSIS_H */
