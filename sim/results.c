/*
 * results.c — the layout of a run's results (include/shortfall/engine.h):
 * its units (demand nodes, regions, world), the per-trial price and money
 * columns, the regional monthly cells and the paths' market record.
 */
#include <stddef.h>

#include "shortfall/costs.h"
#include "shortfall/engine.h"

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
