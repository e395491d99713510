/* The reader: documents, text, entities, term enumeration, cursors with
 * seek / shallow seek / block metadata / positions, and its errors. */
#include "index_fixture.h"

#include "store.h"

#include <lmdb.h>

static char *dir;
static lede_reader *r;

static void setup(void)
{
    fx_load();
    dir = fx_tmpdir();
    fx_index(dir, 0, fx_ndocs, 2, 0);
    r = fx_reader(dir);
}

static void teardown(void)
{
    lede_reader_close(r);
    r = NULL;
    fx_rmdir(dir);
    dir = NULL;
    fx_free();
}

TestSuite(reader, .init = setup, .fini = teardown);

Test(reader, stored_fields_and_text_round_trip)
{
    uint32_t docid;
    cr_assert_eq(lede_reader_find(r, fx_docs[3].id, &docid), LEDE_OK);
    cr_expect_eq(docid, 4);
    lede_doc_info info;
    cr_assert_eq(lede_reader_doc(r, docid, &info), LEDE_OK);
    cr_expect_str_eq(info.id, fx_docs[3].id);
    cr_expect_str_eq(info.title, fx_docs[3].title);
    cr_expect_str_eq(info.date, fx_docs[3].date ? fx_docs[3].date : "");
    cr_expect_str_eq(info.path, "");
    cr_expect_eq(info.hash, 3 * 7919u);
    cr_expect_eq(info.mtime, 1700000003);
    cr_expect_gt(info.title_len, 0);
    cr_expect_gt(info.len, info.title_len);
    char *text = NULL;
    size_t len = 0;
    cr_assert_eq(lede_reader_text(r, docid, &text, &len), LEDE_OK);
    cr_expect_eq(len, strlen(fx_docs[3].body));
    cr_expect_str_eq(text, fx_docs[3].body);
    free(text);
    cr_expect_eq(lede_reader_doc(r, 9999, &info), LEDE_ENOTFOUND);
    cr_expect_eq(lede_reader_find(r, "no such id", &docid), LEDE_ENOTFOUND);
    cr_expect_eq(lede_reader_doclen(r, 9999), 0);
}

Test(reader, entities_point_into_the_body)
{
    size_t seen = 0;
    for (uint32_t d = 1; d <= fx_ndocs; d++) {
        lede_entity_list el = {0};
        cr_assert_eq(lede_reader_entities(r, d, &el), LEDE_OK);
        const char *body = fx_docs[d - 1].body;
        size_t blen = strlen(body);
        for (size_t i = 0; i < el.n; i++) {
            const lede_entity *e = &el.items[i];
            cr_assert_leq(e->end, blen);
            cr_assert_lt(e->start, e->end);
            cr_assert_leq(e->first_pos, e->last_pos);
            /* Its name is in the name space, with this document. */
            lede_postings *p = NULL;
            cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_NAME, e->name, e->name_len), LEDE_OK,
                         "%s", e->name);
            cr_assert_eq(lede_postings_seek(p, d), LEDE_OK);
            cr_expect_eq(lede_postings_docid(p), d);
            lede_postings_free(p);
            seen++;
        }
        lede_entity_list_clear(&el);
    }
    cr_expect_gt(seen, 50);
}

typedef struct collect {
    size_t n;
    int sorted;
    char last[256];
} collect;

static int on_term(const char *t, size_t len, const lede_term_info *info, void *payload)
{
    collect *c = payload;
    char cur[256];
    snprintf(cur, sizeof cur, "%.*s", (int)len, t);
    if (c->n && strcmp(c->last, cur) >= 0)
        c->sorted = 0;
    strcpy(c->last, cur);
    cr_expect_gt(info->df, 0);
    cr_expect_geq(info->cf, info->df);
    c->n++;
    return 0;
}

Test(reader, terms_enumerate_in_order_by_prefix)
{
    collect all = {0, 1, ""}, pre = {0, 1, ""};
    cr_assert_eq(lede_reader_terms(r, LEDE_FIELD_WORD, NULL, 0, on_term, &all), LEDE_OK);
    lede_stats st;
    lede_reader_stats(r, &st);
    cr_expect_eq(all.n, st.nterms[LEDE_FIELD_WORD]);
    cr_expect(all.sorted);
    cr_assert_eq(lede_reader_terms(r, LEDE_FIELD_WORD, "refug", 5, on_term, &pre), LEDE_OK);
    cr_expect_geq(pre.n, 2, "refugee, refugees");
    cr_expect(strncmp(pre.last, "refug", 5) == 0);
}

