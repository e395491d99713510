/*
 * fold.h — character classes and folding for the analysis modules
 * (lib/fold.c).  Internal to liblede.
 */
#ifndef LEDE_FOLD_H
#define LEDE_FOLD_H

#include <stddef.h>
#include <stdint.h>

/* What a code point is to the tokenizer (bit set). */
enum {
    LEDE_CH_WORD = 1 << 0,    /* letter, mark or digit: part of a word */
    LEDE_CH_UPPER = 1 << 1,   /* upper or title case letter */
    LEDE_CH_LOWER = 1 << 2,   /* lower case letter */
    LEDE_CH_DIGIT = 1 << 3,   /* any Unicode number (Nd, Nl, No) */
    LEDE_CH_MARK = 1 << 4,    /* combining mark (Mn, Mc, Me) */
    LEDE_CH_NOSPACE = 1 << 5, /* script written without spaces: Han, kana, Thai, ... */
    LEDE_CH_APOS = 1 << 6,    /* apostrophe: ' ’ ‘ ʼ */
    LEDE_CH_JOIN = 1 << 7,    /* hyphen or slash inside a written word */
    LEDE_CH_SPACE = 1 << 8,   /* white space (Zs, Zl, Zp and ASCII controls) */
    LEDE_CH_NEWLINE = 1 << 9, /* line feed, paragraph or line separator */
    LEDE_CH_STOP = 1 << 10,   /* sentence terminator: . ! ? and their CJK forms */
    LEDE_CH_LETTER = 1 << 11, /* a letter (L*) */
};

/* Class bits of an ASCII byte c (c < 0x80) as a constant expression, so
 * that the table below is built by the compiler. */
#define LEDE_ASCII_CLASS(c)                                                                  \
    ((c) - 'a' < 26u   ? LEDE_CH_WORD | LEDE_CH_LETTER | LEDE_CH_LOWER                       \
     : (c) - 'A' < 26u ? LEDE_CH_WORD | LEDE_CH_LETTER | LEDE_CH_UPPER                       \
     : (c) - '0' < 10u ? LEDE_CH_WORD | LEDE_CH_DIGIT                                        \
     : (c) == ' ' || (c) == '\t' || (c) == '\r' ? LEDE_CH_SPACE                              \
     : (c) == '\n' || (c) == '\v' || (c) == '\f' ? LEDE_CH_SPACE | LEDE_CH_NEWLINE           \
     : (c) == '\''                             ? LEDE_CH_APOS                                \
     : (c) == '-' || (c) == '/'                ? LEDE_CH_JOIN                                \
     : (c) == '.' || (c) == '!' || (c) == '?'  ? LEDE_CH_STOP                                \
     : (c) < 0x20u || (c) == 0x7Fu             ? LEDE_CH_SPACE                               \
                                               : 0u)

#define LEDE_ASCII_CLASS4(c)                                                                 \
    LEDE_ASCII_CLASS((c) + 0u), LEDE_ASCII_CLASS((c) + 1u), LEDE_ASCII_CLASS((c) + 2u),       \
        LEDE_ASCII_CLASS((c) + 3u)
#define LEDE_ASCII_CLASS16(c)                                                                \
    LEDE_ASCII_CLASS4((c) + 0u), LEDE_ASCII_CLASS4((c) + 4u), LEDE_ASCII_CLASS4((c) + 8u),    \
        LEDE_ASCII_CLASS4((c) + 12u)

/* Class bits of an ASCII byte (c < 0x80): the tokenizer's fast path, one
 * table load rather than a chain of tests. */
static inline unsigned lede_fold_class_ascii(unsigned c)
{
    static const uint16_t table[128] = {
        LEDE_ASCII_CLASS16(0x00u), LEDE_ASCII_CLASS16(0x10u), LEDE_ASCII_CLASS16(0x20u),
        LEDE_ASCII_CLASS16(0x30u), LEDE_ASCII_CLASS16(0x40u), LEDE_ASCII_CLASS16(0x50u),
        LEDE_ASCII_CLASS16(0x60u), LEDE_ASCII_CLASS16(0x70u),
    };
    return table[c & 0x7F];
}

/* Class bits of code point cp (cp >= 0). */
unsigned lede_fold_class(int32_t cp);

/*
 * Fold cp for indexing: Unicode case folding, compatibility decomposition
 * (full width → ASCII, ligatures split) and, unless keep_marks, removal of
 * combining marks (diacritics).  Writes at most cap code points to out and
 * returns how many the folding has (0 when the code point folds away; may be
 * more than cap, in which case only cap were written).
 */
size_t lede_fold_cp(int32_t cp, int keep_marks, int32_t *out, size_t cap);

/*
 * Fold the UTF-8 text s[0..len) code point by code point into out (cap
 * bytes, always NUL-terminated when cap > 0); invalid bytes are dropped.
 * Returns the folded length (truncated at a code point boundary to fit).
 * Word boundaries are not interpreted: this folds a single term.
 */
size_t lede_fold_str(char *out, size_t cap, const char *s, size_t len);

#endif /* LEDE_FOLD_H */
