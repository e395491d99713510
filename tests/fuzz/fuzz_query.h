/*
 * fuzz_query.h — fuzz entry for the query language: the parser
 * (lib/qparse.c) on its own, then the whole searcher (lede_search) over the
 * reference index of fuzz_index.h, so hostile queries (unbalanced quotes
 * and parentheses, operators only, huge NEAR/n, fields without values,
 * dates that are not dates, invalid UTF-8, 100,000 characters) are either
 * answered or refused with a message and a byte position inside the query.
 *
 * The input is the query text; a NUL ends it early, as it would end a C
 * string argument.
 */
#ifndef LEDE_FUZZ_QUERY_H
#define LEDE_FUZZ_QUERY_H

#include "fuzz_index.h"

#include "qparse.h"

static int lede_fuzz_query(const uint8_t *data, size_t size)
{
    static lede_analyzer *a;
    static lede_reader *r;
    static lede_searcher *s;
    if (!a) {
        char *err = NULL;
        FUZZ_CHECK(lede_analyzer_new(&a, "english") == LEDE_OK);
        if (!fuzz_index_ref)
            fuzz_index_build();
        char dir[128];
        snprintf(dir, sizeof dir, "%s/ref", fuzz_index_root);
        FUZZ_CHECK(lede_reader_open(&r, dir, &err) == LEDE_OK);
        FUZZ_CHECK(lede_searcher_open(&s, r, &err) == LEDE_OK);
    }
    char *q = malloc(size + 1);
    FUZZ_CHECK(q != NULL);
    memcpy(q, data, size);
    q[size] = '\0';
    size_t qlen = strlen(q);

    for (int all = 0; all <= 1; all++) {
        lede_qnode *tree = NULL;
        lede_qerror qe = {0};
        int rc = lede_qparse(&tree, a, q, all, &qe);
        if (rc == LEDE_OK) {
            char *text = lede_qnode_format(tree);
            FUZZ_CHECK(text != NULL);
            free(text);
            lede_qnode_free(tree);
        } else {
            FUZZ_CHECK(rc == LEDE_EINVAL || rc == LEDE_ENOMEM);
            FUZZ_CHECK(tree == NULL);
            if (rc == LEDE_EINVAL)
                FUZZ_CHECK(qe.msg != NULL && qe.pos <= qlen);
        }

        lede_search_options o = LEDE_SEARCH_OPTIONS_INIT;
        o.all = all;
        o.explain = 1;
        o.count_all = all;
        o.limit = 5;
        lede_results *res = NULL;
        rc = lede_search(&res, s, q, &o);
        if (rc == LEDE_OK) {
            FUZZ_CHECK(res != NULL && res->n <= 5);
            for (size_t i = 0; i < res->n; i++)
                FUZZ_CHECK(res->hits[i].docid >= 1);
            lede_results_free(res);
        } else {
            FUZZ_CHECK(res == NULL);
            FUZZ_CHECK(lede_searcher_errmsg(s) != NULL);
            if (rc == LEDE_EINVAL)
                FUZZ_CHECK(lede_searcher_errpos(s) <= qlen);
        }
    }
    free(q);
    return 0;
}

#endif /* LEDE_FUZZ_QUERY_H */
