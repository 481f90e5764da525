/*
 * merge.c — `shortfall merge OUT.h5 SHARD.h5...`: joins the files of runs
 * over trial ranges (`run --trials A:B`) into the file one run over all
 * the trials would have written.  Shards must share the scenario text,
 * seed, version, policy mixes and paths setting, be complete, and cover
 * one contiguous range without overlap.  Per-trial rows are concatenated
 * in trial order and the integer accumulators added, so every dataset of
 * the merged file is bitwise identical to an unsharded run's.  The rows
 * pass through a window of MERGE_WINDOW_BLOCKS blocks into the file, as
 * a run streams them, and the statistics are computed from the file's
 * columns within the default --stats-memory: a merge holds one shard's
 * rows at a time, not the merged run's.
 *
 * Parts of a batch (`run BATCH --variant I --trials A:B`) are merged the
 * same way, variant by variant, into the file `run BATCH` would have
 * written: the parts must share the batch text and file, scenario files,
 * version and run options, and together cover every trial of every
 * variant exactly once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "cleanup.h"
#include "cli.h"
#include "h5util.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"
#include "version.h"

#define MAX_SHARDS 100000
/* Rows a single-run merge holds between shard and file, in blocks of
 * SF_BLOCK_TRIALS (a multiple of the file's chunk rows). */
#define MERGE_WINDOW_BLOCKS 4

/* "s" after a count other than one. */
static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

static void merge_usage(FILE *f)
{
    fprintf(f, "usage: shortfall merge [--force] OUT.h5 SHARD.h5...\n"
               "       shortfall merge [--force] OUT.h5 PART.h5...\n"
               "Joins shard files written by `shortfall run --trials A:B` "
               "into the file one\nrun over all their trials would have "
               "written, or the parts of a batch\n(`shortfall run BATCH "
               "--variant I --trials A:B`, or --shard I/S) into the\nfile "
               "`shortfall run BATCH` would have written.\n");
}

typedef struct {
    const char *path;
    sf_h5_info info;
} shard;

/* The parts' histories a merged file's history keeps (CF: the merge
 * appends its line to them); beyond these, how many more there were. */
#define MERGE_HISTORIES 8

/* The earlier lines of a merged file's history: the parts' histories
 * (h[i], NULL for a file without one), in order, joined; malloc'd, or
 * NULL if none or out of memory. */
static char *join_histories(const char *const *h, size_t n)
{
    size_t len = 64, kept = 0;
    for (size_t i = 0; i < n && i < MERGE_HISTORIES; i++)
        len += h[i] ? strlen(h[i]) + 1 : 0;
    char *s = malloc(len), *p = s;
    if (s == NULL)
        return NULL;
    *p = '\0';
    for (size_t i = 0; i < n && i < MERGE_HISTORIES; i++)
        if (h[i] != NULL && *h[i] != '\0') {
            p += sprintf(p, "%s%s", kept++ ? "\n" : "", h[i]);
        }
    if (n > MERGE_HISTORIES)
        sprintf(p, "%s(the histories of %zu more parts are not kept)",
                kept ? "\n" : "", n - MERGE_HISTORIES);
    if (*s == '\0') {
        free(s);
        return NULL;
    }
    return s;
}

static int by_first_trial(const void *a, const void *b)
{
    const shard *x = a, *y = b;
    return (x->info.first_trial > y->info.first_trial) -
           (x->info.first_trial < y->info.first_trial);
}

/* What differs between two parts of one run — scenario text, seed,
 * shortfall version or policy mixes — or NULL. */
static const char *run_difference(const sf_h5_info *a, const sf_h5_info *b)
{
    if (strcmp(a->scenario_text, b->scenario_text) != 0)
        return "scenario text";
    if (a->seed != b->seed)
        return "seed";
    if (strcmp(a->version, b->version) != 0)
        return "shortfall version";
    if (a->n_policies != b->n_policies)
        return "policy mixes";
    for (size_t p = 0; p < a->n_policies; p++)
        if (strcmp(a->policy_names[p], b->policy_names[p]) != 0)
            return "policy mixes";
    if (a->n_quantiles != b->n_quantiles ||
        memcmp(a->quantiles, b->quantiles,
               a->n_quantiles * sizeof *a->quantiles) != 0)
        return "quantile levels";
    return NULL;
}

