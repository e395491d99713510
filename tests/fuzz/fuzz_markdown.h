/*
 * fuzz_markdown.h — fuzz entry for the plain-text and Markdown extractors
 * (lede_extract_document with LEDE_FORMAT_MD and LEDE_FORMAT_TXT), and for
 * binary detection, which the indexer runs on every file first.
 *
 * The input is a file's bytes; both formats must accept it with valid
 * UTF-8, control bytes blanked, or fail cleanly.
 */
#ifndef LEDE_FUZZ_MARKDOWN_H
#define LEDE_FUZZ_MARKDOWN_H

#include "fuzz_extract_check.h"

static int lede_fuzz_markdown(const uint8_t *data, size_t size)
{
    static const lede_format formats[] = {LEDE_FORMAT_MD, LEDE_FORMAT_TXT};
    char *copy = fuzz_copy(data, size);
    (void)lede_extract_is_binary(copy, size);
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        lede_extracted x;
        int rc = lede_extract_document(&x, copy, size, formats[i]);
        if (rc == LEDE_OK)
            fuzz_check_extracted(&x, true);
        else
            FUZZ_CHECK(rc == LEDE_ENOMEM);
        lede_extracted_clear(&x);
    }
    free(copy);
    return 0;
}

#endif /* LEDE_FUZZ_MARKDOWN_H */
