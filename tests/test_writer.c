/* The writer: stats exact after adds, replaces and deletes; identical
 * indexes whatever the thread count; batches; lock; size limit. */
#include "index_fixture.h"

#include "postings.h"
#include "reader.h"
#include "store.h"
#include "varint.h"

static char *dir;

static void setup(void)
{
    fx_load();
    dir = fx_tmpdir();
}

static void teardown(void)
{
    fx_rmdir(dir);
    dir = NULL;
    fx_free();
}

TestSuite(writer, .init = setup, .fini = teardown);

/* df of a term by walking its cursor (the ground truth). */
static uint32_t walk_df(lede_reader *r, lede_field f, const char *term)
{
    lede_postings *p = NULL;
    uint32_t n = 0;
    if (lede_postings_open(&p, r, f, term, strlen(term)) != LEDE_OK)
        return 0;
    while (lede_postings_docid(p) != LEDE_DOCID_END) {
        n++;
        if (lede_postings_next(p) != LEDE_OK)
            break;
    }
    lede_postings_free(p);
    return n;
}

/* The collection statistics of two indexes of the same live documents agree. */
static void expect_same_stats(lede_reader *a, lede_reader *b)
{
    lede_stats sa, sb;
    lede_reader_stats(a, &sa);
    lede_reader_stats(b, &sb);
    cr_expect_eq(sb.ndocs, sa.ndocs);
    cr_expect_eq(sb.total_len, sa.total_len);
    for (int f = 0; f < 3; f++) {
        cr_expect_eq(sb.nterms[f], sa.nterms[f], "field %d", f);
        cr_expect_eq(sb.npostings[f], sa.npostings[f], "field %d", f);
    }
}

Test(writer, counts_every_document_and_its_length)
{
    fx_index(dir, 0, fx_ndocs, 1, 0);
    lede_reader *r = fx_reader(dir);
    lede_stats st;
    cr_assert_eq(lede_reader_stats(r, &st), LEDE_OK);
    cr_expect_eq(st.ndocs, fx_ndocs);
    cr_expect_eq(st.max_docid, fx_ndocs);
    cr_expect_str_eq(st.language, "english");
    uint64_t total = 0;
    for (uint32_t d = 1; d <= st.max_docid; d++) {
        lede_doc_info info;
        cr_assert_eq(lede_reader_doc(r, d, &info), LEDE_OK);
        cr_expect_eq(lede_reader_doclen(r, d), info.len);
        cr_expect_str_eq(info.id, fx_docs[d - 1].id);
        cr_expect_str_eq(info.title, fx_docs[d - 1].title);
        total += info.len;
    }
    cr_expect_eq(st.total_len, total);
    cr_expect_gt(st.nterms[LEDE_FIELD_STEM], 1000);
    cr_expect_gt(st.nterms[LEDE_FIELD_WORD], st.nterms[LEDE_FIELD_STEM]);
    cr_expect_gt(st.nterms[LEDE_FIELD_NAME], 10);
    lede_reader_close(r);
    fx_check(dir);
}

Test(writer, replace_and_delete_keep_statistics_exact)
{
    /* Reference: the index of documents 10..end only. */
    char *ref = fx_tmpdir();
    fx_index(ref, 10, fx_ndocs, 1, 0);

    /* Same live set, reached by adding all, replacing some and deleting 0..9. */
    fx_index(dir, 0, fx_ndocs, 2, 0);
    fx_index(dir, 20, 40, 1, 0); /* replace: same ids */
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    for (size_t i = 0; i < 10; i++)
        cr_assert_eq(lede_index_delete(ix, fx_docs[i].id), LEDE_OK);
    cr_expect_eq(lede_index_delete(ix, fx_docs[0].id), LEDE_ENOTFOUND);
    cr_expect_eq(lede_index_delete(ix, "no such id"), LEDE_ENOTFOUND);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
    fx_check(dir);

    lede_reader *a = fx_reader(ref), *b = fx_reader(dir);
    expect_same_stats(a, b);
    const char *terms[] = {"the", "refuge", "nation", "burundi", "rwanda", "said"};
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++) {
        lede_term_info ia, ib;
        int ra = lede_reader_term(a, LEDE_FIELD_STEM, terms[i], strlen(terms[i]), &ia);
        int rb = lede_reader_term(b, LEDE_FIELD_STEM, terms[i], strlen(terms[i]), &ib);
        cr_expect_eq(rb, ra, "%s", terms[i]);
        cr_expect_eq(ib.df, ia.df, "%s", terms[i]);
        cr_expect_eq(ib.cf, ia.cf, "%s", terms[i]);
        cr_expect_eq(walk_df(b, LEDE_FIELD_STEM, terms[i]), ib.df, "%s", terms[i]);
    }
    uint32_t docid;
    cr_expect_eq(lede_reader_find(b, fx_docs[0].id, &docid), LEDE_ENOTFOUND);
    cr_expect_eq(lede_reader_find(b, fx_docs[25].id, &docid), LEDE_OK);
    cr_expect_gt(docid, fx_ndocs, "a replaced document gets a new doc id");
    lede_reader_close(a);
    lede_reader_close(b);
    fx_rmdir(ref);
}

/* A touched source's new mtime is stored, and nothing else changes; an id
 * replaced in the same batch ends replaced, an unknown one is ignored. */
