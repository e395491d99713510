/* The term databases' blocks (format 7): records kept several to an LMDB
 * record, keys front-coded.  Through the store's API they must behave as
 * any database: checked against a plain sorted array after random puts,
 * appends, deletes, gets and cursor moves, in transactions committed and
 * aborted. */
#include "index_fixture.h"

#include "store.h"

#include <stdlib.h>

typedef struct rec {
    char key[512];
    size_t klen;
    uint8_t *val;
    size_t vlen;
} rec;

typedef struct model {
    rec *r;
    size_t n, cap;
} model;

static char *dir;

static void setup(void)
{
    dir = fx_tmpdir();
}

static void teardown(void)
{
    fx_rmdir(dir);
    dir = NULL;
}

TestSuite(store, .init = setup, .fini = teardown);

static int cmp_key(const rec *r, const char *k, size_t kl)
{
    return lede_key_cmp(r->key, r->klen, k, kl);
}

/* Index of the first record >= k. */
static size_t m_lower(const model *m, const char *k, size_t kl)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_key(&m->r[mid], k, kl) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void m_put(model *m, const char *k, size_t kl, const uint8_t *v, size_t vl)
{
    size_t at = m_lower(m, k, kl);
    if (at == m->n || cmp_key(&m->r[at], k, kl) != 0) {
        if (m->n == m->cap) {
            m->cap = m->cap ? m->cap * 2 : 256;
            m->r = realloc(m->r, m->cap * sizeof *m->r);
            cr_assert_not_null(m->r);
        }
        memmove(m->r + at + 1, m->r + at, (m->n - at) * sizeof *m->r);
        m->n++;
        memcpy(m->r[at].key, k, kl);
        m->r[at].klen = kl;
        m->r[at].val = NULL;
    }
    free(m->r[at].val);
    m->r[at].val = malloc(vl ? vl : 1);
    memcpy(m->r[at].val, v, vl);
    m->r[at].vlen = vl;
}

static int m_del(model *m, const char *k, size_t kl)
{
    size_t at = m_lower(m, k, kl);
    if (at == m->n || cmp_key(&m->r[at], k, kl) != 0)
        return 0;
    free(m->r[at].val);
    memmove(m->r + at, m->r + at + 1, (m->n - at - 1) * sizeof *m->r);
    m->n--;
    return 1;
}

static void m_copy(model *to, const model *from)
{
    for (size_t i = 0; i < to->n; i++)
        free(to->r[i].val);
    to->n = 0;
    for (size_t i = 0; i < from->n; i++)
        m_put(to, from->r[i].key, from->r[i].klen, from->r[i].val, from->r[i].vlen);
}

static void m_free(model *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->r[i].val);
    free(m->r);
}

/* A key with many prefixes in common with others, now and then a long one. */
static size_t rand_key(char *k)
{
    size_t n = (size_t)(rand() % 12) + 1;
    if (rand() % 50 == 0)
        n = 300 + (size_t)(rand() % 100);
    for (size_t i = 0; i < n; i++)
        k[i] = "abcd "[i < 3 ? rand() % 2 : rand() % 5];
    return n;
}

static size_t rand_val(uint8_t *v, unsigned tag)
{
    size_t n = (size_t)(rand() % 40);
    if (rand() % 20 == 0)
        n = (size_t)(rand() % 1500);
    for (size_t i = 0; i < n; i++)
        v[i] = (uint8_t)(tag + i * 7);
    return n;
}

