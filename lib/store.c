/*
 * store.c — the LMDB environment of an index: the only file that includes
 * lmdb.h.  Owns opening (once per directory per process), the named
 * databases, the format-version check, transactions, cursors and map growth.
 * It must not know what the records mean (writer.c and reader.c do).
 */
#include "store.h"

#include "buf.h"
#include "varint.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Large enough that growing is rare: on 64-bit Linux the map is only
 * address space, and without MDB_WRITEMAP the file grows as pages are used. */
#define DEFAULT_MAPSIZE ((size_t)16 << 30)

static const char *const db_names[LEDE_DB_COUNT] = {
    "meta",     "stem.terms", "word.terms", "name.terms", "stem.post", "word.post",
    "name.post", "stem.pos",  "word.pos",   "name.pos",   "docs",      "text",
    "ids",      "doclens",    "deleted",    "paths",
};

struct lede_store {
    MDB_env *env;
    MDB_dbi dbi[LEDE_DB_COUNT];
    char *dir;
    dev_t dev;
    ino_t ino;
    int refs;
    int txns;      /* open transactions of this process, guarded by registry_lock */
    int readonly;
    uintptr_t map_lo, map_hi; /* the data file's mapping, 0 when unknown */
    int commit_err;           /* LMDB's or the system's code of the last commit */
    struct lede_store *next;
};

/* Term records are stored in blocks (format 7, below); a write
 * transaction keeps the block it last changed, per database, decoded. */
#define TB_NDB 3
#define TB_KEYMAX 511 /* LMDB's longest key */

typedef struct tb_ent {
    const uint8_t *key, *val; /* into the map, or into the block's arena */
    uint32_t klen, vlen;
} tb_ent;

typedef struct tb_chunk {
    struct tb_chunk *next;
    size_t used, cap;
    uint8_t bytes[];
} tb_chunk;

typedef struct tb_dirty {
    int live;      /* holds a block: the keys in [lo, hi) are here */
    int changed;   /* differs from the database */
    tb_ent *e;
    size_t n, cap;
    tb_chunk *arena;  /* the entries' bytes, moved only by tb_compact */
    size_t arena_bytes;
    int has_orig;     /* the block is in the database under orig */
    int lo_open, hi_open;
    size_t orig_len, lo_len, hi_len;
    uint8_t orig[TB_KEYMAX], lo[TB_KEYMAX], hi[TB_KEYMAX];
} tb_dirty;

struct lede_txn {
    lede_store *s;
    MDB_txn *txn;
    int err;
    int write;
    tb_dirty *tb; /* TB_NDB, for a write transaction that changed term records */
    MDB_cursor *tbcur[TB_NDB]; /* for lookups in the term databases */
};

/* A position in a block of term records: its entry's key, rebuilt from the
 * shared prefixes, and its value. */
typedef struct tb_pos {
    const uint8_t *p, *end; /* the entries after this one */
    uint64_t left;          /* how many */
    uint64_t index;         /* this entry's, in its block */
    const uint8_t *val;
    size_t vlen, klen;
    uint8_t key[TB_KEYMAX + 16]; /* 16: room for tb_next's wide copy */
} tb_pos;

static int tb_flush_all(lede_txn *t);
static void tb_free(lede_txn *t);
static void tb_cursors_close(lede_txn *t);

struct lede_cursor {
    lede_txn *t;
    MDB_cursor *cur;
    int blocked;
    MDB_val bk, bv; /* the block pos is in */
    tb_pos pos;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static lede_store *registry;
static size_t initial_mapsize;

const char *lede_store_db_name(lede_db db)
{
    return db < LEDE_DB_COUNT ? db_names[db] : "?";
}

void lede_store_set_initial_mapsize(size_t bytes)
{
    pthread_mutex_lock(&registry_lock);
    initial_mapsize = bytes;
    pthread_mutex_unlock(&registry_lock);
}

static void set_err(char **errmsg, const char *fmt, ...)
{
    if (!errmsg)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(errmsg, fmt, ap) < 0)
        *errmsg = NULL;
    va_end(ap);
}

static int mkdirs(const char *dir)
{
    char *p = strdup(dir);
    int rc = 0;
    if (!p)
        return ENOMEM;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = errno;
            break;
        }
        *q = '/';
    }
    if (rc == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
        rc = errno;
    free(p);
    return rc;
}

/* Open the named databases and check (or, for a new index, write) the format
 * version, in one transaction. */
static int open_dbs(lede_store *s, int create, char **errmsg)
{
    MDB_txn *txn = NULL;
    int rc = LEDE_OK, err;
    int write = !s->readonly && create;

    err = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (err) {
        set_err(errmsg, "cannot read the index in %s: %s", s->dir, mdb_strerror(err));
        return LEDE_EIO;
    }
    err = mdb_dbi_open(txn, db_names[LEDE_DB_META], write ? MDB_CREATE : 0, &s->dbi[LEDE_DB_META]);
    if (err == MDB_NOTFOUND) {
        MDB_envinfo info;
        if (mdb_env_info(s->env, &info) == 0 && info.me_last_txnid == 0)
            /* LMDB wrote its meta pages, but the writer was stopped before
             * its first commit: nothing was ever stored, there is no index
             * yet (the next lede-index creates it). */
            set_err(errmsg, "no index in %s (its creation was interrupted; run lede-index again)",
                    s->dir);
        else
            set_err(errmsg, "%s is not a lede index (no meta database)", s->dir);
        rc = LEDE_ENOTFOUND;
        goto cleanup;
    }
    if (err)
        goto lmdb_error;
    MDB_val k = {6, "format"}, v = {0, NULL}; /* see lmdb_read */
    err = mdb_get(txn, s->dbi[LEDE_DB_META], &k, &v);
    if (err == MDB_NOTFOUND && write) {
        uint8_t ver[4] = {LEDE_FORMAT_VERSION, 0, 0, 0};
        v.mv_size = 4;
        v.mv_data = ver;
        if ((err = mdb_put(txn, s->dbi[LEDE_DB_META], &k, &v, 0)) != 0)
            goto lmdb_error;
    } else if (err == MDB_NOTFOUND) {
        set_err(errmsg, "%s is not a lede index (no format version)", s->dir);
        rc = LEDE_ENOTFOUND;
        goto cleanup;
    } else if (err) {
        goto lmdb_error;
    } else {
        const uint8_t *p = v.mv_data;
        uint32_t ver = v.mv_size == 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                            (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
                                      : 0;
        if (ver != LEDE_FORMAT_VERSION) {
            set_err(errmsg,
                    "the index in %s has format version %u; this lede reads format version %u "
                    "(rebuild the index with lede-index --rebuild)",
                    s->dir, ver, LEDE_FORMAT_VERSION);
            rc = LEDE_EVERSION;
            goto cleanup;
        }
    }
    for (int i = 1; i < LEDE_DB_COUNT; i++) {
        err = mdb_dbi_open(txn, db_names[i], write ? MDB_CREATE : 0, &s->dbi[i]);
        if (err == MDB_NOTFOUND) {
            set_err(errmsg, "the index in %s is damaged: database %s is missing", s->dir,
                    db_names[i]);
            rc = LEDE_ECORRUPT;
            goto cleanup;
        }
        if (err)
            goto lmdb_error;
    }
    err = mdb_txn_commit(txn);
    txn = NULL;
    if (err)
        goto lmdb_error;
    goto cleanup;
lmdb_error:
    set_err(errmsg, "cannot open the index in %s: %s", s->dir, mdb_strerror(err));
    rc = err == MDB_MAP_FULL || err == ENOSPC ? LEDE_EFULL : LEDE_EIO;
cleanup:
    if (txn)
        mdb_txn_abort(txn);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Damaged data files                                                  */
/* ------------------------------------------------------------------ */

/* LMDB trusts the pages of its data file: a file cut short makes it read
 * past the end of the file (SIGBUS), a damaged page can send it through a
 * bad pointer (SIGSEGV) or into one of its assertions (abort).  Two
 * defences: opening checks that the file holds every page the meta page
 * counts, and a program that reads indexes from untrusted sources (the two
 * commands) calls lede_index_guard_faults, after which such a fault inside
 * an open index's map, or an LMDB assertion, ends the process with a
 * message and exit status 2 instead of a crash. */

#define GUARD_SLOTS 8
static struct {
    const char *volatile dir; /* the store's own copy; NULL: slot free */
    uintptr_t lo, hi;
    uintptr_t map_lo, map_hi; /* the data file's mapping (map_range) */
} guard_maps[GUARD_SLOTS];
static const char *guard_prog;
/*
 * The directory of the index whose LMDB call is running on this thread, or
 * NULL.  LMDB trusts its pages: a damaged branch page can send mdb_put's
 * memcpy outside the map (into the heap or unmapped memory), or a cursor
 * through a null pointer (a bit flipped in a branch page made --check's
 * mdb_cursor_get read address 0x188), where the map check below cannot see
 * it.  Only the LMDB calls themselves are bracketed, so a fault in lede's
 * own code still reaches the sanitizers.
 */
static _Thread_local const char *guard_lmdb_dir;
#define GUARDED(dir, call) (guard_lmdb_dir = (dir), guard_call_result = (call), guard_lmdb_dir = NULL, guard_call_result)
static _Thread_local int guard_call_result;
static struct sigaction guard_old_segv, guard_old_bus;

static void guard_write(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

static void guard_die(const char *dir, const char *what)
{
    guard_write(guard_prog ? guard_prog : "lede");
    guard_write(": error: the index in ");
    guard_write(dir ? dir : "?");
    guard_write(" is damaged (");
    guard_write(what);
    guard_write("); lede-index --check says more, --rebuild starts it over\n");
    _exit(2);
}

static void guard_handler(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        const char *dir = guard_maps[i].dir;
        if (dir && ((a >= guard_maps[i].lo && a < guard_maps[i].hi) ||
                    (a >= guard_maps[i].map_lo && a < guard_maps[i].map_hi)))
            guard_die(dir, sig == SIGBUS ? "a page lies past the end of its data file"
                                         : "a page points outside the data file");
    }
    if (guard_lmdb_dir && guard_prog)
        guard_die(guard_lmdb_dir, "LMDB faulted on a damaged page");
    /* Not ours: hand the fault to whoever handled it before (the
     * sanitizers, or the default action once the instruction re-runs). */
    const struct sigaction *old = sig == SIGBUS ? &guard_old_bus : &guard_old_segv;
    if (old->sa_flags & SA_SIGINFO) {
        old->sa_sigaction(sig, si, ctx);
    } else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
        old->sa_handler(sig);
    } else {
        sigaction(sig, old, NULL);
    }
}

/* LMDB calls this before it aborts on a failed assertion. */
static void guard_assert(MDB_env *env, const char *msg)
{
    (void)msg;
    const char *dir = NULL;
    if (guard_prog && mdb_env_get_path(env, &dir) == 0)
        guard_die(dir, "a page failed LMDB's consistency checks");
}

/*
 * Where LMDB mapped s's data file.  mdb_env_info's me_mapaddr only means
 * something with MDB_FIXEDMAP (otherwise it is whatever bytes the meta page
 * holds there), so look for the mapping of the data file's inode in
 * /proc/self/maps.  Returns 0 and the range, or -1.
 */
static int map_range(lede_store *s, uintptr_t *lo, uintptr_t *hi)
{
    int fd;
    struct stat fst;
    char line[512];
    int found = -1;
    if (mdb_env_get_fd(s->env, &fd) != 0 || fstat(fd, &fst) != 0)
        return -1;
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b, off, ino;
        unsigned maj, min;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu", &a, &b, perms, &off, &maj, &min, &ino) == 7 &&
            ino == (unsigned long)fst.st_ino && maj == major(fst.st_dev) &&
            min == minor(fst.st_dev) && off == 0 && (found < 0 || b - a > *hi - *lo)) {
            *lo = a;
            *hi = b;
            found = 0;
        }
    }
    fclose(f);
    return found;
}

