/*
 * engine.c — the trial loop.  Trials are cut into blocks of
 * SF_BLOCK_TRIALS, run in waves of blocks; within a wave OpenMP threads
 * claim slices of trials in trial order (a slice is a few trials, sized
 * to take 5 to 20 ms), each thread with its own workspace allocated
 * once.  Per-trial metrics go to their own rows (no sharing between
 * threads); what is accumulated over trials — histogram counts,
 * short-month counts, monthly fractions in fixed point — is integer:
 * fractions and short months summed per thread and added at the end, the
 * histograms counted in the results by atomic increments.  So every
 * number is bitwise identical whatever the thread count, the slice sizes,
 * the order in which slices finish, or where a run was interrupted and
 * resumed.
 *
 * The stop flag is looked at before every slice, and progress reported
 * after every slice of the calling thread: a stop takes effect, and
 * progress shows, within a slice's time (or one trial's, if longer).  A
 * claimed slice is always finished, and slices are claimed in trial
 * order, so the trials completed are always the run's first n_done.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>

#include "shortfall/engine.h"
#include "shortfall/costs.h"
#include "shortfall/market.h"
#include "shortfall/policy.h"
#include "shortfall/rng.h"
#include "shortfall/shocks.h"

/* Blocks per thread in one wave: enough to balance the load (the rows
 * of a wave are held in memory, and handed to rows_done at its end). */
#define WAVE_BLOCKS_PER_THREAD 2

/* A thread's slice of trials doubles while one takes less than
 * SLICE_SECONDS_MIN and halves while one takes more than
 * SLICE_SECONDS_MAX, from one trial up to a block: slices long enough
 * that claiming them costs nothing, short enough that a stop or a
 * progress report waits at most SLICE_SECONDS_MAX or one trial. */
#define SLICE_SECONDS_MIN 0.005
#define SLICE_SECONDS_MAX 0.02

/* Running metrics of one unit within a trial. */
typedef struct {
    double shortfall, need, peak, min_stock, tariff;
    double priced_out, rationed, cost, substituted;
    int months_short, run, longest;
} unit_state;

/* Aligned to a cache line: no two threads' workspaces share one. */
typedef struct {
    _Alignas(64) sf_rng rng;
    sf_market_ws mw;
    sf_shock_history *hist; /* per policy position; leaders only */
    double *noise;          /* [t * n_demand + d] demand noise factor */
    int *lead;              /* per node: lead time of a project */
    bool *completes;
    unit_state *us;         /* per unit */
    double *month_s, *month_n, *month_level, *month_tariff; /* per unit */
    double *month_po, *month_rat, *month_cost;              /* per unit */
    double *month_sub;                                      /* per unit */
    /* Per node: the demand node's lasting-substitution factor z and the
     * need it gave up this month (docs/model.md). */
    double *z, *subst;
    /* Per quota group, its flow in each of the last 12 months
     * ([g * 12 + t % 12]): what a quota starting now is a share of. */
    double *flows;
    uint64_t **short_counts; /* per policy: [t * U + u] */
    uint64_t **frac_sums;    /* per policy: [t * U + u], fixed point */
    /* Per policy: [t * U + u], the histograms' bin 0 (no shortfall), by far
     * the most common, counted apart in one compact array so that a month
     * without shortfall touches no histogram (each cell's bins are 8 KB
     * apart); added into bin 0 at the end of the run.  The other bins are
     * counted in the results' histograms directly, by atomic increments
     * (sf_policy_results.month_hist): a copy per thread, to be added up at
     * the end, would be as large as the results' (T x U x 1001 counts per
     * mix: 370 MB for ree-magnets over 600 months) and adding it up took
     * seconds — after an interrupt, too. */
    uint64_t **zero_counts;
    uint64_t **price_sums; /* per policy: [t * C + c], fixed point */
    uint64_t **region_sums; /* per policy: as sf_policy_results.region_sum */
    /* This month's exports and supply of each commodity and region
     * ([c * R + r]). */
    double *x_exp, *x_sup;
    /* The trial's price index so far: per commodity its sum over months
     * and highest month; per commodity and region ([c * R + r]) the
     * highest month, and this month's sums over the region's buyers. */
    double *p_sum, *p_peak, *p_rpeak, *p_rnum, *p_rden;
    /* The trial's public cost by kind (SF_COST_COLUMNS), tariff revenue
     * per region, and each node's need before demand reduction. */
    double *cost, *revenue, *gross;
    int *closed_n; /* per producer that may exit: months closed */
    uint64_t slice; /* trials claimed at a time (SLICE_SECONDS_*) */
} thread_ws;

typedef struct {
    const sf_model *m;
    const sf_run_options *opt;
    sf_results *res;
    sf_policy_plan *plans; /* per policy position */
    double *need_base;     /* [t * n_demand + d]: demand/12 * growth^t */
    /* Per commodity and region, [c * R + r]: whether the region has a
     * buyer of the commodity (if not, it has no price index). */
    bool *region_buys;
    double *flow_scale; /* per commodity: sf_results_flow_scale */
    int n_months;
    size_t n_units;
} engine;

const double sf_default_quantiles[SF_DEFAULT_N_QUANTILES] = {0.05, 0.5, 0.9,
                                                             0.95, 0.99};

