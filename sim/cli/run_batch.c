/*
 * run_batch.c — `shortfall run BATCH.yaml`: every variant of a batch, or
 * the part --variant, --trials or --shard select, into one batch file
 * (run_internal.h).  A batch is written only when complete.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <omp.h>

#include "batch.h"
#include "cleanup.h"
#include "cli.h"
#include "run_internal.h"
#include "shortfall/engine.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"
#include "version.h"

/* One variant: load, run trials [first, first + count), summarise, add to
 * the file, print its table.  batch_trials is the variant's trials in the
 * whole batch when this is a part, else 0. */
static int run_variant(const run_args *ra, const sf_batch *b, const char *text,
                       const char *name, const char *group,
                       const double *values, uint64_t first, uint64_t count,
                       uint64_t batch_trials, sf_h5_out *out,
                       const char *cmdline, sf_error *err)
{
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_run_options opt = {0};
    int policies[MAX_POLICY_ARGS + 1], ret;
    size_t n_pol;

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    if ((ret = sf_scenario_load_string(&sc, text, strlen(text), name, err)) !=
            0 ||
        (ret = sf_model_init(&m, &sc, err)) != 0)
        goto out;
    if (sf_run_resolve_policies(&sc, ra, policies, &n_pol) != 0) {
        ret = sf_error_set(err, SF_ERR_UNKNOWN_REF, "see above");
        goto out;
    }
    opt.seed = ra->seed_given ? ra->seed : (b->seed_given ? b->seed : sc.seed);
    opt.first_trial = first;
    opt.n_trials = count;
    opt.n_paths = ra->n_paths;
    opt.threads = ra->threads;
    if (ra->threads > 0)
        omp_set_num_threads(ra->threads);
    opt.n_policies = n_pol;
    opt.policies = policies;
    opt.stop = sf_cleanup_stop_flag();
    sf_run_levels(ra, &sc, &opt.quantiles, &opt.n_quantiles);
    if ((ret = sf_results_init(&res, &m, &opt, err)) != 0 ||
        (ret = sf_engine_run(&m, &opt, &res, err)) != 0 ||
        (ret = sf_results_summarise(&res, err)) != 0)
        goto out;
    if (res.n_done < res.n_trials) {
        ret = sf_error_set(err, SF_ERR_IO, "interrupted; a batch is written "
                                           "only when complete");
        goto out;
    }
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, 1,    !ra->no_trials,
                       0.0,     NULL,          NULL, NULL};
    if ((ret = sf_h5_batch_add(out, group, &res, &meta, values, b->n_sweeps,
                               batch_trials, err)) != 0)
        goto out;
    printf("\n== variant %s", group);
    for (size_t k = 0; k < b->n_sweeps; k++)
        printf("%s %s = %g", k ? "," : ":", b->sweeps[k].path, values[k]);
    if (batch_trials > 0)
        printf(" (trials %" PRIu64 "..%" PRIu64 " of %" PRIu64 ")", first,
               first + count - 1, batch_trials);
    printf("\n");
    sf_print_summary(stdout, &res);
out:
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    return ret;
}

/* The variant --variant names: an index, or else a group name.  Returns
 * 0, or prints why not and returns SF_EXIT_USAGE. */
static int find_variant(const run_args *ra, const sf_batch_variants *vs,
                        size_t *v)
{
    uint64_t x;
    if (sf_run_parse_u64(ra->variant, &x)) {
        if (x < vs->n) {
            *v = (size_t)x;
            return 0;
        }
        fprintf(stderr, "shortfall run: --variant %s: %s has %zu variants "
                        "(0 .. %zu; `shortfall check %s` lists them)\n",
                ra->variant, ra->scenario, vs->n, vs->n - 1, ra->scenario);
        return SF_EXIT_USAGE;
    }
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->groups[i], ra->variant) == 0) {
            *v = i;
            return 0;
        }
    fprintf(stderr, "shortfall run: %s has no variant '%s' (give an index "
                    "0 .. %zu or a group name; `shortfall check %s` lists "
                    "them)\n",
            ra->scenario, ra->variant, vs->n - 1, ra->scenario);
    return SF_EXIT_USAGE;
}

/* The options that shape a part's results beyond the batch and scenario
 * files, written out in one canonical form: parts merge only if theirs
 * are equal, since each variant of one run used the same options. */
