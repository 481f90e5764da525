/*
 * test_clearing.c — one commodity's market cleared at prices, driven
 * directly: the known answers of docs/model.md in closed form (swept over
 * parameter values), the clearing conditions checked by an independent
 * evaluation on random markets, conservation and limits, rationing, and
 * independence from the order in which suppliers, buyers and links are
 * listed.
 */
#include <criterion/criterion.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "shortfall/clearing.h"

#define MAXN 64

/* A market built by hand: links as (supplier, buyer, groups...). */
typedef struct {
    sf_market_graph g;
    double avail[MAXN], plan[MAXN], eps[MAXN], attr[MAXN], tau1[MAXN],
        quota[MAXN];
    double y[MAXN], lam[MAXN], x[MAXN], q[MAXN], pre[MAXN], demand[MAXN],
        recv[MAXN], sold[MAXN];
    sf_clearing_in in;
    sf_clearing_out out;
    sf_clearing_ws ws;
} market;

typedef struct {
    int sup, buy;
    double w, tau;
    int n_groups;
    int groups[4];
} link_spec;

/* Links must be given grouped by buyer (buyer 0's first). */
static void market_build(market *mk, size_t ns, size_t nb, size_t ng,
                         const link_spec *ls, size_t nl)
{
    sf_market_graph *g = &mk->g;
    memset(mk, 0, sizeof *mk);
    g->ns = ns;
    g->nb = nb;
    g->nl = nl;
    g->ng = ng;
    g->sup_node = calloc(ns + 1, sizeof(int));
    g->buy_node = calloc(nb + 1, sizeof(int));
    g->buy_start = calloc(nb + 1, sizeof(size_t));
    g->lk_sup = calloc(nl + 1, sizeof(int));
    g->lk_link = calloc(nl + 1, sizeof(int));
    g->lk_gstart = calloc(nl + 1, sizeof(size_t));
    g->lk_group = calloc(4 * nl + 1, sizeof(int));
    g->group_id = calloc(ng + 1, sizeof(int));
    size_t m = 0;
    for (size_t k = 0; k < nl; k++) {
        cr_assert(k == 0 || ls[k].buy >= ls[k - 1].buy, "links by buyer");
        g->buy_start[ls[k].buy + 1] = k + 1;
        g->lk_sup[k] = ls[k].sup;
        g->lk_link[k] = (int)k;
        g->lk_gstart[k] = m;
        for (int x = 0; x < ls[k].n_groups; x++)
            g->lk_group[m++] = ls[k].groups[x];
        mk->attr[k] = ls[k].w * pow(1.0 + ls[k].tau, -3.0);
        mk->tau1[k] = 1.0 + ls[k].tau;
    }
    g->lk_gstart[nl] = m;
    for (size_t b = 1; b <= nb; b++)
        if (g->buy_start[b] < g->buy_start[b - 1])
            g->buy_start[b] = g->buy_start[b - 1];
    cr_assert_eq(sf_market_graph_index(g), 0);
    cr_assert_eq(sf_clearing_ws_init(&mk->ws, ns, ng, nl, nb), 0);
    for (size_t c = 0; c < ng; c++)
        mk->quota[c] = -1.0;
    mk->in = (sf_clearing_in){1.0, 3.0, 1.0, 10.0, mk->avail, mk->plan,
                              mk->eps, mk->attr, mk->tau1, mk->quota, NULL, NULL};
    mk->out = (sf_clearing_out){mk->y, mk->lam, mk->x, mk->q, mk->pre,
                                mk->demand, mk->recv, mk->sold, 0, 0.0};
}

/* Sets sigma, recomputing the attractiveness of every link. */
static void market_sigma(market *mk, const link_spec *ls, double sigma)
{
    mk->in.sigma = sigma;
    for (size_t k = 0; k < mk->g.nl; k++)
        mk->attr[k] = ls[k].w * pow(1.0 + ls[k].tau, -sigma);
}