Test(writer, touch_stores_the_new_mtime_only)
{
    fx_index(dir, 0, 20, 1, 0);
    lede_reader *before = fx_reader(dir);
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    cr_assert_eq(lede_index_touch(ix, fx_docs[3].id, 42), LEDE_OK);
    cr_assert_eq(lede_index_touch(ix, "no such id", 43), LEDE_OK);
    cr_assert_eq(lede_index_touch(ix, fx_docs[5].id, 44), LEDE_OK);
    lede_doc d = fx_doc(5); /* replaced in the same batch: its own mtime wins */
    cr_assert_eq(lede_index_add(ix, &d), LEDE_OK);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
    fx_check(dir);

    lede_reader *r = fx_reader(dir);
    expect_same_stats(before, r);
    uint32_t id3, id5;
    cr_assert_eq(lede_reader_find(r, fx_docs[3].id, &id3), LEDE_OK);
    cr_assert_eq(lede_reader_find(r, fx_docs[5].id, &id5), LEDE_OK);
    cr_expect_eq(id3, 4, "a touch keeps the doc id");
    lede_doc_info a, b;
    cr_assert_eq(lede_reader_doc(before, 4, &a), LEDE_OK);
    cr_assert_eq(lede_reader_doc(r, id3, &b), LEDE_OK);
    cr_expect_eq(b.mtime, 42);
    cr_expect_eq(b.size, a.size);
    cr_expect_eq(b.hash, a.hash);
    cr_expect_eq(b.len, a.len);
    cr_expect_str_eq(b.title, a.title);
    cr_expect_str_eq(b.date, a.date);
    cr_assert_eq(lede_reader_doc(r, id5, &b), LEDE_OK);
    cr_expect_eq(b.mtime, d.mtime);
    for (uint32_t k = 1; k <= 20; k++) {
        if (k == 4 || k == 6)
            continue;
        if (lede_reader_doc(r, k, &b) == LEDE_OK)
            cr_expect_eq(b.mtime, fx_doc(k - 1).mtime, "doc %u", k);
    }
    lede_reader_close(before);
    lede_reader_close(r);
}

/* Every record of every database, for comparing two indexes. */
static int same_terms(const char *t, size_t len, const lede_term_info *info, void *payload)
{
    lede_reader *other = payload;
    lede_term_info o;
    (void)info;
    cr_assert_eq(lede_reader_term(other, LEDE_FIELD_WORD, t, len, &o), LEDE_OK, "%.*s", (int)len, t);
    cr_assert_eq(o.df, info->df);
    cr_assert_eq(o.cf, info->cf);
    return 0;
}

Test(writer, same_index_whatever_the_thread_count)
{
    char *two = fx_tmpdir();
    /* A tiny budget forces many batches in one of them. */
    fx_index(dir, 0, fx_ndocs, 1, 0);
    fx_index(two, 0, fx_ndocs, 4, 64 << 10);
    lede_reader *a = fx_reader(dir), *b = fx_reader(two);
    lede_stats sa, sb;
    lede_reader_stats(a, &sa);
    lede_reader_stats(b, &sb);
    cr_expect_eq(memcmp(&sa, &sb, sizeof sa), 0);
    cr_expect_eq(lede_reader_terms(a, LEDE_FIELD_WORD, NULL, 0, same_terms, b), LEDE_OK);
    const char *words[] = {"the", "rwanda", "said", "police"};
    for (size_t i = 0; i < 4; i++) {
        lede_postings *p = NULL, *q = NULL;
        cr_assert_eq(lede_postings_open(&p, a, LEDE_FIELD_WORD, words[i], strlen(words[i])), LEDE_OK);
        cr_assert_eq(lede_postings_open(&q, b, LEDE_FIELD_WORD, words[i], strlen(words[i])), LEDE_OK);
        while (lede_postings_docid(p) != LEDE_DOCID_END) {
            cr_assert_eq(lede_postings_docid(p), lede_postings_docid(q));
            cr_assert_eq(lede_postings_tf(p), lede_postings_tf(q));
            const uint32_t *pp, *qp;
            uint32_t pn, qn;
            cr_assert_eq(lede_postings_positions(p, &pp, &pn), LEDE_OK);
            cr_assert_eq(lede_postings_positions(q, &qp, &qn), LEDE_OK);
            cr_assert_eq(pn, qn);
            cr_assert_eq(memcmp(pp, qp, pn * sizeof *pp), 0);
            lede_postings_next(p);
            lede_postings_next(q);
        }
        cr_expect_eq(lede_postings_docid(q), LEDE_DOCID_END);
        lede_postings_free(p);
        lede_postings_free(q);
    }
    lede_reader_close(a);
    lede_reader_close(b);
    fx_check(two);

    /* With the same budget the batches end at the same documents: the same bytes. */
    char *three = fx_tmpdir();
    fx_index(three, 0, fx_ndocs, 1, 64 << 10);
    a = fx_reader(two);
    b = fx_reader(three);
    lede_index_sizes za, zb;
    cr_assert_eq(lede_reader_sizes(a, &za), LEDE_OK);
    cr_assert_eq(lede_reader_sizes(b, &zb), LEDE_OK);
    cr_expect_eq(memcmp(&za, &zb, sizeof za), 0, "sizes differ: postings %llu vs %llu",
                 (unsigned long long)za.postings, (unsigned long long)zb.postings);
    lede_reader_close(a);
    lede_reader_close(b);
    fx_rmdir(three);
    fx_rmdir(two);
}