static void expect_same(lede_txn *t, const model *m, const char *when)
{
    lede_cursor *c = NULL;
    lede_val k, v;
    cr_assert_eq(lede_store_cursor_open(&c, t, LEDE_DB_WORD_TERMS), LEDE_OK);
    size_t i = 0;
    int rc;
    for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK;
         rc = lede_store_cursor_next(c, &k, &v), i++) {
        cr_assert_lt(i, m->n, "%s: more records than %zu", when, m->n);
        cr_assert(k.len == m->r[i].klen && memcmp(k.data, m->r[i].key, k.len) == 0,
                  "%s: record %zu has another key", when, i);
        cr_assert(v.len == m->r[i].vlen && memcmp(v.data, m->r[i].val, v.len) == 0,
                  "%s: record %zu (%.*s) has another value", when, i, (int)k.len,
                  (const char *)k.data);
    }
    cr_assert_eq(rc, LEDE_ITEROVER, "%s: cursor ended with %d", when, rc);
    cr_assert_eq(i, m->n, "%s: %zu records, want %zu", when, i, m->n);
    /* Backwards from the last. */
    i = m->n;
    for (rc = lede_store_cursor_last(c, &k, &v); rc == LEDE_OK;
         rc = lede_store_cursor_prev(c, &k, &v)) {
        cr_assert_gt(i, 0, "%s: more records backwards", when);
        i--;
        cr_assert(k.len == m->r[i].klen && memcmp(k.data, m->r[i].key, k.len) == 0,
                  "%s: record %zu backwards has another key", when, i);
    }
    cr_assert_eq(i, 0, "%s: backwards stopped at %zu", when, i);
    /* Seeks to keys present and absent. */
    for (int s = 0; s < 200; s++) {
        char key[512];
        size_t kl = rand_key(key);
        size_t at = m_lower(m, key, kl);
        rc = lede_store_cursor_seek(c, key, kl, &k, &v);
        if (at == m->n) {
            cr_assert_eq(rc, LEDE_ITEROVER, "%s: seek past the end found something", when);
            continue;
        }
        cr_assert_eq(rc, LEDE_OK, "%s: seek %d", when, rc);
        cr_assert(k.len == m->r[at].klen && memcmp(k.data, m->r[at].key, k.len) == 0,
                  "%s: seek found another key", when);
        rc = lede_store_cursor_next(c, &k, &v);
        if (at + 1 == m->n)
            cr_assert_eq(rc, LEDE_ITEROVER);
        else
            cr_assert(rc == LEDE_OK && k.len == m->r[at + 1].klen &&
                          memcmp(k.data, m->r[at + 1].key, k.len) == 0,
                      "%s: next after a seek", when);
    }
    lede_store_cursor_close(c);
}

