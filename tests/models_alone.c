/*
 * models_alone.c — models/ without the loader: a program made of the
 * objects of models/ and the three files the science may depend on
 * (sim/scenario.c, sim/error.c, sim/rng.c), linked without libyaml or
 * HDF5 (`make check-layers`).  It builds a scenario by hand — a mine feeding a demand
 * node — compiles the model and clears one month: full supply, no
 * shortfall.  Exit status 0 when the month is as expected.
 */
#include <stdio.h>
#include <stdlib.h>

#include "shortfall/market.h"
#include "shortfall/model.h"
#include "shortfall/policy.h"
#include "shortfall/scenario.h"

int main(void)
{
    char *countries[] = {"AU", "US"};
    char ore_id[] = "ore", ore_unit[] = "t", mine_id[] = "mine",
         need_id[] = "need", baseline[] = "baseline";
    sf_commodity ore = {.id = ore_id, .unit = ore_unit, .price = 1,
                        .substitution_elasticity = 3,
                        .demand_elasticity = -1, .supply_elasticity = 1,
                        .price_cap = 10, .loc = {1, 1}};
    sf_node nodes[2] = {
        {.id = mine_id, .kind = SF_NODE_MINE, .country = 0, .input = -1,
         .output = 0, .capacity = 1200, .defined_by_policy = -1},
        {.id = need_id, .kind = SF_NODE_DEMAND, .country = 1, .input = 0,
         .output = -1, .demand = 600, .defined_by_policy = -1}};
    sf_policy policy = {baseline, 0, NULL, {1, 1}};
    sf_scenario sc = {.name = baseline, .horizon_months = 12, .trials = 1,
                      .n_countries = 2, .countries = countries,
                      .n_commodities = 1, .commodities = &ore, .n_nodes = 2,
                      .nodes = nodes, .n_policies = 1, .policies = &policy};
    sf_model m = {0};
    sf_policy_plan pp = {0};
    sf_market_ws w = {0};
    sf_error err = {0};
    int status = 1;

    if (sf_model_init(&m, &sc, &err) != 0 ||
        sf_policy_plan_init(&pp, &m, 0, &err) != 0 ||
        sf_market_ws_init(&w, &m) != 0) {
        fprintf(stderr, "models_alone: %s\n", err.msg);
        goto out;
    }
    sf_market_reset(&w, &m, &pp);
    for (size_t i = 0; i < m.n_nodes; i++) {
        w.cap[i] = m.cap_month[i];
        w.f[i] = 1;
        w.need[i] = m.demand_month[i];
    }
    for (size_t l = 0; l < m.n_links; l++) {
        w.tau[l] = 0;
        w.attr[l] = m.link_weight[l];
    }
    sf_market_month(&m, &pp, 0, &w);
    if (m.n_links == 1 && w.recv[1] == 50 && w.shortfall[1] == 0 &&
        sf_country_set_has(&(sf_country_set){true, 0, NULL}, 1))
        status = 0;
    else
        fprintf(stderr, "models_alone: %zu links, received %g, short %g\n",
                m.n_links, w.recv[1], w.shortfall[1]);
out:
    sf_market_ws_free(&w);
    sf_policy_plan_free(&pp);
    sf_model_free(&m);
    return status;
}
