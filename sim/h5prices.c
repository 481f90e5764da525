/*
 * h5prices.c — the price variables of a results file (see h5prices.h and
 * docs/output.md, "Prices").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#include <hdf5_hl.h>
#ifdef SF_MPI
#include <mpi.h>
#endif

#include "h5prices.h"
#include "h5util.h"
#include "shortfall.h"
#include "shortfall/costs.h"

static const char *const var_name[SF_H5P_VARS] = {
    "price_mean", "price_peak", "price_peak_region", "public_cost",
    "tariff_revenue", "closed_months"};
static const char *const var_text[SF_H5P_VARS] = {
    "mean over the months of the world price index",
    "highest month of the world price index",
    "highest month of the price index over the region's buyers (NaN: the "
    "region buys none of the commodity)",
    "public cost of the mix's interventions by kind, discounted to month 0 "
    "(cost_kind 'total': their sum; tariff revenue not deducted)",
    "tariff revenue collected by the region's state from its buyers, "
    "discounted to month 0",
    "months the producer was closed (its received price below its unit "
    "cost for exit_after_months in a row)"};

/* Variables 0-2 are prices (currency per unit of each commodity), 3-4
 * money (currency), 5 months. */
#define PRICE_VAR(v) ((v) < 3)

/* Columns of variable v: its first in sf_results_price_columns' order,
 * and how many. */
static size_t var_first(const sf_results *res, int v)
{
    size_t C = res->model->n_commodities;
    const size_t first[SF_H5P_VARS] = {
        0, C, 2 * C, sf_results_cost_column(res),
        sf_results_revenue_column(res), sf_results_closed_column(res)};
    return first[v];
}

static size_t var_count(const sf_results *res, int v)
{
    const sf_model *m = res->model;
    size_t C = m->n_commodities, R = m->n_regions;
    const size_t count[SF_H5P_VARS] = {C, C, C * R, SF_COST_COLUMNS, R,
                                       m->n_exit};
    return count[v];
}

/* The per-trial dataset's rank ([trial, ...]), and column i's place on
 * its axes after the trial's. */
static int var_rank(int v)
{
    return v == 2 ? 3 : 2;
}

static size_t var_axis1(const sf_results *res, int v, size_t i)
{
    return v == 2 ? i / res->model->n_regions : i;
}

static size_t var_axis2(const sf_results *res, int v, size_t i)
{
    return v == 2 ? i % res->model->n_regions : 0;
}

const char *sf_h5p_common_unit(const sf_results *res)
{
    const sf_scenario *sc = res->model->sc;
    for (size_t c = 1; c < sc->n_commodities; c++)
        if (strcmp(sc->commodities[c].unit, sc->commodities[0].unit) != 0)
            return NULL;
    return sc->n_commodities > 0 ? sc->commodities[0].unit : NULL;
}

void sf_h5p_price_units(const sf_results *res, char *buf, size_t n)
{
    const char *cur = res->model->sc->currency, *unit = sf_h5p_common_unit(res);
    if (unit)
        snprintf(buf, n, "%s per %s", cur, unit);
    else
        snprintf(buf, n, "%s per unit of the commodity (price_units)", cur);
}

/* The per-commodity units, "<currency> per <unit>", as a string-list
 * attribute `price_units` of dataset `name`. */
int sf_h5p_add_price_units(hid_t grp, const char *name, const sf_results *res)
{
    const sf_scenario *sc = res->model->sc;
    size_t C = sc->n_commodities;
    char **u = calloc(C ? C : 1, sizeof *u);
    int ret = SF_ERR_NOMEM;
    hid_t d = -1;

    if (u == NULL)
        goto out;
    for (size_t c = 0; c < C; c++) {
        size_t len = strlen(sc->currency) + strlen(sc->commodities[c].unit) + 8;
        if ((u[c] = malloc(len)) == NULL)
            goto out;
        snprintf(u[c], len, "%s per %s", sc->currency, sc->commodities[c].unit);
    }
    ret = SF_ERR_HDF5;
    if ((d = H5Dopen2(grp, name, H5P_DEFAULT)) >= 0 &&
        sf_h5_attr_str_list(d, "price_units", C, (const char *const *)u) == 0)
        ret = 0;
out:
    if (d >= 0)
        H5Dclose(d);
    for (size_t c = 0; u != NULL && c < C; c++)
        free(u[c]);
    free(u);
    return ret;
}

