/* lede_index_check: silent on a sound index, names each broken invariant. */
#include "index_fixture.h"

#include "reader.h"
#include "store.h"
#include "varint.h"
#include "writer.h"

static char *dir;

static void setup(void)
{
    fx_load();
    dir = fx_tmpdir();
    fx_index(dir, 0, 40, 1, 0);
}

static void teardown(void)
{
    fx_rmdir(dir);
    dir = NULL;
    fx_free();
}

TestSuite(check, .init = setup, .fini = teardown);

typedef struct found {
    char text[4096];
    int n;
} found;

static int collect(const char *where, const char *what, void *payload)
{
    found *f = payload;
    size_t len = strlen(f->text);
    snprintf(f->text + len, sizeof f->text - len, "%s: %s\n", where, what);
    f->n++;
    return 0;
}

static found run_check(int expect_rc)
{
    found f = {"", 0};
    uint64_t n = 0;
    int rc = lede_index_check(dir, collect, &f, &n, NULL);
    cr_expect_eq(rc, expect_rc, "%s", f.text);
    cr_expect_eq(n, (uint64_t)f.n);
    return f;
}

static void edit(lede_db db, const void *key, size_t klen, const void *val, size_t vlen, int del)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    cr_assert_eq(lede_store_open(&s, dir, 1, NULL), LEDE_OK);
    cr_assert_eq(lede_store_begin(&t, s, 1), LEDE_OK);
    cr_assert_eq(del ? lede_store_del(t, db, key, klen) : lede_store_put(t, db, key, klen, val, vlen),
                 LEDE_OK);
    cr_assert_eq(lede_store_commit(t), LEDE_OK);
    lede_store_close(s);
}

Test(check, sound_index_after_updates_has_no_problem)
{
    fx_index(dir, 10, 30, 2, 0); /* replaces */
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_OK);
    cr_assert_eq(lede_index_delete(ix, fx_docs[0].id), LEDE_OK);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK);
    lede_index_close(ix);
    found f = run_check(LEDE_OK);
    cr_expect_eq(f.n, 0);
}

Test(check, wrong_statistics_are_reported)
{
    lede_stats_rec st = {0};
    st.ndocs = 41;
    st.max_docid = 40;
    lede_buf b = LEDE_BUF_INIT;
    lede_stats_encode(&b, &st);
    edit(LEDE_DB_META, "stats", 5, b.data, b.len, 0);
    lede_buf_free(&b);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "stats: 41 documents") != NULL, "%s", f.text);
}

Test(check, postings_of_a_missing_document_are_reported)
{
    uint8_t key[4];
    lede_set_u32be(key, 7);
    edit(LEDE_DB_DOCS, key, 4, NULL, 0, 1);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "posting for doc 7, which does not exist") != NULL, "%s", f.text);
}

/* The record of stem term "state" (states, stated: a stem of several
 * spellings has a record of its own), decoded (its inline list copied to inl). */
static lede_terminfo_rec the_record(uint8_t *inl, size_t cap)
{
    lede_terminfo_rec ti = fx_term_record(dir, LEDE_FIELD_STEM, "state", inl, cap);
    cr_assert_eq(ti.first_run, 0, "a short list is kept inline");
    return ti;
}

static void expect_the_is_damaged(void)
{
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "stem term \"state\"") != NULL, "%s", f.text);
    /* And a cursor over it fails cleanly. */
    lede_reader *r = fx_reader(dir);
    lede_postings *p = NULL;
    cr_expect_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, "state", 5), LEDE_ECORRUPT);
    lede_reader_close(r);
}

Test(check, a_damaged_chunk_is_reported)
{
    /* Move the list of "state" out of its record into one chunk of junk. */
    uint8_t inl[4096];
    lede_terminfo_rec ti = the_record(inl, sizeof inl);
    ti.first_run = 1; /* the fixture's first batch */
    lede_buf val = LEDE_BUF_INIT;
    lede_terminfo_encode(&val, &ti);
    edit(LEDE_DB_STEM_TERMS, "state", 5, val.data, val.len, 0);
    lede_buf_free(&val);
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    size_t kl = lede_chunk_key(key, 1, "state", 5, 1);
    edit(LEDE_DB_STEM_POST, key, kl, "\x05\x01\x09", 3, 0);
    expect_the_is_damaged();
}

