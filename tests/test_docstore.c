/* Format 3's stored documents: zstd dictionaries trained once from the first
 * documents, records whose title, meta and entities are compressed, source
 * paths shared through "paths", and the brief read that decompresses nothing. */
#include "index_fixture.h"

#include "buf.h"
#include "reader.h"
#include "store.h"
#include "varint.h"

#include <zstd.h>

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

TestSuite(docstore, .init = setup, .fini = teardown);

/* Index documents [from, to), giving each the path paths[i % npaths] (NULL: none). */
static void index_with_paths(size_t from, size_t to, const char *const *paths, size_t npaths)
{
    lede_index_options o = LEDE_INDEX_OPTIONS_INIT;
    lede_index *ix = NULL;
    char *msg = NULL;
    o.threads = 2;
    cr_assert_eq(lede_index_open(&ix, dir, &o, &msg), LEDE_OK, "%s", msg ? msg : "?");
    for (size_t i = from; i < to; i++) {
        lede_doc d = fx_doc(i);
        d.path = npaths ? paths[i % npaths] : NULL;
        d.meta_json = i % 2 ? "{\"source\":\"wikinews\",\"n\":1}" : NULL;
        cr_assert_eq(lede_index_add(ix, &d), LEDE_OK, "%s", lede_index_errmsg(ix));
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
}

/* A copy of meta's dictionary k, or NULL when there is none. */
static lede_buf get_dict(int k)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val v;
    lede_buf out = LEDE_BUF_INIT;
    t = fx_peek(dir, &s);
    if (lede_store_get(t, LEDE_DB_META, lede_zdict_key(k), strlen(lede_zdict_key(k)), &v) == LEDE_OK)
        lede_buf_append(&out, v.data, v.len);
    fx_peek_end(s, t);
    return out;
}

/* The dictIDs named by document docid's text frame and record frame. */
static void frame_dicts(uint32_t docid, unsigned *text_id, unsigned *rec_id)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val v;
    lede_docrec rec;
    uint8_t key[4];
    lede_set_u32be(key, docid);
    t = fx_peek(dir, &s);
    cr_assert_eq(lede_store_get(t, LEDE_DB_TEXT, key, 4, &v), LEDE_OK);
    *text_id = ZSTD_getDictID_fromFrame(v.data, v.len);
    cr_assert_eq(lede_store_get(t, LEDE_DB_DOCS, key, 4, &v), LEDE_OK);
    cr_assert_eq(lede_docrec_decode(&rec, v.data, v.len), LEDE_OK);
    *rec_id = ZSTD_getDictID_fromFrame(rec.cold, rec.cold_len);
    fx_peek_end(s, t);
}

/* Every document of [from, to) reads back whole through a fresh reader. */
static void expect_round_trip(size_t from, size_t to)
{
    lede_reader *r = fx_reader(dir);
    for (size_t i = from; i < to; i++) {
        uint32_t docid;
        lede_doc_info info, brief;
        cr_assert_eq(lede_reader_find(r, fx_docs[i].id, &docid), LEDE_OK, "%s", fx_docs[i].id);
        cr_assert_eq(lede_reader_doc(r, docid, &info), LEDE_OK, "%s", lede_reader_errmsg(r));
        cr_expect_str_eq(info.title, fx_docs[i].title);
        cr_expect_str_eq(info.meta_json, i % 2 ? "{\"source\":\"wikinews\",\"n\":1}" : "");
        char *text = NULL;
        cr_assert_eq(lede_reader_text(r, docid, &text, NULL), LEDE_OK);
        cr_expect_str_eq(text, fx_docs[i].body);
        free(text);
        /* The brief read: every plain field the same, nothing compressed. */
        cr_assert_eq(lede_reader_doc_brief(r, docid, &brief), LEDE_OK);
        cr_expect_str_eq(brief.title, "");
        cr_expect_str_eq(brief.meta_json, "");
        cr_expect_str_eq(brief.id, info.id);
        cr_expect_str_eq(brief.date, info.date);
        cr_expect_str_eq(brief.path, info.path);
        cr_expect_eq(brief.len, info.len);
        cr_expect_eq(brief.title_len, info.title_len);
        cr_expect_eq(brief.mtime, info.mtime);
        cr_expect_eq(brief.hash, info.hash);
        lede_entity_list el = {0};
        cr_expect_eq(lede_reader_entities(r, docid, &el), LEDE_OK);
        lede_entity_list_clear(&el);
    }
    lede_reader_close(r);
}

