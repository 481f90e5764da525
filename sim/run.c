/*
 * run.c — `shortfall run`: options, the run itself and the summary table
 * (one row per policy mix and region: mean cumulative shortfall with its
 * standard error, P95, CVaR95, probability of any shortfall, and the
 * shortfall avoided against the baseline with its paired standard error).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "shortfall/engine.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

#define MAX_POLICY_ARGS 256

typedef struct {
    const char *scenario;
    long long n_trials; /* -1: the scenario's */
    bool seed_given;
    uint64_t seed;
    int threads;
    size_t n_policy_names;
    const char *policy_names[MAX_POLICY_ARGS];
} run_args;

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: shortfall run SCENARIO.yaml [options]\n"
            "\n"
            "Samples trials of the scenario's shocks under each policy mix (all on\n"
            "the same trials) and prints the summary table.\n"
            "\n"
            "options:\n"
            "  -n, --trials-count N  number of trials (default: the scenario's trials)\n"
            "  --seed S              seed, 0 .. 2^64-1 (default: the scenario's seed)\n"
            "  --threads T           OpenMP threads (default: all cores); results do\n"
            "                        not depend on it\n"
            "  --policy NAME         run only this mix (repeatable); the baseline is\n"
            "                        always run, since mixes are compared with it\n"
            "  -h, --help            this text\n");
}

/* Parses an unsigned decimal integer; false unless the whole text is one. */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+')
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* The value of option argv[*a] ("--x V" or "--x=V"); NULL if missing. */
static const char *option_value(int argc, char **argv, int *a,
                                const char *name)
{
    size_t len = strlen(name);
    if (argv[*a][len] == '=')
        return argv[*a] + len + 1;
    if (*a + 1 >= argc)
        return NULL;
    return argv[++*a];
}

static bool is_option(const char *arg, const char *name)
{
    size_t len = strlen(name);
    return strncmp(arg, name, len) == 0 &&
           (arg[len] == '\0' || (arg[len] == '=' && name[1] == '-'));
}

/* 0 to go on, or an exit code (help given: -1 → exit 0). */
static int parse_args(int argc, char **argv, run_args *ra)
{
    memset(ra, 0, sizeof *ra);
    ra->n_trials = -1;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a], *v;
        uint64_t x;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            run_usage(stdout);
            return -1;
        } else if (is_option(arg, "-n") || is_option(arg, "--trials-count")) {
            v = option_value(argc, argv, &a, arg[1] == 'n' ? "-n" : "--trials-count");
            if (!parse_u64(v, &x) || x < 1 || x > 1000000000000ULL) {
                fprintf(stderr, "shortfall run: -n needs a whole number of "
                                "trials from 1 to 10^12, got '%s'\n",
                        v ? v : "");
                return SF_EXIT_USAGE;
            }
            ra->n_trials = (long long)x;
        } else if (is_option(arg, "--seed")) {
            v = option_value(argc, argv, &a, "--seed");
            if (!parse_u64(v, &x)) {
                fprintf(stderr, "shortfall run: --seed needs a whole number "
                                "from 0 to 2^64-1, got '%s'\n",
                        v ? v : "");
                return SF_EXIT_USAGE;
            }
            ra->seed = x;
            ra->seed_given = true;
        } else if (is_option(arg, "--threads")) {
            v = option_value(argc, argv, &a, "--threads");
            if (!parse_u64(v, &x) || x < 1 || x > 1024) {
                fprintf(stderr, "shortfall run: --threads needs a number from "
                                "1 to 1024, got '%s'\n",
                        v ? v : "");
                return SF_EXIT_USAGE;
            }
            ra->threads = (int)x;
        } else if (is_option(arg, "--policy")) {
            v = option_value(argc, argv, &a, "--policy");
            if (v == NULL || ra->n_policy_names == MAX_POLICY_ARGS) {
                fprintf(stderr, "shortfall run: --policy needs a name\n");
                return SF_EXIT_USAGE;
            }
            ra->policy_names[ra->n_policy_names++] = v;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "shortfall run: unknown option '%s'\n", arg);
            run_usage(stderr);
            return SF_EXIT_USAGE;
        } else if (ra->scenario == NULL) {
            ra->scenario = arg;
        } else {
            fprintf(stderr, "shortfall run: one scenario file at a time (got "
                            "'%s' and '%s')\n",
                    ra->scenario, arg);
            return SF_EXIT_USAGE;
        }
    }
    if (ra->scenario == NULL) {
        run_usage(stderr);
        return SF_EXIT_USAGE;
    }
    return 0;
}

