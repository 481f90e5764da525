/*
 * h5in.c — reads a results file back: its provenance and policy list,
 * its summary statistics (for `shortfall info`), and its per-trial rows
 * and monthly accumulators (for `shortfall run --resume`).  Anything that
 * is not a complete, current-format shortfall file is a clear error, never
 * a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "cleanup.h"
#include "h5drivers.h"
#include "h5prices.h"
#include "h5util.h"
#include "shortfall/h5file.h"
#include "shortfall/rng.h"

void sf_h5_info_free(sf_h5_info *info)
{
    if (info == NULL)
        return;
    free(info->scenario_text);
    free(info->scenario_file);
    free(info->scenario_name);
    free(info->group);
    free(info->version);
    free(info->target_unit);
    free(info->history);
    free(info->sweeps);
    for (size_t p = 0; p < info->n_policies; p++)
        free(info->policy_names[p]);
    free(info->policy_names);
    memset(info, 0, sizeof *info);
}

typedef struct {
    char **names;
    size_t n;
    int ret;
} names_ctx;

/* Collects the names of the groups among a group's links.  A link whose
 * object cannot be read stops the listing: skipped, a damaged policy
 * group would leave a file that reads as a run of fewer mixes. */
static herr_t collect_names(hid_t g, const char *name, const H5L_info_t *li,
                            void *data)
{
    names_ctx *c = data;
    H5O_info_t oi;
    (void)li;
    if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
        return -1;
    if (oi.type != H5O_TYPE_GROUP)
        return 0;
    char **names = realloc(c->names, (c->n + 1) * sizeof *names);
    if (names == NULL) {
        c->ret = SF_ERR_NOMEM;
        return -1;
    }
    c->names = names;
    if ((names[c->n] = strdup(name)) == NULL) {
        c->ret = SF_ERR_NOMEM;
        return -1;
    }
    c->n++;
    return 0;
}

/* A shortfall file says so in its root's `software` attribute. */
static int check_software(hid_t f, const char *path, sf_error *err)
{
    char *software = NULL;
    int ok = sf_h5_read_attr_str(f, "software", &software) == 0 &&
             strcmp(software, SF_SOFTWARE) == 0;
    free(software);
    return ok ? 0
              : sf_error_set(err, SF_ERR_FORMAT,
                             "%s: not a shortfall results file (its root has "
                             "no software = \"shortfall\" attribute)",
                             path);
}

/* The root's `format_version` must be the one this build reads; one that
 * is missing or is not a single plain integer is damage, not a version. */
static int check_format(hid_t f, const char *path, sf_error *err)
{
    int fmt = 0;
    if (sf_h5_read_attr_int(f, "format_version", &fmt) != 0)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged results file (its format_version "
                            "attribute is missing or not one integer)",
                            path);
    if (fmt != SF_FORMAT_VERSION)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: results format version %d; this shortfall "
                            "(%s) reads version %d%s",
                            path, fmt, SF_VERSION, SF_FORMAT_VERSION,
                            fmt == 1 ? " (version 1 files hold results of "
                                       "market version 1, cleared at fixed "
                                       "prices: run the scenario again)"
                                     : "");
    return 0;
}

/* Opens a file read-only after telling "missing", "not HDF5" and
 * "damaged" apart. */
static hid_t open_file(const char *path, sf_error *err, int *ret)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *ret = sf_error_set(err, SF_ERR_IO, "cannot read %s: %s", path,
                            strerror(errno));
        return -1;
    }
    fclose(f);
    sf_h5_quiet();
    if (H5Fis_hdf5(path) <= 0) {
        *ret = sf_error_set(err, SF_ERR_FORMAT,
                            "%s: not a shortfall results file (not HDF5)",
                            path);
        return -1;
    }
    hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (h < 0)
        *ret = sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged HDF5 file (cannot be opened)", path);
    return h;
}

/* Whether s, a string from the file that `info` and error messages print,
 * holds no control characters: a damaged or crafted version string must
 * not write a newline or a terminal escape sequence to the user's
 * terminal (a fuzzed file's version printed "# )" on a line of its
 * own). */
