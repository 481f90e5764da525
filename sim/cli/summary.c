/*
 * summary.c — the summary of a run or of a results file: the table that
 * `shortfall run` prints at the end and `shortfall info` prints for a file,
 * and the same numbers as CSV or JSON records (`info --format`, `run
 * --summary`; the fields are docs/cli.md).
 *
 * Per policy mix and region (and per variant of a batch): the mean
 * cumulative shortfall with its standard error, P95, CVaR95, the
 * probability of any short month, the shortfall fraction, and for each mix
 * the shortfall avoided against the baseline with its paired standard
 * error and the share of trials in which it does better.  The table rounds
 * every number to what its standard error warrants (sim/numfmt.h); CSV and
 * JSON carry the stored doubles exactly.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "numfmt.h"
#include "table.h"
#include "shortfall/engine.h"

/* --- one record: a mix in a region ---------------------------------------- */

typedef struct {
    const char *policy, *region;
    double n; /* trials done */
    double mean, se, p95, cvar95;
    double p_short, p_short_se, frac, frac_se;
    bool paired; /* a mix other than the baseline */
    double av_mean, av_se, p_better, p_better_se;
} record;

/* The standard error of a share p of n independent trials. */
static double share_se(double p, double n)
{
    return n > 0 && p >= 0 && p <= 1 ? sqrt(p * (1.0 - p) / n) : NAN;
}

/* The index of level 0.95 among the run's quantile levels (--quantiles,
 * the quantiles key), or -1. */
static long p95_index(const sf_results *res)
{
    for (size_t q = 0; q < res->n_quantiles; q++)
        if (res->quantiles[q] == 0.95)
            return (long)q;
    return -1;
}

/* A summary's P95, or NaN when the levels do not include 0.95. */
static double p95_of(const sf_results *res, const sf_summary *s)
{
    long q = p95_index(res);
    return q >= 0 ? s->q[q] : NAN;
}

/* Record of mix p in region r (r == n_regions: the world). */
static void get_record(const sf_results *res, size_t p, size_t r, record *rc)
{
    const sf_model *m = res->model;
    const sf_policy_results *pr = &res->pol[p];
    size_t U = res->n_units;
    size_t u = r < m->n_regions ? sf_results_region_unit(res, r)
                                : sf_results_world_unit(res);
    const sf_summary *s = &pr->summary[SF_M_SHORTFALL * U + u];
    const sf_summary *fr = &pr->summary[SF_M_FRACTION * U + u];
    const sf_summary *ms = &pr->summary[SF_M_MONTHS_SHORT * U + u];

    memset(rc, 0, sizeof *rc);
    rc->policy = m->sc->policies[pr->policy].name;
    rc->region = sf_results_unit_name(res, u);
    rc->n = (double)res->n_done;
    rc->mean = s->mean;
    rc->se = s->se;
    rc->p95 = p95_of(res, s);
    rc->cvar95 = s->cvar95;
    rc->p_short = ms->p_any;
    rc->p_short_se = share_se(ms->p_any, rc->n);
    rc->frac = fr->mean;
    rc->frac_se = fr->se;
    if (pr->avoided != NULL) {
        rc->paired = true;
        rc->av_mean = pr->avoided[u].mean;
        rc->av_se = pr->avoided[u].se;
        rc->p_better = pr->avoided[u].p_better;
        rc->p_better_se = share_se(pr->avoided[u].p_better, rc->n);
    }
}

/* The world price index of commodity c under mix p: the mean over trials
 * of price_mean, its standard error, and the P95 of price_peak. */
typedef struct {
    double mean, se, peak_p95;
} price_record;

static void get_price(const sf_results *res, size_t p, size_t c,
                      price_record *pr)
{
    size_t C = res->model->n_commodities;
    const sf_summary *s = res->pol[p].price_summary;
    pr->mean = s[c].mean;
    pr->se = s[c].se;
    pr->peak_p95 = p95_of(res, &s[C + c]);
}

/* Shocks the table lists in a run's footer: every shock of the scenario,
 * and policy tariffs only if active in the baseline (never). */
static bool footer_shock(const sf_results *res, size_t k)
{
    return res->pol[0].shock_summary[k].mean > 0 ||
           res->model->sc->shocks[k].defined_by_policy < 0;
}

/* --- the table ------------------------------------------------------------ */