static void market_free(market *mk)
{
    sf_clearing_ws_free(&mk->ws);
    sf_market_graph_free(&mk->g);
}

static double price(const market *mk, int i)
{
    return mk->in.P * exp(mk->y[i]);
}

#define close_to(a, b, tol, ...)                                               \
    cr_assert(fabs((a) - (b)) <= (tol) * (1.0 + fabs(b)), __VA_ARGS__)

Test(clearing, scarcity_prices_and_the_cap)
{
    /* One supplier with (1-s) N, one buyer planning N: price
     * (1-s)^(-1/eps) while that is within the cap; past it the price is
     * the cap and the buyer orders N M^-eps. */
    link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}}};
    double Ns[] = {100.0, 7.5, 3e4}, ss[] = {0.5, 0.2, 0.9}, es[] = {0.5, 0.2,
                                                                      1.3};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 3; c++) {
                market mk;
                market_build(&mk, 1, 1, 0, ls, 1);
                double N = Ns[a], s = ss[b], eps = es[c];
                mk.avail[0] = (1.0 - s) * N;
                mk.plan[0] = N;
                mk.eps[0] = eps;
                sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
                double p = pow(1.0 - s, -1.0 / eps);
                cr_assert_leq(mk.out.residual, 1e-9);
                if (p <= 10.0) {
                    close_to(price(&mk, 0), p, 1e-9, "N %g s %g eps %g: p %.12g",
                             N, s, eps, price(&mk, 0));
                    close_to(mk.demand[0], (1 - s) * N, 1e-9, "demand");
                } else {
                    close_to(price(&mk, 0), 10.0, 1e-12, "at the cap");
                    close_to(mk.demand[0], N * pow(10.0, -eps), 1e-9,
                             "demand at the cap");
                }
                close_to(mk.recv[0], (1 - s) * N, 1e-9,
                         "N %g s %g eps %g: receipts %.15g", N, s, eps,
                         mk.recv[0]);
                market_free(&mk);
            }
    /* The example of docs/model.md: eps 0.2, s 0.5, N 100. */
    market mk;
    market_build(&mk, 1, 1, 0, ls, 1);
    mk.avail[0] = 50.0;
    mk.plan[0] = 100.0;
    mk.eps[0] = 0.2;
    sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
    close_to(mk.demand[0], 63.0957344480193, 1e-12, "ordered %.12g",
             mk.demand[0]);
    close_to(100.0 - mk.demand[0], 36.904, 1e-5, "priced out");
    close_to(mk.demand[0] - mk.recv[0], 13.096, 1e-4, "rationed");
    market_free(&mk);
}

Test(clearing, surplus_holds_output_back)
{
    link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}}};
    double ks[] = {2.0, 1.25, 7.0}, betas[] = {1.0, 0.5, 2.0};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            market mk;
            market_build(&mk, 1, 1, 0, ls, 1);
            double k = ks[a], beta = betas[b];
            mk.in.beta = beta;
            mk.avail[0] = k * 100.0;
            mk.plan[0] = 100.0;
            mk.eps[0] = 0.2;
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            /* k N p^beta = N, or the floor 1/M. */
            close_to(price(&mk, 0), fmax(0.1, pow(1.0 / k, 1.0 / beta)), 1e-9,
                     "k %g beta %g: %.12g", k, beta, price(&mk, 0));
            close_to(mk.sold[0], 100.0, 1e-9, "sold");
            market_free(&mk);
        }
}

