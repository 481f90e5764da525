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
int sf_batch_variant_text(const sf_batch *b, const char *scen_text,
                          size_t len, size_t combo, char **out,
                          const char **problem, size_t *bad_sweep);

#endif
