/*
 * cli.h — the command line: options of each subcommand, and the
 * subcommands themselves.  Only sim/main.c and these files print.
 */
#ifndef SHORTFALL_CLI_H
#define SHORTFALL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "shortfall/engine.h"

/* Exit codes (docs/cli.md). */
enum {
    SF_EXIT_OK = 0,
    SF_EXIT_USAGE = 1,
    SF_EXIT_INPUT = 2,
    SF_EXIT_IO = 3,
    SF_EXIT_INTERRUPTED = 130
};

/* The exit code for a library error code. */
int sf_exit_code(int err_code);

int sf_cmd_check(int argc, char **argv);
int sf_cmd_run(int argc, char **argv);
int sf_cmd_info(int argc, char **argv);
int sf_cmd_merge(int argc, char **argv);

/* The summary table of a run (sim/summary.c). */
void sf_print_summary(FILE *f, const sf_results *res);

#endif
