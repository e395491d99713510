/*
 * test_search.c — the searcher on real text.  corpus/ (and Reuters-21578
 * from LEDE_SHARED_DIR when present) is indexed through the writer API;
 * the test then tokenises every document itself, counts tf and df on its
 * own, and scores each random query by brute force.  Pruned top-k must
 * return the same scores, and documents that truly have them.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lede.h"

/* ------------------------------------------------------------------ */
/* The brute-force model: every document's stems with tf and title tf */
/* ------------------------------------------------------------------ */

typedef struct bterm {
    char *stem;
    uint32_t tf, title_tf;
} bterm;

typedef struct bdoc {
    char *id;
    uint32_t docid;
    uint32_t len;
    bterm *terms;
    size_t nterms, cap;
    char **words; /* folded surface words, to build queries from */
    size_t nwords, capwords;
} bdoc;

typedef struct model {
    bdoc *docs;
    size_t n, cap;
    uint64_t total_len;
} model;

typedef struct tok_ctx {
    bdoc *d;
    int in_title;
} tok_ctx;

static int on_token(const lede_token *t, void *payload)
{
    tok_ctx *c = payload;
    bdoc *d = c->d;
    d->len++;
    size_t i;
    for (i = 0; i < d->nterms; i++)
        if (strlen(d->terms[i].stem) == t->stem_len &&
            memcmp(d->terms[i].stem, t->stem, t->stem_len) == 0)
            break;
    if (i == d->nterms) {
        if (d->nterms == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 64;
            d->terms = realloc(d->terms, d->cap * sizeof *d->terms);
        }
        d->terms[i].stem = strndup(t->stem, t->stem_len);
        d->terms[i].tf = d->terms[i].title_tf = 0;
        d->nterms++;
    }
    d->terms[i].tf++;
    if (c->in_title)
        d->terms[i].title_tf++;
    if (d->nwords == d->capwords) {
        d->capwords = d->capwords ? 2 * d->capwords : 64;
        d->words = realloc(d->words, d->capwords * sizeof *d->words);
    }
    d->words[d->nwords++] = strndup(t->word, t->word_len);
    return 0;
}

static int bterm_cmp(const void *a, const void *b)
{
    return strcmp(((const bterm *)a)->stem, ((const bterm *)b)->stem);
}

static const bterm *find_term(const bdoc *d, const char *stem)
{
    bterm key = {(char *)stem, 0, 0};
    return bsearch(&key, d->terms, d->nterms, sizeof *d->terms, bterm_cmp);
}

static lede_analyzer *an;

static void model_add(model *m, lede_index *ix, const char *id, const char *title,
                      const char *body)
{
    lede_doc doc = LEDE_DOC_INIT;
    doc.id = id;
    doc.title = title;
    doc.title_len = title ? strlen(title) : 0;
    doc.body = body;
    doc.body_len = strlen(body);
    cr_assert_eq(lede_index_add(ix, &doc), LEDE_OK, "add %s: %s", id, lede_index_errmsg(ix));
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 256;
        m->docs = realloc(m->docs, m->cap * sizeof *m->docs);
    }
    bdoc *d = &m->docs[m->n++];
    memset(d, 0, sizeof *d);
    d->id = strdup(id);
    tok_ctx c = {d, 1};
    if (title)
        lede_analyze(an, title, strlen(title), 0, on_token, &c, NULL);
    c.in_title = 0;
    lede_analyze(an, body, strlen(body), 0, on_token, &c, NULL);
    qsort(d->terms, d->nterms, sizeof *d->terms, bterm_cmp);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* A .txt file: title on the first line, the rest is the body. */
static void add_txt(model *m, lede_index *ix, const char *path, const char *id)
{
    char *s = slurp(path);
    cr_assert_not_null(s, "read %s", path);
    char *nl = strchr(s, '\n');
    const char *body = "";
    if (nl) {
        *nl = '\0';
        body = nl + 1;
    }
    model_add(m, ix, id, s, body);
    free(s);
}

