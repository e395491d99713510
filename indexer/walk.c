/*
 * walk.c — from PATH operands and --files-from to a list of input files.
 *
 * Owns the folder walk: name order (so every run, and every -j, sees the
 * same sequence), hidden names, symlink loops, the index folder, duplicate
 * files, and which files a walk takes (known extensions; not README and
 * the like).  Reads no file contents (except the --files-from list).
 */
#include "cli.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

typedef struct dev_ino {
    dev_t dev;
    ino_t ino;
} dev_ino;

/* A small open-addressing set of (device, inode) pairs: the files taken
 * already, so a file reached twice (two operands, two links) is read once. */
typedef struct file_set {
    dev_ino *slots;
    bool *used;
    size_t cap, n;
} file_set;

static size_t fs_hash(dev_ino k)
{
    uint64_t h = (uint64_t)k.ino * 0x9E3779B97F4A7C15ull ^ (uint64_t)k.dev;
    return (size_t)(h ^ (h >> 29));
}

/* Insert; false when it was there already (or on allocation failure, with
 * *nomem set). */
static bool fs_insert(file_set *s, dev_ino k, bool *nomem)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        file_set t = {calloc(cap, sizeof *t.slots), calloc(cap, sizeof *t.used), cap, 0};
        if (!t.slots || !t.used) {
            free(t.slots);
            free(t.used);
            *nomem = true;
            return false;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->used[i])
                continue;
            size_t j = fs_hash(s->slots[i]) & (cap - 1);
            while (t.used[j])
                j = (j + 1) & (cap - 1);
            t.used[j] = true;
            t.slots[j] = s->slots[i];
            t.n++;
        }
        free(s->slots);
        free(s->used);
        *s = t;
    }
    size_t j = fs_hash(k) & (s->cap - 1);
    while (s->used[j]) {
        if (s->slots[j].dev == k.dev && s->slots[j].ino == k.ino)
            return false;
        j = (j + 1) & (s->cap - 1);
    }
    s->used[j] = true;
    s->slots[j] = k;
    s->n++;
    return true;
}

/* The ids taken so far: slots hold an index + 1 into out->items (0 = empty). */
typedef struct id_table {
    size_t *slots;
    size_t cap;
} id_table;

static size_t id_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h ^ (h >> 32));
}

/* Files a walk passed over for their extension, counted per extension so
 * that one note can say what was left out (a folder of .pdf files must not
 * end in "0 added, 0 failed" without a word). */
#define SKIP_KINDS 8
typedef struct skipped_kinds {
    char ext[SKIP_KINDS][16];
    size_t count[SKIP_KINDS];
    size_t nkinds, other, total;
} skipped_kinds;

typedef struct walker {
    const cli_options *opts;
    cli_inputs *out;
    skipped_kinds skipped;
    file_set seen;
    id_table ids;
    /* Files of the current operand whose id another file had already. */
    size_t clashes;
    char *clash_first; /* the first such id, for the warning */
    dev_ino stack[256]; /* folders from the root down to the current one */
    size_t depth;
    bool have_index;
    dev_ino index;
    bool nomem;
} walker;

struct cli_strings {
    cli_strings *prev;
    size_t size;
    char bytes[];
};

#define STRINGS_BLOCK ((size_t)64 << 10)

/* A copy of the len bytes at s in in's string blocks, or NULL. */
static char *strings_put(cli_inputs *in, const char *s, size_t len)
{
    if (!in->strings || in->strings_left < len) {
        size_t size = len > STRINGS_BLOCK ? len : STRINGS_BLOCK;
        cli_strings *b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->prev = in->strings;
        b->size = size;
        in->strings = b;
        in->strings_left = size;
    }
    char *out = in->strings->bytes + (in->strings->size - in->strings_left);
    memcpy(out, s, len);
    in->strings_left -= len;
    return out;
}

/* The slot of id in the table: where it is, or the empty one it would take. */
static size_t *id_slot(walker *w, const char *id)
{
    size_t j = id_hash(id) & (w->ids.cap - 1);
    while (w->ids.slots[j] && strcmp(w->out->items[w->ids.slots[j] - 1].id, id) != 0)
        j = (j + 1) & (w->ids.cap - 1);
    return &w->ids.slots[j];
}

/* Room for one more id (at most half full). */
static int id_reserve(walker *w)
{
    if ((w->out->n + 1) * 2 <= w->ids.cap)
        return LEDE_OK;
    size_t cap = w->ids.cap ? w->ids.cap * 2 : 1024;
    while ((w->out->n + 1) * 2 > cap)
        cap *= 2;
    id_table old = w->ids;
    w->ids = (id_table){calloc(cap, sizeof *w->ids.slots), cap};
    if (!w->ids.slots) {
        w->ids = old;
        return LEDE_ENOMEM;
    }
    for (size_t i = 0; i < w->out->n; i++)
        *id_slot(w, w->out->items[i].id) = i + 1;
    free(old.slots);
    return LEDE_OK;
}