/* Record (or, with dir NULL, forget) where s's map lies.  Under registry_lock. */
static void guard_track(lede_store *s, int on)
{
    MDB_envinfo info;
    int slot = -1;
    s->map_lo = s->map_hi = 0; /* the map may have moved */
    for (int i = 0; i < GUARD_SLOTS; i++)
        if (guard_maps[i].dir == s->dir)
            slot = i;
    if (!on) {
        if (slot >= 0)
            guard_maps[slot].dir = NULL;
        return;
    }
    for (int i = 0; i < GUARD_SLOTS && slot < 0; i++)
        if (!guard_maps[i].dir)
            slot = i;
    if (slot < 0 || mdb_env_info(s->env, &info) != 0)
        return;
    guard_maps[slot].dir = NULL;
    /* LMDB gives the map's address only for a fixed map (MDB_FIXEDMAP);
     * otherwise NULL, and [0, map size) would have taken every stray
     * pointer of the program, a NULL one above all, for damage to the
     * index (a query parser bug was reported so).  /proc/self/maps says
     * where the map is (map_range). */
    guard_maps[slot].lo = (uintptr_t)info.me_mapaddr;
    guard_maps[slot].hi = info.me_mapaddr ? (uintptr_t)info.me_mapaddr + info.me_mapsize : 0;
    uintptr_t lo = 0, hi = 0;
    if (map_range(s, &lo, &hi) == 0) {
        guard_maps[slot].map_lo = lo;
        guard_maps[slot].map_hi = hi;
        /* The same range serves lede_store_release_pages and _prefault. */
        s->map_lo = lo;
        s->map_hi = hi;
    } else {
        guard_maps[slot].map_lo = guard_maps[slot].map_hi = 0;
    }
    guard_maps[slot].dir = s->dir;
}

int lede_index_guard_faults(const char *progname)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = guard_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    guard_prog = progname;
    if (sigaction(SIGSEGV, &sa, &guard_old_segv) != 0 || sigaction(SIGBUS, &sa, &guard_old_bus) != 0)
        return LEDE_ERROR;
    return LEDE_OK;
}

/* True when path is shorter than LMDB's two meta pages: a new index whose
 * creation was cut off before its first meta page was complete. */
static int interrupted_creation(const char *path)
{
    struct stat fst;
    long page = sysconf(_SC_PAGESIZE);
    return stat(path, &fst) == 0 && page > 0 && fst.st_size < 2 * (off_t)page;
}

/*
 * Whether pages [from, to] are all on LMDB's free list.  A transaction that
 * frees pages it allocated itself (a range of keys deleted, then fewer
 * written back) leaves them free and unwritten: the meta page's last page
 * may then lie past the end of the file, harmlessly, since LMDB never reads
 * a free page.  The free list is LMDB's database 0: per transaction id, an
 * ID list of page numbers (count first).
 */
static int pages_free(MDB_env *env, uint64_t from, uint64_t to)
{
    MDB_txn *t = NULL;
    MDB_cursor *c = NULL;
    MDB_val k, v = {0, NULL}; /* left unset by a P_LEAF2 page (lmdb_read): ends the walk */
    uint64_t n = to - from + 1, seen = 0;
    if (n > ((uint64_t)1 << 32))
        return 0;
    uint8_t *mark = calloc((size_t)(n / 8 + 1), 1);
    if (!mark || mdb_txn_begin(env, NULL, MDB_RDONLY, &t) != 0 || mdb_cursor_open(t, 0, &c) != 0)
        goto done;
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         v = (MDB_val){0, NULL}, rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const size_t *ids = v.mv_data;
        if (v.mv_size < sizeof *ids || v.mv_size / sizeof *ids <= ids[0])
            break; /* not an ID list: say not free */
        for (size_t i = 1; i <= ids[0]; i++)
            if (ids[i] >= from && ids[i] <= to && !(mark[(ids[i] - from) / 8] >> ((ids[i] - from) % 8) & 1)) {
                mark[(ids[i] - from) / 8] |= (uint8_t)(1u << ((ids[i] - from) % 8));
                seen++;
            }
    }
done:
    if (c)
        mdb_cursor_close(c);
    if (t)
        mdb_txn_abort(t);
    free(mark);
    return seen == n;
}

/* The data file must hold every page up to the last one the meta page
 * names that is in use, or reading would fault past its end.  Reading the
 * free list may itself fault on a truncated file: the fault guard must be
 * on (guard_track) before this runs. */
