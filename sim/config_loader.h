/*
 * config_loader.h — the scenario loader's own header, shared by its files
 * and not installed: the limits, the loader's state, and the field readers
 * every part of the schema reads with.  The loader is
 *
 *   sim/config.c           parse_scenario (the passes) and the entry points
 *   sim/config_fields.c    name maps and field readers, ids claimed once
 *   sim/config_values.c    distributions, country sets, commodity lists
 *   sim/config_network.c   the header, commodities, blocs, nodes,
 *                          countries, links
 *   sim/config_shocks.c    shocks, policy tariffs, regimes, triggers
 *   sim/config_policies.c  policies and interventions
 *   sim/config_checks.c    whole-scenario checks: cycle, supply, size
 *
 * over the YAML document layer (config_internal.h, sim/yamlnode.c).  What
 * one file calls in another is named sf_ld_* (the library exports only sf_
 * names); the rest of each file is static.  Every function that can fail
 * returns 0 or a negative SF_ERR_* code with the message in L->y.err
 * ("file:line:col: key.path: message").
 */
#ifndef SF_CONFIG_LOADER_H
#define SF_CONFIG_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "shortfall/scenario.h"

#define MAX_FILE_BYTES ((size_t)64 << 20)
#define MAX_HORIZON 12000
#define MAX_TRIALS 1000000000000LL
/* Size limits past which a scenario is refused (SF_ERR_LIMIT), so that
 * what a file asks for is bounded in time and memory; docs/reliability.md
 * lists them.  Policy mixes: sim/cli/run.c keeps the mixes of a run (and of
 * each batch variant) in arrays of MAX_POLICY_ARGS + 1 = 257. */
#define MAX_POLICIES 256
/* Supplier-buyer links, given and implied (every producer of a buyer's
 * input serves it unless the buyer has given links). */
#define MAX_LINKS 1000000
/* Unknowns of one commodity's market: its producers' prices and the
 * premia of the export restrictions covering it.  models/clearing.c solves
 * them with a dense Newton step, memory n^2 doubles per thread and time
 * n^3 per iteration: 2,000 is 32 MB and far beyond any real market. */
#define MAX_MARKET_UNKNOWNS 2000
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

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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

/* What the loader knows about a node besides the sf_node. */
typedef struct {
    const char *country; /* the code as written (in the YAML document) */
    char *path;          /* key path of its mapping, for later messages */
    int built_pass_a;    /* policy + 1 that last built it (first pass) */
    int built;           /* policy + 1 being read that builds it */
    int stockpile;       /* policy + 1 that has a stockpile on it */
    int recycling;
    int reduction;
    int floor;           /* policy + 1 that has a price floor on it */
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


/* The range a number must lie in (check_range). */
typedef enum { R_ANY, R_GE0, R_GT0, R_UNIT, R_UNIT_LOPEN, R_GT_M1 } range_kind;

/* The bound a distribution's role puts on its values (dist_field). */
typedef enum { BOUND_NONE, BOUND_UNIT, BOUND_NONNEG } dist_bound;

/* ---- Small helpers ------------------------------------------------------ */

static inline int nomem(loader *L)
{
    return sf_cfg_nomem(&L->y);
}

static inline int dup_str(loader *L, const char *s, char **out)
{
    *out = strdup(s);
    return *out != NULL ? 0 : nomem(L);
}

static inline size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static inline yaml_node_t *seq_item(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.sequence.items.start[i]);
}

static inline size_t map_len(const yaml_node_t *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static inline yaml_node_t *map_key(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.mapping.pairs.start[i].key);
}

static inline yaml_node_t *map_value(loader *L, const yaml_node_t *n, size_t i)
{
    return sf_cfg_node(&L->y, n->data.mapping.pairs.start[i].value);
}

static inline const char *q(loader *L, const char *s)
{
    return sf_cfg_q(&L->y, s);
}

/* ---- sim/config_fields.c ------------------------------------------------- */

/* Makes room for need elements of size elem in *arr, zeroing new ones. */
SF_MUST_CHECK
int sf_ld_grow(void **arr, size_t *cap, size_t need, size_t elem);

/* The value of key in m, or -1. */
int sf_ld_nm_find(const name_map *m, const char *key);

/* Adds key (not yet present); returns 0 or SF_ERR_NOMEM. */
SF_MUST_CHECK
int sf_ld_nm_put(name_map *m, const char *key, int val);

void sf_ld_nm_free(name_map *m);

