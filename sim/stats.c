/*
 * stats.c — statistics over trials: per metric and unit the mean,
 * standard deviation, standard error, quantiles, CVaR95 and probability of
 * a non-zero value; per month the fan chart; per non-baseline mix the
 * paired comparison against the baseline.
 *
 * Everything is computed from the per-trial values in trial order (or from
 * integer histograms), so it is as reproducible as the trials themselves.
 * Quantiles of per-trial values are exact: linear interpolation between
 * order statistics (type 7 of Hyndman and Fan, numpy's default).
 * Quantiles of monthly fractions come from histograms and have a
 * resolution of 1/SF_HIST_BINS: the value reported is the upper edge of
 * the bin holding the quantile.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "shortfall/costs.h"
#include "shortfall/engine.h"

static int cost_ratios(sf_results *res, sf_column_fn column, void *ctx,
                       sf_error *err);
static int memory_column(void *ctx, const sf_results *res, size_t policy,
                         int what, size_t index, uint64_t first,
                         uint64_t count, double *out, sf_error *err);

/* Every statistic NaN: no values, or a NaN among them (a region's price
 * index where it has no buyer of the commodity). */
static void summary_nan(sf_summary *s)
{
    for (int q = 0; q < SF_MAX_QUANTILES; q++)
        s->q[q] = NAN;
    s->mean = s->sd = s->se = s->cvar95 = s->p_any = NAN;
}

/* Summary of n values x[0], x[stride], ... at res's quantile levels;
 * sorted is scratch of n, or x itself when stride is 1 (x is then left
 * sorted). */
static void summarise(const sf_results *res, const double *x, size_t stride,
                      size_t n, double *sorted, sf_summary *s)
{
    double sum = 0.0, ss = 0.0;
    size_t nonzero = 0;

    memset(s, 0, sizeof *s);
    if (n == 0) {
        summary_nan(s);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        sorted[i] = v;
        sum += v;
        nonzero += v > 0.0;
    }
    if (isnan(sum)) {
        summary_nan(s);
        return;
    }
    s->mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = sorted[i] - s->mean;
        ss += d * d;
    }
    s->sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
    s->se = s->sd / sqrt((double)n);
    s->p_any = (double)nonzero / (double)n;
    gsl_sort(sorted, 1, n);
    for (size_t q = 0; q < res->n_quantiles; q++)
        s->q[q] = gsl_stats_quantile_from_sorted_data(sorted, 1, n,
                                                      res->quantiles[q]);
    /* CVaR95: the mean of the ceil(5 %) largest values. */
    size_t tail = (size_t)ceil(0.05 * (double)n);
    double tsum = 0.0;
    for (size_t i = n - tail; i < n; i++)
        tsum += sorted[i];
    s->cvar95 = tsum / (double)tail;
}

/* Baseline minus mix, per trial, for each unit's cumulative shortfall;
 * diff is scratch of n (it may be base itself when U is 1). */
static void pair(const sf_results *res, const double *base,
                 const double *mix, size_t U, size_t u, size_t n, double *diff,
                 sf_paired *out)
{
    sf_summary s;
    size_t better = 0, worse = 0;

    for (size_t i = 0; i < n; i++) {
        double d = base[i * U + u] - mix[i * U + u];
        diff[i] = d;
        better += d > 0.0;
        worse += d < 0.0;
    }
    summarise(res, diff, 1, n, diff, &s);
    out->mean = s.mean;
    out->se = s.se;
    memcpy(out->q, s.q, sizeof out->q);
    out->p_better = n ? (double)better / (double)n : NAN;
    out->p_worse = n ? (double)worse / (double)n : NAN;
}

static double hist_quantile(const uint64_t *h, uint64_t n, double level)
{
    if (n == 0)
        return NAN;
    /* The smallest bin whose cumulative count reaches level * n. */
    double want = ceil(level * (double)n);
    uint64_t need = want < 1.0 ? 1 : (uint64_t)want, cum = 0;
    for (size_t b = 0; b <= SF_HIST_BINS; b++) {
        cum += h[b];
        if (cum >= need)
            return (double)b / SF_HIST_BINS;
    }
    return 1.0;
}

/* A quantile of a price histogram: the centre of the smallest bin whose
 * cumulative count reaches level * n, in currency. */
static double price_quantile(const uint64_t *h, uint64_t n, double level,
                             double P, double M)
{
    if (n == 0)
        return NAN;
    double want = ceil(level * (double)n);
    uint64_t need = want < 1.0 ? 1 : (uint64_t)want, cum = 0;
    size_t b = 0;
    for (; b < SF_PRICE_BINS - 1; b++) {
        cum += h[b];
        if (cum >= need)
            break;
    }
    return P * sf_price_bin_centre(b, M);
}

/* The means over trials of each region's monthly price index and exports,
 * from their fixed-point sums; a region that buys none of a commodity has
 * no price index (NaN). */
static void region_means(const sf_results *res, sf_policy_results *pr)
{
    const sf_model *m = res->model;
    size_t C = m->n_commodities, R = m->n_regions;
    size_t cells = sf_results_region_cells(res);
    double n = (double)res->n_done;
    for (size_t x = 0; x < cells; x++) {
        size_t c = x / R % C;
        double price = (double)pr->region_sum[x] / SF_PRICE_ONE / n *
                       m->c_price[c];
        pr->price_month_mean_region[x] =
            res->n_done > 0 && sf_model_region_buys(m, c, x % R) ? price
                                                                 : NAN;
        pr->exports_month_mean[x] =
            res->n_done > 0 ? (double)pr->region_sum[cells + x] /
                                  SF_PRICE_ONE / n *
                                  sf_results_flow_scale(res, c)
                            : NAN;
    }
}

