/*
 * fuzz_html.h — fuzz entry for the HTML extractor (lede_extract_document
 * with LEDE_FORMAT_HTML, over libxml2's HTML parser).
 *
 * The input is an HTML file.  Whatever its bytes (broken tags, declared
 * charsets that lie, invalid UTF-8, deep nesting), extraction succeeds with
 * valid UTF-8 fields or reports LEDE_ENOMEM/LEDE_EINVAL; it never reads
 * outside the buffer.
 */
#ifndef LEDE_FUZZ_HTML_H
#define LEDE_FUZZ_HTML_H

#include "fuzz_extract_check.h"

static int lede_fuzz_html(const uint8_t *data, size_t size)
{
    lede_extracted x;
    char *copy = fuzz_copy(data, size);
    int rc = lede_extract_document(&x, copy, size, LEDE_FORMAT_HTML);
    if (rc == LEDE_OK)
        fuzz_check_extracted(&x, false);
    else
        FUZZ_CHECK(rc == LEDE_ENOMEM || rc == LEDE_EINVAL);
    lede_extracted_clear(&x);
    free(copy);
    return 0;
}

#endif /* LEDE_FUZZ_HTML_H */
