/*
 * market.c — one month of the market (docs/model.md, "One month"):
 * producers offer this month's output plus their output stock; buyers
 * request what they need; offtake contracts are served first; then up to
 * SF_MARKET_ROUNDS proportional rounds in which every open request is
 * split over the buyer's suppliers by attractiveness, only the licensed
 * part is placed, and suppliers ration proportionally.  Orders and fills
 * of a round are simultaneous, so node order never matters.  Demand nodes
 * are served last, with stockpile release and refill.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/market.h"

/* fmin/fmax are library calls at -O2 (they must handle NaN); the
 * quantities here are never NaN, and these two inline to one instruction. */
static inline double min2(double a, double b)
{
    return a < b ? a : b;
}

static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

int sf_market_ws_init(sf_market_ws *w, const sf_model *m)
{
    size_t n = m->n_nodes ? m->n_nodes : 1, nl = m->n_links ? m->n_links : 1;
    double **node_arrays[] = {
        &w->cap,      &w->f,        &w->need,      &w->in_stock,
        &w->out_stock, &w->level,   &w->prod,      &w->curtailed,
        &w->recv,     &w->recycled, &w->shortfall, &w->released,
        &w->tariff,   &w->supply,   &w->spare,     &w->request,
        &w->rem,      &w->load,     &w->fill,      &w->conv_recv,
        &w->base};
    double **link_arrays[] = {&w->r, &w->tau, &w->attr, &w->ship, &w->lic};

    memset(w, 0, sizeof *w);
    w->n_nodes = m->n_nodes;
    w->n_links = m->n_links;
    for (size_t a = 0; a < sizeof node_arrays / sizeof *node_arrays; a++)
        if ((*node_arrays[a] = calloc(n, sizeof(double))) == NULL)
            return SF_ERR_NOMEM;
    for (size_t a = 0; a < sizeof link_arrays / sizeof *link_arrays; a++)
        if ((*link_arrays[a] = calloc(nl, sizeof(double))) == NULL)
            return SF_ERR_NOMEM;
    if ((w->short_last = calloc(n, sizeof *w->short_last)) == NULL ||
        (w->open = calloc(n, sizeof *w->open)) == NULL ||
        (w->n_live = calloc(n, sizeof *w->n_live)) == NULL ||
        (w->live = calloc(nl, sizeof *w->live)) == NULL)
        return SF_ERR_NOMEM;
    return 0;
}

void sf_market_ws_free(sf_market_ws *w)
{
    if (w == NULL)
        return;
    double *arrays[] = {w->cap,      w->f,         w->need,     w->in_stock,
                        w->out_stock, w->level,    w->prod,     w->curtailed,
                        w->recv,     w->recycled,  w->shortfall, w->released,
                        w->tariff,   w->supply,    w->spare,    w->request,
                        w->rem,      w->load,      w->fill,     w->conv_recv,
                        w->r,        w->tau,       w->attr,     w->ship,
                        w->lic,      w->base};
    for (size_t a = 0; a < sizeof arrays / sizeof *arrays; a++)
        free(arrays[a]);
    free(w->short_last);
    free(w->open);
    free(w->n_live);
    free(w->live);
    memset(w, 0, sizeof *w);
}

void sf_market_reset(sf_market_ws *w, const sf_model *m,
                     const sf_policy_plan *pp)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        w->in_stock[i] = pp->built[i] ? m->init_stock[i] : 0.0;
        w->out_stock[i] = 0.0;
        w->level[i] = pp->has_stockpile[i] ? pp->stock_initial[i] : 0.0;
        w->short_last[i] = false;
        w->conv_recv[i] = 0.0;
    }
    memset(w->lic, 0, m->n_links * sizeof *w->lic);
    memset(w->load, 0, m->n_nodes * sizeof *w->load);
}

/* A producer's output this month.  A converter uses its input stock and
 * the receipts of its input commodity, which cleared earlier. */
static void produce(const sf_model *m, sf_market_ws *w, int i)
{
    double cap = w->f[i] * w->cap[i];

    if (m->kind[i] == SF_NODE_MINE) {
        w->prod[i] = cap;
    } else {
        double y = m->yield[i];
        double stock = w->in_stock[i] + w->conv_recv[i];
        if (y * stock <= cap) {
            w->prod[i] = y * stock;
            w->in_stock[i] = 0.0;
        } else {
            w->prod[i] = cap;
            w->in_stock[i] = max2(0.0, stock - cap / y);
        }
        w->conv_recv[i] = 0.0;
    }
    w->supply[i] = w->prod[i] + w->out_stock[i];
    w->spare[i] = w->supply[i];
}

