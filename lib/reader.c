/*
 * reader.c — lede_reader_* and lede_postings_*: a read transaction over the
 * index and cursors over postings.  Owns the decoding of every record the
 * writer encodes (layouts atop writer.c and in docs/FORMAT.md); decodes
 * defensively, returning LEDE_ECORRUPT for anything out of bounds.  It must
 * never write.
 */
#include "reader.h"

#include "buf.h"
#include "postings.h"
#include "varint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
/* ZSTD_createDDict_byReference (experimental API, exported by libzstd). */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

struct lede_reader {
    lede_store *s;
    lede_txn *t;
    char errmsg[1024];
    lede_stats_rec st;
    char language[32];
    uint8_t *deleted;  /* bitmap over doc ids, NULL when nothing was deleted */
    uint32_t *runs;    /* the live runs (meta "runs"), in order */
    size_t nruns;
    size_t deleted_bytes;
    uint32_t page_no;  /* doclens page cache */
    const uint8_t *page;
    /* zstd: one context, and the dictionaries (loaded on first use, by
     * reference to the map, which the read transaction keeps in place). */
    ZSTD_DCtx *dctx;
    ZSTD_DDict *ddict[2];
    int ddict_loaded[2];
    /* The decompressed parts of the document records lede_reader_doc handed
     * out, by doc id: its strings must stay valid until lede_reader_close. */
    struct cold_ent *cold;
    size_t ncold, capcold;
};

typedef struct cold_ent {
    uint32_t docid; /* 0: empty slot */
    char *data;
    size_t len;
} cold_ent;

static void set_msg(lede_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
    va_end(ap);
}

const char *lede_reader_errmsg(const lede_reader *r)
{
    return r ? r->errmsg : "no reader";
}

lede_txn *lede_reader_txn(lede_reader *r)
{
    return r->t;
}

/* ------------------------------------------------------------------ */
/* Record decoders                                                     */
/* ------------------------------------------------------------------ */

int lede_stats_decode(lede_stats_rec *out, const void *data, size_t len)
{
    lede_dec d;
    lede_dec_init(&d, data, len);
    out->ndocs = lede_dec_varint(&d);
    out->total_len = lede_dec_varint(&d);
    out->max_docid = lede_dec_u32(&d);
    for (int f = 0; f < 3; f++)
        out->nterms[f] = lede_dec_varint(&d);
    for (int f = 0; f < 3; f++)
        out->npostings[f] = lede_dec_varint(&d);
    out->ndeleted = lede_dec_varint(&d);
    return d.rc == LEDE_OK && d.p == d.end ? LEDE_OK : LEDE_ECORRUPT;
}

int lede_runs_decode(const void *data, size_t len, lede_run_rec **out, size_t *n)
{
    lede_dec d;
    lede_dec_init(&d, data, len);
    *out = NULL;
    *n = 0;
    uint32_t count = lede_dec_u32(&d);
    if (d.rc != LEDE_OK || count > len)
        return LEDE_ECORRUPT;
    lede_run_rec *r = malloc(((size_t)count + 2) * sizeof *r);
    if (!r)
        return LEDE_ENOMEM;
    int ok = 1;
    for (uint32_t i = 0; i < count && ok; i++) {
        r[i].id = lede_dec_u32(&d);
        r[i].level = lede_dec_u32(&d);
        r[i].bytes = lede_dec_varint(&d);
        ok = d.rc == LEDE_OK && r[i].id > (i > 0 ? r[i - 1].id : 0);
    }
    if (!ok || d.p != d.end) {
        free(r);
        return LEDE_ECORRUPT;
    }
    *out = r;
    *n = count;
    return LEDE_OK;
}

const uint32_t *lede_reader_runs(const lede_reader *r, size_t *n)
{
    *n = r->nruns;
    return r->runs;
}

size_t lede_run_lower_bound(const uint32_t *runs, size_t n, uint32_t run)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (runs[mid] < run)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int lede_terminfo_decode(lede_terminfo_rec *out, int field, const void *data, size_t len)
{
    lede_dec d;
    lede_dec_init(&d, data, len);
    /* The head: bit 0 says the list is inline, bit 1 is the stem alias flag
     * (format 5); then first_run (chunked), or exact and ndocs (inline). */
    uint64_t h = lede_dec_varint(&d);
    memset(&out->inl, 0, sizeof out->inl);
    out->inl_post = out->inl_pos = NULL;
    out->inl_post_len = out->inl_pos_len = 0;
    out->npostings = 0;
    out->first_run = 0;
    out->df = 0;
    out->cf = 0;
    out->stem_alias = (uint32_t)(h >> 1 & 1);
    if (d.rc != LEDE_OK || (out->stem_alias && field != LEDE_FIELD_WORD))
        return LEDE_ECORRUPT;
    if (!(h & 1)) {
        if (h >> 2 > UINT32_MAX)
            return LEDE_ECORRUPT;
        out->first_run = (uint32_t)(h >> 2);
        out->df = lede_dec_u32(&d);
        out->cf = lede_dec_varint(&d);
        if (out->first_run > 0) {
            out->max_tf = lede_dec_u32(&d);
            out->max_title_tf = lede_dec_u32(&d);
            out->min_len = lede_dec_u32(&d);
            return d.rc == LEDE_OK && d.p == d.end ? LEDE_OK : LEDE_ECORRUPT;
        }
        /* No postings at all. */
        out->max_tf = out->max_title_tf = 0;
        out->min_len = UINT32_MAX;
        return d.rc == LEDE_OK && d.p == d.end && out->df == 0 && out->cf == 0 ? LEDE_OK
                                                                               : LEDE_ECORRUPT;
    }
    /* Inline: the head gives ndocs; then the block's header without its
     * lengths, df unless "exact" (every posting live: df = ndocs), cf
     * unless exact with every tf 1 (cf = ndocs), and the block's data and
     * positions to the end, split by lede_terminfo_chunk (only a reader of
     * the postings needs to know where the data ends). */
    uint64_t n = h >> 3;
    int exact = (int)(h >> 2 & 1);
    if (n == 0 || n > LEDE_INLINE_MAX_POSTINGS)
        return LEDE_ECORRUPT;
    lede_block_meta *m = &out->inl;
    m->n = (uint32_t)n;
    m->last_docid = lede_dec_u32(&d);
    m->max_tf = lede_dec_u32(&d);
    m->max_title_tf = lede_dec_u32(&d);
    m->min_len = lede_dec_u32(&d);
    out->df = exact ? (uint32_t)n : lede_dec_u32(&d);
    out->cf = exact && m->max_tf == 1 ? n : lede_dec_varint(&d);
    if (d.rc != LEDE_OK || m->last_docid < n || m->max_tf == 0 ||
        m->max_title_tf > m->max_tf || out->cf < out->df ||
        (exact && out->cf > (uint64_t)n * m->max_tf) ||
        (lede_space_positions(field) && d.p == d.end))
        return LEDE_ECORRUPT;
    out->max_tf = m->max_tf;
    out->max_title_tf = m->max_title_tf;
    out->min_len = m->min_len;
    out->npostings = n;
    out->inl_post = d.p;
    out->inl_post_len = (size_t)(d.end - d.p);
    out->inl_pos = d.end;
    out->inl_pos_len = 0;
    return LEDE_OK;
}

