/*
 * h5file.h — the results file: writing a run's results to HDF5 (netCDF-4
 * conventions, so xarray opens every group), and reading one back for
 * `shortfall info` and `shortfall run --resume`.  The layout is
 * docs/output.md.
 */
#ifndef SHORTFALL_H5FILE_H
#define SHORTFALL_H5FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

#define SF_FORMAT_VERSION 2
/* The most monthly paths a run keeps (run --paths); a file with more is
 * damaged. */
#define SF_MAX_PATHS 1000000

/* What the writer records besides the results. */
typedef struct {
    const char *command_line;
    const char *git_commit;
    int ranks;
    bool write_trials; /* false: --no-trials */
    double target_rse;       /* --target-rse, 0 if none */
    const char *target_unit; /* its unit, "world" by default */
    /* The attribute history (CF): these earlier lines (a resumed run's,
     * merged parts'; NULL: none), then "<created> shortfall <version>:
     * <command_line>". */
    const char *history;
    const char *created; /* UTC ISO time of the file; NULL: now */
} sf_h5_meta;

/* A file being written: created under a temporary name in the target's
 * directory when the run starts (so an unwritable place fails before any
 * work), filled and renamed into place when the run ends. */
typedef struct {
    char *path;     /* final name */
    char *tmp_path; /* temporary name, removed on failure */
    bool force;     /* replace an existing file */
    int64_t file;   /* the open HDF5 file while writing, else -1 */
    void *stream;   /* per-trial rows being streamed (sf_h5_out_stream) */
    bool borrowed;  /* an MPI rank other than 0: never removes the files */
    double stream_seconds; /* spent writing rows during the run */
} sf_h5_out;

/* Checks the target and creates the temporary file.  Fails with SF_ERR_IO
 * if the target exists and !force, or the directory is not writable. */
SF_MUST_CHECK
int sf_h5_out_open(sf_h5_out *o, const char *path, bool force, sf_error *err);

/* Writes the results (summarised) to the temporary file and renames it to
 * the final name.  On failure the temporary file is removed, nothing is
 * left under the final name that was not there before, and err says why. */
SF_MUST_CHECK
int sf_h5_out_write(sf_h5_out *o, const sf_results *res,
                    const sf_h5_meta *meta, sf_error *err);

/* Streaming a run's per-trial rows as it goes, so that memory does not
 * grow with the trials.  _begin (before the run, with results made by
 * sf_results_init with rows_done set) creates the per-trial variables —
 * in the results file, or with --no-trials (meta->write_trials false) in
 * a scratch file next to it that is removed at the end; _rows is the
 * engine's rows_done callback (ctx: the sf_h5_out); _column is
 * sf_results_summarise_columns' column reader (ctx: the sf_h5_out).
 * sf_h5_out_write then completes the file, cutting the per-trial
 * variables to the trials done. */
SF_MUST_CHECK
int sf_h5_out_stream_begin(sf_h5_out *o, const sf_results *res,
                           const sf_h5_meta *meta, sf_error *err);
SF_MUST_CHECK
int sf_h5_out_stream_rows(void *ctx, const sf_results *res, uint64_t from,
                          uint64_t to, sf_error *err);
SF_MUST_CHECK
int sf_h5_out_stream_column(void *ctx, const sf_results *res, size_t policy,
                            int what, size_t index, uint64_t first,
                            uint64_t count, double *out, sf_error *err);

#ifdef SF_MPI
/* MPI runs (sim/cli/mpi.c; written by sim/h5out_mpi.c).  Every rank
 * takes part: _begin_mpi creates the file (or the scratch file) on
 * MPI-IO with the per-trial variables; _rows_mpi writes rows [from, to)
 * of a rank's share, whose first row is
 * `offset` in the run, with one collective write per variable (a rank
 * with nothing left calls it with from == to); _end_mpi closes the file
 * collectively, and on rank 0 reopens it for the statistics and
 * sf_h5_out_write. */
SF_MUST_CHECK
int sf_h5_out_stream_begin_mpi(sf_h5_out *o, const sf_results *res,
                               const sf_h5_meta *meta, sf_error *err);
SF_MUST_CHECK
int sf_h5_out_stream_rows_mpi(sf_h5_out *o, const sf_results *share,
                              uint64_t offset, uint64_t from, uint64_t to,
                              sf_error *err);
SF_MUST_CHECK
int sf_h5_out_stream_end_mpi(sf_h5_out *o, const sf_results *res,
                             bool root, sf_error *err);
#endif

/* A batch file: root attributes and coordinates of the variants, then one
 * group per variant (a scenario group with the variant's provenance as its
 * attributes), then closed and renamed like a single run's file.
 *
 * A batch part (`run BATCH --variant I --trials A:B`) has the same root
 * and coordinates — those of the whole batch — but only the groups it ran,
 * over its trial range, and three more root attributes: part = 1,
 * run_options (the options that shape the results) and scenario_sources
 * (a fingerprint of each scenario file), which `merge` checks agree. */
