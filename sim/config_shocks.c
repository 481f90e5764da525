/*
 * config_shocks.c — the loader's shocks, regimes and triggers
 * (sim/config_loader.h): each shock's kind, scope and timing; policy
 * tariffs, which join the shocks; the regime chain and its hazard
 * multipliers; triggers between shocks.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* ---- Shocks ----------------------------------------------------------- */

static const char *const shock_keys[] = {
    "id",      "kind",     "exporter",  "commodities",     "targets",
    "except",  "severity", "importer",  "rate",            "nodes",
    "country", "node_kind", "schedule", "hazard_per_year", "duration_months",
    NULL};

static const char *const shock_kind_keys[][11] = {
    {"id", "kind", "exporter", "commodities", "targets", "except", "severity",
     "schedule", "hazard_per_year", "duration_months", NULL},
    {"id", "kind", "importer", "exporter", "commodities", "rate", "schedule",
     "hazard_per_year", "duration_months", NULL},
    {"id", "kind", "nodes", "country", "node_kind", "severity", "schedule",
     "hazard_per_year", "duration_months", NULL},
    {"id", "kind", "nodes", "country", "node_kind", "severity", "schedule",
     "hazard_per_year", "duration_months", NULL}};

static const char *const shock_kind_what[] = {
    "an export restriction", "a tariff", "an outage", "a surge"};

static const char *const schedule_keys[] = {"start_month", "duration_months",
                                            NULL};

static int add_shock_slot(loader *L, size_t *index)
{
    int rc = sf_ld_grow((void **)&L->sc->shocks, &L->shocks_cap,
                  L->sc->n_shocks + 1, sizeof *L->sc->shocks);

    if (rc < 0)
        return nomem(L);
    *index = L->sc->n_shocks++;
    return 0;
}

/* outage: nodes, or country with an optional node_kind. */
static int parse_outage_scope(loader *L, const yaml_node_t *map, sf_shock *s)
{
    sf_scenario *sc = L->sc;
    yaml_node_t *nodes = sf_cfg_get(&L->y, map, "nodes");
    yaml_node_t *country = sf_cfg_get(&L->y, map, "country");
    yaml_node_t *kind_key = sf_cfg_get_key_node(&L->y, map, "node_kind");
    int rc = 0, kind = 0;
    size_t old;

    s->node_kind = -1;
    if (nodes != NULL && country != NULL) {
        old = sf_cfg_push_key(&L->y, "country");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                         sf_cfg_get_key_node(&L->y, map, "country"),
                         "'nodes' and 'country' exclude each other: an outage "
                         "hits either listed nodes or the nodes of countries");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (nodes == NULL && country == NULL) {
        rc = sf_cfg_fail(&L->y, SF_ERR_MISSING_KEY, map,
                         "an outage needs either 'nodes' or 'country'");
        goto out;
    }
    if (country != NULL) {
        rc = sf_ld_cset_field(L, map, "country", true, true, false, &s->country);
        if (rc == 0 && kind_key != NULL) {
            rc = sf_ld_enum_field(L, map, "node_kind", sf_node_kind_names,
                            COUNT(sf_node_kind_names), "node kind", &kind);
            if (rc == 0 && kind == SF_NODE_DEMAND) {
                old = sf_cfg_push_key(&L->y, "node_kind");
                rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                                 sf_cfg_get(&L->y, map, "node_kind"),
                                 "outages hit producers: mine, refiner or "
                                 "plant, not demand");
                sf_cfg_pop(&L->y, old);
            }
            s->node_kind = kind;
        }
        goto out;
    }
    if (kind_key != NULL) {
        old = sf_cfg_push_key(&L->y, "node_kind");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, kind_key,
                         "'node_kind' applies only with 'country', not with "
                         "'nodes'");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "nodes");
    rc = sf_cfg_expect(&L->y, nodes, YAML_SEQUENCE_NODE);
    if (rc == 0 && seq_len(nodes) == 0)
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, nodes,
                         "must list at least one node");
    if (rc == 0)
        rc = sf_ld_check_unique_items(L, nodes, "node");
    if (rc == 0) {
        s->nodes = malloc(seq_len(nodes) * sizeof *s->nodes);
        if (s->nodes == NULL)
            rc = nomem(L);
    }
    for (size_t i = 0; rc == 0 && i < seq_len(nodes); i++) {
        size_t o = sf_cfg_push_index(&L->y, i);
        yaml_node_t *item = seq_item(L, nodes, i);
        int j;
        rc = sf_ld_ref_at(L, item, &L->node_ids, "node", &j);
        if (rc == 0 && sc->nodes[j].kind == SF_NODE_DEMAND)
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, item,
                             "node '%s' is a demand node; outages hit "
                             "producers",
                             q(L, sc->nodes[j].id));
        if (rc == 0)
            s->nodes[s->n_nodes++] = j;
        sf_cfg_pop(&L->y, o);
    }
    if (rc == 0)
        s->n_nodes = sf_ld_sort_unique(s->nodes, s->n_nodes);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* schedule, or hazard_per_year with duration_months. */
