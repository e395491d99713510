/* The tokenizer: word boundaries, apostrophes, hyphens, abbreviations,
 * numbers, scripts without spaces, flags, offsets. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <lede.h>
#include <stdio.h>
#include <string.h>

#include "fuzz/fuzz_tokenize.h"

static lede_analyzer *an;

static void setup(void)
{
    cr_assert_eq(lede_analyzer_new(&an, "none"), LEDE_OK);
}

static void teardown(void)
{
    lede_analyzer_free(an);
}

TestSuite(tokenize, .init = setup, .fini = teardown);

typedef struct render {
    char buf[4096];
    size_t len;
    int with_flags;
} render;

static void flag_letters(uint32_t f, char *out)
{
    size_t o = 0;
    if (f & LEDE_TOKEN_CAPITALIZED)
        out[o++] = 'C';
    if (f & LEDE_TOKEN_ALLCAPS)
        out[o++] = 'A';
    if (f & LEDE_TOKEN_SENTENCE_START)
        out[o++] = 'S';
    if (f & LEDE_TOKEN_POSSESSIVE)
        out[o++] = 'P';
    if (f & LEDE_TOKEN_NUMERIC)
        out[o++] = 'N';
    if (f & LEDE_TOKEN_CJK)
        out[o++] = 'K';
    if (f & LEDE_TOKEN_JOINED)
        out[o++] = 'J';
    out[o] = '\0';
}

static int render_token(const lede_token *t, void *payload)
{
    render *r = payload;
    char flags[16] = "";
    if (r->with_flags)
        flag_letters(t->flags, flags);
    int n = snprintf(r->buf + r->len, sizeof(r->buf) - r->len, "%s%.*s%s%s", r->len ? " " : "",
                     (int)t->word_len, t->word, flags[0] ? ":" : "", flags);
    if (n > 0 && (size_t)n < sizeof(r->buf) - r->len)
        r->len += (size_t)n;
    return 0;
}

typedef struct tcase {
    const char *text;
    const char *want;
} tcase;

static void run_cases(const tcase *cases, size_t n, int with_flags)
{
    for (size_t i = 0; i < n; i++) {
        render r = {.len = 0, .with_flags = with_flags};
        r.buf[0] = '\0';
        cr_assert_eq(lede_analyze(an, cases[i].text, strlen(cases[i].text), 0, render_token, &r,
                                  NULL),
                     LEDE_OK);
        cr_expect_str_eq(r.buf, cases[i].want, "case %zu: %s", i, cases[i].text);
    }
}

#define RUN(cases, flags) run_cases(cases, sizeof(cases) / sizeof(cases[0]), flags)

Test(tokenize, splits_on_unicode_categories_and_folds)
{
    static const tcase cases[] = {
        {"Pyŏngyang, Zürich; ＫＯＲＥＡ", "pyongyang zurich korea"},
        {"Zu\xcc\x88rich", "zurich"}, /* decomposed u + combining diaeresis */
        {"Straße ﬁnal", "strasse final"},
        {"ΣΊΣΥΦΟΣ", "σισυφοσ"},
        {"한국어 сегодня", "한국어 сегодня"},
        {"Ελλάδα—Россия", "ελλαδα россия"},
        {"  \t\n ", ""},
        {"a+b=c", "a b c"},
        {"x\xc2\xa0y", "x y"}, /* no-break space separates */
    };
    RUN(cases, 0);
}

Test(tokenize, drops_possessive_and_keeps_other_apostrophes)
{
    static const tcase cases[] = {
        {"China’s Japan's", "china:CSP japan:CP"},
        {"don’t don't donʼt don‘t", "don't:S don't don't don't"},
        {"O’Brien rock 'n' roll", "o'brien:CS rock n roll"},
        {"workers' union", "workers:S union"},
        {"'quoted'", "quoted:S"},
        {"it's", "it:SP"},
        {"James’s book", "james:CSP book"},
    };
    RUN(cases, 1);
}

Test(tokenize, splits_hyphens_and_slashes_into_consecutive_positions)
{
    static const tcase cases[] = {
        {"Choe Son-hui", "choe:CS son:C hui:J"},
        {"power-driven and/or", "power:S driven:J and or:J"},
        {"state‐run", "state:S run:J"},      /* U+2010 hyphen */
        {"a - b", "a:S b"},                   /* a spaced dash joins nothing */
        {"1990-2000", "1990:SN 2000:NJ"},
    };
    RUN(cases, 1);
}

Test(tokenize, joins_abbreviations_and_keeps_numbers_whole)
{
    static const tcase cases[] = {
        {"U.S. U.N. e.g. U.S.A.", "us un eg usa"},
        {"the U.S.", "the us"},
        {"3.5 80th 2025 5.93", "3.5 80th 2025 5.93"},
        {"155,221 bags", "155221 bags"},
        {"1,2 and 12,3456", "1 2 and 12 3456"},
        {"version 1.2.3.", "version 1.2.3"},
        {"end. Next", "end next"},
        {"A.B", "ab"},
        {"Plan B. Then", "plan b then"},
    };
    RUN(cases, 0);
}

Test(tokenize, makes_bigrams_for_scripts_without_spaces)
{
    static const tcase cases[] = {
        {"東京都", "東京:SK 京都:K"},
        {"日", "日:SK"},
        {"東京2025年", "東京:SK 2025:N 年:K"},
        {"北京 and 上海", "北京:SK and 上海:K"},
        {"ภาษาไทย", "ภา:SK าษ:K ษา:K าไ:K ไท:K ทย:K"},
        {"カタカナ", "カタ:SK タカ:K カナ:K"},
    };
    RUN(cases, 1);
}

