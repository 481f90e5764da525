/*
 * config.c — the scenario loader: reads a scenario file, checks it against
 * the schema (docs/scenarios.md, MODEL.md §3, §4, §7) and fills an
 * sf_scenario with every name resolved, every default applied and every
 * "_months" amount converted to units.  The YAML document layer (message
 * format, key paths, typed scalars) is in sim/yamlnode.c.
 *
 * Loading runs in passes because names may be used before they are
 * defined: commodities, blocs and nodes first; then the nodes that
 * new_capacity interventions define (so that the set of known countries
 * is complete); then countries, links and shocks; then the interventions
 * (policy tariffs join the shocks); then regimes and triggers, which may
 * name any shock; last the checks on the scenario as a whole.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config_internal.h"
#include "shortfall/scenario.h"

#define MAX_FILE_BYTES ((size_t)64 << 20)
#define MAX_HORIZON 12000
#define MAX_TRIALS 1000000000000LL
/* Size limits past which a scenario is refused (SF_ERR_LIMIT), so that
 * what a file asks for is bounded in time and memory; docs/reliability.md
 * lists them.  Policy mixes: sim/run.c keeps the mixes of a run (and of
 * each batch variant) in arrays of MAX_POLICY_ARGS + 1 = 257. */
#define MAX_POLICIES 256
/* Supplier-buyer links, given and implied (every producer of a buyer's
 * input serves it unless the buyer has given links). */
#define MAX_LINKS 1000000
/* Links and nodes the shocks reach, summed over shocks: the links leaving
 * the exporter countries of each restriction or tariff, the nodes of each
 * outage's countries or list. */
#define MAX_REACH 10000000
/* Country codes in all country sets together, a bloc counting all its
 * members each time it is named. */
#define MAX_COUNTRY_ENTRIES 10000000
/* Monthly result cells: horizon_months x units (demand nodes, regions and
 * the world) x policy mixes.  A run keeps a 1001-bin histogram of 8 KiB per
 * cell, once for the results and once per thread. */
#define MAX_RESULT_CELLS 262144
/* Regime states: the transition matrix is states x states and the hazard
 * multipliers states x shocks. */
#define MAX_REGIME_STATES 100
/* Every number of a scenario is at most this in size, and a number that
 * must be positive (a yield, a weight, a scale) at least its inverse: with
 * amounts, prices, factors and rates this bounded, whatever the simulator
 * multiplies, divides, compounds or sums over 2^32 trials and 12000 months
 * stays finite (1e308 demands gave infinite and NaN shortfalls). */
#define MAX_NUMBER 1e15
/* Market version 2 (docs/model.md): a substitution elasticity sigma and a
 * price cap M this bounded keep M^sigma (the widest spread of weights a
 * buyer sees) within 1e150; elasticities of demand and supply likewise. */
#define MAX_SUBSTITUTION 50.0
#define MAX_ELASTICITY 10.0
#define MAX_PRICE_CAP 1000.0
/* How far a row of transition probabilities may sum away from 1. */
#define ROW_SUM_TOLERANCE 1e-9
/* Rounding slack on the sum of offtake shares on one supplier. */
#define OFFTAKE_TOLERANCE 1e-12
/* Known names listed in a message when nothing is close enough. */
#define MAX_LISTED_NAMES 12

/* ---- Names ------------------------------------------------------------ */

static const char *const node_kind_names[] = {"mine", "refiner", "plant",
                                              "demand"};
static const char *const shock_kind_names[] = {"export_restriction",
                                               "tariff", "outage"};
static const char *const iv_kind_names[] = {
    "stockpile", "offtake",  "new_capacity",     "recycling",
    "demand_reduction", "tariff", "hazard_multiplier"};
static const char *const dist_kind_names[] = {
    "fixed", "uniform", "exponential", "lognormal",
    "gamma", "beta",    "weibull",     "triangular"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *sf_node_kind_name(sf_node_kind kind)
{
    return (unsigned)kind < COUNT(node_kind_names) ? node_kind_names[kind]
                                                   : "?";
}

const char *sf_shock_kind_name(sf_shock_kind kind)
{
    return (unsigned)kind < COUNT(shock_kind_names) ? shock_kind_names[kind]
                                                    : "?";
}

const char *sf_iv_kind_name(sf_iv_kind kind)
{
    return (unsigned)kind < COUNT(iv_kind_names) ? iv_kind_names[kind] : "?";
}

const char *sf_dist_kind_name(sf_dist_kind kind)
{
    return (unsigned)kind < COUNT(dist_kind_names) ? dist_kind_names[kind]
                                                   : "?";
}

/* ---- Schema: keys ----------------------------------------------------- */

static const char *const top_keys[] = {
    "name",   "description", "horizon_months", "trials", "seed",
    "blocs",  "commodities", "nodes",          "links",  "shocks",
    "regimes", "triggers",   "policies",       "currency", NULL};

static const char *const commodity_keys[] = {
    "id",    "unit",  "price", "substitution_elasticity", "tariff_elasticity",
    "demand_elasticity", "supply_elasticity", "price_cap", NULL};

static const char *const node_keys[] = {
    "id",       "kind",   "country",          "input",
    "output",   "capacity", "output_stock_cap", "yield",
    "input_buffer_months", "initial_input_stock", "demand",
    "growth",   "volatility", "elasticity", "inventory_months",
    "inventory_refill_months", "release_price", NULL};
static const char *const node_kind_keys[][12] = {
    {"id", "kind", "country", "output", "capacity", "output_stock_cap", NULL},
    {"id", "kind", "country", "input", "output", "capacity",
     "output_stock_cap", "yield", "input_buffer_months",
     "initial_input_stock", "elasticity", NULL},
    {"id", "kind", "country", "input", "output", "capacity",
     "output_stock_cap", "yield", "input_buffer_months",
     "initial_input_stock", "elasticity", NULL},
    {"id", "kind", "country", "input", "demand", "growth", "volatility",
     "elasticity", "inventory_months", "inventory_refill_months",
     "release_price", NULL}};
static const char *const node_kind_what[] = {"a mine", "a refiner", "a plant",
                                             "a demand node"};

static const char *const link_keys[] = {"from", "to", "weight", NULL};

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
     "hazard_per_year", "duration_months", NULL}};
static const char *const shock_kind_what[] = {"an export restriction",
                                              "a tariff", "an outage"};

static const char *const schedule_keys[] = {"start_month", "duration_months",
                                            NULL};
static const char *const regime_keys[] = {"states", "start", "transitions",
                                          "multipliers", NULL};
static const char *const trigger_keys[] = {"when", "raises", "factor", NULL};
static const char *const policy_keys[] = {"name", "interventions", NULL};

static const char *const iv_keys[] = {
    "kind",     "node",     "initial",          "initial_months",
    "capacity", "capacity_months", "max_release_months", "refill_months",
    "release_price", "buyer",    "supplier", "share",            "lead_time_months",
    "ramp_months", "completion_probability", "id", "importer",
    "exporter", "commodities", "rate",          "schedule",
    "hazard_per_year", "duration_months", "shock", "factor", NULL};
static const char *const iv_kind_keys[][10] = {
    {"kind", "node", "initial", "initial_months", "capacity",
     "capacity_months", "max_release_months", "refill_months",
     "release_price", NULL},
    {"kind", "buyer", "supplier", "share", NULL},
    {"kind", "node", "lead_time_months", "ramp_months",
     "completion_probability", NULL},
    {"kind", "node", "share", "ramp_months", NULL},
    {"kind", "node", "share", NULL},
    {"kind", "id", "importer", "exporter", "commodities", "rate", "schedule",
     NULL},
    {"kind", "shock", "factor", NULL}};
static const char *const iv_kind_what[] = {
    "a stockpile intervention",     "an offtake intervention",
    "a new_capacity intervention",  "a recycling intervention",
    "a demand_reduction intervention", "a tariff intervention",
    "a hazard_multiplier intervention"};

/* Distribution parameters, in the order of sf_dist.p. */
typedef enum { R_ANY, R_GE0, R_GT0, R_UNIT, R_UNIT_LOPEN, R_GT_M1 } range_kind;

static const char *const dist_params[][4] = {
    {"value", NULL},         {"min", "max", NULL},   {"mean", NULL},
    {"median", "sigma", NULL}, {"shape", "scale", NULL}, {"a", "b", NULL},
    {"scale", "shape", NULL}, {"min", "mode", "max", NULL}};
static const range_kind dist_ranges[][3] = {
    {R_ANY},         {R_ANY, R_ANY}, {R_GT0},        {R_GT0, R_GE0},
    {R_GT0, R_GT0},  {R_GT0, R_GT0}, {R_GT0, R_GT0}, {R_ANY, R_ANY, R_ANY}};

/* ---- A name → index table --------------------------------------------- */

/* Open addressing over borrowed key strings (owned by the scenario or the
 * YAML document), with the keys also kept in insertion order so that
 * suggestions do not depend on hashing. */
typedef struct {
    size_t cap; /* slots, a power of two, or 0 */
    size_t n;
    const char **keys;
    int *vals;
    const char **order;
    size_t order_cap;
} name_map;

static size_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

static int nm_find(const name_map *m, const char *key)
{
    if (m->cap == 0)
        return -1;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return -1;
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    }
}

static void nm_place(const char **keys, int *vals, size_t cap,
                     const char *key, int val)
{
    size_t i = hash_str(key) & (cap - 1);

    while (keys[i] != NULL)
        i = (i + 1) & (cap - 1);
    keys[i] = key;
    vals[i] = val;
}