Test(clearing, two_tier_prices_under_a_quota)
{
    /* A CN mine of 2N; CN and US buyers of N each (eps 0.5); the US link
     * is in a quota group of (1 - s) N. */
    link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}}, {0, 1, 1.0, 0.0, 1, {0}}};
    double ss[] = {0.5, 0.3, 0.8}, Ns[] = {100.0, 12.0};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 2; b++) {
            market mk;
            market_build(&mk, 1, 2, 1, ls, 2);
            double s = ss[a], N = Ns[b];
            mk.avail[0] = 2 * N;
            mk.plan[0] = mk.plan[1] = N;
            mk.eps[0] = mk.eps[1] = 0.5;
            mk.quota[0] = (1 - s) * N;
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            cr_assert_leq(mk.out.residual, 1e-9);
            /* The US price (1-s)^(-1/eps), or past the cap the cap, the
             * quota filled and the rest of the US orders rationed; the
             * mine sells N + (1-s) N either way. */
            double p_us = pow(1 - s, -2.0);
            close_to(price(&mk, 0), (2 - s) / 2, 1e-9, "s %g: CN price %.12g",
                     s, price(&mk, 0));
            close_to(mk.q[1], fmin(p_us, 10.0), 1e-9, "US price %.12g",
                     mk.q[1]);
            close_to(mk.demand[1], N * pow(fmin(p_us, 10.0), -0.5), 1e-9,
                     "US orders");
            close_to(mk.recv[1], (1 - s) * N, 1e-9, "US receipts");
            close_to(mk.recv[0], N, 1e-9, "CN receipts");
            close_to(mk.sold[0], (2 - s) * N, 1e-9, "sold");
            market_free(&mk);
        }
}

Test(clearing, tariff_diversion)
{
    /* JP and CN suppliers of N each, a US buyer of N, a tariff tau on CN:
     * p_JP / p_CN = (1 + tau)^(sigma / (sigma + 1)), p_CN + p_JP = 1. */
    double taus[] = {0.25, 0.1, 1.0}, sigmas[] = {3.0, 1.5, 6.0};
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) {
            double tau = taus[a], sigma = sigmas[b];
            link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}},
                              {1, 0, 1.0, tau, 0, {0}}};
            market mk;
            market_build(&mk, 2, 1, 0, ls, 2);
            market_sigma(&mk, ls, sigma);
            mk.avail[0] = mk.avail[1] = 100.0;
            mk.plan[0] = 100.0;
            mk.eps[0] = 0.2;
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            double ratio = pow(1 + tau, sigma / (sigma + 1));
            double p_cn = 1.0 / (1.0 + ratio), p_jp = 1.0 - p_cn;
            close_to(price(&mk, 1), p_cn, 1e-9, "tau %g sigma %g: p_CN %.12g",
                     tau, sigma, price(&mk, 1));
            close_to(price(&mk, 0), p_jp, 1e-9, "p_JP");
            close_to(mk.x[1], 100.0 * p_cn, 1e-9, "from CN");
            close_to(mk.x[0], 100.0 * p_jp, 1e-9, "from JP");
            if (tau == 0.25 && sigma == 3.0) {
                close_to(p_cn, 0.458258, 1e-6, "doc value");
                double paid = (mk.x[0] * mk.q[0] + mk.x[1] * mk.q[1]) / 100.0;
                close_to(paid, 0.555985, 1e-6, "average price %.9g", paid);
                close_to(mk.x[1] * mk.pre[1] * tau, 100 * p_cn * p_cn * tau,
                         1e-9, "tariff %.9g", mk.x[1] * mk.pre[1] * tau);
                cr_assert_lt(fabs(mk.x[1] * mk.pre[1] * tau - 5.25), 5e-5,
                             "the doc's 5.2500");
            }
            market_free(&mk);
        }
}

/* The clearing conditions checked from the prices alone, by a separate
 * evaluation: every supplier not at a bound sells what it offers at its
 * price (relative excess <= tol), one at the floor is offered at least
 * what is ordered, one at the cap is ordered at least what it has; every
 * quota not at its bounds is met, a slack quota has no premium.  Then the
 * flows: nothing negative, no supplier over its output, no quota over. */