static int parse_timing(loader *L, const yaml_node_t *map, sf_shock *s,
                        bool policy)
{
    yaml_node_t *sched = sf_cfg_get(&L->y, map, "schedule");
    yaml_node_t *hazard = sf_cfg_get(&L->y, map, "hazard_per_year");
    yaml_node_t *dur_key = sf_cfg_get_key_node(&L->y, map, "duration_months");
    long long v = 0;
    int rc = 0;
    size_t old;

    if (sched != NULL && hazard != NULL) {
        old = sf_cfg_push_key(&L->y, "hazard_per_year");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT,
                         sf_cfg_get_key_node(&L->y, map, "hazard_per_year"),
                         "'schedule' and 'hazard_per_year' exclude each "
                         "other: a shock is either scheduled or random");
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (sched == NULL && hazard == NULL) {
        if (policy)
            rc = sf_cfg_fail_missing(&L->y, map, "schedule");
        else
            rc = sf_cfg_fail(&L->y, SF_ERR_MISSING_KEY, map,
                             "a shock needs either 'schedule' or "
                             "'hazard_per_year'");
        goto out;
    }
    if (sched != NULL) {
        s->scheduled = true;
        if (dur_key != NULL) {
            old = sf_cfg_push_key(&L->y, "duration_months");
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, dur_key,
                             "'duration_months' does not apply to a "
                             "scheduled shock: its schedule gives the "
                             "duration");
            sf_cfg_pop(&L->y, old);
            goto out;
        }
        old = sf_cfg_push_key(&L->y, "schedule");
        rc = sf_cfg_expect(&L->y, sched, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, sched, schedule_keys, NULL, NULL);
        if (rc == 0)
            rc = sf_ld_int_field(L, sched, "start_month", 0, INT_MAX, SF_ERR_RANGE,
                           &v);
        s->start_month = (int)v;
        if (rc == 0)
            rc = sf_ld_int_field(L, sched, "duration_months", 1, INT_MAX,
                           SF_ERR_RANGE, &v);
        s->duration_months = (int)v;
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    rc = sf_ld_num_field(L, map, "hazard_per_year", true, R_GE0, &s->hazard_per_year,
                   NULL);
    if (rc == 0)
        rc = sf_ld_dist_field(L, map, "duration_months", true, BOUND_NONNEG,
                        "duration", &s->duration, NULL);
out:
    return rc;
}

