/*
 * extract.c — input formats: the bytes of one file (or one JSON line) in,
 * title/body/date/id/meta out, always as valid UTF-8.
 *
 * Owns: format names and detection, binary detection, UTF-8 repair, the
 * Markdown stripper, the HTML walk over libxml2's tree and the JSON Lines
 * field mapping over cJSON.  Must not touch the index, the analyzer or the
 * file system: callers read the bytes and decide what to do with the result.
 */
#include "common.h"

#include "extract.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

/* ------------------------------------------------------------------ */
/* A growable string with a sticky failure flag                        */
/* ------------------------------------------------------------------ */

/* lib/buf.h belongs to the store; extraction needs only appends, so it keeps
 * its own few lines rather than depend on another module's internals. */
typedef struct sbuf {
    char *p;
    size_t n;
    size_t cap;
    bool failed;
} sbuf;

static bool sb_reserve(sbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->n + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return false;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static void sb_add(sbuf *b, const char *s, size_t len)
{
    if (!sb_reserve(b, len))
        return;
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = '\0';
}

static void sb_addc(sbuf *b, char c)
{
    sb_add(b, &c, 1);
}

/* Hand the bytes over (NUL-terminated, never NULL unless allocation failed). */
static char *sb_take(sbuf *b, size_t *len_out)
{
    if (!sb_reserve(b, 0)) {
        free(b->p);
        *b = (sbuf){0};
        return NULL;
    }
    b->p[b->n] = '\0';
    char *p = b->p;
    if (len_out)
        *len_out = b->n;
    *b = (sbuf){0};
    return p;
}

static void sb_free(sbuf *b)
{
    free(b->p);
    *b = (sbuf){0};
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* Formats                                                             */
/* ------------------------------------------------------------------ */

static const struct {
    const char *name;
    lede_format fmt;
} format_names[] = {
    {"auto", LEDE_FORMAT_AUTO},  {"txt", LEDE_FORMAT_TXT},     {"text", LEDE_FORMAT_TXT},
    {"md", LEDE_FORMAT_MD},      {"markdown", LEDE_FORMAT_MD}, {"html", LEDE_FORMAT_HTML},
    {"htm", LEDE_FORMAT_HTML},   {"jsonl", LEDE_FORMAT_JSONL}, {"ndjson", LEDE_FORMAT_JSONL},
    {"json", LEDE_FORMAT_JSON},
};

int lede_extract_format_parse(lede_format *out, const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(format_names); i++) {
        if (strcasecmp(name, format_names[i].name) == 0) {
            *out = format_names[i].fmt;
            return LEDE_OK;
        }
    }
    *out = LEDE_FORMAT_AUTO;
    return LEDE_EINVAL;
}

const char *lede_extract_format_name(lede_format fmt)
{
    switch (fmt) {
    case LEDE_FORMAT_AUTO: return "auto";
    case LEDE_FORMAT_TXT: return "txt";
    case LEDE_FORMAT_MD: return "md";
    case LEDE_FORMAT_HTML: return "html";
    case LEDE_FORMAT_JSONL: return "jsonl";
    case LEDE_FORMAT_JSON: return "json";
    }
    return "auto";
}

/* Whether the extension ext[0..n) (without its dot) is name, in any case. */
static bool ext_is(const char *ext, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(ext, name, n) == 0;
}

lede_format lede_extract_format_of_path(const char *path)
{
    static const struct {
        const char *ext;
        lede_format fmt;
    } exts[] = {
        {"txt", LEDE_FORMAT_TXT},     {"text", LEDE_FORMAT_TXT},  {"md", LEDE_FORMAT_MD},
        {"markdown", LEDE_FORMAT_MD}, {"html", LEDE_FORMAT_HTML}, {"htm", LEDE_FORMAT_HTML},
        {"xhtml", LEDE_FORMAT_HTML},  {"jsonl", LEDE_FORMAT_JSONL}, {"ndjson", LEDE_FORMAT_JSONL},
        {"json", LEDE_FORMAT_JSON},
    };
    /* A compressed file (the indexer reads gzip, xz and zstd) has the
     * format of its name without the compression suffix: dump.jsonl.gz. */
    static const char *const packed[] = {"gz", "xz", "zst", "zstd"};
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t len = strlen(base);
    bool unpacked = false;
    for (;;) {
        const char *dot = memrchr(base, '.', len);
        if (!dot || dot == base)
            return LEDE_FORMAT_AUTO;
        const char *ext = dot + 1;
        size_t n = len - (size_t)(ext - base);
        for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
            if (ext_is(ext, n, exts[i].ext))
                return exts[i].fmt;
        size_t i = 0;
        while (i < ARRAY_SIZE(packed) && !ext_is(ext, n, packed[i]))
            i++;
        if (unpacked || i == ARRAY_SIZE(packed))
            return LEDE_FORMAT_AUTO; /* unknown, or compressed twice */
        unpacked = true;
        len = (size_t)(dot - base);
    }
}

lede_format lede_extract_format_sniff(const char *buf, size_t len)
{
    size_t i = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && isspace((unsigned char)buf[i]))
        i++;
    if (i < len && buf[i] == '[')
        return LEDE_FORMAT_JSON;
    if (i < len && buf[i] == '{') {
        /* One object a line, or one object over several (`jq .` output)?
         * A line end inside the first object's brackets, outside its
         * strings, says the second. */
        lede_json_scan js = {0};
        for (; i < len && !lede_extract_json_step(&js, buf[i]); i++)
            if (buf[i] == '\n')
                return js.in_str ? LEDE_FORMAT_JSONL : LEDE_FORMAT_JSON;
        return LEDE_FORMAT_JSONL;
    }
    if (i < len && buf[i] == '<') {
        size_t n = LEDE_MIN(len - i, (size_t)512);
        for (size_t j = i; j + 5 <= i + n; j++)
            if (strncasecmp(buf + j, "<html", 5) == 0 || strncasecmp(buf + j, "<!doc", 5) == 0)
                return LEDE_FORMAT_HTML;
    }
    return LEDE_FORMAT_TXT;
}