static void check_equilibrium(const market *mk, double tol)
{
    const sf_market_graph *g = &mk->g;
    const sf_clearing_in *in = &mk->in;
    double P = in->P, cap = in->M * P, orders[MAXN] = {0}, use[MAXN] = {0};
    double flow_at[MAXN] = {0};
    bool has_buyer[MAXN] = {0}, all_capped[MAXN];
    for (size_t c = 0; c < g->ng; c++)
        all_capped[c] = true;

    for (size_t b = 0; b < g->nb; b++) {
        double B = 0, Aq = 0, a[MAXN], q[MAXN];
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
            int i = g->lk_sup[k];
            bool open = in->attr[k] > 0 && in->avail[i] > 0;
            double lam = 0;
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++) {
                int c = g->lk_group[x];
                open = open && in->quota[c] != 0.0;
                if (in->quota[c] > 0)
                    lam += mk->lam[c] * P;
            }
            a[k] = q[k] = 0;
            if (!open)
                continue;
            double pre = fmin(P * exp(mk->y[i]) + lam, cap);
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                if (pre < cap * (1 - 1e-12))
                    all_capped[g->lk_group[x]] = false;
            q[k] = pre * in->tau1[k];
            a[k] = in->attr[k] * pow(pre / P, -in->sigma);
            B += a[k];
            Aq += a[k] * q[k];
            if (in->plan[b] > 0)
                has_buyer[i] = true;
        }
        if (B <= 0)
            continue;
        double pbar = Aq / B;
        double D = in->plan[b] * fmin(1.0, pow(pbar / P, -in->eps[b]));
        close_to(mk->demand[b], D, 1e-12, "buyer %zu orders", b);
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
            flow_at[k] = D * a[k] / B;
            orders[g->lk_sup[k]] += D * a[k] / B;
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                use[g->lk_group[x]] += D * a[k] / B;
        }
    }
    /* A quota whose every licensed price is at the cap and still over is
     * filled in proportion: only what it fills counts as orders. */
    double fill[MAXN];
    for (size_t c = 0; c < g->ng; c++) {
        fill[c] = 1.0;
        if (in->quota[c] > 0 && use[c] > in->quota[c] && all_capped[c])
            fill[c] = in->quota[c] / use[c];
    }
    for (size_t i = 0; i < g->ns; i++)
        orders[i] = 0;
    for (size_t k = 0; k < g->nl; k++) {
        double f = 1.0;
        for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
            f = fmin(f, fill[g->lk_group[x]]);
        orders[g->lk_sup[k]] += flow_at[k] * f;
    }
    for (size_t i = 0; i < g->ns; i++) {
        if (!has_buyer[i])
            continue;
        double p = P * exp(mk->y[i]);
        double S = in->avail[i] * fmin(1.0, pow(p / P, in->beta));
        double rel = (orders[i] - S) / S;
        if (p <= P / in->M * (1 + 1e-12))
            cr_assert_leq(rel, tol, "supplier %zu at the floor: %g", i, rel);
        else if (p >= cap * (1 - 1e-12))
            cr_assert_geq(orders[i], in->avail[i] * (1 - tol),
                          "supplier %zu at the cap", i);
        else
            cr_assert_leq(fabs(rel), tol, "supplier %zu: excess %g at p %g", i,
                          rel, p);
    }
    for (size_t c = 0; c < g->ng; c++) {
        if (!(in->quota[c] > 0))
            continue;
        double rel = (use[c] - in->quota[c]) / in->quota[c];
        if (mk->lam[c] <= 0.0)
            cr_assert_leq(rel, tol, "slack quota %zu over: %g", c, rel);
        else if (all_capped[c])
            cr_assert_geq(rel, -tol, "quota %zu at the cap under: %g", c, rel);
        else
            cr_assert_leq(fabs(rel), tol, "binding quota %zu: %g (lam %g)", c,
                          rel, mk->lam[c]);
    }
    /* Flows after the conservation pass and the rationing rounds. */
    double shipped[MAXN] = {0}, flow[MAXN] = {0};
    for (size_t b = 0; b < g->nb; b++) {
        double r = 0;
        for (size_t k = g->buy_start[b]; k < g->buy_start[b + 1]; k++) {
            cr_assert_geq(mk->x[k], 0.0);
            r += mk->x[k];
            shipped[g->lk_sup[k]] += mk->x[k];
            for (size_t x = g->lk_gstart[k]; x < g->lk_gstart[k + 1]; x++)
                flow[g->lk_group[x]] += mk->x[k];
        }
        close_to(mk->recv[b], r, 1e-12, "receipts add up");
        cr_assert_leq(r, mk->demand[b] * (1 + 1e-12), "no more than ordered");
    }
    for (size_t i = 0; i < g->ns; i++) {
        /* Sums of flows to rounding: a few ulps. */
        cr_assert_leq(shipped[i], in->avail[i] * (1 + 1e-14),
                      "supplier %zu over: %.17g > %.17g",
                      i, shipped[i], in->avail[i]);
        close_to(mk->sold[i], shipped[i], 1e-12, "sold adds up");
    }
    for (size_t c = 0; c < g->ng; c++)
        if (in->quota[c] >= 0)
            cr_assert_leq(flow[c], in->quota[c] * (1 + 1e-14), "quota %zu over",
                          c);
}

