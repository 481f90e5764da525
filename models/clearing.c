/*
 * clearing.c — clears one commodity's market at prices (docs/model.md,
 * "One month", "Solving for the prices").
 *
 * Unknowns: each supplier's log price relative to the reference,
 * v_i = ln(p_i / P) in [-ln M, ln M], and each quota group's premium
 * relative to the reference price, v_g = lambda_g / P in [0, M - 1/M].
 * Residuals: the log excess demand at each supplier, ln(orders_i) -
 * ln S_i(p_i), and at each quota in force, ln(flow_g) - ln Q_g; positive
 * means "raise it".  The clearing conditions are a box-constrained
 * complementarity problem, written as Phi(v) = v - mid(lo, hi, v + r(v)) =
 * 0, and solved by a semismooth Newton method: a row whose v + r falls
 * outside its box is pinned to that bound, the others take the Newton
 * step of r = 0 with the analytic derivatives below, steps are capped at
 * 1 in log price and accepted only if they reduce |Phi|^2 (halving
 * otherwise).  Then flows are held to the limits exactly and unfilled
 * orders passed on, round by round, all buyers at once.
 *
 * Derivatives.  Buyer j has open links l with weights a_l = w_l q_l^-sigma,
 * shares s_l = a_l / sum a, average price Pbar = sum s_l q_l and orders
 * D = N min(1, (Pbar/P)^-eps), x_l = D s_l.  Then
 *   d ln x_l / d ln q_m = -sigma [l = m] + h_m,
 *   h_m = sigma s_m - eps' s_m ((1 - sigma) q_m / Pbar + sigma),
 * with eps' = eps above the reference price and 0 below it, and
 *   d ln q_l / d v_i = p_i / (p_i + lambda_l)  (l from supplier i),
 *   d ln q_l / d v_g = P / (p_i + lambda_l)    (l in group g),
 * both 0 when the licensed price sits at the cap.  A row's derivative is
 * the flow-weighted sum over its links, divided by its size (orders or
 * flow), less beta on a supplier's own price below the reference.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef SF_CLEARING_TRACE
#include <stdio.h>
#endif
#include "shortfall.h"
#include "shortfall/clearing.h"

/* The largest Newton step, in log price (and premium over P). */
#define STEP_CAP 2.0

/* A residual standing in for ln 0: no orders at all. */
#define NO_ORDERS (-1e3)

static inline double min2(double a, double b)
{
    return a < b ? a : b;
}

static inline double max2(double a, double b)
{
    return a > b ? a : b;
}

/* Whether group g is in force this month (a quota of 0 closes its links
 * and leaves no unknown). */
static inline bool group_binds(const sf_clearing_in *in, int g)
{
    return in->quota[g] > 0.0;
}

/* Phi of unknown k from its residual: pinned to a bound when v + r falls
 * outside its box, else -r. */
static inline void classify(sf_clearing_ws *w, const double *v, size_t k)
{
    double t = v[k] + w->r[k];
    if (t <= w->lo[k]) {
        w->phi[k] = v[k] - w->lo[k];
        w->is_bound[k] = -1;
    } else if (t >= w->hi[k]) {
        w->phi[k] = v[k] - w->hi[k];
        w->is_bound[k] = 1;
    } else {
        w->phi[k] = -w->r[k];
        w->is_bound[k] = 0;
    }
}

/* How far unknown k is from its clearing condition, in relative excess
 * demand: |r| inside its box; at a bound, only a residual pointing back
 * into the box counts. */
static inline double violation(const sf_clearing_ws *w, const double *v,
                               size_t k)
{
    if (w->capped_over[k])
        return 0.0;
    if (v[k] <= w->lo[k])
        return max2(0.0, w->r[k]);
    if (v[k] >= w->hi[k])
        return max2(0.0, -w->r[k]);
    return fabs(w->r[k]);
}

/* Per supplier with an open link: its price, and exp(-sigma v), its
 * weight factor on links with no premium; from in->exp_memo when v is
 * the one it holds.  Not only the marked ones (the unknowns): a link
 * from a buyer who plans nothing is open, and its licensed price can
 * decide whether its quota group is capped (evaluate_buyers), so every
 * open link must see its supplier's price at v, never one an earlier
 * solve left in the workspace. */
static void supplier_terms(const sf_market_graph *g, const sf_clearing_in *in,
                           sf_clearing_ws *w, const double *v)
{
    size_t ns = g->ns;
    double P = in->P, sigma = in->sigma;
    double *memo = in->exp_memo;
    for (size_t i = 0; i < ns; i++) {
        if (!w->mark[i] && w->sostart[i + 1] == w->sostart[i])
            continue;
        if (memo && v[i] == memo[i]) {
            /* (v = +0.0 and -0.0 give the same terms) */
            w->price[i] = memo[ns + i];
            w->efac[i] = memo[2 * ns + i];
            continue;
        }
        w->price[i] = P * exp(v[i]);
        w->efac[i] = exp(-sigma * v[i]);
        if (memo) {
            memo[i] = v[i];
            memo[ns + i] = w->price[i];
            memo[2 * ns + i] = w->efac[i];
        }
    }
}