/* ------------------------------------------------------------------ */
/* Binary detection and UTF-8 repair                                   */
/* ------------------------------------------------------------------ */

bool lede_extract_is_binary(const char *buf, size_t len)
{
    /* Signatures of files people keep beside their articles. */
    static const struct {
        const char *magic;
        size_t len;
    } sigs[] = {
        {"%PDF-", 5},           {"PK\x03\x04", 4},      {"\x1f\x8b", 2},
        {"\x89PNG", 4},         {"\xff\xd8\xff", 3},    {"GIF8", 4},
        {"\x7f" "ELF", 4},      {"\x28\xb5\x2f\xfd", 4}, {"BZh", 3},
        {"\xfd" "7zXZ", 5},     {"SQLite format 3", 15},
    };
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
        if (len >= sigs[i].len && memcmp(buf, sigs[i].magic, sigs[i].len) == 0)
            return true;
    /* Like git and grep: a NUL in the first 8 KB means binary.  Text that is
     * mostly other control bytes is binary too. */
    size_t n = LEDE_MIN(len, (size_t)8192), ctrl = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == 0)
            return true;
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b)
            ctrl++;
    }
    return n > 0 && ctrl * 10 > n;
}

/* True when buf is valid UTF-8 without NUL bytes: the common case, checked
 * eight ASCII bytes at a time so most input is never copied to be repaired. */
static bool utf8_clean(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t v;
            memcpy(&v, buf + i, 8);
            bool ascii = (v & 0x8080808080808080ull) == 0;
            bool has_nul = ((v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull) != 0;
            if (ascii && !has_nul) {
                i += 8;
                continue;
            }
        }
        unsigned char c = (unsigned char)buf[i];
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)buf + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return false;
        i += (size_t)n;
    }
    return true;
}