static int check_file_size(lede_store *s, const char *path, char **errmsg)
{
    MDB_envinfo info;
    MDB_stat est;
    struct stat fst;
    if (mdb_env_info(s->env, &info) != 0 || mdb_env_stat(s->env, &est) != 0 ||
        stat(path, &fst) != 0)
        return LEDE_OK; /* nothing to compare; LMDB reports its own errors */
    uint64_t need = ((uint64_t)info.me_last_pgno + 1) * est.ms_psize;
    uint64_t have = (uint64_t)fst.st_size / est.ms_psize;
    if ((uint64_t)fst.st_size < need && !pages_free(s->env, have, info.me_last_pgno)) {
        set_err(errmsg, "the index in %s is damaged: its data file has %llu bytes but its "
                        "pages reach %llu (a truncated copy?)",
                s->dir, (unsigned long long)fst.st_size, (unsigned long long)need);
        return LEDE_ECORRUPT;
    }
    return LEDE_OK;
}

/*
 * A program started with standard output or error closed (">&- 2>&-", as
 * cron jobs and daemons may start it) would get LMDB's files as descriptors
 * 1 and 2, and write its messages and results over them.  Before the first
 * index is opened, descriptors 0-2 that do not exist are opened on
 * /dev/null (lede-query first makes its own, read-only for stdout so that a
 * lost result is an error).
 */
static void keep_std_fds(void)
{
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        int got = open("/dev/null", O_RDWR);
        if (got >= 0 && got != fd)
            close(got); /* a lower one was missing and took it: cannot happen */
    }
}

