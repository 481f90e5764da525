/*
 * market.c — one month of the market, version 2 (docs/model.md, "One
 * month"): for each commodity in clearing order, suppliers produce and
 * offer their output stock, buyers plan their purchases, offtake contracts
 * ship first (within any quota), and the rest clears at prices
 * (models/clearing.c); what is unsold goes to output stock or is
 * curtailed.  Then demand nodes are served: receipts cover the need, then
 * refill stocks; unmet need splits into priced out and rationed; stocks
 * are released only in a disrupted month and refilled only after a calm
 * one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/distributions.h"
#include "shortfall/market.h"

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
    size_t ng = m->n_groups ? m->n_groups : 1;
    size_t nc = m->n_commodities ? m->n_commodities : 1;
    size_t no = nl; /* offtake contracts: at most one per link */
    size_t ms = m->max_suppliers ? m->max_suppliers : 1;
    size_t mb = m->max_buyers ? m->max_buyers : 1;
    size_t ml = m->max_clink ? m->max_clink : 1;
    size_t mg = m->max_cgroups ? m->max_cgroups : 1;
    struct {
        double **a;
        size_t n;
    } arrays[] = {
        {&w->cap, n},        {&w->f, n},          {&w->need, n},
        {&w->in_stock, n},   {&w->out_stock, n},  {&w->level, n},
        {&w->inv, n},        {&w->y, n},          {&w->prod, n},
        {&w->curtailed, n},  {&w->recv, n},       {&w->plan, n},
        {&w->ordered, n},    {&w->pbar, n},       {&w->pbar_pre, n},
        {&w->tariff, n},     {&w->recycled, n},   {&w->priced_out, n},
        {&w->rationed, n},   {&w->released, n},   {&w->shortfall, n},
        {&w->supply, n},     {&w->conv_recv, n},  {&w->inv_ask, n},
        {&w->sp_ask, n},     {&w->bought, n},     {&w->sold, n},
        {&w->tau, nl},       {&w->attr, nl},
        {&w->ship, nl},      {&w->ot_amount, no}, {&w->ot_link, nl},
        {&w->quota, ng},     {&w->lam, ng},       {&w->index, nc},
        {&w->c_avail, ms},   {&w->c_y, ms},       {&w->c_sold, ms},
        {&w->c_floor, ms},
        {&w->c_plan, mb},    {&w->c_eps, mb},     {&w->c_dem, mb},
        {&w->c_recv, mb},    {&w->c_attr, ml},    {&w->c_tau1, ml},
        {&w->c_x, ml},       {&w->c_q, ml},       {&w->c_pre, ml},
        {&w->c_quota, mg},   {&w->c_lam, mg}};

    memset(w, 0, sizeof *w);
    w->n_nodes = m->n_nodes;
    w->n_links = m->n_links;
    w->n_groups = m->n_groups;
    w->n_commodities = m->n_commodities;
    for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
        if ((*arrays[k].a = calloc(arrays[k].n, sizeof(double))) == NULL)
            return SF_ERR_NOMEM;
    if ((w->calm_last = calloc(n, sizeof *w->calm_last)) == NULL ||
        (w->closed = calloc(n, sizeof *w->closed)) == NULL ||
        (w->below = calloc(n, sizeof *w->below)) == NULL ||
        (w->above = calloc(n, sizeof *w->above)) == NULL ||
        (w->closed_at = calloc(n, sizeof *w->closed_at)) == NULL ||
        (w->key = calloc(nc, sizeof *w->key)) == NULL ||
        (w->val = calloc(nc, sizeof *w->val)) == NULL ||
        (w->exp_memo = calloc(nc, sizeof *w->exp_memo)) == NULL ||
        (w->key_len = calloc(nc, sizeof *w->key_len)) == NULL ||
        (w->c_solved = calloc(nc, sizeof *w->c_solved)) == NULL ||
        (w->c_reused = calloc(nc, sizeof *w->c_reused)) == NULL ||
        (w->c_iterations = calloc(nc, sizeof *w->c_iterations)) == NULL)
        return SF_ERR_NOMEM;
    for (size_t c = 0; c < m->n_commodities; c++) {
        const sf_market_graph *g = &m->graph[c];
        size_t nk = 2 * g->ns + g->nb + 2 * g->nl + 2 * g->ng + 1;
        size_t nv = 2 * g->ns + 2 * g->ng + 3 * g->nl + 2 * g->nb + 2;
        if ((w->key[c] = malloc(nk * sizeof(double))) == NULL ||
            (w->val[c] = malloc(nv * sizeof(double))) == NULL ||
            (w->exp_memo[c] = malloc(
                 (3 * g->ns + 2 * g->nb + 2 * g->nl + 1) * sizeof(double))) ==
                NULL)
            return SF_ERR_NOMEM;
        for (size_t k = 0; k < g->nl; k++)
            w->exp_memo[c][3 * g->ns + 2 * g->nb + k] = NAN;
        for (size_t s = 0; s < g->ns; s++)
            w->exp_memo[c][s] = NAN;
        for (size_t b = 0; b < g->nb; b++)
            w->exp_memo[c][3 * g->ns + b] = NAN;
    }
    return sf_clearing_ws_init(&w->cws, m->max_suppliers, m->max_cgroups,
                               m->max_clink, m->max_buyers);
}