Test(writer, second_writer_is_refused_naming_the_holder)
{
    lede_index *a = NULL, *b = NULL;
    char *msg = NULL;
    cr_assert_eq(lede_index_open(&a, dir, NULL, NULL), LEDE_OK);
    cr_expect_eq(lede_index_open(&b, dir, NULL, &msg), LEDE_EBUSY);
    cr_expect_null(b);
    cr_assert_not_null(msg);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    cr_expect(strstr(msg, pid) != NULL, "%s", msg);
    free(msg);
    lede_index_close(a);
    cr_expect_eq(lede_index_open(&b, dir, NULL, NULL), LEDE_OK);
    lede_index_close(b);
}

Test(writer, readers_see_the_last_committed_state)
{
    fx_index(dir, 0, 50, 1, 0);
    lede_reader *before = fx_reader(dir);
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    for (size_t i = 50; i < 60; i++) {
        lede_doc d = fx_doc(i);
        cr_assert_eq(lede_index_add(ix, &d), LEDE_OK);
    }
    lede_stats st;
    lede_reader *during = fx_reader(dir);
    lede_reader_stats(during, &st);
    cr_expect_eq(st.ndocs, 50, "uncommitted documents are invisible");
    cr_assert_eq(lede_index_commit(ix), LEDE_OK);
    lede_index_close(ix);
    lede_reader_stats(before, &st);
    cr_expect_eq(st.ndocs, 50, "an open reader keeps its snapshot");
    lede_reader *after = fx_reader(dir);
    lede_reader_stats(after, &st);
    cr_expect_eq(st.ndocs, 60);
    lede_reader_close(before);
    lede_reader_close(during);
    lede_reader_close(after);
}

Test(writer, map_grows_when_full)
{
    lede_store_set_initial_mapsize(256 << 10);
    fx_index(dir, 0, fx_ndocs, 1, 0);
    lede_store_set_initial_mapsize(0);
    lede_reader *r = fx_reader(dir);
    lede_stats st;
    lede_reader_stats(r, &st);
    cr_expect_eq(st.ndocs, fx_ndocs);
    lede_reader_close(r);
    fx_check(dir);
}

Test(writer, size_limit_fails_clearly_and_keeps_committed_batches)
{
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    o.max_size = 1 << 20;
    o.threads = 1;
    lede_store_set_initial_mapsize(256 << 10);
    fx_index(dir, 0, 5, 1, 0);
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    int rc = LEDE_OK;
    for (int round = 0; round < 50 && rc == LEDE_OK; round++) {
        for (size_t i = 5; i < fx_ndocs && rc == LEDE_OK; i++) {
            lede_doc d = fx_doc(i);
            char id[64];
            snprintf(id, sizeof id, "%s-%d", fx_docs[i].id, round);
            d.id = id;
            rc = lede_index_add(ix, &d);
        }
        if (rc == LEDE_OK)
            rc = lede_index_commit(ix);
    }
    cr_expect_eq(rc, LEDE_EFULL);
    cr_expect(strstr(lede_index_errmsg(ix), "size limit") != NULL, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
    lede_store_set_initial_mapsize(0);
    lede_reader *r = fx_reader(dir);
    lede_stats st;
    lede_reader_stats(r, &st);
    cr_expect_geq(st.ndocs, 5);
    lede_reader_close(r);
    fx_check(dir);
}

/* The stored record of a term: where its list is (inline or in chunks). */
static lede_terminfo_rec term_rec(lede_field f, const char *term)
{
    return fx_term_record(dir, f, term, NULL, 0);
}

/* Add doc id with title and body, through ix. */
static void add_body(lede_index *ix, const char *id, const char *title, const char *body)
{
    lede_doc d = LEDE_DOC_INIT;
    d.id = id;
    d.title = title;
    d.title_len = strlen(title);
    d.body = body;
    d.body_len = strlen(body);
    cr_assert_eq(lede_index_add(ix, &d), LEDE_OK, "%s", lede_index_errmsg(ix));
}

Test(writer, short_lists_move_out_of_the_term_record_as_they_grow)
{
    /* 400 documents in batches of 25, each with "common" (every document),
     * "rare" (every 40th) and its own word; every 7th of the first 100 is
     * deleted along the way.  The record of "common" holds its list until it
     * outgrows it, then chunks; counts stay exact throughout. */
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    o.threads = 1;
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    char id[32], body[256];
    uint32_t live = 0, rare = 0;
    int saw_inline = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "d%d", i);
        snprintf(body, sizeof body, "common words here and common again, unique%d %s", i,
                 i % 40 == 0 ? "rare" : "");
        add_body(ix, id, "title", body);
        live++;
        rare += i % 40 == 0;
        if (i % 25 == 24) {
            if (i < 100)
                for (int k = i - 24; k <= i; k++)
                    if (k % 7 == 0) {
                        snprintf(id, sizeof id, "d%d", k);
                        cr_assert_eq(lede_index_delete(ix, id), LEDE_OK);
                        live--;
                        rare -= k % 40 == 0;
                    }
            cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
            lede_terminfo_rec ti = term_rec(LEDE_FIELD_WORD, "common");
            saw_inline |= ti.first_run == 0;
            cr_expect_eq(ti.df, live);
            lede_reader *r = fx_reader(dir);
            cr_expect_eq(walk_df(r, LEDE_FIELD_STEM, "common"), live);
            cr_expect_eq(walk_df(r, LEDE_FIELD_WORD, "common"), live);
            cr_expect_eq(walk_df(r, LEDE_FIELD_STEM, "rare"), rare);
            lede_reader_close(r);
            fx_check(dir);
        }
    }
    lede_index_close(ix);
    cr_expect(saw_inline, "\"common\" started inline");
    cr_expect_gt(term_rec(LEDE_FIELD_WORD, "common").first_run, 0, "and moved to chunks");
    cr_expect_eq(term_rec(LEDE_FIELD_WORD, "rare").first_run, 0, "\"rare\" stays inline");
    /* Phrases still match across the inline and chunked lists. */
    lede_reader *r = fx_reader(dir);
    lede_postings *p = NULL;
    cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_WORD, "common", 6), LEDE_OK);
    const uint32_t *pos;
    uint32_t n;
    cr_assert_eq(lede_postings_positions(p, &pos, &n), LEDE_OK);
    cr_expect_eq(n, 2);
    cr_expect_eq(pos[0], 1 + LEDE_TITLE_GAP);
    cr_expect_eq(pos[1], 5 + LEDE_TITLE_GAP);
    lede_postings_free(p);
    lede_reader_close(r);
}

