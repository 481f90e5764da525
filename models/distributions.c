/*
 * distributions.c — sampling, analytic moments and text of an sf_dist.
 *
 * Pure: no I/O, no globals; every draw comes from the caller's gsl_rng.
 */
#include <math.h>
#include <stdio.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "shortfall.h"
#include "shortfall/distributions.h"

/* Inverse CDF of the triangular distribution on [lo, hi] with mode m:
 * F(x) = (x-lo)^2 / ((hi-lo)(m-lo)) left of the mode, and
 * 1 - (hi-x)^2 / ((hi-lo)(hi-m)) right of it. */
static double triangular_quantile(double lo, double m, double hi, double u)
{
    double w = hi - lo;
    if (!(w > 0))
        return lo; /* degenerate: all mass at one point */
    double x;
    if (u * w < m - lo) /* u < F(m) = (m-lo)/w, without a division */
        x = lo + sqrt(u * w * (m - lo));
    else
        x = hi - sqrt((1 - u) * w * (hi - m));
    /* Rounding must not step outside the support. */
    return x < lo ? lo : x > hi ? hi : x;
}

double sf_dist_sample(const sf_dist *d, const gsl_rng *r)
{
    const double *p = d->p;
    switch (d->kind) {
    case SF_DIST_FIXED: return p[0];
    case SF_DIST_UNIFORM: return gsl_ran_flat(r, p[0], p[1]);
    case SF_DIST_EXPONENTIAL: return gsl_ran_exponential(r, p[0]);
    case SF_DIST_LOGNORMAL: return gsl_ran_lognormal(r, log(p[0]), p[1]);
    case SF_DIST_GAMMA: return gsl_ran_gamma(r, p[0], p[1]);
    case SF_DIST_BETA: return gsl_ran_beta(r, p[0], p[1]);
    /* GSL's weibull: p(x) = b/a^b x^(b-1) exp(-(x/a)^b), a scale, b shape */
    case SF_DIST_WEIBULL: return gsl_ran_weibull(r, p[0], p[1]);
    case SF_DIST_TRIANGULAR:
        return triangular_quantile(p[0], p[1], p[2], gsl_rng_uniform(r));
    }
    sf_bug_assert(!"unknown sf_dist kind");
    return NAN;
}

double sf_dist_mean(const sf_dist *d)
{
    const double *p = d->p;
    switch (d->kind) {
    case SF_DIST_FIXED: return p[0];
    case SF_DIST_UNIFORM: return 0.5 * (p[0] + p[1]);
    case SF_DIST_EXPONENTIAL: return p[0];
    case SF_DIST_LOGNORMAL: return p[0] * exp(0.5 * p[1] * p[1]);
    case SF_DIST_GAMMA: return p[0] * p[1];
    case SF_DIST_BETA: return p[0] / (p[0] + p[1]);
    case SF_DIST_WEIBULL: return p[0] * gsl_sf_gamma(1 + 1 / p[1]);
    case SF_DIST_TRIANGULAR: return (p[0] + p[1] + p[2]) / 3;
    }
    sf_bug_assert(!"unknown sf_dist kind");
    return NAN;
}

double sf_dist_variance(const sf_dist *d)
{
    const double *p = d->p;
    switch (d->kind) {
    case SF_DIST_FIXED: return 0;
    case SF_DIST_UNIFORM: return (p[1] - p[0]) * (p[1] - p[0]) / 12;
    case SF_DIST_EXPONENTIAL: return p[0] * p[0];
    case SF_DIST_LOGNORMAL: {
        double s2 = p[1] * p[1];
        return expm1(s2) * p[0] * p[0] * exp(s2);
    }
    case SF_DIST_GAMMA: return p[0] * p[1] * p[1];
    case SF_DIST_BETA: {
        double ab = p[0] + p[1];
        return p[0] * p[1] / (ab * ab * (ab + 1));
    }
    case SF_DIST_WEIBULL: {
        double g1 = gsl_sf_gamma(1 + 1 / p[1]);
        double g2 = gsl_sf_gamma(1 + 2 / p[1]);
        return p[0] * p[0] * (g2 - g1 * g1);
    }
    case SF_DIST_TRIANGULAR: {
        double a = p[0], c = p[1], b = p[2];
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
    }
    }
    sf_bug_assert(!"unknown sf_dist kind");
    return NAN;
}

int sf_dist_format(const sf_dist *d, char *buf, size_t n)
{
    const double *p = d->p;
    switch (d->kind) {
    case SF_DIST_FIXED: return snprintf(buf, n, "fixed(value %g)", p[0]);
    case SF_DIST_UNIFORM:
        return snprintf(buf, n, "uniform(min %g, max %g)", p[0], p[1]);
    case SF_DIST_EXPONENTIAL:
        return snprintf(buf, n, "exponential(mean %g)", p[0]);
    case SF_DIST_LOGNORMAL:
        return snprintf(buf, n, "lognormal(median %g, sigma %g)", p[0], p[1]);
    case SF_DIST_GAMMA:
        return snprintf(buf, n, "gamma(shape %g, scale %g)", p[0], p[1]);
    case SF_DIST_BETA:
        return snprintf(buf, n, "beta(a %g, b %g)", p[0], p[1]);
    case SF_DIST_WEIBULL:
        return snprintf(buf, n, "weibull(scale %g, shape %g)", p[0], p[1]);
    case SF_DIST_TRIANGULAR:
        return snprintf(buf, n, "triangular(min %g, mode %g, max %g)", p[0],
                        p[1], p[2]);
    }
    sf_bug_assert(!"unknown sf_dist kind");
    return -1;
}
