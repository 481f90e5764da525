/*
 * cli.h — the command line: options of each subcommand, and the
 * subcommands themselves.  Only sim/cli/main.c and these files print.
 */
#ifndef SHORTFALL_CLI_H
#define SHORTFALL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "batch.h"
#include "shortfall/engine.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

/* Exit codes (docs/cli.md). */
enum {
    SF_EXIT_OK = 0,
    SF_EXIT_USAGE = 1,
    SF_EXIT_INPUT = 2,
    SF_EXIT_IO = 3,
    SF_EXIT_INTERRUPTED = 130
};

/* The exit code for a library error code. */
int sf_exit_code(int err_code);

int sf_cmd_check(int argc, char **argv);
int sf_cmd_run(int argc, char **argv);
int sf_cmd_info(int argc, char **argv);
int sf_cmd_merge(int argc, char **argv);

/* The summary table of a run (sim/cli/summary.c). */
void sf_print_summary(FILE *f, const sf_results *res);

/* Summaries of a results file (sim/cli/summary.c; docs/cli.md): the table, or
 * one CSV or JSON record per mix and region (and variant). */
typedef enum {
    SF_SUMMARY_TABLE,
    SF_SUMMARY_CSV,
    SF_SUMMARY_JSON
} sf_summary_format;

/* One run: a single run's results, or one variant's of a batch. */
typedef struct {
    const sf_results *res; /* summarised; res->model->sc is its scenario */
    const char *variant;   /* the variant's group; NULL for a single run */
    const char *scenario_file;
    uint64_t batch_trials;      /* a part: the variant's trials in the batch */
    const double *sweep_values; /* [n_sweeps] */
    char **sweep_units;         /* [n_sweeps]; "" when not known */
} sf_summary_run;

typedef struct {
    const char *file;    /* the results file */
    const char *version; /* of the shortfall that wrote it */
    /* Batches: */
    const char *batch_name, *batch_file;
    size_t n_variants; /* of the whole batch */
    bool part;
    size_t n_sweeps;
    const char *const *sweep_paths;
    char **sweep_names; /* sf_sweep_names */
    size_t n_runs;
    const sf_summary_run *runs;
} sf_summary_set;

void sf_summary_write(FILE *f, const sf_summary_set *s, sf_summary_format fmt);

/* The money part of a summary (sim/cli/summary_costs.c): the cost table,
 * and the cost fields of mix p's record in region r (r == n_regions: the
 * world) — public_cost and its se, tariff_revenue (the region's; the
 * world's is the sum over regions), cost_per_avoided and its se (NaN for
 * the baseline and where nothing is avoided). */
#define SF_COST_FIELDS 5
extern const char *const sf_cost_fields[SF_COST_FIELDS];
void sf_write_cost_table(FILE *f, const sf_summary_set *s);
void sf_cost_values(const sf_results *res, size_t p, size_t r,
                    double v[SF_COST_FIELDS]);

/* "table", "csv" or "json" as an sf_summary_format; -1 for anything else. */
int sf_summary_format_parse(const char *s);

/* A results file read for its summaries (sim/cli/info.c): every run or
 * variant it holds, with its scenario, model and summary statistics. */
typedef struct {
    sf_summary_set set;
    bool is_batch;
    sf_h5_info single;
    sf_h5_batch_info bi;
    size_t n;
    sf_scenario *sc;
    sf_model *m;
    sf_results *res;
    sf_summary_run *runs;
    const char **sweep_paths;
    char **sweep_names;
    sf_batch batch; /* parsed from the file's batch_text: the sweeps */
} sf_summary_file;

SF_MUST_CHECK
int sf_summary_file_load(sf_summary_file *sf, const char *path, sf_error *err);
void sf_summary_file_free(sf_summary_file *sf);

/* Where `run --summary FMT` writes: the results file's name with ".h5"
 * replaced by (or, without it, followed by) ".summary.csv" or
 * ".summary.json"; malloc'd, NULL if out of memory. */
char *sf_summary_path(const char *results, sf_summary_format fmt);

/* Reads results file `results` and writes its summary in fmt to out,
 * under a temporary name renamed into place when complete. */
SF_MUST_CHECK
int sf_summary_file_write(const char *results, const char *out,
                          sf_summary_format fmt, sf_error *err);

#endif
