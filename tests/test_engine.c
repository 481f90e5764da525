/*
 * test_engine.c — the engine against known answers (docs/model.md, "Known
 * answers"), statistical checks whose tolerances come from the standard
 * errors the run reports, and determinism across threads and seeds.
 */
#include <math.h>
#include <stdio.h>

#include "sim_fixture.h"

/* One foreign mine, one demand node, N = 10 a month; a scheduled full ban
 * of 4 months from month 6; a stockpile of 25 units in the second mix. */
static const char *ban_yaml =
    "name: ban\n"
    "horizon_months: 24\n"
    "commodities: [{id: metal, unit: t}]\n"
    "nodes:\n"
    "  - {id: au_mine, kind: mine, country: AU, output: metal, capacity: 120}\n"
    "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
    "shocks:\n"
    "  - {id: ban, kind: export_restriction, exporter: AU, commodities: all,\n"
    "     targets: all, schedule: {start_month: 6, duration_months: 4}}\n"
    "policies:\n"
    "  - name: baseline\n"
    "  - name: stock\n"
    "    interventions: [{kind: stockpile, node: us_d, initial: 25}]\n"
    "  - name: big_stock\n"
    "    interventions: [{kind: stockpile, node: us_d, initial: 100}]\n";

Test(engine, scheduled_ban_with_stockpile_is_exact)
{
    fixture f;
    fixture_load(&f, ban_yaml);
    fixture_run(&f, 3, 1, 1);
    /* max(0, D N - V): 40 without a stockpile, 15 with 25 units, 0 with
     * 100; the same in every trial since nothing is random. */
    const double want[3] = {40.0, 15.0, 0.0};
    const double months[3] = {4.0, 2.0, 0.0};
    const double lowest[3] = {0.0, 0.0, 60.0};
    for (size_t p = 0; p < 3; p++) {
        const sf_summary *s = fixture_summary(&f, p, SF_M_SHORTFALL, "us_d");
        cr_assert_eq(s->mean, want[p], "policy %zu: %g", p, s->mean);
        cr_assert_eq(s->sd, 0.0);
        cr_assert_eq(fixture_summary(&f, p, SF_M_NEED, "us_d")->mean, 240.0);
        cr_assert_eq(fixture_summary(&f, p, SF_M_MONTHS_SHORT, "US")->mean,
                     months[p]);
        cr_assert_eq(fixture_summary(&f, p, SF_M_LONGEST_RUN, "world")->mean,
                     months[p]);
        cr_assert_eq(fixture_summary(&f, p, SF_M_MIN_STOCK, "us_d")->mean,
                     lowest[p]);
    }
    /* The shortfall falls in the last months of the ban: months 8 (5 of
     * 10 short) and 9 (all short) under the 25-unit stockpile. */
    const sf_policy_results *pr = &f.res.pol[1];
    size_t U = f.res.n_units;
    for (int t = 0; t < 24; t++) {
        double frac = pr->month_frac_mean[(size_t)t * U];
        double expect = t == 8 ? 0.5 : (t == 9 ? 1.0 : 0.0);
        cr_assert_eq(frac, expect, "month %d: %g", t, frac);
    }
    /* The drivers: the ban begins in month 6, one episode, severity 1
     * (the default); demand without volatility has noise factor 1. */
    for (size_t p = 0; p < 3; p++)
        for (size_t r = 0; r < f.res.n_done; r++) {
            const double *d =
                &f.res.pol[p].driver[r * sf_results_driver_columns(&f.res, p)];
            cr_assert_eq(sf_results_driver_columns(&f.res, p), 4);
            cr_assert(d[0] == 6.0 && d[1] == 1.0 && d[2] == 1.0 && d[3] == 1.0,
                      "policy %zu: %g %g %g %g", p, d[0], d[1], d[2], d[3]);
        }
    /* Paired: the stockpile avoids exactly 25 in every trial. */
    cr_assert_eq(pr->avoided[0].mean, 25.0);
    cr_assert_eq(pr->avoided[0].se, 0.0);
    cr_assert_eq(pr->avoided[0].p_better, 1.0);
    fixture_free(&f);
}

Test(engine, no_shocks_and_ample_capacity_give_zero_shortfall)
{
    fixture f;
    fixture_load(&f,
                 "name: calm\n"
                 "horizon_months: 36\n"
                 "commodities: [{id: ore, unit: t}, {id: metal, unit: t}]\n"
                 "nodes:\n"
                 "  - {id: m1, kind: mine, country: AU, output: ore, capacity: 2000}\n"
                 "  - {id: m2, kind: mine, country: CN, output: ore, capacity: 2000}\n"
                 "  - {id: r1, kind: refiner, country: CN, input: ore, output: metal,\n"
                 "     capacity: 1000, yield: 0.8}\n"
                 "  - {id: r2, kind: refiner, country: JP, input: ore, output: metal,\n"
                 "     capacity: 900, yield: 0.9, input_buffer_months: 3}\n"
                 "  - {id: d1, kind: demand, country: US, input: metal, demand: 200,\n"
                 "     growth: 0.1, volatility: 0.2}\n"
                 "  - {id: d2, kind: demand, country: JP, input: metal, demand: 150}\n");
    fixture_run(&f, 2000, 3, 2);
    for (size_t u = 0; u < f.res.n_units; u++) {
        const sf_summary *s =
            &f.res.pol[0].summary[SF_M_SHORTFALL * f.res.n_units + u];
        cr_assert_eq(s->mean, 0.0, "%s: %g", sf_results_unit_name(&f.res, u),
                     s->mean);
        cr_assert_eq(s->p_any, 0.0);
    }
    /* Need grows and is noisy, but its mean over trials follows the
     * growth curve: sum_t 200/12 * 1.1^(t/12), within 4 standard errors. */
    double want = 0.0;
    for (int t = 0; t < 36; t++)
        want += 200.0 / 12.0 * pow(1.1, t / 12.0);
    const sf_summary *need = fixture_summary(&f, 0, SF_M_NEED, "d1");
    cr_assert_lt(fabs(need->mean - want), 4 * need->se,
                 "need %g vs %g (se %g)", need->mean, want, need->se);
    cr_assert_gt(need->se, 0.0);
    fixture_free(&f);
}

/* Expected active months of a shock with monthly onset probability p and
 * fixed duration d over T months, by the Markov chain over "months left
 * in the episode" (0 = free to start). */