void sf_market_ws_free(sf_market_ws *w)
{
    if (w == NULL)
        return;
    double *arrays[] = {
        w->cap,      w->f,         w->need,      w->in_stock,  w->out_stock,
        w->level,    w->inv,       w->y,         w->prod,      w->curtailed,
        w->recv,     w->plan,      w->ordered,   w->pbar,      w->pbar_pre,
        w->tariff,   w->recycled,  w->priced_out, w->rationed, w->released,
        w->shortfall, w->supply,   w->conv_recv, w->inv_ask,   w->sp_ask,
        w->bought,   w->sold,
        w->tau,      w->attr,      w->ship,      w->ot_amount, w->ot_link,
        w->quota,    w->lam,       w->index,     w->c_avail,   w->c_y,
        w->c_sold,   w->c_plan,    w->c_eps,     w->c_dem,     w->c_recv,
        w->c_attr,   w->c_tau1,    w->c_x,       w->c_q,       w->c_pre,
        w->c_quota,  w->c_lam,  w->c_floor};
    for (size_t k = 0; k < sizeof arrays / sizeof *arrays; k++)
        free(arrays[k]);
    free(w->calm_last);
    free(w->closed);
    free(w->below);
    free(w->above);
    free(w->closed_at);
    if (w->key)
        for (size_t c = 0; c < w->n_commodities; c++)
            free(w->key[c]);
    if (w->val)
        for (size_t c = 0; c < w->n_commodities; c++)
            free(w->val[c]);
    if (w->exp_memo)
        for (size_t c = 0; c < w->n_commodities; c++)
            free(w->exp_memo[c]);
    free(w->exp_memo);
    free(w->key);
    free(w->val);
    free(w->key_len);
    free(w->c_solved);
    free(w->c_reused);
    free(w->c_iterations);
    sf_clearing_ws_free(&w->cws);
    memset(w, 0, sizeof *w);
}

void sf_market_reset(sf_market_ws *w, const sf_model *m,
                     const sf_policy_plan *pp)
{
    for (size_t i = 0; i < m->n_nodes; i++) {
        w->in_stock[i] = pp->built[i] ? m->init_stock[i] : 0.0;
        w->out_stock[i] = 0.0;
        w->level[i] = pp->has_stockpile[i] ? pp->stock_initial[i] : 0.0;
        w->inv[i] = m->inventory[i];
        w->calm_last[i] = true; /* month 0 counts as after a calm month */
        w->closed[i] = false;
        w->below[i] = w->above[i] = 0;
        w->closed_at[i] = -1;
        w->conv_recv[i] = 0.0;
        w->y[i] = pp->ref_y[i];
    }
    for (size_t g = 0; g < m->n_groups; g++)
        w->lam[g] = 0.0;
    /* A trial reuses only its own clearings: which trial a thread ran
     * before must not change the solver's counts (sf_results). */
    for (size_t c = 0; c < m->n_commodities; c++)
        w->key_len[c] = 0;
}