/* Shards that belong together: everything but the trial range agrees. */
static int check_shards(shard *s, size_t n, sf_error *err)
{
    qsort(s, n, sizeof *s, by_first_trial);
    for (size_t i = 0; i < n; i++) {
        const sf_h5_info *a = &s[0].info, *b = &s[i].info;
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
        const char *what = run_difference(a, b);
        if (what == NULL && (a->target_rse != 0 || b->target_rse != 0))
            what = "use of --target-rse";
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

/* Reads one shard's rows and accumulators into `part`, which holds all
 * its rows; the caller frees `part` whatever the outcome. */
static int read_shard(const sf_model *m, const sf_run_options *all,
                      const char *path, const sf_h5_info *info,
                      sf_results *part, sf_error *err)
{
    sf_run_options one = *all;
    int ret;

    one.first_trial = info->first_trial;
    one.n_trials = info->n_trials;
    one.n_paths = info->n_paths;
    one.rows_done = NULL;
    one.rows_ctx = NULL;
    if ((ret = sf_results_init(part, m, &one, err)) != 0 ||
        (ret = sf_h5_read_trials(path, info, part, err)) != 0)
        return ret;
    part->wall_seconds = info->wall_seconds;
    part->solver = info->solver;
    part->threads = info->threads;
    return 0;
}

/* Adds one shard's rows and accumulators to merged results that hold
 * every row. */
static int add_shard(const sf_model *m, const sf_run_options *all,
                     const char *path, const sf_h5_info *info,
                     sf_results *res, sf_error *err)
{
    sf_results part;
    int ret = read_shard(m, all, path, info, &part, err);

    if (ret == 0)
        sf_results_add(res, &part);
    sf_results_free(&part);
    return ret;
}

/* Adds one shard to merged results that hold one window of rows,
 * passing its rows through the window into the file being written: a
 * full window is written out before the next rows are copied in, and the
 * last, partial one is left for the caller. */
static int stream_shard(const sf_model *m, const sf_run_options *all,
                        const shard *s, sf_results *res, sf_h5_out *out,
                        sf_error *err)
{
    sf_results part;
    int ret = read_shard(m, all, s->path, &s->info, &part, err);
    uint64_t r = s->info.first_trial - res->first_trial, end = r + part.n_done;

    while (ret == 0 && r < end) {
        uint64_t window_end = res->row0 + res->rows_held;
        if (r == window_end) {
            ret = sf_h5_out_stream_rows(out, res, res->row0, r, err);
            res->row0 = r;
            continue;
        }
        uint64_t to = end < window_end ? end : window_end;
        sf_results_copy_rows(res, &part, r, to);
        r = to;
    }
    if (ret == 0)
        sf_results_add_totals(res, &part);
    sf_results_free(&part);
    return ret;
}

/* --- batch parts ------------------------------------------------------- */

typedef struct {
    const char *path;
    sf_h5_batch_info bi;
} part;

/* One variant's trials in one part. */
typedef struct {
    const char *path;
    const sf_h5_info *info;
    uint64_t batch_trials;
} piece;

static int by_piece_first(const void *a, const void *b)
{
    const piece *x = a, *y = b;
    return (x->info->first_trial > y->info->first_trial) -
           (x->info->first_trial < y->info->first_trial);
}

/* Parts of one batch run: everything but the variants and trials agree. */
static int check_parts(const part *p, size_t n, sf_error *err)
{
    const sf_h5_batch_info *a = &p[0].bi;
    for (size_t i = 0; i < n; i++) {
        const sf_h5_batch_info *b = &p[i].bi;
        const char *what = NULL;
        if (!b->part)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s is a whole batch file (written without "
                                "--variant, --trials or --shard); merge joins "
                                "batch parts",
                                p[i].path);
        if (strcmp(a->version, b->version) != 0)
            what = "shortfall version differs";
        else if (strcmp(a->text, b->text) != 0)
            what = "batch text differs";
        else if (strcmp(a->file, b->file) != 0)
            what = "batch file paths differ (scenario paths are relative to "
                   "it; give every part the same path)";
        else if (strcmp(a->sources, b->sources) != 0)
            what = "scenario files differ (one was changed between the parts)";
        else if (a->n_variants != b->n_variants)
            what = "variants differ";
        for (size_t v = 0; what == NULL && v < a->n_variants; v++)
            if (strcmp(a->variants[v], b->variants[v]) != 0 ||
                strcmp(a->scenarios[v], b->scenarios[v]) != 0)
                what = "variants differ";
        if (what == NULL && strcmp(a->run_options, b->run_options) != 0)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s and %s do not belong to one batch run: "
                                "their run options differ ('%s' and '%s')",
                                p[0].path, p[i].path, a->run_options,
                                b->run_options);
        if (what != NULL)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s and %s do not belong to one batch run: "
                                "their %s",
                                p[0].path, p[i].path, what);
        for (size_t g = 0; g < b->n_groups; g++) {
            const sf_h5_info *gi = &b->groups[g];
            if (!gi->complete)
                return sf_error_set(err, SF_ERR_FORMAT,
                                    "%s: variant %s is incomplete (%" PRIu64
                                    " of %" PRIu64 " trials)",
                                    p[i].path, gi->group, gi->n_done,
                                    gi->n_trials);
            if (!gi->has_trials)
                return sf_error_set(err, SF_ERR_FORMAT,
                                    "%s was written with --no-trials; parts "
                                    "need their per-trial rows",
                                    p[i].path);
        }
    }
    return 0;
}