/* A run's header line: trials, months, seed, threads, time. */
static void run_line(FILE *f, const char *name, const sf_results *res,
                     uint64_t batch_trials)
{
    /* The rate only when it is one a run can have: a file may carry any
     * wall time >= 0, and 10^-310 s would print as "inf trials/s". */
    double rate = res->wall_seconds > 0
                      ? (double)res->n_done / res->wall_seconds : 0.0;
    char rate_text[48] = "rate not measured";
    if (rate < 1e9)
        snprintf(rate_text, sizeof rate_text, "%.0f trials/s", rate);
    fprintf(f, "%s: %" PRIu64 " trials", name, res->n_done);
    if (batch_trials > 0)
        fprintf(f, " (%" PRIu64 "..%" PRIu64 " of %" PRIu64 ")",
                res->first_trial, res->first_trial + res->n_trials - 1,
                batch_trials);
    fprintf(f, " x %d months, seed %" PRIu64 ", %d thread%s, %.2f s (%s)\n",
            res->n_months, res->seed, res->threads,
            res->threads == 1 ? "" : "s", res->wall_seconds, rate_text);
}

/* The shocks' mean months active in the baseline, ", "-separated. */
static void months_active(FILE *f, const sf_results *res)
{
    const sf_model *m = res->model;
    const char *sep = "";
    for (size_t k = 0; k < m->n_shocks; k++)
        if (footer_shock(res, k)) {
            char a[SF_FMT_LEN], b[SF_FMT_LEN];
            const sf_summary *s = &res->pol[0].shock_summary[k];
            sf_fmt_mean_se_in(s->mean, s->se, 0.0, a, b, sizeof a);
            fprintf(f, "%s%s %s ± %s", sep, m->sc->shocks[k].id, a, b);
            sep = ", ";
        }
}

/* Whether every run's sweep k has the same unit (then in the header). */
static const char *common_unit(const sf_summary_set *s, size_t k)
{
    const char *u = s->runs[0].sweep_units[k];
    for (size_t i = 1; i < s->n_runs; i++)
        if (strcmp(s->runs[i].sweep_units[k], u) != 0)
            return NULL;
    return u;
}

static const char *common_demand_unit(const sf_summary_set *s)
{
    const char *u = sf_model_demand_unit(s->runs[0].res->model);
    for (size_t i = 1; i < s->n_runs; i++)
        if (strcmp(sf_model_demand_unit(s->runs[i].res->model), u) != 0)
            return NULL;
    return u;
}

/* Per run, mix and commodity: the mean world price index with its
 * standard error, and the P95 of its peak. */
static void write_price_table(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL;
    table t;

    fputs("\nWorld price index per commodity, in the scenario's currency per "
          "unit: its mean over the horizon\n(mean ± standard error over "
          "trials), and the P95 of its highest month.\n\n",
          f);
    size_t nc = (batch ? 1 : 0) + 5, c = 0;
    table_init(&t, nc);
    if (batch)
        table_col(&t, c++, "variant", NULL, COL_LEFT);
    size_t c_policy = c;
    table_col(&t, c++, "policy", NULL, COL_LEFT);
    table_col(&t, c++, "commodity", NULL, COL_LEFT);
    table_col(&t, c++, "unit", NULL, COL_LEFT);
    table_col(&t, c++, "price mean ± se", NULL, COL_PM);
    table_col(&t, c++, "peak P95", NULL, COL_RIGHT);
    for (size_t i = 0; i < s->n_runs && !t.failed; i++) {
        const sf_results *res = s->runs[i].res;
        const sf_scenario *sc = res->model->sc;
        for (size_t p = 0; p < res->n_policies; p++)
            for (size_t k = 0; k < res->model->n_commodities; k++) {
                price_record pr;
                char a[SF_FMT_LEN], b[SF_FMT_LEN], u[400];
                get_price(res, p, k, &pr);
                if (!table_row(&t))
                    break;
                if (batch)
                    table_set(&t, 0, p == 0 && k == 0 ? s->runs[i].variant : "",
                              NULL);
                table_set(&t, c_policy,
                          k == 0 ? sc->policies[res->pol[p].policy].name : "",
                          NULL);
                table_set(&t, c_policy + 1, sc->commodities[k].id, NULL);
                snprintf(u, sizeof u, "%s/%s", sc->currency,
                         sc->commodities[k].unit);
                table_set(&t, c_policy + 2, u, NULL);
                double se =
                    fabs(pr.se) < SF_FMT_NOISE * fabs(pr.mean) ? 0.0 : pr.se;
                sf_fmt_mean_se_in(pr.mean, pr.se, 0.0, a, b, sizeof a);
                table_set(&t, c_policy + 3, a, b);
                int place = sf_fmt_se_place(se);
                if (place == SF_FMT_NO_PLACE)
                    sf_fmt_sig(pr.peak_p95, 4, a, sizeof a);
                else
                    sf_fmt_at_place(pr.peak_p95, place, a, sizeof a);
                table_set(&t, c_policy + 4, a, NULL);
            }
    }
    table_print(f, &t);
    if (t.failed)
        fputs("(the table is cut short: out of memory)\n", f);
    table_free(&t);
}

