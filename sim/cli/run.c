/*
 * run.c — `shortfall run`: options, the run, the results file, progress on
 * a terminal, and a clean stop on SIGINT/SIGTERM (the completed trials are
 * written, marked incomplete, and `--resume` finishes them to the result
 * an uninterrupted run would have had).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <omp.h>

#include "cli.h"
#include "h5util.h"
#include "shortfall/engine.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"
#include "batch.h"
#include "mpi_run.h"
#include "version.h"

#define MAX_POLICY_ARGS 256
/* --target-rse is checked after every this many blocks (8192 trials),
 * whatever the thread count, so the stopping point is reproducible. */
#define PRECISION_CHECK_BLOCKS 8

typedef enum { PROGRESS_AUTO, PROGRESS_ALWAYS, PROGRESS_NEVER } progress_mode;

typedef struct {
    const char *scenario;
    const char *resume;
    const char *output;
    long long n_trials; /* -1: the scenario's */
    bool seed_given;
    uint64_t seed;
    int threads;
    bool force;
    bool no_trials;
    uint64_t n_paths;
    uint64_t stats_memory; /* bytes; 0: SF_STATS_MEMORY */
    bool trials_given; /* --trials A:B */
    uint64_t trial_a, trial_b;
    bool shard_given; /* --shard I/S */
    uint64_t shard_i, shard_n;
    const char *variant; /* --variant I or NAME (batches) */
    double target_rse; /* 0: none */
    const char *target_unit;
    progress_mode progress;
    bool summary_given; /* --summary csv|json */
    sf_summary_format summary;
    size_t n_policy_names;
    const char *policy_names[MAX_POLICY_ARGS];
} run_args;

static volatile sig_atomic_t interrupted;
/* What a first signal does now: STOP_TRIALS while trials run (and for
 * the whole of a batch), FINISH_FILE once a run's trials are all done. */
enum { STOP_TRIALS = 1, FINISH_FILE = 2 };
static volatile sig_atomic_t on_first_signal = STOP_TRIALS;
/* A progress line is on the terminal, not yet ended by a newline. */
static volatile sig_atomic_t progress_open;

static void say(const char *s)
{
    ssize_t n = write(STDERR_FILENO, s, strlen(s));
    (void)n;
}

/* The first SIGINT or SIGTERM asks for a clean stop, and says so; from
 * then on one of them, or SIGHUP, ends the program at once, removing its
 * temporary files (sigaction, write and strlen are async-signal-safe). */
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    sf_h5_temp_remove_on_signals();
    if (progress_open) {
        progress_open = 0;
        say("\n");
    }
    say(on_first_signal == STOP_TRIALS
            ? "shortfall run: stopping after the trials in progress…\n"
            : "shortfall run: the trials are done; finishing the results "
              "file…\n");
}

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
            "  --paths N             also store the monthly shortfall path of the\n"
            "                        first N trials\n"
            "  --no-trials           leave the per-trial arrays out of the file\n"
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

static int usage_error(const char *fmt, const char *value)
{
    fprintf(stderr, "shortfall run: ");
    fprintf(stderr, fmt, value ? value : "");
    fputs("\n", stderr);
    return SF_EXIT_USAGE;
}

