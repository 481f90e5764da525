/*
 * costs.h — what a policy mix costs the public purse (docs/model.md,
 * "What policies cost"): per trial, the discounted cost of each kind of
 * intervention, and the tariff revenue each importing region's state
 * collects.  Pure accounting over the market's monthly results; no
 * randomness of its own.
 */
#ifndef SHORTFALL_COSTS_H
#define SHORTFALL_COSTS_H

#include <stddef.h>

#include "market.h"

/* The kinds of intervention that cost money, in the order of the
 * results file's cost_kind coordinate; the last column is their total. */
typedef enum {
    SF_COST_STOCKPILE,
    SF_COST_OFFTAKE,
    SF_COST_NEW_CAPACITY,
    SF_COST_RECYCLING,
    SF_COST_DEMAND_REDUCTION,
    SF_COST_PRICE_FLOOR,
    SF_COST_TOTAL,
    SF_COST_COLUMNS
} sf_cost_kind;

extern const char *const sf_cost_kind_names[SF_COST_COLUMNS];

/* The discount factor of month t at `rate` a year: (1 + rate)^(-t / 12).
 * Flows of month t are discounted by it; month 0 is not discounted. */
double sf_discount(double rate, double t);

/* What the month loop hands the accounting besides the market's state:
 * each project's lead time this trial (per node, as sf_project_sample
 * draws it) and each demand node's need before demand reduction. */
typedef struct {
    const int *lead;
    const double *gross_need;
} sf_cost_inputs;

/* Start of a trial: cost[SF_COST_COLUMNS] and revenue[n_regions] zeroed,
 * and the stockpiles' initial stock bought at the reference price. */
void sf_costs_start(const sf_model *m, const sf_policy_plan *pp,
                    double *cost, double *revenue);

/* Adds month t, after sf_market_month: refills at the price paid,
 * holding costs on the month's closing level, offtake premia, capital
 * spending and subsidies, recycling and demand-reduction costs, and
 * tariffs collected (revenue, per region of the importing buyer). */
void sf_costs_month(const sf_model *m, const sf_policy_plan *pp,
                    const sf_market_ws *w, const sf_cost_inputs *in, int t,
                    double *cost, double *revenue);

/* End of a trial of n_months: the stockpiles' closing levels credited at
 * the reference price, discounted from the end of the horizon, and the
 * total column filled. */
void sf_costs_end(const sf_model *m, const sf_policy_plan *pp,
                  const sf_market_ws *w, int n_months, double *cost);

#endif
