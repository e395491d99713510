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
 * sanitizer builds, which bring their own allocator) the file is empty.
 */
#ifdef LEDE_JEMALLOC
extern const char *malloc_conf;
const char *malloc_conf = "thp:always,metadata_thp:auto,narenas:1,muzzy_decay_ms:0";
#else
/* ISO C wants a translation unit to declare something. */
typedef int lede_malloc_conf_unused;
#endif
