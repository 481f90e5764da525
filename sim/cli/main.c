/*
 * main.c — the shortfall program: picks the subcommand and returns its
 * exit code.  Usage texts live here so that `shortfall --help` and the
 * subcommands' --help agree.
 */
#include <stdio.h>
#include <string.h>

#include <hdf5.h>
#ifdef SF_MPI
#include <mpi.h>
#endif

#include "cleanup.h"
#include "cli.h"
#include "shortfall.h"
#include "shortfall/h5file.h"

static void usage(FILE *f)
{
    fprintf(f,
            "shortfall " SF_VERSION
            " — Monte Carlo supply-disruption simulator for critical minerals\n"
            "\n"
            "usage:\n"
            "  shortfall run SCENARIO.yaml... [options]   sample trials, write results\n"
            "  shortfall run --resume RESULTS.h5          finish an interrupted run\n"
            "  shortfall check SCENARIO.yaml...           validate, print the network\n"
            "  shortfall info RESULTS.h5 [--format F]     summary of any results file\n"
            "  shortfall merge OUT.h5 PART.h5...          join shards or batch parts\n"
            "  shortfall --version\n"
            "  shortfall COMMAND --help                   options of a command\n"
            "\n"
            "Exit codes: 0 ok, 1 usage, 2 bad input, 3 I/O error, 130 interrupted.\n"
            "Documentation: README.md, docs/cli.md, docs/model.md, docs/scenarios.md,\n"
            "docs/output.md.\n");
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
#ifdef SF_MPI
    int provided;
    /* OpenMP threads inside a rank never call MPI. */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int status = dispatch(argc, argv);
    MPI_Finalize();
    return status;
#else
    return dispatch(argc, argv);
#endif
}

static int dispatch(int argc, char **argv)
{
    /* HDF5 1.10 can crash in its exit-time clean-up when closing a file
     * failed (a full disk, a file size limit); the process is ending
     * anyway, so it is told not to clean up at exit. */
    H5dont_atexit();
    if (argc < 2) {
        usage(stderr);
        return SF_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return SF_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("shortfall %s\n", SF_VERSION);
        return SF_EXIT_OK;
    }
    /* The programs that read results files name them if HDF5 faults. */
    static char prog[64];
    snprintf(prog, sizeof prog, "shortfall %s", cmd);
    sf_cleanup_guard_faults(prog);
    if (strcmp(cmd, "check") == 0)
        return sf_cmd_check(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return sf_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "info") == 0)
        return sf_cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return sf_cmd_merge(argc - 1, argv + 1);
    fprintf(stderr, "shortfall: unknown command '%s'\n", cmd);
    usage(stderr);
    return SF_EXIT_USAGE;
}
