/*
 * h5out_mpi.c — the per-trial rows of an MPI run, written collectively by
 * every rank into one file through MPI-IO, then reopened by rank 0 for
 * the rest of the results.  Built only with MPI=1, like sim/cli/mpi.c.
 * Part of the results writer (h5out_internal.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <mpi.h>
#include <hdf5.h>

#include "cleanup.h"
#include "h5drivers.h"
#include "h5out_internal.h"
#include "h5prices.h"
#include "h5util.h"
#include "shortfall/h5file.h"

int sf_h5_out_stream_begin_mpi(sf_h5_out *o, const sf_results *res,
                               const sf_h5_meta *meta, sf_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    int ret = SF_ERR_HDF5;

    if (fapl >= 0 && H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) >= 0)
        /* Chunks of a whole wave: parallel HDF5 1.10 spends a fixed cost
         * on every chunk of a collective filtered write (chunk ownership
         * and allocation agreed between ranks). */
        ret = sf_h5o_stream_begin(o, res, meta, fapl, res->rows_held, false,
                                  err);
    else
        sf_error_set(err, ret, "cannot set up MPI-IO for %s", o->path);
    if (fapl >= 0)
        H5Pclose(fapl);
    return ret;
}

int sf_h5_out_stream_rows_mpi(sf_h5_out *o, const sf_results *share,
                              uint64_t offset, uint64_t from, uint64_t to,
                              sf_error *err)
{
    stream *st = o->stream;
    size_t U = share->n_units, K = share->model->n_shocks;
    size_t rows = (size_t)(to - from), base = (size_t)(from - share->row0);
    double *buf = st->buf;
    int ret = 0;

    sf_bug_assert(rows == 0 || base + rows <= share->rows_held);
    double t0 = sf_h5o_seconds();
    for (size_t p = 0; p < st->n_pol && ret == 0; p++) {
        const sf_policy_results *pr = &share->pol[p];
        const hid_t *d = &st->d[p * VARS_PER_POLICY];
        for (int mt = 0; mt < SF_M_COUNT && ret == 0; mt++)
            for (sf_unit_kind k = SF_UNITS_NODE; k <= SF_UNITS_WORLD; k++) {
                size_t first, count;
                sf_results_unit_range(share, k, &first, &count);
                if (d[mt * 3 + k] < 0)
                    continue;
                for (size_t r = 0; r < rows; r++)
                    for (size_t c = 0; c < count; c++)
                        buf[r * count + c] =
                            pr->metric[mt][(base + r) * U + first + c];
                if ((ret = sf_h5_write_rows_collective(
                         d[mt * 3 + k], H5T_NATIVE_DOUBLE, offset + from, rows,
                         k == SF_UNITS_WORLD ? 0 : count, buf)) != 0)
                    break;
            }
        if (ret == 0 && d[VARS_PER_POLICY - 1] >= 0) {
            int32_t *ib = (int32_t *)buf;
            for (size_t r = 0; r < rows; r++)
                for (size_t k = 0; k < K; k++)
                    ib[r * K + k] = pr->shock_months[(base + r) * K + k];
            ret = sf_h5_write_rows_collective(d[VARS_PER_POLICY - 1],
                                        H5T_NATIVE_INT32, offset + from, rows,
                                        K, ib);
        }
        if (ret == 0)
            ret = sf_h5p_stream_rows_mpi(&st->pd[p * SF_H5P_VARS], share, p,
                                         offset, from, base, rows, buf);
        if (ret == 0)
            ret = sf_h5d_stream_rows_mpi(&st->dd[p * SF_H5D_VARS], share, p,
                                         offset, from, base, rows, buf);
    }
    o->stream_seconds += sf_h5o_seconds() - t0;
    if (ret != 0)
        return sf_h5o_write_failed(o, err);
    return 0;
}

int sf_h5_out_stream_end_mpi(sf_h5_out *o, const sf_results *res, bool root,
                             sf_error *err)
{
    stream *st = o->stream;
    const sf_scenario *sc = res->model->sc;
    char *scratch = NULL;
    hid_t f;
    int ret = SF_ERR_HDF5;

    /* Close everything collectively, keeping the scratch file's name. */
    if (st->scratch != NULL) {
        scratch = st->scratch;
        st->scratch = NULL;
    }
    for (size_t i = 0; i < st->n_pol * VARS_PER_POLICY; i++)
        if (st->d[i] >= 0) {
            H5Dclose(st->d[i]);
            st->d[i] = -1;
        }
    for (size_t p = 0; p < st->n_pol; p++) {
        sf_h5p_close(&st->pd[p * SF_H5P_VARS]);
        sf_h5d_close(&st->dd[p * SF_H5D_VARS]);
    }
    f = st->file;
    st->file = -1;
    o->file = -1;
    if (f >= 0 && H5Fclose(f) < 0) {
        sf_cleanup_temp_drop(scratch);
        free(scratch);
        return sf_error_set(err, SF_ERR_HDF5, "writing %s failed (%s)",
                            o->path, sf_strerror(SF_ERR_HDF5));
    }
    st->scratch = scratch;
    if (!root)
        return 0;
    /* Rank 0 alone reopens it, serially, for the rest. */
    f = H5Fopen(scratch ? scratch : o->tmp_path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        goto fail;
    st->file = f;
    if (scratch == NULL)
        o->file = f;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    if (dapl < 0 ||
        H5Pset_chunk_cache(dapl, 0, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0)
        goto fail;
    for (size_t p = 0; p < st->n_pol; p++) {
        hid_t *d = &st->d[p * VARS_PER_POLICY];
        char path[512];
        for (int i = 0; i < VARS_PER_POLICY; i++) {
            if (i == VARS_PER_POLICY - 1)
                snprintf(path, sizeof path, "%s/%s/months_active", sc->name,
                         sc->policies[res->pol[p].policy].name);
            else
                snprintf(path, sizeof path, "%s/%s/%s%s", sc->name,
                         sc->policies[res->pol[p].policy].name,
                         sf_metric_name((sf_metric)(i / 3)),
                         sf_unit_kind_suffix[i % 3]);
            if (H5Lexists(f, path, H5P_DEFAULT) > 0 &&
                (d[i] = H5Dopen2(f, path, dapl)) < 0) {
                H5Pclose(dapl);
                goto fail;
            }
        }
        snprintf(path, sizeof path, "%s/%s", sc->name,
                 sc->policies[res->pol[p].policy].name);
        if (sf_h5p_reopen(f, path, dapl, &st->pd[p * SF_H5P_VARS]) != 0 ||
            sf_h5d_reopen(f, path, dapl, &st->dd[p * SF_H5D_VARS]) != 0) {
            H5Pclose(dapl);
            goto fail;
        }
    }
    H5Pclose(dapl);
    return 0;
fail:
    return sf_error_set(err, ret, "reopening %s failed (%s)", o->path,
                        sf_strerror(ret));
}