/* 0 to go on, -1 after --help, or an exit code. */
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
        } else if (is_option(arg, "-n")) {
            v = option_value(argc, argv, &a, "-n");
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
            v = option_value(argc, argv, &a, "--seed");
            if (!parse_u64(v, &x))
                return usage_error("--seed needs a whole number from 0 to "
                                   "2^64-1, got '%s'",
                                   v);
            ra->seed = x;
            ra->seed_given = true;
        } else if (is_option(arg, "--threads")) {
            v = option_value(argc, argv, &a, "--threads");
            if (!parse_u64(v, &x) || x < 1 || x > 1024)
                return usage_error("--threads needs a number from 1 to 1024, "
                                   "got '%s'",
                                   v);
            ra->threads = (int)x;
        } else if (is_option(arg, "--trials")) {
            v = option_value(argc, argv, &a, "--trials");
            const char *colon = v ? strchr(v, ':') : NULL;
            char lo[32];
            if (colon == NULL || (size_t)(colon - v) >= sizeof lo)
                return usage_error("--trials needs A:B (trials A .. B-1), got "
                                   "'%s'",
                                   v);
            memcpy(lo, v, (size_t)(colon - v));
            lo[colon - v] = '\0';
            if (!parse_u64(lo, &ra->trial_a) ||
                !parse_u64(colon + 1, &ra->trial_b) ||
                ra->trial_b <= ra->trial_a)
                return usage_error("--trials needs A:B with A < B, got '%s'",
                                   v);
            ra->trials_given = true;
        } else if (is_option(arg, "--shard")) {
            v = option_value(argc, argv, &a, "--shard");
            const char *slash = v ? strchr(v, '/') : NULL;
            char lo[32];
            if (slash == NULL || (size_t)(slash - v) >= sizeof lo)
                return usage_error("--shard needs I/S (shard I of S), got '%s'",
                                   v);
            memcpy(lo, v, (size_t)(slash - v));
            lo[slash - v] = '\0';
            if (!parse_u64(lo, &ra->shard_i) ||
                !parse_u64(slash + 1, &ra->shard_n) || ra->shard_n < 1 ||
                ra->shard_n > 1000000 || ra->shard_i >= ra->shard_n)
                return usage_error("--shard needs I/S with 0 <= I < S <= "
                                   "10^6, got '%s'",
                                   v);
            ra->shard_given = true;
        } else if (is_option(arg, "--variant")) {
            v = option_value(argc, argv, &a, "--variant");
            if (v == NULL || *v == '\0')
                return usage_error("%s--variant needs an index or a group name",
                                   NULL);
            ra->variant = v;
        } else if (is_option(arg, "--target-rse")) {
            v = option_value(argc, argv, &a, "--target-rse");
            char *end = NULL;
            double rse = v ? strtod(v, &end) : 0.0;
            if (v == NULL || *end != '\0' || !(rse > 0.0 && rse < 1.0))
                return usage_error("--target-rse needs a number between 0 and "
                                   "1 (e.g. 0.01), got '%s'",
                                   v);
            ra->target_rse = rse;
        } else if (is_option(arg, "--target-unit")) {
            v = option_value(argc, argv, &a, "--target-unit");
            if (v == NULL || *v == '\0')
                return usage_error("%s--target-unit needs a region or node name",
                                   NULL);
            ra->target_unit = v;
        } else if (is_option(arg, "--paths")) {
            v = option_value(argc, argv, &a, "--paths");
            if (!parse_u64(v, &x) || x > SF_MAX_PATHS)
                return usage_error("--paths needs a number of trials from 0 "
                                   "to 10^6, got '%s'",
                                   v);
            ra->n_paths = x;
        } else if (is_option(arg, "--stats-memory")) {
            v = option_value(argc, argv, &a, "--stats-memory");
            if (!parse_u64(v, &x) || x < 1 || x > (UINT64_C(1) << 30))
                return usage_error("--stats-memory needs a number of MB from 1 "
                                   "to 2^30, got '%s'",
                                   v);
            ra->stats_memory = x << 20;
        } else if (is_option(arg, "--progress")) {
            v = option_value(argc, argv, &a, "--progress");
            if (v && strcmp(v, "auto") == 0)
                ra->progress = PROGRESS_AUTO;
            else if (v && strcmp(v, "always") == 0)
                ra->progress = PROGRESS_ALWAYS;
            else if (v && strcmp(v, "never") == 0)
                ra->progress = PROGRESS_NEVER;
            else
                return usage_error("--progress is auto, always or never, got "
                                   "'%s'",
                                   v);
        } else if (is_option(arg, "--summary")) {
            v = option_value(argc, argv, &a, "--summary");
            int fmt = sf_summary_format_parse(v);
            if (fmt != SF_SUMMARY_CSV && fmt != SF_SUMMARY_JSON)
                return usage_error("--summary is csv or json, got '%s'", v);
            ra->summary = (sf_summary_format)fmt;
            ra->summary_given = true;
        } else if (is_option(arg, "-o") || is_option(arg, "--output")) {
            v = option_value(argc, argv, &a, arg[1] == 'o' ? "-o" : "--output");
            if (v == NULL || *v == '\0')
                return usage_error("%s-o needs a file name", NULL);
            ra->output = v;
        } else if (is_option(arg, "--resume")) {
            v = option_value(argc, argv, &a, "--resume");
            if (v == NULL || *v == '\0')
                return usage_error("%s--resume needs a results file", NULL);
            ra->resume = v;
        } else if (strcmp(arg, "--force") == 0) {
            ra->force = true;
        } else if (strcmp(arg, "--no-trials") == 0) {
            ra->no_trials = true;
        } else if (is_option(arg, "--policy")) {
            v = option_value(argc, argv, &a, "--policy");
            if (v == NULL || ra->n_policy_names == MAX_POLICY_ARGS)
                return usage_error("%s--policy needs a name", NULL);
            ra->policy_names[ra->n_policy_names++] = v;
        } else if (arg[0] == '-' && arg[1] != '\0') {
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
        return usage_error("%s--trials and --shard are alternatives", NULL);
    if (ra->shard_given && ra->target_rse > 0)
        return usage_error("%s--target-rse decides when to stop, so it cannot "
                           "be combined with --shard",
                           NULL);
    if (ra->trials_given && ra->target_rse > 0)
        return usage_error("%s--target-rse decides when to stop, so it cannot "
                           "be combined with --trials (a shard)",
                           NULL);
    if (ra->target_unit && ra->target_rse <= 0)
        return usage_error("%s--target-unit goes with --target-rse", NULL);
    if (ra->resume != NULL && (ra->trials_given || ra->shard_given ||
                               ra->variant || ra->target_rse > 0))
        return usage_error("%s--resume takes the trials from the file", NULL);
    if (ra->scenario == NULL && ra->resume == NULL) {
        run_usage(stderr);
        return SF_EXIT_USAGE;
    }
    return 0;
}