void sf_market_link_weights(const sf_model *m, sf_market_ws *w)
{
    for (size_t l = 0; l < m->n_links; l++) {
        double sigma = m->c_sigma[m->output[m->link_from[l]]];
        w->attr[l] = w->tau[l] != 0.0
                         ? m->link_weight[l] * pow(1.0 + w->tau[l], -sigma)
                         : m->link_weight[l];
    }
}

/* A producer's output this month.  A converter uses its input stock and
 * the receipts of its input commodity, which cleared earlier. */
static void produce(const sf_model *m, sf_market_ws *w, int i)
{
    double cap = w->closed[i] ? 0.0 : w->f[i] * w->cap[i];

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
}

/* Buyer j's planned purchases this month (docs/model.md, "Planned
 * purchases"); a demand node's refill asks are kept for serve_demand. */
static double plan_of(const sf_model *m, const sf_policy_plan *pp,
                      sf_market_ws *w, int j, int t)
{
    if (m->kind[j] == SF_NODE_DEMAND) {
        w->recycled[j] = w->need[j] * sf_policy_recycled_share(pp, j, t);
        w->inv_ask[j] = w->sp_ask[j] = 0.0;
        if (w->calm_last[j]) {
            w->inv_ask[j] = max2(0.0, min2(m->inventory_refill[j],
                                           m->inventory[j] - w->inv[j]));
            if (pp->has_stockpile[j])
                w->sp_ask[j] = max2(0.0, min2(pp->stock_refill[j],
                                              pp->stock_capacity[j] -
                                                  w->level[j]));
        }
        return w->need[j] - w->recycled[j] + w->inv_ask[j] + w->sp_ask[j];
    }
    if (w->closed[j])
        return 0.0; /* a closed converter buys nothing */
    double per_input = w->cap[j] / m->yield[j];
    double target = m->buffer_months[j] * per_input;
    /* A top-up below SF_CLEARING_EPS of the target is rounding left by
     * the last clearing (receipts equal to orders within an ulp), not a
     * need: ignoring it keeps a calm market's inputs the same from month
     * to month. */
    double top_up = target - w->in_stock[j];
    return w->f[j] * per_input +
           (top_up > SF_CLEARING_EPS * target ? top_up : 0.0);
}

/* Offtake contracts on commodity c: share x A_i each, at most what its
 * buyer plans; scaled down in proportion where contracts together ask
 * more than a buyer plans, a supplier has or a quota allows (every factor
 * from the same asks, each contract scaled by the smallest of its own).
 * w->ot_amount[k] is contract k's shipment, w->ot_link[l] the shipment on
 * model link l. */