/* Everything of a shock but its id and kind. */
static int parse_shock_body(loader *L, const yaml_node_t *map, sf_shock *s,
                            bool policy)
{
    int rc = 0;
    bool given = false;

    s->node_kind = -1;
    s->severity.kind = SF_DIST_FIXED;
    s->severity.p[0] = 1;
    switch (s->kind) {
    case SF_SHOCK_EXPORT_RESTRICTION:
        rc = sf_ld_cset_field(L, map, "exporter", true, false, false, &s->exporter);
        if (rc == 0)
            rc = sf_ld_commodity_list_field(L, map, s);
        if (rc == 0)
            rc = sf_ld_cset_field(L, map, "targets", true, true, false, &s->targets);
        if (rc == 0)
            rc = sf_ld_cset_field(L, map, "except", false, false, true, &s->except);
        if (rc == 0)
            rc = sf_ld_dist_field(L, map, "severity", false, BOUND_UNIT, "severity",
                            &s->severity, &given);
        break;
    case SF_SHOCK_TARIFF:
        rc = sf_ld_cset_field(L, map, "importer", true, true, false, &s->importer);
        if (rc == 0)
            rc = sf_ld_cset_field(L, map, "exporter", true, true, false,
                            &s->exporter);
        if (rc == 0)
            rc = sf_ld_commodity_list_field(L, map, s);
        if (rc == 0)
            rc = sf_ld_dist_field(L, map, "rate", true, BOUND_NONNEG, "rate",
                            &s->severity, NULL);
        break;
    case SF_SHOCK_OUTAGE:
        rc = parse_outage_scope(L, map, s);
        if (rc == 0)
            rc = sf_ld_dist_field(L, map, "severity", false, BOUND_UNIT, "severity",
                            &s->severity, &given);
        break;
    case SF_SHOCK_SURGE:
        /* severity: the capacity added, a fraction of nameplate. */
        rc = parse_outage_scope(L, map, s);
        if (rc == 0)
            rc = sf_ld_dist_field(L, map, "severity", false, BOUND_NONNEG,
                                  "severity", &s->severity, &given);
        break;
    }
    if (rc == 0)
        rc = parse_timing(L, map, s, policy);
    return rc;
}

int sf_ld_parse_shocks(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    for (size_t i = 0; rc == 0 && i < seq_len(list); i++) {
        yaml_node_t *m = seq_item(L, list, i), *idn = NULL;
        size_t old = sf_cfg_push_index(&L->y, i), k = 0;
        const char *s;
        int kind = 0;
        sf_shock *sh;

        rc = add_shock_slot(L, &k);
        if (rc < 0)
            goto next;
        sh = &sc->shocks[k];
        sh->defined_by_policy = -1;
        sh->node_kind = -1;
        sh->loc = sf_cfg_loc(m);
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_ld_check_keys_without_kind(L, m, shock_keys);
        if (rc == 0)
            rc = sf_ld_enum_field(L, m, "kind", sf_shock_kind_names,
                            COUNT(sf_shock_kind_names), "shock kind", &kind);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, shock_keys, shock_kind_keys[kind],
                                   shock_kind_what[kind]);
        sh->kind = (sf_shock_kind)kind;
        if (rc == 0)
            rc = sf_ld_id_field(L, m, "id", &s, &idn);
        if (rc == 0)
            rc = sf_ld_claim_id(L, &L->shock_ids, idn, "id", "shock id",
                                "shocks", s, (int)k, &sh->id);
        if (rc == 0)
            rc = parse_shock_body(L, m, sh, false);
    next:
        sf_cfg_pop(&L->y, old);
    }
    L->n_scenario_shocks = sc->n_shocks;
    return rc;
}

static bool cset_equal(const sf_country_set *a, const sf_country_set *b)
{
    return a->all == b->all && a->n == b->n &&
           (a->n == 0 || memcmp(a->idx, b->idx, a->n * sizeof *a->idx) == 0);
}

static bool dist_equal(const sf_dist *a, const sf_dist *b)
{
    return a->kind == b->kind && a->p[0] == b->p[0] && a->p[1] == b->p[1] &&
           a->p[2] == b->p[2];
}

