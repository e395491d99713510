/*
 * writer.c — lede_index_*: buffers documents, analyses them on N threads,
 * merges the results in document order and writes each batch in one LMDB
 * write transaction.  Owns the encoding of every record it writes (below and
 * docs/FORMAT.md); the postings bytes belong to postings.c and LMDB to
 * store.c.  It must not read the index except to update it.
 *
 * Records written here:
 *   meta "format"   u32 LE format version (store.c writes it)
 *   meta "language" the Snowball language name
 *   meta "stats"    varints: ndocs, total_len, max_docid, nterms[3],
 *                   npostings[3], ndeleted
 *   <f>.terms  term -> a head varint (inline, stem_alias, and first_run
 *                   or ndocs), then varints df, cf, max_tf, max_title_tf,
 *                   min_len (the chunks are in the live runs from
 *                   first_run on); or, for a list inline, its one block's
 *                   bounds, df and cf unless the list gives them, the
 *                   block's data and its positions (lede_terminfo_encode,
 *                   FORMAT.md).  A stem spelt like its only word has no
 *                   record: the word's, flagged stem_alias, stands for it
 *                   (plan_aliases)
 *   <f>.post   run(BE32) term NUL docid(BE32) -> postings chunk
 *                   (postings.c), for lists too long to be inline; a
 *                   batch's chunks are a new run, appended
 *   <f>.pos    same key -> positions of that chunk (word and name only)
 *   meta "runs"     the live runs: varint n, n x (varint run, level, bytes)
 *   meta "runs.docs" their documents: varint n, n x (varint run, lo, hi, gone)
 *   meta "zdict.text", "zdict.docs"  zstd dictionaries (dictID 1 and 2),
 *                   trained from the first documents; absent when too few
 *   docs       docid(BE32) -> str id, str date, varint path_ref, str path
 *                   (only when path_ref is 0), varint len, varint title_len,
 *                   varint zigzag(mtime), varint size, u64 LE hash, then to
 *                   the end one zstd frame (dictionary 2 or none) of:
 *                   str title, str meta_json, entity list (to the end)
 *              (str = varint length, bytes, NUL)
 *              entity list = varint nnames, nnames x str name (in order of
 *                   first appearance), varint count, then per occurrence:
 *                   varint name index, varint zigzag(first_pos - previous
 *                   first_pos), varint last_pos - first_pos, varint
 *                   zigzag(start - previous start), varint end - start
 *   paths      path_ref(BE32) -> path, NUL: paths shared by documents
 *   text       docid(BE32) -> zstd frame of the body (dictionary 1 or none)
 *   ids        external id (cut at 400 bytes + xxh64 when longer) -> docid(BE32)
 *   doclens    page(BE32) = docid / 1024 -> 1024 u32 LE lengths (0: none)
 *   deleted    docid(BE32) -> empty
 *
 * Deleting a document re-analyses its stored title and body to find its
 * terms, so df, cf and the counts stay exact without a forward index; its
 * postings stay in the lists (cursors skip deleted ids) until a merge or a
 * purge of runs (or an inline list's rewrite) drops them.
 */
#include "writer.h"

#include "postings.h"
#include "reader.h"
#include "store.h"
#include "varint.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>
/* ZDICT_trainFromBuffer_fastCover with fixed parameters: the stable
 * ZDICT_trainFromBuffer searches them and takes several times as long. */
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

/* Documents analysed together before their results are merged.  The term
 * vectors of two such jobs are in memory at once (one analysed, one
 * merged): with 8 MB jobs their heap was a tenth of Gutenberg's peak RSS. */
#define ANALYZE_DOCS 512
#define ANALYZE_BYTES ((size_t)2 << 20)
/* Longest chunk written, in blocks (chunk_cut may write fewer). */
#define CHUNK_BLOCKS 64
/* Records smaller than this many leaf pages are not worth a rewrite (termscan). */
#define COMPACT_MIN_LEAVES 64
/*
 * zstd levels, of the text frames and of the records' compressed parts.
 * The text at 1: with the trained dictionary, level 3 took a tenth of
 * lede-index's CPU on Gutenberg (-j 1, runs alternated: user 5.52 s at 3,
 * 4.94 s at 1) for 6% less text (54.3 MB against 57.6; 2.6% of the index
 * on disk).  The records are small and few: level 3.
 */
static const int zstd_level[2] = {1, 3}; /* [LEDE_ZDICT_TEXT], [LEDE_ZDICT_DOCS] */
/* Dictionaries: trained from the first job of documents a run analyses when
 * the index has none yet, from at least this many documents and bytes;
 * each body contributes its first LEDE_ZDICT_SAMPLE bytes (a dictionary
 * matters most to the start of a frame). */
#define ZDICT_MIN_DOCS 16
#define ZDICT_MIN_BYTES ((size_t)4 << 10)
static const size_t zdict_max[2] = {(size_t)32 << 10, (size_t)16 << 10};

/* ------------------------------------------------------------------ */
/* Per-thread analysis of one document into a term vector               */
/* ------------------------------------------------------------------ */

typedef struct lterm {
    uint64_t h;
    uint32_t off, len;
    uint32_t tf, ttf;
    uint32_t pstart, pfill;
    uint32_t slot;
    uint32_t ent;   /* index in the stored entity names, or UINT32_MAX */
    uint8_t field;
    uint8_t mixed;  /* a stem with a token of another spelling, a word with a
                     * token of another stem (see plan_aliases) */
} lterm;

typedef struct worker {
    lede_analyzer *a;
    lterm *t;
    size_t n, cap;
    size_t nfield[3];
    uint32_t *slots;
    size_t nslots;
    lede_buf strs;
    /* The word term of each token, in text order: the title's at
     * positions 0.., the body's from title_len + LEDE_TITLE_GAP on, one
     * apart, so a token's position is implied by its index. */
    uint32_t *occ;
    size_t nocc, occcap;
    lede_entity_list ents;
    int in_title;
    uint32_t title_len;
    int rc;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    struct encoder *enc; /* flush_field's scratch when this thread encodes terms */
    ZSTD_CDict *const *cdict; /* the index's, by LEDE_ZDICT_*; NULL entries: none */
    const int *zdecided;      /* the index's: 0 for the records' dictionary
                               * means leave their rest uncompressed for now */
    lede_buf cold;            /* the uncompressed rest of a document record */
} worker;

static void encoder_free(struct encoder *en);

static void worker_free(worker *w)
{
    lede_analyzer_free(w->a);
    free(w->t);
    free(w->slots);
    lede_buf_free(&w->strs);
    free(w->occ);
    lede_entity_list_clear(&w->ents);
    ZSTD_freeCCtx(w->cctx);
    ZSTD_freeDCtx(w->dctx);
    encoder_free(w->enc);
    lede_buf_free(&w->cold);
    memset(w, 0, sizeof *w);
}

/* The slot hash of a term: its plain XXH3 (which the batch reuses) mixed
 * with the field, so a word and its identical stem start apart. */
static inline uint64_t worker_mix(uint64_t h, int field)
{
    return h ^ ((uint64_t)field * 0x9E3779B97F4A7C15u);
}

static int worker_grow_slots(worker *w)
{
    size_t ns = w->nslots ? w->nslots * 2 : 1024;
    uint32_t *s = calloc(ns, sizeof *s);
    if (!s)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < w->n; i++) {
        size_t j = worker_mix(w->t[i].h, w->t[i].field) & (ns - 1);
        while (s[j])
            j = (j + 1) & (ns - 1);
        s[j] = (uint32_t)i + 1;
        w->t[i].slot = (uint32_t)j;
    }
    free(w->slots);
    w->slots = s;
    w->nslots = ns;
    return LEDE_OK;
}

/* Index of the document's term s (of hash h), added when new, its bytes
 * those of term same_as when that is not -1 (a stem spelt like its word);
 * -1 on ENOMEM. */
static inline long worker_term_hashed(worker *w, int field, const char *s, size_t len, uint64_t h,
                                      long same_as)
{
    if ((w->n + 1) * 2 > w->nslots && worker_grow_slots(w) != LEDE_OK)
        return -1;
    size_t j = worker_mix(h, field) & (w->nslots - 1);
    while (w->slots[j]) {
        lterm *e = &w->t[w->slots[j] - 1];
        if (e->h == h && e->field == field && e->len == len &&
            memcmp(w->strs.data + e->off, s, len) == 0)
            return (long)w->slots[j] - 1;
        j = (j + 1) & (w->nslots - 1);
    }
    if (w->n == w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 256;
        lterm *nt = realloc(w->t, nc * sizeof *nt);
        if (!nt)
            return -1;
        w->t = nt;
        w->cap = nc;
    }
    lterm *e = &w->t[w->n];
    memset(e, 0, sizeof *e);
    e->h = h;
    e->off = (uint32_t)w->strs.len;
    e->len = (uint32_t)len;
    e->field = (uint8_t)field;
    e->slot = (uint32_t)j;
    e->ent = UINT32_MAX;
    if (same_as >= 0) {
        e->off = w->t[same_as].off;
    } else {
        lede_buf_append(&w->strs, s, len);
        if (w->strs.rc != LEDE_OK)
            return -1;
    }
    w->slots[j] = (uint32_t)w->n + 1;
    w->nfield[field]++;
    return (long)w->n++;
}

/* Index of (field, term) in the document's table, added when new; -1 on ENOMEM. */
static long worker_term(worker *w, int field, const char *s, size_t len)
{
    return worker_term_hashed(w, field, s, len, XXH3_64bits(s, len), -1);
}

/* Make room for one more u32 in *a (of *cap); LEDE_ENOMEM when it cannot grow. */
static int u32_room(uint32_t **a, size_t n, size_t *cap)
{
    if (n < *cap)
        return LEDE_OK;
    size_t nc = *cap ? *cap * 2 : 4096;
    uint32_t *na = realloc(*a, nc * sizeof *na);
    if (!na)
        return LEDE_ENOMEM;
    *a = na;
    *cap = nc;
    return LEDE_OK;
}

static int on_token(const lede_token *tok, void *payload)
{
    worker *w = payload;
    /* A stem may be a prefix of the word, in the word's own bytes.  Mostly
     * it is the word: one hash, and the word's bytes, serve both. */
    int same = tok->stem_len == tok->word_len &&
               (tok->stem == tok->word || memcmp(tok->stem, tok->word, tok->word_len) == 0);
    uint64_t h = XXH3_64bits(tok->word, tok->word_len);
    long t = worker_term_hashed(w, LEDE_FIELD_WORD, tok->word, tok->word_len, h, -1);
    long s = t < 0 ? -1
             : same ? worker_term_hashed(w, LEDE_FIELD_STEM, tok->stem, tok->stem_len, h, t)
                    : worker_term(w, LEDE_FIELD_STEM, tok->stem, tok->stem_len);
    if (s < 0 || t < 0 || u32_room(&w->occ, w->nocc, &w->occcap) != LEDE_OK) {
        w->rc = LEDE_ENOMEM;
        return 1;
    }
    w->occ[w->nocc++] = (uint32_t)t;
    if (!same)
        w->t[s].mixed = w->t[t].mixed = 1;
    w->t[s].tf++;
    w->t[t].tf++;
    if (w->in_title) {
        w->t[s].ttf++;
        w->t[t].ttf++;
    }
    return 0;
}

static int add_entities(worker *w, size_t from)
{
    for (size_t i = from; i < w->ents.n; i++) {
        const lede_entity *e = &w->ents.items[i];
        if (e->name_len == 0 || e->name_len > LEDE_KEY_TERM_MAX || memchr(e->name, 0, e->name_len))
            continue;
        long t = worker_term(w, LEDE_FIELD_NAME, e->name, e->name_len);
        if (t < 0)
            return LEDE_ENOMEM;
        w->t[t].tf++;
        if (w->in_title)
            w->t[t].ttf++;
    }
    return LEDE_OK;
}

/*
 * A document's term vector, as analyze_doc leaves it in a buffer for the
 * merge (or a delete) to read on another thread: a vhdr, the terms of each
 * field in turn (vrec, fixed width), the positions (u32, absolute, each
 * word and name term's contiguous and ascending), then the terms' bytes.
 * Fixed-width records rather than varints: the vector lives only in memory,
 * for a moment, and decoding varints was a tenth of the merge.
 */
typedef struct vhdr {
    uint32_t n[3];     /* terms per field */
    uint32_t npos;
    uint32_t nstrs;    /* bytes of the terms */
    uint32_t pad;      /* the records that follow are 8-byte aligned */
} vhdr;

typedef struct vrec {
    uint64_t h;        /* XXH3 of the term, reused by the batch's table */
    uint32_t off, len; /* the term's bytes, in the strings */
    uint32_t tf, ttf;
    uint32_t pos;      /* its first position (word and name) */
    uint32_t mixed;    /* lterm's */
} vrec;

/* The parts of a vector, checked against its length; non-zero when they do not fit. */
static int vector_parts(const lede_buf *terms, const vhdr **hd, const vrec **recs,
                        const uint32_t **pos, const uint8_t **strs)
{
    if (terms->len < sizeof(vhdr))
        return -1;
    const vhdr *h = (const vhdr *)(const void *)terms->data;
    uint64_t nrec = (uint64_t)h->n[0] + h->n[1] + h->n[2];
    uint64_t need = sizeof *h + nrec * sizeof(vrec) + (uint64_t)h->npos * 4 + h->nstrs;
    if (need != terms->len)
        return -1;
    *hd = h;
    *recs = (const vrec *)(const void *)(terms->data + sizeof *h);
    *pos = (const uint32_t *)(const void *)(terms->data + sizeof *h + nrec * sizeof(vrec));
    *strs = terms->data + sizeof *h + nrec * sizeof(vrec) + (size_t)h->npos * 4;
    return 0;
}

/*
 * Analyse title and body the one way both adding and deleting do: title at
 * positions 0.., body from title_len + LEDE_TITLE_GAP.  Sets terms to the
 * term vector (above) and, when ents_out is not NULL, appends the body's
 * encoded entity list to it.
 */
static int analyze_doc(worker *w, const char *title, size_t tlen, const char *body, size_t blen,
                       lede_buf *terms, lede_buf *ents_out, uint32_t *len_out,
                       uint32_t *title_len_out)
{
    lede_analyze_stats st = {0};
    int rc = LEDE_OK;
    size_t title_ents;

    for (size_t i = 0; i < w->n; i++)
        w->slots[w->t[i].slot] = 0;
    w->n = 0;
    w->nfield[0] = w->nfield[1] = w->nfield[2] = 0;
    lede_buf_reset(&w->strs);
    w->nocc = 0;
    w->rc = LEDE_OK;
    lede_entity_list_reset(&w->ents);

    w->in_title = 1;
    if (tlen > 0) {
        rc = lede_analyze_doc(w->a, title, tlen, 0, on_token, w, &st, &w->ents);
        if (w->rc != LEDE_OK || rc != 0)
            goto fail;
    }
    uint32_t title_len = (uint32_t)st.tokens;
    uint32_t ntok = title_len;
    title_ents = w->ents.n;
    if ((rc = add_entities(w, 0)) != LEDE_OK)
        goto fail;
    w->in_title = 0;
    uint32_t first = title_len + LEDE_TITLE_GAP;
    memset(&st, 0, sizeof st);
    rc = lede_analyze_doc(w->a, body, blen, first, on_token, w, &st, &w->ents);
    if (w->rc != LEDE_OK || rc != 0)
        goto fail;
    ntok += (uint32_t)st.tokens;
    if ((rc = add_entities(w, title_ents)) != LEDE_OK)
        goto fail;

    if (w->nocc != ntok)
        return LEDE_ERROR; /* a token without its word: cannot happen */

    /* The vector: records by field, then each word and name term's
     * positions, contiguous and in text order, then the strings as they
     * are. */
    uint32_t acc = 0;
    for (size_t i = 0; i < w->n; i++) {
        lterm *e = &w->t[i];
        e->pfill = e->pstart = acc;
        if (lede_space_positions(e->field))
            acc += e->tf;
    }
    size_t nrec = w->n;
    size_t bytes = sizeof(vhdr) + nrec * sizeof(vrec) + (size_t)acc * 4 + w->strs.len;
    lede_buf_reset(terms);
    if (lede_buf_reserve(terms, bytes) != LEDE_OK)
        goto nomem;
    vhdr *hd = (vhdr *)(void *)terms->data;
    memset(hd, 0, sizeof *hd);
    for (int f = 0; f < 3; f++)
        hd->n[f] = (uint32_t)w->nfield[f];
    hd->npos = acc;
    hd->nstrs = (uint32_t)w->strs.len;
    vrec *r = (vrec *)(void *)(terms->data + sizeof *hd), *rf[3];
    /* One pass: each field's records in the order its terms came. */
    rf[0] = r;
    rf[1] = rf[0] + w->nfield[0];
    rf[2] = rf[1] + w->nfield[1];
    for (size_t i = 0; i < w->n; i++) {
        const lterm *e = &w->t[i];
        *rf[e->field]++ = (vrec){e->h, e->off, e->len, e->tf, e->ttf, e->pstart, e->mixed};
    }
    r = rf[2];
    /* Straight into the vector: a word's occurrences, title then body
     * (names have no positions since format 7). */
    uint32_t *vpos = (uint32_t *)(void *)r;
    for (uint32_t k = 0; k < title_len; k++)
        vpos[w->t[w->occ[k]].pfill++] = k;
    for (uint32_t k = title_len; k < ntok; k++)
        vpos[w->t[w->occ[k]].pfill++] = first + (k - title_len);
    if (w->strs.len)
        memcpy((uint8_t *)r + (size_t)acc * 4, w->strs.data, w->strs.len);
    terms->len = bytes;
    if (ents_out) {
        /* Each distinct name once, then the occurrences as small deltas. */
        uint32_t nnames = 0, nocc = 0;
        for (size_t i = title_ents; i < w->ents.n; i++) {
            const lede_entity *e = &w->ents.items[i];
            long t = e->name_len && e->name_len <= LEDE_KEY_TERM_MAX && !memchr(e->name, 0, e->name_len)
                         ? worker_term(w, LEDE_FIELD_NAME, e->name, e->name_len)
                         : -1;
            if (t < 0)
                continue; /* a name too long to index is not stored either */
            nocc++;
            if (w->t[t].ent == UINT32_MAX)
                w->t[t].ent = nnames++;
        }
        lede_buf_put_varint(ents_out, nnames);
        /* Names in order of first appearance. */
        for (size_t i = title_ents, next = 0; i < w->ents.n; i++) {
            const lede_entity *e = &w->ents.items[i];
            if (!e->name_len || e->name_len > LEDE_KEY_TERM_MAX || memchr(e->name, 0, e->name_len))
                continue;
            long t = worker_term(w, LEDE_FIELD_NAME, e->name, e->name_len);
            if (t >= 0 && w->t[t].ent == next) {
                lede_buf_put_str(ents_out, e->name, e->name_len);
                next++;
            }
        }
        lede_buf_put_varint(ents_out, nocc);
        uint32_t prev_pos = 0, prev_start = 0;
        for (size_t i = title_ents; i < w->ents.n; i++) {
            const lede_entity *e = &w->ents.items[i];
            if (!e->name_len || e->name_len > LEDE_KEY_TERM_MAX || memchr(e->name, 0, e->name_len))
                continue;
            long t = worker_term(w, LEDE_FIELD_NAME, e->name, e->name_len);
            if (t < 0)
                continue;
            lede_buf_put_varint(ents_out, w->t[t].ent);
            lede_buf_put_varint(ents_out, lede_zigzag((int64_t)e->first_pos - prev_pos));
            lede_buf_put_varint(ents_out, e->last_pos - e->first_pos);
            lede_buf_put_varint(ents_out, lede_zigzag((int64_t)e->start - prev_start));
            lede_buf_put_varint(ents_out, e->end - e->start);
            prev_pos = e->first_pos;
            prev_start = e->start;
        }
        if (ents_out->rc != LEDE_OK)
            goto nomem;
    }
    if (terms->rc != LEDE_OK)
        goto nomem;
    *len_out = ntok;
    *title_len_out = title_len;
    return LEDE_OK;
nomem:
    return LEDE_ENOMEM;
fail:
    return w->rc != LEDE_OK ? w->rc : rc < 0 ? rc : LEDE_ERROR;
}

/* ------------------------------------------------------------------ */
/* The batch's large arrays                                             */
/* ------------------------------------------------------------------ */

/*
 * The batch's postings, positions and term tables grow to tens of MB, and
 * every fresh 4 KB page of them costs a page fault, which in some of the
 * virtual machines we measure on costs as much as indexing a short
 * document (the faults were a sixth of lede-index's time on Reuters).
 * Past HUGE_MIN an array lives in its own anonymous mapping with
 * transparent huge pages asked for (one fault per 2 MB; lede-index turns
 * them off where faults are cheap, indexer/malloc_conf.c), grown by
 * mremap, which moves page tables rather than bytes.  Fresh mappings are
 * zero: nothing is cleared.
 */
#define HUGE_PAGE ((size_t)2 << 20)
#define HUGE_MIN HUGE_PAGE

typedef struct bigbuf {
    uint8_t *data; /* owned: malloc'd, or mapped when mapped is set */
    size_t len, cap;
    int rc;        /* sticky LEDE_ENOMEM, as lede_buf's */
    int mapped;
} bigbuf;

/* Memory for cap bytes at least (cap rounded up to whole huge pages when
 * mapped); the contents up to len are kept.  Bytes beyond len are
 * undefined. */
static int bigbuf_reserve(bigbuf *b, size_t extra)
{
    if (b->rc != LEDE_OK)
        return b->rc;
    if (extra <= b->cap - b->len)
        return LEDE_OK;
    if (extra > SIZE_MAX / 4 - b->len) {
        b->rc = LEDE_ENOMEM;
        return b->rc;
    }
    size_t need = b->len + extra, cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    if (cap < HUGE_MIN) {
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->rc = LEDE_ENOMEM;
            return b->rc;
        }
        b->data = p;
        b->cap = cap;
        return LEDE_OK;
    }
    cap = (cap + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p;
    if (b->mapped) {
        p = mremap(b->data, b->cap, cap, MREMAP_MAYMOVE);
    } else {
        p = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            if (b->len)
                memcpy(p, b->data, b->len);
            free(b->data);
        }
    }
    if (p == MAP_FAILED) {
        b->rc = LEDE_ENOMEM;
        return b->rc;
    }
    /* Advice only: without huge pages the array still works. */
    (void)madvise(p, cap, MADV_HUGEPAGE);
    b->data = p;
    b->cap = cap;
    b->mapped = 1;
    return LEDE_OK;
}

/* Append n bytes, not cleared, and return them (NULL after a failure). */
static inline uint8_t *bigbuf_grow(bigbuf *b, size_t n)
{
    if (n > b->cap - b->len && bigbuf_reserve(b, n) != LEDE_OK)
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += n;
    return p;
}

static inline void bigbuf_append(bigbuf *b, const void *p, size_t n)
{
    uint8_t *q = bigbuf_grow(b, n);
    if (q && n)
        memcpy(q, p, n);
}

/* An array of n zeroed bytes that bigbuf_free releases. */
static int bigbuf_zeroed(bigbuf *b, size_t n)
{
    memset(b, 0, sizeof *b);
    if (n < HUGE_MIN) {
        b->data = calloc(1, n ? n : 1);
        if (!b->data)
            return LEDE_ENOMEM;
        b->len = b->cap = n;
        return LEDE_OK;
    }
    if (bigbuf_reserve(b, n) != LEDE_OK)
        return LEDE_ENOMEM;
    b->len = n; /* a fresh mapping is zero */
    return LEDE_OK;
}

/* What b holds in memory: a mapped array's last huge page is resident
 * whole (at small budgets, the 14 arrays' rounding is a tenth of the RSS).
 * Counted so with or without huge pages: batches end at the same documents. */
static size_t bigbuf_resident(const bigbuf *b)
{
    return b->mapped ? (b->len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1) : b->len;
}