static double expected_active_months(double p, int d, int T)
{
    double dist[64] = {0}, next[64];
    double total = 0.0;
    cr_assert_lt(d, 64);
    dist[0] = 1.0;
    for (int t = 0; t < T; t++) {
        memset(next, 0, sizeof next);
        for (int r = 0; r <= d; r++) {
            if (dist[r] == 0.0)
                continue;
            if (r > 0) {
                total += dist[r];
                next[r - 1] += dist[r];
            } else {
                total += p * dist[0];
                next[d - 1] += p * dist[0];
                next[0] += (1 - p) * dist[0];
            }
        }
        memcpy(dist, next, sizeof dist);
    }
    return total;
}

static const char *hazard_yaml =
    "name: hazard\n"
    "horizon_months: 48\n"
    "commodities: [{id: metal, unit: t}]\n"
    "nodes:\n"
    "  - {id: au_mine, kind: mine, country: AU, output: metal, capacity: 120}\n"
    "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
    "shocks:\n"
    "  - {id: r, kind: export_restriction, exporter: AU, commodities: all,\n"
    "     targets: all, hazard_per_year: 1.2, duration_months: 3}\n";

Test(engine, random_restriction_active_months_match_the_recursion)
{
    fixture f;
    fixture_load(&f, hazard_yaml);
    fixture_run(&f, 20000, 11, 2);
    double p = -expm1(-1.2 / 12.0);
    double truth = expected_active_months(p, 3, 48);
    const sf_summary *s = &f.res.pol[0].shock_summary[0];
    cr_assert_lt(fabs(s->mean - truth), 4 * s->se, "mean %g truth %g se %g",
                 s->mean, truth, s->se);
    /* A full ban with nothing else: shortfall months = active months. */
    const sf_summary *ms = fixture_summary(&f, 0, SF_M_MONTHS_SHORT, "us_d");
    cr_assert_eq(ms->mean, s->mean);
    fixture_free(&f);
}

Test(engine, standard_errors_cover_the_truth_at_their_nominal_rate,
     .timeout = 300)
{
    fixture f;
    fixture_load(&f, hazard_yaml);
    double p = -expm1(-1.2 / 12.0);
    double truth = expected_active_months(p, 3, 48);
    int covered = 0, runs = 1000;
    for (int seed = 1; seed <= runs; seed++) {
        fixture_run(&f, 200, (uint64_t)seed * 7919, 1);
        const sf_summary *s = &f.res.pol[0].shock_summary[0];
        covered += fabs(s->mean - truth) <= 1.959964 * s->se;
    }
    /* 95 % intervals: the count of 1000 is Binomial(1000, 0.95), sd 6.9,
     * so 930..970 is about +-2.9 sd. */
    cr_assert(covered >= 930 && covered <= 970, "covered %d of %d", covered,
              runs);
    fixture_free(&f);
}

static void assert_same_results(const sf_results *a, const sf_results *b,
                                bool want_same)
{
    size_t U = a->n_units, n = a->n_done, K = a->model->n_shocks;
    size_t cells = (size_t)a->n_months * U;
    bool same = a->n_done == b->n_done && a->n_policies == b->n_policies;
    for (size_t p = 0; same && p < a->n_policies; p++) {
        const sf_policy_results *x = &a->pol[p], *y = &b->pol[p];
        for (int m = 0; m < SF_M_COUNT; m++)
            same = same && memcmp(x->metric[m], y->metric[m],
                                  n * U * sizeof(double)) == 0;
        same = same && memcmp(x->shock_months, y->shock_months,
                              n * K * sizeof(int32_t)) == 0;
        same = same && memcmp(x->driver, y->driver,
                              n * sf_results_driver_columns(a, p) *
                                  sizeof(double)) == 0;
        size_t NP = sf_results_price_columns(a);
        size_t pc = (size_t)a->n_months * a->model->n_commodities;
        same = same && memcmp(x->price, y->price, n * NP * sizeof(double)) == 0;
        same = same && memcmp(x->price_sum, y->price_sum,
                              pc * sizeof(uint64_t)) == 0;
        same = same && memcmp(x->price_hist, y->price_hist,
                              pc * SF_PRICE_BINS * sizeof(uint64_t)) == 0;
        same = same && memcmp(x->price_summary, y->price_summary,
                              NP * sizeof(sf_summary)) == 0;
        same = same && memcmp(x->price_month_q, y->price_month_q,
                              a->n_quantiles * pc * sizeof(double)) == 0;
        same = same && memcmp(x->month_frac_sum, y->month_frac_sum,
                              cells * sizeof(uint64_t)) == 0;
        same = same && memcmp(x->month_hist, y->month_hist,
                              cells * (SF_HIST_BINS + 1) * sizeof(uint64_t)) == 0;
        same = same && memcmp(x->summary, y->summary,
                              SF_M_COUNT * U * sizeof(sf_summary)) == 0;
        same = same && memcmp(x->month_frac_q, y->month_frac_q,
                              a->n_quantiles * cells * sizeof(double)) == 0;
        if (p > 0)
            same = same && memcmp(x->avoided, y->avoided,
                                  U * sizeof(sf_paired)) == 0;
    }
    if (want_same)
        cr_assert(same, "results differ");
    else
        cr_assert(!same, "results are identical");
}

static void load_toy(fixture *f)
{
    sf_error err = {0};
    memset(f, 0, sizeof *f);
    cr_assert_eq(sf_scenario_load(&f->sc, "scenarios/toy-magnets.yaml", &err),
                 0, "%s", err.msg);
    cr_assert_eq(sf_model_init(&f->m, &f->sc, &err), 0, "%s", err.msg);
}

Test(engine, bitwise_identical_for_one_and_two_threads)
{
    fixture a, b;
    load_toy(&a);
    load_toy(&b);
    /* 5000 trials: five blocks, so the two threads share them unevenly. */
    fixture_run(&a, 5000, 7, 1);
    fixture_run(&b, 5000, 7, 2);
    assert_same_results(&a.res, &b.res, true);
    fixture_run(&b, 5000, 7, 2);
    assert_same_results(&a.res, &b.res, true);
    fixture_run(&b, 5000, 8, 2);
    assert_same_results(&a.res, &b.res, false);
    fixture_free(&a);
    fixture_free(&b);
}

Test(engine, every_mix_sees_the_same_shocks)
{
    fixture f;
    load_toy(&f);
    fixture_run(&f, 2000, 5, 2);
    size_t bytes = f.res.n_done * f.m.n_shocks * sizeof(int32_t);
    for (size_t p = 1; p < f.res.n_policies; p++)
        cr_assert(memcmp(f.res.pol[0].shock_months, f.res.pol[p].shock_months,
                         bytes) == 0,
                  "policy %zu saw other shocks", p);
    /* And the toy's controls do bite: some trials have shortfall. */
    cr_assert_gt(fixture_summary(&f, 0, SF_M_SHORTFALL, "world")->p_any, 0.0);
    fixture_free(&f);
}