Test(reader, cursor_walk_seek_and_blocks_agree)
{
    const char *term = "the";
    lede_term_info info;
    cr_assert_eq(lede_reader_term(r, LEDE_FIELD_STEM, term, 3, &info), LEDE_OK);
    cr_assert_gt(info.df, 100, "enough postings for several blocks");
    /* Walk: every doc once, increasing, tfs within the term's bounds. */
    uint32_t *docs = calloc(info.df, sizeof *docs);
    lede_postings *p = NULL;
    cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, term, 3), LEDE_OK);
    uint32_t n = 0;
    uint64_t cf = 0;
    while (lede_postings_docid(p) != LEDE_DOCID_END) {
        uint32_t d = lede_postings_docid(p);
        cr_assert(n == 0 || d > docs[n - 1]);
        cr_assert_lt(n, info.df);
        docs[n++] = d;
        cf += lede_postings_tf(p);
        cr_assert_leq(lede_postings_tf(p), info.max_tf);
        cr_assert_leq(lede_postings_title_tf(p), lede_postings_tf(p));
        lede_block_info b;
        lede_postings_block(p, &b);
        cr_assert_geq(b.last_docid, d);
        cr_assert_geq(b.max_tf, lede_postings_tf(p));
        cr_assert_leq(b.min_len, lede_reader_doclen(r, d));
        int rc = lede_postings_next(p);
        cr_assert(rc == LEDE_OK || rc == LEDE_ITEROVER);
    }
    cr_expect_eq(n, info.df);
    cr_expect_eq(cf, info.cf);
    cr_expect_eq(lede_postings_next(p), LEDE_ITEROVER);
    lede_postings_free(p);

    /* Seek to every target lands on the first doc >= target. */
    for (uint32_t target = 1; target <= fx_ndocs + 1; target += 7) {
        cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, term, 3), LEDE_OK);
        int rc = lede_postings_seek(p, target);
        uint32_t want = LEDE_DOCID_END;
        for (uint32_t i = 0; i < n; i++)
            if (docs[i] >= target) {
                want = docs[i];
                break;
            }
        cr_expect_eq(lede_postings_docid(p), want, "target %u", target);
        cr_expect_eq(rc, want == LEDE_DOCID_END ? LEDE_ITEROVER : LEDE_OK);
        lede_postings_free(p);
    }

    /* Shallow seek moves to the block holding the target, then seek decodes it. */
    cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, term, 3), LEDE_OK);
    uint32_t target = docs[n - 2];
    cr_assert_eq(lede_postings_shallow_seek(p, target), LEDE_OK);
    lede_block_info b;
    lede_postings_block(p, &b);
    cr_expect_geq(b.last_docid, target);
    cr_assert_eq(lede_postings_seek(p, target), LEDE_OK);
    cr_expect_eq(lede_postings_docid(p), target);
    lede_postings_free(p);
    free(docs);
}

Test(reader, positions_put_the_title_before_the_body)
{
    /* The first title word of document 1 is at position 0; body words start
     * at title_len + LEDE_TITLE_GAP. */
    lede_doc_info info;
    cr_assert_eq(lede_reader_doc(r, 1, &info), LEDE_OK);
    lede_postings *p = NULL;
    cr_assert_eq(lede_postings_open(&p, r, LEDE_FIELD_WORD, "un", 2), LEDE_OK);
    cr_assert_eq(lede_postings_seek(p, 1), LEDE_OK);
    cr_assert_eq(lede_postings_docid(p), 1);
    const uint32_t *pos;
    uint32_t np;
    cr_assert_eq(lede_postings_positions(p, &pos, &np), LEDE_OK);
    cr_assert_eq(np, lede_postings_tf(p));
    cr_expect_eq(pos[0], 0, "\"UN reports ...\" starts the title");
    cr_expect_eq(lede_postings_title_tf(p), 1);
    for (uint32_t i = 1; i < np; i++) {
        cr_expect_gt(pos[i], pos[i - 1]);
        cr_expect_geq(pos[i], info.title_len + LEDE_TITLE_GAP);
    }
    lede_postings_free(p);
    cr_expect_eq(lede_postings_open(&p, r, LEDE_FIELD_STEM, "zzzzqx", 6), LEDE_ENOTFOUND);
    cr_expect_null(p);
}

