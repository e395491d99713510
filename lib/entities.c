/*
 * entities.c — named-entity spotting: runs of capitalised words become
 * folded, unstemmed names ("kim jong un") with the token range they cover.
 *
 * Owns: the entity rules and the lede_entity_list type.  It must not
 * tokenize (it reads the tokens lib/tokenize.c made, remembered by
 * lib/analyzer.c) and must not stem: names are matched unstemmed.
 *
 * The rules, each a cheap answer to a real mistake:
 *   - A name is a run of capitalised tokens with no punctuation between
 *     them.  Inside a run, a hyphen or slash continues it whatever the case
 *     ("Son-hui", "al-Assad"), and a few lower-case connectors continue it
 *     when a capitalised word follows ("Ministry of Foreign Affairs",
 *     "Ludwig van Beethoven").  Initials with a dot do not break it
 *     ("George W. Bush"; see the sentence rule in lib/tokenize.c).
 *   - A possessive ends a name ("Kim Jong Un’s visit" → kim jong un).
 *   - Titles and roles in front of a name are not part of it: the run is cut
 *     after its last title word ("Chinese Foreign Minister Wang Yi" →
 *     wang yi; "Secretary-General" counts as a title).
 *   - Leading stop words are dropped ("During Xi’s visit" → xi), and so is a
 *     sentence-initial word the document also uses in lower case.
 *   - A single word that is capitalised only because it starts a sentence is
 *     a name only if the document also capitalises it mid-sentence (or it is
 *     an acronym such as KCNA).
 *   - Text that is mostly upper case carries no capitalisation signal: no
 *     entities are spotted in it.
 */
#include "common.h"

#include "analyzer.h"
#include "entities.h"
#include "stem.h"
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_MIDCAP 1u /* capitalised somewhere other than a sentence start */
#define SEEN_LOWER 2u  /* written in lower case somewhere */
#define RUN_MAX 12     /* longer capitalised runs are headlines, not names */
#define LEX_SLOTS 1024 /* power of two, over twice the lexicon words */

/* What a word is to the spotter (bit set). */
enum {
    LEX_TITLE = 1,     /* a title or role in front of a name */
    LEX_CONNECTOR = 2, /* a lower-case word inside names ("of", "van") */
    LEX_OPENER = 4,    /* opens sentences before names ("Yesterday") */
    LEX_STOP = 8,      /* an English stop word */
};

/* The lexicons.  Each is short and looked up through one hash table built
 * per spotter (lex_build), so a word costs one probe, not a string search. */
static const char *const connectors[] = {
    "al", "ben", "bin", "bint", "da", "das", "de", "del", "della", "den", "der", "di",
    "do", "dos", "du", "el", "ibn", "la", "le", "of", "ter", "van", "von", "y", "zu",
};

static const char *const titles[] = {
    "adm", "admiral", "ambassador", "archbishop", "bishop", "capt", "captain",
    "cardinal", "ceo", "chairman", "chairmen", "chairperson", "chairwoman",
    "chancellor", "chief", "col", "colonel", "commissioner", "congressman",
    "congresswoman", "dame", "director", "dr", "emir", "envoy", "father", "gen", "gov",
    "governor", "judge", "king", "lady", "leader", "leaders", "lieutenant", "lord",
    "lt", "maj", "major", "marshal", "mayor", "minister", "ministers", "mr", "mrs",
    "ms", "pope", "premier", "president", "presidents", "prince", "princess", "prof",
    "professor", "queen", "rep", "representative", "rev", "reverend", "saint",
    "secretary", "sen", "senator", "sergeant", "sgt", "sheikh", "sheriff", "sir",
    "spokesman", "spokesperson", "spokeswoman", "st", "sultan", "vice",
};

/* Words that often open a sentence before a name ("Yesterday Kim Jong Un
 * said"); at a sentence start they are never part of the name. */
static const char *const openers[] = {
    "according", "also", "although", "amid", "among", "and", "as", "but", "despite",
    "earlier", "elsewhere", "finally", "following", "furthermore", "however", "if",
    "indeed", "instead", "last", "later", "like", "maybe", "meanwhile", "moreover",
    "nevertheless", "next", "now", "or", "overnight", "perhaps", "said", "says",
    "separately", "since", "so", "still", "then", "therefore", "though", "thus",
    "today", "tomorrow", "tonight", "unlike", "when", "while", "yesterday", "yet",
};

