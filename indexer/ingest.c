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
#include "input.h"

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

/*
 * What this file keeps per document lies outside the library's --memory
 * budget and grows with the corpus, so it is flat and allocation-free per
 * document: a document indexed already costs a 40-byte record, its id's bytes
 * in one arena (its path too, unless it shares it) and a 4-byte slot in each
 * of two tables 3/8 to 3/4 full (a re-run over a million JSON records with
 * 16-byte ids peaks at 80 MB of heap, 151 MB with two strdup's per record);
 * one added in this run, 11 to 21 bytes of a hash set.  The tables are open
 * addressing with linear probing over power-of-two arrays.
 */

#define NO_PATH UINT32_MAX

/* A document in the index before this run. */
typedef struct known_doc {
    uint64_t size;
    int64_t mtime;
    uint64_t hash;  /* xxh64 of its bytes (of its line, for a JSON record) */
    uint64_t id;    /* arena offset of its NUL-terminated id */
    uint32_t path;  /* index into paths[] of its absolute source path, or NO_PATH */
    bool seen;      /* met again (or written, or deleted) in this run */
} known_doc;

typedef struct known_map {
    char *arena;          /* ids and paths, NUL-terminated; offsets survive growth */
    size_t arena_len, arena_cap;
    known_doc *docs;      /* in doc id order, the order --prune deletes in */
    size_t n, cap;
    /* Paths interned: every line of a JSON Lines file shares one. */
    uint64_t *paths;      /* arena offsets */
    size_t npaths, paths_cap;
    /* Slots hold an index + 1 into docs[] (paths[] for path_slots); 0 = empty. */
    uint32_t *by_id;      /* id → docs[] */
    uint32_t *by_hash;    /* content hash → docs[] that have a path (JSON lines) */
    size_t nslots;        /* of by_id and by_hash */
    uint32_t *path_slots; /* path → paths[] */
    uint32_t *path_doc;   /* per path: index + 1 into docs[] of its one document;
                             0 none, UINT32_MAX several (a JSON Lines file's) */
    size_t npath_slots;
} known_map;

static uint64_t str_hash(const char *s)
{
    return XXH64(s, strlen(s), 0);
}

/* The number of slots for n entries: a power of two, at most 3/4 full. */
static size_t slots_for(size_t n)
{
    size_t nslots = 16;
    while (nslots / 4 * 3 < n)
        nslots *= 2;
    return nslots;
}

/* Put index i (stored as i + 1) in the first free slot from key's. */
static void slot_put(uint32_t *slots, size_t nslots, uint64_t key, size_t i)
{
    size_t j = (size_t)key & (nslots - 1);
    while (slots[j])
        j = (j + 1) & (nslots - 1);
    slots[j] = (uint32_t)(i + 1);
}

/* items (n of size bytes, room for *cap), moved if need be to have room for
 * one more: the capacity doubles, from first.  NULL (items unchanged) when
 * out of memory. */
static void *grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t more = *cap ? *cap * 2 : first;
    void *p = realloc(items, more * size);
    if (p)
        *cap = more;
    return p;
}

static const char *km_str(const known_map *m, uint64_t off)
{
    return m->arena + off;
}

/* Copy s into the arena; *off is where it starts. */
static int km_store(known_map *m, const char *s, uint64_t *off)
{
    size_t len = strlen(s) + 1;
    if (m->arena_cap - m->arena_len < len) {
        size_t cap = m->arena_cap ? m->arena_cap : (size_t)1 << 16;
        while (cap - m->arena_len < len)
            cap *= 2;
        char *arena = realloc(m->arena, cap);
        if (!arena)
            return LEDE_ENOMEM;
        m->arena = arena;
        m->arena_cap = cap;
    }
    memcpy(m->arena + m->arena_len, s, len);
    *off = m->arena_len;
    m->arena_len += len;
    return LEDE_OK;
}

/* The index of path in paths[], or NO_PATH when no known document has it. */
static uint32_t km_path_find(const known_map *m, const char *path)
{
    if (!m->npath_slots || !path)
        return NO_PATH;
    for (size_t j = (size_t)str_hash(path) & (m->npath_slots - 1); m->path_slots[j];
         j = (j + 1) & (m->npath_slots - 1)) {
        uint32_t p = m->path_slots[j] - 1;
        if (strcmp(km_str(m, m->paths[p]), path) == 0)
            return p;
    }
    return NO_PATH;
}

/* The index of path in paths[], added when new. */
static int km_path_intern(known_map *m, const char *path, uint32_t *out)
{
    *out = km_path_find(m, path);
    if (*out != NO_PATH)
        return LEDE_OK;
    if (m->npaths >= UINT32_MAX - 1)
        return LEDE_ENOMEM;
    uint64_t *paths = grow(m->paths, &m->paths_cap, m->npaths, sizeof *paths, 64);
    if (!paths)
        return LEDE_ENOMEM;
    m->paths = paths;
    if (slots_for(m->npaths + 1) > m->npath_slots) {
        size_t nslots = slots_for(m->npaths + 1);
        uint32_t *slots = calloc(nslots, sizeof *slots);
        if (!slots)
            return LEDE_ENOMEM;
        for (size_t p = 0; p < m->npaths; p++)
            slot_put(slots, nslots, str_hash(km_str(m, m->paths[p])), p);
        free(m->path_slots);
        m->path_slots = slots;
        m->npath_slots = nslots;
    }
    int rc = km_store(m, path, &m->paths[m->npaths]);
    if (rc)
        return rc;
    slot_put(m->path_slots, m->npath_slots, str_hash(path), m->npaths);
    *out = (uint32_t)m->npaths++;
    return LEDE_OK;
}

/* Append a document read from the index; km_index makes it findable. */
static int km_add(known_map *m, const lede_doc_info *info)
{
    if (m->n >= UINT32_MAX - 1)
        return LEDE_ENOMEM; /* doc ids are 32-bit: an index never holds more */
    known_doc *docs = grow(m->docs, &m->cap, m->n, sizeof *docs, 1024);
    if (!docs)
        return LEDE_ENOMEM;
    m->docs = docs;
    known_doc *d = &m->docs[m->n];
    *d = (known_doc){.size = info->size, .mtime = info->mtime, .hash = info->hash,
                     .path = NO_PATH};
    int rc = km_store(m, info->id, &d->id);
    if (!rc && info->path && *info->path)
        rc = km_path_intern(m, info->path, &d->path);
    if (rc)
        return rc;
    m->n++;
    return LEDE_OK;
}

/* Build by_id and by_hash over the documents added, in docs[] order, so that
 * documents with the same content hash are met in doc id order. */
static int km_index(known_map *m)
{
    m->nslots = slots_for(m->n);
    m->by_id = calloc(m->nslots, sizeof *m->by_id);
    m->by_hash = calloc(m->nslots, sizeof *m->by_hash);
    m->path_doc = calloc(m->npaths + 1, sizeof *m->path_doc);
    if (!m->by_id || !m->by_hash || !m->path_doc)
        return LEDE_ENOMEM;
    for (size_t i = 0; i < m->n; i++) {
        slot_put(m->by_id, m->nslots, str_hash(km_str(m, m->docs[i].id)), i);
        uint32_t p = m->docs[i].path;
        if (p != NO_PATH) {
            slot_put(m->by_hash, m->nslots, m->docs[i].hash, i);
            m->path_doc[p] = m->path_doc[p] ? UINT32_MAX : (uint32_t)i + 1;
        }
    }
    return LEDE_OK;
}

/* The one document indexed from file path (absolute), or NULL (none, or a
 * JSON Lines file's several). */
static known_doc *km_file_doc(const known_map *m, const char *path)
{
    uint32_t p = m->path_doc ? km_path_find(m, path) : NO_PATH;
    if (p == NO_PATH || m->path_doc[p] == 0 || m->path_doc[p] == UINT32_MAX)
        return NULL;
    return &m->docs[m->path_doc[p] - 1];
}

