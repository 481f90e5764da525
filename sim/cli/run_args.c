/*
 * run_args.c — the options of `shortfall run`: the usage text, parsing,
 * the checks of options that go together or not, and the range of trials
 * that --trials or --shard select (run_internal.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "run_internal.h"
#include "shortfall/engine.h"

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: shortfall run SCENARIO.yaml [options]\n"
            "       shortfall run BATCH.yaml [--variant I] [--trials A:B | --shard I/S] [options]\n"
            "       shortfall run --resume RESULTS.h5 [--threads T] [--progress M]\n"
            "\n"
            "Samples trials of the scenario's shocks under each policy mix (all on\n"
            "the same trials), writes the results file and prints the summary table.\n"
            "One scenario (or batch) file per run: for several, run each in turn.\n"
            "\n"
            "options:\n"
            "  -n N                  number of trials, a whole number such as 10000,\n"
            "                        10_000 or 1e4 (default: the scenario's trials)\n"
            "  --seed S              seed, 0 .. 2^64-1 (default: the scenario's seed)\n"
            "  -o, --output FILE     results file (default: out/<scenario name>.h5)\n"
            "  --force               replace FILE if it exists\n"
            "  --threads T           OpenMP threads (default: all cores); results do\n"
            "                        not depend on it\n"
            "  --policy NAME         run only this mix (repeatable); the baseline is\n"
            "                        always run, since mixes are compared with it\n"
            "  --trials A:B          run only trials A .. B-1 of the experiment (a\n"
            "                        shard; join shards with `shortfall merge`)\n"
            "  --shard I/S           run shard I of S equal shards (0 <= I < S):\n"
            "                        trials N*I/S .. N*(I+1)/S-1 of the N trials\n"
            "  --variant I           a batch: run only variant I (an index, as\n"
            "                        `shortfall check BATCH` lists them, or a group\n"
            "                        name); with --trials or --shard, a batch part\n"
            "                        for `shortfall merge`, needs -o\n"
            "  --target-rse X        stop once the baseline's mean cumulative shortfall\n"
            "                        (world, or --target-unit) has a relative standard\n"
            "                        error <= X, checked every 8192 trials; -n caps it\n"
            "  --target-unit NAME    a region or demand node for --target-rse\n"
            "  --paths N             also store the monthly paths of the first N\n"
            "                        trials: shortfall, and each region's exports,\n"
            "                        supply and price index\n"
            "  --no-trials           leave the per-trial arrays out of the file\n"
            "  --quantiles L,L,...   quantile levels of every statistic, each in\n"
            "                        [0, 1], increasing, at most 32 (default: the\n"
            "                        scenario's quantiles, else 0.05,0.5,0.9,0.95,0.99)\n"
            "  --stats-memory MB     memory for the statistics over trials at the\n"
            "                        end (default 256); longer columns are read back\n"
            "                        several times instead, for the same results\n"
            "  --progress M          auto (on a terminal), always or never\n"
            "  --summary F           also write the summary as F = csv or json\n"
            "                        next to the results: out/x.h5 ->\n"
            "                        out/x.summary.csv (docs/cli.md)\n"
            "  --resume FILE         finish an interrupted run in FILE\n"
            "  -h, --help            this text\n"
            "\n"
            "Ctrl-C (SIGINT) or SIGTERM while trials run prints `stopping after the\n"
            "trials in progress…`: each thread finishes the few trials it is on\n"
            "(well under a second's work, unless one trial takes longer), the\n"
            "completed trials are written to FILE, marked incomplete, and the run\n"
            "exits with status 130; `shortfall run --resume FILE` runs the rest, and\n"
            "FILE is then what an uninterrupted run would have written.  (With\n"
            "--no-trials, FILE has the completed trials' statistics but no rows to\n"
            "resume from.)  A batch stops the same way but is written only when\n"
            "complete: exit 130, no file.  Once all trials are done, a Ctrl-C lets\n"
            "the run finish writing FILE (exit 0).  A second Ctrl-C or SIGTERM (or\n"
            "then SIGHUP) ends the run at once: no new file is left, and a FILE\n"
            "being resumed keeps what it had.\n");
}

bool sf_run_parse_u64(const char *s, uint64_t *out)
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

/* A count of trials as people write it: 10000, 10_000 (underscores
 * between digits), 1e4, 1.5e3.  Exact whole numbers only: 2.5 and 1e-3
 * are refused ("not whole"), as is anything else ("not a number").
 * Returns 0, or one of those two words in *why. */