typedef struct {
    hid_t grp;
    const sf_results *res;
    char units[512];
    double *buf;
    int ret;
    /* Coordinates: commodity, region, cost_kind, producer. */
    hid_t com, region, kind, producer;
} pw;

/* The non-trial axes of variable v: how many, their sizes and scales. */
static int var_axes(const pw *w, int v, hsize_t *dims, hid_t *scales)
{
    size_t C = w->res->model->n_commodities, R = w->res->model->n_regions;
    switch (v) {
    case 2:
        dims[0] = C, dims[1] = R, scales[0] = w->com, scales[1] = w->region;
        return 2;
    case 3:
        dims[0] = SF_COST_COLUMNS, scales[0] = w->kind;
        return 1;
    case 4:
        dims[0] = R, scales[0] = w->region;
        return 1;
    case 5:
        dims[0] = w->res->model->n_exit, scales[0] = w->producer;
        return 1;
    default:
        dims[0] = C, scales[0] = w->com;
        return 1;
    }
}

static const char *var_units(const pw *w, int v)
{
    return PRICE_VAR(v) ? w->units : v == 5 ? "months" : w->res->model->sc->currency;
}

static void put(pw *w, const char *name, hid_t type, int rank,
                const hsize_t *dims, const hid_t *scales, const void *data,
                const char *units, const char *long_name, bool priced)
{
    if (w->ret == 0)
        w->ret = sf_h5_write_var(w->grp, name, type, rank, dims, scales, data,
                                 units, long_name);
    if (w->ret == 0 && priced)
        w->ret = sf_h5p_add_price_units(w->grp, name, w->res);
}

/* The statistics of variable v: [commodity] or [commodity, region]
 * (quantiles [quantile, ...]). */
static void put_stats(pw *w, const sf_policy_results *pr, int v,
                      hid_t quantile)
{
    static const char *const stat[4] = {"mean", "sd", "se", "cvar95"};
    static const char *const stat_text[4] = {
        "mean over trials", "standard deviation over trials",
        "standard error of the mean",
        "CVaR95 (mean of the worst 5% of trials)"};
    size_t first = var_first(w->res, v), n = var_count(w->res, v);
    const sf_summary *s = &pr->price_summary[first];
    if (n == 0 && v >= 3)
        return; /* no producer may exit: no closed_months */
    hsize_t dims[2], qdims[3] = {w->res->n_quantiles, 0, 0};
    hid_t scales[2], qscales[3] = {quantile, -1, -1};
    int rank = var_axes(w, v, dims, scales);
    char name[128], ln[512];

    for (int a = 0; a < rank; a++) {
        qdims[a + 1] = dims[a];
        qscales[a + 1] = scales[a];
    }

    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < n; i++) {
            const double f[4] = {s[i].mean, s[i].sd, s[i].se, s[i].cvar95};
            w->buf[i] = f[k];
        }
        snprintf(name, sizeof name, "%s_%s", var_name[v], stat[k]);
        snprintf(ln, sizeof ln, "%s of the %s", stat_text[k], var_text[v]);
        put(w, name, H5T_NATIVE_DOUBLE, rank, dims, scales, w->buf,
            var_units(w, v), ln, PRICE_VAR(v));
    }
    for (size_t q = 0; q < w->res->n_quantiles; q++)
        for (size_t i = 0; i < n; i++)
            w->buf[q * n + i] = s[i].q[q];
    snprintf(name, sizeof name, "%s_quantile", var_name[v]);
    snprintf(ln, sizeof ln, "quantiles over trials of the %s", var_text[v]);
    put(w, name, H5T_NATIVE_DOUBLE, rank + 1, qdims, qscales, w->buf,
        var_units(w, v), ln, PRICE_VAR(v));
}

