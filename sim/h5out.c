/*
 * h5out.c — writes a run's results to one HDF5 file that h5py and xarray
 * (netCDF-4 and h5netcdf engines) open: every axis has a dimension scale,
 * string coordinates are variable-length, groups and datasets track
 * creation order, data is chunked with shuffle + deflate.  The layout is
 * docs/output.md.
 *
 * The file is written under a temporary name in the target's directory and
 * renamed when complete, so a crash, a full disk or an HDF5 error never
 * leaves a half-written file under the final name.
 *
 * This file is the writer itself; the streamed per-trial rows are
 * sim/h5out_rows.c, their MPI writer sim/h5out_mpi.c and batch files
 * sim/h5out_batch.c (what they share: h5out_internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "cleanup.h"
#include "h5drivers.h"
#include "h5out_internal.h"
#include "h5prices.h"
#include "h5util.h"
#include "shortfall/h5file.h"

/* Units a unit kind's variables are written for: demand nodes, regions
 * (the countries with demand) and the world. */
static const char *const kind_text[3] = {"demand node", "region", "world"};

typedef struct {
    const sf_results *res;
    hid_t grp;
    /* Coordinates of the policy group. */
    hid_t trial, month, node, region, shock, quantile, bin, path_trial;
    double *buf; /* scratch, large enough for any variable */
    const stream *st; /* per-trial variables already in the file, or NULL */
    size_t p;         /* the policy being written */
    int ret;
} writer;

static const struct {
    /* "demand" = the demand nodes' commodity unit, "currency" = the
     * scenario's currency */
    const char *units;
    const char *long_name;
} metric_meta[SF_M_COUNT] = {
    {"demand", "cumulative shortfall"},
    {"demand", "cumulative need"},
    {"1", "shortfall fraction (cumulative shortfall / cumulative need)"},
    {"1", "peak monthly shortfall fraction"},
    {"months", "months short (shortfall > 0.1% of need)"},
    {"months", "longest run of short months"},
    {"demand", "lowest end-of-month stockpile"},
    {"currency", "tariff paid (receipts x tariff x price before tariff)"},
    {"demand", "cumulative need given up at the price (before releases)"},
    {"demand", "cumulative need ordered and not filled (before releases)"},
    {"currency", "extra spending over reference prices (receipts x "
                 "(average price paid - reference price))"},
    {"demand", "cumulative need given up by lasting substitution (not in "
               "need_cum)"},
};

static const char *units_of(const writer *w, const char *u)
{
    if (strcmp(u, "currency") == 0)
        return w->res->model->sc->currency;
    return strcmp(u, "demand") == 0 ? sf_model_demand_unit(w->res->model) : u;
}

/* Writes a variable over `rank` axes of the given coordinates.  For the
 * world kind the unit axis is dropped (world variables have one axis less). */
static void var(writer *w, const char *name, hid_t type, int rank,
                const hsize_t *dims, const hid_t *scales, const void *data,
                const char *units, const char *long_name)
{
    if (w->ret == 0)
        w->ret = sf_h5_write_var(w->grp, name, type, rank, dims, scales, data,
                                 units, long_name);
}

/* Copies the columns of one unit kind out of a [rows x n_units] array into
 * w->buf as [rows x count]. */
static void gather(writer *w, const double *src, size_t rows, sf_unit_kind k)
{
    size_t first, count, U = w->res->n_units;
    sf_results_unit_range(w->res, k, &first, &count);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < count; c++)
            w->buf[r * count + c] = src[r * U + first + c];
}

static void gather_u64(writer *w, const uint64_t *src, size_t rows,
                       size_t inner, sf_unit_kind k)
{
    size_t first, count, U = w->res->n_units;
    uint64_t *dst = (uint64_t *)w->buf;
    sf_results_unit_range(w->res, k, &first, &count);
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < count; c++)
            memcpy(&dst[(r * count + c) * inner],
                   &src[(r * U + first + c) * inner], inner * sizeof *dst);
}

static hid_t kind_scale(const writer *w, sf_unit_kind k)
{
    return k == SF_UNITS_NODE ? w->node : w->region;
}

/* A [rows, unit] variable (or [rows] for the world) from a [rows x U]
 * array; row_scale names the first axis. */
static void var_rows(writer *w, const char *base, sf_unit_kind k, hid_t row_scale,
                     size_t rows, const double *src, const char *units,
                     const char *long_name)
{
    char name[128], ln[256];
    size_t first, count;
    sf_results_unit_range(w->res, k, &first, &count);
    snprintf(name, sizeof name, "%s%s", base, sf_unit_kind_suffix[k]);
    snprintf(ln, sizeof ln, "%s, per %s", long_name, kind_text[k]);
    gather(w, src, rows, k);
    hsize_t dims[2] = {rows, count};
    hid_t scales[2] = {row_scale, kind_scale(w, k)};
    var(w, name, H5T_NATIVE_DOUBLE, k == SF_UNITS_WORLD ? 1 : 2, dims, scales,
        w->buf, units, ln);
}

