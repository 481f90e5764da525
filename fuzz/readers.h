/*
 * readers.h — what `info`, `merge` and `--resume` do with a results file,
 * for the results-file fuzz targets: read its provenance and policy list
 * (sf_h5_read_info), load and compile the scenario stored in it, map its
 * policy groups (sf_h5_policy_indices), read its per-trial rows
 * (sf_h5_read_trials) and, for batch parts, the batch's variant list
 * (sf_h5_read_batch_info), and the summaries `info` prints of any file,
 * batches included (sf_summary_file_load, sf_summary_write in every
 * format).  Any file must give results or one clear error, never a crash
 * in shortfall's code.
 */
#ifndef SF_FUZZ_READERS_H
#define SF_FUZZ_READERS_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "cli.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

/* Once per process: HDF5 keeps its freed blocks on its own free lists,
 * without limit (by default every file open callocs a fresh metadata
 * cache of over 64 KiB, which ASan maps and unmaps each time), and the
 * input file goes to tmpfs when there is one.  Returns the file's path. */
static const char *fuzz_results_setup(void)
{
    static char path[64];
    if (path[0] == '\0') {
        H5dont_atexit();
        H5set_free_list_limits(-1, -1, -1, -1, -1, -1);
        snprintf(path, sizeof path, "%s/sf-fuzz-results-%d.h5",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
                 (int)getpid());
    }
    return path;
}

static void fuzz_results_read(const char *path)
{
    sf_h5_info info;
    sf_error err = {0};

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
                    /* Refusing a damaged file is the expected outcome. */
                    int refused = sf_h5_read_trials(path, &info, &res, &err);
                    (void)refused;
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
    /* `info` in its three formats. */
    static FILE *sink;
    sf_summary_file sf;
    if (sink == NULL)
        sink = fopen("/dev/null", "w");
    if (sink != NULL && sf_summary_file_load(&sf, path, &err) == 0) {
        sf_summary_write(sink, &sf.set, SF_SUMMARY_TABLE);
        sf_summary_write(sink, &sf.set, SF_SUMMARY_CSV);
        sf_summary_write(sink, &sf.set, SF_SUMMARY_JSON);
        sf_summary_file_free(&sf);
    }
}

#endif