/* The size limit of every number (MAX_NUMBER). */
SF_MUST_CHECK
int sf_ld_check_size_of(loader *L, const yaml_node_t *n, double v);

/* The size limit and the range r of v, read at n. */
SF_MUST_CHECK
int sf_ld_check_range(loader *L, const yaml_node_t *n, double v,
                       range_kind r);

/* A number under key; absent: missing-key error if required, else *out is
 * left alone (the caller's default) and *given is false. */
SF_MUST_CHECK
int sf_ld_num_field(loader *L, const yaml_node_t *map, const char *key,
                     bool required, range_kind r, double *out, bool *given);

/* A number under key within (lo, hi] or [lo, hi] (lo_open says which);
 * absent: *out is left alone and *given is false. */
int sf_ld_bounded_field(loader *L, const yaml_node_t *map, const char *key,
                        double lo, bool lo_open, double hi, double *out,
                        bool *given);

/* A required integer in [lo, hi] under key; past hi is hi_code. */
SF_MUST_CHECK
int sf_ld_int_field(loader *L, const yaml_node_t *map, const char *key,
                     long long lo, long long hi, int hi_code, long long *out);

/* A required string under key; *at receives its node when not NULL. */
SF_MUST_CHECK
int sf_ld_str_field(loader *L, const yaml_node_t *map, const char *key,
                     const char **out, yaml_node_t **at);

/* s is a valid id (letters, digits, '_', '.', '-') and can name a
 * group of the results file. */
SF_MUST_CHECK
int sf_ld_check_id(loader *L, const yaml_node_t *n, const char *s);

/* A required id under key (sf_ld_check_id); *at receives its node. */
SF_MUST_CHECK
int sf_ld_id_field(loader *L, const yaml_node_t *map, const char *key,
                    const char **out, yaml_node_t **at);

/* Appends "; known: a, b" (when there are few) to an unknown-name error. */
int sf_ld_unknown_name(loader *L, const yaml_node_t *n, const char *what,
                        const char *name, const name_map *m,
                        const name_map *m2);

/* Reads a name at n and resolves it in m. */
SF_MUST_CHECK
int sf_ld_ref_at(loader *L, const yaml_node_t *n, const name_map *m,
                  const char *what, int *out);

/* A required name under key, resolved in m. */
SF_MUST_CHECK
int sf_ld_ref_field(loader *L, const yaml_node_t *map, const char *key,
                     const name_map *m, const char *what, int *out,
                     yaml_node_t **at);

/* One of a fixed list of names (a kind, a distribution). */
SF_MUST_CHECK
int sf_ld_enum_at(loader *L, const yaml_node_t *n, const char *const *names,
                   size_t count, const char *what, int *out);

/* A required name of a fixed list under key. */
SF_MUST_CHECK
int sf_ld_enum_field(loader *L, const yaml_node_t *map, const char *key,
                      const char *const *names, size_t count,
                      const char *what, int *out);

/* Checks that a list holds strings and none twice (the first repeat in
 * file order is reported). */
SF_MUST_CHECK
int sf_ld_check_unique_items(loader *L, const yaml_node_t *seq,
                              const char *what);

/* An id used twice: s, read at `at` under key, is already the id of
 * list[prev] ("commodity id 'a' is already used by commodities[0]"). */
int sf_ld_id_taken(loader *L, const yaml_node_t *at, const char *key,
                   const char *what, const char *list, const char *s,
                   int prev);

/* Claims id s, read at `at` under key, for entry `index` of m: taken
 * already (sf_ld_id_taken), or added; with copy, the map keys the copy of
 * s made into *copy (which the scenario owns), else s itself. */
SF_MUST_CHECK
int sf_ld_claim_id(loader *L, name_map *m, const yaml_node_t *at,
                   const char *key, const char *what, const char *list,
                   const char *s, int index, char **copy);

/* Sorts and removes repeats in place; returns the new length. */
size_t sf_ld_sort_unique(int *v, size_t n);

/* The keys of a mapping that has no kind yet (so that "knd" is reported
 * as a misspelling, not "kind" as missing); with a kind, the keys are
 * checked against the kind's own list instead. */
SF_MUST_CHECK
int sf_ld_check_keys_without_kind(loader *L, const yaml_node_t *map,
                                   const char *const *all);

/* ---- sim/config_network.c ------------------------------------------------ */