/* What the table is of: the run, or the batch and its variants and
 * sweeps; then what the columns mean. */
static void write_table_heading(FILE *f, const sf_summary_set *s,
                                const char *unit)
{
    bool batch = s->runs[0].variant != NULL;
    size_t ns = batch ? s->n_sweeps : 0;

    fputs("\n", f);
    if (!batch) {
        const sf_results *res = s->runs[0].res;
        run_line(f, res->model->sc->name, res, 0);
        if (res->n_done < res->n_trials)
            fprintf(f,
                    "INCOMPLETE: %" PRIu64 " of %" PRIu64 " trials done; "
                    "`shortfall run --resume FILE` finishes the run\n",
                    res->n_done, res->n_trials);
    } else {
        fprintf(f, "batch %s (%s): %zu variant%s", s->batch_name, s->batch_file,
                s->n_variants, s->n_variants == 1 ? "" : "s");
        if (s->part)
            fprintf(f,
                    "; a part holding %zu of them (`shortfall merge` "
                    "joins the parts)",
                    s->n_runs);
        fputs("\n", f);
        for (size_t i = 0; i < s->n_runs; i++) {
            fputs("  ", f);
            run_line(f, s->runs[i].variant, s->runs[i].res,
                     s->runs[i].batch_trials);
        }
        for (size_t k = 0; k < ns; k++) {
            const char *u = common_unit(s, k);
            fprintf(f, "%s %s = %s (%s)\n", k == 0 ? "Swept:" : "      ",
                    s->sweep_names[k], s->sweep_paths[k],
                    u == NULL ? "units by variant"
                    : *u      ? u
                              : "unit not known");
        }
    }
    fprintf(f,
            "Cumulative shortfall over the horizon, %s; mean ± standard "
            "error over trials.\n"
            "avoided = baseline minus mix on the same trials (paired "
            "standard error); P(better) = share of trials it helps.\n"
            "Numbers are rounded to their standard error's second "
            "significant digit, P95 and CVaR95 to the mean's "
            "(docs/cli.md).\n\n",
            unit ? unit : "in each variant's unit (column unit)");
    const sf_results *res = s->runs[0].res;
    if (p95_index(res) < 0) {
        char levels[SF_MAX_QUANTILES * 32] = "";
        for (size_t q = 0, len = 0; q < res->n_quantiles; q++)
            len += (size_t)snprintf(levels + len, sizeof levels - len,
                                    "%s%g", q ? ", " : "", res->quantiles[q]);
        fprintf(f, "P95: n/a, the run's quantile levels (%s) do not "
                   "include 0.95.\n\n",
                levels);
    }
}

/* Under the tables: months active per shock, and the solver's record. */
/* Per commodity, the share of its commodity-months taken unchanged from
 * the month before and the Newton iterations per clearing solved (only
 * in the run itself: a results file does not hold them). */
static void solver_by_commodity(FILE *f, const sf_results *res)
{
    const sf_scenario *sc = res->model->sc;
    for (size_t c = 0; c < sc->n_commodities && c < SF_SOLVER_COMMODITIES;
         c++) {
        uint64_t solved = res->solver.c_solved[c],
                 reused = res->solver.c_reused[c];
        if (solved + reused == 0)
            continue;
        fprintf(f, "  %s: %.1f %% of months reused, ", sc->commodities[c].id,
                100.0 * (double)reused / (double)(solved + reused));
        if (solved > 0)
            fprintf(f, "%.2f Newton iterations per solve\n",
                    (double)res->solver.c_iterations[c] / (double)solved);
        else
            fputs("none solved\n", f);
    }
}

static void write_table_footer(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL;

    if (!batch) {
        const sf_results *res = s->runs[0].res;
        if (res->model->n_shocks > 0) {
            fputs("\nMean months active per trial (baseline): ", f);
            months_active(f, res);
            fputs("\n", f);
        }
        if (res->solver.solves > 0) {
            /* The residual as 1.2 x 10^-10, not in e-notation (the
             * tables have none; docs/cli.md). */
            double r = res->solver.max_residual;
            int ex = r > 0.0 ? (int)floor(log10(r)) : 0;
            double mant = r > 0.0 ? r / pow(10.0, ex) : 0.0;
            if (mant >= 9.95) {
                mant /= 10.0;
                ex++;
            }
            fprintf(f,
                    "Market solver: %" PRIu64 " commodity-months cleared, "
                    "%.2f Newton iterations each on average, at most %d; "
                    "largest relative excess demand left ",
                    res->solver.solves,
                    (double)res->solver.iterations /
                        (double)res->solver.solves,
                    res->solver.max_iterations);
            if (r > 0.0 && (ex < -3 || ex > 3))
                fprintf(f, "%.1f × 10^%d\n", mant, ex);
            else
                fprintf(f, "%.2g\n", r);
            solver_by_commodity(f, res);
        }
    } else if (s->runs[0].res->model->n_shocks > 0) {
        fputs("\nMean months active per trial (baseline):\n", f);
        for (size_t i = 0; i < s->n_runs; i++) {
            fprintf(f, "  %s: ", s->runs[i].variant);
            months_active(f, s->runs[i].res);
            fputs("\n", f);
        }
    }
}

