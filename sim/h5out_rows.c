/*
 * h5out_rows.c — the per-trial rows of a run, streamed into the results
 * file (or, with --no-trials, a scratch file beside it) wave by wave as
 * the engine finishes them, so that memory does not grow with the trials;
 * read back column by column for the summaries.  Part of the results
 * writer (h5out_internal.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hdf5.h>

#include "cleanup.h"
#include "h5drivers.h"
#include "h5out_internal.h"
#include "h5prices.h"
#include "h5util.h"
#include "shortfall/h5file.h"

double sf_h5o_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sf_h5o_stream_free(stream *st)
{
    if (st == NULL)
        return;
    if (st->d != NULL)
        for (size_t i = 0; i < st->n_pol * VARS_PER_POLICY; i++)
            if (st->d[i] >= 0)
                H5Dclose(st->d[i]);
    for (size_t p = 0; st->pd != NULL && p < st->n_pol; p++)
        sf_h5p_close(&st->pd[p * SF_H5P_VARS]);
    for (size_t p = 0; st->dd != NULL && p < st->n_pol; p++)
        sf_h5d_close(&st->dd[p * SF_H5D_VARS]);
    if (st->scratch != NULL) {
        if (st->file >= 0)
            H5Fclose(st->file);
        sf_cleanup_temp_done(st->scratch, !st->borrowed);
    }
    free(st->d);
    free(st->pd);
    free(st->dd);
    free(st->buf);
    free(st->chunks);
    sf_h5_chunk_buf_free(&st->zbuf);
    free(st);
}

int sf_h5o_stream_begin(sf_h5_out *o, const sf_results *res,
                        const sf_h5_meta *meta, hid_t fapl, size_t chunk_rows,
                        bool grow, sf_error *err)
{
    const sf_model *m = res->model;
    size_t U = res->n_units, K = m->n_shocks, W = res->rows_held;
    size_t NP = sf_results_price_columns(res), ND = 0;
    stream *st = calloc(1, sizeof *st);
    hid_t sg = -1, pg = -1;
    int ret = SF_ERR_NOMEM;

    if (err != NULL)
        err->code = 0;
    if (st == NULL)
        goto fail;
    o->stream = st;
    for (size_t p = 0; p < res->n_policies; p++)
        ND += sf_results_driver_columns(res, p);
    st->file = -1;
    st->n_pol = res->n_policies;
    st->grow = grow;
    st->chunk_rows = res->n_trials < chunk_rows ? res->n_trials : chunk_rows;
    if (st->chunk_rows == 0)
        st->chunk_rows = 1;
    st->n_chunks_max = (res->n_policies * (SF_M_COUNT * U + K + NP) + ND) *
                       ((W + st->chunk_rows - 1) / st->chunk_rows);
    st->d = malloc(st->n_pol * VARS_PER_POLICY * sizeof *st->d);
    st->pd = malloc(st->n_pol * SF_H5P_VARS * sizeof *st->pd);
    st->dd = malloc(st->n_pol * SF_H5D_VARS * sizeof *st->dd);
    st->buf = malloc(
        ((res->n_policies * (SF_M_COUNT * U + K + NP) + ND) * W + 1) *
        sizeof(double));
    st->chunks = malloc((st->n_chunks_max + 1) * sizeof *st->chunks);
    if (st->d == NULL || st->pd == NULL || st->dd == NULL ||
        st->buf == NULL || st->chunks == NULL)
        goto fail;
    for (size_t i = 0; i < st->n_pol * VARS_PER_POLICY; i++)
        st->d[i] = -1;
    for (size_t i = 0; i < st->n_pol * SF_H5P_VARS; i++)
        st->pd[i] = -1;
    for (size_t i = 0; i < st->n_pol * SF_H5D_VARS; i++)
        st->dd[i] = -1;
    ret = SF_ERR_HDF5;
    st->borrowed = o->borrowed;
    if (meta->write_trials) {
        sf_h5_quiet();
        if ((o->file = sf_h5_create_fapl(o->tmp_path, fapl)) < 0) {
            ret = sf_error_set(err, SF_ERR_HDF5, "cannot create %s (HDF5)",
                               o->tmp_path);
            goto fail;
        }
        st->file = o->file;
    } else {
        size_t len = strlen(o->tmp_path) + 8;
        if ((st->scratch = malloc(len)) == NULL) {
            ret = SF_ERR_NOMEM;
            goto fail;
        }
        snprintf(st->scratch, len, "%s.rows", o->tmp_path);
        if (!st->borrowed)
            sf_cleanup_temp_add(st->scratch);
        sf_h5_quiet();
        if ((st->file = sf_h5_create_fapl(st->scratch, fapl)) < 0) {
            ret = sf_error_set(err, SF_ERR_HDF5, "cannot create %s (HDF5)",
                               st->scratch);
            goto fail;
        }
    }
    if ((sg = sf_h5_group(st->file, m->sc->name)) < 0)
        goto fail;
    for (size_t p = 0; p < res->n_policies; p++) {
        hid_t *d = &st->d[p * VARS_PER_POLICY];
        if ((pg = sf_h5_group(sg, m->sc->policies[res->pol[p].policy].name)) <
            0)
            goto fail;
        for (int mt = 0; mt < SF_M_COUNT; mt++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                char name[128];
                size_t first, count;
                sf_results_unit_range(res, k, &first, &count);
                if (count == 0)
                    continue;
                snprintf(name, sizeof name, "%s%s",
                         sf_metric_name((sf_metric)mt), sf_unit_kind_suffix[k]);
                hsize_t dims[2] = {res->n_trials, count};
                if ((d[mt * 3 + k] = sf_h5_column_var(
                         pg, name, H5T_NATIVE_DOUBLE,
                         k == SF_UNITS_WORLD ? 1 : 2, dims,
                         grow ? 0 : res->n_trials, st->chunk_rows)) <
                    0)
                    goto fail;
            }
        if (K > 0) {
            hsize_t dims[2] = {res->n_trials, K};
            if ((d[VARS_PER_POLICY - 1] =
                     sf_h5_column_var(pg, "months_active", H5T_NATIVE_INT32, 2,
                                      dims, grow ? 0 : res->n_trials,
                                      st->chunk_rows)) < 0)
                goto fail;
        }
        if (sf_h5p_stream_create(pg, res, grow, st->chunk_rows,
                                 &st->pd[p * SF_H5P_VARS]) != 0 ||
            sf_h5d_stream_create(pg, res, p, grow, st->chunk_rows,
                                 &st->dd[p * SF_H5D_VARS]) != 0)
            goto fail;
        H5Gclose(pg);
        pg = -1;
    }
    H5Gclose(sg);
    return 0;
fail:
    if (pg >= 0)
        H5Gclose(pg);
    if (sg >= 0)
        H5Gclose(sg);
    if (err != NULL && err->code == 0)
        sf_error_set(err, ret, "writing %s failed (%s)", o->path,
                     sf_strerror(ret));
    return ret;
}

/* A streamed write failed: the file being written, and the likely why. */
int sf_h5o_write_failed(const sf_h5_out *o, sf_error *err)
{
    const stream *st = o->stream;
    return sf_error_set(err, SF_ERR_HDF5,
                        "writing %s failed (%s: disk full, file size limit "
                        "or an HDF5 error)",
                        st->scratch ? st->scratch : o->path,
                        sf_strerror(SF_ERR_HDF5));
}