/* Per open link, the delivered price, premium and weight at v; per
 * buyer, its average price, its orders at that price and their split
 * over its links. */
static void evaluate_buyers(const sf_market_graph *g, const sf_clearing_in *in,
                            sf_clearing_out *out, sf_clearing_ws *w,
                            const double *v)
{
    size_t ns = g->ns;
    double P = in->P, sigma = in->sigma, cap = in->M * in->P;
    double *memo = in->exp_memo;

    supplier_terms(g, in, w, v);
    /* uncapped[c]: some open link of group c has a licensed price below
     * the cap (else its premium changes nothing any more). */
    for (size_t c = 0; c < g->ng; c++)
        w->uncapped[c] = 0;
    /* Only open links: a closed one's weight and flow stay the 0 that
     * setup gave them. */
    for (size_t b = 0; b < g->nb; b++) {
        double B = 0.0, Aq = 0.0;
        size_t o0 = w->ostart[b], o1 = w->ostart[b + 1];
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w->olink[o];
            int i = g->lk_sup[k];
            double p = w->price[i], lam = 0.0;
            if (!w->ogrouped[o]) {
                /* A link in no group: the lam = 0 case below (dq_y is
                 * the 1 that setup gave it; no uncapped flag to set). */
                double a = in->attr[k] * w->efac[i], q = p * in->tau1[k];
                out->pre[k] = p;
                out->q[k] = q;
                w->a[k] = a;
                B += a;
                Aq += a * q;
                continue;
            }
            /* A group not in force has v = +0.0 throughout (setup; it is
             * never marked), which adds nothing to lam (never -0.0). */
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                lam += v[ns + (size_t)g->lk_group[x]];
            double pre, a;
            if (lam == 0.0) {
                pre = p;
                a = in->attr[k] * w->efac[i];
                w->dq_y[k] = 1.0;
                /* (read only through a group of the link) */
                if (g->lk_gstart[k + 1] > g->lk_gstart[k])
                    w->dq_g[k] = P / p;
            } else {
                double raw = p + lam * P;
                pre = min2(raw, cap);
                /* (the memo's link part: pre, then the factor at it) */
                double *lm = memo ? memo + 3 * ns + 2 * g->nb : NULL;
                if (lm && pre == lm[k]) {
                    a = in->attr[k] * lm[g->nl + k];
                } else {
                    double f = exp(-sigma * log(pre / P));
                    a = in->attr[k] * f;
                    if (lm) {
                        lm[k] = pre;
                        lm[g->nl + k] = f;
                    }
                }
                w->dq_y[k] = raw >= cap ? 0.0 : p / raw;
                w->dq_g[k] = raw >= cap ? 0.0 : P / raw;
            }
            if (!(lam > 0.0) || pre < cap)
                for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                    w->uncapped[g->lk_group[x]] = 1;
            out->pre[k] = pre;
            out->q[k] = pre * in->tau1[k];
            w->a[k] = a;
            B += a;
            Aq += a * out->q[k];
        }
        w->bsum[b] = B;
        if (!(B > 0.0)) {
            /* No open link (or every weight underflowed): nothing to buy
             * from; the whole plan is rationed. */
            for (size_t o = o0; o < o1; o++)
                out->x[w->olink[o]] = 0.0;
            w->pbar[b] = cap;
            out->demand[b] = in->plan[b];
            continue;
        }
        double pbar = Aq / B;
        w->pbar[b] = pbar;
        double D = in->plan[b];
        if (pbar > P) {
            /* (the memo's buyer part: pbar, then the factor at it) */
            double *bm = memo ? memo + 3 * ns : NULL;
            if (bm && pbar == bm[b]) {
                D *= bm[g->nb + b];
            } else {
                double f = exp(-in->eps[b] * log(pbar / P));
                D *= f;
                if (bm) {
                    bm[b] = pbar;
                    bm[g->nb + b] = f;
                }
            }
        }
        out->demand[b] = D;
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w->olink[o];
            out->x[k] = w->a[k] > 0.0 ? D * (w->a[k] / B) : 0.0;
        }
    }
}

/* The delivered prices, weights and flows at v, each row's size and
 * residual, and |Phi|^2; returns the largest |Phi|.  active[k] (w->mark)
 * says which unknowns take part. */
