/*
 * lede-bench — helpers for the benchmark scripts (bench/relevance,
 * bench/query): the SQLite FTS5 baseline, query reduction, the Reuters query
 * set, percentiles and process wall time.  Not part of lede itself.
 *
 *   lede-bench reduce                  qid<TAB>query on stdin → plain words
 *   lede-bench fts5-index DB JSONL     build an FTS5 table of title + body
 *   lede-bench fts5-query DB [-n N] [--timing] [--format trec|ids] [--query Q]
 *                                      answer qid<TAB>words from stdin (or the
 *                                      one query Q), OR of the words, ranked
 *                                      by bm25()
 *   lede-bench make-queries JSONL PEOPLE ORGS N
 *                                      N real queries from Reuters: headlines,
 *                                      people and organisations, keywords
 *   lede-bench percentiles             numbers (or qid<TAB>number) on stdin →
 *                                      "n p50 p95 p99 mean"
 *   lede-bench wall RUNS CMD [ARG...]  run CMD RUNS times (stdout discarded),
 *                                      print the median wall and CPU time in ms
 *
 * Query reduction is the one the issue describes for the peers' figures:
 * everything but letters and digits becomes a space, lower case, and the
 * words and/or/not/near are dropped, so nothing in a test query becomes an
 * operator in either engine.
 */
#include "common.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <utf8proc.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const char *arg)
{
    fprintf(stderr, "lede-bench: error: %s%s\n", what, arg);
    exit(2);
}

/* ------------------------------------------------------------------ */
/* Query reduction                                                    */
/* ------------------------------------------------------------------ */

/* Reduce s to lower-case words of letters and digits; returns malloc'd text. */
static char *reduce_query(const char *s, size_t len)
{
    char *out = malloc(4 * len + 2), *word = malloc(4 * len + 2);
    size_t olen = 0, wlen = 0;
    const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)s;
    size_t i = 0;
    if (out == NULL || word == NULL)
        die("", "out of memory");
    for (;;) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t n = 1;
        if (i < len) {
            n = utf8proc_iterate(u + i, (utf8proc_ssize_t)(len - i), &cp);
            if (n <= 0) {
                n = 1;
                cp = -1;
            }
        }
        int keep = 0;
        if (cp >= 0) {
            utf8proc_category_t cat = utf8proc_category(cp);
            keep = (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                   (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
        }
        if (keep) {
            wlen += (size_t)utf8proc_encode_char(utf8proc_tolower(cp),
                                                 (utf8proc_uint8_t *)word + wlen);
        } else if (wlen > 0) {
            word[wlen] = '\0';
            if (strcmp(word, "and") != 0 && strcmp(word, "or") != 0 &&
                strcmp(word, "not") != 0 && strcmp(word, "near") != 0) {
                if (olen)
                    out[olen++] = ' ';
                memcpy(out + olen, word, wlen);
                olen += wlen;
            }
            wlen = 0;
        }
        if (i >= len)
            break;
        i += (size_t)n;
    }
    out[olen] = '\0';
    free(word);
    return out;
}

/* Split "qid<TAB>text" (a line without its newline); qid "" when no tab. */
static void split_qid(char *line, char **qid, char **text)
{
    char *tab = strchr(line, '\t');
    if (tab) {
        *tab = '\0';
        *qid = line;
        *text = tab + 1;
    } else {
        *qid = "";
        *text = line;
    }
}

static int cmd_reduce(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *qid, *text;
        split_qid(line, &qid, &text);
        char *r = reduce_query(text, strlen(text));
        if (*qid)
            printf("%s\t%s\n", qid, r);
        else
            printf("%s\n", r);
        free(r);
    }
    free(line);
    return 0;
}

/* ------------------------------------------------------------------ */
/* SQLite FTS5                                                        */
/* ------------------------------------------------------------------ */

static void sql_check(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "lede-bench: error: sqlite %s: %s\n", what, sqlite3_errmsg(db));
        exit(2);
    }
}

