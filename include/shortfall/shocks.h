/*
 * shocks.h — a trial's random history: the regime path, every shock's
 * episodes, and new facilities' lead times and completion.
 *
 * Every draw comes from a keyed stream (include/shortfall/rng.h), so a
 * history is a pure function of (seed, trial, model, policy plan).  Mixes
 * with the same hazards get the same history; mixes that change a hazard
 * still use the same onset uniforms, month by month.
 */
#ifndef SHORTFALL_SHOCKS_H
#define SHORTFALL_SHOCKS_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "policy.h"
#include "rng.h"

typedef struct {
    int n_months;
    size_t n_shocks;
    int *regime; /* per month; all 0 without regimes */
    /* level[t * n_shocks + k]: severity (restriction, outage) or rate
     * (tariff) of shock k in month t while active, 0 while inactive;
     * active[] says which. */
    double *level;
    unsigned char *active;
    /* onset[t * n_shocks + k]: an episode of shock k begins in month t. */
    unsigned char *onset;
    /* changed[t]: month t's row of level/active differs from month t-1's,
     * or an episode begins (always true for t = 0). */
    unsigned char *changed;
    /* Scratch for the sampler. */
    int *episode_end;
    double *episode_level;
} sf_shock_history;

SF_MUST_CHECK
int sf_shock_history_init(sf_shock_history *h, int n_months, size_t n_shocks);
void sf_shock_history_free(sf_shock_history *h);

/* The regime path of a trial (shared by every mix). */
void sf_regime_sample(const sf_model *m, sf_rng *rng, uint64_t seed,
                      uint64_t trial, sf_shock_history *h);

/* The shock episodes of a trial under a mix's hazards; h->regime must have
 * been filled by sf_regime_sample. */
void sf_shocks_sample(const sf_model *m, const sf_policy_plan *pp,
                      sf_rng *rng, uint64_t seed, uint64_t trial,
                      sf_shock_history *h);

/* A new facility's lead time (months) and whether it completes, for the
 * new_capacity intervention iv that builds node `node`. */
void sf_project_sample(const sf_intervention *iv, int node, sf_rng *rng,
                       uint64_t seed, uint64_t trial, int *lead_time,
                       bool *completes);

/* Its ramp factor in month t: min(1, max(0, (t - L + 1) / max(1, ramp))). */
double sf_project_ramp(int lead_time, double ramp_months, int t);

#endif