Test(engine, a_plant_that_never_completes_changes_nothing)
{
    fixture f;
    fixture_load(&f,
                 "name: never\n"
                 "horizon_months: 36\n"
                 "commodities: [{id: oxide, unit: t}, {id: magnet, unit: t}]\n"
                 "nodes:\n"
                 "  - {id: cn_ref, kind: mine, country: CN, output: oxide, capacity: 900}\n"
                 "  - {id: cn_plant, kind: plant, country: CN, input: oxide, output: magnet,\n"
                 "     capacity: 850}\n"
                 "  - {id: us_d, kind: demand, country: US, input: magnet, demand: 400,\n"
                 "     volatility: 0.1}\n"
                 "shocks:\n"
                 "  - {id: c, kind: export_restriction, exporter: CN, commodities: all,\n"
                 "     targets: all, hazard_per_year: 0.5,\n"
                 "     duration_months: {dist: lognormal, median: 6, sigma: 0.7},\n"
                 "     severity: {dist: beta, a: 4, b: 2}}\n"
                 "policies:\n"
                 "  - name: baseline\n"
                 "  - name: never\n"
                 "    interventions:\n"
                 "      - kind: new_capacity\n"
                 "        node: {id: us_plant, kind: plant, country: US, input: oxide,\n"
                 "               output: magnet, capacity: 300}\n"
                 "        lead_time_months: 6\n"
                 "        completion_probability: 0\n"
                 "  - name: always\n"
                 "    interventions:\n"
                 "      - kind: new_capacity\n"
                 "        node: {id: us_plant2, kind: plant, country: US, input: oxide,\n"
                 "               output: magnet, capacity: 300}\n"
                 "        lead_time_months: 6\n");
    fixture_run(&f, 3000, 9, 2);
    size_t bytes = f.res.n_done * f.res.n_units * sizeof(double);
    for (int m = 0; m < SF_M_COUNT; m++)
        cr_assert(memcmp(f.res.pol[0].metric[m], f.res.pol[1].metric[m],
                         bytes) == 0,
                  "metric %s differs", sf_metric_name((sf_metric)m));
    /* Its drivers: one project, lead time 6, never completed; the other
     * mix's always completes; the baseline has none. */
    cr_assert_eq(sf_results_projects(&f.res, 0, NULL), 0);
    for (size_t p = 1; p < 3; p++) {
        size_t first, count, ND = sf_results_driver_columns(&f.res, p);
        sf_results_driver_range(&f.res, p, SF_DRV_LEAD, &first, &count);
        cr_assert_eq(count, 1);
        for (size_t r = 0; r < f.res.n_done; r++) {
            const double *d = &f.res.pol[p].driver[r * ND];
            cr_assert_eq(d[first], 6.0);
            cr_assert_eq(d[first + 1], p == 2 ? 1.0 : 0.0);
        }
    }
    /* A plant that does come online helps, by more than 4 paired SE. */
    const sf_paired *av = &f.res.pol[2].avoided[0];
    cr_assert_gt(av->mean, 4 * av->se, "avoided %g se %g", av->mean, av->se);
    fixture_free(&f);
}

/* The ban scenario with demand reduction, recycling, a hazard multiplier
 * that switches a random shock off, and a policy tariff. */
static const char *policies_yaml =
    "name: pol\n"
    "horizon_months: 24\n"
    "commodities: [{id: metal, unit: t}]\n"
    "nodes:\n"
    "  - {id: au_mine, kind: mine, country: AU, output: metal, capacity: 120}\n"
    "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
    "shocks:\n"
    "  - {id: ban, kind: export_restriction, exporter: AU, commodities: all,\n"
    "     targets: all, schedule: {start_month: 6, duration_months: 4}}\n"
    "  - {id: storm, kind: outage, nodes: [au_mine], severity: 0.5,\n"
    "     hazard_per_year: 2, duration_months: 2}\n"
    "policies:\n"
    "  - name: baseline\n"
    "    interventions: [{kind: hazard_multiplier, shock: storm, factor: 0}]\n"
    "  - name: thrift\n"
    "    interventions:\n"
    "      - {kind: hazard_multiplier, shock: storm, factor: 0}\n"
    "      - {kind: demand_reduction, node: us_d, share: 0.5}\n"
    "  - name: recycle\n"
    "    interventions:\n"
    "      - {kind: hazard_multiplier, shock: storm, factor: 0}\n"
    "      - {kind: recycling, node: us_d, share: 0.25}\n"
    "  - name: storms\n"
    "  - name: tariffed\n"
    "    interventions:\n"
    "      - {kind: hazard_multiplier, shock: storm, factor: 0}\n"
    "      - {id: duty, kind: tariff, importer: US, exporter: AU,\n"
    "         commodities: all, rate: 0.1, schedule: {start_month: 0,\n"
    "         duration_months: 24}}\n";

Test(engine, policies_have_their_exact_effects)
{
    fixture f;
    fixture_load(&f, policies_yaml);
    fixture_run(&f, 50, 2, 2);
    /* Baseline: the ban only (storms are switched off): 4 x 10. */
    cr_assert_eq(fixture_summary(&f, 0, SF_M_SHORTFALL, "us_d")->mean, 40.0);
    /* Demand reduction halves need and shortfall. */
    cr_assert_eq(fixture_summary(&f, 1, SF_M_SHORTFALL, "us_d")->mean, 20.0);
    cr_assert_eq(fixture_summary(&f, 1, SF_M_NEED, "us_d")->mean, 120.0);
    /* Recycling meets a quarter of need even during the ban. */
    cr_assert_eq(fixture_summary(&f, 2, SF_M_SHORTFALL, "us_d")->mean, 30.0);
    /* Storms at 2 a year halve the mine for 2 months: more shortfall in
     * expectation, on the same ban. */
    const sf_summary *st = fixture_summary(&f, 3, SF_M_SHORTFALL, "us_d");
    cr_assert_gt(st->mean, 40.0);
    cr_assert_gt(f.res.pol[3].shock_summary[1].mean, 0.0);
    cr_assert_eq(f.res.pol[0].shock_summary[1].mean, 0.0);
    /* The policy tariff (market version 2): the mine's price p solves
     * 10 p = 10 (1.1 p)^-0.2 (supply held back below the reference price,
     * demand priced out above it), p = 1.1^(-0.2/1.2); the node receives
     * 10 p a month, pays 10 p x p x 0.1 of tariff and gives up 10 (1 - p)
     * in each of the 20 months outside the ban. */
    double p = pow(1.1, -0.2 / 1.2);
    cr_assert_float_eq(fixture_summary(&f, 4, SF_M_TARIFF, "us_d")->mean,
                       20.0 * 10.0 * p * p * 0.1, 1e-7);
    cr_assert_float_eq(fixture_summary(&f, 4, SF_M_SHORTFALL, "us_d")->mean,
                       40.0 + 20.0 * 10.0 * (1.0 - p), 1e-7);
    cr_assert_float_eq(fixture_summary(&f, 4, SF_M_PRICED_OUT, "us_d")->mean,
                       20.0 * 10.0 * (1.0 - p), 1e-7);
    cr_assert_float_eq(fixture_summary(&f, 4, SF_M_RATIONED, "us_d")->mean,
                       40.0, 1e-9);
    cr_assert_eq(f.res.pol[4].shock_summary[2].mean, 24.0);
    cr_assert_eq(f.res.pol[0].shock_summary[2].mean, 0.0);
    fixture_free(&f);
}

