/*
 * search.c — query evaluation: the parsed tree becomes a tree of cursors
 * over postings; documents are scored with BM25 and the best k kept.
 *
 * Owns: the cursor tree, MaxScore pruning with per-block bounds, filters
 * (dates), "did you mean", prefix expansion, --explain.  Reads the index
 * only through lede/index.h; must not touch LMDB or the postings format.
 *
 * Pruning.  A plain OR query (the common case) is evaluated with MaxScore
 * (Turtle & Flood 1995): the optional clauses are sorted by the most they
 * can add to a score; those whose bounds together cannot lift a document
 * above the current k-th score are "non-essential": they never propose
 * candidates and are only consulted (with the block's own maximum tf and
 * minimum length, a tighter bound) for documents the others found.  Since
 * a document enters the heap only with a score strictly above the k-th
 * (ties go to the lower doc id, which was seen first), the result is
 * exactly that of scoring every matching document.
 */
#include "search.h"

#include "analyzer.h"
#include "bm25.h"
#include "qparse.h"
#include "topk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct lede_searcher {
    lede_reader *r;
    lede_analyzer *a;
    lede_stats st;
    uint32_t *lens; /* document length + 1 by doc id, 0 = not looked up yet */
    size_t nlens;
    int lens_mapped; /* lens comes from mmap, not calloc */
    char errmsg[256];
    size_t errpos;
};

/* ------------------------------------------------------------------ */
/* Cursors                                                            */
/* ------------------------------------------------------------------ */

typedef enum ckind {
    C_EMPTY,
    C_TERM,
    C_PHRASE,
    C_OR,
    C_AND,
    C_ANDNOT,   /* kids[0] minus kids[1..] */
    C_ANDMAYBE, /* kids[0] required, kids[1..] add to the score */
    C_ALL,      /* every live document, score 0 */
} ckind;

typedef struct cursor cursor;
typedef struct qctx qctx;

struct cursor {
    ckind kind;
    uint32_t doc;
    double ub;      /* the most this cursor can add to a score */
    double weight;  /* multiplier of the BM25 weight */
    int stale;      /* a shallow seek moved the postings: seek before reading */
    int bonus;      /* only ever adds to documents other clauses match (proximity) */
    /* C_TERM */
    lede_postings *p;
    lede_term_info ti;
    int field;
    lede_qwhere where;
    double idf;
    char *label;    /* "stem:nuclear" for --explain; owned */
    /* C_PHRASE */
    lede_postings **ps;
    size_t nps;
    uint32_t slop;
    int ordered;
    uint32_t ptf;   /* occurrences of the phrase in doc */
    uint32_t df;    /* smallest df of the words, for --explain */
    cursor *pair[2]; /* a proximity clause's words' own keyword clauses, or NULL */
    double maxtf;   /* a phrase's largest possible tf (its rarest word's max tf) */
    /* composites */
    cursor **kids;
    size_t nkids;
    qctx *q;
};

struct qctx {
    lede_searcher *s;
    lede_bm25 bm;
    double title_w;
    double name_boost;
    size_t prefix_cap;
    int keep_stop;
    lede_results *res;
    cursor **all;  /* every cursor made, freed together */
    size_t nall, capall;
    cursor **leaves; /* scoring leaves, for --explain */
    size_t nleaves, capleaves;
    /* date filters: a document passes when lo <= date < hi for each */
    const char **lo, **hi;
    int *negate;
    size_t ndates;
    char **owned; /* strings the filters point at */
    size_t nowned;
    int rc;
    int quiet; /* building again for --explain: no second round of notes */
    unsigned nabsent; /* query words not in the index, for capping their notes */
    double proximity; /* weight of the pairwise proximity clauses; 0 = none */
    uint32_t prox_window; /* words between the two of a pair, at most */
    int depth;        /* nesting of boolean groups being built */
};

static uint32_t doclen(lede_searcher *s, uint32_t docid)
{
    if (docid < s->nlens) {
        uint32_t v = s->lens[docid];
        if (v)
            return v - 1;
        uint32_t len = lede_reader_doclen(s->r, docid);
        s->lens[docid] = len + 1;
        return len;
    }
    return lede_reader_doclen(s->r, docid);
}

static cursor *cnew(qctx *q, ckind kind)
{
    if (q->nall == q->capall) {
        size_t cap = q->capall ? 2 * q->capall : 16;
        cursor **v = realloc(q->all, cap * sizeof *v);
        if (!v)
            return NULL;
        q->all = v;
        q->capall = cap;
    }
    cursor *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->kind = kind;
    c->weight = 1.0;
    c->q = q;
    c->doc = LEDE_DOCID_END;
    q->all[q->nall++] = c;
    return c;
}

static void cfree(cursor *c)
{
    if (!c)
        return;
    lede_postings_free(c->p);
    for (size_t i = 0; i < c->nps; i++)
        lede_postings_free(c->ps[i]);
    free(c->ps);
    free(c->kids);
    free(c->label);
    free(c);
}

static int add_leaf(qctx *q, cursor *c)
{
    if (q->nleaves == q->capleaves) {
        size_t cap = q->capleaves ? 2 * q->capleaves : 16;
        cursor **v = realloc(q->leaves, cap * sizeof *v);
        if (!v)
            return LEDE_ENOMEM;
        q->leaves = v;
        q->capleaves = cap;
    }
    q->leaves[q->nleaves++] = c;
    return LEDE_OK;
}

static int cseek(cursor *c, uint32_t target);
static int cnext(cursor *c);
static double cscore(cursor *c);
static int phrase_probe(cursor *c, uint32_t cand, double *score);

/* Effective tf of a term posting: title occurrences may weigh more. */
static double term_tf(const cursor *c, uint32_t tf, uint32_t title_tf)
{
    if (c->where == LEDE_Q_TITLE)
        return title_tf;
    if (c->where == LEDE_Q_BODY)
        return tf - (title_tf < tf ? title_tf : tf);
    if (c->field == LEDE_FIELD_STEM && c->q->title_w != 1.0)
        return (double)tf + (c->q->title_w - 1.0) * (double)title_tf;
    return tf;
}

static int term_ok(const cursor *c)
{
    if (c->where == LEDE_Q_ANYWHERE)
        return 1;
    uint32_t tf = lede_postings_tf(c->p), ttf = lede_postings_title_tf(c->p);
    return c->where == LEDE_Q_TITLE ? ttf > 0 : tf > ttf;
}

/* Settle a term cursor on a posting that satisfies its field restriction. */
static int term_settle(cursor *c)
{
    for (;;) {
        c->doc = lede_postings_docid(c->p);
        if (c->doc == LEDE_DOCID_END || term_ok(c))
            return LEDE_OK;
        int rc = lede_postings_next(c->p);
        if (rc == LEDE_ITEROVER) {
            c->doc = LEDE_DOCID_END;
            return LEDE_OK;
        }
        if (rc != LEDE_OK)
            return rc;
    }
}

/* ---- phrases ---- */

/*
 * Count occurrences of the phrase in the current document (all cursors on
 * it).  Exact phrases need word i at p + i.  Proximity (slop n) needs every
 * other word within (n + 1)·(k − 1) positions of an occurrence of the first
 * word, in any order.
 */
static int phrase_count(cursor *c, uint32_t *out)
{
    const uint32_t *pos[16];
    uint32_t npos[16];
    size_t k = c->nps;
    *out = 0;
    for (size_t i = 0; i < k; i++) {
        int rc = lede_postings_positions(c->ps[i], &pos[i], &npos[i]);
        if (rc != LEDE_OK)
            return rc;
        if (npos[i] == 0)
            return LEDE_OK;
    }
    uint32_t lo_pos = 0, hi_pos = UINT32_MAX;
    if (c->where != LEDE_Q_ANYWHERE) {
        lede_doc_info info;
        int rc = lede_reader_doc_brief(c->q->s->r, c->doc, &info);
        if (rc != LEDE_OK)
            return rc == LEDE_ENOTFOUND ? LEDE_OK : rc;
        if (c->where == LEDE_Q_TITLE)
            hi_pos = info.title_len;
        else
            lo_pos = info.title_len;
    }
    size_t idx[16] = {0};
    uint32_t count = 0;
    uint64_t win = c->ordered && c->slop == 0 ? 0 : ((uint64_t)c->slop + 1) * (k - 1);
    for (uint32_t a = 0; a < npos[0]; a++) {
        uint64_t p0 = pos[0][a];
        if (p0 < lo_pos || p0 >= hi_pos)
            continue;
        int ok = 1;
        for (size_t i = 1; i < k && ok; i++) {
            if (win == 0) {
                uint64_t want = p0 + i;
                while (idx[i] < npos[i] && pos[i][idx[i]] < want)
                    idx[i]++;
                ok = idx[i] < npos[i] && pos[i][idx[i]] == want;
            } else {
                uint64_t from = p0 > win ? p0 - win : 0;
                while (idx[i] < npos[i] && pos[i][idx[i]] < from)
                    idx[i]++;
                ok = idx[i] < npos[i] && pos[i][idx[i]] <= p0 + win;
            }
        }
        if (ok)
            count++;
    }
    *out = count;
    return LEDE_OK;
}

