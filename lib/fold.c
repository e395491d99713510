/*
 * fold.c — character classes and folding: which code points make words and
 * how a word is normalised before stemming.
 *
 * Owns: the Unicode knowledge of the analyser (through utf8proc's tables,
 * never ASCII-only tables).  It must not know about token boundaries
 * (lib/tokenize.c) or stems (lib/stem.c).
 *
 * Folding is Unicode case folding plus NFKD with combining marks stripped,
 * so "Pyŏngyang" → "pyongyang", "Zürich" → "zurich" and full-width
 * "ＫＯＲＥＡ" → "korea".  Two exceptions keep scripts usable: Hangul
 * syllables are left composed (NFKD would turn every Korean word into jamo),
 * and scripts written without spaces keep their marks (a Thai vowel sign or
 * a Japanese voicing mark changes the word, unlike a Latin accent).
 */
#include "common.h"

#include "fold.h"
#include "utf8.h"

#include <utf8proc.h>

static int is_nospace(int32_t cp)
{
    /* Scripts whose words are not separated by spaces; they are indexed as
     * overlapping character bigrams (see lib/tokenize.c). */
    return (cp >= 0x0E00 && cp <= 0x0EFF)      /* Thai, Lao */
           || (cp >= 0x1000 && cp <= 0x109F)   /* Myanmar */
           || (cp >= 0x1780 && cp <= 0x17FF)   /* Khmer */
           || (cp >= 0x3040 && cp <= 0x30FF)   /* Hiragana, Katakana */
           || (cp >= 0x31F0 && cp <= 0x31FF)   /* Katakana phonetic extensions */
           || (cp >= 0x3400 && cp <= 0x4DBF)   /* CJK extension A */
           || (cp >= 0x4E00 && cp <= 0x9FFF)   /* CJK unified ideographs */
           || (cp >= 0xF900 && cp <= 0xFAFF)   /* CJK compatibility ideographs */
           || (cp >= 0xFF66 && cp <= 0xFF9F)   /* half-width Katakana */
           || (cp >= 0x20000 && cp <= 0x3FFFF); /* CJK extensions B.. */
}

unsigned lede_fold_class(int32_t cp)
{
    if (cp < 0x80)
        return lede_fold_class_ascii((unsigned)cp);
    switch (cp) {
    case 0x2019: /* ’ right single quotation mark, the usual typographic apostrophe */
    case 0x2018: /* ‘ left single quotation mark, often typed for one */
    case 0x02BC: /* ʼ modifier letter apostrophe (a letter to Unicode, Lm) */
        return LEDE_CH_APOS;
    case 0x2010: /* hyphen */
    case 0x2011: /* non-breaking hyphen */
    case 0x2044: /* fraction slash */
    case 0xFF0F: /* full-width solidus */
        return LEDE_CH_JOIN;
    case 0x3002: /* 。 ideographic full stop */
    case 0xFF01: /* ！ */
    case 0xFF0E: /* ． */
    case 0xFF1F: /* ？ */
    case 0x2026: /* … */
        return LEDE_CH_STOP;
    case 0x0085:
    case 0x2028:
    case 0x2029:
        return LEDE_CH_SPACE | LEDE_CH_NEWLINE;
    default:
        break;
    }
    unsigned c = 0;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LT:
        c = LEDE_CH_WORD | LEDE_CH_LETTER | LEDE_CH_UPPER;
        break;
    case UTF8PROC_CATEGORY_LL:
        c = LEDE_CH_WORD | LEDE_CH_LETTER | LEDE_CH_LOWER;
        break;
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        c = LEDE_CH_WORD | LEDE_CH_LETTER;
        break;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
        c = LEDE_CH_WORD | LEDE_CH_MARK;
        break;
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        c = LEDE_CH_WORD | LEDE_CH_DIGIT;
        break;
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_CC:
        return LEDE_CH_SPACE;
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
        return LEDE_CH_SPACE | LEDE_CH_NEWLINE;
    default:
        return 0;
    }
    if (is_nospace(cp))
        c |= LEDE_CH_NOSPACE;
    return c;
}

size_t lede_fold_cp(int32_t cp, int keep_marks, int32_t *out, size_t cap)
{
    if (cp < 0x80) {
        if (cap > 0)
            out[0] = (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
        return 1;
    }
    if (cp >= 0xAC00 && cp <= 0xD7A3) {
        /* Hangul syllables: keep composed (see the comment atop the file). */
        if (cap > 0)
            out[0] = cp;
        return 1;
    }
    utf8proc_int32_t buf[32];
    int last_boundclass = 0;
    int opts = UTF8PROC_CASEFOLD | UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE;
    if (!keep_marks)
        opts |= UTF8PROC_STRIPMARK;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, buf, (utf8proc_ssize_t)ARRAY_SIZE(buf),
                                                 (utf8proc_option_t)opts, &last_boundclass);
    if (n < 0) {
        /* Cannot happen for a valid code point; keep it unchanged rather
         * than lose the character. */
        if (cap > 0)
            out[0] = cp;
        return 1;
    }
    if ((size_t)n > ARRAY_SIZE(buf))
        n = (utf8proc_ssize_t)ARRAY_SIZE(buf);
    for (utf8proc_ssize_t i = 0; i < n && (size_t)i < cap; i++)
        out[i] = buf[i];
    return (size_t)n;
}

size_t lede_fold_str(char *out, size_t cap, const char *s, size_t len)
{
    size_t o = 0;
    size_t i = 0;
    if (cap == 0)
        return 0;
    while (i < len) {
        int32_t cp;
        int n = lede_utf8_decode((const uint8_t *)s + i, len - i, &cp);
        if (n < 0) {
            i++;
            continue;
        }
        i += (size_t)n;
        int32_t f[32];
        size_t nf = lede_fold_cp(cp, (lede_fold_class(cp) & LEDE_CH_NOSPACE) != 0, f, ARRAY_SIZE(f));
        nf = LEDE_MIN(nf, ARRAY_SIZE(f));
        for (size_t k = 0; k < nf; k++) {
            uint8_t enc[4];
            size_t el = lede_utf8_encode(f[k], enc);
            if (o + el + 1 > cap)
                goto done;
            for (size_t b = 0; b < el; b++)
                out[o++] = (char)enc[b];
        }
    }
done:
    out[o] = '\0';
    return o;
}
