/*
 * qparse.c — the query language (grammar in qparse.h).  Owns lexing,
 * parsing and the tree; leaves go through lede_analyze so they hold exactly
 * the terms indexing stored.  Must not touch the index: looking terms up,
 * expanding prefixes and dropping stop words are the searcher's job.
 */
#include "qparse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Lexer                                                              */
/* ------------------------------------------------------------------ */

enum tok_type {
    T_EOF,
    T_LP,
    T_RP,
    T_PHRASE, /* text between quotes; n = slop when has_n */
    T_WORD,   /* prefix set when it ended in '*' */
    T_AND,
    T_OR,
    T_NOT,
    T_NEAR, /* n = window */
    T_PLUS,
    T_MINUS,
    T_FIELD, /* field = 'title', 'body' or 'name' */
    T_DATE,  /* text = the range after "date:" */
};

typedef struct tok {
    enum tok_type type;
    size_t pos;       /* byte offset of the token in the query */
    const char *text; /* slice of the query */
    size_t len;
    uint32_t n;
    int has_n;
    int prefix;
    lede_qwhere where; /* T_FIELD: title/body; name uses is_name */
    int is_name;
} tok;

typedef struct parser {
    const char *q;
    tok *toks;
    size_t ntoks, cap, i;
    lede_analyzer *a;
    int all;
    int rc;
    lede_qerror *err;
    int depth; /* parse_primary calls in progress */
} parser;

/* Groups and fields nested deeper than this are refused: the parser, the
 * tree's destructor and the evaluator all recurse, and a query of 50,000
 * "(" would otherwise overflow the stack. */
#define QPARSE_MAX_DEPTH 200

static void fail(parser *p, int rc, const char *msg, size_t pos)
{
    if (p->rc != LEDE_OK)
        return; /* keep the first error: later ones are usually its echo */
    p->rc = rc;
    if (p->err) {
        p->err->msg = msg;
        p->err->pos = pos;
    }
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * The length of the quotation mark at s, 0 if none.  Besides '"', the
 * typographic marks a query pasted from a word processor, a web page or a
 * phone brings: “ ” „ ‟ « » and the fullwidth ＂.  Any of them opens and
 * any closes a phrase, since languages pair them differently (“…”, „…“,
 * «…», »…«).
 */
static size_t quote_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == '"')
        return 1;
    if (u[0] == 0xC2 && (u[1] == 0xAB || u[1] == 0xBB))
        return 2; /* « » */
    if (u[0] == 0xE2 && u[1] == 0x80 && u[2] >= 0x9C && u[2] <= 0x9F)
        return 3; /* “ ” „ ‟ */
    if (u[0] == 0xEF && u[1] == 0xBC && u[2] == 0x82)
        return 3; /* ＂ */
    return 0;
}

static int word_end(const char *s)
{
    return *s == '\0' || is_space(*s) || *s == '(' || *s == ')' || quote_len(s) > 0;
}

static tok *push_tok(parser *p, enum tok_type type, size_t pos)
{
    if (p->ntoks == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        tok *t = realloc(p->toks, cap * sizeof *t);
        if (!t) {
            fail(p, LEDE_ENOMEM, "out of memory", pos);
            return NULL;
        }
        p->toks = t;
        p->cap = cap;
    }
    tok *t = &p->toks[p->ntoks++];
    memset(t, 0, sizeof *t);
    t->type = type;
    t->pos = pos;
    return t;
}

/* Parse decimal digits at s; returns the count of digits read (0 = none). */
static size_t read_uint(const char *s, uint32_t *out)
{
    size_t i = 0;
    uint64_t v = 0;
    while (isdigit((unsigned char)s[i])) {
        if (v < 100000000)
            v = v * 10 + (uint64_t)(s[i] - '0');
        i++;
    }
    *out = (uint32_t)v;
    return i;
}

