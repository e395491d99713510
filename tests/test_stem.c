/* Snowball stemming and its memo cache (lib/stem.c). */
#include <criterion/criterion.h>
#include <libstemmer.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "stem.h"

static void expect_stem(lede_stemmer *s, const char *w, const char *want)
{
    const char *out;
    size_t n;
    lede_stem_word(s, w, strlen(w), &out, &n);
    cr_expect_eq(n, strlen(want), "%s", w);
    cr_expect_eq(memcmp(out, want, n), 0, "%s → %.*s, want %s", w, (int)n, out, want);
}

Test(stem, stems_english_words)
{
    lede_stemmer *s = NULL;
    cr_assert_eq(lede_stem_new(&s, NULL), LEDE_OK);
    static const char *const cases[][2] = {
        {"running", "run"},     {"officials", "offici"}, {"eugenics", "eugen"},
        {"eugene", "eugen"},    {"korea", "korea"},      {"generously", "generous"},
        {"don't", "don't"},     {"manly", "man"},        {"", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        expect_stem(s, cases[i][0], cases[i][1]);
    lede_stem_free(s);
}

Test(stem, cache_returns_the_same_stems)
{
    lede_stemmer *s = NULL;
    size_t hits, misses;
    cr_assert_eq(lede_stem_new(&s, "english"), LEDE_OK);
    for (int round = 0; round < 3; round++) {
        expect_stem(s, "nationalization", "nation");
        expect_stem(s, "hopping", "hop");
        /* A long word is cached as an edit of itself too. */
        expect_stem(s, "internationalizationsinternationalization",
                    "internationalizationsinternation");
    }
    lede_stem_counters(s, &hits, &misses);
    cr_expect_eq(hits, 6);
    cr_expect_eq(misses, 3);
    lede_stem_free(s);
}

/* More distinct words than the cache holds, twice over: evictions must
 * never return a wrong stem (each is checked against libstemmer itself). */
Test(stem, cache_survives_evictions)
{
    lede_stemmer *cached = NULL;
    struct sb_stemmer *ref = sb_stemmer_new("english", "UTF_8");
    cr_assert_not_null(ref);
    cr_assert_eq(lede_stem_new(&cached, "english"), LEDE_OK);
    static const char *const suffixes[] = {"ing", "ness", "ations", "ly", "ies", "", "fulness"};
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 40000; i++) {
            char w[32], want[64];
            int n = snprintf(w, sizeof(w), "w%dx%s", i * 7919 % 40000, suffixes[i % 7]);
            const char *a;
            size_t alen;
            const sb_symbol *b = sb_stemmer_stem(ref, (const sb_symbol *)w, n);
            int blen = sb_stemmer_length(ref);
            memcpy(want, b, (size_t)blen);
            lede_stem_word(cached, w, (size_t)n, &a, &alen);
            cr_assert_eq(alen, (size_t)blen, "%s", w);
            cr_assert_eq(memcmp(a, want, alen), 0, "%s", w);
        }
    }
    size_t hits, misses;
    lede_stem_counters(cached, &hits, &misses);
    cr_expect_gt(hits, 0);
    cr_expect_gt(misses, 40000);
    lede_stem_free(cached);
    sb_stemmer_delete(ref);
}

Test(stem, none_and_other_languages)
{
    lede_stemmer *s = NULL;
    cr_assert_eq(lede_stem_new(&s, "none"), LEDE_OK);
    cr_expect(!lede_stem_active(s));
    expect_stem(s, "running", "running");
    lede_stem_free(s);

    cr_assert_eq(lede_stem_new(&s, "german"), LEDE_OK);
    expect_stem(s, "häuser", "haus");
    lede_stem_free(s);

    s = (lede_stemmer *)1;
    cr_expect_eq(lede_stem_new(&s, "no-such-language"), LEDE_ENOTFOUND);
    cr_expect_null(s);
    lede_stem_free(NULL);
}