/* Blocks per wave of an MPI run (32 blocks: 32,768 trials between
 * collective writes). */
#define MPI_WAVE_BLOCKS 32

/* --- progress ------------------------------------------------------------ */

typedef struct {
    bool on;
    double start, last;
    uint64_t start_done;
} progress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One line on stderr, redrawn at most five times a second. */
static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress *p = ctx;
    double t = now();
    /* After a stop was asked for, its message is the last line. */
    if (!p->on || interrupted || (t - p->last < 0.2 && done < total))
        return;
    p->last = t;
    double rate = t > p->start ? (double)(done - p->start_done) /
                                     (t - p->start)
                               : 0.0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0.0;
    int width = 24, fill = (int)((double)width * (double)done /
                                 (double)(total ? total : 1));
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    if (rate > 0)
        fprintf(stderr,
                "\r[%s] %" PRIu64 "/%" PRIu64 " trials  %.0f "
                "trials/s  ETA %.0f s   ",
                bar, done, total, rate, eta);
    else
        fprintf(stderr, "\r[%s] %" PRIu64 "/%" PRIu64 " trials   ", bar, done,
                total);
    if (done >= total)
        fputs("\n", stderr);
    fflush(stderr);
    progress_open = done < total;
}

/* --- run to precision ---------------------------------------------------- */

typedef struct {
    double target;
    size_t unit;
    bool reached;
} precision;

/* The relative standard error of the baseline's mean cumulative shortfall
 * of one unit over the trials so far, in trial order. */
static bool precise_enough(void *ctx, const sf_results *res)
{
    precision *pc = ctx;
    const double *x = res->pol[0].metric[SF_M_SHORTFALL];
    size_t U = res->n_units, n = res->n_done;
    double sum = 0.0, ss = 0.0;
    if (n < 2)
        return false;
    for (size_t i = 0; i < n; i++)
        sum += x[i * U + pc->unit];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = x[i * U + pc->unit] - mean;
        ss += d * d;
    }
    double se = sqrt(ss / (double)(n - 1) / (double)n);
    pc->reached = mean > 0.0 && se / mean <= pc->target;
    return pc->reached;
}

/* The unit index of a region or demand node name; the world if NULL. */
static int unit_by_name(const sf_model *m, const char *name, size_t *unit)
{
    size_t U = m->n_demand + m->n_regions + 1;
    if (name == NULL || strcmp(name, "world") == 0) {
        *unit = U - 1;
        return 0;
    }
    for (size_t r = 0; r < m->n_regions; r++)
        if (strcmp(m->sc->countries[m->region_country[r]], name) == 0) {
            *unit = m->n_demand + r;
            return 0;
        }
    for (size_t d = 0; d < m->n_demand; d++)
        if (strcmp(m->sc->nodes[m->demand_nodes[d]].id, name) == 0) {
            *unit = d;
            return 0;
        }
    return -1;
}

/* --- the run ------------------------------------------------------------- */

static char *join_command_line(int argc, char **argv)
{
    size_t len = 16;
    for (int a = 0; a < argc; a++)
        len += strlen(argv[a]) + 3;
    char *s = malloc(len), *p = s;
    if (s == NULL)
        return NULL;
    p += sprintf(p, "shortfall");
    for (int a = 0; a < argc; a++) {
        bool quote = strpbrk(argv[a], " \t'\"") != NULL;
        p += sprintf(p, quote ? " '%s'" : " %s", argv[a]);
    }
    return s;
}

/* out/<scenario name>.h5, creating out/. */
static char *default_output(const sf_scenario *sc)
{
    size_t len = strlen(sc->name) + 16;
    char *s = malloc(len);
    if (s == NULL)
        return NULL;
    mkdir("out", 0777);
    snprintf(s, len, "out/%s.h5", sc->name);
    for (char *c = s + 4; *c; c++)
        if (*c == '/')
            *c = '_';
    return s;
}

static int resolve_policies(const sf_scenario *sc, const run_args *ra,
                            int *policies, size_t *n_pol)
{
    *n_pol = 0;
    policies[(*n_pol)++] = 0;
    for (size_t i = 0; i < ra->n_policy_names; i++) {
        int p = sf_scenario_policy_index(sc, ra->policy_names[i]);
        if (p < 0) {
            const char *near =
                sf_scenario_policy_nearest(sc, ra->policy_names[i]);
            fprintf(stderr, "shortfall run: %s has no policy mix '%s'; it has:",
                    sc->file, ra->policy_names[i]);
            for (size_t q = 0; q < sc->n_policies; q++)
                fprintf(stderr, " %s", sc->policies[q].name);
            if (near != NULL)
                fprintf(stderr, "; did you mean '%s'?", near);
            fputs("\n", stderr);
            return SF_EXIT_USAGE;
        }
        bool dup = false;
        for (size_t q = 0; q < *n_pol; q++)
            dup = dup || policies[q] == p;
        if (!dup)
            policies[(*n_pol)++] = p;
    }
    if (ra->n_policy_names == 0)
        for (size_t p = 1; p < sc->n_policies; p++)
            policies[(*n_pol)++] = (int)p;
    return 0;
}

