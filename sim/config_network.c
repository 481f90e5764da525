/*
 * config_network.c — the loader's network (sim/config_loader.h): the
 * header (name, horizon, trials, seed), commodities, blocs, nodes (also
 * those new_capacity interventions define), the known countries, and
 * links.  Distributions, country sets and commodity lists are in
 * sim/config_values.c.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* ^[A-Z][A-Z0-9_]{1,15}$ */
/* "YYYY-MM": four digits, a dash, a month 01-12. */
static bool calendar_month(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (i == 4 ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
            return false;
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    return s[7] == '\0' && month >= 1 && month <= 12;
}

static bool is_country_code(const char *s)
{
    size_t len = strlen(s);

    if (len < 2 || len > 16 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_'))
            return false;
    return true;
}

/* ---- Top level, commodities, blocs ------------------------------------ */

/* quantiles: [0.05, 0.5, 0.95] — the levels of every statistic
 * (sf_quantiles_problem says what they must be). */
static int quantiles_field(loader *L, const yaml_node_t *n)
{
    sf_scenario *sc = L->sc;
    char why[160];
    long bad;
    int rc = 0;

    if (n->type != YAML_SEQUENCE_NODE)
        return sf_cfg_fail(&L->y, SF_ERR_TYPE, n,
                           "expected a list of quantile levels such as "
                           "[0.05, 0.5, 0.95], got %s",
                           sf_cfg_describe(&L->y, n));
    size_t len = seq_len(n);
    for (size_t i = 0; i < len && i < SF_MAX_QUANTILES && rc == 0; i++) {
        size_t old = sf_cfg_push_index(&L->y, i);
        rc = sf_cfg_number(&L->y, seq_item(L, n, i), &sc->quantiles[i]);
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0 && sf_quantiles_problem(sc->quantiles, len, why, sizeof why,
                                        &bad) != NULL) {
        if (bad < 0)
            return sf_cfg_fail(&L->y, SF_ERR_RANGE, n, "%s", why);
        size_t old = sf_cfg_push_index(&L->y, (size_t)bad);
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, seq_item(L, n, (size_t)bad),
                         "%s", why);
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0)
        sc->n_quantiles = len;
    return rc;
}

int sf_ld_parse_header(loader *L, const yaml_node_t *root)
{
    sf_scenario *sc = L->sc;
    const char *s;
    yaml_node_t *n = NULL;
    long long v = 0;
    int rc;

    rc = sf_ld_str_field(L, root, "name", &s, &n);
    const char *why = rc == 0 ? sf_cfg_name_problem(s) : NULL;
    if (why != NULL) {
        size_t old = sf_cfg_push_key(&L->y, "name");
        rc = s[0] == '\0'
                 ? sf_cfg_fail(&L->y, SF_ERR_RANGE, n, "must not be empty")
                 : sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                               "'%s' cannot be the scenario's "
                               "name: it %s",
                               q(L, s), why);
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0)
        rc = dup_str(L, s, &sc->name);
    if (rc < 0)
        goto out;
    s = "";
    if (sf_cfg_get(&L->y, root, "description") != NULL)
        rc = sf_ld_str_field(L, root, "description", &s, NULL);
    if (rc == 0)
        rc = dup_str(L, s, &sc->description);
    s = "USD";
    if (rc == 0 && sf_cfg_get(&L->y, root, "currency") != NULL)
        rc = sf_ld_str_field(L, root, "currency", &s, NULL);
    if (rc == 0)
        rc = dup_str(L, s, &sc->currency);
    s = "";
    yaml_node_t *st = rc == 0 ? sf_cfg_get(&L->y, root, "start") : NULL;
    if (st != NULL) {
        rc = sf_ld_str_field(L, root, "start", &s, NULL);
        if (rc == 0 && !calendar_month(s)) {
            size_t old = sf_cfg_push_key(&L->y, "start");
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, st,
                             "expected a calendar month YYYY-MM (e.g. "
                             "\"2010-01\"), got '%s'",
                             q(L, s));
            sf_cfg_pop(&L->y, old);
        }
    }
    if (rc == 0)
        rc = dup_str(L, s, &sc->start);
    n = rc == 0 ? sf_cfg_get(&L->y, root, "quantiles") : NULL;
    if (n != NULL) {
        size_t old = sf_cfg_push_key(&L->y, "quantiles");
        rc = quantiles_field(L, n);
        sf_cfg_pop(&L->y, old);
    }
    sc->discount_rate = 0.03;
    if (rc == 0)
        rc = sf_ld_bounded_field(L, root, "discount_rate", 0, false, 1,
                                 &sc->discount_rate, NULL);
    if (rc < 0)
        goto out;
    sc->horizon_months = 60;
    if (sf_cfg_get(&L->y, root, "horizon_months") != NULL) {
        rc = sf_ld_int_field(L, root, "horizon_months", 1, MAX_HORIZON, SF_ERR_LIMIT,
                       &v);
        sc->horizon_months = (int)v;
    }
    if (rc < 0)
        goto out;
    sc->trials = 10000;
    if (sf_cfg_get(&L->y, root, "trials") != NULL)
        rc = sf_ld_int_field(L, root, "trials", 1, MAX_TRIALS, SF_ERR_LIMIT,
                       &sc->trials);
    if (rc < 0)
        goto out;
    sc->seed = 1;
    n = sf_cfg_get(&L->y, root, "seed");
    if (n != NULL) {
        size_t old = sf_cfg_push_key(&L->y, "seed");
        rc = sf_cfg_uint64(&L->y, n, &sc->seed);
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

static const char *const commodity_keys[] = {
    "id",    "unit",  "price", "substitution_elasticity", "tariff_elasticity",
    "demand_elasticity", "supply_elasticity", "price_cap", "substitution",
    NULL};

static const char *const lasting_keys[] = {"elasticity", "adjust_months",
                                           "revert_months", NULL};

/* substitution: {elasticity, adjust_months, revert_months}, all
 * required. */
static int lasting_field(loader *L, const yaml_node_t *m, sf_commodity *c)
{
    yaml_node_t *n = sf_cfg_get(&L->y, m, "substitution");
    if (n == NULL)
        return 0;
    size_t old = sf_cfg_push_key(&L->y, "substitution");
    int rc = sf_cfg_expect(&L->y, n, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = sf_cfg_check_keys(&L->y, n, lasting_keys, NULL, NULL);
    if (rc == 0)
        rc = sf_ld_num_field(L, n, "elasticity", true, R_GE0,
                             &c->sub_elasticity, NULL);
    if (rc == 0)
        rc = sf_ld_bounded_field(L, n, "adjust_months", 1, false, 1e6,
                                 &c->sub_adjust_months, NULL);
    if (rc == 0 && sf_cfg_get(&L->y, n, "adjust_months") == NULL)
        rc = sf_cfg_fail_missing(&L->y, n, "adjust_months");
    if (rc == 0)
        rc = sf_ld_bounded_field(L, n, "revert_months", 1, false, 1e6,
                                 &c->sub_revert_months, NULL);
    if (rc == 0 && sf_cfg_get(&L->y, n, "revert_months") == NULL)
        rc = sf_cfg_fail_missing(&L->y, n, "revert_months");
    sf_cfg_pop(&L->y, old);
    return rc;
}

/* substitution_elasticity, or tariff_elasticity, its version-1 name; not
 * both. */
static int substitution_field(loader *L, const yaml_node_t *m,
                              sf_commodity *c)
{
    bool a = false, b = false;
    int rc = sf_ld_bounded_field(L, m, "substitution_elasticity", 0, true,
                                 MAX_SUBSTITUTION,
                                 &c->substitution_elasticity, &a);
    if (rc == 0)
        rc = sf_ld_bounded_field(L, m, "tariff_elasticity", 0, true,
                                 MAX_SUBSTITUTION,
                                 &c->substitution_elasticity, &b);
    if (rc == 0 && a && b) {
        size_t old = sf_cfg_push_key(&L->y, "tariff_elasticity");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                         sf_cfg_get_key_node(&L->y, m, "tariff_elasticity"),
                         "'tariff_elasticity' is the old name of "
                         "'substitution_elasticity'; give one of them");
        sf_cfg_pop(&L->y, old);
    }
    return rc;
}

int sf_ld_parse_commodities(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = 0;
    size_t n;

    rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);
    if (rc < 0)
        goto out;
    n = seq_len(list);
    if (n == 0) {
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, list,
                         "must list at least one commodity");
        goto out;
    }
    sc->commodities = calloc(n, sizeof *sc->commodities);
    if (sc->commodities == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        yaml_node_t *m = seq_item(L, list, i), *idn = NULL;
        sf_commodity *c = &sc->commodities[i];
        size_t old = sf_cfg_push_index(&L->y, i);
        const char *s;

        sc->n_commodities = i + 1;
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, commodity_keys, NULL, NULL);
        if (rc == 0)
            rc = sf_ld_id_field(L, m, "id", &s, &idn);
        if (rc == 0)
            rc = sf_ld_claim_id(L, &L->commodity_ids, idn, "id",
                                "commodity id", "commodities", s, (int)i,
                                &c->id);
        if (rc == 0)
            rc = sf_ld_str_field(L, m, "unit", &s, NULL);
        if (rc == 0)
            rc = dup_str(L, s, &c->unit);
        c->substitution_elasticity = 3;
        c->price = 1;
        c->demand_elasticity = -1; /* by buyer kind */
        c->supply_elasticity = 1;
        c->price_cap = 10;
        if (rc == 0)
            rc = substitution_field(L, m, c);
        if (rc == 0)
            rc = sf_ld_num_field(L, m, "price", false, R_GT0, &c->price, NULL);
        if (rc == 0)
            rc = sf_ld_bounded_field(L, m, "demand_elasticity", 0, false,
                                     MAX_ELASTICITY, &c->demand_elasticity,
                                     NULL);
        if (rc == 0)
            rc = sf_ld_bounded_field(L, m, "supply_elasticity", 0, false,
                                     MAX_ELASTICITY, &c->supply_elasticity,
                                     NULL);
        if (rc == 0)
            rc = sf_ld_bounded_field(L, m, "price_cap", 1, true, MAX_PRICE_CAP,
                                     &c->price_cap, NULL);
        if (rc == 0)
            rc = lasting_field(L, m, c);
        c->loc = sf_cfg_loc(m);
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

