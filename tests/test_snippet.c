/*
 * test_snippet.c — snippet windows, highlight ranges and safe rendering,
 * on the seed article and on small texts built to show one behaviour each.
 */
#include "common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static lede_analyzer *an;

static void setup(void)
{
    cr_assert_eq(lede_analyzer_new(&an, NULL), LEDE_OK);
}

static void teardown(void)
{
    lede_analyzer_free(an);
    an = NULL;
}

TestSuite(snippet, .init = setup, .fini = teardown);

/* The seed article, from the repository (LEDE_SOURCE_DIR) or the shared data. */
static char *read_seed(size_t *len)
{
    const char *paths[] = {"corpus/seed/wang-yi-choe-son-hui.txt", "seed/article.txt"};
    const char *roots[] = {getenv("LEDE_SOURCE_DIR"), getenv("LEDE_SHARED_DIR")};
    for (size_t i = 0; i < 2; i++) {
        if (roots[i] == NULL)
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", roots[i], paths[i]);
        FILE *f = fopen(path, "rb");
        if (f == NULL)
            continue;
        char *buf = malloc(1 << 20);
        cr_assert_not_null(buf);
        *len = fread(buf, 1, (1 << 20) - 1, f);
        buf[*len] = '\0';
        fclose(f);
        return buf;
    }
    cr_assert_fail("seed article not found (LEDE_SOURCE_DIR unset?)");
    return NULL;
}

typedef struct qterm {
    lede_snippet_kind kind;
    const char *text;
} qterm;

static lede_snippet_query *make_query(const qterm *terms)
{
    lede_snippet_query *q = NULL;
    cr_assert_eq(lede_snippet_query_new(&q), LEDE_OK);
    for (size_t i = 0; terms && terms[i].text; i++)
        cr_assert_eq(lede_snippet_query_add(q, terms[i].kind, terms[i].text,
                                            strlen(terms[i].text), 1.0),
                     LEDE_OK);
    return q;
}

static lede_snippet *snip(const char *text, size_t len, const qterm *terms, unsigned context,
                          unsigned frags)
{
    lede_snippet_query *q = make_query(terms);
    lede_snippet_options o = LEDE_SNIPPET_OPTIONS_INIT;
    o.context_words = context;
    o.max_fragments = frags;
    lede_snippet *s = NULL;
    cr_assert_eq(lede_snippet_make(&s, an, text, len, q, &o), LEDE_OK);
    lede_snippet_query_free(q);
    return s;
}

/* Tokens of text[start..end), for counting words and checking terms. */
typedef struct toks {
    size_t n;
    char stem[8][LEDE_TERM_MAX + 1];
    char word[8][LEDE_TERM_MAX + 1];
} toks;

static int collect(const lede_token *t, void *payload)
{
    toks *k = payload;
    if (k->n < 8) {
        memcpy(k->stem[k->n], t->stem, t->stem_len);
        k->stem[k->n][t->stem_len] = '\0';
        memcpy(k->word[k->n], t->word, t->word_len);
        k->word[k->n][t->word_len] = '\0';
    }
    k->n++;
    return 0;
}

static toks analyse(const char *text, size_t start, size_t end)
{
    toks k = {0};
    cr_assert_eq(lede_analyze(an, text + start, end - start, 0, collect, &k, NULL), LEDE_OK);
    return k;
}

static char *render(const char *text, size_t len, const lede_fragment *f, const char *open,
                    const char *close, lede_snippet_range *mo)
{
    lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
    ro.open = open;
    ro.close = close;
    char *out = NULL;
    cr_assert_eq(lede_snippet_render(&out, NULL, text, len, f, &ro, mo), LEDE_OK);
    return out;
}

