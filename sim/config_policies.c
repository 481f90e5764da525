/*
 * config_policies.c — the loader's policies and interventions
 * (sim/config_loader.h), read in two passes: first the names, each
 * intervention's kind and keys, and the nodes new_capacity defines (so
 * that the countries are complete before links and shocks); then
 * everything that names nodes or shocks.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* ---- Policies --------------------------------------------------------- */

static const char *const policy_keys[] = {"name", "interventions", NULL};

static const char *const iv_keys[] = {
    "kind",     "node",     "initial",          "initial_months",
    "capacity", "capacity_months", "max_release_months", "refill_months",
    "release_price", "buyer",    "supplier", "share",            "lead_time_months",
    "ramp_months", "completion_probability", "id", "importer",
    "exporter", "commodities", "rate",          "schedule",
    "hazard_per_year", "duration_months", "shock", "factor",
    "holding_cost", "premium", "capex", "subsidy_per_unit", "cost_per_unit",
    "floor", NULL};

static const char *const iv_kind_keys[][11] = {
    {"kind", "node", "initial", "initial_months", "capacity",
     "capacity_months", "max_release_months", "refill_months",
     "release_price", "holding_cost", NULL},
    {"kind", "buyer", "supplier", "share", "premium", NULL},
    {"kind", "node", "lead_time_months", "ramp_months",
     "completion_probability", "capex", "subsidy_per_unit", NULL},
    {"kind", "node", "share", "ramp_months", "cost_per_unit", NULL},
    {"kind", "node", "share", "cost_per_unit", NULL},
    {"kind", "id", "importer", "exporter", "commodities", "rate", "schedule",
     NULL},
    {"kind", "shock", "factor", NULL},
    {"kind", "node", "floor", NULL}};

static const char *const iv_kind_what[] = {
    "a stockpile intervention",     "an offtake intervention",
    "a new_capacity intervention",  "a recycling intervention",
    "a demand_reduction intervention", "a tariff intervention",
    "a hazard_multiplier intervention", "a price_floor intervention"};

static int nc_add(loader *L, int node, int policy)
{
    size_t cap = L->nc_cap, cap2 = L->nc_cap;
    int rc = sf_ld_grow((void **)&L->nc_node, &cap, L->n_nc + 1, sizeof(int));

    if (rc == 0)
        rc = sf_ld_grow((void **)&L->nc_policy, &cap2, L->n_nc + 1, sizeof(int));
    if (rc < 0)
        return nomem(L);
    L->nc_cap = cap;
    L->nc_node[L->n_nc] = node;
    L->nc_policy[L->n_nc++] = policy;
    return 0;
}

/* First pass over policies: names, the kind and keys of every
 * intervention, and the nodes that new_capacity interventions define. */
