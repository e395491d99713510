/*
 * tokenize.c — the tokenizer: UTF-8 bytes → folded, unstemmed tokens with
 * positions, byte offsets and flags.
 *
 * Owns: word boundaries and token flags.  It must not stem (lib/stem.c),
 * spot entities (lib/entities.c) or allocate: the word being built lives in
 * a fixed buffer on the stack, so there is no malloc per token.
 *
 * Rules, in the order a reader meets them in the text:
 *   - A word is a run of Unicode letters, marks and digits.  Invalid UTF-8,
 *     NUL and overlong forms separate words and are counted.
 *   - Apostrophes (' ’ ‘ ʼ) between letters join the word and are stored as
 *     ASCII ' (so "don’t" and "don't" are one term), except a final 's,
 *     which is the possessive: dropped, and the token is flagged.
 *   - Hyphens and slashes between word characters split the written word
 *     into tokens at consecutive positions, the later ones flagged JOINED.
 *   - Single letters joined by dots are one term without the dots
 *     ("U.S." → us); a dot between digits stays ("3.5"), a comma followed by
 *     exactly three digits is a thousands separator and is dropped
 *     ("155,221" → 155221).
 *   - Scripts without spaces (Han, kana, Thai, ...) become overlapping
 *     character bigrams at consecutive positions, as Lucene's CJK analyzer
 *     does; a lone character is a unigram.
 *   - A sentence starts at the start of the text, after . ! ? (not after an
 *     initial such as "W." or a title such as "Dr.") and after a blank line.
 *
 * Invariant (checked by tests/fuzz/fuzz_tokenize.c): every token's
 * [start, end) lies inside the text, on code point boundaries, start < end,
 * positions increase by one, and analysing text[start, end) on its own
 * yields that same word.
 */
#include "common.h"

#include "fold.h"
#include "tokenize.h"
#include "utf8.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Bytes kept of one character of a script without spaces (base + marks). */
#define UNIT_MAX 60

typedef struct tk {
    const uint8_t *s;
    size_t len;
    lede_tokenize_fn fn;
    void *payload;
    uint32_t pos;
    unsigned sep;        /* LEDE_SEP_* seen since the last token */
    uint32_t pending;    /* SENTENCE_START / JOINED for the next token */
    size_t last_end;     /* end of the last token; SIZE_MAX before the first */
    int last_initial;    /* the last token was one capital letter ("W" of "George W. Bush") */
    int newlines;        /* line breaks since the last token */
    size_t tokens;
    size_t invalid;
    size_t wlen;
    char word[LEDE_TERM_MAX + 32]; /* slack for the 16-byte stores of scan_word */
} tk;

/* Decode the code point at byte i: its length, or 0 at the end of the text,
 * or -1 for an invalid byte (cls is then 0). */
static inline int peek(const tk *t, size_t i, int32_t *cp, unsigned *cls)
{
    if (i >= t->len) {
        *cp = -1;
        *cls = 0;
        return 0;
    }
    uint8_t c = t->s[i];
    if (c < 0x80 && c != 0) {
        *cp = c;
        *cls = lede_fold_class_ascii(c);
        return 1;
    }
    int n = lede_utf8_decode(t->s + i, t->len - i, cp);
    *cls = n > 0 ? lede_fold_class(*cp) : 0;
    return n;
}

static int is_word_char(unsigned cls)
{
    return (cls & (LEDE_CH_WORD | LEDE_CH_NOSPACE)) == LEDE_CH_WORD;
}

/* Append the folding of cp to buf (cap bytes); stop for good at the first
 * code point that does not fit, so the cut falls on a boundary. */