static bool printable(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

/* The run's quantile levels: the `quantile` coordinate of its first
 * policy group (every group has the same; the statistics' sizes are
 * checked against them when read). */
static int read_levels(hid_t f, const char *path, sf_h5_info *info,
                       sf_error *err)
{
    char name[1200], why[160];
    long bad;
    hssize_t n = -1;
    snprintf(name, sizeof name, "%s/%s/quantile", info->group,
             info->policy_names[0]);
    hid_t d = H5Lexists(f, name, H5P_DEFAULT) > 0
                  ? H5Dopen2(f, name, H5P_DEFAULT)
                  : -1;
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    if (sp >= 0)
        n = H5Sget_simple_extent_npoints(sp);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    info->n_quantiles = n > 0 && n <= SF_MAX_QUANTILES ? (size_t)n : 0;
    if (info->n_quantiles == 0 ||
        sf_h5_read_var(f, name, H5T_NATIVE_DOUBLE, info->n_quantiles,
                       info->quantiles) != 0 ||
        sf_quantiles_problem(info->quantiles, info->n_quantiles, why,
                             sizeof why, &bad) != NULL)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged results file (/%s is missing or "
                            "not 1 to %d increasing quantile levels in [0, "
                            "1])",
                            path, name, SF_MAX_QUANTILES);
    return 0;
}

/* A run's attributes on obj — the root of a single run's file, or a
 * variant's group in a batch file (`group`, NULL for the root) — and its
 * policy groups, which are under the scenario's group or the variant's. */
static int read_run(hid_t f, hid_t obj, const char *path, const char *group,
                    sf_h5_info *info, sf_error *err)
{
    int ret = 0, complete = 0, has_trials = 0;
    char where[300];
    hid_t g = -1;

    if (group == NULL)
        snprintf(where, sizeof where, "root attributes");
    else
        snprintf(where, sizeof where, "attributes of /%s", group);
    if (sf_h5_read_attr_str(obj, "scenario_text", &info->scenario_text) ||
        sf_h5_read_attr_str(obj, "scenario_file", &info->scenario_file) ||
        sf_h5_read_attr_str(obj, "scenario_name", &info->scenario_name) ||
        sf_h5_read_attr_str(obj, "version", &info->version) ||
        sf_h5_read_attr_u64(obj, "seed", &info->seed) ||
        sf_h5_read_attr_u64(obj, "trials", &info->n_trials) ||
        sf_h5_read_attr_u64(obj, "trials_done", &info->n_done) ||
        sf_h5_read_attr_u64(obj, "first_trial", &info->first_trial) ||
        sf_h5_read_attr_u64(obj, "paths", &info->n_paths) ||
        sf_h5_read_attr_int(obj, "threads", &info->threads) ||
        sf_h5_read_attr_double(obj, "wall_seconds", &info->wall_seconds) ||
        sf_h5_read_attr_int(obj, "complete", &complete) ||
        sf_h5_read_attr_int(obj, "has_trials", &has_trials) ||
        sf_h5_read_attr_u64(obj, "solver_solves", &info->solver.solves) ||
        sf_h5_read_attr_u64(obj, "solver_iterations",
                            &info->solver.iterations) ||
        sf_h5_read_attr_int(obj, "solver_max_iterations",
                            &info->solver.max_iterations) ||
        sf_h5_read_attr_double(obj, "solver_max_residual",
                               &info->solver.max_residual) ||
        info->solver.max_iterations < 0 ||
        !(info->solver.max_residual >= 0) ||
        !isfinite(info->solver.max_residual) ||
        info->n_done > info->n_trials || info->n_paths > info->n_trials ||
        !printable(info->version) || !printable(info->scenario_file) ||
        !printable(info->scenario_name) || !isfinite(info->wall_seconds) ||
        info->wall_seconds < 0)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged results file (%s missing or "
                            "inconsistent)",
                            path, where);
    /* What no run can have written: trials beyond the engine's limits
     * (their sum would wrap around and pass later checks), more paths than
     * --paths allows, a completion flag that contradicts the counts. */
    if (info->n_trials == 0 || info->n_trials > SF_MAX_RUN_TRIALS ||
        info->first_trial >= SF_RNG_TRIAL_LIMIT ||
        info->n_trials > SF_RNG_TRIAL_LIMIT - info->first_trial ||
        info->n_paths > SF_MAX_PATHS || info->threads < 0 ||
        (complete != 0) != (info->n_done == info->n_trials))
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged results file (%s out of range: "
                            "trials %" PRIu64 " from %" PRIu64 ", %" PRIu64
                            " done, complete %d, paths %" PRIu64
                            ", threads %d)",
                            path, where, info->n_trials, info->first_trial,
                            info->n_done, complete, info->n_paths,
                            info->threads);
    info->complete = complete != 0;
    if (sf_h5_read_attr_double(obj, "target_rse", &info->target_rse) != 0 ||
        sf_h5_read_attr_str(obj, "target_unit", &info->target_unit) != 0)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged results file (no target attributes%s"
                            "%s)",
                            path, group ? " on /" : "", group ? group : "");
    info->has_trials = has_trials != 0;
    if (H5Aexists(obj, "history") > 0 &&
        sf_h5_read_attr_str(obj, "history", &info->history) != 0)
        info->history = NULL;
    /* A batch variant's swept values: sweep_0, sweep_1, ... */
    for (size_t k = 0; group != NULL; k++) {
        char name[32];
        double *more;
        snprintf(name, sizeof name, "sweep_%zu", k);
        if (H5Aexists(obj, name) <= 0)
            break;
        if (k >= SF_MAX_SWEEPS ||
            (more = realloc(info->sweeps, (k + 1) * sizeof *more)) == NULL)
            return k >= SF_MAX_SWEEPS
                       ? sf_error_set(err, SF_ERR_FORMAT,
                                      "%s: damaged results file (more than "
                                      "%d sweep_<k> attributes on /%s)",
                                      path, SF_MAX_SWEEPS, group)
                       : sf_error_set(err, SF_ERR_NOMEM, "%s",
                                      sf_strerror(SF_ERR_NOMEM));
        info->sweeps = more;
        if (sf_h5_read_attr_double(obj, name, &info->sweeps[k]) != 0)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s: damaged results file (attribute %s of "
                                "/%s is not one number)",
                                path, name, group);
        info->n_sweeps = k + 1;
    }
    if ((info->group = strdup(group ? group : info->scenario_name)) == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
    g = H5Gopen2(f, info->group, H5P_DEFAULT);
    names_ctx ctx = {NULL, 0, 0};
    herr_t it = g < 0 ? -1
                      : H5Literate(g, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL,
                                   collect_names, &ctx);
    /* The policy groups, in creation order (freed with info). */
    info->policy_names = ctx.names;
    info->n_policies = ctx.n;
    if (it < 0 || info->n_policies == 0) {
        ret = ctx.ret ? sf_error_set(err, ctx.ret, "%s", sf_strerror(ctx.ret))
                      : sf_error_set(err, SF_ERR_FORMAT,
                                     "%s: damaged results file (%s under /%s)",
                                     path,
                                     it < 0 ? "its policy groups cannot be "
                                              "listed"
                                            : "no policy groups",
                                     info->group);
    }
    if (g >= 0)
        H5Gclose(g);
    if (ret == 0)
        ret = read_levels(f, path, info, err);
    return ret;
}

static int read_info(const char *path, sf_h5_info *info, sf_error *err)
{
    int ret = 0;
    hid_t f;

    memset(info, 0, sizeof *info);
    if ((f = open_file(path, err, &ret)) < 0)
        return ret;
    if ((ret = check_software(f, path, err)) != 0)
        goto out;
    char *kind = NULL;
    if (sf_h5_read_attr_str(f, "kind", &kind) == 0 &&
        strcmp(kind, "batch") == 0) {
        free(kind);
        ret = sf_error_set(err, SF_ERR_FORMAT,
                           "%s is a batch file: each variant is a group "
                           "(see its 'variant' coordinate); `--resume` takes "
                           "single-run files, and `merge` does not mix them "
                           "with batch parts",
                           path);
        goto out;
    }
    free(kind);
    if ((ret = check_format(f, path, err)) != 0)
        goto out;
    ret = read_run(f, f, path, NULL, info, err);
out:
    H5Fclose(f);
    if (ret != 0)
        sf_h5_info_free(info);
    return ret;
}

typedef struct {
    const sf_results *res;
    hid_t grp;
    double *buf;
    int ret;
} reader;

/* Reads name+suffix of rows x count values into buf. */
static void rd(reader *r, const char *name, sf_unit_kind k, hid_t type, size_t n)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s", name, sf_unit_kind_suffix[k]);
    if (r->ret == 0 && sf_h5_read_var(r->grp, full, type, n, r->buf) != 0)
        r->ret = SF_ERR_FORMAT;
}

/* buf [rows x count] -> dst [rows x U] columns of the kind. */
static void scatter(reader *r, double *dst, size_t rows, sf_unit_kind k)
{
    size_t first, count, U = r->res->n_units;
    sf_results_unit_range(r->res, k, &first, &count);
    if (r->ret == 0)
        for (size_t i = 0; i < rows; i++)
            for (size_t c = 0; c < count; c++)
                dst[i * U + first + c] = r->buf[i * count + c];
}

static void scatter_u64(reader *r, uint64_t *dst, size_t rows, size_t inner,
                        sf_unit_kind k)
{
    size_t first, count, U = r->res->n_units;
    const uint64_t *src = (const uint64_t *)r->buf;
    sf_results_unit_range(r->res, k, &first, &count);
    if (r->ret == 0)
        for (size_t i = 0; i < rows; i++)
            for (size_t c = 0; c < count; c++)
                memcpy(&dst[(i * U + first + c) * inner],
                       &src[(i * count + c) * inner], inner * sizeof *dst);
}

/* One statistic into a field of an array of structs of doubles. */
static void stat_into(reader *r, const char *base, const char *stat, sf_unit_kind k,
                      double *field0, size_t stride)
{
    char name[128];
    size_t first, count;
    sf_results_unit_range(r->res, k, &first, &count);
    snprintf(name, sizeof name, "%s_%s", base, stat);
    rd(r, name, k, H5T_NATIVE_DOUBLE, count);
    if (r->ret == 0)
        for (size_t c = 0; c < count; c++)
            field0[(first + c) * stride] = r->buf[c];
}

static void quantiles_into(reader *r, const char *base, sf_unit_kind k, double *q0,
                           size_t stride)
{
    char name[128];
    size_t first, count;
    sf_results_unit_range(r->res, k, &first, &count);
    snprintf(name, sizeof name, "%s_quantile", base);
    rd(r, name, k, H5T_NATIVE_DOUBLE, r->res->n_quantiles * count);
    if (r->ret == 0)
        for (size_t q = 0; q < r->res->n_quantiles; q++)
            for (size_t c = 0; c < count; c++)
                q0[(first + c) * stride + q] = r->buf[q * count + c];
}

static int open_policy(const char *path, const sf_h5_info *info, size_t p,
                       hid_t *f, hid_t *g, sf_error *err)
{
    char group[1024];
    int ret = 0;
    *g = -1;
    if ((*f = open_file(path, err, &ret)) < 0)
        return ret;
    snprintf(group, sizeof group, "%s/%s", info->group,
             info->policy_names[p]);
    if ((*g = H5Gopen2(*f, group, H5P_DEFAULT)) < 0) {
        H5Fclose(*f);
        return sf_error_set(err, SF_ERR_FORMAT, "%s: no group /%s", path,
                            group);
    }
    return 0;
}

static size_t buffer_size(const sf_results *res)
{
    size_t T = (size_t)res->n_months, U = res->n_units;
    size_t n = res->n_trials * U;
    size_t K = res->model->n_shocks;
    size_t big = T * U * (SF_HIST_BINS + 1);
    if (n > big)
        big = n;
    if (res->n_trials * K > big)
        big = res->n_trials * K;
    if (res->n_paths * T * res->model->n_demand > big)
        big = res->n_paths * T * res->model->n_demand;
    if (res->n_paths * T * res->model->n_commodities * res->model->n_regions >
        big)
        big = res->n_paths * T * res->model->n_commodities *
              res->model->n_regions;
    return big + res->n_quantiles * (U + K) + 64;
}

static int read_summaries(const char *path, const sf_h5_info *info,
                          sf_results *res, sf_error *err)
{
    size_t U = res->n_units, K = res->model->n_shocks;
    size_t ss = sizeof(sf_summary) / sizeof(double);
    size_t ps = sizeof(sf_paired) / sizeof(double);
    int ret = 0;
    reader r = {res, -1, NULL, 0};

    r.buf = malloc(res->n_quantiles * (U + K + 1) * sizeof(double) + 64);
    if (r.buf == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
    for (size_t p = 0; p < res->n_policies && ret == 0; p++) {
        sf_policy_results *pr = &res->pol[p];
        hid_t f;
        pr->summary = calloc(SF_M_COUNT * U, sizeof *pr->summary);
        pr->shock_summary = calloc(K ? K : 1, sizeof *pr->shock_summary);
        if (p > 0)
            pr->avoided = calloc(U, sizeof *pr->avoided);
        if (!pr->summary || !pr->shock_summary || (p > 0 && !pr->avoided)) {
            ret = sf_error_set(err, SF_ERR_NOMEM, "%s",
                               sf_strerror(SF_ERR_NOMEM));
            break;
        }
        if ((ret = open_policy(path, info, p, &f, &r.grp, err)) != 0)
            break;
        r.ret = 0;
        for (int m = 0; m < SF_M_COUNT; m++) {
            const char *name = sf_metric_name((sf_metric)m);
            sf_summary *s = &pr->summary[(size_t)m * U];
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                stat_into(&r, name, "mean", k, &s->mean, ss);
                stat_into(&r, name, "sd", k, &s->sd, ss);
                stat_into(&r, name, "se", k, &s->se, ss);
                stat_into(&r, name, "cvar95", k, &s->cvar95, ss);
                stat_into(&r, name, "p_any", k, &s->p_any, ss);
                quantiles_into(&r, name, k, s->q, ss);
            }
        }
        if (p > 0)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                sf_paired *a = pr->avoided;
                stat_into(&r, "avoided", "mean", k, &a->mean, ps);
                stat_into(&r, "avoided", "se", k, &a->se, ps);
                stat_into(&r, "avoided", "p_better", k, &a->p_better, ps);
                stat_into(&r, "avoided", "p_worse", k, &a->p_worse, ps);
                quantiles_into(&r, "avoided", k, a->q, ps);
            }
        if (r.ret == 0 &&
            sf_h5_read_var(r.grp, "months_active_mean", H5T_NATIVE_DOUBLE, K,
                           r.buf) == 0)
            for (size_t k = 0; k < K; k++)
                pr->shock_summary[k].mean = r.buf[k];
        else
            r.ret = SF_ERR_FORMAT;
        if (r.ret == 0 && sf_h5_read_var(r.grp, "months_active_se",
                                         H5T_NATIVE_DOUBLE, K, r.buf) == 0)
            for (size_t k = 0; k < K; k++)
                pr->shock_summary[k].se = r.buf[k];
        else
            r.ret = SF_ERR_FORMAT;
        if (r.ret == 0)
            r.ret = sf_h5p_read_summaries(r.grp, res, p);
        H5Gclose(r.grp);
        H5Fclose(f);
        if (r.ret != 0)
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged results file (summary statistics "
                               "of policy '%s' missing or of the wrong size)",
                               path, info->policy_names[p]);
    }
    free(r.buf);
    return ret;
}