static const char *json_str(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static int cmd_fts5_index(const char *dbpath, const char *jsonl)
{
    sqlite3 *db;
    sqlite3_stmt *ins;
    FILE *f = fopen(jsonl, "rb");
    if (f == NULL)
        die("cannot open ", jsonl);
    unlink(dbpath);
    sql_check(NULL, sqlite3_open(dbpath, &db), "open");
    double t0 = now_us();
    sql_check(db,
              sqlite3_exec(db,
                           "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                           "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body,"
                           " tokenize='porter unicode61 remove_diacritics 2');"
                           "BEGIN;",
                           NULL, NULL, NULL),
              "create");
    sql_check(db, sqlite3_prepare_v2(db, "INSERT INTO docs(id,title,body) VALUES(?,?,?)", -1,
                                     &ins, NULL),
              "prepare");
    char *line = NULL;
    size_t cap = 0, ndocs = 0, lineno = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        if (o == NULL) {
            fprintf(stderr, "lede-bench: warning: %s:%zu: malformed JSON, skipped\n", jsonl,
                    lineno);
            continue;
        }
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
        char idbuf[32];
        const char *ids = cJSON_IsString(id) ? id->valuestring : NULL;
        if (ids == NULL && cJSON_IsNumber(id)) {
            snprintf(idbuf, sizeof idbuf, "%.0f", id->valuedouble);
            ids = idbuf;
        }
        if (ids == NULL)
            ids = "";
        sqlite3_bind_text(ins, 1, ids, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 2, json_str(o, "title"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 3, json_str(o, "body"), -1, SQLITE_TRANSIENT);
        sql_check(db, sqlite3_step(ins), "insert");
        sqlite3_reset(ins);
        cJSON_Delete(o);
        ndocs++;
    }
    sql_check(db, sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL), "commit");
    double t1 = now_us();
    sqlite3_finalize(ins);
    sqlite3_close(db);
    fclose(f);
    free(line);
    fprintf(stderr, "fts5: indexed %zu documents in %.2f s\n", ndocs, (t1 - t0) / 1e6);
    return 0;
}

/* FTS5 query text: every word quoted (no operators), joined by OR. */
static char *fts5_match(const char *words)
{
    size_t len = strlen(words);
    char *out = malloc(len * 6 + 8), *o = out;
    const char *p = words;
    if (out == NULL)
        die("", "out of memory");
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        if (o != out)
            o += sprintf(o, " OR ");
        *o++ = '"';
        while (*p && *p != ' ') {
            if (*p == '"')
                *o++ = '"';
            *o++ = *p++;
        }
        *o++ = '"';
    }
    *o = '\0';
    return out;
}

static int cmd_fts5_query(int argc, char **argv)
{
    const char *dbpath = NULL, *format = "trec", *one_query = NULL;
    int limit = 1000, timing = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            limit = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timing") == 0)
            timing = 1;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strcmp(argv[i], "--query") == 0 && i + 1 < argc)
            one_query = argv[++i];
        else if (dbpath == NULL)
            dbpath = argv[i];
        else
            die("unexpected argument ", argv[i]);
    }
    if (dbpath == NULL)
        die("", "fts5-query needs DB");
    sqlite3 *db;
    sqlite3_stmt *st;
    sql_check(NULL, sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), "open");
    sql_check(db,
              sqlite3_prepare_v2(db,
                                 "SELECT id, bm25(docs) FROM docs WHERE docs MATCH ?"
                                 " ORDER BY bm25(docs) LIMIT ?",
                                 -1, &st, NULL),
              "prepare");
    char *line = NULL;
    size_t cap = 0, qno = 0;
    ssize_t n;
    /* --query answers one query given on the command line (for timing a
     * whole process); otherwise queries come from stdin. */
    while (one_query ? qno == 0 : (n = getline(&line, &cap, stdin)) > 0) {
        if (one_query) {
            line = strdup(one_query);
            n = (ssize_t)strlen(line);
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        char *qid, *text, qbuf[32];
        split_qid(line, &qid, &text);
        qno++;
        if (!*qid) {
            snprintf(qbuf, sizeof qbuf, "%zu", qno);
            qid = qbuf;
        }
        char *m = fts5_match(text);
        double t0 = now_us();
        int rank = 0;
        if (*m) {
            sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int(st, 2, limit);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                rank++;
                if (strcmp(format, "trec") == 0)
                    printf("%s Q0 %s %d %.6f fts5\n", qid, sqlite3_column_text(st, 0), rank,
                           -sqlite3_column_double(st, 1));
                else
                    printf("%s\t%s\n", qid, sqlite3_column_text(st, 0));
            }
            sql_check(db, rc, "query");
            sqlite3_reset(st);
        }
        double t1 = now_us();
        if (timing)
            fprintf(stderr, "%s\t%.0f\n", qid, t1 - t0);
        free(m);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(line);
    return 0;
}

