/*
 * policies.c — compiles one policy mix into per-node and per-shock arrays
 * (sf_policy_plan), and the time-dependent parts of interventions that
 * are not random (recycling ramps).  New-capacity ramps, which depend on
 * the trial's lead-time draw, are in models/shocks.c with the other draws.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/policy.h"

static int alloc_plan(sf_policy_plan *pp, size_t n_nodes, size_t n_shocks)
{
    size_t nn = n_nodes ? n_nodes : 1, ns = n_shocks ? n_shocks : 1;

    pp->shock_on = calloc(ns, sizeof *pp->shock_on);
    pp->hazard_mult = calloc(ns, sizeof *pp->hazard_mult);
    pp->built = calloc(nn, sizeof *pp->built);
    pp->project = calloc(nn, sizeof *pp->project);
    pp->has_stockpile = calloc(nn, sizeof *pp->has_stockpile);
    pp->stock_initial = calloc(nn, sizeof(double));
    pp->stock_capacity = calloc(nn, sizeof(double));
    pp->stock_release = calloc(nn, sizeof(double));
    pp->stock_refill = calloc(nn, sizeof(double));
    pp->stock_release_price = calloc(nn, sizeof(double));
    pp->recycle_share = calloc(nn, sizeof(double));
    pp->recycle_ramp = calloc(nn, sizeof(double));
    pp->reduce_share = calloc(nn, sizeof(double));
    pp->floor = calloc(nn, sizeof(double));
    if (!pp->floor)
        return SF_ERR_NOMEM;
    if (!pp->shock_on || !pp->hazard_mult || !pp->built || !pp->project ||
        !pp->has_stockpile || !pp->stock_initial || !pp->stock_capacity ||
        !pp->stock_release || !pp->stock_refill || !pp->recycle_share ||
        !pp->stock_release_price ||
        !pp->recycle_ramp || !pp->reduce_share)
        return SF_ERR_NOMEM;
    return 0;
}

int sf_policy_plan_init(sf_policy_plan *pp, const sf_model *m, int policy,
                        sf_error *err)
{
    const sf_scenario *sc = m->sc;
    const sf_policy *pol = &sc->policies[policy];
    int ret;
    int *row = NULL;

    memset(pp, 0, sizeof *pp);
    pp->index = policy;
    pp->shock_plan = policy;
    if ((ret = alloc_plan(pp, m->n_nodes, m->n_shocks)) != 0)
        goto out;
    pp->ref_y = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(double));
    pp->ref_flow = calloc(m->n_groups ? m->n_groups : 1, sizeof(double));
    if (pp->ref_y == NULL || pp->ref_flow == NULL) {
        ret = SF_ERR_NOMEM;
        goto out;
    }
    for (size_t k = 0; k < m->n_shocks; k++) {
        pp->shock_on[k] = sc->shocks[k].defined_by_policy < 0;
        pp->hazard_mult[k] = 1.0;
    }
    for (size_t i = 0; i < m->n_nodes; i++)
        pp->built[i] = m->policy_node[i] < 0;

    for (size_t v = 0; v < pol->n_interventions; v++) {
        const sf_intervention *iv = &pol->interventions[v];
        int i = iv->node;
        switch (iv->kind) {
        case SF_IV_STOCKPILE:
            pp->has_stockpile[i] = true;
            pp->stock_initial[i] = iv->initial;
            pp->stock_capacity[i] = iv->capacity;
            pp->stock_release[i] = iv->max_release;
            pp->stock_refill[i] = iv->refill;
            pp->stock_release_price[i] = iv->release_price;
            break;
        case SF_IV_OFFTAKE:
            pp->n_offtake++;
            break;
        case SF_IV_NEW_CAPACITY:
            pp->built[i] = true;
            pp->project[i] = iv;
            break;
        case SF_IV_RECYCLING:
            pp->recycle_share[i] = iv->share;
            pp->recycle_ramp[i] = iv->ramp_months;
            break;
        case SF_IV_DEMAND_REDUCTION:
            pp->reduce_share[i] = iv->share;
            break;
        case SF_IV_TARIFF:
            pp->shock_on[iv->shock] = true;
            break;
        case SF_IV_HAZARD_MULTIPLIER:
            pp->hazard_mult[iv->shock] *= iv->factor;
            break;
        case SF_IV_PRICE_FLOOR:
            pp->floor[i] = iv->floor;
            break;
        }
    }

    ret = SF_ERR_NOMEM;
    pp->offtake = calloc(pp->n_offtake ? pp->n_offtake : 1,
                         sizeof *pp->offtake);
    row = calloc(pp->n_offtake ? pp->n_offtake : 1, sizeof *row);
    if (pp->offtake == NULL || row == NULL)
        goto out;
    size_t n = 0;
    for (size_t v = 0; v < pol->n_interventions; v++) {
        const sf_intervention *iv = &pol->interventions[v];
        if (iv->kind != SF_IV_OFFTAKE)
            continue;
        pp->offtake[n].from = iv->supplier;
        pp->offtake[n].to = iv->node;
        pp->offtake[n].share = iv->share;
        pp->offtake[n].premium = iv->premium;
        /* The contract ships along the buyer's link to the supplier, so
         * that licences and tariffs apply to it as to any order. */
        pp->offtake[n].link = sf_model_find_link(m, iv->supplier, iv->node);
        if (pp->offtake[n].link < 0) {
            ret = sf_error_set(
                err, SF_ERR_CONFLICT,
                "%s:%d:%d: policies[%d].interventions[%zu]: offtake from '%s' "
                "to '%s', but the buyer's explicit links do not include that "
                "supplier",
                sc->file, iv->loc.line, iv->loc.col, policy, v,
                sc->nodes[iv->supplier].id, sc->nodes[iv->node].id);
            goto out;
        }
        row[n] = m->output[iv->supplier];
        n++;
    }
    if ((ret = sf_csr_from_rows(&pp->offtake_by_commodity, m->n_commodities,
                                row, n)) != 0)
        goto out;
    ret = 0;
