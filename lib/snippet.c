/*
 * snippet.c — snippets: which windows of a document's text best show why it
 * matched, and how to print them safely.
 *
 * Owns: lede_snippet_query (the matched terms), window choice, fragment byte
 * ranges and highlight ranges, and the renderer/sanitizer that keeps control
 * characters and terminal escape sequences out of the output.
 * Must not touch: the index (the caller passes the text) or the analyzer's
 * internals (the text is re-analysed through lede_analyze, so a snippet
 * matches exactly the tokens the index was built from).  The tokens come
 * from a non-stemming analyzer and only words a keyword could match are
 * stemmed, by the caller's analyzer (see lede_snippet_make and stem_of).
 *
 * Window choice.  The text is analysed once; every token that matches a term
 * becomes a match (a name or phrase becomes one match over its run of
 * tokens).  A window is context_words consecutive tokens.  Candidate windows
 * are placed around each match (centred on it, starting at the sentence that
 * holds it, starting just before it) and scored:
 *
 *     sum over distinct terms in the window of 10 * weight   (distinct ≫ repeats)
 *   + sum over repeated occurrences of 1 * weight             (capped)
 *   + for a whole name or phrase, 10 * weight per word + 5    (whole names win)
 *   + 0.5 when the window starts a sentence                   (tie-break)
 *
 * The best window wins; when it holds a matched name it is re-centred on
 * that name, as the spec asks.  Further fragments must not overlap earlier
 * ones, and terms already shown count for less so they show something new.
 */
#include "common.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ------------------------------------------------------------------ */
/* Query terms                                                        */
/* ------------------------------------------------------------------ */

typedef struct sterm {
    lede_snippet_kind kind;
    char *text;
    size_t len;
    double weight;
    /* For phrases and names: the words, as ranges of text. */
    size_t nwords;
    uint32_t *woff;
    uint32_t *wlen;
} sterm;

struct lede_snippet_query {
    sterm *terms;
    size_t n;
    size_t cap;
    size_t nstem; /* terms of kind LEDE_SNIPPET_STEM */
    /* Non-zero when the language's stems keep the word's first byte and are
     * never longer than the word (see lede_snippet_query_set_language). */
    int prefilter;
    /* An analyzer that does not stem: tokens only (see lede_snippet_make). */
    lede_analyzer *plain;
};

int lede_snippet_query_new(lede_snippet_query **out)
{
    lede_snippet_query *q = calloc(1, sizeof *q);
    if (q == NULL || lede_analyzer_new(&q->plain, "none") != LEDE_OK) {
        free(q);
        *out = NULL;
        return LEDE_ENOMEM;
    }
    *out = q;
    return LEDE_OK;
}

int lede_snippet_query_set_language(lede_snippet_query *q, const char *language)
{
    if (q == NULL)
        return LEDE_EINVAL;
    /*
     * Snowball's English (Porter2) stemmer only rewrites suffixes, and no
     * rewrite is longer than what it replaces: a stem is never longer than
     * its word, and it differs from the word's beginning in its last two
     * bytes at most (two only for Porter2's exceptions dying, lying, tying;
     * one for y -> i, "ation" -> "ate", "hoping" -> "hope" and the like).
     * Checked on every token of the eleven corpora in ../shared/corpora (31
     * million tokens) and on 4 million generated words built from Porter2's
     * suffixes: no exception.  Other languages' stemmers may strip prefixes
     * (Indonesian, Irish), so they keep the full analysis.
     */
    q->prefilter = language != NULL &&
                   (strcmp(language, "english") == 0 || strcmp(language, "none") == 0);
    return LEDE_OK;
}

void lede_snippet_query_free(lede_snippet_query *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->n; i++) {
        free(q->terms[i].text);
        free(q->terms[i].woff);
        free(q->terms[i].wlen);
    }
    free(q->terms);
    lede_analyzer_free(q->plain);
    free(q);
}

size_t lede_snippet_query_count(const lede_snippet_query *q)
{
    return q ? q->n : 0;
}

/* Split a phrase on runs of spaces into word ranges. */
static int split_words(sterm *t)
{
    size_t n = 0;
    for (size_t i = 0; i < t->len; i++)
        if (t->text[i] != ' ' && (i == 0 || t->text[i - 1] == ' '))
            n++;
    if (n == 0)
        return LEDE_EINVAL;
    t->woff = malloc(n * sizeof *t->woff);
    t->wlen = malloc(n * sizeof *t->wlen);
    if (t->woff == NULL || t->wlen == NULL)
        return LEDE_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->len;) {
        if (t->text[i] == ' ') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < t->len && t->text[j] != ' ')
            j++;
        t->woff[k] = (uint32_t)i;
        t->wlen[k] = (uint32_t)(j - i);
        k++;
        i = j;
    }
    t->nwords = n;
    return LEDE_OK;
}