int sf_ld_collect_policies(loader *L, const yaml_node_t *list,
                            const yaml_node_t *root)
{
    sf_scenario *sc = L->sc;
    int rc = 0;
    size_t n;

    if (list == NULL) {
        sc->policies = calloc(1, sizeof *sc->policies);
        if (sc->policies == NULL) {
            rc = nomem(L);
            goto out;
        }
        sc->n_policies = 1;
        sc->policies[0].loc = sf_cfg_loc(root);
        rc = dup_str(L, "baseline", &sc->policies[0].name);
        goto out;
    }
    rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);
    if (rc < 0)
        goto out;
    n = seq_len(list);
    if (n == 0) {
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, list,
                         "must list at least one policy (the first is the "
                         "baseline)");
        goto out;
    }
    if (n > MAX_POLICIES) {
        size_t old = sf_cfg_push_index(&L->y, MAX_POLICIES);
        rc = sf_cfg_fail(&L->y, SF_ERR_LIMIT, seq_item(L, list, MAX_POLICIES),
                         "more than %d policy mixes (the baseline included); "
                         "split them across scenarios",
                         MAX_POLICIES);
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    sc->policies = calloc(n, sizeof *sc->policies);
    if (sc->policies == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t p = 0; p < n && rc == 0; p++) {
        yaml_node_t *m = seq_item(L, list, p), *nn = NULL, *ivs;
        sf_policy *pol = &sc->policies[p];
        size_t old = sf_cfg_push_index(&L->y, p), o;
        const char *s;

        sc->n_policies = p + 1;
        pol->loc = sf_cfg_loc(m);
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, policy_keys, NULL, NULL);
        if (rc == 0)
            rc = sf_ld_id_field(L, m, "name", &s, &nn);
        if (rc == 0)
            rc = sf_ld_claim_id(L, &L->policy_names, nn, "name",
                                "policy name", "policies", s, (int)p,
                                &pol->name);
        ivs = sf_cfg_get(&L->y, m, "interventions");
        if (rc < 0 || ivs == NULL)
            goto next;
        o = sf_cfg_push_key(&L->y, "interventions");
        rc = sf_cfg_expect(&L->y, ivs, YAML_SEQUENCE_NODE);
        if (rc == 0 && seq_len(ivs) > 0) {
            pol->interventions =
                calloc(seq_len(ivs), sizeof *pol->interventions);
            if (pol->interventions == NULL)
                rc = nomem(L);
        }
        for (size_t k = 0; rc == 0 && k < seq_len(ivs); k++) {
            yaml_node_t *im = seq_item(L, ivs, k), *nm;
            sf_intervention *iv = &pol->interventions[k];
            size_t ok = sf_cfg_push_index(&L->y, k);
            int kind = 0, node = -1;

            pol->n_interventions = k + 1;
            iv->node = iv->supplier = iv->shock = -1;
            iv->loc = sf_cfg_loc(im);
            rc = sf_cfg_expect(&L->y, im, YAML_MAPPING_NODE);
            if (rc == 0)
                rc = sf_ld_check_keys_without_kind(L, im, iv_keys);
            if (rc == 0)
                rc = sf_ld_enum_field(L, im, "kind", sf_iv_kind_names,
                                COUNT(sf_iv_kind_names), "intervention kind",
                                &kind);
            iv->kind = (sf_iv_kind)kind;
            if (rc == 0)
                rc = sf_cfg_check_keys(&L->y, im, iv_keys, iv_kind_keys[kind],
                                       iv_kind_what[kind]);
            if (rc == 0 && iv->kind == SF_IV_NEW_CAPACITY) {
                nm = sf_cfg_get(&L->y, im, "node");
                if (nm == NULL)
                    rc = sf_cfg_fail_missing(&L->y, im, "node");
                if (rc == 0)
                    rc = sf_ld_parse_policy_node(L, nm, (int)p, &node);
                if (rc == 0)
                    rc = nc_add(L, node, (int)p);
            }
            sf_cfg_pop(&L->y, ok);
        }
        sf_cfg_pop(&L->y, o);
    next:
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

/* A node reference that must be a demand node. */
static int demand_node_field(loader *L, const yaml_node_t *map,
                             const char *what, int *out)
{
    yaml_node_t *at = NULL;
    int rc = sf_ld_ref_field(L, map, "node", &L->node_ids, "node", out, &at);

    if (rc == 0 && L->sc->nodes[*out].kind != SF_NODE_DEMAND) {
        size_t old = sf_cfg_push_key(&L->y, "node");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, at,
                         "node '%s' is %s; %s applies to demand nodes",
                         q(L, L->sc->nodes[*out].id),
                         sf_ld_node_kind_what[L->sc->nodes[*out].kind], what);
        sf_cfg_pop(&L->y, old);
    }
    return rc;
}

/* A node that only some policies build must be built by policy p. */
static int check_built(loader *L, const yaml_node_t *at, const char *key,
                       int node, int p)
{
    const sf_node *nd = &L->sc->nodes[node];
    size_t old;
    int rc;

    if (nd->defined_by_policy < 0 || L->nx[node].built == p + 1)
        return 0;
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, at,
                     "node '%s' is new capacity that this policy does not "
                     "build (add a new_capacity intervention for it)",
                     q(L, nd->id));
    sf_cfg_pop(&L->y, old);
    return rc;
}

/* A stamp in per-node scratch: fails with a duplicate when policy p has
 * already marked the node. */
