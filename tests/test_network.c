/*
 * test_network.c — the compiled network: clearing order, eligible links and
 * their default weights, shock coverage, regions.  Expected values are
 * worked out by hand from the scenarios below.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "shortfall/model.h"
#include "shortfall/scenario.h"

static sf_scenario sc;
static sf_model m;

static void load_file(const char *path)
{
    sf_error err = {0};
    memset(&sc, 0, sizeof sc);
    int ret = sf_scenario_load(&sc, path, &err);
    cr_assert_eq(ret, 0, "load %s: %s", path, err.msg);
    ret = sf_model_init(&m, &sc, &err);
    cr_assert_eq(ret, 0, "model: %s", err.msg);
}

static void load_text(const char *text)
{
    sf_error err = {0};
    memset(&sc, 0, sizeof sc);
    int ret = sf_scenario_load_string(&sc, text, strlen(text), "inline.yaml",
                                      &err);
    cr_assert_eq(ret, 0, "load: %s", err.msg);
    ret = sf_model_init(&m, &sc, &err);
    cr_assert_eq(ret, 0, "model: %s", err.msg);
}

static void teardown(void)
{
    sf_model_free(&m);
    sf_scenario_free(&sc);
}

static int node(const char *id)
{
    int i = sf_scenario_node_index(&sc, id);
    cr_assert_geq(i, 0, "no node %s", id);
    return i;
}

static int link(const char *from, const char *to)
{
    return sf_model_find_link(&m, node(from), node(to));
}

static size_t covered_links(const char *shock)
{
    int k = sf_scenario_shock_index(&sc, shock);
    cr_assert_geq(k, 0);
    return m.shock_links.start[k + 1] - m.shock_links.start[k];
}

static bool covers(const char *shock, const char *from, const char *to)
{
    int k = sf_scenario_shock_index(&sc, shock);
    int l = link(from, to);
    cr_assert_geq(l, 0, "no link %s -> %s", from, to);
    for (size_t i = m.shock_links.start[k]; i < m.shock_links.start[k + 1]; i++)
        if (m.shock_links.item[i] == l)
            return true;
    return false;
}

Test(network, toy_clearing_order, .fini = teardown)
{
    load_file("scenarios/toy-magnets.yaml");
    const char *want[] = {"concentrate", "oxide", "magnet"};
    cr_assert_eq(m.n_commodities, 3);
    for (int k = 0; k < 3; k++)
        cr_assert_str_eq(sc.commodities[m.order[k]].id, want[k]);
}

Test(network, toy_default_links, .fini = teardown)
{
    load_file("scenarios/toy-magnets.yaml");
    /* 2 mines x 2 refiners + 2 refiners x 3 plants (us_plant is built by a
     * policy) + 3 plants x 2 demand nodes. */
    cr_assert_eq(m.n_nodes, 9);
    cr_assert_eq(m.n_links, 4 + 6 + 6);
    cr_assert_eq(m.link_weight[link("cn_mine", "jp_ref")], 1000.0);
    cr_assert_eq(m.link_weight[link("us_plant", "us_demand")], 150.0);
    cr_assert_eq(link("cn_mine", "cn_plant"), -1, "wrong commodity linked");
    cr_assert_eq(link("cn_plant", "cn_ref"), -1);
    cr_assert(!m.link_foreign[link("cn_mine", "cn_ref")]);
    cr_assert(m.link_foreign[link("us_mine", "cn_ref")]);
    /* The CSR by buyer holds exactly the buyer's links. */
    int j = node("us_demand");
    cr_assert_eq(m.by_buyer.start[j + 1] - m.by_buyer.start[j], 3);
    for (size_t k = m.by_buyer.start[j]; k < m.by_buyer.start[j + 1]; k++)
        cr_assert_eq(m.link_to[m.by_buyer.item[k]], j);
    int i = node("cn_ref");
    cr_assert_eq(m.by_supplier.start[i + 1] - m.by_supplier.start[i], 3);
    cr_assert_eq(m.cap_month[node("cn_mine")], 1000.0 / 12.0);
    cr_assert_eq(m.init_stock[node("us_plant")], 0.0);
    cr_assert_float_eq(m.init_stock[node("jp_ref")], 2 * 150.0 / 12 / 0.9,
                       1e-12);
}

