/*
 * fuzz_index.h — fuzz entry for opening, checking and searching an index
 * whose records have been corrupted: the reader's and the checker's
 * decoders (stats, term records, postings chunks, positions, document
 * records, entity lists, zstd text, doc lengths) read bytes that may come
 * from an untrusted or damaged file, and must answer LEDE_ECORRUPT (or
 * another clean error), never crash or read out of bounds.
 *
 * A small reference index is built once per process (synthetic articles
 * with names, dates, repeated words and enough documents for multi-block
 * postings, plus an update and a delete).  For each input it is copied to a
 * work directory and the input, read as a list of mutations, damages its
 * records through LMDB itself: flip a byte, set a byte, truncate, extend,
 * overwrite with 0xff (huge varints), delete a record, or damage a key.
 * Mutating through LMDB keeps the B-tree valid, so what is tested is lede's
 * own decoding; damage to LMDB's page structure is tested separately, by
 * tests/cli/robust_corrupt.sh, which flips raw bytes of data.mdb and runs
 * the real commands in child processes.
 *
 * Input: repeated groups of 6 bytes
 *   db (mod the number of databases), record (2 bytes, mod the records in
 *   that database), op, offset (2 bytes, mod the value's length); ops that
 *   add bytes take them from the input that follows.
 */
#ifndef LEDE_FUZZ_INDEX_H
#define LEDE_FUZZ_INDEX_H

#include "fuzz_common.h"

#include "store.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUZZ_INDEX_DOCS 160

static char fuzz_index_root[64];
static uint8_t *fuzz_index_ref;  /* the reference data.mdb */
static size_t fuzz_index_ref_len;

static int fuzz_index_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 ? 0 : 0;
}

/* Remove the whole scratch tree (data, lock and writer.lock files). */
static void fuzz_index_cleanup(void)
{
    if (fuzz_index_root[0])
        nftw(fuzz_index_root, fuzz_index_rm, 8, FTW_DEPTH | FTW_PHYS);
    free(fuzz_index_ref);
    fuzz_index_ref = NULL;
}

/* One synthetic article: a rotating vocabulary (so terms have many
 * postings across blocks), a title, repeated words (tf > 1, positions) and
 * capitalised names the entity spotter picks up. */
static void fuzz_index_article(char *title, size_t tsize, char *body, size_t bsize, int i)
{
    static const char *const words[] = {
        "nuclear", "talks",   "minister", "border",  "economy", "election", "missile",
        "summit",  "trade",   "sanctions", "river",  "harvest", "market",   "court",
        "storm",   "vaccine", "railway", "festival", "treaty",  "coalition"};
    static const char *const names[] = {"Kim Jong Un", "Wang Yi", "Choe Son Hui",
                                        "Angela Merkel", "United Nations"};
    const size_t nw = sizeof words / sizeof words[0];
    snprintf(title, tsize, "%s %s report %d", names[i % 5], words[i % nw], i);
    size_t at = 0;
    at += (size_t)snprintf(body + at, bsize - at,
                           "Common words open every article number %d. %s met %s on %s. ", i,
                           names[(i + 1) % 5], names[(i + 3) % 5], words[(i * 7) % nw]);
    for (int k = 0; k < 12 + i % 9 && at < bsize - 64; k++)
        at += (size_t)snprintf(body + at, bsize - at, "The %s and the %s %s. ",
                               words[(i + k) % nw], words[(i * 3 + k) % nw],
                               k % 4 == 0 ? "common" : "again");
}