static void serve_offtake(const sf_model *m, const sf_policy_plan *pp,
                          sf_market_ws *w, int c)
{
    const sf_csr *o = &pp->offtake_by_commodity;
    const sf_market_graph *g = &m->graph[c];
    size_t k0 = o->start[c], k1 = o->start[c + 1];

    if (k0 == k1)
        return;
    /* Asks, and their sums per buyer (recv), supplier (c_sold) and group
     * (c_lam as scratch until the solve). */
    for (size_t x = 0; x < g->ng; x++)
        w->c_lam[x] = 0.0;
    for (size_t k = k0; k < k1; k++) {
        const sf_offtake *ot = &pp->offtake[o->item[k]];
        double ask = min2(ot->share * w->supply[ot->from], w->plan[ot->to]);
        w->ot_amount[o->item[k]] = ask;
        w->recv[ot->to] += ask;
        w->c_sold[m->sup_local[ot->from]] += ask;
        size_t lk = (size_t)m->link_local[ot->link];
        for (size_t y = g->lk_gstart[lk]; y < g->lk_gstart[lk + 1]; y++)
            w->c_lam[g->lk_group[y]] += ask;
    }
    for (size_t k = k0; k < k1; k++) {
        const sf_offtake *ot = &pp->offtake[o->item[k]];
        double f = 1.0, want = w->recv[ot->to];
        if (want > w->plan[ot->to])
            f = min2(f, w->plan[ot->to] / want);
        want = w->c_sold[m->sup_local[ot->from]];
        if (want > w->supply[ot->from])
            f = min2(f, w->supply[ot->from] / want);
        size_t lk = (size_t)m->link_local[ot->link];
        for (size_t y = g->lk_gstart[lk]; y < g->lk_gstart[lk + 1]; y++) {
            int x = g->lk_group[y];
            double q = w->c_quota[x];
            if (q >= 0.0 && w->c_lam[x] > q)
                f = min2(f, q / w->c_lam[x]);
        }
        w->ot_amount[o->item[k]] *= f;
    }
    for (size_t k = k0; k < k1; k++) {
        const sf_offtake *ot = &pp->offtake[o->item[k]];
        w->recv[ot->to] = 0.0;
        w->c_sold[m->sup_local[ot->from]] = 0.0;
    }
    for (size_t x = 0; x < g->ng; x++)
        w->c_lam[x] = 0.0;
    for (size_t k = k0; k < k1; k++) {
        const sf_offtake *ot = &pp->offtake[o->item[k]];
        double q = w->ot_amount[o->item[k]];
        w->ot_link[ot->link] += q;
        w->recv[ot->to] += q;
        w->c_sold[m->sup_local[ot->from]] += q;
        size_t lk = (size_t)m->link_local[ot->link];
        for (size_t y = g->lk_gstart[lk]; y < g->lk_gstart[lk + 1]; y++)
            w->c_lam[g->lk_group[y]] += q;
    }
    /* What is left for the market: supply, plans and quotas. */
    for (size_t x = 0; x < g->ng; x++)
        if (w->c_quota[x] >= 0.0)
            w->c_quota[x] = max2(0.0, w->c_quota[x] - w->c_lam[x]);
}

/* Appends n doubles to a packing buffer. */
static inline double *pack(double *to, const double *from, size_t n)
{
    memcpy(to, from, n * sizeof *to);
    return to + n;
}

static inline const double *unpack(double *to, const double *from, size_t n)
{
    memcpy(to, from, n * sizeof *to);
    return from + n;
}

/* Clears commodity c's market from the inputs in w->c_*, or takes the
 * stored solution of its last clearing when the inputs are bit for bit
 * the same and so is the start, or the start is that solution and the
 * clearing converged: the solver is a pure function of inputs and start
 * (sf_clearing_solve, setup), and from a converged solution it takes no
 * step (its first evaluation is the one it stopped at, within
 * SF_CLEARING_TOL), so it returns the same solution, with the same bits
 * (and 0 iterations either way).  One that stopped at the iteration cap
 * would go on from there: only its own start is reused. */
