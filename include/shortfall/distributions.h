/*
 * distributions.h — sampling, mean and text of an sf_dist (the parameter
 * layout is in scenario.h).
 *
 * Parameters are assumed valid (the loader, sim/config*.c, checks them):
 * positive scales, shapes, sigmas and means, min <= mode <= max.
 */
#ifndef SHORTFALL_DISTRIBUTIONS_H
#define SHORTFALL_DISTRIBUTIONS_H

#include <stddef.h>

#include <gsl/gsl_rng.h>

#include "scenario.h"

/* One draw from d using r:
 *   FIXED        p[0], consuming no draw from r
 *   UNIFORM      gsl_ran_flat(r, min, max)
 *   EXPONENTIAL  gsl_ran_exponential(r, mean)
 *   LOGNORMAL    gsl_ran_lognormal(r, log(median), sigma)
 *   GAMMA        gsl_ran_gamma(r, shape, scale)
 *   BETA         gsl_ran_beta(r, a, b)
 *   WEIBULL      gsl_ran_weibull(r, scale, shape)
 *   TRIANGULAR   inverse CDF of one gsl_rng_uniform(r)
 * How many uniforms a draw consumes depends on the kind (gamma and beta
 * use rejection), so give each sampled quantity its own stream
 * (sf_rng_purpose) rather than drawing two quantities from one. */
double sf_dist_sample(const sf_dist *d, const gsl_rng *r);

/* The analytic mean, e.g. exp(log(median) + sigma^2/2) for a lognormal. */
double sf_dist_mean(const sf_dist *d);

/* The analytic variance (0 for FIXED). */
double sf_dist_variance(const sf_dist *d);

/* A short text with the scenario file's key names, such as
 * "lognormal(median 6, sigma 0.7)" or "fixed(value 1)"; numbers as %g.
 * snprintf semantics: writes at most n bytes including the terminating
 * NUL and returns the length the full text has. */
int sf_dist_format(const sf_dist *d, char *buf, size_t n);

#endif