int sf_h5_out_stream_begin(sf_h5_out *o, const sf_results *res,
                           const sf_h5_meta *meta, sf_error *err)
{
    return sf_h5o_stream_begin(o, res, meta, H5P_DEFAULT, SF_BLOCK_TRIALS,
                               true, err);
}

/* Grows every streamed variable to `to` rows. */
static int grow_to(stream *st, uint64_t to)
{
    for (size_t i = 0; i < st->n_pol * VARS_PER_POLICY; i++) {
        hid_t d = st->d[i], sp;
        hsize_t dims[2] = {0, 0};
        if (d < 0)
            continue;
        if ((sp = H5Dget_space(d)) < 0)
            return SF_ERR_HDF5;
        int ok = H5Sget_simple_extent_dims(sp, dims, NULL) >= 0;
        H5Sclose(sp);
        dims[0] = to;
        if (!ok || H5Dset_extent(d, dims) < 0)
            return SF_ERR_HDF5;
    }
    for (size_t p = 0; p < st->n_pol; p++)
        if (sf_h5p_grow(&st->pd[p * SF_H5P_VARS], to) != 0 ||
            sf_h5d_grow(&st->dd[p * SF_H5D_VARS], to) != 0)
            return SF_ERR_HDF5;
    st->rows = to;
    return 0;
}

