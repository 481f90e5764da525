/*
 * h5prices.h — the price variables of a results file (docs/output.md,
 * "Prices" and "Costs"): the commodity, price_bin and cost_kind
 * coordinates, per-trial price_mean, price_peak, price_peak_region,
 * public_cost and tariff_revenue, their statistics, the cost per unit of
 * shortfall avoided, the monthly fan chart of the world price index and
 * its raw accumulators.
 * Private to h5out.c and h5in.c, which call these at their seams.
 *
 * Functions returning int give 0 or a negative SF_ERR_*.
 */
#ifndef SHORTFALL_H5PRICES_H
#define SHORTFALL_H5PRICES_H

#include <stdbool.h>
#include <stdint.h>

#include <hdf5.h>

#include "h5util.h"
#include "shortfall/engine.h"

/* Per-trial price and money variables of a mix: price_mean, price_peak,
 * price_peak_region, public_cost, tariff_revenue, closed_months. */
#define SF_H5P_VARS 6

/* Writes the price variables of mix p into its group grp, whose trial
 * (or -1 without per-trial rows), month, region and quantile
 * coordinates are open.  streamed: the mix's SF_H5P_VARS per-trial
 * datasets already in the file (-1 for one that is not), or NULL when
 * the rows are in res. */
int sf_h5p_write(hid_t grp, const sf_results *res, size_t p, hid_t trial,
                 hid_t month, hid_t region, hid_t quantile, bool write_trials,
                 const hid_t *streamed);

/* Streaming.  _create makes the mix's per-trial datasets in pg (d[v] = -1
 * for one with no columns); _chunks fills chunks (returning how many)
 * for rows [from, from + rows) — res rows base.. — using col, room for
 * rows x sf_results_price_columns(res) doubles; _grow sets their rows;
 * _read_column reads price column `index` back. */
int sf_h5p_stream_create(hid_t pg, const sf_results *res, bool grow,
                         size_t chunk_rows, hid_t *d);
size_t sf_h5p_stream_chunks(const sf_results *res, size_t p, const hid_t *d,
                            uint64_t from, size_t base, size_t rows,
                            size_t chunk_rows, double *col,
                            sf_h5_chunk *chunks);
int sf_h5p_grow(const hid_t *d, uint64_t rows);
int sf_h5p_read_column(const sf_results *res, const hid_t *d, size_t index,
                       uint64_t first, uint64_t count, double *out);
/* Reopens the datasets of the mix whose group path is `group`. */
int sf_h5p_reopen(hid_t f, const char *group, hid_t dapl, hid_t *d);
void sf_h5p_close(hid_t *d);
#ifdef SF_MPI
/* One collective write per dataset of rows [from, from + rows) of the
 * share's rows (from base), at row offset + from of the file. */
int sf_h5p_stream_rows_mpi(const hid_t *d, const sf_results *share,
                           size_t p, uint64_t offset, uint64_t from,
                           size_t base, size_t rows, double *buf);
#endif

/* Reading a mix's group: the per-trial rows (n of them) and the
 * accumulators, for --resume and merge; the statistics, for info. */
int sf_h5p_read_trials(hid_t grp, sf_results *res, size_t p, uint64_t n);
int sf_h5p_read_summaries(hid_t grp, sf_results *res, size_t p);

/* The unit every commodity shares, or NULL when they differ (or there
 * are none). */
const char *sf_h5p_common_unit(const sf_results *res);

/* A price's units: "<currency> per <unit>" when every commodity has the
 * same unit, else a pointer to the per-commodity units (price_units). */
void sf_h5p_price_units(const sf_results *res, char *buf, size_t n);

/* The per-commodity units, "<currency> per <unit>", as a string-list
 * attribute `price_units` of dataset `name` in grp. */
SF_MUST_CHECK
int sf_h5p_add_price_units(hid_t grp, const char *name, const sf_results *res);

#endif