static void solve_or_reuse(const sf_market_graph *g, const sf_clearing_in *in,
                           sf_clearing_out *out, sf_market_ws *w, int c)
{
    size_t ns = g->ns, nb = g->nb, nl = g->nl, ng = g->ng;
    double *k = w->key[c], *v = w->val[c];
    size_t n_in = ns + nb + 2 * nl + ng, len = n_in + ns + ng;
    const double *resid = v + 2 * ns + ng + 3 * nl + 2 * nb;
    /* Compare without building a copy: walk the stored key. */
    bool same = w->key_len[c] == len &&
                memcmp(k, in->avail, ns * sizeof *k) == 0 &&
                memcmp(k + ns, in->plan, nb * sizeof *k) == 0 &&
                memcmp(k + ns + nb, in->attr, nl * sizeof *k) == 0 &&
                memcmp(k + ns + nb + nl, in->tau1, nl * sizeof *k) == 0 &&
                memcmp(k + ns + nb + 2 * nl, in->quota, ng * sizeof *k) == 0;
    if (same)
        same = (memcmp(k + n_in, out->y, ns * sizeof *k) == 0 &&
                memcmp(k + n_in + ns, out->lam, ng * sizeof *k) == 0) ||
               (*resid <= SF_CLEARING_TOL &&
                memcmp(v, out->y, ns * sizeof *v) == 0 &&
                memcmp(v + ns, out->lam, ng * sizeof *v) == 0);
    if (same) {
        const double *p = v;
        p = unpack(out->y, p, ns);
        p = unpack(out->lam, p, ng);
        p = unpack(out->x, p, nl);
        p = unpack(out->q, p, nl);
        p = unpack(out->pre, p, nl);
        p = unpack(out->demand, p, nb);
        p = unpack(out->recv, p, nb);
        p = unpack(out->sold, p, ns);
        out->iterations = 0;
        out->residual = p[0];
        w->reused++;
        w->c_reused[c]++;
        return;
    }
    double *p = k;
    p = pack(p, in->avail, ns);
    p = pack(p, in->plan, nb);
    p = pack(p, in->attr, nl);
    p = pack(p, in->tau1, nl);
    p = pack(p, in->quota, ng);
    p = pack(p, out->y, ns);
    pack(p, out->lam, ng);
    w->key_len[c] = len;
    w->c_solved[c]++;
    sf_clearing_solve(g, in, out, &w->cws);
    p = v;
    p = pack(p, out->y, ns);
    p = pack(p, out->lam, ng);
    p = pack(p, out->x, nl);
    p = pack(p, out->q, nl);
    p = pack(p, out->pre, nl);
    p = pack(p, out->demand, nb);
    p = pack(p, out->recv, nb);
    p = pack(p, out->sold, ns);
    p[0] = out->residual;
}


/* Commodity c's flows, receipts and prices paid after its clearing: the
 * market's, then the offtake's at the supplier's price plus tariff; and
 * its price index. */
static void settle(const sf_model *m, sf_market_ws *w, int c)
{
    const sf_market_graph *g = &m->graph[c];
    double P = m->c_price[c], cap = m->c_cap[c] * P;

    double idx_num = 0.0, idx_den = 0.0;
    /* Now each supplier's price; the solver's memo has it at the last
     * v it evaluated, mostly the solution (the same P, so the same bits). */
    const double *memo = w->exp_memo[c];
    for (size_t s = 0; s < g->ns; s++)
        w->c_avail[s] = w->c_y[s] == memo[s] ? memo[g->ns + s]
                                             : P * exp(w->c_y[s]);
    for (size_t b = 0; b < g->nb; b++) {
        int j = g->buy_node[b];
        double recv = 0.0, spend = 0.0, spend_pre = 0.0, tariff = 0.0;
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
            int l = g->lk_link[k];
            double x = w->c_x[k], o = w->ot_link[l];
            double p_sup = w->c_avail[g->lk_sup[k]];
            w->ship[l] = x + o;
            recv += x + o;
            if (o == 0.0) {
                /* No offtake: its terms are +-0.0 (p_sup and tau are
                 * finite), which change no sum (each starts at +0.0, so
                 * is never -0.0). */
                double xp = x * w->c_pre[k];
                spend += x * w->c_q[k];
                spend_pre += xp;
                tariff += xp * w->tau[l];
                continue;
            }
            spend += x * w->c_q[k] + o * p_sup * (1.0 + w->tau[l]);
            spend_pre += x * w->c_pre[k] + o * p_sup;
            tariff += (x * w->c_pre[k] + o * p_sup) * w->tau[l];
        }
        w->recv[j] = recv;
        w->ordered[j] = w->c_dem[b] + (w->plan[j] - w->c_plan[b]);
        w->tariff[j] = tariff;
        if (!(w->plan[j] > 0.0)) {
            /* Nothing planned, no price seen: neutral. */
            w->pbar[j] = w->pbar_pre[j] = P;
        } else if (recv > 0.0) {
            w->pbar[j] = spend / recv;
            w->pbar_pre[j] = spend_pre / recv;
        } else {
            w->pbar[j] = w->pbar_pre[j] = cap;
        }
        if (w->plan[j] > 0.0) {
            idx_num += w->plan[j] * w->pbar[j];
            idx_den += w->plan[j];
        }
        if (m->kind[j] != SF_NODE_DEMAND)
            w->conv_recv[j] = recv;
    }
    w->index[c] = idx_den > 0.0 ? idx_num / idx_den : P;
}