/* Name of the first field in which two policy tariffs differ, or NULL. */
static const char *tariff_difference(const sf_shock *a, const sf_shock *b)
{
    if (!cset_equal(&a->importer, &b->importer))
        return "importer";
    if (!cset_equal(&a->exporter, &b->exporter))
        return "exporter";
    if (a->all_commodities != b->all_commodities ||
        a->n_commodities != b->n_commodities ||
        (a->n_commodities > 0 &&
         memcmp(a->commodities, b->commodities,
                a->n_commodities * sizeof *a->commodities) != 0))
        return "commodities";
    if (!dist_equal(&a->severity, &b->severity))
        return "rate";
    if (a->start_month != b->start_month ||
        a->duration_months != b->duration_months)
        return "schedule";
    return NULL;
}

/* A policy tariff: appended to the shocks, or the same tariff another
 * policy already defined. */
int sf_ld_parse_policy_tariff(loader *L, const yaml_node_t *map, int p,
                               int *index)
{
    sf_scenario *sc = L->sc;
    yaml_node_t *idn = NULL;
    const char *s, *diff;
    size_t k = 0;
    int rc, prev;
    sf_shock *sh;

    rc = sf_ld_id_field(L, map, "id", &s, &idn);
    if (rc == 0)
        rc = add_shock_slot(L, &k);
    if (rc < 0)
        goto out;
    sh = &sc->shocks[k];
    sh->kind = SF_SHOCK_TARIFF;
    sh->defined_by_policy = p;
    sh->loc = sf_cfg_loc(map);
    rc = dup_str(L, s, &sh->id);
    if (rc == 0)
        rc = parse_shock_body(L, map, sh, true);
    if (rc < 0)
        goto out;
    *index = (int)k;
    prev = sf_ld_nm_find(&L->shock_ids, s);
    if (prev < 0) {
        if (sf_ld_nm_put(&L->shock_ids, sh->id, (int)k) < 0)
            rc = nomem(L);
        goto out;
    }
    if (sc->shocks[prev].defined_by_policy < 0) {
        rc = sf_ld_id_taken(L, idn, "id", "shock id", "shocks", s, prev);
        goto out;
    }
    if (sc->shocks[prev].defined_by_policy == p) {
        size_t o = sf_cfg_push_key(&L->y, "id");
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                         "this policy already defines tariff '%s'", q(L, s));
        sf_cfg_pop(&L->y, o);
        goto out;
    }
    diff = tariff_difference(sh, &sc->shocks[prev]);
    if (diff != NULL) {
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, map,
                         "tariff '%s' differs in '%s' from its definition in "
                         "policy '%s'; a tariff used by several policies must "
                         "be identical in each",
                         q(L, s), diff,
                         q(L, sc->policies[sc->shocks[prev].defined_by_policy]
                                  .name));
        goto out;
    }
    sf_shock_free(sh);
    sc->n_shocks--;
    *index = prev;
out:
    return rc;
}

/* ---- Regimes and triggers --------------------------------------------- */

static const char *const regime_keys[] = {"states", "start", "transitions",
                                          "multipliers", NULL};

static const char *const trigger_keys[] = {"when", "raises", "factor", NULL};

/* states: their names (at most MAX_REGIME_STATES), and the arrays they
 * size: the transition matrix and the hazard multipliers (default 1). */
