/*
 * summary_costs.c — the money part of a summary (docs/cli.md): per mix,
 * its public cost by kind of intervention, the tariff revenue importing
 * states collect, and the cost per unit of world shortfall avoided against
 * the baseline; as the table under the shortfall table, and as the
 * cost fields of the CSV and JSON records.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "numfmt.h"
#include "shortfall/costs.h"
#include "table.h"

const char *const sf_cost_fields[SF_COST_FIELDS] = {
    "public_cost",      "public_cost_se",   "tariff_revenue",
    "cost_per_avoided", "cost_per_avoided_se"};

void sf_cost_values(const sf_results *res, size_t p, size_t r,
                    double v[SF_COST_FIELDS])
{
    const sf_policy_results *pr = &res->pol[p];
    const sf_summary *s = &pr->price_summary[sf_results_cost_column(res)];
    size_t R = res->model->n_regions;

    v[0] = s[SF_COST_TOTAL].mean;
    v[1] = s[SF_COST_TOTAL].se;
    if (r < R) {
        v[2] = s[SF_COST_COLUMNS + r].mean;
    } else {
        v[2] = 0.0;
        for (size_t k = 0; k < R; k++)
            v[2] += s[SF_COST_COLUMNS + k].mean;
    }
    v[3] = pr->cost_ratio;
    v[4] = pr->cost_ratio_se;
}

/* A mean ± se cell, or "n/a" for an undefined value. */
static void money_cell(table *t, size_t c, double mean, double se)
{
    char a[SF_FMT_LEN], b[SF_FMT_LEN];
    if (isnan(mean) || isnan(se)) {
        table_set(t, c, "n/a", NULL);
        return;
    }
    if (!(se > 0.0) || fabs(se) < SF_FMT_NOISE * fabs(mean)) {
        sf_fmt_sig(mean, 4, a, sizeof a);
        table_set(t, c, a, NULL);
        return;
    }
    sf_fmt_mean_se_in(mean, se, 0.0, a, b, sizeof a);
    table_set(t, c, a, b);
}

/* Whether any mix of any run spends on kind k (a column for it). */
static bool kind_used(const sf_summary_set *s, int k)
{
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_results *res = s->runs[i].res;
        for (size_t p = 0; p < res->n_policies; p++) {
            size_t col = sf_results_cost_column(res) + (size_t)k;
            double m = res->pol[p].price_summary[col].mean;
            if (m != 0.0 && !isnan(m))
                return true;
        }
    }
    return false;
}

/* Under the cost table: per run and mix, the mean months each producer
 * that may exit was closed, where any was. */
static void write_closed(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL, heading = false;
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_results *res = s->runs[i].res;
        const sf_model *m = res->model;
        size_t first = sf_results_closed_column(res);
        for (size_t p = 0; p < res->n_policies; p++) {
            const sf_summary *c = &res->pol[p].price_summary[first];
            bool any = false;
            for (size_t k = 0; k < m->n_exit && !any; k++)
                any = c[k].mean > 0.0;
            if (!any)
                continue;
            if (!heading)
                fputs("\nProducers closed (mean months per trial ± se, "
                      "their price below unit cost):\n", f);
            heading = true;
            fprintf(f, "  %s%s%s:", batch ? s->runs[i].variant : "",
                    batch ? " " : "",
                    m->sc->policies[res->pol[p].policy].name);
            for (size_t k = 0; k < m->n_exit; k++) {
                char a[SF_FMT_LEN], b[SF_FMT_LEN];
                if (!(c[k].mean > 0.0))
                    continue;
                sf_fmt_mean_se_in(c[k].mean, c[k].se, 0.0, a, b, sizeof a);
                fprintf(f, " %s %s ± %s", m->sc->nodes[m->exit_nodes[k]].id,
                        a, b);
            }
            fputs("\n", f);
        }
    }
}