static void clear_commodity(const sf_model *m, const sf_policy_plan *pp,
                            sf_market_ws *w, int c, int t)
{
    const sf_market_graph *g = &m->graph[c];
    double P = m->c_price[c];

    for (size_t s = 0; s < g->ns; s++) {
        produce(m, w, g->sup_node[s]);
        w->c_sold[s] = 0.0;
    }
    for (size_t b = 0; b < g->nb; b++) {
        int j = g->buy_node[b];
        w->plan[j] = plan_of(m, pp, w, j, t);
        w->recv[j] = 0.0;
    }
    for (size_t x = 0; x < g->ng; x++)
        w->c_quota[x] = w->quota[g->group_id[x]];
    for (size_t k = 0; k < g->nl; k++)
        w->ot_link[g->lk_link[k]] = 0.0;
    serve_offtake(m, pp, w, c);

    /* The market's part. */
    for (size_t s = 0; s < g->ns; s++) {
        int i = g->sup_node[s];
        w->c_avail[s] = max2(0.0, w->supply[i] - w->c_sold[s]);
        w->c_y[s] = w->y[i];
    }
    for (size_t b = 0; b < g->nb; b++) {
        int j = g->buy_node[b];
        w->c_plan[b] = max2(0.0, w->plan[j] - w->recv[j]);
        w->c_eps[b] = m->elasticity[j];
    }
    for (size_t k = 0; k < g->nl; k++) {
        int l = g->lk_link[k];
        w->c_attr[k] = w->attr[l];
        w->c_tau1[k] = 1.0 + w->tau[l];
    }
    for (size_t x = 0; x < g->ng; x++)
        w->c_lam[x] = w->c_quota[x] > 0.0 ? w->lam[g->group_id[x]] : 0.0;
    bool floors = false;
    for (size_t s = 0; s < g->ns; s++) {
        double fl = pp->floor[g->sup_node[s]];
        w->c_floor[s] = fl > 0.0 ? log(fl / P) : -INFINITY;
        floors = floors || fl > 0.0;
    }
    sf_clearing_in in = {P,        m->c_sigma[c], m->c_beta[c], m->c_cap[c],
                         w->c_avail, w->c_plan,   w->c_eps,     w->c_attr,
                         w->c_tau1, w->c_quota, floors ? w->c_floor : NULL,
                         w->exp_memo[c]};
    sf_clearing_out out = {w->c_y,   w->c_lam, w->c_x,    w->c_q, w->c_pre,
                           w->c_dem, w->c_recv, w->c_sold, 0,      0.0};
    /* (c_sold held the offtake shipments; the solve overwrites it.) */
    solve_or_reuse(g, &in, &out, w, c);
    w->solves++;
    w->c_iterations[c] += (uint64_t)out.iterations;
    w->iterations += (uint64_t)out.iterations;
    if (out.iterations > w->max_iterations)
        w->max_iterations = out.iterations;
    if (out.residual > w->max_residual)
        w->max_residual = out.residual;
    for (size_t s = 0; s < g->ns; s++)
        w->y[g->sup_node[s]] = w->c_y[s];
    for (size_t x = 0; x < g->ng; x++)
        w->lam[g->group_id[x]] = w->c_lam[x];

    settle(m, w, c);

    /* Unsold output is kept up to the stock cap; the rest is curtailed. */
    for (size_t s = 0; s < g->ns; s++) {
        int i = g->sup_node[s];
        double sold = 0.0;
        for (size_t x = g->sup_start[s]; x < g->sup_start[s + 1]; x++)
            sold += w->ship[g->lk_link[g->sup_link[x]]];
        w->sold[i] = sold;
        double unsold = max2(0.0, w->supply[i] - sold);
        double kept = min2(m->stock_cap[i], unsold);
        w->curtailed[i] = unsold - kept;
        w->out_stock[i] = kept;
    }
}

