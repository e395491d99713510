/*
 * gen_postings_seeds.c — writes decode-mode seeds for the postings fuzzer
 * (tests/fuzz/corpus/postings/chunk-*): real chunks made by the encoder, in
 * the layout fuzz_postings.h reads (mode byte, 2-byte split, post, pos).
 * Not part of the build; run by hand after a format change:
 *
 *   cc -std=c17 -D_GNU_SOURCE -Ilib -Iinclude tests/robust/gen_postings_seeds.c \
 *      build/lib/liblede.a -lstreamvbyte -o /tmp/gen && /tmp/gen tests/fuzz/corpus/postings
 */
#include "postings.h"

#include <stdio.h>
#include <stdlib.h>

static void write_seed(const char *dir, const char *name, const lede_buf *post,
                       const lede_buf *pos)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        exit(1);
    }
    uint8_t head[3] = {pos ? 0 : 2, (uint8_t)(post->len & 0xff), (uint8_t)(post->len >> 8)};
    fwrite(head, 1, 3, f);
    fwrite(post->data, 1, post->len, f);
    if (pos)
        fwrite(pos->data, 1, pos->len, f);
    fclose(f);
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {1, 3, 128, 129, 300};
    if (argc != 2)
        return 2;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s], npos = 0;
        uint32_t docids[300], tfs[300], ttfs[300], lens[300], positions[300 * 5];
        for (size_t i = 0; i < n; i++) {
            docids[i] = (uint32_t)(1 + i * (s + 2) + (i % 3) * 1000 * s);
            if (i && docids[i] <= docids[i - 1])
                docids[i] = docids[i - 1] + 1;
            tfs[i] = 1 + (uint32_t)(i % 5);
            ttfs[i] = s % 2 ? (uint32_t)(i % 2) : 0;
            lens[i] = 20 + (uint32_t)i;
            for (uint32_t j = 0; j < tfs[i]; j++)
                positions[npos++] = j * 7 + (uint32_t)i % 11;
        }
        for (int with_pos = 0; with_pos <= 1; with_pos++) {
            lede_buf post = LEDE_BUF_INIT, pos = LEDE_BUF_INIT;
            lede_posting_arrays in = {docids, tfs, ttfs, lens, with_pos ? positions : NULL, n};
            if (lede_chunk_encode(&post, with_pos ? &pos : NULL, &in) != LEDE_OK)
                return 1;
            char name[64];
            snprintf(name, sizeof name, "chunk-%zu%s", n, with_pos ? "-pos" : "");
            write_seed(argv[1], name, &post, with_pos ? &pos : NULL);
            lede_buf_free(&post);
            lede_buf_free(&pos);
        }
    }
    return 0;
}
