/*
 * check.c — lede_index_check: verifies every invariant of an index on one
 * read snapshot and reports each problem in a sentence.  Reads only; owns no
 * format (it decodes through reader.c and postings.c).
 */
#include "check.h"

#include "buf.h"
#include "postings.h"
#include "reader.h"
#include "store.h"
#include "varint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

typedef struct checker {
    lede_reader *r;
    lede_txn *t;
    lede_check_fn fn;
    void *payload;
    uint64_t problems;
    int stop;
    /* Filled by check_docs: which doc ids have a record, and their lengths. */
    uint8_t *live;
    uint32_t *lens;
    uint32_t max_docid;
    ZSTD_DCtx *dctx;
    const uint32_t *runs; /* the live runs (the reader's), in order */
    size_t nruns;
    /* Counted by the word space's check: stems without a record that a
     * flagged word (stem_alias) holds, for the stem space's statistics. */
    uint64_t alias_terms, alias_postings;
} checker;

static void problem(checker *c, const char *where, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->problems++;
    if (c->fn && !c->stop && c->fn(where, what, c->payload) != 0)
        c->stop = 1;
}

static const char *const space_names[3] = {"stem", "word", "name"};

/* What check_term accumulates over a term's chunks. */
typedef struct term_walk {
    uint32_t *pos;
    size_t poscap;
    uint64_t nchunks, stored, df, cf;
    uint32_t prev;
} term_walk;

/* Check one chunk (key doc id ck; 0 for an inline list); 0, or -1 when out of memory. */
static int check_chunk(checker *c, int f, const char *term, int tl, const lede_terminfo_rec *ti,
                       uint32_t ck, const void *post, size_t post_len, const void *posv,
                       size_t pos_len, lede_chunk *ch, lede_buf *scratch, term_walk *w)
{
    const char *where = lede_store_db_name(ti->first_run ? LEDE_DB_POST(f) : LEDE_DB_TERMS(f));
    uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK];
    /* An inline list: its record's rest, split where its data's codes end. */
    int prc = ti->first_run == 0
                  ? lede_terminfo_chunk(ti, f, ch)
                  : lede_chunk_parse(ch, post, post_len, lede_space_positions(f) ? posv : NULL,
                                     pos_len);
    if (prc == LEDE_ENOMEM)
        return -1;
    if (prc != LEDE_OK || (!lede_space_positions(f) && pos_len != 0)) {
        problem(c, where, "%s term \"%.*s\": chunk %u does not decode", space_names[f], tl, term,
                ck);
        return 0;
    }
    if (ck <= w->prev && w->nchunks > 1)
        problem(c, where, "%s term \"%.*s\": chunk %u overlaps the previous one (last doc %u)",
                space_names[f], tl, term, ck, w->prev);
    for (uint32_t b = 0; b < ch->nblocks; b++) {
        const lede_block_meta *m = &ch->blocks[b];
        if (lede_block_decode(ch, b, docids, tfs, ttfs) != LEDE_OK) {
            problem(c, where, "%s term \"%.*s\": block %u of chunk %u does not decode",
                    space_names[f], tl, term, b, ck);
            continue;
        }
        if (docids[0] <= w->prev || docids[0] < ck)
            problem(c, where, "%s term \"%.*s\": postings not sorted at doc %u", space_names[f],
                    tl, term, docids[0]);
        uint64_t npos = 0;
        uint32_t max_tf = 0, max_ttf = 0;
        for (uint32_t i = 0; i < m->n; i++) {
            npos += tfs[i];
            max_tf = LEDE_MAX(max_tf, tfs[i]);
            max_ttf = LEDE_MAX(max_ttf, ttfs[i]);
        }
        if (max_tf != m->max_tf || max_ttf != m->max_title_tf)
            problem(c, where, "%s term \"%.*s\": block %u of chunk %u has wrong maxima",
                    space_names[f], tl, term, b, ck);
        if (lede_space_positions(f)) {
            if (npos > lede_block_max_positions(ch, b)) {
                problem(c, lede_store_db_name(ti->first_run ? LEDE_DB_POS(f) : LEDE_DB_TERMS(f)),
                        "%s term \"%.*s\": block %u of chunk %u has too few position bytes",
                        space_names[f], tl, term, b, ck);
            } else {
                if (npos + 1 > w->poscap) {
                    free(w->pos);
                    w->poscap = (size_t)npos + 1;
                    w->pos = malloc(w->poscap * sizeof *w->pos);
                    if (!w->pos) {
                        w->poscap = 0;
                        problem(c, where, "out of memory checking positions");
                        return -1;
                    }
                }
                if (lede_block_decode_positions(ch, b, tfs, w->pos, scratch) != LEDE_OK)
                    problem(c, lede_store_db_name(ti->first_run ? LEDE_DB_POS(f) : LEDE_DB_TERMS(f)),
                            "%s term \"%.*s\": positions of block %u of chunk %u do not decode",
                            space_names[f], tl, term, b, ck);
            }
        }
        for (uint32_t i = 0; i < m->n; i++) {
            uint32_t d = docids[i];
            w->stored++;
            if (lede_reader_is_deleted(c->r, d))
                continue;
            if (d > c->max_docid || !c->live[d]) {
                problem(c, where, "%s term \"%.*s\": posting for doc %u, which does not exist",
                        space_names[f], tl, term, d);
                continue;
            }
            uint32_t dlen = c->lens[d];
            w->df++;
            w->cf += tfs[i];
            if (tfs[i] > ti->max_tf || ttfs[i] > ti->max_title_tf || dlen < ti->min_len ||
                dlen < m->min_len)
                problem(c, where, "%s term \"%.*s\": doc %u exceeds the term's bounds",
                        space_names[f], tl, term, d);
        }
        w->prev = m->last_docid;
    }
    return 0;
}

