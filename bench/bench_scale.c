/*
 * bench_scale.c — indexing at the scale of a large archive: about a million
 * article-sized documents, lede against SQLite FTS5.
 *
 *   bench_scale [N [SOURCE.jsonl]]
 *
 * No public collection here has a million articles, so this one is made from
 * Gutenberg (default $LEDE_SHARED_DIR/corpora/gutenberg/docs.jsonl, else
 * ../shared/corpora/...): every paragraph of 200 bytes or more of every
 * chapter becomes a document (id "<chapter id>-<paragraph>-<pass>", title
 * its first words, newlines folded to spaces), passing over the source again
 * with new ids until there are N (default 1,000,000; about 775 MB).  Repeated
 * passes repeat paragraphs, which changes no cost that matters here: every
 * document is analysed, stored and posted like any other.
 *
 * The collection is written to a temporary file and handed to bench_index
 * (beside this program), which indexes it with SQLite FTS5 and with lede and
 * prints time, CPU, peak RSS and sizes (LEDE_BENCH_REPEAT defaults to 1
 * here: one run takes minutes).  Figures only, never pass/fail.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_PARAGRAPH 200
#define TITLE_BYTES 60

/* The title: the paragraph's first words, up to TITLE_BYTES bytes, cut
 * between words (so never inside a UTF-8 sequence). */
static size_t title_len(const char *p, size_t n)
{
    if (n <= TITLE_BYTES)
        return n;
    size_t cut = TITLE_BYTES;
    while (cut > 0 && p[cut] != ' ')
        cut--;
    return cut;
}

/* Write paragraph p[0..n) as one JSON line; returns 0, or -1 on a write error. */
static int emit(FILE *out, const char *chapter, size_t para, int pass, char *p, size_t n)
{
    char id[512], save;
    int rc = -1;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\n' || p[i] == '\r' || p[i] == '\t')
            p[i] = ' ';
    snprintf(id, sizeof id, "%s-%zu-%d", chapter, para, pass);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return -1;
    size_t tl = title_len(p, n);
    save = p[tl];
    p[tl] = '\0';
    int ok = cJSON_AddStringToObject(o, "id", id) && cJSON_AddStringToObject(o, "title", p);
    p[tl] = save;
    save = p[n];
    p[n] = '\0';
    ok = ok && cJSON_AddStringToObject(o, "date", "") && cJSON_AddStringToObject(o, "body", p);
    p[n] = save;
    char *s = ok ? cJSON_PrintUnformatted(o) : NULL;
    if (s && fputs(s, out) >= 0 && fputc('\n', out) != EOF)
        rc = 0;
    free(s);
    cJSON_Delete(o);
    return rc;
}

/* One pass over src; adds to *made until it reaches want.  0, or -1. */
static int one_pass(FILE *src, FILE *out, int pass, size_t want, size_t *made)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while (*made < want && (got = getline(&line, &cap, src)) > 0) {
        cJSON *doc = cJSON_ParseWithLength(line, (size_t)got);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
        const cJSON *body = cJSON_GetObjectItemCaseSensitive(doc, "body");
        if (!cJSON_IsString(id) || !cJSON_IsString(body)) {
            cJSON_Delete(doc);
            continue;
        }
        /* Paragraphs are separated by blank lines. */
        char *p = body->valuestring;
        size_t para = 0;
        while (*p && *made < want) {
            char *end = strstr(p, "\n\n");
            size_t n = end ? (size_t)(end - p) : strlen(p);
            while (n > 0 && (*p == '\n' || *p == ' ')) {
                p++;
                n--;
            }
            if (n >= MIN_PARAGRAPH) {
                if (emit(out, id->valuestring, para++, pass, p, n) != 0) {
                    rc = -1;
                    break;
                }
                (*made)++;
            }
            if (!end)
                break;
            p = end + 2;
        }
        cJSON_Delete(doc);
        if (rc)
            break;
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    char self[PATH_MAX], bench[PATH_MAX + 16], source[PATH_MAX], tmp[] = "/tmp/lede-bench-scale.XXXXXX";
    size_t want = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    const char *shared = getenv("LEDE_SHARED_DIR");
    int status = 2;

    if (want == 0) {
        fprintf(stderr, "usage: bench_scale [N [SOURCE.jsonl]]\n");
        return 2;
    }
    if (argc > 2)
        snprintf(source, sizeof source, "%s", argv[2]);
    else
        snprintf(source, sizeof source, "%s/corpora/gutenberg/docs.jsonl",
                 shared ? shared : "../shared");
    FILE *src = fopen(source, "rb");
    if (!src) {
        printf("%s: skipped (%s)\n", source, strerror(errno));
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fclose(src);
        return 2;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(bench, sizeof bench, "%s/bench_index", self);
    int fd = mkstemp(tmp);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!out) {
        perror("bench_scale: temporary file");
        fclose(src);
        return 2;
    }

    size_t made = 0;
    int pass = 0;
    for (; made < want; pass++) {
        size_t before = made;
        rewind(src);
        if (one_pass(src, out, pass, want, &made) != 0) {
            perror("bench_scale: writing the collection");
            goto cleanup;
        }
        if (made == before) {
            fprintf(stderr, "bench_scale: %s has no paragraph of %d bytes or more\n", source,
                    MIN_PARAGRAPH);
            goto cleanup;
        }
    }
    if (fclose(out) != 0) {
        out = NULL;
        perror("bench_scale: writing the collection");
        goto cleanup;
    }
    out = NULL;
    printf("bench_scale: %zu documents from the paragraphs of %s (%d pass%s)\n", made, source,
           pass, pass == 1 ? "" : "es");
    fflush(stdout);
    setenv("LEDE_BENCH_REPEAT", getenv("LEDE_BENCH_REPEAT") ? getenv("LEDE_BENCH_REPEAT") : "1", 1);
    char cmd[PATH_MAX * 2 + 16];
    snprintf(cmd, sizeof cmd, "'%s' '%s'", bench, tmp);
    status = system(cmd) == 0 ? 0 : 1;
cleanup:
    if (out)
        fclose(out);
    fclose(src);
    unlink(tmp);
    return status;
}
