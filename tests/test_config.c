/*
 * test_config.c — the scenario loader: the shipped toy scenario field by
 * field, every valid construct of the schema from inline YAML, the rules
 * that only inline cases reach, and the bad-input corpus in tests/bad
 * (each file states the error it must produce in its first two lines).
 * Tests run from the repository root (tests/run-all changes there).
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "shortfall/scenario.h"

#define EPS 1e-12

static sf_scenario sc;

static void cleanup(void)
{
    sf_scenario_free(&sc);
}

static void load_text(const char *text)
{
    sf_error err = {0, ""};
    int rc = sf_scenario_load_string(&sc, text, strlen(text), "inline.yaml",
                                     &err);
    cr_assert_eq(rc, 0, "load failed: %s", err.msg);
}

/* Loads text that must fail with code and a message containing want. */
static void expect_error(const char *text, int code, const char *want)
{
    sf_error err = {0, ""};
    sf_scenario s;
    int rc = sf_scenario_load_string(&s, text, strlen(text), "inline.yaml",
                                     &err);
    cr_expect_eq(rc, code, "expected %s (%d), got %d: %s", sf_strerror(code),
                 code, rc, err.msg);
    cr_expect_eq(err.code, rc);
    cr_expect(strncmp(err.msg, "inline.yaml:", 12) == 0, "message: %s",
              err.msg);
    cr_expect(strstr(err.msg, want) != NULL, "wanted \"%s\" in: %s", want,
              err.msg);
    /* A failed load leaves nothing to free, and freeing is harmless. */
    sf_scenario_free(&s);
}

static int node(const char *id)
{
    int i = sf_scenario_node_index(&sc, id);
    cr_assert_geq(i, 0, "no node %s", id);
    return i;
}

static int shock(const char *id)
{
    int i = sf_scenario_shock_index(&sc, id);
    cr_assert_geq(i, 0, "no shock %s", id);
    return i;
}

static int country(const char *code)
{
    for (size_t i = 0; i < sc.n_countries; i++)
        if (strcmp(sc.countries[i], code) == 0)
            return (int)i;
    cr_assert_fail("no country %s", code);
    return -1;
}

/* The set holds exactly the codes listed (NULL-terminated). */
static void expect_set(const sf_country_set *set, const char *const *codes,
                       const char *what)
{
    size_t n = 0;
    cr_expect(!set->all, "%s: all", what);
    for (; codes[n] != NULL; n++)
        cr_expect(sf_country_set_has(set, country(codes[n])), "%s lacks %s",
                  what, codes[n]);
    cr_expect_eq(set->n, n, "%s: %zu members, wanted %zu", what, set->n, n);
    for (size_t i = 1; i < set->n; i++)
        cr_expect_lt(set->idx[i - 1], set->idx[i], "%s not sorted", what);
}

/* ---- The shipped scenario --------------------------------------------- */

Test(config, toy_magnets, .fini = cleanup)
{
    sf_error err = {0, ""};
    int rc = sf_scenario_load(&sc, "scenarios/toy-magnets.yaml", &err);
    cr_assert_eq(rc, 0, "%s", err.msg);

    cr_expect_str_eq(sc.file, "scenarios/toy-magnets.yaml");
    cr_expect_not_null(sc.text);
    cr_expect(strstr(sc.text, "name: toy-magnets") != NULL);
    cr_expect_eq(strlen(sc.text), sc.text_len);
    cr_expect_str_eq(sc.name, "toy-magnets");
    cr_expect(strncmp(sc.description, "Two mines, two refiners", 23) == 0);
    cr_expect_eq(sc.horizon_months, 48);
    cr_expect_eq(sc.trials, 10000);
    cr_expect_eq(sc.seed, 7);

    /* Countries: those of the nodes and the bloc, sorted. */
    cr_assert_eq(sc.n_countries, 3);
    cr_expect_str_eq(sc.countries[0], "CN");
    cr_expect_str_eq(sc.countries[1], "JP");
    cr_expect_str_eq(sc.countries[2], "US");
    cr_assert_eq(sc.n_blocs, 1);
    cr_expect_str_eq(sc.blocs[0].name, "allies");
    expect_set(&sc.blocs[0].members, (const char *[]){"JP", "US", NULL},
               "allies");

    cr_assert_eq(sc.n_commodities, 3);
    cr_expect_str_eq(sc.commodities[0].id, "concentrate");
    cr_expect_str_eq(sc.commodities[0].unit, "t REO");
    cr_expect_eq(sc.commodities[1].substitution_elasticity, 3);
    cr_expect_eq(sc.commodities[2].price, 1);
    cr_expect_eq(sf_scenario_commodity_index(&sc, "magnet"), 2);
    cr_expect_eq(sf_scenario_commodity_index(&sc, "nope"), -1);

    /* Eight scenario nodes, then the plant of policy "build". */
    cr_assert_eq(sc.n_nodes, 9);
    for (size_t i = 0; i < 8; i++)
        cr_expect_eq(sc.nodes[i].defined_by_policy, -1);
    const sf_node *mine = &sc.nodes[node("cn_mine")];
    cr_expect_eq(mine->kind, SF_NODE_MINE);
    cr_expect_eq(mine->country, country("CN"));
    cr_expect_eq(mine->input, -1);
    cr_expect_eq(mine->output, 0);
    cr_expect_eq(mine->capacity, 1000);
    cr_expect_eq(mine->output_stock_cap, 0);
    cr_expect_eq(mine->yield, 0);
    cr_expect_eq(mine->loc.line, 17);
    cr_expect_eq(mine->loc.col, 5);
    const sf_node *cn_ref = &sc.nodes[node("cn_ref")];
    cr_expect_eq(cn_ref->kind, SF_NODE_REFINER);
    cr_expect_eq(cn_ref->input, 0);
    cr_expect_eq(cn_ref->output, 1);
    cr_expect_eq(cn_ref->yield, 0.9);
    cr_expect_eq(cn_ref->input_buffer_months, 1);
    cr_expect_float_eq(cn_ref->initial_input_stock, 900.0 / 12 / 0.9, EPS);
    const sf_node *jp_ref = &sc.nodes[node("jp_ref")];
    cr_expect_eq(jp_ref->input_buffer_months, 2);
    cr_expect_float_eq(jp_ref->initial_input_stock, 2 * 150.0 / 12 / 0.9,
                       EPS);
    const sf_node *plant = &sc.nodes[node("cn_plant")];
    cr_expect_eq(plant->kind, SF_NODE_PLANT);
    cr_expect_eq(plant->yield, 1);
    cr_expect_float_eq(plant->initial_input_stock, 850.0 / 12, EPS);
    const sf_node *us = &sc.nodes[node("us_demand")];
    cr_expect_eq(us->kind, SF_NODE_DEMAND);
    cr_expect_eq(us->input, 2);
    cr_expect_eq(us->output, -1);
    cr_expect_eq(us->demand, 250);
    cr_expect_eq(us->growth, 0.05);
    cr_expect_eq(us->volatility, 0);
    cr_expect_eq(us->capacity, 0);
    const sf_node *us_plant = &sc.nodes[8];
    cr_expect_str_eq(us_plant->id, "us_plant");
    cr_expect_eq(us_plant->defined_by_policy, 2);
    cr_expect_eq(us_plant->country, country("US"));
    cr_expect_eq(us_plant->capacity, 150);
    cr_expect_eq(us_plant->initial_input_stock, 0); /* new capacity: empty */
    cr_expect_eq(sc.n_links, 0);

    /* Shocks. */
    cr_assert_eq(sc.n_shocks, 2);
    const sf_shock *ctl = &sc.shocks[shock("cn_controls")];
    cr_expect_eq(ctl->kind, SF_SHOCK_EXPORT_RESTRICTION);
    expect_set(&ctl->exporter, (const char *[]){"CN", NULL}, "exporter");
    cr_expect(ctl->targets.all);
    cr_expect_eq(ctl->except.n, 0);
    cr_expect(!ctl->all_commodities);
    cr_assert_eq(ctl->n_commodities, 2);
    cr_expect_eq(ctl->commodities[0], 1);
    cr_expect_eq(ctl->commodities[1], 2);
    cr_expect(!ctl->scheduled);
    cr_expect_eq(ctl->hazard_per_year, 0.4);
    cr_expect_eq(ctl->duration.kind, SF_DIST_LOGNORMAL);
    cr_expect_eq(ctl->duration.p[0], 6);
    cr_expect_eq(ctl->duration.p[1], 0.7);
    cr_expect_eq(ctl->severity.kind, SF_DIST_BETA);
    cr_expect_eq(ctl->severity.p[0], 4);
    cr_expect_eq(ctl->severity.p[1], 2);
    cr_expect_eq(ctl->defined_by_policy, -1);
    cr_expect_eq(ctl->node_kind, -1);
    const sf_shock *tar = &sc.shocks[shock("us_tariff")];
    cr_expect_eq(tar->kind, SF_SHOCK_TARIFF);
    expect_set(&tar->importer, (const char *[]){"US", NULL}, "importer");
    expect_set(&tar->exporter, (const char *[]){"CN", NULL}, "exporter");
    cr_expect_eq(tar->n_commodities, 1);
    cr_expect_eq(tar->commodities[0], 2);
    cr_expect_eq(tar->severity.kind, SF_DIST_FIXED);
    cr_expect_eq(tar->severity.p[0], 0.25);
    cr_expect(tar->scheduled);
    cr_expect_eq(tar->start_month, 0);
    cr_expect_eq(tar->duration_months, 48);

    cr_expect(!sc.has_regimes);
    cr_assert_eq(sc.n_triggers, 1);
    cr_expect_eq(sc.triggers[0].when, shock("us_tariff"));
    cr_expect_eq(sc.triggers[0].raises, shock("cn_controls"));
    cr_expect_eq(sc.triggers[0].factor, 1.5);

    /* Policies. */
    cr_assert_eq(sc.n_policies, 3);
    cr_expect_str_eq(sc.policies[0].name, "baseline");
    cr_expect_eq(sc.policies[0].n_interventions, 0);
    cr_expect_eq(sf_scenario_policy_index(&sc, "build"), 2);
    const sf_policy *sp = &sc.policies[1];
    cr_assert_eq(sp->n_interventions, 1);
    const sf_intervention *st = &sp->interventions[0];
    cr_expect_eq(st->kind, SF_IV_STOCKPILE);
    cr_expect_eq(st->node, node("us_demand"));
    cr_expect_float_eq(st->initial, 125, EPS); /* 6 months of 250/year */
    cr_expect_float_eq(st->capacity, 125, EPS);
    cr_expect_float_eq(st->max_release, 250.0 / 12, EPS);
    cr_expect_eq(st->refill, 0);
    cr_expect_eq(st->supplier, -1);
    cr_expect_eq(st->shock, -1);
    const sf_intervention *nc = &sc.policies[2].interventions[0];
    cr_expect_eq(nc->kind, SF_IV_NEW_CAPACITY);
    cr_expect_eq(nc->node, 8);
    cr_expect_eq(nc->lead_time.kind, SF_DIST_TRIANGULAR);
    cr_expect_eq(nc->lead_time.p[0], 12);
    cr_expect_eq(nc->lead_time.p[1], 24);
    cr_expect_eq(nc->lead_time.p[2], 48);
    cr_expect_eq(nc->ramp_months, 6);
    cr_expect_eq(nc->completion_probability, 0.7);
}

