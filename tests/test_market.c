/*
 * test_market.c — one month of the market, driven directly: conservation
 * and bounds on random networks under random shocks, tariffs shifting
 * shares, offtake served first, rationing, buffers and stock caps.
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
    cr_assert_eq(sf_market_ws_init(&mk->w, &mk->f.m), 0);
    sf_market_reset(&mk->w, &mk->f.m, &mk->pp);
}

static void market_close(market *mk)
{
    sf_market_ws_free(&mk->w);
    sf_policy_plan_free(&mk->pp);
    fixture_free(&mk->f);
}

/* No shocks: nameplate capacity, free trade, demand at its t = 0 rate. */
static void calm_inputs(market *mk)
{
    const sf_model *m = &mk->f.m;
    for (size_t i = 0; i < m->n_nodes; i++) {
        mk->w.cap[i] = mk->pp.built[i] ? m->cap_month[i] : 0.0;
        mk->w.f[i] = 1.0;
        mk->w.need[i] = m->demand_month[i];
    }
    for (size_t l = 0; l < m->n_links; l++) {
        mk->w.r[l] = 1.0;
        mk->w.tau[l] = 0.0;
        mk->w.attr[l] = m->link_weight[l];
    }
}

static int node(market *mk, const char *id)
{
    int i = sf_scenario_node_index(&mk->f.sc, id);
    cr_assert_geq(i, 0, "%s", id);
    return i;
}

static double flow(market *mk, const char *from, const char *to)
{
    int l = sf_model_find_link(&mk->f.m, node(mk, from), node(mk, to));
    cr_assert_geq(l, 0);
    return mk->w.ship[l];
}

static const char *two_suppliers =
    "name: two\n"
    "commodities: [{id: magnet, unit: t, tariff_elasticity: 3, price: 2}]\n"
    "nodes:\n"
    "  - {id: cn, kind: mine, country: CN, output: magnet, capacity: 1200}\n"
    "  - {id: au, kind: mine, country: AU, output: magnet, capacity: 1200}\n"
    "  - {id: us_d, kind: demand, country: US, input: magnet, demand: 1200}\n";

Test(market, tariffs_shift_shares_and_keep_the_total)
{
    market mk;
    market_open(&mk, two_suppliers, 0);
    calm_inputs(&mk);
    /* A 25 % tariff on CN: attractiveness 100 * 1.25^-3 = 51.2 vs 100. */
    int l = sf_model_find_link(&mk.f.m, node(&mk, "cn"), node(&mk, "us_d"));
    mk.w.tau[l] = 0.25;
    mk.w.attr[l] = mk.f.m.link_weight[l] * pow(1.25, -3.0);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    double cn = flow(&mk, "cn", "us_d"), au = flow(&mk, "au", "us_d");
    cr_assert_float_eq(cn, 100.0 * 51.2 / 151.2, 1e-9, "cn %g", cn);
    cr_assert_float_eq(cn + au, 100.0, 1e-9);
    cr_assert_eq(mk.w.shortfall[node(&mk, "us_d")], 0.0);
    /* Tariff paid: flow x rate x price. */
    cr_assert_float_eq(mk.w.tariff[node(&mk, "us_d")], cn * 0.25 * 2.0, 1e-9);
    market_close(&mk);
}

Test(market, restricted_order_moves_to_the_other_supplier)
{
    market mk;
    market_open(&mk, two_suppliers, 0);
    calm_inputs(&mk);
    /* CN licenses 40 % of its half of the order in round 1; the rest is
     * re-ordered from AU in round 2 (a restricted link takes part in
     * round 1 only). */
    int l = sf_model_find_link(&mk.f.m, node(&mk, "cn"), node(&mk, "us_d"));
    mk.w.r[l] = 0.4;
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    cr_assert_float_eq(flow(&mk, "cn", "us_d"), 20.0, 1e-9);
    cr_assert_float_eq(flow(&mk, "au", "us_d"), 80.0, 1e-9);
    cr_assert_eq(mk.w.shortfall[node(&mk, "us_d")], 0.0);
    /* A full ban on CN and AU down to 30 %: 30 of 100 arrive. */
    mk.w.r[l] = 0.0;
    mk.w.f[node(&mk, "au")] = 0.3;
    sf_market_month(&mk.f.m, &mk.pp, 1, &mk.w);
    cr_assert_eq(flow(&mk, "cn", "us_d"), 0.0);
    cr_assert_float_eq(mk.w.shortfall[node(&mk, "us_d")], 70.0, 1e-9);
    market_close(&mk);
}