static int same(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static int same_ci(const char *s, size_t len, const char *lit)
{
    if (strlen(lit) != len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (tolower((unsigned char)s[i]) != lit[i])
            return 0;
    return 1;
}

static void lex(parser *p)
{
    const char *q = p->q;
    size_t i = 0;
    while (p->rc == LEDE_OK) {
        while (is_space(q[i]))
            i++;
        char c = q[i];
        tok *t;
        if (c == '\0') {
            push_tok(p, T_EOF, i);
            return;
        }
        if (c == '(' || c == ')') {
            push_tok(p, c == '(' ? T_LP : T_RP, i);
            i++;
            continue;
        }
        size_t ql = quote_len(q + i);
        if (ql > 0) {
            const char *close = q + i + ql;
            while (*close && !quote_len(close))
                close++;
            if (!*close) {
                fail(p, LEDE_EINVAL, "unterminated quote", i);
                return;
            }
            if (!(t = push_tok(p, T_PHRASE, i)))
                return;
            t->text = q + i + ql;
            t->len = (size_t)(close - (q + i + ql));
            i = (size_t)(close - q) + quote_len(close);
            if (q[i] == '~') {
                size_t nd = read_uint(q + i + 1, &t->n);
                if (nd == 0) {
                    fail(p, LEDE_EINVAL, "expected a number after ~", i + 1);
                    return;
                }
                t->has_n = 1;
                i += 1 + nd;
            }
            continue;
        }
        if ((c == '+' || c == '-') && (i == 0 || is_space(q[i - 1]) || q[i - 1] == '(')) {
            /* A dash or plus standing alone, as in text pasted into the
             * query ("(A) - Firm sales", "as noted -- 4/2/87"), is
             * punctuation, not an operator with its word missing. */
            size_t j = i;
            while (q[j] == '+' || q[j] == '-')
                j++;
            if (word_end(q + j) && q[j] != '(' && !quote_len(q + j)) {
                i = j;
                continue;
            }
            push_tok(p, c == '+' ? T_PLUS : T_MINUS, i);
            i++;
            continue;
        }
        /* A word: everything up to a space, a parenthesis or a quote. */
        size_t s = i;
        while (!word_end(q + i))
            i++;
        const char *w = q + s;
        size_t len = i - s;
        if (same(w, len, "AND")) {
            push_tok(p, T_AND, s);
            continue;
        }
        if (same(w, len, "OR")) {
            push_tok(p, T_OR, s);
            continue;
        }
        if (same(w, len, "NOT")) {
            push_tok(p, T_NOT, s);
            continue;
        }
        if (len >= 4 && memcmp(w, "NEAR", 4) == 0 && (len == 4 || w[4] == '/')) {
            if (!(t = push_tok(p, T_NEAR, s)))
                return;
            t->n = 10;
            if (len > 4) {
                size_t nd = read_uint(w + 5, &t->n);
                if (nd == 0 || 5 + nd != len) {
                    fail(p, LEDE_EINVAL, "expected NEAR/n with a number n", s);
                    return;
                }
            }
            continue;
        }
        const char *colon = memchr(w, ':', len);
        if (colon) {
            size_t flen = (size_t)(colon - w);
            int is_date = same_ci(w, flen, "date");
            lede_qwhere where = LEDE_Q_ANYWHERE;
            int is_name = 0, known = 1;
            if (same_ci(w, flen, "title"))
                where = LEDE_Q_TITLE;
            else if (same_ci(w, flen, "body"))
                where = LEDE_Q_BODY;
            else if (same_ci(w, flen, "name"))
                is_name = 1;
            else if (!is_date)
                known = 0;
            if (known && is_date) {
                if (!(t = push_tok(p, T_DATE, s)))
                    return;
                t->text = colon + 1;
                t->len = len - flen - 1;
                if (t->len == 0) {
                    fail(p, LEDE_EINVAL, "expected a date after date:", i);
                    return;
                }
                continue;
            }
            if (known) {
                if (!(t = push_tok(p, T_FIELD, s)))
                    return;
                t->where = where;
                t->is_name = is_name;
                i = (size_t)(colon - q) + 1; /* lex what follows the colon afresh */
                if (is_space(q[i]) || q[i] == '\0' || q[i] == ')') {
                    fail(p, LEDE_EINVAL, "expected a word after the field name", i);
                    return;
                }
                continue;
            }
            /* Unknown "x:y" is plain text; the analyzer splits it. */
        }
        if (!(t = push_tok(p, T_WORD, s)))
            return;
        t->text = w;
        t->len = len;
        if (len > 0 && w[len - 1] == '*') {
            t->prefix = 1;
            t->len--;
            if (t->len == 0) {
                fail(p, LEDE_EINVAL, "expected letters before *", s);
                return;
            }
        }
    }
}

/* ------------------------------------------------------------------ */
/* Tree helpers                                                        */
/* ------------------------------------------------------------------ */

void lede_qnode_free(lede_qnode *n)
{
    if (!n)
        return;
    free(n->text);
    free(n->word);
    for (size_t i = 0; i < n->nwords; i++)
        free(n->words[i]);
    free(n->words);
    for (size_t i = 0; i < n->nmust; i++)
        lede_qnode_free(n->must[i]);
    for (size_t i = 0; i < n->nshould; i++)
        lede_qnode_free(n->should[i]);
    for (size_t i = 0; i < n->nnot; i++)
        lede_qnode_free(n->not[i]);
    free(n->must);
    free(n->should);
    free(n->not);
    free(n->lo);
    free(n->hi);
    free(n);
}

static lede_qnode *new_node(parser *p, lede_qkind kind, size_t pos)
{
    lede_qnode *n = calloc(1, sizeof *n);
    if (!n) {
        fail(p, LEDE_ENOMEM, "out of memory", pos);
        return NULL;
    }
    n->kind = kind;
    n->pos = pos;
    return n;
}

static char *dupn(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\0';
    }
    return d;
}

static int list_push(lede_qnode ***list, size_t *n, lede_qnode *x)
{
    lede_qnode **l = realloc(*list, (*n + 1) * sizeof *l);
    if (!l)
        return LEDE_ENOMEM;
    l[(*n)++] = x;
    *list = l;
    return LEDE_OK;
}

/* Occurrence of a clause inside its sequence. */
enum { OCC_SHOULD, OCC_MUST, OCC_NOT };

static int bool_add(parser *p, lede_qnode *b, lede_qnode *child, int occ)
{
    int rc;
    if (occ == OCC_MUST)
        rc = list_push(&b->must, &b->nmust, child);
    else if (occ == OCC_NOT)
        rc = list_push(&b->not, &b->nnot, child);
    else
        rc = list_push(&b->should, &b->nshould, child);
    if (rc != LEDE_OK) {
        lede_qnode_free(child);
        fail(p, rc, "out of memory", b->pos);
    }
    return rc;
}

/* ------------------------------------------------------------------ */
/* Analysis of leaves                                                  */
/* ------------------------------------------------------------------ */

typedef struct qword {
    char *word;
    char *stem;
    uint32_t flags;
} qword;

typedef struct qwords {
    qword *v;
    size_t n, cap;
    int rc;
} qwords;

static int collect_token(const lede_token *t, void *payload)
{
    qwords *w = payload;
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 8;
        qword *v = realloc(w->v, cap * sizeof *v);
        if (!v)
            return w->rc = LEDE_ENOMEM;
        w->v = v;
        w->cap = cap;
    }
    qword *q = &w->v[w->n];
    q->word = dupn(t->word, t->word_len);
    q->stem = dupn(t->stem, t->stem_len);
    q->flags = t->flags;
    if (!q->word || !q->stem) {
        free(q->word);
        free(q->stem);
        return w->rc = LEDE_ENOMEM;
    }
    w->n++;
    return 0;
}