out:
    free(row);
    if (ret == SF_ERR_NOMEM)
        sf_error_set(err, ret, "policy '%s': %s", pol->name,
                     sf_strerror(ret));
    return ret;
}

void sf_policy_plan_free(sf_policy_plan *pp)
{
    if (pp == NULL)
        return;
    free(pp->shock_on);
    free(pp->hazard_mult);
    free(pp->built);
    free(pp->project);
    free(pp->has_stockpile);
    free(pp->stock_initial);
    free(pp->stock_capacity);
    free(pp->stock_release);
    free(pp->stock_refill);
    free(pp->stock_release_price);
    free(pp->ref_y);
    free(pp->ref_flow);
    free(pp->recycle_share);
    free(pp->recycle_ramp);
    free(pp->reduce_share);
    free(pp->floor);
    free(pp->offtake);
    sf_csr_free(&pp->offtake_by_commodity);
    memset(pp, 0, sizeof *pp);
}

void sf_policy_plans_share_shocks(sf_policy_plan *pp, size_t n,
                                  size_t n_shocks)
{
    for (size_t p = 0; p < n; p++) {
        pp[p].shock_plan = (int)p;
        for (size_t q = 0; q < p; q++) {
            if (memcmp(pp[p].shock_on, pp[q].shock_on,
                       n_shocks * sizeof *pp[p].shock_on) == 0 &&
                memcmp(pp[p].hazard_mult, pp[q].hazard_mult,
                       n_shocks * sizeof *pp[p].hazard_mult) == 0) {
                pp[p].shock_plan = pp[q].shock_plan;
                break;
            }
        }
    }
}

double sf_policy_recycled_share(const sf_policy_plan *pp, int node, int t)
{
    double share = pp->recycle_share[node], ramp = pp->recycle_ramp[node];

    if (share == 0.0)
        return 0.0;
    if (ramp <= 0.0)
        return share;
    return share * fmin(1.0, t / ramp);
}
