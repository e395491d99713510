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

#include "entities.h"
#include "stem.h"
#include "tokenize.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_MIDCAP 1u /* capitalised somewhere other than a sentence start */
#define SEEN_LOWER 2u  /* written in lower case somewhere */
#define RUN_MAX 12     /* longer capitalised runs are headlines, not names */

/* Binary search of w[0..len) in a list sorted by strcmp (the lexicons
 * below are kept sorted; this runs for every word of every capitalised run). */
static int in_list(const char *const *list, size_t n, const char *w, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strncmp(list[mid], w, len);
        if (c == 0 && list[mid][len] != '\0')
            c = 1;
        if (c == 0)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

static int is_connector(const char *w, size_t len)
{
    static const char *const connectors[] = {
        "al", "ben", "bin", "bint", "da", "das", "de", "del", "della", "den", "der", "di",
        "do", "dos", "du", "el", "ibn", "la", "le", "of", "ter", "van", "von", "y", "zu",
    };
    return in_list(connectors, ARRAY_SIZE(connectors), w, len);
}

static int is_title(const char *w, size_t len)
{
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
    return in_list(titles, ARRAY_SIZE(titles), w, len);
}

/* Words that often open a sentence before a name ("Yesterday Kim Jong Un
 * said"); at a sentence start they are never part of the name. */
static int is_opener(const char *w, size_t len)
{
    static const char *const openers[] = {
        "according", "also", "although", "amid", "among", "and", "as", "but", "despite",
        "earlier", "elsewhere", "finally", "following", "furthermore", "however", "if",
        "indeed", "instead", "last", "later", "like", "maybe", "meanwhile", "moreover",
        "nevertheless", "next", "now", "or", "overnight", "perhaps", "said", "says",
        "separately", "since", "so", "still", "then", "therefore", "though", "thus",
        "today", "tomorrow", "tonight", "unlike", "when", "while", "yesterday", "yet",
    };
    if (len > 2 && w[len - 2] == 'l' && w[len - 1] == 'y')
        return 1; /* "Recently", "Reportedly" */
    return in_list(openers, ARRAY_SIZE(openers), w, len);
}

static const char *tok_word(const lede_ent_spotter *sp, const lede_ent_tok *t)
{
    return sp->arena + t->woff;
}

static lede_ent_slot *seen_slot(lede_ent_spotter *sp, uint64_t h)
{
    size_t mask = sp->seen_cap - 1;
    size_t k = (size_t)h & mask;
    while (sp->seen[k].hash != 0 && sp->seen[k].hash != h)
        k = (k + 1) & mask;
    return &sp->seen[k];
}

static unsigned seen_bits(lede_ent_spotter *sp, const lede_ent_tok *t)
{
    lede_ent_slot *s = seen_slot(sp, t->hash);
    return s->hash != 0 ? s->bits : 0;
}

void lede_entities_reset(lede_ent_spotter *sp)
{
    sp->n = 0;
    sp->arena_len = 0;
    sp->oom = 0;
}

void lede_entities_add(lede_ent_spotter *sp, const lede_token *tok, unsigned sep,
                       uint64_t hash)
{
    if (sp->oom)
        return;
    if (sp->n == sp->cap) {
        size_t cap = sp->cap ? sp->cap * 2 : 256;
        lede_ent_tok *t = realloc(sp->toks, cap * sizeof(*t));
        if (t == NULL) {
            sp->oom = 1;
            return;
        }
        sp->toks = t;
        sp->cap = cap;
    }
    if (sp->arena_len + tok->word_len > sp->arena_cap) {
        size_t cap = sp->arena_cap ? sp->arena_cap : 4096;
        while (cap < sp->arena_len + tok->word_len)
            cap *= 2;
        char *a = realloc(sp->arena, cap);
        if (a == NULL) {
            sp->oom = 1;
            return;
        }
        sp->arena = a;
        sp->arena_cap = cap;
    }
    if (sp->arena_len + tok->word_len > UINT32_MAX) {
        sp->oom = 1;
        return;
    }
    lede_ent_tok *t = &sp->toks[sp->n++];
    t->hash = hash;
    t->pos = tok->pos;
    t->start = tok->start;
    t->end = tok->end;
    t->flags = tok->flags;
    t->sep = sep;
    t->woff = (uint32_t)sp->arena_len;
    t->wlen = (uint32_t)tok->word_len;
    memcpy(sp->arena + sp->arena_len, tok->word, tok->word_len);
    sp->arena_len += tok->word_len;
}

void lede_entities_release(lede_ent_spotter *sp)
{
    free(sp->toks);
    free(sp->arena);
    free(sp->seen);
    memset(sp, 0, sizeof(*sp));
}

void lede_entity_list_clear(lede_entity_list *list)
{
    if (list == NULL)
        return;
    for (size_t k = 0; k < list->n; k++)
        free(list->items[k].name);
    free(list->items);
    list->items = NULL;
    list->n = 0;
    list->cap = 0;
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

/* Build the seen-word table: which words are capitalised mid-sentence and
 * which are written in lower case somewhere in the document. */
static int build_seen(lede_ent_spotter *sp)
{
    size_t need = 16;
    while (need < sp->n * 2)
        need *= 2;
    if (need > sp->seen_cap) {
        lede_ent_slot *s = realloc(sp->seen, need * sizeof(*s));
        if (s == NULL)
            return LEDE_ENOMEM;
        sp->seen = s;
        sp->seen_cap = need;
    }
    memset(sp->seen, 0, sp->seen_cap * sizeof(*sp->seen));
    for (size_t k = 0; k < sp->n; k++) {
        const lede_ent_tok *t = &sp->toks[k];
        unsigned bits = 0;
        if (is_cap(t) && !(t->flags & LEDE_TOKEN_SENTENCE_START))
            bits = SEEN_MIDCAP;
        else if (is_lower_word(t))
            bits = SEEN_LOWER;
        if (bits == 0)
            continue;
        lede_ent_slot *s = seen_slot(sp, t->hash);
        s->hash = t->hash;
        s->bits |= bits;
    }
    return LEDE_OK;
}

static int push_entity(lede_ent_spotter *sp, size_t a, size_t b, lede_entity_list *out)
{
    size_t len = 0;
    for (size_t k = a; k <= b; k++)
        len += sp->toks[k].wlen + (k > a);
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        lede_entity *items = realloc(out->items, cap * sizeof(*items));
        if (items == NULL)
            return LEDE_ENOMEM;
        out->items = items;
        out->cap = cap;
    }
    char *name = malloc(len + 1);
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
        int title = is_title(tok_word(sp, &t[k]), t[k].wlen) ||
                    (prev_title && (t[k].flags & LEDE_TOKEN_JOINED));
        if (title && k < b)
            cut = k;
        prev_title = title;
    }
    if (cut != SIZE_MAX)
        a = cut + 1;
    while (b > a && is_title(tok_word(sp, &t[b]), t[b].wlen))
        b--;
    if (a == b && is_title(tok_word(sp, &t[a]), t[a].wlen))
        return LEDE_OK; /* a title with no name after it */
    /* Leading stop words and connectors, and a sentence-initial word the
     * document also writes in lower case ("Meanwhile", "Yesterday"). */
    while (a <= b) {
        const char *w = tok_word(sp, &t[a]);
        if (lede_stopword(w, t[a].wlen) || is_connector(w, t[a].wlen) ||
            !is_cap(&t[a]) ||
            ((t[a].flags & LEDE_TOKEN_SENTENCE_START) &&
             ((seen_bits(sp, &t[a]) & SEEN_LOWER) ||
              (is_opener(w, t[a].wlen) && !(seen_bits(sp, &t[a]) & SEEN_MIDCAP)))))
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
    size_t n_allcaps = 0, n_lower = 0;

    if (sp->oom) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    for (size_t k = 0; k < sp->n; k++) {
        if (t[k].flags & LEDE_TOKEN_ALLCAPS)
            n_allcaps++;
        else if (is_lower_word(&t[k]))
            n_lower++;
    }
    if (n_allcaps * 2 > n_allcaps + n_lower)
        goto cleanup; /* mostly upper case: capitals say nothing */
    rc = build_seen(sp);
    if (rc != LEDE_OK)
        goto cleanup;

    size_t k = 0;
    while (k < sp->n) {
        if (!is_cap(&t[k])) {
            k++;
            continue;
        }
        size_t a = k, b = k;
        while (b + 1 < sp->n && b - a + 1 < RUN_MAX && !(t[b].flags & LEDE_TOKEN_POSSESSIVE)) {
            const lede_ent_tok *nx = &t[b + 1];
            if (nx->sep != 0 || nx->pos != t[b].pos + 1)
                break;
            if (is_cap(nx) || (nx->flags & LEDE_TOKEN_JOINED)) {
                b++;
                continue;
            }
            /* A connector continues the name only before a capitalised word. */
            if (b + 2 < sp->n && is_connector(tok_word(sp, nx), nx->wlen) &&
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