/* Check one term's chunks, run by run, or its inline list; returns the number of chunks seen. */
static uint64_t check_term(checker *c, int f, const char *term, size_t tlen,
                           const lede_terminfo_rec *ti, lede_cursor *cur, lede_buf *scratch,
                           uint64_t *live_df)
{
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    lede_val k, v, pv;
    lede_chunk ch = {0};
    term_walk w = {0};
    const char *where = lede_store_db_name(LEDE_DB_POST(f));
    int tl = (int)LEDE_MIN(tlen, 200);
    int rc = LEDE_OK;
    size_t r0 = ti->first_run ? lede_run_lower_bound(c->runs, c->nruns, ti->first_run) : c->nruns;
    if (ti->first_run && (r0 == c->nruns || c->runs[r0] != ti->first_run))
        problem(c, lede_store_db_name(LEDE_DB_TERMS(f)),
                "%s term \"%.*s\": its first run %u is not in the list of runs", space_names[f],
                tl, term, ti->first_run);
    for (size_t r = r0; r < c->nruns && !c->stop; r++) {
        size_t kl = lede_chunk_key(key, c->runs[r], term, tlen, 0);
        uint64_t before = w.nchunks;
        rc = lede_store_cursor_seek(cur, key, kl, &k, &v);
        for (; rc == LEDE_OK && !c->stop; rc = lede_store_cursor_next(cur, &k, &v)) {
            if (k.len != kl || memcmp(k.data, key, kl - 4) != 0)
                break;
            uint32_t ck = lede_get_u32be((const uint8_t *)k.data + kl - 4);
            w.nchunks++;
            pv.data = NULL;
            pv.len = 0;
            if (lede_space_positions(f) &&
                lede_store_get(c->t, LEDE_DB_POS(f), k.data, k.len, &pv) != LEDE_OK) {
                problem(c, where, "%s term \"%.*s\": chunk %u has no positions", space_names[f],
                        tl, term, ck);
                continue;
            }
            if (check_chunk(c, f, term, tl, ti, ck, v.data, v.len, pv.data, pv.len, &ch, scratch,
                            &w) != 0)
                goto cleanup;
        }
        if (rc != LEDE_OK && rc != LEDE_ITEROVER)
            break;
        rc = LEDE_OK;
        if (r == r0 && w.nchunks == before)
            problem(c, where, "%s term \"%.*s\": its first run %u holds none of its chunks",
                    space_names[f], tl, term, c->runs[r]);
    }
    if (ti->first_run == 0 && ti->inl.n > 0 &&
        check_chunk(c, f, term, tl, ti, 0, ti->inl_post, ti->inl_post_len, ti->inl_pos,
                    ti->inl_pos_len, &ch, scratch, &w) != 0)
        goto cleanup;
    if (w.df != ti->df || w.cf != ti->cf)
        problem(c, lede_store_db_name(LEDE_DB_TERMS(f)),
                "%s term \"%.*s\": df %u cf %llu recorded, but its postings give df %llu cf %llu",
                space_names[f], tl, term, ti->df, (unsigned long long)ti->cf,
                (unsigned long long)w.df, (unsigned long long)w.cf);
    if (ti->first_run == 0 && ti->npostings > LEDE_INLINE_MAX_POSTINGS)
        problem(c, lede_store_db_name(LEDE_DB_TERMS(f)),
                "%s term \"%.*s\": an inline list of %llu postings", space_names[f], tl, term,
                (unsigned long long)ti->npostings);
    if (ti->first_run == 0 && w.stored != ti->npostings)
        problem(c, lede_store_db_name(LEDE_DB_TERMS(f)),
                "%s term \"%.*s\": %llu postings inline, %llu found", space_names[f], tl, term,
                (unsigned long long)ti->npostings, (unsigned long long)w.stored);
cleanup:
    *live_df = w.df;
    free(w.pos);
    lede_chunk_release(&ch);
    return w.nchunks;
}

