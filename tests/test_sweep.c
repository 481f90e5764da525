/*
 * test_sweep.c — the names and units that `shortfall info` gives a
 * batch's swept values (sim/batch.c, the rule in docs/batches.md).
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "batch.h"
#include "shortfall/scenario.h"

static const char yaml[] =
    "name: units\n"
    "horizon_months: 12\n"
    "commodities:\n"
    "  - {id: ore, unit: t REO}\n"
    "  - {id: magnet, unit: kt}\n"
    "nodes:\n"
    "  - {id: mine, kind: mine, country: CN, output: ore, capacity: 100}\n"
    "  - {id: plant, kind: plant, country: CN, input: ore, output: magnet,\n"
    "     capacity: 50, yield: 0.5}\n"
    "  - {id: buyer, kind: demand, country: US, input: magnet, demand: 40}\n"
    "shocks:\n"
    "  - {id: ban, kind: export_restriction, exporter: CN, commodities: all,\n"
    "     targets: all, hazard_per_year: 0.3,\n"
    "     duration_months: {dist: lognormal, median: 6, sigma: 0.5}}\n"
    "policies:\n"
    "  - name: baseline\n"
    "  - name: reserve\n"
    "    interventions:\n"
    "      - {kind: stockpile, node: buyer, initial: 10}\n"
    "  - name: build\n"
    "    interventions:\n"
    "      - kind: new_capacity\n"
    "        node: {id: us_plant, kind: plant, country: US, input: ore,\n"
    "               output: magnet, capacity: 20}\n"
    "        lead_time_months: {dist: uniform, min: 6, max: 18}\n";

static sf_scenario sc;

static void setup(void)
{
    sf_error err = {0};
    memset(&sc, 0, sizeof sc);
    cr_assert_eq(
        sf_scenario_load_string(&sc, yaml, strlen(yaml), "u.yaml", &err), 0,
        "%s", err.msg);
}

static void teardown(void)
{
    sf_scenario_free(&sc);
}

TestSuite(sweep, .init = setup, .fini = teardown);

static void unit_is(const char *path, const char *want)
{
    char buf[128];
    sf_sweep_unit(&sc, path, buf, sizeof buf);
    cr_expect_str_eq(buf, want, "%s: got '%s', want '%s'", path, buf, want);
}

Test(sweep, units_from_the_key)
{
    unit_is("shocks[ban].hazard_per_year", "1/year");
    unit_is("shocks[0].hazard_per_year", "1/year");
    unit_is("shocks[ban].duration_months.median", "months");
    unit_is("shocks[ban].duration_months.sigma", "1");
    unit_is("shocks[ban].severity", "1");
    unit_is("horizon_months", "months");
    unit_is("policies[reserve].interventions[0].initial_months", "months");
    unit_is("policies[build].interventions[0].lead_time_months.max", "months");
    unit_is("policies[build].interventions[0].completion_probability", "1");
    unit_is("nodes[buyer].growth", "1/year");
    unit_is("nodes[buyer].volatility", "1");
    unit_is("regimes.transitions.calm[1]", "1");
}

Test(sweep, units_from_the_commodity)
{
    unit_is("nodes[mine].capacity", "t REO/year");
    unit_is("nodes[0].capacity", "t REO/year");
    unit_is("nodes[plant].capacity", "kt/year");
    unit_is("nodes[plant].yield", "kt/t REO");
    unit_is("nodes[plant].initial_input_stock", "t REO");
    unit_is("nodes[plant].output_stock_cap", "kt");
    unit_is("nodes[buyer].demand", "kt/year");
    unit_is("nodes[2].demand", "kt/year");
    unit_is("commodities[magnet].price", "money/kt");
    /* A stockpile holds its demand node's input; a built node is a node. */
    unit_is("policies[reserve].interventions[0].initial", "kt");
    unit_is("policies[1].interventions[0].capacity", "kt");
    unit_is("policies[build].interventions[0].node.capacity", "kt/year");
}

Test(sweep, unknown_keys_and_paths_have_no_unit)
{
    unit_is("nodes[nowhere].capacity", "");
    unit_is("nodes[7].capacity", "");
    unit_is("policies[reserve].interventions[3].initial", "");
    unit_is("something_new", "");
    unit_is("", "");
    unit_is("nodes[mine", "");
}

static void names_are(size_t n, const char *const *paths,
                      const char *const *want)
{
    char *names[8];
    cr_assert_eq(sf_sweep_names(n, paths, names), 0);
    for (size_t k = 0; k < n; k++) {
        cr_expect_str_eq(names[k], want[k], "%s: got '%s'", paths[k], names[k]);
        free(names[k]);
    }
}

Test(sweep, names_are_the_last_key_unless_two_clash)
{
    const char *a[] = {"shocks[cn_controls].hazard_per_year",
                       "policies[stockpile].interventions[0].initial_months"};
    const char *wa[] = {"hazard_per_year", "initial_months"};
    names_are(2, a, wa);

    const char *b[] = {"shocks[cn].hazard_per_year",
                       "shocks[us].hazard_per_year", "nodes[x].capacity"};
    const char *wb[] = {"cn.hazard_per_year", "us.hazard_per_year", "capacity"};
    names_are(3, b, wb);

    const char *c[] = {"shocks[cn].duration_months.median",
                       "policies[p].interventions[0].initial",
                       "policies[p].interventions[1].initial"};
    const char *wc[] = {"duration_months.median", "interventions[0].initial",
                        "interventions[1].initial"};
    names_are(3, c, wc);

    /* The same path twice cannot be told apart: both keep it whole. */
    const char *d[] = {"nodes[x].capacity", "nodes[x].capacity"};
    const char *wd[] = {"nodes.x.capacity", "nodes.x.capacity"};
    names_are(2, d, wd);
}