Test(snippet, name_query_centres_window_on_kim_jong_un)
{
    size_t len;
    char *text = read_seed(&len);
    const qterm q[] = {{LEDE_SNIPPET_NAME, "kim jong un"}, {0, NULL}};
    lede_snippet *s = snip(text, len, q, 30, 1);
    cr_assert_eq(s->n, 1);
    const lede_fragment *f = &s->frags[0];
    cr_assert_eq(f->nmatches, 1);
    const lede_snippet_range *m = &f->matches[0];
    cr_assert_eq(m->end - m->start, strlen("Kim Jong Un"));
    cr_assert(memcmp(text + m->start, "Kim Jong Un", 11) == 0);
    /* The window reads "… Kim Jong Un’s …" with the name in the middle. */
    cr_assert(memcmp(text + m->end, "\xE2\x80\x99s", 4) == 0);
    cr_assert_eq(analyse(text, f->start, f->end).n, 30);
    size_t before = analyse(text, f->start, m->start).n;
    size_t after = analyse(text, m->end + 4, f->end).n; /* after "’s" */
    cr_assert_eq(before + after + 3, 30, "window of %zu words", before + after + 3);
    cr_assert(before >= after - 2 && before <= after + 2, "before %zu after %zu", before, after);
    cr_assert_eq(f->flags, LEDE_FRAGMENT_CUT_BEFORE | LEDE_FRAGMENT_CUT_AFTER);

    char *out = render(text, len, f, "<b>", "</b>", NULL);
    cr_assert(strstr(out, "<b>Kim Jong Un</b>\xE2\x80\x99s recent visit") != NULL, "%s", out);
    cr_assert(strncmp(out, "\xE2\x80\xA6", 3) == 0, "leading ellipsis: %s", out);
    free(out);
    lede_snippet_free(s);
    free(text);
}

Test(snippet, whole_name_wins_over_scattered_words)
{
    /* The words of the name occur apart early and together late. */
    static const char text[] =
        "Kim said the talks stalled. Jong and others left early, while Un stayed. "
        "Nothing else happened for weeks and weeks in the quiet capital city. "
        "Then came news that Kim Jong Un would travel by train to Beijing.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "kim"},
                       {LEDE_SNIPPET_STEM, "jong"},
                       {LEDE_SNIPPET_STEM, "un"},
                       {LEDE_SNIPPET_NAME, "kim jong un"},
                       {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 12, 1);
    cr_assert_eq(s->n, 1);
    const char *name = strstr(text, "Kim Jong Un");
    const lede_fragment *f = &s->frags[0];
    cr_assert(f->start <= (uint32_t)(name - text) && f->end >= (uint32_t)(name - text) + 11);
    /* Name and words merge into one highlighted range. */
    int found = 0;
    for (size_t i = 0; i < f->nmatches; i++)
        found |= f->matches[i].start == (uint32_t)(name - text) &&
                 f->matches[i].end == (uint32_t)(name - text) + 11;
    cr_assert(found);
    lede_snippet_free(s);
}

Test(snippet, distinct_terms_beat_repeats)
{
    static const char text[] =
        "Cocoa cocoa cocoa cocoa cocoa prices cocoa cocoa. Many unrelated words fill this "
        "middle part of the text so that windows cannot reach both ends of it at once here. "
        "Growers said cocoa exports to Brazil fell sharply.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "cocoa"}, {LEDE_SNIPPET_STEM, "brazil"}, {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 10, 1);
    cr_assert_eq(s->n, 1);
    const char *brazil = strstr(text, "Brazil");
    cr_assert(s->frags[0].start <= (uint32_t)(brazil - text) &&
              s->frags[0].end > (uint32_t)(brazil - text));
    lede_snippet_free(s);
}

Test(snippet, window_starts_at_the_sentence_when_it_can)
{
    static const char text[] =
        "First sentence talks about weather and crops in detail today. "
        "Second sentence mentions a harvest right near its start. Third one is filler.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "harvest"}, {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 12, 1);
    cr_assert_eq(s->n, 1);
    cr_assert_eq(s->frags[0].start, (uint32_t)(strstr(text, "Second") - text));
    lede_snippet_free(s);
}

typedef struct cut_case {
    qterm q[4];
    unsigned context;
    unsigned frags;
} cut_case;

