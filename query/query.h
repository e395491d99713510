/*
 * query.h — lede-query's parts: the options and the printers
 * (terminal text, --json, --tsv, -l, --format trec).
 */
#ifndef LEDE_QUERY_H
#define LEDE_QUERY_H

#include <lede.h>
#include <stdio.h>

typedef enum out_format {
    FMT_TEXT,
    FMT_JSON,
    FMT_TSV,
    FMT_FILES,
    FMT_COUNT,
    FMT_TREC,
} out_format;

typedef struct qopts {
    const char *index;
    out_format format;
    int nul;            /* -0 */
    int color;          /* resolved: non-zero = ANSI colour */
    const char *hl_open, *hl_close;
    unsigned context;   /* words per snippet window */
    unsigned fragments; /* windows per hit */
    int batch;
    int timing;
    int snippets;       /* whether the chosen format shows snippets */
    lede_search_options so;
} qopts;

/** Everything a printer needs for one query. */
typedef struct qrun {
    const qopts *o;
    lede_reader *r;
    lede_searcher *s;
    const char *qid;
    const lede_results *res;
    FILE *out;
} qrun;

/** Print the hits of one query in the chosen format.  Returns 0 or a lede_status. */
int print_results(const qrun *run);

#endif /* LEDE_QUERY_H */
