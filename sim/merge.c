/*
 * merge.c — `shortfall merge OUT.h5 SHARD.h5...`: joins the files of runs
 * over trial ranges (`run --trials A:B`) into the file one run over all
 * the trials would have written.  Shards must share the scenario text,
 * seed, version, policy mixes and paths setting, be complete, and cover
 * one contiguous range without overlap.  Per-trial rows are concatenated
 * in trial order and the integer accumulators added, so every dataset of
 * the merged file is bitwise identical to an unsharded run's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"
#include "version.h"

#define MAX_SHARDS 100000

static void merge_usage(FILE *f)
{
    fprintf(f, "usage: shortfall merge [--force] OUT.h5 SHARD.h5...\n"
               "Joins shard files written by `shortfall run --trials A:B` "
               "into the file one\nrun over all their trials would have "
               "written.\n");
}

typedef struct {
    const char *path;
    sf_h5_info info;
} shard;

static int by_first_trial(const void *a, const void *b)
{
    const shard *x = a, *y = b;
    return (x->info.first_trial > y->info.first_trial) -
           (x->info.first_trial < y->info.first_trial);
}

/* Shards that belong together: everything but the trial range agrees. */
static int check_shards(shard *s, size_t n, sf_error *err)
{
    qsort(s, n, sizeof *s, by_first_trial);
    for (size_t i = 0; i < n; i++) {
        const sf_h5_info *a = &s[0].info, *b = &s[i].info;
        const char *what = NULL;
        if (!b->complete)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s is incomplete (%" PRIu64 " of %" PRIu64
                                " trials); finish it with `shortfall run "
                                "--resume %s` first",
                                s[i].path, b->n_done, b->n_trials, s[i].path);
        if (!b->has_trials)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s was written with --no-trials; shards need "
                                "their per-trial rows",
                                s[i].path);
        if (strcmp(a->scenario_text, b->scenario_text) != 0)
            what = "scenario text";
        else if (a->seed != b->seed)
            what = "seed";
        else if (strcmp(a->version, b->version) != 0)
            what = "shortfall version";
        else if (a->target_rse != 0 || b->target_rse != 0)
            what = "use of --target-rse";
        else if (a->n_policies != b->n_policies)
            what = "policy mixes";
        for (size_t p = 0; what == NULL && p < a->n_policies; p++)
            if (strcmp(a->policy_names[p], b->policy_names[p]) != 0)
                what = "policy mixes";
        if (what != NULL)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s and %s do not belong to one run: their %s "
                                "differs",
                                s[0].path, s[i].path, what);
        if (i > 0) {
            uint64_t end = s[i - 1].info.first_trial + s[i - 1].info.n_trials;
            if (b->first_trial < end)
                return sf_error_set(
                    err, SF_ERR_FORMAT,
                    "%s (trials %" PRIu64 "..%" PRIu64 ") overlaps %s "
                    "(trials %" PRIu64 "..%" PRIu64 ")",
                    s[i].path, b->first_trial, b->first_trial + b->n_trials - 1,
                    s[i - 1].path, s[i - 1].info.first_trial, end - 1);
            if (b->first_trial > end)
                return sf_error_set(err, SF_ERR_FORMAT,
                                    "trials %" PRIu64 "..%" PRIu64
                                    " are in no shard (between %s and %s)",
                                    end, b->first_trial - 1, s[i - 1].path,
                                    s[i].path);
        }
    }
    return 0;
}

/* Adds one shard's rows and accumulators to the merged results. */
static int add_shard(const sf_model *m, const sf_run_options *all,
                     const shard *s, sf_results *res, sf_error *err)
{
    sf_run_options one = *all;
    sf_results part;
    int ret;

    one.first_trial = s->info.first_trial;
    one.n_trials = s->info.n_trials;
    one.n_paths = s->info.n_paths;
    if ((ret = sf_results_init(&part, m, &one, err)) != 0)
        return ret;
    if ((ret = sf_h5_read_trials(s->path, &s->info, &part, err)) == 0) {
        part.wall_seconds = s->info.wall_seconds;
        part.threads = s->info.threads;
        sf_results_add(res, &part);
    }
    sf_results_free(&part);
    return ret;
}