/* The pieces of variant `name`, sorted by first trial, and whether they
 * cover its trials 0 .. batch_trials - 1 once. */
static int variant_pieces(const part *p, size_t n, const char *name,
                          size_t index, piece *pc, size_t *n_pc, sf_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < p[i].bi.n_groups; g++)
            if (strcmp(p[i].bi.groups[g].group, name) == 0) {
                pc[k].path = p[i].path;
                pc[k].info = &p[i].bi.groups[g];
                pc[k].batch_trials = p[i].bi.batch_trials[g];
                k++;
            }
    *n_pc = k;
    if (k == 0)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "variant %s (index %zu of %zu) is in no part",
                            name, index, p[0].bi.n_variants);
    qsort(pc, k, sizeof *pc, by_piece_first);
    const sf_h5_info *a = pc[0].info;
    for (size_t j = 0; j < k; j++) {
        const sf_h5_info *b = pc[j].info;
        const char *what = run_difference(a, b);
        if (what == NULL && pc[0].batch_trials != pc[j].batch_trials)
            what = "number of trials";
        if (what != NULL)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s and %s do not belong to one batch run: "
                                "the %s of variant %s differs",
                                pc[0].path, pc[j].path, what, name);
    }
    uint64_t end = 0;
    for (size_t j = 0; j < k; j++) {
        const sf_h5_info *b = pc[j].info;
        if (b->first_trial < end)
            return sf_error_set(
                err, SF_ERR_FORMAT,
                "%s (variant %s, trials %" PRIu64 "..%" PRIu64 ") overlaps "
                "%s (trials %" PRIu64 "..%" PRIu64 ")",
                pc[j].path, name, b->first_trial,
                b->first_trial + b->n_trials - 1, pc[j - 1].path,
                pc[j - 1].info->first_trial, end - 1);
        if (b->first_trial > end)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "trials %" PRIu64 "..%" PRIu64 " of variant "
                                "%s are in no part (%s%s%s%s)",
                                end, b->first_trial - 1, name,
                                j ? "between " : "before ",
                                j ? pc[j - 1].path : pc[j].path,
                                j ? " and " : "", j ? pc[j].path : "");
        end = b->first_trial + b->n_trials;
    }
    if (end < pc[0].batch_trials)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "trials %" PRIu64 "..%" PRIu64 " of variant %s "
                            "are in no part (after %s)",
                            end, pc[0].batch_trials - 1, name,
                            pc[k - 1].path);
    return 0;
}