static int regime_states(loader *L, const yaml_node_t *map, size_t *n_states)
{
    sf_scenario *sc = L->sc;
    sf_regimes *r = &sc->regimes;
    yaml_node_t *states;
    size_t ns = 0, old;
    int rc;

    states = sf_cfg_get(&L->y, map, "states");
    if (states == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, "states");
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "states");
    rc = sf_cfg_expect(&L->y, states, YAML_SEQUENCE_NODE);
    if (rc == 0 && seq_len(states) == 0)
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, states,
                         "must list at least one state");
    if (rc == 0)
        rc = sf_ld_check_unique_items(L, states, "state");
    if (rc == 0 && seq_len(states) > MAX_REGIME_STATES) {
        size_t o = sf_cfg_push_index(&L->y, MAX_REGIME_STATES);
        rc = sf_cfg_fail(&L->y, SF_ERR_LIMIT,
                         seq_item(L, states, MAX_REGIME_STATES),
                         "more than %d regime states", MAX_REGIME_STATES);
        sf_cfg_pop(&L->y, o);
    }
    if (rc == 0) {
        ns = seq_len(states);
        r->states = calloc(ns, sizeof *r->states);
        r->transition = calloc(ns * ns, sizeof *r->transition);
        r->multiplier = calloc(ns * (sc->n_shocks > 0 ? sc->n_shocks : 1),
                               sizeof *r->multiplier);
        if (r->states == NULL || r->transition == NULL ||
            r->multiplier == NULL)
            rc = nomem(L);
    }
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        yaml_node_t *item = seq_item(L, states, i);
        size_t o = sf_cfg_push_index(&L->y, i);
        r->n_states = i + 1;
        rc = sf_ld_check_id(L, item, sf_cfg_scalar(item));
        if (rc == 0)
            rc = dup_str(L, sf_cfg_scalar(item), &r->states[i]);
        if (rc == 0 && sf_ld_nm_put(&L->state_names, r->states[i], (int)i) < 0)
            rc = nomem(L);
        sf_cfg_pop(&L->y, o);
    }
    sf_cfg_pop(&L->y, old);
    for (size_t i = 0; rc == 0 && i < ns * sc->n_shocks; i++)
        r->multiplier[i] = 1;
    *n_states = ns;
out:
    return rc;
}

/* transitions: for every state a row of probabilities summing to 1. */
static int regime_transitions(loader *L, const yaml_node_t *map, size_t ns)
{
    sf_regimes *r = &L->sc->regimes;
    yaml_node_t *tr;
    bool *has_row = NULL;
    size_t old;
    int rc;

    tr = sf_cfg_get(&L->y, map, "transitions");
    if (tr == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, "transitions");
        goto out;
    }
    has_row = calloc(ns, sizeof *has_row);
    if (has_row == NULL) {
        rc = nomem(L);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "transitions");
    rc = sf_cfg_expect(&L->y, tr, YAML_MAPPING_NODE);
    for (size_t i = 0; rc == 0 && i < map_len(tr); i++) {
        yaml_node_t *k = map_key(L, tr, i), *row = map_value(L, tr, i);
        size_t o = sf_cfg_push_key(&L->y, sf_cfg_scalar(k));
        double sum = 0;
        int s = -1;

        rc = sf_ld_ref_at(L, k, &L->state_names, "state", &s);
        if (rc == 0)
            rc = sf_cfg_expect(&L->y, row, YAML_SEQUENCE_NODE);
        if (rc == 0 && seq_len(row) != ns)
            rc = sf_cfg_fail(&L->y, SF_ERR_TYPE, row,
                             "expected %zu numbers (one per state), got %zu",
                             ns, seq_len(row));
        for (size_t j = 0; rc == 0 && j < ns; j++) {
            yaml_node_t *x = seq_item(L, row, j);
            size_t oj = sf_cfg_push_index(&L->y, j);
            double v = 0;
            rc = sf_cfg_number(&L->y, x, &v);
            if (rc == 0)
                rc = sf_ld_check_range(L, x, v, R_UNIT);
            r->transition[(size_t)s * ns + j] = v;
            sum += v;
            sf_cfg_pop(&L->y, oj);
        }
        if (rc == 0 && fabs(sum - 1) > ROW_SUM_TOLERANCE)
            rc = sf_cfg_fail(&L->y, SF_ERR_TRANSITION, row,
                             "row sums to %.12g, not 1", sum);
        if (rc == 0)
            has_row[s] = true;
        sf_cfg_pop(&L->y, o);
    }
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        if (!has_row[i])
            rc = sf_cfg_fail_missing(&L->y, tr, r->states[i]);
    }
    sf_cfg_pop(&L->y, old);
out:
    free(has_row);
    return rc;
}

/* multipliers (optional): per state, factors on the hazards of
 * hazard-driven shocks. */