/* The paths' market record (sf_policy_results.path_x), variable by
 * variable, into its place in each month's record. */
static void read_market_paths(reader *r, sf_policy_results *pr)
{
    const sf_results *res = r->res;
    size_t C = res->model->n_commodities, R = res->model->n_regions;
    size_t X = sf_results_path_x_width(res);
    size_t rows = res->n_paths * (size_t)res->n_months;
    static const char *const name[5] = {
        "exports_path", "supply_path", "price_path_region",
        "shortfall_path_region", "need_path_region"};
    if (R == 0)
        return;
    for (int k = 0; k < 5 && r->ret == 0; k++) {
        size_t n = k < 3 ? C * R : R;
        size_t first = k < 3 ? (size_t)k * C * R : 3 * C * R + (size_t)(k - 3) * R;
        if (sf_h5_read_var(r->grp, name[k], H5T_NATIVE_DOUBLE, rows * n,
                           r->buf) != 0) {
            r->ret = SF_ERR_FORMAT;
            return;
        }
        for (size_t i = 0; i < rows; i++)
            memcpy(&pr->path_x[i * X + first], &r->buf[i * n],
                   n * sizeof(double));
    }
}

static int read_trials(const char *path, const sf_h5_info *info,
                       sf_results *res, sf_error *err)
{
    size_t n = info->n_done, T = (size_t)res->n_months;
    size_t K = res->model->n_shocks, D = res->model->n_demand;
    int ret = 0;
    reader r = {res, -1, NULL, 0};

    if (!info->has_trials)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s was written with --no-trials: it has no "
                            "per-trial rows to continue from",
                            path);
    r.buf = malloc(buffer_size(res) * sizeof(double));
    if (r.buf == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
    for (size_t p = 0; p < res->n_policies && ret == 0; p++) {
        sf_policy_results *pr = &res->pol[p];
        hid_t f;
        if ((ret = open_policy(path, info, p, &f, &r.grp, err)) != 0)
            break;
        r.ret = 0;
        for (int m = 0; m < SF_M_COUNT; m++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                size_t first, count;
                sf_results_unit_range(res, k, &first, &count);
                rd(&r, sf_metric_name((sf_metric)m), k, H5T_NATIVE_DOUBLE,
                   n * count);
                scatter(&r, pr->metric[m], n, k);
            }
        if (r.ret == 0 && sf_h5_read_var(r.grp, "months_active",
                                         H5T_NATIVE_INT32, n * K,
                                         pr->shock_months) != 0)
            r.ret = SF_ERR_FORMAT;
        for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
            size_t first, count;
            sf_results_unit_range(res, k, &first, &count);
            rd(&r, "frac_sum_month", k, H5T_NATIVE_UINT64, T * count);
            scatter_u64(&r, pr->month_frac_sum, T, 1, k);
            rd(&r, "short_count_month", k, H5T_NATIVE_UINT64, T * count);
            scatter_u64(&r, pr->month_short, T, 1, k);
            rd(&r, "frac_hist_month", k, H5T_NATIVE_UINT64,
               T * count * (SF_HIST_BINS + 1));
            scatter_u64(&r, pr->month_hist, T, SF_HIST_BINS + 1, k);
        }
        if (r.ret == 0 && res->n_paths > 0 &&
            sf_h5_read_var(r.grp, "shortfall_path", H5T_NATIVE_DOUBLE,
                           res->n_paths * T * D, pr->path) != 0)
            r.ret = SF_ERR_FORMAT;
        if (r.ret == 0 && res->n_paths > 0)
            read_market_paths(&r, pr);
        if (r.ret == 0)
            r.ret = sf_h5p_read_trials(r.grp, res, p, n);
        if (r.ret == 0)
            r.ret = sf_h5d_read_trials(r.grp, res, p, n);
        H5Gclose(r.grp);
        H5Fclose(f);
        if (r.ret == SF_ERR_CONFLICT)
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s was written by an earlier shortfall, "
                               "without the drivers of every trial "
                               "(docs/output.md, \"Drivers\"): this version "
                               "cannot continue or merge it; run it again",
                               path);
        else if (r.ret != 0)
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged results file (per-trial data of "
                               "policy '%s' missing or of the wrong size)",
                               path, info->policy_names[p]);
    }
    if (ret == 0)
        res->n_done = n;
    free(r.buf);
    return ret;
}

