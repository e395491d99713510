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

/*
 * UTF-16, as Windows tools save "Unicode text": 1 little-endian, 2
 * big-endian, 0 not.  With a byte-order mark; or without one when, in the
 * first 4 KB, nearly every other byte is NUL and the bytes between are not
 * (text in a Latin script).  Such files are text, not binary.
 */
static int utf16_kind(const char *buf, size_t len)
{
    if (len >= 2 && memcmp(buf, "\xFF\xFE", 2) == 0)
        return 1;
    if (len >= 2 && memcmp(buf, "\xFE\xFF", 2) == 0)
        return 2;
    size_t n = LEDE_MIN(len, (size_t)4096) & ~(size_t)1, pairs = n / 2;
    size_t zero_even = 0, zero_odd = 0;
    if (pairs < 4)
        return 0;
    for (size_t i = 0; i < n; i += 2) {
        zero_even += buf[i] == 0;
        zero_odd += buf[i + 1] == 0;
    }
    if (zero_odd * 10 >= pairs * 9 && zero_even * 20 <= pairs)
        return 1;
    if (zero_even * 10 >= pairs * 9 && zero_odd * 20 <= pairs)
        return 2;
    return 0;
}

/* Eight bytes at p as one word, and whether any of them is below n (at
 * most 0x80): the bit trick that lets a scan step over eight ordinary
 * bytes at once. */
#define BYTES_ONES 0x0101010101010101ull
#define BYTES_HIGHS 0x8080808080808080ull

static inline uint64_t load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline bool any_byte_below(uint64_t v, unsigned n)
{
    return ((v - BYTES_ONES * n) & ~v & BYTES_HIGHS) != 0;
}

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
    if (utf16_kind(buf, len))
        return false; /* decoded to UTF-8 by lede_extract_document */
    /* Like git and grep: a NUL in the first 8 KB means binary.  Text that is
     * mostly other control bytes is binary too. */
    size_t n = LEDE_MIN(len, (size_t)8192), ctrl = 0;
    for (size_t i = 0; i < n; i++) {
        while (i + 8 <= n && !any_byte_below(load8(buf + i), 0x20))
            i += 8; /* no control byte among these eight */
        if (i == n)
            break;
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
            uint64_t v = load8(buf + i);
            if ((v & BYTES_HIGHS) == 0 && !any_byte_below(v, 1)) {
                i += 8; /* ASCII without NUL */
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

/* Append code point cp as UTF-8 (U+FFFD for what is not a scalar value). */
static void sb_add_cp(sbuf *b, uint32_t cp)
{
    utf8proc_uint8_t u[4];
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, u);
    sb_add(b, (const char *)u, (size_t)n);
}

/* Count one replaced or guessed character, remembering the line of the first. */
static void note_bad(size_t *nbad, size_t *first_line, size_t line)
{
    if (!(*nbad)++)
        *first_line = line;
}

/* UTF-16 (kind as utf16_kind) to UTF-8, without its byte-order mark.  Lone
 * surrogates and NUL become U+FFFD and are counted in *nbad. */
static int decode_utf16(char **out, size_t *out_len, size_t *nbad, size_t *first_line,
                        const char *buf, size_t len, int kind)
{
    sbuf b = {0};
    size_t line = 1, i = 0;
    const unsigned char *u = (const unsigned char *)buf;
#define UNIT(k) (kind == 1 ? (uint32_t)(u[k] | u[(k) + 1] << 8) : (uint32_t)(u[k] << 8 | u[(k) + 1]))
    *nbad = *first_line = 0;
    if (len >= 2 && UNIT(0) == 0xFEFF)
        i = 2;
    sb_reserve(&b, len);
    for (; i + 1 < len; i += 2) {
        uint32_t c = UNIT(i);
        if (c >= 0xD800 && c <= 0xDBFF && i + 3 < len && UNIT(i + 2) >= 0xDC00 &&
            UNIT(i + 2) <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (UNIT(i + 2) - 0xDC00);
            i += 2;
        } else if ((c >= 0xD800 && c <= 0xDFFF) || c == 0) {
            note_bad(nbad, first_line, line);
            c = 0xFFFD;
        }
        if (c == '\n')
            line++;
        sb_add_cp(&b, c);
    }
#undef UNIT
    if (i < len) /* an odd byte at the end */
        note_bad(nbad, first_line, line), sb_add_cp(&b, 0xFFFD);
    *out = sb_take(&b, out_len);
    return *out ? LEDE_OK : LEDE_ENOMEM;
}

/*
 * True when bytes that are not UTF-8 are better read as Windows-1252 (the
 * superset of Latin-1 that old archives, Windows editors and web pages
 * without a charset use): more of the non-ASCII sequences are invalid UTF-8
 * than valid.  A UTF-8 file with a stray bad byte stays UTF-8 (the byte
 * becomes U+FFFD); "caf\xE9" is "café", not "caf?".
 */
static bool looks_legacy(const char *buf, size_t len)
{
    size_t valid = 0, invalid = 0;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)buf[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)buf + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n > 0) {
            valid++;
            i += (size_t)n;
        } else {
            invalid++;
            i++;
        }
    }
    return invalid > valid;
}

/* Windows-1252 to UTF-8.  Every non-ASCII byte is counted in *nbad (the
 * encoding was a guess: the caller says so); NUL and the five bytes 1252
 * leaves undefined become U+FFFD. */