int lede_terminfo_chunk(const lede_terminfo_rec *ti, int field, lede_chunk *c)
{
    /* Data and positions in one piece, as decoded: the widths and the Rice
     * codes say where the data ends. */
    lede_block_meta m = ti->inl;
    const uint8_t *data = ti->inl_post;
    uint32_t db;
    if (m.n == 0 || lede_inline_data_len(&m, data, ti->inl_post_len, &db) != LEDE_OK)
        return LEDE_ECORRUPT;
    m.doc_bytes = db;
    m.pos_bytes = (uint32_t)(ti->inl_post_len - db);
    if (lede_space_positions(field) ? m.pos_bytes == 0 : m.pos_bytes != 0)
        return LEDE_ECORRUPT;
    return lede_chunk_single(c, &m, data, lede_space_positions(field) ? data + db : NULL);
}

int lede_docrec_decode(lede_docrec *out, const void *data, size_t len)
{
    lede_dec d;
    lede_dec_init(&d, data, len);
    out->id = lede_dec_str(&d, &out->id_len);
    out->date = lede_dec_str(&d, NULL);
    out->path_ref = lede_dec_u32(&d);
    out->path = out->path_ref ? NULL : lede_dec_str(&d, NULL);
    out->len = lede_dec_u32(&d);
    out->title_len = lede_dec_u32(&d);
    out->mtime = lede_unzigzag(lede_dec_varint(&d));
    out->size = lede_dec_varint(&d);
    out->hash = lede_dec_u64le(&d);
    out->cold = d.p;
    out->cold_len = (size_t)(d.end - d.p);
    return d.rc == LEDE_OK && out->cold_len > 0 ? LEDE_OK : LEDE_ECORRUPT;
}

int lede_doccold_decode(lede_doccold *out, const void *data, size_t len)
{
    lede_dec d;
    lede_dec_init(&d, data, len);
    out->title = lede_dec_str(&d, &out->title_bytes);
    out->meta_json = lede_dec_str(&d, NULL);
    out->entities = d.p;
    out->entities_len = (size_t)(d.end - d.p);
    return d.rc;
}

const char *lede_zdict_key(int k)
{
    return k == LEDE_ZDICT_TEXT ? "zdict.text" : "zdict.docs";
}

/* Frames that say they hold at most this much are decoded in one call into
 * a buffer of that size; larger ones through zframe_stream. */
#define ZFRAME_TRUST ((size_t)16 << 20)

/* Decompress frame src (len bytes, claiming want bytes) into *out, growing
 * it as output comes; *got is what came (want, or an error or less when
 * the frame lied). */
static int zframe_stream(void *dctx, const void *ddict, const void *src, size_t len, size_t want,
                         char **out, size_t *got)
{
    ZSTD_DCtx *d = dctx;
    size_t cap = ZFRAME_TRUST, n = 0, r = 1;
    char *buf = malloc(cap + 1);
    *out = NULL;
    *got = 0;
    if (!buf)
        return LEDE_ENOMEM;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
    if (ddict && ZSTD_isError(ZSTD_DCtx_refDDict(d, ddict))) {
        free(buf);
        return LEDE_ECORRUPT;
    }
    ZSTD_inBuffer in = {src, len, 0};
    while (r != 0 && !ZSTD_isError(r)) {
        if (n == cap) {
            if (cap >= want + 1) {
                r = (size_t)-1; /* more than it said */
                break;
            }
            size_t nc = LEDE_MIN(cap * 2, want + 1);
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                free(buf);
                ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
                return LEDE_ENOMEM;
            }
            buf = nb;
            cap = nc;
        }
        ZSTD_outBuffer o = {buf, cap, n};
        size_t before = in.pos;
        r = ZSTD_decompressStream(d, &o, &in);
        if (!ZSTD_isError(r) && o.pos == n && in.pos == before && o.pos < cap)
            r = (size_t)-1; /* no progress: the input ended before the frame */
        n = o.pos;
    }
    ZSTD_DCtx_reset(d, ZSTD_reset_session_and_parameters);
    *out = buf;
    *got = ZSTD_isError(r) ? (size_t)-1 : n;
    return LEDE_OK;
}

int lede_zframe_decode(void *dctx, const void *ddict, const void *src, size_t len, char **out,
                       size_t *out_len)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    unsigned long long sz = ZSTD_getFrameContentSize(src, len);
    if (sz == ZSTD_CONTENTSIZE_ERROR || sz == ZSTD_CONTENTSIZE_UNKNOWN || sz >= ((size_t)1 << 40))
        return LEDE_ECORRUPT;
    unsigned id = ZSTD_getDictID_fromFrame(src, len);
    if (id != 0 && (!ddict || ZSTD_getDictID_fromDDict(ddict) != id))
        return LEDE_ECORRUPT;
    char *buf;
    size_t z;
    if (sz <= ZFRAME_TRUST) {
        if (!(buf = malloc((size_t)sz + 1)))
            return LEDE_ENOMEM;
        z = ZSTD_decompress_usingDDict(dctx, buf, (size_t)sz + 1, src, len,
                                       id ? (const ZSTD_DDict *)ddict : NULL);
    } else {
        /* A large size is not believed before the bytes are there: a
         * damaged header asked for 3 GB (fuzz-index).  The buffer grows
         * with what the frame really gives. */
        int rc = zframe_stream(dctx, id ? ddict : NULL, src, len, (size_t)sz, &buf, &z);
        if (rc != LEDE_OK)
            return rc;
    }
    if (ZSTD_isError(z) || z != sz) {
        free(buf);
        return LEDE_ECORRUPT;
    }
    buf[z] = 0;
    *out = buf;
    if (out_len)
        *out_len = z;
    return LEDE_OK;
}