/* Move all words of a phrase to a common document >= target that holds it. */
static int phrase_settle(cursor *c, uint32_t target)
{
    for (;;) {
        uint32_t d = target;
        /* Leapfrog to a document holding every word. */
        for (;;) {
            int agree = 1;
            for (size_t i = 0; i < c->nps; i++) {
                if (lede_postings_docid(c->ps[i]) < d) {
                    int rc = lede_postings_seek(c->ps[i], d);
                    if (rc != LEDE_OK && rc != LEDE_ITEROVER)
                        return rc;
                }
                uint32_t di = lede_postings_docid(c->ps[i]);
                if (di == LEDE_DOCID_END) {
                    c->doc = LEDE_DOCID_END;
                    return LEDE_OK;
                }
                if (di != d) {
                    agree = 0;
                    if (di > d)
                        d = di;
                }
            }
            if (agree)
                break;
        }
        c->doc = d;
        int rc = phrase_count(c, &c->ptf);
        if (rc != LEDE_OK)
            return rc;
        if (c->ptf > 0)
            return LEDE_OK;
        target = d + 1;
        if (target == LEDE_DOCID_END) {
            c->doc = LEDE_DOCID_END;
            return LEDE_OK;
        }
    }
}

/* ---- generic moves ---- */

static int or_settle(cursor *c)
{
    /* Bonus clauses never propose a document; they are probed when scoring. */
    uint32_t d = LEDE_DOCID_END;
    for (size_t i = 0; i < c->nkids; i++)
        if (!c->kids[i]->bonus && c->kids[i]->doc < d)
            d = c->kids[i]->doc;
    c->doc = d;
    return LEDE_OK;
}

static int and_settle(cursor *c, uint32_t target)
{
    uint32_t d = target;
    for (;;) {
        int agree = 1;
        for (size_t i = 0; i < c->nkids; i++) {
            int rc = cseek(c->kids[i], d);
            if (rc != LEDE_OK)
                return rc;
            uint32_t di = c->kids[i]->doc;
            if (di == LEDE_DOCID_END) {
                c->doc = LEDE_DOCID_END;
                return LEDE_OK;
            }
            if (di != d) {
                agree = 0;
                d = di;
            }
        }
        if (agree) {
            c->doc = d;
            return LEDE_OK;
        }
    }
}

static int andnot_settle(cursor *c, uint32_t target)
{
    cursor *pos = c->kids[0];
    int rc = cseek(pos, target);
    while (rc == LEDE_OK && pos->doc != LEDE_DOCID_END) {
        int excluded = 0;
        for (size_t i = 1; i < c->nkids && rc == LEDE_OK; i++) {
            rc = cseek(c->kids[i], pos->doc);
            if (c->kids[i]->doc == pos->doc)
                excluded = 1;
        }
        if (rc != LEDE_OK || !excluded)
            break;
        rc = cnext(pos);
    }
    c->doc = pos->doc;
    return rc;
}

static int all_settle(cursor *c, uint32_t target)
{
    lede_searcher *s = c->q->s;
    for (uint32_t d = target; d <= s->st.max_docid && d != LEDE_DOCID_END; d++) {
        if (doclen(s, d) > 0) {
            c->doc = d;
            return LEDE_OK;
        }
    }
    c->doc = LEDE_DOCID_END;
    return LEDE_OK;
}

/* Advance to the first matching doc id >= target (no move when already there). */
static int cseek(cursor *c, uint32_t target)
{
    if (!c->stale && c->doc != LEDE_DOCID_END && c->doc >= target)
        return LEDE_OK;
    if (c->doc == LEDE_DOCID_END && !c->stale)
        return LEDE_OK;
    c->stale = 0;
    int rc;
    switch (c->kind) {
    case C_EMPTY:
        c->doc = LEDE_DOCID_END;
        return LEDE_OK;
    case C_TERM:
        rc = lede_postings_seek(c->p, target);
        if (rc == LEDE_ITEROVER) {
            c->doc = LEDE_DOCID_END;
            return LEDE_OK;
        }
        return rc == LEDE_OK ? term_settle(c) : rc;
    case C_PHRASE:
        return phrase_settle(c, target);
    case C_OR:
        for (size_t i = 0; i < c->nkids; i++)
            if (!c->kids[i]->bonus && (rc = cseek(c->kids[i], target)) != LEDE_OK)
                return rc;
        return or_settle(c);
    case C_AND:
        return and_settle(c, target);
    case C_ANDNOT:
        return andnot_settle(c, target);
    case C_ANDMAYBE:
        rc = cseek(c->kids[0], target);
        c->doc = c->kids[0]->doc;
        return rc;
    case C_ALL:
        return all_settle(c, target);
    }
    return LEDE_OK;
}

static int cnext(cursor *c)
{
    if (c->doc == LEDE_DOCID_END)
        return LEDE_OK;
    uint32_t d = c->doc;
    int rc;
    switch (c->kind) {
    case C_TERM:
        rc = lede_postings_next(c->p);
        if (rc == LEDE_ITEROVER) {
            c->doc = LEDE_DOCID_END;
            return LEDE_OK;
        }
        return rc == LEDE_OK ? term_settle(c) : rc;
    case C_OR:
        for (size_t i = 0; i < c->nkids; i++)
            if (!c->kids[i]->bonus && c->kids[i]->doc == d && (rc = cnext(c->kids[i])) != LEDE_OK)
                return rc;
        return or_settle(c);
    default:
        return d + 1 == LEDE_DOCID_END ? (c->doc = LEDE_DOCID_END, LEDE_OK) : cseek(c, d + 1);
    }
}

/* The cursor's score for its current document. */
static double cscore(cursor *c)
{
    qctx *q = c->q;
    double sum = 0.0;
    switch (c->kind) {
    case C_TERM: {
        double tf = term_tf(c, lede_postings_tf(c->p), lede_postings_title_tf(c->p));
        return c->weight *
               lede_bm25_weight(&q->bm, c->idf, tf, lede_bm25_norm(&q->bm, doclen(q->s, c->doc)));
    }
    case C_PHRASE:
        return c->weight * lede_bm25_weight(&q->bm, c->idf, c->ptf,
                                            lede_bm25_norm(&q->bm, doclen(q->s, c->doc)));
    case C_OR:
    case C_AND:
        for (size_t i = 0; i < c->nkids; i++) {
            if (c->kids[i]->bonus) {
                double b;
                if (phrase_probe(c->kids[i], c->doc, &b) == LEDE_OK)
                    sum += b;
            } else if (c->kids[i]->doc == c->doc) {
                sum += cscore(c->kids[i]);
            }
        }
        return sum;
    case C_ANDNOT:
        return cscore(c->kids[0]);
    case C_ANDMAYBE:
        sum = cscore(c->kids[0]);
        for (size_t i = 1; i < c->nkids; i++) {
            if (cseek(c->kids[i], c->doc) != LEDE_OK)
                continue; /* a read error surfaces on the next move */
            if (c->kids[i]->doc == c->doc)
                sum += cscore(c->kids[i]);
        }
        return sum;
    default:
        return 0.0;
    }
}

/*
 * A proximity pair's bound in document target, from what its words' keyword
 * clauses already know there: nothing when either stem is absent (see
 * phrase_probe); when the first word's clause sits on target, the pair
 * occurs at most as often as that stem (every counted occurrence is one of
 * the first word's), in a document of known length.  Otherwise the static
 * bound.
 */
static int pair_absent(const cursor *c, uint32_t cand);