static void check_field(checker *c, int f, const lede_stats_rec *st)
{
    lede_cursor *tc = NULL, *pc = NULL;
    lede_buf scratch = LEDE_BUF_INIT;
    lede_val k, v;
    uint64_t live_terms = 0, postings = 0, chunks = 0, bytes, entries;
    const char *where = lede_store_db_name(LEDE_DB_TERMS(f));
    int rc;

    if ((rc = lede_store_cursor_open(&tc, c->t, LEDE_DB_TERMS(f))) != LEDE_OK ||
        (rc = lede_store_cursor_open(&pc, c->t, LEDE_DB_POST(f))) != LEDE_OK) {
        problem(c, where, "cannot read: %s", lede_strerror(rc));
        goto cleanup;
    }
    /* The terms come out of blocks (FORMAT.md): in order within each, and
     * across them only if no block holds a term that belongs to the next,
     * which a lookup would then not find. */
    uint8_t prev[LEDE_KEY_TERM_MAX];
    size_t prev_len = 0;
    for (rc = lede_store_cursor_first(tc, &k, &v); rc == LEDE_OK && !c->stop;
         rc = lede_store_cursor_next(tc, &k, &v)) {
        lede_terminfo_rec ti;
        if (k.len == 0 || k.len > LEDE_KEY_TERM_MAX || memchr(k.data, 0, k.len)) {
            problem(c, where, "a term key of %zu bytes is invalid", k.len);
            continue;
        }
        if (prev_len && lede_key_cmp(prev, prev_len, k.data, k.len) >= 0)
            problem(c, where, "%s term \"%.*s\" is stored after \"%.*s\", out of order",
                    space_names[f], (int)LEDE_MIN(k.len, 200), (const char *)k.data,
                    (int)LEDE_MIN(prev_len, 200), (const char *)prev);
        memcpy(prev, k.data, k.len);
        prev_len = k.len;
        if (lede_terminfo_decode(&ti, f, v.data, v.len) != LEDE_OK) {
            problem(c, where, "%s term \"%.*s\": damaged record", space_names[f],
                    (int)LEDE_MIN(k.len, 200), (const char *)k.data);
            continue;
        }
        lede_val sv;
        if (ti.stem_alias &&
            lede_store_get(c->t, LEDE_DB_TERMS(LEDE_FIELD_STEM), k.data, k.len, &sv) ==
                LEDE_ENOTFOUND) {
            c->alias_terms += ti.df > 0;
            c->alias_postings += ti.df;
        }
        uint64_t df;
        chunks += check_term(c, f, k.data, k.len, &ti, pc, &scratch, &df);
        if (ti.df > 0)
            live_terms++;
        postings += ti.df;
    }
    if (rc != LEDE_OK && rc != LEDE_ITEROVER)
        problem(c, where, "cannot read: %s", lede_strerror(rc));
    if (c->stop)
        goto cleanup;
    if (f == LEDE_FIELD_STEM) {
        live_terms += c->alias_terms;
        postings += c->alias_postings;
    }
    if (lede_store_db_size(c->t, LEDE_DB_POST(f), &bytes, &entries) == LEDE_OK && entries != chunks)
        problem(c, lede_store_db_name(LEDE_DB_POST(f)),
                "%llu chunks stored but %llu belong to known terms", (unsigned long long)entries,
                (unsigned long long)chunks);
    if (live_terms != st->nterms[f] || postings != st->npostings[f])
        problem(c, "stats",
                "%s space: %llu terms and %llu postings recorded, %llu and %llu counted",
                space_names[f], (unsigned long long)st->nterms[f],
                (unsigned long long)st->npostings[f], (unsigned long long)live_terms,
                (unsigned long long)postings);
cleanup:
    lede_store_cursor_close(tc);
    lede_store_cursor_close(pc);
    lede_buf_free(&scratch);
}