static void qwords_clear(qwords *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->v[i].word);
        free(w->v[i].stem);
    }
    free(w->v);
    memset(w, 0, sizeof *w);
}

static int analyse(parser *p, const char *text, size_t len, size_t pos, qwords *out)
{
    memset(out, 0, sizeof *out);
    int rc = lede_analyze(p->a, text, len, 0, collect_token, out, NULL);
    if (out->rc != LEDE_OK)
        rc = out->rc;
    if (rc != LEDE_OK) {
        fail(p, rc < 0 ? rc : LEDE_ERROR, "could not analyse the query", pos);
        qwords_clear(out);
    }
    return rc;
}

/* A phrase node taking ownership of the words of w. */
static lede_qnode *phrase_from(parser *p, qwords *w, size_t pos)
{
    lede_qnode *n = new_node(p, LEDE_Q_PHRASE, pos);
    if (!n)
        return NULL;
    n->words = calloc(w->n, sizeof *n->words);
    if (!n->words) {
        free(n);
        fail(p, LEDE_ENOMEM, "out of memory", pos);
        return NULL;
    }
    for (size_t i = 0; i < w->n; i++) {
        n->words[i] = w->v[i].word;
        w->v[i].word = NULL;
    }
    n->nwords = w->n;
    n->ordered = 1;
    return n;
}

static lede_qnode *term_node(parser *p, int field, const char *text, size_t pos)
{
    lede_qnode *n = new_node(p, LEDE_Q_TERM, pos);
    if (!n)
        return NULL;
    n->field = field;
    n->text = strdup(text);
    if (!n->text) {
        free(n);
        fail(p, LEDE_ENOMEM, "out of memory", pos);
        return NULL;
    }
    n->len = strlen(text);
    return n;
}

static char *join_words(char *const *words, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(words[i]) + 1;
    char *s = malloc(len + 1), *d = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (i)
            *d++ = ' ';
        size_t l = strlen(words[i]);
        memcpy(d, words[i], l);
        d += l;
    }
    *d = '\0';
    return s;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */
/* ------------------------------------------------------------------ */

static tok *cur(parser *p)
{
    return &p->toks[p->i];
}

static lede_qnode *parse_seq(parser *p);

static int starts_primary(const tok *t)
{
    return t->type == T_LP || t->type == T_PHRASE || t->type == T_WORD || t->type == T_FIELD ||
           t->type == T_DATE;
}

/* A keyword: the word's stem, ranked by BM25; the folded word rides along
 * for snippets and suggestions (taken from w). */
static lede_qnode *keyword_node(parser *p, qword *w, size_t pos)
{
    lede_qnode *c = term_node(p, LEDE_FIELD_STEM, w->stem, pos);
    if (c) {
        c->word = w->word;
        w->word = NULL;
        c->plain = 1;
    }
    return c;
}

/* A group of one alternative is that alternative. */
static lede_qnode *unwrap_single(lede_qnode *n)
{
    if (n && n->nshould == 1) {
        lede_qnode *only = n->should[0];
        n->nshould = 0;
        lede_qnode_free(n);
        n = only;
    }
    return n;
}

/* A plain word: one keyword term, or several when the analyzer splits it. */
static lede_qnode *parse_word(parser *p, tok *t)
{
    qwords w;
    lede_qnode *n = NULL;
    if (analyse(p, t->text, t->len, t->pos, &w) != LEDE_OK)
        return NULL;
    if (w.n == 0) {
        /* Punctuation only: nothing to search, the clause vanishes. */
        n = new_node(p, LEDE_Q_BOOL, t->pos);
        goto cleanup;
    }
    if (t->prefix) {
        /* "son-hu*": the words before the last one are ordinary keywords. */
        n = new_node(p, LEDE_Q_BOOL, t->pos);
        for (size_t i = 0; n && i < w.n; i++) {
            lede_qnode *c;
            if (i + 1 == w.n) {
                c = term_node(p, LEDE_FIELD_WORD, w.v[i].word, t->pos);
                if (c)
                    c->kind = LEDE_Q_PREFIX;
            } else {
                c = keyword_node(p, &w.v[i], t->pos);
            }
            if (!c || bool_add(p, n, c, OCC_SHOULD) != LEDE_OK) {
                lede_qnode_free(n);
                n = NULL;
            }
        }
        n = unwrap_single(n);
        goto cleanup;
    }
    n = new_node(p, LEDE_Q_BOOL, t->pos);
    if (n)
        n->split_word = 1;
    /* A written word is capitalised by its first letter: every part of
     * "Son-hui" or "Jong-un" belongs to the name around it. */
    int capitalized = (w.v[0].flags & (LEDE_TOKEN_CAPITALIZED | LEDE_TOKEN_ALLCAPS)) != 0;
    for (size_t i = 0; n && i < w.n; i++) {
        lede_qnode *c = keyword_node(p, &w.v[i], t->pos);
        if (c)
            c->capitalized = capitalized;
        if (!c || bool_add(p, n, c, OCC_SHOULD) != LEDE_OK) {
            lede_qnode_free(n);
            n = NULL;
        }
    }
    n = unwrap_single(n);
cleanup:
    qwords_clear(&w);
    return n;
}

