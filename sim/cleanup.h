/*
 * cleanup.h — the one place that handles signals and temporary files
 * (sim/cleanup.c).
 *
 * Every file shortfall writes — a results file, a scratch file of streamed
 * rows, a summary — is written under a temporary name and renamed into
 * place only when complete.  The temporary files being written are listed
 * here, so that a signal that ends the program removes them: nothing is
 * left under a final name that was not complete, and no temporary file is
 * left behind.  Signals:
 *
 *   - a clean stop (`run`): the first SIGINT or SIGTERM sets the stop flag
 *     the engine looks at and calls the command's notice; from then on
 *     SIGINT, SIGTERM and SIGHUP end the program at once;
 *   - an immediate end (`merge`, and `run` after its first signal): SIGINT,
 *     SIGTERM and SIGHUP remove the temporary files and end the program as
 *     the signal would have;
 *   - a fault guard: while a results file is being read, a fatal signal
 *     (HDF5 1.10.8 faults on some crafted files) ends the program with one
 *     line naming the file and exit status 2, as any damaged file gets;
 *   - SIGXFSZ is ignored by a run, so that past a file size limit write()
 *     fails with EFBIG, which is reported, instead of killing the program.
 *
 * Not installed.  Library code, but the only library file besides
 * sim/error.c that writes to stderr or ends the program (from the signal
 * handlers), which `make check-layers` checks.
 */
#ifndef SHORTFALL_CLEANUP_H
#define SHORTFALL_CLEANUP_H

#include <signal.h>
#include <stdbool.h>

#include "shortfall.h"

/* Temporary files listed at once; more are not listed. */
#define SF_CLEANUP_TEMPS 4

/* Lists path (borrowed: drop it before freeing it) / drops it. */
void sf_cleanup_temp_add(const char *path);
void sf_cleanup_temp_drop(const char *path);
/* Unlinks every listed file; async-signal-safe. */
void sf_cleanup_temp_remove_all(void);

/* Creates a new, empty temporary file for target: ".<name>.tmp-XXXXXX" in
 * target's directory, with the mode a new file gets (umask), listed.
 * *tmp (malloc'd) receives its name and *fd the open descriptor.  Fails
 * with SF_ERR_IO ("cannot write TARGET: reason") or SF_ERR_NOMEM. */
SF_MUST_CHECK
int sf_cleanup_temp_create(const char *target, char **tmp, int *fd,
                           sf_error *err);
/* The end of a temporary file: unlinked if remove, dropped, freed. */
void sf_cleanup_temp_done(char *tmp, bool remove);

/* SIGINT, SIGTERM and SIGHUP remove the temporary files and end the
 * program as the signal would have. */
void sf_cleanup_on_signals(void);

/* A clean stop: the first SIGINT or SIGTERM sets the stop flag and calls
 * notice (if not NULL; it must be async-signal-safe); later signals are
 * sf_cleanup_on_signals'.  SIGXFSZ is ignored. */
void sf_cleanup_stop_on_signals(void (*notice)(void));
/* The stop flag (for sf_run_options.stop), 0 until a stop is asked for. */
volatile sig_atomic_t *sf_cleanup_stop_flag(void);
/* SIGXFSZ ignored (write() then fails with EFBIG). */
void sf_cleanup_ignore_file_size(void);

/* From now on, a fatal signal between sf_cleanup_guard_begin(path) and
 * sf_cleanup_guard_end() (which nest) removes the temporary files and
 * ends the program with "PROG: PATH: damaged results file (...)" and exit
 * status 2; outside them a fault is a fault.  No effect in
 * AddressSanitizer builds, which keep its report. */
void sf_cleanup_guard_faults(const char *prog);
void sf_cleanup_guard_begin(const char *path);
void sf_cleanup_guard_end(void);

#endif