int lede_entities_decode(lede_entity_list *out, const uint8_t *data, size_t len)
{
    lede_dec d;
    const char **names = NULL;
    size_t *lens = NULL;
    int rc = LEDE_OK;
    lede_dec_init(&d, data, len);
    uint64_t nnames = lede_dec_varint(&d);
    if (d.rc != LEDE_OK || nnames > len)
        return LEDE_ECORRUPT;
    names = malloc((nnames + 1) * sizeof *names);
    lens = malloc((nnames + 1) * sizeof *lens);
    if (!names || !lens) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (uint64_t i = 0; i < nnames; i++)
        names[i] = lede_dec_str(&d, &lens[i]);
    uint64_t n = lede_dec_varint(&d);
    if (d.rc != LEDE_OK || n > len) {
        rc = LEDE_ECORRUPT;
        goto cleanup;
    }
    int64_t pos = 0, start = 0;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t ni = lede_dec_varint(&d);
        pos += lede_unzigzag(lede_dec_varint(&d));
        uint32_t span = lede_dec_u32(&d);
        start += lede_unzigzag(lede_dec_varint(&d));
        uint32_t elen = lede_dec_u32(&d);
        if (d.rc != LEDE_OK || ni >= nnames || pos < 0 || pos > UINT32_MAX - (int64_t)span ||
            start < 0 || start > UINT32_MAX - (int64_t)elen) {
            rc = LEDE_ECORRUPT;
            goto cleanup;
        }
        if ((rc = lede_entity_list_push(out, names[ni], lens[ni], (uint32_t)pos,
                                        (uint32_t)pos + span, (uint32_t)start,
                                        (uint32_t)start + elen)) != LEDE_OK)
            goto cleanup;
    }
    if (d.p != d.end)
        rc = LEDE_ECORRUPT;
cleanup:
    free(names);
    free(lens);
    return rc;
}

size_t lede_chunk_key(uint8_t *out, uint32_t run, const char *term, size_t len, uint32_t docid)
{
    lede_set_u32be(out, run);
    memcpy(out + 4, term, len);
    out[4 + len] = 0;
    lede_set_u32be(out + 5 + len, docid);
    return len + LEDE_CHUNK_KEY_EXTRA;
}

size_t lede_id_key(uint8_t *out, const char *id, size_t len)
{
    if (len <= LEDE_ID_KEY_MAX) {
        memcpy(out, id, len);
        return len;
    }
    /* LMDB keys are at most 511 bytes: keep a prefix and a hash of the rest. */
    memcpy(out, id, LEDE_ID_KEY_MAX);
    return LEDE_ID_KEY_MAX + (size_t)snprintf((char *)out + LEDE_ID_KEY_MAX, 20, "#%016llx",
                                              (unsigned long long)XXH64(id, len, 0));
}

/* ------------------------------------------------------------------ */
/* The reader                                                          */
/* ------------------------------------------------------------------ */

int lede_reader_open(lede_reader **out, const char *dir, char **errmsg)
{
    lede_reader *r = calloc(1, sizeof *r);
    lede_cursor *c = NULL;
    char *msg = NULL;
    lede_val k, v;
    int rc;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (!r) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    r->page_no = UINT32_MAX;
    if ((rc = lede_store_open(&r->s, dir, 0, &msg)) != LEDE_OK)
        goto cleanup;
    if ((rc = lede_store_begin(&r->t, r->s, 0)) != LEDE_OK) {
        if (asprintf(&msg, "cannot start reading the index in %s: %s", dir, lede_strerror(rc)) < 0)
            msg = NULL;
        goto cleanup;
    }
    rc = lede_store_get(r->t, LEDE_DB_META, "stats", 5, &v);
    if (rc == LEDE_OK)
        rc = lede_stats_decode(&r->st, v.data, v.len);
    else if (rc == LEDE_ENOTFOUND)
        rc = LEDE_OK; /* a new, empty index */
    if (rc == LEDE_OK && lede_store_get(r->t, LEDE_DB_META, "language", 8, &v) == LEDE_OK) {
        size_t n = LEDE_MIN(v.len, sizeof r->language - 1);
        memcpy(r->language, v.data, n);
    } else if (rc == LEDE_OK) {
        strcpy(r->language, "english");
    }
    if (rc != LEDE_OK) {
        if (asprintf(&msg, "the index in %s is damaged: unreadable statistics", dir) < 0)
            msg = NULL;
        goto cleanup;
    }
    if (lede_store_get(r->t, LEDE_DB_META, "runs", 4, &v) == LEDE_OK) {
        lede_run_rec *runs = NULL;
        if ((rc = lede_runs_decode(v.data, v.len, &runs, &r->nruns)) != LEDE_OK) {
            if (rc == LEDE_ECORRUPT && asprintf(&msg, "the index in %s is damaged: bad list of runs", dir) < 0)
                msg = NULL;
            goto cleanup;
        }
        /* The numbers only, for the cursors. */
        r->runs = malloc((r->nruns + 1) * sizeof *r->runs);
        for (size_t i = 0; r->runs && i < r->nruns; i++)
            r->runs[i] = runs[i].id;
        free(runs);
        if (!r->runs) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
    }
    if (r->st.ndeleted > 0) {
        r->deleted_bytes = (size_t)r->st.max_docid / 8 + 1;
        r->deleted = calloc(r->deleted_bytes, 1);
        if (!r->deleted) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        if ((rc = lede_store_cursor_open(&c, r->t, LEDE_DB_DELETED)) != LEDE_OK)
            goto cleanup;
        for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK;
             rc = lede_store_cursor_next(c, &k, &v)) {
            uint32_t id;
            if (k.len != 4 || (id = lede_get_u32be(k.data)) > r->st.max_docid) {
                rc = LEDE_ECORRUPT;
                if (asprintf(&msg, "the index in %s is damaged: bad deleted record", dir) < 0)
                    msg = NULL;
                goto cleanup;
            }
            r->deleted[id / 8] |= (uint8_t)(1u << (id % 8));
        }
        if (rc == LEDE_ITEROVER)
            rc = LEDE_OK;
    }