static void add_jsonl(model *m, lede_index *ix, const char *path, size_t max)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "open %s", path);
    char *line = NULL;
    size_t cap = 0;
    size_t n = 0;
    while (getline(&line, &cap, f) > 0 && n < max) {
        cJSON *o = cJSON_Parse(line);
        if (!o)
            continue;
        cJSON *id = cJSON_GetObjectItem(o, "id"), *t = cJSON_GetObjectItem(o, "title"),
              *b = cJSON_GetObjectItem(o, "body");
        char idbuf[32];
        const char *ids = cJSON_IsString(id) ? id->valuestring : idbuf;
        if (!cJSON_IsString(id))
            snprintf(idbuf, sizeof idbuf, "%d", id ? id->valueint : (int)n);
        model_add(m, ix, ids, cJSON_IsString(t) ? t->valuestring : NULL,
                  cJSON_IsString(b) ? b->valuestring : "");
        cJSON_Delete(o);
        n++;
    }
    free(line);
    fclose(f);
}

static void model_free(model *m)
{
    for (size_t i = 0; i < m->n; i++) {
        bdoc *d = &m->docs[i];
        for (size_t j = 0; j < d->nterms; j++)
            free(d->terms[j].stem);
        for (size_t j = 0; j < d->nwords; j++)
            free(d->words[j]);
        free(d->terms);
        free(d->words);
        free(d->id);
    }
    free(m->docs);
}

/* ------------------------------------------------------------------ */
/* Brute-force BM25, written from the formula                         */
/* ------------------------------------------------------------------ */

typedef struct bhit {
    uint32_t docid;
    double score;
} bhit;

static int bhit_cmp(const void *a, const void *b)
{
    const bhit *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->docid < y->docid ? -1 : x->docid > y->docid;
}

/*
 * Scores of every document for the stems of the query (0 = no match).  A
 * word written twice counts twice, as two clauses of an OR do.
 */
static double *brute(const model *m, char **stems, size_t nstems, double k1, double b,
                     double title_w)
{
    double *score = calloc(m->n, sizeof *score);
    double N = (double)m->n, avg = (double)m->total_len / N;
    for (size_t q = 0; q < nstems; q++) {
        const bterm **hit = calloc(m->n, sizeof *hit);
        double df = 0;
        for (size_t i = 0; i < m->n; i++)
            if ((hit[i] = find_term(&m->docs[i], stems[q])))
                df++;
        double idf = log((N - df + 0.5) / (df + 0.5));
        if (idf < 1e-6)
            idf = 1e-6;
        for (size_t i = 0; i < m->n; i++) {
            if (!hit[i])
                continue;
            double tf = hit[i]->tf + (title_w - 1.0) * hit[i]->title_tf;
            double K = k1 * (1 - b + b * m->docs[i].len / avg);
            score[i] += idf * tf * (k1 + 1) / (tf + K);
        }
        free(hit);
    }
    return score;
}

/* Stem of a folded word, through the analyzer (as the query parser does). */
static int stem_token(const lede_token *t, void *payload)
{
    char **out = payload;
    if (!*out)
        *out = strndup(t->stem, t->stem_len);
    return 0;
}