static lede_qnode *parse_phrase(parser *p, tok *t)
{
    qwords w;
    lede_qnode *n = NULL;
    if (analyse(p, t->text, t->len, t->pos, &w) != LEDE_OK)
        return NULL;
    if (w.n == 0) {
        fail(p, LEDE_EINVAL, "nothing to search for between the quotes", t->pos);
    } else if (w.n == 1 && !t->has_n) {
        n = term_node(p, LEDE_FIELD_WORD, w.v[0].word, t->pos);
    } else {
        n = phrase_from(p, &w, t->pos);
        if (n && t->has_n) {
            n->slop = t->n;
            n->ordered = 0;
        }
    }
    qwords_clear(&w);
    return n;
}

/* Validate one ISO date prefix: YYYY, YYYY-MM, YYYY-MM-DD (digits and dashes). */
static int valid_date(const char *s, size_t len)
{
    static const char shape[] = "dddd-dd-dd";
    if (len != 4 && len != 7 && len != 10)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != '-')
            return 0;
    }
    return 1;
}

/* A date of the right shape that the calendar has: month 01-12, a day the
 * month has (29 February only in a leap year).  date:2025-13 would
 * otherwise match nothing without a word of why. */
static int calendar_date(const char *s, size_t len)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (len < 7)
        return 1;
    int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0');
    if (m < 1 || m > 12)
        return 0;
    if (len < 10)
        return 1;
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d >= 1 && d <= (m == 2 && !leap ? 28 : mdays[m - 1]);
}

int lede_date_valid(const char *s, size_t len)
{
    return valid_date(s, len) && calendar_date(s, len);
}

/* An inclusive upper bound "2025-09" becomes the exclusive "2025-09\x7f". */
static char *date_after(const char *s, size_t len)
{
    char *d = malloc(len + 2);
    if (d) {
        memcpy(d, s, len);
        d[len] = '\x7f';
        d[len + 1] = '\0';
    }
    return d;
}

static lede_qnode *parse_date(parser *p, tok *t)
{
    const char *s = t->text;
    size_t len = t->len;
    size_t vpos = t->pos + 5; /* after "date:" */
    lede_qnode *n = new_node(p, LEDE_Q_DATE, t->pos);
    if (!n)
        return NULL;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '.' && s[i + 1] == '.') {
            dots = s + i;
            break;
        }
    if (dots) {
        size_t l1 = (size_t)(dots - s), l2 = len - l1 - 2;
        if ((l1 && !valid_date(s, l1)) || (l2 && !valid_date(dots + 2, l2)) || (!l1 && !l2))
            goto bad;
        if (l1 && !calendar_date(s, l1))
            goto no_such_date;
        if (l2 && !calendar_date(dots + 2, l2)) {
            vpos += l1 + 2;
            goto no_such_date;
        }
        if (l1)
            n->lo = dupn(s, l1);
        if (l2)
            n->hi = date_after(dots + 2, l2);
        if (n->lo && n->hi && strcmp(n->lo, n->hi) >= 0) {
            lede_qnode_free(n);
            fail(p, LEDE_EINVAL, "the date range ends before it starts", vpos + l1 + 2);
            return NULL;
        }
    } else if (len >= 2 && (s[0] == '>' || s[0] == '<')) {
        int eq = s[1] == '=';
        const char *v = s + 1 + eq;
        size_t vl = len - 1 - (size_t)eq;
        if (!valid_date(v, vl))
            goto bad;
        if (!calendar_date(v, vl)) {
            vpos += 1 + (size_t)eq;
            goto no_such_date;
        }
        if (s[0] == '>')
            n->lo = eq ? dupn(v, vl) : date_after(v, vl);
        else
            n->hi = eq ? date_after(v, vl) : dupn(v, vl);
    } else {
        if (!valid_date(s, len))
            goto bad;
        if (!calendar_date(s, len))
            goto no_such_date;
        n->lo = dupn(s, len);
        n->hi = date_after(s, len);
    }
    return n;
no_such_date:
    lede_qnode_free(n);
    fail(p, LEDE_EINVAL, "no such date in the calendar",
         vpos);
    return NULL;
bad:
    lede_qnode_free(n);
    fail(p, LEDE_EINVAL,
         "expected a date like 2025-09, 2025-09-01..2025-09-30 or >=2025", vpos);
    return NULL;
}