static double evaluate(const sf_market_graph *g, const sf_clearing_in *in,
                       sf_clearing_out *out, sf_clearing_ws *w,
                       const double *v, double *merit)
{
    size_t ns = g->ns, nv = g->ns + g->ng;

    evaluate_buyers(g, in, out, w, v);

    /* Quotas first.  A quota whose premium is at its bound (every licensed
     * price in it at the cap) and still over fills its orders in
     * proportion, and only what it fills counts as orders for its
     * exporters' output. */
    double worst = 0.0, f = 0.0;
    for (size_t k = 0; k < nv; k++) {
        w->phi[k] = 0.0;
        w->is_bound[k] = 0;
        w->capped_over[k] = 0;
    }
    for (size_t c = 0; c < g->ng; c++) {
        size_t k = ns + c;
        w->gfac[c] = 1.0;
        if (!w->mark[k])
            continue;
        double use = 0.0;
        for (size_t x = g->grp_start[c]; x < g->grp_start[c + 1]; x++)
            use += out->x[g->grp_link[x]];
        w->size[k] = use;
        w->r[k] = use > 0.0 ? log(use / in->quota[c]) : NO_ORDERS;
        w->capped_over[k] = !w->uncapped[c] && w->r[k] > 0.0;
        if (w->capped_over[k]) {
            /* Every licensed price at the cap and still over: the premium
             * is at its bound, and the quota fills in proportion. */
            w->phi[k] = v[k] - w->hi[k];
            w->is_bound[k] = 1;
            w->gfac[c] = in->quota[c] / use;
        } else {
            classify(w, v, k);
        }
        f += w->phi[k] * w->phi[k];
        worst = max2(worst, violation(w, v, k));
    }
    /* (A link in no group keeps the lfac 1 and bind -1 of setup.) */
    for (size_t y = 0; y < w->n_glink; y++) {
        size_t k = (size_t)w->glink[y];
        double fk = 1.0;
        w->bind[k] = -1;
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
            if (w->gfac[g->lk_group[x]] < fk) {
                fk = w->gfac[g->lk_group[x]];
                w->bind[k] = g->lk_group[x];
            }
        w->lfac[k] = fk;
    }
    for (size_t k = 0; k < ns; k++) {
        if (!w->mark[k])
            continue;
        double size = 0.0;
        /* (a closed link's flow is +0.0: it would add nothing) */
        for (size_t x = w->sostart[k]; x < w->sostart[k + 1]; x++) {
            int l = w->solink[x];
            size += out->x[l] * w->lfac[l];
        }
        double ys = in->floor_y ? max2(v[k], in->floor_y[k]) : v[k];
        double log_s = w->log_avail[k] + min2(0.0, in->beta * ys);
        w->r[k] = size > 0.0 ? log(size) - log_s : NO_ORDERS;
        w->size[k] = size;
        classify(w, v, k);
        f += w->phi[k] * w->phi[k];
        worst = max2(worst, violation(w, v, k));
    }
    *merit = f;
    return worst;
}

/* The unknown of entry e of link k: its supplier (e = 0) or its
 * (e-1)-th quota group. */
static inline size_t link_entity(const sf_market_graph *g, size_t k, size_t e)
{
    return e == 0 ? (size_t)g->lk_sup[k]
                  : g->ns + (size_t)g->lk_group[g->lk_gstart[k] + e - 1];
}

static void jacobian_quota_supply(const sf_market_graph *g,
                                  const sf_clearing_in *in,
                                  const sf_clearing_out *out,
                                  sf_clearing_ws *w, const double *v);

/* Buyer b's links olink[o0 .. o1 - 1] in w->jac: the -sigma [l = m]
 * term of jacobian. */
static void jacobian_own_price(const sf_market_graph *g,
                               const sf_clearing_in *in,
                               const sf_clearing_out *out, sf_clearing_ws *w,
                               size_t o0, size_t o1)
{
    size_t nv = g->ns + g->ng;
    double sigma = in->sigma, *J = w->jac;

    /* The -sigma [l = m] term: a link's own price, in the rows it
     * counts in (its supplier, its groups), through each unknown its
     * price depends on (the same list).  Entry 0 is the supplier,
     * entry e > 0 the link's (e-1)-th group. */
    for (size_t o = o0; o < o1; o++) {
        size_t k = (size_t)w->olink[o];
        if (!(w->a[k] > 0.0))
            continue;
        size_t n_ent = 1 + (g->lk_gstart[k + 1] - g->lk_gstart[k]);
        if (n_ent == 1) {
            /* The same, for a link in no group: its supplier only. */
            size_t r = (size_t)g->lk_sup[k];
            if (!w->mark[r] || !(w->size[r] > 0.0))
                continue;
            double xr = sigma * out->x[k] / w->size[r];
            xr *= w->lfac[k];
            J[r * nv + r] -= xr * w->dq_y[k];
            continue;
        }
        for (size_t e = 0; e < n_ent; e++) {
            size_t r = link_entity(g, k, e);
            if (!w->mark[r] || !(w->size[r] > 0.0))
                continue;
            double xr = sigma * out->x[k] / w->size[r];
            if (e == 0)
                xr *= w->lfac[k];
            for (size_t f = 0; f < n_ent; f++) {
                size_t c = link_entity(g, k, f);
                if (w->mark[c])
                    J[r * nv + c] -= xr * (f == 0 ? w->dq_y[k] : w->dq_g[k]);
            }
        }
    }
}

