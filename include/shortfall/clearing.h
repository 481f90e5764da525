/*
 * clearing.h — one commodity's market in one month, cleared at prices
 * (docs/model.md, "One month" and "Solving for the prices").
 *
 * The structure of a commodity's market (its suppliers, buyers, links and
 * quota groups, in local indices) is fixed for a model: sf_market_graph.
 * A month gives the quantities (what each supplier has, what each buyer
 * plans, link attractiveness, quotas in force) in sf_clearing_in; the
 * solver finds every supplier's price and every binding quota's premium,
 * warm-started from the prices it is given, then holds the flows to the
 * limits exactly and passes unfilled orders over to suppliers with output
 * left (sf_clearing_ration).  Pure functions of their arguments: no
 * allocation after sf_clearing_ws_init, no I/O.
 */
#ifndef SHORTFALL_CLEARING_H
#define SHORTFALL_CLEARING_H

#include <stdbool.h>
#include <stddef.h>

/* Newton iterations after which the solver gives up (the residual left is
 * reported; it has never been reached on the shipped scenarios). */
#define SF_CLEARING_MAX_ITER 100

/* The solver stops when every residual (log excess demand at a supplier or
 * quota not at a bound) is at most this. */
#define SF_CLEARING_TOL 1e-10

/* A buyer's unfilled order, a supplier's output left or a quota's room
 * smaller than this fraction of its size is rounding, not a quantity. */
#define SF_CLEARING_EPS 1e-12

/* One commodity's market structure, in local indices.  Links are grouped
 * by buyer: the links of buyer b are buy_start[b] .. buy_start[b+1]-1. */
typedef struct {
    size_t ns, nb, nl, ng;
    int *sup_node;     /* [ns] model node of each supplier */
    int *buy_node;     /* [nb] model node of each buyer */
    size_t *buy_start; /* [nb + 1] */
    int *lk_sup;       /* [nl] supplier of each link (local) */
    int *lk_link;      /* [nl] the model's link index */
    size_t *lk_gstart; /* [nl + 1] quota groups of link k: lk_group[...] */
    int *lk_group;     /* local group indices */
    int *group_id;     /* [ng] the model's quota group index */
    /* The same links grouped by supplier and by group (indices into the
     * link arrays), for the sums over a supplier's or a group's links. */
    size_t *sup_start; /* [ns + 1] */
    int *sup_link;
    size_t *grp_start; /* [ng + 1] */
    int *grp_link;
} sf_market_graph;

void sf_market_graph_free(sf_market_graph *g);

/* Builds the by-supplier and by-group indices of a graph whose ns, nb,
 * nl, ng, buy_start, lk_sup, lk_gstart and lk_group are set.  0 or
 * SF_ERR_NOMEM. */
int sf_market_graph_index(sf_market_graph *g);

/* A month's quantities for one commodity (arrays in the graph's local
 * indices, borrowed). */
typedef struct {
    double P;     /* reference price */
    double sigma; /* substitution elasticity */
    double beta;  /* supply elasticity */
    double M;     /* price cap multiple: prices in [P/M, M P] */
    const double *avail; /* [ns] what each supplier offers (A_i) */
    const double *plan;  /* [nb] each buyer's planned purchases (N_j) */
    const double *eps;   /* [nb] each buyer's price elasticity */
    /* [nl] w_l (1 + tau_l)^-sigma, the link's attractiveness at the
     * reference price; 0 closes the link. */
    const double *attr;
    const double *tau1;  /* [nl] 1 + tau_l */
    /* [ng] each quota group's quota for the month; negative: the group is
     * not in force; 0 closes its links. */
    const double *quota;
    /* [ns] ln(floor / P) of a supplier with a price floor, -INFINITY for
     * one without; NULL: none has.  A floored supplier offers what it
     * would at max(p, floor): S = A min(1, (max(p, floor)/P)^beta). */
    const double *floor_y;
    /* [3 ns + 2 nb + 2 nl] or NULL: the caller's memory of this
     * commodity's supplier terms, v_i (NaN: none yet), then P exp(v_i)
     * and exp(-sigma v_i) at it; of its buyers' demand factors, pbar_j
     * (NaN: none yet), then exp(-eps_j ln(pbar_j / P)); and of its
     * links' weight factors under a premium, the licensed price pre_l
     * (NaN: none yet), then exp(-sigma ln(pre_l / P)).  An evaluation at
     * the same v_i, pbar_j or pre_l takes them from here (P, sigma and
     * eps must stay those of the commodity).  The solver keeps it. */
    double *exp_memo;
} sf_clearing_in;

/* The solution.  y and lam are read as the starting point and written
 * with the solution. */
typedef struct {
    double *y;    /* [ns] ln(p_i / P) */
    /* [ng] premium / P of each group (0 when not in force; M when every
     * licensed price in it is at the cap) */
    double *lam;
    double *x;    /* [nl] flow on each link */
    double *q;    /* [nl] delivered price (premium and tariff included) */
    double *pre;  /* [nl] price before tariff (premium included) */
    double *demand; /* [nb] D_j, what each buyer orders at the price */
    double *recv;   /* [nb] what each buyer received */
    double *sold;   /* [ns] what each supplier shipped */
    int iterations;  /* Newton iterations used */
    double residual; /* largest residual left (0 when none is free) */
} sf_clearing_out;

typedef struct {
    size_t max_vars, max_links, max_buyers;
    /* Per variable (suppliers, then groups). */
    double *v, *lo, *hi, *r, *phi, *step, *vtry, *h, *size;
    int *is_bound, *mark;
    double *jac; /* max_vars^2, row-major */
    int *perm, *touched, *pinned;
    /* Per link and buyer. */
    double *a, *pbar, *dq_y, *dq_g, *lfac;
    double *price, *gfac, *efac, *log_avail;
    /* Quotas filled in proportion: gjac[c * vars + j] is the derivative of
     * the log of group c's flow shares; gw the per-buyer weights. */
    double *gjac, *gw;
    int *uncapped, *bind, *degenerate, *capped_over;

    int *open;
    bool *closed_group;
    /* This solve's open links, buyer by buyer in link order (buyer b's
     * are olink[ostart[b] .. ostart[b + 1] - 1]), and the links in some
     * quota group (n_glink of them, in order); bsum[b] is buyer b's sum
     * of link weights at the point last evaluated; solink/sostart list
     * the open links supplier by supplier (in sup_link order). */
    int *olink, *glink, *solink;
    int *ogrouped; /* [per olink entry] the link is in some group */
    size_t *ostart, *sostart, n_glink;
    double *bsum;
    /* Rationing scratch. */
    double *order, *load, *spare, *room, *rem;
} sf_clearing_ws;

/* Workspace for graphs of at most these sizes.  0 or SF_ERR_NOMEM. */
int sf_clearing_ws_init(sf_clearing_ws *w, size_t max_suppliers,
                        size_t max_groups, size_t max_links,
                        size_t max_buyers);
void sf_clearing_ws_free(sf_clearing_ws *w);

/* Solves for the prices and premia and the flows at them, then holds
 * every flow to its supplier's output and its quotas and passes unfilled
 * orders on (the rationing rounds).  out->y and out->lam hold the starting
 * point on entry. */
void sf_clearing_solve(const sf_market_graph *g, const sf_clearing_in *in,
                       sf_clearing_out *out, sf_clearing_ws *w);

#endif
