/*
 * config_values.c — the loader's values read wherever they occur
 * (sim/config_loader.h): distributions (shock durations, magnitudes,
 * onsets), country sets (exporters, importers, a bloc or "all") and
 * commodity lists.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

/* ---- Distributions ---------------------------------------------------- */

/* Distribution parameters, in the order of sf_dist.p. */
static const char *const dist_params[][4] = {
    {"value", NULL},         {"min", "max", NULL},   {"mean", NULL},
    {"median", "sigma", NULL}, {"shape", "scale", NULL}, {"a", "b", NULL},
    {"scale", "shape", NULL}, {"min", "mode", "max", NULL}};

static const range_kind dist_ranges[][3] = {
    {R_ANY},         {R_ANY, R_ANY}, {R_GT0},        {R_GT0, R_GE0},
    {R_GT0, R_GT0},  {R_GT0, R_GT0}, {R_GT0, R_GT0}, {R_ANY, R_ANY, R_ANY}};

/* A bound the role puts on a fixed value or on the limits of a bounded
 * distribution (uniform, triangular); unbounded ones are clamped later. */
static int dist_bound_check(loader *L, const yaml_node_t *n, double v,
                            dist_bound bound, const char *label)
{
    if (bound == BOUND_UNIT && !(v >= 0 && v <= 1))
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "%s must be in [0, 1], got %s", label,
                           q(L, sf_cfg_scalar(n)));
    if (bound == BOUND_NONNEG && !(v >= 0))
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n, "%s must be >= 0, got %s",
                           label, q(L, sf_cfg_scalar(n)));
    return 0;
}

/* A distribution at n: a plain number (fixed) or {dist: NAME, params}. */
static int parse_dist(loader *L, const yaml_node_t *n, dist_bound bound,
                      const char *label, sf_dist *d)
{
    int rc = 0;
    yaml_node_t *pn[3] = {NULL, NULL, NULL}, *dn;
    const char *keys[5];
    int kind = 0;
    size_t np, old;

    memset(d, 0, sizeof *d);
    if (n->type == YAML_SCALAR_NODE) {
        d->kind = SF_DIST_FIXED;
        rc = sf_cfg_number(&L->y, n, &d->p[0]);
        if (rc == 0)
            rc = sf_ld_check_size_of(L, n, d->p[0]);
        if (rc == 0)
            rc = dist_bound_check(L, n, d->p[0], bound, label);
        goto out;
    }
    if (n->type != YAML_MAPPING_NODE) {
        rc = sf_cfg_fail(&L->y, SF_ERR_TYPE, n,
                         "expected a number or a mapping with 'dist', got %s",
                         sf_cfg_describe(&L->y, n));
        goto out;
    }
    dn = sf_cfg_get(&L->y, n, "dist");
    if (dn == NULL) {
        rc = sf_cfg_fail_missing(&L->y, n, "dist");
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "dist");
    rc = sf_ld_enum_at(L, dn, sf_dist_kind_names, COUNT(sf_dist_kind_names),
                 "distribution", &kind);
    sf_cfg_pop(&L->y, old);
    if (rc < 0)
        goto out;
    d->kind = (sf_dist_kind)kind;
    keys[0] = "dist";
    for (np = 0; dist_params[kind][np] != NULL; np++)
        keys[np + 1] = dist_params[kind][np];
    keys[np + 1] = NULL;
    rc = sf_cfg_check_keys(&L->y, n, keys, NULL, NULL);
    for (size_t i = 0; i < np && rc == 0; i++) {
        pn[i] = sf_cfg_get(&L->y, n, dist_params[kind][i]);
        rc = sf_ld_num_field(L, n, dist_params[kind][i], true, dist_ranges[kind][i],
                       &d->p[i], NULL);
    }
    if (rc < 0)
        goto out;
    /* Relations between parameters, reported at the later one. */
    if (d->kind == SF_DIST_UNIFORM && d->p[1] < d->p[0]) {
        old = sf_cfg_push_key(&L->y, "max");
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, pn[1],
                         "must be >= min (%s), got %s",
                         q(L, sf_cfg_scalar(pn[0])),
                         q(L, sf_cfg_scalar(pn[1])));
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    if (d->kind == SF_DIST_TRIANGULAR) {
        const char *which = NULL, *rel = NULL, *other = NULL;
        yaml_node_t *at = NULL, *ref = NULL;
        if (d->p[1] < d->p[0]) {
            which = "mode", rel = ">=", other = "min", at = pn[1], ref = pn[0];
        } else if (d->p[2] < d->p[1]) {
            which = "max", rel = ">=", other = "mode", at = pn[2], ref = pn[1];
        } else if (!(d->p[0] < d->p[2])) {
            which = "max", rel = ">", other = "min", at = pn[2], ref = pn[0];
        }
        if (which != NULL) {
            old = sf_cfg_push_key(&L->y, which);
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, at,
                             "must be %s %s (%s), got %s", rel, other,
                             q(L, sf_cfg_scalar(ref)),
                             q(L, sf_cfg_scalar(at)));
            sf_cfg_pop(&L->y, old);
            goto out;
        }
    }
    /* The role's bounds apply to every value a bounded distribution can
     * take: its fixed value, or its minimum and (for [0, 1]) maximum. */
    if (bound != BOUND_NONE) {
        int check[2] = {-1, -1};
        if (d->kind == SF_DIST_FIXED) {
            check[0] = 0;
        } else if (d->kind == SF_DIST_UNIFORM) {
            check[0] = 0, check[1] = bound == BOUND_UNIT ? 1 : -1;
        } else if (d->kind == SF_DIST_TRIANGULAR) {
            check[0] = 0, check[1] = bound == BOUND_UNIT ? 2 : -1;
        }
        for (int i = 0; i < 2 && rc == 0; i++) {
            if (check[i] < 0)
                continue;
            old = sf_cfg_push_key(&L->y, dist_params[kind][check[i]]);
            rc = dist_bound_check(L, pn[check[i]], d->p[check[i]], bound,
                                  label);
            sf_cfg_pop(&L->y, old);
        }
    }