/* Adds key (not yet present); returns 0 or SF_ERR_NOMEM. */
static int nm_put(name_map *m, const char *key, int val)
{
    int rc = 0;

    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap > 0 ? 2 * m->cap : 16;
        const char **keys = calloc(cap, sizeof *keys);
        int *vals = calloc(cap, sizeof *vals);
        if (keys == NULL || vals == NULL) {
            free(keys);
            free(vals);
            rc = SF_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i] != NULL)
                nm_place(keys, vals, cap, m->keys[i], m->vals[i]);
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->cap = cap;
    }
    if (m->n == m->order_cap) {
        size_t cap = m->order_cap > 0 ? 2 * m->order_cap : 16;
        const char **order = realloc(m->order, cap * sizeof *order);
        if (order == NULL) {
            rc = SF_ERR_NOMEM;
            goto out;
        }
        m->order = order;
        m->order_cap = cap;
    }
    nm_place(m->keys, m->vals, m->cap, key, val);
    m->order[m->n++] = key;
out:
    return rc;
}

static void nm_free(name_map *m)
{
    free(m->keys);
    free(m->vals);
    free(m->order);
    memset(m, 0, sizeof *m);
}

/* ---- The loader ------------------------------------------------------- */

/* What the loader knows about a node besides the sf_node. */
typedef struct {
    const char *country; /* the code as written (in the YAML document) */
    char *path;          /* key path of its mapping, for later messages */
    int built_pass_a;    /* policy + 1 that last built it (first pass) */
    int built;           /* policy + 1 being read that builds it */
    int stockpile;       /* policy + 1 that has a stockpile on it */
    int recycling;
    int reduction;
    int offtake;         /* policy + 1 that offtake_sum belongs to */
    double offtake_sum;
} node_extra;

typedef struct {
    sf_cfg y;
    sf_scenario *sc;
    size_t nodes_cap, shocks_cap;
    node_extra *nx; /* parallel to sc->nodes, nodes_cap long */
    size_t n_scenario_nodes, n_scenario_shocks;
    name_map node_ids, commodity_ids, shock_ids, policy_names, country_ids,
        bloc_names, state_names;
    const yaml_node_t **bloc_lists; /* member list of each bloc */
    /* The new_capacity interventions in file order, from the first pass. */
    int *nc_node;
    int *nc_policy;
    size_t n_nc, nc_cap, nc_next;
    int *shock_stamp; /* hazard_multiplier: policy + 1, per scenario shock */
    size_t country_entries; /* in all country sets so far (MAX_COUNTRY_...) */
} loader;

static int nomem(loader *L)
{
    return sf_cfg_nomem(&L->y);
}

/* Makes room for need elements of size elem in *arr, zeroing new ones. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    size_t n;
    void *p;

    if (need <= *cap)
        return 0;
    n = *cap > 0 ? 2 * *cap : 8;
    if (n < need)
        n = need;
    if (n > SIZE_MAX / elem)
        return SF_ERR_NOMEM;
    p = realloc(*arr, n * elem);
    if (p == NULL)
        return SF_ERR_NOMEM;
    memset((char *)p + *cap * elem, 0, (n - *cap) * elem);
    *arr = p;
    *cap = n;
    return 0;
}

static int dup_str(loader *L, const char *s, char **out)
{
    *out = strdup(s);
    return *out != NULL ? 0 : nomem(L);
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *seq_item(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.sequence.items.start[i]);
}

static size_t map_len(const yaml_node_t *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static yaml_node_t *map_key(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.mapping.pairs.start[i].key);
}

static yaml_node_t *map_value(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.mapping.pairs.start[i].value);
}

static const char *q(loader *L, const char *s)
{
    return sf_cfg_q(&L->y, s);
}

/* Ids of commodities, nodes, shocks, blocs, states and policies. */
static bool is_id(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-'))
            return false;
    }
    return true;
}

/* ^[A-Z][A-Z0-9_]{1,15}$ */
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

/* The size limit of every number (MAX_NUMBER). */
static int check_size_of(loader *L, const yaml_node_t *n, double v)
{
    if (fabs(v) <= MAX_NUMBER)
        return 0;
    return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                       "must be between -1e15 and 1e15, got %s",
                       q(L, sf_cfg_scalar(n)));
}

static int check_range(loader *L, const yaml_node_t *n, double v,
                       range_kind r)
{
    const char *want = NULL;

    if (check_size_of(L, n, v) < 0)
        return SF_ERR_RANGE;
    if (r == R_GT0 && v > 0 && v < 1 / MAX_NUMBER)
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "must be at least 1e-15, got %s",
                           q(L, sf_cfg_scalar(n)));
    switch (r) {
    case R_ANY:
        break;
    case R_GE0:
        want = v >= 0 ? NULL : ">= 0";
        break;
    case R_GT0:
        want = v > 0 ? NULL : "> 0";
        break;
    case R_UNIT:
        want = v >= 0 && v <= 1 ? NULL : "in [0, 1]";
        break;
    case R_UNIT_LOPEN:
        want = v > 0 && v <= 1 ? NULL : "in (0, 1]";
        break;
    case R_GT_M1:
        want = v > -1 ? NULL : "> -1";
        break;
    }
    if (want == NULL)
        return 0;
    return sf_cfg_fail(&L->y, SF_ERR_RANGE, n, "must be %s, got %s", want,
                       q(L, sf_cfg_scalar(n)));
}

/* A number under key; absent: missing-key error if required, else *out is
 * left alone (the caller's default) and *given is false. */
static int num_field(loader *L, const yaml_node_t *map, const char *key,
                     bool required, range_kind r, double *out, bool *given)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;
    double v;

    if (given != NULL)
        *given = n != NULL;
    if (n == NULL) {
        if (required)
            rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_number(&L->y, n, &v);
    if (rc == 0)
        rc = check_range(L, n, v, r);
    if (rc == 0)
        *out = v;
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* A number under key within (lo, hi] or [lo, hi] (lo_open says which);
 * absent: *out is left alone and *given is false. */
static int bounded_field(loader *L, const yaml_node_t *map, const char *key,
                         double lo, bool lo_open, double hi, double *out,
                         bool *given)
{
    double v = *out;
    bool g = false;
    int rc = num_field(L, map, key, false, R_ANY, &v, &g);

    if (given != NULL)
        *given = g;
    if (rc < 0 || !g)
        return rc;
    if ((lo_open ? v > lo : v >= lo) && v <= hi) {
        *out = v;
        return 0;
    }
    size_t old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, sf_cfg_get(&L->y, map, key),
                     "must be in %c%g, %g], got %s", lo_open ? '(' : '[', lo,
                     hi, q(L, sf_cfg_scalar(sf_cfg_get(&L->y, map, key))));
    sf_cfg_pop(&L->y, old);
    return rc;
}

static int int_field(loader *L, const yaml_node_t *map, const char *key,
                     long long lo, long long hi, int hi_code, long long *out)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_integer(&L->y, n, lo, hi, hi_code, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* A required string under key; *at receives its node when not NULL. */
static int str_field(loader *L, const yaml_node_t *map, const char *key,
                     const char **out, yaml_node_t **at)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    if (at != NULL)
        *at = n;
    old = sf_cfg_push_key(&L->y, key);
    rc = sf_cfg_string(&L->y, n, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

static int check_id(loader *L, const yaml_node_t *n, const char *s)
{
    const char *why;
    if (!is_id(s))
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "'%s' is not a valid name: use letters, digits, "
                           "'_', '.' and '-'",
                           q(L, s));
    /* What the letters allow but the results file cannot hold. */
    if ((why = sf_cfg_name_problem(s)) != NULL)
        return sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                           "'%s' is not a valid name: it %s", q(L, s), why);
    return 0;
}

static int id_field(loader *L, const yaml_node_t *map, const char *key,
                    const char **out, yaml_node_t **at)
{
    yaml_node_t *n = NULL;
    int rc = str_field(L, map, key, out, &n);

    if (rc == 0) {
        size_t old = sf_cfg_push_key(&L->y, key);
        rc = check_id(L, n, *out);
        sf_cfg_pop(&L->y, old);
    }
    if (at != NULL)
        *at = n;
    return rc;
}

/* Appends "; known: a, b" (when there are few) to an unknown-name error. */
static int unknown_name(loader *L, const yaml_node_t *n, const char *what,
                        const char *name, const name_map *m,
                        const name_map *m2)
{
    sf_cfg_near near;
    char list[400];
    size_t used = 0, total = m->n + (m2 != NULL ? m2->n : 0);
    const char *best;

    sf_cfg_near_init(&near, name);
    for (size_t i = 0; i < m->n; i++)
        sf_cfg_near_add(&near, m->order[i]);
    for (size_t i = 0; m2 != NULL && i < m2->n; i++)
        sf_cfg_near_add(&near, m2->order[i]);
    best = sf_cfg_near_best(&near);
    if (best != NULL)
        return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                           "unknown %s '%s'; did you mean '%s'?", what,
                           q(L, name), q(L, best));
    if (total == 0)
        return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                           "unknown %s '%s'; there are none", what,
                           q(L, name));
    list[0] = '\0';
    for (size_t i = 0; i < total && total <= MAX_LISTED_NAMES; i++) {
        const char *s = i < m->n ? m->order[i] : m2->order[i - m->n];
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         i > 0 ? ", " : "; known: ", q(L, s));
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    return sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n, "unknown %s '%s'%s", what,
                       q(L, name), list);
}

/* Reads a name at n and resolves it in m. */
static int ref_at(loader *L, const yaml_node_t *n, const name_map *m,
                  const char *what, int *out)
{
    const char *s;
    int rc = sf_cfg_string(&L->y, n, &s);

    if (rc < 0)
        goto out;
    *out = nm_find(m, s);
    if (*out < 0)
        rc = unknown_name(L, n, what, s, m, NULL);
out:
    return rc;
}