static void fuzz_index_build(void)
{
    char dir[128], work[160];
    char title[160], body[2048], id[32], date[16];
    char *err = NULL;
    lede_index *ix = NULL;

    snprintf(fuzz_index_root, sizeof fuzz_index_root, "/tmp/lede-fuzz-index-XXXXXX");
    FUZZ_CHECK(mkdtemp(fuzz_index_root) != NULL);
    atexit(fuzz_index_cleanup);
    snprintf(dir, sizeof dir, "%s/ref", fuzz_index_root);
    snprintf(work, sizeof work, "%s/work", fuzz_index_root);
    FUZZ_CHECK(mkdir(work, 0700) == 0);

    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    o.threads = 1;
    o.memory_budget = 64 << 10; /* small batches: several commits, several chunks per term */
    if (lede_index_open(&ix, dir, &o, &err) != LEDE_OK) {
        fprintf(stderr, "fuzz_index: cannot create the reference index: %s\n", err ? err : "?");
        abort();
    }
    for (int i = 0; i < FUZZ_INDEX_DOCS; i++) {
        lede_doc d = LEDE_DOC_INIT;
        fuzz_index_article(title, sizeof title, body, sizeof body, i);
        snprintf(id, sizeof id, "doc-%03d", i);
        snprintf(date, sizeof date, "20%02d-%02d-%02d", 10 + i % 15, 1 + i % 12, 1 + i % 28);
        d.id = id;
        d.title = title;
        d.title_len = strlen(title);
        d.body = body;
        d.body_len = strlen(body);
        d.date = i % 10 == 9 ? NULL : date;
        /* Pairs from one file (stored once in "paths"), lone files, none. */
        d.path = i % 4 < 2 ? "fuzz/all.jsonl" : i % 4 == 2 ? id : NULL;
        d.meta_json = i % 3 == 0 ? "{\"source\":\"fuzz\",\"n\":1}" : NULL;
        d.mtime = 1700000000 + i;
        d.size = d.body_len;
        d.hash = (uint64_t)i * 0x9E3779B97F4A7C15u;
        FUZZ_CHECK(lede_index_add(ix, &d) == LEDE_OK);
        if (i % 50 == 49)
            FUZZ_CHECK(lede_index_commit(ix) == LEDE_OK);
    }
    FUZZ_CHECK(lede_index_commit(ix) == LEDE_OK);
    /* An update (same id, new text) and deletes leave deleted postings
     * and records of the deleted database behind. */
    {
        lede_doc d = LEDE_DOC_INIT;
        d.id = "doc-007";
        d.title = "Replaced";
        d.title_len = 8;
        d.body = "The replaced article mentions Kim Jong Un once.";
        d.body_len = strlen(d.body);
        FUZZ_CHECK(lede_index_add(ix, &d) == LEDE_OK);
        FUZZ_CHECK(lede_index_delete(ix, "doc-011") == LEDE_OK);
        FUZZ_CHECK(lede_index_delete(ix, "doc-100") == LEDE_OK);
        FUZZ_CHECK(lede_index_commit(ix) == LEDE_OK);
    }
    lede_index_close(ix);

    char path[200];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    int fd = open(path, O_RDONLY);
    FUZZ_CHECK(fd >= 0);
    struct stat st;
    FUZZ_CHECK(fstat(fd, &st) == 0);
    fuzz_index_ref_len = (size_t)st.st_size;
    fuzz_index_ref = malloc(fuzz_index_ref_len);
    FUZZ_CHECK(fuzz_index_ref && read(fd, fuzz_index_ref, fuzz_index_ref_len) ==
                                     (ssize_t)fuzz_index_ref_len);
    close(fd);
}

/* Write the reference data file into the work directory. */
static void fuzz_index_reset(const char *work)
{
    char path[200];
    snprintf(path, sizeof path, "%s/data.mdb", work);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(write(fd, fuzz_index_ref, fuzz_index_ref_len) == (ssize_t)fuzz_index_ref_len);
    close(fd);
}