Test(snippet, cuts_fall_on_word_boundaries_and_highlights_reanalyse_to_the_term)
{
    size_t len;
    char *text = read_seed(&len);
    static const cut_case cases[] = {
        {{{LEDE_SNIPPET_STEM, "korea"}, {LEDE_SNIPPET_STEM, "nuclear"}, {0, NULL}}, 30, 3},
        {{{LEDE_SNIPPET_STEM, "minist"}, {0, NULL}}, 5, 4},
        {{{LEDE_SNIPPET_WORD, "beijing"}, {LEDE_SNIPPET_STEM, "visit"}, {0, NULL}}, 8, 2},
        {{{LEDE_SNIPPET_NAME, "xi jinping"}, {LEDE_SNIPPET_STEM, "parad"}, {0, NULL}}, 15, 2},
        {{{LEDE_SNIPPET_PHRASE, "foreign minister"}, {0, NULL}}, 3, 5},
        {{{LEDE_SNIPPET_STEM, "china"}, {0, NULL}}, 1, 6},
    };
    for (size_t c = 0; c < ARRAY_SIZE(cases); c++) {
        lede_snippet *s = snip(text, len, cases[c].q, cases[c].context, cases[c].frags);
        cr_assert_gt(s->n, 0, "case %zu", c);
        uint32_t prev_end = 0;
        for (size_t i = 0; i < s->n; i++) {
            const lede_fragment *f = &s->frags[i];
            cr_assert(f->start >= prev_end, "case %zu: fragments overlap or are unordered", c);
            prev_end = f->end;
            /* Cut points: the text's ends or whitespace on the outer side. */
            cr_assert(f->start == 0 || strchr(" \n\t", text[f->start - 1]), "case %zu: start %u",
                      c, f->start);
            cr_assert(f->end == len || strchr(" \n\t", text[f->end]), "case %zu: end %u", c,
                      f->end);
            cr_assert_leq(analyse(text, f->start, f->end).n, cases[c].context + 1, "case %zu", c);
            cr_assert_gt(f->nmatches, 0, "case %zu", c);
            for (size_t m = 0; m < f->nmatches; m++) {
                const lede_snippet_range *r = &f->matches[m];
                cr_assert(r->start >= f->start && r->end <= f->end && r->start < r->end);
                toks k = analyse(text, r->start, r->end);
                int ok = 0;
                for (size_t t = 0; cases[c].q[t].text; t++) {
                    const qterm *qt = &cases[c].q[t];
                    if (qt->kind == LEDE_SNIPPET_STEM)
                        ok |= k.n == 1 && strcmp(k.stem[0], qt->text) == 0;
                    else if (qt->kind == LEDE_SNIPPET_WORD)
                        ok |= k.n == 1 && strcmp(k.word[0], qt->text) == 0;
                    else {
                        char joined[256] = "";
                        for (size_t w = 0; w < k.n && w < 8; w++)
                            snprintf(joined + strlen(joined), sizeof joined - strlen(joined),
                                     "%s%s", w ? " " : "", k.word[w]);
                        ok |= strcmp(joined, qt->text) == 0;
                    }
                }
                cr_assert(ok, "case %zu: highlight \"%.*s\" is not a query term", c,
                          (int)(r->end - r->start), text + r->start);
            }
        }
        lede_snippet_free(s);
    }
    free(text);
}

