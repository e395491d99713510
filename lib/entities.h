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
#include <string.h>

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

/* A slot of the seen-word table; it is empty unless gen is the spotter's
 * current generation, so the table is never cleared between documents. */
typedef struct lede_ent_slot {
    uint64_t hash;
    uint32_t bits; /* SEEN_* in lib/entities.c */
    uint32_t gen;
} lede_ent_slot;

/* One word of the spotter's lexicons (titles, connectors, ...), found by
 * the token's hash. */
typedef struct lede_ent_lex {
    uint64_t hash; /* 0 = empty */
    const char *word;
    uint32_t len;   /* strlen(word) */
    unsigned kinds; /* LEX_* in lib/entities.c */
} lede_ent_lex;

/* The spotter's working memory, reused from document to document. */
typedef struct lede_ent_spotter {
    lede_ent_tok *toks;
    size_t n, cap;
    uint32_t *caps;   /* indexes in toks of the capitalised tokens (cap entries) */
    size_t ncaps;
    size_t n_allcaps; /* tokens flagged ALLCAPS */
    size_t n_lower;   /* lower-case words (not capitalised, numeric or CJK) */
    char *arena;
    size_t arena_len, arena_cap;
    lede_ent_slot *seen;
    size_t seen_cap;   /* slots in use for this document (a power of two) */
    size_t seen_alloc; /* slots allocated (the largest document so far) */
    uint32_t seen_gen; /* generation of this document's slots (never 0) */
    lede_ent_lex *lex; /* built on first use; LEX_SLOTS entries */
    uint64_t lex_filter[64]; /* bit (hash >> 52) set for each lexicon word */
    int oom; /* an allocation failed while collecting; finish reports it */
} lede_ent_spotter;

/* Forget the tokens of the last document (memory is kept). */
void lede_entities_reset(lede_ent_spotter *sp);
/* Bytes of slack kept after the arena's last word: lede_entities_add
 * copies short words 16 bytes at a time. */
#define LEDE_ENT_SLACK 16

/* Make room for one more token and word_len bytes of word (with the
 * slack); on failure mark the spotter out of memory.  Non-zero on failure. */
int lede_entities_grow(lede_ent_spotter *sp, size_t word_len);

/*
 * Remember one token of the document (sep: LEDE_SEP_* before it).  Inline:
 * it runs for every token.  tok->word must be the tokenizer's buffer, which
 * is readable for 16 bytes past any word it holds (see lib/tokenize.c).
 */
static inline void lede_entities_add(lede_ent_spotter *sp, const lede_token *tok, unsigned sep,
                                     uint64_t hash)
{
    size_t wlen = tok->word_len;
    if (sp->n == sp->cap || sp->arena_cap - sp->arena_len < wlen + LEDE_ENT_SLACK || sp->oom) {
        if (lede_entities_grow(sp, wlen) != 0)
            return;
    }
    /* Locals: the word copy below is a char store, which the compiler
     * must assume may change any field of sp. */
    size_t n = sp->n, ncaps = sp->ncaps, arena_len = sp->arena_len;
    char *dst = sp->arena + arena_len;
    uint32_t flags = tok->flags;
    /* Counted and listed here, without branches, so that finishing the
     * document does not walk every token again testing flags (each test a
     * branch the CPU cannot predict): the capitalised token's index is
     * always written and kept only when the token is capitalised. */
    unsigned cap = ((flags & (LEDE_TOKEN_CAPITALIZED | LEDE_TOKEN_ALLCAPS)) != 0) &
                   ((flags & LEDE_TOKEN_CJK) == 0);
    sp->caps[ncaps] = (uint32_t)n;
    sp->ncaps = ncaps + cap;
    sp->n_allcaps += (flags & LEDE_TOKEN_ALLCAPS) != 0;
    sp->n_lower += (flags & (LEDE_TOKEN_CAPITALIZED | LEDE_TOKEN_ALLCAPS | LEDE_TOKEN_NUMERIC |
                             LEDE_TOKEN_CJK)) == 0;
    lede_ent_tok *t = &sp->toks[n];
    sp->n = n + 1;
    sp->arena_len = arena_len + wlen;
    t->hash = hash;
    t->pos = tok->pos;
    t->start = tok->start;
    t->end = tok->end;
    t->flags = flags;
    t->sep = sep;
    t->woff = (uint32_t)arena_len;
    t->wlen = (uint32_t)wlen;
    if (wlen <= 16)
        memcpy(dst, tok->word, 16);
    else
        memcpy(dst, tok->word, wlen);
}
/* Spot the entities among the remembered tokens and append them to out. */
int lede_entities_finish(lede_ent_spotter *sp, lede_entity_list *out);
/* Release the working memory. */
void lede_entities_release(lede_ent_spotter *sp);

#endif /* LEDE_ENTITIES_H */