static void write_table(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL;
    const char *unit = common_demand_unit(s);
    size_t ns = batch ? s->n_sweeps : 0;
    table t;

    write_table_heading(f, s, unit);

    /* Columns: [variant, sweeps...,] policy, region, [unit,] values. */
    size_t nc = (batch ? 1 + ns : 0) + 2 + (unit ? 0 : 1) + 7, c = 0;
    table_init(&t, nc);
    if (batch) {
        table_col(&t, c++, "variant", NULL, COL_LEFT);
        for (size_t k = 0; k < ns; k++)
            table_col(&t, c++, s->sweep_names[k], common_unit(s, k), COL_RIGHT);
    }
    size_t c_policy = c;
    table_col(&t, c++, "policy", NULL, COL_LEFT);
    table_col(&t, c++, "region", NULL, COL_LEFT);
    if (unit == NULL)
        table_col(&t, c++, "unit", NULL, COL_LEFT);
    size_t c_values = c;
    table_col(&t, c++, "shortfall mean ± se", NULL, COL_PM);
    table_col(&t, c++, "P95", NULL, COL_RIGHT);
    table_col(&t, c++, "CVaR95", NULL, COL_RIGHT);
    table_col(&t, c++, "P(short)", NULL, COL_RIGHT);
    table_col(&t, c++, "fraction", NULL, COL_RIGHT);
    table_col(&t, c++, "avoided ± se", NULL, COL_PM);
    table_col(&t, c++, "P(better)", NULL, COL_RIGHT);

    for (size_t i = 0; i < s->n_runs && !t.failed; i++) {
        const sf_summary_run *run = &s->runs[i];
        const sf_results *res = run->res;
        for (size_t p = 0; p < res->n_policies; p++)
            for (size_t r = 0; r <= res->model->n_regions; r++) {
                record rc;
                char a[SF_FMT_LEN], b[SF_FMT_LEN];
                get_record(res, p, r, &rc);
                if (!table_row(&t))
                    break;
                c = 0;
                if (batch) {
                    table_set(&t, c++, p == 0 && r == 0 ? run->variant : "",
                              NULL);
                    for (size_t k = 0; k < ns; k++) {
                        char v[SF_FMT_LEN + 100];
                        sf_fmt_sig(run->sweep_values[k], 6, a, sizeof a);
                        if (common_unit(s, k) == NULL)
                            snprintf(v, sizeof v, "%s %s", a,
                                     run->sweep_units[k]);
                        else
                            snprintf(v, sizeof v, "%s", a);
                        table_set(&t, c++, p == 0 && r == 0 ? v : "", NULL);
                    }
                }
                table_set(&t, c_policy, r == 0 ? rc.policy : "", NULL);
                table_set(&t, c_policy + 1, rc.region, NULL);
                if (unit == NULL)
                    table_set(&t, c_policy + 2,
                              sf_model_demand_unit(res->model), NULL);
                c = c_values;
                /* A standard error below 10^-9 of the mean is rounding
                 * noise (numfmt.h): no place then. */
                double se =
                    fabs(rc.se) < SF_FMT_NOISE * fabs(rc.mean) ? 0.0 : rc.se;
                sf_fmt_mean_se_in(rc.mean, rc.se, 0.0, a, b, sizeof a);
                table_set(&t, c++, a, b);
                int place = sf_fmt_se_place(se);
                if (place == SF_FMT_NO_PLACE) {
                    sf_fmt_sig(rc.p95, 4, a, sizeof a);
                    table_set(&t, c++, a, NULL);
                    sf_fmt_sig(rc.cvar95, 4, a, sizeof a);
                    table_set(&t, c++, a, NULL);
                } else {
                    sf_fmt_at_place(rc.p95, place, a, sizeof a);
                    table_set(&t, c++, a, NULL);
                    sf_fmt_at_place(rc.cvar95, place, a, sizeof a);
                    table_set(&t, c++, a, NULL);
                }
                sf_fmt_by_se(rc.p_short, rc.p_short_se, a, sizeof a);
                table_set(&t, c++, a, NULL);
                sf_fmt_mean_se_in(rc.frac, rc.frac_se, 0.0, a, b, sizeof a);
                table_set(&t, c++, a, NULL);
                if (rc.paired) {
                    /* The scale of the avoided shortfall: the baseline's. */
                    sf_fmt_mean_se_in(rc.av_mean, rc.av_se,
                                      fabs(rc.mean) + fabs(rc.av_mean), a, b,
                                      sizeof a);
                    table_set(&t, c++, a, b);
                    sf_fmt_by_se(rc.p_better, rc.p_better_se, a, sizeof a);
                    table_set(&t, c++, a, NULL);
                }
            }
    }
    table_print(f, &t);
    if (t.failed)
        fputs("(the table is cut short: out of memory)\n", f);
    table_free(&t);
    write_price_table(f, s);
    sf_write_cost_table(f, s);
    write_table_footer(f, s);
}

