/*
 * network.c — compiles a validated scenario into the flat sf_model the
 * month loop reads: node arrays, the commodity clearing order, eligible
 * links grouped by buyer and by supplier, and what each shock covers.
 *
 * The scenario has already been checked (sim/config*.c): the commodity graph
 * is acyclic and every reference resolves, so failures here are only
 * out-of-memory or broken invariants.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/model.h"

void sf_csr_free(sf_csr *c)
{
    free(c->start);
    free(c->item);
    memset(c, 0, sizeof *c);
}

int sf_csr_from_rows(sf_csr *c, size_t n_rows, const int *row_of,
                         size_t n_items)
{
    int ret = SF_ERR_NOMEM;
    size_t *fill = NULL;

    c->n_rows = n_rows;
    c->start = calloc(n_rows + 1, sizeof *c->start);
    c->item = malloc((n_items ? n_items : 1) * sizeof *c->item);
    fill = calloc(n_rows + 1, sizeof *fill);
    if (c->start == NULL || c->item == NULL || fill == NULL)
        goto out;
    for (size_t i = 0; i < n_items; i++)
        if (row_of[i] >= 0)
            c->start[row_of[i] + 1]++;
    for (size_t r = 0; r < n_rows; r++)
        c->start[r + 1] += c->start[r];
    memcpy(fill, c->start, (n_rows + 1) * sizeof *fill);
    for (size_t i = 0; i < n_items; i++)
        if (row_of[i] >= 0)
            c->item[fill[row_of[i]]++] = (int)i;
    ret = 0;
out:
    free(fill);
    return ret;
}

static int compile_nodes(sf_model *m, const sf_scenario *sc)
{
    size_t n = sc->n_nodes;

    m->kind = calloc(n, sizeof *m->kind);
    m->country = calloc(n, sizeof *m->country);
    m->input = calloc(n, sizeof *m->input);
    m->output = calloc(n, sizeof *m->output);
    m->cap_month = calloc(n, sizeof *m->cap_month);
    m->yield = calloc(n, sizeof *m->yield);
    m->buffer_months = calloc(n, sizeof *m->buffer_months);
    m->init_stock = calloc(n, sizeof *m->init_stock);
    m->stock_cap = calloc(n, sizeof *m->stock_cap);
    m->demand_month = calloc(n, sizeof *m->demand_month);
    m->growth_month = calloc(n, sizeof *m->growth_month);
    m->volatility = calloc(n, sizeof *m->volatility);
    m->policy_node = calloc(n, sizeof *m->policy_node);
    if (!m->kind || !m->country || !m->input || !m->output || !m->cap_month ||
        !m->yield || !m->buffer_months || !m->init_stock || !m->stock_cap ||
        !m->demand_month || !m->growth_month || !m->volatility ||
        !m->policy_node)
        return SF_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const sf_node *nd = &sc->nodes[i];
        m->kind[i] = nd->kind;
        m->country[i] = nd->country;
        m->input[i] = nd->input;
        m->output[i] = nd->output;
        m->cap_month[i] = nd->capacity / 12.0;
        m->yield[i] = nd->kind == SF_NODE_DEMAND ? 0.0 : nd->yield;
        m->buffer_months[i] = nd->input_buffer_months;
        /* A facility a policy builds starts with an empty input stock. */
        m->init_stock[i] = nd->defined_by_policy >= 0 ? 0.0
                                                        : nd->initial_input_stock;
        m->stock_cap[i] = nd->output_stock_cap;
        m->demand_month[i] = nd->demand / 12.0;
        m->growth_month[i] = pow(1.0 + nd->growth, 1.0 / 12.0);
        m->volatility[i] = nd->volatility;
        m->policy_node[i] = nd->defined_by_policy;
    }
    return 0;
}

/* A min-heap of commodity indices, for compile_order. */
static void heap_push(int *h, size_t *n, int v)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static int heap_pop(int *h, size_t *n)
{
    int top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = last;
    return top;
}

