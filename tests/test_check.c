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

Test(check, a_damaged_chunk_is_reported)
{
    /* Overwrite the first chunk of "the" in the stem space with junk. */
    uint8_t key[16];
    size_t kl = lede_chunk_key(key, "the", 3, 1);
    edit(LEDE_DB_STEM_POST, key, kl, "\x05\x01\x09", 3, 0);
    found f = run_check(LEDE_ECORRUPT);
    cr_expect(strstr(f.text, "stem term \"the\"") != NULL, "%s", f.text);
    /* And a cursor over it fails cleanly. */
    lede_reader *r = fx_reader(dir);
    lede_postings *p = NULL;
    cr_expect_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, "the", 3), LEDE_ECORRUPT);
    lede_reader_close(r);
}

Test(check, missing_index_is_not_found)
{
    char *msg = NULL;
    cr_expect_eq(lede_index_check("/tmp/lede-no-index-here", NULL, NULL, NULL, &msg), LEDE_ENOTFOUND);
    cr_expect(msg && strstr(msg, "/tmp/lede-no-index-here"), "%s", msg ? msg : "");
    free(msg);
}