int sf_cmd_merge(int argc, char **argv)
{
    const char *out_path = NULL;
    bool force = false;
    shard *shards = NULL;
    size_t n = 0;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_h5_out out;
    sf_error err = {0};
    int ret = 0, status = SF_EXIT_OK, policies[1024];
    sf_run_options opt = {0};

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    memset(&out, 0, sizeof out);
    shards = calloc((size_t)argc, sizeof *shards);
    if (shards == NULL)
        return SF_EXIT_IO;
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            merge_usage(stdout);
            free(shards);
            return SF_EXIT_OK;
        } else if (strcmp(argv[a], "--force") == 0) {
            force = true;
        } else if (argv[a][0] == '-') {
            fprintf(stderr, "shortfall merge: unknown option '%s'\n", argv[a]);
            merge_usage(stderr);
            free(shards);
            return SF_EXIT_USAGE;
        } else if (out_path == NULL) {
            out_path = argv[a];
        } else {
            shards[n++].path = argv[a];
        }
    }
    if (out_path == NULL || n == 0 || n > MAX_SHARDS) {
        merge_usage(stderr);
        free(shards);
        return SF_EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++)
        if ((ret = sf_h5_read_info(shards[i].path, &shards[i].info, &err)) != 0)
            goto fail;
    if ((ret = check_shards(shards, n, &err)) != 0)
        goto fail;
    const sf_h5_info *first = &shards[0].info;
    if ((ret = sf_scenario_load_string(&sc, first->scenario_text,
                                       strlen(first->scenario_text),
                                       first->scenario_file, &err)) != 0 ||
        (ret = sf_model_init(&m, &sc, &err)) != 0)
        goto fail;
    if (first->n_policies > sizeof policies / sizeof *policies) {
        ret = sf_error_set(&err, SF_ERR_FORMAT, "too many policy groups");
        goto fail;
    }
    if ((ret = sf_h5_policy_indices(&sc, first, shards[0].path, policies,
                                    &err)) != 0)
        goto fail;
    opt.seed = first->seed;
    opt.first_trial = first->first_trial;
    opt.n_trials = shards[n - 1].info.first_trial +
                   shards[n - 1].info.n_trials - first->first_trial;
    /* Each shard kept the paths of its own first trials, as many as asked
     * for or as it had; the largest count is what was asked for. */
    for (size_t i = 0; i < n; i++)
        if (shards[i].info.n_paths > opt.n_paths)
            opt.n_paths = shards[i].info.n_paths;
    opt.n_policies = first->n_policies;
    opt.policies = policies;
    if ((ret = sf_h5_out_open(&out, out_path, force, &err)) != 0 ||
        (ret = sf_results_init(&res, &m, &opt, &err)) != 0)
        goto fail;
    res.threads = 0;
    for (size_t i = 0; i < n; i++)
        if ((ret = add_shard(&m, &opt, &shards[i], &res, &err)) != 0)
            goto fail;
    if ((ret = sf_results_summarise(&res, &err)) != 0)
        goto fail;
    char cmdline[256];
    snprintf(cmdline, sizeof cmdline, "shortfall merge %s (%zu shards)",
             out_path, n);
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, 1, true, 0.0, NULL};
    if ((ret = sf_h5_out_write(&out, &res, &meta, &err)) != 0)
        goto fail;
    sf_print_summary(stdout, &res);
    printf("\nMerged %zu shards (trials %" PRIu64 "..%" PRIu64 ") into %s\n",
           n, opt.first_trial, opt.first_trial + opt.n_trials - 1, out_path);
    goto out;
fail:
    fprintf(stderr, "shortfall merge: %s\n", err.msg);
    status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
out:
    sf_h5_out_close(&out);
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    for (size_t i = 0; i < n; i++)
        sf_h5_info_free(&shards[i].info);
    free(shards);
    return status;
}
