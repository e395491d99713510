/*
 * analyzer.c — the analyzer: tokenizer + stemmer + entity spotter behind the
 * public lede_analyze* API.
 *
 * Owns: struct lede_analyzer and the stop word list.  It must not decide
 * word boundaries (lib/tokenize.c), folding (lib/fold.c), stems
 * (lib/stem.c) or names (lib/entities.c); it wires them together so that
 * documents and queries go through one code path.
 *
 * An analyzer is used by one thread at a time; everything mutable (stem
 * cache, entity working memory) lives in it, nothing in globals.
 */
#include "common.h"

#include "analyzer.h"
#include "entities.h"
#include "stem.h"
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

struct lede_analyzer {
    lede_stemmer *stemmer;
    lede_ent_spotter spotter;
};

typedef struct relay {
    lede_analyzer *a;
    lede_token_fn fn;
    void *payload;
    int spot; /* remember tokens for the entity spotter */
    int stem; /* stem for fn: fn is set and the analyzer's language stems */
    size_t count, stop_at; /* for stop_at */
    uint32_t base; /* byte offset of the piece analysed in the whole text */
} relay;

int lede_analyzer_new(lede_analyzer **out, const char *language)
{
    int rc = LEDE_OK;
    lede_analyzer *a = NULL;

    *out = NULL;
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    rc = lede_stem_new(&a->stemmer, language);
    if (rc != LEDE_OK)
        goto cleanup;
    *out = a;
    a = NULL;
cleanup:
    lede_analyzer_free(a);
    return rc;
}

void lede_analyzer_free(lede_analyzer *a)
{
    if (a == NULL)
        return;
    lede_stem_free(a->stemmer);
    lede_entities_release(&a->spotter);
    free(a);
}

void lede_analyzer_warm(lede_analyzer *a)
{
    lede_stem_warm(a->stemmer);
}

void lede_analyzer_stem_counters(const lede_analyzer *a, size_t *hits, size_t *misses)
{
    lede_stem_counters(a->stemmer, hits, misses);
}

/* The streaming path: each token goes to the spotter, the stemmer and fn
 * as the tokenizer finds it. */
static int relay_token(lede_token *tok, unsigned sep, void *payload)
{
    relay *r = payload;
    /* Numbers and CJK bigrams are not words a stemmer knows. */
    int stem = r->stem && !(tok->flags & (LEDE_TOKEN_NUMERIC | LEDE_TOKEN_CJK));
    if (stem || r->spot) {
        /* One hash per token serves both the stem cache and the spotter. */
        uint64_t h = lede_term_hash_padded(tok->word, tok->word_len);
        if (r->spot)
            lede_entities_add(&r->a->spotter, tok, sep, h);
        if (stem)
            lede_stem_word_hashed(r->a->stemmer, tok->word, tok->word_len, h, &tok->stem,
                                  &tok->stem_len);
    }
    tok->start += r->base;
    tok->end += r->base;
    return r->fn != NULL ? r->fn(tok, r->payload) : 0;
}

/* The first pass of the batch path: remember the token (the spotter's
 * token list is the batch). */
static int collect_token(lede_token *tok, unsigned sep, void *payload)
{
    lede_ent_spotter *sp = payload;
    /* The tokenizer's word buffer has the slack the padded hash reads. */
    lede_entities_add(sp, tok, sep, lede_term_hash_padded(tok->word, tok->word_len));
    return 0;
}

/* Stops the tokenizer at its r->stop_at'th token (see lede_analyze_doc). */
static int stop_at(lede_token *tok, unsigned sep, void *payload)
{
    relay *r = payload;
    (void)tok;
    (void)sep;
    return ++r->count == r->stop_at ? 1 : 0;
}

int lede_analyze(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                 lede_token_fn fn, void *payload, lede_analyze_stats *stats)
{
    return lede_analyze_doc(a, text, len, first_pos, fn, payload, stats, NULL);
}

/* How many tokens ahead the batch path prefetches stem cache lines. */
#define STEM_AHEAD 8