/* ---- Every valid construct -------------------------------------------- */

static const char full_yaml[] =
    "name: full\n"
    "description: every construct of the schema\n"
    "horizon_months: 1.2e2\n"
    "trials: 500\n"
    "seed: 18446744073709551615\n"
    "blocs:\n"
    "  allies: [US, JP]\n"
    "  asia: [JP, KR]\n"
    "commodities:\n"
    "  - {id: ore, unit: t, price: 2.5, tariff_elasticity: 0.5}\n"
    "  - {id: metal, unit: t}\n"
    "  - {id: part, unit: pcs}\n"
    "nodes:\n"
    "  - {id: au_mine, kind: mine, country: AU, output: ore, capacity: 500,\n"
    "     output_stock_cap: 20}\n"
    "  - {id: cn_mine, kind: mine, country: CN, output: ore, capacity: 800}\n"
    "  - {id: cn_smelter, kind: refiner, country: CN, input: ore,\n"
    "     output: metal, capacity: 600, yield: 0.8, input_buffer_months: 0.5,\n"
    "     initial_input_stock: 10, output_stock_cap: 5}\n"
    "  - {id: jp_smelter, kind: refiner, country: JP, input: ore,\n"
    "     output: metal, capacity: 200}\n"
    "  - {id: kr_fab, kind: plant, country: KR, input: metal, output: part,\n"
    "     capacity: 700}\n"
    "  - {id: us_users, kind: demand, country: US, input: part, demand: 300,\n"
    "     growth: 0.02, volatility: 0.1}\n"
    "  - {id: de_users, kind: demand, country: DE, input: metal, demand: 120}\n"
    "links:\n"
    "  - {from: au_mine, to: jp_smelter, weight: 2}\n"
    "  - {from: cn_mine, to: jp_smelter}\n"
    "  - {from: us_fab, to: us_users}\n"
    "  - {from: kr_fab, to: us_users}\n"
    "shocks:\n"
    "  - id: ban\n"
    "    kind: export_restriction\n"
    "    exporter: CN\n"
    "    commodities: all\n"
    "    targets: all\n"
    "    except: asia\n"
    "    hazard_per_year: 0.3\n"
    "    duration_months: {dist: exponential, mean: 4}\n"
    "    severity: {dist: uniform, min: 0.2, max: 0.9}\n"
    "  - id: ban2\n"
    "    kind: export_restriction\n"
    "    exporter: [CN, asia]\n"
    "    commodities: [metal]\n"
    "    targets: allies\n"
    "    schedule: {start_month: 6, duration_months: 12}\n"
    "    severity: {dist: triangular, min: 0, mode: 0.5, max: 1}\n"
    "  - id: ban3\n"
    "    kind: export_restriction\n"
    "    exporter: CN\n"
    "    commodities: metal\n"
    "    targets: [US, DE, allies]\n"
    "    hazard_per_year: 0.1\n"
    "    duration_months: {dist: gamma, shape: 2, scale: 3}\n"
    "  - id: duty\n"
    "    kind: tariff\n"
    "    importer: all\n"
    "    exporter: all\n"
    "    commodities: [part]\n"
    "    rate: {dist: fixed, value: 0.1}\n"
    "    schedule: {start_month: 0, duration_months: 1}\n"
    "  - id: duty2\n"
    "    kind: tariff\n"
    "    importer: US\n"
    "    exporter: [KR]\n"
    "    commodities: [part, metal]\n"
    "    rate: {dist: lognormal, median: 0.2, sigma: 0.5}\n"
    "    hazard_per_year: 1\n"
    "    duration_months: {dist: weibull, scale: 6, shape: 1.5}\n"
    "  - id: quake\n"
    "    kind: outage\n"
    "    nodes: [cn_smelter, au_mine]\n"
    "    hazard_per_year: 0.05\n"
    "    duration_months: 3\n"
    "    severity: {dist: beta, a: 2, b: 5}\n"
    "  - id: strike\n"
    "    kind: outage\n"
    "    country: [CN, AU]\n"
    "    node_kind: mine\n"
    "    hazard_per_year: 0.2\n"
    "    duration_months: {dist: uniform, min: 1, max: 2}\n"
    "  - id: flood\n"
    "    kind: outage\n"
    "    country: all\n"
    "    schedule: {start_month: 2, duration_months: 1}\n"
    "regimes:\n"
    "  states: [calm, tense]\n"
    "  start: tense\n"
    "  transitions:\n"
    "    calm: [0.9, 0.1]\n"
    "    tense: [0.25, 0.75]\n"
    "  multipliers:\n"
    "    tense: {ban: 3, strike: 0}\n"
    "triggers:\n"
    "  - {when: duty, raises: ban, factor: 2}\n"
    "  - {when: us_duty, raises: ban3, factor: 1.5}\n"
    "policies:\n"
    "  - name: baseline\n"
    "  - name: mix\n"
    "    interventions:\n"
    "      - {kind: stockpile, node: us_users, initial: 50,\n"
    "         capacity_months: 3, max_release_months: 0.5,\n"
    "         refill_months: 0.25}\n"
    "      - {kind: offtake, buyer: jp_smelter, supplier: au_mine, share: 0.6}\n"
    "      - {kind: offtake, buyer: cn_smelter, supplier: au_mine, share: 0.4}\n"
    "      - {kind: recycling, node: de_users, share: 0.1, ramp_months: 12}\n"
    "      - {kind: demand_reduction, node: us_users, share: 0.05}\n"
    "      - &duty {kind: tariff, id: us_duty, importer: US, exporter: CN,\n"
    "         commodities: all, rate: 0.3,\n"
    "         schedule: {start_month: 0, duration_months: 24}}\n"
    "      - {kind: hazard_multiplier, shock: ban, factor: 0.5}\n"
    "      - &build\n"
    "        kind: new_capacity\n"
    "        node: {id: us_fab, kind: plant, country: US, input: metal,\n"
    "               output: part, capacity: 100, yield: 0.9}\n"
    "        lead_time_months: {dist: uniform, min: 6, max: 18}\n"
    "        completion_probability: 0.5\n"
    "      - {kind: offtake, buyer: us_fab, supplier: jp_smelter, share: 1}\n"
    "  - name: build_only\n"
    "    interventions:\n"
    "      - *build\n"
    "      - *duty\n"
    "      - {kind: stockpile, node: us_users, initial_months: 2}\n";