static int stamp_once(loader *L, int *stamp, int p, const yaml_node_t *at,
                      const char *what, const char *node)
{
    size_t old;
    int rc;

    if (*stamp != p + 1) {
        *stamp = p + 1;
        return 0;
    }
    old = sf_cfg_push_key(&L->y, "node");
    rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, at,
                     "this policy already has %s at node '%s'", what,
                     q(L, node));
    sf_cfg_pop(&L->y, old);
    return rc;
}

static int parse_stockpile(loader *L, const yaml_node_t *m, int p,
                           sf_intervention *iv)
{
    sf_scenario *sc = L->sc;
    double month, v = 0;
    bool a = false, b = false;
    int rc;

    rc = demand_node_field(L, m, "a stockpile", &iv->node);
    if (rc == 0)
        rc = stamp_once(L, &L->nx[iv->node].stockpile, p,
                        sf_cfg_get(&L->y, m, "node"), "a stockpile",
                        sc->nodes[iv->node].id);
    if (rc < 0)
        goto out;
    /* Every "_months" amount is months of the demand at t = 0. */
    month = sc->nodes[iv->node].demand / 12;
    rc = sf_ld_num_field(L, m, "initial", false, R_GE0, &iv->initial, &a);
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "initial_months", false, R_GE0, &v, &b);
    if (rc < 0)
        goto out;
    if (a && b) {
        size_t old = sf_cfg_push_key(&L->y, "initial_months");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                         sf_cfg_get_key_node(&L->y, m, "initial_months"),
                         "'initial' and 'initial_months' exclude each other");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (!a && !b) {
        rc = sf_cfg_fail(&L->y, SF_ERR_MISSING_KEY, m,
                         "a stockpile needs 'initial' (units) or "
                         "'initial_months'");
        goto out;
    }
    if (b)
        iv->initial = v * month;
    iv->capacity = iv->initial;
    rc = sf_ld_num_field(L, m, "capacity", false, R_GE0, &iv->capacity, &a);
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "capacity_months", false, R_GE0, &v, &b);
    if (rc < 0)
        goto out;
    if (a && b) {
        size_t old = sf_cfg_push_key(&L->y, "capacity_months");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                         sf_cfg_get_key_node(&L->y, m, "capacity_months"),
                         "'capacity' and 'capacity_months' exclude each "
                         "other");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (b)
        iv->capacity = v * month;
    if (iv->capacity < iv->initial) {
        const char *key = a ? "capacity" : "capacity_months";
        size_t old = sf_cfg_push_key(&L->y, key);
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, sf_cfg_get(&L->y, m, key),
                         "the capacity (%.12g units) must be >= the initial "
                         "stock (%.12g units)",
                         iv->capacity, iv->initial);
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    iv->max_release = INFINITY;
    rc = sf_ld_num_field(L, m, "max_release_months", false, R_GE0, &v, &a);
    if (rc == 0 && a)
        iv->max_release = v * month;
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "refill_months", false, R_GE0, &v, &a);
    if (rc == 0 && a)
        iv->refill = v * month;
    iv->release_price = sc->nodes[iv->node].release_price;
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "release_price", false, R_GT0,
                             &iv->release_price, NULL);
    iv->holding_cost = 0.02;
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "holding_cost", false, R_GE0,
                             &iv->holding_cost, NULL);
out:
    return rc;
}

