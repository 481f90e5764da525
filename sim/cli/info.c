/*
 * info.c — `shortfall info FILE [--format table|csv|json]`: the summary of
 * any results file shortfall writes — a single run, a shard, a merged
 * run, a `--no-trials` file, a batch or a batch part — read from the
 * file's summary statistics (no per-trial rows are needed).  Also the
 * file behind `shortfall run --summary`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cleanup.h"
#include "h5util.h"
#include "shortfall/h5file.h"
#include "shortfall/model.h"
#include "shortfall/scenario.h"

static void info_usage(FILE *f)
{
    fprintf(f,
            "usage: shortfall info RESULTS.h5 [--format table|csv|json]\n"
            "Prints the summary of a results file written by `shortfall run` or\n"
            "`shortfall merge`: a single run or shard, a --no-trials file, a batch\n"
            "(one table across its variants, the swept values as columns) or a\n"
            "batch part.\n"
            "\n"
            "options:\n"
            "  --format F   table (default); csv or json: one record per policy\n"
            "               mix and region (and variant), every number of the\n"
            "               table with its standard error (docs/cli.md)\n"
            "  -h, --help   this text\n");
}

/* One run of a file (the root of a single run's file, or a variant's
 * group): its stored scenario, model and summary statistics. */
static int load_run(const char *path, const sf_h5_info *info, sf_scenario *sc,
                    sf_model *m, sf_results *res, sf_error *err)
{
    int ret, *idx = NULL;

    if ((ret = sf_scenario_load_string(sc, info->scenario_text,
                                       strlen(info->scenario_text),
                                       info->scenario_file, err)) != 0 ||
        (ret = sf_model_init(m, sc, err)) != 0) {
        /* The stored scenario no longer loads: say where it came from. */
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        return sf_error_set(err, ret,
                            "%s: its scenario (%s) does not load with this "
                            "version: %s",
                            path, info->scenario_file, msg);
    }
    if ((idx = calloc(info->n_policies, sizeof *idx)) == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "out of memory");
    /* The results' shape from the file; no per-trial rows are needed to
     * print the summaries, so none are allocated. */
    sf_run_options opt = {0};
    opt.seed = info->seed;
    opt.first_trial = info->first_trial;
    opt.n_policies = info->n_policies;
    opt.policies = idx;
    opt.n_quantiles = info->n_quantiles;
    opt.quantiles = info->quantiles;
    if ((ret = sf_h5_policy_indices(sc, info, path, idx, err)) == 0)
        ret = sf_results_init(res, m, &opt, err);
    free(idx);
    if (ret != 0)
        return ret;
    res->n_trials = info->n_trials;
    res->n_done = info->n_done;
    res->threads = info->threads;
    res->wall_seconds = info->wall_seconds;
    res->solver = info->solver;
    return sf_h5_read_summaries(path, info, res, err);
}

void sf_summary_file_free(sf_summary_file *sf)
{
    if (sf == NULL)
        return;
    for (size_t i = 0; i < sf->n; i++) {
        if (sf->res)
            sf_results_free(&sf->res[i]);
        if (sf->m)
            sf_model_free(&sf->m[i]);
        if (sf->sc)
            sf_scenario_free(&sf->sc[i]);
        for (size_t k = 0;
             sf->runs && sf->runs[i].sweep_units && k < sf->batch.n_sweeps; k++)
            free(sf->runs[i].sweep_units[k]);
        if (sf->runs)
            free(sf->runs[i].sweep_units);
    }
    free(sf->res);
    free(sf->m);
    free(sf->sc);
    free(sf->runs);
    for (size_t k = 0; sf->sweep_names && k < sf->batch.n_sweeps; k++)
        free(sf->sweep_names[k]);
    free(sf->sweep_names);
    free(sf->sweep_paths);
    sf_batch_free(&sf->batch);
    sf_h5_info_free(&sf->single);
    sf_h5_batch_info_free(&sf->bi);
    memset(sf, 0, sizeof *sf);
}