static char *clean_id(const char *path);

/*
 * Two different files must not share an id, or the second replaces the
 * first in the index (and every re-run updates both).  That happens when
 * two folders on the command line hold the same relative path
 * (lede-index 2023/ 2024/, each with 01/story.txt): the later file then
 * keeps the folder in its id, as typed ("2024/01/story.txt"), or failing
 * that its absolute path.  The same command gives the same ids every run.
 * *out is id, or a new string the caller frees.
 */
static int unique_id(walker *w, const char *path, const char *id, char **out)
{
    *out = NULL;
    if (!*id_slot(w, id))
        return LEDE_OK;
    char *alt = clean_id(path);
    if (alt && *id_slot(w, alt)) {
        free(alt);
        alt = realpath(path, NULL);
        if (alt && *id_slot(w, alt)) {
            free(alt);
            return LEDE_OK; /* nothing better: it replaces, as before */
        }
    }
    if (!alt)
        return LEDE_ENOMEM;
    if (!w->clashes++ && !(w->clash_first = strdup(id))) {
        free(alt);
        return LEDE_ENOMEM;
    }
    *out = alt;
    return LEDE_OK;
}

static int add_input(walker *w, const char *path, const char *id, const struct stat *st)
{
    cli_inputs *in = w->out;
    char *renamed = NULL;
    if (st && !fs_insert(&w->seen, (dev_ino){st->st_dev, st->st_ino}, &w->nomem))
        return w->nomem ? LEDE_ENOMEM : LEDE_OK;
    if (id_reserve(w) || (st && unique_id(w, path, id, &renamed)))
        return LEDE_ENOMEM;
    if (renamed)
        id = renamed;
    int rc = LEDE_ENOMEM;
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 256;
        cli_input *items = realloc(in->items, cap * sizeof *items);
        if (!items)
            goto cleanup;
        in->items = items;
        in->cap = cap;
    }
    cli_input *it = &in->items[in->n];
    *it = (cli_input){0};
    size_t npath = strlen(path) + 1, nid = strlen(id) + 1;
    it->path = strings_put(in, path, npath);
    if (!it->path)
        goto cleanup;
    /* A file found by a walk: its id ends its path. */
    if (nid <= npath && memcmp(path + npath - nid, id, nid) == 0)
        it->id = it->path + npath - nid;
    else if (!(it->id = strings_put(in, id, nid)))
        goto cleanup;
    if (st) {
        it->size = st->st_size;
        it->mtime = (int64_t)st->st_mtime;
        in->total_bytes += (uint64_t)st->st_size;
    }
    size_t *slot = id_slot(w, it->id);
    if (!*slot)
        *slot = in->n + 1;
    in->n++;
    rc = LEDE_OK;
cleanup:
    free(renamed);
    return rc;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    bool slash = na && a[na - 1] != '/';
    char *p = malloc(na + slash + nb + 1);
    if (p) {
        memcpy(p, a, na);
        if (slash)
            p[na] = '/';
        memcpy(p + na + slash, b, nb + 1);
    }
    return p;
}

static int walk_dir(walker *w, const char *dir, const char *rel);

/* Files that describe a collection rather than belong to it: README.md
 * beside the articles is not an article.  Skipped in folder walks only; a
 * file named on the command line is always read. */
static bool is_collection_doc(const char *name)
{
    static const char *const names[] = {"readme", "license", "licence", "copying", "changelog",
                                        "contributing", "authors", "notice"};
    size_t len = strcspn(name, ".");
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (len == strlen(names[i]) && strncasecmp(name, names[i], len) == 0)
            return true;
    return false;
}

static void count_skipped(skipped_kinds *k, const char *name)
{
    const char *dot = strrchr(name, '.');
    char ext[16] = "";
    if (dot && dot != name && dot[1]) {
        size_t n = 0;
        for (const char *p = dot + 1; *p && n + 1 < sizeof ext; p++) {
            unsigned char c = (unsigned char)*p;
            ext[n++] = c < 0x20 || c == 0x7f ? '?' : (char)tolower(c);
        }
        ext[n] = '\0';
    }
    k->total++;
    for (size_t i = 0; i < k->nkinds; i++) {
        if (strcmp(k->ext[i], ext) == 0) {
            k->count[i]++;
            return;
        }
    }
    if (k->nkinds == SKIP_KINDS) {
        k->other++;
        return;
    }
    memcpy(k->ext[k->nkinds], ext, sizeof ext);
    k->count[k->nkinds++] = 1;
}