/* A streamed per-trial dataset: cut to the trials done, described. */
static int finish_streamed(hid_t d, const sf_results *res, int rank,
                           const hid_t *scales, const char *units,
                           const char *long_name)
{
    hsize_t dims[3] = {0, 0, 0};
    hid_t sp = H5Dget_space(d);
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
             H5Sget_simple_extent_dims(sp, dims, NULL) == rank;
    if (sp >= 0)
        H5Sclose(sp);
    if (!ok)
        return SF_ERR_HDF5;
    bool cut = dims[0] != res->n_done;
    dims[0] = res->n_done;
    if ((cut && H5Dset_extent(d, dims) < 0) ||
        sf_h5_describe_var(d, rank, scales, units, long_name) != 0)
        return SF_ERR_HDF5;
    return 0;
}

/* The producer coordinate: the ids of the producers that may exit. */
static hid_t producer_coord(hid_t grp, const sf_model *m)
{
    const char **pid = calloc(m->n_exit, sizeof *pid);
    hid_t d = -1;
    for (size_t k = 0; pid != NULL && k < m->n_exit; k++)
        pid[k] = m->sc->nodes[m->exit_nodes[k]].id;
    if (pid != NULL)
        d = sf_h5_coord_str(grp, "producer", m->n_exit, pid,
                            "producer with a unit cost, which may exit");
    free(pid);
    return d;
}

/* The cost per unit of world shortfall avoided (non-baseline mixes). */
static void put_cost_ratio(pw *w, const sf_policy_results *pr)
{
    const sf_scenario *sc = w->res->model->sc;
    char u[600];
    snprintf(u, sizeof u, "%s per %s", sc->currency,
             sf_model_demand_unit(w->res->model));
    put(w, "cost_per_avoided", H5T_NATIVE_DOUBLE, 0, NULL, NULL,
        &pr->cost_ratio, u,
        "public cost per unit of world shortfall avoided: mean of the "
        "mix's minus the baseline's total public_cost over mean shortfall "
        "avoided, paired trials (NaN: nothing avoided on average)",
        false);
    put(w, "cost_per_avoided_se", H5T_NATIVE_DOUBLE, 0, NULL, NULL,
        &pr->cost_ratio_se, u,
        "delta-method standard error of cost_per_avoided", false);
}

/* Per month, commodity and region: the means over trials of the region's
 * price index and exports, and the fixed-point sums they come from. */
static void put_region_months(pw *w, const sf_policy_results *pr, hid_t month)
{
    const sf_results *res = w->res;
    size_t cells = sf_results_region_cells(res);
    hsize_t d[3] = {(hsize_t)res->n_months, res->model->n_commodities,
                    res->model->n_regions};
    hid_t s[3] = {month, w->com, w->region};
    char u[512];

    if (cells == 0)
        return;
    put(w, "price_month_mean_region", H5T_NATIVE_DOUBLE, 3, d, s,
        pr->price_month_mean_region, w->units,
        "mean over trials of the monthly price index over the region's "
        "buyers (fixed point, resolution 2^-20 of the reference price; NaN: "
        "the region buys none of the commodity)",
        true);
    const sf_scenario *sc = res->model->sc;
    snprintf(u, sizeof u, "%s", sc->n_commodities ? sc->commodities[0].unit : "");
    for (size_t c = 1; c < sc->n_commodities; c++)
        if (strcmp(sc->commodities[c].unit, sc->commodities[0].unit) != 0)
            snprintf(u, sizeof u, "the commodity's unit (docs/output.md)");
    put(w, "exports_month_mean", H5T_NATIVE_DOUBLE, 3, d, s,
        pr->exports_month_mean, u,
        "mean over trials of what the region's producers shipped in the "
        "month to buyers in other countries (offtake included; fixed point, "
        "resolution 2^-20 of the commodity's monthly nameplate capacity)",
        false);
    put(w, "price_sum_month_region", H5T_NATIVE_UINT64, 3, d, s,
        pr->region_sum, "2^-20 reference price",
        "sum over trials of the region's monthly price index / reference "
        "price, in units of 2^-20 (regions that buy the commodity)",
        false);
    put(w, "exports_sum_month", H5T_NATIVE_UINT64, 3, d, s,
        pr->region_sum + cells, "2^-20 monthly capacity",
        "sum over trials of the region's monthly exports / the commodity's "
        "summed nameplate capacity per month, in units of 2^-20",
        false);
}

/* The per-trial variables: from the rows in memory, or the streamed
 * datasets cut to the trials done and described. */
