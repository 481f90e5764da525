/*
 * mpi_run.h — running trials across MPI ranks (sim/cli/mpi.c, MPI build only;
 * in the serial build sf_mpi_rank() is 0 and sf_mpi_size() 1).
 */
#ifndef SHORTFALL_MPI_RUN_H
#define SHORTFALL_MPI_RUN_H

#include "shortfall/engine.h"
#include "shortfall/h5file.h"

#ifdef SF_MPI
int sf_mpi_rank(void);
int sf_mpi_size(void);
/* Runs opt's trials over all ranks; on rank 0 res (made by
 * sf_results_init for opt) receives every rank's trials. */
SF_MUST_CHECK
int sf_mpi_run(const sf_model *m, const sf_run_options *opt, sf_results *res,
               sf_h5_out *out, sf_error *err);
/* Rank 0 has opened the output (status `ret`): every rank learns the
 * outcome and the temporary file's name. */
SF_MUST_CHECK
int sf_mpi_share_output(sf_h5_out *out, const char *path, int ret,
                        sf_error *err);
#else
static inline int sf_mpi_rank(void)
{
    return 0;
}
static inline int sf_mpi_size(void)
{
    return 1;
}
#endif

#endif