static void check_random_queries(const model *m, lede_reader *r, int nqueries, unsigned seed)
{
    lede_searcher *s;
    char *err = NULL;
    cr_assert_eq(lede_searcher_open(&s, r, &err), LEDE_OK, "%s", err ? err : "");
    srand(seed);
    static const size_t ks[] = {1, 10, 50};
    for (int qn = 0; qn < nqueries; qn++) {
        /* 1–5 words drawn from random documents, so queries mix rare and common terms. */
        size_t nw = 1 + (size_t)(rand() % 5);
        char query[1024] = "";
        char *stems[5];
        size_t ns = 0;
        for (size_t w = 0; w < nw; w++) {
            const bdoc *d = &m->docs[(size_t)rand() % m->n];
            if (d->nwords == 0)
                continue;
            const char *word = d->words[(size_t)rand() % d->nwords];
            /* Words the query language reads as syntax are not what this test is about. */
            if (strpbrk(word, "*:\"()+-~") || strlen(word) > 60)
                continue;
            /* Single letters are joined or dropped on purpose (qparse.c's join_letters). */
            if (strlen(word) < 2)
                continue;
            char *stem = NULL;
            lede_analyze(an, word, strlen(word), 0, stem_token, &stem, NULL);
            if (!stem)
                continue;
            stems[ns++] = stem;
            strcat(query, ns > 1 ? " " : "");
            strcat(query, word);
        }
        if (ns == 0)
            continue;
        double title_w = qn % 2 ? 1.0 : 2.5;
        double k1 = qn % 3 == 0 ? 0.9 : 1.2, b = qn % 5 == 0 ? 0.4 : 0.75;
        double *score = brute(m, stems, ns, k1, b, title_w);
        bhit *all = malloc(m->n * sizeof *all);
        size_t nmatch = 0;
        for (size_t i = 0; i < m->n; i++)
            if (score[i] > 0)
                all[nmatch++] = (bhit){m->docs[i].docid, score[i]};
        qsort(all, nmatch, sizeof *all, bhit_cmp);
        size_t k = ks[qn % 3];
        lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
        o.limit = k;
        o.k1 = k1;
        o.b = b;
        o.title_weight = title_w;
        o.proximity = 0;
        o.keep_stopwords = 1;
        o.idf = LEDE_IDF_ROBERTSON;
        lede_results *res;
        cr_assert_eq(lede_search(&res, s, query, &o), LEDE_OK, "query '%s': %s", query,
                     lede_searcher_errmsg(s));
        size_t want = nmatch < k ? nmatch : k;
        cr_assert_eq(res->n, want, "query '%s' k=%zu: %zu hits, brute force %zu", query, k,
                     res->n, want);
        for (size_t i = 0; i < res->n; i++) {
            double bs = all[i].score, got = res->hits[i].score;
            cr_assert(fabs(bs - got) <= 1e-9 * fmax(1.0, bs),
                      "query '%s' rank %zu: score %.12f, brute force %.12f", query, i, got, bs);
            /* The document returned truly has that score (ties may swap equals). */
            double own = -1;
            for (size_t j = 0; j < m->n; j++)
                if (m->docs[j].docid == res->hits[i].docid)
                    own = score[j];
            cr_assert(fabs(own - got) <= 1e-9 * fmax(1.0, got),
                      "query '%s' rank %zu: doc %u scored %.12f, really %.12f", query, i,
                      res->hits[i].docid, got, own);
            for (size_t j = 0; j < i; j++)
                cr_assert_neq(res->hits[j].docid, res->hits[i].docid);
        }
        lede_results_free(res);
        free(all);
        free(score);
        for (size_t i = 0; i < ns; i++)
            free(stems[i]);
    }
    lede_searcher_close(s);
}

static void resolve_docids(model *m, lede_reader *r)
{
    m->total_len = 0;
    for (size_t i = 0; i < m->n; i++) {
        cr_assert_eq(lede_reader_find(r, m->docs[i].id, &m->docs[i].docid), LEDE_OK, "find %s",
                     m->docs[i].id);
        cr_assert_eq(lede_reader_doclen(r, m->docs[i].docid), m->docs[i].len, "length of %s",
                     m->docs[i].id);
        m->total_len += m->docs[i].len;
    }
}

static char tmpdir[256];

static void setup(void)
{
    cr_assert_eq(lede_analyzer_new(&an, "english"), LEDE_OK);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lede-test-search-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    lede_analyzer_free(an);
}

TestSuite(search, .init = setup, .fini = teardown, .timeout = 580);

static const char *source_dir(void)
{
    const char *s = getenv("LEDE_SOURCE_DIR");
    return s ? s : ".";
}

/* Index corpus/: the JSONL articles, the .txt articles and the seed article. */
static void index_corpus(model *m, const char *dir)
{
    lede_index *ix;
    char *err = NULL;
    cr_assert_eq(lede_index_open(&ix, dir, NULL, &err), LEDE_OK, "%s", err ? err : "");
    char path[1024];
    snprintf(path, sizeof path, "%s/corpus/wikinews.jsonl", source_dir());
    add_jsonl(m, ix, path, SIZE_MAX);
    snprintf(path, sizeof path, "%s/corpus/wikinews", source_dir());
    DIR *dd = opendir(path);
    cr_assert_not_null(dd, "open %s", path);
    struct dirent *e;
    while ((e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".txt") != 0)
            continue;
        char file[1300], id[300];
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        snprintf(id, sizeof id, "wikinews/%s", e->d_name);
        add_txt(m, ix, file, id);
    }
    closedir(dd);
    snprintf(path, sizeof path, "%s/corpus/seed/wang-yi-choe-son-hui.txt", source_dir());
    add_txt(m, ix, path, "seed/wang-yi-choe-son-hui.txt");
    cr_assert_eq(lede_index_commit(ix), LEDE_OK, "%s", lede_index_errmsg(ix));
    lede_index_close(ix);
}