Test(docstore, dictionaries_come_from_the_first_documents_and_never_change)
{
    index_with_paths(0, 100, NULL, 0);
    lede_buf text = get_dict(LEDE_ZDICT_TEXT), docs = get_dict(LEDE_ZDICT_DOCS);
    cr_assert_gt(text.len, 0, "a text dictionary");
    cr_assert_gt(docs.len, 0, "a record dictionary");
    unsigned tid, rid;
    frame_dicts(1, &tid, &rid);
    cr_expect_eq(tid, LEDE_ZDICT_ID(LEDE_ZDICT_TEXT));
    cr_expect_eq(rid, LEDE_ZDICT_ID(LEDE_ZDICT_DOCS));
    /* A second run, with other documents, keeps them. */
    index_with_paths(100, fx_ndocs, NULL, 0);
    lede_buf text2 = get_dict(LEDE_ZDICT_TEXT), docs2 = get_dict(LEDE_ZDICT_DOCS);
    cr_expect(text2.len == text.len && memcmp(text2.data, text.data, text.len) == 0);
    cr_expect(docs2.len == docs.len && memcmp(docs2.data, docs.data, docs.len) == 0);
    frame_dicts((uint32_t)fx_ndocs, &tid, &rid);
    cr_expect_eq(tid, LEDE_ZDICT_ID(LEDE_ZDICT_TEXT));
    cr_expect_eq(rid, LEDE_ZDICT_ID(LEDE_ZDICT_DOCS));
    expect_round_trip(0, fx_ndocs);
    fx_check(dir);
    lede_buf_free(&text);
    lede_buf_free(&docs);
    lede_buf_free(&text2);
    lede_buf_free(&docs2);
}

Test(docstore, a_tiny_first_run_has_no_dictionary_and_a_later_run_trains_one)
{
    index_with_paths(0, 3, NULL, 0);
    lede_buf text = get_dict(LEDE_ZDICT_TEXT), docs = get_dict(LEDE_ZDICT_DOCS);
    cr_expect_eq(text.len, 0);
    cr_expect_eq(docs.len, 0);
    unsigned tid, rid;
    frame_dicts(2, &tid, &rid);
    cr_expect_eq(tid, 0, "frames without a dictionary name none");
    cr_expect_eq(rid, 0);
    expect_round_trip(0, 3);
    index_with_paths(3, fx_ndocs, NULL, 0);
    text = get_dict(LEDE_ZDICT_TEXT);
    cr_expect_gt(text.len, 0, "the first run with enough documents trains it");
    frame_dicts(2, &tid, &rid);
    cr_expect_eq(tid, 0, "older frames stay as they were");
    frame_dicts(10, &tid, &rid);
    cr_expect_eq(tid, LEDE_ZDICT_ID(LEDE_ZDICT_TEXT));
    expect_round_trip(0, fx_ndocs);
    /* Replacing documents of both kinds decompresses their old frames. */
    index_with_paths(1, 2, NULL, 0);
    index_with_paths(20, 21, NULL, 0);
    expect_round_trip(0, fx_ndocs);
    fx_check(dir);
    lede_buf_free(&text);
    lede_buf_free(&docs);
}

