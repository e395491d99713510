/*
 * ingest.c — one indexing run of lede-index: what is indexed already, what
 * changed on disk, and the calls into the library that bring the index up
 * to date.
 *
 * Owns the incremental logic (size+mtime, then xxh64 of the bytes; one hash
 * per JSON line so an unchanged record is never parsed again), --delete,
 * --prune, --rebuild (a fresh index built beside the old one and swapped in
 * at the end, so readers never see it half-built) and the counters.  The
 * index bytes themselves belong to the library (lede_index_*, lede_reader_*);
 * the input formats to lib/extract.c.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* ------------------------------------------------------------------ */
/* What the index holds already                                        */
/* ------------------------------------------------------------------ */

typedef struct known_doc {
    char *id;
    char *path;     /* absolute source path, or NULL */
    uint64_t size;
    int64_t mtime;
    uint64_t hash;
    bool existed;   /* in the index before this run */
    bool seen;      /* met again (or written) in this run */
} known_doc;

/* id → known_doc, open addressing over indexes into docs[]. */
typedef struct known_map {
    known_doc *docs;
    size_t n, cap;
    size_t *slots; /* index + 1; 0 = empty */
    size_t nslots;
} known_map;

static uint64_t str_hash(const char *s)
{
    return XXH64(s, strlen(s), 0);
}

static int km_rehash(known_map *m, size_t nslots)
{
    size_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = (size_t)str_hash(m->docs[i].id) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = i + 1;
    }
    free(m->slots);
    m->slots = slots;
    m->nslots = nslots;
    return LEDE_OK;
}

static known_doc *km_find(const known_map *m, const char *id)
{
    if (!m->nslots)
        return NULL;
    size_t j = (size_t)str_hash(id) & (m->nslots - 1);
    while (m->slots[j]) {
        known_doc *d = &m->docs[m->slots[j] - 1];
        if (strcmp(d->id, id) == 0)
            return d;
        j = (j + 1) & (m->nslots - 1);
    }
    return NULL;
}

/* Add an entry (the id is copied).  Pointers into docs[] die at the next add. */
static int km_add(known_map *m, const char *id, const char *path, uint64_t size, int64_t mtime,
                  uint64_t hash, bool existed)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        known_doc *docs = realloc(m->docs, cap * sizeof *docs);
        if (!docs)
            return LEDE_ENOMEM;
        m->docs = docs;
        m->cap = cap;
    }
    if ((m->n + 1) * 2 > m->nslots) {
        int rc = km_rehash(m, m->nslots ? m->nslots * 2 : 2048);
        if (rc)
            return rc;
    }
    known_doc *d = &m->docs[m->n];
    *d = (known_doc){.size = size, .mtime = mtime, .hash = hash, .existed = existed};
    d->id = strdup(id);
    d->path = path && *path ? strdup(path) : NULL;
    if (!d->id || (path && *path && !d->path)) {
        free(d->id);
        free(d->path);
        return LEDE_ENOMEM;
    }
    size_t j = (size_t)str_hash(id) & (m->nslots - 1);
    while (m->slots[j])
        j = (j + 1) & (m->nslots - 1);
    m->slots[j] = ++m->n;
    return LEDE_OK;
}

static void km_free(known_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->docs[i].id);
        free(m->docs[i].path);
    }
    free(m->docs);
    free(m->slots);
    *m = (known_map){0};
}

/* (content hash, path) → doc, sorted, for JSON lines that have not changed. */
typedef struct hash_ref {
    uint64_t hash;
    size_t doc;
} hash_ref;

static int cmp_hash_ref(const void *a, const void *b)
{
    const hash_ref *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return x->doc < y->doc ? -1 : (x->doc > y->doc);
}

/*
 * Read every live document's id, path, size, mtime and hash.  A missing index
 * is not an error (*exists false).  The reader is closed again before the
 * writer opens: LMDB forbids one process opening an environment twice.
 */