Test(config, every_construct, .fini = cleanup)
{
    load_text(full_yaml);

    cr_expect_str_eq(sc.file, "inline.yaml");
    cr_expect_eq(sc.horizon_months, 120);
    cr_expect_eq(sc.trials, 500);
    cr_expect_eq(sc.seed, 18446744073709551615ULL);
    cr_expect_str_eq(sc.description, "every construct of the schema");

    /* Countries: nodes' and blocs', sorted and unique. */
    const char *codes[] = {"AU", "CN", "DE", "JP", "KR", "US"};
    cr_assert_eq(sc.n_countries, 6);
    for (size_t i = 0; i < 6; i++)
        cr_expect_str_eq(sc.countries[i], codes[i]);
    cr_assert_eq(sc.n_blocs, 2);
    expect_set(&sc.blocs[1].members, (const char *[]){"JP", "KR", NULL},
               "asia");

    cr_expect_eq(sc.commodities[0].price, 2.5);
    cr_expect_eq(sc.commodities[0].substitution_elasticity, 0.5);

    /* Nodes: seven of the scenario, then the one policy-built plant that
     * both "mix" and "build_only" share. */
    cr_assert_eq(sc.n_nodes, 8);
    const sf_node *smelter = &sc.nodes[node("cn_smelter")];
    cr_expect_eq(smelter->yield, 0.8);
    cr_expect_eq(smelter->input_buffer_months, 0.5);
    cr_expect_eq(smelter->initial_input_stock, 10);
    cr_expect_eq(smelter->output_stock_cap, 5);
    cr_expect_eq(sc.nodes[node("au_mine")].output_stock_cap, 20);
    cr_expect_eq(sc.nodes[node("us_users")].volatility, 0.1);
    cr_expect_eq(sc.nodes[node("us_users")].growth, 0.02);
    int fab = node("us_fab");
    cr_expect_eq(fab, 7);
    cr_expect_eq(sc.nodes[fab].defined_by_policy, 1);
    cr_expect_eq(sc.nodes[fab].yield, 0.9);

    /* Links, explicit weights and the supplier-capacity default. */
    cr_assert_eq(sc.n_links, 4);
    cr_expect_eq(sc.links[0].from, node("au_mine"));
    cr_expect_eq(sc.links[0].to, node("jp_smelter"));
    cr_expect(sc.links[0].weight_given);
    cr_expect_eq(sc.links[0].weight, 2);
    cr_expect(!sc.links[1].weight_given);
    cr_expect_eq(sc.links[1].weight, 800);
    cr_expect_eq(sc.links[2].from, fab);
    cr_expect_eq(sc.links[3].loc.line, 31);
    cr_expect_eq(sc.links[3].loc.col, 5);

    /* Shocks: eight of the scenario, then the policy tariff. */
    cr_assert_eq(sc.n_shocks, 9);
    const sf_shock *ban = &sc.shocks[shock("ban")];
    cr_expect(ban->all_commodities);
    cr_expect(ban->targets.all);
    expect_set(&ban->except, (const char *[]){"JP", "KR", NULL}, "except");
    cr_expect_eq(ban->duration.kind, SF_DIST_EXPONENTIAL);
    cr_expect_eq(ban->duration.p[0], 4);
    cr_expect_eq(ban->severity.kind, SF_DIST_UNIFORM);
    cr_expect_eq(ban->severity.p[0], 0.2);
    cr_expect_eq(ban->severity.p[1], 0.9);
    const sf_shock *ban2 = &sc.shocks[shock("ban2")];
    expect_set(&ban2->exporter, (const char *[]){"CN", "JP", "KR", NULL},
               "ban2 exporter");
    expect_set(&ban2->targets, (const char *[]){"JP", "US", NULL},
               "ban2 targets");
    cr_expect(ban2->scheduled);
    cr_expect_eq(ban2->start_month, 6);
    cr_expect_eq(ban2->duration_months, 12);
    cr_expect_eq(ban2->severity.kind, SF_DIST_TRIANGULAR);
    cr_expect_eq(ban2->severity.p[1], 0.5);
    cr_expect_eq(ban2->severity.p[2], 1);
    const sf_shock *ban3 = &sc.shocks[shock("ban3")];
    cr_expect_eq(ban3->n_commodities, 1);
    cr_expect_eq(ban3->commodities[0], 1);
    expect_set(&ban3->targets, (const char *[]){"DE", "JP", "US", NULL},
               "ban3 targets");
    cr_expect_eq(ban3->duration.kind, SF_DIST_GAMMA);
    cr_expect_eq(ban3->severity.kind, SF_DIST_FIXED);
    cr_expect_eq(ban3->severity.p[0], 1);
    const sf_shock *duty = &sc.shocks[shock("duty")];
    cr_expect(duty->importer.all);
    cr_expect(duty->exporter.all);
    cr_expect_eq(duty->severity.kind, SF_DIST_FIXED);
    cr_expect_eq(duty->severity.p[0], 0.1);
    const sf_shock *duty2 = &sc.shocks[shock("duty2")];
    cr_expect_eq(duty2->severity.kind, SF_DIST_LOGNORMAL);
    cr_expect_eq(duty2->duration.kind, SF_DIST_WEIBULL);
    cr_expect_eq(duty2->duration.p[0], 6);
    cr_expect_eq(duty2->duration.p[1], 1.5);
    cr_expect_eq(duty2->n_commodities, 2);
    cr_expect_eq(duty2->commodities[0], 1);
    cr_expect_eq(duty2->commodities[1], 2);
    const sf_shock *quake = &sc.shocks[shock("quake")];
    cr_expect_eq(quake->kind, SF_SHOCK_OUTAGE);
    cr_assert_eq(quake->n_nodes, 2);
    cr_expect_eq(quake->nodes[0], node("au_mine"));
    cr_expect_eq(quake->nodes[1], node("cn_smelter"));
    cr_expect_eq(quake->country.n, 0);
    cr_expect(!quake->country.all);
    cr_expect_eq(quake->node_kind, -1);
    cr_expect_eq(quake->duration.kind, SF_DIST_FIXED);
    cr_expect_eq(quake->duration.p[0], 3);
    cr_expect_eq(quake->severity.kind, SF_DIST_BETA);
    const sf_shock *strike = &sc.shocks[shock("strike")];
    expect_set(&strike->country, (const char *[]){"AU", "CN", NULL},
               "strike");
    cr_expect_eq(strike->node_kind, SF_NODE_MINE);
    cr_expect_eq(strike->n_nodes, 0);
    const sf_shock *flood = &sc.shocks[shock("flood")];
    cr_expect(flood->country.all);
    cr_expect(sf_country_set_has(&flood->country, country("DE")));
    cr_expect_eq(flood->severity.p[0], 1);
    int us_duty = shock("us_duty");
    cr_expect_eq(us_duty, 8);
    cr_expect_eq(sc.shocks[us_duty].defined_by_policy, 1);
    cr_expect(sc.shocks[us_duty].all_commodities);
    cr_expect_eq(sc.shocks[us_duty].duration_months, 24);

    /* Regimes: rows and the state-by-shock multipliers (default 1). */
    cr_assert(sc.has_regimes);
    cr_assert_eq(sc.regimes.n_states, 2);
    cr_expect_str_eq(sc.regimes.states[1], "tense");
    cr_expect_eq(sc.regimes.start, 1);
    cr_expect_eq(sc.regimes.transition[0], 0.9);
    cr_expect_eq(sc.regimes.transition[3], 0.75);
    for (size_t k = 0; k < sc.n_shocks; k++) {
        double want = 1;
        if ((int)k == shock("ban"))
            want = 3;
        if ((int)k == shock("strike"))
            want = 0;
        cr_expect_eq(sc.regimes.multiplier[0 * sc.n_shocks + k], 1);
        cr_expect_eq(sc.regimes.multiplier[1 * sc.n_shocks + k], want);
    }

    /* Triggers, one naming the policy tariff. */
    cr_assert_eq(sc.n_triggers, 2);
    cr_expect_eq(sc.triggers[1].when, us_duty);
    cr_expect_eq(sc.triggers[1].raises, shock("ban3"));

    /* Interventions. */
    cr_assert_eq(sc.n_policies, 3);
    const sf_policy *mix = &sc.policies[1];
    cr_assert_eq(mix->n_interventions, 9);
    const sf_intervention *iv = mix->interventions;
    cr_expect_eq(iv[0].kind, SF_IV_STOCKPILE);
    cr_expect_eq(iv[0].initial, 50);
    cr_expect_float_eq(iv[0].capacity, 75, EPS);
    cr_expect_float_eq(iv[0].max_release, 12.5, EPS);
    cr_expect_float_eq(iv[0].refill, 6.25, EPS);
    cr_expect_eq(iv[1].kind, SF_IV_OFFTAKE);
    cr_expect_eq(iv[1].node, node("jp_smelter"));
    cr_expect_eq(iv[1].supplier, node("au_mine"));
    cr_expect_eq(iv[1].share, 0.6);
    cr_expect_eq(iv[3].kind, SF_IV_RECYCLING);
    cr_expect_eq(iv[3].node, node("de_users"));
    cr_expect_eq(iv[3].share, 0.1);
    cr_expect_eq(iv[3].ramp_months, 12);
    cr_expect_eq(iv[4].kind, SF_IV_DEMAND_REDUCTION);
    cr_expect_eq(iv[4].share, 0.05);
    cr_expect_eq(iv[5].kind, SF_IV_TARIFF);
    cr_expect_eq(iv[5].shock, us_duty);
    cr_expect_eq(iv[6].kind, SF_IV_HAZARD_MULTIPLIER);
    cr_expect_eq(iv[6].shock, shock("ban"));
    cr_expect_eq(iv[6].factor, 0.5);
    cr_expect_eq(iv[7].kind, SF_IV_NEW_CAPACITY);
    cr_expect_eq(iv[7].node, fab);
    cr_expect_eq(iv[7].lead_time.kind, SF_DIST_UNIFORM);
    cr_expect_eq(iv[7].ramp_months, 0);
    cr_expect_eq(iv[7].completion_probability, 0.5);
    cr_expect_eq(iv[8].node, fab);
    cr_expect_eq(iv[8].share, 1);
    const sf_policy *bo = &sc.policies[2];
    cr_assert_eq(bo->n_interventions, 3);
    cr_expect_eq(bo->interventions[0].node, fab);
    cr_expect_eq(bo->interventions[1].shock, us_duty);
    cr_expect_float_eq(bo->interventions[2].initial, 50, EPS);
    cr_expect_float_eq(bo->interventions[2].capacity, 50, EPS);
    cr_expect(isinf(bo->interventions[2].max_release));
}