Test(docstore, paths_shared_by_neighbours_are_stored_once)
{
    /* Documents 0-39 from one JSONL file, then each from a file of its own. */
    static const char *const one[] = {"/data/news/all.jsonl"};
    char own[60][64];
    const char *owns[60];
    index_with_paths(0, 40, one, 1);
    for (size_t i = 0; i < 60; i++) {
        snprintf(own[i], sizeof own[i], "/data/news/%03zu.txt", i);
        owns[i] = own[i];
    }
    index_with_paths(40, 100, owns, 60);
    /* Another run on the same file reuses its ref, even for a lone document. */
    index_with_paths(100, 101, one, 1);
    lede_reader *r = fx_reader(dir);
    lede_stats st;
    cr_assert_eq(lede_reader_stats(r, &st), LEDE_OK);
    cr_expect_eq(st.format_version, LEDE_FORMAT_VERSION);
    lede_store *s = NULL;
    lede_txn *t = NULL;
    uint64_t bytes, n;
    t = fx_peek(dir, &s);
    cr_expect_eq(lede_store_db_size(t, LEDE_DB_PATHS, &bytes, &n), LEDE_OK);
    cr_expect_eq(n, 1, "one shared path");
    for (uint32_t d = 1; d <= 101; d++) {
        uint8_t key[4];
        lede_val v;
        lede_docrec rec;
        lede_doc_info info;
        lede_set_u32be(key, d);
        cr_assert_eq(lede_store_get(t, LEDE_DB_DOCS, key, 4, &v), LEDE_OK);
        cr_assert_eq(lede_docrec_decode(&rec, v.data, v.len), LEDE_OK);
        int shared = d <= 40 || d == 101;
        cr_expect_eq(rec.path_ref != 0, shared, "doc %u", d);
        cr_assert_eq(lede_reader_doc(r, d, &info), LEDE_OK);
        cr_expect_str_eq(info.path, shared ? one[0] : owns[(d - 1) % 60]);
    }
    fx_peek_end(s, t);
    lede_reader_close(r);
    fx_check(dir);
}

Test(docstore, the_document_strings_stay_valid_until_the_reader_closes)
{
    index_with_paths(0, 50, NULL, 0);
    lede_reader *r = fx_reader(dir);
    lede_doc_info info[50];
    for (uint32_t d = 1; d <= 50; d++)
        cr_assert_eq(lede_reader_doc(r, d, &info[d - 1]), LEDE_OK);
    /* Read again in another order: the earlier strings are untouched. */
    for (uint32_t d = 50; d >= 1; d--) {
        lede_doc_info again;
        cr_assert_eq(lede_reader_doc(r, d, &again), LEDE_OK);
        cr_expect_eq(again.title, info[d - 1].title, "the same copy");
    }
    for (uint32_t d = 1; d <= 50; d++)
        cr_expect_str_eq(info[d - 1].title, fx_docs[d - 1].title);
    lede_reader_close(r);
}

Test(docstore, a_long_text_is_stored_in_pieces_and_deleted_whole)
{
    /* Words that compress poorly, so the frame takes many pieces. */
    size_t n = 40000;
    char *body = malloc(n + 1);
    uint32_t x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        body[i] = (i % 7 == 6) ? ' ' : (char)('a' + (x >> 16) % 26);
    }
    body[n] = 0;
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    for (int k = 0; k < 2; k++) {
        lede_doc d = LEDE_DOC_INIT;
        d.id = k ? "short" : "long";
        d.title = "A long one";
        d.title_len = strlen(d.title);
        d.body = k ? "tiny" : body;
        d.body_len = k ? 4 : n;
        cr_assert_eq(lede_index_add(ix, &d), LEDE_OK);
    }
    cr_assert_eq(lede_index_commit(ix), LEDE_OK);
    lede_index_close(ix);

    lede_store *s = NULL;
    lede_txn *t = NULL;
    uint64_t bytes, pieces;
    t = fx_peek(dir, &s);
    cr_assert_eq(lede_store_db_size(t, LEDE_DB_TEXT, &bytes, &pieces), LEDE_OK);
    cr_expect_gt(pieces, 20, "a 40 KB body in pieces of %d bytes", LEDE_TEXT_PIECE);
    fx_peek_end(s, t);
    lede_reader *r = fx_reader(dir);
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(lede_reader_text(r, 1, &text, &len), LEDE_OK);
    cr_expect_eq(len, n);
    cr_expect(memcmp(text, body, n) == 0);
    free(text);
    lede_reader_close(r);
    fx_check(dir);

    /* Replaced: every piece of the old text goes. */
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    lede_doc d = LEDE_DOC_INIT;
    d.id = "long";
    d.body = "now short";
    d.body_len = strlen(d.body);
    cr_assert_eq(lede_index_add(ix, &d), LEDE_OK);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK);
    lede_index_close(ix);
    t = fx_peek(dir, &s);
    cr_assert_eq(lede_store_db_size(t, LEDE_DB_TEXT, &bytes, &pieces), LEDE_OK);
    cr_expect_eq(pieces, 2, "one piece for each short text");
    fx_peek_end(s, t);
    fx_check(dir);
    free(body);
}