static void lex_add(lede_ent_spotter *sp, const char *w, unsigned kind)
{
    lede_ent_lex *lex = sp->lex;
    size_t len = strlen(w);
    uint64_t h = lede_term_hash(w, len);
    sp->lex_filter[h >> 58] |= 1ull << ((h >> 52) & 63);
    size_t k = (size_t)h & (LEX_SLOTS - 1);
    while (lex[k].hash != 0 && !(lex[k].hash == h && strcmp(lex[k].word, w) == 0))
        k = (k + 1) & (LEX_SLOTS - 1);
    lex[k].hash = h;
    lex[k].word = w;
    lex[k].len = (uint32_t)len;
    lex[k].kinds |= kind;
}

static int lex_build(lede_ent_spotter *sp)
{
    size_t nstop;
    const char *const *stop = lede_stopword_list(&nstop);
    sp->lex = calloc(LEX_SLOTS, sizeof(*sp->lex));
    if (sp->lex == NULL)
        return LEDE_ENOMEM;
    for (size_t k = 0; k < ARRAY_SIZE(titles); k++)
        lex_add(sp, titles[k], LEX_TITLE);
    for (size_t k = 0; k < ARRAY_SIZE(connectors); k++)
        lex_add(sp, connectors[k], LEX_CONNECTOR);
    for (size_t k = 0; k < ARRAY_SIZE(openers); k++)
        lex_add(sp, openers[k], LEX_OPENER);
    for (size_t k = 0; k < nstop; k++)
        lex_add(sp, stop[k], LEX_STOP);
    return LEDE_OK;
}

static const char *tok_word(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    return sp->arena + t->woff;
}

/* LEX_* bits of token t's word. */
static unsigned lex_kinds(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    /* Most words are in no lexicon: a 4096-bit filter answers for them
     * without probing the table (whose probe loop mispredicts). */
    if (!((sp->lex_filter[t->hash >> 58] >> ((t->hash >> 52) & 63)) & 1))
        return 0;
    size_t k = (size_t)t->hash & (LEX_SLOTS - 1);
    const char *w = tok_word(sp, t);
    for (; sp->lex[k].hash != 0; k = (k + 1) & (LEX_SLOTS - 1)) {
        const lede_ent_lex *l = &sp->lex[k];
        if (l->hash == t->hash && l->len == t->wlen) {
            /* Lexicon words are short: compare inline, not through memcmp. */
            size_t i = 0;
            while (i < t->wlen && l->word[i] == w[i])
                i++;
            if (i == t->wlen)
                return l->kinds;
        }
    }
    return 0;
}

static int is_title(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    return (lex_kinds(sp, t) & LEX_TITLE) != 0;
}

static int is_connector(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    return (lex_kinds(sp, t) & LEX_CONNECTOR) != 0;
}

static int is_opener(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    const char *w = tok_word(sp, t);
    if (t->wlen > 2 && w[t->wlen - 2] == 'l' && w[t->wlen - 1] == 'y')
        return 1; /* "Recently", "Reportedly" */
    return (lex_kinds(sp, t) & LEX_OPENER) != 0;
}

static lede_ent_slot *seen_slot(lede_ent_spotter *sp, uint64_t h)
{
    size_t mask = sp->seen_cap - 1;
    size_t k = (size_t)h & mask;
    while (sp->seen[k].gen == sp->seen_gen && sp->seen[k].hash != h)
        k = (k + 1) & mask;
    return &sp->seen[k];
}

static unsigned seen_bits(lede_ent_spotter *sp, const lede_ent_tok *t)
{
    lede_ent_slot *s = seen_slot(sp, t->hash);
    return s->gen == sp->seen_gen ? s->bits : 0;
}

void lede_entities_reset(lede_ent_spotter *sp)
{
    sp->n = 0;
    sp->ncaps = 0;
    sp->n_allcaps = 0;
    sp->n_lower = 0;
    sp->arena_len = 0;
    sp->oom = 0;
    if (sp->lex == NULL && lex_build(sp) != LEDE_OK)
        sp->oom = 1;
}