int sf_h5_out_stream_rows(void *ctx, const sf_results *res, uint64_t from,
                          uint64_t to, sf_error *err)
{
    sf_h5_out *o = ctx;
    stream *st = o->stream;
    size_t U = res->n_units, K = res->model->n_shocks;
    size_t rows = (size_t)(to - from), base = (size_t)(from - res->row0);
    size_t cr = st->chunk_rows, n = 0;
    double *col = st->buf;

    sf_bug_assert(from % cr == 0 && to >= from &&
                  base + rows <= res->rows_held);
    for (size_t p = 0; p < res->n_policies; p++) {
        const sf_policy_results *pr = &res->pol[p];
        const hid_t *d = &st->d[p * VARS_PER_POLICY];
        for (int mt = 0; mt < SF_M_COUNT; mt++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                size_t first, count;
                sf_results_unit_range(res, k, &first, &count);
                for (size_t c = 0; c < count; c++) {
                    for (size_t r = 0; r < rows; r++)
                        col[r] = pr->metric[mt][(base + r) * U + first + c];
                    for (size_t r0 = 0; r0 < rows; r0 += cr) {
                        sf_h5_chunk *ch = &st->chunks[n++];
                        *ch = (sf_h5_chunk){d[mt * 3 + k],
                                            k == SF_UNITS_WORLD ? 1 : 2,
                                            sizeof(double), 0, cr,
                                            from + r0, c,
                                            rows - r0 < cr ? rows - r0 : cr,
                                            &col[r0], 0};
                    }
                    col += rows;
                }
            }
        int32_t *icol = (int32_t *)col;
        for (size_t k = 0; k < K; k++) {
            for (size_t r = 0; r < rows; r++)
                icol[r] = pr->shock_months[(base + r) * K + k];
            for (size_t r0 = 0; r0 < rows; r0 += cr) {
                sf_h5_chunk *ch = &st->chunks[n++];
                *ch = (sf_h5_chunk){d[VARS_PER_POLICY - 1], 2, sizeof(int32_t),
                                    1, cr, from + r0, k,
                                    rows - r0 < cr ? rows - r0 : cr,
                                    &icol[r0], 0};
            }
            col += rows; /* a double's room per int32: simple and enough */
            icol = (int32_t *)col;
        }
        n += sf_h5p_stream_chunks(res, p, &st->pd[p * SF_H5P_VARS], from,
                                  base, rows, cr, col, &st->chunks[n]);
        col += sf_results_price_columns(res) * rows;
        n += sf_h5d_stream_chunks(res, p, &st->dd[p * SF_H5D_VARS], from,
                                  base, rows, cr, col, &st->chunks[n]);
        col += sf_results_driver_columns(res, p) * rows;
    }
    sf_bug_assert(n <= st->n_chunks_max);
    double t0 = sf_h5o_seconds();
    int bad = st->grow && to > st->rows && grow_to(st, to) != 0;
    bad = bad || sf_h5_write_chunks(st->chunks, n, &st->zbuf) != 0;
    o->stream_seconds += sf_h5o_seconds() - t0;
    if (bad)
        return sf_h5o_write_failed(o, err);
    return 0;
}

int sf_h5_out_stream_column(void *ctx, const sf_results *res, size_t policy,
                            int what, size_t index, uint64_t first,
                            uint64_t count, double *out, sf_error *err)
{
    sf_h5_out *o = ctx;
    const stream *st = o->stream;
    const hid_t *d = &st->d[policy * VARS_PER_POLICY];
    hid_t ds;
    int rank = 2;
    size_t col = index;

    if (what == SF_COLUMN_PRICE) {
        if (sf_h5p_read_column(res, &st->pd[policy * SF_H5P_VARS], index,
                               first, count, out) != 0)
            return sf_error_set(err, SF_ERR_HDF5,
                                "reading back the trials from %s failed",
                                st->scratch ? st->scratch : o->path);
        return 0;
    }
    if (what == SF_COLUMN_SHOCK) {
        ds = d[VARS_PER_POLICY - 1];
    } else {
        sf_unit_kind k = SF_UNITS_NODE;
        size_t u0, nu;
        for (;; k++) {
            sf_results_unit_range(res, k, &u0, &nu);
            if (index < u0 + nu || k == SF_UNITS_WORLD)
                break;
        }
        ds = d[what * 3 + (int)k];
        col = index - u0;
        rank = k == SF_UNITS_WORLD ? 1 : 2;
    }
    if (sf_h5_read_column(ds, rank, col, first, count, H5T_NATIVE_DOUBLE,
                          out) != 0)
        return sf_error_set(err, SF_ERR_HDF5,
                            "reading back the trials from %s failed",
                            st->scratch ? st->scratch : o->path);
    return 0;
}

