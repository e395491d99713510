/*
 * lede-query — search an index built by lede-index.
 *
 * Owns: option parsing, the index location rule (-i, $LEDE_INDEX, ./.lede),
 * batch mode, exit status (0 matched, 1 nothing matched, 2 error) and the
 * error style ("lede-query: error: ..." with a caret under a query's
 * syntax error).  Searching is liblede's; printing is print.c's.
 */
#define _POSIX_C_SOURCE 200809L
#include "query.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

static const char usage_text[] =
    "Usage: lede-query [OPTION]... QUERY...\n"
    "       lede-query --batch [OPTION]... < queries\n"
    "Search an index built by lede-index; best matches first.\n"
    "\n"
    "Query language:\n"
    "  words           ranked by BM25 over all of them (any may match; -a: all must)\n"
    "  \"exact phrase\"  words in this order, unstemmed;  \"a b\"~5  within 5 words\n"
    "  +word -word     required / excluded;  a AND b, a OR b, NOT a, ( ... )\n"
    "  nucl*           every word starting with nucl (capped; a note says when)\n"
    "  a NEAR/3 b      a and b at most 3 words apart, any order\n"
    "  title:word  body:\"a phrase\"  name:\"Kim Jong Un\" (the entity field)\n"
    "  date:2025-09  date:2025-09-01..2025-09-30  date:>=2025  date:<2024-06\n"
    "  Capitalised words in a row (Kim Jong Un) rank documents naming them together first.\n"
    "\n"
    "Options:\n"
    "  -i, --index DIR        index directory (default $LEDE_INDEX, else ./.lede)\n"
    "  -n, --limit N          show N hits (default 10);  --offset N skips the first N\n"
    "  -a, --all              require every word\n"
    "      --json | --tsv     one JSON object / one tab-separated line per hit\n"
    "  -l, --files-with-matches  ids or paths only (-0: NUL-separated);  -c, --count\n"
    "      --sort score|date|-date;  --since DATE;  --until DATE\n"
    "      --batch            queries from stdin, one per line or QID<TAB>QUERY\n"
    "      --format text|json|tsv|trec   (trec: \"qid Q0 docid rank score lede\")\n"
    "      --timing           per-query search time on stderr (QID<TAB>microseconds)\n"
    "      --explain          per hit, each term's tf, df, idf, normalisation, contribution\n"
    "      --color auto|always|never;  --highlight OPEN,CLOSE;  --context N;  --fragments N\n"
    "      --k1 X, --b X      BM25 parameters (default 1.2, 0.75)\n"
    "  -h, --help;  -V, --version\n"
    "\n"
    "Examples:\n"
    "  lede-query Kim Jong Un nuclear\n"
    "  lede-query -i ~/news.lede --json '\"foreign minister\" -title:sport date:>=2025'\n"
    "  lede-query -l -0 'sanctions AND name:\"North Korea\"' | xargs -0 ls -l\n"
    "\n"
    "Exit status: 0 something matched, 1 nothing matched, 2 error.  See lede-query(1).\n";

static const char *prog = "lede-query";

static void verror(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void verror(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: error: ", prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
}

/* A bad option or option value: the message, then where to read about them,
 * as for an unknown option. */
static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An argument like "-nuclear" that getopt read as bundled options: when
 * they fail, the user most likely meant to exclude a word (split_args). */
static const char *dash_word;

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(fmt, ap);
    va_end(ap);
    if (dash_word)
        fprintf(stderr,
                "To exclude a word at the start of a query, put the query after --: "
                "%s -- '%s ...'\n",
                prog, dash_word);
    fprintf(stderr, "Try '%s --help' for more information.\n", prog);
}

enum {
    OPT_JSON = 256,
    OPT_TSV,
    OPT_OFFSET,
    OPT_SORT,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_EXPLAIN,
    OPT_BATCH,
    OPT_FORMAT,
    OPT_TIMING,
    OPT_COLOR,
    OPT_HIGHLIGHT,
    OPT_CONTEXT,
    OPT_FRAGMENTS,
    OPT_K1,
    OPT_B,
    OPT_TITLE_WEIGHT,
    OPT_IDF,
    OPT_KEEP_STOP,
    OPT_PREFIX_CAP,
    OPT_PROXIMITY,
};

