/*
 * fuzz_extract_check.h — the invariants every successful extraction keeps,
 * shared by the JSON Lines, HTML and Markdown/text fuzz targets.
 */
#ifndef LEDE_FUZZ_EXTRACT_CHECK_H
#define LEDE_FUZZ_EXTRACT_CHECK_H

#include "fuzz_common.h"

#include "extract.h"

#include <cjson/cJSON.h>

/* No control byte but tab and newline: what blank_controls promises for
 * text that can end up on a terminal. */
static inline bool fuzz_no_controls(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* extract.h: every string handed back is valid UTF-8 and NUL-terminated, the
 * body is never NULL, lengths match, meta_json is a JSON object. */
static inline void fuzz_check_extracted(const lede_extracted *x, bool controls_blanked)
{
    FUZZ_CHECK(x->body != NULL);
    FUZZ_CHECK(fuzz_str_ok(x->body, x->body_len));
    if (x->title) {
        FUZZ_CHECK(fuzz_str_ok(x->title, x->title_len));
        FUZZ_CHECK(fuzz_no_controls(x->title, x->title_len));
    }
    if (controls_blanked)
        FUZZ_CHECK(fuzz_no_controls(x->body, x->body_len));
    if (x->id)
        FUZZ_CHECK(fuzz_str_ok(x->id, strlen(x->id)) && x->id[0] != '\0');
    if (x->date)
        FUZZ_CHECK(fuzz_str_ok(x->date, strlen(x->date)));
    if (x->meta_json) {
        FUZZ_CHECK(fuzz_str_ok(x->meta_json, strlen(x->meta_json)));
        cJSON *meta = cJSON_Parse(x->meta_json);
        FUZZ_CHECK(meta != NULL && cJSON_IsObject(meta));
        cJSON_Delete(meta);
    }
    FUZZ_CHECK((x->repaired == 0) == (x->repair_line == 0));
}

#endif /* LEDE_FUZZ_EXTRACT_CHECK_H */