Test(snippet, no_match_gives_the_opening_window_or_nothing)
{
    static const char text[] = "One two three four five six seven eight nine ten.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "absent"}, {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 4, 2);
    cr_assert_eq(s->n, 1);
    cr_assert_eq(s->frags[0].start, 0);
    cr_assert_eq(s->frags[0].nmatches, 0);
    cr_assert_eq(s->frags[0].flags, LEDE_FRAGMENT_CUT_AFTER);
    char *out = render(text, strlen(text), &s->frags[0], "[", "]", NULL);
    cr_assert_str_eq(out, "One two three four\xE2\x80\xA6");
    free(out);
    lede_snippet_free(s);

    lede_snippet_query *sq = make_query(q);
    lede_snippet_options o = LEDE_SNIPPET_OPTIONS_INIT;
    o.no_lead_fallback = 1;
    cr_assert_eq(lede_snippet_make(&s, an, text, strlen(text), sq, &o), LEDE_OK);
    cr_assert_eq(s->n, 0);
    lede_snippet_free(s);
    cr_assert_eq(lede_snippet_make(&s, an, "", 0, sq, NULL), LEDE_OK);
    cr_assert_eq(s->n, 0);
    lede_snippet_free(s);
    lede_snippet_query_free(sq);
}

Test(snippet, whole_short_text_has_no_ellipsis)
{
    static const char text[] = "  \xC2\xAB""Beijing talks\xC2\xBB resume.\n";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "talk"}, {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 30, 1);
    cr_assert_eq(s->n, 1);
    cr_assert_eq(s->frags[0].flags, 0);
    char *out = render(text, strlen(text), &s->frags[0], "*", "*", NULL);
    /* The guillemets glued to the first and last words are kept. */
    cr_assert_str_eq(out, "\xC2\xAB""Beijing *talks*\xC2\xBB resume.");
    free(out);
    lede_snippet_free(s);
}

Test(snippet, rendered_match_offsets_point_at_the_matched_text)
{
    static const char text[] = "Tea\tprices:\n\nKenya tea and Kenya\x1b[1m coffee.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "kenya"}, {LEDE_SNIPPET_STEM, "tea"}, {0, NULL}};
    lede_snippet *s = snip(text, strlen(text), q, 30, 1);
    cr_assert_eq(s->n, 1);
    const lede_fragment *f = &s->frags[0];
    cr_assert_eq(f->nmatches, 4);
    lede_snippet_range mo[4];
    char *out = render(text, strlen(text), f, "<<", ">>", mo);
    cr_assert_str_eq(out, "<<Tea>> prices: <<Kenya>> <<tea>> and <<Kenya>> coffee.");
    for (size_t i = 0; i < 4; i++) {
        size_t n = mo[i].end - mo[i].start;
        cr_assert_eq(n, f->matches[i].end - f->matches[i].start);
        cr_assert(memcmp(out + mo[i].start, text + f->matches[i].start, n) == 0);
        cr_assert(memcmp(out + mo[i].start - 2, "<<", 2) == 0);
    }
    free(out);
    lede_snippet_free(s);
}

/* No byte of s is a C0 control, DEL or ESC, no C1 control is encoded, and s
 * is valid UTF-8. */
static void assert_terminal_safe(const char *s, size_t len)
{
    const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
    for (size_t i = 0; i < len;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
        cr_assert_gt(n, 0, "invalid UTF-8 at %zu in \"%s\"", i, s);
        cr_assert(cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp <= 0x9F),
                  "control U+%04X at %zu", (unsigned)cp, i);
        i += (size_t)n;
    }
}

typedef struct sanitize_case {
    const char *in;
    size_t len; /* 0: strlen */
    const char *out;
} sanitize_case;