out:
    return rc;
}

int sf_ld_dist_field(loader *L, const yaml_node_t *map, const char *key,
                      bool required, dist_bound bound, const char *label,
                      sf_dist *d, bool *given)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (given != NULL)
        *given = n != NULL;
    if (n == NULL) {
        if (required)
            rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = parse_dist(L, n, bound, label, d);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* ---- Country sets and commodity lists --------------------------------- */

typedef struct {
    int *v;
    size_t n, cap;
} int_list;

static int list_add(int_list *l, int x)
{
    int rc = sf_ld_grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);

    if (rc == 0)
        l->v[l->n++] = x;
    return rc;
}

/* One country code or bloc name at n, added to acc. */
static int cset_name(loader *L, const yaml_node_t *n, int_list *acc)
{
    const char *s;
    int rc = sf_cfg_string(&L->y, n, &s), b, c;

    if (rc < 0)
        goto out;
    if (strcmp(s, "all") == 0) {
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, n,
                         "'all' cannot be part of a list");
        goto out;
    }
    b = sf_ld_nm_find(&L->bloc_names, s);
    if (b >= 0) {
        const sf_country_set *m = &L->sc->blocs[b].members;
        L->country_entries += m->n;
        if (L->country_entries > MAX_COUNTRY_ENTRIES) {
            rc = sf_cfg_fail(&L->y, SF_ERR_LIMIT, n,
                             "country sets name more than %d countries in "
                             "all (bloc '%s' adds its %zu members each time "
                             "it is named)",
                             MAX_COUNTRY_ENTRIES, q(L, s), m->n);
            goto out;
        }
        for (size_t i = 0; i < m->n && rc == 0; i++)
            rc = list_add(acc, m->idx[i]);
        if (rc < 0)
            rc = nomem(L);
        goto out;
    }
    c = sf_ld_nm_find(&L->country_ids, s);
    if (c < 0) {
        rc = sf_ld_unknown_name(L, n, "country or bloc", s, &L->country_ids,
                          &L->bloc_names);
        goto out;
    }
    L->country_entries++;
    if (list_add(acc, c) < 0)
        rc = nomem(L);
