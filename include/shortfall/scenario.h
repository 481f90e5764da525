/*
 * scenario.h — a scenario file as validated, immutable structs.
 *
 * The loader (sim/config*.c) fills an sf_scenario from YAML
 * (docs/scenarios.md is the reference); every name has been resolved to an
 * index, every "_months" amount converted to units, every default applied.
 * Nothing here is changed after loading.  Indices are 0-based; -1 means
 * "none".  Freeing, the names and the look-ups below are sim/scenario.c,
 * which needs nothing of the loader.
 */
#ifndef SHORTFALL_SCENARIO_H
#define SHORTFALL_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "../shortfall.h"

/* The most quantile levels a run records (scenario key quantiles, run
 * --quantiles). */
#define SF_MAX_QUANTILES 32

/* Where something was written in the scenario file (1-based). */
typedef struct {
    int line;
    int col;
} sf_loc;

/* A probability distribution, sampled with gsl_ran_* (models/distributions.c).
 * Parameters by kind:
 *   FIXED       p[0] = value
 *   UNIFORM     p[0] = min,    p[1] = max
 *   EXPONENTIAL p[0] = mean
 *   LOGNORMAL   p[0] = median, p[1] = sigma
 *   GAMMA       p[0] = shape,  p[1] = scale
 *   BETA        p[0] = a,      p[1] = b
 *   WEIBULL     p[0] = scale,  p[1] = shape
 *   TRIANGULAR  p[0] = min,    p[1] = mode, p[2] = max */
typedef enum {
    SF_DIST_FIXED,
    SF_DIST_UNIFORM,
    SF_DIST_EXPONENTIAL,
    SF_DIST_LOGNORMAL,
    SF_DIST_GAMMA,
    SF_DIST_BETA,
    SF_DIST_WEIBULL,
    SF_DIST_TRIANGULAR
} sf_dist_kind;

#define SF_DIST_KIND_COUNT 8

typedef struct {
    sf_dist_kind kind;
    double p[3];
} sf_dist;

/* A set of countries: every country (all = true), or a sorted list of
 * indices into sf_scenario.countries without duplicates. */
typedef struct {
    bool all;
    size_t n;
    int *idx;
} sf_country_set;

typedef struct {
    char *name;
    sf_country_set members; /* never all */
    sf_loc loc;
} sf_bloc;

typedef struct {
    char *id;
    char *unit;
    double price;                   /* reference price P, default 1 */
    /* sigma, default 3 (tariff_elasticity is its version-1 name) */
    double substitution_elasticity;
    double demand_elasticity;       /* -1: by buyer kind (0.2 / 0.1) */
    double supply_elasticity;       /* beta, default 1 */
    double price_cap;               /* M, default 10 */
    /* Lasting substitution away from the commodity (docs/model.md):
     * sub_elasticity 0 = none; adjust and revert months >= 1. */
    double sub_elasticity, sub_adjust_months, sub_revert_months;
    sf_loc loc;
} sf_commodity;

typedef enum {
    SF_NODE_MINE,
    SF_NODE_REFINER,
    SF_NODE_PLANT,
    SF_NODE_DEMAND
} sf_node_kind;

#define SF_NODE_KIND_COUNT 4

typedef struct {
    char *id;
    sf_node_kind kind;
    int country; /* index into sf_scenario.countries */
    int input;   /* commodity index; -1 for mines */
    int output;  /* commodity index; -1 for demand nodes */
    /* producers (mine, refiner, plant) */
    double capacity;            /* output units per year */
    double output_stock_cap;    /* units, default 0 */
    /* converters (refiner, plant) */
    double yield;               /* output per input unit, default 1 */
    double input_buffer_months; /* default 1 */
    double initial_input_stock; /* units, default the buffer target */
    /* demand */
    double demand;     /* units per year at t = 0 */
    double growth;     /* fraction per year, default 0 */
    double volatility; /* sigma of the monthly lognormal factor, default 0 */
    double inventory_months;        /* private stock, default 0 */
    double inventory_refill_months; /* default 12 */
    double release_price; /* multiple of P above which stocks release, 1.5 */
    /* producers: exit and restart (docs/model.md, "Producers that
     * exit"); unit_cost 0: the producer never exits */
    double unit_cost;         /* currency per unit of output */
    int exit_after_months;    /* default 12 */
    int restart_months;       /* default 24 */
    /* buyers (converters, demand): short-run price elasticity, resolved
     * from the commodity's demand_elasticity or the kind's default */
    double elasticity;
    /* -1 for a node of the scenario's nodes: list; otherwise the index of
     * the first policy whose new_capacity intervention defines it. */
    int defined_by_policy;
    sf_loc loc;
} sf_node;

