/*
 * run.c — `shortfall run` of a scenario: set-up (fresh or resumed),
 * execution (serial or MPI) and report — the results file, progress on a
 * terminal, and a clean stop on SIGINT/SIGTERM (the completed trials are
 * written, marked incomplete, and `--resume` finishes them to the result
 * an uninterrupted run would have had).  The options are run_args.c, a
 * batch file's run run_batch.c (run_internal.h).
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

#include "cleanup.h"
#include "cli.h"
#include "h5util.h"
#include "shortfall/engine.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"
#include "batch.h"
#include "mpi_run.h"
#include "run_internal.h"
#include "version.h"

/* --target-rse is checked after every this many blocks (8192 trials),
 * whatever the thread count, so the stopping point is reproducible. */
#define PRECISION_CHECK_BLOCKS 8

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

/* What the first SIGINT or SIGTERM, which asks for a clean stop, says
 * (write and strlen are async-signal-safe); from then on one of them, or
 * SIGHUP, ends the program at once, removing its temporary files. */
static void on_signal(void)
{
    if (progress_open) {
        progress_open = 0;
        say("\n");
    }
    say(on_first_signal == STOP_TRIALS
            ? "shortfall run: stopping after the trials in progress…\n"
            : "shortfall run: the trials are done; finishing the results "
              "file…\n");
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
    if (!p->on || *sf_cleanup_stop_flag() || (t - p->last < 0.2 && done < total))
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

int sf_run_resolve_policies(const sf_scenario *sc, const run_args *ra,
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

/* A clean stop on SIGINT and SIGTERM; past a file size limit, write()
 * fails with EFBIG (an error we report) instead of killing the process. */
void sf_run_install_handlers(void)
{
    sf_cleanup_stop_on_signals(on_signal);
}

/* --- the summary file (--summary) --------------------------------------- */

/* Where --summary writes for results file `results` (*out, NULL without
 * --summary); an existing file there is refused, before any trial runs,
 * unless the results file may be replaced too. */
int sf_run_summary_target(const run_args *ra, const char *results, bool replace,
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
int sf_run_write_summary(const run_args *ra, const char *results,
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

/* One run of a scenario, from set-up to report.  A stage returns GO_ON,
 * GO_FAIL (an error in ret and err, printed by sf_cmd_run) or GO_OUT (the
 * exit code in status). */
typedef struct {
    run_args ra;
    sf_scenario sc;
    sf_model m;
    sf_results res;
    sf_h5_out out;
    sf_h5_info info;
    sf_error err;
    int status, ret;
    int policies[MAX_POLICY_ARGS + 1];
    size_t n_pol;
    char *cmdline, *default_path, *summary_path;
    sf_run_options opt;
    progress prog;
    precision prec;
    sf_h5_meta meta;
    const char *path;
    bool root, mpi, streaming;
} run_state;

enum { GO_ON, GO_FAIL, GO_OUT };

/* A batch file goes to sf_run_batch; a scenario's options are checked. */
static int batch_or_scenario(run_state *s)
{
    run_args *ra = &s->ra;
    size_t blen = 0;
    char *btext = sf_batch_read_text(ra->scenario, &blen, &s->err);

    if (btext != NULL && sf_batch_detect(btext, blen)) {
        s->status = sf_run_batch(ra, btext, blen, s->cmdline ? s->cmdline : "");
        free(btext);
        return GO_OUT;
    }
    free(btext);
    s->err.code = 0;
    /* A batch part records its variant's whole trial count, so -n may
     * go with --trials there; a single shard's -n would mean nothing. */
    if (ra->trials_given && ra->n_trials > 0) {
        s->status = sf_run_usage_error("%s-n and --trials are alternatives: "
                                       "--trials A:B runs B - A trials",
                                       NULL);
        return GO_OUT;
    }
    if (ra->variant != NULL) {
        s->status = sf_run_usage_error("--variant is for batch files; %s is "
                                       "a scenario",
                                       ra->scenario);
        return GO_OUT;
    }
    return GO_ON;
}

/* Set-up of a resumed run: the scenario, mixes and trials of the file. */
static int setup_resumed(run_state *s)
{
    run_args *ra = &s->ra;
    sf_h5_info *info = &s->info;

    if ((s->ret = sf_h5_read_info(ra->resume, info, &s->err)) != 0)
        return GO_FAIL;
    if (ra->n_quantiles > 0 &&
        (ra->n_quantiles != info->n_quantiles ||
         memcmp(ra->quantiles, info->quantiles,
                info->n_quantiles * sizeof *info->quantiles) != 0)) {
        char have[SF_MAX_QUANTILES * 32];
        sf_run_format_levels(have, sizeof have, info->quantiles,
                             info->n_quantiles);
        fprintf(stderr, "shortfall run: --resume keeps the quantile levels "
                        "of %s (%s); --quantiles cannot change them\n",
                ra->resume, have);
        s->status = SF_EXIT_USAGE;
        return GO_OUT;
    }
    if (info->complete) {
        printf("%s is complete (%" PRIu64 " trials); nothing to resume\n",
               ra->resume, info->n_done);
        s->status = SF_EXIT_OK;
        return GO_OUT;
    }
    if ((s->ret = sf_scenario_load_string(&s->sc, info->scenario_text,
                                          strlen(info->scenario_text),
                                          info->scenario_file, &s->err)) != 0 ||
        (s->ret = sf_model_init(&s->m, &s->sc, &s->err)) != 0 ||
        (s->ret = info->n_policies > MAX_POLICY_ARGS + 1
                      ? sf_error_set(&s->err, SF_ERR_FORMAT,
                                     "too many policy groups")
                      : sf_h5_policy_indices(&s->sc, info, ra->resume,
                                             s->policies, &s->err)) != 0)
        return GO_FAIL;
    s->opt.n_quantiles = info->n_quantiles;
    s->opt.quantiles = info->quantiles;
    s->n_pol = info->n_policies;
    s->opt.seed = info->seed;
    s->opt.n_trials = info->n_trials;
    s->opt.first_trial = info->first_trial;
    s->opt.n_paths = info->n_paths;
    ra->target_rse = info->target_rse;
    ra->target_unit = info->target_unit;
    return GO_ON;
}

/* Set-up of a fresh run: the scenario file and the options. */
static int setup_fresh(run_state *s)
{
    const run_args *ra = &s->ra;
    sf_run_options *opt = &s->opt;

    if ((s->ret = sf_scenario_load(&s->sc, ra->scenario, &s->err)) != 0 ||
        (s->ret = sf_model_init(&s->m, &s->sc, &s->err)) != 0)
        return GO_FAIL;
    if ((s->status =
             sf_run_resolve_policies(&s->sc, ra, s->policies, &s->n_pol)) != 0)
        return GO_OUT;
    opt->seed = ra->seed_given ? ra->seed : s->sc.seed;
    opt->n_trials =
        ra->n_trials > 0 ? (uint64_t)ra->n_trials : (uint64_t)s->sc.trials;
    if (ra->trials_given) {
        opt->first_trial = ra->trial_a;
        opt->n_trials = ra->trial_b - ra->trial_a;
    } else if (ra->shard_given &&
               (s->status = sf_run_trial_range(ra, s->sc.name, opt->n_trials,
                                               &opt->first_trial,
                                               &opt->n_trials)) != 0) {
        return GO_OUT;
    }
    opt->n_paths = ra->n_paths;
    sf_run_levels(ra, &s->sc, &opt->quantiles, &opt->n_quantiles);
    return GO_ON;
}

/* The run options common to both set-ups, the output's name and what the
 * file records. */
static int setup_options(run_state *s)
{
    const run_args *ra = &s->ra;
    sf_run_options *opt = &s->opt;

    if (ra->target_rse > 0) {
        if (unit_by_name(&s->m, ra->target_unit, &s->prec.unit) != 0) {
            s->status = sf_run_usage_error("--target-unit: no region or "
                                           "demand node '%s' in the scenario",
                                           ra->target_unit);
            return GO_OUT;
        }
        s->prec.target = ra->target_rse;
        opt->enough = precise_enough;
        opt->enough_ctx = &s->prec;
        opt->wave_blocks = PRECISION_CHECK_BLOCKS;
    }
    opt->threads = ra->threads;
    opt->stats_memory = ra->stats_memory;
    /* --threads also bounds the threads that compress the file. */
    if (ra->threads > 0)
        omp_set_num_threads(ra->threads);
    opt->n_policies = s->n_pol;
    opt->policies = s->policies;
    opt->stop = sf_cleanup_stop_flag();
    opt->progress = show_progress;
    opt->progress_ctx = &s->prog;

    s->root = sf_mpi_rank() == 0;
    if (sf_mpi_size() > 1 && (ra->resume || ra->target_rse > 0)) {
        if (s->root)
            fprintf(stderr, "shortfall run: --resume and --target-rse are not "
                            "supported across MPI ranks; run them with the "
                            "serial build\n");
        s->status = SF_EXIT_USAGE;
        return GO_OUT;
    }
    s->path = ra->resume ? ra->resume : ra->output;
    if (s->path == NULL &&
        (s->path = s->default_path = default_output(&s->sc)) == NULL) {
        s->ret = sf_error_set(&s->err, SF_ERR_NOMEM, "out of memory");
        return GO_FAIL;
    }
    s->meta = (sf_h5_meta){s->cmdline,     SF_GIT_COMMIT,  sf_mpi_size(),
                           !ra->no_trials, ra->target_rse, ra->target_unit,
                           NULL,           NULL};
    if (ra->resume != NULL) {
        s->meta.write_trials = s->info.has_trials;
        s->meta.history = s->info.history; /* CF: a line appended */
    }
    /* A plain run streams its per-trial rows to the file as it goes, so
     * its memory does not grow with the trials; so does every MPI rank,
     * with collective writes.  A resumed run and a run to a precision
     * target (which looks at every row) hold every row instead. */
    s->mpi = sf_mpi_size() > 1;
    s->streaming = ra->resume == NULL && ra->target_rse <= 0;
    if (s->streaming) {
        opt->rows_done = sf_h5_out_stream_rows;
        opt->rows_ctx = &s->out;
    }
    /* Each wave of an MPI run ends in collective writes, whose fixed cost
     * (chunk allocation agreed between ranks) wants few, large waves. */
    if (s->mpi && opt->wave_blocks == 0)
        opt->wave_blocks = MPI_WAVE_BLOCKS;
    return GO_ON;
}

/* The output opened (by rank 0; every rank learns the outcome), the
 * results made, the streamed rows begun, a resumed run's trials read. */
static int open_output(run_state *s)
{
    const run_args *ra = &s->ra;
    bool replace = ra->force || ra->resume != NULL;
    int ret;

    ret = s->root ? sf_run_summary_target(ra, s->path, replace,
                                          &s->summary_path, &s->err)
                  : 0;
    if (s->root && ret == 0)
        ret = sf_h5_out_open(&s->out, s->path, replace, &s->err);
#ifdef SF_MPI
    if (s->mpi &&
        (ret = sf_mpi_share_output(&s->out, s->path, ret, &s->err)) != 0 &&
        !s->root) {
        s->status = sf_exit_code(ret); /* rank 0 says why */
        return GO_OUT;
    }
#endif
    s->ret = ret;
    if (ret != 0 ||
        (s->ret = sf_results_init(&s->res, &s->m, &s->opt, &s->err)) != 0)
        return GO_FAIL;
#ifdef SF_MPI
    if (s->mpi && (s->ret = sf_h5_out_stream_begin_mpi(&s->out, &s->res,
                                                       &s->meta, &s->err)) != 0)
        return GO_FAIL;
#endif
    if (!s->mpi && s->streaming &&
        (s->ret =
             sf_h5_out_stream_begin(&s->out, &s->res, &s->meta, &s->err)) != 0)
        return GO_FAIL;
    if (ra->resume != NULL) {
        if ((s->ret = sf_h5_read_trials(ra->resume, &s->info, &s->res,
                                        &s->err)) != 0)
            return GO_FAIL;
        s->res.wall_seconds = s->info.wall_seconds;
        s->res.solver = s->info.solver;
    }
    return GO_ON;
}

/* Set-up, fresh or resumed: everything up to the first trial. */
static int setup(run_state *s)
{
    int go = s->ra.resume != NULL ? setup_resumed(s) : setup_fresh(s);

    if (go == GO_ON)
        go = setup_options(s);
    if (go == GO_ON)
        go = open_output(s);
    return go;
}

#ifdef SF_MPI
/* Execution on every rank; rank 0 goes on to the report. */
static int execute_mpi(run_state *s)
{
    /* Ranks stop together or not at all: no clean interrupt. */
    s->opt.stop = NULL;
    sf_cleanup_ignore_file_size();
    s->ret = sf_mpi_run(&s->m, &s->opt, &s->res, &s->out, &s->err);
    if (s->ret == 0)
        s->ret = sf_h5_out_stream_end_mpi(&s->out, &s->res, s->root, &s->err);
    if (s->ret != 0)
        return GO_FAIL;
    if (!s->root) {
        s->status = SF_EXIT_OK;
        return GO_OUT;
    }
    s->res.wall_seconds = now() - s->prog.start;
    return GO_ON;
}
#endif

/* Execution in this process, with a clean stop on the first signal. */
static int execute_serial(run_state *s)
{
    on_first_signal = STOP_TRIALS;
    sf_run_install_handlers();
    /* The bar at once, before the first trials are done. */
    s->prog.last -= 1.0;
    show_progress(&s->prog, s->res.n_done, s->res.n_trials);
    s->ret = sf_engine_run(&s->m, &s->opt, &s->res, &s->err);
    on_first_signal = FINISH_FILE;
    return s->ret != 0 ? GO_FAIL : GO_ON;
}

/* Execution, serial or across MPI ranks, and the statistics. */
static int execute(run_state *s)
{
    const run_args *ra = &s->ra;
    int go;

    s->prog.on =
        s->root && (ra->progress == PROGRESS_ALWAYS ||
                    (ra->progress == PROGRESS_AUTO && isatty(STDERR_FILENO)));
    s->prog.start = s->prog.last = now();
    s->prog.start_done = s->res.n_done;
#ifdef SF_MPI
    if (sf_mpi_size() > 1)
        go = execute_mpi(s);
    else
#endif
        go = execute_serial(s);
    if (go != GO_ON)
        return go;
    if ((s->ret = s->streaming
                      ? sf_results_summarise_columns(
                            &s->res, sf_h5_out_stream_column, &s->out, &s->err)
                      : sf_results_summarise(&s->res, &s->err)) != 0)
        return GO_FAIL;
    return GO_ON;
}

/* The report: the results file written, the table, how the run ended,
 * the summary file. */
static int report(run_state *s)
{
    const run_args *ra = &s->ra;
    sf_results *res = &s->res;
    const char *path = s->path;
    int ret;

    if (progress_open) {
        progress_open = 0;
        fputs("\n", stderr);
    }
    if (s->prec.reached) {
        /* The experiment is the trials run until the target was met. */
        fprintf(stderr,
                "shortfall run: target relative standard error %g "
                "reached after %" PRIu64 " trials\n",
                s->prec.target, res->n_done);
        res->n_trials = res->n_done;
    } else if (ra->target_rse > 0 && res->n_done == res->n_trials) {
        fprintf(stderr,
                "shortfall run: target relative standard error %g "
                "not reached within %" PRIu64 " trials (-n)\n",
                ra->target_rse, res->n_trials);
    }

    double t_write = now();
    if ((s->ret = sf_h5_out_write(&s->out, res, &s->meta, &s->err)) != 0)
        return GO_FAIL;
    t_write = now() - t_write;
    sf_print_summary(stdout, res);
    /* Writing time includes the rows streamed during the run. */
    printf("\nResults: %s (written in %.2f s)\n", path,
           t_write + s->out.stream_seconds);
    if (res->n_done < res->n_trials && !s->meta.write_trials) {
        fprintf(stderr,
                "shortfall run: interrupted after %" PRIu64 " of %" PRIu64
                " trials; %s holds their statistics, but no per-trial rows "
                "to resume from (--no-trials)\n",
                res->n_done, res->n_trials, path);
        s->status = SF_EXIT_INTERRUPTED;
    } else if (res->n_done < res->n_trials) {
        fprintf(stderr,
                "shortfall run: interrupted after %" PRIu64 " of %" PRIu64
                " trials; %s holds them; `shortfall run --resume %s` "
                "finishes the run\n",
                res->n_done, res->n_trials, path, path);
        s->status = SF_EXIT_INTERRUPTED;
    } else {
        s->status = SF_EXIT_OK;
    }
    /* The summary of what the file holds, also of an interrupted run. */
    if ((ret = sf_run_write_summary(ra, path, s->summary_path)) != SF_EXIT_OK &&
        s->status == SF_EXIT_OK)
        s->status = ret;
    return GO_OUT;
}

int sf_cmd_run(int argc, char **argv)
{
    run_state *s = calloc(1, sizeof *s);
    int status, go;

    if (s == NULL) {
        fputs("shortfall run: out of memory\n", stderr);
        return SF_EXIT_IO;
    }
    status = sf_run_parse_args(argc, argv, &s->ra);
    if (status != 0) {
        free(s);
        return status < 0 ? SF_EXIT_OK : status;
    }
    gsl_set_error_handler_off();
    s->cmdline = join_command_line(argc, argv);
    go = s->ra.scenario != NULL ? batch_or_scenario(s) : GO_ON;
    if (go == GO_ON)
        go = setup(s);
    if (go == GO_ON)
        go = execute(s);
    if (go == GO_ON)
        go = report(s);
    if (go == GO_FAIL) {
        int ret = s->ret;
        fprintf(stderr, "%s%s\n",
                ret == SF_ERR_IO || ret == SF_ERR_HDF5 ||
                        ret == SF_ERR_FORMAT || ret == SF_ERR_NOMEM ||
                        ret == SF_ERR_LIMIT
                    ? "shortfall run: "
                    : "",
                s->err.msg);
        s->status = ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
    }
    status = s->status;
    sf_h5_out_close(&s->out);
    sf_h5_info_free(&s->info);
    sf_results_free(&s->res);
    sf_model_free(&s->m);
    sf_scenario_free(&s->sc);
    free(s->cmdline);
    free(s->default_path);
    free(s->summary_path);
    free(s);
    return status;
}
