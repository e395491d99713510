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
#include <string.h>
#include <sys/ioctl.h>
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

/* The terminal's width in columns (80 when it does not say). */
static int term_columns(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/*
 * One line, never as wide as the terminal: a line that wraps cannot be
 * redrawn by "\r" (only its last row is), so every redraw would leave a row
 * behind.  When the whole line does not fit, the parts that matter least go
 * first: the bar graphic, then the rates, then the megabytes.
 */
static void draw(cli_progress *p, uint64_t docs, uint64_t bytes, double now, const char *note)
{
    double secs = now - p->start;
    double mb = (double)bytes / 1e6;
    double docs_s = secs > 0 ? (double)docs / secs : 0;
    double mb_s = secs > 0 ? mb / secs : 0;
    char bar[32] = "", count[32], size[48] = "", rate[64], tail[48] = "";
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
        if (!note && bytes > 0 && secs > 0.5) {
            double left = secs * ((double)p->total_bytes - (double)bytes) / (double)bytes;
            snprintf(tail, sizeof tail, "  ETA %d:%02d", (int)left / 60, (int)left % 60);
        }
        snprintf(size, sizeof size, "  %.1f/%.1f MB", mb, (double)p->total_bytes / 1e6);
    } else {
        snprintf(size, sizeof size, "  %.1f MB", mb);
    }
    if (note)
        snprintf(tail, sizeof tail, "  %s...", note);
    snprintf(count, sizeof count, "%llu docs", (unsigned long long)docs);
    snprintf(rate, sizeof rate, "  %.0f docs/s  %.1f MB/s", docs_s, mb_s);

    /* Which parts to show: all, then fewer, until the line fits. */
    static const unsigned char shows[][4] = {
        /* bar, size, rate, tail */
        {1, 1, 1, 1}, {0, 1, 1, 1}, {0, 1, 0, 1}, {0, 0, 0, 1}, {0, 0, 0, 0},
    };
    size_t room = (size_t)term_columns() - 1;
    char line[256];
    for (size_t k = 0; k < ARRAY_SIZE(shows); k++) {
        snprintf(line, sizeof line, "%s%s%s%s%s", shows[k][0] ? bar : "", count,
                 shows[k][1] ? size : "", shows[k][2] ? rate : "", shows[k][3] ? tail : "");
        if (strlen(line) <= room)
            break;
    }
    if (strlen(line) > room)
        line[room] = '\0';
    /* \r and erase-to-end keep it on one line whatever was there before. */
    fprintf(stderr, "\r\033[K%s", line);
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
