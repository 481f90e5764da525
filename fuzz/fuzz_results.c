/*
 * fuzz_results.c — libFuzzer target for the results-file readers used by
 * `info`, `merge` and `--resume` (single runs, and batch parts): any bytes, written to a file, must give
 * either a readable results file or one clear error — never a crash in
 * shortfall's code.  (Crashes inside the HDF5 library itself on crafted
 * files are reported in docs/reliability.md.)  Mutants have their HDF5
 * metadata checksums resealed half the time (LLVMFuzzerCustomMutator).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "h5repair.h"
#include "readers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed);

/* libFuzzer's own byte mutations, then, for every other mutant, the
 * metadata checksums recomputed (h5repair.h): HDF5 refuses a header
 * whose checksum is wrong before shortfall sees any of it, so without
 * this nearly every mutation inside the metadata tests only HDF5's
 * checksum check.  The other half keep their bytes as mutated, so damaged
 * checksums stay tested too. */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
                               unsigned int seed)
{
    size_t good = 0;
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 2 == 0)
        h5_reseal(data, size, 0, &good);
    return size;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_results_setup();
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    fuzz_results_read(path);
    return 0;
}
