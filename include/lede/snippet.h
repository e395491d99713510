/*
 * lede/snippet.h — snippets: the best windows of a document's text for a
 * query, cut at word boundaries, with the byte ranges of each match, and a
 * renderer that turns a window into safe, highlighted text.
 *
 * Owner: lib/snippet.c.  Snippets get the text from the caller (the query
 * side fetches it with lede_reader_text) and never touch the index.
 *
 * Typical use, once per query and then once per hit:
 *
 *     lede_snippet_query *sq;
 *     lede_snippet_query_new(&sq);
 *     lede_snippet_query_add(sq, LEDE_SNIPPET_STEM, "nuclear", 7, idf);  // keyword
 *     lede_snippet_query_add(sq, LEDE_SNIPPET_NAME, "kim jong un", 11, idf);
 *     for each hit:
 *         lede_snippet *s;
 *         lede_snippet_make(&s, analyzer, body, body_len, sq, &opts);
 *         for (size_t i = 0; i < s->n; i++) {
 *             char *line;
 *             lede_snippet_render(&line, NULL, body, body_len, &s->frags[i], &ropts, NULL);
 *             ... print line, free(line) ...
 *         }
 *         lede_snippet_free(s);
 *     lede_snippet_query_free(sq);
 */
#ifndef LEDE_SNIPPET_H
#define LEDE_SNIPPET_H

#include <stddef.h>
#include <stdint.h>

#include "lede/analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a query term matches in the text. */
typedef enum lede_snippet_kind {
    /** A keyword: matches tokens whose stem equals the term (as in LEDE_FIELD_STEM). */
    LEDE_SNIPPET_STEM = 0,
    /** A quoted word: matches tokens whose folded, unstemmed word equals the term. */
    LEDE_SNIPPET_WORD = 1,
    /**
     * A phrase: folded, unstemmed words joined by single spaces ("north korea");
     * matches a run of consecutive tokens with those words, highlighted as one range.
     */
    LEDE_SNIPPET_PHRASE = 2,
    /**
     * A name ("kim jong un", folded words joined by single spaces): matched
     * like a phrase, and the best window is centred on it.
     */
    LEDE_SNIPPET_NAME = 3,
} lede_snippet_kind;

/** The terms a query matched.  Build once per query, reuse for every hit. */
typedef struct lede_snippet_query lede_snippet_query;

/** Caller frees with lede_snippet_query_free. */
int lede_snippet_query_new(lede_snippet_query **out);
void lede_snippet_query_free(lede_snippet_query *q);
/**
 * Add a term (copied).  weight > 0 ranks windows by it (pass the term's idf
 * so rare terms win); weight <= 0 means 1.  Adding the same kind and term
 * twice keeps one.  LEDE_EINVAL for an empty term or an unknown kind.
 */
int lede_snippet_query_add(lede_snippet_query *q, lede_snippet_kind kind, const char *term,
                           size_t len, double weight);
/** Number of distinct terms added. */
size_t lede_snippet_query_count(const lede_snippet_query *q);
/**
 * Say which Snowball language the analyzer given to lede_snippet_make stems
 * with (the index's: lede_stats.language).  Optional; it only makes snippets
 * faster: for "english" (and "none") only words that could stem to a keyword
 * are stemmed.  The snippets are the same with or without it, as long as
 * the language named is the analyzer's.  LEDE_EINVAL when q is NULL.
 */
int lede_snippet_query_set_language(lede_snippet_query *q, const char *language);

typedef struct lede_snippet_options {
    int version;            /**< LEDE_SNIPPET_OPTIONS_VERSION */
    unsigned context_words; /**< words per window; 0 = 30 */
    unsigned max_fragments; /**< windows returned at most; 0 = 1 */
    /**
     * Non-zero: when nothing in the text matches, return no fragment instead
     * of the opening window of the text.
     */
    int no_lead_fallback;
} lede_snippet_options;
#define LEDE_SNIPPET_OPTIONS_VERSION 1
#define LEDE_SNIPPET_OPTIONS_INIT {LEDE_SNIPPET_OPTIONS_VERSION, 30, 1, 0}