static void install_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM};
    sf_h5_handle_signals(sigs, sizeof sigs / sizeof sigs[0], on_signal);
    /* Past a file size limit, write() should fail with EFBIG (an error we
     * report), not kill the process. */
    signal(SIGXFSZ, SIG_IGN);
}

/* --- the summary file (--summary) --------------------------------------- */

/* Where --summary writes for results file `results` (*out, NULL without
 * --summary); an existing file there is refused, before any trial runs,
 * unless the results file may be replaced too. */
static int summary_target(const run_args *ra, const char *results, bool replace,
                          char **out, sf_error *err)
{
    struct stat st;
    *out = NULL;
    if (!ra->summary_given)
        return 0;
    if ((*out = sf_summary_path(results, ra->summary)) == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "out of memory");
    if (!replace && stat(*out, &st) == 0)
        return sf_error_set(err, SF_ERR_IO,
                            "%s already exists; use --force to replace it, "
                            "or -o to write elsewhere",
                            *out);
    return 0;
}

/* Writes the summary of the results file just written (none if out is
 * NULL); prints why not and returns an exit code on failure. */
static int write_summary(const run_args *ra, const char *results,
                         const char *out)
{
    sf_error err = {0};
    int ret;
    if (out == NULL)
        return SF_EXIT_OK;
    if ((ret = sf_summary_file_write(results, out, ra->summary, &err)) != 0) {
        fprintf(stderr, "shortfall run: %s\n", err.msg);
        return ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
    }
    printf("Summary: %s\n", out);
    return SF_EXIT_OK;
}

/* --- batches -------------------------------------------------------------- */

/* The trials to run of a scenario or batch variant (`what`, for
 * messages) that has `total`: all of them, --trials A:B, or --shard I/S.
 * Returns 0, or prints why not and returns SF_EXIT_USAGE. */
static int trial_range(const run_args *ra, const char *what, uint64_t total,
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

/* One variant: load, run trials [first, first + count), summarise, add to
 * the file, print its table.  batch_trials is the variant's trials in the
 * whole batch when this is a part, else 0. */
static int run_variant(const run_args *ra, const sf_batch *b, const char *text,
                       const char *name, const char *group,
                       const double *values, uint64_t first, uint64_t count,
                       uint64_t batch_trials, sf_h5_out *out,
                       const char *cmdline, sf_error *err)
{
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_run_options opt = {0};
    int policies[MAX_POLICY_ARGS + 1], ret;
    size_t n_pol;

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    if ((ret = sf_scenario_load_string(&sc, text, strlen(text), name, err)) !=
            0 ||
        (ret = sf_model_init(&m, &sc, err)) != 0)
        goto out;
    if (resolve_policies(&sc, ra, policies, &n_pol) != 0) {
        ret = sf_error_set(err, SF_ERR_UNKNOWN_REF, "see above");
        goto out;
    }
    opt.seed = ra->seed_given ? ra->seed : (b->seed_given ? b->seed : sc.seed);
    opt.first_trial = first;
    opt.n_trials = count;
    opt.n_paths = ra->n_paths;
    opt.threads = ra->threads;
    if (ra->threads > 0)
        omp_set_num_threads(ra->threads);
    opt.n_policies = n_pol;
    opt.policies = policies;
    opt.stop = &interrupted;
    if ((ret = sf_results_init(&res, &m, &opt, err)) != 0 ||
        (ret = sf_engine_run(&m, &opt, &res, err)) != 0 ||
        (ret = sf_results_summarise(&res, err)) != 0)
        goto out;
    if (res.n_done < res.n_trials) {
        ret = sf_error_set(err, SF_ERR_IO, "interrupted; a batch is written "
                                           "only when complete");
        goto out;
    }
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, 1, !ra->no_trials, 0.0, NULL};
    if ((ret = sf_h5_batch_add(out, group, &res, &meta, values, b->n_sweeps,
                               batch_trials, err)) != 0)
        goto out;
    printf("\n== variant %s", group);
    for (size_t k = 0; k < b->n_sweeps; k++)
        printf("%s %s = %g", k ? "," : ":", b->sweeps[k].path, values[k]);
    if (batch_trials > 0)
        printf(" (trials %" PRIu64 "..%" PRIu64 " of %" PRIu64 ")", first,
               first + count - 1, batch_trials);
    printf("\n");
    sf_print_summary(stdout, &res);
out:
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    return ret;
}