cleanup:
    lede_store_cursor_close(c);
    if (rc != LEDE_OK) {
        if (errmsg) {
            if (!msg && asprintf(&msg, "cannot read the index in %s: %s", dir, lede_strerror(rc)) < 0)
                msg = NULL;
            *errmsg = msg;
            msg = NULL;
        }
        lede_reader_close(r);
        r = NULL;
    }
    free(msg);
    *out = r;
    return rc;
}

void lede_reader_close(lede_reader *r)
{
    if (!r)
        return;
    lede_store_abort(r->t);
    lede_store_close(r->s);
    free(r->deleted);
    free(r->runs);
    for (size_t i = 0; i < r->capcold; i++)
        free(r->cold[i].data);
    free(r->cold);
    for (int k = 0; k < 2; k++)
        ZSTD_freeDDict(r->ddict[k]);
    ZSTD_freeDCtx(r->dctx);
    free(r);
}

int lede_reader_is_deleted(lede_reader *r, uint32_t docid)
{
    return r->deleted && docid / 8 < r->deleted_bytes &&
           (r->deleted[docid / 8] >> (docid % 8) & 1);
}

int lede_reader_stats(lede_reader *r, lede_stats *out)
{
    memset(out, 0, sizeof *out);
    out->ndocs = r->st.ndocs;
    out->total_len = r->st.total_len;
    out->max_docid = r->st.max_docid;
    for (int f = 0; f < 3; f++) {
        out->nterms[f] = r->st.nterms[f];
        out->npostings[f] = r->st.npostings[f];
    }
    snprintf(out->language, sizeof out->language, "%s", r->language);
    out->format_version = LEDE_FORMAT_VERSION;
    return LEDE_OK;
}

static int valid_field(lede_field f)
{
    return f == LEDE_FIELD_STEM || f == LEDE_FIELD_WORD || f == LEDE_FIELD_NAME;
}

static void fill_info(lede_term_info *out, const lede_terminfo_rec *ti)
{
    out->df = ti->df;
    out->cf = ti->cf;
    out->max_tf = ti->max_tf;
    out->max_title_tf = ti->max_title_tf;
    out->min_len = ti->min_len;
}

/*
 * The record of a live term (its inline list borrowed from the snapshot).
 * A stem without a record of its own whose word of the same spelling is
 * flagged stem_alias has that word's postings: *space (when not NULL) says
 * which space's record, chunks and positions to read.
 */
static int term_record(lede_reader *r, lede_field field, const char *term, size_t len,
                       lede_terminfo_rec *ti, lede_field *space)
{
    lede_val v;
    lede_field in = field;
    if (!valid_field(field) || !term || len == 0 || len > LEDE_KEY_TERM_MAX)
        return len > LEDE_KEY_TERM_MAX ? LEDE_ENOTFOUND : LEDE_EINVAL;
    int rc = lede_store_get(r->t, LEDE_DB_TERMS(field), term, len, &v);
    if (rc == LEDE_ENOTFOUND && field == LEDE_FIELD_STEM) {
        in = LEDE_FIELD_WORD;
        rc = lede_store_get(r->t, LEDE_DB_TERMS(in), term, len, &v);
    }
    if (rc != LEDE_OK)
        return rc;
    if (lede_terminfo_decode(ti, in, v.data, v.len) != LEDE_OK) {
        set_msg(r, "damaged term record for \"%.*s\"", (int)len, term);
        return LEDE_ECORRUPT;
    }
    if (in != field && !ti->stem_alias)
        return LEDE_ENOTFOUND; /* the word has other stems, or is not this stem's */
    if (space)
        *space = in;
    return ti->df == 0 ? LEDE_ENOTFOUND : LEDE_OK;
}

int lede_reader_term(lede_reader *r, lede_field field, const char *term, size_t len,
                     lede_term_info *out)
{
    lede_terminfo_rec ti;
    memset(out, 0, sizeof *out);
    int rc = term_record(r, field, term, len, &ti, NULL);
    if (rc != LEDE_OK)
        return rc;
    fill_info(out, &ti);
    return LEDE_OK;
}

/* One of lede_reader_terms' cursors: over the terms of space f from prefix on. */
typedef struct termcur {
    lede_cursor *c;
    int f;
    int rc;    /* LEDE_OK while k, v hold a term with the prefix */
    lede_val k, v;
} termcur;

static void termcur_step(termcur *tc, const char *prefix, size_t prefix_len, int first)
{
    tc->rc = !first            ? lede_store_cursor_next(tc->c, &tc->k, &tc->v)
             : prefix_len      ? lede_store_cursor_seek(tc->c, prefix, prefix_len, &tc->k, &tc->v)
                               : lede_store_cursor_first(tc->c, &tc->k, &tc->v);
    if (tc->rc == LEDE_OK && prefix_len &&
        (tc->k.len < prefix_len || memcmp(tc->k.data, prefix, prefix_len) != 0))
        tc->rc = LEDE_ITEROVER;
}

/*
 * The stem space's terms are its records and, merged in key order, the
 * words flagged stem_alias that no stem record of the same bytes overrides
 * (FORMAT.md): two cursors, the stems' and the words'.
 */