static int ref_field(loader *L, const yaml_node_t *map, const char *key,
                     const name_map *m, const char *what, int *out,
                     yaml_node_t **at)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    if (at != NULL)
        *at = n;
    old = sf_cfg_push_key(&L->y, key);
    rc = ref_at(L, n, m, what, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

/* One of a fixed list of names (a kind, a distribution). */
static int enum_at(loader *L, const yaml_node_t *n, const char *const *names,
                   size_t count, const char *what, int *out)
{
    const char *s;
    int rc = sf_cfg_string(&L->y, n, &s);
    sf_cfg_near near;
    char list[300];
    size_t used = 0;

    if (rc < 0)
        goto out;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], s) == 0) {
            *out = (int)i;
            goto out;
        }
    }
    sf_cfg_near_init(&near, s);
    for (size_t i = 0; i < count; i++)
        sf_cfg_near_add(&near, names[i]);
    if (sf_cfg_near_best(&near) != NULL) {
        rc = sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                         "unknown %s '%s'; did you mean '%s'?", what, q(L, s),
                         sf_cfg_near_best(&near));
        goto out;
    }
    list[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s",
                         i > 0 ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    rc = sf_cfg_fail(&L->y, SF_ERR_UNKNOWN_REF, n,
                     "unknown %s '%s'; expected one of %s", what, q(L, s),
                     list);
out:
    return rc;
}

static int enum_field(loader *L, const yaml_node_t *map, const char *key,
                      const char *const *names, size_t count,
                      const char *what, int *out)
{
    int rc = 0;
    yaml_node_t *n = sf_cfg_get(&L->y, map, key);
    size_t old;

    if (n == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, key);
        goto out;
    }
    old = sf_cfg_push_key(&L->y, key);
    rc = enum_at(L, n, names, count, what, out);
    sf_cfg_pop(&L->y, old);
out:
    return rc;
}

typedef struct {
    const char *s;
    size_t pos;
} item_ref;

static int item_ref_cmp(const void *a, const void *b)
{
    const item_ref *x = a, *y = b;
    int d = strcmp(x->s, y->s);

    if (d != 0)
        return d;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Checks that a list holds strings and none twice (the first repeat in
 * file order is reported). */
static int check_unique_items(loader *L, const yaml_node_t *seq,
                              const char *what)
{
    int rc = 0;
    size_t n = seq_len(seq), dup = SIZE_MAX;
    item_ref *refs = NULL;

    if (n == 0)
        goto out;
    refs = malloc(n * sizeof *refs);
    if (refs == NULL) {
        rc = nomem(L);
        goto out;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t old = sf_cfg_push_index(&L->y, i);
        refs[i].pos = i;
        rc = sf_cfg_string(&L->y, seq_item(L, seq, i), &refs[i].s);
        sf_cfg_pop(&L->y, old);
    }
    if (rc < 0)
        goto out;
    qsort(refs, n, sizeof *refs, item_ref_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(refs[i].s, refs[i - 1].s) == 0 && refs[i].pos < dup &&
            (i < 2 || strcmp(refs[i].s, refs[i - 2].s) != 0))
            dup = refs[i].pos;
    if (dup != SIZE_MAX) {
        yaml_node_t *item = seq_item(L, seq, dup);
        size_t old = sf_cfg_push_index(&L->y, dup);
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, item,
                         "%s '%s' is listed twice", what,
                         q(L, sf_cfg_scalar(item)));
        sf_cfg_pop(&L->y, old);
    }
out:
    free(refs);
    return rc;
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorts and removes repeats in place; returns the new length. */
static size_t sort_unique(int *v, size_t n)
{
    size_t m = 0;

    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, int_cmp);
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[m])
            v[++m] = v[i];
    return m + 1;
}

/* The keys of a mapping that has no kind yet (so that "knd" is reported
 * as a misspelling, not "kind" as missing); with a kind, the keys are
 * checked against the kind's own list instead. */
static int check_keys_without_kind(loader *L, const yaml_node_t *map,
                                   const char *const *all)
{
    if (sf_cfg_get(&L->y, map, "kind") != NULL)
        return 0;
    return sf_cfg_check_keys(&L->y, map, all, NULL, NULL);
}

/* ---- Distributions ---------------------------------------------------- */

