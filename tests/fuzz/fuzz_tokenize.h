/*
 * fuzz_tokenize.h — fuzz entry for the analyzer (lede_analyze_doc).
 *
 * The input is any bytes.  They are analysed with stemming and entity
 * spotting, and these invariants must hold whatever the bytes are:
 *   - every token's [start, end) lies inside the input, start < end, and the
 *     range is valid UTF-8 (so both ends fall on code point boundaries);
 *   - positions start at first_pos and increase by exactly one;
 *   - the word is 1..LEDE_TERM_MAX bytes of valid UTF-8, the stem is not
 *     empty;
 *   - analysing text[start, end) on its own gives exactly one token with the
 *     same word (offsets "re-fold" to the token);
 *   - the stats agree with the tokens seen; invalid bytes never exceed the
 *     input size;
 *   - every entity covers a position range of tokens seen, lies inside the
 *     input, and has a non-empty NUL-terminated name.
 * The same function runs under libFuzzer (fuzz_tokenize.c) and on the seed
 * corpus tests/fuzz/corpus/tokenize/ in every build (tests/test_tokenize.c).
 */
#ifndef LEDE_FUZZ_TOKENIZE_H
#define LEDE_FUZZ_TOKENIZE_H

#include "fuzz_common.h"

#include <lede.h>

#define FUZZ_TOK_FIRST_POS 1000u

typedef struct fuzz_tok_state {
    const char *text;
    size_t len;
    uint32_t next_pos;
    size_t count;
    lede_analyzer *again; /* analyzer for the re-analysis of each slice */
} fuzz_tok_state;

typedef struct fuzz_tok_single {
    size_t count;
    char word[LEDE_TERM_MAX + 1];
    size_t word_len;
} fuzz_tok_single;

static int fuzz_tok_single_cb(const lede_token *t, void *payload)
{
    fuzz_tok_single *s = payload;
    if (s->count++ == 0) {
        memcpy(s->word, t->word, t->word_len);
        s->word_len = t->word_len;
    }
    return 0;
}

static int fuzz_tok_check(const lede_token *t, void *payload)
{
    fuzz_tok_state *st = payload;
    FUZZ_CHECK(t->pos == st->next_pos);
    FUZZ_CHECK(t->start < t->end);
    FUZZ_CHECK(t->end <= st->len);
    FUZZ_CHECK(fuzz_utf8_ok(st->text + t->start, t->end - t->start));
    FUZZ_CHECK(t->word_len >= 1 && t->word_len <= LEDE_TERM_MAX);
    FUZZ_CHECK(fuzz_utf8_ok(t->word, t->word_len));
    FUZZ_CHECK(t->stem_len >= 1);

    /* The slice alone gives the same single word.  The slice is copied to
     * an exact-size block so a read past its end is caught. */
    fuzz_tok_single one = {0};
    char *slice = fuzz_copy((const uint8_t *)st->text + t->start, t->end - t->start);
    FUZZ_CHECK(lede_analyze(st->again, slice, t->end - t->start, 0, fuzz_tok_single_cb, &one,
                            NULL) == LEDE_OK);
    free(slice);
    FUZZ_CHECK(one.count == 1);
    FUZZ_CHECK(one.word_len == t->word_len && memcmp(one.word, t->word, t->word_len) == 0);

    st->next_pos++;
    st->count++;
    return 0;
}

static int lede_fuzz_tokenize(const uint8_t *data, size_t size)
{
    /* Analyzers are made once and reused, as the indexer reuses one per
     * thread: reuse across documents is part of what is tested. */
    static lede_analyzer *english, *none;
    lede_entity_list ents = {0};
    lede_analyze_stats stats = {0};
    char *text = fuzz_copy(data, size);

    if (english == NULL)
        FUZZ_CHECK(lede_analyzer_new(&english, "english") == LEDE_OK);
    if (none == NULL)
        FUZZ_CHECK(lede_analyzer_new(&none, "none") == LEDE_OK);
    lede_analyzer *a = (size > 0 && (data[0] & 1)) ? english : none;
    lede_analyzer *again = none;
    fuzz_tok_state st = {text, size, FUZZ_TOK_FIRST_POS, 0, again};
    FUZZ_CHECK(lede_analyze_doc(a, text, size, FUZZ_TOK_FIRST_POS, fuzz_tok_check, &st, &stats,
                                &ents) == LEDE_OK);
    FUZZ_CHECK(stats.tokens == st.count);
    FUZZ_CHECK(stats.next_pos == st.next_pos);
    FUZZ_CHECK(stats.invalid_bytes <= size);
    for (size_t i = 0; i < ents.n; i++) {
        const lede_entity *e = &ents.items[i];
        FUZZ_CHECK(e->name != NULL && e->name_len > 0 && strlen(e->name) == e->name_len);
        FUZZ_CHECK(e->first_pos >= FUZZ_TOK_FIRST_POS && e->first_pos <= e->last_pos);
        FUZZ_CHECK(e->last_pos < st.next_pos);
        FUZZ_CHECK(e->start < e->end && e->end <= size);
    }
    lede_entity_list_clear(&ents);
    free(text);
    return 0;
}

#endif /* LEDE_FUZZ_TOKENIZE_H */