/* A random market: ns suppliers, nb buyers, each buyer linked to a random
 * subset, tariffs, and ng quota groups over random links. */
static size_t random_market(market *mk, gsl_rng *r, link_spec *ls,
                            bool extreme)
{
    size_t ns = 1 + gsl_rng_uniform_int(r, 6), nb = 1 + gsl_rng_uniform_int(r, 6);
    size_t ng = gsl_rng_uniform_int(r, 3), nl = 0;
    for (size_t b = 0; b < nb; b++)
        for (size_t i = 0; i < ns; i++) {
            if (gsl_rng_uniform(r) < 0.3 && !(i == ns - 1 && nl == 0))
                continue;
            link_spec l = {(int)i, (int)b, 0.1 + gsl_rng_uniform(r),
                           gsl_rng_uniform(r) < 0.3 ? gsl_rng_uniform(r) : 0.0,
                           0,
                           {0}};
            for (size_t c = 0; c < ng; c++)
                if (gsl_rng_uniform(r) < 0.4)
                    l.groups[l.n_groups++] = (int)c;
            ls[nl++] = l;
        }
    market_build(mk, ns, nb, ng, ls, nl);
    mk->in.sigma = 0.5 + 5 * gsl_rng_uniform(r);
    mk->in.beta = extreme && gsl_rng_uniform(r) < 0.2
                      ? 0.0
                      : 0.2 + 1.8 * gsl_rng_uniform(r);
    mk->in.M = 1.5 + 20 * gsl_rng_uniform(r);
    mk->in.P = 0.01 + 100 * gsl_rng_uniform(r);
    market_sigma(mk, ls, mk->in.sigma);
    for (size_t i = 0; i < ns; i++)
        mk->avail[i] = gsl_rng_uniform(r) < 0.1 ? 0.0 : 100 * gsl_rng_uniform(r);
    for (size_t b = 0; b < nb; b++) {
        mk->plan[b] = gsl_rng_uniform(r) < 0.1 ? 0.0 : 100 * gsl_rng_uniform(r);
        mk->eps[b] = extreme && gsl_rng_uniform(r) < 0.2
                         ? 0.0
                         : 0.05 + 1.5 * gsl_rng_uniform(r);
    }
    for (size_t c = 0; c < ng; c++) {
        double u = gsl_rng_uniform(r);
        mk->quota[c] = u < 0.2 ? -1.0 : (u < 0.3 ? 0.0 : 60 * gsl_rng_uniform(r));
    }
    for (size_t i = 0; i < ns; i++)
        mk->y[i] = gsl_rng_uniform(r) < 0.5 ? 0.0 : 2 * gsl_rng_uniform(r) - 1;
    return nl;
}