/* "lede-index: note: 12 files of other types not indexed (8 .pdf, 4 .jpg)". */
static void note_skipped(const skipped_kinds *k)
{
    fprintf(stderr, PROG ": note: %zu file%s of other types not indexed (", k->total,
            k->total == 1 ? "" : "s");
    for (size_t i = 0; i < k->nkinds; i++)
        fprintf(stderr, "%s%zu %s%s", i ? ", " : "", k->count[i], k->ext[i][0] ? "." : "",
                k->ext[i][0] ? k->ext[i] : "without an extension");
    if (k->other)
        fprintf(stderr, ", %zu more", k->other);
    fprintf(stderr, "); lede-index reads .txt .md .html .jsonl .json (also as .gz .xz .zst), "
                    "or every file with --format\n");
}

/* One entry found in a folder. */
static int walk_entry(walker *w, const char *path, const char *rel)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        int err = errno;
        struct stat lst;
        if (err == ELOOP)
            cli_warn(path, 0, "symbolic link loop; skipped");
        else if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
            cli_warn(path, 0, "broken symbolic link; skipped");
        else
            cli_warn(path, 0, "%s", strerror(err));
        w->out->failed++;
        return LEDE_OK;
    }
    if (S_ISDIR(st.st_mode))
        return walk_dir(w, path, rel);
    if (!S_ISREG(st.st_mode))
        return LEDE_OK; /* sockets, devices, FIFOs found by walking: not articles */
    /* Walking a folder takes only the formats lede reads, unless --format
     * says what everything is. */
    const char *slash = strrchr(path, '/');
    if (is_collection_doc(slash ? slash + 1 : path))
        return LEDE_OK;
    if (w->opts->format == LEDE_FORMAT_AUTO && lede_extract_format_of_path(path) == LEDE_FORMAT_AUTO) {
        count_skipped(&w->skipped, slash ? slash + 1 : path);
        return LEDE_OK;
    }
    return add_input(w, path, rel, &st);
}

static int walk_dir(walker *w, const char *dir, const char *rel)
{
    int rc = LEDE_OK;
    DIR *d = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct stat st;

    if (stat(dir, &st) != 0) {
        cli_warn(dir, 0, "%s", strerror(errno));
        w->out->failed++;
        return LEDE_OK;
    }
    dev_ino me = {st.st_dev, st.st_ino};
    if (w->have_index && me.dev == w->index.dev && me.ino == w->index.ino)
        return LEDE_OK; /* never index the index */
    for (size_t i = 0; i < w->depth; i++) {
        if (w->stack[i].dev == me.dev && w->stack[i].ino == me.ino) {
            cli_warn(dir, 0, "symbolic link loop (leads back to a folder above it); skipped");
            w->out->failed++;
            return LEDE_OK;
        }
    }
    if (w->depth == ARRAY_SIZE(w->stack)) {
        cli_warn(dir, 0, "folders nested too deep; skipped");
        w->out->failed++;
        return LEDE_OK;
    }
    d = opendir(dir);
    if (!d) {
        cli_warn(dir, 0, "%s", strerror(errno));
        w->out->failed++;
        return LEDE_OK;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (name[0] == '.' && !w->opts->hidden)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **more = realloc(names, cap * sizeof *names);
            if (!more) {
                rc = LEDE_ENOMEM;
                goto cleanup;
            }
            names = more;
        }
        if (!(names[n] = strdup(name))) {
            rc = LEDE_ENOMEM;
            goto cleanup;
        }
        n++;
    }
    closedir(d);
    d = NULL;
    qsort(names, n, sizeof *names, cmp_names);

    w->stack[w->depth++] = me;
    for (size_t i = 0; i < n && rc == LEDE_OK; i++) {
        char *path = join(dir, names[i]);
        char *sub = rel[0] ? join(rel, names[i]) : strdup(names[i]);
        if (!path || !sub)
            rc = LEDE_ENOMEM;
        else
            rc = walk_entry(w, path, sub);
        free(path);
        free(sub);
    }
    w->depth--;
cleanup:
    if (d)
        closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* "./a//b/" → "a/b": ids should not depend on how a path was typed. */
