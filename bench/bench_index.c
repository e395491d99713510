/*
 * bench_index.c — indexing throughput, peak memory and index size: lede
 * against SQLite FTS5 on the same JSON Lines collections, in one run.
 *
 *   bench_index [FILE.jsonl...]
 *
 * Default collections: Reuters-21578, Wikinews and Gutenberg (the peer table) from
 * $LEDE_SHARED_DIR/corpora (default ../shared/corpora).  For each one:
 *
 *   lede -j 1      the lede-index binary beside this program, one analysis
 *                  thread, into a fresh index (whole process, as the peers
 *                  in issue 4 were measured);
 *   lede default   the same with the default thread count;
 *   extract only   reading and extracting the records as lede-index does,
 *                  without indexing them: the command's own share;
 *   FTS5           a child process that parses the same file with cJSON and
 *                  inserts title+body into an FTS5 table (tokenizer
 *                  `porter unicode61 remove_diacritics 2`) in one transaction.
 *
 * Then the floor of the throughput target: on one thread, in this process,
 * the CPU time of the three steps every document needs whatever the index
 * (extracting the JSON record with cJSON, analysing title and body with
 * stemming and names, compressing the body with zstd and the dictionary
 * lede-index would train, as it does), against the CPU that 3x FTS5's throughput
 * would leave on this machine's cores with perfect scaling.  Neither term
 * tables, postings nor LMDB are counted: it is a lower bound.
 *
 * Each is run REPEAT times (env LEDE_BENCH_REPEAT, default 3); the median
 * wall time is reported, with the peak RSS of that child (wait4) and the
 * on-disk size of what it wrote.  The ratio is FTS5 seconds / lede seconds
 * (above 1 = lede faster), in wall time and in CPU time (user + system, which
 * a loaded machine disturbs less).  Figures only, never pass/fail.
 */
#include "extract.h"

#include <cjson/cJSON.h>
#include <lede/analysis.h>
#include <zstd.h>

#include "reader.h"
#include "writer.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct result {
    double seconds;
    double cpu;     /* user + system seconds of the child: steadier than wall
                       time on a shared machine */
    double rss_mb;
    double disk_mb;
    int status;
} result;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t disk_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return (uint64_t)st.st_blocks * 512;
    uint64_t total = 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char sub[PATH_MAX];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        total += disk_bytes(sub);
    }
    closedir(d);
    return total;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                char sub[PATH_MAX];
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                remove_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- FTS5 (runs in a child so its RSS is its own) ----------------- */

static int fts5_index(const char *jsonl, const char *db_path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    FILE *f = fopen(jsonl, "rb");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 1;

    if (!f || sqlite3_open(db_path, &db) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE docs USING fts5(title, body, "
                     "tokenize='porter unicode61 remove_diacritics 2');"
                     "BEGIN;",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto cleanup;
    if (sqlite3_prepare_v2(db, "INSERT INTO docs(title, body) VALUES (?, ?)", -1, &ins, NULL) !=
        SQLITE_OK)
        goto cleanup;
    while ((len = getline(&line, &cap, f)) >= 0) {
        cJSON *o = cJSON_ParseWithLength(line, (size_t)len);
        if (!o)
            continue;
        cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "title");
        cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "body");
        sqlite3_bind_text(ins, 1, cJSON_IsString(t) ? t->valuestring : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, cJSON_IsString(b) ? b->valuestring : "", -1, SQLITE_STATIC);
        int step = sqlite3_step(ins);
        sqlite3_reset(ins);
        cJSON_Delete(o);
        if (step != SQLITE_DONE)
            goto cleanup;
    }
    if (sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
        goto cleanup;
    rc = 0;
cleanup:
    if (rc && db)
        fprintf(stderr, "bench_index: FTS5: %s\n", sqlite3_errmsg(db));
    sqlite3_finalize(ins);
    sqlite3_close(db);
    free(line);
    if (f)
        fclose(f);
    return rc;
}

/* ---- what the command itself costs -------------------------------- */

/* Read and extract every record as lede-index does, without indexing: the
 * share of the time and memory that is the command's, not the library's. */
static int extract_only(const char *jsonl)
{
    FILE *f = fopen(jsonl, "rb");
    char *line = NULL;
    size_t cap = 0, n = 0;
    ssize_t len;
    if (!f)
        return 1;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lede_extracted x;
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        if (lede_extract_json(&x, line, (size_t)len, NULL, NULL, 0) == LEDE_OK)
            n++;
        lede_extracted_clear(&x);
    }
    free(line);
    fclose(f);
    return n ? 0 : 1;
}