static void put_trials(pw *w, const sf_policy_results *pr, hid_t trial,
                       const hid_t *streamed)
{
    const sf_results *res = w->res;
    size_t NP = sf_results_price_columns(res), n = res->n_done;
    for (int v = 0; v < SF_H5P_VARS && w->ret == 0; v++) {
        size_t first = var_first(res, v), cols = var_count(res, v);
        if (cols == 0 && v >= 3)
            continue;
        hsize_t dims[3] = {n, 0, 0};
        hid_t scales[3] = {trial, -1, -1};
        int rank = 1 + var_axes(w, v, &dims[1], &scales[1]);
        if (streamed != NULL && streamed[v] >= 0) {
            w->ret = finish_streamed(streamed[v], res, rank, scales,
                                     var_units(w, v), var_text[v]);
            if (w->ret == 0 && PRICE_VAR(v))
                w->ret = sf_h5p_add_price_units(w->grp, var_name[v], res);
            continue;
        }
        if (streamed != NULL)
            continue;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < cols; i++)
                w->buf[r * cols + i] = pr->price[r * NP + first + i];
        put(w, var_name[v], H5T_NATIVE_DOUBLE, rank, dims, scales, w->buf,
            var_units(w, v), var_text[v], PRICE_VAR(v));
    }
}

int sf_h5p_write(hid_t grp, const sf_results *res, size_t p, hid_t trial,
                 hid_t month, hid_t region, hid_t quantile, bool write_trials,
                 const hid_t *streamed)
{
    const sf_model *m = res->model;
    const sf_scenario *sc = m->sc;
    const sf_policy_results *pr = &res->pol[p];
    size_t C = m->n_commodities, R = m->n_regions, T = (size_t)res->n_months;
    size_t NP = sf_results_price_columns(res), n = res->n_done;
    size_t big = res->n_quantiles * T * C, NQ = res->n_quantiles;
    hid_t com = -1, bin = -1, kind = -1, producer = -1;
    const char **ids = calloc(C ? C : 1, sizeof *ids);
    double *bins = malloc(SF_PRICE_BINS * sizeof *bins);
    pw w = {grp, res, "", NULL, 0, -1, region, -1, -1};

    if (T * C * SF_PRICE_BINS > big)
        big = T * C * SF_PRICE_BINS;
    if (NQ * (C * R + NP) > big)
        big = NQ * (C * R + NP);
    if (T * C * R > big)
        big = T * C * R;
    if (write_trials && streamed == NULL && n * NP > big)
        big = n * NP;
    w.buf = malloc((big + 1) * sizeof(double));
    if (ids == NULL || bins == NULL || w.buf == NULL) {
        w.ret = SF_ERR_NOMEM;
        goto out;
    }
    sf_h5p_price_units(res, w.units, sizeof w.units);
    for (size_t c = 0; c < C; c++)
        ids[c] = sc->commodities[c].id;
    for (size_t b = 0; b < SF_PRICE_BINS; b++)
        bins[b] = 2.0 * (double)b / (SF_PRICE_BINS - 1) - 1.0;
    w.ret = SF_ERR_HDF5;
    if ((com = sf_h5_coord_str(grp, "commodity", C, ids, "commodity")) < 0 ||
        (bin = sf_h5_coord(grp, "price_bin", H5T_NATIVE_DOUBLE,
                           SF_PRICE_BINS, bins, "1",
                           "centre of the price histogram bin: the index "
                           "P * M^price_bin (P the reference price, M the "
                           "price cap multiple)")) < 0 ||
        (kind = sf_h5_coord_str(grp, "cost_kind", SF_COST_COLUMNS,
                                sf_cost_kind_names,
                                "kind of intervention paid for ('total': "
                                "all)")) < 0 ||
        (m->n_exit > 0 && (producer = producer_coord(grp, m)) < 0))
        goto out;
    w.com = com;
    w.kind = kind;
    w.producer = producer;
    w.ret = 0;

    for (int v = 0; v < SF_H5P_VARS; v++)
        put_stats(&w, pr, v, quantile);
    put_cost_ratio(&w, pr); /* NaN for the baseline: every group has it */

    /* The fan chart, [month, commodity] and [quantile, month, commodity]. */
    hsize_t d2[2] = {T, C}, d3[3] = {NQ, T, C};
    hid_t s2[2] = {month, com}, s3[3] = {quantile, month, com};
    put(&w, "price_month_mean", H5T_NATIVE_DOUBLE, 2, d2, s2,
        pr->price_month_mean, w.units,
        "mean over trials of the monthly world price index (fixed point, "
        "resolution 2^-20 of the reference price)",
        true);
    put(&w, "price_month_quantile", H5T_NATIVE_DOUBLE, 3, d3, s3,
        pr->price_month_q, w.units,
        "quantiles over trials of the monthly world price index (histogram "
        "bin centre, resolution M^(1/1000))",
        true);
    /* Raw accumulators: what --resume and merge add to. */
    put(&w, "price_sum_month", H5T_NATIVE_UINT64, 2, d2, s2, pr->price_sum,
        "2^-20 reference price",
        "sum over trials of the monthly world price index / reference "
        "price, in units of 2^-20",
        false);
    hsize_t dh[3] = {T, C, SF_PRICE_BINS};
    hid_t sh[3] = {month, com, bin};
    put(&w, "price_hist_month", H5T_NATIVE_UINT64, 3, dh, sh, pr->price_hist,
        "trials",
        "histogram over trials of the monthly world price index (bin b: "
        "the indices nearest P * M^(2b/1000 - 1))",
        false);

    put_region_months(&w, pr, month);
    if (write_trials)
        put_trials(&w, pr, trial, streamed);
out:
    if (com >= 0)
        H5Dclose(com);
    if (bin >= 0)
        H5Dclose(bin);
    if (kind >= 0)
        H5Dclose(kind);
    if (producer >= 0)
        H5Dclose(producer);
    free(ids);
    free(bins);
    free(w.buf);
    return w.ret;
}