Test(tokenize, sets_case_and_sentence_flags)
{
    static const tcase cases[] = {
        {"NATO met Kim", "nato:CAS met kim:C"},
        {"Hello world. Next one! Again? yes", "hello:CS world next:CS one again:CS yes:S"},
        {"Dr. Kim and George W. Bush", "dr:CS kim:C and george:C w:C bush:C"},
        {"Title line\n\nBody text", "title:CS line body:CS text"},
        {"wrapped\nline", "wrapped:S line"},
        {"I am", "i:CS am"},
        {"McDONALD", "mcdonald:CS"},
    };
    RUN(cases, 1);
}

/* Positions and offsets as "word@pos[start,end)". */
typedef struct spans {
    uint32_t pos[64], start[64], end[64];
    char word[64][LEDE_TERM_MAX + 1];
    size_t n;
} spans;

static int collect(const lede_token *t, void *payload)
{
    spans *s = payload;
    if (s->n < 64) {
        s->pos[s->n] = t->pos;
        s->start[s->n] = t->start;
        s->end[s->n] = t->end;
        memcpy(s->word[s->n], t->word, t->word_len);
        s->word[s->n][t->word_len] = '\0';
        s->n++;
    }
    return 0;
}

Test(tokenize, offsets_refold_to_the_token)
{
    static const char *const texts[] = {
        "Chinese Foreign Minister Wang Yi engages with Choe Son-hui in Beijing.",
        "China’s U.S. 3.5 80th 155,221 don’t Pyŏngyang ＫＯＲＥＡ",
        "東京都に行く ภาษาไทย mixed東京text",
        "bad\xff bytes\xc0\xaf here\xed\xa0\x80 too",
        "Zu\xcc\x88rich \xcc\x88lone mark",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        spans s = {.n = 0};
        size_t len = strlen(texts[i]);
        cr_assert_eq(lede_analyze(an, texts[i], len, 7, collect, &s, NULL), LEDE_OK);
        cr_assert_gt(s.n, 0);
        for (size_t k = 0; k < s.n; k++) {
            cr_expect_eq(s.pos[k], 7 + k, "text %zu token %zu", i, k);
            cr_expect_lt(s.start[k], s.end[k]);
            cr_expect_leq(s.end[k], len);
            /* Re-analysing the slice alone gives exactly this word. */
            spans again = {.n = 0};
            cr_assert_eq(lede_analyze(an, texts[i] + s.start[k], s.end[k] - s.start[k], 0, collect,
                                      &again, NULL),
                         LEDE_OK);
            cr_expect_eq(again.n, 1, "text %zu token %zu (%s)", i, k, s.word[k]);
            if (again.n >= 1)
                cr_expect_str_eq(again.word[0], s.word[k], "text %zu token %zu", i, k);
        }
    }
}

Test(tokenize, counts_invalid_bytes_as_separators)
{
    static const struct {
        const char *text;
        size_t len;
        const char *want;
        size_t invalid;
    } cases[] = {
        {"ab\xff" "cd", 5, "ab cd", 1},
        {"ab\0cd", 5, "ab cd", 1},
        {"ab\xc0\xaf" "cd", 6, "ab cd", 2},         /* overlong "/" */
        {"ab\xed\xa0\x80" "cd", 7, "ab cd", 3},     /* surrogate */
        {"ab\xe4\xb8", 4, "ab", 2},                 /* truncated at the end */
        {"\x80\x80\x80", 3, "", 3},
        {"a\xf4\x90\x80\x80" "b", 6, "a b", 4},     /* above U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        render r = {.len = 0, .with_flags = 0};
        lede_analyze_stats st = {0};
        r.buf[0] = '\0';
        cr_assert_eq(lede_analyze(an, cases[i].text, cases[i].len, 0, render_token, &r, &st),
                     LEDE_OK);
        cr_expect_str_eq(r.buf, cases[i].want, "case %zu", i);
        cr_expect_eq(st.invalid_bytes, cases[i].invalid, "case %zu", i);
    }
}

Test(tokenize, cuts_long_words_on_a_code_point_boundary)
{
    char text[600];
    size_t o = 0;
    for (int i = 0; i < 200; i++) { /* 200 × "é" = 400 bytes, folds to 200 × "e" */
        text[o++] = 'a';
        text[o++] = '\xc3';
        text[o++] = '\xa9';
    }
    spans s = {.n = 0};
    cr_assert_eq(lede_analyze(an, text, o, 0, collect, &s, NULL), LEDE_OK);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(strlen(s.word[0]), LEDE_TERM_MAX);
    cr_expect_eq(s.end[0], o);

    o = 0;
    for (int i = 0; i < 100; i++) { /* 100 × "д" (2 bytes each, stays 2 bytes) + "x" */
        text[o++] = '\xd0';
        text[o++] = '\xb4';
    }
    s.n = 0;
    cr_assert_eq(lede_analyze(an, text, o, 0, collect, &s, NULL), LEDE_OK);
    cr_assert_eq(s.n, 1);
    cr_expect_eq(strlen(s.word[0]), LEDE_TERM_MAX);
}

/* Every seed of the tokenizer fuzz target keeps the offset invariants
 * (the same entry function libFuzzer runs; see tests/fuzz/fuzz_tokenize.h). */
Test(tokenize, fuzz_seeds_keep_offset_invariants)
{
    const char *root = getenv("LEDE_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/tokenize", root ? root : ".");
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "no seed corpus %s", dir);
    size_t ran = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        cr_assert_not_null(f, "%s", path);
        static uint8_t buf[1 << 20];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        cr_expect_eq(lede_fuzz_tokenize(buf, n), 0, "%s", path);
        ran++;
    }
    closedir(d);
    cr_expect_geq(ran, 8);
}
