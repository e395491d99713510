/*
 * main.c — lede-index: options in, one library run, a summary out.
 *
 * Owns the option table (parsed with getopt_long; --help is printed from the
 * same table), the message style shared by the command ("lede-index: error:
 * ...", "lede-index: warning: FILE:LINE: ..."), the summary line and --json,
 * and the exit status (0 all indexed, 1 some inputs failed, 2 usage or fatal
 * error).  The work itself is in ingest.c and admin.c.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

/*
 * Print s with control characters escaped: file names and ids come from
 * the archive, and a name holding ESC sequences (or a newline) must neither
 * drive the terminal nor split one message into two lines.
 */
void cli_put_safe(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n')
            fputs("\\n", stderr);
        else if (c == '\t')
            fputs("\\t", stderr);
        else if (c < 0x20 || c == 0x7f)
            fprintf(stderr, "\\x%02x", c);
        else
            fputc(c, stderr);
    }
}

static void vput_safe(const char *fmt, va_list ap)
{
    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        cli_put_safe(small);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        cli_put_safe(small); /* cut short rather than lost */
        return;
    }
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    cli_put_safe(big);
    free(big);
}

void cli_warn(const char *where, size_t line, const char *fmt, ...)
{
    va_list ap;
    cli_progress_clear(cli_progress_current);
    fputs(PROG ": warning: ", stderr);
    if (where) {
        cli_put_safe(where);
        if (line)
            fprintf(stderr, ":%zu", line);
        fputs(": ", stderr);
    }
    va_start(ap, fmt);
    vput_safe(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    cli_progress_clear(cli_progress_current);
    fputs(PROG ": error: ", stderr);
    va_start(ap, fmt);
    vput_safe(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void cli_open_error(const char *dir, const char *err, int rc)
{
    /* The library's messages name the folder already ("cannot open the
     * index in DIR: Permission denied"): said twice, it read as a stutter. */
    if (err)
        cli_error("%s", err);
    else
        cli_error("cannot open the index %s: %s", dir, lede_strerror(rc));
}

static bool has_stdin_operand(const cli_options *o)
{
    for (size_t i = 0; i < o->npaths; i++)
        if (strcmp(o->paths[i], "-") == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

enum {
    OPT_ID_FIELD = 256, OPT_TITLE_FIELD, OPT_BODY_FIELD, OPT_DATE_FIELD, OPT_FILES_FROM,
    OPT_HIDDEN, OPT_PRUNE, OPT_DELETE, OPT_REBUILD, OPT_MAX_SIZE, OPT_LANGUAGE,
    OPT_LIST_LANGUAGES, OPT_STATS, OPT_CHECK, OPT_JSON, OPT_WAIT, OPT_STDIN_ID, OPT_COMPACT,
};

/* One row per option: getopt_long's table and --help are both built from
 * it.  in_help marks the ten that --help shows; lede-index(1) has them all. */
static const struct option_row {
    const char *name;
    int has_arg;
    int val;
    const char *arg;
    const char *help;
    bool in_help;
} option_rows[] = {
    {"index", required_argument, 'i', "DIR", "index folder (default $LEDE_INDEX, else ./.lede)", true},
    {"format", required_argument, 'f', "FMT", "txt, md, html, jsonl or json (default: by extension)", true},
    {"id-field", required_argument, OPT_ID_FIELD, "NAME", "JSON field holding the id", false},
    {"title-field", required_argument, OPT_TITLE_FIELD, "NAME", "JSON field holding the title", false},
    {"body-field", required_argument, OPT_BODY_FIELD, "NAME", "JSON field holding the text", true},
    {"date-field", required_argument, OPT_DATE_FIELD, "NAME", "JSON field holding the date", false},
    {"stdin-id", required_argument, OPT_STDIN_ID, "ID", "id of the document read from - (default stdin)", false},
    {"files-from", required_argument, OPT_FILES_FROM, "FILE", "read paths from FILE, one a line", false},
    {"null", no_argument, '0', NULL, "--files-from paths end with NUL", false},
    {"hidden", no_argument, OPT_HIDDEN, NULL, "also index hidden files and folders", false},
    {"prune", no_argument, OPT_PRUNE, NULL, "remove documents whose files are gone", true},
    {"delete", no_argument, OPT_DELETE, NULL, "the operands are ids of documents to remove", true},
    {"rebuild", no_argument, OPT_REBUILD, NULL, "start a new index from scratch", true},
    {"compact", no_argument, OPT_COMPACT, NULL, "give back the space updates freed", false},
    {"jobs", required_argument, 'j', "N", "analysis threads (default: number of cores)", true},
    {"memory", required_argument, 'm', "SIZE", "memory budget per batch (default 256M)", false},
    {"max-size", required_argument, OPT_MAX_SIZE, "SIZE", "stop when the index reaches SIZE", false},
    {"language", required_argument, OPT_LANGUAGE, "LANG", "stemming language of a new index", false},
    {"list-languages", no_argument, OPT_LIST_LANGUAGES, NULL, "list stemming languages", false},
    {"stats", no_argument, OPT_STATS, NULL, "show what the index holds", true},
    {"check", no_argument, OPT_CHECK, NULL, "verify the index", false},
    {"wait", no_argument, OPT_WAIT, NULL, "wait for another lede-index to finish", false},
    {"quiet", no_argument, 'q', NULL, "no progress bar and no summary", true},
    {"json", no_argument, OPT_JSON, NULL, "print the summary (or --stats) as JSON", false},
    {"verbose", no_argument, 'v', NULL, "name each document added, updated or deleted", false},
    {"help", no_argument, 'h', NULL, "show this help", true},
    {"version", no_argument, 'V', NULL, "show version information", false},
};

static void print_help(void)
{
    printf("Usage: " PROG " [OPTION]... PATH...\n"
           "Index articles (folders, .txt .md .html files, .jsonl and .json dumps; - for\n"
           "stdin) for lede-query.  Re-running indexes only what changed.\n\nOptions:\n");
    for (size_t i = 0; i < ARRAY_SIZE(option_rows); i++) {
        const struct option_row *o = &option_rows[i];
        if (!o->in_help)
            continue;
        char left[40];
        if (o->val < 256)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->val, o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "",
                     o->arg ? o->arg : "");
        printf("  %-24s %s\n", left, o->help);
    }
    printf("\nExamples:\n"
           "  " PROG " ~/articles                  index a folder into ./.lede\n"
           "  " PROG " -i news.idx dump.jsonl      index a JSON Lines dump\n"
           "  " PROG " --prune ~/articles          update, dropping deleted files\n"
           "\nExit status: 0 all indexed, 1 some inputs failed, 2 usage or fatal error.\n"
           "See lede-index(1) for every option.\n");
}

static void print_version(void)
{
    printf(PROG " %s\n%s\n", lede_version(), lede_library_versions());
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry '" PROG " --help' for more information.\n", stderr);
    return EXIT_FATAL;
}

/* "256M", "1.5G", "4096", "64KiB" → bytes (binary multiples). */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return LEDE_EINVAL;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (strcasecmp(end, "ib") == 0 || strcasecmp(end, "b") == 0)
        end += strlen(end);
    if (*end || v * mult >= 1.8e19)
        return LEDE_EINVAL;
    *out = (uint64_t)(v * mult);
    return LEDE_OK;
}

typedef struct cli_action {
    bool list_languages, stats, check, delete_mode;
} cli_action;

static int parse_args(int argc, char **argv, cli_options *o, cli_action *act, bool *done)
{
    struct option longopts[ARRAY_SIZE(option_rows) + 1];
    char shortopts[64];
    size_t ns = 0;
    for (size_t i = 0; i < ARRAY_SIZE(option_rows); i++) {
        const struct option_row *r = &option_rows[i];
        longopts[i] = (struct option){r->name, r->has_arg, NULL, r->val};
        if (r->val < 256) {
            shortopts[ns++] = (char)r->val;
            if (r->has_arg == required_argument)
                shortopts[ns++] = ':';
        }
    }
    longopts[ARRAY_SIZE(option_rows)] = (struct option){0};
    shortopts[ns] = '\0';

    *done = false;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        uint64_t size;
        char *end;
        switch (c) {
        case 'i': o->index_dir = optarg; break;
        case 'f':
            if (lede_extract_format_parse(&o->format, optarg))
                return usage_error("unknown format '%s' (txt, md, html, jsonl or json)", optarg);
            break;
        case OPT_ID_FIELD: o->fields.id = optarg; break;
        case OPT_TITLE_FIELD: o->fields.title = optarg; break;
        case OPT_BODY_FIELD: o->fields.body = optarg; break;
        case OPT_DATE_FIELD: o->fields.date = optarg; break;
        case OPT_FILES_FROM: o->files_from = optarg; break;
        case OPT_STDIN_ID:
            if (!*optarg || strlen(optarg) > 4096)
                return usage_error("%s", "--stdin-id wants an id of 1 to 4096 bytes");
            o->stdin_id = optarg;
            break;
        case '0': o->null_sep = true; break;
        case OPT_HIDDEN: o->hidden = true; break;
        case OPT_PRUNE: o->prune = true; break;
        case OPT_DELETE: act->delete_mode = true; break;
        case OPT_REBUILD: o->rebuild = true; break;
        case OPT_COMPACT: o->compact = true; break;
        case 'j': {
            errno = 0;
            long n = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || n < 0 || n > 1024)
                return usage_error("-j wants a number of threads from 0 (all cores) to 1024, "
                                   "not '%s'",
                                   optarg);
            o->threads = (int)n;
            break;
        }
        case 'm':
            if (parse_size(optarg, &size) || size < 1024 * 1024 || size > SIZE_MAX)
                return usage_error("--memory wants a size of at least 1M such as 256M or 2G, "
                                   "not '%s'",
                                   optarg);
            o->memory = (size_t)size;
            break;
        case OPT_MAX_SIZE:
            if (parse_size(optarg, &size) || size == 0)
                return usage_error("--max-size wants a size such as 500M or 10G, not '%s'",
                                   optarg);
            o->max_size = size;
            break;
        case OPT_LANGUAGE: o->language = optarg; break;
        case OPT_LIST_LANGUAGES: act->list_languages = true; break;
        case OPT_STATS: act->stats = true; break;
        case OPT_CHECK: act->check = true; break;
        case OPT_WAIT: o->wait = true; break;
        case 'q': o->quiet = true; break;
        case OPT_JSON: o->json = true; break;
        case 'v': o->verbose = true; break;
        case 'h':
            print_help();
            *done = true;
            return EXIT_ALL_INDEXED;
        case 'V':
            print_version();
            *done = true;
            return EXIT_ALL_INDEXED;
        case ':':
            return usage_error("option '%s' needs a value", argv[optind - 1]);
        default:
            if (optopt && optopt < 256) {
                char opt[3] = {'-', (char)optopt, '\0'};
                return usage_error("unknown option '%s'", opt);
            }
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    o->paths = (const char *const *)argv + optind;
    o->npaths = (size_t)(argc - optind);
    return EXIT_ALL_INDEXED;
}

static int check_language(const char *lang)
{
    if (strcmp(lang, "none") == 0)
        return LEDE_OK;
    const char *const *langs = lede_stem_languages();
    for (size_t i = 0; langs && langs[i]; i++)
        if (strcmp(langs[i], lang) == 0)
            return LEDE_OK;
    return LEDE_ENOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Summary                                                             */
/* ------------------------------------------------------------------ */

static void print_summary(const cli_options *o, const cli_counts *c, int status)
{
    double mb = (double)c->bytes / 1e6;
    double mbs = c->seconds > 0 ? mb / c->seconds : 0;
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        if (!j)
            return;
        cJSON_AddStringToObject(j, "index", o->index_dir);
        cJSON_AddNumberToObject(j, "added", (double)c->added);
        cJSON_AddNumberToObject(j, "updated", (double)c->updated);
        cJSON_AddNumberToObject(j, "unchanged", (double)c->unchanged);
        cJSON_AddNumberToObject(j, "deleted", (double)c->deleted);
        cJSON_AddNumberToObject(j, "failed", (double)c->failed);
        cJSON_AddNumberToObject(j, "repaired", (double)c->repaired);
        cJSON_AddNumberToObject(j, "bytes", (double)c->bytes);
        cJSON_AddNumberToObject(j, "seconds", c->seconds);
        cJSON_AddNumberToObject(j, "mb_per_s", mbs);
        if (c->compact_after) {
            cJSON_AddNumberToObject(j, "compacted_from_bytes", (double)c->compact_before);
            cJSON_AddNumberToObject(j, "compacted_to_bytes", (double)c->compact_after);
        }
        cJSON_AddNumberToObject(j, "exit_status", status);
        char *s = cJSON_PrintUnformatted(j);
        if (s)
            printf("%s\n", s);
        free(s);
        cJSON_Delete(j);
        return;
    }
    if (o->quiet)
        return;
    /* --compact alone indexed nothing: no counts to give. */
    if (o->npaths || o->files_from || o->prune || o->ndelete) {
        printf("%llu added, %llu updated, %llu unchanged, %llu deleted, %llu failed",
               (unsigned long long)c->added, (unsigned long long)c->updated,
               (unsigned long long)c->unchanged, (unsigned long long)c->deleted,
               (unsigned long long)c->failed);
        if (c->repaired)
            printf(" (%llu repaired)", (unsigned long long)c->repaired);
        printf(" in %.2f s, %.1f MB/s\n", c->seconds, mbs);
    }
    if (c->compact_after)
        printf("compacted %s: %.1f MB -> %.1f MB\n", o->index_dir, (double)c->compact_before / 1e6,
               (double)c->compact_after / 1e6);
}

int main(int argc, char **argv)
{
    cli_options o = {0};
    cli_action act = {0};
    bool done;

    int status = parse_args(argc, argv, &o, &act, &done);
    if (status || done)
        return status;
    lede_index_guard_faults("lede-index"); /* a damaged index: a message, not a crash */
    if (!o.index_dir) {
        const char *env = getenv("LEDE_INDEX");
        o.index_dir = env && *env ? env : "./.lede";
    }
    /* "-i news.lede/" (as tab completion writes it) must name the same
     * folder as "news.lede": --rebuild builds DIR.rebuild beside it and
     * renames, and "news.lede/.rebuild" inside it could not be swapped in. */
    size_t dir_len = strlen(o.index_dir);
    while (dir_len > 1 && o.index_dir[dir_len - 1] == '/')
        dir_len--;
    static char *index_dir; /* for the whole run (static: reachable to the end) */
    if (!(index_dir = strndup(o.index_dir, dir_len))) {
        cli_error("out of memory");
        return EXIT_FATAL;
    }
    o.index_dir = index_dir;
    if (act.list_languages)
        return cli_list_languages();
    if (o.language && check_language(o.language))
        return usage_error("unknown language '%s' (see --list-languages)", o.language);
    if (act.stats || act.check) {
        if (o.npaths || o.files_from || act.delete_mode || o.prune || o.rebuild || o.compact)
            return usage_error("%s takes no paths and no other action",
                               act.stats ? "--stats" : "--check");
        if (act.stats && (status = cli_stats(&o)) != EXIT_ALL_INDEXED)
            return status;
        return act.check ? cli_check(&o) : status;
    }
    if (act.delete_mode) {
        if (!o.npaths)
            return usage_error("%s", "--delete needs the ids of the documents to remove");
        if (o.files_from || o.rebuild)
            return usage_error("%s", "--delete takes ids, not paths to index");
        o.delete_ids = (const char **)o.paths;
        o.ndelete = o.npaths;
        o.paths = NULL;
        o.npaths = 0;
    } else if (!o.npaths && !o.files_from && !o.prune && !o.compact) {
        return usage_error("%s", "nothing to index: give PATH... (a folder, a file, or - for "
                                 "stdin) or --files-from FILE");
    }
    if (o.stdin_id && !has_stdin_operand(&o))
        return usage_error("%s", "--stdin-id names the document read from -; give - as a path");
    if (o.null_sep && !o.files_from)
        return usage_error("%s", "-0 goes with --files-from");

    cli_counts counts;
    status = cli_ingest(&o, &counts);
    if (status != EXIT_FATAL || o.json)
        print_summary(&o, &counts, status);
    return status;
}