/* Money is shown in millions when the largest mean reaches ten million. */
static double money_scale(const sf_summary_set *s)
{
    double big = 0.0;
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_results *res = s->runs[i].res;
        size_t R = res->model->n_regions;
        for (size_t p = 0; p < res->n_policies; p++) {
            double v[SF_COST_FIELDS];
            sf_cost_values(res, p, R, v);
            if (fabs(v[0]) > big)
                big = fabs(v[0]);
            if (fabs(v[2]) > big)
                big = fabs(v[2]);
        }
    }
    return big >= 1e7 ? 1e6 : 1.0;
}

void sf_write_cost_table(FILE *f, const sf_summary_set *s)
{
    const sf_results *r0 = s->runs[0].res;
    const sf_scenario *sc = r0->model->sc;
    bool batch = s->runs[0].variant != NULL;
    bool used[SF_COST_TOTAL];
    size_t nk = 0;
    table t;

    double scale = money_scale(s);
    for (int k = 0; k < SF_COST_TOTAL; k++)
        nk += used[k] = kind_used(s, k);
    fprintf(f,
            "\nPublic cost of each mix in %s%s, discounted to month 0 at "
            "%g %% a year (mean ± standard error\nover trials; by kind of "
            "intervention: means), the tariff revenue importing states "
            "collect\n(not deducted from the cost), and the cost in %s per %s "
            "of world shortfall avoided against the\nbaseline (ratio of paired "
            "means ± delta-method standard error; n/a where the mix avoids\n"
            "no shortfall or adds to it).\n\n",
            sc->currency, scale > 1.0 ? " million" : "",
            100.0 * sc->discount_rate, sc->currency,
            sf_model_demand_unit(r0->model));
    table_init(&t, (batch ? 1 : 0) + 4 + nk);
    size_t c = 0;
    if (batch)
        table_col(&t, c++, "variant", NULL, COL_LEFT);
    size_t c_policy = c;
    table_col(&t, c++, "policy", NULL, COL_LEFT);
    table_col(&t, c++, "public cost ± se", NULL, COL_PM);
    for (int k = 0; k < SF_COST_TOTAL; k++)
        if (used[k])
            table_col(&t, c++, sf_cost_kind_names[k], NULL, COL_RIGHT);
    table_col(&t, c++, "tariff revenue", NULL, COL_RIGHT);
    table_col(&t, c++, "per unit avoided ± se", NULL, COL_PM);
    for (size_t i = 0; i < s->n_runs && !t.failed; i++) {
        const sf_results *res = s->runs[i].res;
        size_t R = res->model->n_regions;
        for (size_t p = 0; p < res->n_policies; p++) {
            double v[SF_COST_FIELDS];
            char a[SF_FMT_LEN];
            sf_cost_values(res, p, R, v);
            if (!table_row(&t))
                break;
            if (batch)
                table_set(&t, 0, p == 0 ? s->runs[i].variant : "", NULL);
            c = c_policy;
            table_set(&t, c++,
                      res->model->sc->policies[res->pol[p].policy].name, NULL);
            money_cell(&t, c++, v[0] / scale, v[1] / scale);
            for (int k = 0; k < SF_COST_TOTAL; k++) {
                if (!used[k])
                    continue;
                size_t col = sf_results_cost_column(res) + (size_t)k;
                double m = res->pol[p].price_summary[col].mean / scale;
                if (isnan(m))
                    snprintf(a, sizeof a, "n/a");
                else
                    sf_fmt_sig(m, 3, a, sizeof a);
                table_set(&t, c++, a, NULL);
            }
            if (isnan(v[2]))
                snprintf(a, sizeof a, "n/a");
            else
                sf_fmt_sig(v[2] / scale, 3, a, sizeof a);
            table_set(&t, c++, a, NULL);
            if (p == 0)
                table_set(&t, c++, "", NULL);
            else
                money_cell(&t, c++, v[3], v[4]);
        }
    }
    table_print(f, &t);
    if (t.failed)
        fputs("(the table is cut short: out of memory)\n", f);
    table_free(&t);
    write_closed(f, s);
}