Test(snippet, escape_sequences_and_controls_never_reach_the_output)
{
    static const sanitize_case cases[] = {
        {"red \x1b[31mALERT\x1b[0m done", 0, "red ALERT done"},
        {"title\x1b]0;pwned\x07 text", 0, "title text"},
        {"osc\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ end", 0, "osclink end"},
        {"c1 \xC2\x9B""31mcsi\xC2\x9D""2;t\xC2\x9C ok", 0, "c1 csi ok"},
        {"keypad\x1b=mode \x1b(Bcharset", 0, "keypadmode charset"},
        {"tab\there\r\nnew\x0bline\x0c", 0, "tab here new line"},
        {"bell\x07 nul\0byte del\x7f", 19, "bell nulbyte del"},
        {"bad \xff\xfe utf8 \xC3", 0, "bad \xEF\xBF\xBD\xEF\xBF\xBD utf8 \xEF\xBF\xBD"},
        {"bidi \xE2\x80\xAEreversed\xE2\x80\xAC end", 0, "bidi reversed end"},
        {"nel\xC2\x85line \xE2\x80\xA8sep", 0, "nel line sep"},
        {"unterminated \x1b[", 0, "unterminated"},
        {"lost \x1b]0;never terminated", 0, "lost 0;never terminated"},
        {"  \n leading and trailing \t ", 0, "leading and trailing"},
        {"P\xC3\xBF\xC5\x8Fngyang \xE5\x8C\x97\xE4\xBA\xAC", 0,
         "P\xC3\xBF\xC5\x8Fngyang \xE5\x8C\x97\xE4\xBA\xAC"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        char *out = NULL;
        size_t olen = 0;
        cr_assert_eq(lede_text_sanitize(&out, &olen, cases[i].in, len), LEDE_OK);
        cr_assert_eq(olen, strlen(out));
        cr_assert_str_eq(out, cases[i].out, "case %zu", i);
        assert_terminal_safe(out, olen);
        free(out);
    }
}

Test(snippet, rendered_fragments_of_hostile_text_are_safe)
{
    /* Escape sequences inside and around matched words. */
    static const char text[] =
        "\x1b[2J\x1b[HWarning:\x1b]0;owned\x07 the\x1b[5m tanker\x1b[0m sank\r\n"
        "\x9b""6n near \xC2\x9B""31mtanker port\x7f; crews\x1b[8m hid\x1b[28m tanker logs.\x01";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "tanker"}, {LEDE_SNIPPET_STEM, "crew"}, {0, NULL}};
    for (unsigned ctx = 1; ctx <= 12; ctx++) {
        lede_snippet *s = snip(text, sizeof text - 1, q, ctx, 3);
        for (size_t i = 0; i < s->n; i++) {
            size_t olen;
            char *out = NULL;
            lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
            cr_assert_eq(lede_snippet_render(&out, &olen, text, sizeof text - 1, &s->frags[i],
                                             &ro, NULL),
                         LEDE_OK);
            assert_terminal_safe(out, olen);
            cr_assert(strstr(out, "owned") == NULL, "%s", out);
            free(out);
        }
        lede_snippet_free(s);
    }
}

Test(snippet, utf8_is_never_cut_inside_a_code_point)
{
    /* Greek, CJK (bigram tokens), combining marks, emoji and typographic
     * punctuation glued to words, at every window size. */
    static const char text[] =
        "\xE2\x80\x9C\xCE\x91\xCE\xB8\xCE\xAE\xCE\xBD\xCE\xB1\xE2\x80\x9D \xF0\x9F\x98\x80"
        "news\xF0\x9F\x98\x80 Zu\xCC\x88rich\xE2\x80\x94Geneva \xE5\x8C\x97\xE4\xBA\xAC\xE5"
        "\xB8\x82\xE6\x94\xBF\xE5\xBA\x9C news \xC2\xABnews\xC2\xBB caf\xC3\xA9\xE2\x80\xA6 "
        "\xE6\x9D\xB1\xE4\xBA\xAC news.";
    const qterm q[] = {{LEDE_SNIPPET_STEM, "news"},
                       {LEDE_SNIPPET_WORD, "zurich"},
                       {LEDE_SNIPPET_WORD, "\xE5\x8C\x97\xE4\xBA\xAC"},
                       {0, NULL}};
    const unsigned char *u = (const unsigned char *)text;
    size_t len = sizeof text - 1;
    for (unsigned ctx = 1; ctx <= 14; ctx++) {
        lede_snippet *s = snip(text, len, q, ctx, 4);
        cr_assert_gt(s->n, 0);
        for (size_t i = 0; i < s->n; i++) {
            const lede_fragment *f = &s->frags[i];
            cr_assert(f->start == len || (u[f->start] & 0xC0) != 0x80, "ctx %u start %u", ctx,
                      f->start);
            cr_assert(f->end == len || (u[f->end] & 0xC0) != 0x80, "ctx %u end %u", ctx, f->end);
            for (size_t m = 0; m < f->nmatches; m++) {
                cr_assert((u[f->matches[m].start] & 0xC0) != 0x80);
                cr_assert(f->matches[m].end == len || (u[f->matches[m].end] & 0xC0) != 0x80);
            }
            size_t olen;
            char *out = NULL;
            cr_assert_eq(
                lede_snippet_render(&out, &olen, text, len, f, NULL, NULL), LEDE_OK);
            assert_terminal_safe(out, olen);
            free(out);
        }
        lede_snippet_free(s);
    }
}

