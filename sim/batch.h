/*
 * batch.h — batch files: scenario files times parameter sweeps
 * (sim/batch.c; the format is docs/batches.md).
 */
#ifndef SHORTFALL_BATCH_H
#define SHORTFALL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shortfall/scenario.h"

typedef struct {
    char *path;      /* key path in the scenario, e.g. shocks[x].hazard_per_year */
    size_t n_values;
    double *values;
    sf_loc loc;      /* of the path in the batch file */
} sf_sweep;

typedef struct {
    char *name;
    size_t n_scenarios;
    char **scenarios; /* paths, relative to the batch file resolved */
    size_t n_sweeps;
    sf_sweep *sweeps;
    bool zip;          /* combine: zip (else grid) */
    long long trials;  /* -1: each scenario's */
    bool seed_given;
    uint64_t seed;
} sf_batch;

/* True when the text is a YAML mapping with a top-level `batch` key. */
bool sf_batch_detect(const char *text, size_t len);

SF_MUST_CHECK
int sf_batch_load(sf_batch *b, const char *text, size_t len, const char *file,
                  sf_error *err);
void sf_batch_free(sf_batch *b);

/* Combinations of swept values per scenario, and value k of combination i
 * (grid: the last sweep varies fastest). */
size_t sf_batch_combinations(const sf_batch *b);
double sf_batch_value(const sf_batch *b, size_t combo, size_t k);

/* The scenario text with combination `combo` applied (YAML re-emitted;
 * comments are not kept).  On failure *problem says what went wrong and,
 * for a path that does not resolve, *bad_sweep which sweep. */
SF_MUST_CHECK
int sf_batch_variant_text(const sf_batch *b, const char *scen_text,
                          size_t len, size_t combo, char **out,
                          const char **problem, size_t *bad_sweep);

/* A whole file as a string (at most 64 MiB); NULL and err on failure. */
char *sf_batch_read_text(const char *path, size_t *len, sf_error *err);

/* The variants of a batch, in order: variant s * combos + c is scenario
 * file s with combination c of the sweeps. */
typedef struct {
    size_t n;
    char **texts;           /* the scenario text with the combination applied */
    char **groups;          /* result group names: <scenario name>-<c>, or the
                               scenario name when nothing is swept */
    const char **scenarios; /* the scenario file of each (in the sf_batch) */
    double *values;         /* [variant * n_sweeps + sweep] */
    /* One line per scenario file, "<path> fnv1a64:<hash of its text>", so
     * that parts of a batch run at different times can be checked to have
     * read the same files. */
    char *sources;
} sf_batch_variants;

/* Reads every scenario file of the batch (`file`, the batch file's name,
 * is used in messages) and makes every variant's text and group name.  A
 * sweep path that does not resolve, or two variants with one name, is an
 * error before any trial runs. */
SF_MUST_CHECK
int sf_batch_expand(const sf_batch *b, const char *file, sf_batch_variants *v,
                    sf_error *err);
void sf_batch_variants_free(sf_batch_variants *v);

/* The unit of the value at a sweep's key path in a scenario, by the rule
 * of docs/batches.md ("Units of swept values"): from the last key of the
 * path (hazard_per_year: 1/year; ..._months: months; a node's capacity:
 * its output's unit per year; ...), or "" when the rule does not know
 * the key or the path does not resolve in sc. */
void sf_sweep_unit(const sf_scenario *sc, const char *path, char *buf,
                   size_t n);

/* Short names of n sweeps, for columns: each path's last key (with the
 * key of the distribution for a distribution's parameter:
 * "duration_months.median"), lengthened by the parts before it
 * ("cn_controls.hazard_per_year") while two names would be the same.
 * names[k] are malloc'd; 0, or SF_ERR_NOMEM with none allocated. */
SF_MUST_CHECK
int sf_sweep_names(size_t n, const char *const *paths, char **names);

#endif
