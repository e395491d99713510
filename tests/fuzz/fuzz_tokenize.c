/*
 * fuzz_tokenize.c — libFuzzer target for the analyzer; the entry function
 * and the invariants it checks are in fuzz_tokenize.h, so that
 * tests/test_tokenize.c runs the same code on the seed corpus
 * (tests/fuzz/corpus/tokenize/) in every build.
 */
#include "fuzz_tokenize.h"

#ifdef LEDE_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return lede_fuzz_tokenize(data, size);
}
#endif