Test(engine, a_trigger_multiplies_the_hazard)
{
    /* A tariff active from month 0 raises a restriction's hazard by 3
     * from month 1 on; month 0 uses the bare hazard. */
    fixture f;
    fixture_load(&f,
                 "name: trig\n"
                 "horizon_months: 36\n"
                 "commodities: [{id: metal, unit: t}]\n"
                 "nodes:\n"
                 "  - {id: cn, kind: mine, country: CN, output: metal, capacity: 120}\n"
                 "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
                 "shocks:\n"
                 "  - {id: r, kind: export_restriction, exporter: CN, commodities: all,\n"
                 "     targets: all, hazard_per_year: 0.4, duration_months: 1}\n"
                 "  - {id: t, kind: tariff, importer: US, exporter: CN, commodities: all,\n"
                 "     rate: 0.2, schedule: {start_month: 0, duration_months: 36}}\n"
                 "triggers: [{when: t, raises: r, factor: 3}]\n");
    fixture_run(&f, 20000, 4, 2);
    /* Duration 1: each month is an independent Bernoulli. */
    double p0 = -expm1(-0.4 / 12.0), p1 = -expm1(-1.2 / 12.0);
    double truth = p0 + 35 * p1;
    const sf_summary *s = &f.res.pol[0].shock_summary[0];
    cr_assert_lt(fabs(s->mean - truth), 4 * s->se, "%g vs %g (se %g)",
                 s->mean, truth, s->se);
    fixture_free(&f);
}

Test(engine, regimes_make_restrictions_cluster)
{
    /* calm -> crisis with probability 0.05 a month, crisis absorbing; the
     * restriction can only start in a crisis (multiplier 0 in calm). */
    fixture f;
    fixture_load(&f,
                 "name: reg\n"
                 "horizon_months: 36\n"
                 "commodities: [{id: metal, unit: t}]\n"
                 "nodes:\n"
                 "  - {id: cn, kind: mine, country: CN, output: metal, capacity: 120}\n"
                 "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
                 "shocks:\n"
                 "  - {id: r, kind: export_restriction, exporter: CN, commodities: all,\n"
                 "     targets: all, hazard_per_year: 6, duration_months: 1}\n"
                 "regimes:\n"
                 "  states: [calm, crisis]\n"
                 "  start: calm\n"
                 "  transitions: {calm: [0.95, 0.05], crisis: [0, 1]}\n"
                 "  multipliers: {calm: {r: 0}}\n");
    fixture_run(&f, 20000, 5, 2);
    /* P(crisis in month t) = 1 - 0.95^t; duration 1 makes months
     * independent given the regime. */
    double p = -expm1(-6.0 / 12.0), truth = 0.0;
    for (int t = 0; t < 36; t++)
        truth += (1.0 - pow(0.95, t)) * p;
    const sf_summary *s = &f.res.pol[0].shock_summary[0];
    cr_assert_lt(fabs(s->mean - truth), 4 * s->se, "%g vs %g (se %g)",
                 s->mean, truth, s->se);
    fixture_free(&f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

Test(engine, summary_statistics_match_a_direct_computation)
{
    fixture f;
    load_toy(&f);
    fixture_run(&f, 3000, 21, 2);
    size_t n = f.res.n_done, U = f.res.n_units, u = U - 1;
    const double *x = f.res.pol[0].metric[SF_M_SHORTFALL];
    double *v = malloc(n * sizeof *v), sum = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        sum += (v[i] = x[i * U + u]);
    double mean = sum / n;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - mean) * (v[i] - mean);
    qsort(v, n, sizeof *v, cmp_double);
    const sf_summary *s = &f.res.pol[0].summary[SF_M_SHORTFALL * U + u];
    cr_assert_float_eq(s->mean, mean, 1e-9 * (1 + mean));
    cr_assert_float_eq(s->sd, sqrt(ss / (n - 1)), 1e-9 * (1 + s->sd));
    cr_assert_float_eq(s->se, s->sd / sqrt(n), 1e-12 * (1 + s->se));
    /* Quantile 0.95 by linear interpolation between order statistics. */
    double h = 0.95 * (n - 1);
    size_t lo = (size_t)floor(h);
    double q95 = v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
    cr_assert_float_eq(s->q[3], q95, 1e-9 * (1 + q95));
    /* CVaR95: the mean of the 150 largest of 3000. */
    double tail = 0;
    for (size_t i = n - 150; i < n; i++)
        tail += v[i];
    cr_assert_float_eq(s->cvar95, tail / 150, 1e-9 * (1 + tail));
    cr_assert_geq(s->cvar95, s->q[3]);
    free(v);
    /* Paired: avoided = baseline - mix per trial, its mean and SE. */
    const double *y = f.res.pol[1].metric[SF_M_SHORTFALL];
    double dsum = 0, dss = 0;
    for (size_t i = 0; i < n; i++)
        dsum += x[i * U + u] - y[i * U + u];
    double dmean = dsum / n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i * U + u] - y[i * U + u] - dmean;
        dss += d * d;
    }
    const sf_paired *av = &f.res.pol[1].avoided[u];
    cr_assert_float_eq(av->mean, dmean, 1e-9 * (1 + fabs(dmean)));
    cr_assert_float_eq(av->se, sqrt(dss / (n - 1) / n), 1e-9 * (1 + av->se));
    /* Fan chart: the month-t mean fraction is the mean of per-trial
     * fractions, and P95 brackets it from the histogram's resolution. */
    size_t T = (size_t)f.res.n_months;
    for (size_t t = 0; t < T; t++) {
        double m = f.res.pol[0].month_frac_mean[t * U + u];
        cr_assert(m >= 0 && m <= 1);
        double p50 = f.res.pol[0].month_frac_q[(1 * T + t) * U + u];
        double p99 = f.res.pol[0].month_frac_q[(4 * T + t) * U + u];
        cr_assert_leq(p50, p99);
    }
    fixture_free(&f);
}

