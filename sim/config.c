/*
 * config.c — the scenario loader: reads a scenario file, checks it against
 * the schema (docs/scenarios.md; docs/model.md: The network, Shocks,
 * Policies) and fills an sf_scenario with every name resolved, every
 * default applied and every "_months" amount converted to units.  This file runs the passes and
 * holds the entry points; the parts of the schema are the other
 * sim/config_*.c files (their map is sim/config_loader.h), and the YAML
 * document layer (message format, key paths, typed scalars) is
 * sim/yamlnode.c.
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

#include "config_loader.h"

/* ---- Schema: keys ----------------------------------------------------- */

static const char *const top_keys[] = {
    "name",   "description", "horizon_months", "trials", "seed",
    "blocs",  "commodities", "nodes",          "links",  "shocks",
    "regimes", "triggers",   "policies",       "currency",
    "discount_rate", "start", "quantiles", NULL};

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
        rc = sf_ld_parse_header(L, root);
    if (rc == 0 && sf_cfg_get(&L->y, root, "commodities") == NULL)
        rc = sf_cfg_fail_missing(&L->y, root, "commodities");
    SECTION("commodities", sf_ld_parse_commodities(L, n));
    SECTION("blocs", sf_ld_parse_blocs(L, n));
    if (rc == 0 && sf_cfg_get(&L->y, root, "nodes") == NULL)
        rc = sf_cfg_fail_missing(&L->y, root, "nodes");
    SECTION("nodes", sf_ld_parse_nodes(L, n));
    n = sf_cfg_get(&L->y, root, "policies");
    if (rc == 0) {
        old = sf_cfg_push_key(&L->y, "policies");
        rc = sf_ld_collect_policies(L, n, root);
        sf_cfg_pop(&L->y, old);
    }
    if (rc == 0)
        rc = sf_ld_build_countries(L);
    SECTION("links", sf_ld_parse_links(L, n));
    SECTION("shocks", sf_ld_parse_shocks(L, n));
    n = sf_cfg_get(&L->y, root, "policies");
    if (rc == 0) {
        old = sf_cfg_push_key(&L->y, "policies");
        rc = sf_ld_parse_interventions(L, n);
        sf_cfg_pop(&L->y, old);
    }
    SECTION("regimes", sf_ld_parse_regimes(L, n));
    SECTION("triggers", sf_ld_parse_triggers(L, n));
#undef SECTION
    if (rc < 0)
        goto out;
    order = malloc(sc->n_commodities * sizeof *order);
    if (order == NULL) {
        rc = nomem(L);
        goto out;
    }
    rc = sf_ld_check_cycle(L, order);
    if (rc == 0)
        rc = sf_ld_check_supply(L, order);
    if (rc == 0)
        rc = sf_ld_check_size(L, root);
out:
    free(order);
    return rc;
}

static void loader_free(loader *L)
{
    for (size_t i = 0; L->nx != NULL && i < L->sc->n_nodes; i++)
        free(L->nx[i].path);
    free(L->nx);
    sf_ld_nm_free(&L->node_ids);
    sf_ld_nm_free(&L->commodity_ids);
    sf_ld_nm_free(&L->shock_ids);
    sf_ld_nm_free(&L->policy_names);
    sf_ld_nm_free(&L->country_ids);
    sf_ld_nm_free(&L->bloc_names);
    sf_ld_nm_free(&L->state_names);
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

/* ---- Look-ups (the others are sim/scenario.c) ---------------------------- */

const char *sf_scenario_policy_nearest(const sf_scenario *sc,
                                       const char *name)
{
    sf_cfg_near near;
    sf_cfg_near_init(&near, name);
    for (size_t i = 0; i < sc->n_policies; i++)
        sf_cfg_near_add(&near, sc->policies[i].name);
    return sf_cfg_near_best(&near);
}