out:
    return rc;
}

/* A country set at n: "all" (when allowed), a country code or bloc name, or
 * a list of them; blocs expand to their members. */
static int parse_cset(loader *L, const yaml_node_t *n, bool allow_all,
                      bool allow_empty, sf_country_set *out)
{
    int rc = 0;
    int_list acc = {NULL, 0, 0};

    memset(out, 0, sizeof *out);
    if (n->type == YAML_SCALAR_NODE && strcmp(sf_cfg_scalar(n), "all") == 0) {
        if (!allow_all)
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, n,
                             "'all' is not allowed here; name the countries");
        out->all = allow_all;
        goto out;
    }
    if (n->type == YAML_SCALAR_NODE) {
        rc = cset_name(L, n, &acc);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        if (seq_len(n) == 0 && !allow_empty) {
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                             "must name at least one country or bloc");
            goto out;
        }
        rc = sf_ld_check_unique_items(L, n, "name");
        for (size_t i = 0; i < seq_len(n) && rc == 0; i++) {
            size_t old = sf_cfg_push_index(&L->y, i);
            rc = cset_name(L, seq_item(L, n, i), &acc);
            sf_cfg_pop(&L->y, old);
        }
    } else {
        rc = sf_cfg_fail(&L->y, SF_ERR_TYPE, n,
                         "expected a country code, a bloc name or a list of "
                         "them, got %s",
                         sf_cfg_describe(&L->y, n));
    }
    if (rc < 0)
        goto out;
    out->n = sf_ld_sort_unique(acc.v, acc.n);
    out->idx = acc.v;
    acc.v = NULL;
out:
    free(acc.v);
    return rc;
}

int sf_ld_cset_field(loader *L, const yaml_node_t *map, const char *key,
                      bool required, bool allow_all, bool allow_empty,
                      sf_country_set *out)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        if (required)
            rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = parse_cset(L, n, allow_all, allow_empty, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* commodities: a list of ids, one id, or all. */
int sf_ld_commodity_list_field(loader *L, const yaml_node_t *map,
                                sf_shock *s)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, "commodities");
    int_list acc = {NULL, 0, 0};
    size_t old = 0;
    int c;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, "commodities");
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "commodities");
    if (n->type == YAML_SCALAR_NODE && strcmp(sf_cfg_scalar(n), "all") == 0) {
        s->all_commodities = true;
        goto pop;
    }
    if (n->type == YAML_SCALAR_NODE) {
        rc = sf_ld_ref_at(L, n, &L->commodity_ids, "commodity", &c);
        if (rc == 0 && list_add(&acc, c) < 0)
            rc = nomem(L);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        if (seq_len(n) == 0) {
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                             "must name at least one commodity (or be all)");
            goto pop;
        }
        rc = sf_ld_check_unique_items(L, n, "commodity");
        for (size_t i = 0; i < seq_len(n) && rc == 0; i++) {
            size_t o = sf_cfg_push_index(&L->y, i);
            rc = sf_ld_ref_at(L, seq_item(L, n, i), &L->commodity_ids, "commodity",
                        &c);
            if (rc == 0 && list_add(&acc, c) < 0)
                rc = nomem(L);
            sf_cfg_pop(&L->y, o);
        }
    } else {
        rc = sf_cfg_fail(&L->y, SF_ERR_TYPE, n,
                         "expected a list of commodity ids or all, got %s",
                         sf_cfg_describe(&L->y, n));
    }
    if (rc == 0) {
        s->n_commodities = sf_ld_sort_unique(acc.v, acc.n);
        s->commodities = acc.v;
        acc.v = NULL;
    }
pop:
    sf_cfg_pop(&L->y, old);
out:
    free(acc.v);
    return rc;
}