Test(snippet, query_terms_are_deduplicated_and_validated)
{
    lede_snippet_query *q = NULL;
    cr_assert_eq(lede_snippet_query_new(&q), LEDE_OK);
    cr_assert_eq(lede_snippet_query_add(q, LEDE_SNIPPET_STEM, "korea", 5, 2.0), LEDE_OK);
    cr_assert_eq(lede_snippet_query_add(q, LEDE_SNIPPET_STEM, "korea", 5, 1.0), LEDE_OK);
    cr_assert_eq(lede_snippet_query_add(q, LEDE_SNIPPET_WORD, "korea", 5, 1.0), LEDE_OK);
    cr_assert_eq(lede_snippet_query_count(q), 2);
    cr_assert_eq(lede_snippet_query_add(q, LEDE_SNIPPET_STEM, "", 0, 1.0), LEDE_EINVAL);
    cr_assert_eq(lede_snippet_query_add(q, LEDE_SNIPPET_NAME, "   ", 3, 1.0), LEDE_EINVAL);
    cr_assert_eq(lede_snippet_query_add(q, (lede_snippet_kind)9, "x", 1, 1.0), LEDE_EINVAL);
    cr_assert_eq(lede_snippet_query_count(q), 2);
    lede_snippet_query_free(q);
    lede_snippet_query_free(NULL);
    lede_snippet_free(NULL);
}

Test(snippet, random_bytes_never_break_the_invariants)
{
    /* Texts spliced from words, escape pieces, controls and broken UTF-8. */
    static const char *const pieces[] = {
        "cocoa ", "Kim Jong Un", "\xE2\x80\x99s ", "\x1b[", "31m", "\x1b]0;", "\x07", "\xC2\x9B",
        "\xC2\x9D", "\xff", "\xC3", "\xE5\x8C\x97\xE4\xBA\xAC", "\n", "\t", "\0", ". ", "-",
        "U.S. ", "\xCC\x88", "prices ", "\x1b\\", "\x7f",
    };
    const qterm q[] = {{LEDE_SNIPPET_STEM, "cocoa"},
                       {LEDE_SNIPPET_STEM, "price"},
                       {LEDE_SNIPPET_NAME, "kim jong un"},
                       {LEDE_SNIPPET_WORD, "us"},
                       {0, NULL}};
    uint64_t x = 88172645463325252ULL;
    char text[600];
    for (int iter = 0; iter < 300; iter++) {
        size_t len = 0;
        for (;;) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            const char *p = pieces[x % ARRAY_SIZE(pieces)];
            size_t n = p[0] ? strlen(p) : 1;
            if (len + n > sizeof text)
                break;
            memcpy(text + len, p, n);
            len += n;
            if (x % 97 == 0)
                break;
        }
        lede_snippet *s = snip(text, len, q, 1 + (unsigned)(x % 9), 1 + (unsigned)(x % 3));
        uint32_t prev = 0;
        for (size_t i = 0; i < s->n; i++) {
            const lede_fragment *f = &s->frags[i];
            cr_assert(f->start >= prev && f->start <= f->end && f->end <= len);
            prev = f->end;
            lede_snippet_range mo[64];
            cr_assert_leq(f->nmatches, 64);
            size_t olen;
            char *out = NULL;
            lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
            ro.open = "[";
            ro.close = "]";
            cr_assert_eq(lede_snippet_render(&out, &olen, text, len, f, &ro, mo), LEDE_OK);
            assert_terminal_safe(out, olen);
            for (size_t m = 0; m < f->nmatches; m++)
                cr_assert(mo[m].start <= mo[m].end && mo[m].end <= olen);
            free(out);
        }
        lede_snippet_free(s);
    }
}