/* A [unit] variable (a scalar for the world) of one field of summaries. */
static void var_stat(writer *w, const char *base, const char *stat,
                     sf_unit_kind k, const double *values, size_t stride,
                     const char *units, const char *long_name)
{
    char name[128], ln[256];
    size_t first, count;
    sf_results_unit_range(w->res, k, &first, &count);
    snprintf(name, sizeof name, "%s_%s%s", base, stat, sf_unit_kind_suffix[k]);
    snprintf(ln, sizeof ln, "%s, per %s", long_name, kind_text[k]);
    for (size_t c = 0; c < count; c++)
        w->buf[c] = values[(first + c) * stride];
    hsize_t dims[1] = {count};
    hid_t scales[1] = {kind_scale(w, k)};
    var(w, name, H5T_NATIVE_DOUBLE, k == SF_UNITS_WORLD ? 0 : 1, dims, scales,
        w->buf, units, ln);
}

/* A [quantile, unit] variable from quantile arrays inside structs. */
static void var_quantiles(writer *w, const char *name_base, sf_unit_kind k,
                          const double *q0, size_t stride, const char *units,
                          const char *long_name)
{
    char name[128], ln[256];
    size_t first, count;
    sf_results_unit_range(w->res, k, &first, &count);
    snprintf(name, sizeof name, "%s_quantile%s", name_base, sf_unit_kind_suffix[k]);
    snprintf(ln, sizeof ln, "%s quantiles, per %s", long_name, kind_text[k]);
    for (size_t q = 0; q < w->res->n_quantiles; q++)
        for (size_t c = 0; c < count; c++)
            w->buf[q * count + c] = q0[(first + c) * stride + q];
    hsize_t dims[2] = {w->res->n_quantiles, count};
    hid_t scales[2] = {w->quantile, kind_scale(w, k)};
    var(w, name, H5T_NATIVE_DOUBLE, k == SF_UNITS_WORLD ? 1 : 2, dims, scales,
        w->buf, units, ln);
}

static void write_summaries(writer *w, const sf_policy_results *pr)
{
    size_t U = w->res->n_units, str = sizeof(sf_summary) / sizeof(double);
    for (int m = 0; m < SF_M_COUNT; m++) {
        const char *name = sf_metric_name((sf_metric)m);
        const char *u = units_of(w, metric_meta[m].units);
        const char *ln = metric_meta[m].long_name;
        const sf_summary *s = &pr->summary[(size_t)m * U];
        char lmean[200], lsd[200], lse[200], lcv[200], lp[200];
        snprintf(lmean, sizeof lmean, "mean over trials of the %s", ln);
        snprintf(lsd, sizeof lsd, "standard deviation over trials of the %s", ln);
        snprintf(lse, sizeof lse, "standard error of the mean %s", ln);
        snprintf(lcv, sizeof lcv, "CVaR95 (mean of the worst 5%% of trials) of the %s", ln);
        snprintf(lp, sizeof lp, "probability over trials that the %s is > 0", ln);
        for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
            var_stat(w, name, "mean", k, &s->mean, str, u, lmean);
            var_stat(w, name, "sd", k, &s->sd, str, u, lsd);
            var_stat(w, name, "se", k, &s->se, str, u, lse);
            var_stat(w, name, "cvar95", k, &s->cvar95, str, u, lcv);
            var_stat(w, name, "p_any", k, &s->p_any, str, "1", lp);
            var_quantiles(w, name, k, s->q, str, u, ln);
        }
    }
}

/* The paired comparison with the baseline; for the baseline itself, the
 * comparison with itself — zero, exactly, with zero standard error and
 * probabilities — so that the policy groups have the same variables and
 * concatenate along a policy axis (docs/output.md). */
static void write_paired(writer *w, const sf_policy_results *pr)
{
    size_t str = sizeof(sf_paired) / sizeof(double);
    const char *u = sf_model_demand_unit(w->res->model);
    sf_paired *zero = NULL;
    const sf_paired *a = pr->avoided;
    if (a == NULL) {
        if ((zero = calloc(w->res->n_units, sizeof *zero)) == NULL) {
            w->ret = SF_ERR_NOMEM;
            return;
        }
        a = zero;
    }
    for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
        var_stat(w, "avoided", "mean", k, &a->mean, str, u,
                 "shortfall avoided against the baseline (baseline minus "
                 "this mix, same trials), mean");
        var_stat(w, "avoided", "se", k, &a->se, str, u,
                 "standard error of the paired difference");
        var_stat(w, "avoided", "p_better", k, &a->p_better, str, "1",
                 "probability that this mix has less shortfall than the "
                 "baseline");
        var_stat(w, "avoided", "p_worse", k, &a->p_worse, str, "1",
                 "probability that this mix has more shortfall than the "
                 "baseline");
        var_quantiles(w, "avoided", k, a->q, str, u,
                      "shortfall avoided against the baseline");
    }
    free(zero);
}