/* The variant --variant names: an index, or else a group name.  Returns
 * 0, or prints why not and returns SF_EXIT_USAGE. */
static int find_variant(const run_args *ra, const sf_batch_variants *vs,
                        size_t *v)
{
    uint64_t x;
    if (parse_u64(ra->variant, &x)) {
        if (x < vs->n) {
            *v = (size_t)x;
            return 0;
        }
        fprintf(stderr, "shortfall run: --variant %s: %s has %zu variants "
                        "(0 .. %zu; `shortfall check %s` lists them)\n",
                ra->variant, ra->scenario, vs->n, vs->n - 1, ra->scenario);
        return SF_EXIT_USAGE;
    }
    for (size_t i = 0; i < vs->n; i++)
        if (strcmp(vs->groups[i], ra->variant) == 0) {
            *v = i;
            return 0;
        }
    fprintf(stderr, "shortfall run: %s has no variant '%s' (give an index "
                    "0 .. %zu or a group name; `shortfall check %s` lists "
                    "them)\n",
            ra->scenario, ra->variant, vs->n - 1, ra->scenario);
    return SF_EXIT_USAGE;
}

/* The options that shape a part's results beyond the batch and scenario
 * files, written out in one canonical form: parts merge only if theirs
 * are equal, since each variant of one run used the same options. */
static char *part_run_options(const run_args *ra)
{
    size_t len = 128;
    for (size_t i = 0; i < ra->n_policy_names; i++)
        len += strlen(ra->policy_names[i]) + 12;
    char *s = malloc(len), *p = s;
    if (s == NULL)
        return NULL;
    *p = '\0';
    if (ra->seed_given)
        p += sprintf(p, " --seed %" PRIu64, ra->seed);
    if (ra->n_trials > 0)
        p += sprintf(p, " -n %lld", ra->n_trials);
    if (ra->n_paths > 0)
        p += sprintf(p, " --paths %" PRIu64, ra->n_paths);
    if (ra->no_trials)
        p += sprintf(p, " --no-trials");
    /* In the order given (it is the order of the groups), each name once. */
    for (size_t i = 0; i < ra->n_policy_names; i++) {
        bool dup = false;
        for (size_t j = 0; j < i; j++)
            dup = dup || strcmp(ra->policy_names[i], ra->policy_names[j]) == 0;
        if (!dup)
            p += sprintf(p, " --policy %s", ra->policy_names[i]);
    }
    memmove(s, s[0] == ' ' ? s + 1 : s, strlen(s) + 1);
    return s;
}

