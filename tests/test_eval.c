/*
 * test_eval.c — the relevance evaluator against figures worked out by hand
 * from trec_eval's definitions (see lib/eval.c).
 */
#include "common.h"

#include "eval.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Query 1 judges d1=3, d2=2, d3=0, d4=1, d9=1 (num_rel 4: d1 d2 d4 d9).
 * Its run, ordered by score: d3 d1 d5 d2 d4 (d5 unjudged; the rank column
 * is deliberately wrong, trec_eval ignores it).
 *   relevant at ranks 2, 4, 5:
 *   AP   = (1/2 + 2/4 + 3/5) / 4 = 1.6 / 4 = 0.4
 *   P@10 = 3/10 = 0.3;  R@100 = 3/4 = 0.75
 *   DCG  = 3/log2(3) + 2/log2(5) + 1/log2(6)
 *        = 1.8927893 + 0.8613531 + 0.3868528 = 3.1409952
 *   IDCG = 3/log2(2) + 2/log2(3) + 1/log2(4) + 1/log2(5)
 *        = 3 + 1.2618595 + 0.5 + 0.4306766 = 5.1925361
 *   nDCG@10 = 0.6049058
 * Query 2 judges d1=1, d2=1; its run has d3 at 2.0 and d1, d2 tied at 1.0:
 * ties go by docid descending, so the order is d3 d2 d1.
 *   AP = (1/2 + 2/3) / 2 = 0.5833333;  P@10 = 0.2;  R@100 = 1
 *   DCG = 1/log2(3) + 1/log2(4) = 1.1309298;  IDCG = 1 + 1/log2(3) = 1.6309298;
 *   nDCG@10 = 0.6934264
 * Query 3 is judged but absent from the run; query 4 is in the run only.
 * Means over queries 1 and 2: MAP 0.4916667, nDCG@10 0.6491661, P@10 0.25,
 * R@100 0.875.  With --complete query 3 counts 0: MAP 0.3277778, P@10 0.1666667.
 */
static const char QRELS[] = "1 0 d1 3\n"
                            "1 0 d2 2\n"
                            "1 0 d3 0\n"
                            "1 0 d4 1\n"
                            "1 0 d9 1\n"
                            "2 0 d1 1\n"
                            "2 0 d2 1\n"
                            "\n"
                            "3 0 d1 1\n";

static const char RUN[] = "1 Q0 d3 1 5.0 t\n"
                          "1 Q0 d1 2 4.0 t\n"
                          "1 Q0 d2 3 2.0 t\n"
                          "1 Q0 d5 4 3.0 t\n"
                          "1 Q0 d4 5 1.0 t\n"
                          "2 Q0 d1 1 1.0 t\n"
                          "2 Q0 d2 2 1.0 t\n"
                          "2 Q0 d3 3 2.0 t\n"
                          "4 Q0 d1 1 9.0 t\n";

#define NEAR(a, b) (fabs((a) - (b)) < 5e-7)

Test(eval, hand_computed_example_per_query)
{
    lede_eval_result *r = NULL;
    char *err = NULL;
    cr_assert_eq(lede_eval_compute(&r, QRELS, strlen(QRELS), RUN, strlen(RUN), 0, &err), LEDE_OK,
                 "%s", err ? err : "");
    cr_assert_eq(r->n, 2);
    cr_assert_eq(r->judged_queries, 3);
    cr_assert_eq(r->run_queries, 3);

    const lede_eval_query *q1 = &r->queries[0], *q2 = &r->queries[1];
    cr_assert_str_eq(q1->qid, "1");
    cr_assert(NEAR(q1->ap, 0.4), "ap %f", q1->ap);
    cr_assert(NEAR(q1->p10, 0.3));
    cr_assert(NEAR(q1->r100, 0.75));
    cr_assert(NEAR(q1->ndcg10, 0.6049058), "ndcg %f", q1->ndcg10);
    cr_assert_eq(q1->num_rel, 4);
    cr_assert_eq(q1->num_ret, 5);
    cr_assert_eq(q1->rel_ret, 3);

    cr_assert_str_eq(q2->qid, "2");
    cr_assert(NEAR(q2->ap, 0.5833333), "ap %f", q2->ap);
    cr_assert(NEAR(q2->p10, 0.2));
    cr_assert(NEAR(q2->r100, 1.0));
    cr_assert(NEAR(q2->ndcg10, 0.6934264), "ndcg %f", q2->ndcg10);
    lede_eval_result_free(r);
}

