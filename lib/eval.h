/*
 * eval.h — relevance evaluation with trec_eval's definitions: MAP, nDCG@10,
 * P@10 and Recall@100 of a TREC run against TREC qrels.
 *
 * Owner: lib/eval.c.  Used by bench/tool_eval.c (lede-eval) and tests; the
 * engine itself never calls it.
 */
#ifndef LEDE_EVAL_H
#define LEDE_EVAL_H

#include <stddef.h>
#include <stdint.h>

/** Figures for one query (or, in lede_eval_result.mean, their mean). */
typedef struct lede_eval_query {
    char *qid;        /**< owned by the result; NULL in the mean */
    double ap;        /**< average precision (its mean is MAP) */
    double ndcg10;    /**< nDCG@10, linear gain, log2(rank + 1) discount */
    double p10;       /**< precision at 10 */
    double r100;      /**< recall at 100 */
    uint32_t num_ret; /**< documents retrieved */
    uint32_t num_rel; /**< relevant documents judged (rel >= 1) */
    uint32_t rel_ret; /**< relevant documents retrieved */
} lede_eval_query;

typedef struct lede_eval_result {
    lede_eval_query *queries; /**< one per evaluated query, in qid order (numeric when both are numbers) */
    size_t n;
    lede_eval_query mean;     /**< means over the evaluated queries; counts are sums */
    size_t judged_queries;    /**< queries in the qrels */
    size_t run_queries;       /**< queries in the run */
} lede_eval_result;

/**
 * Evaluate run against qrels, both given as text.
 *
 * qrels lines: "qid iter docid rel"; rel >= 1 is relevant and is the gain of
 * nDCG; rel <= 0 is judged non-relevant.  run lines: "qid Q0 docid rank score
 * tag"; as in trec_eval the rank column is ignored and documents are ordered
 * by score descending, ties broken by docid descending (strcmp); a document
 * repeated within a query is an error.  Blank lines and lines starting with
 * '#' are skipped.
 *
 * Queries evaluated: those present in both (trec_eval's default), or with
 * complete non-zero every query of the qrels, a query absent from the run
 * scoring 0 (trec_eval -c).
 *
 * On a malformed line returns LEDE_EINVAL and, when errmsg is not NULL, a
 * message naming the input ("qrels" or "run") and the line number in *errmsg
 * (caller frees).  *out owned by the caller: lede_eval_result_free.
 */
int lede_eval_compute(lede_eval_result **out, const char *qrels, size_t qrels_len,
                      const char *run, size_t run_len, int complete, char **errmsg);
void lede_eval_result_free(lede_eval_result *r);

/**
 * Read a whole file into a NUL-terminated buffer (caller frees).  "-" is
 * stdin.  Returns LEDE_EIO (errno kept) when it cannot be read.
 */
int lede_eval_read_file(char **out, size_t *len_out, const char *path);

#endif /* LEDE_EVAL_H */
