/*
 * test_costs.c — the public cost of policy mixes (docs/model.md, "What
 * policies cost") against answers worked out by hand: a stockpile in a
 * calm market costs exactly its holding cost at zero discount, and the
 * closed form of a geometric series at a positive rate; capital spending
 * adds up to capex times capacity; recycling and demand reduction cost
 * their unit cost times the quantity; an offtake premium is linear in the
 * premium; tariff revenue is the tariff the region's buyers pay; the cost
 * per unit of shortfall avoided is the ratio of paired means, and
 * undefined (NaN) where nothing is avoided.
 */
#include <math.h>
#include <stdio.h>

#include "shortfall/costs.h"
#include "sim_fixture.h"

#define T 48
#define P 40.0

/* One mine, one demand node, no shocks: every month is calm and the
 * market clears below capacity, so stocks never move. */
static void calm_yaml(char *buf, size_t n, double rate, const char *mixes)
{
    snprintf(buf, n,
             "name: costs\n"
             "horizon_months: %d\n"
             "discount_rate: %.17g\n"
             "commodities: [{id: metal, unit: t, price: %.17g}]\n"
             "nodes:\n"
             "  - {id: mine, kind: mine, country: AU, output: metal, "
             "capacity: 1200}\n"
             "  - {id: users, kind: demand, country: US, input: metal, "
             "demand: 600}\n"
             "policies:\n"
             "  - name: baseline\n"
             "%s",
             T, rate, P, mixes);
}

static const double *cost_row(const fixture *f, size_t p, size_t trial)
{
    size_t NP = sf_results_price_columns(&f->res);
    size_t first = sf_results_cost_column(&f->res);
    return &f->res.pol[p].price[trial * NP + first];
}

static void assert_rel(double got, double want, double tol, const char *what)
{
    cr_assert(fabs(got - want) <= tol * fabs(want),
              "%s: got %.17g, want %.17g", what, got, want);
}

static const char *stockpile_mix =
    "  - name: stockpile\n"
    "    interventions:\n"
    "      - {kind: stockpile, node: users, initial: 100, holding_cost: "
    "0.05}\n";

Test(costs, a_calm_stockpile_costs_its_holding_cost_at_zero_discount)
{
    char yaml[2048];
    fixture f;
    calm_yaml(yaml, sizeof yaml, 0.0, stockpile_mix);
    fixture_load(&f, yaml);
    fixture_run(&f, 20, 7, 2);
    /* Bought at P in month 0, held T months at 0.05 P per unit-year,
     * credited at P at the end: the purchase and the credit cancel. */
    double want = 0.05 * P * 100.0 * T / 12.0;
    for (size_t i = 0; i < 20; i++) {
        const double *c = cost_row(&f, 1, i);
        assert_rel(c[SF_COST_STOCKPILE], want, 1e-12, "stockpile");
        cr_assert_eq(c[SF_COST_TOTAL], c[SF_COST_STOCKPILE]);
        for (int k = SF_COST_OFFTAKE; k < SF_COST_TOTAL; k++)
            cr_assert_eq(c[k], 0.0, "kind %d", k);
        cr_assert_eq(cost_row(&f, 0, i)[SF_COST_TOTAL], 0.0);
    }
    /* The stockpile avoids nothing in a calm market: the cost per unit
     * avoided is undefined, not infinite. */
    cr_assert(isnan(f.res.pol[1].cost_ratio), "%g", f.res.pol[1].cost_ratio);
    cr_assert(isnan(f.res.pol[0].cost_ratio));
    fixture_free(&f);
}

