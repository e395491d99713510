/*
 * test_bm25.c — the BM25 formula against values worked out by hand, its
 * bound, and the top-k heap (kept items, order, ties).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bm25.h"
#include "search.h"
#include "topk.h"

Test(bm25, idf_matches_hand_computed_values)
{
    lede_bm25 p;
    lede_bm25_init(&p, 1.2, 0.75, 1000, 100000, LEDE_IDF_PLUS1);
    /* ln(1 + (1000 - 10 + 0.5) / 10.5) = ln(1 + 94.333...) = 4.5574... */
    cr_expect_float_eq(lede_bm25_idf(&p, 10), log(1.0 + 990.5 / 10.5), 1e-12);
    cr_expect_float_eq(lede_bm25_idf(&p, 10), 4.557380, 1e-6);
    lede_bm25_init(&p, 1.2, 0.75, 1000, 100000, LEDE_IDF_ROBERTSON);
    cr_expect_float_eq(lede_bm25_idf(&p, 10), log(990.5 / 10.5), 1e-12);
    /* A term in most documents has a negative Robertson idf: floored near zero. */
    cr_expect_float_eq(lede_bm25_idf(&p, 900), 1e-6, 1e-12);
}

Test(bm25, weight_matches_hand_computed_values)
{
    lede_bm25 p;
    lede_bm25_init(&p, 1.2, 0.75, 4, 400, LEDE_IDF_PLUS1); /* avglen 100 */
    /* K = 1.2 * (1 - 0.75 + 0.75 * 50/100) = 1.2 * 0.625 = 0.75 */
    cr_expect_float_eq(lede_bm25_norm(&p, 50), 0.75, 1e-12);
    /* idf 2, tf 3: 2 * 3 * 2.2 / (3 + 0.75) = 13.2 / 3.75 = 3.52 */
    cr_expect_float_eq(lede_bm25_weight(&p, 2.0, 3.0, 0.75), 3.52, 1e-12);
    cr_expect_float_eq(lede_bm25_weight(&p, 2.0, 0.0, 0.75), 0.0, 1e-12);
    /* b = 0: length does not matter. */
    lede_bm25_init(&p, 1.2, 0.0, 4, 400, LEDE_IDF_PLUS1);
    cr_expect_float_eq(lede_bm25_norm(&p, 5000), 1.2, 1e-12);
}

Test(bm25, bound_is_never_below_a_weight_it_covers)
{
    lede_bm25 p;
    lede_bm25_init(&p, 1.2, 0.75, 5000, 600000, LEDE_IDF_ROBERTSON);
    for (uint32_t max_tf = 1; max_tf < 40; max_tf += 3)
        for (uint32_t min_len = 1; min_len < 2000; min_len += 97) {
            double idf = lede_bm25_idf(&p, 1 + max_tf * 7);
            double bound = lede_bm25_bound(&p, idf, max_tf, min_len);
            for (uint32_t tf = 1; tf <= max_tf; tf += 2)
                for (uint32_t len = min_len; len < min_len + 3000; len += 211)
                    cr_assert_geq(bound, lede_bm25_weight(&p, idf, tf, lede_bm25_norm(&p, len)));
        }
}

Test(topk, keeps_the_best_k_in_order_with_ties_to_the_lower_docid)
{
    lede_topk t;
    cr_assert_eq(lede_topk_init(&t, 3), LEDE_OK);
    cr_expect(isinf(lede_topk_threshold(&t)));
    static const struct {
        uint32_t docid;
        double score;
    } in[] = {{1, 1.0}, {2, 5.0}, {3, 3.0}, {4, 5.0}, {5, 0.5}, {6, 4.0}, {7, 3.0}};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
        lede_topk_push(&t, in[i].docid, in[i].score);
    cr_expect_float_eq(lede_topk_threshold(&t), 4.0, 1e-12);
    /* An equal score with a higher doc id does not enter. */
    cr_expect_eq(lede_topk_push(&t, 9, 4.0), 0);
    lede_topk_sort(&t);
    cr_assert_eq(t.n, 3);
    cr_expect_eq(t.items[0].docid, 2);
    cr_expect_eq(t.items[1].docid, 4);
    cr_expect_eq(t.items[2].docid, 6);
    lede_topk_clear(&t);
}

Test(topk, matches_a_full_sort_on_random_input)
{
    srand(7);
    for (int round = 0; round < 50; round++) {
        size_t k = 1 + (size_t)(rand() % 20), n = (size_t)(rand() % 300);
        lede_topk t;
        cr_assert_eq(lede_topk_init(&t, k), LEDE_OK);
        double *scores = malloc((n + 1) * sizeof *scores);
        for (size_t i = 0; i < n; i++) {
            scores[i] = (double)(rand() % 50); /* many ties */
            lede_topk_push(&t, (uint32_t)i, scores[i]);
        }
        lede_topk_sort(&t);
        cr_assert_eq(t.n, n < k ? n : k);
        /* Reference: selection by repeated scan. */
        char *taken = calloc(n + 1, 1);
        for (size_t r = 0; r < t.n; r++) {
            size_t best = n;
            for (size_t i = 0; i < n; i++)
                if (!taken[i] && (best == n || scores[i] > scores[best]))
                    best = i;
            taken[best] = 1;
            cr_assert_eq(t.items[r].docid, best, "round %d rank %zu", round, r);
        }
        free(taken);
        free(scores);
        lede_topk_clear(&t);
    }
}

Test(search, edit_distance_counts_transpositions_as_one)
{
    static const struct {
        const char *a, *b;
        unsigned d;
    } cases[] = {{"nuclear", "nucelar", 1}, {"korea", "korean", 1}, {"kim", "kim", 0},
                 {"putin", "puttin", 1},     {"abc", "xyz", 3},       {"sanction", "snaction", 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(lede_search_edit_distance(cases[i].a, strlen(cases[i].a), cases[i].b,
                                               strlen(cases[i].b), 3),
                     cases[i].d, "%s %s", cases[i].a, cases[i].b);
    cr_expect_eq(lede_search_edit_distance("abcdef", 6, "uvwxyz", 6, 2), 3);
}
