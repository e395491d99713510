/*
 * status.c — status codes to text, and the versions of what is linked in.
 * Owns nothing else.
 */
#include "common.h"

#include <libstemmer.h>
#include <libxml/xmlversion.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>
#include <zstd.h>
#include <cjson/cJSON.h>

const char *lede_strerror(int status)
{
    if (status > 0)
        return strerror(status);
    switch ((lede_status)status) {
    case LEDE_OK: return "success";
    case LEDE_ERROR: return "error";
    case LEDE_ENOMEM: return "out of memory";
    case LEDE_EINVAL: return "invalid argument";
    case LEDE_ENOTFOUND: return "not found";
    case LEDE_ECORRUPT: return "index is corrupt";
    case LEDE_EFULL: return "index is full";
    case LEDE_EVERSION: return "index format version not supported";
    case LEDE_EBUSY: return "index is locked by another writer";
    case LEDE_ITEROVER: return "end of iteration";
    case LEDE_EIO: return "input/output error";
    }
    return "unknown error";
}

const char *lede_version(void)
{
    return LEDE_VERSION;
}

const char *lede_library_versions(void)
{
    static char buf[320];
    if (!buf[0]) {
        /*
         * libstemmer and libstreamvbyte export no version, so they are named
         * without one; the others report the version actually linked.
         */
        unsigned xxh = XXH_versionNumber();
        snprintf(buf, sizeof buf,
                 "LMDB %d.%d.%d, libstemmer (Snowball), utf8proc %s, zstd %s, cJSON %s, "
                 "libxml2 %s, xxHash %u.%u.%u, streamvbyte",
                 MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, utf8proc_version(),
                 ZSTD_versionString(), cJSON_Version(), LIBXML_DOTTED_VERSION, xxh / 10000,
                 xxh / 100 % 100, xxh % 100);
    }
    return buf;
}
