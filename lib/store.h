/*
 * store.h — the LMDB environment of an index, wrapped so that no other file
 * includes lmdb.h: named databases, transactions, cursors, map growth and
 * per-database sizes.
 *
 * One environment is opened per index directory per process and shared by
 * the writer and every reader of that process (LMDB forbids opening the same
 * environment twice in one process: closing the second would drop the first's
 * locks).  The sharing is reference counted.
 */
#ifndef LEDE_STORE_H
#define LEDE_STORE_H

#include "common.h"

#include <string.h>

/** Version of the byte format (docs/FORMAT.md); kept in meta under "format". */
#define LEDE_FORMAT_VERSION 7

/** The named databases (docs/FORMAT.md describes each key and value). */
typedef enum lede_db {
    LEDE_DB_META,
    LEDE_DB_STEM_TERMS,
    LEDE_DB_WORD_TERMS,
    LEDE_DB_NAME_TERMS,
    LEDE_DB_STEM_POST,
    LEDE_DB_WORD_POST,
    LEDE_DB_NAME_POST,
    LEDE_DB_STEM_POS, /* unused: the stem space has no positions */
    LEDE_DB_WORD_POS,
    LEDE_DB_NAME_POS,
    LEDE_DB_DOCS,
    LEDE_DB_TEXT,
    LEDE_DB_IDS,
    LEDE_DB_DOCLENS,
    LEDE_DB_DELETED,
    LEDE_DB_PATHS, /* source paths shared by several documents (format 3) */
    LEDE_DB_COUNT
} lede_db;

/** The terms / postings / positions database of a field. */
#define LEDE_DB_TERMS(field) ((lede_db)(LEDE_DB_STEM_TERMS + (field)))
/** Whether db is a term database (its records kept in blocks, format 7). */
#define LEDE_DB_IS_TERMS(db) ((db) >= LEDE_DB_STEM_TERMS && (db) <= LEDE_DB_NAME_TERMS)
#define LEDE_DB_POST(field) ((lede_db)(LEDE_DB_STEM_POST + (field)))
#define LEDE_DB_POS(field) ((lede_db)(LEDE_DB_STEM_POS + (field)))

/** Name of a database in the environment ("stem.post", ...).  Static. */
const char *lede_store_db_name(lede_db db);

typedef struct lede_store lede_store;
typedef struct lede_txn lede_txn;
typedef struct lede_cursor lede_cursor;

/** A borrowed value: valid until the transaction ends or writes to that key. */
typedef struct lede_val {
    const void *data;
    size_t len;
} lede_val;

/* LMDB's default key order: bytes, then the shorter key first. */
static inline int lede_key_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/**
 * Open the environment in dir.  create: make the directory and databases if
 * missing (a writer); otherwise a missing index is LEDE_ENOTFOUND.  On
 * failure *errmsg (when not NULL) gets a message to free().
 */
int lede_store_open(lede_store **out, const char *dir, int create, char **errmsg);
/** Drop one reference; the environment closes with the last. */
void lede_store_close(lede_store *s);
const char *lede_store_dir(const lede_store *s);
/**
 * The initial map size of environments opened afterwards in this process
 * (tests use a small one to exercise growth).  0 restores the default.
 */
void lede_store_set_initial_mapsize(size_t bytes);
/** Current map size in bytes. */
uint64_t lede_store_mapsize(lede_store *s);
/**
 * Grow the map to at least bytes; LEDE_EBUSY when transactions of this
 * process are open (the map cannot move under them).
 */
int lede_store_grow(lede_store *s, uint64_t bytes);
/**
 * Drop this process's mapping of the map's pages (MADV_DONTNEED): they stay
 * in the page cache and come back on the next access, but stop counting in
 * the writer's resident set.  Safe inside a write transaction: LMDB's dirty
 * pages are its own memory, not the map's.
 */
void lede_store_release_pages(lede_store *s);
/* Map every page of s's data file into this process up front, when the file
 * is at most max_bytes, so later reads take no page faults.  LEDE_EINVAL when
 * the file is larger or the kernel cannot (before Linux 5.14). */
