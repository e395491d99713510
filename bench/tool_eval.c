/*
 * lede-eval — relevance figures of a TREC run against TREC qrels, with
 * trec_eval's definitions (lib/eval.c): MAP, nDCG@10, P@10, Recall@100.
 *
 *   lede-eval [--per-query] [--complete] [--name NAME] QRELS RUN
 *
 * Prints one line "NAME  MAP nDCG@10 P@10 R@100 queries" (NAME defaults to
 * the run file name); --per-query adds one line per query before it.
 * Exit 0 on success, 2 on a usage or input error.
 */
#include "common.h"

#include "eval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lede-eval [--per-query] [--complete] [--name NAME] QRELS RUN\n"
            "\n"
            "Evaluate a TREC run (qid Q0 docid rank score tag) against TREC qrels\n"
            "(qid 0 docid rel): MAP, P@10 and Recall@100 as trec_eval computes them,\n"
            "nDCG@10 with linear gain and the log2(rank + 1) discount.\n"
            "Documents are ordered by score, ties by docid as\n"
            "trec_eval does; rel >= 1 is relevant and is the gain of nDCG.\n"
            "\n"
            "  --per-query   also print each query's figures\n"
            "  --complete    average over every judged query, an unanswered one\n"
            "                counting 0 (trec_eval -c); default: queries in both\n"
            "  --name NAME   label of the summary line (default: the run's file name)\n"
            "  -h, --help    this text\n"
            "\n"
            "Use \"-\" for RUN to read it from standard input.\n");
}

int main(int argc, char **argv)
{
    int per_query = 0, complete = 0, status = 2;
    const char *name = NULL, *files[2] = {NULL, NULL};
    int nfiles = 0;
    char *qrels = NULL, *run = NULL, *err = NULL;
    size_t qrels_len = 0, run_len = 0;
    lede_eval_result *res = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--per-query") == 0 || strcmp(argv[i], "-q") == 0) {
            per_query = 1;
        } else if (strcmp(argv[i], "--complete") == 0 || strcmp(argv[i], "-c") == 0) {
            complete = 1;
        } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            name = argv[++i];
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "lede-eval: error: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (nfiles < 2) {
            files[nfiles++] = argv[i];
        } else {
            fprintf(stderr, "lede-eval: error: too many arguments\n");
            return 2;
        }
    }
    if (nfiles != 2) {
        usage(stderr);
        return 2;
    }
    if (name == NULL) {
        const char *slash = strrchr(files[1], '/');
        name = slash ? slash + 1 : files[1];
    }
    for (int i = 0; i < 2; i++) {
        int rc = i == 0 ? lede_eval_read_file(&qrels, &qrels_len, files[0])
                        : lede_eval_read_file(&run, &run_len, files[1]);
        if (rc != LEDE_OK) {
            fprintf(stderr, "lede-eval: error: cannot read %s: %s\n", files[i],
                    rc == LEDE_EIO ? strerror(errno) : lede_strerror(rc));
            goto cleanup;
        }
    }
    int rc = lede_eval_compute(&res, qrels, qrels_len, run, run_len, complete, &err);
    if (rc != LEDE_OK) {
        fprintf(stderr, "lede-eval: error: %s\n", err ? err : lede_strerror(rc));
        goto cleanup;
    }
    if (per_query) {
        printf("%-8s %7s %7s %7s %7s %6s %6s %6s\n", "qid", "AP", "nDCG@10", "P@10", "R@100",
               "ret", "rel", "relret");
        for (size_t i = 0; i < res->n; i++) {
            const lede_eval_query *e = &res->queries[i];
            printf("%-8s %7.4f %7.4f %7.4f %7.4f %6u %6u %6u\n", e->qid, e->ap, e->ndcg10,
                   e->p10, e->r100, e->num_ret, e->num_rel, e->rel_ret);
        }
    }
    printf("%-12s MAP %.4f  nDCG@10 %.4f  P@10 %.4f  R@100 %.4f  queries %zu (judged %zu, "
           "in run %zu)\n",
           name, res->mean.ap, res->mean.ndcg10, res->mean.p10, res->mean.r100, res->n,
           res->judged_queries, res->run_queries);
    status = 0;
cleanup:
    free(qrels);
    free(run);
    free(err);
    lede_eval_result_free(res);
    return status;
}