typedef struct {
    int from; /* node index (a supplier) */
    int to;   /* node index (a buyer of the supplier's output) */
    double weight;
    bool weight_given; /* false: weight = supplier capacity */
    sf_loc loc;
} sf_link;

typedef enum {
    SF_SHOCK_EXPORT_RESTRICTION,
    SF_SHOCK_TARIFF,
    SF_SHOCK_OUTAGE,
    SF_SHOCK_SURGE /* capacity raised: a flood of supply */
} sf_shock_kind;

#define SF_SHOCK_KIND_COUNT 4

/* Outages and surges act on nodes (capacity factor 1 - s or 1 + s);
 * restrictions and tariffs on links. */
static inline bool sf_shock_on_nodes(sf_shock_kind k)
{
    return k == SF_SHOCK_OUTAGE || k == SF_SHOCK_SURGE;
}

/* A shock, or a policy tariff (defined_by_policy >= 0).  Policy tariffs
 * share the shocks' id space so that triggers can name them. */
typedef struct {
    char *id;
    sf_shock_kind kind;
    /* export_restriction: exporter, targets (all = every foreign
     * country), except; tariff: importer, exporter. */
    sf_country_set exporter;
    sf_country_set targets;
    sf_country_set except;
    sf_country_set importer;
    bool all_commodities; /* commodities: all */
    size_t n_commodities;
    int *commodities;
    /* outage: explicit nodes, or countries with an optional node kind */
    size_t n_nodes;
    int *nodes;
    sf_country_set country; /* n == 0 and !all when nodes are given */
    int node_kind;          /* sf_node_kind or -1 for any */
    /* severity (restriction, outage; default fixed 1) or rate (tariff) */
    sf_dist severity;
    /* timing */
    bool scheduled;
    int start_month;     /* scheduled */
    int duration_months; /* scheduled */
    double hazard_per_year;
    sf_dist duration; /* hazard-driven: episode length, months */
    int defined_by_policy;
    sf_loc loc;
} sf_shock;

typedef struct {
    size_t n_states;
    char **states;
    int start;
    double *transition; /* n_states x n_states, row-major, rows sum to 1 */
    double *multiplier; /* n_states x n_shocks, default 1 */
    sf_loc loc;
} sf_regimes;

typedef struct {
    int when;   /* shock index */
    int raises; /* shock index */
    double factor;
    sf_loc loc;
} sf_trigger;

typedef enum {
    SF_IV_STOCKPILE,
    SF_IV_OFFTAKE,
    SF_IV_NEW_CAPACITY,
    SF_IV_RECYCLING,
    SF_IV_DEMAND_REDUCTION,
    SF_IV_TARIFF,
    SF_IV_HAZARD_MULTIPLIER,
    SF_IV_PRICE_FLOOR
} sf_iv_kind;

#define SF_IV_KIND_COUNT 8

typedef struct {
    sf_iv_kind kind;
    /* stockpile, recycling, demand_reduction: a demand node;
     * new_capacity: the node it defines; offtake: the buyer;
     * price_floor: the producer */
    int node;
    /* stockpile (all in units; "_months" keys converted at load) */
    double initial;
    double capacity;    /* default initial */
    double max_release; /* units per month, default INFINITY */
    double refill;      /* units per month, default 0 */
    double release_price; /* multiple of P, default the node's */
    /* offtake */
    int supplier;
    double share; /* offtake, recycling, demand_reduction */
    /* new_capacity */
    sf_dist lead_time; /* months */
    double ramp_months; /* new_capacity, recycling; default 0 */
    double completion_probability; /* default 1 */
    /* Costs (docs/model.md, "What policies cost"), in the scenario's
     * currency; all default 0 but holding_cost. */
    double holding_cost;     /* stockpile: fraction of P per unit-year, 0.02 */
    double premium;          /* offtake: fraction of the price shipped */
    double capex;            /* new_capacity: per unit of yearly capacity */
    double subsidy_per_unit; /* new_capacity: per unit produced */
    double cost_per_unit;    /* recycling, demand_reduction: per unit */
    double floor;            /* price_floor: currency per unit */
    /* tariff: the shock it defines; hazard_multiplier: the shock scaled */
    int shock;
    double factor; /* hazard_multiplier */
    sf_loc loc;
} sf_intervention;