/* Buyer j's request this month; sets its running part, base[j]. */
static double request_of(const sf_model *m, const sf_policy_plan *pp,
                         sf_market_ws *w, int j, int t)
{
    if (m->kind[j] == SF_NODE_DEMAND) {
        double refill = 0.0;
        w->recycled[j] = w->need[j] * sf_policy_recycled_share(pp, j, t);
        if (pp->has_stockpile[j] && !w->short_last[j])
            refill = max2(0.0, min2(pp->stock_refill[j],
                                    pp->stock_capacity[j] - w->level[j]));
        w->base[j] = w->need[j] - w->recycled[j];
        return w->base[j] + refill;
    }
    double per_input = w->cap[j] / m->yield[j];
    double target = m->buffer_months[j] * per_input;
    w->base[j] = w->f[j] * per_input;
    return w->base[j] + max2(0.0, target - w->in_stock[j]);
}

static inline void deliver(const sf_model *m, sf_market_ws *w, int l, double q,
                    double price)
{
    int j = m->link_to[l];

    w->ship[l] += q;
    w->recv[j] += q;
    w->rem[j] = max2(0.0, w->rem[j] - q);
    w->tariff[j] += q * w->tau[l] * price;
}

static void serve_offtake(const sf_model *m, const sf_policy_plan *pp,
                          sf_market_ws *w, int c, double price)
{
    const sf_csr *o = &pp->offtake_by_commodity;

    for (size_t k = o->start[c]; k < o->start[c + 1]; k++) {
        const sf_offtake *ot = &pp->offtake[o->item[k]];
        int l = ot->link;
        double q = ot->share * w->supply[ot->from] * w->r[l];
        q = min2(q, min2(w->rem[ot->to], w->spare[ot->from]));
        if (q > 0.0) {
            w->spare[ot->from] -= q;
            deliver(m, w, l, q, price);
        }
    }
}

/* A link can take an order in this round: licensed at all, a restricted
 * link only in round 1, and a supplier with something left. */
static inline bool usable(const sf_market_ws *w, const sf_model *m, int l,
                          int round)
{
    double r = w->r[l];
    return r > 0.0 && (round == 1 || r >= 1.0) &&
           w->spare[m->link_from[l]] > 0.0 && w->attr[l] > 0.0;
}

/* Places every open request of commodity c over its usable links; returns
 * whether any order was placed.  Round 1 starts from every buyer of c and
 * all its links; each round keeps, in order, the buyers still open and
 * the links still usable (see sf_market_ws).  lic[] holds each usable
 * link's attractiveness between the two passes. */
static bool place_orders(const sf_model *m, sf_market_ws *w, int c, int round)
{
    bool placed = false;
    const int *buyers = round == 1 ? &m->buyers.item[m->buyers.start[c]]
                                   : w->open;
    size_t nb = round == 1 ? m->buyers.start[c + 1] - m->buyers.start[c]
                           : w->n_open;
    size_t n_open = 0;

    for (size_t b = 0; b < nb; b++) {
        int j = buyers[b];
        if (w->rem[j] <= SF_MARKET_TOL * w->request[j])
            continue;
        size_t l0 = m->by_buyer.start[j];
        const int *links = round == 1 ? &m->by_buyer.item[l0] : &w->live[l0];
        size_t nl = round == 1 ? m->by_buyer.start[j + 1] - l0
                               : (size_t)w->n_live[j];
        int *keep = &w->live[l0];
        size_t n = 0;
        double denom = 0.0;
        for (size_t k = 0; k < nl; k++) {
            int l = links[k];
            if (usable(w, m, l, round)) {
                keep[n++] = l;
                w->lic[l] = w->attr[l];
                denom += w->attr[l];
            }
        }
        w->n_live[j] = (int)n;
        if (denom <= 0.0)
            continue;
        w->open[n_open++] = j; /* n_open <= b: compacting in place is safe */
        /* A licence covers the buyer's running needs: on a restricted
         * link only r of the buyer's share of its running request is
         * placed, so a starved buyer cannot enlarge its licensed imports
         * by ordering stock; top-ups go to unrestricted links. */
        double per_attr = w->rem[j] / denom;
        double per_attr_base = min2(w->base[j], w->rem[j]) / denom;
        for (size_t k = 0; k < n; k++) {
            int l = keep[k];
            double r = w->r[l];
            double lic = (r < 1.0 ? r * per_attr_base : per_attr) * w->lic[l];
            w->lic[l] = lic;
            w->load[m->link_from[l]] += lic;
            placed = placed || lic > 0.0;
        }
    }
    w->n_open = n_open;
    return placed;
}

/* Every supplier fills its licensed orders in full, or in proportion when
 * they exceed what it has left. */