/* The statistics' arrays of one policy, and its fan chart, which comes
 * from the integer accumulators alone. */
static int summarise_monthly(sf_results *res, sf_policy_results *pr)
{
    size_t U = res->n_units, T = (size_t)res->n_months;
    size_t K = res->model->n_shocks, n = res->n_done;
    size_t C = res->model->n_commodities, NP = sf_results_price_columns(res);

    pr->summary = calloc(SF_M_COUNT * U, sizeof *pr->summary);
    pr->month_frac_mean = calloc(T * U, sizeof(double));
    pr->month_frac_q = calloc(res->n_quantiles * T * U, sizeof(double));
    pr->month_p_short = calloc(T * U, sizeof(double));
    pr->shock_summary = calloc(K ? K : 1, sizeof *pr->shock_summary);
    /* The paired comparison, for every mix but the baseline. */
    if (pr != &res->pol[0])
        pr->avoided = calloc(U, sizeof *pr->avoided);
    pr->price_summary = calloc(NP ? NP : 1, sizeof *pr->price_summary);
    pr->price_month_mean = calloc(T * C + 1, sizeof(double));
    pr->price_month_q = calloc(res->n_quantiles * T * C + 1, sizeof(double));
    pr->price_month_mean_region =
        calloc(sf_results_region_cells(res) + 1, sizeof(double));
    pr->exports_month_mean =
        calloc(sf_results_region_cells(res) + 1, sizeof(double));
    if (!pr->price_month_mean_region || !pr->exports_month_mean)
        return SF_ERR_NOMEM;
    if (!pr->summary || !pr->month_frac_mean || !pr->month_frac_q ||
        !pr->month_p_short || !pr->shock_summary ||
        (pr != &res->pol[0] && !pr->avoided) || !pr->price_summary ||
        !pr->price_month_mean || !pr->price_month_q)
        return SF_ERR_NOMEM;
    for (size_t x = 0; x < T * C; x++) {
        size_t c = x % C;
        double P = res->model->c_price[c], M = res->model->c_cap[c];
        pr->price_month_mean[x] =
            n ? (double)pr->price_sum[x] / SF_PRICE_ONE / (double)n * P : NAN;
        for (size_t q = 0; q < res->n_quantiles; q++)
            pr->price_month_q[q * T * C + x] =
                price_quantile(&pr->price_hist[x * SF_PRICE_BINS], n,
                               res->quantiles[q], P, M);
    }
    region_means(res, pr);
    for (size_t c = 0; c < T * U; c++) {
        pr->month_frac_mean[c] =
            n ? (double)pr->month_frac_sum[c] / SF_FRAC_ONE / (double)n : NAN;
        pr->month_p_short[c] = n ? (double)pr->month_short[c] / (double)n : NAN;
        for (size_t q = 0; q < res->n_quantiles; q++)
            pr->month_frac_q[q * T * U + c] =
                hist_quantile(&pr->month_hist[c * (SF_HIST_BINS + 1)], n,
                              res->quantiles[q]);
    }
    return 0;
}

int sf_results_summarise(sf_results *res, sf_error *err)
{
    size_t U = res->n_units;
    size_t K = res->model->n_shocks, n = res->n_done;
    size_t NP = sf_results_price_columns(res);
    double *scratch = malloc(2 * (n ? n : 1) * sizeof(double));
    int ret = SF_ERR_NOMEM;

    sf_bug_assert(res->row0 == 0 && res->rows_held >= n);
    if (scratch == NULL)
        goto out;
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *pr = &res->pol[p];
        if (summarise_monthly(res, pr) != 0)
            goto out;
        /* Each (metric, unit) is independent: spread them over threads,
         * each with its own scratch; the results do not depend on it. */
        bool failed = false;
#pragma omp parallel num_threads(res->threads > 0 ? res->threads : 1)
        {
            double *own = malloc((n ? n : 1) * sizeof(double));
#pragma omp for schedule(dynamic, 1)
            for (size_t mu = 0; mu < SF_M_COUNT * U; mu++)
                if (own != NULL)
                    summarise(res, &pr->metric[mu / U][mu % U], U, n, own,
                              &pr->summary[mu]);
            if (own == NULL) {
#pragma omp atomic write
                failed = true;
            }
            free(own);
        }
        if (failed)
            goto out;
        for (size_t k = 0; k < K; k++) {
            for (size_t i = 0; i < n; i++)
                scratch[n + i] = pr->shock_months[i * K + k];
            summarise(res, scratch + n, 1, n, scratch, &pr->shock_summary[k]);
        }
        for (size_t i = 0; i < NP; i++)
            summarise(res, &pr->price[i], NP, n, scratch, &pr->price_summary[i]);
        if (p > 0) {
            for (size_t u = 0; u < U; u++)
                pair(res, res->pol[0].metric[SF_M_SHORTFALL],
                     pr->metric[SF_M_SHORTFALL], U, u, n, scratch,
                     &pr->avoided[u]);
        }
    }
    ret = 0;