Test(clearing, random_markets_clear)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int worst_it = 0;
    for (int trial = 0; trial < 3000; trial++) {
        gsl_rng_set(r, (unsigned long)trial + 1);
        market mk;
        link_spec ls[MAXN];
        random_market(&mk, r, ls, false);
        sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
        cr_assert_leq(mk.out.residual, 1e-9, "market %d: residual %g after %d",
                      trial, mk.out.residual, mk.out.iterations);
        worst_it = mk.out.iterations > worst_it ? mk.out.iterations : worst_it;
        check_equilibrium(&mk, 1e-8);
        /* From its own solution the solver has nothing to do. */
        double x0[MAXN];
        memcpy(x0, mk.x, sizeof x0);
        sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
        cr_assert_eq(mk.out.iterations, 0, "market %d restarted", trial);
        for (size_t k = 0; k < mk.g.nl; k++)
            cr_assert_eq(mk.x[k], x0[k], "market %d: same flows", trial);
        market_free(&mk);
    }
    cr_log_info("most Newton iterations: %d", worst_it);
    gsl_rng_free(r);
}

/* Every output of a solve, bit for bit. */
typedef struct {
    double v[8 * MAXN + 1];
    int iterations;
} solution;

static solution solution_of(const market *mk)
{
    solution s;
    size_t n = 0, ns = mk->g.ns, nb = mk->g.nb, nl = mk->g.nl, ng = mk->g.ng;
    const struct {
        const double *a;
        size_t n;
    } parts[] = {{mk->y, ns},      {mk->lam, ng},   {mk->x, nl},
                 {mk->q, nl},      {mk->pre, nl},   {mk->demand, nb},
                 {mk->recv, nb},   {mk->sold, ns}};
    memset(&s, 0, sizeof s);
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++) {
        memcpy(s.v + n, parts[p].a, parts[p].n * sizeof(double));
        n += parts[p].n;
    }
    s.v[n] = mk->out.residual;
    s.iterations = mk->out.iterations;
    return s;
}

/* The market's shortcuts (models/market.c) rest on two properties: the
 * supplier terms remembered in exp_memo (fresh, or left by an earlier
 * solve) change no bit of a solve; and from a converged solution the
 * solver returns that solution, bit for bit, in 0 iterations. */
Test(clearing, memo_and_restart_from_a_solution_change_no_bit)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int restarted = 0;
    for (int trial = 0; trial < 2000; trial++) {
        gsl_rng_set(r, (unsigned long)trial + 7001);
        market mk;
        link_spec ls[MAXN];
        double y0[MAXN], memo[7 * MAXN + 1];
        random_market(&mk, r, ls, trial % 2 == 1);
        memcpy(y0, mk.y, sizeof y0);
        sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
        solution plain = solution_of(&mk);
        for (size_t i = 0; i < mk.g.ns; i++)
            memo[i] = NAN;
        for (size_t b = 0; b < mk.g.nb; b++)
            memo[3 * mk.g.ns + b] = NAN;
        for (size_t k = 0; k < mk.g.nl; k++)
            memo[3 * mk.g.ns + 2 * mk.g.nb + k] = NAN;
        mk.in.exp_memo = memo;
        for (int pass = 0; pass < 2; pass++) {
            /* Fresh memo, then the one the first pass left. */
            memcpy(mk.y, y0, sizeof y0);
            memset(mk.lam, 0, sizeof mk.lam);
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            solution s = solution_of(&mk);
            cr_assert(memcmp(&s, &plain, sizeof s) == 0,
                      "market %d pass %d: memo changed the solve", trial, pass);
        }
        mk.in.exp_memo = NULL;
        if (plain.iterations < SF_CLEARING_MAX_ITER &&
            mk.out.residual <= SF_CLEARING_TOL) {
            /* Start at the solution (y and lam as returned). */
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            solution s = solution_of(&mk);
            cr_assert_eq(s.iterations, 0, "market %d restarted", trial);
            s.iterations = plain.iterations;
            cr_assert(memcmp(&s, &plain, sizeof s) == 0,
                      "market %d: restart from the solution changed bits",
                      trial);
            restarted++;
        }
        market_free(&mk);
    }
    cr_log_info("restarted from the solution: %d of 2000", restarted);
    cr_assert_geq(restarted, 1900);
    gsl_rng_free(r);
}