#define BASE                                                                   \
    "name: t\n"                                                                \
    "commodities:\n"                                                           \
    "  - {id: ore, unit: t}\n"                                                 \
    "  - {id: metal, unit: t}\n"                                               \
    "nodes:\n"                                                                 \
    "  - {id: mine, kind: mine, country: AU, output: ore, capacity: 100}\n"    \
    "  - {id: smelter, kind: refiner, country: CN, input: ore,\n"              \
    "     output: metal, capacity: 90}\n"                                      \
    "  - {id: users, kind: demand, country: US, input: metal, demand: 80}\n"

#define HAZARD " hazard_per_year: 0.5, duration_months: 2"

Test(config, defaults_without_policies, .fini = cleanup)
{
    load_text(BASE);
    cr_expect_eq(sc.horizon_months, 60);
    cr_expect_eq(sc.trials, 10000);
    cr_expect_eq(sc.seed, 1);
    cr_expect_str_eq(sc.description, "");
    cr_assert_eq(sc.n_policies, 1);
    cr_expect_str_eq(sc.policies[0].name, "baseline");
    cr_expect_eq(sc.policies[0].n_interventions, 0);
    cr_expect_eq(sc.n_shocks, 0);
    cr_expect_eq(sc.n_blocs, 0);
    cr_expect_eq(sf_scenario_shock_index(&sc, "x"), -1);
    cr_expect_eq(sf_scenario_policy_index(&sc, "baseline"), 0);
}

Test(config, anchors_and_aliases, .fini = cleanup)
{
    load_text("name: t\n"
              "commodities:\n"
              "  - &c {id: ore, unit: &u t}\n"
              "  - {id: metal, unit: *u}\n"
              "nodes:\n"
              "  - {id: mine, kind: mine, country: &au AU, output: ore,\n"
              "     capacity: &cap 100}\n"
              "  - {id: mine2, kind: mine, country: *au, output: ore,\n"
              "     capacity: *cap}\n"
              "  - {id: smelter, kind: refiner, country: CN, input: ore,\n"
              "     output: metal, capacity: 90}\n"
              "  - {id: users, kind: demand, country: US, input: metal,\n"
              "     demand: *cap}\n");
    cr_expect_str_eq(sc.commodities[1].unit, "t");
    cr_expect_eq(sc.nodes[1].capacity, 100);
    cr_expect_eq(sc.nodes[3].demand, 100);
    cr_expect_eq(sc.nodes[1].country, sc.nodes[0].country);
}

Test(config, names_and_free)
{
    cr_expect_str_eq(sf_node_kind_name(SF_NODE_REFINER), "refiner");
    cr_expect_str_eq(sf_shock_kind_name(SF_SHOCK_OUTAGE), "outage");
    cr_expect_str_eq(sf_iv_kind_name(SF_IV_HAZARD_MULTIPLIER),
                     "hazard_multiplier");
    cr_expect_str_eq(sf_dist_kind_name(SF_DIST_WEIBULL), "weibull");
    cr_expect_str_eq(sf_dist_kind_name((sf_dist_kind)99), "?");
    sf_scenario z;
    memset(&z, 0, sizeof z);
    sf_scenario_free(&z);
    sf_scenario_free(&z);
    sf_scenario_free(NULL);
    sf_country_set empty = {false, 0, NULL};
    cr_expect(!sf_country_set_has(&empty, 0));
}

/* ---- Rules only inline cases reach ------------------------------------ */

typedef struct {
    const char *yaml;
    int code;
    const char *want;
} bad_case;