static const struct option long_opts[] = {
    {"index", required_argument, NULL, 'i'},
    {"limit", required_argument, NULL, 'n'},
    {"all", no_argument, NULL, 'a'},
    {"files-with-matches", no_argument, NULL, 'l'},
    {"null", no_argument, NULL, '0'},
    {"count", no_argument, NULL, 'c'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"json", no_argument, NULL, OPT_JSON},
    {"tsv", no_argument, NULL, OPT_TSV},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"sort", required_argument, NULL, OPT_SORT},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"batch", no_argument, NULL, OPT_BATCH},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"timing", no_argument, NULL, OPT_TIMING},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"highlight", required_argument, NULL, OPT_HIGHLIGHT},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"fragments", required_argument, NULL, OPT_FRAGMENTS},
    {"k1", required_argument, NULL, OPT_K1},
    {"b", required_argument, NULL, OPT_B},
    {"title-weight", required_argument, NULL, OPT_TITLE_WEIGHT},
    {"idf", required_argument, NULL, OPT_IDF},
    {"keep-stopwords", no_argument, NULL, OPT_KEEP_STOP},
    {"prefix-cap", required_argument, NULL, OPT_PREFIX_CAP},
    {"proximity", required_argument, NULL, OPT_PROXIMITY},
    {NULL, 0, NULL, 0},
};