/* --- streaming ----------------------------------------------------------- */

int sf_h5p_stream_create(hid_t pg, const sf_results *res, bool grow,
                         size_t chunk_rows, hid_t *d)
{
    const sf_model *m = res->model;
    for (int v = 0; v < SF_H5P_VARS; v++) {
        hsize_t dims[3] = {res->n_trials,
                           v <= 2 ? m->n_commodities : var_count(res, v),
                           m->n_regions};
        d[v] = -1;
        if (var_count(res, v) == 0)
            continue;
        if ((d[v] = sf_h5_column_var(pg, var_name[v], H5T_NATIVE_DOUBLE,
                                     var_rank(v), dims,
                                     grow ? 0 : res->n_trials, chunk_rows)) <
            0)
            return SF_ERR_HDF5;
    }
    return 0;
}

size_t sf_h5p_stream_chunks(const sf_results *res, size_t p, const hid_t *d,
                            uint64_t from, size_t base, size_t rows,
                            size_t chunk_rows, double *col,
                            sf_h5_chunk *chunks)
{
    const sf_policy_results *pr = &res->pol[p];
    size_t NP = sf_results_price_columns(res);
    size_t n = 0, cr = chunk_rows;

    for (int v = 0; v < SF_H5P_VARS; v++) {
        size_t first = var_first(res, v), cols = var_count(res, v);
        if (d[v] < 0)
            continue;
        for (size_t i = 0; i < cols; i++) {
            for (size_t r = 0; r < rows; r++)
                col[r] = pr->price[(base + r) * NP + first + i];
            for (size_t r0 = 0; r0 < rows; r0 += cr)
                chunks[n++] = (sf_h5_chunk){
                    d[v],     var_rank(v),
                    sizeof(double), 0, cr, from + r0,
                    var_axis1(res, v, i),
                    rows - r0 < cr ? rows - r0 : cr,
                    &col[r0], var_axis2(res, v, i)};
            col += rows;
        }
    }
    return n;
}

int sf_h5p_grow(const hid_t *d, uint64_t rows)
{
    for (int v = 0; v < SF_H5P_VARS; v++) {
        hsize_t dims[3] = {0, 0, 0};
        hid_t sp;
        if (d[v] < 0)
            continue;
        if ((sp = H5Dget_space(d[v])) < 0)
            return SF_ERR_HDF5;
        int ok = H5Sget_simple_extent_ndims(sp) <= 3 &&
                 H5Sget_simple_extent_dims(sp, dims, NULL) >= 0;
        H5Sclose(sp);
        dims[0] = rows;
        if (!ok || H5Dset_extent(d[v], dims) < 0)
            return SF_ERR_HDF5;
    }
    return 0;
}