/* Restrict a subtree to the title, the body, or turn it into names. */
static int apply_field(parser *p, lede_qnode *n, const tok *f)
{
    if (!n)
        return LEDE_OK;
    switch (n->kind) {
    case LEDE_Q_TERM:
        if (f->is_name) {
            const char *w = n->field == LEDE_FIELD_STEM ? n->word : n->text;
            char *name = strdup(w ? w : n->text);
            if (!name) {
                fail(p, LEDE_ENOMEM, "out of memory", n->pos);
                return LEDE_ENOMEM;
            }
            free(n->text);
            free(n->word);
            n->word = NULL;
            n->text = name;
            n->len = strlen(name);
            n->field = LEDE_FIELD_NAME;
            n->plain = n->capitalized = 0;
        } else {
            n->where = f->where;
        }
        return LEDE_OK;
    case LEDE_Q_PHRASE:
        if (f->is_name) {
            char *name = join_words(n->words, n->nwords);
            if (!name) {
                fail(p, LEDE_ENOMEM, "out of memory", n->pos);
                return LEDE_ENOMEM;
            }
            for (size_t i = 0; i < n->nwords; i++)
                free(n->words[i]);
            free(n->words);
            n->words = NULL;
            n->nwords = 0;
            n->kind = LEDE_Q_TERM;
            n->field = LEDE_FIELD_NAME;
            n->text = name;
            n->len = strlen(name);
        } else {
            n->where = f->where;
        }
        return LEDE_OK;
    case LEDE_Q_PREFIX:
        if (f->is_name) {
            fail(p, LEDE_EINVAL, "name: does not take a prefix*", n->pos);
            return LEDE_EINVAL;
        }
        n->where = f->where;
        return LEDE_OK;
    case LEDE_Q_DATE:
        fail(p, LEDE_EINVAL, "date: cannot be inside a field", n->pos);
        return LEDE_EINVAL;
    case LEDE_Q_BOOL:
        for (size_t i = 0; i < n->nmust; i++)
            if (apply_field(p, n->must[i], f) != LEDE_OK)
                return p->rc;
        for (size_t i = 0; i < n->nshould; i++)
            if (apply_field(p, n->should[i], f) != LEDE_OK)
                return p->rc;
        for (size_t i = 0; i < n->nnot; i++)
            if (apply_field(p, n->not[i], f) != LEDE_OK)
                return p->rc;
        return LEDE_OK;
    }
    return LEDE_OK;
}

static lede_qnode *parse_primary(parser *p);

static lede_qnode *parse_primary_at(parser *p)
{
    tok *t = cur(p);
    switch (t->type) {
    case T_LP: {
        p->i++;
        if (cur(p)->type == T_RP) {
            fail(p, LEDE_EINVAL, "empty parentheses", t->pos);
            return NULL;
        }
        lede_qnode *n = parse_seq(p);
        if (p->rc != LEDE_OK) {
            lede_qnode_free(n);
            return NULL;
        }
        if (cur(p)->type != T_RP) {
            lede_qnode_free(n);
            fail(p, LEDE_EINVAL, "missing ) to close this (", t->pos);
            return NULL;
        }
        p->i++;
        return n;
    }
    case T_PHRASE:
        p->i++;
        return parse_phrase(p, t);
    case T_WORD:
        p->i++;
        return parse_word(p, t);
    case T_DATE:
        p->i++;
        return parse_date(p, t);
    case T_FIELD: {
        p->i++;
        if (!starts_primary(cur(p)) || cur(p)->type == T_DATE) {
            fail(p, LEDE_EINVAL, "expected a word, a phrase or ( after the field name",
                 cur(p)->pos);
            return NULL;
        }
        lede_qnode *n = parse_primary(p);
        if (n && apply_field(p, n, t) != LEDE_OK) {
            lede_qnode_free(n);
            return NULL;
        }
        return n;
    }
    case T_RP:
        fail(p, LEDE_EINVAL, "unbalanced )", t->pos);
        return NULL;
    case T_EOF:
        fail(p, LEDE_EINVAL, "the query ends where a word was expected", t->pos);
        return NULL;
    default:
        fail(p, LEDE_EINVAL, "expected a word here", t->pos);
        return NULL;
    }
}

/* Every cycle of the recursive descent passes through here. */
static lede_qnode *parse_primary(parser *p)
{
    if (p->depth >= QPARSE_MAX_DEPTH) {
        fail(p, LEDE_EINVAL, "parentheses or fields nested too deeply", cur(p)->pos);
        return NULL;
    }
    p->depth++;
    lede_qnode *n = parse_primary_at(p);
    p->depth--;
    return n;
}

/* The words of a NEAR operand: a keyword or quoted word, or an exact phrase. */
static int near_words(parser *p, lede_qnode *n, lede_qnode *acc)
{
    if (n && n->kind == LEDE_Q_TERM && n->field != LEDE_FIELD_NAME && n->where == LEDE_Q_ANYWHERE) {
        const char *w = n->field == LEDE_FIELD_STEM ? n->word : n->text;
        char **v = realloc(acc->words, (acc->nwords + 1) * sizeof *v);
        if (!v || !(v[acc->nwords] = strdup(w))) {
            if (v)
                acc->words = v;
            fail(p, LEDE_ENOMEM, "out of memory", n->pos);
            return LEDE_ENOMEM;
        }
        acc->words = v;
        acc->nwords++;
        return LEDE_OK;
    }
    if (n && n->kind == LEDE_Q_PHRASE && n->ordered && n->slop == 0 && n->where == LEDE_Q_ANYWHERE) {
        for (size_t i = 0; i < n->nwords; i++) {
            char **v = realloc(acc->words, (acc->nwords + 1) * sizeof *v);
            if (!v || !(v[acc->nwords] = strdup(n->words[i]))) {
                if (v)
                    acc->words = v;
                fail(p, LEDE_ENOMEM, "out of memory", n->pos);
                return LEDE_ENOMEM;
            }
            acc->words = v;
            acc->nwords++;
        }
        return LEDE_OK;
    }
    fail(p, LEDE_EINVAL, "NEAR joins single words or \"phrases\"", n ? n->pos : cur(p)->pos);
    return LEDE_EINVAL;
}