out:
    free(scratch);
    if (ret != 0) {
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
        return ret;
    }
    return cost_ratios(res, memory_column, NULL, err);
}

/* ---- Statistics in memory that does not grow with the trials ----------
 *
 * A column too long to hold is read in blocks, several times over: up to
 * SELECT_PASSES times to find the order statistics the quantiles and
 * CVaR95 need, digit by digit, by radix selection on an unsigned key with
 * the order of the doubles (the first two passes also take the sum and
 * the squared deviations, in trial order as summarise does), and once per
 * band of the worst 5 % to add them in ascending order as summarise does.
 * Every value is then the same, bit for bit, as from the sorted column. */

#define DIGIT_BITS 11
#define DIGIT_BINS (1u << DIGIT_BITS)
#define SELECT_PASSES ((64 + DIGIT_BITS - 1) / DIGIT_BITS)
/* Rows read at a time. */
#define READ_ROWS 65536u
/* Bands of the worst 5 % (one pass each) at most. */
#define MAX_BANDS 64u

/* An unsigned key ordered as the doubles are (+0 and -0 alike), and back. */
static inline uint64_t key_of(double v)
{
    uint64_t u;
    if (v == 0.0)
        v = 0.0;
    memcpy(&u, &v, sizeof u);
    return u >> 63 ? ~u : u | UINT64_C(1) << 63;
}