/* Bloc names and member codes; the members are resolved to country
 * indices once every country is known. */
int sf_ld_parse_blocs(loader *L, const yaml_node_t *map)
{
    sf_scenario *sc = L->sc;
    int rc = 0;
    size_t n;

    rc = sf_cfg_expect(&L->y, map, YAML_MAPPING_NODE);
    if (rc < 0)
        goto out;
    n = map_len(map);
    if (n == 0)
        goto out;
    sc->blocs = calloc(n, sizeof *sc->blocs);
    L->bloc_lists = calloc(n, sizeof *L->bloc_lists);
    if (sc->blocs == NULL || L->bloc_lists == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        yaml_node_t *k = map_key(L, map, i);
        const char *name = sf_cfg_scalar(k);
        size_t old = sf_cfg_push_key(&L->y, name);

        sc->n_blocs = i + 1;
        sc->blocs[i].loc = sf_cfg_loc(k);
        L->bloc_lists[i] = map_value(L, map, i);
        rc = sf_ld_check_id(L, k, name);
        if (rc == 0 && strcmp(name, "all") == 0)
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, k,
                             "'all' is reserved and cannot name a bloc");
        if (rc == 0)
            rc = dup_str(L, name, &sc->blocs[i].name);
        if (rc == 0 && sf_ld_nm_put(&L->bloc_names, sc->blocs[i].name, (int)i) < 0)
            rc = nomem(L);
        sf_cfg_pop(&L->y, old);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const yaml_node_t *list = L->bloc_lists[i];
        size_t old = sf_cfg_push_key(&L->y, sc->blocs[i].name);

        rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);
        if (rc == 0 && seq_len(list) == 0)
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, list,
                             "a bloc needs at least one country");
        if (rc == 0)
            rc = sf_ld_check_unique_items(L, list, "country");
        for (size_t j = 0; rc == 0 && j < seq_len(list); j++) {
            yaml_node_t *item = seq_item(L, list, j);
            const char *code = sf_cfg_scalar(item);
            size_t o = sf_cfg_push_index(&L->y, j);
            if (sf_ld_nm_find(&L->bloc_names, code) >= 0)
                rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, item,
                                 "'%s' is a bloc; bloc members must be "
                                 "country codes",
                                 q(L, code));
            else if (!is_country_code(code))
                rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, item,
                                 "'%s' is not a country code (2 to 16 capital "
                                 "letters, digits or '_', starting with a "
                                 "letter)",
                                 q(L, code));
            sf_cfg_pop(&L->y, o);
        }
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

