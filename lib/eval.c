/*
 * eval.c — relevance figures for a TREC run: map, P.10 and recall.100 exactly
 * as trec_eval 9 computes them, and nDCG@10 with the log2(rank + 1) discount,
 * so lede's numbers can be set beside figures other engines report.
 *
 * Owns: parsing qrels and runs (text in memory) and the four measures.
 * Must not touch: the index or the searcher; it only reads text.
 *
 * Definitions (trec_eval 9: m_map.c, m_P.c, m_recall.c; nDCG see below):
 *   - a run's documents are ordered by score descending, ties by docid
 *     descending (strcmp); the rank column is ignored;
 *   - relevant means rel >= 1; num_rel counts the relevant judged documents;
 *   - AP = sum over relevant retrieved documents of (relevant so far / rank),
 *     divided by num_rel;
 *   - DCG@10 = sum over the first 10 ranks of rel / log2(rank + 1): linear
 *     gain with the usual log2(rank + 1) discount.  trec_eval's m_ndcg_cut.c
 *     divides by log2(rank) from rank 2 on (ranks 1 and 2 undiscounted),
 *     which reads about .01 higher on graded qrels such as cran; the peers'
 *     figures in issue 5 match the log2(rank + 1) form exactly (checked on
 *     FTS5 runs of cran, .361, and med, .694), so that is what we compute.
 *     The ideal DCG orders every judged relevant document by rel;
 *     nDCG@10 = DCG@10 / ideal (0 when ideal is 0);
 *   - P@10 = relevant in the first 10 / 10, whatever the number retrieved;
 *   - Recall@100 = relevant in the first 100 / num_rel.
 */
#include "common.h"

#include "eval.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct qrel {
    const char *qid;
    const char *docid;
    long rel;
    size_t line;
} qrel;

typedef struct hit {
    const char *qid;
    const char *docid;
    double score;
    size_t line;
} hit;

static void set_err(char **errmsg, const char *fmt, ...)
{
    if (errmsg == NULL)
        return;
    free(*errmsg);
    *errmsg = NULL;
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    *errmsg = strdup(buf);
}

/*
 * Split buf (a private copy, modified in place) into lines and each line into
 * at most max whitespace-separated fields.  Returns the number of fields, or
 * 0 for a blank or comment line; *next moves past the line.
 */
