/*
 * batch.h — batch files: scenario files times parameter sweeps
 * (sim/batch.c; the format is docs/batches.md).
 */
#ifndef SHORTFALL_BATCH_H
#define SHORTFALL_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shortfall/h5file.h"
#include "shortfall/scenario.h"

typedef struct {
    char *path;      /* key path in the scenario, e.g. shocks[x].hazard_per_year */
    size_t n_values; /* grid, zip: the values listed */
    double *values;
    bool ranged;     /* lhs, sobol: values: {range: [lo, hi], log: ...} */
    double lo, hi;
    bool log;        /* log-uniform between lo > 0 and hi */
    sf_loc loc;      /* of the path in the batch file */
} sf_sweep;

/* How the sweeps combine into variants (`combine`, docs/batches.md). */
typedef enum {
    SF_DESIGN_GRID = 0, /* every combination of the listed values */
    SF_DESIGN_ZIP,      /* the i-th values together */
    SF_DESIGN_LHS,      /* Latin hypercube of `samples` points */
    SF_DESIGN_SOBOL     /* Saltelli's design on a Sobol sequence */
} sf_design;

/* Sobol: GSL's sequence has at most 40 dimensions, the design uses two
 * per sweep.  Samples: at most this many for lhs and sobol. */
#define SF_SOBOL_MAX_SWEEPS 20
#define SF_DESIGN_MAX_SAMPLES 100000

typedef struct {
    char *name;
    size_t n_scenarios;
    char **scenarios; /* paths, relative to the batch file resolved */
    size_t n_sweeps;
    sf_sweep *sweeps;
    sf_design design;  /* combine */
    size_t samples;    /* lhs, sobol: `samples` */
    /* lhs, sobol: the design, [combination * n_sweeps + sweep], made by
     * sf_batch_load from the batch text alone (sim/design.c). */
    double *points;
    long long trials;  /* -1: each scenario's */
    bool seed_given;
    uint64_t seed;
} sf_batch;

/* "grid", "zip", "lhs" or "sobol". */
const char *sf_batch_design_name(const sf_batch *b);

/* Makes b->points for lhs and sobol (nothing for grid and zip): 0 or
 * SF_ERR_NOMEM.  lhs: for each sweep k, stratum perm_k[i] of N holds
 * sample i, at a uniform position inside it; the permutation and the
 * positions are drawn from the project's generator, streams (seed,
 * trial 0, SF_RNG_DESIGN, a = k, b = 0 and 1), seed the batch's `seed`
 * (0 when it gives none).  sobol: N points of GSL's Sobol sequence in 2k
 * dimensions (A: the first k, B: the last k), then per point j the
 * variants A_j, AB_j^(0) .. AB_j^(k-1) (A_j with sweep i's value from
 * B_j), B_j.  Unit values go to [lo, hi], linearly or in log space. */
SF_MUST_CHECK
int sf_design_make(sf_batch *b);

/* Sobol: what combination c is: matrix "A", "AB" or "B", the base point
 * j, and for "AB" the sweep whose value comes from B (else -1). */
void sf_design_sobol_role(const sf_batch *b, size_t c, const char **matrix,
                          int *base, int *column);

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

/* What a batch file records of its design beyond the swept values
 * (sf_h5_batch, docs/batches.md "The file"): each sweep's name, unit
 * (read in the first variant's scenario, as sf_sweep_unit gives it),
 * range; for sobol each variant's matrix, base point and column. */
typedef struct {
    size_t n_sweeps, n_variants;
    char **names, **units;
    bool *ranged, *log;
    double *lo, *hi;
    const char **matrix; /* sobol only, else NULL */
    int *base, *column;
} sf_batch_meta;

/* first_text: the first variant's scenario text (NULL or invalid: no
 * units).  0 or SF_ERR_NOMEM. */
SF_MUST_CHECK
int sf_batch_meta_make(const sf_batch *b, size_t n_variants,
                       const char *first_text, sf_batch_meta *m);
void sf_batch_meta_free(sf_batch_meta *m);
/* Points hb's design fields at b and m (which must outlive hb). */
void sf_batch_meta_h5(const sf_batch *b, const sf_batch_meta *m,
                      sf_h5_batch *hb);

#endif