Test(search, pruned_top_k_equals_brute_force_on_corpus)
{
    model m = {0};
    index_corpus(&m, tmpdir);
    lede_reader *r;
    char *err = NULL;
    cr_assert_eq(lede_reader_open(&r, tmpdir, &err), LEDE_OK, "%s", err ? err : "");
    resolve_docids(&m, r);
    check_random_queries(&m, r, 300, 11);
    lede_reader_close(r);
    model_free(&m);
}

/* Index Reuters-21578 from LEDE_SHARED_DIR into tmpdir and the model, and
 * open a reader on it; skips the test when the collection is absent. */
static lede_reader *index_reuters(model *m)
{
    const char *shared = getenv("LEDE_SHARED_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/corpora/reuters21578/docs.jsonl", shared ? shared : "");
    if (!shared || access(path, R_OK) != 0) {
        cr_skip_test("skipped: no Reuters-21578 in LEDE_SHARED_DIR");
    }
    /* Sanitizer builds run ~10x slower: a slice of the collection still has real statistics. */
    const char *san = getenv("LEDE_SANITIZE");
    size_t max = san && strcmp(san, "1") == 0 ? 2000 : SIZE_MAX;
    lede_index *ix;
    char *err = NULL;
    cr_assert_eq(lede_index_open(&ix, tmpdir, NULL, &err), LEDE_OK, "%s", err ? err : "");
    add_jsonl(m, ix, path, max);
    cr_assert_eq(lede_index_commit(ix), LEDE_OK);
    lede_index_close(ix);
    lede_reader *r;
    cr_assert_eq(lede_reader_open(&r, tmpdir, &err), LEDE_OK, "%s", err ? err : "");
    return r;
}

Test(search, pruned_top_k_equals_brute_force_on_reuters)
{
    model m = {0};
    lede_reader *r = index_reuters(&m);
    resolve_docids(&m, r);
    check_random_queries(&m, r, 200, 5);
    lede_reader_close(r);
    model_free(&m);
}

/*
 * Proximity clauses (four content words or more) are pruned and read late
 * in MaxScore (lib/search.c, run_maxscore); counting every match scores
 * each document in full instead.  Both must give the same top k.  The words
 * are runs taken from documents, so their pairs do occur near each other.
 */
static void check_proximity_queries(const model *m, lede_reader *r, int nqueries, unsigned seed)
{
    lede_searcher *s;
    char *err = NULL;
    cr_assert_eq(lede_searcher_open(&s, r, &err), LEDE_OK, "%s", err ? err : "");
    srand(seed);
    static const size_t ks[] = {1, 3, 10};
    int with_pairs = 0;
    for (int qn = 0; qn < nqueries; qn++) {
        const bdoc *d = &m->docs[(size_t)rand() % m->n];
        if (d->nwords < 8)
            continue;
        size_t start = (size_t)rand() % (d->nwords - 7), nw = 4 + (size_t)(rand() % 4);
        char query[1024] = "";
        size_t used = 0;
        for (size_t w = start; w < start + nw; w++) {
            const char *word = d->words[w];
            if (strpbrk(word, "*:\"()+-~") || strlen(word) > 60)
                continue;
            strcat(query, used++ ? " " : "");
            strcat(query, word);
        }
        /* Now and then a common word, so that lists overlap more. */
        if (qn % 3 == 0)
            strcat(query, " said");
        size_t k = ks[qn % 3];
        lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
        o.limit = k;
        lede_results *pruned, *full;
        cr_assert_eq(lede_search(&pruned, s, query, &o), LEDE_OK, "'%s': %s", query,
                     lede_searcher_errmsg(s));
        o.count_all = 1;
        cr_assert_eq(lede_search(&full, s, query, &o), LEDE_OK, "'%s': %s", query,
                     lede_searcher_errmsg(s));
        cr_assert_eq(pruned->n, full->n, "'%s' k=%zu: %zu hits, every match scored: %zu", query,
                     k, pruned->n, full->n);
        for (size_t i = 0; i < pruned->n; i++) {
            double a = pruned->hits[i].score, b = full->hits[i].score;
            cr_assert(fabs(a - b) <= 1e-9 * fmax(1.0, b), "'%s' k=%zu rank %zu: %.12f vs %.12f",
                      query, k, i, a, b);
            /* A different document only where two scores tie. */
            if (pruned->hits[i].docid != full->hits[i].docid)
                cr_assert(i + 1 < pruned->n || fabs(a - b) <= 1e-9 * fmax(1.0, b));
        }
        if (used >= 4)
            with_pairs++;
        lede_results_free(pruned);
        lede_results_free(full);
    }
    cr_assert_geq(with_pairs, nqueries / 2);
    lede_searcher_close(s);
}