Test(network, toy_coverage, .fini = teardown)
{
    load_file("scenarios/toy-magnets.yaml");
    /* China's controls cover foreign oxide and magnet flows only. */
    cr_assert_eq(covered_links("cn_controls"), 3);
    cr_assert(covers("cn_controls", "cn_ref", "jp_plant"));
    cr_assert(covers("cn_controls", "cn_ref", "us_plant"));
    cr_assert(covers("cn_controls", "cn_plant", "us_demand"));
    cr_assert(!covers("cn_controls", "cn_plant", "cn_demand"));
    cr_assert(!covers("cn_controls", "cn_mine", "jp_ref"), "concentrate");
    cr_assert_eq(covered_links("us_tariff"), 1);
    cr_assert(covers("us_tariff", "cn_plant", "us_demand"));
}

Test(network, toy_regions, .fini = teardown)
{
    load_file("scenarios/toy-magnets.yaml");
    cr_assert_eq(m.n_demand, 2);
    cr_assert_eq(m.n_regions, 2);
    cr_assert_str_eq(sc.countries[m.region_country[0]], "CN");
    cr_assert_str_eq(sc.countries[m.region_country[1]], "US");
    cr_assert_eq(m.demand_region[0], 0);
    cr_assert_eq(m.demand_region[1], 1);
}

static const char *scoped =
    "name: scoped\n"
    "blocs: {allies: [US, JP], eu: [DE, EE]}\n"
    "commodities: [{id: ore, unit: t}, {id: metal, unit: t}]\n"
    "nodes:\n"
    "  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: 100}\n"
    "  - {id: au_mine, kind: mine, country: AU, output: ore, capacity: 50}\n"
    "  - {id: cn_ref, kind: refiner, country: CN, input: ore, output: metal, capacity: 80}\n"
    "  - {id: ee_ref, kind: refiner, country: EE, input: ore, output: metal, capacity: 20}\n"
    "  - {id: us_d, kind: demand, country: US, input: metal, demand: 30}\n"
    "  - {id: jp_d, kind: demand, country: JP, input: metal, demand: 30}\n"
    "  - {id: de_d, kind: demand, country: DE, input: metal, demand: 30}\n"
    "links:\n"
    "  - {from: au_mine, to: ee_ref, weight: 5}\n"
    "shocks:\n"
    "  - {id: r_allies, kind: export_restriction, exporter: CN, commodities: all,\n"
    "     targets: allies, schedule: {start_month: 0, duration_months: 3}}\n"
    "  - {id: r_all_but_jp, kind: export_restriction, exporter: CN,\n"
    "     commodities: [metal], targets: all, except: [JP],\n"
    "     schedule: {start_month: 0, duration_months: 3}}\n"
    "  - {id: t_any, kind: tariff, importer: all, exporter: all,\n"
    "     commodities: [ore], rate: 0.1, schedule: {start_month: 0, duration_months: 3}}\n"
    "  - {id: o_refiners, kind: outage, country: [CN, EE], node_kind: refiner,\n"
    "     hazard_per_year: 1, duration_months: 2}\n"
    "  - {id: o_named, kind: outage, nodes: [au_mine], severity: 0.5,\n"
    "     hazard_per_year: 1, duration_months: 2}\n";

Test(network, explicit_links_replace_the_default, .fini = teardown)
{
    load_text(scoped);
    /* ee_ref has an explicit link, so only au_mine serves it, with the
     * given weight; cn_ref keeps the default all-to-all. */
    int j = node("ee_ref");
    cr_assert_eq(m.by_buyer.start[j + 1] - m.by_buyer.start[j], 1);
    cr_assert_eq(m.link_weight[link("au_mine", "ee_ref")], 5.0);
    cr_assert_eq(link("cn_mine", "ee_ref"), -1);
    cr_assert_eq(m.link_weight[link("au_mine", "cn_ref")], 50.0);
    cr_assert_eq(m.link_weight[link("cn_mine", "cn_ref")], 100.0);
    cr_assert_eq(m.n_links, 1 + 2 + 3 * 2);
}

