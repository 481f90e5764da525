/*
 * market.h — one month of the market: clear every commodity in order
 * (offtake, then proportional rounds with licences, tariffs and rationing),
 * let converters produce, then serve demand and stockpiles.
 *
 * The workspace holds the state that carries from month to month (stocks)
 * and scratch for the clearing; it is allocated once per thread and reset
 * per trial, never allocated in the month loop.
 */
#ifndef SHORTFALL_MARKET_H
#define SHORTFALL_MARKET_H

#include <stdbool.h>

#include "model.h"
#include "policy.h"

/* Market rounds per commodity and month (docs/model.md). */
#define SF_MARKET_ROUNDS 16

/* A request or shortfall smaller than this fraction of its size is
 * rounding error, not an unmet order: it ends the rounds and is not
 * counted as shortfall. */
#define SF_MARKET_TOL 1e-12

typedef struct {
    size_t n_nodes, n_links;

    /* Inputs for the month, set by the caller. */
    double *cap;  /* node capacity this month, output units: nameplate/12
                     times the ramp of a new facility (0 if not built) */
    double *f;    /* node capacity factor from outages */
    double *r;    /* link licence fraction */
    double *tau;  /* link tariff */
    double *attr; /* link attractiveness w (1 + tau)^-eta */
    double *need; /* demand node need, after demand reduction */

    /* State carried from month to month. */
    double *in_stock;  /* converter input stock S_j */
    double *out_stock; /* producer output stock */
    double *level;     /* demand node stockpile */
    bool *short_last;  /* demand node was short last month */

    /* Results of the month, per node or link. */
    double *prod;      /* producer output */
    double *curtailed; /* producer output lost past the stock cap */
    double *recv;      /* buyer receipts */
    double *recycled;  /* demand node secondary supply */
    double *shortfall; /* demand node shortfall S_j(t) */
    double *released;  /* demand node stockpile release */
    double *tariff;    /* buyer tariff paid (receipts x tau x price) */
    double *ship;      /* link flow */

    /* Scratch.  base[j] is the running part of buyer j's request: full-rate
     * input of a converter, need less recycling of a demand node — what an
     * export licence covers (not buffer top-ups or stockpile refills). */
    double *supply, *spare, *request, *base, *rem, *load, *fill, *lic;
    double *conv_recv; /* converter receipts awaiting production */
    /* Round scratch.  Within one commodity's clearing a link that cannot
     * take an order never can again (licences and attractiveness are
     * fixed for the month, a supplier's spare only falls, restricted links
     * drop out after round 1), nor can a buyer whose request is met.  So
     * each round works on the buyers still open (open[0..n_open)) and on
     * each one's links still usable (live[by_buyer.start[j] ..] + n_live[j],
     * in by_buyer order), and later rounds skip what earlier ones ruled
     * out — the same operations in the same order, fewer tests. */
    int *open, *live, *n_live;
    size_t n_open;
    int rounds_used;   /* diagnostics: rounds of the last commodity */
} sf_market_ws;

SF_MUST_CHECK
int sf_market_ws_init(sf_market_ws *w, const sf_model *m);
void sf_market_ws_free(sf_market_ws *w);

/* Start of a trial: stocks as at t = 0 under the mix. */
void sf_market_reset(sf_market_ws *w, const sf_model *m,
                     const sf_policy_plan *pp);

/* One month t; the caller has set cap, f, r, tau, attr and need. */
void sf_market_month(const sf_model *m, const sf_policy_plan *pp, int t,
                     sf_market_ws *w);

#endif