static void check_docs(checker *c, const lede_stats_rec *st)
{
    lede_cursor *cur = NULL;
    lede_val k, v;
    uint64_t ndocs = 0, total = 0, bytes, entries;
    uint8_t idkey[LEDE_ID_KEY_MAX + 32];
    int rc;

    if ((rc = lede_store_cursor_open(&cur, c->t, LEDE_DB_DOCS)) != LEDE_OK) {
        problem(c, "docs", "cannot read: %s", lede_strerror(rc));
        return;
    }
    for (rc = lede_store_cursor_first(cur, &k, &v); rc == LEDE_OK && !c->stop;
         rc = lede_store_cursor_next(cur, &k, &v)) {
        lede_docrec rec;
        if (k.len != 4) {
            problem(c, "docs", "a document key of %zu bytes is invalid", k.len);
            continue;
        }
        uint32_t d = lede_get_u32be(k.data);
        if (lede_docrec_decode(&rec, v.data, v.len) != LEDE_OK) {
            problem(c, "docs", "document %u: damaged record", d);
            continue;
        }
        ndocs++;
        total += rec.len;
        if (d <= c->max_docid) {
            c->live[d] = 1;
            c->lens[d] = rec.len;
        }
        if (d == 0 || d > st->max_docid)
            problem(c, "docs", "document %u is beyond the largest doc id %u", d, st->max_docid);
        if (lede_reader_is_deleted(c->r, d))
            problem(c, "docs", "document %u (%s) is both live and deleted", d, rec.id);
        if (lede_reader_doclen(c->r, d) != rec.len)
            problem(c, "doclens", "document %u (%s): length %u recorded, %u in doclens", d, rec.id,
                    rec.len, lede_reader_doclen(c->r, d));
        lede_val iv, tv;
        if (lede_store_get(c->t, LEDE_DB_IDS, idkey, lede_id_key(idkey, rec.id, rec.id_len), &iv) !=
                LEDE_OK ||
            iv.len != 4 || lede_get_u32be(iv.data) != d)
            problem(c, "ids", "document %u: id %s does not map back to it", d, rec.id);
        if (lede_store_get(c->t, LEDE_DB_TEXT, k.data, 4, &tv) != LEDE_OK) { /* its first piece */
            problem(c, "text", "document %u (%s) has no stored text", d, rec.id);
        } else {
            /* Snippets decompress it: a frame that does not decode is damage. */
            char *text = NULL;
            int trc = lede_reader_text(c->r, d, &text, NULL);
            if (trc == LEDE_ECORRUPT)
                problem(c, "text", "document %u (%s): stored text does not decompress", d, rec.id);
            free(text);
        }
        if (rec.path_ref && !lede_reader_path(c->r, rec.path_ref))
            problem(c, "paths", "document %u (%s): its path %u is missing or damaged", d, rec.id,
                    rec.path_ref);
        /* The compressed rest of the record: title, meta, entity list. */
        const void *dd = NULL;
        char *cold = NULL;
        size_t cold_len = 0;
        lede_doccold dc;
        int crc = lede_reader_ddict(c->r, LEDE_ZDICT_DOCS, &dd);
        if (crc == LEDE_ECORRUPT)
            problem(c, "meta", "the dictionary %s is damaged", lede_zdict_key(LEDE_ZDICT_DOCS));
        if (crc == LEDE_OK && !c->dctx && !(c->dctx = ZSTD_createDCtx()))
            crc = LEDE_ENOMEM;
        if (crc == LEDE_OK)
            crc = lede_zframe_decode(c->dctx, dd, rec.cold, rec.cold_len, &cold, &cold_len);
        if (crc == LEDE_OK && lede_doccold_decode(&dc, cold, cold_len) != LEDE_OK)
            crc = LEDE_ECORRUPT;
        if (crc == LEDE_ECORRUPT) {
            problem(c, "docs", "document %u (%s): its title, meta and entities do not decompress",
                    d, rec.id);
        } else if (crc == LEDE_OK) {
            lede_entity_list ents = {0};
            if (lede_entities_decode(&ents, dc.entities, dc.entities_len) != LEDE_OK)
                problem(c, "docs", "document %u (%s): damaged entity list", d, rec.id);
            lede_entity_list_clear(&ents);
        }
        free(cold);
    }
    lede_store_cursor_close(cur);
    if (c->stop)
        return;
    if (ndocs != st->ndocs || total != st->total_len)
        problem(c, "stats", "%llu documents of total length %llu recorded, %llu and %llu counted",
                (unsigned long long)st->ndocs, (unsigned long long)st->total_len,
                (unsigned long long)ndocs, (unsigned long long)total);
    if (lede_store_db_size(c->t, LEDE_DB_IDS, &bytes, &entries) == LEDE_OK && entries != ndocs)
        problem(c, "ids", "%llu ids for %llu documents", (unsigned long long)entries,
                (unsigned long long)ndocs);
    /* Texts are stored in pieces: count the first ones, and pieces of no document. */
    uint64_t ntexts = 0, stray = 0;
    lede_cursor *tc = NULL;
    if (lede_store_cursor_open(&tc, c->t, LEDE_DB_TEXT) == LEDE_OK) {
        for (rc = lede_store_cursor_first(tc, &k, &v); rc == LEDE_OK;
             rc = lede_store_cursor_next(tc, &k, &v)) {
            uint32_t d = k.len >= 4 ? lede_get_u32be(k.data) : 0;
            if (k.len == 4)
                ntexts++;
            else if (k.len != 8 || d > c->max_docid || !c->live[d])
                stray++;
        }
        lede_store_cursor_close(tc);
    }
    if (ntexts != ndocs)
        problem(c, "text", "%llu stored texts for %llu documents", (unsigned long long)ntexts,
                (unsigned long long)ndocs);
    if (stray)
        problem(c, "text", "%llu pieces of text belong to no document", (unsigned long long)stray);
    if (lede_store_db_size(c->t, LEDE_DB_DELETED, &bytes, &entries) == LEDE_OK &&
        entries != st->ndeleted)
        problem(c, "deleted", "%llu deleted ids recorded, %llu stored",
                (unsigned long long)st->ndeleted, (unsigned long long)entries);
}

