/*
 * run.c — `shortfall run`, until the engine lands.
 */
#include <stdio.h>

#include "cli.h"

int sf_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "shortfall run: not yet implemented; use `shortfall check`\n");
    return SF_EXIT_USAGE;
}