Test(search, pruned_top_k_with_proximity_equals_scoring_every_match)
{
    model m = {0};
    index_corpus(&m, tmpdir);
    lede_reader *r;
    char *err = NULL;
    cr_assert_eq(lede_reader_open(&r, tmpdir, &err), LEDE_OK, "%s", err ? err : "");
    check_proximity_queries(&m, r, 300, 23);
    lede_reader_close(r);
    model_free(&m);
}

Test(search, pruned_top_k_with_proximity_equals_scoring_every_match_on_reuters)
{
    model m = {0};
    lede_reader *r = index_reuters(&m);
    check_proximity_queries(&m, r, 300, 29);
    lede_reader_close(r);
    model_free(&m);
}

/* Query features checked on the corpus by what they must and must not return. */
Test(search, query_features_select_the_right_documents)
{
    model m = {0};
    index_corpus(&m, tmpdir);
    lede_reader *r;
    lede_searcher *s;
    char *err = NULL;
    cr_assert_eq(lede_reader_open(&r, tmpdir, &err), LEDE_OK);
    cr_assert_eq(lede_searcher_open(&s, r, &err), LEDE_OK);
    uint32_t seed;
    cr_assert_eq(lede_reader_find(r, "seed/wang-yi-choe-son-hui.txt", &seed), LEDE_OK);

    lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
    lede_results *res;
    /* A name ranks the article naming Kim Jong Un first. */
    cr_assert_eq(lede_search(&res, s, "Kim Jong Un", &o), LEDE_OK);
    cr_assert_gt(res->n, 0);
    cr_expect_eq(res->hits[0].docid, seed);
    int has_name = 0;
    for (size_t i = 0; i < res->nterms; i++)
        has_name |= res->terms[i].kind == LEDE_MATCH_NAME &&
                    strcmp(res->terms[i].text, "kim jong un") == 0;
    cr_expect(has_name, "the name is reported for snippets");
    lede_results_free(res);

    cr_assert_eq(lede_search(&res, s, "name:\"Choe Son Hui\"", &o), LEDE_OK);
    cr_assert_eq(res->n, 1);
    cr_expect_eq(res->hits[0].docid, seed);
    lede_results_free(res);

    /* Every hit of a phrase contains it; -word excludes. */
    static const char *pairs[][2] = {
        {"\"north korea\"", NULL},
        {"korea -nuclear", "nuclear"},
        {"+korea +talks", NULL},
        {"korea AND NOT nuclear", "nuclear"},
    };
    for (size_t p = 0; p < 4; p++) {
        o.limit = 1000;
        cr_assert_eq(lede_search(&res, s, pairs[p][0], &o), LEDE_OK, "%s", pairs[p][0]);
        cr_expect_gt(res->n, 0, "%s", pairs[p][0]);
        for (size_t i = 0; i < res->n; i++) {
            char *text;
            size_t len;
            lede_doc_info info;
            cr_assert_eq(lede_reader_doc(r, res->hits[i].docid, &info), LEDE_OK);
            cr_assert_eq(lede_reader_text(r, res->hits[i].docid, &text, &len), LEDE_OK);
            char *all = malloc(strlen(info.title) + len + 2);
            sprintf(all, "%s\n%s", info.title, text);
            for (char *c = all; *c; c++)
                *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : (*c == '\n' ? ' ' : *c));
            if (p == 0)
                cr_expect_not_null(strstr(all, "north korea"), "%s: doc %s", pairs[p][0], info.id);
            if (p == 2)
                cr_expect(strstr(all, "korea") && strstr(all, "talk"), "%s", info.id);
            if (pairs[p][1])
                cr_expect_null(strstr(all, pairs[p][1]), "%s: doc %s", pairs[p][0], info.id);
            free(all);
            free(text);
        }
        lede_results_free(res);
    }

    /* A syntax error names its byte. */
    cr_assert_eq(lede_search(&res, s, "korea AND (talks", &o), LEDE_EINVAL);
    cr_expect_eq(lede_searcher_errpos(s), 10);

    /* An absent word yields a suggestion. */
    cr_assert_eq(lede_search(&res, s, "nucleer", &o), LEDE_OK);
    cr_expect_eq(res->n, 0);
    cr_assert_eq(res->nnotes, 1);
    cr_expect_not_null(strstr(res->notes[0], "\"nuclear\""), "%s", res->notes[0]);
    lede_results_free(res);

    /* -c counts exactly; --offset pages. */
    o.limit = 3;
    o.count_all = 1;
    cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK);
    uint64_t total = res->total;
    uint32_t third = res->hits[2].docid;
    lede_results_free(res);
    size_t counted = 0;
    for (size_t i = 0; i < m.n; i++)
        counted += find_term(&m.docs[i], "korea") != NULL;
    cr_expect_eq(total, counted, "korea: %llu counted by the searcher, %zu by the test", (unsigned long long)total, counted);
    o.count_all = 0;
    o.offset = 2;
    o.limit = 1;
    cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK);
    cr_expect_eq(res->hits[0].docid, third);
    lede_results_free(res);

    lede_searcher_close(s);
    lede_reader_close(r);
    model_free(&m);
}