static void bigbuf_free(bigbuf *b)
{
    if (b->mapped)
        munmap(b->data, b->cap);
    else
        free(b->data);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ */
/* The batch                                                           */
/* ------------------------------------------------------------------ */

/* A buffered operation: a document to add, or (is_delete) an id to delete. */
typedef struct wdoc {
    char *mem;       /* id, title, date, path and meta, NUL-separated */
    char *body_mem;  /* freed once the body is analysed and compressed */
    const char *id, *title, *body, *date, *path, *meta;
    size_t id_len, title_bytes, body_len, date_len, path_len, meta_len;
    int64_t mtime;
    uint64_t size, hash;
    lede_buf terms;
    lede_buf ents;   /* the entity list, then (analyze_one) the zstd frame of
                      * the record's compressed part: title, meta, entities */
    lede_buf ztext;
    uint32_t len, title_len, docid;
    int cold_raw;    /* ents holds the record's rest uncompressed */
    int is_delete;
    int rc;
} wdoc;

/* A term of the batch. */
typedef struct gterm {
    size_t off;      /* in the field's strs */
    uint64_t cf;
    uint64_t wpos;   /* where its next posting's bytes go, in the field's arena */
    uint32_t len;
    uint32_t df;
    uint32_t max_tf, max_ttf;
    uint32_t last;   /* the doc id of its last posting */
    uint32_t head;   /* its first slice, in SLICE_FIRST units */
    uint32_t wleft;  /* bytes left in the slice wpos is in, before its link */
    uint32_t adopt;  /* a stem taking over its word's postings: index + 1 in
                      * the batch's adopted lists (plan_aliases) */
    uint8_t level;   /* that slice's size class; 0: no slice yet */
    uint8_t mixed;   /* lterm's, over the batch */
    uint8_t alias;   /* a stem: its word of the same spelling holds its postings,
                      * nothing is written; a word: flag its record stem_alias */
} gterm;

/* Whether flush_field writes nothing for term e of field f: too long to
 * be a key, or a stem whose word holds its postings (plan_aliases). */
static inline int unwritten(int f, const gterm *e)
{
    return e->len > LEDE_KEY_TERM_MAX || (f == LEDE_FIELD_STEM && e->alias);
}

/* A field's terms of the batch, each with its postings (slice_posting). */
typedef struct fieldbuf {
    gterm *t;        /* tmem.data */
    size_t n;
    uint64_t *slots; /* smem.data: high 32 bits of the hash | term index + 1 */
    size_t nslots;
    bigbuf tmem, smem;
    bigbuf strs;
    bigbuf arena;    /* the terms' postings, in slices (slice_posting) */
} fieldbuf;

typedef struct pool_arg {
    struct lede_index *ix;
    worker *w;
} pool_arg;

struct lede_index {
    lede_store *s;
    char *dir;
    int lockfd;
    int statm_fd;     /* /proc/self/statm, or -1 */
    char errmsg[1024];
    char language[32];
    size_t budget;
    uint64_t max_size;
    int nthreads;
    worker *workers;
    wdoc **ops;
    size_t nops, capops, nanalyzed;
    size_t pending_bytes; /* raw bytes not yet analysed */
    size_t doc_bytes;     /* bytes held by analysed documents */
    fieldbuf fb[3];
    uint32_t committed_max;  /* max doc id of the last commit */
    uint32_t next_docid;     /* last doc id assigned in the batch */
    uint32_t run;            /* the batch's run: the number its chunks' keys start with */
    uint64_t run_bytes;      /* the bytes of chunks written in it */
    uint32_t *batch_lens;    /* by docid - committed_max - 1 */
    size_t batch_cap;
    /* ids touched by the batch: slot -> op index + 1 of the latest op */
    uint32_t *idslots;
    size_t nidslots, nids;
    /* The LMDB side of a batch, learnt from the last one written (see
     * note_write): bytes of new pages per byte buffered, and the pages of
     * the index a batch rewrites whatever its size. */
    double write_ratio;
    size_t write_fixed;
    size_t write_kept; /* LMDB keeps the largest batch's pages for the next */
    int trim_pending;  /* malloc_trim before the next batch grows */
    /* lede_index_touch's records: u64 mtime, varint id length, the id. */
    lede_buf touches;
    lede_buf scratch;
    /* The committed documents' lengths and deleted set, copied out of the
     * index by the batch's first rewrite of an old list (load_old). */
    uint32_t *old_lens;
    uint8_t *old_deleted; /* bitmap; NULL when nothing is deleted */
    size_t nold;          /* committed_max + 1 when loaded, else 0 */
    /* Stems taking over their word's postings this batch (plan_aliases). */
    struct adopted *adopted;
    size_t nadopted;
    /* zstd dictionaries (LEDE_ZDICT_*): the bytes, as stored in meta, and
     * compiled; zdecided[k] once the run knows whether it has dictionary k
     * (loaded, trained from its first documents, or none); zstored[k] once
     * committed. */
    uint8_t *zdict[2];
    size_t zdict_len[2];
    ZSTD_CDict *cdict[2];
    ZSTD_DDict *ddict[2];
    int zdecided[2], zstored[2];
    /* The analysis threads and their job: ops [nanalyzed, ndispatched). */
    size_t ndispatched, queued_bytes;
    int pool_ready, nthreads_started, pstop;
    /* The job's kind: analysing documents, or encoding windows of new
     * terms at commit (ewins [0, pn) dispatched). */
    int pencode;
    struct ejob *ej;
    pthread_t pthreads[64];
    struct pool_arg pargs[64];
    pthread_mutex_t plock;
    pthread_cond_t pwork, pdone;
    struct wdoc **pdocs;
    size_t pn, pnext, pfinished, pcap;
};

static void set_msg(lede_index *ix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ix->errmsg, sizeof ix->errmsg, fmt, ap);
    va_end(ap);
}

const char *lede_index_errmsg(const lede_index *ix)
{
    return ix ? ix->errmsg : "no index";
}

/*
 * What a buffered document costs beyond the bytes counted for it: its
 * allocations' rounding, the ids the write looks up, the share of the
 * pages it dirties that write_ratio averages away.  Measured on a million
 * short documents at the default budget, whose batches grew to twice as
 * many documents once postings went into slices: peak RSS 338-358 MB
 * without it (the limit, 256 MiB + 64 MiB, is 335.5 MB), 328 MB with 512
 * bytes, 307 MB with 1024.  Articles of a few KB hardly notice it.
 */
#define OP_OVERHEAD 1024u

/*
 * What the batch holds in memory.  The large arrays count by their length,
 * not their capacity: they double by realloc, which for blocks this size
 * moves pages (mremap) and leaves the new half untouched, hence not
 * resident, until it is filled.  Documents not yet merged count three times
 * their raw bytes: once merged, a byte of text is worth about one more of
 * postings and positions, and one of terms (Reuters-21578: 17.1 MB of
 * text, 18.4 MB of postings, 12 MB of term tables).  And each operation
 * counts OP_OVERHEAD more.
 */
size_t lede_index_buffered(const lede_index *ix)
{
    size_t n = 3 * ix->pending_bytes + ix->doc_bytes + ix->capops * sizeof(wdoc *) +
               ix->nidslots * 4 + ix->batch_cap * 4 + ix->touches.cap + ix->nops * OP_OVERHEAD;
    for (int f = 0; f < 3; f++) {
        const fieldbuf *b = &ix->fb[f];
        n += bigbuf_resident(&b->tmem) + bigbuf_resident(&b->smem) + bigbuf_resident(&b->strs) +
             bigbuf_resident(&b->arena);
    }
    return n;
}

static void wdoc_free(wdoc *d)
{
    if (!d)
        return;
    free(d->mem);
    free(d->body_mem);
    lede_buf_free(&d->terms);
    lede_buf_free(&d->ents);
    lede_buf_free(&d->ztext);
    free(d);
}

static void fieldbuf_reset(fieldbuf *b)
{
    bigbuf_free(&b->tmem);
    bigbuf_free(&b->smem);
    bigbuf_free(&b->strs);
    bigbuf_free(&b->arena);
    memset(b, 0, sizeof *b);
}

static void pool_wait(lede_index *ix);

static void batch_reset(lede_index *ix)
{
    pool_wait(ix); /* no thread may still hold a document */
    ix->ndispatched = ix->queued_bytes = 0;
    for (size_t i = 0; i < ix->nops; i++)
        wdoc_free(ix->ops[i]);
    free(ix->ops);
    ix->ops = NULL;
    ix->nops = ix->capops = ix->nanalyzed = 0;
    ix->pending_bytes = ix->doc_bytes = 0;
    for (int f = 0; f < 3; f++)
        fieldbuf_reset(&ix->fb[f]);
    free(ix->batch_lens);
    ix->batch_lens = NULL;
    ix->batch_cap = 0;
    free(ix->idslots);
    ix->idslots = NULL;
    ix->nidslots = ix->nids = 0;
    ix->next_docid = ix->committed_max;
    lede_buf_free(&ix->touches);
    lede_buf_free(&ix->scratch);
    free(ix->old_lens);
    free(ix->old_deleted);
    ix->old_lens = NULL;
    ix->old_deleted = NULL;
    ix->nold = 0;
}

/* The slot of id in the batch's id table (empty when absent). */
static size_t id_slot(const lede_index *ix, const char *id, size_t len)
{
    size_t j = XXH3_64bits(id, len) & (ix->nidslots - 1);
    while (ix->idslots[j]) {
        const wdoc *d = ix->ops[ix->idslots[j] - 1];
        if (d->id_len == len && memcmp(d->id, id, len) == 0)
            break;
        j = (j + 1) & (ix->nidslots - 1);
    }
    return j;
}

static int id_remember(lede_index *ix, size_t opi)
{
    if ((ix->nids + 1) * 2 > ix->nidslots) {
        size_t ns = ix->nidslots ? ix->nidslots * 2 : 256;
        uint32_t *old = ix->idslots;
        size_t oldn = ix->nidslots;
        ix->idslots = calloc(ns, sizeof *ix->idslots);
        if (!ix->idslots) {
            ix->idslots = old;
            return LEDE_ENOMEM;
        }
        ix->nidslots = ns;
        for (size_t i = 0; i < oldn; i++) {
            if (old[i]) {
                const wdoc *d = ix->ops[old[i] - 1];
                ix->idslots[id_slot(ix, d->id, d->id_len)] = old[i];
            }
        }
        free(old);
    }
    const wdoc *d = ix->ops[opi];
    size_t j = id_slot(ix, d->id, d->id_len);
    if (!ix->idslots[j])
        ix->nids++;
    ix->idslots[j] = (uint32_t)opi + 1;
    return LEDE_OK;
}

static int push_op(lede_index *ix, wdoc *d)
{
    if (ix->trim_pending) {
        malloc_trim(0);
        ix->trim_pending = 0;
    }
    if (ix->nops == ix->capops) {
        size_t nc = ix->capops ? ix->capops * 2 : 1024;
        wdoc **no = realloc(ix->ops, nc * sizeof *no);
        if (!no)
            return LEDE_ENOMEM;
        ix->ops = no;
        ix->capops = nc;
    }
    ix->ops[ix->nops++] = d;
    if (id_remember(ix, ix->nops - 1) != LEDE_OK) {
        ix->nops--;
        return LEDE_ENOMEM;
    }
    return LEDE_OK;
}

/* ------------------------------------------------------------------ */
/* Analysis on threads, merge in document order                        */
/* ------------------------------------------------------------------ */

/* Compress src into out: one frame with the content size, through the index's
 * dictionary k (LEDE_ZDICT_*) when there is one (its id in the frame header). */
static int zcompress(worker *w, int k, lede_buf *out, const void *src, size_t n)
{
    const ZSTD_CDict *cdict = w->cdict[k];
    size_t bound = ZSTD_compressBound(n);
    lede_buf_reset(out);
    if (lede_buf_reserve(out, bound) != LEDE_OK)
        return LEDE_ENOMEM;
    size_t z = cdict ? ZSTD_compress_usingCDict(w->cctx, out->data, bound, src, n, cdict)
                     : ZSTD_compressCCtx(w->cctx, out->data, bound, src, n, zstd_level[k]);
    if (ZSTD_isError(z))
        return LEDE_ERROR;
    out->len = z;
    uint8_t *shrunk = realloc(out->data, z ? z : 1);
    if (shrunk) {
        out->data = shrunk;
        out->cap = z ? z : 1;
    }
    return LEDE_OK;
}

/* The uncompressed rest of a document record: str title, str meta, then the
 * entity list to the end (docs/FORMAT.md). */
static void cold_part(lede_buf *out, const wdoc *d, const lede_buf *ents)
{
    lede_buf_reset(out);
    lede_buf_put_str(out, d->title ? d->title : "", d->title_bytes);
    lede_buf_put_str(out, d->meta ? d->meta : "", d->meta_len);
    if (ents)
        lede_buf_append(out, ents->data, ents->len);
}

/* Past this many bytes, a worker's scratch array is freed after the
 * document that grew it rather than kept for the next. */
#define WORKER_KEEP ((size_t)8 << 20)

/*
 * A document of 100 MB grows the worker's arrays (occurrences, positions,
 * terms) to hundreds of MB, which it kept for the rest of the run, beside
 * the batch that document then fills: let them go once it is analysed.
 */
static void worker_trim(worker *w)
{
    if (w->occcap * sizeof *w->occ > WORKER_KEEP) {
        free(w->occ);
        w->occ = NULL;
        w->occcap = w->nocc = 0;
    }
    if (w->cap * sizeof *w->t > WORKER_KEEP || w->strs.cap > WORKER_KEEP) {
        free(w->t);
        free(w->slots);
        lede_buf_free(&w->strs);
        w->t = NULL;
        w->slots = NULL;
        w->n = w->cap = w->nslots = 0;
    }
    if (w->ents.cap * sizeof *w->ents.items > WORKER_KEEP)
        lede_entity_list_clear(&w->ents);
}

static void analyze_one(worker *w, wdoc *d)
{
    d->rc = analyze_doc(w, d->title, d->title_bytes, d->body, d->body_len, &d->terms, &d->ents,
                        &d->len, &d->title_len);
    worker_trim(w);
    if (d->rc != LEDE_OK)
        return;
    cold_part(&w->cold, d, &d->ents);
    if (w->cold.rc != LEDE_OK) {
        d->rc = LEDE_ENOMEM;
        return;
    }
    if (!w->zdecided[LEDE_ZDICT_DOCS]) {
        /* Kept whole: a sample for the dictionary, compressed once it exists. */
        lede_buf_reset(&d->ents);
        lede_buf_append(&d->ents, w->cold.data, w->cold.len);
        d->cold_raw = 1;
        if (d->ents.rc != LEDE_OK) {
            d->rc = LEDE_ENOMEM;
            return;
        }
    } else if ((d->rc = zcompress(w, LEDE_ZDICT_DOCS, &d->ents, w->cold.data, w->cold.len)) !=
               LEDE_OK) {
        return;
    }
    d->rc = zcompress(w, LEDE_ZDICT_TEXT, &d->ztext, d->body, d->body_len);
}

int lede_zdict_level(int k)
{
    return zstd_level[k];
}

int lede_zdict_train(int k, const lede_buf *samples, const size_t *sizes, size_t n,
                     uint8_t **dict, size_t *len)
{
    *dict = NULL;
    *len = 0;
    if (n < ZDICT_MIN_DOCS || samples->len < ZDICT_MIN_BYTES)
        return LEDE_OK;
    size_t cap = LEDE_MIN(zdict_max[k], samples->len / 4);
    uint8_t *d = malloc(cap);
    if (!d)
        return LEDE_ENOMEM;
    ZDICT_fastCover_params_t p;
    memset(&p, 0, sizeof p);
    p.k = 200;
    p.d = 8;
    p.f = 16;
    /* Trained while no analysis runs: at 1 (the most thorough), the two
     * dictionaries took 102M instructions of the first 5,000 Reuters
     * documents' 2,181M; at 4, 47M, and the stored text and records of
     * Reuters, Wikinews and Gutenberg stay the same to 0.1 MB. */
    p.accel = 4;
    p.splitPoint = 1.0;
    p.zParams.compressionLevel = zstd_level[k];
    p.zParams.dictID = LEDE_ZDICT_ID(k);
    size_t got = ZDICT_trainFromBuffer_fastCover(d, cap, samples->data, sizes, (unsigned)n, p);
    if (ZDICT_isError(got)) {
        free(d); /* samples too alike or too few: do without */
        return LEDE_OK;
    }
    *dict = d;
    *len = got;
    return LEDE_OK;
}

/* Train dictionary k from the samples (sizes[n] of them); none when there
 * are too few or ZDICT finds nothing to learn. */
static int train_one(lede_index *ix, int k, const lede_buf *samples, const size_t *sizes, size_t n)
{
    ix->zdecided[k] = 1;
    uint8_t *dict;
    size_t len;
    int rc = lede_zdict_train(k, samples, sizes, n, &dict, &len);
    if (rc != LEDE_OK || !dict)
        return rc;
    ix->cdict[k] = ZSTD_createCDict(dict, len, zstd_level[k]);
    ix->ddict[k] = ZSTD_createDDict(dict, len);
    ix->zdict[k] = dict;
    ix->zdict_len[k] = len;
    return ix->cdict[k] && ix->ddict[k] ? LEDE_OK : LEDE_ENOMEM;
}

/*
 * The text dictionary, from ops [from, to) (the first job of documents a run
 * analyses, before any body is compressed) when the index has none: from
 * the start of each body.  Too few documents: no dictionary, and their
 * frames carry dictID 0.  Dictionaries depend only on the documents, never
 * on -j.
 */
static int train_text_dict(lede_index *ix, size_t from, size_t to)
{
    lede_buf samples = LEDE_BUF_INIT;
    size_t *sizes = malloc((to - from + 1) * sizeof *sizes), n = 0;
    int rc = LEDE_ENOMEM;
    if (sizes) {
        for (size_t i = from; i < to; i++) {
            const wdoc *d = ix->ops[i];
            if (d->is_delete || d->body_len == 0)
                continue;
            sizes[n] = LEDE_MIN(d->body_len, (size_t)LEDE_ZDICT_SAMPLE);
            lede_buf_append(&samples, d->body, sizes[n++]);
        }
        rc = samples.rc == LEDE_OK ? train_one(ix, LEDE_ZDICT_TEXT, &samples, sizes, n) : LEDE_ENOMEM;
    }
    ix->zdecided[LEDE_ZDICT_TEXT] = 1;
    free(sizes);
    lede_buf_free(&samples);
    return rc;
}

/*
 * The records' dictionary needs their entity lists, which only analysis
 * gives: the documents analysed while there is none yet keep their
 * record's rest uncompressed.  Here (main thread, no job in flight), when
 * the run has not decided, train it from those of ops [from, to) (the
 * first job, once analysed), then compress every rest still uncompressed
 * in [from, to).
 */
static int settle_records(lede_index *ix, size_t from, size_t to)
{
    int rc = LEDE_OK;
    if (!ix->zdecided[LEDE_ZDICT_DOCS]) {
        lede_buf samples = LEDE_BUF_INIT;
        size_t *sizes = malloc((to - from + 1) * sizeof *sizes), n = 0;
        if (!sizes)
            return LEDE_ENOMEM;
        for (size_t i = from; i < to; i++) {
            const wdoc *d = ix->ops[i];
            if (d->is_delete || !d->cold_raw || d->rc != LEDE_OK)
                continue;
            sizes[n++] = d->ents.len;
            lede_buf_append(&samples, d->ents.data, d->ents.len);
        }
        rc = samples.rc == LEDE_OK ? train_one(ix, LEDE_ZDICT_DOCS, &samples, sizes, n) : LEDE_ENOMEM;
        free(sizes);
        lede_buf_free(&samples);
    }
    worker *mw = &ix->workers[ix->nthreads];
    for (size_t i = from; i < to && rc == LEDE_OK; i++) {
        wdoc *d = ix->ops[i];
        if (d->is_delete || !d->cold_raw || d->rc != LEDE_OK)
            continue;
        lede_buf_reset(&mw->cold);
        lede_buf_append(&mw->cold, d->ents.data, d->ents.len);
        if (mw->cold.rc != LEDE_OK)
            return LEDE_ENOMEM;
        rc = zcompress(mw, LEDE_ZDICT_DOCS, &d->ents, mw->cold.data, mw->cold.len);
        d->cold_raw = 0;
    }
    return rc;
}

/* Load the index's dictionaries, if it has them. */
static int load_dicts(lede_index *ix, lede_txn *t)
{
    for (int k = 0; k < 2; k++) {
        const char *key = lede_zdict_key(k);
        lede_val v;
        int rc = lede_store_get(t, LEDE_DB_META, key, strlen(key), &v);
        if (rc == LEDE_ENOTFOUND)
            continue;
        if (rc != LEDE_OK)
            return rc;
        ix->zdecided[k] = ix->zstored[k] = 1; /* fixed once written */
        if (!(ix->zdict[k] = malloc(v.len ? v.len : 1)))
            return LEDE_ENOMEM;
        memcpy(ix->zdict[k], v.data, v.len);
        ix->zdict_len[k] = v.len;
        ix->cdict[k] = ZSTD_createCDict(ix->zdict[k], v.len, zstd_level[k]);
        ix->ddict[k] = ZSTD_createDDict(ix->zdict[k], v.len);
        if (!ix->cdict[k] || !ix->ddict[k] || ZSTD_getDictID_fromDDict(ix->ddict[k]) != LEDE_ZDICT_ID(k))
            return LEDE_ECORRUPT;
    }
    return LEDE_OK;
}

static void encode_window(lede_index *ix, worker *w, size_t i);
static void window_done(lede_index *ix, size_t i);

/*
 * The analysis threads.  The main thread hands them a run of buffered
 * documents (a job) and, while they analyse it, merges the previous run into
 * the batch in document order: the index does not depend on which thread
 * analysed what.
 */
static void *pool_main(void *arg)
{
    pool_arg *a = arg;
    lede_index *ix = a->ix;
    pthread_mutex_lock(&ix->plock);
    for (;;) {
        while (!ix->pstop && ix->pnext >= ix->pn)
            pthread_cond_wait(&ix->pwork, &ix->plock);
        if (ix->pstop)
            break;
        size_t i = ix->pnext++;
        if (ix->pencode) {
            pthread_mutex_unlock(&ix->plock);
            encode_window(ix, a->w, i);
            pthread_mutex_lock(&ix->plock);
            /* The main thread writes the windows in order: wake it at each. */
            window_done(ix, i);
            ix->pfinished++;
            pthread_cond_broadcast(&ix->pdone);
            continue;
        }
        wdoc *d = ix->pdocs[i];
        pthread_mutex_unlock(&ix->plock);
        if (!d->is_delete)
            analyze_one(a->w, d);
        pthread_mutex_lock(&ix->plock);
        if (++ix->pfinished == ix->pn)
            pthread_cond_broadcast(&ix->pdone);
    }
    pthread_mutex_unlock(&ix->plock);
    return NULL;
}

/* Wait until the job in flight (if any) is analysed. */
static void pool_wait(lede_index *ix)
{
    if (!ix->nthreads_started)
        return;
    pthread_mutex_lock(&ix->plock);
    while (ix->pfinished < ix->pn)
        pthread_cond_wait(&ix->pdone, &ix->plock);
    pthread_mutex_unlock(&ix->plock);
}

static int pool_start(lede_index *ix)
{
    pthread_mutex_init(&ix->plock, NULL);
    pthread_cond_init(&ix->pwork, NULL);
    pthread_cond_init(&ix->pdone, NULL);
    ix->pool_ready = 1;
    for (int i = 0; i < ix->nthreads; i++) {
        ix->pargs[i].ix = ix;
        ix->pargs[i].w = &ix->workers[i];
        if (pthread_create(&ix->pthreads[i], NULL, pool_main, &ix->pargs[i]) != 0)
            break;
        ix->nthreads_started++;
    }
    return ix->nthreads_started > 0 ? LEDE_OK : LEDE_ERROR;
}