int lede_index_check(const char *dir, lede_check_fn fn, void *payload, uint64_t *nproblems,
                     char **errmsg)
{
    checker c = {0};
    lede_stats_rec st;
    lede_val v;
    int rc;

    if (nproblems)
        *nproblems = 0;
    if ((rc = lede_reader_open(&c.r, dir, errmsg)) != LEDE_OK)
        return rc;
    c.t = lede_reader_txn(c.r);
    c.fn = fn;
    c.payload = payload;
    memset(&st, 0, sizeof st);
    rc = lede_store_get(c.t, LEDE_DB_META, "stats", 5, &v);
    if (rc == LEDE_OK && lede_stats_decode(&st, v.data, v.len) != LEDE_OK)
        problem(&c, "meta", "the statistics record is damaged");
    c.max_docid = st.max_docid;
    c.live = calloc((size_t)c.max_docid + 1, 1);
    c.lens = calloc((size_t)c.max_docid + 1, sizeof *c.lens);
    if (!c.live || !c.lens) {
        free(c.live);
        free(c.lens);
        lede_reader_close(c.r);
        if (errmsg && asprintf(errmsg, "out of memory checking %s", dir) < 0)
            *errmsg = NULL;
        return LEDE_ENOMEM;
    }
    /* The reader refused to open on a damaged list of runs. */
    c.runs = lede_reader_runs(c.r, &c.nruns);
    check_docs(&c, &st);
    /* Words before stems: their records count the stems they hold. */
    static const int fields[3] = {LEDE_FIELD_WORD, LEDE_FIELD_STEM, LEDE_FIELD_NAME};
    for (int i = 0; i < 3 && !c.stop; i++)
        check_field(&c, fields[i], &st);
    free(c.live);
    free(c.lens);
    ZSTD_freeDCtx(c.dctx);
    lede_reader_close(c.r);
    if (nproblems)
        *nproblems = c.problems;
    return c.problems ? LEDE_ECORRUPT : LEDE_OK;
}
