/*
 * mpi.c — the MPI build (`make MPI=1` → bin/shortfall-mpi): trial blocks
 * are spread over ranks in contiguous runs, OpenMP threads work inside
 * each rank.  Every rank writes its own per-trial rows into the shared
 * results file with collective parallel-HDF5 writes, a wave at a time;
 * the integer accumulators are summed on rank 0 (MPI_Reduce: exact in any
 * order) and the first trials' paths sent to it; rank 0 then reopens the
 * file alone to compute the statistics from the columns and write the
 * rest (variable-length strings cannot be written in parallel in HDF5
 * 1.10).  So the file does not depend on the rank count: it equals the
 * serial build's, dataset for dataset (tests/cluster/mpi.sh).
 *
 * Compiled only with -DSF_MPI (the Makefile leaves it out otherwise).
 */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mpi_run.h"

int sf_mpi_rank(void)
{
    int r = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int sf_mpi_size(void)
{
    int n = 1;
    MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

/* Sends or receives n elements in pieces that fit MPI's int counts. */
static int transfer(void *buf, size_t n, MPI_Datatype type, size_t size,
                    int peer, bool send)
{
    const size_t piece = (size_t)1 << 28;
    for (size_t at = 0; at < n; at += piece) {
        int count = (int)(n - at < piece ? n - at : piece);
        char *p = (char *)buf + at * size;
        int rc = send ? MPI_Send(p, count, type, peer, 0, MPI_COMM_WORLD)
                      : MPI_Recv(p, count, type, peer, 0, MPI_COMM_WORLD,
                                 MPI_STATUS_IGNORE);
        if (rc != MPI_SUCCESS)
            return SF_ERR_IO;
    }
    return 0;
}

/* Sums the integer accumulators of every rank's share into rank 0's
 * results (integer sums: exact, and the same in any order). */
static int reduce_u64(uint64_t *mine, uint64_t *total, size_t n, bool root)
{
    const size_t piece = (size_t)1 << 28;
    for (size_t at = 0; at < n; at += piece) {
        int count = (int)(n - at < piece ? n - at : piece);
        if (MPI_Reduce(mine + at, root ? total + at : NULL, count,
                       MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD) != MPI_SUCCESS)
            return SF_ERR_IO;
    }
    return 0;
}

/* Adds every rank's solver counts to rank 0's results (sums and maxima:
 * the same in any order). */
static int reduce_solver(const sf_solver_stats *mine, sf_solver_stats *total,
                         bool root)
{
    enum { NC = SF_SOLVER_COMMODITIES, NSUM = 2 + 3 * NC };
    uint64_t sums[NSUM], sum_all[NSUM] = {0};
    sums[0] = mine->solves;
    sums[1] = mine->iterations;
    memcpy(sums + 2, mine->c_solved, sizeof mine->c_solved);
    memcpy(sums + 2 + NC, mine->c_reused, sizeof mine->c_reused);
    memcpy(sums + 2 + 2 * NC, mine->c_iterations, sizeof mine->c_iterations);
    int iters = 0;
    double resid = 0.0;
    if (MPI_Reduce(sums, sum_all, NSUM, MPI_UINT64_T, MPI_SUM, 0,
                   MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Reduce(&mine->max_iterations, &iters, 1, MPI_INT, MPI_MAX, 0,
                   MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Reduce(&mine->max_residual, &resid, 1, MPI_DOUBLE, MPI_MAX, 0,
                   MPI_COMM_WORLD) != MPI_SUCCESS)
        return SF_ERR_IO;
    if (root) {
        sf_solver_stats all = {sum_all[0], sum_all[1], iters, resid,
                               {0}, {0}, {0}};
        memcpy(all.c_solved, sum_all + 2, sizeof all.c_solved);
        memcpy(all.c_reused, sum_all + 2 + NC, sizeof all.c_reused);
        memcpy(all.c_iterations, sum_all + 2 + 2 * NC, sizeof all.c_iterations);
        sf_solver_stats_add(total, &all);
    }
    return 0;
}

/* The options of rank r's share: a contiguous run of whole blocks. */
static sf_run_options share_of(const sf_run_options *opt, int r, int n_ranks)
{
    sf_run_options o = *opt;
    uint64_t nb = (opt->n_trials + SF_BLOCK_TRIALS - 1) / SF_BLOCK_TRIALS;
    uint64_t b0 = nb * (uint64_t)r / (uint64_t)n_ranks;
    uint64_t b1 = nb * (uint64_t)(r + 1) / (uint64_t)n_ranks;
    uint64_t lo = b0 * SF_BLOCK_TRIALS, hi = b1 * SF_BLOCK_TRIALS;
    if (hi > opt->n_trials)
        hi = opt->n_trials;
    if (lo > hi)
        lo = hi;
    o.first_trial = opt->first_trial + lo;
    o.n_trials = hi - lo;
    o.n_paths = lo < opt->n_paths ? opt->n_paths - lo : 0;
    return o;
}

int sf_mpi_share_output(sf_h5_out *out, const char *path, int ret,
                        sf_error *err)
{
    bool root = sf_mpi_rank() == 0;
    unsigned long long len = root && ret == 0 ? strlen(out->tmp_path) + 1 : 0;
    int status = ret;

    if (MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD) != MPI_SUCCESS ||
        MPI_Bcast(&len, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
        return sf_error_set(err, SF_ERR_IO, "MPI broadcast failed");
    if (status != 0)
        return root ? ret : sf_error_set(err, status, "rank 0 could not open "
                                                      "%s", path);
    if (root)
        return MPI_Bcast(out->tmp_path, (int)len, MPI_CHAR, 0,
                         MPI_COMM_WORLD) == MPI_SUCCESS
                   ? 0
                   : sf_error_set(err, SF_ERR_IO, "MPI broadcast failed");
    memset(out, 0, sizeof *out);
    out->file = -1;
    out->borrowed = true; /* rank 0 owns and removes the files */
    out->path = strdup(path);
    out->tmp_path = malloc(len ? len : 1);
    if (out->path == NULL || out->tmp_path == NULL)
        return sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
    if (MPI_Bcast(out->tmp_path, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD) !=
        MPI_SUCCESS)
        return sf_error_set(err, SF_ERR_IO, "MPI broadcast failed");
    return 0;
}

typedef struct {
    sf_h5_out *out;
    uint64_t offset; /* the share's first row in the run */
    uint64_t waves;  /* collective writes made so far */
} share_rows;

/* rows_done of a rank's engine: one collective write per wave. */
static int rows_mpi(void *ctx, const sf_results *res, uint64_t from,
                    uint64_t to, sf_error *err)
{
    share_rows *sr = ctx;
    sr->waves++;
    return sf_h5_out_stream_rows_mpi(sr->out, res, sr->offset, from, to, err);
}

int sf_mpi_run(const sf_model *m, const sf_run_options *opt, sf_results *res,
               sf_h5_out *out, sf_error *err)
{
    int rank = sf_mpi_rank(), n_ranks = sf_mpi_size(), ret = 0;
    bool root = rank == 0;
    sf_results part;
    sf_run_options mine = share_of(opt, rank, n_ranks);
    share_rows sr = {out, mine.first_trial - opt->first_trial, 0};
    uint64_t waves = 0, n_done = 0;

    memset(&part, 0, sizeof part);
    mine.rows_done = rows_mpi;
    mine.rows_ctx = &sr;
    /* Every rank makes as many collective writes as the busiest: agree
     * on that number before any. */
    uint64_t planned = mine.n_trials > 0 ? sf_run_waves(&mine) : 0;
    if (MPI_Allreduce(&planned, &waves, 1, MPI_UINT64_T, MPI_MAX,
                      MPI_COMM_WORLD) != MPI_SUCCESS) {
        ret = sf_error_set(err, SF_ERR_IO, "MPI reduction failed");
        goto fail;
    }
    if ((ret = sf_results_init(&part, m, &mine, err)) != 0 ||
        (mine.n_trials > 0 && (ret = sf_engine_run(m, &mine, &part, err)) != 0))
        goto fail;
    sf_bug_assert(sr.waves == planned);
    while (sr.waves < waves) {
        sr.waves++;
        if ((ret = sf_h5_out_stream_rows_mpi(out, &part, sr.offset, 0, 0,
                                             err)) != 0)
            goto fail;
    }
    ret = MPI_Reduce(&part.n_done, &n_done, 1, MPI_UINT64_T, MPI_SUM, 0,
                     MPI_COMM_WORLD) != MPI_SUCCESS
              ? SF_ERR_IO
              : 0;
    size_t cells = (size_t)res->n_months * res->n_units;
    for (size_t p = 0; p < res->n_policies && ret == 0; p++) {
        sf_policy_results *mp = &part.pol[p], *rp = &res->pol[p];
        ret = reduce_u64(mp->month_frac_sum, rp->month_frac_sum, cells, root);
        if (ret == 0)
            ret = reduce_u64(mp->month_short, rp->month_short, cells, root);
        if (ret == 0)
            ret = reduce_u64(mp->month_hist, rp->month_hist,
                             cells * (SF_HIST_BINS + 1), root);
        size_t pcells = (size_t)res->n_months * m->n_commodities;
        if (ret == 0)
            ret = reduce_u64(mp->price_sum, rp->price_sum, pcells, root);
        if (ret == 0)
            ret = reduce_u64(mp->region_sum, rp->region_sum,
                             2 * sf_results_region_cells(res), root);
        if (ret == 0)
            ret = reduce_u64(mp->price_hist, rp->price_hist,
                             pcells * SF_PRICE_BINS, root);
    }
    if (ret == 0)
        ret = reduce_solver(&part.solver, &res->solver, root);
    /* The monthly paths of the run's first trials, from the ranks that
     * ran them. */
    size_t path_row = (size_t)res->n_months * res->model->n_demand;
    size_t path_x_row = (size_t)res->n_months * sf_results_path_x_width(res);
    for (int r = 0; r < n_ranks && ret == 0; r++) {
        sf_run_options theirs = share_of(opt, r, n_ranks);
        uint64_t lo = theirs.first_trial - opt->first_trial;
        size_t rows = theirs.n_trials < theirs.n_paths ? theirs.n_trials
                                                       : theirs.n_paths;
        for (size_t p = 0; p < res->n_policies && rows > 0 && ret == 0; p++) {
            double *dst = &res->pol[p].path[lo * path_row];
            if (r == 0 && root)
                memcpy(dst, part.pol[p].path, rows * path_row * sizeof *dst);
            else if (root)
                ret = transfer(dst, rows * path_row, MPI_DOUBLE, sizeof *dst,
                               r, false);
            else if (r == rank)
                ret = transfer(part.pol[p].path, rows * path_row, MPI_DOUBLE,
                               sizeof(double), 0, true);
            double *dst_x = &res->pol[p].path_x[lo * path_x_row];
            if (ret != 0)
                break;
            if (r == 0 && root)
                memcpy(dst_x, part.pol[p].path_x,
                       rows * path_x_row * sizeof *dst_x);
            else if (root)
                ret = transfer(dst_x, rows * path_x_row, MPI_DOUBLE,
                               sizeof *dst_x, r, false);
            else if (r == rank)
                ret = transfer(part.pol[p].path_x, rows * path_x_row,
                               MPI_DOUBLE, sizeof(double), 0, true);
        }
    }
    if (ret != 0) {
        ret = sf_error_set(err, SF_ERR_IO, "MPI transfer failed");
        goto fail;
    }
    if (root) {
        res->n_done = n_done;
        res->threads = opt->threads > 0 ? opt->threads : part.threads;
    }
    sf_results_free(&part);
    return 0;
fail:
    /* The other ranks are, or will be, waiting in a collective call. */
    fprintf(stderr, "shortfall run (rank %d): %s\n", rank, err->msg);
    MPI_Abort(MPI_COMM_WORLD, sf_exit_code(ret));
    return ret;
}
