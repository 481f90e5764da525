/*
 * test_distributions.c — sf_dist_sample against analytic moments, the
 * analytic means and variances against hand-computed values, and the text
 * of sf_dist_format.
 *
 * Tolerances come from standard errors, not hand tuning.  For n draws
 * with mean mu, variance s2 and fourth central moment m4:
 *   - the sample mean has standard error sqrt(s2 / n);
 *   - the unbiased sample variance has variance (m4 - (n-3)/(n-1) s2^2) / n,
 *     i.e. standard error sqrt((m4 - s2^2) / n) to O(1/n).
 * Both are close to normal at n = 2e5 (central limit theorem; the fourth
 * moment is finite for every distribution here), so a 4-SE band is a
 * two-sided test at about 6e-5.  The streams are fixed, so each check is
 * deterministic: it either always passes or flags a real error (a
 * swapped argument typically moves the mean by hundreds of SEs).
 */
#include <math.h>
#include <string.h>

#include <criterion/criterion.h>
#include <gsl/gsl_sf_gamma.h>

#include "shortfall/distributions.h"
#include "shortfall/rng.h"

enum { N = 200000 };

static sf_rng rng;

static void setup(void)
{
    cr_assert_eq(sf_rng_init(&rng), 0);
}

static void teardown(void)
{
    sf_rng_free(&rng);
}

TestSuite(dist, .init = setup, .fini = teardown);

static sf_dist mk(sf_dist_kind kind, double p0, double p1, double p2)
{
    sf_dist d = {kind, {p0, p1, p2}};
    return d;
}

/* Fourth central moment from raw moments m1..m4. */
static double central4(double m1, double m2, double m3, double m4)
{
    return m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1;
}

/* The analytic fourth central moment, computed here independently of the
 * code under test. */
static double fourth_moment(const sf_dist *d)
{
    const double *p = d->p;
    switch (d->kind) {
    case SF_DIST_FIXED: return 0;
    case SF_DIST_UNIFORM: return pow(p[1] - p[0], 4) / 80;
    case SF_DIST_EXPONENTIAL: return 9 * pow(p[0], 4);
    case SF_DIST_LOGNORMAL: {
        double mu = log(p[0]), s2 = p[1] * p[1], m[5];
        for (int k = 1; k <= 4; k++)
            m[k] = exp(k * mu + 0.5 * k * k * s2);
        return central4(m[1], m[2], m[3], m[4]);
    }
    case SF_DIST_GAMMA: return 3 * p[0] * (p[0] + 2) * pow(p[1], 4);
    case SF_DIST_BETA: {
        double a = p[0], b = p[1], s = a + b;
        double var = a * b / (s * s * (s + 1));
        double excess = 6 * ((a - b) * (a - b) * (s + 1) - a * b * (s + 2)) /
                        (a * b * (s + 2) * (s + 3));
        return (3 + excess) * var * var;
    }
    case SF_DIST_WEIBULL: {
        double m[5];
        for (int k = 1; k <= 4; k++)
            m[k] = pow(p[0], k) * gsl_sf_gamma(1 + k / p[1]);
        return central4(m[1], m[2], m[3], m[4]);
    }
    case SF_DIST_TRIANGULAR: {
        double a = p[0], c = p[1], b = p[2];
        double var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18;
        return 2.4 * var * var; /* excess kurtosis -3/5 */
    }
    }
    return NAN;
}

typedef struct {
    double mean, var, min, max;
} sample_stats;

/* Welford's one-pass mean and variance. */
static void add(sample_stats *s, size_t i, double x)
{
    if (i == 0) {
        s->mean = s->var = 0;
        s->min = s->max = x;
    }
    double delta = x - s->mean;
    s->mean += delta / (double)(i + 1);
    s->var += delta * (x - s->mean); /* sum of squares until the end */
    if (x < s->min)
        s->min = x;
    if (x > s->max)
        s->max = x;
}

static void check_moments(const sf_dist *d, const sample_stats *s,
                          const char *how)
{
    char name[96];
    sf_dist_format(d, name, sizeof name);
    double mu = sf_dist_mean(d), s2 = sf_dist_variance(d);
    double se_mean = sqrt(s2 / N);
    double se_var = sqrt((fourth_moment(d) - s2 * s2) / N);
    cr_expect_leq(fabs(s->mean - mu), 4 * se_mean,
                  "%s, %s: mean %.6g, analytic %.6g, SE %.3g", name, how,
                  s->mean, mu, se_mean);
    cr_expect_leq(fabs(s->var - s2), 4 * se_var,
                  "%s, %s: variance %.6g, analytic %.6g, SE %.3g", name, how,
                  s->var, s2, se_var);
}