static int parse_size(const char *opt, const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-') {
        usage_error("%s expects a non-negative number, not '%s'", opt, arg);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

static int parse_double(const char *opt, const char *arg, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    /* "nan" and "inf" parse as numbers, but they score every document NaN. */
    if (errno || end == arg || *end || !(v >= 0) || !isfinite(v)) {
        usage_error("%s expects a non-negative number, not '%s'", opt, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * Show the query with a caret under byte pos.  The caret must land under
 * the character it names, so the query is shown one character per
 * character: whitespace and control characters become one space each
 * (nothing collapses, no escape sequence reaches the terminal), invalid
 * UTF-8 becomes U+FFFD, and columns count display width (two for CJK, none
 * for a combining accent).  A query wider than the line (a pasted
 * paragraph) is shown as a window around the caret, "…" marking the cuts.
 */
#define CARET_WINDOW 72

typedef struct shown_char {
    size_t off;  /* byte offset in the query */
    char buf[4]; /* what is shown */
    int len;     /* bytes in buf */
    int width;   /* columns */
} shown_char;

static void show_caret(const char *query, size_t pos)
{
    size_t qlen = strlen(query), n = 0;
    shown_char *cs = malloc((qlen + 1) * sizeof *cs);
    if (!cs)
        return;
    for (size_t i = 0; i < qlen;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)query + i, (utf8proc_ssize_t)(qlen - i), &cp);
        shown_char *c = &cs[n++];
        c->off = i;
        if (k <= 0) {
            memcpy(c->buf, "\xEF\xBF\xBD", 3); /* U+FFFD */
            c->len = 3;
            c->width = 1;
            i++;
            continue;
        }
        utf8proc_category_t cat = utf8proc_category(cp);
        if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cat == UTF8PROC_CATEGORY_ZL ||
            cat == UTF8PROC_CATEGORY_ZP || cat == UTF8PROC_CATEGORY_CF) {
            c->buf[0] = ' ';
            c->len = 1;
            c->width = 1;
        } else {
            memcpy(c->buf, query + i, (size_t)k);
            c->len = (int)k;
            c->width = utf8proc_charwidth(cp);
        }
        i += (size_t)k;
    }
    /* The caret's character (n: past the end) and its column. */
    size_t at = 0, col = 0, total = 0;
    while (at < n && cs[at].off < pos)
        col += (size_t)cs[at++].width;
    for (size_t i = 0; i < n; i++)
        total += (size_t)cs[i].width;
    size_t from = 0, to = n, skip = 0;
    if (total > CARET_WINDOW) {
        /* Start far enough back to show context before the caret. */
        while (from < at && col - skip > CARET_WINDOW / 2)
            skip += (size_t)cs[from++].width;
        size_t w = 0;
        for (to = from; to < n && w + (size_t)cs[to].width <= CARET_WINDOW; to++)
            w += (size_t)cs[to].width;
    }
    fputs("  ", stderr);
    if (from > 0)
        fputs("\xE2\x80\xA6", stderr);
    for (size_t i = from; i < to; i++)
        fwrite(cs[i].buf, 1, (size_t)cs[i].len, stderr);
    if (to < n)
        fputs("\xE2\x80\xA6", stderr);
    fprintf(stderr, "\n  %*s^\n", (int)(col - skip + (from > 0)), "");
    free(cs);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Run one query; returns 0 matched, 1 nothing, 2 error. */
static int run_query(const qopts *o, lede_reader *r, lede_searcher *s, const char *qid,
                     const char *query)
{
    lede_results *res = NULL;
    double t0 = now_us();
    int rc = lede_search(&res, s, query, &o->so);
    double t1 = now_us();
    if (o->timing)
        fprintf(stderr, "%s\t%.0f\n", qid ? qid : "1", t1 - t0);
    if (rc == LEDE_EINVAL) {
        if (qid)
            fprintf(stderr, "%s: error: query %s: %s\n", prog, qid, lede_searcher_errmsg(s));
        else
            fprintf(stderr, "%s: error: %s\n", prog, lede_searcher_errmsg(s));
        show_caret(query, lede_searcher_errpos(s));
        return 2;
    }
    if (rc != LEDE_OK) {
        fprintf(stderr, "%s: error: %s%s%s\n", prog, qid ? "query " : "", qid ? qid : "",
                lede_searcher_errmsg(s)[0] ? lede_searcher_errmsg(s) : lede_strerror(rc));
        return 2;
    }
    for (size_t i = 0; i < res->nnotes; i++) {
        char *n = NULL;
        if (lede_text_sanitize(&n, NULL, res->notes[i], strlen(res->notes[i])) == LEDE_OK && n)
            fprintf(stderr, "%s: %s%s%s\n", prog, qid ? qid : "", qid ? ": " : "", n);
        free(n);
    }
    qrun run = {o, r, s, qid, res, stdout};
    rc = print_results(&run);
    int status = rc != LEDE_OK ? 2 : (o->format == FMT_COUNT ? res->total : res->n) > 0 ? 0 : 1;
    if (rc != LEDE_OK)
        fprintf(stderr, "%s: error: cannot print results: %s\n", prog, lede_strerror(rc));
    lede_results_free(res);
    return status;
}

static int run_batch(const qopts *o, lede_reader *r, lede_searcher *s)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0;
    int any = 0, err = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        char num[32];
        const char *qid = num, *query = line;
        char *tab = strchr(line, '\t');
        snprintf(num, sizeof num, "%lu", lineno);
        if (tab) {
            *tab = '\0';
            query = tab + 1;
            /* "\tquery" has an empty QID: number it by its line, as a line
             * without one, rather than print lines that start with a tab. */
            if (line[strspn(line, " ")] != '\0')
                qid = line;
        }
        if (!*query || strspn(query, " \t\r") == strlen(query))
            continue;
        int st = run_query(o, r, s, qid, query);
        if (st == 0)
            any = 1;
        else if (st == 2)
            err = 1;
        if (o->format != FMT_TREC)
            fflush(stdout);
    }
    free(line);
    return err ? 2 : any ? 0 : 1;
}

/*
 * A process answering a batch of queries keeps the memory its queries
 * allocate: buffers of up to 32 MiB come from the heap rather than from a
 * fresh mmap each time, the heap is not trimmed between queries, and its
 * first 8 MiB are touched now.  Page faults cost 5-20 us each on virtual
 * machines; without this the first queries of a batch paid for dozens.
 */
static void warm_heap(void)
{
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    enum { NBLOCKS = 128, BLOCK = 64 << 10 };
    void *blocks[NBLOCKS];
    for (int i = 0; i < NBLOCKS; i++)
        if ((blocks[i] = malloc(BLOCK)) != NULL)
            memset(blocks[i], 0, BLOCK);
    for (int i = NBLOCKS; i-- > 0;)
        free(blocks[i]);
}

/*
 * Options may come before or after the query, as with grep; but once the
 * query has begun, "-japan" in "lede-query north korea -japan" excludes a
 * word: getopt alone read it as the options -j -a -p ... ("war -iraq" even
 * as "-i raq", an index called raq).  So argv is split first: after the
 * first query word, only a long option (--json), a short option written
 * alone (-n, -a) or -n with its number (-n5) is an option; any other
 * argument that starts with "-" is part of the query.  Before the first
 * word, everything that starts with "-" is an option, and "--" ends them.
 * opts gets argv[0] and the options with their values, words the query's
 * arguments, both in order; both arrays have room for argc entries.
 */