static double pair_bound(cursor *c, uint32_t target)
{
    if (pair_absent(c, target))
        return 0.0;
    if (!c->pair[0] || !c->pair[1])
        return c->ub;
    /* Unknown tf: the largest, in a document of target's own length. */
    cursor *t = c->pair[0];
    double tf = t->stale || t->doc != target ? c->maxtf : lede_postings_tf(t->p);
    /* Padded like lede_bm25_bound, against rounding in the callers' sums. */
    double b = c->weight *
               lede_bm25_weight(&c->q->bm, c->idf, tf,
                                lede_bm25_norm(&c->q->bm, doclen(c->q->s, target))) *
               (1.0 + 1e-9);
    return b < c->ub ? b : c->ub;
}

/* A tighter bound for a term inside the block holding target (or the static one). */
static double block_bound(cursor *c, uint32_t target)
{
    if (c->kind == C_PHRASE && c->bonus)
        return pair_bound(c, target);
    if (c->kind != C_TERM || c->where != LEDE_Q_ANYWHERE)
        return c->ub;
    if (lede_postings_shallow_seek(c->p, target) != LEDE_OK)
        return c->ub;
    c->stale = 1;
    lede_block_info bi;
    lede_postings_block(c->p, &bi);
    if (bi.last_docid < target)
        return 0.0; /* the list ends before target */
    double tf = bi.max_tf;
    if (c->field == LEDE_FIELD_STEM && c->q->title_w > 1.0)
        tf += (c->q->title_w - 1.0) * bi.max_title_tf;
    double b = c->weight * lede_bm25_bound(&c->q->bm, c->idf, tf, bi.min_len);
    return b < c->ub ? b : c->ub;
}

/* ------------------------------------------------------------------ */
/* Building cursors from the query tree                               */
/* ------------------------------------------------------------------ */

/* Keep a message for the user (buf is copied). */
static int note(qctx *q, const char *buf)
{
    if (q->quiet)
        return LEDE_OK;
    char *s = strdup(buf);
    char **v = s ? realloc(q->res->notes, (q->res->nnotes + 1) * sizeof *v) : NULL;
    if (!v) {
        free(s);
        return LEDE_ENOMEM;
    }
    v[q->res->nnotes++] = s;
    q->res->notes = v;
    return LEDE_OK;
}

unsigned lede_search_edit_distance(const char *a, size_t alen, const char *b, size_t blen,
                                   unsigned max)
{
    if (alen > blen ? alen - blen > max : blen - alen > max)
        return max + 1;
    if (alen > 63 || blen > 63)
        return max + 1;
    unsigned d[64][64];
    for (size_t i = 0; i <= alen; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= blen; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= alen; i++) {
        unsigned rowmin = max + 1;
        for (size_t j = 1; j <= blen; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
            if (v < rowmin)
                rowmin = v;
        }
        if (rowmin > max)
            return max + 1;
    }
    return d[alen][blen] > max ? max + 1 : d[alen][blen];
}

typedef struct suggest {
    const char *word;
    size_t len;
    unsigned max;
    char best[LEDE_TERM_MAX + 1];
    uint32_t best_df;
    unsigned best_dist;
    uint64_t mask;        /* byte classes (b % 64) present in word */
    uint8_t count[256];   /* occurrences of each byte in word */
} suggest;

/*
 * Whether term may lie within sg->max edits of the word, by letters alone:
 * an edit adds at most one letter the word lacks and removes at most one it
 * has (a transposition neither), so the larger of "letters of the word
 * missing from term" and "letters of term missing from the word", counted
 * with repeats, is at most the distance.  Most of a first-letter block is
 * rejected here, without the quadratic distance.
 */
static int may_be_near(suggest *sg, const char *term, size_t len)
{
    const unsigned char *t = (const unsigned char *)term;
    uint64_t tmask = 0;
    for (size_t i = 0; i < len; i++)
        tmask |= 1ull << (t[i] & 63);
    if ((unsigned)__builtin_popcountll(sg->mask & ~tmask) > sg->max)
        return 0; /* distinct letters of the word absent from term */
    size_t missing = sg->len, extra = 0;
    unsigned char used[LEDE_TERM_MAX];
    size_t nused = 0;
    for (size_t i = 0; i < len; i++) {
        if (sg->count[t[i]] > 0) {
            sg->count[t[i]]--;
            used[nused++] = t[i];
            missing--;
        } else {
            extra++;
        }
    }
    for (size_t i = 0; i < nused; i++)
        sg->count[used[i]]++;
    return missing <= sg->max && extra <= sg->max;
}

static int suggest_term(const char *term, size_t len, const lede_term_info *info, void *payload)
{
    suggest *sg = payload;
    if (len > LEDE_TERM_MAX)
        return 0;
    if ((len > sg->len ? len - sg->len : sg->len - len) > sg->max || !may_be_near(sg, term, len))
        return 0;
    unsigned d = lede_search_edit_distance(sg->word, sg->len, term, len, sg->max);
    if (d == 0 || d > sg->max)
        return 0;
    /* Nearest first; among equally near words, the most frequent. */
    if (d < sg->best_dist || (d == sg->best_dist && info->df > sg->best_df)) {
        memcpy(sg->best, term, len);
        sg->best[len] = '\0';
        sg->best_df = info->df;
        sg->best_dist = d;
    }
    return 0;
}

/*
 * The nearest word of the index to word (within one edit for up to four
 * letters, two beyond), the most frequent among equals: sg->best, or
 * sg->best_df 0 when there is none.
 */
static void nearest_word(qctx *q, const char *word, suggest *sg)
{
    memset(sg, 0, sizeof *sg);
    sg->word = word;
    sg->len = strlen(word);
    if (sg->len < 3 || sg->len > LEDE_TERM_MAX)
        return;
    sg->max = sg->len <= 4 ? 1 : 2;
    sg->best_dist = UINT32_MAX;
    for (size_t i = 0; i < sg->len; i++) {
        unsigned char b = (unsigned char)word[i];
        sg->mask |= 1ull << (b & 63);
        if (sg->count[b] < UINT8_MAX)
            sg->count[b]++;
    }
    /* Typos rarely hit the first letter; scanning only its block keeps this fast. */
    lede_reader_terms(q->s->r, LEDE_FIELD_WORD, word, 1, suggest_term, sg);
}

/*
 * A pasted paragraph can hold thousands of unknown words: name the first
 * few, then say once that there are more, instead of a line for each.
 * Returns 0 when no more notes of this kind are wanted.
 */
static int may_note_word(qctx *q)
{
    if (++q->nabsent > LEDE_SEARCH_MAX_ABSENT_NOTES) {
        if (q->nabsent == LEDE_SEARCH_MAX_ABSENT_NOTES + 1)
            note(q, "more query words are not in the index");
        return 0;
    }
    return 1;
}

/* "did you mean": the most frequent word within a small edit distance. */
static void did_you_mean(qctx *q, const char *word)
{
    if (!may_note_word(q))
        return;
    suggest sg;
    nearest_word(q, word, &sg);
    char buf[512];
    if (sg.best_df > 0)
        snprintf(buf, sizeof buf, "\"%s\" is not in the index; did you mean \"%s\"?", word,
                 sg.best);
    else
        snprintf(buf, sizeof buf, "\"%s\" is not in the index", word);
    note(q, buf);
}

/*
 * A keyword found in a document or two, one or two letters away from a
 * word that many documents use, is most likely the same typo in the query
 * and in those few documents: "bundesbnak" finds the one Reuters story
 * that misspelt it, silently, beside 169 about the Bundesbank.  Say so,
 * as for an absent word.  Rare words of their own (names, jargon) have no
 * such frequent neighbour and get no note.
 */
#define RARE_DF 2          /* documents: at most this many make a word rare, */
#define RARE_SHARE 2000    /* or at most one in this many of the index's */
#define RARE_RATIO 50      /* the neighbour is in this many times more documents */
#define RARE_MIN_DF 20     /* and in at least this many */
#define RARE_MIN_LEN 6     /* bytes in the word */

static uint32_t rare_df(const qctx *q)
{
    uint64_t share = q->s->st.ndocs / RARE_SHARE;
    return share > RARE_DF ? (uint32_t)share : RARE_DF;
}