/* ---- Nodes ------------------------------------------------------------ */

static const char *const node_keys[] = {
    "id",       "kind",   "country",          "input",
    "output",   "capacity", "output_stock_cap", "yield",
    "input_buffer_months", "initial_input_stock", "demand",
    "growth",   "volatility", "elasticity", "inventory_months",
    "inventory_refill_months", "release_price", "unit_cost",
    "exit_after_months", "restart_months", NULL};

static const char *const node_kind_keys[][15] = {
    {"id", "kind", "country", "output", "capacity", "output_stock_cap",
     "unit_cost", "exit_after_months", "restart_months", NULL},
    {"id", "kind", "country", "input", "output", "capacity",
     "output_stock_cap", "yield", "input_buffer_months",
     "initial_input_stock", "elasticity", "unit_cost", "exit_after_months",
     "restart_months", NULL},
    {"id", "kind", "country", "input", "output", "capacity",
     "output_stock_cap", "yield", "input_buffer_months",
     "initial_input_stock", "elasticity", "unit_cost", "exit_after_months",
     "restart_months", NULL},
    {"id", "kind", "country", "input", "demand", "growth", "volatility",
     "elasticity", "inventory_months", "inventory_refill_months",
     "release_price", NULL}};

const char *const sf_ld_node_kind_what[SF_NODE_KIND_COUNT] = {"a mine", "a refiner", "a plant",
                                             "a demand node"};

