/*
 * fuzz_query.c — libFuzzer target; the entry function is in fuzz_query.h so
 * that tests/test_fuzz_replay.c runs the same code on the seed corpus
 * (tests/fuzz/corpus/query/) in every build.
 */
#include "fuzz_query.h"

#ifdef LEDE_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return lede_fuzz_query(data, size);
}
#endif