static int parse_count(const char *s, uint64_t *out, const char **why)
{
    char digits[64];
    size_t nd = 0, frac = 0;
    bool in_frac = false;
    long long exp = 0;
    const char *c = s;

    *why = "not a number";
    if (s == NULL || !(*c >= '0' && *c <= '9'))
        return -1;
    for (; *c != '\0' && *c != 'e' && *c != 'E'; c++) {
        if (*c >= '0' && *c <= '9') {
            if (nd == sizeof digits - 1)
                return -1;
            digits[nd++] = *c;
            frac += in_frac;
        } else if (*c == '_' && c[-1] >= '0' && c[-1] <= '9' && c[1] >= '0' &&
                   c[1] <= '9') {
            continue;
        } else if (*c == '.' && !in_frac && c[1] >= '0' && c[1] <= '9') {
            in_frac = true;
        } else {
            return -1;
        }
    }
    if (*c != '\0') { /* the exponent */
        bool neg = c[1] == '-';
        c += c[1] == '-' || c[1] == '+' ? 2 : 1;
        if (*c == '\0')
            return -1;
        for (; *c != '\0'; c++) {
            if (!(*c >= '0' && *c <= '9'))
                return -1;
            exp = exp > 1000 ? exp : exp * 10 + (*c - '0');
        }
        exp = neg ? -exp : exp;
    }
    exp -= (long long)frac;
    /* digits x 10^exp: drop trailing zeros, which must cover a negative
     * exponent, then scale up. */
    while (exp < 0 && nd > 0 && digits[nd - 1] == '0') {
        nd--;
        exp++;
    }
    if (exp < 0) {
        *why = "not whole";
        return -1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < nd; i++) {
        if (v > (UINT64_MAX - 9) / 10)
            return *why = "too large", -1;
        v = v * 10 + (uint64_t)(digits[i] - '0');
    }
    for (; exp > 0 && v > 0; exp--) {
        if (v > UINT64_MAX / 10)
            return *why = "too large", -1;
        v *= 10;
    }
    *out = v;
    return 0;
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

int sf_run_usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "shortfall run: ");
    fprintf(stderr, fmt, value ? value : "");
    fputs("\n", stderr);
    return SF_EXIT_USAGE;
}

/* The options that choose the trials: -n, --seed, --threads, --trials,
 * --shard and --variant.  *matched says whether argv[*a] is one of them;
 * 0, or an exit code. */
