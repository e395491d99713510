/*
 * admin.c — the read-only actions of lede-index: --stats, --check and
 * --list-languages.
 *
 * Owns their output (text, or JSON with --json); the numbers come from the
 * library's reader.  Never opens the index for writing.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int cli_list_languages(void)
{
    const char *const *langs = lede_stem_languages();
    for (size_t i = 0; langs && langs[i]; i++)
        printf("%s\n", langs[i]);
    printf("none\n");
    return EXIT_ALL_INDEXED;
}

uint64_t cli_index_bytes(const char *dir)
{
    uint64_t total = 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            total += (uint64_t)st.st_blocks * 512;
    }
    closedir(d);
    return total;
}

static const char *const field_names[3] = {"stem", "word", "name"};

int cli_stats(const cli_options *opts)
{
    int status = EXIT_FATAL;
    lede_reader *r = NULL;
    char *err = NULL;
    cJSON *j = NULL;
    lede_stats st;

    int rc = lede_reader_open(&r, opts->index_dir, &err);
    if (rc) {
        cli_open_error(opts->index_dir, err, rc);
        goto cleanup;
    }
    rc = lede_reader_stats(r, &st);
    if (rc) {
        cli_error("%s: %s", opts->index_dir, lede_reader_errmsg(r));
        goto cleanup;
    }
    double avg = st.ndocs ? (double)st.total_len / (double)st.ndocs : 0;
    uint64_t disk = cli_index_bytes(opts->index_dir);
    lede_index_sizes sz;
    rc = lede_reader_sizes(r, &sz);
    if (rc) {
        cli_error("%s: %s", opts->index_dir, lede_reader_errmsg(r));
        goto cleanup;
    }
    if (opts->json) {
        j = cJSON_CreateObject();
        cJSON *terms = cJSON_CreateObject(), *postings = cJSON_CreateObject();
        if (!j || !terms || !postings) {
            cJSON_Delete(terms);
            cJSON_Delete(postings);
            goto nomem;
        }
        cJSON_AddStringToObject(j, "index", opts->index_dir);
        cJSON_AddNumberToObject(j, "format_version", st.format_version);
        cJSON_AddStringToObject(j, "language", st.language);
        cJSON_AddNumberToObject(j, "documents", (double)st.ndocs);
        cJSON_AddNumberToObject(j, "max_docid", st.max_docid);
        cJSON_AddNumberToObject(j, "total_length", (double)st.total_len);
        cJSON_AddNumberToObject(j, "average_length", avg);
        for (int f = 0; f < 3; f++) {
            cJSON_AddNumberToObject(terms, field_names[f], (double)st.nterms[f]);
            cJSON_AddNumberToObject(postings, field_names[f], (double)st.npostings[f]);
        }
        cJSON_AddItemToObject(j, "terms", terms);
        cJSON_AddItemToObject(j, "postings", postings);
        cJSON *sizes = cJSON_AddObjectToObject(j, "sizes");
        if (!sizes)
            goto nomem;
        static const char *const names[] = {"postings", "positions", "terms", "text", "docs",
                                            "other", "free", "file", "word_space", "stem_space",
                                            "doclens", "inverted", "stored", "runs"};
        const uint64_t vals[] = {sz.postings, sz.positions, sz.terms, sz.text, sz.docs,
                                 sz.other, sz.free, sz.file, sz.word_space, sz.stem_space,
                                 sz.doclens, sz.inverted, sz.stored, sz.runs};
        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
            cJSON_AddNumberToObject(sizes, names[i], (double)vals[i]);
        cJSON_AddNumberToObject(j, "disk_bytes", (double)disk);
        char *s = cJSON_PrintUnformatted(j);
        if (!s)
            goto nomem;
        printf("%s\n", s);
        free(s);
    } else {
        printf("index          %s\n", opts->index_dir);
        printf("format         %u\n", st.format_version);
        printf("language       %s\n", st.language);
        printf("documents      %llu\n", (unsigned long long)st.ndocs);
        printf("tokens         %llu\n", (unsigned long long)st.total_len);
        printf("average length %.1f tokens\n", avg);
        printf("terms          %llu stemmed, %llu words, %llu names\n",
               (unsigned long long)st.nterms[0], (unsigned long long)st.nterms[1],
               (unsigned long long)st.nterms[2]);
        printf("postings       %llu stemmed, %llu words, %llu names\n",
               (unsigned long long)st.npostings[0], (unsigned long long)st.npostings[1],
               (unsigned long long)st.npostings[2]);
        /* Short lists live inline in their term records, so the inverted
         * index is reported whole, beside what is stored for display. */
        printf("inverted index %.1f MB: term records (with short lists inline) %.1f, "
               "postings %.1f, positions %.1f, document lengths %.1f\n",
               (double)sz.inverted / 1e6, (double)sz.terms / 1e6, (double)sz.postings / 1e6,
               (double)sz.positions / 1e6, (double)sz.doclens / 1e6);
        printf("stored fields  %.1f MB: document records and ids %.1f, text %.1f\n",
               (double)sz.stored / 1e6, (double)(sz.docs - sz.doclens) / 1e6,
               (double)sz.text / 1e6);
        printf("term spaces    words (with positions) %.1f MB, stems %.1f MB\n",
               (double)sz.word_space / 1e6, (double)sz.stem_space / 1e6);
        printf("postings runs  %llu (one per batch; small ones merge)\n",
               (unsigned long long)sz.runs);
        printf("on disk        %.1f MB (%.1f MB free pages%s)\n", (double)disk / 1e6,
               (double)sz.free / 1e6,
               sz.free >= disk / 4 && sz.free > 0 ? ": lede-index --compact gives them back" : "");
    }
    status = EXIT_ALL_INDEXED;
    goto cleanup;
nomem:
    cli_error("out of memory");
cleanup:
    cJSON_Delete(j);
    lede_reader_close(r);
    free(err);
    return status;
}

typedef struct check_state {
    uint64_t shown;
} check_state;

static int on_problem(const char *where, const char *what, void *payload)
{
    check_state *cs = payload;
    /* The first hundred are enough to act on; the count says the rest. */
    if (cs->shown++ < 100) {
        /* Both may quote the (damaged) index's bytes. */
        fputs(PROG ": ", stderr);
        cli_put_safe(where);
        fputs(": ", stderr);
        cli_put_safe(what);
        fputc('\n', stderr);
    }
    return 0;
}

int cli_check(const cli_options *opts)
{
    check_state cs = {0};
    uint64_t problems = 0;
    char *err = NULL;
    double t0 = cli_now();
    int rc = lede_index_check(opts->index_dir, on_problem, &cs, &problems, &err);
    int status;
    if (rc == LEDE_OK) {
        if (!opts->quiet)
            printf("%s: ok (%.2f s)\n", opts->index_dir, cli_now() - t0);
        status = EXIT_ALL_INDEXED;
    } else if (rc == LEDE_ECORRUPT) {
        cli_error("the index %s failed its check: %llu problem%s", opts->index_dir,
                  (unsigned long long)problems, problems == 1 ? "" : "s");
        status = EXIT_SOME_FAILED;
    } else {
        cli_error("cannot check the index %s: %s", opts->index_dir,
                  err ? err : lede_strerror(rc));
        status = EXIT_FATAL;
    }
    free(err);
    return status;
}