static void thread_ws_free(thread_ws *w, size_t n_pol)
{
    if (w == NULL)
        return;
    sf_rng_free(&w->rng);
    sf_market_ws_free(&w->mw);
    if (w->hist)
        for (size_t p = 0; p < n_pol; p++)
            sf_shock_history_free(&w->hist[p]);
    free(w->hist);
    if (w->short_counts)
        for (size_t p = 0; p < n_pol; p++)
            free(w->short_counts[p]);
    if (w->frac_sums)
        for (size_t p = 0; p < n_pol; p++)
            free(w->frac_sums[p]);
    if (w->zero_counts)
        for (size_t p = 0; p < n_pol; p++)
            free(w->zero_counts[p]);
    free(w->zero_counts);
    if (w->price_sums)
        for (size_t p = 0; p < n_pol; p++)
            free(w->price_sums[p]);
    free(w->price_sums);
    if (w->region_sums)
        for (size_t p = 0; p < n_pol; p++)
            free(w->region_sums[p]);
    free(w->region_sums);
    free(w->x_exp);
    free(w->x_sup);
    free(w->p_sum);
    free(w->p_peak);
    free(w->p_rpeak);
    free(w->p_rnum);
    free(w->p_rden);
    free(w->short_counts);
    free(w->frac_sums);
    free(w->noise);
    free(w->lead);
    free(w->completes);
    free(w->us);
    free(w->month_s);
    free(w->month_n);
    free(w->month_level);
    free(w->month_tariff);
    free(w->month_po);
    free(w->month_rat);
    free(w->month_cost);
    free(w->month_sub);
    free(w->z);
    free(w->subst);
    free(w->flows);
    free(w->cost);
    free(w->revenue);
    free(w->gross);
    free(w->closed_n);
    memset(w, 0, sizeof *w);
}

static int thread_ws_init(thread_ws *w, const engine *e)
{
    const sf_model *m = e->m;
    size_t n_pol = e->res->n_policies, U = e->n_units, T = (size_t)e->n_months;
    size_t cells = T * U, C = m->n_commodities, CR = C * m->n_regions;

    memset(w, 0, sizeof *w);
    w->slice = 1;
    if (sf_rng_init(&w->rng) || sf_market_ws_init(&w->mw, m))
        return SF_ERR_NOMEM;
    w->hist = calloc(n_pol, sizeof *w->hist);
    w->short_counts = calloc(n_pol, sizeof *w->short_counts);
    w->frac_sums = calloc(n_pol, sizeof *w->frac_sums);
    w->zero_counts = calloc(n_pol, sizeof *w->zero_counts);
    w->price_sums = calloc(n_pol, sizeof *w->price_sums);
    w->region_sums = calloc(n_pol, sizeof *w->region_sums);
    if (!w->hist || !w->short_counts || !w->frac_sums || !w->zero_counts ||
        !w->price_sums || !w->region_sums)
        return SF_ERR_NOMEM;
    for (size_t p = 0; p < n_pol; p++) {
        if (sf_shock_history_init(&w->hist[p], e->n_months, m->n_shocks))
            return SF_ERR_NOMEM;
        w->short_counts[p] = calloc(cells, sizeof(uint64_t));
        w->frac_sums[p] = calloc(cells, sizeof(uint64_t));
        w->zero_counts[p] = calloc(cells, sizeof(uint64_t));
        w->price_sums[p] = calloc(T * (C ? C : 1), sizeof(uint64_t));
        w->region_sums[p] = calloc(2 * T * CR + 1, sizeof(uint64_t));
        if (!w->short_counts[p] || !w->frac_sums[p] || !w->zero_counts[p] ||
            !w->price_sums[p] || !w->region_sums[p])
            return SF_ERR_NOMEM;
    }
    w->p_sum = calloc(C ? C : 1, sizeof(double));
    w->p_peak = calloc(C ? C : 1, sizeof(double));
    w->p_rpeak = calloc(CR ? CR : 1, sizeof(double));
    w->p_rnum = calloc(CR ? CR : 1, sizeof(double));
    w->p_rden = calloc(CR ? CR : 1, sizeof(double));
    w->x_exp = calloc(CR ? CR : 1, sizeof(double));
    w->x_sup = calloc(CR ? CR : 1, sizeof(double));
    if (!w->p_sum || !w->p_peak || !w->p_rpeak || !w->p_rnum || !w->p_rden ||
        !w->x_exp || !w->x_sup)
        return SF_ERR_NOMEM;
    w->noise = calloc(T * (m->n_demand ? m->n_demand : 1), sizeof(double));
    w->lead = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(int));
    w->completes = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(bool));
    w->us = calloc(U, sizeof *w->us);
    w->month_s = calloc(U, sizeof(double));
    w->month_n = calloc(U, sizeof(double));
    w->month_level = calloc(U, sizeof(double));
    w->month_tariff = calloc(U, sizeof(double));
    w->month_po = calloc(U, sizeof(double));
    w->month_rat = calloc(U, sizeof(double));
    w->month_cost = calloc(U, sizeof(double));
    w->month_sub = calloc(U, sizeof(double));
    w->z = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(double));
    w->subst = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(double));
    if (!w->month_sub || !w->z || !w->subst)
        return SF_ERR_NOMEM;
    w->flows = calloc(12 * (m->n_groups ? m->n_groups : 1), sizeof(double));
    w->cost = calloc(SF_COST_COLUMNS, sizeof(double));
    w->revenue = calloc(m->n_regions ? m->n_regions : 1, sizeof(double));
    w->gross = calloc(m->n_nodes ? m->n_nodes : 1, sizeof(double));
    w->closed_n = calloc(m->n_exit ? m->n_exit : 1, sizeof(int));
    if (!w->cost || !w->revenue || !w->gross || !w->closed_n)
        return SF_ERR_NOMEM;
    if (!w->noise || !w->lead || !w->completes || !w->us || !w->month_s ||
        !w->month_n || !w->month_level || !w->month_tariff || !w->month_po ||
        !w->month_rat || !w->month_cost || !w->flows)
        return SF_ERR_NOMEM;
    return 0;
}

/* Capacity factors, tariffs and link weights, and the quotas in force,
 * from the shocks of month t.  A restriction that begins now fixes each
 * of its quota groups at (1 - s) times the group's mean flow over the last
 * twelve months; one that goes on keeps its quotas. */