int lede_entities_grow(lede_ent_spotter *sp, size_t word_len)
{
    if (sp->oom)
        return -1;
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 256;
        if (cap > UINT32_MAX) {
            sp->oom = 1; /* token indexes in caps are 32-bit */
            return -1;
        }
        lede_ent_tok *t = realloc(sp->toks, cap * sizeof(*t));
        if (t == NULL) {
            sp->oom = 1;
            return -1;
        }
        sp->toks = t;
        uint32_t *c = realloc(sp->caps, cap * sizeof(*c));
        if (c == NULL) {
            sp->oom = 1;
            return -1;
        }
        sp->caps = c;
        sp->cap = cap;
    }
    size_t need = sp->arena_len + word_len + LEDE_ENT_SLACK;
    if (need > sp->arena_cap) {
        size_t cap = sp->arena_cap ? sp->arena_cap : 4096;
        while (cap < need)
            cap *= 2;
        /* Word offsets are 32-bit: an arena that never exceeds 4 GiB keeps
         * every offset the inline add writes in range. */
        if (cap > (size_t)UINT32_MAX) {
            sp->oom = 1;
            return -1;
        }
        char *a = realloc(sp->arena, cap);
        if (a == NULL) {
            sp->oom = 1;
            return -1;
        }
        sp->arena = a;
        sp->arena_cap = cap;
    }
    return 0;
}

void lede_entities_release(lede_ent_spotter *sp)
{
    free(sp->toks);
    free(sp->caps);
    free(sp->arena);
    free(sp->seen);
    free(sp->lex);
    memset(sp, 0, sizeof(*sp));
}

/* Names live in blocks chained from the list, so spotting a document costs
 * a couple of allocations rather than one per name; a name never moves once
 * written (later blocks are new allocations, not reallocations). */
struct lede_entity_chunk {
    struct lede_entity_chunk *next;
    size_t used, cap;
    char data[];
};

#define NAME_CHUNK 4096

static char *name_alloc(lede_entity_list *list, size_t len)
{
    struct lede_entity_chunk *c = list->chunks;
    if (c == NULL || c->cap - c->used < len) {
        size_t cap = len > NAME_CHUNK ? len : NAME_CHUNK;
        struct lede_entity_chunk *nc = malloc(sizeof(*nc) + cap);
        if (nc == NULL)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        list->chunks = nc;
        c = nc;
    }
    char *p = c->data + c->used;
    c->used += len;
    return p;
}

void lede_entity_list_clear(lede_entity_list *list)
{
    if (list == NULL)
        return;
    for (struct lede_entity_chunk *c = list->chunks, *next; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(list->items);
    list->items = NULL;
    list->chunks = NULL;
    list->n = 0;
    list->cap = 0;
}

void lede_entity_list_reset(lede_entity_list *list)
{
    if (list == NULL)
        return;
    struct lede_entity_chunk *keep = list->chunks;
    if (keep != NULL) {
        for (struct lede_entity_chunk *c = keep->next, *next; c != NULL; c = next) {
            next = c->next;
            free(c);
        }
        keep->next = NULL;
        keep->used = 0;
    }
    list->n = 0;
}

/* Room for one more entity in list and for its name of name_len bytes (NUL
 * included); returns where the name goes, or NULL without memory. */
static char *entity_room(lede_entity_list *list, size_t name_len)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        lede_entity *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return NULL;
        list->items = items;
        list->cap = cap;
    }
    return name_alloc(list, name_len);
}

int lede_entity_list_push(lede_entity_list *list, const char *name, size_t len,
                          uint32_t first_pos, uint32_t last_pos, uint32_t start, uint32_t end)
{
    char *copy = entity_room(list, len + 1);
    if (copy == NULL)
        return LEDE_ENOMEM;
    memcpy(copy, name, len);
    copy[len] = '\0';
    lede_entity *e = &list->items[list->n++];
    e->name = copy;
    e->name_len = len;
    e->first_pos = first_pos;
    e->last_pos = last_pos;
    e->start = start;
    e->end = end;
    return LEDE_OK;
}

static int is_cap(const lede_ent_tok *t)
{
    return (t->flags & (LEDE_TOKEN_CAPITALIZED | LEDE_TOKEN_ALLCAPS)) &&
           !(t->flags & LEDE_TOKEN_CJK);
}

