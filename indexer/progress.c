/*
 * progress.c — the progress bar of lede-index, on stderr, only when stderr
 * is a terminal (never in pipes, logs or tests) and --quiet is not given.
 *
 * Owns the bar's drawing and its redraw rate; knows nothing of indexing but
 * the two numbers it is handed (documents and input bytes so far).
 */
#include "cli.h"

#include <signal.h>
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

/* Whether a bar is on the terminal now, for the signal handler. */
static volatile sig_atomic_t bar_on_screen;

/*
 * Ctrl-C (or a kill) while the bar is drawn used to leave it half a line,
 * with the shell's prompt (or the next output) glued to its end.  The
 * handler erases it, says what became of the run (write(2) only: it is
 * async-signal-safe), then dies of the signal as before, so the exit status
 * still tells the shell what happened.
 */
static void on_fatal_signal(int sig)
{
    static const char msg[] = "\r\033[K" PROG ": interrupted: the batches committed so far "
                              "stay in the index; run it again to index the rest\n";
    if (bar_on_screen) {
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
        struct sigaction old, sa = {0};
        /* Leave alone what the caller chose to ignore (nohup, a shell's & ). */
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue;
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
}

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
    catch_signals();
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
    bar_on_screen = 1;
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
    bar_on_screen = 0;
    p->last_draw = 0; /* redraw at the next update */
}

void cli_progress_free(cli_progress *p)
{
    cli_progress_clear(p);
    free(p);
}