static void write_monthly(writer *w, const sf_policy_results *pr)
{
    const sf_results *res = w->res;
    size_t T = (size_t)res->n_months, U = res->n_units;
    for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
        size_t first, count;
        sf_results_unit_range(res, k, &first, &count);
        int r = k == SF_UNITS_WORLD ? 1 : 2;
        char name[128], ln[256];

        var_rows(w, "shortfall_frac_month_mean", k, w->month, T,
                 pr->month_frac_mean, "1",
                 "mean over trials of the monthly shortfall fraction");
        var_rows(w, "p_short_month", k, w->month, T, pr->month_p_short, "1",
                 "probability that the month is short (shortfall > 0.1% of "
                 "need)");
        /* [quantile, month, unit] */
        for (size_t q = 0; q < res->n_quantiles; q++)
            for (size_t t = 0; t < T; t++)
                for (size_t c = 0; c < count; c++)
                    w->buf[(q * T + t) * count + c] =
                        pr->month_frac_q[(q * T + t) * U + first + c];
        snprintf(name, sizeof name, "shortfall_frac_month_quantile%s",
                 sf_unit_kind_suffix[k]);
        snprintf(ln, sizeof ln,
                 "quantiles over trials of the monthly shortfall fraction "
                 "(histogram, resolution 0.001), per %s",
                 kind_text[k]);
        hsize_t d3[3] = {res->n_quantiles, T, count};
        hid_t s3[3] = {w->quantile, w->month, kind_scale(w, k)};
        var(w, name, H5T_NATIVE_DOUBLE, r + 1, d3, s3, w->buf, "1", ln);

        /* Raw accumulators: what --resume and merge add to. */
        gather_u64(w, pr->month_frac_sum, T, 1, k);
        snprintf(name, sizeof name, "frac_sum_month%s", sf_unit_kind_suffix[k]);
        snprintf(ln, sizeof ln,
                 "sum over trials of the monthly shortfall fraction, in "
                 "units of 2^-32, per %s",
                 kind_text[k]);
        hsize_t d2[2] = {T, count};
        hid_t s2[2] = {w->month, kind_scale(w, k)};
        var(w, name, H5T_NATIVE_UINT64, r, d2, s2, w->buf, "2^-32", ln);
        gather_u64(w, pr->month_short, T, 1, k);
        snprintf(name, sizeof name, "short_count_month%s", sf_unit_kind_suffix[k]);
        snprintf(ln, sizeof ln, "number of trials short in the month, per %s",
                 kind_text[k]);
        var(w, name, H5T_NATIVE_UINT64, r, d2, s2, w->buf, "trials", ln);
        gather_u64(w, pr->month_hist, T, SF_HIST_BINS + 1, k);
        snprintf(name, sizeof name, "frac_hist_month%s", sf_unit_kind_suffix[k]);
        snprintf(ln, sizeof ln,
                 "histogram over trials of the monthly shortfall fraction "
                 "(bin 0: no shortfall; bin b: ((b-1)/1000, b/1000]), per %s",
                 kind_text[k]);
        hsize_t dh[3] = {T, count, SF_HIST_BINS + 1};
        hid_t sh[3] = {w->month, kind_scale(w, k), w->bin};
        if (k == SF_UNITS_WORLD) {
            dh[1] = SF_HIST_BINS + 1;
            sh[1] = w->bin;
        }
        var(w, name, H5T_NATIVE_UINT64, r + 1, dh, sh, w->buf, "trials", ln);
    }
}

/* Per-trial variables that were streamed: cut to the trials done, given
 * their scales and descriptions. */
static void finish_streamed(writer *w, hid_t d, int rank, hid_t col_scale,
                            const char *units, const char *long_name)
{
    const sf_results *res = w->res;
    hid_t scales[2] = {w->trial, col_scale};
    hsize_t dims[2] = {0, 0};
    hid_t sp;

    if (w->ret != 0)
        return;
    if ((sp = H5Dget_space(d)) < 0 ||
        H5Sget_simple_extent_dims(sp, dims, NULL) < 0) {
        if (sp >= 0)
            H5Sclose(sp);
        w->ret = SF_ERR_HDF5;
        return;
    }
    H5Sclose(sp);
    bool cut = dims[0] != res->n_done;
    dims[0] = res->n_done;
    if ((cut && H5Dset_extent(d, dims) < 0) ||
        sf_h5_describe_var(d, rank, scales, units, long_name) != 0)
        w->ret = SF_ERR_HDF5;
}