static int parse_offtake(loader *L, const yaml_node_t *m, int p,
                         sf_intervention *iv)
{
    sf_scenario *sc = L->sc;
    yaml_node_t *bn = NULL, *sn = NULL;
    const sf_node *buyer, *supplier;
    node_extra *sx;
    size_t old;
    int rc;

    rc = sf_ld_ref_field(L, m, "buyer", &L->node_ids, "node", &iv->node, &bn);
    if (rc == 0)
        rc = sf_ld_ref_field(L, m, "supplier", &L->node_ids, "node", &iv->supplier,
                       &sn);
    if (rc < 0)
        goto out;
    buyer = &sc->nodes[iv->node];
    supplier = &sc->nodes[iv->supplier];
    if (buyer->kind == SF_NODE_MINE) {
        old = sf_cfg_push_key(&L->y, "buyer");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, bn,
                         "node '%s' is a mine and buys nothing",
                         q(L, buyer->id));
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (supplier->kind == SF_NODE_DEMAND) {
        old = sf_cfg_push_key(&L->y, "supplier");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, sn,
                         "node '%s' is a demand node and supplies nothing",
                         q(L, supplier->id));
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (supplier->output != buyer->input) {
        old = sf_cfg_push_key(&L->y, "supplier");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, sn,
                         "supplier '%s' produces '%s' but buyer '%s' takes "
                         "'%s'",
                         q(L, supplier->id),
                         q(L, sc->commodities[supplier->output].id),
                         q(L, buyer->id),
                         q(L, sc->commodities[buyer->input].id));
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    rc = check_built(L, bn, "buyer", iv->node, p);
    if (rc == 0)
        rc = check_built(L, sn, "supplier", iv->supplier, p);
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "share", true, R_UNIT_LOPEN, &iv->share, NULL);
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "premium", false, R_GE0, &iv->premium,
                             NULL);
    if (rc < 0)
        goto out;
    sx = &L->nx[iv->supplier];
    if (sx->offtake != p + 1) {
        sx->offtake = p + 1;
        sx->offtake_sum = 0;
    }
    sx->offtake_sum += iv->share;
    if (sx->offtake_sum > 1 + OFFTAKE_TOLERANCE) {
        old = sf_cfg_push_key(&L->y, "share");
        rc = sf_cfg_fail(&L->y, SF_ERR_OFFTAKE, sf_cfg_get(&L->y, m, "share"),
                         "offtake shares on supplier '%s' sum to %.12g > 1",
                         q(L, supplier->id), sx->offtake_sum);
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

/* A price floor: a producer (mine, refiner or plant) this mix can have,
 * one floor per producer per mix, and the floor in currency per unit. */
static int parse_price_floor(loader *L, const yaml_node_t *m, int p,
                             sf_intervention *iv)
{
    yaml_node_t *at = NULL;
    int rc = sf_ld_ref_field(L, m, "node", &L->node_ids, "node", &iv->node,
                             &at);
    if (rc == 0 && L->sc->nodes[iv->node].kind == SF_NODE_DEMAND) {
        size_t old = sf_cfg_push_key(&L->y, "node");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, at,
                         "node '%s' is a demand node; a price floor applies "
                         "to a producer (mine, refiner or plant)",
                         q(L, L->sc->nodes[iv->node].id));
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0)
        rc = check_built(L, at, "node", iv->node, p);
    if (rc == 0)
        rc = stamp_once(L, &L->nx[iv->node].floor, p, at, "a price floor",
                        L->sc->nodes[iv->node].id);
    if (rc == 0)
        rc = sf_ld_num_field(L, m, "floor", true, R_GT0, &iv->floor, NULL);
    return rc;
}

/* A shock reference that must be hazard-driven. */
int sf_ld_hazard_shock_field(loader *L, const yaml_node_t *map,
                              const char *key, const char *why, int *out)
{
    yaml_node_t *at = NULL;
    int rc = sf_ld_ref_field(L, map, key, &L->shock_ids, "shock", out, &at);

    if (rc == 0 && L->sc->shocks[*out].scheduled) {
        size_t old = sf_cfg_push_key(&L->y, key);
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, at,
                         "shock '%s' is scheduled; %s", 
                         q(L, L->sc->shocks[*out].id), why);
        sf_cfg_pop(&L->y, old);
    }
    return rc;
}

