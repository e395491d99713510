/* Character classes and folding (lib/fold.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "common.h"
#include "fold.h"

Test(fold, folds_case_and_strips_diacritics)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Pyŏngyang", "pyongyang"},
        {"Zürich", "zurich"},
        {"Zu\xcc\x88rich", "zurich"},
        {"ＫＯＲＥＡ", "korea"},
        {"Straße", "strasse"},
        {"ﬁnance", "finance"},
        {"İstanbul", "istanbul"},
        {"ΣΊΣΥΦΟΣ", "σισυφοσ"},
        {"Ångström", "angstrom"},
        {"Łódź", "łodz"}, /* Ł has no decomposition: folded, not stripped */
        {"한국", "한국"},   /* Hangul stays composed */
        {"が", "か\xe3\x82\x99"}, /* kana keep their voicing mark (decomposed) */
        {"bad\xffzz", "badzz"},
        {"", ""},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        char out[64];
        size_t n = lede_fold_str(out, sizeof(out), cases[i].in, strlen(cases[i].in));
        cr_expect_str_eq(out, cases[i].want, "case %zu", i);
        cr_expect_eq(n, strlen(cases[i].want), "case %zu", i);
    }
}

Test(fold, truncates_on_a_code_point_boundary)
{
    char out[4];
    cr_expect_eq(lede_fold_str(out, sizeof(out), "ééé", strlen("ééé")), 3);
    cr_expect_str_eq(out, "eee");
    cr_expect_eq(lede_fold_str(out, sizeof(out), "ддд", strlen("ддд")), 2);
    cr_expect_str_eq(out, "д");
}

Test(fold, classifies_by_unicode_category)
{
    static const struct {
        int32_t cp;
        unsigned want; /* bits that must be set */
        unsigned not;  /* bits that must be clear */
    } cases[] = {
        {'a', LEDE_CH_WORD | LEDE_CH_LOWER, LEDE_CH_UPPER},
        {'Q', LEDE_CH_WORD | LEDE_CH_UPPER, LEDE_CH_LOWER},
        {'7', LEDE_CH_WORD | LEDE_CH_DIGIT, LEDE_CH_LETTER},
        {0x0663, LEDE_CH_WORD | LEDE_CH_DIGIT, 0},     /* Arabic-Indic three */
        {0x00C9, LEDE_CH_WORD | LEDE_CH_UPPER, 0},     /* É */
        {0x0308, LEDE_CH_WORD | LEDE_CH_MARK, 0},      /* combining diaeresis */
        {0x4E2D, LEDE_CH_WORD | LEDE_CH_NOSPACE, 0},   /* 中 */
        {0x0E20, LEDE_CH_WORD | LEDE_CH_NOSPACE, 0},   /* Thai */
        {0xD55C, LEDE_CH_WORD, LEDE_CH_NOSPACE},       /* 한: Korean uses spaces */
        {0x2019, LEDE_CH_APOS, LEDE_CH_WORD},
        {0x02BC, LEDE_CH_APOS, LEDE_CH_WORD},          /* a letter to Unicode, an apostrophe to us */
        {'-', LEDE_CH_JOIN, LEDE_CH_WORD},
        {0x2010, LEDE_CH_JOIN, LEDE_CH_WORD},
        {0x00A0, LEDE_CH_SPACE, LEDE_CH_WORD},
        {0x2029, LEDE_CH_NEWLINE, LEDE_CH_WORD},
        {0x3002, LEDE_CH_STOP, LEDE_CH_WORD},
        {0x201C, 0, LEDE_CH_WORD | LEDE_CH_SPACE},     /* “ is punctuation */
        {0x1F600, 0, LEDE_CH_WORD},                    /* emoji */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned c = lede_fold_class(cases[i].cp);
        cr_expect_eq(c & cases[i].want, cases[i].want, "case %zu (U+%04X)", i, cases[i].cp);
        cr_expect_eq(c & cases[i].not, 0, "case %zu (U+%04X)", i, cases[i].cp);
    }
}