static void write_trials(writer *w, const sf_policy_results *pr)
{
    const sf_results *res = w->res;
    size_t n = res->n_done, K = res->model->n_shocks;
    if (w->st != NULL) {
        const hid_t *d = &w->st->d[w->p * VARS_PER_POLICY];
        for (int m = 0; m < SF_M_COUNT; m++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                char ln[256];
                snprintf(ln, sizeof ln, "%s, per %s", metric_meta[m].long_name,
                         kind_text[k]);
                if (d[m * 3 + k] >= 0)
                    finish_streamed(w, d[m * 3 + k],
                                    k == SF_UNITS_WORLD ? 1 : 2,
                                    kind_scale(w, k),
                                    units_of(w, metric_meta[m].units), ln);
                else
                    var_rows(w, sf_metric_name((sf_metric)m), k, w->trial, n,
                             pr->metric[m], units_of(w, metric_meta[m].units),
                             metric_meta[m].long_name);
            }
        if (d[VARS_PER_POLICY - 1] >= 0) {
            finish_streamed(w, d[VARS_PER_POLICY - 1], 2, w->shock, "months",
                            "months the shock was active in the trial");
            return;
        }
    } else {
        for (int m = 0; m < SF_M_COUNT; m++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++)
                var_rows(w, sf_metric_name((sf_metric)m), k, w->trial, n,
                     pr->metric[m], units_of(w, metric_meta[m].units),
                     metric_meta[m].long_name);
    }
    hsize_t d[2] = {n, K};
    hid_t s[2] = {w->trial, w->shock};
    var(w, "months_active", H5T_NATIVE_INT32, 2, d, s, pr->shock_months,
        "months", "months the shock was active in the trial");
}

static void write_shock_summary(writer *w, const sf_policy_results *pr)
{
    size_t K = w->res->model->n_shocks;
    hsize_t d1[1] = {K}, d2[2] = {w->res->n_quantiles, K};
    hid_t s1[1] = {w->shock}, s2[2] = {w->quantile, w->shock};
    for (size_t k = 0; k < K; k++)
        w->buf[k] = pr->shock_summary[k].mean;
    var(w, "months_active_mean", H5T_NATIVE_DOUBLE, 1, d1, s1, w->buf,
        "months", "mean months active per trial");
    for (size_t k = 0; k < K; k++)
        w->buf[k] = pr->shock_summary[k].se;
    var(w, "months_active_se", H5T_NATIVE_DOUBLE, 1, d1, s1, w->buf,
        "months", "standard error of the mean months active");
    for (size_t q = 0; q < w->res->n_quantiles; q++)
        for (size_t k = 0; k < K; k++)
            w->buf[q * K + k] = pr->shock_summary[k].q[q];
    var(w, "months_active_quantile", H5T_NATIVE_DOUBLE, 2, d2, s2, w->buf,
        "months", "quantiles of months active per trial");
}

/* Copies n values a month, from offset `first` of each month of the
 * paths' market record, into w->buf. */
static void gather_path_x(writer *w, const sf_policy_results *pr,
                          size_t first, size_t n)
{
    const sf_results *res = w->res;
    size_t X = sf_results_path_x_width(res);
    size_t rows = res->n_paths * (size_t)res->n_months;
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            w->buf[r * n + i] = pr->path_x[r * X + first + i];
}

/* The paths' market record (docs/output.md, "Paths"): per month,
 * commodity and region the exports, supply and price index; per month and
 * region the shortfall and need. */
