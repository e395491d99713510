/*
 * index_fixture.h — shared by the index tests (test_writer.c, test_reader.c,
 * test_check.c): scratch index directories and the bundled corpus
 * (corpus/wikinews.jsonl, 120 articles) as lede_doc values.
 */
#ifndef LEDE_INDEX_FIXTURE_H
#define LEDE_INDEX_FIXTURE_H

#include "reader.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <ftw.h>
#include <lede.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fixture_doc {
    char *id, *title, *body, *date;
} fixture_doc;

static fixture_doc fx_docs[200];
static size_t fx_ndocs;

static inline int fx_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A fresh scratch directory; the caller removes it with fx_rmdir. */
static inline char *fx_tmpdir(void)
{
    char *d = strdup("/tmp/lede-index-test-XXXXXX");
    cr_assert(mkdtemp(d) != NULL);
    return d;
}

static inline void fx_rmdir(char *d)
{
    if (d)
        nftw(d, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

static inline void fx_load(void)
{
    const char *src = getenv("LEDE_SOURCE_DIR");
    char path[4096], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s/corpus/wikinews.jsonl", src ? src : "../..");
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "cannot open %s", path);
    fx_ndocs = 0;
    while (getline(&line, &cap, f) > 0 && fx_ndocs < 200) {
        cJSON *j = cJSON_Parse(line);
        if (!j)
            continue;
        fixture_doc *d = &fx_docs[fx_ndocs++];
        d->id = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")));
        d->title = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "title")));
        d->body = strdup(cJSON_GetStringValue(cJSON_GetObjectItem(j, "body")));
        const char *date = cJSON_GetStringValue(cJSON_GetObjectItem(j, "date"));
        d->date = date ? strdup(date) : NULL;
        cJSON_Delete(j);
    }
    free(line);
    fclose(f);
    cr_assert(fx_ndocs >= 100, "only %zu documents in %s", fx_ndocs, path);
}

static inline void fx_free(void)
{
    for (size_t i = 0; i < fx_ndocs; i++) {
        free(fx_docs[i].id);
        free(fx_docs[i].title);
        free(fx_docs[i].body);
        free(fx_docs[i].date);
    }
    fx_ndocs = 0;
}

static inline lede_doc fx_doc(size_t i)
{
    lede_doc d = LEDE_DOC_INIT;
    d.id = fx_docs[i].id;
    d.title = fx_docs[i].title;
    d.title_len = strlen(fx_docs[i].title);
    d.body = fx_docs[i].body;
    d.body_len = strlen(fx_docs[i].body);
    d.date = fx_docs[i].date;
    d.hash = i * 7919u;
    d.size = d.body_len;
    d.mtime = 1700000000 + (int64_t)i;
    return d;
}

/* Index documents [from, to) of the corpus into dir with the given options. */
static inline void fx_index(const char *dir, size_t from, size_t to, int threads, size_t budget)
{
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    char *msg = NULL;
    o.threads = threads;
    o.memory_budget = budget;
    int rc = lede_index_open(&ix, dir, &o, &msg);
    cr_assert_eq(rc, LEDE_OK, "open: %s", msg ? msg : "?");
    for (size_t i = from; i < to; i++) {
        lede_doc d = fx_doc(i);
        cr_assert_eq(lede_index_add(ix, &d), LEDE_OK, "%s", lede_index_errmsg(ix));
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
}

static inline lede_reader *fx_reader(const char *dir)
{
    lede_reader *r = NULL;
    char *msg = NULL;
    int rc = lede_reader_open(&r, dir, &msg);
    cr_assert_eq(rc, LEDE_OK, "reader: %s", msg ? msg : "?");
    return r;
}

static inline int fx_check_report(const char *where, const char *what, void *payload)
{
    (void)payload;
    cr_log_error("%s: %s", where, what);
    return 0;
}

/* Assert lede_index_check finds nothing wrong. */
static inline void fx_check(const char *dir)
{
    uint64_t n = 0;
    char *msg = NULL;
    int rc = lede_index_check(dir, fx_check_report, NULL, &n, &msg);
    cr_assert_eq(rc, LEDE_OK, "check: %llu problems %s", (unsigned long long)n, msg ? msg : "");
    free(msg);
}

/* A read transaction on the index in dir, for tests that look at its
 * records; fx_peek_end ends it and closes the store. */
static inline lede_txn *fx_peek(const char *dir, lede_store **s)
{
    lede_txn *t = NULL;
    *s = NULL;
    cr_assert_eq(lede_store_open(s, dir, 0, NULL), LEDE_OK);
    cr_assert_eq(lede_store_begin(&t, *s, 0), LEDE_OK);
    return t;
}

static inline void fx_peek_end(lede_store *s, lede_txn *t)
{
    lede_store_abort(t);
    lede_store_close(s);
}

/*
 * The stored record of term in field f, decoded.  Its inline postings (if
 * any) are copied to inl, which holds cap bytes, when inl is not NULL;
 * otherwise the inline pointers are cleared (they pointed into the closed
 * snapshot).
 */
static inline lede_terminfo_rec fx_term_record(const char *dir, lede_field f, const char *term,
                                               uint8_t *inl, size_t cap)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val v;
    lede_terminfo_rec ti;
    t = fx_peek(dir, &s);
    cr_assert_eq(lede_store_get(t, LEDE_DB_TERMS(f), term, strlen(term), &v), LEDE_OK);
    cr_assert_eq(lede_terminfo_decode(&ti, f, v.data, v.len), LEDE_OK);
    if (inl) {
        cr_assert(ti.inl_post_len <= cap);
        memcpy(inl, ti.inl_post, ti.inl_post_len);
        ti.inl_post = inl;
    } else {
        ti.inl_post = NULL;
    }
    ti.inl_pos = NULL;
    fx_peek_end(s, t);
    return ti;
}

#endif /* LEDE_INDEX_FIXTURE_H */