int sf_h5p_read_column(const sf_results *res, const hid_t *d, size_t index,
                       uint64_t first, uint64_t count, double *out)
{
    int v = 0;
    while (v < SF_H5P_VARS - 1 && index >= var_first(res, v + 1))
        v++;
    if (d[v] < 0)
        return SF_ERR_HDF5;
    return sf_h5_read_column(d[v], var_rank(v), index - var_first(res, v),
                             first, count, H5T_NATIVE_DOUBLE, out);
}

int sf_h5p_reopen(hid_t f, const char *group, hid_t dapl, hid_t *d)
{
    return sf_h5_reopen_named(f, group, dapl, SF_H5P_VARS, var_name, d);
}

void sf_h5p_close(hid_t *d)
{
    sf_h5_close_all(SF_H5P_VARS, d);
}

#ifdef SF_MPI
/* One collective write of rows [row, row + rows) of d (rank 2 or 3, whole
 * trailing axes) from data; a rank with no rows takes part with empty
 * selections (filtered datasets are written collectively). */
static int write_rows_collective(hid_t d, uint64_t row, size_t rows,
                                 const double *data)
{
    hsize_t dims[3] = {0, 0, 0}, start[3] = {row, 0, 0}, count[3];
    hid_t fs = H5Dget_space(d), ms = -1, dx = H5Pcreate(H5P_DATASET_XFER);
    int ret = SF_ERR_HDF5, rank = fs >= 0 ? H5Sget_simple_extent_ndims(fs) : 0;
    static const double none = 0.0;

    if (fs < 0 || dx < 0 || rank < 1 || rank > 3 ||
        H5Sget_simple_extent_dims(fs, dims, NULL) != rank ||
        H5Pset_dxpl_mpio(dx, H5FD_MPIO_COLLECTIVE) < 0)
        goto out;
    hsize_t cells = rows;
    count[0] = rows;
    for (int a = 1; a < rank; a++) {
        count[a] = dims[a];
        cells *= dims[a];
    }
    if (cells == 0) {
        hsize_t one[1] = {1};
        if ((ms = H5Screate_simple(1, one, NULL)) < 0 ||
            H5Sselect_none(ms) < 0 || H5Sselect_none(fs) < 0)
            goto out;
        data = &none;
    } else {
        hsize_t md[1] = {cells};
        if ((ms = H5Screate_simple(1, md, NULL)) < 0 ||
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count,
                                NULL) < 0)
            goto out;
    }
    if (H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, dx, data) >= 0)
        ret = 0;
out:
    if (fs >= 0)
        H5Sclose(fs);
    if (ms >= 0)
        H5Sclose(ms);
    if (dx >= 0)
        H5Pclose(dx);
    return ret;
}

int sf_h5p_stream_rows_mpi(const hid_t *d, const sf_results *share,
                           size_t p, uint64_t offset, uint64_t from,
                           size_t base, size_t rows, double *buf)
{
    const sf_policy_results *pr = &share->pol[p];
    size_t NP = sf_results_price_columns(share);
    for (int v = 0; v < SF_H5P_VARS; v++) {
        size_t first = var_first(share, v), cols = var_count(share, v);
        if (d[v] < 0)
            continue;
        for (size_t r = 0; r < rows; r++)
            for (size_t i = 0; i < cols; i++)
                buf[r * cols + i] = pr->price[(base + r) * NP + first + i];
        int ret = write_rows_collective(d[v], offset + from, rows, buf);
        if (ret != 0)
            return ret;
    }
    return 0;
}
#endif

/* --- reading ------------------------------------------------------------- */

static void summary_nan(sf_summary *s)
{
    s->mean = s->sd = s->se = s->cvar95 = s->p_any = NAN;
    for (int q = 0; q < SF_MAX_QUANTILES; q++)
        s->q[q] = NAN;
}

