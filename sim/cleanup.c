/*
 * cleanup.c — signals and temporary files, in one place (cleanup.h).
 * Everything a signal handler here does is async-signal-safe: sigaction,
 * signal, raise, unlink, write and _exit, on data set before the signal.
 */
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* --- temporary files ---------------------------------------------------- */

static const char *volatile temps[SF_CLEANUP_TEMPS];

void sf_cleanup_temp_add(const char *path)
{
    for (size_t i = 0; i < SF_CLEANUP_TEMPS; i++)
        if (temps[i] == NULL) {
            temps[i] = path;
            return;
        }
}

void sf_cleanup_temp_drop(const char *path)
{
    for (size_t i = 0; i < SF_CLEANUP_TEMPS; i++)
        if (temps[i] == path)
            temps[i] = NULL;
}

void sf_cleanup_temp_remove_all(void)
{
    for (size_t i = 0; i < SF_CLEANUP_TEMPS; i++) {
        const char *p = temps[i];
        if (p != NULL)
            unlink(p);
    }
}

int sf_cleanup_temp_create(const char *target, char **tmp, int *fd,
                           sf_error *err)
{
    char *dir_copy = strdup(target), *base_copy = strdup(target);
    int ret = 0;

    *tmp = NULL;
    *fd = -1;
    if (dir_copy == NULL || base_copy == NULL) {
        ret = sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
        goto out;
    }
    const char *dir = dirname(dir_copy), *base = basename(base_copy);
    size_t len = strlen(dir) + strlen(base) + 32;
    if ((*tmp = malloc(len)) == NULL) {
        ret = sf_error_set(err, SF_ERR_NOMEM, "%s", sf_strerror(SF_ERR_NOMEM));
        goto out;
    }
    snprintf(*tmp, len, "%s/.%s.tmp-XXXXXX", dir, base);
    *fd = mkstemp(*tmp);
    if (*fd < 0) {
        ret = sf_error_set(err, SF_ERR_IO, "cannot write %s: %s", target,
                           strerror(errno));
        free(*tmp);
        *tmp = NULL;
        goto out;
    }
    sf_cleanup_temp_add(*tmp);
    /* mkstemp makes the file private; give it the usual mode. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(*fd, 0666 & ~mask);
out:
    free(dir_copy);
    free(base_copy);
    return ret;
}

void sf_cleanup_temp_done(char *tmp, bool remove)
{
    if (tmp == NULL)
        return;
    if (remove)
        unlink(tmp);
    sf_cleanup_temp_drop(tmp);
    free(tmp);
}

/* --- signals -------------------------------------------------------------- */

/* Sets handler for each of the n signals (no flags, nothing blocked). */
static void handle_signals(const int *sigs, size_t n, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < n; i++)
        sigaction(sigs[i], &sa, NULL);
}

static void remove_and_reraise(int sig)
{
    sf_cleanup_temp_remove_all();
    signal(sig, SIG_DFL);
    raise(sig);
}

void sf_cleanup_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    handle_signals(sigs, sizeof sigs / sizeof sigs[0], remove_and_reraise);
}

static volatile sig_atomic_t stop;
static void (*volatile stop_notice)(void);

/* The first SIGINT or SIGTERM asks for a clean stop and says so; from
 * then on one of them, or SIGHUP, ends the program at once, removing its
 * temporary files. */
static void on_stop(int sig)
{
    void (*notice)(void) = stop_notice;

    (void)sig;
    stop = 1;
    sf_cleanup_on_signals();
    if (notice != NULL)
        notice();
}

void sf_cleanup_stop_on_signals(void (*notice)(void))
{
    static const int sigs[] = {SIGINT, SIGTERM};
    stop_notice = notice;
    handle_signals(sigs, sizeof sigs / sizeof sigs[0], on_stop);
    sf_cleanup_ignore_file_size();
}

volatile sig_atomic_t *sf_cleanup_stop_flag(void)
{
    return &stop;
}

void sf_cleanup_ignore_file_size(void)
{
    signal(SIGXFSZ, SIG_IGN);
}

/* --- the fault guard ------------------------------------------------------
 * HDF5 1.10.8 trusts the metadata of a file whose checksums are valid.  A
 * crafted file — a root group whose link info points at a fractal heap
 * that is not there, say — makes it read out of bounds and die of SIGSEGV
 * (h5dump and h5ls die the same way); nothing shortfall can check first
 * rules that out.  So while a reader (sim/h5in.c) has an input file open,
 * a fatal signal ends the program with one error line naming the file and
 * exit status 2, as any damaged file gets, instead of a core dump.
 * Outputs are written under temporary names and renamed only when
 * complete, so the file a refused `merge --force` or `--resume` would have
 * replaced is left as it was, and the temporary files are removed.
 * Builds with AddressSanitizer keep its report (sf_cleanup_guard_faults
 * does nothing there), and so does the fuzzer, which never turns this
 * on. */
#if defined(__SANITIZE_ADDRESS__)
#define SF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SF_ASAN 1
#endif
#endif

static const char *guard_prog; /* "shortfall merge"; NULL: off */
static char guard_msg[1100];
static volatile sig_atomic_t guard_len;
static int guard_depth;

#ifndef SF_ASAN
static void on_fault(int sig)
{
    sf_cleanup_temp_remove_all();
    if (guard_len > 0) {
        ssize_t w = write(STDERR_FILENO, guard_msg, (size_t)guard_len);
        (void)w;
        _exit(2);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

void sf_cleanup_guard_faults(const char *prog)
{
#ifndef SF_ASAN
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    handle_signals(sigs, sizeof sigs / sizeof sigs[0], on_fault);
    guard_prog = prog;
#else
    (void)prog;
#endif
}

void sf_cleanup_guard_begin(const char *path)
{
    if (guard_prog == NULL || guard_depth++ > 0)
        return;
    int n = snprintf(guard_msg, sizeof guard_msg,
                     "%s: %s: damaged results file (the HDF5 library failed "
                     "on its metadata)\n",
                     guard_prog, path);
    guard_len = n < 0 ? 0 : n < (int)sizeof guard_msg ? n : (int)sizeof guard_msg - 1;
}

void sf_cleanup_guard_end(void)
{
    if (guard_prog != NULL && --guard_depth == 0)
        guard_len = 0;
}
