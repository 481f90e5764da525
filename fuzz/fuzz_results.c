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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "h5repair.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

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
    static char path[64];
    sf_h5_info info;
    sf_error err = {0};

    if (path[0] == '\0') {
        H5dont_atexit();
        /* Keep HDF5's freed blocks on its own free lists, without limit:
         * by default every file open callocs a fresh metadata cache of
         * over 64 KiB, which ASan maps and unmaps each time, and that
         * page-faulting was most of an execution's time. */
        H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
        /* A file in memory (tmpfs) when there is one. */
        snprintf(path, sizeof path, "%s/sf-fuzz-results-%d.h5",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    if (sf_h5_read_info(path, &info, &err) == 0) {
        sf_scenario sc;
        sf_model m;
        memset(&sc, 0, sizeof sc);
        memset(&m, 0, sizeof m);
        if (sf_scenario_load_string(&sc, info.scenario_text,
                                    strlen(info.scenario_text), "fuzz", &err) ==
                0 &&
            sf_model_init(&m, &sc, &err) == 0 && info.n_policies <= 64) {
            int policies[64];
            sf_results res;
            sf_run_options opt = {0};
            if (sf_h5_policy_indices(&sc, &info, path, policies, &err) == 0 &&
                info.n_trials <= 100000) {
                opt.seed = info.seed;
                opt.first_trial = info.first_trial;
                opt.n_trials = info.n_trials;
                opt.n_paths = info.n_paths;
                opt.n_policies = info.n_policies;
                opt.policies = policies;
                if (sf_results_init(&res, &m, &opt, &err) == 0) {
                    sf_h5_read_trials(path, &info, &res, &err);
                    sf_results_free(&res);
                }
            }
        }
        sf_model_free(&m);
        sf_scenario_free(&sc);
        sf_h5_info_free(&info);
    }
    /* The batch reader of `merge` (batch parts). */
    sf_h5_batch_info bi;
    if (sf_h5_read_batch_info(path, &bi, &err) == 0)
        sf_h5_batch_info_free(&bi);
    return 0;
}
