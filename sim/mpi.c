/*
 * mpi.c — the MPI build (`make MPI=1` → bin/shortfall-mpi): trial blocks
 * are spread over ranks in contiguous runs, OpenMP threads work inside
 * each rank, and rank 0 gathers every rank's per-trial rows and integer
 * accumulators and adds them exactly as `shortfall merge` adds shards
 * (sf_results_add).  So the file does not depend on the rank count: it
 * equals the serial build's, dataset for dataset (tests/cluster/mpi.sh).
 *
 * Compiled only with -DSF_MPI (the Makefile leaves it out otherwise).
 */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

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

/* Everything sf_results_add reads, in one fixed order. */
static int transfer_results(sf_results *r, int peer, bool send)
{
    const sf_model *m = r->model;
    size_t U = r->n_units, K = m->n_shocks, D = m->n_demand;
    size_t cells = (size_t)r->n_months * U;
    double head[3] = {(double)r->n_done, r->wall_seconds, r->threads};
    int ret;

    if ((ret = transfer(head, 3, MPI_DOUBLE, sizeof(double), peer, send)) != 0)
        return ret;
    if (!send) {
        r->n_done = (uint64_t)head[0];
        r->wall_seconds = head[1];
        r->threads = (int)head[2];
    }
    for (size_t p = 0; p < r->n_policies; p++) {
        sf_policy_results *pr = &r->pol[p];
        for (int k = 0; k < SF_M_COUNT && ret == 0; k++)
            ret = transfer(pr->metric[k], r->n_done * U, MPI_DOUBLE,
                           sizeof(double), peer, send);
        if (ret == 0)
            ret = transfer(pr->shock_months, r->n_done * K, MPI_INT32_T,
                           sizeof(int32_t), peer, send);
        if (ret == 0)
            ret = transfer(pr->month_frac_sum, cells, MPI_UINT64_T,
                           sizeof(uint64_t), peer, send);
        if (ret == 0)
            ret = transfer(pr->month_short, cells, MPI_UINT64_T,
                           sizeof(uint64_t), peer, send);
        if (ret == 0)
            ret = transfer(pr->month_hist, cells * (SF_HIST_BINS + 1),
                           MPI_UINT64_T, sizeof(uint64_t), peer, send);
        if (ret == 0)
            ret = transfer(pr->path, r->n_paths * (size_t)r->n_months * D,
                           MPI_DOUBLE, sizeof(double), peer, send);
        if (ret != 0)
            return ret;
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

int sf_mpi_run(const sf_model *m, const sf_run_options *opt, sf_results *res,
               sf_error *err)
{
    int rank = sf_mpi_rank(), n_ranks = sf_mpi_size(), ret = 0;
    sf_results part;
    sf_run_options mine = share_of(opt, rank, n_ranks);

    memset(&part, 0, sizeof part);
    if (mine.n_trials > 0) {
        if ((ret = sf_results_init(&part, m, &mine, err)) != 0 ||
            (ret = sf_engine_run(m, &mine, &part, err)) != 0)
            goto out;
    }
    if (rank != 0) {
        if (mine.n_trials > 0 && transfer_results(&part, 0, true) != 0)
            ret = sf_error_set(err, SF_ERR_IO, "MPI send failed");
        goto out;
    }
    if (mine.n_trials > 0)
        sf_results_add(res, &part);
    for (int r = 1; r < n_ranks; r++) {
        sf_run_options theirs = share_of(opt, r, n_ranks);
        sf_results other;
        if (theirs.n_trials == 0)
            continue;
        if ((ret = sf_results_init(&other, m, &theirs, err)) != 0)
            goto out;
        if (transfer_results(&other, r, false) != 0)
            ret = sf_error_set(err, SF_ERR_IO, "MPI receive from rank %d "
                                               "failed",
                               r);
        else
            sf_results_add(res, &other);
        sf_results_free(&other);
        if (ret != 0)
            goto out;
    }
    res->threads = opt->threads > 0 ? opt->threads : part.threads;
out:
    sf_results_free(&part);
    return ret;
}