static int run_batch(const run_args *ra, const char *btext, size_t blen,
                     const char *cmdline)
{
    sf_batch b;
    sf_batch_variants vs;
    sf_error err = {0};
    sf_h5_out out;
    int ret, status = SF_EXIT_OK;
    char *default_path = NULL, *run_options = NULL, *summary_path = NULL;
    uint64_t *first = NULL, *count = NULL, *total = NULL;

    memset(&out, 0, sizeof out);
    memset(&vs, 0, sizeof vs);
    out.file = -1;
    if (ra->resume || ra->target_rse > 0) {
        fprintf(stderr, "shortfall run: --resume and --target-rse are for "
                        "single scenarios, not batches\n");
        return SF_EXIT_USAGE;
    }
    if ((ret = sf_batch_load(&b, btext, blen, ra->scenario, &err)) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return sf_exit_code(ret);
    }
    if ((ret = sf_batch_expand(&b, ra->scenario, &vs, &err)) != 0)
        goto fail;
    size_t nv = vs.n, v_begin = 0, v_end = nv;
    bool part = ra->variant != NULL || ra->trials_given || ra->shard_given;
    if (ra->variant != NULL) {
        if ((status = find_variant(ra, &vs, &v_begin)) != 0)
            goto done;
        v_end = v_begin + 1;
    }
    if (part && ra->output == NULL) {
        fprintf(stderr, "shortfall run: a batch part (--variant, --trials or "
                        "--shard) needs -o FILE\n");
        status = SF_EXIT_USAGE;
        goto done;
    }
    first = calloc(nv, sizeof *first);
    count = calloc(nv, sizeof *count);
    total = calloc(nv, sizeof *total);
    if (!first || !count || !total ||
        (part && (run_options = part_run_options(ra)) == NULL)) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* Every variant to run is loaded once before any trial: an invalid
     * swept value, or a trial range past a variant's trials, stops the
     * batch before any work. */
    for (size_t v = v_begin; v < v_end; v++) {
        sf_scenario sc;
        char label[1024];
        memset(&sc, 0, sizeof sc);
        snprintf(label, sizeof label, "%s (variant %s)", vs.scenarios[v],
                 vs.groups[v]);
        ret = sf_scenario_load_string(&sc, vs.texts[v], strlen(vs.texts[v]),
                                      label, &err);
        total[v] = ra->n_trials > 0 ? (uint64_t)ra->n_trials
                   : b.trials > 0   ? (uint64_t)b.trials
                                    : (uint64_t)sc.trials;
        sf_scenario_free(&sc);
        if (ret != 0)
            goto fail;
        snprintf(label, sizeof label, "variant %s", vs.groups[v]);
        if ((status = trial_range(ra, label, total[v], &first[v],
                                  &count[v])) != 0)
            goto done;
    }
    const char *path = ra->output;
    if (path == NULL) {
        size_t len = strlen(b.name) + 16;
        if ((default_path = malloc(len)) == NULL) {
            ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
            goto fail;
        }
        mkdir("out", 0777);
        snprintf(default_path, len, "out/%s.h5", b.name);
        path = default_path;
    }
    const char **paths = calloc(b.n_sweeps + 1, sizeof *paths);
    for (size_t k = 0; paths && k < b.n_sweeps; k++)
        paths[k] = b.sweeps[k].path;
    sf_h5_batch hb = {b.name, ra->scenario, btext, cmdline, SF_GIT_COMMIT,
                      nv, (const char *const *)vs.groups, vs.scenarios,
                      b.n_sweeps, paths, vs.values, part, run_options,
                      vs.sources};
    ret = paths == NULL
              ? sf_error_set(&err, SF_ERR_NOMEM, "out of memory")
              : summary_target(ra, path, ra->force, &summary_path, &err);
    if (ret == 0 && (ret = sf_h5_out_open(&out, path, ra->force, &err)) == 0)
        ret = sf_h5_batch_begin(&out, &hb, &err);
    free(paths);
    if (ret != 0)
        goto fail;
    install_handlers();
    for (size_t v = v_begin; v < v_end; v++) {
        char label[1024];
        snprintf(label, sizeof label, "%s (variant %s)", vs.scenarios[v],
                 vs.groups[v]);
        if ((ret = run_variant(ra, &b, vs.texts[v], label, vs.groups[v],
                               &vs.values[v * b.n_sweeps], first[v], count[v],
                               part ? total[v] : 0, &out, cmdline, &err)) != 0)
            goto fail;
    }
    if ((ret = sf_h5_batch_end(&out, &err)) != 0)
        goto fail;
    if (part)
        printf("\nResults: %s (a part of batch %s: %zu of its %zu variants; "
               "`shortfall merge` joins the parts)\n",
               path, b.name, v_end - v_begin, nv);
    else
        printf("\nResults: %s (%zu variants)\n", path, nv);
    status = write_summary(ra, path, summary_path);
    goto done;
fail:
    fprintf(stderr, "%s%s\n",
            ret == SF_ERR_IO || ret == SF_ERR_HDF5 || ret == SF_ERR_NOMEM
                ? "shortfall run: "
                : "",
            err.msg);
    status = interrupted ? SF_EXIT_INTERRUPTED
             : ret == SF_ERR_NOMEM ? SF_EXIT_IO
                                   : sf_exit_code(ret);
done:
    sf_h5_out_close(&out);
    sf_batch_variants_free(&vs);
    free(first);
    free(count);
    free(total);
    free(run_options);
    free(default_path);
    free(summary_path);
    sf_batch_free(&b);
    return status;
}