static void write_market_paths(writer *w, const sf_policy_results *pr)
{
    const sf_results *res = w->res;
    const sf_model *m = res->model;
    size_t C = m->n_commodities, R = m->n_regions, CR = C * R;
    static const char *const name[3] = {"exports_path", "supply_path",
                                        "price_path_region"};
    static const char *const text[3] = {
        "what the region's producers shipped in the month to buyers in other "
        "countries (offtake included), in the first trials",
        "what the region's producers shipped in the month to any buyer "
        "(offtake included), in the first trials",
        "the monthly price index over the region's buyers (NaN: the region "
        "buys none of the commodity), in the first trials"};
    char units[3][512];

    if (R == 0 || w->ret != 0)
        return;
    hid_t com = H5Dopen2(w->grp, "commodity", H5P_DEFAULT);
    if (com < 0) {
        w->ret = SF_ERR_HDF5;
        return;
    }
    const char *unit = sf_h5p_common_unit(res);
    snprintf(units[0], sizeof units[0], "%s",
             unit ? unit : "the commodity's unit (docs/output.md)");
    snprintf(units[1], sizeof units[1], "%s", units[0]);
    sf_h5p_price_units(res, units[2], sizeof units[2]);
    hsize_t d4[4] = {res->n_paths, (hsize_t)res->n_months, C, R};
    hid_t s4[4] = {w->path_trial, w->month, com, w->region};
    for (int k = 0; k < 3; k++) {
        gather_path_x(w, pr, (size_t)k * CR, CR);
        var(w, name[k], H5T_NATIVE_DOUBLE, 4, d4, s4, w->buf, units[k],
            text[k]);
    }
    if (w->ret == 0)
        w->ret = sf_h5p_add_price_units(w->grp, name[2], res);
    hsize_t d3[3] = {res->n_paths, (hsize_t)res->n_months, R};
    hid_t s3[3] = {w->path_trial, w->month, w->region};
    gather_path_x(w, pr, 3 * CR, R);
    var(w, "shortfall_path_region", H5T_NATIVE_DOUBLE, 3, d3, s3, w->buf,
        sf_model_demand_unit(m),
        "monthly shortfall of each region (its demand nodes summed) in the "
        "first trials");
    gather_path_x(w, pr, 3 * CR + R, R);
    var(w, "need_path_region", H5T_NATIVE_DOUBLE, 3, d3, s3, w->buf,
        sf_model_demand_unit(m),
        "monthly need of each region (its demand nodes summed) in the first "
        "trials");
    H5Dclose(com);
}

static void write_paths(writer *w, const sf_policy_results *pr)
{
    const sf_results *res = w->res;
    hsize_t d[3] = {res->n_paths, (hsize_t)res->n_months,
                    res->model->n_demand};
    hid_t s[3] = {w->path_trial, w->month, w->node};
    var(w, "shortfall_path", H5T_NATIVE_DOUBLE, 3, d, s, pr->path,
        sf_model_demand_unit(res->model),
        "monthly shortfall of each demand node in the first trials");
    write_market_paths(w, pr);
}

/* The coordinates of one policy group. */
static int write_coords(writer *w, const sf_h5_meta *meta)
{
    const sf_results *res = w->res;
    const sf_model *m = res->model;
    const sf_scenario *sc = m->sc;
    size_t n = res->n_done, T = (size_t)res->n_months;
    size_t D = m->n_demand, R = m->n_regions, K = m->n_shocks;
    int ret = SF_ERR_NOMEM;
    const char **names = calloc(D + R + K + 1, sizeof *names);
    /* The month and path_trial coordinates (the trial coordinate is
     * written a chunk at a time). */
    size_t n_ints = T > res->n_paths ? T : (size_t)res->n_paths;
    int64_t *ints = malloc(n_ints * sizeof *ints + 16);
    double bins[SF_HIST_BINS + 1];

    if (names == NULL || ints == NULL)
        goto out;
    ret = SF_ERR_HDF5;
    if (meta->write_trials &&
        (w->trial = sf_h5_coord_sequence(w->grp, "trial",
                                         (int64_t)res->first_trial, n, "1",
                                         "trial number")) < 0)
        goto out;
    for (size_t t = 0; t < T; t++)
        ints[t] = (int64_t)t;
    /* With a start month, a CF time axis: 360_day makes "months since"
     * exact (every month 30 days). */
    char since[64] = "months";
    if (sc->start[0] != '\0')
        snprintf(since, sizeof since, "months since %s-01", sc->start);
    if ((w->month = sf_h5_coord(w->grp, "month", H5T_NATIVE_INT64, T, ints,
                                since, "month from the start")) < 0 ||
        (sc->start[0] != '\0' &&
         sf_h5_attr_str(w->month, "calendar", "360_day") != 0))
        goto out;
    for (size_t d = 0; d < D; d++)
        names[d] = sc->nodes[m->demand_nodes[d]].id;
    if ((w->node = sf_h5_coord_str(w->grp, "node", D, names,
                                   "demand node")) < 0)
        goto out;
    for (size_t r = 0; r < R; r++)
        names[r] = sc->countries[m->region_country[r]];
    if ((w->region = sf_h5_coord_str(w->grp, "region", R, names,
                                     "region (country with demand)")) < 0)
        goto out;
    for (size_t k = 0; k < K; k++)
        names[k] = sc->shocks[k].id;
    if ((w->shock = sf_h5_coord_str(w->grp, "shock", K, names,
                                    "shock or policy tariff")) < 0)
        goto out;
    if ((w->quantile = sf_h5_coord(w->grp, "quantile", H5T_NATIVE_DOUBLE,
                                   res->n_quantiles, res->quantiles, "1",
                                   "quantile level")) < 0)
        goto out;
    for (size_t b = 0; b <= SF_HIST_BINS; b++)
        bins[b] = (double)b / SF_HIST_BINS;
    if ((w->bin = sf_h5_coord(w->grp, "bin", H5T_NATIVE_DOUBLE,
                              SF_HIST_BINS + 1, bins, "1",
                              "upper edge of the histogram bin")) < 0)
        goto out;
    if (res->n_paths > 0) {
        for (size_t i = 0; i < res->n_paths; i++)
            ints[i] = (int64_t)(res->first_trial + i);
        if ((w->path_trial = sf_h5_coord(w->grp, "path_trial",
                                         H5T_NATIVE_INT64, res->n_paths, ints,
                                         "1", "trial number of a path")) < 0)
            goto out;
    }
    ret = 0;
out:
    free(names);
    free(ints);
    return ret;
}