/* ---- the floor: what every document costs whatever the index ------ */

typedef struct floor_cost {
    double extract, analyse, compress; /* thread CPU seconds */
    size_t docs, tokens;
    double text_bytes; /* of titles and bodies: what issue 4's size target
                          compares the index with */
} floor_cost;

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_token(const lede_token *tok, void *payload)
{
    (void)tok;
    ++*(size_t *)payload;
    return 0;
}

/* The text dictionary lede-index would train from these records: the start
 * of each body of the first job it analyses (its first 512 documents).
 * NULL when there is too little to learn from. */
static ZSTD_CDict *floor_dict(char *const *lines, const size_t *lens, size_t n)
{
    lede_buf samples = LEDE_BUF_INIT;
    size_t sizes[512], ns = 0;
    for (size_t i = 0; i < n && i < 512; i++) {
        lede_extracted x;
        if (lede_extract_json(&x, lines[i], lens[i], NULL, NULL, 0) == LEDE_OK && x.body_len) {
            sizes[ns] = x.body_len < LEDE_ZDICT_SAMPLE ? x.body_len : LEDE_ZDICT_SAMPLE;
            lede_buf_append(&samples, x.body, sizes[ns++]);
        }
        lede_extracted_clear(&x);
    }
    uint8_t *dict = NULL;
    size_t len = 0;
    ZSTD_CDict *cd = NULL;
    if (samples.rc == LEDE_OK &&
        lede_zdict_train(LEDE_ZDICT_TEXT, &samples, sizes, ns, &dict, &len) == LEDE_OK && dict)
        cd = ZSTD_createCDict(dict, len, lede_zdict_level(LEDE_ZDICT_TEXT));
    free(dict);
    lede_buf_free(&samples);
    return cd;
}

/* The file's records in memory, then each step timed on its own. */
static int floor_measure(const char *jsonl, floor_cost *fc)
{
    memset(fc, 0, sizeof *fc);
    FILE *f = fopen(jsonl, "rb");
    if (!f)
        return 1;
    char **lines = NULL, *line = NULL;
    size_t *lens = NULL, n = 0, cap = 0, lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            char **l = realloc(lines, cap * sizeof *l);
            size_t *s = realloc(lens, cap * sizeof *s);
            if (l)
                lines = l;
            if (s)
                lens = s;
            if (!l || !s)
                break;
        }
        if (len && line[len - 1] == '\n')
            line[--len] = '\0';
        lines[n] = line;
        lens[n++] = (size_t)len;
        line = NULL;
        lcap = 0;
    }
    free(line);
    fclose(f);

    lede_analyzer *a = NULL;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CDict *cd = floor_dict(lines, lens, n);
    char *out = NULL;
    size_t out_cap = 0;
    int rc = lede_analyzer_new(&a, "english") == LEDE_OK && cc ? 0 : 1;
    lede_entity_list ents = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        lede_extracted x;
        double t0 = thread_cpu();
        int ok = lede_extract_json(&x, lines[i], lens[i], NULL, NULL, 0) == LEDE_OK;
        double t1 = thread_cpu();
        fc->extract += t1 - t0;
        if (ok) {
            fc->docs++;
            fc->text_bytes += (double)x.title_len + (double)x.body_len;
            lede_analyze_doc(a, x.title ? x.title : "", x.title_len, 0, count_token, &fc->tokens,
                             NULL, &ents);
            lede_analyze_doc(a, x.body, x.body_len, (uint32_t)x.title_len + 1, count_token,
                             &fc->tokens, NULL, &ents);
            lede_entity_list_reset(&ents);
            double t2 = thread_cpu();
            fc->analyse += t2 - t1;
            size_t bound = ZSTD_compressBound(x.body_len);
            if (bound > out_cap) {
                free(out);
                out = malloc(out_cap = bound);
            }
            size_t z = !out ? 1
                       : cd ? ZSTD_compress_usingCDict(cc, out, bound, x.body, x.body_len, cd)
                            : ZSTD_compressCCtx(cc, out, bound, x.body, x.body_len,
                                                lede_zdict_level(LEDE_ZDICT_TEXT));
            if (!out || ZSTD_isError(z))
                rc = 1;
            fc->compress += thread_cpu() - t2;
        }
        lede_extracted_clear(&x);
    }
    lede_entity_list_clear(&ents);
    lede_analyzer_free(a);
    ZSTD_freeCDict(cd);
    ZSTD_freeCCtx(cc);
    free(out);
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
    free(lens);
    return rc;
}

