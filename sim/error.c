/*
 * error.c — error codes, their texts and the sf_error buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "shortfall.h"

const char *sf_strerror(int code)
{
    switch (code) {
    case SF_OK: return "no error";
    case SF_ERR_NOMEM: return "out of memory";
    case SF_ERR_IO: return "input/output error";
    case SF_ERR_SYNTAX: return "not well-formed YAML";
    case SF_ERR_UNKNOWN_KEY: return "unknown key";
    case SF_ERR_TYPE: return "value of the wrong type";
    case SF_ERR_MISSING_KEY: return "required key missing";
    case SF_ERR_UNKNOWN_REF: return "reference to an unknown name";
    case SF_ERR_RANGE: return "value out of range";
    case SF_ERR_DUPLICATE: return "duplicate id or key";
    case SF_ERR_TRANSITION: return "regime transition row does not sum to 1";
    case SF_ERR_OFFTAKE: return "offtake shares exceed 1 on one supplier";
    case SF_ERR_CYCLE: return "cycle in the commodity graph";
    case SF_ERR_UNSUPPLIED: return "demand node that no supplier can reach";
    case SF_ERR_CONFLICT: return "conflicting or inapplicable keys";
    case SF_ERR_LIMIT: return "beyond a documented limit";
    case SF_ERR_FORMAT: return "not a usable shortfall results file";
    case SF_ERR_HDF5: return "HDF5 error";
    default: return "unknown error code";
    }
}

int sf_error_set(sf_error *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

void sf_bug_fail(const char *what, const char *file, int line)
{
    fprintf(stderr,
            "shortfall: internal error: %s (%s:%d)\n"
            "This is a bug; please report it with the command that ran.\n",
            what, file, line);
    abort();
}