/* Second pass over policies: everything that names nodes or shocks. */
int sf_ld_parse_interventions(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = 0;

    L->shock_stamp = calloc(L->n_scenario_shocks + 1, sizeof *L->shock_stamp);
    if (L->shock_stamp == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t p = 0; list != NULL && p < sc->n_policies && rc == 0; p++) {
        const sf_policy *pol = &sc->policies[p];
        yaml_node_t *ivs;
        size_t old = sf_cfg_push_index(&L->y, p), o;
        int ip = (int)p;

        for (size_t i = L->nc_next; i < L->n_nc && L->nc_policy[i] == ip; i++)
            L->nx[L->nc_node[i]].built = ip + 1;
        ivs = sf_cfg_get(&L->y, seq_item(L, list, p), "interventions");
        o = sf_cfg_push_key(&L->y, "interventions");
        for (size_t k = 0; rc == 0 && k < pol->n_interventions; k++) {
            yaml_node_t *m = seq_item(L, ivs, k);
            sf_intervention *iv = &pol->interventions[k];
            size_t ok = sf_cfg_push_index(&L->y, k);
            bool given;

            switch (iv->kind) {
            case SF_IV_STOCKPILE:
                rc = parse_stockpile(L, m, ip, iv);
                break;
            case SF_IV_OFFTAKE:
                rc = parse_offtake(L, m, ip, iv);
                break;
            case SF_IV_NEW_CAPACITY:
                sf_bug_assert(L->nc_next < L->n_nc &&
                              L->nc_policy[L->nc_next] == ip);
                iv->node = L->nc_node[L->nc_next++];
                iv->completion_probability = 1;
                rc = sf_ld_dist_field(L, m, "lead_time_months", true, BOUND_NONNEG,
                                "lead time", &iv->lead_time, NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "ramp_months", false, R_GE0,
                                   &iv->ramp_months, NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "completion_probability", false,
                                   R_UNIT, &iv->completion_probability, NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "capex", false, R_GE0,
                                         &iv->capex, NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "subsidy_per_unit", false,
                                         R_GE0, &iv->subsidy_per_unit, NULL);
                break;
            case SF_IV_RECYCLING:
                rc = demand_node_field(L, m, "recycling", &iv->node);
                if (rc == 0)
                    rc = stamp_once(L, &L->nx[iv->node].recycling, ip,
                                    sf_cfg_get(&L->y, m, "node"), "recycling",
                                    sc->nodes[iv->node].id);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "share", true, R_UNIT, &iv->share,
                                   NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "ramp_months", false, R_GE0,
                                   &iv->ramp_months, NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "cost_per_unit", false, R_GE0,
                                         &iv->cost_per_unit, NULL);
                break;
            case SF_IV_DEMAND_REDUCTION:
                rc = demand_node_field(L, m, "demand reduction", &iv->node);
                if (rc == 0)
                    rc = stamp_once(L, &L->nx[iv->node].reduction, ip,
                                    sf_cfg_get(&L->y, m, "node"),
                                    "a demand reduction",
                                    sc->nodes[iv->node].id);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "share", true, R_UNIT, &iv->share,
                                   NULL);
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "cost_per_unit", false, R_GE0,
                                         &iv->cost_per_unit, NULL);
                break;
            case SF_IV_TARIFF:
                rc = sf_ld_parse_policy_tariff(L, m, ip, &iv->shock);
                break;
            case SF_IV_PRICE_FLOOR:
                rc = parse_price_floor(L, m, ip, iv);
                break;
            case SF_IV_HAZARD_MULTIPLIER:
                rc = sf_ld_hazard_shock_field(L, m, "shock",
                                        "hazard multipliers apply only to "
                                        "hazard-driven shocks",
                                        &iv->shock);
                if (rc == 0 && L->shock_stamp[iv->shock] == ip + 1) {
                    size_t o2 = sf_cfg_push_key(&L->y, "shock");
                    rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE,
                                     sf_cfg_get(&L->y, m, "shock"),
                                     "this policy already has a hazard "
                                     "multiplier on shock '%s'",
                                     q(L, sc->shocks[iv->shock].id));
                    sf_cfg_pop(&L->y, o2);
                }
                if (rc == 0)
                    L->shock_stamp[iv->shock] = ip + 1;
                if (rc == 0)
                    rc = sf_ld_num_field(L, m, "factor", true, R_GE0, &iv->factor,
                                   &given);
                break;
            }
            sf_cfg_pop(&L->y, ok);
        }
        sf_cfg_pop(&L->y, o);
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}