static void fill_orders(const sf_model *m, sf_market_ws *w, int c,
                        double price)
{
    const sf_csr *s = &m->suppliers;

    for (size_t k = s->start[c]; k < s->start[c + 1]; k++) {
        int i = s->item[k];
        w->fill[i] = w->load[i] > w->spare[i] ? w->spare[i] / w->load[i] : 1.0;
    }
    /* Only the buyers that placed orders this round, over their usable
     * links: no other link holds a licensed order. */
    for (size_t b = 0; b < w->n_open; b++) {
        int j = w->open[b];
        const int *live = &w->live[m->by_buyer.start[j]];
        /* deliver() for each link, with the buyer's running totals kept in
         * registers rather than stored and reloaded per link: the same
         * additions in the same order. */
        double recv = w->recv[j], rem = w->rem[j], tariff = w->tariff[j];
        for (int k = 0; k < w->n_live[j]; k++) {
            int l = live[k];
            double lic = w->lic[l];
            if (lic > 0.0) {
                double q = lic * w->fill[m->link_from[l]];
                w->ship[l] += q;
                recv += q;
                rem = max2(0.0, rem - q);
                tariff += q * w->tau[l] * price;
                w->lic[l] = 0.0;
            }
        }
        w->recv[j] = recv;
        w->rem[j] = rem;
        w->tariff[j] = tariff;
    }
    for (size_t k = s->start[c]; k < s->start[c + 1]; k++) {
        int i = s->item[k];
        w->spare[i] = w->load[i] >= w->spare[i] ? 0.0 : w->spare[i] - w->load[i];
        w->load[i] = 0.0;
    }
}

static void clear_commodity(const sf_model *m, const sf_policy_plan *pp,
                            sf_market_ws *w, int c, int t)
{
    const sf_csr *s = &m->suppliers, *bu = &m->buyers;
    double price = m->sc->commodities[c].price;

    for (size_t k = s->start[c]; k < s->start[c + 1]; k++)
        produce(m, w, s->item[k]);
    for (size_t k = bu->start[c]; k < bu->start[c + 1]; k++) {
        int j = bu->item[k];
        w->request[j] = w->rem[j] = request_of(m, pp, w, j, t);
        w->recv[j] = 0.0;
        w->tariff[j] = 0.0;
    }
    serve_offtake(m, pp, w, c, price);
    int round = 1;
    for (; round <= SF_MARKET_ROUNDS; round++) {
        if (!place_orders(m, w, c, round))
            break;
        fill_orders(m, w, c, price);
    }
    w->rounds_used = round - 1;
    /* Unsold supply is kept up to the stock cap; the rest is curtailed. */
    for (size_t k = s->start[c]; k < s->start[c + 1]; k++) {
        int i = s->item[k];
        double kept = min2(m->stock_cap[i], w->spare[i]);
        w->curtailed[i] = w->spare[i] - kept;
        w->out_stock[i] = kept;
    }
    /* Converters produce from these receipts when their output clears. */
    for (size_t k = bu->start[c]; k < bu->start[c + 1]; k++) {
        int j = bu->item[k];
        if (m->kind[j] != SF_NODE_DEMAND)
            w->conv_recv[j] = w->recv[j];
    }
}

static void serve_demand(const sf_model *m, const sf_policy_plan *pp,
                         sf_market_ws *w)
{
    for (size_t d = 0; d < m->n_demand; d++) {
        int j = m->demand_nodes[d];
        double need = w->need[j], net = need - w->recycled[j];
        double used = min2(w->recv[j], net);
        double unmet = net - used;
        double release = 0.0;

        if (pp->has_stockpile[j]) {
            /* What arrives beyond the need refills the stockpile. */
            w->level[j] = min2(pp->stock_capacity[j],
                               w->level[j] + (w->recv[j] - used));
            if (unmet <= SF_MARKET_TOL * need)
                unmet = 0.0;
            release = min2(unmet, min2(w->level[j], pp->stock_release[j]));
            w->level[j] -= release;
        } else if (unmet <= SF_MARKET_TOL * need) {
            unmet = 0.0;
        }
        w->released[j] = release;
        w->shortfall[j] = unmet - release;
        w->short_last[j] = w->shortfall[j] > 0.0;
    }
}

void sf_market_month(const sf_model *m, const sf_policy_plan *pp, int t,
                     sf_market_ws *w)
{
    memset(w->ship, 0, m->n_links * sizeof *w->ship);
    for (size_t k = 0; k < m->n_commodities; k++)
        clear_commodity(m, pp, w, m->order[k], t);
    serve_demand(m, pp, w);
}