typedef enum { BOUND_NONE, BOUND_UNIT, BOUND_NONNEG } dist_bound;

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
            rc = check_size_of(L, n, d->p[0]);
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
    rc = enum_at(L, dn, dist_kind_names, COUNT(dist_kind_names),
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
        rc = num_field(L, n, dist_params[kind][i], true, dist_ranges[kind][i],
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

static int dist_field(loader *L, const yaml_node_t *map, const char *key,
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
    int rc = grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);

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
    b = nm_find(&L->bloc_names, s);
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
    c = nm_find(&L->country_ids, s);
    if (c < 0) {
        rc = unknown_name(L, n, "country or bloc", s, &L->country_ids,
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
        rc = check_unique_items(L, n, "name");
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
    out->n = sort_unique(acc.v, acc.n);
    out->idx = acc.v;
    acc.v = NULL;
out:
    free(acc.v);
    return rc;
}

static int cset_field(loader *L, const yaml_node_t *map, const char *key,
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
static int commodity_list_field(loader *L, const yaml_node_t *map,
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
        rc = ref_at(L, n, &L->commodity_ids, "commodity", &c);
        if (rc == 0 && list_add(&acc, c) < 0)
            rc = nomem(L);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        if (seq_len(n) == 0) {
            rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, n,
                             "must name at least one commodity (or be all)");
            goto pop;
        }
        rc = check_unique_items(L, n, "commodity");
        for (size_t i = 0; i < seq_len(n) && rc == 0; i++) {
            size_t o = sf_cfg_push_index(&L->y, i);
            rc = ref_at(L, seq_item(L, n, i), &L->commodity_ids, "commodity",
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
        s->n_commodities = sort_unique(acc.v, acc.n);
        s->commodities = acc.v;
        acc.v = NULL;
    }
pop:
    sf_cfg_pop(&L->y, old);
out:
    free(acc.v);
    return rc;
}

/* ---- Top level, commodities, blocs ------------------------------------ */

static int parse_header(loader *L, const yaml_node_t *root)
{
    sf_scenario *sc = L->sc;
    const char *s;
    yaml_node_t *n = NULL;
    long long v = 0;
    int rc;

    rc = str_field(L, root, "name", &s, &n);
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
        rc = str_field(L, root, "description", &s, NULL);
    if (rc == 0)
        rc = dup_str(L, s, &sc->description);
    s = "USD";
    if (rc == 0 && sf_cfg_get(&L->y, root, "currency") != NULL)
        rc = str_field(L, root, "currency", &s, NULL);
    if (rc == 0)
        rc = dup_str(L, s, &sc->currency);
    if (rc < 0)
        goto out;
    sc->horizon_months = 60;
    if (sf_cfg_get(&L->y, root, "horizon_months") != NULL) {
        rc = int_field(L, root, "horizon_months", 1, MAX_HORIZON, SF_ERR_LIMIT,
                       &v);
        sc->horizon_months = (int)v;
    }
    if (rc < 0)
        goto out;
    sc->trials = 10000;
    if (sf_cfg_get(&L->y, root, "trials") != NULL)
        rc = int_field(L, root, "trials", 1, MAX_TRIALS, SF_ERR_LIMIT,
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

/* substitution_elasticity, or tariff_elasticity, its version-1 name; not
 * both. */
static int substitution_field(loader *L, const yaml_node_t *m,
                              sf_commodity *c)
{
    bool a = false, b = false;
    int rc = bounded_field(L, m, "substitution_elasticity", 0, true,
                           MAX_SUBSTITUTION, &c->substitution_elasticity, &a);
    if (rc == 0)
        rc = bounded_field(L, m, "tariff_elasticity", 0, true,
                           MAX_SUBSTITUTION, &c->substitution_elasticity, &b);
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

static int parse_commodities(loader *L, const yaml_node_t *list)
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
        int prev;

        sc->n_commodities = i + 1;
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, commodity_keys, NULL, NULL);
        if (rc == 0)
            rc = id_field(L, m, "id", &s, &idn);
        if (rc == 0 && (prev = nm_find(&L->commodity_ids, s)) >= 0) {
            size_t o = sf_cfg_push_key(&L->y, "id");
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                             "commodity id '%s' is already used by "
                             "commodities[%d]",
                             q(L, s), prev);
            sf_cfg_pop(&L->y, o);
        }
        if (rc == 0)
            rc = dup_str(L, s, &c->id);
        if (rc == 0 && nm_put(&L->commodity_ids, c->id, (int)i) < 0)
            rc = nomem(L);
        if (rc == 0)
            rc = str_field(L, m, "unit", &s, NULL);
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
            rc = num_field(L, m, "price", false, R_GT0, &c->price, NULL);
        if (rc == 0)
            rc = bounded_field(L, m, "demand_elasticity", 0, false,
                               MAX_ELASTICITY, &c->demand_elasticity, NULL);
        if (rc == 0)
            rc = bounded_field(L, m, "supply_elasticity", 0, false,
                               MAX_ELASTICITY, &c->supply_elasticity, NULL);
        if (rc == 0)
            rc = bounded_field(L, m, "price_cap", 1, true, MAX_PRICE_CAP,
                               &c->price_cap, NULL);
        c->loc = sf_cfg_loc(m);
        sf_cfg_pop(&L->y, old);
    }
out:
    return rc;
}

/* Bloc names and member codes; the members are resolved to country
 * indices once every country is known. */
static int parse_blocs(loader *L, const yaml_node_t *map)
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
        rc = check_id(L, k, name);
        if (rc == 0 && strcmp(name, "all") == 0)
            rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, k,
                             "'all' is reserved and cannot name a bloc");
        if (rc == 0)
            rc = dup_str(L, name, &sc->blocs[i].name);
        if (rc == 0 && nm_put(&L->bloc_names, sc->blocs[i].name, (int)i) < 0)
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
            rc = check_unique_items(L, list, "country");
        for (size_t j = 0; rc == 0 && j < seq_len(list); j++) {
            yaml_node_t *item = seq_item(L, list, j);
            const char *code = sf_cfg_scalar(item);
            size_t o = sf_cfg_push_index(&L->y, j);
            if (nm_find(&L->bloc_names, code) >= 0)
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

static int commodity_field(loader *L, const yaml_node_t *map, const char *key,
                           int *out)
{
    return ref_field(L, map, key, &L->commodity_ids, "commodity", out, NULL);
}

/* Reads a node mapping into nd (its id not yet checked for uniqueness;
 * *id_at receives the id's node).  policy >= 0: the node of a new_capacity
 * intervention of that policy. */
static int parse_node(loader *L, const yaml_node_t *map, int policy,
                      sf_node *nd, node_extra *ex, yaml_node_t **id_at)
{
    int rc, kind = 0;
    const char *s;
    yaml_node_t *n;
    bool given;
    size_t old;

    memset(nd, 0, sizeof *nd);
    nd->input = nd->output = nd->country = -1;
    nd->defined_by_policy = policy;
    nd->loc = sf_cfg_loc(map);
    ex->country = NULL;
    rc = sf_cfg_expect(&L->y, map, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = check_keys_without_kind(L, map, node_keys);
    if (rc == 0)
        rc = enum_field(L, map, "kind", node_kind_names,
                        COUNT(node_kind_names), "node kind", &kind);
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
                           node_kind_what[kind]);
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
    rc = id_field(L, map, "id", &s, id_at);
    if (rc == 0)
        rc = dup_str(L, s, &nd->id);
    if (rc == 0)
        rc = str_field(L, map, "country", &s, &n);
    if (rc < 0)
        goto out;
    if (!is_country_code(s)) {
        old = sf_cfg_push_key(&L->y, "country");
        if (nm_find(&L->bloc_names, s) >= 0)
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
                             node_kind_names[kind],
                             q(L, L->sc->commodities[nd->output].id));
            sf_cfg_pop(&L->y, old);
            goto out;
        }
    }
    if (nd->kind != SF_NODE_DEMAND) {
        rc = num_field(L, map, "capacity", true, R_GE0, &nd->capacity, NULL);
        if (rc == 0)
            rc = num_field(L, map, "output_stock_cap", false, R_GE0,
                           &nd->output_stock_cap, NULL);
    }
    if (rc == 0 &&
        (nd->kind == SF_NODE_REFINER || nd->kind == SF_NODE_PLANT)) {
        nd->yield = 1;
        nd->input_buffer_months = 1;
        rc = num_field(L, map, "yield", false, R_GT0, &nd->yield, NULL);
        if (rc == 0)
            rc = num_field(L, map, "input_buffer_months", false, R_GE0,
                           &nd->input_buffer_months, NULL);
        if (rc == 0)
            rc = num_field(L, map, "initial_input_stock", false, R_GE0,
                           &nd->initial_input_stock, &given);
        /* The buffer target; new capacity starts empty (MODEL.md §7). */
        if (rc == 0 && !given && policy < 0)
            nd->initial_input_stock =
                nd->input_buffer_months * nd->capacity / 12 / nd->yield;
    }
    if (rc == 0 && nd->kind != SF_NODE_MINE) {
        const sf_commodity *c = &L->sc->commodities[nd->input];
        nd->elasticity = c->demand_elasticity >= 0 ? c->demand_elasticity
                         : nd->kind == SF_NODE_DEMAND ? 0.2
                                                      : 0.1;
        rc = bounded_field(L, map, "elasticity", 0, false, MAX_ELASTICITY,
                           &nd->elasticity, NULL);
    }
    if (rc == 0 && nd->kind == SF_NODE_DEMAND) {
        nd->inventory_refill_months = 12;
        nd->release_price = 1.5;
        rc = num_field(L, map, "inventory_months", false, R_GE0,
                       &nd->inventory_months, NULL);
        if (rc == 0)
            rc = num_field(L, map, "inventory_refill_months", false, R_GT0,
                           &nd->inventory_refill_months, NULL);
        if (rc == 0)
            rc = num_field(L, map, "release_price", false, R_GT0,
                           &nd->release_price, NULL);
    }
    if (rc == 0 && nd->kind == SF_NODE_DEMAND) {
        rc = num_field(L, map, "demand", true, R_GE0, &nd->demand, NULL);
        if (rc == 0)
            rc = num_field(L, map, "growth", false, R_GT_M1, &nd->growth,
                           NULL);
        if (rc == 0)
            rc = num_field(L, map, "volatility", false, R_GE0,
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
out:
    return rc;
}

/* Appends a zeroed node slot (with its extra) and returns its index. */
static int add_node_slot(loader *L, size_t *index)
{
    size_t cap = L->nodes_cap, cap2 = L->nodes_cap;
    int rc = grow((void **)&L->sc->nodes, &cap, L->sc->n_nodes + 1,
                  sizeof *L->sc->nodes);

    if (rc == 0)
        rc = grow((void **)&L->nx, &cap2, L->sc->n_nodes + 1, sizeof *L->nx);
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

static int parse_nodes(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    if (rc == 0 && seq_len(list) == 0)
        rc = sf_cfg_fail(&L->y, SF_ERR_RANGE, list,
                         "must list at least one node");
    for (size_t i = 0; rc == 0 && i < seq_len(list); i++) {
        size_t old = sf_cfg_push_index(&L->y, i), k = 0;
        yaml_node_t *idn = NULL;
        int prev;

        rc = add_node_slot(L, &k);
        if (rc == 0)
            rc = dup_path(L, &L->nx[k].path);
        if (rc == 0)
            rc = parse_node(L, seq_item(L, list, i), -1, &sc->nodes[k],
                            &L->nx[k], &idn);
        if (rc == 0 && (prev = nm_find(&L->node_ids, sc->nodes[k].id)) >= 0) {
            size_t o = sf_cfg_push_key(&L->y, "id");
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                             "node id '%s' is already used by nodes[%d]",
                             q(L, sc->nodes[k].id), prev);
            sf_cfg_pop(&L->y, o);
        }
        if (rc == 0 && nm_put(&L->node_ids, sc->nodes[k].id, (int)k) < 0)
            rc = nomem(L);
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
    return NULL;
}

/* The node of a new_capacity intervention of policy p: appended, or the
 * same node another policy already defined. */
static int parse_policy_node(loader *L, const yaml_node_t *map, int p,
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
    prev = nm_find(&L->node_ids, sc->nodes[k].id);
    *index = (int)k;
    if (prev < 0) {
        if (nm_put(&L->node_ids, sc->nodes[k].id, (int)k) < 0)
            rc = nomem(L);
        L->nx[k].built_pass_a = p + 1;
        goto out;
    }
    if (sc->nodes[prev].defined_by_policy < 0) {
        size_t o = sf_cfg_push_key(&L->y, "id");
        rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                         "node id '%s' is already used by nodes[%d]",
                         q(L, sc->nodes[k].id), prev);
        sf_cfg_pop(&L->y, o);
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
static int build_countries(loader *L)
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
        if (rc == 0 && nm_put(&L->country_ids, sc->countries[sc->n_countries],
                              (int)sc->n_countries) < 0)
            rc = nomem(L);
        if (rc == 0)
            sc->n_countries++;
    }
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < sc->n_nodes; i++)
        sc->nodes[i].country = nm_find(&L->country_ids, L->nx[i].country);
    for (size_t b = 0; b < sc->n_blocs && rc == 0; b++) {
        const yaml_node_t *list = L->bloc_lists[b];
        sf_country_set *m = &sc->blocs[b].members;
        m->idx = malloc(seq_len(list) * sizeof *m->idx);
        if (m->idx == NULL) {
            rc = nomem(L);
            goto out;
        }
        for (size_t j = 0; j < seq_len(list); j++)
            m->idx[j] = nm_find(&L->country_ids,
                                sf_cfg_scalar(seq_item(L, list, j)));
        m->n = sort_unique(m->idx, seq_len(list));
        /* A member can never be a bloc (checked above), so a clash comes
         * from the country of a node. */
        if (nm_find(&L->country_ids, sc->blocs[b].name) >= 0) {
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

static int parse_links(loader *L, const yaml_node_t *list)
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
            rc = ref_field(L, m, "from", &L->node_ids, "node", &l->from, &fn);
        if (rc == 0)
            rc = ref_field(L, m, "to", &L->node_ids, "node", &l->to, &tn);
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
            rc = num_field(L, m, "weight", false, R_GT0, &l->weight,
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

/* ---- Shocks ----------------------------------------------------------- */

static int add_shock_slot(loader *L, size_t *index)
{
    int rc = grow((void **)&L->sc->shocks, &L->shocks_cap,
                  L->sc->n_shocks + 1, sizeof *L->sc->shocks);

    if (rc < 0)
        return nomem(L);
    *index = L->sc->n_shocks++;
    return 0;
}

static void free_cset(sf_country_set *s)
{
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}

static void free_shock(sf_shock *s)
{
    free(s->id);
    free_cset(&s->exporter);
    free_cset(&s->targets);
    free_cset(&s->except);
    free_cset(&s->importer);
    free_cset(&s->country);
    free(s->commodities);
    free(s->nodes);
    memset(s, 0, sizeof *s);
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
        rc = cset_field(L, map, "country", true, true, false, &s->country);
        if (rc == 0 && kind_key != NULL) {
            rc = enum_field(L, map, "node_kind", node_kind_names,
                            COUNT(node_kind_names), "node kind", &kind);
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
        rc = check_unique_items(L, nodes, "node");
    if (rc == 0) {
        s->nodes = malloc(seq_len(nodes) * sizeof *s->nodes);
        if (s->nodes == NULL)
            rc = nomem(L);
    }
    for (size_t i = 0; rc == 0 && i < seq_len(nodes); i++) {
        size_t o = sf_cfg_push_index(&L->y, i);
        yaml_node_t *item = seq_item(L, nodes, i);
        int j;
        rc = ref_at(L, item, &L->node_ids, "node", &j);
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
        s->n_nodes = sort_unique(s->nodes, s->n_nodes);
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
            rc = int_field(L, sched, "start_month", 0, INT_MAX, SF_ERR_RANGE,
                           &v);
        s->start_month = (int)v;
        if (rc == 0)
            rc = int_field(L, sched, "duration_months", 1, INT_MAX,
                           SF_ERR_RANGE, &v);
        s->duration_months = (int)v;
        sf_cfg_pop(&L->y, old);
        goto out;
    }
    rc = num_field(L, map, "hazard_per_year", true, R_GE0, &s->hazard_per_year,
                   NULL);
    if (rc == 0)
        rc = dist_field(L, map, "duration_months", true, BOUND_NONNEG,
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
        rc = cset_field(L, map, "exporter", true, false, false, &s->exporter);
        if (rc == 0)
            rc = commodity_list_field(L, map, s);
        if (rc == 0)
            rc = cset_field(L, map, "targets", true, true, false, &s->targets);
        if (rc == 0)
            rc = cset_field(L, map, "except", false, false, true, &s->except);
        if (rc == 0)
            rc = dist_field(L, map, "severity", false, BOUND_UNIT, "severity",
                            &s->severity, &given);
        break;
    case SF_SHOCK_TARIFF:
        rc = cset_field(L, map, "importer", true, true, false, &s->importer);
        if (rc == 0)
            rc = cset_field(L, map, "exporter", true, true, false,
                            &s->exporter);
        if (rc == 0)
            rc = commodity_list_field(L, map, s);
        if (rc == 0)
            rc = dist_field(L, map, "rate", true, BOUND_NONNEG, "rate",
                            &s->severity, NULL);
        break;
    case SF_SHOCK_OUTAGE:
        rc = parse_outage_scope(L, map, s);
        if (rc == 0)
            rc = dist_field(L, map, "severity", false, BOUND_UNIT, "severity",
                            &s->severity, &given);
        break;
    }
    if (rc == 0)
        rc = parse_timing(L, map, s, policy);
    return rc;
}

static int parse_shocks(loader *L, const yaml_node_t *list)
{
    sf_scenario *sc = L->sc;
    int rc = sf_cfg_expect(&L->y, list, YAML_SEQUENCE_NODE);

    for (size_t i = 0; rc == 0 && i < seq_len(list); i++) {
        yaml_node_t *m = seq_item(L, list, i), *idn = NULL;
        size_t old = sf_cfg_push_index(&L->y, i), k = 0;
        const char *s;
        int kind = 0, prev;
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
            rc = check_keys_without_kind(L, m, shock_keys);
        if (rc == 0)
            rc = enum_field(L, m, "kind", shock_kind_names,
                            COUNT(shock_kind_names), "shock kind", &kind);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, shock_keys, shock_kind_keys[kind],
                                   shock_kind_what[kind]);
        sh->kind = (sf_shock_kind)kind;
        if (rc == 0)
            rc = id_field(L, m, "id", &s, &idn);
        if (rc == 0 && (prev = nm_find(&L->shock_ids, s)) >= 0) {
            size_t o = sf_cfg_push_key(&L->y, "id");
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                             "shock id '%s' is already used by shocks[%d]",
                             q(L, s), prev);
            sf_cfg_pop(&L->y, o);
        }
        if (rc == 0)
            rc = dup_str(L, s, &sh->id);
        if (rc == 0 && nm_put(&L->shock_ids, sh->id, (int)k) < 0)
            rc = nomem(L);
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
static int parse_policy_tariff(loader *L, const yaml_node_t *map, int p,
                               int *index)
{
    sf_scenario *sc = L->sc;
    yaml_node_t *idn = NULL;
    const char *s, *diff;
    size_t k = 0;
    int rc, prev;
    sf_shock *sh;

    rc = id_field(L, map, "id", &s, &idn);
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
    prev = nm_find(&L->shock_ids, s);
    if (prev < 0) {
        if (nm_put(&L->shock_ids, sh->id, (int)k) < 0)
            rc = nomem(L);
        goto out;
    }
    if (sc->shocks[prev].defined_by_policy < 0 ||
        sc->shocks[prev].defined_by_policy == p) {
        size_t o = sf_cfg_push_key(&L->y, "id");
        if (sc->shocks[prev].defined_by_policy < 0)
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                             "shock id '%s' is already used by shocks[%d]",
                             q(L, s), prev);
        else
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, idn,
                             "this policy already defines tariff '%s'",
                             q(L, s));
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
    free_shock(sh);
    sc->n_shocks--;
    *index = prev;
out:
    return rc;
}

/* ---- Policies --------------------------------------------------------- */

static int nc_add(loader *L, int node, int policy)
{
    size_t cap = L->nc_cap, cap2 = L->nc_cap;
    int rc = grow((void **)&L->nc_node, &cap, L->n_nc + 1, sizeof(int));

    if (rc == 0)
        rc = grow((void **)&L->nc_policy, &cap2, L->n_nc + 1, sizeof(int));
    if (rc < 0)
        return nomem(L);
    L->nc_cap = cap;
    L->nc_node[L->n_nc] = node;
    L->nc_policy[L->n_nc++] = policy;
    return 0;
}

/* First pass over policies: names, the kind and keys of every
 * intervention, and the nodes that new_capacity interventions define. */
static int collect_policies(loader *L, const yaml_node_t *list,
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
        int prev;

        sc->n_policies = p + 1;
        pol->loc = sf_cfg_loc(m);
        rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        if (rc == 0)
            rc = sf_cfg_check_keys(&L->y, m, policy_keys, NULL, NULL);
        if (rc == 0)
            rc = id_field(L, m, "name", &s, &nn);
        if (rc == 0 && (prev = nm_find(&L->policy_names, s)) >= 0) {
            o = sf_cfg_push_key(&L->y, "name");
            rc = sf_cfg_fail(&L->y, SF_ERR_DUPLICATE, nn,
                             "policy name '%s' is already used by "
                             "policies[%d]",
                             q(L, s), prev);
            sf_cfg_pop(&L->y, o);
        }
        if (rc == 0)
            rc = dup_str(L, s, &pol->name);
        if (rc == 0 && nm_put(&L->policy_names, pol->name, (int)p) < 0)
            rc = nomem(L);
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
                rc = check_keys_without_kind(L, im, iv_keys);
            if (rc == 0)
                rc = enum_field(L, im, "kind", iv_kind_names,
                                COUNT(iv_kind_names), "intervention kind",
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
                    rc = parse_policy_node(L, nm, (int)p, &node);
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
    int rc = ref_field(L, map, "node", &L->node_ids, "node", out, &at);

    if (rc == 0 && L->sc->nodes[*out].kind != SF_NODE_DEMAND) {
        size_t old = sf_cfg_push_key(&L->y, "node");
        rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, at,
                         "node '%s' is %s; %s applies to demand nodes",
                         q(L, L->sc->nodes[*out].id),
                         node_kind_what[L->sc->nodes[*out].kind], what);
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
    rc = num_field(L, m, "initial", false, R_GE0, &iv->initial, &a);
    if (rc == 0)
        rc = num_field(L, m, "initial_months", false, R_GE0, &v, &b);
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
    rc = num_field(L, m, "capacity", false, R_GE0, &iv->capacity, &a);
    if (rc == 0)
        rc = num_field(L, m, "capacity_months", false, R_GE0, &v, &b);
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
    rc = num_field(L, m, "max_release_months", false, R_GE0, &v, &a);
    if (rc == 0 && a)
        iv->max_release = v * month;
    if (rc == 0)
        rc = num_field(L, m, "refill_months", false, R_GE0, &v, &a);
    if (rc == 0 && a)
        iv->refill = v * month;
    iv->release_price = sc->nodes[iv->node].release_price;
    if (rc == 0)
        rc = num_field(L, m, "release_price", false, R_GT0, &iv->release_price,
                       NULL);
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

    rc = ref_field(L, m, "buyer", &L->node_ids, "node", &iv->node, &bn);
    if (rc == 0)
        rc = ref_field(L, m, "supplier", &L->node_ids, "node", &iv->supplier,
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
        rc = num_field(L, m, "share", true, R_UNIT_LOPEN, &iv->share, NULL);
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

/* A shock reference that must be hazard-driven. */
static int hazard_shock_field(loader *L, const yaml_node_t *map,
                              const char *key, const char *why, int *out)
{
    yaml_node_t *at = NULL;
    int rc = ref_field(L, map, key, &L->shock_ids, "shock", out, &at);

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
static int parse_interventions(loader *L, const yaml_node_t *list)
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
                rc = dist_field(L, m, "lead_time_months", true, BOUND_NONNEG,
                                "lead time", &iv->lead_time, NULL);
                if (rc == 0)
                    rc = num_field(L, m, "ramp_months", false, R_GE0,
                                   &iv->ramp_months, NULL);
                if (rc == 0)
                    rc = num_field(L, m, "completion_probability", false,
                                   R_UNIT, &iv->completion_probability, NULL);
                break;
            case SF_IV_RECYCLING:
                rc = demand_node_field(L, m, "recycling", &iv->node);
                if (rc == 0)
                    rc = stamp_once(L, &L->nx[iv->node].recycling, ip,
                                    sf_cfg_get(&L->y, m, "node"), "recycling",
                                    sc->nodes[iv->node].id);
                if (rc == 0)
                    rc = num_field(L, m, "share", true, R_UNIT, &iv->share,
                                   NULL);
                if (rc == 0)
                    rc = num_field(L, m, "ramp_months", false, R_GE0,
                                   &iv->ramp_months, NULL);
                break;
            case SF_IV_DEMAND_REDUCTION:
                rc = demand_node_field(L, m, "demand reduction", &iv->node);
                if (rc == 0)
                    rc = stamp_once(L, &L->nx[iv->node].reduction, ip,
                                    sf_cfg_get(&L->y, m, "node"),
                                    "a demand reduction",
                                    sc->nodes[iv->node].id);
                if (rc == 0)
                    rc = num_field(L, m, "share", true, R_UNIT, &iv->share,
                                   NULL);
                break;
            case SF_IV_TARIFF:
                rc = parse_policy_tariff(L, m, ip, &iv->shock);
                break;
            case SF_IV_HAZARD_MULTIPLIER:
                rc = hazard_shock_field(L, m, "shock",
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
                    rc = num_field(L, m, "factor", true, R_GE0, &iv->factor,
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

/* ---- Regimes and triggers --------------------------------------------- */

static int parse_regimes(loader *L, const yaml_node_t *map)
{
    sf_scenario *sc = L->sc;
    sf_regimes *r = &sc->regimes;
    yaml_node_t *states, *tr, *mult;
    bool *has_row = NULL;
    size_t ns = 0, old;
    int rc;

    rc = sf_cfg_expect(&L->y, map, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = sf_cfg_check_keys(&L->y, map, regime_keys, NULL, NULL);
    if (rc < 0)
        goto out;
    sc->has_regimes = true;
    r->loc = sf_cfg_loc(map);
    r->start = -1;
    /* states */
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
        rc = check_unique_items(L, states, "state");
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
        has_row = calloc(ns, sizeof *has_row);
        if (r->states == NULL || r->transition == NULL ||
            r->multiplier == NULL || has_row == NULL)
            rc = nomem(L);
    }
    for (size_t i = 0; rc == 0 && i < ns; i++) {
        yaml_node_t *item = seq_item(L, states, i);
        size_t o = sf_cfg_push_index(&L->y, i);
        r->n_states = i + 1;
        rc = check_id(L, item, sf_cfg_scalar(item));
        if (rc == 0)
            rc = dup_str(L, sf_cfg_scalar(item), &r->states[i]);
        if (rc == 0 && nm_put(&L->state_names, r->states[i], (int)i) < 0)
            rc = nomem(L);
        sf_cfg_pop(&L->y, o);
    }
    sf_cfg_pop(&L->y, old);
    for (size_t i = 0; i < ns * sc->n_shocks; i++)
        r->multiplier[i] = 1;
    /* start */
    if (rc == 0)
        rc = ref_field(L, map, "start", &L->state_names, "state", &r->start,
                       NULL);
    if (rc < 0)
        goto out;
    /* transitions */
    tr = sf_cfg_get(&L->y, map, "transitions");
    if (tr == NULL) {
        rc = sf_cfg_fail_missing(&L->y, map, "transitions");
        goto out;
    }
    old = sf_cfg_push_key(&L->y, "transitions");
    rc = sf_cfg_expect(&L->y, tr, YAML_MAPPING_NODE);
    for (size_t i = 0; rc == 0 && i < map_len(tr); i++) {
        yaml_node_t *k = map_key(L, tr, i), *row = map_value(L, tr, i);
        size_t o = sf_cfg_push_key(&L->y, sf_cfg_scalar(k));
        double sum = 0;
        int s = -1;

        rc = ref_at(L, k, &L->state_names, "state", &s);
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
                rc = check_range(L, x, v, R_UNIT);
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
    if (rc < 0)
        goto out;
    /* multipliers */
    mult = sf_cfg_get(&L->y, map, "multipliers");
    if (mult == NULL)
        goto out;
    old = sf_cfg_push_key(&L->y, "multipliers");
    rc = sf_cfg_expect(&L->y, mult, YAML_MAPPING_NODE);
    for (size_t i = 0; rc == 0 && i < map_len(mult); i++) {
        yaml_node_t *k = map_key(L, mult, i), *m = map_value(L, mult, i);
        size_t o = sf_cfg_push_key(&L->y, sf_cfg_scalar(k));
        int s = -1;

        rc = ref_at(L, k, &L->state_names, "state", &s);
        if (rc == 0)
            rc = sf_cfg_expect(&L->y, m, YAML_MAPPING_NODE);
        for (size_t j = 0; rc == 0 && j < map_len(m); j++) {
            yaml_node_t *sk = map_key(L, m, j);
            const char *name = sf_cfg_scalar(sk);
            size_t oj = sf_cfg_push_key(&L->y, name);
            int shock = -1;
            double v = 1;
            rc = ref_at(L, sk, &L->shock_ids, "shock", &shock);
            if (rc == 0 && sc->shocks[shock].scheduled)
                rc = sf_cfg_fail(&L->y, SF_ERR_CONFLICT, sk,
                                 "shock '%s' is scheduled; regime multipliers "
                                 "apply only to hazard-driven shocks",
                                 q(L, name));
            if (rc == 0)
                rc = sf_cfg_number(&L->y, map_value(L, m, j), &v);
            if (rc == 0)
                rc = check_range(L, map_value(L, m, j), v, R_GE0);
            if (rc == 0)
                r->multiplier[(size_t)s * sc->n_shocks + (size_t)shock] = v;
            sf_cfg_pop(&L->y, oj);
        }
        sf_cfg_pop(&L->y, o);
    }
    sf_cfg_pop(&L->y, old);
out:
    free(has_row);
    return rc;
}

static int parse_triggers(loader *L, const yaml_node_t *list)
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
            rc = ref_field(L, m, "when", &L->shock_ids, "shock", &t->when,
                           NULL);
        if (rc == 0)
            rc = hazard_shock_field(L, m, "raises",
                                    "a trigger can only raise the hazard of "
                                    "a hazard-driven shock",
                                    &t->raises);
        if (rc == 0)
            rc = num_field(L, m, "factor", true, R_GE0, &t->factor, NULL);
        sf_cfg_pop(&L->y, old);
    }
    return rc;
}

/* ---- Whole-scenario checks -------------------------------------------- */

/* Groups node indices by key[i] (skipping key -1): the nodes of key k are
 * items[first[k]] .. items[first[k + 1] - 1], in index order. */
static int group_nodes(size_t n_keys, size_t n, const int *key, size_t **first,
                       int **items)
{
    size_t *f = calloc(n_keys + 2, sizeof *f);
    int *it = malloc((n > 0 ? n : 1) * sizeof *it);

    if (f == NULL || it == NULL) {
        free(f);
        free(it);
        return SF_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        if (key[i] >= 0)
            f[key[i] + 2]++;
    for (size_t k = 0; k < n_keys; k++)
        f[k + 2] += f[k + 1];
    /* f[k + 1] is now the start of key k; filling moves it to the end. */
    for (size_t i = 0; i < n; i++)
        if (key[i] >= 0)
            it[f[key[i] + 1]++] = (int)i;
    *first = f;
    *items = it;
    return 0;
}

/* The commodity graph (input -> output of every converter) must be
 * acyclic; on success order[] holds the commodities in topological order. */
static int check_cycle(loader *L, int *order)
{
    sf_scenario *sc = L->sc;
    size_t nc = sc->n_commodities, nn = sc->n_nodes, head = 0, tail = 0;
    int *indeg = calloc(nc, sizeof *indeg);
    int *pred = malloc(nc * sizeof *pred);
    int *pred_node = malloc(nc * sizeof *pred_node);
    int *seen = calloc(nc, sizeof *seen);
    int *key = malloc((nn > 0 ? nn : 1) * sizeof *key);
    int *cyc = malloc((nc + 1) * sizeof *cyc);
    int *by_input = NULL;
    size_t *first = NULL;
    char msg[700];
    size_t used = 0, len = 0;
    int rc = 0, c = -1, start, best = -1;

    if (indeg == NULL || pred == NULL || pred_node == NULL || seen == NULL ||
        key == NULL || cyc == NULL) {
        rc = nomem(L);
        goto out;
    }
    /* The converters, grouped by input commodity. */
    for (size_t i = 0; i < nn; i++) {
        const sf_node *nd = &sc->nodes[i];
        bool converter = nd->input >= 0 && nd->output >= 0;
        key[i] = converter ? nd->input : -1;
        if (converter)
            indeg[nd->output]++;
    }
    if (group_nodes(nc, nn, key, &first, &by_input) < 0) {
        rc = nomem(L);
        goto out;
    }
    /* Kahn's algorithm. */
    for (size_t k = 0; k < nc; k++)
        if (indeg[k] == 0)
            order[tail++] = (int)k;
    while (head < tail) {
        int k = order[head++];
        for (size_t j = first[k]; j < first[k + 1]; j++) {
            int out = sc->nodes[by_input[j]].output;
            if (--indeg[out] == 0)
                order[tail++] = out;
        }
    }
    if (tail == nc)
        goto out;
    /* Every commodity left has an incoming edge from another one left;
     * walking those edges backwards must come round to a cycle. */
    for (size_t k = 0; k < nc; k++)
        pred[k] = pred_node[k] = -1;
    for (size_t i = 0; i < nn; i++) {
        const sf_node *nd = &sc->nodes[i];
        if (key[i] >= 0 && indeg[nd->input] > 0 && indeg[nd->output] > 0 &&
            pred[nd->output] < 0) {
            pred[nd->output] = nd->input;
            pred_node[nd->output] = (int)i;
        }
    }
    for (size_t k = 0; k < nc && c < 0; k++)
        if (indeg[k] > 0)
            c = (int)k;
    while (!seen[c]) {
        seen[c] = 1;
        c = pred[c];
    }
    /* c is on the cycle; locate it at its lowest-index converter. */
    start = c;
    do {
        if (best < 0 || pred_node[c] < best)
            best = pred_node[c];
        c = pred[c];
        len++;
    } while (c != start);
    /* Print it forwards, from that converter's input back to it. */
    c = sc->nodes[best].input;
    for (size_t i = len + 1; i-- > 0;) {
        cyc[i] = c;
        c = pred[c];
    }
    msg[0] = '\0';
    for (size_t i = 0; i <= len; i++) {
        int w = snprintf(msg + used, sizeof msg - used, "%s%s",
                         i > 0 ? " -> " : "",
                         q(L, sc->commodities[cyc[i]].id));
        if (w < 0 || (size_t)w >= sizeof msg - used)
            break;
        used += (size_t)w;
    }
    rc = sf_cfg_fail_at(&L->y, SF_ERR_CYCLE, sc->nodes[best].loc,
                        L->nx[best].path, "commodity graph has a cycle: %s",
                        msg);
out:
    free(indeg);
    free(pred);
    free(pred_node);
    free(seen);
    free(key);
    free(cyc);
    free(by_input);
    free(first);
    return rc;
}

/* Every demand node of the scenario's own nodes must be reachable from a
 * mine with capacity in the baseline network (without policy nodes).  A
 * producer can deliver when it has capacity and, for a converter, one of
 * its eligible suppliers can: those of its explicit links, or else every
 * scenario node whose output is its input. */
static int check_supply(loader *L, const int *order)
{
    sf_scenario *sc = L->sc;
    size_t nn = L->n_scenario_nodes, nc = sc->n_commodities, nl = sc->n_links;
    bool *can = calloc(nn + 1, sizeof *can);
    bool *can_c = calloc(nc, sizeof *can_c);
    int *key = malloc((nn > nl ? nn : nl) * sizeof *key + sizeof *key);
    size_t *pfirst = NULL, *lfirst = NULL;
    int *producers = NULL, *links = NULL;
    int rc = 0;

    if (can == NULL || can_c == NULL || key == NULL) {
        rc = nomem(L);
        goto out;
    }
    /* Scenario producers by output commodity; links by buyer. */
    for (size_t i = 0; i < nn; i++)
        key[i] = sc->nodes[i].output;
    rc = group_nodes(nc, nn, key, &pfirst, &producers);
    for (size_t l = 0; l < nl; l++)
        key[l] = (size_t)sc->links[l].to < nn ? sc->links[l].to : -1;
    if (rc == 0)
        rc = group_nodes(nn, nl, key, &lfirst, &links);
    if (rc < 0) {
        rc = nomem(L);
        goto out;
    }
    /* In topological order a converter's suppliers are settled first. */
    for (size_t oi = 0; oi < nc; oi++) {
        int c = order[oi];
        for (size_t j = pfirst[c]; j < pfirst[c + 1]; j++) {
            int i = producers[j];
            const sf_node *nd = &sc->nodes[i];
            if (!(nd->capacity > 0))
                continue;
            if (nd->kind == SF_NODE_MINE) {
                can[i] = true;
            } else if (lfirst[i] == lfirst[i + 1]) {
                can[i] = can_c[nd->input];
            } else {
                for (size_t k = lfirst[i]; k < lfirst[i + 1] && !can[i]; k++) {
                    int from = sc->links[links[k]].from;
                    can[i] = (size_t)from < nn && can[from];
                }
            }
            can_c[c] = can_c[c] || can[i];
        }
    }
    for (size_t i = 0; i < nn && rc == 0; i++) {
        const sf_node *nd = &sc->nodes[i];
        bool linked = lfirst[i] < lfirst[i + 1], ok = false;
        if (nd->kind != SF_NODE_DEMAND)
            continue;
        if (!linked)
            ok = can_c[nd->input];
        for (size_t k = lfirst[i]; k < lfirst[i + 1] && !ok; k++) {
            int from = sc->links[links[k]].from;
            ok = (size_t)from < nn && can[from];
        }
        if (!ok)
            rc = sf_cfg_fail_at(
                &L->y, SF_ERR_UNSUPPLIED, nd->loc, L->nx[i].path,
                "demand node '%s' cannot be supplied: %s '%s'", q(L, nd->id),
                linked ? "none of its linked suppliers can deliver"
                       : "no mine with capacity reaches its input",
                q(L, sc->commodities[nd->input].id));
    }
out:
    free(can);
    free(can_c);
    free(key);
    free(pfirst);
    free(lfirst);
    free(producers);
    free(links);
    return rc;
}

/* ---- Size limits ------------------------------------------------------ */

/* The key path of shock k: shocks[k], or the intervention of the policy
 * that defines a policy tariff. */
static void shock_path(loader *L, size_t k, char *path, size_t size)
{
    const sf_scenario *sc = L->sc;
    int p = sc->shocks[k].defined_by_policy;

    if (p < 0) {
        snprintf(path, size, "shocks[%zu]", k);
        return;
    }
    snprintf(path, size, "policies[%d]", p);
    for (size_t i = 0; i < sc->policies[p].n_interventions; i++) {
        const sf_intervention *iv = &sc->policies[p].interventions[i];
        if (iv->kind == SF_IV_TARIFF && iv->shock == (int)k) {
            snprintf(path, size, "policies[%d].interventions[%zu]", p, i);
            return;
        }
    }
}

/* The limits on what the loaded scenario makes the simulator build: links
 * (given and implied), the links and nodes shocks reach, and the monthly
 * result cells.  Counted in time linear in the scenario, before anything
 * of that size is allocated (models/network.c builds the links). */
static int check_size(loader *L, const yaml_node_t *root)
{
    sf_scenario *sc = L->sc;
    size_t nn = sc->n_nodes, nc = sc->n_commodities, nk = sc->n_countries;
    size_t *producers = calloc(nc + 1, sizeof *producers);
    size_t *implicit = calloc(nc + 1, sizeof *implicit);
    size_t *from_country = calloc(nk + 1, sizeof *from_country);
    size_t *in_country = calloc(nk + 1, sizeof *in_country);
    bool *linked = calloc(nn + 1, sizeof *linked);
    bool *region = calloc(nk + 1, sizeof *region);
    size_t links = sc->n_links, reach = 0, n_demand = 0, n_regions = 0;
    int rc = 0;

    if (!producers || !implicit || !from_country || !in_country || !linked ||
        !region) {
        rc = nomem(L);
        goto out;
    }
    for (size_t l = 0; l < sc->n_links; l++) {
        linked[sc->links[l].to] = true;
        from_country[sc->nodes[sc->links[l].from].country]++;
    }
    for (size_t i = 0; i < nn; i++) {
        const sf_node *nd = &sc->nodes[i];
        if (nd->output >= 0)
            producers[nd->output]++;
        if (nd->input >= 0 && !linked[i])
            implicit[nd->input]++;
        in_country[nd->country]++;
        if (nd->kind == SF_NODE_DEMAND) {
            n_demand++;
            n_regions += !region[nd->country];
            region[nd->country] = true;
        }
    }
    /* Links: a buyer without given links is served by every producer of
     * its input. */
    for (size_t j = 0; j < nn && rc == 0; j++) {
        const sf_node *nd = &sc->nodes[j];
        if (nd->input < 0 || linked[j])
            continue;
        links += producers[nd->input];
        if (links > MAX_LINKS)
            rc = sf_cfg_fail_at(
                &L->y, SF_ERR_LIMIT, nd->loc, L->nx[j].path,
                "the network has more than %d supplier-buyer links: a buyer "
                "without given links is served by every producer of its "
                "input, and '%s' has %zu; give links (links:) or use fewer "
                "nodes",
                MAX_LINKS, q(L, sc->commodities[nd->input].id),
                producers[nd->input]);
    }
    if (rc < 0)
        goto out;
    for (size_t i = 0; i < nn; i++)
        if (sc->nodes[i].output >= 0)
            from_country[sc->nodes[i].country] += implicit[sc->nodes[i].output];
    /* Reach: what models/network.c checks to find what each shock covers. */
    for (size_t k = 0; k < sc->n_shocks && rc == 0; k++) {
        const sf_shock *sh = &sc->shocks[k];
        const sf_country_set *set = NULL;
        const size_t *per = NULL;
        size_t r = 0;
        if (sh->kind == SF_SHOCK_OUTAGE && sh->n_nodes > 0) {
            r = sh->n_nodes;
        } else if (sh->kind == SF_SHOCK_OUTAGE) {
            set = &sh->country;
            per = in_country;
            r = set->all ? nn : 0;
        } else {
            set = &sh->exporter;
            per = from_country;
            r = set->all ? links : 0;
        }
        for (size_t i = 0; set != NULL && !set->all && i < set->n; i++)
            r += per[set->idx[i]];
        reach += r;
        if (reach > MAX_REACH) {
            char path[SF_CFG_PATH_MAX];
            shock_path(L, k, path, sizeof path);
            rc = sf_cfg_fail_at(
                &L->y, SF_ERR_LIMIT, sh->loc, path,
                "the shocks reach more than %d links and nodes in all (the "
                "links leaving each restriction's or tariff's exporters, the "
                "nodes of each outage); this one reaches %zu",
                MAX_REACH, r);
        }
    }
    if (rc < 0)
        goto out;
    /* Monthly result cells. */
    size_t units = n_demand + n_regions + 1;
    double cells = (double)sc->horizon_months * (double)units *
                   (double)sc->n_policies;
    if (cells > MAX_RESULT_CELLS) {
        yaml_node_t *h = sf_cfg_get(&L->y, root, "horizon_months");
        yaml_node_t *at = h != NULL ? h : sf_cfg_get(&L->y, root, "nodes");
        rc = sf_cfg_fail_at(
            &L->y, SF_ERR_LIMIT, sf_cfg_loc(at),
            h != NULL ? "horizon_months" : "nodes",
            "%d months x %zu units (demand nodes, regions, world) x %zu "
            "policy mix%s = %.0f monthly result cells, more than the limit "
            "of %d (a run keeps 8 KiB per cell, and again per thread)",
            sc->horizon_months, units, sc->n_policies,
            sc->n_policies == 1 ? "" : "es", cells, MAX_RESULT_CELLS);
    }
out:
    free(producers);
    free(implicit);
    free(from_country);
    free(in_country);
    free(linked);
    free(region);
    return rc;
}

/* ---- Entry points ----------------------------------------------------- */

/* Runs the passes over the document (see the file comment). */
static int parse_scenario(loader *L)
{
    sf_scenario *sc = L->sc;
    yaml_node_t *root = sf_cfg_root(&L->y), *n;
    int *order = NULL;
    int rc;
    size_t old;

#define SECTION(key, call)                                                     \
    do {                                                                       \
        n = sf_cfg_get(&L->y, root, key);                                      \
        if (rc == 0 && n != NULL) {                                            \
            old = sf_cfg_push_key(&L->y, key);                                 \
            rc = (call);                                                       \
            sf_cfg_pop(&L->y, old);                                            \
        }                                                                      \
    } while (0)

    rc = sf_cfg_expect(&L->y, root, YAML_MAPPING_NODE);
    if (rc == 0)
        rc = sf_cfg_check_keys(&L->y, root, top_keys, NULL, NULL);
    if (rc == 0)
        rc = parse_header(L, root);
    if (rc == 0 && sf_cfg_get(&L->y, root, "commodities") == NULL)
        rc = sf_cfg_fail_missing(&L->y, root, "commodities");
    SECTION("commodities", parse_commodities(L, n));
    SECTION("blocs", parse_blocs(L, n));
    if (rc == 0 && sf_cfg_get(&L->y, root, "nodes") == NULL)
        rc = sf_cfg_fail_missing(&L->y, root, "nodes");
    SECTION("nodes", parse_nodes(L, n));
    n = sf_cfg_get(&L->y, root, "policies");
    if (rc == 0) {
        old = sf_cfg_push_key(&L->y, "policies");
        rc = collect_policies(L, n, root);
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0)
        rc = build_countries(L);
    SECTION("links", parse_links(L, n));
    SECTION("shocks", parse_shocks(L, n));
    n = sf_cfg_get(&L->y, root, "policies");
    if (rc == 0) {
        old = sf_cfg_push_key(&L->y, "policies");
        rc = parse_interventions(L, n);
        sf_cfg_pop(&L->y, old);
    }
    SECTION("regimes", parse_regimes(L, n));
    SECTION("triggers", parse_triggers(L, n));
#undef SECTION
    if (rc < 0)
        goto out;
    order = malloc(sc->n_commodities * sizeof *order);
    if (order == NULL) {
        rc = nomem(L);
        goto out;
    }
    rc = check_cycle(L, order);
    if (rc == 0)
        rc = check_supply(L, order);
    if (rc == 0)
        rc = check_size(L, root);
out:
    free(order);
    return rc;
}

static void loader_free(loader *L)
{
    for (size_t i = 0; L->nx != NULL && i < L->sc->n_nodes; i++)
        free(L->nx[i].path);
    free(L->nx);
    nm_free(&L->node_ids);
    nm_free(&L->commodity_ids);
    nm_free(&L->shock_ids);
    nm_free(&L->policy_names);
    nm_free(&L->country_ids);
    nm_free(&L->bloc_names);
    nm_free(&L->state_names);
    free(L->bloc_lists);
    free(L->nc_node);
    free(L->nc_policy);
    free(L->shock_stamp);
}

/* Loads from text, which the scenario takes over (freed on failure). */
static int load_owned(sf_scenario *sc, char *text, size_t len,
                      const char *name, sf_error *err)
{
    loader L;
    int rc = 0;

    memset(sc, 0, sizeof *sc);
    memset(&L, 0, sizeof L);
    sc->text = text;
    sc->text_len = len;
    sc->file = strdup(name != NULL ? name : "(string)");
    if (sc->file == NULL) {
        rc = sf_error_set(err, SF_ERR_NOMEM, "%s: out of memory",
                          name != NULL ? name : "(string)");
        goto out;
    }
    L.sc = sc;
    rc = sf_cfg_open(&L.y, text, len, sc->file, err);
    if (rc == 0)
        rc = parse_scenario(&L);
out:
    loader_free(&L);
    sf_cfg_close(&L.y);
    if (rc < 0)
        sf_scenario_free(sc);
    return rc;
}

int sf_scenario_load_string(sf_scenario *sc, const char *text, size_t len,
                            const char *name, sf_error *err)
{
    char *copy = malloc(len + 1);

    if (copy == NULL) {
        memset(sc, 0, sizeof *sc);
        return sf_error_set(err, SF_ERR_NOMEM, "%s: out of memory",
                            name != NULL ? name : "(string)");
    }
    if (len > 0)
        memcpy(copy, text, len);
    copy[len] = '\0';
    return load_owned(sc, copy, len, name, err);
}

int sf_scenario_load(sf_scenario *sc, const char *path, sf_error *err)
{
    FILE *f = NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;

    memset(sc, 0, sizeof *sc);
    f = fopen(path, "rb");
    if (f == NULL) {
        rc = sf_error_set(err, SF_ERR_IO, "cannot read %s: %s", path,
                          strerror(errno));
        goto out;
    }
    /* A regular file's size is known before reading any of it: a 2 GB
     * file is refused at once.  Pipes and devices are cut off below. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uintmax_t)st.st_size > MAX_FILE_BYTES) {
        rc = sf_error_set(err, SF_ERR_LIMIT,
                          "%s: the file is larger than the 64 MiB limit "
                          "for scenarios",
                          path);
        goto out;
    }
    for (;;) {
        size_t got;
        if (cap - len < 65536) {
            size_t ncap = cap > 0 ? 2 * cap : 65536;
            char *nb;
            if (ncap > MAX_FILE_BYTES + 1)
                ncap = MAX_FILE_BYTES + 1;
            nb = realloc(buf, ncap + 1);
            if (nb == NULL) {
                rc = sf_error_set(err, SF_ERR_NOMEM, "%s: out of memory", path);
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (len > MAX_FILE_BYTES) {
            rc = sf_error_set(err, SF_ERR_LIMIT,
                              "%s: the file is larger than the 64 MiB limit "
                              "for scenarios",
                              path);
            goto out;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        rc = sf_error_set(err, SF_ERR_IO, "cannot read %s: %s", path,
                          strerror(errno));
        goto out;
    }
    buf[len] = '\0';
    rc = load_owned(sc, buf, len, path, err);
    buf = NULL; /* the scenario owns (or has freed) it now */
out:
    if (f != NULL)
        fclose(f);
    free(buf);
    return rc;
}

void sf_scenario_free(sf_scenario *sc)
{
    if (sc == NULL)
        return;
    free(sc->file);
    free(sc->text);
    free(sc->name);
    free(sc->description);
    free(sc->currency);
    for (size_t i = 0; i < sc->n_countries; i++)
        free(sc->countries[i]);
    free(sc->countries);
    for (size_t i = 0; i < sc->n_blocs; i++) {
        free(sc->blocs[i].name);
        free(sc->blocs[i].members.idx);
    }
    free(sc->blocs);
    for (size_t i = 0; i < sc->n_commodities; i++) {
        free(sc->commodities[i].id);
        free(sc->commodities[i].unit);
    }
    free(sc->commodities);
    for (size_t i = 0; i < sc->n_nodes; i++)
        free(sc->nodes[i].id);
    free(sc->nodes);
    free(sc->links);
    for (size_t i = 0; i < sc->n_shocks; i++)
        free_shock(&sc->shocks[i]);
    free(sc->shocks);
    for (size_t i = 0; i < sc->regimes.n_states; i++)
        free(sc->regimes.states[i]);
    free(sc->regimes.states);
    free(sc->regimes.transition);
    free(sc->regimes.multiplier);
    free(sc->triggers);
    for (size_t i = 0; i < sc->n_policies; i++) {
        free(sc->policies[i].name);
        free(sc->policies[i].interventions);
    }
    free(sc->policies);
    memset(sc, 0, sizeof *sc);
}

/* ---- Lookups ---------------------------------------------------------- */

int sf_scenario_node_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_commodity_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_commodities; i++)
        if (strcmp(sc->commodities[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_shock_index(const sf_scenario *sc, const char *id)
{
    for (size_t i = 0; i < sc->n_shocks; i++)
        if (strcmp(sc->shocks[i].id, id) == 0)
            return (int)i;
    return -1;
}

int sf_scenario_policy_index(const sf_scenario *sc, const char *name)
{
    for (size_t i = 0; i < sc->n_policies; i++)
        if (strcmp(sc->policies[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *sf_scenario_policy_nearest(const sf_scenario *sc,
                                       const char *name)
{
    sf_cfg_near near;
    sf_cfg_near_init(&near, name);
    for (size_t i = 0; i < sc->n_policies; i++)
        sf_cfg_near_add(&near, sc->policies[i].name);
    return sf_cfg_near_best(&near);
}

bool sf_country_set_has(const sf_country_set *set, int c)
{
    size_t lo = 0, hi = set->n;

    if (set->all)
        return true;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->idx[mid] == c)
            return true;
        if (set->idx[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}