typedef struct {
    const char *name, *file, *text; /* the batch */
    const char *command_line, *git_commit;
    size_t n_variants;
    const char *const *variants;  /* group names */
    const char *const *scenarios; /* scenario name of each variant */
    size_t n_sweeps;
    const char *const *sweep_paths;
    const double *sweep_values; /* [variant * n_sweeps + sweep] */
    bool part;
    const char *run_options, *sources; /* parts only */
    const char *history; /* earlier lines of the root's history, or NULL */
    /* The design (docs/batches.md, "The file"): the root's design and
     * design_samples, each sweep_<k>'s attributes, and for sobol the
     * datasets design_matrix, design_base, design_column [variant]. */
    const char *design;              /* "grid", "zip", "lhs", "sobol" */
    uint64_t design_samples;         /* lhs, sobol: N; else 0 */
    const char *const *sweep_names;  /* [n_sweeps]: sf_sweep_names */
    const char *const *sweep_units;  /* [n_sweeps]: "" when not known */
    const bool *sweep_ranged;        /* [n_sweeps]: lo, hi and log apply */
    const double *sweep_lo, *sweep_hi;
    const bool *sweep_log;
    const char *const *design_matrix; /* sobol: [variant] "A", "AB", "B" */
    const int *design_base;           /* sobol: [variant] base point j */
    const int *design_column;         /* sobol: [variant] sweep from B, or -1 */
} sf_h5_batch;

SF_MUST_CHECK
int sf_h5_batch_begin(sf_h5_out *o, const sf_h5_batch *b, sf_error *err);
/* batch_trials: in a part, the variant's trials in the whole batch (its
 * group's attribute batch_trials, what `merge` checks the parts cover);
 * 0 in a whole batch file. */
SF_MUST_CHECK
int sf_h5_batch_add(sf_h5_out *o, const char *variant, const sf_results *res,
                    const sf_h5_meta *meta, const double *values,
                    size_t n_sweeps, uint64_t batch_trials, sf_error *err);
SF_MUST_CHECK
int sf_h5_batch_end(sf_h5_out *o, sf_error *err);

/* Removes the temporary file if it is still there; frees the names. */
void sf_h5_out_close(sf_h5_out *o);

/* What a results file says about its run. */
typedef struct {
    char *scenario_text;
    char *scenario_file;
    char *scenario_name;
    char *group; /* the group of the policy groups: the scenario name, or
                    a batch variant's group */
    char *version;
    uint64_t seed, n_trials, n_done, first_trial, n_paths;
    int threads;
    double wall_seconds;
    sf_solver_stats solver; /* all 0 in a file from before market v2 */
    bool complete;
    bool has_trials;
    double target_rse; /* 0: the run had no precision target */
    char *target_unit;
    char *history; /* the run's CF history; NULL in older files */
    size_t n_policies;
    char **policy_names; /* in file order; the baseline first */
    size_t n_sweeps;     /* a batch variant: its swept values, from the */
    double *sweeps;      /* group's sweep_<k> attributes; else 0, NULL */
    /* The quantile levels of the statistics (the quantile coordinate). */
    size_t n_quantiles;
    double quantiles[SF_MAX_QUANTILES];
} sf_h5_info;

/* The most sweep_<k> attributes a variant's group may carry. */
#define SF_MAX_SWEEPS 1024

/* Opens a results file and reads its root attributes and policy list.
 * A file that is not shortfall's, is of another format version, or is
 * damaged gives a clear error (SF_ERR_IO for unreadable, SF_ERR_FORMAT for
 * the rest). */
SF_MUST_CHECK
int sf_h5_read_info(const char *path, sf_h5_info *info, sf_error *err);

void sf_h5_info_free(sf_h5_info *info);

/* A batch file or part: its root, and each variant group it holds read
 * as a single run's file would be (sf_h5_info.group is the variant). */
typedef struct {
    char *version;
    char *name, *file, *text; /* batch_name, batch_file, batch_text */
    bool part;
    char *run_options, *sources; /* parts only */
    char *history;               /* the root's; NULL in older files */
    size_t n_variants;           /* of the whole batch */
    char **variants, **scenarios; /* its variant and scenario coordinates */
    size_t n_groups;             /* variant groups in this file */
    sf_h5_info *groups;
    uint64_t *batch_trials;      /* [group]: parts only */
} sf_h5_batch_info;

/* True if path is a shortfall file of kind "batch" (false for anything
 * unreadable, which the reader then reports). */
bool sf_h5_is_batch(const char *path);
SF_MUST_CHECK
int sf_h5_read_batch_info(const char *path, sf_h5_batch_info *bi,
                          sf_error *err);
void sf_h5_batch_info_free(sf_h5_batch_info *bi);

/* The scenario's index of each policy group of the file (policies must
 * hold info->n_policies); a group the scenario does not have, or a
 * baseline that is not first, is SF_ERR_FORMAT. */
SF_MUST_CHECK
int sf_h5_policy_indices(const sf_scenario *sc, const sf_h5_info *info,
                         const char *path, int *policies, sf_error *err);

/* Reads the summary statistics of every policy into results made with
 * sf_results_init for the same model and policies (for `info`). */
SF_MUST_CHECK
int sf_h5_read_summaries(const char *path, const sf_h5_info *info,
                         sf_results *res, sf_error *err);

/* Reads per-trial rows, monthly accumulators and paths into such results,
 * setting n_done (for `--resume`). */
SF_MUST_CHECK
int sf_h5_read_trials(const char *path, const sf_h5_info *info,
                      sf_results *res, sf_error *err);

#endif
