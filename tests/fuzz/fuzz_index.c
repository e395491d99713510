/*
 * fuzz_index.c — libFuzzer target; the entry function is in fuzz_index.h so
 * that tests/test_fuzz_replay.c runs the same code on the seed corpus
 * (tests/fuzz/corpus/index/) in every build.
 */
#include "fuzz_index.h"

#ifdef LEDE_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return lede_fuzz_index(data, size);
}
#endif