static int commodity_field(loader *L, const yaml_node_t *map, const char *key,
                           int *out)
{
    return sf_ld_ref_field(L, map, key, &L->commodity_ids, "commodity", out, NULL);
}

/* A node's kind, and its keys checked against the kind's; new capacity
 * (policy >= 0) can be neither a demand node nor given an input stock. */
static int node_kind(loader *L, const yaml_node_t *map, int policy,
                     sf_node *nd)
{
    int rc, kind = 0;
    yaml_node_t *n;
    size_t old;

    rc = sf_cfg_expect(&L->y, map, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = sf_ld_check_keys_without_kind(L, map, node_keys);
    if (rc == 0)
        rc = sf_ld_enum_field(L, map, "kind", sf_node_kind_names,
                        COUNT(sf_node_kind_names), "node kind", &kind);
    if (rc < 0)
        goto out;
    nd->kind = (sf_node_kind)kind;
    if (policy >= 0 && nd->kind == SF_NODE_DEMAND) {
        old = sf_cfg_push_key(&L->y, "kind");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, sf_cfg_get(&L->y, map, "kind"),
                         "new capacity must be a mine, refiner or plant, not "
                         "a demand node");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    rc = sf_cfg_check_keys(&L->y, map, node_keys, node_kind_keys[kind],
                           sf_ld_node_kind_what[kind]);
    if (rc < 0)
        goto out;
    n = sf_cfg_get_key_node(&L->y, map, "initial_input_stock");
    if (policy >= 0 && n != NULL) {
        old = sf_cfg_push_key(&L->y, "initial_input_stock");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, n,
                         "'initial_input_stock' does not apply to new "
                         "capacity: its input stock starts at 0");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
out:
    return rc;
}

/* A node's id (*id_at receives its node) and country code. */
static int node_id_country(loader *L, const yaml_node_t *map, sf_node *nd,
                           node_extra *ex, yaml_node_t **id_at)
{
    int rc;
    const char *s;
    yaml_node_t *n;
    size_t old;

    rc = sf_ld_id_field(L, map, "id", &s, id_at);
    if (rc == 0)
        rc = dup_str(L, s, &nd->id);
    if (rc == 0)
        rc = sf_ld_str_field(L, map, "country", &s, &n);
    if (rc < 0)
        goto out;
    if (!is_country_code(s)) {
        old = sf_cfg_push_key(&L->y, "country");
        if (sf_ld_nm_find(&L->bloc_names, s) >= 0)
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                             "'%s' is a bloc; a node needs one country code",
                             q(L, s));
        else
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                             "'%s' is not a country code (2 to 16 capital "
                             "letters, digits or '_', starting with a "
                             "letter)",
                             q(L, s));
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    ex->country = s;
out:
    return rc;
}