static void pool_stop(lede_index *ix)
{
    if (!ix->pool_ready)
        return;
    pool_wait(ix);
    pthread_mutex_lock(&ix->plock);
    ix->pstop = 1;
    pthread_cond_broadcast(&ix->pwork);
    pthread_mutex_unlock(&ix->plock);
    for (int i = 0; i < ix->nthreads_started; i++)
        pthread_join(ix->pthreads[i], NULL);
    free(ix->pdocs);
    pthread_mutex_destroy(&ix->plock);
    pthread_cond_destroy(&ix->pwork);
    pthread_cond_destroy(&ix->pdone);
    ix->pool_ready = 0;
    ix->nthreads_started = 0;
}

/* Hand ops [from, to) to the threads. */
static int pool_dispatch(lede_index *ix, size_t from, size_t to)
{
    size_t n = to - from;
    if (n > ix->pcap) {
        wdoc **nd = realloc(ix->pdocs, n * sizeof *nd);
        if (!nd)
            return LEDE_ENOMEM;
        ix->pdocs = nd;
        ix->pcap = n;
    }
    pthread_mutex_lock(&ix->plock);
    /* The job keeps its own list: ops may move when the main thread adds. */
    memcpy(ix->pdocs, ix->ops + from, n * sizeof *ix->pdocs);
    ix->pn = n;
    ix->pnext = 0;
    ix->pfinished = 0;
    pthread_cond_broadcast(&ix->pwork);
    pthread_mutex_unlock(&ix->plock);
    return LEDE_OK;
}

static int fieldbuf_grow(fieldbuf *b)
{
    size_t ns = b->nslots ? b->nslots * 2 : 4096;
    bigbuf nm;
    if (bigbuf_zeroed(&nm, ns * sizeof(uint64_t)) != LEDE_OK)
        return LEDE_ENOMEM;
    uint64_t *sl = (uint64_t *)(void *)nm.data;
    for (size_t i = 0; i < b->nslots; i++) {
        uint64_t v = b->slots[i];
        if (!v)
            continue;
        /* The slot keeps the hash's high half; its low half is rebuilt from the string. */
        const gterm *e = &b->t[(v & 0xffffffffu) - 1];
        size_t j = XXH3_64bits(b->strs.data + e->off, e->len) & (ns - 1);
        while (sl[j])
            j = (j + 1) & (ns - 1);
        sl[j] = v;
    }
    bigbuf_free(&b->smem);
    b->smem = nm;
    b->slots = sl;
    b->nslots = ns;
    return LEDE_OK;
}

/* Index of term s in the batch, added when new; -1 on ENOMEM. */
static long fieldbuf_term(fieldbuf *b, const uint8_t *s, size_t len, uint64_t h)
{
    if ((b->n + 1) * 2 > b->nslots && fieldbuf_grow(b) != LEDE_OK)
        return -1;
    uint64_t hi = h & 0xffffffff00000000u;
    size_t j = h & (b->nslots - 1);
    while (b->slots[j]) {
        uint64_t v = b->slots[j];
        if ((v & 0xffffffff00000000u) == hi) {
            gterm *e = &b->t[(v & 0xffffffffu) - 1];
            if (e->len == len && memcmp(b->strs.data + e->off, s, len) == 0)
                return (long)(v & 0xffffffffu) - 1;
        }
        j = (j + 1) & (b->nslots - 1);
    }
    if (!bigbuf_grow(&b->tmem, sizeof(gterm)))
        return -1;
    b->t = (gterm *)(void *)b->tmem.data;
    gterm *e = &b->t[b->n];
    memset(e, 0, sizeof *e);
    e->off = b->strs.len;
    e->len = (uint32_t)len;
    bigbuf_append(&b->strs, s, len);
    if (b->strs.rc != LEDE_OK)
        return -1;
    b->slots[j] = hi | (uint64_t)(b->n + 1);
    return (long)b->n++;
}

/*
 * A term's postings of the batch: a stream of bytes in its field's arena,
 * written as documents are merged and read once, in the term's turn, when
 * the batch is written.  Per posting: a varint doc id gap (the first from
 * the last doc id committed), a varint tf << 1 | (title tf > 0), the title
 * tf when not 0, then (words and names) its tf positions as varint gaps
 * (mod 2^32; the first from 0).  The stream lies in slices of 16 bytes,
 * then twice as large up to 4 KB, each ending in a link to the next (its
 * offset / 16, 4 bytes), as in Lucene's in-memory postings: a term seen
 * once costs 16 bytes.  A posting and its positions took 16 bytes and 4
 * per position in arrays, then 8 more a posting to group them by term at
 * the flush: three quarters of the batch's memory on Reuters-21578.
 */
#define SLICE_FIRST 16u
#define SLICE_LEVELS 9u /* 16 B .. 4 KB */
#define SLICE_LINK 4u

static inline uint32_t slice_size(unsigned level)
{
    return SLICE_FIRST << (level - 1);
}

static inline unsigned slice_level_next(unsigned level)
{
    return level < SLICE_LEVELS ? level + 1 : SLICE_LEVELS;
}

/* Give e a new slice, linked from its current one (if any). */
static int slice_next(fieldbuf *b, gterm *e)
{
    unsigned level = slice_level_next(e->level);
    uint32_t size = slice_size(level);
    uint64_t off = b->arena.len;
    if (off / SLICE_FIRST >= UINT32_MAX || !bigbuf_grow(&b->arena, size))
        return LEDE_ENOMEM;
    if (e->level) {
        uint32_t link = (uint32_t)(off / SLICE_FIRST);
        memcpy(b->arena.data + e->wpos, &link, SLICE_LINK);
    } else {
        e->head = (uint32_t)(off / SLICE_FIRST);
    }
    e->wpos = off;
    e->wleft = size - SLICE_LINK;
    e->level = (uint8_t)level;
    return LEDE_OK;
}

/* Append n bytes to e's postings. */
static int slice_write(fieldbuf *b, gterm *e, const uint8_t *src, size_t n)
{
    while (n > e->wleft) {
        if (e->wleft) {
            memcpy(b->arena.data + e->wpos, src, e->wleft);
            src += e->wleft;
            n -= e->wleft;
            e->wpos += e->wleft;
            e->wleft = 0;
        }
        if (slice_next(b, e) != LEDE_OK)
            return LEDE_ENOMEM;
    }
    memcpy(b->arena.data + e->wpos, src, n);
    e->wpos += n;
    e->wleft -= (uint32_t)n;
    return LEDE_OK;
}

/* A posting's header (doc id gap, tf and title tf) at q; returns its end. */
static inline uint8_t *posting_head(uint8_t *q, uint32_t gap, uint32_t tf, uint32_t ttf)
{
    q += lede_varint_put(q, gap);
    q += lede_varint_put(q, (uint64_t)tf << 1 | (ttf != 0));
    if (ttf)
        q += lede_varint_put(q, ttf);
    return q;
}

/* The most bytes a posting of SHORT_TF positions or fewer takes. */
#define SHORT_TF 8u
#define SHORT_MAX (3 * 5 + SHORT_TF * 5)

/* Append doc's posting of e: tf, title tf and (pos not NULL) positions. */
static inline int slice_posting(fieldbuf *b, gterm *e, uint32_t base, uint32_t doc, uint32_t tf,
                                uint32_t ttf, const uint32_t *pos)
{
    if (tf <= SHORT_TF && e->wleft >= SHORT_MAX) {
        /* Mostly: short, and room in the slice to write it in place. */
        uint8_t *start = b->arena.data + e->wpos;
        uint8_t *q = posting_head(start, doc - base, tf, ttf);
        if (pos)
            for (uint32_t k = 0, prev = 0; k < tf; prev = pos[k++])
                q += lede_varint_put(q, pos[k] - prev);
        e->wpos += (size_t)(q - start);
        e->wleft -= (uint32_t)(q - start);
        return LEDE_OK;
    }
    /* Else through tmp, a few positions at a time. */
    uint8_t tmp[64];
    size_t n = (size_t)(posting_head(tmp, doc - base, tf, ttf) - tmp);
    for (uint32_t k = 0, prev = 0; pos && k < tf; prev = pos[k++]) {
        if (n > sizeof tmp - 5) {
            if (slice_write(b, e, tmp, n) != LEDE_OK)
                return LEDE_ENOMEM;
            n = 0;
        }
        n += lede_varint_put(tmp + n, pos[k] - prev);
    }
    return slice_write(b, e, tmp, n);
}

/* Reads a term's postings back (slice_posting's bytes). */
typedef struct slice_reader {
    const uint8_t *arena, *p;
    uint32_t left;
    unsigned level;
} slice_reader;

static void slice_open(slice_reader *r, const fieldbuf *b, const gterm *e)
{
    r->arena = b->arena.data;
    r->p = e->level ? r->arena + (uint64_t)e->head * SLICE_FIRST : NULL;
    r->level = 1;
    r->left = slice_size(1) - SLICE_LINK;
}

static inline uint8_t slice_byte(slice_reader *r)
{
    if (!r->left) {
        uint32_t link;
        memcpy(&link, r->p, SLICE_LINK);
        r->level = slice_level_next(r->level);
        r->p = r->arena + (uint64_t)link * SLICE_FIRST;
        r->left = slice_size(r->level) - SLICE_LINK;
    }
    r->left--;
    return *r->p++;
}

static inline uint64_t slice_varint(slice_reader *r)
{
    uint64_t v = 0;
    if (r->left && *r->p < 0x80) {
        /* Most: one byte (tfs, position gaps, a frequent term's doc gaps). */
        r->left--;
        return *r->p++;
    }
    /* Whole in this slice: varint.c's decoder; else byte by byte across. */
    const uint8_t *p = r->p;
    if (r->left && lede_varint_get(&p, r->p + r->left, &v) == LEDE_OK) {
        r->left -= (uint32_t)(p - r->p);
        r->p = p;
        return v;
    }
    v = 0;
    for (unsigned shift = 0;; shift += 7) {
        uint8_t c = slice_byte(r);
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80) || shift >= 63)
            return v;
    }
}

/* Append document d's term vector to the batch's postings.  The lookups in
 * the batch's term tables miss the cache: the slots of a field's terms are
 * prefetched first, so that the misses overlap. */
static int merge_doc(lede_index *ix, wdoc *d)
{
    const vhdr *hd;
    const vrec *recs;
    const uint32_t *vpos;
    const uint8_t *strs;
    if (vector_parts(&d->terms, &hd, &recs, &vpos, &strs) != 0)
        return LEDE_ECORRUPT;
    for (int f = 0; f < 3; f++) {
        fieldbuf *b = &ix->fb[f];
        size_t n = hd->n[f];
        const vrec *vr = recs;
        recs += n;
        /* Room for the new terms now, so the slots prefetched stay valid. */
        while ((b->n + n + 1) * 2 > b->nslots)
            if (fieldbuf_grow(b) != LEDE_OK)
                return LEDE_ENOMEM;
        for (size_t i = 0; i < n; i++) {
            const vrec *v = &vr[i];
            if ((uint64_t)v->off + v->len > hd->nstrs ||
                (lede_space_positions(f) && (uint64_t)v->pos + v->tf > hd->npos))
                return LEDE_ECORRUPT;
            __builtin_prefetch(&b->slots[v->h & (b->nslots - 1)]);
        }
        for (size_t i = 0; i < n; i++) {
            const vrec *v = &vr[i];
            if (i + 4 < n) {
                /* The slot of a later term is in cache by now: fetch its term. */
                uint64_t sv = b->slots[vr[i + 4].h & (b->nslots - 1)];
                if (sv)
                    __builtin_prefetch(&b->t[(sv & 0xffffffffu) - 1]);
            }
            long ti = fieldbuf_term(b, strs + v->off, v->len, v->h);
            if (ti < 0)
                return LEDE_ENOMEM;
            gterm *e = &b->t[ti];
            if (slice_posting(b, e, e->df ? e->last : ix->committed_max, d->docid, v->tf, v->ttf,
                              lede_space_positions(f) ? vpos + v->pos : NULL) != LEDE_OK)
                return LEDE_ENOMEM;
            e->last = d->docid;
            e->df++;
            e->cf += v->tf;
            e->mixed |= v->mixed != 0;
            e->max_tf = LEDE_MAX(e->max_tf, v->tf);
            e->max_ttf = LEDE_MAX(e->max_ttf, v->ttf);
        }
    }
    return LEDE_OK;
}

/* Merge analysed ops [from, to) into the batch, in order. */
static int merge_range(lede_index *ix, size_t from, size_t to)
{
    int rc = LEDE_OK;
    for (size_t i = from; i < to; i++) {
        wdoc *d = ix->ops[i];
        ix->pending_bytes -= d->title_bytes + d->body_len;
        if (d->is_delete)
            continue;
        if (d->rc != LEDE_OK) {
            set_msg(ix, "cannot analyse document %s: %s", d->id, lede_strerror(d->rc));
            rc = d->rc;
            break;
        }
        d->docid = ++ix->next_docid;
        size_t k = d->docid - ix->committed_max - 1;
        if (k >= ix->batch_cap) {
            size_t nc = ix->batch_cap ? ix->batch_cap * 2 : 1024;
            uint32_t *nl = realloc(ix->batch_lens, nc * sizeof *nl);
            if (!nl) {
                rc = LEDE_ENOMEM;
                break;
            }
            ix->batch_lens = nl;
            ix->batch_cap = nc;
        }
        ix->batch_lens[k] = d->len;
        if ((rc = merge_doc(ix, d)) != LEDE_OK) {
            set_msg(ix, "cannot buffer document %s: %s", d->id, lede_strerror(rc));
            break;
        }
        /* The body is stored compressed; the raw copy and the vector can go. */
        lede_buf_free(&d->terms);
        free(d->body_mem);
        d->body_mem = NULL;
        d->body = NULL;
        ix->doc_bytes += d->ztext.cap + d->ents.cap + d->id_len + d->title_bytes + d->date_len +
                         d->path_len + d->meta_len + sizeof *d;
        d->body_len = 0;
    }
    ix->nanalyzed = to;
    return rc;
}

/*
 * Start analysing the ops added since the last call and merge the run
 * analysed before, overlapping the two.  With one thread, analyse in place,
 * then merge the run before, like the threads do.
 */
static int pipeline_step(lede_index *ix)
{
    size_t from = ix->ndispatched, to = ix->nops;
    ix->queued_bytes = 0;
    size_t mfrom = ix->nanalyzed, mto = ix->ndispatched;
    /* zstd dictionaries (record encoding, dsize): the text one before any
     * body is compressed, the records' one once the first job is analysed. */
    if (!ix->zdecided[LEDE_ZDICT_TEXT] && from < to) {
        int rc = train_text_dict(ix, from, to);
        if (rc != LEDE_OK)
            return rc;
    }
    if (!ix->zdecided[LEDE_ZDICT_DOCS] && mfrom < mto) {
        pool_wait(ix);
        int rc = settle_records(ix, mfrom, mto);
        if (rc != LEDE_OK)
            return rc;
    }
    if (!ix->nthreads_started) {
        /* Same lag as with threads, so batches end at the same documents
         * and the index is byte for byte the same whatever the thread count. */
        for (size_t i = from; i < to; i++)
            if (!ix->ops[i]->is_delete)
                analyze_one(&ix->workers[0], ix->ops[i]);
        ix->ndispatched = to;
        return merge_range(ix, mfrom, mto);
    }
    pool_wait(ix);
    if (from < to) {
        if (pool_dispatch(ix, from, to) != LEDE_OK)
            return LEDE_ENOMEM;
        ix->ndispatched = to;
    }
    return merge_range(ix, mfrom, mto);
}

/* Analyse and merge every op buffered. */
static int analyze_pending(lede_index *ix)
{
    int rc = pipeline_step(ix);
    pool_wait(ix);
    if (rc == LEDE_OK && ix->nanalyzed < ix->ndispatched)
        rc = merge_range(ix, ix->nanalyzed, ix->ndispatched);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Writing a batch                                                      */
/* ------------------------------------------------------------------ */

void lede_stats_encode(lede_buf *out, const lede_stats_rec *st)
{
    lede_buf_put_varint(out, st->ndocs);
    lede_buf_put_varint(out, st->total_len);
    lede_buf_put_varint(out, st->max_docid);
    for (int f = 0; f < 3; f++)
        lede_buf_put_varint(out, st->nterms[f]);
    for (int f = 0; f < 3; f++)
        lede_buf_put_varint(out, st->npostings[f]);
    lede_buf_put_varint(out, st->ndeleted);
}

void lede_terminfo_encode(lede_buf *out, const lede_terminfo_rec *ti)
{
    uint64_t alias = ti->stem_alias ? 2 : 0;
    if (ti->first_run == 0 && ti->inl.n > 0) {
        /* Inline: the head says how many postings; their block's header
         * without the lengths (the codes and the value's end give them);
         * df and cf only when the list does not say them. */
        const lede_block_meta *m = &ti->inl;
        int exact = ti->df == m->n;
        lede_buf_put_varint(out, (uint64_t)m->n << 3 | (exact ? 4u : 0u) | alias | 1);
        lede_buf_put_varint(out, m->last_docid);
        lede_buf_put_varint(out, m->max_tf);
        lede_buf_put_varint(out, m->max_title_tf);
        lede_buf_put_varint(out, m->min_len);
        if (!exact)
            lede_buf_put_varint(out, ti->df);
        if (!exact || m->max_tf > 1)
            lede_buf_put_varint(out, ti->cf);
        if (ti->inl_post_len)
            lede_buf_append(out, ti->inl_post, ti->inl_post_len);
        if (ti->inl_pos_len)
            lede_buf_append(out, ti->inl_pos, ti->inl_pos_len);
        return;
    }
    lede_buf_put_varint(out, (uint64_t)ti->first_run << 2 | alias);
    lede_buf_put_varint(out, ti->df);
    lede_buf_put_varint(out, ti->cf);
    if (ti->first_run > 0) {
        lede_buf_put_varint(out, ti->max_tf);
        lede_buf_put_varint(out, ti->max_title_tf);
        lede_buf_put_varint(out, ti->min_len);
    }
}

static int load_stats(lede_txn *t, lede_stats_rec *st)
{
    lede_val v;
    memset(st, 0, sizeof *st);
    int rc = lede_store_get(t, LEDE_DB_META, "stats", 5, &v);
    if (rc == LEDE_ENOTFOUND)
        return LEDE_OK;
    if (rc != LEDE_OK)
        return rc;
    return lede_stats_decode(st, v.data, v.len);
}

static int put_buf(lede_txn *t, lede_db db, const void *k, size_t kl, const lede_buf *b)
{
    if (b->rc != LEDE_OK)
        return b->rc;
    return lede_store_put(t, db, k, kl, b->data ? (const void *)b->data : "", b->len);
}

/* Put, appending when the caller knows key sorts after every key of db. */
static int put_buf_at(lede_txn *t, lede_db db, const void *k, size_t kl, const lede_buf *b,
                      int append)
{
    if (b->rc != LEDE_OK)
        return b->rc;
    const void *v = b->data ? (const void *)b->data : "";
    return append ? lede_store_append(t, db, k, kl, v, b->len) : lede_store_put(t, db, k, kl, v, b->len);
}

/* Page pg of the document lengths (key[4] set to its key) into page: zeros
 * when it is absent (or damaged: --check reports that). */
static int doclen_page(lede_txn *t, uint32_t pg, uint8_t key[4], uint32_t page[LEDE_DOCLEN_PAGE])
{
    lede_val v;
    lede_set_u32be(key, pg);
    int rc = lede_store_get(t, LEDE_DB_DOCLENS, key, 4, &v);
    if (rc == LEDE_OK && v.len == LEDE_DOCLEN_PAGE * 4)
        memcpy(page, v.data, LEDE_DOCLEN_PAGE * 4);
    else if (rc == LEDE_OK || rc == LEDE_ENOTFOUND)
        memset(page, 0, LEDE_DOCLEN_PAGE * 4);
    else
        return rc;
    return LEDE_OK;
}

/* Set doc lengths for docids [first, first + n). */
static int set_doclens(lede_txn *t, uint32_t first, uint32_t n, const uint32_t *lens)
{
    uint32_t page[LEDE_DOCLEN_PAGE];
    uint32_t d = first, end = first + n;
    while (d < end) {
        uint32_t pg = d / LEDE_DOCLEN_PAGE;
        uint8_t key[4];
        int rc = doclen_page(t, pg, key, page);
        if (rc != LEDE_OK)
            return rc;
        for (; d < end && d / LEDE_DOCLEN_PAGE == pg; d++) {
            uint32_t x = lens[d - first];
            uint8_t *p = (uint8_t *)&page[d % LEDE_DOCLEN_PAGE];
            p[0] = (uint8_t)x;
            p[1] = (uint8_t)(x >> 8);
            p[2] = (uint8_t)(x >> 16);
            p[3] = (uint8_t)(x >> 24);
        }
        if ((rc = lede_store_put(t, LEDE_DB_DOCLENS, key, 4, page, sizeof page)) != LEDE_OK)
            return rc;
    }
    return LEDE_OK;
}

/*
 * Rewriting an old list (an inline one, or the chunks of runs being merged)
 * needs the length of each of its documents and whether it was deleted.  Looked up
 * one posting at a time, that was two B-tree descents per posting, and
 * once the map's pages were released, page faults: on 300,000 documents, a
 * tenth of the indexer's time.  The batch's (or merge's) first rewrite
 * copies the committed lengths (4 bytes a document) and the deleted set (a
 * bit a document) out of the index instead; deletions of this batch come
 * after its lists are written, and a merge has a transaction of its own
 * after the batch's, so the copy stays true while it is used.
 */
static int load_old(lede_index *ix, lede_txn *t)
{
    lede_cursor *c = NULL;
    lede_val k, v;
    lede_stats_rec st;
    size_t n = (size_t)ix->committed_max + 1;
    int rc;

    if (ix->nold)
        return LEDE_OK;
    if ((rc = load_stats(t, &st)) != LEDE_OK)
        return rc;
    ix->old_lens = calloc(n, sizeof *ix->old_lens);
    ix->old_deleted = st.ndeleted ? calloc(n / 8 + 1, 1) : NULL;
    if (!ix->old_lens || (st.ndeleted && !ix->old_deleted)) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if ((rc = lede_store_cursor_open(&c, t, LEDE_DB_DOCLENS)) != LEDE_OK)
        goto cleanup;
    for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK;
         rc = lede_store_cursor_next(c, &k, &v)) {
        if (k.len != 4 || v.len != LEDE_DOCLEN_PAGE * 4)
            continue; /* such a page reads as lengths 0, as before; --check reports it */
        size_t first = (size_t)lede_get_u32be(k.data) * LEDE_DOCLEN_PAGE;
        const uint8_t *p = v.data;
        for (size_t i = 0; i < LEDE_DOCLEN_PAGE && first + i < n; i++, p += 4)
            ix->old_lens[first + i] =
                (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    }
    lede_store_cursor_close(c);
    c = NULL;
    if (rc != LEDE_ITEROVER)
        goto cleanup;
    rc = LEDE_OK;
    if (ix->old_deleted) {
        if ((rc = lede_store_cursor_open(&c, t, LEDE_DB_DELETED)) != LEDE_OK)
            goto cleanup;
        for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK;
             rc = lede_store_cursor_next(c, &k, &v)) {
            uint32_t id = k.len == 4 ? lede_get_u32be(k.data) : UINT32_MAX;
            if (id < n)
                ix->old_deleted[id / 8] |= (uint8_t)(1u << (id % 8));
        }
        if (rc != LEDE_ITEROVER)
            goto cleanup;
        rc = LEDE_OK;
    }
    ix->nold = n;
cleanup:
    lede_store_cursor_close(c);
    if (rc != LEDE_OK) {
        free(ix->old_lens);
        free(ix->old_deleted);
        ix->old_lens = NULL;
        ix->old_deleted = NULL;
    }
    return rc;
}

static inline uint32_t old_doclen(const lede_index *ix, uint32_t docid)
{
    return docid < ix->nold ? ix->old_lens[docid] : 0;
}