/* A batch's sweeps, from the batch text the file stores. */
static int load_sweeps(sf_summary_file *sf, const char *path, sf_error *err)
{
    sf_h5_batch_info *bi = &sf->bi;
    sf_error e = {0};
    size_t ns;

    if (sf_batch_load(&sf->batch, bi->text, strlen(bi->text), bi->file, &e) !=
        0)
        return sf_error_set(err, SF_ERR_FORMAT,
                            "%s: damaged batch file (its batch_text does not "
                            "load: %s)",
                            path, e.msg);
    ns = sf->batch.n_sweeps;
    for (size_t i = 0; i < bi->n_groups; i++)
        if (bi->groups[i].n_sweeps != ns)
            return sf_error_set(err, SF_ERR_FORMAT,
                                "%s: damaged batch file (/%s has %zu "
                                "sweep_<k> attributes; the batch sweeps %zu "
                                "keys)",
                                path, bi->groups[i].group,
                                bi->groups[i].n_sweeps, ns);
    sf->sweep_paths = calloc(ns + 1, sizeof *sf->sweep_paths);
    sf->sweep_names = calloc(ns + 1, sizeof *sf->sweep_names);
    if (sf->sweep_paths == NULL || sf->sweep_names == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "out of memory");
    for (size_t k = 0; k < ns; k++)
        sf->sweep_paths[k] = sf->batch.sweeps[k].path;
    if (sf_sweep_names(ns, sf->sweep_paths, sf->sweep_names) != 0)
        return sf_error_set(err, SF_ERR_NOMEM, "out of memory");
    return 0;
}

