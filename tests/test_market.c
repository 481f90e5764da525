/*
 * test_market.c — one month of the market (version 2), driven directly:
 * conservation and limits on random networks under random outages,
 * tariffs and quotas; offtake first and within a quota; converters'
 * buffers and output stock; stocks released only in disrupted months,
 * inventory before stockpile, refills only after calm months; a permanent
 * tariff that neither drains a stockpile nor blocks its refills.
 */
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>

#include "shortfall/market.h"
#include "shortfall/policy.h"
#include "sim_fixture.h"

typedef struct {
    fixture f;
    sf_policy_plan pp;
    sf_market_ws w;
} market;

static void market_open(market *mk, const char *yaml, int policy)
{
    sf_error err = {0};
    fixture_load(&mk->f, yaml);
    cr_assert_eq(sf_policy_plan_init(&mk->pp, &mk->f.m, policy, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(sf_market_reference(&mk->f.m, &mk->pp, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(sf_market_ws_init(&mk->w, &mk->f.m), 0);
    sf_market_reset(&mk->w, &mk->f.m, &mk->pp);
}

static void market_close(market *mk)
{
    sf_market_ws_free(&mk->w);
    sf_policy_plan_free(&mk->pp);
    fixture_free(&mk->f);
}

/* No shocks: nameplate capacity, free trade, no quota, demand at its
 * t = 0 rate. */
static void calm_inputs(market *mk)
{
    const sf_model *m = &mk->f.m;
    for (size_t i = 0; i < m->n_nodes; i++) {
        mk->w.cap[i] = mk->pp.built[i] ? m->cap_month[i] : 0.0;
        mk->w.f[i] = 1.0;
        mk->w.need[i] = m->demand_month[i];
    }
    for (size_t l = 0; l < m->n_links; l++)
        mk->w.tau[l] = 0.0;
    sf_market_link_weights(m, &mk->w);
    for (size_t g = 0; g < m->n_groups; g++)
        mk->w.quota[g] = -1.0;
}

static int node(market *mk, const char *id)
{
    int i = sf_scenario_node_index(&mk->f.sc, id);
    cr_assert_geq(i, 0, "%s", id);
    return i;
}

static int link_of(market *mk, const char *from, const char *to)
{
    int l = sf_model_find_link(&mk->f.m, node(mk, from), node(mk, to));
    cr_assert_geq(l, 0);
    return l;
}

#define close_to(a, b, tol, ...)                                               \
    cr_assert(fabs((a) - (b)) <= (tol) * (1.0 + fabs(b)), __VA_ARGS__)

Test(market, tariff_diversion_prices_and_tariff_paid)
{
    /* docs/model.md: a US node of 100 a month, JP and CN mines of 100,
     * equal weights, a 25 % US tariff on CN. */
    market mk;
    market_open(&mk,
                "name: div\n"
                "commodities: [{id: ore, unit: t, price: 2}]\n"
                "nodes:\n"
                "  - {id: jp, kind: mine, country: JP, output: ore, capacity: 1200}\n"
                "  - {id: cn, kind: mine, country: CN, output: ore, capacity: 1200}\n"
                "  - {id: us, kind: demand, country: US, input: ore, demand: 1200}\n"
                "links: [{from: jp, to: us, weight: 1}, {from: cn, to: us, weight: 1}]\n",
                0);
    calm_inputs(&mk);
    mk.w.tau[link_of(&mk, "cn", "us")] = 0.25;
    sf_market_link_weights(&mk.f.m, &mk.w);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    double p_cn = 1.0 / (1.0 + pow(1.25, 0.75)), p_jp = 1.0 - p_cn;
    int us = node(&mk, "us");
    /* Prices scale with the reference price (2). */
    close_to(mk.w.ship[link_of(&mk, "cn", "us")], 100.0 * p_cn, 1e-9, "CN");
    close_to(mk.w.ship[link_of(&mk, "jp", "us")], 100.0 * p_jp, 1e-9, "JP");
    close_to(mk.w.tariff[us], 2.0 * 100.0 * p_cn * p_cn * 0.25, 1e-9,
             "tariff %g", mk.w.tariff[us]);
    close_to(mk.w.pbar[us], 2.0 * (p_cn * p_cn * 1.25 + p_jp * p_jp), 1e-9,
             "average price %g", mk.w.pbar[us]);
    close_to(mk.w.pbar_pre[us], 2.0 * (p_cn * p_cn + p_jp * p_jp), 1e-9,
             "before tariffs");
    cr_assert_eq(mk.w.shortfall[us], 0.0);
    cr_assert_eq(mk.w.priced_out[us], 0.0);
    /* The world price index: one buyer, its average price. */
    close_to(mk.w.index[0], mk.w.pbar[us], 1e-15, "index");
    market_close(&mk);
}

Test(market, offtake_is_served_first_and_within_a_quota)
{
    market mk;
    market_open(&mk,
                "name: off\n"
                "commodities: [{id: ore, unit: t, demand_elasticity: 0}]\n"
                "nodes:\n"
                "  - {id: mine, kind: mine, country: AU, output: ore, capacity: 600}\n"
                "  - {id: a, kind: demand, country: US, input: ore, demand: 600}\n"
                "  - {id: b, kind: demand, country: JP, input: ore, demand: 600}\n"
                "shocks:\n"
                "  - {id: q, kind: export_restriction, exporter: AU, commodities: all,\n"
                "     targets: [JP], schedule: {start_month: 0, duration_months: 1}}\n"
                "policies:\n"
                "  - name: baseline\n"
                "  - name: deal\n"
                "    interventions: [{kind: offtake, buyer: b, supplier: mine, share: 0.6}]\n",
                1);
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    /* Supply 50, a and b plan 50 each (inelastic): b's contract ships
     * 0.6 x 50 = 30 first, the 20 left are cleared between both at the
     * cap, a and b ordering 50 and 20: 20 x 50/70 and 20 x 20/70. */
    int a = node(&mk, "a"), b = node(&mk, "b");
    close_to(mk.w.recv[b], 30.0 + 20.0 * 20.0 / 70.0, 1e-9, "b %g",
             mk.w.recv[b]);
    close_to(mk.w.recv[a], 20.0 * 50.0 / 70.0, 1e-9, "a %g", mk.w.recv[a]);
    /* Within a quota of 12 to JP: the contract takes the quota, the
     * market ships nothing more to JP, a takes the other 38. */
    sf_market_reset(&mk.w, &mk.f.m, &mk.pp);
    calm_inputs(&mk);
    mk.w.quota[0] = 12.0;
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    close_to(mk.w.recv[b], 12.0, 1e-12, "b within the quota %g", mk.w.recv[b]);
    close_to(mk.w.recv[a], 38.0, 1e-9, "a %g", mk.w.recv[a]);
    market_close(&mk);
}

Test(market, converter_buffers_and_output_stock)
{
    market mk;
    market_open(&mk,
                "name: conv\n"
                "commodities: [{id: ore, unit: t}, {id: metal, unit: t}]\n"
                "nodes:\n"
                "  - {id: mine, kind: mine, country: AU, output: ore, capacity: 1200}\n"
                "  - {id: ref, kind: refiner, country: AU, input: ore, output: metal,\n"
                "     capacity: 600, yield: 0.5, input_buffer_months: 2,\n"
                "     initial_input_stock: 0, output_stock_cap: 15}\n"
                "  - {id: d, kind: demand, country: AU, input: metal, demand: 240}\n",
                0);
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    int ref = node(&mk, "ref");
    /* ref plans 50/0.5 = 100 at full rate plus a buffer of 2 x 100: 300
     * against the mine's 100; even at the cap it orders 300 x 10^-0.1 >
     * 100, so the ore price is the cap and all 100 arrive; ref makes 50
     * of metal from them. */
    close_to(mk.w.recv[ref], 100.0, 1e-9, "ore %g", mk.w.recv[ref]);
    close_to(mk.w.prod[ref], 50.0, 1e-9, "metal made");
    cr_assert_eq(mk.w.in_stock[ref], 0.0);
    /* Metal: 50 offered at p gives 50 p (beta 1) = 20 ordered: p = 0.4;
     * 20 sold, 15 kept, 15 curtailed. */
    close_to(mk.w.ship[link_of(&mk, "ref", "d")], 20.0, 1e-9, "sold");
    close_to(mk.w.out_stock[ref], 15.0, 1e-9, "kept");
    close_to(mk.w.curtailed[ref], 15.0, 1e-9, "curtailed");
    close_to(mk.w.index[1], 0.4, 1e-9, "metal price %g", mk.w.index[1]);
    cr_assert_eq(mk.w.shortfall[node(&mk, "d")], 0.0);
    market_close(&mk);
}

/* A US demand node of 100 a month with an inventory and a stockpile,
 * supplied by a JP mine of 200 a month. */
static const char *stocks_yaml =
    "name: stocks\n"
    "commodities: [{id: ore, unit: t}]\n"
    "nodes:\n"
    "  - {id: jp, kind: mine, country: JP, output: ore, capacity: 2400}\n"
    "  - {id: us, kind: demand, country: US, input: ore, demand: 1200,\n"
    "     inventory_months: 1, inventory_refill_months: 4}\n"
    "policies:\n"
    "  - name: baseline\n"
    "  - name: stock\n"
    "    interventions:\n"
    "      - {kind: stockpile, node: us, initial: 150, capacity: 300,\n"
    "         refill_months: 0.5, max_release_months: 2}\n";

Test(market, stocks_release_only_in_disrupted_months_and_refill_after_calm)
{
    market mk;
    market_open(&mk, stocks_yaml, 1);
    int us = node(&mk, "us"), jp = node(&mk, "jp");
    /* Month 0, calm (surplus: price 0.5 + refill asks): the inventory is
     * full (100), the stockpile asks min(50, 300 - 150) = 50; with 200
     * on offer at price p: 200 p = 150 ordered: p = 0.75. */
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    close_to(mk.w.recv[us], 150.0, 1e-9, "month 0 receipts %g", mk.w.recv[us]);
    close_to(mk.w.level[us], 200.0, 1e-9, "stockpile refilled");
    close_to(mk.w.inv[us], 100.0, 1e-12, "inventory full");
    cr_assert_eq(mk.w.shortfall[us], 0.0);
    /* Month 1: the mine is out (a physical shortage): the inventory goes
     * first (100), so nothing comes out of the stockpile. */
    calm_inputs(&mk);
    mk.w.f[jp] = 0.0;
    sf_market_month(&mk.f.m, &mk.pp, 1, &mk.w);
    close_to(mk.w.rationed[us], 100.0, 1e-12, "rationed");
    cr_assert_eq(mk.w.inv[us], 0.0);
    close_to(mk.w.level[us], 200.0, 1e-9, "stockpile kept");
    cr_assert_eq(mk.w.shortfall[us], 0.0);
    /* Month 2: still out; no refill asked (month 1 was disrupted); the
     * stockpile releases up to 2 months x 100. */
    calm_inputs(&mk);
    mk.w.f[jp] = 0.0;
    sf_market_month(&mk.f.m, &mk.pp, 2, &mk.w);
    close_to(mk.w.plan[us], 100.0, 1e-12, "no refill after a disrupted month");
    close_to(mk.w.level[us], 100.0, 1e-9, "released 100");
    cr_assert_eq(mk.w.shortfall[us], 0.0);
    /* Month 3: back; month 2 was disrupted, so no refill yet. */
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 3, &mk.w);
    close_to(mk.w.plan[us], 100.0, 1e-12, "no refill yet");
    /* Month 4: after a calm month both stocks ask: the inventory 100/4,
     * the stockpile 50. */
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 4, &mk.w);
    close_to(mk.w.plan[us], 175.0, 1e-12, "refills %g", mk.w.plan[us]);
    close_to(mk.w.inv[us], 25.0, 1e-9, "inventory %g", mk.w.inv[us]);
    close_to(mk.w.level[us], 150.0, 1e-9, "stockpile %g", mk.w.level[us]);
    market_close(&mk);
}

Test(market, a_permanent_tariff_neither_drains_a_stockpile_nor_blocks_refills)
{
    /* A 200 % tariff: with orders N at the price p, 200 p = N (3p)^-0.2,
     * so the node pays 3p > 1 and gives up demand, but its price before
     * tariffs p < 1 is calm: nothing is released, and refills go on. */
    market mk;
    market_open(&mk, stocks_yaml, 1);
    int us = node(&mk, "us");
    double level = mk.w.level[us];
    for (int t = 0; t < 24; t++) {
        calm_inputs(&mk);
        mk.w.tau[0] = 2.0;
        sf_market_link_weights(&mk.f.m, &mk.w);
        sf_market_month(&mk.f.m, &mk.pp, t, &mk.w);
        cr_assert_eq(mk.w.rationed[us], 0.0, "month %d", t);
        cr_assert_eq(mk.w.released[us], 0.0, "month %d: released", t);
        cr_assert_gt(mk.w.level[us], level, "month %d: no refill", t);
        cr_assert_lt(mk.w.pbar_pre[us], 1.0, "calm before tariffs");
        cr_assert_gt(mk.w.pbar[us], 1.0, "dear after them");
        /* Orders given up at the price come out of the refill first. */
        cr_assert_eq(mk.w.priced_out[us], 0.0, "month %d", t);
        level = mk.w.level[us];
    }
    cr_assert_gt(level, 290.0, "refilled to %g of 300", level);
    market_close(&mk);

    /* Without a stock to refill, the need itself is priced out:
     * 200 p = 100 (3p)^-0.2. */
    market_open(&mk, stocks_yaml, 0);
    double p = pow(0.5 * pow(3.0, -0.2), 1.0 / 1.2);
    for (int t = 0; t < 3; t++) {
        calm_inputs(&mk);
        mk.w.tau[0] = 2.0;
        sf_market_link_weights(&mk.f.m, &mk.w);
        sf_market_month(&mk.f.m, &mk.pp, t, &mk.w);
        close_to(mk.w.priced_out[us], 100.0 * (1.0 - pow(3.0 * p, -0.2)), 1e-8,
                 "month %d: priced out %g", t, mk.w.priced_out[us]);
        close_to(mk.w.shortfall[us], mk.w.priced_out[us], 1e-12, "short");
        cr_assert_eq(mk.w.released[us], 0.0, "the inventory is kept");
    }
    market_close(&mk);
}

/* --- conservation and limits on random networks ------------------------ */

static double uni(gsl_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gsl_rng_uniform(r);
}

/* A random three-stage network of a few countries, with stock caps,
 * buffers, yields, inventories, a stockpile, an offtake, some explicit
 * links and two export restrictions (quota groups). */
static void random_yaml(gsl_rng *r, char *buf, size_t n)
{
    const char *cc[] = {"CN", "US", "AU", "JP"};
    int n_mine = 1 + (int)gsl_rng_uniform_int(r, 3);
    int n_ref = 1 + (int)gsl_rng_uniform_int(r, 3);
    int n_dem = 1 + (int)gsl_rng_uniform_int(r, 3);
    size_t len = 0;
#define OUT(...) len += (size_t)snprintf(buf + len, n - len, __VA_ARGS__)
    OUT("name: random\nblocs: {four: [CN, US, AU, JP]}\ncommodities:\n"
        "  - {id: ore, unit: t, price: %.3f, supply_elasticity: %.3f}\n"
        "  - {id: metal, unit: t, substitution_elasticity: %.3f,\n"
        "     demand_elasticity: %.3f, price_cap: %.3f}\nnodes:\n",
        uni(r, 0.1, 10), uni(r, 0, 2), uni(r, 0.3, 6), uni(r, 0, 1.2),
        uni(r, 1.5, 20));
    for (int i = 0; i < n_mine; i++)
        OUT("  - {id: m%d, kind: mine, country: %s, output: ore, capacity: %.3f,"
            " output_stock_cap: %.3f}\n",
            i, cc[gsl_rng_uniform_int(r, 4)], uni(r, 0, 1000), uni(r, 0, 50));
    for (int i = 0; i < n_ref; i++)
        OUT("  - {id: r%d, kind: refiner, country: %s, input: ore, output: metal,"
            " capacity: %.3f, yield: %.3f, input_buffer_months: %.3f,"
            " output_stock_cap: %.3f}\n",
            i, cc[gsl_rng_uniform_int(r, 4)], uni(r, 0, 800), uni(r, 0.2, 1.5),
            uni(r, 0, 3), uni(r, 0, 40));
    for (int i = 0; i < n_dem; i++)
        OUT("  - {id: d%d, kind: demand, country: %s, input: metal, demand: %.3f,"
            " inventory_months: %.3f, release_price: %.3f}\n",
            i, cc[gsl_rng_uniform_int(r, 4)], uni(r, 1, 600), uni(r, 0, 2),
            uni(r, 1, 3));
    if (gsl_rng_uniform(r) < 0.5)
        OUT("links: [{from: m0, to: r0, weight: %.3f}]\n", uni(r, 0.1, 10));
    OUT("shocks:\n"
        "  - {id: q1, kind: export_restriction, exporter: [CN, AU],"
        " commodities: all, targets: all, severity: 0.5, hazard_per_year: 1,"
        " duration_months: 2}\n"
        "  - {id: q2, kind: export_restriction, exporter: CN,"
        " commodities: [metal], targets: [US], severity: 0.5,"
        " hazard_per_year: 1, duration_months: 2}\n");
    OUT("policies:\n  - name: baseline\n  - name: p\n    interventions:\n"
        "      - {kind: stockpile, node: d0, initial: %.3f, capacity: %.3f,"
        " max_release_months: %.3f, refill_months: %.3f}\n"
        "      - {kind: offtake, buyer: d0, supplier: r0, share: %.3f}\n"
        "      - {kind: recycling, node: d0, share: %.3f, ramp_months: 6}\n",
        uni(r, 0, 100), uni(r, 100, 300), uni(r, 0, 3), uni(r, 0, 2),
        uni(r, 0, 1), uni(r, 0, 0.3));
#undef OUT
    cr_assert_lt(len, n);
}

#define REL 1e-9

Test(market, conservation_and_limits_on_random_networks)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static char yaml[8192];
    gsl_rng_set(r, 12345);
    double worst = 0.0;
    for (int scen = 0; scen < 300; scen++) {
        market mk;
        random_yaml(r, yaml, sizeof yaml);
        market_open(&mk, yaml, (int)(scen % 2));
        const sf_model *m = &mk.f.m;
        sf_market_ws *w = &mk.w;
        double *out_before = calloc(m->n_nodes, sizeof(double));
        double *in_before = calloc(m->n_nodes, sizeof(double));
        double *stock_before = calloc(m->n_nodes, sizeof(double));
        for (int t = 0; t < 24; t++) {
            calm_inputs(&mk);
            for (size_t i = 0; i < m->n_nodes; i++) {
                w->f[i] = gsl_rng_uniform(r) < 0.3 ? uni(r, 0, 1) : 1.0;
                w->need[i] = m->demand_month[i] * uni(r, 0.5, 1.5);
            }
            for (size_t l = 0; l < m->n_links; l++)
                w->tau[l] = gsl_rng_uniform(r) < 0.3 ? uni(r, 0, 1) : 0.0;
            sf_market_link_weights(m, w);
            for (size_t g = 0; g < m->n_groups; g++) {
                double u = gsl_rng_uniform(r);
                w->quota[g] = u < 0.4 ? -1.0 : (u < 0.5 ? 0.0 : uni(r, 0, 80));
            }
            memcpy(out_before, w->out_stock, m->n_nodes * sizeof(double));
            memcpy(in_before, w->in_stock, m->n_nodes * sizeof(double));
            for (size_t i = 0; i < m->n_nodes; i++)
                stock_before[i] = w->inv[i] + w->level[i];
            sf_market_month(m, &mk.pp, t, w);
            worst = fmax(worst, w->max_residual);
            for (size_t g = 0; g < m->n_groups; g++) {
                if (w->quota[g] < 0.0)
                    continue;
                double flow = 0.0;
                for (size_t x = m->group_links.start[g];
                     x < m->group_links.start[g + 1]; x++)
                    flow += w->ship[m->group_links.item[x]];
                cr_assert(flow <= w->quota[g] * (1 + 1e-12) + 1e-300,
                          "scenario %d month %d group %zu: %g over %g", scen,
                          t, g, flow, w->quota[g]);
            }
            for (size_t i = 0; i < m->n_nodes; i++) {
                double shipped = 0.0, got = 0.0;
                for (size_t k = m->by_supplier.start[i];
                     k < m->by_supplier.start[i + 1]; k++)
                    shipped += w->ship[m->by_supplier.item[k]];
                for (size_t k = m->by_buyer.start[i];
                     k < m->by_buyer.start[i + 1]; k++)
                    got += w->ship[m->by_buyer.item[k]];
                double scale = 1.0 + m->cap_month[i] + m->demand_month[i] +
                               out_before[i] + in_before[i] + stock_before[i];
                if (m->kind[i] != SF_NODE_DEMAND) {
                    /* produced = shipped + stock change + curtailed */
                    double lhs = w->prod[i];
                    double rhs = shipped + (w->out_stock[i] - out_before[i]) +
                                 w->curtailed[i];
                    cr_assert(fabs(lhs - rhs) <= REL * scale,
                              "scenario %d month %d node %zu: produced %.17g, "
                              "shipped+dstock+curtailed %.17g\n%s",
                              scen, t, i, lhs, rhs, yaml);
                    cr_assert(shipped <= w->supply[i] * (1 + 1e-12) + 1e-300,
                              "shipped more than it had");
                    cr_assert(w->prod[i] <= w->f[i] * w->cap[i] * (1 + REL),
                              "over capacity");
                    cr_assert(w->out_stock[i] <= m->stock_cap[i] * (1 + REL));
                    cr_assert(w->out_stock[i] >= 0 && w->curtailed[i] >= 0);
                }
                if (m->input[i] >= 0) {
                    cr_assert(fabs(got - w->recv[i]) <= REL * scale,
                              "receipts %g vs link flows %g", w->recv[i], got);
                    cr_assert(w->recv[i] <= w->ordered[i] * (1 + REL) + 1e-12,
                              "received more than ordered");
                    cr_assert(w->ordered[i] <= w->plan[i] * (1 + REL) + 1e-12,
                              "ordered more than planned");
                    double P = m->c_price[m->input[i]];
                    cr_assert(w->pbar_pre[i] <= m->c_cap[m->input[i]] * P *
                                                    (1 + 1e-12),
                              "paid over the cap before tariffs");
                }
                if (m->kind[i] == SF_NODE_REFINER) {
                    /* input stock: before + receipts - input used */
                    double used = w->prod[i] / m->yield[i];
                    double want = in_before[i] + w->recv[i] - used;
                    cr_assert(fabs(w->in_stock[i] - want) <= REL * scale,
                              "input stock %g vs %g", w->in_stock[i], want);
                    cr_assert(w->in_stock[i] >= 0);
                }
                if (m->kind[i] == SF_NODE_DEMAND) {
                    cr_assert(w->shortfall[i] >= 0 &&
                              w->shortfall[i] <= w->need[i] * (1 + REL));
                    cr_assert(w->level[i] >= 0 &&
                              w->level[i] <= mk.pp.stock_capacity[i] + 1e-9);
                    cr_assert(w->inv[i] >= 0 &&
                              w->inv[i] <= m->inventory[i] * (1 + 1e-12));
                    /* need = used + shortfall + release, and the unmet
                     * part before releases = priced out + rationed */
                    double net = w->need[i] - w->recycled[i];
                    double used = fmin(w->recv[i], net);
                    double unmet = w->released[i] + w->shortfall[i];
                    cr_assert(fabs(net - used - unmet) <= REL * scale ||
                                  net - used <= SF_MARKET_TOL * w->need[i],
                              "need does not add up");
                    cr_assert(fabs(unmet - w->priced_out[i] - w->rationed[i]) <=
                                  REL * scale,
                              "unmet %g vs priced out %g + rationed %g", unmet,
                              w->priced_out[i], w->rationed[i]);
                    /* Stock moves: in = the receipts beyond need, out =
                     * the releases. */
                    double stock = w->inv[i] + w->level[i];
                    double want = stock_before[i] + (w->recv[i] - used) -
                                  w->released[i];
                    if (!(mk.pp.has_stockpile[i] &&
                          w->level[i] >= mk.pp.stock_capacity[i] - 1e-9))
                        cr_assert(fabs(stock - want) <= REL * scale,
                                  "stocks %g vs %g", stock, want);
                }
                for (size_t k = m->by_supplier.start[i];
                     k < m->by_supplier.start[i + 1]; k++) {
                    double x = w->ship[m->by_supplier.item[k]];
                    cr_assert(isfinite(x) && x >= 0, "flow %g", x);
                }
            }
        }
        free(out_before);
        free(in_before);
        free(stock_before);
        market_close(&mk);
    }
    cr_log_info("largest solver residual: %g", worst);
    cr_assert_leq(worst, 1e-9, "solver residual %g", worst);
    gsl_rng_free(r);
}
