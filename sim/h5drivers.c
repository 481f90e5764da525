/*
 * h5drivers.c — the drivers of every trial in a results file (see
 * h5drivers.h and docs/output.md, "Drivers").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>
#ifdef SF_MPI
#include <mpi.h>
#endif

#include "h5drivers.h"
#include "h5util.h"
#include "shortfall.h"

static const struct {
    const char *units, *text;
} meta[SF_H5D_VARS] = {
    {"months", "month (from 0) of the shock's first active month in the "
               "trial; horizon_months if it was never active (censored)"},
    {"episodes", "episodes of the shock begun in the trial (the model's "
                 "episodes: a hazard-driven one may begin the month after "
                 "another ends)"},
    {"1", "mean over the shock's active months of its severity (tariffs: "
          "the rate; surges: the capacity added); 0 if never active"},
    {"months", "months the trial spent in the regime state"},
    {"months", "the project's drawn lead time (months to its first "
               "output), drawn whether or not it completes"},
    {"1", "1 if the project was completed within the horizon (its "
          "completion draw succeeded and its lead time is less than "
          "horizon_months), else 0"},
    {"1", "mean over the months of the demand node's multiplicative "
          "demand-noise factor (1 without volatility)"},
};

static hid_t var_type(int v)
{
    return sf_driver_is_int((sf_driver)v) ? H5T_NATIVE_INT32
                                          : H5T_NATIVE_DOUBLE;
}

/* Copies rows [base, base + rows) of driver column `col` of mix p into
 * out, as int32 or double (the variable's type). */
static void gather(const sf_results *res, size_t p, int v, size_t col,
                   size_t base, size_t rows, size_t stride, void *out)
{
    const double *src = res->pol[p].driver;
    size_t ND = sf_results_driver_columns(res, p);
    for (size_t r = 0; r < rows; r++) {
        double x = src[(base + r) * ND + col];
        if (sf_driver_is_int((sf_driver)v))
            ((int32_t *)out)[r * stride] = (int32_t)x;
        else
            ((double *)out)[r * stride] = x;
    }
}

int sf_h5d_stream_create(hid_t pg, const sf_results *res, size_t p, bool grow,
                         size_t chunk_rows, hid_t *d)
{
    for (int v = 0; v < SF_H5D_VARS; v++) {
        size_t first, count;
        sf_results_driver_range(res, p, (sf_driver)v, &first, &count);
        hsize_t dims[2] = {res->n_trials, count};
        d[v] = -1;
        if (count == 0)
            continue;
        if ((d[v] = sf_h5_column_var(pg, sf_driver_name((sf_driver)v),
                                     var_type(v), 2, dims,
                                     grow ? 0 : res->n_trials, chunk_rows)) <
            0)
            return SF_ERR_HDF5;
    }
    return 0;
}

size_t sf_h5d_stream_chunks(const sf_results *res, size_t p, const hid_t *d,
                            uint64_t from, size_t base, size_t rows,
                            size_t chunk_rows, double *col,
                            sf_h5_chunk *chunks)
{
    size_t n = 0, cr = chunk_rows;
    for (int v = 0; v < SF_H5D_VARS; v++) {
        size_t first, count;
        bool ints = sf_driver_is_int((sf_driver)v);
        sf_results_driver_range(res, p, (sf_driver)v, &first, &count);
        if (d[v] < 0)
            continue;
        for (size_t i = 0; i < count; i++) {
            /* An int32 column takes a double's room: simple and enough. */
            gather(res, p, v, first + i, base, rows, 1, col);
            for (size_t r0 = 0; r0 < rows; r0 += cr)
                chunks[n++] = (sf_h5_chunk){
                    d[v], 2, ints ? sizeof(int32_t) : sizeof(double), ints,
                    cr, from + r0, i, rows - r0 < cr ? rows - r0 : cr,
                    ints ? (const void *)((const int32_t *)col + r0)
                         : (const void *)(col + r0),
                    0};
            col += rows;
        }
    }
    return n;
}

int sf_h5d_grow(const hid_t *d, uint64_t rows)
{
    for (int v = 0; v < SF_H5D_VARS; v++) {
        hsize_t dims[2] = {0, 0};
        hid_t sp;
        if (d[v] < 0)
            continue;
        if ((sp = H5Dget_space(d[v])) < 0)
            return SF_ERR_HDF5;
        int ok = H5Sget_simple_extent_ndims(sp) == 2 &&
                 H5Sget_simple_extent_dims(sp, dims, NULL) >= 0;
        H5Sclose(sp);
        dims[0] = rows;
        if (!ok || H5Dset_extent(d[v], dims) < 0)
            return SF_ERR_HDF5;
    }
    return 0;
}

int sf_h5d_reopen(hid_t f, const char *group, hid_t dapl, hid_t *d)
{
    const char *names[SF_H5D_VARS];
    for (int v = 0; v < SF_H5D_VARS; v++)
        names[v] = sf_driver_name((sf_driver)v);
    return sf_h5_reopen_named(f, group, dapl, SF_H5D_VARS, names, d);
}

void sf_h5d_close(hid_t *d)
{
    sf_h5_close_all(SF_H5D_VARS, d);
}

/* A streamed dataset cut to the trials done and described. */
static int finish_streamed(hid_t d, const sf_results *res,
                           const hid_t *scales, int v)
{
    hsize_t dims[2] = {0, 0};
    hid_t sp = H5Dget_space(d);
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2 &&
             H5Sget_simple_extent_dims(sp, dims, NULL) == 2;
    if (sp >= 0)
        H5Sclose(sp);
    if (!ok)
        return SF_ERR_HDF5;
    bool cut = dims[0] != res->n_done;
    dims[0] = res->n_done;
    if ((cut && H5Dset_extent(d, dims) < 0) ||
        sf_h5_describe_var(d, 2, scales, meta[v].units, meta[v].text) != 0)
        return SF_ERR_HDF5;
    return 0;
}