/* --- CSV and JSON ----------------------------------------------------------
 */

/* Field names of the sweeps: the column name with every character other
 * than a letter, digit or '_' made '_' (runs of them one), or sweep_<k>
 * when that is empty, starts with a digit or is taken. */
static const char *const fixed_fields[] = {"variant",
                                           "scenario",
                                           "policy",
                                           "region",
                                           "trials_done",
                                           "shortfall_unit",
                                           "shortfall_mean",
                                           "shortfall_se",
                                           "shortfall_p95",
                                           "shortfall_cvar95",
                                           "p_short",
                                           "p_short_se",
                                           "fraction_mean",
                                           "fraction_se",
                                           "avoided_mean",
                                           "avoided_se",
                                           "p_better",
                                           "p_better_se",
                                           NULL};

static char **sweep_fields(const sf_summary_set *s)
{
    size_t ns = s->n_sweeps;
    char **fields = calloc(ns + 1, sizeof *fields);
    for (size_t k = 0; fields && k < ns; k++) {
        const char *name = s->sweep_names[k];
        size_t len = strlen(name), j = 0;
        char *fld = malloc(len + 32);
        if (fld == NULL)
            break;
        for (size_t i = 0; i < len; i++) {
            char ch = name[i];
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '_';
            if (!ok)
                ch = '_';
            if (ch == '_' && j > 0 && fld[j - 1] == '_')
                continue;
            fld[j++] = ch;
        }
        while (j > 0 && fld[j - 1] == '_')
            j--;
        fld[j] = '\0';
        bool taken = j == 0 || (fld[0] >= '0' && fld[0] <= '9');
        for (size_t i = 0; !taken && fixed_fields[i]; i++)
            taken = strcmp(fld, fixed_fields[i]) == 0;
        for (size_t i = 0; !taken && i < k; i++)
            taken = strcmp(fld, fields[i]) == 0;
        if (taken)
            snprintf(fld, len + 32, "sweep_%zu", k);
        fields[k] = fld;
    }
    return fields;
}

static void free_fields(char **fields, size_t n)
{
    for (size_t k = 0; fields && k < n; k++)
        free(fields[k]);
    free(fields);
}

static void csv_text(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL && s[0] != ' ' &&
        (s[0] == '\0' || s[strlen(s) - 1] != ' ')) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double x)
{
    char b[SF_FMT_LEN];
    sf_fmt_exact(x, b, sizeof b);
    fputs(b, f);
}

/* The commodities of every run, each id once, in order of appearance:
 * CSV and JSON records carry price_mean_<id>, price_mean_se_<id> and
 * price_peak_p95_<id> for each (empty where a run has no such
 * commodity).  NULL if out of memory. */
static const char **price_ids(const sf_summary_set *s, size_t *n)
{
    size_t cap = 0;
    for (size_t i = 0; i < s->n_runs; i++)
        cap += s->runs[i].res->model->n_commodities;
    const char **ids = calloc(cap + 1, sizeof *ids);
    *n = 0;
    for (size_t i = 0; ids != NULL && i < s->n_runs; i++) {
        const sf_scenario *sc = s->runs[i].res->model->sc;
        for (size_t c = 0; c < sc->n_commodities; c++) {
            bool seen = false;
            for (size_t j = 0; j < *n && !seen; j++)
                seen = strcmp(ids[j], sc->commodities[c].id) == 0;
            if (!seen)
                ids[(*n)++] = sc->commodities[c].id;
        }
    }
    return ids;
}

static const char *const price_fields[3] = {"price_mean", "price_mean_se",
                                            "price_peak_p95"};