/* ------------------------------------------------------------------ */
/* The Reuters query set                                              */
/* ------------------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    /* xorshift64*: fixed seed, so every run benchmarks the same queries. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

static void strv_push(strv *s, char *p)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
        if (s->v == NULL)
            die("", "out of memory");
    }
    s->v[s->n++] = p;
}

static void read_lines(strv *out, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (f == NULL)
        die("cannot open ", path);
    while ((n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n > 0)
            strv_push(out, strdup(line));
    }
    free(line);
    fclose(f);
}

static const char *const STOP[] = {
    "the", "a", "an", "of", "to", "in", "for", "on", "at", "by", "with", "from", "said", "it",
    "is", "was", "be", "as", "its", "this", "that", "will", "has", "have", "he", "we", "are",
    "were", "but", "which", "they", "mln", "pct", "dlrs", "reuter", "also", "year", "would",
    "been", "had", "not", "than", "after", "their", "up", "s", "vs", "cts", "last", "new"};

static int is_stop(const char *w)
{
    for (size_t i = 0; i < ARRAY_SIZE(STOP); i++)
        if (strcmp(w, STOP[i]) == 0)
            return 1;
    return 0;
}

/* Capitalise each word of a tag like "james-baker" → "James Baker". */
static char *tag_to_name(const char *tag, int acronyms)
{
    char *out = strdup(tag);
    int start = 1;
    size_t wl = 0;
    for (char *p = out; *p; p++) {
        if (*p == '-' || *p == '_' || *p == ' ') {
            *p = ' ';
            start = 1;
            continue;
        }
        if (start) {
            wl = strcspn(p, "-_ ");
            *p = (char)((*p >= 'a' && *p <= 'z') ? *p - 32 : *p);
            start = 0;
        } else if (acronyms && wl <= 4 && *p >= 'a' && *p <= 'z') {
            *p = (char)(*p - 32); /* "adb" → "ADB", as organisations are written */
        }
    }
    return out;
}