static lede_qnode *parse_unit(parser *p)
{
    lede_qnode *left = parse_primary(p);
    if (!left || cur(p)->type != T_NEAR)
        return left;
    lede_qnode *near = new_node(p, LEDE_Q_PHRASE, left->pos);
    if (!near || near_words(p, left, near) != LEDE_OK)
        goto fail;
    near->slop = UINT32_MAX;
    while (cur(p)->type == T_NEAR) {
        tok *op = cur(p);
        p->i++;
        if (!starts_primary(cur(p))) {
            fail(p, LEDE_EINVAL, "expected a word after NEAR", cur(p)->pos);
            goto fail;
        }
        if (op->n < near->slop)
            near->slop = op->n;
        lede_qnode *right = parse_primary(p);
        int rc = right ? near_words(p, right, near) : LEDE_EINVAL;
        lede_qnode_free(right);
        if (rc != LEDE_OK)
            goto fail;
    }
    lede_qnode_free(left);
    return near;
fail:
    lede_qnode_free(left);
    lede_qnode_free(near);
    return NULL;
}

static lede_qnode *parse_clause(parser *p, int *occ)
{
    *occ = OCC_SHOULD;
    tok *t = cur(p);
    if (t->type == T_PLUS || t->type == T_MINUS || t->type == T_NOT) {
        *occ = t->type == T_PLUS ? OCC_MUST : OCC_NOT;
        p->i++;
        if (!starts_primary(cur(p))) {
            fail(p, LEDE_EINVAL,
                 t->type == T_NOT ? "expected a word after NOT" : "expected a word here",
                 cur(p)->pos);
            return NULL;
        }
    }
    return parse_unit(p);
}

static int starts_clause(const tok *t)
{
    return starts_primary(t) || t->type == T_PLUS || t->type == T_MINUS || t->type == T_NOT;
}

/* A binary chain (AND or OR) of clauses; returns the node and its occurrence. */
static lede_qnode *parse_and(parser *p, int *occ)
{
    lede_qnode *first = parse_clause(p, occ);
    if (!first || cur(p)->type != T_AND)
        return first;
    lede_qnode *b = new_node(p, LEDE_Q_BOOL, first->pos);
    if (!b || bool_add(p, b, first, *occ == OCC_NOT ? OCC_NOT : OCC_MUST) != LEDE_OK) {
        if (!b)
            lede_qnode_free(first);
        lede_qnode_free(b);
        return NULL;
    }
    while (cur(p)->type == T_AND) {
        p->i++;
        if (!starts_clause(cur(p))) {
            fail(p, LEDE_EINVAL, "expected a word after AND", cur(p)->pos);
            lede_qnode_free(b);
            return NULL;
        }
        int o;
        lede_qnode *c = parse_clause(p, &o);
        if (!c || bool_add(p, b, c, o == OCC_NOT ? OCC_NOT : OCC_MUST) != LEDE_OK) {
            lede_qnode_free(b);
            return NULL;
        }
    }
    *occ = OCC_SHOULD;
    return b;
}

static lede_qnode *parse_or(parser *p, int *occ)
{
    lede_qnode *first = parse_and(p, occ);
    if (!first || cur(p)->type != T_OR)
        return first;
    lede_qnode *b = new_node(p, LEDE_Q_BOOL, first->pos);
    int o = *occ;
    for (;;) {
        /* "a OR -b" means a, or anything without b.  (A clause that did
         * not parse is NULL, its error said: nothing to wrap.) */
        if (o == OCC_NOT && b && first) {
            lede_qnode *neg = new_node(p, LEDE_Q_BOOL, first->pos);
            if (!neg || bool_add(p, neg, first, OCC_NOT) != LEDE_OK) {
                if (!neg)
                    lede_qnode_free(first);
                first = NULL;
            } else {
                first = neg;
            }
        }
        if (!b || !first || bool_add(p, b, first, OCC_SHOULD) != LEDE_OK) {
            if (!b)
                lede_qnode_free(first);
            lede_qnode_free(b);
            return NULL;
        }
        if (cur(p)->type != T_OR)
            break;
        p->i++;
        if (!starts_clause(cur(p))) {
            fail(p, LEDE_EINVAL, "expected a word after OR", cur(p)->pos);
            lede_qnode_free(b);
            return NULL;
        }
        first = parse_and(p, &o);
    }
    *occ = OCC_SHOULD;
    return b;
}

/*
 * After a sequence is parsed: a run of two or more capitalised plain words
 * ("Kim Jong Un nuclear") probably names someone, so add an optional
 * ranking-only clause that rewards the words written together.
 */
