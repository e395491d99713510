/*
 * extract.h — turning the bytes of one input into the fields of a lede_doc.
 *
 * Owner: lib/extract.c.  Used by lede-index (indexer/) and the tests; the
 * index store never sees raw input bytes, only what this module returns.
 *
 * Formats:
 *   txt    title = first non-empty line; body = everything after it.
 *   md     as txt after the Markdown markup is stripped (headings, emphasis,
 *          links, images, code fences, lists, quotes, tables, raw HTML); a
 *          YAML front matter block supplies title: and date: when present.
 *   html   libxml2's HTML parser: title from <title> or else the first <h1>,
 *          body = the text of <body> without script/style, entities decoded.
 *   jsonl  one JSON object per line (cJSON): id, title, body (or text or
 *          content), date, each renamable; every other field is kept, as a
 *          JSON object, in meta_json.
 *
 * Every string handed back is valid UTF-8: invalid sequences are replaced by
 * U+FFFD and counted, so the caller can warn once and index the rest.  A
 * whole document in UTF-16 (with a byte-order mark, or Latin-script text
 * without one) is converted; one whose non-ASCII bytes are mostly not UTF-8
 * is read as Windows-1252 (Latin-1), its non-ASCII bytes counted as repaired.
 */
#ifndef LEDE_EXTRACT_H
#define LEDE_EXTRACT_H

#include "common.h"

typedef enum lede_format {
    LEDE_FORMAT_AUTO = 0, /**< by extension, or by content for stdin */
    LEDE_FORMAT_TXT,
    LEDE_FORMAT_MD,
    LEDE_FORMAT_HTML,
    LEDE_FORMAT_JSONL,
    LEDE_FORMAT_JSON, /**< a JSON document: objects, or arrays of them, any layout */
} lede_format;

/** "txt", "text", "md", "markdown", "html", "htm", "jsonl", "ndjson", "json", "auto". */
int lede_extract_format_parse(lede_format *out, const char *name);
/** The canonical name of a format ("txt", "md", ...).  Static storage. */
const char *lede_extract_format_name(lede_format fmt);
/** The format a file name's extension implies; LEDE_FORMAT_AUTO when none does. */
lede_format lede_extract_format_of_path(const char *path);
/**
 * For input without a name (stdin): json when it starts with '[' or with an
 * object that spans lines (pretty-printed), jsonl when with an object on one
 * line, html when it starts like a page, else txt.
 */
lede_format lede_extract_format_sniff(const char *buf, size_t len);

/**
 * Where a byte stream is in the bracket structure of JSON text, without
 * parsing it: how many brackets are open, and whether inside a string.
 * Start from all zeros; feed every byte to lede_extract_json_step.
 */
typedef struct lede_json_scan {
    int depth;
    bool in_str, esc;
} lede_json_scan;

/** Account for byte c; true when it closed the outermost open bracket. */
static inline bool lede_extract_json_step(lede_json_scan *s, char c)
{
    if (s->in_str) {
        if (s->esc)
            s->esc = false;
        else if (c == '\\')
            s->esc = true;
        else if (c == '"')
            s->in_str = false;
    } else if (c == '"') {
        s->in_str = true;
    } else if (c == '{' || c == '[') {
        s->depth++;
    } else if (c == '}' || c == ']') {
        return --s->depth <= 0;
    }
    return false;
}

/**
 * True when buf looks like a binary file rather than text: a NUL byte or a
 * known binary signature near the start, or mostly control bytes.  UTF-16
 * text counts as binary (lede reads UTF-8).
 */
bool lede_extract_is_binary(const char *buf, size_t len);

/**
 * Write the ISO 8601 form of a date found in an article into out: "2024",
 * "2024-03", "2024-03-05" or "2024-03-05T10:00:00" with "Z" or "+hh:mm"
 * when the zone is known.  Reads ISO dates (also with / or a space), the
 * basic form 20240305, RFC 2822 ("Tue, 05 Mar 2024 10:00:00 +0000"),
 * "5 March 2024", "March 5, 2024", "March 2024" (English month names), and
 * seconds or milliseconds since 1970 (as UTC).  False when in is none of
 * these or is ambiguous (05/03/2024); out (at least 32 bytes) is then
 * unspecified.
 */
bool lede_extract_date_iso(char *out, size_t outsize, const char *in);

/** JSONL field names; NULL members take the defaults (id, title, body|text|content, date). */
typedef struct lede_extract_fields {
    const char *id;
    const char *title;
    const char *body;
    const char *date;
} lede_extract_fields;

/**
 * What one input yields.  Every pointer is owned by the struct: free them
 * with lede_extracted_clear, which leaves it zeroed and reusable.  Strings
 * are NUL-terminated; NULL means absent.
 */
typedef struct lede_extracted {
    char *id;            /**< from JSON only; NULL otherwise */
    char *title;
    size_t title_len;
    char *body;          /**< never NULL after a successful call */
    size_t body_len;
    char *date;          /**< ISO 8601 (lede_extract_date_iso of the JSON date, front
                              matter date: or <meta>/<time>), or NULL */
    char *meta_json;     /**< other JSON fields as one object, or NULL; a date that
                              could not be read is kept here under its field name */
    bool date_unread;    /**< a date was given but not understood (now in meta_json) */
    const char *charset; /**< NULL for UTF-8; else what the text was read as
                              ("UTF-16LE", "UTF-16BE", "windows-1252"); static */
    size_t repaired;     /**< invalid UTF-8 sequences (and NUL bytes) replaced, and
                              bytes read as windows-1252 */
    size_t repair_line;  /**< 1-based line of the first one; 0 when none */
} lede_extracted;

void lede_extracted_clear(lede_extracted *x);

/**
 * Copy buf[0..len) with every invalid UTF-8 sequence and every NUL byte
 * replaced by U+FFFD.  *out (caller frees) is NUL-terminated.  *nbad gets the
 * number of replacements and *first_line the 1-based line of the first one
 * (0 when none).  LEDE_ENOMEM only.
 */
int lede_extract_repair_utf8(char **out, size_t *out_len, size_t *nbad, size_t *first_line,
                             const char *buf, size_t len);

/**
 * Set up the HTML parser's globals: call once before extracting on more
 * than one thread at a time.
 */
void lede_extract_init(void);

/**
 * Extract a whole file of format fmt (txt, md or html; not jsonl).  On
 * failure out is left cleared.  Returns LEDE_OK, LEDE_ENOMEM, or LEDE_EINVAL
 * for a format this call does not take.
 */
int lede_extract_document(lede_extracted *out, const char *buf, size_t len, lede_format fmt);

/**
 * Extract one JSON Lines record (without its newline).  Returns LEDE_EINVAL
 * for a line that is not a JSON object, has a field of the wrong type or no
 * body, or lacks (or has null) the id or body field that fields names
 * explicitly (--id-field, --body-field); err (errsize bytes, may be NULL) then says what is wrong, with a
 * column where the parser gives one.  A missing id leaves out->id NULL: the
 * caller names the record.  Blank lines are not records: the caller skips
 * them.
 */
int lede_extract_json(lede_extracted *out, const char *line, size_t len,
                      const lede_extract_fields *fields, char *err, size_t errsize);

#endif /* LEDE_EXTRACT_H */
