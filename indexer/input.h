/*
 * input.h — opening an input of lede-index for reading, compressed or not.
 *
 * A file (or stdin) that starts with the magic bytes of gzip, xz or zstd is
 * decompressed as it is read, whatever its name: `dump.jsonl.gz`,
 * `articles.json.zst`, a `.txt.xz`, or `zstd -dc`-less pipes.  The caller
 * reads the FILE * as if it held the plain bytes.
 */
#ifndef LEDE_INDEX_INPUT_H
#define LEDE_INDEX_INPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct cli_input_file cli_input_file;

/**
 * Open path ("-": stdin) for reading into *f, through a decompressor when
 * its first bytes say it is compressed.  Returns 0, or an errno (nothing
 * opened).  Close with cli_input_close, never fclose.
 */
int cli_input_open(cli_input_file **out, FILE **f, const char *path);

/** The compression found ("gzip", "xz", "zstd"), or NULL for plain bytes. */
const char *cli_input_compression(const cli_input_file *in);

/**
 * Bytes of the file itself consumed so far (compressed bytes for a
 * compressed file): what a progress bar over file sizes counts.  May be
 * called from another thread than the one reading.
 */
uint64_t cli_input_consumed(const cli_input_file *in);

/** Why the last read failed inside the decompressor ("corrupt gzip data"), or NULL. */
const char *cli_input_error(const cli_input_file *in);

/** Close the stream and the file under it (not stdin).  NULL is fine. */
void cli_input_close(cli_input_file *in);

#endif
