/* Named-entity spotting: names from capitalised runs, titles, possessives,
 * sentence starts, mostly-upper-case text, and the seed article. */
#include <criterion/criterion.h>
#include <lede.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lede_analyzer *an;

static void setup(void)
{
    cr_assert_eq(lede_analyzer_new(&an, NULL), LEDE_OK);
}

static void teardown(void)
{
    lede_analyzer_free(an);
}

/* Spot entities in text and render them as "name|name|...". */
static void spot(const char *text, char *out, size_t cap)
{
    lede_entity_list list = {0};
    size_t o = 0;
    out[0] = '\0';
    cr_assert_eq(lede_entities_spot(an, text, strlen(text), 0, &list), LEDE_OK);
    for (size_t i = 0; i < list.n; i++) {
        int n = snprintf(out + o, cap - o, "%s%s", i ? "|" : "", list.items[i].name);
        if (n > 0 && (size_t)n < cap - o)
            o += (size_t)n;
    }
    lede_entity_list_clear(&list);
}

static int has_entity(const lede_entity_list *list, const char *name)
{
    for (size_t i = 0; i < list->n; i++)
        if (strcmp(list->items[i].name, name) == 0)
            return 1;
    return 0;
}

TestSuite(entities, .init = setup, .fini = teardown);

Test(entities, spots_names_by_the_rules)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        /* Titles in front of a name are cut off. */
        {"Talks with Chinese Foreign Minister Wang Yi ended.", "wang yi"},
        {"He met Russian President Vladimir Putin today.", "vladimir putin"},
        {"A UN Secretary-General Antonio Guterres speech.", "antonio guterres"},
        /* A possessive ends the name. */
        {"After Kim Jong Un’s recent visit to China, talks resumed.", "kim jong un|china"},
        /* Connectors inside names, initials with dots. */
        {"A note from the Ministry of Foreign Affairs came.", "ministry of foreign affairs"},
        {"The speech by George W. Bush was short.", "george w bush"},
        {"He praised Ludwig van Beethoven loudly.", "ludwig van beethoven"},
        /* Punctuation separates names; "and" is no connector. */
        {"Talks between China and North Korea, Russia, began.", "china|north korea|russia"},
        /* Hyphens continue a name whatever the case. */
        {"Minister Choe Son-hui spoke.", "choe son hui"},
        /* Sentence starts: alone, not a name unless capitalised mid-sentence. */
        {"Meanwhile, rain fell. During the night it stopped.", ""},
        {"Beijing said no. Officials in Beijing agreed.", "beijing|beijing"},
        {"She said so. This was new.", ""},
        /* Openers and stop words are dropped from the front of a run. */
        {"Yesterday Kim Jong Un spoke.", "kim jong un"},
        {"The United States said so.", "united states"},
        /* Acronyms are names, even at a sentence start. */
        {"KCNA said the NATO summit ended.", "kcna|nato"},
        {"Officials in the U.S. agreed.", "us"},
        /* Mostly upper-case text carries no capitalisation signal. */
        {"BAHIA COCOA REVIEW SAYS NORTH KOREA AND CHINA MET", ""},
        /* A title alone is not a name. */
        {"He spoke as President today.", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char got[1024];
        spot(cases[i].text, got, sizeof(got));
        cr_expect_str_eq(got, cases[i].want, "case %zu: %s", i, cases[i].text);
    }
}

Test(entities, records_token_range_and_bytes)
{
    const char *text = "Talks with Chinese Foreign Minister Wang Yi ended.";
    lede_entity_list list = {0};
    cr_assert_eq(lede_entities_spot(an, text, strlen(text), 10, &list), LEDE_OK);
    cr_assert_eq(list.n, 1);
    cr_expect_eq(list.items[0].first_pos, 15);
    cr_expect_eq(list.items[0].last_pos, 16);
    cr_expect_eq(list.items[0].end - list.items[0].start, strlen("Wang Yi"));
    cr_expect_eq(memcmp(text + list.items[0].start, "Wang Yi", 7), 0);
    cr_expect_eq(list.items[0].name_len, strlen("wang yi"));
    lede_entity_list_clear(&list);
}

Test(entities, seed_article_has_the_expected_names)
{
    const char *dir = getenv("LEDE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/corpus/seed/wang-yi-choe-son-hui.txt", dir ? dir : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);

    lede_entity_list list = {0};
    cr_assert_eq(lede_entities_spot(an, text, len, 0, &list), LEDE_OK);
    static const char *const must[] = {
        "wang yi", "choe son hui", "kim jong un", "xi jinping", "vladimir putin",
        "north korea", "china", "beijing", "united states", "world war ii",
        "communist party of china", "korean central news agency",
    };
    static const char *const must_not[] = {"during", "meanwhile", "she", "this", "in", "the"};
    for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++)
        cr_expect(has_entity(&list, must[i]), "missing %s", must[i]);
    for (size_t i = 0; i < sizeof(must_not) / sizeof(must_not[0]); i++)
        cr_expect(!has_entity(&list, must_not[i]), "unexpected %s", must_not[i]);
    /* Every entity's byte range lies inside the text. */
    for (size_t i = 0; i < list.n; i++) {
        cr_expect_lt(list.items[i].start, list.items[i].end);
        cr_expect_leq(list.items[i].end, len);
        cr_expect_leq(list.items[i].first_pos, list.items[i].last_pos);
    }
    lede_entity_list_clear(&list);
}

Test(entities, reset_list_is_empty_and_reusable)
{
    /* Many names, so the names need more than one block, then a reset and a
     * second document: the list holds only the second document's names. */
    static const struct {
        const char *text;
        size_t n;
        const char *first;
    } docs[] = {
        {"Kim Jong Un met Vladimir Putin in Moscow.", 3, "kim jong un"},
        {"Talks with Chinese Foreign Minister Wang Yi ended.", 1, "wang yi"},
        {"", 0, NULL},
        {"Xi Jinping visited Beijing.", 2, "xi jinping"},
    };
    lede_entity_list list = {0};
    char big[64 * 1024];
    size_t o = 0;
    for (int i = 0; o + 64 < sizeof(big); i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "Zed%dname Q%dperson met. ", i, i);
    cr_assert_eq(lede_entities_spot(an, big, o, 0, &list), LEDE_OK);
    cr_assert_gt(list.n, 100);
    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        lede_entity_list_reset(&list);
        cr_expect_eq(list.n, 0);
        cr_assert_eq(lede_entities_spot(an, docs[d].text, strlen(docs[d].text), 0, &list),
                     LEDE_OK);
        cr_expect_eq(list.n, docs[d].n, "doc %zu", d);
        if (docs[d].first != NULL && list.n > 0)
            cr_expect_str_eq(list.items[0].name, docs[d].first, "doc %zu", d);
    }
    lede_entity_list_clear(&list);
    lede_entity_list_reset(&list); /* a cleared list can be reset too */
    cr_expect_eq(list.n, 0);
}