/* One variant of the merged batch: its pieces added in trial order,
 * summarised, written as `run BATCH` writes it. */
static int merge_variant(const piece *pc, size_t k, const char *name,
                         const double *values, size_t n_sweeps,
                         const char *cmdline, sf_h5_out *out, sf_error *err)
{
    const sf_h5_info *first = pc[0].info;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_run_options opt = {0};
    int ret, policies[1024];

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    if ((ret = sf_scenario_load_string(&sc, first->scenario_text,
                                       strlen(first->scenario_text),
                                       first->scenario_file, err)) != 0 ||
        (ret = sf_model_init(&m, &sc, err)) != 0)
        goto out;
    if (first->n_policies > sizeof policies / sizeof *policies) {
        ret = sf_error_set(err, SF_ERR_FORMAT, "too many policy groups");
        goto out;
    }
    if ((ret = sf_h5_policy_indices(&sc, first, pc[0].path, policies, err)) !=
        0)
        goto out;
    opt.seed = first->seed;
    opt.first_trial = 0;
    opt.n_trials = pc[0].batch_trials;
    /* As for shards: the largest count kept is what was asked for. */
    for (size_t j = 0; j < k; j++)
        if (pc[j].info->n_paths > opt.n_paths)
            opt.n_paths = pc[j].info->n_paths;
    opt.n_policies = first->n_policies;
    opt.policies = policies;
    opt.n_quantiles = first->n_quantiles;
    opt.quantiles = first->quantiles;
    if ((ret = sf_results_init(&res, &m, &opt, err)) != 0)
        goto out;
    res.threads = 0;
    for (size_t j = 0; j < k; j++)
        if ((ret = add_shard(&m, &opt, pc[j].path, pc[j].info, &res, err)) !=
            0)
            goto out;
    if ((ret = sf_results_summarise(&res, err)) != 0)
        goto out;
    const char *hs[MERGE_HISTORIES];
    for (size_t j = 0; j < k && j < MERGE_HISTORIES; j++)
        hs[j] = pc[j].info->history;
    char *history = join_histories(hs, k);
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, 1, true, 0.0, NULL, history,
                       NULL};
    ret = sf_h5_batch_add(out, name, &res, &meta, values, n_sweeps, 0, err);
    free(history);
    if (ret != 0)
        goto out;
    printf("\n== variant %s (%zu part%s)\n", name, k, k == 1 ? "" : "s");
    sf_print_summary(stdout, &res);
out:
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    return ret;
}

/* Opens the merged batch file and writes its root: hb with the parts'
 * histories joined. */
static int begin_batch(sf_h5_out *out, const char *out_path, bool force,
                       sf_h5_batch *hb, const part *p, size_t n,
                       sf_error *err)
{
    const char *hs[MERGE_HISTORIES];
    for (size_t i = 0; i < n && i < MERGE_HISTORIES; i++)
        hs[i] = p[i].bi.history;
    char *history = join_histories(hs, n);
    int ret;
    hb->history = history;
    if ((ret = sf_h5_out_open(out, out_path, force, err)) == 0)
        ret = sf_h5_batch_begin(out, hb, err);
    hb->history = NULL;
    free(history);
    return ret;
}