/* Names only: this opens no file, so it needs no fault guard. */
int sf_h5_policy_indices(const sf_scenario *sc, const sf_h5_info *info,
                         const char *path, int *policies, sf_error *err)
{
    for (size_t p = 0; p < info->n_policies; p++) {
        policies[p] = sf_scenario_policy_index(sc, info->policy_names[p]);
        if (policies[p] < 0 || (p == 0) != (policies[p] == 0))
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s: policy group '%s' does not match the "
                                "scenario stored in the file",
                                path, info->policy_names[p]);
    }
    return 0;
}

/* --- batch files ---------------------------------------------------------- */

void sf_h5_batch_info_free(sf_h5_batch_info *bi)
{
    if (bi == NULL)
        return;
    free(bi->version);
    free(bi->name);
    free(bi->file);
    free(bi->text);
    free(bi->run_options);
    free(bi->sources);
    free(bi->history);
    /* Both lists end with NULL (read_strings), and one may have been
     * read when the other failed, before n_variants was set. */
    for (size_t v = 0; bi->variants && bi->variants[v]; v++)
        free(bi->variants[v]);
    for (size_t v = 0; bi->scenarios && bi->scenarios[v]; v++)
        free(bi->scenarios[v]);
    free(bi->variants);
    free(bi->scenarios);
    for (size_t g = 0; g < bi->n_groups; g++)
        sf_h5_info_free(&bi->groups[g]);
    free(bi->groups);
    free(bi->batch_trials);
    memset(bi, 0, sizeof *bi);
}