/* d r / d v at the point last evaluated, into w->jac (rows and columns of
 * the unknowns that take part). */
static void jacobian(const sf_market_graph *g, const sf_clearing_in *in,
                     const sf_clearing_out *out, sf_clearing_ws *w,
                     const double *v)
{
    size_t ns = g->ns, nv = g->ns + g->ng;
    double P = in->P, sigma = in->sigma;
    double *J = w->jac, *X = w->step; /* step is free until the solve */

    memset(J, 0, nv * nv * sizeof *J);
    memset(w->gjac, 0, g->ng * nv * sizeof *w->gjac);
    for (size_t k = 0; k < nv; k++) {
        w->h[k] = 0.0;
        X[k] = 0.0;
    }
    for (size_t c = 0; c < g->ng; c++)
        w->gw[c] = 0.0;
    /* Over each buyer's open links only: a closed link's weight is 0. */
    for (size_t b = 0; b < g->nb; b++) {
        double B = w->bsum[b], pbar = w->pbar[b], D = out->demand[b];
        size_t o0 = w->ostart[b], o1 = w->ostart[b + 1];
        if (!(B > 0.0) || !(D > 0.0))
            continue;
        double eps = pbar > P ? in->eps[b] : 0.0;
        size_t n_touch = 0;
        /* H (the common term of every link's derivative) and X (this
         * buyer's flow in each row), over the unknowns its links touch. */
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w->olink[o];
            if (!(w->a[k] > 0.0))
                continue;
            double s = w->a[k] / B;
            double hk = sigma * s -
                        eps * s * ((1.0 - sigma) * out->q[k] / pbar + sigma);
            size_t i = (size_t)g->lk_sup[k];
            if (w->mark[i]) {
                if (w->touched[i] == 0)
                    w->perm[n_touch++] = (int)i, w->touched[i] = 1;
                w->h[i] += hk * w->dq_y[k];
                X[i] += out->x[k] * w->lfac[k];
            }
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
                size_t c = ns + (size_t)g->lk_group[x];
                if (!w->mark[c])
                    continue;
                if (w->touched[c] == 0)
                    w->perm[n_touch++] = (int)c, w->touched[c] = 1;
                w->h[c] += hk * w->dq_g[k];
                X[c] += out->x[k];
            }
        }
        for (size_t a = 0; a < n_touch; a++) {
            size_t r = (size_t)w->perm[a];
            if (!(w->size[r] > 0.0))
                continue;
            double xr = X[r] / w->size[r], *Jr = J + r * nv;
            for (size_t c = 0; c < n_touch; c++) {
                size_t j = (size_t)w->perm[c];
                Jr[j] += xr * w->h[j];
            }
        }
        jacobian_own_price(g, in, out, w, o0, o1);
        /* A quota filled in proportion passes on Q x_k / U of each link:
         * d ln(x_k / U) = d ln x_k - sum_m (x_m / U) d ln x_m, and on a
         * capped link d ln x_k = H (its own price is fixed at the cap).
         * gjac[c] collects sum_m (x_m / U) H over the group's buyers. */
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w->olink[o];
            if (w->bind[k] >= 0 && w->a[k] > 0.0)
                w->gw[w->bind[k]] += out->x[k] / w->size[ns + (size_t)w->bind[k]];
        }
        /* (gw[c] != 0 only from an open link bound by c, so the open
         * links reach every such c.) */
        for (size_t o = o0; o < o1; o++) {
            size_t k = (size_t)w->olink[o];
            int c = w->bind[k];
            if (c < 0 || w->gw[c] == 0.0)
                continue;
            for (size_t a = 0; a < n_touch; a++) {
                size_t j = (size_t)w->perm[a];
                w->gjac[(size_t)c * nv + j] += w->gw[c] * w->h[j];
            }
            w->gw[c] = 0.0;
        }
        for (size_t a = 0; a < n_touch; a++) {
            size_t r = (size_t)w->perm[a];
            w->touched[r] = 0;
            w->h[r] = 0.0;
            X[r] = 0.0;
        }
    }
    jacobian_quota_supply(g, in, out, w, v);
}

/* The rest of jacobian: what quotas filled in proportion pass on to
 * their exporters' rows, and the supply term. */
static void jacobian_quota_supply(const sf_market_graph *g,
                                  const sf_clearing_in *in,
                                  const sf_clearing_out *out,
                                  sf_clearing_ws *w, const double *v)
{
    size_t ns = g->ns, nv = g->ns + g->ng;
    double *J = w->jac;

    for (size_t y = 0; y < w->n_glink; y++) {
        size_t k = (size_t)w->glink[y];
        int c = w->bind[k];
        size_t i = (size_t)g->lk_sup[k];
        if (c < 0 || !w->mark[i] || !(w->size[i] > 0.0))
            continue;
        double share = out->x[k] * w->lfac[k] / w->size[i];
        for (size_t j = 0; j < nv; j++)
            J[i * nv + j] -= share * w->gjac[(size_t)c * nv + j];
    }
    /* Supply: S = A min(1, exp(beta max(v, floor))). */
    for (size_t i = 0; i < ns; i++)
        if (w->mark[i] && v[i] < 0.0 &&
            !(in->floor_y && v[i] <= in->floor_y[i]))
            J[i * nv + i] -= in->beta;
}