/* Field j (price_fields) of commodity `id` of mix p in res: false if res
 * has no such commodity. */
static bool price_value(const sf_results *res, size_t p, const char *id,
                        int j, double *out)
{
    const sf_scenario *sc = res->model->sc;
    for (size_t c = 0; c < sc->n_commodities; c++)
        if (strcmp(sc->commodities[c].id, id) == 0) {
            price_record pr;
            get_price(res, p, c, &pr);
            *out = j == 0 ? pr.mean : j == 1 ? pr.se : pr.peak_p95;
            return true;
        }
    return false;
}

static void write_csv(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL;
    size_t ns = batch ? s->n_sweeps : 0;
    char **fields = sweep_fields(s);

    if (fields == NULL)
        return;
    /* Header. */
    if (batch) {
        fputs("variant,", f);
        for (size_t k = 0; k < ns; k++) {
            csv_text(f, fields[k] ? fields[k] : "");
            fputs(",", f);
            fprintf(f, "%s_unit,", fields[k] ? fields[k] : "");
        }
    }
    size_t n_ids = 0;
    const char **ids = price_ids(s, &n_ids);
    if (ids == NULL) {
        free_fields(fields, s->n_sweeps);
        return;
    }
    for (size_t i = 1; fixed_fields[i]; i++)
        fprintf(f, "%s%s", fixed_fields[i], fixed_fields[i + 1] ? "," : "");
    for (size_t k = 0; k < n_ids; k++)
        for (int j = 0; j < 3; j++) {
            char name[400];
            snprintf(name, sizeof name, "%s_%s", price_fields[j], ids[k]);
            fputs(",", f);
            csv_text(f, name);
        }
    for (int j = 0; j < SF_COST_FIELDS; j++)
        fprintf(f, ",%s", sf_cost_fields[j]);
    fputs("\r\n", f);
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_summary_run *run = &s->runs[i];
        const sf_results *res = run->res;
        for (size_t p = 0; p < res->n_policies; p++)
            for (size_t r = 0; r <= res->model->n_regions; r++) {
                record rc;
                get_record(res, p, r, &rc);
                if (batch) {
                    csv_text(f, run->variant);
                    fputs(",", f);
                    for (size_t k = 0; k < ns; k++) {
                        csv_num(f, run->sweep_values[k]);
                        fputs(",", f);
                        csv_text(f, run->sweep_units[k]);
                        fputs(",", f);
                    }
                }
                csv_text(f, res->model->sc->name);
                fputs(",", f);
                csv_text(f, rc.policy);
                fputs(",", f);
                csv_text(f, rc.region);
                fprintf(f, ",%" PRIu64 ",", res->n_done);
                csv_text(f, sf_model_demand_unit(res->model));
                const double v[] = {rc.mean,   rc.se,       rc.p95,
                                    rc.cvar95, rc.p_short,  rc.p_short_se,
                                    rc.frac,   rc.frac_se,  rc.av_mean,
                                    rc.av_se,  rc.p_better, rc.p_better_se};
                for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
                    fputs(",", f);
                    if (j < 8 || rc.paired)
                        csv_num(f, v[j]);
                }
                for (size_t k = 0; k < n_ids; k++)
                    for (int j = 0; j < 3; j++) {
                        double x;
                        fputs(",", f);
                        if (price_value(res, p, ids[k], j, &x))
                            csv_num(f, x);
                    }
                double cv[SF_COST_FIELDS];
                sf_cost_values(res, p, r, cv);
                for (int j = 0; j < SF_COST_FIELDS; j++) {
                    fputs(",", f);
                    if (!isnan(cv[j]))
                        csv_num(f, cv[j]);
                }
                fputs("\r\n", f);
            }
    }
    free(ids);
    free_fields(fields, s->n_sweeps);
}

/* A JSON string: quotes, backslashes and control characters escaped,
 * bytes that are not valid UTF-8 as U+FFFD. */
static void json_str(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    fputc('"', f);
    while (*p) {
        unsigned char ch = *p;
        if (ch == '"' || ch == '\\') {
            fprintf(f, "\\%c", ch);
            p++;
        } else if (ch < 0x20 || ch == 0x7f) {
            fprintf(f, "\\u%04x", ch);
            p++;
        } else if (ch < 0x80) {
            fputc(ch, f);
            p++;
        } else {
            /* The length of a well-formed sequence starting here, or 0. */
            size_t len = ch >= 0xC2 && ch <= 0xDF   ? 2
                         : ch >= 0xE0 && ch <= 0xEF ? 3
                         : ch >= 0xF0 && ch <= 0xF4 ? 4
                                                    : 0;
            for (size_t i = 1; i < len; i++)
                if ((p[i] & 0xC0) != 0x80)
                    len = 0;
            if (len == 3 &&
                ((ch == 0xE0 && p[1] < 0xA0) || (ch == 0xED && p[1] >= 0xA0)))
                len = 0; /* overlong, or a surrogate */
            if (len == 4 &&
                ((ch == 0xF0 && p[1] < 0x90) || (ch == 0xF4 && p[1] >= 0x90)))
                len = 0; /* overlong, or past U+10FFFF */
            if (len == 0) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, len, f);
                p += len;
            }
        }
    }
    fputc('"', f);
}