static bool is_batch(const char *path)
{
    char *kind = NULL;
    bool batch = false;
    sf_h5_quiet();
    /* H5Fis_hdf5 first: opening a file that is not HDF5 is an error to
     * be reported by the reader that follows, not here. */
    if (H5Fis_hdf5(path) <= 0)
        return false;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return false;
    batch = sf_h5_read_attr_str(f, "kind", &kind) == 0 &&
            strcmp(kind, "batch") == 0;
    free(kind);
    H5Fclose(f);
    return batch;
}

/* An attribute of exactly n fixed-length strings (sf_h5_attr_str_list).
 * The variable-length coordinates hold the same names, but reading those
 * goes through HDF5's global heap, which a damaged file can make HDF5 1.10
 * read out of bounds (found by fuzz/fuzz_results.c). */
static int read_strings(hid_t f, const char *name, size_t n, char ***out)
{
    int ret = SF_ERR_FORMAT;
    hid_t a = -1, sp = -1, ft = -1;
    size_t width = 0;
    char *buf = NULL;

    *out = NULL;
    if (H5Aexists(f, name) <= 0 || (a = H5Aopen(f, name, H5P_DEFAULT)) < 0)
        return ret;
    sp = H5Aget_space(a);
    ft = H5Aget_type(a);
    if (sp < 0 || ft < 0 || H5Tget_class(ft) != H5T_STRING ||
        H5Tis_variable_str(ft) != 0 ||
        H5Sget_simple_extent_npoints(sp) != (hssize_t)n ||
        (width = H5Tget_size(ft)) == 0 || width > ((size_t)1 << 20))
        goto out;
    buf = calloc(n ? n : 1, width);
    *out = calloc(n + 1, sizeof **out);
    if (buf == NULL || *out == NULL) {
        ret = SF_ERR_NOMEM;
        goto out;
    }
    if (n > 0 && H5Aread(a, ft, buf) < 0)
        goto out;
    ret = 0;
    for (size_t i = 0; ret == 0 && i < n; i++)
        if (((*out)[i] = strndup(buf + i * width, width)) == NULL)
            ret = SF_ERR_NOMEM;
out:
    if (ret != 0 && *out != NULL) {
        for (size_t i = 0; i < n; i++)
            free((*out)[i]);
        free(*out);
        *out = NULL;
    }
    free(buf);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    return ret;
}