Test(store, term_blocks_behave_as_a_sorted_map)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    model m = {0}, saved = {0};
    uint8_t val[1600];
    char key[512];
    srand(42);
    cr_assert_eq(lede_store_open(&s, dir, 1, NULL), LEDE_OK);
    for (int txn = 0; txn < 60; txn++) {
        cr_assert_eq(lede_store_begin(&t, s, 1), LEDE_OK);
        m_copy(&saved, &m);
        int nops = txn % 10 == 0 ? 3000 : rand() % 400;
        if (txn % 15 == 7) {
            /* Emptied and written again in key order, as the writer does
             * (after a lookup, as the writer does too). */
            lede_val v;
            if (m.n)
                cr_assert_eq(lede_store_get(t, LEDE_DB_WORD_TERMS, m.r[0].key, m.r[0].klen, &v),
                             LEDE_OK);
            cr_assert_eq(lede_store_drop(t, LEDE_DB_WORD_TERMS), LEDE_OK);
            model all = {0};
            m_copy(&all, &m);
            for (size_t i = 0; i < all.n; i++)
                cr_assert_eq(lede_store_append(t, LEDE_DB_WORD_TERMS, all.r[i].key,
                                               all.r[i].klen, all.r[i].val, all.r[i].vlen),
                             LEDE_OK);
            m_free(&all);
        }
        for (int op = 0; op < nops; op++) {
            size_t kl = rand_key(key);
            int what = rand() % 10;
            lede_val v;
            if (what < 5) {
                size_t vl = rand_val(val, (unsigned)op);
                cr_assert_eq(lede_store_put(t, LEDE_DB_WORD_TERMS, key, kl, val, vl), LEDE_OK);
                m_put(&m, key, kl, val, vl);
            } else if (what < 7) {
                int had = m_del(&m, key, kl);
                cr_assert_eq(lede_store_del(t, LEDE_DB_WORD_TERMS, key, kl),
                             had ? LEDE_OK : LEDE_ENOTFOUND);
            } else if (what < 8 && m.n && m.r[m.n - 1].klen < 400) {
                /* After the last key: an append; before it: refused. */
                const rec *last = &m.r[m.n - 1];
                memcpy(key, last->key, last->klen);
                kl = last->klen;
                key[kl++] = 'z';
                size_t vl = rand_val(val, (unsigned)op);
                cr_assert_eq(lede_store_append(t, LEDE_DB_WORD_TERMS, key, kl, val, vl), LEDE_OK);
                m_put(&m, key, kl, val, vl);
                cr_assert_eq(lede_store_append(t, LEDE_DB_WORD_TERMS, "a", 1, val, 1), LEDE_EINVAL);
            } else {
                size_t at = m_lower(&m, key, kl);
                int rc = lede_store_get(t, LEDE_DB_WORD_TERMS, key, kl, &v);
                if (at < m.n && cmp_key(&m.r[at], key, kl) == 0)
                    cr_assert(rc == LEDE_OK && v.len == m.r[at].vlen &&
                                  memcmp(v.data, m.r[at].val, v.len) == 0,
                              "get %.*s in transaction %d", (int)kl, key, txn);
                else
                    cr_assert_eq(rc, LEDE_ENOTFOUND);
            }
        }
        if (txn % 7 == 3) {
            lede_store_abort(t);
            m_copy(&m, &saved);
        } else {
            cr_assert_eq(lede_store_commit(t), LEDE_OK);
        }
        cr_assert_eq(lede_store_begin(&t, s, 0), LEDE_OK);
        expect_same(t, &m, txn % 7 == 3 ? "after an abort" : "after a commit");
        for (size_t i = 0; i < m.n; i += 1 + m.n / 50) {
            lede_val v;
            cr_assert_eq(lede_store_get(t, LEDE_DB_WORD_TERMS, m.r[i].key, m.r[i].klen, &v),
                         LEDE_OK);
            cr_assert(v.len == m.r[i].vlen && memcmp(v.data, m.r[i].val, v.len) == 0);
        }
        lede_store_abort(t);
    }
    cr_assert_gt(m.n, 1000, "the test should end with many records, not %zu", m.n);
    /* Fewer LMDB records than terms: they are in blocks. */
    uint64_t bytes, entries;
    cr_assert_eq(lede_store_begin(&t, s, 0), LEDE_OK);
    cr_assert_eq(lede_store_db_size(t, LEDE_DB_WORD_TERMS, &bytes, &entries), LEDE_OK);
    cr_assert_lt(entries * 4, m.n, "%llu blocks for %zu records", (unsigned long long)entries,
                 m.n);
    lede_store_abort(t);
    lede_store_close(s);
    m_free(&m);
    m_free(&saved);
}

/*
 * Damaged blocks: every decoder of a block checks each length against the
 * value, so a block cut short, flipped or filled with 0xff makes get, seek
 * and both cursor directions answer LEDE_ECORRUPT (or miss), never read
 * outside the value (the sanitizer build would see it).  The blocks are
 * damaged through LMDB itself, which keeps its pages valid.
 */
#include <lmdb.h>