static char *part_run_options(const run_args *ra)
{
    size_t len = 128 + 32 * ra->n_quantiles;
    for (size_t i = 0; i < ra->n_policy_names; i++)
        len += strlen(ra->policy_names[i]) + 12;
    char *s = malloc(len), *p = s;
    if (s == NULL)
        return NULL;
    *p = '\0';
    if (ra->seed_given)
        p += sprintf(p, " --seed %" PRIu64, ra->seed);
    if (ra->n_trials > 0)
        p += sprintf(p, " -n %lld", ra->n_trials);
    if (ra->n_paths > 0)
        p += sprintf(p, " --paths %" PRIu64, ra->n_paths);
    if (ra->no_trials)
        p += sprintf(p, " --no-trials");
    if (ra->n_quantiles > 0) {
        p += sprintf(p, " --quantiles ");
        sf_run_format_levels(p, (size_t)(s + len - p), ra->quantiles,
                             ra->n_quantiles);
        p += strlen(p);
    }
    /* In the order given (it is the order of the groups), each name once. */
    for (size_t i = 0; i < ra->n_policy_names; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup = dup || strcmp(ra->policy_names[i], ra->policy_names[j]) == 0;
        if (!dup)
            p += sprintf(p, " --policy %s", ra->policy_names[i]);
    }
    memmove(s, s[0] == ' ' ? s + 1 : s, strlen(s) + 1);
    return s;
}

/* A batch has one set of quantile levels: --quantiles, or else the
 * quantiles keys of its variants' scenarios, which must agree (a key left
 * out means the default levels).  vs->texts loaded are checked here. */
static int check_levels(const run_args *ra, const sf_batch_variants *vs,
                        size_t v, const sf_scenario *sc, double *first,
                        size_t *n_first, sf_error *err)
{
    const double *q;
    size_t n;
    char a[SF_MAX_QUANTILES * 32], b[SF_MAX_QUANTILES * 32];
    sf_run_levels(ra, sc, &q, &n);
    if (v == 0) {
        memcpy(first, q, n * sizeof *q);
        *n_first = n;
        return 0;
    }
    if (n == *n_first && memcmp(first, q, n * sizeof *q) == 0)
        return 0;
    sf_run_format_levels(a, sizeof a, first, *n_first);
    sf_run_format_levels(b, sizeof b, q, n);
    return sf_error_set(err, SF_ERR_RANGE,
                        "%s: variants %s and %s have different quantile "
                        "levels (%s and %s, from their scenarios' quantiles "
                        "keys or the default); a batch has one set: make "
                        "the keys agree, or give --quantiles",
                        ra->scenario, vs->groups[0], vs->groups[v], a, b);
}

/* Every variant to run is loaded once before any trial: an invalid
 * swept value, or a trial range past a variant's trials, stops the batch
 * before any work.  Fills in each variant's trials (total) and the range
 * to run (first, count).  0, or an error (SF_ERR_*, in err); a range
 * refused leaves an exit code in *status. */
static int plan_variants(const run_args *ra, const sf_batch *b,
                         const sf_batch_variants *vs, size_t v_begin,
                         size_t v_end, uint64_t *first, uint64_t *count,
                         uint64_t *total, int *status, sf_error *err)
{
    int ret = 0;
    double levels[SF_MAX_QUANTILES];
    size_t n_levels = 0;

    /* Every variant, for the quantile levels; the ones to run, for their
     * trials. */
    for (size_t v = 0; v < vs->n; v++) {
        sf_scenario sc;
        char label[1024];
        memset(&sc, 0, sizeof sc);
        snprintf(label, sizeof label, "%s (variant %s)", vs->scenarios[v],
                 vs->groups[v]);
        ret = sf_scenario_load_string(&sc, vs->texts[v], strlen(vs->texts[v]),
                                      label, err);
        if (ret == 0)
            ret = check_levels(ra, vs, v, &sc, levels, &n_levels, err);
        total[v] = ra->n_trials > 0 ? (uint64_t)ra->n_trials
                   : b->trials > 0  ? (uint64_t)b->trials
                                    : (uint64_t)sc.trials;
        sf_scenario_free(&sc);
        if (ret != 0)
            break;
        if (v < v_begin || v >= v_end)
            continue;
        snprintf(label, sizeof label, "variant %s", vs->groups[v]);
        if ((*status = sf_run_trial_range(ra, label, total[v], &first[v],
                                          &count[v])) != 0)
            break;
    }
    return ret;
}

/* The summary target checked, then the batch file opened and its root,
 * coordinates and design written (units read in the first variant's
 * scenario, whichever part this is). */
static int begin_file(const run_args *ra, const sf_batch *b,
                      const sf_batch_variants *vs, const char *btext,
                      const char *cmdline, bool part, const char *run_options,
                      const char *path, sf_h5_out *out, char **summary_path,
                      sf_error *err)
{
    sf_batch_meta meta;
    const char **paths = calloc(b->n_sweeps + 1, sizeof *paths);
    int ret;

    memset(&meta, 0, sizeof meta);
    for (size_t k = 0; paths && k < b->n_sweeps; k++)
        paths[k] = b->sweeps[k].path;
    sf_h5_batch hb = {.name = b->name,
                      .file = ra->scenario,
                      .text = btext,
                      .command_line = cmdline,
                      .git_commit = SF_GIT_COMMIT,
                      .n_variants = vs->n,
                      .variants = (const char *const *)vs->groups,
                      .scenarios = vs->scenarios,
                      .n_sweeps = b->n_sweeps,
                      .sweep_paths = paths,
                      .sweep_values = vs->values,
                      .part = part,
                      .run_options = run_options,
                      .sources = vs->sources};
    ret = paths == NULL || sf_batch_meta_make(b, vs->n, vs->texts[0], &meta) != 0
              ? sf_error_set(err, SF_ERR_NOMEM, "out of memory")
              : sf_run_summary_target(ra, path, ra->force, summary_path, err);
    sf_batch_meta_h5(b, &meta, &hb);
    if (ret == 0 && (ret = sf_h5_out_open(out, path, ra->force, err)) == 0)
        ret = sf_h5_batch_begin(out, &hb, err);
    sf_batch_meta_free(&meta);
    free(paths);
    return ret;
}