static known_doc *km_find(const known_map *m, const char *id)
{
    if (!m->by_id)
        return NULL;
    for (size_t j = (size_t)str_hash(id) & (m->nslots - 1); m->by_id[j];
         j = (j + 1) & (m->nslots - 1)) {
        known_doc *d = &m->docs[m->by_id[j] - 1];
        if (strcmp(km_str(m, d->id), id) == 0)
            return d;
    }
    return NULL;
}

/*
 * The first document not yet seen with this content hash (among those with a
 * path, i.e. every JSON line) and, unless path is NO_PATH, this path.  The
 * reading thread asks with NO_PATH while the main thread sets seen flags:
 * seen is then ignored, and the table itself never changes during the run.
 */
static known_doc *km_find_line(const known_map *m, uint64_t hash, uint32_t path)
{
    if (!m->by_hash)
        return NULL;
    for (size_t j = (size_t)hash & (m->nslots - 1); m->by_hash[j];
         j = (j + 1) & (m->nslots - 1)) {
        known_doc *d = &m->docs[m->by_hash[j] - 1];
        if (d->hash != hash)
            continue;
        if (path == NO_PATH)
            return d;
        if (d->path == path && !d->seen)
            return d;
    }
    return NULL;
}

static void km_free(known_map *m)
{
    free(m->arena);
    free(m->docs);
    free(m->paths);
    free(m->by_id);
    free(m->by_hash);
    free(m->path_slots);
    free(m->path_doc);
    *m = (known_map){0};
}

/*
 * The ids written in this run that were not in the index, kept as their
 * xxh64 only: all it must tell is whether an id comes a second time (a
 * record repeated in a dump), to count it as updated rather than added.  Two
 * ids colliding in 64 bits (probability about n^2/2^65: 3e-8 for a million)
 * would only count one document as updated instead of added; the index is
 * unaffected, since the library replaces documents by their real id.  0
 * marks an empty slot, so a hash of 0 is stored as 1.
 */
typedef struct id_set {
    uint64_t *slots;
    uint32_t *input; /* per slot: the input (run's count) that wrote the id last */
    size_t n, nslots;
} id_set;

/* Add id's hash, written by input number input; *again says whether it was
 * there already, and *prev then which input wrote it before. */
static int ids_add(id_set *s, const char *id, uint32_t input, bool *again, uint32_t *prev)
{
    uint64_t h = str_hash(id);
    h += h == 0;
    *again = false;
    if (slots_for(s->n + 1) > s->nslots) {
        size_t nslots = slots_for(s->n + 1);
        uint64_t *slots = calloc(nslots, sizeof *slots);
        uint32_t *inputs = calloc(nslots, sizeof *inputs);
        if (!slots || !inputs) {
            free(slots);
            free(inputs);
            return LEDE_ENOMEM;
        }
        for (size_t i = 0; i < s->nslots; i++) {
            if (!s->slots[i])
                continue;
            size_t j = (size_t)s->slots[i] & (nslots - 1);
            while (slots[j])
                j = (j + 1) & (nslots - 1);
            slots[j] = s->slots[i];
            inputs[j] = s->input[i];
        }
        free(s->slots);
        free(s->input);
        s->slots = slots;
        s->input = inputs;
        s->nslots = nslots;
    }
    size_t j = (size_t)h & (s->nslots - 1);
    for (; s->slots[j]; j = (j + 1) & (s->nslots - 1))
        if (s->slots[j] == h) {
            *again = true;
            *prev = s->input[j];
            s->input[j] = input;
            return LEDE_OK;
        }
    s->slots[j] = h;
    s->input[j] = input;
    s->n++;
    return LEDE_OK;
}

/*
 * Documents read under one reader at most.  The pages a reader reads stay
 * mapped, and counted in the RSS, until the environment closes; and the
 * kernel maps the cached pages around each one read, most of them other
 * databases' (the document records are a sixth of a million-article index,
 * yet one reader over all of them held 870 MB of it).  Reopening every
 * 32768 documents keeps that under about 25 MB.
 */
#define KNOWN_SCAN_CHUNK 32768

/* Close *r and open the index again; *moved when its documents changed since
 * st (another lede-index committed). */
static int reopen_reader(lede_reader **r, const char *dir, const lede_stats *st, bool *moved)
{
    char *err = NULL;
    lede_stats now;
    lede_reader_close(*r);
    int rc = lede_reader_open(r, dir, &err);
    if (rc) {
        cli_open_error(dir, err, rc);
        goto cleanup;
    }
    rc = lede_reader_stats(*r, &now);
    if (rc) {
        cli_error("%s: %s", dir, lede_reader_errmsg(*r));
        goto cleanup;
    }
    /* Any commit that adds or deletes a document moves one of the two. */
    *moved = now.ndocs != st->ndocs || now.max_docid != st->max_docid;
cleanup:
    free(err);
    return rc;
}

/*
 * Add every live document of the index to m, reading through *r (whose
 * stats are st).  chunked: reopen the reader every KNOWN_SCAN_CHUNK
 * documents; *moved (m then partly filled) when the index changed meanwhile,
 * so that what was read is not one snapshot.
 */
static int scan_known(known_map *m, const char *dir, lede_reader **r, const lede_stats *st,
                      bool chunked, bool *moved)
{
    int rc = LEDE_OK;
    size_t in_chunk = 0;
    *moved = false;
    if (st->ndocs && st->ndocs < UINT32_MAX) {
        /* The count is exact: one allocation for the records. */
        m->docs = malloc(st->ndocs * sizeof *m->docs);
        m->cap = m->docs ? st->ndocs : 0;
    }
    for (uint64_t id = 0; id <= st->max_docid; id++) {
        if (chunked && in_chunk == KNOWN_SCAN_CHUNK) {
            rc = reopen_reader(r, dir, st, moved);
            if (rc || *moved)
                return rc;
            in_chunk = 0;
        }
        lede_doc_info info;
        rc = lede_reader_doc_brief(*r, (uint32_t)id, &info);
        if (rc == LEDE_ENOTFOUND)
            continue;
        if (rc) {
            cli_error("%s: document %llu: %s", dir, (unsigned long long)id,
                      lede_reader_errmsg(*r));
            return rc;
        }
        rc = km_add(m, &info);
        if (rc) {
            cli_error("%s", lede_strerror(rc));
            return rc;
        }
        in_chunk++;
        if (id == UINT32_MAX)
            break;
    }
    return LEDE_OK;
}

/*
 * Read every live document's id, path, size, mtime and hash.  A missing index
 * is not an error (*exists false).  The reader is closed again before the
 * writer opens: LMDB forbids one process opening an environment twice.
 */
static int load_known(known_map *m, const char *dir, bool rebuild, bool *exists,
                      bool *other_version, char *language, size_t language_size)
{
    lede_reader *r = NULL;
    char *err = NULL;
    int rc = lede_reader_open(&r, dir, &err);
    *exists = *other_version = false;
    if (rc == LEDE_ENOTFOUND) {
        rc = LEDE_OK;
        goto cleanup;
    }
    if (rc == LEDE_EVERSION && rebuild) {
        /* What --rebuild is for (the message says so): start over, with
         * --language or the default, as nothing of it can be read. */
        *exists = *other_version = true;
        rc = LEDE_OK;
        goto cleanup;
    }
    if (rc) {
        cli_open_error(dir, err, rc);
        goto cleanup;
    }
    *exists = true;
    lede_stats st;
    rc = lede_reader_stats(r, &st);
    if (rc) {
        cli_error("%s: %s", dir, lede_reader_errmsg(r));
        goto cleanup;
    }
    bool moved;
    rc = scan_known(m, dir, &r, &st, true, &moved);
    if (!rc && moved) {
        /* Rare: read it all again under one reader, one snapshot. */
        km_free(m);
        rc = lede_reader_stats(r, &st);
        if (rc) {
            cli_error("%s: %s", dir, lede_reader_errmsg(r));
            goto cleanup;
        }
        rc = scan_known(m, dir, &r, &st, false, &moved);
    }
    if (rc)
        goto cleanup;
    snprintf(language, language_size, "%s", st.language);
    rc = km_index(m);
    if (rc)
        cli_error("%s", lede_strerror(rc));
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
    id_set added_ids; /* ids written in this run that were not in the index */
    /* The input being read (counted from 1), its path in the known map, and
     * how many of its records took an id another record had: in this input
     * (a dump that repeats an id), or in another file (dumps whose ids
     * overlap: each record replaces the other's document). */
    uint32_t input;
    uint32_t input_path;
    size_t same_id_here, same_id_elsewhere;
    size_t undated, undated_line; /* documents with a date not understood; the first's line */
    uint8_t *gone;     /* per known path: 0 not asked, 1 exists, 2 gone */
    cli_progress *bar;
    uint64_t bytes_done;
    uint64_t json_seed; /* of the line hashes: extract_seed of the field names */
    size_t max_doc;     /* bytes of the largest document or record read (doc_limit) */
    bool *input_failed; /* per input: something in it failed in this run */
    bool fatal;
} run;