static void damage_block(const char *d, unsigned seed)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_cursor *c;
    MDB_val k, v;
    cr_assert_eq(mdb_env_create(&env), 0);
    cr_assert_eq(mdb_env_set_maxdbs(env, 32), 0);
    cr_assert_eq(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    cr_assert_eq(mdb_env_open(env, d, 0, 0644), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "word.terms", 0, &dbi), 0);
    MDB_stat st;
    cr_assert_eq(mdb_stat(txn, dbi, &st), 0);
    cr_assert_gt(st.ms_entries, 10);
    size_t which = seed % st.ms_entries, i = 0;
    cr_assert_eq(mdb_cursor_open(txn, dbi, &c), 0);
    int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
    while (rc == 0 && i++ < which)
        rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
    cr_assert_eq(rc, 0);
    uint8_t key[512], val[4096];
    size_t kl = k.mv_size, vl = v.mv_size;
    cr_assert(vl <= sizeof val);
    memcpy(key, k.mv_data, kl);
    memcpy(val, v.mv_data, vl);
    mdb_cursor_close(c);
    unsigned r = seed / (unsigned)st.ms_entries;
    switch (r % 4) {
    case 0: vl = vl ? (r / 4) % vl : 0; break;                    /* cut short */
    case 1: val[(r / 4) % vl] ^= (uint8_t)(1 + r % 255); break;    /* a byte flipped */
    case 2:                                                        /* huge varints */
        for (size_t j = (r / 4) % vl; j < vl && j < (r / 4) % vl + 6; j++)
            val[j] = 0xff;
        break;
    default: val[(r / 4) % vl] = (uint8_t)(r >> 3); break;          /* a byte set */
    }
    MDB_val nk = {kl, key}, nv = {vl, val};
    cr_assert_eq(mdb_put(txn, dbi, &nk, &nv, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static int clean(int rc)
{
    return rc == LEDE_OK || rc == LEDE_ENOTFOUND || rc == LEDE_ITEROVER || rc == LEDE_ECORRUPT;
}

Test(store, damaged_blocks_are_reported_not_read_past)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s/copy", dir);
    lede_store *s = NULL;
    lede_txn *t = NULL;
    char key[512];
    uint8_t val[1600];
    model m = {0};
    srand(7);
    cr_assert_eq(lede_store_open(&s, dir, 1, NULL), LEDE_OK);
    cr_assert_eq(lede_store_begin(&t, s, 1), LEDE_OK);
    for (int i = 0; i < 2000; i++) {
        size_t kl = rand_key(key), vl = rand_val(val, (unsigned)i);
        cr_assert_eq(lede_store_put(t, LEDE_DB_WORD_TERMS, key, kl, val, vl), LEDE_OK);
        m_put(&m, key, kl, val, vl);
    }
    cr_assert_eq(lede_store_commit(t), LEDE_OK);
    lede_store_close(s);
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/data.mdb", dir);
    for (unsigned seed = 1; seed < 400; seed++) {
        /* A fresh copy of the index, one block damaged. */
        mkdir(copy, 0755);
        snprintf(dst, sizeof dst, "%s/data.mdb", copy);
        FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
        cr_assert(in && out);
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            cr_assert_eq(fwrite(buf, 1, n, out), n);
        fclose(in);
        fclose(out);
        damage_block(copy, seed * 2654435761u % 100000u);
        cr_assert_eq(lede_store_open(&s, copy, 0, NULL), LEDE_OK);
        cr_assert_eq(lede_store_begin(&t, s, 0), LEDE_OK);
        lede_cursor *c = NULL;
        lede_val k, v;
        cr_assert_eq(lede_store_cursor_open(&c, t, LEDE_DB_WORD_TERMS), LEDE_OK);
        int rc, steps = 0;
        for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK && steps < 5000; steps++)
            rc = lede_store_cursor_next(c, &k, &v);
        cr_assert(clean(rc), "cursor: %d", rc);
        for (rc = lede_store_cursor_last(c, &k, &v); rc == LEDE_OK && steps < 10000; steps++)
            rc = lede_store_cursor_prev(c, &k, &v);
        cr_assert(clean(rc), "cursor backwards: %d", rc);
        for (size_t i = 0; i < m.n; i += 7) {
            cr_assert(clean(lede_store_get(t, LEDE_DB_WORD_TERMS, m.r[i].key, m.r[i].klen, &v)));
            cr_assert(clean(lede_store_cursor_seek(c, m.r[i].key, m.r[i].klen, &k, &v)));
        }
        lede_store_cursor_close(c);
        lede_store_abort(t);
        lede_store_close(s);
        snprintf(dst, sizeof dst, "%s/lock.mdb", copy);
        unlink(dst);
        snprintf(dst, sizeof dst, "%s/data.mdb", copy);
        unlink(dst);
    }
    m_free(&m);
}

/*
 * Damage the flags of the leaf page that holds key into P_LEAF2, as
 * random bytes in a page did in robust_corrupt's seed 32097: LMDB then
 * answers lookups with success, a key of length 0 and the value left as
 * the caller had it.  key must occur once in data.mdb: in the only leaf
 * of its database.
 */