Test(writer, postings_buffered_in_slices_read_back_whole)
{
    /* A batch keeps each term's postings as bytes in slices of growing size
     * (writer.c, slice_posting).  "alpha" gets one posting of 700 positions
     * (title and body: crossing slices in the middle of a posting), then
     * one or two in each of 300 documents, after a gap that grows, so that
     * postings start and end at every offset of a slice.  Read back: every
     * doc id, tf, title tf and position. */
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    o.threads = 1;
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    enum { NDOCS = 301, LONG_TF = 700 };
    static char body[LONG_TF * 16];
    size_t at = 0;
    for (int k = 0; k < LONG_TF; k++)
        at += (size_t)snprintf(body + at, sizeof body - at, "alpha %.*s", k % 9 * 2, "x x x x x x x x x ");
    add_body(ix, "d0", "alpha title", body);
    char id[32], text[4096];
    for (int i = 1; i < NDOCS; i++) {
        at = 0;
        for (int k = 0; k < i % 37; k++)
            at += (size_t)snprintf(text + at, sizeof text - at, "w%d ", k);
        snprintf(text + at, sizeof text - at, "alpha%s", i % 3 ? "" : " y alpha");
        snprintf(id, sizeof id, "d%d", i);
        add_body(ix, id, "t", text);
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
    fx_check(dir);

    lede_reader *r = fx_reader(dir);
    lede_postings *p = NULL;
    cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_WORD, "alpha", 5), LEDE_OK);
    for (int i = 0; i < NDOCS; i++) {
        cr_assert_neq(lede_postings_docid(p), LEDE_DOCID_END, "document %d", i);
        const uint32_t *pos;
        uint32_t n;
        cr_assert_eq(lede_postings_positions(p, &pos, &n), LEDE_OK);
        if (i == 0) {
            cr_expect_eq(lede_postings_tf(p), LONG_TF + 1);
            cr_expect_eq(lede_postings_title_tf(p), 1);
            cr_assert_eq(n, LONG_TF + 1);
            cr_expect_eq(pos[0], 0);
            uint32_t want = LEDE_TITLE_GAP + 2; /* after the title's two words */
            for (int k = 0; k < LONG_TF; k++) {
                cr_expect_eq(pos[k + 1], want, "position %d", k);
                want += 1 + (uint32_t)(k % 9);
            }
        } else {
            uint32_t tf = i % 3 ? 1 : 2, first = LEDE_TITLE_GAP + 1 + (uint32_t)(i % 37);
            cr_expect_eq(lede_postings_tf(p), tf, "document %d", i);
            cr_expect_eq(lede_postings_title_tf(p), 0);
            cr_assert_eq(n, tf);
            cr_expect_eq(pos[0], first, "document %d", i);
            if (tf == 2)
                cr_expect_eq(pos[1], first + 2, "document %d", i);
        }
        int rc = lede_postings_next(p);
        cr_assert(rc == LEDE_OK || (i == NDOCS - 1 && rc == LEDE_ITEROVER), "rc %d", rc);
    }
    cr_expect_eq(lede_postings_docid(p), LEDE_DOCID_END);
    lede_postings_free(p);
    lede_reader_close(r);
}

/* The index in d holds the live documents of the one in ref: the same
 * statistics and word df/cf, and each of words (NULL-terminated) walks to
 * its df. */
static void expect_same_live_index(const char *ref, const char *d, const char *const *words)
{
    lede_reader *a = fx_reader(ref), *b = fx_reader(d);
    expect_same_stats(a, b);
    cr_expect_eq(lede_reader_terms(a, LEDE_FIELD_WORD, NULL, 0, same_terms, b), LEDE_OK);
    for (size_t i = 0; words[i]; i++) {
        lede_term_info ib;
        cr_assert_eq(lede_reader_term(b, LEDE_FIELD_WORD, words[i], strlen(words[i]), &ib), LEDE_OK);
        cr_expect_eq(walk_df(b, LEDE_FIELD_WORD, words[i]), ib.df, "%s", words[i]);
    }
    lede_reader_close(a);
    lede_reader_close(b);
}