static int is_lower_word(const lede_ent_tok *t)
{
    return !(t->flags & (LEDE_TOKEN_CAPITALIZED | LEDE_TOKEN_ALLCAPS | LEDE_TOKEN_NUMERIC |
                         LEDE_TOKEN_CJK));
}

/* The questions take_run asks of the seen-word table are about words that
 * start a sentence capitalised (is this word also capitalised mid-sentence,
 * or written in lower case, somewhere in the document?). */
static int is_query(const lede_ent_tok *t)
{
    return (t->flags & LEDE_TOKEN_SENTENCE_START) && is_cap(t);
}

/* Build the seen-word table: for each word that may be asked about (nq of
 * them, see is_query), whether it is capitalised mid-sentence and whether
 * it is written in lower case somewhere in the document.  The table holds
 * only those words, so it is small (eight slots per sentence start) and the pass
 * over the document's tokens probes a table that stays in the L1 cache;
 * a table of every word of the document cost a cache miss per token.  It is
 * never cleared: a slot is in use only when it carries this document's
 * generation.  (Clearing a whole table for every short wire story once cost
 * a third of all analysis instructions.) */
static int build_seen(lede_ent_spotter *sp, size_t nq)
{
    size_t need = 64;
    while (need < nq * 8)
        need *= 2; /* sparse, so a probe nearly always ends at once */
    if (need > sp->seen_alloc) {
        free(sp->seen);
        sp->seen = calloc(need, sizeof(*sp->seen));
        sp->seen_alloc = sp->seen != NULL ? need : 0;
        sp->seen_cap = 0;
        sp->seen_gen = 0;
        if (sp->seen == NULL)
            return LEDE_ENOMEM;
    }
    if (++sp->seen_gen == 0) {
        /* 2^32 documents later: start the generations again. */
        memset(sp->seen, 0, sp->seen_alloc * sizeof(*sp->seen));
        sp->seen_gen = 1;
    }
    sp->seen_cap = need;
    if (nq == 0)
        return LEDE_OK;
    /* A 1024-bit filter of the asked words' hashes (high bits; the table
     * uses the low ones) lets the pass below skip nearly every other word
     * without probing the table, whose probe loop mispredicts. */
    uint64_t filter[16] = {0};
    for (size_t c = 0; c < sp->ncaps; c++) {
        const lede_ent_tok *t = &sp->toks[sp->caps[c]];
        if (!is_query(t))
            continue;
        unsigned f = (unsigned)(t->hash >> 54);
        filter[f >> 6] |= 1ull << (f & 63);
        lede_ent_slot *s = seen_slot(sp, t->hash);
        if (s->gen != sp->seen_gen) {
            s->hash = t->hash;
            s->gen = sp->seen_gen;
            s->bits = 0;
        }
    }
    for (size_t k = 0; k < sp->n; k++) {
        const lede_ent_tok *t = &sp->toks[k];
        unsigned f = (unsigned)(t->hash >> 54);
        if (!((filter[f >> 6] >> (f & 63)) & 1))
            continue;
        unsigned bits = 0;
        if (is_cap(t) && !(t->flags & LEDE_TOKEN_SENTENCE_START))
            bits = SEEN_MIDCAP;
        else if (is_lower_word(t))
            bits = SEEN_LOWER;
        if (bits == 0)
            continue;
        lede_ent_slot *s = seen_slot(sp, t->hash);
        if (s->gen == sp->seen_gen)
            s->bits |= bits; /* a word asked about */
    }
    return LEDE_OK;
}

static int push_entity(lede_ent_spotter *sp, size_t a, size_t b, lede_entity_list *out)
{
    size_t len = 0;
    for (size_t k = a; k <= b; k++)
        len += sp->toks[k].wlen + (k > a);
    char *name = entity_room(out, len + 1);
    if (name == NULL)
        return LEDE_ENOMEM;
    size_t o = 0;
    for (size_t k = a; k <= b; k++) {
        if (k > a)
            name[o++] = ' ';
        memcpy(name + o, tok_word(sp, &sp->toks[k]), sp->toks[k].wlen);
        o += sp->toks[k].wlen;
    }
    name[o] = '\0';
    lede_entity *e = &out->items[out->n++];
    e->name = name;
    e->name_len = o;
    e->first_pos = sp->toks[a].pos;
    e->last_pos = sp->toks[b].pos;
    e->start = sp->toks[a].start;
    e->end = sp->toks[b].end;
    return LEDE_OK;
}