static int cmd_make_queries(const char *jsonl, const char *people, const char *orgs, int total)
{
    strv titles = {0}, bodies = {0}, names = {0}, orgv = {0};
    FILE *f = fopen(jsonl, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    if (f == NULL)
        die("cannot open ", jsonl);
    while ((n = getline(&line, &cap, f)) > 0) {
        cJSON *o = cJSON_ParseWithLength(line, (size_t)n);
        if (o == NULL)
            continue;
        const char *t = json_str(o, "title"), *b = json_str(o, "body");
        if (*t && *b) {
            strv_push(&titles, reduce_query(t, strlen(t)));
            strv_push(&bodies, reduce_query(b, strlen(b)));
        }
        cJSON_Delete(o);
    }
    fclose(f);
    free(line);
    read_lines(&names, people);
    read_lines(&orgv, orgs);
    if (titles.n == 0 || names.n == 0)
        die("", "no documents or names");

    /* A third each: headlines, names (people and organisations), keywords. */
    int nh = total / 3, nn = total / 3, nk = total - nh - nn;
    int made = 0;
    for (int i = 0; i < nh; made++) {
        const char *t = titles.v[rng() % titles.n];
        /* Headline words, at most six, as someone would retype them. */
        char buf[256];
        size_t bl = 0;
        int words = 0;
        for (const char *p = t; *p && words < 6;) {
            size_t wl = strcspn(p, " ");
            if (wl > 0 && bl + wl + 2 < sizeof buf) {
                if (bl)
                    buf[bl++] = ' ';
                memcpy(buf + bl, p, wl);
                bl += wl;
                words++;
            }
            p += wl;
            while (*p == ' ')
                p++;
        }
        buf[bl] = '\0';
        if (words >= 2) {
            printf("h%03d\t%s\n", ++i, buf);
        }
        if (made > 100000)
            break;
    }
    for (int i = 0; i < nn; i++) {
        int org = (rng() % 4) == 0 && orgv.n > 0;
        const char *tag = org ? orgv.v[rng() % orgv.n] : names.v[rng() % names.n];
        char *name = tag_to_name(tag, org);
        printf("n%03d\t%s\n", i + 1, name);
        free(name);
    }
    for (int i = 0; i < nk;) {
        const char *b = bodies.v[rng() % bodies.n];
        /* Two to five content words drawn from one document's body. */
        strv w = {0};
        char *copy = strdup(b);
        for (char *tok = strtok(copy, " "); tok; tok = strtok(NULL, " "))
            if (strlen(tok) >= 3 && !is_stop(tok) && !(tok[0] >= '0' && tok[0] <= '9'))
                strv_push(&w, tok);
        int want = 2 + (int)(rng() % 4);
        if ((int)w.n >= want) {
            printf("k%03d\t", ++i);
            for (int k = 0; k < want; k++)
                printf("%s%s", k ? " " : "", w.v[rng() % w.n]);
            printf("\n");
        }
        free(w.v);
        free(copy);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Figures                                                            */
/* ------------------------------------------------------------------ */

static int dbl_cmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile of sorted v[0..n). */
static double pct(const double *v, size_t n, double p)
{
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1)
        k = 1;
    return v[k - 1];
}

static int cmd_percentiles(void)
{
    double *v = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t r;
    double sum = 0;
    while ((r = getline(&line, &lcap, stdin)) > 0) {
        char *p = strrchr(line, '\t');
        p = p ? p + 1 : line;
        char *e;
        double x = strtod(p, &e);
        if (e == p)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            v = realloc(v, cap * sizeof *v);
            if (v == NULL)
                die("", "out of memory");
        }
        v[n++] = x;
        sum += x;
    }
    free(line);
    if (n == 0) {
        printf("0 - - - -\n");
        return 1;
    }
    qsort(v, n, sizeof *v, dbl_cmp);
    printf("%zu %.1f %.1f %.1f %.1f\n", n, pct(v, n, 50), pct(v, n, 95), pct(v, n, 99),
           sum / (double)n);
    free(v);
    return 0;
}

/*
 * Run cmd runs times; print the median wall time and the median CPU time
 * (user + system, from wait4) in ms.  On a loaded machine the wall time
 * includes waiting for a core; the CPU time does not.
 */
static int cmd_wall(int runs, char **cmd)
{
    double *t = calloc((size_t)runs, sizeof *t), *cpu = calloc((size_t)runs, sizeof *cpu);
    if (t == NULL || cpu == NULL)
        die("", "out of memory");
    for (int i = 0; i < runs; i++) {
        double t0 = now_us();
        pid_t pid = fork();
        if (pid < 0)
            die("", "fork failed");
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                close(fd);
            }
            execvp(cmd[0], cmd);
            _exit(127);
        }
        int status;
        struct rusage ru;
        wait4(pid, &status, 0, &ru);
        t[i] = (now_us() - t0) / 1000.0;
        cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            die("cannot run ", cmd[0]);
        if (!WIFEXITED(status) || WEXITSTATUS(status) >= 2) {
            /* Exit 1 is "nothing matched"; 2 and above (or a signal) is a
             * failure, and its time means nothing. */
            printf("- -\n");
            fprintf(stderr, "lede-bench: %s failed (status %d)\n", cmd[0], status);
            free(t);
            free(cpu);
            return 1;
        }
    }
    qsort(t, (size_t)runs, sizeof *t, dbl_cmp);
    qsort(cpu, (size_t)runs, sizeof *cpu, dbl_cmp);
    printf("%.2f %.2f\n", t[runs / 2], cpu[runs / 2]);
    free(t);
    free(cpu);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: lede-bench reduce | fts5-index DB JSONL | fts5-query DB [-n N] "
                    "[--timing] [--format trec|ids] [--query TEXT]\n"
                    "       | make-queries JSONL PEOPLE ORGS N | percentiles | wall RUNS CMD...\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    const char *c = argv[1];
    if (strcmp(c, "reduce") == 0)
        return cmd_reduce();
    if (strcmp(c, "fts5-index") == 0 && argc == 4)
        return cmd_fts5_index(argv[2], argv[3]);
    if (strcmp(c, "fts5-query") == 0)
        return cmd_fts5_query(argc - 2, argv + 2);
    if (strcmp(c, "make-queries") == 0 && argc == 6)
        return cmd_make_queries(argv[2], argv[3], argv[4], atoi(argv[5]));
    if (strcmp(c, "percentiles") == 0)
        return cmd_percentiles();
    if (strcmp(c, "wall") == 0 && argc >= 4 && atoi(argv[2]) > 0)
        return cmd_wall(atoi(argv[2]), argv + 3);
    usage();
    return 2;
}