static int merge_batch(const char *out_path, bool force, const char **paths,
                       size_t n)
{
    part *p = calloc(n, sizeof *p);
    piece *pc = NULL;
    sf_batch b;
    sf_batch_meta meta;
    sf_h5_out out;
    sf_error err = {0};
    double *values = NULL;
    const char **sweep_paths = NULL;
    int ret = 0, status = SF_EXIT_OK;
    size_t n_pieces = 0, combos = 0;

    memset(&b, 0, sizeof b);
    memset(&meta, 0, sizeof meta);
    memset(&out, 0, sizeof out);
    if (p == NULL)
        return SF_EXIT_IO;
    for (size_t i = 0; i < n; i++) {
        p[i].path = paths[i];
        if ((ret = sf_h5_read_batch_info(paths[i], &p[i].bi, &err)) != 0)
            goto fail;
        n_pieces += p[i].bi.n_groups;
    }
    if ((ret = check_parts(p, n, &err)) != 0)
        goto fail;
    const sf_h5_batch_info *bi = &p[0].bi;
    size_t nv = bi->n_variants;
    /* Every variant complete before anything is written. */
    if ((pc = calloc(n_pieces + 1, sizeof *pc)) == NULL) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t v = 0; v < nv; v++) {
        size_t k;
        if ((ret = variant_pieces(p, n, bi->variants[v], v, pc, &k, &err)) !=
            0)
            goto fail;
    }
    /* The sweeps from the batch text, as the run computed them. */
    if ((ret = sf_batch_load(&b, bi->text, strlen(bi->text), bi->file,
                             &err)) != 0)
        goto fail;
    combos = sf_batch_combinations(&b);
    if (b.n_scenarios * combos != nv) {
        ret = sf_error_set(&err, SF_ERR_FORMAT,
                           "%s: damaged batch part (%zu variants, but its "
                           "batch text makes %zu)",
                           p[0].path, nv, b.n_scenarios * combos);
        goto fail;
    }
    values = calloc(nv * (b.n_sweeps ? b.n_sweeps : 1), sizeof *values);
    sweep_paths = calloc(b.n_sweeps + 1, sizeof *sweep_paths);
    if (values == NULL || sweep_paths == NULL) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < b.n_sweeps; k++) {
        sweep_paths[k] = b.sweeps[k].path;
        for (size_t v = 0; v < nv; v++)
            values[v * b.n_sweeps + k] = sf_batch_value(&b, v % combos, k);
    }
    char cmdline[256];
    snprintf(cmdline, sizeof cmdline, "shortfall merge %s (%zu part%s)",
             out_path, n, plural(n));
    sf_h5_batch hb = {.name = bi->name,
                      .file = bi->file,
                      .text = bi->text,
                      .command_line = cmdline,
                      .git_commit = SF_GIT_COMMIT,
                      .n_variants = nv,
                      .variants = (const char *const *)bi->variants,
                      .scenarios = (const char *const *)bi->scenarios,
                      .n_sweeps = b.n_sweeps,
                      .sweep_paths = sweep_paths,
                      .sweep_values = values};
    /* Units from the first variant's scenario text, as the run read them. */
    size_t k0;
    if ((ret = variant_pieces(p, n, bi->variants[0], 0, pc, &k0, &err)) != 0)
        goto fail;
    if (sf_batch_meta_make(&b, nv, pc[0].info->scenario_text, &meta) != 0) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    sf_batch_meta_h5(&b, &meta, &hb);
    if ((ret = begin_batch(&out, out_path, force, &hb, p, n, &err)) != 0)
        goto fail;
    for (size_t v = 0; v < nv; v++) {
        size_t k;
        if ((ret = variant_pieces(p, n, bi->variants[v], v, pc, &k, &err)) !=
                0 ||
            (ret = merge_variant(pc, k, bi->variants[v],
                                 &values[v * b.n_sweeps], b.n_sweeps, cmdline,
                                 &out, &err)) != 0)
            goto fail;
    }
    if ((ret = sf_h5_batch_end(&out, &err)) != 0)
        goto fail;
    printf("\nMerged %zu part%s (%zu variant%s of batch %s) into %s\n", n,
           plural(n), nv, plural(nv), bi->name, out_path);
    goto done;
fail:
    fprintf(stderr, "shortfall merge: %s\n", err.msg);
    status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
done:
    sf_h5_out_close(&out);
    for (size_t i = 0; i < n; i++)
        sf_h5_batch_info_free(&p[i].bi);
    free(p);
    free(pc);
    free(values);
    free(sweep_paths);
    sf_batch_meta_free(&meta);
    sf_batch_free(&b);
    return status;
}

