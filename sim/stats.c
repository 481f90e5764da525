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

#include "shortfall/engine.h"

/* Summary of n values x[0], x[stride], ...; sorted is scratch of n, or x
 * itself when stride is 1 (x is then left sorted). */
static void summarise(const double *x, size_t stride, size_t n,
                      double *sorted, sf_summary *s)
{
    double sum = 0.0, ss = 0.0;
    size_t nonzero = 0;

    memset(s, 0, sizeof *s);
    if (n == 0) {
        for (int q = 0; q < SF_N_QUANTILES; q++)
            s->q[q] = NAN;
        s->mean = s->sd = s->se = s->cvar95 = s->p_any = NAN;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        sorted[i] = v;
        sum += v;
        nonzero += v > 0.0;
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
    for (int q = 0; q < SF_N_QUANTILES; q++)
        s->q[q] = gsl_stats_quantile_from_sorted_data(sorted, 1, n,
                                                      sf_quantile_levels[q]);
    /* CVaR95: the mean of the ceil(5 %) largest values. */
    size_t tail = (size_t)ceil(0.05 * (double)n);
    double tsum = 0.0;
    for (size_t i = n - tail; i < n; i++)
        tsum += sorted[i];
    s->cvar95 = tsum / (double)tail;
}

/* Baseline minus mix, per trial, for each unit's cumulative shortfall;
 * diff is scratch of n (it may be base itself when U is 1). */
static void pair(const double *base, const double *mix, size_t U, size_t u,
                 size_t n, double *diff, sf_paired *out)
{
    sf_summary s;
    size_t better = 0, worse = 0;

    for (size_t i = 0; i < n; i++) {
        double d = base[i * U + u] - mix[i * U + u];
        diff[i] = d;
        better += d > 0.0;
        worse += d < 0.0;
    }
    summarise(diff, 1, n, diff, &s);
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

/* The statistics' arrays of one policy, and its fan chart, which comes
 * from the integer accumulators alone. */
static int summarise_monthly(sf_results *res, sf_policy_results *pr)
{
    size_t U = res->n_units, T = (size_t)res->n_months;
    size_t K = res->model->n_shocks, n = res->n_done;

    pr->summary = calloc(SF_M_COUNT * U, sizeof *pr->summary);
    pr->month_frac_mean = calloc(T * U, sizeof(double));
    pr->month_frac_q = calloc(SF_N_QUANTILES * T * U, sizeof(double));
    pr->month_p_short = calloc(T * U, sizeof(double));
    pr->shock_summary = calloc(K ? K : 1, sizeof *pr->shock_summary);
    if (!pr->summary || !pr->month_frac_mean || !pr->month_frac_q ||
        !pr->month_p_short || !pr->shock_summary)
        return SF_ERR_NOMEM;
    for (size_t c = 0; c < T * U; c++) {
        pr->month_frac_mean[c] =
            n ? (double)pr->month_frac_sum[c] / SF_FRAC_ONE / (double)n : NAN;
        pr->month_p_short[c] = n ? (double)pr->month_short[c] / (double)n : NAN;
        for (int q = 0; q < SF_N_QUANTILES; q++)
            pr->month_frac_q[(size_t)q * T * U + c] =
                hist_quantile(&pr->month_hist[c * (SF_HIST_BINS + 1)], n,
                              sf_quantile_levels[q]);
    }
    return 0;
}

int sf_results_summarise(sf_results *res, sf_error *err)
{
    size_t U = res->n_units;
    size_t K = res->model->n_shocks, n = res->n_done;
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
                    summarise(&pr->metric[mu / U][mu % U], U, n, own,
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
            summarise(scratch + n, 1, n, scratch, &pr->shock_summary[k]);
        }
        if (p > 0) {
            pr->avoided = calloc(U, sizeof *pr->avoided);
            if (pr->avoided == NULL)
                goto out;
            for (size_t u = 0; u < U; u++)
                pair(res->pol[0].metric[SF_M_SHORTFALL],
                     pr->metric[SF_M_SHORTFALL], U, u, n, scratch,
                     &pr->avoided[u]);
        }
    }
    ret = 0;
out:
    free(scratch);
    if (ret != 0)
        sf_error_set(err, ret, "computing statistics: %s", sf_strerror(ret));
    return ret;
}

int sf_results_summarise_columns(sf_results *res, sf_column_fn column,
                                 void *ctx, sf_error *err)
{
    size_t U = res->n_units, K = res->model->n_shocks, n = res->n_done;
    size_t n1 = n ? n : 1;
    int threads = res->threads > 0 ? res->threads : 1;
    /* `threads` columns read (serially: HDF5 is not thread-safe) and then
     * summarised in parallel, each sorted in place; two more columns for
     * the paired comparison. */
    double *cols = malloc((size_t)threads * n1 * sizeof(double));
    double *pair_cols = malloc(2 * n1 * sizeof(double));
    int ret = SF_ERR_NOMEM;

    if (cols == NULL || pair_cols == NULL) {
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
        size_t n_cols = SF_M_COUNT * U + K;
        for (size_t c0 = 0; c0 < n_cols; c0 += (size_t)threads) {
            size_t nc = n_cols - c0 < (size_t)threads ? n_cols - c0
                                                      : (size_t)threads;
            for (size_t i = 0; i < nc; i++) {
                size_t c = c0 + i;
                int what = c < SF_M_COUNT * U ? (int)(c / U) : SF_COLUMN_SHOCK;
                size_t index = c < SF_M_COUNT * U ? c % U : c - SF_M_COUNT * U;
                if ((ret = column(ctx, res, p, what, index, &cols[i * n1],
                                  err)) != 0)
                    goto out;
            }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
            for (size_t i = 0; i < nc; i++) {
                size_t c = c0 + i;
                sf_summary *s = c < SF_M_COUNT * U
                                    ? &pr->summary[c]
                                    : &pr->shock_summary[c - SF_M_COUNT * U];
                summarise(&cols[i * n1], 1, n, &cols[i * n1], s);
            }
        }
        if (p > 0) {
            pr->avoided = calloc(U, sizeof *pr->avoided);
            if (pr->avoided == NULL) {
                ret = SF_ERR_NOMEM;
                sf_error_set(err, ret, "computing statistics: %s",
                             sf_strerror(ret));
                goto out;
            }
            for (size_t u = 0; u < U; u++) {
                if ((ret = column(ctx, res, 0, SF_M_SHORTFALL, u, pair_cols,
                                  err)) != 0 ||
                    (ret = column(ctx, res, p, SF_M_SHORTFALL, u,
                                  pair_cols + n1, err)) != 0)
                    goto out;
                /* pair() reads [trial * U + u]: hand it one-column rows;
                 * the differences replace the baseline's column. */
                pair(pair_cols, pair_cols + n1, 1, 0, n, pair_cols,
                     &pr->avoided[u]);
            }
        }
    }
    ret = 0;
out:
    free(cols);
    free(pair_cols);
    return ret;
}

void sf_results_free(sf_results *res)
{
    if (res == NULL)
        return;
    if (res->pol)
        for (size_t p = 0; p < res->n_policies; p++) {
            sf_policy_results *pr = &res->pol[p];
            for (int m = 0; m < SF_M_COUNT; m++)
                free(pr->metric[m]);
            free(pr->shock_months);
            free(pr->month_frac_sum);
            free(pr->month_short);
            free(pr->month_hist);
            free(pr->path);
            free(pr->summary);
            free(pr->month_frac_mean);
            free(pr->month_frac_q);
            free(pr->month_p_short);
            free(pr->shock_summary);
            free(pr->avoided);
        }
    free(res->pol);
    memset(res, 0, sizeof *res);
}

void sf_results_add(sf_results *res, const sf_results *part)
{
    const sf_model *m = res->model;
    size_t U = res->n_units, K = m->n_shocks, D = m->n_demand;
    size_t T = (size_t)res->n_months, cells = T * U;
    uint64_t offset = part->first_trial - res->first_trial;

    sf_bug_assert(part->first_trial >= res->first_trial &&
                  offset + part->n_done <= res->n_trials &&
                  part->n_policies == res->n_policies);
    for (size_t p = 0; p < res->n_policies; p++) {
        sf_policy_results *dst = &res->pol[p];
        const sf_policy_results *src = &part->pol[p];
        for (int k = 0; k < SF_M_COUNT; k++)
            memcpy(&dst->metric[k][offset * U], src->metric[k],
                   part->n_done * U * sizeof(double));
        memcpy(&dst->shock_months[offset * K], src->shock_months,
               part->n_done * K * sizeof(int32_t));
        for (size_t c = 0; c < cells; c++) {
            dst->month_frac_sum[c] += src->month_frac_sum[c];
            dst->month_short[c] += src->month_short[c];
        }
        for (size_t c = 0; c < cells * (SF_HIST_BINS + 1); c++)
            dst->month_hist[c] += src->month_hist[c];
        /* A part kept the paths of its own first trials. */
        for (uint64_t r = 0; r < part->n_paths && offset + r < res->n_paths;
             r++)
            memcpy(&dst->path[(offset + r) * T * D], &src->path[r * T * D],
                   T * D * sizeof(double));
    }
    res->n_done += part->n_done;
    res->wall_seconds += part->wall_seconds;
    if (part->threads > res->threads)
        res->threads = part->threads;
}