/* Solves the Newton system for the step in w->step: pinned rows move to
 * their bound, free rows solve J_FF d_F = -r_F - J_FB d_B by Gaussian
 * elimination with partial pivoting on a slightly shifted matrix (so a
 * row with no derivative still moves, in the direction of its residual). */
static void newton_step(const sf_market_graph *g, sf_clearing_ws *w,
                        const double *v)
{
    size_t nv = g->ns + g->ng, nf = 0;
    double *J = w->jac, *d = w->step;
    int *free_idx = w->perm;
    double diag = 0.0;

    /* The pinned unknowns, in order. */
    int *pinned = w->pinned;
    size_t np = 0;
    for (size_t k = 0; k < nv; k++) {
        d[k] = 0.0;
        if (!w->mark[k])
            continue;
        if (w->is_bound[k]) {
            d[k] = (w->is_bound[k] < 0 ? w->lo[k] : w->hi[k]) - v[k];
            pinned[np++] = (int)k;
        } else {
            free_idx[nf++] = (int)k;
        }
    }
    if (nf == 0)
        return;
    for (size_t a = 0; a < nf; a++)
        diag = max2(diag, fabs(J[(size_t)free_idx[a] * nv + free_idx[a]]));
    double shift = 1e-9 * (1.0 + diag);
    /* A free unknown whose own residual hardly depends on it (a flat
     * stretch) takes a large step that says only "which way": it is
     * clipped on its own, not allowed to shrink everybody's step. */
    for (size_t k = 0; k < nv; k++)
        w->degenerate[k] = 0;
    for (size_t a = 0; a < nf; a++) {
        size_t r = (size_t)free_idx[a];
        w->degenerate[r] = fabs(J[r * nv + r]) <= 1e-6 * (1.0 + diag);
    }
    /* The reduced system, in place in the rows of the free unknowns:
     * row a holds J[free a][free c] for c < nf, then the right side. */
    double *A = w->jac; /* reuse: the reduced rows go after a copy */
    double *rhs = w->h;
    for (size_t a = 0; a < nf; a++) {
        size_t r = (size_t)free_idx[a];
        double s = -w->r[r];
        for (size_t x = 0; x < np; x++)
            s -= J[r * nv + (size_t)pinned[x]] * d[pinned[x]];
        rhs[a] = s;
    }
    /* Compact the free block into the top-left nf x nf corner, row by row
     * (row a's sources lie at or after its destination). */
    for (size_t a = 0; a < nf; a++) {
        size_t r = (size_t)free_idx[a];
        for (size_t c = 0; c < nf; c++)
            A[a * nf + c] = J[r * nv + (size_t)free_idx[c]];
        A[a * nf + a] += A[a * nf + a] > 0.0 ? shift : -shift;
    }
    for (size_t col = 0; col < nf; col++) {
        size_t piv = col;
        for (size_t a = col + 1; a < nf; a++)
            if (fabs(A[a * nf + col]) > fabs(A[piv * nf + col]))
                piv = a;
        if (piv != col) {
            for (size_t c = 0; c < nf; c++) {
                double t = A[col * nf + c];
                A[col * nf + c] = A[piv * nf + c];
                A[piv * nf + c] = t;
            }
            double t = rhs[col];
            rhs[col] = rhs[piv];
            rhs[piv] = t;
        }
        double p = A[col * nf + col];
        if (p == 0.0)
            p = A[col * nf + col] = -shift;
        for (size_t a = col + 1; a < nf; a++) {
            double f = A[a * nf + col] / p;
            if (f == 0.0)
                continue;
            for (size_t c = col; c < nf; c++)
                A[a * nf + c] -= f * A[col * nf + c];
            rhs[a] -= f * rhs[col];
        }
    }
    for (size_t a = nf; a-- > 0;) {
        double s = rhs[a];
        for (size_t c = a + 1; c < nf; c++)
            s -= A[a * nf + c] * rhs[c];
        rhs[a] = s / A[a * nf + a];
    }
    for (size_t a = 0; a < nf; a++)
        d[free_idx[a]] = rhs[a];
}