static const char short_opts[] = ":i:n:al0chV";

static int takes_value_next(const char *arg)
{
    if (arg[1] == '-') {
        const char *name = arg + 2;
        size_t len = strcspn(name, "=");
        if (name[len] == '=')
            return 0;
        /* getopt_long accepts any unambiguous abbreviation (--lim 5). */
        for (const struct option *o = long_opts; o->name; o++)
            if (strncmp(o->name, name, len) == 0 && o->has_arg == required_argument)
                return 1;
        return 0;
    }
    for (const char *c = arg + 1; *c; c++) {
        const char *at = strchr(short_opts + 1, *c);
        if (at && *c != ':' && at[1] == ':')
            return c[1] == '\0'; /* "-i DIR" takes the next argument, "-iDIR" not */
    }
    return 0;
}

static int option_after_query(const char *arg)
{
    if (arg[1] == '-')
        return 1;
    if (arg[1] && arg[2] == '\0' && arg[1] != ':' && strchr(short_opts + 1, arg[1]))
        return 1;
    if (arg[1] == 'n' && arg[2] && strspn(arg + 2, "0123456789") == strlen(arg + 2))
        return 1;
    return 0;
}

static void split_args(int argc, char **argv, char **opts, int *nopts, char **words, int *nwords)
{
    int no = 0, nw = 0, in_query = 0;
    opts[no++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (++i < argc)
                words[nw++] = argv[i];
            break;
        }
        if (a[0] == '-' && a[1] && (!in_query || option_after_query(a))) {
            if (!dash_word && a[1] != '-' && strlen(a) >= 3 && !option_after_query(a))
                dash_word = a;
            opts[no++] = argv[i];
            if (takes_value_next(a) && i + 1 < argc)
                opts[no++] = argv[++i];
            continue;
        }
        words[nw++] = argv[i];
        in_query = 1;
    }
    *nopts = no;
    *nwords = nw;
}

