/*
 * progress.c — the progress bar of lede-index, on stderr, only when stderr
 * is a terminal (never in pipes, logs or tests) and --quiet is not given.
 *
 * Owns the bar's drawing and its redraw rate; knows nothing of indexing but
 * the two numbers it is handed (documents and input bytes so far).
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct cli_progress {
    uint64_t total_bytes; /* 0 when unknown (stdin): no bar, no ETA */
    double start;
    double last_draw;
    bool drawn;
};

cli_progress *cli_progress_current;

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cli_progress *cli_progress_new(bool enabled, uint64_t total_bytes)
{
    if (!enabled || !isatty(STDERR_FILENO))
        return NULL;
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL; /* no bar is not worth failing for */
    p->total_bytes = total_bytes;
    p->start = cli_now();
    return p;
}

static void draw(cli_progress *p, uint64_t docs, uint64_t bytes, double now, const char *note)
{
    double secs = now - p->start;
    double mb = (double)bytes / 1e6;
    double docs_s = secs > 0 ? (double)docs / secs : 0;
    double mb_s = secs > 0 ? mb / secs : 0;
    char bar[32] = "";
    char eta[32] = "";
    if (p->total_bytes) {
        double frac = (double)bytes / (double)p->total_bytes;
        if (frac > 1)
            frac = 1;
        int width = 20, fill = (int)(frac * width);
        bar[0] = '[';
        for (int i = 0; i < width; i++)
            bar[1 + i] = i < fill ? '=' : (i == fill ? '>' : ' ');
        bar[width + 1] = ']';
        bar[width + 2] = ' ';
        bar[width + 3] = '\0';
        if (bytes > 0 && secs > 0.5) {
            double left = secs * ((double)p->total_bytes - (double)bytes) / (double)bytes;
            snprintf(eta, sizeof eta, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
        }
    }
    /* \r and erase-to-end keep it on one line whatever was there before. */
    fprintf(stderr, "\r\033[K%s%llu docs  %.1f", bar, (unsigned long long)docs, mb);
    if (p->total_bytes)
        fprintf(stderr, "/%.1f", (double)p->total_bytes / 1e6);
    fprintf(stderr, " MB  %.0f docs/s  %.1f MB/s%s", docs_s, mb_s, note ? "" : eta);
    if (note)
        fprintf(stderr, "  %s...", note);
    fflush(stderr);
    p->drawn = true;
    p->last_draw = now;
}

void cli_progress_update(cli_progress *p, uint64_t docs, uint64_t bytes)
{
    if (!p)
        return;
    double now = cli_now();
    /* Ten redraws a second at most: drawing must not cost indexing time. */
    if (now - p->last_draw < 0.1)
        return;
    draw(p, docs, bytes, now, NULL);
}

void cli_progress_note(cli_progress *p, uint64_t docs, uint64_t bytes, const char *note)
{
    if (p)
        draw(p, docs, bytes, cli_now(), note);
}

void cli_progress_clear(cli_progress *p)
{
    if (!p || !p->drawn)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->drawn = false;
    p->last_draw = 0; /* redraw at the next update */
}

void cli_progress_free(cli_progress *p)
{
    cli_progress_clear(p);
    free(p);
}
