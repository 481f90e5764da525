/*
 * run_internal.h — what the parts of `shortfall run` share (not installed):
 *
 *   sim/cli/run.c        a scenario's run: set-up (fresh or resumed),
 *                        execution (serial or MPI), report; progress,
 *                        signals, the summary file
 *   sim/cli/run_args.c   the options, their checks and the trial range
 *   sim/cli/run_batch.c  a batch file's run, whole or as a part
 */
#ifndef SHORTFALL_RUN_INTERNAL_H
#define SHORTFALL_RUN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "shortfall/scenario.h"

#define MAX_POLICY_ARGS 256

typedef enum { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER } progress_mode;

typedef struct {
    const char *scenario;
    const char *resume;
    const char *output;
    long long n_trials; /* -1: the scenario's */
    bool seed_given;
    uint64_t seed;
    int threads;
    bool force;
    bool no_trials;
    uint64_t n_paths;
    uint64_t stats_memory; /* bytes; 0: SF_STATS_MEMORY */
    bool trials_given; /* --trials A:B */
    uint64_t trial_a, trial_b;
    bool shard_given; /* --shard I/S */
    uint64_t shard_i, shard_n;
    const char *variant; /* --variant I or NAME (batches) */
    double target_rse; /* 0: none */
    const char *target_unit;
    progress_mode progress;
    bool summary_given; /* --summary csv|json */
    sf_summary_format summary;
    size_t n_policy_names;
    const char *policy_names[MAX_POLICY_ARGS];
    size_t n_quantiles; /* --quantiles; 0: not given */
    double quantiles[SF_MAX_QUANTILES];
} run_args;

/* --- run_args.c --- */

/* 0 to go on, -1 after --help, or an exit code. */
int sf_run_parse_args(int argc, char **argv, run_args *ra);
/* A whole number 0 .. 2^64-1 in decimal; false for anything else. */
bool sf_run_parse_u64(const char *s, uint64_t *out);
/* Prints "shortfall run: " and fmt with value (NULL: ""); SF_EXIT_USAGE. */
int sf_run_usage_error(const char *fmt, const char *value);
/* The trials to run of a scenario or batch variant (`what`, for
 * messages) that has `total`: all of them, --trials A:B, or --shard I/S.
 * Returns 0, or prints why not and returns SF_EXIT_USAGE. */
int sf_run_trial_range(const run_args *ra, const char *what, uint64_t total,
                       uint64_t *first, uint64_t *count);

/* Quantile levels as "0.05,0.5,0.95" (each as short as reads back
 * exactly), into buf of size bytes (at least 32 per level). */
void sf_run_format_levels(char *buf, size_t size, const double *q, size_t n);
/* The levels a run of scenario sc uses: --quantiles, else the scenario's
 * quantiles key, else the default levels. */
void sf_run_levels(const run_args *ra, const sf_scenario *sc,
                   const double **q, size_t *n);

/* --- run.c --- */

/* The baseline, then the --policy mixes (each once), or else every mix;
 * policies must hold MAX_POLICY_ARGS + 1.  0, or prints why not and
 * returns SF_EXIT_USAGE. */
int sf_run_resolve_policies(const sf_scenario *sc, const run_args *ra,
                            int *policies, size_t *n_pol);
/* A clean stop on SIGINT and SIGTERM (sim/cleanup.c). */
void sf_run_install_handlers(void);
/* Where --summary writes for results file `results` (*out, NULL without
 * --summary); an existing file there is refused, before any trial runs,
 * unless the results file may be replaced too. */
int sf_run_summary_target(const run_args *ra, const char *results,
                          bool replace, char **out, sf_error *err);
/* Writes the summary of the results file just written (none if out is
 * NULL); prints why not and returns an exit code on failure. */
int sf_run_write_summary(const run_args *ra, const char *results,
                         const char *out);

/* --- run_batch.c --- */

/* Runs a batch file (its text btext, blen bytes): every variant, or the
 * part --variant, --trials or --shard ask for; returns the exit code. */
int sf_run_batch(const run_args *ra, const char *btext, size_t blen,
                 const char *cmdline);

#endif