int lede_store_open(lede_store **out, const char *dir, int create, char **errmsg)
{
    lede_store *s = NULL;
    struct stat st;
    int rc = LEDE_OK, err;
    char *path = NULL;

    *out = NULL;
    if (errmsg)
        *errmsg = NULL;
    pthread_mutex_lock(&registry_lock);
    keep_std_fds();
    if (create && (err = mkdirs(dir)) != 0) {
        set_err(errmsg, "cannot create the index directory %s: %s", dir, strerror(err));
        rc = LEDE_EIO;
        goto cleanup;
    }
    if (asprintf(&path, "%s/data.mdb", dir) < 0) {
        path = NULL;
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    if (!create && stat(path, &st) != 0) {
        set_err(errmsg, "no index in %s (%s)", dir,
                errno == ENOENT ? "run lede-index first" : strerror(errno));
        rc = LEDE_ENOTFOUND;
        goto cleanup;
    }
    if (stat(dir, &st) != 0) {
        set_err(errmsg, "no index in %s: %s", dir, strerror(errno));
        rc = LEDE_ENOTFOUND;
        goto cleanup;
    }
    for (lede_store *e = registry; e; e = e->next) {
        if (e->dev == st.st_dev && e->ino == st.st_ino) {
            if (create && e->readonly) {
                set_err(errmsg, "the index in %s is open read-only in this process", dir);
                rc = LEDE_EBUSY;
                goto cleanup;
            }
            e->refs++;
            *out = e;
            goto cleanup;
        }
    }
    s = calloc(1, sizeof *s);
    if (!s || !(s->dir = strdup(dir))) {
        rc = LEDE_ENOMEM;
        goto cleanup;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->refs = 1;
    int recreated = 0;
    /*
     * MDB_NOTLS: read transactions are tied to our handles, not to threads,
     * so a writer and readers can share the environment in one thread.
     * A reader that may not write the folder (another user's index, a
     * read-only disk) opens it read-only, and when it may not write
     * lock.mdb either, without LMDB's reader table (MDB_NOLOCK): its reads
     * are then not protected from a writer reusing the pages they are on
     * (a read-only disk has no writer), which the decoders' checks and the
     * fault guard turn into an error, not a crash.  LMDB forbids reusing an
     * environment whose open failed (it freed its buffers: a second open
     * crashed), so each attempt has its own.
     */
    static const unsigned attempts[] = {MDB_NOTLS, MDB_NOTLS | MDB_RDONLY,
                                        MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK};
    size_t attempt = 0;
reopen:
    if ((err = mdb_env_create(&s->env)) != 0 || (err = mdb_env_set_maxdbs(s->env, 32)) != 0 ||
        (err = mdb_env_set_mapsize(s->env, initial_mapsize ? initial_mapsize : DEFAULT_MAPSIZE)) != 0) {
        set_err(errmsg, "cannot open the index in %s: %s", dir, mdb_strerror(err));
        rc = LEDE_EIO;
        goto cleanup;
    }
    err = mdb_env_open(s->env, dir, attempts[attempt], 0644);
    if ((err == EACCES || err == EROFS) && !create && attempt + 1 < ARRAY_SIZE(attempts)) {
        mdb_env_close(s->env);
        s->env = NULL;
        s->readonly = 1;
        attempt++;
        goto reopen;
    }
    if (err == MDB_INVALID && create && !recreated && interrupted_creation(path)) {
        /*
         * A writer killed while LMDB wrote the two meta pages of a new file
         * leaves a file shorter than them.  Nothing was ever committed to
         * it (the first commit writes pages after the metas), so starting
         * again loses nothing; keeping it would block every later run.
         * The writer's lock is held, so no other writer is creating it.
         */
        mdb_env_close(s->env);
        s->env = NULL;
        if (unlink(path) != 0) {
            set_err(errmsg, "cannot remove the unfinished index file %s: %s", path,
                    strerror(errno));
            rc = LEDE_EIO;
            goto cleanup;
        }
        recreated = 1;
        goto reopen;
    }
    if (err) {
        if (err == MDB_INVALID && interrupted_creation(path)) {
            /* Nothing was committed: to a reader there is no index yet. */
            set_err(errmsg, "no index in %s (its creation was interrupted; run lede-index again)",
                    dir);
            rc = LEDE_ENOTFOUND;
            goto cleanup;
        }
        set_err(errmsg, "cannot open the index in %s: %s", dir, mdb_strerror(err));
        rc = err == MDB_VERSION_MISMATCH || err == MDB_INVALID ? LEDE_EVERSION : LEDE_EIO;
        goto cleanup;
    }
    mdb_env_set_assert(s->env, guard_assert);
    guard_track(s, 1);
    if ((rc = check_file_size(s, path, errmsg)) != LEDE_OK) {
        guard_track(s, 0);
        goto cleanup;
    }
    /* Free the reader slots of processes that died holding one (kill -9). */
    int dead = 0;
    mdb_reader_check(s->env, &dead);
    if ((rc = open_dbs(s, create, errmsg)) != LEDE_OK) {
        guard_track(s, 0);
        goto cleanup;
    }
    s->next = registry;
    registry = s;
    *out = s;
    s = NULL;
cleanup:
    if (s) {
        if (s->env)
            mdb_env_close(s->env);
        free(s->dir);
        free(s);
    }
    if (rc == LEDE_ENOMEM && errmsg && !*errmsg)
        set_err(errmsg, "out of memory opening %s", dir);
    pthread_mutex_unlock(&registry_lock);
    free(path);
    return rc;
}

void lede_store_close(lede_store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&registry_lock);
    if (--s->refs > 0) {
        pthread_mutex_unlock(&registry_lock);
        return;
    }
    for (lede_store **pp = &registry; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    guard_track(s, 0);
    pthread_mutex_unlock(&registry_lock);
    mdb_env_close(s->env);
    free(s->dir);
    free(s);
}

const char *lede_store_dir(const lede_store *s)
{
    return s->dir;
}

uint64_t lede_store_mapsize(lede_store *s)
{
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    return info.me_mapsize;
}

uint64_t lede_store_used(lede_store *s)
{
    MDB_envinfo info;
    MDB_stat st;
    mdb_env_info(s->env, &info);
    mdb_env_stat(s->env, &st);
    return ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
}

int lede_store_copy_compact(lede_store *s, const char *dir, char **errmsg)
{
    char *path = NULL;
    int rc = LEDE_OK, err;
    if (errmsg)
        *errmsg = NULL;
    if (mkdir(dir, 0755) != 0) {
        set_err(errmsg, "cannot create %s: %s", dir, strerror(errno));
        return LEDE_EIO;
    }
    /* A read transaction inside LMDB: the copy is the last commit, whatever
     * a writer of this process has buffered since. */
    if ((err = mdb_env_copy2(s->env, dir, MDB_CP_COMPACT)) != 0) {
        set_err(errmsg, "cannot write a compacted copy into %s: %s", dir, mdb_strerror(err));
        rc = LEDE_EIO;
        if (asprintf(&path, "%s/data.mdb", dir) >= 0)
            unlink(path);
        rmdir(dir);
    }
    free(path);
    return rc;
}

void lede_store_release_pages(lede_store *s)
{
    /* The map moves only when it grows, which happens with no transaction
     * open: look it up again then (map_lo reset by guard_track). */
    if (!s->map_lo && map_range(s, &s->map_lo, &s->map_hi) != 0) {
        s->map_lo = s->map_hi = 0;
        return;
    }
    uintptr_t lo = s->map_lo, hi = s->map_hi;
    /* The map is a shared read-only file mapping (no MDB_WRITEMAP): dropping
     * its pages loses nothing, even under open read transactions. */
    madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

/* MADV_POPULATE_READ is Linux 5.14; older headers lack the name. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

int lede_store_prefault(lede_store *s, uint64_t max_bytes)
{
    uint64_t used = lede_store_used(s);
    if (used > max_bytes)
        return LEDE_EINVAL;
    if (!s->map_lo && map_range(s, &s->map_lo, &s->map_hi) != 0) {
        s->map_lo = s->map_hi = 0;
        return LEDE_EINVAL;
    }
    uintptr_t len = LEDE_MIN((uintptr_t)used, s->map_hi - s->map_lo);
    /* One call maps every page of the file (from the page cache, reading
     * what is not there yet); older kernels say EINVAL and nothing changes. */
    return madvise((void *)s->map_lo, len, MADV_POPULATE_READ) == 0 ? LEDE_OK : LEDE_EINVAL;
}

int lede_store_grow(lede_store *s, uint64_t bytes)
{
    int rc = LEDE_OK;
    pthread_mutex_lock(&registry_lock);
    if (s->txns > 0) {
        rc = LEDE_EBUSY;
    } else if (mdb_env_set_mapsize(s->env, (size_t)bytes) != 0) {
        rc = LEDE_EIO;
    }
    guard_track(s, 1); /* the map may have moved */
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

int lede_store_begin(lede_txn **out, lede_store *s, int write)
{
    lede_txn *t = calloc(1, sizeof *t);
    int err;
    *out = NULL;
    if (!t)
        return LEDE_ENOMEM;
    t->s = s;
    t->write = write;
    pthread_mutex_lock(&registry_lock);
    err = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    if (err == MDB_MAP_RESIZED && s->txns == 0) {
        /* Another process grew the map: adopt its size and retry. */
        mdb_env_set_mapsize(s->env, 0);
        guard_track(s, 1);
        err = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
    }
    if (!err)
        s->txns++;
    pthread_mutex_unlock(&registry_lock);
    if (err) {
        free(t);
        return err == MDB_READERS_FULL || err == MDB_MAP_RESIZED ? LEDE_EBUSY : LEDE_EIO;
    }
    *out = t;
    return LEDE_OK;
}

static void txn_done(lede_txn *t)
{
    pthread_mutex_lock(&registry_lock);
    t->s->txns--;
    pthread_mutex_unlock(&registry_lock);
    free(t);
}

/*
 * err, or MDB_CORRUPTED when LMDB's answer (k, v) was never filled in.  A
 * leaf page whose flags were damaged into P_LEAF2 makes LMDB answer
 * success with a key of length 0 and the value left as the caller had it
 * (robust_corrupt's seed 32097: an uninitialised {2^32 bytes at
 * 0xab0bc7f295bace00}): the callers pass it in as {0, NULL}.
 */
static int lmdb_read(int err, const MDB_val *k, const MDB_val *v)
{
    if (err == 0 && ((k && (k->mv_size == 0 || !k->mv_data)) || !v->mv_data))
        return MDB_CORRUPTED;
    return err;
}

static int map_err(lede_txn *t, int err)
{
    if (err == 0)
        return LEDE_OK;
    t->err = err;
    switch (err) {
    case MDB_NOTFOUND: return LEDE_ENOTFOUND;
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return LEDE_EFULL;
    case ENOMEM: return LEDE_ENOMEM;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_BAD_VALSIZE:
        return LEDE_ECORRUPT;
    case MDB_TXN_FULL:
    case MDB_BAD_TXN:
        return LEDE_EFULL;
    default: return LEDE_EIO;
    }
}

/* LMDB reports a short write as EIO, and on a full disk the write that
 * fails is usually a short one: ask the file system whether it has room
 * left, so the caller can say "the disk is full" rather than "I/O error". */
static int disk_full(const char *dir)
{
    struct statvfs sv;
    return statvfs(dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < ((uint64_t)1 << 20);
}

int lede_store_commit(lede_txn *t)
{
    int rc = tb_flush_all(t);
    tb_free(t);
    tb_cursors_close(t);
    if (rc != LEDE_OK) {
        t->s->commit_err = t->err;
        mdb_txn_abort(t->txn);
        txn_done(t);
        return rc;
    }
    int err = GUARDED(t->s->dir, mdb_txn_commit(t->txn));
    if (err == EIO && disk_full(t->s->dir))
        err = ENOSPC;
    rc = err ? (err == MDB_MAP_FULL || err == ENOSPC || err == EDQUOT || err == EFBIG
                        ? LEDE_EFULL
                        : LEDE_EIO)
                 : LEDE_OK;
    t->s->commit_err = err;
    txn_done(t);
    return rc;
}

int lede_store_commit_error(const lede_store *s)
{
    return s->commit_err;
}

void lede_store_abort(lede_txn *t)
{
    if (!t)
        return;
    tb_free(t);
    tb_cursors_close(t);
    mdb_txn_abort(t->txn);
    txn_done(t);
}

int lede_store_txn_error(const lede_txn *t)
{
    return t->err;
}

const char *lede_store_strerror(int err)
{
    return mdb_strerror(err);
}

int lede_store_is_map_full(int err)
{
    return err == MDB_MAP_FULL || err == MDB_TXN_FULL;
}

/* ------------------------------------------------------------------ */
/*
 * Term records in blocks (format 7).  A term database (stem.terms,
 * word.terms, name.terms) holds its records in blocks of about TB_TARGET
 * bytes: one LMDB record per block, keyed by the block's first term, its
 * value the entries in key order, each key sharing a prefix with the one
 * before (docs/FORMAT.md).  One LMDB key per term cost about 10 bytes of
 * node and the whole term: on Reuters-21578, 1.2 MB of node and 1.2 MB of
 * keys for 123,000 records.  The API stays the one of every database:
 * get, put, append, del and cursors see the terms, not the blocks.
 *
 * A write transaction keeps the block its last put or del went to decoded
 * (tb_dirty), and writes it back when a put or del goes to another block, a
 * cursor opens on the database, or the transaction commits: the writer
 * changes records in key order, so a block is written once per batch, not
 * once per record.  A block written back larger than TB_MAX is cut into
 * blocks of TB_TARGET; blocks are never joined but when their database is
 * rewritten whole (appends fill them).
 */
/* Term records (Reuters-21578 / Gutenberg) at TB_TARGET 256: 4.03 / 13.28
 * MB, 320: 4.02 / 13.25, 512: 4.02 / 13.37, 640: 4.17 / 13.77, 768: 4.16
 * / 13.93: the smaller blocks leave less of a page unused. */
#define TB_TARGET 320
#define TB_MAX 800
#define TB_CHUNK ((size_t)16 << 10)

/* A varint of a block: most are one byte, read here without a call. */
static inline int tb_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    if (*p < end && **p < 0x80) {
        *out = *(*p)++;
        return LEDE_OK;
    }
    return lede_varint_get(p, end, out);
}

/* Position pos on the first entry of block (bk, bv). */
static int tb_first(tb_pos *pos, const MDB_val *bk, const MDB_val *bv)
{
    const uint8_t *p = bv->mv_data, *end = p + bv->mv_size;
    uint64_t n, vl;
    if (bk->mv_size == 0 || bk->mv_size > TB_KEYMAX || tb_varint(&p, end, &n) ||
        n == 0 || tb_varint(&p, end, &vl) || vl > (uint64_t)(end - p))
        return LEDE_ECORRUPT;
    memcpy(pos->key, bk->mv_data, bk->mv_size);
    pos->klen = bk->mv_size;
    pos->val = p;
    pos->vlen = (size_t)vl;
    pos->p = p + vl;
    pos->end = end;
    pos->left = n - 1;
    pos->index = 0;
    return LEDE_OK;
}

/* The next entry of pos's block; LEDE_ITEROVER after its last. */
static int tb_next(tb_pos *pos)
{
    if (pos->left == 0)
        return pos->p == pos->end ? LEDE_ITEROVER : LEDE_ECORRUPT;
    const uint8_t *p = pos->p;
    uint64_t shared, sl, vl;
    if (tb_varint(&p, pos->end, &shared) || tb_varint(&p, pos->end, &sl) ||
        shared > pos->klen || sl == 0 || sl > (uint64_t)(pos->end - p) ||
        shared + sl > TB_KEYMAX)
        return LEDE_ECORRUPT;
    /* Keys increase: the first byte that differs is larger. */
    if (shared < pos->klen && p[0] <= pos->key[shared])
        return LEDE_ECORRUPT;
    if (sl <= 16 && pos->end - p >= 16) {
        /* One 16-byte copy (key has room past its end): the caller reads
         * the key at once, and byte stores would stall those loads. */
        memcpy(pos->key + shared, p, 16);
    } else {
        memcpy(pos->key + shared, p, sl);
    }
    p += sl;
    if (tb_varint(&p, pos->end, &vl) || vl > (uint64_t)(pos->end - p))
        return LEDE_ECORRUPT;
    pos->klen = (size_t)(shared + sl);
    pos->val = p;
    pos->vlen = (size_t)vl;
    pos->p = p + vl;
    pos->left--;
    pos->index++;
    return LEDE_OK;
}

/* Move pos to its block's first entry with a key >= key; LEDE_ITEROVER
 * when every key of the block is smaller. */
static int tb_scan(tb_pos *pos, const void *key, size_t klen)
{
    int rc = LEDE_OK;
    while (rc == LEDE_OK && lede_key_cmp(pos->key, pos->klen, key, klen) < 0)
        rc = tb_next(pos);
    return rc;
}

/*
 * Put c on the block that holds key or would: the last whose first key is
 * <= key, or the first block when key sorts before them all.  *first (when
 * not NULL) says it is the first block and key sorts before it.
 * LEDE_ENOTFOUND when the database is empty.
 */
static int tb_locate(lede_txn *t, MDB_cursor *c, const void *key, size_t klen, MDB_val *bk,
                     MDB_val *bv, int *first)
{
    MDB_val k = {klen, (void *)key}, v = {0, NULL};
    const char *dir = t->s->dir;
    if (first)
        *first = 0;
    int err = lmdb_read(GUARDED(dir, mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)), &k, &v);
    if (err == 0 && lede_key_cmp(k.mv_data, k.mv_size, key, klen) == 0) {
        *bk = k;
        *bv = v;
        return LEDE_OK;
    }
    if (err && err != MDB_NOTFOUND)
        return map_err(t, err);
    MDB_val pk = {0, NULL}, pv = {0, NULL};
    MDB_cursor_op back = err ? MDB_LAST : MDB_PREV;
    int perr = lmdb_read(GUARDED(dir, mdb_cursor_get(c, &pk, &pv, back)), &pk, &pv);
    if (perr == 0) {
        *bk = pk;
        *bv = pv;
        return LEDE_OK;
    }
    if (perr != MDB_NOTFOUND)
        return map_err(t, perr);
    if (err)
        return LEDE_ENOTFOUND; /* empty */
    /* Before the first block: that block, found again (the failed step
     * left the cursor where LMDB pleases). */
    if (first)
        *first = 1;
    *bk = *bv = (MDB_val){0, NULL};
    err = lmdb_read(GUARDED(dir, mdb_cursor_get(c, bk, bv, MDB_FIRST)), bk, bv);
    return err ? map_err(t, err) : LEDE_OK;
}

/*
 * The value of key in block (bk, bv).  The entries' keys are compared as
 * they come, without being rebuilt: m is how many bytes the entry before
 * has in common with key (it is smaller than key), so an entry sharing
 * more than m bytes with it is smaller too, one sharing fewer is larger,
 * and only one sharing exactly m needs its own bytes compared.
 */
static int tb_lookup(const MDB_val *bk, const MDB_val *bv, const uint8_t *key, size_t klen,
                     lede_val *out)
{
    const uint8_t *p = bv->mv_data, *end = p + bv->mv_size, *k = bk->mv_data;
    uint64_t n, vl, shared, sl;
    size_t len = bk->mv_size, m = 0;
    if (tb_varint(&p, end, &n) || n == 0)
        return LEDE_ECORRUPT;
    while (m < len && m < klen && k[m] == key[m])
        m++;
    int c = m < len && m < klen ? (k[m] < key[m] ? -1 : 1) : (len > klen) - (len < klen);
    for (uint64_t i = 0;; i++) {
        if (tb_varint(&p, end, &vl) || vl > (uint64_t)(end - p))
            return LEDE_ECORRUPT;
        if (c == 0) {
            out->data = p;
            out->len = (size_t)vl;
            return LEDE_OK;
        }
        if (c > 0)
            return LEDE_ENOTFOUND;
        p += vl;
        if (i + 1 == n)
            return p == end ? LEDE_ENOTFOUND : LEDE_ECORRUPT;
        if (tb_varint(&p, end, &shared) || tb_varint(&p, end, &sl) ||
            shared > len || sl == 0 || sl > (uint64_t)(end - p) || shared + sl > TB_KEYMAX)
            return LEDE_ECORRUPT;
        const uint8_t *suffix = p;
        p += sl;
        len = (size_t)(shared + sl);
        if (shared > m) {
            c = -1;
        } else if (shared < m) {
            c = 1;
        } else {
            size_t j = 0;
            while (j < sl && m + j < klen && suffix[j] == key[m + j])
                j++;
            m += j;
            c = j < sl && m < klen ? (suffix[j] < key[m] ? -1 : 1) : (len > klen) - (len < klen);
        }
    }
}

/* A cursor on db kept by t for lookups (one reader per thread). */
static int tb_cursor(lede_txn *t, lede_db db, MDB_cursor **out)
{
    MDB_cursor **c = &t->tbcur[db - LEDE_DB_STEM_TERMS];
    if (!*c) {
        int err = mdb_cursor_open(t->txn, t->s->dbi[db], c);
        if (err) {
            *c = NULL;
            return map_err(t, err);
        }
    }
    *out = *c;
    return LEDE_OK;
}

/* Close t's lookup cursor on term database i (of TB_NDB), if open. */
static void tb_cursor_close(lede_txn *t, int i)
{
    if (t->tbcur[i])
        mdb_cursor_close(t->tbcur[i]);
    t->tbcur[i] = NULL;
}

static void tb_cursors_close(lede_txn *t)
{
    for (int i = 0; i < TB_NDB; i++)
        tb_cursor_close(t, i);
}

/* The value of key in the database (no dirty block). */
static int tb_get_stored(lede_txn *t, lede_db db, const void *key, size_t klen, lede_val *out)
{
    MDB_cursor *c;
    MDB_val bk, bv;
    int rc = tb_cursor(t, db, &c);
    if (rc == LEDE_OK)
        rc = tb_locate(t, c, key, klen, &bk, &bv, NULL);
    if (rc == LEDE_OK)
        rc = tb_lookup(&bk, &bv, key, klen, out);
    return rc;
}

/* n bytes of the dirty block's arena, which never moves what it holds. */
static uint8_t *tb_alloc(tb_dirty *d, size_t n)
{
    tb_chunk *ch = d->arena;
    if (!ch || ch->cap - ch->used < n) {
        size_t cap = LEDE_MAX(TB_CHUNK, n);
        tb_chunk *nc = malloc(sizeof *nc + cap);
        if (!nc)
            return NULL;
        nc->next = ch;
        nc->used = 0;
        nc->cap = cap;
        d->arena = ch = nc;
        d->arena_bytes += cap;
    }
    uint8_t *p = ch->bytes + ch->used;
    ch->used += n;
    return p;
}

static void tb_free_chunks(tb_chunk *ch)
{
    while (ch) {
        tb_chunk *next = ch->next;
        free(ch);
        ch = next;
    }
}

static void tb_clear(tb_dirty *d)
{
    tb_free_chunks(d->arena);
    d->arena = NULL;
    d->arena_bytes = 0;
    d->n = 0;
    d->live = 0;
    d->changed = 0;
}

/* Copy d's entries into a fresh arena, dropping the bytes no entry holds
 * (values replaced, entries written out). */
static int tb_compact(tb_dirty *d)
{
    tb_chunk *old = d->arena;
    d->arena = NULL;
    d->arena_bytes = 0;
    for (size_t i = 0; i < d->n; i++) {
        tb_ent *e = &d->e[i];
        uint8_t *b = tb_alloc(d, (size_t)e->klen + e->vlen);
        if (!b) {
            tb_free_chunks(d->arena);
            d->arena = old; /* as it was */
            return LEDE_ENOMEM;
        }
        memcpy(b, e->key, e->klen);
        memcpy(b + e->klen, e->val, e->vlen);
        e->key = b;
        e->val = b + e->klen;
    }
    tb_free_chunks(old);
    return LEDE_OK;
}

static void tb_free(lede_txn *t)
{
    if (!t->tb)
        return;
    for (int i = 0; i < TB_NDB; i++) {
        tb_clear(&t->tb[i]);
        free(t->tb[i].e);
    }
    free(t->tb);
    t->tb = NULL;
}

/* Bytes d's entries hold. */
static size_t tb_live_bytes(const tb_dirty *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += (size_t)d->e[i].klen + d->e[i].vlen;
    return n;
}

/* Room for one more entry in d. */
static int tb_room(tb_dirty *d)
{
    if (d->n < d->cap)
        return LEDE_OK;
    size_t nc = d->cap ? d->cap * 2 : 64;
    tb_ent *ne = realloc(d->e, nc * sizeof *ne);
    if (!ne)
        return LEDE_ENOMEM;
    d->e = ne;
    d->cap = nc;
    return LEDE_OK;
}

/* Bytes entry i (> 0) of d has in common with the key before it. */
static size_t tb_shared(const tb_dirty *d, size_t i)
{
    const tb_ent *e = &d->e[i], *p = &d->e[i - 1];
    size_t shared = 0, m = LEDE_MIN(e->klen, p->klen);
    while (shared < m && e->key[shared] == p->key[shared])
        shared++;
    return shared;
}

/* Bytes entry i of d takes in a block that starts at entry from. */
static size_t tb_cost(const tb_dirty *d, size_t from, size_t i)
{
    uint8_t tmp[LEDE_VARINT_MAX];
    const tb_ent *e = &d->e[i];
    size_t c = lede_varint_put(tmp, e->vlen) + e->vlen;
    if (i == from)
        return c;
    size_t shared = tb_shared(d, i);
    return c + lede_varint_put(tmp, shared) + lede_varint_put(tmp, e->klen - shared) +
           (e->klen - shared);
}

/* Encode entries [from, to) of d as one block onto out. */
static void tb_encode(const tb_dirty *d, size_t from, size_t to, lede_buf *out)
{
    lede_buf_put_varint(out, to - from);
    for (size_t i = from; i < to; i++) {
        const tb_ent *e = &d->e[i];
        if (i > from) {
            size_t shared = tb_shared(d, i);
            lede_buf_put_varint(out, shared);
            lede_buf_put_varint(out, e->klen - shared);
            lede_buf_append(out, e->key + shared, e->klen - shared);
        }
        lede_buf_put_varint(out, e->vlen);
        lede_buf_append(out, e->val, e->vlen);
    }
}

/* Put one block of d's entries [from, to) under its first key. */
static int tb_put_block(lede_txn *t, lede_db db, tb_dirty *d, size_t from, size_t to,
                        lede_buf *buf)
{
    lede_buf_reset(buf);
    tb_encode(d, from, to, buf);
    if (buf->rc != LEDE_OK)
        return LEDE_ENOMEM;
    const tb_ent *e = &d->e[from];
    MDB_val k = {e->klen, (void *)e->key}, v = {buf->len, buf->data};
    /* Past every key of the database (the last block, its old key gone or
     * smaller): appended, so LMDB fills its pages. */
    int tail = d->hi_open && !(d->has_orig && lede_key_cmp(e->key, e->klen, d->orig,
                                                           d->orig_len) == 0);
    int err = GUARDED(t->s->dir,
                      mdb_put(t->txn, t->s->dbi[db], &k, &v, tail ? MDB_APPEND : 0));
    if (err == MDB_KEYEXIST && tail)
        err = GUARDED(t->s->dir, mdb_put(t->txn, t->s->dbi[db], &k, &v, 0));
    return map_err(t, err);
}

/*
 * Write d's entries back, in blocks of TB_TARGET when they take more than
 * TB_MAX.  With keep, the last block stays in d (its keys from its first
 * on), unwritten: appends go on filling it.
 */
static int tb_write(lede_txn *t, lede_db db, tb_dirty *d, int keep)
{
    if (!d->live || !d->changed) {
        if (!keep)
            tb_clear(d);
        return LEDE_OK;
    }
    /* The cuts: blocks of at least TB_TARGET bytes, the last one too when
     * all of them take more than TB_MAX. */
    size_t total = 0;
    for (size_t i = 0; i < d->n; i++)
        total += tb_cost(d, 0, i);
    lede_buf buf = LEDE_BUF_INIT;
    int rc = LEDE_OK;
    if (d->has_orig && (d->n == 0 || lede_key_cmp(d->e[0].key, d->e[0].klen, d->orig,
                                                  d->orig_len) != 0)) {
        MDB_val k = {d->orig_len, d->orig};
        int err = GUARDED(t->s->dir, mdb_del(t->txn, t->s->dbi[db], &k, NULL));
        if (err && err != MDB_NOTFOUND)
            rc = map_err(t, err);
        d->has_orig = 0;
    }
    size_t from = 0;
    while (rc == LEDE_OK && from < d->n) {
        size_t to = d->n;
        if (total > TB_MAX) {
            size_t bytes = 0;
            to = from;
            while (to < d->n && bytes < TB_TARGET)
                bytes += tb_cost(d, from, to++);
        }
        if (keep && to == d->n)
            break;
        rc = tb_put_block(t, db, d, from, to, &buf);
        if (d->has_orig && from == 0)
            d->has_orig = 0; /* written over */
        for (size_t i = from; i < to; i++)
            total -= tb_cost(d, 0, i);
        from = to;
    }
    lede_buf_free(&buf);
    if (rc != LEDE_OK || !keep || from == 0) {
        if (rc != LEDE_OK || !keep)
            tb_clear(d);
        return rc;
    }
    /* Keep the rest, alone in the arena: appends of a whole database pass
     * through here. */
    memmove(d->e, d->e + from, (d->n - from) * sizeof *d->e);
    d->n -= from;
    d->lo_open = 0;
    d->lo_len = d->e[0].klen;
    memcpy(d->lo, d->e[0].key, d->lo_len);
    return tb_compact(d);
}

/* Whether key falls in d's block. */
static int tb_covers(const tb_dirty *d, const void *key, size_t klen)
{
    return d->live && (d->lo_open || lede_key_cmp(key, klen, d->lo, d->lo_len) >= 0) &&
           (d->hi_open || lede_key_cmp(key, klen, d->hi, d->hi_len) < 0);
}

/* Decode into d (empty) the block that holds key or would. */
static int tb_load(lede_txn *t, lede_db db, tb_dirty *d, const void *key, size_t klen)
{
    MDB_cursor *c;
    MDB_val bk, bv, nk = {0, NULL}, nv = {0, NULL};
    int first = 0, err;
    if ((err = tb_cursor(t, db, &c)) != LEDE_OK)
        return err;
    d->n = 0;
    d->has_orig = 0;
    d->lo_open = 1;
    d->hi_open = 1;
    d->changed = 0;
    int rc = tb_locate(t, c, key, klen, &bk, &bv, &first);
    if (rc == LEDE_ENOTFOUND) {
        rc = LEDE_OK; /* an empty database: one block, none stored */
    } else if (rc == LEDE_OK) {
        tb_pos pos;
        /* A copy: the block's bytes move when LMDB writes. */
        uint8_t *copy = tb_alloc(d, bv.mv_size);
        if (!copy) {
            rc = LEDE_ENOMEM;
        } else {
            memcpy(copy, bv.mv_data, bv.mv_size);
            bv.mv_data = copy;
            memcpy(d->orig, bk.mv_data, bk.mv_size);
            d->orig_len = bk.mv_size;
            d->has_orig = 1;
            d->lo_open = first;
            memcpy(d->lo, bk.mv_data, bk.mv_size);
            d->lo_len = bk.mv_size;
            MDB_val ok = {d->orig_len, d->orig};
            rc = tb_first(&pos, &ok, &bv);
        }
        for (; rc == LEDE_OK; rc = tb_next(&pos)) {
            uint8_t *kb = tb_alloc(d, pos.klen);
            if (!kb || tb_room(d) != LEDE_OK) {
                rc = LEDE_ENOMEM;
                break;
            }
            memcpy(kb, pos.key, pos.klen);
            d->e[d->n++] = (tb_ent){kb, pos.val, (uint32_t)pos.klen, (uint32_t)pos.vlen};
        }
        if (rc == LEDE_ITEROVER)
            rc = LEDE_OK;
        /* The next block's key bounds this one (tb_locate left the
         * cursor on the block). */
        if (rc == LEDE_OK) {
            err = lmdb_read(GUARDED(t->s->dir, mdb_cursor_get(c, &nk, &nv, MDB_NEXT)), &nk, &nv);
            if (!err) {
                d->hi_open = 0;
                d->hi_len = nk.mv_size;
                memcpy(d->hi, nk.mv_data, nk.mv_size);
            } else if (err != MDB_NOTFOUND) {
                rc = map_err(t, err);
            }
        }
    }
    if (rc != LEDE_OK) {
        tb_clear(d);
        return rc;
    }
    d->live = 1;
    return LEDE_OK;
}

/* The dirty block of db (allocated on first use). */
static tb_dirty *tb_dirty_of(lede_txn *t, lede_db db)
{
    if (!t->tb && !(t->tb = calloc(TB_NDB, sizeof *t->tb)))
        return NULL;
    return &t->tb[db - LEDE_DB_STEM_TERMS];
}

/* Write back db's dirty block, if any (before a cursor, a drop, a size). */
static int tb_flush(lede_txn *t, lede_db db)
{
    if (!t->tb || !LEDE_DB_IS_TERMS(db))
        return LEDE_OK;
    return tb_write(t, db, &t->tb[db - LEDE_DB_STEM_TERMS], 0);
}

static int tb_flush_all(lede_txn *t)
{
    int rc = LEDE_OK;
    for (int i = 0; i < TB_NDB && rc == LEDE_OK; i++)
        rc = tb_flush(t, (lede_db)(LEDE_DB_STEM_TERMS + i));
    return rc;
}

/* Where key is or would go in d: *at, and whether it is there. */
static int tb_find(const tb_dirty *d, const void *key, size_t klen, size_t *at)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = lede_key_cmp(d->e[mid].key, d->e[mid].klen, key, klen);
        if (c == 0) {
            *at = mid;
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *at = lo;
    return 0;
}

/* d, loaded with the block of key, writing back the one it held. */
static int tb_dirty_for(lede_txn *t, lede_db db, const void *key, size_t klen, tb_dirty **out)
{
    tb_dirty *d = tb_dirty_of(t, db);
    if (!d)
        return LEDE_ENOMEM;
    *out = d;
    if (tb_covers(d, key, klen))
        return LEDE_OK;
    int rc = tb_write(t, db, d, 0);
    return rc != LEDE_OK ? rc : tb_load(t, db, d, key, klen);
}

static int tb_get(lede_txn *t, lede_db db, const void *key, size_t klen, lede_val *out)
{
    if (klen == 0 || klen > TB_KEYMAX)
        return klen ? LEDE_ENOTFOUND : LEDE_EINVAL;
    size_t at;
    if (t->tb && tb_covers(&t->tb[db - LEDE_DB_STEM_TERMS], key, klen)) {
        const tb_dirty *d = &t->tb[db - LEDE_DB_STEM_TERMS];
        if (!tb_find(d, key, klen, &at))
            return LEDE_ENOTFOUND;
        out->data = d->e[at].val;
        out->len = d->e[at].vlen;
        return LEDE_OK;
    }
    return tb_get_stored(t, db, key, klen, out);
}

static int tb_put(lede_txn *t, lede_db db, const void *key, size_t klen, const void *val,
                  size_t vlen, int append)
{
    if (!t->write)
        return LEDE_EINVAL;
    if (klen == 0 || klen > TB_KEYMAX || vlen > UINT32_MAX)
        return LEDE_EINVAL;
    tb_dirty *d;
    int rc = tb_dirty_for(t, db, key, klen, &d);
    if (rc != LEDE_OK)
        return rc;
    size_t at;
    int found = tb_find(d, key, klen, &at);
    if (append && (found || at < d->n || !d->hi_open))
        return LEDE_EINVAL; /* not after every key */
    uint8_t *kb = found ? NULL : tb_alloc(d, klen);
    uint8_t *vb = tb_alloc(d, vlen ? vlen : 1);
    if ((!found && !kb) || !vb || (!found && tb_room(d) != LEDE_OK))
        return LEDE_ENOMEM;
    if (vlen)
        memcpy(vb, val, vlen);
    if (found) {
        d->e[at].val = vb;
        d->e[at].vlen = (uint32_t)vlen;
    } else {
        memcpy(kb, key, klen);
        memmove(d->e + at + 1, d->e + at, (d->n - at) * sizeof *d->e);
        d->e[at] = (tb_ent){kb, vb, (uint32_t)klen, (uint32_t)vlen};
        d->n++;
    }
    d->changed = 1;
    /* Appends (a database written again whole) would gather every record
     * here: the full blocks go out as they fill.  Values put again and
     * again leave their old bytes behind until the arena is compacted. */
    if (d->hi_open && at + 1 == d->n && d->n >= 256)
        rc = tb_write(t, db, d, 1);
    else if (d->arena_bytes > ((size_t)1 << 20) && d->arena_bytes > 4 * tb_live_bytes(d))
        rc = tb_compact(d);
    return rc;
}

static int tb_del(lede_txn *t, lede_db db, const void *key, size_t klen)
{
    if (klen == 0 || klen > TB_KEYMAX)
        return LEDE_ENOTFOUND;
    tb_dirty *d;
    int rc = tb_dirty_for(t, db, key, klen, &d);
    if (rc != LEDE_OK)
        return rc;
    size_t at;
    if (!tb_find(d, key, klen, &at))
        return LEDE_ENOTFOUND;
    memmove(d->e + at, d->e + at + 1, (d->n - at - 1) * sizeof *d->e);
    d->n--;
    d->changed = 1;
    return LEDE_OK;
}

/* ---- cursors over blocked databases ---- */

/* The block at c's LMDB position (op), on its first entry. */
static int tbc_block(lede_cursor *c, MDB_cursor_op op)
{
    MDB_val k = {0, NULL}, v = {0, NULL};
    int err = lmdb_read(GUARDED(c->t->s->dir, mdb_cursor_get(c->cur, &k, &v, op)), &k, &v);
    if (err == MDB_NOTFOUND)
        return LEDE_ITEROVER;
    if (err)
        return map_err(c->t, err);
    c->bk = k;
    c->bv = v;
    return tb_first(&c->pos, &k, &v);
}

/* c on the last entry of its block. */
static int tbc_to_last(lede_cursor *c)
{
    int rc = LEDE_OK;
    while (rc == LEDE_OK && c->pos.left)
        rc = tb_next(&c->pos);
    return rc;
}

static int tbc_out(lede_cursor *c, int rc, lede_val *k, lede_val *v)
{
    c->blocked = rc == LEDE_OK ? 2 : 1; /* 2: on an entry */
    if (rc != LEDE_OK)
        return rc;
    if (k) {
        k->data = c->pos.key;
        k->len = c->pos.klen;
    }
    if (v) {
        v->data = c->pos.val;
        v->len = c->pos.vlen;
    }
    return LEDE_OK;
}

static int tbc_next(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked != 2)
        return tbc_out(c, tbc_block(c, MDB_FIRST), k, v);
    int rc = tb_next(&c->pos);
    if (rc == LEDE_ITEROVER)
        rc = tbc_block(c, MDB_NEXT);
    return tbc_out(c, rc, k, v);
}

static int tbc_prev(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked != 2)
        return tbc_out(c, LEDE_ITEROVER, k, v);
    uint64_t want = c->pos.index;
    int rc;
    if (want == 0) {
        rc = tbc_block(c, MDB_PREV);
        if (rc == LEDE_OK)
            rc = tbc_to_last(c);
        return tbc_out(c, rc, k, v);
    }
    rc = tb_first(&c->pos, &c->bk, &c->bv);
    while (rc == LEDE_OK && c->pos.index + 1 < want)
        rc = tb_next(&c->pos);
    return tbc_out(c, rc, k, v);
}