/* Kahn's algorithm on the commodity graph; among the commodities ready at
 * a step the one listed first in the file goes first, so the order is a
 * function of the file alone.  A heap holds the ready ones and the buyers
 * index finds the converters of each, so this is O((commodities + nodes)
 * log commodities), not quadratic. */
static int compile_order(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t nc = sc->n_commodities, n_ready = 0;
    size_t *indeg = calloc(nc ? nc : 1, sizeof *indeg);
    int *ready = malloc((nc ? nc : 1) * sizeof *ready);

    m->order = calloc(nc ? nc : 1, sizeof *m->order);
    if (indeg == NULL || ready == NULL || m->order == NULL)
        goto out;
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (m->input[i] >= 0 && m->output[i] >= 0)
            indeg[m->output[i]]++;
    for (size_t c = 0; c < nc; c++)
        if (indeg[c] == 0)
            heap_push(ready, &n_ready, (int)c);
    for (size_t k = 0; k < nc; k++) {
        sf_bug_assert(n_ready > 0); /* the loader rejects cycles */
        int c = heap_pop(ready, &n_ready);
        m->order[k] = c;
        for (size_t b = m->buyers.start[c]; b < m->buyers.start[c + 1]; b++) {
            int o = m->output[m->buyers.item[b]];
            if (o >= 0 && --indeg[o] == 0)
                heap_push(ready, &n_ready, o);
        }
    }
    ret = 0;
out:
    free(indeg);
    free(ready);
    return ret;
}

/* Eligible links, grouped by buyer in node order.  A buyer named in an
 * explicit link is served only by its explicit links (in file order);
 * otherwise by every node whose output is its input (in node order), with
 * weight = the supplier's nameplate capacity.  Two passes: count, fill.
 * The suppliers index and the given links grouped by buyer (to_links) keep
 * this proportional to the links, not to buyers x nodes. */
static size_t enumerate_links(sf_model *m, const sf_scenario *sc,
                              const sf_csr *to_links)
{
    size_t nl = 0;

    for (size_t j = 0; j < sc->n_nodes; j++) {
        if (m->input[j] < 0)
            continue;
        bool given = to_links->start[j] < to_links->start[j + 1];
        const sf_csr *idx = given ? to_links : &m->suppliers;
        size_t row = given ? j : (size_t)m->input[j];
        for (size_t k = idx->start[row]; k < idx->start[row + 1]; k++) {
            int from;
            double w;
            if (given) {
                const sf_link *lk = &sc->links[idx->item[k]];
                from = lk->from;
                w = lk->weight_given ? lk->weight : sc->nodes[from].capacity;
            } else {
                from = idx->item[k];
                w = sc->nodes[from].capacity;
            }
            if (m->link_from != NULL) {
                m->link_from[nl] = from;
                m->link_to[nl] = (int)j;
                m->link_weight[nl] = w;
                m->link_foreign[nl] = m->country[from] != m->country[j];
            }
            nl++;
        }
    }
    return nl;
}

static int compile_links(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t n = sc->n_nodes, nl;
    int *to = malloc((sc->n_links ? sc->n_links : 1) * sizeof *to);
    sf_csr to_links = {0};

    if (to == NULL)
        goto out;
    for (size_t l = 0; l < sc->n_links; l++)
        to[l] = sc->links[l].to;
    if (sf_csr_from_rows(&to_links, n, to, sc->n_links))
        goto out;
    nl = enumerate_links(m, sc, &to_links);
    m->n_links = nl;
    m->link_from = malloc((nl ? nl : 1) * sizeof *m->link_from);
    m->link_to = malloc((nl ? nl : 1) * sizeof *m->link_to);
    m->link_weight = malloc((nl ? nl : 1) * sizeof *m->link_weight);
    m->link_foreign = malloc((nl ? nl : 1) * sizeof *m->link_foreign);
    if (!m->link_from || !m->link_to || !m->link_weight || !m->link_foreign)
        goto out;
    sf_bug_assert(enumerate_links(m, sc, &to_links) == nl);
    if (sf_csr_from_rows(&m->by_buyer, n, m->link_to, nl) ||
        sf_csr_from_rows(&m->by_supplier, n, m->link_from, nl))
        goto out;
    ret = 0;
out:
    free(to);
    sf_csr_free(&to_links);
    return ret;
}