static inline double value_of(uint64_t k)
{
    uint64_t u = k >> 63 ? k & ~(UINT64_C(1) << 63) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* A column, or the baseline's column minus this mix's (paired). */
typedef struct {
    sf_column_fn column;
    void *ctx;
    const sf_results *res;
    size_t policy;
    int what;
    size_t index;
    bool paired;
    double *buf, *buf2; /* READ_ROWS each */
} col_src;

static int src_read(const col_src *c, uint64_t first, uint64_t count,
                    sf_error *err)
{
    int ret;
    if (!c->paired)
        return c->column(c->ctx, c->res, c->policy, c->what, c->index, first,
                         count, c->buf, err);
    if ((ret = c->column(c->ctx, c->res, 0, c->what, c->index, first, count,
                         c->buf, err)) != 0 ||
        (ret = c->column(c->ctx, c->res, c->policy, c->what, c->index, first,
                         count, c->buf2, err)) != 0)
        return ret;
    for (uint64_t i = 0; i < count; i++)
        c->buf[i] = c->buf[i] - c->buf2[i]; /* as pair() */
    return 0;
}

/* The value of rank `rank` (0 = smallest), found digit by digit. */
typedef struct {
    uint64_t rank;
    uint64_t prefix; /* the key's digits found so far */
    uint64_t left;   /* rank among the values that share them */
    uint64_t below;  /* after the last pass: values with a smaller key */
    uint64_t equal;  /* after the last pass: values with this key */
    size_t group;    /* histogram of its prefix in the current pass */
} target;

typedef struct {
    double sum, ss;
    uint64_t positive, negative; /* values > 0 and < 0 */
} moments;

/* One pass over the column.  Pass 0 adds the sum and counts the signs,
 * pass 1 the squared deviations from the mean (both in trial order, as
 * summarise does).  Every pass also takes, for each of the ng sorted
 * prefixes of targets not yet found, the histogram of the next digit of
 * the keys that share it and their smallest and largest key. */
static int scan(const col_src *c, uint64_t n, int pass, moments *mo,
                const uint64_t *prefixes, size_t ng, uint64_t *hist,
                uint64_t *kmin, uint64_t *kmax, sf_error *err)
{
    int known = pass * DIGIT_BITS;
    int width = 64 - known < DIGIT_BITS ? 64 - known : DIGIT_BITS;
    int shift = 64 - known - width;
    uint64_t mask = (UINT64_C(1) << width) - 1;
    double mean = mo->sum / (double)n;

    for (uint64_t first = 0; first < n; first += READ_ROWS) {
        uint64_t count = n - first < READ_ROWS ? n - first : READ_ROWS;
        int ret = src_read(c, first, count, err);
        if (ret != 0)
            return ret;
        const double *x = c->buf;
        if (pass == 0) {
            for (uint64_t i = 0; i < count; i++) {
                mo->sum += x[i];
                mo->positive += x[i] > 0.0;
                mo->negative += x[i] < 0.0;
            }
        } else if (pass == 1) {
            for (uint64_t i = 0; i < count; i++) {
                double d = x[i] - mean;
                mo->ss += d * d;
            }
        }
        for (uint64_t i = 0; ng > 0 && i < count; i++) {
            uint64_t k = key_of(x[i]);
            uint64_t pre = known == 0 ? 0 : k >> (64 - known);
            /* The group of this prefix, if a target has it. */
            size_t lo = 0, hi = ng;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (prefixes[mid] < pre)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < ng && prefixes[lo] == pre) {
                hist[lo * DIGIT_BINS + ((k >> shift) & mask)]++;
                kmin[lo] = k < kmin[lo] ? k : kmin[lo];
                kmax[lo] = k > kmax[lo] ? k : kmax[lo];
            }
        }
    }
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The moments and every target's key, in 2 to SELECT_PASSES passes: a
 * target is found when its prefix is complete, or sooner when every value
 * sharing its prefix has the same key (ties, e.g. the many zeros of a
 * shortfall column). */
static int select_ranks(const col_src *c, uint64_t n, moments *mo, target *t,
                        size_t nt, sf_error *err)
{
    uint64_t *prefixes = malloc((nt ? nt : 1) * sizeof *prefixes);
    uint64_t *hist = malloc((nt ? nt : 1) * DIGIT_BINS * sizeof *hist);
    uint64_t *kmin = malloc((nt ? nt : 1) * sizeof *kmin);
    uint64_t *kmax = malloc((nt ? nt : 1) * sizeof *kmax);
    bool *found = calloc(nt ? nt : 1, sizeof *found);
    int ret = SF_ERR_NOMEM;

    if (!prefixes || !hist || !kmin || !kmax || !found)
        goto out;
    for (size_t i = 0; i < nt; i++) {
        t[i].prefix = 0;
        t[i].left = t[i].rank;
    }
    for (int pass = 0; pass < SELECT_PASSES; pass++) {
        int known = pass * DIGIT_BITS;
        int width = 64 - known < DIGIT_BITS ? 64 - known : DIGIT_BITS;
        int shift = 64 - known - width;
        /* The distinct prefixes still sought, sorted, a histogram each. */
        size_t ng = 0;
        for (size_t i = 0; i < nt; i++)
            if (!found[i])
                prefixes[ng++] = t[i].prefix;
        if (ng == 0 && pass >= 2)
            break;
        qsort(prefixes, ng, sizeof *prefixes, cmp_u64);
        size_t u = 0;
        for (size_t i = 0; i < ng; i++)
            if (u == 0 || prefixes[i] != prefixes[u - 1])
                prefixes[u++] = prefixes[i];
        ng = u;
        memset(hist, 0, ng * DIGIT_BINS * sizeof *hist);
        for (size_t g = 0; g < ng; g++) {
            kmin[g] = UINT64_MAX;
            kmax[g] = 0;
        }
        if ((ret = scan(c, n, pass, mo, prefixes, ng, hist, kmin, kmax,
                        err)) != 0)
            goto out;
        for (size_t i = 0; i < nt; i++) {
            if (found[i])
                continue;
            uint64_t *p = bsearch(&t[i].prefix, prefixes, ng,
                                  sizeof *prefixes, cmp_u64);
            size_t g = (size_t)(p - prefixes);
            const uint64_t *h = &hist[g * DIGIT_BINS];
            uint64_t cum = 0;
            unsigned d = 0;
            if (kmin[g] == kmax[g]) {
                /* One key for the whole group: t[i].left values below it
                 * share the prefix, none of them a smaller key. */
                t[i].prefix = kmin[g];
                t[i].below = t[i].rank - t[i].left;
                t[i].equal = h[(kmin[g] >> shift) & ((1u << width) - 1)];
                t[i].left = 0;
                found[i] = true;
                continue;
            }
            while (d + 1 < (1u << width) && t[i].left >= cum + h[d])
                cum += h[d++];
            t[i].prefix = (t[i].prefix << width) | d;
            t[i].left -= cum;
            if (pass == SELECT_PASSES - 1) {
                t[i].equal = h[d];
                t[i].below = t[i].rank - t[i].left;
                found[i] = true;
            }
        }
    }
    ret = 0;
out:
    free(prefixes);
    free(hist);
    free(kmin);
    free(kmax);
    free(found);
    return ret;
}

/* Adds the values of ranks [a, b) in ascending order: the values strictly
 * between the keys of ranks a and b - 1 are collected (at most b - a) and
 * sorted; copies of the two end values make up the ties. */
static int add_band(const col_src *c, uint64_t n, const target *ta,
                    const target *tb, uint64_t a, uint64_t b, double *band,
                    double *tsum, sf_error *err)
{
    uint64_t ka = ta->prefix, kb = tb->prefix, m = 0;
    double va = value_of(ka), vb = value_of(kb);

    if (ka == kb) {
        for (uint64_t i = a; i < b; i++)
            *tsum += va;
        return 0;
    }
    for (uint64_t first = 0; first < n; first += READ_ROWS) {
        uint64_t count = n - first < READ_ROWS ? n - first : READ_ROWS;
        int ret = src_read(c, first, count, err);
        if (ret != 0)
            return ret;
        for (uint64_t i = 0; i < count; i++) {
            uint64_t k = key_of(c->buf[i]);
            if (k > ka && k < kb)
                band[m++] = value_of(k);
        }
    }
    uint64_t low = ta->below + ta->equal - a, high = b - tb->below;
    sf_bug_assert(low + m + high == b - a);
    gsl_sort(band, 1, m);
    for (uint64_t i = 0; i < low; i++)
        *tsum += va;
    for (uint64_t i = 0; i < m; i++)
        *tsum += band[i];
    for (uint64_t i = 0; i < high; i++)
        *tsum += vb;
    return 0;
}

/* gsl_stats_quantile_from_sorted_data on the selected order statistics
 * (lhs as size_t: GSL's int cast would overflow above 2^31 values). */
static double quantile_of(double f, uint64_t n, double lo, double hi)
{
    const double index = f * (double)(n - 1);
    const uint64_t lhs = (uint64_t)index;
    const double delta = index - (double)lhs;
    if (lhs == n - 1)
        return lo;
    return (1 - delta) * lo + delta * hi;
}

/* summarise (and pair's counts) for a column read `band_max` values at a
 * time at most. */
static int summarise_bounded(const col_src *c, uint64_t n, uint64_t band_max,
                             sf_summary *s, moments *mo, sf_error *err)
{
    const size_t NQ = c->res->n_quantiles;
    const double *level = c->res->quantiles;
    target *t = NULL;
    double *band = NULL;
    int ret = SF_ERR_NOMEM;

    memset(s, 0, sizeof *s);
    memset(mo, 0, sizeof *mo);
    if (n == 0) {
        summary_nan(s);
        return 0;
    }
    /* Targets: each quantile's two order statistics, then the first and
     * last rank of each band of the worst ceil(5 %). */
    uint64_t tail = (uint64_t)ceil(0.05 * (double)n), a0 = n - tail;
    /* At most MAX_BANDS passes for the tail, whatever the memory. */
    if (band_max < (tail + MAX_BANDS - 1) / MAX_BANDS)
        band_max = (tail + MAX_BANDS - 1) / MAX_BANDS;
    uint64_t bands = (tail + band_max - 1) / band_max;
    size_t nt = 2 * NQ + 2 * (size_t)bands;
    ret = SF_ERR_NOMEM;
    t = calloc(nt, sizeof *t);
    band = malloc((size_t)(tail < band_max ? tail : band_max) * sizeof *band);
    if (t == NULL || band == NULL)
        goto out;
    for (size_t q = 0; q < NQ; q++) {
        uint64_t lhs = (uint64_t)(level[q] * (double)(n - 1));
        t[2 * q].rank = lhs;
        t[2 * q + 1].rank = lhs + 1 < n ? lhs + 1 : lhs;
    }
    for (uint64_t j = 0; j < bands; j++) {
        uint64_t a = a0 + j * band_max;
        uint64_t b = a + band_max < n ? a + band_max : n;
        t[2 * NQ + 2 * j].rank = a;
        t[2 * NQ + 2 * j + 1].rank = b - 1;
    }
    if ((ret = select_ranks(c, n, mo, t, nt, err)) != 0)
        goto out;
    if (isnan(mo->sum)) { /* as summarise */
        summary_nan(s);
        ret = 0;
        goto out;
    }
    s->mean = mo->sum / (double)n;
    s->sd = n > 1 ? sqrt(mo->ss / (double)(n - 1)) : 0.0;
    s->se = s->sd / sqrt((double)n);
    s->p_any = (double)mo->positive / (double)n;
    for (size_t q = 0; q < NQ; q++)
        s->q[q] = quantile_of(level[q], n,
                              value_of(t[2 * q].prefix),
                              value_of(t[2 * q + 1].prefix));
    double tsum = 0.0;
    for (uint64_t j = 0; j < bands; j++) {
        uint64_t a = a0 + j * band_max;
        uint64_t b = a + band_max < n ? a + band_max : n;
        const target *ta = &t[2 * NQ + 2 * j];
        if ((ret = add_band(c, n, ta, ta + 1, a, b, band, &tsum, err)) != 0)
            goto out;
    }
    s->cvar95 = tsum / (double)tail;
    ret = 0;
out:
    free(t);
    free(band);
    if (ret == SF_ERR_NOMEM)
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
    return ret;
}

/* Every column of every mix through summarise_bounded: half of `memory`
 * for a band of the worst 5 %, the rest for blocks read (1 MiB) and
 * histograms (16 KiB per order statistic sought). */
static int summarise_columns_bounded(sf_results *res, sf_column_fn column,
                                     void *ctx, uint64_t memory, sf_error *err)
{
    size_t U = res->n_units, K = res->model->n_shocks;
    size_t NP = sf_results_price_columns(res);
    uint64_t n = res->n_done;
    uint64_t band_max = memory / 2 / sizeof(double);
    col_src c = {.column = column, .ctx = ctx, .res = res};
    int ret = SF_ERR_NOMEM;

    if (band_max < 1)
        band_max = 1;
    c.buf = malloc(READ_ROWS * sizeof *c.buf);
    c.buf2 = malloc(READ_ROWS * sizeof *c.buf2);
    if (c.buf == NULL || c.buf2 == NULL) {
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
        goto out;
    }
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *pr = &res->pol[p];
        moments mo;
        if ((ret = summarise_monthly(res, pr)) != 0) {
            sf_error_set(err, ret, "computing statistics: %s",
                         sf_strerror(ret));
            goto out;
        }
        c.policy = p;
        c.paired = false;
        for (size_t col = 0; col < SF_M_COUNT * U + K + NP; col++) {
            bool shock = col >= SF_M_COUNT * U;
            c.what = shock ? SF_COLUMN_SHOCK : (int)(col / U);
            c.index = shock ? col - SF_M_COUNT * U : col % U;
            sf_summary *s = shock ? &pr->shock_summary[c.index]
                                  : &pr->summary[col];
            if (col >= SF_M_COUNT * U + K) {
                c.what = SF_COLUMN_PRICE;
                c.index = col - SF_M_COUNT * U - K;
                s = &pr->price_summary[c.index];
            }
            if ((ret = summarise_bounded(&c, n, band_max, s, &mo, err)) != 0)
                goto out;
        }
        if (p == 0)
            continue;
        c.paired = true;
        c.what = SF_M_SHORTFALL;
        for (size_t u = 0; u < U; u++) {
            sf_summary s;
            c.index = u;
            if ((ret = summarise_bounded(&c, n, band_max, &s, &mo, err)) != 0)
                goto out;
            sf_paired *out = &pr->avoided[u];
            out->mean = s.mean;
            out->se = s.se;
            memcpy(out->q, s.q, sizeof out->q);
            out->p_better = n ? (double)mo.positive / (double)n : NAN;
            out->p_worse = n ? (double)mo.negative / (double)n : NAN;
        }
    }
    ret = cost_ratios(res, column, ctx, err);
out:
    free(c.buf);
    free(c.buf2);
    return ret;
}