static volatile sig_atomic_t stop_flag;
static uint64_t stop_at;

/* Raises the stop flag once `stop_at` trials are reported done. */
static void stop_when_done(void *ctx, uint64_t done, uint64_t total)
{
    (void)ctx;
    (void)total;
    if (done >= stop_at)
        stop_flag = 1;
}

/* A stop takes effect within the block in progress, not at the end of a
 * wave of blocks; the completed trials are the first n_done, and resuming
 * gives the same results as never stopping. */
Test(engine, an_interrupted_run_resumes_to_the_same_result)
{
    fixture a, b;
    int policies[3] = {0, 1, 2};
    sf_run_options opt = {0};
    sf_error err = {0};

    load_toy(&a);
    load_toy(&b);
    fixture_run(&a, 9000, 13, 2);
    opt.seed = 13;
    opt.n_trials = 9000;
    opt.threads = 1;
    opt.n_policies = 3;
    opt.policies = policies;
    opt.stop = &stop_flag;
    opt.progress = stop_when_done;
    stop_flag = 0;
    stop_at = 1;
    cr_assert_eq(sf_results_init(&b.res, &b.m, &opt, &err), 0);
    cr_assert_eq(sf_engine_run(&b.m, &opt, &b.res, &err), 0, "%s", err.msg);
    /* Stopped at the first report, inside the first block of the first
     * wave (of 2 blocks on one thread). */
    cr_assert(b.res.n_done >= 1 && b.res.n_done < SF_BLOCK_TRIALS,
              "stopped after %llu trials", (unsigned long long)b.res.n_done);
    stop_flag = 0;
    opt.progress = NULL;
    opt.threads = 2;
    cr_assert_eq(sf_engine_run(&b.m, &opt, &b.res, &err), 0, "%s", err.msg);
    cr_assert_eq(b.res.n_done, 9000);
    cr_assert_eq(sf_results_summarise(&b.res, &err), 0);
    assert_same_results(&a.res, &b.res, true);
    fixture_free(&a);
    fixture_free(&b);
}

/* Stopped again and again at points inside blocks, on 2 and 8 threads
 * whose slices finish out of order: every piece leaves exactly the first
 * n_done trials, rows and accumulators, so the pieces add up to the
 * uninterrupted run. */
Test(engine, stops_inside_blocks_on_many_threads_add_up_to_one_run)
{
    fixture a, b;
    int policies[3] = {0, 1, 2};
    sf_run_options opt = {0};
    sf_error err = {0};
    int pieces = 0, inside = 0;

    load_toy(&a);
    load_toy(&b);
    fixture_run(&a, 7000, 29, 1);
    opt.seed = 29;
    opt.n_trials = 7000;
    opt.n_policies = 3;
    opt.policies = policies;
    opt.stop = &stop_flag;
    opt.progress = stop_when_done;
    cr_assert_eq(sf_results_init(&b.res, &b.m, &opt, &err), 0);
    while (b.res.n_done < 7000) {
        uint64_t before = b.res.n_done;
        opt.threads = pieces % 2 ? 8 : 2;
        stop_flag = 0;
        stop_at = before + 700;
        cr_assert_eq(sf_engine_run(&b.m, &opt, &b.res, &err), 0, "%s", err.msg);
        cr_assert_gt(b.res.n_done, before);
        inside += b.res.n_done < 7000 && b.res.n_done % SF_BLOCK_TRIALS != 0;
        pieces++;
    }
    cr_assert_gt(pieces, 3);
    cr_assert_gt(inside, 0, "no stop fell inside a block");
    cr_assert_eq(sf_results_summarise(&b.res, &err), 0);
    assert_same_results(&a.res, &b.res, true);
    fixture_free(&a);
    fixture_free(&b);
}

Test(engine, identical_for_1_2_and_8_threads_repeatedly)
{
    /* More threads than cores, several times: a race would show as a
     * difference sooner or later. */
    fixture a, b;
    load_toy(&a);
    load_toy(&b);
    fixture_run(&a, 6000, 17, 1);
    for (int rep = 0; rep < 3; rep++) {
        fixture_run(&b, 6000, 17, 2);
        assert_same_results(&a.res, &b.res, true);
        fixture_run(&b, 6000, 17, 8);
        assert_same_results(&a.res, &b.res, true);
    }
    fixture_free(&a);
    fixture_free(&b);
}

/* A streamed run's column reader, here from the rows held in memory. */
static int column_from_rows(void *ctx, const sf_results *res, size_t policy,
                            int what, size_t index, uint64_t first,
                            uint64_t count, double *out, sf_error *err)
{
    const sf_policy_results *pr = &res->pol[policy];
    size_t U = res->n_units, K = res->model->n_shocks;
    (void)err;
    size_t NP = sf_results_price_columns(res);
    for (uint64_t i = 0; i < count; i++)
        out[i] = what == SF_COLUMN_PRICE
                     ? pr->price[(first + i) * NP + index]
                 : what == SF_COLUMN_SHOCK
                     ? (double)pr->shock_months[(first + i) * K + index]
                     : pr->metric[what][(first + i) * U + index];
    *(uint64_t *)ctx += count;
    return 0;
}

/* The statistics from columns — a few whole columns at a time, or, in
 * less memory, each column read several times with the quantiles and
 * CVaR95 found by selection, in bands of the worst 5 % as small as one
 * value — are the same bits as from the sorted rows, at the default
 * quantile levels and at others. */
