/*
 * qparse.h — the query language, parsed into a tree whose leaves are
 * already analysed (folded, stemmed) by the index's analyzer, so a query
 * term is byte for byte what indexing stored.
 *
 * Grammar (AND binds tighter than OR, OR tighter than juxtaposition):
 *
 *   query   := seq EOF
 *   seq     := orexpr*                    juxtaposed clauses, ranked together
 *   orexpr  := andexpr ("OR" andexpr)*
 *   andexpr := clause ("AND" clause)*
 *   clause  := ["+" | "-" | "NOT"] unit
 *   unit    := primary ("NEAR" ["/" n] primary)*
 *   primary := "(" seq ")" | '"' words '"' ["~" n] | word | word"*"
 *            | ("title" | "body" | "name") ":" primary | "date:" range
 *
 * Juxtaposed plain words are optional (OR semantics) unless the caller asks
 * for all of them; "+" requires, "-" and NOT exclude.
 */
#ifndef LEDE_QPARSE_H
#define LEDE_QPARSE_H

#include "common.h"

typedef enum lede_qkind {
    LEDE_Q_TERM = 0,   /**< one term of a field (STEM, WORD or NAME) */
    LEDE_Q_PHRASE = 1, /**< WORD terms at adjacent positions, or within a window */
    LEDE_Q_PREFIX = 2, /**< WORD terms starting with text */
    LEDE_Q_BOOL = 3,   /**< must / should / must-not children */
    LEDE_Q_DATE = 4,   /**< documents whose date lies in [lo, hi) */
} lede_qkind;

/** Where a leaf must occur. */
typedef enum lede_qwhere {
    LEDE_Q_ANYWHERE = 0,
    LEDE_Q_TITLE = 1,
    LEDE_Q_BODY = 2,
} lede_qwhere;

typedef struct lede_qnode lede_qnode;

struct lede_qnode {
    lede_qkind kind;
    size_t pos;        /**< byte offset of the node in the query, for messages */
    /* LEDE_Q_TERM, LEDE_Q_PREFIX */
    int field;         /**< lede_field */
    lede_qwhere where;
    char *text;        /**< term (STEM: the stem; NAME: words joined by one space) */
    size_t len;
    char *word;        /**< STEM: the folded unstemmed word, for suggestions; else NULL */
    int plain;         /**< an unquoted keyword written by itself */
    int capitalized;   /**< plain and written with a capital first letter */
    int split_word;    /**< LEDE_Q_BOOL: the keywords of one written word ("Son-hui") */
    /* LEDE_Q_PHRASE */
    char **words;
    size_t nwords;
    uint32_t slop;     /**< 0: exact phrase; n: NEAR/n or "..."~n */
    int ordered;       /**< non-zero: words must keep their order */
    int name_bonus;    /**< ranking only: a run of capitalised words, or the parts of a
                            written word the analyzer split ("F-16") */
    /* LEDE_Q_BOOL */
    lede_qnode **must, **should, **not;
    size_t nmust, nshould, nnot;
    /* LEDE_Q_DATE: lo inclusive, hi exclusive, NULL = open; ISO strings compare bytewise */
    char *lo, *hi;
    int by_all;        /**< required only because the caller asked for every word (-a) */
};

/** A parse failure: message (static) and byte offset in the query. */
typedef struct lede_qerror {
    const char *msg;
    size_t pos;
} lede_qerror;

/**
 * Parse query with analyzer a.  all: juxtaposed plain clauses are required.
 * On a syntax error returns LEDE_EINVAL, *out NULL and err filled.  The tree
 * is owned by the caller (lede_qnode_free).
 */
int lede_qparse(lede_qnode **out, lede_analyzer *a, const char *query, int all,
                lede_qerror *err);
void lede_qnode_free(lede_qnode *n);

/**
 * Write the tree as an S-expression, for tests and debugging:
 * (or stem:nuclear (and word:kim ...)).  Caller frees.
 */
char *lede_qnode_format(const lede_qnode *n);

#endif /* LEDE_QPARSE_H */