static int parse_trial_option(int argc, char **argv, int *a, run_args *ra,
                              bool *matched)
{
    const char *arg = argv[*a], *v;
    uint64_t x;

    *matched = true;
    if (is_option(arg, "-n")) {
        v = option_value(argc, argv, a, "-n");
        const char *why = "missing";
        if (v != NULL && parse_count(v, &x, &why) == 0)
            why = x < 1                  ? "less than 1"
                  : x > 1000000000000ULL ? "too large"
                                         : NULL;
        if (why != NULL) {
            fprintf(stderr,
                    "shortfall run: -n needs a whole number of trials "
                    "from 1 to 10^12 (such as 10000, 10_000 or 1e4), "
                    "got '%s' (%s)\n",
                    v ? v : "", why);
            return SF_EXIT_USAGE;
        }
        ra->n_trials = (long long)x;
    } else if (is_option(arg, "--seed")) {
        v = option_value(argc, argv, a, "--seed");
        if (!sf_run_parse_u64(v, &x))
            return sf_run_usage_error("--seed needs a whole number from 0 to "
                                      "2^64-1, got '%s'",
                                      v);
        ra->seed = x;
        ra->seed_given = true;
    } else if (is_option(arg, "--threads")) {
        v = option_value(argc, argv, a, "--threads");
        if (!sf_run_parse_u64(v, &x) || x < 1 || x > 1024)
            return sf_run_usage_error(
                "--threads needs a number from 1 to 1024, "
                "got '%s'",
                v);
        ra->threads = (int)x;
    } else if (is_option(arg, "--trials")) {
        v = option_value(argc, argv, a, "--trials");
        const char *colon = v ? strchr(v, ':') : NULL;
        char lo[32];
        if (colon == NULL || (size_t)(colon - v) >= sizeof lo)
            return sf_run_usage_error(
                "--trials needs A:B (trials A .. B-1), got "
                "'%s'",
                v);
        memcpy(lo, v, (size_t)(colon - v));
        lo[colon - v] = '\0';
        if (!sf_run_parse_u64(lo, &ra->trial_a) ||
            !sf_run_parse_u64(colon + 1, &ra->trial_b) ||
            ra->trial_b <= ra->trial_a)
            return sf_run_usage_error("--trials needs A:B with A < B, got '%s'",
                                      v);
        ra->trials_given = true;
    } else if (is_option(arg, "--shard")) {
        v = option_value(argc, argv, a, "--shard");
        const char *slash = v ? strchr(v, '/') : NULL;
        char lo[32];
        if (slash == NULL || (size_t)(slash - v) >= sizeof lo)
            return sf_run_usage_error(
                "--shard needs I/S (shard I of S), got '%s'", v);
        memcpy(lo, v, (size_t)(slash - v));
        lo[slash - v] = '\0';
        if (!sf_run_parse_u64(lo, &ra->shard_i) ||
            !sf_run_parse_u64(slash + 1, &ra->shard_n) || ra->shard_n < 1 ||
            ra->shard_n > 1000000 || ra->shard_i >= ra->shard_n)
            return sf_run_usage_error("--shard needs I/S with 0 <= I < S <= "
                                      "10^6, got '%s'",
                                      v);
        ra->shard_given = true;
    } else if (is_option(arg, "--variant")) {
        v = option_value(argc, argv, a, "--variant");
        if (v == NULL || *v == '\0')
            return sf_run_usage_error(
                "%s--variant needs an index or a group name", NULL);
        ra->variant = v;
    } else {
        *matched = false;
    }
    return 0;
}

void sf_run_format_levels(char *buf, size_t size, const double *q, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        char one[32];
        snprintf(one, sizeof one, "%.15g", q[i]);
        if (strtod(one, NULL) != q[i])
            snprintf(one, sizeof one, "%.17g", q[i]);
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
                                one);
    }
}

void sf_run_levels(const run_args *ra, const sf_scenario *sc,
                   const double **q, size_t *n)
{
    *q = ra->n_quantiles ? ra->quantiles
         : sc->n_quantiles ? sc->quantiles
                           : sf_default_quantiles;
    *n = ra->n_quantiles  ? ra->n_quantiles
         : sc->n_quantiles ? sc->n_quantiles
                           : SF_DEFAULT_N_QUANTILES;
}

/* --quantiles L,L,...: each level a number, the list as
 * sf_quantiles_problem wants it.  0, or an exit code. */
static int parse_levels(const char *v, run_args *ra)
{
    char why[160];
    long bad;
    size_t n = 0;
    const char *c = v;

    if (v == NULL)
        return sf_run_usage_error("--quantiles needs levels such as "
                                  "0.05,0.5,0.95%s",
                                  "");
    while (*v != '\0') {
        char *end;
        const char *comma = strchr(c, ',');
        size_t len = comma ? (size_t)(comma - c) : strlen(c);
        double x = len > 0 && len < 64 ? strtod(c, &end) : NAN;
        if (len == 0 || len >= 64 || end != c + len) {
            fprintf(stderr,
                    "shortfall run: --quantiles needs levels such as "
                    "0.05,0.5,0.95 (numbers in [0, 1] separated by commas), "
                    "got '%.*s' in '%s'\n",
                    (int)(len < 64 ? len : 64), c, v);
            return SF_EXIT_USAGE;
        }
        if (n < SF_MAX_QUANTILES)
            ra->quantiles[n] = x;
        n++;
        if (comma == NULL)
            break;
        c = comma + 1;
    }
    if (sf_quantiles_problem(ra->quantiles, n, why, sizeof why, &bad)) {
        fprintf(stderr, "shortfall run: --quantiles '%s': %s\n", v, why);
        return SF_EXIT_USAGE;
    }
    ra->n_quantiles = n;
    return 0;
}