int lede_extract_repair_utf8(char **out, size_t *out_len, size_t *nbad, size_t *first_line,
                             const char *buf, size_t len)
{
    sbuf b = {0};
    size_t bad = 0, line = 1, bad_line = 0;
    size_t i = 0, run = 0;

    *out = NULL;
    if (!sb_reserve(&b, len))
        goto cleanup;
    while (i < len) {
        unsigned char c = (unsigned char)buf[i];
        if (c != 0 && c < 0x80) {
            /* ASCII is most of every archive: copy runs of it at once. */
            run = i;
            while (i < len && buf[i] != 0 && (unsigned char)buf[i] < 0x80) {
                if (buf[i] == '\n')
                    line++;
                i++;
            }
            sb_add(&b, buf + run, i - run);
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = c == 0 ? -1
                                    : utf8proc_iterate((const utf8proc_uint8_t *)buf + i,
                                                       (utf8proc_ssize_t)(len - i), &cp);
        if (n > 0) {
            sb_add(&b, buf + i, (size_t)n);
            i += (size_t)n;
        } else {
            sb_add(&b, "\xEF\xBF\xBD", 3);
            if (!bad++)
                bad_line = line;
            i++;
        }
    }
    *out = sb_take(&b, out_len);
cleanup:
    sb_free(&b);
    if (!*out)
        return LEDE_ENOMEM;
    *nbad = bad;
    *first_line = bad_line;
    return LEDE_OK;
}

/* ------------------------------------------------------------------ */
/* Plain text and Markdown                                             */
/* ------------------------------------------------------------------ */

void lede_extracted_clear(lede_extracted *x)
{
    if (!x)
        return;
    free(x->id);
    free(x->title);
    free(x->body);
    free(x->date);
    free(x->meta_json);
    *x = (lede_extracted){0};
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static void trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

/* Split text into a title (first non-empty line) and a body (the rest,
 * without the blank lines that separate them). */
static int split_title(lede_extracted *out, const char *text, size_t len)
{
    size_t i = 0;
    const char *title = "";
    size_t title_len = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (!is_blank(text + i, end - i)) {
            title = text + i;
            title_len = end - i;
            i = nl ? end + 1 : len;
            break;
        }
        i = nl ? end + 1 : len;
    }
    trim(&title, &title_len);
    const char *body = text + i;
    size_t body_len = len - i;
    trim(&body, &body_len);
    if (title_len && !out->title) {
        out->title = dup_n(title, title_len);
        out->title_len = title_len;
        if (!out->title)
            return LEDE_ENOMEM;
    } else if (!out->title && body_len == 0) {
        /* An empty file: no title, empty body. */
    }
    out->body = dup_n(body, body_len);
    out->body_len = body_len;
    return out->body ? LEDE_OK : LEDE_ENOMEM;
}

/* Control bytes other than tab and newlines could move a terminal's cursor
 * when text is printed later; spaces keep word boundaries where they were. */
static void blank_controls(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            s[i] = ' ';
    }
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);
    return n >= m && memcmp(s, prefix, m) == 0;
}

/* A thematic break or setext underline: only one of -, *, _, = and spaces. */
static bool is_rule(const char *s, size_t n)
{
    char mark = 0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == ' ' || c == '\t')
            continue;
        if (c != '-' && c != '*' && c != '_' && c != '=')
            return false;
        if (mark && c != mark)
            return false;
        mark = c;
        count++;
    }
    return count >= 2;
}

/* A table delimiter row such as |---|:--:|. */
static bool is_table_rule(const char *s, size_t n)
{
    bool dash = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-')
            dash = true;
        else if (c != '|' && c != ':' && c != ' ' && c != '\t')
            return false;
    }
    return dash && memchr(s, '|', n) != NULL;
}

static const struct {
    const char *name;
    const char *text;
} md_entities[] = {
    {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"},
    {"&apos;", "'"}, {"&nbsp;", " "}, {"&mdash;", "\xE2\x80\x94"}, {"&ndash;", "\xE2\x80\x93"},
};

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* How far a bracket or a tag looks for its end.  Links and tags are short;
 * the cap keeps a hostile line of a million '[' or '<' linear, not quadratic. */
#define MD_SPAN_MAX 1024

/* memchr within at most MD_SPAN_MAX bytes. */
static const char *find_near(const char *s, char c, size_t n)
{
    return memchr(s, c, LEDE_MIN(n, (size_t)MD_SPAN_MAX));
}

/* Inline markup of one line: emphasis, code spans, links, images, raw HTML
 * tags, entities and backslash escapes. */
static void md_inline(sbuf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (c == '\\' && i + 1 < n && ispunct((unsigned char)s[i + 1])) {
            sb_addc(b, s[i + 1]);
            i += 2;
        } else if (c == '!' && i + 1 < n && s[i + 1] == '[') {
            i++; /* an image: keep its alt text, handled as a link below */
        } else if (c == '[') {
            /* [text](url) or [text][ref]: keep the text, drop the target. */
            const char *close = find_near(s + i + 1, ']', n - i - 1);
            if (close) {
                size_t j = (size_t)(close - s);
                md_inline(b, s + i + 1, j - i - 1);
                i = j + 1;
                if (i < n && (s[i] == '(' || s[i] == '[')) {
                    const char *end = find_near(s + i, s[i] == '(' ? ')' : ']', n - i);
                    if (end)
                        i = (size_t)(end - s) + 1;
                }
            } else {
                sb_addc(b, c);
                i++;
            }
        } else if (c == '<') {
            /* <https://...> keeps the address; <tag ...> and </tag> vanish. */
            const char *close = find_near(s + i, '>', n - i);
            size_t j = close ? (size_t)(close - s) : 0;
            if (close && (starts_with(s + i + 1, n - i - 1, "http://") ||
                          starts_with(s + i + 1, n - i - 1, "https://") ||
                          starts_with(s + i + 1, n - i - 1, "mailto:"))) {
                sb_add(b, s + i + 1, j - i - 1);
                i = j + 1;
            } else if (close && i + 1 < n &&
                       (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '/' || s[i + 1] == '!')) {
                i = j + 1;
            } else {
                sb_addc(b, c);
                i++;
            }
        } else if (c == '&') {
            size_t k;
            for (k = 0; k < ARRAY_SIZE(md_entities); k++) {
                if (starts_with(s + i, n - i, md_entities[k].name)) {
                    sb_add(b, md_entities[k].text, strlen(md_entities[k].text));
                    i += strlen(md_entities[k].name);
                    break;
                }
            }
            if (k == ARRAY_SIZE(md_entities)) {
                sb_addc(b, c);
                i++;
            }
        } else if (c == '*' || c == '`' || (c == '~' && i + 1 < n && s[i + 1] == '~')) {
            i += c == '~' ? 2 : 1;
        } else if (c == '_' && (i == 0 || !word_char(s[i - 1]) || i + 1 == n ||
                                !word_char(s[i + 1]))) {
            /* snake_case words keep their underscores; _emphasis_ loses them. */
            i++;
        } else {
            sb_addc(b, c);
            i++;
        }
    }
}