Test(eval, hand_computed_example_means)
{
    lede_eval_result *r = NULL;
    cr_assert_eq(lede_eval_compute(&r, QRELS, strlen(QRELS), RUN, strlen(RUN), 0, NULL), LEDE_OK);
    cr_assert(NEAR(r->mean.ap, 0.4916667), "map %f", r->mean.ap);
    cr_assert(NEAR(r->mean.ndcg10, 0.6491661), "ndcg %f", r->mean.ndcg10);
    cr_assert(NEAR(r->mean.p10, 0.25));
    cr_assert(NEAR(r->mean.r100, 0.875));
    lede_eval_result_free(r);
}

Test(eval, complete_counts_unanswered_queries_as_zero)
{
    lede_eval_result *r = NULL;
    cr_assert_eq(lede_eval_compute(&r, QRELS, strlen(QRELS), RUN, strlen(RUN), 1, NULL), LEDE_OK);
    cr_assert_eq(r->n, 3);
    cr_assert_str_eq(r->queries[2].qid, "3");
    cr_assert(NEAR(r->queries[2].ap, 0.0));
    cr_assert(NEAR(r->mean.ap, 0.3277778), "map %f", r->mean.ap);
    cr_assert(NEAR(r->mean.p10, 0.1666667));
    lede_eval_result_free(r);
}

Test(eval, only_first_ten_count_for_precision_and_ndcg)
{
    /* Twelve documents, only the 11th and 12th relevant: P@10 and nDCG@10
     * are 0 while AP sees them (1/11 + 2/12) / 2 and R@100 is 1. */
    static const char qrels[] = "7 0 r11 1\n7 0 r12 1\n";
    char run[1024];
    size_t len = 0;
    for (int i = 1; i <= 12; i++) {
        char docid[8];
        snprintf(docid, sizeof docid, i >= 11 ? "r%d" : "n%02d", i);
        len += (size_t)snprintf(run + len, sizeof run - len, "7 Q0 %s %d %d lede\n", docid, i,
                                100 - i);
    }
    lede_eval_result *r = NULL;
    cr_assert_eq(lede_eval_compute(&r, qrels, strlen(qrels), run, len, 0, NULL), LEDE_OK);
    cr_assert(NEAR(r->mean.p10, 0.0));
    cr_assert(NEAR(r->mean.ndcg10, 0.0));
    cr_assert(NEAR(r->mean.ap, (1.0 / 11 + 2.0 / 12) / 2), "ap %f", r->mean.ap);
    cr_assert(NEAR(r->mean.r100, 1.0));
    lede_eval_result_free(r);
}

Test(eval, query_ids_sort_numerically)
{
    static const char qrels[] = "10 0 a 1\n2 0 a 1\n";
    static const char run[] = "10 Q0 a 1 1 x\n2 Q0 b 1 1 x\n";
    lede_eval_result *r = NULL;
    cr_assert_eq(lede_eval_compute(&r, qrels, strlen(qrels), run, strlen(run), 0, NULL), LEDE_OK);
    cr_assert_eq(r->n, 2);
    cr_assert_str_eq(r->queries[0].qid, "2");
    cr_assert_str_eq(r->queries[1].qid, "10");
    cr_assert(NEAR(r->queries[0].ap, 0.0));
    cr_assert(NEAR(r->queries[1].ap, 1.0));
    lede_eval_result_free(r);
}

typedef struct bad_case {
    const char *qrels;
    const char *run;
    const char *message_part;
} bad_case;

Test(eval, malformed_input_names_the_line)
{
    static const bad_case cases[] = {
        {"1 0 a 1\n1 0 b\n", "1 Q0 a 1 1 x\n", "qrels line 2"},
        {"1 0 a 1\n1 0 b x\n", "1 Q0 a 1 1 x\n", "qrels line 2"},
        {"1 0 a 1\n", "1 Q0 a 1 1 x\n\n1 Q0 b 2 abc x\n", "run line 3"},
        {"1 0 a 1\n", "1 Q0 a\n", "run line 1"},
        {"1 0 a 1\n1 0 a 0\n", "1 Q0 a 1 1 x\n", "judged twice"},
        {"1 0 a 1\n", "1 Q0 a 1 1 x\n1 Q0 a 2 0.5 x\n", "retrieved twice"},
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        lede_eval_result *r = (lede_eval_result *)1;
        char *err = NULL;
        int rc = lede_eval_compute(&r, cases[i].qrels, strlen(cases[i].qrels), cases[i].run,
                                   strlen(cases[i].run), 0, &err);
        cr_assert_eq(rc, LEDE_EINVAL, "case %zu", i);
        cr_assert_null(r, "case %zu", i);
        cr_assert_not_null(err, "case %zu", i);
        cr_assert(strstr(err, cases[i].message_part) != NULL, "case %zu: %s", i, err);
        free(err);
    }
}