/* The options about precision, output and mixes: --target-rse,
 * --target-unit, --paths, --stats-memory, --progress, --summary, -o,
 * --resume, --force, --no-trials and --policy.  As parse_trial_option. */
static int parse_output_option(int argc, char **argv, int *a, run_args *ra,
                               bool *matched)
{
    const char *arg = argv[*a], *v;
    uint64_t x;

    *matched = true;
    if (is_option(arg, "--target-rse")) {
        v = option_value(argc, argv, a, "--target-rse");
        char *end = NULL;
        double rse = v ? strtod(v, &end) : 0.0;
        if (v == NULL || *end != '\0' || !(rse > 0.0 && rse < 1.0))
            return sf_run_usage_error(
                "--target-rse needs a number between 0 and "
                "1 (e.g. 0.01), got '%s'",
                v);
        ra->target_rse = rse;
    } else if (is_option(arg, "--target-unit")) {
        v = option_value(argc, argv, a, "--target-unit");
        if (v == NULL || *v == '\0')
            return sf_run_usage_error(
                "%s--target-unit needs a region or node name", NULL);
        ra->target_unit = v;
    } else if (is_option(arg, "--paths")) {
        v = option_value(argc, argv, a, "--paths");
        if (!sf_run_parse_u64(v, &x) || x > SF_MAX_PATHS)
            return sf_run_usage_error("--paths needs a number of trials from 0 "
                                      "to 10^6, got '%s'",
                                      v);
        ra->n_paths = x;
    } else if (is_option(arg, "--quantiles")) {
        int status = parse_levels(option_value(argc, argv, a, "--quantiles"),
                                  ra);
        if (status != 0)
            return status;
    } else if (is_option(arg, "--stats-memory")) {
        v = option_value(argc, argv, a, "--stats-memory");
        if (!sf_run_parse_u64(v, &x) || x < 1 || x > (UINT64_C(1) << 30))
            return sf_run_usage_error(
                "--stats-memory needs a number of MB from 1 "
                "to 2^30, got '%s'",
                v);
        ra->stats_memory = x << 20;
    } else if (is_option(arg, "--progress")) {
        v = option_value(argc, argv, a, "--progress");
        if (v && strcmp(v, "auto") == 0)
            ra->progress = PROGRESS_AUTO;
        else if (v && strcmp(v, "always") == 0)
            ra->progress = PROGRESS_ALWAYS;
        else if (v && strcmp(v, "never") == 0)
            ra->progress = PROGRESS_NEVER;
        else
            return sf_run_usage_error(
                "--progress is auto, always or never, got "
                "'%s'",
                v);
    } else if (is_option(arg, "--summary")) {
        v = option_value(argc, argv, a, "--summary");
        int fmt = sf_summary_format_parse(v);
        if (fmt != SF_SUMMARY_CSV && fmt != SF_SUMMARY_JSON)
            return sf_run_usage_error("--summary is csv or json, got '%s'", v);
        ra->summary = (sf_summary_format)fmt;
        ra->summary_given = true;
    } else if (is_option(arg, "-o") || is_option(arg, "--output")) {
        v = option_value(argc, argv, a, arg[1] == 'o' ? "-o" : "--output");
        if (v == NULL || *v == '\0')
            return sf_run_usage_error("%s-o needs a file name", NULL);
        ra->output = v;
    } else if (is_option(arg, "--resume")) {
        v = option_value(argc, argv, a, "--resume");
        if (v == NULL || *v == '\0')
            return sf_run_usage_error("%s--resume needs a results file", NULL);
        ra->resume = v;
    } else if (strcmp(arg, "--force") == 0) {
        ra->force = true;
    } else if (strcmp(arg, "--no-trials") == 0) {
        ra->no_trials = true;
    } else if (is_option(arg, "--policy")) {
        v = option_value(argc, argv, a, "--policy");
        if (v == NULL || ra->n_policy_names == MAX_POLICY_ARGS)
            return sf_run_usage_error("%s--policy needs a name", NULL);
        ra->policy_names[ra->n_policy_names++] = v;
    } else {
        *matched = false;
    }
    return 0;
}

