/*
 * malloc_conf.c — how jemalloc serves lede-index (built with LEDE_JEMALLOC),
 * and why lede-index asks for no transparent huge pages.
 *
 * Indexing touches a few hundred megabytes of fresh memory per batch: the
 * analysers' term vectors, the batch's postings, the pages LMDB dirties
 * (one malloc each).  Under glibc's malloc every 4 KiB page of it was a
 * page fault, and in the virtual machines of session 6 a fault cost
 * several microseconds; jemalloc with huge pages (one fault per 2 MiB)
 * took Reuters-21578 from 1.25-1.44 s to 0.78-1.07 s then.
 *
 * The virtual machines changed.  Those of session 12 report free memory
 * to their host in 8 MiB blocks (page_reporting_order=11), so a huge page
 * comes from memory the host has to fault in again: touching 256 MiB of
 * fresh huge pages took 380-550 ms, of 4 KiB pages 86-94 ms, and a 4 KiB
 * fault about 1.3 us.  Alternated runs, median (docs/bench/index.md,
 * session 12), huge pages -> none:
 *
 *   Reuters, default -j: 0.67 -> 0.65 s right after another run, 0.74 ->
 *   0.66 s after 6 s idle; -j 1 1.09 -> 0.95 s and 1.16 -> 1.00 s
 *   Gutenberg, default -j: 2.85 -> 2.68 s and 2.92 -> 2.72 s
 *   peak RSS: Reuters 118 -> 100 MiB, Gutenberg 268 -> 244 MiB
 *
 * So cli_malloc_budget turns them off for the process (PR_SET_THP_DISABLE:
 * whatever the system's setting, and for the batch arrays lib/writer.c
 * maps itself), and jemalloc is not asked for them.
 *
 * narenas:1 — one arena for every thread: with the default of four per
 * core, each arena kept memory partly used, and Gutenberg's peak RSS went
 * from 307 to 343 MB (with one arena, 318-322 MB), past the memory budget
 * plus 64 MiB; the threads' caches keep the lock cold.
 * muzzy_decay_ms:0 — freed pages go back to the system at once rather than
 * after ten seconds, which a batch-at-a-time program never waits for.
 *
 * jemalloc reads this symbol when it starts.  Without LEDE_JEMALLOC (the
 * sanitizer builds, which bring their own allocator) there is no symbol.
 */
#include "cli.h"

#include <sys/prctl.h>

#ifdef LEDE_JEMALLOC
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <sys/types.h>

extern const char *malloc_conf;
const char *malloc_conf = "narenas:1,muzzy_decay_ms:0";
#endif

/*
 * At a budget of 64 MiB or less, memory comes before speed: freed memory
 * goes back to the system at once (dirty_decay_ms 0) instead of being
 * kept for ten seconds.  Measured in session 7, when larger budgets still
 * had huge pages (Gutenberg, 2 cores, load ~1):
 *
 *   --memory 64M: 8.6 s, 153 MiB -> 24.6 s, 97 MiB   (budget + 64 MiB: 128)
 *   --memory 32M: 17.7 s, 119 MiB -> 31.8 s, 92 MiB (96)
 *
 * Huge pages off alone: 64M 125 MiB at 13.3 s, 32M 111 MiB; freeing at
 * once alone: 64M 111 MiB at 24.6 s.
 */
void cli_malloc_budget(size_t budget)
{
    /* No transparent huge pages, whatever the system's setting (above). */
    (void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
#ifdef LEDE_JEMALLOC
    if (budget == 0 || budget > CLI_SMALL_BUDGET)
        return; /* 0: the default budget, 256 MiB */
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