static void serve_demand(const sf_model *m, const sf_policy_plan *pp,
                         sf_market_ws *w)
{
    for (size_t d = 0; d < m->n_demand; d++) {
        int j = m->demand_nodes[d];
        double need = w->need[j], net = need - w->recycled[j];
        double P = m->c_price[m->input[j]];
        double used = min2(w->recv[j], net), extra = w->recv[j] - used;

        /* What arrives beyond the need refills the inventory, then the
         * stockpile, as far as each asked. */
        double to_inv = min2(extra, w->inv_ask[j]);
        w->inv[j] += to_inv;
        extra -= to_inv;
        w->bought[j] = 0.0;
        if (pp->has_stockpile[j]) {
            double before = w->level[j];
            w->level[j] = min2(pp->stock_capacity[j], w->level[j] + extra);
            w->bought[j] = w->level[j] - before;
        }

        /* The orders given up at the price come out of the refills
         * first. */
        double d_need = min2(net, w->ordered[j]);
        double priced_out = net - d_need;
        double rationed = max2(0.0, d_need - used);
        double unmet = net - used;
        if (unmet <= SF_MARKET_TOL * need) {
            unmet = priced_out = rationed = 0.0;
        } else if (rationed <= SF_MARKET_TOL * need) {
            /* What the solver's tolerance leaves unfilled is not a
             * physical shortage: it counts with the orders given up. */
            priced_out += rationed;
            rationed = 0.0;
        }
        w->priced_out[j] = priced_out;
        w->rationed[j] = rationed;

        bool short_rationed = rationed > 0.0;
        double price = w->pbar_pre[j];
        double release = 0.0;
        if (short_rationed || price > m->release_price[j] * P) {
            double l = min2(unmet, w->inv[j]);
            w->inv[j] -= l;
            unmet -= l;
            release += l;
        }
        if (pp->has_stockpile[j] &&
            (short_rationed || price > pp->stock_release_price[j] * P)) {
            double l = min2(unmet, min2(w->level[j], pp->stock_release[j]));
            w->level[j] -= l;
            unmet -= l;
            release += l;
        }
        w->released[j] = release;
        w->shortfall[j] = unmet;
        w->calm_last[j] =
            !short_rationed && price <= P * (1.0 + SF_MARKET_TOL);
    }
}

double sf_market_substitution(const sf_commodity *c, double z,
                              double pbar_rel)
{
    double target = pbar_rel > 0.0 ? pow(pbar_rel, -c->sub_elasticity) : 1.0;
    if (target > 1.0)
        target = 1.0;
    double months = target < z ? c->sub_adjust_months : c->sub_revert_months;
    return z + (target - z) / months;
}

double sf_market_received_price(const sf_model *m, const sf_policy_plan *pp,
                                const sf_market_ws *w, int i)
{
    int c = m->output[i];
    double p = w->closed[i] ? w->index[c] : m->c_price[c] * exp(w->y[i]);
    return max2(p, pp->floor[i]);
}