/*
 * The seed of a document's content hash: 0 when it is read the default way,
 * else a hash of how (the JSON field names, or a --format other than the
 * file's extension's).  A record or file whose bytes are unchanged but which
 * is now read another way then no longer matches its document, and is
 * indexed again: a re-run with --body-field fixed must not report the
 * records "unchanged".  Indexes made before keep matching: their hashes
 * had seed 0, which the default way still uses.
 */
static uint64_t extract_seed(const char *const *names, size_t n)
{
    XXH64_state_t *st = XXH64_createState();
    bool any = false;
    uint64_t seed = 0;
    if (!st)
        return 0;
    XXH64_reset(st, 0);
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i] ? names[i] : "";
        any |= names[i] != NULL;
        XXH64_update(st, s, strlen(s) + 1); /* with its NUL: "ab","" is not "a","b" */
    }
    if (any)
        seed = XXH64_digest(st) | 1; /* never 0, the default's */
    XXH64_freeState(st);
    return seed;
}

/* A name that is the default's reads the same records (an explicit "body"
 * does not: the default falls back to "text" and "content"). */
static const char *unless_default(const char *name, const char *dflt)
{
    return name && strcmp(name, dflt) == 0 ? NULL : name;
}

static uint64_t json_seed(const lede_extract_fields *f)
{
    const char *names[] = {unless_default(f->id, "id"), unless_default(f->title, "title"),
                           f->body, unless_default(f->date, "date")};
    return extract_seed(names, 4);
}

/* --memory, or the library's default when it is not given (lede/index.h). */
static size_t budget_of(size_t memory)
{
    return memory ? memory : LEDE_DEFAULT_MEMORY_BUDGET;
}

/*
 * The largest document (a file, or a JSON record) read: a quarter of the
 * memory budget, at least 1 MiB.  Indexing one takes about 3.5 times its
 * bytes at once (Gutenberg's 123 MB as one text file peaked at 452 MB), so
 * a larger one would break the budget; and an input without end (/dev/zero,
 * `yes |`) would take memory until there is none.  Articles are far below
 * it: the longest line of the corpora here (a Gutenberg chapter) is 0.5 MB.
 */
static size_t doc_limit(size_t memory)
{
    return LEDE_MAX(budget_of(memory) / 4, (size_t)1 << 20);
}

/* The reason given for a document over the limit, with the way round it. */
static void too_large_why(const run *r, char *out, size_t n)
{
    snprintf(out, n, "larger than the %zu MiB a document may take at --memory %zuM (a larger "
                     "--memory takes it)",
             r->max_doc >> 20, budget_of(r->opts->memory) >> 20);
}

/* A file's: 0 unless --format overrides the format its name gives. */
static uint64_t file_seed(const cli_options *opts, const char *name, lede_format fmt)
{
    if (opts->format == LEDE_FORMAT_AUTO || fmt == lede_extract_format_of_path(name))
        return 0;
    const char *names[] = {lede_extract_format_name(fmt)};
    return extract_seed(names, 1);
}

static uint64_t docs_done(const run *r)
{
    return r->c->added + r->c->updated + r->c->unchanged;
}

static void tick(run *r)
{
    cli_progress_update(r->bar, docs_done(r), r->bytes_done);
}

/* --verbose: "added ID" on stderr, the id's control characters escaped. */
static void verbose_id(const char *what, const char *id)
{
    fprintf(stderr, "%s ", what);
    cli_put_safe(id);
    fputc('\n', stderr);
}

/* Whether known path p no longer exists (its documents moved, say): asked
 * of the file system once per path. */
static bool path_gone(run *r, uint32_t p)
{
    if (p >= r->known.npaths || (!r->gone && !(r->gone = calloc(r->known.npaths, 1))))
        return false;
    if (!r->gone[p]) {
        const char *path = km_str(&r->known, r->known.paths[p]);
        r->gone[p] = access(path, F_OK) != 0 && errno == ENOENT ? 2 : 1;
    }
    return r->gone[p] == 2;
}

/* After input where: one warning for its records that took the id of
 * another record (see run), and one for those whose date was not read. */
static void report_input(run *r, const char *where)
{
    if (r->same_id_elsewhere)
        cli_warn(where, 0,
                 "%zu document%s had the id of a document from another file and replaced it "
                 "(ids are one space for all inputs: index such collections apart, or "
                 "give them ids of their own)",
                 r->same_id_elsewhere, r->same_id_elsewhere == 1 ? "" : "s");
    if (r->same_id_here)
        cli_warn(where, 0,
                 "%zu record%s repeated the id of an earlier record of this file; the last "
                 "one is kept",
                 r->same_id_here, r->same_id_here == 1 ? "" : "s");
    if (r->undated == 1)
        cli_warn(where, r->undated_line,
                 "a date that cannot be read without guessing (such as 05/03/2024): the "
                 "document is undated, its date kept in its metadata");
    else if (r->undated > 1)
        cli_warn(where, r->undated_line,
                 "%zu documents have dates that cannot be read without guessing, the first "
                 "on this line (such as 05/03/2024): they are undated, their dates kept in "
                 "their metadata",
                 r->undated);
    r->same_id_here = r->same_id_elsewhere = r->undated = 0;
}

