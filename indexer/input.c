/*
 * input.c — the bytes of one input of lede-index, decompressed when they
 * are gzip, xz or zstd.
 *
 * Owns the decompressors (zlib, liblzma, libzstd) and a stdio stream over
 * them (fopencookie), so that ingest.c reads compressed dumps with the same
 * getline and fread it reads plain files with.  The kind is told by the
 * first bytes, never by the name: a renamed file, or a compressed stream on
 * stdin, reads the same.  It must not know input formats (lib/extract.c)
 * nor the index.
 *
 * A plain file is handed back as itself.  Plain stdin cannot be rewound
 * after its first bytes are looked at, so it is read through the stream
 * too, those bytes first.  Concatenated gzip members and zstd frames (pigz,
 * `cat a.gz b.gz`) and xz streams read as one input; bytes after the last
 * gzip member that do not start another are ignored, as gzip -d does.
 * Corrupt or truncated data ends the stream with an error (EIO) and a
 * message for the warning.
 */
/* fopencookie is a GNU extension: _GNU_SOURCE comes from the build (CMakeLists.txt). */
#include "input.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

enum kind { PLAIN, GZIP, XZ, ZSTD };

#define INBUF ((size_t)128 << 10)

struct cli_input_file {
    FILE *raw;      /* the file, or stdin */
    FILE *f;        /* what the caller reads: raw, or the stream over it */
    enum kind kind;
    unsigned char *in; /* bytes read from raw, [pos, len) not used yet */
    size_t pos, len;
    bool in_eof;
    bool done;      /* the decompressor has ended */
    uint64_t consumed; /* bytes read from raw; atomic (another thread reads it) */
    z_stream z;
    lzma_stream x;
    ZSTD_DStream *zs;
    size_t zs_hint; /* the last ZSTD_decompressStream's answer: 0 when a frame ended */
    char err[96];
};

static void set_err(cli_input_file *in, const char *what, const char *detail)
{
    snprintf(in->err, sizeof in->err, "corrupt %s data%s%s", what, detail ? ": " : "",
             detail ? detail : "");
}

/* Read more of raw when what was read is used up; false at the end of raw. */
static bool refill(cli_input_file *in)
{
    if (in->pos < in->len)
        return true;
    if (in->in_eof)
        return false;
    in->pos = 0;
    in->len = fread(in->in, 1, INBUF, in->raw);
    if (in->len < INBUF)
        in->in_eof = true; /* a short read: the end, or an error ferror(raw) tells */
    __atomic_add_fetch(&in->consumed, in->len, __ATOMIC_RELAXED);
    return in->len > 0;
}

static ssize_t read_gzip(cli_input_file *in, char *buf, size_t size)
{
    in->z.next_out = (Bytef *)buf;
    in->z.avail_out = (uInt)(size > UINT32_MAX ? UINT32_MAX : size);
    while (in->z.avail_out == size && !in->done) {
        bool more = refill(in);
        in->z.next_in = in->in + in->pos;
        in->z.avail_in = (uInt)(in->len - in->pos);
        int rc = inflate(&in->z, Z_NO_FLUSH);
        in->pos = in->len - in->z.avail_in;
        if (rc == Z_STREAM_END) {
            /* Another member follows, or the end (trailing bytes ignored). */
            refill(in);
            if (in->len - in->pos >= 2 && in->in[in->pos] == 0x1f && in->in[in->pos + 1] == 0x8b)
                inflateReset(&in->z);
            else
                in->done = true;
        } else if (rc == Z_BUF_ERROR && !more) {
            set_err(in, "gzip", "the file ends in the middle of the data");
            return -1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            set_err(in, "gzip", in->z.msg);
            return -1;
        }
    }
    return (ssize_t)(size - in->z.avail_out);
}

static ssize_t read_xz(cli_input_file *in, char *buf, size_t size)
{
    in->x.next_out = (uint8_t *)buf;
    in->x.avail_out = size;
    while (in->x.avail_out == size && !in->done) {
        refill(in);
        in->x.next_in = in->in + in->pos;
        in->x.avail_in = in->len - in->pos;
        lzma_ret rc = lzma_code(&in->x, in->in_eof ? LZMA_FINISH : LZMA_RUN);
        in->pos = in->len - in->x.avail_in;
        if (rc == LZMA_STREAM_END) {
            in->done = true;
        } else if (rc == LZMA_BUF_ERROR) {
            set_err(in, "xz", "the file ends in the middle of the data");
            return -1;
        } else if (rc != LZMA_OK) {
            set_err(in, "xz", rc == LZMA_MEM_ERROR ? "out of memory" : NULL);
            return -1;
        }
    }
    return (ssize_t)(size - in->x.avail_out);
}