static void add_name_runs(parser *p, lede_qnode *b)
{
    size_t n = b->nshould + b->nmust;
    lede_qnode **all = malloc((n ? n : 1) * sizeof *all);
    if (!all) {
        fail(p, LEDE_ENOMEM, "out of memory", b->pos);
        return;
    }
    /* Clauses in query order: should and must lists interleave by position. */
    size_t k = 0, i = 0, j = 0;
    while (i < b->nshould || j < b->nmust) {
        if (j >= b->nmust || (i < b->nshould && b->should[i]->pos <= b->must[j]->pos))
            all[k++] = b->should[i++];
        else
            all[k++] = b->must[j++];
    }
    size_t run = 0;
    for (i = 0; i <= k && p->rc == LEDE_OK; i++) {
        int cap = i < k && all[i]->kind == LEDE_Q_TERM && all[i]->capitalized &&
                  all[i]->where == LEDE_Q_ANYWHERE;
        if (cap) {
            run++;
            continue;
        }
        if (run >= 2) {
            lede_qnode *ph = new_node(p, LEDE_Q_PHRASE, all[i - run]->pos);
            if (ph) {
                ph->words = calloc(run, sizeof *ph->words);
                ph->ordered = 1;
                ph->name_bonus = 1;
                for (size_t r = 0; ph->words && r < run; r++) {
                    ph->words[r] = strdup(all[i - run + r]->word);
                    if (ph->words[r])
                        ph->nwords++;
                }
                if (!ph->words || ph->nwords != run) {
                    lede_qnode_free(ph);
                    fail(p, LEDE_ENOMEM, "out of memory", b->pos);
                } else {
                    bool_add(p, b, ph, OCC_SHOULD);
                }
            }
        }
        run = 0;
    }
    free(all);
}

static int single_letter(const lede_qnode *n)
{
    return n->kind == LEDE_Q_TERM && n->plain && n->word && n->word[0] && !n->word[1] &&
           isalpha((unsigned char)n->word[0]);
}

/*
 * Queries pasted from text that lost its punctuation ("U.N." written as
 * "u n", "Russia's" as "russia s") would otherwise search for stray
 * letters, while indexing made "un" and dropped the possessive.  A run of
 * two or more single letters becomes the word they spell, and a lone "s"
 * right after a word is dropped.
 */
static void join_letters(parser *p, lede_qnode *b)
{
    size_t out = 0;
    for (size_t i = 0; i < b->nshould && p->rc == LEDE_OK;) {
        lede_qnode *n = b->should[i];
        size_t run = 0;
        while (i + run < b->nshould && single_letter(b->should[i + run]))
            run++;
        if (run >= 2) {
            char word[64];
            size_t len = 0;
            for (size_t r = 0; r < run && len + 1 < sizeof word; r++)
                word[len++] = b->should[i + r]->word[0];
            word[len] = '\0';
            qwords w;
            if (analyse(p, word, len, n->pos, &w) != LEDE_OK)
                break;
            if (w.n == 1) {
                lede_qnode *j = term_node(p, LEDE_FIELD_STEM, w.v[0].stem, n->pos);
                if (j) {
                    j->word = w.v[0].word;
                    w.v[0].word = NULL;
                    j->plain = 1;
                    for (size_t r = 0; r < run; r++)
                        lede_qnode_free(b->should[i + r]);
                    b->should[out++] = j;
                    i += run;
                    qwords_clear(&w);
                    continue;
                }
            }
            qwords_clear(&w);
        } else if (run == 1 && n->word[0] == 's' && out > 0 && b->should[out - 1]->plain &&
                   !single_letter(b->should[out - 1])) {
            lede_qnode_free(n);
            i++;
            continue;
        }
        b->should[out++] = b->should[i++];
    }
    if (p->rc == LEDE_OK)
        b->nshould = out;
}