Test(market, offtake_is_served_first_then_rationing_is_proportional)
{
    market mk;
    market_open(&mk,
                "name: off\n"
                "commodities: [{id: ore, unit: t}]\n"
                "nodes:\n"
                "  - {id: mine, kind: mine, country: AU, output: ore, capacity: 600}\n"
                "  - {id: a, kind: demand, country: US, input: ore, demand: 600}\n"
                "  - {id: b, kind: demand, country: JP, input: ore, demand: 600}\n"
                "policies:\n"
                "  - name: baseline\n"
                "  - name: deal\n"
                "    interventions: [{kind: offtake, buyer: b, supplier: mine, share: 0.6}]\n",
                1);
    calm_inputs(&mk);
    sf_market_month(&mk.f.m, &mk.pp, 0, &mk.w);
    /* Supply 50; b takes 0.6 x 50 = 30 first; then a orders 50 and b 20
     * of the 20 left, rationed 50:20. */
    double a = mk.w.recv[node(&mk, "a")], b = mk.w.recv[node(&mk, "b")];
    cr_assert_float_eq(b, 30.0 + 20.0 * 20.0 / 70.0, 1e-9, "b %g", b);
    cr_assert_float_eq(a, 20.0 * 50.0 / 70.0, 1e-9, "a %g", a);
    cr_assert_float_eq(a + b, 50.0, 1e-9);
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
    /* ref asks 50/0.5 = 100 at full rate plus a buffer of 2 x 100, gets
     * the mine's 100, makes 50 of metal (from 100 of ore), sells 20,
     * keeps 15 and curtails 15. */
    cr_assert_float_eq(mk.w.recv[ref], 100.0, 1e-9);
    cr_assert_float_eq(mk.w.prod[ref], 50.0, 1e-9);
    cr_assert_float_eq(mk.w.in_stock[ref], 0.0, 1e-9);
    cr_assert_float_eq(mk.w.out_stock[ref], 15.0, 1e-9);
    cr_assert_float_eq(mk.w.curtailed[ref], 15.0, 1e-9);
    cr_assert_eq(mk.w.shortfall[node(&mk, "d")], 0.0);
    market_close(&mk);
}

/* --- conservation and bounds on random networks ------------------------ */

static double uni(gsl_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gsl_rng_uniform(r);
}

/* A random three-stage network of a few countries, with stock caps,
 * buffers, yields, a stockpile, an offtake and some explicit links. */