/* The live runs of an index, from meta "runs" (varint n, then id, level, bytes each). */
static uint64_t count_runs(const char *d)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val v;
    t = fx_peek(d, &s);
    cr_assert_eq(lede_store_get(t, LEDE_DB_META, "runs", 4, &v), LEDE_OK);
    lede_dec dec;
    lede_dec_init(&dec, v.data, v.len);
    uint64_t n = lede_dec_varint(&dec);
    fx_peek_end(s, t);
    return n;
}

/* The postings of term stored in chunks, live or deleted, over every run. */
static uint64_t stored_postings(const char *d, lede_field f, const char *term)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_cursor *c = NULL;
    lede_val k, v;
    size_t tl = strlen(term);
    uint64_t n = 0;
    t = fx_peek(d, &s);
    cr_assert_eq(lede_store_cursor_open(&c, t, LEDE_DB_POST(f)), LEDE_OK);
    for (int rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK;
         rc = lede_store_cursor_next(c, &k, &v)) {
        if (k.len != tl + LEDE_CHUNK_KEY_EXTRA || memcmp((const uint8_t *)k.data + 4, term, tl) != 0)
            continue;
        lede_chunk ch = {0};
        lede_val pv = {NULL, 0};
        if (f != LEDE_FIELD_STEM)
            cr_assert_eq(lede_store_get(t, LEDE_DB_POS(f), k.data, k.len, &pv), LEDE_OK);
        cr_assert_eq(lede_chunk_parse(&ch, v.data, v.len, pv.data, pv.len), LEDE_OK);
        n += ch.ndocs;
        lede_chunk_release(&ch);
    }
    lede_store_cursor_close(c);
    fx_peek_end(s, t);
    return n;
}

Test(writer, small_batches_merge_their_runs_and_drop_deleted_postings)
{
    /* Reference: documents 10.. in one batch. */
    char *ref = fx_tmpdir();
    fx_index(ref, 10, fx_ndocs, 1, 0);
    /* The same live set in batches of 2 documents (each batch a run), the
     * first 10 deleted after the fifth batch. */
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    o.threads = 2;
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    size_t batches = 0;
    for (size_t i = 0; i < fx_ndocs; i++) {
        lede_doc d = fx_doc(i);
        cr_assert_eq(lede_index_add(ix, &d), LEDE_OK, "%s", lede_index_errmsg(ix));
        if (i % 2 == 1 || i + 1 == fx_ndocs) {
            cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
            batches++;
        }
        if (i == 9)
            for (size_t k = 0; k < 10; k++)
                cr_assert_eq(lede_index_delete(ix, fx_docs[k].id), LEDE_OK);
    }
    lede_index_close(ix);
    fx_check(dir);
    /* Runs of 8 batches merged, and runs of 8 of those. */
    uint64_t runs = count_runs(dir);
    cr_expect_lt(runs, batches / 4, "%llu runs after %zu batches", (unsigned long long)runs, batches);

    const char *words[] = {"the", "said", "police", "government", NULL};
    expect_same_live_index(ref, dir, words);
    /* The merges dropped the deleted documents' postings: the word "the"
     * (chunks: its positions outgrow a record) stores only live ones. */
    lede_terminfo_rec ti = term_rec(LEDE_FIELD_WORD, "the");
    cr_expect_gt(ti.first_run, 0);
    uint64_t stored = stored_postings(dir, LEDE_FIELD_WORD, "the");
    cr_expect_eq(stored, ti.df, "%llu postings stored for df %u", (unsigned long long)stored, ti.df);
    fx_rmdir(ref);
}

/* Document i of batch b (0 or 1): 40 of 24,000 distinct words, and in batch
 * 1 a new word after each of them. */
static void synthetic_doc(int b, int i, char *id, size_t idcap, char *body, size_t cap)
{
    size_t n = 0;
    snprintf(id, idcap, "%c%d", b ? 'b' : 'a', i);
    for (int w = 0; w < 40; w++) {
        int word = (i * 40 + w) % 24000;
        n += (size_t)snprintf(body + n, cap - n, b ? "w%05d w%05dx " : "w%05d ", word, word);
    }
}

static uint64_t word_leaves(const char *d)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_db_pages pg;
    t = fx_peek(d, &s);
    cr_assert_eq(lede_store_db_pages(t, LEDE_DB_WORD_TERMS, &pg), LEDE_OK);
    fx_peek_end(s, t);
    return pg.leaf;
}