Test(engine, statistics_from_columns_in_any_memory_are_the_same_bits)
{
    static const uint64_t trials[] = {1, 2, 7, 20, 3000};
    static const uint64_t memory[] = {8, 64, 8192, 1u << 30};
    fixture a;
    sf_error err = {0};

    /* Levels of run --quantiles, for every other trial count: the ends,
     * uneven ones and more than the default's five. */
    static const double levels[] = {0, 0.01, 0.25, 1.0 / 3, 0.5, 0.75,
                                    0.999, 1};
    load_toy(&a);
    for (size_t i = 0; i < sizeof trials / sizeof *trials; i++) {
        fixture_run(&a, trials[i], 23, 2);
        if (i % 2 == 1) {
            a.res.n_quantiles = sizeof levels / sizeof *levels;
            memcpy(a.res.quantiles, levels, sizeof levels);
            sf_results_free_statistics(&a.res);
            cr_assert_eq(sf_results_summarise(&a.res, &err), 0, "%s", err.msg);
        }
        size_t U = a.res.n_units, K = a.m.n_shocks;
        size_t P = a.res.n_policies;
        size_t NP = sf_results_price_columns(&a.res);
        sf_summary *sum[8], *shock[8], *price[8];
        sf_paired *avoided[8];
        cr_assert_leq(P, 8);
        for (size_t p = 0; p < P; p++) {
            sum[p] = a.res.pol[p].summary;
            shock[p] = a.res.pol[p].shock_summary;
            avoided[p] = a.res.pol[p].avoided;
            price[p] = a.res.pol[p].price_summary;
            a.res.pol[p].summary = a.res.pol[p].shock_summary = NULL;
            a.res.pol[p].avoided = NULL;
            a.res.pol[p].price_summary = NULL;
        }
        for (size_t j = 0; j < sizeof memory / sizeof *memory; j++) {
            uint64_t rows_read = 0;
            sf_results_free_statistics(&a.res);
            a.res.stats_memory = memory[j];
            cr_assert_eq(sf_results_summarise_columns(&a.res, column_from_rows,
                                                      &rows_read, &err),
                         0, "%s", err.msg);
            for (size_t p = 0; p < P; p++) {
                const sf_policy_results *pr = &a.res.pol[p];
                cr_assert(memcmp(pr->summary, sum[p],
                                 SF_M_COUNT * U * sizeof *sum[p]) == 0,
                          "summary differs: %llu trials, %llu bytes, mix %zu",
                          (unsigned long long)trials[i],
                          (unsigned long long)memory[j], p);
                cr_assert(memcmp(pr->shock_summary, shock[p],
                                 K * sizeof *shock[p]) == 0,
                          "shock summary differs: %llu trials, %llu bytes",
                          (unsigned long long)trials[i],
                          (unsigned long long)memory[j]);
                /* Bitwise, NaN columns (a region with no buyer) too. */
                cr_assert(memcmp(pr->price_summary, price[p],
                                 NP * sizeof *price[p]) == 0,
                          "price summary differs: %llu trials, %llu bytes",
                          (unsigned long long)trials[i],
                          (unsigned long long)memory[j]);
                if (p > 0)
                    cr_assert(memcmp(pr->avoided, avoided[p],
                                     U * sizeof *avoided[p]) == 0,
                              "avoided differs: %llu trials, %llu bytes",
                              (unsigned long long)trials[i],
                              (unsigned long long)memory[j]);
            }
            /* Where whole columns did not fit, every column was read
             * several times. */
            if ((a.res.threads > 1 ? 2 * a.res.threads : 4) * trials[i] *
                    sizeof(double) >
                memory[j])
                cr_assert_geq(rows_read, 2 * trials[i] * (SF_M_COUNT * U + K));
        }
        for (size_t p = 0; p < P; p++) {
            free(sum[p]);
            free(shock[p]);
            free(avoided[p]);
            free(price[p]);
        }
    }
    fixture_free(&a);
}

/* --- market version 2 through the whole engine ------------------------- */

/* Two-tier prices under a quota (docs/model.md): a CN mine of 2N, CN and
 * US nodes of N each (eps 0.5), a restriction CN -> all of severity s
 * from month `start`.  The reference month sends N to the US, so the
 * quota is (1 - s) N: the US is short s N a month while it lasts, all of
 * it priced out, and CN is never short. */
Test(engine, a_quota_from_the_reference_month_gives_two_tier_prices)
{
    double ss[] = {0.5, 0.25, 0.6};
    double Ns[] = {100.0, 7.0, 2500.0};
    for (int a = 0; a < 3; a++) {
        char yaml[1024];
        double s = ss[a], N = Ns[a];
        snprintf(yaml, sizeof yaml,
                 "name: tier\nhorizon_months: 12\n"
                 "commodities: [{id: ore, unit: t, demand_elasticity: 0.5}]\n"
                 "nodes:\n"
                 "  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: %.17g}\n"
                 "  - {id: cn_d, kind: demand, country: CN, input: ore, demand: %.17g}\n"
                 "  - {id: us_d, kind: demand, country: US, input: ore, demand: %.17g}\n"
                 "shocks:\n"
                 "  - {id: r, kind: export_restriction, exporter: CN, commodities: all,\n"
                 "     targets: all, severity: %.17g, schedule: {start_month: %d,\n"
                 "     duration_months: 6}}\n",
                 24 * N, 12 * N, 12 * N, s, a);
        fixture f;
        fixture_load(&f, yaml);
        fixture_run(&f, 4, 1, 1);
        const sf_summary *us = fixture_summary(&f, 0, SF_M_SHORTFALL, "us_d");
        const sf_summary *po = fixture_summary(&f, 0, SF_M_PRICED_OUT, "us_d");
        const sf_summary *cn = fixture_summary(&f, 0, SF_M_SHORTFALL, "cn_d");
        cr_assert_float_eq(us->mean, 6 * s * N, 1e-6 * N, "s %g N %g: %.12g", s,
                           N, us->mean);
        cr_assert_float_eq(po->mean, 6 * s * N, 1e-6 * N, "priced out");
        cr_assert_eq(cn->mean, 0.0);
        fixture_free(&f);
    }
}

/* A quota is a share of the last twelve months' flows.  An outage halves
 * the CN mine in months 0-5 (price 4: each node gets N/2), then a
 * restriction of severity 0.5 begins in month 8: the US flows of months
 * -4..7 are N (the reference month) x 4, N/2 x 6, N x 2, a mean of 3N/4,
 * so the quota is 3N/8 and the US is short 5N/8 a month (at the price
 * (3/8)^-2 = 7.1, within the cap). */
Test(engine, a_quota_is_a_share_of_the_last_twelve_months)
{
    fixture f;
    fixture_load(&f,
                 "name: hist\nhorizon_months: 10\n"
                 "commodities: [{id: ore, unit: t, demand_elasticity: 0.5}]\n"
                 "nodes:\n"
                 "  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: 2400}\n"
                 "  - {id: cn_d, kind: demand, country: CN, input: ore, demand: 1200}\n"
                 "  - {id: us_d, kind: demand, country: US, input: ore, demand: 1200}\n"
                 "shocks:\n"
                 "  - {id: out, kind: outage, nodes: [cn_mine], severity: 0.5,\n"
                 "     schedule: {start_month: 0, duration_months: 6}}\n"
                 "  - {id: r, kind: export_restriction, exporter: CN, commodities: all,\n"
                 "     targets: all, severity: 0.5, schedule: {start_month: 8,\n"
                 "     duration_months: 2}}\n");
    fixture_run(&f, 2, 1, 1);
    /* Months 0-5: 50 short in each node; months 8-9: 62.5 in the US. */
    const sf_summary *us = fixture_summary(&f, 0, SF_M_SHORTFALL, "us_d");
    const sf_summary *cn = fixture_summary(&f, 0, SF_M_SHORTFALL, "cn_d");
    cr_assert_float_eq(cn->mean, 6 * 50.0, 1e-6, "CN %.12g", cn->mean);
    cr_assert_float_eq(us->mean, 6 * 50.0 + 2 * 62.5, 1e-6, "US %.12g",
                       us->mean);
    fixture_free(&f);
}