/* YAML front matter: "---" first line, "key: value" lines, "---".  Only
 * title and date are used; returns the offset just past the block. */
static size_t md_front_matter(lede_extracted *out, const char *s, size_t n)
{
    if (!(starts_with(s, n, "---\n") || starts_with(s, n, "---\r\n")))
        return 0;
    size_t i = s[3] == '\n' ? 4 : 5;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        const char *line = s + i;
        size_t ln = end - i;
        trim(&line, &ln);
        if (ln == 3 && (memcmp(line, "---", 3) == 0 || memcmp(line, "...", 3) == 0))
            return nl ? end + 1 : n;
        for (int k = 0; k < 2; k++) {
            const char *key = k == 0 ? "title:" : "date:";
            char **dst = k == 0 ? &out->title : &out->date;
            if (!*dst && ln > strlen(key) && strncasecmp(line, key, strlen(key)) == 0) {
                const char *v = line + strlen(key);
                size_t vn = ln - strlen(key);
                trim(&v, &vn);
                if (vn >= 2 && (v[0] == '"' || v[0] == '\'') && v[vn - 1] == v[0]) {
                    v++;
                    vn -= 2;
                }
                if (vn) {
                    *dst = dup_n(v, vn);
                    if (k == 0 && *dst)
                        out->title_len = vn;
                }
            }
        }
        i = nl ? end + 1 : n;
    }
    /* No closing line: it was not front matter after all. */
    free(out->title);
    free(out->date);
    out->title = out->date = NULL;
    out->title_len = 0;
    return 0;
}

static int md_strip(lede_extracted *out, sbuf *b, const char *s, size_t n)
{
    size_t i = md_front_matter(out, s, n);
    bool fenced = false;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        const char *line = s + i;
        size_t ln = end - i;
        i = nl ? end + 1 : n;
        if (ln && line[ln - 1] == '\r')
            ln--;

        const char *t = line;
        size_t tn = ln;
        trim(&t, &tn);
        if (starts_with(t, tn, "```") || starts_with(t, tn, "~~~")) {
            fenced = !fenced;
            sb_addc(b, '\n');
            continue;
        }
        if (fenced) {
            /* Code is content too, but verbatim. */
            sb_add(b, line, ln);
            sb_addc(b, '\n');
            continue;
        }
        if (tn == 0 || is_rule(t, tn) || is_table_rule(t, tn)) {
            sb_addc(b, '\n');
            continue;
        }
        /* Quotes, then a heading or a list marker. */
        while (tn && t[0] == '>') {
            t++;
            tn--;
            trim(&t, &tn);
        }
        if (tn && t[0] == '#') {
            size_t h = 0;
            while (h < tn && t[h] == '#')
                h++;
            if (h <= 6 && (h == tn || t[h] == ' ' || t[h] == '\t')) {
                t += h;
                tn -= h;
                while (tn && (t[tn - 1] == '#' || t[tn - 1] == ' '))
                    tn--;
                trim(&t, &tn);
            }
        } else if (tn >= 2 && (t[0] == '-' || t[0] == '*' || t[0] == '+') && t[1] == ' ') {
            t += 2;
            tn -= 2;
        } else if (tn && isdigit((unsigned char)t[0])) {
            size_t d = 0;
            while (d < tn && d < 9 && isdigit((unsigned char)t[d]))
                d++;
            if (d + 1 < tn && (t[d] == '.' || t[d] == ')') && t[d + 1] == ' ') {
                t += d + 2;
                tn -= d + 2;
            }
        }
        trim(&t, &tn);
        if (starts_with(t, tn, "[ ] ") || starts_with(t, tn, "[x] ") ||
            starts_with(t, tn, "[X] ")) {
            t += 4;
            tn -= 4;
        }
        /* Reference definitions ("[1]: https://...") are not text. */
        if (tn && t[0] == '[') {
            const char *close = find_near(t, ']', tn);
            if (close && (size_t)(close - t) + 1 < tn && close[1] == ':') {
                sb_addc(b, '\n');
                continue;
            }
        }
        /* Table cells become words separated by spaces. */
        size_t start = b->n;
        md_inline(b, t, tn);
        if (!b->failed)
            for (size_t k = start; k < b->n; k++)
                if (b->p[k] == '|')
                    b->p[k] = ' ';
        sb_addc(b, '\n');
    }
    return b->failed ? LEDE_ENOMEM : LEDE_OK;
}