/* A solve must read nothing an earlier solve left in its workspace: the
 * engine gives each thread one workspace for all its trials, so what a
 * thread ran before would otherwise change results with the thread count.
 * The corner: a supplier whose only open link comes from a buyer who plans
 * nothing is no unknown of the solve, yet that link's licensed price
 * under a quota premium decides whether the group is capped.  Two-tier
 * markets of test two_tier_prices_under_a_quota plus such a supplier and
 * buyer in the group; the workspace's supplier prices and weight factors
 * are filled with other values before the second solve. */
Test(clearing, nothing_left_in_the_workspace_changes_a_solve)
{
    link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}},
                      {0, 1, 1.0, 0.0, 1, {0}},
                      {1, 2, 1.0, 0.0, 1, {0}}};
    double ss[] = {0.5, 0.8, 0.9, 0.95}, junk[] = {1e-3, 0.5, 3.0, 1e3};
    for (int a = 0; a < 4; a++)
        for (int j = 0; j < 4; j++) {
            market mk;
            market_build(&mk, 2, 3, 1, ls, 3);
            double s = ss[a], N = 100.0;
            mk.avail[0] = 2 * N;
            mk.avail[1] = N;
            mk.plan[0] = mk.plan[1] = N;
            mk.plan[2] = 0.0;
            mk.eps[0] = mk.eps[1] = mk.eps[2] = 0.5;
            mk.quota[0] = (1 - s) * N;
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            solution fresh = solution_of(&mk);
            memset(mk.y, 0, sizeof mk.y);
            memset(mk.lam, 0, sizeof mk.lam);
            for (size_t i = 0; i < mk.g.ns; i++)
                mk.ws.price[i] = mk.ws.efac[i] = junk[j];
            sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
            solution again = solution_of(&mk);
            cr_assert(memcmp(&fresh, &again, sizeof fresh) == 0,
                      "s %g, left-over supplier terms %g changed the solve",
                      s, junk[j]);
            market_free(&mk);
        }
}

/* With inelastic supply or demand (beta or eps 0) some markets are
 * degenerate: a supplier whose every buyer is under one quota, with supply
 * and quota nearly equal, has only p + lambda determined until a bound is
 * reached, and the solver creeps along that valley.  It must still clear
 * nearly all of them, and never break the limits. */
Test(clearing, inelastic_markets_clear_nearly_always)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int n = 4000, unsolved = 0;
    for (int trial = 0; trial < n; trial++) {
        gsl_rng_set(r, (unsigned long)trial + 100003);
        market mk;
        link_spec ls[MAXN];
        random_market(&mk, r, ls, true);
        sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
        if (mk.out.residual > 1e-9)
            unsolved++;
        else
            check_equilibrium(&mk, 1e-8);
        market_free(&mk);
    }
    cr_log_info("unsolved: %d of %d", unsolved, n);
    cr_assert_leq(unsolved, n / 200, "%d of %d markets unsolved", unsolved, n);
    gsl_rng_free(r);
}

