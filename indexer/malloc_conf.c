/*
 * malloc_conf.c — how jemalloc serves lede-index (built with LEDE_JEMALLOC),
 * and when lede-index takes transparent huge pages.
 *
 * Indexing touches a few hundred megabytes of fresh memory per batch: the
 * analysers' term vectors, the batch's postings, the pages LMDB dirties
 * (one malloc each).  Whether huge pages pay depends on the machine:
 *
 * - In the virtual machines of sessions 2 and 6 a 4 KiB page fault cost
 *   10-20 us: under glibc's malloc a quarter of the time on Reuters-21578.
 *   jemalloc with huge pages (one fault per 2 MiB) took it from 1.25-1.44 s
 *   to 0.78-1.07 s (jemalloc without them: 1.37-1.43 s).
 * - Those of session 12 fault a 4 KiB page in about 1 us, but report free
 *   memory to their host in 8 MiB blocks (page_reporting_order=11), so a
 *   huge page comes from memory the host faults in again: touching 256 MiB
 *   of fresh huge pages took 380-550 ms, of 4 KiB pages 86-94 ms.  Huge
 *   pages on -> off, alternated runs, medians (docs/bench/index.md,
 *   session 12): Reuters at the default -j 0.67 -> 0.65 s right after
 *   another run, 0.74 -> 0.66 s after 6 s idle; -j 1 1.09 -> 0.95 s and
 *   1.16 -> 1.00 s; Gutenberg 2.85 -> 2.68 s and 2.92 -> 2.72 s; peak RSS
 *   Reuters 118 -> 100 MiB, Gutenberg 268 -> 244 MiB (huge pages never
 *   asked for; asked for, then turned off below, 104 and 246 MiB: the
 *   few jemalloc touched while starting stay).
 *
 * So jemalloc and the batch arrays (lib/writer.c) ask for huge pages, and
 * cli_malloc_budget times a few 4 KiB faults first: where they are cheap it
 * turns huge pages off for the process (PR_SET_THP_DISABLE, which overrides
 * the asking).  The index is the same either way.
 *
 * narenas:1 — one arena for every thread: with the default of four per
 * core, each arena kept huge pages partly used, and Gutenberg's peak RSS
 * went from 307 to 343 MB (with one arena, 318-322 MB), past the memory
 * budget plus 64 MiB; the threads' caches keep the lock cold.
 * muzzy_decay_ms:0 — freed pages go back to the system at once rather than
 * after ten seconds, which a batch-at-a-time program never waits for.
 *
 * jemalloc reads this symbol when it starts.  Without LEDE_JEMALLOC (the
 * sanitizer builds, which bring their own allocator) there is no symbol.
 */
#include "cli.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#ifdef LEDE_JEMALLOC
#include <jemalloc/jemalloc.h>
#include <stdio.h>
#include <sys/types.h>

extern const char *malloc_conf;
const char *malloc_conf = "thp:always,metadata_thp:auto,narenas:1,muzzy_decay_ms:0";
#endif

/* A 4 KiB page fault costs more than this on machines where huge pages
 * pay (10-20 us in sessions 2 and 6; about 1 us in session 12). */
#define DEAR_FAULT_NS 4000

/* Whether first touches of 4 KiB pages cost more than DEAR_FAULT_NS each:
 * the best of three rounds of 32, so that a preemption in one round does
 * not decide (about 0.1 ms here; 2 ms at 20 us a fault). */
static bool faults_dear(void)
{
    enum { PAGES = 32, PAGE = 4096 };
    long best = -1;
    for (int round = 0; round < 3; round++) {
        char *p = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p == MAP_FAILED)
            return true; /* keep what was asked for */
        (void)madvise(p, PAGES * PAGE, MADV_NOHUGEPAGE);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < PAGES; i++)
            ((volatile char *)p)[(size_t)i * PAGE] = 1;
        clock_gettime(CLOCK_MONOTONIC, &b);
        munmap(p, PAGES * PAGE);
        long ns = (b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec);
        if (best < 0 || ns < best)
            best = ns;
    }
    return best > (long)PAGES * DEAR_FAULT_NS;
}

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
    bool small = budget != 0 && budget <= CLI_SMALL_BUDGET;
    /* Huge pages only where 4 KiB faults are dear (above), and never at a
     * small budget, where the ones kept partly used are too much. */
    if (small || !faults_dear())
        (void)prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
#ifdef LEDE_JEMALLOC
    if (!small)
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