/* The options that do not go together; 0, or an exit code. */
static int check_combinations(const run_args *ra)
{
    if (ra->resume != NULL &&
        (ra->scenario || ra->n_trials > 0 || ra->seed_given || ra->output ||
         ra->n_policy_names || ra->n_paths || ra->no_trials)) {
        fprintf(stderr, "shortfall run: --resume takes the scenario, trials, "
                        "seed, mixes and output from the file; only "
                        "--threads and --progress, and --summary, may be "
                        "given with it\n");
        return SF_EXIT_USAGE;
    }
    if (ra->trials_given && ra->shard_given)
        return sf_run_usage_error("%s--trials and --shard are alternatives",
                                  NULL);
    if (ra->shard_given && ra->target_rse > 0)
        return sf_run_usage_error(
            "%s--target-rse decides when to stop, so it cannot "
            "be combined with --shard",
            NULL);
    if (ra->trials_given && ra->target_rse > 0)
        return sf_run_usage_error(
            "%s--target-rse decides when to stop, so it cannot "
            "be combined with --trials (a shard)",
            NULL);
    if (ra->target_unit && ra->target_rse <= 0)
        return sf_run_usage_error("%s--target-unit goes with --target-rse",
                                  NULL);
    if (ra->resume != NULL && (ra->trials_given || ra->shard_given ||
                               ra->variant || ra->target_rse > 0))
        return sf_run_usage_error("%s--resume takes the trials from the file",
                                  NULL);
    if (ra->scenario == NULL && ra->resume == NULL) {
        run_usage(stderr);
        return SF_EXIT_USAGE;
    }
    return 0;
}

/* 0 to go on, -1 after --help, or an exit code. */
int sf_run_parse_args(int argc, char **argv, run_args *ra)
{
    memset(ra, 0, sizeof *ra);
    ra->n_trials = -1;
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        bool matched;
        int status;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            run_usage(stdout);
            return -1;
        }
        if ((status = parse_trial_option(argc, argv, &a, ra, &matched)) != 0 ||
            (!matched &&
             (status = parse_output_option(argc, argv, &a, ra, &matched)) != 0))
            return status;
        if (matched)
            continue;
        if (arg[0] == '-' && arg[1] != '\0') {
            fprintf(stderr, "shortfall run: unknown option '%s'\n", arg);
            run_usage(stderr);
            return SF_EXIT_USAGE;
        } else if (ra->scenario == NULL) {
            ra->scenario = arg;
        } else {
            fprintf(stderr,
                    "shortfall run: one scenario file at a time (got '%s' "
                    "and '%s')\n",
                    ra->scenario, arg);
            return SF_EXIT_USAGE;
        }
    }
    return check_combinations(ra);
}

/* The trials to run of a scenario or batch variant (`what`, for
 * messages) that has `total`: all of them, --trials A:B, or --shard I/S.
 * Returns 0, or prints why not and returns SF_EXIT_USAGE. */
int sf_run_trial_range(const run_args *ra, const char *what, uint64_t total,
                       uint64_t *first, uint64_t *count)
{
    *first = 0;
    *count = total;
    if (ra->trials_given) {
        if (ra->trial_b > total) {
            fprintf(stderr, "shortfall run: --trials %" PRIu64 ":%" PRIu64
                            " goes past the %" PRIu64 " trials of %s (-n "
                            "sets a batch's trials)\n",
                    ra->trial_a, ra->trial_b, total, what);
            return SF_EXIT_USAGE;
        }
        *first = ra->trial_a;
        *count = ra->trial_b - ra->trial_a;
    } else if (ra->shard_given) {
        if (total < ra->shard_n) {
            fprintf(stderr, "shortfall run: --shard %" PRIu64 "/%" PRIu64
                            ": %s has only %" PRIu64 " trials, fewer than "
                            "the shards\n",
                    ra->shard_i, ra->shard_n, what, total);
            return SF_EXIT_USAGE;
        }
        /* total <= 10^12 and shard_n <= 10^6: no overflow. */
        *first = total * ra->shard_i / ra->shard_n;
        *count = total * (ra->shard_i + 1) / ra->shard_n - *first;
    }
    return 0;
}
