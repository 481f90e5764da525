/*
 * info.c — `shortfall info FILE`: the summary table of an existing results
 * file, the same table `shortfall run` printed, read from the file's
 * summary statistics.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

static void info_usage(FILE *f)
{
    fprintf(f, "usage: shortfall info RESULTS.h5\n"
               "Prints the summary table of a results file written by "
               "`shortfall run`.\n");
}

int sf_cmd_info(int argc, char **argv)
{
    sf_h5_info info;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_error err = {0};
    int ret, status = SF_EXIT_OK;
    const char *path = NULL;

    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            info_usage(stdout);
            return SF_EXIT_OK;
        }
        if (argv[a][0] == '-' || path != NULL) {
            fprintf(stderr, "shortfall info: unexpected argument '%s'\n",
                    argv[a]);
            info_usage(stderr);
            return SF_EXIT_USAGE;
        }
        path = argv[a];
    }
    if (path == NULL) {
        info_usage(stderr);
        return SF_EXIT_USAGE;
    }
    memset(&info, 0, sizeof info);
    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    if ((ret = sf_h5_read_info(path, &info, &err)) != 0)
        goto fail;
    if ((ret = sf_scenario_load_string(&sc, info.scenario_text,
                                       strlen(info.scenario_text),
                                       info.scenario_file, &err)) != 0 ||
        (ret = sf_model_init(&m, &sc, &err)) != 0) {
        /* The stored scenario no longer loads: say where it came from. */
        fprintf(stderr, "shortfall info: %s: its scenario (%s) does not load "
                        "with this version:\n",
                path, info.scenario_file);
        goto fail;
    }
    int *idx = calloc(info.n_policies, sizeof *idx);
    if (idx == NULL) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* The results' shape from the file; no per-trial rows are needed to
     * print the summaries, so none are allocated. */
    sf_run_options opt = {0};
    opt.seed = info.seed;
    opt.first_trial = info.first_trial;
    opt.n_policies = info.n_policies;
    opt.policies = idx;
    if ((ret = sf_h5_policy_indices(&sc, &info, path, idx, &err)) == 0)
        ret = sf_results_init(&res, &m, &opt, &err);
    free(idx);
    if (ret != 0)
        goto fail;
    res.n_trials = info.n_trials;
    res.n_done = info.n_done;
    res.threads = info.threads;
    res.wall_seconds = info.wall_seconds;
    if ((ret = sf_h5_read_summaries(path, &info, &res, &err)) != 0)
        goto fail;
    printf("%s (shortfall %s)\n", path, info.version);
    sf_print_summary(stdout, &res);
    goto out;
fail:
    fprintf(stderr, "shortfall info: %s\n", err.msg);
    status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
out:
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    sf_h5_info_free(&info);
    return status;
}