Test(writer, a_batch_touching_every_record_rewrites_them_in_key_order)
{
    /* Batch 1 stores 24,000 words; batch 2 touches all of them, adds a new
     * word after each, and deletes ten documents: it touches more terms
     * than the records take leaf pages, so it reads them out, empties the
     * database and appends them all again with its own.  The result must
     * be the index that one batch of the same live documents makes, with
     * pages as full. */
    char id[32], body[1024];
    char *ref = fx_tmpdir();
    lede_index *ix = NULL, *rx = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    cr_assert_eq(lede_index_open(&rx, ref, NULL, NULL), LEDE_OK);
    for (int i = 0; i < 600; i++) {
        synthetic_doc(0, i, id, sizeof id, body, sizeof body);
        add_body(ix, id, "t", body);
        if (i >= 10)
            add_body(rx, id, "t", body);
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    uint64_t before = word_leaves(dir);
    for (int i = 0; i < 600; i++) {
        synthetic_doc(1, i, id, sizeof id, body, sizeof body);
        add_body(ix, id, "t", body);
        add_body(rx, id, "t", body);
    }
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "a%d", i);
        cr_assert_eq(lede_index_delete(ix, id), LEDE_OK);
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    cr_assert_eq(lede_index_commit(rx), LEDE_OK, "%s", lede_index_errmsg(rx));
    lede_index_close(ix);
    lede_index_close(rx);
    fx_check(dir);
    cr_assert_geq(before, 64, "the first batch's records take %llu leaves: too few to rewrite",
                  (unsigned long long)before);

    const char *words[] = {"w00000", "w00399x", "w23999", "w07777x", NULL};
    expect_same_live_index(ref, dir, words);
    lede_reader *a = fx_reader(ref), *b = fx_reader(dir);
    cr_expect_eq(lede_reader_terms(b, LEDE_FIELD_WORD, NULL, 0, same_terms, a), LEDE_OK);
    lede_reader_close(a);
    lede_reader_close(b);
    /* Appended in order, the records fill their pages as one batch's do;
     * put among the stored ones, they would split them in half. */
    uint64_t la = word_leaves(ref), lb = word_leaves(dir);
    cr_expect_leq(lb, la + la / 20, "%llu leaves against %llu for one batch",
                  (unsigned long long)lb, (unsigned long long)la);
    fx_rmdir(ref);
}

/* Batch b's document i ("d" 0..199 in batch 0, "e" 0..149 in batch 1). */
static void purge_doc(int b, int i, char *id, size_t idcap, char *body, size_t cap)
{
    snprintf(id, idcap, "%c%d", "de"[b], i);
    if (b == 0)
        snprintf(body, cap, "common words shared%d zeta and more words", i);
    else
        snprintf(body, cap, "common zeta later%d", i);
}

Test(writer, a_run_mostly_deleted_is_purged_in_place)
{
    /* Run 1: 200 documents; run 2: 150 more.  Then 80 of run 1's are
     * deleted (40%): run 1 is rewritten without them, behind run 2.  Then
     * the other 120: run 1 holds nothing live and goes, and the terms it
     * was the first run of start in run 2, or have no postings left. */
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    char id[32], body[128];
    o.threads = 1;
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    for (int b = 0; b < 2; b++) {
        for (int i = 0; i < (b ? 150 : 200); i++) {
            purge_doc(b, i, id, sizeof id, body, sizeof body);
            add_body(ix, id, "t", body);
        }
        cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    }
    cr_assert_eq(count_runs(dir), 2);
    for (int phase = 0; phase < 2; phase++) {
        for (int i = phase ? 80 : 0; i < (phase ? 200 : 80); i++) {
            snprintf(id, sizeof id, "d%d", i);
            cr_assert_eq(lede_index_delete(ix, id), LEDE_OK);
        }
        cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
        fx_check(dir);
        /* The same as an index of the live documents alone. */
        char *ref = fx_tmpdir();
        lede_index *rx = NULL;
        cr_assert_eq(lede_index_open(&rx, ref, &o, NULL), LEDE_OK);
        for (int b = 0; b < 2; b++)
            for (int i = b || phase ? 0 : 80; i < (b ? 150 : phase ? 0 : 200); i++) {
                purge_doc(b, i, id, sizeof id, body, sizeof body);
                add_body(rx, id, "t", body);
            }
        cr_assert_eq(lede_index_commit(rx), LEDE_OK);
        lede_index_close(rx);
        const char *words[] = {"common", "zeta", NULL};
        expect_same_live_index(ref, dir, words);
        fx_rmdir(ref);
        /* Nothing deleted is stored any more. */
        for (size_t w = 0; words[w]; w++)
            cr_expect_eq(stored_postings(dir, LEDE_FIELD_WORD, words[w]),
                         term_rec(LEDE_FIELD_WORD, words[w]).df, "%s after phase %d", words[w],
                         phase);
    }
    lede_index_close(ix);
    cr_expect_eq(count_runs(dir), 1, "run 1 went");
    cr_expect_eq(term_rec(LEDE_FIELD_WORD, "zeta").first_run, 2, "zeta starts in run 2");
    cr_expect_eq(term_rec(LEDE_FIELD_WORD, "zeta").df, 150);
    lede_terminfo_rec gone = term_rec(LEDE_FIELD_WORD, "words");
    cr_expect(gone.df == 0 && gone.first_run == 0, "\"words\" has no postings left");
}

Test(writer, a_batch_replacing_documents_drops_their_postings_from_lists_it_rewrites)
{
    /* 100 documents with "common" (an inline list), then all 100 replaced
     * in one batch: the rewritten list holds the 100 new postings only, so
     * it stays inline, rather than 200 in chunks, half of them deleted. */
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    char id[32], body[64];
    o.threads = 1;
    cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
    for (int v = 0; v < 2; v++) {
        for (int i = 0; i < 100; i++) {
            snprintf(id, sizeof id, "d%d", i);
            snprintf(body, sizeof body, "common version%d", v);
            add_body(ix, id, "t", body);
        }
        cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    }
    lede_index_close(ix);
    fx_check(dir);
    lede_terminfo_rec ti = term_rec(LEDE_FIELD_WORD, "common");
    cr_expect_eq(ti.df, 100);
    cr_expect_eq(ti.first_run, 0, "the list stays inline");
    cr_expect_eq(ti.npostings, 100, "%llu postings stored", (unsigned long long)ti.npostings);
    /* "version0" was in the replaced documents only: its record went. */
    lede_store *st = NULL;
    lede_txn *t = fx_peek(dir, &st);
    lede_val v;
    cr_expect_eq(lede_store_get(t, LEDE_DB_TERMS(LEDE_FIELD_WORD), "version0", 8, &v),
                 LEDE_ENOTFOUND);
    fx_peek_end(st, t);
    lede_reader *r = fx_reader(dir);
    lede_stats rs;
    cr_assert_eq(lede_reader_stats(r, &rs), LEDE_OK);
    lede_reader_close(r);
    cr_expect_eq(rs.ndocs, 100);
}

