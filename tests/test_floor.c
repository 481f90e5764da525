/*
 * test_floor.c — producers that exit and restart, price floors and supply
 * surges (docs/model.md, "Producers that exit" and "Price floors"),
 * against answers worked out by hand from the surplus known answer: one
 * mine of k times the need, beta = 1, sells the need at P/k.
 */
#include <math.h>
#include <stdio.h>

#include "shortfall/costs.h"
#include "shortfall/market.h"
#include "sim_fixture.h"

#define P 100.0
#define N 100.0 /* need a month */

static void yaml_of(char *buf, size_t n, int horizon, const char *mines,
                    const char *rest)
{
    snprintf(buf, n,
             "name: floor\n"
             "horizon_months: %d\n"
             "discount_rate: 0\n"
             "commodities: [{id: metal, unit: t, price: %g}]\n"
             "nodes:\n"
             "%s"
             "  - {id: users, kind: demand, country: US, input: metal, "
             "demand: %g}\n"
             "%s",
             horizon, P, mines, 12 * N, rest);
}

static double column(const fixture *f, size_t p, size_t col)
{
    return f->res.pol[p].price[col]; /* trial 0 */
}

static double world_shortfall(const fixture *f, size_t p)
{
    return f->res.pol[p].metric[SF_M_SHORTFALL][sf_results_world_unit(
        &f->res)];
}

/* One mine of twice the need sells it at P/2, below its unit cost 0.8 P:
 * after 12 months below cost it closes (months 12..), nothing is
 * supplied, the price index goes to the cap, and 24 months after closing
 * (and 3 above cost) it reopens in month 36; 12 more months below cost
 * would close it again in month 48, past the horizon. */
Test(floor, a_producer_below_cost_closes_and_reopens_when_said)
{
    char yaml[2048];
    fixture f;
    yaml_of(yaml, sizeof yaml, 48,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 2400, unit_cost: 80}\n",
            "");
    fixture_load(&f, yaml);
    cr_assert_eq(f.m.n_exit, 1);
    fixture_run(&f, 2, 3, 1);
    size_t closed = sf_results_closed_column(&f.res);
    cr_assert_eq(column(&f, 0, closed), 24.0, "closed %g months",
                 column(&f, 0, closed));
    cr_assert_float_eq(world_shortfall(&f, 0), 24.0 * N, 1e-9 * N,
                       "shortfall %.17g", world_shortfall(&f, 0));
    fixture_free(&f);
}

/* exit_after_months and restart_months move the months exactly. */
Test(floor, exit_and_restart_months_are_keys)
{
    char yaml[2048];
    fixture f;
    yaml_of(yaml, sizeof yaml, 40,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 2400, unit_cost: 80, exit_after_months: 5, "
            "restart_months: 10}\n",
            "");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    /* Closed in months 5..15, open 16..20, closed 21..31, open 32..36,
     * closed 37..39: 11 + 11 + 3 months. */
    cr_assert_eq(column(&f, 0, sf_results_closed_column(&f.res)), 25.0,
                 "%g", column(&f, 0, sf_results_closed_column(&f.res)));
    cr_assert_float_eq(world_shortfall(&f, 0), 25.0 * N, 1e-9 * N);
    fixture_free(&f);
}

/* A floor of P on that mine: it offers all it has whatever the price, the
 * market price falls to its bound P/M = P/10 with the need sold, the
 * producer receives the floor (above its cost) and stays open, and the
 * state pays (P - P/10) on every unit sold. */
Test(floor, a_floor_above_the_price_keeps_it_open_and_pays_the_difference)
{
    char yaml[2048];
    fixture f;
    yaml_of(yaml, sizeof yaml, 48,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 2400, unit_cost: 80}\n",
            "policies:\n"
            "  - name: baseline\n"
            "  - name: floor\n"
            "    interventions: [{kind: price_floor, node: mine, "
            "floor: 100}]\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 2, 3, 1);
    cr_assert_eq(column(&f, 1, sf_results_closed_column(&f.res)), 0.0);
    cr_assert_eq(world_shortfall(&f, 1), 0.0);
    double paid = column(&f, 1, sf_results_cost_column(&f.res) +
                                    SF_COST_PRICE_FLOOR);
    double want = (P - P / 10.0) * N * 48.0;
    cr_assert_float_eq(paid, want, 1e-9 * want, "paid %.17g, want %.17g",
                       paid, want);
    cr_assert_eq(column(&f, 1, sf_results_cost_column(&f.res) +
                                   SF_COST_TOTAL),
                 paid);
    /* The market price the floor leaves: P/10 all along. */
    cr_assert_float_eq(column(&f, 1, 0), P / 10.0, 1e-9 * P);
    /* The mix avoids the baseline's 24 months of shortfall, at the floor's
     * cost per unit. */
    cr_assert_float_eq(f.res.pol[1].cost_ratio, want / (24.0 * N),
                       1e-9 * want / (24.0 * N));
    fixture_free(&f);
}

