/*
 * model.h — a scenario compiled into flat arrays for the month loop.
 *
 * models/network.c builds an sf_model from a validated sf_scenario: every
 * node (the scenario's and those that policies may build) gets a slot, the
 * eligible supplier -> buyer links are laid out per buyer (CSR), the
 * commodities are put in clearing order, and each shock's coverage is
 * resolved to the links or nodes it touches.  The model is immutable and
 * shared read-only by all threads.
 */
#ifndef SHORTFALL_MODEL_H
#define SHORTFALL_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "clearing.h"
#include "scenario.h"

/* A compressed sparse row index: the items of row r are
 * item[start[r]] ... item[start[r + 1] - 1]. */
typedef struct {
    size_t n_rows;
    size_t *start; /* n_rows + 1 */
    int *item;
} sf_csr;

typedef struct {
    const sf_scenario *sc; /* borrowed; must outlive the model */

    size_t n_nodes, n_commodities, n_countries, n_shocks, n_policies;

    /* Nodes, in sf_scenario order.  Monthly quantities are annual / 12. */
    sf_node_kind *kind;
    int *country;
    int *input;           /* commodity or -1 */
    int *output;          /* commodity or -1 */
    double *cap_month;    /* nameplate output per month */
    double *yield;
    double *buffer_months;
    double *init_stock;   /* converters' input stock at t = 0 */
    double *stock_cap;    /* output stock cap */
    double *demand_month; /* demand nodes: need per month at t = 0 */
    double *growth_month; /* (1 + growth)^(1/12), so need(t) = d * g^t */
    double *volatility;
    int *policy_node;     /* -1, or the first policy that builds it */

    /* Commodities in clearing order (every input before the outputs made
     * from it), and each commodity's suppliers and buyers. */
    int *order;
    sf_csr suppliers; /* row = commodity: nodes whose output it is */
    sf_csr buyers;    /* row = commodity: nodes whose input it is */

    /* Links: every eligible supplier -> buyer pair, grouped by buyer
     * (rows of by_buyer index the link arrays), and the same links
     * grouped by supplier. */
    size_t n_links;
    int *link_from;
    int *link_to;
    double *link_weight;
    bool *link_foreign; /* supplier and buyer in different countries */
    sf_csr by_buyer;    /* row = node: its incoming links */
    sf_csr by_supplier; /* row = node: its outgoing links */

    /* Shock coverage: links for restrictions and tariffs, nodes for
     * outages (row = shock). */
    sf_csr shock_links;
    sf_csr shock_nodes;

    /* Demand nodes and regions (countries that have a demand node), the
     * dimensions of the recorded metrics. */
    size_t n_demand;
    int *demand_nodes;   /* node indices */
    size_t n_regions;
    int *region_country; /* country of each region */
    int *demand_region;  /* region of each demand node */
    int *region_of_country; /* per country: its region, or -1 */

    /* Producers that may exit (a unit cost), in node order. */
    size_t n_exit;
    int *exit_nodes;

    /* Market version 2.  Per commodity: reference price P, substitution
     * elasticity sigma, supply elasticity beta, price cap multiple M. */
    double *c_price, *c_sigma, *c_beta, *c_cap;
    /* Per node: a buyer's price elasticity; a demand node's private
     * inventory (units), its refill per month (units) and release price
     * (multiple of P). */
    double *elasticity, *inventory, *inventory_refill, *release_price;

    /* Quota groups: one per export restriction and commodity it covers,
     * holding the covered links of that commodity (docs/model.md, "Export
     * quotas").  group_links rows are groups; shock_groups rows are
     * shocks. */
    size_t n_groups;
    int *group_shock, *group_commodity;
    sf_csr group_links, shock_groups;

    /* Each commodity's market in local indices (its suppliers, buyers,
     * links by buyer, quota groups), and each node's local index as a
     * supplier of its output and as a buyer of its input. */
    sf_market_graph *graph;
    int *sup_local, *buy_local;
    int *link_local; /* per link: its index in its commodity's graph */
    size_t max_suppliers, max_buyers, max_clink, max_cgroups;
} sf_model;

/* Builds a CSR index with n_rows rows from row_of[i], the row of item i
 * (items with a negative row are left out); items keep their order within
 * a row.  0 or SF_ERR_NOMEM. */
SF_MUST_CHECK
int sf_csr_from_rows(sf_csr *c, size_t n_rows, const int *row_of,
                     size_t n_items);
void sf_csr_free(sf_csr *c);

SF_MUST_CHECK
int sf_model_init(sf_model *m, const sf_scenario *sc, sf_error *err);
void sf_model_free(sf_model *m);

/* The unit of the demand nodes' commodity, or "units" if they differ. */
const char *sf_model_demand_unit(const sf_model *m);

/* The link index of supplier -> buyer, or -1 if they are not linked. */
int sf_model_find_link(const sf_model *m, int from, int to);

/* Whether a buyer of commodity c lies in region r (else the region has no
 * price index for c). */
bool sf_model_region_buys(const sf_model *m, size_t c, size_t r);

#endif
