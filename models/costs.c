/*
 * costs.c — the public cost of a policy mix in one trial (docs/model.md,
 * "What policies cost").  Every flow of month t is discounted to month 0
 * by (1 + r)^(-t/12); the stockpiles' closing stock is credited at the
 * end of the horizon, month n_months.
 */
#include <math.h>

#include "shortfall/costs.h"

const char *const sf_cost_kind_names[SF_COST_COLUMNS] = {
    "stockpile", "offtake",          "new_capacity",
    "recycling", "demand_reduction", "price_floor", "total"};

double sf_discount(double rate, double t)
{
    return rate == 0.0 ? 1.0 : pow(1.0 + rate, -t / 12.0);
}

static const sf_policy *mix_of(const sf_model *m, const sf_policy_plan *pp)
{
    return &m->sc->policies[pp->index];
}

void sf_costs_start(const sf_model *m, const sf_policy_plan *pp,
                    double *cost, double *revenue)
{
    const sf_policy *pol = mix_of(m, pp);

    for (int k = 0; k < SF_COST_COLUMNS; k++)
        cost[k] = 0.0;
    for (size_t r = 0; r < m->n_regions; r++)
        revenue[r] = 0.0;
    for (size_t v = 0; v < pol->n_interventions; v++) {
        const sf_intervention *iv = &pol->interventions[v];
        if (iv->kind == SF_IV_STOCKPILE)
            cost[SF_COST_STOCKPILE] +=
                iv->initial * m->c_price[m->input[iv->node]];
    }
}

/* Capital spending of a project in month t: capex per unit of yearly
 * capacity, spread evenly over the lead time L (all in month 0 when L is
 * 0), whether or not the project completes. */
static double capex_in_month(const sf_model *m, const sf_intervention *iv,
                             int lead, int t)
{
    double total = iv->capex * m->cap_month[iv->node] * 12.0;
    if (lead <= 0)
        return t == 0 ? total : 0.0;
    return t < lead ? total / (double)lead : 0.0;
}

void sf_costs_month(const sf_model *m, const sf_policy_plan *pp,
                    const sf_market_ws *w, const sf_cost_inputs *in, int t,
                    double *cost, double *revenue)
{
    const sf_policy *pol = mix_of(m, pp);
    double df = sf_discount(m->sc->discount_rate, (double)t);

    for (size_t v = 0; v < pol->n_interventions; v++) {
        const sf_intervention *iv = &pol->interventions[v];
        int i = iv->node;
        switch (iv->kind) {
        case SF_IV_STOCKPILE: {
            double P = m->c_price[m->input[i]];
            cost[SF_COST_STOCKPILE] +=
                df * (w->bought[i] * w->pbar[i] +
                      iv->holding_cost * P * w->level[i] / 12.0);
            break;
        }
        case SF_IV_NEW_CAPACITY:
            cost[SF_COST_NEW_CAPACITY] +=
                df * (capex_in_month(m, iv, in->lead[i], t) +
                      iv->subsidy_per_unit * w->prod[i]);
            break;
        case SF_IV_RECYCLING:
            cost[SF_COST_RECYCLING] +=
                df * iv->cost_per_unit * w->recycled[i];
            break;
        case SF_IV_DEMAND_REDUCTION:
            cost[SF_COST_DEMAND_REDUCTION] +=
                df * iv->cost_per_unit * iv->share * in->gross_need[i];
            break;
        case SF_IV_PRICE_FLOOR: {
            /* A contract for difference on what the producer sold. */
            double p = m->c_price[m->output[i]] * exp(w->y[i]);
            if (p < iv->floor)
                cost[SF_COST_PRICE_FLOOR] += df * (iv->floor - p) * w->sold[i];
            break;
        }
        case SF_IV_OFFTAKE: /* below, from the compiled contracts */
        case SF_IV_TARIFF:
        case SF_IV_HAZARD_MULTIPLIER:
            break;
        }
    }
    for (size_t k = 0; k < pp->n_offtake; k++) {
        const sf_offtake *ot = &pp->offtake[k];
        double p = m->c_price[m->output[ot->from]] * exp(w->y[ot->from]);
        cost[SF_COST_OFFTAKE] += df * ot->premium * p * w->ot_amount[k];
    }
    if (m->n_regions == 0)
        return;
    for (size_t j = 0; j < m->n_nodes; j++) {
        int r = m->region_of_country[m->country[j]];
        if (m->input[j] >= 0 && r >= 0)
            revenue[r] += df * w->tariff[j];
    }
}

void sf_costs_end(const sf_model *m, const sf_policy_plan *pp,
                  const sf_market_ws *w, int n_months, double *cost)
{
    const sf_policy *pol = mix_of(m, pp);
    double df = sf_discount(m->sc->discount_rate, (double)n_months);

    for (size_t v = 0; v < pol->n_interventions; v++) {
        const sf_intervention *iv = &pol->interventions[v];
        if (iv->kind == SF_IV_STOCKPILE)
            cost[SF_COST_STOCKPILE] -=
                df * w->level[iv->node] * m->c_price[m->input[iv->node]];
    }
    double total = 0.0;
    for (int k = 0; k < SF_COST_TOTAL; k++)
        total += cost[k];
    cost[SF_COST_TOTAL] = total;
}