int lede_store_prefault(lede_store *s, uint64_t max_bytes);
/** Pages of one database as transaction t sees it. */
typedef struct lede_db_pages {
    uint64_t branch, leaf, overflow;
    uint32_t psize;
} lede_db_pages;
int lede_store_db_pages(lede_txn *t, lede_db db, lede_db_pages *out);
/** Bytes used by the data file (last committed state). */
uint64_t lede_store_used(lede_store *s);
/* Write a copy of the last committed state without free pages (LMDB's
 * compacting copy) into the new directory dir, which must not exist; on
 * failure dir is removed again and *errmsg says why (caller frees). */
int lede_store_copy_compact(lede_store *s, const char *dir, char **errmsg);

int lede_store_begin(lede_txn **out, lede_store *s, int write);
/**
 * Commit and free.  LEDE_EFULL when the map was full (grow and redo) or the
 * disk is full (errno ENOSPC: see lede_store_txn_errno).
 */
int lede_store_commit(lede_txn *t);
/** The LMDB or system error code of this store's last commit (0: none):
 * MDB_MAP_FULL there means the map, not the disk, is full. */
int lede_store_commit_error(const lede_store *s);
/** Abort and free; accepts NULL. */
void lede_store_abort(lede_txn *t);
/** The last LMDB or system error code seen in this transaction, for messages. */
int lede_store_txn_error(const lede_txn *t);
/** Text for that code (LMDB's own messages). */
const char *lede_store_strerror(int err);
/** Non-zero if that code meant "map full" (as opposed to the disk being full). */
int lede_store_is_map_full(int err);

/** LEDE_ENOTFOUND when absent. */
int lede_store_get(lede_txn *t, lede_db db, const void *key, size_t klen, lede_val *out);
int lede_store_put(lede_txn *t, lede_db db, const void *key, size_t klen, const void *val,
                   size_t vlen);
/**
 * Put a key known to sort after every key of db (MDB_APPEND): pages fill
 * completely instead of splitting in half.  LEDE_EINVAL when it does not.
 */
int lede_store_append(lede_txn *t, lede_db db, const void *key, size_t klen, const void *val,
                      size_t vlen);
/** Reserve vlen bytes for key and return where to write them (zero-copy put). */
int lede_store_reserve(lede_txn *t, lede_db db, const void *key, size_t klen, size_t vlen,
                       void **out);
/** LEDE_ENOTFOUND when absent. */
int lede_store_del(lede_txn *t, lede_db db, const void *key, size_t klen);
/** Remove every record of db. */
int lede_store_drop(lede_txn *t, lede_db db);

int lede_store_cursor_open(lede_cursor **out, lede_txn *t, lede_db db);
void lede_store_cursor_close(lede_cursor *c);
/** First record with key >= key; LEDE_ITEROVER when none. */
int lede_store_cursor_seek(lede_cursor *c, const void *key, size_t klen, lede_val *k,
                           lede_val *v);
/** Delete the record at the cursor; the next cursor_next reads the one after it. */
int lede_store_cursor_del(lede_cursor *c);
/** First record; LEDE_ITEROVER when empty. */
int lede_store_cursor_first(lede_cursor *c, lede_val *k, lede_val *v);
/** Next record; LEDE_ITEROVER at the end. */
int lede_store_cursor_next(lede_cursor *c, lede_val *k, lede_val *v);
/** Previous record; LEDE_ITEROVER at the start. */
int lede_store_cursor_prev(lede_cursor *c, lede_val *k, lede_val *v);
/** Last record; LEDE_ITEROVER when empty. */
int lede_store_cursor_last(lede_cursor *c, lede_val *k, lede_val *v);

/** Bytes of pages used by db (branch + leaf + overflow) and its entry count. */
int lede_store_db_size(lede_txn *t, lede_db db, uint64_t *bytes, uint64_t *entries);

#endif /* LEDE_STORE_H */