int sf_summary_file_load(sf_summary_file *sf, const char *path, sf_error *err)
{
    const sf_h5_info *infos;
    int ret = 0;

    memset(sf, 0, sizeof *sf);
    if (sf_h5_is_batch(path)) {
        sf->is_batch = true;
        if ((ret = sf_h5_read_batch_info(path, &sf->bi, err)) != 0 ||
            (ret = load_sweeps(sf, path, err)) != 0)
            goto out;
        if (sf->bi.n_groups == 0) {
            ret = sf_error_set(err, SF_ERR_FORMAT,
                               "%s: damaged batch file (no variant groups)",
                               path);
            goto out;
        }
        sf->n = sf->bi.n_groups;
        infos = sf->bi.groups;
    } else {
        if ((ret = sf_h5_read_info(path, &sf->single, err)) != 0)
            goto out;
        sf->n = 1;
        infos = &sf->single;
    }
    sf->sc = calloc(sf->n, sizeof *sf->sc);
    sf->m = calloc(sf->n, sizeof *sf->m);
    sf->res = calloc(sf->n, sizeof *sf->res);
    sf->runs = calloc(sf->n, sizeof *sf->runs);
    if (!sf->sc || !sf->m || !sf->res || !sf->runs) {
        ret = sf_error_set(err, SF_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t ns = sf->batch.n_sweeps;
    for (size_t i = 0; i < sf->n && ret == 0; i++) {
        const sf_h5_info *info = &infos[i];
        sf_summary_run *run = &sf->runs[i];
        if ((ret = load_run(path, info, &sf->sc[i], &sf->m[i], &sf->res[i],
                            err)) != 0)
            break;
        run->res = &sf->res[i];
        run->scenario_file = info->scenario_file;
        if (!sf->is_batch)
            continue;
        run->variant = info->group;
        run->batch_trials = sf->bi.part ? sf->bi.batch_trials[i] : 0;
        run->sweep_values = info->sweeps;
        if ((run->sweep_units = calloc(ns + 1, sizeof *run->sweep_units)) ==
            NULL)
            ret = sf_error_set(err, SF_ERR_NOMEM, "out of memory");
        for (size_t k = 0; ret == 0 && k < ns; k++) {
            char unit[256];
            sf_sweep_unit(&sf->sc[i], sf->sweep_paths[k], unit, sizeof unit);
            if ((run->sweep_units[k] = strdup(unit)) == NULL)
                ret = sf_error_set(err, SF_ERR_NOMEM, "out of memory");
        }
    }
    if (ret != 0)
        goto out;
    sf_summary_set *s = &sf->set;
    s->file = path;
    s->n_runs = sf->n;
    s->runs = sf->runs;
    if (sf->is_batch) {
        s->version = sf->bi.version;
        s->batch_name = sf->bi.name;
        s->batch_file = sf->bi.file;
        s->n_variants = sf->bi.n_variants;
        s->part = sf->bi.part;
        s->n_sweeps = ns;
        s->sweep_paths = sf->sweep_paths;
        s->sweep_names = sf->sweep_names;
    } else {
        s->version = sf->single.version;
    }
out:
    if (ret != 0)
        sf_summary_file_free(sf);
    return ret;
}

char *sf_summary_path(const char *results, sf_summary_format fmt)
{
    const char *ext = fmt == SF_SUMMARY_JSON ? ".summary.json" : ".summary.csv";
    size_t len = strlen(results);
    if (len > 3 && strcmp(results + len - 3, ".h5") == 0)
        len -= 3;
    char *s = malloc(len + strlen(ext) + 1);
    if (s != NULL) {
        memcpy(s, results, len);
        strcpy(s + len, ext);
    }
    return s;
}

int sf_summary_file_write(const char *results, const char *out,
                          sf_summary_format fmt, sf_error *err)
{
    sf_summary_file sf;
    char *tmp = NULL;
    FILE *f = NULL;
    int ret, fd = -1;

    memset(&sf, 0, sizeof sf);
    if ((ret = sf_summary_file_load(&sf, results, err)) != 0 ||
        (ret = sf_cleanup_temp_create(out, &tmp, &fd, err)) != 0)
        goto out;
    if ((f = fdopen(fd, "w")) == NULL) {
        close(fd);
        ret = sf_error_set(err, SF_ERR_IO, "cannot write %s: %s", out,
                           strerror(errno));
        goto out;
    }
    sf_summary_write(f, &sf.set, fmt);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        ret = sf_error_set(err, SF_ERR_IO, "writing %s failed: %s", out,
                           strerror(errno ? errno : EIO));
        goto out;
    }
    if (rename(tmp, out) != 0) {
        ret = sf_error_set(err, SF_ERR_IO, "cannot write %s: %s", out,
                           strerror(errno));
        goto out;
    }
    ret = 0;
out:
    sf_cleanup_temp_done(tmp, ret != 0);
    sf_summary_file_free(&sf);
    return ret;
}

int sf_summary_format_parse(const char *s)
{
    if (s == NULL)
        return -1;
    if (strcmp(s, "table") == 0)
        return SF_SUMMARY_TABLE;
    if (strcmp(s, "csv") == 0)
        return SF_SUMMARY_CSV;
    if (strcmp(s, "json") == 0)
        return SF_SUMMARY_JSON;
    return -1;
}

int sf_cmd_info(int argc, char **argv)
{
    sf_summary_file sf;
    sf_error err = {0};
    int ret, status = SF_EXIT_OK, fmt = SF_SUMMARY_TABLE;
    const char *path = NULL;

    for (int a = 1; a < argc; a++) {
        if (strcmp(argv[a], "-h") == 0 || strcmp(argv[a], "--help") == 0) {
            info_usage(stdout);
            return SF_EXIT_OK;
        }
        if (strncmp(argv[a], "--format", 8) == 0 &&
            (argv[a][8] == '\0' || argv[a][8] == '=')) {
            const char *v = argv[a][8] == '=' ? argv[a] + 9
                            : a + 1 < argc    ? argv[++a]
                                              : NULL;
            if ((fmt = sf_summary_format_parse(v)) < 0) {
                fprintf(stderr,
                        "shortfall info: --format is table, csv or "
                        "json, got '%s'\n",
                        v ? v : "");
                return SF_EXIT_USAGE;
            }
            continue;
        }
        if (argv[a][0] == '-' || path != NULL) {
            fprintf(stderr, "shortfall info: unexpected argument '%s'\n",
                    argv[a]);
            info_usage(stderr);
            return SF_EXIT_USAGE;
        }
        path = argv[a];
    }
    if (path == NULL) {
        info_usage(stderr);
        return SF_EXIT_USAGE;
    }
    if ((ret = sf_summary_file_load(&sf, path, &err)) != 0) {
        fprintf(stderr, "shortfall info: %s\n", err.msg);
        return ret == SF_ERR_NOMEM ? SF_EXIT_IO : sf_exit_code(ret);
    }
    if (fmt == SF_SUMMARY_TABLE)
        printf("%s (shortfall %s)\n", path, sf.set.version);
    sf_summary_write(stdout, &sf.set, (sf_summary_format)fmt);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "shortfall info: writing the summary failed: %s\n",
                strerror(errno ? errno : EIO));
        status = SF_EXIT_IO;
    }
    sf_summary_file_free(&sf);
    return status;
}
