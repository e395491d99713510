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

#endif /* LEDE_WRITER_H */
