/*
 * rng.c — Philox4x32-10 as a GSL generator, and the stream layout that
 * makes every draw a function of (seed, trial, purpose, a, b).
 *
 * This is the only file that instantiates GSL_CBRNG (the macro defines the
 * global gsl_rng_sf_philox4x32) and the only definition of the layout
 * described in include/shortfall/rng.h: stream_set() below.
 */
#include <Random123/philox.h>
#include <Random123/conventional/gsl_cbrng.h>

#include "shortfall.h"
#include "shortfall/rng.h"

/* Defines gsl_rng_sf_philox4x32, the state struct sf_philox4x32_state
 * {ctr, r, key, elem} and the static sf_philox4x32_get / _get_double. */
GSL_CBRNG(sf_philox4x32, philox4x32);

/* Puts the stream at its start: key and counter per the layout, no block
 * buffered (elem = 0), so the next draw computes block j = 1. */
static inline void stream_set(sf_philox4x32_state *st, uint64_t seed,
                              uint64_t trial, unsigned purpose, uint32_t a,
                              uint32_t b)
{
    sf_bug_assert(trial < SF_RNG_TRIAL_LIMIT);
    sf_bug_assert(purpose >= 1 && purpose < SF_RNG_PURPOSE_LIMIT);
    sf_bug_assert(a < SF_RNG_INDEX_LIMIT && b < SF_RNG_INDEX_LIMIT);
    st->key.v[0] = (uint32_t)seed;
    st->key.v[1] = (uint32_t)(seed >> 32);
    st->ctr.v[0] = 0; /* the adapter pre-increments: first block j = 1 */
    st->ctr.v[1] = (uint32_t)purpose << 24 | b;
    st->ctr.v[2] = (uint32_t)(trial >> 32) << 24 | a;
    st->ctr.v[3] = (uint32_t)trial;
    st->elem = 0;
}

int sf_rng_init(sf_rng *r)
{
    r->gsl = gsl_rng_alloc(gsl_rng_sf_philox4x32);
    if (!r->gsl) {
        r->state = NULL;
        return SF_ERR_NOMEM;
    }
    r->state = gsl_rng_state(r->gsl);
    return SF_OK;
}

void sf_rng_free(sf_rng *r)
{
    gsl_rng_free(r->gsl); /* NULL-safe */
    r->gsl = NULL;
    r->state = NULL;
}

void sf_rng_set(sf_rng *r, uint64_t seed, uint64_t trial, unsigned purpose,
                uint32_t a, uint32_t b)
{
    sf_bug_assert(r->gsl && r->gsl->type == gsl_rng_sf_philox4x32);
    stream_set(r->state, seed, trial, purpose, a, b);
}

double sf_rng_uniform_at(uint64_t seed, uint64_t trial, unsigned purpose,
                         uint32_t a, uint32_t b)
{
    /* The adapter's own get function on a local state: the same counter
     * arithmetic (carry quirk included) as the gsl_rng path, by
     * construction rather than by a second copy of the layout. */
    sf_philox4x32_state st;
    stream_set(&st, seed, trial, purpose, a, b);
    return sf_philox4x32_get_double(&st);
}