Test(check, a_damaged_inline_list_is_reported)
{
    /* Keep the record's statistics, replace its inline list with junk. */
    uint8_t inl[4096];
    lede_terminfo_rec ti = the_record(inl, sizeof inl);
    ti.inl_post = (const uint8_t *)"\x05\x01\x09";
    ti.inl_post_len = 3;
    lede_buf val = LEDE_BUF_INIT;
    lede_terminfo_encode(&val, &ti);
    edit(LEDE_DB_STEM_TERMS, "state", 5, val.data, val.len, 0);
    lede_buf_free(&val);
    expect_the_is_damaged();
}

Test(check, stored_text_that_does_not_decompress_is_reported)
{
    /* A zstd frame header announcing 100 bytes, then junk. */
    uint8_t key[4];
    lede_set_u32be(key, 3);
    edit(LEDE_DB_TEXT, key, 4, "\x28\xb5\x2f\xfd\x20\x64\xff\xff\xff\xff", 10, 0);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "document 3") && strstr(f.text, "does not decompress"), "%s", f.text);
}

Test(check, missing_index_is_not_found)
{
    char *msg = NULL;
    cr_expect_eq(lede_index_check("/tmp/lede-no-index-here", NULL, NULL, NULL, &msg), LEDE_ENOTFOUND);
    cr_expect(msg && strstr(msg, "/tmp/lede-no-index-here"), "%s", msg ? msg : "");
    free(msg);
}

/* Rewrite document 3's record with its compressed part cut short, or with
 * its path in "paths" under a ref that is not there. */
static void rewrite_doc3(int cut, uint32_t path_ref)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val v;
    lede_docrec rec;
    lede_buf val = LEDE_BUF_INIT;
    uint8_t key[4];
    lede_set_u32be(key, 3);
    cr_assert_eq(lede_store_open(&s, dir, 1, NULL), LEDE_OK);
    cr_assert_eq(lede_store_begin(&t, s, 1), LEDE_OK);
    cr_assert_eq(lede_store_get(t, LEDE_DB_DOCS, key, 4, &v), LEDE_OK);
    cr_assert_eq(lede_docrec_decode(&rec, v.data, v.len), LEDE_OK);
    lede_buf_put_str(&val, rec.id, rec.id_len);
    lede_buf_put_str(&val, rec.date, strlen(rec.date));
    lede_buf_put_varint(&val, path_ref);
    if (!path_ref)
        lede_buf_put_str(&val, rec.path, strlen(rec.path));
    lede_buf_put_varint(&val, rec.len);
    lede_buf_put_varint(&val, rec.title_len);
    lede_buf_put_varint(&val, lede_zigzag(rec.mtime));
    lede_buf_put_varint(&val, rec.size);
    lede_buf_put_u64le(&val, rec.hash);
    lede_buf_append(&val, rec.cold, rec.cold_len - (cut ? rec.cold_len / 2 : 0));
    cr_assert_eq(lede_store_put(t, LEDE_DB_DOCS, key, 4, val.data, val.len), LEDE_OK);
    cr_assert_eq(lede_store_commit(t), LEDE_OK);
    lede_store_close(s);
    lede_buf_free(&val);
}

Test(check, a_record_whose_compressed_part_is_damaged_is_reported)
{
    rewrite_doc3(0, 0);
    run_check(LEDE_OK); /* re-encoding alone changes nothing */
    rewrite_doc3(1, 0);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "document 3") && strstr(f.text, "do not decompress"), "%s", f.text);
    lede_reader *r = fx_reader(dir);
    lede_doc_info info;
    cr_expect_eq(lede_reader_doc(r, 3, &info), LEDE_ECORRUPT);
    cr_expect_eq(lede_reader_doc_brief(r, 3, &info), LEDE_OK, "the plain fields still read");
    lede_reader_close(r);
}

Test(check, a_missing_shared_path_is_reported)
{
    rewrite_doc3(0, 7);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "paths: document 3") && strstr(f.text, "path 7"), "%s", f.text);
    lede_reader *r = fx_reader(dir);
    lede_doc_info info;
    cr_expect_eq(lede_reader_doc_brief(r, 3, &info), LEDE_ECORRUPT);
    lede_reader_close(r);
}

Test(check, a_piece_of_text_of_no_document_is_reported)
{
    uint8_t key[8];
    edit(LEDE_DB_TEXT, key, lede_text_key(key, 9999, 1), "junk", 4, 0);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "text: 1 pieces of text belong to no document"), "%s", f.text);
}