/* A document id past the committed ones cannot be in an old list: one
 * that is, in a damaged index, counts as deleted and is dropped. */
static inline int old_deleted(const lede_index *ix, uint32_t docid)
{
    if (docid >= ix->nold)
        return 1;
    return ix->old_deleted && (ix->old_deleted[docid / 8] >> (docid % 8) & 1);
}

/* Count docid as deleted in the loaded deletions (load_old first). */
static int mark_deleted(lede_index *ix, uint32_t docid)
{
    if (docid >= ix->nold)
        return LEDE_OK; /* not an old document: old_deleted says so already */
    if (!ix->old_deleted && !(ix->old_deleted = calloc(ix->nold / 8 + 1, 1)))
        return LEDE_ENOMEM;
    ix->old_deleted[docid / 8] |= (uint8_t)(1u << (docid % 8));
    return LEDE_OK;
}

/* Growable u32 arrays for one term's postings. */
typedef struct plist {
    uint32_t *docids, *tfs, *ttfs, *lens, *pos;
    size_t n, cap, npos, poscap;
} plist;

static int plist_room(plist *p, size_t n, size_t npos)
{
    if (p->n + n > p->cap) {
        size_t nc = p->cap ? p->cap : 256;
        while (nc < p->n + n)
            nc *= 2;
        uint32_t **arrs[4] = {&p->docids, &p->tfs, &p->ttfs, &p->lens};
        for (int i = 0; i < 4; i++) {
            uint32_t *na = realloc(*arrs[i], nc * sizeof *na);
            if (!na)
                return LEDE_ENOMEM;
            *arrs[i] = na;
        }
        p->cap = nc;
    }
    if (p->npos + npos > p->poscap) {
        size_t nc = p->poscap ? p->poscap : 1024;
        while (nc < p->npos + npos)
            nc *= 2;
        uint32_t *na = realloc(p->pos, nc * sizeof *na);
        if (!na)
            return LEDE_ENOMEM;
        p->pos = na;
        p->poscap = nc;
    }
    return LEDE_OK;
}

static void plist_free(plist *p)
{
    free(p->docids);
    free(p->tfs);
    free(p->ttfs);
    free(p->lens);
    free(p->pos);
}

/* A stem's postings taken over from its word (plan_aliases), with their df and cf. */
typedef struct adopted {
    plist pl;
    uint32_t df;
    uint64_t cf;
} adopted;

static void adopted_free(lede_index *ix)
{
    for (size_t i = 0; i < ix->nadopted; i++)
        plist_free(&ix->adopted[i].pl);
    free(ix->adopted);
    ix->adopted = NULL;
    ix->nadopted = 0;
}