int lede_reader_terms(lede_reader *r, lede_field field, const char *prefix, size_t prefix_len,
                      lede_term_fn fn, void *payload)
{
    termcur tc[2] = {{NULL, (int)field, LEDE_ITEROVER, {0}, {0}},
                     {NULL, LEDE_FIELD_WORD, LEDE_ITEROVER, {0}, {0}}};
    int rc = LEDE_OK, n = field == LEDE_FIELD_STEM ? 2 : 1;
    if (!valid_field(field) || !fn)
        return LEDE_EINVAL;
    for (int i = 0; i < n && rc == LEDE_OK; i++)
        if ((rc = lede_store_cursor_open(&tc[i].c, r->t, LEDE_DB_TERMS(tc[i].f))) == LEDE_OK)
            termcur_step(&tc[i], prefix, prefix_len, 1);
    while (rc == LEDE_OK && (tc[0].rc == LEDE_OK || (n == 2 && tc[1].rc == LEDE_OK))) {
        /* The word cursor's key against the stem cursor's (one that is
         * done comes after); the smaller goes first, and on a tie the
         * stem's record wins over the word's flag. */
        int c = n < 2 || tc[1].rc != LEDE_OK ? 1
                : tc[0].rc != LEDE_OK        ? -1
                                             : lede_key_cmp(tc[1].k.data, tc[1].k.len,
                                                            tc[0].k.data, tc[0].k.len);
        if (c == 0)
            termcur_step(&tc[1], prefix, prefix_len, 0);
        int i = c < 0;
        termcur *t = &tc[i];
        lede_terminfo_rec ti;
        if (lede_terminfo_decode(&ti, t->f, t->v.data, t->v.len) != LEDE_OK) {
            rc = LEDE_ECORRUPT;
            set_msg(r, "damaged term record for \"%.*s\"", (int)t->k.len, (const char *)t->k.data);
            break;
        }
        if (ti.df > 0 && (i == 0 || ti.stem_alias)) {
            lede_term_info info;
            fill_info(&info, &ti);
            if (fn(t->k.data, t->k.len, &info, payload) != 0)
                break;
        }
        termcur_step(t, prefix, prefix_len, 0);
    }
    for (int i = 0; i < n; i++) {
        if (rc == LEDE_OK && tc[i].rc != LEDE_OK && tc[i].rc != LEDE_ITEROVER && tc[i].c)
            rc = tc[i].rc;
        lede_store_cursor_close(tc[i].c);
    }
    return rc;
}

int lede_reader_prefault(lede_reader *r, uint64_t max_bytes)
{
    return lede_store_prefault(r->s, max_bytes);
}