int sf_cmd_run(int argc, char **argv)
{
    run_args ra;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_h5_out out;
    sf_h5_info info;
    sf_error err = {0};
    int status, ret;
    int policies[MAX_POLICY_ARGS + 1];
    size_t n_pol = 0;
    char *cmdline = NULL, *default_path = NULL, *summary_path = NULL;
    sf_run_options opt = {0};
    progress prog = {0};
    precision prec = {0};

    memset(&sc, 0, sizeof sc);
    memset(&m, 0, sizeof m);
    memset(&res, 0, sizeof res);
    memset(&out, 0, sizeof out);
    memset(&info, 0, sizeof info);
    status = parse_args(argc, argv, &ra);
    if (status != 0)
        return status < 0 ? SF_EXIT_OK : status;
    gsl_set_error_handler_off();
    cmdline = join_command_line(argc, argv);
    if (ra.scenario != NULL) {
        size_t blen = 0;
        char *btext = sf_batch_read_text(ra.scenario, &blen, &err);
        if (btext != NULL && sf_batch_detect(btext, blen)) {
            status = run_batch(&ra, btext, blen, cmdline ? cmdline : "");
            free(btext);
            goto out;
        }
        free(btext);
        err.code = 0;
        /* A batch part records its variant's whole trial count, so -n may
         * go with --trials there; a single shard's -n would mean nothing. */
        if (ra.trials_given && ra.n_trials > 0) {
            status = usage_error("%s-n and --trials are alternatives: "
                                 "--trials A:B runs B - A trials",
                                 NULL);
            goto out;
        }
        if (ra.variant != NULL) {
            status = usage_error("--variant is for batch files; %s is a "
                                 "scenario",
                                 ra.scenario);
            goto out;
        }
    }

    if (ra.resume != NULL) {
        if ((ret = sf_h5_read_info(ra.resume, &info, &err)) != 0)
            goto fail;
        if (info.complete) {
            printf("%s is complete (%" PRIu64 " trials); nothing to resume\n",
                   ra.resume, info.n_done);
            status = SF_EXIT_OK;
            goto out;
        }
        if ((ret = sf_scenario_load_string(&sc, info.scenario_text,
                                           strlen(info.scenario_text),
                                           info.scenario_file, &err)) != 0 ||
            (ret = sf_model_init(&m, &sc, &err)) != 0 ||
            (ret = info.n_policies > MAX_POLICY_ARGS + 1
                       ? sf_error_set(&err, SF_ERR_FORMAT,
                                      "too many policy groups")
                       : sf_h5_policy_indices(&sc, &info, ra.resume,
                                              policies, &err)) != 0)
            goto fail;
        n_pol = info.n_policies;
        opt.seed = info.seed;
        opt.n_trials = info.n_trials;
        opt.first_trial = info.first_trial;
        opt.n_paths = info.n_paths;
        ra.target_rse = info.target_rse;
        ra.target_unit = info.target_unit;
    } else {
        if ((ret = sf_scenario_load(&sc, ra.scenario, &err)) != 0 ||
            (ret = sf_model_init(&m, &sc, &err)) != 0)
            goto fail;
        if ((status = resolve_policies(&sc, &ra, policies, &n_pol)) != 0)
            goto out;
        opt.seed = ra.seed_given ? ra.seed : sc.seed;
        opt.n_trials = ra.n_trials > 0 ? (uint64_t)ra.n_trials
                                       : (uint64_t)sc.trials;
        if (ra.trials_given) {
            opt.first_trial = ra.trial_a;
            opt.n_trials = ra.trial_b - ra.trial_a;
        } else if (ra.shard_given &&
                   (status = trial_range(&ra, sc.name, opt.n_trials,
                                         &opt.first_trial, &opt.n_trials)) !=
                       0) {
            goto out;
        }
        opt.n_paths = ra.n_paths;
    }
    if (ra.target_rse > 0) {
        if (unit_by_name(&m, ra.target_unit, &prec.unit) != 0) {
            status = usage_error("--target-unit: no region or demand node "
                                 "'%s' in the scenario",
                                 ra.target_unit);
            goto out;
        }
        prec.target = ra.target_rse;
        opt.enough = precise_enough;
        opt.enough_ctx = &prec;
        opt.wave_blocks = PRECISION_CHECK_BLOCKS;
    }
    opt.threads = ra.threads;
    opt.stats_memory = ra.stats_memory;
    /* --threads also bounds the threads that compress the file. */
    if (ra.threads > 0)
        omp_set_num_threads(ra.threads);
    opt.n_policies = n_pol;
    opt.policies = policies;
    opt.stop = &interrupted;
    opt.progress = show_progress;
    opt.progress_ctx = &prog;

    bool root = sf_mpi_rank() == 0;
    if (sf_mpi_size() > 1 && (ra.resume || ra.target_rse > 0)) {
        if (root)
            fprintf(stderr, "shortfall run: --resume and --target-rse are not "
                            "supported across MPI ranks; run them with the "
                            "serial build\n");
        status = SF_EXIT_USAGE;
        goto out;
    }
    const char *path = ra.resume ? ra.resume : ra.output;
    if (path == NULL && (path = default_path = default_output(&sc)) == NULL) {
        ret = sf_error_set(&err, SF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    sf_h5_meta meta = {cmdline, SF_GIT_COMMIT, sf_mpi_size(), !ra.no_trials,
                       ra.target_rse, ra.target_unit};
    if (ra.resume != NULL)
        meta.write_trials = info.has_trials;
    /* A plain run streams its per-trial rows to the file as it goes, so
     * its memory does not grow with the trials; so does every MPI rank,
     * with collective writes.  A resumed run and a run to a precision
     * target (which looks at every row) hold every row instead. */
    bool mpi = sf_mpi_size() > 1;
    bool streaming = ra.resume == NULL && ra.target_rse <= 0;
    if (streaming) {
        opt.rows_done = sf_h5_out_stream_rows;
        opt.rows_ctx = &out;
    }
    /* Each wave of an MPI run ends in collective writes, whose fixed cost
     * (chunk allocation agreed between ranks) wants few, large waves. */
    if (mpi && opt.wave_blocks == 0)
        opt.wave_blocks = MPI_WAVE_BLOCKS;
    bool replace = ra.force || ra.resume != NULL;
    ret = root ? summary_target(&ra, path, replace, &summary_path, &err) : 0;
    if (root && ret == 0)
        ret = sf_h5_out_open(&out, path, replace, &err);
#ifdef SF_MPI
    if (mpi && (ret = sf_mpi_share_output(&out, path, ret, &err)) != 0 &&
        !root) {
        status = sf_exit_code(ret); /* rank 0 says why */
        goto out;
    }
#endif
    if (ret != 0 || (ret = sf_results_init(&res, &m, &opt, &err)) != 0)
        goto fail;
#ifdef SF_MPI
    if (mpi && (ret = sf_h5_out_stream_begin_mpi(&out, &res, &meta, &err)) != 0)
        goto fail;
#endif
    if (!mpi && streaming &&
        (ret = sf_h5_out_stream_begin(&out, &res, &meta, &err)) != 0)
        goto fail;
    if (ra.resume != NULL) {
        if ((ret = sf_h5_read_trials(ra.resume, &info, &res, &err)) != 0)
            goto fail;
        res.wall_seconds = info.wall_seconds;
        res.solver = info.solver;
    }

    prog.on = root && (ra.progress == PROGRESS_ALWAYS ||
                       (ra.progress == PROGRESS_AUTO && isatty(STDERR_FILENO)));
    prog.start = prog.last = now();
    prog.start_done = res.n_done;
#ifdef SF_MPI
    if (sf_mpi_size() > 1) {
        /* Ranks stop together or not at all: no clean interrupt. */
        opt.stop = NULL;
        signal(SIGXFSZ, SIG_IGN);
        ret = sf_mpi_run(&m, &opt, &res, &out, &err);
        if (ret == 0)
            ret = sf_h5_out_stream_end_mpi(&out, &res, root, &err);
        if (ret != 0)
            goto fail;
        if (!root) {
            status = SF_EXIT_OK;
            goto out;
        }
        res.wall_seconds = now() - prog.start;
    } else
#endif
    {
        on_first_signal = STOP_TRIALS;
        install_handlers();
        /* The bar at once, before the first trials are done. */
        prog.last -= 1.0;
        show_progress(&prog, res.n_done, res.n_trials);
        ret = sf_engine_run(&m, &opt, &res, &err);
        on_first_signal = FINISH_FILE;
        if (ret != 0)
            goto fail;
    }
    if ((ret = streaming ? sf_results_summarise_columns(
                               &res, sf_h5_out_stream_column, &out, &err)
                         : sf_results_summarise(&res, &err)) != 0)
        goto fail;
    if (progress_open) {
        progress_open = 0;
        fputs("\n", stderr);
    }
    if (prec.reached) {
        /* The experiment is the trials run until the target was met. */
        fprintf(stderr, "shortfall run: target relative standard error %g "
                        "reached after %" PRIu64 " trials\n",
                prec.target, res.n_done);
        res.n_trials = res.n_done;
    } else if (ra.target_rse > 0 && res.n_done == res.n_trials) {
        fprintf(stderr, "shortfall run: target relative standard error %g "
                        "not reached within %" PRIu64 " trials (-n)\n",
                ra.target_rse, res.n_trials);
    }

    double t_write = now();
    if ((ret = sf_h5_out_write(&out, &res, &meta, &err)) != 0)
        goto fail;
    t_write = now() - t_write;
    sf_print_summary(stdout, &res);
    /* Writing time includes the rows streamed during the run. */
    printf("\nResults: %s (written in %.2f s)\n", path,
           t_write + out.stream_seconds);
    if (res.n_done < res.n_trials && !meta.write_trials) {
        fprintf(stderr,
                "shortfall run: interrupted after %" PRIu64 " of %" PRIu64
                " trials; %s holds their statistics, but no per-trial rows "
                "to resume from (--no-trials)\n",
                res.n_done, res.n_trials, path);
        status = SF_EXIT_INTERRUPTED;
    } else if (res.n_done < res.n_trials) {
        fprintf(stderr,
                "shortfall run: interrupted after %" PRIu64 " of %" PRIu64
                " trials; %s holds them; `shortfall run --resume %s` "
                "finishes the run\n",
                res.n_done, res.n_trials, path, path);
        status = SF_EXIT_INTERRUPTED;
    } else {
        status = SF_EXIT_OK;
    }
    /* The summary of what the file holds, also of an interrupted run. */
    if ((ret = write_summary(&ra, path, summary_path)) != SF_EXIT_OK &&
        status == SF_EXIT_OK)
        status = ret;
    goto out;
fail:
    fprintf(stderr, "%s%s\n",
            ret == SF_ERR_IO || ret == SF_ERR_HDF5 || ret == SF_ERR_FORMAT ||
                    ret == SF_ERR_NOMEM || ret == SF_ERR_LIMIT
                ? "shortfall run: "
                : "",
            err.msg);
    status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
out:
    sf_h5_out_close(&out);
    sf_h5_info_free(&info);
    sf_results_free(&res);
    sf_model_free(&m);
    sf_scenario_free(&sc);
    free(cmdline);
    free(default_path);
    free(summary_path);
    return status;
}