/* ------------------------------------------------------------------ */
/* HTML                                                                */
/* ------------------------------------------------------------------ */

typedef struct html_text {
    sbuf b;
    bool space;   /* a space is owed before the next word */
    bool newline; /* a line break is owed before the next word */
} html_text;

static void ht_text(html_text *t, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isspace(c)) {
            t->space = true;
            continue;
        }
        /* U+00A0 (no-break space, &nbsp;) separates words too. */
        if (c == 0xC2 && (unsigned char)s[1] == 0xA0) {
            t->space = true;
            s++;
            continue;
        }
        if (t->b.n) {
            if (t->newline)
                sb_addc(&t->b, '\n');
            else if (t->space)
                sb_addc(&t->b, ' ');
        }
        t->space = t->newline = false;
        sb_addc(&t->b, (char)c);
    }
}

static bool name_in(const xmlChar *name, const char *const *list)
{
    for (; *list; list++)
        if (xmlStrcasecmp(name, (const xmlChar *)*list) == 0)
            return true;
    return false;
}

static const char *const html_skip[] = {"script", "style",  "noscript", "template", "head",
                                        "svg",    "iframe", "object",   "title",    NULL};
static const char *const html_block[] = {
    "p",       "div",    "br",     "h1",     "h2",      "h3",         "h4",     "h5",
    "h6",      "li",     "ul",     "ol",     "tr",      "td",         "th",     "table",
    "section", "article", "header", "footer", "aside",  "blockquote", "pre",    "hr",
    "dd",      "dt",     "dl",     "figure", "figcaption", "main",    "nav",    "address",
    "form",    "fieldset", NULL};

/* Deeper trees are hostile, not articles; the cap bounds the recursion
 * whatever limit the parser applies. */
#define HTML_DEPTH_MAX 512

static void html_walk(html_text *t, xmlNode *node, int depth)
{
    if (depth > HTML_DEPTH_MAX)
        return;
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                ht_text(t, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE) {
            if (name_in(n->name, html_skip))
                continue;
            bool block = name_in(n->name, html_block);
            if (block)
                t->newline = true;
            html_walk(t, n->children, depth + 1);
            if (block)
                t->newline = true;
        }
    }
}

static xmlNode *html_find_at(xmlNode *node, const char *name, int depth)
{
    if (depth > HTML_DEPTH_MAX)
        return NULL;
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (xmlStrcasecmp(n->name, (const xmlChar *)name) == 0)
            return n;
        /* A <title> inside <svg> is not the page's title. */
        if (xmlStrcasecmp(n->name, (const xmlChar *)"svg") == 0)
            continue;
        xmlNode *found = html_find_at(n->children, name, depth + 1);
        if (found)
            return found;
    }
    return NULL;
}

static xmlNode *html_find(xmlNode *node, const char *name)
{
    return html_find_at(node, name, 0);
}

/* The element's text, whitespace collapsed; NULL when empty. */
static char *html_node_text(xmlNode *node, size_t *len_out)
{
    html_text t = {0};
    /* Walk the children with the skip list, so <h1><script> stays out. */
    html_walk(&t, node->children, 0);
    char *s = sb_take(&t.b, len_out);
    if (s && !*s) {
        free(s);
        s = NULL;
    }
    return s;
}

