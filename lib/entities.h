/*
 * entities.h — named-entity spotting over a document's token stream
 * (lib/entities.c).  Internal to liblede; the public forms are
 * lede_analyze_doc and lede_entities_spot in lede/analysis.h.
 */
#ifndef LEDE_ENTITIES_H
#define LEDE_ENTITIES_H

#include "lede/analysis.h"

#include <stddef.h>
#include <stdint.h>

/* One token as the spotter remembers it; the word lives in the arena. */
typedef struct lede_ent_tok {
    uint64_t hash; /* lede_term_hash of the word */
    uint32_t pos;
    uint32_t start;
    uint32_t end;
    uint32_t flags;
    uint32_t sep;  /* LEDE_SEP_* before the token */
    uint32_t woff; /* word offset in the arena */
    uint32_t wlen;
} lede_ent_tok;

typedef struct lede_ent_slot {
    uint64_t hash; /* 0 = empty */
    unsigned bits; /* SEEN_* in lib/entities.c */
} lede_ent_slot;

/* One word of the spotter's lexicons (titles, connectors, ...), found by
 * the token's hash. */
typedef struct lede_ent_lex {
    uint64_t hash; /* 0 = empty */
    const char *word;
    unsigned kinds; /* LEX_* in lib/entities.c */
} lede_ent_lex;

/* The spotter's working memory, reused from document to document. */
typedef struct lede_ent_spotter {
    lede_ent_tok *toks;
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
    lede_ent_slot *seen;
    size_t seen_cap;
    lede_ent_lex *lex; /* built on first use; LEX_SLOTS entries */
    int oom; /* an allocation failed while collecting; finish reports it */
} lede_ent_spotter;

/* Forget the tokens of the last document (memory is kept). */
void lede_entities_reset(lede_ent_spotter *sp);
/* Remember one token of the document (sep: LEDE_SEP_* before it). */
void lede_entities_add(lede_ent_spotter *sp, const lede_token *tok, unsigned sep,
                       uint64_t hash);
/* Spot the entities among the remembered tokens and append them to out. */
int lede_entities_finish(lede_ent_spotter *sp, lede_entity_list *out);
/* Release the working memory. */
void lede_entities_release(lede_ent_spotter *sp);

#endif /* LEDE_ENTITIES_H */
