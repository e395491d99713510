/*
 * bench_analyze — text analysis alone, on one core: MB/s and tokens/s
 * without stemming, with stemming, and with stemming plus entity spotting.
 *
 * Input: ../shared/corpora/reuters21578/docs.jsonl (title + body of each
 * record, via cJSON) when present, else the bundled corpus/ (wikinews.jsonl
 * and the seed article).  Override with:
 *   bench_analyze [docs.jsonl] [rounds] [mode]
 * where mode (0, 1 or 2) runs one mode only, for profiling under perf.
 * The corpus is loaded into memory first, so only analysis is timed (in
 * thread CPU time, so other processes on a shared machine do not count); each
 * mode runs `rounds` times (default 5) and the median is printed.  It also
 * prints the stem cache hit rate and the number of distinct words and stems
 * (the cost of indexing both forms; see lede/analysis.h).
 *
 *   bench_analyze --dump OUT FILE...
 * is the equivalence check for optimisations: it analyses every text of the
 * given files (JSON Lines: title and body of each record; anything else:
 * the whole file as one text) with stemming and entity spotting, and writes
 * every token (word, stem, position, byte offsets, flags), every entity and
 * each text's counters to OUT, so two builds can be compared with cmp.
 */
#include <cjson/cJSON.h>
#include <lede.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer.h"

typedef struct text {
    char *s;
    size_t len;
} text;

typedef struct corpus {
    text *t;
    size_t n, cap;
    size_t bytes;
} corpus;

static int add_text(corpus *c, const char *s, size_t len)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        text *t = realloc(c->t, cap * sizeof(*t));
        if (t == NULL)
            return -1;
        c->t = t;
        c->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, s, len);
    copy[len] = '\0';
    c->t[c->n].s = copy;
    c->t[c->n].len = len;
    c->n++;
    c->bytes += len;
    return 0;
}

static int load_jsonl(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        cJSON *doc = cJSON_ParseWithLength(line, (size_t)n);
        if (doc == NULL) {
            fprintf(stderr, "%s:%ld: not JSON, skipped\n", path, lineno);
            continue;
        }
        static const char *const fields[] = {"title", "body"};
        for (size_t k = 0; k < 2; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, fields[k]);
            if (cJSON_IsString(v) && v->valuestring[0] != '\0')
                add_text(c, v->valuestring, strlen(v->valuestring));
        }
        cJSON_Delete(doc);
    }
    free(line);
    fclose(f);
    return 0;
}

static int load_file(corpus *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -1;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return add_text(c, buf, n);
}

/* CPU time of this thread: the machine is shared, and wall time would
 * count the time other processes held the core. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A set of 64-bit hashes, for counting distinct words and stems. */
typedef struct hset {
    uint64_t *slot;
    size_t cap, n;
} hset;

static uint64_t fnv(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    return h ? h : 1;
}

static void hset_add(hset *h, uint64_t v)
{
    if (h->n * 2 >= h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1 << 16;
        uint64_t *s = calloc(cap, sizeof(*s));
        if (s == NULL)
            return;
        for (size_t i = 0; i < h->cap; i++)
            if (h->slot[i]) {
                size_t k = h->slot[i] & (cap - 1);
                while (s[k])
                    k = (k + 1) & (cap - 1);
                s[k] = h->slot[i];
            }
        free(h->slot);
        h->slot = s;
        h->cap = cap;
    }
    size_t k = v & (h->cap - 1);
    while (h->slot[k] && h->slot[k] != v)
        k = (k + 1) & (h->cap - 1);
    if (!h->slot[k]) {
        h->slot[k] = v;
        h->n++;
    }
}

typedef struct sink {
    size_t tokens;
    uint64_t checksum; /* keeps the compiler from dropping the work */
    hset *words, *stems;         /* distinct terms of the corpus */
    hset *doc_words, *doc_stems; /* distinct (text, term) pairs: postings */
    uint64_t doc_salt;
} sink;

static int on_token(const lede_token *t, void *payload)
{
    sink *s = payload;
    s->tokens++;
    s->checksum += t->stem_len + t->pos;
    if (s->words) {
        uint64_t w = fnv(t->word, t->word_len), st = fnv(t->stem, t->stem_len);
        hset_add(s->words, w);
        hset_add(s->stems, st);
        hset_add(s->doc_words, (w ^ s->doc_salt) * 0x9E3779B97F4A7C15ull | 1);
        hset_add(s->doc_stems, (st ^ s->doc_salt) * 0x9E3779B97F4A7C15ull | 1);
    }
    return 0;
}