/* The same scenario with its nodes and links listed in another order
 * gives the same results, unit by unit and trial by trial (to the
 * solver's tolerance).  Shocks keep their order and no node draws demand
 * noise: random streams are keyed by the position of a shock or node in
 * the file (docs/model.md, "Random numbers"). */
static const char *order_fwd =
    "name: ord\nhorizon_months: 24\nseed: 3\n"
    "commodities: [{id: ore, unit: t}, {id: magnet, unit: t}]\n"
    "nodes:\n"
    "  - {id: cn_m, kind: mine, country: CN, output: ore, capacity: 900}\n"
    "  - {id: au_m, kind: mine, country: AU, output: ore, capacity: 300}\n"
    "  - {id: cn_p, kind: plant, country: CN, input: ore, output: magnet, capacity: 700}\n"
    "  - {id: jp_p, kind: plant, country: JP, input: ore, output: magnet, capacity: 300}\n"
    "  - {id: cn_d, kind: demand, country: CN, input: magnet, demand: 600}\n"
    "  - {id: us_d, kind: demand, country: US, input: magnet, demand: 300}\n"
    "links:\n"
    "  - {from: cn_m, to: cn_p}\n  - {from: au_m, to: cn_p}\n"
    "  - {from: cn_m, to: jp_p, weight: 100}\n  - {from: au_m, to: jp_p, weight: 300}\n"
    "shocks:\n"
    "  - {id: r, kind: export_restriction, exporter: CN, commodities: all, targets: all,\n"
    "     severity: {dist: beta, a: 4, b: 2}, hazard_per_year: 1, duration_months: 4}\n"
    "  - {id: t, kind: tariff, importer: US, exporter: CN, commodities: all, rate: 0.3,\n"
    "     schedule: {start_month: 0, duration_months: 24}}\n"
    "  - {id: o, kind: outage, nodes: [au_m], severity: 0.5, hazard_per_year: 1,\n"
    "     duration_months: 2}\n";
static const char *order_rev =
    "name: ord\nhorizon_months: 24\nseed: 3\n"
    "commodities: [{id: ore, unit: t}, {id: magnet, unit: t}]\n"
    "nodes:\n"
    "  - {id: us_d, kind: demand, country: US, input: magnet, demand: 300}\n"
    "  - {id: cn_d, kind: demand, country: CN, input: magnet, demand: 600}\n"
    "  - {id: jp_p, kind: plant, country: JP, input: ore, output: magnet, capacity: 300}\n"
    "  - {id: cn_p, kind: plant, country: CN, input: ore, output: magnet, capacity: 700}\n"
    "  - {id: au_m, kind: mine, country: AU, output: ore, capacity: 300}\n"
    "  - {id: cn_m, kind: mine, country: CN, output: ore, capacity: 900}\n"
    "links:\n"
    "  - {from: au_m, to: jp_p, weight: 300}\n  - {from: cn_m, to: jp_p, weight: 100}\n"
    "  - {from: au_m, to: cn_p}\n  - {from: cn_m, to: cn_p}\n"
    "shocks:\n"
    "  - {id: r, kind: export_restriction, exporter: CN, commodities: all, targets: all,\n"
    "     severity: {dist: beta, a: 4, b: 2}, hazard_per_year: 1, duration_months: 4}\n"
    "  - {id: t, kind: tariff, importer: US, exporter: CN, commodities: all, rate: 0.3,\n"
    "     schedule: {start_month: 0, duration_months: 24}}\n"
    "  - {id: o, kind: outage, nodes: [au_m], severity: 0.5, hazard_per_year: 1,\n"
    "     duration_months: 2}\n";

Test(engine, the_order_of_nodes_and_links_does_not_matter)
{
    fixture a, b;
    fixture_load(&a, order_fwd);
    fixture_load(&b, order_rev);
    fixture_run(&a, 300, 3, 2);
    fixture_run(&b, 300, 3, 2);
    const char *units[] = {"cn_d", "us_d", "CN", "US", "world"};
    sf_metric ms[] = {SF_M_SHORTFALL, SF_M_PRICED_OUT, SF_M_RATIONED,
                      SF_M_BUYER_COST, SF_M_TARIFF};
    for (size_t u = 0; u < 5; u++) {
        size_t ua = 0, ub = 0;
        while (strcmp(sf_results_unit_name(&a.res, ua), units[u]) != 0)
            ua++;
        while (strcmp(sf_results_unit_name(&b.res, ub), units[u]) != 0)
            ub++;
        for (size_t k = 0; k < sizeof ms / sizeof *ms; k++)
            for (uint64_t t = 0; t < 300; t++) {
                double x = a.res.pol[0].metric[ms[k]][t * a.res.n_units + ua];
                double y = b.res.pol[0].metric[ms[k]][t * b.res.n_units + ub];
                cr_assert(fabs(x - y) <= 1e-7 * (1.0 + fabs(x)),
                          "%s of %s, trial %llu: %.12g vs %.12g",
                          sf_metric_name(ms[k]), units[u],
                          (unsigned long long)t, x, y);
            }
    }
    fixture_free(&a);
    fixture_free(&b);
}

/* --- the price outputs ------------------------------------------------- */

/* The price column of variable v (0 price_mean, 1 price_peak, 2
 * price_peak_region) of commodity c (and region r) in trial row i. */
static double price_of(const sf_results *res, size_t p, uint64_t i, int v,
                       size_t c, size_t r)
{
    size_t C = res->model->n_commodities, R = res->model->n_regions;
    size_t col = v < 2 ? (size_t)v * C + c : 2 * C + c * R + r;
    return res->pol[p].price[i * sf_results_price_columns(res) + col];
}

/* A scheduled full ban with nothing in stock: in the ban's months the US
 * buyer plans to buy and receives nothing, so its average price, and the
 * world and US indices, are the cap M P exactly (docs/model.md); the fan
 * chart's every quantile there is the top bin's centre, M P, and its mean
 * M P.  Swept over P and M. */