int lede_snippet_query_add(lede_snippet_query *q, lede_snippet_kind kind, const char *term,
                           size_t len, double weight)
{
    int rc = LEDE_OK;
    sterm t = {kind, NULL, len, weight > 0 && isfinite(weight) ? weight : 1.0, 0, NULL, NULL};

    if (q == NULL || term == NULL || len == 0 || len > 4096 || (unsigned)kind > LEDE_SNIPPET_NAME)
        return LEDE_EINVAL;
    for (size_t i = 0; i < q->n; i++) {
        if (q->terms[i].kind == kind && q->terms[i].len == len &&
            memcmp(q->terms[i].text, term, len) == 0) {
            /* Keep one copy, with the larger weight. */
            if (t.weight > q->terms[i].weight)
                q->terms[i].weight = t.weight;
            return LEDE_OK;
        }
    }
    if ((t.text = malloc(len + 1)) == NULL)
        return LEDE_ENOMEM;
    memcpy(t.text, term, len);
    t.text[len] = '\0';
    if (kind == LEDE_SNIPPET_PHRASE || kind == LEDE_SNIPPET_NAME) {
        if ((rc = split_words(&t)) != LEDE_OK)
            goto cleanup;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 8;
        sterm *nt = realloc(q->terms, cap * sizeof *nt);
        if (nt == NULL) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        q->terms = nt;
        q->cap = cap;
    }
    q->terms[q->n++] = t;
    if (kind == LEDE_SNIPPET_STEM)
        q->nstem++;
    return LEDE_OK;
cleanup:
    free(t.text);
    free(t.woff);
    free(t.wlen);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Analysis of the text                                               */
/* ------------------------------------------------------------------ */

typedef struct tok {
    uint32_t start, end;
    uint32_t pos;
    uint32_t flags;
    uint32_t woff, wlen; /* folded word in the collector's arena */
} tok;

/* A term occurrence: tokens first..last (inclusive) matched term. */
typedef struct match {
    uint32_t first, last;
    uint32_t term;
} match;

typedef struct collector {
    const lede_snippet_query *q;
    tok *toks;
    size_t ntoks, captoks;
    char *arena;
    size_t arena_len, arena_cap;
    match *m;
    size_t nm, capm;
    int oom;
    /* Tokens come from the query's non-stemming analyzer; stems, where a
     * keyword could match, from a (the document's analyzer). */
    int plain;
    lede_analyzer *a;
    int fallback; /* a word did not analyse back to itself: analyse in full */
} collector;

/* The stem of one word, as lede_analyze gives it when the word is analysed alone. */
typedef struct one_stem {
    const char *word;
    size_t word_len;
    size_t ntoks;
    int same; /* the one token is the word itself, stemmable */
    char stem[LEDE_TERM_MAX + 1];
    size_t stem_len;
} one_stem;

static int on_one_stem(const lede_token *t, void *payload)
{
    one_stem *o = payload;
    if (o->ntoks++ > 0) {
        o->same = 0;
        return 1;
    }
    o->same = t->word_len == o->word_len && memcmp(t->word, o->word, t->word_len) == 0 &&
              !(t->flags & (LEDE_TOKEN_NUMERIC | LEDE_TOKEN_CJK)) &&
              t->stem_len <= LEDE_TERM_MAX;
    if (o->same) {
        memcpy(o->stem, t->stem, t->stem_len);
        o->stem_len = t->stem_len;
    }
    return 0;
}

/*
 * The stem of token t when it comes from the non-stemming analyzer: only
 * worked out when some keyword could be its stem (the word is at least as
 * long and starts with all but the keyword's last two bytes, or its first
 * byte; see lede_snippet_query_set_language), a few tokens in a hundred.
 * The word is analysed alone by the document's analyzer, the same code path
 * and stem cache a full analysis uses; if it does not come back as the one
 * token it was, the caller analyses the whole text instead.  Returns 0 when
 * no keyword can match, 1 with the stem in *s, *n, -1 to fall back.
 */
static int stem_of(collector *c, const lede_token *t, one_stem *o, const char **s, size_t *n)
{
    if (t->flags & (LEDE_TOKEN_NUMERIC | LEDE_TOKEN_CJK)) {
        *s = t->word; /* never stemmed */
        *n = t->word_len;
        return 1;
    }
    int maybe = 0;
    for (size_t i = 0; i < c->q->n && !maybe; i++) {
        const sterm *st = &c->q->terms[i];
        size_t keep = st->len > 3 ? st->len - 2 : 1;
        maybe = st->kind == LEDE_SNIPPET_STEM && st->len <= t->word_len &&
                memcmp(st->text, t->word, keep) == 0;
    }
    if (!maybe)
        return 0;
    memset(o, 0, offsetof(one_stem, stem));
    o->word = t->word;
    o->word_len = t->word_len;
    int rc = lede_analyze(c->a, t->word, t->word_len, 0, on_one_stem, o, NULL);
    if ((rc != LEDE_OK && rc != 1) || o->ntoks != 1 || !o->same)
        return -1;
    *s = o->stem;
    *n = o->stem_len;
    return 1;
}

static int push_match(collector *c, uint32_t first, uint32_t last, uint32_t term)
{
    if (c->nm == c->capm) {
        size_t cap = c->capm ? 2 * c->capm : 64;
        match *nm = realloc(c->m, cap * sizeof *nm);
        if (nm == NULL)
            return LEDE_ENOMEM;
        c->m = nm;
        c->capm = cap;
    }
    c->m[c->nm++] = (match){first, last, term};
    return LEDE_OK;
}

static int on_token(const lede_token *t, void *payload)
{
    collector *c = payload;
    if (c->ntoks == c->captoks) {
        size_t cap = c->captoks ? 2 * c->captoks : 256;
        tok *nt = realloc(c->toks, cap * sizeof *nt);
        if (nt == NULL)
            goto oom;
        c->toks = nt;
        c->captoks = cap;
    }
    if (c->arena_len + t->word_len > c->arena_cap) {
        size_t cap = c->arena_cap ? 2 * c->arena_cap : 4096;
        while (cap < c->arena_len + t->word_len)
            cap *= 2;
        char *na = realloc(c->arena, cap);
        if (na == NULL)
            goto oom;
        c->arena = na;
        c->arena_cap = cap;
    }
    uint32_t idx = (uint32_t)c->ntoks;
    c->toks[c->ntoks++] = (tok){t->start, t->end, t->pos, t->flags, (uint32_t)c->arena_len,
                                (uint32_t)t->word_len};
    memcpy(c->arena + c->arena_len, t->word, t->word_len);
    c->arena_len += t->word_len;

    /* Single-token terms are matched here, while the stem is at hand. */
    const char *stem = t->stem;
    size_t stem_len = t->stem_len;
    int have_stem = 1;
    one_stem o;
    if (c->plain && c->q->nstem > 0) {
        have_stem = stem_of(c, t, &o, &stem, &stem_len);
        if (have_stem < 0) {
            c->fallback = 1;
            return 1;
        }
    }
    for (size_t i = 0; i < c->q->n; i++) {
        const sterm *st = &c->q->terms[i];
        const char *s;
        size_t n;
        if (st->kind == LEDE_SNIPPET_STEM) {
            if (!have_stem)
                continue;
            s = stem;
            n = stem_len;
        } else if (st->kind == LEDE_SNIPPET_WORD) {
            s = t->word;
            n = t->word_len;
        } else {
            continue;
        }
        if (n == st->len && memcmp(s, st->text, n) == 0 &&
            push_match(c, idx, idx, (uint32_t)i) != LEDE_OK)
            goto oom;
    }
    return 0;
oom:
    c->oom = 1;
    return 1;
}

/* Phrases and names: runs of consecutive tokens whose words are the term's. */
static int match_sequences(collector *c)
{
    for (size_t i = 0; i < c->q->n; i++) {
        const sterm *st = &c->q->terms[i];
        if (st->kind != LEDE_SNIPPET_PHRASE && st->kind != LEDE_SNIPPET_NAME)
            continue;
        for (size_t k = 0; k + st->nwords <= c->ntoks; k++) {
            size_t w = 0;
            for (; w < st->nwords; w++) {
                const tok *t = &c->toks[k + w];
                if (t->wlen != st->wlen[w] ||
                    memcmp(c->arena + t->woff, st->text + st->woff[w], t->wlen) != 0)
                    break;
                if (w > 0 && t->pos != c->toks[k + w - 1].pos + 1)
                    break;
            }
            if (w == st->nwords &&
                push_match(c, (uint32_t)k, (uint32_t)(k + st->nwords - 1), (uint32_t)i) !=
                    LEDE_OK)
                return LEDE_ENOMEM;
        }
    }
    return LEDE_OK;
}

static int match_cmp(const void *pa, const void *pb)
{
    const match *a = pa, *b = pb;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    if (a->last != b->last)
        return a->last < b->last ? -1 : 1;
    return (a->term > b->term) - (a->term < b->term);
}

/* ------------------------------------------------------------------ */
/* Window choice                                                      */
/* ------------------------------------------------------------------ */

/* Occurrences of one term used to place candidate windows: a common word in
 * a long text cannot crowd out the places where a rare term occurs. */
#define MAX_ANCHORS_PER_TERM 512
/* Repeats of one term that still add to a window's score. */
#define MAX_REPEATS 4

typedef struct chooser {
    const collector *c;
    uint32_t width;    /* tokens per window */
    uint32_t *count;   /* per term, occurrences in the window being scored */
    double *shown;     /* per term, times shown in fragments already chosen */
    uint32_t *anchors; /* per term, candidate windows placed so far */
    uint32_t (*taken)[2]; /* token ranges [s, e) of chosen windows */
    size_t ntaken;
} chooser;

/* The first match whose first token is >= tokno. */
static size_t first_match_at(const collector *c, uint32_t tokno)
{
    size_t lo = 0, hi = c->nm;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->m[mid].first < tokno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static double score_window(chooser *ch, uint32_t s, uint32_t e)
{
    const collector *c = ch->c;
    const lede_snippet_query *q = c->q;
    double score = 0;
    memset(ch->count, 0, q->n * sizeof *ch->count);
    for (size_t i = first_match_at(c, s); i < c->nm && c->m[i].first < e; i++) {
        const match *m = &c->m[i];
        if (m->last >= e)
            continue;
        const sterm *t = &q->terms[m->term];
        /* A term already shown in an earlier fragment counts for less. */
        double w = t->weight / (1.0 + 2.0 * ch->shown[m->term]);
        uint32_t n = ++ch->count[m->term];
        if (n == 1) {
            score += 10.0 * w;
            if (t->kind == LEDE_SNIPPET_PHRASE || t->kind == LEDE_SNIPPET_NAME)
                score += 10.0 * w * (double)t->nwords + 5.0;
        } else if (n <= MAX_REPEATS) {
            score += w;
        }
    }
    if (score > 0 && (c->toks[s].flags & LEDE_TOKEN_SENTENCE_START))
        score += 0.5;
    return score;
}

static uint32_t clamp_start(const chooser *ch, int64_t s)
{
    int64_t maxs = (int64_t)ch->c->ntoks - (int64_t)ch->width;
    if (maxs < 0)
        maxs = 0;
    if (s > maxs)
        s = maxs;
    if (s < 0)
        s = 0;
    return (uint32_t)s;
}

/*
 * Windows keep at least one token between them: the bytes between two
 * adjacent tokens could otherwise be claimed by both fragments' edges, and
 * overlapping character bigrams share bytes.
 */
static int overlaps_taken(const chooser *ch, uint32_t s, uint32_t e)
{
    for (size_t i = 0; i < ch->ntaken; i++)
        if (s <= ch->taken[i][1] && ch->taken[i][0] <= e)
            return 1;
    return 0;
}

/* The window of ch->width tokens centred on match m. */
static uint32_t centred_on(const chooser *ch, const match *m)
{
    int64_t mid2 = (int64_t)m->first + (int64_t)m->last; /* twice the centre */
    return clamp_start(ch, (mid2 - (int64_t)ch->width + 1) / 2);
}

/*
 * Find the best window not overlapping chosen ones.  Returns its score (0
 * when no window holds a match) and its start in *best.
 */
static double best_window(chooser *ch, uint32_t *best)
{
    const collector *c = ch->c;
    double best_score = 0;
    uint32_t ntok = (uint32_t)c->ntoks;

    *best = 0;
    memset(ch->anchors, 0, c->q->n * sizeof *ch->anchors);
    for (size_t i = 0; i < c->nm; i++) {
        const match *m = &c->m[i];
        if (++ch->anchors[m->term] > MAX_ANCHORS_PER_TERM)
            continue;
        uint32_t cand[3];
        size_t ncand = 0;
        cand[ncand++] = centred_on(ch, m);
        if (c->q->terms[m->term].kind != LEDE_SNIPPET_NAME) {
            /* The start of m's sentence, if the window then still holds m. */
            uint32_t s = m->first;
            while (s > 0 && !(c->toks[s].flags & LEDE_TOKEN_SENTENCE_START) &&
                   m->last - s + 1 < ch->width)
                s--;
            if (m->last - s + 1 <= ch->width)
                cand[ncand++] = clamp_start(ch, s);
            cand[ncand++] = clamp_start(ch, (int64_t)m->first - 3);
        }
        for (size_t k = 0; k < ncand; k++) {
            uint32_t s = cand[k], e = LEDE_MIN(ntok, s + ch->width);
            if (overlaps_taken(ch, s, e))
                continue;
            double sc = score_window(ch, s, e);
            if (sc > best_score || (sc == best_score && sc > 0 && s < *best)) {
                best_score = sc;
                *best = s;
            }
        }
    }
    if (best_score > 0) {
        /* A window holding a matched name is centred on it (the name nearest
         * the window's centre), so the name reads with context both sides. */
        uint32_t s = *best, e = LEDE_MIN(ntok, s + ch->width);
        const match *name = NULL;
        int64_t best_dist = INT64_MAX;
        for (size_t i = first_match_at(c, s); i < c->nm && c->m[i].first < e; i++) {
            const match *m = &c->m[i];
            if (m->last >= e || c->q->terms[m->term].kind != LEDE_SNIPPET_NAME)
                continue;
            int64_t d = llabs(((int64_t)m->first + m->last) - ((int64_t)s + e - 1));
            if (d < best_dist) {
                best_dist = d;
                name = m;
            }
        }
        if (name != NULL) {
            uint32_t ns = centred_on(ch, name);
            uint32_t ne = LEDE_MIN(ntok, ns + ch->width);
            if (!overlaps_taken(ch, ns, ne)) {
                best_score = score_window(ch, ns, ne);
                *best = ns;
            }
        }
    }
    return best_score;
}

/* ------------------------------------------------------------------ */
/* Fragments                                                          */
/* ------------------------------------------------------------------ */

typedef struct snippet_impl {
    lede_snippet pub; /* first: the public part is what callers hold */
    lede_snippet_range *ranges;
} snippet_impl;

static int is_space_byte(unsigned char b)
{
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f';
}

/* Extend [start, end) over punctuation glued to its first and last words. */
static void extend_to_word_edges(const char *text, size_t len, uint32_t lo_limit,
                                 uint32_t hi_limit, uint32_t *start, uint32_t *end)
{
    const unsigned char *u = (const unsigned char *)text;
    uint32_t s = *start, e = *end;
    /* Back over an opening quote or bracket, at most 16 bytes, never into the
     * previous token. */
    while (s > lo_limit && *start - s < 16 && !is_space_byte(u[s - 1]) && u[s - 1] >= 0x20)
        s--;
    while (s < *start && (u[s] & 0xC0) == 0x80)
        s++; /* stopped inside a code point: move to its end */
    while (e < hi_limit && e < len && e - *end < 16 && !is_space_byte(u[e]) && u[e] >= 0x20)
        e++;
    while (e > *end && e < len && (u[e] & 0xC0) == 0x80)
        e--; /* do not end inside a code point */
    *start = s;
    *end = e;
}

static int has_content(const char *text, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (!is_space_byte((unsigned char)text[i]))
            return 1;
    return 0;
}

static int range_cmp(const void *pa, const void *pb)
{
    const lede_snippet_range *a = pa, *b = pb;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return (a->end > b->end) - (a->end < b->end);
}

static int frag_cmp(const void *pa, const void *pb)
{
    const lede_fragment *a = pa, *b = pb;
    return (a->start > b->start) - (a->start < b->start);
}

int lede_snippet_make(lede_snippet **out, lede_analyzer *a, const char *text, size_t len,
                      const lede_snippet_query *q, const lede_snippet_options *opts)
{
    static const lede_snippet_query empty_query = {NULL, 0, 0};
    int rc = LEDE_OK;
    collector c = {0};
    chooser ch = {0};
    snippet_impl *sn = NULL;
    uint32_t (*win)[2] = NULL;
    double *win_score = NULL;
    size_t nwin = 0;

    *out = NULL;
    if (a == NULL || (text == NULL && len > 0) || len > UINT32_MAX)
        return LEDE_EINVAL;
    if (q == NULL)
        q = &empty_query;
    unsigned width = opts && opts->context_words ? opts->context_words : 30;
    unsigned maxfrag = opts && opts->max_fragments ? opts->max_fragments : 1;
    int lead = !(opts && opts->no_lead_fallback);

    if ((sn = calloc(1, sizeof *sn)) == NULL)
        return LEDE_ENOMEM;
    c.q = q;
    c.a = a;
    /*
     * Stemming every word of the text is most of a snippet's cost, and in a
     * short-lived lede-query it also touches a new page of the stem cache
     * for nearly every distinct word.  Only tokens a keyword could match
     * need their stem: without keywords (phrases, names, quoted words) no
     * token does, and for a language whose stems keep the word's first
     * byte (lede_snippet_query_set_language) few do.  The tokens are the
     * same either way; only stem_of's answers come from the stemmer.
     */
    c.plain = q->plain != NULL && (q->nstem == 0 || q->prefilter);
    rc = lede_analyze(c.plain ? q->plain : a, text ? text : "", len, 0, on_token, &c, NULL);
    if (c.fallback) {
        /* Start again with the document's own analyzer, stemming every word. */
        c.plain = 0;
        c.fallback = 0;
        c.oom = 0;
        c.ntoks = 0;
        c.arena_len = 0;
        c.nm = 0;
        rc = lede_analyze(a, text ? text : "", len, 0, on_token, &c, NULL);
    }
    if (c.oom) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if (rc != LEDE_OK)
        goto cleanup;
    if (c.ntoks == 0)
        goto cleanup; /* nothing to show */
    if ((rc = match_sequences(&c)) != LEDE_OK)
        goto cleanup;
    if (c.nm > 1)
        qsort(c.m, c.nm, sizeof *c.m, match_cmp);

    ch.c = &c;
    ch.width = width;
    ch.count = calloc(q->n + 1, sizeof *ch.count);
    ch.shown = calloc(q->n + 1, sizeof *ch.shown);
    ch.anchors = calloc(q->n + 1, sizeof *ch.anchors);
    win = calloc(maxfrag, sizeof *win);
    win_score = calloc(maxfrag, sizeof *win_score);
    if (ch.count == NULL || ch.shown == NULL || ch.anchors == NULL || win == NULL ||
        win_score == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    ch.taken = win;
    while (nwin < maxfrag) {
        uint32_t s;
        double sc = best_window(&ch, &s);
        if (sc <= 0)
            break;
        uint32_t e = LEDE_MIN((uint32_t)c.ntoks, s + width);
        win[nwin][0] = s;
        win[nwin][1] = e;
        win_score[nwin] = sc;
        nwin++;
        ch.ntaken = nwin;
        /* Terms shown now count for less in the next fragments. */
        for (size_t i = first_match_at(&c, s); i < c.nm && c.m[i].first < e; i++)
            if (c.m[i].last < e)
                ch.shown[c.m[i].term] += 1;
    }
    if (nwin == 0 && lead) {
        win[0][0] = 0;
        win[0][1] = LEDE_MIN((uint32_t)c.ntoks, width);
        win_score[0] = 0;
        nwin = 1;
    }
    if (nwin == 0)
        goto cleanup;

    /* Matches inside the windows become byte ranges, merged where they
     * overlap (a name and its words, overlapping character bigrams). */
    size_t nranges = 0;
    for (size_t w = 0; w < nwin; w++)
        for (size_t i = first_match_at(&c, win[w][0]); i < c.nm && c.m[i].first < win[w][1]; i++)
            nranges++;
    sn->pub.frags = calloc(nwin, sizeof *sn->pub.frags);
    sn->ranges = calloc(nranges + 1, sizeof *sn->ranges);
    if (sn->pub.frags == NULL || sn->ranges == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    size_t used = 0;
    for (size_t w = 0; w < nwin; w++) {
        uint32_t s = win[w][0], e = win[w][1];
        lede_fragment *f = &sn->pub.frags[w];
        lede_snippet_range *r = sn->ranges + used;
        size_t nr = 0;
        for (size_t i = first_match_at(&c, s); i < c.nm && c.m[i].first < e; i++) {
            if (c.m[i].last >= e)
                continue;
            r[nr++] = (lede_snippet_range){c.toks[c.m[i].first].start, c.toks[c.m[i].last].end};
        }
        qsort(r, nr, sizeof *r, range_cmp);
        size_t k = 0;
        for (size_t i = 0; i < nr; i++) {
            if (k > 0 && r[i].start <= r[k - 1].end) {
                if (r[i].end > r[k - 1].end)
                    r[k - 1].end = r[i].end;
            } else {
                r[k++] = r[i];
            }
        }
        used += k;

        uint32_t bs = c.toks[s].start, be = c.toks[e - 1].end;
        uint32_t lo = s > 0 ? c.toks[s - 1].end : 0;
        uint32_t hi = e < c.ntoks ? c.toks[e].start : (uint32_t)len;
        extend_to_word_edges(text, len, lo, hi, &bs, &be);
        f->start = bs;
        f->end = be;
        f->flags = (has_content(text, 0, bs) ? LEDE_FRAGMENT_CUT_BEFORE : 0) |
                   (has_content(text, be, len) ? LEDE_FRAGMENT_CUT_AFTER : 0);
        f->score = win_score[w];
        f->matches = r;
        f->nmatches = k;
    }
    sn->pub.n = nwin;
    qsort(sn->pub.frags, nwin, sizeof *sn->pub.frags, frag_cmp);

cleanup:
    free(c.toks);
    free(c.arena);
    free(c.m);
    free(ch.count);
    free(ch.shown);
    free(ch.anchors);
    free(win);
    free(win_score);
    if (rc != LEDE_OK) {
        lede_snippet_free(&sn->pub);
        sn = NULL;
    }
    *out = sn ? &sn->pub : NULL;
    return rc;
}

void lede_snippet_free(lede_snippet *s)
{
    if (s == NULL)
        return;
    snippet_impl *sn = (snippet_impl *)s;
    free(sn->pub.frags);
    free(sn->ranges);
    free(sn);
}

/* ------------------------------------------------------------------ */
/* Rendering and sanitizing                                           */
/* ------------------------------------------------------------------ */

typedef struct outbuf {
    char *p;
    size_t len, cap;
    int space_pending; /* a run of whitespace seen, not yet written */
    int at_start;      /* nothing but markers written yet: drop leading space */
    int oom;
} outbuf;

static void put(outbuf *o, const char *s, size_t n)
{
    if (o->oom)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 256;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *np = realloc(o->p, cap);
        if (np == NULL) {
            o->oom = 1;
            return;
        }
        o->p = np;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void flush_space(outbuf *o)
{
    if (o->space_pending && !o->at_start)
        put(o, " ", 1);
    o->space_pending = 0;
}

/* Longest string-type sequence (OSC, DCS, ...) skipped whole; an unterminated
 * one loses only its introducer, so a stray ESC ] cannot hide a document. */
#define MAX_STRING_SEQ 512

/* The end of a string-type sequence body starting at i (after BEL, ESC \ or
 * C1 ST), or i when no terminator comes within MAX_STRING_SEQ bytes. */
static size_t skip_string_seq(const unsigned char *u, size_t i, size_t limit)
{
    size_t stop = LEDE_MIN(limit, i + MAX_STRING_SEQ);
    for (size_t k = i; k < stop; k++) {
        if (u[k] == 0x07)
            return k + 1;
        if (u[k] == 0x1B)
            return k + 1 < limit && u[k + 1] == '\\' ? k + 2 : k + 1;
        if (u[k] == 0xC2 && k + 1 < limit && u[k + 1] == 0x9C)
            return k + 2;
    }
    return i;
}

/* Skip a CSI body (parameter and intermediate bytes, then the final byte). */
static size_t skip_csi(const unsigned char *u, size_t i, size_t limit)
{
    while (i < limit && u[i] >= 0x20 && u[i] <= 0x3F)
        i++;
    if (i < limit && u[i] >= 0x40 && u[i] <= 0x7E)
        i++;
    return i;
}

/* Is u[i] the start of a control sequence: ESC, or a C1 control in UTF-8? */
static int is_introducer(const unsigned char *u, size_t i, size_t limit)
{
    return u[i] == 0x1B || (u[i] == 0xC2 && i + 1 < limit && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F);
}

/*
 * The end of the control sequence that starts at u[i] (is_introducer),
 * looking as far as limit (the end of the whole text, not of the piece being
 * written, so a sequence that runs past a cut is still recognised).
 */
static size_t seq_end(const unsigned char *u, size_t i, size_t limit)
{
    if (u[i] == 0x1B) {
        i++;
        if (i >= limit)
            return i;
        if (u[i] == '[')
            return skip_csi(u, i + 1, limit);
        if (u[i] == ']' || u[i] == 'P' || u[i] == 'X' || u[i] == '^' || u[i] == '_')
            return skip_string_seq(u, i + 1, limit);
        if (u[i] >= 0x20 && u[i] <= 0x2F) {
            /* nF sequence: intermediates, then one final byte */
            while (i < limit && u[i] >= 0x20 && u[i] <= 0x2F)
                i++;
            return i < limit && u[i] >= 0x30 && u[i] <= 0x7E ? i + 1 : i;
        }
        return u[i] >= 0x30 && u[i] <= 0x7E ? i + 1 : i; /* two-character sequence */
    }
    unsigned c1 = u[i + 1];
    i += 2;
    if (c1 == 0x9B)
        return skip_csi(u, i, limit);
    if (c1 == 0x90 || c1 == 0x98 || c1 == 0x9D || c1 == 0x9E || c1 == 0x9F)
        return skip_string_seq(u, i, limit);
    return i;
}

/*
 * If position pos of the text lies inside a control sequence that began
 * before it, the end of that sequence; pos otherwise.  Only the nearest
 * introducer within MAX_STRING_SEQ bytes can reach pos.
 */
static size_t resume_after_sequence(const unsigned char *u, size_t pos, size_t limit)
{
    size_t lo = pos > MAX_STRING_SEQ ? pos - MAX_STRING_SEQ : 0;
    for (size_t b = pos; b-- > lo;) {
        if (is_introducer(u, b, limit)) {
            size_t e = seq_end(u, b, limit);
            return e > pos ? e : pos;
        }
    }
    return pos;
}

/*
 * Append text[from..to) made safe; returns where the next piece must start
 * (beyond to when a control sequence runs past it).  Rules: whitespace
 * controls become one space (runs collapse); escape sequences vanish whole;
 * other C0, DEL, C1 and bidirectional override characters vanish; invalid
 * UTF-8 becomes U+FFFD.  limit is the end of the whole text.
 */
static size_t put_safe(outbuf *o, const char *text, size_t from, size_t to, size_t limit)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t i = from;
    while (i < to) {
        unsigned char b = u[i];
        if (is_introducer(u, i, limit)) {
            size_t e = seq_end(u, i, limit);
            if (u[i] == 0xC2 && u[i + 1] == 0x85)
                o->space_pending = 1; /* NEL is a line break */
            i = e;
            continue;
        }
        if (b < 0x80) {
            if (is_space_byte(b)) {
                o->space_pending = 1;
            } else if (b >= 0x20 && b != 0x7F) {
                flush_space(o);
                put(o, (const char *)u + i, 1);
                o->at_start = 0;
            } /* other C0 controls and DEL vanish */
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(u + i, (utf8proc_ssize_t)(to - i), &cp);
        if (n <= 0) {
            flush_space(o);
            put(o, "\xEF\xBF\xBD", 3); /* U+FFFD */
            o->at_start = 0;
            i++;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            o->space_pending = 1;
        } else if ((cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069)) {
            /* bidi overrides could reorder what the terminal shows: dropped */
        } else {
            flush_space(o);
            put(o, (const char *)u + i, (size_t)n);
            o->at_start = 0;
        }
        i += (size_t)n;
    }
    return i;
}

int lede_snippet_render(char **out, size_t *len_out, const char *text, size_t len,
                        const lede_fragment *f, const lede_render_options *opts,
                        lede_snippet_range *match_out)
{
    outbuf o = {NULL, 0, 0, 0, 1, 0};
    const char *open = opts && opts->open ? opts->open : "";
    const char *close = opts && opts->close ? opts->close : "";
    const char *ellipsis = opts && opts->ellipsis ? opts->ellipsis : "\xE2\x80\xA6";

    *out = NULL;
    if (len_out)
        *len_out = 0;
    if (f == NULL || (text == NULL && len > 0) || f->start > f->end || f->end > len)
        return LEDE_EINVAL;
    for (size_t i = 0; i < f->nmatches; i++) {
        const lede_snippet_range *m = &f->matches[i];
        if (m->start > m->end || m->start < (i ? f->matches[i - 1].end : f->start) ||
            m->end > f->end)
            return LEDE_EINVAL;
    }
    put(&o, "", 0); /* an empty fragment still renders as "" */
    if (f->flags & LEDE_FRAGMENT_CUT_BEFORE)
        put(&o, ellipsis, strlen(ellipsis));
    /* A fragment may begin inside an escape sequence whose introducer lies
     * before it; what the sequence covers is not shown. */
    size_t pos = len ? resume_after_sequence((const unsigned char *)text, f->start, len) : 0;
    for (size_t i = 0; i < f->nmatches; i++) {
        const lede_snippet_range *m = &f->matches[i];
        if (pos < m->start)
            pos = put_safe(&o, text, pos, m->start, len);
        flush_space(&o);
        put(&o, open, strlen(open));
        size_t ms = o.len;
        if (pos < m->end)
            pos = put_safe(&o, text, LEDE_MAX(pos, (size_t)m->start), m->end, len);
        o.space_pending = 0; /* a match never ends in whitespace worth keeping */
        if (match_out)
            match_out[i] = (lede_snippet_range){(uint32_t)ms, (uint32_t)o.len};
        put(&o, close, strlen(close));
    }
    if (pos < f->end)
        put_safe(&o, text, pos, f->end, len);
    o.space_pending = 0;
    if (f->flags & LEDE_FRAGMENT_CUT_AFTER)
        put(&o, ellipsis, strlen(ellipsis));
    if (o.oom) {
        free(o.p);
        return LEDE_ENOMEM;
    }
    *out = o.p;
    if (len_out)
        *len_out = o.len;
    return LEDE_OK;
}

int lede_text_sanitize(char **out, size_t *len_out, const char *s, size_t len)
{
    outbuf o = {NULL, 0, 0, 0, 1, 0};
    *out = NULL;
    if (len_out)
        *len_out = 0;
    if (s == NULL && len > 0)
        return LEDE_EINVAL;
    put(&o, "", 0);
    put_safe(&o, s, 0, len, len);
    if (o.oom) {
        free(o.p);
        return LEDE_ENOMEM;
    }
    *out = o.p;
    if (len_out)
        *len_out = o.len;
    return LEDE_OK;
}