static int cmp_terms(const void *a, const void *b, void *arg)
{
    const fieldbuf *fb = arg;
    const gterm *x = *(const gterm *const *)a, *y = *(const gterm *const *)b;
    int c = memcmp(fb->strs.data + x->off, fb->strs.data + y->off,
                   LEDE_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A term's first 8 bytes, big-endian and zero-padded: comparing two of
 * these as integers orders the terms as memcmp would, up to ties. */
static uint64_t term_prefix(const uint8_t *s, uint32_t len)
{
    uint64_t k = 0;
    uint32_t n = len < 8 ? len : 8;
    for (uint32_t i = 0; i < n; i++)
        k |= (uint64_t)s[i] << (56 - 8 * i);
    return k;
}

typedef struct sortkey {
    uint64_t k;
    gterm *t;
} sortkey;

/*
 * Order the batch's terms as cmp_terms does (bytes, then length), with an
 * LSD radix sort on the 8-byte prefix (one pass per byte that varies) and
 * cmp_terms only inside runs of equal prefixes.  glibc's qsort, called once
 * per term comparison through a function pointer, was an eighth of the
 * indexer's instructions.
 */
static int sort_terms(fieldbuf *b, gterm **order)
{
    size_t n = b->n;
    bigbuf am = {0}, tm = {0};
    if (!bigbuf_grow(&am, n * sizeof(sortkey)) || !bigbuf_grow(&tm, n * sizeof(sortkey))) {
        bigbuf_free(&am);
        bigbuf_free(&tm);
        return LEDE_ENOMEM;
    }
    sortkey *a = (sortkey *)(void *)am.data, *tmp = (sortkey *)(void *)tm.data;
    size_t count[8][256] = {{0}};
    for (size_t i = 0; i < n; i++) {
        gterm *e = &b->t[i];
        uint64_t k = term_prefix(b->strs.data + e->off, e->len);
        a[i].k = k;
        a[i].t = e;
        for (int d = 0; d < 8; d++)
            count[d][(k >> (8 * d)) & 0xff]++;
    }
    for (int d = 0; d < 8; d++) {
        size_t *c = count[d];
        if (c[(a[0].k >> (8 * d)) & 0xff] == n)
            continue; /* every key has the same byte here */
        size_t acc = 0;
        for (int v = 0; v < 256; v++) {
            size_t x = c[v];
            c[v] = acc;
            acc += x;
        }
        for (size_t i = 0; i < n; i++)
            tmp[c[(a[i].k >> (8 * d)) & 0xff]++] = a[i];
        sortkey *sw = a;
        a = tmp;
        tmp = sw;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = a[i].t;
    /* Equal prefixes: the rest of the bytes decide. */
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && a[j].k == a[i].k)
            j++;
        if (j - i > 1)
            qsort_r(order + i, j - i, sizeof *order, cmp_terms, b);
        i = j;
    }
    bigbuf_free(&am);
    bigbuf_free(&tm);
    return LEDE_OK;
}

/* Decode chunk c into pl, dropping deleted documents.  The values may
 * point into the map: they are copied here, before the caller writes
 * anything.  Releases c. */
static int load_parsed_values(const lede_index *ix, int f, lede_chunk *c, plist *pl,
                              lede_buf *scratch)
{
    uint32_t docids[LEDE_BLOCK], tfs[LEDE_BLOCK], ttfs[LEDE_BLOCK];
    int rc = LEDE_OK;
    for (uint32_t b = 0; b < c->nblocks; b++) {
        if ((rc = lede_block_decode(c, b, docids, tfs, ttfs)) != LEDE_OK)
            goto cleanup;
        size_t npos = 0;
        for (uint32_t i = 0; i < c->blocks[b].n; i++)
            npos += tfs[i];
        uint32_t *posv = NULL;
        if (lede_space_positions(f)) {
            if (npos > lede_block_max_positions(c, b)) {
                rc = LEDE_ECORRUPT;
                goto cleanup;
            }
            posv = malloc((npos + 1) * sizeof *posv);
            if (!posv || (rc = lede_block_decode_positions(c, b, tfs, posv, scratch)) != LEDE_OK) {
                free(posv);
                rc = posv ? rc : LEDE_ENOMEM;
                goto cleanup;
            }
        }
        size_t k = 0;
        for (uint32_t i = 0; i < c->blocks[b].n; i++) {
            if (old_deleted(ix, docids[i])) {
                k += tfs[i];
                continue;
            }
            if ((rc = plist_room(pl, 1, tfs[i])) != LEDE_OK) {
                free(posv);
                goto cleanup;
            }
            pl->docids[pl->n] = docids[i];
            pl->tfs[pl->n] = tfs[i];
            pl->ttfs[pl->n] = ttfs[i];
            pl->lens[pl->n] = old_doclen(ix, docids[i]);
            pl->n++;
            if (posv) {
                memcpy(pl->pos + pl->npos, posv + k, tfs[i] * sizeof *posv);
                pl->npos += tfs[i];
            }
            k += tfs[i];
        }
        free(posv);
    }
cleanup:
    lede_chunk_release(c);
    return rc;
}

/* Decode a chunk (post, and pos for word and name) into pl, as above. */
static int load_chunk_values(const lede_index *ix, int f, const void *post, size_t post_len,
                             const void *posv_in, size_t pos_len, plist *pl, lede_buf *scratch)
{
    lede_chunk c = {0};
    int rc = lede_chunk_parse(&c, post, post_len, lede_space_positions(f) ? posv_in : NULL, pos_len);
    if (rc != LEDE_OK) {
        lede_chunk_release(&c);
        return rc;
    }
    return load_parsed_values(ix, f, &c, pl, scratch);
}

/* Decode the inline list of record ti into pl, as above. */
static int load_inline_values(const lede_index *ix, int f, const lede_terminfo_rec *ti,
                              plist *pl, lede_buf *scratch)
{
    lede_chunk c = {0};
    int rc = lede_terminfo_chunk(ti, f, &c);
    if (rc != LEDE_OK) {
        lede_chunk_release(&c);
        return rc;
    }
    return load_parsed_values(ix, f, &c, pl, scratch);
}

/* ------------------------------------------------------------------ */
/* New terms, encoded on the analysis threads                           */
/* ------------------------------------------------------------------ */

/*
 * A term after the last one stored is new: its record and chunks depend on
 * the batch alone, not on the index, so they can be encoded away from the
 * LMDB transaction (which must stay on the main thread).  flush_field cuts
 * the new terms (all of them in a first batch) into windows that the
 * analysis threads encode while the main thread writes the windows before
 * them, in order: the writes, hence the index, are the same whatever -j.
 *
 * A window's output, per term of [from, to) (none for a term too long to
 * be a key): u32 nchunks, then per chunk u32 first docid, u32 post bytes,
 * u32 pos bytes and the bytes; then u32 record bytes and the record.
 */
#define WINDOW_POSTINGS 32768
#define WINDOW_TERMS 2048

typedef struct encoder {
    plist pl;
    lede_buf post, pos, val;
    lede_buf scratch; /* lede_block_decode_positions' */
} encoder;

static void encoder_free(encoder *en)
{
    if (!en)
        return;
    plist_free(&en->pl);
    lede_buf_free(&en->post);
    lede_buf_free(&en->pos);
    lede_buf_free(&en->val);
    lede_buf_free(&en->scratch);
    free(en);
}

typedef struct ewin {
    size_t from, to;   /* in the sorted order of the field's terms */
    lede_buf in;       /* old terms: what read_window copied out of the index */
    lede_buf out;
    int rc;
    int done;          /* under plock when threads encode */
} ewin;

typedef struct ejob {
    int f;
    int old;           /* the terms may be in the index already (see flush_field) */
    gterm **order;
    struct termscan *scan; /* the field's records, when the batch rewrites them all */
    ewin *wins;
    size_t nwins;
} ejob;

static inline void out_u32(lede_buf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    lede_buf_append(b, t, 4);
}

/* Append term e's postings of the batch to pl. */
static int append_postings(const lede_index *ix, const ejob *j, const gterm *e, plist *pl)
{
    int f = j->f;
    if (plist_room(pl, e->df, lede_space_positions(f) ? (size_t)e->cf : 0) != LEDE_OK)
        return LEDE_ENOMEM;
    slice_reader r;
    slice_open(&r, &ix->fb[f], e);
    uint32_t doc = ix->committed_max;
    for (uint32_t k = 0; k < e->df; k++) {
        doc += (uint32_t)slice_varint(&r);
        uint64_t tv = slice_varint(&r);
        uint32_t tf = (uint32_t)(tv >> 1);
        pl->docids[pl->n] = doc;
        pl->tfs[pl->n] = tf;
        pl->ttfs[pl->n] = tv & 1 ? (uint32_t)slice_varint(&r) : 0;
        pl->lens[pl->n] = ix->batch_lens[doc - ix->committed_max - 1];
        pl->n++;
        if (lede_space_positions(f)) {
            uint32_t *dst = pl->pos + pl->npos, p = 0;
            for (uint32_t q = 0; q < tf; q++) {
                p += (uint32_t)slice_varint(&r);
                dst[q] = p;
            }
            pl->npos += tf;
        }
    }
    return LEDE_OK;
}

/*
 * LMDB's cost of a value of v bytes under a chunk key: its node on a leaf
 * page when it is small enough, else a run of whole overflow pages (LMDB's
 * page header first), whose last one is on average half empty: 1.1 MB of
 * Reuters' 15.8 MB inverted index, 4.2 MB of Gutenberg's 75.8.  Pages of
 * 4096 bytes (LMDB's on the machines lede runs on), a chunk key of about
 * 16 bytes (run, term, NUL, doc id), a node header of 8 and a pointer of 2.
 */
#define LMDB_PAGE 4096u
#define LMDB_NODE_MAX 2038u /* (page - header) / 2, less the pointer */
#define CHUNK_KEY 16u

static size_t lmdb_cost(size_t v)
{
    size_t node = v + CHUNK_KEY + 10;
    if (v + CHUNK_KEY + 8 <= LMDB_NODE_MAX)
        /* A leaf page's end wastes half a node, on average. */
        return node + node * node / (2 * LMDB_PAGE);
    return (v + 16 + LMDB_PAGE - 1) / LMDB_PAGE * LMDB_PAGE + CHUNK_KEY + 18;
}

/*
 * How many of the chunk's first blocks to write as one chunk: all of them,
 * unless a shorter chunk (at least half as many blocks) fills the pages of
 * its postings and positions at least 1% better; the blocks left over
 * start the next chunk.  Read from the encoded chunk's block headers.
 */
static size_t chunk_cut(const lede_buf *post, const lede_buf *pos, size_t ndocs)
{
    size_t nb = (ndocs + LEDE_BLOCK - 1) / LEDE_BLOCK;
    if (nb < 2 || nb > CHUNK_BLOCKS)
        return nb;
    /* Bytes of the first b blocks' headers and data, and of their positions. */
    size_t sums_post[CHUNK_BLOCKS + 1] = {0}, sums_pos[CHUNK_BLOCKS + 1] = {0};
    lede_dec d;
    lede_dec_init(&d, post->data, post->len);
    lede_dec_varint(&d);
    for (size_t b = 0; b < nb; b++) {
        const uint8_t *at = d.p;
        for (int k = 0; k < 4; k++)
            lede_dec_varint(&d);
        size_t data = lede_dec_u32(&d);
        sums_pos[b + 1] = sums_pos[b] + (pos ? lede_dec_u32(&d) : 0);
        sums_post[b + 1] = sums_post[b] + (size_t)(d.p - at) + data;
    }
    if (d.rc != LEDE_OK)
        return nb;
    size_t best = nb;
    double best_eff = 0;
    for (size_t m = nb; m >= (nb + 1) / 2; m--) {
        uint8_t vb[LEDE_VARINT_MAX];
        size_t pv = sums_post[m] + lede_varint_put(vb, LEDE_MIN(ndocs, m * LEDE_BLOCK));
        size_t cost = lmdb_cost(pv) + (pos ? lmdb_cost(sums_pos[m]) : 0);
        double eff = (double)(pv + sums_pos[m]) / (double)cost;
        if (m == nb || eff > best_eff * 1.01) {
            best = m;
            best_eff = eff;
        }
    }
    return best;
}

/*
 * Encode en->pl, the postings a term gets in run (the batch's, after what
 * is left of an inline list), as its record will hold them: inline in *ti
 * when the term has no chunk and the list is short, else chunks of up to
 * CHUNK_BLOCKS blocks appended to out (u32 first doc id, u32 and u32 bytes
 * of postings and positions, the bytes), run the record's first run when
 * it had none.
 * Sets the record's bounds and chunk fields (*ti keeps pointers into en
 * until the record is encoded); *nchunks_out counts the chunks,
 * *in_record_out says whether the list went inline.
 */
static int encode_lists(int f, encoder *en, lede_terminfo_rec *ti, uint32_t run, lede_buf *out,
                        uint32_t *nchunks_out, int *in_record_out)
{
    const plist *pl = &en->pl;
    int rc;
    for (size_t k = 0; k < pl->n; k++) {
        ti->max_tf = LEDE_MAX(ti->max_tf, pl->tfs[k]);
        ti->max_title_tf = LEDE_MAX(ti->max_title_tf, pl->ttfs[k]);
        ti->min_len = LEDE_MIN(ti->min_len, pl->lens[k]);
    }
    /* A short list of a term with no other chunk stays in the term record:
     * one key instead of three, and no chunk headers. */
    int in_record = 0;
    lede_buf_reset(&en->post);
    lede_buf_reset(&en->pos);
    if (ti->first_run == 0 && pl->n <= LEDE_INLINE_MAX_POSTINGS) {
        lede_posting_arrays a = {pl->docids, pl->tfs, pl->ttfs, pl->lens,
                                 lede_space_positions(f) ? pl->pos : NULL, pl->n};
        if (pl->n > 0 && (rc = lede_chunk_encode(&en->post, &en->pos, &a)) != LEDE_OK)
            return rc;
        in_record = en->post.len + en->pos.len <= LEDE_INLINE_MAX_BYTES;
    }
    if (in_record) {
        size_t hl;
        if ((rc = lede_chunk_inline_info(en->post.data, en->post.len, lede_space_positions(f),
                                         en->pos.len, &ti->inl, &hl)) != LEDE_OK)
            return rc;
        ti->inl_post = en->post.data + hl;
        ti->inl_post_len = en->post.len - hl;
        ti->inl_pos = en->pos.data;
        ti->inl_pos_len = en->pos.len;
    }
    uint32_t nchunks = 0;
    size_t done = 0, posdone = 0;
    while (!in_record && done < pl->n) {
        size_t n = LEDE_MIN(pl->n - done, (size_t)CHUNK_BLOCKS * LEDE_BLOCK);
        lede_posting_arrays a = {pl->docids + done, pl->tfs + done, pl->ttfs + done,
                                 pl->lens + done, lede_space_positions(f) ? pl->pos + posdone : NULL,
                                 n};
        lede_buf_reset(&en->post);
        lede_buf_reset(&en->pos);
        if ((rc = lede_chunk_encode(&en->post, &en->pos, &a)) != LEDE_OK)
            return rc;
        size_t nb = (n + LEDE_BLOCK - 1) / LEDE_BLOCK;
        size_t m = chunk_cut(&en->post, lede_space_positions(f) ? &en->pos : NULL, n);
        if (m < nb) {
            /* Fewer blocks fill the pages better: those, again. */
            n = m * LEDE_BLOCK;
            a.n = n;
            lede_buf_reset(&en->post);
            lede_buf_reset(&en->pos);
            if ((rc = lede_chunk_encode(&en->post, &en->pos, &a)) != LEDE_OK)
                return rc;
        }
        out_u32(out, pl->docids[done]);
        out_u32(out, (uint32_t)en->post.len);
        out_u32(out, lede_space_positions(f) ? (uint32_t)en->pos.len : 0);
        lede_buf_append(out, en->post.data, en->post.len);
        if (lede_space_positions(f))
            lede_buf_append(out, en->pos.data, en->pos.len);
        size_t npos = 0;
        if (lede_space_positions(f))
            for (size_t k = 0; k < n; k++)
                npos += pl->tfs[done + k];
        nchunks++;
        done += n;
        posdone += npos;
    }
    *nchunks_out = nchunks;
    *in_record_out = in_record;
    if (nchunks > 0 && ti->first_run == 0)
        ti->first_run = run;
    return out->rc;
}

/* Append ti's record (u32 bytes, the bytes) to out. */
static int encode_record(encoder *en, const lede_terminfo_rec *ti, lede_buf *out)
{
    lede_buf_reset(&en->val);
    lede_terminfo_encode(&en->val, ti);
    out_u32(out, (uint32_t)en->val.len);
    lede_buf_append(out, en->val.data, en->val.len);
    return out->rc != LEDE_OK || en->val.rc != LEDE_OK ? LEDE_ENOMEM : LEDE_OK;
}

static void patch_u32(lede_buf *b, size_t at, uint32_t v)
{
    for (int k = 0; k < 4; k++)
        b->data[at + k] = (uint8_t)(v >> (8 * k));
}

/* A stem adopting its word's postings (plan_aliases): those first, and
 * their df and cf in ti. */
static int adopt_postings(const lede_index *ix, const gterm *e, lede_terminfo_rec *ti, plist *pl)
{
    if (!e->adopt)
        return LEDE_OK;
    const adopted *a = &ix->adopted[e->adopt - 1];
    ti->df += a->df;
    ti->cf += a->cf;
    if (a->pl.n == 0)
        return LEDE_OK; /* every one deleted by this batch */
    if (plist_room(pl, a->pl.n, 0) != LEDE_OK)
        return LEDE_ENOMEM;
    memcpy(pl->docids + pl->n, a->pl.docids, a->pl.n * sizeof *pl->docids);
    memcpy(pl->tfs + pl->n, a->pl.tfs, a->pl.n * sizeof *pl->tfs);
    memcpy(pl->ttfs + pl->n, a->pl.ttfs, a->pl.n * sizeof *pl->ttfs);
    memcpy(pl->lens + pl->n, a->pl.lens, a->pl.n * sizeof *pl->lens);
    pl->n += a->pl.n;
    return LEDE_OK;
}

/* Encode new term e (see above) onto out, as flush_field would write it. */
static int encode_new_term(const lede_index *ix, const ejob *j, const gterm *e, encoder *en,
                           lede_buf *out)
{
    lede_terminfo_rec ti = {0};
    uint32_t nchunks;
    int in_record, rc;
    ti.min_len = UINT32_MAX;
    en->pl.n = en->pl.npos = 0;
    if ((rc = adopt_postings(ix, e, &ti, &en->pl)) != LEDE_OK ||
        (rc = append_postings(ix, j, e, &en->pl)) != LEDE_OK)
        return rc;
    size_t at = out->len;
    out_u32(out, 0);
    if ((rc = encode_lists(j->f, en, &ti, ix->run, out, &nchunks, &in_record)) != LEDE_OK)
        return rc;
    ti.df += e->df;
    ti.cf += e->cf;
    ti.stem_alias = j->f == LEDE_FIELD_WORD && e->alias;
    if ((rc = encode_record(en, &ti, out)) != LEDE_OK)
        return rc;
    patch_u32(out, at, nchunks);
    return LEDE_OK;
}

static uint32_t in_u32(const uint8_t **p)
{
    const uint8_t *q = *p;
    *p += 4;
    return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

/*
 * A batch that touches about as many terms of a field as its records take
 * leaf pages would copy nearly every page anyway, and the puts among the
 * stored keys split pages in half (a million paragraphs' term records
 * filled 53% of their pages).  Such a batch instead reads the field's
 * records out in key order, empties the database and appends every record
 * again, the batch's terms merged in: full pages, and fewer of them to
 * copy next time.  termscan holds the records read (u32 key bytes, u32
 * value bytes, the key, the value); look is read_window's position,
 * emit write_window's.
 */
typedef struct termscan {
    bigbuf recs;
    size_t look, emit;
} termscan;

/* The record at *at of the scan (key, value), or 0 at its end. */
static int scan_rec(const termscan *sc, size_t at, const uint8_t **k, uint32_t *kl,
                    const uint8_t **v, uint32_t *vl)
{
    if (at >= sc->recs.len)
        return 0;
    const uint8_t *p = sc->recs.data + at;
    *kl = in_u32(&p);
    *vl = in_u32(&p);
    *k = p;
    *v = p + *kl;
    return 1;
}

/*
 * Move *at past the scanned records before term (all of them when term is
 * NULL) and the one with its key, which *found gets (LEDE_ENOTFOUND when
 * there is none).  With t, the records passed are appended to field f's
 * database (write_window: the batch writes the one with term's key).
 */
static int scan_past(termscan *sc, size_t *at, const uint8_t *term, size_t len, lede_txn *t,
                     int f, lede_val *found)
{
    const uint8_t *k, *v;
    uint32_t kl, vl;
    while (scan_rec(sc, *at, &k, &kl, &v, &vl)) {
        int c = term ? lede_key_cmp(k, kl, term, len) : -1;
        if (c > 0)
            break;
        *at += 8 + (size_t)kl + vl;
        if (c == 0) {
            found->data = v;
            found->len = vl;
            return LEDE_OK;
        }
        int rc = t ? lede_store_append(t, LEDE_DB_TERMS(f), k, kl, vl ? (const void *)v : "", vl)
                   : LEDE_OK;
        if (rc != LEDE_OK)
            return rc;
    }
    return LEDE_ENOTFOUND;
}

/* Bytes of files mapped by this process that are resident (below). */
static size_t mapped_file_bytes(const lede_index *ix);

/*
 * The map pages the old terms' lookups read count in the RSS: drop them
 * once they pass a sixteenth of the budget, unless the whole committed
 * index is smaller than that (a first batch reads none: its pages are
 * LMDB's own buffers).  Each drop costs a madvise and a TLB flush on every
 * core running a thread of ours; dropping every 1024 terms was 8% of the
 * main thread on Gutenberg.
 */
typedef struct releaser {
    int on;
    size_t base;
} releaser;

static void releaser_start(lede_index *ix, releaser *rl)
{
    rl->on = lede_store_used(ix->s) > ix->budget / 16;
    rl->base = 0;
    if (rl->on) {
        lede_store_release_pages(ix->s);
        rl->base = mapped_file_bytes(ix);
    }
}

static void releaser_check(lede_index *ix, releaser *rl)
{
    if (!rl->on)
        return;
    size_t m = mapped_file_bytes(ix);
    /* Without /proc, at every window. */
    if (!m || m > rl->base + ix->budget / 16) {
        lede_store_release_pages(ix->s); /* ispeed: RSS of the map pages read */
        rl->base = mapped_file_bytes(ix);
    }
}

/*
 * Lookups in the batch's order (the ids, plan_aliases) and a field's scan
 * read pages all over a database too, and the kernel maps their cached
 * neighbours: at --memory 32M, 31 MB of the RSS.  Dropping those pages as
 * they add up costs reading them again (Gutenberg 10% slower at the
 * default budget): only small budgets, which come before speed, do.
 */
#define RELEASE_LOOKUPS_MAX ((size_t)64 << 20)

static void releaser_start_lookups(lede_index *ix, releaser *rl)
{
    if (ix->budget <= RELEASE_LOOKUPS_MAX) {
        releaser_start(ix, rl);
    } else {
        rl->on = 0;
        rl->base = 0;
    }
}

/* Read field f's records into sc and empty its database. */
static int scan_field(lede_index *ix, lede_txn *t, int f, termscan *sc)
{
    lede_cursor *c = NULL;
    lede_val k, v;
    releaser rl;
    size_t n = 0;
    releaser_start_lookups(ix, &rl);
    int rc = lede_store_cursor_open(&c, t, LEDE_DB_TERMS(f));
    for (rc = rc == LEDE_OK ? lede_store_cursor_first(c, &k, &v) : rc; rc == LEDE_OK;
         rc = lede_store_cursor_next(c, &k, &v)) {
        uint8_t hdr[8];
        if (++n % 1024 == 0)
            releaser_check(ix, &rl);
        for (int i = 0; i < 4; i++) {
            hdr[i] = (uint8_t)(k.len >> (8 * i));
            hdr[4 + i] = (uint8_t)(v.len >> (8 * i));
        }
        if (bigbuf_reserve(&sc->recs, 8 + k.len + v.len) != LEDE_OK) {
            rc = LEDE_ENOMEM;
            break;
        }
        bigbuf_append(&sc->recs, hdr, 8);
        bigbuf_append(&sc->recs, k.data, k.len);
        bigbuf_append(&sc->recs, v.data, v.len);
    }
    lede_store_cursor_close(c);
    if (rc != LEDE_ITEROVER)
        return rc;
    /* The map pages just read count in the RSS. */
    lede_store_release_pages(ix->s);
    return lede_store_drop(t, LEDE_DB_TERMS(f));
}

/*
 * Terms that may be in the index already (before the last one stored) go
 * through windows too, in three steps: the main thread copies each one's
 * record out of the index (read_window: LMDB stays on the main thread); a
 * thread merges it with the batch's postings and encodes the result
 * (encode_old_term); the main thread writes it (write_window).  The old
 * chunks stay where they are: the batch's go in its own run.
 *
 * A window's input, per term: u32 record bytes (UINT32_MAX: not in the
 * index), the record.  Its output, per term: u32 the old df, u32 nchunks,
 * the chunks as for a new term, u32 record bytes, the record.
 */
static int read_window(lede_index *ix, lede_txn *t, const ejob *j, ewin *win)
{
    const fieldbuf *b = &ix->fb[j->f];
    int f = j->f, rc;
    for (size_t k = win->from; k < win->to; k++) {
        const gterm *e = j->order[k];
        const char *term = (const char *)b->strs.data + e->off;
        lede_val v;
        if (unwritten(f, e))
            continue;
        if (j->scan) {
            /* The batch's terms come in key order: look on from the last. */
            rc = scan_past(j->scan, &j->scan->look, (const uint8_t *)term, e->len, NULL, f, &v);
        } else {
            rc = lede_store_get(t, LEDE_DB_TERMS(f), term, e->len, &v);
        }
        if (rc == LEDE_ENOTFOUND) {
            out_u32(&win->in, UINT32_MAX);
            continue;
        }
        if (rc != LEDE_OK)
            return rc;
        out_u32(&win->in, (uint32_t)v.len);
        lede_buf_append(&win->in, v.data, v.len);
    }
    return win->in.rc;
}

/* Encode old term e (see above) from its input at *in onto out. */
static int encode_old_term(const lede_index *ix, const ejob *j, const gterm *e, encoder *en,
                           const uint8_t **in, const uint8_t *in_end, lede_buf *out)
{
    int f = j->f, rc;
    plist *pl = &en->pl;
    lede_terminfo_rec ti = {0};
    if (in_end - *in < 4)
        return LEDE_ECORRUPT;
    uint32_t rl = in_u32(in);
    size_t rbytes = rl == UINT32_MAX ? 0 : rl;
    if ((size_t)(in_end - *in) < rbytes)
        return LEDE_ECORRUPT;
    const uint8_t *rec = *in;
    *in += rbytes;
    if (rl == UINT32_MAX)
        ti.min_len = UINT32_MAX;
    else if ((rc = lede_terminfo_decode(&ti, f, rec, rl)) != LEDE_OK)
        return rc;
    uint32_t old_df = ti.df;

    pl->n = pl->npos = 0;
    if (ti.first_run == 0 && ti.inl.n > 0) {
        /* An inline list is rewritten with the new postings. */
        if ((rc = load_inline_values(ix, f, &ti, pl, &en->scratch)) != LEDE_OK)
            return rc;
    }
    memset(&ti.inl, 0, sizeof ti.inl);
    ti.inl_post = ti.inl_pos = NULL;
    ti.inl_post_len = ti.inl_pos_len = 0;
    if ((rc = adopt_postings(ix, e, &ti, pl)) != LEDE_OK ||
        (rc = append_postings(ix, j, e, pl)) != LEDE_OK)
        return rc;
    if (f == LEDE_FIELD_WORD && e->alias)
        ti.stem_alias = 1;
    size_t at = out->len;
    out_u32(out, old_df);
    out_u32(out, 0);
    uint32_t nchunks;
    int in_record;
    if ((rc = encode_lists(f, en, &ti, ix->run, out, &nchunks, &in_record)) != LEDE_OK)
        return rc;
    ti.df += e->df;
    ti.cf += e->cf;
    if ((rc = encode_record(en, &ti, out)) != LEDE_OK)
        return rc;
    patch_u32(out, at + 4, nchunks);
    return LEDE_OK;
}

/* Encode window i of the job in flight, with w's scratch. */
static void encode_window(lede_index *ix, worker *w, size_t i)
{
    const ejob *j = ix->ej;
    ewin *win = &j->wins[i];
    win->rc = LEDE_OK;
    if (!w->enc && !(w->enc = calloc(1, sizeof *w->enc))) {
        win->rc = LEDE_ENOMEM;
        return;
    }
    const uint8_t *in = win->in.data, *in_end = lede_buf_end(&win->in);
    for (size_t k = win->from; k < win->to && win->rc == LEDE_OK; k++) {
        const gterm *e = j->order[k];
        if (unwritten(j->f, e))
            continue;
        win->rc = j->old ? encode_old_term(ix, j, e, w->enc, &in, in_end, &win->out)
                         : encode_new_term(ix, j, e, w->enc, &win->out);
    }
}

/* Under plock. */
static void window_done(lede_index *ix, size_t i)
{
    ix->ej->wins[i].done = 1;
}

/*
 * Write window win's terms (encoded) in order: the chunks are appended (the
 * batch's run sorts after every run stored), the records of new terms too
 * (they sort after every term stored), those of old ones put.
 */
static int write_window(lede_index *ix, lede_txn *t, const ejob *j, const ewin *win,
                        lede_stats_rec *st)
{
    const fieldbuf *b = &ix->fb[j->f];
    int f = j->f, rc;
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    const uint8_t *p = win->out.data, *end = lede_buf_end(&win->out);
    /* Records go among the stored ones only when old ones stay in place. */
    int (*put)(lede_txn *, lede_db, const void *, size_t, const void *, size_t) =
        j->old && !j->scan ? lede_store_put : lede_store_append;
    for (size_t k = win->from; k < win->to; k++) {
        const gterm *e = j->order[k];
        const char *term = (const char *)b->strs.data + e->off;
        uint32_t old_df = 0;
        if (unwritten(f, e))
            continue;
        if (end - p < (j->old ? 8 : 4))
            return LEDE_ECORRUPT;
        if (j->old)
            old_df = in_u32(&p);
        uint32_t nchunks = in_u32(&p);
        for (uint32_t c = 0; c < nchunks; c++) {
            if (end - p < 12)
                return LEDE_ECORRUPT;
            uint32_t k0 = in_u32(&p), pl = in_u32(&p), ql = in_u32(&p);
            if ((size_t)(end - p) < (size_t)pl + ql)
                return LEDE_ECORRUPT;
            size_t kl = lede_chunk_key(key, ix->run, term, e->len, k0);
            if ((rc = lede_store_append(t, LEDE_DB_POST(f), key, kl, pl ? (const void *)p : "",
                                        pl)) != LEDE_OK)
                return rc;
            p += pl;
            if (lede_space_positions(f) &&
                (rc = lede_store_append(t, LEDE_DB_POS(f), key, kl, ql ? (const void *)p : "",
                                        ql)) != LEDE_OK)
                return rc;
            p += ql;
            ix->run_bytes += (uint64_t)pl + ql;
        }
        if (end - p < 4)
            return LEDE_ECORRUPT;
        uint32_t vl = in_u32(&p);
        if ((size_t)(end - p) < vl)
            return LEDE_ECORRUPT;
        lede_val skip;
        if (j->scan && (rc = scan_past(j->scan, &j->scan->emit, (const uint8_t *)term, e->len, t,
                                       f, &skip)) != LEDE_OK && rc != LEDE_ENOTFOUND)
            return rc;
        if ((rc = put(t, LEDE_DB_TERMS(f), term, e->len, p, vl)) != LEDE_OK)
            return rc;
        p += vl;
        if (old_df == 0)
            st->nterms[f]++;
        st->npostings[f] += e->df;
    }
    return LEDE_OK;
}

/* Read window w of an old job (main thread), releasing map pages as needed. */
static int read_ahead(lede_index *ix, lede_txn *t, ejob *j, size_t w, releaser *rl)
{
    if (!j->old || w >= j->nwins)
        return LEDE_OK;
    releaser_check(ix, rl);
    return read_window(ix, t, j, &j->wins[w]);
}

/* Encode and write the terms order[from, n) of field j->f: new ones
 * (appended), or, when j->old, ones that may be in the index already. */
static int flush_terms(lede_index *ix, lede_txn *t, ejob *j, size_t from, size_t n,
                       lede_stats_rec *st)
{
    int rc = LEDE_OK;
    releaser rl = {0, 0};
    /* Windows of about the same work. */
    size_t nw = 0, cap = 0;
    for (size_t i = from; i < n;) {
        size_t k = i, post = 0;
        while (k < n && post < WINDOW_POSTINGS && k - i < WINDOW_TERMS)
            post += j->order[k++]->df;
        if (nw == cap) {
            size_t nc = cap ? cap * 2 : 64;
            ewin *nwins = realloc(j->wins, nc * sizeof *nwins);
            if (!nwins)
                return LEDE_ENOMEM;
            j->wins = nwins;
            cap = nc;
        }
        j->wins[nw++] = (ewin){i, k, LEDE_BUF_INIT, LEDE_BUF_INIT, LEDE_OK, 0};
        i = k;
    }
    j->nwins = nw;
    int threads = ix->nthreads_started > 0;
    /* Windows encoded ahead of the one written: enough to keep every
     * thread busy, few enough that their bytes stay small beside the batch. */
    size_t ahead = threads ? (size_t)ix->nthreads_started * 3 : 0;
    if (j->old) {
        /* Rewriting old lists reads the committed lengths and deletions. */
        if ((rc = load_old(ix, t)) != LEDE_OK)
            return rc;
        releaser_start(ix, &rl);
    }
    for (size_t w = 0; w < LEDE_MIN(nw, ahead) && rc == LEDE_OK; w++)
        rc = read_ahead(ix, t, j, w, &rl);
    if (threads && rc == LEDE_OK) {
        pthread_mutex_lock(&ix->plock);
        ix->ej = j;
        ix->pencode = 1;
        ix->pn = LEDE_MIN(nw, ahead);
        ix->pnext = ix->pfinished = 0;
        pthread_cond_broadcast(&ix->pwork);
        pthread_mutex_unlock(&ix->plock);
    } else {
        ix->ej = j;
    }
    int dispatched = threads && rc == LEDE_OK;
    size_t w = 0;
    for (; w < nw && rc == LEDE_OK; w++) {
        ewin *win = &j->wins[w];
        if (threads) {
            /* Window w is dispatched: pn >= min(nw, ahead + w) > w. */
            pthread_mutex_lock(&ix->plock);
            while (!win->done)
                pthread_cond_wait(&ix->pdone, &ix->plock);
            pthread_mutex_unlock(&ix->plock);
        } else {
            if ((rc = read_ahead(ix, t, j, w, &rl)) != LEDE_OK)
                break;
            encode_window(ix, &ix->workers[ix->nthreads], w);
        }
        rc = win->rc;
        if (rc == LEDE_OK)
            rc = write_window(ix, t, j, win, st);
        lede_buf_free(&win->in);
        lede_buf_free(&win->out);
        if (threads && rc == LEDE_OK && w + ahead < nw) {
            rc = read_ahead(ix, t, j, w + ahead, &rl);
            if (rc != LEDE_OK)
                break;
            pthread_mutex_lock(&ix->plock);
            ix->pn++;
            pthread_cond_signal(&ix->pwork);
            pthread_mutex_unlock(&ix->plock);
        }
    }
    if (dispatched) {
        /* Let the windows dispatched finish before their scratch goes. */
        pool_wait(ix);
        pthread_mutex_lock(&ix->plock);
        ix->pencode = 0;
        ix->ej = NULL;
        ix->pn = ix->pnext = ix->pfinished = 0;
        pthread_mutex_unlock(&ix->plock);
    } else {
        ix->ej = NULL;
    }
    for (size_t i = 0; i < nw; i++) {
        lede_buf_free(&j->wins[i].in);
        lede_buf_free(&j->wins[i].out);
    }
    return rc;
}

/* Bytes of files mapped by this process that are resident (the index's
 * map, shared libraries), from /proc/self/statm; 0 when unknown. */
static size_t mapped_file_bytes(const lede_index *ix)
{
    char buf[128];
    if (ix->statm_fd < 0)
        return 0;
    ssize_t n = pread(ix->statm_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    unsigned long size, resident, shared;
    if (sscanf(buf, "%lu %lu %lu", &size, &resident, &shared) != 3)
        return 0;
    return (size_t)shared * (size_t)sysconf(_SC_PAGESIZE);
}

static int flush_field(lede_index *ix, lede_txn *t, int f, lede_stats_rec *st)
{
    fieldbuf *b = &ix->fb[f];
    gterm **order = NULL;
    bigbuf orderm = {0};
    termscan scanm = {{0}, 0, 0};
    int rc = LEDE_OK;

    if (b->n == 0)
        return LEDE_OK;
    /* The terms in key order; each one's postings are in its slices. */
    order = (gterm **)(void *)bigbuf_grow(&orderm, b->n * sizeof *order);
    if (!order) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if ((rc = sort_terms(b, order)) != LEDE_OK)
        goto cleanup;
    /* Terms beyond the last term already stored are appended: LMDB then
     * fills pages instead of splitting them in half. */
    uint8_t last_key[LEDE_KEY_TERM_MAX + 1];
    size_t last_len = 0;
    int have_last = 0;
    {
        lede_cursor *c = NULL;
        lede_val lk;
        if ((rc = lede_store_cursor_open(&c, t, LEDE_DB_TERMS(f))) != LEDE_OK)
            goto cleanup;
        rc = lede_store_cursor_last(c, &lk, NULL);
        if (rc == LEDE_OK && lk.len <= sizeof last_key) {
            memcpy(last_key, lk.data, lk.len);
            last_len = lk.len;
            have_last = 1;
        }
        lede_store_cursor_close(c);
        if (rc != LEDE_OK && rc != LEDE_ITEROVER)
            goto cleanup;
        rc = LEDE_OK;
    }

    /* The terms after the last one stored are new: they go to the threads. */
    size_t split = b->n;
    if (!have_last) {
        split = 0;
    } else {
        while (split > 0) {
            const gterm *e = order[split - 1];
            int cmp = memcmp(b->strs.data + e->off, last_key, LEDE_MIN(e->len, last_len));
            if (!(cmp > 0 || (cmp == 0 && e->len > last_len)))
                break;
            split--;
        }
    }
    /* A batch touching about every leaf of the records rewrites them all
     * (see termscan). */
    termscan *scan = NULL;
    if (split > 0) {
        lede_db_pages pg;
        if ((rc = lede_store_db_pages(t, LEDE_DB_TERMS(f), &pg)) != LEDE_OK)
            goto cleanup;
        if (pg.leaf >= COMPACT_MIN_LEAVES && (uint64_t)split >= pg.leaf) {
            scan = &scanm;
            if ((rc = scan_field(ix, t, f, scan)) != LEDE_OK)
                goto cleanup;
        }
    }
    /* The terms before: in the index already, most of them. */
    if (split > 0) {
        ejob j = {f, 1, order, scan, NULL, 0};
        rc = flush_terms(ix, t, &j, 0, split, st);
        free(j.wins);
        if (rc != LEDE_OK)
            goto cleanup;
    }
    /* The records after the batch's last old term, before its new ones. */
    lede_val none;
    if (scan && (rc = scan_past(scan, &scan->emit, NULL, 0, t, f, &none)) != LEDE_ENOTFOUND)
        goto cleanup;
    rc = LEDE_OK;
    if (split < b->n) {
        ejob j = {f, 0, order, NULL, NULL, 0};
        rc = flush_terms(ix, t, &j, split, b->n, st);
        free(j.wins);
    }
cleanup:
    bigbuf_free(&orderm);
    bigbuf_free(&scanm.recs);
    return rc;
}

/* Store a text frame in pieces ("text" in reader.h), appending: doc ids grow. */
static int put_text(lede_txn *t, uint32_t docid, const lede_buf *frame)
{
    uint8_t key[8];
    size_t off = 0;
    if (frame->rc != LEDE_OK)
        return frame->rc;
    for (uint32_t n = 0;; n++) {
        size_t len = LEDE_MIN(frame->len - off, (size_t)LEDE_TEXT_PIECE);
        int rc = lede_store_append(t, LEDE_DB_TEXT, key, lede_text_key(key, docid, n),
                                   len ? (const void *)(frame->data + off) : "", len);
        if (rc != LEDE_OK)
            return rc;
        off += len;
        if (len < LEDE_TEXT_PIECE)
            return LEDE_OK; /* the short piece ends the frame */
    }
}

static int del_text(lede_txn *t, uint32_t docid)
{
    uint8_t key[8];
    for (uint32_t n = 0;; n++) {
        int rc = lede_store_del(t, LEDE_DB_TEXT, key, lede_text_key(key, docid, n));
        if (rc == LEDE_ENOTFOUND)
            return LEDE_OK;
        if (rc != LEDE_OK)
            return rc;
    }
}

/* Remove document docid: its records, and its share of every statistic. */
/*
 * What deleting the batch's documents takes from the term records, summed
 * per term before any record is written: one get and put per distinct term,
 * in key order, instead of one per posting (a batch replacing Reuters did
 * 2 million record updates, most of its time in LMDB's page searches).
 */
typedef struct dterm {
    uint64_t h;
    uint64_t dcf;
    uint32_t off, len, ddf;
    int f;
} dterm;

typedef struct delagg {
    dterm *t;
    size_t n, cap;
    uint32_t *slots; /* index + 1 into t; 0 = empty */
    size_t nslots;
    lede_buf strs;
} delagg;

static void delagg_free(delagg *a)
{
    free(a->t);
    free(a->slots);
    lede_buf_free(&a->strs);
}

/* Add tf occurrences in one more document to term s[0, len) of field f. */
static int delagg_add(delagg *a, int f, const uint8_t *s, uint32_t len, uint32_t tf)
{
    if ((a->n + 1) * 2 > a->nslots) {
        size_t ns = a->nslots ? a->nslots * 2 : 4096;
        uint32_t *sl = calloc(ns, sizeof *sl);
        if (!sl)
            return LEDE_ENOMEM;
        for (size_t i = 0; i < a->n; i++) {
            size_t j = a->t[i].h & (ns - 1);
            while (sl[j])
                j = (j + 1) & (ns - 1);
            sl[j] = (uint32_t)i + 1;
        }
        free(a->slots);
        a->slots = sl;
        a->nslots = ns;
    }
    uint64_t h = XXH3_64bits(s, len) ^ (uint64_t)f;
    size_t j = h & (a->nslots - 1);
    for (; a->slots[j]; j = (j + 1) & (a->nslots - 1)) {
        dterm *e = &a->t[a->slots[j] - 1];
        if (e->h == h && e->f == f && e->len == len && memcmp(a->strs.data + e->off, s, len) == 0) {
            e->ddf++;
            e->dcf += tf;
            return LEDE_OK;
        }
    }
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        dterm *nt = realloc(a->t, nc * sizeof *nt);
        if (!nt)
            return LEDE_ENOMEM;
        a->t = nt;
        a->cap = nc;
    }
    a->t[a->n] = (dterm){h, tf, (uint32_t)a->strs.len, len, 1, f};
    lede_buf_append(&a->strs, s, len);
    if (a->strs.rc != LEDE_OK)
        return LEDE_ENOMEM;
    a->slots[j] = (uint32_t)++a->n;
    return LEDE_OK;
}

static int cmp_dterms(const void *x, const void *y, void *arg)
{
    const dterm *a = x, *b = y;
    const uint8_t *strs = arg;
    if (a->f != b->f)
        return a->f - b->f;
    int c = memcmp(strs + a->off, strs + b->off, LEDE_MIN(a->len, b->len));
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Take what a's documents held from their terms' records, term by term in
 * key order. */
static int delagg_apply(lede_index *ix, lede_txn *t, delagg *a, lede_stats_rec *st)
{
    lede_buf val = LEDE_BUF_INIT;
    int rc = LEDE_OK;
    if (a->n > 1)
        qsort_r(a->t, a->n, sizeof *a->t, cmp_dterms, a->strs.data);
    for (size_t i = 0; i < a->n && rc == LEDE_OK; i++) {
        const dterm *e = &a->t[i];
        const uint8_t *s = a->strs.data + e->off;
        lede_terminfo_rec ti;
        lede_val v;
        rc = lede_store_get(t, LEDE_DB_TERMS(e->f), s, e->len, &v);
        if (rc == LEDE_OK)
            rc = lede_terminfo_decode(&ti, e->f, v.data, v.len);
        if (rc == LEDE_ENOTFOUND && e->f == LEDE_FIELD_STEM) {
            /* A stem aliased to its word: the word's record (not yet
             * updated: stems come first) loses the same postings. */
            rc = lede_store_get(t, LEDE_DB_TERMS(LEDE_FIELD_WORD), s, e->len, &v);
            if (rc == LEDE_OK)
                rc = lede_terminfo_decode(&ti, LEDE_FIELD_WORD, v.data, v.len);
            if (rc == LEDE_OK && !ti.stem_alias)
                rc = LEDE_ENOTFOUND;
            if (rc == LEDE_OK && ti.df >= e->ddf) {
                if (ti.df == e->ddf)
                    st->nterms[e->f]--;
                st->npostings[e->f] -= e->ddf;
                continue;
            }
        }
        if (rc == LEDE_ENOTFOUND || (rc == LEDE_OK && ti.df < e->ddf)) {
            rc = LEDE_ECORRUPT;
            set_msg(ix, "cannot delete documents: term \"%.*s\" is missing from the index",
                    (int)LEDE_MIN(e->len, 200u), (const char *)s);
        }
        if (rc != LEDE_OK)
            break;
        ti.df -= e->ddf;
        ti.cf = ti.cf >= e->dcf ? ti.cf - e->dcf : 0;
        if (ti.df == 0)
            st->nterms[e->f]--;
        st->npostings[e->f] -= e->ddf;
        if (ti.df == 0 && ti.first_run == 0) {
            /* Only deleted postings inline: the term is gone. */
            rc = lede_store_del(t, LEDE_DB_TERMS(e->f), s, e->len);
            continue;
        }
        lede_buf_reset(&val);
        lede_terminfo_encode(&val, &ti);
        rc = put_buf(t, LEDE_DB_TERMS(e->f), s, e->len, &val);
    }
    lede_buf_free(&val);
    return rc;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Zero the lengths of documents ids[0, n) (increasing): one get and put
 * per page of lengths. */
static int zero_doclens(lede_txn *t, const uint32_t *ids, size_t n)
{
    uint32_t page[LEDE_DOCLEN_PAGE];
    for (size_t i = 0; i < n;) {
        uint32_t pg = ids[i] / LEDE_DOCLEN_PAGE;
        uint8_t key[4];
        int rc = doclen_page(t, pg, key, page);
        if (rc != LEDE_OK)
            return rc;
        for (; i < n && ids[i] / LEDE_DOCLEN_PAGE == pg; i++)
            page[ids[i] % LEDE_DOCLEN_PAGE] = 0;
        if ((rc = lede_store_put(t, LEDE_DB_DOCLENS, key, 4, page, sizeof page)) != LEDE_OK)
            return rc;
    }
    return LEDE_OK;
}

static int delete_doc(lede_index *ix, lede_txn *t, uint32_t docid, lede_stats_rec *st,
                      delagg *agg)
{
    uint8_t key[4];
    lede_val v;
    lede_docrec rec;
    lede_buf terms = LEDE_BUF_INIT, val = LEDE_BUF_INIT;
    char *body = NULL, *coldmem = NULL;
    size_t body_len = 0, cold_len = 0;
    uint32_t len, title_len;
    int rc;

    lede_set_u32be(key, docid);
    rc = lede_store_get(t, LEDE_DB_DOCS, key, 4, &v);
    if (rc == LEDE_ENOTFOUND)
        return LEDE_OK; /* already gone */
    if (rc != LEDE_OK || (rc = lede_docrec_decode(&rec, v.data, v.len)) != LEDE_OK)
        goto cleanup;
    /* The record's bytes point into the map, which writes may move: its
     * compressed rest is decompressed into memory of our own. */
    uint32_t rec_len = rec.len;
    lede_doccold cold;
    worker *mw = &ix->workers[ix->nthreads];
    rc = lede_zframe_decode(mw->dctx, ix->ddict[LEDE_ZDICT_DOCS], rec.cold, rec.cold_len, &coldmem, &cold_len);
    if (rc == LEDE_OK && lede_doccold_decode(&cold, coldmem, cold_len) != LEDE_OK)
        rc = LEDE_ECORRUPT;
    if (rc != LEDE_OK) {
        set_msg(ix, "cannot delete document %u: its record is unreadable", docid);
        goto cleanup;
    }
    const char *title = cold.title;
    size_t title_bytes = cold.title_bytes;
    const uint8_t *frame;
    size_t flen;
    rc = lede_text_frame(t, docid, &val, &frame, &flen);
    if (rc == LEDE_OK)
        rc = lede_zframe_decode(mw->dctx, ix->ddict[LEDE_ZDICT_TEXT], frame, flen, &body, &body_len);
    if (rc != LEDE_OK) {
        set_msg(ix, "cannot delete document %u: its stored text is unreadable", docid);
        goto cleanup;
    }
    rc = analyze_doc(mw, title, title_bytes, body, body_len, &terms, NULL, &len, &title_len);
    if (rc != LEDE_OK)
        goto cleanup;

    const vhdr *hd;
    const vrec *recs;
    const uint32_t *vpos;
    const uint8_t *strs;
    if (vector_parts(&terms, &hd, &recs, &vpos, &strs) != 0) {
        rc = LEDE_ECORRUPT;
        goto cleanup;
    }
    (void)vpos;
    for (int f = 0; f < 3 && rc == LEDE_OK; f++) {
        uint32_t n = hd->n[f];
        for (uint32_t i = 0; i < n; i++) {
            const vrec *vr = recs++;
            uint32_t tl = vr->len, tf = vr->tf;
            const uint8_t *s = strs + vr->off;
            if ((uint64_t)vr->off + tl > hd->nstrs) {
                rc = LEDE_ECORRUPT;
                break;
            }
            if (tl > LEDE_KEY_TERM_MAX)
                continue;
            if ((rc = delagg_add(agg, f, s, tl, tf)) != LEDE_OK)
                break;
        }
    }
    if (rc != LEDE_OK)
        goto cleanup;
    /* Its length is zeroed with the batch's others (zero_doclens). */
    if ((rc = lede_store_del(t, LEDE_DB_DOCS, key, 4)) != LEDE_OK ||
        (rc = del_text(t, docid)) != LEDE_OK ||
        (rc = lede_store_put(t, LEDE_DB_DELETED, key, 4, "", 0)) != LEDE_OK)
        goto cleanup;
    st->ndocs--;
    st->total_len -= rec_len;
    st->ndeleted++;
cleanup:
    free(body);
    free(coldmem);
    lede_buf_free(&terms);
    lede_buf_free(&val);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Runs and their merges                                               */
/* ------------------------------------------------------------------ */

/*
 * Each batch appends its chunks as a run of its own (format 4), so a batch
 * never copies a page written before it, whatever the index's size.  Runs
 * from small batches would leave each term with many small chunks: after a
 * batch is committed, when the MERGE_RUNS last runs are of one level and
 * together at most a MERGE_SHARE-th of the budget, they are merged into one
 * run of the next level (as a binary counter carries), in a transaction of
 * their own: every term's chunks in them are decoded, their deleted
 * documents dropped, and written again as full blocks.  The merge holds
 * its output and the pages it writes (LMDB reuses those it kept from the
 * batch), about twice the runs' bytes.  Larger runs are left alone, so a
 * transaction's pages stay bounded; a collection indexed in large batches
 * keeps about one run per batch.  The live runs, with their level and
 * bytes, are meta "runs": varint n, then n x (varint run, varint level,
 * varint bytes).
 */
#define MERGE_RUNS 8
#define MERGE_SHARE 8

typedef lede_run_rec runinfo;

/*
 * The documents of a run, for purges (below): a batch's run holds the
 * postings of the documents it added, ids lo..hi, and a merge's those of
 * the runs merged; gone counts the deleted ones among them whose postings
 * the run no longer holds (dropped when it was last written).  lo 0: not
 * known (a run written before these were kept), never purged.  Meta
 * "runs.docs": varint n, then n x (varint run, varint lo, varint hi,
 * varint gone); readers do not need it.
 */
typedef struct rundocs {
    uint32_t lo, hi, gone;
} rundocs;

typedef struct runtab {
    runinfo *r;
    rundocs *d; /* parallel to r */
    size_t n, cap;
} runtab;

static void runtab_free(runtab *rt)
{
    free(rt->r);
    free(rt->d);
    *rt = (runtab){0};
}

static int runtab_load(lede_txn *t, runtab *rt)
{
    lede_val v;
    runtab_free(rt);
    int rc = lede_store_get(t, LEDE_DB_META, "runs", 4, &v);
    if (rc == LEDE_ENOTFOUND)
        rc = (rt->r = malloc(2 * sizeof *rt->r)) ? LEDE_OK : LEDE_ENOMEM;
    else if (rc == LEDE_OK)
        rc = lede_runs_decode(v.data, v.len, &rt->r, &rt->n);
    /* Room for 2 more: a batch adds its run and a merge as many as it removes, less 7. */
    rt->cap = rt->n + 2;
    if (rc == LEDE_OK && !(rt->d = calloc(rt->cap, sizeof *rt->d)))
        rc = LEDE_ENOMEM;
    if (rc != LEDE_OK)
        return rc;
    if (lede_store_get(t, LEDE_DB_META, "runs.docs", 9, &v) != LEDE_OK)
        return LEDE_OK;
    lede_dec dec;
    lede_dec_init(&dec, v.data, v.len);
    uint64_t n = lede_dec_varint(&dec);
    size_t at = 0;
    for (uint64_t i = 0; i < n && dec.rc == LEDE_OK; i++) {
        uint64_t id = lede_dec_varint(&dec), lo = lede_dec_varint(&dec),
                 hi = lede_dec_varint(&dec), gone = lede_dec_varint(&dec);
        while (at < rt->n && rt->r[at].id < id)
            at++;
        /* Hints only: what does not fit the live runs is left unknown. */
        if (dec.rc == LEDE_OK && at < rt->n && rt->r[at].id == id && lo > 0 && lo <= hi &&
            hi <= UINT32_MAX && gone <= hi - lo + 1)
            rt->d[at] = (rundocs){(uint32_t)lo, (uint32_t)hi, (uint32_t)gone};
    }
    return LEDE_OK;
}

static int runtab_store(lede_txn *t, const runtab *rt)
{
    lede_buf b = LEDE_BUF_INIT, d = LEDE_BUF_INIT;
    size_t known = 0;
    lede_buf_put_varint(&b, rt->n);
    for (size_t i = 0; i < rt->n; i++) {
        lede_buf_put_varint(&b, rt->r[i].id);
        lede_buf_put_varint(&b, rt->r[i].level);
        lede_buf_put_varint(&b, rt->r[i].bytes);
        known += rt->d[i].lo > 0;
    }
    lede_buf_put_varint(&d, known);
    for (size_t i = 0; i < rt->n; i++)
        if (rt->d[i].lo > 0) {
            lede_buf_put_varint(&d, rt->r[i].id);
            lede_buf_put_varint(&d, rt->d[i].lo);
            lede_buf_put_varint(&d, rt->d[i].hi);
            lede_buf_put_varint(&d, rt->d[i].gone);
        }
    int rc = put_buf(t, LEDE_DB_META, "runs", 4, &b);
    if (rc == LEDE_OK)
        rc = put_buf(t, LEDE_DB_META, "runs.docs", 9, &d);
    lede_buf_free(&b);
    lede_buf_free(&d);
    return rc;
}

static int runtab_push(runtab *rt, runinfo ri, rundocs rd)
{
    if (rt->n == rt->cap)
        return LEDE_EINVAL; /* cannot happen: see runtab_load */
    rt->d[rt->n] = rd;
    rt->r[rt->n++] = ri;
    return LEDE_OK;
}

/* A cursor over one run's chunks of a field, in term order. */
typedef struct runcur {
    lede_cursor *c;
    lede_val k, v;
    uint32_t run;
    int on;            /* k, v hold a chunk of the run */
} runcur;

static int runcur_step(runcur *rc, int rcode)
{
    if (rcode == LEDE_ITEROVER) {
        rc->on = 0;
        return LEDE_OK;
    }
    if (rcode != LEDE_OK)
        return rcode;
    rc->on = rc->k.len > LEDE_CHUNK_KEY_EXTRA &&
             lede_get_u32be((const uint8_t *)rc->k.data) == rc->run;
    return LEDE_OK;
}

static int runcur_cmp(const runcur *a, const uint8_t *term, size_t len)
{
    size_t al = a->k.len - LEDE_CHUNK_KEY_EXTRA;
    int c = memcmp((const uint8_t *)a->k.data + 4, term, LEDE_MIN(al, len));
    return c ? c : (al > len) - (al < len);
}

/* Whether run holds chunks of term (c: a cursor on the field's chunks). */
static int run_has_term(lede_cursor *c, uint32_t run, const uint8_t *term, size_t tl)
{
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    lede_val k;
    size_t kl = lede_chunk_key(key, run, (const char *)term, tl, 0);
    return lede_store_cursor_seek(c, key, kl, &k, NULL) == LEDE_OK && k.len == kl &&
           memcmp(k.data, key, kl - 4) == 0;
}

/*
 * Merge runs rs[0, k) (consecutive live runs, in order) of field f into one
 * run numbered rs[0]: read and encode every term's chunks of them first
 * (out), then delete them, write the new chunks and put the few records
 * that change.  later[0, nlater) are the live runs after them: none for a
 * merge of the last runs, whose keys then sort after every other again and
 * are appended; a purge (k = 1) of an older run puts them back in its place.
 */
static int merge_field(lede_index *ix, lede_txn *t, int f, const uint32_t *rs, size_t k,
                       const uint32_t *later, size_t nlater, uint64_t *bytes)
{
    runcur cur[MERGE_RUNS];
    lede_buf out = LEDE_BUF_INIT, chunks = LEDE_BUF_INIT, recbuf = LEDE_BUF_INIT;
    uint8_t term[LEDE_KEY_TERM_MAX + 1], key[LEDE_CHUNK_KEY_MAX];
    worker *mw = &ix->workers[ix->nthreads];
    int rc = LEDE_OK;

    lede_cursor *seek = NULL; /* for run_has_term */
    memset(cur, 0, sizeof cur);
    if (!mw->enc && !(mw->enc = calloc(1, sizeof *mw->enc)))
        return LEDE_ENOMEM;
    if (nlater && (rc = lede_store_cursor_open(&seek, t, LEDE_DB_POST(f))) != LEDE_OK)
        return rc;
    encoder *en = mw->enc;
    /* The chunks and records read fault in map pages (and the kernel
     * their neighbours): drop them as they add up, as batches do. */
    releaser rl;
    size_t nterms = 0;
    releaser_start(ix, &rl);
    for (size_t i = 0; i < k && rc == LEDE_OK; i++) {
        uint8_t rk[4];
        lede_set_u32be(rk, rs[i]);
        cur[i].run = rs[i];
        if ((rc = lede_store_cursor_open(&cur[i].c, t, LEDE_DB_POST(f))) == LEDE_OK)
            rc = runcur_step(&cur[i], lede_store_cursor_seek(cur[i].c, rk, 4, &cur[i].k, &cur[i].v));
    }
    while (rc == LEDE_OK) {
        /* The smallest term of the runs' next chunks. */
        const runcur *m = NULL;
        for (size_t i = 0; i < k; i++)
            if (cur[i].on && (!m || runcur_cmp(&cur[i], (const uint8_t *)m->k.data + 4,
                                               m->k.len - LEDE_CHUNK_KEY_EXTRA) < 0))
                m = &cur[i];
        if (!m)
            break;
        if (++nterms % 256 == 0)
            releaser_check(ix, &rl);
        size_t tl = m->k.len - LEDE_CHUNK_KEY_EXTRA;
        if (tl > LEDE_KEY_TERM_MAX) {
            rc = LEDE_ECORRUPT;
            break;
        }
        memcpy(term, (const uint8_t *)m->k.data + 4, tl);
        /* Its chunks, run by run, deleted documents dropped. */
        plist *pl = &en->pl;
        pl->n = pl->npos = 0;
        for (size_t i = 0; i < k && rc == LEDE_OK; i++) {
            while (rc == LEDE_OK && cur[i].on && runcur_cmp(&cur[i], term, tl) == 0) {
                lede_val pv = {NULL, 0};
                if (lede_space_positions(f) &&
                    (rc = lede_store_get(t, LEDE_DB_POS(f), cur[i].k.data, cur[i].k.len, &pv)) != LEDE_OK)
                    break;
                rc = load_chunk_values(ix, f, cur[i].v.data, cur[i].v.len, pv.data, pv.len, pl,
                                       &en->scratch);
                if (rc == LEDE_OK)
                    rc = runcur_step(&cur[i], lede_store_cursor_next(cur[i].c, &cur[i].k, &cur[i].v));
            }
        }
        if (rc != LEDE_OK)
            break;
        /* Its chunks again, under the first merged run's number. */
        lede_val v;
        lede_terminfo_rec ti;
        if ((rc = lede_store_get(t, LEDE_DB_TERMS(f), term, tl, &v)) != LEDE_OK ||
            (lede_buf_reset(&recbuf), lede_buf_append(&recbuf, v.data, v.len), recbuf.rc) != LEDE_OK ||
            (rc = lede_terminfo_decode(&ti, f, recbuf.data, recbuf.len)) != LEDE_OK ||
            ti.first_run == 0 || ti.first_run > rs[k - 1]) {
            rc = rc == LEDE_ENOTFOUND || rc == LEDE_OK ? LEDE_ECORRUPT : rc;
            break;
        }
        uint32_t first = ti.first_run, nchunks;
        int in_record;
        lede_buf_reset(&chunks);
        if ((rc = encode_lists(f, en, &ti, rs[0], &chunks, &nchunks, &in_record)) != LEDE_OK)
            break;
        out_u32(&out, (uint32_t)tl);
        lede_buf_append(&out, term, tl);
        out_u32(&out, nchunks);
        lede_buf_append(&out, chunks.data, chunks.len);
        /* The record changes only when its first run was merged into the
         * first one, or the merge dropped its postings there: then its
         * chunks start in a later run, or it has none left. */
        if (first > rs[0] || (first == rs[0] && nchunks == 0)) {
            if (nchunks == 0) {
                uint32_t next = 0;
                for (size_t i = 0; i < nlater && !next; i++)
                    if (run_has_term(seek, later[i], term, tl))
                        next = later[i];
                if (next) {
                    ti.first_run = next;
                } else if (ti.df != 0) {
                    rc = LEDE_ECORRUPT; /* live documents but no posting left */
                    break;
                } else {
                    ti = (lede_terminfo_rec){0};
                }
            } else {
                ti.first_run = rs[0];
            }
            rc = encode_record(en, &ti, &out);
        } else {
            out_u32(&out, 0);
        }
        if (rc == LEDE_OK && out.rc != LEDE_OK)
            rc = LEDE_ENOMEM;
        if (rc != LEDE_OK)
            break;
    }
    for (size_t i = 0; i < k; i++)
        lede_store_cursor_close(cur[i].c);
    lede_store_cursor_close(seek);
    /* Delete the merged runs' chunks, then write. */
    for (int db = 0; db < 2 && rc == LEDE_OK; db++) {
        if (db == 1 && !lede_space_positions(f))
            break;
        lede_cursor *c = NULL;
        lede_val dk;
        uint8_t rk[4];
        lede_set_u32be(rk, rs[0]);
        if ((rc = lede_store_cursor_open(&c, t, db ? LEDE_DB_POS(f) : LEDE_DB_POST(f))) != LEDE_OK)
            break;
        for (rc = lede_store_cursor_seek(c, rk, 4, &dk, NULL);
             rc == LEDE_OK && dk.len >= 4 && lede_get_u32be(dk.data) <= rs[k - 1];
             rc = lede_store_cursor_next(c, &dk, NULL))
            if ((rc = lede_store_cursor_del(c)) != LEDE_OK)
                break;
        lede_store_cursor_close(c);
        if (rc == LEDE_ITEROVER || rc == LEDE_OK)
            rc = LEDE_OK;
    }
    const uint8_t *p = out.data, *end = lede_buf_end(&out);
    while (rc == LEDE_OK && p < end) {
        uint32_t tl = in_u32(&p);
        const uint8_t *ts = p;
        p += tl;
        uint32_t nchunks = in_u32(&p);
        for (uint32_t c = 0; c < nchunks && rc == LEDE_OK; c++) {
            uint32_t k0 = in_u32(&p), pl = in_u32(&p), ql = in_u32(&p);
            size_t kl = lede_chunk_key(key, rs[0], (const char *)ts, tl, k0);
            rc = (nlater ? lede_store_put : lede_store_append)(t, LEDE_DB_POST(f), key, kl,
                                                               pl ? (const void *)p : "", pl);
            p += pl;
            if (rc == LEDE_OK && lede_space_positions(f))
                rc = (nlater ? lede_store_put : lede_store_append)(t, LEDE_DB_POS(f), key, kl,
                                                                   ql ? (const void *)p : "", ql);
            p += ql;
            *bytes += (uint64_t)pl + ql;
        }
        uint32_t vl = in_u32(&p);
        if (rc == LEDE_OK && vl > 0)
            rc = lede_store_put(t, LEDE_DB_TERMS(f), ts, tl, p, vl);
        p += vl;
    }
    lede_buf_free(&out);
    lede_buf_free(&chunks);
    lede_buf_free(&recbuf);
    return rc;
}

/* How many of the documents lo..hi are deleted: a walk over those keys of
 * "deleted" only, so it costs what the range holds, not the index's size. */
static int deleted_in(lede_txn *t, uint32_t lo, uint32_t hi, uint32_t *n)
{
    lede_cursor *c = NULL;
    lede_val k;
    uint8_t key[4];
    int rc = lede_store_cursor_open(&c, t, LEDE_DB_DELETED);
    *n = 0;
    lede_set_u32be(key, lo);
    for (rc = rc == LEDE_OK ? lede_store_cursor_seek(c, key, 4, &k, NULL) : rc;
         rc == LEDE_OK && k.len == 4 && lede_get_u32be(k.data) <= hi;
         rc = lede_store_cursor_next(c, &k, NULL))
        ++*n;
    lede_store_cursor_close(c);
    return rc == LEDE_OK || rc == LEDE_ITEROVER ? LEDE_OK : rc;
}

/* Whether the last MERGE_RUNS runs have one level and fit the merge bound
 * (see above) together. */
static int merge_due(const lede_index *ix, const runtab *rt)
{
    if (rt->n < MERGE_RUNS)
        return 0;
    const runinfo *tail = rt->r + rt->n - MERGE_RUNS;
    uint64_t total = 0;
    for (size_t i = 0; i < MERGE_RUNS; i++) {
        if (tail[i].level != tail[MERGE_RUNS - 1].level)
            return 0;
        total += tail[i].bytes;
    }
    return total <= ix->budget / MERGE_SHARE;
}

/* Merge the last runs while that is due (see above), in transaction t. */
static int merge_runs(lede_index *ix, lede_txn *t, runtab *rt)
{
    int rc;
    while (merge_due(ix, rt)) {
        runinfo *tail = rt->r + rt->n - MERGE_RUNS;
        if ((rc = load_old(ix, t)) != LEDE_OK)
            return rc;
        uint32_t rs[MERGE_RUNS];
        for (size_t i = 0; i < MERGE_RUNS; i++)
            rs[i] = tail[i].id;
        uint64_t bytes = 0;
        for (int f = 0; f < 3; f++)
            if ((rc = merge_field(ix, t, f, rs, MERGE_RUNS, NULL, 0, &bytes)) != LEDE_OK)
                return rc;
        runinfo merged = {rs[0], tail[MERGE_RUNS - 1].level + 1, bytes};
        /* The merged run's documents: the runs' together, when all known. */
        const rundocs *td = rt->d + rt->n - MERGE_RUNS;
        rundocs md = {td[0].lo, td[MERGE_RUNS - 1].hi, 0};
        for (size_t i = 0; i < MERGE_RUNS; i++)
            if (!td[i].lo)
                md.lo = 0;
        if (md.lo && (rc = deleted_in(t, md.lo, md.hi, &md.gone)) != LEDE_OK)
            return rc;
        rt->n -= MERGE_RUNS;
        if (bytes > 0 && (rc = runtab_push(rt, merged, md)) != LEDE_OK)
            return rc;
    }
    return LEDE_OK;
}

/*
 * Purges.  A document replaced or deleted leaves its postings in its run
 * (readers skip them: meta "deleted"); merges drop them, but runs larger
 * than the merge bound are never merged, so a collection whose documents
 * are all replaced now and then (a dump re-indexed with changed records)
 * would grow by their postings each time.  After a commit, a run holding
 * at least PURGE_SHARE-th of its documents deleted since it was written, and
 * within the merge bound, is rewritten alone: merge_field with one run,
 * which drops them and refills the blocks.  One run per transaction, most
 * deleted first.  The run keeps its number; a term record changes only
 * when the run was its first one and lost all its postings there.
 */
#define PURGE_SHARE 3
#define PURGE_MAX 8 /* purges after one commit, at most */

/* The run of rt most worth a purge (see above), or -1. */
static long purge_due(const lede_index *ix, lede_txn *t, const runtab *rt, int *rc)
{
    long best = -1;
    double best_share = 0;
    lede_stats_rec st;
    *rc = load_stats(t, &st);
    if (*rc != LEDE_OK || st.ndeleted == 0)
        return -1;
    for (size_t i = 0; i < rt->n; i++) {
        const rundocs *d = &rt->d[i];
        if (!d->lo || rt->r[i].bytes > ix->budget / MERGE_SHARE)
            continue;
        uint32_t del;
        if ((*rc = deleted_in(t, d->lo, d->hi, &del)) != LEDE_OK)
            return -1;
        uint32_t dead = del > d->gone ? del - d->gone : 0;
        uint64_t held = (uint64_t)d->hi - d->lo + 1 - d->gone;
        double share = held ? (double)dead / (double)held : 0;
        if (dead > 0 && dead * (uint64_t)PURGE_SHARE >= held && share > best_share) {
            best = (long)i;
            best_share = share;
        }
    }
    return best;
}

/* Purge run i of rt (see above), in transaction t. */
static int purge_run(lede_index *ix, lede_txn *t, runtab *rt, size_t i)
{
    int rc;
    uint64_t bytes = 0;
    /* merge_field drops the postings load_old says are deleted. */
    if ((rc = load_old(ix, t)) != LEDE_OK)
        return rc;
    uint32_t *later = malloc((rt->n - i) * sizeof *later);
    if (!later)
        return LEDE_ENOMEM;
    for (size_t j = i + 1; j < rt->n; j++)
        later[j - i - 1] = rt->r[j].id;
    for (int f = 0; f < 3; f++)
        if ((rc = merge_field(ix, t, f, &rt->r[i].id, 1, later, rt->n - i - 1, &bytes)) != LEDE_OK)
            goto cleanup;
    if ((rc = deleted_in(t, rt->d[i].lo, rt->d[i].hi, &rt->d[i].gone)) != LEDE_OK)
        goto cleanup;
    rt->r[i].bytes = bytes;
    if (bytes == 0) { /* nothing live was left in it */
        memmove(rt->r + i, rt->r + i + 1, (rt->n - i - 1) * sizeof *rt->r);
        memmove(rt->d + i, rt->d + i + 1, (rt->n - i - 1) * sizeof *rt->d);
        rt->n--;
    }
cleanup:
    free(later);
    return rc;
}

/* One purge, if one is due, in a transaction of its own; *done says. */
static int purge_txn(lede_index *ix, lede_txn *t, void *arg)
{
    int *done = arg, rc;
    runtab rt = {0};
    *done = 0;
    if ((rc = runtab_load(t, &rt)) == LEDE_OK) {
        long i = purge_due(ix, t, &rt, &rc);
        if (i >= 0 && (rc = purge_run(ix, t, &rt, (size_t)i)) == LEDE_OK &&
            (rc = runtab_store(t, &rt)) == LEDE_OK)
            *done = 1;
    }
    runtab_free(&rt);
    return rc;
}

/*
 * The paths shared by several documents ("paths": BE32 ref -> path, NUL),
 * loaded for a batch: path -> ref.  A document whose path is in the table,
 * or is that of the document added just before or after it (the lines of
 * one JSONL file), stores the ref; any other keeps its path inline, so a
 * directory of files costs no more than before.
 */
typedef struct pathtab {
    char **paths;   /* by slot; NULL: empty */
    uint32_t *refs;
    size_t n, cap;
    uint32_t next;  /* the next ref to give */
} pathtab;

static void pathtab_free(pathtab *pt)
{
    for (size_t i = 0; i < pt->cap; i++)
        free(pt->paths[i]);
    free(pt->paths);
    free(pt->refs);
}

static size_t pathtab_slot(const pathtab *pt, const char *p, size_t len)
{
    size_t j = XXH3_64bits(p, len) & (pt->cap - 1);
    while (pt->paths[j] && strcmp(pt->paths[j], p) != 0)
        j = (j + 1) & (pt->cap - 1);
    return j;
}

static int pathtab_add(pathtab *pt, const char *p, size_t len, uint32_t ref)
{
    if ((pt->n + 1) * 2 > pt->cap) {
        pathtab old = *pt;
        pt->cap = old.cap ? old.cap * 2 : 16;
        pt->paths = calloc(pt->cap, sizeof *pt->paths);
        pt->refs = calloc(pt->cap, sizeof *pt->refs);
        if (!pt->paths || !pt->refs) {
            free(pt->paths);
            free(pt->refs);
            *pt = old;
            return LEDE_ENOMEM;
        }
        for (size_t i = 0; i < old.cap; i++) {
            if (!old.paths[i])
                continue;
            size_t j = pathtab_slot(pt, old.paths[i], strlen(old.paths[i]));
            pt->paths[j] = old.paths[i];
            pt->refs[j] = old.refs[i];
        }
        free(old.paths);
        free(old.refs);
    }
    size_t j = pathtab_slot(pt, p, len);
    if (!(pt->paths[j] = strndup(p, len)))
        return LEDE_ENOMEM;
    pt->refs[j] = ref;
    pt->n++;
    if (ref >= pt->next)
        pt->next = ref + 1;
    return LEDE_OK;
}

static int pathtab_load(pathtab *pt, lede_txn *t)
{
    lede_cursor *c = NULL;
    lede_val k, v;
    int rc = lede_store_cursor_open(&c, t, LEDE_DB_PATHS);
    pt->next = 1;
    if (rc != LEDE_OK)
        return rc;
    for (rc = lede_store_cursor_first(c, &k, &v); rc == LEDE_OK; rc = lede_store_cursor_next(c, &k, &v)) {
        if (k.len != 4 || v.len == 0 || memchr(v.data, 0, v.len) != (const char *)v.data + v.len - 1) {
            rc = LEDE_ECORRUPT;
            break;
        }
        if ((rc = pathtab_add(pt, v.data, v.len - 1, lede_get_u32be(k.data))) != LEDE_OK)
            break;
    }
    lede_store_cursor_close(c);
    return rc == LEDE_ITEROVER ? LEDE_OK : rc;
}

static int same_path(const wdoc *a, const wdoc *b)
{
    return !b->is_delete && a->path_len == b->path_len && memcmp(a->path, b->path, a->path_len) == 0;
}

/* The ref of ops[i]'s path, added to the table (and "paths") when it is
 * shared with a neighbour; 0: keep it inline. */
static int path_ref(lede_index *ix, lede_txn *t, pathtab *pt, size_t i, uint32_t *ref)
{
    const wdoc *d = ix->ops[i];
    *ref = 0;
    if (!d->path_len)
        return LEDE_OK;
    if (pt->cap) {
        size_t j = pathtab_slot(pt, d->path, d->path_len);
        if (pt->paths[j]) {
            *ref = pt->refs[j];
            return LEDE_OK;
        }
    }
    if (!(i > 0 && same_path(d, ix->ops[i - 1])) && !(i + 1 < ix->nops && same_path(d, ix->ops[i + 1])))
        return LEDE_OK;
    uint8_t key[4];
    uint32_t r = pt->next;
    lede_set_u32be(key, r);
    int rc = lede_store_put(t, LEDE_DB_PATHS, key, 4, d->path, d->path_len + 1);
    if (rc == LEDE_OK)
        rc = pathtab_add(pt, d->path, d->path_len, r);
    if (rc == LEDE_OK)
        *ref = r;
    return rc;
}

/* Ops by id key, then by op index (the order of two ops on one id stays). */
typedef struct idkey {
    uint32_t off, len, op;
} idkey;

static int cmp_idkeys(const void *a, const void *b, void *arg)
{
    const idkey *x = a, *y = b;
    const uint8_t *base = arg;
    int c = memcmp(base + x->off, base + y->off, LEDE_MIN(x->len, y->len));
    if (c == 0)
        c = x->len < y->len ? -1 : x->len > y->len;
    if (c == 0)
        c = x->op < y->op ? -1 : 1;
    return c;
}

/* ------------------------------------------------------------------ */
/* Stems spelt like their only word                                     */
/* ------------------------------------------------------------------ */

/* The batch's word spelt s[0, len), or NULL.  fieldbuf_term's probe without
 * its insert: one probe shared by both cost merge_range 4% of its
 * instructions (callgrind, 5,000 Reuters documents). */
static gterm *fieldbuf_find(fieldbuf *b, const uint8_t *s, size_t len)
{
    if (!b->nslots)
        return NULL;
    uint64_t h = XXH3_64bits(s, len);
    uint64_t hi = h & 0xffffffff00000000u;
    for (size_t j = h & (b->nslots - 1); b->slots[j]; j = (j + 1) & (b->nslots - 1)) {
        uint64_t v = b->slots[j];
        gterm *e = &b->t[(v & 0xffffffffu) - 1];
        if ((v & 0xffffffff00000000u) == hi && e->len == len &&
            memcmp(b->strs.data + e->off, s, len) == 0)
            return e;
    }
    return NULL;
}

/* Append the live postings of word term[0, len) (record wti) to pl. */
static int load_word_list(lede_index *ix, lede_txn *t, const runtab *rt, const uint8_t *term,
                          size_t len, const lede_terminfo_rec *wti, plist *pl)
{
    const int f = LEDE_FIELD_WORD;
    if (wti->first_run == 0)
        return wti->inl.n ? load_inline_values(ix, f, wti, pl, &ix->scratch) : LEDE_OK;
    lede_cursor *c = NULL;
    uint8_t key[LEDE_CHUNK_KEY_MAX];
    int rc = lede_store_cursor_open(&c, t, LEDE_DB_POST(f));
    for (size_t r = 0; r < rt->n && rc == LEDE_OK; r++) {
        if (rt->r[r].id < wti->first_run)
            continue;
        size_t kl = lede_chunk_key(key, rt->r[r].id, (const char *)term, len, 0);
        lede_val k, v, pv;
        for (rc = lede_store_cursor_seek(c, key, kl, &k, &v); rc == LEDE_OK;
             rc = lede_store_cursor_next(c, &k, &v)) {
            if (k.len != kl || memcmp(k.data, key, kl - 4) != 0)
                break;
            if ((rc = lede_store_get(t, LEDE_DB_POS(f), k.data, k.len, &pv)) != LEDE_OK ||
                (rc = load_chunk_values(ix, f, v.data, v.len, pv.data, pv.len, pl,
                                        &ix->scratch)) != LEDE_OK)
                break;
        }
        if (rc == LEDE_ITEROVER || rc == LEDE_ENOTFOUND)
            rc = LEDE_OK;
    }
    lede_store_cursor_close(c);
    return rc == LEDE_ENOTFOUND ? LEDE_ECORRUPT : rc;
}

/*
 * Most stems have one spelling in the collection, and most of those are
 * spelt like it ("oil", "1987", "said"): their postings would be the
 * word's, doc ids and tfs alike (the stem space has no positions).  Such a
 * stem gets no record: the word's record is flagged stem_alias, and a
 * reader that finds no stem record reads the flagged word's (on
 * Reuters-21578, 45,368 of 58,408 stems).
 *
 * Before the batch's stems are written, each one the batch holds is looked
 * at.  It stays or becomes an alias when every token of it in the batch was
 * spelt like it, every token of that word had it for stem (gterm.mixed),
 * and it has no record: the word's record is then flagged (or already was)
 * and nothing is written for the stem.  A stem that has no record, whose
 * word is flagged, and which the batch gives another spelling adopts the
 * word's postings: its first record holds them, then the batch's.  A stem
 * with a record keeps it; the word's stale flag is then ignored.
 */
static int plan_aliases(lede_index *ix, lede_txn *t, const runtab *rt, lede_stats_rec *st)
{
    fieldbuf *sb = &ix->fb[LEDE_FIELD_STEM], *wb = &ix->fb[LEDE_FIELD_WORD];
    int rc = LEDE_OK;
    /* A transaction retried after the map grew plans again. */
    adopted_free(ix);
    for (size_t i = 0; i < wb->n; i++)
        wb->t[i].alias = 0;
    releaser rl;
    releaser_start_lookups(ix, &rl);
    for (size_t i = 0; i < sb->n && rc == LEDE_OK; i++) {
        gterm *e = &sb->t[i];
        const uint8_t *s = sb->strs.data + e->off;
        if (i % 1024 == 1023)
            releaser_check(ix, &rl);
        e->alias = 0;
        e->adopt = 0;
        if (e->len > LEDE_KEY_TERM_MAX)
            continue;
        gterm *w = e->mixed ? NULL : fieldbuf_find(wb, s, e->len);
        int single = w && !w->mixed;
        lede_val v;
        if ((rc = lede_store_get(t, LEDE_DB_TERMS(LEDE_FIELD_STEM), s, e->len, &v)) == LEDE_OK)
            continue; /* a stem with a record keeps it */
        if (rc != LEDE_ENOTFOUND)
            break;
        lede_terminfo_rec wti = {0};
        rc = lede_store_get(t, LEDE_DB_TERMS(LEDE_FIELD_WORD), s, e->len, &v);
        if (rc == LEDE_OK)
            rc = lede_terminfo_decode(&wti, LEDE_FIELD_WORD, v.data, v.len);
        else if (rc == LEDE_ENOTFOUND)
            rc = LEDE_OK;
        if (rc != LEDE_OK)
            break;
        if (single && (wti.stem_alias || wti.df == 0)) {
            /* The word's postings are and stay the stem's. */
            e->alias = w->alias = 1;
            st->npostings[LEDE_FIELD_STEM] += e->df;
            if (wti.df == 0)
                st->nterms[LEDE_FIELD_STEM]++;
            continue;
        }
        if (!wti.stem_alias || wti.df == 0)
            continue; /* a new stem record, from the batch alone */
        /* A second spelling: the stem's record starts with the word's postings. */
        if (ix->nadopted % 64 == 0) {
            adopted *na = realloc(ix->adopted, (ix->nadopted + 64) * sizeof *na);
            if (!na)
                return LEDE_ENOMEM;
            ix->adopted = na;
        }
        adopted *a = &ix->adopted[ix->nadopted++];
        memset(a, 0, sizeof *a);
        a->df = wti.df;
        a->cf = wti.cf;
        e->adopt = (uint32_t)ix->nadopted;
        if ((rc = load_old(ix, t)) != LEDE_OK ||
            (rc = load_word_list(ix, t, rt, s, e->len, &wti, &a->pl)) != LEDE_OK)
            break;
        /* The stem was live already: write_window counts it again. */
        st->nterms[LEDE_FIELD_STEM]--;
    }
    return rc;
}

/*
 * The new mtimes of documents found unchanged by their bytes
 * (lede_index_touch): each record written again with only its mtime
 * changed, so that the next run skips the file without reading it.
 */
static int apply_touches(lede_index *ix, lede_txn *t, lede_buf *rec)
{
    uint8_t key[LEDE_ID_KEY_MAX + 32];
    lede_dec d;
    lede_dec_init(&d, ix->touches.data, ix->touches.len);
    while (d.p < d.end) {
        int64_t mtime = (int64_t)lede_dec_u64le(&d);
        size_t len = lede_dec_u32(&d);
        const uint8_t *id = lede_dec_bytes(&d, len);
        if (d.rc != LEDE_OK)
            return LEDE_ECORRUPT;
        lede_val v;
        lede_docrec r;
        int rc = lede_store_get(t, LEDE_DB_IDS, key, lede_id_key(key, (const char *)id, len), &v);
        if (rc == LEDE_ENOTFOUND)
            continue;
        if (rc != LEDE_OK)
            return rc;
        if (v.len != 4)
            return LEDE_ECORRUPT;
        uint8_t dk[4];
        memcpy(dk, v.data, 4);
        if ((rc = lede_store_get(t, LEDE_DB_DOCS, dk, 4, &v)) != LEDE_OK)
            return rc == LEDE_ENOTFOUND ? LEDE_ECORRUPT : rc;
        if ((rc = lede_docrec_decode(&r, v.data, v.len)) != LEDE_OK)
            return rc;
        /* (An id over 400 bytes is keyed by a hash: the record has it whole.) */
        if (r.mtime == mtime || r.id_len != len || memcmp(r.id, id, len) != 0)
            continue;
        lede_buf_reset(rec);
        lede_buf_put_str(rec, r.id, r.id_len);
        lede_buf_put_str(rec, r.date, strlen(r.date));
        lede_buf_put_varint(rec, r.path_ref);
        if (!r.path_ref)
            lede_buf_put_str(rec, r.path, strlen(r.path));
        lede_buf_put_varint(rec, r.len);
        lede_buf_put_varint(rec, r.title_len);
        lede_buf_put_varint(rec, lede_zigzag(mtime));
        lede_buf_put_varint(rec, r.size);
        lede_buf_put_u64le(rec, r.hash);
        lede_buf_append(rec, r.cold, r.cold_len);
        if ((rc = put_buf(t, LEDE_DB_DOCS, dk, 4, rec)) != LEDE_OK)
            return rc;
    }
    return LEDE_OK;
}

static int write_batch(lede_index *ix, lede_txn *t)
{
    lede_stats_rec st;
    lede_buf rec = LEDE_BUF_INIT, keys = LEDE_BUF_INIT;
    uint32_t *dels = NULL;
    idkey *order = NULL;
    pathtab pt = {0};
    runtab rt = {0};
    delagg agg = {0};
    size_t ndels = 0;
    uint8_t idkey_buf[LEDE_ID_KEY_MAX + 32];
    int rc;

    if ((rc = load_stats(t, &st)) != LEDE_OK || (rc = apply_touches(ix, t, &rec)) != LEDE_OK)
        goto cleanup;
    dels = malloc((ix->nops + 1) * sizeof *dels);
    order = malloc((ix->nops + 1) * sizeof *order);
    if (!dels || !order) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    /* The ids in key order: LMDB fills pages to the end when keys come in
     * order, and splits them in half when they do not (format 3). */
    for (size_t i = 0; i < ix->nops; i++) {
        const wdoc *d = ix->ops[i];
        size_t kl = lede_id_key(idkey_buf, d->id, d->id_len);
        order[i].off = (uint32_t)keys.len;
        order[i].len = (uint32_t)kl;
        order[i].op = (uint32_t)i;
        lede_buf_append(&keys, idkey_buf, kl);
    }
    if (keys.rc != LEDE_OK) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    qsort_r(order, ix->nops, sizeof *order, cmp_idkeys, keys.data);
    releaser rl;
    releaser_start_lookups(ix, &rl);
    for (size_t o = 0; o < ix->nops; o++) {
        const wdoc *d = ix->ops[order[o].op];
        if (o % 1024 == 1023)
            releaser_check(ix, &rl);
        const uint8_t *key = keys.data + order[o].off;
        size_t kl = order[o].len;
        lede_val v;
        rc = lede_store_get(t, LEDE_DB_IDS, key, kl, &v);
        if (rc == LEDE_OK && v.len == 4)
            dels[ndels++] = lede_get_u32be(v.data);
        else if (rc != LEDE_ENOTFOUND && rc != LEDE_OK)
            goto cleanup;
        rc = LEDE_OK;
        if (d->is_delete) {
            lede_store_del(t, LEDE_DB_IDS, key, kl);
            continue;
        }
        uint8_t dk[4];
        lede_set_u32be(dk, d->docid);
        if ((rc = lede_store_put(t, LEDE_DB_IDS, key, kl, dk, 4)) != LEDE_OK)
            goto cleanup;
    }
    /* Documents analysed before the records' dictionary was decided. */
    if ((rc = settle_records(ix, 0, ix->nops)) != LEDE_OK)
        goto cleanup;
    for (int k = 0; k < 2; k++) {
        const char *key = lede_zdict_key(k);
        if (ix->zdict[k] && !ix->zstored[k] &&
            (rc = lede_store_put(t, LEDE_DB_META, key, strlen(key), ix->zdict[k], ix->zdict_len[k])) != LEDE_OK)
            goto cleanup;
    }
    if ((rc = pathtab_load(&pt, t)) != LEDE_OK)
        goto cleanup;
    for (size_t i = 0; i < ix->nops; i++) {
        wdoc *d = ix->ops[i];
        if (d->is_delete)
            continue;
        uint8_t dk[4];
        uint32_t ref;
        lede_set_u32be(dk, d->docid);
        if ((rc = path_ref(ix, t, &pt, i, &ref)) != LEDE_OK)
            goto cleanup;
        lede_buf_reset(&rec);
        lede_buf_put_str(&rec, d->id, d->id_len);
        lede_buf_put_str(&rec, d->date ? d->date : "", d->date_len);
        lede_buf_put_varint(&rec, ref);
        if (!ref)
            lede_buf_put_str(&rec, d->path ? d->path : "", d->path_len);
        lede_buf_put_varint(&rec, d->len);
        lede_buf_put_varint(&rec, d->title_len);
        lede_buf_put_varint(&rec, lede_zigzag(d->mtime));
        lede_buf_put_varint(&rec, d->size);
        lede_buf_put_u64le(&rec, d->hash);
        /* The title, meta and entity list, compressed by analyze_one. */
        lede_buf_append(&rec, d->ents.data, d->ents.len);
        /* Doc ids only grow: documents and texts always append. */
        if ((rc = put_buf_at(t, LEDE_DB_DOCS, dk, 4, &rec, 1)) != LEDE_OK ||
            (rc = put_text(t, d->docid, &d->ztext)) != LEDE_OK)
            goto cleanup;
        st.ndocs++;
        st.total_len += d->len;
    }
    /* The batch's chunks go in a run of their own. */
    if ((rc = runtab_load(t, &rt)) != LEDE_OK)
        goto cleanup;
    ix->run = (rt.n ? rt.r[rt.n - 1].id : 0) + 1; /* after every live run's keys */
    ix->run_bytes = 0;
    if (ix->next_docid > ix->committed_max) {
        rc = set_doclens(t, ix->committed_max + 1, ix->next_docid - ix->committed_max,
                         ix->batch_lens);
        if (rc != LEDE_OK)
            goto cleanup;
        st.max_docid = ix->next_docid;
    }
    /* The documents this batch deletes count as deleted already for the
     * lists it rewrites, which then drop their postings too. */
    if (ndels > 0 && (rc = load_old(ix, t)) == LEDE_OK)
        for (size_t i = 0; i < ndels && rc == LEDE_OK; i++)
            rc = mark_deleted(ix, dels[i]);
    if (rc != LEDE_OK)
        goto cleanup;
    if ((rc = plan_aliases(ix, t, &rt, &st)) != LEDE_OK)
        goto cleanup;
    for (int f = 0; f < 3; f++)
        if ((rc = flush_field(ix, t, f, &st)) != LEDE_OK)
            goto cleanup;
    if (ix->run_bytes > 0 &&
        (rc = runtab_push(&rt, (runinfo){ix->run, 0, ix->run_bytes},
                          (rundocs){ix->committed_max + 1, ix->next_docid, 0})) != LEDE_OK)
        goto cleanup;
    if ((rc = runtab_store(t, &rt)) != LEDE_OK)
        goto cleanup;
    if (ndels > 1)
        qsort(dels, ndels, sizeof *dels, cmp_u32);
    for (size_t i = 0; i < ndels; i++)
        if ((rc = delete_doc(ix, t, dels[i], &st, &agg)) != LEDE_OK)
            goto cleanup;
    if ((rc = delagg_apply(ix, t, &agg, &st)) != LEDE_OK ||
        (rc = zero_doclens(t, dels, ndels)) != LEDE_OK)
        goto cleanup;
    lede_buf_reset(&rec);
    lede_stats_encode(&rec, &st);
    rc = put_buf(t, LEDE_DB_META, "stats", 5, &rec);
cleanup:
    adopted_free(ix);
    free(dels);
    free(order);
    delagg_free(&agg);
    runtab_free(&rt);
    pathtab_free(&pt);
    lede_buf_free(&rec);
    lede_buf_free(&keys);
    return rc;
}

/* Expected distinct pages hit by n updates spread over p pages:
 * p(1 - e^(-n/p)), approximated by np/(n + p) (never above n or p). */
static double pages_hit(double n, double p)
{
    return n + p > 0 ? n * p / (n + p) : 0;
}

/*
 * LMDB keeps every page a write transaction dirties in memory until the
 * commit (and keeps the memory afterwards for the next one), so a batch
 * costs its buffers plus those pages.  Estimate them from the page counts
 * of the databases before and after the batch: the new pages, plus the
 * existing pages the batch's term and id updates rewrite, plus the branch
 * pages above them (chunks are appended: they only make new pages).  Only page counts go in, never timings or the
 * RSS, so the batches (and the index) stay the same whatever -j is.
 */
static void note_write(lede_index *ix, const lede_db_pages *before, const lede_db_pages *after,
                       size_t buffered)
{
    double fresh = 0, fixed = 0;
    uint32_t psize = after[0].psize ? after[0].psize : 4096;
    for (int db = 0; db < LEDE_DB_COUNT; db++) {
        uint64_t b = before[db].branch + before[db].leaf + before[db].overflow;
        uint64_t a = after[db].branch + after[db].leaf + after[db].overflow;
        if (a > b)
            fresh += (double)(a - b);
        fixed += (double)after[db].branch;
    }
    for (int f = 0; f < 3; f++) {
        double n = (double)ix->fb[f].n;
        fixed += pages_hit(n, (double)after[LEDE_DB_TERMS(f)].leaf);
    }
    fixed += pages_hit((double)ix->nops, (double)after[LEDE_DB_IDS].leaf);
    ix->write_ratio = buffered ? fresh * psize / (double)buffered : 1.0;
    ix->write_fixed = (size_t)(fixed * psize);
    /* LMDB frees a transaction's pages into a list of its own, reused by the
     * next transactions and never given back: they stay resident beside the
     * next batch's buffers. */
    size_t dirty = (size_t)((fresh + fixed) * psize);
    if (dirty > ix->write_kept)
        ix->write_kept = dirty;
}

static void db_pages_all(lede_txn *t, lede_db_pages *out)
{
    for (int db = 0; db < LEDE_DB_COUNT; db++)
        if (lede_store_db_pages(t, (lede_db)db, &out[db]) != LEDE_OK)
            memset(&out[db], 0, sizeof out[db]);
}

/* What one write transaction does: a batch (write_batch) or a merge of runs. */
typedef int (*txn_fn)(lede_index *ix, lede_txn *t, void *arg);

/*
 * Run fn in one write transaction and commit it; when LMDB reports the map
 * full, abort, double the map and run it again.  On failure the message
 * says what was lost: "what" (e.g. "the last 12 documents were not
 * written").
 */
static int in_txn(lede_index *ix, txn_fn fn, void *arg, const char *what)
{
    lede_txn *t = NULL;
    int rc;
    for (;;) {
        if ((rc = lede_store_begin(&t, ix->s, 1)) != LEDE_OK) {
            set_msg(ix, "cannot start a write transaction on %s: %s", ix->dir, lede_strerror(rc));
            return rc;
        }
        rc = fn(ix, t, arg);
        int err = lede_store_txn_error(t);
        if (rc == LEDE_OK) {
            rc = lede_store_commit(t);
            t = NULL;
            if (rc == LEDE_EFULL) {
                /* The commit's own pages (the free list) can fill the map
                 * too: only a system error means the disk is full. */
                err = lede_store_commit_error(ix->s);
                if (!lede_store_is_map_full(err) && err < 0)
                    err = ENOSPC;
            }
        } else {
            lede_store_abort(t);
            t = NULL;
        }
        if (rc == LEDE_OK)
            return LEDE_OK;
        if (rc == LEDE_EFULL && lede_store_is_map_full(err)) {
            uint64_t cur = lede_store_mapsize(ix->s), want = cur * 2;
            if (ix->max_size && want > ix->max_size)
                want = ix->max_size;
            if (want > cur && lede_store_grow(ix->s, want) == LEDE_OK &&
                lede_store_mapsize(ix->s) > cur)
                continue; /* run it again in the larger map */
            if (ix->max_size && want <= cur)
                set_msg(ix, "the index in %s reached its size limit of %llu bytes; %s", ix->dir,
                        (unsigned long long)ix->max_size, what);
            else
                set_msg(ix, "the index map in %s is full and cannot grow while readers of "
                            "this process are open",
                        ix->dir);
            return rc;
        }
        if (rc == LEDE_EFULL)
            set_msg(ix, "the disk holding %s is full (%s); %s", ix->dir,
                    err ? lede_store_strerror(err) : "no space", what);
        else if (!ix->errmsg[0])
            set_msg(ix, "cannot write the index in %s: %s", ix->dir,
                    err ? lede_store_strerror(err) : lede_strerror(rc));
        return rc;
    }
}

typedef struct batch_pages {
    lede_db_pages before[LEDE_DB_COUNT], after[LEDE_DB_COUNT];
} batch_pages;

static int batch_txn(lede_index *ix, lede_txn *t, void *arg)
{
    batch_pages *bp = arg;
    db_pages_all(t, bp->before);
    int rc = write_batch(ix, t);
    if (rc == LEDE_OK)
        db_pages_all(t, bp->after);
    return rc;
}

/* A merge of runs in a transaction of its own, after a batch: the batch's
 * buffers are gone, and LMDB reuses the pages it kept from the batch. */
static int merge_txn(lede_index *ix, lede_txn *t, void *arg)
{
    runtab rt = {0};
    int rc;
    (void)arg;
    if ((rc = runtab_load(t, &rt)) == LEDE_OK && merge_due(ix, &rt) &&
        (rc = merge_runs(ix, t, &rt)) == LEDE_OK)
        rc = runtab_store(t, &rt);
    runtab_free(&rt);
    return rc;
}

int lede_index_compact(lede_index *ix, const char *dir)
{
    if (!ix || !dir || !dir[0])
        return LEDE_EINVAL;
    char *err = NULL;
    int rc = lede_store_copy_compact(ix->s, dir, &err);
    if (rc != LEDE_OK)
        set_msg(ix, "%s", err ? err : lede_strerror(rc));
    free(err);
    return rc;
}

int lede_index_commit(lede_index *ix)
{
    int rc = analyze_pending(ix);
    batch_pages bp;
    size_t buffered = lede_index_buffered(ix);
    char what[128];
    if (rc != LEDE_OK)
        goto cleanup;
    if (ix->nops == 0 && ix->touches.len == 0)
        goto cleanup;
    snprintf(what, sizeof what, "the last %zu documents were not written", ix->nops);
    if ((rc = in_txn(ix, batch_txn, &bp, what)) != LEDE_OK)
        goto cleanup;
    ix->committed_max = ix->next_docid;
    for (int k = 0; k < 2; k++)
        ix->zstored[k] = ix->zdict[k] != NULL;
    note_write(ix, bp.before, bp.after, buffered);
    batch_reset(ix);
    /* The batch is committed: a merge that fails loses nothing, and the
     * next batch tries again. */
    if ((rc = in_txn(ix, merge_txn, NULL, "the runs were not merged")) != LEDE_OK)
        goto cleanup;
    for (int done = 1, n = 0; done && n < PURGE_MAX; n++)
        if ((rc = in_txn(ix, purge_txn, &done, "the deleted documents were not purged")) != LEDE_OK)
            goto cleanup;
    /* The pages of the map read during the batch count in this process's
     * RSS; drop them (they stay in the page cache) so the RSS stays near the
     * budget however large the index grows. */
    lede_store_release_pages(ix->s);
cleanup:
    batch_reset(ix);
    /* Give the batch's freed memory back (what malloc keeps spread between
     * LMDB's pages is otherwise still resident when the next batch grows),
     * but only once a next batch starts: after the last one it would only
     * cost time (a tenth of a second on Reuters). */
    ix->trim_pending = 1;
    return rc;
}

/* ------------------------------------------------------------------ */
/* Opening, adding, deleting                                           */
/* ------------------------------------------------------------------ */

/* take_lock's answer when the folder was swapped while it waited. */
#define LOCK_SWAPPED 1

static int take_lock(lede_index *ix, int wait, char **errmsg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/writer.lock", ix->dir);
    ix->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ix->lockfd < 0) {
        if (errmsg && asprintf(errmsg, "cannot open the lock file %s: %s", path, strerror(errno)) < 0)
            *errmsg = NULL;
        return LEDE_EIO;
    }
    if (flock(ix->lockfd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK && wait) {
            while (flock(ix->lockfd, LOCK_EX) != 0 && errno == EINTR) {
            }
            /* The writer waited for may have swapped a new index folder in
             * (--rebuild, --compact): the lock held is then the old
             * folder's, and the index opened the old one: this writer would
             * work beside the next one, on files no longer in the folder.
             * The caller opens the folder as it is now. */
            struct stat held, now;
            if (fstat(ix->lockfd, &held) == 0 &&
                (stat(path, &now) != 0 || held.st_ino != now.st_ino || held.st_dev != now.st_dev)) {
                close(ix->lockfd);
                ix->lockfd = -1;
                return LOCK_SWAPPED;
            }
        } else {
            char pid[32] = "";
            ssize_t n = pread(ix->lockfd, pid, sizeof pid - 1, 0);
            pid[n > 0 ? n : 0] = 0;
            pid[strcspn(pid, "\n")] = 0;
            if (errmsg && asprintf(errmsg,
                                   "the index in %s is locked by another writer (pid %s); "
                                   "wait for it or use --wait",
                                   ix->dir, pid[0] ? pid : "unknown") < 0)
                *errmsg = NULL;
            return LEDE_EBUSY;
        }
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(ix->lockfd, 0) != 0 || pwrite(ix->lockfd, pid, (size_t)n, 0) != n) {
        /* The pid is only informative: a writer without it still works. */
    }
    return LEDE_OK;
}

static int setup_language(lede_index *ix, const lede_index_options *opts, char **errmsg)
{
    lede_txn *t = NULL;
    lede_val v;
    int rc = lede_store_begin(&t, ix->s, 1);
    if (rc != LEDE_OK)
        return rc;
    rc = lede_store_get(t, LEDE_DB_META, "language", 8, &v);
    const char *want = opts && opts->language ? opts->language : NULL;
    if (rc == LEDE_OK) {
        size_t n = LEDE_MIN(v.len, sizeof ix->language - 1);
        memcpy(ix->language, v.data, n);
        ix->language[n] = 0;
        if (want && strcmp(want, ix->language) != 0) {
            if (errmsg && asprintf(errmsg,
                                   "the index in %s was built for language %s, not %s "
                                   "(rebuild it to change the language)",
                                   ix->dir, ix->language, want) < 0)
                *errmsg = NULL;
            rc = LEDE_EINVAL;
        }
        lede_store_abort(t);
        return rc;
    }
    snprintf(ix->language, sizeof ix->language, "%s", want ? want : "english");
    rc = lede_store_put(t, LEDE_DB_META, "language", 8, ix->language, strlen(ix->language));
    if (rc == LEDE_OK) {
        rc = lede_store_commit(t);
    } else {
        lede_store_abort(t);
    }
    return rc;
}

int lede_index_open(lede_index **out, const char *dir, const lede_index_options *opts,
                    char **errmsg)
{
    lede_index *ix = NULL;
    int rc = LEDE_OK;
    char *msg = NULL;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (!dir || (opts && opts->version != LEDE_INDEX_OPTIONS_VERSION)) {
        if (errmsg && asprintf(errmsg, "invalid arguments to lede_index_open") < 0)
            *errmsg = NULL;
        return LEDE_EINVAL;
    }
    ix = calloc(1, sizeof *ix);
    if (ix)
        ix->lockfd = ix->statm_fd = -1;
    if (!ix || !(ix->dir = strdup(dir))) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    ix->lockfd = -1;
    ix->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    ix->write_ratio = 0.5; /* measured 0.4-0.6 on Reuters and Gutenberg */
    ix->budget = opts && opts->memory_budget ? opts->memory_budget : LEDE_DEFAULT_MEMORY_BUDGET;
    ix->max_size = opts ? opts->max_size : 0;
    ix->nthreads = opts && opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (ix->nthreads < 1)
        ix->nthreads = 1;
    if (ix->nthreads > 64)
        ix->nthreads = 64;
    /* The directory must exist before its lock file can. */
    for (;;) {
        if ((rc = lede_store_open(&ix->s, dir, 1, &msg)) != LEDE_OK)
            goto cleanup;
        if ((rc = take_lock(ix, opts && opts->wait_for_lock, &msg)) != LOCK_SWAPPED)
            break;
        lede_store_close(ix->s);
        ix->s = NULL;
    }
    if (rc != LEDE_OK)
        goto cleanup;
    if (ix->max_size && lede_store_mapsize(ix->s) > ix->max_size)
        lede_store_grow(ix->s, ix->max_size);
    if ((rc = setup_language(ix, opts, &msg)) != LEDE_OK)
        goto cleanup;
    /* One analyzer per thread, and one more for the main thread's deletes. */
    ix->workers = calloc((size_t)ix->nthreads + 1, sizeof *ix->workers);
    if (!ix->workers) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (int i = 0; i <= ix->nthreads; i++) {
        worker *w = &ix->workers[i];
        if ((rc = lede_analyzer_new(&w->a, ix->language)) != LEDE_OK) {
            if (asprintf(&msg, "unknown language %s", ix->language) < 0)
                msg = NULL;
            goto cleanup;
        }
        w->cctx = ZSTD_createCCtx();
        w->dctx = ZSTD_createDCtx();
        w->cdict = ix->cdict;
        w->zdecided = ix->zdecided;
        if (!w->cctx || !w->dctx) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
    }
    {
        lede_txn *t = NULL;
        lede_stats_rec st;
        if ((rc = lede_store_begin(&t, ix->s, 0)) != LEDE_OK)
            goto cleanup;
        rc = load_stats(t, &st);
        if (rc == LEDE_OK && (rc = load_dicts(ix, t)) != LEDE_OK) {
            lede_store_abort(t);
            if (asprintf(&msg, "the index in %s has a damaged compression dictionary", dir) < 0)
                msg = NULL;
            goto cleanup;
        }
        lede_store_abort(t);
        if (rc != LEDE_OK) {
            if (asprintf(&msg, "the index in %s has unreadable statistics", dir) < 0)
                msg = NULL;
            goto cleanup;
        }
        ix->committed_max = ix->next_docid = st.max_docid;
    }
    if (ix->nthreads > 1 && pool_start(ix) != LEDE_OK)
        pool_stop(ix); /* no thread could start: analyse on this one */
    *out = ix;
    ix = NULL;
cleanup:
    if (rc != LEDE_OK && errmsg) {
        if (!msg && asprintf(&msg, "cannot open the index in %s: %s", dir, lede_strerror(rc)) < 0)
            msg = NULL;
        *errmsg = msg;
        msg = NULL;
    }
    free(msg);
    lede_index_close(ix);
    return rc;
}

void lede_index_close(lede_index *ix)
{
    if (!ix)
        return;
    batch_reset(ix);
    pool_stop(ix);
    if (ix->workers)
        for (int i = 0; i <= ix->nthreads; i++)
            worker_free(&ix->workers[i]);
    free(ix->workers);
    for (int k = 0; k < 2; k++) {
        ZSTD_freeCDict(ix->cdict[k]);
        ZSTD_freeDDict(ix->ddict[k]);
        free(ix->zdict[k]);
    }
    lede_store_close(ix->s);
    if (ix->lockfd >= 0) {
        if (ftruncate(ix->lockfd, 0) != 0) {
            /* Leaving the old pid in an unlocked file is harmless. */
        }
        close(ix->lockfd);
    }
    if (ix->statm_fd >= 0)
        close(ix->statm_fd);
    free(ix->dir);
    free(ix);
}

/*
 * What the budget keeps for the memory a batch does not count: a quarter
 * of it, but at least UNCOUNTED_MIN (up to three quarters of it).  Most of
 * that memory does not shrink with the budget (the analysers, zstd, the
 * allocator's memory kept between batches: about 90 MB after a batch
 * whatever the budget), so a quarter of a small budget was too little:
 * Gutenberg at --memory 64M peaked at 153 MiB, at 128M at 204 MiB.
 */
#define UNCOUNTED_MIN ((size_t)48 << 20)

static size_t uncounted(size_t budget)
{
    return LEDE_MAX(budget / 4, LEDE_MIN(UNCOUNTED_MIN, budget / 4 * 3));
}

/* What flush_field allocates to put a field's terms in order, for the
 * largest field: a pointer a term.  (Until postings went into slices it
 * also grouped them, 8 bytes a posting: counted apart since format 5, when
 * Gutenberg's peak passed the budget without it.) */
static size_t flush_scratch(const lede_index *ix)
{
    size_t most = 0;
    for (int f = 0; f < 3; f++)
        most = LEDE_MAX(most, ix->fb[f].n * sizeof(gterm *));
    return most;
}

static int maybe_flush(lede_index *ix)
{
    int rc = LEDE_OK;
    if (ix->queued_bytes >= ANALYZE_BYTES || ix->nops - ix->ndispatched >= ANALYZE_DOCS)
        rc = pipeline_step(ix);
    /* The budget holds the batch's buffers and the pages LMDB will dirty
     * writing them or keeps from earlier batches (note_write), less a
     * quarter for what neither counts (the analyzers, the term vectors in
     * flight, malloc's slack between blocks: Gutenberg's peak was 1.3 times
     * the sum with an eighth); the first batch assumes half a byte of pages
     * per byte buffered.  Below an eighth of the budget, batches would only get
     * slower without saving memory. */
    if (rc == LEDE_OK) {
        size_t b = lede_index_buffered(ix);
        double dirty = (double)b * ix->write_ratio + (double)ix->write_fixed;
        double need = (double)b + LEDE_MAX(dirty, (double)ix->write_kept) + flush_scratch(ix);
        if (b >= ix->budget / 8 && need >= (double)(ix->budget - uncounted(ix->budget)))
            rc = lede_index_commit(ix);
    }
    return rc;
}

/* lede_index_add, with the body copied, or taken when body is not NULL. */
static int add_doc(lede_index *ix, const lede_doc *doc, char *body)
{
    if (!ix || !doc || doc->version != LEDE_DOC_VERSION || !doc->id || !doc->id[0] ||
        (!doc->body && doc->body_len) || (!doc->title && doc->title_len)) {
        if (ix)
            set_msg(ix, "invalid document: %s", doc && doc->id && doc->id[0] ? "missing fields" : "no id");
        free(body);
        return LEDE_EINVAL;
    }
    ix->errmsg[0] = 0;
    size_t id_len = strlen(doc->id);
    size_t date_len = doc->date ? strlen(doc->date) : 0;
    size_t path_len = doc->path ? strlen(doc->path) : 0;
    size_t meta_len = doc->meta_json ? strlen(doc->meta_json) : 0;
    size_t total = id_len + doc->title_len + date_len + path_len + meta_len + 5;
    wdoc *d = calloc(1, sizeof *d);
    if (d)
        d->body_mem = body;
    if (!d || !(d->mem = malloc(total)) || (!body && !(d->body_mem = malloc(doc->body_len + 1)))) {
        if (!d)
            free(body);
        wdoc_free(d);
        set_msg(ix, "out of memory buffering document %s", doc->id);
        return LEDE_ENOMEM;
    }
    char *p = d->mem;
#define COPY(field, src, n)                                                                        \
    do {                                                                                           \
        d->field = p;                                                                              \
        if (n)                                                                                     \
            memcpy(p, src, n);                                                                     \
        p[n] = 0;                                                                                  \
        p += (n) + 1;                                                                              \
    } while (0)
    COPY(id, doc->id, id_len);
    COPY(title, doc->title, doc->title_len);
    COPY(date, doc->date, date_len);
    COPY(path, doc->path, path_len);
    COPY(meta, doc->meta_json, meta_len);
#undef COPY
    d->body = d->body_mem;
    if (!body && doc->body_len)
        memcpy(d->body_mem, doc->body, doc->body_len);
    d->body_mem[doc->body_len] = 0;
    d->id_len = id_len;
    d->title_bytes = doc->title_len;
    d->body_len = doc->body_len;
    d->date_len = date_len;
    d->path_len = path_len;
    d->meta_len = meta_len;
    d->mtime = doc->mtime;
    d->size = doc->size;
    d->hash = doc->hash;
    if (push_op(ix, d) != LEDE_OK) {
        wdoc_free(d);
        set_msg(ix, "out of memory buffering document %s", doc->id);
        return LEDE_ENOMEM;
    }
    ix->pending_bytes += doc->title_len + doc->body_len;
    ix->queued_bytes += doc->title_len + doc->body_len;
    return maybe_flush(ix);
}

int lede_index_delete(lede_index *ix, const char *id)
{
    int rc;
    if (!ix || !id || !id[0])
        return LEDE_EINVAL;
    ix->errmsg[0] = 0;
    size_t len = strlen(id);
    int exists = 0;
    if (ix->nidslots) {
        size_t j = id_slot(ix, id, len);
        if (ix->idslots[j]) {
            exists = !ix->ops[ix->idslots[j] - 1]->is_delete;
            if (!exists) {
                set_msg(ix, "no document with id %s", id);
                return LEDE_ENOTFOUND;
            }
        }
    }
    if (!exists) {
        lede_txn *t = NULL;
        uint8_t key[LEDE_ID_KEY_MAX + 32];
        lede_val v;
        size_t kl = lede_id_key(key, id, len);
        if ((rc = lede_store_begin(&t, ix->s, 0)) != LEDE_OK)
            return rc;
        rc = lede_store_get(t, LEDE_DB_IDS, key, kl, &v);
        lede_store_abort(t);
        if (rc == LEDE_ENOTFOUND) {
            set_msg(ix, "no document with id %s", id);
            return rc;
        }
        if (rc != LEDE_OK)
            return rc;
    }
    wdoc *d = calloc(1, sizeof *d);
    if (!d || !(d->mem = strdup(id))) {
        free(d);
        return LEDE_ENOMEM;
    }
    d->id = d->mem;
    d->id_len = len;
    d->is_delete = 1;
    if (push_op(ix, d) != LEDE_OK) {
        wdoc_free(d);
        return LEDE_ENOMEM;
    }
    return maybe_flush(ix);
}

int lede_index_add(lede_index *ix, const lede_doc *doc)
{
    return add_doc(ix, doc, NULL);
}

int lede_index_add_body(lede_index *ix, const lede_doc *doc, char *body)
{
    if (!body) {
        if (ix)
            set_msg(ix, "invalid document: no body");
        return LEDE_EINVAL;
    }
    return add_doc(ix, doc, body);
}

int lede_index_touch(lede_index *ix, const char *id, int64_t mtime)
{
    if (!ix || !id || !id[0])
        return LEDE_EINVAL;
    ix->errmsg[0] = 0;
    size_t len = strlen(id);
    lede_buf_put_u64le(&ix->touches, (uint64_t)mtime);
    lede_buf_put_varint(&ix->touches, len);
    lede_buf_append(&ix->touches, id, len);
    if (ix->touches.rc != LEDE_OK) {
        set_msg(ix, "out of memory buffering the new mtime of %s", id);
        return LEDE_ENOMEM;
    }
    return maybe_flush(ix);
}

const char *lede_index_language(const lede_index *ix)
{
    return ix ? ix->language : "";
}