uint32_t lede_reader_doclen(lede_reader *r, uint32_t docid)
{
    uint32_t pg = docid / LEDE_DOCLEN_PAGE;
    if (docid == 0 || docid > r->st.max_docid)
        return 0;
    if (pg != r->page_no) {
        uint8_t key[4];
        lede_val v;
        lede_set_u32be(key, pg);
        if (lede_store_get(r->t, LEDE_DB_DOCLENS, key, 4, &v) != LEDE_OK ||
            v.len != LEDE_DOCLEN_PAGE * 4)
            return 0;
        r->page = v.data;
        r->page_no = pg;
    }
    const uint8_t *p = r->page + 4 * (docid % LEDE_DOCLEN_PAGE);
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int get_docrec(lede_reader *r, uint32_t docid, lede_docrec *rec)
{
    uint8_t key[4];
    lede_val v;
    lede_set_u32be(key, docid);
    int rc = lede_store_get(r->t, LEDE_DB_DOCS, key, 4, &v);
    if (rc != LEDE_OK)
        return rc;
    if (lede_docrec_decode(rec, v.data, v.len) != LEDE_OK) {
        set_msg(r, "damaged record for document %u", docid);
        return LEDE_ECORRUPT;
    }
    return LEDE_OK;
}

const char *lede_reader_path(lede_reader *r, uint32_t ref)
{
    uint8_t key[4];
    lede_val v;
    lede_set_u32be(key, ref);
    if (lede_store_get(r->t, LEDE_DB_PATHS, key, 4, &v) != LEDE_OK || v.len == 0)
        return NULL;
    const char *p = v.data;
    /* The path and a NUL, which must be its only one. */
    return memchr(p, 0, v.len) == p + v.len - 1 ? p : NULL;
}

static int reader_dctx(lede_reader *r)
{
    if (!r->dctx && !(r->dctx = ZSTD_createDCtx()))
        return LEDE_ENOMEM;
    return LEDE_OK;
}

int lede_reader_ddict(lede_reader *r, int k, const void **out)
{
    lede_val v;
    *out = NULL;
    if (!r->ddict_loaded[k]) {
        const char *key = lede_zdict_key(k);
        int rc = lede_store_get(r->t, LEDE_DB_META, key, strlen(key), &v);
        if (rc == LEDE_OK) {
            /* By reference: the map stays in place while the reader's
             * transaction is open, which outlives the dictionary. */
            r->ddict[k] = ZSTD_createDDict_byReference(v.data, v.len);
            if (!r->ddict[k] || ZSTD_getDictID_fromDDict(r->ddict[k]) != LEDE_ZDICT_ID(k)) {
                ZSTD_freeDDict(r->ddict[k]);
                r->ddict[k] = NULL;
                set_msg(r, "damaged compression dictionary %s", key);
                return LEDE_ECORRUPT;
            }
        } else if (rc != LEDE_ENOTFOUND) {
            return rc;
        }
        r->ddict_loaded[k] = 1;
    }
    *out = r->ddict[k];
    return LEDE_OK;
}

/* The decompressed rest of docid's record, kept until the reader closes. */
static int get_cold(lede_reader *r, uint32_t docid, const lede_docrec *rec, lede_doccold *out)
{
    size_t j = 0;
    if (docid == 0) {
        /* Doc ids start at 1 (0 marks an empty slot of the cache). */
        set_msg(r, "damaged record for document 0");
        return LEDE_ECORRUPT;
    }
    if (r->capcold) {
        j = (docid * 2654435761u) & (r->capcold - 1);
        while (r->cold[j].docid && r->cold[j].docid != docid)
            j = (j + 1) & (r->capcold - 1);
    }
    if (!r->capcold || !r->cold[j].docid) {
        if ((r->ncold + 1) * 2 > r->capcold) {
            size_t nc = r->capcold ? r->capcold * 2 : 64;
            cold_ent *nt = calloc(nc, sizeof *nt);
            if (!nt)
                return LEDE_ENOMEM;
            for (size_t i = 0; i < r->capcold; i++) {
                if (!r->cold[i].docid)
                    continue;
                size_t h = (r->cold[i].docid * 2654435761u) & (nc - 1);
                while (nt[h].docid)
                    h = (h + 1) & (nc - 1);
                nt[h] = r->cold[i];
            }
            free(r->cold);
            r->cold = nt;
            r->capcold = nc;
            j = (docid * 2654435761u) & (nc - 1);
            while (r->cold[j].docid)
                j = (j + 1) & (nc - 1);
        }
        const void *dd;
        char *data;
        size_t len;
        int rc = reader_dctx(r);
        if (rc == LEDE_OK)
            rc = lede_reader_ddict(r, LEDE_ZDICT_DOCS, &dd);
        if (rc == LEDE_OK)
            rc = lede_zframe_decode(r->dctx, dd, rec->cold, rec->cold_len, &data, &len);
        if (rc != LEDE_OK) {
            if (rc == LEDE_ECORRUPT)
                set_msg(r, "damaged record for document %u", docid);
            return rc;
        }
        r->cold[j].docid = docid;
        r->cold[j].data = data;
        r->cold[j].len = len;
        r->ncold++;
    }
    if (lede_doccold_decode(out, r->cold[j].data, r->cold[j].len) != LEDE_OK) {
        set_msg(r, "damaged record for document %u", docid);
        return LEDE_ECORRUPT;
    }
    return LEDE_OK;
}

/* The fields stored plainly; title and meta_json "". */
static int doc_brief(lede_reader *r, uint32_t docid, lede_doc_info *out, lede_docrec *rec)
{
    memset(out, 0, sizeof *out);
    int rc = get_docrec(r, docid, rec);
    if (rc != LEDE_OK)
        return rc;
    out->docid = docid;
    out->id = rec->id;
    out->title = "";
    out->date = rec->date;
    out->path = rec->path_ref ? lede_reader_path(r, rec->path_ref) : rec->path;
    if (!out->path) {
        set_msg(r, "damaged record for document %u: path %u is missing", docid, rec->path_ref);
        return LEDE_ECORRUPT;
    }
    out->meta_json = "";
    out->len = rec->len;
    out->title_len = rec->title_len;
    out->mtime = rec->mtime;
    out->size = rec->size;
    out->hash = rec->hash;
    return LEDE_OK;
}

int lede_reader_doc_brief(lede_reader *r, uint32_t docid, lede_doc_info *out)
{
    lede_docrec rec;
    return doc_brief(r, docid, out, &rec);
}

int lede_reader_doc(lede_reader *r, uint32_t docid, lede_doc_info *out)
{
    lede_docrec rec;
    lede_doccold cold;
    int rc = doc_brief(r, docid, out, &rec);
    if (rc == LEDE_OK)
        rc = get_cold(r, docid, &rec, &cold);
    if (rc != LEDE_OK) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    out->title = cold.title;
    out->meta_json = cold.meta_json;
    return LEDE_OK;
}

int lede_reader_find(lede_reader *r, const char *id, uint32_t *docid_out)
{
    uint8_t key[LEDE_ID_KEY_MAX + 32];
    lede_val v;
    lede_docrec rec;
    *docid_out = 0;
    if (!id || !id[0])
        return LEDE_EINVAL;
    size_t len = strlen(id);
    int rc = lede_store_get(r->t, LEDE_DB_IDS, key, lede_id_key(key, id, len), &v);
    if (rc != LEDE_OK)
        return rc;
    if (v.len != 4)
        return LEDE_ECORRUPT;
    uint32_t docid = lede_get_u32be(v.data);
    if ((rc = get_docrec(r, docid, &rec)) != LEDE_OK)
        return rc == LEDE_ENOTFOUND ? LEDE_ECORRUPT : rc;
    if (rec.id_len != len || memcmp(rec.id, id, len) != 0)
        return LEDE_ENOTFOUND; /* a long id whose cut and hash collide */
    *docid_out = docid;
    return LEDE_OK;
}

size_t lede_text_key(uint8_t *out, uint32_t docid, uint32_t n)
{
    lede_set_u32be(out, docid);
    if (n == 0)
        return 4;
    lede_set_u32be(out + 4, n);
    return 8;
}

int lede_text_frame(lede_txn *t, uint32_t docid, lede_buf *scratch, const uint8_t **frame,
                    size_t *len)
{
    uint8_t key[8];
    lede_val v;
    *frame = NULL;
    *len = 0;
    int rc = lede_store_get(t, LEDE_DB_TEXT, key, lede_text_key(key, docid, 0), &v);
    if (rc != LEDE_OK)
        return rc;
    if (v.len > LEDE_TEXT_PIECE)
        return LEDE_ECORRUPT;
    if (v.len < LEDE_TEXT_PIECE) {
        *frame = v.data;
        *len = v.len;
        return LEDE_OK;
    }
    lede_buf_reset(scratch);
    lede_buf_append(scratch, v.data, v.len);
    for (uint32_t n = 1; v.len == LEDE_TEXT_PIECE; n++) {
        if (n == UINT32_MAX)
            return LEDE_ECORRUPT;
        rc = lede_store_get(t, LEDE_DB_TEXT, key, lede_text_key(key, docid, n), &v);
        if (rc != LEDE_OK)
            return rc == LEDE_ENOTFOUND ? LEDE_ECORRUPT : rc;
        if (v.len > LEDE_TEXT_PIECE)
            return LEDE_ECORRUPT;
        lede_buf_append(scratch, v.data, v.len);
    }
    if (scratch->rc != LEDE_OK)
        return scratch->rc;
    *frame = scratch->data;
    *len = scratch->len;
    return LEDE_OK;
}

int lede_reader_text(lede_reader *r, uint32_t docid, char **text_out, size_t *len_out)
{
    const void *dd;
    const uint8_t *frame;
    size_t flen;
    lede_buf scratch = LEDE_BUF_INIT;
    *text_out = NULL;
    if (len_out)
        *len_out = 0;
    int rc = lede_text_frame(r->t, docid, &scratch, &frame, &flen);
    if (rc == LEDE_OK && (rc = reader_dctx(r)) == LEDE_OK &&
        (rc = lede_reader_ddict(r, LEDE_ZDICT_TEXT, &dd)) == LEDE_OK)
        rc = lede_zframe_decode(r->dctx, dd, frame, flen, text_out, len_out);
    if (rc == LEDE_ECORRUPT)
        set_msg(r, "damaged stored text for document %u", docid);
    lede_buf_free(&scratch);
    return rc;
}

int lede_reader_entities(lede_reader *r, uint32_t docid, lede_entity_list *out)
{
    lede_docrec rec;
    lede_doccold cold;
    int rc = get_docrec(r, docid, &rec);
    if (rc == LEDE_OK)
        rc = get_cold(r, docid, &rec, &cold);
    if (rc != LEDE_OK)
        return rc;
    rc = lede_entities_decode(out, cold.entities, cold.entities_len);
    if (rc == LEDE_ECORRUPT)
        set_msg(r, "damaged entity list for document %u", docid);
    return rc;
}

int lede_reader_sizes(lede_reader *r, lede_index_sizes *out)
{
    memset(out, 0, sizeof *out);
    for (int db = 0; db < LEDE_DB_COUNT; db++) {
        uint64_t bytes, n;
        int rc = lede_store_db_size(r->t, (lede_db)db, &bytes, &n);
        if (rc != LEDE_OK)
            return rc;
        switch (db) {
        case LEDE_DB_STEM_POST:
        case LEDE_DB_WORD_POST:
        case LEDE_DB_NAME_POST:
            out->postings += bytes;
            break;
        case LEDE_DB_STEM_POS:
        case LEDE_DB_WORD_POS:
        case LEDE_DB_NAME_POS:
            out->positions += bytes;
            break;
        case LEDE_DB_STEM_TERMS:
        case LEDE_DB_WORD_TERMS:
        case LEDE_DB_NAME_TERMS:
            out->terms += bytes;
            break;
        case LEDE_DB_TEXT:
            out->text += bytes;
            break;
        case LEDE_DB_DOCS:
        case LEDE_DB_IDS:
        case LEDE_DB_DOCLENS:
        case LEDE_DB_PATHS:
            out->docs += bytes;
            break;
        default:
            out->other += bytes;
        }
        if (db == LEDE_DB_DOCLENS)
            out->doclens += bytes;
        if (db == LEDE_DB_WORD_POST || db == LEDE_DB_WORD_POS || db == LEDE_DB_WORD_TERMS)
            out->word_space += bytes;
        if (db == LEDE_DB_STEM_POST || db == LEDE_DB_STEM_TERMS)
            out->stem_space += bytes;
    }
    out->inverted = out->terms + out->postings + out->positions + out->doclens;
    out->stored = out->docs - out->doclens + out->text;
    out->runs = r->nruns;
    out->file = lede_store_used(r->s);
    /* Pages LMDB keeps free for reuse are neither data nor overhead of a part. */
    uint64_t parts = out->postings + out->positions + out->terms + out->text + out->docs + out->other;
    out->free = out->file > parts ? out->file - parts : 0;
    return LEDE_OK;
}

/* ------------------------------------------------------------------ */
/* Postings cursors                                                    */
/* ------------------------------------------------------------------ */

struct lede_postings {
    lede_reader *r;
    lede_field field;
    lede_cursor *cur;
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    size_t plen;        /* run + term + NUL: the key of the run's chunks less the doc id */
    size_t next_run;    /* in r->runs: the run to seek when this one ends */
    lede_chunk chunk;
    uint32_t b;         /* current block of the chunk */
    int decoded;        /* docids/tfs hold block b */
    int pos_decoded;
    uint32_t i;         /* index in the block */
    uint32_t docid;     /* current; LEDE_DOCID_END when exhausted */
    uint32_t floor;     /* the last doc id of the chunks before this one */
    uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK];
    uint32_t posoff[LEDE_BLOCK + 1];
    uint32_t *pos;
    size_t poscap;
    lede_buf scratch;
};