static void apply_shocks(const engine *e, const sf_shock_history *h, int t,
                         const double *flows, sf_market_ws *mw)
{
    const sf_model *m = e->m;
    size_t K = h->n_shocks;
    const double *level = &h->level[(size_t)t * K];
    const unsigned char *active = &h->active[(size_t)t * K];
    const unsigned char *onset = &h->onset[(size_t)t * K];

    for (size_t i = 0; i < m->n_nodes; i++)
        mw->f[i] = 1.0;
    for (size_t l = 0; l < m->n_links; l++)
        mw->tau[l] = 0.0;
    for (size_t k = 0; k < K; k++) {
        double s = level[k];
        switch (m->sc->shocks[k].kind) {
        case SF_SHOCK_EXPORT_RESTRICTION:
            for (size_t x = m->shock_groups.start[k];
                 x < m->shock_groups.start[k + 1]; x++) {
                int g = m->shock_groups.item[x];
                if (!active[k]) {
                    mw->quota[g] = -1.0;
                } else if (onset[k] || mw->quota[g] < 0.0) {
                    double sum = 0.0;
                    for (int a = 0; a < 12; a++)
                        sum += flows[(size_t)g * 12 + (size_t)a];
                    mw->quota[g] = (1.0 - s) * (sum / 12.0);
                }
            }
            break;
        case SF_SHOCK_TARIFF:
            if (!active[k])
                break;
            for (size_t x = m->shock_links.start[k];
                 x < m->shock_links.start[k + 1]; x++)
                mw->tau[m->shock_links.item[x]] += s;
            break;
        case SF_SHOCK_OUTAGE:
            if (!active[k])
                break;
            for (size_t x = m->shock_nodes.start[k];
                 x < m->shock_nodes.start[k + 1]; x++)
                mw->f[m->shock_nodes.item[x]] *= 1.0 - s;
            break;
        case SF_SHOCK_SURGE:
            if (!active[k])
                break;
            for (size_t x = m->shock_nodes.start[k];
                 x < m->shock_nodes.start[k + 1]; x++)
                mw->f[m->shock_nodes.item[x]] *= 1.0 + s;
            break;
        }
    }
    sf_market_link_weights(m, mw);
}

/* Each quota group's flow of month t, into the twelve-month history. */
static void record_flows(const sf_model *m, const sf_market_ws *mw, int t,
                         double *flows)
{
    for (size_t g = 0; g < m->n_groups; g++) {
        double sum = 0.0;
        for (size_t x = m->group_links.start[g]; x < m->group_links.start[g + 1];
             x++)
            sum += mw->ship[m->group_links.item[x]];
        flows[g * 12 + (size_t)(t % 12)] = sum;
    }
}

static void sample_noise(const engine *e, thread_ws *w, uint64_t trial)
{
    const sf_model *m = e->m;
    size_t D = m->n_demand;

    for (size_t d = 0; d < D; d++) {
        int j = m->demand_nodes[d];
        double sigma = m->volatility[j];
        for (int t = 0; t < e->n_months; t++) {
            double z = 0.0;
            if (sigma > 0.0) {
                sf_rng_set(&w->rng, e->opt->seed, trial, SF_RNG_DEMAND,
                           (uint32_t)j, (uint32_t)t);
                z = gsl_ran_ugaussian(w->rng.gsl);
            }
            w->noise[(size_t)t * D + d] =
                sigma > 0.0 ? exp(sigma * z - 0.5 * sigma * sigma) : 1.0;
        }
    }
}

static void units_reset(thread_ws *w, size_t U)
{
    for (size_t u = 0; u < U; u++) {
        memset(&w->us[u], 0, sizeof w->us[u]);
        w->us[u].min_stock = INFINITY;
    }
}

static size_t hist_bin(double frac)
{
    if (frac <= 0.0)
        return 0;
    double b = ceil(frac * SF_HIST_BINS);
    return b >= SF_HIST_BINS ? SF_HIST_BINS : (b < 1.0 ? 1 : (size_t)b);
}

/* Adds month t of policy position p to the units' running metrics and
 * the thread's monthly accumulators. */
static void record_month(const engine *e, thread_ws *w, size_t p, int t,
                         uint64_t row)
{
    const sf_model *m = e->m;
    const sf_market_ws *mw = &w->mw;
    size_t U = e->n_units, D = m->n_demand, world = U - 1;

    for (size_t u = 0; u < U; u++)
        w->month_s[u] = w->month_n[u] = w->month_level[u] =
            w->month_tariff[u] = w->month_po[u] = w->month_rat[u] =
                w->month_cost[u] = w->month_sub[u] = 0.0;
    if (row < e->res->n_paths)
        for (size_t d = 0; d < D; d++)
            e->res->pol[p].path[((size_t)row * (size_t)e->n_months +
                                 (size_t)t) * D + d] =
                mw->shortfall[m->demand_nodes[d]];
    for (size_t d = 0; d < D; d++) {
        int j = m->demand_nodes[d];
        size_t units[3] = {d, D + (size_t)m->demand_region[d], world};
        for (int k = 0; k < 3; k++) {
            w->month_s[units[k]] += mw->shortfall[j];
            w->month_n[units[k]] += mw->need[j];
            w->month_level[units[k]] += mw->level[j];
            w->month_tariff[units[k]] += mw->tariff[j];
            w->month_po[units[k]] += mw->priced_out[j];
            w->month_rat[units[k]] += mw->rationed[j];
            w->month_cost[units[k]] +=
                mw->recv[j] * (mw->pbar[j] - m->c_price[m->input[j]]);
            w->month_sub[units[k]] += w->subst[j];
        }
    }
    for (size_t u = 0; u < U; u++) {
        unit_state *s = &w->us[u];
        double S = w->month_s[u], N = w->month_n[u];
        double frac = N > 0.0 ? S / N : 0.0;
        bool is_short = S > SF_SHORT_THRESHOLD * N && S > 0.0;
        s->shortfall += S;
        s->need += N;
        s->tariff += w->month_tariff[u];
        s->priced_out += w->month_po[u];
        s->rationed += w->month_rat[u];
        s->cost += w->month_cost[u];
        s->substituted += w->month_sub[u];
        if (frac > s->peak)
            s->peak = frac;
        if (w->month_level[u] < s->min_stock)
            s->min_stock = w->month_level[u];
        s->months_short += is_short;
        s->run = is_short ? s->run + 1 : 0;
        if (s->run > s->longest)
            s->longest = s->run;
        size_t cell = (size_t)t * U + u;
        w->frac_sums[p][cell] += (uint64_t)llround(frac * SF_FRAC_ONE);
        w->short_counts[p][cell] += is_short;
        size_t bin = hist_bin(frac);
        if (bin == 0) {
            w->zero_counts[p][cell]++;
        } else {
            uint64_t *count =
                &e->res->pol[p].month_hist[cell * (SF_HIST_BINS + 1) + bin];
#pragma omp atomic update
            *count += 1;
        }
    }
}