static bool has_commodity(const sf_shock *s, int c)
{
    if (s->all_commodities)
        return true;
    for (size_t i = 0; i < s->n_commodities; i++)
        if (s->commodities[i] == c)
            return true;
    return false;
}

/* Does shock s cover link l?  Flows within one country are never
 * restricted or tariffed. */
static bool covers_link(const sf_model *m, const sf_shock *s, size_t l)
{
    int from = m->link_from[l], to = m->link_to[l];
    int cf = m->country[from], ct = m->country[to];

    if (!m->link_foreign[l] || !has_commodity(s, m->output[from]))
        return false;
    if (s->kind == SF_SHOCK_EXPORT_RESTRICTION)
        return sf_country_set_has(&s->exporter, cf) &&
               sf_country_set_has(&s->targets, ct) &&
               !sf_country_set_has(&s->except, ct);
    if (s->kind == SF_SHOCK_TARIFF)
        return sf_country_set_has(&s->importer, ct) &&
               sf_country_set_has(&s->exporter, cf);
    return false;
}

static bool covers_node(const sf_model *m, const sf_shock *s, int i)
{
    if (!sf_shock_on_nodes(s->kind))
        return false;
    if (s->n_nodes > 0) {
        for (size_t k = 0; k < s->n_nodes; k++)
            if (s->nodes[k] == i)
                return true;
        return false;
    }
    return sf_country_set_has(&s->country, m->country[i]) &&
           (s->node_kind < 0 || (int)m->kind[i] == s->node_kind);
}