/* The dump: one line per text, token and entity, in a form cmp can compare
 * and a person can read. */
static int dump_token(const lede_token *t, void *payload)
{
    FILE *f = payload;
    fprintf(f, "%.*s\t%.*s\t%u\t%u\t%u\t%x\n", (int)t->word_len, t->word, (int)t->stem_len,
            t->stem, t->pos, t->start, t->end, t->flags);
    return 0;
}

static int dump(const char *out, int nfiles, char **files)
{
    corpus c = {0};
    for (int k = 0; k < nfiles; k++) {
        size_t n = strlen(files[k]);
        int rc = n > 6 && strcmp(files[k] + n - 6, ".jsonl") == 0 ? load_jsonl(&c, files[k])
                                                                   : load_file(&c, files[k]);
        if (rc != 0) {
            fprintf(stderr, "bench_analyze: cannot read %s\n", files[k]);
            return 1;
        }
    }
    FILE *f = fopen(out, "w");
    if (f == NULL) {
        fprintf(stderr, "bench_analyze: cannot write %s\n", out);
        return 1;
    }
    lede_analyzer *a = NULL;
    if (lede_analyzer_new(&a, "english") != LEDE_OK)
        return 1;
    lede_entity_list ents = {0};
    size_t tokens = 0, entities = 0;
    for (size_t i = 0; i < c.n; i++) {
        lede_analyze_stats st = {0};
        fprintf(f, "T %zu %zu\n", i, c.t[i].len);
        int rc = lede_analyze_doc(a, c.t[i].s, c.t[i].len, (uint32_t)(i % 7) * 1000, dump_token,
                                  f, &st, &ents);
        fprintf(f, "S %d %zu %zu %u\n", rc, st.tokens, st.invalid_bytes, st.next_pos);
        for (size_t e = 0; e < ents.n; e++)
            fprintf(f, "E %s\t%zu\t%u\t%u\t%u\t%u\n", ents.items[e].name, ents.items[e].name_len,
                    ents.items[e].first_pos, ents.items[e].last_pos, ents.items[e].start,
                    ents.items[e].end);
        /* lede_analyze (no entities: the query and snippet path) must give
         * the same tokens as lede_analyze_doc. */
        char *m1 = NULL, *m2 = NULL;
        size_t l1 = 0, l2 = 0;
        FILE *f1 = open_memstream(&m1, &l1), *f2 = open_memstream(&m2, &l2);
        if (f1 == NULL || f2 == NULL)
            return 1;
        lede_entity_list scratch = {0};
        lede_analyze_doc(a, c.t[i].s, c.t[i].len, 7, dump_token, f1, NULL, &scratch);
        lede_analyze(a, c.t[i].s, c.t[i].len, 7, dump_token, f2, NULL);
        lede_entity_list_clear(&scratch);
        fclose(f1);
        fclose(f2);
        if (l1 != l2 || memcmp(m1, m2, l1) != 0)
            fprintf(f, "MISMATCH lede_analyze differs from lede_analyze_doc\n");
        free(m1);
        free(m2);
        tokens += st.tokens;
        entities += ents.n;
        lede_entity_list_clear(&ents);
    }
    lede_analyzer_free(a);
    fclose(f);
    printf("dumped %zu texts, %zu tokens, %zu entities to %s\n", c.n, tokens, entities, out);
    for (size_t i = 0; i < c.n; i++)
        free(c.t[i].s);
    free(c.t);
    return 0;
}

typedef struct mode {
    const char *name;
    const char *language;
    int entities;
} mode;

