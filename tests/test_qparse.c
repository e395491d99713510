/*
 * test_qparse.c — the query language: each query string and the tree it
 * parses to (written as an S-expression), and each syntax error with the
 * byte where the caret goes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "qparse.h"

static lede_analyzer *an;

static void setup(void)
{
    cr_assert_eq(lede_analyzer_new(&an, "english"), LEDE_OK);
}

static void teardown(void)
{
    lede_analyzer_free(an);
}

TestSuite(qparse, .init = setup, .fini = teardown);

typedef struct parse_case {
    const char *query;
    int all;
    const char *tree;
} parse_case;

static const parse_case parse_cases[] = {
    {"nuclear", 0, "stem:nuclear"},
    {"nuclear weapons", 0, "(stem:nuclear stem:weapon)"},
    {"nuclear weapons", 1, "(+stem:nuclear +stem:weapon)"},
    {"\"Eugene\"", 0, "word:eugene"},
    {"\"north korea\"", 0, "\"north korea\""},
    /* Typographic quotation marks, as pasted from a word processor or a phone. */
    {"\u201cnorth korea\u201d", 0, "\"north korea\""},
    {"\u201enorth korea\u201c talks", 0, "(\"north korea\" stem:talk)"},
    {"\u00abnorth korea\u00bb", 0, "\"north korea\""},
    {"\uff02north korea\uff02", 0, "\"north korea\""},
    {"\u201ckim jong\u201d~3", 0, "near\"kim jong\"/3"},
    {"-\u201cnorth korea\u201d talks", 0, "(stem:talk -\"north korea\")"},
    {"it\u2019s", 0, "stem:it"},
    {"\"kim jong\"~3", 0, "near\"kim jong\"/3"},
    {"+sanctions -oil talks", 0, "(+stem:sanction stem:talk -stem:oil)"},
    {"a AND b", 0, "(+stem:a +stem:b)"},
    {"nuclear OR atomic", 0, "(stem:nuclear stem:atom)"},
    {"x AND (y OR z)", 0, "(+stem:x +(stem:y stem:z))"},
    {"x NOT y", 0, "(stem:x -stem:y)"},
    {"nucl*", 0, "prefix:nucl"},
    {"kim NEAR/2 jong", 0, "near\"kim jong\"/2"},
    {"title:sanctions", 0, "title.stem:sanction"},
    {"body:\"foreign minister\"", 0, "body.\"foreign minister\""},
    {"name:\"Kim Jong Un\"", 0, "name:kim jong un"},
    {"name:Putin", 0, "name:putin"},
    {"date:2025-09", 0, "date[2025-09,2025-09]"},
    {"date:2025-09-01..2025-09-30", 0, "date[2025-09-01,2025-09-30]"},
    {"date:>=2025", 0, "date[2025,)"},
    {"date:<2024-06", 0, "date[,2024-06)"},
    {"date:2024-02-29", 0, "date[2024-02-29,2024-02-29]"},
    {"date:2025-03-15..2025-03", 0, "date[2025-03-15,2025-03]"},
    {"date:2025-03..2025-03", 0, "date[2025-03,2025-03]"},
    {"Kim Jong Un nuclear", 0,
     "(stem:kim stem:jong stem:un stem:nuclear name\"kim jong un\")"},
    {"Son-hui", 0, "(stem:son stem:hui name\"son hui\")"},
    /* The parts of a split word rank higher together; a capitalised word's
     * parts join the name around it. */
    {"Choe Son-hui", 0, "(stem:choe stem:son stem:hui name\"choe son hui\")"},
    {"e-mail virus", 0, "(stem:e stem:mail name\"e mail\" stem:virus)"},
    {"title:e-mail", 0, "(title.stem:e title.stem:mail title.name\"e mail\")"},
    {"-e-mail virus", 0, "(stem:virus -(stem:e stem:mail))"},
    {"Choe Son-Hui", 0, "(stem:choe stem:son stem:hui name\"choe son hui\")"},
    {"China's talks", 0, "(stem:china stem:talk)"},
    {"ＫＯＲＥＡ", 0, "stem:korea"},
    {"foo -- bar", 0, "(stem:foo stem:bar)"},
    /* A lone dash or plus in pasted text is punctuation, not an operator. */
    {"(a) - firm sales + exports -", 0, "(stem:a stem:firm stem:sale stem:export)"},
    {"+ foo", 0, "stem:foo"},
    {"oil -- (gas) - \"crude oil\"", 0, "(stem:oil stem:gas \"crude oil\")"},
    {"-(gas) +\"crude oil\"", 0, "(+\"crude oil\" -stem:gas)"},
    {"u n consideration", 0, "(stem:un stem:consider)"},
    {"russia s refusal", 0, "(stem:russia stem:refus)"},
    {"vitamin a", 0, "(stem:vitamin stem:a)"},
    {"+(nuclear OR atomic) test", 0, "(+(stem:nuclear stem:atom) stem:test)"},
    {"+Son-hui", 0, "(+stem:son +stem:hui name\"son hui\")"},
};