static int int_cmp(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Appends v to a growing array. */
static int push_item(int **v, size_t *n, size_t *cap, int x)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        int *p = realloc(*v, nc * sizeof *p);
        if (p == NULL)
            return SF_ERR_NOMEM;
        *v = p;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

/* The shock-by-link and shock-by-node CSRs of what each shock covers, in
 * increasing link and node order.  Only candidates are tested: the links
 * leaving a restriction's or tariff's exporter countries, the nodes of an
 * outage's countries or list (sim/config_checks.c bounds their total), so the
 * cost is not shocks x links. */
static int compile_coverage(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t ns = sc->n_shocks, nk = sc->n_countries;
    size_t nl = 0, nn = 0, cap_l = 0, cap_n = 0;
    int *row = malloc(((m->n_links > m->n_nodes ? m->n_links : m->n_nodes) + 1) *
                      sizeof *row);
    sf_csr from_country = {0}, node_country = {0};

    m->shock_links.n_rows = m->shock_nodes.n_rows = ns;
    m->shock_links.start = calloc(ns + 1, sizeof(size_t));
    m->shock_nodes.start = calloc(ns + 1, sizeof(size_t));
    if (row == NULL || m->shock_links.start == NULL ||
        m->shock_nodes.start == NULL)
        goto out;
    for (size_t l = 0; l < m->n_links; l++)
        row[l] = m->country[m->link_from[l]];
    if (sf_csr_from_rows(&from_country, nk, row, m->n_links))
        goto out;
    for (size_t i = 0; i < m->n_nodes; i++)
        row[i] = m->country[i];
    if (sf_csr_from_rows(&node_country, nk, row, m->n_nodes))
        goto out;
    for (size_t k = 0; k < ns; k++) {
        const sf_shock *s = &sc->shocks[k];
        size_t l0 = nl, n0 = nn;
        if (!sf_shock_on_nodes(s->kind)) {
            const sf_country_set *ex = &s->exporter;
            size_t nc = ex->all ? 1 : ex->n;
            for (size_t c = 0; c < nc; c++) {
                size_t lo = ex->all ? 0 : from_country.start[ex->idx[c]];
                size_t hi = ex->all ? m->n_links
                                    : from_country.start[ex->idx[c] + 1];
                for (size_t x = lo; x < hi; x++) {
                    size_t l = ex->all ? x : (size_t)from_country.item[x];
                    if (covers_link(m, s, l) &&
                        push_item(&m->shock_links.item, &nl, &cap_l, (int)l))
                        goto out;
                }
            }
            if (nl - l0 > 1) /* the list is NULL until an item is pushed */
                qsort(m->shock_links.item + l0, nl - l0, sizeof(int), int_cmp);
        } else if (s->n_nodes > 0) {
            for (size_t x = 0; x < s->n_nodes; x++)
                if (push_item(&m->shock_nodes.item, &nn, &cap_n, s->nodes[x]))
                    goto out;
            if (nn - n0 > 1)
                qsort(m->shock_nodes.item + n0, nn - n0, sizeof(int), int_cmp);
            size_t u = n0;
            for (size_t x = n0; x < nn; x++)
                if (x == n0 || m->shock_nodes.item[x] != m->shock_nodes.item[u - 1])
                    m->shock_nodes.item[u++] = m->shock_nodes.item[x];
            nn = u;
        } else {
            const sf_country_set *cs = &s->country;
            size_t nc = cs->all ? 1 : cs->n;
            for (size_t c = 0; c < nc; c++) {
                size_t lo = cs->all ? 0 : node_country.start[cs->idx[c]];
                size_t hi = cs->all ? m->n_nodes
                                    : node_country.start[cs->idx[c] + 1];
                for (size_t x = lo; x < hi; x++) {
                    int i = cs->all ? (int)x : node_country.item[x];
                    if (covers_node(m, s, i) &&
                        push_item(&m->shock_nodes.item, &nn, &cap_n, i))
                        goto out;
                }
            }
            if (nn - n0 > 1)
                qsort(m->shock_nodes.item + n0, nn - n0, sizeof(int), int_cmp);
        }
        m->shock_links.start[k + 1] = nl;
        m->shock_nodes.start[k + 1] = nn;
    }
    /* Never NULL, as before, even when nothing is covered. */
    if ((m->shock_links.item == NULL &&
         push_item(&m->shock_links.item, &nl, &cap_l, 0)) ||
        (m->shock_nodes.item == NULL &&
         push_item(&m->shock_nodes.item, &nn, &cap_n, 0)))
        goto out;
    ret = 0;
out:
    free(row);
    sf_csr_free(&from_country);
    sf_csr_free(&node_country);
    return ret;
}

static int compile_commodity_index(sf_model *m)
{
    int ret = SF_ERR_NOMEM;
    int *row = malloc((m->n_nodes ? m->n_nodes : 1) * sizeof *row);

    if (row == NULL)
        goto out;
    if (sf_csr_from_rows(&m->suppliers, m->n_commodities, m->output, m->n_nodes))
        goto out;
    for (size_t i = 0; i < m->n_nodes; i++)
        row[i] = m->input[i];
    if (sf_csr_from_rows(&m->buyers, m->n_commodities, row, m->n_nodes))
        goto out;
    ret = 0;
out:
    free(row);
    return ret;
}

/* Regions are the countries that have at least one demand node, in
 * country order. */
static int compile_demand(sf_model *m)
{
    size_t nd = 0, nr = 0;
    int *region_of_country = NULL;
    int ret = SF_ERR_NOMEM;

    for (size_t i = 0; i < m->n_nodes; i++)
        nd += m->kind[i] == SF_NODE_DEMAND;
    m->n_demand = nd;
    m->demand_nodes = malloc((nd ? nd : 1) * sizeof(int));
    m->demand_region = malloc((nd ? nd : 1) * sizeof(int));
    m->region_country = malloc((m->n_countries ? m->n_countries : 1) *
                               sizeof(int));
    region_of_country = malloc((m->n_countries ? m->n_countries : 1) *
                               sizeof(int));
    m->region_of_country = region_of_country;
    if (!m->demand_nodes || !m->demand_region || !m->region_country ||
        !region_of_country)
        goto out;
    for (size_t c = 0; c < m->n_countries; c++)
        region_of_country[c] = -1;
    for (size_t i = 0; i < m->n_nodes; i++)
        if (m->kind[i] == SF_NODE_DEMAND)
            region_of_country[m->country[i]] = 0;
    for (size_t c = 0; c < m->n_countries; c++)
        if (region_of_country[c] == 0) {
            region_of_country[c] = (int)nr;
            m->region_country[nr++] = (int)c;
        }
    m->n_regions = nr;
    nd = 0;
    for (size_t i = 0; i < m->n_nodes; i++)
        if (m->kind[i] == SF_NODE_DEMAND) {
            m->demand_nodes[nd] = (int)i;
            m->demand_region[nd++] = region_of_country[m->country[i]];
        }
    ret = 0;
out:
    return ret;
}

/* The market parameters of every commodity and node (docs/model.md). */
static int compile_market(sf_model *m, const sf_scenario *sc)
{
    size_t nc = m->n_commodities ? m->n_commodities : 1;
    size_t nn = m->n_nodes ? m->n_nodes : 1;

    m->c_price = calloc(nc, sizeof(double));
    m->c_sigma = calloc(nc, sizeof(double));
    m->c_beta = calloc(nc, sizeof(double));
    m->c_cap = calloc(nc, sizeof(double));
    m->elasticity = calloc(nn, sizeof(double));
    m->inventory = calloc(nn, sizeof(double));
    m->inventory_refill = calloc(nn, sizeof(double));
    m->release_price = calloc(nn, sizeof(double));
    if (!m->c_price || !m->c_sigma || !m->c_beta || !m->c_cap ||
        !m->elasticity || !m->inventory || !m->inventory_refill ||
        !m->release_price)
        return SF_ERR_NOMEM;
    for (size_t c = 0; c < m->n_commodities; c++) {
        const sf_commodity *k = &sc->commodities[c];
        m->c_price[c] = k->price;
        m->c_sigma[c] = k->substitution_elasticity;
        m->c_beta[c] = k->supply_elasticity;
        m->c_cap[c] = k->price_cap;
    }
    for (size_t i = 0; i < m->n_nodes; i++) {
        const sf_node *nd = &sc->nodes[i];
        m->elasticity[i] = nd->elasticity;
        if (nd->kind == SF_NODE_DEMAND) {
            m->inventory[i] = nd->inventory_months * nd->demand / 12.0;
            m->inventory_refill[i] = m->inventory[i] /
                                     nd->inventory_refill_months;
            m->release_price[i] = nd->release_price;
        }
    }
    return 0;
}

/* Quota groups: the links each export restriction covers, split by
 * commodity, in increasing link order. */
static int compile_groups(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t ng = 0, nl = m->shock_links.start[m->n_shocks];
    int *row = malloc((nl ? nl : 1) * sizeof *row);
    int *gshock = NULL;

    m->group_shock = malloc((nl ? nl : 1) * sizeof(int));
    m->group_commodity = malloc((nl ? nl : 1) * sizeof(int));
    gshock = malloc((nl ? nl : 1) * sizeof(int));
    if (!row || !m->group_shock || !m->group_commodity || !gshock)
        goto out;
    /* row[x]: the group of the x-th covered link (in shock_links order). */
    for (size_t k = 0; k < m->n_shocks; k++) {
        size_t g0 = ng;
        for (size_t x = m->shock_links.start[k];
             x < m->shock_links.start[k + 1]; x++)
            row[x] = -1;
        if (sc->shocks[k].kind != SF_SHOCK_EXPORT_RESTRICTION)
            continue;
        for (size_t x = m->shock_links.start[k];
             x < m->shock_links.start[k + 1]; x++) {
            int c = m->output[m->link_from[m->shock_links.item[x]]];
            size_t g = g0;
            while (g < ng && m->group_commodity[g] != c)
                g++;
            if (g == ng) {
                m->group_shock[ng] = (int)k;
                m->group_commodity[ng] = c;
                ng++;
            }
            row[x] = (int)g;
        }
    }
    m->n_groups = ng;
    /* The groups' links: rows by group of the covered links. */
    sf_csr by_group = {0};
    if (sf_csr_from_rows(&by_group, ng, row, nl))
        goto out;
    for (size_t x = 0; x < by_group.start[ng]; x++)
        by_group.item[x] = m->shock_links.item[by_group.item[x]];
    m->group_links = by_group;
    for (size_t g = 0; g < ng; g++)
        gshock[g] = m->group_shock[g];
    if (sf_csr_from_rows(&m->shock_groups, m->n_shocks, gshock, ng))
        goto out;
    ret = 0;
out:
    free(row);
    free(gshock);
    return ret;
}

/* Each commodity's market graph (models/clearing.h): its suppliers and
 * buyers in node order, links grouped by buyer (in by_buyer order), and
 * the quota groups of the commodity with each link's memberships. */
static int compile_graphs(sf_model *m)
{
    size_t nc = m->n_commodities, nn = m->n_nodes;
    int ret = SF_ERR_NOMEM;
    int *gloc = malloc((m->n_groups ? m->n_groups : 1) * sizeof *gloc);
    /* Per link, its groups (a link is in at most one group per shock). */
    int *lrow = NULL;
    sf_csr link_groups = {0};
    size_t nmem = m->group_links.start[m->n_groups];

    m->graph = calloc(nc ? nc : 1, sizeof *m->graph);
    m->sup_local = malloc((nn ? nn : 1) * sizeof(int));
    m->buy_local = malloc((nn ? nn : 1) * sizeof(int));
    m->link_local = malloc((m->n_links ? m->n_links : 1) * sizeof(int));
    lrow = malloc((nmem ? nmem : 1) * sizeof *lrow);
    if (!gloc || !m->graph || !m->sup_local || !m->buy_local ||
        !m->link_local || !lrow)
        goto out;
    for (size_t i = 0; i < nn; i++)
        m->sup_local[i] = m->buy_local[i] = -1;
    /* link_groups: rows = links, items = indices into group_links.item;
     * the group of membership x is found through mem_group. */
    int *mem_group = malloc((nmem ? nmem : 1) * sizeof *mem_group);
    if (mem_group == NULL)
        goto out;
    for (size_t g = 0; g < m->n_groups; g++)
        for (size_t x = m->group_links.start[g];
             x < m->group_links.start[g + 1]; x++) {
            lrow[x] = m->group_links.item[x];
            mem_group[x] = (int)g;
        }
    if (sf_csr_from_rows(&link_groups, m->n_links, lrow, nmem)) {
        free(mem_group);
        goto out;
    }
    for (size_t c = 0; c < nc; c++) {
        sf_market_graph *g = &m->graph[c];
        size_t s0 = m->suppliers.start[c], s1 = m->suppliers.start[c + 1];
        size_t b0 = m->buyers.start[c], b1 = m->buyers.start[c + 1];
        g->ns = s1 - s0;
        g->nb = b1 - b0;
        for (size_t k = s0; k < s1; k++)
            m->sup_local[m->suppliers.item[k]] = (int)(k - s0);
        for (size_t k = b0; k < b1; k++)
            m->buy_local[m->buyers.item[k]] = (int)(k - b0);
        for (size_t x = 0; x < m->n_groups; x++)
            gloc[x] = -1;
        for (size_t x = 0; x < m->n_groups; x++)
            if (m->group_commodity[x] == (int)c)
                gloc[x] = (int)g->ng++;
        for (size_t k = b0; k < b1; k++) {
            int j = m->buyers.item[k];
            g->nl += m->by_buyer.start[j + 1] - m->by_buyer.start[j];
        }
        size_t nl = g->nl, mem = 0;
        g->sup_node = malloc((g->ns ? g->ns : 1) * sizeof(int));
        g->buy_node = malloc((g->nb ? g->nb : 1) * sizeof(int));
        g->buy_start = calloc(g->nb + 1, sizeof(size_t));
        g->lk_sup = malloc((nl ? nl : 1) * sizeof(int));
        g->lk_link = malloc((nl ? nl : 1) * sizeof(int));
        g->lk_gstart = calloc(nl + 1, sizeof(size_t));
        g->group_id = malloc((g->ng ? g->ng : 1) * sizeof(int));
        if (!g->sup_node || !g->buy_node || !g->buy_start || !g->lk_sup ||
            !g->lk_link || !g->lk_gstart || !g->group_id)
            break;
        for (size_t k = s0; k < s1; k++)
            g->sup_node[k - s0] = m->suppliers.item[k];
        for (size_t x = 0; x < m->n_groups; x++)
            if (gloc[x] >= 0)
                g->group_id[gloc[x]] = (int)x;
        size_t l = 0;
        for (size_t k = b0; k < b1; k++) {
            int j = m->buyers.item[k];
            g->buy_node[k - b0] = j;
            for (size_t y = m->by_buyer.start[j]; y < m->by_buyer.start[j + 1];
                 y++) {
                int lk = m->by_buyer.item[y];
                g->lk_sup[l] = m->sup_local[m->link_from[lk]];
                g->lk_link[l] = lk;
                m->link_local[lk] = (int)l;
                mem += link_groups.start[lk + 1] - link_groups.start[lk];
                l++;
            }
            g->buy_start[k - b0 + 1] = l;
        }
        g->lk_group = malloc((mem ? mem : 1) * sizeof(int));
        if (g->lk_group == NULL)
            break;
        mem = 0;
        for (l = 0; l < nl; l++) {
            int lk = g->lk_link[l];
            g->lk_gstart[l] = mem;
            for (size_t y = link_groups.start[lk]; y < link_groups.start[lk + 1];
                 y++)
                g->lk_group[mem++] = gloc[mem_group[link_groups.item[y]]];
        }
        g->lk_gstart[nl] = mem;
        if (sf_market_graph_index(g))
            break;
        m->max_suppliers = g->ns > m->max_suppliers ? g->ns : m->max_suppliers;
        m->max_buyers = g->nb > m->max_buyers ? g->nb : m->max_buyers;
        m->max_clink = nl > m->max_clink ? nl : m->max_clink;
        m->max_cgroups = g->ng > m->max_cgroups ? g->ng : m->max_cgroups;
        if (c + 1 == nc)
            ret = 0;
    }
    if (nc == 0)
        ret = 0;
    free(mem_group);
out:
    free(gloc);
    free(lrow);
    sf_csr_free(&link_groups);
    return ret;
}

/* The producers that may exit: those with a unit cost. */
static int compile_exits(sf_model *m, const sf_scenario *sc)
{
    m->n_exit = 0;
    m->exit_nodes = malloc((m->n_nodes ? m->n_nodes : 1) * sizeof(int));
    if (m->exit_nodes == NULL)
        return SF_ERR_NOMEM;
    for (size_t i = 0; i < m->n_nodes; i++)
        if (sc->nodes[i].kind != SF_NODE_DEMAND && sc->nodes[i].unit_cost > 0)
            m->exit_nodes[m->n_exit++] = (int)i;
    return 0;
}

int sf_model_init(sf_model *m, const sf_scenario *sc, sf_error *err)
{
    int ret;

    memset(m, 0, sizeof *m);
    m->sc = sc;
    m->n_nodes = sc->n_nodes;
    m->n_commodities = sc->n_commodities;
    m->n_countries = sc->n_countries;
    m->n_shocks = sc->n_shocks;
    m->n_policies = sc->n_policies;
    if ((ret = compile_nodes(m, sc)) != 0 ||
        (ret = compile_commodity_index(m)) != 0 ||
        (ret = compile_order(m, sc)) != 0 ||
        (ret = compile_links(m, sc)) != 0 ||
        (ret = compile_coverage(m, sc)) != 0 ||
        (ret = compile_demand(m)) != 0 ||
        (ret = compile_exits(m, sc)) != 0 ||
        (ret = compile_market(m, sc)) != 0 ||
        (ret = compile_groups(m, sc)) != 0 ||
        (ret = compile_graphs(m)) != 0)
        goto out;
out:
    if (ret != 0)
        sf_error_set(err, ret, "%s: compiling the network: %s", sc->file,
                     sf_strerror(ret));
    return ret;
}

void sf_model_free(sf_model *m)
{
    if (m == NULL)
        return;
    free(m->kind);
    free(m->country);
    free(m->input);
    free(m->output);
    free(m->cap_month);
    free(m->yield);
    free(m->buffer_months);
    free(m->init_stock);
    free(m->stock_cap);
    free(m->demand_month);
    free(m->growth_month);
    free(m->volatility);
    free(m->policy_node);
    free(m->order);
    sf_csr_free(&m->suppliers);
    sf_csr_free(&m->buyers);
    free(m->link_from);
    free(m->link_to);
    free(m->link_weight);
    free(m->link_foreign);
    sf_csr_free(&m->by_buyer);
    sf_csr_free(&m->by_supplier);
    sf_csr_free(&m->shock_links);
    sf_csr_free(&m->shock_nodes);
    free(m->demand_nodes);
    free(m->exit_nodes);
    free(m->region_country);
    free(m->demand_region);
    free(m->region_of_country);
    free(m->c_price);
    free(m->c_sigma);
    free(m->c_beta);
    free(m->c_cap);
    free(m->elasticity);
    free(m->inventory);
    free(m->inventory_refill);
    free(m->release_price);
    free(m->group_shock);
    free(m->group_commodity);
    sf_csr_free(&m->group_links);
    sf_csr_free(&m->shock_groups);
    if (m->graph)
        for (size_t c = 0; c < m->n_commodities; c++)
            sf_market_graph_free(&m->graph[c]);
    free(m->graph);
    free(m->sup_local);
    free(m->buy_local);
    free(m->link_local);
    memset(m, 0, sizeof *m);
}

int sf_model_find_link(const sf_model *m, int from, int to)
{
    for (size_t k = m->by_buyer.start[to]; k < m->by_buyer.start[to + 1]; k++)
        if (m->link_from[m->by_buyer.item[k]] == from)
            return m->by_buyer.item[k];
    return -1;
}

bool sf_model_region_buys(const sf_model *m, size_t c, size_t r)
{
    for (size_t k = m->buyers.start[c]; k < m->buyers.start[c + 1]; k++)
        if (m->region_of_country[m->country[m->buyers.item[k]]] == (int)r)
            return true;
    return false;
}

const char *sf_model_demand_unit(const sf_model *m)
{
    const char *unit = NULL;
    for (size_t d = 0; d < m->n_demand; d++) {
        const char *u = m->sc->commodities[m->input[m->demand_nodes[d]]].unit;
        if (unit != NULL && strcmp(unit, u) != 0)
            return "units";
        unit = u;
    }
    return unit ? unit : "units";
}