/* ---- Cost per unit of shortfall avoided ------------------------------
 *
 * From four columns read in blocks, in trial order, twice (the means,
 * then the centred sums): the baseline's and mix p's world shortfall and
 * total public cost.  d_S = baseline - mix (shortfall avoided), d_C = mix -
 * baseline (extra cost); the ratio of their means R and, by the delta
 * method, Var(R) = (Var d_C - 2 R Cov + R^2 Var d_S) / (n mean(d_S)^2). */

static int ratio_block(sf_column_fn column, void *ctx, const sf_results *res,
                       size_t p, uint64_t first, uint64_t count, double *buf,
                       sf_error *err)
{
    size_t world = sf_results_world_unit(res);
    size_t cost_col = sf_results_cost_column(res) + SF_COST_TOTAL;
    const size_t who[4] = {0, p, 0, p};
    const int what[4] = {SF_M_SHORTFALL, SF_M_SHORTFALL, SF_COLUMN_PRICE,
                         SF_COLUMN_PRICE};
    for (int k = 0; k < 4; k++) {
        int ret = column(ctx, res, who[k], what[k], k < 2 ? world : cost_col,
                         first, count, &buf[(size_t)k * count], err);
        if (ret != 0)
            return ret;
    }
    return 0;
}

static int cost_ratio(sf_column_fn column, void *ctx, sf_results *res,
                      size_t p, sf_error *err)
{
    sf_policy_results *pr = &res->pol[p];
    uint64_t n = res->n_done;
    double *buf = malloc(4 * READ_ROWS * sizeof *buf);
    double sum_s = 0.0, sum_c = 0.0, vs = 0.0, vc = 0.0, cv = 0.0;
    double ms = NAN, mc = NAN;
    int ret = SF_ERR_NOMEM;

    pr->cost_ratio = pr->cost_ratio_se = NAN;
    if (buf == NULL) {
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
        return ret;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t f = 0; f < n; f += READ_ROWS) {
            size_t k = n - f < READ_ROWS ? (size_t)(n - f) : READ_ROWS;
            if ((ret = ratio_block(column, ctx, res, p, f, k, buf, err)) != 0)
                goto out; /* err says what the read met */
            for (size_t i = 0; i < k; i++) {
                double ds = buf[i] - buf[k + i];
                double dc = buf[3 * k + i] - buf[2 * k + i];
                if (pass == 0) {
                    sum_s += ds;
                    sum_c += dc;
                } else {
                    vs += (ds - ms) * (ds - ms);
                    vc += (dc - mc) * (dc - mc);
                    cv += (ds - ms) * (dc - mc);
                }
            }
        }
        ms = n ? sum_s / (double)n : NAN;
        mc = n ? sum_c / (double)n : NAN;
    }
    ret = 0;
    if (n < 2 || !(ms > 0.0))
        goto out;
    double R = mc / ms, dn = (double)(n - 1);
    double var = (vc / dn - 2.0 * R * cv / dn + R * R * vs / dn) /
                 ((double)n * ms * ms);
    pr->cost_ratio = R;
    pr->cost_ratio_se = sqrt(var > 0.0 ? var : 0.0);