static int tbc_seek(lede_cursor *c, const void *key, size_t klen, lede_val *k, lede_val *v)
{
    int rc = tb_locate(c->t, c->cur, key, klen, &c->bk, &c->bv, NULL);
    if (rc == LEDE_ENOTFOUND)
        rc = LEDE_ITEROVER;
    if (rc == LEDE_OK)
        rc = tb_first(&c->pos, &c->bk, &c->bv);
    if (rc == LEDE_OK) {
        rc = tb_scan(&c->pos, key, klen);
        if (rc == LEDE_ITEROVER)
            rc = tbc_block(c, MDB_NEXT); /* every key of that block is smaller */
    }
    return tbc_out(c, rc, k, v);
}
/* ------------------------------------------------------------------ */

int lede_store_get(lede_txn *t, lede_db db, const void *key, size_t klen, lede_val *out)
{
    if (LEDE_DB_IS_TERMS(db)) {
        int rc = tb_get(t, db, key, klen, out);
        if (rc != LEDE_OK) {
            out->data = NULL;
            out->len = 0;
        }
        return rc;
    }
    MDB_val k = {klen, (void *)key}, v = {0, NULL};
    int err = lmdb_read(GUARDED(t->s->dir, mdb_get(t->txn, t->s->dbi[db], &k, &v)), NULL, &v);
    if (err) {
        out->data = NULL;
        out->len = 0;
        return err == MDB_NOTFOUND ? LEDE_ENOTFOUND : map_err(t, err);
    }
    out->data = v.mv_data;
    out->len = v.mv_size;
    return LEDE_OK;
}