size_t sf_price_bin(double x, double M)
{
    double b = nearbyint((log(x) / log(M) + 1.0) * 0.5 * (SF_PRICE_BINS - 1));
    if (!(b > 0.0)) /* also NaN: no index */
        return 0;
    return b >= SF_PRICE_BINS - 1 ? SF_PRICE_BINS - 1 : (size_t)b;
}

double sf_price_bin_centre(size_t b, double M)
{
    return pow(M, 2.0 * (double)b / (SF_PRICE_BINS - 1) - 1.0);
}

static void prices_reset(const engine *e, thread_ws *w)
{
    size_t C = e->m->n_commodities, R = e->m->n_regions;
    for (size_t c = 0; c < C; c++) {
        w->p_sum[c] = 0.0;
        w->p_peak[c] = -INFINITY;
    }
    for (size_t x = 0; x < C * R; x++)
        w->p_rpeak[x] = -INFINITY;
}

/* This month's exports (to buyers in another country) and supply (to
 * anyone) of each commodity by the producers of each region, offtake
 * included: w->x_exp, w->x_sup. */
static void record_trade(const engine *e, thread_ws *w)
{
    const sf_model *m = e->m;
    size_t R = m->n_regions, CR = m->n_commodities * R;
    for (size_t x = 0; x < CR; x++)
        w->x_exp[x] = w->x_sup[x] = 0.0;
    for (size_t l = 0; l < m->n_links; l++) {
        int i = m->link_from[l], r = m->region_of_country[m->country[i]];
        if (r < 0)
            continue;
        size_t x = (size_t)m->output[i] * R + (size_t)r;
        w->x_sup[x] += w->mw.ship[l];
        if (m->link_foreign[l])
            w->x_exp[x] += w->mw.ship[l];
    }
}

/* Month t of a kept path (the first n_paths trials): the market record
 * (sf_policy_results.path_x). */
static void record_path(const engine *e, const thread_ws *w, size_t p, int t,
                        uint64_t row)
{
    const sf_model *m = e->m;
    size_t C = m->n_commodities, R = m->n_regions, CR = C * R, D = m->n_demand;
    size_t W = sf_results_path_x_width(e->res);
    double *out = &e->res->pol[p].path_x[((size_t)row * (size_t)e->n_months +
                                          (size_t)t) * W];
    for (size_t x = 0; x < CR; x++) {
        size_t c = x / R;
        out[x] = w->x_exp[x];
        out[CR + x] = w->x_sup[x];
        out[2 * CR + x] =
            !e->region_buys[x] ? NAN
            : w->p_rden[x] > 0.0 ? w->p_rnum[x] / w->p_rden[x]
                                : m->c_price[c];
    }
    for (size_t r = 0; r < 2 * R; r++)
        out[3 * CR + r] = 0.0;
    for (size_t d = 0; d < D; d++) {
        int j = m->demand_nodes[d];
        size_t r = (size_t)m->demand_region[d];
        out[3 * CR + r] += w->mw.shortfall[j];
        out[3 * CR + R + r] += w->mw.need[j];
    }
}

/* Adds month t of policy position p: the world price index of each
 * commodity (the market's), and each region's, the same mean over the
 * region's buyers in the same order; each region's exports; and, for a
 * kept path, the month's market record. */
static void record_prices(const engine *e, thread_ws *w, size_t p, int t,
                          uint64_t row)
{
    const sf_model *m = e->m;
    const sf_market_ws *mw = &w->mw;
    size_t C = m->n_commodities, R = m->n_regions;
    size_t cells = sf_results_region_cells(e->res);
    uint64_t *rsum = &w->region_sums[p][(size_t)t * C * R];

    if (R > 0)
        record_trade(e, w);
    for (size_t c = 0; c < C; c++) {
        double P = m->c_price[c], x = mw->index[c];
        size_t cell = (size_t)t * C + c;
        w->p_sum[c] += x;
        if (x > w->p_peak[c])
            w->p_peak[c] = x;
        w->price_sums[p][cell] += (uint64_t)llround(x / P * SF_PRICE_ONE);
        uint64_t *count = &e->res->pol[p].price_hist[cell * SF_PRICE_BINS +
                                                     sf_price_bin(x / P,
                                                                  m->c_cap[c])];
#pragma omp atomic update
        *count += 1;
        if (R == 0)
            continue;
        double *num = &w->p_rnum[c * R], *den = &w->p_rden[c * R];
        for (size_t r = 0; r < R; r++)
            num[r] = den[r] = 0.0;
        for (size_t k = m->buyers.start[c]; k < m->buyers.start[c + 1]; k++) {
            int j = m->buyers.item[k];
            int r = m->region_of_country[m->country[j]];
            if (r >= 0 && mw->plan[j] > 0.0) {
                num[r] += mw->plan[j] * mw->pbar[j];
                den[r] += mw->plan[j];
            }
        }
        double scale = e->flow_scale[c];
        for (size_t r = 0; r < R; r++) {
            double xr = den[r] > 0.0 ? num[r] / den[r] : P;
            if (e->region_buys[c * R + r]) {
                if (xr > w->p_rpeak[c * R + r])
                    w->p_rpeak[c * R + r] = xr;
                rsum[c * R + r] += (uint64_t)llround(xr / P * SF_PRICE_ONE);
            }
            rsum[cells + c * R + r] +=
                (uint64_t)llround(w->x_exp[c * R + r] / scale * SF_PRICE_ONE);
        }
    }
    if (row < e->res->n_paths)
        record_path(e, w, p, t, row);
}