static int split_line(char **cursor, char *end, char **fields, int max)
{
    char *p = *cursor;
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (eol == NULL)
        eol = end;
    *cursor = eol < end ? eol + 1 : end;
    *eol = '\0';
    int n = 0;
    while (p < eol) {
        while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
            *p++ = '\0';
        if (p >= eol)
            break;
        if (n == 0 && *p == '#')
            return 0;
        if (n == max)
            return max + 1;
        fields[n++] = p;
        while (p < eol && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
    }
    return n;
}

/* Numbers compare as numbers ("2" < "10"), anything else by bytes. */
static int qid_cmp(const char *a, const char *b)
{
    char *ea, *eb;
    errno = 0;
    unsigned long long na = strtoull(a, &ea, 10);
    unsigned long long nb = strtoull(b, &eb, 10);
    if (errno == 0 && *a && *b && *ea == '\0' && *eb == '\0' && na != nb)
        return na < nb ? -1 : 1;
    return strcmp(a, b);
}

static int qrel_cmp(const void *pa, const void *pb)
{
    const qrel *a = pa, *b = pb;
    int c = strcmp(a->qid, b->qid);
    return c ? c : strcmp(a->docid, b->docid);
}

/* Group by query, then trec_eval's order: score descending, docid descending. */
static int hit_cmp(const void *pa, const void *pb)
{
    const hit *a = pa, *b = pb;
    int c = strcmp(a->qid, b->qid);
    if (c)
        return c;
    if (a->score > b->score)
        return -1;
    if (a->score < b->score)
        return 1;
    return strcmp(b->docid, a->docid);
}

static int str_ptr_cmp(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

static int qid_ptr_cmp(const void *pa, const void *pb)
{
    return qid_cmp(*(const char *const *)pa, *(const char *const *)pb);
}

static int long_desc_cmp(const void *pa, const void *pb)
{
    long a = *(const long *)pa, b = *(const long *)pb;
    return (a < b) - (a > b);
}

static int parse_qrels(qrel **out, size_t *n_out, char *buf, size_t len, char **errmsg)
{
    size_t cap = 1024, n = 0, lineno = 0;
    qrel *v = malloc(cap * sizeof *v);
    char *cur = buf, *end = buf + len;
    int rc = LEDE_OK;
    if (v == NULL)
        return LEDE_ENOMEM;
    while (cur < end) {
        char *f[5];
        lineno++;
        int nf = split_line(&cur, end, f, 4);
        if (nf == 0)
            continue;
        if (nf != 4) {
            set_err(errmsg, "qrels line %zu: expected 4 fields (qid iter docid rel), got %s",
                    lineno, nf > 4 ? "more" : "fewer");
            rc = LEDE_EINVAL;
            goto cleanup;
        }
        char *e;
        errno = 0;
        long rel = strtol(f[3], &e, 10);
        if (*e != '\0' || errno != 0) {
            set_err(errmsg, "qrels line %zu: relevance \"%s\" is not an integer", lineno, f[3]);
            rc = LEDE_EINVAL;
            goto cleanup;
        }
        if (n == cap) {
            qrel *nv = realloc(v, 2 * cap * sizeof *v);
            if (nv == NULL) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            v = nv;
            cap *= 2;
        }
        v[n++] = (qrel){f[0], f[2], rel, lineno};
    }
    qsort(v, n, sizeof *v, qrel_cmp);
    for (size_t i = 1; i < n; i++) {
        if (qrel_cmp(&v[i - 1], &v[i]) == 0) {
            set_err(errmsg, "qrels line %zu: document %s judged twice for query %s",
                    LEDE_MAX(v[i - 1].line, v[i].line), v[i].docid, v[i].qid);
            rc = LEDE_EINVAL;
            goto cleanup;
        }
    }
cleanup:
    if (rc != LEDE_OK) {
        free(v);
        v = NULL;
        n = 0;
    }
    *out = v;
    *n_out = n;
    return rc;
}

static int parse_run(hit **out, size_t *n_out, char *buf, size_t len, char **errmsg)
{
    size_t cap = 4096, n = 0, lineno = 0;
    hit *v = malloc(cap * sizeof *v);
    char *cur = buf, *end = buf + len;
    int rc = LEDE_OK;
    if (v == NULL)
        return LEDE_ENOMEM;
    while (cur < end) {
        char *f[7];
        lineno++;
        int nf = split_line(&cur, end, f, 6);
        if (nf == 0)
            continue;
        if (nf < 5 || nf > 6) {
            set_err(errmsg, "run line %zu: expected 6 fields (qid Q0 docid rank score tag)",
                    lineno);
            rc = LEDE_EINVAL;
            goto cleanup;
        }
        char *e;
        errno = 0;
        double score = strtod(f[4], &e);
        if (*e != '\0' || errno != 0 || isnan(score)) {
            set_err(errmsg, "run line %zu: score \"%s\" is not a number", lineno, f[4]);
            rc = LEDE_EINVAL;
            goto cleanup;
        }
        if (n == cap) {
            hit *nv = realloc(v, 2 * cap * sizeof *v);
            if (nv == NULL) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            v = nv;
            cap *= 2;
        }
        v[n++] = (hit){f[0], f[2], score, lineno};
    }
    qsort(v, n, sizeof *v, hit_cmp);
cleanup:
    if (rc != LEDE_OK) {
        free(v);
        v = NULL;
        n = 0;
    }
    *out = v;
    *n_out = n;
    return rc;
}

/* The judgement of docid among the qrels of one query, or -1 when unjudged. */
static long lookup_rel(const qrel *q, size_t n, const char *docid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(q[mid].docid, docid);
        if (c == 0)
            return q[mid].rel;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static double discount(size_t i)
{
    /* Rank r = i + 1 is divided by log2(r + 1). */
    return log2((double)(i + 2));
}

/*
 * Score one query: judged[0..nj) its qrels (sorted by docid), ranked[0..nr)
 * its run in rank order.  scratch has room for max(nj, nr) longs and
 * pointers.
 */
static int score_query(lede_eval_query *out, const qrel *judged, size_t nj, const hit *ranked,
                       size_t nr, long *gains, const char **docids, char **errmsg)
{
    for (size_t i = 0; i < nr; i++)
        docids[i] = ranked[i].docid;
    qsort(docids, nr, sizeof *docids, str_ptr_cmp);
    for (size_t i = 1; i < nr; i++) {
        if (strcmp(docids[i - 1], docids[i]) == 0) {
            set_err(errmsg, "run: document %s retrieved twice for query %s", docids[i],
                    ranked[0].qid);
            return LEDE_EINVAL;
        }
    }

    size_t ngains = 0;
    for (size_t i = 0; i < nj; i++)
        if (judged[i].rel >= 1)
            gains[ngains++] = judged[i].rel;
    qsort(gains, ngains, sizeof *gains, long_desc_cmp);

    double ap_sum = 0, dcg = 0, idcg = 0;
    uint32_t rel_ret = 0, rel10 = 0, rel100 = 0;
    for (size_t i = 0; i < nr; i++) {
        long rel = lookup_rel(judged, nj, ranked[i].docid);
        if (rel >= 1) {
            rel_ret++;
            ap_sum += (double)rel_ret / (double)(i + 1);
            if (i < 10) {
                rel10++;
                dcg += (double)rel / discount(i);
            }
            if (i < 100)
                rel100++;
        }
    }
    for (size_t i = 0; i < ngains && i < 10; i++)
        idcg += (double)gains[i] / discount(i);

    out->num_ret = (uint32_t)nr;
    out->num_rel = (uint32_t)ngains;
    out->rel_ret = rel_ret;
    out->ap = ngains ? ap_sum / (double)ngains : 0.0;
    out->ndcg10 = idcg > 0 ? dcg / idcg : 0.0;
    out->p10 = rel10 / 10.0;
    out->r100 = ngains ? (double)rel100 / (double)ngains : 0.0;
    return LEDE_OK;
}

/* The slice [*lo, *hi) of a sorted array whose qid equals qid. */
#define SLICE(arr, n, qid_, lo, hi)                                                          \
    do {                                                                                     \
        size_t l_ = 0, h_ = (n);                                                             \
        while (l_ < h_) {                                                                    \
            size_t m_ = l_ + (h_ - l_) / 2;                                                  \
            if (strcmp((arr)[m_].qid, (qid_)) < 0)                                           \
                l_ = m_ + 1;                                                                 \
            else                                                                             \
                h_ = m_;                                                                     \
        }                                                                                    \
        (lo) = l_;                                                                           \
        while (l_ < (n) && strcmp((arr)[l_].qid, (qid_)) == 0)                               \
            l_++;                                                                            \
        (hi) = l_;                                                                           \
    } while (0)

int lede_eval_compute(lede_eval_result **out, const char *qrels_text, size_t qrels_len,
                      const char *run_text, size_t run_len, int complete, char **errmsg)
{
    int rc = LEDE_OK;
    char *qbuf = NULL, *rbuf = NULL;
    qrel *q = NULL;
    hit *h = NULL;
    size_t nq = 0, nh = 0;
    const char **qids = NULL;
    long *gains = NULL;
    const char **docids = NULL;
    lede_eval_result *res = NULL;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    qbuf = malloc(qrels_len + 1);
    rbuf = malloc(run_len + 1);
    res = calloc(1, sizeof *res);
    if (qbuf == NULL || rbuf == NULL || res == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    memcpy(qbuf, qrels_text, qrels_len);
    qbuf[qrels_len] = '\0';
    memcpy(rbuf, run_text, run_len);
    rbuf[run_len] = '\0';
    if ((rc = parse_qrels(&q, &nq, qbuf, qrels_len, errmsg)) != LEDE_OK ||
        (rc = parse_run(&h, &nh, rbuf, run_len, errmsg)) != LEDE_OK)
        goto cleanup;

    /* The distinct qids of both inputs, then the ones to evaluate. */
    qids = malloc((nq + nh + 1) * sizeof *qids);
    gains = malloc((nq + 1) * sizeof *gains);
    docids = malloc((nh + 1) * sizeof *docids);
    if (qids == NULL || gains == NULL || docids == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    size_t nj = 0, nrq = 0, nall = 0;
    for (size_t i = 0; i < nq; i++)
        if (i == 0 || strcmp(q[i - 1].qid, q[i].qid) != 0)
            qids[nall++] = q[i].qid, nj++;
    for (size_t i = 0; i < nh; i++) {
        if (i == 0 || strcmp(h[i - 1].qid, h[i].qid) != 0) {
            nrq++;
            size_t lo, hi;
            SLICE(q, nq, h[i].qid, lo, hi);
            if (lo == hi)
                qids[nall++] = h[i].qid; /* in the run only: never evaluated */
        }
    }
    res->judged_queries = nj;
    res->run_queries = nrq;
    qsort(qids, nall, sizeof *qids, qid_ptr_cmp);
    res->queries = calloc(nall + 1, sizeof *res->queries);
    if (res->queries == NULL) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (size_t k = 0; k < nall; k++) {
        size_t qlo, qhi, hlo, hhi;
        SLICE(q, nq, qids[k], qlo, qhi);
        SLICE(h, nh, qids[k], hlo, hhi);
        if (qlo == qhi || (hlo == hhi && !complete))
            continue;
        lede_eval_query *e = &res->queries[res->n];
        if ((rc = score_query(e, q + qlo, qhi - qlo, h + hlo, hhi - hlo, gains, docids,
                              errmsg)) != LEDE_OK)
            goto cleanup;
        if ((e->qid = strdup(qids[k])) == NULL) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        res->n++;
        res->mean.ap += e->ap;
        res->mean.ndcg10 += e->ndcg10;
        res->mean.p10 += e->p10;
        res->mean.r100 += e->r100;
        res->mean.num_ret += e->num_ret;
        res->mean.num_rel += e->num_rel;
        res->mean.rel_ret += e->rel_ret;
    }
    if (res->n) {
        res->mean.ap /= (double)res->n;
        res->mean.ndcg10 /= (double)res->n;
        res->mean.p10 /= (double)res->n;
        res->mean.r100 /= (double)res->n;
    }

cleanup:
    free(qbuf);
    free(rbuf);
    free(q);
    free(h);
    free(qids);
    free(gains);
    free(docids);
    if (rc != LEDE_OK) {
        lede_eval_result_free(res);
        res = NULL;
    }
    *out = res;
    return rc;
}

void lede_eval_result_free(lede_eval_result *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->queries[i].qid);
    free(r->queries);
    free(r);
}

int lede_eval_read_file(char **out, size_t *len_out, const char *path)
{
    int rc = LEDE_OK;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;

    *out = NULL;
    *len_out = 0;
    if (f == NULL)
        return LEDE_EIO;
    for (;;) {
        if (cap - len < 65536) {
            cap = cap ? 2 * cap : 1 << 20;
            char *nb = realloc(buf, cap + 1);
            if (nb == NULL) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = LEDE_EIO;
        goto cleanup;
    }
    buf[len] = '\0';
cleanup:
    if (f != stdin) {
        int saved = errno;
        fclose(f);
        errno = saved;
    }
    if (rc != LEDE_OK) {
        free(buf);
        buf = NULL;
        len = 0;
    }
    *out = buf;
    *len_out = len;
    return rc;
}