static int load_known(known_map *m, const char *dir, bool *exists, char *language,
                      size_t language_size)
{
    lede_reader *r = NULL;
    char *err = NULL;
    int rc = lede_reader_open(&r, dir, &err);
    *exists = false;
    if (rc == LEDE_ENOTFOUND) {
        rc = LEDE_OK;
        goto cleanup;
    }
    if (rc) {
        cli_error("cannot open the index %s: %s", dir, err ? err : lede_strerror(rc));
        goto cleanup;
    }
    *exists = true;
    lede_stats st;
    rc = lede_reader_stats(r, &st);
    if (rc) {
        cli_error("%s: %s", dir, lede_reader_errmsg(r));
        goto cleanup;
    }
    snprintf(language, language_size, "%s", st.language);
    for (uint64_t id = 0; id <= st.max_docid; id++) {
        lede_doc_info info;
        rc = lede_reader_doc_brief(r, (uint32_t)id, &info);
        if (rc == LEDE_ENOTFOUND)
            continue;
        if (rc) {
            cli_error("%s: document %llu: %s", dir, (unsigned long long)id,
                      lede_reader_errmsg(r));
            goto cleanup;
        }
        rc = km_add(m, info.id, info.path, info.size, info.mtime, info.hash, true);
        if (rc) {
            cli_error("%s", lede_strerror(rc));
            goto cleanup;
        }
        if (id == UINT32_MAX)
            break;
    }
    rc = LEDE_OK;
cleanup:
    lede_reader_close(r);
    free(err);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The run                                                             */
/* ------------------------------------------------------------------ */

typedef struct run {
    const cli_options *opts;
    cli_counts *c;
    lede_index *ix;
    known_map known;
    hash_ref *by_hash; /* known lines of JSON files, sorted */
    size_t nby_hash;
    cli_progress *bar;
    uint64_t bytes_done;
    bool fatal;
} run;

static uint64_t docs_done(const run *r)
{
    return r->c->added + r->c->updated + r->c->unchanged;
}

static void tick(run *r)
{
    cli_progress_update(r->bar, docs_done(r), r->bytes_done);
}

/* Hand one extracted document to the library and count it. */
static int write_doc(run *r, const char *id, const lede_extracted *x, const char *path,
                     int64_t mtime, uint64_t size, uint64_t hash, const char *where,
                     size_t line)
{
    lede_doc d = LEDE_DOC_INIT;
    d.id = id;
    d.title = x->title;
    d.title_len = x->title ? x->title_len : 0;
    d.body = x->body;
    d.body_len = x->body_len;
    d.date = x->date;
    d.path = path;
    d.meta_json = x->meta_json;
    d.mtime = mtime;
    d.size = size;
    d.hash = hash;

    int rc = lede_index_add(r->ix, &d);
    if (rc == LEDE_EINVAL) {
        /* The library refused this document only: say so and go on. */
        cli_warn(where, line, "%s", lede_index_errmsg(r->ix));
        r->c->failed++;
        return LEDE_OK;
    }
    if (rc) {
        cli_error("%s", lede_index_errmsg(r->ix));
        r->fatal = true;
        return rc;
    }
    known_doc *k = km_find(&r->known, id);
    if (k && (k->existed || k->seen)) {
        r->c->updated++;
        k->seen = true;
        if (r->opts->verbose) {
            cli_progress_clear(r->bar);
            fprintf(stderr, "updated %s\n", id);
        }
    } else {
        r->c->added++;
        if (r->opts->verbose) {
            cli_progress_clear(r->bar);
            fprintf(stderr, "added %s\n", id);
        }
        if (!k) {
            rc = km_add(&r->known, id, NULL, size, mtime, hash, false);
            if (rc) {
                r->fatal = true;
                return rc;
            }
            k = &r->known.docs[r->known.n - 1];
        }
        k->seen = true;
    }
    if (x->repaired) {
        /* A JSON record's line is the file's; a document's is its own. */
        cli_warn(where, line ? line : x->repair_line,
                 "invalid UTF-8 (%zu byte sequence%s replaced)", x->repaired,
                 x->repaired == 1 ? "" : "s");
        r->c->repaired++;
    }
    return LEDE_OK;
}

/* The first entry of by_hash (sorted by hash) not below hash. */
static size_t hash_lower_bound(const run *r, uint64_t hash)
{
    size_t lo = 0, hi = r->nby_hash;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->by_hash[mid].hash < hash)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Is this JSON line, from this file, indexed already with the same bytes? */
static known_doc *known_line(run *r, uint64_t hash, const char *path)
{
    for (size_t i = hash_lower_bound(r, hash); i < r->nby_hash && r->by_hash[i].hash == hash;
         i++) {
        known_doc *k = &r->known.docs[r->by_hash[i].doc];
        if (k->path && path && strcmp(k->path, path) == 0 && !k->seen)
            return k;
    }
    return NULL;
}

/*
 * JSON Lines are read and parsed one line ahead of the writer by a thread of
 * their own when lede-index may use several (-j other than 1): parsing was a
 * quarter of the main thread's work, and the main thread (merging analysed
 * documents into the batch, writing batches) is what bounds the run.  The
 * lines still reach the library in file order, one at a time, so the index
 * is the same either way.  A line whose hash is among the lines indexed
 * already is not parsed ahead: the main thread decides, in order, whether it
 * is unchanged, and parses it itself when it is not.
 */
#define JL_RING 256
/* Bytes of lines read ahead at most (a Gutenberg line is a whole book), and
 * the largest line buffer a slot keeps for the next line. */
#define JL_AHEAD_BYTES ((size_t)2 << 20)
#define JL_KEEP_BUF ((size_t)64 << 10)

typedef struct jl_line {
    char *buf;         /* getline's buffer, reused from line to line */
    size_t cap;
    ssize_t len;       /* without the line end; -1 at the end of the input */
    size_t raw;        /* bytes read, line end included */
    size_t lineno;
    bool blank;
    uint64_t hash;
    bool parsed;       /* x, prc and err hold lede_extract_json's answer */
    int prc;
    lede_extracted x;
    char err[256];
} jl_line;

typedef struct jl_reader {
    run *r;
    FILE *f;
    size_t lineno;
    int read_errno;    /* errno after the last read, which may be another thread's */
    bool ahead;        /* parse on the reading thread */
    /* The ring between the reading thread and the main thread. */
    jl_line *ring;
    size_t head, tail; /* next to consume, next to fill (both count up) */
    size_t ahead_bytes; /* raw bytes of lines [head, tail) */
    bool stop, done;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t filled, freed;
    /* cJSON notes the last parse error in a global: parses never overlap. */
    pthread_mutex_t parse_lock;
} jl_reader;

static bool hash_known(const run *r, uint64_t hash)
{
    size_t lo = hash_lower_bound(r, hash);
    return lo < r->nby_hash && r->by_hash[lo].hash == hash;
}

static void jl_parse(jl_reader *jr, jl_line *l)
{
    if (jr->ahead)
        pthread_mutex_lock(&jr->parse_lock);
    l->prc = lede_extract_json(&l->x, l->buf, (size_t)l->len, &jr->r->opts->fields, l->err,
                               sizeof l->err);
    if (jr->ahead)
        pthread_mutex_unlock(&jr->parse_lock);
    l->parsed = true;
}

/* Read the next line into l; parse it when reading ahead and it is new. */
static void jl_read(jl_reader *jr, jl_line *l)
{
    l->parsed = false;
    errno = 0;
    l->len = getline(&l->buf, &l->cap, jr->f);
    if (l->len < 0) {
        jr->read_errno = errno;
        return;
    }
    l->lineno = ++jr->lineno;
    l->raw = (size_t)l->len;
    char *line = l->buf;
    ssize_t len = l->len;
    if (len && line[len - 1] == '\n')
        line[--len] = '\0';
    if (len && line[len - 1] == '\r')
        line[--len] = '\0';
    l->len = len;
    size_t i = 0;
    while (i < (size_t)len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    l->blank = i == (size_t)len; /* blank lines separate nothing; not records */
    if (l->blank)
        return;
    l->hash = XXH64(line, (size_t)len, 0);
    /* by_hash does not change during the run: reading it here is safe. */
    if (jr->ahead && !hash_known(jr->r, l->hash))
        jl_parse(jr, l);
}

static void *jl_main(void *arg)
{
    jl_reader *jr = arg;
    pthread_mutex_lock(&jr->lock);
    for (;;) {
        while (!jr->stop && (jr->tail - jr->head == JL_RING || jr->ahead_bytes >= JL_AHEAD_BYTES))
            pthread_cond_wait(&jr->freed, &jr->lock);
        if (jr->stop)
            break;
        jl_line *l = &jr->ring[jr->tail % JL_RING];
        pthread_mutex_unlock(&jr->lock);
        jl_read(jr, l);
        pthread_mutex_lock(&jr->lock);
        jr->tail++;
        if (l->len >= 0)
            jr->ahead_bytes += l->raw;
        pthread_cond_signal(&jr->filled);
        if (l->len < 0)
            break;
    }
    jr->done = true;
    pthread_mutex_unlock(&jr->lock);
    return NULL;
}

/* Start reading ahead on a thread; false (and nothing started) when it cannot. */
static bool jl_start(jl_reader *jr)
{
    jr->ring = calloc(JL_RING, sizeof *jr->ring);
    if (!jr->ring)
        return false;
    pthread_mutex_init(&jr->lock, NULL);
    pthread_mutex_init(&jr->parse_lock, NULL);
    pthread_cond_init(&jr->filled, NULL);
    pthread_cond_init(&jr->freed, NULL);
    jr->ahead = true;
    if (pthread_create(&jr->thread, NULL, jl_main, jr) != 0) {
        jr->ahead = false;
        pthread_mutex_destroy(&jr->lock);
        pthread_mutex_destroy(&jr->parse_lock);
        pthread_cond_destroy(&jr->filled);
        pthread_cond_destroy(&jr->freed);
        free(jr->ring);
        jr->ring = NULL;
        return false;
    }
    return true;
}

/* The next line, in file order (valid until jl_release). */
static jl_line *jl_next(jl_reader *jr, jl_line *own)
{
    if (!jr->ahead) {
        jl_read(jr, own);
        return own;
    }
    pthread_mutex_lock(&jr->lock);
    while (jr->tail == jr->head)
        pthread_cond_wait(&jr->filled, &jr->lock);
    jl_line *l = &jr->ring[jr->head % JL_RING];
    pthread_mutex_unlock(&jr->lock);
    return l;
}

static void jl_release(jl_reader *jr)
{
    if (!jr->ahead)
        return;
    jl_line *l = &jr->ring[jr->head % JL_RING];
    if (l->cap > JL_KEEP_BUF) {
        /* A book-sized line: do not keep its buffer for a short one. */
        free(l->buf);
        l->buf = NULL;
        l->cap = 0;
    }
    pthread_mutex_lock(&jr->lock);
    jr->ahead_bytes -= l->len >= 0 ? l->raw : 0;
    jr->head++;
    pthread_cond_signal(&jr->freed);
    pthread_mutex_unlock(&jr->lock);
}

/* Stop the reading thread (wherever it is) and free the ring. */
static void jl_finish(jl_reader *jr)
{
    if (!jr->ahead)
        return;
    pthread_mutex_lock(&jr->lock);
    jr->stop = true;
    pthread_cond_signal(&jr->freed);
    pthread_mutex_unlock(&jr->lock);
    pthread_join(jr->thread, NULL);
    for (size_t i = 0; i < JL_RING; i++) {
        if (jr->ring[i].parsed)
            lede_extracted_clear(&jr->ring[i].x);
        free(jr->ring[i].buf);
    }
    free(jr->ring);
    pthread_mutex_destroy(&jr->lock);
    pthread_mutex_destroy(&jr->parse_lock);
    pthread_cond_destroy(&jr->filled);
    pthread_cond_destroy(&jr->freed);
    jr->ahead = false;
}

static bool read_ahead_wanted(const run *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int threads = r->opts->threads > 0 ? r->opts->threads : (int)(cores > 0 ? cores : 1);
    return threads > 1;
}

static int ingest_jsonl(run *r, FILE *f, const cli_input *in, const char *abspath)
{
    int rc = LEDE_OK;
    jl_reader jr = {.r = r, .f = f};
    jl_line own = {0};
    const char *where = strcmp(in->path, "-") == 0 ? "<stdin>" : in->path;

    if (read_ahead_wanted(r))
        jl_start(&jr);
    for (;;) {
        jl_line *l = jl_next(&jr, &own);
        if (l->len < 0)
            break;
        size_t lineno = l->lineno;
        ssize_t len = l->len;
        r->bytes_done += (uint64_t)l->raw;
        if (l->blank) {
            jl_release(&jr);
            continue;
        }
        uint64_t hash = l->hash;
        known_doc *k = known_line(r, hash, abspath);
        if (k) {
            if (l->parsed)
                lede_extracted_clear(&l->x);
            l->parsed = false;
            jl_release(&jr);
            k->seen = true;
            r->c->unchanged++;
            tick(r);
            continue;
        }
        if (!l->parsed)
            jl_parse(&jr, l);
        lede_extracted x = l->x;
        l->parsed = false; /* x is this function's now */
        rc = l->prc;
        if (rc == LEDE_ENOMEM) {
            lede_extracted_clear(&x);
            jl_release(&jr);
            cli_error("out of memory");
            r->fatal = true;
            break;
        }
        if (rc) {
            cli_warn(where, lineno, "%s; line skipped", l->err);
            jl_release(&jr);
            r->c->failed++;
            rc = LEDE_OK;
            continue;
        }
        jl_release(&jr); /* the line's text is no longer needed */
        char *id = x.id;
        char *made = NULL;
        if (!id) {
            /* No id field: the record is named by its place in the file. */
            size_t need = strlen(in->id) + 32; /* ":" and a line number */
            made = malloc(need);
            if (!made) {
                lede_extracted_clear(&x);
                rc = LEDE_ENOMEM;
                r->fatal = true;
                break;
            }
            snprintf(made, need, "%s:%zu", in->id, lineno);
            id = made;
        }
        rc = write_doc(r, id, &x, abspath, in->mtime, (uint64_t)len, hash, where, lineno);
        free(made);
        lede_extracted_clear(&x);
        if (rc)
            break;
        tick(r);
    }
    jl_finish(&jr);
    if (!rc && ferror(f)) {
        cli_warn(where, jr.lineno + 1, "read error: %s", strerror(jr.read_errno ? jr.read_errno : EIO));
        r->c->failed++;
    }
    if (own.parsed)
        lede_extracted_clear(&own.x);
    free(own.buf);
    return rc;
}

/* Read a whole (small) input: an article file or stdin. */
static int slurp(FILE *f, char **out, size_t *len_out)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return LEDE_ENOMEM;
    for (;;) {
        if (n == cap) {
            char *more = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!more) {
                free(buf);
                return LEDE_ENOMEM;
            }
            buf = more;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        int err = errno;
        free(buf);
        return err ? err : EIO; /* positive: an errno, as the caller expects */
    }
    *out = buf;
    *len_out = n;
    return LEDE_OK;
}

static int ingest_one(run *r, const cli_input *in)
{
    int rc = LEDE_OK;
    bool is_stdin = strcmp(in->path, "-") == 0;
    const char *where = is_stdin ? "<stdin>" : in->path;
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0;
    char abspath[PATH_MAX];
    const char *path = NULL;
    lede_extracted x = {0};

    if (!is_stdin) {
        if (realpath(in->path, abspath))
            path = abspath;
        else
            path = in->path;
    }

    lede_format fmt = r->opts->format;
    if (fmt == LEDE_FORMAT_AUTO && !is_stdin)
        fmt = lede_extract_format_of_path(in->path);

    /* Unchanged size and mtime: skip without reading (the usual re-run). */
    known_doc *k = is_stdin ? NULL : km_find(&r->known, in->id);
    if (k && fmt != LEDE_FORMAT_JSONL && k->existed && !k->seen && k->size == (uint64_t)in->size &&
        k->mtime == in->mtime && k->path && strcmp(k->path, path) == 0) {
        k->seen = true;
        r->c->unchanged++;
        r->bytes_done += (uint64_t)in->size;
        tick(r);
        return LEDE_OK;
    }

    f = is_stdin ? stdin : fopen(in->path, "rb");
    if (!f) {
        cli_warn(where, 0, "cannot open: %s", strerror(errno));
        r->c->failed++;
        goto cleanup;
    }
    if (fmt == LEDE_FORMAT_JSONL) {
        rc = ingest_jsonl(r, f, in, path);
        goto cleanup;
    }
    rc = slurp(f, &buf, &len);
    if (rc > 0) {
        cli_warn(where, 0, "cannot read: %s", strerror(rc));
        r->c->failed++;
        rc = LEDE_OK;
        goto cleanup;
    }
    if (rc) {
        cli_error("out of memory reading %s", where);
        r->fatal = true;
        goto cleanup;
    }
    if (fmt == LEDE_FORMAT_AUTO) {
        /* stdin, or a file named with an unknown extension: look inside. */
        fmt = lede_extract_format_sniff(buf, len);
        if (fmt == LEDE_FORMAT_JSONL) {
            FILE *mem = fmemopen(buf, len ? len : 1, "rb");
            if (!mem) {
                rc = LEDE_ENOMEM;
                r->fatal = true;
                goto cleanup;
            }
            if (!len)
                fgetc(mem);
            rc = ingest_jsonl(r, mem, in, path);
            fclose(mem);
            goto cleanup;
        }
    }
    r->bytes_done += len;
    if (lede_extract_is_binary(buf, len)) {
        cli_warn(where, 0, "binary file; skipped");
        r->c->failed++;
        goto cleanup;
    }
    uint64_t hash = XXH64(buf, len, 0);
    if (k && k->existed && !k->seen && k->hash == hash && k->size == len) {
        /* Touched but not changed: the bytes are the same. */
        k->seen = true;
        r->c->unchanged++;
        tick(r);
        goto cleanup;
    }
    rc = lede_extract_document(&x, buf, len, fmt);
    if (rc) {
        cli_error("out of memory extracting %s", where);
        r->fatal = true;
        goto cleanup;
    }
    rc = write_doc(r, in->id, &x, path, in->mtime, len, hash, where, 0);
    tick(r);
cleanup:
    lede_extracted_clear(&x);
    free(buf);
    if (f && f != stdin)
        fclose(f);
    return rc;
}

/* --delete ID...: an unknown id is a failed input, not a fatal error. */
static int delete_ids(run *r)
{
    for (size_t i = 0; i < r->opts->ndelete; i++) {
        const char *id = r->opts->delete_ids[i];
        int rc = lede_index_delete(r->ix, id);
        if (rc == LEDE_ENOTFOUND) {
            cli_warn(NULL, 0, "%s: no document with this id", id);
            r->c->failed++;
            continue;
        }
        if (rc) {
            cli_error("cannot delete %s: %s", id, lede_index_errmsg(r->ix));
            r->fatal = true;
            return rc;
        }
        r->c->deleted++;
        known_doc *k = km_find(&r->known, id);
        if (k)
            k->seen = true; /* so --prune does not count it twice */
        if (r->opts->verbose)
            fprintf(stderr, "deleted %s\n", id);
    }
    return LEDE_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * --prune: a document goes when its source file is gone, or when it came
 * from a file read in full in this run that no longer holds it (a record
 * removed from a JSON Lines dump).
 */
static int prune(run *r, const cli_inputs *inputs)
{
    /* The absolute paths read in full in this run, sorted for lookup. */
    char **read_paths = calloc(inputs->n + 1, sizeof *read_paths);
    size_t nread = 0;
    int rc = LEDE_OK;
    if (!read_paths)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < inputs->n; i++) {
        char abspath[PATH_MAX];
        if (strcmp(inputs->items[i].path, "-") != 0 && realpath(inputs->items[i].path, abspath))
            if (!(read_paths[nread++] = strdup(abspath))) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
    }
    qsort(read_paths, nread, sizeof *read_paths, cmp_str);
    for (size_t i = 0; i < r->known.n && rc == LEDE_OK; i++) {
        known_doc *k = &r->known.docs[i];
        if (!k->existed || k->seen || !k->path)
            continue;
        bool gone = access(k->path, F_OK) != 0 && errno == ENOENT;
        if (!gone) {
            size_t lo = 0, hi = nread;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int c = strcmp(read_paths[mid], k->path);
                if (c == 0) {
                    gone = true;
                    break;
                }
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
        }
        if (!gone)
            continue;
        rc = lede_index_delete(r->ix, k->id);
        if (rc == LEDE_ENOTFOUND) {
            rc = LEDE_OK;
            continue;
        }
        if (rc) {
            cli_error("cannot delete %s: %s", k->id, lede_index_errmsg(r->ix));
            r->fatal = true;
            break;
        }
        k->seen = true;
        r->c->deleted++;
        if (r->opts->verbose)
            fprintf(stderr, "deleted %s\n", k->id);
    }
cleanup:
    for (size_t i = 0; i < nread; i++)
        free(read_paths[i]);
    free(read_paths);
    return rc;
}

/* Remove an index folder we replaced: its files, then the folder.  Index
 * folders are flat; anything else found there is left alone. */
static void remove_index_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int cli_ingest(const cli_options *opts, cli_counts *counts)
{
    int status = EXIT_FATAL;
    run r = {.opts = opts, .c = counts};
    lede_index *guard = NULL; /* the old index's lock during --rebuild */
    cli_inputs inputs = {0};
    char *err = NULL;
    char language[64] = "";
    char *rebuild_dir = NULL, *old_dir = NULL;
    const char *write_dir = opts->index_dir;
    bool exists = false;
    double start = cli_now();
    int rc;

    *counts = (cli_counts){0};
    if (load_known(&r.known, opts->index_dir, &exists, language, sizeof language))
        goto cleanup;
    if (exists && opts->language && !opts->rebuild && strcmp(opts->language, language) != 0) {
        cli_error("the index %s uses %s; --language %s needs --rebuild", opts->index_dir,
                  language, opts->language);
        goto cleanup;
    }
    if (opts->rebuild) {
        /* Build from scratch beside the old index; swap at the end. */
        size_t n = strlen(opts->index_dir) + 16;
        rebuild_dir = malloc(n);
        old_dir = malloc(n);
        if (!rebuild_dir || !old_dir)
            goto nomem;
        snprintf(rebuild_dir, n, "%s.rebuild", opts->index_dir);
        snprintf(old_dir, n, "%s.old", opts->index_dir);
        remove_index_dir(rebuild_dir); /* a crashed rebuild's leftovers */
        write_dir = rebuild_dir;
        km_free(&r.known);
    }

    lede_index_options io = LEDE_INDEX_OPTIONS_INIT;
    io.language = opts->language ? opts->language : (language[0] ? language : NULL);
    io.memory_budget = opts->memory;
    io.max_size = opts->max_size;
    io.threads = opts->threads;
    io.wait_for_lock = opts->wait;
    if (opts->rebuild && exists) {
        /* Hold the old index's writer lock for the whole rebuild, so no
         * other lede-index adds to it only to be swapped away. */
        rc = lede_index_open(&guard, opts->index_dir, &io, &err);
        if (rc) {
            cli_error("cannot lock the index %s: %s", opts->index_dir,
                      err ? err : lede_strerror(rc));
            goto cleanup;
        }
    }
    rc = lede_index_open(&r.ix, write_dir, &io, &err);
    if (rc) {
        cli_error("cannot open the index %s for writing: %s", write_dir,
                  err ? err : lede_strerror(rc));
        goto cleanup;
    }

    /* Walk after the index folder exists, so a walk never descends into it. */
    if (cli_inputs_collect(&inputs, opts))
        goto cleanup;
    counts->failed += inputs.failed;

    /* Lines of JSON files already indexed, by content hash. */
    r.by_hash = malloc((r.known.n + 1) * sizeof *r.by_hash);
    if (!r.by_hash)
        goto nomem;
    for (size_t i = 0; i < r.known.n; i++)
        if (r.known.docs[i].path)
            r.by_hash[r.nby_hash++] = (hash_ref){r.known.docs[i].hash, i};
    qsort(r.by_hash, r.nby_hash, sizeof *r.by_hash, cmp_hash_ref);

    r.bar = cli_progress_new(!opts->quiet, inputs.total_bytes);
    cli_progress_current = r.bar;

    if (delete_ids(&r))
        goto cleanup;
    for (size_t i = 0; i < inputs.n; i++) {
        /* known_line() keeps indexes into known.docs, which km_add may
         * move but never reorders: the indexes stay valid. */
        if (ingest_one(&r, &inputs.items[i]))
            goto cleanup;
    }
    if (opts->prune && prune(&r, &inputs))
        goto cleanup;

    cli_progress_note(r.bar, docs_done(&r), r.bytes_done, "committing");
    rc = lede_index_commit(r.ix);
    if (rc) {
        cli_error("cannot commit to %s: %s", write_dir, lede_index_errmsg(r.ix));
        goto cleanup;
    }
    lede_index_close(r.ix);
    r.ix = NULL;

    if (opts->rebuild) {
        /* The old index goes only once the new one is complete. */
        lede_index_close(guard);
        guard = NULL;
        remove_index_dir(old_dir);
        if (exists && rename(opts->index_dir, old_dir) != 0) {
            cli_error("cannot move %s aside: %s (the rebuilt index is in %s)", opts->index_dir,
                      strerror(errno), rebuild_dir);
            goto cleanup;
        }
        if (rename(rebuild_dir, opts->index_dir) != 0) {
            cli_error("cannot move %s to %s: %s", rebuild_dir, opts->index_dir, strerror(errno));
            goto cleanup;
        }
        remove_index_dir(old_dir);
    }
    status = counts->failed ? EXIT_SOME_FAILED : EXIT_ALL_INDEXED;
    goto cleanup;
nomem:
    cli_error("out of memory");
cleanup:
    cli_progress_free(r.bar);
    cli_progress_current = NULL;
    counts->bytes = r.bytes_done;
    counts->seconds = cli_now() - start;
    /* Without a commit, close drops what the failed batch buffered: the
     * index keeps its last committed state. */
    lede_index_close(r.ix);
    lede_index_close(guard);
    cli_inputs_free(&inputs);
    km_free(&r.known);
    free(r.by_hash);
    free(err);
    free(rebuild_dir);
    free(old_dir);
    return status;
}