void lede_postings_free(lede_postings *p)
{
    if (!p)
        return;
    lede_store_cursor_close(p->cur);
    lede_chunk_release(&p->chunk);
    free(p->pos);
    lede_buf_free(&p->scratch);
    free(p);
}

static int corrupt(lede_postings *p)
{
    set_msg(p->r, "damaged postings for \"%.*s\"", (int)p->plen - 5, (const char *)p->key + 4);
    p->docid = LEDE_DOCID_END;
    return LEDE_ECORRUPT;
}

/* Load the chunk at the cursor (k, v); when that is past the run's chunks
 * of the term, the first chunk of a next live run holding some, or end the
 * cursor. */
static int load_chunk(lede_postings *p, int rc, const lede_val *kin, const lede_val *vin)
{
    lede_val kk = *kin, vv = *vin;
    const lede_val *k = &kk, *v = &vv;
    while (!(rc == LEDE_OK && k->len == p->plen + 4 && memcmp(k->data, p->key, p->plen) == 0)) {
        if (rc != LEDE_OK && rc != LEDE_ITEROVER)
            return rc;
        if (p->next_run >= p->r->nruns) {
            p->docid = LEDE_DOCID_END;
            p->chunk.nblocks = 0;
            return LEDE_ITEROVER;
        }
        lede_set_u32be(p->key, p->r->runs[p->next_run++]);
        lede_set_u32be(p->key + p->plen, 0);
        rc = lede_store_cursor_seek(p->cur, p->key, p->plen + 4, &kk, &vv);
    }
    lede_val pv = {NULL, 0};
    if (lede_space_positions(p->field)) {
        rc = lede_store_get(lede_reader_txn(p->r), LEDE_DB_POS(p->field), k->data, k->len, &pv);
        if (rc != LEDE_OK)
            return corrupt(p);
    }
    if (lede_chunk_parse(&p->chunk, v->data, v->len, lede_space_positions(p->field) ? pv.data : NULL,
                         pv.len) != LEDE_OK)
        return corrupt(p);
    p->b = 0;
    p->decoded = 0;
    return LEDE_OK;
}

static int next_chunk(lede_postings *p)
{
    lede_val k, v;
    if (!p->cur) {
        /* An inline list is one chunk. */
        p->docid = LEDE_DOCID_END;
        p->chunk.nblocks = 0;
        return LEDE_ITEROVER;
    }
    /* Each chunk's doc ids start from 0, not from the chunk before: a
     * damaged chunk could go back, so the next must start above this one. */
    if (p->chunk.nblocks > 0)
        p->floor = p->chunk.blocks[p->chunk.nblocks - 1].last_docid;
    int rc = lede_store_cursor_next(p->cur, &k, &v);
    if ((rc = load_chunk(p, rc, &k, &v)) != LEDE_OK)
        return rc;
    return p->chunk.blocks[0].last_docid > p->floor ? LEDE_OK : corrupt(p);
}

static int decode_block(lede_postings *p)
{
    if (lede_block_decode(&p->chunk, p->b, p->docids, p->tfs, p->ttfs) != LEDE_OK ||
        (p->b == 0 && p->docids[0] <= p->floor))
        return corrupt(p);
    p->decoded = 1;
    p->pos_decoded = 0;
    p->i = 0;
    return LEDE_OK;
}

/* Move to the next block (across chunks) without decoding it. */
static int next_block(lede_postings *p)
{
    p->decoded = 0;
    if (p->b + 1 < p->chunk.nblocks) {
        p->b++;
        return LEDE_OK;
    }
    return next_chunk(p);
}

