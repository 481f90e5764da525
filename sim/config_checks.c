/*
 * config_checks.c — the loader's checks on the scenario as a whole
 * (sim/config_loader.h): the commodity graph is acyclic, every demand node
 * can be supplied, and what the scenario makes the simulator build stays
 * within the size limits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_loader.h"

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
int sf_ld_check_cycle(loader *L, int *order)
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
int sf_ld_check_supply(loader *L, const int *order)
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

/* Market unknowns: per commodity, its producers and the restrictions
 * that may cover it (each is a quota group of its market). */
static int check_market_unknowns(loader *L, const size_t *producers)
{
    const sf_scenario *sc = L->sc;
    int rc = 0;

    for (size_t c = 0; c < sc->n_commodities && rc == 0; c++) {
        size_t quotas = 0;
        for (size_t k = 0; k < sc->n_shocks; k++) {
            const sf_shock *sh = &sc->shocks[k];
            bool covers = sh->all_commodities;
            for (size_t x = 0; !covers && x < sh->n_commodities; x++)
                covers = sh->commodities[x] == (int)c;
            quotas += sh->kind == SF_SHOCK_EXPORT_RESTRICTION && covers;
        }
        if (producers[c] + quotas > MAX_MARKET_UNKNOWNS) {
            char path[64];
            snprintf(path, sizeof path, "commodities[%zu]", c);
            rc = sf_cfg_fail_at(
                &L->y, SF_ERR_LIMIT, sc->commodities[c].loc, path,
                "'%s' has %zu producers and %zu export restrictions that "
                "cover it: its market would solve for %zu prices and quota "
                "premia at once, more than the limit of %d (the market "
                "solver's memory grows with the square of that number); "
                "merge producers into fewer nodes",
                q(L, sc->commodities[c].id), producers[c], quotas,
                producers[c] + quotas, MAX_MARKET_UNKNOWNS);
        }
    }
    return rc;
}

/* The limits on what the loaded scenario makes the simulator build: links
 * (given and implied), the links and nodes shocks reach, and the monthly
 * result cells.  Counted in time linear in the scenario, before anything
 * of that size is allocated (models/network.c builds the links). */
int sf_ld_check_size(loader *L, const yaml_node_t *root)
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
    rc = check_market_unknowns(L, producers);
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
        if (sf_shock_on_nodes(sh->kind) && sh->n_nodes > 0) {
            r = sh->n_nodes;
        } else if (sf_shock_on_nodes(sh->kind)) {
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