static void json_num(FILE *f, double x)
{
    char b[SF_FMT_LEN];
    sf_fmt_exact(x, b, sizeof b);
    fputs(*b ? b : "null", f);
}

/* "key": value pairs, with the comma before all but the first. */
static void json_key(FILE *f, bool *first, const char *key)
{
    fputs(*first ? "" : ", ", f);
    *first = false;
    json_str(f, key);
    fputs(": ", f);
}

/* A variant's name and swept values (with their units) as fields. */
static void json_variant(FILE *f, bool *ff, const sf_summary_run *run,
                         char **fields, size_t ns)
{
    json_key(f, ff, "variant");
    json_str(f, run->variant);
    for (size_t k = 0; k < ns; k++) {
        char unit_key[SF_FMT_LEN + 300];
        json_key(f, ff, fields[k]);
        json_num(f, run->sweep_values[k]);
        snprintf(unit_key, sizeof unit_key, "%s_unit", fields[k]);
        json_key(f, ff, unit_key);
        json_str(f, run->sweep_units[k]);
    }
}

/* The baseline's mean months active per trial of the footer's shocks. */
static void json_months_active(FILE *f, const sf_results *res)
{
    const sf_scenario *sc = res->model->sc;
    bool fk = true;

    fputs("[", f);
    for (size_t k = 0; k < res->model->n_shocks; k++)
        if (footer_shock(res, k)) {
            bool fs = true;
            fputs(fk ? "{" : ", {", f);
            fk = false;
            json_key(f, &fs, "shock");
            json_str(f, sc->shocks[k].id);
            json_key(f, &fs, "mean");
            json_num(f, res->pol[0].shock_summary[k].mean);
            json_key(f, &fs, "se");
            json_num(f, res->pol[0].shock_summary[k].se);
            fputs("}", f);
        }
    fputs("]", f);
}

/* One run's fields in the JSON summary's "runs" (the braces are the
 * caller's). */
static void json_run(FILE *f, const sf_summary_set *s,
                     const sf_summary_run *run, char **fields)
{
    const sf_results *res = run->res;
    const sf_scenario *sc = res->model->sc;
    bool batch = s->runs[0].variant != NULL, ff = true;
    size_t ns = batch ? s->n_sweeps : 0;

    if (batch)
        json_variant(f, &ff, run, fields, ns);
    json_key(f, &ff, "scenario");
    json_str(f, sc->name);
    json_key(f, &ff, "scenario_file");
    json_str(f, run->scenario_file);
    json_key(f, &ff, "seed");
    fprintf(f, "%" PRIu64, res->seed);
    json_key(f, &ff, "trials");
    fprintf(f, "%" PRIu64, res->n_trials);
    json_key(f, &ff, "trials_done");
    fprintf(f, "%" PRIu64, res->n_done);
    json_key(f, &ff, "first_trial");
    fprintf(f, "%" PRIu64, res->first_trial);
    if (s->part) {
        json_key(f, &ff, "batch_trials");
        fprintf(f, "%" PRIu64, run->batch_trials);
    }
    json_key(f, &ff, "complete");
    fputs(res->n_done == res->n_trials ? "true" : "false", f);
    json_key(f, &ff, "horizon_months");
    fprintf(f, "%d", res->n_months);
    json_key(f, &ff, "threads");
    fprintf(f, "%d", res->threads);
    json_key(f, &ff, "wall_seconds");
    json_num(f, res->wall_seconds);
    json_key(f, &ff, "solver_solves");
    fprintf(f, "%" PRIu64, res->solver.solves);
    json_key(f, &ff, "solver_iterations");
    fprintf(f, "%" PRIu64, res->solver.iterations);
    json_key(f, &ff, "solver_max_iterations");
    fprintf(f, "%d", res->solver.max_iterations);
    json_key(f, &ff, "solver_max_residual");
    json_num(f, res->solver.max_residual);
    json_key(f, &ff, "months_active");
    json_months_active(f, res);
}

