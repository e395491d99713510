/*
 * cli.h — what the files of lede-index share: the parsed options, the run's
 * counters, the list of inputs, the known-documents table, the progress bar
 * and the one warning/error style.
 *
 * main.c parses options and dispatches; walk.c turns PATH arguments into a
 * sorted list of input files; ingest.c reads each input and feeds the
 * library; progress.c draws the bar; admin.c prints --stats and runs --check.
 */
#ifndef LEDE_INDEX_CLI_H
#define LEDE_INDEX_CLI_H

#include "extract.h"

#include <lede.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROG "lede-index"

/* Exit statuses, as documented in lede-index(1). */
enum { EXIT_ALL_INDEXED = 0, EXIT_SOME_FAILED = 1, EXIT_FATAL = 2 };

typedef struct cli_options {
    const char *index_dir;      /* -i, $LEDE_INDEX, or ./.lede */
    const char *const *paths;   /* PATH... operands */
    size_t npaths;
    const char *files_from;     /* --files-from FILE ("-" = stdin) */
    bool null_sep;              /* -0 */
    const char *stdin_id;       /* --stdin-id: id of the document on "-" */
    lede_format format;         /* --format; AUTO = by extension */
    lede_extract_fields fields; /* --id-field ... */
    bool hidden;                /* --hidden */
    bool prune;                 /* --prune */
    bool rebuild;               /* --rebuild */
    bool compact;               /* --compact: give the free pages back */
    const char **delete_ids;    /* --delete ID... */
    size_t ndelete;
    int threads;                /* -j; 0 = number of cores */
    size_t memory;              /* --memory; 0 = library default */
    uint64_t max_size;          /* --max-size (index cap) */
    const char *language;       /* --language */
    bool wait;                  /* --wait: wait for another writer */
    bool quiet;                 /* --quiet */
    bool json;                  /* --json */
    bool verbose;               /* --verbose: one line per changed input */
} cli_options;

/* What a run did, for the summary line and --json. */
typedef struct cli_counts {
    uint64_t added, updated, unchanged, deleted, failed, repaired;
    uint64_t bytes;             /* input bytes read */
    uint64_t compact_before;    /* --compact: bytes on disk before, after */
    uint64_t compact_after;     /* (0 when it did not run) */
    double seconds;
} cli_counts;

/* ---- the index folder (admin.c) ------------------------------------ */

/* Bytes the index's files take on disk (LMDB's file grows by whole pages,
 * so this is the allocated size, not the map size), as --stats says. */
uint64_t cli_index_bytes(const char *dir);

/* ---- messages (main.c) ------------------------------------------- */

/* "lede-index: warning: WHERE: what" on stderr; where may be NULL, line 0 = none. */
__attribute__((format(printf, 3, 4))) void cli_warn(const char *where, size_t line,
                                                    const char *fmt, ...);
/* s on stderr with control characters escaped (\n, \t, \x1b): for names
 * and ids that come from the archive or the index. */
void cli_put_safe(const char *s);
/* "lede-index: error: what" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);
/* "lede-index: error: " and why the index in dir cannot be opened for
 * reading: err (the library's message, which names dir) or rc's meaning. */
void cli_open_error(const char *dir, const char *err, int rc);

/* ---- inputs (walk.c) --------------------------------------------- */

typedef struct cli_input {
    char *path;      /* as it can be opened from the current directory; "-" = stdin */
    char *id;        /* external id: path relative to the indexed root (often
                        the end of path, and then the same bytes) */
    off_t size;
    int64_t mtime;
} cli_input;

/* A block of the inputs' strings; blocks never move, so pointers into them last. */
typedef struct cli_strings cli_strings;

typedef struct cli_inputs {
    cli_input *items;
    size_t n, cap;
    uint64_t total_bytes;
    size_t failed;   /* paths that do not exist, loops, unreadable folders */
    /* The items' path and id bytes: kept for the whole run, one per file of
     * a folder of a million, so in blocks rather than two allocations each. */
    cli_strings *strings;
    size_t strings_left; /* free bytes at the end of the newest block */
} cli_inputs;

/*
 * Expand the operands (and --files-from) into input files: folders
 * recursively in name order, hidden names skipped unless opts->hidden,
 * symlink loops reported, the index folder itself left out.  Problems are
 * warned about and counted in out->failed.  Returns LEDE_OK or LEDE_ENOMEM
 * (or LEDE_EIO when --files-from cannot be read).
 */
int cli_inputs_collect(cli_inputs *out, const cli_options *opts);
void cli_inputs_free(cli_inputs *in);

/* ---- ingest (ingest.c) ------------------------------------------- */

/*
 * The whole indexing run: read what is indexed already, open the writer,
 * apply --delete, index every input incrementally, --prune, commit.
 * Fills counts; returns an exit status.
 */
int cli_ingest(const cli_options *opts, cli_counts *counts);

/* ---- progress (progress.c) --------------------------------------- */

typedef struct cli_progress cli_progress;

/* NULL (and every call a no-op) unless enabled and stderr is a terminal. */
cli_progress *cli_progress_new(bool enabled, uint64_t total_bytes);
void cli_progress_update(cli_progress *p, uint64_t docs, uint64_t bytes);
/* Draw the bar now with a note after it ("committing"), whatever the rate. */
void cli_progress_note(cli_progress *p, uint64_t docs, uint64_t bytes, const char *note);
/* Erase the bar so a message can be printed; the next update redraws it. */
void cli_progress_clear(cli_progress *p);
void cli_progress_free(cli_progress *p);
/* The bar of this run, so cli_warn can clear it first.  May be NULL. */
extern cli_progress *cli_progress_current;

/* ---- administration (admin.c) ------------------------------------ */

/* --stats: print what the index holds.  Returns an exit status. */
int cli_stats(const cli_options *opts);
/* --check: verify the index.  Returns an exit status (1 when a problem is found). */
int cli_check(const cli_options *opts);
/* --list-languages. */
int cli_list_languages(void);

/* Monotonic seconds. */
double cli_now(void);

/* At budgets this small, memory comes before speed: no huge pages, freed
 * memory returned at once (malloc_conf.c). */
#define CLI_SMALL_BUDGET ((size_t)64 << 20)
/* Tune the allocator for a --memory budget (0: the default), and turn
 * transparent huge pages off where page faults are cheap; before indexing. */
void cli_malloc_budget(size_t budget);

#endif /* LEDE_INDEX_CLI_H */