static void rare_word_hint(qctx *q, const char *word)
{
    lede_term_info wi;
    if (lede_reader_term(q->s->r, LEDE_FIELD_WORD, word, strlen(word), &wi) != LEDE_OK ||
        wi.df == 0 || wi.df > rare_df(q))
        return;
    suggest sg;
    nearest_word(q, word, &sg);
    /* One edit (a transposition counts as one) in a word of six letters or
     * more: "governmnet", "octotber".  Shorter words and two edits find a
     * real word's neighbour as often as a typo's (gavin -> gain,
     * cowpox -> coupon), measured on Reuters. */
    if (sg.best_dist != 1 || strlen(word) < RARE_MIN_LEN || sg.best_df < RARE_MIN_DF ||
        sg.best_df < (uint64_t)RARE_RATIO * wi.df || !may_note_word(q))
        return;
    char buf[512];
    snprintf(buf, sizeof buf, "\"%s\" is in only %u document%s; did you mean \"%s\" (%u)?", word,
             wi.df, wi.df == 1 ? "" : "s", sg.best, sg.best_df);
    note(q, buf);
}

static cursor *open_term(qctx *q, int field, const char *text, size_t len, lede_qwhere where,
                         const char *shown, int suggest_absent)
{
    cursor *c = cnew(q, C_TERM);
    if (!c) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    int rc = lede_reader_term(q->s->r, field, text, len, &c->ti);
    if (rc == LEDE_OK && c->ti.df > 0)
        rc = lede_postings_open(&c->p, q->s->r, field, text, len);
    else if (rc == LEDE_OK)
        rc = LEDE_ENOTFOUND;
    if (rc == LEDE_ENOTFOUND) {
        c->kind = C_EMPTY;
        c->doc = LEDE_DOCID_END;
        if (suggest_absent && shown)
            did_you_mean(q, shown);
        return c;
    }
    if (rc != LEDE_OK) {
        q->rc = rc;
        return NULL;
    }
    if (suggest_absent && shown && field == LEDE_FIELD_STEM && c->ti.df <= rare_df(q))
        rare_word_hint(q, shown);
    static const char *names[] = {"stem", "word", "name"};
    size_t ll = strlen(names[field]) + len + 16;
    c->label = malloc(ll);
    if (!c->label) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    snprintf(c->label, ll, "%s%s:%.*s",
             where == LEDE_Q_TITLE ? "title." : where == LEDE_Q_BODY ? "body." : "", names[field],
             (int)len, text);
    c->field = field;
    c->where = where;
    c->idf = lede_bm25_idf(&q->bm, c->ti.df);
    double maxtf = c->ti.max_tf;
    if (field == LEDE_FIELD_STEM && where == LEDE_Q_ANYWHERE && q->title_w > 1.0)
        maxtf += (q->title_w - 1.0) * c->ti.max_title_tf;
    c->ub = lede_bm25_bound(&q->bm, c->idf, maxtf, c->ti.min_len);
    if ((rc = term_settle(c)) != LEDE_OK || (rc = add_leaf(q, c)) != LEDE_OK) {
        q->rc = rc;
        return NULL;
    }
    return c;
}

/* suggest_absent: a word of the phrase not in the index gets a "did you
 * mean" note (not for the phrases the searcher adds for ranking, whose
 * words the query's keywords already noted). */
static cursor *open_phrase(qctx *q, char *const *words, size_t n, uint32_t slop, int ordered,
                           lede_qwhere where, int bonus, int suggest_absent)
{
    cursor *c = cnew(q, C_PHRASE);
    if (!c) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    if (n > 16)
        n = 16; /* longer phrases are checked on their first 16 words */
    c->ps = calloc(n, sizeof *c->ps);
    if (!c->ps) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    c->slop = slop;
    c->ordered = ordered;
    c->where = where;
    c->df = UINT32_MAX;
    double idf = 0.0, maxtf = UINT32_MAX;
    uint32_t minlen = 0;
    size_t label_len = 32;
    for (size_t i = 0; i < n; i++) {
        lede_term_info ti;
        int rc = lede_reader_term(q->s->r, LEDE_FIELD_WORD, words[i], strlen(words[i]), &ti);
        if (rc == LEDE_OK && ti.df > 0)
            rc = lede_postings_open(&c->ps[i], q->s->r, LEDE_FIELD_WORD, words[i],
                                    strlen(words[i]));
        else if (rc == LEDE_OK)
            rc = LEDE_ENOTFOUND;
        if (rc == LEDE_ENOTFOUND) {
            if (suggest_absent)
                did_you_mean(q, words[i]);
            for (size_t j = 0; j < i; j++)
                lede_postings_free(c->ps[j]);
            free(c->ps);
            c->ps = NULL;
            c->nps = 0;
            c->kind = C_EMPTY;
            return c;
        }
        if (rc != LEDE_OK) {
            c->nps = i;
            q->rc = rc;
            return NULL;
        }
        c->nps = i + 1;
        idf += lede_bm25_idf(&q->bm, ti.df);
        if (ti.max_tf < maxtf)
            maxtf = ti.max_tf;
        if (ti.min_len > minlen)
            minlen = ti.min_len;
        if (ti.df < c->df)
            c->df = ti.df;
        label_len += strlen(words[i]) + 1;
    }
    c->idf = idf;
    c->maxtf = maxtf;
    c->ub = lede_bm25_bound(&q->bm, idf, maxtf, minlen);
    c->label = malloc(label_len);
    if (!c->label) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    strcpy(c->label, ordered && slop == 0 ? "phrase:" : "near:");
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(c->label, " ");
        strcat(c->label, words[i]);
    }
    c->doc = 0;
    c->bonus = bonus;
    int rc = LEDE_OK;
    if (bonus)
        c->stale = 1; /* probed document by document, never settled ahead */
    else
        rc = phrase_settle(c, 0);
    if (rc == LEDE_OK)
        rc = add_leaf(q, c);
    if (rc != LEDE_OK) {
        q->rc = rc;
        return NULL;
    }
    return c;
}

static cursor *composite(qctx *q, ckind kind, cursor **kids, size_t n)
{
    if (n == 1 && (kind == C_OR || kind == C_AND))
        return kids[0];
    cursor *c = cnew(q, kind);
    if (!c || !(c->kids = malloc((n ? n : 1) * sizeof *c->kids))) {
        q->rc = LEDE_ENOMEM;
        return NULL;
    }
    memcpy(c->kids, kids, n * sizeof *kids);
    c->nkids = n;
    double ub = 0.0;
    for (size_t i = 0; i < n; i++)
        ub += kids[i]->ub;
    c->ub = kind == C_ANDNOT ? kids[0]->ub : ub;
    int rc;
    switch (kind) {
    case C_OR:
        rc = or_settle(c);
        break;
    case C_AND:
        rc = and_settle(c, 0);
        break;
    case C_ANDNOT:
        rc = andnot_settle(c, 0);
        break;
    case C_ANDMAYBE:
        c->doc = kids[0]->doc;
        rc = LEDE_OK;
        break;
    default:
        rc = LEDE_OK;
    }
    if (rc != LEDE_OK) {
        q->rc = rc;
        return NULL;
    }
    return c;
}

typedef struct prefix_acc {
    struct pterm {
        char *t;
        uint32_t df;
    } * v;
    size_t n, cap, seen;
    int rc;
} prefix_acc;

static int collect_prefix(const char *term, size_t len, const lede_term_info *info,
                          void *payload)
{
    prefix_acc *pa = payload;
    pa->seen++;
    if (info->df == 0)
        return 0;
    if (pa->n == pa->cap) {
        size_t cap = pa->cap ? 2 * pa->cap : 64;
        struct pterm *v = realloc(pa->v, cap * sizeof *v);
        if (!v)
            return pa->rc = LEDE_ENOMEM;
        pa->v = v;
        pa->cap = cap;
    }
    char *t = malloc(len + 1);
    if (!t)
        return pa->rc = LEDE_ENOMEM;
    memcpy(t, term, len);
    t[len] = '\0';
    pa->v[pa->n].t = t;
    pa->v[pa->n].df = info->df;
    pa->n++;
    return 0;
}

static int by_df_desc(const void *a, const void *b)
{
    const struct pterm *x = a, *y = b;
    return x->df != y->df ? (x->df < y->df ? 1 : -1) : strcmp(x->t, y->t);
}

static int add_match(qctx *q, lede_match_kind kind, const char *text, double weight);