Test(costs, discounting_follows_the_closed_form)
{
    char yaml[2048];
    fixture f;
    double r = 0.07, q = pow(1.07, -1.0 / 12.0);
    calm_yaml(yaml, sizeof yaml, r, stockpile_mix);
    fixture_load(&f, yaml);
    fixture_run(&f, 4, 7, 1);
    /* Purchase at 1, holding 0.05 P 100 / 12 in months 0..T-1 (a
     * geometric series in q), credit at q^T. */
    double qT = pow(q, T);
    double want = P * 100.0 * (1.0 - qT) +
                  0.05 * P * 100.0 / 12.0 * (1.0 - qT) / (1.0 - q);
    assert_rel(cost_row(&f, 1, 0)[SF_COST_STOCKPILE], want, 1e-12,
               "discounted stockpile");
    assert_rel(sf_discount(r, 12.0), 1.0 / 1.07, 1e-15, "one year");
    cr_assert_eq(sf_discount(r, 0.0), 1.0);
    fixture_free(&f);
}

Test(costs, capital_recycling_and_thrift_cost_what_they_buy)
{
    char yaml[4096];
    fixture f;
    calm_yaml(yaml, sizeof yaml, 0.0,
              "  - name: build\n"
              "    interventions:\n"
              "      - kind: new_capacity\n"
              "        node: {id: new_mine, kind: mine, country: US, "
              "output: metal, capacity: 120}\n"
              "        lead_time_months: {dist: fixed, value: 10}\n"
              "        capex: 1000\n"
              "  - name: recycle\n"
              "    interventions:\n"
              "      - {kind: recycling, node: users, share: 0.2, "
              "cost_per_unit: 7}\n"
              "  - name: thrift\n"
              "    interventions:\n"
              "      - {kind: demand_reduction, node: users, share: 0.1, "
              "cost_per_unit: 3}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 3, 7, 1);
    /* capex x yearly capacity, in ten equal parts. */
    assert_rel(cost_row(&f, 1, 0)[SF_COST_NEW_CAPACITY], 1000.0 * 120.0,
               1e-12, "capex");
    /* Need 50 a month, no growth or noise. */
    assert_rel(cost_row(&f, 2, 0)[SF_COST_RECYCLING], 7.0 * 0.2 * 50.0 * T,
               1e-12, "recycling");
    assert_rel(cost_row(&f, 3, 0)[SF_COST_DEMAND_REDUCTION],
               3.0 * 0.1 * 50.0 * T, 1e-12, "thrift");
    fixture_free(&f);
}

Test(costs, capital_spending_is_discounted_over_the_lead_time)
{
    char yaml[4096];
    fixture f;
    double q = pow(1.05, -1.0 / 12.0);
    calm_yaml(yaml, sizeof yaml, 0.05,
              "  - name: build\n"
              "    interventions:\n"
              "      - kind: new_capacity\n"
              "        node: {id: new_mine, kind: mine, country: US, "
              "output: metal, capacity: 120}\n"
              "        lead_time_months: {dist: fixed, value: 10}\n"
              "        capex: 1000\n"
              "        subsidy_per_unit: 0\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 2, 7, 1);
    double want = 1000.0 * 120.0 / 10.0 * (1.0 - pow(q, 10)) / (1.0 - q);
    assert_rel(cost_row(&f, 1, 0)[SF_COST_NEW_CAPACITY], want, 1e-12,
               "discounted capex");
    fixture_free(&f);
}

Test(costs, an_offtake_premium_is_linear_in_the_premium)
{
    char yaml[4096];
    fixture f;
    calm_yaml(yaml, sizeof yaml, 0.03,
              "  - name: deal\n"
              "    interventions:\n"
              "      - {kind: offtake, buyer: users, supplier: mine, "
              "share: 0.5, premium: 0.05}\n"
              "  - name: dear_deal\n"
              "    interventions:\n"
              "      - {kind: offtake, buyer: users, supplier: mine, "
              "share: 0.5, premium: 0.1}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 3, 7, 1);
    double a = cost_row(&f, 1, 0)[SF_COST_OFFTAKE];
    double b = cost_row(&f, 2, 0)[SF_COST_OFFTAKE];
    cr_assert(a > 0.0, "%g", a);
    assert_rel(b, 2.0 * a, 1e-12, "premium x 2");
    /* Half the supply shipped under contract at a price at most P, over
     * at most T months. */
    cr_assert(a <= 0.05 * P * 0.5 * 100.0 * T, "%g", a);
    fixture_free(&f);
}

Test(costs, tariff_revenue_is_what_the_regions_buyers_pay)
{
    char yaml[4096];
    fixture f;
    calm_yaml(yaml, sizeof yaml, 0.0,
              "  - name: tariff\n"
              "    interventions:\n"
              "      - {id: us_tariff, kind: tariff, importer: US, "
              "exporter: AU, commodities: all, rate: 0.25, "
              "schedule: {start_month: 0, duration_months: 48}}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 3, 7, 1);
    size_t us = sf_results_region_unit(&f.res, 0);
    for (size_t p = 0; p < 2; p++) {
        double rev = f.res.pol[p].price[sf_results_revenue_column(&f.res)];
        double paid = f.res.pol[p].metric[SF_M_TARIFF][us];
        cr_assert_eq(rev, paid, "mix %zu: revenue %.17g, paid %.17g", p, rev,
                     paid);
        cr_assert(p == 0 ? rev == 0.0 : rev > 0.0, "%g", rev);
        /* Tariff revenue is not a public cost. */
        cr_assert_eq(cost_row(&f, p, 0)[SF_COST_TOTAL], 0.0);
    }
    fixture_free(&f);
}

/* A scheduled ban on the only supplier: a stockpile avoids shortfall, and
 * its cost per unit avoided is the ratio of the paired means. */
Test(costs, cost_per_unit_avoided_is_the_ratio_of_paired_means)
{
    char yaml[4096];
    fixture f;
    snprintf(yaml, sizeof yaml,
             "name: ratio\n"
             "horizon_months: 24\n"
             "discount_rate: 0.03\n"
             "commodities: [{id: metal, unit: t, price: 10}]\n"
             "nodes:\n"
             "  - {id: mine, kind: mine, country: AU, output: metal, "
             "capacity: 1200}\n"
             "  - {id: users, kind: demand, country: US, input: metal, "
             "demand: 600, volatility: 0.2}\n"
             "shocks:\n"
             "  - {id: ban, kind: export_restriction, exporter: AU, "
             "commodities: all, targets: all, hazard_per_year: 0.5, "
             "duration_months: {dist: uniform, min: 1, max: 6}}\n"
             "policies:\n"
             "  - name: baseline\n"
             "  - name: stockpile\n"
             "    interventions:\n"
             "      - {kind: stockpile, node: users, initial: 150, "
             "refill_months: 0.4}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 400, 11, 2);
    size_t n = f.res.n_done, U = f.res.n_units;
    size_t w = sf_results_world_unit(&f.res);
    double ms = 0, mc = 0, vs = 0, vc = 0, cv = 0;
    for (size_t i = 0; i < n; i++) {
        ms += f.res.pol[0].metric[SF_M_SHORTFALL][i * U + w] -
              f.res.pol[1].metric[SF_M_SHORTFALL][i * U + w];
        mc += cost_row(&f, 1, i)[SF_COST_TOTAL] -
              cost_row(&f, 0, i)[SF_COST_TOTAL];
    }
    ms /= (double)n;
    mc /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double ds = f.res.pol[0].metric[SF_M_SHORTFALL][i * U + w] -
                    f.res.pol[1].metric[SF_M_SHORTFALL][i * U + w] - ms;
        double dc = cost_row(&f, 1, i)[SF_COST_TOTAL] -
                    cost_row(&f, 0, i)[SF_COST_TOTAL] - mc;
        vs += ds * ds;
        vc += dc * dc;
        cv += ds * dc;
    }
    cr_assert(ms > 0.0, "the stockpile should avoid shortfall: %g", ms);
    double R = mc / ms;
    double se = sqrt((vc - 2 * R * cv + R * R * vs) / (double)(n - 1) /
                     ((double)n * ms * ms));
    assert_rel(f.res.pol[1].cost_ratio, R, 1e-9, "ratio");
    assert_rel(f.res.pol[1].cost_ratio_se, se, 1e-6, "se");
    cr_assert(se > 0.0 && se < fabs(R));
    fixture_free(&f);
}