static lede_qnode *parse_seq(parser *p)
{
    lede_qnode *b = new_node(p, LEDE_Q_BOOL, cur(p)->pos);
    if (!b)
        return NULL;
    while (p->rc == LEDE_OK && cur(p)->type != T_EOF && cur(p)->type != T_RP) {
        tok *t = cur(p);
        if (t->type == T_AND || t->type == T_OR || t->type == T_NEAR) {
            fail(p, LEDE_EINVAL,
                 t->type == T_AND  ? "AND needs a word before it"
                 : t->type == T_OR ? "OR needs a word before it"
                                   : "NEAR needs a word before it",
                 t->pos);
            break;
        }
        int occ;
        lede_qnode *c = parse_or(p, &occ);
        if (!c)
            break;
        int by_all = occ == OCC_SHOULD && p->all;
        if (by_all)
            occ = OCC_MUST;
        if (c->kind == LEDE_Q_BOOL && c->nmust == 0 && c->nnot == 0 && c->nshould == 0) {
            lede_qnode_free(c); /* punctuation only */
            continue;
        }
        /* A word the analyzer split ("Son-hui") joins the sequence word by word. */
        if (c->kind == LEDE_Q_BOOL && c->split_word && c->nmust == 0 && c->nnot == 0 &&
            c->nshould > 1 && occ != OCC_NOT) {
            int split = 1;
            for (size_t i = 0; i < c->nshould; i++)
                if (c->should[i]->kind != LEDE_Q_TERM || !c->should[i]->plain)
                    split = 0;
            if (split) {
                /*
                 * The parts of "F-16", "e-mail" or "al-Qaeda" rank higher
                 * written together, as in the query: a ranking-only phrase,
                 * like a name's.  A word whose parts are all capitalised
                 * ("Son-Hui") is left to add_name_runs, which may join it to
                 * the name around it ("Choe Son-Hui").
                 */
                int all_caps = 1;
                for (size_t i = 0; i < c->nshould; i++)
                    all_caps &= c->should[i]->capitalized;
                lede_qnode *ph = NULL;
                if (!all_caps && occ != OCC_NOT && (ph = new_node(p, LEDE_Q_PHRASE, c->pos))) {
                    ph->ordered = 1;
                    ph->name_bonus = 1;
                    ph->where = c->should[0]->where;
                    if ((ph->words = calloc(c->nshould, sizeof *ph->words)))
                        for (size_t i = 0; i < c->nshould; i++)
                            if ((ph->words[i] = strdup(c->should[i]->word)))
                                ph->nwords++;
                    if (ph->nwords != c->nshould) {
                        lede_qnode_free(ph);
                        ph = NULL;
                        fail(p, LEDE_ENOMEM, "out of memory", c->pos);
                    }
                }
                for (size_t i = 0; i < c->nshould; i++) {
                    c->should[i]->by_all = by_all;
                    bool_add(p, b, c->should[i], occ);
                }
                c->nshould = 0;
                lede_qnode_free(c);
                if (ph)
                    bool_add(p, b, ph, OCC_SHOULD);
                continue;
            }
        }
        c->by_all = by_all;
        bool_add(p, b, c, occ);
    }
    if (p->rc == LEDE_OK)
        join_letters(p, b);
    if (p->rc == LEDE_OK)
        add_name_runs(p, b);
    if (p->rc != LEDE_OK) {
        lede_qnode_free(b);
        return NULL;
    }
    /* A sequence of one optional clause is that clause. */
    if (b->nshould == 1 && b->nmust == 0 && b->nnot == 0) {
        lede_qnode *only = b->should[0];
        b->nshould = 0;
        lede_qnode_free(b);
        return only;
    }
    return b;
}

int lede_qparse(lede_qnode **out, lede_analyzer *a, const char *query, int all,
                lede_qerror *err)
{
    parser p = {0};
    p.q = query;
    p.a = a;
    p.all = all;
    p.err = err;
    lede_qnode *n = NULL;
    *out = NULL;
    lex(&p);
    if (p.rc != LEDE_OK)
        goto cleanup;
    n = parse_seq(&p);
    if (p.rc == LEDE_OK && cur(&p)->type == T_RP)
        fail(&p, LEDE_EINVAL, "unbalanced )", cur(&p)->pos);
    if (p.rc == LEDE_OK && n && n->kind == LEDE_Q_BOOL && n->nmust + n->nshould + n->nnot == 0)
        fail(&p, LEDE_EINVAL, "nothing to search for", 0);
    if (p.rc != LEDE_OK) {
        lede_qnode_free(n);
        n = NULL;
        goto cleanup;
    }
    *out = n;
cleanup:
    free(p.toks);
    return p.rc;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */
/* ------------------------------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len)
{
    if (b->oom)
        return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = 1;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, len);
    b->n += len;
    b->s[b->n] = '\0';
}

static void sb_str(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void format_node(sbuf *b, const lede_qnode *n)
{
    static const char *fields[] = {"stem", "word", "name"};
    const char *where = n->where == LEDE_Q_TITLE ? "title." : n->where == LEDE_Q_BODY ? "body." : "";
    char num[32];
    switch (n->kind) {
    case LEDE_Q_TERM:
        sb_str(b, where);
        sb_str(b, fields[n->field]);
        sb_str(b, ":");
        sb_str(b, n->text);
        break;
    case LEDE_Q_PREFIX:
        sb_str(b, where);
        sb_str(b, "prefix:");
        sb_str(b, n->text);
        break;
    case LEDE_Q_PHRASE:
        sb_str(b, where);
        if (n->name_bonus)
            sb_str(b, "name");
        else if (!n->ordered)
            sb_str(b, "near");
        sb_str(b, "\"");
        for (size_t i = 0; i < n->nwords; i++) {
            if (i)
                sb_str(b, " ");
            sb_str(b, n->words[i]);
        }
        sb_str(b, "\"");
        if (!n->ordered) {
            snprintf(num, sizeof num, "/%u", n->slop);
            sb_str(b, num);
        }
        break;
    case LEDE_Q_DATE:
        sb_str(b, "date[");
        if (n->lo)
            sb_str(b, n->lo);
        sb_str(b, ",");
        if (n->hi)
            sb_put(b, n->hi, strcspn(n->hi, "\x7f"));
        sb_str(b, n->hi && strchr(n->hi, '\x7f') ? "]" : ")");
        break;
    case LEDE_Q_BOOL:
        sb_str(b, "(");
        for (size_t i = 0; i < n->nmust; i++) {
            sb_str(b, i ? " +" : "+");
            format_node(b, n->must[i]);
        }
        for (size_t i = 0; i < n->nshould; i++) {
            sb_str(b, n->nmust || i ? " " : "");
            format_node(b, n->should[i]);
        }
        for (size_t i = 0; i < n->nnot; i++) {
            sb_str(b, n->nmust || n->nshould || i ? " -" : "-");
            format_node(b, n->not[i]);
        }
        sb_str(b, ")");
        break;
    }
}

char *lede_qnode_format(const lede_qnode *n)
{
    sbuf b = {0};
    if (n)
        format_node(&b, n);
    else
        sb_str(&b, "");
    if (b.oom) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