static void make_leaf2(const char *d, const char *key)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", d);
    FILE *f = fopen(path, "r+b");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    uint8_t *b = malloc((size_t)size);
    cr_assert(b);
    fseek(f, 0, SEEK_SET);
    cr_assert_eq(fread(b, 1, (size_t)size, f), (size_t)size);
    size_t kl = strlen(key), at = 0, found = 0;
    for (size_t i = 0; i + kl <= (size_t)size; i++)
        if (memcmp(b + i, key, kl) == 0) {
            at = i;
            found++;
        }
    cr_assert_eq(found, 1, "\"%s\" occurs %zu times in data.mdb", key, found);
    /* The page header: mp_pgno (8 bytes), mp_pad (2), mp_flags (2). */
    uint8_t *flags = b + at / 4096 * 4096 + 10;
    cr_assert_eq(*flags & 0x02, 0x02, "not a leaf page"); /* P_LEAF */
    *flags |= 0x20;                                       /* P_LEAF2 */
    fseek(f, 0, SEEK_SET);
    cr_assert_eq(fwrite(b, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    free(b);
}

/* An answer LMDB never filled in is damage, for readers and writers alike,
 * never a read through whatever the value held. */
Test(store, answers_never_filled_in_are_damage)
{
    lede_store *s = NULL;
    lede_txn *t = NULL;
    lede_val k, v;
    static uint8_t big[20000];
    memset(big, 'x', sizeof big);
    cr_assert_eq(lede_store_open(&s, dir, 1, NULL), LEDE_OK);
    cr_assert_eq(lede_store_begin(&t, s, 1), LEDE_OK);
    cr_assert_eq(lede_store_put(t, LEDE_DB_TEXT, "zqfar-text", 10, big, sizeof big), LEDE_OK);
    cr_assert_eq(lede_store_put(t, LEDE_DB_WORD_TERMS, "zqfar-term", 10, big, 300), LEDE_OK);
    cr_assert_eq(lede_store_put(t, LEDE_DB_WORD_TERMS, "zqfar-zz", 8, big, 30), LEDE_OK);
    cr_assert_eq(lede_store_commit(t), LEDE_OK);
    lede_store_close(s);
    make_leaf2(dir, "zqfar-text");
    make_leaf2(dir, "zqfar-term");

    /* Each lookup in a transaction of its own: LMDB refuses every call
     * of a transaction after one met a damaged page (MDB_BAD_TXN). */
    static const struct {
        lede_db db;
        const char *key;
    } look[] = {{LEDE_DB_TEXT, "zqfar-text"},
                {LEDE_DB_WORD_TERMS, "zqfar-term"},
                {LEDE_DB_WORD_TERMS, "zqfar-zz"}};
    for (int write = 0; write <= 1; write++)
        for (size_t i = 0; i < 3; i++)
            for (int how = 0; how < 3; how++) {
                lede_cursor *c = NULL;
                int rc;
                cr_assert_eq(lede_store_open(&s, dir, 0, NULL), LEDE_OK);
                cr_assert_eq(lede_store_begin(&t, s, write), LEDE_OK);
                if (how == 0) {
                    rc = lede_store_get(t, look[i].db, look[i].key, strlen(look[i].key), &v);
                } else {
                    cr_assert_eq(lede_store_cursor_open(&c, t, look[i].db), LEDE_OK);
                    rc = how == 1 ? lede_store_cursor_first(c, &k, &v)
                                  : lede_store_cursor_seek(c, look[i].key, strlen(look[i].key),
                                                           &k, &v);
                    lede_store_cursor_close(c);
                }
                /* A get or seek in the text database may find nothing
                 * (every key now compares as empty); the term blocks'
                 * lookups all start from a cursor positioned by LMDB. */
                int must = how == 1 || look[i].db == LEDE_DB_WORD_TERMS;
                cr_assert(must ? rc == LEDE_ECORRUPT
                               : rc == LEDE_ECORRUPT || rc == LEDE_ENOTFOUND || rc == LEDE_ITEROVER,
                          "%s of %s (write %d): %d",
                          how == 0 ? "get" : how == 1 ? "first" : "seek", look[i].key, write, rc);
                lede_store_abort(t);
                lede_store_close(s);
            }
}