static void put_folded(char *buf, size_t *blen, size_t cap, int *full, int32_t cp, int keep_marks)
{
    if (*full)
        return;
    if (cp < 0x80) {
        if (*blen + 1 > cap) {
            *full = 1;
            return;
        }
        buf[(*blen)++] = (char)((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
        return;
    }
    int32_t f[32];
    size_t nf = LEDE_MIN(lede_fold_cp(cp, keep_marks, f, ARRAY_SIZE(f)), ARRAY_SIZE(f));
    for (size_t k = 0; k < nf; k++) {
        uint8_t enc[4];
        size_t el = lede_utf8_encode(f[k], enc);
        if (*blen + el > cap) {
            *full = 1;
            return;
        }
        memcpy(buf + *blen, enc, el);
        *blen += el;
    }
}

static int emit(tk *t, size_t start, size_t end, uint32_t flags)
{
    if (t->wlen == 0)
        return 0; /* only marks that folded away: not a word */
    lede_token tok;
    tok.word = t->word;
    tok.word_len = t->wlen;
    tok.stem = t->word;
    tok.stem_len = t->wlen;
    tok.pos = t->pos;
    tok.start = (uint32_t)start;
    tok.end = (uint32_t)end;
    tok.flags = flags | t->pending;
    unsigned sep = t->sep;
    t->pos++;
    t->tokens++;
    t->pending = 0;
    t->sep = 0;
    t->newlines = 0;
    t->last_end = end;
    return t->fn(&tok, sep, t->payload);
}

/* Titles written with a dot that does not end the sentence ("Dr. Kim"). */
static int is_title_abbrev(const char *w, size_t n)
{
    /* Padded to 4 bytes with NULs, so each is compared as one word. */
    static const char abbrevs[][4] = {
        "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "gov",
        "sen", "rep", "st", "jr", "sr", "prof", "rev", "vs", "fr", "mt", "maj", "pres",
    };
    char key[4] = {0, 0, 0, 0};
    if (n < 2 || n > 4)
        return 0;
    memcpy(key, w, n);
    for (size_t k = 0; k < ARRAY_SIZE(abbrevs); k++)
        if (memcmp(abbrevs[k], key, 4) == 0)
            return 1;
    return 0;
}

static int digit_at(const tk *t, size_t i)
{
    return i < t->len && t->s[i] >= '0' && t->s[i] <= '9';
}

/*
 * The ASCII letters and digits among 16 bytes, as bit masks (bit k for
 * byte k): all of them, the upper-case letters and the digits; *lowered gets
 * the 16 bytes with bit 0x20 set, which lower-cases an ASCII letter and
 * leaves a digit as it is.  SSE2 is part of every x86-64; elsewhere the same
 * is computed a byte at a time.
 */
static inline void ascii_masks(const uint8_t *p, uint8_t *lowered, unsigned *alnum,
                               unsigned *upper, unsigned *digit)
{
#if defined(__SSE2__)
    __m128i b = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i v = _mm_or_si128(b, _mm_set1_epi8(0x20));
    /* Signed compares: bytes from 0x80 up are negative, so never in range. */
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(v, _mm_set1_epi8('z' + 1)));
    __m128i dig = _mm_and_si128(_mm_cmpgt_epi8(b, _mm_set1_epi8('0' - 1)),
                                _mm_cmplt_epi8(b, _mm_set1_epi8('9' + 1)));
    __m128i caps = _mm_cmpeq_epi8(_mm_and_si128(b, _mm_set1_epi8(0x20)), _mm_setzero_si128());
    unsigned lm = (unsigned)_mm_movemask_epi8(letter);
    unsigned dm = (unsigned)_mm_movemask_epi8(dig);
    _mm_storeu_si128((__m128i *)(void *)lowered, v);
    *alnum = lm | dm;
    *upper = lm & (unsigned)_mm_movemask_epi8(caps);
    *digit = dm;
#else
    unsigned am = 0, um = 0, dm = 0;
    for (unsigned k = 0; k < 16; k++) {
        unsigned c = p[k];
        lowered[k] = (uint8_t)(c | 0x20);
        if ((c | 0x20) - 'a' < 26u) {
            am |= 1u << k;
            if (c < 'a')
                um |= 1u << k;
        } else if (c - '0' < 10u) {
            am |= 1u << k;
            dm |= 1u << k;
        }
    }
    *alnum = am;
    *upper = um;
    *digit = dm;
#endif
}

/* min(2, number of bits set in m): the word's capitals only matter as
 * "none", "one" or "at least two" (ALLCAPS), and x86-64 without POPCNT
 * would count them with a library call. */
static inline unsigned count_to_two(unsigned m)
{
    return (m != 0) + ((m & (m - 1)) != 0);
}

/* A run of letters, marks and digits (not of a script without spaces). */
static int scan_word(tk *t, size_t *pi)
{
    const uint8_t *s = t->s;
    const size_t len = t->len;
    char *word = t->word;
    size_t i = *pi;
    size_t start = i;
    size_t end;
    size_t wlen = 0;
    int full = 0;
    unsigned n_upper = 0, n_lower = 0, n_cps = 0;
    int first_upper = -1, digit = 0, last_digit = 0, abbrev = 0;
    unsigned seg_cps = 0;  /* code points since the word start or the last joining dot */
    int seg_letter = 0;    /* ... and they are all letters */
    uint32_t flags = 0;

    for (;;) {
        /* Fast path: runs of ASCII letters and digits, the bulk of most
         * archives, 16 bytes at a time.  The per-character bookkeeping of
         * the slow path below (counts of capitals, digits, the segment since
         * the last dot) is done on the masks of the whole run at once. */
        for (;;) {
            uint8_t tail[16], lowered[16];
            const uint8_t *p = s + i;
            if (len - i < 16) {
                if (i >= len)
                    break;
                /* Near the end: the zeros after the text end the run. */
                memset(tail, 0, sizeof(tail));
                memcpy(tail, s + i, len - i);
                p = tail;
            }
            unsigned am, um, dm;
            ascii_masks(p, lowered, &am, &um, &dm);
            unsigned k = (unsigned)__builtin_ctz(~am); /* am < 2^16: k <= 16 */
            if (k == 0)
                break;
            unsigned run = (1u << k) - 1;
            um &= run;
            dm &= run;
            if (first_upper < 0)
                first_upper = (int)(um & 1);
            n_upper += count_to_two(um); /* only compared with 2 */
            n_lower += (um | dm) != run; /* only compared with 0 */
            if (dm != 0) {
                digit = 1;
                seg_letter = 0;
            } else {
                seg_letter = seg_cps == 0 || seg_letter;
            }
            last_digit = (int)((dm >> (k - 1)) & 1);
            seg_cps += k;
            n_cps += k;
            if (!full && wlen + k <= LEDE_TERM_MAX) {
                /* word has 16 bytes of slack after LEDE_TERM_MAX. */
                memcpy(word + wlen, lowered, 16);
                wlen += k;
            } else {
                size_t take = full ? 0 : LEDE_MIN((size_t)k, LEDE_TERM_MAX - wlen);
                memcpy(word + wlen, lowered, take);
                wlen += take;
                if (take < k)
                    full = 1;
            }
            i += k;
            if (k < 16)
                break;
        }
        /* Of the ASCII bytes that are not letters or digits, only an
         * apostrophe, a dot or a comma can continue a word (below); any
         * other, the space above all, ends it without decoding. */
        if (i >= len)
            break;
        if (s[i] < 0x80 && s[i] != '\'' && s[i] != '.' && s[i] != ',')
            break;
        int32_t cp;
        unsigned cls;
        int n = peek(t, i, &cp, &cls);
        if (n <= 0)
            break;
        if (is_word_char(cls)) {
            if (first_upper < 0)
                first_upper = (cls & LEDE_CH_UPPER) != 0;
            if (cls & LEDE_CH_UPPER)
                n_upper++;
            else if (cls & LEDE_CH_LOWER)
                n_lower++;
            last_digit = (cls & LEDE_CH_DIGIT) != 0;
            digit |= last_digit;
            if (!(cls & LEDE_CH_MARK)) {
                seg_letter = (seg_cps == 0 || seg_letter) && (cls & LEDE_CH_LETTER);
                seg_cps++;
                n_cps++;
            }
            put_folded(word, &wlen, LEDE_TERM_MAX, &full, cp, 0);
            i += (size_t)n;
            continue;
        }
        int32_t ncp, ncp2;
        unsigned ncls, ncls2;
        int nn = peek(t, i + (size_t)n, &ncp, &ncls);
        if (cls & LEDE_CH_APOS) {
            if (nn <= 0 || !is_word_char(ncls))
                break;
            int nn2 = peek(t, i + (size_t)n + (size_t)nn, &ncp2, &ncls2);
            if ((ncp == 's' || ncp == 'S') && (nn2 <= 0 || !is_word_char(ncls2))) {
                /* The possessive: the token ends before the apostrophe and
                 * the 's is skipped. */
                flags |= LEDE_TOKEN_POSSESSIVE;
                end = i;
                i += (size_t)n + (size_t)nn;
                goto done;
            }
            put_folded(word, &wlen, LEDE_TERM_MAX, &full, '\'', 0);
            seg_cps = 0;
            last_digit = 0;
            i += (size_t)n;
            continue;
        }
        if (cp == '.') {
            if (last_digit && digit_at(t, i + 1)) {
                put_folded(word, &wlen, LEDE_TERM_MAX, &full, '.', 0);
                seg_cps = 0;
                last_digit = 0;
                i++;
                continue;
            }
            if (seg_cps == 1 && seg_letter && nn > 0 && is_word_char(ncls) &&
                (ncls & LEDE_CH_LETTER)) {
                int nn2 = peek(t, i + 1 + (size_t)nn, &ncp2, &ncls2);
                if (nn2 <= 0 || !is_word_char(ncls2)) {
                    /* "U.S": single letters joined by dots, one term. */
                    abbrev = 1;
                    seg_cps = 0;
                    i++;
                    continue;
                }
            }
            if (abbrev && seg_cps == 1) {
                /* The final dot of "U.S." belongs to the abbreviation. */
                end = i + 1;
                i++;
                goto done;
            }
            break;
        }
        if (cp == ',' && last_digit && digit_at(t, i + 1) && digit_at(t, i + 2) &&
            digit_at(t, i + 3) && !digit_at(t, i + 4)) {
            i++; /* thousands separator */
            continue;
        }
        break;
    }
    end = i;
done:
    if (first_upper > 0)
        flags |= LEDE_TOKEN_CAPITALIZED;
    if (n_upper >= 2 && n_lower == 0)
        flags |= LEDE_TOKEN_ALLCAPS;
    if (digit)
        flags |= LEDE_TOKEN_NUMERIC;
    *pi = i;
    t->wlen = wlen;
    t->last_initial = !abbrev && n_cps == 1 && first_upper > 0;
    return emit(t, start, end, flags);
}

/* A run of a script without spaces: overlapping bigrams of its characters
 * (a character being a base code point and the marks after it). */
static int scan_nospace(tk *t, size_t *pi)
{
    size_t i = *pi;
    char prev[UNIT_MAX], cur[UNIT_MAX];
    size_t prev_len = 0, cur_len, prev_start = 0;
    int have_prev = 0, emitted = 0, rc = 0;

    for (;;) {
        int32_t cp;
        unsigned cls;
        int n = peek(t, i, &cp, &cls);
        if (n <= 0 || (cls & (LEDE_CH_WORD | LEDE_CH_NOSPACE)) != (LEDE_CH_WORD | LEDE_CH_NOSPACE))
            break;
        size_t unit_start = i;
        int full = 0;
        cur_len = 0;
        put_folded(cur, &cur_len, UNIT_MAX, &full, cp, 1);
        i += (size_t)n;
        for (;;) {
            n = peek(t, i, &cp, &cls);
            if (n <= 0 || !(cls & LEDE_CH_MARK))
                break;
            put_folded(cur, &cur_len, UNIT_MAX, &full, cp, 1);
            i += (size_t)n;
        }
        if (have_prev) {
            memcpy(t->word, prev, prev_len);
            memcpy(t->word + prev_len, cur, cur_len);
            t->wlen = prev_len + cur_len;
            rc = emit(t, prev_start, i, LEDE_TOKEN_CJK);
            if (rc != 0)
                goto cleanup;
            emitted = 1;
        }
        memcpy(prev, cur, cur_len);
        prev_len = cur_len;
        prev_start = unit_start;
        have_prev = 1;
    }
    if (have_prev && !emitted) {
        memcpy(t->word, prev, prev_len);
        t->wlen = prev_len;
        rc = emit(t, prev_start, i, LEDE_TOKEN_CJK);
    }
cleanup:
    *pi = i;
    t->last_initial = 0;
    t->wlen = 0; /* so no title abbreviation is seen in a bigram */
    return rc;
}

static void sentence_break(tk *t)
{
    t->sep |= LEDE_SEP_SENTENCE | LEDE_SEP_PUNCT;
    t->pending = (t->pending & ~(uint32_t)LEDE_TOKEN_JOINED) | LEDE_TOKEN_SENTENCE_START;
}

int lede_tokenize(const char *text, size_t len, uint32_t first_pos, lede_tokenize_fn fn,
                  void *payload, lede_analyze_stats *stats)
{
    tk t;
    int rc = 0;
    size_t i = 0;

    t.s = (const uint8_t *)text;
    t.len = len;
    t.fn = fn;
    t.payload = payload;
    t.pos = first_pos;
    t.sep = LEDE_SEP_SENTENCE;
    t.pending = LEDE_TOKEN_SENTENCE_START;
    t.last_end = SIZE_MAX;
    t.last_initial = 0;
    t.newlines = 0;
    t.tokens = 0;
    t.invalid = 0;
    t.wlen = 0;

    while (i < len) {
        if (t.s[i] == ' ') {
            i++; /* the commonest separator needs no classifying */
            continue;
        }
        int32_t cp;
        unsigned cls;
        int n = peek(&t, i, &cp, &cls);
        if (n < 0) {
            t.invalid++;
            t.sep |= LEDE_SEP_PUNCT;
            t.pending &= ~(uint32_t)LEDE_TOKEN_JOINED;
            i++;
            continue;
        }
        if (cls & LEDE_CH_WORD) {
            rc = (cls & LEDE_CH_NOSPACE) ? scan_nospace(&t, &i) : scan_word(&t, &i);
            if (rc != 0)
                goto cleanup;
            continue;
        }
        if (cls & LEDE_CH_NEWLINE) {
            if (++t.newlines >= 2)
                sentence_break(&t); /* a blank line ends a title or paragraph */
        } else if (cls & LEDE_CH_JOIN) {
            int32_t ncp;
            unsigned ncls;
            int nn = peek(&t, i + (size_t)n, &ncp, &ncls);
            if (t.last_end == i && nn > 0 && (ncls & LEDE_CH_WORD))
                t.pending |= LEDE_TOKEN_JOINED;
            else
                t.sep |= LEDE_SEP_PUNCT;
        } else if (cls & LEDE_CH_STOP) {
            /* t.word still holds the last token's word. */
            if (!(cp == '.' && t.last_end == i &&
                  (t.last_initial || is_title_abbrev(t.word, t.wlen))))
                sentence_break(&t);
        } else if (!(cls & LEDE_CH_SPACE)) {
            t.sep |= LEDE_SEP_PUNCT;
            t.newlines = 0;
        }
        i += (size_t)n;
    }
cleanup:
    if (stats != NULL) {
        stats->tokens += t.tokens;
        stats->invalid_bytes += t.invalid;
        stats->next_pos = t.pos;
    }
    return rc;
}