/* The unit of the demand nodes' commodity, or "units" if they differ. */
static const char *demand_unit(const sf_model *m)
{
    const char *unit = NULL;
    for (size_t d = 0; d < m->n_demand; d++) {
        const char *u = m->sc->commodities[m->input[m->demand_nodes[d]]].unit;
        if (unit != NULL && strcmp(unit, u) != 0)
            return "units";
        unit = u;
    }
    return unit ? unit : "units";
}

static void print_summary(FILE *f, const sf_results *res)
{
    const sf_model *m = res->model;
    const sf_scenario *sc = m->sc;
    size_t U = res->n_units;
    int q95 = 3; /* sf_quantile_levels[3] == 0.95 */

    fprintf(f, "\n%s: %" PRIu64 " trials x %d months, seed %" PRIu64
               ", %d thread%s, %.2f s (%.0f trials/s)\n",
            sc->name, res->n_done, res->n_months, res->seed, res->threads,
            res->threads == 1 ? "" : "s", res->wall_seconds,
            res->wall_seconds > 0 ? (double)res->n_done * (double)res->n_policies /
                                        res->wall_seconds
                                  : 0.0);
    if (res->n_done < res->n_trials)
        fprintf(f, "INCOMPLETE: %" PRIu64 " of %" PRIu64 " trials\n",
                res->n_done, res->n_trials);
    fprintf(f, "Cumulative shortfall over the horizon, %s; mean ± standard "
               "error over trials.\n"
               "avoided = baseline minus mix on the same trials (paired "
               "standard error); P(better) = share of trials it helps.\n\n",
            demand_unit(m));
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

int sf_cmd_run(int argc, char **argv)
{
    run_args ra;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_error err = {0};
    int status, ret;
    int policies[MAX_POLICY_ARGS + 1];
    size_t n_pol = 0;

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    status = parse_args(argc, argv, &ra);
    if (status != 0)
        return status < 0 ? SF_EXIT_OK : status;
    gsl_set_error_handler_off();

    if ((ret = sf_scenario_load(&sc, ra.scenario, &err)) != 0 ||
        (ret = sf_model_init(&m, &sc, &err)) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        status = sf_exit_code(ret);
        goto out;
    }
    policies[n_pol++] = 0;
    for (size_t i = 0; i < ra.n_policy_names; i++) {
        int p = sf_scenario_policy_index(&sc, ra.policy_names[i]);
        if (p < 0) {
            fprintf(stderr, "shortfall run: %s has no policy mix '%s'; it has:",
                    sc.file, ra.policy_names[i]);
            for (size_t q = 0; q < sc.n_policies; q++)
                fprintf(stderr, " %s", sc.policies[q].name);
            fputs("\n", stderr);
            status = SF_EXIT_USAGE;
            goto out;
        }
        bool dup = false;
        for (size_t q = 0; q < n_pol; q++)
            dup = dup || policies[q] == p;
        if (!dup)
            policies[n_pol++] = p;
    }
    if (ra.n_policy_names == 0)
        for (size_t p = 1; p < sc.n_policies; p++)
            policies[n_pol++] = (int)p;

    sf_run_options opt = {0};
    opt.seed = ra.seed_given ? ra.seed : sc.seed;
    opt.n_trials = ra.n_trials > 0 ? (uint64_t)ra.n_trials : (uint64_t)sc.trials;
    opt.threads = ra.threads;
    opt.n_policies = n_pol;
    opt.policies = policies;
    if ((ret = sf_engine_run(&m, &opt, &res, &err)) != 0 ||
        (ret = sf_results_summarise(&res, &err)) != 0) {
        fprintf(stderr, "shortfall run: %s\n", err.msg);
        status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
        goto out;
    }
    print_summary(stdout, &res);
    status = SF_EXIT_OK;
out:
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    return status;
}