/* ---- one measured child ------------------------------------------- */

typedef enum { RUN_LEDE, RUN_FTS5, RUN_EXTRACT } run_kind;

static result run_once(run_kind kind, const char *index_bin, const char *jsonl, const char *out,
                       const char *jobs)
{
    result r = {0};
    remove_tree(out);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        if (kind == RUN_FTS5)
            _exit(fts5_index(jsonl, out));
        if (kind == RUN_EXTRACT)
            _exit(extract_only(jsonl));
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        if (jobs)
            execl(index_bin, index_bin, "-q", "-i", out, "-j", jobs, jsonl, (char *)NULL);
        else
            execl(index_bin, index_bin, "-q", "-i", out, jsonl, (char *)NULL);
        fprintf(stderr, "bench_index: cannot run %s: %s\n", index_bin, strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    if (pid < 0 || wait4(pid, &status, 0, &ru) != pid) {
        r.status = -1;
        return r;
    }
    r.seconds = now() - t0;
    r.cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
            (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    r.rss_mb = (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
    r.disk_mb = (double)disk_bytes(out) / 1e6;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

static int cmp_result(const void *a, const void *b)
{
    const result *x = a, *y = b;
    return (x->seconds > y->seconds) - (x->seconds < y->seconds);
}

static result run_median(run_kind kind, const char *index_bin, const char *jsonl,
                         const char *out, const char *jobs, int repeat)
{
    result rs[16];
    if (repeat > 16)
        repeat = 16;
    for (int i = 0; i < repeat; i++) {
        rs[i] = run_once(kind, index_bin, jsonl, out, jobs);
        if (rs[i].status != 0) {
            fprintf(stderr, "bench_index: %s on %s failed with status %d\n",
                    kind == RUN_FTS5 ? "FTS5" : kind == RUN_EXTRACT ? "extract" : "lede-index",
                    jsonl, rs[i].status);
            return rs[i];
        }
    }
    qsort(rs, (size_t)repeat, sizeof *rs, cmp_result);
    return rs[repeat / 2];
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (!f)
        return 0;
    char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++)
            n += buf[i] == '\n';
    fclose(f);
    return n;
}

/* The inverted index's bytes (term records, postings, positions, lengths:
 * all but the stored text and records) of the index in ix, in MB. */
static double inverted_mb(const char *index_bin, const char *ix)
{
    char cmd[PATH_MAX * 2 + 64], out[8192];
    snprintf(cmd, sizeof cmd, "'%s' -i '%s' --stats --json", index_bin, ix);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    cJSON *j = cJSON_Parse(out);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "sizes"),
                                                      "inverted");
    double mb = cJSON_IsNumber(v) ? v->valuedouble / 1e6 : 0;
    cJSON_Delete(j);
    return mb;
}

static void row(const char *engine, const result *r, double mb, size_t docs,
                const result *fts5)
{
    printf("  %-13s %7.2f s %7.2f s cpu %8.0f docs/s %6.1f MB/s %6.0f MB RSS %7.1f MB index",
           engine, r->seconds, r->cpu, (double)docs / r->seconds, mb / r->seconds, r->rss_mb,
           r->disk_mb);
    if (fts5)
        printf("  %.2fx FTS5 (cpu %.2fx)", fts5->seconds / r->seconds, fts5->cpu / r->cpu);
    printf("\n");
}

int main(int argc, char **argv)
{
    char self[PATH_MAX], index_bin[PATH_MAX + 16], tmp[] = "/tmp/lede-bench-index.XXXXXX";
    const char *shared = getenv("LEDE_SHARED_DIR");
    const char *rep = getenv("LEDE_BENCH_REPEAT");
    int repeat = rep ? atoi(rep) : 3;
    char defaults[3][PATH_MAX];
    const char *files[64];
    int nfiles = 0;

    if (repeat < 1)
        repeat = 1;
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 2;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(index_bin, sizeof index_bin, "%s/lede-index", self);
    if (access(index_bin, X_OK) != 0) {
        fprintf(stderr, "bench_index: %s not found (build lede-index first)\n", index_bin);
        return 2;
    }
    if (argc > 1) {
        for (int i = 1; i < argc && nfiles < 64; i++)
            files[nfiles++] = argv[i];
    } else {
        if (!shared)
            shared = "../shared";
        snprintf(defaults[0], sizeof defaults[0], "%s/corpora/reuters21578/docs.jsonl", shared);
        snprintf(defaults[1], sizeof defaults[1], "%s/corpora/wikinews/docs.jsonl", shared);
        snprintf(defaults[2], sizeof defaults[2], "%s/corpora/gutenberg/docs.jsonl", shared);
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            files[nfiles++] = defaults[i];
    }
    if (!mkdtemp(tmp)) {
        perror("bench_index: mkdtemp");
        return 2;
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_index: median of %d run(s); %ld core(s); %s\n", repeat, cores, index_bin);

    for (int i = 0; i < nfiles; i++) {
        struct stat st;
        if (stat(files[i], &st) != 0) {
            printf("%s: skipped (%s)\n", files[i], strerror(errno));
            continue;
        }
        double mb = (double)st.st_size / 1e6;
        size_t docs = count_lines(files[i]);
        char ix[PATH_MAX], db[PATH_MAX];
        snprintf(ix, sizeof ix, "%s/ix", tmp);
        snprintf(db, sizeof db, "%s/fts5.db", tmp);
        printf("%s: %.1f MB, %zu documents\n", files[i], mb, docs);
        fflush(stdout);

        result fts = run_median(RUN_FTS5, NULL, files[i], db, NULL, repeat);
        result one = run_median(RUN_LEDE, index_bin, files[i], ix, "1", repeat);
        result def = run_median(RUN_LEDE, index_bin, files[i], ix, NULL, repeat);
        result ext = run_median(RUN_EXTRACT, NULL, files[i], db, NULL, repeat);
        const result *base = fts.status == 0 ? &fts : NULL;
        if (base)
            row("FTS5", &fts, mb, docs, NULL);
        if (one.status == 0)
            row("lede -j 1", &one, mb, docs, base);
        if (def.status == 0) {
            row("lede default", &def, mb, docs, base);
            /* The last run's index is still there: show its statistics. */
            char cmd[PATH_MAX * 2 + 64];
            snprintf(cmd, sizeof cmd, "'%s' -i '%s' --stats | sed 's/^/    /'", index_bin, ix);
            fflush(stdout);
            if (system(cmd) != 0)
                printf("    (no --stats)\n");
        }
        if (ext.status == 0)
            row("extract only", &ext, mb, docs, NULL);
        printf("  index size / input: lede %.0f%%, FTS5 %.0f%%\n",
               def.status == 0 ? 100 * def.disk_mb / mb : 0,
               fts.status == 0 ? 100 * fts.disk_mb / mb : 0);
        floor_cost fc;
        int floor_ok = floor_measure(files[i], &fc) == 0;
        if (fts.status == 0 && floor_ok) {
            double sum = fc.extract + fc.analyse + fc.compress;
            double budget = (double)cores * fts.seconds / 3;
            printf("  floor, one thread: extract %.2f s + analyse %.2f s + zstd %.2f s = %.2f s "
                   "cpu (%zu tokens); 3x FTS5 on %ld core(s) leaves %.2f s cpu: the floor is "
                   "%.0f%% of it\n",
                   fc.extract, fc.analyse, fc.compress, sum, fc.tokens, cores, budget,
                   100 * sum / budget);
        }
        double text = floor_ok ? fc.text_bytes / 1e6 : 0;
        double inv = def.status == 0 ? inverted_mb(index_bin, ix) : 0;
        if (text > 0 && inv > 0)
            printf("  inverted index (all but the stored text and records): %.1f MB, %.0f%% of "
                   "the %.1f MB of title and body text\n",
                   inv, 100 * inv / text, text);
        fflush(stdout);
    }
    remove_tree(tmp);
    return 0;
}