/* <meta name="date" content="..."> and friends, else <time datetime>. */
static char *html_date_at(xmlNode *root, int depth)
{
    static const char *const keys[] = {"article:published_time", "date", "dc.date",
                                       "dcterms.date", "pubdate", NULL};
    char *found = NULL;
    for (xmlNode *n = root; n && !found; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (xmlStrcasecmp(n->name, (const xmlChar *)"meta") == 0) {
            xmlChar *key = xmlGetProp(n, (const xmlChar *)"name");
            if (!key)
                key = xmlGetProp(n, (const xmlChar *)"property");
            if (key && name_in(key, keys)) {
                xmlChar *v = xmlGetProp(n, (const xmlChar *)"content");
                if (v && *v)
                    found = strdup((const char *)v);
                xmlFree(v);
            }
            xmlFree(key);
        } else if (xmlStrcasecmp(n->name, (const xmlChar *)"time") == 0) {
            xmlChar *v = xmlGetProp(n, (const xmlChar *)"datetime");
            if (v && *v)
                found = strdup((const char *)v);
            xmlFree(v);
        }
        if (!found && depth < HTML_DEPTH_MAX)
            found = html_date_at(n->children, depth + 1);
    }
    return found;
}

static char *html_date(xmlNode *root)
{
    return html_date_at(root, 0);
}

/* True when the document names its own encoding (a <meta charset> or an XML
 * declaration), in which case libxml2 must be left to honour it. */
static bool html_declares_charset(const char *buf, size_t len)
{
    /* Only markup counts: an article that talks about "encoding" in its
     * first paragraph must not turn the UTF-8 default off. */
    size_t n = LEDE_MIN(len, (size_t)4096);
    for (size_t i = 0; i + 8 <= n; i++) {
        if (strncasecmp(buf + i, "charset", 7) == 0) {
            size_t j = i + 7;
            while (j < n && (buf[j] == ' ' || buf[j] == '\t'))
                j++;
            if (j < n && buf[j] == '=')
                return true;
        }
    }
    if (n >= 5 && memcmp(buf, "<?xml", 5) == 0) {
        const char *end = memchr(buf, '>', n);
        for (const char *p = buf; end && p + 8 < end; p++)
            if (strncmp(p, "encoding", 8) == 0)
                return true;
    }
    return false;
}