static inline double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* Which links and unknowns take part this month, and their boxes. */
static void setup(const sf_market_graph *g, const sf_clearing_in *in,
                  sf_clearing_out *out, sf_clearing_ws *w)
{
    size_t ns = g->ns;
    double ln_m = log(in->M);

    for (size_t c = 0; c < g->ng; c++)
        w->closed_group[c] = in->quota[c] == 0.0;
    for (size_t k = 0; k < ns + g->ng; k++)
        w->mark[k] = 0;
    w->n_glink = 0;
    for (size_t k = 0; k < g->nl; k++) {
        w->a[k] = out->x[k] = 0.0;
        w->lfac[k] = 1.0;
        w->bind[k] = -1;
        if (g->lk_gstart[k + 1] > g->lk_gstart[k])
            w->glink[w->n_glink++] = (int)k;
        else
            w->dq_y[k] = 1.0;
    }
    size_t n_open = 0;
    w->ostart[0] = 0;
    for (size_t b = 0; b < g->nb; b++) {
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
            int i = g->lk_sup[k];
            bool open = in->attr[k] > 0.0 && in->avail[i] > 0.0;
            for (size_t x = g->lk_gstart[k]; open && x < g->lk_gstart[k + 1];
                 x++)
                open = !w->closed_group[g->lk_group[x]];
            w->open[k] = open;
            if (open) {
                w->ogrouped[n_open] = g->lk_gstart[k + 1] > g->lk_gstart[k];
                w->olink[n_open++] = (int)k;
            }
            if (!open || !(in->plan[b] > 0.0))
                continue;
            w->mark[i] = 1;
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                if (group_binds(in, g->lk_group[x]))
                    w->mark[ns + (size_t)g->lk_group[x]] = 1;
        }
        w->ostart[b + 1] = n_open;
    }
    n_open = 0;
    w->sostart[0] = 0;
    for (size_t i = 0; i < ns; i++) {
        for (size_t x = g->sup_start[i]; x < g->sup_start[i + 1]; x++)
            if (w->open[g->sup_link[x]])
                w->solink[n_open++] = g->sup_link[x];
        w->sostart[i + 1] = n_open;
    }
    for (size_t i = 0; i < ns; i++) {
        if (w->mark[i])
            w->log_avail[i] = log(in->avail[i]);
        w->lo[i] = -ln_m;
        w->hi[i] = ln_m;
        w->v[i] = clamp(out->y[i], -ln_m, ln_m);
    }
    for (size_t c = 0; c < g->ng; c++) {
        w->lo[ns + c] = 0.0;
        w->hi[ns + c] = in->M;
        w->v[ns + c] = group_binds(in, (int)c)
                           ? clamp(out->lam[c], 0.0, w->hi[ns + c])
                           : 0.0;
    }
}

/* Scales the flows to the quotas, then to the suppliers' output, and
 * sets what each supplier and quota has left and each buyer lacks. */
static void ration_limits(const sf_market_graph *g, const sf_clearing_in *in,
                   sf_clearing_out *out, sf_clearing_ws *w)
{
    size_t ns = g->ns, ng = g->ng;
    double *fs = w->load, *fg = w->load + ns;

    /* Quotas first, every group's factor from the same flows and each
     * link scaled by the smallest of its own; then each supplier's, from
     * the flows so limited (no order among groups, nor among suppliers). */
    for (size_t c = 0; c < ng; c++) {
        double use = 0.0;
        fg[c] = 1.0;
        if (!group_binds(in, (int)c))
            continue;
        for (size_t x = g->grp_start[c]; x < g->grp_start[c + 1]; x++)
            use += out->x[g->grp_link[x]];
        if (use > in->quota[c])
            fg[c] = in->quota[c] / use;
    }
    for (size_t y = 0; y < w->n_glink; y++) {
        size_t k = (size_t)w->glink[y];
        double f = 1.0;
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
            f = min2(f, fg[g->lk_group[x]]);
        if (f < 1.0)
            out->x[k] *= f;
    }
    for (size_t i = 0; i < ns; i++) {
        double tot = 0.0;
        for (size_t x = g->sup_start[i]; x < g->sup_start[i + 1]; x++)
            tot += out->x[g->sup_link[x]];
        fs[i] = tot > in->avail[i] ? in->avail[i] / tot : 1.0;
    }
    for (size_t k = 0; k < g->nl; k++)
        if (fs[g->lk_sup[k]] < 1.0)
            out->x[k] *= fs[g->lk_sup[k]];
    for (size_t i = 0; i < ns; i++) {
        double sold = 0.0;
        for (size_t x = g->sup_start[i]; x < g->sup_start[i + 1]; x++)
            sold += out->x[g->sup_link[x]];
        out->sold[i] = sold;
        double left = in->avail[i] > sold ? in->avail[i] - sold : 0.0;
        w->spare[i] = left > SF_CLEARING_EPS * in->avail[i] ? left : 0.0;
    }
    for (size_t c = 0; c < ng; c++) {
        w->room[c] = INFINITY;
        if (!(in->quota[c] >= 0.0))
            continue;
        double use = 0.0;
        for (size_t x = g->grp_start[c]; x < g->grp_start[c + 1]; x++)
            use += out->x[g->grp_link[x]];
        double left = in->quota[c] > use ? in->quota[c] - use : 0.0;
        w->room[c] = left > SF_CLEARING_EPS * in->quota[c] ? left : 0.0;
    }
    for (size_t b = 0; b < g->nb; b++) {
        double recv = 0.0;
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++)
            recv += out->x[k];
        out->recv[b] = recv;
        double rem = out->demand[b] - recv;
        w->rem[b] = rem > SF_CLEARING_EPS * out->demand[b] ? rem : 0.0;
    }
}