out:
    free(buf);
    return ret;
}

/* A column of the rows held in memory, for cost_ratio. */
static int memory_column(void *ctx, const sf_results *res, size_t policy,
                         int what, size_t index, uint64_t first,
                         uint64_t count, double *out, sf_error *err)
{
    const sf_policy_results *pr = &res->pol[policy];
    size_t U = res->n_units, NP = sf_results_price_columns(res);
    (void)ctx;
    (void)err;
    for (uint64_t i = 0; i < count; i++)
        out[i] = what == SF_COLUMN_PRICE
                     ? pr->price[(first + i) * NP + index]
                     : pr->metric[what][(first + i) * U + index];
    return 0;
}

/* cost_ratio of every mix but the baseline (NaN). */
static int cost_ratios(sf_results *res, sf_column_fn column, void *ctx,
                       sf_error *err)
{
    res->pol[0].cost_ratio = res->pol[0].cost_ratio_se = NAN;
    for (size_t p = 1; p < res->n_policies; p++) {
        int ret = cost_ratio(column, ctx, res, p, err);
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* Reads columns [c0, c0 + nc) of policy p (metrics by unit, then shocks)
 * into buf, n1 values apart. */
static int read_batch(sf_column_fn column, void *ctx, const sf_results *res,
                      size_t p, size_t c0, size_t nc, double *buf, size_t n1,
                      sf_error *err)
{
    size_t U = res->n_units, K = res->model->n_shocks;
    for (size_t i = 0; i < nc; i++) {
        size_t c = c0 + i;
        int what = c < SF_M_COUNT * U ? (int)(c / U) : SF_COLUMN_SHOCK;
        size_t index = c < SF_M_COUNT * U ? c % U : c - SF_M_COUNT * U;
        if (c >= SF_M_COUNT * U + K) {
            what = SF_COLUMN_PRICE;
            index = c - SF_M_COUNT * U - K;
        }
        int ret = column(ctx, res, p, what, index, 0, res->n_done,
                         &buf[i * n1], err);
        if (ret != 0)
            return ret;
    }
    return 0;
}

/* Reads, for units [u0, u0 + nu), the baseline's and policy p's
 * cumulative shortfall into buf (2 columns per unit, n1 values apart). */
static int read_pairs(sf_column_fn column, void *ctx, const sf_results *res,
                      size_t p, size_t u0, size_t nu, double *buf, size_t n1,
                      sf_error *err)
{
    for (size_t i = 0; i < nu; i++) {
        int ret = column(ctx, res, 0, SF_M_SHORTFALL, u0 + i, 0, res->n_done,
                         &buf[2 * i * n1], err);
        if (ret == 0)
            ret = column(ctx, res, p, SF_M_SHORTFALL, u0 + i, 0, res->n_done,
                         &buf[(2 * i + 1) * n1], err);
        if (ret != 0)
            return ret;
    }
    return 0;
}

int sf_results_summarise_columns(sf_results *res, sf_column_fn column,
                                 void *ctx, sf_error *err)
{
    size_t U = res->n_units, K = res->model->n_shocks, n = res->n_done;
    size_t n1 = n ? n : 1;
    int threads = res->threads > 0 ? res->threads : 1;
    /* Columns per batch, and pairs of columns per batch of the paired
     * comparison; two batches of each are held. */
    size_t batch = (size_t)threads, pairs = batch / 2 ? batch / 2 : 1;
    size_t held = 2 * batch > 4 * pairs ? 2 * batch : 4 * pairs;
    uint64_t memory = res->stats_memory ? res->stats_memory : SF_STATS_MEMORY;
    if ((double)held * (double)n1 * sizeof(double) > (double)memory)
        return summarise_columns_bounded(res, column, ctx, memory, err);
    /* While the threads summarise one batch (each column sorted in place),
     * one thread reads the next (only it calls HDF5, which is not
     * thread-safe). */
    double *cols = malloc(held * n1 * sizeof(double));
    int ret = SF_ERR_NOMEM;

    if (cols == NULL) {
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
        goto out;
    }
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *pr = &res->pol[p];
        if ((ret = summarise_monthly(res, pr)) != 0) {
            sf_error_set(err, ret, "computing statistics: %s",
                         sf_strerror(ret));
            goto out;
        }
        size_t n_cols = SF_M_COUNT * U + K + sf_results_price_columns(res);
        if ((ret = read_batch(column, ctx, res, p, 0,
                              n_cols < batch ? n_cols : batch, cols, n1,
                              err)) != 0)
            goto out;
        for (size_t c0 = 0; c0 < n_cols; c0 += batch) {
            double *cur = cols + (c0 / batch % 2) * batch * n1;
            double *next = cols + ((c0 / batch + 1) % 2) * batch * n1;
            size_t nc = n_cols - c0 < batch ? n_cols - c0 : batch;
            size_t c1 = c0 + batch;
            size_t nc1 = c1 >= n_cols ? 0 : n_cols - c1 < batch ? n_cols - c1
                                                                : batch;
            int read_ret = 0;
#pragma omp parallel num_threads(threads)
            {
#pragma omp single nowait
                if (nc1 > 0)
                    read_ret = read_batch(column, ctx, res, p, c1, nc1, next,
                                          n1, err);
#pragma omp for schedule(dynamic, 1)
                for (size_t i = 0; i < nc; i++) {
                    size_t c = c0 + i;
                    sf_summary *s =
                        c < SF_M_COUNT * U
                            ? &pr->summary[c]
                            : &pr->shock_summary[c - SF_M_COUNT * U];
                    if (c >= SF_M_COUNT * U + K)
                        s = &pr->price_summary[c - SF_M_COUNT * U - K];
                    summarise(res, &cur[i * n1], 1, n, &cur[i * n1], s);
                }
            }
            if ((ret = read_ret) != 0)
                goto out;
        }
        if (p > 0) {
            if ((ret = read_pairs(column, ctx, res, p, 0,
                                  U < pairs ? U : pairs, cols, n1, err)) != 0)
                goto out;
            for (size_t u0 = 0; u0 < U; u0 += pairs) {
                double *cur = cols + (u0 / pairs % 2) * 2 * pairs * n1;
                double *next = cols + ((u0 / pairs + 1) % 2) * 2 * pairs * n1;
                size_t nu = U - u0 < pairs ? U - u0 : pairs, u1 = u0 + pairs;
                size_t nu1 = u1 >= U ? 0 : U - u1 < pairs ? U - u1 : pairs;
                int read_ret = 0;
#pragma omp parallel num_threads(threads)
                {
#pragma omp single nowait
                    if (nu1 > 0)
                        read_ret = read_pairs(column, ctx, res, p, u1, nu1,
                                              next, n1, err);
                    /* pair() reads [trial * U + u]: it is handed one-column
                     * rows; the differences replace the baseline's. */
#pragma omp for schedule(dynamic, 1)
                    for (size_t i = 0; i < nu; i++)
                        pair(res, &cur[2 * i * n1], &cur[(2 * i + 1) * n1], 1,
                             0, n, &cur[2 * i * n1], &pr->avoided[u0 + i]);
                }
                if ((ret = read_ret) != 0)
                    goto out;
            }
        }
    }
    ret = cost_ratios(res, column, ctx, err);
out:
    free(cols);
    return ret;
}

void sf_results_free_statistics(sf_results *res)
{
    for (size_t p = 0; res->pol != NULL && p < res->n_policies; p++) {
        sf_policy_results *pr = &res->pol[p];
        free(pr->summary);
        free(pr->month_frac_mean);
        free(pr->month_frac_q);
        free(pr->month_p_short);
        free(pr->shock_summary);
        free(pr->avoided);
        free(pr->price_summary);
        free(pr->price_month_mean);
        free(pr->price_month_q);
        free(pr->price_month_mean_region);
        free(pr->exports_month_mean);
        pr->price_month_mean_region = pr->exports_month_mean = NULL;
        pr->price_summary = NULL;
        pr->price_month_mean = pr->price_month_q = NULL;
        pr->summary = pr->shock_summary = NULL;
        pr->avoided = NULL;
        pr->month_frac_mean = pr->month_frac_q = pr->month_p_short = NULL;
    }
}

void sf_results_free(sf_results *res)
{
    if (res == NULL)
        return;
    sf_results_free_statistics(res);
    if (res->pol)
        for (size_t p = 0; p < res->n_policies; p++) {
            sf_policy_results *pr = &res->pol[p];
            for (int m = 0; m < SF_M_COUNT; m++)
                free(pr->metric[m]);
            free(pr->shock_months);
            free(pr->driver);
            free(pr->month_frac_sum);
            free(pr->month_short);
            free(pr->month_hist);
            free(pr->path);
            free(pr->path_x);
            free(pr->region_sum);
            free(pr->price);
            free(pr->price_sum);
            free(pr->price_hist);
        }
    free(res->pol);
    memset(res, 0, sizeof *res);
}

void sf_results_copy_rows(sf_results *res, const sf_results *part,
                          uint64_t from, uint64_t to)
{
    size_t U = res->n_units, K = res->model->n_shocks;
    size_t NP = sf_results_price_columns(res);
    uint64_t offset = part->first_trial - res->first_trial;

    sf_bug_assert(part->first_trial >= res->first_trial && part->row0 == 0 &&
                  from <= to && from >= offset &&
                  to <= offset + part->n_done && from >= res->row0 &&
                  to <= res->row0 + res->rows_held &&
                  part->n_policies == res->n_policies);
    size_t rows = (size_t)(to - from);
    size_t src = (size_t)(from - offset), dst = (size_t)(from - res->row0);
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *d = &res->pol[p];
        const sf_policy_results *s = &part->pol[p];
        for (int k = 0; k < SF_M_COUNT; k++)
            memcpy(&d->metric[k][dst * U], &s->metric[k][src * U],
                   rows * U * sizeof(double));
        memcpy(&d->shock_months[dst * K], &s->shock_months[src * K],
               rows * K * sizeof(int32_t));
        memcpy(&d->price[dst * NP], &s->price[src * NP],
               rows * NP * sizeof(double));
        size_t ND = sf_results_driver_columns(res, p);
        memcpy(&d->driver[dst * ND], &s->driver[src * ND],
               rows * ND * sizeof(double));
    }
}