int sf_h5p_read_trials(hid_t grp, sf_results *res, size_t p, uint64_t n)
{
    sf_policy_results *pr = &res->pol[p];
    size_t C = res->model->n_commodities, T = (size_t)res->n_months;
    size_t NP = sf_results_price_columns(res);
    double *buf = malloc((n * NP + 1) * sizeof *buf);
    int ret = SF_ERR_NOMEM;

    if (buf == NULL)
        goto out;
    ret = SF_ERR_FORMAT;
    for (int v = 0; v < SF_H5P_VARS; v++) {
        size_t first = var_first(res, v), cols = var_count(res, v);
        if (cols == 0 && v >= 3)
            continue;
        if (sf_h5_read_var(grp, var_name[v], H5T_NATIVE_DOUBLE, n * cols,
                           buf) != 0)
            goto out;
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < cols; i++)
                pr->price[r * NP + first + i] = buf[r * cols + i];
    }
    size_t cells = sf_results_region_cells(res);
    if ((cells > 0 &&
         (sf_h5_read_var(grp, "price_sum_month_region", H5T_NATIVE_UINT64,
                         cells, pr->region_sum) != 0 ||
          sf_h5_read_var(grp, "exports_sum_month", H5T_NATIVE_UINT64, cells,
                         pr->region_sum + cells) != 0)) ||
        sf_h5_read_var(grp, "price_sum_month", H5T_NATIVE_UINT64, T * C,
                       pr->price_sum) != 0 ||
        sf_h5_read_var(grp, "price_hist_month", H5T_NATIVE_UINT64,
                       T * C * SF_PRICE_BINS, pr->price_hist) != 0)
        goto out;
    ret = 0;
out:
    free(buf);
    return ret;
}

int sf_h5p_read_summaries(hid_t grp, sf_results *res, size_t p)
{
    sf_policy_results *pr = &res->pol[p];
    size_t NP = sf_results_price_columns(res);
    double *buf = malloc((res->n_quantiles * NP + 1) * sizeof *buf);
    int ret = SF_ERR_NOMEM;

    free(pr->price_summary);
    pr->price_summary = calloc(NP ? NP : 1, sizeof *pr->price_summary);
    if (buf == NULL || pr->price_summary == NULL)
        goto out;
    ret = SF_ERR_FORMAT;
    pr->cost_ratio = pr->cost_ratio_se = NAN;
    if (H5Lexists(grp, "cost_per_avoided", H5P_DEFAULT) > 0 &&
        (sf_h5_read_var(grp, "cost_per_avoided", H5T_NATIVE_DOUBLE, 1,
                        &pr->cost_ratio) != 0 ||
         sf_h5_read_var(grp, "cost_per_avoided_se", H5T_NATIVE_DOUBLE, 1,
                        &pr->cost_ratio_se) != 0))
        goto out;
    for (int v = 0; v < SF_H5P_VARS; v++) {
        static const char *const stat[4] = {"mean", "sd", "se", "cvar95"};
        size_t first = var_first(res, v), cols = var_count(res, v);
        sf_summary *s = &pr->price_summary[first];
        char name[128];
        /* A file written before the costs: they are unknown (NaN). */
        snprintf(name, sizeof name, "%s_mean", var_name[v]);
        if (v >= 3 && (cols == 0 || H5Lexists(grp, name, H5P_DEFAULT) <= 0)) {
            for (size_t i = 0; i < cols; i++)
                summary_nan(&s[i]);
            continue;
        }
        for (int k = 0; k < 4; k++) {
            snprintf(name, sizeof name, "%s_%s", var_name[v], stat[k]);
            if (sf_h5_read_var(grp, name, H5T_NATIVE_DOUBLE, cols, buf) != 0)
                goto out;
            for (size_t i = 0; i < cols; i++) {
                double *f[4] = {&s[i].mean, &s[i].sd, &s[i].se, &s[i].cvar95};
                *f[k] = buf[i];
            }
        }
        snprintf(name, sizeof name, "%s_quantile", var_name[v]);
        if (sf_h5_read_var(grp, name, H5T_NATIVE_DOUBLE,
                           res->n_quantiles * cols, buf) != 0)
            goto out;
        for (size_t q = 0; q < res->n_quantiles; q++)
            for (size_t i = 0; i < cols; i++)
                s[i].q[q] = buf[q * cols + i];
        for (size_t i = 0; i < cols; i++)
            s[i].p_any = NAN; /* not written */
    }
    ret = 0;
out:
    free(buf);
    return ret;
}
