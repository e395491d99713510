/*
 * lede/snippet.h — snippets: the best windows of a document's text for a
 * query, cut at word boundaries, with the byte ranges of each match.
 *
 * Owner: lib/snippet.c.  Snippets get the text from the caller (the query
 * side fetches it with lede_reader_text) and never touch the index.
 */
#ifndef LEDE_SNIPPET_H
#define LEDE_SNIPPET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif /* LEDE_SNIPPET_H */