Test(snippet, a_rare_term_late_in_a_long_text_is_found)
{
    /* Thousands of "oil" first, the one "embargo" at the very end. */
    size_t cap = 200000, len = 0;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    while (len + 64 < cap - 64)
        len += (size_t)snprintf(text + len, cap - len, "Oil rose. Oil fell. ");
    len += (size_t)snprintf(text + len, cap - len, "Then came the oil embargo.");
    const qterm q[] = {{LEDE_SNIPPET_STEM, "oil"}, {LEDE_SNIPPET_STEM, "embargo"}, {0, NULL}};
    lede_snippet *s = snip(text, len, q, 10, 1);
    cr_assert_eq(s->n, 1);
    cr_assert_eq(s->frags[0].end, len);
    cr_assert_eq(s->frags[0].flags, LEDE_FRAGMENT_CUT_BEFORE);
    lede_snippet_free(s);
    free(text);
}

/* ---- the English prefilter (lede_snippet_query_set_language) ---- */

/* Every stem of a text (stems[i] points into one buffer), for building queries. */
typedef struct stem_list {
    char *buf;
    size_t len, cap;
    size_t *off;
    size_t n, capn;
} stem_list;

static int collect_stem(const lede_token *t, void *payload)
{
    stem_list *l = payload;
    if (l->len + t->stem_len + 1 > l->cap) {
        l->cap = 2 * (l->cap + t->stem_len + 1);
        l->buf = realloc(l->buf, l->cap);
        cr_assert_not_null(l->buf);
    }
    if (l->n == l->capn) {
        l->capn = l->capn ? 2 * l->capn : 256;
        l->off = realloc(l->off, l->capn * sizeof *l->off);
        cr_assert_not_null(l->off);
    }
    l->off[l->n++] = l->len;
    memcpy(l->buf + l->len, t->stem, t->stem_len);
    l->len += t->stem_len;
    l->buf[l->len++] = '\0';
    return 0;
}

/* The snippet of text for q made twice: stemming every word, and with the
 * English prefilter.  They must be the same, fragment for fragment. */
static void assert_prefilter_same(const char *text, size_t len, const char *const *stems,
                                  size_t nstems, const char *name, unsigned context,
                                  unsigned frags)
{
    lede_snippet_query *full = NULL, *fast = NULL;
    cr_assert_eq(lede_snippet_query_new(&full), LEDE_OK);
    cr_assert_eq(lede_snippet_query_new(&fast), LEDE_OK);
    cr_assert_eq(lede_snippet_query_set_language(fast, "english"), LEDE_OK);
    for (size_t i = 0; i < nstems; i++) {
        lede_snippet_query_add(full, LEDE_SNIPPET_STEM, stems[i], strlen(stems[i]), 1.0 + i);
        lede_snippet_query_add(fast, LEDE_SNIPPET_STEM, stems[i], strlen(stems[i]), 1.0 + i);
    }
    if (name) {
        lede_snippet_query_add(full, LEDE_SNIPPET_NAME, name, strlen(name), 2.0);
        lede_snippet_query_add(fast, LEDE_SNIPPET_NAME, name, strlen(name), 2.0);
    }
    lede_snippet_options o = LEDE_SNIPPET_OPTIONS_INIT;
    o.context_words = context;
    o.max_fragments = frags;
    lede_snippet *a = NULL, *b = NULL;
    cr_assert_eq(lede_snippet_make(&a, an, text, len, full, &o), LEDE_OK);
    cr_assert_eq(lede_snippet_make(&b, an, text, len, fast, &o), LEDE_OK);
    cr_assert_eq(a != NULL, b != NULL);
    if (a) {
        cr_assert_eq(a->n, b->n, "fragments for '%s'", stems[0]);
        for (size_t i = 0; i < a->n; i++) {
            const lede_fragment *x = &a->frags[i], *y = &b->frags[i];
            cr_assert(x->start == y->start && x->end == y->end && x->flags == y->flags &&
                          x->score == y->score && x->nmatches == y->nmatches,
                      "fragment %zu differs for '%s'", i, stems[0]);
            for (size_t m = 0; m < x->nmatches; m++)
                cr_assert(x->matches[m].start == y->matches[m].start &&
                          x->matches[m].end == y->matches[m].end);
        }
    }
    lede_snippet_free(a);
    lede_snippet_free(b);
    lede_snippet_query_free(full);
    lede_snippet_query_free(fast);
}