/* A node's input and output commodities; a converter's must differ. */
static int node_commodities(loader *L, const yaml_node_t *map, sf_node *nd)
{
    int rc = 0;
    size_t old;

    if (nd->kind != SF_NODE_MINE)
        rc = commodity_field(L, map, "input", &nd->input);
    if (rc == 0 && nd->kind != SF_NODE_DEMAND)
        rc = commodity_field(L, map, "output", &nd->output);
    if (rc < 0)
        goto out;
    if (nd->kind == SF_NODE_REFINER || nd->kind == SF_NODE_PLANT) {
        if (nd->input == nd->output) {
            old = sf_cfg_push_key(&L->y, "output");
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                             sf_cfg_get(&L->y, map, "output"),
                             "a %s must turn its input into a different "
                             "commodity, but input and output are both '%s'",
                             sf_node_kind_names[nd->kind],
                             q(L, L->sc->commodities[nd->output].id));
            sf_cfg_pop(&L->y, old);
            goto out;
        }
    }
out:
    return rc;
}

/* A node's amounts: a producer's capacity and output stock cap, a
 * converter's yield and input buffer, a demand node's demand, growth and
 * volatility.  policy >= 0: new capacity, whose input stock starts at 0. */
static int node_amounts(loader *L, const yaml_node_t *map, int policy,
                        sf_node *nd)
{
    int rc = 0;
    bool given;
    size_t old;

    if (nd->kind != SF_NODE_DEMAND) {
        long long v = 0;
        rc = sf_ld_num_field(L, map, "capacity", true, R_GE0, &nd->capacity, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "output_stock_cap", false, R_GE0,
                           &nd->output_stock_cap, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "unit_cost", false, R_GE0,
                                 &nd->unit_cost, NULL);
        nd->exit_after_months = 12;
        nd->restart_months = 24;
        if (rc == 0 && sf_cfg_get(&L->y, map, "exit_after_months") != NULL) {
            rc = sf_ld_int_field(L, map, "exit_after_months", 1, MAX_HORIZON,
                                 SF_ERR_RANGE, &v);
            nd->exit_after_months = (int)v;
        }
        if (rc == 0 && sf_cfg_get(&L->y, map, "restart_months") != NULL) {
            rc = sf_ld_int_field(L, map, "restart_months", 0, MAX_HORIZON,
                                 SF_ERR_RANGE, &v);
            nd->restart_months = (int)v;
        }
    }
    if (rc == 0 &&
        (nd->kind == SF_NODE_REFINER || nd->kind == SF_NODE_PLANT)) {
        nd->yield = 1;
        nd->input_buffer_months = 1;
        rc = sf_ld_num_field(L, map, "yield", false, R_GT0, &nd->yield, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "input_buffer_months", false, R_GE0,
                           &nd->input_buffer_months, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "initial_input_stock", false, R_GE0,
                           &nd->initial_input_stock, &given);
        /* The buffer target; new capacity starts empty (docs/model.md, Policies). */
        if (rc == 0 && !given && policy < 0)
            nd->initial_input_stock =
                nd->input_buffer_months * nd->capacity / 12 / nd->yield;
    }
    if (rc == 0 && nd->kind != SF_NODE_MINE) {
        const sf_commodity *c = &L->sc->commodities[nd->input];
        nd->elasticity = c->demand_elasticity >= 0 ? c->demand_elasticity
                         : nd->kind == SF_NODE_DEMAND ? 0.2
                                                      : 0.1;
        rc = sf_ld_bounded_field(L, map, "elasticity", 0, false,
                                 MAX_ELASTICITY, &nd->elasticity, NULL);
    }
    if (rc == 0 && nd->kind == SF_NODE_DEMAND) {
        nd->inventory_refill_months = 12;
        nd->release_price = 1.5;
        rc = sf_ld_num_field(L, map, "inventory_months", false, R_GE0,
                             &nd->inventory_months, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "inventory_refill_months", false,
                                 R_GT0, &nd->inventory_refill_months, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "release_price", false, R_GT0,
                                 &nd->release_price, NULL);
    }
    if (rc == 0 && nd->kind == SF_NODE_DEMAND) {
        rc = sf_ld_num_field(L, map, "demand", true, R_GE0, &nd->demand, NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "growth", false, R_GT_M1, &nd->growth,
                           NULL);
        if (rc == 0)
            rc = sf_ld_num_field(L, map, "volatility", false, R_GE0,
                           &nd->volatility, NULL);
        /* Demand at the horizon must stay within the size limit too (the
         * factor alone must be finite: 0 x inf is NaN). */
        double factor = pow(1 + nd->growth, L->sc->horizon_months / 12.0);
        if (rc == 0 && !(isfinite(factor) && nd->demand * factor <= MAX_NUMBER)) {
            old = sf_cfg_push_key(&L->y, "growth");
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE,
                             sf_cfg_get(&L->y, map, "growth"),
                             "growing by %g a year for %d months multiplies "
                             "demand %g by %g; the result must stay at most "
                             "1e15",
                             nd->growth, L->sc->horizon_months, nd->demand,
                             factor);
            sf_cfg_pop(&L->y, old);
        }
    }
    return rc;
}