static void random_yaml(gsl_rng *r, char *buf, size_t n)
{
    const char *cc[] = {"CN", "US", "AU", "JP"};
    int n_mine = 1 + (int)gsl_rng_uniform_int(r, 3);
    int n_ref = 1 + (int)gsl_rng_uniform_int(r, 3);
    int n_dem = 1 + (int)gsl_rng_uniform_int(r, 3);
    size_t len = 0;
#define OUT(...) len += (size_t)snprintf(buf + len, n - len, __VA_ARGS__)
    OUT("name: random\ncommodities: [{id: ore, unit: t}, {id: metal, unit: t, "
        "tariff_elasticity: %.3f}]\nnodes:\n", uni(r, 0, 5));
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
        OUT("  - {id: d%d, kind: demand, country: %s, input: metal, demand: %.3f}\n",
            i, cc[gsl_rng_uniform_int(r, 4)], uni(r, 1, 600));
    if (gsl_rng_uniform(r) < 0.5)
        OUT("links: [{from: m0, to: r0, weight: %.3f}]\n", uni(r, 0.1, 10));
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

Test(market, conservation_and_bounds_on_random_networks)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    static char yaml[8192];
    gsl_rng_set(r, 12345);
    for (int scen = 0; scen < 300; scen++) {
        market mk;
        random_yaml(r, yaml, sizeof yaml);
        market_open(&mk, yaml, (int)(scen % 2));
        const sf_model *m = &mk.f.m;
        sf_market_ws *w = &mk.w;
        double *out_before = calloc(m->n_nodes, sizeof(double));
        double *in_before = calloc(m->n_nodes, sizeof(double));
        for (int t = 0; t < 24; t++) {
            calm_inputs(&mk);
            for (size_t i = 0; i < m->n_nodes; i++) {
                w->f[i] = gsl_rng_uniform(r) < 0.3 ? uni(r, 0, 1) : 1.0;
                w->need[i] = m->demand_month[i] * uni(r, 0.5, 1.5);
            }
            for (size_t l = 0; l < m->n_links; l++) {
                double u = gsl_rng_uniform(r);
                w->r[l] = u < 0.2 ? 0.0 : (u < 0.4 ? uni(r, 0, 1) : 1.0);
                w->tau[l] = gsl_rng_uniform(r) < 0.3 ? uni(r, 0, 1) : 0.0;
                w->attr[l] = m->link_weight[l] * pow(1 + w->tau[l], -2.0);
            }
            memcpy(out_before, w->out_stock, m->n_nodes * sizeof(double));
            memcpy(in_before, w->in_stock, m->n_nodes * sizeof(double));
            sf_market_month(m, &mk.pp, t, w);
            for (size_t i = 0; i < m->n_nodes; i++) {
                double shipped = 0.0, got = 0.0;
                for (size_t k = m->by_supplier.start[i];
                     k < m->by_supplier.start[i + 1]; k++)
                    shipped += w->ship[m->by_supplier.item[k]];
                for (size_t k = m->by_buyer.start[i];
                     k < m->by_buyer.start[i + 1]; k++)
                    got += w->ship[m->by_buyer.item[k]];
                double scale = 1.0 + m->cap_month[i] + m->demand_month[i] +
                               out_before[i] + in_before[i];
                if (m->kind[i] != SF_NODE_DEMAND) {
                    /* produced = shipped + stock change + curtailed */
                    double lhs = w->prod[i];
                    double rhs = shipped + (w->out_stock[i] - out_before[i]) +
                                 w->curtailed[i];
                    cr_assert(fabs(lhs - rhs) <= REL * scale,
                              "scenario %d month %d node %zu: produced %.17g, "
                              "shipped+dstock+curtailed %.17g\n%s",
                              scen, t, i, lhs, rhs, yaml);
                    cr_assert(w->prod[i] <= w->f[i] * w->cap[i] * (1 + REL),
                              "over capacity");
                    cr_assert(w->out_stock[i] <= m->stock_cap[i] * (1 + REL));
                    cr_assert(w->out_stock[i] >= 0 && w->curtailed[i] >= 0);
                }
                if (m->input[i] >= 0) {
                    cr_assert(fabs(got - w->recv[i]) <= REL * scale,
                              "receipts %g vs link flows %g", w->recv[i], got);
                    cr_assert(w->recv[i] <= w->request[i] * (1 + REL) + 1e-12,
                              "received more than requested");
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
                    /* need = used + shortfall + release */
                    double net = w->need[i] - w->recycled[i];
                    double used = fmin(w->recv[i], net);
                    cr_assert(fabs(net - used - w->released[i] -
                                   w->shortfall[i]) <= REL * scale);
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
        market_close(&mk);
    }
    gsl_rng_free(r);
}

Test(market, a_licence_covers_running_needs_not_stock_building)
{
    market mk;
    market_open(&mk,
                "name: lic\n"
                "commodities: [{id: ore, unit: t}, {id: metal, unit: t}]\n"
                "nodes:\n"
                "  - {id: a, kind: mine, country: CN, output: ore, capacity: 1200}\n"
                "  - {id: b, kind: mine, country: AU, output: ore, capacity: 300}\n"
                "  - {id: ref, kind: refiner, country: US, input: ore, output: metal,\n"
                "     capacity: 1000}\n"
                "  - {id: d, kind: demand, country: US, input: metal, demand: 1000}\n",
                0);
    int ref = node(&mk, "ref");
    int l = sf_model_find_link(&mk.f.m, node(&mk, "a"), ref);
    /* Running need 1000/12; CN licenses 0.44 of its share (1200 of 1500)
     * of it; AU ships all it has (25).  Month after month the refiner's
     * buffer empties and its top-up grows, but the licensed imports stay
     * 0.44 x 0.8 x 1000/12. */
    double want = 0.44 * 0.8 * 1000.0 / 12.0 + 25.0;
    for (int t = 0; t < 4; t++) {
        calm_inputs(&mk);
        mk.w.r[l] = 0.44;
        sf_market_month(&mk.f.m, &mk.pp, t, &mk.w);
        cr_assert_float_eq(mk.w.recv[ref], want, 1e-9, "month %d: %g", t,
                           mk.w.recv[ref]);
    }
    cr_assert_gt(mk.w.request[ref], 1000.0 / 12.0 * 1.5, "buffer top-up");
    cr_assert_gt(mk.w.shortfall[node(&mk, "d")], 0.0);
    market_close(&mk);
}