static void close_coords(writer *w)
{
    hid_t *ids[] = {&w->trial, &w->month,    &w->node, &w->region,
                    &w->shock, &w->quantile, &w->bin,  &w->path_trial};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        if (*ids[i] > 0)
            H5Dclose(*ids[i]);
        *ids[i] = -1;
    }
}

static int write_run_attrs(hid_t f, const sf_results *res,
                           const sf_h5_meta *meta, const char *title);

static int write_policy(writer *w, hid_t parent, size_t p,
                        const sf_h5_meta *meta)
{
    const sf_results *res = w->res;
    const sf_policy_results *pr = &res->pol[p];
    const sf_scenario *sc = res->model->sc;
    const char *name = sc->policies[pr->policy].name;
    int ret;

    w->grp = sf_h5_group(parent, name);
    if (w->grp < 0)
        return SF_ERR_HDF5;
    w->ret = 0;
    w->p = p;
    char title[600];
    snprintf(title, sizeof title, "shortfall: %s, policy mix %s", sc->name,
             name);
    if ((ret = sf_h5_attr_str(w->grp, "policy", name)) != 0 ||
        (ret = sf_h5_attr_str(w->grp, "baseline", sc->policies[0].name)) != 0 ||
        (ret = sf_h5_attr_int(w->grp, "is_baseline", p == 0)) != 0 ||
        /* The provenance again, for a group opened alone. */
        (ret = write_run_attrs(w->grp, res, meta, title)) != 0 ||
        (ret = sf_h5_attr_str(w->grp, "description", sc->description)) != 0 ||
        (sc->start[0] != '\0' &&
         (ret = sf_h5_attr_str(w->grp, "start", sc->start)) != 0) ||
        (ret = write_coords(w, meta)) != 0)
        goto out;
    write_summaries(w, pr);
    write_monthly(w, pr);
    write_shock_summary(w, pr);
    if (w->ret == 0)
        w->ret = sf_h5p_write(w->grp, res, p, w->trial, w->month, w->region,
                              w->quantile, meta->write_trials,
                              w->st ? &w->st->pd[p * SF_H5P_VARS] : NULL);
    write_paired(w, pr);
    if (meta->write_trials) {
        write_trials(w, pr);
        if (w->ret == 0)
            w->ret = sf_h5d_write(w->grp, res, p, w->trial, w->shock, w->node,
                                  w->st ? &w->st->dd[p * SF_H5D_VARS] : NULL);
    }
    if (res->n_paths > 0)
        write_paths(w, pr);
    ret = w->ret;
out:
    close_coords(w);
    H5Gclose(w->grp);
    return ret;
}

void sf_h5o_utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *sf_h5o_history(const char *earlier, const char *created,
                      const char *command_line)
{
    size_t len = (earlier ? strlen(earlier) + 1 : 0) + strlen(created) +
                 strlen(SF_VERSION) + strlen(command_line) + 32;
    char *s = malloc(len);
    if (s != NULL)
        snprintf(s, len, "%s%s%s shortfall %s: %s", earlier ? earlier : "",
                 earlier && *earlier ? "\n" : "", created, SF_VERSION,
                 command_line);
    return s;
}

int sf_h5o_write_root(hid_t f, const sf_results *res, const sf_h5_meta *meta)
{
    char title[300];
    snprintf(title, sizeof title, "shortfall: %s", res->model->sc->name);
    return write_run_attrs(f, res, meta, title);
}

/* A run's attributes on f (the root, a batch variant's group, a policy
 * group): CF's Conventions, title and history, then the provenance. */
