/*
 * policy.h — a policy mix compiled against the model: per-node and
 * per-shock arrays that the month loop reads instead of walking the list
 * of interventions.
 */
#ifndef SHORTFALL_POLICY_H
#define SHORTFALL_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

typedef struct {
    int from, to, link; /* supplier, buyer, and their link (-1: none) */
    double share;
    double premium; /* fraction of the supplier's price the state pays */
} sf_offtake;

typedef struct {
    int index; /* policy index in the scenario */
    /* Shocks: whether a shock exists in this mix (scenario shocks always;
     * a policy tariff only in the mixes that impose it), and the product
     * of the mix's hazard multipliers on it. */
    bool *shock_on;
    double *hazard_mult;
    /* Mixes with the same shock_on and hazard_mult see the same shock
     * histories: the index of the first such mix. */
    int shock_plan;

    /* Nodes.  project[i] is the new_capacity intervention that builds
     * node i in this mix, or NULL; a node that a policy can build but this
     * mix does not has built[i] false and capacity 0 throughout. */
    bool *built;
    const sf_intervention **project;
    /* Demand nodes: stockpile (units), recycling and demand reduction. */
    bool *has_stockpile;
    double *stock_initial, *stock_capacity, *stock_release, *stock_refill;
    double *stock_release_price; /* multiple of P */
    double *recycle_share, *recycle_ramp;
    double *reduce_share;
    /* Producers: the price floor, currency per unit (0: none). */
    double *floor;

    /* Offtake contracts, grouped by the commodity they carry. */
    size_t n_offtake;
    sf_offtake *offtake;
    sf_csr offtake_by_commodity; /* row = commodity: indices into offtake */

    /* The mix's reference month (models/market.c, sf_market_reference):
     * each supplier's log price relative to its reference price (per
     * node), and each quota group's monthly flow. */
    double *ref_y;
    double *ref_flow;
} sf_policy_plan;

SF_MUST_CHECK
int sf_policy_plan_init(sf_policy_plan *pp, const sf_model *m, int policy,
                        sf_error *err);
void sf_policy_plan_free(sf_policy_plan *pp);

/* Sets pp[p].shock_plan for an array of plans of one model. */
void sf_policy_plans_share_shocks(sf_policy_plan *pp, size_t n,
                                  size_t n_shocks);

/* The recycled share of need in month t. */
double sf_policy_recycled_share(const sf_policy_plan *pp, int node, int t);

#endif
