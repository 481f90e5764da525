/*
 * network.c — compiles a validated scenario into the flat sf_model the
 * month loop reads: node arrays, the commodity clearing order, eligible
 * links grouped by buyer and by supplier, and what each shock covers.
 *
 * The scenario has already been checked (sim/config.c): the commodity graph
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

/* Kahn's algorithm on the commodity graph; among the commodities ready at
 * a step the one listed first in the file goes first, so the order is a
 * function of the file alone. */
static int compile_order(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t nc = sc->n_commodities;
    size_t *indeg = calloc(nc ? nc : 1, sizeof *indeg);
    bool *done = calloc(nc ? nc : 1, sizeof *done);

    m->order = calloc(nc ? nc : 1, sizeof *m->order);
    if (indeg == NULL || done == NULL || m->order == NULL)
        goto out;
    for (size_t i = 0; i < sc->n_nodes; i++)
        if (m->input[i] >= 0 && m->output[i] >= 0)
            indeg[m->output[i]]++;
    for (size_t k = 0; k < nc; k++) {
        size_t c = 0;
        while (c < nc && (done[c] || indeg[c] != 0))
            c++;
        sf_bug_assert(c < nc); /* the loader rejects cycles */
        done[c] = true;
        m->order[k] = (int)c;
        for (size_t i = 0; i < sc->n_nodes; i++)
            if (m->input[i] == (int)c && m->output[i] >= 0)
                indeg[m->output[i]]--;
    }
    ret = 0;
out:
    free(indeg);
    free(done);
    return ret;
}

/* Eligible links, grouped by buyer in node order.  A buyer named in an
 * explicit link is served only by its explicit links (in file order);
 * otherwise by every node whose output is its input (in node order), with
 * weight = the supplier's nameplate capacity.  Two passes: count, fill. */
static size_t enumerate_links(sf_model *m, const sf_scenario *sc,
                              const bool *explicit_in)
{
    size_t nl = 0;

    for (size_t j = 0; j < sc->n_nodes; j++) {
        if (m->input[j] < 0)
            continue;
        size_t n_cand = explicit_in[j] ? sc->n_links : sc->n_nodes;
        for (size_t k = 0; k < n_cand; k++) {
            int from;
            double w;
            if (explicit_in[j]) {
                const sf_link *lk = &sc->links[k];
                if (lk->to != (int)j)
                    continue;
                from = lk->from;
                w = lk->weight_given ? lk->weight : sc->nodes[from].capacity;
            } else {
                if (m->output[k] != m->input[j])
                    continue;
                from = (int)k;
                w = sc->nodes[k].capacity;
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
    bool *explicit_in = calloc(n ? n : 1, sizeof *explicit_in);

    if (explicit_in == NULL)
        goto out;
    for (size_t l = 0; l < sc->n_links; l++)
        explicit_in[sc->links[l].to] = true;
    nl = enumerate_links(m, sc, explicit_in);
    m->n_links = nl;
    m->link_from = malloc((nl ? nl : 1) * sizeof *m->link_from);
    m->link_to = malloc((nl ? nl : 1) * sizeof *m->link_to);
    m->link_weight = malloc((nl ? nl : 1) * sizeof *m->link_weight);
    m->link_foreign = malloc((nl ? nl : 1) * sizeof *m->link_foreign);
    if (!m->link_from || !m->link_to || !m->link_weight || !m->link_foreign)
        goto out;
    sf_bug_assert(enumerate_links(m, sc, explicit_in) == nl);
    if (sf_csr_from_rows(&m->by_buyer, n, m->link_to, nl) ||
        sf_csr_from_rows(&m->by_supplier, n, m->link_from, nl))
        goto out;
    ret = 0;
out:
    free(explicit_in);
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
    if (s->kind != SF_SHOCK_OUTAGE)
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

/* Fills one shock-by-item CSR with a coverage predicate evaluated on every
 * (shock, item) pair; sizes are small and this runs once per run. */
static int compile_coverage(sf_model *m, const sf_scenario *sc)
{
    int ret = SF_ERR_NOMEM;
    size_t ns = sc->n_shocks;

    m->shock_links.n_rows = m->shock_nodes.n_rows = ns;
    m->shock_links.start = calloc(ns + 1, sizeof(size_t));
    m->shock_nodes.start = calloc(ns + 1, sizeof(size_t));
    if (m->shock_links.start == NULL || m->shock_nodes.start == NULL)
        goto out;
    for (int pass = 0; pass < 2; pass++) {
        size_t nl = 0, nn = 0;
        for (size_t k = 0; k < ns; k++) {
            const sf_shock *s = &sc->shocks[k];
            for (size_t l = 0; l < m->n_links; l++)
                if (covers_link(m, s, l)) {
                    if (pass)
                        m->shock_links.item[nl] = (int)l;
                    nl++;
                }
            for (size_t i = 0; i < m->n_nodes; i++)
                if (covers_node(m, s, (int)i)) {
                    if (pass)
                        m->shock_nodes.item[nn] = (int)i;
                    nn++;
                }
            m->shock_links.start[k + 1] = nl;
            m->shock_nodes.start[k + 1] = nn;
        }
        if (pass == 0) {
            m->shock_links.item = malloc((nl ? nl : 1) * sizeof(int));
            m->shock_nodes.item = malloc((nn ? nn : 1) * sizeof(int));
            if (m->shock_links.item == NULL || m->shock_nodes.item == NULL)
                goto out;
        }
    }
    ret = 0;
out:
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
    free(region_of_country);
    return ret;
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
        (ret = compile_order(m, sc)) != 0 ||
        (ret = compile_commodity_index(m)) != 0 ||
        (ret = compile_links(m, sc)) != 0 ||
        (ret = compile_coverage(m, sc)) != 0 ||
        (ret = compile_demand(m)) != 0)
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
    free(m->region_country);
    free(m->demand_region);
    memset(m, 0, sizeof *m);
}

int sf_model_find_link(const sf_model *m, int from, int to)
{
    for (size_t k = m->by_buyer.start[to]; k < m->by_buyer.start[to + 1]; k++)
        if (m->link_from[m->by_buyer.item[k]] == from)
            return m->by_buyer.item[k];
    return -1;
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
