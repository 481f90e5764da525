/*
 * h5out_internal.h — what the parts of the results writer share (not
 * installed):
 *
 *   sim/h5out.c        the writer: variables, coordinates, policy groups,
 *                      root attributes; sf_h5_out_open, _write, _close
 *   sim/h5out_rows.c   the per-trial rows streamed during a run
 *   sim/h5out_mpi.c    the same written collectively by MPI ranks (built
 *                      only with MPI=1)
 *   sim/h5out_batch.c  batch files and batch parts
 */
#ifndef SHORTFALL_H5OUT_INTERNAL_H
#define SHORTFALL_H5OUT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "h5util.h"
#include "shortfall.h"
#include "shortfall/h5file.h"

/* Per-trial variables being streamed: one dataset per policy, metric and
 * unit kind (VARS_PER_POLICY - 1 of them) and months_active (the last). */
#define VARS_PER_POLICY (SF_M_COUNT * 3 + 1)
typedef struct {
    hid_t file;      /* the results file, or the scratch file */
    char *scratch;   /* the scratch file's name (--no-trials), or NULL */
    bool borrowed;   /* do not remove the scratch file (MPI rank > 0) */
    size_t n_pol;
    hid_t *d;        /* [p * VARS_PER_POLICY + m * 3 + kind], months_active
                        last; -1 for a variable with no columns */
    hid_t *pd;       /* [p * SF_H5P_VARS + v]: the price variables */
    hid_t *dd;       /* [p * SF_H5D_VARS + v]: the drivers */
    size_t chunk_rows;
    /* The variables start empty and grow wave by wave (a serial run);
     * otherwise they start at the run's full size and are cut at the end
     * if it stops early (MPI, where the extent is collective).  Cutting
     * costs HDF5 1.10 time in proportion to the rows cut: 8 s for an
     * interrupted run of 2^32 trials. */
    bool grow;
    uint64_t rows;   /* rows the variables have (grow) */
    double *buf;     /* one wave's columns */
    sf_h5_chunk *chunks;
    size_t n_chunks_max;
    sf_h5_chunk_buf zbuf; /* compressed chunks */
} stream;

/* Monotonic seconds (for the time spent streaming). */
double sf_h5o_seconds(void);
/* Closes st's variables and scratch file (removed unless borrowed) and
 * frees st; NULL does nothing. */
void sf_h5o_stream_free(stream *st);
/* Creates o's per-trial variables — in the results file, or with
 * --no-trials in a scratch file beside it — with file access list fapl
 * and chunks of chunk_rows rows; grow: they start empty and grow wave by
 * wave, else at the run's full size. */
SF_MUST_CHECK
int sf_h5o_stream_begin(sf_h5_out *o, const sf_results *res,
                        const sf_h5_meta *meta, hid_t fapl, size_t chunk_rows,
                        bool grow, sf_error *err);
/* A streamed write failed: the file being written, and the likely why
 * (returns SF_ERR_HDF5). */
int sf_h5o_write_failed(const sf_h5_out *o, sf_error *err);

/* The time now as "YYYY-MM-DDTHH:MM:SSZ". */
void sf_h5o_utc_now(char *buf, size_t n);
/* The CF history attribute: the earlier lines (or NULL), then
 * "<created> shortfall <version>: <command_line>"; malloc'd, or NULL. */
char *sf_h5o_history(const char *earlier, const char *created,
                     const char *command_line);
/* The attributes of a run: on the root of a results file, on a variant's
 * group of a batch file. */
SF_MUST_CHECK
int sf_h5o_write_root(hid_t f, const sf_results *res, const sf_h5_meta *meta);
/* A scenario's group (named `name`) with one subgroup per policy mix;
 * st: per-trial variables already streamed (or NULL); group_out (if not
 * NULL) receives the open group. */
SF_MUST_CHECK
int sf_h5o_write_scenario_group(hid_t parent, const char *name,
                                const sf_results *res, const sf_h5_meta *meta,
                                const stream *st, hid_t *group_out);
/* Closes the file and moves it to its final name; on failure (ret != 0
 * or now) removes the temporary file and says why. */
SF_MUST_CHECK
int sf_h5o_finish(sf_h5_out *o, int ret, sf_error *err);
/* Creates the HDF5 file under o's temporary name. */
SF_MUST_CHECK
int sf_h5o_create_file(sf_h5_out *o, sf_error *err);

#endif