/* N draws from one stream, and the first draw of each of N streams (what
 * the simulator does at each onset). */
static void check_dist(sf_dist d, uint32_t id)
{
    sample_stats s = {0, 0, 0, 0};
    sf_rng_set(&rng, 20240601, 0, SF_RNG_TEST, id, 0);
    for (size_t i = 0; i < N; i++)
        add(&s, i, sf_dist_sample(&d, rng.gsl));
    s.var /= N - 1;
    check_moments(&d, &s, "one stream");

    for (size_t i = 0; i < N; i++) {
        sf_rng_set(&rng, 20240601, i, SF_RNG_TEST, id, 1);
        add(&s, i, sf_dist_sample(&d, rng.gsl));
    }
    s.var /= N - 1;
    check_moments(&d, &s, "first draws");
}

Test(dist, uniform)
{
    check_dist(mk(SF_DIST_UNIFORM, 2, 5, 0), 1);
}

Test(dist, exponential)
{
    check_dist(mk(SF_DIST_EXPONENTIAL, 3, 0, 0), 2);
}

Test(dist, lognormal)
{
    check_dist(mk(SF_DIST_LOGNORMAL, 6, 0.7, 0), 3);
    check_dist(mk(SF_DIST_LOGNORMAL, 0.2, 0.1, 0), 4);
}

/* GSL's gamma takes a different path for shape < 1. */
Test(dist, gamma)
{
    check_dist(mk(SF_DIST_GAMMA, 2.5, 1.5, 0), 5);
    check_dist(mk(SF_DIST_GAMMA, 0.5, 2, 0), 6);
}

Test(dist, beta)
{
    check_dist(mk(SF_DIST_BETA, 2, 5, 0), 7);
    check_dist(mk(SF_DIST_BETA, 0.5, 0.5, 0), 8);
}

/* A swap of scale and shape would give mean 1.39 instead of 5.42. */
Test(dist, weibull)
{
    check_dist(mk(SF_DIST_WEIBULL, 6, 1.5, 0), 9);
    check_dist(mk(SF_DIST_WEIBULL, 6, 0.8, 0), 10);
}

Test(dist, triangular)
{
    const sf_dist cases[] = {
        mk(SF_DIST_TRIANGULAR, 1, 2, 6),
        mk(SF_DIST_TRIANGULAR, 0, 0, 1), /* mode at min */
        mk(SF_DIST_TRIANGULAR, 0, 1, 1), /* mode at max */
    };
    for (uint32_t c = 0; c < 3; c++) {
        const sf_dist *d = &cases[c];
        check_dist(*d, 11 + c);
        sample_stats s = {0, 0, 0, 0};
        sf_rng_set(&rng, 99, 0, SF_RNG_TEST, c, 0);
        for (size_t i = 0; i < N; i++)
            add(&s, i, sf_dist_sample(d, rng.gsl));
        cr_expect_geq(s.min, d->p[0]);
        cr_expect_leq(s.max, d->p[2]);
        /* the CDF is quadratic at each end, so the outer 1% of the width
         * on either side holds at least 1e-4 of the mass (here), about 20
         * of 2e5 draws: the extremes come within 1% of the width unless
         * something with probability ~e^-20 happened */
        cr_expect_lt(s.min - d->p[0], 0.01 * (d->p[2] - d->p[0]));
        cr_expect_lt(d->p[2] - s.max, 0.01 * (d->p[2] - d->p[0]));
    }
    /* a degenerate triangle */
    sf_dist point = mk(SF_DIST_TRIANGULAR, 4, 4, 4);
    sf_rng_set(&rng, 99, 1, SF_RNG_TEST, 0, 0);
    cr_expect_eq(sf_dist_sample(&point, rng.gsl), 4.0);
}

/* FIXED returns its value and leaves the stream where it was. */
Test(dist, fixed_consumes_no_draw)
{
    sf_dist d = mk(SF_DIST_FIXED, 4.25, 0, 0);
    sf_rng_set(&rng, 5, 6, SF_RNG_TEST, 7, 8);
    double first = gsl_rng_uniform(rng.gsl);
    sf_rng_set(&rng, 5, 6, SF_RNG_TEST, 7, 8);
    for (int i = 0; i < 10; i++)
        cr_expect_eq(sf_dist_sample(&d, rng.gsl), 4.25);
    cr_expect_eq(gsl_rng_uniform(rng.gsl), first);
    cr_expect_eq(sf_dist_mean(&d), 4.25);
    cr_expect_eq(sf_dist_variance(&d), 0.0);
}