Test(network, targets_blocs_except_and_tariff_all, .fini = teardown)
{
    load_text(scoped);
    /* r_allies: CN metal to US and JP (ore has no CN -> foreign link). */
    cr_assert_eq(covered_links("r_allies"), 2);
    cr_assert(covers("r_allies", "cn_ref", "us_d"));
    cr_assert(covers("r_allies", "cn_ref", "jp_d"));
    cr_assert(!covers("r_allies", "cn_ref", "de_d"));
    /* r_all_but_jp: every foreign metal buyer except JP. */
    cr_assert_eq(covered_links("r_all_but_jp"), 2);
    cr_assert(covers("r_all_but_jp", "cn_ref", "de_d"));
    cr_assert(!covers("r_all_but_jp", "cn_ref", "jp_d"));
    /* t_any: every foreign ore link, none domestic. */
    cr_assert_eq(covered_links("t_any"), 2);
    cr_assert(covers("t_any", "au_mine", "cn_ref"));
    cr_assert(covers("t_any", "au_mine", "ee_ref"));
    cr_assert(!covers("t_any", "cn_mine", "cn_ref"));
}

Test(network, outage_coverage, .fini = teardown)
{
    load_text(scoped);
    int k = sf_scenario_shock_index(&sc, "o_refiners");
    cr_assert_eq(m.shock_nodes.start[k + 1] - m.shock_nodes.start[k], 2);
    cr_assert_eq(m.shock_nodes.item[m.shock_nodes.start[k]], node("cn_ref"));
    cr_assert_eq(m.shock_nodes.item[m.shock_nodes.start[k] + 1],
                 node("ee_ref"));
    k = sf_scenario_shock_index(&sc, "o_named");
    cr_assert_eq(m.shock_nodes.start[k + 1] - m.shock_nodes.start[k], 1);
    cr_assert_eq(m.shock_nodes.item[m.shock_nodes.start[k]], node("au_mine"));
    cr_assert_eq(covered_links("o_named"), 0);
}

Test(network, order_follows_the_graph_not_the_file, .fini = teardown)
{
    /* Commodities listed downstream-first still clear upstream-first. */
    load_text("name: rev\n"
              "commodities: [{id: c3, unit: t}, {id: c2, unit: t}, {id: c1, unit: t}]\n"
              "nodes:\n"
              "  - {id: d, kind: demand, country: US, input: c3, demand: 1}\n"
              "  - {id: p2, kind: plant, country: US, input: c2, output: c3, capacity: 5}\n"
              "  - {id: p1, kind: refiner, country: US, input: c1, output: c2, capacity: 5}\n"
              "  - {id: m1, kind: mine, country: US, output: c1, capacity: 5}\n");
    cr_assert_str_eq(sc.commodities[m.order[0]].id, "c1");
    cr_assert_str_eq(sc.commodities[m.order[1]].id, "c2");
    cr_assert_str_eq(sc.commodities[m.order[2]].id, "c3");
}

/* A first shock that covers no link leaves the coverage lists empty (their
 * arrays still NULL); sorting an empty range of a NULL array was undefined
 * behaviour (UBSan, found by the scenario fuzzer once it stopped at UBSan
 * reports). */
Test(network, shocks_covering_nothing, .fini = teardown)
{
    load_text("name: t\nhorizon_months: 12\n"
              "commodities:\n  - {id: c, unit: t}\n  - {id: o, unit: t}\n"
              "nodes:\n"
              "  - {id: r, kind: refiner, country: CN, input: c, output: o, "
              "capacity: 1}\n"
              "shocks:\n"
              "  - {id: q, kind: export_restriction, exporter: CN, "
              "commodities: [o], targets: all, hazard_per_year: 1, "
              "duration_months: 1}\n"
              "  - {id: p, kind: outage, nodes: [r], hazard_per_year: 1, "
              "duration_months: 1}\n");
    cr_expect_eq(m.n_links, 0);
    cr_expect_eq(covered_links("q"), 0);
    int p = sf_scenario_shock_index(&sc, "p");
    cr_expect_eq(m.shock_nodes.start[p + 1] - m.shock_nodes.start[p], 1);
}