static void store_trial(const engine *e, thread_ws *w, size_t p,
                        uint64_t row, const sf_shock_history *h)
{
    sf_policy_results *pr = &e->res->pol[p];
    size_t U = e->n_units, K = e->m->n_shocks;

    row -= e->res->row0;
    for (size_t u = 0; u < U; u++) {
        const unit_state *s = &w->us[u];
        size_t at = (size_t)row * U + u;
        pr->metric[SF_M_SHORTFALL][at] = s->shortfall;
        pr->metric[SF_M_NEED][at] = s->need;
        pr->metric[SF_M_FRACTION][at] =
            s->need > 0.0 ? s->shortfall / s->need : 0.0;
        pr->metric[SF_M_PEAK][at] = s->peak;
        pr->metric[SF_M_MONTHS_SHORT][at] = s->months_short;
        pr->metric[SF_M_LONGEST_RUN][at] = s->longest;
        pr->metric[SF_M_MIN_STOCK][at] = isinf(s->min_stock) ? 0.0
                                                              : s->min_stock;
        pr->metric[SF_M_TARIFF][at] = s->tariff;
        pr->metric[SF_M_PRICED_OUT][at] = s->priced_out;
        pr->metric[SF_M_RATIONED][at] = s->rationed;
        pr->metric[SF_M_BUYER_COST][at] = s->cost;
        pr->metric[SF_M_SUBSTITUTED][at] = s->substituted;
    }
    for (size_t k = 0; k < K; k++) {
        int32_t n = 0;
        for (int t = 0; t < h->n_months; t++)
            n += h->active[(size_t)t * K + k];
        pr->shock_months[(size_t)row * K + k] = n;
    }
    size_t C = e->m->n_commodities, R = e->m->n_regions;
    size_t NP = sf_results_price_columns(e->res);
    double *out = &pr->price[(size_t)row * NP];
    for (size_t c = 0; c < C; c++) {
        out[c] = w->p_sum[c] / (double)e->n_months;
        out[C + c] = w->p_peak[c];
        for (size_t r = 0; r < R; r++)
            out[2 * C + c * R + r] =
                e->region_buys[c * R + r] ? w->p_rpeak[c * R + r] : NAN;
    }
    out += C * (2 + R);
    for (int k = 0; k < SF_COST_COLUMNS; k++)
        out[k] = w->cost[k];
    for (size_t r = 0; r < R; r++)
        out[SF_COST_COLUMNS + r] = w->revenue[r];
    for (size_t k = 0; k < e->m->n_exit; k++)
        out[SF_COST_COLUMNS + R + k] = w->closed_n[k];
}

/* The trial's drivers under policy position p (docs/output.md,
 * "Drivers"), from what it drew: its shock history h, the regime path,
 * its projects' lead times and completion and the demand noise. */
static void store_drivers(const engine *e, const thread_ws *w, size_t p,
                          uint64_t row, const sf_shock_history *h)
{
    const sf_model *m = e->m;
    const sf_policy_plan *pp = &e->plans[p];
    sf_policy_results *pr = &e->res->pol[p];
    size_t K = m->n_shocks, D = m->n_demand, T = (size_t)e->n_months;
    size_t S = sf_results_regime_states(e->res);
    double *out = &pr->driver[(size_t)row *
                              sf_results_driver_columns(e->res, p)];

    for (size_t k = 0; k < K; k++) {
        int onset = e->n_months, episodes = 0, active = 0;
        double level = 0.0;
        for (size_t t = 0; t < T; t++) {
            episodes += h->onset[t * K + k];
            if (!h->active[t * K + k])
                continue;
            if (active++ == 0)
                onset = (int)t;
            level += h->level[t * K + k];
        }
        out[k] = onset;
        out[K + k] = episodes;
        out[2 * K + k] = active > 0 ? level / active : 0.0;
    }
    out += 3 * K;
    for (size_t s = 0; s < S; s++)
        out[s] = 0.0;
    for (size_t t = 0; S > 0 && t < T; t++)
        out[w->hist[0].regime[t]] += 1.0;
    out += S;
    size_t n = 0, P = sf_results_projects(e->res, p, NULL);
    for (size_t i = 0; i < m->n_nodes; i++)
        if (pp->project[i]) {
            out[n] = w->lead[i];
            out[P + n] = w->completes[i] && w->lead[i] < e->n_months;
            n++;
        }
    sf_bug_assert(n == P);
    out += 2 * P;
    for (size_t d = 0; d < D; d++) {
        double sum = 0.0;
        for (size_t t = 0; t < T; t++)
            sum += w->noise[t * D + d];
        out[d] = sum / (double)T;
    }
}

