/*
 * h5drivers.h — the drivers of every trial in a results file
 * (docs/output.md, "Drivers"): per trial and mix, what the trial drew —
 * shock_onset_month, shock_episodes, shock_severity_mean, regime_months,
 * project_lead_months, project_completed, demand_noise_mean — with the
 * regime_state and project coordinates.  Written beside months_active by
 * the same per-trial machinery: streamed, merged, resumed, MPI.
 * Private to the results writer and reader.
 *
 * Functions returning int give 0 or a negative SF_ERR_*.
 */
#ifndef SHORTFALL_H5DRIVERS_H
#define SHORTFALL_H5DRIVERS_H

#include <stdbool.h>
#include <stdint.h>

#include <hdf5.h>

#include "h5util.h"
#include "shortfall/engine.h"

/* Per-trial datasets per mix: one per driver (sf_driver). */
#define SF_H5D_VARS SF_DRV_COUNT

/* Writes the per-trial drivers of mix p into its group grp, whose trial,
 * shock and node coordinates are open, and the regime_state and project
 * coordinates they need.  streamed: the mix's SF_H5D_VARS datasets
 * already in the file (-1 for one with no columns), or NULL when the rows
 * are in res.  A driver with no columns (no regimes, no projects) is not
 * written. */
int sf_h5d_write(hid_t grp, const sf_results *res, size_t p, hid_t trial,
                 hid_t shock, hid_t node, const hid_t *streamed);

/* Streaming, as sf_h5p_*: _create makes mix p's datasets in pg; _chunks
 * fills chunks (returning how many) for rows [from, from + rows) — res
 * rows base.. — using col, room for rows x sf_results_driver_columns(res,
 * p) doubles; _grow sets their rows. */
int sf_h5d_stream_create(hid_t pg, const sf_results *res, size_t p, bool grow,
                         size_t chunk_rows, hid_t *d);
size_t sf_h5d_stream_chunks(const sf_results *res, size_t p, const hid_t *d,
                            uint64_t from, size_t base, size_t rows,
                            size_t chunk_rows, double *col,
                            sf_h5_chunk *chunks);
int sf_h5d_grow(const hid_t *d, uint64_t rows);
/* Reopens the datasets of the mix whose group path is `group`. */
int sf_h5d_reopen(hid_t f, const char *group, hid_t dapl, hid_t *d);
void sf_h5d_close(hid_t *d);
#ifdef SF_MPI
/* One collective write per dataset of rows [from, from + rows) of the
 * share's rows (from base), at row offset + from of the file; buf: room
 * for rows x sf_results_driver_columns(share, p) doubles. */
int sf_h5d_stream_rows_mpi(const hid_t *d, const sf_results *share, size_t p,
                           uint64_t offset, uint64_t from, size_t base,
                           size_t rows, double *buf);
#endif

/* Reads the n per-trial rows of mix p's drivers (--resume and merge);
 * SF_ERR_CONFLICT when the group has none (a file written before they
 * were recorded), SF_ERR_FORMAT when they are damaged. */
int sf_h5d_read_trials(hid_t grp, sf_results *res, size_t p, uint64_t n);

#endif