static void write_json(FILE *f, const sf_summary_set *s)
{
    bool batch = s->runs[0].variant != NULL, first = true;
    size_t ns = batch ? s->n_sweeps : 0, n_ids = 0;
    char **fields = sweep_fields(s);
    const char **ids = price_ids(s, &n_ids);

    if (fields == NULL || ids == NULL) {
        free(ids);
        free_fields(fields, s->n_sweeps);
        return;
    }
    fputs("{", f);
    json_key(f, &first, "file");
    json_str(f, s->file);
    json_key(f, &first, "kind");
    json_str(f, !batch ? "run" : s->part ? "batch part" : "batch");
    json_key(f, &first, "version");
    json_str(f, s->version);
    if (batch) {
        json_key(f, &first, "batch");
        json_str(f, s->batch_name);
        json_key(f, &first, "batch_file");
        json_str(f, s->batch_file);
        json_key(f, &first, "variants");
        fprintf(f, "%zu", s->n_variants);
        json_key(f, &first, "sweeps");
        fputs("[", f);
        for (size_t k = 0; k < ns; k++) {
            bool ff = true;
            fputs(k ? ", {" : "{", f);
            json_key(f, &ff, "field");
            json_str(f, fields[k]);
            json_key(f, &ff, "name");
            json_str(f, s->sweep_names[k]);
            json_key(f, &ff, "path");
            json_str(f, s->sweep_paths[k]);
            fputs("}", f);
        }
        fputs("]", f);
    }
    json_key(f, &first, "runs");
    fputs("[\n", f);
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_summary_run *run = &s->runs[i];
        fputs(i ? ",\n  {" : "  {", f);
        json_run(f, s, run, fields);
        fputs("}", f);
    }
    fputs("\n]", f);
    json_key(f, &first, "records");
    fputs("[\n", f);
    bool any = false;
    for (size_t i = 0; i < s->n_runs; i++) {
        const sf_summary_run *run = &s->runs[i];
        const sf_results *res = run->res;
        for (size_t p = 0; p < res->n_policies; p++)
            for (size_t r = 0; r <= res->model->n_regions; r++) {
                record rc;
                bool ff = true;
                get_record(res, p, r, &rc);
                fputs(any ? ",\n  {" : "  {", f);
                any = true;
                if (batch)
                    json_variant(f, &ff, run, fields, ns);
                json_key(f, &ff, "scenario");
                json_str(f, res->model->sc->name);
                json_key(f, &ff, "policy");
                json_str(f, rc.policy);
                json_key(f, &ff, "region");
                json_str(f, rc.region);
                json_key(f, &ff, "trials_done");
                fprintf(f, "%" PRIu64, res->n_done);
                json_key(f, &ff, "shortfall_unit");
                json_str(f, sf_model_demand_unit(res->model));
                const double v[] = {rc.mean,   rc.se,       rc.p95,
                                    rc.cvar95, rc.p_short,  rc.p_short_se,
                                    rc.frac,   rc.frac_se,  rc.av_mean,
                                    rc.av_se,  rc.p_better, rc.p_better_se};
                for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
                    json_key(f, &ff, fixed_fields[6 + j]);
                    if (j < 8 || rc.paired)
                        json_num(f, v[j]);
                    else
                        fputs("null", f);
                }
                for (size_t k = 0; k < n_ids; k++)
                    for (int j = 0; j < 3; j++) {
                        char name[400];
                        double x;
                        snprintf(name, sizeof name, "%s_%s", price_fields[j],
                                 ids[k]);
                        json_key(f, &ff, name);
                        if (price_value(res, p, ids[k], j, &x))
                            json_num(f, x);
                        else
                            fputs("null", f);
                    }
                double cv[SF_COST_FIELDS];
                sf_cost_values(res, p, r, cv);
                for (int j = 0; j < SF_COST_FIELDS; j++) {
                    json_key(f, &ff, sf_cost_fields[j]);
                    json_num(f, cv[j]);
                }
                fputs("}", f);
            }
    }
    fputs("\n]}\n", f);
    free(ids);
    free_fields(fields, s->n_sweeps);
}

void sf_summary_write(FILE *f, const sf_summary_set *s, sf_summary_format fmt)
{
    if (s->n_runs == 0)
        return;
    if (fmt == SF_SUMMARY_CSV)
        write_csv(f, s);
    else if (fmt == SF_SUMMARY_JSON)
        write_json(f, s);
    else
        write_table(f, s);
}

void sf_print_summary(FILE *f, const sf_results *res)
{
    sf_summary_run run = {0};
    sf_summary_set s = {0};
    run.res = res;
    s.n_runs = 1;
    s.runs = &run;
    write_table(f, &s);
}