void sf_results_add_totals(sf_results *res, const sf_results *part)
{
    const sf_model *m = res->model;
    size_t U = res->n_units, D = m->n_demand;
    size_t T = (size_t)res->n_months, cells = T * U;
    uint64_t offset = part->first_trial - res->first_trial;

    sf_bug_assert(part->first_trial >= res->first_trial &&
                  offset + part->n_done <= res->n_trials &&
                  part->n_policies == res->n_policies);
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *dst = &res->pol[p];
        const sf_policy_results *src = &part->pol[p];
        for (size_t c = 0; c < cells; c++) {
            dst->month_frac_sum[c] += src->month_frac_sum[c];
            dst->month_short[c] += src->month_short[c];
        }
        for (size_t c = 0; c < cells * (SF_HIST_BINS + 1); c++)
            dst->month_hist[c] += src->month_hist[c];
        for (size_t c = 0; c < T * m->n_commodities; c++)
            dst->price_sum[c] += src->price_sum[c];
        for (size_t c = 0; c < T * m->n_commodities * SF_PRICE_BINS; c++)
            dst->price_hist[c] += src->price_hist[c];
        for (size_t c = 0; c < 2 * sf_results_region_cells(res); c++)
            dst->region_sum[c] += src->region_sum[c];
        /* A part kept the paths of its own first trials. */
        size_t X = sf_results_path_x_width(res);
        for (uint64_t r = 0; r < part->n_paths && offset + r < res->n_paths;
             r++) {
            memcpy(&dst->path[(offset + r) * T * D], &src->path[r * T * D],
                   T * D * sizeof(double));
            memcpy(&dst->path_x[(offset + r) * T * X], &src->path_x[r * T * X],
                   T * X * sizeof(double));
        }
    }
    res->n_done += part->n_done;
    res->wall_seconds += part->wall_seconds;
    sf_solver_stats_add(&res->solver, &part->solver);
    if (part->threads > res->threads)
        res->threads = part->threads;
}

void sf_results_add(sf_results *res, const sf_results *part)
{
    uint64_t offset = part->first_trial - res->first_trial;

    sf_results_copy_rows(res, part, offset, offset + part->n_done);
    sf_results_add_totals(res, part);
}