static char *clean_id(const char *path)
{
    char *id = malloc(strlen(path) + 1);
    if (!id)
        return NULL;
    size_t n = 0;
    const char *p = path;
    while (p[0] == '.' && p[1] == '/') {
        p += 2;
        while (*p == '/')
            p++;
    }
    for (; *p; p++) {
        if (*p == '/' && n && id[n - 1] == '/')
            continue;
        if (*p == '/' && p[1] == '.' && p[2] == '/') {
            p++;
            continue;
        }
        id[n++] = *p;
    }
    while (n > 1 && id[n - 1] == '/')
        n--;
    id[n] = '\0';
    return id;
}

static int add_operand(walker *w, const char *arg)
{
    if (strcmp(arg, "-") == 0)
        return add_input(w, "-", w->opts->stdin_id ? w->opts->stdin_id : "stdin", NULL);
    struct stat st;
    if (stat(arg, &st) != 0) {
        cli_warn(arg, 0, "%s", errno == ELOOP ? "symbolic link loop" : strerror(errno));
        w->out->failed++;
        return LEDE_OK;
    }
    if (S_ISDIR(st.st_mode)) {
        /* Ids of files under a folder operand are relative to that folder. */
        w->depth = 0;
        w->clashes = 0;
        int rc = walk_dir(w, arg, "");
        if (w->clashes) {
            char *example = clean_id(arg);
            cli_warn(arg, 0,
                     "%zu file%s here ha%s the same relative path as a file under an "
                     "earlier folder (%s); indexed with this folder in the id (%s/%s%s) so "
                     "that neither replaces the other",
                     w->clashes, w->clashes == 1 ? "" : "s", w->clashes == 1 ? "s" : "ve",
                     w->clash_first, example ? example : arg, w->clash_first,
                     w->clashes == 1 ? "" : " and so on");
            free(example);
        }
        free(w->clash_first);
        w->clash_first = NULL;
        return rc;
    }
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
        cli_warn(arg, 0, "not a regular file; skipped");
        w->out->failed++;
        return LEDE_OK;
    }
    char *id = clean_id(arg);
    if (!id)
        return LEDE_ENOMEM;
    w->clashes = 0;
    int rc = add_input(w, arg, id, &st);
    if (w->clashes)
        cli_warn(arg, 0, "another file has the id %s already; this one is indexed as %s", id,
                 w->out->items[w->out->n - 1].id);
    free(w->clash_first);
    w->clash_first = NULL;
    free(id);
    return rc;
}

/* --files-from: one path per line, or per NUL with -0. */
static int add_files_from(walker *w, const char *list)
{
    FILE *f = strcmp(list, "-") == 0 ? stdin : fopen(list, "rb");
    if (!f) {
        cli_error("cannot read --files-from %s: %s", list, strerror(errno));
        return LEDE_EIO;
    }
    int rc = LEDE_OK;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int sep = w->opts->null_sep ? '\0' : '\n';
    while (rc == LEDE_OK && (len = getdelim(&line, &cap, sep, f)) >= 0) {
        if (len && line[len - 1] == (char)sep)
            line[--len] = '\0';
        if (sep == '\n' && len && line[len - 1] == '\r')
            line[--len] = '\0';
        if (len == 0)
            continue;
        rc = add_operand(w, line);
    }
    if (rc == LEDE_OK && ferror(f)) {
        cli_error("cannot read --files-from %s: %s", list, strerror(errno));
        rc = LEDE_EIO;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

int cli_inputs_collect(cli_inputs *out, const cli_options *opts)
{
    walker w = {.opts = opts, .out = out};
    int rc = LEDE_OK;
    struct stat st;

    *out = (cli_inputs){0};
    if (opts->index_dir && stat(opts->index_dir, &st) == 0) {
        w.have_index = true;
        w.index = (dev_ino){st.st_dev, st.st_ino};
    }
    for (size_t i = 0; i < opts->npaths && rc == LEDE_OK; i++)
        rc = add_operand(&w, opts->paths[i]);
    if (rc == LEDE_OK && opts->files_from)
        rc = add_files_from(&w, opts->files_from);
    if (rc == LEDE_OK && w.nomem)
        rc = LEDE_ENOMEM;
    if (rc == LEDE_OK && w.skipped.total && !opts->quiet) {
        cli_progress_clear(cli_progress_current);
        note_skipped(&w.skipped);
    }
    free(w.seen.slots);
    free(w.seen.used);
    free(w.ids.slots);
    free(w.clash_first);
    if (rc)
        cli_inputs_free(out);
    return rc;
}

void cli_inputs_free(cli_inputs *in)
{
    if (!in)
        return;
    while (in->strings) {
        cli_strings *prev = in->strings->prev;
        free(in->strings);
        in->strings = prev;
    }
    free(in->items);
    *in = (cli_inputs){0};
}
