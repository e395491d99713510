/*
 * test_fuzz_replay.c — replays every seed file of every fuzz target
 * (the files in tests/fuzz/corpus/<target>/) through the same entry function that the
 * libFuzzer build runs (tests/fuzz/fuzz_<target>.h), so the normal and the
 * ASan+UBSan builds of the test suite exercise what the fuzzers found
 * interesting, including the inputs of past crashes kept as regressions.
 *
 * A broken invariant aborts (FUZZ_CHECK) and a memory error is caught by
 * the sanitizers: either way the test fails and names the file, which is
 * printed before it is run.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_html.h"
#include "fuzz/fuzz_index.h"
#include "fuzz/fuzz_jsonl.h"
#include "fuzz/fuzz_markdown.h"
#include "fuzz/fuzz_postings.h"
/* The searcher lands after the store: its targets join when it is built. */
#if __has_include("qparse.h") && __has_include("fuzz/fuzz_query.h")
#include "fuzz/fuzz_query.h"
#define HAVE_FUZZ_QUERY 1
#endif
#if __has_include("fuzz/fuzz_tokenize.h")
#include "fuzz/fuzz_tokenize.h"
#define HAVE_FUZZ_TOKENIZE 1
#endif

typedef int (*fuzz_fn)(const uint8_t *data, size_t size);

/* The repository root: $LEDE_SOURCE_DIR under CTest, else the directory
 * above this file (CMake passes absolute source paths). */
static void source_dir(char *out, size_t size)
{
    const char *env = getenv("LEDE_SOURCE_DIR");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    snprintf(out, size, "%s", __FILE__);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash)
            *slash = '\0';
    }
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read a whole file into an exact-size heap block (1 byte for an empty
 * file, with *size 0). */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    cr_assert_eq(fstat(fileno(f), &st), 0);
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n ? n : 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, n, f), n, "short read on %s", path);
    fclose(f);
    *size = n;
    return buf;
}

/* Run fn over every regular file of corpus/<target>, in name order; returns
 * how many there were. */
static size_t replay(const char *target, fuzz_fn fn)
{
    char root[PATH_MAX], dir[PATH_MAX + 64];
    source_dir(root, sizeof root);
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", root, target);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "no seed corpus %s: %s", dir, strerror(errno));

    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            cr_assert_not_null(names);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);

    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX + 400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            size_t size;
            uint8_t *data = slurp(path, &size);
            fprintf(stderr, "replay %s/%s (%zu bytes)\n", target, names[i], size);
            cr_assert_eq(fn(data, size), 0, "%s returned non-zero", path);
            free(data);
            ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

/* Each target's corpus must hold real seeds: an empty folder would make the
 * replay pass without testing anything. */
#define REPLAY_AT_LEAST(target, fn, min)                                                       \
    do {                                                                                       \
        size_t ran = replay(target, fn);                                                       \
        cr_assert_geq(ran, (size_t)(min), "corpus/%s holds %zu seeds, expected at least %d",   \
                      target, ran, (int)(min));                                                \
    } while (0)

Test(fuzz_replay, jsonl_seeds_keep_every_invariant)
{
    REPLAY_AT_LEAST("jsonl", lede_fuzz_jsonl, 8);
}

Test(fuzz_replay, html_seeds_keep_every_invariant)
{
    REPLAY_AT_LEAST("html", lede_fuzz_html, 8);
}

Test(fuzz_replay, markdown_seeds_keep_every_invariant)
{
    REPLAY_AT_LEAST("markdown", lede_fuzz_markdown, 8);
}

Test(fuzz_replay, postings_seeds_decode_or_fail_cleanly)
{
    REPLAY_AT_LEAST("postings", lede_fuzz_postings, 8);
}

Test(fuzz_replay, corrupted_index_seeds_fail_cleanly)
{
    REPLAY_AT_LEAST("index", lede_fuzz_index, 8);
}

#ifdef HAVE_FUZZ_QUERY
Test(fuzz_replay, query_seeds_parse_or_fail_with_a_position)
{
    REPLAY_AT_LEAST("query", lede_fuzz_query, 8);
}
#endif

#ifdef HAVE_FUZZ_TOKENIZE
Test(fuzz_replay, tokenize_seeds_keep_every_invariant)
{
    REPLAY_AT_LEAST("tokenize", lede_fuzz_tokenize, 1);
}
#endif

/* The harness itself: a broken invariant must abort, or no replay above
 * could ever fail on one. */
Test(fuzz_replay, a_broken_invariant_aborts, .signal = SIGABRT)
{
    FUZZ_CHECK(1 + 1 == 3);
}

/* The UTF-8 checker the invariants rely on, on known cases. */
Test(fuzz_replay, utf8_checker_knows_good_from_bad)
{
    static const struct {
        const char *s;
        size_t n;
        bool ok;
    } cases[] = {
        {"", 0, true},
        {"plain ascii", 11, true},
        {"caf\xc3\xa9", 5, true},
        {"\xe2\x80\xa6", 3, true},
        {"\xf0\x9f\x98\x80", 4, true},
        {"\xc3", 1, false},             /* truncated */
        {"\xc0\xaf", 2, false},         /* overlong */
        {"\xed\xa0\x80", 3, false},     /* surrogate */
        {"\xf4\x90\x80\x80", 4, false}, /* above U+10FFFF */
        {"a\0b", 3, false},             /* NUL */
        {"\xff", 1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(fuzz_utf8_ok(cases[i].s, cases[i].n), cases[i].ok, "case %zu", i);
}
