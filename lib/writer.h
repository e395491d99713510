/*
 * writer.h — internal side of the writer (lede_index_* in lede/index.h).
 */
#ifndef LEDE_WRITER_H
#define LEDE_WRITER_H

#include "buf.h"
#include "common.h"

/** Encode the meta "stats" record (see reader.h for the fields). */
struct lede_stats_rec;
struct lede_terminfo_rec;
void lede_stats_encode(lede_buf *out, const struct lede_stats_rec *st);
void lede_terminfo_encode(lede_buf *out, const struct lede_terminfo_rec *ti);

/** Bytes the writer currently holds for the open batch (for tests and --memory). */
size_t lede_index_buffered(const lede_index *ix);

/** Bytes of the start of each body a text dictionary is trained on. */
#define LEDE_ZDICT_SAMPLE 4096

/**
 * Train zstd dictionary k (LEDE_ZDICT_*) from samples, sizes[n] of them, as
 * the writer does: *dict (caller frees) of *len bytes, NULL when there are
 * too few samples or nothing to learn.  LEDE_ENOMEM only.
 */
int lede_zdict_train(int k, const lede_buf *samples, const size_t *sizes, size_t n,
                     uint8_t **dict, size_t *len);
/** The zstd level of dictionary k's frames. */
int lede_zdict_level(int k);

#endif /* LEDE_WRITER_H */