/* Apply the input's mutations to the records, in one write transaction. */
static void fuzz_index_mutate(const char *work, const uint8_t *data, size_t size)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    char *err = NULL;
    uint8_t *val = NULL;
    FUZZ_CHECK(lede_store_open(&s, work, 0, &err) == LEDE_OK);
    FUZZ_CHECK(lede_store_begin(&t, s, 1) == LEDE_OK);
    const uint8_t *p = data, *end = data + size;
    while (end - p >= 6) {
        lede_db db = (lede_db)(p[0] % LEDE_DB_COUNT);
        uint32_t rec = (uint32_t)p[1] | (uint32_t)p[2] << 8;
        uint8_t op = p[3];
        size_t off = (size_t)p[4] | (size_t)p[5] << 8;
        p += 6;
        uint64_t entries = 0, bytes = 0;
        if (lede_store_db_size(t, db, &bytes, &entries) != LEDE_OK || entries == 0)
            continue;
        /* A term database counts blocks, several records each (format 7):
         * walk to rec, or wrap round at the end. */
        if (!LEDE_DB_IS_TERMS(db))
            rec %= (uint32_t)entries;
        lede_cursor *c = NULL;
        lede_val k, v;
        FUZZ_CHECK(lede_store_cursor_open(&c, t, db) == LEDE_OK);
        int rc = lede_store_cursor_first(c, &k, &v);
        uint32_t at = 0;
        for (; at < rec && rc == LEDE_OK; at++)
            rc = lede_store_cursor_next(c, &k, &v);
        if (rc == LEDE_ITEROVER && at > 0) {
            rec %= at;
            rc = lede_store_cursor_first(c, &k, &v);
            for (at = 0; at < rec && rc == LEDE_OK; at++)
                rc = lede_store_cursor_next(c, &k, &v);
        }
        if (rc != LEDE_OK) {
            lede_store_cursor_close(c);
            continue;
        }
        /* Copies: the cursor's views die with the next write. */
        size_t klen = k.len, vlen = v.len, extra = (op >> 3) & 31;
        uint8_t key[512];
        FUZZ_CHECK(klen <= sizeof key);
        memcpy(key, k.data, klen);
        val = malloc(vlen + extra + 1);
        FUZZ_CHECK(val != NULL);
        memcpy(val, v.data, vlen);
        lede_store_cursor_close(c);

        switch (op % 8) {
        case 0: /* flip one byte */
        case 1:
            if (vlen)
                val[off % vlen] ^= (uint8_t)(extra ? extra : 0x80);
            break;
        case 2: /* truncate */
            vlen = vlen ? off % vlen : 0;
            break;
        case 3: /* extend with input bytes */
            for (size_t i = 0; i < extra && p < end; i++)
                val[vlen++] = *p++;
            break;
        case 4: /* overwrite a run with input bytes */
            for (size_t i = 0; vlen && i < extra && p < end; i++)
                val[(off + i) % vlen] = *p++;
            break;
        case 5: /* 0xff run: varints that never end or decode huge */
            for (size_t i = 0; vlen && i <= extra; i++)
                val[(off + i) % vlen] = 0xff;
            break;
        case 6: /* the record disappears */
            lede_store_del(t, db, key, klen);
            free(val);
            val = NULL;
            continue;
        case 7: /* the key changes: the record moves */
            if (klen) {
                lede_store_del(t, db, key, klen);
                key[off % klen] ^= (uint8_t)(extra | 1);
            }
            break;
        }
        lede_store_put(t, db, key, klen, val, vlen);
        free(val);
        val = NULL;
    }
    FUZZ_CHECK(lede_store_commit(t) == LEDE_OK);
    lede_store_close(s);
}

typedef struct fuzz_terms {
    char term[24][64];
    size_t len[24];
    size_t n, seen;
} fuzz_terms;

static int fuzz_index_term_cb(const char *term, size_t len, const lede_term_info *info,
                              void *payload)
{
    fuzz_terms *ft = payload;
    (void)info;
    FUZZ_CHECK(term != NULL || len == 0);
    /* Keep a spread of terms: every seventh, up to the array's size. */
    if (ft->seen++ % 7 == 0 && ft->n < 24 && len < 64) {
        memcpy(ft->term[ft->n], term, len);
        ft->len[ft->n++] = len;
    }
    return ft->seen > 5000;
}

static void fuzz_index_postings(lede_reader *r, lede_field field, const char *term, size_t len)
{
    lede_postings *p = NULL;
    lede_term_info ti;
    (void)lede_reader_term(r, field, term, len, &ti);
    if (lede_postings_open(&p, r, field, term, len) != LEDE_OK)
        return;
    uint32_t prev = 0;
    int rc = LEDE_OK;
    for (int steps = 0; rc == LEDE_OK && steps < 4000; steps++) {
        uint32_t d = lede_postings_docid(p);
        if (d == LEDE_DOCID_END)
            break;
        FUZZ_CHECK(d > prev);
        prev = d;
        (void)lede_postings_tf(p);
        (void)lede_postings_title_tf(p);
        lede_block_info bi;
        lede_postings_block(p, &bi);
        if (field != LEDE_FIELD_STEM) {
            const uint32_t *pos;
            uint32_t n;
            if (lede_postings_positions(p, &pos, &n) == LEDE_OK)
                for (uint32_t i = 1; i < n; i++)
                    FUZZ_CHECK(pos[i] >= pos[i - 1]);
        }
        rc = lede_postings_next(p);
    }
    lede_postings_free(p);

    /* A second cursor skipping around, as WAND does. */
    if (lede_postings_open(&p, r, field, term, len) != LEDE_OK)
        return;
    uint32_t target = 1;
    for (int steps = 0; steps < 64; steps++) {
        if (lede_postings_shallow_seek(p, target) != LEDE_OK)
            break;
        lede_block_info bi;
        lede_postings_block(p, &bi);
        if (lede_postings_seek(p, target) != LEDE_OK)
            break;
        uint32_t d = lede_postings_docid(p);
        FUZZ_CHECK(d >= target);
        if (d == LEDE_DOCID_END || d > UINT32_MAX - 8)
            break;
        target = d + 1 + (uint32_t)steps % 5;
    }
    lede_postings_free(p);
}