/* Reads a node mapping into nd (its id not yet checked for uniqueness;
 * *id_at receives the id's node).  policy >= 0: the node of a new_capacity
 * intervention of that policy. */
static int parse_node(loader *L, const yaml_node_t *map, int policy,
                      sf_node *nd, node_extra *ex, yaml_node_t **id_at)
{
    int rc;

    memset(nd, 0, sizeof *nd);
    nd->input = nd->output = nd->country = -1;
    nd->defined_by_policy = policy;
    nd->loc = sf_cfg_loc(map);
    ex->country = NULL;
    rc = node_kind(L, map, policy, nd);
    if (rc == 0)
        rc = node_id_country(L, map, nd, ex, id_at);
    if (rc == 0)
        rc = node_commodities(L, map, nd);
    if (rc == 0)
        rc = node_amounts(L, map, policy, nd);
    return rc;
}

/* Appends a zeroed node slot (with its extra) and returns its index. */
static int add_node_slot(loader *L, size_t *index)
{
    size_t cap = L->nodes_cap, cap2 = L->nodes_cap;
    int rc = sf_ld_grow((void **)&L->sc->nodes, &cap, L->sc->n_nodes + 1,
                  sizeof *L->sc->nodes);

    if (rc == 0)
        rc = sf_ld_grow((void **)&L->nx, &cap2, L->sc->n_nodes + 1, sizeof *L->nx);
    if (rc < 0)
        return nomem(L);
    /* Both arrays grew by the same rule from the same capacity. */
    sf_bug_assert(cap == cap2);
    L->nodes_cap = cap;
    *index = L->sc->n_nodes++;
    /* A slot may be reused after a shared node was dropped from it. */
    memset(&L->sc->nodes[*index], 0, sizeof L->sc->nodes[*index]);
    memset(&L->nx[*index], 0, sizeof L->nx[*index]);
    return 0;
}

static int dup_path(loader *L, char **out)
{
    return dup_str(L, sf_cfg_path(&L->y), out);
}

int sf_ld_parse_nodes(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    if (rc == 0 && seq_len(list) == 0)
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, list,
                         "must list at least one node");
    for (size_t i = 0; rc == 0 && i < seq_len(list); i++) {
        size_t old = sf_cfg_push_index(&L->y, i), k = 0;
        yaml_node_t *idn = NULL;

        rc = add_node_slot(L, &k);
        if (rc == 0)
            rc = dup_path(L, &L->nx[k].path);
        if (rc == 0)
            rc = parse_node(L, seq_item(L, list, i), -1, &sc->nodes[k],
                            &L->nx[k], &idn);
        if (rc == 0)
            rc = sf_ld_claim_id(L, &L->node_ids, idn, "id", "node id",
                                "nodes", sc->nodes[k].id, (int)k, NULL);
        sf_cfg_pop(&L->y, old);
    }
    L->n_scenario_nodes = sc->n_nodes;
    return rc;
}

/* Name of the first field in which two nodes differ, or NULL. */
static const char *node_difference(const sf_node *a, const node_extra *ax,
                                   const sf_node *b, const node_extra *bx)
{
    if (a->kind != b->kind)
        return "kind";
    if (strcmp(ax->country, bx->country) != 0)
        return "country";
    if (a->input != b->input)
        return "input";
    if (a->output != b->output)
        return "output";
    if (a->capacity != b->capacity)
        return "capacity";
    if (a->output_stock_cap != b->output_stock_cap)
        return "output_stock_cap";
    if (a->yield != b->yield)
        return "yield";
    if (a->input_buffer_months != b->input_buffer_months)
        return "input_buffer_months";
    if (a->elasticity != b->elasticity)
        return "elasticity";
    if (a->unit_cost != b->unit_cost)
        return "unit_cost";
    if (a->exit_after_months != b->exit_after_months)
        return "exit_after_months";
    if (a->restart_months != b->restart_months)
        return "restart_months";
    return NULL;
}

/* The node of a new_capacity intervention of policy p: appended, or the
 * same node another policy already defined. */
