/*
 * tokenize.h — splitting UTF-8 text into folded, unstemmed tokens
 * (lib/tokenize.c).  Internal to liblede; the public entry point is
 * lede_analyze (lib/analyzer.c), which adds stems.
 */
#ifndef LEDE_TOKENIZE_H
#define LEDE_TOKENIZE_H

#include "lede/analysis.h"

#include <stddef.h>
#include <stdint.h>

/* What separated a token from the one before it (bit set passed to the
 * callback); the entity spotter breaks names on these. */
enum {
    LEDE_SEP_PUNCT = 1 << 0,    /* punctuation, a symbol or invalid bytes */
    LEDE_SEP_SENTENCE = 1 << 1, /* a sentence boundary (or start of text) */
};

/*
 * Called for each token; tok->stem equals tok->word.  The token is the
 * tokenizer's scratch copy: the callback may change it (the analyzer sets
 * the stem in place rather than copying it).  A non-zero return stops
 * tokenization and is returned by lede_tokenize.
 */
typedef int (*lede_tokenize_fn)(lede_token *tok, unsigned sep, void *payload);

/*
 * Tokenize text[0..len), numbering positions from first_pos.  Adds to
 * stats->tokens and stats->invalid_bytes and sets stats->next_pos (stats
 * may be NULL).  Never allocates.
 */
int lede_tokenize(const char *text, size_t len, uint32_t first_pos, lede_tokenize_fn fn,
                  void *payload, lede_analyze_stats *stats);

#endif /* LEDE_TOKENIZE_H */