static cursor *open_prefix(qctx *q, const lede_qnode *n)
{
    prefix_acc pa = {0};
    cursor *res = NULL;
    int rc = lede_reader_terms(q->s->r, LEDE_FIELD_WORD, n->text, n->len, collect_prefix, &pa);
    if (pa.rc != LEDE_OK)
        rc = pa.rc;
    if (rc != LEDE_OK && rc != LEDE_ENOTFOUND) {
        q->rc = rc;
        goto cleanup;
    }
    if (pa.n > q->prefix_cap) {
        char buf[512];
        qsort(pa.v, pa.n, sizeof *pa.v, by_df_desc);
        snprintf(buf, sizeof buf, "%s* matches %zu words; using the %zu most frequent", n->text,
                 pa.n, q->prefix_cap);
        note(q, buf);
        for (size_t i = q->prefix_cap; i < pa.n; i++)
            free(pa.v[i].t);
        pa.n = q->prefix_cap;
    }
    if (pa.n == 0) {
        char buf[512];
        snprintf(buf, sizeof buf, "no word in the index starts with \"%s\"", n->text);
        note(q, buf);
        res = cnew(q, C_EMPTY);
        goto cleanup;
    }
    cursor **kids = malloc(pa.n * sizeof *kids);
    if (!kids) {
        q->rc = LEDE_ENOMEM;
        goto cleanup;
    }
    size_t k = 0;
    for (size_t i = 0; i < pa.n && q->rc == LEDE_OK; i++) {
        cursor *c = open_term(q, LEDE_FIELD_WORD, pa.v[i].t, strlen(pa.v[i].t), n->where, NULL, 0);
        if (c && c->kind != C_EMPTY) {
            kids[k++] = c;
            if (i < 32)
                add_match(q, LEDE_MATCH_WORD, pa.v[i].t, c->idf);
        }
    }
    if (q->rc == LEDE_OK)
        res = k ? composite(q, C_OR, kids, k) : cnew(q, C_EMPTY);
    free(kids);
cleanup:
    for (size_t i = 0; i < pa.n; i++)
        free(pa.v[i].t);
    free(pa.v);
    if (!res && q->rc == LEDE_OK)
        q->rc = LEDE_ENOMEM;
    return res;
}

static int add_match(qctx *q, lede_match_kind kind, const char *text, double weight)
{
    lede_results *r = q->res;
    for (size_t i = 0; i < r->nterms; i++)
        if (r->terms[i].kind == kind && strcmp(r->terms[i].text, text) == 0)
            return LEDE_OK;
    lede_match_term *v = realloc(r->terms, (r->nterms + 1) * sizeof *v);
    if (!v)
        return LEDE_ENOMEM;
    r->terms = v;
    lede_match_term *m = &v[r->nterms];
    if (!(m->text = strdup(text)))
        return LEDE_ENOMEM;
    m->kind = kind;
    m->len = strlen(text);
    m->weight = weight;
    r->nterms++;
    return LEDE_OK;
}

static int add_date(qctx *q, const char *lo, const char *hi, int negate)
{
    const char **l = realloc(q->lo, (q->ndates + 1) * sizeof *l);
    if (l)
        q->lo = l;
    const char **h = realloc(q->hi, (q->ndates + 1) * sizeof *h);
    if (h)
        q->hi = h;
    int *ng = realloc(q->negate, (q->ndates + 1) * sizeof *ng);
    if (ng)
        q->negate = ng;
    if (!l || !h || !ng)
        return LEDE_ENOMEM;
    q->lo[q->ndates] = lo;
    q->hi[q->ndates] = hi;
    q->negate[q->ndates] = negate;
    q->ndates++;
    return LEDE_OK;
}

static int is_stop(const lede_qnode *n)
{
    return n->kind == LEDE_Q_TERM && n->plain && n->field == LEDE_FIELD_STEM && n->word &&
           lede_stopword(n->word, strlen(n->word));
}

static cursor *build(qctx *q, const lede_qnode *n, int positive);

static cursor *build_bool(qctx *q, const lede_qnode *n, int positive)
{
    size_t cap = n->nmust + n->nshould + n->nnot + 1;
    cursor **must = malloc(cap * sizeof *must), **should = malloc(cap * sizeof *should),
           **not = malloc(cap * sizeof *not);
    size_t nm = 0, ns = 0, nn = 0;
    cursor *res = NULL;
    /* The keyword clause of each plain word among n->should, for proximity. */
    cursor **kw = calloc(n->nshould + 1, sizeof *kw);
    if (!must || !should || !not || !kw) {
        q->rc = LEDE_ENOMEM;
        goto cleanup;
    }
    /*
     * Stop words go only when something else remains to rank by.  With -a
     * the words are required only because every word is, and a stop word is
     * no more wanted than without it: "-a the volcker" must not lose the
     * documents about Volcker that lack "the".  A stop word the user
     * required (+the, AND the) stays.
     */
    size_t content = 0, required = 0;
    for (size_t i = 0; i < n->nshould; i++)
        if (!is_stop(n->should[i]) && !n->should[i]->name_bonus)
            content++;
    for (size_t i = 0; i < n->nmust; i++)
        if (!(n->must[i]->by_all && is_stop(n->must[i])))
            required++;
    int drop_stop = !q->keep_stop && (content > 0 || required > 0);
    int scoring = 0; /* clauses that select documents (dates only filter) */
    for (size_t i = 0; i < n->nmust && q->rc == LEDE_OK; i++) {
        if (n->must[i]->kind == LEDE_Q_DATE) {
            q->rc = add_date(q, n->must[i]->lo, n->must[i]->hi, !positive);
            continue;
        }
        if (drop_stop && n->must[i]->by_all && is_stop(n->must[i]))
            continue;
        cursor *c = build(q, n->must[i], positive);
        if (c)
            must[nm++] = c;
    }
    for (size_t i = 0; i < n->nshould && q->rc == LEDE_OK; i++) {
        const lede_qnode *k = n->should[i];
        if (k->kind == LEDE_Q_DATE) {
            q->rc = add_date(q, k->lo, k->hi, !positive);
            continue;
        }
        if (drop_stop && is_stop(k))
            continue;
        cursor *c = build(q, k, positive);
        if (c)
            should[ns++] = c;
        if (kw && c && c->kind == C_TERM && c->field == LEDE_FIELD_STEM &&
            c->where == LEDE_Q_ANYWHERE && k->kind == LEDE_Q_TERM && k->plain)
            kw[i] = c;
    }
    for (size_t i = 0; i < n->nnot && q->rc == LEDE_OK; i++) {
        if (n->not[i]->kind == LEDE_Q_DATE) {
            q->rc = add_date(q, n->not[i]->lo, n->not[i]->hi, positive);
            continue;
        }
        cursor *c = build(q, n->not[i], !positive);
        if (c)
            not[nn++] = c;
    }
    if (q->rc != LEDE_OK)
        goto cleanup;
    /*
     * Proximity: documents where consecutive words of a plain query occur
     * near each other are more likely about what the words say together
     * (Tao & Zhai 2007; Büttcher et al. 2006).  Each pair of neighbouring
     * content words becomes an optional clause scored like a term whose tf
     * is the number of close co-occurrences, so pruning still applies.
     */
    /*
     * Short queries are mostly names and headlines, where BM25 alone already
     * ranks well and latency matters most; descriptions of an information
     * need (four content words or more) gain from proximity.
     */
    if (q->proximity > 0 && q->depth == 1 && positive && content >= LEDE_SEARCH_PROX_MIN_WORDS) {
        const lede_qnode *prev = NULL;
        size_t prev_i = 0;
        size_t npairs = 0;
        for (size_t i = 0; i < n->nshould && q->rc == LEDE_OK; i++) {
            const lede_qnode *k = n->should[i];
            if (k->kind != LEDE_Q_TERM || !k->plain || !k->word || (drop_stop && is_stop(k)))
                continue;
            if (prev && strcmp(prev->word, k->word) != 0 && npairs < 16) {
                char *pair[2] = {prev->word, k->word};
                cursor **v = realloc(should, (ns + 2) * sizeof *v);
                if (!v) {
                    q->rc = LEDE_ENOMEM;
                    break;
                }
                should = v;
                cursor *c = open_phrase(q, pair, 2, q->prox_window, 0, LEDE_Q_ANYWHERE, 1, 0);
                if (c && c->kind == C_PHRASE) {
                    c->weight = q->proximity;
                    c->ub *= q->proximity;
                    c->bonus = 1;
                    c->pair[0] = kw[prev_i];
                    c->pair[1] = kw[i];
                    should[ns++] = c;
                    npairs++;
                }
            }
            prev = k;
            prev_i = i;
        }
        if (q->rc != LEDE_OK)
            goto cleanup;
    }
    scoring = nm + ns > 0;
    /* Name bonuses rank but never select: a query of only them selects their words. */
    cursor *pos;
    if (nm > 0) {
        pos = composite(q, C_AND, must, nm);
        if (pos && ns > 0) {
            should[ns] = NULL;
            cursor **kids = malloc((ns + 1) * sizeof *kids);
            if (!kids) {
                q->rc = LEDE_ENOMEM;
                goto cleanup;
            }
            kids[0] = pos;
            memcpy(kids + 1, should, ns * sizeof *should);
            pos = composite(q, C_ANDMAYBE, kids, ns + 1);
            free(kids);
        }
    } else if (ns > 0) {
        pos = composite(q, C_OR, should, ns);
    } else {
        pos = cnew(q, C_ALL);
        if (pos && all_settle(pos, 0) != LEDE_OK)
            pos = NULL;
    }
    if (!pos) {
        if (q->rc == LEDE_OK)
            q->rc = LEDE_ENOMEM;
        goto cleanup;
    }
    (void)scoring;
    if (nn > 0) {
        not[nn] = NULL;
        cursor **kids = malloc((nn + 1) * sizeof *kids);
        if (!kids) {
            q->rc = LEDE_ENOMEM;
            goto cleanup;
        }
        kids[0] = pos;
        memcpy(kids + 1, not, nn * sizeof *not);
        pos = composite(q, C_ANDNOT, kids, nn + 1);
        free(kids);
    }
    res = pos;
cleanup:
    free(must);
    free(should);
    free(not);
    free(kw);
    return res;
}