static const bad_case bad_cases[] = {
    /* Whole document. */
    {"a: [1, 2", SF_ERR_SYNTAX, "(document): not well-formed YAML: did not find expected ',' or ']'"},
    {"- 1\n- 2\n", SF_ERR_TYPE, "1:1: (document): expected a mapping, got a list"},
    {"name: \"a\\0b\"\n", SF_ERR_TYPE, "name: strings may not contain NUL"},
    {"name: x\n? [a]\n: 1\n", SF_ERR_TYPE, "keys must be plain names"},
    {"name: !custom x\n", SF_ERR_TYPE, "explicit YAML tags are not supported"},
    {"a: &a [*a]\n", SF_ERR_LIMIT, "nested more than 64 levels"},
    {"a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
     SF_ERR_LIMIT, "nested more than 64 levels"},
    {"name: x\nname: y\n", SF_ERR_DUPLICATE, "2:1: name: key 'name' appears twice"},
    {"commodities: [{id: a, unit: t}]\nnodes: []\n", SF_ERR_MISSING_KEY,
     "1:1: name: required key is missing"},
    {"name: x\nnodes: []\n", SF_ERR_MISSING_KEY, "commodities: required key is missing"},
    {"name: x\ncommodities: []\nnodes: []\n", SF_ERR_RANGE, "commodities: must list at least one commodity"},
    {"name: x\ncommodities: [{id: a, unit: t}]\n", SF_ERR_MISSING_KEY, "nodes: required key is missing"},
    /* Header. */
    {BASE "trials: 1e13\n", SF_ERR_LIMIT, "trials: must be <= 1000000000000, got 1e13"},
    {BASE "trials: 0\n", SF_ERR_RANGE, "trials: must be >= 1, got 0"},
    {BASE "horizon_months: 2.5\n", SF_ERR_TYPE, "horizon_months: expected a whole number, got 2.5"},
    {BASE "seed: -1\n", SF_ERR_RANGE, "seed: must be >= 0"},
    {BASE "seed: 18446744073709551616\n", SF_ERR_RANGE, "seed: must be <= 18446744073709551615"},
    {BASE "seed: 0x10\n", 0, NULL}, /* strtod reads hexadecimal */
    {BASE "seed: true\n", SF_ERR_TYPE, "seed: expected a number, got 'true'"},
    {BASE "trials: -.inf\n", SF_ERR_RANGE, "trials: must be a finite number, got -.inf"},
    {BASE "trials: 1e999\n", SF_ERR_RANGE, "must be a finite number, got 1e999"},
    {BASE "description: [a]\n", SF_ERR_TYPE, "description: expected a string, got a list"},
    {BASE "name2: x\n", SF_ERR_UNKNOWN_KEY, "unknown key 'name2'; did you mean 'name'?"},
    /* Commodities, nodes. */
    {"name: x\ncommodities:\n  - {id: a, unit: t}\n  - {id: a, unit: t}\nnodes: []\n",
     SF_ERR_DUPLICATE, "4:10: commodities[1].id: commodity id 'a' is already used by commodities[0]"},
    {"name: x\ncommodities:\n  - {id: a b, unit: t}\nnodes: []\n", SF_ERR_RANGE,
     "commodities[0].id: 'a b' is not a valid name"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, price: -1}\nnodes: []\n", SF_ERR_RANGE,
     "commodities[0].price: must be > 0, got -1"},
    /* Market version 2 keys: ranges, the old name of sigma, where each
     * key applies. */
    {"name: x\ncommodities:\n  - {id: a, unit: t, price: 0}\nnodes: []\n", SF_ERR_RANGE,
     "commodities[0].price: must be > 0, got 0"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, substitution_elasticity: 0}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].substitution_elasticity: must be in (0, 50], got 0"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, tariff_elasticity: 51}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].tariff_elasticity: must be in (0, 50], got 51"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, tariff_elasticity: 2,\n"
     "     substitution_elasticity: 2}\nnodes: []\n",
     SF_ERR_CONFLICT, "commodities[0].tariff_elasticity: 'tariff_elasticity' is the old name of 'substitution_elasticity'"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, demand_elasticity: -0.1}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].demand_elasticity: must be in [0, 10], got -0.1"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, supply_elasticity: 11}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].supply_elasticity: must be in [0, 10], got 11"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, price_cap: 1}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].price_cap: must be in (1, 1000], got 1"},
    {"name: x\ncommodities:\n  - {id: a, unit: t, price_cap: 1001}\nnodes: []\n",
     SF_ERR_RANGE, "commodities[0].price_cap: must be in (1, 1000], got 1001"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: metal, demand: 1, elasticity: -1}\n",
     SF_ERR_RANGE, "nodes[3].elasticity: must be in [0, 10], got -1"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: metal, demand: 1, inventory_months: -1}\n",
     SF_ERR_RANGE, "nodes[3].inventory_months: must be >= 0, got -1"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: metal, demand: 1,\n"
          "     inventory_refill_months: 0}\n",
     SF_ERR_RANGE, "nodes[3].inventory_refill_months: must be > 0, got 0"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: metal, demand: 1, release_price: 0}\n",
     SF_ERR_RANGE, "nodes[3].release_price: must be > 0, got 0"},
    {BASE "  - {id: m2, kind: mine, country: AU, output: ore, capacity: 1, elasticity: 1}\n",
     SF_ERR_CONFLICT, "nodes[3].elasticity: 'elasticity' does not apply to a mine"},
    {BASE "  - {id: r2, kind: refiner, country: AU, input: ore, output: metal, capacity: 1,\n"
          "     inventory_months: 1}\n",
     SF_ERR_CONFLICT, "nodes[3].inventory_months: 'inventory_months' does not apply to a refiner"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: stockpile, node: users, initial: 5, release_price: -2}\n",
     SF_ERR_RANGE, "policies[0].interventions[0].release_price: must be > 0, got -2"},
    {BASE "currency: [USD]\n",
     SF_ERR_TYPE, "currency:"},
    {BASE "  - {id: m2, kind: mine, country: AU, input: ore, output: ore, capacity: 1}\n",
     SF_ERR_CONFLICT, "nodes[3].input: 'input' does not apply to a mine"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: ore, demand: 1, capacity: 2}\n",
     SF_ERR_CONFLICT, "nodes[3].capacity: 'capacity' does not apply to a demand node"},
    {BASE "  - {id: r2, kind: refiner, country: AU, input: ore, output: ore, capacity: 2}\n",
     SF_ERR_CONFLICT, "nodes[3].output: a refiner must turn its input into a different commodity"},
    {BASE "  - {id: r2, kind: plant, country: AU, input: ore, output: metal, capacity: 2, yield: 0}\n",
     SF_ERR_RANGE, "nodes[3].yield: must be > 0, got 0"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: ore, demand: 1, growth: -1}\n",
     SF_ERR_RANGE, "nodes[3].growth: must be > -1, got -1"},
    {BASE "  - {id: d2, kind: demand, country: AU, demand: 1}\n", SF_ERR_MISSING_KEY,
     "nodes[3].input: required key is missing"},
    {BASE "  - {id: d2, kind: shop, country: AU}\n", SF_ERR_UNKNOWN_REF,
     "nodes[3].kind: unknown node kind 'shop'; expected one of mine, refiner, plant, demand"},
    {BASE "  - {id: d2, kind: demand, country: AU, input: ore, demand: 1, bogus: 1}\n",
     SF_ERR_UNKNOWN_KEY, "unknown key 'bogus'; valid keys: id, kind, country, input, demand"},
    {BASE "  - [a]\n", SF_ERR_TYPE, "nodes[3]: expected a mapping, got a list"},
    {BASE "  - {id: x, knd: mine}\n", SF_ERR_UNKNOWN_KEY,
     "nodes[3].knd: unknown key 'knd'; did you mean 'kind'?"},
    {BASE "  - {id: x, country: AU}\n", SF_ERR_MISSING_KEY,
     "10:5: nodes[3].kind: required key is missing"},
    {BASE "  - {id: x, kind: mine, country: A, output: ore, capacity: 1}\n", SF_ERR_RANGE,
     "nodes[3].country: 'A' is not a country code"},
    {"name: t\nblocs: {allies: [AU]}\ncommodities: [{id: ore, unit: t}]\nnodes:\n"
     "  - {id: m, kind: mine, country: allies, output: ore, capacity: 1}\n",
     SF_ERR_RANGE, "nodes[0].country: 'allies' is a bloc; a node needs one country code"},
    /* Blocs and country sets. */
    {"name: t\nblocs: {g: [US], h: [g]}\ncommodities: [{id: o, unit: t}]\nnodes: []\n",
     SF_ERR_CONFLICT, "blocs.h[0]: 'g' is a bloc; bloc members must be country codes"},
    {"name: t\nblocs: {g: []}\ncommodities: [{id: o, unit: t}]\nnodes: []\n",
     SF_ERR_RANGE, "blocs.g: a bloc needs at least one country"},
    {"name: t\nblocs: {g: [US, US]}\ncommodities: [{id: o, unit: t}]\nnodes: []\n",
     SF_ERR_DUPLICATE, "blocs.g[1]: country 'US' is listed twice"},
    {"name: t\nblocs: {all: [US]}\ncommodities: [{id: o, unit: t}]\nnodes: []\n",
     SF_ERR_CONFLICT, "blocs.all: 'all' is reserved"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: all, commodities: all,\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "shocks[0].exporter: 'all' is not allowed here"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: [CN, all], commodities: all,\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "shocks[0].exporter[1]: 'all' cannot be part of a list"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: {CN: 1}, commodities: all,\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_TYPE, "shocks[0].exporter: expected a country code, a bloc name or a list"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: [], commodities: all,\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_RANGE, "shocks[0].exporter: must name at least one country or bloc"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: CN, commodities: [ore, ore],\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_DUPLICATE, "shocks[0].commodities[1]: commodity 'ore' is listed twice"},
    {BASE "shocks:\n  - {id: s, kind: export_restriction, exporter: CN, commodities: [gold],\n"
          "     targets: all, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_UNKNOWN_REF, "shocks[0].commodities[0]: unknown commodity 'gold'; known: ore, metal"},
    /* Links. */
    {BASE "links:\n  - {from: users, to: smelter}\n", SF_ERR_CONFLICT,
     "links[0].from: node 'users' is a demand node and supplies nothing"},
    {BASE "links:\n  - {from: smelter, to: mine}\n", SF_ERR_CONFLICT,
     "links[0].to: node 'mine' is a mine and buys nothing"},
    {BASE "links:\n  - {from: mine, to: users}\n", SF_ERR_CONFLICT,
     "links[0]: node 'mine' produces 'ore' but node 'users' takes 'metal'"},
    {BASE "links:\n  - {from: mine, to: smelter}\n  - {from: mine, to: smelter, weight: 2}\n",
     SF_ERR_DUPLICATE, "12:5: links[1]: the link from 'mine' to 'smelter' is already given by links[0]"},
    {BASE "links:\n  - {from: mine, to: smelter, weight: 0}\n", SF_ERR_RANGE,
     "links[0].weight: must be > 0, got 0"},
    /* Shocks. */
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], rate: 0.1,\n"
          "     schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "shocks[0].rate: 'rate' does not apply to an outage"},
    {BASE "shocks:\n  - {id: s, kind: tariff, importer: US, exporter: CN, commodities: all,\n"
          "     rate: 0.1, severity: 1, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "shocks[0].severity: 'severity' does not apply to a tariff"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: 1, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "shocks[0].hazard_per_year: 'schedule' and 'hazard_per_year' exclude each other"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine]}\n", SF_ERR_MISSING_KEY,
     "shocks[0]: a shock needs either 'schedule' or 'hazard_per_year'"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1}\n",
     SF_ERR_MISSING_KEY, "shocks[0].duration_months: required key is missing"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], country: CN," HAZARD "}\n",
     SF_ERR_CONFLICT, "shocks[0].country: 'nodes' and 'country' exclude each other"},
    {BASE "shocks:\n  - {id: s, kind: outage, hazard_per_year: 1, duration_months: 1}\n",
     SF_ERR_MISSING_KEY, "shocks[0]: an outage needs either 'nodes' or 'country'"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], node_kind: mine,\n"
          "     hazard_per_year: 1, duration_months: 1}\n",
     SF_ERR_CONFLICT, "shocks[0].node_kind: 'node_kind' applies only with 'country'"},
    {BASE "shocks:\n  - {id: s, kind: outage, country: CN, node_kind: demand,\n"
          "     hazard_per_year: 1, duration_months: 1}\n",
     SF_ERR_CONFLICT, "shocks[0].node_kind: outages hit producers"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [users],\n"
          "     hazard_per_year: 1, duration_months: 1}\n",
     SF_ERR_CONFLICT, "shocks[0].nodes[0]: node 'users' is a demand node"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: lognormal, median: 0, sigma: 1}}\n",
     SF_ERR_RANGE, "shocks[0].duration_months.median: must be > 0, got 0"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: lognormal, median: 1}}\n",
     SF_ERR_MISSING_KEY, "shocks[0].duration_months.sigma: required key is missing"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: lognormal, median: 1, sigma: 1, mean: 2}}\n",
     SF_ERR_UNKNOWN_KEY, "shocks[0].duration_months.mean: unknown key 'mean'; did you mean 'median'?"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {median: 1}}\n",
     SF_ERR_MISSING_KEY, "shocks[0].duration_months.dist: required key is missing"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: [1, 2]}\n",
     SF_ERR_TYPE, "shocks[0].duration_months: expected a number or a mapping with 'dist', got a list"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: -1}\n",
     SF_ERR_RANGE, "shocks[0].duration_months: duration must be >= 0, got -1"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: uniform, min: 3, max: 2}}\n",
     SF_ERR_RANGE, "shocks[0].duration_months.max: must be >= min (3), got 2"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: triangular, min: 1, mode: 0, max: 2}}\n",
     SF_ERR_RANGE, "shocks[0].duration_months.mode: must be >= min (1), got 0"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: triangular, min: 1, mode: 1, max: 1}}\n",
     SF_ERR_RANGE, "shocks[0].duration_months.max: must be > min (1), got 1"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: {dist: gamma, shape: 1, scale: -2}}\n",
     SF_ERR_RANGE, "shocks[0].duration_months.scale: must be > 0, got -2"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: 1, severity: {dist: uniform, min: 0.5, max: 1.5}}\n",
     SF_ERR_RANGE, "shocks[0].severity.max: severity must be in [0, 1], got 1.5"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: 1, severity: {dist: fixed, value: -0.5}}\n",
     SF_ERR_RANGE, "shocks[0].severity.value: severity must be in [0, 1], got -0.5"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine], hazard_per_year: 1,\n"
          "     duration_months: 1, severity: {dist: lognormal, median: 5, sigma: 1}}\n",
     0, NULL}, /* unbounded: clamped when drawn */
    {BASE "shocks:\n  - {id: s, kind: tariff, importer: US, exporter: CN, commodities: all,\n"
          "     rate: {dist: triangular, min: -0.1, mode: 0, max: 1},\n"
          "     schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_RANGE, "shocks[0].rate.min: rate must be >= 0, got -0.1"},
    {BASE "shocks:\n  - {id: s, kind: tariff, importer: US, exporter: CN, commodities: all,\n"
          "     rate: -1, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_RANGE, "shocks[0].rate: rate must be >= 0, got -1"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: -1, duration_months: 1}}\n",
     SF_ERR_RANGE, "shocks[0].schedule.start_month: must be >= 0, got -1"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: 0, duration_months: 0}}\n",
     SF_ERR_RANGE, "shocks[0].schedule.duration_months: must be >= 1, got 0"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: 0, duration: 1}}\n",
     SF_ERR_UNKNOWN_KEY, "shocks[0].schedule.duration: unknown key 'duration'"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine]," HAZARD "}\n"
          "  - {id: s, kind: outage, nodes: [mine]," HAZARD "}\n",
     SF_ERR_DUPLICATE, "shocks[1].id: shock id 's' is already used by shocks[0]"},
    {BASE "shocks:\n  - {id: s, kind: embargo}\n", SF_ERR_UNKNOWN_REF,
     "shocks[0].kind: unknown shock kind 'embargo'; expected one of export_restriction, tariff, outage"},
    /* Regimes and triggers. */
    {BASE "regimes: {states: [a, b], start: a, transitions: {a: [1, 0]}}\n",
     SF_ERR_MISSING_KEY, "regimes.transitions.b: required key is missing"},
    {BASE "regimes: {states: [a, b], start: a, transitions: {a: [1], b: [0, 1]}}\n",
     SF_ERR_TYPE, "regimes.transitions.a: expected 2 numbers (one per state), got 1"},
    {BASE "regimes: {states: [a, b], start: a, transitions: {a: [1.5, -0.5], b: [0, 1]}}\n",
     SF_ERR_RANGE, "regimes.transitions.a[0]: must be in [0, 1], got 1.5"},
    {BASE "regimes: {states: [a, b], start: c, transitions: {a: [1, 0], b: [0, 1]}}\n",
     SF_ERR_UNKNOWN_REF, "regimes.start: unknown state 'c'"},
    {BASE "regimes: {states: [a, a], start: a, transitions: {a: [1, 0]}}\n",
     SF_ERR_DUPLICATE, "regimes.states[1]: state 'a' is listed twice"},
    {BASE "regimes: {states: [calm], start: calm, transitions: {clam: [1]}}\n",
     SF_ERR_UNKNOWN_REF, "regimes.transitions.clam: unknown state 'clam'; did you mean 'calm'?"},
    {BASE "regimes: {states: [], start: a, transitions: {}}\n",
     SF_ERR_RANGE, "regimes.states: must list at least one state"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: 0, duration_months: 1}}\n"
          "regimes: {states: [a], start: a, transitions: {a: [1]}, multipliers: {a: {s: 2}}}\n",
     SF_ERR_CONFLICT, "regimes.multipliers.a.s: shock 's' is scheduled"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine]," HAZARD "}\n"
          "regimes: {states: [a], start: a, transitions: {a: [1]}, multipliers: {a: {s: -2}}}\n",
     SF_ERR_RANGE, "regimes.multipliers.a.s: must be >= 0, got -2"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: 0, duration_months: 1}}\n"
          "triggers:\n  - {when: s, raises: s, factor: 2}\n",
     SF_ERR_CONFLICT, "triggers[0].raises: shock 's' is scheduled"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine]," HAZARD "}\n"
          "triggers:\n  - {when: s, raises: s}\n",
     SF_ERR_MISSING_KEY, "triggers[0].factor: required key is missing"},
    /* Policies. */
    {BASE "policies: []\n", SF_ERR_RANGE, "policies: must list at least one policy"},
    {BASE "policies:\n  - name: a\n  - name: a\n", SF_ERR_DUPLICATE,
     "policies[1].name: policy name 'a' is already used by policies[0]"},
    {BASE "policies:\n  - name: a\n    interventions:\n      - {kind: stockpil, node: users}\n",
     SF_ERR_UNKNOWN_REF, "policies[0].interventions[0].kind: unknown intervention kind 'stockpil'; did you mean 'stockpile'?"},
    {BASE "policies:\n  - name: a\n    interventions:\n      - {kind: stockpile, node: users, share: 1}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].share: 'share' does not apply to a stockpile intervention"},
    {BASE "policies:\n  - name: a\n    interventions:\n      - {kind: stockpile, node: mine, initial: 1}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].node: node 'mine' is a mine; a stockpile applies to demand nodes"},
    {BASE "policies:\n  - name: a\n    interventions:\n      - {kind: stockpile, node: users}\n",
     SF_ERR_MISSING_KEY, "policies[0].interventions[0]: a stockpile needs 'initial'"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: stockpile, node: users, initial: 1, initial_months: 1}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].initial_months: 'initial' and 'initial_months' exclude each other"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: stockpile, node: users, initial_months: 3, capacity: 10}\n",
     SF_ERR_RANGE, "policies[0].interventions[0].capacity: the capacity (10 units) must be >= the initial stock (20 units)"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: stockpile, node: users, initial: 1}\n"
          "      - {kind: stockpile, node: users, initial: 2}\n",
     SF_ERR_DUPLICATE, "policies[0].interventions[1].node: this policy already has a stockpile at node 'users'"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: offtake, buyer: users, supplier: mine, share: 0.5}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].supplier: supplier 'mine' produces 'ore' but buyer 'users' takes 'metal'"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: offtake, buyer: smelter, supplier: mine, share: 0}\n",
     SF_ERR_RANGE, "policies[0].interventions[0].share: must be in (0, 1], got 0"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: recycling, node: users, share: 2}\n",
     SF_ERR_RANGE, "policies[0].interventions[0].share: must be in [0, 1], got 2"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: demand_reduction, node: users, share: 0.1}\n"
          "      - {kind: demand_reduction, node: users, share: 0.1}\n",
     SF_ERR_DUPLICATE, "this policy already has a demand reduction at node 'users'"},
    {BASE "shocks:\n  - {id: s, kind: outage, nodes: [mine],\n"
          "     schedule: {start_month: 0, duration_months: 1}}\n"
          "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: hazard_multiplier, shock: s, factor: 2}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].shock: shock 's' is scheduled"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: tariff, id: t, importer: US, exporter: CN, commodities: all,\n"
          "         rate: 0.1}\n",
     SF_ERR_MISSING_KEY, "policies[0].interventions[0].schedule: required key is missing"},
    {BASE "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: tariff, id: t, importer: US, exporter: CN, commodities: all,\n"
          "         rate: 0.1, hazard_per_year: 1}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].hazard_per_year: 'hazard_per_year' does not apply to a tariff intervention"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: tariff, id: t, importer: US, exporter: CN, commodities: all,\n"
          "         rate: 0.1, schedule: {start_month: 0, duration_months: 1}}\n"
          "  - name: b\n    interventions:\n"
          "      - {kind: tariff, id: t, importer: US, exporter: CN, commodities: all,\n"
          "         rate: 0.2, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_CONFLICT, "policies[1].interventions[0]: tariff 't' differs in 'rate' from its definition in policy 'a'"},
    {BASE "shocks:\n  - {id: t, kind: outage, nodes: [mine]," HAZARD "}\n"
          "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: tariff, id: t, importer: US, exporter: CN, commodities: all,\n"
          "         rate: 0.1, schedule: {start_month: 0, duration_months: 1}}\n",
     SF_ERR_DUPLICATE, "policies[0].interventions[0].id: shock id 't' is already used by shocks[0]"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: p, kind: plant, country: US, input: ore, output: metal, capacity: 5}}\n"
          "  - name: b\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: p, kind: plant, country: US, input: ore, output: metal, capacity: 6}}\n",
     SF_ERR_CONFLICT, "policies[1].interventions[0].node: node 'p' differs in 'capacity' from its definition at policies[0].interventions[0].node"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: mine, kind: mine, country: US, output: ore, capacity: 5}}\n",
     SF_ERR_DUPLICATE, "policies[0].interventions[0].node.id: node id 'mine' is already used by nodes[0]"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: d, kind: demand, country: US, input: ore, demand: 5}}\n",
     SF_ERR_CONFLICT, "policies[0].interventions[0].node.kind: new capacity must be a mine, refiner or plant"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: p, kind: plant, country: US, input: ore, output: metal,\n"
          "                capacity: 5, initial_input_stock: 3}}\n",
     SF_ERR_CONFLICT, "node.initial_input_stock: 'initial_input_stock' does not apply to new capacity"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, node: {id: p, kind: mine, country: NZ, output: ore,\n"
          "         capacity: 5}, lead_time_months: 1, completion_probability: 1.1}\n",
     SF_ERR_RANGE, "policies[0].interventions[0].completion_probability: must be in [0, 1], got 1.1"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, node: {id: p, kind: mine, country: NZ, output: ore,\n"
          "         capacity: 5}}\n",
     SF_ERR_MISSING_KEY, "policies[0].interventions[0].lead_time_months: required key is missing"},
    {BASE "policies:\n"
          "  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: p, kind: plant, country: US, input: ore, output: metal, capacity: 5}}\n"
          "  - name: b\n    interventions:\n"
          "      - {kind: offtake, buyer: p, supplier: mine, share: 0.5}\n",
     SF_ERR_CONFLICT, "policies[1].interventions[0].buyer: node 'p' is new capacity that this policy does not build"},
    /* Whole-scenario checks. */
    {BASE "links:\n  - {from: p, to: users}\n"
          "policies:\n  - name: a\n    interventions:\n"
          "      - {kind: new_capacity, lead_time_months: 1,\n"
          "         node: {id: p, kind: refiner, country: US, input: ore, output: metal, capacity: 5}}\n",
     SF_ERR_UNSUPPLIED, "nodes[2]: demand node 'users' cannot be supplied: none of its linked suppliers"},
    {"name: t\ncommodities: [{id: a, unit: t}, {id: b, unit: t}]\n"
     "nodes:\n  - {id: m, kind: mine, country: AU, output: a, capacity: 1}\n"
     "  - {id: d, kind: demand, country: AU, input: b, demand: 1}\n"
     "policies:\n  - name: x\n    interventions:\n"
     "      - {kind: new_capacity, lead_time_months: 1,\n"
     "         node: {id: p, kind: plant, country: US, input: b, output: a, capacity: 5}}\n"
     "      - {kind: new_capacity, lead_time_months: 1,\n"
     "         node: {id: q, kind: plant, country: US, input: a, output: b, capacity: 5}}\n",
     SF_ERR_CYCLE, "10:16: policies[0].interventions[0].node: commodity graph has a cycle: b -> a -> b"},
};