/* What a floor does to the other producers: two mines of the need each;
 * without a floor both sell half the need at P/2, above B's cost 0.4 P;
 * with a floor on A, A offers the whole need at any price, the price
 * falls to P/10, and B closes after 12 months and never reopens. */
Test(floor, a_floor_on_one_producer_closes_its_unfloored_rival)
{
    char yaml[2048];
    fixture f;
    yaml_of(yaml, sizeof yaml, 36,
            "  - {id: a, kind: mine, country: AU, output: metal, "
            "capacity: 1200}\n"
            "  - {id: b, kind: mine, country: CA, output: metal, "
            "capacity: 1200, unit_cost: 40}\n",
            "policies:\n"
            "  - name: baseline\n"
            "  - name: floor_a\n"
            "    interventions: [{kind: price_floor, node: a, floor: 100}]\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    size_t closed = sf_results_closed_column(&f.res);
    cr_assert_eq(column(&f, 0, closed), 0.0);
    cr_assert_float_eq(column(&f, 0, 0), P / 2.0, 1e-9 * P);
    cr_assert_eq(column(&f, 1, closed), 36.0 - 12.0, "%g",
                 column(&f, 1, closed));
    cr_assert_eq(world_shortfall(&f, 1), 0.0);
    fixture_free(&f);
}

/* A surge of severity 1 doubles a mine of the need: the surplus answer
 * with k = 2, price P/2, for the months it lasts. */
Test(floor, a_surge_raises_capacity_and_lowers_the_price)
{
    char yaml[2048];
    fixture f;
    yaml_of(yaml, sizeof yaml, 24,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 1200}\n",
            "shocks:\n"
            "  - {id: flood, kind: surge, nodes: [mine], severity: 1, "
            "schedule: {start_month: 0, duration_months: 24}}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    cr_assert_float_eq(column(&f, 0, 0), P / 2.0, 1e-9 * P, "%.17g",
                       column(&f, 0, 0));
    fixture_free(&f);
    /* Severity 3 (not capped at 1): four times the need, price P/4. */
    yaml_of(yaml, sizeof yaml, 24,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 1200}\n",
            "shocks:\n"
            "  - {id: flood, kind: surge, nodes: [mine], severity: 3, "
            "schedule: {start_month: 0, duration_months: 24}}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    cr_assert_float_eq(column(&f, 0, 0), P / 4.0, 1e-9 * P, "%.17g",
                       column(&f, 0, 0));
    fixture_free(&f);
}

/* A project with a unit cost is not judged before it is online: built
 * from month 30 (lead time 30), of the need beside a mine of the need, it
 * sells at P/2 from then, below its cost 1.2 P, and closes after 12
 * months online — from month 42, 6 months — not after 12 months of
 * waiting at its starting price P (which would close it from month 12
 * for good: 36 months). */
Test(floor, a_project_is_judged_only_once_online)
{
    char yaml[4096];
    fixture f;
    yaml_of(yaml, sizeof yaml, 48,
            "  - {id: mine, kind: mine, country: AU, output: metal, "
            "capacity: 1200}\n",
            "policies:\n"
            "  - name: baseline\n"
            "  - name: build\n"
            "    interventions:\n"
            "      - kind: new_capacity\n"
            "        node: {id: new, kind: mine, country: US, output: metal, "
            "capacity: 1200, unit_cost: 120}\n"
            "        lead_time_months: {dist: fixed, value: 30}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    cr_assert_eq(column(&f, 1, sf_results_closed_column(&f.res)), 6.0, "%g",
                 column(&f, 1, sf_results_closed_column(&f.res)));
    fixture_free(&f);
}

/* Lasting substitution (docs/model.md): z moves a fraction of the way to
 * its target each month, down at 1/adjust_months, up at 1/revert_months. */
Test(floor, substitution_moves_z_by_the_given_fractions)
{
    sf_commodity c = {0};
    c.sub_elasticity = 0.5;
    c.sub_adjust_months = 4;
    c.sub_revert_months = 10;
    /* Price 4 P: target 4^-0.5 = 0.5; from 1 a quarter of the way. */
    cr_assert_float_eq(sf_market_substitution(&c, 1.0, 4.0), 0.875, 1e-15);
    /* Price at or below P: target 1; from 0.5 a tenth of the way up. */
    cr_assert_float_eq(sf_market_substitution(&c, 0.5, 1.0), 0.55, 1e-15);
    cr_assert_float_eq(sf_market_substitution(&c, 0.5, 0.3), 0.55, 1e-15);
}

/* The only mine out for the whole horizon: the node receives nothing, pays
 * the cap M P, and its need falls as z_t = T + (1 - T) (1 - 1/a)^t with
 * T = M^-e; what it gives up is substituted, the rest is short. */