/* Rounds: each buyer with an unfilled order splits it over its open
 * links whose supplier has output left and whose groups have room, by
 * the same weights; suppliers and quotas fill in proportion.  Each
 * round fills every order or empties a supplier or a quota for good, so
 * they end; the bound is a guard. */
static void ration_rounds(const sf_market_graph *g, const sf_clearing_in *in,
                          sf_clearing_out *out, sf_clearing_ws *w)
{
    size_t ns = g->ns, ng = g->ng;
    double *fs = w->load, *fg = w->load + ns;

    for (size_t round = 0; round < 4 * (ns + ng) + 8; round++) {
        bool placed = false;
        for (size_t i = 0; i < ns + ng; i++)
            w->load[i] = 0.0;
        for (size_t b = 0; b < g->nb; b++) {
            double denom = 0.0;
            if (w->rem[b] <= 0.0)
                continue;
            for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
                w->order[k] = 0.0;
                bool ok = w->open[k] && w->a[k] > 0.0 &&
                          w->spare[g->lk_sup[k]] > 0.0;
                for (size_t x = g->lk_gstart[k]; ok && x < g->lk_gstart[k + 1];
                     x++)
                    ok = w->room[g->lk_group[x]] > 0.0;
                if (ok)
                    denom += w->a[k];
                w->order[k] = ok ? 1.0 : 0.0;
            }
            if (!(denom > 0.0)) {
                for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++)
                    w->order[k] = 0.0;
                continue;
            }
            for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
                if (w->order[k] == 0.0)
                    continue;
                double o = w->rem[b] * (w->a[k] / denom);
                w->order[k] = o;
                w->load[g->lk_sup[k]] += o;
                for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                    w->load[ns + (size_t)g->lk_group[x]] += o;
                placed = placed || o > 0.0;
            }
        }
        if (!placed)
            break;
        for (size_t i = 0; i < ns; i++)
            fs[i] = w->load[i] > w->spare[i] ? w->spare[i] / w->load[i] : 1.0;
        for (size_t c = 0; c < ng; c++)
            fg[c] = w->load[ns + c] > w->room[c] ? w->room[c] / w->load[ns + c]
                                                 : 1.0;
        for (size_t b = 0; b < g->nb; b++) {
            if (w->rem[b] <= 0.0)
                continue;
            double got = 0.0;
            for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
                double o = w->order[k];
                if (o == 0.0)
                    continue;
                double f = fs[g->lk_sup[k]];
                for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                    f = min2(f, fg[g->lk_group[x]]);
                double q = o * f;
                out->x[k] += q;
                got += q;
                w->order[k] = 0.0;
                size_t i = (size_t)g->lk_sup[k];
                out->sold[i] += q;
            }
            out->recv[b] += got;
            double rem = w->rem[b] - got;
            w->rem[b] = rem > SF_CLEARING_EPS * out->demand[b] ? rem : 0.0;
        }
        /* What is left, recomputed from what was shipped. */
        for (size_t i = 0; i < ns; i++) {
            double left = in->avail[i] - out->sold[i];
            w->spare[i] = left > SF_CLEARING_EPS * in->avail[i] ? left : 0.0;
        }
        for (size_t c = 0; c < ng; c++) {
            if (!(in->quota[c] >= 0.0))
                continue;
            double use = 0.0;
            for (size_t x = g->grp_start[c]; x < g->grp_start[c + 1]; x++)
                use += out->x[g->grp_link[x]];
            double left = in->quota[c] - use;
            w->room[c] = left > SF_CLEARING_EPS * in->quota[c] ? left : 0.0;
        }
    }
}

/* Holds flows to their limits exactly, then passes unfilled orders on
 * (docs/model.md, "Exact conservation and rationing"). */
static void ration(const sf_market_graph *g, const sf_clearing_in *in,
                   sf_clearing_out *out, sf_clearing_ws *w)
{
    ration_limits(g, in, out, w);
    ration_rounds(g, in, out, w);
}

/* One unknown's clearing condition solved on its own, the others held:
 * its residual falls as it rises (a dearer supplier sells less and offers
 * more; a higher premium licenses less), so it sits at the bound its
 * residual points at there, or where the residual changes sign, found by
 * regula falsi (Illinois) on [lo, hi].  Leaves w->v[k] and the evaluation
 * at the new point. */
