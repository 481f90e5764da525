/*
 * rng.h — random numbers: Philox4x32-10 (Random123) as a GSL generator,
 * with one stream per (seed, trial, purpose, a, b).
 *
 * Every random draw in shortfall is a pure function of (seed, trial,
 * purpose, a, b) and of its position in that stream, never of the thread,
 * the trial order or the draws made before it (docs/model.md and
 * docs/design.md, Random numbers).
 * A counter-based generator makes that cheap: sf_rng_set() rewrites the
 * key and counter of a per-thread gsl_rng in place, after which
 * gsl_rng_uniform(r->gsl) and every gsl_ran_*(r->gsl, ...) draw that
 * stream.  Allocate one sf_rng per thread, outside the hot loop.
 *
 * Stream layout (the one definition lives in sim/rng.c):
 *
 *   key = { seed & 0xffffffff, seed >> 32 }                 all 64 seed bits
 *   ctr = { j, purpose << 24 | b, (trial >> 32) << 24 | a, trial & 0xffffffff }
 *
 * where j = 1, 2, 3, ... numbers the blocks of four 32-bit outputs: the
 * GSL_CBRNG adapter increments ctr.v[0] before computing each block, and
 * returns a block's words in the order v[3], v[2], v[1], v[0].  So the
 * first gsl_rng_get() after sf_rng_set() is philox4x32(ctr with j = 1,
 * key).v[3], the fifth is word v[3] of block j = 2, and so on.
 *
 * One wrinkle of Random123's adapter (gsl_cbrng.h, 1.14): its carry tests
 * are not nested, so whenever ctr.v[2] == 0 it also increments ctr.v[3]
 * with every block (and whenever ctr.v[1] == 0, ctr.v[2]).  Purposes start
 * at 1, so ctr.v[1] is never 0; ctr.v[2] is 0 when a == 0 and trial <
 * 2^32, and then block j uses ctr.v[3] = (trial + j) mod 2^32 instead of
 * trial.  This is part of the layout above, not a bug to work around: the
 * map stays one-to-one (block j always has v[0] = j, and streams with
 * v[2] == 0 never meet streams with v[2] != 0), and tests/test_rng.c
 * checks it against philox4x32 called directly.
 *
 * Distinct streams never share a counter, provided
 *   seed  < 2^64 (any),  trial < 2^40,  1 <= purpose < 256,
 *   a < 2^24,  b < 2^24,
 * and a stream uses fewer than 2^32 blocks (2^34 uniforms); sf_rng_set()
 * checks the argument ranges with sf_bug_assert.
 *
 * Resolution: gsl_rng_uniform() gives multiples of 2^-32 in [0, 1) and can
 * return exactly 0; use gsl_rng_uniform_pos() where 0 matters (logs,
 * divisions).  Do not call gsl_rng_set() on r->gsl: it zeroes the counter
 * and puts only 32 bits of its argument in the key.
 */
#ifndef SHORTFALL_RNG_H
#define SHORTFALL_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../shortfall.h"

/* What a stream is for.  Purposes number the streams, so a value must
 * never be reused for something else: add new purposes at the end.  The
 * comments give the index convention (a, b); an unused index is 0.  One
 * purpose per quantity, so that changing how one quantity is drawn (a
 * policy's shorter lead time, say) leaves every other draw unchanged. */
typedef enum {
    SF_RNG_ONSET = 1,              /* a = shock, b = month: onset uniform */
    SF_RNG_EPISODE = 2,            /* a = shock, b = onset month: duration */
    SF_RNG_EPISODE_SEVERITY = 3,   /* a = shock, b = onset month: severity,
                                      or rate for a tariff */
    SF_RNG_REGIME = 4,             /* a = 0, b = month: regime step uniform */
    SF_RNG_PROJECT = 5,            /* a = node: new_capacity completion
                                      uniform */
    SF_RNG_PROJECT_LEAD_TIME = 6,  /* a = node: new_capacity lead time */
    SF_RNG_DEMAND = 7,             /* a = node, b = month: demand noise */
    SF_RNG_SEVERITY_SCHEDULED = 8, /* a = shock: the once-per-trial severity
                                      of a scheduled restriction or outage */
    SF_RNG_TARIFF_RATE = 9,        /* a = shock: the once-per-trial rate of
                                      a scheduled tariff (shock or policy) */
    SF_RNG_DESIGN = 10,            /* a = sweep, b = 0: a Latin hypercube's
                                      permutation of strata, b = 1: the
                                      positions in them; trial 0, seed the
                                      batch's (sim/design.c) */
    SF_RNG_TEST = 255              /* tests and benchmarks only */
} sf_rng_purpose;

/* Upper bounds (exclusive) of the stream coordinates. */
#define SF_RNG_TRIAL_LIMIT (UINT64_C(1) << 40)
#define SF_RNG_INDEX_LIMIT (UINT32_C(1) << 24)
#define SF_RNG_PURPOSE_LIMIT 256u

/* The GSL generator type: Philox4x32-10 through Random123's GSL_CBRNG
 * adapter (the macro fixes the gsl_rng_ prefix).  gsl_rng_name() gives
 * "sf_philox4x32". */
extern const gsl_rng_type *gsl_rng_sf_philox4x32;

typedef struct {
    gsl_rng *gsl; /* pass this to gsl_rng_uniform and gsl_ran_* */
    void *state;  /* gsl_rng_state(gsl), cached for sf_rng_set */
} sf_rng;

/* Allocates the generator: 0 or SF_ERR_NOMEM.  Note that gsl_rng_alloc
 * calls the GSL error handler on failure, which aborts unless the program
 * has called gsl_set_error_handler_off().  sf_rng_free is safe after a
 * failed init and on a zeroed struct. */
SF_MUST_CHECK
int sf_rng_init(sf_rng *r);
void sf_rng_free(sf_rng *r);

/* Points r at the stream (seed, trial, purpose, a, b), at its start.  No
 * allocation; a few nanoseconds.  Arguments out of the ranges above are a
 * bug (sf_bug_assert). */
void sf_rng_set(sf_rng *r, uint64_t seed, uint64_t trial, unsigned purpose,
                uint32_t a, uint32_t b);

/* The first gsl_rng_uniform() of the stream, computed without a gsl_rng:
 * exactly the value that sf_rng_set(r, seed, trial, purpose, a, b)
 * followed by gsl_rng_uniform(r->gsl) gives, in [0, 1) with resolution
 * 2^-32.  For hot paths that need one uniform per stream (onsets, regime
 * steps).  Same argument checks as sf_rng_set. */
double sf_rng_uniform_at(uint64_t seed, uint64_t trial, unsigned purpose,
                         uint32_t a, uint32_t b);

#endif