int sf_run_batch(const run_args *ra, const char *btext, size_t blen,
                 const char *cmdline)
{
    sf_batch b;
    sf_batch_variants vs;
    sf_error err = {0};
    sf_h5_out out;
    int ret, status = SF_EXIT_OK;
    char *default_path = NULL, *run_options = NULL, *summary_path = NULL;
    uint64_t *first = NULL, *count = NULL, *total = NULL;

    memset(&out, 0, sizeof out);
    memset(&vs, 0, sizeof vs);
    out.file = -1;
    if (ra->resume || ra->target_rse > 0) {
        fprintf(stderr, "shortfall run: --resume and --target-rse are for "
                        "single scenarios, not batches\n");
        return SF_EXIT_USAGE;
    }
    if ((ret = sf_batch_load(&b, btext, blen, ra->scenario, &err)) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return sf_exit_code(ret);
    }
    if ((ret = sf_batch_expand(&b, ra->scenario, &vs, &err)) != 0)
        goto fail;
    size_t nv = vs.n, v_begin = 0, v_end = nv;
    bool part = ra->variant != NULL || ra->trials_given || ra->shard_given;
    if (ra->variant != NULL) {
        if ((status = find_variant(ra, &vs, &v_begin)) != 0)
            goto done;
        v_end = v_begin + 1;
    }
    if (part && ra->output == NULL) {
        fprintf(stderr, "shortfall run: a batch part (--variant, --trials or "
                        "--shard) needs -o FILE\n");
        status = SF_EXIT_USAGE;
        goto done;
    }
    first = calloc(nv, sizeof *first);
    count = calloc(nv, sizeof *count);
    total = calloc(nv, sizeof *total);
    if (!first || !count || !total ||
        (part && (run_options = part_run_options(ra)) == NULL)) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((ret = plan_variants(ra, &b, &vs, v_begin, v_end, first, count,
                             total, &status, &err)) != 0)
        goto fail;
    if (status != 0)
        goto done;
    const char *path = ra->output;
    if (path == NULL) {
        size_t len = strlen(b.name) + 16;
        if ((default_path = malloc(len)) == NULL) {
            ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
            goto fail;
        }
        mkdir("out", 0777);
        snprintf(default_path, len, "out/%s.h5", b.name);
        path = default_path;
    }
    ret = begin_file(ra, &b, &vs, btext, cmdline, part, run_options, path,
                     &out, &summary_path, &err);
    if (ret != 0)
        goto fail;
    sf_run_install_handlers();
    for (size_t v = v_begin; v < v_end; v++) {
        char label[1024];
        snprintf(label, sizeof label, "%s (variant %s)", vs.scenarios[v],
                 vs.groups[v]);
        if ((ret = run_variant(ra, &b, vs.texts[v], label, vs.groups[v],
                               &vs.values[v * b.n_sweeps], first[v], count[v],
                               part ? total[v] : 0, &out, cmdline, &err)) != 0)
            goto fail;
    }
    if ((ret = sf_h5_batch_end(&out, &err)) != 0)
        goto fail;
    if (part)
        printf("\nResults: %s (a part of batch %s: %zu of its %zu variants; "
               "`shortfall merge` joins the parts)\n",
               path, b.name, v_end - v_begin, nv);
    else
        printf("\nResults: %s (%zu variants)\n", path, nv);
    status = sf_run_write_summary(ra, path, summary_path);
    goto done;
fail:
    fprintf(stderr, "%s%s\n",
            ret == SF_ERR_IO || ret == SF_ERR_HDF5 || ret == SF_ERR_NOMEM
                ? "shortfall run: "
                : "",
            err.msg);
    status = *sf_cleanup_stop_flag() ? SF_EXIT_INTERRUPTED
             : ret == SF_ERR_NOMEM ? SF_EXIT_IO
                                   : sf_exit_code(ret);
done:
    sf_h5_out_close(&out);
    sf_batch_variants_free(&vs);
    free(first);
    free(count);
    free(total);
    free(run_options);
    free(default_path);
    free(summary_path);
    sf_batch_free(&b);
    return status;
}