/* One trial under every policy. */
static void run_trial(const engine *e, thread_ws *w, uint64_t trial)
{
    const sf_model *m = e->m;
    uint64_t seed = e->opt->seed;
    size_t n_pol = e->res->n_policies, D = m->n_demand;
    uint64_t row = trial - e->res->first_trial;
    sf_market_ws *mw = &w->mw;

    sf_regime_sample(m, &w->rng, seed, trial, &w->hist[0]);
    sample_noise(e, w, trial);
    for (size_t p = 0; p < n_pol; p++) {
        const sf_policy_plan *pp = &e->plans[p];
        sf_shock_history *h = &w->hist[pp->shock_plan];
        if (pp->shock_plan == (int)p) {
            if (p > 0)
                memcpy(h->regime, w->hist[0].regime,
                       (size_t)e->n_months * sizeof *h->regime);
            sf_shocks_sample(m, pp, &w->rng, seed, trial, h);
        }
        for (size_t i = 0; i < m->n_nodes; i++) {
            mw->cap[i] = pp->built[i] && !pp->project[i] ? m->cap_month[i]
                                                         : 0.0;
            if (pp->project[i])
                sf_project_sample(pp->project[i], (int)i, &w->rng, seed, trial,
                                  &w->lead[i], &w->completes[i]);
        }
        sf_market_reset(mw, m, pp);
        units_reset(w, e->n_units);
        prices_reset(e, w);
        sf_costs_start(m, pp, w->cost, w->revenue);
        sf_cost_inputs ci = {w->lead, w->gross};
        for (size_t k = 0; k < m->n_exit; k++)
            w->closed_n[k] = 0;
        for (size_t d = 0; d < D; d++)
            w->z[m->demand_nodes[d]] = 1.0;
        for (size_t g = 0; g < m->n_groups; g++) {
            mw->quota[g] = -1.0;
            for (int a = 0; a < 12; a++)
                w->flows[g * 12 + (size_t)a] = pp->ref_flow[g];
        }
        for (int t = 0; t < e->n_months; t++) {
            if (h->changed[t])
                apply_shocks(e, h, t, w->flows, mw);
            for (size_t i = 0; i < m->n_nodes; i++)
                if (pp->project[i] && w->completes[i])
                    mw->cap[i] =
                        m->cap_month[i] *
                        sf_project_ramp(w->lead[i],
                                        pp->project[i]->ramp_months, t);
            for (size_t d = 0; d < D; d++) {
                int j = m->demand_nodes[d];
                w->gross[j] = e->need_base[(size_t)t * D + d] *
                              w->noise[(size_t)t * D + d];
                mw->need[j] = w->gross[j] * (1.0 - pp->reduce_share[j]);
                /* Lasting substitution, from last month's price. */
                const sf_commodity *c = &m->sc->commodities[m->input[j]];
                w->subst[j] = 0.0;
                if (c->sub_elasticity > 0.0) {
                    if (t > 0)
                        w->z[j] = sf_market_substitution(
                            c, w->z[j], mw->pbar[j] / m->c_price[m->input[j]]);
                    w->subst[j] = mw->need[j] * (1.0 - w->z[j]);
                    mw->need[j] *= w->z[j];
                }
            }
            for (size_t k = 0; k < m->n_exit; k++)
                w->closed_n[k] += mw->closed[m->exit_nodes[k]];
            sf_market_month(m, pp, t, mw);
            record_flows(m, mw, t, w->flows);
            record_month(e, w, p, t, row);
            record_prices(e, w, p, t, row);
            sf_costs_month(m, pp, mw, &ci, t, w->cost, w->revenue);
        }
        sf_costs_end(m, pp, mw, e->n_months, w->cost);
        store_trial(e, w, p, row, h);
        store_drivers(e, w, p, row - e->res->row0, h);
    }
}

/* Threads and blocks per wave of a run with these options. */
static int threads_of(const sf_run_options *opt)
{
    return opt->threads > 0 ? opt->threads : omp_get_max_threads();
}

static uint64_t wave_blocks_of(const sf_run_options *opt)
{
    return opt->wave_blocks > 0
               ? opt->wave_blocks
               : (uint64_t)threads_of(opt) * WAVE_BLOCKS_PER_THREAD;
}

uint64_t sf_run_waves(const sf_run_options *opt)
{
    uint64_t blocks = (opt->n_trials + SF_BLOCK_TRIALS - 1) / SF_BLOCK_TRIALS;
    uint64_t wave = wave_blocks_of(opt);
    return (blocks + wave - 1) / wave;
}

/* calloc for n counts, asking Linux for transparent huge pages where the
 * block spans whole ones.  The fan-chart histograms are large and touched
 * sparsely (a 600-month ree-magnets run: 370 MB); in 4 KiB pages their
 * page faults, during the first trials and again while the file is
 * written, took about a second. */
static uint64_t *calloc_counts(size_t n)
{
    uint64_t *p = calloc(n ? n : 1, sizeof *p);
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t b = ((uintptr_t)(p + n)) & ~(huge - 1);
    if (p != NULL && b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE); /* advice: may fail */
#endif
    return p;
}

static int results_alloc(sf_results *res, const sf_model *m,
                         const int *policies)
{
    size_t U = res->n_units, T = (size_t)res->n_months;
    size_t n = res->rows_held ? res->rows_held : 1;

    res->pol = calloc(res->n_policies, sizeof *res->pol);
    if (res->pol == NULL)
        return SF_ERR_NOMEM;
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *pr = &res->pol[p];
        pr->policy = policies[p];
        for (int k = 0; k < SF_M_COUNT; k++)
            if ((pr->metric[k] = calloc(n * U, sizeof(double))) == NULL)
                return SF_ERR_NOMEM;
        pr->driver = calloc(n * sf_results_driver_columns(res, p) + 1,
                            sizeof(double));
        pr->shock_months = calloc(n * (m->n_shocks ? m->n_shocks : 1),
                                  sizeof(int32_t));
        pr->month_frac_sum = calloc(T * U, sizeof(uint64_t));
        pr->month_short = calloc(T * U, sizeof(uint64_t));
        pr->month_hist = calloc_counts(T * U * (SF_HIST_BINS + 1));
        pr->path = calloc(res->n_paths * T * (m->n_demand ? m->n_demand : 1) + 1,
                          sizeof(double));
        size_t C = m->n_commodities ? m->n_commodities : 1;
        pr->price = calloc(n * (sf_results_price_columns(res) + 1),
                           sizeof(double));
        pr->price_sum = calloc(T * C, sizeof(uint64_t));
        pr->price_hist = calloc_counts(T * C * SF_PRICE_BINS);
        pr->path_x = calloc(res->n_paths * T * sf_results_path_x_width(res) + 1,
                            sizeof(double));
        pr->region_sum = calloc(2 * sf_results_region_cells(res) + 1,
                                sizeof(uint64_t));
        if (!pr->shock_months || !pr->driver || !pr->month_frac_sum ||
            !pr->month_short ||
            !pr->month_hist || !pr->path || !pr->price || !pr->price_sum ||
            !pr->price_hist || !pr->path_x || !pr->region_sum)
            return SF_ERR_NOMEM;
    }
    return 0;
}