Test(config, inline_errors)
{
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        sf_error err = {0, ""};
        sf_scenario s;
        int rc = sf_scenario_load_string(&s, c->yaml, strlen(c->yaml),
                                         "inline.yaml", &err);
        if (c->code == 0) {
            cr_expect_eq(rc, 0, "case %zu: %s", i, err.msg);
        } else {
            cr_expect_eq(rc, c->code, "case %zu: wanted %s, got %d: %s", i,
                         sf_strerror(c->code), rc, err.msg);
            cr_expect(strncmp(err.msg, "inline.yaml:", 12) == 0 &&
                          strstr(err.msg, c->want) != NULL,
                      "case %zu: wanted \"%s\" in: %s", i, c->want, err.msg);
        }
        sf_scenario_free(&s);
    }
}

Test(config, bloc_named_like_a_country)
{
    expect_error("name: t\nblocs: {AU: [US]}\n"
                 "commodities: [{id: ore, unit: t}]\n"
                 "nodes:\n  - {id: m, kind: mine, country: AU, output: ore,"
                 " capacity: 1}\n",
                 SF_ERR_DUPLICATE,
                 "inline.yaml:2:9: blocs.AU: bloc name 'AU' is also a country "
                 "code (the country of node 'm')");
}

/* A flat list of many values is refused before it is built in memory. */
Test(config, too_many_values)
{
    size_t n = 1000001, len = 0;
    char *text = malloc(16 + 2 * n);
    cr_assert_not_null(text);
    len += (size_t)sprintf(text, "name: x\nbig: [");
    for (size_t i = 0; i < n; i++) {
        text[len++] = '1';
        text[len++] = ',';
    }
    text[len - 1] = ']';
    sf_error err = {0, ""};
    sf_scenario s;
    int rc = sf_scenario_load_string(&s, text, len, "big.yaml", &err);
    free(text);
    cr_expect_eq(rc, SF_ERR_LIMIT, "%s", err.msg);
    cr_expect(strstr(err.msg, "big.yaml:2:") == err.msg, "%s", err.msg);
    cr_expect(strstr(err.msg, "(document): the document holds more than "
                              "1000000 values") != NULL,
              "%s", err.msg);
    sf_scenario_free(&s);
}