Test(qparse, parses_each_form_to_the_expected_tree)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const parse_case *c = &parse_cases[i];
        lede_qnode *n = NULL;
        lede_qerror err = {0};
        int rc = lede_qparse(&n, an, c->query, c->all, &err);
        cr_assert_eq(rc, LEDE_OK, "%s: %s at %zu", c->query, err.msg, err.pos);
        char *s = lede_qnode_format(n);
        cr_expect_str_eq(s, c->tree, "query %s", c->query);
        free(s);
        lede_qnode_free(n);
    }
}

typedef struct error_case {
    const char *query;
    size_t pos;
} error_case;

static const error_case error_cases[] = {
    {"\"unterminated", 0},
    {"talks \u201cunterminated", 6},
    {"foo)", 3},
    {"(foo", 0},
    {"foo AND", 7},
    {"AND foo", 0},
    {"a OR OR b", 5},
    {"()", 0},
    {"a OR NOT ()", 9},   /* fuzz-query: the clause after OR NOT failed, then was wrapped */
    {"date:yesterday", 5},
    {"date:2025-9", 5},
    /* Well formed but not in the calendar, or a range that ends before it starts. */
    {"date:2025-13", 5},
    {"date:2025-00", 5},
    {"date:2025-02-29", 5},
    {"date:2025-04-31", 5},
    {"date:2025-01..2025-02-30", 14},
    {"date:>=2025-13", 7},
    {"date:2025-03..2025-02", 14},
    {"date:2025-03-02..2025-03-01", 17},
    {"title:", 6},
    {"NOT", 3},
    {"kim NEAR/x jong", 4},
    {"\"\"", 0},
    {"*", 0},
    {"\"a b\"~", 6},
    {"name:nucl*", 5},
};

Test(qparse, reports_syntax_errors_at_the_right_byte)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
        const error_case *c = &error_cases[i];
        lede_qnode *n = (lede_qnode *)1;
        lede_qerror err = {0};
        int rc = lede_qparse(&n, an, c->query, 0, &err);
        cr_expect_eq(rc, LEDE_EINVAL, "query %s should fail", c->query);
        cr_expect_null(n, "query %s", c->query);
        cr_expect_not_null(err.msg, "query %s", c->query);
        cr_expect_eq(err.pos, c->pos, "query %s: caret at %zu, expected %zu (%s)", c->query,
                     err.pos, c->pos, err.msg ? err.msg : "");
        if (rc == LEDE_OK)
            lede_qnode_free(n);
    }
}

Test(qparse, marks_only_capitalised_plain_words)
{
    lede_qnode *n = NULL;
    lede_qerror err = {0};
    cr_assert_eq(lede_qparse(&n, an, "Xi Jinping \"Visit\" talks", 0, &err), LEDE_OK);
    cr_assert_eq(n->kind, LEDE_Q_BOOL);
    cr_expect(n->should[0]->capitalized);
    cr_expect(n->should[1]->capitalized);
    cr_expect(!n->should[2]->capitalized); /* quoted: a WORD term, not plain */
    cr_expect(!n->should[3]->capitalized);
    lede_qnode_free(n);
}