/*
 * "-n 18446744073709551615" (all of them) made lede-query fail with "out of
 * memory", and with an offset the page's end wrapped around and it said the
 * index was damaged: a limit or offset beyond the index's size must simply
 * mean every match.
 */
Test(search, huge_limit_and_offset_mean_every_match)
{
    model m = {0};
    index_corpus(&m, tmpdir);
    lede_reader *r;
    lede_searcher *s;
    char *err = NULL;
    cr_assert_eq(lede_reader_open(&r, tmpdir, &err), LEDE_OK);
    cr_assert_eq(lede_searcher_open(&s, r, &err), LEDE_OK);
    size_t counted = 0;
    for (size_t i = 0; i < m.n; i++)
        counted += find_term(&m.docs[i], "korea") != NULL;
    cr_assert_gt(counted, 3);

    static const lede_sort sorts[] = {LEDE_SORT_SCORE, LEDE_SORT_DATE_DESC};
    for (size_t k = 0; k < 2; k++) {
        lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
        lede_results *res = NULL;
        o.sort = sorts[k];
        o.limit = SIZE_MAX;
        cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK, "limit SIZE_MAX");
        cr_expect_eq(res->n, counted, "limit SIZE_MAX: %zu hits of %zu", res->n, counted);
        lede_results_free(res);
        o.offset = 3;
        cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK, "offset 3, limit SIZE_MAX");
        cr_expect_eq(res->n, counted - 3);
        lede_results_free(res);
        o.offset = SIZE_MAX;
        cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK, "offset and limit SIZE_MAX");
        cr_expect_eq(res->n, 0);
        lede_results_free(res);
        o.offset = SIZE_MAX - 1;
        o.limit = 5;
        cr_assert_eq(lede_search(&res, s, "korea", &o), LEDE_OK, "offset SIZE_MAX - 1");
        cr_expect_eq(res->n, 0);
        lede_results_free(res);
    }
    lede_searcher_close(s);
    lede_reader_close(r);
    model_free(&m);
}