static int write_run_attrs(hid_t f, const sf_results *res,
                           const sf_h5_meta *meta, const char *title)
{
    const sf_scenario *sc = res->model->sc;
    char created[32];
    const char *cmd = meta->command_line ? meta->command_line : "";
    int ret = 0;

    if (meta->created != NULL)
        snprintf(created, sizeof created, "%s", meta->created);
    else
        sf_h5o_utc_now(created, sizeof created);
    char *history = sf_h5o_history(meta->history, created, cmd);
    if (history == NULL)
        return SF_ERR_NOMEM;
#define TRY(x)                                                                 \
    if (ret == 0)                                                              \
    ret = (x)
    TRY(sf_h5_attr_str(f, "Conventions", "CF-1.8"));
    TRY(sf_h5_attr_str(f, "title", title));
    TRY(sf_h5_attr_str(f, "history", history));
    free(history);
    TRY(sf_h5_attr_str(f, "software", SF_SOFTWARE));
    TRY(sf_h5_attr_str(f, "version", SF_VERSION));
    TRY(sf_h5_attr_int(f, "format_version", SF_FORMAT_VERSION));
    TRY(sf_h5_attr_str(f, "git_commit", meta->git_commit ? meta->git_commit
                                                         : "unknown"));
    TRY(sf_h5_attr_str(f, "created", created));
    TRY(sf_h5_attr_str(f, "command_line",
                       meta->command_line ? meta->command_line : ""));
    TRY(sf_h5_attr_u64(f, "seed", res->seed));
    TRY(sf_h5_attr_u64(f, "trials", res->n_trials));
    TRY(sf_h5_attr_u64(f, "trials_done", res->n_done));
    TRY(sf_h5_attr_int(f, "complete", res->n_done == res->n_trials));
    TRY(sf_h5_attr_u64(f, "first_trial", res->first_trial));
    TRY(sf_h5_attr_int(f, "horizon_months", res->n_months));
    TRY(sf_h5_attr_int(f, "threads", res->threads));
    TRY(sf_h5_attr_int(f, "ranks", meta->ranks > 0 ? meta->ranks : 1));
    TRY(sf_h5_attr_double(f, "wall_seconds", res->wall_seconds));
    TRY(sf_h5_attr_int(f, "has_trials", meta->write_trials));
    TRY(sf_h5_attr_u64(f, "paths", res->n_paths));
    TRY(sf_h5_attr_double(f, "target_rse", meta->target_rse));
    TRY(sf_h5_attr_str(f, "target_unit",
                       meta->target_unit ? meta->target_unit : "world"));
    /* The market solver (docs/output.md). */
    TRY(sf_h5_attr_u64(f, "solver_solves", res->solver.solves));
    TRY(sf_h5_attr_u64(f, "solver_iterations", res->solver.iterations));
    TRY(sf_h5_attr_int(f, "solver_max_iterations",
                       res->solver.max_iterations));
    TRY(sf_h5_attr_double(f, "solver_max_residual",
                          res->solver.max_residual));
    TRY(sf_h5_attr_str(f, "scenario_name", sc->name));
    TRY(sf_h5_attr_str(f, "scenario_file", sc->file));
    TRY(sf_h5_attr_str(f, "scenario_text", sc->text ? sc->text : ""));
#undef TRY
    return ret;
}

/* A scenario's group (named `name`) with one subgroup per policy mix. */
int sf_h5o_write_scenario_group(hid_t parent, const char *name,
                                const sf_results *res, const sf_h5_meta *meta,
                                const stream *st, hid_t *group_out)
{
    const sf_model *m = res->model;
    size_t T = (size_t)res->n_months, U = res->n_units;
    /* Streamed per-trial rows are in the file already: no buffer for them. */
    size_t biggest = st != NULL ? 0 : res->n_done * U;
    size_t month_cells = T * U * (SF_HIST_BINS + 1);
    int ret;
    writer w;
    hid_t sg = -1;

    memset(&w, 0, sizeof w);
    w.res = res;
    w.st = st;
    w.trial = w.month = w.node = w.region = w.shock = w.quantile = w.bin =
        w.path_trial = -1;
    if (month_cells > biggest)
        biggest = month_cells;
    if (res->n_paths * T * m->n_demand > biggest)
        biggest = res->n_paths * T * m->n_demand;
    if (res->n_paths * T * m->n_commodities * m->n_regions > biggest)
        biggest = res->n_paths * T * m->n_commodities * m->n_regions;
    if (res->n_quantiles * (T * U + m->n_shocks) > biggest)
        biggest = res->n_quantiles * (T * U + m->n_shocks);
    w.buf = malloc((biggest + 64) * sizeof(double));
    if (w.buf == NULL)
        return SF_ERR_NOMEM;
    if ((sg = sf_h5_group(parent, name)) < 0) {
        ret = SF_ERR_HDF5;
        goto out;
    }
    if ((ret = sf_h5_attr_str(sg, "description", m->sc->description)) != 0 ||
        (m->sc->start[0] != '\0' &&
         (ret = sf_h5_attr_str(sg, "start", m->sc->start)) != 0))
        goto out;
    for (size_t p = 0; p < res->n_policies; p++)
        if ((ret = write_policy(&w, sg, p, meta)) != 0)
            goto out;
out:
    if (sg >= 0 && (ret != 0 || group_out == NULL))
        H5Gclose(sg);
    else if (group_out != NULL)
        *group_out = sg;
    free(w.buf);
    return ret;
}