/* The regime_state and project coordinates of mix p (-1: none). */
static int driver_coords(hid_t grp, const sf_results *res, size_t p,
                         hid_t *regime, hid_t *project)
{
    const sf_model *m = res->model;
    const sf_scenario *sc = m->sc;
    size_t S = sf_results_regime_states(res);
    size_t P = sf_results_projects(res, p, NULL);
    int *nodes = malloc((P + 1) * sizeof *nodes);
    const char **ids = malloc((P + 1) * sizeof *ids);
    int ret = SF_ERR_NOMEM;

    *regime = *project = -1;
    if (nodes == NULL || ids == NULL)
        goto out;
    ret = SF_ERR_HDF5;
    sf_results_projects(res, p, nodes);
    for (size_t i = 0; i < P; i++)
        ids[i] = sc->nodes[nodes[i]].id;
    if (S > 0 && (*regime = sf_h5_coord_str(
                      grp, "regime_state", S,
                      (const char *const *)sc->regimes.states,
                      "state of the scenario's regime process")) < 0)
        goto out;
    if (P > 0 && (*project = sf_h5_coord_str(
                      grp, "project", P, ids,
                      "new facility built by the mix (its node)")) < 0)
        goto out;
    ret = 0;
out:
    free(nodes);
    free(ids);
    return ret;
}

int sf_h5d_write(hid_t grp, const sf_results *res, size_t p, hid_t trial,
                 hid_t shock, hid_t node, const hid_t *streamed)
{
    size_t n = res->n_done;
    hid_t regime, project;
    int ret = driver_coords(grp, res, p, &regime, &project);
    const hid_t axis[SF_H5D_VARS] = {shock,   shock,   shock, regime,
                                     project, project, node};

    for (int v = 0; v < SF_H5D_VARS && ret == 0; v++) {
        size_t first, count;
        sf_results_driver_range(res, p, (sf_driver)v, &first, &count);
        hid_t scales[2] = {trial, axis[v]};
        hsize_t dims[2] = {n, count};
        if (count == 0)
            continue;
        if (streamed != NULL) {
            ret = streamed[v] >= 0 ? finish_streamed(streamed[v], res,
                                                     scales, v)
                                   : SF_ERR_HDF5;
            continue;
        }
        double *buf = malloc((n * count + 1) * sizeof *buf);
        if (buf == NULL) {
            ret = SF_ERR_NOMEM;
            break;
        }
        for (size_t i = 0; i < count; i++)
            if (sf_driver_is_int((sf_driver)v))
                gather(res, p, v, first + i, 0, n, count, (int32_t *)buf + i);
            else
                gather(res, p, v, first + i, 0, n, count, buf + i);
        ret = sf_h5_write_var(grp, sf_driver_name((sf_driver)v), var_type(v),
                              2, dims, scales, buf, meta[v].units,
                              meta[v].text);
        free(buf);
    }
    if (regime >= 0)
        H5Dclose(regime);
    if (project >= 0)
        H5Dclose(project);
    return ret;
}

int sf_h5d_read_trials(hid_t grp, sf_results *res, size_t p, uint64_t n)
{
    size_t ND = sf_results_driver_columns(res, p);
    double *buf = malloc((n * ND + 1) * sizeof *buf);
    int ret = SF_ERR_NOMEM;

    if (buf == NULL)
        return ret;
    ret = 0;
    for (int v = 0; v < SF_H5D_VARS && ret == 0; v++) {
        size_t first, count;
        sf_results_driver_range(res, p, (sf_driver)v, &first, &count);
        if (count == 0)
            continue;
        bool ints = sf_driver_is_int((sf_driver)v);
        const int32_t *ibuf = (const int32_t *)buf;
        if (H5Lexists(grp, sf_driver_name((sf_driver)v), H5P_DEFAULT) <= 0) {
            ret = SF_ERR_CONFLICT; /* a file from before the drivers */
            break;
        }
        /* The file's type, int32 or double (an int32 in a double's room). */
        if (sf_h5_read_var(grp, sf_driver_name((sf_driver)v), var_type(v),
                           n * count, buf) != 0) {
            ret = SF_ERR_FORMAT;
            break;
        }
        for (size_t r = 0; r < n; r++)
            for (size_t i = 0; i < count; i++)
                res->pol[p].driver[r * ND + first + i] =
                    ints ? ibuf[r * count + i] : buf[r * count + i];
    }
    free(buf);
    return ret;
}

#ifdef SF_MPI
int sf_h5d_stream_rows_mpi(const hid_t *d, const sf_results *share, size_t p,
                           uint64_t offset, uint64_t from, size_t base,
                           size_t rows, double *buf)
{
    for (int v = 0; v < SF_H5D_VARS; v++) {
        size_t first, count;
        sf_results_driver_range(share, p, (sf_driver)v, &first, &count);
        if (d[v] < 0)
            continue;
        for (size_t i = 0; i < count; i++)
            if (sf_driver_is_int((sf_driver)v))
                gather(share, p, v, first + i, base, rows, count,
                       (int32_t *)buf + i);
            else
                gather(share, p, v, first + i, base, rows, count, buf + i);
        int ret = sf_h5_write_rows_collective(d[v], var_type(v), offset + from,
                                        rows, count, buf);
        if (ret != 0)
            return ret;
    }
    return 0;
}
#endif