int sf_ld_parse_policy_node(loader *L, const yaml_node_t *map, int p,
                             int *index)
{
    sf_scenario *sc = L->sc;
    size_t k = 0, old = sf_cfg_push_key(&L->y, "node");
    yaml_node_t *idn = NULL;
    int rc, prev;
    const char *diff;

    rc = add_node_slot(L, &k);
    if (rc == 0)
        rc = dup_path(L, &L->nx[k].path);
    if (rc == 0)
        rc = parse_node(L, map, p, &sc->nodes[k], &L->nx[k], &idn);
    if (rc < 0)
        goto out;
    prev = sf_ld_nm_find(&L->node_ids, sc->nodes[k].id);
    *index = (int)k;
    if (prev < 0) {
        if (sf_ld_nm_put(&L->node_ids, sc->nodes[k].id, (int)k) < 0)
            rc = nomem(L);
        L->nx[k].built_pass_a = p + 1;
        goto out;
    }
    if (sc->nodes[prev].defined_by_policy < 0) {
        rc = sf_ld_id_taken(L, idn, "id", "node id", "nodes",
                            sc->nodes[k].id, prev);
        goto out;
    }
    if (L->nx[prev].built_pass_a == p + 1) {
        size_t o = sf_cfg_push_key(&L->y, "id");
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                         "this policy already builds node '%s'",
                         q(L, sc->nodes[k].id));
        sf_cfg_pop(&L->y, o);
        goto out;
    }
    diff = node_difference(&sc->nodes[k], &L->nx[k], &sc->nodes[prev],
                           &L->nx[prev]);
    if (diff != NULL) {
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, map,
                         "node '%s' differs in '%s' from its definition at "
                         "%s; a node built by several policies must be "
                         "identical in each",
                         q(L, sc->nodes[k].id), diff, L->nx[prev].path);
        goto out;
    }
    /* The same node again: drop the copy and share the first one. */
    free(sc->nodes[k].id);
    free(L->nx[k].path);
    sc->n_nodes--;
    L->nx[prev].built_pass_a = p + 1;
    *index = prev;
out:
    sf_cfg_pop(&L->y, old);
    return rc;
}

/* ---- Countries -------------------------------------------------------- */

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The known countries: those of all nodes and all bloc members, sorted. */
int sf_ld_build_countries(loader *L)
{
    sf_scenario *sc = L->sc;
    const char **all = NULL;
    size_t n = 0, total = sc->n_nodes;
    int rc = 0;

    for (size_t b = 0; b < sc->n_blocs; b++)
        total += seq_len(L->bloc_lists[b]);
    all = malloc((total > 0 ? total : 1) * sizeof *all);
    if (all == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < sc->n_nodes; i++)
        all[n++] = L->nx[i].country;
    for (size_t b = 0; b < sc->n_blocs; b++)
        for (size_t j = 0; j < seq_len(L->bloc_lists[b]); j++)
            all[n++] = sf_cfg_scalar(seq_item(L, L->bloc_lists[b], j));
    qsort(all, n, sizeof *all, str_ptr_cmp);
    sc->countries = calloc(n > 0 ? n : 1, sizeof *sc->countries);
    if (sc->countries == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0 && strcmp(all[i], all[i - 1]) == 0)
            continue;
        rc = dup_str(L, all[i], &sc->countries[sc->n_countries]);
        if (rc == 0 && sf_ld_nm_put(&L->country_ids, sc->countries[sc->n_countries],
                              (int)sc->n_countries) < 0)
            rc = nomem(L);
        if (rc == 0)
            sc->n_countries++;
    }
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < sc->n_nodes; i++)
        sc->nodes[i].country = sf_ld_nm_find(&L->country_ids, L->nx[i].country);
    for (size_t b = 0; b < sc->n_blocs && rc == 0; b++) {
        const yaml_node_t *list = L->bloc_lists[b];
        sf_country_set *m = &sc->blocs[b].members;
        m->idx = malloc(seq_len(list) * sizeof *m->idx);
        if (m->idx == NULL) {
            rc = nomem(L);
            goto out;
        }
        for (size_t j = 0; j < seq_len(list); j++)
            m->idx[j] = sf_ld_nm_find(&L->country_ids,
                                sf_cfg_scalar(seq_item(L, list, j)));
        m->n = sf_ld_sort_unique(m->idx, seq_len(list));
        /* A member can never be a bloc (checked above), so a clash comes
         * from the country of a node. */
        if (sf_ld_nm_find(&L->country_ids, sc->blocs[b].name) >= 0) {
            const char *node = "?";
            for (size_t i = 0; i < sc->n_nodes; i++)
                if (strcmp(L->nx[i].country, sc->blocs[b].name) == 0) {
                    node = sc->nodes[i].id;
                    break;
                }
            char path[SF_CFG_PATH_MAX];
            snprintf(path, sizeof path, "blocs.%s", sc->blocs[b].name);
            rc = sf_cfg_fail_at(&L->y, SF_ERR_DUPLICATE, sc->blocs[b].loc,
                                path,
                                "bloc name '%s' is also a country code (the "
                                "country of node '%s')",
                                q(L, sc->blocs[b].name), q(L, node));
        }
    }