static ssize_t read_zstd(cli_input_file *in, char *buf, size_t size)
{
    ZSTD_outBuffer out = {buf, size, 0};
    while (out.pos == 0 && !in->done) {
        /* Without more input the decoder may still hold output to flush. */
        bool more = refill(in);
        ZSTD_inBuffer inb = {in->in, in->len, in->pos};
        size_t rc = ZSTD_decompressStream(in->zs, &out, &inb);
        in->pos = inb.pos;
        if (ZSTD_isError(rc)) {
            set_err(in, "zstd", ZSTD_getErrorName(rc));
            return -1;
        }
        if (!more && out.pos == 0) {
            if (in->zs_hint) { /* a frame begun and not ended */
                set_err(in, "zstd", "the file ends in the middle of the data");
                return -1;
            }
            in->done = true;
        }
        in->zs_hint = rc;
    }
    return (ssize_t)out.pos;
}

static ssize_t stream_read(void *cookie, char *buf, size_t size)
{
    cli_input_file *in = cookie;
    ssize_t n = 0;
    if (size == 0)
        return 0;
    if (size > ((size_t)1 << 30))
        size = (size_t)1 << 30; /* zlib counts in 32 bits */
    switch (in->kind) {
    case PLAIN:
        if (refill(in)) {
            n = (ssize_t)(in->len - in->pos < size ? in->len - in->pos : size);
            memcpy(buf, in->in + in->pos, (size_t)n);
            in->pos += (size_t)n;
        }
        break;
    case GZIP: n = read_gzip(in, buf, size); break;
    case XZ: n = read_xz(in, buf, size); break;
    case ZSTD: n = read_zstd(in, buf, size); break;
    }
    if (n == 0 && ferror(in->raw)) {
        snprintf(in->err, sizeof in->err, "%s", strerror(errno ? errno : EIO));
        n = -1;
    }
    if (n < 0)
        errno = EIO;
    return n;
}

static int stream_close(void *cookie)
{
    (void)cookie; /* cli_input_close frees what the stream used */
    return 0;
}

int cli_input_open(cli_input_file **out, FILE **f, const char *path)
{
    static const cookie_io_functions_t io = {.read = stream_read, .close = stream_close};
    int err = 0;
    *out = NULL;
    *f = NULL;
    cli_input_file *in = calloc(1, sizeof *in);
    if (!in)
        return ENOMEM;
    bool is_stdin = strcmp(path, "-") == 0;
    in->raw = is_stdin ? stdin : fopen(path, "rb");
    if (!in->raw) {
        err = errno;
        free(in);
        return err;
    }
    if (!(in->in = malloc(INBUF))) {
        err = ENOMEM;
        goto fail;
    }
    /* The magic bytes: gzip 1f 8b; xz fd '7zXZ' 00; zstd 28 b5 2f fd. */
    in->len = fread(in->in, 1, 6, in->raw);
    if (in->len < 6 && ferror(in->raw)) {
        err = errno ? errno : EIO;
        goto fail;
    }
    in->in_eof = in->len < 6;
    __atomic_store_n(&in->consumed, in->len, __ATOMIC_RELAXED);
    const unsigned char *m = in->in;
    if (in->len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        in->kind = GZIP;
        if (inflateInit2(&in->z, 15 + 16) != Z_OK) { /* 16: a gzip header */
            err = ENOMEM;
            goto fail;
        }
    } else if (in->len >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0) {
        in->kind = XZ;
        in->x = (lzma_stream)LZMA_STREAM_INIT;
        if (lzma_stream_decoder(&in->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
            err = ENOMEM;
            goto fail;
        }
    } else if (in->len >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0) {
        in->kind = ZSTD;
        if (!(in->zs = ZSTD_createDStream())) {
            err = ENOMEM;
            goto fail;
        }
    } else if (!is_stdin && fseek(in->raw, 0, SEEK_SET) == 0) {
        /* Plain and seekable: read the file itself. */
        free(in->in);
        in->in = NULL;
        in->len = 0;
        in->f = in->raw;
        *out = in;
        *f = in->f;
        return 0;
    }
    if (!(in->f = fopencookie(in, "r", io))) {
        err = errno ? errno : ENOMEM;
        goto fail;
    }
    *out = in;
    *f = in->f;
    return 0;
fail:
    cli_input_close(in);
    return err;
}

const char *cli_input_compression(const cli_input_file *in)
{
    static const char *const names[] = {NULL, "gzip", "xz", "zstd"};
    return names[in->kind];
}

uint64_t cli_input_consumed(const cli_input_file *in)
{
    return __atomic_load_n(&in->consumed, __ATOMIC_RELAXED);
}

const char *cli_input_error(const cli_input_file *in)
{
    return in->err[0] ? in->err : NULL;
}

void cli_input_close(cli_input_file *in)
{
    if (!in)
        return;
    if (in->f && in->f != in->raw)
        fclose(in->f);
    if (in->raw && in->raw != stdin)
        fclose(in->raw);
    if (in->kind == GZIP)
        inflateEnd(&in->z);
    else if (in->kind == XZ)
        lzma_end(&in->x);
    ZSTD_freeDStream(in->zs);
    free(in->in);
    free(in);
}