Test(snippet, english_prefilter_gives_the_same_snippets_on_real_articles)
{
    /* Queries of one to three stems taken from the article itself (so they
     * match, with every kind of suffix), on the seed article and the
     * Wikinews articles of corpus/. */
    const char *root = getenv("LEDE_SOURCE_DIR");
    cr_assert_not_null(root, "LEDE_SOURCE_DIR unset");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/wikinews.jsonl", root);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *line = NULL;
    size_t cap = 0, docs = 0, queries = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0 && docs < 60) {
        stem_list l = {0};
        cr_assert_eq(lede_analyze(an, line, (size_t)len, 0, collect_stem, &l, NULL), LEDE_OK);
        for (size_t i = 0; i + 2 < l.n; i += 1 + l.n / 12) {
            const char *q[3] = {l.buf + l.off[i], l.buf + l.off[(i * 7 + 1) % l.n],
                                l.buf + l.off[(i * 13 + 2) % l.n]};
            assert_prefilter_same(line, (size_t)len, q, 1 + i % 3, i % 2 ? "kim jong un" : NULL,
                                  8 + (unsigned)(i % 25), 1 + (unsigned)(i % 3));
            queries++;
        }
        free(l.buf);
        free(l.off);
        docs++;
    }
    free(line);
    fclose(f);
    cr_assert_geq(docs, 50);
    cr_assert_geq(queries, 500);
}

Test(snippet, english_prefilter_gives_the_same_snippets_on_odd_words)
{
    /* Exceptions of Porter2, suffixes that rewrite the stem's end, numbers,
     * CJK, a word longer than LEDE_TERM_MAX, apostrophes, possessives. */
    char text[2048];
    int n = snprintf(text, sizeof text,
                     "Dying, lying and tying skies; the skis were generously hoping. "
                     "Relational organizations luxuriating in abilities, the nobility's "
                     "possibilities.  O'Neill's rock'n'roll don't 3.5 80th 155,221 "
                     "\xE5\x8C\x97\xE4\xBA\xAC\xE5\xB8\x82 \xC3\xBC" "ber Z\xC3\xBC" "rich ");
    for (int i = 0; i < 140 && n + 2 < (int)sizeof text; i++)
        text[n++] = i % 2 ? 'a' : 'b';
    text[n++] = '.';
    text[n] = '\0';
    stem_list l = {0};
    cr_assert_eq(lede_analyze(an, text, (size_t)n, 0, collect_stem, &l, NULL), LEDE_OK);
    for (size_t i = 0; i < l.n; i++) {
        const char *q[1] = {l.buf + l.off[i]};
        assert_prefilter_same(text, (size_t)n, q, 1, NULL, 5, 2);
    }
    const char *odd[] = {"die", "lie", "tie", "sky", "ski", "hope", "relat", "organ", "abil",
                         "nobil", "possibl", "o'neil", "don't", "3.5", "uber", "zurich"};
    for (size_t i = 0; i < ARRAY_SIZE(odd); i++)
        assert_prefilter_same(text, (size_t)n, odd + i, 1, NULL, 6, 3);
    free(l.buf);
    free(l.off);
}