static int regime_multipliers(loader *L, const yaml_node_t *map)
{
    sf_scenario *sc = L->sc;
    sf_regimes *r = &sc->regimes;
    yaml_node_t *mult;
    size_t old;
    int rc = 0;

    mult = sf_cfg_get(&L->y, map, "multipliers");
    if (mult == NULL)
        goto out;
    old = sf_cfg_push_key(&L->y, "multipliers");
    rc = sf_cfg_expect(&L->y, mult, YAML_MAPPING_NODE);
    for (size_t i = 0; rc == 0 && i < map_len(mult); i++) {
        yaml_node_t *k = map_key(L, mult, i), *m = map_value(L, mult, i);
        size_t o = sf_cfg_push_key(&L->y, sf_cfg_scalar(k));
        int s = -1;

        rc = sf_ld_ref_at(L, k, &L->state_names, "state", &s);
        if (rc == 0)
            rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        for (size_t j = 0; rc == 0 && j < map_len(m); j++) {
            yaml_node_t *sk = map_key(L, m, j);
            const char *name = sf_cfg_scalar(sk);
            size_t oj = sf_cfg_push_key(&L->y, name);
            int shock = -1;
            double v = 1;
            rc = sf_ld_ref_at(L, sk, &L->shock_ids, "shock", &shock);
            if (rc == 0 && sc->shocks[shock].scheduled)
                rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, sk,
                                 "shock '%s' is scheduled; regime multipliers "
                                 "apply only to hazard-driven shocks",
                                 q(L, name));
            if (rc == 0)
                rc = sf_cfg_number(&L->y, map_value(L, m, j), &v);
            if (rc == 0)
                rc = sf_ld_check_range(L, map_value(L, m, j), v, R_GE0);
            if (rc == 0)
                r->multiplier[(size_t)s * sc->n_shocks + (size_t)shock] = v;
            sf_cfg_pop(&L->y, oj);
        }
        sf_cfg_pop(&L->y, o);
    }
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

int sf_ld_parse_regimes(loader *L, const yaml_node_t *map)
{
    sf_regimes *r = &L->sc->regimes;
    size_t ns = 0;
    int rc;

    rc = sf_cfg_expect(&L->y, map, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = sf_cfg_check_keys(&L->y, map, regime_keys, NULL, NULL);
    if (rc < 0)
        goto out;
    L->sc->has_regimes = true;
    r->loc = sf_cfg_loc(map);
    r->start = -1;
    rc = regime_states(L, map, &ns);
    if (rc == 0)
        rc = sf_ld_ref_field(L, map, "start", &L->state_names, "state",
                             &r->start, NULL);
    if (rc == 0)
        rc = regime_transitions(L, map, ns);
    if (rc == 0)
        rc = regime_multipliers(L, map);
out:
    return rc;
}

int sf_ld_parse_triggers(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    if (rc == 0 && seq_len(list) > 0) {
        sc->triggers = calloc(seq_len(list), sizeof *sc->triggers);
        if (sc->triggers == NULL)
            rc = nomem(L);
    }
    for (size_t i = 0; rc == 0 && i < seq_len(list); i++) {
        yaml_node_t *m = seq_item(L, list, i);
        sf_trigger *t = &sc->triggers[i];
        size_t old = sf_cfg_push_index(&L->y, i);

        sc->n_triggers = i + 1;
        t->loc = sf_cfg_loc(m);
        t->when = t->raises = -1;
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, trigger_keys, NULL, NULL);
        if (rc == 0)
            rc = sf_ld_ref_field(L, m, "when", &L->shock_ids, "shock", &t->when,
                           NULL);
        if (rc == 0)
            rc = sf_ld_hazard_shock_field(L, m, "raises",
                                    "a trigger can only raise the hazard of "
                                    "a hazard-driven shock",
                                    &t->raises);
        if (rc == 0)
            rc = sf_ld_num_field(L, m, "factor", true, R_GE0, &t->factor, NULL);
        sf_cfg_pop(&L->y, old);
    }
    return rc;
}
