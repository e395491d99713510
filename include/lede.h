/*
 * lede — full-text search for article archives.
 *
 * This is the public API of liblede, the engine that lede-index and
 * lede-query share.  It is split by module:
 *
 *   lede/analysis.h   text → tokens (UTF-8, folding, stemming) and entities
 *   lede/index.h      the LMDB index: writing documents, reading postings
 *   lede/search.h     query parsing, BM25 ranking, snippets
 *
 * Conventions (see docs/HACKING.md):
 *   - functions return int: LEDE_OK (0) on success, a negative lede_status
 *     otherwise; lede_strerror() turns any of them (or a positive errno)
 *     into text, and handles carry a message for the last failure;
 *   - out-parameters come first and are named out; on failure *out is NULL;
 *   - destructors return void and accept NULL;
 *   - every returned pointer says who owns it and how long it lives.
 */
#ifndef LEDE_H
#define LEDE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEDE_VERSION_MAJOR 0
#define LEDE_VERSION_MINOR 1
#define LEDE_VERSION_PATCH 0
#define LEDE_VERSION "0.1.0"

#if defined(__GNUC__)
#define LEDE_API __attribute__((visibility("default")))
#else
#define LEDE_API
#endif

/** Status codes.  Distinct codes only for outcomes a caller acts on. */
typedef enum lede_status {
    LEDE_OK = 0,
    LEDE_ERROR = -1,     /**< generic failure; see the handle's message */
    LEDE_ENOMEM = -2,    /**< out of memory */
    LEDE_EINVAL = -3,    /**< invalid argument or malformed input */
    LEDE_ENOTFOUND = -4, /**< no such term, document or index */
    LEDE_ECORRUPT = -5,  /**< index data failed a consistency check */
    LEDE_EFULL = -6,     /**< the index reached its size limit or the disk is full */
    LEDE_EVERSION = -7,  /**< index written by an incompatible format version */
    LEDE_EBUSY = -8,     /**< another writer holds the index lock */
    LEDE_ITEROVER = -9,  /**< iteration finished (not an error) */
    LEDE_EIO = -10,      /**< I/O error reading input or the index */
} lede_status;

/** Text for a status code or a positive errno.  Static storage. */
LEDE_API const char *lede_strerror(int status);

/** The library version, "MAJOR.MINOR.PATCH".  Static storage. */
LEDE_API const char *lede_version(void);

/**
 * One line naming the versions of the libraries linked in (LMDB, libstemmer,
 * utf8proc, zstd, ...), for --version.  Static storage.
 */
LEDE_API const char *lede_library_versions(void);

#ifdef __cplusplus
}
#endif

#include "lede/analysis.h"
#include "lede/index.h"
#include "lede/search.h"
#include "lede/snippet.h"

#endif /* LEDE_H */
