/*
 * summary.c — the summary table that `shortfall run` prints at the end and
 * `shortfall info` prints for an existing file: per policy mix and region,
 * the mean cumulative shortfall with its standard error, P95, CVaR95, the
 * probability of any short month, the shortfall fraction, and for each mix
 * the shortfall avoided against the baseline with its paired standard
 * error and the share of trials in which it does better.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "shortfall/engine.h"

void sf_print_summary(FILE *f, const sf_results *res)
{
    const sf_model *m = res->model;
    const sf_scenario *sc = m->sc;
    size_t U = res->n_units;
    int q95 = 3; /* sf_quantile_levels[3] == 0.95 */

    /* The rate only when it is one a run can have: a file may carry any
     * wall time >= 0, and 10^-310 s would print as "inf trials/s". */
    double rate = res->wall_seconds > 0
                      ? (double)res->n_done / res->wall_seconds : 0.0;
    char rate_text[48] = "rate not measured";
    if (rate < 1e9)
        snprintf(rate_text, sizeof rate_text, "%.0f trials/s", rate);
    fprintf(f, "\n%s: %" PRIu64 " trials x %d months, seed %" PRIu64
               ", %d thread%s, %.2f s (%s)\n",
            sc->name, res->n_done, res->n_months, res->seed, res->threads,
            res->threads == 1 ? "" : "s", res->wall_seconds, rate_text);
    if (res->n_done < res->n_trials)
        fprintf(f, "INCOMPLETE: %" PRIu64 " of %" PRIu64 " trials done; "
                   "`shortfall run --resume FILE` finishes the run\n",
                res->n_done, res->n_trials);
    fprintf(f, "Cumulative shortfall over the horizon, %s; mean ± standard "
               "error over trials.\n"
               "avoided = baseline minus mix on the same trials (paired "
               "standard error); P(better) = share of trials it helps.\n\n",
            sf_model_demand_unit(m));
    fprintf(f, "%-16s %-10s %22s %12s %12s %8s %8s %22s %9s\n", "policy",
            "region", "shortfall mean ± se", "P95", "CVaR95", "P(short)",
            "fraction", "avoided ± se", "P(better)");
    for (size_t p = 0; p < res->n_policies; p++) {
        const sf_policy_results *pr = &res->pol[p];
        for (size_t r = 0; r <= m->n_regions; r++) {
            size_t u = r < m->n_regions ? sf_results_region_unit(res, r)
                                        : sf_results_world_unit(res);
            const sf_summary *s = &pr->summary[SF_M_SHORTFALL * U + u];
            const sf_summary *fr = &pr->summary[SF_M_FRACTION * U + u];
            const sf_summary *ms = &pr->summary[SF_M_MONTHS_SHORT * U + u];
            char ms_buf[40], av_buf[40] = "", pb_buf[16] = "";
            snprintf(ms_buf, sizeof ms_buf, "%.4g ± %.2g", s->mean, s->se);
            if (pr->avoided) {
                snprintf(av_buf, sizeof av_buf, "%.4g ± %.2g",
                         pr->avoided[u].mean, pr->avoided[u].se);
                snprintf(pb_buf, sizeof pb_buf, "%.3f", pr->avoided[u].p_better);
            }
            fprintf(f, "%-16s %-10s %22s %12.4g %12.4g %8.3f %8.4f %22s %9s\n",
                    r == 0 ? sc->policies[pr->policy].name : "",
                    sf_results_unit_name(res, u), ms_buf, s->q[q95], s->cvar95,
                    ms->p_any, fr->mean, av_buf, pb_buf);
        }
    }
    if (m->n_shocks > 0) {
        fprintf(f, "\nMean months active per trial (baseline):");
        for (size_t k = 0; k < m->n_shocks; k++)
            if (res->pol[0].shock_summary[k].mean > 0 ||
                sc->shocks[k].defined_by_policy < 0)
                fprintf(f, " %s %.2f", sc->shocks[k].id,
                        res->pol[0].shock_summary[k].mean);
        fputs("\n", f);
    }
}