typedef struct {
    char *name;
    size_t n_interventions;
    sf_intervention *interventions;
    sf_loc loc;
} sf_policy;

typedef struct {
    char *file; /* path as given, used in messages */
    char *text; /* the whole file, for provenance */
    size_t text_len;
    char *name;
    char *description; /* "" when absent */
    char *currency;    /* "USD" when absent */
    double discount_rate; /* per year, default 0.03 */
    char *start; /* calendar month of month 0, "YYYY-MM"; "" when absent */
    /* Quantile levels of the statistics (key quantiles); n_quantiles 0
     * when absent (the run's default levels, sf_default_quantiles). */
    size_t n_quantiles;
    double quantiles[SF_MAX_QUANTILES];
    int horizon_months; /* default 60 */
    long long trials;   /* default 10000 */
    unsigned long long seed; /* default 1 */

    size_t n_countries;
    char **countries; /* sorted, unique country codes */
    size_t n_blocs;
    sf_bloc *blocs;
    size_t n_commodities;
    sf_commodity *commodities;
    /* The scenario's nodes first (defined_by_policy == -1), then the
     * nodes that new_capacity interventions define, in policy order. */
    size_t n_nodes;
    sf_node *nodes;
    size_t n_links;
    sf_link *links;
    /* The scenario's shocks first, then policy tariffs in policy order. */
    size_t n_shocks;
    sf_shock *shocks;
    bool has_regimes;
    sf_regimes regimes;
    size_t n_triggers;
    sf_trigger *triggers;
    /* At least one; the first is the baseline (named "baseline" and empty
     * when the file has no policies: key). */
    size_t n_policies;
    sf_policy *policies;
} sf_scenario;

/* Reads and validates a scenario file.  On failure returns a negative
 * SF_ERR_* code, err holds "file:line:col: key.path: message", and the
 * scenario is left safe to pass to sf_scenario_free. */
SF_MUST_CHECK
int sf_scenario_load(sf_scenario *sc, const char *path, sf_error *err);

/* The same from text in memory; name is used in messages. */
SF_MUST_CHECK
int sf_scenario_load_string(sf_scenario *sc, const char *text, size_t len,
                            const char *name, sf_error *err);

void sf_scenario_free(sf_scenario *sc);

/* What is wrong with n quantile levels q — none (n == 0), more than
 * SF_MAX_QUANTILES, one outside [0, 1] (or NaN), or one not above the one
 * before — as a message in why (*bad: the index of the level at fault, or
 * -1 for the list as a whole); NULL if they are fine. */
const char *sf_quantiles_problem(const double *q, size_t n, char *why,
                                 size_t size, long *bad);
/* Frees what a shock owns (its id, country sets and lists) and zeroes it. */
void sf_shock_free(sf_shock *s);

/* The kinds' names as scenario files write them, indexed by kind. */
extern const char *const sf_node_kind_names[SF_NODE_KIND_COUNT];
extern const char *const sf_shock_kind_names[SF_SHOCK_KIND_COUNT];
extern const char *const sf_iv_kind_names[SF_IV_KIND_COUNT];
extern const char *const sf_dist_kind_names[SF_DIST_KIND_COUNT];

/* Names for messages and output ("?" for a kind out of range). */
const char *sf_node_kind_name(sf_node_kind kind);
const char *sf_shock_kind_name(sf_shock_kind kind);
const char *sf_iv_kind_name(sf_iv_kind kind);
const char *sf_dist_kind_name(sf_dist_kind kind);

/* Index lookups by id; -1 when absent. */
int sf_scenario_node_index(const sf_scenario *sc, const char *id);
int sf_scenario_commodity_index(const sf_scenario *sc, const char *id);
int sf_scenario_shock_index(const sf_scenario *sc, const char *id);
int sf_scenario_policy_index(const sf_scenario *sc, const char *name);
/* The policy mix whose name is nearest a misspelt one, when it is near
 * enough to suggest (as the loader suggests keys); else NULL. */
const char *sf_scenario_policy_nearest(const sf_scenario *sc, const char *name);

/* True when set contains country c. */
bool sf_country_set_has(const sf_country_set *set, int c);

#endif