static int extract_html(lede_extracted *out, const char *buf, size_t len)
{
    int rc = LEDE_ENOMEM;
    char *fixed = NULL;
    htmlDocPtr doc = NULL;
    const char *enc = NULL;

    if (len > INT_MAX)
        return LEDE_EINVAL;
    if (!html_declares_charset(buf, len)) {
        /* Undeclared means UTF-8 here (libxml2 would guess Latin-1): repair
         * it first so the count of bad bytes is ours, not the parser's. */
        size_t fixed_len;
        rc = lede_extract_repair_utf8(&fixed, &fixed_len, &out->repaired, &out->repair_line, buf,
                                      len);
        if (rc)
            goto cleanup;
        buf = fixed;
        len = fixed_len;
        enc = "UTF-8";
    }
    doc = htmlReadMemory(buf, (int)len, NULL, enc,
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                             HTML_PARSE_NONET);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    rc = LEDE_ENOMEM;
    if (root) {
        xmlNode *title = html_find(root, "title");
        if (title)
            out->title = html_node_text(title, &out->title_len);
        if (!out->title) {
            xmlNode *h1 = html_find(root, "h1");
            if (h1)
                out->title = html_node_text(h1, &out->title_len);
        }
        out->date = html_date(root);
        xmlNode *body = html_find(root, "body");
        html_text t = {0};
        /* The body, or the whole tree for fragments without one (head skipped). */
        html_walk(&t, body ? body->children : root, 0);
        out->body = sb_take(&t.b, &out->body_len);
    } else {
        out->body = strdup("");
        out->body_len = 0;
    }
    if (!out->body)
        goto cleanup;
    rc = LEDE_OK;
cleanup:
    xmlFreeDoc(doc);
    free(fixed);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Whole documents                                                     */
/* ------------------------------------------------------------------ */

/* Make every returned string valid UTF-8 (the HTML parser converts declared
 * charsets; its output is checked once more rather than trusted). */
static int repair_field(char **s, size_t *len, size_t *count)
{
    if (!*s)
        return LEDE_OK;
    size_t n = len ? *len : strlen(*s), bad, line;
    char *fixed;
    int rc = lede_extract_repair_utf8(&fixed, &n, &bad, &line, *s, n);
    if (rc)
        return rc;
    free(*s);
    *s = fixed;
    if (len)
        *len = n;
    *count += bad;
    return LEDE_OK;
}

int lede_extract_document(lede_extracted *out, const char *buf, size_t len, lede_format fmt)
{
    int rc = LEDE_ENOMEM;
    char *text = NULL;
    size_t text_len = 0;
    sbuf md = {0};

    *out = (lede_extracted){0};
    if (fmt == LEDE_FORMAT_AUTO)
        fmt = lede_extract_format_sniff(buf, len);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3; /* a byte-order mark is not text */
        len -= 3;
    }
    switch (fmt) {
    case LEDE_FORMAT_HTML:
        rc = extract_html(out, buf, len);
        if (rc == LEDE_OK) {
            size_t more = 0;
            rc = repair_field(&out->title, &out->title_len, &more);
            if (!rc)
                rc = repair_field(&out->body, &out->body_len, &more);
            if (!rc)
                rc = repair_field(&out->date, NULL, &more);
            if (more && !out->repaired)
                out->repair_line = 1;
            out->repaired += more;
        }
        break;
    case LEDE_FORMAT_TXT:
    case LEDE_FORMAT_MD:
        rc = lede_extract_repair_utf8(&text, &text_len, &out->repaired, &out->repair_line, buf,
                                      len);
        if (rc)
            break;
        blank_controls(text, text_len);
        if (fmt == LEDE_FORMAT_MD) {
            rc = md_strip(out, &md, text, text_len);
            if (rc)
                break;
            free(text);
            text = sb_take(&md, &text_len);
            if (!text) {
                rc = LEDE_ENOMEM;
                break;
            }
        }
        rc = split_title(out, text, text_len);
        break;
    case LEDE_FORMAT_JSONL:
    case LEDE_FORMAT_JSON:
    case LEDE_FORMAT_AUTO:
        rc = LEDE_EINVAL;
        break;
    }
    if (out->title)
        blank_controls(out->title, out->title_len);
    free(text);
    sb_free(&md);
    if (rc)
        lede_extracted_clear(out);
    return rc;
}

/* ------------------------------------------------------------------ */
/* JSON Lines                                                          */
/* ------------------------------------------------------------------ */

static cJSON *json_field(cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* A string field (or a number, for ids and dates written as numbers) as an
 * owned string.  NULL member or JSON null → *out NULL.  Other types fail. */
static int json_string(char **out, cJSON *item, bool numbers_ok)
{
    *out = NULL;
    if (!item || cJSON_IsNull(item))
        return LEDE_OK;
    if (cJSON_IsString(item)) {
        *out = strdup(item->valuestring);
        return *out ? LEDE_OK : LEDE_ENOMEM;
    }
    if (numbers_ok && cJSON_IsNumber(item)) {
        char num[64];
        double v = item->valuedouble;
        /* Range-check before the cast: out-of-range conversion is undefined. */
        if (v > -9e18 && v < 9e18 && v == (double)(int64_t)v)
            snprintf(num, sizeof num, "%lld", (long long)(int64_t)v);
        else
            snprintf(num, sizeof num, "%.17g", v);
        *out = strdup(num);
        return *out ? LEDE_OK : LEDE_ENOMEM;
    }
    return LEDE_EINVAL;
}

/* Like json_string without numbers, but the body, the largest string of a
 * record, is taken from the parsed tree instead of copied.  The body is read
 * after every other field the record gives, so nothing reads it afterwards
 * but the metadata loop, which skips it (it is in used[]). */
static int json_take_string(char **out, cJSON *item)
{
    if (item && cJSON_IsString(item) && !(item->type & cJSON_IsReference) && item->valuestring) {
        *out = item->valuestring;
        item->valuestring = NULL;
        return LEDE_OK;
    }
    return json_string(out, item, false);
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errsize,
                                                          const char *fmt, ...)
{
    if (err && errsize) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsize, fmt, ap);
        va_end(ap);
    }
}