/* Producers with a unit cost close after exit_after months in a row at a
 * received price below it, from next month; a closed one reopens, from
 * next month, once restart months have passed since it closed and the
 * price has been above its unit cost for 3 months in a row. */
static void exit_and_restart(const sf_model *m, const sf_policy_plan *pp,
                             sf_market_ws *w, int t)
{
    for (size_t k = 0; k < m->n_exit; k++) {
        int i = m->exit_nodes[k];
        const sf_node *nd = &m->sc->nodes[i];
        double r = sf_market_received_price(m, pp, w, i);
        if (!w->closed[i]) {
            /* A month with nothing to produce (not yet built, or an
             * outage) neither extends nor ends the run below cost. */
            if (!(w->cap[i] * w->f[i] > 0.0))
                continue;
            w->below[i] = r < nd->unit_cost ? w->below[i] + 1 : 0;
            if (w->below[i] >= nd->exit_after_months && pp->built[i]) {
                w->closed[i] = true;
                w->closed_at[i] = t;
                w->above[i] = 0;
            }
        } else {
            w->above[i] = r > nd->unit_cost ? w->above[i] + 1 : 0;
            if (t - w->closed_at[i] >= nd->restart_months &&
                w->above[i] >= SF_REOPEN_MONTHS) {
                w->closed[i] = false;
                w->below[i] = 0;
            }
        }
    }
}

void sf_market_month(const sf_model *m, const sf_policy_plan *pp, int t,
                     sf_market_ws *w)
{
    for (size_t k = 0; k < m->n_commodities; k++)
        clear_commodity(m, pp, w, m->order[k], t);
    serve_demand(m, pp, w);
    exit_and_restart(m, pp, w, t);
}

int sf_market_reference(const sf_model *m, sf_policy_plan *pp, sf_error *err)
{
    sf_market_ws w;
    const sf_scenario *sc = m->sc;
    int ret = sf_market_ws_init(&w, m);

    if (ret != 0)
        goto out;
    for (size_t i = 0; i < m->n_nodes; i++) {
        w.cap[i] = pp->built[i] && !pp->project[i] ? m->cap_month[i] : 0.0;
        w.f[i] = 1.0;
        w.need[i] = m->demand_month[i] * (1.0 - pp->reduce_share[i]);
        pp->ref_y[i] = 0.0;
    }
    /* Only the mix's own policy tariffs, at their mean rate. */
    for (size_t k = 0; k < m->n_shocks; k++) {
        const sf_shock *s = &sc->shocks[k];
        if (s->defined_by_policy < 0 || !pp->shock_on[k] ||
            s->kind != SF_SHOCK_TARIFF || !s->scheduled ||
            s->start_month > 0 || s->duration_months < 1)
            continue;
        double rate = max2(0.0, sf_dist_mean(&s->severity));
        for (size_t x = m->shock_links.start[k]; x < m->shock_links.start[k + 1];
             x++)
            w.tau[m->shock_links.item[x]] += rate;
    }
    sf_market_link_weights(m, &w);
    for (size_t g = 0; g < m->n_groups; g++)
        w.quota[g] = -1.0;
    sf_market_reset(&w, m, pp);
    sf_market_month(m, pp, 0, &w);
    for (size_t i = 0; i < m->n_nodes; i++)
        pp->ref_y[i] = w.y[i];
    for (size_t g = 0; g < m->n_groups; g++) {
        double flow = 0.0;
        for (size_t x = m->group_links.start[g]; x < m->group_links.start[g + 1];
             x++)
            flow += w.ship[m->group_links.item[x]];
        pp->ref_flow[g] = flow;
    }
out:
    sf_market_ws_free(&w);
    if (ret != 0)
        sf_error_set(err, ret, "the reference month: %s", sf_strerror(ret));
    return ret;
}