int lede_store_put(lede_txn *t, lede_db db, const void *key, size_t klen, const void *val,
                   size_t vlen)
{
    if (LEDE_DB_IS_TERMS(db))
        return tb_put(t, db, key, klen, val, vlen, 0);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    return map_err(t, GUARDED(t->s->dir, mdb_put(t->txn, t->s->dbi[db], &k, &v, 0)));
}

int lede_store_append(lede_txn *t, lede_db db, const void *key, size_t klen, const void *val,
                      size_t vlen)
{
    if (LEDE_DB_IS_TERMS(db))
        return tb_put(t, db, key, klen, val, vlen, 1);
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    int err = GUARDED(t->s->dir, mdb_put(t->txn, t->s->dbi[db], &k, &v, MDB_APPEND));
    return err == MDB_KEYEXIST ? LEDE_EINVAL : map_err(t, err);
}

int lede_store_reserve(lede_txn *t, lede_db db, const void *key, size_t klen, size_t vlen,
                       void **out)
{
    if (LEDE_DB_IS_TERMS(db)) {
        *out = NULL;
        return LEDE_EINVAL; /* a block's entry is not a record of LMDB's */
    }
    MDB_val k = {klen, (void *)key}, v = {vlen, NULL};
    int rc = map_err(t, GUARDED(t->s->dir, mdb_put(t->txn, t->s->dbi[db], &k, &v, MDB_RESERVE)));
    *out = rc == LEDE_OK ? v.mv_data : NULL;
    return rc;
}