static int decode_1252(char **out, size_t *out_len, size_t *nbad, size_t *first_line,
                       const char *buf, size_t len)
{
    static const uint16_t high[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    sbuf b = {0};
    size_t line = 1;
    *nbad = *first_line = 0;
    sb_reserve(&b, len + len / 2);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n')
            line++;
        if (c != 0 && c < 0x80) {
            sb_addc(&b, (char)c);
            continue;
        }
        note_bad(nbad, first_line, line);
        sb_add_cp(&b, c == 0 ? 0xFFFD : c < 0xA0 ? high[c - 0x80] : c);
    }
    *out = sb_take(&b, out_len);
    return *out ? LEDE_OK : LEDE_ENOMEM;
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

/* A first line longer than this is a paragraph, not a title; the title is
 * then its first TITLE_CUT bytes or fewer. */
#define TITLE_LINE_MAX 300
#define TITLE_CUT 120

/* Split *textp (len bytes and a NUL, malloc'd) into a title (first
 * non-empty line) and a body (the rest, without the blank lines that
 * separate them).  The body is moved to the front of *textp, which out then
 * owns (*textp is set to NULL): a copy of a 100 MB text is 100 MB more. */
static int split_title(lede_extracted *out, char **textp, size_t len)
{
    char *text = *textp;
    size_t i = 0;
    const char *title = "";
    size_t title_len = 0;
    /* With a title from front matter, every line is body: the first one is
     * the article's opening paragraph, not a title to drop. */
    while (i < len && !out->title) {
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
    if (title_len > TITLE_LINE_MAX && !out->title) {
        /* A file without a title line, whose first line is a paragraph (or
         * the whole text): it stays in the body, and the title is its
         * opening words, cut at a space. */
        size_t cut = TITLE_CUT;
        while (cut > 0 && title[cut] != ' ')
            cut--;
        while (cut > 0 && title[cut - 1] == ' ')
            cut--;
        if (cut == 0) /* one enormous word: cut before a UTF-8 lead byte */
            for (cut = TITLE_CUT; cut > 0 && ((unsigned char)title[cut] & 0xC0) == 0x80; cut--)
                ;
        body = title;
        body_len = (size_t)(text + len - title);
        out->title = malloc(cut + 4);
        if (!out->title)
            return LEDE_ENOMEM;
        memcpy(out->title, title, cut);
        memcpy(out->title + cut, "\xE2\x80\xA6", 4); /* "…" and the NUL */
        out->title_len = cut + 3;
        title_len = 0;
    }
    trim(&body, &body_len);
    if (title_len && !out->title) {
        out->title = dup_n(title, title_len);
        out->title_len = title_len;
        if (!out->title)
            return LEDE_ENOMEM;
    }
    memmove(text, body, body_len);
    text[body_len] = '\0';
    out->body = text;
    out->body_len = body_len;
    *textp = NULL;
    return LEDE_OK;
}

/* Control bytes other than tab and newlines could move a terminal's cursor
 * when text is printed later; spaces keep word boundaries where they were. */
static void blank_controls(char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n) {
            /* Eight bytes at a time while none is below 0x20 or 0x7f (most). */
            uint64_t v = load8(s + i);
            if (!any_byte_below(v, 0x20) && !any_byte_below(v ^ (BYTES_ONES * 0x7f), 1)) {
                i += 8;
                continue;
            }
        }
        for (size_t end = LEDE_MIN(i + 8, n); i < end; i++) {
            unsigned char c = (unsigned char)s[i];
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
                s[i] = ' ';
        }
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

/* An HTML entity at s ("&eacute;", "&#8217;", "&#x2019;"): its length, and
 * its code point in *cp; 0 when s does not start with one. */
static size_t md_entity(const char *s, size_t n, uint32_t *cp)
{
    char name[40];
    size_t j = 1;
    while (j < n && j < sizeof name && s[j] != ';' &&
           (isalnum((unsigned char)s[j]) || (j == 1 && s[j] == '#')))
        j++;
    if (j >= n || s[j] != ';' || j < 2)
        return 0;
    memcpy(name, s + 1, j - 1);
    name[j - 1] = '\0';
    if (name[0] == '#') {
        char *end;
        bool hex = name[1] == 'x' || name[1] == 'X';
        unsigned long v = strtoul(name + 1 + hex, &end, hex ? 16 : 10);
        /* Control characters stay written out: the text was cleaned of
         * them already, and &#27; must not smuggle an ESC back in. */
        if (*end || end == name + 1 + hex || v < 0x20 || (v >= 0x7F && v < 0xA0) ||
            v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        *cp = (uint32_t)v;
        return j + 1;
    }
    const htmlEntityDesc *e = htmlEntityLookup((const xmlChar *)name);
    if (!e)
        return 0;
    *cp = e->value;
    return j + 1;
}

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

/* The bracket that closes the one just before s (open/close such as '['
 * and ']'), counting nested pairs and skipping backslash escapes, within
 * MD_SPAN_MAX bytes; NULL when none.  "[a [b] c](u_(v))" is one link. */
static const char *find_close(const char *s, char open, char close, size_t n)
{
    int depth = 0;
    n = LEDE_MIN(n, (size_t)MD_SPAN_MAX);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            i++;
        } else if (s[i] == open) {
            depth++;
        } else if (s[i] == close) {
            if (depth-- == 0)
                return s + i;
        }
    }
    return NULL;
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
            const char *close = find_close(s + i + 1, '[', ']', n - i - 1);
            if (close) {
                size_t j = (size_t)(close - s);
                md_inline(b, s + i + 1, j - i - 1);
                i = j + 1;
                if (i < n && (s[i] == '(' || s[i] == '[')) {
                    const char *end = s[i] == '('
                                          ? find_close(s + i + 1, '(', ')', n - i - 1)
                                          : find_close(s + i + 1, '[', ']', n - i - 1);
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
            size_t k, used;
            uint32_t cp;
            for (k = 0; k < ARRAY_SIZE(md_entities); k++) {
                if (starts_with(s + i, n - i, md_entities[k].name)) {
                    sb_add(b, md_entities[k].text, strlen(md_entities[k].text));
                    i += strlen(md_entities[k].name);
                    break;
                }
            }
            if (k < ARRAY_SIZE(md_entities)) {
                /* done */
            } else if ((used = md_entity(s + i, n - i, &cp))) {
                /* &eacute; &#8217; &#x2019;: Markdown keeps HTML's entities. */
                sb_add_cp(b, cp);
                i += used;
            } else {
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
    /* YAML between "---" lines (Jekyll), or TOML between "+++" lines (Hugo:
     * title = "..."). */
    bool toml = starts_with(s, n, "+++\n") || starts_with(s, n, "+++\r\n");
    if (!toml && !(starts_with(s, n, "---\n") || starts_with(s, n, "---\r\n")))
        return 0;
    size_t i = s[3] == '\n' ? 4 : 5;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) : n;
        const char *line = s + i;
        size_t ln = end - i;
        trim(&line, &ln);
        if (ln == 3 && (toml ? memcmp(line, "+++", 3) == 0
                             : memcmp(line, "---", 3) == 0 || memcmp(line, "...", 3) == 0))
            return nl ? end + 1 : n;
        for (int k = 0; k < 2; k++) {
            const char *key = k == 0 ? "title" : "date";
            size_t kn = strlen(key);
            char **dst = k == 0 ? &out->title : &out->date;
            const char *v = line + kn;
            size_t vn = ln >= kn ? ln - kn : 0;
            trim(&v, &vn); /* TOML may write "title = ..." */
            if (!*dst && ln > kn && strncasecmp(line, key, kn) == 0 && vn &&
                v[0] == (toml ? '=' : ':')) {
                v++;
                vn--;
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

/* Blank out <!-- ... --> comments (kept newlines keep the lines apart):
 * one that spans lines would otherwise leave its inside in the text. */
static void md_blank_comments(char *s, size_t n)
{
    char *p = s, *end = s + n;
    while ((p = memmem(p, (size_t)(end - p), "<!--", 4))) {
        char *close = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
        if (!close)
            return; /* not closed: not a comment, left as text */
        for (char *q = p; q < close + 3; q++)
            if (*q != '\n')
                *q = ' ';
        p = close + 3;
    }
}

static int md_strip(lede_extracted *out, sbuf *b, char *s, size_t n)
{
    size_t i = md_front_matter(out, s, n);
    bool fenced = false;
    md_blank_comments(s + i, n - i);
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
    int article;  /* how many <article> elements the walk is inside */
} html_text;

/* Whether s starts a separator: white space or U+00A0 (no-break space,
 * &nbsp;), which separates words too; its length in *n. */
static inline bool ht_separator(const char *s, size_t *n)
{
    unsigned char c = (unsigned char)*s;
    *n = 1;
    if (isspace(c))
        return true;
    *n = 2;
    return c == 0xC2 && (unsigned char)s[1] == 0xA0;
}

static void ht_text(html_text *t, const char *s)
{
    size_t n;
    while (*s) {
        if (ht_separator(s, &n)) {
            t->space = true;
            s += n;
            continue;
        }
        /* A run of the text's own bytes, after the separator owed. */
        const char *run = s;
        while (*s && !ht_separator(s, &n))
            s++;
        if (t->b.n) {
            if (t->newline)
                sb_addc(&t->b, '\n');
            else if (t->space)
                sb_addc(&t->b, ' ');
        }
        t->space = t->newline = false;
        sb_add(&t->b, run, (size_t)(s - run));
    }
}

static bool name_in(const xmlChar *name, const char *const *list)
{
    for (; *list; list++)
        if (xmlStrcasecmp(name, (const xmlChar *)*list) == 0)
            return true;
    return false;
}

/*
 * What the walks need to know of an element, by its name, found once per
 * element (html_tag) instead of by comparing the name with each list in
 * turn: an inline element (<a>, <span>) was 50 case-insensitive compares.
 *
 * HT_SKIP: not the article's text.  <nav> is the site's menu ("Home |
 * World | Sport"): in every page of a saved site, it led every snippet.  A
 * <select>'s options (every country of the world) and <button> labels
 * ("Share", "Subscribe") are controls, not words of the article.
 * HT_BLOCK: a line break before and after.
 * HT_PAGE_PART: a page's sidebar ("Most read", "Related stories") and
 * footer, when they are not an article's own: in a saved news site every
 * page carried the same few headlines there, so a search for any of their
 * words matched every page, and snippets quoted them.
 * The rest name the elements the walks look for.
 */
enum {
    HT_SKIP = 1u << 0,
    HT_BLOCK = 1u << 1,
    HT_PAGE_PART = 1u << 2,
    HT_ARTICLE = 1u << 3,
    HT_MAIN = 1u << 4,
    HT_BODY = 1u << 5,
    HT_TITLE = 1u << 6,
    HT_H1 = 1u << 7,
    HT_SVG = 1u << 8,
    HT_META = 1u << 9,
    HT_TIME = 1u << 10,
};

/* Sorted by name, for html_tag's binary search. */
static const struct html_tag_info {
    const char *name;
    unsigned flags;
} html_tags[] = {
    {"address", HT_BLOCK},
    {"article", HT_BLOCK | HT_ARTICLE},
    {"aside", HT_BLOCK | HT_PAGE_PART},
    {"blockquote", HT_BLOCK},
    {"body", HT_BODY},
    {"br", HT_BLOCK},
    {"button", HT_SKIP},
    {"datalist", HT_SKIP},
    {"dd", HT_BLOCK},
    {"div", HT_BLOCK},
    {"dl", HT_BLOCK},
    {"dt", HT_BLOCK},
    {"fieldset", HT_BLOCK},
    {"figcaption", HT_BLOCK},
    {"figure", HT_BLOCK},
    {"footer", HT_BLOCK | HT_PAGE_PART},
    {"form", HT_BLOCK},
    {"h1", HT_BLOCK | HT_H1},
    {"h2", HT_BLOCK},
    {"h3", HT_BLOCK},
    {"h4", HT_BLOCK},
    {"h5", HT_BLOCK},
    {"h6", HT_BLOCK},
    {"head", HT_SKIP},
    {"header", HT_BLOCK},
    {"hr", HT_BLOCK},
    {"iframe", HT_SKIP},
    {"li", HT_BLOCK},
    {"main", HT_BLOCK | HT_MAIN},
    {"meta", HT_META},
    {"nav", HT_SKIP | HT_BLOCK},
    {"noscript", HT_SKIP},
    {"object", HT_SKIP},
    {"ol", HT_BLOCK},
    {"p", HT_BLOCK},
    {"pre", HT_BLOCK},
    {"script", HT_SKIP},
    {"section", HT_BLOCK},
    {"select", HT_SKIP},
    {"style", HT_SKIP},
    {"svg", HT_SKIP | HT_SVG},
    {"table", HT_BLOCK},
    {"td", HT_BLOCK},
    {"template", HT_SKIP},
    {"th", HT_BLOCK},
    {"time", HT_TIME},
    {"title", HT_SKIP | HT_TITLE},
    {"tr", HT_BLOCK},
    {"ul", HT_BLOCK},
};

/* The HT_ flags of an element name, in any case; 0 for other names. */
static unsigned html_tag(const xmlChar *name)
{
    char low[12]; /* the longest name in the table, "blockquote", and its NUL */
    size_t n = 0;
    for (; name[n]; n++) {
        if (n == sizeof low - 1)
            return 0;
        unsigned char c = name[n];
        low[n] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    low[n] = '\0';
    /* A binary search with its compares inline: bsearch, calling strcmp
     * through a pointer at each probe, cost 1.5% more instructions of the
     * whole extraction of 789 real pages. */
    size_t lo = 0, hi = ARRAY_SIZE(html_tags);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const unsigned char *a = (const unsigned char *)low;
        const unsigned char *b = (const unsigned char *)html_tags[mid].name;
        while (*a && *a == *b)
            a++, b++;
        if (*a == *b)
            return html_tags[mid].flags;
        if (*a < *b)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

static unsigned html_node_tag(const xmlNode *n)
{
    return n->type == XML_ELEMENT_NODE ? html_tag(n->name) : 0;
}

/* ARIA landmarks that are the site's, not the article's. */
static const char *const html_skip_roles[] = {"navigation", "banner", "contentinfo",
                                              "complementary", "search", NULL};

/* Deeper trees are hostile, not articles; the cap bounds the recursion
 * whatever limit the parser applies. */
#define HTML_DEPTH_MAX 512

/* An attribute's value when it is plain text (no allocation; "" when it
 * has none), else NULL. */
static const xmlChar *attr_text(const xmlAttr *a)
{
    if (!a || !a->children || a->children->type != XML_TEXT_NODE)
        return a && !a->children ? (const xmlChar *)"" : NULL;
    return a->children->content;
}

static const xmlChar *html_attr(xmlNode *n, const char *name)
{
    return attr_text(xmlHasProp(n, (const xmlChar *)name));
}

/* Elements (of flags tag) whose text is not the article's, wherever they are. */
static bool html_skipped(const html_text *t, xmlNode *n, unsigned tag)
{
    if (tag & HT_SKIP)
        return true;
    if (!t->article && (tag & HT_PAGE_PART))
        return true;
    /* One pass over the attributes (most elements have none or one). */
    for (xmlAttr *a = n->properties; a; a = a->next) {
        const xmlChar *v = attr_text(a);
        if (!v)
            v = (const xmlChar *)"";
        if (xmlStrcasecmp(a->name, (const xmlChar *)"hidden") == 0)
            return true;
        if (xmlStrcasecmp(a->name, (const xmlChar *)"aria-hidden") == 0 &&
            xmlStrcasecmp(v, (const xmlChar *)"true") == 0)
            return true;
        if (xmlStrcasecmp(a->name, (const xmlChar *)"role") == 0 && name_in(v, html_skip_roles))
            return true;
    }
    return false;
}

static void html_walk(html_text *t, xmlNode *node, int depth)
{
    if (depth > HTML_DEPTH_MAX)
        return;
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                ht_text(t, (const char *)n->content);
        } else if (n->type == XML_ELEMENT_NODE) {
            unsigned tag = html_tag(n->name);
            if (html_skipped(t, n, tag))
                continue;
            bool block = tag & HT_BLOCK;
            bool article = tag & HT_ARTICLE;
            if (block)
                t->newline = true;
            t->article += article;
            html_walk(t, n->children, depth + 1);
            t->article -= article;
            if (block)
                t->newline = true;
        }
    }
}

/* Bytes of text the walk keeps under node (0 when out of memory). */
static size_t html_text_len(xmlNode *node, int in_article)
{
    html_text t = {.article = in_article};
    html_walk(&t, node->children, 0);
    size_t n = t.b.failed ? 0 : t.b.n;
    free(t.b.p);
    return n;
}

/* Where the page says its article is: the first element marked
 * itemprop="articleBody", the first 64 <article> elements (nested ones
 * too: html_content sets those aside), the first <main> (or role="main"). */
typedef struct html_marks {
    xmlNode *body_prop, *main;
    xmlNode *articles[64];
    size_t narticles;
} html_marks;

static void html_mark_at(html_marks *m, xmlNode *node, int depth)
{
    if (depth > HTML_DEPTH_MAX)
        return;
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        unsigned tag = html_tag(n->name);
        if (tag & HT_SKIP)
            continue;
        const xmlChar *v;
        if (!m->body_prop && (v = html_attr(n, "itemprop")) &&
            xmlStrcasecmp(v, (const xmlChar *)"articleBody") == 0) {
            m->body_prop = n;
            continue; /* what is inside is the article's */
        }
        if (tag & HT_ARTICLE) {
            /* Searched inside too: an articleBody there wins over it. */
            if (m->narticles < ARRAY_SIZE(m->articles))
                m->articles[m->narticles++] = n;
        } else if (!m->main && ((tag & HT_MAIN) || ((v = html_attr(n, "role")) &&
                                                      xmlStrcasecmp(v, (const xmlChar *)"main") == 0))) {
            m->main = n;
        }
        html_mark_at(m, n->children, depth + 1);
    }
}

/* A marked element must hold a real part of the page's text: a teaser
 * marked <article> beside an unmarked story is not the story. */
#define HTML_CONTENT_MIN 500

/* Whether len bytes of text are HTML_CONTENT_MIN or a quarter of body's;
 * body's are counted (into *total, SIZE_MAX until then) only when needed:
 * a real article passes on its own length, without a walk of the page. */
static bool holds_text(size_t len, xmlNode *body, size_t *total)
{
    if (len >= HTML_CONTENT_MIN)
        return true;
    if (*total == SIZE_MAX)
        *total = html_text_len(body, 0);
    return len >= *total / 4;
}

/*
 * The element holding the page's article, or NULL to take the whole body:
 * the itemprop="articleBody" element, else the one <article> (or the
 * largest, when it holds two thirds of the articles' text: the others are
 * teasers or comments), else <main>.  A listing page's many equal
 * <article> teasers keep the whole body.  *article says whether it is an
 * article's own element (its sidebars and footer are then the article's).
 */
static xmlNode *html_content(xmlNode *body, bool *article)
{
    *article = false;
    html_marks m = {0};
    html_mark_at(&m, body->children, 0);
    if (!m.body_prop && !m.narticles && !m.main)
        return NULL;
    size_t total = SIZE_MAX, len;
    if (m.body_prop && holds_text(html_text_len(m.body_prop, 1), body, &total)) {
        *article = true;
        return m.body_prop;
    }
    /* An <article> inside another (a reader's comment under the story)
     * counts as part of it, not as a rival. */
    xmlNode *best = NULL;
    size_t best_len = 0, sum = 0;
    for (size_t i = 0; i < m.narticles; i++) {
        bool nested = false;
        for (xmlNode *p = m.articles[i]->parent; p && !nested; p = p->parent)
            nested = html_node_tag(p) & HT_ARTICLE;
        if (nested)
            continue;
        len = html_text_len(m.articles[i], 1);
        sum += len;
        if (len > best_len) {
            best = m.articles[i];
            best_len = len;
        }
    }
    if (best && best_len * 3 >= sum * 2 && holds_text(best_len, body, &total)) {
        *article = true;
        return best;
    }
    if (m.main && holds_text(html_text_len(m.main, 0), body, &total))
        return m.main;
    return NULL;
}

static xmlNode *html_find_at(xmlNode *node, unsigned what, int depth)
{
    if (depth > HTML_DEPTH_MAX)
        return NULL;
    for (xmlNode *n = node; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        unsigned tag = html_tag(n->name);
        if (tag & what)
            return n;
        /* A <title> inside <svg> is not the page's title. */
        if (tag & HT_SVG)
            continue;
        xmlNode *found = html_find_at(n->children, what, depth + 1);
        if (found)
            return found;
    }
    return NULL;
}

/* The first element of flag what (HT_BODY, HT_TITLE, HT_H1) under node. */
static xmlNode *html_find(xmlNode *node, unsigned what)
{
    return html_find_at(node, what, 0);
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

/*
 * The page's title: <title>, unless it is the first <h1> (the article's own
 * when the page marks one) with the site's name around it ("Flood warning |
 * The Daily News"): then the <h1>.  Else the <h1>.  NULL when neither.
 */
static char *html_title(xmlNode *root, xmlNode *content, size_t *len_out)
{
    xmlNode *title = html_find(root, HT_TITLE);
    xmlNode *h1 = content ? html_find(content->children, HT_H1) : NULL;
    if (!h1)
        h1 = html_find(root, HT_H1);
    size_t tlen = 0, hlen = 0;
    char *t = title ? html_node_text(title, &tlen) : NULL;
    char *h = h1 ? html_node_text(h1, &hlen) : NULL;
    if (t && h && hlen < tlen && strstr(t, h)) {
        free(t);
        *len_out = hlen;
        return h;
    }
    if (t) {
        free(h);
        *len_out = tlen;
        return t;
    }
    *len_out = hlen;
    return h;
}

/* <meta name="date" content="..."> and friends, else <time datetime>. */
static char *html_date_at(xmlNode *root, int depth)
{
    /* The names news sites and archives use (Open Graph, Dublin Core,
     * schema.org microdata, Google Scholar, the CMSs' own). */
    static const char *const keys[] = {
        "article:published_time", "date", "dc.date", "dc.date.issued", "dcterms.date",
        "dcterms.issued", "dcterms.created", "pubdate", "publishdate", "publish-date",
        "publish_date", "publication_date", "datepublished", "datecreated",
        "citation_publication_date", "citation_date", "sailthru.date", "parsely-pub-date",
        "og:published_time", NULL};
    char *found = NULL;
    for (xmlNode *n = root; n && !found; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        unsigned tag = html_tag(n->name);
        if (tag & HT_META) {
            xmlChar *key = xmlGetProp(n, (const xmlChar *)"name");
            if (!key)
                key = xmlGetProp(n, (const xmlChar *)"property");
            if (!key)
                key = xmlGetProp(n, (const xmlChar *)"itemprop");
            if (key && name_in(key, keys)) {
                xmlChar *v = xmlGetProp(n, (const xmlChar *)"content");
                if (v && *v)
                    found = strdup((const char *)v);
                xmlFree(v);
            }
            xmlFree(key);
        } else if (tag & HT_TIME) {
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

/* Valid UTF-8 (without NUL) that holds at least one non-ASCII character. */
static bool has_utf8_beyond_ascii(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        while (i + 8 <= len && (load8(buf + i) & BYTES_HIGHS) == 0)
            i += 8; /* eight ASCII bytes */
        if (i < len && (unsigned char)buf[i] >= 0x80)
            return utf8_clean(buf, len);
    }
    return false;
}

void lede_extract_init(void)
{
    xmlInitParser();
}

static int extract_html(lede_extracted *out, const char *buf, size_t len, bool decoded)
{
    int rc = LEDE_ENOMEM;
    char *fixed = NULL;
    htmlDocPtr doc = NULL;
    const char *enc = NULL;

    if (len > INT_MAX)
        return LEDE_EINVAL;
    if (decoded) {
        /* Converted to UTF-8 already: whatever <meta charset> says is stale. */
        enc = "UTF-8";
    } else if (has_utf8_beyond_ascii(buf, len)) {
        /* Valid UTF-8 with non-ASCII characters is UTF-8, whatever the page
         * declares: a page converted to UTF-8 and saved keeps its old
         * <meta charset=iso-8859-1>, and read as Latin-1 every "é" would be
         * "Ã©".  (Latin-1 text is almost never valid UTF-8 by accident.) */
        enc = "UTF-8";
    } else if (!html_declares_charset(buf, len)) {
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
        xmlNode *body = html_find(root, HT_BODY);
        bool article = false;
        xmlNode *content = body ? html_content(body, &article) : NULL;
        out->title = html_title(root, content, &out->title_len);
        out->date = html_date(root);
        /* The article when the page marks it, else the body, else the whole
         * tree for fragments without one (head skipped). */
        html_text t = {.article = article};
        html_walk(&t, content ? content->children : body ? body->children : root, 0);
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
/* Dates                                                               */
/* ------------------------------------------------------------------ */

/*
 * The index compares dates as strings (--since, --until, date:, --sort
 * date), so every date it stores must be ISO 8601: "5 March 2024" stored as
 * found sorts after every year 2xxx and passes --since 2024 without being
 * of it.  Archives write dates every way, so the common ones are converted
 * here; what cannot be read unambiguously (05/03/2024) is not guessed.
 */

static const char *const month_names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
                                            "jul", "aug", "sep", "oct", "nov", "dec"};

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* A run of at most max digits at *p: its value, and p moved past it. */
static int digits(const char **p, int max, int *ndigits)
{
    int v = 0, n = 0;
    while (n < max && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *ndigits = n;
    return v;
}

static int fixed_digits(const char **p, int n, int *out)
{
    int got;
    *out = digits(p, n, &got);
    return got == n;
}

/* A month name or its first three letters (English), 1..12; 0 when none. */
static int month_of(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    while (isalpha((unsigned char)s[n]))
        n++;
    if (n < 3)
        return 0;
    for (int m = 0; m < 12; m++) {
        if (strncasecmp(s, month_names[m], 3) != 0)
            continue;
        static const char *const full[12] = {"january", "february", "march", "april",
                                             "may",     "june",     "july",  "august",
                                             "september", "october", "november", "december"};
        /* "Mar", "Mar.", "March", "Sept": a prefix of the full name. */
        if (n <= strlen(full[m]) && strncasecmp(s, full[m], n) == 0) {
            *p = s + n;
            if (**p == '.')
                (*p)++;
            return m + 1;
        }
    }
    return 0;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == ',')
        (*p)++;
}

/* "hh:mm[:ss]" with an optional AM/PM; false (p unmoved) when there is none. */
static bool clock_time(const char **p, int *h, int *mi, int *sec)
{
    const char *s = *p;
    int n1, n2;
    *h = digits(&s, 2, &n1);
    if (n1 == 0 || *s != ':')
        return false;
    s++;
    *mi = digits(&s, 2, &n2);
    if (n2 != 2)
        return false;
    *sec = 0;
    if (*s == ':') {
        s++;
        *sec = digits(&s, 2, &n2);
        if (n2 != 2)
            return false;
        if (*s == '.' || *s == ',') /* fractions of a second: dropped */
            while (isdigit((unsigned char)*++s))
                ;
    }
    const char *t = s;
    skip_spaces(&t);
    if ((t[0] == 'a' || t[0] == 'A' || t[0] == 'p' || t[0] == 'P') &&
        (t[1] == 'm' || t[1] == 'M') && !isalpha((unsigned char)t[2])) {
        if (*h < 1 || *h > 12)
            return false;
        *h = *h % 12 + ((t[0] == 'p' || t[0] == 'P') ? 12 : 0);
        s = t + 2;
    }
    if (*h > 23 || *mi > 59 || *sec > 60)
        return false;
    *p = s;
    return true;
}

/* A time zone: Z, +hh:mm, +hhmm, +hh, or a name RFC 2822 allows.  *tz gets
 * "Z" or "+hh:mm"; empty when there is none. */
static bool time_zone(const char **p, char tz[8])
{
    static const struct {
        const char *name;
        const char *tz;
    } zones[] = {{"UTC", "Z"},      {"GMT", "Z"},      {"UT", "Z"},       {"Z", "Z"},
                 {"EST", "-05:00"}, {"EDT", "-04:00"}, {"CST", "-06:00"}, {"CDT", "-05:00"},
                 {"MST", "-07:00"}, {"MDT", "-06:00"}, {"PST", "-08:00"}, {"PDT", "-07:00"}};
    const char *s = *p;
    tz[0] = '\0';
    while (*s == ' ')
        s++;
    if (*s == '+' || *s == '-') {
        char sign = *s++;
        int h, m = 0, n;
        h = digits(&s, 2, &n);
        if (n != 2)
            return false;
        if (*s == ':')
            s++;
        if (isdigit((unsigned char)*s) && !fixed_digits(&s, 2, &m))
            return false;
        if (h > 14 || m > 59)
            return false;
        if (h == 0 && m == 0)
            snprintf(tz, 8, "Z");
        else
            snprintf(tz, 8, "%c%02u:%02u", sign, (unsigned)h % 100u, (unsigned)m % 100u);
        *p = s;
        return true;
    }
    for (size_t i = 0; i < ARRAY_SIZE(zones); i++) {
        size_t n = strlen(zones[i].name);
        if (strncasecmp(s, zones[i].name, n) == 0 && !isalpha((unsigned char)s[n])) {
            snprintf(tz, 8, "%s", zones[i].tz);
            *p = s + n;
            return true;
        }
    }
    return true; /* none */
}

static bool only_trailing(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    /* "(EST)" after an RFC 2822 zone is a comment. */
    if (*s == '(') {
        const char *close = strchr(s, ')');
        if (!close)
            return false;
        s = close + 1;
        while (*s == ' ' || *s == '\t')
            s++;
    }
    return *s == '\0';
}

/* Days since 1970-01-01 → civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Seconds (or milliseconds) since 1970 as a UTC date and time. */
static bool from_epoch(const char *s, char *out, size_t outsize)
{
    const char *p = s;
    int n = 0;
    int64_t v = 0;
    /* At most 14 digits (13 is the longest taken): 19 would overflow v. */
    while (isdigit((unsigned char)*p) && n < 14) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (*p == '.')
        while (isdigit((unsigned char)*++p))
            ;
    if (*p || (n != 9 && n != 10 && n != 12 && n != 13))
        return false;
    if (n >= 12)
        v /= 1000; /* milliseconds, as JavaScript writes them */
    int y, m, d;
    civil_from_days(v / 86400, &y, &m, &d);
    int64_t sec = v % 86400;
    snprintf(out, outsize, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    return true;
}

/* v (0 to 10^digits - 1) in digits decimal digits at q; returns their end. */
static char *put_digits(char *q, int v, int digits)
{
    for (int i = digits - 1; i >= 0; i--, v /= 10)
        q[i] = (char)('0' + v % 10);
    return q + digits;
}

/* Write y-m-d, with what precision is known, and a time when there is one.
 * By hand rather than with snprintf, which was a third of what extracting a
 * Reuters record cost besides cJSON; every field is in range by here (y
 * 1-9999, the rest two digits), and out is cut as snprintf would. */
static bool put_date(char *out, size_t outsize, int y, int m, int d, bool has_time, int h, int mi,
                     int sec, const char *tz)
{
    if (y < 1 || y > 9999 || m > 12 || (m != 0 && d != 0 && !valid_ymd(y, m, d)))
        return false;
    char buf[32], *q = put_digits(buf, y, 4);
    const int parts[5] = {m, d, h, mi, sec};
    static const char sep[5] = {'-', '-', 'T', ':', ':'};
    /* The month when known, the day when known too, the time when there is one. */
    int nparts = m == 0 ? 0 : d == 0 ? 1 : has_time ? 5 : 2;
    for (int i = 0; i < nparts; i++) {
        *q++ = sep[i];
        q = put_digits(q, parts[i] % 100, 2);
    }
    if (nparts == 5) {
        size_t tzlen = strnlen(tz, 7);
        memcpy(q, tz, tzlen);
        q += tzlen;
    }
    if (outsize > 0) {
        size_t n = LEDE_MIN((size_t)(q - buf), outsize - 1);
        memcpy(out, buf, n);
        out[n] = '\0';
    }
    return true;
}

/* What may follow a date: nothing, or a time and a zone. */
static bool date_tail(const char *p, char *out, size_t outsize, int y, int m, int d)
{
    int h = 0, mi = 0, sec = 0;
    char tz[8] = "";
    skip_spaces(&p);
    if (*p == 'T' || *p == 't')
        p++;
    bool has_time = clock_time(&p, &h, &mi, &sec);
    if (has_time && !time_zone(&p, tz))
        return false;
    if (!only_trailing(p))
        return false;
    return put_date(out, outsize, y, m, d, has_time, h, mi, sec, tz);
}

bool lede_extract_date_iso(char *out, size_t outsize, const char *in)
{
    char buf[128];
    const char *p = in;
    int y = 0, m = 0, d = 0, n;

    while (isspace((unsigned char)*p))
        p++;
    size_t len = strlen(p);
    while (len && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, p, len);
    buf[len] = '\0';
    p = buf;

    if (isdigit((unsigned char)*p)) {
        const char *s = p;
        int v = digits(&s, 9, &n);
        if (n == 4 && (*s == '\0' || *s == '-' || *s == '/' || *s == '.')) {
            /* 2024, 2024-03, 2024-03-05, 2024/03/05 and an ISO time. */
            y = v;
            if (*s == '\0')
                return put_date(out, outsize, y, 0, 0, false, 0, 0, 0, "");
            char sep = *s++;
            m = digits(&s, 2, &n);
            if (n == 0)
                return false;
            if (*s == sep && isdigit((unsigned char)s[1])) {
                s++;
                d = digits(&s, 2, &n);
                if (n == 0)
                    return false;
            } else if (*s) {
                return false;
            }
            if (m == 0)
                return false;
            if (d == 0)
                return put_date(out, outsize, y, m, 0, false, 0, 0, 0, "");
            return date_tail(s, out, outsize, y, m, d);
        }
        if (n == 8 && (*s == '\0' || *s == 'T')) {
            /* 20240305, ISO's basic form (its time, if any, is dropped). */
            if (*s == 'T') {
                while (*++s && (isdigit((unsigned char)*s) || *s == 'Z' || *s == '+' ||
                                *s == '-' || *s == '.'))
                    ;
                if (*s)
                    return false;
            }
            return put_date(out, outsize, v / 10000, v / 100 % 100, v % 100, false, 0, 0, 0,
                            "");
        }
        if (from_epoch(p, out, outsize))
            return true;
        if (n >= 1 && n <= 2) {
            /* 5 March 2024, 05-Mar-2024, 5 Mar 2024 10:00:00 +0000. */
            d = v;
            while (*s == ' ' || *s == '-' || *s == '.' || *s == '/')
                s++;
            if (!(m = month_of(&s)))
                return false; /* 05/03/2024: day first or month first? */
            while (*s == ' ' || *s == '-' || *s == ',' || *s == '/')
                s++;
            y = digits(&s, 4, &n);
            if (n == 2)
                y += y < 50 ? 2000 : 1900; /* RFC 822's two-digit years */
            else if (n != 4)
                return false;
            return date_tail(s, out, outsize, y, m, d);
        }
        return false;
    }
    /* A weekday first: "Tue, 05 Mar 2024 ...", "Tuesday, March 5, 2024". */
    static const char *const weekdays[7] = {"monday", "tuesday", "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};
    size_t wn = 0;
    while (isalpha((unsigned char)p[wn]))
        wn++;
    for (int w = 0; w < 7; w++) {
        /* "Tue", "Tues" or "Tuesday", not "Monsoon". */
        if (wn >= 3 && wn <= strlen(weekdays[w]) && strncasecmp(p, weekdays[w], wn) == 0) {
            p += wn;
            if (*p == '.')
                p++;
            skip_spaces(&p);
            if (!isdigit((unsigned char)*p) && !isalpha((unsigned char)*p))
                return false;
            return lede_extract_date_iso(out, outsize, p);
        }
    }
    /* "March 5, 2024", "Mar 5 2024 10:00", "March 2024". */
    if (!(m = month_of(&p)))
        return false;
    skip_spaces(&p);
    int v = digits(&p, 4, &n);
    if (n == 4) {
        y = v;
        return only_trailing(p) && put_date(out, outsize, y, m, 0, false, 0, 0, 0, "");
    }
    if (n < 1 || n > 2)
        return false;
    d = v;
    if (p[0] && strchr("sSnNrRtT", p[0]) && isalpha((unsigned char)p[1]))
        p += 2; /* 1st, 2nd, 3rd, 4th */
    skip_spaces(&p);
    y = digits(&p, 4, &n);
    if (n != 4)
        return false;
    return date_tail(p, out, outsize, y, m, d);
}

/* Replace *date by its ISO form.  When it cannot be read, *date is freed and
 * set to NULL and *raw (when raw is not NULL) takes the text as found, so
 * the caller can keep it as metadata rather than lose it. */
static int normalise_date(char **date, char **raw)
{
    char iso[64];
    if (raw)
        *raw = NULL;
    if (!*date)
        return LEDE_OK;
    if (lede_extract_date_iso(iso, sizeof iso, *date)) {
        char *copy = strdup(iso);
        if (!copy)
            return LEDE_ENOMEM;
        free(*date);
        *date = copy;
        return LEDE_OK;
    }
    const char *s = *date;
    while (isspace((unsigned char)*s))
        s++;
    if (raw && *s)
        *raw = *date;
    else
        free(*date);
    *date = NULL;
    return LEDE_OK;
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

/* The date of a whole document in ISO form; one that cannot be read is kept
 * as the metadata {"date": "..."}. */
static int document_date(lede_extracted *out)
{
    char *raw = NULL;
    int rc = normalise_date(&out->date, &raw);
    if (rc || !raw)
        return rc;
    out->date_unread = true;
    cJSON *meta = cJSON_CreateObject();
    if (meta && cJSON_AddStringToObject(meta, "date", raw))
        out->meta_json = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    free(raw);
    return out->meta_json ? LEDE_OK : LEDE_ENOMEM;
}

int lede_extract_document(lede_extracted *out, const char *buf, size_t len, lede_format fmt)
{
    int rc = LEDE_ENOMEM;
    char *text = NULL;
    size_t text_len = 0;
    sbuf md = {0};

    char *decoded = NULL;
    size_t pre_bad = 0, pre_line = 0;

    *out = (lede_extracted){0};
    /* Text that is not UTF-8: UTF-16, or a legacy 8-bit charset, converted
     * first so that every format below sees UTF-8. */
    int u16 = utf16_kind(buf, len);
    if (u16) {
        if (decode_utf16(&decoded, &len, &pre_bad, &pre_line, buf, len, u16))
            goto cleanup;
        out->charset = u16 == 1 ? "UTF-16LE" : "UTF-16BE";
        buf = decoded;
    } else if (!utf8_clean(buf, len) &&
               !(fmt == LEDE_FORMAT_HTML && html_declares_charset(buf, len)) &&
               looks_legacy(buf, len)) {
        if (decode_1252(&decoded, &len, &pre_bad, &pre_line, buf, len))
            goto cleanup;
        out->charset = "windows-1252";
        buf = decoded;
    }
    if (fmt == LEDE_FORMAT_AUTO)
        fmt = lede_extract_format_sniff(buf, len);
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3; /* a byte-order mark is not text */
        len -= 3;
    }
    switch (fmt) {
    case LEDE_FORMAT_HTML:
        rc = extract_html(out, buf, len, decoded != NULL);
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
        rc = split_title(out, &text, text_len);
        break;
    case LEDE_FORMAT_JSONL:
    case LEDE_FORMAT_JSON:
    case LEDE_FORMAT_AUTO:
        rc = LEDE_EINVAL;
        break;
    }
    if (rc == LEDE_OK)
        rc = document_date(out);
    if (pre_bad) {
        /* The conversion's guesses and replacements come first in the file. */
        out->repaired += pre_bad;
        out->repair_line = pre_line;
    }
    if (out->title)
        blank_controls(out->title, out->title_len);
cleanup:
    free(decoded);
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

/* The member is there and not null. */
static bool json_present(cJSON *obj, const char *name)
{
    cJSON *item = json_field(obj, name);
    return item && !cJSON_IsNull(item);
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

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/*
 * Escapes cJSON cannot take as they are.  \u0000 is valid JSON, but cJSON's
 * strings end at a NUL, so "a\u0000b" would lose "b" without a word: it
 * becomes a space (\u0020), as other control characters do.  A lone
 * surrogate (\ud800 without its pair, which JavaScript and Python write)
 * makes cJSON reject the whole record: it becomes U+FFFD (\ufffd) and is
 * counted as repaired.  *text is rewritten in a copy (*copy, made on the
 * first change unless there is one already); the length never changes.
 */
static int json_fix_escapes(char **copy, const char **text, size_t len, size_t *nbad)
{
    const char *t = *text;
    for (size_t i = 0; i + 1 < len; i++) {
        const char *bs = memchr(t + i, '\\', len - 1 - i);
        if (!bs)
            break;
        i = (size_t)(bs - t);
        if (t[i + 1] != 'u' || i + 6 > len) {
            i++; /* \\, \" and the like: the next byte is escaped */
            continue;
        }
        int v = hex4(t + i + 2);
        const char *repl = NULL;
        if (v == 0) {
            repl = "0020";
        } else if (v >= 0xD800 && v <= 0xDBFF) {
            int lo = i + 12 <= len && t[i + 6] == '\\' && t[i + 7] == 'u' ? hex4(t + i + 8) : -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF)
                i += 6; /* a proper pair */
            else
                repl = "fffd";
        } else if (v >= 0xDC00 && v <= 0xDFFF) {
            repl = "fffd";
        }
        if (repl) {
            if (!*copy) {
                if (!(*copy = dup_n(t, len)))
                    return LEDE_ENOMEM;
                *text = t = *copy;
            }
            memcpy(*copy + i + 2, repl, 4);
            if (repl[0] == 'f')
                (*nbad)++;
        }
        i += 5;
    }
    return LEDE_OK;
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
    size_t lone = 0;
    if (memchr(text, '\\', text_len)) {
        rc = json_fix_escapes(&fixed, &text, text_len, &lone);
        if (rc)
            goto cleanup;
        if (lone && !out->repaired)
            out->repair_line = 1;
        out->repaired += lone;
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

    /* A field named on the command line that a record lacks is that
     * record's error, not a quiet default: a typo in --body-field indexed
     * every record with an empty body (the text went to the metadata), one
     * in --id-field named every record FILE:LINE, and nothing said so. */
    if (fields->id && !json_present(root, fields->id)) {
        set_err(err, errsize, "no field \"%s\" (--id-field) in this record", fields->id);
        goto cleanup;
    }
    if (fields->body && !json_present(root, fields->body)) {
        set_err(err, errsize, "no field \"%s\" (--body-field) in this record", fields->body);
        goto cleanup;
    }
    if (json_string(&out->id, json_field(root, id_name), true)) {
        set_err(err, errsize, "field \"%s\" must be a string or a number", id_name);
        goto cleanup;
    }
    used[nused++] = id_name;
    if (out->id && !out->id[0]) {
        free(out->id);
        out->id = NULL;
    }
    /* A title may be a number (a book called 1984, a report numbered 7). */
    if (json_string(&out->title, json_field(root, title_name), true)) {
        set_err(err, errsize, "field \"%s\" must be a string or a number", title_name);
        goto cleanup;
    }
    used[nused++] = title_name;
    if (json_string(&out->date, json_field(root, date_name), true)) {
        set_err(err, errsize, "field \"%s\" must be a string", date_name);
        goto cleanup;
    }
    char *raw_date = NULL;
    if (normalise_date(&out->date, &raw_date))
        goto cleanup;
    if (raw_date) {
        /* Not understood: stays among the metadata, as the record has it. */
        free(raw_date);
        out->date_unread = true;
    } else {
        used[nused++] = date_name;
    }

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