out:
    free(all);
    return rc;
}

/* ---- Links ------------------------------------------------------------ */

static const char *const link_keys[] = {"from", "to", "weight", NULL};

typedef struct {
    int from, to;
    size_t pos;
} link_ref;

static int link_ref_cmp(const void *a, const void *b)
{
    const link_ref *x = a, *y = b;

    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->to != y->to)
        return x->to < y->to ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int sf_ld_parse_links(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    link_ref *refs = NULL;
    size_t n = 0, dup = SIZE_MAX, first = 0;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    if (rc < 0)
        goto out;
    n = seq_len(list);
    if (n == 0)
        goto out;
    sc->links = calloc(n, sizeof *sc->links);
    refs = malloc(n * sizeof *refs);
    if (sc->links == NULL || refs == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        yaml_node_t *m = seq_item(L, list, i), *fn = NULL, *tn = NULL;
        sf_link *l = &sc->links[i];
        size_t old = sf_cfg_push_index(&L->y, i);
        const sf_node *from, *to;

        sc->n_links = i + 1;
        l->loc = sf_cfg_loc(m);
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, link_keys, NULL, NULL);
        if (rc == 0)
            rc = sf_ld_ref_field(L, m, "from", &L->node_ids, "node", &l->from, &fn);
        if (rc == 0)
            rc = sf_ld_ref_field(L, m, "to", &L->node_ids, "node", &l->to, &tn);
        if (rc < 0)
            goto next;
        from = &sc->nodes[l->from];
        to = &sc->nodes[l->to];
        if (from->kind == SF_NODE_DEMAND) {
            size_t o = sf_cfg_push_key(&L->y, "from");
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, fn,
                             "node '%s' is a demand node and supplies nothing",
                             q(L, from->id));
            sf_cfg_pop(&L->y, o);
        } else if (to->kind == SF_NODE_MINE) {
            size_t o = sf_cfg_push_key(&L->y, "to");
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, tn,
                             "node '%s' is a mine and buys nothing",
                             q(L, to->id));
            sf_cfg_pop(&L->y, o);
        } else if (from->output != to->input) {
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, m,
                             "node '%s' produces '%s' but node '%s' takes '%s'",
                             q(L, from->id),
                             q(L, sc->commodities[from->output].id),
                             q(L, to->id),
                             q(L, sc->commodities[to->input].id));
        }
        l->weight = from->capacity;
        if (rc == 0)
            rc = sf_ld_num_field(L, m, "weight", false, R_GT0, &l->weight,
                           &l->weight_given);
        refs[i].from = l->from;
        refs[i].to = l->to;
        refs[i].pos = i;
    next:
        sf_cfg_pop(&L->y, old);
    }
    if (rc < 0)
        goto out;
    qsort(refs, n, sizeof *refs, link_ref_cmp);
    for (size_t i = 1; i < n; i++)
        if (refs[i].from == refs[i - 1].from && refs[i].to == refs[i - 1].to &&
            refs[i].pos < dup &&
            (i < 2 || refs[i - 2].from != refs[i].from ||
             refs[i - 2].to != refs[i].to)) {
            dup = refs[i].pos;
            first = refs[i - 1].pos;
        }
    if (dup != SIZE_MAX) {
        size_t old = sf_cfg_push_index(&L->y, dup);
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, seq_item(L, list, dup),
                         "the link from '%s' to '%s' is already given by "
                         "links[%zu]",
                         q(L, sc->nodes[sc->links[dup].from].id),
                         q(L, sc->nodes[sc->links[dup].to].id), first);
        sf_cfg_pop(&L->y, old);
    }
out:
    free(refs);
    return rc;
}
