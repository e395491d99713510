/*
 * malloc_conf.c — how jemalloc serves lede-index (built with LEDE_JEMALLOC).
 *
 * Indexing touches a few hundred megabytes of fresh memory per batch: the
 * analysers' term vectors, the batch's postings, the pages LMDB dirties
 * (one malloc each).  Under glibc's malloc every 4 KiB page of it was a
 * page fault, and in the virtual machines this runs on a fault costs
 * several microseconds: a quarter of the indexer's time on Reuters-21578.
 * jemalloc backs its arenas with transparent huge pages when asked, which
 * takes one fault per 2 MiB instead.  Measured (docs/bench/index.md,
 * session 6): Reuters 1.25-1.44 s -> 0.95-1.07 s, Gutenberg 5.4 -> 4.0-4.3 s,
 * faults 26,000 -> 5,700.
 *
 * narenas:1 — one arena for every thread: each arena keeps its own huge
 * pages partly used, and with the default of four per core Gutenberg's
 * peak RSS went from 307 to 343 MB, past the memory budget plus 64 MiB
 * (with one arena, 318-322 MB); the threads' caches keep the lock cold.
 * muzzy_decay_ms:0 — freed pages go back to the system at once rather than
 * after ten seconds, which a batch-at-a-time program never waits for.
 *
 * jemalloc reads this symbol when it starts.  Without LEDE_JEMALLOC (the
 * sanitizer builds, which bring their own allocator) there is no symbol and
 * cli_malloc_budget does nothing.
 */
#include "cli.h"

#ifdef LEDE_JEMALLOC
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/prctl.h>

extern const char *malloc_conf;
const char *malloc_conf = "thp:always,metadata_thp:auto,narenas:1,muzzy_decay_ms:0";
#endif

/*
 * At a budget of 64 MiB or less, memory comes before speed: no transparent
 * huge pages, and freed memory goes back to the system at once
 * (dirty_decay_ms 0) instead of being kept for ten seconds.  Huge pages
 * kept partly used, and 30-45 MB of them kept between batches, are more
 * than a small budget can absorb.  Gutenberg (2 cores, load ~1):
 *
 *   --memory 64M: 8.6 s, 153 MiB -> 24.6 s, 97 MiB   (budget + 64 MiB: 128)
 *   --memory 32M: 17.7 s, 119 MiB -> 31.8 s, 92 MiB (96)
 *
 * Huge pages off alone: 64M 125 MiB at 13.3 s, 32M 111 MiB; freeing at
 * once alone: 64M 111 MiB at 24.6 s.  Larger budgets keep the speed
 * (128M: 6 s, 187 MiB of 192; the default: 312 MB of 336).
 */
void cli_malloc_budget(size_t budget)
{
#ifdef LEDE_JEMALLOC
    if (budget == 0 || budget > CLI_SMALL_BUDGET)
        return; /* 0: the default budget, 256 MiB */
    /* Huge pages off for this process (jemalloc's and the batch arrays'). */
    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
    ssize_t zero = 0;
    unsigned narenas = 0;
    size_t sz = sizeof narenas;
    /* Arenas made later, then each arena there is (the huge one too). */
    mallctl("arenas.dirty_decay_ms", NULL, NULL, &zero, sizeof zero);
    if (mallctl("arenas.narenas", &narenas, &sz, NULL, 0) != 0)
        return;
    for (unsigned i = 0; i < narenas; i++) {
        char name[48];
        snprintf(name, sizeof name, "arena.%u.dirty_decay_ms", i);
        mallctl(name, NULL, NULL, &zero, sizeof zero);
    }
#else
    (void)budget;
#endif
}