/* Hand one extracted document to the library and count it. */
static int write_doc(run *r, const char *id, lede_extracted *x, const char *path,
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

    /* The body goes to the index as it is, not copied. */
    int rc = x->body ? lede_index_add_body(r->ix, &d, x->body) : lede_index_add(r->ix, &d);
    x->body = NULL;
    x->body_len = 0;
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
    /* Written before: in the index already (an update), or earlier in this
     * run; and if so, from this input or another. */
    bool again = false, here = false;
    uint32_t prev = 0;
    known_doc *k = km_find(&r->known, id);
    bool first_time = k && !k->seen;
    if ((rc = ids_add(&r->added_ids, id, r->input, &again, &prev))) {
        cli_error("out of memory");
        r->fatal = true;
        return rc;
    }
    if (again) {
        here = prev == r->input; /* written earlier in this run */
    } else if (k) {
        /* In the index before the run: from another file unless this one
         * (a document met unchanged in this run is there too). */
        again = !first_time;
        here = k->path == NO_PATH || k->path == r->input_path || path_gone(r, k->path);
        if (first_time && !here)
            r->same_id_elsewhere++;
    }
    if (again)
        here ? r->same_id_here++ : r->same_id_elsewhere++;
    if (k)
        k->seen = true;
    again |= k != NULL;
    if (again) {
        r->c->updated++;
        if (r->opts->verbose) {
            cli_progress_clear(r->bar);
            verbose_id("updated", id);
        }
    } else {
        r->c->added++;
        if (r->opts->verbose) {
            cli_progress_clear(r->bar);
            verbose_id("added", id);
        }
    }
    if (x->charset && strncmp(x->charset, "UTF-16", 6) == 0) {
        r->c->repaired++; /* converted whole: nothing to point at */
        cli_warn(where, 0, "read as %s (converted to UTF-8)", x->charset);
    } else if (x->charset) {
        r->c->repaired++;
        cli_warn(where, line ? line : x->repair_line,
                 "not UTF-8: read as %s (%zu byte%s converted)", x->charset, x->repaired,
                 x->repaired == 1 ? "" : "s");
    } else if (x->repaired) {
        /* A JSON record's line is the file's; a document's is its own. */
        cli_warn(where, line ? line : x->repair_line,
                 "invalid UTF-8 (%zu byte sequence%s replaced)", x->repaired,
                 x->repaired == 1 ? "" : "s");
        r->c->repaired++;
    }
    if (x->date_unread && !r->undated++)
        r->undated_line = line;
    return LEDE_OK;
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
 * the largest line buffer a slot keeps for the next line: the 256 slots
 * kept up to 64 KB each, 7-10 MB of Gutenberg's chapters, which took its
 * peak at --memory 32M to 96.5 MiB (limit 96); at 8 KB, 89.7 MiB, and an
 * article-sized line still reuses its buffer. */
#define JL_AHEAD_BYTES ((size_t)2 << 20)
#define JL_KEEP_BUF ((size_t)8 << 10)

typedef struct jl_line {
    char *buf;         /* getline's buffer, reused from line to line */
    size_t cap;
    ssize_t len;       /* without the line end; -1 at the end of the input */
    size_t raw;        /* bytes read, line end included */
    size_t lineno;
    bool blank;
    bool oversize;     /* longer than max_doc: buf holds its start, err says why */
    uint64_t hash;
    bool parsed;       /* x, prc and err hold lede_extract_json's answer */
    int prc;
    lede_extracted x;
    char err[256];
} jl_line;

/*
 * A JSON document (.json, or stdin holding pretty-printed JSON) is read as a
 * stream of top-level values: each object is a record, and so is each
 * element of a top-level array, whatever the layout (one array on one line,
 * `jq .` output, objects one after another).  The scanner cuts a record's
 * bytes out of the stream by its brackets, outside strings, without parsing
 * it, so a record costs what a JSON line costs from there on; a record is
 * named by the line it starts on.  Unlike JSON Lines, a damaged record (an
 * unclosed string or bracket) can swallow what follows it up to the end of
 * the input: it is then one failed record, and the records before it are
 * indexed.
 */
typedef struct js_scan {
    char *blk;        /* bytes read from the file, [pos, len) not scanned yet */
    size_t pos, len;
    bool in_array;    /* inside a top-level array: its elements are records */
    size_t lineno;    /* of the next byte */
} js_scan;

#define JS_BLOCK ((size_t)64 << 10)

typedef struct jl_reader {
    run *r;
    FILE *f;
    bool json;         /* a JSON document (js) rather than JSON Lines */
    js_scan js;
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

/* The next byte of a JSON document, or EOF (then errno tells a read error). */
static int js_peek(jl_reader *jr)
{
    js_scan *js = &jr->js;
    if (js->pos == js->len) {
        if (!js->blk && !(js->blk = malloc(JS_BLOCK))) {
            jr->read_errno = ENOMEM;
            return EOF;
        }
        errno = 0;
        js->len = fread(js->blk, 1, JS_BLOCK, jr->f);
        js->pos = 0;
        if (!js->len) {
            jr->read_errno = errno;
            return EOF;
        }
    }
    return (unsigned char)js->blk[js->pos];
}

static int js_put(jl_line *l, size_t n, int c)
{
    if (n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        char *b = realloc(l->buf, cap);
        if (!b)
            return -1;
        l->buf = b;
        l->cap = cap;
    }
    l->buf[n] = (char)c;
    return 0;
}

/*
 * The next record of a JSON document into l (NUL-terminated, its first line
 * in l->lineno); l->len -1 at the end.  Between records: whitespace, the
 * brackets of a top-level array and its commas.  A record ends where its
 * brackets close; a scalar where a comma, a bracket or (outside an array)
 * the line ends.
 */
static void js_read(jl_reader *jr, jl_line *l)
{
    js_scan *js = &jr->js;
    int c;
    size_t n = 0, raw = 0;
    l->oversize = false;
    if (!js->lineno) {
        js->lineno = 1;
        /* A byte order mark opens the document, not a record. */
        for (int i = 0; i < 3 && js_peek(jr) == (int)(unsigned char)"\xEF\xBB\xBF"[i]; i++) {
            js->pos++;
            raw++;
        }
    }
    for (;;) {
        if ((c = js_peek(jr)) == EOF) {
            l->len = -1;
            return;
        }
        if (c == '\n')
            js->lineno++;
        else if (c != ' ' && c != '\t' && c != '\r') {
            if (c == '[' && !js->in_array)
                js->in_array = true;
            else if (js->in_array && (c == ',' || c == ']'))
                js->in_array = c == ',';
            else
                break;
        }
        js->pos++;
        raw++;
    }
    jr->lineno = l->lineno = js->lineno;
    lede_json_scan sc = {0};
    while ((c = js_peek(jr)) != EOF) {
        if (!sc.in_str && sc.depth == 0 && n > 0 && l->buf[0] != '{' && l->buf[0] != '[' &&
            (c == ',' || c == ']' || c == '\n'))
            break; /* the end of a scalar: the separator stays for the loop above */
        if (n == jr->r->max_doc)
            l->oversize = true; /* scanned to its end, not kept */
        else if (js_put(l, n++, c) != 0) {
            jr->read_errno = ENOMEM;
            l->len = -1;
            return;
        }
        js->pos++;
        raw++;
        if (c == '\n')
            js->lineno++;
        if (lede_extract_json_step(&sc, (char)c))
            break;
    }
    l->buf[n] = '\0';
    l->len = (ssize_t)n;
    l->raw = raw;
    l->blank = false;
}

/*
 * lede_extract_json names a column of the text it was given; in a record of
 * several lines, name the line and column of the document instead.
 */
static void js_locate(jl_line *l, size_t *lineno)
{
    char *at = strstr(l->err, "at column ");
    size_t col;
    int used = 0;
    if (!at || sscanf(at, "at column %zu%n", &col, &used) != 1 || col == 0 ||
        col > (size_t)l->len + 1 || l->x.repaired)
        return;
    size_t line_start = 0;
    for (size_t i = 0; i + 1 < col; i++)
        if (l->buf[i] == '\n') {
            ++*lineno;
            line_start = i + 1;
        }
    char rest[sizeof l->err];
    snprintf(rest, sizeof rest, "%s", at + used);
    if (*lineno == l->lineno)
        snprintf(at, sizeof l->err - (size_t)(at - l->err), "at column %zu%s", col - line_start,
                 rest);
    else
        snprintf(at, sizeof l->err - (size_t)(at - l->err),
                 "at column %zu (in the record from line %zu)%s", col - line_start, l->lineno,
                 rest);
}

/*
 * The next line of JSON Lines into l, its end included (l->len -1 at the end
 * of the input).  As getline, but a line longer than max_doc is read to its
 * end without being kept: its first max_doc bytes, and l->oversize.
 */
static void jl_getline(jl_reader *jr, jl_line *l)
{
    js_scan *js = &jr->js;
    size_t n = 0, raw = 0, max = jr->r->max_doc;
    l->oversize = false;
    while (js_peek(jr) != EOF) {
        const char *at = js->blk + js->pos;
        size_t avail = js->len - js->pos;
        const char *nl = memchr(at, '\n', avail);
        size_t take = nl ? (size_t)(nl - at) + 1 : avail;
        size_t keep = LEDE_MIN(take, max + 1 - n); /* a byte over: a line end, or too long */
        if (n + keep + 1 > l->cap) {
            size_t cap = LEDE_MAX(l->cap * 2, n + keep + 1);
            char *b = realloc(l->buf, cap);
            if (!b) {
                jr->read_errno = ENOMEM;
                l->len = -1;
                return;
            }
            l->buf = b;
            l->cap = cap;
        }
        memcpy(l->buf + n, at, keep);
        n += keep;
        raw += take;
        js->pos += take;
        if (nl)
            break;
    }
    if (!raw) {
        l->len = -1;
        return;
    }
    size_t end = n && l->buf[n - 1] == '\n' ? 1 : 0;
    l->oversize = n - end > max;
    if (l->oversize)
        n = max;
    l->buf[n] = '\0';
    l->len = (ssize_t)n;
    l->raw = raw;
}

/* Read the next record into l; parse it when reading ahead and it is new. */
static void jl_read(jl_reader *jr, jl_line *l)
{
    l->parsed = false;
    if (jr->json) {
        js_read(jr, l);
        if (l->len < 0)
            return;
    } else {
        jl_getline(jr, l);
        if (l->len < 0)
            return;
        l->lineno = ++jr->lineno;
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
    }
    if (l->oversize) {
        too_large_why(jr->r, l->err, sizeof l->err);
        return;
    }
    char *line = l->buf;
    ssize_t len = l->len;
    l->hash = XXH64(line, (size_t)len, jr->r->json_seed);
    if (jr->ahead && !km_find_line(&jr->r->known, l->hash, NO_PATH))
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

/* The analysis threads -j asks for (the number of cores by default). */
static int read_ahead_threads(const run *r)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return r->opts->threads > 0 ? r->opts->threads : (int)(cores > 0 ? cores : 1);
}

static bool read_ahead_wanted(const run *r)
{
    return read_ahead_threads(r) > 1;
}

static int ingest_jsonl(run *r, FILE *f, const cli_input_file *inp, const cli_input *in,
                        const char *abspath, bool json)
{
    int rc = LEDE_OK;
    /* A compressed input's progress is its compressed bytes read. */
    bool packed = inp && cli_input_compression(inp);
    uint64_t bytes_before = r->bytes_done;
    jl_reader jr = {.r = r, .f = f, .json = json};
    jl_line own = {0};
    const char *where = strcmp(in->path, "-") == 0 ? "<stdin>" : in->path;
    /* Known lines count as this file's only when indexed from its path. */
    uint32_t path = km_path_find(&r->known, abspath);

    if (read_ahead_wanted(r))
        jl_start(&jr);
    for (;;) {
        jl_line *l = jl_next(&jr, &own);
        if (l->len < 0)
            break;
        size_t lineno = l->lineno;
        ssize_t len = l->len;
        r->bytes_done = packed ? bytes_before + cli_input_consumed(inp) : r->bytes_done + l->raw;
        if (l->blank) {
            jl_release(&jr);
            continue;
        }
        if (l->oversize) {
            cli_warn(where, lineno, "%s; %s skipped", l->err, json ? "record" : "line");
            jl_release(&jr);
            r->c->failed++;
            continue;
        }
        uint64_t hash = l->hash;
        known_doc *k = path == NO_PATH ? NULL : km_find_line(&r->known, hash, path);
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
            if (json)
                js_locate(l, &lineno);
            cli_warn(where, lineno, "%s; %s skipped", l->err, json ? "record" : "line");
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
        const char *why = inp ? cli_input_error(inp) : NULL;
        cli_warn(where, jr.lineno + 1, "read error: %s",
                 why ? why : strerror(jr.read_errno ? jr.read_errno : EIO));
        r->c->failed++;
    }
    if (own.parsed)
        lede_extracted_clear(&own.x);
    free(own.buf);
    free(jr.js.blk);
    return rc;
}

/* What is read of an input whose format its name does not tell, to tell it. */
#define SNIFF_BYTES ((size_t)1 << 16)

/*
 * Read f to its end, or until *len reaches limit, onto *buf (*len bytes
 * held, *cap allocated; NULL, 0, 0 at first).  On failure *buf is freed:
 * LEDE_ENOMEM, or a positive errno when reading failed.
 */
static int slurp(FILE *f, char **buf, size_t *len, size_t *cap, size_t limit)
{
    for (;;) {
        if (*len == *cap) {
            size_t nc = *cap ? *cap * 2 : 1 << 16;
            char *more = *cap > SIZE_MAX / 2 ? NULL : realloc(*buf, nc);
            if (!more) {
                free(*buf);
                *buf = NULL;
                return LEDE_ENOMEM;
            }
            *buf = more;
            *cap = nc;
        }
        size_t want = LEDE_MIN(*cap - *len, limit - *len);
        size_t got = want ? fread(*buf + *len, 1, want, f) : 0;
        *len += got;
        if (got == 0 || *len >= limit)
            break;
    }
    if (ferror(f)) {
        int err = errno;
        free(*buf);
        *buf = NULL;
        return err ? err : EIO; /* positive: an errno, as the caller expects */
    }
    return LEDE_OK;
}

/* A stream of the bytes already read from an input, then the rest of it. */
typedef struct prefixed {
    const char *head;
    size_t len, pos;
    FILE *rest;
} prefixed;

static ssize_t prefixed_read(void *cookie, char *out, size_t n)
{
    prefixed *p = cookie;
    if (p->pos < p->len) {
        size_t k = LEDE_MIN(n, p->len - p->pos);
        memcpy(out, p->head + p->pos, k);
        p->pos += k;
        return (ssize_t)k;
    }
    size_t got = fread(out, 1, n, p->rest);
    return got == 0 && ferror(p->rest) ? -1 : (ssize_t)got;
}

static int prefixed_close(void *cookie)
{
    free(cookie);
    return 0;
}

/* f with head (borrowed until the stream is closed) put back before it. */
static FILE *prefixed_open(const char *head, size_t len, FILE *f)
{
    prefixed *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    *p = (prefixed){head, len, 0, f};
    FILE *s = fopencookie(p, "rb", (cookie_io_functions_t){.read = prefixed_read,
                                                          .close = prefixed_close});
    if (!s)
        free(p);
    return s;
}

/* ------------------------------------------------------------------ */
/* HTML pages read and extracted ahead                                  */
/* ------------------------------------------------------------------ */

/*
 * A folder of saved web pages is mostly libxml2's work: on 6,229 real
 * pages (rustdoc, /usr/share/doc, node's and an SDK's, 119 MB) the main
 * thread took 82% of a default run's samples, extracting, while the
 * analysers idled.  With -j not 1, as many threads as analyse read the
 * HTML inputs ahead of the main thread (real path, bytes, hash,
 * extraction), each taking the next input none has.  The main thread
 * takes them in input order and decides as it always did (unchanged,
 * touched, failed, new), so the index and the messages are the same.  A
 * page that looks unchanged by size and mtime is not read ahead (a re-run
 * reads nothing it did not read before), and one whose bytes hash as they
 * did is not extracted.  Those 6,229 pages: 2.48 -> 1.79 s; Reuters'
 * articles as 21,578 pages: 1.28 -> 1.07 s (with one thread ahead, its
 * parse alone was the bottleneck).  Text and Markdown are not read
 * ahead: their extraction costs less than handing them over (a folder of
 * Reuters' articles as .txt took 0.785 s read ahead, 0.74 s not; session
 * 11).
 */
/* Inputs read ahead at most, and their bytes (raw, or once extracted):
 * enough for the read-ahead to go on while the main thread waits for the
 * analysers (64 slots left it idle then: Reuters as pages took 1.50 s
 * rather than 1.30 with one thread ahead). */
#define FA_RING 1024
#define FA_AHEAD_BYTES ((size_t)8 << 20)

typedef struct fa_doc {
    bool read;           /* the fields below hold the input's reading */
    char *abspath;       /* realpath's answer (owned), or NULL */
    int open_err;        /* cli_input_open's, or 0 */
    int read_rc;         /* slurp's: LEDE_OK, LEDE_ENOMEM, or an errno */
    char *read_why;      /* cli_input_error's words (owned), or NULL */
    uint64_t consumed;   /* what the progress counts of it */
    char *buf;           /* the bytes, when not extracted (owned) */
    size_t len;
    bool binary;
    uint64_t hash;
    bool extracted;      /* xrc and x hold lede_extract_document's answer */
    int xrc;
    lede_extracted x;
    size_t held;         /* bytes held, for FA_AHEAD_BYTES */
    bool done;           /* read: the main thread may take it */
} fa_doc;

#define FA_THREADS_MAX 8

typedef struct fa_reader {
    run *r;
    const cli_inputs *in;
    fa_doc *ring;
    size_t head, next;   /* the next input to take and to read (input indexes) */
    size_t bytes;        /* held by the inputs read and not taken */
    bool stop;
    /* Wakeups only for threads that wait. */
    bool main_waits;
    int readers_wait;
    pthread_t threads[FA_THREADS_MAX];
    int nthreads;
    pthread_mutex_t lock;
    pthread_cond_t filled, freed;
} fa_reader;

/* How an input is read: --format, else its name's extension. */
static lede_format input_format(const run *r, const cli_input *in)
{
    lede_format fmt = r->opts->format;
    if (fmt == LEDE_FORMAT_AUTO && strcmp(in->path, "-") != 0)
        fmt = lede_extract_format_of_path(in->path);
    return fmt;
}

/* Whether document k is input in, found at path, unchanged by size and
 * mtime and read the default way: skipped without being read.  (Not
 * looking at k->seen, which the main thread sets while the read-ahead
 * threads ask.) */
static bool unchanged_on_disk(const run *r, const known_doc *k, const cli_input *in,
                              const char *path, lede_format fmt)
{
    return file_seed(r->opts, in->path, fmt) == 0 && k->size == (uint64_t)in->size &&
           k->mtime == in->mtime && k->path != NO_PATH &&
           strcmp(km_str(&r->known, r->known.paths[k->path]), path) == 0;
}

/* The indexed document an input of this path would be (not looking at
 * seen, which the main thread sets meanwhile); NULL when new. */
static const known_doc *fa_known(const run *r, const cli_input *in, const char *path)
{
    const known_doc *k = km_find(&r->known, in->id);
    return k ? k : km_file_doc(&r->known, path);
}

/* Read input in into d (reading thread). */
static void fa_read(fa_reader *fa, const cli_input *in, fa_doc *d)
{
    const run *r = fa->r;
    lede_format fmt = input_format(r, in);
    if (fmt != LEDE_FORMAT_HTML || strcmp(in->path, "-") == 0)
        return;
    d->abspath = realpath(in->path, NULL);
    const char *path = d->abspath ? d->abspath : in->path;
    const known_doc *k = fa_known(r, in, path);
    if (k && unchanged_on_disk(r, k, in, path, fmt))
        return; /* most likely skipped: the main thread decides */
    d->read = true;
    cli_input_file *inp = NULL;
    FILE *f = NULL;
    d->open_err = cli_input_open(&inp, &f, in->path);
    if (d->open_err)
        return;
    size_t cap = 0;
    d->read_rc = slurp(f, &d->buf, &d->len, &cap, r->max_doc + 1);
    if (d->read_rc > 0) {
        const char *why = cli_input_error(inp);
        d->read_why = why ? strdup(why) : NULL;
    }
    d->consumed = cli_input_compression(inp) ? cli_input_consumed(inp) : d->len;
    cli_input_close(inp);
    if (d->read_rc != LEDE_OK)
        return;
    d->held = d->len;
    if (d->len > r->max_doc)
        return; /* the main thread says so */
    d->binary = lede_extract_is_binary(d->buf, d->len);
    if (d->binary)
        return;
    d->hash = XXH64(d->buf, d->len, file_seed(r->opts, in->path, fmt));
    if (k && k->hash == d->hash && k->size == d->len)
        return; /* touched but not changed, most likely: kept unextracted */
    d->extracted = true;
    d->xrc = lede_extract_document(&d->x, d->buf, d->len, fmt);
    free(d->buf);
    d->buf = NULL;
    d->held = d->x.title_len + d->x.body_len;
}

static void fa_clear(fa_doc *d)
{
    free(d->abspath);
    free(d->read_why);
    free(d->buf);
    lede_extracted_clear(&d->x);
    memset(d, 0, sizeof *d);
}

/* A reading thread: the next input no thread has taken, until none is left. */
static void *fa_main(void *arg)
{
    fa_reader *fa = arg;
    pthread_mutex_lock(&fa->lock);
    while (!fa->stop && fa->next < fa->in->n) {
        if (fa->next - fa->head >= FA_RING || fa->bytes >= FA_AHEAD_BYTES) {
            fa->readers_wait++;
            pthread_cond_wait(&fa->freed, &fa->lock);
            fa->readers_wait--;
            continue;
        }
        size_t i = fa->next++;
        fa_doc *d = &fa->ring[i % FA_RING];
        pthread_mutex_unlock(&fa->lock);
        fa_read(fa, &fa->in->items[i], d);
        pthread_mutex_lock(&fa->lock);
        fa->bytes += d->held;
        d->done = true;
        if (fa->main_waits)
            pthread_cond_signal(&fa->filled);
    }
    pthread_mutex_unlock(&fa->lock);
    return NULL;
}

/* Start reading the HTML inputs ahead when -j is not 1 and there are some;
 * false (nothing started) otherwise. */
static bool fa_start(fa_reader *fa, run *r, const cli_inputs *in)
{
    size_t html = 0;
    for (size_t i = 0; i < in->n && !html; i++)
        html += input_format(r, &in->items[i]) == LEDE_FORMAT_HTML;
    if (!html || !read_ahead_wanted(r))
        return false;
    *fa = (fa_reader){.r = r, .in = in};
    fa->ring = calloc(FA_RING, sizeof *fa->ring);
    if (!fa->ring)
        return false;
    /* The parser's globals, before two threads may parse at once. */
    lede_extract_init();
    pthread_mutex_init(&fa->lock, NULL);
    pthread_cond_init(&fa->filled, NULL);
    pthread_cond_init(&fa->freed, NULL);
    /* As many as analyse: a page's parse costs more than its analysis. */
    int want = LEDE_MIN(read_ahead_threads(r), FA_THREADS_MAX);
    while (fa->nthreads < want &&
           pthread_create(&fa->threads[fa->nthreads], NULL, fa_main, fa) == 0)
        fa->nthreads++;
    if (fa->nthreads == 0) {
        pthread_mutex_destroy(&fa->lock);
        pthread_cond_destroy(&fa->filled);
        pthread_cond_destroy(&fa->freed);
        free(fa->ring);
        fa->ring = NULL;
        return false;
    }
    return true;
}

/* Input i's reading (the inputs are taken in order), once the thread has it. */
static fa_doc *fa_take(fa_reader *fa, size_t i)
{
    fa_doc *d = &fa->ring[i % FA_RING];
    pthread_mutex_lock(&fa->lock);
    fa->main_waits = true;
    while (!d->done)
        pthread_cond_wait(&fa->filled, &fa->lock);
    fa->main_waits = false;
    pthread_mutex_unlock(&fa->lock);
    return d;
}

/* Done with input i's reading: its slot goes back to the thread. */
static void fa_release(fa_reader *fa, size_t i)
{
    fa_doc *d = &fa->ring[i % FA_RING];
    size_t held = d->held;
    fa_clear(d);
    pthread_mutex_lock(&fa->lock);
    fa->bytes -= held;
    fa->head = i + 1;
    if (fa->readers_wait)
        pthread_cond_broadcast(&fa->freed);
    pthread_mutex_unlock(&fa->lock);
}

/* Stop the threads wherever they are and free what they read. */
static void fa_finish(fa_reader *fa)
{
    if (!fa->ring)
        return;
    pthread_mutex_lock(&fa->lock);
    fa->stop = true;
    pthread_cond_broadcast(&fa->freed);
    pthread_mutex_unlock(&fa->lock);
    for (int t = 0; t < fa->nthreads; t++)
        pthread_join(fa->threads[t], NULL);
    for (size_t i = 0; i < FA_RING; i++)
        fa_clear(&fa->ring[i]);
    free(fa->ring);
    fa->ring = NULL;
    pthread_mutex_destroy(&fa->lock);
    pthread_cond_destroy(&fa->filled);
    pthread_cond_destroy(&fa->freed);
}

/* Index one input; pre (or NULL) is its reading by a read-ahead thread. */
static int ingest_one(run *r, const cli_input *in, fa_doc *pre)
{
    int rc = LEDE_OK;
    bool is_stdin = strcmp(in->path, "-") == 0;
    const char *where = is_stdin ? "<stdin>" : in->path;
    FILE *f = NULL;
    cli_input_file *inp = NULL;
    char *buf = NULL;
    size_t len = 0;
    char abspath[PATH_MAX];
    const char *path = NULL;
    lede_extracted x = {0};

    if (pre && pre->abspath) {
        path = pre->abspath; /* its slot is released after this returns */
    } else if (!is_stdin) {
        if (realpath(in->path, abspath))
            path = abspath;
        else
            path = in->path;
    }

    lede_format fmt = input_format(r, in);
    r->input++;
    r->input_path = path ? km_path_find(&r->known, path) : NO_PATH;

    /* Unchanged size and mtime: skip without reading (the usual re-run). */
    const char *id = in->id;
    known_doc *k = km_find(&r->known, id);
    if (!k && path && fmt != LEDE_FORMAT_JSONL && fmt != LEDE_FORMAT_JSON) {
        /* The same file reached by another name (the folder indexed before,
         * the file named now, or a path typed another way): its document
         * keeps its id rather than gaining a twin. */
        known_doc *same = km_file_doc(&r->known, path);
        if (same && !same->seen) {
            k = same;
            id = km_str(&r->known, k->id);
        }
    }
    /* Not when --format reads the file otherwise than its name says: its
     * bytes then tell (their hash is seeded with the format, file_seed)
     * whether it was read that way before. */
    if (k && path && fmt != LEDE_FORMAT_JSONL && fmt != LEDE_FORMAT_JSON && !k->seen &&
        unchanged_on_disk(r, k, in, path, fmt)) {
        k->seen = true;
        r->c->unchanged++;
        r->bytes_done += (uint64_t)in->size;
        tick(r);
        return LEDE_OK;
    }

    /* Read ahead by another thread (an HTML page), or here. */
    bool ahead = pre && pre->read;
    int err = ahead ? pre->open_err : cli_input_open(&inp, &f, in->path);
    if (err) {
        cli_warn(where, 0, "cannot open: %s", strerror(err));
        r->c->failed++;
        goto cleanup;
    }
    if (fmt == LEDE_FORMAT_JSONL || fmt == LEDE_FORMAT_JSON) {
        rc = ingest_jsonl(r, f, inp, in, path, fmt == LEDE_FORMAT_JSON);
        goto cleanup;
    }
    /* A dump on stdin (or named oddly) is not read whole to tell that it
     * is one: a 755 MB JSON Lines file so read peaked at 1 GB. */
    size_t cap = 0;
    if (ahead) {
        rc = pre->read_rc;
        buf = pre->buf;
        len = pre->len;
        pre->buf = NULL;
    } else {
        rc = slurp(f, &buf, &len, &cap, fmt == LEDE_FORMAT_AUTO ? SNIFF_BYTES : r->max_doc + 1);
    }
    if (rc == LEDE_OK && fmt == LEDE_FORMAT_AUTO) {
        if (lede_extract_is_binary(buf, len)) {
            /* Not read to its end: /dev/urandom has none. */
            cli_warn(where, 0, "binary file; skipped");
            r->c->failed++;
            goto cleanup;
        }
        fmt = lede_extract_format_sniff(buf, len);
        if (fmt == LEDE_FORMAT_JSONL || fmt == LEDE_FORMAT_JSON) {
            FILE *all = prefixed_open(buf, len, f);
            if (!all) {
                cli_error("out of memory reading %s", where);
                r->fatal = true;
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            rc = ingest_jsonl(r, all, inp, in, path, fmt == LEDE_FORMAT_JSON);
            fclose(all);
            goto cleanup;
        }
        rc = slurp(f, &buf, &len, &cap, r->max_doc + 1); /* one article: all of it */
    }
    if (rc > 0) {
        const char *why = ahead ? pre->read_why : cli_input_error(inp);
        cli_warn(where, 0, "cannot read: %s", why ? why : strerror(rc));
        r->c->failed++;
        rc = LEDE_OK;
        goto cleanup;
    }
    if (rc) {
        cli_error("out of memory reading %s", where);
        r->fatal = true;
        goto cleanup;
    }
    r->bytes_done += ahead                          ? pre->consumed
                     : cli_input_compression(inp) ? cli_input_consumed(inp)
                                                  : len;
    if (len > r->max_doc) {
        char why[160];
        too_large_why(r, why, sizeof why);
        cli_warn(where, 0, "%s; skipped", why);
        r->c->failed++;
        goto cleanup;
    }
    if (ahead ? pre->binary : lede_extract_is_binary(buf, len)) {
        cli_warn(where, 0, "binary file; skipped");
        r->c->failed++;
        goto cleanup;
    }
    uint64_t hash = ahead ? pre->hash : XXH64(buf, len, file_seed(r->opts, in->path, fmt));
    if (k && !k->seen && k->hash == hash && k->size == len) {
        /* Touched but not changed: the bytes are the same.  The new mtime
         * is stored, or every later run would read the file again. */
        k->seen = true;
        r->c->unchanged++;
        if (path && k->mtime != in->mtime && (rc = lede_index_touch(r->ix, id, in->mtime))) {
            cli_error("%s", lede_index_errmsg(r->ix));
            r->fatal = true;
            goto cleanup;
        }
        tick(r);
        goto cleanup;
    }
    if (is_stdin && k && !k->seen && !r->opts->stdin_id)
        /* Every document piped in is "stdin" unless named: the second
         * pipe replaces the first, which a script rarely means. */
        cli_warn(where, 0,
                 "replaced the document read from standard input before (id \"%s\"); name "
                 "each with --stdin-id ID to keep both",
                 id);
    if (ahead && pre->extracted) {
        rc = pre->xrc;
        x = pre->x;
        memset(&pre->x, 0, sizeof pre->x);
    } else {
        rc = lede_extract_document(&x, buf, len, fmt);
    }
    if (rc) {
        cli_error("out of memory extracting %s", where);
        r->fatal = true;
        goto cleanup;
    }
    /* Read: only the extracted text is needed now (a batch may be written
     * before write_doc returns). */
    free(buf);
    buf = NULL;
    rc = write_doc(r, id, &x, path, in->mtime, len, hash, where, 0);
    tick(r);
cleanup:
    lede_extracted_clear(&x);
    free(buf);
    cli_input_close(inp);
    report_input(r, where);
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
            verbose_id("deleted", id);
    }
    return LEDE_OK;
}

/*
 * --prune: a document goes when its source file is gone, or when it came
 * from a file read in full in this run that no longer holds it (a record
 * removed from a JSON Lines dump).  Not when something in that file failed:
 * the line that failed may be the document's, and bad input must not take
 * away what was indexed from it before.
 */
static int prune(run *r, const cli_inputs *inputs)
{
    /* Per known path, decided once for all its documents. */
    enum {
        UNDECIDED,
        STAYS,
        GOES,
        FAILED_IN_RUN, /* read in full, but something in it failed: it stays */
        FAILED_COUNTED /* the same, counted for the warning below */
    };
    unsigned char *verdict = calloc(r->known.npaths + 1, 1);
    int rc = LEDE_OK;
    if (!verdict) {
        cli_error("out of memory");
        return LEDE_ENOMEM;
    }
    /* The paths read in full in this run: what they hold now is all.  When
     * something in them failed, their documents stay: a file's (its failure
     * said already), or the records not found in it (said below). */
    for (size_t i = 0; i < inputs->n; i++) {
        char abspath[PATH_MAX];
        if (strcmp(inputs->items[i].path, "-") != 0 && realpath(inputs->items[i].path, abspath)) {
            uint32_t p = km_path_find(&r->known, abspath);
            lede_format fmt = input_format(r, &inputs->items[i]);
            bool records = fmt == LEDE_FORMAT_JSONL || fmt == LEDE_FORMAT_JSON;
            if (p != NO_PATH)
                verdict[p] = !r->input_failed[i] ? GOES : records ? FAILED_IN_RUN : STAYS;
        }
    }
    size_t kept = 0, kept_files = 0;
    uint32_t kept_path = NO_PATH;
    for (size_t i = 0; i < r->known.n; i++) {
        known_doc *k = &r->known.docs[i];
        if (k->seen || k->path == NO_PATH)
            continue;
        if (verdict[k->path] == UNDECIDED) {
            const char *path = km_str(&r->known, r->known.paths[k->path]);
            verdict[k->path] = access(path, F_OK) != 0 && errno == ENOENT ? GOES : STAYS;
        }
        if (verdict[k->path] == FAILED_IN_RUN) {
            if (!kept++)
                kept_path = k->path;
            verdict[k->path] = FAILED_COUNTED;
            kept_files++;
        } else if (verdict[k->path] == FAILED_COUNTED) {
            kept++;
        }
        if (verdict[k->path] != GOES)
            continue;
        const char *id = km_str(&r->known, k->id);
        rc = lede_index_delete(r->ix, id);
        if (rc == LEDE_ENOTFOUND) {
            rc = LEDE_OK;
            continue;
        }
        if (rc) {
            cli_error("cannot delete %s: %s", id, lede_index_errmsg(r->ix));
            r->fatal = true;
            break;
        }
        k->seen = true;
        r->c->deleted++;
        if (r->opts->verbose)
            verbose_id("deleted", id);
    }
    if (kept) {
        char others[64] = "";
        if (kept_files > 1)
            snprintf(others, sizeof others, " (and %zu other file%s)", kept_files - 1,
                     kept_files == 2 ? "" : "s");
        bool one = kept == 1;
        cli_warn(km_str(&r->known, r->known.paths[kept_path]), 0,
                 "%zu document%s indexed from this file%s before %s not in it now, but %s kept: "
                 "what failed above may be %s; once the file reads without failures, --prune "
                 "removes %s",
                 kept, one ? "" : "s", others, one ? "is" : "are", one ? "is" : "are",
                 one ? "it" : "them", one ? "it" : "them");
    }
    free(verdict);
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

/*
 * --compact: LMDB reuses the pages updates free but never gives them back
 * (Reuters-21578 re-indexed three times: 77 MB on disk for 31 MB of index).
 * The committed index is copied without them into DIR.compact, which then
 * takes DIR's place while the writer's lock is still held; the old files
 * end in *old_out (DIR.compact again), for the caller to remove once the
 * writer has closed them.  A reader open during the swap keeps its
 * snapshot; the next one opens the compacted index.
 */
static int compact(run *r, char **old_out)
{
    const char *dir = r->opts->index_dir;
    size_t n = strlen(dir) + 16;
    char *tmp = malloc(n), *old = malloc(n);
    int rc = LEDE_ENOMEM;
    if (!tmp || !old) {
        cli_error("out of memory");
        goto cleanup;
    }
    snprintf(tmp, n, "%s.compact", dir);
    snprintf(old, n, "%s.old", dir);
    remove_index_dir(tmp); /* a crashed compaction's leftovers */
    remove_index_dir(old);
    cli_progress_note(r->bar, docs_done(r), r->bytes_done, "compacting");
    uint64_t before = cli_index_bytes(dir);
    if ((rc = lede_index_compact(r->ix, tmp)) != LEDE_OK) {
        cli_error("cannot compact %s: %s (the index is as it was)", dir, lede_index_errmsg(r->ix));
        goto cleanup;
    }
    rc = LEDE_EIO;
    if (rename(dir, old) != 0) {
        cli_error("cannot move %s aside: %s (the index is as it was)", dir, strerror(errno));
        remove_index_dir(tmp);
        goto cleanup;
    }
    if (rename(tmp, dir) != 0) {
        cli_error("cannot move %s to %s: %s", tmp, dir, strerror(errno));
        if (rename(old, dir) != 0)
            cli_error("the index is in %s: move it back to %s", old, dir);
        remove_index_dir(tmp);
        goto cleanup;
    }
    r->c->compact_before = before;
    r->c->compact_after = cli_index_bytes(dir);
    *old_out = old;
    old = NULL;
    rc = LEDE_OK;
cleanup:
    free(tmp);
    free(old);
    return rc;
}

int cli_ingest(const cli_options *opts, cli_counts *counts)
{
    int status = EXIT_FATAL;
    run r = {.opts = opts,
             .c = counts,
             .json_seed = json_seed(&opts->fields),
             .max_doc = doc_limit(opts->memory)};
    lede_index *guard = NULL; /* the old index's lock during --rebuild */
    cli_inputs inputs = {0};
    fa_reader fa = {0};
    char *err = NULL;
    char language[64] = "";
    char *rebuild_dir = NULL, *old_dir = NULL, *compact_dir = NULL;
    const char *write_dir = opts->index_dir;
    bool exists = false, other_version = false;
    double start = cli_now();
    int rc;

    *counts = (cli_counts){0};
    /* Before the known documents fill the heap: huge pages or not. */
    cli_malloc_budget(opts->memory);
    if (load_known(&r.known, opts->index_dir, opts->rebuild, &exists, &other_version, language,
                   sizeof language))
        goto cleanup;
    if (opts->compact && !exists && !opts->npaths && !opts->files_from) {
        cli_error("no index in %s to compact", opts->index_dir);
        goto cleanup;
    }
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
    if (opts->rebuild && exists && !other_version) {
        /* Hold the old index's writer lock for the whole rebuild, so no
         * other lede-index adds to it only to be swapped away (one of
         * another format version, no lede-index of this one can). */
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

    r.bar = cli_progress_new(!opts->quiet, inputs.total_bytes);
    cli_progress_current = r.bar;

    if (delete_ids(&r))
        goto cleanup;
    bool ahead = fa_start(&fa, &r, &inputs);
    r.input_failed = calloc(inputs.n ? inputs.n : 1, sizeof *r.input_failed);
    if (!r.input_failed) {
        cli_error("out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < inputs.n; i++) {
        size_t failed_before = counts->failed;
        int failed = ingest_one(&r, &inputs.items[i], ahead ? fa_take(&fa, i) : NULL);
        r.input_failed[i] = counts->failed > failed_before;
        if (ahead)
            fa_release(&fa, i);
        if (failed)
            goto cleanup;
    }
    fa_finish(&fa);
    if (opts->prune && prune(&r, &inputs))
        goto cleanup;

    cli_progress_note(r.bar, docs_done(&r), r.bytes_done, "committing");
    rc = lede_index_commit(r.ix);
    if (rc) {
        cli_error("cannot commit to %s: %s", write_dir, lede_index_errmsg(r.ix));
        goto cleanup;
    }
    /* A rebuilt index has no free pages to give back. */
    if (opts->compact && !opts->rebuild && compact(&r, &compact_dir))
        goto cleanup;
    lede_index_close(r.ix);
    r.ix = NULL;
    if (compact_dir)
        remove_index_dir(compact_dir); /* the old files, moved there */

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
    fa_finish(&fa); /* its threads read the inputs and the known map */
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
    free(r.gone);
    free(r.input_failed);
    free(r.added_ids.slots);
    free(r.added_ids.input);
    free(err);
    free(rebuild_dir);
    free(old_dir);
    free(compact_dir);
    return status;
}