int lede_store_del(lede_txn *t, lede_db db, const void *key, size_t klen)
{
    if (LEDE_DB_IS_TERMS(db))
        return tb_del(t, db, key, klen);
    MDB_val k = {klen, (void *)key};
    int err = GUARDED(t->s->dir, mdb_del(t->txn, t->s->dbi[db], &k, NULL));
    return err == MDB_NOTFOUND ? LEDE_ENOTFOUND : map_err(t, err);
}

int lede_store_drop(lede_txn *t, lede_db db)
{
    if (LEDE_DB_IS_TERMS(db)) {
        if (t->tb)
            tb_clear(&t->tb[db - LEDE_DB_STEM_TERMS]);
        tb_cursor_close(t, db - LEDE_DB_STEM_TERMS);
    }
    return map_err(t, mdb_drop(t->txn, t->s->dbi[db], 0));
}

int lede_store_cursor_open(lede_cursor **out, lede_txn *t, lede_db db)
{
    *out = NULL;
    int rc = tb_flush(t, db);
    if (rc != LEDE_OK)
        return rc;
    lede_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return LEDE_ENOMEM;
    c->blocked = LEDE_DB_IS_TERMS(db);
    int err = mdb_cursor_open(t->txn, t->s->dbi[db], &c->cur);
    if (err) {
        free(c);
        return map_err(t, err);
    }
    c->t = t;
    *out = c;
    return LEDE_OK;
}