Test(config, unreadable_and_oversized_files)
{
    sf_error err = {0, ""};
    sf_scenario s;
    int rc = sf_scenario_load(&s, "tests/bad/no-such-file.yaml", &err);
    cr_expect_eq(rc, SF_ERR_IO);
    cr_expect_str_eq(err.msg, "cannot read tests/bad/no-such-file.yaml: No "
                              "such file or directory");
    sf_scenario_free(&s);

    /* A sparse file one byte over the limit. */
    char path[] = "/tmp/shortfall-test-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(ftruncate(fd, ((off_t)64 << 20) + 1), 0);
    close(fd);
    rc = sf_scenario_load(&s, path, &err);
    unlink(path);
    cr_expect_eq(rc, SF_ERR_LIMIT, "%s", err.msg);
    cr_expect(strstr(err.msg, "larger than the 64 MiB limit") != NULL, "%s",
              err.msg);
    sf_scenario_free(&s);
}

/* ---- The bad-input corpus --------------------------------------------- */

static const struct {
    const char *name;
    int code;
} codes[] = {
    {"SF_ERR_SYNTAX", SF_ERR_SYNTAX},
    {"SF_ERR_UNKNOWN_KEY", SF_ERR_UNKNOWN_KEY},
    {"SF_ERR_TYPE", SF_ERR_TYPE},
    {"SF_ERR_MISSING_KEY", SF_ERR_MISSING_KEY},
    {"SF_ERR_UNKNOWN_REF", SF_ERR_UNKNOWN_REF},
    {"SF_ERR_RANGE", SF_ERR_RANGE},
    {"SF_ERR_DUPLICATE", SF_ERR_DUPLICATE},
    {"SF_ERR_TRANSITION", SF_ERR_TRANSITION},
    {"SF_ERR_OFFTAKE", SF_ERR_OFFTAKE},
    {"SF_ERR_CYCLE", SF_ERR_CYCLE},
    {"SF_ERR_UNSUPPLIED", SF_ERR_UNSUPPLIED},
    {"SF_ERR_CONFLICT", SF_ERR_CONFLICT},
    {"SF_ERR_LIMIT", SF_ERR_LIMIT},
};
#define N_CODES (sizeof codes / sizeof codes[0])