/* Each variant group of a batch file or part, read as a run (and, of a
 * part, its batch_trials); groups: the names of the root's groups. */
static int read_batch_groups(hid_t f, const char *path, const names_ctx *groups,
                             sf_h5_batch_info *bi, sf_error *err)
{
    int ret = 0;

    for (size_t i = 0; i < groups->n && ret == 0; i++) {
        const char *name = groups->names[i];
        bool known = false;
        for (size_t j = 0; j < bi->n_variants && !known; j++)
            known = strcmp(bi->variants[j], name) == 0;
        if (!known) {
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged batch file (group /%s is not in "
                               "its variant coordinate)",
                               path, name);
            break;
        }
        hid_t g = H5Gopen2(f, name, H5P_DEFAULT);
        if (g < 0) {
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged batch file (no group /%s)", path,
                               name);
            break;
        }
        bi->n_groups++;
        ret = read_run(f, g, path, name, &bi->groups[i], err);
        if (ret == 0 && bi->part &&
            (sf_h5_read_attr_u64(g, "batch_trials", &bi->batch_trials[i]) !=
                 0 ||
             bi->batch_trials[i] <
                 bi->groups[i].first_trial + bi->groups[i].n_trials))
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged batch part (attribute "
                               "batch_trials of /%s missing or inconsistent)",
                               path, name);
        H5Gclose(g);
    }
    return ret;
}