/* main with the options and the query's words apart (split_args). */
static int query_main(int argc, char **argv, int nwords, char **words)
{
    qopts o;
    memset(&o, 0, sizeof o);
    lede_search_options defaults = LEDE_SEARCH_OPTIONS_INIT;
    o.so = defaults;
    o.format = FMT_TEXT;
    int color_mode = 0; /* 0 auto, 1 always, 2 never */
    int limit_set = 0;
    const char *hl = NULL;
    int c;
    opterr = 0; /* our own messages, in the "lede-query: error:" style */
    while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            o.index = optarg;
            break;
        case 'n':
            if (parse_size("--limit", optarg, &o.so.limit) != 0)
                return 2;
            if (o.so.limit == 0) {
                usage_error("--limit must be at least 1");
                return 2;
            }
            limit_set = 1;
            break;
        case 'a':
            o.so.all = 1;
            break;
        case 'l':
            o.format = FMT_FILES;
            break;
        case '0':
            o.nul = 1;
            break;
        case 'c':
            o.format = FMT_COUNT;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        case 'V':
            printf("lede-query %s\n%s\n", lede_version(), lede_library_versions());
            return 0;
        case OPT_JSON:
            o.format = FMT_JSON;
            break;
        case OPT_TSV:
            o.format = FMT_TSV;
            break;
        case OPT_OFFSET:
            if (parse_size("--offset", optarg, &o.so.offset) != 0)
                return 2;
            break;
        case OPT_SORT:
            if (strcmp(optarg, "score") == 0)
                o.so.sort = LEDE_SORT_SCORE;
            else if (strcmp(optarg, "date") == 0)
                o.so.sort = LEDE_SORT_DATE;
            else if (strcmp(optarg, "-date") == 0)
                o.so.sort = LEDE_SORT_DATE_DESC;
            else {
                usage_error("--sort expects score, date or -date, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_SINCE:
        case OPT_UNTIL:
            /* --since 2025-13 would otherwise match nothing, silently. */
            if (!lede_date_valid(optarg, strlen(optarg))) {
                usage_error("%s expects a date like 2025, 2025-09 or 2025-09-30, not '%s'",
                      c == OPT_SINCE ? "--since" : "--until", optarg);
                return 2;
            }
            if (c == OPT_SINCE)
                o.so.since = optarg;
            else
                o.so.until = optarg;
            break;
        case OPT_EXPLAIN:
            o.so.explain = 1;
            break;
        case OPT_BATCH:
            o.batch = 1;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "trec") == 0)
                o.format = FMT_TREC;
            else if (strcmp(optarg, "json") == 0)
                o.format = FMT_JSON;
            else if (strcmp(optarg, "tsv") == 0)
                o.format = FMT_TSV;
            else if (strcmp(optarg, "text") == 0)
                o.format = FMT_TEXT;
            else {
                usage_error("--format expects text, json, tsv or trec, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_TIMING:
            o.timing = 1;
            break;
        case OPT_COLOR:
            if (!optarg || strcmp(optarg, "always") == 0)
                color_mode = 1;
            else if (strcmp(optarg, "never") == 0)
                color_mode = 2;
            else if (strcmp(optarg, "auto") == 0)
                color_mode = 0;
            else {
                usage_error("--color expects auto, always or never, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_HIGHLIGHT:
            hl = optarg;
            break;
        case OPT_CONTEXT: {
            size_t v;
            if (parse_size("--context", optarg, &v) != 0)
                return 2;
            o.context = v > 10000 ? 10000 : (unsigned)v;
            break;
        }
        case OPT_FRAGMENTS: {
            size_t v;
            if (parse_size("--fragments", optarg, &v) != 0)
                return 2;
            o.fragments = v > 100 ? 100 : (unsigned)v;
            break;
        }
        case OPT_K1:
            if (parse_double("--k1", optarg, &o.so.k1) != 0)
                return 2;
            break;
        case OPT_B:
            if (parse_double("--b", optarg, &o.so.b) != 0)
                return 2;
            if (o.so.b > 1) {
                usage_error("--b must lie between 0 and 1, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_TITLE_WEIGHT:
            if (parse_double("--title-weight", optarg, &o.so.title_weight) != 0)
                return 2;
            break;
        case OPT_IDF:
            if (strcmp(optarg, "robertson") == 0)
                o.so.idf = LEDE_IDF_ROBERTSON;
            else if (strcmp(optarg, "plus1") == 0)
                o.so.idf = LEDE_IDF_PLUS1;
            else {
                usage_error("--idf expects robertson or plus1, not '%s'", optarg);
                return 2;
            }
            break;
        case OPT_KEEP_STOP:
            o.so.keep_stopwords = 1;
            break;
        case OPT_PROXIMITY:
            if (parse_double("--proximity", optarg, &o.so.proximity) != 0)
                return 2;
            break;
        case OPT_PREFIX_CAP:
            if (parse_size("--prefix-cap", optarg, &o.so.prefix_cap) != 0)
                return 2;
            break;
        case ':':
            usage_error("option '%s' needs a value", argv[optind - 1]);
            return 2;
        default:
            if (optopt)
                usage_error("unknown option '-%c'", optopt);
            else
                usage_error("unknown option '%s'", argv[optind - 1]);
            return 2;
        }
    }
    if (o.so.since && o.so.until) {
        /* The same test as date:A..B: the exclusive end of --until must lie after --since. */
        char end[16];
        snprintf(end, sizeof end, "%s\x7f", o.so.until);
        if (strcmp(o.so.since, end) >= 0) {
            usage_error("--since %s is after --until %s", o.so.since, o.so.until);
            return 2;
        }
    }
    if (o.nul && o.format != FMT_FILES) {
        usage_error("-0 goes with -l (--files-with-matches)");
        return 2;
    }
    if (hl) {
        const char *comma = strchr(hl, ',');
        if (!comma) {
            usage_error("--highlight expects OPEN,CLOSE (for example '[,]'), not '%s'", hl);
            return 2;
        }
        static char open[256];
        size_t ol = (size_t)(comma - hl);
        if (ol >= sizeof open)
            ol = sizeof open - 1;
        memcpy(open, hl, ol);
        open[ol] = '\0';
        o.hl_open = open;
        o.hl_close = comma + 1;
    }
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (color_mode == 1)
        o.color = 1;
    else if (color_mode == 0)
        o.color = isatty(STDOUT_FILENO) && !(no_color && no_color[0]) &&
                  !(term && strcmp(term, "dumb") == 0);
    o.snippets = o.format == FMT_TEXT || o.format == FMT_JSON;
    if (o.format == FMT_COUNT)
        o.so.count_all = 1;
    if (o.format == FMT_FILES && !limit_set)
        o.so.limit = 1000000; /* like grep -l: every matching document */
    if (!o.index)
        o.index = getenv("LEDE_INDEX");
    if (!o.index || !o.index[0])
        o.index = ".lede";

    /* Options all went to getopt; a stray non-option left in argv is a word too. */
    char *query = NULL;
    for (int i = optind; i < argc; i++)
        words[nwords++] = argv[i];
    if (!o.batch) {
        if (nwords == 0) {
            fprintf(stderr, "%s: error: no query given\nTry '%s --help' for more information.\n",
                    prog, prog);
            return 2;
        }
        size_t len = 1;
        for (int i = 0; i < nwords; i++)
            len += strlen(words[i]) + 1;
        query = malloc(len);
        if (!query) {
            error("out of memory");
            return 2;
        }
        query[0] = '\0';
        for (int i = 0; i < nwords; i++) {
            if (i > 0)
                strcat(query, " ");
            strcat(query, words[i]);
        }
    } else if (nwords > 0) {
        usage_error("--batch reads queries from stdin; unexpected argument '%s'", words[0]);
        return 2;
    }

    lede_reader *r = NULL;
    lede_searcher *s = NULL;
    char *msg = NULL;
    int status = 2;
    lede_index_guard_faults("lede-query"); /* a damaged index: a message, not a crash */
    int rc = lede_reader_open(&r, o.index, &msg);
    if (rc != LEDE_OK) {
        fprintf(stderr, "%s: error: cannot open index %s: %s\n", prog, o.index,
                msg ? msg : lede_strerror(rc));
        goto cleanup;
    }
    free(msg);
    msg = NULL;
    if ((rc = lede_searcher_open(&s, r, &msg)) != LEDE_OK) {
        fprintf(stderr, "%s: error: %s\n", prog, msg ? msg : lede_strerror(rc));
        goto cleanup;
    }
    /* Many queries to come: read the document lengths, map the index and
     * warm the allocator once, before the first. */
    if (o.batch) {
        lede_searcher_preload(s);
        warm_heap();
    }
    status = o.batch ? run_batch(&o, r, s) : run_query(&o, r, s, NULL, query);
    /* ferror: a batch flushes after each query, so the last fflush may
     * have nothing left to write although an earlier one failed. */
    if ((fflush(stdout) != 0 || ferror(stdout)) && status != 2) {
        fprintf(stderr, "%s: error: cannot write output: %s\n", prog, strerror(errno));
        status = 2;
    }
cleanup:
    free(msg);
    free(query);
    lede_searcher_close(s);
    lede_reader_close(r);
    return status;
}

/*
 * Started with standard output or error closed (">&- 2>&-", as some cron
 * jobs and daemons start programs), the index's files would be opened as
 * descriptors 1 and 2, and the hits and notes written over LMDB's lock
 * file and data file: the index destroyed by a search.  So descriptors
 * 0-2 are made to exist first.  A closed standard output gets /dev/null
 * opened read-only, so that writing to it fails and is reported (exit 2),
 * as grep does, instead of results vanishing under exit status 0.
 */
static int guard_std_fds(void)
{
    static const int modes[3] = {O_RDONLY, O_RDONLY, O_WRONLY};
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = open("/dev/null", modes[fd]);
        if (got != fd) {
            if (got >= 0)
                close(got);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (guard_std_fds() != 0)
        return 2; /* nowhere safe to write even the message */
    char **opts = calloc((size_t)argc + 1, sizeof *opts);
    char **words = calloc((size_t)argc + 1, sizeof *words);
    int nopts = 0, nwords = 0;
    if (!opts || !words) {
        error("out of memory");
        free(opts);
        free(words);
        return 2;
    }
    split_args(argc, argv, opts, &nopts, words, &nwords);
    int status = query_main(nopts, opts, nwords, words);
    free(opts);
    free(words);
    return status;
}