/*
 * Two paths give the same tokens, in the same order, to fn:
 *
 *  - streaming (no stemming): each token goes on as the tokenizer finds it;
 *  - batch (stemming): the tokenizer first fills the spotter's token list
 *    with the whole text, then a second loop stems each token and hands it
 *    to fn.  Stemming a word means reading its stem cache line, which is
 *    usually not in the CPU cache (32,768 words in 512 KiB); in a batch the
 *    line of the token STEM_AHEAD places ahead is prefetched, so the wait
 *    overlaps with work instead of stalling every token.  The list is the
 *    one the spotter needs anyway, so the batch costs no extra copy when
 *    entities are spotted.
 *
 * If fn stops the batch early, the counters are recomputed by tokenizing
 * again up to that token, so *stats is what streaming would have given;
 * if the list cannot grow, the streaming path runs instead.
 */
static int analyze_piece(lede_analyzer *a, const char *text, size_t len, uint32_t base,
                         uint32_t first_pos, lede_token_fn fn, void *payload,
                         lede_analyze_stats *stats, lede_entity_list *entities)
{
    int rc = 0;
    relay r = {a, fn, payload, entities != NULL, fn != NULL && lede_stem_active(a->stemmer), 0, 0,
               base};
    lede_ent_spotter *sp = &a->spotter;
    lede_analyze_stats before = {0, 0, 0};

    if (r.stem) {
        if (stats != NULL)
            before = *stats;
        lede_entities_reset(sp);
        lede_tokenize(text, len, first_pos, collect_token, sp, stats);
        if (sp->oom) {
            if (stats != NULL)
                *stats = before;
            goto streaming;
        }
        const lede_ent_tok *t = sp->toks;
        size_t n = sp->n, k;
        const char *lines;
        uint64_t mask;
        lede_stem_cache_lines(a->stemmer, &lines, &mask);
        for (k = 0; k < LEDE_MIN(n, (size_t)STEM_AHEAD); k++)
            lede_stem_prefetch_line(lines, mask, t[k].hash);
        for (k = 0; k < n; k++) {
            if (k + STEM_AHEAD < n)
                lede_stem_prefetch_line(lines, mask, t[k + STEM_AHEAD].hash);
            lede_token tok;
            tok.word = sp->arena + t[k].woff;
            tok.word_len = t[k].wlen;
            tok.stem = tok.word;
            tok.stem_len = tok.word_len;
            tok.pos = t[k].pos;
            tok.start = t[k].start + base;
            tok.end = t[k].end + base;
            tok.flags = t[k].flags;
            /* Numbers and CJK bigrams are not words a stemmer knows. */
            if (!(tok.flags & (LEDE_TOKEN_NUMERIC | LEDE_TOKEN_CJK)))
                lede_stem_word_hashed(a->stemmer, tok.word, tok.word_len, t[k].hash, &tok.stem,
                                      &tok.stem_len);
            if ((rc = fn(&tok, payload)) != 0)
                break;
        }
        if (rc != 0) {
            if (stats != NULL) {
                *stats = before;
                r.count = 0;
                r.stop_at = k + 1;
                lede_tokenize(text, len, first_pos, stop_at, &r, stats);
            }
            return rc;
        }
        goto spot;
    }
streaming:
    if (r.spot)
        lede_entities_reset(sp);
    rc = lede_tokenize(text, len, first_pos, relay_token, &r, stats);
    if (rc != 0)
        return rc;
spot:
    if (r.spot) {
        size_t from = entities->n;
        rc = lede_entities_finish(sp, entities);
        for (size_t i = from; i < entities->n; i++) {
            entities->items[i].start += base;
            entities->items[i].end += base;
        }
    }
    return rc;
}

/*
 * Where the piece of text[from, len) analysed next ends: the whole rest
 * when it is under LEDE_ANALYZE_PIECE bytes, else after the last blank line
 * of the piece's second half (where the tokenizer starts a sentence anyway,
 * so the tokens are those of the whole text), else after its last line
 * break, else after its last space, else at a UTF-8 character boundary.
 */