/* Whether stem term has a record of its own in the index in d. */
static int has_stem_record(const char *d, const char *term)
{
    lede_store *s = NULL;
    lede_val v;
    lede_txn *t = fx_peek(d, &s);
    int rc = lede_store_get(t, LEDE_DB_STEM_TERMS, term, strlen(term), &v);
    fx_peek_end(s, t);
    cr_assert(rc == LEDE_OK || rc == LEDE_ENOTFOUND);
    return rc == LEDE_OK;
}

/* df and tf sum of stem term, by walking its cursor. */
static void stem_walk(const char *d, const char *term, uint32_t *df, uint32_t *tfs)
{
    lede_reader *r = fx_reader(d);
    lede_postings *p = NULL;
    *df = *tfs = 0;
    if (lede_postings_open(&p, r, LEDE_FIELD_STEM, term, strlen(term)) == LEDE_OK) {
        for (; lede_postings_docid(p) != LEDE_DOCID_END; lede_postings_next(p)) {
            ++*df;
            *tfs += lede_postings_tf(p);
        }
        lede_postings_free(p);
    }
    lede_reader_close(r);
}

/* Append term and a space to the string payload. */
static int list_term(const char *t, size_t len, const lede_term_info *info, void *payload)
{
    char *out = payload;
    (void)info;
    size_t n = strlen(out);
    cr_assert(n + len + 2 < 256);
    memcpy(out + n, t, len);
    out[n + len] = ' ';
    out[n + len + 1] = 0;
    return 0;
}

Test(writer, a_stem_spelt_like_its_only_word_is_stored_once)
{
    /* "oil" is only ever spelt "oil" in the first batch: the stem has no
     * record, the word's stands for it.  "oiled" in the second gives it a
     * second spelling: the stem's own record adopts the word's postings.
     * Deleting documents of either kind keeps counts exact, and every state
     * matches an index of the live documents written at once. */
    static const char *const bodies[][2] = {
        {"a1", "oil prices rose as oil fell"}, {"a2", "crude oil"}, {"a3", "runs and zinc"},
        {"b1", "the oiled machine"},           {"b2", "oil again"}, {"b3", "more zinc"},
    };
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    for (int i = 0; i < 3; i++)
        add_body(ix, bodies[i][0], "t", bodies[i][1]);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    cr_expect(!has_stem_record(dir, "oil"), "\"oil\" is its word's");
    cr_expect(!has_stem_record(dir, "zinc"));
    cr_expect(has_stem_record(dir, "run"), "\"run\" is spelt \"runs\": a record of its own");
    cr_expect(term_rec(LEDE_FIELD_WORD, "oil").stem_alias);
    cr_expect(!term_rec(LEDE_FIELD_WORD, "runs").stem_alias);
    uint32_t df, tfs;
    stem_walk(dir, "oil", &df, &tfs);
    cr_expect(df == 2 && tfs == 3, "oil: df %u tfs %u", df, tfs);
    lede_reader *r = fx_reader(dir);
    lede_term_info ti;
    cr_expect_eq(lede_reader_term(r, LEDE_FIELD_STEM, "oil", 3, &ti), LEDE_OK);
    cr_expect(ti.df == 2 && ti.cf == 3);
    cr_expect_eq(lede_reader_term(r, LEDE_FIELD_STEM, "runs", 4, &ti), LEDE_ENOTFOUND,
                 "the word \"runs\" is not a stem");
    /* Listed among the stems in key order, records and aliases alike. */
    char listed[256] = "";
    cr_expect_eq(lede_reader_terms(r, LEDE_FIELD_STEM, NULL, 0, list_term, listed), LEDE_OK);
    cr_expect_str_eq(listed, "and as crude fell oil price rose run t zinc ");
    listed[0] = 0;
    cr_expect_eq(lede_reader_terms(r, LEDE_FIELD_STEM, "r", 1, list_term, listed), LEDE_OK);
    cr_expect_str_eq(listed, "rose run ");
    lede_reader_close(r);
    fx_check(dir);

    for (int i = 3; i < 6; i++)
        add_body(ix, bodies[i][0], "t", bodies[i][1]);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    cr_expect(has_stem_record(dir, "oil"), "a second spelling: the stem's own record");
    cr_expect(!has_stem_record(dir, "zinc"));
    stem_walk(dir, "oil", &df, &tfs);
    cr_expect(df == 4 && tfs == 5, "oil: df %u tfs %u", df, tfs);
    fx_check(dir);

    /* Deletes: one "oil" document, one "zinc" (an alias), then the rest of "zinc". */
    cr_assert_eq(lede_index_delete(ix, "a1"), LEDE_OK);
    cr_assert_eq(lede_index_delete(ix, "a3"), LEDE_OK);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    stem_walk(dir, "oil", &df, &tfs);
    cr_expect(df == 3 && tfs == 3, "oil: df %u tfs %u", df, tfs);
    stem_walk(dir, "zinc", &df, &tfs);
    cr_expect_eq(df, 1);
    fx_check(dir);
    char *ref = fx_tmpdir();
    lede_index *rx = NULL;
    cr_assert_eq(lede_index_open(&rx, ref, NULL, NULL), LEDE_OK);
    for (int i = 0; i < 6; i++)
        if (i != 0 && i != 2)
            add_body(rx, bodies[i][0], "t", bodies[i][1]);
    cr_assert_eq(lede_index_commit(rx), LEDE_OK);
    lede_index_close(rx);
    const char *words[] = {"oil", "oiled", "zinc", NULL};
    expect_same_live_index(ref, dir, words);
    fx_rmdir(ref);
    cr_assert_eq(lede_index_delete(ix, "b3"), LEDE_OK);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    stem_walk(dir, "zinc", &df, &tfs);
    cr_expect_eq(df, 0);
    fx_check(dir);
    lede_index_close(ix);
}

