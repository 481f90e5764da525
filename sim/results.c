/*
 * results.c — the layout of a run's results (include/shortfall/engine.h):
 * its units (demand nodes, regions, world), the per-trial price and money
 * columns, the regional monthly cells and the paths' market record.
 */
#include <stddef.h>

#include "shortfall/costs.h"
#include "shortfall/engine.h"
#include "shortfall/scenario.h"

const char *const sf_unit_kind_suffix[3] = {"", "_region", "_world"};

void sf_results_unit_range(const sf_results *res, sf_unit_kind k,
                           size_t *first, size_t *count)
{
    const sf_model *m = res->model;
    *first = res->n_units - 1;
    *count = 1;
    if (k == SF_UNITS_NODE) {
        *first = 0;
        *count = m->n_demand;
    } else if (k == SF_UNITS_REGION) {
        *first = m->n_demand;
        *count = m->n_regions;
    }
}

size_t sf_results_region_unit(const sf_results *res, size_t region)
{
    return res->model->n_demand + region;
}

size_t sf_results_world_unit(const sf_results *res)
{
    return res->n_units - 1;
}

const char *sf_results_unit_name(const sf_results *res, size_t u)
{
    const sf_model *m = res->model;
    if (u < m->n_demand)
        return m->sc->nodes[m->demand_nodes[u]].id;
    if (u < m->n_demand + m->n_regions)
        return m->sc->countries[m->region_country[u - m->n_demand]];
    return "world";
}

size_t sf_results_price_columns(const sf_results *res)
{
    const sf_model *m = res->model;
    return sf_results_closed_column(res) + m->n_exit;
}

size_t sf_results_cost_column(const sf_results *res)
{
    const sf_model *m = res->model;
    return m->n_commodities * (2 + m->n_regions);
}

size_t sf_results_revenue_column(const sf_results *res)
{
    return sf_results_cost_column(res) + SF_COST_COLUMNS;
}

size_t sf_results_closed_column(const sf_results *res)
{
    return sf_results_revenue_column(res) + res->model->n_regions;
}

const char *sf_metric_name(sf_metric m)
{
    static const char *names[SF_M_COUNT] = {
        "shortfall_cum", "need_cum",     "shortfall_frac", "peak_frac",
        "months_short",  "longest_run", "min_stockpile",  "tariff_paid",
        "priced_out_cum", "rationed_cum", "buyer_cost", "substituted_cum"};
    return (int)m >= 0 && m < SF_M_COUNT ? names[m] : "?";
}

size_t sf_results_region_cells(const sf_results *res)
{
    const sf_model *m = res->model;
    return (size_t)res->n_months * m->n_commodities * m->n_regions;
}

double sf_results_flow_scale(const sf_results *res, size_t c)
{
    const sf_model *m = res->model;
    double s = 0.0;
    for (size_t k = m->suppliers.start[c]; k < m->suppliers.start[c + 1]; k++)
        s += m->cap_month[m->suppliers.item[k]];
    return s > 0.0 ? s : 1.0;
}

size_t sf_results_path_x_width(const sf_results *res)
{
    const sf_model *m = res->model;
    return 3 * m->n_commodities * m->n_regions + 2 * m->n_regions;
}

const char *sf_driver_name(sf_driver v)
{
    static const char *names[SF_DRV_COUNT] = {
        "shock_onset_month", "shock_episodes",      "shock_severity_mean",
        "regime_months",     "project_lead_months", "project_completed",
        "demand_noise_mean"};
    return (int)v >= 0 && v < SF_DRV_COUNT ? names[v] : "?";
}

bool sf_driver_is_int(sf_driver v)
{
    return v != SF_DRV_SEVERITY && v != SF_DRV_NOISE;
}

size_t sf_results_regime_states(const sf_results *res)
{
    const sf_scenario *sc = res->model->sc;
    return sc->has_regimes ? sc->regimes.n_states : 0;
}

size_t sf_results_projects(const sf_results *res, size_t p, int *nodes)
{
    const sf_model *m = res->model;
    const sf_policy *pol = &m->sc->policies[res->pol[p].policy];
    size_t n = 0;
    for (size_t i = 0; i < m->n_nodes; i++) {
        bool built = false;
        for (size_t v = 0; v < pol->n_interventions && !built; v++)
            built = pol->interventions[v].kind == SF_IV_NEW_CAPACITY &&
                    pol->interventions[v].node == (int)i;
        if (built && nodes != NULL)
            nodes[n] = (int)i;
        n += built;
    }
    return n;
}

void sf_results_driver_range(const sf_results *res, size_t p, sf_driver v,
                             size_t *first, size_t *count)
{
    const sf_model *m = res->model;
    size_t P = sf_results_projects(res, p, NULL);
    const size_t n[SF_DRV_COUNT] = {m->n_shocks, m->n_shocks, m->n_shocks,
                                    sf_results_regime_states(res), P, P,
                                    m->n_demand};
    *first = 0;
    for (int k = 0; k < (int)v; k++)
        *first += n[k];
    *count = n[v];
}

size_t sf_results_driver_columns(const sf_results *res, size_t p)
{
    size_t first, count;
    sf_results_driver_range(res, p, SF_DRV_COUNT - 1, &first, &count);
    return first + count;
}

size_t sf_results_driver_columns_max(const sf_results *res)
{
    size_t most = 0;
    for (size_t p = 0; p < res->n_policies; p++) {
        size_t n = sf_results_driver_columns(res, p);
        most = n > most ? n : most;
    }
    return most;
}

void sf_solver_stats_add(sf_solver_stats *a, const sf_solver_stats *b)
{
    a->solves += b->solves;
    a->iterations += b->iterations;
    if (b->max_iterations > a->max_iterations)
        a->max_iterations = b->max_iterations;
    if (b->max_residual > a->max_residual)
        a->max_residual = b->max_residual;
    for (size_t c = 0; c < SF_SOLVER_COMMODITIES; c++) {
        a->c_solved[c] += b->c_solved[c];
        a->c_reused[c] += b->c_reused[c];
        a->c_iterations[c] += b->c_iterations[c];
    }
}