static int read_batch_info(const char *path, sf_h5_batch_info *bi,
                           sf_error *err)
{
    int ret = 0, part = 0;
    char *kind = NULL;
    names_ctx groups = {NULL, 0, 0};
    hid_t f, v = -1;

    memset(bi, 0, sizeof *bi);
    if ((f = open_file(path, err, &ret)) < 0)
        return ret;
    if ((ret = check_software(f, path, err)) != 0)
        goto out;
    if (sf_h5_read_attr_str(f, "kind", &kind) != 0 ||
        strcmp(kind, "batch") != 0) {
        ret = sf_error_set(err, SF_ERR_FORMAT,
                           "%s is a single run's file, not a batch part; "
                           "`merge` joins shards of one scenario or parts of "
                           "one batch, not both",
                           path);
        goto out;
    }
    if ((ret = check_format(f, path, err)) != 0)
        goto out;
    /* The variant coordinate's length is the batch's number of variants. */
    hssize_t nv = -1;
    if ((v = H5Dopen2(f, "variant", H5P_DEFAULT)) >= 0) {
        hid_t sp = H5Dget_space(v);
        nv = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
        if (sp >= 0)
            H5Sclose(sp);
        H5Dclose(v);
    }
    if (sf_h5_read_attr_str(f, "version", &bi->version) ||
        sf_h5_read_attr_str(f, "batch_name", &bi->name) ||
        sf_h5_read_attr_str(f, "batch_file", &bi->file) ||
        sf_h5_read_attr_str(f, "batch_text", &bi->text) || nv < 1 ||
        (ret = read_strings(f, "variant_names", (size_t)nv,
                            &bi->variants)) != 0 ||
        (ret = read_strings(f, "variant_scenarios", (size_t)nv,
                            &bi->scenarios)) != 0) {
        ret = ret == SF_ERR_NOMEM
                  ? sf_error_set(err, ret, "%s", sf_strerror(ret))
                  : sf_error_set(err, SF_ERR_FORMAT,
                                 "%s: damaged batch file (root attributes or "
                                 "the variant and scenario coordinates "
                                 "missing)",
                                 path);
        goto out;
    }
    bi->n_variants = (size_t)nv;
    /* A batch part says so in `part`; a `part` that cannot be read is
     * damage, not a whole batch. */
    if (sf_h5_read_attr_int(f, "part", &part) != 0 &&
        H5Aexists(f, "part") > 0) {
        ret = sf_error_set(err, SF_ERR_FORMAT,
                           "%s: damaged batch part (its part attribute is "
                           "not one integer)",
                           path);
        goto out;
    }
    /* The history, if the file has one (optional: older files do not). */
    if (H5Aexists(f, "history") > 0 &&
        sf_h5_read_attr_str(f, "history", &bi->history) != 0)
        bi->history = NULL;
    if (part == 1) {
        bi->part = true;
        if (sf_h5_read_attr_str(f, "run_options", &bi->run_options) != 0 ||
            sf_h5_read_attr_str(f, "scenario_sources", &bi->sources) != 0) {
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged batch part (no run_options or "
                               "scenario_sources attribute)",
                               path);
            goto out;
        }
    }
    if (H5Literate(f, H5_INDEX_CRT_ORDER, H5_ITER_INC, NULL, collect_names,
                   &groups) < 0) {
        ret = groups.ret ? sf_error_set(err, groups.ret, "%s",
                                        sf_strerror(groups.ret))
                         : sf_error_set(err, SF_ERR_FORMAT,
                                        "%s: damaged batch file (its groups "
                                        "cannot be listed)",
                                        path);
        goto out;
    }
    bi->groups = calloc(groups.n + 1, sizeof *bi->groups);
    bi->batch_trials = calloc(groups.n + 1, sizeof *bi->batch_trials);
    if (bi->groups == NULL || bi->batch_trials == NULL) {
        ret = sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
        goto out;
    }
    ret = read_batch_groups(f, path, &groups, bi, err);
out:
    for (size_t i = 0; i < groups.n; i++)
        free(groups.names[i]);
    free(groups.names);
    free(kind);
    H5Fclose(f);
    if (ret != 0)
        sf_h5_batch_info_free(bi);
    return ret;
}