static size_t piece_end(const char *text, size_t len, size_t from)
{
    if (len - from <= LEDE_ANALYZE_PIECE)
        return len;
    size_t end = from + LEDE_ANALYZE_PIECE, half = from + LEDE_ANALYZE_PIECE / 2;
    for (size_t i = end; i > half; i--)
        if (text[i - 1] == '\n' && text[i - 2] == '\n')
            return i;
    for (size_t i = end; i > half; i--)
        if (text[i - 1] == '\n')
            return i;
    for (size_t i = end; i > half; i--)
        if (text[i - 1] == ' ')
            return i;
    while (end > half && ((unsigned char)text[end] & 0xC0) == 0x80)
        end--;
    return end;
}

/*
 * A text longer than LEDE_ANALYZE_PIECE (a log, a dump: no article is that
 * long) is analysed in pieces, one after another, positions and offsets
 * running on: the entity spotter remembers every token of what it
 * analyses (some 48 bytes a token), which made a 100 MB text take 1.9 GB.
 * Its document-wide evidence (a word also seen in lower case is no name)
 * is then the piece's.
 */
int lede_analyze_doc(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                     lede_token_fn fn, void *payload, lede_analyze_stats *stats,
                     lede_entity_list *entities)
{
    if (len > UINT32_MAX)
        return LEDE_EINVAL; /* offsets are 32-bit */
    if (len <= LEDE_ANALYZE_PIECE)
        return analyze_piece(a, text, len, 0, first_pos, fn, payload, stats, entities);
    lede_analyze_stats all = {0, 0, first_pos};
    int rc = 0;
    for (size_t from = 0; from < len && rc == 0;) {
        size_t end = piece_end(text, len, from);
        lede_analyze_stats st = {0, 0, all.next_pos};
        rc = analyze_piece(a, text + from, end - from, (uint32_t)from, all.next_pos, fn, payload,
                           &st, entities);
        all.tokens += st.tokens;
        all.invalid_bytes += st.invalid_bytes;
        all.next_pos = st.next_pos;
        from = end;
    }
    if (stats != NULL) {
        stats->tokens += all.tokens;
        stats->invalid_bytes += all.invalid_bytes;
        stats->next_pos = all.next_pos;
    }
    return rc;
}

int lede_entities_spot(lede_analyzer *a, const char *text, size_t len, uint32_t first_pos,
                       lede_entity_list *out)
{
    return lede_analyze_doc(a, text, len, first_pos, NULL, NULL, NULL, out);
}

/* The Snowball English stop word list (snowballstem.org, english/stop.txt),
 * sorted for binary search.  Apostrophes are ASCII, as the tokenizer
 * writes them. */
static const char *const stopwords[] = {
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
    "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below",
    "between", "both", "but", "by", "can't", "cannot", "could", "couldn't", "did",
    "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few",
    "for", "from", "further", "had", "hadn't", "has", "hasn't", "have", "haven't",
    "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself",
    "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if",
    "in", "into", "is", "isn't", "it", "it's", "its", "itself", "let's", "me", "more",
    "most", "mustn't", "my", "myself", "no", "nor", "not", "of", "off", "on", "once",
    "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own",
    "same", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so",
    "some", "such", "than", "that", "that's", "the", "their", "theirs", "them",
    "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll",
    "they're", "they've", "this", "those", "through", "to", "too", "under", "until", "up",
    "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "were", "weren't",
    "what", "what's", "when", "when's", "where", "where's", "which", "while", "who",
    "who's", "whom", "why", "why's", "with", "won't", "would", "wouldn't", "you", "you'd",
    "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves",
};

const char *const *lede_stopword_list(size_t *n)
{
    *n = ARRAY_SIZE(stopwords);
    return stopwords;
}

int lede_stopword(const char *word, size_t len)
{
    size_t lo = 0, hi = ARRAY_SIZE(stopwords);
    if (len == 0 || len > 10)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = stopwords[mid];
        int c = strncmp(s, word, len);
        if (c == 0 && s[len] != '\0')
            c = 1;
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