Test(floor, substitution_under_a_lasting_outage_follows_the_closed_form)
{
    char yaml[2048];
    fixture f;
    snprintf(yaml, sizeof yaml,
             "name: subst\n"
             "horizon_months: 36\n"
             "commodities: [{id: metal, unit: t, price: 100, price_cap: 4, "
             "substitution: {elasticity: 0.5, adjust_months: 6, "
             "revert_months: 24}}]\n"
             "nodes:\n"
             "  - {id: mine, kind: mine, country: AU, output: metal, "
             "capacity: 1200}\n"
             "  - {id: users, kind: demand, country: US, input: metal, "
             "demand: 1200}\n"
             "shocks:\n"
             "  - {id: out, kind: outage, nodes: [mine], "
             "schedule: {start_month: 0, duration_months: 36}}\n");
    fixture_load(&f, yaml);
    fixture_run(&f, 1, 3, 1);
    double T = pow(4.0, -0.5), r = 1.0 - 1.0 / 6.0, sub = 0.0;
    for (int t = 0; t < 36; t++)
        sub += N * (1.0 - T) * (1.0 - pow(r, t));
    size_t w = sf_results_world_unit(&f.res);
    double got = f.res.pol[0].metric[SF_M_SUBSTITUTED][w];
    cr_assert_float_eq(got, sub, 1e-9 * sub, "substituted %.17g, want %.17g",
                       got, sub);
    cr_assert_float_eq(world_shortfall(&f, 0), 36.0 * N - sub,
                       1e-9 * 36.0 * N);
    fixture_free(&f);
}

/* The exit and restart months swept: one mine of twice the need below its
 * cost is open E months, closed L = max(restart, 3) months (3: the months
 * above cost a reopening needs; a closed mine leaves the price at the cap),
 * open E, closed L, ... ; every closed month misses the whole need. */
Test(floor, exit_and_restart_swept)
{
    const int cases[][3] = {{12, 24, 48}, {5, 10, 40}, {3, 0, 30},
                            {7, 2, 50},   {1, 1, 20},  {20, 5, 36}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        int E = cases[c][0], Rm = cases[c][1], H = cases[c][2];
        int L = Rm > 3 ? Rm : 3, want = 0;
        for (int t = 0; t < H; t++)
            want += t % (E + L) >= E;
        char mine[256], yaml[2048];
        fixture f;
        snprintf(mine, sizeof mine,
                 "  - {id: mine, kind: mine, country: AU, output: metal, "
                 "capacity: 2400, unit_cost: 80, exit_after_months: %d, "
                 "restart_months: %d}\n",
                 E, Rm);
        yaml_of(yaml, sizeof yaml, H, mine, "");
        fixture_load(&f, yaml);
        fixture_run(&f, 1, 3, 1);
        cr_expect_eq(column(&f, 0, sf_results_closed_column(&f.res)),
                     (double)want, "E %d, restart %d, H %d: %g closed, want %d",
                     E, Rm, H, column(&f, 0, sf_results_closed_column(&f.res)),
                     want);
        cr_expect_float_eq(world_shortfall(&f, 0), want * N, 1e-9 * H * N,
                           "E %d, restart %d: shortfall %.17g", E, Rm,
                           world_shortfall(&f, 0));
        fixture_free(&f);
    }
}

/* The floor's payments swept: a mine of k times the need under a floor
 * F >= P offers all it has, the price falls to its bound P/M, and the
 * state pays (F - P/M) on each of the N units sold a month. */
Test(floor, floor_payments_swept)
{
    const double cases[][3] = {{2, 100, 10}, {3, 150, 10}, {2, 300, 4},
                               {1.5, 120, 20}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        double k = cases[c][0], F = cases[c][1], M = cases[c][2];
        char yaml[2048];
        fixture f;
        snprintf(yaml, sizeof yaml,
                 "name: floor\n"
                 "horizon_months: 24\n"
                 "discount_rate: 0\n"
                 "commodities: [{id: metal, unit: t, price: %g, price_cap: %g}]\n"
                 "nodes:\n"
                 "  - {id: mine, kind: mine, country: AU, output: metal, "
                 "capacity: %g, unit_cost: 80}\n"
                 "  - {id: users, kind: demand, country: US, input: metal, "
                 "demand: %g}\n"
                 "policies:\n"
                 "  - name: baseline\n"
                 "  - name: floor\n"
                 "    interventions: [{kind: price_floor, node: mine, "
                 "floor: %g}]\n",
                 P, M, k * 12 * N, 12 * N, F);
        fixture_load(&f, yaml);
        fixture_run(&f, 1, 3, 1);
        double want = (F - P / M) * N * 24.0;
        double paid = column(&f, 1, sf_results_cost_column(&f.res) +
                                        SF_COST_PRICE_FLOOR);
        cr_expect_float_eq(paid, want, 1e-9 * want,
                           "k %g, F %g, M %g: paid %.17g, want %.17g", k, F,
                           M, paid, want);
        cr_expect_float_eq(column(&f, 1, 0), P / M, 1e-9 * P, "price %.17g",
                           column(&f, 1, 0));
        cr_expect_eq(column(&f, 1, sf_results_closed_column(&f.res)), 0.0);
        fixture_free(&f);
    }
}
