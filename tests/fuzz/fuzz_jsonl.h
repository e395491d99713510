/*
 * fuzz_jsonl.h — fuzz entry for the JSON Lines reader (lede_extract_json).
 *
 * The input is a JSON Lines file.  Each non-blank line goes to the reader
 * twice, with the default field names and with remapped ones (as
 * --id-field/--title-field/--body-field/--date-field do), in a buffer of
 * exactly the line's size: the reader is handed a line without its newline
 * and must not read past it.  A line is either accepted (and then every
 * extraction invariant holds) or refused with LEDE_EINVAL and a message.
 */
#ifndef LEDE_FUZZ_JSONL_H
#define LEDE_FUZZ_JSONL_H

#include "fuzz_extract_check.h"

static void fuzz_jsonl_line(const char *line, size_t len, const lede_extract_fields *fields)
{
    char err[256];
    lede_extracted x;
    char *copy = fuzz_copy((const uint8_t *)line, len);
    memset(err, 'x', sizeof err);
    int rc = lede_extract_json(&x, copy, len, fields, err, sizeof err);
    if (rc == LEDE_OK) {
        fuzz_check_extracted(&x, true);
    } else {
        FUZZ_CHECK(rc == LEDE_EINVAL || rc == LEDE_ENOMEM);
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        FUZZ_CHECK(x.body == NULL && x.title == NULL && x.id == NULL);
    }
    lede_extracted_clear(&x);
    free(copy);
}

static int lede_fuzz_jsonl(const uint8_t *data, size_t size)
{
    static const lede_extract_fields remapped = {"docno", "headline", "text", "published"};
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        bool blank = true;
        for (size_t i = 0; i < len && blank; i++)
            blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
        if (!blank) {
            fuzz_jsonl_line(p, len, NULL);
            fuzz_jsonl_line(p, len, &remapped);
        }
        p += len + (nl != NULL);
    }
    return 0;
}

#endif /* LEDE_FUZZ_JSONL_H */