/* OUT, --force and the shards (into shards, which holds argc; *n of
 * them): 0 to go on, -1 after --help, or an exit code. */
static int parse_args(int argc, char **argv, const char **out_path, bool *force,
                      shard *shards, size_t *n)
{
    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            merge_usage(stdout);
            return -1;
        } else if (strcmp(argv[a], "--force") == 0) {
            *force = true;
        } else if (argv[a][0] == '-') {
            fprintf(stderr, "shortfall merge: unknown option '%s'\n", argv[a]);
            merge_usage(stderr);
            return SF_EXIT_USAGE;
        } else if (*out_path == NULL) {
            *out_path = argv[a];
        } else {
            shards[(*n)++].path = argv[a];
        }
    }
    if (*out_path == NULL || *n == 0 || *n > MAX_SHARDS) {
        merge_usage(stderr);
        return SF_EXIT_USAGE;
    }
    return 0;
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
    char *history = NULL;

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    memset(&out, 0, sizeof out);
    shards = calloc((size_t)argc, sizeof *shards);
    if (shards == NULL)
        return SF_EXIT_IO;
    if ((status = parse_args(argc, argv, &out_path, &force, shards, &n)) != 0) {
        free(shards);
        return status < 0 ? SF_EXIT_OK : status;
    }
    /* Ctrl-C or a job's end stops a merge at once, its temporary file
     * removed: nothing is written under OUT until the merge is complete. */
    sf_cleanup_on_signals();
    if (sf_h5_is_batch(shards[0].path)) {
        const char **paths = malloc(n * sizeof *paths);
        for (size_t i = 0; paths && i < n; i++)
            paths[i] = shards[i].path;
        status = paths ? merge_batch(out_path, force, paths, n) : SF_EXIT_IO;
        free(paths);
        free(shards);
        return status;
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
    opt.n_quantiles = first->n_quantiles;
    opt.quantiles = first->quantiles;
    /* Results that hold one window of rows, streamed to the file. */
    opt.rows_done = sf_h5_out_stream_rows;
    opt.rows_ctx = &out;
    opt.wave_blocks = MERGE_WINDOW_BLOCKS;
    char cmdline[256];
    snprintf(cmdline, sizeof cmdline, "shortfall merge %s (%zu shard%s)",
             out_path, n, plural(n));
    const char *hs[MERGE_HISTORIES];
    for (size_t i = 0; i < n && i < MERGE_HISTORIES; i++)
        hs[i] = shards[i].info.history;
    history = join_histories(hs, n);
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, 1, true, 0.0, NULL, history,
                       NULL};
    if ((ret = sf_h5_out_open(&out, out_path, force, &err)) != 0 ||
        (ret = sf_results_init(&res, &m, &opt, &err)) != 0 ||
        (ret = sf_h5_out_stream_begin(&out, &res, &meta, &err)) != 0)
        goto fail;
    res.threads = 0;
    for (size_t i = 0; i < n; i++)
        if ((ret = stream_shard(&m, &opt, &shards[i], &res, &out, &err)) != 0)
            goto fail;
    if ((res.n_done > res.row0 &&
         (ret = sf_h5_out_stream_rows(&out, &res, res.row0, res.n_done,
                                      &err)) != 0) ||
        (ret = sf_results_summarise_columns(&res, sf_h5_out_stream_column,
                                            &out, &err)) != 0 ||
        (ret = sf_h5_out_write(&out, &res, &meta, &err)) != 0)
        goto fail;
    sf_print_summary(stdout, &res);
    printf("\nMerged %zu shard%s (trials %" PRIu64 "..%" PRIu64 ") into %s\n",
           n, plural(n), opt.first_trial, opt.first_trial + opt.n_trials - 1,
           out_path);
    goto out;
fail:
    fprintf(stderr, "shortfall merge: %s\n", err.msg);
    status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
out:
    free(history);
    sf_h5_out_close(&out);
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    for (size_t i = 0; i < n; i++)
        sf_h5_info_free(&shards[i].info);
    free(shards);
    return status;
}