Test(engine, a_full_ban_puts_the_price_index_at_the_cap)
{
    const double Ps[] = {1.0, 3.0, 250.0}, Ms[] = {10.0, 5.0, 1000.0};
    for (int a = 0; a < 3; a++) {
        char yaml[1024];
        double P = Ps[a], M = Ms[a];
        snprintf(yaml, sizeof yaml,
                 "name: ban\nhorizon_months: 24\n"
                 "commodities: [{id: metal, unit: t, price: %.17g, "
                 "price_cap: %.17g}]\n"
                 "nodes:\n"
                 "  - {id: au_mine, kind: mine, country: AU, output: metal, capacity: 120}\n"
                 "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
                 "shocks:\n"
                 "  - {id: ban, kind: export_restriction, exporter: AU, commodities: all,\n"
                 "     targets: all, schedule: {start_month: 6, duration_months: 4}}\n",
                 P, M);
        fixture f;
        fixture_load(&f, yaml);
        fixture_run(&f, 3, 1, 1);
        const sf_policy_results *pr = &f.res.pol[0];
        for (uint64_t i = 0; i < 3; i++) {
            cr_assert_eq(price_of(&f.res, 0, i, 1, 0, 0), M * P,
                         "P %g M %g: peak %.17g", P, M,
                         price_of(&f.res, 0, i, 1, 0, 0));
            cr_assert_eq(price_of(&f.res, 0, i, 2, 0, 0), M * P, "US peak");
        }
        cr_assert_eq(pr->price_summary[1].mean, M * P);
        cr_assert_eq(pr->price_summary[1].q[3], M * P);
        for (int t = 6; t < 10; t++) {
            cr_assert_eq(pr->price_month_mean[t], M * P, "month %d: %.17g", t,
                         pr->price_month_mean[t]);
            for (size_t q = 0; q < f.res.n_quantiles; q++)
                cr_assert_eq(pr->price_month_q[q * 24 + (size_t)t],
                             M * P, "month %d quantile %zu", t, q);
            cr_assert_eq(pr->price_hist[(size_t)t * SF_PRICE_BINS +
                                        SF_PRICE_BINS - 1],
                         3);
        }
        fixture_free(&f);
    }
}

/* No shocks, capacity that meets demand exactly at the reference price,
 * nothing stocked: every buyer pays P, so price_mean and price_peak are P
 * exactly, the fan chart sits in the middle bin (exactly P).  The ore's
 * only buyer is a JP refiner: the US region has no ore index (NaN, with
 * NaN statistics), JP has one. */
Test(engine, a_balanced_calm_market_is_at_the_reference_price)
{
    fixture f;
    fixture_load(&f,
                 "name: calm\nhorizon_months: 36\n"
                 "commodities: [{id: ore, unit: t, price: 2},\n"
                 "              {id: metal, unit: kg, price: 50, price_cap: 4}]\n"
                 "nodes:\n"
                 "  - {id: m, kind: mine, country: AU, output: ore, capacity: 240}\n"
                 "  - {id: r, kind: refiner, country: JP, input: ore, output: metal,\n"
                 "     capacity: 240}\n"
                 "  - {id: us_d, kind: demand, country: US, input: metal, demand: 120}\n"
                 "  - {id: jp_d, kind: demand, country: JP, input: metal, demand: 120}\n");
    fixture_run(&f, 50, 5, 2);
    const double P[2] = {2.0, 50.0};
    size_t R = f.m.n_regions, us = 0, jp = 1;
    cr_assert_eq(R, 2);
    if (strcmp(f.sc.countries[f.m.region_country[0]], "JP") == 0) {
        us = 1;
        jp = 0;
    }
    const sf_policy_results *pr = &f.res.pol[0];
    for (size_t c = 0; c < 2; c++) {
        for (uint64_t i = 0; i < 50; i++) {
            cr_assert_eq(price_of(&f.res, 0, i, 0, c, 0), P[c], "mean %.17g",
                         price_of(&f.res, 0, i, 0, c, 0));
            cr_assert_eq(price_of(&f.res, 0, i, 1, c, 0), P[c]);
        }
        cr_assert_eq(pr->price_summary[c].mean, P[c]);
        cr_assert_eq(pr->price_summary[c].sd, 0.0);
        for (int t = 0; t < 36; t++) {
            cr_assert_eq(pr->price_month_mean[(size_t)t * 2 + c], P[c]);
            cr_assert_eq(pr->price_month_q[(size_t)t * 2 + c], P[c]);
            cr_assert_eq(pr->price_hist[((size_t)t * 2 + c) * SF_PRICE_BINS +
                                        SF_PRICE_BINS / 2],
                         50);
        }
    }
    /* Ore in the US: no buyer, no index; in JP the refiner's price. */
    const sf_summary *ore_us = &pr->price_summary[4 + 0 * R + us];
    const sf_summary *ore_jp = &pr->price_summary[4 + 0 * R + jp];
    for (uint64_t i = 0; i < 50; i++) {
        cr_assert(isnan(price_of(&f.res, 0, i, 2, 0, us)));
        cr_assert_eq(price_of(&f.res, 0, i, 2, 0, jp), 2.0);
        cr_assert_eq(price_of(&f.res, 0, i, 2, 1, us), 50.0);
    }
    cr_assert(isnan(ore_us->mean) && isnan(ore_us->sd) &&
              isnan(ore_us->se) && isnan(ore_us->cvar95) &&
              isnan(ore_us->q[0]) && isnan(ore_us->q[4]));
    cr_assert_eq(ore_jp->mean, 2.0);
    cr_assert_eq(ore_jp->q[4], 2.0);
    fixture_free(&f);
}

/* The fan chart's bins: the middle one is exactly P, the ends P/M and
 * M P, each bin's centre falls in its own bin, and prices beyond the
 * cap (never, but) clamp to the ends. */
Test(engine, price_bins_round_trip_through_their_centres)
{
    const double Ms[] = {1.5, 10.0, 1000.0};
    for (int a = 0; a < 3; a++) {
        double M = Ms[a];
        cr_assert_eq(sf_price_bin(1.0, M), SF_PRICE_BINS / 2);
        cr_assert_eq(sf_price_bin(M, M), SF_PRICE_BINS - 1);
        cr_assert_eq(sf_price_bin(1.0 / M, M), 0);
        cr_assert_eq(sf_price_bin(2.0 * M, M), SF_PRICE_BINS - 1);
        cr_assert_eq(sf_price_bin(0.1 / M, M), 0);
        cr_assert_eq(sf_price_bin_centre(SF_PRICE_BINS / 2, M), 1.0);
        cr_assert_eq(sf_price_bin_centre(SF_PRICE_BINS - 1, M), M);
        for (size_t b = 0; b < SF_PRICE_BINS; b++)
            cr_assert_eq(sf_price_bin(sf_price_bin_centre(b, M), M), b,
                         "M %g bin %zu", M, b);
        /* Resolution: neighbouring centres M^(2/1000) apart. */
        cr_assert_float_eq(sf_price_bin_centre(601, M) /
                               sf_price_bin_centre(600, M),
                           pow(M, 0.002), 1e-12);
    }
}