int main(int argc, char **argv)
{
    corpus c = {0};
    const char *src = getenv("LEDE_SOURCE_DIR") ? getenv("LEDE_SOURCE_DIR") : ".";
    char path[4096];
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    if (rounds < 1)
        rounds = 1;
    if (argc > 2 && strcmp(argv[1], "--dump") == 0)
        return dump(argv[2], argc - 3, argv + 3);
    if (argc > 1) {
        snprintf(path, sizeof(path), "%s", argv[1]);
        if (load_jsonl(&c, path) != 0) {
            fprintf(stderr, "bench_analyze: cannot read %s\n", path);
            return 1;
        }
    } else {
        snprintf(path, sizeof(path), "%s/../shared/corpora/reuters21578/docs.jsonl", src);
        if (load_jsonl(&c, path) != 0 || c.n == 0) {
            snprintf(path, sizeof(path), "%s/corpus/wikinews.jsonl", src);
            if (load_jsonl(&c, path) != 0) {
                fprintf(stderr, "bench_analyze: no corpus (run from the repository root "
                                "or set LEDE_SOURCE_DIR)\n");
                return 1;
            }
            snprintf(path, sizeof(path), "%s/corpus/seed/wang-yi-choe-son-hui.txt", src);
            load_file(&c, path);
            snprintf(path, sizeof(path), "%s/corpus/ (wikinews.jsonl + seed)", src);
        }
    }
    printf("corpus: %s\n  %zu texts, %.1f MB\n", path, c.n, (double)c.bytes / 1e6);

    static const mode modes[] = {
        {"no stemming", "none", 0},
        {"stemming", "english", 0},
        {"stemming + entities", "english", 1},
    };
    printf("%-22s %10s %14s %12s %12s\n", "mode", "MB/s", "tokens/s", "tokens", "entities");
    int only = argc > 3 ? atoi(argv[3]) : -1;
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        if (only >= 0 && (size_t)only != m)
            continue;
        double secs[64];
        size_t tokens = 0, entities = 0;
        size_t hits = 0, misses = 0;
        int r_n = rounds > 64 ? 64 : rounds;
        for (int r = 0; r < r_n; r++) {
            lede_analyzer *a = NULL;
            if (lede_analyzer_new(&a, modes[m].language) != LEDE_OK)
                return 1;
            lede_entity_list ents = {0};
            sink s = {0};
            entities = 0;
            double t0 = now();
            for (size_t i = 0; i < c.n; i++) {
                lede_analyze_doc(a, c.t[i].s, c.t[i].len, 0, on_token, &s, NULL,
                                 modes[m].entities ? &ents : NULL);
                entities += ents.n;
                if (modes[m].entities)
                    lede_entity_list_clear(&ents);
            }
            secs[r] = now() - t0;
            tokens = s.tokens;
            lede_analyzer_stem_counters(a, &hits, &misses);
            lede_analyzer_free(a);
            if (s.checksum == 1)
                printf(" ");
        }
        qsort(secs, (size_t)r_n, sizeof(secs[0]), cmp_double);
        double med = secs[r_n / 2];
        printf("%-22s %10.1f %14.0f %12zu %12zu\n", modes[m].name, (double)c.bytes / 1e6 / med,
               (double)tokens / med, tokens, entities);
        if (hits + misses > 0)
            printf("  stem cache: %.2f%% hits (%zu misses)\n", 100.0 * (double)hits / (double)(hits + misses),
                   misses);
    }

    if (only >= 0)
        goto done;
    /* Distinct terms in each space: what indexing both forms costs. */
    hset words = {0}, stems = {0}, doc_words = {0}, doc_stems = {0};
    lede_analyzer *a = NULL;
    if (lede_analyzer_new(&a, "english") != LEDE_OK)
        return 1;
    sink s = {0, 0, &words, &stems, &doc_words, &doc_stems, 0};
    for (size_t i = 0; i < c.n; i++) {
        s.doc_salt = fnv((const char *)&i, sizeof(i));
        lede_analyze(a, c.t[i].s, c.t[i].len, 0, on_token, &s, NULL);
    }
    lede_analyzer_free(a);
    printf("distinct terms: %zu words (unstemmed), %zu stems (%.2fx)\n", words.n, stems.n,
           stems.n ? (double)words.n / (double)stems.n : 0.0);
    printf("postings (distinct text,term pairs): %zu word, %zu stem; positions: %zu\n",
           doc_words.n, doc_stems.n, s.tokens);
    printf("  the stem field adds %zu postings without positions = %.1f%% of the %zu\n"
           "  postings + positions the word field needs anyway\n",
           doc_stems.n, 100.0 * (double)doc_stems.n / (double)(doc_words.n + s.tokens),
           doc_words.n + s.tokens);
    free(words.slot);
    free(stems.slot);
    free(doc_words.slot);
    free(doc_stems.slot);
done:
    for (size_t i = 0; i < c.n; i++)
        free(c.t[i].s);
    free(c.t);
    return 0;
}