static void solve_one(const sf_market_graph *g, const sf_clearing_in *in,
                      sf_clearing_out *out, sf_clearing_ws *w, size_t k,
                      double *merit)
{
    double *v = w->v, a = w->lo[k], b = w->hi[k];

    v[k] = a;
    evaluate(g, in, out, w, v, merit);
    double ra = w->capped_over[k] ? 1.0 : w->r[k];
    if (ra <= 0.0)
        return;
    v[k] = b;
    evaluate(g, in, out, w, v, merit);
    double rb = w->capped_over[k] ? 1.0 : w->r[k];
    if (rb >= 0.0)
        return;
    int side = 0;
    for (int i = 0; i < 200 && b - a > 1e-15 * (1.0 + fabs(a)); i++) {
        double c = (a * rb - b * ra) / (rb - ra);
        if (!(c > a && c < b))
            c = 0.5 * (a + b);
        v[k] = c;
        evaluate(g, in, out, w, v, merit);
        double rc = w->capped_over[k] ? 1.0 : w->r[k];
        if (fabs(rc) <= 0.1 * SF_CLEARING_TOL)
            return;
        if (rc > 0.0) {
            a = c;
            ra = rc;
            if (side == 1)
                rb *= 0.5;
            side = 1;
        } else {
            b = c;
            rb = rc;
            if (side == -1)
                ra *= 0.5;
            side = -1;
        }
    }
}

void sf_clearing_solve(const sf_market_graph *g, const sf_clearing_in *in,
                       sf_clearing_out *out, sf_clearing_ws *w)
{
    size_t ns = g->ns, nv = g->ns + g->ng;
    double merit, trial_merit;

    setup(g, in, out, w);
    double worst = evaluate(g, in, out, w, w->v, &merit);
    int it = 0;
    while (worst > SF_CLEARING_TOL && it < SF_CLEARING_MAX_ITER) {
        it++;
#ifdef SF_CLEARING_TRACE
        fprintf(stderr, "it %d worst %g merit %g:", it, worst, merit);
        for (size_t k = 0; k < nv; k++)
            if (w->mark[k])
                fprintf(stderr, " [%zu v %.6g r %.3g b %d]", k, w->v[k], w->r[k], w->is_bound[k]);
        fprintf(stderr, "\n");
#endif
        double merit_before = merit;
        jacobian(g, in, out, w, w->v);
        newton_step(g, w, w->v);
        /* The Newton step, each unknown's part capped at STEP_CAP (a
         * factor e^2 in price): a far-off unknown (a quota on a flat
         * stretch) then does not shrink everybody's step. */
        for (size_t k = 0; k < nv; k++)
            if (w->mark[k])
                w->step[k] = clamp(w->step[k], -STEP_CAP, STEP_CAP);
        double scale = 1.0;
        /* A free unknown that would leave its box stops the step where
         * it reaches the edge (rather than being clamped there while the
         * others go on, which turns the direction). */
        double t = 1.0;
        bool hits_bound = false;
        for (size_t k = 0; k < nv; k++) {
            if (!w->mark[k] || w->is_bound[k])
                continue;
            double d = scale * w->step[k];
            if (w->v[k] + d > w->hi[k] && w->v[k] < w->hi[k])
                t = min2(t, (w->hi[k] - w->v[k]) / d), hits_bound = true;
            else if (w->v[k] + d < w->lo[k] && w->v[k] > w->lo[k])
                t = min2(t, (w->lo[k] - w->v[k]) / d), hits_bound = true;
        }
        bool accepted = false;
        for (int halvings = 0; halvings < 30; halvings++) {
            for (size_t k = 0; k < nv; k++)
                w->vtry[k] = w->mark[k] ? clamp(w->v[k] + t * scale * w->step[k],
                                                w->lo[k], w->hi[k])
                                        : w->v[k];
            double wt = evaluate(g, in, out, w, w->vtry, &trial_merit);
            /* A step that stops where an unknown reaches its bound is
             * taken if |Phi|^2 does not grow: along a flat direction
             * (only p + lambda is determined until a bound is reached)
             * that is the progress there is. */
            if (trial_merit <= (1.0 - 1e-4 * t) * merit ||
                (halvings == 0 && hits_bound &&
                 trial_merit <= merit * (1.0 + 1e-12))) {
                memcpy(w->v, w->vtry, nv * sizeof *w->v);
                merit = trial_merit;
                worst = wt;
                accepted = true;
                break;
            }
            t *= 0.5;
        }
        if (!accepted || merit > 0.5 * merit_before) {
            /* No decrease along the Newton direction, or too little (a
             * kink, a flat stretch to be crossed to a bound, a valley of
             * |Phi|^2 that is not a solution): one sweep of one-dimensional
             * solves, each unknown in turn, before Newton tries again. */
            for (size_t k = 0; k < nv; k++)
                if (w->mark[k])
                    solve_one(g, in, out, w, k, &merit);
            worst = evaluate(g, in, out, w, w->v, &merit);
        }
    }
    out->iterations = it;
    out->residual = worst;
    for (size_t i = 0; i < ns; i++)
        out->y[i] = w->v[i];
    for (size_t c = 0; c < g->ng; c++)
        out->lam[c] = w->v[ns + c];
    ration(g, in, out, w);
}