static int engine_init(engine *e, const sf_model *m, const sf_run_options *opt,
                       sf_results *res, sf_error *err)
{
    size_t T = (size_t)m->sc->horizon_months, D = m->n_demand;
    int ret = SF_ERR_NOMEM;

    memset(e, 0, sizeof *e);
    e->m = m;
    e->opt = opt;
    e->res = res;
    e->n_months = (int)T;
    e->n_units = res->n_units;
    e->plans = calloc(res->n_policies, sizeof *e->plans);
    e->need_base = calloc(T * (D ? D : 1), sizeof(double));
    size_t C = m->n_commodities, R = m->n_regions;
    e->region_buys = calloc(C * R > 0 ? C * R : 1, sizeof(bool));
    e->flow_scale = calloc(C ? C : 1, sizeof(double));
    if (!e->plans || !e->need_base || !e->region_buys || !e->flow_scale)
        goto out;
    for (size_t c = 0; c < C; c++)
        e->flow_scale[c] = sf_results_flow_scale(res, c);
    for (size_t c = 0; c < C; c++)
        for (size_t r = 0; r < R; r++)
            e->region_buys[c * R + r] = sf_model_region_buys(m, c, r);
    for (size_t p = 0; p < res->n_policies; p++)
        if ((ret = sf_policy_plan_init(&e->plans[p], m, opt->policies[p],
                                       err)) != 0 ||
            (ret = sf_market_reference(m, &e->plans[p], err)) != 0)
            goto out;
    sf_policy_plans_share_shocks(e->plans, res->n_policies, m->n_shocks);
    for (size_t t = 0; t < T; t++)
        for (size_t d = 0; d < D; d++) {
            int j = m->demand_nodes[d];
            e->need_base[t * D + d] =
                m->demand_month[j] * pow(m->growth_month[j], (double)t);
        }
    ret = 0;
out:
    if (ret == SF_ERR_NOMEM)
        sf_error_set(err, ret, "starting the run: %s", sf_strerror(ret));
    return ret;
}