void lede_store_cursor_close(lede_cursor *c)
{
    if (!c)
        return;
    mdb_cursor_close(c->cur);
    free(c);
}

static int cursor_get(lede_cursor *c, MDB_val *k, MDB_cursor_op op, lede_val *ko, lede_val *vo)
{
    MDB_val v = {0, NULL};
    int err = lmdb_read(GUARDED(c->t->s->dir, mdb_cursor_get(c->cur, k, &v, op)), k, &v);
    if (err == MDB_NOTFOUND)
        return LEDE_ITEROVER;
    if (err)
        return map_err(c->t, err);
    if (ko) {
        ko->data = k->mv_data;
        ko->len = k->mv_size;
    }
    if (vo) {
        vo->data = v.mv_data;
        vo->len = v.mv_size;
    }
    return LEDE_OK;
}

int lede_store_cursor_seek(lede_cursor *c, const void *key, size_t klen, lede_val *k,
                           lede_val *v)
{
    if (c->blocked)
        return tbc_seek(c, key, klen, k, v);
    MDB_val mk = {klen, (void *)key};
    return cursor_get(c, &mk, MDB_SET_RANGE, k, v);
}

int lede_store_cursor_del(lede_cursor *c)
{
    if (c->blocked)
        return LEDE_EINVAL;
    return map_err(c->t, GUARDED(c->t->s->dir, mdb_cursor_del(c->cur, 0)));
}

int lede_store_cursor_first(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked)
        return tbc_out(c, tbc_block(c, MDB_FIRST), k, v);
    MDB_val mk = {0, NULL};
    return cursor_get(c, &mk, MDB_FIRST, k, v);
}

int lede_store_cursor_next(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked)
        return tbc_next(c, k, v);
    MDB_val mk = {0, NULL};
    return cursor_get(c, &mk, MDB_NEXT, k, v);
}

int lede_store_cursor_prev(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked)
        return tbc_prev(c, k, v);
    MDB_val mk = {0, NULL};
    return cursor_get(c, &mk, MDB_PREV, k, v);
}

int lede_store_cursor_last(lede_cursor *c, lede_val *k, lede_val *v)
{
    if (c->blocked) {
        int rc = tbc_block(c, MDB_LAST);
        return tbc_out(c, rc == LEDE_OK ? tbc_to_last(c) : rc, k, v);
    }
    MDB_val mk = {0, NULL};
    return cursor_get(c, &mk, MDB_LAST, k, v);
}

int lede_store_db_size(lede_txn *t, lede_db db, uint64_t *bytes, uint64_t *entries)
{
    MDB_stat st;
    int err = tb_flush(t, db);
    if (err != LEDE_OK)
        return err;
    err = mdb_stat(t->txn, t->s->dbi[db], &st);
    if (err)
        return map_err(t, err);
    *bytes = (uint64_t)st.ms_psize * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages);
    *entries = st.ms_entries;
    return LEDE_OK;
}

int lede_store_db_pages(lede_txn *t, lede_db db, lede_db_pages *out)
{
    MDB_stat st;
    memset(out, 0, sizeof *out);
    int err = tb_flush(t, db);
    if (err != LEDE_OK)
        return err;
    err = mdb_stat(t->txn, t->s->dbi[db], &st);
    if (err)
        return map_err(t, err);
    out->branch = st.ms_branch_pages;
    out->leaf = st.ms_leaf_pages;
    out->overflow = st.ms_overflow_pages;
    out->psize = st.ms_psize;
    return LEDE_OK;
}
