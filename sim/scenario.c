/*
 * scenario.c — what every layer needs of a loaded scenario, without the
 * loader: the names of the kinds, freeing, look-ups by id and country-set
 * membership.  models/ depends on this file (and on sim/error.c and
 * sim/rng.c) only, not on the YAML loader (sim/config*.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/scenario.h"

const char *const sf_node_kind_names[SF_NODE_KIND_COUNT] = {
    "mine", "refiner", "plant", "demand"};

const char *const sf_shock_kind_names[SF_SHOCK_KIND_COUNT] = {
    "export_restriction", "tariff", "outage", "surge"};

const char *const sf_iv_kind_names[SF_IV_KIND_COUNT] = {
    "stockpile",        "offtake", "new_capacity",     "recycling",
    "demand_reduction", "tariff",  "hazard_multiplier", "price_floor"};

const char *const sf_dist_kind_names[SF_DIST_KIND_COUNT] = {
    "fixed", "uniform", "exponential", "lognormal",
    "gamma", "beta",    "weibull",     "triangular"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sf_node_kind_name(sf_node_kind kind)
{
    return (unsigned)kind < COUNT(sf_node_kind_names) ? sf_node_kind_names[kind]
                                                   : "?";
}

const char *sf_shock_kind_name(sf_shock_kind kind)
{
    return (unsigned)kind < COUNT(sf_shock_kind_names) ? sf_shock_kind_names[kind]
                                                    : "?";
}

const char *sf_iv_kind_name(sf_iv_kind kind)
{
    return (unsigned)kind < COUNT(sf_iv_kind_names) ? sf_iv_kind_names[kind] : "?";
}

const char *sf_dist_kind_name(sf_dist_kind kind)
{
    return (unsigned)kind < COUNT(sf_dist_kind_names) ? sf_dist_kind_names[kind]
                                                   : "?";
}

static void free_cset(sf_country_set *s)
{
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}

void sf_shock_free(sf_shock *s)
{
    free(s->id);
    free_cset(&s->exporter);
    free_cset(&s->targets);
    free_cset(&s->except);
    free_cset(&s->importer);
    free_cset(&s->country);
    free(s->commodities);
    free(s->nodes);
    memset(s, 0, sizeof *s);
}

void sf_scenario_free(sf_scenario *sc)
{
    if (sc == NULL)
        return;
    free(sc->file);
    free(sc->text);
    free(sc->name);
    free(sc->description);
    free(sc->start);
    free(sc->currency);
    for (size_t i = 0; i < sc->n_countries; i++)
        free(sc->countries[i]);
    free(sc->countries);
    for (size_t i = 0; i < sc->n_blocs; i++) {
        free(sc->blocs[i].name);
        free(sc->blocs[i].members.idx);
    }
    free(sc->blocs);
    for (size_t i = 0; i < sc->n_commodities; i++) {
        free(sc->commodities[i].id);
        free(sc->commodities[i].unit);
    }
    free(sc->commodities);
    for (size_t i = 0; i < sc->n_nodes; i++)
        free(sc->nodes[i].id);
    free(sc->nodes);
    free(sc->links);
    for (size_t i = 0; i < sc->n_shocks; i++)
        sf_shock_free(&sc->shocks[i]);
    free(sc->shocks);
    for (size_t i = 0; i < sc->regimes.n_states; i++)
        free(sc->regimes.states[i]);
    free(sc->regimes.states);
    free(sc->regimes.transition);
    free(sc->regimes.multiplier);
    free(sc->triggers);
    for (size_t i = 0; i < sc->n_policies; i++) {
        free(sc->policies[i].name);
        free(sc->policies[i].interventions);
    }
    free(sc->policies);
    memset(sc, 0, sizeof *sc);
}

int sf_scenario_node_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_commodity_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_commodities; i++)
        if (strcmp(sc->commodities[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_shock_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_shocks; i++)
        if (strcmp(sc->shocks[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_policy_index(const sf_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_policies; i++)
        if (strcmp(sc->policies[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool sf_country_set_has(const sf_country_set *set, int c)
{
    size_t lo = 0, hi = set->n;

    if (set->all)
        return true;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->idx[mid] == c)
            return true;
        if (set->idx[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

const char *sf_quantiles_problem(const double *q, size_t n, char *why,
                                 size_t size, long *bad)
{
    *bad = -1;
    if (n == 0) {
        snprintf(why, size, "needs at least one quantile level");
        return why;
    }
    if (n > SF_MAX_QUANTILES) {
        snprintf(why, size, "at most %d quantile levels, got %zu",
                 SF_MAX_QUANTILES, n);
        return why;
    }
    for (size_t i = 0; i < n; i++) {
        *bad = (long)i;
        if (!(q[i] >= 0.0 && q[i] <= 1.0)) {
            snprintf(why, size, "a quantile level must be in [0, 1], got %g",
                     q[i]);
            return why;
        }
        if (i > 0 && !(q[i] > q[i - 1])) {
            snprintf(why, size,
                     "quantile levels must be strictly increasing, got %g "
                     "after %g",
                     q[i], q[i - 1]);
            return why;
        }
    }
    *bad = -1;
    return NULL;
}