Test(reader, missing_index_names_the_directory)
{
    lede_reader *x = NULL;
    char *msg = NULL;
    cr_expect_eq(lede_reader_open(&x, "/tmp/lede-no-such-index-dir", &msg), LEDE_ENOTFOUND);
    cr_expect_null(x);
    cr_assert_not_null(msg);
    cr_expect(strstr(msg, "/tmp/lede-no-such-index-dir") != NULL, "%s", msg);
    free(msg);
}

Test(reader, another_format_version_is_refused_with_both_versions)
{
    lede_reader_close(r);
    r = NULL;
    /* Formats 1 and 2 (before the record layout of 3) and one from the future. */
    static const uint8_t versions[] = {1, 2, 99};
    for (size_t i = 0; i < sizeof versions; i++) {
        /* Through LMDB itself: lede's store no longer opens it after the first. */
        MDB_env *env = NULL;
        MDB_txn *t = NULL;
        MDB_dbi dbi;
        uint8_t v[4] = {versions[i], 0, 0, 0};
        MDB_val k = {6, "format"}, val = {4, v};
        cr_assert_eq(mdb_env_create(&env), 0);
        cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
        cr_assert_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
        cr_assert_eq(mdb_env_open(env, dir, 0, 0644), 0);
        cr_assert_eq(mdb_txn_begin(env, NULL, 0, &t), 0);
        cr_assert_eq(mdb_dbi_open(t, "meta", 0, &dbi), 0);
        cr_assert_eq(mdb_put(t, dbi, &k, &val, 0), 0);
        cr_assert_eq(mdb_txn_commit(t), 0);
        mdb_env_close(env);
        lede_reader *x = NULL;
        char *msg = NULL;
        cr_expect_eq(lede_reader_open(&x, dir, &msg), LEDE_EVERSION);
        cr_assert_not_null(msg);
        char want[64], have[64];
        snprintf(want, sizeof want, "format version %d", LEDE_FORMAT_VERSION);
        snprintf(have, sizeof have, "format version %u;", versions[i]);
        cr_expect(strstr(msg, have) != NULL, "%s", msg);
        cr_expect(strstr(msg, want) != NULL, "%s", msg);
        free(msg);
        lede_index *ix = NULL;
        cr_expect_eq(lede_index_open(&ix, dir, NULL, NULL), LEDE_EVERSION, "writers refuse it too");
    }
}

/* A writer killed after LMDB wrote its two meta pages but before its first
 * commit leaves an environment with nothing in it: no index yet, which the
 * tools say, and which the next writer creates. */
Test(reader, an_index_killed_before_its_first_commit_is_no_index_yet)
{
    char *empty = fx_tmpdir();
    MDB_env *env = NULL;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_open(env, empty, 0, 0644), 0);
    mdb_env_close(env);
    lede_reader *x = NULL;
    char *msg = NULL;
    cr_expect_eq(lede_reader_open(&x, empty, &msg), LEDE_ENOTFOUND);
    cr_expect_null(x);
    cr_assert_not_null(msg);
    cr_expect(strstr(msg, "creation was interrupted") != NULL, "%s", msg);
    free(msg);
    lede_index *ix = NULL;
    cr_assert_eq(lede_index_open(&ix, empty, NULL, NULL), LEDE_OK, "a writer creates it");
    lede_index_close(ix);
    x = fx_reader(empty);
    cr_expect_not_null(x);
    lede_reader_close(x);
    fx_rmdir(empty);
}

Test(reader, sizes_split_the_index_into_parts)
{
    lede_index_sizes s;
    cr_assert_eq(lede_reader_sizes(r, &s), LEDE_OK);
    cr_expect_gt(s.postings, 0);
    cr_expect_gt(s.positions, 0);
    cr_expect_gt(s.text, 0);
    cr_expect_gt(s.docs, 0);
    cr_expect_gt(s.word_space, 0);
    cr_expect_gt(s.stem_space, 0);
    cr_expect_geq(s.file, s.postings + s.positions + s.terms + s.text + s.docs + s.other);
}