/* From position i of the decoded block on, settle on the first live posting. */
static int settle(lede_postings *p)
{
    for (;;) {
        if (!p->decoded) {
            int rc = decode_block(p);
            if (rc != LEDE_OK)
                return rc;
        }
        while (p->i < p->chunk.blocks[p->b].n) {
            uint32_t d = p->docids[p->i];
            if (!lede_reader_is_deleted(p->r, d)) {
                p->docid = d;
                return LEDE_OK;
            }
            p->i++;
        }
        int rc = next_block(p);
        if (rc != LEDE_OK)
            return rc;
    }
}

int lede_postings_open(lede_postings **out, lede_reader *r, lede_field field, const char *term,
                       size_t len)
{
    lede_terminfo_rec ti;
    lede_val k, v;
    *out = NULL;
    /* An aliased stem reads its word's chunks, positions and all. */
    int rc = term_record(r, field, term, len, &ti, &field);
    if (rc != LEDE_OK)
        return rc;
    lede_postings *p = calloc(1, sizeof *p);
    if (!p)
        return LEDE_ENOMEM;
    p->r = r;
    p->field = field;
    p->plen = lede_chunk_key(p->key, 0, term, len, 0) - 4;
    if (ti.first_run == 0) {
        /* The list is inline in the term record: no cursor. */
        if ((rc = lede_terminfo_chunk(&ti, field, &p->chunk)) != LEDE_OK) {
            if (rc == LEDE_ECORRUPT)
                rc = corrupt(p);
            goto fail;
        }
        p->b = 0;
        p->decoded = 0;
        rc = LEDE_OK;
    } else {
        if ((rc = lede_store_cursor_open(&p->cur, r->t, LEDE_DB_POST(field))) != LEDE_OK)
            goto fail;
        /* The live runs from the term's first on. */
        size_t lo = lede_run_lower_bound(r->runs, r->nruns, ti.first_run);
        if (lo == r->nruns || r->runs[lo] != ti.first_run) {
            rc = corrupt(p); /* its first run is not a live one */
            goto fail;
        }
        p->next_run = lo;
        k.data = v.data = NULL;
        k.len = v.len = 0;
        rc = load_chunk(p, LEDE_ITEROVER, &k, &v);
    }
    if (rc == LEDE_OK)
        rc = settle(p);
    if (rc == LEDE_ITEROVER)
        rc = LEDE_OK; /* every posting deleted: an empty cursor */
    if (rc != LEDE_OK)
        goto fail;
    *out = p;
    return LEDE_OK;
fail:
    lede_postings_free(p);
    return rc;
}

uint32_t lede_postings_docid(const lede_postings *p)
{
    return p->docid;
}

uint32_t lede_postings_tf(const lede_postings *p)
{
    return p->docid != LEDE_DOCID_END && p->decoded ? p->tfs[p->i] : 0;
}

uint32_t lede_postings_title_tf(const lede_postings *p)
{
    return p->docid != LEDE_DOCID_END && p->decoded ? p->ttfs[p->i] : 0;
}

int lede_postings_next(lede_postings *p)
{
    if (p->docid == LEDE_DOCID_END)
        return LEDE_ITEROVER;
    if (!p->decoded) {
        /* After a shallow seek the position is unspecified: go on from the block. */
        return lede_postings_seek(p, p->docid + 1);
    }
    p->i++;
    return settle(p);
}

int lede_postings_seek(lede_postings *p, uint32_t target)
{
    if (p->docid == LEDE_DOCID_END)
        return LEDE_ITEROVER;
    if (p->decoded && p->docid >= target)
        return LEDE_OK;
    while (p->chunk.blocks[p->b].last_docid < target) {
        int rc = next_block(p);
        if (rc != LEDE_OK)
            return rc;
    }
    if (!p->decoded) {
        int rc = decode_block(p);
        if (rc != LEDE_OK)
            return rc;
    }
    /* Binary search in the block for the first doc id >= target. */
    uint32_t lo = p->i, hi = p->chunk.blocks[p->b].n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (p->docids[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    p->i = lo;
    return settle(p);
}

int lede_postings_shallow_seek(lede_postings *p, uint32_t target)
{
    if (p->docid == LEDE_DOCID_END)
        return LEDE_ITEROVER;
    while (p->chunk.blocks[p->b].last_docid < target) {
        int rc = next_block(p);
        if (rc != LEDE_OK)
            return rc;
    }
    return LEDE_OK;
}

void lede_postings_block(const lede_postings *p, lede_block_info *out)
{
    if (p->docid == LEDE_DOCID_END || p->b >= p->chunk.nblocks) {
        out->last_docid = LEDE_DOCID_END;
        out->max_tf = out->max_title_tf = out->min_len = 0;
        return;
    }
    const lede_block_meta *m = &p->chunk.blocks[p->b];
    out->last_docid = m->last_docid;
    out->max_tf = m->max_tf;
    out->max_title_tf = m->max_title_tf;
    out->min_len = m->min_len;
}

int lede_postings_positions(lede_postings *p, const uint32_t **out, uint32_t *n)
{
    *out = NULL;
    *n = 0;
    if (!lede_space_positions(p->field))
        return LEDE_EINVAL;
    if (p->docid == LEDE_DOCID_END || !p->decoded)
        return LEDE_ITEROVER;
    if (!p->pos_decoded) {
        const lede_block_meta *m = &p->chunk.blocks[p->b];
        uint64_t total = 0;
        for (uint32_t i = 0; i < m->n; i++) {
            p->posoff[i] = (uint32_t)total;
            total += p->tfs[i];
        }
        /*
         * A block's bytes bound how many positions it can hold: checking
         * that before allocating keeps a damaged tf from asking for gigabytes.
         */
        if (total > UINT32_MAX || total > lede_block_max_positions(&p->chunk, p->b))
            return corrupt(p);
        p->posoff[m->n] = (uint32_t)total;
        if (total + 1 > p->poscap) {
            uint32_t *np = realloc(p->pos, (total + 1) * sizeof *np);
            if (!np)
                return LEDE_ENOMEM;
            p->pos = np;
            p->poscap = total + 1;
        }
        if (lede_block_decode_positions(&p->chunk, p->b, p->tfs, p->pos, &p->scratch) != LEDE_OK)
            return corrupt(p);
        p->pos_decoded = 1;
    }
    *out = p->pos + p->posoff[p->i];
    *n = p->tfs[p->i];
    return LEDE_OK;
}