static void fuzz_index_read(const char *dir)
{
    lede_reader *r = NULL;
    char *err = NULL;
    if (lede_reader_open(&r, dir, &err) != LEDE_OK) {
        FUZZ_CHECK(r == NULL);
        free(err);
        return;
    }
    lede_stats st;
    uint32_t max_docid = 0;
    if (lede_reader_stats(r, &st) == LEDE_OK)
        max_docid = st.max_docid;
    lede_index_sizes sizes;
    (void)lede_reader_sizes(r, &sizes);
    for (int f = LEDE_FIELD_STEM; f <= LEDE_FIELD_NAME; f++) {
        fuzz_terms ft = {0};
        (void)lede_reader_terms(r, (lede_field)f, "", 0, fuzz_index_term_cb, &ft);
        (void)lede_reader_terms(r, (lede_field)f, "comm", 4, fuzz_index_term_cb, &ft);
        for (size_t i = 0; i < ft.n; i++)
            fuzz_index_postings(r, (lede_field)f, ft.term[i], ft.len[i]);
        fuzz_index_postings(r, (lede_field)f, "common", 6);
        fuzz_index_postings(r, (lede_field)f, "kim jong un", 11);
    }
    if (max_docid > FUZZ_INDEX_DOCS + 50)
        max_docid = FUZZ_INDEX_DOCS + 50;
    for (uint32_t d = 0; d <= max_docid; d++) {
        lede_doc_info di;
        (void)lede_reader_doclen(r, d);
        if (lede_reader_doc(r, d, &di) == LEDE_OK) {
            FUZZ_CHECK(di.id && di.title && di.date && di.path && di.meta_json);
            uint32_t back;
            (void)lede_reader_find(r, di.id, &back);
        }
        char *text = NULL;
        size_t tlen = 0;
        if (lede_reader_text(r, d, &text, &tlen) == LEDE_OK) {
            FUZZ_CHECK(text != NULL && text[tlen] == '\0');
            free(text);
        }
        lede_entity_list el = {0};
        (void)lede_reader_entities(r, d, &el);
        for (size_t i = 0; i < el.n; i++)
            FUZZ_CHECK(el.items[i].name != NULL);
        lede_entity_list_clear(&el);
    }
#ifdef LEDE_SEARCH_OPTIONS_INIT
    /* The searcher on top: ranking, phrases, names, prefixes, dates. */
    static const char *const queries[] = {
        "common nuclear talks", "\"common words\"", "name:\"kim jong un\"", "Kim Jong Un summit",
        "minist*", "title:report -again", "date:2015..2020 trade", "+treaty OR (storm AND river)",
        "\"the market\"~3", "nuclear NEAR/2 talks"};
    lede_searcher *s = NULL;
    if (lede_searcher_open(&s, r, &err) == LEDE_OK) {
        for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
            lede_search_options so = LEDE_SEARCH_OPTIONS_INIT;
            so.explain = q % 2;
            so.count_all = q % 3 == 0;
            so.sort = (lede_sort)(q % 3);
            lede_results *res = NULL;
            if (lede_search(&res, s, queries[q], &so) == LEDE_OK) {
                FUZZ_CHECK(res != NULL);
                lede_results_free(res);
            }
        }
        lede_searcher_close(s);
    } else {
        free(err);
        err = NULL;
    }
#endif
    lede_reader_close(r);

    uint64_t problems = 0;
    int rc = lede_index_check(dir, NULL, NULL, &problems, &err);
    FUZZ_CHECK(rc != LEDE_OK || problems == 0);
    free(err);
}

static int lede_fuzz_index(const uint8_t *data, size_t size)
{
    char work[128];
    if (!fuzz_index_ref)
        fuzz_index_build();
    snprintf(work, sizeof work, "%s/work", fuzz_index_root);
    fuzz_index_reset(work);
    fuzz_index_mutate(work, data, size);
    fuzz_index_read(work);
    return 0;
}

#endif /* LEDE_FUZZ_INDEX_H */
