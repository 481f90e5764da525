/*
 * market.h — one month of the market, version 2 (docs/model.md, "One
 * month"): every commodity in clearing order is produced, planned for,
 * served by offtake contracts and cleared at prices (models/clearing.c);
 * then demand nodes are served, with private inventories and strategic
 * stockpiles released only in disrupted months and refilled only after
 * calm ones.
 *
 * The workspace holds the state that carries from month to month (stocks,
 * prices) and scratch for the clearing; it is allocated once per thread
 * and reset per trial, never allocated in the month loop.
 */
#ifndef SHORTFALL_MARKET_H
#define SHORTFALL_MARKET_H

#include <stdbool.h>
#include <stdint.h>

#include "clearing.h"
#include "model.h"
#include "policy.h"

/* Unmet need at most this fraction of the need is rounding, not a
 * shortage; a price within this fraction of the reference counts as at
 * it. */
#define SF_MARKET_TOL 1e-6

typedef struct {
    size_t n_nodes, n_links, n_groups, n_commodities;

    /* Inputs for the month, set by the caller. */
    double *cap;   /* node capacity this month, output units: nameplate/12
                      times the ramp of a new facility (0 if not built) */
    double *f;     /* node capacity factor from outages */
    double *tau;   /* link tariff */
    double *attr;  /* link weight w (1 + tau)^-sigma */
    double *need;  /* demand node need, after demand reduction */
    double *quota; /* quota group: this month's quota, < 0 not in force */

    /* State carried from month to month. */
    double *in_stock;  /* converter input stock S_j */
    double *out_stock; /* producer output stock */
    double *level;     /* demand node stockpile */
    double *inv;       /* demand node private inventory */
    bool *calm_last;   /* demand node: last month was calm (refills) */
    double *y;         /* supplier: ln(p / P), the price search's start */
    double *lam;       /* quota group: premium / P */

    /* Results of the month, per node, link or commodity. */
    double *prod;       /* producer output */
    double *curtailed;  /* producer output lost past the stock cap */
    double *recv;       /* buyer receipts */
    double *plan;       /* buyer planned purchases N_j */
    double *ordered;    /* buyer orders at the price D_j (offtake included) */
    double *pbar;       /* buyer average price paid, tariffs included */
    double *pbar_pre;   /* the same before tariffs (premia included) */
    double *tariff;     /* buyer tariff paid */
    double *recycled;   /* demand node secondary supply */
    double *priced_out; /* demand node need given up at the price */
    double *rationed;   /* demand node need ordered and not filled */
    double *released;   /* demand node stock release */
    double *bought;     /* demand node: receipts added to the stockpile */
    double *sold;       /* producer: what it shipped (offtake included) */
    /* Producers that exit (docs/model.md, "Producers that exit"): closed
     * this month, the months in a row at a received price below unit cost
     * (open) or above it (closed), and the month it closed. */
    bool *closed;
    int *below, *above, *closed_at;
    double *shortfall;  /* demand node shortfall S_j(t) */
    double *ship;       /* link flow */
    double *index;      /* commodity: world price index */

    /* Scratch. */
    double *supply, *conv_recv, *inv_ask, *sp_ask, *ot_amount, *ot_link;
    double *c_floor;
    double *c_avail, *c_plan, *c_eps, *c_attr, *c_tau1, *c_quota, *c_y,
        *c_lam, *c_x, *c_q, *c_pre, *c_dem, *c_recv, *c_sold;
    sf_clearing_ws cws;
    /* Per commodity, the last clearing's inputs and starting prices
     * (key) and its solution (val): the solver is a pure function of
     * them, so a commodity whose inputs are bit for bit the same as last
     * time, and whose start is too or is that converged solution, takes
     * the stored solution, with the same bits (models/market.c,
     * solve_or_reuse).  key_len[c] is 0 until a first clearing, and
     * again from the start of every trial (sf_market_reset). */
    double **key, **val;
    /* Per commodity, sf_clearing_in.exp_memo (3 ns + 2 nb + 2 nl
     * doubles). */
    double **exp_memo;
    size_t *key_len;
    uint64_t reused;

    /* Solver diagnostics, over every commodity-month this workspace
     * cleared since sf_market_ws_init (sf_market_reset keeps them). */
    uint64_t solves, iterations;
    int max_iterations;
    double max_residual;
    /* The same per commodity (index into m->commodities): clearings
     * solved, clearings reused (solves + reused = its commodity-months)
     * and the Newton iterations of those solved. */
    uint64_t *c_solved, *c_reused, *c_iterations;
} sf_market_ws;

SF_MUST_CHECK
int sf_market_ws_init(sf_market_ws *w, const sf_model *m);
void sf_market_ws_free(sf_market_ws *w);

/* Start of a trial: stocks as at t = 0 under the mix, prices at the mix's
 * reference month (pp->ref_y). */
void sf_market_reset(sf_market_ws *w, const sf_model *m,
                     const sf_policy_plan *pp);

/* Lasting substitution: a demand node's factor z on its need moves from z
 * towards min(1, pbar_rel^-elasticity) — pbar_rel last month's average
 * price over the reference — by 1/adjust_months of the way when that is
 * lower, 1/revert_months when higher. */
double sf_market_substitution(const sf_commodity *c, double z,
                              double pbar_rel);

/* Months in a row above unit cost before a closed producer reopens. */
#define SF_REOPEN_MONTHS 3

/* The price producer i receives this month: its clearing price, or, when
 * closed, the world price index of its output (what it would sell at);
 * at least its price floor. */
double sf_market_received_price(const sf_model *m, const sf_policy_plan *pp,
                                const sf_market_ws *w, int i);

/* One month t; the caller has set cap, f, tau, attr, need and quota.
 * Last, producers with a unit cost may close or reopen (from month t+1). */
void sf_market_month(const sf_model *m, const sf_policy_plan *pp, int t,
                     sf_market_ws *w);

/* The mix's reference month (docs/model.md, "Export quotas"): month 0
 * with no shock episode, the mix's own policy tariffs (at their mean
 * rate), no demand noise, new capacity not yet built and stocks at their
 * initial levels.  Fills pp->ref_y (each supplier's price) and
 * pp->ref_flow (each quota group's flow).  0 or SF_ERR_NOMEM. */
int sf_market_reference(const sf_model *m, sf_policy_plan *pp,
                        sf_error *err);

/* attr of every link from its tariff: w (1 + tau)^-sigma. */
void sf_market_link_weights(const sf_model *m, sf_market_ws *w);

#endif