/* The run toks[a..b] is a capitalised run; trim it to the name and add it. */
static int take_run(lede_ent_spotter *sp, size_t a, size_t b, lede_entity_list *out)
{
    const lede_ent_tok *t = sp->toks;
    /* Titles: cut after the last title word that has a name after it; a
     * joined word after a title ("Secretary-General") is part of the title. */
    size_t cut = SIZE_MAX;
    int prev_title = 0;
    for (size_t k = a; k <= b; k++) {
        int title = is_title(sp, &t[k]) ||
                    (prev_title && (t[k].flags & LEDE_TOKEN_JOINED));
        if (title && k < b)
            cut = k;
        prev_title = title;
    }
    if (cut != SIZE_MAX)
        a = cut + 1;
    while (b > a && is_title(sp, &t[b]))
        b--;
    if (a == b && is_title(sp, &t[a]))
        return LEDE_OK; /* a title with no name after it */
    /* Leading stop words and connectors, and a sentence-initial word the
     * document also writes in lower case ("Meanwhile", "Yesterday"). */
    while (a <= b) {
        if ((lex_kinds(sp, &t[a]) & (LEX_STOP | LEX_CONNECTOR)) || !is_cap(&t[a]) ||
            ((t[a].flags & LEDE_TOKEN_SENTENCE_START) &&
             ((seen_bits(sp, &t[a]) & SEEN_LOWER) ||
              (is_opener(sp, &t[a]) && !(seen_bits(sp, &t[a]) & SEEN_MIDCAP)))))
            a++;
        else
            break;
    }
    if (a > b)
        return LEDE_OK;
    if (a == b) {
        const lede_ent_tok *only = &t[a];
        if (only->wlen < 2)
            return LEDE_OK; /* "I", "A", a stray initial */
        if ((only->flags & LEDE_TOKEN_SENTENCE_START) && !(only->flags & LEDE_TOKEN_ALLCAPS) &&
            !(seen_bits(sp, only) & SEEN_MIDCAP))
            return LEDE_OK;
    }
    return push_entity(sp, a, b, out);
}

int lede_entities_finish(lede_ent_spotter *sp, lede_entity_list *out)
{
    int rc = LEDE_OK;
    const lede_ent_tok *t = sp->toks;
    size_t n_allcaps = sp->n_allcaps, n_lower = sp->n_lower, nq = 0;

    if (sp->oom) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if (n_allcaps * 2 > n_allcaps + n_lower)
        goto cleanup; /* mostly upper case: capitals say nothing */
    for (size_t c = 0; c < sp->ncaps; c++)
        nq += is_query(&t[sp->caps[c]]);
    rc = build_seen(sp, nq);
    if (rc != LEDE_OK)
        goto cleanup;

    /* Runs start at capitalised tokens: walk their list, not every token. */
    size_t k = 0;
    for (size_t c = 0; c < sp->ncaps; c++) {
        if (sp->caps[c] < k)
            continue; /* inside the last run */
        size_t a = sp->caps[c], b = a;
        while (b + 1 < sp->n && b - a + 1 < RUN_MAX && !(t[b].flags & LEDE_TOKEN_POSSESSIVE)) {
            const lede_ent_tok *nx = &t[b + 1];
            if (nx->sep != 0 || nx->pos != t[b].pos + 1)
                break;
            if (is_cap(nx) || (nx->flags & LEDE_TOKEN_JOINED)) {
                b++;
                continue;
            }
            /* A connector continues the name only before a capitalised word. */
            if (b + 2 < sp->n && is_connector(sp, nx) &&
                t[b + 2].sep == 0 && is_cap(&t[b + 2]) && !(t[b + 2].flags & LEDE_TOKEN_JOINED)) {
                b += 2;
                continue;
            }
            break;
        }
        rc = take_run(sp, a, b, out);
        if (rc != LEDE_OK)
            goto cleanup;
        k = b + 1;
    }
cleanup:
    return rc;
}