/** A byte range [start, end) of the text. */
typedef struct lede_snippet_range {
    uint32_t start;
    uint32_t end;
} lede_snippet_range;

/** Fragment flags. */
enum {
    LEDE_FRAGMENT_CUT_BEFORE = 1 << 0, /**< text precedes the fragment: render a leading "…" */
    LEDE_FRAGMENT_CUT_AFTER = 1 << 1,  /**< text follows the fragment: render a trailing "…" */
};

/**
 * One window of the text.  start and end lie on code-point boundaries and
 * word boundaries (punctuation attached to the first or last word is kept).
 * matches are ascending, disjoint, inside [start, end), and each covers a
 * whole matched word or a whole matched phrase/name.
 */
typedef struct lede_fragment {
    uint32_t start;
    uint32_t end;
    uint32_t flags;                /**< LEDE_FRAGMENT_* */
    double score;                  /**< how well the window answers the query (0 = no match) */
    const lede_snippet_range *matches; /**< byte ranges in the text; owned by the snippet */
    size_t nmatches;
} lede_fragment;

/** The fragments of one document, in text order. */
typedef struct lede_snippet {
    lede_fragment *frags; /**< owned by the snippet */
    size_t n;
} lede_snippet;

/**
 * Choose up to opts->max_fragments windows of text[0..len) for query q,
 * analysing the text with a (the analyzer of the index, so stems agree).
 * Windows are chosen by the weight of distinct matched terms first, repeats
 * second, whole names and phrases, and a start at a sentence; a window is
 * centred on a matched name.  Fragments never overlap and come in text
 * order.  With no match, one opening window (unless no_lead_fallback); for
 * empty text, n = 0.  opts may be NULL.  Caller frees with lede_snippet_free.
 */
int lede_snippet_make(lede_snippet **out, lede_analyzer *a, const char *text, size_t len,
                      const lede_snippet_query *q, const lede_snippet_options *opts);
void lede_snippet_free(lede_snippet *s);

typedef struct lede_render_options {
    int version;          /**< LEDE_RENDER_OPTIONS_VERSION */
    const char *open;     /**< written before each match; NULL = "" */
    const char *close;    /**< written after each match; NULL = "" */
    const char *ellipsis; /**< written at cuts; NULL = "…" (U+2026) */
} lede_render_options;
#define LEDE_RENDER_OPTIONS_VERSION 1
#define LEDE_RENDER_OPTIONS_INIT {LEDE_RENDER_OPTIONS_VERSION, NULL, NULL, NULL}

/**
 * Render fragment f of text into a NUL-terminated string: the ellipsis at
 * cuts, open/close around each match, and the text made safe: tabs, newlines
 * and other whitespace controls become one space (runs collapse), ANSI/VT
 * escape sequences (ESC …, CSI, OSC, DCS) are dropped, other C0/C1 controls and
 * DEL are dropped, invalid UTF-8 becomes U+FFFD.  The output never holds a
 * raw control character except those in open/close/ellipsis.
 *
 * *out is owned by the caller (free()).  len_out (may be NULL) gets its
 * length.  match_out (may be NULL) must have room for f->nmatches ranges; it
 * gets each match's byte range in *out (the text between open and close),
 * which is what --json reports beside the ranges in the original text.
 */
int lede_snippet_render(char **out, size_t *len_out, const char *text, size_t len,
                        const lede_fragment *f, const lede_render_options *opts,
                        lede_snippet_range *match_out);

/**
 * Make any string safe for a terminal or for JSON, with the same rules as
 * lede_snippet_render (titles, ids, paths).  *out owned by the caller (free()).
 */
int lede_text_sanitize(char **out, size_t *len_out, const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* LEDE_SNIPPET_H */
