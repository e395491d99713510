/* The analyzer as a whole: words and stems, languages, stop words,
 * analysis and entities in one pass. */
#include <criterion/criterion.h>
#include <lede.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Render the tokens of text as "word/stem@pos ..." for comparison. */
typedef struct render {
    char buf[4096];
    size_t len;
} render;

static int render_token(const lede_token *t, void *payload)
{
    render *r = payload;
    int n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s%.*s/%.*s@%u",
                     r->len ? " " : "", (int)t->word_len, t->word, (int)t->stem_len, t->stem,
                     t->pos);
    if (n > 0)
        r->len += (size_t)n;
    return 0;
}

static void analyze_to(const char *lang, const char *text, uint32_t first_pos, render *r)
{
    lede_analyzer *a = NULL;
    cr_assert_eq(lede_analyzer_new(&a, lang), LEDE_OK);
    r->len = 0;
    r->buf[0] = '\0';
    cr_assert_eq(lede_analyze(a, text, strlen(text), first_pos, render_token, r, NULL), LEDE_OK);
    lede_analyzer_free(a);
}

Test(analyzer, stems_words_and_keeps_the_folded_form)
{
    static const struct {
        const char *lang, *text, *want;
    } cases[] = {
        {NULL, "Elected officials", "elected/elect@0 officials/offici@1"},
        {"english", "Running runners ran", "running/run@0 runners/runner@1 ran/ran@2"},
        {"none", "Running runners", "running/running@0 runners/runners@1"},
        {"english", "Eugene eugenics", "eugene/eugen@0 eugenics/eugen@1"},
        {"english", "in 2025 the 80th", "in/in@0 2025/2025@1 the/the@2 80th/80th@3"},
        {"french", "continuation", "continuation/continu@0"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        render r;
        analyze_to(cases[i].lang, cases[i].text, 0, &r);
        cr_expect_str_eq(r.buf, cases[i].want, "case %zu", i);
    }
}

Test(analyzer, numbers_positions_from_first_pos)
{
    render r;
    analyze_to(NULL, "Korea talks", 100, &r);
    cr_expect_str_eq(r.buf, "korea/korea@100 talks/talk@101");
}

Test(analyzer, rejects_unknown_language)
{
    lede_analyzer *a = (lede_analyzer *)1;
    cr_expect_eq(lede_analyzer_new(&a, "klingon"), LEDE_ENOTFOUND);
    cr_expect_null(a);
    lede_analyzer_free(NULL);
}

Test(analyzer, lists_libstemmer_languages)
{
    const char *const *langs = lede_stem_languages();
    int english = 0, n = 0;
    for (; langs[n] != NULL; n++)
        english |= strcmp(langs[n], "english") == 0;
    cr_expect(english);
    cr_expect_gt(n, 10);
}

Test(analyzer, knows_english_stop_words)
{
    static const struct {
        const char *word;
        int stop;
    } cases[] = {
        {"the", 1}, {"a", 1}, {"of", 1}, {"don't", 1}, {"yourselves", 1}, {"during", 1},
        {"who", 1}, {"korea", 0}, {"th", 0}, {"", 0}, {"thee", 0}, {"zzz", 0}, {"aa", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_expect_eq(lede_stopword(cases[i].word, strlen(cases[i].word)) != 0, cases[i].stop,
                     "%s", cases[i].word);
}

static int count_token(const lede_token *t, void *payload)
{
    (void)t;
    (*(size_t *)payload)++;
    return 0;
}

static int stop_after_two(const lede_token *t, void *payload)
{
    (void)payload;
    return t->pos == 1 ? 42 : 0;
}

Test(analyzer, analyze_doc_gives_tokens_and_entities_in_one_pass)
{
    const char *text = "Yesterday Kim Jong Un met Vladimir Putin in Moscow.";
    lede_analyzer *a = NULL;
    lede_entity_list ents = {0};
    lede_analyze_stats st = {0};
    size_t n = 0;
    cr_assert_eq(lede_analyzer_new(&a, NULL), LEDE_OK);
    cr_assert_eq(lede_analyze_doc(a, text, strlen(text), 0, count_token, &n, &st, &ents), LEDE_OK);
    cr_expect_eq(n, 9);
    cr_expect_eq(st.tokens, 9);
    cr_expect_eq(st.next_pos, 9);
    cr_assert_eq(ents.n, 3);
    cr_expect_str_eq(ents.items[0].name, "kim jong un");
    cr_expect_eq(ents.items[0].first_pos, 1);
    cr_expect_eq(ents.items[0].last_pos, 3);
    cr_expect_str_eq(ents.items[1].name, "vladimir putin");
    cr_expect_str_eq(ents.items[2].name, "moscow");
    lede_entity_list_clear(&ents);
    cr_expect_eq(ents.n, 0);
    cr_expect_eq(lede_analyze(a, text, strlen(text), 0, stop_after_two, NULL, NULL), 42);
    lede_analyzer_free(a);
}

/* A token as analysis gives it, for comparing two analyses. */
typedef struct tokrec {
    char word[24], stem[24];
    uint32_t pos, start, end;
} tokrec;

typedef struct toklist {
    tokrec *v;
    size_t n, cap;
    uint32_t shift; /* added to the offsets (a paragraph analysed alone) */
} toklist;

static int keep_token(const lede_token *t, void *payload)
{
    toklist *l = payload;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        cr_assert_not_null(l->v);
    }
    tokrec *r = &l->v[l->n++];
    snprintf(r->word, sizeof r->word, "%.*s", (int)t->word_len, t->word);
    snprintf(r->stem, sizeof r->stem, "%.*s", (int)t->stem_len, t->stem);
    r->pos = t->pos;
    r->start = t->start + l->shift;
    r->end = t->end + l->shift;
    return 0;
}

/* A text of over 2 MiB is analysed in pieces (cut after blank lines, else
 * spaces): the tokens are those of its paragraphs analysed one by one,
 * positions and byte offsets running on, and the names of every piece are
 * found, their offsets in the whole text. */
Test(analyzer, a_long_text_is_analysed_in_pieces_with_the_same_tokens)
{
    static const char para[] = "Yesterday Kim Jong Un met Vladimir Putin in Moscow; the "
                               "talks ran long, officials said.\n\n";
    const size_t plen = sizeof para - 1, nparas = (5u << 20) / plen;
    for (int spaces = 0; spaces < 2; spaces++) {
        size_t len = nparas * plen;
        char *text = malloc(len + 1);
        cr_assert_not_null(text);
        for (size_t i = 0; i < nparas; i++)
            memcpy(text + i * plen, para, plen);
        if (spaces) /* no line break at all: the cuts fall after spaces */
            for (size_t i = 0; i < len; i++)
                if (text[i] == '\n')
                    text[i] = ' ';
        text[len] = '\0';
        lede_analyzer *a = NULL;
        cr_assert_eq(lede_analyzer_new(&a, NULL), LEDE_OK);
        toklist whole = {0}, parts = {0};
        lede_entity_list ents = {0};
        lede_analyze_stats st = {0};
        cr_assert_eq(lede_analyze_doc(a, text, len, 7, keep_token, &whole, &st, &ents), LEDE_OK);
        lede_analyze_stats pst = {0, 0, 7};
        for (size_t i = 0; i < nparas; i++) {
            parts.shift = (uint32_t)(i * plen);
            cr_assert_eq(lede_analyze(a, text + i * plen, plen, pst.next_pos, keep_token, &parts,
                                      &pst),
                         LEDE_OK);
        }
        cr_assert_eq(whole.n, parts.n, "spaces %d", spaces);
        cr_expect_eq(st.tokens, whole.n);
        cr_expect_eq(st.next_pos, 7 + whole.n);
        /* One assertion for the lot: Criterion reports every assertion to
         * its runner, and a million of them made the sanitizer build crawl. */
        size_t k = 0;
        for (; k < whole.n; k++) {
            const tokrec *x = &whole.v[k], *y = &parts.v[k];
            if (strcmp(x->word, y->word) != 0 || strcmp(x->stem, y->stem) != 0 ||
                x->pos != y->pos || x->start != y->start || x->end != y->end)
                break;
        }
        if (k < whole.n)
            cr_assert_fail("token %zu: %s/%s@%u [%u,%u) against %s/%s@%u [%u,%u)", k, whole.v[k].word,
                    whole.v[k].stem, whole.v[k].pos, whole.v[k].start, whole.v[k].end,
                    parts.v[k].word, parts.v[k].stem, parts.v[k].pos, parts.v[k].start,
                    parts.v[k].end);
        size_t kims = 0, misplaced = 0;
        uint32_t last = 0;
        for (size_t i = 0; i < ents.n; i++) {
            const lede_entity *e = &ents.items[i];
            if (strcmp(e->name, "kim jong un") != 0)
                continue;
            kims++;
            misplaced += e->end > len || memcmp(text + e->start, "Kim Jong Un", 11) != 0;
            last = e->start;
        }
        cr_expect_eq(misplaced, 0, "names whose offsets miss their text");
        cr_expect_eq(kims, nparas, "spaces %d", spaces);
        cr_expect_gt(last, 4u << 20);
        lede_entity_list_clear(&ents);
        lede_analyzer_free(a);
        free(whole.v);
        free(parts.v);
        free(text);
    }
}

Test(analyzer, stopping_early_counts_only_what_was_seen)
{
    /* fn stops at the second token: the counters cover the text up to it,
     * with or without stemming and entities (the stemming path tokenizes a
     * whole text before it calls fn, so it must recount). */
    static const struct {
        const char *lang;
        int entities;
    } cases[] = {{"english", 0}, {"english", 1}, {"none", 0}, {"none", 1}};
    const char text[] = "Kim \xff Jong \xfe\xfd Un met \xff Putin";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        lede_analyzer *a = NULL;
        lede_entity_list ents = {0};
        lede_analyze_stats st = {5, 7, 0}; /* counters add up */
        cr_assert_eq(lede_analyzer_new(&a, cases[i].lang), LEDE_OK);
        cr_expect_eq(lede_analyze_doc(a, text, sizeof(text) - 1, 0, stop_after_two, NULL, &st,
                                      cases[i].entities ? &ents : NULL),
                     42, "case %zu", i);
        cr_expect_eq(st.tokens, 5 + 2, "case %zu", i);
        cr_expect_eq(st.invalid_bytes, 7 + 1, "case %zu", i);
        cr_expect_eq(st.next_pos, 2, "case %zu", i);
        lede_entity_list_clear(&ents);
        lede_analyzer_free(a);
    }
}

/*
 * The analysis of the bundled corpus, summed up in one digest: every token
 * (word, stem, position, byte offsets, flags) and every entity of the seed
 * article and the 80 Wikinews articles, in file name order.  Any change to
 * what the analyzer produces changes the digest; an optimisation must not.
 * When a change of the rules is intended, the test prints the new digest
 * and counts to record here (and bench_analyze --dump shows the difference
 * token by token).
 */
/* Recorded from the analyzer as of da271f5 (before the throughput work). */
#define DIGEST_TOKENS 30408
#define DIGEST_ENTITIES 2970
#define DIGEST_HASH 0x024c854f967ce6d4ull

typedef struct digest {
    uint64_t h;
    size_t tokens;
} digest;

static void digest_bytes(digest *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d->h = (d->h ^ (uint8_t)s[i]) * 1099511628211ull;
}

static int digest_token(const lede_token *t, void *payload)
{
    digest *d = payload;
    char line[512];
    int n = snprintf(line, sizeof(line), "%.*s\t%.*s\t%u\t%u\t%u\t%x\n", (int)t->word_len,
                     t->word, (int)t->stem_len, t->stem, t->pos, t->start, t->end, t->flags);
    digest_bytes(d, line, (size_t)n);
    d->tokens++;
    return 0;
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int digest_dir(lede_analyzer *a, const char *dir, digest *d, size_t *entities)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, name_order);
    int files = 0;
    cr_assert_geq(n, 0, "cannot list %s", dir);
    for (int i = 0; i < n; i++) {
        char path[4096];
        size_t len = strlen(names[i]->d_name);
        if (len < 4 || strcmp(names[i]->d_name + len - 4, ".txt") != 0) {
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        free(names[i]);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        static char text[1 << 20];
        size_t tlen = fread(text, 1, sizeof(text), f);
        fclose(f);
        lede_entity_list ents = {0};
        lede_analyze_stats st = {0};
        cr_assert_eq(lede_analyze_doc(a, text, tlen, (uint32_t)files * 10, digest_token, d, &st,
                                      &ents),
                     LEDE_OK);
        char line[512];
        int m = snprintf(line, sizeof(line), "S %zu %zu %u\n", st.tokens, st.invalid_bytes,
                         st.next_pos);
        digest_bytes(d, line, (size_t)m);
        for (size_t e = 0; e < ents.n; e++) {
            m = snprintf(line, sizeof(line), "E %s\t%u\t%u\t%u\t%u\n", ents.items[e].name,
                         ents.items[e].first_pos, ents.items[e].last_pos, ents.items[e].start,
                         ents.items[e].end);
            digest_bytes(d, line, (size_t)m);
        }
        *entities += ents.n;
        lede_entity_list_clear(&ents);
        files++;
    }
    free(names);
    return files;
}

Test(analyzer, bundled_corpus_gives_the_recorded_tokens_and_entities)
{
    const char *src = getenv("LEDE_SOURCE_DIR") ? getenv("LEDE_SOURCE_DIR") : ".";
    char dir[4096];
    lede_analyzer *a = NULL;
    digest d = {1469598103934665603ull, 0};
    size_t entities = 0;
    int files = 0;
    cr_assert_eq(lede_analyzer_new(&a, "english"), LEDE_OK);
    snprintf(dir, sizeof(dir), "%s/corpus/seed", src);
    files += digest_dir(a, dir, &d, &entities);
    snprintf(dir, sizeof(dir), "%s/corpus/wikinews", src);
    files += digest_dir(a, dir, &d, &entities);
    lede_analyzer_free(a);
    cr_assert_eq(files, 81, "the seed article and 80 Wikinews articles");
    cr_expect(d.tokens == DIGEST_TOKENS && entities == DIGEST_ENTITIES && d.h == DIGEST_HASH,
              "analysis of corpus/ changed: %zu tokens, %zu entities, digest 0x%016llxull",
              d.tokens, entities, (unsigned long long)d.h);
}
