/*
 * test_extract.c — input formats (lib/extract.c): what each kind of file
 * yields as title, body, date, id and metadata, and how bad bytes and bad
 * lines are reported.
 */
#include "extract.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lede_extracted doc_of(const char *text, lede_format fmt)
{
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, text, strlen(text), fmt), LEDE_OK);
    cr_assert_not_null(x.body);
    cr_assert_eq(strlen(x.body), x.body_len);
    return x;
}

static bool contains(const char *hay, const char *needle)
{
    return hay && strstr(hay, needle) != NULL;
}

/* ---- formats ------------------------------------------------------ */

Test(extract, format_names_and_extensions_are_recognised)
{
    static const struct {
        const char *path;
        lede_format fmt;
    } cases[] = {
        {"a/b/news.txt", LEDE_FORMAT_TXT},  {"x.MD", LEDE_FORMAT_MD},
        {"x.markdown", LEDE_FORMAT_MD},     {"page.html", LEDE_FORMAT_HTML},
        {"page.HTM", LEDE_FORMAT_HTML},     {"dump.jsonl", LEDE_FORMAT_JSONL},
        {"dump.ndjson", LEDE_FORMAT_JSONL}, {"photo.jpg", LEDE_FORMAT_AUTO},
        {"Makefile", LEDE_FORMAT_AUTO},     {".hidden", LEDE_FORMAT_AUTO},
        {"dir.txt/README", LEDE_FORMAT_AUTO}, {"export.JSON", LEDE_FORMAT_JSON},
        /* Compressed: the format of the name without the suffix. */
        {"dump.jsonl.gz", LEDE_FORMAT_JSONL}, {"a/notes.txt.XZ", LEDE_FORMAT_TXT},
        {"x.json.zst", LEDE_FORMAT_JSON},     {"page.html.zstd", LEDE_FORMAT_HTML},
        {"archive.gz", LEDE_FORMAT_AUTO},     {".gz", LEDE_FORMAT_AUTO},
        {"x.txt.gz.gz", LEDE_FORMAT_AUTO},    {"x.gz.txt", LEDE_FORMAT_TXT},
        {"tar.gz/x", LEDE_FORMAT_AUTO},       {"photo.jpg.gz", LEDE_FORMAT_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(lede_extract_format_of_path(cases[i].path), cases[i].fmt, "%s",
                     cases[i].path);

    lede_format f;
    cr_expect_eq(lede_extract_format_parse(&f, "ndjson"), LEDE_OK);
    cr_expect_eq(f, LEDE_FORMAT_JSONL);
    cr_expect_eq(lede_extract_format_parse(&f, "markdown"), LEDE_OK);
    cr_expect_eq(f, LEDE_FORMAT_MD);
    cr_expect_eq(lede_extract_format_parse(&f, "pdf"), LEDE_EINVAL);
    cr_expect_str_eq(lede_extract_format_name(LEDE_FORMAT_HTML), "html");
    cr_expect_eq(lede_extract_format_parse(&f, "json"), LEDE_OK);
    cr_expect_eq(f, LEDE_FORMAT_JSON);
    cr_expect_str_eq(lede_extract_format_name(LEDE_FORMAT_JSON), "json");
}

Test(extract, stdin_is_sniffed_as_jsonl_html_or_text)
{
    cr_expect_eq(lede_extract_format_sniff("  {\"id\":1}\n", 11), LEDE_FORMAT_JSONL);
    cr_expect_eq(lede_extract_format_sniff("<!DOCTYPE html><p>x", 19), LEDE_FORMAT_HTML);
    cr_expect_eq(lede_extract_format_sniff("Title\n\nBody", 11), LEDE_FORMAT_TXT);
    cr_expect_eq(lede_extract_format_sniff("", 0), LEDE_FORMAT_TXT);
}

Test(extract, stdin_holding_json_over_several_lines_is_sniffed_as_json)
{
    static const struct {
        const char *in;
        lede_format fmt;
    } cases[] = {
        {"[{\"id\": 1}]", LEDE_FORMAT_JSON},
        {"\xEF\xBB\xBF\n[\n  {\"id\": 1}\n]\n", LEDE_FORMAT_JSON},
        {"{\n  \"id\": 1\n}\n{\n  \"id\": 2\n}\n", LEDE_FORMAT_JSON}, /* jq . */
        {"{\"id\": 1}\n{\"id\": 2}\n", LEDE_FORMAT_JSONL},
        {"{\"t\": \"a { in a string\"}\n{}\n", LEDE_FORMAT_JSONL},
        {"{\"t\": \"\\\" { \"}\n{}\n", LEDE_FORMAT_JSONL}, /* an escaped quote */
        /* A first line cut inside a string is a broken JSON line, not a
         * record over several lines. */
        {"{\"t\": \"unterminated\n{\"id\": 2}\n", LEDE_FORMAT_JSONL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(lede_extract_format_sniff(cases[i].in, strlen(cases[i].in)), cases[i].fmt,
                     "case %zu", i);
}

/* ---- plain text --------------------------------------------------- */

Test(extract, text_title_is_the_first_non_empty_line)
{
    static const struct {
        const char *in, *title, *body;
    } cases[] = {
        {"Title\n\nBody text.\n", "Title", "Body text."},
        {"\n\n  Indented title  \nline one\nline two\n", "Indented title", "line one\nline two"},
        {"Only a title", "Only a title", ""},
        {"\xEF\xBB\xBFWith BOM\n\nx", "With BOM", "x"},
        {"Windows\r\n\r\nline\r\n", "Windows", "line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x = doc_of(cases[i].in, LEDE_FORMAT_TXT);
        cr_expect_str_eq(x.title, cases[i].title);
        cr_expect_eq(x.title_len, strlen(cases[i].title));
        cr_expect_str_eq(x.body, cases[i].body);
        cr_expect_null(x.id);
        cr_expect_null(x.meta_json);
        lede_extracted_clear(&x);
    }
}

Test(extract, empty_text_has_no_title_and_an_empty_body)
{
    lede_extracted x = doc_of("\n \n", LEDE_FORMAT_TXT);
    cr_expect_null(x.title);
    cr_expect_str_eq(x.body, "");
    lede_extracted_clear(&x);
}

Test(extract, the_seed_article_keeps_its_title_and_curly_quotes)
{
    const char *src = getenv("LEDE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/corpus/seed/wang-yi-choe-son-hui.txt", src ? src : ".");
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, buf, n, LEDE_FORMAT_TXT), LEDE_OK);
    cr_expect(contains(x.title, "Wang Yi"), "title: %s", x.title);
    cr_expect_eq(x.repaired, 0);
    cr_expect(x.body_len > 1000);
    cr_expect(contains(x.body, "\xE2\x80"), "curly quotes survive"); /* U+201x */
    lede_extracted_clear(&x);
    free(buf);
}

/* ---- Markdown ----------------------------------------------------- */

Test(extract, markdown_markup_is_stripped)
{
    static const struct {
        const char *in;
        const char *want; /* must be in the body */
        const char *gone; /* must not be */
    } cases[] = {
        {"# T\n\nSome **bold** and *it* text", "Some bold and it text", "*"},
        {"# T\n\nA [link text](https://x.org/a) here", "A link text here", "x.org"},
        {"# T\n\n![a chart](img.png) shown", "a chart shown", "img.png"},
        {"# T\n\n- one\n- two\n1. three\n", "one\ntwo\nthree", "- "},
        {"# T\n\n> quoted words\n", "quoted words", ">"},
        {"# T\n\n## Sub heading ##\n", "Sub heading", "#"},
        {"# T\n\n```c\nint x = 1;\n```\n", "int x = 1;", "```"},
        {"# T\n\nuse `code` here", "use code here", "`"},
        {"# T\n\n| a | b |\n|---|---|\n| c | d |\n", "c   d", "|"},
        {"# T\n\nsnake_case stays, _emph_ goes", "snake_case stays, emph goes", "_emph"},
        {"# T\n\n<div>raw</div> &amp; more", "raw & more", "<div>"},
        {"# T\n\nsee [the docs][1]\n\n[1]: https://x.org\n", "see the docs", "x.org"},
        {"# T\n\n~~struck~~ text\n\n---\n\nafter", "struck text", "~~"},
        {"# T\n\n\\*literal\\* star", "*literal* star", "\\"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x = doc_of(cases[i].in, LEDE_FORMAT_MD);
        cr_expect_str_eq(x.title, "T", "case %zu", i);
        cr_expect(contains(x.body, cases[i].want), "case %zu: want \"%s\" in \"%s\"", i,
                  cases[i].want, x.body);
        cr_expect(!contains(x.body, cases[i].gone), "case %zu: \"%s\" left in \"%s\"", i,
                  cases[i].gone, x.body);
        lede_extracted_clear(&x);
    }
}

Test(extract, hostile_markdown_lines_stay_linear, .timeout = 30)
{
    /* 4 MB of unclosed brackets and tags: quadratic scanning would take
     * hours; the caps make it one pass, well inside the timeout. */
    size_t n = 4u << 20;
    char *s = malloc(n + 8);
    memcpy(s, "# T\n\n", 5);
    for (size_t i = 5; i < n; i++)
        s[i] = "[<(!"[i % 4];
    s[n] = '\0';
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, s, n, LEDE_FORMAT_MD), LEDE_OK);
    cr_expect(x.body_len > n / 2);
    lede_extracted_clear(&x);
    free(s);
}

Test(extract, markdown_front_matter_gives_title_and_date)
{
    lede_extracted x = doc_of("---\ntitle: \"Front title\"\ndate: 2024-05-01\n---\n"
                              "# Heading\n\nBody.\n",
                              LEDE_FORMAT_MD);
    cr_expect_str_eq(x.title, "Front title");
    cr_expect_str_eq(x.date, "2024-05-01");
    cr_expect(contains(x.body, "Body."));
    lede_extracted_clear(&x);

    /* An unclosed block is ordinary text, and its "title:" is not used. */
    x = doc_of("---\ntitle: nope\n\nReal words\n", LEDE_FORMAT_MD);
    cr_expect_null(x.date);
    cr_expect(x.title == NULL || strcmp(x.title, "nope") != 0);
    lede_extracted_clear(&x);
}

/* ---- HTML --------------------------------------------------------- */

Test(extract, html_title_body_entities_and_scripts)
{
    static const struct {
        const char *in, *title, *want, *gone;
    } cases[] = {
        {"<html><head><title>Page &amp; title</title><style>p{x:y}</style></head>"
         "<body><p>Caf&eacute; &lt;b&gt; &#8364;5</p><script>var secret=1;</script></body></html>",
         "Page & title", "Caf\xC3\xA9 <b> \xE2\x82\xAC" "5", "secret"},
        {"<html><body><h1>Heading <b>one</b></h1><p>para</p><noscript>js off</noscript></body>"
         "</html>",
         "Heading one", "para", "js off"},
        {"<p>first</p><p>second</p>", NULL, "first\nsecond", "<p>"},
        {"<body><div>a<br>b</div><template>hidden</template>c&nbsp;d</body>", NULL, "a\nb",
         "hidden"},
        {"<title>T</title><svg><title>icon</title></svg><p>words</p>", "T", "words", "icon"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x = doc_of(cases[i].in, LEDE_FORMAT_HTML);
        if (cases[i].title)
            cr_expect_str_eq(x.title, cases[i].title, "case %zu", i);
        else
            cr_expect_null(x.title, "case %zu: %s", i, x.title);
        cr_expect(contains(x.body, cases[i].want), "case %zu: want \"%s\" in \"%s\"", i,
                  cases[i].want, x.body);
        cr_expect(!contains(x.body, cases[i].gone), "case %zu: \"%s\" in \"%s\"", i,
                  cases[i].gone, x.body);
        lede_extracted_clear(&x);
    }
}

/* Tag names are known whatever their case, each class of them: skipped,
 * block, page part, the article, the title and the first heading. */
Test(extract, html_tags_are_known_in_any_case)
{
    lede_extracted x = doc_of("<HTML><HEAD><TITLE>Big news | Site</TITLE></HEAD><BODY>"
                              "<NAV>menu</NAV><Aside>sidebar</Aside><Article><H1>Big news</H1>"
                              "<P>one</P><DiV>two</DiV><SCRIPT>var code;</SCRIPT><Select>"
                              "<option>choice</option></Select><Footer>own footer</Footer>"
                              "</Article></BODY></HTML>",
                              LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.title, "Big news");
    cr_expect_str_eq(x.body, "Big news\none\ntwo\nown footer");
    lede_extracted_clear(&x);
}

Test(extract, deeply_nested_html_does_not_crash)
{
    size_t depth = 100000, n = 0;
    char *s = malloc(depth * 11 + 64);
    n += (size_t)sprintf(s, "<title>Deep</title>");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(s + n, "<div>");
    n += (size_t)sprintf(s + n, "bottom");
    for (size_t i = 0; i < depth; i++)
        n += (size_t)sprintf(s + n, "</div>");
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, s, n, LEDE_FORMAT_HTML), LEDE_OK);
    cr_expect_str_eq(x.title, "Deep");
    lede_extracted_clear(&x);
    free(s);
}

Test(extract, html_date_and_declared_charset)
{
    lede_extracted x = doc_of("<html><head><meta charset=\"iso-8859-1\">"
                              "<meta name=\"date\" content=\"2001-02-03\"><title>Caf\xE9</title>"
                              "</head><body>na\xEFve</body></html>",
                              LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.title, "Caf\xC3\xA9");
    cr_expect_str_eq(x.body, "na\xC3\xAFve");
    cr_expect_str_eq(x.date, "2001-02-03");
    cr_expect_eq(x.repaired, 0);
    lede_extracted_clear(&x);

    x = doc_of("<p>posted <time datetime=\"2020-01-02T03:04:05Z\">today</time></p>",
               LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.date, "2020-01-02T03:04:05Z");
    lede_extracted_clear(&x);
}

Test(extract, html_that_talks_about_encodings_stays_utf8)
{
    lede_extracted x = doc_of("<title>On character encoding</title><p>The charset of "
                              "this caf\xC3\xA9 page is not declared.</p>",
                              LEDE_FORMAT_HTML);
    cr_expect(contains(x.body, "caf\xC3\xA9 page"), "%s", x.body);
    cr_expect_eq(x.repaired, 0);
    lede_extracted_clear(&x);

    x = doc_of("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><html><body>caf\xE9</body></html>",
               LEDE_FORMAT_HTML);
    cr_expect(contains(x.body, "caf\xC3\xA9"), "%s", x.body);
    lede_extracted_clear(&x);
}

Test(extract, undeclared_html_is_utf8_and_bad_bytes_are_repaired)
{
    lede_extracted x = doc_of("<title>ok</title><p>caf\xC3\xA9\nbad \xFF byte</p>",
                              LEDE_FORMAT_HTML);
    cr_expect(contains(x.body, "caf\xC3\xA9"));
    cr_expect(contains(x.body, "\xEF\xBF\xBD"));
    cr_expect_eq(x.repaired, 1);
    cr_expect_eq(x.repair_line, 2);
    lede_extracted_clear(&x);
}

/* ---- JSON Lines --------------------------------------------------- */

Test(extract, json_fields_and_meta)
{
    const char *line = "{\"id\": \"a1\", \"title\": \"T\", \"date\": \"2005-06-14\", "
                       "\"body\": \"Words here.\", \"categories\": [\"x\", \"y\"], \"n\": 3}";
    lede_extracted x;
    char err[128];
    cr_assert_eq(lede_extract_json(&x, line, strlen(line), NULL, err, sizeof err), LEDE_OK, "%s",
                 err);
    cr_expect_str_eq(x.id, "a1");
    cr_expect_str_eq(x.title, "T");
    cr_expect_str_eq(x.date, "2005-06-14");
    cr_expect_str_eq(x.body, "Words here.");
    cr_expect_str_eq(x.meta_json, "{\"categories\":[\"x\",\"y\"],\"n\":3}");
    lede_extracted_clear(&x);
}

Test(extract, json_body_alternatives_and_numeric_ids)
{
    static const struct {
        const char *line, *id, *body;
    } cases[] = {
        {"{\"id\": 42, \"text\": \"from text\"}", "42", "from text"},
        {"{\"id\": \"x\", \"content\": \"from content\"}", "x", "from content"},
        {"{\"title\": \"only a title\"}", NULL, ""},
        {"{\"id\": \"\", \"body\": \"empty id\"}", NULL, "empty id"},
        {"{\"id\": 1.5, \"body\": \"b\"}", "1.5", "b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x;
        cr_assert_eq(lede_extract_json(&x, cases[i].line, strlen(cases[i].line), NULL, NULL, 0),
                     LEDE_OK, "case %zu", i);
        if (cases[i].id)
            cr_expect_str_eq(x.id, cases[i].id, "case %zu", i);
        else
            cr_expect_null(x.id, "case %zu", i);
        cr_expect_str_eq(x.body, cases[i].body, "case %zu", i);
        cr_expect_null(x.meta_json, "case %zu", i);
        lede_extracted_clear(&x);
    }
}

Test(extract, json_fields_can_be_remapped)
{
    const char *line = "{\"docno\": \"R-7\", \"headline\": \"H\", \"story\": \"S\", "
                       "\"when\": \"1987-02-26\", \"body\": \"kept as meta\"}";
    lede_extract_fields f = {.id = "docno", .title = "headline", .body = "story", .date = "when"};
    lede_extracted x;
    cr_assert_eq(lede_extract_json(&x, line, strlen(line), &f, NULL, 0), LEDE_OK);
    cr_expect_str_eq(x.id, "R-7");
    cr_expect_str_eq(x.title, "H");
    cr_expect_str_eq(x.body, "S");
    cr_expect_str_eq(x.date, "1987-02-26");
    cr_expect_str_eq(x.meta_json, "{\"body\":\"kept as meta\"}");
    lede_extracted_clear(&x);
}

Test(extract, malformed_json_lines_are_rejected_with_a_reason)
{
    static const struct {
        const char *line, *reason;
    } cases[] = {
        {"{\"id\": 1, \"body\": \"unterminated}", "malformed JSON at column"},
        {"[1, 2, 3]", "not a JSON object"},
        {"\"just a string\"", "not a JSON object"},
        {"{\"id\": 1, \"body\": 5}", "\"body\" must be a string"},
        {"{\"id\": [1], \"body\": \"b\"}", "\"id\" must be a string or a number"},
        {"{\"id\": 1, \"title\": {}, \"body\": \"b\"}", "\"title\" must be a string"},
        {"{\"id\": 1}", "no text"},
        {"{\"id\": 1, \"body\": \"b\"} {\"id\": 2}", "text after the object"},
        {"{\"id\": 1, \"body\": \"b\",}", "malformed JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x;
        char err[160];
        cr_expect_eq(lede_extract_json(&x, cases[i].line, strlen(cases[i].line), NULL, err,
                                       sizeof err),
                     LEDE_EINVAL, "case %zu", i);
        cr_expect(contains(err, cases[i].reason), "case %zu: \"%s\"", i, err);
        cr_expect_null(x.body);
        lede_extracted_clear(&x);
    }
}

Test(extract, deeply_nested_json_fails_without_crashing)
{
    size_t depth = 10000;
    char *line = malloc(2 * depth + 32);
    size_t n = (size_t)sprintf(line, "{\"id\":1,\"x\":");
    for (size_t i = 0; i < depth; i++)
        line[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        line[n++] = ']';
    line[n++] = '}';
    lede_extracted x;
    char err[128];
    cr_expect_eq(lede_extract_json(&x, line, n, NULL, err, sizeof err), LEDE_EINVAL);
    cr_expect(contains(err, "malformed JSON"), "%s", err);
    free(line);
}

Test(extract, invalid_utf8_in_json_is_repaired_and_counted)
{
    const char line[] = "{\"id\": \"u\", \"body\": \"ok \xC3\x28 and \xED\xA0\x80 end\"}";
    lede_extracted x;
    cr_assert_eq(lede_extract_json(&x, line, sizeof line - 1, NULL, NULL, 0), LEDE_OK);
    cr_expect(x.repaired >= 2);
    cr_expect_eq(x.repair_line, 1);
    size_t bad, first;
    char *again;
    size_t again_len;
    cr_assert_eq(lede_extract_repair_utf8(&again, &again_len, &bad, &first, x.body, x.body_len),
                 LEDE_OK);
    cr_expect_eq(bad, 0, "output is valid UTF-8");
    free(again);
    lede_extracted_clear(&x);
}

/* ---- bytes -------------------------------------------------------- */

Test(extract, utf8_repair_counts_and_locates)
{
    static const struct {
        const char *in;
        size_t len, bad, line;
        const char *out;
    } cases[] = {
        {"plain ascii", 11, 0, 0, "plain ascii"},
        {"caf\xC3\xA9", 5, 0, 0, "caf\xC3\xA9"},
        {"a\nb\n\xFF", 5, 1, 3, "a\nb\n\xEF\xBF\xBD"},
        {"nul\0byte", 8, 1, 1, "nul\xEF\xBF\xBD" "byte"},
        {"\xC0\xAF", 2, 2, 1, "\xEF\xBF\xBD\xEF\xBF\xBD"},   /* overlong '/' */
        {"x\xE2\x82", 3, 2, 1, "x\xEF\xBF\xBD\xEF\xBF\xBD"}, /* truncated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out;
        size_t out_len, bad, line;
        cr_assert_eq(lede_extract_repair_utf8(&out, &out_len, &bad, &line, cases[i].in,
                                              cases[i].len),
                     LEDE_OK);
        cr_expect_eq(bad, cases[i].bad, "case %zu: %zu", i, bad);
        cr_expect_eq(line, cases[i].line, "case %zu", i);
        cr_expect_str_eq(out, cases[i].out, "case %zu", i);
        cr_expect_eq(out_len, strlen(cases[i].out));
        free(out);
    }
}

Test(extract, invalid_utf8_in_text_is_repaired_with_its_line)
{
    /* Mostly UTF-8 (caf\xC3\xA9) with one stray byte: UTF-8, the byte replaced. */
    const char in[] = "Title\n\ncaf\xC3\xA9 fine line\nbroken \xFE line\n";
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, in, sizeof in - 1, LEDE_FORMAT_TXT), LEDE_OK);
    cr_expect_eq(x.repaired, 1);
    cr_expect_eq(x.repair_line, 4);
    cr_expect(contains(x.body, "broken \xEF\xBF\xBD line"));
    lede_extracted_clear(&x);
}

Test(extract, terminal_control_bytes_do_not_survive)
{
    lede_extracted x = doc_of("Ti\x1b[31mtle\n\nbody \x1b]0;pwned\x07 end", LEDE_FORMAT_TXT);
    cr_expect(!contains(x.title, "\x1b"));
    cr_expect(!contains(x.body, "\x1b"));
    cr_expect(!contains(x.body, "\x07"));
    lede_extracted_clear(&x);
}

Test(extract, binary_files_are_detected)
{
    static const struct {
        const char *in;
        size_t len;
        bool binary;
    } cases[] = {
        {"%PDF-1.4 ...", 12, true},
        {"\x89PNG\r\n\x1a\n", 8, true},
        {"PK\x03\x04zip", 7, true},
        {"\x7f" "ELF\x02\x01", 6, true},
        {"text\0with nul", 13, true},
        {"T\0i\0t\0l\0e\0", 10, false}, /* UTF-16LE text: converted, not skipped */
        {"\xFF\xFE" "a\0b\0", 6, false},    /* UTF-16 with its byte-order mark */
        {"\0\0\0\0\0\0\0\0\0\0", 10, true}, /* NULs alone are not UTF-16 */
        {"\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f", 10, true},
        {"Plain text\nwith lines\n", 22, false},
        {"caf\xC3\xA9 \xE2\x80\x9cquoted\xE2\x80\x9d", 16, false},
        {"", 0, false},
        {"colour \x1b[1mbold\x1b[0m", 19, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(lede_extract_is_binary(cases[i].in, cases[i].len), cases[i].binary,
                     "case %zu", i);
}

/* The scans step over eight bytes at a time: a NUL or a run of control
 * bytes is found at every offset of the word, and nothing past 8 KB counts. */
Test(extract, binary_bytes_are_found_at_every_offset)
{
    static char buf[8300];
    for (size_t at = 0; at < sizeof buf - 16; at = at < 40 ? at + 1 : at < 8150 ? at + 997 : at + 1) {
        memset(buf, 'a', sizeof buf);
        buf[at] = '\0';
        cr_expect_eq(lede_extract_is_binary(buf, sizeof buf), at < 8192, "NUL at %zu", at);
    }
    memset(buf, 'a', 100);
    for (size_t at = 0; at < 16; at++) {
        memset(buf, 'a', 100);
        memset(buf + at, '\x01', 11); /* more than a tenth of 100 bytes */
        cr_expect(lede_extract_is_binary(buf, 100), "controls at %zu", at);
        buf[at] = 'a'; /* ten: not binary */
        cr_expect(!lede_extract_is_binary(buf, 100), "ten controls at %zu", at + 1);
    }
}

/* A page that declares Latin-1 but is valid UTF-8 is UTF-8 wherever its
 * first non-ASCII character is. */
Test(extract, utf8_beyond_ascii_is_seen_at_every_offset)
{
    for (size_t pad = 0; pad < 20; pad++) {
        char page[256];
        snprintf(page, sizeof page,
                 "<html><head><meta charset=\"iso-8859-1\"></head><body>%.*sR\xC3\xA9sum\xC3\xA9"
                 "</body></html>",
                 (int)pad, "xxxxxxxxxxxxxxxxxxxx");
        lede_extracted x = doc_of(page, LEDE_FORMAT_HTML);
        cr_expect(contains(x.body, "R\xC3\xA9sum\xC3\xA9"), "pad %zu: %s", pad, x.body);
        lede_extracted_clear(&x);
    }
}

Test(extract, jsonl_is_not_a_whole_document_format)
{
    lede_extracted x;
    cr_expect_eq(lede_extract_document(&x, "{}", 2, LEDE_FORMAT_JSONL), LEDE_EINVAL);
    cr_expect_null(x.body);
}

/* ---- dates -------------------------------------------------------- */

/* Found by indexing real dumps: dates were stored as found, and the index
 * compares them as strings, so "5 March 2024" passed --since 2024-06 and
 * sorted after every ISO date. */
Test(extract, dates_are_stored_in_iso_form)
{
    static const struct {
        const char *in, *iso; /* iso NULL: not understood */
    } cases[] = {
        {"2024-03-05", "2024-03-05"},
        {"2024", "2024"},
        {"1958-12", "1958-12"},
        {"2024/3/5", "2024-03-05"},
        {"20240305", "2024-03-05"},
        {"2024-03-05 10:00:00", "2024-03-05T10:00:00"},
        {"2020-01-02T03:04:05Z", "2020-01-02T03:04:05Z"},
        {"2024-03-05T10:00:00.123+05:30", "2024-03-05T10:00:00+05:30"},
        {"1987-02-26T15:01:01", "1987-02-26T15:01:01"},
        {"5 March 2024", "2024-03-05"},
        {"05-Mar-1987 15:01:01.79", "1987-03-05T15:01:01"},
        {"March 5, 2024", "2024-03-05"},
        {"Tuesday, March 5th, 2024", "2024-03-05"},
        {"Sept 3, 2019 5:30 pm", "2019-09-03T17:30:00"},
        {"March 2024", "2024-03"},
        {"Tue, 05 Mar 2024 10:00:00 +0000", "2024-03-05T10:00:00Z"},
        {"Wed, 2 Oct 2002 13:00:00 -0500 (EST)", "2002-10-02T13:00:00-05:00"},
        {"Wed, 02 Oct 02 08:00:00 EST", "2002-10-02T08:00:00-05:00"},
        {"1709632800", "2024-03-05T10:00:00Z"},
        {"1709632800123", "2024-03-05T10:00:00Z"},
        {"  2024-03-05 \n", "2024-03-05"},
        {"05/03/2024", NULL}, /* day or month first: not guessed */
        {"2024-02-30", NULL},
        {"2024-13", NULL},
        {"Monsoon 2024", NULL},
        {"garbage", NULL},
        {"12:00", NULL},
        {"", NULL},
        /* Found by fuzzing: 19 digits overflowed the epoch's parse. */
        {"9999999999999999999", NULL},
        {"99999999999999999999999", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        bool ok = lede_extract_date_iso(out, sizeof out, cases[i].in);
        if (cases[i].iso) {
            cr_expect(ok, "'%s' not understood", cases[i].in);
            if (ok)
                cr_expect_str_eq(out, cases[i].iso, "'%s'", cases[i].in);
        } else {
            cr_expect(!ok, "'%s' read as %s", cases[i].in, out);
        }
    }
}

Test(extract, json_dates_are_iso_and_unreadable_ones_stay_in_meta)
{
    lede_extracted x;
    char err[128];
    const char *a = "{\"id\": \"a\", \"date\": \"Tue, 05 Mar 2024 10:00:00 GMT\", \"body\": \"b\"}";
    cr_assert_eq(lede_extract_json(&x, a, strlen(a), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_str_eq(x.date, "2024-03-05T10:00:00Z");
    cr_expect_null(x.meta_json);
    cr_expect(!x.date_unread);
    lede_extracted_clear(&x);

    const char *b = "{\"id\": \"b\", \"published\": 1709632800, \"body\": \"b\"}";
    lede_extract_fields f = {.date = "published"};
    cr_assert_eq(lede_extract_json(&x, b, strlen(b), &f, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_str_eq(x.date, "2024-03-05T10:00:00Z");
    lede_extracted_clear(&x);

    const char *c = "{\"id\": \"c\", \"date\": \"05/03/2024\", \"body\": \"b\", \"n\": 1}";
    cr_assert_eq(lede_extract_json(&x, c, strlen(c), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_null(x.date);
    cr_expect(x.date_unread);
    cr_expect_str_eq(x.meta_json, "{\"date\":\"05/03/2024\",\"n\":1}");
    lede_extracted_clear(&x);

    const char *d = "{\"id\": \"d\", \"date\": \"\", \"body\": \"b\"}"; /* empty: no date */
    cr_assert_eq(lede_extract_json(&x, d, strlen(d), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_null(x.date);
    cr_expect_null(x.meta_json);
    cr_expect(!x.date_unread);
    lede_extracted_clear(&x);
}

Test(extract, document_dates_are_iso_too)
{
    lede_extracted x = doc_of("---\ntitle: T\ndate: 5 March 2024\n---\nBody\n", LEDE_FORMAT_MD);
    cr_expect_str_eq(x.date, "2024-03-05");
    lede_extracted_clear(&x);
    x = doc_of("<html><head><meta name=\"date\" content=\"March 5, 2024\"></head>"
               "<body><p>x</p></body></html>",
               LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.date, "2024-03-05");
    lede_extracted_clear(&x);
    x = doc_of("---\ndate: someday\n---\nTitle\n\nBody\n", LEDE_FORMAT_MD);
    cr_expect_null(x.date);
    cr_expect_str_eq(x.meta_json, "{\"date\":\"someday\"}");
    lede_extracted_clear(&x);
}

/* ---- legacy encodings --------------------------------------------- */

/* Found by indexing a folder of old articles: Latin-1 text came out as
 * "R\uFFFDsum\uFFFD" (unsearchable), and UTF-16 files saved by Windows
 * tools were skipped as "binary file". */
Test(extract, latin1_text_is_read_as_windows_1252)
{
    const char in[] = "R\xE9sum\xE9\n\nCaf\xE9 na\xEFve \x93quoted\x94 \x80 5\n";
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, in, sizeof in - 1, LEDE_FORMAT_TXT), LEDE_OK);
    cr_expect_str_eq(x.title, "R\xC3\xA9sum\xC3\xA9");
    cr_expect_str_eq(x.body, "Caf\xC3\xA9 na\xC3\xAFve \xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC 5");
    cr_expect_str_eq(x.charset, "windows-1252");
    cr_expect_eq(x.repaired, 7); /* the bytes read as 1252: the caller warns */
    cr_expect_eq(x.repair_line, 1);
    lede_extracted_clear(&x);

    const char html[] = "<html><body><h1>\xC9lection</h1><p>d\xE9put\xE9</p></body></html>";
    cr_assert_eq(lede_extract_document(&x, html, sizeof html - 1, LEDE_FORMAT_HTML), LEDE_OK);
    cr_expect_str_eq(x.title, "\xC3\x89lection");
    cr_expect(contains(x.body, "d\xC3\xA9put\xC3\xA9"), "%s", x.body);
    lede_extracted_clear(&x);
}

Test(extract, utf16_text_is_converted)
{
    static const struct {
        const char *in;
        size_t len;
    } cases[] = {
        {"\xFF\xFET\0i\0\n\0\n\0c\0\xE9\0=\xD8\0\xDE", 18},  /* LE, BOM, é and U+1F600 */
        {"\xFE\xFF\0T\0i\0\n\0\n\0c\0\xE9\xD8=\xDE\0", 18},  /* BE, BOM */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x;
        cr_expect(!lede_extract_is_binary(cases[i].in, cases[i].len), "case %zu", i);
        cr_assert_eq(lede_extract_document(&x, cases[i].in, cases[i].len, LEDE_FORMAT_TXT),
                     LEDE_OK);
        cr_expect_str_eq(x.title, "Ti", "case %zu", i);
        cr_expect_str_eq(x.body, "c\xC3\xA9\xF0\x9F\x98\x80", "case %zu", i);
        cr_expect_eq(x.repaired, 0, "case %zu", i);
        lede_extracted_clear(&x);
    }
    /* Without a byte-order mark: Latin-script text, every other byte NUL. */
    const char le[] = "T\0i\0\n\0\n\0c\0\xE9\0 \0w\0o\0r\0d\0s\0";
    lede_extracted x;
    cr_expect(!lede_extract_is_binary(le, sizeof le - 1));
    cr_assert_eq(lede_extract_document(&x, le, sizeof le - 1, LEDE_FORMAT_TXT), LEDE_OK);
    cr_expect_str_eq(x.title, "Ti");
    cr_expect_str_eq(x.body, "c\xC3\xA9 words");
    cr_expect_str_eq(x.charset, "UTF-16LE");
    lede_extracted_clear(&x);
}

/* ---- JSON escapes ------------------------------------------------- */

/* Found by indexing dumps written by JavaScript and Python: \u0000 cut the
 * title and body short without a word, and a lone surrogate lost the whole
 * record as "malformed JSON". */
Test(extract, json_nul_escapes_and_lone_surrogates_lose_nothing)
{
    lede_extracted x;
    char err[128];
    const char *a = "{\"id\": \"a\", \"title\": \"Nul \\u0000 inside\", \"body\": \"one \\u0000 two\"}";
    cr_assert_eq(lede_extract_json(&x, a, strlen(a), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_str_eq(x.title, "Nul   inside");
    cr_expect_str_eq(x.body, "one   two");
    cr_expect_eq(x.repaired, 0);
    lede_extracted_clear(&x);

    const char *b = "{\"id\": \"b\", \"title\": \"Lone \\ud800 high\", \"body\": \"low \\uDC00 "
                    "pair \\ud83d\\ude00 escaped \\\\ud800 end\"}";
    cr_assert_eq(lede_extract_json(&x, b, strlen(b), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_str_eq(x.title, "Lone \xEF\xBF\xBD high");
    cr_expect_str_eq(x.body, "low \xEF\xBF\xBD pair \xF0\x9F\x98\x80 escaped \\ud800 end");
    cr_expect_eq(x.repaired, 2);
    cr_expect_eq(x.repair_line, 1);
    lede_extracted_clear(&x);
}

/* Control characters written as escapes (\u0007, \u001b, \u007f) become
 * spaces wherever they fall in the eight-byte words the scan tests at once,
 * tabs and newlines stay, and a backslash escape at the end is still seen. */
Test(extract, json_control_escapes_become_spaces_at_every_offset)
{
    static const char *const esc[] = {"\\u0007", "\\u001b", "\\u007f", "\\u0001"};
    char rec[256], want[96], err[128];
    for (int at = 0; at < 20; at++) {
        for (size_t e = 0; e < sizeof esc / sizeof *esc; e++) {
            char body[24];
            memset(body, 'a', (size_t)at);
            body[at] = '\0';
            snprintf(rec, sizeof rec, "{\"id\": \"x\", \"body\": \"%s%sb\\tc\\nd\\\\\"}", body,
                     esc[e]);
            snprintf(want, sizeof want, "%s b\tc\nd\\", body);
            lede_extracted x;
            cr_assert_eq(lede_extract_json(&x, rec, strlen(rec), NULL, err, sizeof err), LEDE_OK,
                         "%s: %s", rec, err);
            cr_expect_str_eq(x.body, want, "%s", rec);
            lede_extracted_clear(&x);
        }
    }
}

Test(extract, json_numeric_titles_are_kept)
{
    lede_extracted x;
    char err[128];
    const char *a = "{\"id\": \"a\", \"title\": 1984, \"body\": \"Orwell\"}";
    cr_assert_eq(lede_extract_json(&x, a, strlen(a), NULL, err, sizeof err), LEDE_OK, "%s", err);
    cr_expect_str_eq(x.title, "1984");
    lede_extracted_clear(&x);
    const char *b = "{\"id\": \"b\", \"title\": [\"x\"], \"body\": \"y\"}";
    cr_expect_eq(lede_extract_json(&x, b, strlen(b), NULL, err, sizeof err), LEDE_EINVAL);
    cr_expect(contains(err, "\"title\" must be a string or a number"), "%s", err);
}

/* ---- titles and charsets of real files ------------------------------ */

/* Found indexing a text file written as one long line (no title line): the
 * whole 2 MB text became the title and the body was empty. */
Test(extract, a_paragraph_is_not_a_title)
{
    char text[2000];
    size_t n = 0;
    for (int i = 0; n + 16 < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "word%d ", i);
    text[n - 1] = '\n';
    lede_extracted x;
    cr_assert_eq(lede_extract_document(&x, text, n, LEDE_FORMAT_TXT), LEDE_OK);
    cr_expect_leq(x.title_len, 124);
    cr_expect(contains(x.title, "word0 word1 "), "%s", x.title);
    cr_expect(contains(x.title, "\xE2\x80\xA6"), "%s", x.title); /* "…": cut */
    cr_expect(!contains(x.title, "  "), "%s", x.title);
    cr_expect_eq(strlen(x.title), x.title_len);
    cr_expect(contains(x.body, "word0 word1 "), "the body keeps the first line");
    cr_expect(contains(x.body, "word100 "));
    lede_extracted_clear(&x);

    /* A real title line stays whole. */
    x = doc_of("A headline of ordinary length\n\nBody.", LEDE_FORMAT_TXT);
    cr_expect_str_eq(x.title, "A headline of ordinary length");
    cr_expect_str_eq(x.body, "Body.");
    lede_extracted_clear(&x);
}

/* Found indexing saved web pages: a page converted to UTF-8 that still
 * declares iso-8859-1 came out as "CafÃ©" (unsearchable). */
Test(extract, utf8_html_that_declares_latin1_is_read_as_utf8)
{
    lede_extracted x = doc_of("<html><head><meta charset=\"iso-8859-1\"><title>Caf\xC3\xA9"
                              "</title></head><body>R\xC3\xA9sum\xC3\xA9</body></html>",
                              LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.title, "Caf\xC3\xA9");
    cr_expect_str_eq(x.body, "R\xC3\xA9sum\xC3\xA9");
    cr_expect_eq(x.repaired, 0);
    lede_extracted_clear(&x);
}

/* Found indexing saved news pages: the site menu in <nav> ("Home | World |
 * Sport") began every document's text and every snippet. */
Test(extract, html_navigation_menus_are_not_text)
{
    lede_extracted x = doc_of("<html><body><nav><a href=/>Home</a> | <a>Sport</a></nav>"
                              "<article><h1>Flood</h1><p>Rain fell.</p></article>"
                              "<form><select><option>Afghanistan</option></select>"
                              "<button>Subscribe</button></form></body></html>",
                              LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.title, "Flood");
    cr_expect(!contains(x.body, "Home"), "%s", x.body);
    cr_expect(!contains(x.body, "Afghanistan"), "%s", x.body);
    cr_expect(!contains(x.body, "Subscribe"), "%s", x.body);
    cr_expect(contains(x.body, "Rain fell."), "%s", x.body);
    lede_extracted_clear(&x);
}

/* ---- The article in a saved news page ---------------------------- */

/* A paragraph of n copies of a sentence, for pages whose article must be
 * long enough to count as one. */
static char *para(const char *sentence, int n)
{
    size_t len = strlen(sentence);
    char *p = malloc((len + 1) * (size_t)n + 8);
    cr_assert_not_null(p);
    char *q = p;
    q += sprintf(q, "<p>");
    for (int i = 0; i < n; i++)
        q += sprintf(q, "%s ", sentence);
    sprintf(q, "</p>");
    return p;
}

/* Found indexing a saved news site: every page carried the same "Most
 * read" sidebar and footer, so a word of one sidebar headline matched every
 * page, and snippets quoted it; and every title ended in " | The Daily
 * News".  The article the page marks is what is indexed. */
Test(extract, html_news_page_keeps_the_article_not_the_sidebar)
{
    char *story = para("The river rose two metres overnight in Zqtown.", 20);
    char page[8192];
    snprintf(page, sizeof page,
             "<html><head><title>Flood warning in Zqtown | The Daily News</title></head><body>"
             "<header><a href=/>The Daily News</a><nav>World Sport</nav></header>"
             "<main><article><h1>Flood warning in Zqtown</h1>%s"
             "<aside>Fact box: zqfactbox</aside><footer>zqbyline</footer></article>"
             "<aside><h2>Most read</h2><a>Zqsidebar scandal deepens</a></aside></main>"
             "<div role=\"complementary\">zqrole</div><div hidden>zqhidden</div>"
             "<span aria-hidden=\"true\">zqariahidden</span>"
             "<footer>Copyright zqfooter</footer></body></html>",
             story);
    lede_extracted x = doc_of(page, LEDE_FORMAT_HTML);
    cr_expect_str_eq(x.title, "Flood warning in Zqtown");
    cr_expect(contains(x.body, "The river rose two metres"), "%s", x.body);
    cr_expect(contains(x.body, "zqfactbox"), "an article's own aside stays: %s", x.body);
    cr_expect(contains(x.body, "zqbyline"), "an article's own footer stays: %s", x.body);
    const char *gone[] = {"Zqsidebar", "zqfooter", "zqrole", "zqhidden", "zqariahidden",
                          "The Daily News"};
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        cr_expect(!contains(x.body, gone[i]), "%s in: %s", gone[i], x.body);
    lede_extracted_clear(&x);
    free(story);
}

/* tmpl with @A and @B replaced by a and b. */
static void fill(char *out, size_t cap, const char *tmpl, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        const char *s = p[0] == '@' && p[1] == 'A' ? a : p[0] == '@' && p[1] == 'B' ? b : NULL;
        size_t len = s ? strlen(s) : 1;
        cr_assert_lt(n + len, cap);
        memcpy(out + n, s ? s : p, len);
        n += len;
        p += s != NULL;
    }
    out[n] = '\0';
}

Test(extract, html_marks_chosen_in_order_and_only_when_they_hold_the_text)
{
    char *story = para("Talks resumed in Zqcity on Monday.", 20);
    char *teaser = para("A teaser zqteaser.", 3);
    char *comment = para("I disagree zqcomment.", 3);
    char page[16384];
    struct {
        const char *fmt; /* @A and @B stand for the two paragraphs */
        const char *want[3], *unwanted[2];
    } cases[] = {
        /* itemprop="articleBody" over the <article> around it */
        {"<body><article><div class=share>zqshare</div><div itemprop=\"articleBody\">@A</div>"
         "</article></body>",
         {"Talks resumed"}, {"zqshare"}},
        /* Comments as <article>s inside the story count as the story's. */
        {"<body><div>zqoutside</div><article>@A<section><article>@B</article></section></article>"
         "</body>",
         {"Talks resumed", "zqcomment"}, {"zqoutside"}},
        /* A listing page: equal teasers, no article stands out: all kept. */
        {"<body><div>zqoutside</div><article>@A</article><article>@B</article></body>",
         {"zqteaser", "zqoutside"}, {NULL}},
        /* A short marked teaser beside an unmarked story: the whole body. */
        {"<body><article>@A</article><div>@B</div></body>", {"zqteaser", "Talks resumed"}, {NULL}},
        /* <main> when nothing else is marked; its sidebar goes. */
        {"<body><div>zqoutside</div><div role=\"main\">@A<aside>zqaside</aside></div></body>",
         {"Talks resumed"}, {"zqoutside", "zqaside"}},
    };
    const char *args[][2] = {{story, NULL}, {story, comment}, {teaser, teaser},
                             {teaser, story}, {story, NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fill(page, sizeof page, cases[i].fmt, args[i][0], args[i][1]);
        lede_extracted x = doc_of(page, LEDE_FORMAT_HTML);
        for (size_t k = 0; k < 3 && cases[i].want[k]; k++)
            cr_expect(contains(x.body, cases[i].want[k]), "case %zu: no %s in: %s", i,
                      cases[i].want[k], x.body);
        for (size_t k = 0; k < 2 && cases[i].unwanted[k]; k++)
            cr_expect(!contains(x.body, cases[i].unwanted[k]), "case %zu: %s in: %s", i,
                      cases[i].unwanted[k], x.body);
        lede_extracted_clear(&x);
    }
    free(story);
    free(teaser);
    free(comment);
}

Test(extract, html_title_loses_the_site_name_only_when_the_heading_is_in_it)
{
    struct {
        const char *in, *title;
    } cases[] = {
        {"<title>BBC News - Storm hits coast</title><body><h1>Storm hits coast</h1></body>",
         "Storm hits coast"},
        {"<title>Storm hits coast</title><body><h1>Weather</h1></body>", "Storm hits coast"},
        {"<body><h1>Only a heading</h1></body>", "Only a heading"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lede_extracted x = doc_of(cases[i].in, LEDE_FORMAT_HTML);
        cr_expect_str_eq(x.title, cases[i].title);
        lede_extracted_clear(&x);
    }
}

/* ---- Markdown as blogs write it ------------------------------------- */

/* Found indexing Jekyll and Hugo posts: with a front-matter title, the
 * first line of the body (the article's opening paragraph) was dropped
 * without a word; Hugo's TOML front matter (+++) was not recognised, so
 * the title was "+++"; an HTML comment over several lines left its inside
 * in the text; and a link whose text holds brackets kept half its markup. */
Test(extract, markdown_posts_keep_their_opening_paragraph)
{
    lede_extracted x = doc_of("---\ntitle: Front\n---\nOpening paragraph.\n\nSecond one.\n",
                              LEDE_FORMAT_MD);
    cr_expect_str_eq(x.title, "Front");
    cr_expect_str_eq(x.body, "Opening paragraph.\n\nSecond one.");
    lede_extracted_clear(&x);

    x = doc_of("+++\ntitle = \"Hugo post\"\ndate = 2024-03-05T10:00:00Z\ndraft = false\n+++\n\n"
               "Hugo opening.\n",
               LEDE_FORMAT_MD);
    cr_expect_str_eq(x.title, "Hugo post");
    cr_expect_str_eq(x.date, "2024-03-05T10:00:00Z");
    cr_expect_str_eq(x.body, "Hugo opening.");
    lede_extracted_clear(&x);

    x = doc_of("Title\n\n<!--\nhidden note\n-->\nSee [a [nested] link](http://x.org/a_(b)) "
               "and [![Badge](b.svg)](http://ci) done.\n",
               LEDE_FORMAT_MD);
    cr_expect(!contains(x.body, "hidden"), "%s", x.body);
    cr_expect(!contains(x.body, "-->"), "%s", x.body);
    cr_expect(contains(x.body, "See a nested link and Badge done."), "%s", x.body);
    lede_extracted_clear(&x);
}

/* Found indexing saved news pages: their dates are in schema.org microdata
 * (itemprop="datePublished") or Dublin Core's dc.date.issued, which were
 * not read, so the pages were undated. */
Test(extract, html_dates_from_news_site_markup)
{
    static const char *const pages[] = {
        "<html><head><meta itemprop=\"datePublished\" content=\"2019-07-04T08:00:00Z\">"
        "</head><body><p>x</p></body></html>",
        "<html><head><meta name=\"DC.date.issued\" content=\"2019-07-04T08:00:00Z\">"
        "</head><body><p>x</p></body></html>",
        "<html><head><meta name=\"parsely-pub-date\" content=\"2019-07-04T08:00:00Z\">"
        "</head><body><p>x</p></body></html>",
    };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
        lede_extracted x = doc_of(pages[i], LEDE_FORMAT_HTML);
        cr_expect_str_eq(x.date, "2019-07-04T08:00:00Z", "page %zu", i);
        lede_extracted_clear(&x);
    }
}

/* Found with a typo in --body-field on Reuters: every record was indexed
 * with an empty body (its text moved to the metadata) and "50 added, 0
 * failed"; a typo in --id-field named every record FILE:LINE.  A field
 * named explicitly that a record lacks is now that record's error. */
Test(extract, explicitly_named_fields_must_be_there)
{
    lede_extracted x;
    char err[128];
    const char *line = "{\"id\": \"1\", \"title\": \"T\", \"body\": \"words\"}";
    lede_extract_fields f = {.body = "bodytext"};
    cr_expect_eq(lede_extract_json(&x, line, strlen(line), &f, err, sizeof err), LEDE_EINVAL);
    cr_expect(contains(err, "no field \"bodytext\" (--body-field)"), "%s", err);
    f = (lede_extract_fields){.id = "docid"};
    cr_expect_eq(lede_extract_json(&x, line, strlen(line), &f, err, sizeof err), LEDE_EINVAL);
    cr_expect(contains(err, "no field \"docid\" (--id-field)"), "%s", err);
    const char *null_id = "{\"docid\": null, \"body\": \"words\"}";
    cr_expect_eq(lede_extract_json(&x, null_id, strlen(null_id), &f, err, sizeof err),
                 LEDE_EINVAL);
    /* Title and date stay optional, named or not. */
    f = (lede_extract_fields){.title = "headline", .date = "when"};
    cr_assert_eq(lede_extract_json(&x, line, strlen(line), &f, err, sizeof err), LEDE_OK, "%s",
                 err);
    cr_expect_null(x.title);
    lede_extracted_clear(&x);
}

/* Found indexing Markdown exported from a CMS: &eacute; and &#8217; stayed
 * written out ("caf&eacute;" was not the word "café"); only a handful of
 * named entities were decoded. */
Test(extract, markdown_entities_are_decoded)
{
    lede_extracted x = doc_of("Title\n\ncaf&eacute; it&#8217;s &#x2014; &copy; &#27;[31m "
                              "&bogus; & alone AT&T&amp;\n",
                              LEDE_FORMAT_MD);
    cr_expect_str_eq(x.body, "caf\xC3\xA9 it\xE2\x80\x99s \xE2\x80\x94 \xC2\xA9 &#27;[31m "
                             "&bogus; & alone AT&T&");
    lede_extracted_clear(&x);
}
