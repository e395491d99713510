/*
 * bench_snippet — what one snippet costs: lede_snippet_make (re-analysis of
 * the body, window choice) plus lede_snippet_render, over real articles.
 *
 *   bench_snippet [DOCS.jsonl] [MAXDOCS]
 *
 * Default input: $LEDE_SHARED_DIR/corpora/reuters21578/docs.jsonl, else
 * corpus/wikinews.jsonl.  Each article gets a query made of two of its own
 * body words and one capitalised pair as a name, so every snippet has
 * matches to place, as in lede-query's output.  Prints µs per snippet
 * (median, p99; thread CPU time) and MB/s of body text.
 */
#include "common.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    /* CPU time of this thread: on a shared machine, waiting for a core is not
     * the snippet's cost. */
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

typedef struct pick {
    char stem[2][LEDE_TERM_MAX + 1];
    char name[2 * LEDE_TERM_MAX + 2];
    int nstems, have_name;
    uint32_t prev_flags;
    char prev_word[LEDE_TERM_MAX + 1];
    size_t n;
} pick;

/* Take the 5th and 20th tokens as keywords and the first two capitalised
 * words in a row as a name. */
static int pick_terms(const lede_token *t, void *payload)
{
    pick *p = payload;
    if ((p->n == 5 || p->n == 20) && p->nstems < 2 && t->stem_len <= LEDE_TERM_MAX) {
        memcpy(p->stem[p->nstems], t->stem, t->stem_len);
        p->stem[p->nstems++][t->stem_len] = '\0';
    }
    if (!p->have_name && (t->flags & LEDE_TOKEN_CAPITALIZED) &&
        (p->prev_flags & LEDE_TOKEN_CAPITALIZED) && !(t->flags & LEDE_TOKEN_SENTENCE_START) &&
        t->word_len <= LEDE_TERM_MAX) {
        snprintf(p->name, sizeof p->name, "%s %.*s", p->prev_word, (int)t->word_len, t->word);
        p->have_name = 1;
    }
    p->prev_flags = t->flags;
    if (t->word_len <= LEDE_TERM_MAX) {
        memcpy(p->prev_word, t->word, t->word_len);
        p->prev_word[t->word_len] = '\0';
    }
    p->n++;
    return 0;
}

int main(int argc, char **argv)
{
    char path[4096];
    const char *shared = getenv("LEDE_SHARED_DIR");
    if (argc > 1) {
        snprintf(path, sizeof path, "%s", argv[1]);
    } else {
        snprintf(path, sizeof path, "%s/corpora/reuters21578/docs.jsonl",
                 shared ? shared : "../shared");
        FILE *probe = fopen(path, "rb");
        if (probe)
            fclose(probe);
        else
            snprintf(path, sizeof path, "corpus/wikinews.jsonl");
    }
    size_t maxdocs = argc > 2 ? (size_t)atol(argv[2]) : 5000;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_snippet: error: cannot open %s\n", path);
        return 2;
    }
    lede_analyzer *a = NULL;
    if (lede_analyzer_new(&a, NULL) != LEDE_OK)
        return 2;
    double *us = malloc(maxdocs * sizeof *us);
    size_t n = 0, bytes = 0, frags = 0, matches = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    double total = 0;
    while (n < maxdocs && (len = getline(&line, &cap, f)) > 0) {
        cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
        const cJSON *b = o ? cJSON_GetObjectItemCaseSensitive(o, "body") : NULL;
        if (!cJSON_IsString(b) || b->valuestring[0] == '\0') {
            cJSON_Delete(o);
            continue;
        }
        const char *body = b->valuestring;
        size_t blen = strlen(body);
        pick p = {0};
        lede_analyze(a, body, blen, 0, pick_terms, &p, NULL);
        lede_snippet_query *q = NULL;
        lede_snippet_query_new(&q);
        for (int i = 0; i < p.nstems; i++)
            lede_snippet_query_add(q, LEDE_SNIPPET_STEM, p.stem[i], strlen(p.stem[i]), 1.0 + i);
        if (p.have_name)
            lede_snippet_query_add(q, LEDE_SNIPPET_NAME, p.name, strlen(p.name), 2.0);

        lede_snippet_options so = LEDE_SNIPPET_OPTIONS_INIT;
        lede_render_options ro = LEDE_RENDER_OPTIONS_INIT;
        ro.open = "\x1b[1m";
        ro.close = "\x1b[0m";
        double t0 = now_us();
        lede_snippet *s = NULL;
        if (lede_snippet_make(&s, a, body, blen, q, &so) == LEDE_OK) {
            for (size_t i = 0; i < s->n; i++) {
                char *out = NULL;
                if (lede_snippet_render(&out, NULL, body, blen, &s->frags[i], &ro, NULL) ==
                    LEDE_OK)
                    free(out);
                matches += s->frags[i].nmatches;
            }
            frags += s->n;
        }
        double t1 = now_us();
        lede_snippet_free(s);
        lede_snippet_query_free(q);
        cJSON_Delete(o);
        us[n++] = t1 - t0;
        total += t1 - t0;
        bytes += blen;
    }
    fclose(f);
    free(line);
    lede_analyzer_free(a);
    if (n == 0) {
        fprintf(stderr, "bench_snippet: error: no articles in %s\n", path);
        return 2;
    }
    qsort(us, n, sizeof *us, dbl_cmp);
    size_t k99 = (size_t)ceil(0.99 * (double)n);
    printf("bench_snippet: %s\n", path);
    printf("  snippets %zu (fragments %zu, highlighted matches %zu), body bytes %zu\n", n, frags,
           matches, bytes);
    printf("  per snippet: median %.1f us, p99 %.1f us, mean %.1f us;  %.1f MB/s of body text\n",
           us[(n - 1) / 2], us[k99 ? k99 - 1 : 0], total / (double)n,
           (double)bytes / total);
    printf("  a page of 10 hits costs about %.2f ms of snippets\n", 10 * us[(n - 1) / 2] / 1000);
    free(us);
    return 0;
}