int lede_extract_json(lede_extracted *out, const char *line, size_t len,
                      const lede_extract_fields *fields, char *err, size_t errsize)
{
    static const char *const body_names[] = {"body", "text", "content"};
    int rc = LEDE_ENOMEM;
    char *fixed = NULL;
    size_t fixed_len = 0;
    cJSON *root = NULL, *meta = NULL;
    const char *used[6] = {0};
    size_t nused = 0;

    *out = (lede_extracted){0};
    if (err && errsize)
        err[0] = '\0';
    const char *text = line;
    size_t text_len = len;
    if (!utf8_clean(line, len)) {
        rc = lede_extract_repair_utf8(&fixed, &fixed_len, &out->repaired, &out->repair_line,
                                      line, len);
        if (rc)
            goto cleanup;
        text = fixed;
        text_len = fixed_len;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(text, text_len, &end, false);
    rc = LEDE_EINVAL;
    if (!root) {
        if (err && errsize) {
            size_t col = end && end >= text ? (size_t)(end - text) + 1 : 1;
            snprintf(err, errsize, "malformed JSON at column %zu", col);
        }
        goto cleanup;
    }
    /* Anything but whitespace after the object is a second value on the line. */
    while (end && end < text + text_len && isspace((unsigned char)*end))
        end++;
    if (end && end < text + text_len) {
        if (err && errsize)
            snprintf(err, errsize, "malformed JSON at column %zu (text after the object)",
                     (size_t)(end - text) + 1);
        goto cleanup;
    }
    if (!cJSON_IsObject(root)) {
        set_err(err, errsize, "not a JSON object");
        goto cleanup;
    }

    const lede_extract_fields none = {0};
    if (!fields)
        fields = &none;
    const char *id_name = fields->id ? fields->id : "id";
    const char *title_name = fields->title ? fields->title : "title";
    const char *date_name = fields->date ? fields->date : "date";

    if (json_string(&out->id, json_field(root, id_name), true)) {
        set_err(err, errsize, "field \"%s\" must be a string or a number", id_name);
        goto cleanup;
    }
    used[nused++] = id_name;
    if (out->id && !out->id[0]) {
        free(out->id);
        out->id = NULL;
    }
    if (json_string(&out->title, json_field(root, title_name), false)) {
        set_err(err, errsize, "field \"%s\" must be a string", title_name);
        goto cleanup;
    }
    used[nused++] = title_name;
    if (json_string(&out->date, json_field(root, date_name), true)) {
        set_err(err, errsize, "field \"%s\" must be a string", date_name);
        goto cleanup;
    }
    used[nused++] = date_name;

    if (fields->body) {
        if (json_take_string(&out->body, json_field(root, fields->body))) {
            set_err(err, errsize, "field \"%s\" must be a string", fields->body);
            goto cleanup;
        }
        used[nused++] = fields->body;
    } else {
        for (size_t i = 0; i < ARRAY_SIZE(body_names) && !out->body; i++) {
            cJSON *item = json_field(root, body_names[i]);
            if (!item)
                continue;
            if (json_take_string(&out->body, item)) {
                set_err(err, errsize, "field \"%s\" must be a string", body_names[i]);
                goto cleanup;
            }
            used[nused++] = body_names[i];
        }
    }
    if (!out->body && !out->title) {
        set_err(err, errsize, "no text: neither a title nor a body field (%s)",
                fields->body ? fields->body : "body, text or content");
        goto cleanup;
    }
    rc = LEDE_ENOMEM;
    if (!out->body && !(out->body = strdup("")))
        goto cleanup;
    out->body_len = strlen(out->body);
    blank_controls(out->body, out->body_len);
    if (out->title) {
        out->title_len = strlen(out->title);
        blank_controls(out->title, out->title_len);
    }

    /* Everything else is kept, in its original order, for JSON results. */
    for (cJSON *item = root->child, *next; item; item = next) {
        next = item->next;
        bool skip = false;
        for (size_t i = 0; i < nused && !skip; i++)
            skip = item->string && strcmp(item->string, used[i]) == 0;
        if (skip || !item->string)
            continue;
        if (!meta && !(meta = cJSON_CreateObject()))
            goto cleanup;
        /* Moved, not copied: the member keeps its key and value. */
        cJSON_DetachItemViaPointer(root, item);
        cJSON_AddItemToArray(meta, item);
    }
    if (meta && !(out->meta_json = cJSON_PrintUnformatted(meta)))
        goto cleanup;
    rc = LEDE_OK;
cleanup:
    cJSON_Delete(root);
    cJSON_Delete(meta);
    free(fixed);
    if (rc) {
        size_t repaired = out->repaired, repair_line = out->repair_line;
        lede_extracted_clear(out);
        /* The caller still warns about bad bytes on a line that failed. */
        out->repaired = repaired;
        out->repair_line = repair_line;
        if (rc == LEDE_ENOMEM)
            set_err(err, errsize, "out of memory");
    }
    return rc;
}