/* Closes the file and moves it to its final name; on failure removes
 * the temporary file and says why. */
int sf_h5o_finish(sf_h5_out *o, int ret, sf_error *err)
{
    if (o->file > 0 && H5Fclose(o->file) < 0 && ret == 0)
        ret = SF_ERR_HDF5;
    o->file = -1;
    if (ret != 0) {
        if (err != NULL && err->code == 0)
            sf_error_set(err, ret, "writing %s failed (%s%s)", o->path,
                         sf_strerror(ret),
                         ret == SF_ERR_HDF5 ? ": disk full, file size limit "
                                              "or an HDF5 error"
                                            : "");
        goto fail;
    }
    if (o->force) {
        if (rename(o->tmp_path, o->path) != 0)
            goto io;
    } else {
        /* link() refuses to replace a file that appeared meanwhile. */
        if (link(o->tmp_path, o->path) != 0)
            goto io;
        unlink(o->tmp_path);
    }
    sf_cleanup_temp_done(o->tmp_path, false);
    o->tmp_path = NULL;
    return 0;
io:
    ret = sf_error_set(err, SF_ERR_IO, "cannot move the results to %s: %s",
                       o->path, strerror(errno));
fail:
    unlink(o->tmp_path);
    return ret;
}

int sf_h5o_create_file(sf_h5_out *o, sf_error *err)
{
    sf_h5_quiet();
    o->file = sf_h5_create(o->tmp_path);
    if (o->file < 0)
        return sf_error_set(err, SF_ERR_HDF5, "cannot create %s (HDF5)",
                            o->tmp_path);
    return 0;
}

int sf_h5_out_open(sf_h5_out *o, const char *path, bool force, sf_error *err)
{
    int ret = SF_ERR_NOMEM, fd;
    struct stat st;

    memset(o, 0, sizeof *o);
    o->file = -1;
    o->force = force;
    if (!force && stat(path, &st) == 0) {
        ret = sf_error_set(err, SF_ERR_IO,
                           "%s already exists; use --force to replace it, or "
                           "-o to write elsewhere",
                           path);
        goto out;
    }
    o->path = strdup(path);
    if (o->path == NULL) {
        sf_error_set(err, ret, "%s", sf_strerror(ret));
        goto out;
    }
    ret = sf_cleanup_temp_create(path, &o->tmp_path, &fd, err);
    if (ret == 0)
        close(fd);
out:
    return ret;
}

int sf_h5_out_write(sf_h5_out *o, const sf_results *res,
                    const sf_h5_meta *meta, sf_error *err)
{
    int ret = 0;
    stream *st = o->stream;

    if (err != NULL)
        err->code = 0;
    if (st != NULL && st->scratch != NULL) {
        /* --no-trials: the streamed rows are not part of the results. */
        sf_h5o_stream_free(st);
        o->stream = st = NULL;
    }
    if (o->file <= 0)
        ret = sf_h5o_create_file(o, err);
    /* One time of creation for the root and every group. */
    char created[32];
    sf_h5_meta m = *meta;
    if (m.created == NULL) {
        sf_h5o_utc_now(created, sizeof created);
        m.created = created;
    }
    if (ret == 0) {
        ret = sf_h5o_write_root(o->file, res, &m);
        if (ret == 0)
            ret = sf_h5o_write_scenario_group(
                o->file, res->model->sc->name, res, &m, st, NULL);
    }
    sf_h5o_stream_free(st);
    o->stream = NULL;
    return sf_h5o_finish(o, ret, err);
}

void sf_h5_out_close(sf_h5_out *o)
{
    if (o == NULL)
        return;
    sf_h5o_stream_free(o->stream);
    o->stream = NULL;
    /* 0 is never an HDF5 id: a zeroed sf_h5_out has no open file. */
    if (o->file > 0)
        H5Fclose(o->file);
    sf_cleanup_temp_done(o->tmp_path, !o->borrowed);
    free(o->path);
    memset(o, 0, sizeof *o);
}
