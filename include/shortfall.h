/*
 * shortfall.h — the public face of the shortfall library: version, error
 * codes and the error buffer every fallible call fills in.
 *
 * Conventions (see docs/design.md): a function that can fail returns int,
 * 0 on success or a negative SF_ERR_* code; a human-readable detail goes
 * into the caller's sf_error.  Library code never prints and never exits.
 */
#ifndef SHORTFALL_H
#define SHORTFALL_H

#include <stddef.h>

#define SF_VERSION "0.1.0"
#define SF_SOFTWARE "shortfall"

/* Error codes.  Every one is provoked by at least one test. */
enum {
    SF_OK = 0,
    SF_ERR_NOMEM = -1,       /* out of memory */
    SF_ERR_IO = -2,          /* a file could not be read or written */
    SF_ERR_SYNTAX = -3,      /* the file is not well-formed YAML */
    SF_ERR_UNKNOWN_KEY = -4, /* a key the schema does not have */
    SF_ERR_TYPE = -5,        /* a value of the wrong type */
    SF_ERR_MISSING_KEY = -6, /* a required key is absent */
    SF_ERR_UNKNOWN_REF = -7, /* a name that refers to nothing */
    SF_ERR_RANGE = -8,       /* a number outside its allowed range */
    SF_ERR_DUPLICATE = -9,   /* an id or key given twice */
    SF_ERR_TRANSITION = -10, /* a regime transition row not summing to 1 */
    SF_ERR_OFFTAKE = -11,    /* offtake shares over 1 on one supplier */
    SF_ERR_CYCLE = -12,      /* the commodity graph has a cycle */
    SF_ERR_UNSUPPLIED = -13, /* a demand node no supplier can reach */
    SF_ERR_CONFLICT = -14,   /* keys that exclude each other, or a mismatch */
    SF_ERR_LIMIT = -15,      /* a size beyond the documented limits */
    SF_ERR_FORMAT = -16,     /* a results file that is not shortfall's, of
                                another version, damaged, or not matching */
    SF_ERR_HDF5 = -17        /* the HDF5 library failed while writing */
};
/* A broken internal invariant is not an error code: sf_bug_assert stops
 * the program with a message. */

/* Filled in by a failing call: the code and a one-line message such as
 * "ree.yaml:42:7: nodes[3].capacity: must be >= 0, got -5". */
typedef struct {
    int code;
    char msg[1024];
} sf_error;

const char *sf_strerror(int code);

/* On every function that can fail (returns 0 or SF_ERR_*, or a negative
 * HDF5 id): the compiler warns, and -Werror stops the build, when a
 * caller ignores the result. */
#if defined(__GNUC__)
#define SF_MUST_CHECK __attribute__((warn_unused_result))
#else
#define SF_MUST_CHECK
#endif

/* Sets err (if not NULL) and returns code; printf-style message. */
int sf_error_set(sf_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* A broken internal invariant: prints and aborts, also in release builds. */
#define sf_bug_assert(cond)                                                    \
    do {                                                                       \
        if (!(cond))                                                           \
            sf_bug_fail(#cond, __FILE__, __LINE__);                            \
    } while (0)
void sf_bug_fail(const char *what, const char *file, int line);

#endif