/* Reads line n (1 or 2) of path after the given prefix into out. */
static bool header_line(const char *path, int n, const char *prefix,
                        char *out, size_t size)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    bool ok = false;

    if (f == NULL)
        return false;
    for (int i = 1; i <= n && fgets(line, sizeof line, f) != NULL; i++) {
        if (i < n)
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, prefix, strlen(prefix)) == 0) {
            snprintf(out, size, "%s", line + strlen(prefix));
            ok = true;
        }
    }
    fclose(f);
    return ok;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(config, bad_corpus)
{
    DIR *dir = opendir("tests/bad");
    cr_assert_not_null(dir, "tests/bad not found: run from the repository root");
    char *names[512];
    size_t n = 0;
    bool seen[N_CODES] = {false};
    struct dirent *de;

    while ((de = readdir(dir)) != NULL && n < 512) {
        size_t len = strlen(de->d_name);
        if (len > 5 && strcmp(de->d_name + len - 5, ".yaml") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof *names, name_cmp);
    cr_expect_geq(n, 25, "only %zu files in tests/bad", n);

    for (size_t i = 0; i < n; i++) {
        char path[600], expect[1024], codename[64], want[1200];
        int code = 0;
        snprintf(path, sizeof path, "tests/bad/%s", names[i]);
        if (!header_line(path, 1, "# expect: ", expect, sizeof expect) ||
            !header_line(path, 2, "# code: ", codename, sizeof codename)) {
            cr_expect_fail("%s: no '# expect:' / '# code:' header", path);
            continue;
        }
        for (size_t k = 0; k < N_CODES; k++)
            if (strcmp(codes[k].name, codename) == 0) {
                code = codes[k].code;
                seen[k] = true;
            }
        cr_expect_neq(code, 0, "%s: unknown code %s", path, codename);

        /* "LINE:COL: KEY.PATH: " must follow "<path>:" at the start of the
         * message; the rest of the expectation is a substring of the rest. */
        const char *cut = strstr(expect, ": ");
        cut = cut != NULL ? strstr(cut + 2, ": ") : NULL;
        cr_expect_not_null(cut, "%s: expectation without a key path", path);
        if (cut == NULL)
            continue;
        cut += 2;
        snprintf(want, sizeof want, "%s:%.*s", path, (int)(cut - expect),
                 expect);

        sf_error err = {0, ""};
        sf_scenario s;
        size_t len = 0;
        char *text = sf_batch_read_text(path, &len, &err);
        int rc;
        memset(&s, 0, sizeof s);
        if (text != NULL && sf_batch_detect(text, len)) {
            /* A batch file's own errors (docs/batches.md). */
            sf_batch b;
            rc = sf_batch_load(&b, text, len, path, &err);
            if (rc == 0)
                sf_batch_free(&b);
        } else {
            rc = sf_scenario_load(&s, path, &err);
        }
        free(text);
        cr_expect_eq(rc, code, "%s: wanted %s, got %d: %s", path, codename,
                     rc, err.msg);
        cr_expect(strncmp(err.msg, want, strlen(want)) == 0 &&
                      strstr(err.msg + strlen(want), cut) != NULL,
                  "%s:\n  wanted: %s\n  got:    %s", path, expect, err.msg);
        cr_expect(strchr(err.msg, '\n') == NULL, "%s: multi-line message",
                  path);
        sf_scenario_free(&s);
        free(names[i]);
    }
    for (size_t k = 0; k < N_CODES; k++)
        cr_expect(seen[k], "no file in tests/bad provokes %s", codes[k].name);
}

/* Market version 2: each key read, each default, and a buyer's elasticity
 * resolved from its node, its commodity or its kind. */
Test(config, market_keys_and_their_defaults)
{
    static const char *yaml =
        "name: m\n"
        "currency: EUR\n"
        "commodities:\n"
        "  - {id: ore, unit: t, price: 2.5, substitution_elasticity: 4,\n"
        "     demand_elasticity: 0.3, supply_elasticity: 0.5, price_cap: 6}\n"
        "  - {id: metal, unit: t, tariff_elasticity: 2}\n"
        "nodes:\n"
        "  - {id: mine, kind: mine, country: AU, output: ore, capacity: 100}\n"
        "  - {id: r1, kind: refiner, country: CN, input: ore, output: metal,\n"
        "     capacity: 90}\n"
        "  - {id: r2, kind: refiner, country: CN, input: ore, output: metal,\n"
        "     capacity: 90, elasticity: 0.05}\n"
        "  - {id: d1, kind: demand, country: US, input: metal, demand: 120,\n"
        "     inventory_months: 3, inventory_refill_months: 6, release_price: 2}\n"
        "  - {id: d2, kind: demand, country: US, input: metal, demand: 60}\n"
        "policies:\n"
        "  - name: baseline\n"
        "  - name: s\n"
        "    interventions:\n"
        "      - {kind: stockpile, node: d1, initial: 10}\n"
        "      - {kind: stockpile, node: d2, initial: 10, release_price: 3}\n";
    sf_scenario msc;
    sf_error err = {0};
    cr_assert_eq(sf_scenario_load_string(&msc, yaml, strlen(yaml), "m.yaml",
                                         &err),
                 0, "%s", err.msg);
    cr_expect_str_eq(msc.currency, "EUR");
    const sf_commodity *ore = &msc.commodities[0], *metal = &msc.commodities[1];
    cr_expect_eq(ore->price, 2.5);
    cr_expect_eq(ore->substitution_elasticity, 4);
    cr_expect_eq(ore->demand_elasticity, 0.3);
    cr_expect_eq(ore->supply_elasticity, 0.5);
    cr_expect_eq(ore->price_cap, 6);
    cr_expect_eq(metal->price, 1);
    cr_expect_eq(metal->substitution_elasticity, 2); /* the old name */
    cr_expect_eq(metal->supply_elasticity, 1);
    cr_expect_eq(metal->price_cap, 10);
    cr_expect_eq(msc.nodes[1].elasticity, 0.3);  /* the commodity's */
    cr_expect_eq(msc.nodes[2].elasticity, 0.05); /* its own */
    cr_expect_eq(msc.nodes[3].elasticity, 0.2);  /* a demand node's default */
    cr_expect_eq(msc.nodes[3].inventory_months, 3);
    cr_expect_eq(msc.nodes[3].inventory_refill_months, 6);
    cr_expect_eq(msc.nodes[3].release_price, 2);
    cr_expect_eq(msc.nodes[4].inventory_months, 0);
    cr_expect_eq(msc.nodes[4].inventory_refill_months, 12);
    cr_expect_eq(msc.nodes[4].release_price, 1.5);
    /* A stockpile's release price: its own, else its node's. */
    cr_expect_eq(msc.policies[1].interventions[0].release_price, 2);
    cr_expect_eq(msc.policies[1].interventions[1].release_price, 3);
    sf_scenario_free(&msc);
}