/* Same stream, same draws. */
Test(dist, reproducible)
{
    sf_dist d = mk(SF_DIST_GAMMA, 0.7, 3, 0);
    double x[50];
    sf_rng_set(&rng, 11, 12, SF_RNG_EPISODE, 13, 14);
    for (int i = 0; i < 50; i++)
        x[i] = sf_dist_sample(&d, rng.gsl);
    sf_rng_set(&rng, 11, 12, SF_RNG_EPISODE, 13, 14);
    for (int i = 0; i < 50; i++)
        cr_expect_eq(sf_dist_sample(&d, rng.gsl), x[i]);
}

/* Means and variances against values worked out by hand (Python's math
 * module for the exp and gamma function values). */
Test(dist, analytic_moments)
{
    const struct {
        sf_dist d;
        double mean, var;
    } cases[] = {
        {{SF_DIST_FIXED, {4, 0, 0}}, 4, 0},
        {{SF_DIST_UNIFORM, {2, 5, 0}}, 3.5, 0.75},
        {{SF_DIST_EXPONENTIAL, {3, 0, 0}}, 3, 9},
        /* 6 exp(0.49/2); 36 exp(0.49) (exp(0.49) - 1) */
        {{SF_DIST_LOGNORMAL, {6, 0.7, 0}},
         7.665727879229319,
         7.665727879229319 * 7.665727879229319 * 0.6323162199553789},
        {{SF_DIST_GAMMA, {2.5, 1.5, 0}}, 3.75, 5.625},
        {{SF_DIST_BETA, {2, 5, 0}}, 2.0 / 7, 10.0 / (49 * 8)},
        /* 6 Gamma(1 + 1/1.5); 36 (Gamma(1 + 2/1.5) - Gamma(5/3)^2) */
        {{SF_DIST_WEIBULL, {6, 1.5, 0}},
         5.416471757705602,
         36 * 1.1906393487589988 - 5.416471757705602 * 5.416471757705602},
        {{SF_DIST_TRIANGULAR, {1, 2, 6}}, 3, (1 + 36 + 4 - 6 - 2 - 12) / 18.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_float_eq(sf_dist_mean(&cases[i].d), cases[i].mean, 1e-12,
                           "case %zu mean", i);
        cr_expect_float_eq(sf_dist_variance(&cases[i].d), cases[i].var,
                           1e-12, "case %zu variance", i);
    }
}

Test(dist, format)
{
    const struct {
        sf_dist d;
        const char *text;
    } cases[] = {
        {{SF_DIST_FIXED, {1, 0, 0}}, "fixed(value 1)"},
        {{SF_DIST_UNIFORM, {0.1, 0.5, 0}}, "uniform(min 0.1, max 0.5)"},
        {{SF_DIST_EXPONENTIAL, {3, 0, 0}}, "exponential(mean 3)"},
        {{SF_DIST_LOGNORMAL, {6, 0.7, 0}}, "lognormal(median 6, sigma 0.7)"},
        {{SF_DIST_GAMMA, {2, 1.5, 0}}, "gamma(shape 2, scale 1.5)"},
        {{SF_DIST_BETA, {2, 5, 0}}, "beta(a 2, b 5)"},
        {{SF_DIST_WEIBULL, {24, 1.5, 0}}, "weibull(scale 24, shape 1.5)"},
        {{SF_DIST_TRIANGULAR, {3, 6, 18}}, "triangular(min 3, mode 6, max 18)"},
        {{SF_DIST_EXPONENTIAL, {1e6, 0, 0}}, "exponential(mean 1e+06)"},
    };
    char buf[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int len = sf_dist_format(&cases[i].d, buf, sizeof buf);
        cr_expect_str_eq(buf, cases[i].text);
        cr_expect_eq(len, (int)strlen(cases[i].text));
    }
    /* snprintf semantics: truncated, terminated, full length returned */
    char small[8];
    sf_dist d = mk(SF_DIST_LOGNORMAL, 6, 0.7, 0);
    int len = sf_dist_format(&d, small, sizeof small);
    cr_expect_eq(len, (int)strlen("lognormal(median 6, sigma 0.7)"));
    cr_expect_str_eq(small, "lognorm");
}