static cursor *build(qctx *q, const lede_qnode *n, int positive)
{
    cursor *c = NULL;
    switch (n->kind) {
    case LEDE_Q_TERM:
        c = open_term(q, n->field, n->text, n->len, n->where,
                      n->field == LEDE_FIELD_STEM ? n->word : n->text, positive);
        if (c && positive && c->kind == C_TERM)
            add_match(q,
                      n->field == LEDE_FIELD_STEM   ? LEDE_MATCH_STEM
                      : n->field == LEDE_FIELD_WORD ? LEDE_MATCH_WORD
                                                    : LEDE_MATCH_NAME,
                      n->text, c->idf);
        return c;
    case LEDE_Q_PHRASE:
        c = open_phrase(q, n->words, n->nwords, n->slop, n->ordered, n->where, 0,
                        positive && !n->name_bonus);
        if (c && n->name_bonus)
            c->weight = q->name_boost;
        if (c && positive && c->kind == C_PHRASE) {
            if (n->ordered && n->slop == 0) {
                char *j = NULL;
                size_t len = 1;
                for (size_t i = 0; i < n->nwords; i++)
                    len += strlen(n->words[i]) + 1;
                if ((j = malloc(len))) {
                    j[0] = '\0';
                    for (size_t i = 0; i < n->nwords; i++) {
                        if (i)
                            strcat(j, " ");
                        strcat(j, n->words[i]);
                    }
                    add_match(q, n->name_bonus ? LEDE_MATCH_NAME : LEDE_MATCH_PHRASE, j, c->idf);
                    free(j);
                }
            } else {
                for (size_t i = 0; i < n->nwords; i++)
                    add_match(q, LEDE_MATCH_WORD, n->words[i], 0.0);
            }
        }
        return c;
    case LEDE_Q_PREFIX:
        return open_prefix(q, n);
    case LEDE_Q_BOOL:
        q->depth++;
        c = build_bool(q, n, positive);
        q->depth--;
        return c;
    case LEDE_Q_DATE:
        /* A date on its own: every document, filtered. */
        q->rc = add_date(q, n->lo, n->hi, !positive);
        if (q->rc != LEDE_OK)
            return NULL;
        c = cnew(q, C_ALL);
        if (c)
            all_settle(c, 0);
        return c;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Evaluation                                                         */
/* ------------------------------------------------------------------ */

static int date_ok(qctx *q, uint32_t docid, const char **date_out)
{
    if (q->ndates == 0 && !date_out)
        return 1;
    lede_doc_info info;
    if (lede_reader_doc_brief(q->s->r, docid, &info) != LEDE_OK)
        return 0;
    if (date_out)
        *date_out = info.date;
    for (size_t i = 0; i < q->ndates; i++) {
        int in = info.date[0] != '\0' && (!q->lo[i] || strcmp(info.date, q->lo[i]) >= 0) &&
                 (!q->hi[i] || strcmp(info.date, q->hi[i]) < 0);
        if (in == q->negate[i])
            return 0;
    }
    return 1;
}

/* Bonus clauses first (they never propose candidates), then by bound. */
static int by_ub(const void *a, const void *b)
{
    const cursor *x = *(cursor *const *)a, *y = *(cursor *const *)b;
    if (x->bonus != y->bonus)
        return y->bonus - x->bonus;
    return x->ub < y->ub ? -1 : x->ub > y->ub;
}

/*
 * Whether a phrase occurs in document cand, and its score there, moving only
 * its words' lists: settling the phrase itself would look for its next
 * occurrence past cand, checking positions in documents nobody asked about.
 * The cursor is left stale, so any later seek settles it properly.
 */
/*
 * A proximity pair needs both words in cand, and a word is in a document
 * exactly when its stem is (every token is indexed under both).  A keyword
 * clause settled past cand (only ever moved to targets <= cand) says its
 * stem is not there: nothing to read.  This spares the positions of long
 * word lists in most candidates.
 */
static int pair_absent(const cursor *c, uint32_t cand)
{
    for (size_t i = 0; i < 2; i++)
        if (c->pair[i] && c->pair[i]->doc > cand)
            return 1;
    return 0;
}

/* phrase_probe without the look at the pair's keyword clauses. */
static int phrase_read(cursor *c, uint32_t cand, double *score)
{
    *score = 0.0;
    c->stale = 1;
    for (size_t i = 0; i < c->nps; i++) {
        if (lede_postings_docid(c->ps[i]) < cand) {
            int rc = lede_postings_seek(c->ps[i], cand);
            if (rc != LEDE_OK && rc != LEDE_ITEROVER)
                return rc;
        }
        if (lede_postings_docid(c->ps[i]) != cand)
            return LEDE_OK;
    }
    c->doc = cand;
    int rc = phrase_count(c, &c->ptf);
    if (rc == LEDE_OK && c->ptf > 0)
        *score = cscore(c);
    return rc;
}

static int phrase_probe(cursor *c, uint32_t cand, double *score)
{
    if (pair_absent(c, cand)) {
        *score = 0.0;
        c->stale = 1;
        return LEDE_OK;
    }
    return phrase_read(c, cand, score);
}

/* A document whose proximity bonuses are read after the scan. */
typedef struct pending {
    uint32_t doc;
    uint32_t bonus; /* bit i: proximity clause c[i] may occur in doc */
    double lb;      /* its score without the bonuses */
    double ub;      /* and the most they can add */
} pending;

/*
 * MaxScore over the optional clauses of a pure OR.
 *
 * Proximity clauses (bonuses) cost most per document: their words' lists
 * with positions.  Reading them for every candidate while the k-th score is
 * still low wastes most of that, so when there are any, the scan ranks by
 * the score without them (a lower bound of the exact score, so the k-th of
 * these is a lower, still safe, pruning threshold) and keeps each document
 * whose bound with bonuses beats that threshold.  After the scan, only those still able to reach the final
 * threshold have their bonuses read, in doc id order, adding them in the
 * order the clauses are sorted, so every score is the same sum as when the
 * bonuses were read during the scan.  A document dropped on the way had k
 * earlier documents (which win ties) at or above its bound, so it could
 * not have been among the k best.
 */
static int run_maxscore(qctx *q, cursor *root, lede_topk *top, uint64_t *scored)
{
    size_t n = root->nkids;
    cursor **c = malloc(n * sizeof *c);
    double *cum = malloc(n * sizeof *cum);
    int rc = LEDE_OK;
    lede_topk lbheap = {0};
    pending *pend = NULL;
    size_t npend = 0, cappend = 0;
    if (!c || !cum) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    memcpy(c, root->kids, n * sizeof *c);
    qsort(c, n, sizeof *c, by_ub);
    for (size_t i = 0; i < n; i++)
        cum[i] = c[i]->ub + (i ? cum[i - 1] : 0.0);
    /*
     * A proximity clause matches only documents its words' own clauses
     * match, so it never needs to propose a candidate: it is non-essential
     * from the start, whatever its bound.
     */
    size_t nbonus = 0;
    while (nbonus < n && c[nbonus]->bonus)
        nbonus++;
    if (nbonus == n)
        nbonus = 0;
    size_t fe = nbonus; /* c[fe..n) are essential */
    int defer = nbonus > 0 && nbonus <= 32;
    lede_topk *heap = top;
    if (defer) {
        if ((rc = lede_topk_init(&lbheap, top->k)) != LEDE_OK)
            goto cleanup;
        heap = &lbheap;
    }
    double theta = lede_topk_threshold(heap);
    for (;;) {
        while (fe < n && cum[fe] <= theta)
            fe++;
        if (fe == n)
            break;
        uint32_t cand = LEDE_DOCID_END;
        for (size_t i = fe; i < n; i++)
            if (c[i]->doc < cand)
                cand = c[i]->doc;
        if (cand == LEDE_DOCID_END)
            break;
        if (date_ok(q, cand, NULL)) {
            double score = 0.0;
            for (size_t i = fe; i < n; i++)
                if (c[i]->doc == cand)
                    score += cscore(c[i]);
            int dead = 0;
            uint32_t bonus = 0;
            double bonus_ub = 0.0;
            for (size_t i = fe; i-- > 0;) {
                /* bonus_ub: the deferred bonuses' part of the bound (0 until then). */
                if (score + bonus_ub + cum[i] <= theta) {
                    dead = 1;
                    break;
                }
                double bb = block_bound(c[i], cand);
                if (defer && i < nbonus) {
                    if (!pair_absent(c[i], cand)) {
                        bonus |= 1u << i;
                        bonus_ub += bb;
                    }
                    continue;
                }
                if (score + bb + (i ? cum[i - 1] : 0.0) <= theta)
                    continue; /* this block cannot help: look no further into it */
                if (c[i]->kind == C_PHRASE) {
                    double ps;
                    if ((rc = phrase_probe(c[i], cand, &ps)) != LEDE_OK)
                        goto cleanup;
                    score += ps;
                    continue;
                }
                if ((rc = cseek(c[i], cand)) != LEDE_OK)
                    goto cleanup;
                if (c[i]->doc == cand)
                    score += cscore(c[i]);
            }
            if (!dead) {
                (*scored)++;
                if (defer && score + bonus_ub > theta) {
                    if (npend == cappend) {
                        size_t cap = cappend ? 2 * cappend : 64;
                        pending *v = realloc(pend, cap * sizeof *v);
                        if (!v) {
                            rc = LEDE_ENOMEM;
                            goto cleanup;
                        }
                        pend = v;
                        cappend = cap;
                    }
                    pend[npend++] = (pending){cand, bonus, score, score + bonus_ub};
                }
                if (lede_topk_push(heap, cand, score))
                    theta = lede_topk_threshold(heap);
            }
        }
        for (size_t i = fe; i < n; i++)
            if (c[i]->doc == cand && (rc = cnext(c[i])) != LEDE_OK)
                goto cleanup;
    }
    if (defer) {
        /* theta is now the k-th score without bonuses, the final threshold's floor. */
        for (size_t j = 0; j < npend; j++) {
            const pending *p = &pend[j];
            /* Below the floor, or not above the k best read so far (earlier
             * doc ids, which win ties): nothing to read. */
            if (p->ub < theta || p->ub <= lede_topk_threshold(top))
                continue;
            double score = p->lb;
            for (size_t i = nbonus; i-- > 0;) {
                if (!(p->bonus & (1u << i)))
                    continue;
                double ps;
                if ((rc = phrase_read(c[i], p->doc, &ps)) != LEDE_OK)
                    goto cleanup;
                score += ps;
            }
            lede_topk_push(top, p->doc, score);
        }
    }
cleanup:
    free(c);
    free(cum);
    free(pend);
    lede_topk_clear(&lbheap);
    return rc;
}

typedef struct scored_doc {
    uint32_t docid;
    double score;
    const char *date;
} scored_doc;

static int sort_date_asc(const void *a, const void *b)
{
    const scored_doc *x = a, *y = b;
    int ex = x->date[0] == '\0', ey = y->date[0] == '\0';
    if (ex != ey)
        return ex - ey; /* undated last */
    int c = strcmp(x->date, y->date);
    if (c)
        return c;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

static int sort_date_desc(const void *a, const void *b)
{
    const scored_doc *x = a, *y = b;
    int ex = x->date[0] == '\0', ey = y->date[0] == '\0';
    if (ex != ey)
        return ex - ey;
    int c = strcmp(y->date, x->date);
    if (c)
        return c;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

static int by_docid(const void *a, const void *b)
{
    const lede_hit *x = *(lede_hit *const *)a, *y = *(lede_hit *const *)b;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

/* Fill each hit's explanation from a fresh cursor tree walked in doc id order. */
static int explain(qctx *q, const lede_qnode *tree, lede_results *res)
{
    size_t first_leaf = q->nleaves;
    int rc = LEDE_OK;
    q->quiet = 1;
    lede_hit **order = NULL;
    cursor *root = build(q, tree, 1);
    if (!root)
        return q->rc ? q->rc : LEDE_ENOMEM;
    size_t nl = q->nleaves - first_leaf;
    order = malloc((res->n ? res->n : 1) * sizeof *order);
    if (!order)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < res->n; i++) {
        order[i] = &res->hits[i];
        order[i]->explain = calloc(nl ? nl : 1, sizeof *order[i]->explain);
        if (!order[i]->explain) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
    }
    if (res->n > 1)
        qsort(order, res->n, sizeof *order, by_docid);
    for (size_t h = 0; h < res->n; h++) {
        lede_hit *hit = order[h];
        for (size_t l = first_leaf; l < q->nleaves; l++) {
            cursor *c = q->leaves[l];
            if ((rc = cseek(c, hit->docid)) != LEDE_OK)
                goto cleanup;
            if (c->doc != hit->docid)
                continue;
            lede_explain_term *e = &hit->explain[hit->nexplain];
            if (!(e->term = strdup(c->label ? c->label : "?"))) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            hit->nexplain++;
            if (c->kind == C_TERM) {
                e->tf = lede_postings_tf(c->p);
                e->title_tf = lede_postings_title_tf(c->p);
                e->df = c->ti.df;
            } else {
                e->tf = c->ptf;
                e->df = c->df;
            }
            e->idf = c->idf;
            e->norm = lede_bm25_norm(&q->bm, doclen(q->s, c->doc));
            e->score = cscore(c);
        }
    }
cleanup:
    free(order);
    return rc;
}

static void qctx_clear(qctx *q)
{
    for (size_t i = 0; i < q->nall; i++)
        cfree(q->all[i]);
    free(q->all);
    free(q->leaves);
    free(q->lo);
    free(q->hi);
    free(q->negate);
    for (size_t i = 0; i < q->nowned; i++)
        free(q->owned[i]);
    free(q->owned);
}

static int own(qctx *q, char *s)
{
    char **v = s ? realloc(q->owned, (q->nowned + 1) * sizeof *v) : NULL;
    if (!v) {
        free(s);
        return LEDE_ENOMEM;
    }
    v[q->nowned++] = s;
    q->owned = v;
    return LEDE_OK;
}

void lede_results_free(lede_results *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n; i++) {
        for (size_t j = 0; j < res->hits[i].nexplain; j++)
            free(res->hits[i].explain[j].term);
        free(res->hits[i].explain);
    }
    free(res->hits);
    for (size_t i = 0; i < res->nterms; i++)
        free(res->terms[i].text);
    free(res->terms);
    for (size_t i = 0; i < res->nnotes; i++)
        free(res->notes[i]);
    free(res->notes);
    free(res);
}

static void set_error(lede_searcher *s, const char *msg, size_t pos)
{
    snprintf(s->errmsg, sizeof s->errmsg, "%s", msg);
    s->errpos = pos;
}

int lede_search(lede_results **out, lede_searcher *s, const char *query,
                const lede_search_options *opts)
{
    lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
    lede_qnode *tree = NULL;
    lede_results *res = NULL;
    lede_topk top = {0};
    scored_doc *all = NULL;
    size_t nall = 0, capall = 0;
    qctx q = {0};
    int rc = LEDE_OK;
    *out = NULL;
    if (opts)
        o = *opts;
    if (o.limit == 0)
        o.limit = 10;
    /*
     * No query matches more documents than the index holds.  A larger limit
     * ("-n 18446744073709551615" for all of them) must not size the top-k
     * heap, and offset + limit must not wrap around to a small number.
     */
    if (o.limit > s->st.ndocs)
        o.limit = s->st.ndocs ? (size_t)s->st.ndocs : 1;
    if (o.offset > s->st.ndocs)
        o.offset = (size_t)s->st.ndocs;
    s->errmsg[0] = '\0';
    s->errpos = 0;

    lede_qerror err = {0};
    rc = lede_qparse(&tree, s->a, query, o.all, &err);
    if (rc != LEDE_OK) {
        set_error(s, err.msg ? err.msg : lede_strerror(rc), err.pos);
        goto cleanup;
    }
    if (!(res = calloc(1, sizeof *res))) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    q.s = s;
    q.res = res;
    q.title_w = o.title_weight >= 0 ? o.title_weight : LEDE_SEARCH_TITLE_WEIGHT;
    q.name_boost = LEDE_SEARCH_NAME_BOOST;
    q.prefix_cap = o.prefix_cap ? o.prefix_cap : 200;
    q.keep_stop = o.keep_stopwords;
    q.proximity = o.proximity >= 0 ? o.proximity : LEDE_SEARCH_PROXIMITY;
    q.prox_window = LEDE_SEARCH_PROX_WINDOW;
    lede_bm25_init(&q.bm, o.k1 >= 0 ? o.k1 : LEDE_SEARCH_K1, o.b >= 0 ? o.b : LEDE_SEARCH_B,
                   s->st.ndocs, s->st.total_len, o.idf >= 0 ? o.idf : LEDE_IDF_ROBERTSON);
    if (o.since && (rc = add_date(&q, o.since, NULL, 0)) != LEDE_OK)
        goto cleanup;
    if (o.until) {
        size_t l = strlen(o.until);
        char *hi = malloc(l + 2);
        if (!hi || (rc = own(&q, hi)) != LEDE_OK) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        memcpy(hi, o.until, l);
        hi[l] = '\x7f';
        hi[l + 1] = '\0';
        if ((rc = add_date(&q, NULL, hi, 0)) != LEDE_OK)
            goto cleanup;
    }
    cursor *root = build(&q, tree, 1);
    if (!root) {
        rc = q.rc ? q.rc : LEDE_ENOMEM;
        goto cleanup;
    }
    size_t want = o.offset + o.limit;
    if (o.sort != LEDE_SORT_SCORE || o.count_all) {
        /* Every match is needed: walk them all. */
        if ((rc = lede_topk_init(&top, want)) != LEDE_OK)
            goto cleanup;
        for (; root->doc != LEDE_DOCID_END; rc = cnext(root)) {
            if (rc != LEDE_OK)
                goto cleanup;
            const char *date = "";
            if (!date_ok(&q, root->doc, o.sort != LEDE_SORT_SCORE ? &date : NULL))
                continue;
            res->total++;
            double sc = cscore(root);
            res->scored++;
            if (o.sort == LEDE_SORT_SCORE) {
                lede_topk_push(&top, root->doc, sc);
                continue;
            }
            if (nall == capall) {
                capall = capall ? 2 * capall : 256;
                scored_doc *v = realloc(all, capall * sizeof *v);
                if (!v) {
                    rc = LEDE_ENOMEM;
                    goto cleanup;
                }
                all = v;
            }
            all[nall++] = (scored_doc){root->doc, sc, date};
        }
        if (rc != LEDE_OK)
            goto cleanup;
    } else {
        if ((rc = lede_topk_init(&top, want)) != LEDE_OK)
            goto cleanup;
        if (root->kind == C_OR) {
            rc = run_maxscore(&q, root, &top, &res->scored);
        } else if (root->kind == C_TERM || root->kind == C_PHRASE) {
            /* One clause: MaxScore over a list of one. */
            cursor fake = {0};
            cursor *kids[1] = {root};
            fake.kind = C_OR;
            fake.kids = kids;
            fake.nkids = 1;
            rc = run_maxscore(&q, &fake, &top, &res->scored);
        } else {
            for (; root->doc != LEDE_DOCID_END; rc = cnext(root)) {
                if (rc != LEDE_OK)
                    goto cleanup;
                if (!date_ok(&q, root->doc, NULL))
                    continue;
                res->scored++;
                lede_topk_push(&top, root->doc, cscore(root));
            }
        }
        if (rc != LEDE_OK)
            goto cleanup;
        res->total = top.n;
    }
    /* Collect the page [offset, offset + limit). */
    if (o.sort == LEDE_SORT_SCORE) {
        lede_topk_sort(&top);
        nall = top.n;
    } else if (nall > 0) {
        qsort(all, nall, sizeof *all, o.sort == LEDE_SORT_DATE ? sort_date_asc : sort_date_desc);
    }
    size_t from = o.offset < nall ? o.offset : nall;
    size_t to = o.limit < nall - from ? from + o.limit : nall;
    res->n = to - from;
    res->hits = calloc(res->n ? res->n : 1, sizeof *res->hits);
    if (!res->hits) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (size_t i = from; i < to; i++) {
        lede_hit *h = &res->hits[i - from];
        h->docid = o.sort == LEDE_SORT_SCORE ? top.items[i].docid : all[i].docid;
        h->score = o.sort == LEDE_SORT_SCORE ? top.items[i].score : all[i].score;
        h->doclen = doclen(s, h->docid);
    }
    if (o.explain && res->n > 0 && (rc = explain(&q, tree, res)) != LEDE_OK)
        goto cleanup;
    *out = res;
    res = NULL;
cleanup:
    if (rc != LEDE_OK && rc != LEDE_EINVAL && !s->errmsg[0])
        set_error(s, lede_strerror(rc), 0);
    qctx_clear(&q);
    lede_topk_clear(&top);
    free(all);
    lede_results_free(res);
    lede_qnode_free(tree);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The searcher                                                       */
/* ------------------------------------------------------------------ */

int lede_searcher_open(lede_searcher **out, lede_reader *r, char **errmsg)
{
    lede_searcher *s = calloc(1, sizeof *s);
    int rc = LEDE_OK;
    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    if (!s) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    s->r = r;
    if ((rc = lede_reader_stats(r, &s->st)) != LEDE_OK)
        goto cleanup;
    const char *lang = s->st.language[0] ? s->st.language : "english";
    if ((rc = lede_analyzer_new(&s->a, lang)) != LEDE_OK)
        goto cleanup;
    s->nlens = (size_t)s->st.max_docid + 1;
    /*
     * Pages must only be touched for documents a query reaches: one
     * lede-query process answers one query, and on this kind of virtual
     * machine every page touched costs a fault of 10 µs or more.  calloc
     * clears blocks below malloc's mmap threshold (128 KiB: Reuters' 86 KiB
     * table cost 21 faults before the first query); an anonymous map comes
     * zeroed and is filled in page by page.
     */
    size_t bytes = s->nlens * sizeof *s->lens;
    if (bytes >= 16384) {
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            s->lens = m;
            s->lens_mapped = 1;
        }
    }
    if (!s->lens && !(s->lens = calloc(s->nlens, sizeof *s->lens))) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    *out = s;
    s = NULL;
cleanup:
    if (rc != LEDE_OK && errmsg) {
        char buf[256];
        snprintf(buf, sizeof buf, "cannot open the searcher: %s", lede_strerror(rc));
        *errmsg = strdup(buf);
    }
    lede_searcher_close(s);
    return rc;
}

int lede_searcher_preload(lede_searcher *s)
{
    /* The index itself, when it is small next to memory (a quarter of it,
     * at most 1 GiB): page faults cost 5-20 us each on virtual machines, and
     * a cold query touches dozens of pages. */
    long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
    uint64_t room = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize / 4 : 0;
    (void)lede_reader_prefault(s->r, LEDE_MIN(room, (uint64_t)1 << 30));
    lede_analyzer_warm(s->a);
    for (uint32_t d = 1; d < s->nlens; d++)
        (void)doclen(s, d);
    return LEDE_OK;
}

void lede_searcher_close(lede_searcher *s)
{
    if (!s)
        return;
    lede_analyzer_free(s->a);
    if (s->lens_mapped)
        munmap(s->lens, s->nlens * sizeof *s->lens);
    else
        free(s->lens);
    free(s);
}

const char *lede_searcher_errmsg(const lede_searcher *s)
{
    return s->errmsg;
}

size_t lede_searcher_errpos(const lede_searcher *s)
{
    return s->errpos;
}

lede_analyzer *lede_searcher_analyzer(lede_searcher *s)
{
    return s->a;
}