/* Stem term t[0, len) in a and b: both absent, or the same df and cf. */
static void expect_same_stem(lede_reader *a, lede_reader *b, const char *t, size_t len)
{
    lede_term_info ia, ib;
    int ra = lede_reader_term(a, LEDE_FIELD_STEM, t, len, &ia);
    int rb = lede_reader_term(b, LEDE_FIELD_STEM, t, len, &ib);
    cr_assert_eq(rb, ra, "stem %.*s", (int)len, t);
    if (ra == LEDE_OK)
        cr_assert(ia.df == ib.df && ia.cf == ib.cf, "stem %.*s: df %u/%u cf %llu/%llu", (int)len,
                  t, ia.df, ib.df, (unsigned long long)ia.cf, (unsigned long long)ib.cf);
}

/* Every word of a, and every word's spelling as a stem, the same in b. */
static int same_word_and_stem(const char *t, size_t len, const lede_term_info *info, void *payload)
{
    lede_reader **rs = payload;
    same_terms(t, len, info, rs[1]);
    expect_same_stem(rs[0], rs[1], t, len);
    return 0;
}

/* Every stem record of a the same in b (which may hold it as an alias). */
static int same_stem(const char *t, size_t len, const lede_term_info *info, void *payload)
{
    lede_reader **rs = payload;
    (void)info;
    expect_same_stem(rs[0], rs[1], t, len);
    return 0;
}

Test(writer, random_updates_leave_stems_and_words_as_a_fresh_index_would, .timeout = 120)
{
    /* Batches of random adds, replacements (an id given another article's
     * text) and deletes, some under a tiny budget (many runs, then merges
     * and purges): after each, --check passes, and every few, every word
     * and stem (records and aliases alike) has the df and cf of an index
     * of the live documents written at once. */
    enum { NIDS = 60, BATCHES = 24 };
    int live[NIDS]; /* document of each id r<k>, or -1 */
    uint64_t seed = 0x9E3779B97F4A7C15u;
    char id[32];
    for (int k = 0; k < NIDS; k++)
        live[k] = -1;
    for (int batch = 0; batch < BATCHES; batch++) {
        lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
        lede_index *ix = NULL;
        o.threads = 1 + batch % 2;
        o.memory_budget = batch % 3 == 2 ? 64 << 10 : 0;
        cr_assert_eq(lede_index_open(&ix, dir, &o, NULL), LEDE_OK);
        int nops = 1 + (int)((seed >> 40) % 12);
        for (int op = 0; op < nops; op++) {
            seed = seed * 6364136223846793005u + 1442695040888963407u;
            int k = (int)((seed >> 33) % NIDS);
            int doc = (int)((seed >> 17) % fx_ndocs);
            snprintf(id, sizeof id, "r%d", k);
            if (live[k] >= 0 && (seed >> 60) < 5) {
                cr_assert_eq(lede_index_delete(ix, id), LEDE_OK);
                live[k] = -1;
                continue;
            }
            add_body(ix, id, fx_docs[doc].title, fx_docs[doc].body);
            live[k] = doc;
        }
        cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
        lede_index_close(ix);
        fx_check(dir);
        if (batch % 4 != 3)
            continue;
        char *ref = fx_tmpdir();
        lede_index *rx = NULL;
        cr_assert_eq(lede_index_open(&rx, ref, NULL, NULL), LEDE_OK);
        for (int k = 0; k < NIDS; k++)
            if (live[k] >= 0) {
                snprintf(id, sizeof id, "r%d", k);
                add_body(rx, id, fx_docs[live[k]].title, fx_docs[live[k]].body);
            }
        cr_assert_eq(lede_index_commit(rx), LEDE_OK);
        lede_index_close(rx);
        lede_reader *rs[2] = {fx_reader(ref), fx_reader(dir)};
        expect_same_stats(rs[0], rs[1]);
        cr_expect_eq(lede_reader_terms(rs[0], LEDE_FIELD_WORD, NULL, 0, same_word_and_stem, rs),
                     LEDE_OK);
        cr_expect_eq(lede_reader_terms(rs[0], LEDE_FIELD_STEM, NULL, 0, same_stem, rs), LEDE_OK);
        lede_reader_close(rs[0]);
        lede_reader_close(rs[1]);
        fx_rmdir(ref);
    }
}