static void engine_free(engine *e)
{
    if (e->plans)
        for (size_t p = 0; p < e->res->n_policies; p++)
            sf_policy_plan_free(&e->plans[p]);
    free(e->plans);
    free(e->need_base);
    free(e->region_buys);
    free(e->flow_scale);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sf_results_init(sf_results *res, const sf_model *m,
                    const sf_run_options *opt, sf_error *err)
{
    int ret;

    memset(res, 0, sizeof *res);
    res->model = m;
    res->seed = opt->seed;
    res->first_trial = opt->first_trial;
    res->n_trials = opt->n_trials;
    res->n_months = m->sc->horizon_months;
    res->n_units = m->n_demand + m->n_regions + 1;
    res->n_policies = opt->n_policies;
    res->n_paths = opt->n_paths < opt->n_trials ? opt->n_paths : opt->n_trials;
    res->n_quantiles = opt->n_quantiles ? opt->n_quantiles
                                        : SF_DEFAULT_N_QUANTILES;
    sf_bug_assert(res->n_quantiles <= SF_MAX_QUANTILES);
    memcpy(res->quantiles,
           opt->n_quantiles ? opt->quantiles : sf_default_quantiles,
           res->n_quantiles * sizeof *res->quantiles);
    res->rows_held = opt->n_trials;
    if (opt->rows_done != NULL) {
        uint64_t wave = wave_blocks_of(opt) * SF_BLOCK_TRIALS;
        res->rows_held = wave < opt->n_trials ? wave : opt->n_trials;
    }
    sf_bug_assert(opt->n_policies >= 1 && opt->policies[0] == 0);
    sf_bug_assert(opt->rows_done == NULL || opt->enough == NULL);
    if (opt->first_trial + opt->n_trials > SF_RNG_TRIAL_LIMIT ||
        opt->n_trials > SF_MAX_RUN_TRIALS)
        return sf_error_set(err, SF_ERR_LIMIT,
                            "a run holds at most 2^32 trials, numbered below "
                            "2^40");
    /* A streamed run's statistics hold at most stats_memory bytes
     * (sf_results_summarise_columns); refuse now, not after the run, if
     * that is more than this machine has. */
    res->stats_memory = opt->stats_memory ? opt->stats_memory : SF_STATS_MEMORY;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double phys = (double)pages * (double)page;
    if (opt->rows_done != NULL && pages > 0 && page > 0 &&
        (double)res->stats_memory > phys)
        return sf_error_set(err, SF_ERR_NOMEM,
                            "the statistics may take %.0f MB "
                            "(--stats-memory), more than this machine's "
                            "%.0f MB",
                            (double)res->stats_memory / 1048576.0,
                            phys / 1048576.0);
    ret = results_alloc(res, m, opt->policies);
    if (ret != 0)
        return sf_error_set(err, ret,
                            "allocating results for %llu trials: %s",
                            (unsigned long long)opt->n_trials,
                            sf_strerror(ret));
    for (size_t p = 0; p < res->n_policies; p++)
        res->pol[p].policy = opt->policies[p];
    return 0;
}

/* The threads' monthly counts added into the results.  Integer sums:
 * the total does not depend on the order. */
static void add_thread_counts(sf_results *res, const thread_ws *ws, int threads,
                              size_t cells)
{
    /* Integer sums and maxima: the totals do not depend on the order. */
    for (int th = 0; th < threads; th++) {
        const sf_market_ws *mw = &ws[th].mw;
        sf_solver_stats s = {mw->solves, mw->iterations, mw->max_iterations,
                             mw->max_residual, {0}, {0}, {0}};
        for (size_t c = 0; c < mw->n_commodities && c < SF_SOLVER_COMMODITIES;
             c++) {
            s.c_solved[c] = mw->c_solved[c];
            s.c_reused[c] = mw->c_reused[c];
            s.c_iterations[c] = mw->c_iterations[c];
        }
        sf_solver_stats_add(&res->solver, &s);
    }
    for (int th = 0; th < threads; th++)
        for (size_t p = 0; p < res->n_policies; p++) {
            sf_policy_results *pr = &res->pol[p];
            for (size_t c = 0; c < cells; c++) {
                pr->month_short[c] += ws[th].short_counts[p][c];
                pr->month_frac_sum[c] += ws[th].frac_sums[p][c];
                pr->month_hist[c * (SF_HIST_BINS + 1)] +=
                    ws[th].zero_counts[p][c];
            }
            for (size_t c = 0; c < (size_t)res->n_months * res->model->n_commodities;
                 c++)
                pr->price_sum[c] += ws[th].price_sums[p][c];
            for (size_t c = 0; c < 2 * sf_results_region_cells(res); c++)
                pr->region_sum[c] += ws[th].region_sums[p][c];
        }
}

int sf_engine_run(const sf_model *m, const sf_run_options *opt,
                  sf_results *res, sf_error *err)
{
    engine e;
    thread_ws *ws = NULL;
    int ret = SF_ERR_NOMEM, threads;
    double t0 = now_seconds();

    memset(&e, 0, sizeof e);
    sf_bug_assert(res->model == m && res->n_trials == opt->n_trials &&
                  res->n_policies == opt->n_policies);
    threads = threads_of(opt);
    res->threads = threads;
    if ((ret = engine_init(&e, m, opt, res, err)) != 0)
        goto out;

    size_t cells = (size_t)res->n_months * res->n_units;
    uint64_t start = res->n_done, todo = opt->n_trials - start;
    uint64_t wave = wave_blocks_of(opt);
    uint64_t n_blocks = (todo + SF_BLOCK_TRIALS - 1) / SF_BLOCK_TRIALS;
    ret = SF_ERR_NOMEM;
    ws = aligned_alloc(_Alignof(thread_ws), (size_t)threads * sizeof *ws);
    if (ws == NULL)
        goto nomem;
    memset(ws, 0, (size_t)threads * sizeof *ws);
    /* Each thread allocates its own workspace, from its own malloc arena:
     * one thread's small hot arrays (market state, RNG state) then never
     * share a cache line with another's. */
    bool failed = false;
#pragma omp parallel num_threads(threads)
    {
        if (thread_ws_init(&ws[omp_get_thread_num()], &e) != 0) {
#pragma omp atomic write
            failed = true;
        }
    }
    if (failed)
        goto nomem;

    for (uint64_t b0 = 0; b0 < n_blocks; b0 += wave) {
        if (opt->stop != NULL && *opt->stop)
            break;
        uint64_t nb = n_blocks - b0 < wave ? n_blocks - b0 : wave;
        uint64_t first_row = start + b0 * SF_BLOCK_TRIALS;
        uint64_t end = start + (b0 + nb) * SF_BLOCK_TRIALS;
        if (end > opt->n_trials)
            end = opt->n_trials;
        if (opt->rows_done != NULL)
            res->row0 = first_row; /* the rows of this wave */
        sf_bug_assert(first_row >= res->row0 &&
                      end - res->row0 <= res->rows_held);
        /* Trials [first_row, next) are claimed, each by one thread, in
         * order; a claimed slice is always run to its end. */
        uint64_t next = first_row, finished = first_row;
#pragma omp parallel num_threads(threads)
        {
            thread_ws *w = &ws[omp_get_thread_num()];
            bool reports = omp_get_thread_num() == 0 && opt->progress != NULL;
            for (;;) {
                uint64_t lo, done;
                if (opt->stop != NULL && *opt->stop)
                    break;
#pragma omp atomic capture
                {
                    lo = next;
                    next += w->slice;
                }
                if (lo >= end)
                    break;
                uint64_t hi = end - lo < w->slice ? end : lo + w->slice;
                double t = now_seconds();
                for (uint64_t i = lo; i < hi; i++)
                    run_trial(&e, w, opt->first_trial + i);
                t = now_seconds() - t;
                if (t < SLICE_SECONDS_MIN && w->slice < SF_BLOCK_TRIALS)
                    w->slice *= 2;
                else if (t > SLICE_SECONDS_MAX && w->slice > 1)
                    w->slice /= 2;
#pragma omp atomic capture
                {
                    finished += hi - lo;
                    done = finished;
                }
                if (reports)
                    opt->progress(opt->progress_ctx, done, opt->n_trials);
            }
        }
        /* Every claimed trial has run: the first `next` (up to `end`). */
        res->n_done = next < end ? next : end;
        bool stopped = res->n_done < end;
        if (opt->rows_done != NULL &&
            (ret = opt->rows_done(opt->rows_ctx, res, first_row, res->n_done,
                                  err)) != 0) {
            res->n_done = first_row; /* those rows are not safely out */
            goto out;
        }
        if (opt->progress)
            opt->progress(opt->progress_ctx, res->n_done, opt->n_trials);
        /* A wave cut short by a stop is not a point where `enough` may
         * end the run: that point would depend on timing. */
        if (stopped ||
            (opt->enough != NULL && opt->enough(opt->enough_ctx, res)))
            break;
    }
    add_thread_counts(res, ws, threads, cells);
    ret = 0;
    goto out;
nomem:
    sf_error_set(err, ret, "allocating per-thread workspaces: %s",
                 sf_strerror(ret));
out:
    if (ws)
        for (int th = 0; th < threads; th++)
            thread_ws_free(&ws[th], res->n_policies);
    free(ws);
    engine_free(&e);
    res->wall_seconds += now_seconds() - t0;
    return ret;
}