Test(clearing, unfilled_orders_pass_to_suppliers_with_output_left)
{
    /* Buyer 0 linked to A (tiny weight) and B; buyer 1 linked to A only.
     * A quota of 0 closes B to buyer 1 ... instead: A is scarce and at the
     * cap for buyer 1's sake, so buyer 0's share of A goes unfilled and
     * passes to B. */
    link_spec ls[] = {{0, 0, 1.0, 0.0, 0, {0}},
                      {1, 0, 1.0, 0.0, 0, {0}},
                      {0, 1, 1.0, 0.0, 0, {0}}};
    market mk;
    market_build(&mk, 2, 2, 0, ls, 3);
    mk.in.sigma = 0.5;
    market_sigma(&mk, ls, 0.5);
    mk.avail[0] = 10.0;  /* A */
    mk.avail[1] = 500.0; /* B */
    mk.plan[0] = 100.0;
    mk.plan[1] = 100.0;
    mk.eps[0] = mk.eps[1] = 0.0;
    sf_clearing_solve(&mk.g, &mk.in, &mk.out, &mk.ws);
    cr_assert_leq(mk.out.residual, 1e-9);
    /* A is at the cap (buyer 1 alone orders 100 > 10 at any price). */
    close_to(price(&mk, 0), 10.0, 1e-12, "A at the cap");
    check_equilibrium(&mk, 1e-8);
    /* Buyer 0 gets all it ordered: its part not filled by A comes from
     * B; buyer 1 has nobody else and is rationed. */
    close_to(mk.recv[0], mk.demand[0], 1e-12, "buyer 0 filled");
    close_to(mk.sold[0], 10.0, 1e-12, "A sold out");
    cr_assert_lt(mk.recv[1], 10.0);
    market_free(&mk);
}

/* Markets listed in another order clear to the same prices and flows. */
Test(clearing, order_of_suppliers_buyers_and_links_does_not_matter)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (int trial = 0; trial < 500; trial++) {
        gsl_rng_set(r, (unsigned long)trial + 7);
        market a, b;
        link_spec ls[MAXN], lp[MAXN];
        size_t nl = random_market(&a, r, ls, false);
        size_t ns = a.g.ns, nb = a.g.nb, ng = a.g.ng;
        /* Reverse suppliers and buyers; links regrouped by new buyer with
         * suppliers reversed inside. */
        size_t n = 0;
        for (size_t bb = 0; bb < nb; bb++) {
            size_t ob = nb - 1 - bb;
            for (size_t k = nl; k-- > 0;)
                if ((size_t)ls[k].buy == ob) {
                    lp[n] = ls[k];
                    lp[n].buy = (int)bb;
                    lp[n].sup = (int)(ns - 1 - (size_t)ls[k].sup);
                    n++;
                }
        }
        market_build(&b, ns, nb, ng, lp, nl);
        b.in = a.in;
        b.in.avail = b.avail;
        b.in.plan = b.plan;
        b.in.eps = b.eps;
        b.in.attr = b.attr;
        b.in.tau1 = b.tau1;
        b.in.quota = b.quota;
        market_sigma(&b, lp, a.in.sigma);
        for (size_t i = 0; i < ns; i++) {
            b.avail[ns - 1 - i] = a.avail[i];
            a.y[i] = b.y[ns - 1 - i] = 0.0;
        }
        for (size_t j = 0; j < nb; j++) {
            b.plan[nb - 1 - j] = a.plan[j];
            b.eps[nb - 1 - j] = a.eps[j];
        }
        memcpy(b.quota, a.quota, sizeof a.quota);
        sf_clearing_solve(&a.g, &a.in, &a.out, &a.ws);
        sf_clearing_solve(&b.g, &b.in, &b.out, &b.ws);
        for (size_t i = 0; i < ns; i++)
            close_to(b.y[ns - 1 - i], a.y[i], 1e-9,
                     "market %d price %zu: %.12g vs %.12g (it %d %d res %g %g)",
                     trial, i, b.y[ns - 1 - i], a.y[i], a.out.iterations,
                     b.out.iterations, a.out.residual, b.out.residual);
        for (size_t j = 0; j < nb; j++)
            close_to(b.recv[nb - 1 - j], a.recv[j], 1e-8,
                     "market %d receipts %zu: %.12g vs %.12g", trial, j,
                     b.recv[nb - 1 - j], a.recv[j]);
        market_free(&a);
        market_free(&b);
    }
    gsl_rng_free(r);
}