/* "a mine", "a refiner", ...: a node kind in a sentence. */
extern const char *const sf_ld_node_kind_what[SF_NODE_KIND_COUNT];

/* A distribution under key (a number, or {dist: NAME, params}) within
 * the role's bound; label names the role in messages. */
SF_MUST_CHECK
int sf_ld_dist_field(loader *L, const yaml_node_t *map, const char *key,
                      bool required, dist_bound bound, const char *label,
                      sf_dist *d, bool *given);

/* A country set under key: "all" (when allowed), a country code or bloc
 * name, or a list of them (empty when allowed). */
SF_MUST_CHECK
int sf_ld_cset_field(loader *L, const yaml_node_t *map, const char *key,
                      bool required, bool allow_all, bool allow_empty,
                      sf_country_set *out);

/* commodities: a list of ids, one id, or all. */
SF_MUST_CHECK
int sf_ld_commodity_list_field(loader *L, const yaml_node_t *map,
                                sf_shock *s);

/* The top level: name, description, horizon_months, trials, seed. */
SF_MUST_CHECK
int sf_ld_parse_header(loader *L, const yaml_node_t *root);

/* commodities: */
SF_MUST_CHECK
int sf_ld_parse_commodities(loader *L, const yaml_node_t *list);

/* Bloc names and member codes; the members are resolved to country
 * indices once every country is known. */
SF_MUST_CHECK
int sf_ld_parse_blocs(loader *L, const yaml_node_t *map);

/* nodes: the scenario's own. */
SF_MUST_CHECK
int sf_ld_parse_nodes(loader *L, const yaml_node_t *list);

/* The node of a new_capacity intervention of policy p: appended, or the
 * same node another policy already defined. */
SF_MUST_CHECK
int sf_ld_parse_policy_node(loader *L, const yaml_node_t *map, int p,
                             int *index);

/* The known countries: those of all nodes and all bloc members, sorted. */
SF_MUST_CHECK
int sf_ld_build_countries(loader *L);

/* links: */
SF_MUST_CHECK
int sf_ld_parse_links(loader *L, const yaml_node_t *list);

/* ---- sim/config_shocks.c ------------------------------------------------- */

/* shocks: */
SF_MUST_CHECK
int sf_ld_parse_shocks(loader *L, const yaml_node_t *list);

/* A policy tariff: appended to the shocks, or the same tariff another
 * policy already defined. */
SF_MUST_CHECK
int sf_ld_parse_policy_tariff(loader *L, const yaml_node_t *map, int p,
                               int *index);

/* regimes: states, start, transitions, multipliers. */
SF_MUST_CHECK
int sf_ld_parse_regimes(loader *L, const yaml_node_t *map);

/* triggers: */
SF_MUST_CHECK
int sf_ld_parse_triggers(loader *L, const yaml_node_t *list);

/* ---- sim/config_policies.c ----------------------------------------------- */

/* First pass over policies: names, the kind and keys of every
 * intervention, and the nodes that new_capacity interventions define. */
SF_MUST_CHECK
int sf_ld_collect_policies(loader *L, const yaml_node_t *list,
                            const yaml_node_t *root);

/* A shock reference that must be hazard-driven. */
SF_MUST_CHECK
int sf_ld_hazard_shock_field(loader *L, const yaml_node_t *map,
                              const char *key, const char *why, int *out);

/* Second pass over policies: everything that names nodes or shocks. */
SF_MUST_CHECK
int sf_ld_parse_interventions(loader *L, const yaml_node_t *list);

/* ---- sim/config_checks.c ------------------------------------------------- */

/* The commodity graph (input -> output of every converter) must be
 * acyclic; on success order[] holds the commodities in topological order. */
SF_MUST_CHECK
int sf_ld_check_cycle(loader *L, int *order);

/* Every demand node of the scenario's own nodes must be reachable from a
 * mine with capacity in the baseline network (without policy nodes).  A
 * producer can deliver when it has capacity and, for a converter, one of
 * its eligible suppliers can: those of its explicit links, or else every
 * scenario node whose output is its input. */
SF_MUST_CHECK
int sf_ld_check_supply(loader *L, const int *order);

/* The limits on what the loaded scenario makes the simulator build: links
 * (given and implied), the links and nodes shocks reach, and the monthly
 * result cells.  Counted in time linear in the scenario, before anything
 * of that size is allocated (models/network.c builds the links). */
SF_MUST_CHECK
int sf_ld_check_size(loader *L, const yaml_node_t *root);

#endif