/* ---- The readers, guarded -------------------------------------------------
 * HDF5 itself faults on some crafted files: while a reader has a file open,
 * a fatal signal ends the program with one line naming the file
 * (sf_cleanup_guard_faults, sim/cleanup.c). */

int sf_h5_read_info(const char *path, sf_h5_info *info, sf_error *err)
{
    sf_cleanup_guard_begin(path);
    int ret = read_info(path, info, err);
    sf_cleanup_guard_end();
    return ret;
}

int sf_h5_read_summaries(const char *path, const sf_h5_info *info,
                         sf_results *res, sf_error *err)
{
    sf_cleanup_guard_begin(path);
    int ret = read_summaries(path, info, res, err);
    sf_cleanup_guard_end();
    return ret;
}

int sf_h5_read_trials(const char *path, const sf_h5_info *info,
                      sf_results *res, sf_error *err)
{
    sf_cleanup_guard_begin(path);
    int ret = read_trials(path, info, res, err);
    sf_cleanup_guard_end();
    return ret;
}

bool sf_h5_is_batch(const char *path)
{
    sf_cleanup_guard_begin(path);
    bool batch = is_batch(path);
    sf_cleanup_guard_end();
    return batch;
}

int sf_h5_read_batch_info(const char *path, sf_h5_batch_info *bi,
                          sf_error *err)
{
    sf_cleanup_guard_begin(path);
    int ret = read_batch_info(path, bi, err);
    sf_cleanup_guard_end();
    return ret;
}
